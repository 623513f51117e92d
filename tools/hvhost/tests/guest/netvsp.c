// SPDX-License-Identifier: GPL-2.0
/*
 * hvhost micro-guest: the network adapter (hv-netvsp), hvtest.vmbustest=
 * netvsp.
 *
 * The guest opens the adapter's channel as its own VMBus client and speaks
 * NVSP and RNDIS itself: the init sequence (a version the host does not
 * know refused, NVSP 6.1 taken, NDIS config, receive and send buffers as
 * GPADLs), RNDIS INITIALIZE and a query of the MAC address through a
 * send-buffer section, answers read out of the receive buffer at the
 * transfer-page range the host names and given back with completions.
 * Then malformed input, each of which must get an error status (or, where
 * the message has no answer, nothing) and leave the adapter working: a
 * section index past the send buffer, a section length past a section, an
 * RNDIS length past what was sent, an information buffer outside its
 * message, an unknown OID, an RSS table naming a channel that does not
 * exist, a packet whose data lies outside it, bad per-packet information,
 * a frame over the MTU, completions of sections the guest does not hold,
 * a sub-channel request for none, short and unknown NVSP messages.  The
 * host's error counter (QOM "errors") must equal the number sent, and a
 * last query must still be answered.  Wire layouts written here
 * independently of hvhost's netvsp-proto.h.
 */
#include "hvdefs.h"
#include "lib.h"
#include "vmbus.h"
#include "vmbusdefs.h"

#define NV_MS		((uint64_t)10000)	/* 1 ms in 100 ns units */
#define NV_WAIT		(1000 * NV_MS)
#define NV_QUIET	(200 * NV_MS)

#define NETVSP_GUID	"f8615163-df3e-46c5-913f-f2d2f965ed0e"
#define NV_QOM		"/machine/peripheral/nv"
#define NV_MAC		"\x52\x54\x00\x4e\x56\x09"

/* NVSP message types and statuses */
#define N_INIT		1
#define N_INIT_DONE	2
#define N_NDIS_VER	100
#define N_RECV_BUF	101
#define N_RECV_BUF_DONE	102
#define N_SEND_BUF	104
#define N_SEND_BUF_DONE	105
#define N_RNDIS		107
#define N_RNDIS_DONE	108
#define N_NDIS_CONFIG	125
#define N_SUBCHANNEL	133
#define N_OK		1
#define N_BAD_RNDIS	5

/* RNDIS */
#define R_PACKET	1
#define R_INIT		2
#define R_QUERY		4
#define R_SET		5
#define R_DONE		0x80000000u
#define R_OK		0
#define R_NOT_SUPPORTED	0xc00000bbu
#define R_INVALID_DATA	0xc0010015u
#define OID_PERM_ADDR	0x01010101
#define OID_CONNECT	0x00010114
#define OID_FILTER	0x0001010e
#define OID_RSS_PARAMS	0x00010204

#define RX_PAGES	16
#define TX_PAGES	4
#define TX_SECTION	6144		/* what the host answers */

static uint8_t nv_rx[RX_PAGES][4096] __attribute__((aligned(4096)));
static uint8_t nv_tx[TX_PAGES][4096] __attribute__((aligned(4096)));

static struct {
	uint8_t ans[64];	/* the last NVSP completion */
	uint32_t ans_len;
	uint8_t rndis[1024];	/* the last RNDIS message from the host */
	uint32_t rndis_len;
	bool rndis_new;
	uint64_t trans;
	uint32_t errors;	/* malformed input sent: the host's count */
	uint32_t rx_id;		/* the transfer page set id the guest chose */
	uint32_t rx_size;
} nv;

