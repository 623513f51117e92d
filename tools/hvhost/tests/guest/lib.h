/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvhost micro-guest: freestanding helpers (port I/O, MSRs, CPUID, the
 * LAPIC, console output, TAP reporting).
 */
#ifndef HVTEST_LIB_H
#define HVTEST_LIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COM1		0x3f8
/* QEMU's isa-debug-exit: QEMU exits with status (value << 1) | 1 */
#define DEBUG_EXIT	0xf4
#define EXIT_PASS	0	/* status 1 */
#define EXIT_FAIL	1	/* status 3 */
#define EXIT_BAIL	2	/* status 5 */

/* Interrupt vectors the tests use */
#define VEC_TICK	0x40	/* LAPIC timer: bounded waits */
#define VEC_SINT2	0x50	/* host messages and events */
#define VEC_SINT3	0x58	/* timer messages */
#define VEC_SINT4	0x54	/* masked, then unmasked */
#define VEC_SINT5	0x55	/* polling: must never fire */
#define VEC_SINT6	0x56	/* timer messages left in the slot */
#define VEC_SINT7	0x57	/* the host message queue */
#define VEC_STIMER	0x60	/* stimer direct one-shot */
#define VEC_STIMER_P	0x68	/* stimer direct periodic */
#define VEC_AP_SINT2	0x70	/* the AP's host messages and events */
#define VEC_AP_STIMER	0x78	/* the AP's stimer */
#define VEC_USER_EXIT	0x81	/* "int $0x81": CPL 3 code is done */
#define VEC_SPURIOUS	0xff

/* LAPIC (xAPIC MMIO) registers */
#define LAPIC_BASE	0xfee00000ul
#define LAPIC_ID	0x020
#define LAPIC_EOI	0x0b0
#define LAPIC_ICR_LO	0x300
#define LAPIC_ICR_HI	0x310
#define LAPIC_SVR	0x0f0
#define LAPIC_LVT_TIMER	0x320
#define LAPIC_LVT_LINT0	0x350
#define LAPIC_LVT_LINT1	0x360
#define LAPIC_LVT_ERROR	0x370
#define LAPIC_TIMER_ICR	0x380
#define LAPIC_TIMER_CCR	0x390
#define LAPIC_TIMER_DCR	0x3e0
#define LVT_MASKED	(1u << 16)

#define MSR_APIC_BASE	0x1b

#define PAGE_SIZE	4096
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void outw(uint16_t port, uint16_t v)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline void cpuid(uint32_t leaf, uint32_t r[4])
{
	asm volatile("cpuid"
		     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
		     : "a"(leaf), "c"(0));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
	return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr"
		     : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
		     : "memory");
}

static inline void mb(void)
{
	asm volatile("lock; orl $0, (%%rsp)" : : : "memory", "cc");
}

static inline uint32_t lapic_read(uint32_t reg)
{
	return *(volatile uint32_t *)(LAPIC_BASE + reg);
}

static inline void lapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(LAPIC_BASE + reg) = v;
}

/* entry.S */
extern char isr_stubs[];
/*
 * Run @fn at CPL 3 (interrupts off) with RCX and RDX set; it ends with an
 * exception or "int $0x81".  Returns the vector that ended it; RAX at that
 * point is in user_rax.
 */
uint64_t user_call(void (*fn)(void), uint64_t rcx, uint64_t rdx);
extern void user_resume(void);
extern uint64_t user_saved_rsp;
extern volatile uint64_t user_rax;
/* VMCALL from 32-bit compatibility mode (x86 convention): EDX:EAX */
uint64_t compat_vmcall(uint32_t ctl_lo, uint32_t ctl_hi, uint32_t in_lo,
		       uint32_t in_hi);
/* ap.S: real-mode trampoline, copied below 1 MiB before the SIPI */
extern char ap_tramp_start[], ap_tramp_end[], ap_tramp_cr3[];
extern char image_start[], __bss_start[], __bss_end[], __image_end[];

/* lib.c */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void console_write(const char *s);

/* Safe MSR access: 0, or -1 if the instruction raised #GP */
int rdmsr_safe(uint32_t msr, uint64_t *v);
int wrmsr_safe(uint32_t msr, uint64_t v);
/* Hypercall through the hypercall page @page (64-bit convention): status */
uint64_t hypercall_via(void *page, uint64_t control, uint64_t in, uint64_t out);
/* VMCALL (64-bit convention): 0 and *status, or -1 if it raised #UD */
int vmcall_safe(uint64_t control, uint64_t in, uint64_t out,
		uint64_t *status);

/* Interrupts */
struct irq_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

extern volatile uint32_t irq_count[256];
extern volatile uint64_t irq_time[256];	/* TIME_REF_COUNT at the last one */
extern volatile uint8_t irq_cpu[256];	/* LAPIC id that took the last one */
/* TIME_REF_COUNT at each of the first VEC_STIMER_P interrupts */
extern volatile uint64_t periodic_times[32];
void idt_init(void);	/* build and load (BSP) */
void idt_load(void);	/* load the built IDT (APs) */
void lapic_init(void);
/* Handler hook for SINT3 timer messages (set by the tests) */
extern void (*volatile sint3_hook)(void);

/* Time: partition reference time (100 ns) and bounded waits */
static inline uint64_t ref_now(void)
{
	return rdmsr(0x40000020u);
}
/* Sleep in sti;hlt with a LAPIC one-shot as the backstop, at most @ns */
void idle_ns(uint64_t ns);
/* Wait until *@ctr >= @target or @timeout (100 ns units) elapsed */
bool wait_count(volatile uint32_t *ctr, uint32_t target, uint64_t timeout);
/* Wait until @cond(@arg) or @timeout elapsed */
bool wait_cond(bool (*cond)(void *), void *arg, uint64_t timeout);
void delay_ref(uint64_t units);

/* TAP */
extern int tap_count, tap_failed;
void tap(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tap_skip(const char *why, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bail_out(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#endif
