// SPDX-License-Identifier: GPL-2.0
/*
 * Hypercalls: every status code path of HvPostMessage, HvSignalEvent and
 * HvNotifyLongSpinWait, and of the input value decode.
 */
#include "fake_host.h"

#define CONN_MSG	4
#define CONN_EVENT	0x10002

static struct {
	unsigned int calls;
	uint32_t vp, type, len;
	uint8_t payload[256];
	uint16_t status;
} msg_rx;

static struct {
	unsigned int calls;
	uint32_t vp;
	uint16_t flag;
	uint16_t status;
} ev_rx;

static uint16_t on_msg(void *opaque, uint32_t vp, uint32_t type,
		       const void *payload, uint32_t len)
{
	(void)opaque;
	msg_rx.calls++;
	msg_rx.vp = vp;
	msg_rx.type = type;
	msg_rx.len = len;
	memcpy(msg_rx.payload, payload, len);
	return msg_rx.status;
}

static uint16_t on_event(void *opaque, uint32_t vp, uint16_t flag)
{
	(void)opaque;
	ev_rx.calls++;
	ev_rx.vp = vp;
	ev_rx.flag = flag;
	return ev_rx.status;
}

/* Build an HvPostMessage input at @gpa */
static void put_msg(uint64_t gpa, uint32_t conn, uint32_t type, uint32_t size,
		    uint8_t fill)
{
	struct hv_input_post_message *in = (void *)(fh.ram + gpa);
	uint32_t n = size > 240 ? 240 : size;

	memset(in, 0, offsetof(struct hv_input_post_message, payload));
	in->connection_id = conn;
	in->message_type = type;
	in->payload_size = size;
	memset(in->payload, fill, n);
}

static uint64_t post(struct hv *hv, uint32_t vp, uint64_t gpa)
{
	return hv_hypercall(hv, vp, HVCALL_POST_MESSAGE, gpa, 0);
}

static uint64_t signal_fast(struct hv *hv, uint32_t vp, uint64_t param)
{
	return hv_hypercall(hv, vp, HVCALL_SIGNAL_EVENT | HV_HYPERCALL_FAST_BIT,
			    param, 0);
}

