// SPDX-License-Identifier: GPL-2.0
/*
 * hv_utils time sync: the host sends its UTC time (100 ns units since
 * 1601) right after the channel opens with the SYNC flag, then every few
 * seconds with the SAMPLE flag.
 *
 * - SYNC sets the clock (do_settimeofday64()) to the host's time, always.
 * - SAMPLE sets it only when the clock is more than timesync_sample_ms
 *   (default 100, as FreeBSD; 0: never) away from the host's.  This also
 *   corrects what a SYNC of message version < 4.0 could not know: how
 *   long it took to reach the guest (those versions carry no send time,
 *   so a sample's transit time counts as offset too: a busy guest may see
 *   its clock stepped back by it, and forward again on the next sample).
 *
 * The host's time is aged to the moment the clock is set.  Message version
 * 4.0 carries the partition reference time (TIME_REF_COUNT, 100 ns units)
 * at which the host read its clock; the guest adds how far the reference
 * counter moved since.  Older versions are aged from when the packet was
 * read.  Without a readable TIME_REF_COUNT the local raw monotonic clock
 * ages the sample from its reading instead.  A sample more than
 * TIMESYNC_MAX_AGE old is not used.
 *
 * hv_vmbus does not export a reference-time read (yet): TIME_REF_COUNT is
 * read here with rdmsrl_safe().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/workqueue.h>

#include <asm/msr.h>
#include <asm/processor.h>

#include "hv_util.h"

static unsigned int timesync_sample_ms = 100;
module_param(timesync_sample_ms, uint, 0644);
MODULE_PARM_DESC(timesync_sample_ms,
		 "Set the clock on a time sample more than this many ms off (0: never; default 100)");

/* 100 ns units */
#define TIMESYNC_UNITS_PER_SEC	10000000ULL
#define TIMESYNC_MAX_AGE	(600 * TIMESYNC_UNITS_PER_SEC)
/* The latest host time that still fits a signed 64-bit ns count */
#define TIMESYNC_MAX_HOST_TIME	(IC_WINDOWS_EPOCH_DELTA + S64_MAX / 100)

static const struct ic_version hv_timesync_versions[] = {
	{ 4, 0 },
	{ 3, 0 },
	{ 1, 0 },
};

struct hv_timesync {
	struct hv_util_dev *u;
	bool have_ref;		/* TIME_REF_COUNT reads */
	spinlock_t lock;	/* the sample and flags below */
	u64 host_time;		/* 100 ns since 1601 ... */
	u64 local;		/* ... at this hv_timesync_now() */
	u8 pending;		/* IC_TIMESYNC_FLAG_SYNC/SAMPLE to act on */
	struct work_struct work;
};

/* 100 ns units: the reference counter, or the raw monotonic clock */
static u64 hv_timesync_now(const struct hv_timesync *ts)
{
	u64 ref;

	if (ts->have_ref && !rdmsrl_safe(HV_X64_MSR_TIME_REF_COUNT, &ref))
		return ref;
	return div_u64(ktime_get_raw_ns(), 100);
}

static bool hv_timesync_probe_ref(void)
{
	u64 ref;

	if (cpuid_eax(HV_CPUID_VENDOR_AND_MAX) < HV_CPUID_FEATURES ||
	    !(cpuid_eax(HV_CPUID_FEATURES) & HV_MSR_TIME_REF_COUNT_AVAILABLE))
		return false;
	return !rdmsrl_safe(HV_X64_MSR_TIME_REF_COUNT, &ref);
}

