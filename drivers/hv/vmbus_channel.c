// SPDX-License-Identifier: GPL-2.0
/*
 * Channels: GPADLs, open and close, sending and receiving packets through
 * the rings, the per-channel callback, and the request/response helper.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "hyperv_vmbus.h"

/* Upper bound on a GPADL: range_buflen is 16 bits */
#define VMBUS_GPADL_MAX_PAGES \
	((U16_MAX - sizeof(struct vmbus_gpa_range)) / sizeof(u64))
/* Upper bound on callback rounds per event before polling again later */
#define VMBUS_CALLBACK_ROUNDS	16

static atomic_t vmbus_next_gpadl = ATOMIC_INIT(0xe1e10);

/* ------------------------------------------------------------------ */
/* GPADLs                                                             */
/* ------------------------------------------------------------------ */

static int vmbus_gpadl_create_pfns(struct hvic_channel *chan, const u64 *pfns,
				   u32 npages, struct hvic_gpadl *gpadl)
{
	union {
		struct vmbus_msg_gpadl_header hdr;
		struct vmbus_msg_gpadl_body body;
		u8 buf[VMBUS_MESSAGE_MAX];
	} m;
	struct vmbus_msg_gpadl_created *resp;
	struct vmbus_waiter *w;
	u32 handle, n, done, msgno = 0;
	int ret;

	if (!npages || npages > VMBUS_GPADL_MAX_PAGES)
		return -EINVAL;
	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;

	do {
		handle = atomic_inc_return(&vmbus_next_gpadl);
	} while (!handle);

	memset(&m, 0, sizeof(m));
	n = min_t(u32, npages, VMBUS_GPADL_HEADER_PFNS);
	m.hdr.header.msgtype = VMBUS_MSG_GPADL_HEADER;
	m.hdr.child_relid = chan->relid;
	m.hdr.gpadl = handle;
	m.hdr.rangecount = 1;
	m.hdr.range_buflen = sizeof(struct vmbus_gpa_range) + npages * sizeof(u64);
	m.hdr.range.byte_count = npages * PAGE_SIZE;
	m.hdr.range.byte_offset = 0;
	memcpy(m.hdr.range.pfn_array, pfns, n * sizeof(u64));

	vmbus_waiter_init(w, VMBUS_MSG_GPADL_CREATED, chan, chan->relid, handle);
	/* Wait for the answer only after the last body is posted */
	ret = vmbus_waiter_add(w);
	if (ret)
		goto out;
	ret = vmbus_post_msg(&m, sizeof(m.hdr) + n * sizeof(u64));
	for (done = n; !ret && done < npages; done += n) {
		n = min_t(u32, npages - done, VMBUS_GPADL_BODY_PFNS);
		memset(&m, 0, sizeof(m));
		m.body.header.msgtype = VMBUS_MSG_GPADL_BODY;
		m.body.msgnumber = ++msgno;
		m.body.gpadl = handle;
		memcpy(m.body.pfn, pfns + done, n * sizeof(u64));
		ret = vmbus_post_msg(&m, sizeof(m.body) + n * sizeof(u64));
	}
	if (ret) {
		vmbus_waiter_cancel(w);
		goto out;
	}
	wait_for_completion(&w->done);
	ret = w->err;
	if (ret)
		goto out;
	resp = (void *)w->resp.buf;
	if (resp->creation_status) {
		pr_err("relid %u: the host refused GPADL %#x of %u pages: status %#x\n",
		       chan->relid, handle, npages, resp->creation_status);
		ret = -EIO;
		goto out;
	}
	gpadl->handle = handle;
	gpadl->size = npages * PAGE_SIZE;
out:
	kfree(w);
	return ret;
}

int hvic_gpadl_create(struct hvic_channel *chan, void *buf, u32 size,
		      struct hvic_gpadl *gpadl)
{
	u32 npages = size >> PAGE_SHIFT, i;
	u64 *pfns;
	int ret;

