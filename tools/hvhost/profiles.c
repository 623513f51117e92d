// SPDX-License-Identifier: GPL-2.0
/*
 * hvhost: host profiles.  Each profile is what one Windows Server release
 * shows a guest: the CPUID 0x40000002 version, the era's features, and the
 * VMBus protocol versions its host side accepts.
 *
 * Only features hvhost emulates are advertised.  The table, the sources and
 * the deliberate deviations (auto-EOI hint on every profile, no
 * TSC_INVARIANT, no APIC-access or TLB-flush enlightenments) are in
 * Documentation/hvhost-platform.md.
 */
#include <stddef.h>
#include <string.h>

#include <hyperv/tlfs.h>

#include "hv_internal.h"

#define V(maj, min)	HVHOST_VMBUS_VERSION(maj, min)

/* Every VMBus version a host accepts: its own and all older ones. */
static const uint32_t vmbus_ws2008[] = { V(0, 13) };
static const uint32_t vmbus_ws2008r2[] = { V(1, 1), V(0, 13) };
static const uint32_t vmbus_ws2012[] = { V(2, 4), V(1, 1), V(0, 13) };
static const uint32_t vmbus_ws2012r2[] = {
	V(3, 0), V(2, 4), V(1, 1), V(0, 13)
};
static const uint32_t vmbus_ws2016[] = {
	V(4, 0), V(3, 0), V(2, 4), V(1, 1), V(0, 13)
};
static const uint32_t vmbus_ws2019[] = {
	V(5, 2), V(5, 1), V(5, 0), V(4, 1), V(4, 0),
	V(3, 0), V(2, 4), V(1, 1), V(0, 13)
};
/* ws2022 and ws2025: 5.3 is the newest version an upstream guest speaks */
static const uint32_t vmbus_ws2022[] = {
	V(5, 3), V(5, 2), V(5, 1), V(5, 0), V(4, 1), V(4, 0),
	V(3, 0), V(2, 4), V(1, 1), V(0, 13)
};

#define NR(a)	((int)(sizeof(a) / sizeof((a)[0])))

/* Privileges every profile has: the SynIC, its timers, reference time */
#define BASE_EAX	(HV_MSR_TIME_REF_COUNT_AVAILABLE | \
			 HV_MSR_SYNIC_AVAILABLE | \
			 HV_MSR_SYNTIMER_AVAILABLE | \
			 HV_MSR_HYPERCALL_AVAILABLE | \
			 HV_MSR_VP_INDEX_AVAILABLE)
#define BASE_EBX	(HV_POST_MESSAGES | HV_SIGNAL_EVENTS)
/*
 * Relaxed timing is a pure recommendation.  The deprecating-AEOI hint is
 * on every profile because hvhost cannot emulate auto-EOI with KVM's
 * in-kernel LAPIC (see the documentation).
 */
#define BASE_HINTS	(HV_X64_RELAXED_TIMING_RECOMMENDED | \
			 HV_DEPRECATING_AEOI_RECOMMENDED)

/* WS2012 R2 (TLFS 4.0): reference TSC page, guest crash MSRs */
#define R2_EAX		(BASE_EAX | HV_MSR_REFERENCE_TSC_AVAILABLE)
#define R2_EDX		(HV_FEATURE_GUEST_CRASH_MSR_AVAILABLE)
/* WS2016 (TLFS 5.0): frequency MSRs, stimer direct mode */
#define W16_EAX		(R2_EAX | HV_ACCESS_FREQUENCY_MSRS)
#define W16_EDX		(R2_EDX | HV_FEATURE_FREQUENCY_MSRS_AVAILABLE | \
			 HV_STIMER_DIRECT_MODE_AVAILABLE)

