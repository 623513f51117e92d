// SPDX-License-Identifier: GPL-2.0
/*
 * hvbad: bad input from a Linux guest to the Hyper-V partition interface,
 * each of which must get the architectural answer (and leave the host and
 * the guest's own Hyper-V state alone). Runs as root with the msr module;
 * prints one line per check, "pass: WHAT" or "fail: WHAT", for the caller
 * to turn into test points.
 *
 *   - VMCALL in user mode: #UD (SIGILL), not a hypercall
 *   - synthetic MSRs nobody offers, and read-only ones written: #GP (EIO)
 *   - reserved bits in SCONTROL, SINTx, SIMP, SIEFP, HYPERCALL,
 *     STIMERx_CONFIG: #GP, and the register keeps its value
 *   - SIMP / SIEFP / HYPERCALL / REFERENCE_TSC pointing outside guest RAM:
 *     #GP, value kept
 * Exits 0 when every check passed, 1 when one failed, 2 on setup errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MSR_HYPERCALL		0x40000001u
#define MSR_VP_INDEX		0x40000002u
#define MSR_TIME_REF_COUNT	0x40000020u
#define MSR_REFERENCE_TSC	0x40000021u
#define MSR_APIC_EOI		0x40000070u
#define MSR_SCONTROL		0x40000080u
#define MSR_SIEFP		0x40000082u
#define MSR_SIMP		0x40000083u
#define MSR_SINT15		0x4000009fu
#define MSR_STIMER3_CONFIG	0x400000b6u
#define MSR_UNDEFINED		0x400001f0u

static int fd;
static int failed;
static sigjmp_buf ud_jmp;

static void point(int ok, const char *fmt, const char *what)
{
	if (!ok)
		failed++;
	printf("%s: ", ok ? "pass" : "fail");
	printf(fmt, what);
	printf("\n");
}

static int rd(uint32_t msr, uint64_t *val)
{
	return pread(fd, val, sizeof(*val), msr) == sizeof(*val) ? 0 : -errno;
}

static int wr(uint32_t msr, uint64_t val)
{
	return pwrite(fd, &val, sizeof(val), msr) == sizeof(val) ? 0 : -errno;
}

static void ud_handler(int sig)
{
	(void)sig;
	siglongjmp(ud_jmp, 1);
}

/* VMCALL at CPL 3: the CPU must raise #UD, Linux turns it into SIGILL. */
static void check_user_vmcall(void)
{
	struct sigaction sa;
	volatile int trapped = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ud_handler;
	sigaction(SIGILL, &sa, NULL);
	if (sigsetjmp(ud_jmp, 1) == 0) {
		/* HvPostMessage, no input: a host that took it would answer */
		__asm__ volatile("mov $0x5c, %%ecx\n\txor %%edx, %%edx\n\tvmcall"
				 ::: "rax", "rcx", "rdx", "r8", "memory");
	} else {
		trapped = 1;
	}
	signal(SIGILL, SIG_DFL);
	point(trapped, "%s", "VMCALL in user mode raises #UD (SIGILL)");
}

static void check_gp_read(uint32_t msr, const char *name)
{
	uint64_t v;

	point(rd(msr, &v) == -EIO, "rdmsr %s: #GP", name);
}

static void check_gp_write(uint32_t msr, uint64_t val, const char *name)
{
	uint64_t before = 0, after = 0;
	int have = rd(msr, &before) == 0;
	int r = wr(msr, val);

	if (have)
		rd(msr, &after);
	point(r == -EIO && (!have || after == before),
	      "wrmsr %s: #GP, value kept", name);
}

/* A counter: refused, but it moves on by itself */
static void check_gp_write_counter(uint32_t msr, uint64_t val,
				   const char *name)
{
	uint64_t after = 0;
	int r = wr(msr, val);

	point(r == -EIO && rd(msr, &after) == 0 && after != val,
	      "wrmsr %s: #GP", name);
}

int main(void)
{
	uint64_t v;

	setvbuf(stdout, NULL, _IONBF, 0);
	fd = open("/dev/cpu/0/msr", O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "hvbad: /dev/cpu/0/msr: %s\n", strerror(errno));
		return 2;
	}
	if (rd(MSR_SCONTROL, &v)) {
		fprintf(stderr, "hvbad: no SynIC MSRs: %s\n", strerror(errno));
		return 2;
	}

	check_user_vmcall();

	check_gp_read(MSR_UNDEFINED, "0x400001f0 (undefined)");
	check_gp_read(MSR_APIC_EOI, "APIC EOI (APIC access not offered)");
	check_gp_write(MSR_VP_INDEX, 5, "VP_INDEX (read-only)");
	check_gp_write_counter(MSR_TIME_REF_COUNT, 1,
			       "TIME_REF_COUNT (read-only)");

	rd(MSR_SCONTROL, &v);
	check_gp_write(MSR_SCONTROL, v | 2, "SCONTROL with reserved bit 1");
	rd(MSR_SINT15, &v);
	check_gp_write(MSR_SINT15, v | (1ull << 20), "SINT15 with reserved bit 20");
	check_gp_write(MSR_SINT15, 0x05, "SINT15 unmasked with vector 5");
	rd(MSR_SIMP, &v);
	check_gp_write(MSR_SIMP, v | 0x10, "SIMP with reserved bit 4");
	check_gp_write(MSR_SIMP, 0xfffff001, "SIMP at 0xfffff000 (BIOS ROM)");
	check_gp_write(MSR_SIMP, 0x4000000001ull, "SIMP at 256 GiB (no RAM)");
	rd(MSR_SIEFP, &v);
	check_gp_write(MSR_SIEFP, v | 0x800, "SIEFP with reserved bit 11");
	check_gp_write(MSR_SIEFP, 0xfee00001, "SIEFP on the local APIC");
	rd(MSR_HYPERCALL, &v);
	check_gp_write(MSR_HYPERCALL, v | 4, "HYPERCALL with reserved bit 2");
	check_gp_write(MSR_HYPERCALL, 0xfffff001, "HYPERCALL page in BIOS ROM");
	if (rd(MSR_REFERENCE_TSC, &v) == 0)
		check_gp_write(MSR_REFERENCE_TSC, 0x4000000001ull,
			       "REFERENCE_TSC at 256 GiB (no RAM)");
	check_gp_write(MSR_STIMER3_CONFIG, 1ull << 24,
		       "STIMER3_CONFIG with reserved bit 24");

	close(fd);
	return failed ? 1 : 0;
}