	if (!size || !PAGE_ALIGNED(size) || !PAGE_ALIGNED(buf) ||
	    npages > VMBUS_GPADL_MAX_PAGES)
		return -EINVAL;
	pfns = kvmalloc_array(npages, sizeof(*pfns), GFP_KERNEL);
	if (!pfns)
		return -ENOMEM;
	for (i = 0; i < npages; i++) {
		void *p = (u8 *)buf + i * PAGE_SIZE;

		pfns[i] = is_vmalloc_addr(p) ? vmalloc_to_pfn(p) :
					       PHYS_PFN(virt_to_phys(p));
	}
	ret = vmbus_gpadl_create_pfns(chan, pfns, npages, gpadl);
	kvfree(pfns);
	return ret;
}
HV_IC_EXPORT(hvic_gpadl_create);

/*
 * Return: 0 once the host has let go of the memory; -ENODEV if the channel
 * was rescinded (the host dropped it itself); another error means the
 * memory may still be in the host's hands and must not be reused.
 */
int hvic_gpadl_teardown(struct hvic_channel *chan, struct hvic_gpadl *gpadl)
{
	struct vmbus_msg_gpadl_teardown msg = {
		.header.msgtype = VMBUS_MSG_GPADL_TEARDOWN,
		.child_relid = chan->relid,
		.gpadl = gpadl->handle,
	};
	struct vmbus_waiter *w;
	int ret;

	if (!gpadl->handle)
		return 0;
	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	vmbus_waiter_init(w, VMBUS_MSG_GPADL_TORNDOWN, chan, gpadl->handle, 0);
	ret = vmbus_post_and_wait(&msg, sizeof(msg), w, 0);
	kfree(w);
	if (!ret || ret == -ENODEV)
		gpadl->handle = 0;
	return ret;
}
HV_IC_EXPORT(hvic_gpadl_teardown);

/* ------------------------------------------------------------------ */
/* Open and close                                                     */
/* ------------------------------------------------------------------ */

static void vmbus_free_ring_pages(struct hvic_channel *chan)
{
	unsigned int i;

	hv_ring_unmap(&chan->out);
	hv_ring_unmap(&chan->in);
	for (i = 0; chan->pages && i < chan->npages; i++)
		if (chan->pages[i])
			__free_page(chan->pages[i]);
	kfree(chan->pages);
	chan->pages = NULL;
	chan->npages = 0;
	kfree(chan->pkt_buf);
	chan->pkt_buf = NULL;
}

static int vmbus_alloc_rings(struct hvic_channel *chan, u32 out_pages,
			     u32 in_pages)
{
	unsigned int i, n = out_pages + in_pages;
	u64 *pfns;
	int ret;

	chan->pages = kcalloc(n, sizeof(*chan->pages), GFP_KERNEL);
	if (!chan->pages)
		return -ENOMEM;
	chan->npages = n;
	for (i = 0; i < n; i++) {
		chan->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!chan->pages[i])
			return -ENOMEM;
	}
	ret = hv_ring_map(&chan->out, chan->pages, out_pages);
	if (!ret)
		ret = hv_ring_map(&chan->in, chan->pages + out_pages, in_pages);
	if (ret)
		return ret;

	pfns = kvmalloc_array(n, sizeof(*pfns), GFP_KERNEL);
	if (!pfns)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		pfns[i] = page_to_pfn(chan->pages[i]);
	ret = vmbus_gpadl_create_pfns(chan, pfns, n, &chan->ring_gpadl);
	kvfree(pfns);
	return ret;
}

