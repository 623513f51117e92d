// SPDX-License-Identifier: GPL-2.0
/*
 * SynIC: message slots (busy -> msg_pending -> EOM -> redelivery, order
 * kept, bounded queue), delivery conditions (SCONTROL, SIMP, masked SINT),
 * event flags (newly set vs already set), auto-EOI and polling SINTs, and
 * a two-thread run of the slot protocol.
 */
#include <sched.h>
#include <time.h>

#include "fake_host.h"

#define VEC	0x40

static bool slot_has(uint32_t vp, uint32_t sint, uint32_t type, uint8_t first)
{
	const struct hv_message *m = slot(vp, sint);

	return m->header.message_type == type &&
	       ((const uint8_t *)m->u.payload)[0] == first;
}

static void test_messages(void)
{
	struct hv *hv;
	uint8_t pl[240];
	int i;
	bool ok;

	fake_reset(0);
	hv = fake_hv("ws2025", 2);

	/* nothing enabled yet: messages wait in the queue */
	pl[0] = 1;
	CHECK(hv_post_message(hv, 0, 2, 0x10, pl, 1) == 0 && fh.nr_irqs == 0,
	      "message queued while the SynIC is off, no interrupt");
	guest_setup(hv, 2, 2, VEC);
	CHECK(slot_has(0, 2, 0x10, 1) && irqs_with(0, VEC) == 1,
	      "queued message delivered when the SynIC comes up, one interrupt");
	CHECK(slot(0, 2)->header.payload_size == 1 &&
	      slot(0, 2)->header.message_flags == 0,
	      "header: payload size 1, no pending flag");

	/* slot busy: pending flag, EOM redelivers, order kept */
	for (i = 2; i <= 4; i++) {
		pl[0] = i;
		hv_post_message(hv, 0, 2, 0x10 + i, pl, 200);
	}
	CHECK(slot_has(0, 2, 0x10, 1) &&
	      (slot(0, 2)->header.message_flags & HV_MESSAGE_FLAG_PENDING) &&
	      irqs_with(0, VEC) == 1,
	      "slot busy: first message stays, msg_pending set, no interrupt");
	ok = true;
	for (i = 2; i <= 4; i++) {
		ok &= guest_eom(hv, 0, 2);
		ok &= slot_has(0, 2, 0x10 + i, i) &&
		      slot(0, 2)->header.payload_size == 200;
	}
	CHECK(ok && irqs_with(0, VEC) == 4,
	      "EOM redelivers queued messages in order, one interrupt each");
	CHECK(!(slot(0, 2)->header.message_flags & HV_MESSAGE_FLAG_PENDING),
	      "last message carries no pending flag");
	CHECK(!guest_eom(hv, 0, 2) && slot(0, 2)->header.message_type == 0,
	      "queue drained: slot stays free, guest writes no EOM");

	/* guest frees the slot without EOM (no pending flag): next post goes in */
	pl[0] = 9;
	hv_post_message(hv, 0, 2, 0x99, pl, 1);
	CHECK(slot_has(0, 2, 0x99, 9), "free slot: message delivered at once");
	guest_eom(hv, 0, 2);

	/* per SINT and per VP slots */
	hv_wrmsr(hv, 1, HV_X64_MSR_SINT(5), 0x51);
	pl[0] = 5;
	hv_post_message(hv, 1, 5, 0x55, pl, 1);
	CHECK(slot_has(1, 5, 0x55, 5) && irqs_with(1, 0x51) == 1 &&
	      slot(0, 5)->header.message_type == 0,
	      "message for vp1 SINT5 lands in vp1's slot 5, vector 0x51");

	/* masked SINT holds messages; unmasking delivers */
	hv_wrmsr(hv, 0, HV_X64_MSR_SINT(2), HV_SINT_MASKED | VEC);
	pl[0] = 7;
	hv_post_message(hv, 0, 2, 0x77, pl, 1);
	CHECK(slot(0, 2)->header.message_type == 0,
	      "masked SINT: message held back");
	fh.nr_irqs = 0;
	hv_wrmsr(hv, 0, HV_X64_MSR_SINT(2), VEC);
	CHECK(slot_has(0, 2, 0x77, 7) && irqs_with(0, VEC) == 1,
	      "unmasking delivers the held message");
	guest_eom(hv, 0, 2);

	/* SCONTROL off holds messages too */
	hv_wrmsr(hv, 0, HV_X64_MSR_SCONTROL, 0);
	hv_post_message(hv, 0, 2, 0x78, pl, 1);
	CHECK(slot(0, 2)->header.message_type == 0,
	      "SynIC disabled: message held back");
	hv_wrmsr(hv, 0, HV_X64_MSR_SCONTROL, 1);
	CHECK(slot(0, 2)->header.message_type == 0x78,
	      "SynIC enabled: message delivered");
	guest_eom(hv, 0, 2);

	/* bounded queue */
	hv_post_message(hv, 0, 3, 1, pl, 1);	/* SINT3 masked: all queue */
	ok = true;
	for (i = 1; i < 64; i++)
		ok &= hv_post_message(hv, 0, 3, 1, pl, 1) == 0;
	CHECK(ok, "64 messages queue on one SINT");
	CHECK(hv_post_message(hv, 0, 3, 1, pl, 1) == -1,
	      "65th message refused: queue full");

	/* argument checks */
	CHECK(hv_post_message(hv, 0, 2, 1, pl, 241) == -1 &&
	      hv_post_message(hv, 2, 2, 1, pl, 1) == -1 &&
	      hv_post_message(hv, 0, 16, 1, pl, 1) == -1 &&
	      hv_post_message(hv, 0, 2, 0, pl, 1) == -1 &&
	      hv_post_message(hv, 0, 2, 1, NULL, 4) == -1,
	      "hv_post_message: len > 240, bad vp, bad sint, type 0, NULL refused");
	CHECK(hv_post_message(hv, 0, 2, HVMSG_TIMER_EXPIRED, pl, 240) == 0,
	      "host may post hypervisor message types, 240 bytes");
	guest_eom(hv, 0, 2);

	/* SIMP disabled, then re-enabled elsewhere */
	hv_wrmsr(hv, 0, HV_X64_MSR_SIMP, GPA_SIMP(0));
	pl[0] = 3;
	hv_post_message(hv, 0, 2, 0x33, pl, 1);
	CHECK(slot(0, 2)->header.message_type == 0,
	      "SIMP disabled: message held back");
	hv_wrmsr(hv, 0, HV_X64_MSR_SIMP, GPA_SIMP(0) | 1);
	CHECK(slot_has(0, 2, 0x33, 3), "SIMP re-enabled: message delivered");

	/* polling SINT: message, no interrupt; auto-EOI: logged, delivered */
	guest_eom(hv, 0, 2);
	fh.nr_irqs = 0;
	hv_wrmsr(hv, 0, HV_X64_MSR_SINT(2), HV_SINT_POLLING | VEC);
	hv_post_message(hv, 0, 2, 0x44, pl, 1);
	CHECK(slot(0, 2)->header.message_type == 0x44 && fh.nr_irqs == 0,
	      "polling SINT: message written, no interrupt");
	guest_eom(hv, 0, 2);
	fh.nr_logs = 0;
	CHECK(hv_wrmsr(hv, 0, HV_X64_MSR_SINT(2), HV_SINT_AUTO_EOI | VEC) == 0 &&
	      fh.nr_logs == 1 && strstr(fh.last_log, "auto-EOI"),
	      "auto-EOI SINT accepted and logged");
	hv_post_message(hv, 0, 2, 0x45, pl, 1);
	CHECK(slot(0, 2)->header.message_type == 0x45 &&
	      irqs_with(0, VEC) == 1 && fh.nr_logs == 1,
	      "auto-EOI SINT still interrupts, logged once");

	/* irq failure is counted, not fatal */
	guest_eom(hv, 0, 2);
	fh.irq_result = -1;
	CHECK(hv_post_message(hv, 0, 2, 0x46, pl, 1) == 0 &&
	      slot(0, 2)->header.message_type == 0x46,
	      "failing interrupt injection does not lose the message");
	fh.irq_result = 0;
	hv_destroy(hv);
}

