// SPDX-License-Identifier: GPL-2.0
/*
 * hv_vmbus_test: a test driver for hvhost's hv-vmbus-test device (class
 * a98e4cf7-d717-46db-8fe4-6abd8293fb72), whose channels echo every packet
 * (Documentation/hvhost.md, "The packet echo").  Not installed for users:
 * built only with HVIC_TESTS=1 for selftests/hv_vmbus.
 *
 * It opens the primary channel and every sub-channel the host offers, and
 * runs a ring-buffer stress on request:
 *
 *   echo N > /sys/bus/vmbus/devices/<id>/echo_run
 *
 * sends N packets on each open channel (sizes 8 bytes to 3 KiB; in-band
 * without and with completion; GPA-direct over two pages), stalls its
 * reading now and then so that the host->guest ring fills, and checks that
 * every echo comes back once, in order, with the right type, length and
 * bytes.  Reading echo_run gives one line per channel:
 *
 *   relid R sent S received R' errors E bytes B send_full F stalls T ms M
 *
 * The xact attribute runs the request/response helper: each write sends
 * a request (an in-band packet with completion) and checks the answer.
 */
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/timer.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <hvic/vmbus.h>

#define ECHO_RING_BYTES		(16 * 1024)
#define ECHO_MAX_PKT		4096
#define ECHO_MAX_CHANNELS	16
#define ECHO_MAGIC		0x6f686365	/* the host's error marker */
#define ECHO_STALL_EVERY	5000
#define ECHO_STALL_MS		20
#define ECHO_GPA_PAGES		2

struct echo_hdr {
	u64 seq;
	u32 len;			/* bytes of pattern after this header */
	u32 mode;
} __packed;

enum echo_mode {
	ECHO_INBAND,			/* echoed in-band */
	ECHO_INBAND_COMP,		/* echoed as a completion */
	ECHO_GPA,			/* header in-band, data in guest pages */
	ECHO_MODES,
};

struct echo_chan {
	struct echo_dev *ed;
	struct hvic_channel *chan;
	struct work_struct work;
	struct timer_list stall_timer;
	unsigned long stall_until;
	wait_queue_head_t wq;
	u64 n;				/* packets to send in this run */
	u64 sent, received, errors, bytes, stalls, send_full;
	u64 ms;
	int result;
	bool running;
};

struct echo_dev {
	struct hvic_device *dev;
	struct mutex lock;		/* one run at a time */
	struct echo_chan ch[ECHO_MAX_CHANNELS];
	unsigned int nch;
	u8 *gpa_buf;			/* ECHO_GPA_PAGES pages, fixed pattern */
	struct hvic_xact *xact;
	u64 xact_ok, xact_bad;
};

static u8 echo_byte(u64 seq, u32 i)
{
	return (u8)(seq * 131 + i * 7 + (i >> 8));
}

/* Size of packet @seq's pattern: spread 0..3000 bytes, some odd */
static u32 echo_len(u64 seq)
{
	static const u32 sizes[] = { 8, 1, 7, 24, 100, 333, 512, 1000, 1499,
				     2048, 2999, 61 };

	return sizes[seq % ARRAY_SIZE(sizes)] + (u32)(seq % 5);
}

static enum echo_mode echo_mode_of(u64 seq)
{
	return (seq / 3) % ECHO_MODES;
}

static void echo_error(struct echo_chan *c, const char *what, u64 seq)
{
	if (c->errors++ < 5)
		dev_err(&c->ed->dev->dev, "relid %u packet %llu: %s\n",
			hvic_channel_relid(c->chan), seq, what);
}

static void echo_check(struct echo_chan *c,
		       const struct vmbus_packet_desc *desc)
{
	const u8 *data = hvic_pkt_data(desc);
	u32 len = hvic_pkt_data_len(desc), i, want;
	u64 seq = c->received;
	struct echo_hdr h;
	enum echo_mode mode = echo_mode_of(seq);
	const u8 *pat;

	if (len >= 8 && *(const u32 *)data == ECHO_MAGIC) {
		echo_error(c, "the host answered with its error marker", seq);
		return;
	}
	if (len < sizeof(h)) {
		echo_error(c, "echo shorter than its header", seq);
		return;
	}
	memcpy(&h, data, sizeof(h));
	if (h.seq != seq) {
		echo_error(c, "echo out of order or lost", seq);
		c->received = h.seq;	/* resynchronise, counted as an error */
		return;
	}
	want = mode == ECHO_INBAND ? VMBUS_PKT_DATA_INBAND : VMBUS_PKT_COMP;
	if (desc->type != want || desc->trans_id != seq)
		echo_error(c, "wrong packet type or transaction id", seq);
	if (h.mode != mode || h.len != echo_len(seq))
		echo_error(c, "header changed", seq);
	/* In-band payloads are padded to 8 bytes by the sender */
	if (len < sizeof(h) + h.len) {
		echo_error(c, "echo too short", seq);
		return;
	}
	pat = data + sizeof(h);
	if (mode == ECHO_GPA) {
		/* The in-band header was padded to 8; then the pages' bytes */
		if (memcmp(pat, c->ed->gpa_buf, h.len))
			echo_error(c, "GPA data corrupted", seq);
	} else {
		for (i = 0; i < h.len; i++) {
			if (pat[i] != echo_byte(seq, i)) {
				echo_error(c, "payload corrupted", seq);
				break;
			}
		}
	}
	c->bytes += len;
}