int hvic_channel_open(struct hvic_channel *chan,
		      const struct hvic_channel_params *p)
{
	struct vmbus_msg_open_channel msg = {
		.header.msgtype = VMBUS_MSG_OPENCHANNEL,
	};
	struct vmbus_msg_open_result *resp;
	struct vmbus_waiter *w = NULL;
	u32 out_pages, in_pages;
	int ret;

	if (!p->callback || !p->send_ring_bytes || !p->recv_ring_bytes ||
	    !PAGE_ALIGNED(p->send_ring_bytes) ||
	    !PAGE_ALIGNED(p->recv_ring_bytes) ||
	    p->user_data_len > VMBUS_OPEN_USER_DATA_BYTES ||
	    p->send_ring_bytes > VMBUS_GPADL_MAX_PAGES * PAGE_SIZE / 2 ||
	    p->recv_ring_bytes > VMBUS_GPADL_MAX_PAGES * PAGE_SIZE / 2)
		return -EINVAL;
	out_pages = 1 + (p->send_ring_bytes >> PAGE_SHIFT);
	in_pages = 1 + (p->recv_ring_bytes >> PAGE_SHIFT);

	mutex_lock(&chan->lock);
	if (chan->state != HVIC_CHAN_OFFERED) {
		ret = -EBUSY;
		goto unlock;
	}
	if (READ_ONCE(chan->rescinded)) {
		ret = -ENODEV;
		goto unlock;
	}
	chan->state = HVIC_CHAN_OPENING;
	chan->pkt_buf_size = p->max_pkt_bytes ?: PAGE_SIZE;
	chan->pkt_buf_size = max_t(u32, chan->pkt_buf_size,
				   sizeof(struct vmbus_packet_desc));
	chan->pkt_buf = kmalloc(chan->pkt_buf_size, GFP_KERNEL);
	chan->pkt_len = 0;
	w = kzalloc(sizeof(*w), GFP_KERNEL);
	ret = chan->pkt_buf && w ? 0 : -ENOMEM;
	if (!ret)
		ret = vmbus_alloc_rings(chan, out_pages, in_pages);
	if (ret)
		goto fail;

	chan->callback = p->callback;
	chan->ctx = p->ctx;
	msg.child_relid = chan->relid;
	msg.open_id = chan->relid;
	msg.ringbuffer_gpadl = chan->ring_gpadl.handle;
	msg.target_vp = chan->target_vp;
	msg.downstream_ring_offset = out_pages;
	if (p->user_data_len)
		memcpy(msg.user_data, p->user_data, p->user_data_len);

	vmbus_waiter_init(w, VMBUS_MSG_OPENCHANNEL_RESULT, chan, chan->relid,
			  chan->relid);
	ret = vmbus_post_and_wait(&msg, sizeof(msg), w, 0);
	if (ret)
		goto teardown;
	resp = (void *)w->resp.buf;
	if (resp->status) {
		dev_err(&chan->device->dev, "relid %u: the host refused to open the channel: status %#x\n",
			chan->relid, resp->status);
		ret = -EIO;
		goto teardown;
	}
	spin_lock_irq(&chan->send_lock);
	chan->state = HVIC_CHAN_OPEN;
	spin_unlock_irq(&chan->send_lock);
	kfree(w);
	mutex_unlock(&chan->lock);
	/* Anything the host wrote before we were open */
	vmbus_channel_repoll(chan);
	return 0;

teardown:
	if (hvic_gpadl_teardown(chan, &chan->ring_gpadl) &&
	    chan->ring_gpadl.handle) {
		/* The host may still write there: never reuse the pages */
		dev_err(&chan->device->dev, "relid %u: ring GPADL %#x not torn down; leaking %u pages\n",
			chan->relid, chan->ring_gpadl.handle, chan->npages);
		hv_ring_unmap(&chan->out);
		hv_ring_unmap(&chan->in);
		kfree(chan->pages);
		chan->pages = NULL;
		chan->npages = 0;
	}
fail:
	chan->callback = NULL;
	vmbus_free_ring_pages(chan);
	chan->ring_gpadl.handle = 0;
	chan->state = HVIC_CHAN_OFFERED;
	kfree(w);
unlock:
	mutex_unlock(&chan->lock);
	return ret;
}
HV_IC_EXPORT(hvic_channel_open);

static void vmbus_channel_do_close(struct hvic_channel *chan)
{
	struct vmbus_msg_relid msg = {
		.header.msgtype = VMBUS_MSG_CLOSECHANNEL,
		.child_relid = chan->relid,
	};
	int ret;

	lockdep_assert_held(&chan->lock);
	if (chan->state != HVIC_CHAN_OPEN)
		return;
	spin_lock_irq(&chan->send_lock);
	chan->state = HVIC_CHAN_CLOSING;
	spin_unlock_irq(&chan->send_lock);
	wake_up_all(&chan->send_wq);

	/* The callback does not run after this */
	WRITE_ONCE(chan->callback, NULL);
	vmbus_sync_callbacks();

	ret = 0;
	if (!READ_ONCE(chan->rescinded))
		ret = vmbus_post_msg(&msg, sizeof(msg));
	/* Not closed on the host: its rings stay mapped there */
	if (!ret)
		ret = hvic_gpadl_teardown(chan, &chan->ring_gpadl);
	if (ret && chan->ring_gpadl.handle) {
		dev_err(&chan->device->dev, "relid %u: ring GPADL %#x not torn down (%d); leaking %u pages\n",
			chan->relid, chan->ring_gpadl.handle, ret,
			chan->npages);
		hv_ring_unmap(&chan->out);
		hv_ring_unmap(&chan->in);
		kfree(chan->pages);
		chan->pages = NULL;
		chan->npages = 0;
	}
	vmbus_free_ring_pages(chan);
	chan->ring_gpadl.handle = 0;
	chan->pkt_len = 0;
	chan->state = HVIC_CHAN_OFFERED;
}

