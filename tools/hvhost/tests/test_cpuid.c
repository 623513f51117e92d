// SPDX-License-Identifier: GPL-2.0
/*
 * Host profiles: CPUID leaves 0x40000000-0x400000FF per profile, the
 * features of each era, what is never advertised, VMBus version lists.
 */
#include "fake_host.h"

struct expect {
	const char *name;
	uint16_t major, minor;
	uint32_t build;
	bool tsc_page;
	bool freq_msrs;
	bool direct_stimer;
	bool crash_msrs;
	uint32_t vmbus_newest;
	int nr_vmbus;
};

#define V HVHOST_VMBUS_VERSION

static const struct expect expects[] = {
	{ "ws2008",   6, 0,  6001, false, false, false, false, V(0, 13), 1 },
	{ "ws2008r2", 6, 1,  7600, false, false, false, false, V(1, 1), 2 },
	{ "ws2012",   6, 2,  9200, false, false, false, false, V(2, 4), 3 },
	{ "ws2012r2", 6, 3,  9600, true,  false, false, true,  V(3, 0), 4 },
	{ "ws2016",  10, 0, 14393, true,  true,  true,  true,  V(4, 0), 5 },
	{ "ws2019",  10, 0, 17763, true,  true,  true,  true,  V(5, 2), 9 },
	{ "ws2022",  10, 0, 20348, true,  true,  true,  true,  V(5, 3), 10 },
	{ "ws2025",  10, 0, 26100, true,  true,  true,  true,  V(5, 3), 10 },
};

/* Never advertised: hvhost does not emulate these */
#define NEVER_EAX	(HV_MSR_VP_RUNTIME_AVAILABLE | \
			 HV_MSR_APIC_ACCESS_AVAILABLE | \
			 HV_MSR_RESET_AVAILABLE | HV_MSR_STAT_PAGES_AVAILABLE | \
			 HV_MSR_GUEST_IDLE_AVAILABLE | \
			 HV_ACCESS_REENLIGHTENMENT | HV_ACCESS_TSC_INVARIANT)
#define NEVER_EBX	(HV_CREATE_PARTITIONS | HV_ACCESS_PARTITION_ID | \
			 HV_ACCESS_MEMORY_POOL | HV_ADJUST_MESSAGE_BUFFERS | \
			 HV_CREATE_PORT | HV_CONNECT_PORT | HV_ACCESS_STATS | \
			 HV_DEBUGGING | HV_CPU_MANAGEMENT | \
			 HV_ENABLE_EXTENDED_HYPERCALLS | HV_ISOLATION)
#define NEVER_EDX	(HV_X64_MWAIT_AVAILABLE | \
			 HV_X64_GUEST_DEBUGGING_AVAILABLE | \
			 HV_X64_PERF_MONITOR_AVAILABLE | \
			 HV_X64_CPU_DYNAMIC_PARTITIONING | \
			 HV_X64_HYPERCALL_XMM_INPUT_AVAILABLE | \
			 HV_X64_GUEST_IDLE_STATE_AVAILABLE | \
			 HV_FEATURE_DEBUG_MSRS_AVAILABLE | \
			 HV_X64_HYPERCALL_XMM_OUTPUT_AVAILABLE)
#define NEVER_HINTS	(HV_X64_AS_SWITCH_RECOMMENDED | \
			 HV_X64_LOCAL_TLB_FLUSH_RECOMMENDED | \
			 HV_X64_REMOTE_TLB_FLUSH_RECOMMENDED | \
			 HV_X64_APIC_ACCESS_RECOMMENDED | \
			 HV_X64_SYSTEM_RESET_RECOMMENDED | \
			 HV_X64_CLUSTER_IPI_RECOMMENDED | \
			 HV_X64_EX_PROCESSOR_MASKS_RECOMMENDED | \
			 HV_X64_ENLIGHTENED_VMCS_RECOMMENDED | \
			 (1U << 12) /* nested hypervisor */)

