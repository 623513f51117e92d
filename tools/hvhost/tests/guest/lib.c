// SPDX-License-Identifier: GPL-2.0
/*
 * hvhost micro-guest: freestanding library (string functions, printf to
 * COM1, IDT and interrupt dispatch, LAPIC timer waits, TAP output).
 */
#include "hvdefs.h"
#include "lib.h"

/* ---- strings ------------------------------------------------------- */

void *memset(void *d, int c, size_t n)
{
	uint8_t *p = d;

	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p < *q ? -1 : 1;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (uint8_t)*a < (uint8_t)*b ? -1 : 1;
		if (!*a)
			return 0;
	}
	return 0;
}

/* ---- formatted output ---------------------------------------------- */

struct out {
	char *buf;
	size_t size, len;
};

static void out_c(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void out_num(struct out *o, uint64_t v, unsigned int base, bool neg,
		    int width, char pad)
{
	char tmp[24];
	int n = 0;

	do {
		unsigned int d = (unsigned int)(v % base);

		tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v /= base;
	} while (v);
	if (neg)
		tmp[n++] = '-';
	while (width-- > n)
		out_c(o, pad);
	while (n)
		out_c(o, tmp[--n]);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		int width = 0, lng = 0;
		char pad = ' ';
		uint64_t u;
		int64_t s;
		const char *str;

		if (*fmt != '%') {
			out_c(&o, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 'd':
		case 'i':
			s = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			out_num(&o, s < 0 ? (uint64_t)-s : (uint64_t)s, 10,
				s < 0, width, pad);
			break;
		case 'u':
		case 'x':
			u = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned int);
			out_num(&o, u, *fmt == 'u' ? 10 : 16, false, width, pad);
			break;
		case 'p':
			out_c(&o, '0');
			out_c(&o, 'x');
			out_num(&o, (uintptr_t)va_arg(ap, void *), 16, false,
				width, pad);
			break;
		case 'c':
			out_c(&o, (char)va_arg(ap, int));
			break;
		case 's':
			str = va_arg(ap, const char *);
			if (!str)
				str = "(null)";
			for (int n = (int)strlen(str); width > n; width--)
				out_c(&o, ' ');
			while (*str)
				out_c(&o, *str++);
			break;
		case '%':
			out_c(&o, '%');
			break;
		default:
			out_c(&o, '?');
			if (!*fmt)
				fmt--;
			break;
		}
	}
	if (o.size)
		o.buf[o.len < o.size ? o.len : o.size - 1] = 0;
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void console_write(const char *s)
{
	for (; *s; s++) {
		/* wait for an empty transmit holding register */
		for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
			;
		outb(COM1, (uint8_t)*s);
	}
}

static void vprintf_(const char *fmt, va_list ap)
{
	char buf[768];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	console_write(buf);
}

void printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf_(fmt, ap);
	va_end(ap);
}

/* ---- TAP ----------------------------------------------------------- */

int tap_count, tap_failed;

static void tap_line(const char *status, const char *suffix, const char *fmt,
		     va_list ap)
{
	char desc[512];

	vsnprintf(desc, sizeof(desc), fmt, ap);
	printf("%s %d - %s%s\n", status, ++tap_count, desc, suffix);
}

void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_line(ok ? "ok" : "not ok", "", fmt, ap);
	va_end(ap);
	if (!ok)
		tap_failed++;
}

