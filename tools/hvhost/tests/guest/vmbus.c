// SPDX-License-Identifier: GPL-2.0
/*
 * hvhost micro-guest: VMBus tests (hvtest.mode=vmbus).
 *
 * The guest is its own VMBus client.  It sets up the hypercall page and the
 * SynIC, posts channel messages with HvPostMessage, takes the host's from
 * SIMP slot 2 (SINT2) and its channel signals from SIEFP slot 2 (or, before
 * VMBus 2.4, from the interrupt page), and drives one channel through its
 * ring buffers: hv-heartbeat, or hv-balloon where QEMU has no hv-heartbeat
 * (hvtest.vmbusdev=balloon).  In order:
 *
 *   1. version negotiation, newest first, against what the host profile
 *      offers (5.x to connection id 4, older to connection id 1);
 *   2. REQUESTOFFERS: the offers and their layout;
 *   3. a ring-buffer GPADL large enough to need GPADL_BODY messages;
 *   4. OPENCHANNEL;
 *   5. a packet each way, signalled as the negotiated era requires;
 *   6. hostile input: malformed channel messages, GPADLs, opens and
 *      packets, each followed by a normal exchange that proves the VMBus
 *      still works;
 *   7. UNLOAD, then a new connection (a module reload).
 *
 * Wire layouts: vmbusdefs.h.  Output: TAP on COM1 (the plan at the end).
 */
#include "hvdefs.h"
#include "lib.h"
#include "vmbus.h"
#include "vmbusdefs.h"

#define MS		((uint64_t)10000)	/* 1 ms in 100 ns units */
#define REPLY_WAIT	(1000 * MS)	/* for an answer the host owes */
#define QUIET_WAIT	(200 * MS)	/* to conclude "no answer" */
#define HOSTILE_WAIT	(300 * MS)	/* for the refusal of hostile input */
#define HB_WAIT		(5000 * MS)	/* for the first heartbeat request */

/*
 * The channel's ring-buffer GPADL: 64 pages, so 26 PFNs in GPADL_HEADER
 * and two GPADL_BODY messages (28 and 10 PFNs)
 */
#define RING_OUT_PAGES	8	/* guest->host ring, with its header page */
#define RING_IN_PAGES	56	/* host->guest ring, with its header page */
#define RING_PAGES	(RING_OUT_PAGES + RING_IN_PAGES)
#define RING_OUT_SIZE	((RING_OUT_PAGES - 1) * PAGE_SIZE)
#define RING_IN_SIZE	((RING_IN_PAGES - 1) * PAGE_SIZE)

#define GPA(p)		((uint64_t)(uintptr_t)(p))
#define PFN(p)		(GPA(p) >> 12)
#define BAD_PFN		((uint64_t)0xfffffffff)	/* 64 TiB: not guest RAM */
#define ST_INSUFFICIENT_BUFFERS	19
#define GUEST_OS_ID	0x8100060100010042ull

