// SPDX-License-Identifier: GPL-2.0
/*
 * Channel management: the channel messages the host sends, dispatched
 * through one table.  Answers to our requests (VERSION_RESPONSE,
 * OPENCHANNEL_RESULT, GPADL_CREATED, ...) are matched in the interrupt to
 * the waiting request by the fields the guest chose; offers and rescinds
 * go to an ordered workqueue, where devices are added and removed.
 *
 * Channel events: the interrupt only notes that flags are set; a tasklet
 * on the same CPU collects them (the SIEFP flags from 2.4, the receive
 * half of the interrupt page before) and runs the channels' callbacks.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/interrupt.h>
#include <linux/smp.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "hyperv_vmbus.h"

/* relid -> channel; lookups under RCU from the tasklet */
static DEFINE_XARRAY(vmbus_channels);
/*
 * Serializes changes to the channel set and to primaries' sub-channel
 * lists (offer and rescind work, unload); never held across a driver's
 * callback.
 */
DEFINE_MUTEX(vmbus_channels_lock);

static DEFINE_SPINLOCK(vmbus_waiters_lock);
static LIST_HEAD(vmbus_waiters);

static struct workqueue_struct *vmbus_wq;
/* Unloading: offers and rescinds are no longer handled */
static bool vmbus_stopping;
static DECLARE_COMPLETION(vmbus_offers_done);

/* Channels with data left after a bounded drain, polled again */
static DECLARE_BITMAP(vmbus_repoll, HV_EVENT_FLAGS_COUNT);
static struct tasklet_struct vmbus_event_tasklet;
static atomic_long_t vmbus_unknown_relid_events;
/*
 * Words of the event flags an interrupt looks at: those up to the highest
 * relid ever offered (never lowered).  The rest name no channel, and
 * scanning all 2048 bits twice cost some 500 instructions per interrupt.
 */
static unsigned int vmbus_flag_words = 1;

struct vmbus_msg_work {
	struct work_struct work;
	u32 len;
	union {
		struct vmbus_msg_header hdr;
		u8 buf[VMBUS_MESSAGE_MAX];
	} msg;
};

static void vmbus_on_offer(const void *msg, u32 len);
static void vmbus_on_rescind(const void *msg, u32 len);
static void vmbus_on_offers_delivered(const void *msg, u32 len);

enum vmbus_dispatch {
	VMBUS_FROM_GUEST = 0,		/* the host must not send it */
	VMBUS_ANSWER,			/* completes a waiting request */
	VMBUS_WORK,			/* handled on the workqueue */
};

/*
 * What the host may send us: its minimum length, how it is handled, and
 * for answers the offsets of the fields that identify the request.
 */
