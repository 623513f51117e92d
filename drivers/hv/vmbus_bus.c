// SPDX-License-Identifier: GPL-2.0
/*
 * The "vmbus" bus: one device per offered primary channel, named by its
 * instance GUID, matched to drivers by class GUID; uevents carry
 * MODALIAS=vmbus:<class GUID bytes in hex> as the kernel's modpost writes
 * aliases for MODULE_DEVICE_TABLE(vmbus, ...), so udev loads drivers.
 *
 * sysfs, in the layout tools such as lsvmbus read:
 *   /sys/bus/vmbus/devices/<instance>/
 *     class_id device_id     "{GUID}"
 *     id                     the primary channel's relid
 *     state                  offered | opening | open | closing
 *     monitor_id             or -1 without a monitor slot
 *     modalias               vmbus:<hex>
 *     channel_vp_mapping     "relid:vp" per channel
 *     in_* out_*             ring header fields of the primary channel
 *     channels/<relid>/      per channel: cpu (writable: MODIFYCHANNEL),
 *                            interrupts, events, subchannel_id,
 *                            monitor_id, in_mask, out_mask, read_avail,
 *                            write_avail, ring statistics
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "hyperv_vmbus.h"

static struct device *vmbus_parent;

static const char *const vmbus_state_names[] = {
	[HVIC_CHAN_OFFERED] = "offered",
	[HVIC_CHAN_OPENING] = "opening",
	[HVIC_CHAN_OPEN] = "open",
	[HVIC_CHAN_CLOSING] = "closing",
};

/* ------------------------------------------------------------------ */
/* Matching, probing                                                  */
/* ------------------------------------------------------------------ */

static const struct hv_vmbus_device_id *
vmbus_match_id(const struct hvic_driver *drv, const struct hvic_device *dev)
{
	const struct hv_vmbus_device_id *id;

	for (id = drv->id_table; id && !guid_is_null(&id->guid); id++)
		if (guid_equal(&id->guid, &dev->class_id))
			return id;
	return NULL;
}

#ifdef HV_IC_BUS_MATCH_CONST
static int vmbus_match(struct device *dev, const struct device_driver *drv)
#else
static int vmbus_match(struct device *dev, struct device_driver *drv)
#endif
{
	const struct hvic_driver *hdrv =
		container_of(drv, const struct hvic_driver, driver);

	return vmbus_match_id(hdrv, to_hvic_device(dev)) != NULL;
}

#ifdef HV_IC_BUS_UEVENT_CONST
static int vmbus_uevent(const struct device *dev, struct kobj_uevent_env *env)
#else
static int vmbus_uevent(struct device *dev, struct kobj_uevent_env *env)
#endif
{
	const struct hvic_device *hdev =
		container_of(dev, const struct hvic_device, dev);

	return add_uevent_var(env, "MODALIAS=vmbus:%*phN",
			      (int)sizeof(hdev->class_id), &hdev->class_id);
}

static void vmbus_driver_gone(struct hvic_device *hdev);

static int vmbus_probe(struct device *dev)
{
	struct hvic_driver *drv = to_hvic_driver(dev->driver);
	struct hvic_device *hdev = to_hvic_device(dev);
	const struct hv_vmbus_device_id *id = vmbus_match_id(drv, hdev);
	int ret;

	if (!id || !drv->probe)
		return -ENODEV;
	if (hvic_channel_rescinded(hdev->channel))
		return -ENODEV;
	ret = drv->probe(hdev, id);
	/* Nothing of the driver's stays behind a failed probe */
	if (ret)
		vmbus_driver_gone(hdev);
	return ret;
}

static void vmbus_remove(struct device *dev)
{
	struct hvic_driver *drv = to_hvic_driver(dev->driver);
	struct hvic_device *hdev = to_hvic_device(dev);

	if (drv->remove)
		drv->remove(hdev);
	vmbus_driver_gone(hdev);
}