int main(void)
{
	struct hv *hv;
	uint64_t st;
	unsigned int n;
	bool ok;

	fake_reset(5000);
	hv = fake_hv("ws2025", 2);

	CHECK(hv_register_msg_conn(hv, CONN_MSG, on_msg, NULL) == 0 &&
	      hv_register_event_conn(hv, CONN_EVENT, on_event, NULL) == 0,
	      "connections registered");
	CHECK(hv_register_msg_conn(hv, CONN_MSG, on_msg, NULL) == -1 &&
	      hv_register_event_conn(hv, CONN_EVENT, on_event, NULL) == -1,
	      "duplicate connection id refused");
	CHECK(hv_register_msg_conn(hv, 0x1000000, on_msg, NULL) == -1 &&
	      hv_register_event_conn(hv, 0x1000000, on_event, NULL) == -1 &&
	      hv_register_msg_conn(hv, 5, NULL, NULL) == -1,
	      "connection id above 24 bits / no handler refused");

	put_msg(GPA_INPUT, CONN_MSG, 1, 8, 0xab);
	CHECK(post(hv, 0, GPA_INPUT) == HV_STATUS_ACCESS_DENIED && !msg_rx.calls,
	      "hypercall before the hypercall page is enabled: ACCESS_DENIED");

	guest_setup(hv, 2, 2, 0x40);

	/* input value decode */
	ok = true;
	ok &= hv_hypercall(hv, 0, 0x0001, 0, 0) == HV_STATUS_INVALID_HYPERCALL_CODE;
	ok &= hv_hypercall(hv, 0, 0x0099, 0, 0) == HV_STATUS_INVALID_HYPERCALL_CODE;
	ok &= hv_hypercall(hv, 0, 0x8001, 0, 0) == HV_STATUS_INVALID_HYPERCALL_CODE;
	ok &= hv_hypercall(hv, 0, 0xffff | HV_HYPERCALL_FAST_BIT, 0, 0) ==
	      HV_STATUS_INVALID_HYPERCALL_CODE;
	CHECK(ok, "unknown call codes (0x1, 0x99, extended 0x8001, 0xffff): "
	      "INVALID_HYPERCALL_CODE");
	ok = true;
	ok &= post(hv, 0, GPA_INPUT) == HV_STATUS_SUCCESS;
	n = msg_rx.calls;
	ok &= hv_hypercall(hv, 0, HVCALL_POST_MESSAGE | (1ULL << 27),
			   GPA_INPUT, 0) == HV_STATUS_INVALID_HYPERCALL_INPUT;
	ok &= hv_hypercall(hv, 0, HVCALL_POST_MESSAGE | HV_HYPERCALL_NESTED,
			   GPA_INPUT, 0) == HV_STATUS_INVALID_HYPERCALL_INPUT;
	ok &= hv_hypercall(hv, 0, HVCALL_POST_MESSAGE | (1ULL << 44),
			   GPA_INPUT, 0) == HV_STATUS_INVALID_HYPERCALL_INPUT;
	ok &= hv_hypercall(hv, 0, HVCALL_POST_MESSAGE | (1ULL << 63),
			   GPA_INPUT, 0) == HV_STATUS_INVALID_HYPERCALL_INPUT;
	ok &= hv_hypercall(hv, 0, 0x0099 | (1ULL << 60), 0, 0) ==
	      HV_STATUS_INVALID_HYPERCALL_INPUT;
	CHECK(ok && msg_rx.calls == n,
	      "reserved control bits (27, 31 nested, 44, 63): "
	      "INVALID_HYPERCALL_INPUT, handler not called");
	ok = true;
	ok &= hv_hypercall(hv, 0, HVCALL_POST_MESSAGE | (1ULL << 32),
			   GPA_INPUT, 0) == HV_STATUS_INVALID_HYPERCALL_INPUT;
	ok &= hv_hypercall(hv, 0, HVCALL_POST_MESSAGE | (1ULL << 48),
			   GPA_INPUT, 0) == HV_STATUS_INVALID_HYPERCALL_INPUT;
	ok &= hv_hypercall(hv, 0, HVCALL_POST_MESSAGE | (1ULL << 17),
			   GPA_INPUT, 0) == HV_STATUS_INVALID_HYPERCALL_INPUT;
	ok &= signal_fast(hv, 0, CONN_EVENT | (3ULL << 32)) == HV_STATUS_SUCCESS;
	ok &= hv_hypercall(hv, 0, HVCALL_SIGNAL_EVENT | HV_HYPERCALL_FAST_BIT |
			   (2ULL << 32), CONN_EVENT, 0) ==
	      HV_STATUS_INVALID_HYPERCALL_INPUT;
	ok &= hv_hypercall(hv, 0, HVCALL_NOTIFY_LONG_SPIN_WAIT |
			   HV_HYPERCALL_FAST_BIT | (1ULL << 32), 1, 0) ==
	      HV_STATUS_INVALID_HYPERCALL_INPUT;
	CHECK(ok && msg_rx.calls == n,
	      "rep count / rep start / variable header on simple calls: "
	      "INVALID_HYPERCALL_INPUT");

	/* HvPostMessage */
	msg_rx.calls = 0;
	put_msg(GPA_INPUT, CONN_MSG, 0x1234, 5, 0x5a);
	st = post(hv, 1, GPA_INPUT);
	CHECK(st == HV_STATUS_SUCCESS && msg_rx.calls == 1 && msg_rx.vp == 1 &&
	      msg_rx.type == 0x1234 && msg_rx.len == 5 &&
	      msg_rx.payload[0] == 0x5a && msg_rx.payload[4] == 0x5a,
	      "HvPostMessage delivered to the handler (vp, type, 5 bytes)");
	put_msg(GPA_INPUT, CONN_MSG, 0x7fffffff, 240, 0x11);
	CHECK(post(hv, 0, GPA_INPUT) == HV_STATUS_SUCCESS && msg_rx.len == 240 &&
	      msg_rx.payload[239] == 0x11,
	      "240-byte payload, type 0x7fffffff accepted");
	msg_rx.status = HV_STATUS_INSUFFICIENT_BUFFERS;
	CHECK(post(hv, 0, GPA_INPUT) == HV_STATUS_INSUFFICIENT_BUFFERS,
	      "handler status passed through");
	msg_rx.status = 0;
	put_msg(GPA_INPUT, CONN_MSG, 1, 0, 0);
	CHECK(post(hv, 0, GPA_INPUT) == HV_STATUS_SUCCESS && msg_rx.len == 0,
	      "empty payload accepted");

	n = msg_rx.calls;
	CHECK(hv_hypercall(hv, 0, HVCALL_POST_MESSAGE | HV_HYPERCALL_FAST_BIT,
			   GPA_INPUT, 0) == HV_STATUS_INVALID_HYPERCALL_INPUT,
	      "fast HvPostMessage: INVALID_HYPERCALL_INPUT");
	put_msg(GPA_INPUT + 8, CONN_MSG, 1, 8, 0);
	CHECK(post(hv, 0, GPA_INPUT + 4) == HV_STATUS_INVALID_ALIGNMENT &&
	      post(hv, 0, GPA_INPUT + 1) == HV_STATUS_INVALID_ALIGNMENT,
	      "misaligned input GPA: INVALID_ALIGNMENT");
	CHECK(post(hv, 0, GPA_OUTSIDE) == HV_STATUS_INVALID_ALIGNMENT &&
	      post(hv, 0, FAKE_RAM_SIZE - 8) == HV_STATUS_INVALID_ALIGNMENT &&
	      post(hv, 0, 0xfffffffffffffff8ULL) == HV_STATUS_INVALID_ALIGNMENT,
	      "input GPA outside RAM or at its very end: INVALID_ALIGNMENT");
	CHECK(post(hv, 0, GPA_INPUT + 4088) == HV_STATUS_INVALID_ALIGNMENT,
	      "input header crossing a page: INVALID_ALIGNMENT");
	put_msg(GPA_INPUT + 4096 - 24, CONN_MSG, 1, 16, 0);
	CHECK(post(hv, 0, GPA_INPUT + 4096 - 24) == HV_STATUS_INVALID_ALIGNMENT,
	      "payload crossing a page: INVALID_ALIGNMENT");
	put_msg(GPA_INPUT + 4096 - 24, CONN_MSG, 1, 8, 0);
	CHECK(post(hv, 0, GPA_INPUT + 4096 - 24) == HV_STATUS_SUCCESS,
	      "short message ending at the page end accepted");
	n = msg_rx.calls;

	put_msg(GPA_INPUT, CONN_MSG, 1, 241, 0);
	CHECK(post(hv, 0, GPA_INPUT) == HV_STATUS_INVALID_PARAMETER,
	      "payload_size 241: INVALID_PARAMETER");
	put_msg(GPA_INPUT, CONN_MSG, 1, 0xffffffff, 0);
	CHECK(post(hv, 0, GPA_INPUT) == HV_STATUS_INVALID_PARAMETER,
	      "payload_size 0xffffffff: INVALID_PARAMETER");
	put_msg(GPA_INPUT, CONN_MSG, 0, 8, 0);
	CHECK(post(hv, 0, GPA_INPUT) == HV_STATUS_INVALID_PARAMETER,
	      "message type 0: INVALID_PARAMETER");
	put_msg(GPA_INPUT, CONN_MSG, HVMSG_TIMER_EXPIRED, 8, 0);
	CHECK(post(hv, 0, GPA_INPUT) == HV_STATUS_INVALID_PARAMETER,
	      "hypervisor message type (bit 31): INVALID_PARAMETER");
	put_msg(GPA_INPUT, CONN_MSG, 1, 8, 0);
	((struct hv_input_post_message *)(fh.ram + GPA_INPUT))->reserved = 1;
	CHECK(post(hv, 0, GPA_INPUT) == HV_STATUS_INVALID_HYPERCALL_INPUT,
	      "reserved field set: INVALID_HYPERCALL_INPUT");
	put_msg(GPA_INPUT, CONN_MSG | 0x01000000, 1, 8, 0);
	CHECK(post(hv, 0, GPA_INPUT) == HV_STATUS_INVALID_HYPERCALL_INPUT,
	      "connection id reserved bits 31:24: INVALID_HYPERCALL_INPUT");
	put_msg(GPA_INPUT, CONN_MSG + 1, 1, 8, 0);
	CHECK(post(hv, 0, GPA_INPUT) == HV_STATUS_INVALID_CONNECTION_ID,
	      "unknown connection id: INVALID_CONNECTION_ID");
	put_msg(GPA_INPUT, CONN_EVENT, 1, 8, 0);
	CHECK(post(hv, 0, GPA_INPUT) == HV_STATUS_INVALID_CONNECTION_ID,
	      "event connection id is not a message connection");
	CHECK(msg_rx.calls == n, "no bad input reached the handler");

	/* HvSignalEvent */
	ev_rx.calls = 0;
	CHECK(signal_fast(hv, 1, CONN_EVENT | (7ULL << 32)) == HV_STATUS_SUCCESS &&
	      ev_rx.calls == 1 && ev_rx.vp == 1 && ev_rx.flag == 7,
	      "fast HvSignalEvent delivered (vp 1, flag 7)");
	CHECK(signal_fast(hv, 0, CONN_EVENT | (2047ULL << 32)) ==
	      HV_STATUS_SUCCESS && ev_rx.flag == 2047, "flag 2047 accepted");
	n = ev_rx.calls;
	CHECK(signal_fast(hv, 0, CONN_EVENT | (2048ULL << 32)) ==
	      HV_STATUS_INVALID_PARAMETER &&
	      signal_fast(hv, 0, CONN_EVENT | (0xffffULL << 32)) ==
	      HV_STATUS_INVALID_PARAMETER,
	      "flag number >= 2048: INVALID_PARAMETER");
	CHECK(signal_fast(hv, 0, CONN_EVENT + 1) == HV_STATUS_INVALID_CONNECTION_ID &&
	      signal_fast(hv, 0, CONN_MSG) == HV_STATUS_INVALID_CONNECTION_ID,
	      "unknown / message connection: INVALID_CONNECTION_ID");
	CHECK(signal_fast(hv, 0, CONN_EVENT | (1ULL << 48)) ==
	      HV_STATUS_INVALID_HYPERCALL_INPUT &&
	      signal_fast(hv, 0, CONN_EVENT | (1ULL << 24)) ==
	      HV_STATUS_INVALID_HYPERCALL_INPUT,
	      "reserved bits (RsvdZ, connection id 31:24): "
	      "INVALID_HYPERCALL_INPUT");
	CHECK(ev_rx.calls == n, "no bad input reached the event handler");
	*(uint64_t *)(fh.ram + GPA_INPUT + 64) = CONN_EVENT | (9ULL << 32);
	CHECK(hv_hypercall(hv, 0, HVCALL_SIGNAL_EVENT, GPA_INPUT + 64, 0) ==
	      HV_STATUS_SUCCESS && ev_rx.flag == 9,
	      "slow HvSignalEvent reads its input from memory");
	CHECK(hv_hypercall(hv, 0, HVCALL_SIGNAL_EVENT, GPA_INPUT + 60, 0) ==
	      HV_STATUS_INVALID_ALIGNMENT &&
	      hv_hypercall(hv, 0, HVCALL_SIGNAL_EVENT, GPA_OUTSIDE, 0) ==
	      HV_STATUS_INVALID_ALIGNMENT,
	      "slow HvSignalEvent misaligned / outside RAM: INVALID_ALIGNMENT");
	ev_rx.status = HV_STATUS_INVALID_PORT_ID;
	CHECK(signal_fast(hv, 0, CONN_EVENT) == HV_STATUS_INVALID_PORT_ID,
	      "event handler status passed through");

	/* HvNotifyLongSpinWait */
	CHECK(hv_hypercall(hv, 0, HVCALL_NOTIFY_LONG_SPIN_WAIT |
			   HV_HYPERCALL_FAST_BIT, 100, 0) == HV_STATUS_SUCCESS,
	      "fast HvNotifyLongSpinWait: success");
	CHECK(hv_hypercall(hv, 0, HVCALL_NOTIFY_LONG_SPIN_WAIT, GPA_INPUT, 0) ==
	      HV_STATUS_INVALID_HYPERCALL_INPUT,
	      "slow HvNotifyLongSpinWait: INVALID_HYPERCALL_INPUT");

	CHECK(hv_hypercall(hv, 5, HVCALL_NOTIFY_LONG_SPIN_WAIT |
			   HV_HYPERCALL_FAST_BIT, 0, 0) == HV_STATUS_INVALID_VP_INDEX,
	      "VP out of range: INVALID_VP_INDEX");

	/* disabling the page stops hypercalls */
	hv_wrmsr(hv, 0, HV_X64_MSR_HYPERCALL, GPA_HYPERCALL);
	CHECK(signal_fast(hv, 0, CONN_EVENT) == HV_STATUS_ACCESS_DENIED,
	      "hypercall page disabled again: ACCESS_DENIED");
	hv_destroy(hv);
	return tap_done();
}