static const struct vmbus_msg_kind {
	const char *name;
	u8 dispatch;
	u8 nkeys;
	u8 key_off[2];
	u32 min_len;
	void (*work)(const void *msg, u32 len);
} vmbus_msg_kinds[VMBUS_MSG_COUNT] = {
	[VMBUS_MSG_OFFERCHANNEL] = {
		"OFFERCHANNEL", VMBUS_WORK, 0, {},
		sizeof(struct vmbus_msg_offer_channel), vmbus_on_offer },
	[VMBUS_MSG_RESCIND_CHANNELOFFER] = {
		"RESCIND_CHANNELOFFER", VMBUS_WORK, 0, {},
		sizeof(struct vmbus_msg_relid), vmbus_on_rescind },
	[VMBUS_MSG_ALLOFFERS_DELIVERED] = {
		"ALLOFFERS_DELIVERED", VMBUS_WORK, 0, {},
		sizeof(struct vmbus_msg_header), vmbus_on_offers_delivered },
	[VMBUS_MSG_OPENCHANNEL_RESULT] = {
		"OPENCHANNEL_RESULT", VMBUS_ANSWER, 2,
		{ offsetof(struct vmbus_msg_open_result, child_relid),
		  offsetof(struct vmbus_msg_open_result, open_id) },
		sizeof(struct vmbus_msg_open_result) },
	[VMBUS_MSG_GPADL_CREATED] = {
		"GPADL_CREATED", VMBUS_ANSWER, 2,
		{ offsetof(struct vmbus_msg_gpadl_created, child_relid),
		  offsetof(struct vmbus_msg_gpadl_created, gpadl) },
		sizeof(struct vmbus_msg_gpadl_created) },
	[VMBUS_MSG_GPADL_TORNDOWN] = {
		"GPADL_TORNDOWN", VMBUS_ANSWER, 1,
		{ offsetof(struct vmbus_msg_gpadl_torndown, gpadl) },
		sizeof(struct vmbus_msg_gpadl_torndown) },
	[VMBUS_MSG_VERSION_RESPONSE] = {
		"VERSION_RESPONSE", VMBUS_ANSWER, 0, {},
		offsetofend(struct vmbus_msg_version_response, connection_state) },
	[VMBUS_MSG_UNLOAD_RESPONSE] = {
		"UNLOAD_RESPONSE", VMBUS_ANSWER, 0, {},
		sizeof(struct vmbus_msg_header) },
	[VMBUS_MSG_MODIFYCHANNEL_RESPONSE] = {
		"MODIFYCHANNEL_RESPONSE", VMBUS_ANSWER, 1,
		{ offsetof(struct vmbus_msg_modifychannel_response, child_relid) },
		sizeof(struct vmbus_msg_modifychannel_response) },
};

/* ------------------------------------------------------------------ */
/* Waiting for answers                                                */
/* ------------------------------------------------------------------ */

void vmbus_waiter_init(struct vmbus_waiter *w, u32 msgtype,
		       struct hvic_channel *chan, u32 key0, u32 key1)
{
	INIT_LIST_HEAD(&w->node);
	w->msgtype = msgtype;
	w->chan = chan;
	w->key[0] = key0;
	w->key[1] = key1;
	w->err = 0;
	w->len = 0;
	init_completion(&w->done);
}

/*
 * -ENODEV if the channel is rescinded: the interrupt marks it before it
 * takes the lock to end the waits, so a waiter added later sees the mark.
 */
int vmbus_waiter_add(struct vmbus_waiter *w)
{
	unsigned long flags;
	int ret = 0;

	spin_lock_irqsave(&vmbus_waiters_lock, flags);
	if (w->chan && READ_ONCE(w->chan->rescinded))
		ret = -ENODEV;
	else
		list_add_tail(&w->node, &vmbus_waiters);
	spin_unlock_irqrestore(&vmbus_waiters_lock, flags);
	return ret;
}

/* Take @w off the list (if the answer has not done so) */
void vmbus_waiter_cancel(struct vmbus_waiter *w)
{
	unsigned long flags;

	spin_lock_irqsave(&vmbus_waiters_lock, flags);
	list_del_init(&w->node);
	spin_unlock_irqrestore(&vmbus_waiters_lock, flags);
}

/**
 * vmbus_post_and_wait() - post a request and wait for its answer
 * @msg: the request
 * @len: its length
 * @w: initialised with the answer's type and keys
 * @timeout: jiffies, 0 to wait until answered, rescinded or unloaded
 *
 * Return: 0 with the answer in @w, -ETIMEDOUT, -ENODEV, or a post error.
 */
int vmbus_post_and_wait(void *msg, u32 len, struct vmbus_waiter *w,
			unsigned long timeout)
{
	int ret;

	ret = vmbus_waiter_add(w);
	if (ret)
		return ret;
	ret = vmbus_post_msg(msg, len);
	if (ret) {
		vmbus_waiter_cancel(w);
		return ret;
	}
	if (timeout) {
		if (!wait_for_completion_timeout(&w->done, timeout)) {
			vmbus_waiter_cancel(w);
			/* It may have been answered meanwhile */
			if (!try_wait_for_completion(&w->done))
				return -ETIMEDOUT;
		}
	} else {
		wait_for_completion(&w->done);
	}
	return w->err;
}

