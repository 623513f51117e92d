// SPDX-License-Identifier: GPL-2.0
/*
 * hvhost micro-guest: end-to-end tests of hvhost's Hyper-V partition
 * interface (QEMU under TCG: target/i386/tcg/system/hyperv.c and
 * hyperv-cpuid.c in tools/hvhost/qemu/) from inside a guest: CPUID, the
 * synthetic MSRs, VMCALL hypercalls, SynIC messages and event flags
 * (posted by QEMU's hw/hyperv and the hv-synic-test injector), synthetic
 * timers, reference time and the TSC page, crash MSRs, a second vCPU.
 *
 * Options come from the multiboot command line (QEMU's -append):
 *   hvtest.mode=MODE            main (default): every test;
 *                               crash: the crash MSRs, then a crash
 *                               notification (QEMU reports GUEST_PANICKED);
 *                               hvreset: HV_X64_MSR_RESET (QEMU resets);
 *                               vmbus: the VMBus tests (vmbus.c)
 *   hvtest.host=PROFILE         the hv-profile, to check CPUID against
 *   hvtest.cpus=N               the -smp value
 *   hvtest.mem=MIB              the -m value (memory map check)
 *   hvtest.vmbusdev=DEV         vmbus mode: the channel under test,
 *                               heartbeat (hv-heartbeat, default) or
 *                               balloon (hv-balloon)
 *   hvtest.vmbustest=TEST       vmbus mode: basic (default), mnf,
 *                               hotplug (needs the runner), modify,
 *                               subchannels, echo (both need the runner)
 *   hvtest.runner=1             tests/guest/run.sh serves "HVTEST-HOST"
 *                               lines: each ';'-separated command becomes
 *                               a qom-set/qom-get on the hv-synic-test
 *                               object over QMP (a "!command" must be
 *                               refused by QEMU); see README.md
 *
 * Output: TAP on COM1; the result goes to QEMU's isa-debug-exit port
 * (EXIT_PASS: all passed).
 */
#include "ap.h"
#include "hvdefs.h"
#include "lib.h"
#include "vmbus.h"

/* Multiboot (v1) information */
#define MB_BOOT_MAGIC		0x2badb002u
#define MBI_FLAGS		0
#define MBI_CMDLINE		16
#define MBI_MMAP_LENGTH		44
#define MBI_MMAP_ADDR		48
#define MBI_F_CMDLINE		(1u << 2)
#define MBI_F_MMAP		(1u << 6)
#define E820_RAM		1

/* ACPI */
#define FADT_DSDT		40
#define FADT_PM_TMR_BLK		76
#define FADT_FLAGS		112
#define FADT_TMR_VAL_EXT	(1u << 8)
#define FADT_X_DSDT		140
#define PM_TIMER_HZ		((uint64_t)3579545)

#define REF_HZ			((uint64_t)10000000)	/* TIME_REF_COUNT: 100 ns */
#define MS			((uint64_t)10000)	/* 1 ms in 100 ns units */
#define HOST_WAIT		(10000 * MS)	/* the runner answers in < 10 s */

/* HvPostMessage's payload limit, and a connection id hvhost never
 * registers */
#define MSG_PAYLOAD_MAX		240
#define BOGUS_CONNECTION	0xabcdeu
/* Not guest RAM with -m 512 (nor with any -m up to 2047 MiB) */
#define BAD_GPA			((uint64_t)0x7ff00000)

/* HV_X64_MSR_VP_RUNTIME, HV_X64_MSR_RESET, VP assist page; CRASH_CTL bits */
#define MSR_RESET		0x40000003u
#define MSR_VP_RUNTIME		0x40000010u
#define MSR_VP_ASSIST_PAGE	0x40000073u
#define CRASH_CTL_NOTIFY	(1ull << 63)
#define CRASH_CTL_NOTIFY_MSG	(1ull << 62)
/* hypercall input value: variable header size, rep count */
#define HC_VARHEAD(n)		((uint64_t)(n) << 17)
#define HC_REP_COUNT(n)		((uint64_t)(n) << 32)

static uint8_t hc_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t hc_input[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t simp[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t siefp[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t tsc_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t tsc_page2[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t assist_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

/* What each hv-profile shows (Windows Server releases, TLFS) */
struct profile {
	const char *name;
	uint32_t build;
	uint16_t major, minor;
	bool ref_tsc;		/* reference TSC page: WS2012 R2 (TLFS 4.0) */
	bool crash;		/* guest crash MSRs: WS2012 R2 */
	bool direct;		/* stimer direct mode: WS2016 (TLFS 5.0) */
	bool freq;		/* TSC/APIC frequency MSRs: WS2016 */
	bool crash_msg;		/* CRASH_CTL crash message: WS2019 */
};

static const struct profile profiles[] = {
	{ "ws2008",    6001,  6, 0, false, false, false, false, false },
	{ "ws2008r2",  7600,  6, 1, false, false, false, false, false },
	{ "ws2012",    9200,  6, 2, false, false, false, false, false },
	{ "ws2012r2",  9600,  6, 3, true,  true,  false, false, false },
	{ "ws2016",    14393, 10, 0, true, true,  true,  true,  false },
	{ "ws2019",    17763, 10, 0, true, true,  true,  true,  true },
	{ "ws2022",    20348, 10, 0, true, true,  true,  true,  true },
	{ "ws2025",    26100, 10, 0, true, true,  true,  true,  true },
};

static struct {
	const char *mode;
	const struct profile *prof;
	int cpus;
	uint64_t mem_mib;
	bool runner;
	const char *cmdline;
} cfg;

/* Hypervisor features (CPUID 0x40000003) */
static uint32_t feat[4];
#define HAS_REF_TSC	(feat[0] & F_REF_TSC)
#define HAS_DIRECT	(feat[3] & F_STIMER_DIRECT)
#define HAS_FREQ	((feat[0] & F_FREQ_MSRS) && (feat[3] & F_FREQ_MSRS_EDX))
#define HAS_CRASH	(feat[3] & F_CRASH_MSRS)

/* ACPI facts the tests use */
static struct {
	uint16_t pm_tmr;
	uint32_t pm_mask;	/* 24- or 32-bit PM timer */
} acpi;

static inline uint8_t rd8(const void *base, size_t off)
{
	return *(const volatile uint8_t *)((const uint8_t *)base + off);
}

static inline uint32_t rd32(const void *base, size_t off)
{
	return *(const volatile uint32_t *)((const uint8_t *)base + off);
}

static inline uint64_t rd64(const void *base, size_t off)
{
	return *(const volatile uint64_t *)((const uint8_t *)base + off);
}

static inline void wr32(void *base, size_t off, uint32_t v)
{
	*(volatile uint32_t *)((uint8_t *)base + off) = v;
}

static inline void wr64(void *base, size_t off, uint64_t v)
{
	*(volatile uint64_t *)((uint8_t *)base + off) = v;
}

static uint64_t mul_hi(uint64_t a, uint64_t b)
{
	return (uint64_t)(((unsigned __int128)a * b) >> 64);
}

static uint64_t absdiff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

/* |measured - expected| <= expected * pct / 100 */
static bool within_pct(uint64_t measured, uint64_t expected, uint64_t pct)
{
	return absdiff(measured, expected) * 100 <= expected * pct;
}

/* ---- command line -------------------------------------------------- */

static const char *opt_value(const char *name)
{
	static char val[64];
	size_t n = strlen(name);
	const char *p = cfg.cmdline;

	while (p && *p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, name, n) && p[n] == '=') {
			size_t i = 0;

			p += n + 1;
			while (*p && *p != ' ' && i < sizeof(val) - 1)
				val[i++] = *p++;
			val[i] = 0;
			return val;
		}
		while (*p && *p != ' ')
			p++;
	}
	return NULL;
}

static uint64_t parse_u64(const char *s, uint64_t dflt)
{
	uint64_t v = 0;

	if (!s || !*s)
		return dflt;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return dflt;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	return v;
}

static void parse_options(const uint8_t *mbi, uint32_t magic)
{
	static char mode[16];
	const char *v;

	cfg.cmdline = "";
	if (magic == MB_BOOT_MAGIC && (rd32(mbi, MBI_FLAGS) & MBI_F_CMDLINE) &&
	    rd32(mbi, MBI_CMDLINE))
		cfg.cmdline = (const char *)(uintptr_t)rd32(mbi, MBI_CMDLINE);
	v = opt_value("hvtest.mode");
	cfg.mode = "main";
	if (v && strlen(v) < sizeof(mode)) {
		memcpy(mode, v, strlen(v) + 1);
		cfg.mode = mode;
	}
	v = opt_value("hvtest.host");
	for (size_t i = 0; v && i < ARRAY_SIZE(profiles); i++)
		if (!strncmp(v, profiles[i].name, 16))
			cfg.prof = &profiles[i];
	cfg.cpus = (int)parse_u64(opt_value("hvtest.cpus"), 1);
	cfg.mem_mib = parse_u64(opt_value("hvtest.mem"), 0);
	cfg.runner = parse_u64(opt_value("hvtest.runner"), 0) == 1;
}

/* ---- boot (multiboot) and ACPI ------------------------------------- */

static void test_boot(const uint8_t *mbi, uint32_t magic)
{
	uint32_t flags = magic == MB_BOOT_MAGIC ? rd32(mbi, MBI_FLAGS) : 0;
	uint64_t ram = 0, img = (uintptr_t)image_start;
	uint64_t end = (uintptr_t)__image_end;
	bool covers_image = false, bad_is_ram = false;
	uint32_t n = 0;

	diag("command line: %s", cfg.cmdline);
	tap(magic == MB_BOOT_MAGIC && opt_value("hvtest.mode"),
	    "multiboot: entered with the boot magic, command line from -append");

	if (flags & MBI_F_MMAP) {
		uint32_t off = 0, len = rd32(mbi, MBI_MMAP_LENGTH);
		const uint8_t *mm = (const uint8_t *)(uintptr_t)rd32(mbi,
								     MBI_MMAP_ADDR);

		/* entries: u32 size (of the rest), u64 base, u64 length, u32 type */
		while (off + 24 <= len && n < 128) {
			const uint8_t *e = mm + off;
			uint64_t addr = rd64(e, 4), size = rd64(e, 12);

			n++;
			off += rd32(e, 0) + 4;
			if (rd32(e, 20) != E820_RAM)
				continue;
			ram += size;
			if (addr <= img && addr + size >= end)
				covers_image = true;
			if (addr < BAD_GPA + PAGE_SIZE && addr + size > BAD_GPA)
				bad_is_ram = true;
		}
	}
	if (cfg.mem_mib)
		tap(n > 0 && covers_image && !bad_is_ram &&
		    ram <= cfg.mem_mib << 20 &&
		    ram >= (cfg.mem_mib << 20) - (4ull << 20),
		    "multiboot: memory map (%u entries) has %lu KiB RAM of %lu MiB, image covered, 0x%lx not RAM",
		    n, ram >> 10, cfg.mem_mib, BAD_GPA);
	else
		tap(n > 0 && covers_image && !bad_is_ram,
		    "multiboot: memory map (%u entries), image covered, 0x%lx not RAM",
		    n, BAD_GPA);
}

static bool acpi_checksum(const void *p, size_t len)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + rd8(p, i));
	return sum == 0;
}