static void vmbus_driver_gone(struct hvic_device *hdev)
{
	struct hvic_channel *primary = hdev->channel, *sub;
	struct device *dev = &hdev->dev;

	/* No more sub-channel calls; whatever the driver left open is closed */
	mutex_lock(&vmbus_channels_lock);
	primary->sub_cb = NULL;
	primary->sub_removed_cb = NULL;
	mutex_unlock(&vmbus_channels_lock);
	for (;;) {
		struct hvic_channel *open = NULL;

		mutex_lock(&vmbus_channels_lock);
		list_for_each_entry(sub, &primary->subs, sub_node) {
			if (READ_ONCE(sub->state) != HVIC_CHAN_OFFERED) {
				open = sub;
				kref_get(&open->kref);
				break;
			}
		}
		mutex_unlock(&vmbus_channels_lock);
		if (!open)
			break;
		dev_warn(dev, "sub-channel %u left open by the driver; closing it\n",
			 open->relid);
		vmbus_channel_force_close(open);
		vmbus_channel_put(open);
	}
	vmbus_channel_force_close(primary);
}

static void vmbus_shutdown(struct device *dev)
{
	struct hvic_driver *drv;

	if (!dev->driver)
		return;
	drv = to_hvic_driver(dev->driver);
	if (drv->shutdown)
		drv->shutdown(to_hvic_device(dev));
}

/* ------------------------------------------------------------------ */
/* Device attributes                                                  */
/* ------------------------------------------------------------------ */

static ssize_t id_show(struct device *dev, struct device_attribute *attr,
		       char *buf)
{
	return sysfs_emit(buf, "%u\n", to_hvic_device(dev)->channel->relid);
}
static DEVICE_ATTR_RO(id);

static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  vmbus_state_names[READ_ONCE(to_hvic_device(dev)->channel->state)]);
}
static DEVICE_ATTR_RO(state);

static ssize_t class_id_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "{%pUl}\n", &to_hvic_device(dev)->class_id);
}
static DEVICE_ATTR_RO(class_id);

static ssize_t device_id_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "{%pUl}\n", &to_hvic_device(dev)->device_id);
}
static DEVICE_ATTR_RO(device_id);

static ssize_t monitor_id_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct hvic_channel *chan = to_hvic_device(dev)->channel;

	return sysfs_emit(buf, "%d\n",
			  chan->monitor_allocated ? chan->monitor_id : -1);
}
static DEVICE_ATTR_RO(monitor_id);

static ssize_t modalias_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct hvic_device *hdev = to_hvic_device(dev);

	return sysfs_emit(buf, "vmbus:%*phN\n", (int)sizeof(hdev->class_id),
			  &hdev->class_id);
}
static DEVICE_ATTR_RO(modalias);

static ssize_t channel_vp_mapping_show(struct device *dev,
				       struct device_attribute *attr,
				       char *buf)
{
	struct hvic_channel *primary = to_hvic_device(dev)->channel, *sub;
	int len;

	len = sysfs_emit(buf, "%u:%u\n", primary->relid, primary->target_vp);
	mutex_lock(&vmbus_channels_lock);
	list_for_each_entry(sub, &primary->subs, sub_node)
		len += sysfs_emit_at(buf, len, "%u:%u\n", sub->relid,
				     sub->target_vp);
	mutex_unlock(&vmbus_channels_lock);
	return len;
}
static DEVICE_ATTR_RO(channel_vp_mapping);

/* Ring header fields: the channel must stay open while we read them */
enum vmbus_ring_field { RING_MASK, RING_READ, RING_WRITE, RING_RAVAIL, RING_WAVAIL };

static ssize_t vmbus_ring_show(struct hvic_channel *chan, bool out,
			       enum vmbus_ring_field f, char *buf)
{
	struct hv_ring *ring = out ? &chan->out : &chan->in;
	u32 rd, wr, mask, pend, v = 0;
	ssize_t ret;

	mutex_lock(&chan->lock);
	if (chan->state != HVIC_CHAN_OPEN) {
		ret = -EINVAL;
		goto unlock;
	}
	hv_ring_snapshot(ring, &rd, &wr, &mask, &pend);
	switch (f) {
	case RING_MASK:
		v = mask;
		break;
	case RING_READ:
		v = rd;
		break;
	case RING_WRITE:
		v = wr;
		break;
	case RING_RAVAIL:
		v = (rd < ring->size && wr < ring->size) ?
		    (wr >= rd ? wr - rd : ring->size - rd + wr) : 0;
		break;
	case RING_WAVAIL:
		v = (rd < ring->size && wr < ring->size) ?
		    (wr >= rd ? ring->size - (wr - rd) : rd - wr) : 0;
		break;
	}
	ret = sysfs_emit(buf, "%u\n", v);
unlock:
	mutex_unlock(&chan->lock);
	return ret;
}

