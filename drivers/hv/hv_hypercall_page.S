/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hypercall page.
 *
 * The kernel gives modules no executable memory of their own, so the page
 * whose guest-physical address goes into HV_X64_MSR_HYPERCALL is a page of
 * this module's text.  It must own its physical page: page aligned, one
 * page long.  The hypervisor writes the calling sequence into it through
 * the guest-physical address (on real Hyper-V the page is an overlay); until
 * then, and again if the hypervisor never does, it holds only int3.
 *
 * Nothing jumps here but hv_do_hypercall() and friends, through a pointer
 * that is set only once the host has filled the page.
 */
#include <linux/linkage.h>
#include <linux/objtool.h>
#include <asm/page_types.h>

	.text
	.balign	PAGE_SIZE, 0xcc
SYM_CODE_START_NOALIGN(hv_hypercall_page)
	ANNOTATE_NOENDBR
	.fill	PAGE_SIZE, 1, 0xcc
SYM_CODE_END(hv_hypercall_page)