/* A table header at @addr with a sane length and a good checksum */
static const uint8_t *acpi_table(uint64_t addr, const char *sig)
{
	const uint8_t *t = (const uint8_t *)(uintptr_t)addr;
	uint32_t len;

	if (!addr || addr >= 0x100000000ull)
		return NULL;
	len = rd32(t, 4);
	if (len < 36 || len > 0x100000 || !acpi_checksum(t, len))
		return NULL;
	if (sig && memcmp(t, sig, 4))
		return NULL;
	return t;
}

/* The firmware's RSDP: in the EBDA's first KiB or in 0xe0000-0xfffff */
static const uint8_t *find_rsdp(void)
{
	uintptr_t bda = 0x40e;
	uint64_t ebda;

	asm("" : "+r"(bda));	/* a BIOS data area address, not a null pointer */
	ebda = (uint64_t)*(volatile uint16_t *)bda << 4;
	uint64_t ranges[2][2] = { { 0, 0 }, { 0xe0000, 0x100000 } };

	ranges[0][0] = ebda;
	ranges[0][1] = ebda + 1024;
	for (int r = 0; r < 2; r++) {
		if (!ranges[r][0])
			continue;
		for (uint64_t a = ranges[r][0]; a + 20 <= ranges[r][1]; a += 16) {
			const uint8_t *p = (const uint8_t *)(uintptr_t)a;

			if (!memcmp(p, "RSD PTR ", 8) && acpi_checksum(p, 20))
				return p;
		}
	}
	return NULL;
}

/* The IRQ of the VMBus device: _HID "VMBus", then the IRQ descriptor of
 * the _CRS buffer that follows it (IRQNoFlags, one bit set) */
static int dsdt_vmbus_irq(const uint8_t *dsdt)
{
	uint32_t len = rd32(dsdt, 4);

	for (uint32_t i = 36; i + 6 < len; i++) {
		if (memcmp(dsdt + i, "VMBus", 6))
			continue;
		for (uint32_t j = i + 6; j + 4 < len && j < i + 256; j++) {
			if (memcmp(dsdt + j, "_CRS", 4))
				continue;
			for (uint32_t k = j + 4; k + 3 < len && k < j + 16; k++) {
				uint16_t mask;

				if (dsdt[k] != 0x22)	/* IRQNoFlags */
					continue;
				mask = (uint16_t)(dsdt[k + 1] | dsdt[k + 2] << 8);
				for (int irq = 0; irq < 16; irq++)
					if (mask == 1u << irq)
						return irq;
			}
		}
	}
	return -1;
}

/*
 * The tables are QEMU's; what matters here is the VMBus device (the IRQ
 * hyperv-ic's hv_vmbus requests) and the PM timer the rate tests use.
 */
static void test_acpi(void)
{
	const uint8_t *rsdp = find_rsdp(), *root = NULL, *fadt = NULL;
	const uint8_t *dsdt = NULL;
	bool xsdt = false;
	int irq = -1;

	if (rsdp && rd8(rsdp, 15) >= 2 && rd64(rsdp, 24)) {
		root = acpi_table(rd64(rsdp, 24), "XSDT");
		xsdt = root != NULL;
	}
	if (!root && rsdp)
		root = acpi_table(rd32(rsdp, 16), "RSDT");
	if (root) {
		uint32_t esz = xsdt ? 8 : 4, n = (rd32(root, 4) - 36) / esz;

		for (uint32_t i = 0; i < n && !fadt; i++)
			fadt = acpi_table(xsdt ? rd64(root, 36 + 8 * i) :
					  rd32(root, 36 + 4 * i), "FACP");
	}
	if (fadt) {
		uint64_t d = rd32(fadt, 4) >= FADT_X_DSDT + 8 ?
			     rd64(fadt, FADT_X_DSDT) : 0;

		if (!d)
			d = rd32(fadt, FADT_DSDT);
		dsdt = acpi_table(d, "DSDT");
		acpi.pm_tmr = (uint16_t)rd32(fadt, FADT_PM_TMR_BLK);
		acpi.pm_mask = rd32(fadt, FADT_FLAGS) & FADT_TMR_VAL_EXT ?
			       0xffffffffu : 0xffffffu;
	}
	if (dsdt)
		irq = dsdt_vmbus_irq(dsdt);
	diag("ACPI: RSDP %p, %s %p, FADT %p (PM timer 0x%x), DSDT %p",
	     rsdp, xsdt ? "XSDT" : "RSDT", root, fadt, acpi.pm_tmr, dsdt);
	tap(irq == 7,
	    "ACPI: DSDT has the \"VMBus\" device with IRQ %d in _CRS (want 7)",
	    irq);
}

/* ---- CPUID --------------------------------------------------------- */

static void test_cpuid(void)
{
	uint32_t r[4], max;
	char vendor[13];
	const struct profile *p = cfg.prof;
	const uint32_t base_eax = F_TIME_REF_COUNT | F_SYNIC | F_SYNTIMER |
				  F_HYPERCALL | F_VP_INDEX;
	const uint32_t base_ebx = F_POST_MESSAGES | F_SIGNAL_EVENTS;

	cpuid(1, r);
	tap(r[2] & (1u << 31), "CPUID 1: hypervisor-present bit");

	cpuid(CPUID_HV_VENDOR, r);
	max = r[0];
	memcpy(vendor, &r[1], 4);
	memcpy(vendor + 4, &r[2], 4);
	memcpy(vendor + 8, &r[3], 4);
	vendor[12] = 0;
	tap(!memcmp(vendor, "Microsoft Hv", 12) && max >= CPUID_HV_LIMITS &&
	    max <= 0x400000ffu,
	    "CPUID 0x40000000: \"%s\", max leaf 0x%x", vendor, max);

	cpuid(CPUID_HV_INTERFACE, r);
	tap(r[0] == 0x31237648u, "CPUID 0x40000001: interface 0x%x (\"Hv#1\")",
	    r[0]);

	cpuid(CPUID_HV_VERSION, r);
	if (p)
		tap(r[0] == p->build && r[1] >> 16 == p->major &&
		    (r[1] & 0xffff) == p->minor,
		    "CPUID 0x40000002: build %u version %u.%u (%s)", r[0],
		    r[1] >> 16, r[1] & 0xffff, p->name);
	else
		tap_skip("no hvtest.host", "CPUID 0x40000002: build %u", r[0]);

	cpuid(CPUID_HV_FEATURES, feat);
	diag("CPUID 0x40000003: eax 0x%x ebx 0x%x ecx 0x%x edx 0x%x",
	     feat[0], feat[1], feat[2], feat[3]);
	tap((feat[0] & base_eax) == base_eax && (feat[1] & base_ebx) == base_ebx,
	    "CPUID 0x40000003: SynIC, stimers, hypercalls, VP index, reference counter, post/signal");
	if (p) {
		tap(!HAS_REF_TSC == !p->ref_tsc,
		    "CPUID 0x40000003: reference TSC page %s (%s)",
		    HAS_REF_TSC ? "offered" : "not offered", p->name);
		tap(!HAS_DIRECT == !p->direct,
		    "CPUID 0x40000003: stimer direct mode %s (%s)",
		    HAS_DIRECT ? "offered" : "not offered", p->name);
		tap(!HAS_FREQ == !p->freq,
		    "CPUID 0x40000003: frequency MSRs %s (%s)",
		    HAS_FREQ ? "offered" : "not offered", p->name);
		tap(!HAS_CRASH == !p->crash,
		    "CPUID 0x40000003: crash MSRs %s (%s)",
		    HAS_CRASH ? "offered" : "not offered", p->name);
	}

	cpuid(CPUID_HV_HINTS, r);
	tap(r[0] & (1u << 9), "CPUID 0x40000004: hints 0x%x include deprecating auto-EOI",
	    r[0]);
	cpuid(CPUID_HV_LIMITS, r);
	tap(r[0] >= (uint32_t)cfg.cpus, "CPUID 0x40000005: max VPs %u >= %d",
	    r[0], cfg.cpus);
}

/* ---- synthetic MSRs ------------------------------------------------ */

static void test_msrs(void)
{
	uint64_t v, v2, apic_base = rdmsr(MSR_APIC_BASE);
	uint32_t r[4], apic_id = lapic_read(LAPIC_ID) >> 24;
	uint64_t assist = (uintptr_t)assist_page;
	int gp_rd, gp_wr;

	cpuid(1, r);
	v = rdmsr(MSR_VP_INDEX);
	tap(v == apic_id && v == r[1] >> 24 && v == 0 &&
	    (apic_base & 0xfffff000u) == LAPIC_BASE && (apic_base & (1u << 11)),
	    "VP_INDEX %lu == LAPIC id %u == CPUID APIC id %u (BSP)", v, apic_id,
	    r[1] >> 24);

	tap(rdmsr(MSR_SVERSION) == 1, "SVERSION is 1");

	v = rdmsr(MSR_GUEST_OS_ID);
	wrmsr(MSR_GUEST_OS_ID, 0x8100060100010042ull);
	tap(v == 0 && rdmsr(MSR_GUEST_OS_ID) == 0x8100060100010042ull,
	    "GUEST_OS_ID starts at 0, write/read back");

	gp_rd = rdmsr_safe(MSR_HV_UNDEFINED, &v);
	gp_wr = wrmsr_safe(MSR_HV_UNDEFINED, 1);
	tap(gp_rd < 0 && gp_wr < 0,
	    "undefined synthetic MSR 0x%x: rdmsr and wrmsr raise #GP",
	    MSR_HV_UNDEFINED);

	tap(wrmsr_safe(MSR_VP_INDEX, 5) < 0 &&
	    wrmsr_safe(MSR_TIME_REF_COUNT, 0) < 0 && rdmsr(MSR_VP_INDEX) == 0,
	    "read-only VP_INDEX and TIME_REF_COUNT: wrmsr raises #GP");

	v = rdmsr(MSR_VP_RUNTIME);
	delay_ref(MS);
	v2 = rdmsr(MSR_VP_RUNTIME);
	tap(v2 > v && wrmsr_safe(MSR_VP_RUNTIME, 0) < 0,
	    "VP_RUNTIME advances (%lu -> %lu), read-only", v, v2);

	tap(rdmsr(MSR_SINT(0)) == SINT_MASKED &&
	    wrmsr_safe(MSR_SINT(0), 5) < 0 && rdmsr(MSR_SINT(0)) == SINT_MASKED,
	    "SINT0 resets masked; unmasked vector 5 is refused with #GP");

	tap(wrmsr_safe(MSR_SCONTROL, 2) < 0 && wrmsr_safe(MSR_SIMP, 0x1002) < 0 &&
	    wrmsr_safe(MSR_SIEFP, 0x1801) < 0 && rdmsr(MSR_SCONTROL) == 0 &&
	    rdmsr(MSR_SIMP) == 0 && rdmsr(MSR_SIEFP) == 0,
	    "reserved bits in SCONTROL, SIMP and SIEFP raise #GP");

	gp_rd = wrmsr_safe(MSR_SIMP, BAD_GPA | 1);
	gp_wr = wrmsr_safe(MSR_SIEFP, BAD_GPA | 1);
	tap(gp_rd < 0 && gp_wr < 0 && rdmsr(MSR_SIMP) == 0 &&
	    rdmsr(MSR_SIEFP) == 0,
	    "SIMP and SIEFP outside guest RAM: #GP, MSRs unchanged");

	/* Linux writes it whatever CPUID says (hv_vp_assist_page) */
	gp_wr = wrmsr_safe(MSR_VP_ASSIST_PAGE, assist | 1);
	gp_rd = rdmsr_safe(MSR_VP_ASSIST_PAGE, &v);
	tap(!gp_wr && !gp_rd && v == (assist | 1) &&
	    wrmsr_safe(MSR_VP_ASSIST_PAGE, assist | 0x10) < 0 &&
	    !wrmsr_safe(MSR_VP_ASSIST_PAGE, 0) && !rdmsr(MSR_VP_ASSIST_PAGE),
	    "VP_ASSIST_PAGE 0x%x: enable/read back (0x%lx), reserved bits #GP, disable",
	    MSR_VP_ASSIST_PAGE, v);

	if (HAS_CRASH) {
		bool msg = cfg.prof && cfg.prof->crash_msg;

		wrmsr(MSR_CRASH_P0, 0x1234);
		v = rdmsr(MSR_CRASH_CTL);
		tap(rdmsr(MSR_CRASH_P0) == 0x1234 && (v & CRASH_CTL_NOTIFY) &&
		    (cfg.prof ? !(v & CRASH_CTL_NOTIFY_MSG) == !msg : true),
		    "crash MSRs: P0 write/read, CRASH_CTL 0x%lx offers notify%s",
		    v, v & CRASH_CTL_NOTIFY_MSG ? " and message" : " only");
		wrmsr(MSR_CRASH_P0, 0);
	} else {
		tap(rdmsr_safe(MSR_CRASH_P0, &v) < 0 &&
		    rdmsr_safe(MSR_CRASH_CTL, &v) < 0,
		    "crash MSRs not offered: rdmsr raises #GP");
	}
}

