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
 * For scenarios in files of their own: the channel under test opened on
 * ring 0 (version, offers, GPADL, open), packets on it (vb_chan_recv: 1
 * one taken, 0 none, -1 a malformed ring), run.sh's host actions (1 done,
 * 0 not as wanted, -1 no answer), the host profile's name.
 */
struct vmb_pkt_hdr;
bool vb_chan_open(void);
bool vb_chan_send(uint16_t type, uint16_t flags, uint64_t trans_id,
		  const void *p, uint32_t n);
int vb_chan_recv(struct vmb_pkt_hdr *ph, void *buf, uint32_t size,
		 uint32_t *len);
int vb_host_do(const char *cmds);
const char *vb_host(void);

/* the descriptor of the last packet vb_chan_recv took: its length */
uint32_t vb_chan_desc(void *buf, uint32_t size);
/* a GPADL of @pages pages from @buf for the channel under test; 0: none */
uint32_t vb_gpadl(const void *buf, uint32_t pages);

/* netvsp.c: hvtest.vmbustest=netvsp */
void netvsp_device(const char *test, const char **name, const char **guid);
void test_netvsp(void);

/* input.c: hvtest.vmbustest=input-kbd and input-mouse */
void input_device(const char *test, const char **name, const char **guid);
void test_input(const char *test);

/*
 * guest.c: start VP 1 (INIT-SIPI) with its SynIC on: SIMP, SIEFP, SINT2 ->
 * VEC_AP_SINT2; @hypercall_page is the page the hypercall MSR points at.
 * Returns VP 1's SIEF page, or NULL if it did not start.
 */
volatile uint8_t *ap_start_synic(void *hypercall_page);

#endif
