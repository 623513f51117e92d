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
 * Other tests (hvtest.vmbustest=, one per run.sh scenario):
 *   mnf      the channel offered with a monitor id (QEMU: mnf=on): the
 *            monitor pages the host fills in at open, guest->host
 *            signalling by the pending bit alone, UNLOAD;
 *   hotplug  device_del and device_add through run.sh (QMP): rescind,
 *            close, teardown, RELID_RELEASED, then DEVICE_DELETED; an
 *            unsolicited offer with a new relid; device_del before
 *            contact, after UNLOAD, and with UNLOAD instead of a release;
 *   modify   MODIFYCHANNEL to VP 1 (2 vCPUs), back to VP 0, to a VP that
 *            does not exist; before 4.1 an unknown message; then
 *            OPENCHANNEL and INITIATE_CONTACT naming a VP that does not
 *            exist;
 *   subchannels  hv-vmbus-test (channels=3): REQUESTOFFERS offers only
 *            its primary channel; sub-channels 1 and 2 come unsolicited
 *            once run.sh sets its offer-subchannels to 2 (QMP), and
 *            sub-channel 1 opens; offer-subchannels 1 then changes nothing;
 *   echo     hv-vmbus-test (channels=2) echoes packets: thousands of
 *            mixed in-band and GPA-direct packets on the primary and
 *            sub-channel 1, checked byte for byte and in order, through
 *            wrap-around and full rings; hostile packets; the QMP counters.
 *   storvsp  hv-storvsp with a disk: the storage init sequence at the
 *            profile's protocol (2.0 on ws2008), SCSI commands over
 *            GPA-direct packets, an absent LUN, malformed requests.
 *   input-kbd, input-mouse  hv-keyboard, hv-mouse (input.c).
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
#define HOST_WAIT	(15000 * MS)	/* for run.sh to carry out a request */
/* run.sh acknowledges a request line on this SINT: flag 1 done, 2 failed */
#define HOST_SINT	4

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
	const char *test;	/* basic, mnf, hotplug, modify, subchannels */
	bool runner;		/* run.sh serves HVTEST-HOST lines */
	int cpus;
	bool no_monitor;	/* INITIATE_CONTACT without monitor pages */
	uint32_t contact_vp;	/* INITIATE_CONTACT's target_vcpu (0) */
	uint32_t open_vp;	/* OPENCHANNEL's target_vp (0) */
	uint8_t monitor_id;	/* the channel's offer: monitor id and flags */
	uint8_t monitor_flags;
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

static bool vmbus_setup(const struct vmbus_cfg *c)
{
	const char *host = c->host, *device = c->device;
	uint64_t hc;

	vb.host = host ? host : "?";
	vb.test = c->test ? c->test : "basic";
	vb.runner = c->runner;
	vb.cpus = c->cpus;
	for (size_t i = 0; host && i < ARRAY_SIZE(vmbus_profiles); i++)
		if (!strncmp(host, vmbus_profiles[i].name, 16))
			vb.newest = vmbus_profiles[i].newest;
	vb.heartbeat = !device || strncmp(device, "balloon", 8);
	vb.dev_name = vb.heartbeat ? "hv-heartbeat" : "hv-balloon";
	vb.dev_guid = vb.heartbeat ? HV_HEARTBEAT_GUID : HV_BALLOON_GUID;
	if (!strncmp(vb.test, "subchannels", 12) ||
	    !strncmp(vb.test, "echo", 5)) {
		vb.dev_name = "hv-vmbus-test";
		vb.dev_guid = HV_VMBUS_TEST_GUID;
	}
	if (!strncmp(vb.test, "storvsp", 8)) {
		vb.dev_name = "hv-storvsp";
		vb.dev_guid = HV_STORVSP_GUID;
	}
	input_device(vb.test, &vb.dev_name, &vb.dev_guid);
	netvsp_device(vb.test, &vb.dev_name, &vb.dev_guid);
	vb.next_gpadl = 0x100;
	vb.next_open = 0x4000;
	vb.next_trans = 0x7000;
	diag("VMBus tests (%s): host profile %s (VMBus up to %u.%u), channel under test %s (%s)",
	     vb.test, vb.host, VMB_MAJOR(vb.newest), VMB_MINOR(vb.newest),
	     vb.dev_name, vb.dev_guid);

	wrmsr(MSR_GUEST_OS_ID, GUEST_OS_ID);
	wrmsr(MSR_HYPERCALL, GPA(hc_page) | MSR_ENABLE);
	hc = rdmsr(MSR_HYPERCALL);
	wrmsr(MSR_SIMP, GPA(simp) | MSR_ENABLE);
	wrmsr(MSR_SIEFP, GPA(siefp) | MSR_ENABLE);
	wrmsr(MSR_SINT(VMB_MESSAGE_SINT), VEC_SINT2);
	/* run.sh's acknowledgements of host requests */
	wrmsr(MSR_SINT(HOST_SINT), VEC_SINT4);
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
	ic.target_vcpu = vb.contact_vp;
	if (era5(ver))
		ic.u.v5.msg_sint = VMB_MESSAGE_SINT;
	else
		ic.u.interrupt_page = GPA(int_page);
	if (!vb.no_monitor) {
		ic.monitor_page1 = GPA(monitor[0]);
		ic.monitor_page2 = GPA(monitor[1]);
	}
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
	uint8_t monitor_id, monitor_flags;	/* of the channel under test */
	uint32_t relids[32];
	char types[32][40];	/* class GUIDs, as strings */
};

/* Is class @guid among the offers?  Its relid */
static bool offers_have(const struct offers *o, const char *guid,
			uint32_t *relid)
{
	for (uint32_t i = 0; i < o->n && i < ARRAY_SIZE(o->types); i++) {
		if (!strncmp(o->types[i], guid, 37)) {
			if (relid)
				*relid = o->relids[i];
			return true;
		}
	}
	return false;
}

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
	if (o->n < ARRAY_SIZE(o->relids)) {
		o->relids[o->n] = of.child_relid;
		memcpy(o->types[o->n], type, sizeof(o->types[0]));
	}
	o->n++;
	if (!ok)
		o->layout = false;
	if (ok && !o->found && !strncmp(type, vb.dev_guid, 37)) {
		o->found = true;
		o->relid = of.child_relid;
		o->conn_id = of.connection_id;
		o->monitor_id = of.monitor_id;
		o->monitor_flags = of.monitor_flags;
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

/* The offers of the last test_offers() */
static struct offers first_offers;

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
	vb.monitor_id = o.monitor_id;
	vb.monitor_flags = o.monitor_flags;
	first_offers = o;
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
	o.target_vp = vb.open_vp;
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
 * one message version, or none), into the guest->host ring; no signal
 */
static bool ic_negotiate_write(struct pkt *p, struct ic_version *fw,
			       struct ic_version *msg)
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
	return ring_write(p->h.trans_id, p->data, p->len) && ok;
}

/* The same, signalled as the era requires */
static bool ic_negotiate_reply(struct pkt *p, struct ic_version *fw,
			       struct ic_version *msg, uint16_t *st)
{
	bool ok = ic_negotiate_write(p, fw, msg);

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
 * GPADL_HEADERs of the largest size (range_buflen 65528: 8190 pages) that
 * never get their bodies: the host must stop taking them before they hold
 * more than a few times the guest's RAM (80 x 8190 pages = 2.5 GiB is over
 * 4 x 512 MiB), answering the last with a failed GPADL_CREATED.  The
 * incomplete GPADLs stay until the UNLOAD that follows.
 */
