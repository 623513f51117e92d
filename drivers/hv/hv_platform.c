// SPDX-License-Identifier: GPL-2.0
/*
 * Hyper-V platform layer: find the hypervisor, tell it who we are, set up
 * the hypercall page and make hypercalls.
 *
 * The kernels we run on have no Hyper-V support of their own
 * (CONFIG_HYPERV=n), so nothing else in the guest touches these MSRs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/ctype.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/version.h>

#include <asm/asm.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/processor.h>

#include "hyperv_vmbus.h"

/* What the host must offer for hv_vmbus to work at all */
#define HV_REQUIRED_MSRS	(HV_MSR_HYPERCALL_AVAILABLE |		\
				 HV_MSR_VP_INDEX_AVAILABLE |		\
				 HV_MSR_SYNIC_AVAILABLE |		\
				 HV_MSR_TIME_REF_COUNT_AVAILABLE)

/* Connection id no host hands out: the hypercall self-test uses it */
#define HV_PROBE_CONNECTION_ID	0x00fffff0
/* Call code no host implements */
#define HV_PROBE_CALL_CODE	0x7fff

#define HV_VP_INDEX_UNKNOWN	U32_MAX

struct hv_platform_cpu {
	void *hc_input;		/* one page each, for slow hypercalls */
	void *hc_output;
	u32 vp_index;
};

static DEFINE_PER_CPU(struct hv_platform_cpu, hv_platform_cpu) = {
	.vp_index = HV_VP_INDEX_UNKNOWN,
};

struct hv_platform_info hv_info;

/* Where hypercalls go; NULL until the host has filled hv_hypercall_page */
static void *hv_hypercall_pg;
static enum cpuhp_state hv_platform_cpuhp_state;

/* ------------------------------------------------------------------ */
/* Hypercall status codes                                             */
/* ------------------------------------------------------------------ */

struct hv_status_desc {
	u16 status;
	short errno;
	const char *name;
};

#define HV_STATUS(s, e)	{ HV_STATUS_##s, e, "HV_STATUS_" #s }

static const struct hv_status_desc hv_status_table[] = {
	HV_STATUS(SUCCESS, 0),
	HV_STATUS(INVALID_HYPERCALL_CODE, -EOPNOTSUPP),
	HV_STATUS(INVALID_HYPERCALL_INPUT, -EINVAL),
	HV_STATUS(INVALID_ALIGNMENT, -EINVAL),
	HV_STATUS(INVALID_PARAMETER, -EINVAL),
	HV_STATUS(ACCESS_DENIED, -EACCES),
	HV_STATUS(INVALID_PARTITION_STATE, -EIO),
	HV_STATUS(OPERATION_DENIED, -EPERM),
	HV_STATUS(UNKNOWN_PROPERTY, -EIO),
	HV_STATUS(PROPERTY_VALUE_OUT_OF_RANGE, -EIO),
	HV_STATUS(INSUFFICIENT_MEMORY, -ENOMEM),
	HV_STATUS(INVALID_PARTITION_ID, -EINVAL),
	HV_STATUS(INVALID_VP_INDEX, -EINVAL),
	HV_STATUS(NOT_FOUND, -ENOENT),
	HV_STATUS(INVALID_PORT_ID, -EINVAL),
	HV_STATUS(INVALID_CONNECTION_ID, -EINVAL),
	HV_STATUS(INSUFFICIENT_BUFFERS, -ENOBUFS),
	HV_STATUS(NOT_ACKNOWLEDGED, -EIO),
	HV_STATUS(INVALID_VP_STATE, -EIO),
	HV_STATUS(ACKNOWLEDGED, -EIO),
	HV_STATUS(INVALID_SAVE_RESTORE_STATE, -EIO),
	HV_STATUS(INVALID_SYNIC_STATE, -EIO),
	HV_STATUS(OBJECT_IN_USE, -EBUSY),
	HV_STATUS(INVALID_PROXIMITY_DOMAIN_INFO, -EINVAL),
	HV_STATUS(NO_DATA, -ENODATA),
	HV_STATUS(INACTIVE, -EIO),
	HV_STATUS(NO_RESOURCES, -ENOSPC),
	HV_STATUS(FEATURE_UNAVAILABLE, -EOPNOTSUPP),
	HV_STATUS(PARTIAL_PACKET, -EIO),
	HV_STATUS(PROCESSOR_FEATURE_NOT_SUPPORTED, -EOPNOTSUPP),
	HV_STATUS(PROCESSOR_CACHE_LINE_FLUSH_SIZE_INCOMPATIBLE, -EIO),
	HV_STATUS(INSUFFICIENT_BUFFER, -ENOBUFS),
	HV_STATUS(INCOMPATIBLE_PROCESSOR, -EIO),
	HV_STATUS(INSUFFICIENT_DEVICE_DOMAINS, -ENOSPC),
	HV_STATUS(CPUID_FEATURE_VALIDATION_ERROR, -EIO),
	HV_STATUS(CPUID_XSAVE_FEATURE_VALIDATION_ERROR, -EIO),
	HV_STATUS(PROCESSOR_STARTUP_TIMEOUT, -ETIMEDOUT),
	HV_STATUS(SMX_ENABLED, -EIO),
	HV_STATUS(INVALID_LP_INDEX, -EINVAL),
	HV_STATUS(INVALID_REGISTER_VALUE, -EINVAL),
	HV_STATUS(TIME_OUT, -ETIMEDOUT),
	HV_STATUS(VTL_ALREADY_ENABLED, -EBUSY),
};