/* End every wait that concerns @chan (NULL: every wait) with -ENODEV */
void vmbus_cancel_waiters(struct hvic_channel *chan)
{
	struct vmbus_waiter *w, *tmp;
	unsigned long flags;

	spin_lock_irqsave(&vmbus_waiters_lock, flags);
	list_for_each_entry_safe(w, tmp, &vmbus_waiters, node) {
		if (chan && w->chan != chan)
			continue;
		list_del_init(&w->node);
		w->err = -ENODEV;
		complete(&w->done);
	}
	spin_unlock_irqrestore(&vmbus_waiters_lock, flags);
}

/* In the interrupt: hand an answer to the request it answers */
static void vmbus_answer(const struct vmbus_msg_kind *kind, u32 type,
			 const void *msg, u32 len)
{
	struct vmbus_waiter *w, *found = NULL;
	unsigned long flags;
	u32 key[2] = {};
	unsigned int i;

	for (i = 0; i < kind->nkeys; i++)
		memcpy(&key[i], (const u8 *)msg + kind->key_off[i], sizeof(u32));

	spin_lock_irqsave(&vmbus_waiters_lock, flags);
	list_for_each_entry(w, &vmbus_waiters, node) {
		if (w->msgtype != type)
			continue;
		for (i = 0; i < kind->nkeys; i++)
			if (w->key[i] != key[i])
				break;
		if (i == kind->nkeys) {
			found = w;
			break;
		}
	}
	if (found) {
		list_del_init(&found->node);
		memcpy(found->resp.buf, msg, len);
		found->len = len;
		found->err = 0;
		complete(&found->done);
	}
	spin_unlock_irqrestore(&vmbus_waiters_lock, flags);

	if (!found)
		pr_warn_ratelimited("dropped %s that answers no request of ours (keys %#x %#x)\n",
				    kind->name, key[0], key[1]);
}

/* ------------------------------------------------------------------ */
/* Messages from the SynIC                                            */
/* ------------------------------------------------------------------ */

static void vmbus_msg_work_fn(struct work_struct *work)
{
	struct vmbus_msg_work *mw = container_of(work, struct vmbus_msg_work,
						 work);

	vmbus_msg_kinds[mw->msg.hdr.msgtype].work(mw->msg.buf, mw->len);
	kfree(mw);
}

/**
 * vmbus_isr_message() - a message in the VMBus SINT slot
 * @msg: the slot; copied here, the caller frees the slot
 *
 * Interrupt context.
 */
void vmbus_isr_message(const struct hv_message *msg)
{
	const struct vmbus_msg_kind *kind;
	struct vmbus_msg_work *mw;
	u8 buf[VMBUS_MESSAGE_MAX];
	u32 len = READ_ONCE(msg->header.payload_size);
	u32 type;

	if (READ_ONCE(msg->header.message_type) != VMBUS_MESSAGE_TYPE)
		return;
	if (len < sizeof(struct vmbus_msg_header) || len > VMBUS_MESSAGE_MAX) {
		pr_warn_ratelimited("dropped channel message of %u bytes\n", len);
		return;
	}
	/* One copy: the host cannot change what we check afterwards */
	memcpy(buf, msg->u.payload, len);
	type = ((struct vmbus_msg_header *)buf)->msgtype;
	kind = type < VMBUS_MSG_COUNT ? &vmbus_msg_kinds[type] : NULL;
	if (!kind || kind->dispatch == VMBUS_FROM_GUEST) {
		pr_warn_ratelimited("dropped channel message type %u: not one the host sends\n",
				    type);
		return;
	}
	if (len < kind->min_len) {
		pr_warn_ratelimited("dropped %s of %u bytes (needs %u)\n",
				    kind->name, len, kind->min_len);
		return;
	}
	if (kind->dispatch == VMBUS_ANSWER) {
		vmbus_answer(kind, type, buf, len);
		return;
	}
	/* A rescind ends the channel's waits at once: they may block the queue */
	if (type == VMBUS_MSG_RESCIND_CHANNELOFFER) {
		struct hvic_channel *chan;

		rcu_read_lock();
		chan = xa_load(&vmbus_channels,
			       ((struct vmbus_msg_relid *)buf)->child_relid);
		if (chan) {
			WRITE_ONCE(chan->rescinded, true);
			vmbus_cancel_waiters(chan);
			wake_up_all(&chan->send_wq);
		}
		rcu_read_unlock();
	}
	/* Unloading: the channels go anyway, no new device is added */
	if (!vmbus_wq || READ_ONCE(vmbus_stopping))
		return;
	mw = kmalloc(sizeof(*mw), GFP_ATOMIC);
	if (!mw) {
		pr_err_ratelimited("out of memory: dropped %s\n", kind->name);
		return;
	}
	memcpy(mw->msg.buf, buf, len);
	mw->len = len;
	INIT_WORK(&mw->work, vmbus_msg_work_fn);
	queue_work(vmbus_wq, &mw->work);
}