#define VMBUS_RING_ATTR(name, out, field)				\
static ssize_t name##_show(struct device *dev,				\
			   struct device_attribute *attr, char *buf)	\
{									\
	return vmbus_ring_show(to_hvic_device(dev)->channel, out,	\
			       field, buf);				\
}									\
static DEVICE_ATTR_RO(name)

VMBUS_RING_ATTR(out_intr_mask, true, RING_MASK);
VMBUS_RING_ATTR(out_read_index, true, RING_READ);
VMBUS_RING_ATTR(out_write_index, true, RING_WRITE);
VMBUS_RING_ATTR(out_read_bytes_avail, true, RING_RAVAIL);
VMBUS_RING_ATTR(out_write_bytes_avail, true, RING_WAVAIL);
VMBUS_RING_ATTR(in_intr_mask, false, RING_MASK);
VMBUS_RING_ATTR(in_read_index, false, RING_READ);
VMBUS_RING_ATTR(in_write_index, false, RING_WRITE);
VMBUS_RING_ATTR(in_read_bytes_avail, false, RING_RAVAIL);
VMBUS_RING_ATTR(in_write_bytes_avail, false, RING_WAVAIL);

static struct attribute *vmbus_dev_attrs[] = {
	&dev_attr_id.attr,
	&dev_attr_state.attr,
	&dev_attr_class_id.attr,
	&dev_attr_device_id.attr,
	&dev_attr_monitor_id.attr,
	&dev_attr_modalias.attr,
	&dev_attr_channel_vp_mapping.attr,
	&dev_attr_out_intr_mask.attr,
	&dev_attr_out_read_index.attr,
	&dev_attr_out_write_index.attr,
	&dev_attr_out_read_bytes_avail.attr,
	&dev_attr_out_write_bytes_avail.attr,
	&dev_attr_in_intr_mask.attr,
	&dev_attr_in_read_index.attr,
	&dev_attr_in_write_index.attr,
	&dev_attr_in_read_bytes_avail.attr,
	&dev_attr_in_write_bytes_avail.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vmbus_dev);

static struct bus_type vmbus_bus = {
	.name = "vmbus",
	.match = vmbus_match,
	.uevent = vmbus_uevent,
	.probe = vmbus_probe,
	.remove = vmbus_remove,
	.shutdown = vmbus_shutdown,
	.dev_groups = vmbus_dev_groups,
};

/* ------------------------------------------------------------------ */
/* Channel directories                                                */
/* ------------------------------------------------------------------ */

struct vmbus_chan_attr {
	struct attribute attr;
	ssize_t (*show)(struct hvic_channel *chan, char *buf);
	ssize_t (*store)(struct hvic_channel *chan, const char *buf,
			 size_t count);
};

#define to_chan(k)	container_of(k, struct hvic_channel, kobj)

static ssize_t vmbus_chan_attr_show(struct kobject *kobj,
				    struct attribute *attr, char *buf)
{
	struct vmbus_chan_attr *a = container_of(attr, struct vmbus_chan_attr,
						 attr);

	return a->show ? a->show(to_chan(kobj), buf) : -EIO;
}

static ssize_t vmbus_chan_attr_store(struct kobject *kobj,
				     struct attribute *attr, const char *buf,
				     size_t count)
{
	struct vmbus_chan_attr *a = container_of(attr, struct vmbus_chan_attr,
						 attr);

	return a->store ? a->store(to_chan(kobj), buf, count) : -EIO;
}

static const struct sysfs_ops vmbus_chan_sysfs_ops = {
	.show = vmbus_chan_attr_show,
	.store = vmbus_chan_attr_store,
};