static const struct hv_status_desc *hv_status_lookup(u16 status)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(hv_status_table); i++)
		if (hv_status_table[i].status == status)
			return &hv_status_table[i];
	return NULL;
}

/**
 * hv_status_to_errno() - map a hypercall status code to an errno
 * @status: status code (the low 16 bits of the hypercall result)
 *
 * Return: 0 for success, a negative errno otherwise (-EIO when unknown).
 */
int hv_status_to_errno(u16 status)
{
	const struct hv_status_desc *d = hv_status_lookup(status);

	return d ? d->errno : -EIO;
}
HV_IC_EXPORT(hv_status_to_errno);

/**
 * hv_status_name() - name of a hypercall status code, for log messages
 * @status: status code
 *
 * Return: "HV_STATUS_..." or "HV_STATUS_UNKNOWN".
 */
const char *hv_status_name(u16 status)
{
	const struct hv_status_desc *d = hv_status_lookup(status);

	return d ? d->name : "HV_STATUS_UNKNOWN";
}
HV_IC_EXPORT(hv_status_name);

/* ------------------------------------------------------------------ */
/* Hypercalls                                                         */
/* ------------------------------------------------------------------ */

/*
 * Calling convention (TLFS, x64): RCX = control, RDX = input GPA or first
 * fast input, R8 = output GPA or second fast input; result in RAX.  The
 * hypervisor may clobber R9-R11.  The call is indirect through a pointer
 * to the page, annotated the way the target kernel wants (retpolines).
 */

/**
 * hv_do_hypercall() - make a memory-based ("slow") hypercall
 * @control: call code, rep count and flags (TLFS hypercall input value)
 * @input: input parameters, in this CPU's hypercall input page, or NULL
 * @output: output parameters, in this CPU's hypercall output page, or NULL
 *
 * Interrupts must be off while the per-CPU pages are in use.
 *
 * Return: the hypercall result value; U64_MAX if there is no hypercall page.
 */
u64 hv_do_hypercall(u64 control, void *input, void *output)
{
	u64 input_gpa = input ? virt_to_phys(input) : 0;
	u64 output_gpa = output ? virt_to_phys(output) : 0;
	u64 status;

	if (!hv_hypercall_pg)
		return U64_MAX;

	asm volatile("mov %[output_gpa], %%r8\n"
		     CALL_NOSPEC
		     : "=a" (status), ASM_CALL_CONSTRAINT,
		       "+c" (control), "+d" (input_gpa)
		     : [output_gpa] "r" (output_gpa),
		       THUNK_TARGET(hv_hypercall_pg)
		     : "cc", "memory", "r8", "r9", "r10", "r11");
	return status;
}
HV_IC_EXPORT(hv_do_hypercall);

