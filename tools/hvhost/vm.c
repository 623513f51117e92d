// SPDX-License-Identifier: GPL-2.0
/*
 * hvhost: KVM plumbing.
 *
 * One VM with an in-kernel irqchip (PIC, IOAPIC, LAPICs) and PIT, guest
 * RAM below the 32-bit PCI hole (and above 4 GiB for the rest), one thread
 * per vCPU, a timer thread for the Hyper-V synthetic timers.  Port I/O and
 * MMIO that KVM does not handle come here; Hyper-V MSRs (0x40000000 to
 * 0x400001FF) exit here through an MSR filter and go to hv.c, as do
 * hypercalls (an OUT to HVHOST_HYPERCALL_PORT from the hypercall page).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <x86intrin.h>

#include <hyperv/tlfs.h>

#include "vm.h"

#define MSR_IA32_TSC		0x10
#define KVM_SIG_KICK		SIGUSR1

#define CPUID_1_ECX_HYPERVISOR	(1U << 31)
#define CPUID_1_EDX_HTT		(1U << 28)
#define CPUID_HV_FIRST		0x40000000U
#define CPUID_HV_LAST		0x400000ffU
#define CPUID_HYPERVISOR_RANGE	0x4fffffffU

/* ---- guest memory ---------------------------------------------------- */

void *vm_gpa(struct vm *vm, uint64_t gpa, uint64_t len)
{
	uint64_t end;

	if (__builtin_add_overflow(gpa, len, &end))
		return NULL;
	if (end <= vm->low_size)
		return vm->ram + gpa;
	if (gpa >= HIGH_RAM_START && end - HIGH_RAM_START <= vm->high_size)
		return vm->ram + vm->low_size + (gpa - HIGH_RAM_START);
	return NULL;
}

