// SPDX-License-Identifier: GPL-2.0
/*
 * Synthetic timers: one-shot and periodic, message and direct mode,
 * auto-enable, COUNT=0, SINTx=0, busy message slot, lazy / catch-up,
 * deadlines reported by hv_timer_poll and kicks.
 */
#include "fake_host.h"

#define VEC		0x40
#define SINT		2
#define DVEC		0xed

#define MSG_CFG(flags)	((flags) | ((uint64_t)SINT << HV_STIMER_SINTX_SHIFT))
#define DIR_CFG(flags)	((flags) | HV_STIMER_DIRECT_MODE | \
			 ((uint64_t)DVEC << HV_STIMER_APIC_VECTOR_SHIFT))

static const struct hv_timer_message_payload *timer_msg(uint32_t vp)
{
	struct hv_message *m = slot(vp, SINT);

	if (m->header.message_type != HVMSG_TIMER_EXPIRED ||
	    m->header.payload_size != sizeof(struct hv_timer_message_payload))
		return NULL;
	return (const struct hv_timer_message_payload *)m->u.payload;
}

static struct hv *setup(const char *profile, uint32_t cpus)
{
	struct hv *hv;

	fake_reset(1ULL << 40);
	hv = fake_hv(profile, cpus);
	guest_setup(hv, cpus, SINT, VEC);
	fh.nr_irqs = 0;
	return hv;
}

static void test_oneshot(void)
{
	const struct hv_timer_message_payload *p;
	struct hv *hv = setup("ws2025", 1);
	uint64_t now = hv_ref_time(hv), dl;
	unsigned int kicks;

	CHECK(hv_timer_poll(hv) == UINT64_MAX, "no timer: no deadline");
	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_CONFIG(0),
		 MSG_CFG(HV_STIMER_ENABLE | HV_STIMER_AUTO_ENABLE));
	kicks = fh.kicks;
	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_COUNT(0), now + 1000);
	CHECK(fh.kicks > kicks, "COUNT write kicks the timer thread");
	advance_ref(500);
	dl = hv_timer_poll(hv);
	CHECK(dl == now + 1000 && !timer_msg(0) && !fh.nr_irqs,
	      "one-shot: not due yet, deadline %" PRIu64 " reported", dl - now);
	advance_ref(501);
	hv_timer_poll(hv);
	p = timer_msg(0);
	CHECK(p && p->timer_index == 0 && p->expiration_time == now + 1000 &&
	      p->delivery_time >= now + 1000 && irqs_with(0, VEC) == 1,
	      "one-shot expired: HVMSG_TIMER_EXPIRED on SINT%u, times right, "
	      "interrupt", SINT);
	CHECK(!(rd(hv, 0, HV_X64_MSR_STIMER_CONFIG(0)) & HV_STIMER_ENABLE) &&
	      rd(hv, 0, HV_X64_MSR_STIMER_COUNT(0)) == now + 1000,
	      "one-shot: disabled after firing, COUNT kept");
	CHECK(hv_timer_poll(hv) == UINT64_MAX && irqs_with(0, VEC) == 1,
	      "one-shot fires once");
	guest_eom(hv, 0, SINT);

	/* auto-enable re-arms on COUNT write */
	now = hv_ref_time(hv);
	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_COUNT(0), now + 100);
	CHECK(rd(hv, 0, HV_X64_MSR_STIMER_CONFIG(0)) & HV_STIMER_ENABLE,
	      "auto-enable: COUNT write sets enable");
	advance_ref(100);
	hv_timer_poll(hv);
	CHECK(timer_msg(0) && irqs_with(0, VEC) == 2,
	      "auto-enabled one-shot fires");
	guest_eom(hv, 0, SINT);

	/* without auto-enable the COUNT write does not enable */
	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_CONFIG(1), MSG_CFG(0));
	now = hv_ref_time(hv);
	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_COUNT(1), now + 10);
	advance_ref(20);
	hv_timer_poll(hv);
	CHECK(!(rd(hv, 0, HV_X64_MSR_STIMER_CONFIG(1)) & HV_STIMER_ENABLE) &&
	      !timer_msg(0), "no auto-enable: COUNT alone does not start it");
	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_CONFIG(1), MSG_CFG(HV_STIMER_ENABLE));
	p = timer_msg(0);
	CHECK(p && p->timer_index == 1,
	      "enable with COUNT already in the past: fires at once (timer 1)");
	guest_eom(hv, 0, SINT);

	/* COUNT = 0 disables (clear the stale COUNT first, as Linux does) */
	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_COUNT(0), 0);
	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_CONFIG(0),
		 MSG_CFG(HV_STIMER_ENABLE | HV_STIMER_AUTO_ENABLE));
	now = hv_ref_time(hv);
	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_COUNT(0), now + 50);
	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_COUNT(0), 0);
	advance_ref(100);
	CHECK(!(rd(hv, 0, HV_X64_MSR_STIMER_CONFIG(0)) & HV_STIMER_ENABLE) &&
	      hv_timer_poll(hv) == UINT64_MAX && !timer_msg(0),
	      "COUNT=0 disables the timer, even with auto-enable");

	/* SINTx 0 in message mode: cannot be enabled */
	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_CONFIG(2),
		 HV_STIMER_ENABLE | HV_STIMER_AUTO_ENABLE);
	CHECK(!(rd(hv, 0, HV_X64_MSR_STIMER_CONFIG(2)) & HV_STIMER_ENABLE),
	      "SINTx=0 message-mode timer: enable cleared at once");
	now = hv_ref_time(hv);
	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_COUNT(2), now + 10);
	advance_ref(20);
	CHECK(!(rd(hv, 0, HV_X64_MSR_STIMER_CONFIG(2)) & HV_STIMER_ENABLE) &&
	      hv_timer_poll(hv) == UINT64_MAX && !timer_msg(0) &&
	      slot(0, 0)->header.message_type == 0,
	      "SINTx=0: auto-enable on COUNT does not enable, nothing fires");
	hv_destroy(hv);
}