static void test_events(void)
{
	struct hv *hv;

	fake_reset(0);
	hv = fake_hv("ws2025", 2);
	CHECK(hv_signal_event(hv, 0, 2, 5) == -1,
	      "event before SIEFP/SCONTROL: -1");
	guest_setup(hv, 2, 2, VEC);
	fh.nr_irqs = 0;
	CHECK(hv_signal_event(hv, 0, 2, 5) == 1 && irqs_with(0, VEC) == 1 &&
	      eflags(0, 2)->flags[0] == (1ULL << 5),
	      "flag 5 newly set: bit set, interrupt");
	CHECK(hv_signal_event(hv, 0, 2, 5) == 0 && irqs_with(0, VEC) == 1,
	      "flag 5 already set: no interrupt");
	__atomic_and_fetch(&eflags(0, 2)->flags[0], ~(1ULL << 5),
			   __ATOMIC_SEQ_CST);
	CHECK(hv_signal_event(hv, 0, 2, 5) == 1 && irqs_with(0, VEC) == 2,
	      "guest cleared it: newly set again, interrupt");
	CHECK(hv_signal_event(hv, 0, 2, 2047) == 1 &&
	      eflags(0, 2)->flags[31] == (1ULL << 63),
	      "flag 2047 is the top bit of the SINT's area");
	CHECK(hv_signal_event(hv, 1, 2, 64) == 1 &&
	      eflags(1, 2)->flags[1] == 1 && irqs_with(1, VEC) == 1 &&
	      eflags(0, 2)->flags[1] == 0,
	      "vp1 flag 64: vp1's page, vp1's interrupt");
	CHECK(hv_signal_event(hv, 0, 2, 2048) == -1 &&
	      hv_signal_event(hv, 2, 2, 1) == -1 &&
	      hv_signal_event(hv, 0, 16, 1) == -1,
	      "flag >= 2048, bad vp, bad sint: -1");
	hv_wrmsr(hv, 0, HV_X64_MSR_SINT(2), HV_SINT_MASKED | VEC);
	fh.nr_irqs = 0;
	CHECK(hv_signal_event(hv, 0, 2, 6) == 1 && fh.nr_irqs == 0,
	      "masked SINT: flag set, no interrupt");
	hv_wrmsr(hv, 0, HV_X64_MSR_SIEFP, GPA_SIEFP(0));
	CHECK(hv_signal_event(hv, 0, 2, 7) == -1, "SIEFP disabled: -1");
	hv_destroy(hv);
}

