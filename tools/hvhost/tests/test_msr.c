// SPDX-License-Identifier: GPL-2.0
/*
 * Synthetic MSR rules: #GP on unknown, reserved and read-only, the
 * hypercall page (needs a guest OS id, contents, lock), page GPAs outside
 * RAM, per-profile availability, per-VP state, crash reporting.
 */
#include "fake_host.h"

#define OS_ID	0x8100060100000000ULL

static void test_basic(void)
{
	struct hv *hv;
	uint64_t v;
	uint8_t *pg;
	static const uint8_t code[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0xe6,
					HVHOST_HYPERCALL_PORT, 0xc3 };
	bool ok;
	int i;

	fake_reset(12345);
	hv = fake_hv("ws2025", 2);
	pg = fh.ram + GPA_HYPERCALL;

	CHECK(rd(hv, 0, HV_X64_MSR_GUEST_OS_ID) == 0 &&
	      rd(hv, 0, HV_X64_MSR_HYPERCALL) == 0, "initial OS id and hypercall 0");
	CHECK(rd(hv, 0, HV_X64_MSR_VP_INDEX) == 0 &&
	      rd(hv, 1, HV_X64_MSR_VP_INDEX) == 1, "VP_INDEX is the vCPU index");
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_VP_INDEX, 1) == -1, "VP_INDEX write #GP");
	CHECK(hv_rdmsr(hv, 2, HV_X64_MSR_VP_INDEX, &v) == -1 &&
	      hv_wrmsr(hv, 7, HV_X64_MSR_GUEST_OS_ID, 1) == -1,
	      "VP number out of range refused");

	/* hypercall page before the guest identified itself */
	memset(pg, 0x55, 4096);
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_HYPERCALL,
		       GPA_HYPERCALL | HV_HYPERCALL_ENABLE) == 0 &&
	      rd(hv, 0, HV_X64_MSR_HYPERCALL) == GPA_HYPERCALL &&
	      pg[0] == 0x55,
	      "hypercall enable ignored while guest OS id is 0");

	CHECK(hv_wrmsr(hv, 1, HV_X64_MSR_GUEST_OS_ID, OS_ID) == 0 &&
	      rd(hv, 0, HV_X64_MSR_GUEST_OS_ID) == OS_ID,
	      "guest OS id is partition wide");
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_HYPERCALL,
		       GPA_HYPERCALL | HV_HYPERCALL_ENABLE) == 0 &&
	      rd(hv, 1, HV_X64_MSR_HYPERCALL) ==
	      (GPA_HYPERCALL | HV_HYPERCALL_ENABLE),
	      "hypercall page enabled");
	ok = !memcmp(pg, code, sizeof(code));
	for (i = sizeof(code); i < 4096; i++)
		ok &= pg[i] == 0xcc;
	CHECK(ok, "hypercall page: endbr64; out 0x%x, al; ret; int3...",
	      HVHOST_HYPERCALL_PORT);

	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_HYPERCALL,
		       GPA_OUTSIDE | HV_HYPERCALL_ENABLE) == -1 &&
	      rd(hv, 0, HV_X64_MSR_HYPERCALL) ==
	      (GPA_HYPERCALL | HV_HYPERCALL_ENABLE),
	      "hypercall page outside RAM: #GP, MSR unchanged");
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_HYPERCALL,
		       0xfffffffffffff000ULL | HV_HYPERCALL_ENABLE) == -1,
	      "hypercall page at the top of the address space: #GP");
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_HYPERCALL,
		       GPA_HYPERCALL | HV_HYPERCALL_ENABLE | 0x4) == -1,
	      "hypercall MSR reserved bit: #GP");

	/* clearing the OS id disables the hypercall page */
	hv_wrmsr(hv, 0, HV_X64_MSR_GUEST_OS_ID, 0);
	CHECK(!(rd(hv, 0, HV_X64_MSR_HYPERCALL) & HV_HYPERCALL_ENABLE),
	      "guest OS id 0 disables the hypercall page");
	hv_wrmsr(hv, 0, HV_X64_MSR_GUEST_OS_ID, OS_ID);

	/* lock */
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_HYPERCALL, GPA_HYPERCALL |
		       HV_HYPERCALL_ENABLE | HV_HYPERCALL_LOCKED) == 0,
	      "hypercall MSR locked");
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_HYPERCALL, GPA_INPUT |
		       HV_HYPERCALL_ENABLE | HV_HYPERCALL_LOCKED) == -1 &&
	      hv_wrmsr(hv, 0, HV_X64_MSR_HYPERCALL, 0) == -1 &&
	      hv_wrmsr(hv, 0, HV_X64_MSR_HYPERCALL, GPA_HYPERCALL |
		       HV_HYPERCALL_ENABLE | HV_HYPERCALL_LOCKED) == 0,
	      "locked hypercall MSR: changes #GP, same value accepted");

	/* read-only and constant MSRs */
	CHECK(rd(hv, 0, HV_X64_MSR_SVERSION) == 1 &&
	      hv_wrmsr(hv, 0, HV_X64_MSR_SVERSION, 1) == -1,
	      "SVERSION reads 1, write #GP");
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_TIME_REF_COUNT, 0) == -1,
	      "TIME_REF_COUNT write #GP");
	CHECK(rd(hv, 0, HV_X64_MSR_TSC_FREQUENCY) == FAKE_TSC_KHZ * 1000 &&
	      rd(hv, 0, HV_X64_MSR_APIC_FREQUENCY) == FAKE_APIC_HZ,
	      "frequency MSRs on ws2025");
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_TSC_FREQUENCY, 1) == -1 &&
	      hv_wrmsr(hv, 0, HV_X64_MSR_APIC_FREQUENCY, 1) == -1,
	      "frequency MSR write #GP");
	CHECK(rd(hv, 0, HV_X64_MSR_EOM) == 0 &&
	      hv_wrmsr(hv, 0, HV_X64_MSR_EOM, 0x1234) == 0,
	      "EOM reads 0, any value written");

	/* unknown or not advertised */
	{
		static const uint32_t gp[] = {
			HV_X64_MSR_RESET, HV_X64_MSR_VP_RUNTIME,
			HV_X64_MSR_EOI, HV_X64_MSR_ICR, HV_X64_MSR_TPR,
			HV_X64_MSR_GUEST_IDLE,
			HV_X64_MSR_REENLIGHTENMENT_CONTROL,
			HV_X64_MSR_TSC_EMULATION_CONTROL,
			HV_X64_MSR_TSC_EMULATION_STATUS,
			HV_X64_MSR_TSC_INVARIANT_CONTROL,
			0x40000004, 0x40000085, 0x400000A0, 0x400000B8,
			0x40000106, 0x400001FF, 0x40000200, 0,
		};
		size_t k;

		ok = true;
		for (k = 0; k < sizeof(gp) / sizeof(gp[0]); k++)
			ok &= hv_rdmsr(hv, 0, gp[k], &v) == -1 &&
			      hv_wrmsr(hv, 0, gp[k], 0) == -1;
		CHECK(ok, "unemulated MSRs (reset, runtime, APIC, idle, "
		      "reenlightenment, TSC invariant, gaps) #GP both ways");
	}

	/* VP assist page: stored, per VP, validated */
	CHECK(hv_wrmsr(hv, 1, HV_X64_MSR_VP_ASSIST_PAGE,
		       GPA_ASSIST(1) | 1) == 0 &&
	      rd(hv, 1, HV_X64_MSR_VP_ASSIST_PAGE) == (GPA_ASSIST(1) | 1) &&
	      rd(hv, 0, HV_X64_MSR_VP_ASSIST_PAGE) == 0,
	      "VP assist page stored per VP");
	CHECK(hv_wrmsr(hv, 1, HV_X64_MSR_VP_ASSIST_PAGE, GPA_OUTSIDE | 1) == -1 &&
	      hv_wrmsr(hv, 1, HV_X64_MSR_VP_ASSIST_PAGE, GPA_ASSIST(1) | 2) == -1,
	      "VP assist page outside RAM / reserved bit: #GP");
	CHECK(hv_wrmsr(hv, 1, HV_X64_MSR_VP_ASSIST_PAGE, GPA_OUTSIDE) == 0,
	      "disabled VP assist page may point anywhere");

	/* SynIC MSRs */
	CHECK(rd(hv, 0, HV_X64_MSR_SINT(3)) == HV_SINT_MASKED,
	      "SINT reset value is masked");
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_SINT(3), 0x0f) == -1 &&
	      hv_wrmsr(hv, 0, HV_X64_MSR_SINT(3), 0) == -1,
	      "unmasked SINT with vector < 16: #GP");
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_SINT(3), HV_SINT_MASKED | 0x0f) == 0,
	      "masked SINT with vector < 16 accepted");
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_SINT(3), 0x30 | (1ULL << 19)) == -1 &&
	      hv_wrmsr(hv, 0, HV_X64_MSR_SINT(3), 0x30 | (1ULL << 63)) == -1,
	      "SINT reserved bits: #GP");
	CHECK(hv_wrmsr(hv, 1, HV_X64_MSR_SINT(3), 0x31) == 0 &&
	      rd(hv, 1, HV_X64_MSR_SINT(3)) == 0x31 &&
	      rd(hv, 0, HV_X64_MSR_SINT(3)) == (HV_SINT_MASKED | 0x0f),
	      "SINTs are per VP");
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_SCONTROL, 3) == -1 &&
	      hv_wrmsr(hv, 0, HV_X64_MSR_SCONTROL, 1) == 0 &&
	      rd(hv, 0, HV_X64_MSR_SCONTROL) == 1 &&
	      rd(hv, 1, HV_X64_MSR_SCONTROL) == 0,
	      "SCONTROL: reserved #GP, per VP");
	memset(fh.ram + GPA_SIMP(0), 0x77, 4096);
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_SIMP, GPA_SIMP(0) | 1) == 0 &&
	      fh.ram[GPA_SIMP(0)] == 0 && fh.ram[GPA_SIMP(0) + 4095] == 0,
	      "SIMP enable clears the message page");
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_SIMP, GPA_OUTSIDE | 1) == -1 &&
	      hv_wrmsr(hv, 0, HV_X64_MSR_SIMP, GPA_SIMP(0) | 0x10) == -1 &&
	      rd(hv, 0, HV_X64_MSR_SIMP) == (GPA_SIMP(0) | 1),
	      "SIMP outside RAM / reserved: #GP, unchanged");
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_SIEFP, FAKE_RAM_SIZE - 4096 + 1) == 0 &&
	      hv_wrmsr(hv, 0, HV_X64_MSR_SIEFP, FAKE_RAM_SIZE | 1) == -1,
	      "SIEFP at the last RAM page ok, beyond RAM #GP");

	/* stimer config validation */
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_CONFIG(0), 1ULL << 20) == -1 &&
	      hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_CONFIG(0), 1ULL << 13) == -1,
	      "stimer config reserved bits: #GP");
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_CONFIG(0),
		       HV_STIMER_DIRECT_MODE | (0x0fULL << 4)) == -1,
	      "stimer direct mode with vector < 16: #GP");
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_CONFIG(2),
		       HV_STIMER_DIRECT_MODE | (0xedULL << 4)) == 0 &&
	      rd(hv, 0, HV_X64_MSR_STIMER_CONFIG(2)) ==
	      (HV_STIMER_DIRECT_MODE | (0xedULL << 4)),
	      "stimer direct mode accepted on ws2025");
	CHECK(hv_wrmsr(hv, 1, HV_X64_MSR_STIMER_COUNT(3), 777) == 0 &&
	      rd(hv, 1, HV_X64_MSR_STIMER_COUNT(3)) == 777 &&
	      rd(hv, 0, HV_X64_MSR_STIMER_COUNT(3)) == 0,
	      "stimer count per VP");

	/* crash MSRs */
	for (i = 0; i < 5; i++)
		hv_wrmsr(hv, 0, HV_X64_MSR_CRASH_P0 + i, 0x1000 + i);
	CHECK(rd(hv, 1, HV_X64_MSR_CRASH_P0 + 2) == 0x1002,
	      "crash parameters stored partition wide");
	CHECK(rd(hv, 0, HV_X64_MSR_CRASH_CTL) ==
	      (HV_CRASH_CTL_CRASH_NOTIFY | HV_CRASH_CTL_CRASH_NOTIFY_MSG),
	      "CRASH_CTL reads the capabilities");
	fh.nr_logs = 0;
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_CRASH_CTL,
		       HV_CRASH_CTL_CRASH_NOTIFY) == 0 &&
	      fh.nr_logs == 1 && strstr(fh.last_log, "P2=0x1002"),
	      "crash notify logs the parameters");
	/* with a message: P3 = GPA, P4 = length */
	strcpy((char *)fh.ram + GPA_INPUT, "Kernel panic - not syncing: test\n"
	       "second line\x01");
	hv_wrmsr(hv, 0, HV_X64_MSR_CRASH_P0 + 3, GPA_INPUT);
	hv_wrmsr(hv, 0, HV_X64_MSR_CRASH_P0 + 4, 46);
	fh.nr_logs = 0;
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_CRASH_CTL,
		       HV_CRASH_CTL_CRASH_NOTIFY |
		       HV_CRASH_CTL_CRASH_NOTIFY_MSG) == 0 &&
	      fh.nr_logs == 4 && strstr(fh.last_log, "second line?"),
	      "crash message logged line by line, sanitized");
	hv_wrmsr(hv, 0, HV_X64_MSR_CRASH_P0 + 3, GPA_OUTSIDE);
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_CRASH_CTL,
		       HV_CRASH_CTL_CRASH_NOTIFY |
		       HV_CRASH_CTL_CRASH_NOTIFY_MSG) == 0 &&
	      strstr(fh.last_log, "outside guest RAM"),
	      "crash message outside RAM reported, no crash");
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_CRASH_CTL, 1) == -1,
	      "CRASH_CTL reserved bit: #GP");

	hv_destroy(hv);
}