/* ------------------------------------------------------------------ */
/* Channel events                                                     */
/* ------------------------------------------------------------------ */

void vmbus_isr_events(void)
{
	tasklet_schedule(&vmbus_event_tasklet);
}

static void vmbus_event_relid(u32 relid)
{
	struct hvic_channel *chan;

	if (relid > VMBUS_MAX_RELID)
		return;
	chan = xa_load(&vmbus_channels, relid);
	if (!chan) {
		atomic_long_inc(&vmbus_unknown_relid_events);
		return;
	}
	vmbus_channel_event(chan);
}

/* Take the flags set in @words (clearing them); run their relids if @run */
static unsigned long vmbus_take_flags(unsigned long *words, unsigned int n,
				      bool run, bool *flag0)
{
	unsigned long taken = 0, w;
	unsigned int i, bit;

	for (i = 0; i < n; i++) {
		if (!READ_ONCE(words[i]))
			continue;
		w = xchg(&words[i], 0);
		taken += hweight_long(w);
		if (i == 0 && flag0)
			*flag0 = w & 1;
		if (!run)
			continue;
		for_each_set_bit(bit, &w, BITS_PER_LONG)
			vmbus_event_relid(i * BITS_PER_LONG + bit);
	}
	return taken;
}

static void vmbus_event_fn(struct tasklet_struct *t)
{
	unsigned long *flags = hv_synic_vmbus_event_flags();
	u32 version = READ_ONCE(vmbus_conn.version);
	unsigned int words = READ_ONCE(vmbus_flag_words);
	unsigned long taken = 0;
	bool old_era = version && version < VMBUS_VERSION_WIN8;
	bool int_page = false;

	rcu_read_lock();
	if (flags) {
		/*
		 * Below 2.4 the host sets flag 0 and the relid's bit in the
		 * receive half of the interrupt page; from 2.4 the relid's
		 * own flag.
		 */
		taken = vmbus_take_flags(flags, words, !old_era, &int_page);
		if (old_era && int_page && vmbus_conn.int_page)
			vmbus_take_flags(vmbus_conn.int_page, words, true, NULL);
	}
	vmbus_take_flags(vmbus_repoll, words, true, NULL);
	rcu_read_unlock();
	atomic_long_add(taken, &hv_synic_stats.event_flags);
}

static bool vmbus_dying;

static void vmbus_repoll_ipi(void *info)
{
	if (!READ_ONCE(vmbus_dying))
		tasklet_schedule(&vmbus_event_tasklet);
}

static call_single_data_t vmbus_repoll_csd = CSD_INIT(vmbus_repoll_ipi, NULL);

/*
 * Run a channel's callback again soon, on the CPU that takes VMBus
 * interrupts: callbacks run there only, so never concurrently.
 */
void vmbus_channel_repoll(struct hvic_channel *chan)
{
	unsigned int cpu;

	set_bit(chan->relid, vmbus_repoll);
	cpu = get_cpu();
	if (cpu == vmbus_conn.cpu)
		tasklet_schedule(&vmbus_event_tasklet);
	else
		/* -EBUSY: one is on its way and will see our bit */
		smp_call_function_single_async(vmbus_conn.cpu, &vmbus_repoll_csd);
	put_cpu();
}

