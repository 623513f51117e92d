// SPDX-License-Identifier: GPL-2.0
/*
 * Reference time: TIME_REF_COUNT, hv_ref_time() and the reference TSC
 * page (read the way a Linux guest reads it) agree; 10 MHz; zero at
 * partition creation.
 */
#include "fake_host.h"

/* The guest's TSC page read (include/clocksource/hyperv_timer.h) */
static bool tsc_page_read(const struct hv_ref_tsc_page *pg, uint64_t tsc,
			  uint64_t *t)
{
	uint32_t seq = __atomic_load_n(&pg->tsc_sequence, __ATOMIC_ACQUIRE);
	uint64_t scale = pg->tsc_scale;
	int64_t offset = pg->tsc_offset;

	if (!seq || seq != __atomic_load_n(&pg->tsc_sequence, __ATOMIC_ACQUIRE))
		return false;
	*t = (uint64_t)(((unsigned __int128)tsc * scale) >> 64) +
	     (uint64_t)offset;
	return true;
}

static uint64_t absdiff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

static void test_agreement(uint64_t tsc0)
{
	static const uint64_t steps[] = {
		0, 1, 249, 250, 251, 12345, 2500000000ULL, 7777777777ULL,
		250ULL * 10000000ULL * 3600ULL,		/* an hour */
		250ULL * 10000000ULL * 86400ULL * 30,	/* a month */
	};
	const struct hv_ref_tsc_page *pg;
	struct hv *hv;
	uint64_t msr, page = 0, ref, seq;
	bool ok = true, read_ok = true;
	size_t i;

	fake_reset(tsc0);
	hv = fake_hv("ws2025", 1);
	pg = (const struct hv_ref_tsc_page *)(fh.ram + GPA_TSC_PAGE);

	CHECK(rd(hv, 0, HV_X64_MSR_TIME_REF_COUNT) == 0 && hv_ref_time(hv) == 0,
	      "tsc0 %" PRIu64 ": reference time 0 at creation", tsc0);
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_REFERENCE_TSC,
		       GPA_TSC_PAGE | HV_MSR_PAGE_ENABLE) == 0 &&
	      rd(hv, 0, HV_X64_MSR_REFERENCE_TSC) ==
	      (GPA_TSC_PAGE | HV_MSR_PAGE_ENABLE),
	      "tsc0 %" PRIu64 ": TSC page enabled", tsc0);
	seq = pg->tsc_sequence;
	CHECK(seq != 0 && seq != 0xffffffffU && pg->tsc_scale != 0,
	      "TSC page sequence %" PRIu64 " valid, scale 0x%" PRIx64, seq,
	      (uint64_t)pg->tsc_scale);

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		fh.tsc = tsc0 + steps[i];
		msr = rd(hv, 0, HV_X64_MSR_TIME_REF_COUNT);
		ref = hv_ref_time(hv);
		read_ok &= tsc_page_read(pg, fh.tsc, &page);
		ok &= absdiff(msr, page) <= 1 && msr == ref;
		if (absdiff(msr, page) > 1)
			printf("# tsc %" PRIu64 ": msr %" PRIu64 " page %" PRIu64
			       "\n", fh.tsc, msr, page);
	}
	CHECK(read_ok, "TSC page readable at every TSC value");
	CHECK(ok, "TIME_REF_COUNT, hv_ref_time and the TSC page agree "
	      "within 1 tick at %zu TSC values", i);

	/* 10 MHz: one second of TSC is 10^7 units */
	fh.tsc = tsc0 + 1000;
	ref = rd(hv, 0, HV_X64_MSR_TIME_REF_COUNT);
	fh.tsc += FAKE_TSC_KHZ * 1000;
	msr = rd(hv, 0, HV_X64_MSR_TIME_REF_COUNT);
	CHECK(absdiff(msr - ref, 10000000) <= 1,
	      "one second of TSC = %" PRIu64 " units of 100 ns", msr - ref);

	/* monotonic over small steps */
	ok = true;
	ref = rd(hv, 0, HV_X64_MSR_TIME_REF_COUNT);
	for (i = 0; i < 10000; i++) {
		fh.tsc += 37;
		msr = rd(hv, 0, HV_X64_MSR_TIME_REF_COUNT);
		ok &= msr >= ref;
		ref = msr;
	}
	CHECK(ok, "reference time monotonic over 10000 small TSC steps");

	/* re-enable at another page: new content, new sequence */
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_REFERENCE_TSC,
		       (GPA_TSC_PAGE + 0x1000) | HV_MSR_PAGE_ENABLE) == 0 &&
	      ((const struct hv_ref_tsc_page *)(fh.ram + GPA_TSC_PAGE +
						0x1000))->tsc_sequence != 0 &&
	      ((const struct hv_ref_tsc_page *)(fh.ram + GPA_TSC_PAGE +
						0x1000))->tsc_sequence != seq,
	      "TSC page moved: filled with a new sequence");
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_REFERENCE_TSC, GPA_OUTSIDE | 1) == -1 &&
	      hv_wrmsr(hv, 0, HV_X64_MSR_REFERENCE_TSC, GPA_TSC_PAGE | 2) == -1,
	      "TSC page outside RAM / reserved bit: #GP");
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_REFERENCE_TSC, GPA_TSC_PAGE) == 0 &&
	      rd(hv, 0, HV_X64_MSR_REFERENCE_TSC) == GPA_TSC_PAGE,
	      "TSC page disabled");
	hv_destroy(hv);
}

int main(void)
{
	test_agreement(0);
	test_agreement(987654321ULL);
	test_agreement(1ULL << 50);		/* a host up for a long time */
	return tap_done();
}
