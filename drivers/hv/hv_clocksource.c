// SPDX-License-Identifier: GPL-2.0
/*
 * Hyper-V reference time as a clocksource.
 *
 * The partition reference counter runs at 10 MHz.  Guests read it from the
 * reference TSC page when the host offers one (scale and offset applied to
 * the TSC, no exit) or from HV_X64_MSR_TIME_REF_COUNT (one exit per read;
 * WS2008 has nothing else).  The rating is above the TSC's so the kernel
 * switches to us on registration and back on unregistration.
 *
 * Unlike the in-kernel driver this one cannot give user space a vDSO
 * mapping of the TSC page, nor become sched_clock; see
 * Documentation/hv_vmbus.md.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/clocksource.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/string.h>

#include <asm/msr.h>

#include "hyperv_vmbus.h"

/* Above the TSC (300) so that registration makes us the current one */
#define HV_CLOCKSOURCE_RATING	400
/* Bound on retries while the host keeps updating the TSC page */
#define HV_TSC_PAGE_RETRIES	1000
/* TSC page and MSR must agree this well at setup (100 ns units: 1 ms) */
#define HV_TSC_PAGE_TOLERANCE	10000

static char *clocksource = "auto";
module_param(clocksource, charp, 0444);
MODULE_PARM_DESC(clocksource,
		 "auto (default): TSC page if offered, else MSR; tsc_page; msr; none");

enum hv_cs_mode { HV_CS_NONE, HV_CS_MSR, HV_CS_TSC_PAGE };

static enum hv_cs_mode hv_cs_mode;
static struct hv_ref_tsc_page *hv_tsc_page;
static bool hv_cs_registered;

static u64 notrace hv_read_ref_msr(void)
{
	u64 val;

	rdmsrl(HV_X64_MSR_TIME_REF_COUNT, val);
	return val;
}

/*
 * TLFS sequence protocol: read the sequence, the scale and offset and the
 * TSC, then the sequence again; retry if it changed.  A sequence of 0 means
 * the page is not usable now: read the MSR instead.
 */
static u64 notrace hv_read_tsc_page(const struct hv_ref_tsc_page *p)
{
	unsigned int tries;
	u64 scale, tsc;
	s64 offset;
	u32 seq;

	for (tries = 0; tries < HV_TSC_PAGE_RETRIES; tries++) {
		seq = READ_ONCE(p->tsc_sequence);
		if (seq == HV_TSC_PAGE_SEQUENCE_INVALID)
			break;
		/* Sequence before the values it covers */
		virt_rmb();
		scale = READ_ONCE(p->tsc_scale);
		offset = READ_ONCE(p->tsc_offset);
		tsc = rdtsc_ordered();
		/* Values before the sequence check that validates them */
		virt_rmb();
		if (READ_ONCE(p->tsc_sequence) == seq)
			return mul_u64_u64_shr(tsc, scale, 64) + offset;
	}
	return hv_read_ref_msr();
}

static u64 notrace hv_cs_read_msr(struct clocksource *cs)
{
	return hv_read_ref_msr();
}

static u64 notrace hv_cs_read_tsc_page(struct clocksource *cs)
{
	return hv_read_tsc_page(hv_tsc_page);
}

static struct clocksource hv_cs = {
	.rating	= HV_CLOCKSOURCE_RATING,
	.mask	= CLOCKSOURCE_MASK(64),
	.flags	= CLOCK_SOURCE_IS_CONTINUOUS,
};

/* ------------------------------------------------------------------ */
/* Reference TSC page                                                 */
/* ------------------------------------------------------------------ */

static void hv_tsc_page_msr_disable(void)
{
	u64 val;

	if (!rdmsrl_safe(HV_X64_MSR_REFERENCE_TSC, &val))
		wrmsrl_safe(HV_X64_MSR_REFERENCE_TSC,
			    val & ~(HV_MSR_PAGE_PFN_MASK | HV_MSR_PAGE_ENABLE));
}

static void hv_tsc_page_free(void)
{
	hv_tsc_page_msr_disable();
	free_page((unsigned long)hv_tsc_page);
	hv_tsc_page = NULL;
}

/* Is the host's page consistent with TIME_REF_COUNT? */
static bool hv_tsc_page_plausible(void)
{
	u64 before, page, after;

	before = hv_read_ref_msr();
	page = hv_read_tsc_page(hv_tsc_page);
	after = hv_read_ref_msr();
	if (page + HV_TSC_PAGE_TOLERANCE >= before &&
	    page <= after + HV_TSC_PAGE_TOLERANCE)
		return true;
	pr_warn("reference TSC page reads %llu outside TIME_REF_COUNT [%llu, %llu] (scale %#llx offset %lld); using the MSR\n",
		page, before, after, READ_ONCE(hv_tsc_page->tsc_scale),
		READ_ONCE(hv_tsc_page->tsc_offset));
	return false;
}

