// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/hv_vmbus: what the platform layer found and did, for admins
 * and for selftests/hv_platform.
 *
 *   version          Hyper-V version "major.minor.build"
 *   features         CPUID 0x40000003 EAX EBX ECX EDX, hex
 *   hints            CPUID 0x40000004 EAX, hex
 *   guest_os_id      the value written to HV_X64_MSR_GUEST_OS_ID
 *   hypercall_gpa    guest-physical address of the hypercall page
 *   hypercall_test   one line per self-test hypercall:
 *                    "NAME STATUS EXPECTED pass|fail"; write 1 to rerun
 *   synic            "cpus N irq I cpu C vp V vector X" or "off"
 *   clocksource      name of our registered clocksource, or "none"
 *   ref_time         "CLOCKSOURCE MSR": our clocksource read, then
 *                    TIME_REF_COUNT (100 ns units)
 *   counters         "name value" lines: SynIC messages and events
 *   vmbus_version    the negotiated VMBus version "major.minor", or "none"
 *   vmbus_connection "msg_conn_id N cpu C vp V signals S": where channel
 *                    messages go, where host interrupts arrive, guest->host
 *                    signals sent
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/mutex.h>
#include <linux/sysfs.h>

#include "hyperv_vmbus.h"

static struct kobject *hv_kobj;
static DEFINE_MUTEX(hv_selftest_lock);
static struct hv_hypercall_check hv_selftest_res[HV_HYPERCALL_CHECKS];

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%u.%u.%u\n", hv_info.major, hv_info.minor,
			  hv_info.build);
}

static ssize_t features_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%#010x %#010x %#010x %#010x\n",
			  hv_info.features[0], hv_info.features[1],
			  hv_info.features[2], hv_info.features[3]);
}

static ssize_t hints_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%#010x\n", hv_info.hints);
}

static ssize_t guest_os_id_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%#018llx\n", hv_info.guest_os_id);
}

static ssize_t hypercall_gpa_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%#llx\n", hv_info.hypercall_gpa);
}

static ssize_t hypercall_test_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	const struct hv_hypercall_check *r;
	int i, len = 0;

	mutex_lock(&hv_selftest_lock);
	for (i = 0; i < HV_HYPERCALL_CHECKS; i++) {
		r = &hv_selftest_res[i];
		len += sysfs_emit_at(buf, len, "%s %s %s %s\n", r->name,
				     hv_status_name(r->status),
				     hv_status_name(r->expected),
				     r->pass ? "pass" : "fail");
	}
	mutex_unlock(&hv_selftest_lock);
	return len;
}

static ssize_t hypercall_test_store(struct kobject *kobj,
				    struct kobj_attribute *attr,
				    const char *buf, size_t count)
{
	bool run;

	if (kstrtobool(buf, &run))
		return -EINVAL;
	if (run) {
		mutex_lock(&hv_selftest_lock);
		hv_hypercall_selftest(hv_selftest_res);
		mutex_unlock(&hv_selftest_lock);
	}
	return count;
}

static ssize_t synic_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	unsigned int cpu, vector;
	int irq;

	if (!hv_synic_target(&cpu, &vector, &irq))
		return sysfs_emit(buf, "off\n");
	return sysfs_emit(buf, "cpus %u irq %d cpu %u vp %u vector %#x\n",
			  hv_synic_nr_cpus(), irq, cpu, hv_vp_index(cpu),
			  vector);
}

static ssize_t clocksource_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", hv_clocksource_name());
}

static ssize_t ref_time_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	u64 cs, msr;

	if (!hv_clocksource_sample(&cs, &msr))
		return -ENODEV;
	return sysfs_emit(buf, "%llu %llu\n", cs, msr);
}

static ssize_t counters_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	struct hv_synic_stats *s = &hv_synic_stats;
	int i, len = 0;

#define HV_EMIT(name, v) \
	(len += sysfs_emit_at(buf, len, "%s %ld\n", name, atomic_long_read(v)))
	HV_EMIT("messages", &s->messages);
	HV_EMIT("bad_messages", &s->bad_messages);
	HV_EMIT("eom", &s->eom);
	HV_EMIT("event_interrupts", &s->event_interrupts);
	HV_EMIT("event_flags", &s->event_flags);
	HV_EMIT("spurious", &s->spurious);
	for (i = 1; i < HV_SYNIC_MSG_TYPES; i++)
		len += sysfs_emit_at(buf, len, "msg_type_%d %ld\n", i,
				     atomic_long_read(&s->msg_type[i]));
	HV_EMIT("msg_type_other", &s->msg_type_other);
