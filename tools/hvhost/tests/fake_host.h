/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Unit-test harness for hv.c: a fake VMM (malloc'ed guest RAM, a TSC the
 * test advances by hand, recorded interrupts, kicks and log lines) and TAP
 * output helpers.  Header-only: every tests/test_*.c is its own program
 * linked with hv.o and profiles.o.
 */
#ifndef HVHOST_TESTS_FAKE_HOST_H
#define HVHOST_TESTS_FAKE_HOST_H

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hyperv/tlfs.h>

#include "hv.h"
#include "hv_internal.h"

/* ---- TAP ---- */

static int tap_n, tap_failed;

static void tap_check(int ok, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void tap_check(int ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %d - ", ok ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
}

#define CHECK(cond, ...) tap_check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	if (tap_failed)
		printf("# %d of %d failed\n", tap_failed, tap_n);
	return tap_failed ? 1 : 0;
}

/* ---- fake VMM ---- */

#define FAKE_RAM_SIZE	(16ULL << 20)
#define FAKE_TSC_KHZ	2500000ULL		/* 2.5 GHz: 250 ticks per 100 ns */
#define FAKE_APIC_HZ	1000000000ULL
#define FAKE_MAX_IRQS	100000

/* Guest-physical layout used by the tests */
#define GPA_HYPERCALL	0x10000ULL
#define GPA_TSC_PAGE	0x11000ULL
#define GPA_INPUT	0x12000ULL
#define GPA_SIMP(vp)	(0x100000ULL + (uint64_t)(vp) * 0x10000ULL)
#define GPA_SIEFP(vp)	(0x101000ULL + (uint64_t)(vp) * 0x10000ULL)
#define GPA_ASSIST(vp)	(0x102000ULL + (uint64_t)(vp) * 0x10000ULL)
#define GPA_OUTSIDE	(FAKE_RAM_SIZE + 0x1000ULL)

struct fake_irq {
	uint32_t apic;
	uint8_t vector;
};

struct fake_host {
	pthread_mutex_t lock;
	uint8_t *ram;
	uint64_t tsc;
	struct fake_irq irqs[FAKE_MAX_IRQS];
	unsigned int nr_irqs;
	unsigned int kicks;
	unsigned int nr_logs;
	char last_log[512];
	bool echo_log;
	int irq_result;
};

static struct fake_host fh = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void *fake_gpa(void *opaque, uint64_t gpa, uint64_t len)
{
	(void)opaque;
	if (!len || gpa >= FAKE_RAM_SIZE || len > FAKE_RAM_SIZE - gpa)
		return NULL;
	return fh.ram + gpa;
}

static int fake_irq(void *opaque, uint32_t apic_id, uint8_t vector)
{
	(void)opaque;
	pthread_mutex_lock(&fh.lock);
	if (fh.nr_irqs < FAKE_MAX_IRQS) {
		fh.irqs[fh.nr_irqs].apic = apic_id;
		fh.irqs[fh.nr_irqs].vector = vector;
		fh.nr_irqs++;
	}
	pthread_mutex_unlock(&fh.lock);
	return fh.irq_result;
}

static uint64_t fake_tsc(void *opaque)
{
	(void)opaque;
	return __atomic_load_n(&fh.tsc, __ATOMIC_SEQ_CST);
}

static void fake_kick(void *opaque)
{
	(void)opaque;
	__atomic_fetch_add(&fh.kicks, 1, __ATOMIC_SEQ_CST);
}

static void fake_log(void *opaque, const char *msg)
{
	(void)opaque;
	pthread_mutex_lock(&fh.lock);
	fh.nr_logs++;
	snprintf(fh.last_log, sizeof(fh.last_log), "%s", msg);
	pthread_mutex_unlock(&fh.lock);
	if (fh.echo_log)
		printf("# log: %s\n", msg);
}

