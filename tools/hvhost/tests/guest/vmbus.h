/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvhost micro-guest: the VMBus tests (vmbus.c), mode "vmbus".
 */
#ifndef HVTEST_VMBUS_H
#define HVTEST_VMBUS_H

#include <stdbool.h>
#include <stdint.h>

struct vmbus_cfg {
	const char *host;	/* the hv-profile (its VMBus versions) */
	const char *device;	/* channel under test: "heartbeat" (default)
				 * or "balloon" (hv-balloon) */
	const char *test;	/* "basic" (default), "mnf", "hotplug",
				 * "modify", "subchannels" */
	int cpus;
	bool runner;		/* run.sh serves HVTEST-HOST lines */
};

/* Prints TAP and the plan; returns the isa-debug-exit value. */
int run_vmbus(const struct vmbus_cfg *cfg);

/*
 * guest.c: start VP 1 (INIT-SIPI) with its SynIC on: SIMP, SIEFP, SINT2 ->
 * VEC_AP_SINT2; @hypercall_page is the page the hypercall MSR points at.
 * Returns VP 1's SIEF page, or NULL if it did not start.
 */
volatile uint8_t *ap_start_synic(void *hypercall_page);

#endif