static void check_profile(const struct expect *e)
{
	struct hv *hv;
	uint32_t r[4];
	const uint32_t *vers;
	uint32_t leaf;
	bool ok;
	int n, i;

	fake_reset(1000);
	hv = fake_hv(e->name, 1);
	CHECK(hv, "%s: hv_create", e->name);
	if (!hv)
		return;
	CHECK(!strcmp(hv_profile_name(hv_profile_find(e->name)), e->name),
	      "%s: name round trip", e->name);

	CHECK(hv_cpuid(hv, 0x40000000, 0, r) && r[0] == 0x4000000A &&
	      !memcmp(&r[1], "Microsoft Hv", 12),
	      "%s: 0x40000000 max leaf 0x%x, \"Microsoft Hv\"", e->name, r[0]);
	CHECK(hv_cpuid(hv, 0x40000001, 0, r) && !memcmp(&r[0], "Hv#1", 4) &&
	      !r[1] && !r[2] && !r[3], "%s: 0x40000001 \"Hv#1\"", e->name);
	CHECK(hv_cpuid(hv, 0x40000002, 0, r) && r[0] == e->build &&
	      r[1] == ((uint32_t)e->major << 16 | e->minor),
	      "%s: version %u.%u.%u", e->name, r[1] >> 16, r[1] & 0xffff,
	      r[0]);

	hv_cpuid(hv, 0x40000003, 0, r);
	CHECK((r[0] & HV_MSR_HYPERCALL_AVAILABLE) &&
	      (r[0] & HV_MSR_VP_INDEX_AVAILABLE) &&
	      (r[0] & HV_MSR_TIME_REF_COUNT_AVAILABLE) &&
	      (r[0] & HV_MSR_SYNIC_AVAILABLE) &&
	      (r[0] & HV_MSR_SYNTIMER_AVAILABLE),
	      "%s: hypercall, VP index, ref count, SynIC, stimer MSRs",
	      e->name);
	CHECK((r[1] & HV_POST_MESSAGES) && (r[1] & HV_SIGNAL_EVENTS),
	      "%s: PostMessage and SignalEvent privileges", e->name);
	CHECK(!!(r[0] & HV_MSR_REFERENCE_TSC_AVAILABLE) == e->tsc_page,
	      "%s: reference TSC page %s", e->name,
	      e->tsc_page ? "offered" : "absent");
	CHECK(!!(r[0] & HV_ACCESS_FREQUENCY_MSRS) == e->freq_msrs &&
	      !!(r[3] & HV_FEATURE_FREQUENCY_MSRS_AVAILABLE) == e->freq_msrs,
	      "%s: frequency MSRs %s", e->name,
	      e->freq_msrs ? "offered" : "absent");
	CHECK(!!(r[3] & HV_STIMER_DIRECT_MODE_AVAILABLE) == e->direct_stimer,
	      "%s: stimer direct mode %s", e->name,
	      e->direct_stimer ? "offered" : "absent");
	CHECK(!!(r[3] & HV_FEATURE_GUEST_CRASH_MSR_AVAILABLE) == e->crash_msrs,
	      "%s: crash MSRs %s", e->name,
	      e->crash_msrs ? "offered" : "absent");
	CHECK(!(r[0] & NEVER_EAX) && !(r[1] & NEVER_EBX) &&
	      !(r[3] & NEVER_EDX) && !r[2],
	      "%s: nothing unemulated advertised (0x%x 0x%x 0x%x 0x%x)",
	      e->name, r[0], r[1], r[2], r[3]);

	hv_cpuid(hv, 0x40000004, 0, r);
	CHECK((r[0] & HV_DEPRECATING_AEOI_RECOMMENDED) &&
	      !(r[0] & NEVER_HINTS) && r[1] == 0xffffffffU,
	      "%s: hints 0x%x (deprecating AEOI, no APIC/TLB/IPI hints), "
	      "spin retries never", e->name, r[0]);
	hv_cpuid(hv, 0x40000005, 0, r);
	CHECK(r[0] >= 4 && r[1] >= r[0] / 16, "%s: limits %u VPs %u LPs",
	      e->name, r[0], r[1]);

	ok = true;
	for (leaf = 0x40000006; leaf <= 0x400000FF; leaf++)
		ok &= hv_cpuid(hv, leaf, 0, r) && !r[0] && !r[1] && !r[2] &&
		      !r[3];
	CHECK(ok, "%s: leaves 0x40000006-0x400000FF are zero", e->name);
	CHECK(!hv_cpuid(hv, 0x40000100, 0, r) && !hv_cpuid(hv, 0x3fffffff, 0, r),
	      "%s: leaves outside the range are not ours", e->name);

	vers = hv_profile_vmbus_versions(hv_profile_find(e->name), &n);
	ok = vers && n == e->nr_vmbus && vers[0] == e->vmbus_newest &&
	     vers[n - 1] == V(0, 13);
	for (i = 1; ok && i < n; i++)
		ok = vers[i] < vers[i - 1];
	CHECK(ok, "%s: VMBus versions %u.%u ... 0.13 (%d), newest first",
	      e->name, vers ? vers[0] >> 16 : 0, vers ? vers[0] & 0xffff : 0,
	      n);
	hv_destroy(hv);
}

int main(void)
{
	const char *names = hv_profile_names();
	struct hv_host_ops bad;
	size_t i;

	for (i = 0; i < sizeof(expects) / sizeof(expects[0]); i++) {
		check_profile(&expects[i]);
		CHECK(strstr(names, expects[i].name), "%s listed in \"%s\"",
		      expects[i].name, names);
	}
	CHECK(!hv_profile_find("ws2003") && !hv_profile_find("") &&
	      !hv_profile_find(NULL), "unknown profiles are refused");

	/* hv_create argument checks */
	fake_reset(0);
	CHECK(!fake_hv("ws2008", 5), "ws2008 refuses 5 virtual processors");
	CHECK(!fake_hv("ws2025", 0), "0 virtual processors refused");
	memset(&bad, 0, sizeof(bad));
	bad.gpa = fake_gpa;
	bad.irq = fake_irq;
	bad.guest_tsc = fake_tsc;
	bad.log = fake_log;
	bad.nr_vcpus = 1;
	bad.tsc_khz = 10000;
	CHECK(!hv_create(hv_profile_find("ws2025"), &bad),
	      "TSC of 10 MHz refused (scale would not fit)");
	bad.tsc_khz = FAKE_TSC_KHZ;
	bad.log = NULL;
	CHECK(!hv_create(hv_profile_find("ws2025"), &bad),
	      "missing log op refused");
	return tap_done();
}
