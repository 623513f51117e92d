// SPDX-License-Identifier: GPL-2.0
/*
 * The request/response helper every driver uses for "send and wait for the
 * matching answer": a fixed set of slots, each request's transaction id
 * made of a tag, the slot and a generation the guest chose, so an answer
 * is matched without trusting anything else from the host, and an answer
 * to a request that timed out (older generation) is recognised as stale.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "hyperv_vmbus.h"

#define XACT_SLOT_BITS		16
#define XACT_GEN_SHIFT		XACT_SLOT_BITS
#define XACT_GEN_MASK		0xffffffffULL

struct hvic_xact_slot {
	bool busy;			/* a request waits in this slot */
	bool done;
	u32 gen;
	int err;
	u32 len;
	void *resp;			/* resp_max bytes */
	struct completion comp;
};

struct hvic_xact {
	struct hvic_channel *chan;
	spinlock_t lock;
	wait_queue_head_t free_wq;
	unsigned int nslots;
	u32 resp_max;
	atomic64_t stale;		/* answers nobody waited for */
	struct hvic_xact_slot slot[];
};

struct hvic_xact *hvic_xact_create(struct hvic_channel *chan,
				   unsigned int slots, u32 resp_max)
{
	struct hvic_xact *x;
	unsigned int i;

	if (!slots || slots > BIT(XACT_SLOT_BITS) || !resp_max)
		return NULL;
	x = kzalloc(struct_size(x, slot, slots), GFP_KERNEL);
	if (!x)
		return NULL;
	x->chan = chan;
	x->nslots = slots;
	x->resp_max = resp_max;
	spin_lock_init(&x->lock);
	init_waitqueue_head(&x->free_wq);
	for (i = 0; i < slots; i++) {
		x->slot[i].resp = kmalloc(resp_max, GFP_KERNEL);
		if (!x->slot[i].resp) {
			hvic_xact_destroy(x);
			return NULL;
		}
		init_completion(&x->slot[i].comp);
	}
	return x;
}
HV_IC_EXPORT(hvic_xact_create);

void hvic_xact_destroy(struct hvic_xact *x)
{
	unsigned int i;

	if (!x)
		return;
	for (i = 0; i < x->nslots; i++)
		kfree(x->slot[i].resp);
	kfree(x);
}
HV_IC_EXPORT(hvic_xact_destroy);

static int xact_get_slot(struct hvic_xact *x)
{
	unsigned int i;
	int found = -1;

	spin_lock_irq(&x->lock);
	for (i = 0; i < x->nslots; i++) {
		if (!x->slot[i].busy) {
			x->slot[i].busy = true;
			x->slot[i].done = false;
			x->slot[i].err = 0;
			x->slot[i].len = 0;
			x->slot[i].gen++;
			reinit_completion(&x->slot[i].comp);
			found = i;
			break;
		}
	}
	spin_unlock_irq(&x->lock);
	return found;
}

static void xact_put_slot(struct hvic_xact *x, unsigned int i)
{
	spin_lock_irq(&x->lock);
	x->slot[i].busy = false;
	spin_unlock_irq(&x->lock);
	wake_up(&x->free_wq);
}

int hvic_xact_exec(struct hvic_xact *x, struct hvic_pkt *pkt, void *resp,
		   u32 resp_len, unsigned long timeout)
{
	struct hvic_xact_slot *s;
	int i, ret;

	if (wait_event_interruptible(x->free_wq, (i = xact_get_slot(x)) >= 0))
		return -ERESTARTSYS;
	s = &x->slot[i];
	pkt->trans_id = HVIC_XACT_ID_TAG |
			((u64)(s->gen & XACT_GEN_MASK) << XACT_GEN_SHIFT) | i;
	pkt->flags |= VMBUS_PKT_FLAG_COMPLETION_REQUESTED;

	ret = hvic_send_wait(x->chan, pkt, timeout);
	if (ret)
		goto out;
	if (!wait_for_completion_timeout(&s->comp, timeout)) {
		ret = -ETIMEDOUT;
		goto out;
	}
	spin_lock_irq(&x->lock);
	ret = s->err;
	if (!ret) {
		ret = s->len;
		memcpy(resp, s->resp, min(s->len, resp_len));
	}
	spin_unlock_irq(&x->lock);
out:
	xact_put_slot(x, i);
	return ret;
}
HV_IC_EXPORT(hvic_xact_exec);

bool hvic_xact_complete(struct hvic_xact *x,
			const struct vmbus_packet_desc *desc)
{
	u64 id = desc->trans_id;
	unsigned int i = id & (BIT(XACT_SLOT_BITS) - 1);
	u32 gen = (id >> XACT_GEN_SHIFT) & XACT_GEN_MASK;
	struct hvic_xact_slot *s;
	unsigned long flags;
	bool ok = false;

	if (desc->type != VMBUS_PKT_COMP ||
	    (id & HVIC_XACT_ID_TAG_MASK) != HVIC_XACT_ID_TAG)
		return false;

	spin_lock_irqsave(&x->lock, flags);
	if (i < x->nslots) {
		s = &x->slot[i];
		if (s->busy && !s->done && (s->gen & XACT_GEN_MASK) == gen) {
			s->len = min(hvic_pkt_data_len(desc), x->resp_max);
			memcpy(s->resp, hvic_pkt_data(desc), s->len);
			s->done = true;
			complete(&s->comp);
			ok = true;
		}
	}
	spin_unlock_irqrestore(&x->lock, flags);
	if (!ok) {
		atomic64_inc(&x->stale);
		dev_warn_ratelimited(&x->chan->device->dev,
				     "relid %u: dropped a completion with unknown or stale transaction id %#llx\n",
				     x->chan->relid, id);
	}
	return true;
}
HV_IC_EXPORT(hvic_xact_complete);

void hvic_xact_cancel(struct hvic_xact *x, int err)
{
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&x->lock, flags);
	for (i = 0; i < x->nslots; i++) {
		struct hvic_xact_slot *s = &x->slot[i];

		if (s->busy && !s->done) {
			s->done = true;
			s->err = err;
			complete(&s->comp);
		}
	}
	spin_unlock_irqrestore(&x->lock, flags);
}
HV_IC_EXPORT(hvic_xact_cancel);
