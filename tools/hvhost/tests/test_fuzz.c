// SPDX-License-Identifier: GPL-2.0
/*
 * Bad guest input never crashes: random MSR accesses, hypercalls with
 * random control values and GPAs, random host posts and events, guest
 * scribbles on its SynIC pages, time jumps, with a second thread polling
 * the timers and dumping the state.  Meant to run under
 * -fsanitize=address,undefined (or thread).
 *
 * HV_FUZZ_SEED and HV_FUZZ_ITERS override the defaults.
 */
#include "fake_host.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint64_t pick(const uint64_t *v, size_t n)
{
	return v[rnd() % n];
}

#define PICK(a)	pick(a, sizeof(a) / sizeof((a)[0]))

static struct hv *fz;
static int fz_stop;
static uint64_t handler_calls;
static unsigned long status_seen[256];

static uint16_t fz_msg(void *opaque, uint32_t vp, uint32_t type,
		       const void *payload, uint32_t len)
{
	(void)opaque;
	handler_calls++;
	/* a VMBus server answers from inside the handler */
	if (len <= HV_MESSAGE_PAYLOAD_BYTE_COUNT && (type & 1))
		hv_post_message(fz, vp, 2, type, payload, len);
	return (uint16_t)(rnd() % 3 ? HV_STATUS_SUCCESS :
			  HV_STATUS_INSUFFICIENT_BUFFERS);
}

static uint16_t fz_event(void *opaque, uint32_t vp, uint16_t flag)
{
	(void)opaque;
	handler_calls++;
	hv_signal_event(fz, vp, 2, flag);
	return HV_STATUS_SUCCESS;
}

static uint64_t rnd_gpa(void)
{
	static const uint64_t special[] = {
		0, 8, 0xfff, 0x1000, FAKE_RAM_SIZE - 0x1000,
		FAKE_RAM_SIZE - 8, FAKE_RAM_SIZE - 1, FAKE_RAM_SIZE,
		FAKE_RAM_SIZE + 0x1000, 0xfffffffffffff000ULL,
		0xfffffffffffffff8ULL, 1ULL << 52, GPA_INPUT, GPA_SIMP(0),
		GPA_SIEFP(1), GPA_TSC_PAGE, GPA_HYPERCALL,
	};

	switch (rnd() % 4) {
	case 0:
		return PICK(special);
	case 1:
		return rnd();
	default:
		return (rnd() % (FAKE_RAM_SIZE + 0x10000)) & ~(rnd() % 2 ? 0xfffULL :
							     7ULL);
	}
}

static uint64_t rnd_msr_value(uint32_t msr)
{
	switch (rnd() % 8) {
	case 0:
		return rnd();
	case 1:
		return rnd() & 0xff;
	case 2:
		return 0;
	case 3:
		return (rnd_gpa() & ~0xfffULL) | 1;
	case 4:
		if (msr >= HV_X64_MSR_SINT0 && msr <= HV_X64_MSR_SINT15)
			return (rnd() % 0x100) | (rnd() % 8) << 16;
		return (rnd_gpa() & ~0xfffULL) | (rnd() & 1);
	case 5:	/* stimer config-like */
		return (rnd() & 0xf) | (rnd() % 16) << 16 |
		       (rnd() % 2 ? HV_STIMER_DIRECT_MODE |
			(rnd() % 256) << 4 : 0);
	case 6:	/* stimer count-like */
		return hv_ref_time(fz) + rnd() % 100000;
	default:
		return rnd() % 100000;
	}
}

