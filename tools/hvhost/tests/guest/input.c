// SPDX-License-Identifier: GPL-2.0
/*
 * hvhost micro-guest: the synthetic keyboard and mouse (hv-keyboard,
 * hv-mouse), hvtest.vmbustest=input-kbd and input-mouse.
 *
 * The guest opens the device's channel as its own VMBus client and speaks
 * the protocol itself: malformed and out-of-order messages first (each
 * must be dropped, with no answer and no harm), a version the host does
 * not speak (refused, and asked again), the right one (accepted; the
 * mouse's device info read field by field), then input injected by run.sh
 * with QMP input-send-event, read off the ring as keystrokes (scan code,
 * break, E0 and E1 flags) and HID input reports (buttons, X, Y, wheel).
 * The host's error counter (QOM "errors") must equal the number of
 * malformed messages sent.  Packets are 8-byte multiples: a keyboard
 * message shorter than its type cannot be told from a padded one, so the
 * length tests are the mouse's, whose headers carry sizes.  The wire layouts are written here
 * independently of hvhost's input-proto.h.
 */
#include "hvdefs.h"
#include "lib.h"
#include "vmbus.h"
#include "vmbusdefs.h"

#define IN_MS		((uint64_t)10000)	/* 1 ms in 100 ns units */
#define IN_REPLY_WAIT	(1000 * IN_MS)
#define IN_QUIET_WAIT	(200 * IN_MS)

#define KBD_GUID	"f912ad6d-2b17-48ea-bd65-f927a61c7684"
#define MOUSE_GUID	"cfa8b69e-5b4a-4cc0-b98b-8ba1a1f3f95a"

/* keyboard messages: a 32-bit type first */
#define K_REQUEST	1
#define K_RESPONSE	2
#define K_EVENT		3
#define K_LEDS		4
#define K_ACCEPTED	1u
#define K_BREAK		2u
#define K_E0		4u
#define K_E1		8u

/* mouse: pipe header {1, size}, then HID header {type, size} */
#define M_PIPE_DATA	1
#define M_REQUEST	0
#define M_RESPONSE	1
#define M_INFO		2
#define M_ACK		3
#define M_REPORT	4

static struct {
	uint8_t buf[512];
	uint32_t len;
	uint16_t type;
	uint32_t errors;	/* malformed messages sent: the host's count */
	uint64_t trans;
	bool mouse;
	const char *id;		/* QOM path of the device */
} in;

