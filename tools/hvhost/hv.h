/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvhost: the Hyper-V platform seen by the guest (CPUID leaves, synthetic
 * MSRs, hypercalls, SynIC, synthetic timers, reference time).
 *
 * Pure logic: everything it needs from the VMM comes through struct
 * hv_host_ops, so the unit tests drive it with a fake guest memory and a
 * fake clock.  All entry points are thread safe (vCPU threads, the timer
 * thread and the control socket call them concurrently).
 *
 * VP index == vCPU index == APIC id.
 */
#ifndef HVHOST_HV_H
#define HVHOST_HV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* I/O port of the `out imm8, al` in the hypercall page hvhost writes */
#define HVHOST_HYPERCALL_PORT 0x98

struct hv;
struct hv_profile;

/* Host profiles: "ws2008", "ws2008r2", "ws2012", "ws2012r2", "ws2016",
 * "ws2019", "ws2022", "ws2025".  NULL if unknown. */
const struct hv_profile *hv_profile_find(const char *name);
const char *hv_profile_name(const struct hv_profile *p);
/* Comma separated list of the names, for --help */
const char *hv_profile_names(void);
/* VMBus versions offered by a profile (used by the VMBus server later) */
const uint32_t *hv_profile_vmbus_versions(const struct hv_profile *p, int *n);

struct hv_host_ops {
	void *opaque;
	/* Host pointer for guest-physical [gpa, gpa+len) if it is entirely
	 * guest RAM, else NULL. */
	void *(*gpa)(void *opaque, uint64_t gpa, uint64_t len);
	/* Inject a fixed, edge-triggered interrupt with @vector into the
	 * vCPU with APIC id @apic_id (KVM_SIGNAL_MSI). */
	int (*irq)(void *opaque, uint32_t apic_id, uint8_t vector);
	/* The guest's TSC now, as a vCPU would read it. */
	uint64_t (*guest_tsc)(void *opaque);
	/* A timer deadline changed: wake the timer thread. May be NULL. */
	void (*kick)(void *opaque);
	/* Log sink for guest-caused anomalies (ratelimiting is hv.c's job). */
	void (*log)(void *opaque, const char *msg);
	uint64_t tsc_khz;	/* guest TSC frequency */
	uint64_t apic_hz;	/* LAPIC timer frequency */
	uint32_t nr_vcpus;
};

struct hv *hv_create(const struct hv_profile *p, const struct hv_host_ops *ops);
void hv_destroy(struct hv *hv);

/* CPUID leaves 0x40000000-0x400000FF; false if @leaf is not one of them. */
bool hv_cpuid(struct hv *hv, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

/* Synthetic MSRs (0x40000000-0x400001FF) from vCPU @vp.
 * Return 0, or -1 when the guest must get #GP. */
int hv_rdmsr(struct hv *hv, uint32_t vp, uint32_t msr, uint64_t *val);
int hv_wrmsr(struct hv *hv, uint32_t vp, uint32_t msr, uint64_t val);

/* A hypercall from vCPU @vp (RCX, RDX, R8); returns the value for RAX. */
uint64_t hv_hypercall(struct hv *hv, uint32_t vp, uint64_t control,
		      uint64_t in, uint64_t out);

/* Partition reference time, 100 ns units (== HV_X64_MSR_TIME_REF_COUNT). */
uint64_t hv_ref_time(struct hv *hv);

/* Fire due synthetic timers and retry blocked message deliveries.
 * Returns the next reference-time deadline, or UINT64_MAX for none. */
uint64_t hv_timer_poll(struct hv *hv);

/* --- SynIC services for the VMBus server and the control socket --- */

/* Queue a message for SINT @sint of @vp (delivered now if the slot is
 * free, else on EOM). Returns 0, or -1 if the queue is full or @len > 240. */
int hv_post_message(struct hv *hv, uint32_t vp, uint32_t sint,
		    uint32_t type, const void *payload, uint32_t len);
/* Set event flag @flag of SINT @sint on @vp and interrupt if newly set.
 * Returns 1 if the flag was newly set, 0 if already set, -1 on error. */
int hv_signal_event(struct hv *hv, uint32_t vp, uint32_t sint, uint32_t flag);

/* Guest-to-host: HvPostMessage / HvSignalEvent on connection @conn_id.
 * A message handler returns an HV_STATUS_* for the guest. */
typedef uint16_t (*hv_msg_handler)(void *opaque, uint32_t vp, uint32_t type,
				   const void *payload, uint32_t len);
typedef uint16_t (*hv_event_handler)(void *opaque, uint32_t vp, uint16_t flag);
int hv_register_msg_conn(struct hv *hv, uint32_t conn_id,
			 hv_msg_handler fn, void *opaque);
int hv_register_event_conn(struct hv *hv, uint32_t conn_id,
			   hv_event_handler fn, void *opaque);

/* Human-readable state for the control socket ("hv" command). */
void hv_dump(struct hv *hv, FILE *out);

#endif