static int vm_setup_memory(struct vm *vm, uint64_t mem)
{
	struct kvm_userspace_memory_region r;

	vm->ram_size = mem;
	vm->low_size = mem > PCI_HOLE_START ? PCI_HOLE_START : mem;
	vm->high_size = mem - vm->low_size;
	vm->ram = mmap(NULL, mem, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->ram == MAP_FAILED) {
		vm->ram = NULL;
		hvlog("cannot map %llu MiB of guest RAM: %s",
		      (unsigned long long)(mem >> 20), strerror(errno));
		return -1;
	}
	madvise(vm->ram, mem, MADV_HUGEPAGE);

	memset(&r, 0, sizeof(r));
	r.slot = 0;
	r.guest_phys_addr = 0;
	r.memory_size = vm->low_size;
	r.userspace_addr = (uintptr_t)vm->ram;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
		hvlog("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
		return -1;
	}
	if (vm->high_size) {
		r.slot = 1;
		r.guest_phys_addr = HIGH_RAM_START;
		r.memory_size = vm->high_size;
		r.userspace_addr = (uintptr_t)(vm->ram + vm->low_size);
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
			hvlog("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* ---- interrupts ------------------------------------------------------ */

int vm_irq_line(struct vm *vm, uint32_t irq, int level)
{
	struct kvm_irq_level l = { .irq = irq, .level = (uint32_t)level };

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0) {
		hvlog_rl("KVM_IRQ_LINE %u: %s", irq, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * ISA IRQs go to the PICs and to the IOAPIC pin of the same number, except
 * IRQ0 (the PIT), which reaches IOAPIC pin 2 as the MADT override says.
 */
static int vm_setup_gsi_routing(struct vm *vm)
{
	struct kvm_irq_routing *r;
	uint32_t n = 0;
	int ret;

	r = calloc(1, sizeof(*r) + 64 * sizeof(r->entries[0]));
	if (!r)
		return -1;
	for (uint32_t gsi = 0; gsi < 16; gsi++) {
		if (gsi == 2)
			continue;
		r->entries[n].gsi = gsi;
		r->entries[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		r->entries[n].u.irqchip.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
							   KVM_IRQCHIP_PIC_SLAVE;
		r->entries[n].u.irqchip.pin = gsi & 7;
		n++;
	}
	for (uint32_t gsi = 0; gsi < KVM_IOAPIC_NUM_PINS; gsi++) {
		if (gsi == 2)
			continue;
		r->entries[n].gsi = gsi;
		r->entries[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		r->entries[n].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		r->entries[n].u.irqchip.pin = gsi ? gsi : 2;
		n++;
	}
	r->nr = n;
	ret = ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, r);
	free(r);
	if (ret < 0)
		hvlog("KVM_SET_GSI_ROUTING: %s", strerror(errno));
	return ret;
}

/* ---- Hyper-V host services (struct hv_host_ops) ---------------------- */

static void *ops_gpa(void *opaque, uint64_t gpa, uint64_t len)
{
	return vm_gpa(opaque, gpa, len);
}

static int ops_irq(void *opaque, uint32_t apic_id, uint8_t vector)
{
	struct vm *vm = opaque;
	struct kvm_msi msi;
	int ret;

	if (apic_id >= vm->nr_vcpus || vector < 16) {
		hvlog_rl("hv: bad interrupt apic %u vector %u", apic_id, vector);
		return -1;
	}
	memset(&msi, 0, sizeof(msi));
	msi.address_lo = (uint32_t)LAPIC_ADDR | (apic_id << 12);
	msi.data = vector;	/* fixed delivery, edge */
	ret = ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi);
	if (ret < 0)
		hvlog_rl("KVM_SIGNAL_MSI: %s", strerror(errno));
	return ret;
}

static uint64_t ops_guest_tsc(void *opaque)
{
	struct vm *vm = opaque;

	return __rdtsc() + vm->tsc_offset;
}

static void ops_kick(void *opaque)
{
	struct vm *vm = opaque;
	uint64_t one = 1;

	if (write(vm->timer_efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		hvlog_rl("timer kick: %s", strerror(errno));
}

static void ops_log(void *opaque, const char *msg)
{
	(void)opaque;
	hvlog("hv: %s", msg);
}

/* The guest TSC is the host TSC plus KVM's offset (no TSC scaling). */
static int vm_measure_tsc(struct vm *vm)
{
	struct vcpu *v = &vm->vcpus[0];
	struct kvm_device_attr attr;
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} msrs;
	uint64_t off, t0, t1;
	int khz;

	khz = ioctl(v->fd, KVM_GET_TSC_KHZ);
	if (khz <= 0) {
		hvlog("KVM_GET_TSC_KHZ: %s", strerror(errno));
		return -1;
	}
	vm->tsc_khz = (uint64_t)khz;

	memset(&attr, 0, sizeof(attr));
	attr.group = KVM_VCPU_TSC_CTRL;
	attr.attr = KVM_VCPU_TSC_OFFSET;
	attr.addr = (uintptr_t)&off;
	if (ioctl(v->fd, KVM_GET_DEVICE_ATTR, &attr) == 0) {
		vm->tsc_offset = off;
		return 0;
	}

	memset(&msrs, 0, sizeof(msrs));
	msrs.hdr.nmsrs = 1;
	msrs.e.index = MSR_IA32_TSC;
	t0 = __rdtsc();
	if (ioctl(v->fd, KVM_GET_MSRS, &msrs) != 1) {
		hvlog("KVM_GET_MSRS(TSC): %s", strerror(errno));
		return -1;
	}
	t1 = __rdtsc();
	vm->tsc_offset = msrs.e.data - (t0 + (t1 - t0) / 2);
	return 0;
}

/* ---- CPUID ----------------------------------------------------------- */

static struct kvm_cpuid2 *get_supported_cpuid(int kvm_fd)
{
	for (uint32_t n = 128; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c;

		c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return NULL;
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG)
			break;
	}
	hvlog("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	return NULL;
}

static uint32_t topo_shift(uint32_t n)
{
	uint32_t s = 0;

	while ((1U << s) < n)
		s++;
	return s;
}

/*
 * The supported CPUID without KVM's own leaves, plus the Hyper-V leaves,
 * with vCPU @id's APIC id and a one-package, one-thread-per-core topology.
 */
static struct kvm_cpuid2 *vm_build_cpuid(struct vm *vm,
					 const struct kvm_cpuid2 *sup,
					 uint32_t id)
{
	uint32_t shift = topo_shift(vm->nr_vcpus), hv_max, n = 0;
	struct kvm_cpuid2 *c;
	uint32_t regs[4];

	c = calloc(1, sizeof(*c) + (sup->nent + 256) * sizeof(c->entries[0]));
	if (!c)
		return NULL;
	for (uint32_t i = 0; i < sup->nent; i++) {
		struct kvm_cpuid_entry2 e = sup->entries[i];

		if (e.function >= CPUID_HV_FIRST &&
		    e.function <= CPUID_HYPERVISOR_RANGE)
			continue;
		switch (e.function) {
		case 1:
			e.ecx |= CPUID_1_ECX_HYPERVISOR;
			e.ebx = (e.ebx & 0xffff) | (id << 24) |
				((vm->nr_vcpus > 1 ? 1U << shift : 1U) << 16);
			if (vm->nr_vcpus > 1)
				e.edx |= CPUID_1_EDX_HTT;
			break;
		case 0xb:
		case 0x1f:
			if (e.index == 0) {		/* SMT level */
				e.eax = 0;
				e.ebx = 1;
				e.ecx = (1U << 8) | e.index;
			} else if (e.index == 1) {	/* core level */
				e.eax = shift;
				e.ebx = vm->nr_vcpus;
				e.ecx = (2U << 8) | e.index;
			} else {
				e.eax = 0;
				e.ebx = 0;
				e.ecx = e.index;
			}
			e.edx = id;
			break;
		case 4:
			e.eax = (e.eax & 0x03ffffffU) | (((1U << shift) - 1) << 26);
			break;
		case 0x80000008:
			e.ecx = (e.ecx & ~0xf0ffU) | (shift << 12) |
				(vm->nr_vcpus - 1);
			break;
		case 0x8000001e:
			e.eax = id;
			e.ebx = id & 0xff;		/* core id, 1 thread */
			e.ecx = 0;			/* node 0 of 1 */
			break;
		default:
			break;
		}
		c->entries[n++] = e;
	}

	if (!hv_cpuid(vm->hv, CPUID_HV_FIRST, 0, regs)) {
		hvlog("hv_cpuid gave no vendor leaf");
		free(c);
		return NULL;
	}
	hv_max = regs[0];
	if (hv_max < CPUID_HV_FIRST || hv_max > CPUID_HV_LAST)
		hv_max = CPUID_HV_FIRST + 0xa;
	for (uint32_t leaf = CPUID_HV_FIRST; leaf <= hv_max; leaf++) {
		struct kvm_cpuid_entry2 *e = &c->entries[n];

		if (!hv_cpuid(vm->hv, leaf, 0, regs))
			continue;
		memset(e, 0, sizeof(*e));
		e->function = leaf;
		e->eax = regs[0];
		e->ebx = regs[1];
		e->ecx = regs[2];
		e->edx = regs[3];
		n++;
	}
	c->nent = n;
	return c;
}

/* ---- MSR exits ------------------------------------------------------- */

static int vm_setup_msr_exits(struct vm *vm)
{
	static uint8_t deny[(HV_X64_MSR_RANGE_LAST - HV_X64_MSR_RANGE_FIRST + 1) / 8];
	struct kvm_enable_cap cap;
	struct kvm_msr_filter f;
	int r;

	r = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_USER_SPACE_MSR);
	if (r <= 0 || !ioctl(vm->vm_fd, KVM_CHECK_EXTENSION,
			     KVM_CAP_X86_MSR_FILTER)) {
		hvlog("KVM lacks user-space MSR exits or MSR filters");
		return -1;
	}
	memset(&cap, 0, sizeof(cap));
	cap.cap = KVM_CAP_X86_USER_SPACE_MSR;
	cap.args[0] = KVM_MSR_EXIT_REASON_FILTER | KVM_MSR_EXIT_REASON_UNKNOWN;
	if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0) {
		hvlog("KVM_ENABLE_CAP(USER_SPACE_MSR): %s", strerror(errno));
		return -1;
	}

	memset(deny, 0, sizeof(deny));	/* a clear bit denies: exit to us */
	memset(&f, 0, sizeof(f));
	f.flags = KVM_MSR_FILTER_DEFAULT_ALLOW;
	f.ranges[0].flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE;
	f.ranges[0].base = HV_X64_MSR_RANGE_FIRST;
	f.ranges[0].nmsrs = HV_X64_MSR_RANGE_LAST - HV_X64_MSR_RANGE_FIRST + 1;
	f.ranges[0].bitmap = deny;
	if (ioctl(vm->vm_fd, KVM_X86_SET_MSR_FILTER, &f) < 0) {
		hvlog("KVM_X86_SET_MSR_FILTER: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static bool is_hv_msr(uint32_t msr)
{
	return msr >= HV_X64_MSR_RANGE_FIRST && msr <= HV_X64_MSR_RANGE_LAST;
}

static void vcpu_rdmsr(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint64_t val = 0;

	if (is_hv_msr(run->msr.index) &&
	    hv_rdmsr(v->vm->hv, v->id, run->msr.index, &val) == 0) {
		run->msr.data = val;
		run->msr.error = 0;
		return;
	}
	if (!is_hv_msr(run->msr.index))
		hvlog_rl("vcpu%u: rdmsr %#x: unknown to KVM, #GP", v->id,
			 run->msr.index);
	run->msr.data = 0;
	run->msr.error = 1;
}

static void vcpu_wrmsr(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	if (is_hv_msr(run->msr.index) &&
	    hv_wrmsr(v->vm->hv, v->id, run->msr.index, run->msr.data) == 0) {
		run->msr.error = 0;
		return;
	}
	if (!is_hv_msr(run->msr.index))
		hvlog_rl("vcpu%u: wrmsr %#x <- %#llx: unknown to KVM, #GP",
			 v->id, run->msr.index,
			 (unsigned long long)run->msr.data);
	run->msr.error = 1;
}

/* ---- port I/O -------------------------------------------------------- */

int vm_register_io(struct vm *vm, uint16_t base, uint16_t len, io_fn fn,
		   void *opaque)
{
	if (vm->nr_io >= MAX_IOPORT_HANDLERS)
		return -1;
	vm->io[vm->nr_io].base = base;
	vm->io[vm->nr_io].len = len;
	vm->io[vm->nr_io].fn = fn;
	vm->io[vm->nr_io].opaque = opaque;
	vm->nr_io++;
	return 0;
}

static void vcpu_hypercall(struct vcpu *v)
{
	struct kvm_regs regs;

	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0) {
		vm_stop(v->vm, EXIT_INTERNAL, "KVM_GET_REGS failed");
		return;
	}
	regs.rax = hv_hypercall(v->vm->hv, v->id, regs.rcx, regs.rdx, regs.r8);
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		vm_stop(v->vm, EXIT_INTERNAL, "KVM_SET_REGS failed");
}

static void debug_exit_io(struct vm *vm, void *opaque, uint16_t port,
			  bool is_write, uint8_t *data, uint32_t size)
{
	char why[64];

	(void)opaque;
	(void)port;
	if (!is_write) {
		memset(data, 0xff, size);
		return;
	}
	snprintf(why, sizeof(why), "guest exit via debug port: status %u",
		 data[0]);
	vm_stop(vm, data[0], why);
}

static void vcpu_io_one(struct vcpu *v, uint16_t port, bool is_write,
			uint8_t *data, uint32_t size)
{
	struct vm *vm = v->vm;

	if (port == HVHOST_HYPERCALL_PORT) {
		if (is_write && size == 1)
			vcpu_hypercall(v);
		else if (!is_write)
			memset(data, 0xff, size);
		return;
	}
	for (int i = 0; i < vm->nr_io; i++) {
		struct io_handler *h = &vm->io[i];

		if (port >= h->base && port - h->base < h->len) {
			h->fn(vm, h->opaque, port, is_write, data, size);
			return;
		}
	}
	/* nothing here: reads float high, writes vanish */
	if (!is_write)
		memset(data, 0xff, size);
}

static void vcpu_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint32_t size = run->io.size;
	uint8_t *p = (uint8_t *)run + run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;

	if (size != 1 && size != 2 && size != 4)
		return;
	if (run->io.data_offset + (uint64_t)size * run->io.count >
	    (uint64_t)v->vm->run_size)
		return;
	/*
	 * The hypercall is a single-byte OUT; a batched REP OUTSB to the port
	 * is refused.  (Some KVMs hand REP OUTSB over one byte per exit; each
	 * then counts as a hypercall with the current registers, which hv.c
	 * validates like any other.)
	 */
	if (run->io.port == HVHOST_HYPERCALL_PORT && run->io.count != 1) {
		hvlog_rl("vcpu%u: rep I/O on the hypercall port ignored", v->id);
		if (!is_write)
			memset(p, 0xff, (size_t)size * run->io.count);
		return;
	}
	for (uint32_t i = 0; i < run->io.count; i++)
		vcpu_io_one(v, run->io.port, is_write, p + i * size, size);
}

static void vcpu_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint32_t len = run->mmio.len > 8 ? 8 : run->mmio.len;

	if (run->mmio.is_write) {
		hvlog_rl("vcpu%u: MMIO write %#llx len %u outside RAM ignored",
			 v->id, (unsigned long long)run->mmio.phys_addr, len);
	} else {
		memset(run->mmio.data, 0xff, len);
		hvlog_rl("vcpu%u: MMIO read %#llx len %u outside RAM",
			 v->id, (unsigned long long)run->mmio.phys_addr, len);
	}
}

/* ---- instructions KVM could not emulate ------------------------------- */

/*
 * Some KVM implementations (kvm-pvm, which runs guests without hardware
 * virtualization) emulate guest kernel code with KVM's instruction
 * emulator, which cannot do everything.  The few instructions a Linux
 * guest needs that it misses are finished here; anything else ends the VM.
 */
/* Read guest-virtual memory through the vCPU's page tables. */
static int vcpu_read_virt(struct vcpu *v, uint64_t va, uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		struct kvm_translation tr = { .linear_address = va + got };
		size_t chunk = 4096 - ((va + got) & 4095);
		uint8_t *p;

		if (ioctl(v->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid)
			break;
		if (chunk > len - got)
			chunk = len - got;
		p = vm_gpa(v->vm, tr.physical_address, chunk);
		if (!p)
			break;
		memcpy(buf + got, p, chunk);
		got += chunk;
	}
	return (int)got;
}

static int vcpu_fetch_insn(struct vcpu *v, uint64_t rip, uint8_t *buf,
			   size_t len)
{
	struct kvm_run *run = v->run;
	size_t got;

	if (run->emulation_failure.ndata >= 3 &&
	    (run->emulation_failure.flags &
	     KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES) &&
	    run->emulation_failure.insn_size) {
		got = run->emulation_failure.insn_size;
		if (got > len)
			got = len;
		if (got > sizeof(run->emulation_failure.insn_bytes))
			got = sizeof(run->emulation_failure.insn_bytes);
		memcpy(buf, run->emulation_failure.insn_bytes, got);
		return (int)got;
	}
	return vcpu_read_virt(v, rip, buf, len);
}

/* Deliver exception @vector with RIP moved to @next_rip (a trap). */
static int vcpu_inject_trap(struct vcpu *v, uint8_t vector, uint64_t next_rip)
{
	struct kvm_vcpu_events ev;
	struct kvm_regs regs;

	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return -1;
	regs.rip = next_rip;
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		return -1;
	ev.exception.injected = 1;
	ev.exception.nr = vector;
	ev.exception.has_error_code = 0;
	ev.exception.error_code = 0;
	ev.flags = 0;
	return ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev);
}

/* Returns true if the instruction was handled and the vCPU can go on. */
static bool vcpu_emulation_failure(struct vcpu *v)
{
	struct kvm_regs regs;
	uint8_t insn[16];
	int n;

	if (v->run->internal.suberror != KVM_INTERNAL_ERROR_EMULATION ||
	    ioctl(v->fd, KVM_GET_REGS, &regs) < 0)
		return false;
	n = vcpu_fetch_insn(v, regs.rip, insn, sizeof(insn));
	if (n >= 1 && insn[0] == 0xcc) {		/* int3 */
		if (vcpu_inject_trap(v, 3, regs.rip + 1) == 0)
			return true;
	}
	if (n >= 1 && insn[0] == 0x9b) {		/* fwait: nothing pending */
		regs.rip++;
		if (ioctl(v->fd, KVM_SET_REGS, &regs) == 0)
			return true;
	}
	if (n > 0) {
		char hex[16 * 3 + 1];

		for (int i = 0; i < n; i++)
			snprintf(hex + 3 * i, 4, "%02x ", insn[i]);
		hvlog("vcpu%u: KVM cannot emulate the instruction at %#llx: %s",
		      v->id, (unsigned long long)regs.rip, hex);
	}
	return false;
}

/* ---- vCPU threads ---------------------------------------------------- */

static void vcpu_dump(struct vcpu *v)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 ||
	    ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return;
	hvlog("vcpu%u: rip %#llx rsp %#llx rax %#llx rflags %#llx cr0 %#llx cr3 %#llx cr4 %#llx efer %#llx",
	      v->id, (unsigned long long)r.rip, (unsigned long long)r.rsp,
	      (unsigned long long)r.rax, (unsigned long long)r.rflags,
	      (unsigned long long)s.cr0, (unsigned long long)s.cr3,
	      (unsigned long long)s.cr4, (unsigned long long)s.efer);
	{
		uint8_t code[16];
		char hex[16 * 3 + 1];
		int n = vcpu_read_virt(v, r.rip, code, sizeof(code));

		for (int i = 0; i < n; i++)
			snprintf(hex + 3 * i, 4, "%02x ", code[i]);
		if (n > 0)
			hvlog("vcpu%u: code at rip: %s", v->id, hex);
	}
}

void vm_dump_vcpus(struct vm *vm)
{
	for (uint32_t i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].fd > 0)
			vcpu_dump(&vm->vcpus[i]);
}

static void kick_handler(int sig)
{
	(void)sig;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	struct kvm_run *run = v->run;
	sigset_t set;
	char why[96];

	sigemptyset(&set);
	sigaddset(&set, KVM_SIG_KICK);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (!atomic_load(&vm->stopping)) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			snprintf(why, sizeof(why), "vcpu%u: KVM_RUN: %s", v->id,
				 strerror(errno));
			vm_stop(vm, EXIT_INTERNAL, why);
			break;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			vcpu_io(v);
			break;
		case KVM_EXIT_MMIO:
			vcpu_mmio(v);
			break;
		case KVM_EXIT_X86_RDMSR:
			vcpu_rdmsr(v);
			break;
		case KVM_EXIT_X86_WRMSR:
			vcpu_wrmsr(v);
			break;
		case KVM_EXIT_INTR:
		case KVM_EXIT_HLT:
		case KVM_EXIT_IRQ_WINDOW_OPEN:
			break;
		case KVM_EXIT_SHUTDOWN:
			snprintf(why, sizeof(why),
				 "vcpu%u: guest shutdown (triple fault or reset)",
				 v->id);
			vcpu_dump(v);
			vm_stop(vm, EXIT_GUEST_RESET, why);
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN)
				vm_stop(vm, EXIT_GUEST_OK, "guest powered off");
			else
				vm_stop(vm, EXIT_GUEST_RESET,
					"guest reset (system event)");
			break;
		case KVM_EXIT_FAIL_ENTRY:
			snprintf(why, sizeof(why),
				 "vcpu%u: VM entry failed, reason %#llx",
				 v->id, (unsigned long long)
				 run->fail_entry.hardware_entry_failure_reason);
			vcpu_dump(v);
			vm_stop(vm, EXIT_INTERNAL, why);
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			if (vcpu_emulation_failure(v))
				break;
			snprintf(why, sizeof(why),
				 "vcpu%u: KVM internal error, suberror %u",
				 v->id, run->internal.suberror);
			vcpu_dump(v);
			vm_stop(vm, EXIT_INTERNAL, why);
			break;
		default:
			snprintf(why, sizeof(why), "vcpu%u: unexpected exit %u",
				 v->id, run->exit_reason);
			vcpu_dump(v);
			vm_stop(vm, EXIT_INTERNAL, why);
			break;
		}
	}
	return NULL;
}