/* ---- hypercalls ---------------------------------------------------- */

static uint8_t hc_page2[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t *volatile hc_current = hc_page;

static uint64_t hypercall(uint64_t control, uint64_t in, uint64_t out)
{
	return hypercall_via(hc_current, control, in, out);
}

/* At CPL 3: VMCALL with RCX and RDX as user_call set them, then "done" */
void user_vmcall(void);
asm(".pushsection .text\n"
    ".globl user_vmcall\n"
    "user_vmcall:\n"
    "	xorl %r8d, %r8d\n"
    "	movq $-1, %rax\n"
    "	vmcall\n"
    "	int $0x81\n"
    ".popsection\n");

/* HvPostMessage input at @off in hc_input: connection, reserved, type,
 * size, payload (as much of it as fits the page) */
static uint64_t post_input_at(uint32_t off, uint32_t conn, uint32_t type,
			      uint32_t size)
{
	memset(hc_input, 0, sizeof(hc_input));
	wr32(hc_input, off, conn);
	wr32(hc_input, off + 8, type);
	wr32(hc_input, off + 12, size);
	for (uint32_t i = 0; i < MSG_PAYLOAD_MAX && off + 16 + i < PAGE_SIZE; i++)
		hc_input[off + 16 + i] = (uint8_t)i;
	return (uint64_t)(uintptr_t)hc_input + off;
}

static uint64_t post_input(uint32_t conn, uint32_t type, uint32_t size)
{
	return post_input_at(0, conn, type, size);
}

/* One status check: call @control with @in, want @want */
static void hc_expect(uint64_t control, uint64_t in, uint16_t want,
		      const char *what)
{
	uint64_t st = hypercall(control, in, 0);

	tap((st & 0xffff) == want, "%s: status %lu (want %u)", what,
	    st & 0xffff, want);
}

static void test_hypercalls(void)
{
	static const uint8_t expect[] = {
		0xf3, 0x0f, 0x1e, 0xfa,		/* endbr64 */
		0x0f, 0x01, 0xc1,		/* vmcall */
		0xc3,				/* ret */
	};
	uint64_t gpa = (uintptr_t)hc_page, st = 0, v, id, in;
	int ud;

	/* TLFS/KVM: VMCALL without an enabled hypercall page is #UD */
	ud = vmcall_safe(HC_POST_MESSAGE, 0, 0, &st);
	tap(ud < 0, "VMCALL while the hypercall page is disabled: #UD (%s)",
	    ud < 0 ? "raised" : "returned a status");

	/* TLFS: the page cannot be enabled while the guest OS id is 0 */
	id = rdmsr(MSR_GUEST_OS_ID);
	wrmsr(MSR_GUEST_OS_ID, 0);
	wrmsr(MSR_HYPERCALL, gpa | 1);
	v = rdmsr(MSR_HYPERCALL);
	tap(!(v & 1), "HYPERCALL enable ignored while GUEST_OS_ID is 0 (reads 0x%lx)",
	    v);
	wrmsr(MSR_GUEST_OS_ID, id);

	tap(wrmsr_safe(MSR_HYPERCALL, gpa | 0x5) < 0 && !(rdmsr(MSR_HYPERCALL) & 1),
	    "HYPERCALL with reserved bit 2 set: #GP");

	memset(hc_page, 0x5a, sizeof(hc_page));
	wrmsr(MSR_HYPERCALL, gpa | 1);
	v = rdmsr(MSR_HYPERCALL);
	tap(v == (gpa | 1), "HYPERCALL MSR enabled at 0x%lx (reads 0x%lx)", gpa, v);
	tap(!memcmp(hc_page, expect, sizeof(expect)),
	    "hypercall page holds endbr64; vmcall; ret (%02x %02x %02x %02x %02x %02x %02x %02x)",
	    hc_page[0], hc_page[1], hc_page[2], hc_page[3], hc_page[4],
	    hc_page[5], hc_page[6], hc_page[7]);

	/* TLFS/KVM: hypercalls from CPL > 0 are #UD */
	in = post_input(BOGUS_CONNECTION, 1, 8);
	v = user_call(user_vmcall, HC_POST_MESSAGE, in);
	tap(v == 6, "VMCALL at CPL 3: #UD (vector %lu, rax 0x%lx)", v,
	    (uint64_t)user_rax);

	in = post_input(BOGUS_CONNECTION, 1, 8);
	hc_expect(HC_POST_MESSAGE, in, ST_INVALID_CONNECTION,
		  "HvPostMessage to unknown connection (INVALID_CONNECTION_ID)");
	hc_expect(HC_POST_MESSAGE, in + 4, ST_INVALID_ALIGNMENT,
		  "HvPostMessage with misaligned input GPA (INVALID_ALIGNMENT)");
	hc_expect(HC_POST_MESSAGE | HC_FAST, BOGUS_CONNECTION, ST_INVALID_INPUT,
		  "fast HvPostMessage (INVALID_HYPERCALL_INPUT)");

	in = post_input(BOGUS_CONNECTION, 1, MSG_PAYLOAD_MAX + 1);
	hc_expect(HC_POST_MESSAGE, in, ST_INVALID_PARAMETER,
		  "HvPostMessage with payload_size 241 (INVALID_PARAMETER)");

	in = post_input(BOGUS_CONNECTION, 1, 8);
	hc_expect(0xfffe, in, ST_INVALID_CODE,
		  "unknown call code 0xfffe (INVALID_HYPERCALL_CODE)");
	hc_expect(0x0001, in, ST_INVALID_CODE,
		  "call code 0x0001 (HvSwitchVirtualAddressSpace), not offered (INVALID_HYPERCALL_CODE)");
	hc_expect(HC_POST_MESSAGE | (1ull << 27), in, ST_INVALID_INPUT,
		  "reserved control bit 27 (INVALID_HYPERCALL_INPUT)");
	/* bit 31 asks for a nested call (only an L1 hypervisor may): KVM
	 * counts it reserved, as Linux's HV_HYPERCALL_RSVD0_MASK does */
	hc_expect(HC_POST_MESSAGE | (1ull << 31), in, ST_INVALID_INPUT,
		  "control bit 31 (nested call) from a plain guest (INVALID_HYPERCALL_INPUT)");
	hc_expect(HC_POST_MESSAGE | (1ull << 63), in, ST_INVALID_INPUT,
		  "reserved control bit 63 (INVALID_HYPERCALL_INPUT)");
	hc_expect(HC_POST_MESSAGE | HC_REP_COUNT(1), in, ST_INVALID_INPUT,
		  "rep count on the simple HvPostMessage (INVALID_HYPERCALL_INPUT)");
	hc_expect(HC_POST_MESSAGE | HC_VARHEAD(1), in, ST_INVALID_INPUT,
		  "variable header size on the simple HvPostMessage (INVALID_HYPERCALL_INPUT)");

	/* flag number 0: QEMU, like KVM, knows no other (INVALID_PORT_ID) */
	hc_expect(HC_SIGNAL_EVENT | HC_FAST, BOGUS_CONNECTION, ST_INVALID_CONNECTION,
		  "fast HvSignalEvent to unknown connection (INVALID_CONNECTION_ID)");
	memset(hc_input, 0, sizeof(hc_input));
	wr32(hc_input, 0, BOGUS_CONNECTION);
	hc_expect(HC_SIGNAL_EVENT, (uintptr_t)hc_input, ST_INVALID_CONNECTION,
		  "HvSignalEvent (memory input) to unknown connection (INVALID_CONNECTION_ID)");
	hc_expect(HC_SIGNAL_EVENT, (uintptr_t)hc_input + 4, ST_INVALID_ALIGNMENT,
		  "HvSignalEvent with misaligned input GPA (INVALID_ALIGNMENT)");
	hc_expect(HC_SIGNAL_EVENT, BAD_GPA, ST_INVALID_PARAMETER,
		  "HvSignalEvent with input outside guest RAM (INVALID_PARAMETER)");
	hc_expect(HC_SIGNAL_EVENT | HC_FAST, BOGUS_CONNECTION | (1ull << 48),
		  ST_INVALID_INPUT,
		  "fast HvSignalEvent with reserved bits set (INVALID_HYPERCALL_INPUT)");
	hc_expect(HC_SIGNAL_EVENT | HC_FAST | HC_REP_COUNT(2), BOGUS_CONNECTION,
		  ST_INVALID_INPUT,
		  "rep count on HvSignalEvent (INVALID_HYPERCALL_INPUT)");

	hc_expect(HC_LONG_SPIN_WAIT | HC_FAST, 1, ST_SUCCESS,
		  "fast HvNotifyLongSpinWait (SUCCESS)");
	/* TLFS: a simple, advisory call with no error status (KVM agrees) */
	memset(hc_input, 0, sizeof(hc_input));
	wr32(hc_input, 0, 1);
	hc_expect(HC_LONG_SPIN_WAIT, (uintptr_t)hc_input, ST_SUCCESS,
		  "HvNotifyLongSpinWait with memory input (SUCCESS)");

	in = post_input(BOGUS_CONNECTION, 0, 8);
	hc_expect(HC_POST_MESSAGE, in, ST_INVALID_PARAMETER,
		  "HvPostMessage with message type 0 (INVALID_PARAMETER)");
	in = post_input(BOGUS_CONNECTION, 0x80000010u, 8);
	hc_expect(HC_POST_MESSAGE, in, ST_INVALID_PARAMETER,
		  "HvPostMessage with a hypervisor message type (INVALID_PARAMETER)");
	in = post_input(BOGUS_CONNECTION, 1, 8);
	wr32(hc_input, 4, 1);
	hc_expect(HC_POST_MESSAGE, in, ST_INVALID_INPUT,
		  "HvPostMessage with the reserved field set (INVALID_HYPERCALL_INPUT)");

	/* the input block is 256 bytes whatever payload_size says */
	in = post_input_at(PAGE_SIZE - 256, BOGUS_CONNECTION, 1, MSG_PAYLOAD_MAX);
	hc_expect(HC_POST_MESSAGE, in, ST_INVALID_CONNECTION,
		  "HvPostMessage of 240 bytes ending at the page end: accepted");
	in = post_input_at(PAGE_SIZE - 248, BOGUS_CONNECTION, 1, MSG_PAYLOAD_MAX);
	hc_expect(HC_POST_MESSAGE, in, ST_INVALID_ALIGNMENT,
		  "HvPostMessage of 240 bytes crossing the page end by 8 (INVALID_ALIGNMENT)");
	in = post_input_at(PAGE_SIZE - 16, BOGUS_CONNECTION, 1, 8);
	hc_expect(HC_POST_MESSAGE, in, ST_INVALID_ALIGNMENT,
		  "HvPostMessage whose input block crosses a page (INVALID_ALIGNMENT)");
	hc_expect(HC_POST_MESSAGE, BAD_GPA, ST_INVALID_PARAMETER,
		  "HvPostMessage with input outside guest RAM (INVALID_PARAMETER)");

	/* the x86 (32-bit) convention, from compatibility mode */
	in = post_input(BOGUS_CONNECTION, 1, 8);
	st = compat_vmcall((uint32_t)HC_POST_MESSAGE, 0, (uint32_t)in,
			   (uint32_t)(in >> 32));
	v = compat_vmcall(0xfffe, 0, (uint32_t)in, 0);
	tap(st == ST_INVALID_CONNECTION && v == ST_INVALID_CODE,
	    "VMCALL from 32-bit code: EDX:EAX control, EBX:ECX input, EDX:EAX status (0x%lx, 0x%lx)",
	    st, v);
}

/* Moving and locking the hypercall page */
static void test_hypercall_msr(void)
{
	uint64_t gpa = (uintptr_t)hc_page, gpa2 = (uintptr_t)hc_page2, st;
	bool moved;

	tap(wrmsr_safe(MSR_HYPERCALL, BAD_GPA | 1) < 0 &&
	    rdmsr(MSR_HYPERCALL) == (gpa | 1),
	    "HYPERCALL page outside guest RAM: #GP, old page kept");

	memset(hc_page2, 0x5a, sizeof(hc_page2));
	wrmsr(MSR_HYPERCALL, gpa2 | 1);
	moved = rdmsr(MSR_HYPERCALL) == (gpa2 | 1) && hc_page2[4] == 0x0f &&
		hc_page2[5] == 0x01 && hc_page2[6] == 0xc1;
	if (moved)
		hc_current = hc_page2;
	st = hypercall(HC_POST_MESSAGE, post_input(BOGUS_CONNECTION, 1, 8), 0);
	tap(moved && (st & 0xffff) == ST_INVALID_CONNECTION,
	    "HYPERCALL page moved to 0x%lx: calls through it work (status %lu)",
	    gpa2, st & 0xffff);

	/*
	 * TLFS: once locked, the hypercall MSR cannot change until the
	 * partition is reset (whether a write is ignored or refused with #GP
	 * is not specified: only the value is checked)
	 */
	wrmsr(MSR_HYPERCALL, gpa2 | 3);
	st = rdmsr(MSR_HYPERCALL);
	wrmsr_safe(MSR_HYPERCALL, 0);
	wrmsr_safe(MSR_HYPERCALL, gpa | 3);
	tap(st == (gpa2 | 3) && rdmsr(MSR_HYPERCALL) == (gpa2 | 3),
	    "HYPERCALL locked (0x%lx): disabling or moving it changes nothing", st);
	st = hypercall(HC_LONG_SPIN_WAIT | HC_FAST, 1, 0);
	tap((st & 0xffff) == ST_SUCCESS,
	    "hypercalls still work with the MSR locked (status %lu)", st & 0xffff);
}

/* ---- SynIC --------------------------------------------------------- */

static uint8_t *slot(unsigned int sint)
{
	return simp + MSG_SLOT_SIZE * sint;
}

/* Free a message slot; EOM if the host has more for it */
static void slot_free(unsigned int sint)
{
	wr32(slot(sint), MSG_TYPE, 0);
	mb();
	if (rd8(slot(sint), MSG_FLAGS) & MSG_FLAG_PENDING)
		wrmsr(MSR_EOM, 0);
}

/* Timer messages, consumed by the SINT3 interrupt handler */
static volatile uint32_t tmsg_count, tmsg_bad;
static volatile uint32_t tmsg_index[64];
static volatile uint64_t tmsg_exp[64], tmsg_deliv[64], tmsg_seen[64];

static void sint3_timer_msg(void)
{
	uint8_t *s = slot(3);
	uint32_t type = rd32(s, MSG_TYPE);

	if (type == MSGTYPE_TIMER_EXPIRED && rd8(s, MSG_PAYLOAD_SIZE) >= 24) {
		uint32_t n = tmsg_count;

		if (n < ARRAY_SIZE(tmsg_exp)) {
			tmsg_index[n] = rd32(s, MSG_PAYLOAD + TMSG_INDEX);
			tmsg_exp[n] = rd64(s, MSG_PAYLOAD + TMSG_EXPIRATION);
			tmsg_deliv[n] = rd64(s, MSG_PAYLOAD + TMSG_DELIVERY);
			tmsg_seen[n] = irq_time[VEC_SINT3];
		}
		tmsg_count = n + 1;
	} else if (type) {
		tmsg_bad++;
	}
	if (type)
		slot_free(3);
}

static void test_synic_setup(void)
{
	uint64_t simp_gpa = (uintptr_t)simp, siefp_gpa = (uintptr_t)siefp;
	bool zero = true;

	memset(simp, 0xaa, sizeof(simp));
	memset(siefp, 0x55, sizeof(siefp));
	wrmsr(MSR_SIMP, simp_gpa | MSR_ENABLE);
	wrmsr(MSR_SIEFP, siefp_gpa | MSR_ENABLE);
	for (size_t i = 0; i < PAGE_SIZE; i++)
		if (simp[i] || siefp[i])
			zero = false;
	sint3_hook = sint3_timer_msg;
	wrmsr(MSR_SINT(2), VEC_SINT2);
	wrmsr(MSR_SINT(3), VEC_SINT3);
	wrmsr(MSR_SCONTROL, 1);
	tap(rdmsr(MSR_SIMP) == (simp_gpa | 1) &&
	    rdmsr(MSR_SIEFP) == (siefp_gpa | 1) && rdmsr(MSR_SCONTROL) == 1 &&
	    rdmsr(MSR_SINT(2)) == VEC_SINT2 && rdmsr(MSR_SINT(3)) == VEC_SINT3,
	    "SynIC: SIMP, SIEFP, SCONTROL, SINT2 (0x%x), SINT3 (0x%x) read back",
	    VEC_SINT2, VEC_SINT3);
	tap(zero, "SynIC: message and event-flag pages start empty");
}

/*
 * Ask run.sh for host actions (';' separated, run in order):
 *   post VP SINT TYPE COUNT   hv-synic-test post-message: COUNT messages of
 *                             TYPE, payload 1 byte = number from 1
 *   event VP SINT FLAG        hv-synic-test signal-event
 *   expect KEY N              hv-synic-test state says "KEY N" (posted,
 *                             delivered, retried, failed, events)
 *   !COMMAND                  QEMU must refuse COMMAND
 */
static void host_request(const char *cmds)
{
	console_write("HVTEST-HOST ");
	console_write(cmds);
	console_write("\n");
}

/* A message of @type whose payload is the one byte @number */
static bool slot_is(unsigned int sint, uint32_t type, uint8_t number)
{
	uint8_t *s = slot(sint);

	return rd32(s, MSG_TYPE) == type && rd8(s, MSG_PAYLOAD_SIZE) == 1 &&
	       rd8(s, MSG_PAYLOAD) == number;
}

static bool slot_pending(uint8_t *s)
{
	return rd8(s, MSG_FLAGS) & MSG_FLAG_PENDING;
}

static bool slot2_pending(void *arg)
{
	(void)arg;
	return slot_pending(slot(2));
}

/* Messages to the host-side objects this run has posted, for "expect" */
static uint32_t host_posted, host_failed;

static void test_host_messages(void)
{
	uint32_t irqs = irq_count[VEC_SINT2];
	bool got;

	if (!cfg.runner) {
		tap_skip("no runner (hvtest.runner=1)", "host-posted SynIC messages");
		return;
	}

	/* one message */
	host_request("post 0 2 1 1");
	host_posted += 1;
	got = wait_count(&irq_count[VEC_SINT2], irqs + 1, HOST_WAIT);
	tap(got && slot_is(2, 1, 1) && !slot_pending(slot(2)) &&
	    irq_cpu[VEC_SINT2] == 0,
	    "host message on SINT2: interrupt 0x%x on VP 0, type 1, 1-byte payload",
	    VEC_SINT2);
	slot_free(2);
	irqs = irq_count[VEC_SINT2];

	/* two back to back: the second waits for the slot */
	host_request("post 0 2 2 2");
	host_posted += 2;
	got = wait_count(&irq_count[VEC_SINT2], irqs + 1, HOST_WAIT);
	tap(got && slot_is(2, 2, 1),
	    "back-to-back messages: the first arrives (type 2, number 1)");
	got = wait_cond(slot2_pending, NULL, HOST_WAIT);
	tap(got && slot_is(2, 2, 1) && irq_count[VEC_SINT2] == irqs + 1,
	    "back-to-back messages: the second leaves msg_pending while the slot is busy");
	slot_free(2);
	got = wait_count(&irq_count[VEC_SINT2], irqs + 2, 1000 * MS);
	tap(got && slot_is(2, 2, 2) && !slot_pending(slot(2)),
	    "back-to-back messages: the second arrives after EOM, with an interrupt");
	slot_free(2);
}

static void test_host_events(void)
{
	const uint8_t *flags = siefp + SIEF_SLOT_SIZE * 2;
	uint32_t irqs = irq_count[VEC_SINT2];
	bool got;

	if (!cfg.runner) {
		tap_skip("no runner (hvtest.runner=1)", "host-signalled event flags");
		return;
	}
	host_request("event 0 2 5");
	got = wait_count(&irq_count[VEC_SINT2], irqs + 1, HOST_WAIT);
	tap(got && rd8(flags, 0) == (1u << 5),
	    "host event: SINT2 flag 5 set in the SIEF page, interrupt 0x%x",
	    VEC_SINT2);
	host_request("event 0 2 2047 ; !event 0 2 2048");
	got = wait_count(&irq_count[VEC_SINT2], irqs + 2, HOST_WAIT);
	tap(got && rd8(flags, 255) == 0x80 && rd8(flags, 0) == (1u << 5),
	    "host event: SINT2 flag 2047 (last bit of the 256-byte array)");
	/* a flag that is still set interrupts no more */
	host_request("event 0 2 5 ; event 0 2 10");
	got = wait_count(&irq_count[VEC_SINT2], irqs + 3, HOST_WAIT);
	delay_ref(50 * MS);
	tap(got && irq_count[VEC_SINT2] == irqs + 3 && rd8(flags, 1) == 0x04,
	    "host event: setting a flag that is already set raises no interrupt");
	/* nothing else in any SINT's flags */
	for (size_t i = 0; i < PAGE_SIZE; i++) {
		if (i == SIEF_SLOT_SIZE * 2 || i == SIEF_SLOT_SIZE * 2 + 1 ||
		    i == SIEF_SLOT_SIZE * 2 + 255)
			continue;
		if (siefp[i]) {
			tap(false, "host event: stray flag byte %lu = 0x%x",
			    (uint64_t)i, siefp[i]);
			return;
		}
	}
	tap(true, "host event: no other flag set");
}

static bool slots_4_5_full(void *arg)
{
	(void)arg;
	return rd32(slot(4), MSG_TYPE) && rd32(slot(5), MSG_TYPE);
}

static bool slot4_pending(void *arg)
{
	(void)arg;
	return slot_pending(slot(4));
}

/*
 * Masked and polling SINTs.  TLFS (SynIC messages): the message goes to
 * the slot and the hypervisor tries to raise the SINT's interrupt; if the
 * SINT is masked, that interrupt is lost.  A polling SINT never
 * interrupts.
 */
static void test_sint_modes(void)
{
	const uint8_t *f5 = siefp + SIEF_SLOT_SIZE * 5;
	const uint8_t *f2 = siefp + SIEF_SLOT_SIZE * 2;
	uint32_t irqs = irq_count[VEC_SINT2];
	bool got;

	if (!cfg.runner) {
		tap_skip("no runner (hvtest.runner=1)", "masked and polling SINTs");
		return;
	}
	/* SINT4 stays masked; SINT5 polls */
	wrmsr(MSR_SINT(5), VEC_SINT5 | SINT_POLLING);
	host_request("post 0 4 7 1 ; post 0 5 9 1 ; event 0 5 1 ; event 0 2 9");
	host_posted += 2;
	got = wait_count(&irq_count[VEC_SINT2], irqs + 1, HOST_WAIT);
	tap(got && (rd8(f2, 1) & 0x02),
	    "SINT2 event flag 9: the requests were served");
	/* messages are delivered asynchronously: the event may come first */
	got = got && wait_cond(slots_4_5_full, NULL, 1000 * MS);
	tap(got && !irq_count[VEC_SINT5] && slot_is(5, 9, 1) &&
	    rd8(f5, 0) == 0x02,
	    "polling SINT5: message and event flag arrive without an interrupt");
	tap(got && !irq_count[VEC_SINT4] && slot_is(4, 7, 1),
	    "masked SINT4: the message is in the slot, its interrupt lost");
	wrmsr(MSR_SINT(4), VEC_SINT4);
	delay_ref(20 * MS);
	tap(!irq_count[VEC_SINT4] && slot_is(4, 7, 1),
	    "masked SINT4 unmasked: no interrupt for the message already in the slot");

	/* unmasked and busy: the next one waits for EOM, then interrupts */
	host_request("post 0 4 8 1");
	host_posted += 1;
	got = wait_cond(slot4_pending, NULL, HOST_WAIT);
	tap(got && slot_is(4, 7, 1) && !irq_count[VEC_SINT4],
	    "SINT4: a second message leaves msg_pending on the full slot");
	slot_free(4);
	got = wait_count(&irq_count[VEC_SINT4], 1, 1000 * MS);
	tap(got && slot_is(4, 8, 1) && irq_cpu[VEC_SINT4] == 0,
	    "SINT4: after EOM the second message arrives with interrupt 0x%x",
	    VEC_SINT4);
	slot_free(4);
	slot_free(5);
	wrmsr(MSR_SINT(4), SINT_MASKED);
	wrmsr(MSR_SINT(5), SINT_MASKED);
}

/*
 * A queue of QLEN messages for a masked SINT: the first lands in the slot
 * (no interrupt), the others wait; the guest takes the first by polling,
 * unmasks, and the rest come one per EOM, in order, each with an
 * interrupt.
 */
#define QLEN	64

static bool slot7_ready(void *arg)
{
	(void)arg;
	return rd32(slot(7), MSG_TYPE) && slot_pending(slot(7));
}

static void test_queue(void)
{
	static char line[64];
	uint8_t *s = slot(7);
	uint32_t irqs = irq_count[VEC_SINT2], i;
	bool got, order = true;

	if (!cfg.runner) {
		tap_skip("no runner (hvtest.runner=1)", "SynIC message queue");
		return;
	}
	snprintf(line, sizeof(line), "post 0 7 100 %u ; event 0 2 11", QLEN);
	host_request(line);
	host_posted += QLEN;
	got = wait_count(&irq_count[VEC_SINT2], irqs + 1, HOST_WAIT);
	got = got && wait_cond(slot7_ready, NULL, 1000 * MS);
	tap(got && !irq_count[VEC_SINT7] && slot_is(7, 100, 1),
	    "queue: %d messages for masked SINT7: the first in the slot, msg_pending, no interrupt",
	    QLEN);

	wrmsr(MSR_SINT(7), VEC_SINT7);
	slot_free(7);
	for (i = 1; i < QLEN; i++) {
		if (!wait_count(&irq_count[VEC_SINT7], i, 1000 * MS))
			break;
		if (rd32(s, MSG_TYPE) != 100 || rd8(s, MSG_PAYLOAD_SIZE) != 1 ||
		    rd8(s, MSG_PAYLOAD) != i + 1)
			order = false;
		if (i == QLEN - 1 && slot_pending(s))
			order = false;
		slot_free(7);
	}
	delay_ref(20 * MS);
	tap(i == QLEN && order && irq_count[VEC_SINT7] == QLEN - 1 &&
	    !rd32(s, MSG_TYPE),
	    "queue: unmasked, messages 2..%u arrive in order, one interrupt and EOM each, no more",
	    i);
	wrmsr(MSR_SINT(7), SINT_MASKED);
}

static bool slot6_pending(void *arg)
{
	(void)arg;
	return slot_pending(slot(6));
}

/* A timer message waits while its slot is busy and comes on EOM */
static void test_stimer_slot_busy(void)
{
	uint8_t *s = slot(6);
	uint64_t d1, d2;
	bool got, ok;

	wrmsr(MSR_SINT(6), VEC_SINT6);
	d1 = ref_now() + MS;
	wrmsr(MSR_STIMER_COUNT(0), d1);
	wrmsr(MSR_STIMER_CONFIG(0), STIMER_ENABLE | STIMER_SINT(6));
	got = wait_count(&irq_count[VEC_SINT6], 1, 1000 * MS);
	ok = got && rd32(s, MSG_TYPE) == MSGTYPE_TIMER_EXPIRED &&
	     rd32(s, MSG_PAYLOAD + TMSG_INDEX) == 0 &&
	     rd64(s, MSG_PAYLOAD + TMSG_EXPIRATION) == d1;

	/* fire again with the slot still full */
	d2 = ref_now() + MS;
	wrmsr(MSR_STIMER_COUNT(0), d2);
	wrmsr(MSR_STIMER_CONFIG(0), STIMER_ENABLE | STIMER_SINT(6));
	got = wait_cond(slot6_pending, NULL, 1000 * MS);
	tap(ok && got && irq_count[VEC_SINT6] == 1 &&
	    rd64(s, MSG_PAYLOAD + TMSG_EXPIRATION) == d1,
	    "stimer0 on SINT6: a second expiry waits (msg_pending) while the slot is full");
	slot_free(6);
	got = wait_count(&irq_count[VEC_SINT6], 2, 1000 * MS);
	tap(got && rd32(s, MSG_TYPE) == MSGTYPE_TIMER_EXPIRED &&
	    rd64(s, MSG_PAYLOAD + TMSG_EXPIRATION) == d2 &&
	    !slot_pending(s),
	    "stimer0 on SINT6: the second timer message arrives after EOM");
	slot_free(6);
	wrmsr(MSR_STIMER_CONFIG(0), 0);
}


/* ---- synthetic timers ---------------------------------------------- */

#define PERIOD		(10 * MS)
#define NPERIODS	10

static void test_stimer_direct(void)
{
	uint64_t t0, deadline, cfgv, v;
	uint32_t n0 = irq_count[VEC_STIMER];
	bool got;

	if (!HAS_DIRECT) {
		tap(wrmsr_safe(MSR_STIMER_CONFIG(0), STIMER_ENABLE | STIMER_DIRECT |
			       STIMER_VECTOR(VEC_STIMER)) < 0 &&
		    rdmsr(MSR_STIMER_CONFIG(0)) == 0,
		    "stimer direct mode not offered: config write raises #GP");
		return;
	}
	tap(wrmsr_safe(MSR_STIMER_CONFIG(0), STIMER_DIRECT | STIMER_VECTOR(5)) < 0,
	    "stimer direct mode with vector 5: #GP");

	t0 = ref_now();
	deadline = t0 + 5 * MS;
	wrmsr(MSR_STIMER_COUNT(0), deadline);
	wrmsr(MSR_STIMER_CONFIG(0), STIMER_ENABLE | STIMER_DIRECT |
	      STIMER_VECTOR(VEC_STIMER));
	got = wait_count(&irq_count[VEC_STIMER], n0 + 1, 1000 * MS);
	delay_ref(20 * MS);
	cfgv = rdmsr(MSR_STIMER_CONFIG(0));
	v = irq_time[VEC_STIMER];
	diag("stimer0 direct one-shot: due %lu, interrupt at %lu (+%lu us)",
	     deadline, v, v >= deadline ? (v - deadline) / 10 : 0);
	tap(got && irq_count[VEC_STIMER] == n0 + 1 && v >= deadline &&
	    !(cfgv & STIMER_ENABLE),
	    "stimer0 direct one-shot: one interrupt at vector 0x%x, not early, then disabled",
	    VEC_STIMER);
}

/*
 * Linux's clockevent pattern: CONFIG = enable | auto-enable once, then
 * each event is one absolute COUNT write, which re-enables the timer the
 * previous expiry disabled.
 */
static void test_stimer_clockevent(void)
{
	bool direct = HAS_DIRECT, ok = true;
	volatile uint32_t *ctr = direct ? &irq_count[VEC_STIMER] : &tmsg_count;
	uint64_t cfgv = STIMER_ENABLE | STIMER_AUTO_ENABLE |
			(direct ? STIMER_DIRECT | STIMER_VECTOR(VEC_STIMER) :
				  STIMER_SINT(3));
	int i;

	wrmsr(MSR_STIMER_COUNT(0), 0);
	wrmsr(MSR_STIMER_CONFIG(0), cfgv);
	for (i = 0; i < 5 && ok; i++) {
		uint32_t n = *ctr;
		uint64_t d = ref_now() + MS;

		wrmsr(MSR_STIMER_COUNT(0), d);
		ok = wait_count(ctr, n + 1, 500 * MS);
		if (ok && direct)
			ok = irq_time[VEC_STIMER] >= d;
		else if (ok)
			ok = n < ARRAY_SIZE(tmsg_exp) && tmsg_index[n] == 0 &&
			     tmsg_exp[n] == d;
	}
	wrmsr(MSR_STIMER_COUNT(0), 0);
	wrmsr(MSR_STIMER_CONFIG(0), 0);
	tap(ok, "stimer0 (%s) as Linux's clockevent: %d one-shots by COUNT writes, auto-enable",
	    direct ? "direct" : "message", i);
}

static void test_stimer_periodic_direct(void)
{
	uint64_t t0, elapsed;
	uint32_t n0 = irq_count[VEC_STIMER_P], n;
	bool got, early = false;

	if (!HAS_DIRECT) {
		tap_skip("no direct mode", "stimer2 direct periodic");
		return;
	}
	wrmsr(MSR_STIMER_COUNT(2), PERIOD);
	t0 = ref_now();
	wrmsr(MSR_STIMER_CONFIG(2), STIMER_ENABLE | STIMER_PERIODIC |
	      STIMER_DIRECT | STIMER_VECTOR(VEC_STIMER_P));
	got = wait_count(&irq_count[VEC_STIMER_P], n0 + NPERIODS, 3000 * MS);
	wrmsr(MSR_STIMER_CONFIG(2), 0);
	n = irq_count[VEC_STIMER_P] - n0;
	for (uint32_t i = 0; i < NPERIODS && i < n; i++)
		if (n0 + i >= ARRAY_SIZE(periodic_times) ||
		    periodic_times[n0 + i] < t0 + (i + 1) * PERIOD)
			early = true;
	elapsed = n >= NPERIODS && n0 + NPERIODS <= ARRAY_SIZE(periodic_times) ?
		  periodic_times[n0 + NPERIODS - 1] - t0 : 0;
	diag("stimer2 direct periodic: %u expiries, the %dth after %lu us (period %lu us)",
	     n, NPERIODS, elapsed / 10, PERIOD / 10);
	tap(got && !early && elapsed >= NPERIODS * PERIOD &&
	    elapsed <= 2 * NPERIODS * PERIOD + 100 * MS,
	    "stimer2 direct periodic: %d interrupts in %lu ms (expected %lu ms)",
	    NPERIODS, elapsed / MS, NPERIODS * PERIOD / MS);
	n = irq_count[VEC_STIMER_P];
	delay_ref(3 * PERIOD);
	tap(irq_count[VEC_STIMER_P] <= n + 1,
	    "stimer2 direct periodic: stops when disabled");
}

/*
 * A periodic timer never expires more often than every 100 us (a COUNT
 * below 1000 acts as 1000): COUNT 1 for 20 ms gives at most ~200 expiries.
 */
static void test_stimer_min_period(void)
{
	bool direct = HAS_DIRECT;
	volatile uint32_t *ctr = direct ? &irq_count[VEC_STIMER_P] : &tmsg_count;
	uint32_t n0 = *ctr, n, n1;
	uint64_t t0, t1, max;
	bool spaced = true;

	wrmsr(MSR_STIMER_COUNT(2), 1);
	t0 = ref_now();
	wrmsr(MSR_STIMER_CONFIG(2), STIMER_ENABLE | STIMER_PERIODIC |
	      (direct ? STIMER_DIRECT | STIMER_VECTOR(VEC_STIMER_P) :
			STIMER_SINT(3)));
	delay_ref(20 * MS);
	wrmsr(MSR_STIMER_CONFIG(2), 0);
	t1 = ref_now();
	n = *ctr - n0;
	delay_ref(2 * MS);
	n1 = *ctr - n0;
	max = (t1 - t0) / 1000 + 2;
	/* message mode: the expiration times are whole 100 us apart */
	for (uint32_t i = n0 + 1; !direct && i < n0 + n &&
	     i < ARRAY_SIZE(tmsg_exp); i++)
		if (tmsg_exp[i] - tmsg_exp[i - 1] < 1000 ||
		    (tmsg_exp[i] - tmsg_exp[i - 1]) % 1000)
			spaced = false;
	diag("stimer2 periodic, COUNT 1 (%s): %u expiries in %lu us",
	     direct ? "direct" : "message", n, (t1 - t0) / 10);
	tap(n >= 1 && n <= max && n1 <= n + 1 && spaced,
	    "stimer2 periodic with COUNT 1 (%s): %u expiries in %lu us, at most one per 100 us",
	    direct ? "direct" : "message", n, (t1 - t0) / 10);
}

static void test_stimer_messages(void)
{
	uint64_t t0, deadline, elapsed;
	uint32_t n0 = tmsg_count, n;
	bool got, ok;

	/* TLFS: a message-mode timer with SINTx 0 cannot be enabled */
	wrmsr(MSR_STIMER_CONFIG(1), STIMER_ENABLE | STIMER_SINT(0));
	tap(!(rdmsr(MSR_STIMER_CONFIG(1)) & STIMER_ENABLE),
	    "stimer1 message mode with SINTx 0 stays disabled");
	wrmsr(MSR_STIMER_CONFIG(1), 0);

	/* one-shot, message mode, SINT3 */
	t0 = ref_now();
	deadline = t0 + 2 * MS;
	wrmsr(MSR_STIMER_COUNT(1), deadline);
	wrmsr(MSR_STIMER_CONFIG(1), STIMER_ENABLE | STIMER_SINT(3));
	got = wait_count(&tmsg_count, n0 + 1, 1000 * MS);
	delay_ref(10 * MS);
	diag("stimer1 message: index %u expiration %lu delivery %lu seen %lu",
	     tmsg_index[n0], tmsg_exp[n0], tmsg_deliv[n0], tmsg_seen[n0]);
	tap(got && tmsg_count == n0 + 1 && !tmsg_bad && tmsg_index[n0] == 1 &&
	    tmsg_exp[n0] == deadline && tmsg_deliv[n0] >= deadline &&
	    tmsg_seen[n0] >= tmsg_deliv[n0],
	    "stimer1 one-shot: HVMSG_TIMER_EXPIRED on SINT3, timer 1, expiration == count");

	/* a one-shot whose time has passed expires at once */
	n0 = tmsg_count;
	deadline = ref_now() - 10 * MS;
	wrmsr(MSR_STIMER_COUNT(1), deadline);
	wrmsr(MSR_STIMER_CONFIG(1), STIMER_ENABLE | STIMER_SINT(3));
	got = wait_count(&tmsg_count, n0 + 1, 100 * MS);
	tap(got && tmsg_index[n0] == 1 && tmsg_exp[n0] == deadline,
	    "stimer1 one-shot due 10 ms ago: expires at once");

	/* auto-enable: writing the count enables the timer */
	n0 = tmsg_count;
	wrmsr(MSR_STIMER_CONFIG(1), STIMER_AUTO_ENABLE | STIMER_SINT(3));
	ok = !(rdmsr(MSR_STIMER_CONFIG(1)) & STIMER_ENABLE);
	wrmsr(MSR_STIMER_COUNT(1), ref_now() + 2 * MS);
	got = wait_count(&tmsg_count, n0 + 1, 1000 * MS);
	tap(ok && got && tmsg_index[n0] == 1,
	    "stimer1 auto-enable: the count write starts the timer");
	wrmsr(MSR_STIMER_CONFIG(1), 0);

	/* periodic, message mode, SINT3 */
	n0 = tmsg_count;
	wrmsr(MSR_STIMER_COUNT(3), PERIOD);
	t0 = ref_now();
	wrmsr(MSR_STIMER_CONFIG(3), STIMER_ENABLE | STIMER_PERIODIC |
	      STIMER_SINT(3));
	got = wait_count(&tmsg_count, n0 + NPERIODS, 3000 * MS);
	wrmsr(MSR_STIMER_CONFIG(3), 0);
	ok = got;
	for (uint32_t i = n0; i < n0 + NPERIODS && i < ARRAY_SIZE(tmsg_exp); i++) {
		uint64_t prev = i == n0 ? t0 : tmsg_exp[i - 1];

		/* coalesced expiries skip whole periods */
		if (tmsg_index[i] != 3 || tmsg_exp[i] <= prev ||
		    (i > n0 && (tmsg_exp[i] - prev) % PERIOD) ||
		    tmsg_deliv[i] < tmsg_exp[i])
			ok = false;
	}
	n = tmsg_count - n0;
	elapsed = got && n0 + NPERIODS <= ARRAY_SIZE(tmsg_seen) ?
		  tmsg_seen[n0 + NPERIODS - 1] - t0 : 0;
	diag("stimer3 message periodic: %u messages, the %dth after %lu us",
	     n, NPERIODS, elapsed / 10);
	tap(ok && !tmsg_bad && elapsed >= NPERIODS * PERIOD &&
	    elapsed <= 2 * NPERIODS * PERIOD + 100 * MS,
	    "stimer3 message periodic: %d timer-3 messages a period apart in %lu ms",
	    NPERIODS, elapsed / MS);
}


/* ---- reference time ------------------------------------------------ */

/* Reference time from the TSC page; false if the page says "invalid" */
static bool tsc_page_read(uint64_t *t)
{
	for (int tries = 0; tries < 100; tries++) {
		uint32_t seq = rd32(tsc_page, TSCPG_SEQUENCE);
		uint64_t scale, tsc;
		int64_t off;

		if (seq == 0 || seq == 0xffffffffu)
			return false;
		mb();
		scale = rd64(tsc_page, TSCPG_SCALE);
		off = (int64_t)rd64(tsc_page, TSCPG_OFFSET);
		tsc = rdtsc();
		mb();
		if (rd32(tsc_page, TSCPG_SEQUENCE) == seq) {
			*t = mul_hi(tsc, scale) + (uint64_t)off;
			return true;
		}
	}
	return false;
}

static void check_tsc_page(const char *when)
{
	uint64_t m0, t = 0, m1;
	bool valid;

	m0 = ref_now();
	valid = tsc_page_read(&t);
	m1 = ref_now();
	diag("TSC page %s: TIME_REF_COUNT %lu, page %lu, TIME_REF_COUNT %lu",
	     when, m0, t, m1);
	tap(valid && t + 10 * 1000 >= m0 && t <= m1 + 10 * 1000,
	    "TSC page %s: agrees with TIME_REF_COUNT within 1 ms (%ld us after, %ld us before)",
	    when, ((int64_t)t - (int64_t)m0) / 10, ((int64_t)m1 - (int64_t)t) / 10);
}

static void test_ref_tsc_page(void)
{
	uint64_t gpa = (uintptr_t)tsc_page, v;

	if (!HAS_REF_TSC) {
		tap(wrmsr_safe(MSR_REFERENCE_TSC, gpa | 1) < 0 &&
		    rdmsr_safe(MSR_REFERENCE_TSC, &v) < 0,
		    "reference TSC page not offered: the MSR raises #GP");
		return;
	}
	tap(wrmsr_safe(MSR_REFERENCE_TSC, BAD_GPA | 1) < 0 &&
	    wrmsr_safe(MSR_REFERENCE_TSC, gpa | 0x3) < 0 &&
	    rdmsr(MSR_REFERENCE_TSC) == 0,
	    "REFERENCE_TSC page outside guest RAM or with reserved bit 1: #GP");
	memset(tsc_page, 0xee, sizeof(tsc_page));
	wrmsr(MSR_REFERENCE_TSC, gpa | 1);
	v = rdmsr(MSR_REFERENCE_TSC);
	diag("TSC page: sequence %u scale 0x%lx offset %ld",
	     rd32(tsc_page, TSCPG_SEQUENCE), rd64(tsc_page, TSCPG_SCALE),
	     (int64_t)rd64(tsc_page, TSCPG_OFFSET));
	tap(v == (gpa | 1) && rd32(tsc_page, TSCPG_SEQUENCE) != 0 &&
	    rd32(tsc_page, TSCPG_SEQUENCE) != 0xffffffffu &&
	    rd64(tsc_page, TSCPG_SCALE) != 0 && rd32(tsc_page, 4) == 0,
	    "REFERENCE_TSC enabled: valid sequence, non-zero scale");
	check_tsc_page("at enable");

	wrmsr(MSR_REFERENCE_TSC, (uintptr_t)tsc_page2 | 1);
	tap(rdmsr(MSR_REFERENCE_TSC) == ((uintptr_t)tsc_page2 | 1) &&
	    rd32(tsc_page2, TSCPG_SEQUENCE) != 0 &&
	    rd64(tsc_page2, TSCPG_SCALE) == rd64(tsc_page, TSCPG_SCALE),
	    "REFERENCE_TSC moved to another page: that page is filled in");
	wrmsr(MSR_REFERENCE_TSC, gpa | 1);
}

/* Counts of the clocks over one window */
struct clocks {
	uint64_t ref, tsc;
	uint32_t pm;
};

/*
 * One sample of the three clocks, taken close together: the vCPU thread
 * may be preempted between two reads, so samples whose bracketing PM timer
 * reads lie more than ~100 us apart are taken again.
 */
static void clocks_read(struct clocks *c)
{
	for (int tries = 0; tries < 20; tries++) {
		uint64_t tsc0, tsc1;
		uint32_t pm0 = 0, pm1 = 0;

		if (acpi.pm_tmr)
			pm0 = inl(acpi.pm_tmr);
		tsc0 = rdtsc();
		c->ref = ref_now();
		tsc1 = rdtsc();
		if (acpi.pm_tmr)
			pm1 = inl(acpi.pm_tmr);
		c->tsc = tsc0 + (tsc1 - tsc0) / 2;
		c->pm = pm0 + ((pm1 - pm0) & acpi.pm_mask) / 2;
		if (acpi.pm_tmr ? ((pm1 - pm0) & acpi.pm_mask) < 360 :
		    tsc1 - tsc0 < 1000000)
			return;
	}
}

static void test_time_rates(void)
{
	struct clocks a, b;
	uint64_t dref, v, ref_pm, tsc_hz;

	clocks_read(&a);
	delay_ref(100 * MS);
	clocks_read(&b);
	dref = b.ref - a.ref;
	tap(dref >= 100 * MS, "TIME_REF_COUNT advances (%lu over a 100 ms wait)",
	    dref);

	if (acpi.pm_tmr) {
		uint32_t dpm = (b.pm - a.pm) & acpi.pm_mask;

		/* reference ticks the PM timer says should have passed */
		ref_pm = (uint64_t)dpm * REF_HZ / PM_TIMER_HZ;
		tap(dpm && within_pct(dref, ref_pm, 5),
		    "TIME_REF_COUNT runs at 10 MHz against the ACPI PM timer (%lu vs %lu, +-5%%)",
		    dref, ref_pm);
	} else {
		tap(false, "TIME_REF_COUNT rate: no PM timer in the FADT");
	}

	if (HAS_FREQ) {
		uint64_t meas;

		tsc_hz = rdmsr(MSR_TSC_FREQUENCY);
		meas = (b.tsc - a.tsc) * REF_HZ / dref;
		tap(tsc_hz > 100000000ull && within_pct(meas, tsc_hz, 5),
		    "TSC_FREQUENCY %lu Hz matches rdtsc against TIME_REF_COUNT (%lu Hz, +-5%%)",
		    tsc_hz, meas);
	} else {
		tap(rdmsr_safe(MSR_TSC_FREQUENCY, &v) < 0 &&
		    rdmsr_safe(MSR_APIC_FREQUENCY, &v) < 0,
		    "frequency MSRs not offered: rdmsr raises #GP");
	}
}

/* The LAPIC timer's current count with the reference time it was read at,
 * retried if the vCPU was preempted around the read */
static uint32_t lapic_ccr_at(uint64_t *ref)
{
	uint32_t c = 0;

	for (int tries = 0; tries < 20; tries++) {
		uint64_t r0 = ref_now(), r1;

		c = lapic_read(LAPIC_TIMER_CCR);
		r1 = ref_now();
		*ref = r0 + (r1 - r0) / 2;
		if (r1 - r0 < 1000)	/* 100 us */
			break;
	}
	return c;
}

/* LAPIC timer rate against TIME_REF_COUNT, compared with APIC_FREQUENCY */
static void test_apic_frequency(void)
{
	uint64_t hz, r0, r1, meas;
	uint32_t c0, c1;

	if (!HAS_FREQ)
		return;
	hz = rdmsr(MSR_APIC_FREQUENCY);
	lapic_write(LAPIC_TIMER_DCR, 0xb);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TICK);
	lapic_write(LAPIC_TIMER_ICR, 0xffffffffu);
	c0 = lapic_ccr_at(&r0);
	/* busy: the LAPIC timer under test cannot time our sleep */
	while (ref_now() - r0 < 50 * MS)
		;
	c1 = lapic_ccr_at(&r1);
	lapic_write(LAPIC_TIMER_ICR, 0);
	meas = r1 > r0 ? (uint64_t)(c0 - c1) * REF_HZ / (r1 - r0) : 0;
	tap(hz && within_pct(meas, hz, 5),
	    "APIC_FREQUENCY %lu Hz matches the LAPIC timer (%lu Hz, +-5%%)",
	    hz, meas);
}