void input_device(const char *test, const char **name, const char **guid)
{
	if (!strncmp(test, "input-kbd", 10)) {
		*name = "hv-keyboard";
		*guid = KBD_GUID;
	} else if (!strncmp(test, "input-mouse", 12)) {
		*name = "hv-mouse";
		*guid = MOUSE_GUID;
	}
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t get16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

/* The next packet from the host within @timeout: true (in in.buf) */
static bool in_recv(uint64_t timeout)
{
	uint64_t end = ref_now() + timeout;
	struct vmb_pkt_hdr ph;
	int r;

	while (ref_now() < end) {
		r = vb_chan_recv(&ph, in.buf, sizeof(in.buf), &in.len);
		if (r < 0) {
			diag("input: the host->guest ring is malformed");
			return false;
		}
		if (r) {
			in.type = ph.type;
			return true;
		}
		idle_ns(100000);
	}
	return false;
}

/* Nothing from the host for a while (after a message it must drop) */
static bool in_quiet(void)
{
	if (!in_recv(IN_QUIET_WAIT))
		return true;
	diag("input: unexpected packet type %u of %u bytes", in.type, in.len);
	return false;
}

/* Send @n bytes inband, asking for a completion as Linux does */
static bool in_send(const void *p, uint32_t n)
{
	return vb_chan_send(VMB_PKT_DATA_INBAND, VMB_PKT_FLAG_COMPLETION,
			    ++in.trans, p, n);
}

/* A malformed message: sent, dropped by the host, counted */
static void in_bad(const void *p, uint32_t n, uint16_t type, const char *what)
{
	bool ok = vb_chan_send(type, 0, ++in.trans, p, n);

	in.errors++;
	tap(ok && in_quiet(), "%s malformed: %s: dropped, no answer",
	    in.mouse ? "mouse" : "keyboard", what);
}

/* The host's error count is the number of malformed messages sent */
static void in_errors(void)
{
	char cmd[96];
	int r;

	snprintf(cmd, sizeof(cmd), "qom-expect %s errors = %u", in.id,
		 in.errors);
	r = vb_host_do(cmd);
	tap(r == 1, "%s: the host counted %u guest errors (run.sh: %s)",
	    in.mouse ? "mouse" : "keyboard", in.errors,
	    r == 1 ? "yes" : r == 0 ? "NO" : "no answer");
}

/* ---- keyboard ------------------------------------------------------ */

static bool kbd_version(uint32_t ver, uint32_t *status)
{
	uint8_t m[8];

	put32(m, K_REQUEST);
	put32(m + 4, ver);
	if (!in_send(m, sizeof(m)) || !in_recv(IN_REPLY_WAIT))
		return false;
	if (in.type != VMB_PKT_DATA_INBAND || in.len < 8 ||
	    get32(in.buf) != K_RESPONSE) {
		diag("keyboard: answer of type %u, %u bytes, message %u",
		     in.type, in.len, get32(in.buf));
		return false;
	}
	*status = get32(in.buf + 4);
	return true;
}

/* Read @n keystrokes into @code/@flags */
static unsigned kbd_keys(unsigned n, uint16_t *code, uint32_t *flags)
{
	unsigned i;

	for (i = 0; i < n && in_recv(IN_REPLY_WAIT); i++) {
		if (in.len < 12 || get32(in.buf) != K_EVENT) {
			diag("keyboard: %u bytes, message %u: not a keystroke",
			     in.len, get32(in.buf));
			break;
		}
		code[i] = get16(in.buf + 4);
		flags[i] = get32(in.buf + 8);
	}
	return i;
}

static void kbd_key(const char *qcode, unsigned n, const uint16_t *want_code,
		    const uint32_t *want_flags, const char *what)
{
	uint16_t code[4] = { 0 };
	uint32_t flags[4] = { 0 };
	char cmd[32];
	bool ok;
	int r;
	unsigned got;

	snprintf(cmd, sizeof(cmd), "key %s", qcode);
	r = vb_host_do(cmd);
	got = r == 1 ? kbd_keys(n, code, flags) : 0;
	ok = got == n;
	for (unsigned i = 0; ok && i < n; i++)
		ok = code[i] == want_code[i] && flags[i] == want_flags[i];
	tap(ok, "keyboard: %s: %s (got %u: 0x%02x/0x%x 0x%02x/0x%x ...)", qcode,
	    what, got, code[0], flags[0], code[1], flags[1]);
}

static void test_kbd(void)
{
	static const uint16_t a[] = { 0x1e, 0x1e };
	static const uint32_t a_f[] = { 0, K_BREAK };
	static const uint16_t rc[] = { 0x1d, 0x1d };
	static const uint32_t rc_f[] = { K_E0, K_E0 | K_BREAK };
	static const uint16_t up[] = { 0x48, 0x48 };
	static const uint32_t up_f[] = { K_E0, K_E0 | K_BREAK };
	static const uint16_t pause[] = { 0x1d, 0x45, 0x1d, 0x45 };
	static const uint32_t pause_f[] = { K_E1, 0, K_E1 | K_BREAK, K_BREAK };
	uint8_t m[16];
	uint32_t st = 0;
	bool ok;

	/* before a version: LEDs, a type the host sends, nothing at all */
	put32(m, K_LEDS);
	put32(m + 4, 0x7);
	in_bad(m, 8, VMB_PKT_DATA_INBAND, "LED state before a version was agreed");
	in_bad(m, 0, VMB_PKT_DATA_INBAND, "an empty packet (no type)");
	put32(m, K_RESPONSE);
	put32(m + 4, K_ACCEPTED);
	in_bad(m, 8, VMB_PKT_DATA_INBAND, "a protocol response (the host's message)");
	put32(m, 77);
	in_bad(m, 16, VMB_PKT_DATA_INBAND, "message type 77");
	put32(m, K_REQUEST);
	put32(m + 4, 0x10000);
	in_bad(m, 8, VMB_PKT_COMP, "a protocol request in a completion packet");

	ok = kbd_version(0x20000, &st);
	tap(ok && !(st & K_ACCEPTED),
	    "keyboard: version 2.0 refused (status 0x%x)", st);
	ok = kbd_version(0x10000, &st);
	tap(ok && (st & K_ACCEPTED),
	    "keyboard: then version 1.0 accepted (status 0x%x)", st);

	/* LED state: taken, no answer */
	put32(m, K_LEDS);
	put32(m + 4, 0x2);
	tap(in_send(m, 8) && in_quiet(), "keyboard: LED state (caps lock): no answer");

	kbd_key("a", 2, a, a_f, "make 0x1e, then break");
	kbd_key("ctrl_r", 2, rc, rc_f, "make 0x1d with E0, then break");
	kbd_key("up", 2, up, up_f, "make 0x48 with E0, then break");
	kbd_key("pause", 4, pause, pause_f, "E1 0x1d, 0x45, then both with break");
	in_errors();
}

/* ---- mouse --------------------------------------------------------- */

/* A HID message in a pipe packet: @hid_size into the HID header */
static uint32_t mouse_msg(uint8_t *m, uint32_t type, uint32_t hid_size,
			  const void *body, uint32_t n)
{
	put32(m, M_PIPE_DATA);
	put32(m + 4, 8 + n);
	put32(m + 8, type);
	put32(m + 12, hid_size);
	memcpy(m + 16, body, n);
	return 16 + n;
}

/* The next HID message of @type: its body at in.buf + 16 */
static bool mouse_recv(uint32_t type)
{
	if (!in_recv(IN_REPLY_WAIT))
		return false;
	if (in.type != VMB_PKT_DATA_INBAND || in.len < 16 ||
	    get32(in.buf) != M_PIPE_DATA || get32(in.buf + 8) != type ||
	    get32(in.buf + 4) < 8 + get32(in.buf + 12) ||
	    in.len < 8 + get32(in.buf + 4)) {
		diag("mouse: packet type %u, %u bytes, pipe %u/%u, HID %u/%u (want HID type %u)",
		     in.type, in.len, get32(in.buf), get32(in.buf + 4),
		     get32(in.buf + 8), get32(in.buf + 12), type);
		return false;
	}
	return true;
}

/* Protocol request for @ver: true with *approved if answered */
static bool mouse_version(uint32_t ver, uint8_t *approved)
{
	uint8_t m[32], v[4];

	put32(v, ver);
	if (!in_send(m, mouse_msg(m, M_REQUEST, 4, v, 4)) ||
	    !mouse_recv(M_RESPONSE) || get32(in.buf + 12) < 5)
		return false;
	*approved = in.buf[20];
	return get32(in.buf + 16) == ver;
}

/* Have run.sh do @cmd, then read the report: buttons, x, y, wheel */
static void mouse_input(const char *cmd, uint8_t b, uint16_t x, uint16_t y,
			int8_t w, const char *what)
{
	const uint8_t *r = in.buf + 16;
	int h = vb_host_do(cmd);
	bool ok = h == 1 && mouse_recv(M_REPORT) && get32(in.buf + 12) == 6;

	tap(ok && r[0] == b && get16(r + 1) == x && get16(r + 3) == y &&
	    (int8_t)r[5] == w,
	    "mouse: %s: report buttons 0x%x x %u y %u wheel %d (got %u bytes: 0x%x %u %u %d)",
	    what, b, x, y, w, ok ? get32(in.buf + 12) : 0, r[0], get16(r + 1),
	    get16(r + 3), (int8_t)r[5]);
}

static void test_mouse(void)
{
	uint8_t m[64], z[8] = { 0 };
	const uint8_t *d;
	uint8_t ap = 0xff;
	uint32_t n, size, rlen;
	bool ok;

	n = mouse_msg(m, M_REQUEST, 4, z, 4);
	in_bad(m, 8, VMB_PKT_DATA_INBAND, "an 8-byte packet (the headers are 16)");
	put32(m, 2);
	in_bad(m, n, VMB_PKT_DATA_INBAND, "pipe message type 2");
	put32(m, M_PIPE_DATA);
	put32(m + 4, 200);
	in_bad(m, n, VMB_PKT_DATA_INBAND, "pipe size 200 in a 24-byte packet");
	put32(m + 4, 12);
	put32(m + 12, 64);
	in_bad(m, n, VMB_PKT_DATA_INBAND, "HID size 64 in a 12-byte pipe message");
	n = mouse_msg(m, M_REQUEST, 2, z, 2);
	in_bad(m, n, VMB_PKT_DATA_INBAND, "a protocol request of 2 bytes");
	n = mouse_msg(m, M_ACK, 1, z, 1);
	in_bad(m, n, VMB_PKT_DATA_INBAND, "a device info ack before any device info");
	n = mouse_msg(m, M_REPORT, 6, z, 6);
	in_bad(m, n, VMB_PKT_DATA_INBAND, "an input report (the host's message)");
	n = mouse_msg(m, 9, 0, z, 0);
	in_bad(m, n, VMB_PKT_DATA_INBAND, "HID message type 9");

	ok = mouse_version(0x10000, &ap);
	tap(ok && ap == 0, "mouse: version 1.0 refused, the version echoed (approved %u)", ap);
	ok = mouse_version(0x20000, &ap);
	tap(ok && ap == 1, "mouse: then version 2.0 approved (approved %u)", ap);

	/* the device info: attributes, HID descriptor, report descriptor */
	ok = mouse_recv(M_INFO);
	size = ok ? get32(in.buf + 12) : 0;
	d = in.buf + 16;
	rlen = get16(d + 32 + 7);
	tap(ok && size >= 32 + 9 && get32(d) == 32 &&
	    get16(d + 4) == 0x045e && get16(d + 6) == 0x0621,
	    "mouse: device info: attributes of 32 bytes, vendor 0x%04x product 0x%04x",
	    get16(d + 4), get16(d + 6));
	tap(ok && d[32] == 9 && d[33] == 0x21 && d[37] == 1 && d[38] == 0x22 &&
	    size == 32 + 9 + rlen,
	    "mouse: HID descriptor of 9 bytes (type 0x%02x), one report descriptor of %u bytes filling the message (%u)",
	    d[33], rlen, size);
	d += 32 + 9;
	tap(ok && rlen > 15 && d[0] == 0x05 && d[1] == 0x01 && d[2] == 0x09 &&
	    d[3] == 0x02 && d[14] != 0x25,
	    "mouse: the report descriptor is a generic-desktop mouse; byte 14 is not 0x25 (0x%02x: Linux would patch it)",
	    rlen > 15 ? d[14] : 0);

	/* no input before the ack (the guest cannot take reports yet) */
	tap(vb_host_do("abs 100 200") == 1 && in_quiet(),
	    "mouse: before the ack, an absolute move injected gives no report");
	n = mouse_msg(m, M_REQUEST, 4, z, 4);
	put32(m + 16, 0x20000);
	in_bad(m, n, VMB_PKT_DATA_INBAND, "a second protocol request while the ack is awaited");
	n = mouse_msg(m, M_ACK, 1, z, 1);
	tap(in_send(m, n) && in_quiet(), "mouse: device info ack: no answer");

	mouse_input("abs 16384 8192", 0, 16384, 8192, 0, "move to (16384, 8192)");
	mouse_input("btn left down", 1, 16384, 8192, 0, "left button down");
	mouse_input("btn left up", 0, 16384, 8192, 0, "left button up");
	mouse_input("abs 32767 0", 0, 32767, 0, 0, "move to (32767, 0)");
	mouse_input("btn extra down", 0x10, 32767, 0, 0, "extra (5th) button down");
	mouse_input("btn wheel-up down", 0x10, 32767, 0, 1, "wheel up one notch");
	n = mouse_msg(m, M_ACK, 1, z, 1);
	in_bad(m, n, VMB_PKT_DATA_INBAND, "a second device info ack");
	in_errors();
}

void test_input(const char *test)
{
	bool ok;

	in.mouse = !strncmp(test, "input-mouse", 12);
	in.id = in.mouse ? "/machine/peripheral/mouse" : "/machine/peripheral/kbd";
	in.trans = 0x1200;
	ok = vb_chan_open();
	tap(ok, "%s: channel opens (host %s)", in.mouse ? "mouse" : "keyboard",
	    vb_host());
	if (!ok)
		return;
	if (in.mouse)
		test_mouse();
	else
		test_kbd();
}
