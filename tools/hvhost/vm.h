/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvhost: the virtual machine monitor core (KVM plumbing, guest memory,
 * vCPU threads, legacy devices, ACPI, boot) shared by the VMM files.
 */
#ifndef HVHOST_VM_H
#define HVHOST_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "hv.h"

/* The hypercall page hv.c writes is "out HVHOST_HYPERCALL_PORT, al; ret". */
#ifndef HVHOST_HYPERCALL_PORT
#define HVHOST_HYPERCALL_PORT	0x98
#endif

/* Exit statuses (see the hvhost command line in the project brief) */
#define EXIT_GUEST_OK		0
#define EXIT_GUEST_RESET	120
#define EXIT_TIMEOUT		124
#define EXIT_INTERNAL		125

/* Guest-physical layout */
#define GDT_ADDR		0x500ULL
#define BOOT_PARAMS_ADDR	0x7000ULL
#define BOOT_STACK_TOP		0x8ff0ULL
#define PML4_ADDR		0x9000ULL
#define PDPT_ADDR		0xa000ULL
#define PD_ADDR			0xb000ULL	/* 4 pages: identity map 4 GiB */
#define CMDLINE_ADDR		0x20000ULL
#define CMDLINE_MAX		0x10000ULL
#define EBDA_ADDR		0x9fc00ULL
#define BIOS_AREA_ADDR		0xe0000ULL	/* ACPI tables live here */
#define BIOS_AREA_END		0x100000ULL
#define KERNEL_LOAD_ADDR	0x100000ULL
#define PCI_HOLE_START		0xc0000000ULL	/* RAM above this moves to 4G */
#define HIGH_RAM_START		0x100000000ULL
#define IOAPIC_ADDR		0xfec00000ULL
#define LAPIC_ADDR		0xfee00000ULL
#define KVM_TSS_ADDR		0xfffbd000ULL
#define KVM_IDMAP_ADDR		0xfffbc000ULL

/* Legacy I/O */
#define SERIAL_COM1_PORT	0x3f8
#define SERIAL_COM1_IRQ		4
#define RTC_PORT		0x70
#define PM_BASE_PORT		0x600
#define PM1A_EVT_PORT		(PM_BASE_PORT + 0x0)	/* 4 bytes */
#define PM1A_CNT_PORT		(PM_BASE_PORT + 0x4)	/* 2 bytes */
#define PM_TMR_PORT		(PM_BASE_PORT + 0x8)	/* 4 bytes */
#define PM_SCI_IRQ		9
#define PM_S5_TYP		5	/* SLP_TYP of \_S5 in the DSDT */
#define RESET_CF9_PORT		0xcf9
#define KBD_CMD_PORT		0x64
#define DEBUG_EXIT_PORT		0x501
#define VMBUS_IRQ		7

#define MAX_VCPUS		64
#define MAX_IOPORT_HANDLERS	32

struct vm;

enum boot_mode {
	BOOT_AUTO,	/* vmlinux on kvm-pvm (if the host can decompress it),
			 * else bzImage */
	BOOT_VMLINUX,	/* decompress on the host, enter vmlinux's startup_64 */
	BOOT_BZIMAGE,	/* enter the bzImage's startup_64 (its decompressor) */
};

struct options {
	const char *kernel;
	const char *initrd;
	const char *append;
	uint64_t mem_mib;
	int cpus;
	const char *host;
	const char *console;		/* NULL or "-" -> stdout */
	const char *console_log;
	const char *ctl;
	double timeout;
	const char *log;
	bool rtc_epoch;
	enum boot_mode boot_mode;
	int guest_compat;	/* -1 auto, 0 off, 1 on */
};

/*
 * Kernel parameters for KVM implementations that run guest kernel code
 * through KVM's instruction emulator (kvm-pvm): they keep the guest from
 * using instructions that emulator lacks (XSAVE family, CMPXCHG16B,
 * POPCNT, SSE beyond SSE3, ...).  CPUID cannot hide these there: most
 * leaf 1 and leaf 7 bits ignore KVM_SET_CPUID2 under kvm-pvm.
 */
#define GUEST_COMPAT_PARAMS \
	"noxsave nopku nofsgsbase nopcid noinvpcid " \
	"clearcpuid=popcnt,cx16,smap,rdpid,ssse3,sse4_1,sse4_2,pclmulqdq," \
	"aes,movbe,rdseed,clflushopt,clwb,sha_ni"
#define KVM_PVM_SYSFS	"/sys/module/kvm_pvm"

/* A rate limit for log lines a guest can cause */
struct ratelimit {
	pthread_mutex_t lock;
	int interval_s;
	int burst;
	time_t start;
	int printed;
	unsigned long missed;
};

#define RATELIMIT_INIT(interval, b) \
	{ PTHREAD_MUTEX_INITIALIZER, (interval), (b), 0, 0, 0 }

