// SPDX-License-Identifier: GPL-2.0
/*
 * Synthetic interrupt controller (SynIC).
 *
 * Every online CPU gets a message page (SIMP) and an event-flag page
 * (SIEFP) and has SCONTROL enabled.  The VMBus SINT carries a vector the
 * kernel gave us: a module cannot claim an IDT vector, so we request the
 * interrupt of the VMBus ACPI device and borrow the vector the kernel
 * assigned to it.  That vector exists on one CPU only (the interrupt's
 * effective affinity), so the SINT is unmasked on that CPU and masked on
 * all others, and that CPU must stay online while we are loaded.
 *
 * The interrupt handler takes messages out of the VMBus slot (following
 * the TLFS slot protocol), counts them and hands channel messages to the
 * VMBus layer; when event flags are set it has the VMBus layer's tasklet
 * collect them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/gfp.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/irq.h>
#include <linux/percpu.h>

#include <asm/hw_irq.h>
#include <asm/irq_vectors.h>
#include <asm/msr.h>

#include "hyperv_vmbus.h"

/* Bound on messages taken per interrupt: the host cannot keep us here */
#define HV_SYNIC_DRAIN_MAX	64

struct hv_synic_cpu {
	struct hv_message_page *msg_page;
	struct hv_synic_event_flags_page *event_page;
};

static DEFINE_PER_CPU(struct hv_synic_cpu, hv_synic_cpu);

static struct {
	int irq;
	unsigned int cpu;		/* where the interrupt is delivered */
	unsigned int vector;
	enum cpuhp_state cpuhp_state;
	bool active;			/* set up: the target CPU stays online */
	atomic_t nr_cpus;		/* CPUs with the SynIC enabled */
} hv_synic = {
	.irq = -1,
};

struct hv_synic_stats hv_synic_stats;

/* ------------------------------------------------------------------ */
/* Interrupt                                                          */
/* ------------------------------------------------------------------ */

/*
 * TLFS message slot protocol: mark the slot free, then, if the host flagged
 * more messages as pending, write EOM so that it delivers the next one.
 */
static void hv_synic_free_slot(struct hv_message *msg)
{
	WRITE_ONCE(msg->header.message_type, HVMSG_NONE);
	/* Free slot visible to the host before we read its pending flag */
	mb();
	if (READ_ONCE(msg->header.message_flags) & HV_MESSAGE_FLAG_PENDING) {
		atomic_long_inc(&hv_synic_stats.eom);
		wrmsrl(HV_X64_MSR_EOM, 0);
	}
}

static bool hv_synic_count_message(u32 type, u8 size)
{
	if (size > HV_MESSAGE_PAYLOAD_BYTE_COUNT) {
		atomic_long_inc(&hv_synic_stats.bad_messages);
		pr_warn_ratelimited("dropped SINT%d message type %#x: payload size %u > %u\n",
				    HV_VMBUS_MESSAGE_SINT, type, size,
				    HV_MESSAGE_PAYLOAD_BYTE_COUNT);
		return false;
	}
	if (type & HVMSG_HYPERVISOR_MASK)
		pr_warn_ratelimited("unexpected hypervisor message type %#x on SINT%d\n",
				    type, HV_VMBUS_MESSAGE_SINT);

	atomic_long_inc(&hv_synic_stats.messages);
	if (type < HV_SYNIC_MSG_TYPES)
		atomic_long_inc(&hv_synic_stats.msg_type[type]);
	else
		atomic_long_inc(&hv_synic_stats.msg_type_other);
	return true;
}

static bool hv_synic_take_messages(struct hv_synic_cpu *sc)
{
	struct hv_message *msg =
		&sc->msg_page->sint_message[HV_VMBUS_MESSAGE_SINT];
	unsigned int n;
	u32 type;

	for (n = 0; n < HV_SYNIC_DRAIN_MAX; n++) {
		type = READ_ONCE(msg->header.message_type);
		if (type == HVMSG_NONE)
			break;
		/* Read the header before the rest of the message */
		rmb();
		if (hv_synic_count_message(type,
					   READ_ONCE(msg->header.payload_size)))
			vmbus_isr_message(msg);
		hv_synic_free_slot(msg);
	}
	return n > 0;
}