static void test_busy_slot(void)
{
	const struct hv_timer_message_payload *p;
	struct hv *hv = setup("ws2025", 1);
	uint64_t now = hv_ref_time(hv);
	uint8_t b = 0x42;

	/* the slot is taken by a VMBus-style message */
	hv_post_message(hv, 0, SINT, 0x1, &b, 1);
	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_CONFIG(0),
		 MSG_CFG(HV_STIMER_ENABLE | HV_STIMER_AUTO_ENABLE));
	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_COUNT(0), now + 100);
	advance_ref(200);
	hv_timer_poll(hv);
	CHECK(slot(0, SINT)->header.message_type == 0x1 &&
	      (slot(0, SINT)->header.message_flags & HV_MESSAGE_FLAG_PENDING),
	      "timer due, slot busy: message stays, msg_pending set");
	CHECK(hv_timer_poll(hv) == UINT64_MAX,
	      "pending expiry is not a deadline (waits for EOM)");
	CHECK(guest_eom(hv, 0, SINT) && (p = timer_msg(0)) &&
	      p->expiration_time == now + 100 && p->delivery_time >= now + 200,
	      "EOM: timer message delivered, expiration and delivery time");
	CHECK(!guest_eom(hv, 0, SINT), "nothing more pending");

	/* masked SINT: expiry waits for the unmask */
	hv_wrmsr(hv, 0, HV_X64_MSR_SINT(SINT), HV_SINT_MASKED | VEC);
	now = hv_ref_time(hv);
	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_COUNT(0), now + 10);
	advance_ref(20);
	hv_timer_poll(hv);
	CHECK(!timer_msg(0), "masked SINT: expiry held");
	hv_wrmsr(hv, 0, HV_X64_MSR_SINT(SINT), VEC);
	CHECK(timer_msg(0), "unmasked: held expiry delivered");
	guest_eom(hv, 0, SINT);

	/* a CONFIG write drops an undelivered expiry */
	hv_post_message(hv, 0, SINT, 0x1, &b, 1);
	now = hv_ref_time(hv);
	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_COUNT(0), now + 10);
	advance_ref(20);
	hv_timer_poll(hv);
	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_CONFIG(0), MSG_CFG(0));
	CHECK(guest_eom(hv, 0, SINT) && !timer_msg(0),
	      "CONFIG rewrite cancels the undelivered expiry");
	hv_destroy(hv);
}

static void test_periodic(void)
{
	const struct hv_timer_message_payload *p;
	struct hv *hv = setup("ws2025", 1);
	uint64_t now = hv_ref_time(hv), start, last = 0;
	unsigned int i, got = 0;
	bool spaced = true;

	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_COUNT(1), 10000);
	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_CONFIG(1),
		 MSG_CFG(HV_STIMER_ENABLE | HV_STIMER_PERIODIC));
	start = now;
	for (i = 0; i < 50; i++) {
		advance_ref(1000);
		hv_timer_poll(hv);
		p = timer_msg(0);
		if (p) {
			if (last)
				spaced &= p->expiration_time - last == 10000;
			last = p->expiration_time;
			got++;
			guest_eom(hv, 0, SINT);
		}
	}
	CHECK(got == 5 && spaced && last == start + 50000,
	      "periodic 1 ms over 5 ms: %u expiries, 1 ms apart", got);
	CHECK(rd(hv, 0, HV_X64_MSR_STIMER_CONFIG(1)) & HV_STIMER_ENABLE,
	      "periodic timer stays enabled");
	CHECK(hv_timer_poll(hv) == start + 60000, "next deadline one period on");

	/* guest does not consume: ticks do not pile up */
	fh.nr_irqs = 0;
	for (i = 0; i < 10; i++) {
		advance_ref(10000);
		hv_timer_poll(hv);
	}
	CHECK(timer_msg(0) && irqs_with(0, VEC) == 1,
	      "10 periods with the slot busy: one message, one interrupt");
	CHECK(guest_eom(hv, 0, SINT) && timer_msg(0) && !guest_eom(hv, 0, SINT),
	      "EOM delivers one coalesced expiry, no backlog");

	/* disable */
	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_CONFIG(1), MSG_CFG(0));
	advance_ref(100000);
	CHECK(hv_timer_poll(hv) == UINT64_MAX && !timer_msg(0),
	      "periodic timer disabled");
	hv_destroy(hv);
}