/* ------------------------------------------------------------------ */
/* Channels                                                           */
/* ------------------------------------------------------------------ */

/*
 * Wait until no callback runs: they all run in the event tasklet, so
 * waiting for a running instance to end is enough once the caller has
 * made sure later ones will not call (e.g. cleared the callback).
 */
void vmbus_sync_callbacks(void)
{
	tasklet_disable(&vmbus_event_tasklet);
	tasklet_enable(&vmbus_event_tasklet);
}

static void vmbus_channel_free(struct kref *kref)
{
	struct hvic_channel *chan = container_of(kref, struct hvic_channel,
						 kref);

	if (chan->primary)
		vmbus_channel_put(chan->primary);
	else
		kfree(chan->device);
	kfree(chan);
}

void vmbus_channel_put(struct hvic_channel *chan)
{
	kref_put(&chan->kref, vmbus_channel_free);
}

/* A reference to the channel of @relid, or NULL */
struct hvic_channel *vmbus_channel_get(u32 relid)
{
	struct hvic_channel *chan;

	rcu_read_lock();
	chan = xa_load(&vmbus_channels, relid);
	if (chan && !kref_get_unless_zero(&chan->kref))
		chan = NULL;
	rcu_read_unlock();
	return chan;
}

static struct hvic_channel *vmbus_find_primary(const guid_t *instance)
{
	struct hvic_channel *chan;
	unsigned long relid;

	xa_for_each(&vmbus_channels, relid, chan)
		if (!chan->primary && !chan->rescinded &&
		    guid_equal(&chan->offer.if_instance, instance))
			return chan;
	return NULL;
}

static bool vmbus_offer_ok(const struct vmbus_msg_offer_channel *o)
{
	const char *why = NULL;

	if (!o->child_relid || o->child_relid > VMBUS_MAX_RELID)
		why = "relid out of range";
	else if (xa_load(&vmbus_channels, o->child_relid))
		why = "relid already in use";
	else if ((o->monitor_flags & VMBUS_OFFER_MONITOR_ALLOCATED) &&
		 o->monitor_id >= VMBUS_MONITOR_IDS)
		why = "monitor id out of range";
	if (why)
		pr_warn_ratelimited("dropped offer of relid %u (class %pUl): %s\n",
				    o->child_relid, &o->if_type, why);
	return !why;
}

static void vmbus_on_offer(const void *msg, u32 len)
{
	const struct vmbus_msg_offer_channel *o = msg;
	struct hvic_channel *chan, *primary = NULL;
	int ret;

	mutex_lock(&vmbus_channels_lock);
	if (!vmbus_offer_ok(o))
		goto unlock;
	if (o->sub_channel_index) {
		primary = vmbus_find_primary(&o->if_instance);
		if (!primary || !primary->device) {
			pr_warn_ratelimited("dropped sub-channel offer %u (relid %u): no primary channel %pUl\n",
					    o->sub_channel_index, o->child_relid,
					    &o->if_instance);
			goto unlock;
		}
	}

	chan = kzalloc(sizeof(*chan), GFP_KERNEL);
	if (!chan)
		goto unlock;
	kref_init(&chan->kref);
	chan->offer = *o;
	chan->relid = o->child_relid;
	chan->subidx = o->sub_channel_index;
	chan->monitor_allocated = o->monitor_flags & VMBUS_OFFER_MONITOR_ALLOCATED;
	chan->monitor_id = o->monitor_id;
	if (vmbus_conn.version >= VMBUS_VERSION_WIN8) {
		chan->dedicated_interrupt =
			o->interrupt_flags & VMBUS_OFFER_DEDICATED_INTERRUPT;
		chan->sig_conn_id = o->connection_id;
	} else {
		chan->sig_conn_id = VMBUS_EVENT_CONNECTION_ID;
	}
	chan->target_cpu = vmbus_conn.cpu;
	chan->target_vp = vmbus_conn.vp;
	INIT_LIST_HEAD(&chan->subs);
	INIT_LIST_HEAD(&chan->sub_node);
	mutex_init(&chan->lock);
	spin_lock_init(&chan->send_lock);
	init_waitqueue_head(&chan->send_wq);
	chan->state = HVIC_CHAN_OFFERED;

	ret = xa_err(xa_store(&vmbus_channels, chan->relid, chan, GFP_KERNEL));
	if (!ret && chan->relid / BITS_PER_LONG >= READ_ONCE(vmbus_flag_words))
		WRITE_ONCE(vmbus_flag_words, chan->relid / BITS_PER_LONG + 1);
	if (ret) {
		kfree(chan);
		goto unlock;
	}

	if (primary) {
		kref_get(&primary->kref);
		chan->primary = primary;
		chan->device = primary->device;
		list_add_tail(&chan->sub_node, &primary->subs);
		vmbus_channel_sysfs_add(chan);
		mutex_unlock(&vmbus_channels_lock);
		/*
		 * The driver opens it: outside our lock (it waits for answers),
		 * under the device lock, so not while its remove() runs
		 */
		device_lock(&primary->device->dev);
		if (primary->sub_cb && primary->device->dev.driver)
			primary->sub_cb(chan);
		device_unlock(&primary->device->dev);
		return;
	}
	mutex_unlock(&vmbus_channels_lock);
	ret = vmbus_device_add(chan);
	if (ret)
		pr_err("relid %u (class %pUl): no device (%d)\n", chan->relid,
		       &o->if_type, ret);
	return;
unlock:
	mutex_unlock(&vmbus_channels_lock);
}

