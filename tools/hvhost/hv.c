// SPDX-License-Identifier: GPL-2.0
/*
 * hvhost: the Hyper-V platform a guest sees.
 *
 * CPUID leaves, synthetic MSRs, hypercalls, the SynIC (message and
 * event-flag pages), the synthetic timers and the partition reference time
 * (TIME_REF_COUNT and the reference TSC page).  Everything the guest hands
 * us is validated; bad values give #GP or an HV_STATUS_* and a ratelimited
 * log line, never a crash.
 *
 * Locking: one mutex per partition protects all state.  Guest memory that
 * the guest changes concurrently (message slot headers, event flags, the
 * TSC page sequence) is accessed with __atomic builtins.  Connection
 * handlers and ops->kick run without the lock held.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hyperv/tlfs.h>

#include "hv_internal.h"

#define HV_MSGQ_LEN		64	/* queued messages per VP, SINT */
#define HV_MAX_CONNS		64	/* per connection type */
#define HV_CONN_ID_MAX		HV_CONNECTION_ID_MASK

/* Periodic timers: shortest period honoured, and how far a non-lazy
 * timer catches up before missed periods are skipped (100 ns units). */
#define HV_STIMER_MIN_PERIOD	500ULL
#define HV_STIMER_CATCHUP_MAX	100ULL

/* Ratelimit of guest-anomaly log lines */
#define HV_LOG_BURST		30
#define HV_LOG_WINDOW_NS	(10ULL * 1000000000ULL)
/* Crash notifications logged in full; later ones get one line */
#define HV_CRASH_REPORTS_FULL	4
#define HV_CRASH_MSG_LINES	200

/*
 * Reserved bits in the hypercall input value: 31:27, 47:44, 63:60.  Bit 31
 * (nested) is reserved here because hvhost is not a nested hypervisor.
 */
#define HV_CONTROL_RSVD		0xf000f000f8000000ULL

/* Writable bits of the synthetic MSRs */
#define HV_HYPERCALL_VALID	(HV_HYPERCALL_ENABLE | HV_HYPERCALL_LOCKED | \
				 HV_MSR_PAGE_PFN_MASK)
#define HV_PAGE_MSR_VALID	(HV_MSR_PAGE_ENABLE | HV_MSR_PAGE_PFN_MASK)
#define HV_SINT_VALID		(HV_SINT_VECTOR_MASK | HV_SINT_MASKED | \
				 HV_SINT_AUTO_EOI | HV_SINT_POLLING)
#define HV_STIMER_BASE_VALID	(HV_STIMER_ENABLE | HV_STIMER_PERIODIC | \
				 HV_STIMER_LAZY | HV_STIMER_AUTO_ENABLE | \
				 HV_STIMER_SINTX_MASK)
#define HV_STIMER_DIRECT_VALID	(HV_STIMER_APIC_VECTOR_MASK | \
				 HV_STIMER_DIRECT_MODE)

/* The hypercall page: endbr64; out HVHOST_HYPERCALL_PORT, al; ret */
static const uint8_t hypercall_code[] = {
	0xf3, 0x0f, 0x1e, 0xfa,
	0xe6, HVHOST_HYPERCALL_PORT,
	0xc3,
};
#define INT3	0xcc

struct hv_msgq {
	struct hv_message *ring;	/* HV_MSGQ_LEN entries, on first use */
	uint32_t head;
	uint32_t count;
	uint64_t delivered;
	uint64_t dropped;
};

struct hv_stimer {
	uint64_t config;
	uint64_t count;
	uint64_t deadline;	/* next expiry (ref. time), 0: not armed */
	bool pending;		/* message-mode expiry waits for a slot */
	uint64_t pending_exp;
	uint64_t fired;
	uint64_t coalesced;	/* expiries merged into an undelivered one */
};

struct hv_vp {
	uint64_t vp_assist;
	uint64_t scontrol;
	uint64_t siefp;
	uint64_t simp;
	uint64_t sint[HV_SYNIC_SINT_COUNT];
	bool aeoi_logged[HV_SYNIC_SINT_COUNT];
	struct hv_msgq q[HV_SYNIC_SINT_COUNT];
	struct hv_stimer st[HV_SYNIC_STIMER_COUNT];
	uint64_t eoms;
};

struct hv_conn {
	uint32_t id;
	hv_msg_handler msg_fn;
	hv_event_handler event_fn;
	void *opaque;
};

struct hv_counters {
	uint64_t rdmsr;
	uint64_t wrmsr;
	uint64_t gp;
	uint64_t hypercalls;
	uint64_t hc_post;
	uint64_t hc_signal;
	uint64_t hc_spin;
	uint64_t hc_failed;
	uint64_t msgs_posted;
	uint64_t msgs_delivered;
	uint64_t msgs_dropped;
	uint64_t events_set;
	uint64_t irqs;
	uint64_t irq_errors;
	uint64_t timer_fired;
	uint64_t crashes;
};

struct hv {
	const struct hv_profile *p;
	struct hv_host_ops ops;
	pthread_mutex_t lock;

	uint64_t tsc_hz;
	uint64_t tsc_scale;
	int64_t tsc_offset;
	uint32_t tsc_sequence;

	uint64_t guest_os_id;
	uint64_t hypercall;
	uint64_t ref_tsc;
	uint64_t crash_p[5];

	uint32_t nr_vps;
	struct hv_vp *vps;

	struct hv_conn msg_conns[HV_MAX_CONNS];
	int nr_msg_conns;
	struct hv_conn event_conns[HV_MAX_CONNS];
	int nr_event_conns;

	struct hv_counters c;

	/* ratelimited log */
	pthread_mutex_t log_lock;
	uint64_t log_window_start;
	unsigned int log_in_window;
	uint64_t log_suppressed;
};