/* ---- timer thread ---------------------------------------------------- */

static void *timer_thread(void *arg)
{
	struct vm *vm = arg;
	struct pollfd pfd[2];

	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	pfd[0].fd = vm->timer_efd;
	pfd[0].events = POLLIN;
	pfd[1].fd = vm->stop_efd;
	pfd[1].events = POLLIN;
	while (!atomic_load(&vm->stopping)) {
		uint64_t deadline = hv_timer_poll(vm->hv), now, cnt;
		struct timespec ts, *tsp = NULL;

		if (deadline != UINT64_MAX) {
			uint64_t ns;

			now = hv_ref_time(vm->hv);
			ns = deadline > now ? (deadline - now) * 100 : 0;
			if (ns < 10000)
				ns = 10000;	/* never spin */
			if (ns > 1000000000ULL)
				ns = 1000000000ULL;
			ts.tv_sec = (time_t)(ns / 1000000000ULL);
			ts.tv_nsec = (long)(ns % 1000000000ULL);
			tsp = &ts;
		}
		if (ppoll(pfd, 2, tsp, NULL) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents)
			break;
		if (pfd[0].revents & POLLIN)
			if (read(vm->timer_efd, &cnt, sizeof(cnt)) < 0)
				continue;
	}
	return NULL;
}

