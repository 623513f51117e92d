/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvhost micro-guest: application processor start-up.
 *
 * The BSP copies ap_tramp_start..ap_tramp_end to AP_TRAMP_BASE (below
 * 1 MiB, page aligned), stores its CR3 at ap_tramp_cr3 and sends
 * INIT-SIPI with vector AP_TRAMP_BASE >> 12.  The AP starts here in real
 * mode at CS:IP = (AP_TRAMP_BASE >> 4):0, enters protected mode, enables
 * PAE paging with the BSP's page tables and long mode, and jumps to
 * ap_start64 in the image, which calls ap_main() on the AP stack.
 */
#include "ap.h"

#define T(sym)		(AP_TRAMP_BASE + ((sym) - ap_tramp_start))

#define CR0_PE		0x00000001
#define CR0_PG		0x80000000
#define CR4_PAE		0x00000020
#define MSR_EFER	0xc0000080
#define EFER_LME	0x00000100

	.section .rodata
	.balign	16
	.globl	ap_tramp_start, ap_tramp_end, ap_tramp_cr3
	.code16
ap_tramp_start:
	cli
	cld
	movw	%cs, %ax
	movw	%ax, %ds
	lgdtl	tramp_gdtr - ap_tramp_start
	movl	%cr0, %eax
	orl	$CR0_PE, %eax
	movl	%eax, %cr0
	ljmpl	$0x18, $T(tramp32)

	.code32
tramp32:
	movl	$0x10, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	T(ap_tramp_cr3), %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$CR0_PG, %eax
	movl	%eax, %cr0
	ljmpl	$0x08, $ap_start64

	.balign	8
tramp_gdt:
	.quad	0
	.quad	0x00af9b000000ffff	/* 0x08: 64-bit code */
	.quad	0x00cf93000000ffff	/* 0x10: data */
	.quad	0x00cf9b000000ffff	/* 0x18: 32-bit code */
tramp_gdt_end:
tramp_gdtr:
	.word	tramp_gdt_end - tramp_gdt - 1
	.long	T(tramp_gdt)
	.balign	8
ap_tramp_cr3:
	.quad	0
ap_tramp_end:

	.text
	.code64
	.globl	ap_start64
ap_start64:
	movq	$ap_stack_top, %rsp
	/* the image's GDT: the trampoline's copy in low memory may go */
	lgdt	gdt_desc
	pushq	$0x08
	pushq	$0f
	lretq
0:	movl	$0x10, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	call	ap_main
1:	cli
	hlt
	jmp	1b

	.section .bss
	.balign	4096
ap_stack:
	.skip	16384
ap_stack_top:

	.section .note.GNU-stack, "", @progbits