#undef HV_EMIT
	return len;
}

static ssize_t vmbus_version_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	u32 v = hvic_vmbus_version();

	if (!v)
		return sysfs_emit(buf, "none\n");
	return sysfs_emit(buf, "%u.%u\n", VMBUS_VERSION_MAJOR(v),
			  VMBUS_VERSION_MINOR(v));
}

static ssize_t vmbus_connection_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	if (!hvic_vmbus_version())
		return sysfs_emit(buf, "none\n");
	return sysfs_emit(buf, "msg_conn_id %u cpu %u vp %u signals %lld\n",
			  READ_ONCE(vmbus_conn.msg_conn_id), vmbus_conn.cpu,
			  vmbus_conn.vp, atomic64_read(&vmbus_conn.signals));
}

static struct kobj_attribute hv_attr_version = __ATTR_RO(version);
static struct kobj_attribute hv_attr_vmbus_version = __ATTR_RO(vmbus_version);
static struct kobj_attribute hv_attr_vmbus_connection =
	__ATTR_RO(vmbus_connection);
static struct kobj_attribute hv_attr_features = __ATTR_RO(features);
static struct kobj_attribute hv_attr_hints = __ATTR_RO(hints);
static struct kobj_attribute hv_attr_guest_os_id = __ATTR_RO(guest_os_id);
static struct kobj_attribute hv_attr_hypercall_gpa = __ATTR_RO(hypercall_gpa);
static struct kobj_attribute hv_attr_hypercall_test =
	__ATTR(hypercall_test, 0644, hypercall_test_show, hypercall_test_store);
static struct kobj_attribute hv_attr_synic = __ATTR_RO(synic);
static struct kobj_attribute hv_attr_clocksource = __ATTR_RO(clocksource);
static struct kobj_attribute hv_attr_ref_time = __ATTR_RO(ref_time);
static struct kobj_attribute hv_attr_counters = __ATTR_RO(counters);

static struct attribute *hv_attrs[] = {
	&hv_attr_version.attr,
	&hv_attr_features.attr,
	&hv_attr_hints.attr,
	&hv_attr_guest_os_id.attr,
	&hv_attr_hypercall_gpa.attr,
	&hv_attr_hypercall_test.attr,
	&hv_attr_synic.attr,
	&hv_attr_clocksource.attr,
	&hv_attr_ref_time.attr,
	&hv_attr_counters.attr,
	&hv_attr_vmbus_version.attr,
	&hv_attr_vmbus_connection.attr,
	NULL,
};

static const struct attribute_group hv_attr_group = {
	.attrs = hv_attrs,
};

/**
 * hv_sysfs_init() - run the hypercall self-test, create /sys/kernel/hv_vmbus
 * @hypercall_ok: set to whether every self-test hypercall answered as
 *	expected (failures are logged; they do not fail the load)
 *
 * Return: 0 or a negative errno.
 */
int hv_sysfs_init(bool *hypercall_ok)
{
	const struct hv_hypercall_check *r;
	unsigned int i;
	int ret;

	*hypercall_ok = hv_hypercall_selftest(hv_selftest_res);
	for (i = 0; i < HV_HYPERCALL_CHECKS; i++) {
		r = &hv_selftest_res[i];
		if (!r->pass)
			pr_warn("hypercall self-test %s: got %s (%#x), expected %s\n",
				r->name, hv_status_name(r->status), r->status,
				hv_status_name(r->expected));
	}

	hv_kobj = kobject_create_and_add(KBUILD_MODNAME, kernel_kobj);
	if (!hv_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(hv_kobj, &hv_attr_group);
	if (ret) {
		kobject_put(hv_kobj);
		hv_kobj = NULL;
	}
	return ret;
}

void hv_sysfs_exit(void)
{
	if (!hv_kobj)
		return;
	sysfs_remove_group(hv_kobj, &hv_attr_group);
	kobject_put(hv_kobj);
	hv_kobj = NULL;
}
