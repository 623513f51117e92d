/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hyper-V definitions for the hvhost micro-guest, written from the TLFS
 * on purpose instead of including include/hyperv/tlfs.h: a layout that
 * hvhost and the shared header got wrong together must still fail here.
 */
#ifndef HVTEST_HVDEFS_H
#define HVTEST_HVDEFS_H

/* CPUID */
#define CPUID_HV_VENDOR		0x40000000u
#define CPUID_HV_INTERFACE	0x40000001u
#define CPUID_HV_VERSION	0x40000002u
#define CPUID_HV_FEATURES	0x40000003u
#define CPUID_HV_HINTS		0x40000004u
#define CPUID_HV_LIMITS		0x40000005u

/* 0x40000003 EAX */
#define F_TIME_REF_COUNT	(1u << 1)
#define F_SYNIC			(1u << 2)
#define F_SYNTIMER		(1u << 3)
#define F_HYPERCALL		(1u << 5)
#define F_VP_INDEX		(1u << 6)
#define F_REF_TSC		(1u << 9)
#define F_FREQ_MSRS		(1u << 11)
/* 0x40000003 EBX */
#define F_POST_MESSAGES		(1u << 4)
#define F_SIGNAL_EVENTS		(1u << 5)
/* 0x40000003 EDX */
#define F_FREQ_MSRS_EDX		(1u << 8)
#define F_CRASH_MSRS		(1u << 10)
#define F_STIMER_DIRECT		(1u << 19)

/* Synthetic MSRs */
#define MSR_GUEST_OS_ID		0x40000000u
#define MSR_HYPERCALL		0x40000001u
#define MSR_VP_INDEX		0x40000002u
#define MSR_TIME_REF_COUNT	0x40000020u
#define MSR_REFERENCE_TSC	0x40000021u
#define MSR_TSC_FREQUENCY	0x40000022u
#define MSR_APIC_FREQUENCY	0x40000023u
#define MSR_SCONTROL		0x40000080u
#define MSR_SVERSION		0x40000081u
#define MSR_SIEFP		0x40000082u
#define MSR_SIMP		0x40000083u
#define MSR_EOM			0x40000084u
#define MSR_SINT(n)		(0x40000090u + (n))
#define MSR_STIMER_CONFIG(n)	(0x400000b0u + 2 * (n))
#define MSR_STIMER_COUNT(n)	(0x400000b1u + 2 * (n))
#define MSR_CRASH_P0		0x40000100u
#define MSR_CRASH_CTL		0x40000105u
/* Inside the synthetic range, defined by no TLFS version */
#define MSR_HV_UNDEFINED	0x400001eeu

#define MSR_ENABLE		1ull		/* page MSRs, SCONTROL */
#define SINT_MASKED		(1ull << 16)
#define SINT_POLLING		(1ull << 18)
#define STIMER_ENABLE		(1ull << 0)
#define STIMER_PERIODIC		(1ull << 1)
#define STIMER_AUTO_ENABLE	(1ull << 3)
#define STIMER_VECTOR(v)	((unsigned long long)(v) << 4)
#define STIMER_DIRECT		(1ull << 12)
#define STIMER_SINT(s)		((unsigned long long)(s) << 16)

/* Hypercall input value */
#define HC_FAST			(1ull << 16)
#define HC_POST_MESSAGE		0x005cull
#define HC_SIGNAL_EVENT		0x005dull
#define HC_LONG_SPIN_WAIT	0x0008ull

/* Status codes */
#define ST_SUCCESS		0
#define ST_INVALID_CODE		2
#define ST_INVALID_INPUT	3
#define ST_INVALID_ALIGNMENT	4
#define ST_INVALID_PARAMETER	5
#define ST_ACCESS_DENIED	6
#define ST_INVALID_CONNECTION	18

/* SynIC message slot (256 bytes, 16 per page, one per SINT) */
#define MSG_SLOT_SIZE		256
#define MSG_TYPE		0	/* u32 */
#define MSG_PAYLOAD_SIZE	4	/* u8 */
#define MSG_FLAGS		5	/* u8, bit 0: message pending */
#define MSG_SENDER		8	/* u64 */
#define MSG_PAYLOAD		16
#define MSG_FLAG_PENDING	0x01
#define MSGTYPE_TIMER_EXPIRED	0x80000010u
/* HVMSG_TIMER_EXPIRED payload */
#define TMSG_INDEX		0	/* u32 */
#define TMSG_EXPIRATION		8	/* u64 */
#define TMSG_DELIVERY		16	/* u64 */

/* SIEF page: 256 bytes (2048 flags) per SINT */
#define SIEF_SLOT_SIZE		256

/* Reference TSC page */
#define TSCPG_SEQUENCE		0	/* u32 */
#define TSCPG_SCALE		8	/* u64 */
#define TSCPG_OFFSET		16	/* s64 */

#endif