void tap_skip(const char *why, const char *fmt, ...)
{
	char desc[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	printf("ok %d - %s # SKIP %s\n", ++tap_count, desc, why);
}

void diag(const char *fmt, ...)
{
	va_list ap;

	console_write("# ");
	va_start(ap, fmt);
	vprintf_(fmt, ap);
	va_end(ap);
	console_write("\n");
}

void bail_out(const char *fmt, ...)
{
	va_list ap;

	console_write("Bail out! ");
	va_start(ap, fmt);
	vprintf_(fmt, ap);
	va_end(ap);
	console_write("\n");
	for (;;) {
		outb(DEBUG_EXIT, EXIT_BAIL);
		asm volatile("cli; hlt");
	}
}

/* ---- MSRs that may fault ------------------------------------------- */

static volatile int gp_expect;
static volatile uint32_t gp_count;

int rdmsr_safe(uint32_t msr, uint64_t *v)
{
	uint32_t lo = 0, hi = 0, before = gp_count;

	gp_expect = 1;
	asm volatile("rdmsr" : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
	gp_expect = 0;
	if (gp_count != before)
		return -1;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

int wrmsr_safe(uint32_t msr, uint64_t v)
{
	uint32_t before = gp_count;

	gp_expect = 1;
	asm volatile("wrmsr"
		     : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
		     : "memory");
	gp_expect = 0;
	return gp_count != before ? -1 : 0;
}

/* ---- VMCALL that may raise #UD ------------------------------------- */

static volatile int ud_expect;
static volatile uint32_t ud_count;

int vmcall_safe(uint64_t control, uint64_t in, uint64_t out,
		uint64_t *status)
{
	register uint64_t r8 asm("r8") = out;
	uint64_t rax = ~0ull;
	uint32_t before = ud_count;

	ud_expect = 1;
	asm volatile("vmcall"
		     : "+a"(rax), "+c"(control), "+d"(in), "+r"(r8)
		     : : "memory", "cc", "r9", "r10", "r11");
	ud_expect = 0;
	if (ud_count != before)
		return -1;
	*status = rax;
	return 0;
}

/* ---- IDT and interrupt dispatch ------------------------------------ */

volatile uint64_t user_rax;

struct idt_gate {
	uint16_t off0;
	uint16_t sel;
	uint8_t ist;
	uint8_t type;
	uint16_t off1;
	uint32_t off2;
	uint32_t zero;
} __attribute__((packed));

static struct idt_gate idt[256] __attribute__((aligned(16)));

volatile uint32_t irq_count[256];
volatile uint64_t irq_time[256];
volatile uint64_t periodic_times[32];
volatile uint8_t irq_cpu[256];
void (*volatile sint3_hook)(void);

static struct {
	uint16_t pad[3];
	uint16_t limit;
	uint64_t base;
} __attribute__((packed, aligned(8))) idt_desc;

void idt_load(void)
{
	asm volatile("lidt %0" : : "m"(idt_desc.limit) : "memory");
}

void idt_init(void)
{
	for (int i = 0; i < 256; i++) {
		uint64_t a = (uint64_t)(uintptr_t)isr_stubs + 16 * (uint64_t)i;

		idt[i].off0 = (uint16_t)a;
		idt[i].sel = 0x08;
		idt[i].ist = 0;
		/* present, DPL 0 (DPL 3 for int $0x81), 64-bit interrupt gate */
		idt[i].type = i == VEC_USER_EXIT ? 0xee : 0x8e;
		idt[i].off1 = (uint16_t)(a >> 16);
		idt[i].off2 = (uint32_t)(a >> 32);
		idt[i].zero = 0;
	}
	idt_desc.limit = sizeof(idt) - 1;
	idt_desc.base = (uint64_t)(uintptr_t)idt;
	idt_load();
}

void isr_dispatch(struct irq_frame *f);
void isr_dispatch(struct irq_frame *f)
{
	uint64_t v = f->vector;
	uint32_t n;

	if ((f->cs & 3) == 3) {
		/* CPL 3 code ends: back to user_call's caller at CPL 0 */
		if (!user_saved_rsp)
			bail_out("vector %lu at CPL 3, rip 0x%lx", v, f->rip);
		user_rax = f->rax;
		f->rax = v;
		f->rip = (uint64_t)(uintptr_t)user_resume;
		f->cs = 0x08;
		f->ss = 0x10;
		f->rsp = user_saved_rsp;
		f->rflags = 0x2;
		user_saved_rsp = 0;
		return;
	}
	if (v < 32) {
		const uint8_t *ip = (const uint8_t *)(uintptr_t)f->rip;

		/* #GP from rdmsr_safe/wrmsr_safe: skip the 2-byte insn */
		if (v == 13 && gp_expect && ip[0] == 0x0f &&
		    (ip[1] == 0x30 || ip[1] == 0x32)) {
			gp_count++;
			f->rip += 2;
			return;
		}
		/* #UD from vmcall_safe: skip the 3-byte VMCALL */
		if (v == 6 && ud_expect && ip[0] == 0x0f && ip[1] == 0x01 &&
		    ip[2] == 0xc1) {
			ud_count++;
			f->rip += 3;
			return;
		}
		bail_out("exception %lu error 0x%lx at rip 0x%lx (rcx 0x%lx)",
			 v, f->error, f->rip, f->rcx);
	}
	if (v == VEC_SPURIOUS) {
		irq_count[v]++;
		return;
	}
	/*
	 * Another vCPU may be waiting for the count: record where and when
	 * first, then publish the count (x86 keeps stores in order).
	 */
	n = irq_count[v];
	irq_cpu[v] = (uint8_t)(lapic_read(LAPIC_ID) >> 24);
	if (v == VEC_STIMER || v == VEC_STIMER_P || v == VEC_SINT3 ||
	    v == VEC_AP_STIMER)
		irq_time[v] = ref_now();
	if (v == VEC_STIMER_P && n < ARRAY_SIZE(periodic_times))
		periodic_times[n] = irq_time[v];
	if (v == VEC_SINT3 && sint3_hook)
		sint3_hook();
	asm volatile("" : : : "memory");
	irq_count[v] = n + 1;
	lapic_write(LAPIC_EOI, 0);
}

/* ---- LAPIC --------------------------------------------------------- */

void lapic_init(void)
{
	/* mask the legacy PICs: only the LAPIC delivers to us */
	if (!(lapic_read(LAPIC_ID) >> 24)) {
		outb(0x21, 0xff);
		outb(0xa1, 0xff);
	}
	lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT1, LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
	lapic_write(LAPIC_TIMER_DCR, 0xb);	/* divide by 1 */
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TICK);
}

void idle_ns(uint64_t ns)
{
	/* QEMU's LAPIC timer counts at 1 GHz with divide-by-1 */
	if (ns < 10000)
		ns = 10000;
	if (ns > 0xffffffffull)
		ns = 0xffffffffull;
	lapic_write(LAPIC_LVT_TIMER, VEC_TICK);
	lapic_write(LAPIC_TIMER_ICR, (uint32_t)ns);
	asm volatile("sti; hlt; cli" : : : "memory");
}

#define WAIT_TICK_NS	5000000ull	/* 5 ms */

bool wait_count(volatile uint32_t *ctr, uint32_t target, uint64_t timeout)
{
	uint64_t end = ref_now() + timeout;

	while (*ctr < target) {
		uint64_t t = ref_now(), ns;

		if (t >= end)
			return *ctr >= target;
		ns = (end - t) * 100;
		idle_ns(ns < WAIT_TICK_NS ? ns : WAIT_TICK_NS);
	}
	return true;
}

bool wait_cond(bool (*cond)(void *), void *arg, uint64_t timeout)
{
	uint64_t end = ref_now() + timeout;

	while (!cond(arg)) {
		uint64_t t = ref_now(), ns;

		if (t >= end)
			return cond(arg);
		ns = (end - t) * 100;
		idle_ns(ns < WAIT_TICK_NS ? ns : WAIT_TICK_NS);
	}
	return true;
}

void delay_ref(uint64_t units)
{
	uint64_t end = ref_now() + units;

	for (;;) {
		uint64_t t = ref_now(), ns;

		if (t >= end)
			return;
		ns = (end - t) * 100;
		idle_ns(ns < WAIT_TICK_NS ? ns : WAIT_TICK_NS);
	}
}

uint64_t hypercall_via(void *page, uint64_t control, uint64_t in, uint64_t out)
{
	register uint64_t r8 asm("r8") = out;
	uint64_t status;

	asm volatile("call *%[pg]"
		     : "=a"(status), "+c"(control), "+d"(in), "+r"(r8)
		     : [pg] "r"(page)
		     : "memory", "cc", "r9", "r10", "r11");
	return status;
}