void hvic_channel_close(struct hvic_channel *chan)
{
	mutex_lock(&chan->lock);
	vmbus_channel_do_close(chan);
	mutex_unlock(&chan->lock);
}
HV_IC_EXPORT(hvic_channel_close);

/* Rescind or unload: closed whatever the driver did */
void vmbus_channel_force_close(struct hvic_channel *chan)
{
	hvic_channel_close(chan);
}

/* ------------------------------------------------------------------ */
/* Events                                                             */
/* ------------------------------------------------------------------ */

/* Tasklet, under rcu_read_lock(): the host signalled @chan */
void vmbus_channel_event(struct hvic_channel *chan)
{
	hvic_channel_cb_t cb;
	unsigned int round;

	atomic64_inc(&chan->interrupts);
	/* Someone waits for room in the outbound ring */
	if (wq_has_sleeper(&chan->send_wq))
		wake_up(&chan->send_wq);

	cb = READ_ONCE(chan->callback);
	if (!cb || READ_ONCE(chan->state) != HVIC_CHAN_OPEN)
		return;
	/* Masked while draining: the host need not signal what we will see */
	hv_ring_mask_interrupts(&chan->in);
	for (round = 0; round < VMBUS_CALLBACK_ROUNDS; round++) {
		u32 before = chan->in.priv_read;
		bool had = hv_ring_read_avail(&chan->in);

		cb(chan, chan->ctx);
		hvic_recv_done(chan);
		if (!hv_ring_unmask_interrupts(&chan->in))
			break;
		/*
		 * The driver left packets it was given on purpose: it
		 * reschedules itself.  Packets that came while we were masked
		 * (the host did not signal them) are another round's.
		 */
		if ((had && chan->in.priv_read == before) || chan->in.broken)
			break;
		hv_ring_mask_interrupts(&chan->in);
	}
	if (round == VMBUS_CALLBACK_ROUNDS) {
		hv_ring_unmask_interrupts(&chan->in);
		vmbus_channel_repoll(chan);
	}
	/*
	 * Room the host made in the outbound ring while we drained may have
	 * come without a signal of its own: look again for the senders
	 */
	if (wq_has_sleeper(&chan->send_wq))
		wake_up(&chan->send_wq);
}

void hvic_channel_schedule(struct hvic_channel *chan)
{
	vmbus_channel_repoll(chan);
}
HV_IC_EXPORT(hvic_channel_schedule);

/* ------------------------------------------------------------------ */
/* Sending                                                            */
/* ------------------------------------------------------------------ */

static const u8 vmbus_zero_pad[VMBUS_PKT_ALIGN];

static int vmbus_build_send(struct hvic_channel *chan,
			    const struct hvic_pkt *pkt, bool *signal)
{
	struct vmbus_packet_desc desc;
	u32 head = sizeof(desc) + pkt->ext_len;
	u32 len = head + pkt->data_len;
	u32 total = ALIGN(len, VMBUS_PKT_ALIGN);
	struct kvec kv[4];
	unsigned int n = 0;
	unsigned long flags;
	int ret;

	if (!IS_ALIGNED(pkt->ext_len, VMBUS_PKT_ALIGN) ||
	    total / 8 > U16_MAX || head / 8 > U16_MAX)
		return -EMSGSIZE;

	desc.type = pkt->type;
	desc.offset8 = head / 8;
	desc.len8 = total / 8;
	desc.flags = pkt->flags;
	desc.trans_id = pkt->trans_id;
	kv[n].iov_base = &desc;
	kv[n++].iov_len = sizeof(desc);
	if (pkt->ext_len) {
		kv[n].iov_base = (void *)pkt->ext;
		kv[n++].iov_len = pkt->ext_len;
	}
	if (pkt->data_len) {
		kv[n].iov_base = (void *)pkt->data;
		kv[n++].iov_len = pkt->data_len;
	}
	if (total > len) {
		kv[n].iov_base = (void *)vmbus_zero_pad;
		kv[n++].iov_len = total - len;
	}

	spin_lock_irqsave(&chan->send_lock, flags);
	if (chan->state != HVIC_CHAN_OPEN || READ_ONCE(chan->rescinded))
		ret = -ENODEV;
	else
		ret = hv_ring_write(&chan->out, kv, n, signal);
	spin_unlock_irqrestore(&chan->send_lock, flags);
	if (ret == -EINVAL)
		ret = -EMSGSIZE;
	return ret;
}