/* Flags are collected (and counted) by the VMBus layer's tasklet */
static bool hv_synic_take_events(struct hv_synic_cpu *sc)
{
	__u64 *flags =
		sc->event_page->sintevent_flags[HV_VMBUS_MESSAGE_SINT].flags;
	unsigned int i;

	for (i = 0; i < HV_EVENT_FLAGS_LONG_COUNT; i++) {
		if (READ_ONCE(flags[i])) {
			atomic_long_inc(&hv_synic_stats.event_interrupts);
			vmbus_isr_events();
			return true;
		}
	}
	return false;
}

unsigned long *hv_synic_vmbus_event_flags(void)
{
	struct hv_synic_cpu *sc = this_cpu_ptr(&hv_synic_cpu);

	if (!sc->event_page)
		return NULL;
	return (unsigned long *)
		sc->event_page->sintevent_flags[HV_VMBUS_MESSAGE_SINT].flags;
}

static irqreturn_t hv_synic_isr(int irq, void *dev_id)
{
	struct hv_synic_cpu *sc = this_cpu_ptr(&hv_synic_cpu);
	bool work;

	if (!sc->msg_page || !sc->event_page) {
		atomic_long_inc(&hv_synic_stats.spurious);
		return IRQ_NONE;
	}

	work = hv_synic_take_events(sc);
	work |= hv_synic_take_messages(sc);
	if (!work) {
		atomic_long_inc(&hv_synic_stats.spurious);
		return IRQ_NONE;
	}
	return IRQ_HANDLED;
}

/* ------------------------------------------------------------------ */
/* Per-CPU registers                                                  */
/* ------------------------------------------------------------------ */

static u64 hv_page_msr(u64 old, u64 gpa, bool enable)
{
	old &= ~(HV_MSR_PAGE_PFN_MASK | HV_MSR_PAGE_ENABLE);
	return enable ? old | gpa | HV_MSR_PAGE_ENABLE : old;
}

/* Called on the CPU itself, interrupts off */
static void hv_synic_disable_regs(void)
{
	u64 val;

	if (!rdmsrl_safe(HV_X64_MSR_SINT(HV_VMBUS_MESSAGE_SINT), &val)) {
		val &= ~(HV_SINT_VECTOR_MASK | HV_SINT_AUTO_EOI |
			 HV_SINT_POLLING);
		wrmsrl_safe(HV_X64_MSR_SINT(HV_VMBUS_MESSAGE_SINT),
			    val | HV_SINT_MASKED);
	}
	if (!rdmsrl_safe(HV_X64_MSR_SCONTROL, &val))
		wrmsrl_safe(HV_X64_MSR_SCONTROL, val & ~HV_SCONTROL_ENABLE);
	if (!rdmsrl_safe(HV_X64_MSR_SIEFP, &val))
		wrmsrl_safe(HV_X64_MSR_SIEFP, hv_page_msr(val, 0, false));
	if (!rdmsrl_safe(HV_X64_MSR_SIMP, &val))
		wrmsrl_safe(HV_X64_MSR_SIMP, hv_page_msr(val, 0, false));
}