/**
 * hv_do_fast_hypercall8() - make a register-based hypercall, 8 input bytes
 * @code: call code
 * @input: the input parameters
 *
 * Return: the hypercall result value; U64_MAX if there is no hypercall page.
 */
u64 hv_do_fast_hypercall8(u16 code, u64 input)
{
	u64 control = (u64)code | HV_HYPERCALL_FAST_BIT;
	u64 status;

	if (!hv_hypercall_pg)
		return U64_MAX;

	asm volatile(CALL_NOSPEC
		     : "=a" (status), ASM_CALL_CONSTRAINT,
		       "+c" (control), "+d" (input)
		     : THUNK_TARGET(hv_hypercall_pg)
		     : "cc", "r8", "r9", "r10", "r11");
	return status;
}
HV_IC_EXPORT(hv_do_fast_hypercall8);

/**
 * hv_do_fast_hypercall16() - make a register-based hypercall, 16 input bytes
 * @code: call code
 * @input1: the first 8 bytes of input
 * @input2: the second 8 bytes of input
 *
 * Return: the hypercall result value; U64_MAX if there is no hypercall page.
 */
u64 hv_do_fast_hypercall16(u16 code, u64 input1, u64 input2)
{
	u64 control = (u64)code | HV_HYPERCALL_FAST_BIT;
	u64 status;

	if (!hv_hypercall_pg)
		return U64_MAX;

	asm volatile("mov %[input2], %%r8\n"
		     CALL_NOSPEC
		     : "=a" (status), ASM_CALL_CONSTRAINT,
		       "+c" (control), "+d" (input1)
		     : [input2] "r" (input2),
		       THUNK_TARGET(hv_hypercall_pg)
		     : "cc", "r8", "r9", "r10", "r11");
	return status;
}
HV_IC_EXPORT(hv_do_fast_hypercall16);

/**
 * hv_hypercall_input_page() - this CPU's hypercall input page
 *
 * Call with interrupts disabled and keep them disabled until the
 * hypercall that uses the page has returned.
 *
 * Return: a zero-filled page-sized buffer, NULL if the CPU has none.
 */
void *hv_hypercall_input_page(void)
{
	lockdep_assert_irqs_disabled();
	return this_cpu_read(hv_platform_cpu.hc_input);
}
HV_IC_EXPORT(hv_hypercall_input_page);

/**
 * hv_hypercall_output_page() - this CPU's hypercall output page
 *
 * Same rules as hv_hypercall_input_page().
 *
 * Return: a page-sized buffer, NULL if the CPU has none.
 */
void *hv_hypercall_output_page(void)
{
	lockdep_assert_irqs_disabled();
	return this_cpu_read(hv_platform_cpu.hc_output);
}
HV_IC_EXPORT(hv_hypercall_output_page);

/**
 * hv_vp_index() - the hypervisor's virtual processor index of a CPU
 * @cpu: Linux CPU number
 *
 * Return: the VP index, or U32_MAX if the CPU has not been set up.
 */
u32 hv_vp_index(unsigned int cpu)
{
	return READ_ONCE(per_cpu(hv_platform_cpu, cpu).vp_index);
}
HV_IC_EXPORT(hv_vp_index);

/*
 * A round trip through the hypercall page for each calling convention, with
 * arguments the host must reject in a known way.  Answers show that the
 * page works and that status codes come back where we read them.
 */