/* ------------------------------------------------------------------ */
/* Logging                                                            */
/* ------------------------------------------------------------------ */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Unconditional log line */
static void hv_log_raw(struct hv *hv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void hv_log_raw(struct hv *hv, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	hv->ops.log(hv->ops.opaque, buf);
}

/* Guest-caused anomaly: ratelimited */
static void hv_log(struct hv *hv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void hv_log(struct hv *hv, const char *fmt, ...)
{
	uint64_t now = mono_ns(), suppressed = 0;
	char buf[512];
	bool emit;
	va_list ap;

	pthread_mutex_lock(&hv->log_lock);
	if (now - hv->log_window_start >= HV_LOG_WINDOW_NS) {
		suppressed = hv->log_suppressed;
		hv->log_suppressed = 0;
		hv->log_window_start = now;
		hv->log_in_window = 0;
	}
	emit = hv->log_in_window < HV_LOG_BURST;
	if (emit)
		hv->log_in_window++;
	else
		hv->log_suppressed++;
	pthread_mutex_unlock(&hv->log_lock);

	if (suppressed) {
		snprintf(buf, sizeof(buf),
			 "%" PRIu64 " log messages suppressed", suppressed);
		hv->ops.log(hv->ops.opaque, buf);
	}
	if (!emit)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	hv->ops.log(hv->ops.opaque, buf);
}

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static bool has_eax(const struct hv *hv, uint32_t bit)
{
	return hv->p->features_eax & bit;
}

static bool has_edx(const struct hv *hv, uint32_t bit)
{
	return hv->p->features_edx & bit;
}

static bool has_freq_msrs(const struct hv *hv)
{
	return has_eax(hv, HV_ACCESS_FREQUENCY_MSRS) &&
	       has_edx(hv, HV_FEATURE_FREQUENCY_MSRS_AVAILABLE);
}

static bool has_direct_stimer(const struct hv *hv)
{
	return has_edx(hv, HV_STIMER_DIRECT_MODE_AVAILABLE);
}

static bool has_crash_msrs(const struct hv *hv)
{
	return has_edx(hv, HV_FEATURE_GUEST_CRASH_MSR_AVAILABLE);
}

static uint64_t page_gpa(uint64_t msr)
{
	return msr & HV_MSR_PAGE_PFN_MASK;
}

/* Host pointer to the guest page at @gpa (page aligned), or NULL */
static void *guest_page(struct hv *hv, uint64_t gpa)
{
	return hv->ops.gpa(hv->ops.opaque, gpa, HV_PAGE_SIZE);
}

static uint64_t ref_from_tsc(const struct hv *hv, uint64_t tsc)
{
	uint64_t t = (uint64_t)(((unsigned __int128)tsc * hv->tsc_scale) >> 64);

	return t + (uint64_t)hv->tsc_offset;
}

uint64_t hv_ref_time(struct hv *hv)
{
	return ref_from_tsc(hv, hv->ops.guest_tsc(hv->ops.opaque));
}

static void hv_irq(struct hv *hv, uint32_t vp, uint8_t vector)
{
	if (hv->ops.irq(hv->ops.opaque, vp, vector) < 0) {
		hv->c.irq_errors++;
		hv_log(hv, "vp%u: injecting vector 0x%x failed", vp, vector);
		return;
	}
	hv->c.irqs++;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/* ------------------------------------------------------------------ */
/* Partition: create / destroy, CPUID                                 */
/* ------------------------------------------------------------------ */

struct hv *hv_create(const struct hv_profile *p, const struct hv_host_ops *ops)
{
	struct hv *hv;
	uint32_t i, s;
	uint64_t tsc0;

	if (!p || !ops || !ops->gpa || !ops->irq || !ops->guest_tsc ||
	    !ops->log)
		return NULL;
	if (ops->nr_vcpus == 0 || ops->nr_vcpus > p->max_vps) {
		char buf[128];

		snprintf(buf, sizeof(buf),
			 "%s supports 1 to %u virtual processors, not %u",
			 p->name, p->max_vps, ops->nr_vcpus);
		ops->log(ops->opaque, buf);
		return NULL;
	}
	/* The reference TSC scale only fits 64 bits above 10 MHz */
	if (ops->tsc_khz <= HV_REF_TIME_HZ / 1000 ||
	    ops->tsc_khz > UINT64_MAX / 1000) {
		ops->log(ops->opaque, "TSC frequency out of range");
		return NULL;
	}

	hv = calloc(1, sizeof(*hv));
	if (!hv)
		return NULL;
	hv->vps = calloc(ops->nr_vcpus, sizeof(*hv->vps));
	if (!hv->vps) {
		free(hv);
		return NULL;
	}
	hv->p = p;
	hv->ops = *ops;
	hv->nr_vps = ops->nr_vcpus;
	pthread_mutex_init(&hv->lock, NULL);
	pthread_mutex_init(&hv->log_lock, NULL);

	for (i = 0; i < hv->nr_vps; i++)
		for (s = 0; s < HV_SYNIC_SINT_COUNT; s++)
			hv->vps[i].sint[s] = HV_SINT_RESET_VALUE;

	/*
	 * reference time = ((tsc * scale) >> 64) + offset, 10 MHz, and zero
	 * now: the partition is being created.
	 */
	hv->tsc_hz = ops->tsc_khz * 1000;
	hv->tsc_scale = (uint64_t)(((unsigned __int128)HV_REF_TIME_HZ << 64) /
				   hv->tsc_hz);
	tsc0 = ops->guest_tsc(ops->opaque);
	hv->tsc_offset = -(int64_t)(uint64_t)
		(((unsigned __int128)tsc0 * hv->tsc_scale) >> 64);
	return hv;
}

void hv_destroy(struct hv *hv)
{
	uint32_t i, s;

	if (!hv)
		return;
	for (i = 0; i < hv->nr_vps; i++)
		for (s = 0; s < HV_SYNIC_SINT_COUNT; s++)
			free(hv->vps[i].q[s].ring);
	free(hv->vps);
	pthread_mutex_destroy(&hv->lock);
	pthread_mutex_destroy(&hv->log_lock);
	free(hv);
}

bool hv_cpuid(struct hv *hv, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	const struct hv_profile *p = hv->p;

	(void)subleaf;
	if (leaf < HV_CPUID_VENDOR_AND_MAX || leaf > 0x400000FF)
		return false;
	out[0] = out[1] = out[2] = out[3] = 0;
	switch (leaf) {
	case HV_CPUID_VENDOR_AND_MAX:
		out[0] = HVHOST_CPUID_MAX_LEAF;
		out[1] = HV_CPUID_SIGNATURE_EBX;
		out[2] = HV_CPUID_SIGNATURE_ECX;
		out[3] = HV_CPUID_SIGNATURE_EDX;
		break;
	case HV_CPUID_INTERFACE:
		out[0] = HV_CPUID_INTERFACE_HV1;
		break;
	case HV_CPUID_VERSION:
		out[0] = p->build;
		out[1] = (uint32_t)p->major << 16 | p->minor;
		out[2] = p->service_pack;
		out[3] = (uint32_t)p->service_branch << 24 |
			 (p->service_number & 0xffffff);
		break;
	case HV_CPUID_FEATURES:
		out[0] = p->features_eax;
		out[1] = p->features_ebx;
		out[2] = p->features_ecx;
		out[3] = p->features_edx;
		break;
	case HV_CPUID_ENLIGHTENMENT_INFO:
		out[0] = p->hints_eax;
		out[1] = p->spin_retries;
		break;
	case HV_CPUID_IMPLEMENT_LIMITS:
		out[0] = p->max_vps;
		out[1] = p->max_lps;
		break;
	default:
		/* hardware features, nested, CPU management: none */
		break;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Overlay pages: hypercall page, reference TSC page                  */
/* ------------------------------------------------------------------ */

static void write_hypercall_page(uint8_t *page)
{
	memset(page, INT3, HV_PAGE_SIZE);
	memcpy(page, hypercall_code, sizeof(hypercall_code));
}

static void write_tsc_page(struct hv *hv, struct hv_ref_tsc_page *pg)
{
	uint32_t seq = hv->tsc_sequence + 1;

	/* 0 means "invalid"; old TLFS texts said 0xffffffff: skip both */
	if (seq == 0 || seq == 0xffffffffU)
		seq = 1;
	hv->tsc_sequence = seq;

	/* Readers that see sequence 0 fall back to TIME_REF_COUNT */
	__atomic_store_n(&pg->tsc_sequence, HV_TSC_PAGE_SEQUENCE_INVALID,
			 __ATOMIC_SEQ_CST);
	__atomic_store_n(&pg->reserved1, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&pg->tsc_scale, hv->tsc_scale, __ATOMIC_RELAXED);
	__atomic_store_n(&pg->tsc_offset, hv->tsc_offset, __ATOMIC_RELAXED);
	memset(pg->reserved2, 0, sizeof(pg->reserved2));
	__atomic_store_n(&pg->tsc_sequence, seq, __ATOMIC_SEQ_CST);
}

/* ------------------------------------------------------------------ */
/* SynIC message delivery                                             */
/* ------------------------------------------------------------------ */

static bool sint_can_take_messages(const struct hv_vp *v, uint32_t sint)
{
	return (v->scontrol & HV_SCONTROL_ENABLE) &&
	       (v->simp & HV_MSR_PAGE_ENABLE) &&
	       !(v->sint[sint] & HV_SINT_MASKED);
}

/* Interrupt for SINT @sint if the SynIC lets it through */
static void sint_notify(struct hv *hv, uint32_t vp, uint32_t sint)
{
	struct hv_vp *v = &hv->vps[vp];
	uint64_t s = v->sint[sint];
	uint8_t vector = s & HV_SINT_VECTOR_MASK;

	if (!(v->scontrol & HV_SCONTROL_ENABLE) || (s & HV_SINT_MASKED) ||
	    (s & HV_SINT_POLLING) || vector < HV_SINT_MIN_VECTOR)
		return;
	hv_irq(hv, vp, vector);
}

/*
 * Try to put @m into the message slot of @sint.  Returns true if written.
 *
 * The guest frees a slot by storing message_type = 0, then (after a full
 * barrier) checks msg_pending and writes EOM if it is set.  We set
 * msg_pending and then look at message_type again: one of the two sides
 * always sees the other's store, so a freed slot is never missed.
 */
static bool slot_write(struct hv *hv, uint32_t vp, uint32_t sint,
		       const struct hv_message *m, bool more)
{
	struct hv_message_page *pg;
	struct hv_message *slot;
	uint32_t type;

	pg = guest_page(hv, page_gpa(hv->vps[vp].simp));
	if (!pg)
		return false;
	slot = &pg->sint_message[sint];

	type = __atomic_load_n(&slot->header.message_type, __ATOMIC_ACQUIRE);
	if (type != HVMSG_NONE) {
		__atomic_fetch_or(&slot->header.message_flags,
				  HV_MESSAGE_FLAG_PENDING, __ATOMIC_SEQ_CST);
		type = __atomic_load_n(&slot->header.message_type,
				       __ATOMIC_SEQ_CST);
		if (type != HVMSG_NONE)
			return false;
	}

	/* The slot is ours until message_type is set */
	memcpy(slot->u.payload, m->u.payload, m->header.payload_size);
	__atomic_store_n(&slot->header.payload_size, m->header.payload_size,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&slot->header.message_flags,
			 (uint8_t)(more ? HV_MESSAGE_FLAG_PENDING : 0),
			 __ATOMIC_RELAXED);
	slot->header.reserved[0] = 0;
	slot->header.reserved[1] = 0;
	__atomic_store_n(&slot->header.sender, m->header.sender,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&slot->header.message_type, m->header.message_type,
			 __ATOMIC_RELEASE);
	sint_notify(hv, vp, sint);
	return true;
}

static bool stimer_pending_on(const struct hv_stimer *st, uint32_t sint)
{
	return st->pending && !(st->config & HV_STIMER_DIRECT_MODE) &&
	       ((st->config & HV_STIMER_SINTX_MASK) >> HV_STIMER_SINTX_SHIFT) ==
	       sint;
}

/* Deliver what waits for @sint of @vp: timer expiries, then the queue */
static void sint_flush(struct hv *hv, uint32_t vp, uint32_t sint)
{
	struct hv_vp *v = &hv->vps[vp];
	struct hv_msgq *q = &v->q[sint];
	unsigned int i;

	if (!sint_can_take_messages(v, sint))
		return;

	for (i = 0; i < HV_SYNIC_STIMER_COUNT; i++) {
		struct hv_stimer *st = &v->st[i];
		struct hv_timer_message_payload pl;
		struct hv_message m;
		bool more = q->count > 0;
		unsigned int j;

		if (!stimer_pending_on(st, sint))
			continue;
		for (j = i + 1; j < HV_SYNIC_STIMER_COUNT; j++)
			more |= stimer_pending_on(&v->st[j], sint);

		memset(&m, 0, sizeof(m));
		memset(&pl, 0, sizeof(pl));
		pl.timer_index = i;
		pl.expiration_time = st->pending_exp;
		pl.delivery_time = hv_ref_time(hv);
		m.header.message_type = HVMSG_TIMER_EXPIRED;
		m.header.payload_size = sizeof(pl);
		memcpy(m.u.payload, &pl, sizeof(pl));
		if (!slot_write(hv, vp, sint, &m, more))
			return;
		st->pending = false;
	}

	while (q->count) {
		if (!slot_write(hv, vp, sint, &q->ring[q->head], q->count > 1))
			return;
		q->head = (q->head + 1) % HV_MSGQ_LEN;
		q->count--;
		q->delivered++;
		hv->c.msgs_delivered++;
	}
}

static void vp_flush(struct hv *hv, uint32_t vp)
{
	uint32_t sint;

	for (sint = 0; sint < HV_SYNIC_SINT_COUNT; sint++)
		sint_flush(hv, vp, sint);
}

int hv_post_message(struct hv *hv, uint32_t vp, uint32_t sint,
		    uint32_t type, const void *payload, uint32_t len)
{
	struct hv_msgq *q;
	struct hv_message *m;

	if (!hv || vp >= hv->nr_vps || sint >= HV_SYNIC_SINT_COUNT ||
	    len > HV_MESSAGE_PAYLOAD_BYTE_COUNT || type == HVMSG_NONE ||
	    (len && !payload))
		return -1;

	pthread_mutex_lock(&hv->lock);
	q = &hv->vps[vp].q[sint];
	if (!q->ring) {
		q->ring = calloc(HV_MSGQ_LEN, sizeof(*q->ring));
		if (!q->ring) {
			pthread_mutex_unlock(&hv->lock);
			return -1;
		}
	}
	if (q->count == HV_MSGQ_LEN) {
		q->dropped++;
		hv->c.msgs_dropped++;
		pthread_mutex_unlock(&hv->lock);
		hv_log(hv, "vp%u: SINT%u message queue full, message "
		       "type 0x%x refused", vp, sint, type);
		return -1;
	}
	m = &q->ring[(q->head + q->count) % HV_MSGQ_LEN];
	memset(m, 0, sizeof(*m));
	m->header.message_type = type;
	m->header.payload_size = (uint8_t)len;
	if (len)
		memcpy(m->u.payload, payload, len);
	q->count++;
	hv->c.msgs_posted++;
	sint_flush(hv, vp, sint);
	pthread_mutex_unlock(&hv->lock);
	return 0;
}

int hv_signal_event(struct hv *hv, uint32_t vp, uint32_t sint, uint32_t flag)
{
	struct hv_synic_event_flags_page *pg;
	struct hv_vp *v;
	uint64_t bit, old;
	int ret;

	if (!hv || vp >= hv->nr_vps || sint >= HV_SYNIC_SINT_COUNT ||
	    flag >= HV_EVENT_FLAGS_COUNT)
		return -1;

	pthread_mutex_lock(&hv->lock);
	v = &hv->vps[vp];
	if (!(v->scontrol & HV_SCONTROL_ENABLE) ||
	    !(v->siefp & HV_MSR_PAGE_ENABLE)) {
		pthread_mutex_unlock(&hv->lock);
		return -1;
	}
	pg = guest_page(hv, page_gpa(v->siefp));
	if (!pg) {
		pthread_mutex_unlock(&hv->lock);
		return -1;
	}
	bit = 1ULL << (flag % 64);
	old = __atomic_fetch_or(&pg->sintevent_flags[sint].flags[flag / 64],
				bit, __ATOMIC_SEQ_CST);
	ret = !(old & bit);
	if (ret) {
		hv->c.events_set++;
		sint_notify(hv, vp, sint);
	}
	pthread_mutex_unlock(&hv->lock);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Synthetic timers                                                   */
/* ------------------------------------------------------------------ */

static uint64_t stimer_period(const struct hv_stimer *st)
{
	return st->count < HV_STIMER_MIN_PERIOD ? HV_STIMER_MIN_PERIOD :
						  st->count;
}

/* (Re)start after a CONFIG or COUNT write: drop what was in flight */
static void stimer_restart(struct hv_stimer *st, uint64_t now)
{
	st->pending = false;
	st->deadline = 0;
	if (!(st->config & HV_STIMER_ENABLE) || !st->count)
		return;
	if (st->config & HV_STIMER_PERIODIC)
		st->deadline = sat_add(now, stimer_period(st));
	else
		st->deadline = st->count;	/* absolute; past: fires now */
}

static void stimer_expire(struct hv *hv, uint32_t vp, unsigned int i,
			  uint64_t now)
{
	struct hv_stimer *st = &hv->vps[vp].st[i];
	uint64_t exp = st->deadline;
	bool direct = st->config & HV_STIMER_DIRECT_MODE;

	st->fired++;
	hv->c.timer_fired++;
	if (direct) {
		hv_irq(hv, vp, (st->config & HV_STIMER_APIC_VECTOR_MASK) >>
			       HV_STIMER_APIC_VECTOR_SHIFT);
	} else if (st->pending) {
		/* periodic and the last expiry is still undelivered */
		st->coalesced++;
	} else {
		st->pending = true;
		st->pending_exp = exp;
	}

	if (st->config & HV_STIMER_PERIODIC) {
		uint64_t period = stimer_period(st);
		uint64_t next = sat_add(exp, period);

		if (next <= now) {
			uint64_t behind = (now - exp) / period;

			if ((st->config & HV_STIMER_LAZY) ||
			    behind > HV_STIMER_CATCHUP_MAX)
				next = sat_add(exp, (behind + 1) * period);
		}
		st->deadline = next;
	} else {
		st->deadline = 0;
		st->config &= ~HV_STIMER_ENABLE;
	}

	if (!direct)
		sint_flush(hv, vp, (st->config & HV_STIMER_SINTX_MASK) >>
				   HV_STIMER_SINTX_SHIFT);
}

/* Fire the due timers of @vp; returns its earliest remaining deadline */
static uint64_t vp_run_timers(struct hv *hv, uint32_t vp, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	unsigned int i, n;

	for (i = 0; i < HV_SYNIC_STIMER_COUNT; i++) {
		struct hv_stimer *st = &hv->vps[vp].st[i];

		for (n = 0; st->deadline && st->deadline <= now &&
			    n <= HV_STIMER_CATCHUP_MAX + 1; n++)
			stimer_expire(hv, vp, i, now);
		if (st->deadline && st->deadline < next)
			next = st->deadline;
	}
	return next;
}

uint64_t hv_timer_poll(struct hv *hv)
{
	uint64_t now, next = UINT64_MAX, t;
	uint32_t vp;

	pthread_mutex_lock(&hv->lock);
	now = hv_ref_time(hv);
	for (vp = 0; vp < hv->nr_vps; vp++) {
		t = vp_run_timers(hv, vp, now);
		if (t < next)
			next = t;
		vp_flush(hv, vp);
	}
	pthread_mutex_unlock(&hv->lock);
	return next;
}

/* ------------------------------------------------------------------ */
/* Guest crash notification                                           */
/* ------------------------------------------------------------------ */

static void crash_report(struct hv *hv, uint32_t vp, bool with_msg)
{
	const uint64_t *p = hv->crash_p;
	char line[160];
	const char *text;
	uint64_t len;
	size_t i, o, lines;

	hv->c.crashes++;
	if (hv->c.crashes > HV_CRASH_REPORTS_FULL) {
		hv_log(hv, "vp%u: guest crash notification #%" PRIu64,
		       vp, hv->c.crashes);
		return;
	}
	hv_log_raw(hv, "vp%u: guest reported a crash: P0=0x%" PRIx64
		   " P1=0x%" PRIx64 " P2=0x%" PRIx64 " P3=0x%" PRIx64
		   " P4=0x%" PRIx64, vp, p[0], p[1], p[2], p[3], p[4]);
	if (!with_msg)
		return;

	/* P3: GPA of the message, P4: its length (at most one page) */
	len = p[4];
	if (!len)
		return;
	if (len > HV_PAGE_SIZE) {
		hv_log_raw(hv, "crash message length %" PRIu64
			   " truncated to %u", len, HV_PAGE_SIZE);
		len = HV_PAGE_SIZE;
	}
	text = hv->ops.gpa(hv->ops.opaque, p[3], len);
	if (!text) {
		hv_log_raw(hv, "crash message at 0x%" PRIx64
			   " is outside guest RAM", p[3]);
		return;
	}
	hv_log_raw(hv, "guest crash message (%" PRIu64 " bytes):", len);
	o = 0;
	lines = 0;
	for (i = 0; i < len && lines < HV_CRASH_MSG_LINES; i++) {
		char ch = __atomic_load_n(&text[i], __ATOMIC_RELAXED);

		if (ch == '\n' || o == sizeof(line) - 1) {
			line[o] = 0;
			hv_log_raw(hv, "guest: %s", line);
			lines++;
			o = 0;
			if (ch == '\n')
				continue;
		}
		if (ch == 0)
			break;
		line[o++] = (ch >= 0x20 && ch < 0x7f) ? ch : '?';
	}
	if (o && lines < HV_CRASH_MSG_LINES) {
		line[o] = 0;
		hv_log_raw(hv, "guest: %s", line);
	}
}

/* ------------------------------------------------------------------ */
/* MSRs                                                               */
/* ------------------------------------------------------------------ */

static bool is_sint(uint32_t msr)
{
	return msr >= HV_X64_MSR_SINT0 && msr <= HV_X64_MSR_SINT15;
}

static bool is_stimer(uint32_t msr)
{
	return msr >= HV_X64_MSR_STIMER0_CONFIG &&
	       msr <= HV_X64_MSR_STIMER3_COUNT;
}

static bool is_crash_p(uint32_t msr)
{
	return msr >= HV_X64_MSR_CRASH_P0 && msr <= HV_X64_MSR_CRASH_P4;
}

static uint64_t crash_ctl_caps(const struct hv *hv)
{
	uint64_t caps = HV_CRASH_CTL_CRASH_NOTIFY;

	if (hv->p->flags & HV_PROF_CRASH_NOTIFY_MSG)
		caps |= HV_CRASH_CTL_CRASH_NOTIFY_MSG;
	return caps;
}

int hv_rdmsr(struct hv *hv, uint32_t vp, uint32_t msr, uint64_t *val)
{
	struct hv_vp *v;
	uint64_t r = 0;
	int ret = 0;

	if (!hv || !val || vp >= hv->nr_vps)
		return -1;

	pthread_mutex_lock(&hv->lock);
	hv->c.rdmsr++;
	v = &hv->vps[vp];
	if (is_sint(msr)) {
		r = v->sint[msr - HV_X64_MSR_SINT0];
	} else if (is_stimer(msr)) {
		uint32_t n = msr - HV_X64_MSR_STIMER0_CONFIG;

		r = n % 2 ? v->st[n / 2].count : v->st[n / 2].config;
	} else if (is_crash_p(msr)) {
		if (has_crash_msrs(hv))
			r = hv->crash_p[msr - HV_X64_MSR_CRASH_P0];
		else
			ret = -1;
	} else {
		switch (msr) {
		case HV_X64_MSR_GUEST_OS_ID:
			r = hv->guest_os_id;
			break;
		case HV_X64_MSR_HYPERCALL:
			r = hv->hypercall;
			break;
		case HV_X64_MSR_VP_INDEX:
			r = vp;
			break;
		case HV_X64_MSR_TIME_REF_COUNT:
			r = hv_ref_time(hv);
			break;
		case HV_X64_MSR_REFERENCE_TSC:
			if (has_eax(hv, HV_MSR_REFERENCE_TSC_AVAILABLE))
				r = hv->ref_tsc;
			else
				ret = -1;
			break;
		case HV_X64_MSR_TSC_FREQUENCY:
			if (has_freq_msrs(hv))
				r = hv->tsc_hz;
			else
				ret = -1;
			break;
		case HV_X64_MSR_APIC_FREQUENCY:
			if (has_freq_msrs(hv))
				r = hv->ops.apic_hz;
			else
				ret = -1;
			break;
		case HV_X64_MSR_VP_ASSIST_PAGE:
			r = v->vp_assist;
			break;
		case HV_X64_MSR_SCONTROL:
			r = v->scontrol;
			break;
		case HV_X64_MSR_SVERSION:
			r = HV_SYNIC_VERSION_1;
			break;
		case HV_X64_MSR_SIEFP:
			r = v->siefp;
			break;
		case HV_X64_MSR_SIMP:
			r = v->simp;
			break;
		case HV_X64_MSR_EOM:
			r = 0;
			break;
		case HV_X64_MSR_CRASH_CTL:
			if (has_crash_msrs(hv))
				r = crash_ctl_caps(hv);
			else
				ret = -1;
			break;
		default:
			ret = -1;
			break;
		}
	}
	if (ret)
		hv->c.gp++;
	pthread_mutex_unlock(&hv->lock);

	if (ret)
		hv_log(hv, "vp%u: rdmsr 0x%x: not emulated, #GP", vp, msr);
	else
		*val = r;
	return ret;
}

/* Why a write is refused; NULL when it is accepted */
struct wr_ctx {
	const char *why;
	bool kick;
};

static void wr_hypercall(struct hv *hv, uint64_t val, struct wr_ctx *w)
{
	uint8_t *page;

	if (val & ~HV_HYPERCALL_VALID) {
		w->why = "reserved bits set";
		return;
	}
	if (hv->hypercall & HV_HYPERCALL_LOCKED) {
		if (val != hv->hypercall)
			w->why = "hypercall MSR is locked";
		return;
	}
	if ((val & HV_HYPERCALL_ENABLE) && !hv->guest_os_id) {
		/* TLFS: no hypercalls before the guest identifies itself */
		hv_log(hv, "hypercall page enable ignored: guest OS id "
		       "is 0");
		val &= ~HV_HYPERCALL_ENABLE;
	}
	if (val & HV_HYPERCALL_ENABLE) {
		page = guest_page(hv, page_gpa(val));
		if (!page) {
			w->why = "hypercall page outside guest RAM";
			return;
		}
		write_hypercall_page(page);
	}
	hv->hypercall = val;
}

static void wr_ref_tsc(struct hv *hv, uint64_t val, struct wr_ctx *w)
{
	struct hv_ref_tsc_page *pg;

	if (!has_eax(hv, HV_MSR_REFERENCE_TSC_AVAILABLE)) {
		w->why = "not available on this host";
		return;
	}
	if (val & ~HV_PAGE_MSR_VALID) {
		w->why = "reserved bits set";
		return;
	}
	if (val & HV_MSR_PAGE_ENABLE) {
		pg = guest_page(hv, page_gpa(val));
		if (!pg) {
			w->why = "TSC page outside guest RAM";
			return;
		}
		write_tsc_page(hv, pg);
	}
	hv->ref_tsc = val;
}

/* SIMP, SIEFP, VP assist page: enable bit + page in RAM */
static bool wr_page_msr(struct hv *hv, uint64_t *reg, uint64_t val,
			bool zero_on_enable, struct wr_ctx *w)
{
	void *pg;
	bool was = *reg & HV_MSR_PAGE_ENABLE;

	if (val & ~HV_PAGE_MSR_VALID) {
		w->why = "reserved bits set";
		return false;
	}
	if (val & HV_MSR_PAGE_ENABLE) {
		pg = guest_page(hv, page_gpa(val));
		if (!pg) {
			w->why = "page outside guest RAM";
			return false;
		}
		/* A newly mapped overlay page starts out empty */
		if (zero_on_enable &&
		    (!was || page_gpa(*reg) != page_gpa(val)))
			memset(pg, 0, HV_PAGE_SIZE);
	}
	*reg = val;
	return true;
}

static void wr_sint(struct hv *hv, uint32_t vp, uint32_t sint, uint64_t val,
		    struct wr_ctx *w)
{
	struct hv_vp *v = &hv->vps[vp];

	if (val & ~HV_SINT_VALID) {
		w->why = "reserved bits set";
		return;
	}
	if (!(val & (HV_SINT_MASKED | HV_SINT_POLLING)) &&
	    (val & HV_SINT_VECTOR_MASK) < HV_SINT_MIN_VECTOR) {
		w->why = "unmasked SINT with a vector below 16";
		return;
	}
	if ((val & HV_SINT_AUTO_EOI) && !v->aeoi_logged[sint]) {
		v->aeoi_logged[sint] = true;
		hv_log(hv, "vp%u: SINT%u set to auto-EOI, which hvhost "
		       "does not emulate: interrupts are delivered, the guest "
		       "must EOI them itself", vp, sint);
	}
	v->sint[sint] = val;
	sint_flush(hv, vp, sint);
}

static void stimer_enable_rules(struct hv_stimer *st)
{
	/* TLFS: a message-mode timer with SINTx 0 cannot be enabled */
	if ((st->config & HV_STIMER_ENABLE) &&
	    !(st->config & HV_STIMER_DIRECT_MODE) &&
	    !(st->config & HV_STIMER_SINTX_MASK))
		st->config &= ~HV_STIMER_ENABLE;
}

static void wr_stimer(struct hv *hv, uint32_t vp, uint32_t msr, uint64_t val,
		      struct wr_ctx *w)
{
	unsigned int i = (msr - HV_X64_MSR_STIMER0_CONFIG) / 2;
	struct hv_stimer *st = &hv->vps[vp].st[i];
	uint64_t now = hv_ref_time(hv);

	if ((msr - HV_X64_MSR_STIMER0_CONFIG) % 2 == 0) {
		uint64_t valid = HV_STIMER_BASE_VALID;

		if (has_direct_stimer(hv))
			valid |= HV_STIMER_DIRECT_VALID;
		if (val & ~valid) {
			w->why = "reserved bits set";
			return;
		}
		if ((val & HV_STIMER_DIRECT_MODE) &&
		    ((val & HV_STIMER_APIC_VECTOR_MASK) >>
		     HV_STIMER_APIC_VECTOR_SHIFT) < HV_SINT_MIN_VECTOR) {
			w->why = "direct-mode vector below 16";
			return;
		}
		st->config = val;
	} else {
		st->count = val;
		if (!val)
			st->config &= ~HV_STIMER_ENABLE;
		else if (st->config & HV_STIMER_AUTO_ENABLE)
			st->config |= HV_STIMER_ENABLE;
	}
	stimer_enable_rules(st);
	stimer_restart(st, now);
	vp_run_timers(hv, vp, now);
	w->kick = true;
}

int hv_wrmsr(struct hv *hv, uint32_t vp, uint32_t msr, uint64_t val)
{
	struct wr_ctx w = { NULL, false };
	struct hv_vp *v;

	if (!hv || vp >= hv->nr_vps)
		return -1;

	pthread_mutex_lock(&hv->lock);
	hv->c.wrmsr++;
	v = &hv->vps[vp];
	if (is_sint(msr)) {
		wr_sint(hv, vp, msr - HV_X64_MSR_SINT0, val, &w);
	} else if (is_stimer(msr)) {
		wr_stimer(hv, vp, msr, val, &w);
	} else if (is_crash_p(msr)) {
		if (has_crash_msrs(hv))
			hv->crash_p[msr - HV_X64_MSR_CRASH_P0] = val;
		else
			w.why = "not available on this host";
	} else {
		switch (msr) {
		case HV_X64_MSR_GUEST_OS_ID:
			hv->guest_os_id = val;
			/* TLFS: clearing the id disables the hypercall page */
			if (!val)
				hv->hypercall &= ~HV_HYPERCALL_ENABLE;
			break;
		case HV_X64_MSR_HYPERCALL:
			wr_hypercall(hv, val, &w);
			break;
		case HV_X64_MSR_REFERENCE_TSC:
			wr_ref_tsc(hv, val, &w);
			break;
		case HV_X64_MSR_VP_ASSIST_PAGE:
			/* stored only: hvhost offers no APIC assist */
			wr_page_msr(hv, &v->vp_assist, val, false, &w);
			break;
		case HV_X64_MSR_SCONTROL:
			if (val & ~HV_SCONTROL_ENABLE) {
				w.why = "reserved bits set";
				break;
			}
			v->scontrol = val;
			vp_flush(hv, vp);
			break;
		case HV_X64_MSR_SIEFP:
			wr_page_msr(hv, &v->siefp, val, true, &w);
			break;
		case HV_X64_MSR_SIMP:
			if (wr_page_msr(hv, &v->simp, val, true, &w))
				vp_flush(hv, vp);
			break;
		case HV_X64_MSR_EOM:
			v->eoms++;
			vp_flush(hv, vp);
			break;
		case HV_X64_MSR_CRASH_CTL:
			if (!has_crash_msrs(hv)) {
				w.why = "not available on this host";
				break;
			}
			if (val & ~crash_ctl_caps(hv)) {
				w.why = "reserved bits set";
				break;
			}
			if (val & HV_CRASH_CTL_CRASH_NOTIFY)
				crash_report(hv, vp, val &
					     HV_CRASH_CTL_CRASH_NOTIFY_MSG);
			break;
		case HV_X64_MSR_VP_INDEX:
		case HV_X64_MSR_TIME_REF_COUNT:
		case HV_X64_MSR_SVERSION:
		case HV_X64_MSR_TSC_FREQUENCY:
		case HV_X64_MSR_APIC_FREQUENCY:
			w.why = "read-only";
			break;
		default:
			w.why = "not emulated";
			break;
		}
	}
	if (w.why)
		hv->c.gp++;
	pthread_mutex_unlock(&hv->lock);

	if (w.why) {
		hv_log(hv, "vp%u: wrmsr 0x%x <- 0x%" PRIx64 ": %s, #GP",
		       vp, msr, val, w.why);
		return -1;
	}
	if (w.kick && hv->ops.kick)
		hv->ops.kick(hv->ops.opaque);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Hypercalls                                                         */
/* ------------------------------------------------------------------ */

int hv_register_msg_conn(struct hv *hv, uint32_t conn_id,
			 hv_msg_handler fn, void *opaque)
{
	int i, ret = -1;

	if (!hv || !fn || conn_id > HV_CONN_ID_MAX)
		return -1;
	pthread_mutex_lock(&hv->lock);
	for (i = 0; i < hv->nr_msg_conns; i++)
		if (hv->msg_conns[i].id == conn_id)
			goto out;
	if (hv->nr_msg_conns < HV_MAX_CONNS) {
		hv->msg_conns[hv->nr_msg_conns].id = conn_id;
		hv->msg_conns[hv->nr_msg_conns].msg_fn = fn;
		hv->msg_conns[hv->nr_msg_conns].opaque = opaque;
		hv->nr_msg_conns++;
		ret = 0;
	}
out:
	pthread_mutex_unlock(&hv->lock);
	return ret;
}

int hv_register_event_conn(struct hv *hv, uint32_t conn_id,
			   hv_event_handler fn, void *opaque)
{
	int i, ret = -1;

	if (!hv || !fn || conn_id > HV_CONN_ID_MAX)
		return -1;
	pthread_mutex_lock(&hv->lock);
	for (i = 0; i < hv->nr_event_conns; i++)
		if (hv->event_conns[i].id == conn_id)
			goto out;
	if (hv->nr_event_conns < HV_MAX_CONNS) {
		hv->event_conns[hv->nr_event_conns].id = conn_id;
		hv->event_conns[hv->nr_event_conns].event_fn = fn;
		hv->event_conns[hv->nr_event_conns].opaque = opaque;
		hv->nr_event_conns++;
		ret = 0;
	}
out:
	pthread_mutex_unlock(&hv->lock);
	return ret;
}

/* Look a connection up; the tables only grow, so the copy stays valid */
static bool find_conn(struct hv *hv, const struct hv_conn *tab, int n,
		      uint32_t id, struct hv_conn *out)
{
	int i;

	(void)hv;
	for (i = 0; i < n; i++)
		if (tab[i].id == id) {
			*out = tab[i];
			return true;
		}
	return false;
}

/*
 * Copy @len bytes of hypercall input at @gpa: 8-byte aligned, inside
 * guest RAM, not crossing a page.  Returns an HV_STATUS_*.
 */
static uint16_t read_input(struct hv *hv, uint64_t gpa, void *buf,
			   uint32_t len)
{
	const void *src;

	if (gpa & 7)
		return HV_STATUS_INVALID_ALIGNMENT;
	if ((gpa & (HV_PAGE_SIZE - 1)) + len > HV_PAGE_SIZE)
		return HV_STATUS_INVALID_ALIGNMENT;
	src = hv->ops.gpa(hv->ops.opaque, gpa, len);
	if (!src)
		return HV_STATUS_INVALID_ALIGNMENT;
	memcpy(buf, src, len);
	return HV_STATUS_SUCCESS;
}

static uint16_t hc_post_message(struct hv *hv, uint32_t vp, bool fast,
				uint64_t in)
{
	const uint32_t hdr = offsetof(struct hv_input_post_message, payload);
	struct hv_input_post_message msg;
	struct hv_conn conn;
	uint32_t size;
	uint16_t st;
	bool found;

	pthread_mutex_lock(&hv->lock);
	hv->c.hc_post++;
	pthread_mutex_unlock(&hv->lock);
	if (fast)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	st = read_input(hv, in, &msg, hdr);
	if (st)
		return st;
	if (msg.reserved || (msg.connection_id & ~HV_CONNECTION_ID_MASK))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (msg.payload_size > HV_MESSAGE_PAYLOAD_BYTE_COUNT ||
	    msg.message_type == HVMSG_NONE ||
	    (msg.message_type & HVMSG_HYPERVISOR_MASK))
		return HV_STATUS_INVALID_PARAMETER;
	/* From here on only the copy counts, whatever the guest does */
	size = msg.payload_size;
	if ((in & (HV_PAGE_SIZE - 1)) + hdr + size > HV_PAGE_SIZE)
		return HV_STATUS_INVALID_ALIGNMENT;
	if (size) {
		st = read_input(hv, in + hdr, msg.payload, size);
		if (st)
			return st;
	}

	pthread_mutex_lock(&hv->lock);
	found = find_conn(hv, hv->msg_conns, hv->nr_msg_conns,
			  msg.connection_id, &conn);
	pthread_mutex_unlock(&hv->lock);
	if (!found)
		return HV_STATUS_INVALID_CONNECTION_ID;
	return conn.msg_fn(conn.opaque, vp, msg.message_type, msg.payload,
			   size);
}

static uint16_t hc_signal_event(struct hv *hv, uint32_t vp, bool fast,
				uint64_t in)
{
	struct hv_input_signal_event ev;
	struct hv_conn conn;
	uint16_t st;
	bool found;

	pthread_mutex_lock(&hv->lock);
	hv->c.hc_signal++;
	pthread_mutex_unlock(&hv->lock);
	if (fast) {
		ev.connection_id = (uint32_t)in;
		ev.flag_number = (uint16_t)(in >> 32);
		ev.rsvd_z = (uint16_t)(in >> 48);
	} else {
		st = read_input(hv, in, &ev, sizeof(ev));
		if (st)
			return st;
	}
	if (ev.rsvd_z || (ev.connection_id & ~HV_CONNECTION_ID_MASK))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;

	pthread_mutex_lock(&hv->lock);
	found = find_conn(hv, hv->event_conns, hv->nr_event_conns,
			  ev.connection_id, &conn);
	pthread_mutex_unlock(&hv->lock);
	if (!found)
		return HV_STATUS_INVALID_CONNECTION_ID;
	if (ev.flag_number >= HV_EVENT_FLAGS_COUNT)
		return HV_STATUS_INVALID_PARAMETER;
	return conn.event_fn(conn.opaque, vp, ev.flag_number);
}

static const char *hc_name(uint16_t code)
{
	switch (code) {
	case HVCALL_POST_MESSAGE:
		return "HvPostMessage";
	case HVCALL_SIGNAL_EVENT:
		return "HvSignalEvent";
	case HVCALL_NOTIFY_LONG_SPIN_WAIT:
		return "HvNotifyLongSpinWait";
	default:
		return "unknown";
	}
}

uint64_t hv_hypercall(struct hv *hv, uint32_t vp, uint64_t control,
		      uint64_t in, uint64_t out)
{
	uint16_t code = control & HV_HYPERCALL_CODE_MASK;
	bool fast = control & HV_HYPERCALL_FAST_BIT;
	bool enabled;
	uint16_t st;

	(void)out;	/* none of the emulated calls has output */
	if (!hv)
		return HV_STATUS_INVALID_PARAMETER;
	if (vp >= hv->nr_vps)
		return HV_STATUS_INVALID_VP_INDEX;

	pthread_mutex_lock(&hv->lock);
	hv->c.hypercalls++;
	enabled = hv->hypercall & HV_HYPERCALL_ENABLE;
	pthread_mutex_unlock(&hv->lock);

	if (!enabled) {
		st = HV_STATUS_ACCESS_DENIED;
		hv_log(hv, "vp%u: hypercall 0x%" PRIx64 " while the "
		       "hypercall page is disabled", vp, control);
		goto done;
	}
	if (control & HV_CONTROL_RSVD) {
		st = HV_STATUS_INVALID_HYPERCALL_INPUT;
		goto fail;
	}
	switch (code) {
	case HVCALL_POST_MESSAGE:
	case HVCALL_SIGNAL_EVENT:
	case HVCALL_NOTIFY_LONG_SPIN_WAIT:
		break;
	default:
		st = HV_STATUS_INVALID_HYPERCALL_CODE;
		goto fail;
	}
	/* All emulated calls are simple: no reps, no variable header */
	if (control & (HV_HYPERCALL_REP_COUNT_MASK |
		       HV_HYPERCALL_REP_START_MASK |
		       HV_HYPERCALL_VARHEAD_MASK)) {
		st = HV_STATUS_INVALID_HYPERCALL_INPUT;
		goto fail;
	}

	switch (code) {
	case HVCALL_POST_MESSAGE:
		st = hc_post_message(hv, vp, fast, in);
		break;
	case HVCALL_SIGNAL_EVENT:
		st = hc_signal_event(hv, vp, fast, in);
		break;
	default:
		/* HvNotifyLongSpinWait: fast only, a hint with no effect */
		pthread_mutex_lock(&hv->lock);
		hv->c.hc_spin++;
		pthread_mutex_unlock(&hv->lock);
		st = fast ? HV_STATUS_SUCCESS :
			    HV_STATUS_INVALID_HYPERCALL_INPUT;
		break;
	}
	if (st == HV_STATUS_SUCCESS)
		return HV_STATUS_SUCCESS;
fail:
	hv_log(hv, "vp%u: %s (control 0x%" PRIx64 ", input 0x%" PRIx64
	       ") -> status %u", vp, hc_name(code), control, in, st);
done:
	pthread_mutex_lock(&hv->lock);
	hv->c.hc_failed++;
	pthread_mutex_unlock(&hv->lock);
	return st;
}

/* ------------------------------------------------------------------ */
/* State dump                                                         */
/* ------------------------------------------------------------------ */

void hv_dump(struct hv *hv, FILE *out)
{
	const struct hv_profile *p = hv->p;
	const struct hv_counters *c = &hv->c;
	uint32_t vp, s, i;

	pthread_mutex_lock(&hv->lock);
	fprintf(out, "profile %s (%s, %u.%u.%u)\n", p->name, p->product,
		p->major, p->minor, p->build);
	fprintf(out, "reference time %" PRIu64 " (100 ns)\n", hv_ref_time(hv));
	fprintf(out, "guest os id 0x%016" PRIx64 "\n", hv->guest_os_id);
	fprintf(out, "hypercall 0x%" PRIx64 " (%s%s)\n", hv->hypercall,
		hv->hypercall & HV_HYPERCALL_ENABLE ? "enabled" : "disabled",
		hv->hypercall & HV_HYPERCALL_LOCKED ? ", locked" : "");
	fprintf(out, "reference tsc 0x%" PRIx64 " (%s) scale 0x%016" PRIx64
		" offset %" PRId64 " sequence %u\n", hv->ref_tsc,
		hv->ref_tsc & HV_MSR_PAGE_ENABLE ? "enabled" : "disabled",
		hv->tsc_scale, hv->tsc_offset, hv->tsc_sequence);
	if (hv->c.crashes)
		fprintf(out, "crash P0-P4 0x%" PRIx64 " 0x%" PRIx64 " 0x%"
			PRIx64 " 0x%" PRIx64 " 0x%" PRIx64 "\n",
			hv->crash_p[0], hv->crash_p[1], hv->crash_p[2],
			hv->crash_p[3], hv->crash_p[4]);
	for (vp = 0; vp < hv->nr_vps; vp++) {
		const struct hv_vp *v = &hv->vps[vp];

		fprintf(out, "vp%u scontrol 0x%" PRIx64 " simp 0x%" PRIx64
			" siefp 0x%" PRIx64 " vp_assist 0x%" PRIx64
			" eom %" PRIu64 "\n", vp, v->scontrol, v->simp,
			v->siefp, v->vp_assist, v->eoms);
		for (s = 0; s < HV_SYNIC_SINT_COUNT; s++) {
			const struct hv_msgq *q = &v->q[s];
			uint64_t sint = v->sint[s];

			if (sint == HV_SINT_RESET_VALUE && !q->count &&
			    !q->delivered && !q->dropped)
				continue;
			fprintf(out, "vp%u sint%u 0x%" PRIx64
				" vector 0x%02x%s%s%s queued %u delivered %"
				PRIu64 " refused %" PRIu64 "\n", vp, s, sint,
				(unsigned int)(sint & HV_SINT_VECTOR_MASK),
				sint & HV_SINT_MASKED ? " masked" : "",
				sint & HV_SINT_AUTO_EOI ? " auto-eoi" : "",
				sint & HV_SINT_POLLING ? " polling" : "",
				q->count, q->delivered, q->dropped);
		}
		for (i = 0; i < HV_SYNIC_STIMER_COUNT; i++) {
			const struct hv_stimer *st = &v->st[i];

			if (!st->config && !st->count && !st->fired)
				continue;
			fprintf(out, "vp%u stimer%u config 0x%" PRIx64
				" count %" PRIu64 " deadline %" PRIu64
				"%s fired %" PRIu64 " coalesced %" PRIu64 "\n",
				vp, i, st->config, st->count, st->deadline,
				st->pending ? " pending" : "", st->fired,
				st->coalesced);
		}
	}
	fprintf(out, "counters rdmsr %" PRIu64 " wrmsr %" PRIu64 " gp %" PRIu64
		" hypercalls %" PRIu64 " (post %" PRIu64 " signal %" PRIu64
		" spin %" PRIu64 " failed %" PRIu64 ")\n",
		c->rdmsr, c->wrmsr, c->gp, c->hypercalls, c->hc_post,
		c->hc_signal, c->hc_spin, c->hc_failed);
	fprintf(out, "counters messages posted %" PRIu64 " delivered %" PRIu64
		" refused %" PRIu64 " events %" PRIu64 " irqs %" PRIu64
		" irq errors %" PRIu64 " timer expiries %" PRIu64
		" crashes %" PRIu64 "\n",
		c->msgs_posted, c->msgs_delivered, c->msgs_dropped,
		c->events_set, c->irqs, c->irq_errors, c->timer_fired,
		c->crashes);
	pthread_mutex_unlock(&hv->lock);
}