/* Called on the CPU itself, interrupts off */
static int hv_synic_enable_regs(struct hv_synic_cpu *sc, bool target)
{
	u64 msg_gpa = virt_to_phys(sc->msg_page);
	u64 ev_gpa = virt_to_phys(sc->event_page);
	u64 simp, siefp, sint, sctrl;

	if (rdmsrl_safe(HV_X64_MSR_SIMP, &simp) ||
	    rdmsrl_safe(HV_X64_MSR_SIEFP, &siefp) ||
	    rdmsrl_safe(HV_X64_MSR_SINT(HV_VMBUS_MESSAGE_SINT), &sint) ||
	    rdmsrl_safe(HV_X64_MSR_SCONTROL, &sctrl))
		return -EIO;

	simp = hv_page_msr(simp, msg_gpa, true);
	siefp = hv_page_msr(siefp, ev_gpa, true);
	/* Auto-EOI stays off: the local APIC EOI comes from the irq chip */
	sint &= ~(HV_SINT_VECTOR_MASK | HV_SINT_MASKED | HV_SINT_AUTO_EOI |
		  HV_SINT_POLLING);
	sint |= hv_synic.vector;
	if (!target)
		sint |= HV_SINT_MASKED;

	if (wrmsrl_safe(HV_X64_MSR_SIMP, simp) ||
	    wrmsrl_safe(HV_X64_MSR_SIEFP, siefp) ||
	    wrmsrl_safe(HV_X64_MSR_SINT(HV_VMBUS_MESSAGE_SINT), sint) ||
	    wrmsrl_safe(HV_X64_MSR_SCONTROL, sctrl | HV_SCONTROL_ENABLE))
		return -EIO;

	/* The host must have taken the pages where we put them */
	if (rdmsrl_safe(HV_X64_MSR_SIMP, &simp) ||
	    rdmsrl_safe(HV_X64_MSR_SIEFP, &siefp) ||
	    (simp & (HV_MSR_PAGE_PFN_MASK | HV_MSR_PAGE_ENABLE)) !=
	    (msg_gpa | HV_MSR_PAGE_ENABLE) ||
	    (siefp & (HV_MSR_PAGE_PFN_MASK | HV_MSR_PAGE_ENABLE)) !=
	    (ev_gpa | HV_MSR_PAGE_ENABLE))
		return -EIO;
	return 0;
}

static int hv_synic_cpu_online(unsigned int cpu)
{
	struct hv_synic_cpu *sc = per_cpu_ptr(&hv_synic_cpu, cpu);
	void *msg, *ev;
	unsigned long flags;
	int ret;

	msg = (void *)get_zeroed_page(GFP_KERNEL);
	ev = (void *)get_zeroed_page(GFP_KERNEL);
	if (!msg || !ev) {
		ret = -ENOMEM;
		goto free;
	}

	local_irq_save(flags);
	sc->msg_page = msg;
	sc->event_page = ev;
	ret = hv_synic_enable_regs(sc, cpu == hv_synic.cpu);
	if (ret) {
		hv_synic_disable_regs();
		sc->msg_page = NULL;
		sc->event_page = NULL;
	}
	local_irq_restore(flags);
	if (ret) {
		pr_err("CPU %u: the host refused the SynIC setup\n", cpu);
		goto free;
	}
	atomic_inc(&hv_synic.nr_cpus);
	return 0;

free:
	free_page((unsigned long)msg);
	free_page((unsigned long)ev);
	return ret;
}