static inline void fake_reset(uint64_t tsc)
{
	if (!fh.ram) {
		fh.ram = calloc(1, FAKE_RAM_SIZE);
		if (!fh.ram) {
			perror("calloc");
			exit(2);
		}
	} else {
		memset(fh.ram, 0, FAKE_RAM_SIZE);
	}
	fh.tsc = tsc;
	fh.nr_irqs = 0;
	fh.kicks = 0;
	fh.nr_logs = 0;
	fh.last_log[0] = 0;
	fh.irq_result = 0;
	fh.echo_log = getenv("HV_TEST_VERBOSE") != NULL;
}

static inline struct hv *fake_hv(const char *profile, uint32_t cpus)
{
	struct hv_host_ops ops = {
		.opaque = &fh,
		.gpa = fake_gpa,
		.irq = fake_irq,
		.guest_tsc = fake_tsc,
		.kick = fake_kick,
		.log = fake_log,
		.tsc_khz = FAKE_TSC_KHZ,
		.apic_hz = FAKE_APIC_HZ,
		.nr_vcpus = cpus,
	};
	const struct hv_profile *p = hv_profile_find(profile);

	if (!p) {
		printf("Bail out! unknown profile %s\n", profile);
		exit(2);
	}
	return hv_create(p, &ops);
}

/* Advance the fake TSC by @units of 100 ns */
static inline void advance_ref(uint64_t units)
{
	__atomic_fetch_add(&fh.tsc, units * (FAKE_TSC_KHZ / 10000),
			   __ATOMIC_SEQ_CST);
}

static inline unsigned int irqs_with(uint32_t apic, uint8_t vector)
{
	unsigned int i, n = 0;

	pthread_mutex_lock(&fh.lock);
	for (i = 0; i < fh.nr_irqs; i++)
		if (fh.irqs[i].apic == apic && fh.irqs[i].vector == vector)
			n++;
	pthread_mutex_unlock(&fh.lock);
	return n;
}

static inline uint64_t rd(struct hv *hv, uint32_t vp, uint32_t msr)
{
	uint64_t v = 0xdeadbeefULL;

	if (hv_rdmsr(hv, vp, msr, &v))
		return 0xbadbadbadULL;
	return v;
}

static inline struct hv_message *slot(uint32_t vp, uint32_t sint)
{
	return (struct hv_message *)(fh.ram + GPA_SIMP(vp)) + sint;
}

static inline struct hv_synic_event_flags *eflags(uint32_t vp, uint32_t sint)
{
	return (struct hv_synic_event_flags *)(fh.ram + GPA_SIEFP(vp)) + sint;
}

/* What a Linux guest does after handling a message (vmbus_signal_eom) */
static inline bool guest_eom(struct hv *hv, uint32_t vp, uint32_t sint)
{
	struct hv_message *m = slot(vp, sint);

	__atomic_store_n(&m->header.message_type, HVMSG_NONE, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&m->header.message_flags, __ATOMIC_SEQ_CST) &
	    HV_MESSAGE_FLAG_PENDING) {
		hv_wrmsr(hv, vp, HV_X64_MSR_EOM, 0);
		return true;
	}
	return false;
}

/* Guest identity, hypercall page, SynIC on, SINT @sint -> @vector */
static inline void guest_setup(struct hv *hv, uint32_t cpus, uint32_t sint,
			       uint8_t vector)
{
	uint32_t vp;

	hv_wrmsr(hv, 0, HV_X64_MSR_GUEST_OS_ID, 0x8100060100000000ULL);
	hv_wrmsr(hv, 0, HV_X64_MSR_HYPERCALL,
		 GPA_HYPERCALL | HV_HYPERCALL_ENABLE);
	for (vp = 0; vp < cpus; vp++) {
		hv_wrmsr(hv, vp, HV_X64_MSR_SIMP,
			 GPA_SIMP(vp) | HV_MSR_PAGE_ENABLE);
		hv_wrmsr(hv, vp, HV_X64_MSR_SIEFP,
			 GPA_SIEFP(vp) | HV_MSR_PAGE_ENABLE);
		hv_wrmsr(hv, vp, HV_X64_MSR_SINT(sint), vector);
		hv_wrmsr(hv, vp, HV_X64_MSR_SCONTROL, HV_SCONTROL_ENABLE);
	}
}

#endif