static void echo_callback(struct hvic_channel *chan, void *ctx)
{
	struct echo_chan *c = ctx;
	struct echo_dev *ed = c->ed;
	const struct vmbus_packet_desc *desc;
	bool wake = false;

	/* A slow reader now and then: the host->guest ring fills up */
	if (READ_ONCE(c->running) && time_before(jiffies, c->stall_until))
		return;
	while ((desc = hvic_recv_peek(chan))) {
		if (ed->xact && hvic_xact_complete(ed->xact, desc)) {
			hvic_recv_next(chan);
			continue;
		}
		if (READ_ONCE(c->running)) {
			echo_check(c, desc);
			c->received++;
			wake = true;
			if (c->received % ECHO_STALL_EVERY == 0 &&
			    c->received < c->n) {
				c->stalls++;
				c->stall_until = jiffies +
					msecs_to_jiffies(ECHO_STALL_MS);
				mod_timer(&c->stall_timer, c->stall_until + 1);
				hvic_recv_next(chan);
				break;
			}
		}
		hvic_recv_next(chan);
	}
	if (wake)
		wake_up(&c->wq);
}

static void echo_stall_end(struct timer_list *t)
{
	struct echo_chan *c = from_timer(c, t, stall_timer);

	hvic_channel_schedule(c->chan);
}

static int echo_send_one(struct echo_chan *c, u64 seq, u8 *buf)
{
	struct echo_hdr *h = (void *)buf;
	enum echo_mode mode = echo_mode_of(seq);
	u32 len = echo_len(seq), i;
	struct hvic_pkt pkt = {
		.type = VMBUS_PKT_DATA_INBAND,
		.trans_id = seq,
		.data = buf,
	};
	struct {
		struct vmbus_gpa_range r;
		u64 pfn[ECHO_GPA_PAGES];
	} ranges;
	struct {
		u32 reserved;
		u32 range_cnt;
	} gpa_head;
	u8 ext[sizeof(gpa_head) + sizeof(ranges)];

	h->seq = seq;
	h->len = len;
	h->mode = mode;
	if (mode == ECHO_GPA) {
		ranges.r.byte_count = len;
		ranges.r.byte_offset = 0;
		for (i = 0; i < ECHO_GPA_PAGES; i++)
			ranges.pfn[i] = virt_to_phys(c->ed->gpa_buf +
						     i * PAGE_SIZE) >> PAGE_SHIFT;
		gpa_head.reserved = 0;
		gpa_head.range_cnt = 1;
		memcpy(ext, &gpa_head, sizeof(gpa_head));
		memcpy(ext + sizeof(gpa_head), &ranges, sizeof(ranges));
		pkt.type = VMBUS_PKT_DATA_USING_GPA_DIRECT;
		pkt.flags = VMBUS_PKT_FLAG_COMPLETION_REQUESTED;
		pkt.ext = ext;
		pkt.ext_len = sizeof(ext);
		pkt.data_len = sizeof(*h);
	} else {
		for (i = 0; i < len; i++)
			buf[sizeof(*h) + i] = echo_byte(seq, i);
		pkt.data_len = sizeof(*h) + len;
		if (mode == ECHO_INBAND_COMP)
			pkt.flags = VMBUS_PKT_FLAG_COMPLETION_REQUESTED;
	}

	for (;;) {
		int ret = hvic_send(c->chan, &pkt);

		if (ret != -EAGAIN)
			return ret;
		c->send_full++;
		ret = hvic_send_wait(c->chan, &pkt, 10 * HZ);
		return ret;
	}
}

static void echo_work(struct work_struct *work)
{
	struct echo_chan *c = container_of(work, struct echo_chan, work);
	unsigned long t0 = jiffies;
	u8 *buf;
	u64 seq;
	int ret = 0;

	buf = kmalloc(ECHO_MAX_PKT, GFP_KERNEL);
	if (!buf) {
		c->result = -ENOMEM;
		return;
	}
	for (seq = 0; seq < c->n; seq++) {
		ret = echo_send_one(c, seq, buf);
		if (ret) {
			dev_err(&c->ed->dev->dev, "relid %u: send %llu failed: %d\n",
				hvic_channel_relid(c->chan), seq, ret);
			break;
		}
		c->sent++;
		if (!(seq & 1023))
			cond_resched();
	}
	if (!ret && !wait_event_timeout(c->wq, READ_ONCE(c->received) >= c->n,
					60 * HZ))
		ret = -ETIMEDOUT;
	c->ms = jiffies_to_msecs(jiffies - t0);
	c->result = ret;
	kfree(buf);
}