static uint8_t hc_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t post_in[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t simp[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t siefp[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
/* Before 5.0: first half host->guest, second half guest->host */
static uint8_t int_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t monitor[2][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t ring[RING_PAGES][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
/* The small GPADL of the "is the VMBus still alive" probe */
static uint8_t probe_pages[2][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

/* The newest VMBus version each host profile offers (it offers all older) */
static const struct {
	const char *name;
	uint32_t newest;
} vmbus_profiles[] = {
	{ "ws2008",   VMB_VERSION(0, 13) },
	{ "ws2008r2", VMB_VERSION(1, 1) },
	{ "ws2012",   VMB_VERSION(2, 4) },
	{ "ws2012r2", VMB_VERSION(3, 0) },
	{ "ws2016",   VMB_VERSION(4, 0) },
	{ "ws2019",   VMB_VERSION(5, 2) },
	{ "ws2022",   VMB_VERSION(5, 3) },
	{ "ws2025",   VMB_VERSION(5, 3) },
};

/* What a guest tries, newest first (Linux's list, with the pre-2.4 ones) */
static const uint32_t try_versions[] = {
	VMB_VERSION(5, 3), VMB_VERSION(5, 2), VMB_VERSION(5, 1),
	VMB_VERSION(5, 0), VMB_VERSION(4, 1), VMB_VERSION(4, 0),
	VMB_VERSION(3, 0), VMB_VERSION(2, 4), VMB_VERSION(1, 1),
	VMB_VERSION(0, 13),
};

static struct {
	const char *host;
	uint32_t newest;	/* the profile's newest VMBus version */
	bool heartbeat;		/* channel under test: hv-heartbeat, else hv-balloon */
	const char *dev_name, *dev_guid;
	uint32_t version;	/* negotiated */
	uint32_t msg_conn;	/* where channel messages go */
	uint32_t relid;		/* the channel under test */
	uint32_t conn_id;	/* its offer's connection id */
	uint32_t gpadl;		/* its ring GPADL */
	uint32_t next_gpadl, next_open, next_trans;
	uint32_t stray;		/* host messages nobody waited for */
} vb;

static bool old_era(void)
{
	return vb.version < VMB_VERSION(2, 4);
}

static bool era5(uint32_t version)
{
	return version >= VMB_VERSION(5, 0);
}

/* ---- hypercalls and messages --------------------------------------- */

static uint16_t vb_hypercall(uint64_t control, uint64_t in)
{
	return (uint16_t)hypercall_via(hc_page, control, in, 0);
}

/* HvPostMessage of @size bytes (at most 240 copied) to connection @conn */
static uint16_t post_to(uint32_t conn, const void *msg, uint32_t size)
{
	uint32_t *in = (uint32_t *)post_in;
	uint16_t st = ST_SUCCESS;

	/* the host may be out of buffers for a moment: retry as Linux does */
	for (int tries = 0; tries < 100; tries++) {
		memset(post_in, 0, 16 + VMB_MSG_MAX);
		in[0] = conn;
		in[2] = HVMSG_VMBUS;
		in[3] = size;
		memcpy(post_in + 16, msg, size < VMB_MSG_MAX ? size : VMB_MSG_MAX);
		st = vb_hypercall(HC_POST_MESSAGE, GPA(post_in));
		if (st != ST_INSUFFICIENT_BUFFERS)
			break;
		delay_ref(MS);
	}
	return st;
}

static uint16_t post(const void *msg, uint32_t size)
{
	return post_to(vb.msg_conn, msg, size);
}

/* A message from the host, copied out of SIMP slot 2 */
struct vb_msg {
	uint32_t hv_type;
	uint32_t size;
	union {
		uint8_t data[VMB_MSG_MAX];
		struct vmb_hdr hdr;
		uint64_t align;
	};
};

static volatile uint8_t *slot2(void)
{
	return simp + 2 * MSG_SLOT_SIZE;
}

static bool slot2_full(void *arg)
{
	(void)arg;
	return *(volatile uint32_t *)(slot2() + MSG_TYPE) != 0;
}

/* The next message (any), or false after @timeout; frees the slot, EOM */
static bool msg_recv(struct vb_msg *m, uint64_t timeout)
{
	volatile uint8_t *s = slot2();

	if (!wait_cond(slot2_full, NULL, timeout))
		return false;
	m->hv_type = *(volatile uint32_t *)(s + MSG_TYPE);
	m->size = s[MSG_PAYLOAD_SIZE];
	if (m->size > VMB_MSG_MAX)
		m->size = VMB_MSG_MAX;
	memset(m->data, 0, sizeof(m->data));
	for (uint32_t i = 0; i < m->size; i++)
		m->data[i] = s[MSG_PAYLOAD + i];
	*(volatile uint32_t *)(s + MSG_TYPE) = 0;
	mb();
	wrmsr(MSR_EOM, 0);
	return true;
}

static bool msg_is(const struct vb_msg *m, uint32_t type)
{
	return m->hv_type == HVMSG_VMBUS && m->size >= sizeof(struct vmb_hdr) &&
	       m->hdr.type == type;
}

static uint32_t msg_u32(const struct vb_msg *m, uint32_t off)
{
	uint32_t v;

	memcpy(&v, m->data + off, sizeof(v));
	return v;
}

static void msg_stray(const struct vb_msg *m, const char *when)
{
	vb.stray++;
	diag("unexpected host message %s: SynIC type %u, %u bytes, channel message %u (%08x %08x %08x)",
	     when, m->hv_type, m->size, m->size >= 4 ? m->hdr.type : 0,
	     msg_u32(m, 8), msg_u32(m, 12), msg_u32(m, 16));
}

/*
 * Wait for channel message @type whose u32 at payload offset @key_off is
 * @key (@key_off 0: any); others are logged and counted as strays
 */
static bool msg_wait(uint32_t type, uint32_t key_off, uint32_t key,
		     struct vb_msg *m, uint64_t timeout)
{
	uint64_t end = ref_now() + timeout;

	for (;;) {
		uint64_t now = ref_now();

		if (now >= end || !msg_recv(m, end - now))
			return false;
		if (msg_is(m, type) && (!key_off || (m->size >= key_off + 4 &&
						     msg_u32(m, key_off) == key)))
			return true;
		msg_stray(m, "while waiting");
	}
}

/* No host message within @timeout (one that comes is logged) */
static bool msg_quiet(uint64_t timeout)
{
	struct vb_msg m;

	if (!msg_recv(&m, timeout))
		return true;
	msg_stray(&m, "where none was due");
	return false;
}

/* ---- GUIDs --------------------------------------------------------- */

static void guid_str(char *buf, size_t n, const uint8_t *g)
{
	snprintf(buf, n, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 (uint32_t)g[0] | (uint32_t)g[1] << 8 | (uint32_t)g[2] << 16 |
		 (uint32_t)g[3] << 24, g[4] | g[5] << 8, g[6] | g[7] << 8,
		 g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}

/* ---- event flags and signals --------------------------------------- */

static bool bit_test(const void *base, uint32_t bit)
{
	return ((const volatile uint8_t *)base)[bit / 8] & (1u << (bit % 8));
}

static bool bit_test_clear(void *base, uint32_t bit)
{
	uint32_t *w = (uint32_t *)base + bit / 32, mask = 1u << (bit % 32);

	return __atomic_fetch_and(w, ~mask, __ATOMIC_SEQ_CST) & mask;
}

static void bit_set(void *base, uint32_t bit)
{
	uint32_t *w = (uint32_t *)base + bit / 32;

	__atomic_fetch_or(w, 1u << (bit % 32), __ATOMIC_SEQ_CST);
}

static uint8_t *sief2(void)
{
	return siefp + 2 * SIEF_SLOT_SIZE;
}

/* What the host set to signal the channel */
struct sig {
	bool relid_flag;	/* SIEFP slot 2 bit <relid> (2.4 and later) */
	bool flag0;		/* SIEFP slot 2 bit 0 (before 2.4) */
	bool int_page;		/* interrupt page, first half, bit <relid> */
};

static bool sig_pending(void *arg)
{
	(void)arg;
	return bit_test(sief2(), vb.relid) || bit_test(sief2(), 0) ||
	       bit_test(int_page, vb.relid);
}

static void sig_take(struct sig *s)
{
	s->relid_flag = bit_test_clear(sief2(), vb.relid);
	s->flag0 = bit_test_clear(sief2(), 0);
	s->int_page = bit_test_clear(int_page, vb.relid);
}

static bool sig_wait(struct sig *s, uint64_t timeout)
{
	bool got = wait_cond(sig_pending, NULL, timeout);

	/* the host may set the flag and the page bit one after the other */
	if (got)
		delay_ref(MS);
	sig_take(s);
	return got;
}

static void sig_or(struct sig *s, const struct sig *one)
{
	s->relid_flag |= one->relid_flag;
	s->flag0 |= one->flag0;
	s->int_page |= one->int_page;
}

/* As the negotiated era requires */
static bool sig_ok(const struct sig *s)
{
	return old_era() ? s->flag0 && s->int_page : s->relid_flag;
}

static const char *sig_want(void)
{
	return old_era() ?
	       "by SIEFP slot 2 bit 0 and the channel's bit in the interrupt page's first half" :
	       "by the channel's bit in SIEFP slot 2";
}

static const char *sig_desc(const struct sig *s)
{
	static char buf[96];

	snprintf(buf, sizeof(buf), "seen: SIEF bit %u %s, SIEF bit 0 %s, interrupt page bit %s",
		 vb.relid, s->relid_flag ? "set" : "clear",
		 s->flag0 ? "set" : "clear", s->int_page ? "set" : "clear");
	return buf;
}

/* Tell the host about the guest->host ring, as the era requires */
static uint16_t signal_host(void)
{
	if (old_era()) {
		bit_set(int_page + PAGE_SIZE / 2, vb.relid);
		return vb_hypercall(HC_SIGNAL_EVENT | HC_FAST,
				    VMB_EVENT_CONNECTION_ID);
	}
	return vb_hypercall(HC_SIGNAL_EVENT | HC_FAST, vb.conn_id);
}

static const char *signal_desc(void)
{
	static char buf[80];

	if (old_era())
		snprintf(buf, sizeof(buf),
			 "by interrupt page bit %u and HvSignalEvent on connection %u",
			 vb.relid, VMB_EVENT_CONNECTION_ID);
	else
		snprintf(buf, sizeof(buf), "by HvSignalEvent on connection %u",
			 vb.conn_id);
	return buf;
}

/* ---- ring buffers -------------------------------------------------- */

static volatile struct vmb_ring_hdr *out_hdr(void)
{
	return (volatile struct vmb_ring_hdr *)ring[0];
}

static volatile struct vmb_ring_hdr *in_hdr(void)
{
	return (volatile struct vmb_ring_hdr *)ring[RING_OUT_PAGES];
}

static void ring_reset(void)
{
	memset(ring, 0, sizeof(ring));
	/*
	 * As Linux: we honour pending_send_sz, so the host need not interrupt
	 * us for every packet it reads.  The other header is the host's.
	 */
	out_hdr()->feature_bits = VMB_RING_FEAT_PENDING_SZ;
}

static void ring_put(uint32_t pos, const void *src, uint32_t n)
{
	uint8_t *data = ring[1];
	const uint8_t *p = src;

	for (uint32_t i = 0; i < n; i++)
		data[(pos + i) % RING_OUT_SIZE] = p ? p[i] : 0;
}

static void ring_get(uint32_t pos, void *dst, uint32_t n)
{
	const volatile uint8_t *data = ring[RING_OUT_PAGES + 1];
	uint8_t *p = dst;

	for (uint32_t i = 0; i < n; i++)
		p[i] = data[(pos + i) % RING_IN_SIZE];
}

/* A packet taken from the host->guest ring */
struct pkt {
	struct vmb_pkt_hdr h;
	uint32_t len;		/* payload bytes */
	union {
		uint8_t data[2048];
		uint64_t align;
	};
};

/* 1: a packet; 0: the ring is empty; -1: malformed (the ring is left) */
static int ring_read(struct pkt *p)
{
	volatile struct vmb_ring_hdr *h = in_hdr();
	uint32_t w = h->write_index, r = h->read_index, avail, off, len;

	if (w >= RING_IN_SIZE || r >= RING_IN_SIZE || (w | r) & 7)
		return -1;
	avail = w >= r ? w - r : RING_IN_SIZE - r + w;
	if (!avail)
		return 0;
	mb();
	if (avail < sizeof(p->h) + VMB_PKT_TRAILER)
		return -1;
	ring_get(r, &p->h, sizeof(p->h));
	off = p->h.offset8 * 8u;
	len = p->h.len8 * 8u;
	if (off < sizeof(p->h) || off > len || len + VMB_PKT_TRAILER > avail ||
	    len - off > sizeof(p->data))
		return -1;
	p->len = len - off;
	ring_get(r + off, p->data, p->len);
	mb();
	h->read_index = (r + len + VMB_PKT_TRAILER) % RING_IN_SIZE;
	return 1;
}

/* Put an in-band packet into the guest->host ring (no signal) */
static bool ring_write(uint64_t trans_id, const void *payload, uint32_t n)
{
	volatile struct vmb_ring_hdr *h = out_hdr();
	uint32_t w = h->write_index, r = h->read_index, len, room;
	struct vmb_pkt_hdr ph;
	uint64_t trailer = (uint64_t)w << 32;

	len = sizeof(ph) + ((n + 7) & ~7u);
	room = r > w ? r - w : RING_OUT_SIZE - (w - r);
	if (w >= RING_OUT_SIZE || r >= RING_OUT_SIZE ||
	    len + VMB_PKT_TRAILER >= room)
		return false;
	ph.type = VMB_PKT_DATA_INBAND;
	ph.offset8 = sizeof(ph) / 8;
	ph.len8 = (uint16_t)(len / 8);
	ph.flags = 0;
	ph.trans_id = trans_id;
	ring_put(w, &ph, sizeof(ph));
	ring_put(w + sizeof(ph), payload, n);
	ring_put(w + sizeof(ph) + n, NULL, len - sizeof(ph) - n);
	ring_put(w + len, &trailer, sizeof(trailer));
	mb();
	h->write_index = (w + len + VMB_PKT_TRAILER) % RING_OUT_SIZE;
	return true;
}

/*
 * A packet descriptor claiming @off8/@len8 (8-byte units) while the guest
 * advances write_index by only @advance bytes: hostile
 */
static void ring_write_bad(uint16_t off8, uint16_t len8, uint32_t advance)
{
	volatile struct vmb_ring_hdr *h = out_hdr();
	uint32_t w = h->write_index;
	struct vmb_pkt_hdr ph = {
		.type = VMB_PKT_DATA_INBAND, .offset8 = off8, .len8 = len8,
		.trans_id = 0xbad,
	};

	ring_put(w, NULL, advance);
	ring_put(w, &ph, sizeof(ph));
	mb();
	h->write_index = (w + advance) % RING_OUT_SIZE;
}

/* Every packet the host put into its ring since is well-formed */
static bool ring_drain_sane(uint32_t *count)
{
	struct pkt p;
	int r;

	*count = 0;
	while ((r = ring_read(&p)) == 1) {
		if (p.h.type != VMB_PKT_DATA_INBAND && p.h.type != VMB_PKT_COMP)
			return false;
		(*count)++;
	}
	return r == 0;
}

/* ---- setup --------------------------------------------------------- */

static bool vmbus_setup(const char *host, const char *device)
{
	uint64_t hc;

	vb.host = host ? host : "?";
	for (size_t i = 0; host && i < ARRAY_SIZE(vmbus_profiles); i++)
		if (!strncmp(host, vmbus_profiles[i].name, 16))
			vb.newest = vmbus_profiles[i].newest;
	vb.heartbeat = !device || strncmp(device, "balloon", 8);
	vb.dev_name = vb.heartbeat ? "hv-heartbeat" : "hv-balloon";
	vb.dev_guid = vb.heartbeat ? HV_HEARTBEAT_GUID : HV_BALLOON_GUID;
	vb.next_gpadl = 0x100;
	vb.next_open = 0x4000;
	vb.next_trans = 0x7000;
	diag("VMBus tests: host profile %s (VMBus up to %u.%u), channel under test %s (%s)",
	     vb.host, VMB_MAJOR(vb.newest), VMB_MINOR(vb.newest), vb.dev_name,
	     vb.dev_guid);

	wrmsr(MSR_GUEST_OS_ID, GUEST_OS_ID);
	wrmsr(MSR_HYPERCALL, GPA(hc_page) | MSR_ENABLE);
	hc = rdmsr(MSR_HYPERCALL);
	wrmsr(MSR_SIMP, GPA(simp) | MSR_ENABLE);
	wrmsr(MSR_SIEFP, GPA(siefp) | MSR_ENABLE);
	wrmsr(MSR_SINT(VMB_MESSAGE_SINT), VEC_SINT2);
	wrmsr(MSR_SCONTROL, MSR_ENABLE);
	tap(vb.newest && (hc & MSR_ENABLE) &&
	    rdmsr(MSR_SIMP) == (GPA(simp) | MSR_ENABLE) &&
	    rdmsr(MSR_SIEFP) == (GPA(siefp) | MSR_ENABLE) &&
	    rdmsr(MSR_SINT(VMB_MESSAGE_SINT)) == VEC_SINT2,
	    "VMBus: profile %s known, hypercall page, SIMP, SIEFP and SINT2 (vector 0x%x) set up",
	    vb.host, VEC_SINT2);
	return vb.newest != 0;
}

/* ---- 1. version negotiation ---------------------------------------- */

/*
 * INITIATE_CONTACT for @ver: 1 accepted, 0 refused, -1 the post failed
 * (*st), -2 no VERSION_RESPONSE.  *conn: the response's msg_conn_id.
 */
static int contact(uint32_t ver, uint16_t *st, uint32_t *conn)
{
	struct vmb_initiate_contact ic;
	struct vb_msg m;
	struct vmb_version_response vr;

	memset(&ic, 0, sizeof(ic));
	memset(int_page, 0, sizeof(int_page));
	memset(monitor, 0, sizeof(monitor));
	ic.hdr.type = VMB_INITIATE_CONTACT;
	ic.version = ver;
	ic.target_vcpu = 0;
	if (era5(ver))
		ic.u.v5.msg_sint = VMB_MESSAGE_SINT;
	else
		ic.u.interrupt_page = GPA(int_page);
	ic.monitor_page1 = GPA(monitor[0]);
	ic.monitor_page2 = GPA(monitor[1]);
	*conn = 0;
	*st = post_to(era5(ver) ? VMB_MESSAGE_CONNECTION_ID_4 :
		      VMB_MESSAGE_CONNECTION_ID, &ic, sizeof(ic));
	if (*st != ST_SUCCESS)
		return -1;
	if (!msg_wait(VMB_VERSION_RESPONSE, 0, 0, &m, REPLY_WAIT) ||
	    m.size < offsetof(struct vmb_version_response, connection_state))
		return -2;
	memset(&vr, 0, sizeof(vr));
	memcpy(&vr, m.data, m.size < sizeof(vr) ? m.size : sizeof(vr));
	*conn = vr.msg_conn_id;
	return vr.version_supported ? 1 : 0;
}

static const char *contact_desc(int r, uint16_t st)
{
	static char buf[48];

	if (r == -1)
		snprintf(buf, sizeof(buf), "HvPostMessage status 0x%x", st);
	else if (r == -2)
		snprintf(buf, sizeof(buf), "no VERSION_RESPONSE");
	else
		snprintf(buf, sizeof(buf), "version_supported %d", r);
	return buf;
}

static bool test_negotiate(void)
{
	uint32_t first = 0, got = 0, got_conn = 0, mc;
	int last = -2, r;
	uint16_t st;

	for (size_t i = 0; i < ARRAY_SIZE(try_versions); i++) {
		uint32_t v = try_versions[i];
		bool want = v <= vb.newest;

		r = contact(v, &st, &mc);
		last = r;
		if (era5(v) && !era5(vb.newest)) {
			tap(r == -1 && st == ST_INVALID_CONNECTION,
			    "negotiate %u.%u: HvPostMessage to connection id 4 fails with HV_STATUS_INVALID_CONNECTION_ID on %s (%s)",
			    VMB_MAJOR(v), VMB_MINOR(v), vb.host,
			    contact_desc(r, st));
		} else {
			tap(r == (int)want,
			    "negotiate %u.%u (connection id %u): %s, want version_supported %d (%s offers up to %u.%u)",
			    VMB_MAJOR(v), VMB_MINOR(v),
			    era5(v) ? VMB_MESSAGE_CONNECTION_ID_4 :
			    VMB_MESSAGE_CONNECTION_ID, contact_desc(r, st),
			    want, vb.host, VMB_MAJOR(vb.newest),
			    VMB_MINOR(vb.newest));
		}
		if (r != 1)
			continue;
		if (!first)
			first = v;
		got = v;
		got_conn = mc;
		if (era5(v))
			tap(mc != 0,
			    "negotiate %u.%u: VERSION_RESPONSE carries the message connection id (%u)",
			    VMB_MAJOR(v), VMB_MINOR(v), mc);
		if (want)
			break;
		diag("the host accepted %u.%u, newer than %s offers: going on down the list",
		     VMB_MAJOR(v), VMB_MINOR(v), vb.host);
	}
	tap(first == vb.newest,
	    "negotiate: the first version accepted is %u.%u (want %s's newest, %u.%u)",
	    VMB_MAJOR(first), VMB_MINOR(first), vb.host, VMB_MAJOR(vb.newest),
	    VMB_MINOR(vb.newest));
	if (!got)
		return false;
	if (last != 1) {
		/* the last attempt was refused: connect again at the accepted one */
		r = contact(got, &st, &got_conn);
		if (r != 1)
			return false;
	}
	vb.version = got;
	vb.msg_conn = era5(got) ? (got_conn ? got_conn :
				   VMB_MESSAGE_CONNECTION_ID_4) :
		      VMB_MESSAGE_CONNECTION_ID;
	diag("connected: VMBus %u.%u, channel messages to connection id %u (%s signalling)",
	     VMB_MAJOR(got), VMB_MINOR(got), vb.msg_conn,
	     old_era() ? "interrupt page" : "per-channel event flag");
	return true;
}

/* ---- 2. offers ----------------------------------------------------- */

struct offers {
	uint32_t n;
	bool done;		/* ALLOFFERS_DELIVERED came */
	bool layout;		/* every offer well-formed */
	bool found;		/* the channel under test */
	uint32_t relid, conn_id;
	uint32_t relids[32];
};

static void offer_check(const struct vb_msg *m, struct offers *o)
{
	struct vmb_offer of;
	char type[40], inst[40];
	static const uint8_t zero[16];
	bool ok = m->size >= sizeof(of);

	memset(&of, 0, sizeof(of));
	memcpy(&of, m->data, m->size < sizeof(of) ? m->size : sizeof(of));
	guid_str(type, sizeof(type), of.type_guid);
	guid_str(inst, sizeof(inst), of.instance_guid);
	diag("offer: class %s instance %s relid %u connection id %u sub-channel %u flags 0x%x monitor %u/0x%x interrupt flags 0x%x (%u bytes)",
	     type, inst, of.child_relid, of.connection_id,
	     of.sub_channel_index, of.channel_flags, of.monitor_id,
	     of.monitor_flags, of.interrupt_flags, m->size);
	/* relids index the 2048 SynIC event flags */
	ok = ok && of.child_relid && of.child_relid < 2048 &&
	     memcmp(of.instance_guid, zero, 16) && of.sub_channel_index == 0;
	/* the connection id is what guests of 2.4 and later signal */
	if (!old_era())
		ok = ok && of.connection_id;
	for (uint32_t i = 0; i < o->n && i < ARRAY_SIZE(o->relids); i++)
		if (o->relids[i] == of.child_relid)
			ok = false;
	if (o->n < ARRAY_SIZE(o->relids))
		o->relids[o->n] = of.child_relid;
	o->n++;
	if (!ok)
		o->layout = false;
	if (ok && !o->found && !strncmp(type, vb.dev_guid, 37)) {
		o->found = true;
		o->relid = of.child_relid;
		o->conn_id = of.connection_id;
	}
}

static uint16_t offers_get(struct offers *o)
{
	struct vmb_hdr req = { VMB_REQUESTOFFERS, 0 };
	struct vb_msg m;
	uint64_t end = ref_now() + REPLY_WAIT;
	uint16_t st;

	memset(o, 0, sizeof(*o));
	o->layout = true;
	st = post(&req, sizeof(req));
	while (st == ST_SUCCESS && !o->done) {
		uint64_t now = ref_now();

		if (now >= end || !msg_recv(&m, end - now))
			break;
		if (msg_is(&m, VMB_OFFERCHANNEL))
			offer_check(&m, o);
		else if (msg_is(&m, VMB_ALLOFFERS_DELIVERED))
			o->done = true;
		else
			msg_stray(&m, "among the offers");
	}
	return st;
}

static bool test_offers(void)
{
	struct offers o;
	uint16_t st = offers_get(&o);

	tap(st == ST_SUCCESS && o.done,
	    "REQUESTOFFERS (status %u): %u OFFERCHANNEL, then ALLOFFERS_DELIVERED",
	    st, o.n);
	tap(o.n && o.layout,
	    "offers: %u bytes each, child_relid non-zero (< 2048) and distinct, instance GUID set, sub_channel_index 0%s",
	    (uint32_t)sizeof(struct vmb_offer),
	    old_era() ? "" : ", connection id set");
	tap(o.found, "offers: %s (class %s) is offered: relid %u, connection id %u",
	    vb.dev_name, vb.dev_guid, o.relid, o.conn_id);
	vb.relid = o.relid;
	vb.conn_id = o.conn_id;
	return o.found;
}

/* ---- 3. GPADLs ----------------------------------------------------- */

/* Post a one-range GPADL of the @n pages @pfns: header, then bodies */
static uint16_t gpadl_post(uint32_t relid, uint32_t id, const uint64_t *pfns,
			   uint32_t n, uint32_t *bodies)
{
	union {
		uint8_t buf[VMB_MSG_MAX];
		struct vmb_gpadl_header h;
		struct vmb_gpadl_body b;
	} u;
	uint32_t k = n < VMB_GPADL_HEADER_PFNS ? n : VMB_GPADL_HEADER_PFNS;
	uint32_t done, msgno = 0;
	uint16_t st;

	memset(&u, 0, sizeof(u));
	u.h.hdr.type = VMB_GPADL_HEADER;
	u.h.child_relid = relid;
	u.h.gpadl = id;
	u.h.range_buflen = (uint16_t)(sizeof(struct vmb_gpa_range) + 8 * n);
	u.h.rangecount = 1;
	u.h.range.byte_count = n * PAGE_SIZE;
	u.h.range.byte_offset = 0;
	for (uint32_t i = 0; i < k; i++)
		u.h.pfn[i] = pfns[i];
	st = post(&u, sizeof(u.h) + 8 * k);
	for (done = k; st == ST_SUCCESS && done < n; done += k) {
		k = n - done < VMB_GPADL_BODY_PFNS ? n - done : VMB_GPADL_BODY_PFNS;
		memset(&u, 0, sizeof(u));
		u.b.hdr.type = VMB_GPADL_BODY;
		u.b.msgnumber = ++msgno;
		u.b.gpadl = id;
		for (uint32_t i = 0; i < k; i++)
			u.b.pfn[i] = pfns[done + i];
		st = post(&u, sizeof(u.b) + 8 * k);
	}
	if (bodies)
		*bodies = msgno;
	return st;
}

/* GPADL_CREATED for @id within @timeout: its status and relid */
static bool gpadl_created(uint32_t id, uint32_t *status, uint32_t *relid,
			  uint64_t timeout)
{
	struct vb_msg m;

	if (!msg_wait(VMB_GPADL_CREATED,
		      offsetof(struct vmb_gpadl_created, gpadl), id, &m, timeout) ||
	    m.size < sizeof(struct vmb_gpadl_created))
		return false;
	*status = msg_u32(&m, offsetof(struct vmb_gpadl_created, status));
	if (relid)
		*relid = msg_u32(&m, offsetof(struct vmb_gpadl_created,
					      child_relid));
	return true;
}

static bool test_gpadl(void)
{
	uint64_t pfns[RING_PAGES];
	uint32_t bodies = 0, status = ~0u, relid = 0;
	uint16_t st;
	bool got;

	for (uint32_t i = 0; i < RING_PAGES; i++)
		pfns[i] = PFN(ring[i]);
	vb.gpadl = vb.next_gpadl++;
	st = gpadl_post(vb.relid, vb.gpadl, pfns, RING_PAGES, &bodies);
	got = st == ST_SUCCESS &&
	      gpadl_created(vb.gpadl, &status, &relid, REPLY_WAIT);
	tap(got && status == 0 && relid == vb.relid,
	    "GPADL 0x%x of %u pages (GPADL_HEADER with %u PFNs, %u GPADL_BODY; post status %u): GPADL_CREATED relid %u status 0x%x",
	    vb.gpadl, RING_PAGES, (uint32_t)VMB_GPADL_HEADER_PFNS, bodies, st,
	    relid, got ? status : 0);
	return got && status == 0;
}

/* A small GPADL created and torn down: the VMBus still answers */
static bool vmbus_alive(const char *after)
{
	uint64_t pfns[2] = { PFN(probe_pages[0]), PFN(probe_pages[1]) };
	struct vmb_gpadl_teardown td;
	uint32_t id = vb.next_gpadl++, status = ~0u;
	struct vb_msg m;
	bool created, torn = false;
	uint16_t st;

	st = gpadl_post(vb.relid, id, pfns, 2, NULL);
	created = st == ST_SUCCESS &&
		  gpadl_created(id, &status, NULL, REPLY_WAIT) && status == 0;
	if (created) {
		memset(&td, 0, sizeof(td));
		td.hdr.type = VMB_GPADL_TEARDOWN;
		td.child_relid = vb.relid;
		td.gpadl = id;
		torn = post(&td, sizeof(td)) == ST_SUCCESS &&
		       msg_wait(VMB_GPADL_TORNDOWN,
				offsetof(struct vmb_gpadl_torndown, gpadl), id,
				&m, REPLY_WAIT);
	}
	tap(created && torn,
	    "alive after %s: a 2-page GPADL 0x%x is created (status %u) and torn down",
	    after, id, status);
	return created && torn;
}

/* ---- 4. channels --------------------------------------------------- */

/*
 * OPENCHANNEL: 1 answered (*status), 0 no OPENCHANNEL_RESULT within
 * @timeout, -1 the post failed
 */
static int chan_open(uint32_t relid, uint32_t offset, uint32_t *status,
		     uint64_t timeout)
{
	struct vmb_open_channel o;
	struct vb_msg m;

	memset(&o, 0, sizeof(o));
	o.hdr.type = VMB_OPENCHANNEL;
	o.child_relid = relid;
	o.open_id = vb.next_open++;
	o.ring_gpadl = vb.gpadl;
	o.target_vp = 0;
	o.ring_offset = offset;
	if (post(&o, sizeof(o)) != ST_SUCCESS)
		return -1;
	if (!msg_wait(VMB_OPENCHANNEL_RESULT,
		      offsetof(struct vmb_open_result, open_id), o.open_id, &m,
		      timeout) || m.size < sizeof(struct vmb_open_result))
		return 0;
	*status = msg_u32(&m, offsetof(struct vmb_open_result, status));
	if (msg_u32(&m, offsetof(struct vmb_open_result, child_relid)) != relid) {
		diag("OPENCHANNEL_RESULT for relid %u, not %u",
		     msg_u32(&m, offsetof(struct vmb_open_result, child_relid)),
		     relid);
		*status = 0xdead;
	}
	return 1;
}

static void chan_close(void)
{
	struct vmb_close_channel c = { { VMB_CLOSECHANNEL, 0 }, vb.relid };

	post(&c, sizeof(c));
	/* CLOSECHANNEL has no answer; let the host get there */
	msg_quiet(20 * MS);
}

static bool test_open(void)
{
	uint32_t status = ~0u;
	int r;

	ring_reset();
	sig_take(&(struct sig){ 0 });
	r = chan_open(vb.relid, RING_OUT_PAGES, &status, REPLY_WAIT);
	tap(r == 1 && status == 0,
	    "OPENCHANNEL relid %u (GPADL 0x%x, ring_buffer_offset %u of %u pages, target VP 0): OPENCHANNEL_RESULT status %s",
	    vb.relid, vb.gpadl, RING_OUT_PAGES, RING_PAGES,
	    r == 1 ? (status ? "non-zero" : "0") : "missing");
	diag("host->guest ring header: feature bits 0x%x, interrupt mask %u",
	     in_hdr()->feature_bits, in_hdr()->interrupt_mask);
	return r == 1 && status == 0;
}

/* ---- 5. packets and signals ---------------------------------------- */

/* The IC header and body of a packet, if it has room for them */
static const struct ic_msg_hdr *ic_hdr(const struct pkt *p)
{
	if (p->len < IC_BODY)
		return NULL;
	return (const struct ic_msg_hdr *)(p->data + sizeof(struct ic_pipe_hdr));
}

/* A version we speak: framework 3.0 or 1.0; heartbeat 3.0 or 1.0 */
static bool ic_pick(const struct ic_version *v, uint32_t n,
		    struct ic_version *pick)
{
	bool found = false;

	for (uint32_t i = 0; i < n; i++) {
		if ((v[i].major != 3 && v[i].major != 1) || v[i].minor)
			continue;
		if (!found || v[i].major > pick->major)
			*pick = v[i];
		found = true;
	}
	return found;
}

/*
 * Answer an IC negotiate request in @p (Linux's reply: one framework and
 * one message version, or none), into the guest->host ring, and signal
 */
static bool ic_negotiate_reply(struct pkt *p, struct ic_version *fw,
			       struct ic_version *msg, uint16_t *st)
{
	struct ic_msg_hdr *ic = (struct ic_msg_hdr *)(p->data +
						      sizeof(struct ic_pipe_hdr));
	struct ic_negotiate *neg = (struct ic_negotiate *)(p->data + IC_BODY);
	uint32_t nf = neg->frame_count, nm = neg->msg_count;
	bool ok;

	ok = ic_pick(neg->versions, nf, fw) &&
	     ic_pick(neg->versions + nf, nm, msg);
	neg->frame_count = ok;
	neg->msg_count = ok;
	if (ok) {
		neg->versions[0] = *fw;
		neg->versions[1] = *msg;
	}
	ic->msgsize = sizeof(*neg) + 2 * sizeof(struct ic_version);
	ic->status = 0;
	ic->flags = IC_FLAG_TRANSACTION | IC_FLAG_RESPONSE;
	ok = ring_write(p->h.trans_id, p->data, p->len) && ok;
	*st = signal_host();
	return ok;
}

/* A negotiate request: in-band, IC header, counts that fit the packet */
static bool ic_is_negotiate(const struct pkt *p)
{
	const struct ic_msg_hdr *ic = ic_hdr(p);
	const struct ic_negotiate *neg = (const void *)(p->data + IC_BODY);

	return ic && p->h.type == VMB_PKT_DATA_INBAND &&
	       ic->msgtype == IC_MSGTYPE_NEGOTIATE &&
	       (ic->flags & IC_FLAG_REQUEST) &&
	       p->len >= IC_BODY + sizeof(*neg) && neg->frame_count &&
	       neg->msg_count &&
	       p->len >= IC_BODY + sizeof(*neg) +
			 4u * (neg->frame_count + neg->msg_count);
}

/* The next IC packet the host signals, within @timeout */
static int ic_next(struct pkt *p, struct sig *s, uint64_t timeout)
{
	uint64_t end = ref_now() + timeout;
	int r;

	memset(s, 0, sizeof(*s));
	while ((r = ring_read(p)) == 0) {
		uint64_t now = ref_now();
		struct sig one;

		if (now >= end || !sig_wait(&one, end - now))
			return 0;
		sig_or(s, &one);
	}
	/* the packet may be visible before the host has signalled it */
	if (r == 1 && !s->relid_flag && !s->flag0 && !s->int_page) {
		struct sig one;

		sig_wait(&one, 100 * MS);
		sig_or(s, &one);
	}
	return r;
}

static void test_heartbeat(void)
{
	struct ic_version fw = { 0, 0 }, msg = { 0, 0 };
	const struct ic_msg_hdr *ic;
	struct pkt p;
	struct sig s;
	uint16_t st = 0xffff;
	bool got, ok;
	int r;

	/* the host speaks first: a negotiate request as the channel opens */
	got = sig_wait(&s, REPLY_WAIT);
	tap(got && sig_ok(&s),
	    "host->guest: the first packet is signalled %s (VMBus %u.%u; %s)",
	    sig_want(), VMB_MAJOR(vb.version), VMB_MINOR(vb.version),
	    sig_desc(&s));
	r = ring_read(&p);
	ic = r == 1 ? ic_hdr(&p) : NULL;
	tap(r == 1 && ic_is_negotiate(&p),
	    "host->guest ring: an in-band packet (type %u, %u bytes) with an IC negotiate request (icmsgtype %u, flags 0x%x)",
	    r == 1 ? p.h.type : 0, r == 1 ? p.len : 0, ic ? ic->msgtype : 0xffff,
	    ic ? ic->flags : 0);
	if (r != 1 || !ic_is_negotiate(&p))
		return;

	ok = ic_negotiate_reply(&p, &fw, &msg, &st);
	tap(ok && st == ST_SUCCESS,
	    "guest->host: negotiate response (framework %u.%u, heartbeat %u.%u) in the ring, signalled %s (status %u)",
	    fw.major, fw.minor, msg.major, msg.minor, signal_desc(), st);

	r = ic_next(&p, &s, HB_WAIT);
	ic = r == 1 ? ic_hdr(&p) : NULL;
	tap(r == 1 && ic && ic->msgtype == IC_MSGTYPE_HEARTBEAT &&
	    (ic->flags & IC_FLAG_REQUEST) &&
	    p.len >= IC_BODY + sizeof(struct ic_heartbeat) &&
	    !memcmp(&ic->frame_version, &fw, sizeof(fw)) &&
	    !memcmp(&ic->msg_version, &msg, sizeof(msg)),
	    "the host read the response: the next IC message is a heartbeat request in the versions agreed (icmsgtype %u, framework %u.%u, heartbeat %u.%u, %u bytes)",
	    ic ? ic->msgtype : 0xffff, ic ? ic->frame_version.major : 0,
	    ic ? ic->frame_version.minor : 0, ic ? ic->msg_version.major : 0,
	    ic ? ic->msg_version.minor : 0, r == 1 ? p.len : 0);
	if (r == 1 && ic && ic->msgtype == IC_MSGTYPE_HEARTBEAT &&
	    p.len >= IC_BODY + sizeof(struct ic_heartbeat)) {
		struct ic_msg_hdr *w = (struct ic_msg_hdr *)(p.data +
							      sizeof(struct ic_pipe_hdr));
		struct ic_heartbeat *hb = (struct ic_heartbeat *)(p.data +
								  IC_BODY);

		diag("heartbeat request: sequence %lu; answering %lu",
		     hb->seq_num, hb->seq_num + 1);
		hb->seq_num++;
		w->flags = IC_FLAG_TRANSACTION | IC_FLAG_RESPONSE;
		ring_write(p.h.trans_id, p.data, p.len);
		signal_host();
	}
}

/* A DM version exchange: request into the ring, signal, the response */
static bool dm_version(struct sig *s, uint16_t *st, int *r, struct pkt *p)
{
	struct dm_version_request rq;
	const struct dm_version_response *rs = (const void *)p->data;
	uint32_t trans = vb.next_trans++;
	bool written;

	memset(&rq, 0, sizeof(rq));
	rq.hdr.type = DM_VERSION_REQUEST;
	rq.hdr.size = sizeof(rq);
	rq.hdr.trans_id = trans;
	rq.version = DM_VERSION_WIN10;
	rq.flags = 1;		/* last attempt */
	sig_take(s);
	written = ring_write(trans, &rq, sizeof(rq));
	*st = signal_host();
	*r = ic_next(p, s, REPLY_WAIT);
	return written && *r == 1 && p->h.type == VMB_PKT_DATA_INBAND &&
	       p->len >= sizeof(*rs) && rs->hdr.type == DM_VERSION_RESPONSE &&
	       rs->hdr.trans_id == trans && (rs->flags & 1);
}

static void test_balloon(void)
{
	struct pkt p;
	struct sig s;
	uint16_t st = 0xffff;
	bool ok;
	int r;

	/* the guest speaks first in the dynamic-memory protocol */
	ok = dm_version(&s, &st, &r, &p);
	tap(st == ST_SUCCESS,
	    "guest->host: DM_VERSION_REQUEST (2.0) in the ring, signalled %s (status %u)",
	    signal_desc(), st);
	tap(r == 1 && sig_ok(&s),
	    "host->guest: the answer is signalled %s (VMBus %u.%u; %s)",
	    sig_want(), VMB_MAJOR(vb.version), VMB_MINOR(vb.version),
	    sig_desc(&s));
	tap(ok,
	    "the host read the request: DM_VERSION_RESPONSE (accepted, same transaction id) in the host->guest ring");
}

/*
 * After an open: does the channel work?  hv-heartbeat: its negotiate
 * request arrives; hv-balloon: a version exchange.
 */
static bool chan_probe(void)
{
	struct pkt p;
	struct sig s;
	uint16_t st;
	int r;

	if (!vb.heartbeat)
		return dm_version(&s, &st, &r, &p) && st == ST_SUCCESS;
	r = ic_next(&p, &s, REPLY_WAIT);
	return r == 1 && ic_is_negotiate(&p);
}

/* ---- 6. hostile input ---------------------------------------------- */

static void hostile_messages(void)
{
	struct vmb_hdr h = { VMB_INVALID, 0 };
	uint8_t big[VMB_MSG_MAX];
	uint16_t st;

	st = post(&h, sizeof(h));
	tap(st == ST_INVALID_INPUT,
	    "hostile: channel message type 0: HvPostMessage status %u (want HV_STATUS_INVALID_HYPERCALL_INPUT, 3)",
	    st);
	h.type = 99;
	st = post(&h, sizeof(h));
	tap(st == ST_INVALID_INPUT,
	    "hostile: channel message type 99: HvPostMessage status %u (want HV_STATUS_INVALID_HYPERCALL_INPUT, 3)",
	    st);
	memset(big, 0, sizeof(big));
	big[0] = 99;
	st = post(big, VMB_MSG_MAX + 1);
	tap(st == ST_INVALID_PARAMETER,
	    "hostile: payload_size 241: HvPostMessage status %u (want HV_STATUS_INVALID_PARAMETER, 5)",
	    st);
	tap(msg_quiet(QUIET_WAIT), "hostile: no answer to the refused messages");
}

/* A GPADL_HEADER the caller filled (@size bytes): its GPADL_CREATED */
static int gpadl_hostile(const void *msg, uint32_t size, uint32_t id,
			 uint32_t *status)
{
	uint16_t st = post(msg, size);

	if (st != ST_SUCCESS) {
		*status = st;
		return -1;
	}
	return gpadl_created(id, status, NULL, HOSTILE_WAIT) ? 1 : 0;
}

static const char *answer_desc(int r, uint32_t status)
{
	static char buf[64];

	if (r == 1)
		snprintf(buf, sizeof(buf), "answered, status 0x%x", status);
	else if (r == 0)
		snprintf(buf, sizeof(buf), "no answer");
	else
		snprintf(buf, sizeof(buf), "HvPostMessage status 0x%x", status);
	return buf;
}

/* A one-range GPADL_HEADER with one PFN and the given fields */
static void gpadl_hdr_fill(struct vmb_gpadl_header *h, uint32_t id,
			   uint16_t buflen, uint16_t count, uint32_t bytes,
			   uint64_t pfn)
{
	memset(h, 0, sizeof(*h) + 8);
	h->hdr.type = VMB_GPADL_HEADER;
	h->child_relid = vb.relid;
	h->gpadl = id;
	h->range_buflen = buflen;
	h->rangecount = count;
	h->range.byte_count = bytes;
	h->range.byte_offset = 0;
	h->pfn[0] = pfn;
}

static void hostile_gpadls(void)
{
	union {
		uint8_t buf[VMB_MSG_MAX];
		struct vmb_gpadl_header h;
		struct vmb_gpadl_body b;
	} u;
	const uint32_t one = sizeof(struct vmb_gpadl_header) + 8;
	const uint16_t range1 = sizeof(struct vmb_gpa_range) + 8;
	uint32_t id, status = 0;
	int r;

	/* shorter than the header: no answer, or a refusal */
	id = vb.next_gpadl++;
	gpadl_hdr_fill(&u.h, id, range1, 1, PAGE_SIZE, PFN(probe_pages[0]));
	r = gpadl_hostile(&u, offsetof(struct vmb_gpadl_header, range_buflen),
			  id, &status);
	tap(r == 0 || (r == 1 && status) || (r == -1 && status),
	    "hostile: GPADL_HEADER cut to %u bytes: no GPADL (%s)",
	    (uint32_t)offsetof(struct vmb_gpadl_header, range_buflen),
	    answer_desc(r, status));

	id = vb.next_gpadl++;
	gpadl_hdr_fill(&u.h, id, range1, 1, PAGE_SIZE, BAD_PFN);
	r = gpadl_hostile(&u, one, id, &status);
	tap(r == 1 && status,
	    "hostile: GPADL_HEADER with PFN 0x%lx (outside guest RAM): GPADL_CREATED status != 0 (%s)",
	    BAD_PFN, answer_desc(r, status));

	id = vb.next_gpadl++;
	gpadl_hdr_fill(&u.h, id, range1 + 8, 1, PAGE_SIZE, PFN(probe_pages[0]));
	u.h.pfn[1] = PFN(probe_pages[1]);
	r = gpadl_hostile(&u, one + 8, id, &status);
	tap(r == 1 && status,
	    "hostile: GPADL_HEADER with byte_count 4096 for 2 PFNs: GPADL_CREATED status != 0 (%s)",
	    answer_desc(r, status));

	id = vb.next_gpadl++;
	gpadl_hdr_fill(&u.h, id, range1, 0, PAGE_SIZE, PFN(probe_pages[0]));
	r = gpadl_hostile(&u, one, id, &status);
	tap(r == 1 && status,
	    "hostile: GPADL_HEADER with rangecount 0: GPADL_CREATED status != 0 (%s)",
	    answer_desc(r, status));

	id = vb.next_gpadl++;
	gpadl_hdr_fill(&u.h, id, 4, 1, PAGE_SIZE, PFN(probe_pages[0]));
	r = gpadl_hostile(&u, one, id, &status);
	tap(r == 1 && status,
	    "hostile: GPADL_HEADER with range_buflen 4 (less than one range): GPADL_CREATED status != 0 (%s)",
	    answer_desc(r, status));

	memset(&u, 0, sizeof(u));
	u.b.hdr.type = VMB_GPADL_BODY;
	u.b.msgnumber = 1;
	u.b.gpadl = 0xdead0000;
	u.b.pfn[0] = PFN(probe_pages[0]);
	status = post(&u, sizeof(u.b) + 8);
	tap(status == ST_SUCCESS && msg_quiet(QUIET_WAIT),
	    "hostile: GPADL_BODY for unknown GPADL 0x%x: no answer (post status %u)",
	    u.b.gpadl, status);
	vmbus_alive("the hostile GPADL messages");
}

static void hostile_opens(void)
{
	static const uint32_t offsets[] = {
		0, 1, RING_PAGES, RING_PAGES + 1000,
	};
	uint32_t status = 0, relid = vb.relid + 1000;
	int r;

	r = chan_open(relid, RING_OUT_PAGES, &status, HOSTILE_WAIT);
	tap(r == 0 || (r == 1 && status),
	    "hostile: OPENCHANNEL for unknown relid %u: no open (%s)", relid,
	    answer_desc(r, status));

	/* the channel is open: close it for the open tests */
	chan_close();
	for (size_t i = 0; i < ARRAY_SIZE(offsets); i++) {
		ring_reset();
		r = chan_open(vb.relid, offsets[i], &status, HOSTILE_WAIT);
		tap(r == 1 && status,
		    "hostile: OPENCHANNEL with ring_buffer_offset %u (GPADL of %u pages): OPENCHANNEL_RESULT status != 0 (%s)",
		    offsets[i], RING_PAGES, answer_desc(r, status));
		if (r == 1 && !status)
			chan_close();
	}
	ring_reset();
	sig_take(&(struct sig){ 0 });
	r = chan_open(vb.relid, RING_OUT_PAGES, &status, REPLY_WAIT);
	tap(r == 1 && !status && chan_probe(),
	    "after the refused opens the channel opens (%s) and works",
	    answer_desc(r, status));
}

/* Hostile packets: each on a freshly opened channel, closed after */
static void hostile_packet(const char *what, uint16_t off8, uint16_t len8,
			   uint32_t advance)
{
	uint32_t status = 0, n = 0;
	uint16_t st;
	bool sane;
	int r;

	ring_write_bad(off8, len8, advance);
	st = signal_host();
	delay_ref(QUIET_WAIT);
	sane = ring_drain_sane(&n);
	tap(st == ST_SUCCESS && sane,
	    "hostile: packet with %s, signalled (status %u): the host->guest ring stays well-formed (%u packets)",
	    what, st, n);
	vmbus_alive(what);
	chan_close();
	ring_reset();
	r = chan_open(vb.relid, RING_OUT_PAGES, &status, REPLY_WAIT);
	if (r != 1 || status)
		diag("reopening after the hostile packet: %s",
		     answer_desc(r, status));
}

static void hostile_packets(void)
{
	/* the channel was reopened by hostile_opens() */
	hostile_packet("len8 past write_index (512 bytes claimed, 24 written)",
		       2, 64, 24);
	hostile_packet("offset8 > len8 (offset 40, length 24)", 5, 3, 32);
	chan_close();
}

/*
 * Input that crashes QEMU 10.0's own vmbus.c, by its code: a GPADL_BODY
 * for a complete GPADL trips an assertion; range_buflen 0 makes it
 * allocate 32 GiB of PFNs; ring_buffer_offset 0xffffffff wraps its
 * "offset + 1" bound check and indexes 2^32 - 1 into the PFN array.  Last,
 * so that the other tests still report on such a host.  The channel is
 * closed.
 */
static void hostile_fatal(void)
{
	union {
		uint8_t buf[VMB_MSG_MAX];
		struct vmb_gpadl_header h;
		struct vmb_gpadl_body b;
	} u;
	uint32_t id, status = 0;
	int r;

	memset(&u, 0, sizeof(u));
	u.b.hdr.type = VMB_GPADL_BODY;
	u.b.msgnumber = 3;
	u.b.gpadl = vb.gpadl;
	u.b.pfn[0] = PFN(probe_pages[0]);
	status = post(&u, sizeof(u.b) + 8);
	tap(status == ST_SUCCESS && msg_quiet(QUIET_WAIT),
	    "hostile: GPADL_BODY for GPADL 0x%x, already complete: no answer (post status %u)",
	    vb.gpadl, status);
	vmbus_alive("a GPADL_BODY for a complete GPADL");

	/*
	 * 2^31 pages cannot be declared outright (byte_count is 32 bits,
	 * range_buflen 16): range_buflen 0 is less than one range, so a PFN
	 * count computed as (range_buflen - 8) / 8 goes negative; unsigned
	 * and cut to 32 bits it is 2^32 - 1, and byte_count 0xfffff000 is
	 * that count times 4096 in 32-bit arithmetic.
	 */
	id = vb.next_gpadl++;
	gpadl_hdr_fill(&u.h, id, 0, 1, 0xfffff000u, PFN(probe_pages[0]));
	r = gpadl_hostile(&u, sizeof(u.h) + 8, id, &status);
	tap(r == 1 && status,
	    "hostile: GPADL_HEADER declaring 2^32 - 1 pages (range_buflen 0, byte_count 0xfffff000): GPADL_CREATED status != 0 (%s)",
	    answer_desc(r, status));
	vmbus_alive("a GPADL_HEADER declaring 2^32 - 1 pages");

	ring_reset();
	r = chan_open(vb.relid, 0xffffffffu, &status, HOSTILE_WAIT);
	tap(r == 1 && status,
	    "hostile: OPENCHANNEL with ring_buffer_offset 0xffffffff: OPENCHANNEL_RESULT status != 0 (%s)",
	    answer_desc(r, status));
	if (r == 1 && !status)
		chan_close();
	vmbus_alive("OPENCHANNEL with ring_buffer_offset 0xffffffff");
}

/* ---- 7. UNLOAD and a new connection -------------------------------- */

static void test_unload(void)
{
	struct vmb_hdr u = { VMB_UNLOAD, 0 };
	struct offers o;
	struct vb_msg m;
	uint32_t mc = 0;
	uint16_t st;
	bool got;
	int r;

	st = post(&u, sizeof(u));
	got = st == ST_SUCCESS &&
	      msg_wait(VMB_UNLOAD_RESPONSE, 0, 0, &m, REPLY_WAIT);
	tap(got, "UNLOAD (post status %u): UNLOAD_RESPONSE", st);

	r = contact(vb.version, &st, &mc);
	tap(r == 1 && (!era5(vb.version) || mc),
	    "after UNLOAD: INITIATE_CONTACT %u.%u connects again (%s, message connection id %u)",
	    VMB_MAJOR(vb.version), VMB_MINOR(vb.version), contact_desc(r, st),
	    mc);
	if (r != 1)
		return;
	if (era5(vb.version))
		vb.msg_conn = mc ? mc : VMB_MESSAGE_CONNECTION_ID_4;
	st = offers_get(&o);
	tap(st == ST_SUCCESS && o.done && o.found && o.layout,
	    "after UNLOAD: REQUESTOFFERS offers %s again (relid %u, %u offers)",
	    vb.dev_name, o.relid, o.n);
}

/* ---- the mode ------------------------------------------------------ */

int run_vmbus(const char *host, const char *device)
{
	bool ok;

	ok = vmbus_setup(host, device) && test_negotiate() && test_offers();
	ok = ok && test_gpadl() && test_open();
	if (ok) {
		if (vb.heartbeat)
			test_heartbeat();
		else
			test_balloon();
		hostile_messages();
		hostile_gpadls();
		hostile_opens();
		hostile_packets();
		hostile_fatal();
		test_unload();
		tap(!vb.stray, "every host message was one the guest waited for (%u others)",
		    vb.stray);
	} else {
		diag("the VMBus tests stop here: no connection, offer, GPADL or open channel");
	}
	printf("1..%d\n", tap_count);
	return tap_failed || !ok ? EXIT_FAIL : EXIT_PASS;
}