#define VMBUS_CHAN_U64(name, expr)					\
static ssize_t chan_##name##_show(struct hvic_channel *chan, char *buf)	\
{									\
	return sysfs_emit(buf, "%llu\n", (unsigned long long)(expr));	\
}									\
static struct vmbus_chan_attr chan_attr_##name = __ATTR(name, 0444,	\
	chan_##name##_show, NULL)

VMBUS_CHAN_U64(interrupts, atomic64_read(&chan->interrupts));
VMBUS_CHAN_U64(events, atomic64_read(&chan->events));
VMBUS_CHAN_U64(bad_packets, atomic64_read(&chan->bad_packets));
VMBUS_CHAN_U64(subchannel_id, chan->subidx);
VMBUS_CHAN_U64(monitor_id, chan->monitor_id);
VMBUS_CHAN_U64(monitor_allocated, chan->monitor_allocated);

/* Ring statistics, read under the channel lock (the rings may go away) */
static ssize_t vmbus_chan_ring_stats(struct hvic_channel *chan, char *buf)
{
	u32 rd, wr, mask, pend;
	int len = 0, i;
	ssize_t ret;

	mutex_lock(&chan->lock);
	if (chan->state != HVIC_CHAN_OPEN) {
		ret = sysfs_emit(buf, "closed\n");
		goto unlock;
	}
	for (i = 0; i < 2; i++) {
		struct hv_ring *r = i ? &chan->in : &chan->out;
		const char *n = i ? "in" : "out";

		hv_ring_snapshot(r, &rd, &wr, &mask, &pend);
		len += sysfs_emit_at(buf, len,
				     "%s_size %u\n%s_read_index %u\n%s_write_index %u\n%s_interrupt_mask %u\n%s_pending_send_sz %u\n%s_packets %llu\n%s_bytes %llu\n%s_full %llu\n%s_signals %llu\n%s_broken %d\n",
				     n, r->size, n, rd, n, wr, n, mask, n, pend,
				     n, r->packets, n, r->bytes, n, r->full,
				     n, r->signals, n, r->broken);
	}
	ret = len;
unlock:
	mutex_unlock(&chan->lock);
	return ret;
}
static struct vmbus_chan_attr chan_attr_ring = __ATTR(ring, 0444,
	vmbus_chan_ring_stats, NULL);

static ssize_t chan_cpu_show(struct hvic_channel *chan, char *buf)
{
	return sysfs_emit(buf, "%u\n", chan->target_cpu);
}

static ssize_t chan_cpu_store(struct hvic_channel *chan, const char *buf,
			      size_t count)
{
	unsigned int cpu;
	int ret;

	if (kstrtouint(buf, 0, &cpu))
		return -EINVAL;
	mutex_lock(&chan->lock);
	ret = vmbus_channel_modify(chan, cpu);
	mutex_unlock(&chan->lock);
	return ret ?: count;
}
static struct vmbus_chan_attr chan_attr_cpu = __ATTR(cpu, 0644,
	chan_cpu_show, chan_cpu_store);

static struct attribute *vmbus_chan_attrs[] = {
	&chan_attr_interrupts.attr,
	&chan_attr_events.attr,
	&chan_attr_bad_packets.attr,
	&chan_attr_subchannel_id.attr,
	&chan_attr_monitor_id.attr,
	&chan_attr_monitor_allocated.attr,
	&chan_attr_ring.attr,
	&chan_attr_cpu.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vmbus_chan);

static void vmbus_chan_kobj_release(struct kobject *kobj)
{
	vmbus_channel_put(to_chan(kobj));
}

static const struct kobj_type vmbus_chan_ktype = {
	.sysfs_ops = &vmbus_chan_sysfs_ops,
	.default_groups = vmbus_chan_groups,
	.release = vmbus_chan_kobj_release,
};

int vmbus_channel_sysfs_add(struct hvic_channel *chan)
{
	struct hvic_device *dev = chan->device;
	int ret;

	if (!dev || !dev->channels_kobj || chan->kobj_added)
		return -ENODEV;
	kref_get(&chan->kref);
	ret = kobject_init_and_add(&chan->kobj, (struct kobj_type *)&vmbus_chan_ktype,
				   dev->channels_kobj, "%u", chan->relid);
	if (ret) {
		kobject_put(&chan->kobj);
		return ret;
	}
	chan->kobj_added = true;
	kobject_uevent(&chan->kobj, KOBJ_ADD);
	return 0;
}