static int hv_tsc_page_setup(void)
{
	u64 gpa, val;

	hv_tsc_page = (void *)get_zeroed_page(GFP_KERNEL);
	if (!hv_tsc_page)
		return -ENOMEM;
	gpa = virt_to_phys(hv_tsc_page);

	if (rdmsrl_safe(HV_X64_MSR_REFERENCE_TSC, &val) ||
	    wrmsrl_safe(HV_X64_MSR_REFERENCE_TSC,
			(val & ~HV_MSR_PAGE_PFN_MASK) | gpa |
			HV_MSR_PAGE_ENABLE) ||
	    rdmsrl_safe(HV_X64_MSR_REFERENCE_TSC, &val) ||
	    (val & (HV_MSR_PAGE_PFN_MASK | HV_MSR_PAGE_ENABLE)) !=
	    (gpa | HV_MSR_PAGE_ENABLE)) {
		pr_warn("the host did not take the reference TSC page; using the MSR\n");
		hv_tsc_page_free();
		return -EIO;
	}

	if (READ_ONCE(hv_tsc_page->tsc_sequence) ==
	    HV_TSC_PAGE_SEQUENCE_INVALID)
		pr_info("reference TSC page not valid yet (sequence 0); reads fall back to the MSR meanwhile\n");
	else if (!hv_tsc_page_plausible()) {
		hv_tsc_page_free();
		return -EIO;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Registration                                                       */
/* ------------------------------------------------------------------ */

static int hv_cs_parse_mode(enum hv_cs_mode *mode)
{
	bool tsc_page = hv_info.features[0] & HV_MSR_REFERENCE_TSC_AVAILABLE;

	if (!clocksource || sysfs_streq(clocksource, "auto")) {
		*mode = tsc_page ? HV_CS_TSC_PAGE : HV_CS_MSR;
	} else if (sysfs_streq(clocksource, "tsc_page")) {
		*mode = HV_CS_TSC_PAGE;
		if (!tsc_page) {
			pr_warn("clocksource=tsc_page: the host offers no reference TSC page; using the MSR\n");
			*mode = HV_CS_MSR;
		}
	} else if (sysfs_streq(clocksource, "msr")) {
		*mode = HV_CS_MSR;
	} else if (sysfs_streq(clocksource, "none")) {
		*mode = HV_CS_NONE;
	} else {
		pr_err("clocksource=%s: use auto, tsc_page, msr or none\n",
		       clocksource);
		return -EINVAL;
	}
	return 0;
}

int hv_clocksource_init(void)
{
	enum hv_cs_mode mode;
	int ret;

	ret = hv_cs_parse_mode(&mode);
	if (ret)
		return ret;
	if (mode == HV_CS_NONE)
		return 0;

	if (mode == HV_CS_TSC_PAGE && hv_tsc_page_setup())
		mode = HV_CS_MSR;

	if (mode == HV_CS_TSC_PAGE) {
		hv_cs.name = "hyperv_ic_tsc_page";
		hv_cs.read = hv_cs_read_tsc_page;
	} else {
		hv_cs.name = "hyperv_ic_msr";
		hv_cs.read = hv_cs_read_msr;
	}

	ret = clocksource_register_hz(&hv_cs, HV_REF_TIME_HZ);
	if (ret) {
		pr_err("cannot register clocksource %s: %d\n", hv_cs.name, ret);
		if (hv_tsc_page)
			hv_tsc_page_free();
		return ret;
	}
	hv_cs_mode = mode;
	hv_cs_registered = true;
	return 0;
}

void hv_clocksource_exit(void)
{
	int ret;

	if (!hv_cs_registered)
		return;
	/* The kernel moves to the next best clocksource first */
	ret = clocksource_unregister(&hv_cs);
	if (ret) {
		/* Cannot happen while jiffies exists; leave the page alone */
		pr_err("cannot unregister clocksource %s: %d\n", hv_cs.name,
		       ret);
		return;
	}
	hv_cs_registered = false;
	hv_cs_mode = HV_CS_NONE;
	if (hv_tsc_page)
		hv_tsc_page_free();
}

const char *hv_clocksource_name(void)
{
	return hv_cs_registered ? hv_cs.name : "none";
}

bool hv_clocksource_sample(u64 *cs, u64 *msr)
{
	if (!hv_cs_registered)
		return false;
	*cs = hv_cs.read(&hv_cs);
	*msr = hv_read_ref_msr();
	return true;
}
