/* SPDX-License-Identifier: GPL-2.0 */
/* hvhost micro-guest: where the AP trampoline runs (below 1 MiB, free) */
#ifndef HVTEST_AP_H
#define HVTEST_AP_H

#define AP_TRAMP_BASE	0x40000

#endif