/* ---- two threads: host posts, guest consumes with EOM ---- */

#define STRESS_MSGS	20000

static struct hv *stress_hv;
static int stress_stop;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Gives up only after 60 s without progress (a lost delivery) */
static void *guest_thread(void *arg)
{
	uint32_t expect = 1, *bad = arg;
	struct hv_message *m = slot(0, 2);
	uint64_t last = now_ms();

	while (expect <= STRESS_MSGS && now_ms() - last < 60000) {
		uint32_t type = __atomic_load_n(&m->header.message_type,
						__ATOMIC_ACQUIRE);
		uint32_t v;

		if (type == HVMSG_NONE) {
			sched_yield();
			continue;
		}
		memcpy(&v, m->u.payload, sizeof(v));
		if (type != 1 || v != expect)
			(*bad)++;
		expect++;
		last = now_ms();
		guest_eom(stress_hv, 0, 2);
	}
	__atomic_store_n(&stress_stop, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void test_stress(void)
{
	pthread_t t;
	uint32_t i, bad = 0, refused = 0;

	fake_reset(0);
	stress_hv = fake_hv("ws2025", 1);
	guest_setup(stress_hv, 1, 2, VEC);
	pthread_create(&t, NULL, guest_thread, &bad);
	for (i = 1; i <= STRESS_MSGS &&
	     !__atomic_load_n(&stress_stop, __ATOMIC_SEQ_CST);) {
		if (hv_post_message(stress_hv, 0, 2, 1, &i, sizeof(i)) == 0) {
			i++;
		} else {
			refused++;	/* queue full: let the guest run */
			sched_yield();
		}
		if (i % 7 == 0)
			hv_timer_poll(stress_hv);
	}
	pthread_join(t, NULL);
	CHECK(i == STRESS_MSGS + 1 && bad == 0,
	      "%u messages through one slot with a concurrent guest, in order "
	      "(%u full-queue retries)", i - 1, refused);
	hv_destroy(stress_hv);
}

int main(void)
{
	test_messages();
	test_events();
	test_stress();
	return tap_done();
}