int hvic_send_nokick(struct hvic_channel *chan, const struct hvic_pkt *pkt,
		     bool *kick)
{
	bool signal;
	int ret;

	ret = vmbus_build_send(chan, pkt, &signal);
	if (!ret && signal)
		*kick = true;
	return ret;
}
HV_IC_EXPORT(hvic_send_nokick);

void hvic_kick(struct hvic_channel *chan)
{
	vmbus_signal_channel(chan);
}
HV_IC_EXPORT(hvic_kick);

/* A batch of one: the signal decision lives in hvic_send_nokick() only */
int hvic_send(struct hvic_channel *chan, const struct hvic_pkt *pkt)
{
	bool kick = false;
	int ret;

	ret = hvic_send_nokick(chan, pkt, &kick);
	if (kick)
		hvic_kick(chan);
	return ret;
}
HV_IC_EXPORT(hvic_send);

static bool vmbus_send_room(struct hvic_channel *chan, u32 need)
{
	unsigned long flags;
	bool ok;

	spin_lock_irqsave(&chan->send_lock, flags);
	ok = chan->state != HVIC_CHAN_OPEN || READ_ONCE(chan->rescinded) ||
	     hv_ring_write_avail(&chan->out) > need;
	spin_unlock_irqrestore(&chan->send_lock, flags);
	return ok;
}

int hvic_send_wait(struct hvic_channel *chan, const struct hvic_pkt *pkt,
		   unsigned long timeout)
{
	u32 need = ALIGN(sizeof(struct vmbus_packet_desc) + pkt->ext_len +
			 pkt->data_len, VMBUS_PKT_ALIGN) + VMBUS_PKT_TRAILER_SIZE;
	unsigned long flags;
	long left = timeout;
	int ret;

	for (;;) {
		ret = hvic_send(chan, pkt);
		if (ret != -EAGAIN)
			break;
		/* Ask the host to tell us when it has made the room */
		spin_lock_irqsave(&chan->send_lock, flags);
		if (chan->state == HVIC_CHAN_OPEN)
			hv_ring_set_pending_send(&chan->out, need);
		spin_unlock_irqrestore(&chan->send_lock, flags);
		left = wait_event_interruptible_timeout(chan->send_wq,
							vmbus_send_room(chan, need),
							left);
		if (left < 0) {
			ret = left;
			break;
		}
		if (!left && !vmbus_send_room(chan, need)) {
			ret = -ETIMEDOUT;
			break;
		}
	}
	spin_lock_irqsave(&chan->send_lock, flags);
	if (chan->state == HVIC_CHAN_OPEN)
		hv_ring_set_pending_send(&chan->out, 0);
	spin_unlock_irqrestore(&chan->send_lock, flags);
	return ret;
}
HV_IC_EXPORT(hvic_send_wait);

int hvic_send_gpa_direct(struct hvic_channel *chan, const void *ranges,
			 u32 ranges_len, u32 range_cnt, const void *data,
			 u32 len, u64 trans_id)
{
	struct {
		u32 reserved;
		u32 range_cnt;
	} head = { 0, range_cnt };
	struct hvic_pkt pkt = {
		.type = VMBUS_PKT_DATA_USING_GPA_DIRECT,
		.flags = VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
		.trans_id = trans_id,
		.data = data,
		.data_len = len,
	};
	u8 *ext;
	int ret;

	if (!range_cnt || !IS_ALIGNED(ranges_len, VMBUS_PKT_ALIGN) ||
	    ranges_len > U16_MAX * 8)
		return -EINVAL;
	/* The descriptor's fixed part and the ranges go as one extension */
	ext = kmalloc(sizeof(head) + ranges_len, GFP_ATOMIC);
	if (!ext)
		return -ENOMEM;
	memcpy(ext, &head, sizeof(head));
	memcpy(ext + sizeof(head), ranges, ranges_len);
	pkt.ext = ext;
	pkt.ext_len = sizeof(head) + ranges_len;
	ret = hvic_send(chan, &pkt);
	kfree(ext);
	return ret;
}
HV_IC_EXPORT(hvic_send_gpa_direct);