bool hv_hypercall_selftest(struct hv_hypercall_check *res)
{
	struct hv_input_signal_event ev = {
		.connection_id = HV_PROBE_CONNECTION_ID,
	};
	struct hv_input_post_message *msg;
	unsigned long flags;
	bool all = true;
	u64 raw, fast_input;
	int i;

	/* Fast, 8 bytes: HvSignalEvent to a connection that does not exist */
	BUILD_BUG_ON(sizeof(ev) != sizeof(fast_input));
	memcpy(&fast_input, &ev, sizeof(ev));
	raw = hv_do_fast_hypercall8(HVCALL_SIGNAL_EVENT, fast_input);
	res[0].name = "signal_event_fast8";
	res[0].expected = HV_STATUS_INVALID_CONNECTION_ID;
	res[0].status = hv_result(raw);

	/* Slow: HvPostMessage through the input page, same connection */
	local_irq_save(flags);
	msg = hv_hypercall_input_page();
	if (msg) {
		memset(msg, 0, sizeof(*msg));
		msg->connection_id = HV_PROBE_CONNECTION_ID;
		msg->message_type = 1;
		msg->payload_size = sizeof(msg->payload[0]);
		msg->payload[0] = 0x6369766879707968ULL;
		raw = hv_do_hypercall(HVCALL_POST_MESSAGE, msg, NULL);
	} else {
		raw = U64_MAX;
	}
	local_irq_restore(flags);
	res[1].name = "post_message_slow";
	res[1].expected = HV_STATUS_INVALID_CONNECTION_ID;
	res[1].status = hv_result(raw);

	/* Fast, 16 bytes: a call code nobody implements */
	raw = hv_do_fast_hypercall16(HV_PROBE_CALL_CODE, 0, 0);
	res[2].name = "unknown_code_fast16";
	res[2].expected = HV_STATUS_INVALID_HYPERCALL_CODE;
	res[2].status = hv_result(raw);

	for (i = 0; i < HV_HYPERCALL_CHECKS; i++) {
		res[i].pass = res[i].status == res[i].expected;
		all &= res[i].pass;
	}
	return all;
}

/* ------------------------------------------------------------------ */
/* Detection                                                          */
/* ------------------------------------------------------------------ */

static void hv_vendor_string(u32 ebx, u32 ecx, u32 edx, char *out)
{
	int i;

	memcpy(out, &ebx, 4);
	memcpy(out + 4, &ecx, 4);
	memcpy(out + 8, &edx, 4);
	out[12] = '\0';
	for (i = 0; i < 12; i++)
		if (out[i] && !isprint(out[i]))
			out[i] = '?';
}

static int hv_detect(void)
{
	u32 eax, ebx, ecx, edx, missing;

	if (!boot_cpu_has(X86_FEATURE_HYPERVISOR)) {
		pr_err("not running under a hypervisor (CPUID.1:ECX.31 clear); not loading\n");
		return -ENODEV;
	}

	cpuid(HV_CPUID_VENDOR_AND_MAX, &eax, &ebx, &ecx, &edx);
	hv_vendor_string(ebx, ecx, edx, hv_info.vendor);
	if (ebx != HV_CPUID_SIGNATURE_EBX || ecx != HV_CPUID_SIGNATURE_ECX ||
	    edx != HV_CPUID_SIGNATURE_EDX) {
		pr_err("hypervisor \"%s\" is not Hyper-V; not loading\n",
		       hv_info.vendor);
		return -ENODEV;
	}
	if (eax < HV_CPUID_IMPLEMENT_LIMITS || eax > HV_CPUID_VENDOR_AND_MAX + 0xff) {
		pr_err("Hyper-V reports implausible maximum CPUID leaf %#x; not loading\n",
		       eax);
		return -ENODEV;
	}
	hv_info.max_leaf = eax;

	cpuid(HV_CPUID_INTERFACE, &eax, &ebx, &ecx, &edx);
	if (eax != HV_CPUID_INTERFACE_HV1) {
		pr_err("hypervisor interface %#x is not \"Hv#1\"; not loading\n",
		       eax);
		return -ENODEV;
	}

	cpuid(HV_CPUID_VERSION, &eax, &ebx, &ecx, &edx);
	hv_info.build = eax;
	hv_info.major = ebx >> 16;
	hv_info.minor = ebx & 0xffff;
	hv_info.service_pack = ecx;

	cpuid(HV_CPUID_FEATURES, &hv_info.features[0], &hv_info.features[1],
	      &hv_info.features[2], &hv_info.features[3]);
	cpuid(HV_CPUID_ENLIGHTENMENT_INFO, &hv_info.hints, &ebx, &ecx, &edx);
	cpuid(HV_CPUID_IMPLEMENT_LIMITS, &hv_info.max_vps, &hv_info.max_lps,
	      &ecx, &edx);

	missing = HV_REQUIRED_MSRS & ~hv_info.features[0];
	if (missing) {
		pr_err("Hyper-V %u.%u.%u lacks required features (CPUID 0x40000003 EAX %#010x, missing %#x: hypercall, VP index, SynIC, TIME_REF_COUNT needed); not loading\n",
		       hv_info.major, hv_info.minor, hv_info.build,
		       hv_info.features[0], missing);
		return -ENODEV;
	}
	return 0;
}