/* ---- life cycle ------------------------------------------------------ */

void vm_stop(struct vm *vm, int status, const char *why)
{
	uint64_t one = 1;

	pthread_mutex_lock(&vm->stop_lock);
	if (atomic_load(&vm->stopping)) {
		pthread_mutex_unlock(&vm->stop_lock);
		return;
	}
	vm->exit_status = status;
	atomic_store(&vm->stopping, true);
	if (why)
		hvlog("%s", why);
	if (vm->stop_efd >= 0 && write(vm->stop_efd, &one, sizeof(one)) < 0)
		hvlog("stop eventfd: %s", strerror(errno));
	for (uint32_t i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (v->run)
			v->run->immediate_exit = 1;
		if (v->thread_started && !pthread_equal(v->thread, pthread_self()))
			pthread_kill(v->thread, KVM_SIG_KICK);
	}
	pthread_mutex_unlock(&vm->stop_lock);
}

static int vm_create_vcpus(struct vm *vm)
{
	for (uint32_t i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		v->vm = vm;
		v->id = i;
		v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)i);
		if (v->fd < 0) {
			hvlog("KVM_CREATE_VCPU %u: %s", i, strerror(errno));
			return -1;
		}
		v->run = mmap(NULL, (size_t)vm->run_size, PROT_READ | PROT_WRITE,
			      MAP_SHARED, v->fd, 0);
		if (v->run == MAP_FAILED) {
			v->run = NULL;
			hvlog("mmap kvm_run: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int vm_setup_cpuid(struct vm *vm)
{
	struct kvm_cpuid2 *sup = get_supported_cpuid(vm->kvm_fd);
	int ret = 0;

	if (!sup)
		return -1;
	for (uint32_t i = 0; i < vm->nr_vcpus && !ret; i++) {
		struct kvm_cpuid2 *c = vm_build_cpuid(vm, sup, i);

		if (!c) {
			ret = -1;
			break;
		}
		if (ioctl(vm->vcpus[i].fd, KVM_SET_CPUID2, c) < 0) {
			hvlog("KVM_SET_CPUID2: %s", strerror(errno));
			ret = -1;
		}
		free(c);
	}
	free(sup);
	return ret;
}

static int vm_setup_devices(struct vm *vm)
{
	struct options *o = vm->opt;

	if (serial_init(&vm->serial, vm, o->console, o->console_log) < 0)
		return -1;
	rtc_init(&vm->rtc, o->rtc_epoch);
	pm_init(&vm->pm);
	if (vm_register_io(vm, SERIAL_COM1_PORT, 8, serial_io, &vm->serial) ||
	    vm_register_io(vm, RTC_PORT, 2, rtc_io, &vm->rtc) ||
	    vm_register_io(vm, PM_BASE_PORT, 12, pm_io, &vm->pm) ||
	    vm_register_io(vm, RESET_CF9_PORT, 1, reset_io, NULL) ||
	    vm_register_io(vm, KBD_CMD_PORT, 1, reset_io, NULL) ||
	    vm_register_io(vm, DEBUG_EXIT_PORT, 1, debug_exit_io, NULL))
		return -1;
	return 0;
}

/* The guest command line: --append plus the compatibility parameters */
static char *vm_cmdline(struct vm *vm, struct options *opt)
{
	const char *append = opt->append ? opt->append : "";
	bool compat = opt->guest_compat > 0;
	char *cl;

	if (opt->guest_compat < 0)
		compat = vm->kvm_pvm;
	if (!compat)
		return strdup(append);
	if (asprintf(&cl, "%s%s%s", append, *append ? " " : "",
		     GUEST_COMPAT_PARAMS) < 0)
		return NULL;
	hvlog("guest compatibility parameters: \"%s\"", GUEST_COMPAT_PARAMS);
	return cl;
}

int vm_create(struct vm *vm, struct options *opt)
{
	uint64_t entry;
	char *cmdline;
	int r;

	memset(vm, 0, sizeof(*vm));
	vm->opt = opt;
	vm->kvm_fd = vm->vm_fd = -1;
	vm->stop_efd = vm->timer_efd = vm->ctl_fd = -1;
	pthread_mutex_init(&vm->stop_lock, NULL);
	vm->nr_vcpus = (uint32_t)opt->cpus;
	vm->start_time = mono_now();
	vm->kvm_pvm = access(KVM_PVM_SYSFS, F_OK) == 0;
	if (vm->kvm_pvm)
		hvlog("KVM here is kvm-pvm: guest kernel code runs in KVM's instruction emulator (slow)");

	vm->profile = hv_profile_find(opt->host);
	if (!vm->profile) {
		hvlog("unknown host profile '%s' (known: %s)", opt->host,
		      hv_profile_names());
		return -1;
	}

	vm->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vm->timer_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_efd < 0 || vm->timer_efd < 0) {
		hvlog("eventfd: %s", strerror(errno));
		return -1;
	}

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		hvlog("/dev/kvm: %s", strerror(errno));
		return -1;
	}
	r = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (r != KVM_API_VERSION) {
		hvlog("KVM API version %d, want %d", r, KVM_API_VERSION);
		return -1;
	}
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size < (int)sizeof(struct kvm_run)) {
		hvlog("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		return -1;
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		hvlog("KVM_CREATE_VM: %s", strerror(errno));
		return -1;
	}
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0) {
		hvlog("KVM_SET_TSS_ADDR: %s", strerror(errno));
		return -1;
	}
	{
		uint64_t idmap = KVM_IDMAP_ADDR;

		if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
			hvlog("KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		hvlog("KVM_CREATE_IRQCHIP: %s", strerror(errno));
		return -1;
	}
	{
		struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

		if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
			hvlog("KVM_CREATE_PIT2: %s", strerror(errno));
			return -1;
		}
	}
	if (vm_setup_gsi_routing(vm) < 0 || vm_setup_msr_exits(vm) < 0)
		return -1;
	if (vm_setup_memory(vm, opt->mem_mib << 20) < 0)
		return -1;
	if (vm_create_vcpus(vm) < 0 || vm_measure_tsc(vm) < 0)
		return -1;

	vm->hv_ops.opaque = vm;
	vm->hv_ops.gpa = ops_gpa;
	vm->hv_ops.irq = ops_irq;
	vm->hv_ops.guest_tsc = ops_guest_tsc;
	vm->hv_ops.kick = ops_kick;
	vm->hv_ops.log = ops_log;
	vm->hv_ops.tsc_khz = vm->tsc_khz;
	vm->hv_ops.apic_hz = 1000000000ULL;	/* KVM's LAPIC: 1 ns bus cycle */
	vm->hv_ops.nr_vcpus = vm->nr_vcpus;
	vm->hv = hv_create(vm->profile, &vm->hv_ops);
	if (!vm->hv) {
		hvlog("hv_create failed");
		return -1;
	}
	if (vm_setup_cpuid(vm) < 0 || vm_setup_devices(vm) < 0)
		return -1;
	cmdline = vm_cmdline(vm, opt);
	if (!cmdline)
		return -1;
	r = boot_load(vm, opt->kernel, opt->initrd, cmdline, &entry);
	free(cmdline);
	if (r < 0)
		return -1;
	if (boot_setup_bsp(vm, &vm->vcpus[0], entry) < 0)
		return -1;
	hvlog("VM: %u vCPU(s), %llu MiB, host profile %s, TSC %llu kHz",
	      vm->nr_vcpus, (unsigned long long)opt->mem_mib,
	      hv_profile_name(vm->profile), (unsigned long long)vm->tsc_khz);
	return 0;
}

