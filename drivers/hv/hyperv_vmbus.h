/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hv_vmbus internals: the Hyper-V platform layer (detection, hypercalls),
 * the SynIC and the clocksource.
 *
 * The wire formats live in <hyperv/tlfs.h>; this header holds driver state
 * and the functions the parts of the module call in each other.
 */
#ifndef _HV_IC_HYPERV_VMBUS_H
#define _HV_IC_HYPERV_VMBUS_H

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/export.h>
#include <linux/types.h>

#include <hyperv/tlfs.h>

/* Keep in step with PACKAGE_VERSION in dkms.conf (build-module.sh checks). */
#define HV_IC_VERSION		"0.1.0"
/* Build number in the guest OS id: 0xMMmp for version MM.m.p */
#define HV_IC_BUILD_NUMBER	0x0010

/*
 * Symbols other hyperv-ic modules use go into the HYPERV_IC namespace.
 * Until Linux 6.12 the namespace argument is an identifier, later kernels
 * take a string literal; Kbuild probes the target's <linux/export.h>.
 */
#ifdef HV_IC_NS_IS_STRING
#define HV_IC_EXPORT(sym)	EXPORT_SYMBOL_NS_GPL(sym, "HYPERV_IC")
#else
#define HV_IC_EXPORT(sym)	EXPORT_SYMBOL_NS_GPL(sym, HYPERV_IC)
#endif

/* The SINT the host uses for VMBus messages and channel events */
#define HV_VMBUS_MESSAGE_SINT	2

/* ------------------------------------------------------------------ */
/* Platform: hv_platform.c                                            */
/* ------------------------------------------------------------------ */

struct hv_platform_info {
	char vendor[13];		/* CPUID 0x40000000 EBX:ECX:EDX */
	u32 max_leaf;
	u32 build;			/* CPUID 0x40000002 */
	u16 major, minor;
	u32 service_pack;
	u32 features[4];		/* CPUID 0x40000003 EAX..EDX */
	u32 hints;			/* CPUID 0x40000004 EAX */
	u32 max_vps, max_lps;		/* CPUID 0x40000005 */
	u64 guest_os_id;
	u64 hypercall_gpa;
};

extern struct hv_platform_info hv_info;

/* Result of one hypercall of the load-time self-test */
struct hv_hypercall_check {
	const char *name;
	u16 expected;
	u16 status;
	bool pass;
};

#define HV_HYPERCALL_CHECKS	3

int hv_platform_init(void);
void hv_platform_exit(void);
bool hv_hypercall_selftest(struct hv_hypercall_check *res);
u32 hv_vp_index(unsigned int cpu);

/*
 * Hypercalls.  The slow form takes pointers into this CPU's hypercall
 * input and output pages (hv_hypercall_input_page() and
 * hv_hypercall_output_page(), interrupts disabled while they are in use);
 * the fast forms pass their input in registers.  All return the raw
 * hypercall result value; hv_result() extracts the status code.
 */
u64 hv_do_hypercall(u64 control, void *input, void *output);
u64 hv_do_fast_hypercall8(u16 code, u64 input);
u64 hv_do_fast_hypercall16(u16 code, u64 input1, u64 input2);
void *hv_hypercall_input_page(void);
void *hv_hypercall_output_page(void);
int hv_status_to_errno(u16 status);
const char *hv_status_name(u16 status);

static inline u16 hv_result(u64 status)
{
	return status & HV_HYPERCALL_RESULT_MASK;
}

/* The page the host fills with the hypercall code: hv_hypercall_page.S */
extern u8 hv_hypercall_page[];

/* ------------------------------------------------------------------ */
/* SynIC: hv_synic.c                                                  */
/* ------------------------------------------------------------------ */

/* Message types counted one by one; larger ones land in "other" */
#define HV_SYNIC_MSG_TYPES	16

struct hv_synic_stats {
	atomic_long_t messages;			/* all messages taken */
	atomic_long_t msg_type[HV_SYNIC_MSG_TYPES];
	atomic_long_t msg_type_other;
	atomic_long_t bad_messages;		/* failed validation */
	atomic_long_t eom;			/* EOM writes (msg pending) */
	atomic_long_t event_interrupts;		/* interrupts with flags set */
	atomic_long_t event_flags;		/* flags seen */
	atomic_long_t spurious;			/* interrupts with no work */
};

extern struct hv_synic_stats hv_synic_stats;

int hv_synic_init(int irq);
void hv_synic_exit(void);
/* Where SINT2 is delivered; false if the SynIC is not set up */
bool hv_synic_target(unsigned int *cpu, unsigned int *vector, int *irq);
unsigned int hv_synic_nr_cpus(void);

/* ------------------------------------------------------------------ */
/* Clocksource: hv_clocksource.c                                      */
/* ------------------------------------------------------------------ */

int hv_clocksource_init(void);
void hv_clocksource_exit(void);
/* Name of the registered clocksource, or "none" */
const char *hv_clocksource_name(void);
/* Reference time (100 ns) through the clocksource and through the MSR */
bool hv_clocksource_sample(u64 *cs, u64 *msr);

/* ------------------------------------------------------------------ */
/* sysfs: hv_sysfs.c                                                  */
/* ------------------------------------------------------------------ */

int hv_sysfs_init(bool *hypercall_ok);
void hv_sysfs_exit(void);

#endif /* _HV_IC_HYPERV_VMBUS_H */