static ssize_t echo_run_store(struct device *dev,
			      struct device_attribute *attr, const char *buf,
			      size_t count)
{
	struct echo_dev *ed = hvic_get_drvdata(to_hvic_device(dev));
	unsigned int i;
	u64 n;
	int ret = 0;

	if (kstrtou64(buf, 0, &n) || !n)
		return -EINVAL;
	mutex_lock(&ed->lock);
	for (i = 0; i < ed->nch; i++) {
		struct echo_chan *c = &ed->ch[i];

		c->n = n;
		c->sent = c->received = c->errors = c->bytes = 0;
		c->stalls = c->send_full = c->ms = 0;
		c->result = 0;
		c->stall_until = jiffies;
		WRITE_ONCE(c->running, true);
		queue_work(system_unbound_wq, &c->work);
	}
	for (i = 0; i < ed->nch; i++) {
		struct echo_chan *c = &ed->ch[i];

		flush_work(&c->work);
		del_timer_sync(&c->stall_timer);
		WRITE_ONCE(c->running, false);
		if (c->result && !ret)
			ret = c->result;
		if (c->errors && !ret)
			ret = -EIO;
	}
	mutex_unlock(&ed->lock);
	return ret ?: count;
}

static ssize_t echo_run_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct echo_dev *ed = hvic_get_drvdata(to_hvic_device(dev));
	unsigned int i;
	int len = 0;

	mutex_lock(&ed->lock);
	for (i = 0; i < ed->nch; i++) {
		struct echo_chan *c = &ed->ch[i];

		len += sysfs_emit_at(buf, len,
				     "relid %u sent %llu received %llu errors %llu bytes %llu send_full %llu stalls %llu ms %llu result %d\n",
				     hvic_channel_relid(c->chan), c->sent,
				     c->received, c->errors, c->bytes,
				     c->send_full, c->stalls, c->ms, c->result);
	}
	mutex_unlock(&ed->lock);
	return len;
}
static DEVICE_ATTR_RW(echo_run);

/* Request/response through the helper: N round trips, answers checked */
static ssize_t xact_store(struct device *dev, struct device_attribute *attr,
			  const char *buf, size_t count)
{
	struct echo_dev *ed = hvic_get_drvdata(to_hvic_device(dev));
	u8 req[64], resp[64];
	unsigned int n, i;
	int ret = 0;

	if (kstrtouint(buf, 0, &n) || !n)
		return -EINVAL;
	mutex_lock(&ed->lock);
	for (i = 0; i < n; i++) {
		struct hvic_pkt pkt = {
			.type = VMBUS_PKT_DATA_INBAND,
			.data = req,
			.data_len = sizeof(req),
		};

		memset(req, i, sizeof(req));
		ret = hvic_xact_exec(ed->xact, &pkt, resp, sizeof(resp), 5 * HZ);
		if (ret == sizeof(resp) && !memcmp(req, resp, sizeof(req))) {
			ed->xact_ok++;
			ret = 0;
		} else {
			ed->xact_bad++;
			ret = ret < 0 ? ret : -EIO;
			break;
		}
	}
	mutex_unlock(&ed->lock);
	return ret ?: count;
}

static ssize_t xact_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct echo_dev *ed = hvic_get_drvdata(to_hvic_device(dev));

	return sysfs_emit(buf, "ok %llu bad %llu\n", ed->xact_ok, ed->xact_bad);
}
static DEVICE_ATTR_RW(xact);

static ssize_t echo_channels_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	struct echo_dev *ed = hvic_get_drvdata(to_hvic_device(dev));

	return sysfs_emit(buf, "%u\n", READ_ONCE(ed->nch));
}
static DEVICE_ATTR_RO(echo_channels);

static struct attribute *echo_attrs[] = {
	&dev_attr_echo_run.attr,
	&dev_attr_xact.attr,
	&dev_attr_echo_channels.attr,
	NULL,
};
ATTRIBUTE_GROUPS(echo);