static void test_direct(void)
{
	struct hv *hv = setup("ws2025", 2);
	uint64_t now = hv_ref_time(hv);
	unsigned int n;

	hv_wrmsr(hv, 1, HV_X64_MSR_STIMER_CONFIG(0),
		 DIR_CFG(HV_STIMER_ENABLE | HV_STIMER_AUTO_ENABLE));
	hv_wrmsr(hv, 1, HV_X64_MSR_STIMER_COUNT(0), now + 300);
	advance_ref(299);
	hv_timer_poll(hv);
	CHECK(!fh.nr_irqs, "direct one-shot: nothing before the deadline");
	advance_ref(2);
	hv_timer_poll(hv);
	CHECK(irqs_with(1, DVEC) == 1 && fh.nr_irqs == 1 && !timer_msg(1),
	      "direct one-shot: vector 0x%x on vp1, no message", DVEC);
	CHECK(!(rd(hv, 1, HV_X64_MSR_STIMER_CONFIG(0)) & HV_STIMER_ENABLE),
	      "direct one-shot disabled after firing");

	/* COUNT in the past: fires inside the wrmsr */
	now = hv_ref_time(hv);
	hv_wrmsr(hv, 1, HV_X64_MSR_STIMER_COUNT(0), now - 5);
	CHECK(irqs_with(1, DVEC) == 2, "COUNT in the past: fires immediately");

	/* periodic direct */
	fh.nr_irqs = 0;
	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_COUNT(3), 1000);
	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_CONFIG(3),
		 DIR_CFG(HV_STIMER_ENABLE | HV_STIMER_PERIODIC));
	for (n = 0; n < 40; n++) {
		advance_ref(250);
		hv_timer_poll(hv);
	}
	CHECK(irqs_with(0, DVEC) == 10, "direct periodic: 10 interrupts in "
	      "10 periods (%u)", irqs_with(0, DVEC));

	/* non-lazy catches up, lazy skips */
	fh.nr_irqs = 0;
	advance_ref(10500);
	hv_timer_poll(hv);
	CHECK(irqs_with(0, DVEC) == 10,
	      "non-lazy periodic catches up 10 missed periods (%u)",
	      irqs_with(0, DVEC));
	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_CONFIG(3),
		 DIR_CFG(HV_STIMER_ENABLE | HV_STIMER_PERIODIC |
			 HV_STIMER_LAZY));
	fh.nr_irqs = 0;
	now = hv_ref_time(hv);
	advance_ref(10500);
	hv_timer_poll(hv);
	n = irqs_with(0, DVEC);
	CHECK(n == 1 && hv_timer_poll(hv) == now + 11000,
	      "lazy periodic: 10 missed periods give 1 interrupt (%u), "
	      "next deadline on the period grid", n);

	/* tiny periods are clamped */
	fh.nr_irqs = 0;
	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_COUNT(3), 1);
	for (n = 0; n < 100; n++) {
		advance_ref(10);
		hv_timer_poll(hv);
	}
	CHECK(irqs_with(0, DVEC) <= 3,
	      "100 ns period clamped (%u interrupts in 100 us)",
	      irqs_with(0, DVEC));
	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_CONFIG(3), 0);

	/* earliest deadline across VPs */
	now = hv_ref_time(hv);
	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_CONFIG(2),
		 DIR_CFG(HV_STIMER_ENABLE | HV_STIMER_AUTO_ENABLE));
	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_COUNT(2), now + 5000);
	hv_wrmsr(hv, 1, HV_X64_MSR_STIMER_COUNT(0), now + 3000);
	CHECK(hv_timer_poll(hv) == now + 3000,
	      "hv_timer_poll returns the earliest deadline of all VPs");
	hv_destroy(hv);
}

static void test_message_mode_old_host(void)
{
	struct hv *hv = setup("ws2008", 1);
	uint64_t now = hv_ref_time(hv);

	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_CONFIG(0),
		 MSG_CFG(HV_STIMER_ENABLE | HV_STIMER_AUTO_ENABLE));
	hv_wrmsr(hv, 0, HV_X64_MSR_STIMER_COUNT(0), now + 10);
	advance_ref(10);
	hv_timer_poll(hv);
	CHECK(timer_msg(0) && irqs_with(0, VEC) == 1,
	      "ws2008: message-mode one-shot works");
	hv_destroy(hv);
}

int main(void)
{
	test_oneshot();
	test_busy_slot();
	test_periodic();
	test_direct();
	test_message_mode_old_host();
	return tap_done();
}