void vmbus_channel_sysfs_del(struct hvic_channel *chan)
{
	if (!chan->kobj_added)
		return;
	chan->kobj_added = false;
	kobject_del(&chan->kobj);
	kobject_put(&chan->kobj);
}

/* ------------------------------------------------------------------ */
/* Devices                                                            */
/* ------------------------------------------------------------------ */

/* The memory goes with the primary channel (sub-channels point to it) */
static void vmbus_device_release(struct device *dev)
{
	vmbus_channel_put(to_hvic_device(dev)->channel);
}

int vmbus_device_add(struct hvic_channel *primary)
{
	struct hvic_device *dev;
	int ret;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	dev->class_id = primary->offer.if_type;
	dev->device_id = primary->offer.if_instance;
	kref_get(&primary->kref);
	dev->channel = primary;
	primary->device = dev;
	dev->dev.bus = &vmbus_bus;
	dev->dev.parent = vmbus_parent;
	dev->dev.release = vmbus_device_release;
	dev_set_name(&dev->dev, "%pUl", &dev->device_id);

	ret = device_register(&dev->dev);
	if (ret) {
		put_device(&dev->dev);
		return ret;
	}
	dev->channels_kobj = kobject_create_and_add("channels", &dev->dev.kobj);
	if (dev->channels_kobj)
		vmbus_channel_sysfs_add(primary);
	return 0;
}

void vmbus_device_remove(struct hvic_channel *primary)
{
	struct hvic_device *dev = primary->device;
	struct hvic_channel *sub;

	mutex_lock(&vmbus_channels_lock);
	/* Once: a rescind and the unload may both get here */
	if (!dev || primary->device_removed) {
		mutex_unlock(&vmbus_channels_lock);
		return;
	}
	primary->device_removed = true;
	list_for_each_entry(sub, &primary->subs, sub_node)
		vmbus_channel_sysfs_del(sub);
	vmbus_channel_sysfs_del(primary);
	mutex_unlock(&vmbus_channels_lock);
	kobject_put(dev->channels_kobj);
	dev->channels_kobj = NULL;
	if (device_is_registered(&dev->dev))
		device_unregister(&dev->dev);
}

/* ------------------------------------------------------------------ */
/* Drivers                                                            */
/* ------------------------------------------------------------------ */

int __hvic_driver_register(struct hvic_driver *drv, struct module *owner,
			   const char *mod_name)
{
	drv->driver.name = drv->name;
	drv->driver.owner = owner;
	drv->driver.mod_name = mod_name;
	drv->driver.bus = &vmbus_bus;
	return driver_register(&drv->driver);
}
HV_IC_EXPORT(__hvic_driver_register);

void hvic_driver_unregister(struct hvic_driver *drv)
{
	driver_unregister(&drv->driver);
}
HV_IC_EXPORT(hvic_driver_unregister);

void hvic_set_subchannel_callbacks(struct hvic_channel *primary,
				   void (*cb)(struct hvic_channel *sub),
				   void (*removed_cb)(struct hvic_channel *sub))
{
	primary->sub_cb = cb;
	primary->sub_removed_cb = removed_cb;
}
HV_IC_EXPORT(hvic_set_subchannel_callbacks);

unsigned int hvic_subchannels(struct hvic_channel *primary,
			      struct hvic_channel **subs, unsigned int max)
{
	struct hvic_channel *sub;
	unsigned int n = 0;

	mutex_lock(&vmbus_channels_lock);
	list_for_each_entry(sub, &primary->subs, sub_node) {
		if (n == max)
			break;
		if (READ_ONCE(sub->state) == HVIC_CHAN_OPEN)
			subs[n++] = sub;
	}
	mutex_unlock(&vmbus_channels_lock);
	return n;
}
HV_IC_EXPORT(hvic_subchannels);

int vmbus_bus_init(void)
{
	return bus_register(&vmbus_bus);
}

void vmbus_bus_exit(void)
{
	bus_unregister(&vmbus_bus);
}

void vmbus_set_parent(struct device *parent)
{
	vmbus_parent = parent;
}