static uint32_t rnd_msr(void)
{
	static const uint64_t known[] = {
		HV_X64_MSR_GUEST_OS_ID, HV_X64_MSR_HYPERCALL,
		HV_X64_MSR_VP_INDEX, HV_X64_MSR_RESET,
		HV_X64_MSR_TIME_REF_COUNT, HV_X64_MSR_REFERENCE_TSC,
		HV_X64_MSR_TSC_FREQUENCY, HV_X64_MSR_APIC_FREQUENCY,
		HV_X64_MSR_VP_ASSIST_PAGE, HV_X64_MSR_SCONTROL,
		HV_X64_MSR_SVERSION, HV_X64_MSR_SIEFP, HV_X64_MSR_SIMP,
		HV_X64_MSR_EOM, HV_X64_MSR_CRASH_CTL,
	};

	switch (rnd() % 6) {
	case 0:
		return HV_X64_MSR_RANGE_FIRST + rnd() % 0x200;
	case 1:
		return HV_X64_MSR_SINT0 + rnd() % 16;
	case 2:
	case 3:
		return HV_X64_MSR_STIMER0_CONFIG + rnd() % 8;
	case 4:
		return HV_X64_MSR_CRASH_P0 + rnd() % 6;
	default:
		return (uint32_t)PICK(known);
	}
}

static void rnd_input(uint64_t gpa)
{
	uint8_t *p = fake_gpa(NULL, gpa & ~7ULL, 256);
	struct hv_input_post_message *m = (void *)p;
	size_t i;

	if (!p)
		return;
	if (rnd() % 2) {
		for (i = 0; i < 256; i++)
			p[i] = (uint8_t)rnd();
		return;
	}
	m->connection_id = rnd() % 3 ? 4 : (uint32_t)rnd();
	m->reserved = rnd() % 8 ? 0 : (uint32_t)rnd();
	m->message_type = rnd() % 4 ? 1 + rnd() % 100 : (uint32_t)rnd();
	m->payload_size = rnd() % 4 ? rnd() % 241 : (uint32_t)rnd();
}

static void do_hypercall(void)
{
	static const uint64_t codes[] = {
		HVCALL_POST_MESSAGE, HVCALL_SIGNAL_EVENT,
		HVCALL_NOTIFY_LONG_SPIN_WAIT, 0x2, 0x3, 0x13, 0x99, 0x8001,
	};
	uint64_t control = PICK(codes), in, st;

	in = rnd() % 2 ? GPA_INPUT + (rnd() % 4 ? 0 : rnd() % 4096) : rnd_gpa();

	if (rnd() % 2)
		control |= HV_HYPERCALL_FAST_BIT;
	if (rnd() % 8 == 0)
		control |= rnd() & ~0xffffULL;
	if ((control & 0xffff) == HVCALL_SIGNAL_EVENT &&
	    (control & HV_HYPERCALL_FAST_BIT) && rnd() % 2)
		in = (rnd() % 3 ? 2 : rnd() % 8) | (rnd() % 3000) << 32;
	if (rnd() % 2)
		rnd_input(in);
	st = hv_hypercall(fz, rnd() % 3, control, in, rnd_gpa());
	status_seen[st & 0xff]++;
	if (st > 0xffff) {
		printf("not ok - hypercall returned 0x%" PRIx64 "\n", st);
		exit(1);
	}
}

static void guest_scribble(void)
{
	uint32_t vp = rnd() % 2, sint = rnd() % 16;
	struct hv_message *m = slot(vp, sint);

	switch (rnd() % 4) {
	case 0:
		guest_eom(fz, vp, sint);
		break;
	case 1:	/* consume without EOM */
		__atomic_store_n(&m->header.message_type, 0, __ATOMIC_SEQ_CST);
		break;
	case 2:	/* garbage header */
		__atomic_store_n(&m->header.message_type, (uint32_t)rnd(),
				 __ATOMIC_SEQ_CST);
		__atomic_store_n(&m->header.payload_size, (uint8_t)rnd(),
				 __ATOMIC_SEQ_CST);
		__atomic_store_n(&m->header.message_flags, (uint8_t)rnd(),
				 __ATOMIC_SEQ_CST);
		break;
	default:
		__atomic_fetch_and(&eflags(vp, sint)->flags[rnd() % 32],
				   rnd(), __ATOMIC_SEQ_CST);
		break;
	}
}