void netvsp_device(const char *test, const char **name, const char **guid)
{
	if (!strncmp(test, "netvsp", 7)) {
		*name = "hv-netvsp";
		*guid = NETVSP_GUID;
	}
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/* An NVSP message of up to 9 words: type, then the words given */
static bool nv_send(uint32_t type, const uint32_t *w, uint32_t n,
		    uint32_t len, bool comp)
{
	uint8_t m[40] = { 0 };

	put32(m, type);
	for (uint32_t i = 0; i < n && i < 9; i++)
		put32(m + 4 + 4 * i, w[i]);
	return vb_chan_send(VMB_PKT_DATA_INBAND,
			    comp ? VMB_PKT_FLAG_COMPLETION : 0, ++nv.trans, m,
			    len);
}

/*
 * Read what the host sent within @timeout: RNDIS messages in transfer
 * pages are copied out and their sections given back; true when the
 * completion of transaction @trans came (in nv.ans), or (trans 0) an RNDIS
 * message.
 */
static bool nv_wait(uint64_t trans, uint64_t timeout)
{
	uint64_t end = ref_now() + timeout;
	struct vmb_pkt_hdr ph;
	uint8_t d[24], done[8];
	int r;

	while (ref_now() < end) {
		r = vb_chan_recv(&ph, nv.ans, sizeof(nv.ans), &nv.ans_len);
		if (r < 0) {
			diag("netvsp: the host->guest ring is malformed");
			return false;
		}
		if (!r) {
			idle_ns(100000);
			continue;
		}
		if (ph.type == VMB_PKT_COMP && trans && ph.trans_id == trans)
			return true;
		if (ph.type != VMB_PKT_DATA_XFER_PAGES) {
			diag("netvsp: packet type %u transaction 0x%llx ignored",
			     ph.type, (unsigned long long)ph.trans_id);
			continue;
		}
		/* {set id u16, owner u8, pad, count u32, {len, offset}...} */
		if (vb_chan_desc(d, sizeof(d)) < 16 ||
		    (uint32_t)(d[0] | d[1] << 8) != nv.rx_id ||
		    get32(d + 4) != 1 || get32(d + 8) > sizeof(nv.rndis) ||
		    get32(d + 12) > sizeof(nv_rx) - get32(d + 8)) {
			diag("netvsp: transfer-page packet with set %u, %u ranges, %u bytes at %u",
			     d[0] | d[1] << 8, get32(d + 4), get32(d + 8),
			     get32(d + 12));
			return false;
		}
		nv.rndis_len = get32(d + 8);
		memcpy(nv.rndis, &nv_rx[0][0] + get32(d + 12), nv.rndis_len);
		nv.rndis_new = true;
		put32(done, N_RNDIS_DONE);
		put32(done + 4, N_OK);
		vb_chan_send(VMB_PKT_COMP, 0, ph.trans_id, done, sizeof(done));
		if (!trans)
			return true;
	}
	return false;
}

/* Send @m (@len bytes) in send section @sec (size @slen): the status */
static uint32_t nv_rndis(const void *m, uint32_t len, uint32_t sec,
			 uint32_t slen)
{
	uint32_t w[3] = { 1, sec, slen };

	if (sec < TX_PAGES * 4096 / TX_SECTION && len <= TX_SECTION)
		memcpy(&nv_tx[0][0] + sec * TX_SECTION, m, len);
	nv.rndis_new = false;
	if (!nv_send(N_RNDIS, w, 3, 16, true) || !nv_wait(nv.trans, NV_WAIT) ||
	    get32(nv.ans) != N_RNDIS_DONE)
		return ~0u;
	return get32(nv.ans + 4);
}

/* An RNDIS answer of @type (already read, or within NV_WAIT) */
static bool nv_answer(uint32_t type)
{
	if (!nv.rndis_new && !nv_wait(0, NV_WAIT))
		return false;
	nv.rndis_new = false;
	return get32(nv.rndis) == type && get32(nv.rndis + 4) <= nv.rndis_len;
}

/* QUERY or SET of @oid with @info (@ilen bytes at offset @ioff) */
static uint32_t nv_oid(uint32_t type, uint32_t oid, const void *info,
		       uint32_t ilen, uint32_t ioff, uint32_t *status)
{
	uint8_t m[1024] = { 0 };
	uint32_t len = 8 + 20 + ilen;

	put32(m, type);
	put32(m + 4, len);
	put32(m + 8, 0x77);
	put32(m + 12, oid);
	put32(m + 16, ilen);
	put32(m + 20, ioff);
	if (ilen && ilen <= sizeof(m) - 28)
		memcpy(m + 28, info, ilen);
	*status = ~0u;
	if (nv_rndis(m, len, 0, len) != N_OK || !nv_answer(type | R_DONE))
		return 0;
	*status = get32(nv.rndis + 12);
	return type == R_QUERY ? get32(nv.rndis + 16) : 0;
}

/* Malformed input that must be counted; @what for the test line */
static void bad(bool ok, const char *what, uint32_t got)
{
	nv.errors++;
	tap(ok, "netvsp malformed: %s (got 0x%x)", what, got);
}

/* A data packet: RNDIS header, @ppi (@plen bytes), a frame of @flen */
static uint32_t nv_packet(uint32_t doff, uint32_t flen, const uint8_t *ppi,
			  uint32_t plen, uint32_t mlen)
{
	uint8_t m[TX_SECTION] = { 0 };

	put32(m, R_PACKET);
	put32(m + 4, mlen);
	put32(m + 8, doff);
	put32(m + 12, flen);
	if (plen) {
		put32(m + 8 + 20, 36);
		put32(m + 8 + 24, plen);
		memcpy(m + 8 + 36, ppi, plen);
	}
	/* a broadcast frame from our address */
	if (8 + doff + 14 <= sizeof(m)) {
		memset(m + 8 + doff, 0xff, 6);
		memcpy(m + 8 + doff + 6, NV_MAC, 6);
		m[8 + doff + 12] = 0x08;
		m[8 + doff + 13] = 0x06;
	}
	return nv_rndis(m, mlen > TX_SECTION ? TX_SECTION : mlen, 1,
			mlen > TX_SECTION ? TX_SECTION : mlen);
}

static void nv_malformed(void)
{
	uint8_t rss[40 + 128 * 4 + 40] = { 0 }, ppi[16] = { 0 }, m[16] = { 0 };
	uint32_t w[3], st, n;
	char cmd[96];
	bool q;

	/* a section index past the send buffer (TX_PAGES pages: 2 sections) */
	w[0] = 1;
	w[1] = 2;
	w[2] = 32;
	q = nv_send(N_RNDIS, w, 3, 16, true) && nv_wait(nv.trans, NV_WAIT);
	bad(q && get32(nv.ans + 4) == N_BAD_RNDIS,
	    "send section 2 of 2: INVALID_RNDIS_PACKET", get32(nv.ans + 4));
	w[1] = 0xfffffffe;
	q = nv_send(N_RNDIS, w, 3, 16, true) && nv_wait(nv.trans, NV_WAIT);
	bad(q && get32(nv.ans + 4) == N_BAD_RNDIS,
	    "send section 0xfffffffe: INVALID_RNDIS_PACKET", get32(nv.ans + 4));
	/* a section length past the section */
	w[1] = 0;
	w[2] = TX_SECTION + 1;
	q = nv_send(N_RNDIS, w, 3, 16, true) && nv_wait(nv.trans, NV_WAIT);
	bad(q && get32(nv.ans + 4) == N_BAD_RNDIS,
	    "6145 bytes in a 6144-byte section: INVALID_RNDIS_PACKET",
	    get32(nv.ans + 4));
	/* an RNDIS message longer than what was sent */
	put32(m, R_QUERY);
	put32(m + 4, 4000);
	st = nv_rndis(m, 16, 0, 16);
	bad(st == N_BAD_RNDIS, "RNDIS length 4000 in 16 bytes sent: INVALID_RNDIS_PACKET", st);
	put32(m + 4, 4);
	st = nv_rndis(m, 16, 0, 16);
	bad(st == N_BAD_RNDIS, "RNDIS length 4: INVALID_RNDIS_PACKET", st);
	/* a query whose information buffer lies outside the message */
	nv_oid(R_QUERY, OID_PERM_ADDR, ppi, 16, 0x7ffffff0, &st);
	bad(st == R_INVALID_DATA, "QUERY with information at 0x7ffffff0: INVALID_DATA", st);
	/* an unknown OID, both ways */
	nv_oid(R_QUERY, 0x0badc0de, NULL, 0, 20, &st);
	bad(st == R_NOT_SUPPORTED, "QUERY of OID 0x0badc0de: NOT_SUPPORTED", st);
	nv_oid(R_SET, 0x0badc0de, ppi, 4, 20, &st);
	bad(st == R_NOT_SUPPORTED, "SET of OID 0x0badc0de: NOT_SUPPORTED", st);
	/* RSS: an indirection table naming channel 9 of 1 */
	rss[0] = 0x89;
	rss[1] = 2;
	rss[2] = 40;
	put32(rss + 8, 0x301);			/* Toeplitz, IPv4, TCP/IPv4 */
	rss[12] = (128 * 4) & 0xff;
	rss[13] = (128 * 4) >> 8;
	put32(rss + 16, 40);			/* table offset */
	rss[20] = 40;				/* key size */
	put32(rss + 24, 40 + 128 * 4);		/* key offset */
	put32(rss + 40 + 4 * 5, 9);
	nv_oid(R_SET, OID_RSS_PARAMS, rss, sizeof(rss), 20, &st);
	bad(st == R_INVALID_DATA, "RSS table entry naming channel 9: INVALID_DATA", st);
	/* the table's offset past the information buffer */
	put32(rss + 40 + 4 * 5, 0);
	put32(rss + 16, 0x10000);
	nv_oid(R_SET, OID_RSS_PARAMS, rss, sizeof(rss), 20, &st);
	bad(st == R_INVALID_DATA, "RSS table at offset 0x10000: INVALID_DATA", st);
	/* data packets: data outside the message, bad PPI, over the MTU */
	st = nv_packet(5000, 60, NULL, 0, 8 + 36 + 60);
	bad(st == N_BAD_RNDIS, "packet data at offset 5000 of 104 bytes: INVALID_RNDIS_PACKET", st);
	put32(ppi, 0);				/* size 0 */
	put32(ppi + 4, 0);
	put32(ppi + 8, 12);
	st = nv_packet(36 + 16, 60, ppi, 16, 8 + 36 + 16 + 60);
	bad(st == N_BAD_RNDIS, "per-packet information of size 0: INVALID_RNDIS_PACKET", st);
	put32(ppi, 16);
	put32(ppi + 8, 400);			/* offset past its size */
	st = nv_packet(36 + 16, 60, ppi, 16, 8 + 36 + 16 + 60);
	bad(st == N_BAD_RNDIS, "per-packet information offset 400 of 16: INVALID_RNDIS_PACKET", st);
	st = nv_packet(36, 3000, NULL, 0, 8 + 36 + 3000);
	bad(st == N_BAD_RNDIS, "a 3000-byte frame at MTU 1500: INVALID_RNDIS_PACKET", st);
	/* completions of sections the guest does not hold */
	put32(m, N_RNDIS_DONE);
	put32(m + 4, N_OK);
	vb_chan_send(VMB_PKT_COMP, 0, 0xfffffff0, m, 8);
	bad(!nv_wait(0x1234, NV_QUIET), "completion of receive section 0xfffffff0: dropped, no answer", 0);
	/* a sub-channel request for none */
	w[0] = 1;
	w[1] = 0;
	q = nv_send(N_SUBCHANNEL, w, 2, 12, true) && nv_wait(nv.trans, NV_WAIT);
	bad(q && get32(nv.ans + 4) != N_OK, "SUBCHANNEL for 0: failure status", get32(nv.ans + 4));
	/* NVSP messages: too short for their type, unknown */
	q = nv_send(N_INIT, NULL, 0, 4, true) && nv_wait(nv.trans, NV_WAIT);
	bad(q && get32(nv.ans + 12) != N_OK, "INIT of 4 bytes: failure status", get32(nv.ans + 12));
	q = nv_send(999, NULL, 0, 8, true) && nv_wait(nv.trans, NV_QUIET);
	bad(!q, "NVSP message type 999: dropped, no answer", 0);
	q = nv_send(0, NULL, 0, 2, true) && nv_wait(nv.trans, NV_QUIET);
	bad(!q, "NVSP message of 2 bytes (type 0 once padded): dropped, no answer", 0);

	/* the adapter still answers, and counted each */
	n = nv_oid(R_QUERY, OID_CONNECT, NULL, 0, 20, &st);
	tap(st == R_OK && n == 4,
	    "netvsp: after the malformed input the link state query is answered (status 0x%x, %u bytes)",
	    st, n);
	snprintf(cmd, sizeof(cmd), "qom-expect " NV_QOM " errors = %u", nv.errors);
	tap(vb_host_do(cmd) == 1, "netvsp: the host counted %u guest errors", nv.errors);
}

void test_netvsp(void)
{
	uint32_t w[4], st, n;
	uint8_t m[64] = { 0 };
	bool q;

	nv.trans = 0x4e00;
	nv.rx_id = 0xcafe;
	q = vb_chan_open();
	tap(q, "netvsp: channel opens (host %s)", vb_host());
	if (!q)
		return;

	w[0] = 0x70000;
	w[1] = 0x70000;
	q = nv_send(N_INIT, w, 2, 12, true) && nv_wait(nv.trans, NV_WAIT);
	tap(q && get32(nv.ans) == N_INIT_DONE && get32(nv.ans + 12) != N_OK,
	    "netvsp: INIT for NVSP 7.0 (unknown): refused (status %u)",
	    get32(nv.ans + 12));
	w[0] = 0x60001;
	w[1] = 0x60001;
	q = nv_send(N_INIT, w, 2, 12, true) && nv_wait(nv.trans, NV_WAIT);
	tap(q && get32(nv.ans + 12) == N_OK && get32(nv.ans + 4) == 0x60001,
	    "netvsp: INIT for NVSP 6.1: accepted (version 0x%x status %u)",
	    get32(nv.ans + 4), get32(nv.ans + 12));
	if (!q)
		return;
	w[0] = 6;
	w[1] = 30;
	nv_send(N_NDIS_VER, w, 2, 12, false);
	w[0] = 1514;
	w[1] = 0;
	nv_send(N_NDIS_CONFIG, w, 2, 20, false);

	w[0] = 0x7777;				/* no such GPADL */
	w[1] = nv.rx_id;
	q = nv_send(N_RECV_BUF, w, 2, 10, true) && nv_wait(nv.trans, NV_WAIT);
	nv.errors++;
	tap(q && get32(nv.ans) == N_RECV_BUF_DONE && get32(nv.ans + 4) != N_OK,
	    "netvsp malformed: SEND_RECV_BUF of GPADL 0x7777 (none): failure status %u",
	    get32(nv.ans + 4));
	w[0] = vb_gpadl(nv_rx, RX_PAGES);
	q = w[0] && nv_send(N_RECV_BUF, w, 2, 10, true) &&
	    nv_wait(nv.trans, NV_WAIT);
	nv.rx_size = get32(nv.ans + 16);
	n = get32(nv.ans + 20);
	tap(q && get32(nv.ans + 4) == N_OK && get32(nv.ans + 8) == 1 &&
	    get32(nv.ans + 12) == 0 && nv.rx_size >= 1514 && n >= 2 &&
	    (uint64_t)n * nv.rx_size <= sizeof(nv_rx),
	    "netvsp: receive buffer GPADL 0x%x: status %u, %u section(s) of %u sub-allocations of %u bytes",
	    w[0], get32(nv.ans + 4), get32(nv.ans + 8), n, nv.rx_size);
	w[0] = vb_gpadl(nv_tx, TX_PAGES);
	w[1] = 0;
	q = w[0] && nv_send(N_SEND_BUF, w, 2, 10, true) &&
	    nv_wait(nv.trans, NV_WAIT);
	tap(q && get32(nv.ans + 4) == N_OK && get32(nv.ans + 8) == TX_SECTION,
	    "netvsp: send buffer GPADL 0x%x: status %u, sections of %u bytes",
	    w[0], get32(nv.ans + 4), get32(nv.ans + 8));
	if (!q)
		return;

	/* RNDIS INITIALIZE through send section 0 */
	put32(m, R_INIT);
	put32(m + 4, 24);
	put32(m + 8, 0x42);
	put32(m + 12, 1);
	put32(m + 16, 0);
	put32(m + 20, 0x4000);
	st = nv_rndis(m, 24, 0, 24);
	q = st == N_OK && nv_answer(R_INIT | R_DONE);
	tap(q && get32(nv.rndis + 8) == 0x42 && get32(nv.rndis + 12) == R_OK &&
	    get32(nv.rndis + 16) == 1,
	    "netvsp: RNDIS INITIALIZE: completed (NVSP status %u), answered request 0x%x status 0x%x version %u.%u",
	    st, get32(nv.rndis + 8), get32(nv.rndis + 12), get32(nv.rndis + 16),
	    get32(nv.rndis + 20));
	if (!q)
		return;
	n = nv_oid(R_QUERY, OID_PERM_ADDR, NULL, 0, 20, &st);
	tap(st == R_OK && n == 6 && !memcmp(nv.rndis + 8 + get32(nv.rndis + 20),
					   NV_MAC, 6),
	    "netvsp: QUERY of the permanent address: the device's MAC (status 0x%x, %u bytes)",
	    st, n);
	put32(m, 0x09);				/* directed, broadcast */
	nv_oid(R_SET, OID_FILTER, m, 4, 20, &st);
	tap(st == R_OK, "netvsp: SET of the packet filter: status 0x%x", st);

	nv_malformed();
}
