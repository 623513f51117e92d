/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvhost micro-guest: multiboot entry, long-mode switch, interrupt stubs.
 *
 * QEMU's -kernel loads us through the multiboot (v1) a.out kludge: the
 * flat image at 1 MiB, .bss zeroed, entered at mb_entry in 32-bit
 * protected mode with paging off, EAX = 0x2badb002 and EBX = the
 * multiboot information.  mb_entry identity-maps the low 4 GiB with
 * 2 MiB pages (user-accessible: the CPL 3 tests run in the image), turns
 * on PAE, long mode and paging and jumps to startup_64, which clears .bss,
 * loads the TSS and calls guest_main(mbi, magic).  Its return value goes
 * to QEMU's isa-debug-exit port (QEMU exits with (value << 1) | 1).
 */
#include "ap.h"

#define KERNEL_CS	0x08
#define KERNEL_DS	0x10
#define USER_DS		0x1b		/* 0x18 | RPL 3 */
#define USER_CS		0x23		/* 0x20 | RPL 3 */
#define COMPAT_CS	0x28		/* 32-bit code, DPL 0 */
#define TSS_SEL		0x30
#define DEBUG_EXIT_PORT	0xf4

#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00010003	/* page-align, memory info, a.out kludge */
#define MB_BOOT_MAGIC	0x2badb002

#define CR0_PE		0x00000001
#define CR0_PG		0x80000000
#define CR4_PAE		0x00000020
#define MSR_EFER	0xc0000080
#define EFER_LME	0x00000100
#define PTE_P_RW_US	0x7
#define PDE_2M		0x87		/* present, writable, user, 2 MiB */

	.section .text.head, "ax"
	.code32
	.globl	image_start
image_start:
	jmp	mb_entry

	.balign	4
mb_header:
	.long	MB_MAGIC
	.long	MB_FLAGS
	.long	-(MB_MAGIC + MB_FLAGS)
	.long	mb_header		/* header_addr */
	.long	image_start		/* load_addr */
	.long	__load_end		/* load_end_addr */
	.long	__image_end		/* bss_end_addr */
	.long	mb_entry		/* entry_addr */

mb_entry:
	cli
	cld
	movl	%eax, %edi		/* magic */
	movl	%ebx, %esi		/* multiboot information */
	lgdt	gdt_desc
	movl	$KERNEL_DS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	$boot_stack_top, %esp

	/* page tables: PML4 -> PDPT -> 4 page directories of 2 MiB pages */
	movl	$pgt_start, %ebx
	movl	%ebx, %edx
	xorl	%eax, %eax
0:	movl	%eax, (%edx)
	addl	$4, %edx
	cmpl	$pgt_end, %edx
	jb	0b
	leal	0x1000 + PTE_P_RW_US(%ebx), %eax	/* PML4[0] -> PDPT */
	movl	%eax, (%ebx)
	xorl	%ecx, %ecx
1:	leal	0x2000 + PTE_P_RW_US(%ebx), %eax	/* PDPT[i] -> PD i */
	movl	%ecx, %edx
	shll	$12, %edx
	addl	%edx, %eax
	movl	%eax, 0x1000(%ebx, %ecx, 8)
	incl	%ecx
	cmpl	$4, %ecx
	jb	1b
	xorl	%ecx, %ecx			/* 2048 PDEs, 2 MiB each */
2:	movl	%ecx, %eax
	shll	$21, %eax
	orl	$PDE_2M, %eax
	movl	%eax, 0x2000(%ebx, %ecx, 8)
	movl	%ecx, %eax
	shrl	$11, %eax			/* bits 32+ of the address */
	movl	%eax, 0x2004(%ebx, %ecx, 8)
	incl	%ecx
	cmpl	$2048, %ecx
	jb	2b

	movl	%ebx, %cr3
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$(CR0_PG | CR0_PE), %eax
	movl	%eax, %cr0
	ljmpl	$KERNEL_CS, $startup_64

	.code64
startup_64:
	movl	%esi, %r12d		/* multiboot information */
	movl	%edi, %r13d		/* magic */
	movq	$stack_top, %rsp

	/* .bss: zeroed by the loader, but be sure (not the page tables) */
	movq	$__bss_start, %rdi
	movq	$__bss_end, %rcx
3:	cmpq	%rcx, %rdi
	jae	4f
	movq	$0, (%rdi)
	addq	$8, %rdi
	jmp	3b