static int hv_synic_cpu_offline(unsigned int cpu)
{
	struct hv_synic_cpu *sc = per_cpu_ptr(&hv_synic_cpu, cpu);
	unsigned long flags;
	void *msg, *ev;

	if (READ_ONCE(hv_synic.active) && cpu == hv_synic.cpu) {
		pr_notice("CPU %u receives the VMBus interrupt (vector %#x); it cannot go offline while hv_vmbus is loaded\n",
			  cpu, hv_synic.vector);
		return -EBUSY;
	}

	/* Runs on @cpu: with interrupts off the handler cannot be running */
	local_irq_save(flags);
	hv_synic_disable_regs();
	msg = sc->msg_page;
	ev = sc->event_page;
	sc->msg_page = NULL;
	sc->event_page = NULL;
	local_irq_restore(flags);

	if (msg)
		atomic_dec(&hv_synic.nr_cpus);
	free_page((unsigned long)msg);
	free_page((unsigned long)ev);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Setup                                                              */
/* ------------------------------------------------------------------ */

/* Where the kernel delivers @irq: one CPU and the vector there */
static int hv_synic_irq_target(int irq, unsigned int *cpu,
			       unsigned int *vector)
{
	struct irq_data *irqd = irq_get_irq_data(irq);
	const struct cpumask *eff;
	struct irq_cfg *cfg;

	if (!irqd)
		return -EINVAL;
	cfg = irqd_cfg(irqd);
	eff = irq_data_get_effective_affinity_mask(irqd);
	if (!cfg || !eff || cpumask_weight(eff) != 1) {
		pr_err("IRQ %d has no single-CPU vector assignment\n", irq);
		return -EINVAL;
	}
	*cpu = cpumask_first(eff);
	*vector = cfg->vector;
	if (*vector < FIRST_EXTERNAL_VECTOR || *vector >= NR_VECTORS ||
	    *vector < HV_SINT_MIN_VECTOR || !cpu_online(*cpu)) {
		pr_err("IRQ %d: unusable vector %#x on CPU %u\n", irq, *vector,
		       *cpu);
		return -EINVAL;
	}
	return 0;
}

/**
 * hv_synic_init() - enable the SynIC on all CPUs, VMBus SINT on @irq
 * @irq: the interrupt of the VMBus ACPI device
 *
 * Return: 0 or a negative errno.
 */
int hv_synic_init(int irq)
{
	struct irq_data *irqd = irq_get_irq_data(irq);
	unsigned int cpu, vector;
	int ret;

	if (!irqd) {
		pr_err("IRQ %d does not exist\n", irq);
		return -EINVAL;
	}

	/*
	 * Ask for one target CPU (the first online one, normally CPU 0, which
	 * rarely goes offline) while the interrupt is not active yet; the
	 * vector is assigned there when request_irq() activates it.  An
	 * active I/O APIC interrupt would only move on its next delivery,
	 * which never comes: the SynIC raises the vector, not the pin.
	 */
	if (!irqd_is_activated(irqd))
		irq_set_affinity(irq, cpumask_of(cpumask_first(cpu_online_mask)));

	ret = request_irq(irq, hv_synic_isr, IRQF_NOBALANCING | IRQF_NO_THREAD,
			  KBUILD_MODNAME, &hv_synic);
	if (ret) {
		pr_err("cannot get IRQ %d: %d\n", irq, ret);
		return ret;
	}

	/* No CPU goes away between reading the target and programming it */
	cpus_read_lock();
	ret = hv_synic_irq_target(irq, &cpu, &vector);
	if (ret)
		goto unlock;
	hv_synic.irq = irq;
	hv_synic.cpu = cpu;
	hv_synic.vector = vector;

	ret = cpuhp_setup_state_cpuslocked(CPUHP_AP_ONLINE_DYN,
					   "hv_vmbus/synic:online",
					   hv_synic_cpu_online,
					   hv_synic_cpu_offline);
	if (ret < 0) {
		pr_err("SynIC setup failed: %d\n", ret);
		goto unlock;
	}
	hv_synic.cpuhp_state = ret;
	WRITE_ONCE(hv_synic.active, true);
	ret = 0;
unlock:
	cpus_read_unlock();
	if (ret) {
		hv_synic.irq = -1;
		free_irq(irq, &hv_synic);
	}
	return ret;
}

void hv_synic_exit(void)
{
	if (!READ_ONCE(hv_synic.active))
		return;
	WRITE_ONCE(hv_synic.active, false);
	cpuhp_remove_state(hv_synic.cpuhp_state);
	free_irq(hv_synic.irq, &hv_synic);
	hv_synic.irq = -1;
}

bool hv_synic_target(unsigned int *cpu, unsigned int *vector, int *irq)
{
	if (!READ_ONCE(hv_synic.active))
		return false;
	*cpu = hv_synic.cpu;
	*vector = hv_synic.vector;
	*irq = hv_synic.irq;
	return true;
}

unsigned int hv_synic_nr_cpus(void)
{
	return atomic_read(&hv_synic.nr_cpus);
}