/* log.c */
int log_open(const char *path);
void log_close(void);
void hvlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool ratelimit_ok(struct ratelimit *rl);
#define hvlog_rl(fmt, ...) do {						\
	static struct ratelimit __rl = RATELIMIT_INIT(5, 10);		\
	if (ratelimit_ok(&__rl))					\
		hvlog(fmt, ##__VA_ARGS__);				\
} while (0)
double mono_now(void);
uint64_t mono_ns(void);

/* Port I/O handler: @data holds @size bytes (1, 2 or 4), little endian */
typedef void (*io_fn)(struct vm *vm, void *opaque, uint16_t port,
		      bool is_write, uint8_t *data, uint32_t size);

struct io_handler {
	uint16_t base;
	uint16_t len;
	io_fn fn;
	void *opaque;
};

struct vcpu {
	struct vm *vm;
	uint32_t id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
};

/* serial.c: 16550A UART */
struct serial {
	pthread_mutex_t lock;
	struct vm *vm;
	uint16_t port;
	uint32_t irq;
	uint8_t ier, lcr, mcr, lsr, msr, scr, dll, dlm, fcr;
	bool thr_ipending;
	int irq_level;
	uint8_t rx[256];
	unsigned int rx_head, rx_count;
	pthread_cond_t rx_space;
	int out_fd;		/* console */
	bool out_close;
	FILE *log;		/* --console-log */
	bool log_bol;		/* at beginning of a log line */
	int in_fd;		/* -1: no input */
	pthread_t in_thread;
	bool in_started;
};

int serial_init(struct serial *s, struct vm *vm, const char *console,
		const char *console_log);
int serial_start_input(struct serial *s);
void serial_stop(struct serial *s);
void serial_io(struct vm *vm, void *opaque, uint16_t port, bool is_write,
	       uint8_t *data, uint32_t size);

/* rtc.c: MC146818 CMOS clock, read-only time */
struct rtc {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t ram[128];
	bool epoch;
	time_t start_wall;
	double start_mono;
};

void rtc_init(struct rtc *r, bool epoch);
void rtc_io(struct vm *vm, void *opaque, uint16_t port, bool is_write,
	    uint8_t *data, uint32_t size);

/* pm.c: ACPI PM1a event/control blocks, PM timer, reset ports */
struct pm {
	pthread_mutex_t lock;
	uint16_t sts, en, cnt;
};

void pm_init(struct pm *pm);
void pm_io(struct vm *vm, void *opaque, uint16_t port, bool is_write,
	   uint8_t *data, uint32_t size);
void reset_io(struct vm *vm, void *opaque, uint16_t port, bool is_write,
	      uint8_t *data, uint32_t size);

struct vm {
	struct options *opt;
	bool kvm_pvm;		/* KVM emulates guest kernel code (kvm-pvm) */
	int kvm_fd;
	int vm_fd;
	int run_size;

	uint8_t *ram;		/* one mapping: low RAM then high RAM */
	uint64_t ram_size;
	uint64_t low_size;	/* guest [0, low_size) */
	uint64_t high_size;	/* guest [4G, 4G + high_size) */

	uint32_t nr_vcpus;
	struct vcpu vcpus[MAX_VCPUS];

	const struct hv_profile *profile;
	struct hv *hv;
	struct hv_host_ops hv_ops;
	uint64_t tsc_khz;
	uint64_t tsc_offset;	/* guest TSC = host TSC + tsc_offset */

	struct io_handler io[MAX_IOPORT_HANDLERS];
	int nr_io;

	struct serial serial;
	struct rtc rtc;
	struct pm pm;

	/* Stopping: the first vm_stop() sets the exit status */
	pthread_mutex_t stop_lock;
	atomic_bool stopping;
	int exit_status;
	int stop_efd;		/* becomes readable once stopping */

	int timer_efd;		/* kick for the timer thread */
	pthread_t timer_thread;
	bool timer_started;

	double start_time;	/* mono_now() at VM start */

	/* ctl.c */
	int ctl_fd;
	char *ctl_path;
	pthread_t ctl_thread;
	bool ctl_started;
};

/* vm.c */
int vm_create(struct vm *vm, struct options *opt);
int vm_start(struct vm *vm);
void vm_stop(struct vm *vm, int status, const char *why);
void vm_join(struct vm *vm);
void vm_dump_vcpus(struct vm *vm);
void vm_destroy(struct vm *vm);
void *vm_gpa(struct vm *vm, uint64_t gpa, uint64_t len);
int vm_irq_line(struct vm *vm, uint32_t irq, int level);
int vm_register_io(struct vm *vm, uint16_t base, uint16_t len, io_fn fn,
		   void *opaque);

/* boot.c */
int boot_load(struct vm *vm, const char *kernel, const char *initrd,
	      const char *cmdline, uint64_t *entry);
int boot_setup_bsp(struct vm *vm, struct vcpu *bsp, uint64_t entry);

/* acpi.c */
int acpi_build(struct vm *vm, uint64_t *rsdp);

/* ctl.c */
int ctl_start(struct vm *vm, const char *path);
void ctl_stop(struct vm *vm);

#endif