4:
	movl	$KERNEL_DS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs

	/* TSS: RSP0 for interrupts taken at CPL 3 */
	movq	$tss, %rax
	movw	%ax, gdt_tss + 2
	shrq	$16, %rax
	movb	%al, gdt_tss + 4
	movb	%ah, gdt_tss + 7
	shrq	$16, %rax
	movl	%eax, gdt_tss + 8
	movq	$rsp0_top, %rax
	movq	%rax, tss + 4
	movl	$TSS_SEL, %eax
	ltr	%ax

	movq	%r12, %rdi
	movq	%r13, %rsi
	call	guest_main
	movl	$DEBUG_EXIT_PORT, %edx
	outb	%al, %dx
5:	cli
	hlt
	jmp	5b

/*
 * uint64_t user_call(void (*fn)(void), uint64_t rcx, uint64_t rdx)
 *
 * Runs @fn at CPL 3 with interrupts off, RCX and RDX as given, on the
 * user stack.  It comes back through user_return(), which the interrupt
 * dispatcher calls for an exception or "int $0x81" taken at CPL 3: the
 * value returned is the one user_return() put in RAX.
 */
	.text
	.globl	user_call
user_call:
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, user_saved_rsp
	movq	%rsi, %rcx
	pushq	$USER_DS			/* SS */
	pushq	$user_stack_top			/* RSP */
	pushq	$0x2				/* RFLAGS: IF off */
	pushq	$USER_CS			/* CS */
	pushq	%rdi				/* RIP */
	iretq

	.globl	user_resume
user_resume:				/* at CPL 0, on user_saved_rsp */
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	ret

/*
 * uint64_t compat_vmcall(uint32_t ctl_lo, uint32_t ctl_hi, uint32_t in_lo,
 *                        uint32_t in_hi)
 *
 * VMCALL from 32-bit compatibility mode at CPL 0 (the x86 calling
 * convention: control in EDX:EAX, input GPA in EBX:ECX, output GPA in
 * EDI:ESI); returns EDX:EAX.  Runs with interrupts off.
 */
	.globl	compat_vmcall
compat_vmcall:
	pushq	%rbx
	pushq	%rbp
	pushfq
	cli
	movq	%rsp, %rbp
	movl	%edi, %eax
	movl	%ecx, %ebx
	movl	%edx, %ecx
	movl	%esi, %edx
	xorl	%edi, %edi
	xorl	%esi, %esi
	pushq	$COMPAT_CS
	pushq	$6f
	lretq
	.code32
6:	vmcall
	ljmpl	$KERNEL_CS, $7f
	.code64
7:	movq	%rbp, %rsp
	shlq	$32, %rdx
	movl	%eax, %eax
	orq	%rdx, %rax
	popfq
	popq	%rbp
	popq	%rbx
	ret

/*
 * One 16-byte stub per vector: push a zero error code where the CPU does
 * not push one, push the vector, go to the common path.
 */
	.balign	16
	.globl	isr_stubs
isr_stubs:
	.set	vec, 0
	.rept	256
	.balign	16
	/* #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP, #VC, #SX push one */
	.if	(vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || \
		(vec == 21) || (vec == 29) || (vec == 30)
	.else
	pushq	$0
	.endif
	pushq	$vec
	jmp	isr_common
	.set	vec, vec + 1
	.endr

isr_common:
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, %rdi
	cld
	call	isr_dispatch
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	addq	$16, %rsp
	iretq

	.data
	.balign	16
	.globl	gdt, gdt_desc
gdt:
	.quad	0
	.quad	0x00af9b000000ffff	/* 0x08: 64-bit code, DPL 0 */
	.quad	0x00cf93000000ffff	/* 0x10: data, DPL 0 */
	.quad	0x00cff3000000ffff	/* 0x18: data, DPL 3 */
	.quad	0x00affb000000ffff	/* 0x20: 64-bit code, DPL 3 */
	.quad	0x00cf9b000000ffff	/* 0x28: 32-bit code, DPL 0 */
gdt_tss:				/* 0x30: 64-bit TSS, filled in */
	.quad	0x0000890000000067
	.quad	0
gdt_end:
	.balign	8
	.word	0, 0, 0
gdt_desc:
	.word	gdt_end - gdt - 1
	.quad	gdt

	.balign	16
tss:
	.fill	104, 1, 0
	.globl	user_saved_rsp
user_saved_rsp:
	.quad	0

	.section .bss
	.balign	4096
	.globl	stack_bottom
stack_bottom:
	.skip	16384
stack_top:
	.skip	4096
rsp0_top:
	.skip	4096
user_stack_top:

	/* page tables and the 32-bit boot stack: outside .bss (not cleared) */
	.section .pgtables, "aw", @nobits
	.balign	4096
pgt_start:
	.skip	6 * 4096
pgt_end:
	.skip	1024
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
