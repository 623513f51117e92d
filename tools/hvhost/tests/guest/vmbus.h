/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvhost micro-guest: the VMBus tests (vmbus.c), mode "vmbus".
 */
#ifndef HVTEST_VMBUS_H
#define HVTEST_VMBUS_H

/*
 * @host: the hv-profile (its VMBus versions); @device: the channel under
 * test, "heartbeat" (hv-heartbeat, the default) or "balloon" (hv-balloon).
 * Prints TAP and the plan; returns the isa-debug-exit value.
 */
int run_vmbus(const char *host, const char *device);

#endif