#define FLOOD_GPADLS	80
#define FLOOD_PAGES	8190
static void hostile_gpadl_flood(void)
{
	union {
		uint8_t buf[VMB_MSG_MAX];
		struct vmb_gpadl_header h;
	} u;
	uint32_t first = vb.next_gpadl, id = 0, refused = 0, accepted = 0;
	uint16_t st = ST_SUCCESS;
	bool last_refused = false;
	struct vb_msg m;
	int i;

	for (i = 0; i < FLOOD_GPADLS && st == ST_SUCCESS; i++) {
		id = vb.next_gpadl++;
		gpadl_hdr_fill(&u.h, id, 8 + 8 * FLOOD_PAGES, 1,
			       FLOOD_PAGES * PAGE_SIZE, PFN(probe_pages[0]));
		st = post(&u, sizeof(u.h) + 8);
	}
	/* every GPADL_CREATED that comes: refusals of the flood's tail */
	while (st == ST_SUCCESS &&
	       msg_wait(VMB_GPADL_CREATED, 0, VMB_GPADL_CREATED, &m,
			HOSTILE_WAIT)) {
		uint32_t gid = msg_u32(&m, offsetof(struct vmb_gpadl_created,
						    gpadl));
		uint32_t gst = msg_u32(&m, offsetof(struct vmb_gpadl_created,
						    status));

		if (gid < first || gid > id)
			continue;
		if (gst) {
			refused++;
			last_refused |= gid == id;
		} else {
			accepted++;
		}
	}
	tap(st == ST_SUCCESS && last_refused && !accepted,
	    "hostile: %d incomplete GPADL_HEADERs of %d pages: the host refuses the tail (%u refused, the last among them: %s; %u answered as created; post status %u)",
	    FLOOD_GPADLS, FLOOD_PAGES, refused, last_refused ? "yes" : "no",
	    accepted, st);
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

/* ---- IC helpers for the tests below --------------------------------- */

/* A heartbeat request in the versions agreed: its sequence number */
static bool ic_is_heartbeat(const struct pkt *p, const struct ic_version *fw,
			    const struct ic_version *msg, uint64_t *seq)
{
	const struct ic_msg_hdr *ic = ic_hdr(p);
	struct ic_heartbeat hb;

	if (!ic || p->h.type != VMB_PKT_DATA_INBAND ||
	    ic->msgtype != IC_MSGTYPE_HEARTBEAT ||
	    !(ic->flags & IC_FLAG_REQUEST) ||
	    p->len < IC_BODY + sizeof(hb) ||
	    memcmp(&ic->frame_version, fw, sizeof(*fw)) ||
	    memcmp(&ic->msg_version, msg, sizeof(*msg)))
		return false;
	memcpy(&hb, p->data + IC_BODY, sizeof(hb));
	*seq = hb.seq_num;
	return true;
}

/* Answer the heartbeat request in @p into the ring (no signal) */
static bool hb_answer(struct pkt *p)
{
	struct ic_msg_hdr *w = (struct ic_msg_hdr *)(p->data +
						      sizeof(struct ic_pipe_hdr));
	struct ic_heartbeat hb;

	memcpy(&hb, p->data + IC_BODY, sizeof(hb));
	hb.seq_num++;
	memcpy(p->data + IC_BODY, &hb, sizeof(hb));
	w->flags = IC_FLAG_TRANSACTION | IC_FLAG_RESPONSE;
	return ring_write(p->h.trans_id, p->data, p->len);
}

/* ---- MNF: monitor pages ------------------------------------------- */

#define MNF_CONTROL_WAIT	(400 * MS)	/* 4 heartbeat intervals */

static volatile struct vmb_monitor_page *mon_page(int i)
{
	return (volatile struct vmb_monitor_page *)monitor[i];
}

static uint32_t mon_grp(void)
{
	return vb.monitor_id / VMB_MONITOR_PER_GROUP;
}

static uint32_t mon_bit(void)
{
	return vb.monitor_id % VMB_MONITOR_PER_GROUP;
}

/* trigger_group[<the channel's group>].pending of monitor page @i */
static uint8_t *mon_pending(int i)
{
	return monitor[i] + offsetof(struct vmb_monitor_page, trigger_group) +
	       mon_grp() * sizeof(struct vmb_monitor_trigger) +
	       offsetof(struct vmb_monitor_trigger, pending);
}

/*
 * Guest->host as an MNF guest does it (Linux's vmbus_setevent() for a
 * channel with monitor_allocated): the channel's pending bit in the second
 * page, a locked OR, and no hypercall.  Before 2.4 Linux also marks the
 * channel in the interrupt page; nothing reads that without HvSignalEvent.
 */
static void mnf_signal(void)
{
	if (old_era())
		bit_set(int_page + PAGE_SIZE / 2, vb.relid);
	bit_set(mon_pending(1), mon_bit());
}

static bool test_mnf_offer(void)
{
	bool ok = (vb.monitor_flags & VMB_OFFER_MONITOR_ALLOCATED) &&
		  vb.monitor_id < VMB_MONITOR_GROUPS * VMB_MONITOR_PER_GROUP;

	tap(ok,
	    "MNF: %s (mnf=on) is offered with monitor_allocated (monitor_flags 0x%x) and monitor id %u (< %u: group %u, bit %u)",
	    vb.dev_name, vb.monitor_flags, vb.monitor_id,
	    VMB_MONITOR_GROUPS * VMB_MONITOR_PER_GROUP, mon_grp(), mon_bit());
	return ok;
}

/* After OPENCHANNEL: what the host wrote into both pages for the channel */
static void test_mnf_pages(void)
{
	static const char *const what[] = { "1 (host->guest)",
					    "2 (guest->host)" };
	uint32_t g = mon_grp(), b = mon_bit();

	for (int i = 0; i < 2; i++) {
		volatile struct vmb_monitor_page *mp = mon_page(i);
		uint32_t ts = mp->trigger_state;
		uint16_t lat = mp->latency[g][b];
		uint32_t conn = mp->parameter[g][b].connection_id;
		uint16_t flag = mp->parameter[g][b].flag_number;

		tap((ts & (1u << g)) && lat && conn && conn == vb.conn_id &&
		    !flag,
		    "MNF: after OPENCHANNEL monitor page %s: trigger_state 0x%x has group %u, latency[%u][%u] %u (non-zero), parameter[%u][%u] connection id %u (the offer's: %u), flag %u (0)",
		    what[i], ts, g, g, b, lat, g, b, conn, vb.conn_id, flag);
	}
}

static void test_mnf_heartbeat(void)
{
	struct ic_version fw = { 0, 0 }, msg = { 0, 0 };
	uint64_t seq = 0, seq2 = 0;
	struct pkt p;
	struct sig s;
	bool got, ok, cleared;
	int r;

	got = sig_wait(&s, REPLY_WAIT);
	r = ring_read(&p);
	tap(got && sig_ok(&s) && r == 1 && ic_is_negotiate(&p),
	    "MNF: host->guest: the IC negotiate request, signalled %s (%s)",
	    sig_want(), sig_desc(&s));
	if (r != 1 || !ic_is_negotiate(&p))
		return;

	/* control: with no signal at all the host must not have read it */
	ok = ic_negotiate_write(&p, &fw, &msg);
	r = ic_next(&p, &s, MNF_CONTROL_WAIT);
	tap(ok && r == 0,
	    "MNF: negotiate response (framework %u.%u, heartbeat %u.%u) in the ring, nothing signalled: no heartbeat request within %lu ms (the interval is 100 ms; control)",
	    fw.major, fw.minor, msg.major, msg.minor, MNF_CONTROL_WAIT / MS);
	if (r != 0)
		return;

	mnf_signal();
	r = ic_next(&p, &s, HB_WAIT);
	cleared = !bit_test(mon_pending(1), mon_bit());
	got = r == 1 && ic_is_heartbeat(&p, &fw, &msg, &seq);
	tap(got && sig_ok(&s),
	    "MNF: guest->host by monitor page 2 trigger_group[%u].pending bit %u alone (no HvSignalEvent): the host read the response, a heartbeat request (sequence %lu) follows, signalled %s",
	    mon_grp(), mon_bit(), seq, sig_want());
	tap(r == 1 && cleared,
	    "MNF: the host cleared the pending bit (trigger_group[%u].pending 0x%x)",
	    mon_grp(), *(volatile uint32_t *)mon_pending(1));
	if (!got)
		return;

	/* again: the host goes on polling */
	ok = hb_answer(&p);
	mnf_signal();
	r = ic_next(&p, &s, HB_WAIT);
	ok = ok && r == 1 && ic_is_heartbeat(&p, &fw, &msg, &seq2) &&
	     !bit_test(mon_pending(1), mon_bit());
	tap(ok && seq2 == seq + 1,
	    "MNF: heartbeat answer (sequence %lu) by the pending bit: the host read it (next request sequence %lu, want %lu) and cleared the bit",
	    seq + 1, seq2, seq + 1);
}

static void test_mnf_unload(void)
{
	static uint8_t before[2][PAGE_SIZE];
	struct vmb_hdr u = { VMB_UNLOAD, 0 };
	struct offers o = { 0 };
	struct vb_msg m;
	uint32_t mc = 0;
	uint16_t st;
	bool got, same;
	int r;

	st = post(&u, sizeof(u));
	got = st == ST_SUCCESS &&
	      msg_wait(VMB_UNLOAD_RESPONSE, 0, 0, &m, REPLY_WAIT);
	/* the pages are the guest's again: the host's poll must be gone */
	bit_set(mon_pending(1), mon_bit());
	memcpy(before, monitor, sizeof(before));
	delay_ref(50 * MS);
	same = !memcmp(before, monitor, sizeof(before));
	tap(got && same,
	    "MNF: UNLOAD (UNLOAD_RESPONSE %s): then the host leaves the monitor pages alone (a pending bit set stays set for 50 ms, 50 poll periods)",
	    got ? "came" : "missing");

	vb.no_monitor = true;
	r = contact(vb.version, &st, &mc);
	if (r == 1 && era5(vb.version))
		vb.msg_conn = mc ? mc : VMB_MESSAGE_CONNECTION_ID_4;
	st = r == 1 ? offers_get(&o) : st;
	tap(r == 1 && st == ST_SUCCESS && o.done && o.found &&
	    !(o.monitor_flags & VMB_OFFER_MONITOR_ALLOCATED),
	    "MNF: INITIATE_CONTACT without monitor pages (%s): %s is offered without monitor_allocated (monitor_flags 0x%x)",
	    contact_desc(r, st), vb.dev_name, r == 1 ? o.monitor_flags : 0);
	vb.no_monitor = false;
}

/* ---- host requests (run.sh) ---------------------------------------- */

static uint8_t *sief(unsigned int sint)
{
	return siefp + sint * SIEF_SLOT_SIZE;
}

static bool host_answered(void *arg)
{
	(void)arg;
	return bit_test(sief(HOST_SINT), 1) || bit_test(sief(HOST_SINT), 2);
}

/*
 * Have run.sh carry out @cmds (README.md, "Host requests"), then
 * acknowledge on SINT HOST_SINT: 1 all as expected, 0 not, -1 no answer
 */
static int host_do(const char *cmds)
{
	bool failed;

	if (!vb.runner)
		return -1;
	bit_test_clear(sief(HOST_SINT), 1);
	bit_test_clear(sief(HOST_SINT), 2);
	printf("HVTEST-HOST %s ; ack 0 %u\n", cmds, HOST_SINT);
	if (!wait_cond(host_answered, NULL, HOST_WAIT)) {
		diag("run.sh did not acknowledge \"%s\"", cmds);
		return -1;
	}
	failed = bit_test_clear(sief(HOST_SINT), 2);
	bit_test_clear(sief(HOST_SINT), 1);
	return failed ? 0 : 1;
}

static const char *host_desc(int r)
{
	return r == 1 ? "done as expected" : r == 0 ? "NOT as expected" :
	       "no acknowledgement";
}

/* ---- rescind and hot plug ------------------------------------------ */

/* Relids hv-heartbeat had in this run */
static uint32_t hb_relids[8], hb_nrelids;

static void relid_remember(uint32_t relid)
{
	if (hb_nrelids < ARRAY_SIZE(hb_relids))
		hb_relids[hb_nrelids++] = relid;
}

static bool relid_seen(uint32_t relid)
{
	for (uint32_t i = 0; i < hb_nrelids; i++)
		if (hb_relids[i] == relid)
			return true;
	return false;
}

/* An OFFERCHANNEL the guest did not ask for, within @timeout */
static bool offer_wait(struct offers *o, uint64_t timeout)
{
	struct vb_msg m;

	memset(o, 0, sizeof(*o));
	o->layout = true;
	if (!msg_wait(VMB_OFFERCHANNEL, 0, 0, &m, timeout))
		return false;
	offer_check(&m, o);
	return true;
}

static bool rescind_wait(uint32_t relid)
{
	struct vb_msg m;

	return msg_wait(VMB_RESCIND_CHANNELOFFER,
			offsetof(struct vmb_rescind_offer, child_relid), relid,
			&m, REPLY_WAIT) &&
	       m.size >= sizeof(struct vmb_rescind_offer);
}

/*
 * The guest's side of a rescind (Linux: the driver's remove, vmbus_close,
 * vmbus_relid_release): CLOSECHANNEL, GPADL_TEARDOWN of the ring (the host
 * answers GPADL_TORNDOWN), RELID_RELEASED
 */
static bool chan_release(void)
{
	struct vmb_gpadl_teardown td;
	struct vmb_relid_released rr;
	struct vb_msg m;
	bool torn;

	chan_close();
	memset(&td, 0, sizeof(td));
	td.hdr.type = VMB_GPADL_TEARDOWN;
	td.child_relid = vb.relid;
	td.gpadl = vb.gpadl;
	torn = post(&td, sizeof(td)) == ST_SUCCESS &&
	       msg_wait(VMB_GPADL_TORNDOWN,
			offsetof(struct vmb_gpadl_torndown, gpadl), vb.gpadl, &m,
			REPLY_WAIT);
	memset(&rr, 0, sizeof(rr));
	rr.hdr.type = VMB_RELID_RELEASED;
	rr.child_relid = vb.relid;
	return torn && post(&rr, sizeof(rr)) == ST_SUCCESS;
}

/* A new channel for hv-heartbeat: GPADL, open, its negotiate request */
static bool hb_attach(const struct offers *o)
{
	vb.relid = o->relid;
	vb.conn_id = o->conn_id;
	relid_remember(o->relid);
	return test_gpadl() && test_open() && chan_probe();
}

static void test_hotplug(void)
{
	struct vmb_hdr u = { VMB_UNLOAD, 0 };
	struct offers o = { 0 };
	struct vb_msg m;
	uint32_t old, relid = 0, mc = 0;
	uint16_t st;
	bool got, quiet;
	int r;

	/* 1. before INITIATE_CONTACT: nothing to rescind, gone at once */
	r = host_do("device_del early ; expect-event DEVICE_DELETED early 1");
	quiet = msg_quiet(QUIET_WAIT);
	tap(r == 1 && quiet,
	    "hot plug: device_del of hv-shutdown 'early' before INITIATE_CONTACT: DEVICE_DELETED at once (run.sh: %s), no message to the guest",
	    host_desc(r));

	if (!test_negotiate() || !test_offers())
		return;
	got = !offers_have(&first_offers, HV_SHUTDOWN_GUID, NULL) &&
	      offers_have(&first_offers, HV_KVP_GUID, &relid);
	tap(got,
	    "hot plug: REQUESTOFFERS: no hv-shutdown (deleted), hv-kvp 'keep' is there (relid %u)",
	    relid);
	relid_remember(vb.relid);
	if (!test_gpadl() || !test_open())
		return;
	tap(chan_probe(), "hot plug: the host speaks first on relid %u (IC negotiate request)",
	    vb.relid);

	/* 2. device_del of an open channel: rescind, release, then gone */
	r = host_do("device_del hb");
	got = r == 1 && rescind_wait(vb.relid);
	tap(got,
	    "hot plug: device_del hb (run.sh: %s): RESCIND_CHANNELOFFER for relid %u",
	    host_desc(r), vb.relid);
	if (!got)
		return;
	/* time for the host to get it wrong */
	delay_ref(QUIET_WAIT);
	r = host_do("expect-event DEVICE_DELETED hb 0 ; !device_del hb");
	tap(r == 1,
	    "hot plug: the guest holds relid %u: no DEVICE_DELETED yet, a second device_del is refused (run.sh: %s)",
	    vb.relid, host_desc(r));
	got = chan_release();
	tap(got,
	    "hot plug: CLOSECHANNEL %u, GPADL_TEARDOWN 0x%x (GPADL_TORNDOWN), RELID_RELEASED %u",
	    vb.relid, vb.gpadl, vb.relid);
	r = host_do("expect-event DEVICE_DELETED hb 1");
	tap(r == 1,
	    "hot plug: after RELID_RELEASED the device goes: DEVICE_DELETED for hb (run.sh: %s)",
	    host_desc(r));

	/* 3. device_add while connected: an offer nobody asked for */
	old = vb.relid;
	r = host_do("device_add hv-heartbeat,id=hb");
	got = r == 1 && offer_wait(&o, REPLY_WAIT);
	tap(got && o.found && o.layout && !relid_seen(o.relid),
	    "hot plug: device_add hv-heartbeat,id=hb (run.sh: %s): an OFFERCHANNEL arrives unsolicited: hv-heartbeat, well-formed, relid %u (the removed one was %u: relids go round)",
	    host_desc(r), got ? o.relid : 0, old);
	if (!got || !o.found)
		return;
	got = hb_attach(&o);
	tap(got,
	    "hot plug: the new channel (relid %u) opens and the host speaks first",
	    vb.relid);

	/* 4. device_del, then UNLOAD instead of RELID_RELEASED */
	r = host_do("device_del hb");
	got = r == 1 && rescind_wait(vb.relid);
	tap(got,
	    "hot plug: device_del hb again (run.sh: %s): RESCIND_CHANNELOFFER for relid %u",
	    host_desc(r), vb.relid);
	if (!got)
		return;
	delay_ref(QUIET_WAIT);
	r = host_do("expect-event DEVICE_DELETED hb 1");
	tap(r == 1,
	    "hot plug: relid %u neither closed nor released: no second DEVICE_DELETED (run.sh: %s)",
	    vb.relid, host_desc(r));
	st = post(&u, sizeof(u));
	got = st == ST_SUCCESS &&
	      msg_wait(VMB_UNLOAD_RESPONSE, 0, 0, &m, REPLY_WAIT);
	r = host_do("expect-event DEVICE_DELETED hb 2");
	tap(got && r == 1,
	    "hot plug: UNLOAD (UNLOAD_RESPONSE %s) with relid %u unreleased: the device goes (DEVICE_DELETED; run.sh: %s)",
	    got ? "came" : "missing", vb.relid, host_desc(r));

	/* 5. not connected: device_add and device_del at once, no messages */
	r = host_do("device_add hv-heartbeat,id=hb ; device_del hb ; expect-event DEVICE_DELETED hb 3");
	quiet = msg_quiet(QUIET_WAIT);
	tap(r == 1 && quiet,
	    "hot plug: after UNLOAD, device_add hb then device_del hb: DEVICE_DELETED at once (run.sh: %s), no message to the guest",
	    host_desc(r));
	r = host_do("device_add hv-heartbeat,id=hb");
	quiet = msg_quiet(QUIET_WAIT);
	tap(r == 1 && quiet,
	    "hot plug: device_add hb while not connected (run.sh: %s): no message to the guest",
	    host_desc(r));
	r = contact(vb.version, &st, &mc);
	if (r == 1 && era5(vb.version))
		vb.msg_conn = mc ? mc : VMB_MESSAGE_CONNECTION_ID_4;
	st = r == 1 ? offers_get(&o) : st;
	got = r == 1 && st == ST_SUCCESS && o.done && o.found && o.layout;
	tap(got && !relid_seen(o.relid) &&
	    !offers_have(&o, HV_SHUTDOWN_GUID, NULL) &&
	    offers_have(&o, HV_KVP_GUID, NULL),
	    "hot plug: INITIATE_CONTACT (%s), REQUESTOFFERS: hv-heartbeat with a new relid %u, hv-kvp, no hv-shutdown (%u offers)",
	    contact_desc(r, st), got ? o.relid : 0, o.n);
	if (got) {
		got = hb_attach(&o);
		tap(got,
		    "hot plug: hv-heartbeat added while not connected opens (relid %u) and the host speaks first",
		    vb.relid);
	}
}

/* ---- MODIFYCHANNEL --------------------------------------------------- */

static volatile uint8_t *ap_sief;

static bool relid_signalled(void *arg)
{
	(void)arg;
	return bit_test(sief2(), vb.relid) ||
	       bit_test((const void *)(ap_sief + 2 * SIEF_SLOT_SIZE), vb.relid);
}

/*
 * The next packet from the host and where its signal came: VP 0's or
 * VP 1's SIEFP slot 2, bit <relid>
 */
static int next_on(struct pkt *p, bool *vp0, bool *vp1, uint64_t timeout)
{
	uint64_t end = ref_now() + timeout;
	int r;

	*vp0 = *vp1 = false;
	for (;;) {
		uint64_t now = ref_now();
		bool got = now < end &&
			   wait_cond(relid_signalled, NULL, end - now);

		/* the other VP might be signalled too: give it a moment */
		delay_ref(5 * MS);
		*vp0 |= bit_test_clear(sief2(), vb.relid);
		*vp1 |= bit_test_clear((void *)(ap_sief + 2 * SIEF_SLOT_SIZE),
				       vb.relid);
		r = ring_read(p);
		if (r != 0 || !got)
			return r;
	}
}

/*
 * MODIFYCHANNEL @relid to @vp: 1 answered (*status, and the relid it
 * names in *relid_out), 0 no MODIFYCHANNEL_RESPONSE within @timeout, -1
 * the post failed (*status: its status)
 */
static int modify(uint32_t relid, uint32_t vp, uint32_t *status,
		  uint32_t *relid_out, uint64_t timeout)
{
	struct vmb_modifychannel mc;
	struct vb_msg m;
	uint16_t st;

	memset(&mc, 0, sizeof(mc));
	mc.hdr.type = VMB_MODIFYCHANNEL;
	mc.child_relid = relid;
	mc.target_vp = vp;
	st = post(&mc, sizeof(mc));
	if (st != ST_SUCCESS) {
		*status = st;
		return -1;
	}
	if (!msg_wait(VMB_MODIFYCHANNEL_RESPONSE, 0, 0, &m, timeout) ||
	    m.size < sizeof(struct vmb_modifychannel_response))
		return 0;
	*status = msg_u32(&m, offsetof(struct vmb_modifychannel_response,
				       status));
	*relid_out = msg_u32(&m, offsetof(struct vmb_modifychannel_response,
					  child_relid));
	return 1;
}

static const char *modify_desc(int r, uint32_t status, uint32_t relid)
{
	static char buf[80];

	if (r == 1)
		snprintf(buf, sizeof(buf),
			 "MODIFYCHANNEL_RESPONSE relid %u status 0x%x", relid,
			 status);
	else if (r == 0)
		snprintf(buf, sizeof(buf), "no MODIFYCHANNEL_RESPONSE");
	else
		snprintf(buf, sizeof(buf), "HvPostMessage status 0x%x", status);
	return buf;
}

/*
 * Answer the heartbeat in @p; the next request must come signalled on
 * @want_vp alone (and, for VP 1, with an interrupt on VP 1)
 */
static bool hb_round_on(struct pkt *p, const struct ic_version *fw,
			const struct ic_version *msg, uint32_t want_vp,
			const char *after)
{
	uint32_t irqs = irq_count[VEC_AP_SINT2];
	uint64_t seq = 0;
	bool vp0, vp1, ok;
	int r;

	ok = hb_answer(p) && signal_host() == ST_SUCCESS;
	r = next_on(p, &vp0, &vp1, HB_WAIT);
	ok = ok && r == 1 && ic_is_heartbeat(p, fw, msg, &seq);
	if (want_vp == 1)
		ok = ok && vp1 && !vp0 && irq_count[VEC_AP_SINT2] > irqs &&
		     irq_cpu[VEC_AP_SINT2] == 1;
	else
		ok = ok && vp0 && !vp1 && irq_count[VEC_AP_SINT2] == irqs;
	tap(ok,
	    "MODIFYCHANNEL: %s the next heartbeat request (sequence %lu) is signalled on VP %u alone (VP 0's SIEFP slot 2 bit %u %s, VP 1's %s; VP 1 interrupts %u)",
	    after, seq, want_vp, vb.relid, vp0 ? "set" : "clear",
	    vp1 ? "set" : "clear", irq_count[VEC_AP_SINT2] - irqs);
	return r == 1 && ic_is_heartbeat(p, fw, msg, &seq);
}

static void test_modify(void)
{
	struct ic_version fw = { 0, 0 }, msg = { 0, 0 };
	bool v53 = vb.version >= VMB_VERSION(5, 3);
	uint32_t status = 0, rrelid = 0;
	uint64_t seq = 0;
	struct pkt p;
	struct sig s;
	uint16_t st;
	bool vp0, vp1;
	int r;

	ap_sief = ap_start_synic(hc_page);
	tap(ap_sief != NULL, "MODIFYCHANNEL: VP 1 starts (INIT-SIPI) with its SynIC on");
	if (!ap_sief)
		return;

	/* negotiate, and the first heartbeat on VP 0 */
	r = ic_next(&p, &s, REPLY_WAIT);
	if (r != 1 || !ic_is_negotiate(&p) ||
	    !ic_negotiate_reply(&p, &fw, &msg, &st) || st != ST_SUCCESS) {
		tap(false, "MODIFYCHANNEL: IC negotiation on relid %u", vb.relid);
		return;
	}
	r = next_on(&p, &vp0, &vp1, HB_WAIT);
	tap(r == 1 && ic_is_heartbeat(&p, &fw, &msg, &seq) && vp0 && !vp1,
	    "MODIFYCHANNEL: before: the first heartbeat request is signalled on VP 0 (the open's target), not on VP 1");
	if (r != 1 || !ic_is_heartbeat(&p, &fw, &msg, &seq))
		return;

	r = modify(vb.relid, 1, &status, &rrelid, v53 ? REPLY_WAIT : QUIET_WAIT);
	if (v53) {
		tap(r == 1 && !status && rrelid == vb.relid,
		    "MODIFYCHANNEL relid %u to VP 1 at %u.%u: %s (want status 0)",
		    vb.relid, VMB_MAJOR(vb.version), VMB_MINOR(vb.version),
		    modify_desc(r, status, rrelid));
	} else {
		tap(r == 0 || (r == -1 && status == ST_INVALID_INPUT),
		    "MODIFYCHANNEL relid %u to VP 1 at %u.%u (an unknown message before 4.1): %s (want none)",
		    vb.relid, VMB_MAJOR(vb.version), VMB_MINOR(vb.version),
		    modify_desc(r, status, rrelid));
		hb_round_on(&p, &fw, &msg, 0, "ignored:");
		return;
	}
	if (!hb_round_on(&p, &fw, &msg, 1, "moved to VP 1:"))
		return;

	r = modify(vb.relid + 1000, 0, &status, &rrelid, REPLY_WAIT);
	tap(r == 1 && status && rrelid == vb.relid + 1000,
	    "MODIFYCHANNEL for unknown relid %u: %s (want status != 0)",
	    vb.relid + 1000, modify_desc(r, status, rrelid));
	if (!hb_round_on(&p, &fw, &msg, 1, "after a refused one still on VP 1:"))
		return;

	r = modify(vb.relid, 0, &status, &rrelid, REPLY_WAIT);
	tap(r == 1 && !status && rrelid == vb.relid,
	    "MODIFYCHANNEL relid %u back to VP 0: %s (want status 0)",
	    vb.relid, modify_desc(r, status, rrelid));
	if (!hb_round_on(&p, &fw, &msg, 0, "back on VP 0:"))
		return;

	/* last (see hostile_vp()) */
	diag("next: MODIFYCHANNEL relid %u to VP 7, which does not exist",
	     vb.relid);
	r = modify(vb.relid, 7, &status, &rrelid, REPLY_WAIT);
	tap(r == 1 && status && rrelid == vb.relid,
	    "MODIFYCHANNEL relid %u to VP 7 (%d vCPUs: no such VP): %s (want status != 0)",
	    vb.relid, vb.cpus, modify_desc(r, status, rrelid));
	hb_round_on(&p, &fw, &msg, 0, "after the one to VP 7 still on VP 0:");
}

/*
 * A VP index the partition does not have where the guest names a VP:
 * OPENCHANNEL's target_vp, INITIATE_CONTACT's target_vcpu (and, above,
 * MODIFYCHANNEL's).  Last in its run: a host that looks the VP up without
 * checking (QEMU's hyperv_sint_route_new) may not survive it.
 */
static void hostile_vp(void)
{
	struct offers o = { 0 };
	uint32_t status = 0, mc = 0;
	uint16_t st = 0;
	int r;

	chan_close();
	ring_reset();
	diag("next: OPENCHANNEL relid %u with target_vp 7, which does not exist",
	     vb.relid);
	vb.open_vp = 7;
	r = chan_open(vb.relid, RING_OUT_PAGES, &status, HOSTILE_WAIT);
	vb.open_vp = 0;
	tap(r == 1 && status,
	    "hostile: OPENCHANNEL with target_vp 7 (%d vCPUs: no such VP): OPENCHANNEL_RESULT status != 0 (%s)",
	    vb.cpus, answer_desc(r, status));
	if (r == 1 && !status)
		chan_close();
	vmbus_alive("OPENCHANNEL to VP 7");

	diag("next: INITIATE_CONTACT with target_vcpu 7, which does not exist");
	vb.contact_vp = 7;
	r = contact(vb.version, &st, &mc);
	vb.contact_vp = 0;
	tap(r == 0 || r == -2,
	    "hostile: INITIATE_CONTACT %u.%u with target_vcpu 7 (no such VP): not accepted (%s)",
	    VMB_MAJOR(vb.version), VMB_MINOR(vb.version), contact_desc(r, st));
	r = contact(vb.version, &st, &mc);
	if (r == 1 && era5(vb.version))
		vb.msg_conn = mc ? mc : VMB_MESSAGE_CONNECTION_ID_4;
	st = r == 1 ? offers_get(&o) : st;
	tap(r == 1 && st == ST_SUCCESS && o.done && o.found,
	    "after it INITIATE_CONTACT with target_vcpu 0 connects (%s) and REQUESTOFFERS offers %s",
	    contact_desc(r, st), vb.dev_name);
}

/* ---- sub-channels on request --------------------------------------- */

#define VT_QOM		"/machine/peripheral/vt"
#define VT_SUBCHANNELS	2	/* run.sh: channels=3 */

/* An offer's fields; true if it is of the channel under test's class */
static bool offer_read(const struct vb_msg *m, struct vmb_offer *of)
{
	char type[40], inst[40];

	memset(of, 0, sizeof(*of));
	memcpy(of, m->data, m->size < sizeof(*of) ? m->size : sizeof(*of));
	guid_str(type, sizeof(type), of->type_guid);
	guid_str(inst, sizeof(inst), of->instance_guid);
	diag("offer: class %s instance %s relid %u connection id %u sub-channel %u (%u bytes)",
	     type, inst, of->child_relid, of->connection_id,
	     of->sub_channel_index, m->size);
	return m->size >= sizeof(*of) && !strncmp(type, vb.dev_guid, 37);
}

/* A sub-channel's offer: the primary's class and instance, its own relid */
static bool sub_offer_ok(const struct vmb_offer *of,
			 const struct vmb_offer *prim)
{
	return !memcmp(of->instance_guid, prim->instance_guid, 16) &&
	       of->child_relid && of->child_relid < 2048 &&
	       of->child_relid != prim->child_relid && of->connection_id;
}

static void test_subchannels(void)
{
	struct vmb_hdr req = { VMB_REQUESTOFFERS, 0 };
	struct vmb_offer of, prim, sub[VT_SUBCHANNELS];
	struct vb_msg m;
	uint64_t end;
	uint32_t nprim = 0, nsub = 0, got = 0, sub1 = 0;
	uint16_t st;
	bool done = false, ok, quiet;
	int r;

	memset(&prim, 0, sizeof(prim));
	memset(sub, 0, sizeof(sub));
	if (!test_negotiate())
		return;

	/* 1. REQUESTOFFERS: the primary channel, no sub-channel */
	st = post(&req, sizeof(req));
	end = ref_now() + REPLY_WAIT;
	while (st == ST_SUCCESS && !done) {
		uint64_t now = ref_now();

		if (now >= end || !msg_recv(&m, end - now))
			break;
		if (msg_is(&m, VMB_OFFERCHANNEL)) {
			if (!offer_read(&m, &of))
				continue;
			if (of.sub_channel_index == 0) {
				prim = of;
				nprim++;
			} else {
				nsub++;
			}
		} else if (msg_is(&m, VMB_ALLOFFERS_DELIVERED)) {
			done = true;
		} else {
			msg_stray(&m, "among the offers");
		}
	}
	tap(st == ST_SUCCESS && done && nprim == 1 && nsub == 0 &&
	    prim.child_relid,
	    "sub-channels: REQUESTOFFERS (status %u) offers %s's primary channel only (sub_channel_index 0: %u offer(s), relid %u; sub-channels: %u), then ALLOFFERS_DELIVERED%s",
	    st, vb.dev_name, nprim, prim.child_relid, nsub,
	    done ? "" : " (missing)");
	if (nprim != 1)
		return;
	quiet = msg_quiet(QUIET_WAIT);
	tap(quiet, "sub-channels: no sub-channel is offered unasked (%u ms)",
	    (uint32_t)(QUIET_WAIT / MS));

	/* 2. the device asks for two: two unsolicited offers, no third */
	r = host_do("qom-set " VT_QOM " offer-subchannels 2");
	while (got < VT_SUBCHANNELS &&
	       msg_wait(VMB_OFFERCHANNEL, 0, 0, &m, REPLY_WAIT)) {
		if (!offer_read(&m, &sub[got])) {
			msg_stray(&m, "(an offer of another class)");
			continue;
		}
		got++;
	}
	ok = got == VT_SUBCHANNELS &&
	     sub_offer_ok(&sub[0], &prim) && sub_offer_ok(&sub[1], &prim) &&
	     sub[0].child_relid != sub[1].child_relid &&
	     ((sub[0].sub_channel_index == 1 && sub[1].sub_channel_index == 2) ||
	      (sub[0].sub_channel_index == 2 && sub[1].sub_channel_index == 1));
	tap(r == 1 && ok,
	    "sub-channels: offer-subchannels 2 (run.sh: %s): %u unsolicited OFFERCHANNEL of %s's class and instance, sub_channel_index %u and %u, relids %u and %u (primary %u), distinct",
	    host_desc(r), got, vb.dev_name, sub[0].sub_channel_index,
	    sub[1].sub_channel_index, sub[0].child_relid, sub[1].child_relid,
	    prim.child_relid);
	quiet = msg_quiet(QUIET_WAIT);
	tap(quiet, "sub-channels: no third sub-channel is offered (channels=3, %u ms)",
	    (uint32_t)(QUIET_WAIT / MS));

	/* 3. sub-channel 1 opens */
	for (uint32_t i = 0; i < got; i++)
		if (sub[i].sub_channel_index == 1) {
			sub1 = sub[i].child_relid;
			vb.conn_id = sub[i].connection_id;
		}
	if (sub1) {
		vb.relid = sub1;
		diag("sub-channel 1: relid %u", sub1);
		if (test_gpadl())
			test_open();
	} else {
		tap(false, "sub-channels: sub-channel 1 opens (no offer of it)");
	}

	/* 4. asking for fewer than offered changes nothing */
	r = host_do("qom-set " VT_QOM " offer-subchannels 1");
	quiet = msg_quiet(QUIET_WAIT);
	tap(r == 1 && quiet,
	    "sub-channels: offer-subchannels 1 afterwards (run.sh: %s): no new offer (%u ms)",
	    host_desc(r), (uint32_t)(QUIET_WAIT / MS));
}

/* ---- packet echo (hv-vmbus-test) ----------------------------------- */

/*
 * Two channels (the primary and sub-channel 1), each with a 16 KiB
 * guest->host and a 32 KiB host->guest ring, carry ECHO_PACKETS packets
 * each: in-band with and without completion requested and GPA direct
 * (1-3 ranges over ECHO_DATA_PAGES pages, not in order), 0 bytes to about
 * 15 KiB.  Every reply is checked, byte for byte and in order, against
 * what was sent; now and then the guest stops reading a channel's
 * host->guest ring until the host has had to wait for room
 * (pending_send_sz) and its guest->host ring is full.
 */
#define ECHO_CHANS	2
#ifndef ECHO_PACKETS
#define ECHO_PACKETS	3000		/* per channel; -DECHO_PACKETS=N for more */
#endif
#define ECHO_OUT_PAGES	5		/* with the header page: 16 KiB */
#define ECHO_IN_PAGES	9		/* 32 KiB */
#define ECHO_RING_PAGES	(ECHO_OUT_PAGES + ECHO_IN_PAGES)
#define ECHO_OUT_SIZE	((ECHO_OUT_PAGES - 1) * PAGE_SIZE)
#define ECHO_IN_SIZE	((ECHO_IN_PAGES - 1) * PAGE_SIZE)
#define ECHO_DATA_PAGES	24
#define ECHO_QUEUE	4096		/* more than both rings can hold */
#define ECHO_STALL_EVERY 500		/* packets between read stalls */
/* hv-vmbus-test's error marker and reasons */
#define ECHO_MAGIC	0x6f686365u
#define ECHO_ERR_TOO_BIG 1
#define ECHO_ERR_MEMORY	2
#define ECHO_ERR_TYPE	3

static uint8_t echo_ring[ECHO_CHANS][ECHO_RING_PAGES][PAGE_SIZE]
	__attribute__((aligned(PAGE_SIZE)));
static uint8_t echo_data[ECHO_DATA_PAGES][PAGE_SIZE]
	__attribute__((aligned(PAGE_SIZE)));
static uint8_t echo_buf[72 * 1024] __attribute__((aligned(8)));

enum { EK_INBAND, EK_INBAND_COMP, EK_GPA, EK_ERR };

/* What the guest expects back for one packet */
struct echo_exp {
	uint64_t trans_id;
	uint32_t seed;
	uint16_t ilen;		/* in-band payload bytes sent (unpadded) */
	uint8_t kind, nr;	/* EK_*; ranges */
	uint32_t reason;	/* EK_ERR */
	struct { uint16_t off, count; uint8_t page[3]; } r[3];
};

struct echo_chan {
	uint32_t relid, conn_id, gpadl, sub;
	struct echo_exp q[ECHO_QUEUE];
	uint32_t head, tail;	/* q: expected replies, in order */
	uint64_t next_trans;
	uint32_t sent, got, bad;
	bool stall;		/* not reading the host->guest ring */
	uint64_t stall_end;
	uint32_t stalls, full;	/* stalls; ones where the host had to wait */
	uint32_t room_signals;	/* signals for pending_send_sz */
	bool signalled;		/* the host signalled as the era requires */
	uint32_t wraps;
	char why[160];		/* the first mismatch */
};

static struct echo_chan echo[ECHO_CHANS];
/* payload bytes of the good replies (hv-vmbus-test's echoed-bytes) */
static uint64_t echo_bytes;
static uint64_t echo_rng = 0x9e3779b97f4a7c15ull;

static uint32_t echo_rand(uint32_t n)
{
	echo_rng ^= echo_rng << 13;
	echo_rng ^= echo_rng >> 7;
	echo_rng ^= echo_rng << 17;
	return n ? (uint32_t)(echo_rng % n) : 0;
}

static uint8_t echo_byte(uint32_t seed, uint32_t i)
{
	return (uint8_t)(((seed + i) * 2654435761u) >> 23);
}

static uint8_t data_byte(uint32_t page, uint32_t off)
{
	return echo_byte(0x5a5a0000u + page * 7919u, off);
}

static volatile struct vmb_ring_hdr *ec_out(struct echo_chan *c)
{
	return (volatile struct vmb_ring_hdr *)echo_ring[c - echo][0];
}

static volatile struct vmb_ring_hdr *ec_in(struct echo_chan *c)
{
	return (volatile struct vmb_ring_hdr *)
		echo_ring[c - echo][ECHO_OUT_PAGES];
}

static uint16_t ec_signal(struct echo_chan *c)
{
	if (old_era()) {
		bit_set(int_page + PAGE_SIZE / 2, c->relid);
		return vb_hypercall(HC_SIGNAL_EVENT | HC_FAST,
				    VMB_EVENT_CONNECTION_ID);
	}
	return vb_hypercall(HC_SIGNAL_EVENT | HC_FAST, c->conn_id);
}

/* Did the host signal @c since the last look? (as the era requires) */
static void ec_take_signal(struct echo_chan *c)
{
	if (old_era()) {
		if (bit_test_clear(int_page, c->relid) &&
		    bit_test_clear(sief2(), 0))
			c->signalled = true;
	} else if (bit_test_clear(sief2(), c->relid)) {
		c->signalled = true;
	}
}

static void ec_put(struct echo_chan *c, uint32_t pos, const void *src,
		   uint32_t n)
{
	uint8_t *data = echo_ring[c - echo][1];
	const uint8_t *p = src;

	for (uint32_t i = 0; i < n; i++)
		data[(pos + i) % ECHO_OUT_SIZE] = p ? p[i] : 0;
}

/*
 * Write a packet: @desc (@dlen bytes, 8-aligned, after the 16-byte
 * descriptor), then @n payload bytes made from @seed (@payload NULL) or
 * taken from @payload, zero-padded.  @off8/@len8 non-zero: write those
 * (hostile); @advance non-zero: publish that many bytes instead.
 */
static bool ec_write_raw(struct echo_chan *c, uint16_t type, uint16_t flags,
			 uint64_t trans_id, const void *desc, uint32_t dlen,
			 uint32_t seed, const uint8_t *payload, uint32_t n,
			 uint16_t off8, uint16_t len8, uint32_t advance)
{
	volatile struct vmb_ring_hdr *h = ec_out(c);
	uint32_t w = h->write_index, r = h->read_index, len, room;
	struct vmb_pkt_hdr ph;
	uint64_t trailer = (uint64_t)w << 32;
	uint8_t chunk[64];

	len = sizeof(ph) + dlen + ((n + 7) & ~7u);
	room = r > w ? r - w : ECHO_OUT_SIZE - (w - r);
	if (!advance)
		advance = len + VMB_PKT_TRAILER;
	if (w >= ECHO_OUT_SIZE || r >= ECHO_OUT_SIZE || advance >= room)
		return false;
	ph.type = type;
	ph.offset8 = off8 ? off8 : (uint16_t)((sizeof(ph) + dlen) / 8);
	ph.len8 = len8 ? len8 : (uint16_t)(len / 8);
	ph.flags = flags;
	ph.trans_id = trans_id;
	ec_put(c, w, &ph, sizeof(ph));
	ec_put(c, w + sizeof(ph), desc, dlen);
	for (uint32_t i = 0; i < n; i += sizeof(chunk)) {
		uint32_t k = n - i < sizeof(chunk) ? n - i : sizeof(chunk);

		if (payload)
			memcpy(chunk, payload + i, k);
		else
			for (uint32_t j = 0; j < k; j++)
				chunk[j] = echo_byte(seed, i + j);
		ec_put(c, w + sizeof(ph) + dlen + i, chunk, k);
	}
	ec_put(c, w + sizeof(ph) + dlen + n, NULL, len - sizeof(ph) - dlen - n);
	if (advance == len + VMB_PKT_TRAILER)
		ec_put(c, w + len, &trailer, sizeof(trailer));
	mb();
	if (w + advance >= ECHO_OUT_SIZE)
		c->wraps++;
	h->write_index = (w + advance) % ECHO_OUT_SIZE;
	return true;
}

static bool ec_write(struct echo_chan *c, uint16_t type, uint16_t flags,
		     uint64_t trans_id, const void *desc, uint32_t dlen,
		     uint32_t seed, uint32_t n)
{
	return ec_write_raw(c, type, flags, trans_id, desc, dlen, seed, NULL,
			    n, 0, 0, 0);
}

/* A GPA-direct descriptor for @e's ranges into @desc; its length */
static uint32_t ec_gpa_desc(const struct echo_exp *e, uint8_t *desc)
{
	uint32_t *hdr = (uint32_t *)desc, pos = 8;

	hdr[0] = 0;
	hdr[1] = e->nr;
	for (uint32_t i = 0; i < e->nr; i++) {
		uint32_t rc[2] = { e->r[i].count, e->r[i].off };
		uint32_t np = (e->r[i].off + e->r[i].count + PAGE_SIZE - 1) /
			      PAGE_SIZE;

		memcpy(desc + pos, rc, 8);
		pos += 8;
		for (uint32_t k = 0; k < np; k++) {
			uint64_t pfn = PFN(echo_data[e->r[i].page[k]]);

			memcpy(desc + pos, &pfn, 8);
			pos += 8;
		}
	}
	return pos;
}

static bool ec_queue(struct echo_chan *c, const struct echo_exp *e)
{
	if (c->tail - c->head >= ECHO_QUEUE)
		return false;
	c->q[c->tail++ % ECHO_QUEUE] = *e;
	return true;
}

/* Send the packet @e describes (its trans_id set here) */
static bool ec_send(struct echo_chan *c, struct echo_exp *e)
{
	uint8_t desc[8 + 3 * (8 + 3 * 8)];
	uint32_t dlen = 0;
	uint16_t type = VMB_PKT_DATA_INBAND, flags = 0;

	if (c->tail - c->head >= ECHO_QUEUE)
		return false;
	e->trans_id = c->next_trans;
	if (e->kind == EK_GPA) {
		type = VMB_PKT_DATA_GPA_DIRECT;
		/* Linux asks for a completion; the host answers either way */
		flags = echo_rand(2) ? VMB_PKT_FLAG_COMPLETION : 0;
		dlen = ec_gpa_desc(e, desc);
	} else if (e->kind == EK_INBAND_COMP) {
		flags = VMB_PKT_FLAG_COMPLETION;
	}
	if (!ec_write(c, type, flags, e->trans_id, desc, dlen, e->seed,
		      e->ilen))
		return false;
	c->next_trans++;
	ec_queue(c, e);
	return true;
}

/* A random packet of the stress mix */
static void ec_make(struct echo_exp *e)
{
	uint32_t k = echo_rand(100);

	memset(e, 0, sizeof(*e));
	e->seed = echo_rand(0xffffffffu);
	if (k < 55) {
		e->kind = echo_rand(2) ? EK_INBAND_COMP : EK_INBAND;
		k = echo_rand(100);
		e->ilen = k < 45 ? echo_rand(65) : k < 85 ? 65 + echo_rand(960) :
			  1025 + echo_rand(5000);
		return;
	}
	e->kind = EK_GPA;
	e->ilen = echo_rand(4) ? echo_rand(257) : 0;
	e->nr = 1 + echo_rand(3);
	for (uint32_t i = 0; i < e->nr; i++) {
		e->r[i].off = echo_rand(PAGE_SIZE);
		e->r[i].count = 1 + echo_rand(echo_rand(4) ? 1500 : 5000);
		for (uint32_t p = 0; p < 3; p++)
			e->r[i].page[p] = echo_rand(ECHO_DATA_PAGES);
	}
}

static void ec_fail(struct echo_chan *c, const char *fmt, uint64_t a,
		    uint64_t b)
{
	if (!c->why[0])
		snprintf(c->why, sizeof(c->why), fmt, a, b);
}

/* Check reply @h/@buf/@len against @e */
static bool ec_check(struct echo_chan *c, const struct echo_exp *e,
		     const struct vmb_pkt_hdr *h, const uint8_t *buf,
		     uint32_t len)
{
	uint32_t ipad = (e->ilen + 7) & ~7u, total = 0, pos;
	uint16_t want_type = e->kind == EK_INBAND || e->kind == EK_ERR ?
			     VMB_PKT_DATA_INBAND : VMB_PKT_COMP;

	if (h->trans_id != e->trans_id) {
		ec_fail(c, "reply for transaction 0x%llx where 0x%llx was due",
			h->trans_id, e->trans_id);
		return false;
	}
	if (h->type != want_type || h->flags) {
		ec_fail(c, "reply type 0x%llx flags 0x%llx", h->type, h->flags);
		return false;
	}
	if (e->kind == EK_ERR) {
		uint32_t m[2];

		memcpy(m, buf, len >= 8 ? 8 : 0);
		if (len != 8 || m[0] != ECHO_MAGIC || m[1] != e->reason) {
			ec_fail(c, "error marker: %llu bytes, reason %llu",
				len, len == 8 ? m[1] : 0);
			return false;
		}
		return true;
	}
	for (uint32_t i = 0; i < e->nr; i++)
		total += e->r[i].count;
	if (len != ((ipad + total + 7) & ~7u)) {
		ec_fail(c, "reply of %llu bytes, want %llu", len,
			(ipad + total + 7) & ~7u);
		return false;
	}
	for (uint32_t i = 0; i < ipad; i++) {
		uint8_t want = i < e->ilen ? echo_byte(e->seed, i) : 0;

		if (buf[i] != want) {
			ec_fail(c, "payload byte %llu differs (0x%llx)", i,
				buf[i]);
			return false;
		}
	}
	pos = ipad;
	for (uint32_t i = 0; i < e->nr; i++) {
		for (uint32_t k = 0; k < e->r[i].count; k++) {
			uint32_t o = e->r[i].off + k;
			uint32_t page = e->r[i].page[o / PAGE_SIZE];

			if (buf[pos + k] != data_byte(page, o % PAGE_SIZE)) {
				ec_fail(c, "range byte %llu differs (0x%llx)",
					pos + k, buf[pos + k]);
				return false;
			}
		}
		pos += e->r[i].count;
	}
	echo_bytes += ipad + total;
	return true;
}

/*
 * Take one reply from @c's host->guest ring and check it: 1 good, 0 none,
 * -1 wrong (c->why).  Signals the host when the read made the room it
 * asked for (pending_send_sz).
 */
static int ec_read_one(struct echo_chan *c)
{
	volatile struct vmb_ring_hdr *h = ec_in(c);
	const volatile uint8_t *data = echo_ring[c - echo][ECHO_OUT_PAGES + 1];
	uint32_t w = h->write_index, r = h->read_index, avail, off, len, pend;
	uint32_t free_before, free_after, nr;
	struct vmb_pkt_hdr ph;

	if (w >= ECHO_IN_SIZE || r >= ECHO_IN_SIZE || (w | r) & 7) {
		ec_fail(c, "host->guest ring indices %llu %llu", w, r);
		return -1;
	}
	avail = w >= r ? w - r : ECHO_IN_SIZE - r + w;
	if (!avail)
		return 0;
	mb();
	for (uint32_t i = 0; i < sizeof(ph); i++)
		((uint8_t *)&ph)[i] = data[(r + i) % ECHO_IN_SIZE];
	off = ph.offset8 * 8u;
	len = ph.len8 * 8u;
	if (off < sizeof(ph) || off > len || len + VMB_PKT_TRAILER > avail ||
	    len - off > sizeof(echo_buf)) {
		ec_fail(c, "malformed reply: offset %llu length %llu", off, len);
		return -1;
	}
	for (uint32_t i = 0; i < len - off; i++)
		echo_buf[i] = data[(r + off + i) % ECHO_IN_SIZE];
	if (c->head == c->tail) {
		ec_fail(c, "a reply (transaction 0x%llx) nothing was sent for%llu",
			ph.trans_id, 0);
		return -1;
	}
	if (!ec_check(c, &c->q[c->head % ECHO_QUEUE], &ph, echo_buf,
		      len - off))
		return -1;
	c->head++;
	c->got++;
	nr = (r + len + VMB_PKT_TRAILER) % ECHO_IN_SIZE;
	mb();
	h->read_index = nr;
	mb();
	/*
	 * As Linux's hv_pkt_iter_close(): signal when the room the host wants
	 * is there; exactly pending_send_sz free is not enough (the writer
	 * may never fill the ring: full and empty would look the same)
	 */
	pend = h->pending_send_sz;
	if (pend) {
		w = h->write_index;
		free_after = ECHO_IN_SIZE - (w >= nr ? w - nr : ECHO_IN_SIZE - nr + w);
		free_before = free_after - (len + VMB_PKT_TRAILER);
		if (free_before <= pend && free_after > pend) {
			c->room_signals++;
			ec_signal(c);
		}
	}
	return 1;
}

/* Read every reply there is (not while stalled); false on a mismatch */
static bool ec_drain(struct echo_chan *c)
{
	int r;

	while ((r = ec_read_one(c)) == 1)
		;
	return r == 0;
}

/* Wait for @n more replies on @c; false on a mismatch or timeout */
static bool ec_wait_replies(struct echo_chan *c, uint32_t n, uint64_t timeout)
{
	uint32_t want = c->got + n;
	uint64_t end = ref_now() + timeout;

	while (c->got < want) {
		int r = ec_read_one(c);

		if (r < 0)
			return false;
		if (!r && ref_now() > end) {
			ec_fail(c, "no reply within %llu ms (%llu due)",
				timeout / MS, want - c->got);
			return false;
		}
		ec_take_signal(c);
	}
	return true;
}

static bool ec_open(struct echo_chan *c)
{
	uint64_t pfns[ECHO_RING_PAGES];
	uint32_t status = ~0u, relid = 0, save_relid = vb.relid;
	uint32_t save_gpadl = vb.gpadl;
	bool got;
	int r;

	memset(echo_ring[c - echo], 0, sizeof(echo_ring[0]));
	ec_out(c)->feature_bits = VMB_RING_FEAT_PENDING_SZ;
	for (uint32_t i = 0; i < ECHO_RING_PAGES; i++)
		pfns[i] = PFN(echo_ring[c - echo][i]);
	c->gpadl = vb.next_gpadl++;
	got = gpadl_post(c->relid, c->gpadl, pfns, ECHO_RING_PAGES, NULL) ==
	      ST_SUCCESS && gpadl_created(c->gpadl, &status, &relid, REPLY_WAIT);
	if (!got || status) {
		diag("echo: GPADL for relid %u: %s, status 0x%x", c->relid,
		     got ? "created" : "no answer", status);
		return false;
	}
	vb.gpadl = c->gpadl;
	r = chan_open(c->relid, ECHO_OUT_PAGES, &status, REPLY_WAIT);
	vb.gpadl = save_gpadl;
	vb.relid = save_relid;
	if (r != 1 || status) {
		diag("echo: OPENCHANNEL relid %u: %s", c->relid,
		     answer_desc(r, status));
		return false;
	}
	c->next_trans = ((uint64_t)(c - echo) + 1) << 40;
	return true;
}

/* The stress run: both channels, interleaved, until all is echoed */
static bool ec_stress(void)
{
	uint64_t end = ref_now() + (60000 + ECHO_PACKETS) * MS;
	bool ok = true, busy = true;

	while (busy && ok) {
		busy = false;
		for (uint32_t i = 0; i < ECHO_CHANS; i++) {
			struct echo_chan *c = &echo[i];
			struct echo_exp e;
			uint32_t wrote = 0;

			ec_take_signal(c);
			/* write while there is room */
			while (c->sent < ECHO_PACKETS) {
				ec_make(&e);
				if (!ec_send(c, &e))
					break;	/* that one is not sent */
				c->sent++;
				wrote++;
				if (c->sent % ECHO_STALL_EVERY == 0 && !c->stall) {
					c->stall = true;
					c->stalls++;
					c->stall_end = ref_now() + 300 * MS;
				}
				if (wrote >= 64)
					break;
			}
			if (wrote)
				ec_signal(c);
			if (c->stall) {
				/* the host waits for room, our ring is full */
				bool full = ec_in(c)->pending_send_sz != 0;

				if ((full && !wrote) || ref_now() > c->stall_end ||
				    c->sent == ECHO_PACKETS) {
					if (full)
						c->full++;
					c->stall = false;
				}
			}
			if (!c->stall && !ec_drain(c))
				ok = false;
			if (c->sent < ECHO_PACKETS || c->head != c->tail)
				busy = true;
		}
		if (ref_now() > end) {
			for (uint32_t i = 0; i < ECHO_CHANS; i++)
				ec_fail(&echo[i], "timeout: %llu sent, %llu echoed",
					echo[i].sent, echo[i].got);
			ok = false;
		}
	}
	return ok;
}

/* The error marker for @reason is due for the next packet */
static void ec_expect_err(struct echo_chan *c, uint32_t reason)
{
	struct echo_exp e;

	memset(&e, 0, sizeof(e));
	e.kind = EK_ERR;
	e.reason = reason;
	e.trans_id = c->next_trans;
	ec_queue(c, &e);
}

/*
 * A hostile packet (already written, trans_id c->next_trans), then a
 * good one: @reason 0: the server drops the hostile one (no answer),
 * else the device answers it with the error marker for @reason.  The
 * good packet's echo proves the ring goes on.
 */
static bool ec_hostile_done(struct echo_chan *c, const char *what,
			    uint32_t reason)
{
	volatile struct vmb_ring_hdr *o = ec_out(c);
	struct echo_exp e;
	uint32_t replies = 1;
	uint64_t end;
	bool consumed, ok;
	uint16_t st;

	if (reason) {
		ec_expect_err(c, reason);
		replies++;
	}
	c->next_trans++;
	st = ec_signal(c);
	/* the host takes it off the ring (dropped or answered) */
	end = ref_now() + REPLY_WAIT;
	while (o->read_index != o->write_index && ref_now() < end)
		;
	consumed = o->read_index == o->write_index;
	memset(&e, 0, sizeof(e));
	e.kind = EK_INBAND_COMP;
	e.seed = echo_rand(0xffffffffu);
	e.ilen = 40;
	ok = ec_send(c, &e);
	ec_signal(c);
	c->why[0] = 0;
	ok = ok && ec_wait_replies(c, replies, REPLY_WAIT);
	tap(st == ST_SUCCESS && consumed && ok,
	    "echo hostile: %s: %s, then a good packet is echoed (%s)", what,
	    reason == ECHO_ERR_TOO_BIG ? "error marker 1 (too big)" :
	    reason == ECHO_ERR_MEMORY ? "error marker 2 (not guest RAM)" :
	    reason == ECHO_ERR_TYPE ? "error marker 3 (packet type)" :
	    "dropped unanswered", !consumed ? "not taken off the ring" :
	    c->why[0] ? c->why : "in order");
	c->bad++;
	return ok;
}

static void ec_hostile(struct echo_chan *c, uint32_t *sentinels)
{
	uint8_t d[64];
	uint32_t *u = (uint32_t *)d;
	uint64_t pfn;

	/* offset8 past len8, and offset8 inside the descriptor */
	ec_write_raw(c, VMB_PKT_DATA_INBAND, 0, c->next_trans, NULL, 0, 1,
		     NULL, 16, 5, 3, 3 * 8 + VMB_PKT_TRAILER);
	ec_hostile_done(c, "in-band packet with offset8 5 > len8 3", 0);
	ec_write_raw(c, VMB_PKT_DATA_INBAND, 0, c->next_trans, NULL, 0, 1,
		     NULL, 16, 1, 0, 0);
	ec_hostile_done(c, "in-band packet with offset8 1 (inside the descriptor)", 0);
	/* len8 past what was written, and shorter than a descriptor */
	ec_write_raw(c, VMB_PKT_DATA_INBAND, 0, c->next_trans, NULL, 0, 1,
		     NULL, 16, 0, 200, 48);
	ec_hostile_done(c, "len8 200 with 48 bytes written", 0);
	ec_write_raw(c, VMB_PKT_DATA_INBAND, 0, c->next_trans, NULL, 0, 1,
		     NULL, 16, 0, 1, 0);
	ec_hostile_done(c, "len8 1 (shorter than the descriptor)", 0);
	/* GPA: range count past the packet */
	u[0] = 0;
	u[1] = 0xc0000000u;
	ec_write(c, VMB_PKT_DATA_GPA_DIRECT, 1, c->next_trans, d, 8, 1, 8);
	ec_hostile_done(c, "GPA direct with range count 0xc0000000 in an 8-byte descriptor", 0);
	u[1] = 2;
	u[2] = 64;
	u[3] = 0;
	pfn = PFN(echo_data[0]);
	memcpy(d + 16, &pfn, 8);
	ec_write(c, VMB_PKT_DATA_GPA_DIRECT, 1, c->next_trans, d, 24, 1, 8);
	ec_hostile_done(c, "GPA direct with range count 2 and one range", 0);
	/* GPA: byte_offset + byte_count need 2 PFNs, 1 given */
	u[1] = 1;
	u[2] = 8000;
	u[3] = 100;
	ec_write(c, VMB_PKT_DATA_GPA_DIRECT, 1, c->next_trans, d, 24, 1, 0);
	ec_hostile_done(c, "GPA direct whose byte_offset 100 + byte_count 8000 runs past its one PFN", 0);
	/* GPA: byte_offset beyond the page */
	u[2] = 16;
	u[3] = 4096;
	ec_write(c, VMB_PKT_DATA_GPA_DIRECT, 1, c->next_trans, d, 24, 1, 0);
	ec_hostile_done(c, "GPA direct with byte_offset 4096", 0);
	/* a packet type the server does not take */
	ec_write(c, VMB_PKT_DATA_XFER_PAGES, 1, c->next_trans, NULL, 0, 1, 16);
	ec_hostile_done(c, "packet type 7 (transfer pages)", 0);
	/* GPA: PFNs outside guest RAM, in the local APIC, past RAM's end */
	u[2] = 100;
	u[3] = 0;
	pfn = BAD_PFN;
	memcpy(d + 16, &pfn, 8);
	ec_write(c, VMB_PKT_DATA_GPA_DIRECT, 1, c->next_trans, d, 24, 1, 8);
	ec_hostile_done(c, "GPA direct with PFN 0xfffffffff", ECHO_ERR_MEMORY);
	pfn = 0xfee00;
	memcpy(d + 16, &pfn, 8);
	ec_write(c, VMB_PKT_DATA_GPA_DIRECT, 1, c->next_trans, d, 24, 1, 8);
	ec_hostile_done(c, "GPA direct with PFN 0xfee00 (local APIC)", ECHO_ERR_MEMORY);
	pfn = (uint64_t)512 << 8;	/* hvtest.mem=512 */
	memcpy(d + 16, &pfn, 8);
	ec_write(c, VMB_PKT_DATA_GPA_DIRECT, 1, c->next_trans, d, 24, 1, 8);
	ec_hostile_done(c, "GPA direct with the PFN just past RAM", ECHO_ERR_MEMORY);
	/* a guest completion: not something to echo */
	ec_write(c, VMB_PKT_COMP, 0, c->next_trans, NULL, 0, 1, 16);
	ec_hostile_done(c, "a completion packet from the guest", ECHO_ERR_TYPE);
	*sentinels += 13;
}

/* More than 64 KiB to echo: the error marker */
static bool ec_too_big(struct echo_chan *c)
{
	static uint8_t d[8 + 8 + 17 * 8] __attribute__((aligned(8)));
	uint32_t *u = (uint32_t *)d;

	u[0] = 0;
	u[1] = 1;
	u[2] = 17 * PAGE_SIZE;
	u[3] = 0;
	for (uint32_t i = 0; i < 17; i++) {
		uint64_t pfn = PFN(echo_data[i]);

		memcpy(d + 16 + 8 * i, &pfn, 8);
	}
	ec_write(c, VMB_PKT_DATA_GPA_DIRECT, 1, c->next_trans, d, sizeof(d),
		 1, 0);
	return ec_hostile_done(c, "GPA direct of 17 pages (68 KiB, over 64 KiB)",
			       ECHO_ERR_TOO_BIG);
}

/* A GPA-direct packet without ranges: its in-band payload comes back */
static bool ec_no_ranges(struct echo_chan *c)
{
	struct echo_exp e;
	bool ok;

	memset(&e, 0, sizeof(e));
	e.kind = EK_GPA;
	e.seed = 77;
	e.ilen = 24;
	c->why[0] = 0;
	ok = ec_send(c, &e);
	ec_signal(c);
	ok = ok && ec_wait_replies(c, 1, REPLY_WAIT);
	tap(ok, "echo: GPA direct with range count 0 and 24 payload bytes: a completion with the 24 bytes (%s)",
	    c->why[0] ? c->why : "as sent");
	return ok;
}

/* run.sh checks hv-vmbus-test's counters: @op "=" or ">=" each */
static void ec_qom(uint64_t packets, uint64_t bytes, uint64_t errors,
		   const char *full_op, uint64_t full, const char *what)
{
	char cmd[400];
	int r;

	snprintf(cmd, sizeof(cmd),
		 "qom-expect %s echoed-packets = %llu ; qom-expect %s echoed-bytes = %llu ; qom-expect %s errors = %llu ; qom-expect %s ring-full %s %llu",
		 VT_QOM, (unsigned long long)packets, VT_QOM,
		 (unsigned long long)bytes, VT_QOM,
		 (unsigned long long)errors, VT_QOM, full_op,
		 (unsigned long long)full);
	r = host_do(cmd);
	tap(r == 1, "echo: QMP qom-get: %s (run.sh: %s)", what, host_desc(r));
}

static void test_echo(void)
{
	struct vmb_offer of;
	struct vb_msg m;
	uint32_t sentinels = 0, good = 0, bad = 0, full = 0;
	bool ok = true;
	int r;

	memset(echo, 0, sizeof(echo));
	echo_bytes = 0;
	for (uint32_t p = 0; p < ECHO_DATA_PAGES; p++)
		for (uint32_t i = 0; i < PAGE_SIZE; i++)
			echo_data[p][i] = data_byte(p, i);
	if (!test_negotiate() || !test_offers())
		return;
	echo[0].relid = vb.relid;
	echo[0].conn_id = vb.conn_id;

	/* sub-channel 1, offered on request */
	r = host_do("qom-set " VT_QOM " offer-subchannels 1");
	memset(&of, 0, sizeof(of));
	if (msg_wait(VMB_OFFERCHANNEL, 0, 0, &m, REPLY_WAIT))
		offer_read(&m, &of);
	tap(r == 1 && of.sub_channel_index == 1 && of.child_relid,
	    "echo: offer-subchannels 1 (run.sh: %s): sub-channel %u offered, relid %u",
	    host_desc(r), of.sub_channel_index, of.child_relid);
	if (of.sub_channel_index != 1 || !of.child_relid)
		return;
	echo[1].relid = of.child_relid;
	echo[1].conn_id = of.connection_id;
	echo[1].sub = 1;

	for (uint32_t i = 0; i < ECHO_CHANS; i++) {
		bool opened = ec_open(&echo[i]);

		tap(opened, "echo: channel %u (relid %u) opens with a %u KiB guest->host and a %u KiB host->guest ring",
		    echo[i].sub, echo[i].relid, ECHO_OUT_SIZE / 1024,
		    ECHO_IN_SIZE / 1024);
		if (!opened)
			return;
	}

	ok = ec_stress();
	for (uint32_t i = 0; i < ECHO_CHANS; i++) {
		struct echo_chan *c = &echo[i];

		tap(ok && c->got == ECHO_PACKETS && c->head == c->tail &&
		    !c->why[0],
		    "echo: channel %u: %u packets (in-band with and without completion, GPA direct with 1-3 ranges; 0 to ~15 KiB) echoed byte for byte and in order: %u replies (%s)",
		    c->sub, c->sent, c->got, c->why[0] ? c->why : "all good");
		tap(c->wraps >= 10,
		    "echo: channel %u: the guest->host ring wrapped %u times",
		    c->sub, c->wraps);
		tap(c->full >= 1 && c->room_signals >= 1,
		    "echo: channel %u: %u of %u read stalls filled the host->guest ring (pending_send_sz set), the guest signalled room %u times and the host went on",
		    c->sub, c->full, c->stalls, c->room_signals);
		tap(c->signalled, "echo: channel %u: the host signalled replies %s",
		    c->sub, sig_want());
		good += c->got;
		full += c->full;
	}
	if (!ok)
		return;

	/* counters: every packet so far echoed, no error */
	ec_qom(good, echo_bytes, 0, ">=", 1,
	       "echoed-packets and echoed-bytes = the replies so far, errors = 0, ring-full >= 1");

	/* hostile packets on the primary channel, each followed by a good one */
	ec_hostile(&echo[0], &sentinels);
	ec_too_big(&echo[0]);
	sentinels++;
	ec_no_ranges(&echo[0]);
	bad = echo[0].bad;
	good += sentinels + 1;
	ec_qom(good, echo_bytes, bad, ">=", full ? 1 : 0,
	       "after the hostile packets: echoed-packets counts the good ones, errors the hostile ones");

	/*
	 * Closing the channels clears the counters.  Closing the primary
	 * first: as on Hyper-V, the host rescinds its sub-channel.
	 */
	for (uint32_t i = 0; i < ECHO_CHANS; i++) {
		struct vmb_close_channel cl = { { VMB_CLOSECHANNEL, 0 },
						echo[i].relid };

		post(&cl, sizeof(cl));
		if (i == 0)
			tap(rescind_wait(echo[1].relid),
			    "echo: CLOSECHANNEL of the primary: its sub-channel (relid %u) is rescinded",
			    echo[1].relid);
	}
	msg_quiet(50 * MS);
	ec_qom(0, 0, 0, "=", 0, "after CLOSECHANNEL of both: every counter is 0");
}

/* ---- StorVSP (hv-storvsp) ------------------------------------------ */

/*
 * hv-storvsp with a 1 MiB raw disk at LUN 0, on the primary channel (the
 * echo helpers' ring 0): the init sequence at the profile's storage
 * protocol (versions newer than it refused; before 5.1 the 48-byte
 * packets), SCSI commands over GPA-direct packets (a multi-page range
 * written and read back), a LUN with no disk, and malformed requests,
 * each answered with an error status while the controller goes on.
 * The guest side's wire layout is written here independently of hvhost's
 * storvsp-proto.h.
 */
#define SV_COMPLETE_IO		1
#define SV_EXECUTE_SRB		3
#define SV_BEGIN_INIT		7
#define SV_END_INIT		8
#define SV_QUERY_VERSION	9
#define SV_QUERY_PROPERTIES	10
#define SV_CREATE_SUB_CHANNELS	13
#define SV_ST_INVALID_PARAMETER	0xc000000du
#define SV_ST_INVALID_REQUEST	0xc0000010u
#define SV_ST_REVISION_MISMATCH	0xc0000059u
#define SV_ST_INVALID_STATE	0xc0000184u
#define SRB_SUCCESS		0x01
#define SRB_INVALID_REQUEST	0x06
#define SRB_INVALID_LUN		0x20
#define SV_DATA_OUT		0
#define SV_DATA_IN		1
#define SV_DATA_NONE		2

struct sv_srb {
	uint16_t length;
	uint8_t srb_status, scsi_status;
	uint8_t port, path, target, lun;
	uint8_t cdb_length, sense_length, data_in, reserved;
	uint32_t xfer;
	uint8_t cdb[20];
	/* from 5.1 */
	uint16_t reserve;
	uint8_t queue_tag, queue_action;
	uint32_t srb_flags, timeout, sort_key;
} __attribute__((packed));

struct sv_pkt {
	uint32_t op, flags, status;
	union {
		struct sv_srb srb;
		struct { uint16_t major_minor, revision; } ver;
		struct {
			uint32_t reserved;
			uint16_t max_channels, reserved1;
			uint32_t flags, max_transfer;
			uint64_t reserved2;
		} __attribute__((packed)) props;
		uint16_t sub_channels;
		uint8_t raw[52];
	};
} __attribute__((packed));

_Static_assert(sizeof(struct sv_pkt) == 64, "storvsp packet");
_Static_assert(__builtin_offsetof(struct sv_pkt, srb.reserve) == 48,
	       "storvsp packet before 5.1");

static uint8_t sv_data[3][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static struct {
	uint16_t newest;	/* the profile's storage protocol */
	uint32_t len;		/* packet size we send (48 or 64) */
	uint64_t trans;
	struct sv_pkt ans;
	uint32_t ans_len;
} sv;

/* the descriptor (between header and payload) of the last packet taken */
static uint8_t vb_desc[64];
static uint32_t vb_desc_len;

/*
 * Take one packet off the host->guest ring of the channel under test
 * (ring 0): 1 (its payload, at most @size bytes, in @buf; its length in
 * *@len), 0 none, -1 malformed
 */
int vb_chan_recv(struct vmb_pkt_hdr *ph, void *buf, uint32_t size,
		 uint32_t *len)
{
	volatile struct vmb_ring_hdr *h = ec_in(&echo[0]);
	const volatile uint8_t *data = echo_ring[0][ECHO_OUT_PAGES + 1];
	uint32_t w = h->write_index, r = h->read_index, avail, off, plen;

	if (w >= ECHO_IN_SIZE || r >= ECHO_IN_SIZE || (w | r) & 7)
		return -1;
	avail = w >= r ? w - r : ECHO_IN_SIZE - r + w;
	if (!avail)
		return 0;
	mb();
	for (uint32_t i = 0; i < sizeof(*ph); i++)
		((uint8_t *)ph)[i] = data[(r + i) % ECHO_IN_SIZE];
	off = ph->offset8 * 8u;
	plen = ph->len8 * 8u;
	if (off < sizeof(*ph) || off > plen || plen + VMB_PKT_TRAILER > avail)
		return -1;
	memset(buf, 0, size);
	*len = plen - off;
	for (uint32_t i = 0; i < *len && i < size; i++)
		((uint8_t *)buf)[i] = data[(r + off + i) % ECHO_IN_SIZE];
	vb_desc_len = off - sizeof(*ph);
	for (uint32_t i = 0; i < vb_desc_len && i < sizeof(vb_desc); i++)
		vb_desc[i] = data[(r + sizeof(*ph) + i) % ECHO_IN_SIZE];
	mb();
	h->read_index = (r + plen + VMB_PKT_TRAILER) % ECHO_IN_SIZE;
	return 1;
}

static int sv_read(struct vmb_pkt_hdr *ph)
{
	return vb_chan_recv(ph, &sv.ans, sizeof(sv.ans), &sv.ans_len);
}

/*
 * Send @p (@len bytes; with a GPA descriptor when @dlen) and wait for the
 * completion with its transaction id: true if it came (in sv.ans)
 */
static bool sv_xact(const void *p, uint32_t len, const void *desc,
		    uint32_t dlen, uint64_t timeout)
{
	uint64_t t = ++sv.trans, end;
	struct vmb_pkt_hdr ph;
	int r;

	if (!ec_write_raw(&echo[0], dlen ? VMB_PKT_DATA_GPA_DIRECT :
			  VMB_PKT_DATA_INBAND, VMB_PKT_FLAG_COMPLETION, t,
			  desc, dlen, 0, p, len, 0, 0, 0))
		return false;
	ec_signal(&echo[0]);
	end = ref_now() + timeout;
	while (ref_now() < end) {
		r = sv_read(&ph);
		if (r < 0)
			return false;
		if (r && ph.type == VMB_PKT_COMP && ph.trans_id == t)
			return true;
		if (r)
			diag("storvsp: packet type %u transaction 0x%llx (want 0x%llx)",
			     ph.type, (unsigned long long)ph.trans_id,
			     (unsigned long long)t);
	}
	return false;
}

/* A one-range GPA descriptor: @count bytes at @off of sv_data (or @pfn) */
static uint32_t sv_desc(uint8_t *d, uint32_t off, uint32_t count,
			uint64_t bad_pfn, uint32_t rangecount)
{
	uint32_t hdr[4] = { 0, rangecount, count, off };
	uint32_t np = (off + count + PAGE_SIZE - 1) / PAGE_SIZE, pos = 16;

	memcpy(d, hdr, sizeof(hdr));
	for (uint32_t k = 0; k < np && k < 3; k++) {
		uint64_t pfn = bad_pfn ? bad_pfn : PFN(sv_data[k]);

		memcpy(d + pos, &pfn, 8);
		pos += 8;
	}
	return pos;
}

/* EXECUTE_SRB of @cdb at @lun, @xfer bytes at offset @off of sv_data */
static bool sv_srb(uint8_t lun, const uint8_t *cdb, uint8_t cdb_len,
		   uint8_t dir, uint32_t off, uint32_t xfer, uint32_t len)
{
	struct sv_pkt p;
	uint8_t d[64];
	uint32_t dlen = 0;

	memset(&p, 0, sizeof(p));
	p.op = SV_EXECUTE_SRB;
	p.flags = 1;
	p.srb.length = sv.len == 64 ? 52 : 36;
	p.srb.lun = lun;
	p.srb.cdb_length = cdb_len;
	p.srb.sense_length = sv.len == 64 ? 20 : 18;
	p.srb.data_in = dir;
	p.srb.xfer = xfer;
	memcpy(p.srb.cdb, cdb, cdb_len < 20 ? cdb_len : 20);
	if (xfer)
		dlen = sv_desc(d, off, xfer, 0, 1);
	return sv_xact(&p, len ? len : sv.len, d, dlen, REPLY_WAIT);
}

static bool sv_op(uint32_t op, uint16_t arg)
{
	struct sv_pkt p;

	memset(&p, 0, sizeof(p));
	p.op = op;
	p.flags = 1;
	p.ver.major_minor = arg;	/* also sub_channels */
	return sv_xact(&p, sv.len, NULL, 0, REPLY_WAIT);
}

static const char *sv_ans(bool got)
{
	static char b[96];

	if (!got)
		return "no answer";
	snprintf(b, sizeof(b), "op %u status 0x%x srb 0x%x scsi 0x%x length %u, %u bytes",
		 sv.ans.op, sv.ans.status, sv.ans.srb.srb_status,
		 sv.ans.srb.scsi_status, sv.ans.srb.xfer, sv.ans_len);
	return b;
}

/* The answer is COMPLETE_IO with @status (and @srb unless 0xff) */
static bool sv_is(bool got, uint32_t status, uint8_t srb)
{
	return got && sv.ans.op == SV_COMPLETE_IO && sv.ans.status == status &&
	       (srb == 0xff || sv.ans.srb.srb_status == srb);
}

static void sv_malformed(void)
{
	static const uint8_t tur[6], read10[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	struct sv_pkt p;
	uint8_t d[64];
	uint32_t dlen;
	bool got;

	got = sv_srb(0, tur, 6, SV_DATA_NONE, 0, 0, 20);
	tap(sv_is(got, SV_ST_INVALID_PARAMETER, SRB_INVALID_REQUEST),
	    "storvsp malformed: EXECUTE_SRB of 20 bytes: INVALID_PARAMETER, SRB_STATUS_INVALID_REQUEST (%s)", sv_ans(got));
	got = sv_srb(0, read10, 17, SV_DATA_IN, 0, 512, 0);
	tap(sv_is(got, SV_ST_INVALID_PARAMETER, SRB_INVALID_REQUEST),
	    "storvsp malformed: a 17-byte CDB: SRB_STATUS_INVALID_REQUEST (%s)", sv_ans(got));
	got = sv_srb(0, read10, 0, SV_DATA_IN, 0, 512, 0);
	tap(sv_is(got, SV_ST_INVALID_PARAMETER, SRB_INVALID_REQUEST),
	    "storvsp malformed: a 0-byte CDB: SRB_STATUS_INVALID_REQUEST (%s)", sv_ans(got));
	got = sv_srb(0, read10, 10, 7, 0, 512, 0);
	tap(sv_is(got, SV_ST_INVALID_PARAMETER, SRB_INVALID_REQUEST),
	    "storvsp malformed: direction 7: SRB_STATUS_INVALID_REQUEST (%s)", sv_ans(got));
	got = sv_srb(0, read10, 10, SV_DATA_OUT, 0, 512, 0);
	tap(sv_is(got, SV_ST_INVALID_PARAMETER, SRB_INVALID_REQUEST),
	    "storvsp malformed: READ(10) with direction 'out': SRB_STATUS_INVALID_REQUEST (%s)", sv_ans(got));

	/* transfer length over the GPA range */
	memset(&p, 0, sizeof(p));
	p.op = SV_EXECUTE_SRB;
	p.srb.cdb_length = 10;
	p.srb.data_in = SV_DATA_IN;
	p.srb.xfer = 8192;
	memcpy(p.srb.cdb, read10, 10);
	dlen = sv_desc(d, 0, 4096, 0, 1);
	got = sv_xact(&p, sv.len, d, dlen, REPLY_WAIT);
	tap(sv_is(got, SV_ST_INVALID_PARAMETER, SRB_INVALID_REQUEST),
	    "storvsp malformed: 8192 bytes to transfer, the GPA range covers 4096: SRB_STATUS_INVALID_REQUEST (%s)", sv_ans(got));
	/* a page that is not guest RAM */
	p.srb.xfer = 512;
	dlen = sv_desc(d, 0, 512, BAD_PFN, 1);
	got = sv_xact(&p, sv.len, d, dlen, REPLY_WAIT);
	tap(sv_is(got, SV_ST_INVALID_PARAMETER, SRB_INVALID_REQUEST),
	    "storvsp malformed: READ(10) into a page outside guest RAM: SRB_STATUS_INVALID_REQUEST (%s)", sv_ans(got));
	/* a range count far over what the descriptor holds: the VMBus drops it */
	dlen = sv_desc(d, 0, 512, 0, 0x60000000u);
	got = sv_xact(&p, sv.len, d, dlen, 300 * MS);
	tap(!got, "storvsp malformed: GPA descriptor claiming 0x60000000 ranges: dropped, no answer (%s)", sv_ans(got));

	got = sv_op(42, 0);
	tap(sv_is(got, SV_ST_INVALID_REQUEST, 0xff),
	    "storvsp malformed: operation 42: INVALID_DEVICE_REQUEST (%s)", sv_ans(got));
	got = sv_op(SV_QUERY_VERSION, sv.newest);
	tap(sv_is(got, SV_ST_INVALID_STATE, 0xff),
	    "storvsp malformed: QUERY_PROTOCOL_VERSION once initialized: INVALID_DEVICE_STATE (%s)", sv_ans(got));
	got = sv_op(SV_CREATE_SUB_CHANNELS, sv.newest >= 0x501 ? 100 : 1);
	tap(sv_is(got, SV_ST_INVALID_PARAMETER, 0xff),
	    "storvsp malformed: CREATE_SUB_CHANNELS of %u at %u.%u: INVALID_PARAMETER (%s)",
	    sv.newest >= 0x501 ? 100 : 1, sv.newest >> 8, sv.newest & 0xff, sv_ans(got));
	/* shorter than the packet header: dropped */
	got = sv_xact(&p, 8, NULL, 0, 300 * MS);
	tap(!got, "storvsp malformed: a packet of 8 bytes: dropped, no answer (%s)", sv_ans(got));

	got = sv_srb(0, tur, 6, SV_DATA_NONE, 0, 0, 0);
	tap(sv_is(got, 0, SRB_SUCCESS),
	    "storvsp: after the malformed requests TEST UNIT READY at LUN 0 succeeds (%s)", sv_ans(got));
}

static void test_storvsp(void)
{
	static const uint16_t all[] = { 0x602, 0x600, 0x501, 0x402, 0x200 };
	static const uint8_t inquiry[6] = { 0x12, 0, 0, 0, 36, 0 };
	static const uint8_t cap10[10] = { 0x25 };
	static const uint8_t tur[6];
	uint8_t wr[10] = { 0x2a, 0, 0, 0, 0, 8, 0, 0, 8, 0 };
	uint8_t rd[10] = { 0x28, 0, 0, 0, 0, 8, 0, 0, 8, 0 };
	uint32_t refused = 0, mism = 0;
	char ident[29];
	bool got, ok;

	sv.newest = !strncmp(vb.host, "ws2008r2", 9) ? 0x402 :
		    !strncmp(vb.host, "ws2008", 7) ? 0x200 :
		    !strncmp(vb.host, "ws2012r2", 9) ? 0x600 :
		    !strncmp(vb.host, "ws2012", 7) ? 0x501 : 0x602;
	sv.len = 48;
	sv.trans = 0x5700;
	memset(echo, 0, sizeof(echo));
	if (!test_negotiate() || !test_offers())
		return;
	echo[0].relid = vb.relid;
	echo[0].conn_id = vb.conn_id;
	ok = ec_open(&echo[0]);
	tap(ok, "storvsp: channel (relid %u) opens", vb.relid);
	if (!ok)
		return;

	got = sv_srb(0, tur, 6, SV_DATA_NONE, 0, 0, 0);
	tap(sv_is(got, SV_ST_INVALID_STATE, 0xff),
	    "storvsp: EXECUTE_SRB before BEGIN_INITIALIZATION: INVALID_DEVICE_STATE (%s)", sv_ans(got));
	got = sv_op(SV_BEGIN_INIT, 0);
	tap(sv_is(got, 0, 0xff) && sv.ans_len >= 48,
	    "storvsp: BEGIN_INITIALIZATION: status 0 (%s)", sv_ans(got));
	for (uint32_t i = 0; i < ARRAY_SIZE(all) && all[i] > sv.newest; i++) {
		got = sv_op(SV_QUERY_VERSION, all[i]);
		refused++;
		if (sv_is(got, SV_ST_REVISION_MISMATCH, 0xff))
			mism++;
	}
	got = sv_op(SV_QUERY_VERSION, 0x300);
	refused++;
	if (sv_is(got, SV_ST_REVISION_MISMATCH, 0xff))
		mism++;
	tap(mism == refused,
	    "storvsp: %u versions newer than %u.%u or unknown (3.0): REVISION_MISMATCH for %u",
	    refused, sv.newest >> 8, sv.newest & 0xff, mism);
	got = sv_op(SV_QUERY_VERSION, sv.newest);
	ok = sv_is(got, 0, 0xff);
	tap(ok, "storvsp: QUERY_PROTOCOL_VERSION %u.%u (%s host): accepted (%s)",
	    sv.newest >> 8, sv.newest & 0xff, vb.host, sv_ans(got));
	if (!ok)
		return;
	if (sv.newest >= 0x501)
		sv.len = 64;
	got = sv_op(SV_QUERY_PROPERTIES, 0);
	tap(sv_is(got, 0, 0xff) && sv.ans.props.max_transfer == 2u << 20 &&
	    (sv.newest >= 0x501 ? sv.ans.props.flags == 1 &&
	     sv.ans.props.max_channels == 7 :
	     !sv.ans.props.flags && !sv.ans.props.max_channels),
	    "storvsp: QUERY_PROPERTIES: max transfer %u, flags 0x%x, %u sub-channels (%s)",
	    sv.ans.props.max_transfer, sv.ans.props.flags,
	    sv.ans.props.max_channels, sv_ans(got));
	got = sv_op(SV_END_INIT, 0);
	tap(sv_is(got, 0, 0xff), "storvsp: END_INITIALIZATION: status 0 (%s)",
	    sv_ans(got));

	memset(sv_data, 0, sizeof(sv_data));
	got = sv_srb(0, inquiry, 6, SV_DATA_IN, 0, 36, 0);
	memcpy(ident, sv_data[0] + 8, 28);
	ident[28] = 0;
	tap(sv_is(got, 0, SRB_SUCCESS) && sv.ans.srb.xfer == 36 &&
	    sv.ans_len == sv.len && !memcmp(ident, "Msft    Virtual Disk", 20),
	    "storvsp: INQUIRY at LUN 0: \"%s\", a %u-byte answer (%s)",
	    ident, sv.len, sv_ans(got));
	/* the disk's power-on unit attention, with its sense data */
	got = sv_srb(0, tur, 6, SV_DATA_NONE, 0, 0, 0);
	tap(sv_is(got, 0, 0x84) && sv.ans.srb.scsi_status == 2 &&
	    sv.ans.srb.sense_length >= 14 &&
	    sv.ans.srb.sense_length <= (sv.len == 64 ? 20 : 18) &&
	    (sv.ans.srb.cdb[2] & 0xf) == 6,
	    "storvsp: first TEST UNIT READY: CHECK CONDITION, SRB_STATUS_ERROR | AUTOSENSE_VALID, %u bytes of sense, key 0x%x (UNIT ATTENTION) (%s)",
	    sv.ans.srb.sense_length, sv.ans.srb.cdb[2] & 0xf, sv_ans(got));
	got = sv_srb(0, tur, 6, SV_DATA_NONE, 0, 0, 0);
	tap(sv_is(got, 0, SRB_SUCCESS) && sv.ans.srb.scsi_status == 0,
	    "storvsp: then TEST UNIT READY succeeds (%s)", sv_ans(got));
	got = sv_srb(0, cap10, 10, SV_DATA_IN, 100, 8, 0);
	tap(sv_is(got, 0, SRB_SUCCESS) && sv_data[0][102] == 0x07 &&
	    sv_data[0][103] == 0xff && sv_data[0][106] == 0x02,
	    "storvsp: READ CAPACITY(10) into the middle of a page: last LBA 2047, 512-byte blocks (%s)",
	    sv_ans(got));
	for (uint32_t i = 0; i < 4096; i++)
		sv_data[(2048 + i) / PAGE_SIZE][(2048 + i) % PAGE_SIZE] =
			(uint8_t)(i * 7 + 3);
	got = sv_srb(0, wr, 10, SV_DATA_OUT, 2048, 4096, 0);
	ok = sv_is(got, 0, SRB_SUCCESS) && sv.ans.srb.xfer == 4096;
	memset(sv_data, 0, sizeof(sv_data));
	got = sv_srb(0, rd, 10, SV_DATA_IN, 2048, 4096, 0);
	ok = ok && sv_is(got, 0, SRB_SUCCESS);
	for (uint32_t i = 0; ok && i < 4096; i++)
		ok = sv_data[(2048 + i) / PAGE_SIZE][(2048 + i) % PAGE_SIZE] ==
		     (uint8_t)(i * 7 + 3);
	tap(ok, "storvsp: WRITE(10) then READ(10) of 8 blocks over a range across two pages: the same bytes (%s)",
	    sv_ans(got));

	memset(sv_data, 0xee, 64);
	got = sv_srb(3, inquiry, 6, SV_DATA_IN, 0, 36, 0);
	tap(sv_is(got, 0, SRB_SUCCESS) && sv_data[0][0] == 0x7f,
	    "storvsp: INQUIRY at LUN 3 (no disk): peripheral 0x%02x (want 0x7f) (%s)",
	    sv_data[0][0], sv_ans(got));
	got = sv_srb(3, tur, 6, SV_DATA_NONE, 0, 0, 0);
	tap(sv_is(got, 0, SRB_INVALID_LUN),
	    "storvsp: TEST UNIT READY at LUN 3: SRB_STATUS_INVALID_LUN (%s)", sv_ans(got));

	sv_malformed();
}

/* ---- for scenarios in other files (vmbus.h) ------------------------ */

bool vb_chan_open(void)
{
	memset(echo, 0, sizeof(echo));
	if (!test_negotiate() || !test_offers())
		return false;
	echo[0].relid = vb.relid;
	echo[0].conn_id = vb.conn_id;
	return ec_open(&echo[0]);
}

bool vb_chan_send(uint16_t type, uint16_t flags, uint64_t trans_id,
		  const void *p, uint32_t n)
{
	if (!ec_write_raw(&echo[0], type, flags, trans_id, NULL, 0, 0, p, n,
			  0, 0, 0))
		return false;
	ec_signal(&echo[0]);
	return true;
}

int vb_host_do(const char *cmds)
{
	return host_do(cmds);
}

const char *vb_host(void)
{
	return vb.host;
}

uint32_t vb_chan_desc(void *buf, uint32_t size)
{
	uint32_t n = vb_desc_len < size ? vb_desc_len : size;

	memcpy(buf, vb_desc, n < sizeof(vb_desc) ? n : sizeof(vb_desc));
	return vb_desc_len;
}

uint32_t vb_gpadl(const void *buf, uint32_t pages)
{
	uint64_t pfns[64];
	uint32_t id = vb.next_gpadl++, status = ~0u;

	if (pages > ARRAY_SIZE(pfns))
		return 0;
	for (uint32_t i = 0; i < pages; i++)
		pfns[i] = PFN(buf) + i;
	if (gpadl_post(vb.relid, id, pfns, pages, NULL) != ST_SUCCESS ||
	    !gpadl_created(id, &status, NULL, REPLY_WAIT) || status)
		return 0;
	return id;
}

/* ---- the mode ------------------------------------------------------ */

int run_vmbus(const struct vmbus_cfg *c)
{
	bool ok;

	ok = vmbus_setup(c);
	if (ok && !strncmp(vb.test, "hotplug", 8)) {
		if (vb.runner && vb.heartbeat)
			test_hotplug();
		else
			tap_skip("needs run.sh (hvtest.runner=1) and hv-heartbeat",
				 "hot plug");
		goto out;
	}
	if (ok && !strncmp(vb.test, "storvsp", 8)) {
		test_storvsp();
		goto out;
	}
	if (ok && !strncmp(vb.test, "netvsp", 7)) {
		test_netvsp();
		goto out;
	}
	if (ok && !strncmp(vb.test, "input-", 6)) {
		test_input(vb.test);
		goto out;
	}
	if (ok && (!strncmp(vb.test, "subchannels", 12) ||
		   !strncmp(vb.test, "echo", 5))) {
		/* hv-vmbus-test: both need QMP */
		if (!vb.runner)
			tap_skip("needs run.sh (hvtest.runner=1)", "%s", vb.test);
		else if (vb.test[0] == 's')
			test_subchannels();
		else
			test_echo();
		goto out;
	}
	ok = ok && test_negotiate() && test_offers();
	if (ok && !strncmp(vb.test, "mnf", 4))
		ok = test_mnf_offer();
	ok = ok && test_gpadl() && test_open();
	if (!ok) {
		diag("the VMBus tests stop here: no connection, offer, GPADL or open channel");
	} else if (!strncmp(vb.test, "mnf", 4)) {
		test_mnf_pages();
		test_mnf_heartbeat();
		test_mnf_unload();
	} else if (!strncmp(vb.test, "modify", 7)) {
		if (vb.cpus >= 2 && vb.heartbeat) {
			test_modify();
			hostile_vp();
		} else
			tap_skip("needs 2 vCPUs and hv-heartbeat", "MODIFYCHANNEL");
	} else {
		if (vb.heartbeat)
			test_heartbeat();
		else
			test_balloon();
		hostile_messages();
		hostile_gpadls();
		hostile_opens();
		hostile_packets();
		hostile_fatal();
		hostile_gpadl_flood();
		test_unload();
	}
out:
	tap(!vb.stray, "every host message was one the guest waited for (%u others)",
	    vb.stray);
	printf("1..%d\n", tap_count);
	return tap_failed || !ok ? EXIT_FAIL : EXIT_PASS;
}
