/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvhost micro-guest: entry point and interrupt stubs.
 *
 * hvhost enters startup_64 (load address + 0x200) in long mode with the
 * low 4 GiB identity mapped and RSI = boot_params.  We switch to our own
 * GDT and stack, clear .bss and call guest_main(boot_params, as_bzimage);
 * its return value is written to the debug-exit port.
 */
#define KERNEL_CS	0x08
#define KERNEL_DS	0x10
#define DEBUG_EXIT_PORT	0x501

	.section .text.head, "ax"
	.code64
	.globl	image_start
image_start:
	/* bytes 0x000-0x1ff: never executed */
	.fill	0x200, 1, 0xf4

	.globl	startup_64
startup_64:
	cli
	cld
	movq	%rsi, %r12
	movq	$stack_top, %rsp

	/*
	 * Loaded as a bzImage, the protected-mode part (our binary, then the
	 * gzipped ELF payload) was copied as a whole: the gzip magic sits at
	 * load address + payload_offset.  hvhost's vmlinux path loads only
	 * the ELF segments, where that address is zeroed .bss.
	 */
	xorl	%r13d, %r13d
	movl	0x248(%rsi), %eax		/* payload_offset */
	addq	$image_start, %rax
	cmpw	$0x8b1f, (%rax)
	jne	0f
	movl	$1, %r13d
0:

	/* .bss may hold bytes the bzImage loader copied there */
	movq	$__bss_start, %rdi
	movq	$__bss_end, %rcx
1:	cmpq	%rcx, %rdi
	jae	2f
	movq	$0, (%rdi)
	addq	$8, %rdi
	jmp	1b
2:
	lgdt	gdt_desc
	movl	$KERNEL_DS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	pushq	$KERNEL_CS
	pushq	$3f
	lretq
3:
	movq	%r12, %rdi
	movq	%r13, %rsi
	call	guest_main
	movl	$DEBUG_EXIT_PORT, %edx
	outb	%al, %dx
4:	cli
	hlt
	jmp	4b

/*
 * One 16-byte stub per vector: push a zero error code where the CPU does
 * not push one, push the vector, go to the common path.
 */
	.text
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

	.section .rodata
	.balign	16
gdt:
	.quad	0
	.quad	0x00af9b000000ffff	/* 0x08: 64-bit code, DPL 0 */
	.quad	0x00cf93000000ffff	/* 0x10: data */
gdt_end:
	.balign	8
	.word	0, 0, 0
gdt_desc:
	.word	gdt_end - gdt - 1
	.quad	gdt

	.section .bss
	.balign	4096
	.globl	stack_bottom
stack_bottom:
	.skip	16384
stack_top:

	.section .note.GNU-stack, "", @progbits