static void vmbus_release_relid(struct hvic_channel *chan)
{
	struct vmbus_msg_relid msg = {
		.header.msgtype = VMBUS_MSG_RELID_RELEASED,
		.child_relid = chan->relid,
	};

	if (chan->released)
		return;
	chan->released = true;
	vmbus_post_msg(&msg, sizeof(msg));
}

static void vmbus_channel_put_rcu(struct rcu_head *rcu)
{
	vmbus_channel_put(container_of(rcu, struct hvic_channel, rcu));
}

/* Take a channel out of the set; the caller holds vmbus_channels_lock */
static void vmbus_channel_forget(struct hvic_channel *chan, bool release)
{
	xa_erase(&vmbus_channels, chan->relid);
	clear_bit(chan->relid, vmbus_repoll);
	if (release)
		vmbus_release_relid(chan);
	/* The set's reference goes once no tasklet can have looked it up */
	call_rcu(&chan->rcu, vmbus_channel_put_rcu);
}

/* Called without vmbus_channels_lock: the driver's callback may sleep */
static void vmbus_remove_subchannel(struct hvic_channel *sub, bool release)
{
	struct hvic_channel *primary = sub->primary;

	/* Not while the driver's probe or remove runs */
	if (primary->device) {
		device_lock(&primary->device->dev);
		if (primary->sub_removed_cb && primary->device->dev.driver)
			primary->sub_removed_cb(sub);
		device_unlock(&primary->device->dev);
	}
	vmbus_channel_force_close(sub);

	mutex_lock(&vmbus_channels_lock);
	list_del_init(&sub->sub_node);
	vmbus_channel_sysfs_del(sub);
	vmbus_channel_forget(sub, release);
	mutex_unlock(&vmbus_channels_lock);
}

static void vmbus_on_rescind(const void *msg, u32 len)
{
	const struct vmbus_msg_relid *r = msg;
	struct hvic_channel *chan;

	mutex_lock(&vmbus_channels_lock);
	chan = xa_load(&vmbus_channels, r->child_relid);
	if (!chan) {
		mutex_unlock(&vmbus_channels_lock);
		pr_warn_ratelimited("dropped rescind of relid %u: no such channel\n",
				    r->child_relid);
		return;
	}
	WRITE_ONCE(chan->rescinded, true);
	vmbus_cancel_waiters(chan);
	mutex_unlock(&vmbus_channels_lock);

	if (chan->primary) {
		vmbus_remove_subchannel(chan, true);
		return;
	}

	/* The driver's remove() closes the channel; it may wait for answers */
	vmbus_device_remove(chan);
	vmbus_channel_force_close(chan);

	mutex_lock(&vmbus_channels_lock);
	vmbus_channel_forget(chan, true);
	mutex_unlock(&vmbus_channels_lock);
}

