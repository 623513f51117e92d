/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvhost micro-guest: where the AP trampoline runs (below 1 MiB, page
 * aligned).  Free once we run: QEMU's multiboot loader puts its memory
 * map at 0x9000 and the information at 0x9500, the image at 1 MiB and the
 * command line after it; SeaBIOS keeps to its stack near 0x7000, the EBDA
 * at 0x9fc00 and 0xe0000 up.
 */
#ifndef HVTEST_AP_H
#define HVTEST_AP_H

#define AP_TRAMP_BASE	0x40000

#endif