static int echo_open(struct echo_dev *ed, struct hvic_channel *chan)
{
	struct hvic_channel_params p = {
		.send_ring_bytes = ECHO_RING_BYTES,
		.recv_ring_bytes = ECHO_RING_BYTES,
		.max_pkt_bytes = ECHO_MAX_PKT,
		.callback = echo_callback,
	};
	struct echo_chan *c;
	int ret;

	if (ed->nch == ECHO_MAX_CHANNELS)
		return -ENOSPC;
	c = &ed->ch[ed->nch];
	memset(c, 0, sizeof(*c));
	c->ed = ed;
	c->chan = chan;
	init_waitqueue_head(&c->wq);
	INIT_WORK(&c->work, echo_work);
	timer_setup(&c->stall_timer, echo_stall_end, 0);
	p.ctx = c;
	ret = hvic_channel_open(chan, &p);
	if (ret)
		return ret;
	hvic_channel_set_drvdata(chan, c);
	WRITE_ONCE(ed->nch, ed->nch + 1);
	return 0;
}

static void echo_sub_offered(struct hvic_channel *sub)
{
	struct echo_dev *ed = hvic_get_drvdata(hvic_channel_device(sub));
	int ret;

	mutex_lock(&ed->lock);
	ret = echo_open(ed, sub);
	mutex_unlock(&ed->lock);
	if (ret)
		dev_err(&ed->dev->dev, "sub-channel %u: open failed: %d\n",
			hvic_channel_relid(sub), ret);
}

static void echo_sub_removed(struct hvic_channel *sub)
{
	struct echo_dev *ed = hvic_get_drvdata(hvic_channel_device(sub));
	unsigned int i;

	mutex_lock(&ed->lock);
	for (i = 0; i < ed->nch; i++) {
		if (ed->ch[i].chan != sub)
			continue;
		hvic_channel_close(sub);
		del_timer_sync(&ed->ch[i].stall_timer);
		ed->ch[i] = ed->ch[ed->nch - 1];
		ed->nch--;
		break;
	}
	mutex_unlock(&ed->lock);
}

static int echo_probe(struct hvic_device *dev,
		      const struct hv_vmbus_device_id *id)
{
	struct echo_dev *ed;
	unsigned int i;
	int ret;

	ed = kzalloc(sizeof(*ed), GFP_KERNEL);
	if (!ed)
		return -ENOMEM;
	ed->dev = dev;
	mutex_init(&ed->lock);
	ed->gpa_buf = (u8 *)__get_free_pages(GFP_KERNEL,
					     get_order(ECHO_GPA_PAGES * PAGE_SIZE));
	ed->xact = hvic_xact_create(dev->channel, 4, 64);
	if (!ed->gpa_buf || !ed->xact) {
		ret = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < ECHO_GPA_PAGES * PAGE_SIZE; i++)
		ed->gpa_buf[i] = (u8)(i * 13 + 5);
	hvic_set_drvdata(dev, ed);
	hvic_set_subchannel_callbacks(dev->channel, echo_sub_offered,
				      echo_sub_removed);
	mutex_lock(&ed->lock);
	ret = echo_open(ed, dev->channel);
	mutex_unlock(&ed->lock);
	if (ret)
		goto fail;
	return 0;
fail:
	hvic_set_subchannel_callbacks(dev->channel, NULL, NULL);
	hvic_xact_destroy(ed->xact);
	free_pages((unsigned long)ed->gpa_buf,
		   get_order(ECHO_GPA_PAGES * PAGE_SIZE));
	kfree(ed);
	return ret;
}

static void echo_remove(struct hvic_device *dev)
{
	struct echo_dev *ed = hvic_get_drvdata(dev);
	unsigned int i;

	hvic_set_subchannel_callbacks(dev->channel, NULL, NULL);
	hvic_xact_cancel(ed->xact, -ENODEV);
	mutex_lock(&ed->lock);
	for (i = ed->nch; i-- > 0;) {
		hvic_channel_close(ed->ch[i].chan);
		del_timer_sync(&ed->ch[i].stall_timer);
	}
	ed->nch = 0;
	mutex_unlock(&ed->lock);
	hvic_xact_destroy(ed->xact);
	free_pages((unsigned long)ed->gpa_buf,
		   get_order(ECHO_GPA_PAGES * PAGE_SIZE));
	kfree(ed);
}

static const struct hv_vmbus_device_id echo_ids[] = {
	{ .guid = GUID_INIT(0xa98e4cf7, 0xd717, 0x46db, 0x8f, 0xe4,
			    0x6a, 0xbd, 0x82, 0x93, 0xfb, 0x72) },
	{ }
};
MODULE_DEVICE_TABLE(vmbus, echo_ids);

static struct hvic_driver echo_driver = {
	.name = "hv_vmbus_test",
	.id_table = echo_ids,
	.probe = echo_probe,
	.remove = echo_remove,
	.driver = {
		.dev_groups = echo_groups,
	},
};
module_hvic_driver(echo_driver);

HVIC_IMPORT_NS();
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Test driver for hvhost's echoing hv-vmbus-test device (hyperv-ic selftests)");