static void hv_timesync_work(struct work_struct *work)
{
	struct hv_timesync *ts = container_of(work, struct hv_timesync, work);
	struct timespec64 now, set;
	u64 host_time, local;
	unsigned long flags;
	s64 host_ns, delta;
	u8 pending;

	spin_lock_irqsave(&ts->lock, flags);
	host_time = ts->host_time;
	local = ts->local;
	pending = ts->pending;
	ts->pending = 0;
	spin_unlock_irqrestore(&ts->lock, flags);
	if (!pending)
		return;

	host_time += hv_timesync_now(ts) - local;
	if (host_time > TIMESYNC_MAX_HOST_TIME)
		return;
	host_ns = (host_time - IC_WINDOWS_EPOCH_DELTA) * 100;
	ktime_get_real_ts64(&now);
	delta = host_ns - timespec64_to_ns(&now);

	if (!(pending & IC_TIMESYNC_FLAG_SYNC)) {
		s64 limit = (s64)READ_ONCE(timesync_sample_ms) * NSEC_PER_MSEC;

		if (!limit || abs(delta) <= limit)
			return;
	}
	set = ns_to_timespec64(host_ns);
	if (do_settimeofday64(&set)) {
		dev_warn_ratelimited(&ts->u->hdev->dev,
				     "TimeSync: cannot set the clock to %lld.%09ld\n",
				     (s64)set.tv_sec, set.tv_nsec);
		return;
	}
	/* A second or more is worth a line; small corrections are not */
	if (abs(delta) >= NSEC_PER_SEC)
		dev_info_ratelimited(&ts->u->hdev->dev,
				     "TimeSync: clock set to the host's time (%s, off by %lld s)\n",
				     pending & IC_TIMESYNC_FLAG_SYNC ?
				     "sync" : "sample",
				     div_s64(delta, NSEC_PER_SEC));
}

static enum hv_util_verdict hv_timesync_handle(struct hv_util_dev *u,
					       struct ic_msg_header *hdr,
					       void *body, u32 body_len,
					       u64 trans_id)
{
	struct hv_timesync *ts = u->priv;
	u64 host_time, now, age = 0;
	unsigned long flags;
	u8 tsflags;

	now = hv_timesync_now(ts);
	if (hv_util_version_ge(u, 4, 0)) {
		const struct ic_timesync_ref *m = body;

		if (body_len < sizeof(*m))
			goto short_msg;
		host_time = m->parent_time;
		tsflags = m->flags;
		/* Only when both clocks are the reference counter */
		if (ts->have_ref && m->vm_reference_time <= now)
			age = now - m->vm_reference_time;
	} else {
		const struct ic_timesync *m = body;

		if (body_len < sizeof(*m))
			goto short_msg;
		host_time = m->parent_time;
		tsflags = m->flags;
	}
	hdr->status = IC_S_OK;

	tsflags &= IC_TIMESYNC_FLAG_SYNC | IC_TIMESYNC_FLAG_SAMPLE;
	if (!tsflags)
		return HV_UTIL_ANSWER;		/* a probe */
	if (host_time < IC_WINDOWS_EPOCH_DELTA ||
	    host_time > TIMESYNC_MAX_HOST_TIME - age) {
		dev_warn_ratelimited(&u->hdev->dev,
				     "TimeSync: host time %llu is out of range; not used\n",
				     host_time);
		return HV_UTIL_ANSWER;
	}
	if (age > TIMESYNC_MAX_AGE) {
		dev_warn_ratelimited(&u->hdev->dev,
				     "TimeSync: sample is %llu s old; not used\n",
				     div_u64(age, TIMESYNC_UNITS_PER_SEC));
		return HV_UTIL_ANSWER;
	}

	spin_lock_irqsave(&ts->lock, flags);
	ts->host_time = host_time + age;
	ts->local = now;
	ts->pending |= tsflags;
	spin_unlock_irqrestore(&ts->lock, flags);
	schedule_work(&ts->work);
	return HV_UTIL_ANSWER;

short_msg:
	dev_warn_ratelimited(&u->hdev->dev,
			     "TimeSync: message of %u bytes is too short for version %u.%u; dropped\n",
			     body_len, u->msg_version.major,
			     u->msg_version.minor);
	return HV_UTIL_DROP;
}

static int hv_timesync_init(struct hv_util_dev *u)
{
	struct hv_timesync *ts;

	ts = kzalloc(sizeof(*ts), GFP_KERNEL);
	if (!ts)
		return -ENOMEM;
	ts->u = u;
	ts->have_ref = hv_timesync_probe_ref();
	spin_lock_init(&ts->lock);
	INIT_WORK(&ts->work, hv_timesync_work);
	u->priv = ts;
	return 0;
}

static void hv_timesync_exit(struct hv_util_dev *u)
{
	struct hv_timesync *ts = u->priv;

	cancel_work_sync(&ts->work);
	kfree(ts);
}

const struct hv_util_service hv_util_timesync = {
	.name = "TimeSync",
	.msg_type = IC_MSGTYPE_TIMESYNC,
	.versions = hv_timesync_versions,
	.nversions = ARRAY_SIZE(hv_timesync_versions),
	.init = hv_timesync_init,
	.exit = hv_timesync_exit,
	.handle = hv_timesync_handle,
};