/* ---- a second vCPU ------------------------------------------------- */

enum { AP_CMD_NONE, AP_CMD_TIME, AP_CMD_STIMER, AP_CMD_TSC_PAGE };

static uint8_t ap_simp[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t ap_siefp[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t ap_input[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static volatile struct {
	uint32_t running;
	uint32_t cmd;		/* AP_CMD_*, reset to NONE when done */
	uint64_t vp_index;
	uint32_t apic_id, cpuid_apic;
	uint64_t hc_status;
	uint64_t ref;
	uint64_t deadline;
	uint32_t feat[4];
	uint32_t vendor[3];
	uint64_t m0, page, m1;	/* TIME_REF_COUNT, TSC page, TIME_REF_COUNT */
	bool page_valid;
} ap;

void ap_main(void);
void ap_main(void)
{
	uint32_t r[4];

	idt_load();
	lapic_init();
	ap.vp_index = rdmsr(MSR_VP_INDEX);
	ap.apic_id = lapic_read(LAPIC_ID) >> 24;
	cpuid(1, r);
	ap.cpuid_apic = r[1] >> 24;
	cpuid(CPUID_HV_VENDOR, r);
	ap.vendor[0] = r[1];
	ap.vendor[1] = r[2];
	ap.vendor[2] = r[3];
	cpuid(CPUID_HV_FEATURES, r);
	for (int i = 0; i < 4; i++)
		ap.feat[i] = r[i];
	wrmsr(MSR_SIMP, (uintptr_t)ap_simp | MSR_ENABLE);
	wrmsr(MSR_SIEFP, (uintptr_t)ap_siefp | MSR_ENABLE);
	wrmsr(MSR_SINT(2), VEC_AP_SINT2);
	wrmsr(MSR_SINT(3), VEC_AP_STIMER);
	wrmsr(MSR_SCONTROL, 1);
	wr32(ap_input, 0, BOGUS_CONNECTION);
	wr32(ap_input, 8, 1);
	wr32(ap_input, 12, 8);
	ap.hc_status = hypercall(HC_POST_MESSAGE, (uintptr_t)ap_input, 0);
	mb();
	ap.running = 1;
	for (;;) {
		switch (ap.cmd) {
		case AP_CMD_TIME:
			ap.ref = ref_now();
			ap.cmd = AP_CMD_NONE;
			break;
		case AP_CMD_TSC_PAGE: {
			uint64_t t = 0;

			ap.m0 = ref_now();
			ap.page_valid = tsc_page_read(&t);
			ap.m1 = ref_now();
			ap.page = t;
			ap.cmd = AP_CMD_NONE;
			break;
		}
		case AP_CMD_STIMER:
			ap.deadline = ref_now() + 2 * MS;
			wrmsr(MSR_STIMER_COUNT(0), ap.deadline);
			wrmsr(MSR_STIMER_CONFIG(0), STIMER_ENABLE |
			      (HAS_DIRECT ? STIMER_DIRECT |
			       STIMER_VECTOR(VEC_AP_STIMER) : STIMER_SINT(3)));
			ap.cmd = AP_CMD_NONE;
			break;
		default:
			break;
		}
		idle_ns(1000000);
	}
}

static bool ap_running(void *arg)
{
	(void)arg;
	return ap.running;
}

static bool ap_idle(void *arg)
{
	(void)arg;
	return ap.cmd == AP_CMD_NONE;
}

static bool ap_start(void)
{
	uint8_t *tramp = (uint8_t *)(uintptr_t)AP_TRAMP_BASE;
	uint64_t cr3;

	memcpy(tramp, ap_tramp_start, (size_t)(ap_tramp_end - ap_tramp_start));
	asm volatile("mov %%cr3, %0" : "=r"(cr3));
	wr64(tramp, (size_t)(ap_tramp_cr3 - ap_tramp_start), cr3);
	mb();
	for (int tries = 0; tries < 2 && !ap.running; tries++) {
		lapic_write(LAPIC_ICR_HI, 1u << 24);
		lapic_write(LAPIC_ICR_LO, 0x4500);	/* INIT, assert */
		delay_ref(10 * MS);
		lapic_write(LAPIC_ICR_HI, 1u << 24);
		lapic_write(LAPIC_ICR_LO, 0x4600 | (AP_TRAMP_BASE >> 12));
		wait_cond(ap_running, NULL, 3000 * MS);
	}
	return ap.running;
}

/* vmbus.c's MODIFYCHANNEL tests: VP 1 with its SynIC on */
volatile uint8_t *ap_start_synic(void *hypercall_page)
{
	hc_current = hypercall_page;
	mb();
	return ap_start() ? ap_siefp : NULL;
}

static bool ap_slot2_full(void *arg)
{
	(void)arg;
	return rd32(ap_simp, 2 * MSG_SLOT_SIZE + MSG_TYPE) != 0;
}

static void test_ap(void)
{
	const uint8_t *s2 = ap_simp + 2 * MSG_SLOT_SIZE;
	uint32_t irqs = irq_count[VEC_SINT2];
	uint64_t t0, t1;
	bool got, served = false;

	if (cfg.cpus < 2)
		return;
	if (cfg.runner) {
		/*
		 * TLFS: a VP whose SynIC or SIM page is disabled is no target:
		 * the post fails (QEMU: the injector counts it failed)
		 */
		host_request("post 1 2 4 1 ; event 0 2 12");
		host_posted += 1;
		host_failed += 1;
		served = wait_count(&irq_count[VEC_SINT2], irqs + 1, HOST_WAIT);
		delay_ref(50 * MS);
	}
	tap(ap_start(), "AP: vCPU 1 starts through INIT-SIPI (real mode -> long mode)");
	if (!ap.running)
		return;
	tap(ap.vp_index == 1 && ap.apic_id == 1 && ap.cpuid_apic == 1,
	    "AP: VP_INDEX %lu == LAPIC id %u == CPUID APIC id %u == 1",
	    ap.vp_index, ap.apic_id, ap.cpuid_apic);
	tap(!memcmp((const void *)ap.vendor, "Microsoft Hv", 12) &&
	    !memcmp((const void *)ap.feat, feat, sizeof(feat)),
	    "AP: the same Hyper-V CPUID leaves on VP 1");
	tap((ap.hc_status & 0xffff) == ST_INVALID_CONNECTION,
	    "AP: hypercall from VP 1 (status %lu)", ap.hc_status & 0xffff);

	if (cfg.runner) {
		delay_ref(50 * MS);
		tap(served && !irq_count[VEC_AP_SINT2] && !rd32(s2, MSG_TYPE),
		    "AP: a message posted while VP 1's SynIC was off is not delivered later");
	}

	if (HAS_REF_TSC) {
		ap.cmd = AP_CMD_TSC_PAGE;
		got = wait_cond(ap_idle, NULL, 1000 * MS);
		diag("TSC page on VP 1: TIME_REF_COUNT %lu, page %lu, TIME_REF_COUNT %lu",
		     ap.m0, ap.page, ap.m1);
		tap(got && ap.page_valid && ap.page + 10 * 1000 >= ap.m0 &&
		    ap.page <= ap.m1 + 10 * 1000,
		    "AP: the TSC page read with VP 1's TSC agrees with TIME_REF_COUNT within 1 ms");
	}

	t0 = ref_now();
	ap.cmd = AP_CMD_TIME;
	got = wait_cond(ap_idle, NULL, 1000 * MS);
	t1 = ref_now();
	tap(got && ap.ref >= t0 && ap.ref <= t1,
	    "AP: TIME_REF_COUNT on VP 1 (%lu) between two VP 0 reads (%lu, %lu)",
	    ap.ref, t0, t1);

	ap.cmd = AP_CMD_STIMER;
	got = wait_count(&irq_count[VEC_AP_STIMER], 1, 1000 * MS);
	if (!HAS_DIRECT)
		got = got && rd32(ap_simp, 3 * MSG_SLOT_SIZE + MSG_TYPE) ==
			     MSGTYPE_TIMER_EXPIRED &&
		      rd32(ap_simp, 3 * MSG_SLOT_SIZE + MSG_PAYLOAD +
			   TMSG_INDEX) == 0;
	tap(got && irq_cpu[VEC_AP_STIMER] == 1 &&
	    irq_time[VEC_AP_STIMER] >= ap.deadline,
	    "AP: its stimer0 (%s mode) interrupts VP 1, not before the deadline",
	    HAS_DIRECT ? "direct" : "message");

	if (!cfg.runner) {
		tap_skip("no runner (hvtest.runner=1)", "AP: host messages and events");
		return;
	}
	host_request("post 1 2 1 1");
	host_posted += 1;
	got = wait_count(&irq_count[VEC_AP_SINT2], 1, HOST_WAIT);
	got = got && wait_cond(ap_slot2_full, NULL, 1000 * MS);
	tap(got && irq_cpu[VEC_AP_SINT2] == 1 && rd32(s2, MSG_TYPE) == 1 &&
	    rd8(s2, MSG_PAYLOAD_SIZE) == 1 && rd8(s2, MSG_PAYLOAD) == 1 &&
	    !rd32(slot(2), MSG_TYPE),
	    "AP: host message for VP 1 lands in VP 1's SIMP with an interrupt on VP 1");
	host_request("event 1 2 3");
	got = wait_count(&irq_count[VEC_AP_SINT2], 2, HOST_WAIT);
	tap(got && irq_cpu[VEC_AP_SINT2] == 1 &&
	    rd8(ap_siefp, 2 * SIEF_SLOT_SIZE) == 0x08 &&
	    !(rd8(siefp, 2 * SIEF_SLOT_SIZE) & 0x08),
	    "AP: host event for VP 1 sets VP 1's flag only");
}

/* ---- the host's account ------------------------------------------- */

/* run.sh checks the injector's counts; SINT2 flag 13 says it is done */
static void host_account(void)
{
	static char line[160];
	const uint8_t *f2 = siefp + SIEF_SLOT_SIZE * 2;
	uint32_t irqs = irq_count[VEC_SINT2];
	bool got;

	if (!cfg.runner)
		return;
	snprintf(line, sizeof(line),
		 "expect posted %u ; expect delivered %u ; expect failed %u ; event 0 2 13",
		 host_posted, host_posted - host_failed, host_failed);
	host_request(line);
	got = wait_count(&irq_count[VEC_SINT2], irqs + 1, HOST_WAIT);
	tap(got && (rd8(f2, 1) & 0x20),
	    "host: account of %u posted, %u failed requested (run.sh checks it)",
	    host_posted, host_failed);
}

/* ---- modes --------------------------------------------------------- */

static int run_main(void)
{
	test_cpuid();
	test_msrs();
	test_hypercalls();
	test_hypercall_msr();
	test_synic_setup();
	test_host_messages();
	test_host_events();
	test_sint_modes();
	test_queue();
	test_stimer_slot_busy();
	test_stimer_direct();
	test_stimer_clockevent();
	test_stimer_periodic_direct();
	test_stimer_messages();
	test_stimer_min_period();
	test_ref_tsc_page();
	test_time_rates();
	test_apic_frequency();
	if (HAS_REF_TSC)
		check_tsc_page("after the rate tests");
	test_ap();
	host_account();
	printf("1..%d\n", tap_count);
	return tap_failed ? EXIT_FAIL : EXIT_PASS;
}

/* The crash parameters run.sh looks for in QEMU's GUEST_PANICKED event */
#define CRASH_P(i)	(0x1000000000000000ull * (i + 1) + 0xc0de + (i))

static int run_crash(void)
{
	static const char text[] = "hvtest crash message";
	uint64_t ctl;

	test_cpuid();
	if (!HAS_CRASH) {
		printf("1..%d\n", tap_count);
		diag("no crash MSRs in this profile");
		return EXIT_FAIL;
	}
	ctl = rdmsr(MSR_CRASH_CTL);
	for (int i = 0; i < 5; i++)
		wrmsr(MSR_CRASH_P0 + (uint32_t)i, CRASH_P(i));
	if (ctl & CRASH_CTL_NOTIFY_MSG) {
		/* Linux's hv_kmsg_dump: P3 = GPA of the text, P4 = its length */
		wrmsr(MSR_CRASH_P0 + 3, (uintptr_t)text);
		wrmsr(MSR_CRASH_P0 + 4, sizeof(text) - 1);
	}
	tap(rdmsr(MSR_CRASH_P0 + 1) == CRASH_P(1),
	    "crash: P0-P4 written, CRASH_CTL 0x%lx", ctl);
	tap(wrmsr_safe(MSR_CRASH_CTL, 1ull << 61) < 0,
	    "crash: CRASH_CTL with a bit not offered raises #GP");
	printf("1..%d\n", tap_count);
	printf("# crash parameters: 0x%lx 0x%lx 0x%lx 0x%lx 0x%lx\n",
	       rdmsr(MSR_CRASH_P0), rdmsr(MSR_CRASH_P0 + 1),
	       rdmsr(MSR_CRASH_P0 + 2), rdmsr(MSR_CRASH_P0 + 3),
	       rdmsr(MSR_CRASH_P0 + 4));
	printf("# crash: writing CRASH_CTL 0x%lx\n",
	       (uint64_t)(ctl & (CRASH_CTL_NOTIFY | CRASH_CTL_NOTIFY_MSG)));
	wrmsr(MSR_CRASH_CTL, ctl & (CRASH_CTL_NOTIFY | CRASH_CTL_NOTIFY_MSG));
	/* still here: QEMU did not stop the VM */
	delay_ref(2000 * MS);
	printf("# still running 2 s after the crash notification\n");
	return EXIT_FAIL;
}

static int run_hvreset(void)
{
	test_cpuid();
	printf("1..%d\n", tap_count);
	printf("# hvreset: writing 1 to HV_X64_MSR_RESET\n");
	wrmsr(MSR_RESET, 1);
	delay_ref(2000 * MS);
	printf("# still running 2 s after the reset request\n");
	return EXIT_FAIL;
}

int guest_main(const uint8_t *mbi, uint32_t magic);
int guest_main(const uint8_t *mbi, uint32_t magic)
{
	idt_init();
	lapic_init();
	parse_options(mbi, magic);
	printf("# hvhost micro-guest: mode %s, host %s, %d cpu(s)\n", cfg.mode,
	       cfg.prof ? cfg.prof->name : "?", cfg.cpus);

	test_boot(mbi, magic);
	test_acpi();
	if (!strncmp(cfg.mode, "main", 5))
		return run_main();
	if (!strncmp(cfg.mode, "crash", 6))
		return run_crash();
	if (!strncmp(cfg.mode, "hvreset", 8))
		return run_hvreset();
	if (!strncmp(cfg.mode, "vmbus", 6)) {
		static char dev[16], test[16];
		struct vmbus_cfg vc = {
			.host = cfg.prof ? cfg.prof->name : NULL,
			.cpus = cfg.cpus,
			.runner = cfg.runner,
		};
		const char *v;

		/* opt_value() returns one static buffer: copy */
		v = opt_value("hvtest.vmbusdev");
		if (v && strlen(v) < sizeof(dev)) {
			memcpy(dev, v, strlen(v) + 1);
			vc.device = dev;
		}
		v = opt_value("hvtest.vmbustest");
		if (v && strlen(v) < sizeof(test)) {
			memcpy(test, v, strlen(v) + 1);
			vc.test = test;
		}
		return run_vmbus(&vc);
	}
	printf("1..%d\n", tap_count);
	diag("unknown mode %s", cfg.mode);
	return EXIT_FAIL;
}