static void *poller(void *arg)
{
	FILE *null = fopen("/dev/null", "w");
	unsigned long n = 0;

	(void)arg;
	while (!__atomic_load_n(&fz_stop, __ATOMIC_SEQ_CST)) {
		hv_timer_poll(fz);
		if (null && ++n % 64 == 0)
			hv_dump(fz, null);
	}
	if (null)
		fclose(null);
	return NULL;
}

int main(void)
{
	const char *s = getenv("HV_FUZZ_SEED"), *it = getenv("HV_FUZZ_ITERS");
	static const char *const profiles[] = { "ws2008", "ws2012r2", "ws2025" };
	uint64_t seed = s ? strtoull(s, NULL, 0) : 0x5eed1234ULL;
	unsigned long iters = it ? strtoul(it, NULL, 0) : 100000, i;
	uint64_t last_ref, ref, v;
	bool monotonic = true;
	unsigned int pr;
	pthread_t t;

	for (pr = 0; pr < 3; pr++) {
		rng_state = seed + pr * 7919 + 1;
		fake_reset(rnd() % (1ULL << 50));
		fz = fake_hv(profiles[pr], 2);
		__atomic_store_n(&fz_stop, 0, __ATOMIC_SEQ_CST);
		handler_calls = 0;
		hv_register_msg_conn(fz, 4, fz_msg, NULL);
		hv_register_event_conn(fz, 2, fz_event, NULL);
		memset(status_seen, 0, sizeof(status_seen));
		guest_setup(fz, 2, 2, 0x40);
		pthread_create(&t, NULL, poller, NULL);
		last_ref = hv_ref_time(fz);

		for (i = 0; i < iters; i++) {
			uint32_t msr;
			uint8_t buf[256];

			switch (rnd() % 10) {
			case 0:
			case 1:
			case 2:
				msr = rnd_msr();
				v = rnd_msr_value(msr);
				/* a locked hypercall MSR would end the run early */
				if (msr == HV_X64_MSR_HYPERCALL)
					v &= ~HV_HYPERCALL_LOCKED;
				hv_wrmsr(fz, rnd() % 3, msr, v);
				break;
			case 3:
				hv_rdmsr(fz, rnd() % 3, rnd_msr(), &v);
				break;
			case 4:
			case 5:
				do_hypercall();
				break;
			case 6:
				memset(buf, (int)rnd(), sizeof(buf));
				hv_post_message(fz, rnd() % 3, rnd() % 17,
						(uint32_t)rnd(), buf,
						rnd() % 260);
				break;
			case 7:
				hv_signal_event(fz, rnd() % 3, rnd() % 17,
						rnd() % 2100);
				break;
			case 8:
				if (rnd() % 4 == 0)
					guest_setup(fz, 2, 2, 0x40);
				else
					guest_scribble();
				break;
			default:
				advance_ref(rnd() % 4 ? rnd() % 2000 :
					    rnd() % 100000000);
				hv_timer_poll(fz);
				break;
			}
			ref = hv_ref_time(fz);
			monotonic &= ref >= last_ref;
			last_ref = ref;
		}
		__atomic_store_n(&fz_stop, 1, __ATOMIC_SEQ_CST);
		pthread_join(t, NULL);
		CHECK(monotonic, "%s: %lu random operations (seed 0x%" PRIx64
		      "), no crash, reference time monotonic, %" PRIu64
		      " handler calls", profiles[pr], iters, seed,
		      handler_calls);
		printf("# statuses: success %lu, code %lu, input %lu, alignment "
		       "%lu, parameter %lu, access denied %lu, connection %lu, "
		       "buffers %lu\n", status_seen[0], status_seen[2],
		       status_seen[3], status_seen[4], status_seen[5],
		       status_seen[6], status_seen[18], status_seen[19]);
		hv_destroy(fz);
	}
	return tap_done();
}