int vm_start(struct vm *vm)
{
	struct sigaction sa;
	char why[64];

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(KVM_SIG_KICK, &sa, NULL);

	vm->start_time = mono_now();
	if (pthread_create(&vm->timer_thread, NULL, timer_thread, vm)) {
		vm_stop(vm, EXIT_INTERNAL, "cannot start the timer thread");
		return -1;
	}
	vm->timer_started = true;
	for (uint32_t i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (pthread_create(&v->thread, NULL, vcpu_thread, v)) {
			snprintf(why, sizeof(why), "cannot start vcpu%u", i);
			vm_stop(vm, EXIT_INTERNAL, why);
			return -1;
		}
		pthread_mutex_lock(&vm->stop_lock);
		v->thread_started = true;
		pthread_mutex_unlock(&vm->stop_lock);
	}
	if (serial_start_input(&vm->serial) < 0) {
		vm_stop(vm, EXIT_INTERNAL, "cannot start the console input");
		return -1;
	}
	return 0;
}

void vm_join(struct vm *vm)
{
	for (uint32_t i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (v->thread_started)
			pthread_join(v->thread, NULL);
		v->thread_started = false;
	}
	if (vm->timer_started)
		pthread_join(vm->timer_thread, NULL);
	vm->timer_started = false;
	ctl_stop(vm);
	serial_stop(&vm->serial);
}

void vm_destroy(struct vm *vm)
{
	if (vm->hv)
		hv_destroy(vm->hv);
	vm->hv = NULL;
	for (uint32_t i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (v->run)
			munmap(v->run, (size_t)vm->run_size);
		if (v->fd > 0)
			close(v->fd);
		v->run = NULL;
		v->fd = -1;
	}
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	vm->ram = NULL;
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->stop_efd >= 0)
		close(vm->stop_efd);
	if (vm->timer_efd >= 0)
		close(vm->timer_efd);
	vm->vm_fd = vm->kvm_fd = vm->stop_efd = vm->timer_efd = -1;
}