/* ------------------------------------------------------------------ */
/* Receiving                                                          */
/* ------------------------------------------------------------------ */

/*
 * Check the next packet's descriptor; its total length (with trailer) in
 * *@total, or 0 if the ring is empty.  A descriptor that cannot be right
 * breaks the ring: we cannot find the next packet.
 */
static int vmbus_next_desc(struct hvic_channel *chan,
			   struct vmbus_packet_desc *desc, u32 *total)
{
	u32 avail = hv_ring_read_avail(&chan->in);
	u32 len, off;

	*total = 0;
	if (!avail)
		return 0;
	if (avail < sizeof(*desc) + VMBUS_PKT_TRAILER_SIZE)
		goto bad;
	hv_ring_copy_out(&chan->in, 0, desc, sizeof(*desc));
	len = desc->len8 * 8;
	off = desc->offset8 * 8;
	if (off < sizeof(*desc) || off > len ||
	    len + VMBUS_PKT_TRAILER_SIZE > avail)
		goto bad;
	*total = len + VMBUS_PKT_TRAILER_SIZE;
	return 0;
bad:
	atomic64_inc(&chan->bad_packets);
	chan->in.broken = true;
	dev_err_ratelimited(&chan->device->dev,
			    "relid %u: malformed packet (offset8 %u len8 %u, %u bytes in the ring); channel input stopped\n",
			    chan->relid, desc->offset8, desc->len8, avail);
	return -EIO;
}

const struct vmbus_packet_desc *hvic_recv_peek(struct hvic_channel *chan)
{
	struct vmbus_packet_desc desc;
	u32 total;

	if (chan->pkt_len)
		return (void *)chan->pkt_buf;
	while (!vmbus_next_desc(chan, &desc, &total) && total) {
		u32 len = total - VMBUS_PKT_TRAILER_SIZE;

		if (len <= chan->pkt_buf_size) {
			hv_ring_copy_out(&chan->in, 0, chan->pkt_buf, len);
			/* Checked on our copy: the host may rewrite the ring */
			memcpy(chan->pkt_buf, &desc, sizeof(desc));
			chan->pkt_len = total;
			return (void *)chan->pkt_buf;
		}
		atomic64_inc(&chan->bad_packets);
		dev_warn_ratelimited(&chan->device->dev,
				     "relid %u: dropped a %u-byte packet (type %u); the driver takes at most %u\n",
				     chan->relid, len, desc.type,
				     chan->pkt_buf_size);
		hv_ring_consume(&chan->in, total);
	}
	return NULL;
}
HV_IC_EXPORT(hvic_recv_peek);

void hvic_recv_next(struct hvic_channel *chan)
{
	if (!chan->pkt_len)
		return;
	hv_ring_consume(&chan->in, chan->pkt_len);
	chan->pkt_len = 0;
}
HV_IC_EXPORT(hvic_recv_next);

void hvic_recv_done(struct hvic_channel *chan)
{
	if (READ_ONCE(chan->state) != HVIC_CHAN_OPEN)
		return;
	if (hv_ring_publish_read(&chan->in))
		vmbus_signal_channel(chan);
}
HV_IC_EXPORT(hvic_recv_done);

