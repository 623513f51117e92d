/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hyper-V Top-Level Functional Specification: wire formats for x86-64.
 *
 * CPUID leaves, synthetic MSRs, hypercall input/status, the SynIC message
 * and event-flag pages, the reference TSC page and the synthetic timer
 * registers.  Definitions only, no logic, for the kernel modules.  hvhost
 * has its own, written independently in QEMU's style (DESIGN.md: wire
 * formats are written twice, on purpose).
 */
#ifndef _HYPERV_TLFS_H
#define _HYPERV_TLFS_H

#include <linux/types.h>

#include <linux/build_bug.h>
#include <linux/stddef.h>
#define HV_ASSERT(cond, msg)	static_assert(cond, msg)

#define HV_ASSERT_SIZE(type, size) \
	HV_ASSERT(sizeof(type) == (size), "size of " #type)
#define HV_ASSERT_OFFSET(type, member, off) \
	HV_ASSERT(offsetof(type, member) == (off), "offset of " #type "." #member)

#define HV_BIT(n)		(1U << (n))
#define HV_BIT64(n)		(1ULL << (n))

#define HV_PAGE_SHIFT		12
#define HV_PAGE_SIZE		4096U

/* ------------------------------------------------------------------ */
/* CPUID                                                              */
/* ------------------------------------------------------------------ */

#define HV_CPUID_VENDOR_AND_MAX		0x40000000
#define HV_CPUID_INTERFACE		0x40000001
#define HV_CPUID_VERSION		0x40000002
#define HV_CPUID_FEATURES		0x40000003
#define HV_CPUID_ENLIGHTENMENT_INFO	0x40000004
#define HV_CPUID_IMPLEMENT_LIMITS	0x40000005
#define HV_CPUID_HARDWARE_FEATURES	0x40000006
#define HV_CPUID_CPU_MANAGEMENT		0x40000007
#define HV_CPUID_SVM_FEATURES		0x40000008
#define HV_CPUID_NESTED_FEATURES	0x40000009
#define HV_CPUID_NESTED_VIRT_FEATURES	0x4000000A
#define HV_CPUID_MAX_LEAF		HV_CPUID_NESTED_VIRT_FEATURES

/* "Microsoft Hv" in EBX, ECX, EDX of leaf 0x40000000 */
#define HV_CPUID_SIGNATURE_EBX		0x7263694d	/* "Micr" */
#define HV_CPUID_SIGNATURE_ECX		0x666f736f	/* "osof" */
#define HV_CPUID_SIGNATURE_EDX		0x76482074	/* "t Hv" */
/* "Hv#1" in EAX of leaf 0x40000001 */
#define HV_CPUID_INTERFACE_HV1		0x31237648

/* Leaf 0x40000003 EAX: partition privileges, synthetic MSR access */
#define HV_MSR_VP_RUNTIME_AVAILABLE		HV_BIT(0)
#define HV_MSR_TIME_REF_COUNT_AVAILABLE		HV_BIT(1)
#define HV_MSR_SYNIC_AVAILABLE			HV_BIT(2)
#define HV_MSR_SYNTIMER_AVAILABLE		HV_BIT(3)
#define HV_MSR_APIC_ACCESS_AVAILABLE		HV_BIT(4)
#define HV_MSR_HYPERCALL_AVAILABLE		HV_BIT(5)
#define HV_MSR_VP_INDEX_AVAILABLE		HV_BIT(6)
#define HV_MSR_RESET_AVAILABLE			HV_BIT(7)
#define HV_MSR_STAT_PAGES_AVAILABLE		HV_BIT(8)
#define HV_MSR_REFERENCE_TSC_AVAILABLE		HV_BIT(9)
#define HV_MSR_GUEST_IDLE_AVAILABLE		HV_BIT(10)
#define HV_ACCESS_FREQUENCY_MSRS		HV_BIT(11)
#define HV_ACCESS_REENLIGHTENMENT		HV_BIT(13)
#define HV_ACCESS_TSC_INVARIANT			HV_BIT(15)

/* Leaf 0x40000003 EBX: partition privileges, hypercalls */
#define HV_CREATE_PARTITIONS			HV_BIT(0)
#define HV_ACCESS_PARTITION_ID			HV_BIT(1)
#define HV_ACCESS_MEMORY_POOL			HV_BIT(2)
#define HV_ADJUST_MESSAGE_BUFFERS		HV_BIT(3)
#define HV_POST_MESSAGES			HV_BIT(4)
#define HV_SIGNAL_EVENTS			HV_BIT(5)
#define HV_CREATE_PORT				HV_BIT(6)
#define HV_CONNECT_PORT				HV_BIT(7)
#define HV_ACCESS_STATS				HV_BIT(8)
#define HV_DEBUGGING				HV_BIT(11)
#define HV_CPU_MANAGEMENT			HV_BIT(12)
#define HV_ENABLE_EXTENDED_HYPERCALLS		HV_BIT(20)
#define HV_ISOLATION				HV_BIT(22)

/* Leaf 0x40000003 EDX: miscellaneous features */
#define HV_X64_MWAIT_AVAILABLE			HV_BIT(0)
#define HV_X64_GUEST_DEBUGGING_AVAILABLE	HV_BIT(1)
#define HV_X64_PERF_MONITOR_AVAILABLE		HV_BIT(2)
#define HV_X64_CPU_DYNAMIC_PARTITIONING		HV_BIT(3)
#define HV_X64_HYPERCALL_XMM_INPUT_AVAILABLE	HV_BIT(4)
#define HV_X64_GUEST_IDLE_STATE_AVAILABLE	HV_BIT(5)
#define HV_FEATURE_FREQUENCY_MSRS_AVAILABLE	HV_BIT(8)
#define HV_FEATURE_GUEST_CRASH_MSR_AVAILABLE	HV_BIT(10)
#define HV_FEATURE_DEBUG_MSRS_AVAILABLE		HV_BIT(11)
#define HV_X64_HYPERCALL_XMM_OUTPUT_AVAILABLE	HV_BIT(15)
#define HV_STIMER_DIRECT_MODE_AVAILABLE		HV_BIT(19)

/* Leaf 0x40000004 EAX: implementation recommendations ("hints") */
#define HV_X64_AS_SWITCH_RECOMMENDED		HV_BIT(0)
#define HV_X64_LOCAL_TLB_FLUSH_RECOMMENDED	HV_BIT(1)
#define HV_X64_REMOTE_TLB_FLUSH_RECOMMENDED	HV_BIT(2)
#define HV_X64_APIC_ACCESS_RECOMMENDED		HV_BIT(3)
#define HV_X64_SYSTEM_RESET_RECOMMENDED		HV_BIT(4)
#define HV_X64_RELAXED_TIMING_RECOMMENDED	HV_BIT(5)
#define HV_DEPRECATING_AEOI_RECOMMENDED		HV_BIT(9)
#define HV_X64_CLUSTER_IPI_RECOMMENDED		HV_BIT(10)
#define HV_X64_EX_PROCESSOR_MASKS_RECOMMENDED	HV_BIT(11)
#define HV_X64_ENLIGHTENED_VMCS_RECOMMENDED	HV_BIT(14)

/* ------------------------------------------------------------------ */
/* Synthetic MSRs                                                     */
/* ------------------------------------------------------------------ */

#define HV_X64_MSR_GUEST_OS_ID		0x40000000
#define HV_X64_MSR_HYPERCALL		0x40000001
#define HV_X64_MSR_VP_INDEX		0x40000002
#define HV_X64_MSR_RESET		0x40000003
#define HV_X64_MSR_VP_RUNTIME		0x40000010
#define HV_X64_MSR_TIME_REF_COUNT	0x40000020
#define HV_X64_MSR_REFERENCE_TSC	0x40000021
#define HV_X64_MSR_TSC_FREQUENCY	0x40000022
#define HV_X64_MSR_APIC_FREQUENCY	0x40000023
#define HV_X64_MSR_EOI			0x40000070
#define HV_X64_MSR_ICR			0x40000071
#define HV_X64_MSR_TPR			0x40000072
#define HV_X64_MSR_VP_ASSIST_PAGE	0x40000073

#define HV_X64_MSR_SCONTROL		0x40000080
#define HV_X64_MSR_SVERSION		0x40000081
#define HV_X64_MSR_SIEFP		0x40000082
#define HV_X64_MSR_SIMP			0x40000083
#define HV_X64_MSR_EOM			0x40000084
#define HV_X64_MSR_SINT0		0x40000090
#define HV_X64_MSR_SINT15		0x4000009F
#define HV_X64_MSR_SINT(n)		(HV_X64_MSR_SINT0 + (n))

#define HV_X64_MSR_STIMER0_CONFIG	0x400000B0
#define HV_X64_MSR_STIMER0_COUNT	0x400000B1
#define HV_X64_MSR_STIMER_CONFIG(n)	(HV_X64_MSR_STIMER0_CONFIG + 2 * (n))
#define HV_X64_MSR_STIMER_COUNT(n)	(HV_X64_MSR_STIMER0_COUNT + 2 * (n))
#define HV_X64_MSR_STIMER3_COUNT	0x400000B7

#define HV_X64_MSR_GUEST_IDLE		0x400000F0

#define HV_X64_MSR_CRASH_P0		0x40000100
#define HV_X64_MSR_CRASH_P4		0x40000104
#define HV_X64_MSR_CRASH_CTL		0x40000105
#define HV_CRASH_CTL_CRASH_NOTIFY_MSG	HV_BIT64(62)
#define HV_CRASH_CTL_CRASH_NOTIFY	HV_BIT64(63)

#define HV_X64_MSR_REENLIGHTENMENT_CONTROL	0x40000106
#define HV_X64_MSR_TSC_EMULATION_CONTROL	0x40000107
#define HV_X64_MSR_TSC_EMULATION_STATUS		0x40000108
#define HV_X64_MSR_TSC_INVARIANT_CONTROL	0x40000118

#define HV_SYNIC_SINT_COUNT		16
#define HV_SYNIC_STIMER_COUNT		4
#define HV_SYNIC_VERSION_1		0x1

/*
 * Guest OS identity, open-source format (TLFS 2.6): bit 63 set, then the
 * OS type in bits 62:56, the OS id in bits 55:48, the kernel version in
 * bits 47:16 and a distribution-defined build number in bits 15:0.
 */
#define HV_GUEST_OS_ID_OPENSOURCE	HV_BIT64(63)
#define HV_GUEST_OS_TYPE_SHIFT		56
#define HV_GUEST_OS_TYPE_LINUX		0x1ULL
#define HV_GUEST_OS_ID_SHIFT		48
#define HV_GUEST_OS_KVER_SHIFT		16
#define HV_GUEST_OS_KVER_MASK		0xffffffffULL
#define HV_GUEST_OS_BUILD_MASK		0xffffULL

/* HV_X64_MSR_HYPERCALL */
#define HV_HYPERCALL_ENABLE		HV_BIT64(0)
#define HV_HYPERCALL_LOCKED		HV_BIT64(1)
#define HV_HYPERCALL_PFN_SHIFT		12

/* HV_X64_MSR_REFERENCE_TSC, HV_X64_MSR_SIMP, HV_X64_MSR_SIEFP,
 * HV_X64_MSR_VP_ASSIST_PAGE: enable bit plus a GPA page number */
#define HV_MSR_PAGE_ENABLE		HV_BIT64(0)
#define HV_MSR_PAGE_PFN_SHIFT		12
#define HV_MSR_PAGE_PFN_MASK		(~0xfffULL)

/* HV_X64_MSR_SCONTROL */
#define HV_SCONTROL_ENABLE		HV_BIT64(0)

/* HV_X64_MSR_SINTx */
#define HV_SINT_VECTOR_MASK		0xffULL
#define HV_SINT_MASKED			HV_BIT64(16)
#define HV_SINT_AUTO_EOI		HV_BIT64(17)
#define HV_SINT_POLLING			HV_BIT64(18)
#define HV_SINT_MIN_VECTOR		16
/* Architectural reset value of a SINT: masked, vector 0 */
#define HV_SINT_RESET_VALUE		HV_SINT_MASKED

/* HV_X64_MSR_STIMERx_CONFIG */
#define HV_STIMER_ENABLE		HV_BIT64(0)
#define HV_STIMER_PERIODIC		HV_BIT64(1)
#define HV_STIMER_LAZY			HV_BIT64(2)
#define HV_STIMER_AUTO_ENABLE		HV_BIT64(3)
#define HV_STIMER_APIC_VECTOR_SHIFT	4
#define HV_STIMER_APIC_VECTOR_MASK	(0xffULL << HV_STIMER_APIC_VECTOR_SHIFT)
#define HV_STIMER_DIRECT_MODE		HV_BIT64(12)
#define HV_STIMER_SINTX_SHIFT		16
#define HV_STIMER_SINTX_MASK		(0xfULL << HV_STIMER_SINTX_SHIFT)

/* The partition reference time counts in units of 100 ns */
#define HV_REF_TIME_HZ			10000000ULL

/* ------------------------------------------------------------------ */
/* Hypercalls                                                         */
/* ------------------------------------------------------------------ */

/* Hypercall input value (RCX) */
#define HV_HYPERCALL_CODE_MASK		0xffffULL
#define HV_HYPERCALL_FAST_BIT		HV_BIT64(16)
#define HV_HYPERCALL_VARHEAD_SHIFT	17
#define HV_HYPERCALL_VARHEAD_MASK	(0x3ffULL << HV_HYPERCALL_VARHEAD_SHIFT)
#define HV_HYPERCALL_NESTED		HV_BIT64(31)
#define HV_HYPERCALL_REP_COUNT_SHIFT	32
#define HV_HYPERCALL_REP_COUNT_MASK	(0xfffULL << HV_HYPERCALL_REP_COUNT_SHIFT)
#define HV_HYPERCALL_REP_START_SHIFT	48
#define HV_HYPERCALL_REP_START_MASK	(0xfffULL << HV_HYPERCALL_REP_START_SHIFT)
/* Bits that must be zero in the input value (bit 31, nested, included) */
#define HV_HYPERCALL_RSVD_MASK		0xf000f000f8000000ULL

/* Hypercall result value (RAX) */
#define HV_HYPERCALL_RESULT_MASK	0xffffULL
#define HV_HYPERCALL_REP_COMP_SHIFT	32
#define HV_HYPERCALL_REP_COMP_MASK	(0xfffULL << HV_HYPERCALL_REP_COMP_SHIFT)

/* Call codes */
#define HVCALL_NOTIFY_LONG_SPIN_WAIT	0x0008
#define HVCALL_POST_MESSAGE		0x005c
#define HVCALL_SIGNAL_EVENT		0x005d

/* Status codes */
#define HV_STATUS_SUCCESS			0
#define HV_STATUS_INVALID_HYPERCALL_CODE	2
#define HV_STATUS_INVALID_HYPERCALL_INPUT	3
#define HV_STATUS_INVALID_ALIGNMENT		4
#define HV_STATUS_INVALID_PARAMETER		5
#define HV_STATUS_ACCESS_DENIED			6
#define HV_STATUS_INVALID_PARTITION_STATE	7
#define HV_STATUS_OPERATION_DENIED		8
#define HV_STATUS_UNKNOWN_PROPERTY		9
#define HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE	10
#define HV_STATUS_INSUFFICIENT_MEMORY		11
#define HV_STATUS_INVALID_PARTITION_ID		13
#define HV_STATUS_INVALID_VP_INDEX		14
#define HV_STATUS_NOT_FOUND			16
#define HV_STATUS_INVALID_PORT_ID		17
#define HV_STATUS_INVALID_CONNECTION_ID		18
#define HV_STATUS_INSUFFICIENT_BUFFERS		19
#define HV_STATUS_NOT_ACKNOWLEDGED		20
#define HV_STATUS_INVALID_VP_STATE		21
#define HV_STATUS_ACKNOWLEDGED			22
#define HV_STATUS_INVALID_SAVE_RESTORE_STATE	23
#define HV_STATUS_INVALID_SYNIC_STATE		24
#define HV_STATUS_OBJECT_IN_USE			25
#define HV_STATUS_INVALID_PROXIMITY_DOMAIN_INFO	26
#define HV_STATUS_NO_DATA			27
#define HV_STATUS_INACTIVE			28
#define HV_STATUS_NO_RESOURCES			29
#define HV_STATUS_FEATURE_UNAVAILABLE		30
#define HV_STATUS_PARTIAL_PACKET		31
#define HV_STATUS_PROCESSOR_FEATURE_NOT_SUPPORTED	32
#define HV_STATUS_PROCESSOR_CACHE_LINE_FLUSH_SIZE_INCOMPATIBLE	48
#define HV_STATUS_INSUFFICIENT_BUFFER		51
#define HV_STATUS_INCOMPATIBLE_PROCESSOR	55
#define HV_STATUS_INSUFFICIENT_DEVICE_DOMAINS	56
#define HV_STATUS_CPUID_FEATURE_VALIDATION_ERROR	60
#define HV_STATUS_CPUID_XSAVE_FEATURE_VALIDATION_ERROR	61
#define HV_STATUS_PROCESSOR_STARTUP_TIMEOUT	62
#define HV_STATUS_SMX_ENABLED			63
#define HV_STATUS_INVALID_LP_INDEX		65
#define HV_STATUS_INVALID_REGISTER_VALUE	80
#define HV_STATUS_TIME_OUT			120
#define HV_STATUS_VTL_ALREADY_ENABLED		134

/* SynIC message payload, in bytes, and HvPostMessage input */
#define HV_MESSAGE_SIZE			256
#define HV_MESSAGE_PAYLOAD_BYTE_COUNT	240
#define HV_MESSAGE_PAYLOAD_QWORD_COUNT	30

struct hv_input_post_message {
	__u32 connection_id;
	__u32 reserved;
	__u32 message_type;		/* must be > 0 and < 0x80000000 */
	__u32 payload_size;		/* at most 240 */
	__u64 payload[HV_MESSAGE_PAYLOAD_QWORD_COUNT];
};
HV_ASSERT_SIZE(struct hv_input_post_message, 256);
HV_ASSERT_OFFSET(struct hv_input_post_message, payload, 16);

/* HvSignalEvent, as a fast hypercall: the input is the 64-bit value below */
struct hv_input_signal_event {
	__u32 connection_id;		/* bits 23:0; 31:24 reserved */
	__u16 flag_number;
	__u16 rsvd_z;
};
HV_ASSERT_SIZE(struct hv_input_signal_event, 8);
#define HV_CONNECTION_ID_MASK		0x00ffffffU

/* ------------------------------------------------------------------ */
/* SynIC message page and event-flag page                             */
/* ------------------------------------------------------------------ */

/* Message types owned by the hypervisor have bit 31 set */
#define HVMSG_NONE			0x00000000
#define HVMSG_UNMAPPED_GPA		0x80000000
#define HVMSG_GPA_INTERCEPT		0x80000001
#define HVMSG_TIMER_EXPIRED		0x80000010
#define HVMSG_INVALID_VP_REGISTER_VALUE	0x80000020
#define HVMSG_UNRECOVERABLE_EXCEPTION	0x80000021
#define HVMSG_UNSUPPORTED_FEATURE	0x80000022
#define HVMSG_EVENTLOG_BUFFERCOMPLETE	0x80000040
#define HVMSG_X64_IOPORT_INTERCEPT	0x80010000
#define HVMSG_X64_MSR_INTERCEPT		0x80010001
#define HVMSG_X64_CPUID_INTERCEPT	0x80010002
#define HVMSG_X64_EXCEPTION_INTERCEPT	0x80010003
#define HVMSG_X64_APIC_EOI		0x80010004
#define HVMSG_X64_LEGACY_FP_ERROR	0x80010005
#define HVMSG_HYPERVISOR_MASK		0x80000000

/* hv_message_header.flags */
#define HV_MESSAGE_FLAG_PENDING		0x01

struct hv_message_header {
	__u32 message_type;
	__u8 payload_size;
	__u8 message_flags;
	__u8 reserved[2];
	union {
		__u64 sender;
		__u32 port_id;		/* connection or port id */
	};
};
HV_ASSERT_SIZE(struct hv_message_header, 16);
HV_ASSERT_OFFSET(struct hv_message_header, message_flags, 5);

struct hv_message {
	struct hv_message_header header;
	union {
		__u64 payload[HV_MESSAGE_PAYLOAD_QWORD_COUNT];
	} u;
};
HV_ASSERT_SIZE(struct hv_message, HV_MESSAGE_SIZE);

/* Payload of HVMSG_TIMER_EXPIRED */
struct hv_timer_message_payload {
	__u32 timer_index;
	__u32 reserved;
	__u64 expiration_time;		/* when the timer was due */
	__u64 delivery_time;		/* when the message was delivered */
};
HV_ASSERT_SIZE(struct hv_timer_message_payload, 24);

/* SIMP: one 256-byte message slot per SINT */
struct hv_message_page {
	struct hv_message sint_message[HV_SYNIC_SINT_COUNT];
};
HV_ASSERT_SIZE(struct hv_message_page, HV_PAGE_SIZE);

/* SIEFP: one 256-byte (2048-bit) event-flag array per SINT */
#define HV_EVENT_FLAGS_COUNT		(256 * 8)
#define HV_EVENT_FLAGS_BYTE_COUNT	256
#define HV_EVENT_FLAGS_LONG_COUNT	(HV_EVENT_FLAGS_BYTE_COUNT / 8)

struct hv_synic_event_flags {
	__u64 flags[HV_EVENT_FLAGS_LONG_COUNT];
};
HV_ASSERT_SIZE(struct hv_synic_event_flags, HV_EVENT_FLAGS_BYTE_COUNT);

struct hv_synic_event_flags_page {
	struct hv_synic_event_flags sintevent_flags[HV_SYNIC_SINT_COUNT];
};
HV_ASSERT_SIZE(struct hv_synic_event_flags_page, HV_PAGE_SIZE);

/* ------------------------------------------------------------------ */
/* Reference TSC page                                                 */
/* ------------------------------------------------------------------ */

/*
 * reference time = ((tsc * tsc_scale) >> 64) + tsc_offset, valid while
 * tsc_sequence is non-zero and unchanged across the read.  A sequence of
 * zero tells the guest to fall back to HV_X64_MSR_TIME_REF_COUNT.
 */
#define HV_TSC_PAGE_SEQUENCE_INVALID	0

struct hv_ref_tsc_page {
	__u32 tsc_sequence;
	__u32 reserved1;
	__u64 tsc_scale;
	__s64 tsc_offset;
	__u64 reserved2[509];
};
HV_ASSERT_SIZE(struct hv_ref_tsc_page, HV_PAGE_SIZE);
HV_ASSERT_OFFSET(struct hv_ref_tsc_page, tsc_scale, 8);
HV_ASSERT_OFFSET(struct hv_ref_tsc_page, tsc_offset, 16);

#endif /* _HYPERV_TLFS_H */