static void vmbus_on_offers_delivered(const void *msg, u32 len)
{
	complete(&vmbus_offers_done);
}

/**
 * vmbus_request_offers() - ask for the offers, wait until all are in
 *
 * The devices are added (and their drivers probed) on the workqueue; this
 * returns when ALLOFFERS_DELIVERED has been handled, so every offer
 * before it has been too.
 */
int vmbus_request_offers(void)
{
	struct vmbus_msg_header msg = { .msgtype = VMBUS_MSG_REQUESTOFFERS };
	int ret;

	WRITE_ONCE(vmbus_stopping, false);
	reinit_completion(&vmbus_offers_done);
	ret = vmbus_post_msg(&msg, sizeof(msg));
	if (ret)
		return ret;
	if (!wait_for_completion_timeout(&vmbus_offers_done, 30 * HZ)) {
		pr_warn("the host did not finish its offers within 30 s\n");
		return -ETIMEDOUT;
	}
	return 0;
}

/* Unload: every device and channel goes, without releasing relids */
void vmbus_remove_all_channels(void)
{
	struct hvic_channel *chan, *sub;
	unsigned long relid;

	/* No new offers or rescinds are handled after this */
	WRITE_ONCE(vmbus_stopping, true);
	flush_workqueue(vmbus_wq);

	for (;;) {
		mutex_lock(&vmbus_channels_lock);
		chan = NULL;
		xa_for_each(&vmbus_channels, relid, chan)
			if (!chan->primary)
				break;
		if (!chan) {
			mutex_unlock(&vmbus_channels_lock);
			break;
		}
		kref_get(&chan->kref);
		mutex_unlock(&vmbus_channels_lock);

		vmbus_device_remove(chan);

		for (;;) {
			mutex_lock(&vmbus_channels_lock);
			sub = list_first_entry_or_null(&chan->subs,
						       struct hvic_channel,
						       sub_node);
			mutex_unlock(&vmbus_channels_lock);
			if (!sub)
				break;
			vmbus_remove_subchannel(sub, false);
		}
		vmbus_channel_force_close(chan);
		mutex_lock(&vmbus_channels_lock);
		if (xa_load(&vmbus_channels, chan->relid) == chan)
			vmbus_channel_forget(chan, false);
		mutex_unlock(&vmbus_channels_lock);
		vmbus_channel_put(chan);
	}
	/* Orphan sub-channels, if any */
	mutex_lock(&vmbus_channels_lock);
	xa_for_each(&vmbus_channels, relid, chan) {
		vmbus_channel_force_close(chan);
		list_del_init(&chan->sub_node);
		vmbus_channel_sysfs_del(chan);
		vmbus_channel_forget(chan, false);
	}
	mutex_unlock(&vmbus_channels_lock);
}

int vmbus_mgmt_init(void)
{
	WRITE_ONCE(vmbus_dying, false);
	WRITE_ONCE(vmbus_stopping, false);
	tasklet_setup(&vmbus_event_tasklet, vmbus_event_fn);
	vmbus_wq = alloc_ordered_workqueue("hv_vmbus", 0);
	return vmbus_wq ? 0 : -ENOMEM;
}

void vmbus_mgmt_exit(void)
{
	struct workqueue_struct *wq = vmbus_wq;

	WRITE_ONCE(vmbus_wq, NULL);
	vmbus_cancel_waiters(NULL);
	if (wq)
		destroy_workqueue(wq);
	/* A repoll IPI runs with interrupts off: RCU waits for it */
	WRITE_ONCE(vmbus_dying, true);
	synchronize_rcu();
	tasklet_kill(&vmbus_event_tasklet);
	/* Channels still waiting for their last put */
	rcu_barrier();
}