/* Open-source guest OS id (TLFS): Linux, kernel version, our build */
static u64 hv_make_guest_os_id(void)
{
	return HV_GUEST_OS_ID_OPENSOURCE |
	       (HV_GUEST_OS_TYPE_LINUX << HV_GUEST_OS_TYPE_SHIFT) |
	       (((u64)LINUX_VERSION_CODE & HV_GUEST_OS_KVER_MASK) <<
		HV_GUEST_OS_KVER_SHIFT) |
	       (HV_IC_BUILD_NUMBER & HV_GUEST_OS_BUILD_MASK);
}

/* ------------------------------------------------------------------ */
/* Hypercall page                                                     */
/* ------------------------------------------------------------------ */

static bool hv_page_is_endbr(const u8 *p)
{
	static const u8 endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };

	return !memcmp(p, endbr64, sizeof(endbr64));
}

static void hv_hypercall_msr_disable(void)
{
	u64 val;

	if (rdmsrl_safe(HV_X64_MSR_HYPERCALL, &val))
		return;
	val &= ~(HV_HYPERCALL_ENABLE | HV_HYPERCALL_LOCKED);
	if (wrmsrl_safe(HV_X64_MSR_HYPERCALL, val))
		pr_warn("could not disable the hypercall page\n");
}

static int hv_hypercall_page_enable(void)
{
	const u8 *page = hv_hypercall_page;
	u64 gpa, val, want;

	if (offset_in_page(page)) {
		pr_err("the hypercall page is not page aligned\n");
		return -EINVAL;
	}
#ifdef MODULE
	gpa = PFN_PHYS(vmalloc_to_pfn(page));
#else
	/* Built into a test kernel: the page is in the kernel image */
	gpa = __pa_symbol(hv_hypercall_page);
#endif
	if (!gpa) {
		pr_err("no physical address for the hypercall page\n");
		return -EFAULT;
	}

	if (rdmsrl_safe(HV_X64_MSR_HYPERCALL, &val)) {
		pr_err("HV_X64_MSR_HYPERCALL is not readable\n");
		return -EIO;
	}
	if (val & HV_HYPERCALL_LOCKED) {
		pr_err("the hypercall MSR is locked (%#llx); not loading\n", val);
		return -EBUSY;
	}
	/* Keep reserved bits 11:2, set our page and the enable bit */
	want = (val & (HV_PAGE_SIZE - 1) & ~HV_HYPERCALL_ENABLE) | gpa |
	       HV_HYPERCALL_ENABLE;
	if (wrmsrl_safe(HV_X64_MSR_HYPERCALL, want) ||
	    rdmsrl_safe(HV_X64_MSR_HYPERCALL, &val)) {
		pr_err("the host refused HV_X64_MSR_HYPERCALL = %#llx\n", want);
		return -EIO;
	}
	if (!(val & HV_HYPERCALL_ENABLE) ||
	    (val >> HV_HYPERCALL_PFN_SHIFT) != (gpa >> HV_HYPERCALL_PFN_SHIFT)) {
		pr_err("HV_X64_MSR_HYPERCALL reads %#llx after writing %#llx\n",
		       val, want);
		goto disable;
	}

	/* The host wrote the page through its GPA: it is no longer all int3 */
	if (READ_ONCE(page[0]) == 0xcc) {
		pr_err("the host did not fill the hypercall page at GPA %#llx\n",
		       gpa);
		goto disable;
	}
	/* Indirect branches must land on ENDBR64 when IBT is enforced */
	if (cpu_feature_enabled(X86_FEATURE_IBT) && !hv_page_is_endbr(page)) {
		pr_err("IBT is enabled but the host's hypercall page does not start with ENDBR64; not loading\n");
		goto disable;
	}

	hv_info.hypercall_gpa = gpa;
	WRITE_ONCE(hv_hypercall_pg, (void *)page);
	return 0;

disable:
	hv_hypercall_msr_disable();
	return -EIO;
}