int hvic_recv(struct hvic_channel *chan, void *buf, u32 buflen, u32 *len,
	      u64 *trans_id)
{
	struct vmbus_packet_desc desc;
	u32 total, off, plen;
	int ret;

	*len = 0;
	if (chan->pkt_len) {
		/* A packet was peeked: hand out that copy */
		const struct vmbus_packet_desc *d = (void *)chan->pkt_buf;

		plen = hvic_pkt_data_len(d);
		*len = plen;
		if (plen > buflen) {
			hvic_recv_next(chan);
			return -ENOBUFS;
		}
		memcpy(buf, hvic_pkt_data(d), plen);
		if (trans_id)
			*trans_id = d->trans_id;
		hvic_recv_next(chan);
		return 0;
	}
	ret = vmbus_next_desc(chan, &desc, &total);
	if (ret || !total)
		return ret;
	off = desc.offset8 * 8;
	plen = total - VMBUS_PKT_TRAILER_SIZE - off;
	*len = plen;
	if (plen > buflen) {
		/* Left in the ring it would block everything after it */
		atomic64_inc(&chan->bad_packets);
		dev_warn_ratelimited(&chan->device->dev,
				     "relid %u: dropped a packet with a %u-byte payload (type %u); the driver takes at most %u\n",
				     chan->relid, plen, desc.type, buflen);
		hv_ring_consume(&chan->in, total);
		return -ENOBUFS;
	}
	hv_ring_copy_out(&chan->in, off, buf, plen);
	if (trans_id)
		*trans_id = desc.trans_id;
	hv_ring_consume(&chan->in, total);
	return 0;
}
HV_IC_EXPORT(hvic_recv);

/* ------------------------------------------------------------------ */
/* MODIFYCHANNEL                                                      */
/* ------------------------------------------------------------------ */

/*
 * Move @chan's interrupts to @cpu's VP.  Only CPUs that take the VMBus
 * vector can receive them, so today that is the SynIC's target CPU.
 */
int vmbus_channel_modify(struct hvic_channel *chan, unsigned int cpu)
{
	struct vmbus_msg_modifychannel msg = {
		.header.msgtype = VMBUS_MSG_MODIFYCHANNEL,
		.child_relid = chan->relid,
	};
	struct vmbus_msg_modifychannel_response *resp;
	struct vmbus_waiter *w;
	int ret;

	if (vmbus_conn.version < VMBUS_VERSION_WIN10_RS3)
		return -EOPNOTSUPP;
	if (cpu != vmbus_conn.cpu || !cpu_online(cpu))
		return -EINVAL;
	msg.target_vp = hv_vp_index(cpu);
	if (vmbus_conn.version < VMBUS_VERSION_WIN10_V5_3) {
		ret = vmbus_post_msg(&msg, sizeof(msg));
		goto done;
	}
	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	vmbus_waiter_init(w, VMBUS_MSG_MODIFYCHANNEL_RESPONSE, chan,
			  chan->relid, 0);
	ret = vmbus_post_and_wait(&msg, sizeof(msg), w, 5 * HZ);
	resp = (void *)w->resp.buf;
	if (!ret && resp->status) {
		dev_err(&chan->device->dev, "relid %u: the host refused MODIFYCHANNEL to VP %u: status %#x\n",
			chan->relid, msg.target_vp, resp->status);
		ret = -EIO;
	}
	kfree(w);
done:
	if (!ret) {
		chan->target_cpu = cpu;
		chan->target_vp = msg.target_vp;
	}
	return ret;
}

/* ------------------------------------------------------------------ */
/* Accessors                                                          */
/* ------------------------------------------------------------------ */

struct hvic_device *hvic_channel_device(struct hvic_channel *chan)
{
	return chan->device;
}
HV_IC_EXPORT(hvic_channel_device);

u32 hvic_channel_relid(const struct hvic_channel *chan)
{
	return chan->relid;
}
HV_IC_EXPORT(hvic_channel_relid);

u16 hvic_channel_subchannel_index(const struct hvic_channel *chan)
{
	return chan->subidx;
}
HV_IC_EXPORT(hvic_channel_subchannel_index);

const u8 *hvic_channel_offer_user_data(const struct hvic_channel *chan)
{
	return chan->offer.user_defined;
}
HV_IC_EXPORT(hvic_channel_offer_user_data);

bool hvic_channel_rescinded(const struct hvic_channel *chan)
{
	return READ_ONCE(chan->rescinded);
}
HV_IC_EXPORT(hvic_channel_rescinded);

unsigned int hvic_channel_target_cpu(const struct hvic_channel *chan)
{
	return chan->target_cpu;
}
HV_IC_EXPORT(hvic_channel_target_cpu);

void hvic_channel_set_drvdata(struct hvic_channel *chan, void *data)
{
	chan->drvdata = data;
}
HV_IC_EXPORT(hvic_channel_set_drvdata);

void *hvic_channel_get_drvdata(const struct hvic_channel *chan)
{
	return chan->drvdata;
}
HV_IC_EXPORT(hvic_channel_get_drvdata);