static void test_old_profiles(void)
{
	struct hv *hv;
	uint64_t v;

	fake_reset(0);
	hv = fake_hv("ws2008", 1);
	CHECK(hv_rdmsr(hv, 0, HV_X64_MSR_REFERENCE_TSC, &v) == -1 &&
	      hv_wrmsr(hv, 0, HV_X64_MSR_REFERENCE_TSC, GPA_TSC_PAGE | 1) == -1,
	      "ws2008: no reference TSC page MSR");
	CHECK(hv_rdmsr(hv, 0, HV_X64_MSR_TSC_FREQUENCY, &v) == -1 &&
	      hv_rdmsr(hv, 0, HV_X64_MSR_APIC_FREQUENCY, &v) == -1,
	      "ws2008: no frequency MSRs");
	CHECK(hv_rdmsr(hv, 0, HV_X64_MSR_CRASH_CTL, &v) == -1 &&
	      hv_wrmsr(hv, 0, HV_X64_MSR_CRASH_P0, 1) == -1,
	      "ws2008: no crash MSRs");
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_CONFIG(0),
		       HV_STIMER_DIRECT_MODE | (0xedULL << 4)) == -1,
	      "ws2008: stimer direct mode bits are reserved");
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_CONFIG(0),
		       HV_STIMER_ENABLE | (2ULL << 16)) == 0,
	      "ws2008: message-mode stimer accepted");
	hv_destroy(hv);

	fake_reset(0);
	hv = fake_hv("ws2012r2", 1);
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_REFERENCE_TSC, GPA_TSC_PAGE | 1) == 0,
	      "ws2012r2: reference TSC page MSR");
	CHECK(hv_rdmsr(hv, 0, HV_X64_MSR_TSC_FREQUENCY, &v) == -1,
	      "ws2012r2: no frequency MSRs");
	CHECK(rd(hv, 0, HV_X64_MSR_CRASH_CTL) == HV_CRASH_CTL_CRASH_NOTIFY &&
	      hv_wrmsr(hv, 0, HV_X64_MSR_CRASH_CTL,
		       HV_CRASH_CTL_CRASH_NOTIFY_MSG) == -1,
	      "ws2012r2: crash notify without message");
	hv_destroy(hv);
}

static void test_ratelimit(void)
{
	struct hv *hv;
	int i, gp = 0;

	fake_reset(0);
	hv = fake_hv("ws2025", 1);
	for (i = 0; i < 1000; i++)
		gp += hv_wrmsr(hv, 0, 0x400001F0, i) == -1;
	CHECK(gp == 1000 && fh.nr_logs >= 1 && fh.nr_logs <= 30,
	      "1000 bad writes: 1000 #GP, %u log lines (ratelimited)",
	      fh.nr_logs);
	hv_destroy(hv);
}

int main(void)
{
	test_ratelimit();
	test_basic();
	test_old_profiles();
	return tap_done();
}