/* ------------------------------------------------------------------ */
/* Per-CPU state                                                      */
/* ------------------------------------------------------------------ */

static int hv_platform_cpu_online(unsigned int cpu)
{
	struct hv_platform_cpu *pc = per_cpu_ptr(&hv_platform_cpu, cpu);
	void *in, *out;
	unsigned long flags;
	u64 vp = 0;

	if (rdmsrl_safe(HV_X64_MSR_VP_INDEX, &vp) || vp >= U32_MAX) {
		pr_err("CPU %u: no valid VP index (%#llx)\n", cpu, vp);
		return -EIO;
	}

	in = (void *)get_zeroed_page(GFP_KERNEL);
	out = (void *)get_zeroed_page(GFP_KERNEL);
	if (!in || !out) {
		free_page((unsigned long)in);
		free_page((unsigned long)out);
		return -ENOMEM;
	}

	local_irq_save(flags);
	pc->hc_input = in;
	pc->hc_output = out;
	WRITE_ONCE(pc->vp_index, (u32)vp);
	local_irq_restore(flags);
	return 0;
}

static int hv_platform_cpu_offline(unsigned int cpu)
{
	struct hv_platform_cpu *pc = per_cpu_ptr(&hv_platform_cpu, cpu);
	unsigned long flags;
	void *in, *out;

	/* Runs on @cpu: with interrupts off no hypercall is using the pages */
	local_irq_save(flags);
	in = pc->hc_input;
	out = pc->hc_output;
	pc->hc_input = NULL;
	pc->hc_output = NULL;
	WRITE_ONCE(pc->vp_index, HV_VP_INDEX_UNKNOWN);
	local_irq_restore(flags);

	free_page((unsigned long)in);
	free_page((unsigned long)out);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Init and exit                                                      */
/* ------------------------------------------------------------------ */

int hv_platform_init(void)
{
	u64 old;
	int ret;

	ret = hv_detect();
	if (ret)
		return ret;

	/* The guest OS id comes first: the hypercall page needs it */
	if (!rdmsrl_safe(HV_X64_MSR_GUEST_OS_ID, &old) && old)
		pr_info("guest OS id was already set (%#llx); replacing it\n",
			old);
	hv_info.guest_os_id = hv_make_guest_os_id();
	if (wrmsrl_safe(HV_X64_MSR_GUEST_OS_ID, hv_info.guest_os_id)) {
		pr_err("the host refused the guest OS id %#llx\n",
		       hv_info.guest_os_id);
		return -EIO;
	}

	ret = hv_hypercall_page_enable();
	if (ret)
		goto clear_os_id;

	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "hv_vmbus/platform:online",
				hv_platform_cpu_online, hv_platform_cpu_offline);
	if (ret < 0) {
		pr_err("per-CPU setup failed: %d\n", ret);
		goto disable_hypercall;
	}
	hv_platform_cpuhp_state = ret;
	return 0;

disable_hypercall:
	WRITE_ONCE(hv_hypercall_pg, NULL);
	hv_hypercall_msr_disable();
clear_os_id:
	wrmsrl_safe(HV_X64_MSR_GUEST_OS_ID, 0);
	return ret;
}

void hv_platform_exit(void)
{
	cpuhp_remove_state(hv_platform_cpuhp_state);
	/* Nothing may call into the page once our text can go away */
	WRITE_ONCE(hv_hypercall_pg, NULL);
	hv_hypercall_msr_disable();
	wrmsrl_safe(HV_X64_MSR_GUEST_OS_ID, 0);
}