static const struct hv_profile profiles[] = {
	{
		.name = "ws2008", .product = "Windows Server 2008",
		.major = 6, .minor = 0, .build = 6001, .service_pack = 1,
		.features_eax = BASE_EAX, .features_ebx = BASE_EBX,
		.hints_eax = BASE_HINTS,
		.spin_retries = HVHOST_SPIN_RETRIES_NEVER,
		.max_vps = 4, .max_lps = 16,
		.vmbus_versions = vmbus_ws2008,
		.nr_vmbus_versions = NR(vmbus_ws2008),
	},
	{
		.name = "ws2008r2", .product = "Windows Server 2008 R2",
		.major = 6, .minor = 1, .build = 7600,
		.features_eax = BASE_EAX, .features_ebx = BASE_EBX,
		.hints_eax = BASE_HINTS,
		.spin_retries = HVHOST_SPIN_RETRIES_NEVER,
		.max_vps = 4, .max_lps = 64,
		.vmbus_versions = vmbus_ws2008r2,
		.nr_vmbus_versions = NR(vmbus_ws2008r2),
	},
	{
		.name = "ws2012", .product = "Windows Server 2012",
		.major = 6, .minor = 2, .build = 9200,
		.features_eax = BASE_EAX, .features_ebx = BASE_EBX,
		.hints_eax = BASE_HINTS,
		.spin_retries = HVHOST_SPIN_RETRIES_NEVER,
		.max_vps = 64, .max_lps = 320,
		.vmbus_versions = vmbus_ws2012,
		.nr_vmbus_versions = NR(vmbus_ws2012),
	},
	{
		.name = "ws2012r2", .product = "Windows Server 2012 R2",
		.major = 6, .minor = 3, .build = 9600,
		.features_eax = R2_EAX, .features_ebx = BASE_EBX,
		.features_edx = R2_EDX,
		.hints_eax = BASE_HINTS,
		.spin_retries = HVHOST_SPIN_RETRIES_NEVER,
		.max_vps = 64, .max_lps = 320,
		.vmbus_versions = vmbus_ws2012r2,
		.nr_vmbus_versions = NR(vmbus_ws2012r2),
	},
	{
		.name = "ws2016", .product = "Windows Server 2016",
		.major = 10, .minor = 0, .build = 14393,
		.features_eax = W16_EAX, .features_ebx = BASE_EBX,
		.features_edx = W16_EDX,
		.hints_eax = BASE_HINTS,
		.spin_retries = HVHOST_SPIN_RETRIES_NEVER,
		.max_vps = 240, .max_lps = 512,
		.vmbus_versions = vmbus_ws2016,
		.nr_vmbus_versions = NR(vmbus_ws2016),
	},
	{
		.name = "ws2019", .product = "Windows Server 2019",
		.major = 10, .minor = 0, .build = 17763,
		.features_eax = W16_EAX, .features_ebx = BASE_EBX,
		.features_edx = W16_EDX,
		.hints_eax = BASE_HINTS,
		.spin_retries = HVHOST_SPIN_RETRIES_NEVER,
		.max_vps = 240, .max_lps = 512,
		.flags = HV_PROF_CRASH_NOTIFY_MSG,
		.vmbus_versions = vmbus_ws2019,
		.nr_vmbus_versions = NR(vmbus_ws2019),
	},
	{
		.name = "ws2022", .product = "Windows Server 2022",
		.major = 10, .minor = 0, .build = 20348,
		.features_eax = W16_EAX, .features_ebx = BASE_EBX,
		.features_edx = W16_EDX,
		.hints_eax = BASE_HINTS,
		.spin_retries = HVHOST_SPIN_RETRIES_NEVER,
		.max_vps = 240, .max_lps = 1024,
		.flags = HV_PROF_CRASH_NOTIFY_MSG,
		.vmbus_versions = vmbus_ws2022,
		.nr_vmbus_versions = NR(vmbus_ws2022),
	},
	{
		.name = "ws2025", .product = "Windows Server 2025",
		.major = 10, .minor = 0, .build = 26100,
		.features_eax = W16_EAX, .features_ebx = BASE_EBX,
		.features_edx = W16_EDX,
		.hints_eax = BASE_HINTS,
		.spin_retries = HVHOST_SPIN_RETRIES_NEVER,
		.max_vps = 2048, .max_lps = 2048,
		.flags = HV_PROF_CRASH_NOTIFY_MSG,
		.vmbus_versions = vmbus_ws2022,
		.nr_vmbus_versions = NR(vmbus_ws2022),
	},
};

const struct hv_profile *hv_profile_find(const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if (!strcmp(profiles[i].name, name))
			return &profiles[i];
	return NULL;
}

const char *hv_profile_name(const struct hv_profile *p)
{
	return p ? p->name : "?";
}

const char *hv_profile_names(void)
{
	return "ws2008,ws2008r2,ws2012,ws2012r2,ws2016,ws2019,ws2022,ws2025";
}

const uint32_t *hv_profile_vmbus_versions(const struct hv_profile *p, int *n)
{
	if (!p) {
		if (n)
			*n = 0;
		return NULL;
	}
	if (n)
		*n = p->nr_vmbus_versions;
	return p->vmbus_versions;
}
