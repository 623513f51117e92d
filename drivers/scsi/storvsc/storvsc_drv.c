// SPDX-License-Identifier: GPL-2.0
/*
 * hv_storvsc: the Hyper-V synthetic SCSI controller, over hyperv-ic's VMBus
 * core.
 *
 * Probe opens the primary channel and runs the storage init sequence:
 * BEGIN_INITIALIZATION, QUERY_PROTOCOL_VERSION from the newest protocol
 * down (6.2, 6.0, 5.1, 4.2, 2.0: the host refuses what it does not speak
 * with REVISION_MISMATCH), QUERY_PROPERTIES (largest transfer, whether it
 * does multi-channel), END_INITIALIZATION.  From 5.1 it asks for
 * sub-channels, one per further CPU up to what the host allows; each one
 * that arrives serves the hardware queue of its index (queues whose
 * channel has not come yet use the primary).  Then the SCSI host is added
 * and scanned.  Before 5.1 packets are 48 bytes with an 18-byte sense
 * area, as WS2008 and WS2008 R2 expect.
 */
#include <linux/blkdev.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <scsi/scsi.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>

#include "storvsc.h"

static unsigned int ring_size = 128 * 1024;
module_param(ring_size, uint, 0444);
MODULE_PARM_DESC(ring_size, "Bytes of each channel's ring, each way (16 KiB - 1 MiB, default 128 KiB)");

static int max_sub_channels = -1;
module_param(max_sub_channels, int, 0444);
MODULE_PARM_DESC(max_sub_channels, "Sub-channels to ask for per controller (default -1: one per online CPU after the first; 0: none)");

static unsigned int max_version;
module_param(max_version, uint, 0444);
MODULE_PARM_DESC(max_version, "Newest protocol to offer, e.g. 0x200 for 2.0 (default 0: 6.2)");

static unsigned int io_timeout = 180;
module_param(io_timeout, uint, 0644);
MODULE_PARM_DESC(io_timeout, "Seconds before a request counts as late (default 180)");

int storvsc_logging = STORVSC_LOG_ERROR;
module_param_named(logging_level, storvsc_logging, int, 0644);
MODULE_PARM_DESC(logging_level, "0 none, 1 errors (default), 2 warnings, 3 info");

#define STORVSC_INIT_TIMEOUT	(10 * HZ)
#define STORVSC_MAX_PKT		256
#define STORVSC_MAX_TARGETS	2
#define STORVSC_MAX_LUNS	64

#ifdef HV_IC_SCSI_TIMEOUT_ACTION
#define STORVSC_EH_RESET	SCSI_EH_RESET_TIMER
#define STORVSC_EH_NOT_HANDLED	SCSI_EH_NOT_HANDLED
typedef enum scsi_timeout_action storvsc_eh_ret_t;
#else
#define STORVSC_EH_RESET	BLK_EH_RESET_TIMER
#define STORVSC_EH_NOT_HANDLED	BLK_EH_DONE
typedef enum blk_eh_timer_return storvsc_eh_ret_t;
#endif

static const u16 storvsc_versions[] = {
	STORVSC_VERSION_WIN10,
	STORVSC_VERSION_WIN8_1,
	STORVSC_VERSION_WIN8,
	STORVSC_VERSION_WIN7,
	STORVSC_VERSION_WIN6,
};

/* One init-time request on the primary channel; the answer in @pkt */
static int storvsc_exec(struct storvsc_host *sh, struct storvsc_packet *pkt)
{
	struct hvic_pkt p = {
		.type = VMBUS_PKT_DATA_INBAND,
		.data = pkt,
		.data_len = sh->pkt_size,
	};
	u32 op = pkt->operation;
	int ret;

	pkt->flags = STORVSC_FLAG_REQUEST_COMPLETION;
	ret = hvic_xact_exec(sh->xact, &p, pkt, sizeof(*pkt),
			     STORVSC_INIT_TIMEOUT);
	if (ret == -ETIMEDOUT)
		dev_err(&sh->hdev->dev, "operation %u: no answer from the host in %d s\n",
			op, STORVSC_INIT_TIMEOUT / HZ);
	if (ret < 0)
		return ret;
	if (ret < STORVSC_PACKET_HDR_SIZE) {
		dev_err(&sh->hdev->dev, "operation %u: a %d-byte answer\n",
			op, ret);
		return -EPROTO;
	}
	if (pkt->operation != STORVSC_OP_COMPLETE_IO) {
		dev_err(&sh->hdev->dev,
			"operation %u: answered with operation %u\n",
			op, pkt->operation);
		return -EPROTO;
	}
	return ret;
}

static int storvsc_simple_op(struct storvsc_host *sh, u32 op)
{
	struct storvsc_packet pkt = { .operation = op };
	int ret;

	ret = storvsc_exec(sh, &pkt);
	if (ret < 0)
		return ret;
	if (pkt.status != STORVSC_STATUS_SUCCESS) {
		dev_err(&sh->hdev->dev, "operation %u: status %#x\n", op,
			pkt.status);
		return -EIO;
	}
	return 0;
}

static int storvsc_negotiate(struct storvsc_host *sh)
{
	struct storvsc_packet pkt;
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(storvsc_versions); i++) {
		u16 v = storvsc_versions[i];

		if (max_version && v > max_version)
			continue;
		memset(&pkt, 0, sizeof(pkt));
		pkt.operation = STORVSC_OP_QUERY_PROTOCOL_VERSION;
		pkt.version.major_minor = v;
		ret = storvsc_exec(sh, &pkt);
		if (ret < 0)
			return ret;
		if (pkt.status == STORVSC_STATUS_SUCCESS) {
			sh->version = v;
			return 0;
		}
		if (pkt.status != STORVSC_STATUS_REVISION_MISMATCH) {
			dev_err(&sh->hdev->dev,
				"protocol %u.%u: status %#x\n",
				STORVSC_VERSION_MAJOR(v),
				STORVSC_VERSION_MINOR(v), pkt.status);
			return -EIO;
		}
	}
	dev_err(&sh->hdev->dev, "the host speaks no protocol this driver knows (2.0-6.2)\n");
	return -EPROTONOSUPPORT;
}

static int storvsc_init_sequence(struct storvsc_host *sh)
{
	struct storvsc_packet pkt = {
		.operation = STORVSC_OP_QUERY_PROPERTIES,
	};
	u32 max;
	int ret;

	/* Until a version is agreed, the packets are the short ones */
	sh->pkt_size = STORVSC_PACKET_SIZE_PRE_WIN8;
	sh->sense_size = STORVSC_SENSE_SIZE_PRE_WIN8;
	ret = storvsc_simple_op(sh, STORVSC_OP_BEGIN_INITIALIZATION);
	if (ret)
		return ret;
	ret = storvsc_negotiate(sh);
	if (ret)
		return ret;
	if (sh->version >= STORVSC_VERSION_WIN8) {
		sh->pkt_size = sizeof(struct storvsc_packet);
		sh->sense_size = STORVSC_SENSE_SIZE;
	}

	ret = storvsc_exec(sh, &pkt);
	if (ret < 0)
		return ret;
	if (pkt.status != STORVSC_STATUS_SUCCESS ||
	    ret < STORVSC_PACKET_HDR_SIZE + sizeof(pkt.props)) {
		dev_err(&sh->hdev->dev, "QUERY_PROPERTIES: status %#x, %d bytes\n",
			pkt.status, ret);
		return -EIO;
	}
	max = pkt.props.max_transfer_bytes;
	sh->max_transfer = clamp_t(u32, rounddown(max, PAGE_SIZE), PAGE_SIZE,
				   STORVSC_MAX_IO_BYTES);
	if (max < PAGE_SIZE)
		dev_warn(&sh->hdev->dev,
			 "the host's largest transfer is %u bytes; using %lu\n",
			 max, PAGE_SIZE);
	if (sh->version >= STORVSC_VERSION_WIN8 &&
	    (pkt.props.flags & STORVSC_PROPS_MULTI_CHANNEL))
		sh->max_sub_channels = min_t(u16, pkt.props.max_channel_count,
					     STORVSC_MAX_CHANNELS - 1);

	return storvsc_simple_op(sh, STORVSC_OP_END_INITIALIZATION);
}

static int storvsc_open_chan(struct storvsc_host *sh, struct storvsc_chan *sc,
			     struct hvic_channel *chan)
{
	struct hvic_channel_params p = {
		.send_ring_bytes = ring_size,
		.recv_ring_bytes = ring_size,
		.max_pkt_bytes = STORVSC_MAX_PKT,
		.callback = storvsc_channel_callback,
		.ctx = sc,
	};

	sc->sh = sh;
	sc->chan = chan;
	sc->index = hvic_channel_subchannel_index(chan);
	atomic64_set(&sc->requests, 0);
	atomic64_set(&sc->completions, 0);
	atomic64_set(&sc->ring_full, 0);
	atomic64_set(&sc->kicks, 0);
	sc->kick_pending = 0;
	return hvic_channel_open(chan, &p);
}

static void storvsc_sub_offered(struct hvic_channel *chan)
{
	struct storvsc_host *sh = hvic_get_drvdata(hvic_channel_device(chan));
	unsigned int i = hvic_channel_subchannel_index(chan);
	struct storvsc_chan *sc;
	int ret;

	if (!i || i >= STORVSC_MAX_CHANNELS || i > sh->sub_channels_asked) {
		dev_warn(&sh->hdev->dev,
			 "sub-channel %u (relid %u) was not asked for; not used\n",
			 i, hvic_channel_relid(chan));
		return;
	}
	sc = kzalloc(sizeof(*sc), GFP_KERNEL);
	if (!sc)
		return;
	mutex_lock(&sh->chan_lock);
	if (rcu_access_pointer(sh->chans[i])) {
		mutex_unlock(&sh->chan_lock);
		kfree(sc);
		return;
	}
	ret = storvsc_open_chan(sh, sc, chan);
	if (ret) {
		mutex_unlock(&sh->chan_lock);
		dev_err(&sh->hdev->dev, "sub-channel %u: open failed: %d\n",
			i, ret);
		kfree(sc);
		return;
	}
	hvic_channel_set_drvdata(chan, sc);
	rcu_assign_pointer(sh->chans[i], sc);
	sh->nchans++;
	mutex_unlock(&sh->chan_lock);
	if (storvsc_logging >= STORVSC_LOG_INFO)
		dev_info(&sh->hdev->dev, "sub-channel %u open (relid %u)\n",
			 i, hvic_channel_relid(chan));
}

/* Close sub-channel @i: no new request picks it, then fail the rest */
static void storvsc_drop_sub(struct storvsc_host *sh, unsigned int i)
{
	struct storvsc_chan *sc;
	unsigned int n;

	sc = rcu_dereference_protected(sh->chans[i],
				       lockdep_is_held(&sh->chan_lock));
	if (!sc)
		return;
	RCU_INIT_POINTER(sh->chans[i], NULL);
	synchronize_rcu();
	hvic_channel_close(sc->chan);
	sh->nchans--;
	/* Closed: the host has let go of what was sent there */
	n = storvsc_fail_inflight(sh, sc, DID_REQUEUE);
	if (n)
		dev_warn(&sh->hdev->dev,
			 "sub-channel %u closed with %u requests unanswered; requeued\n",
			 i, n);
	kfree(sc);
}

static void storvsc_sub_removed(struct hvic_channel *chan)
{
	struct storvsc_host *sh = hvic_get_drvdata(hvic_channel_device(chan));
	unsigned int i;

	mutex_lock(&sh->chan_lock);
	for (i = 1; i < STORVSC_MAX_CHANNELS; i++) {
		struct storvsc_chan *sc;

		sc = rcu_dereference_protected(sh->chans[i],
					       lockdep_is_held(&sh->chan_lock));
		if (sc && sc->chan == chan) {
			storvsc_drop_sub(sh, i);
			break;
		}
	}
	mutex_unlock(&sh->chan_lock);
}

static void storvsc_close_all(struct storvsc_host *sh)
{
	unsigned int i;

	hvic_set_subchannel_callbacks(sh->hdev->channel, NULL, NULL);
	mutex_lock(&sh->chan_lock);
	for (i = 1; i < STORVSC_MAX_CHANNELS; i++)
		storvsc_drop_sub(sh, i);
	mutex_unlock(&sh->chan_lock);
	hvic_xact_cancel(sh->xact, -ENODEV);
	hvic_channel_close(sh->hdev->channel);
}

/* Requests per channel: what a ring holds of typical 64 KiB requests */
static unsigned int storvsc_queue_depth(struct storvsc_host *sh)
{
	u32 per = ALIGN(sizeof(struct vmbus_packet_desc) + 16 +
			8 * (SZ_64K / PAGE_SIZE + 1) + sh->pkt_size, 8) +
		  VMBUS_PKT_TRAILER_SIZE;

	return clamp_t(u32, ring_size / per, 16, 1024);
}

/* ------------------------------------------------------------------ */
/* SCSI host template                                                  */
/* ------------------------------------------------------------------ */

static int storvsc_slave_configure(struct scsi_device *sdev)
{
	struct storvsc_host *sh = shost_priv(sdev->host);

	blk_queue_rq_timeout(sdev->request_queue, io_timeout * HZ);
	/* Hyper-V answers REPORT SUPPORTED OPERATION CODES badly */
	sdev->no_report_opcodes = 1;
	sdev->no_write_same = 1;
	if (!strncmp(sdev->vendor, "Msft", 4)) {
		/* Its virtual disks: SPC-3 on 5.1 and 6.0; WRITE SAME from 6.2 */
		if (sh->version == STORVSC_VERSION_WIN8 ||
		    sh->version == STORVSC_VERSION_WIN8_1)
			sdev->scsi_level = SCSI_SPC_3;
		if (sh->version >= STORVSC_VERSION_WIN10)
			sdev->no_write_same = 0;
	}
	return 0;
}

static storvsc_eh_ret_t storvsc_eh_timed_out(struct scsi_cmnd *cmd)
{
	struct storvsc_host *sh = shost_priv(cmd->device->host);
	struct storvsc_cmd *c = scsi_cmd_priv(cmd);

	atomic64_inc(&sh->timeouts);
	if (atomic_read(&c->in_flight)) {
		/* The host still holds its pages: keep waiting */
		scmd_printk(KERN_WARNING, cmd,
			    "no answer from the host after %u s; still waiting\n",
			    scsi_cmd_to_rq(cmd)->timeout / HZ);
		return STORVSC_EH_RESET;
	}
	return STORVSC_EH_NOT_HANDLED;
}

static int storvsc_eh_abort(struct scsi_cmnd *cmd)
{
	struct storvsc_cmd *c = scsi_cmd_priv(cmd);

	/* Nothing can take a request back from the host */
	return atomic_read(&c->in_flight) ? FAILED : SUCCESS;
}

static int storvsc_eh_host_reset(struct scsi_cmnd *cmd)
{
	struct storvsc_host *sh = shost_priv(cmd->device->host);

	scmd_printk(KERN_INFO, cmd, "resetting the bus\n");
	return storvsc_simple_op(sh, STORVSC_OP_RESET_BUS) ? FAILED : SUCCESS;
}

/* sysfs of the SCSI host (/sys/class/scsi_host/hostN/) */
static struct storvsc_host *dev_to_sh(struct device *dev)
{
	return shost_priv(class_to_shost(dev));
}

static ssize_t protocol_version_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	struct storvsc_host *sh = dev_to_sh(dev);

	return sysfs_emit(buf, "%u.%u\n", STORVSC_VERSION_MAJOR(sh->version),
			  STORVSC_VERSION_MINOR(sh->version));
}
static DEVICE_ATTR_RO(protocol_version);

static ssize_t max_transfer_bytes_show(struct device *dev,
				       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", dev_to_sh(dev)->max_transfer);
}
static DEVICE_ATTR_RO(max_transfer_bytes);

static ssize_t channels_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	struct storvsc_host *sh = dev_to_sh(dev);

	return sysfs_emit(buf, "%u\n", READ_ONCE(sh->nchans));
}
static DEVICE_ATTR_RO(channels);

/*
 * One line per open channel: index relid cpu requests completions
 * ring_full kicks
 */
static ssize_t channel_stats_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	struct storvsc_host *sh = dev_to_sh(dev);
	unsigned int i;
	int n = 0;

	rcu_read_lock();
	for (i = 0; i < STORVSC_MAX_CHANNELS; i++) {
		struct storvsc_chan *sc = i ? rcu_dereference(sh->chans[i]) :
					      &sh->primary;

		if (!sc)
			continue;
		n += sysfs_emit_at(buf, n, "%u %u %u %lld %lld %lld %lld\n", i,
				   hvic_channel_relid(sc->chan),
				   hvic_channel_target_cpu(sc->chan),
				   atomic64_read(&sc->requests),
				   atomic64_read(&sc->completions),
				   atomic64_read(&sc->ring_full),
				   atomic64_read(&sc->kicks));
	}
	rcu_read_unlock();
	return n;
}
static DEVICE_ATTR_RO(channel_stats);

/* bad_completions timeouts notifications rescans */
static ssize_t events_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct storvsc_host *sh = dev_to_sh(dev);

	return sysfs_emit(buf, "bad_completions %lld\ntimeouts %lld\nnotifications %lld\nrescans %lld\n",
			  atomic64_read(&sh->bad_completions),
			  atomic64_read(&sh->timeouts),
			  atomic64_read(&sh->notifications),
			  atomic64_read(&sh->rescans));
}
static DEVICE_ATTR_RO(events);

static struct attribute *storvsc_host_attrs[] = {
	&dev_attr_protocol_version.attr,
	&dev_attr_max_transfer_bytes.attr,
	&dev_attr_channels.attr,
	&dev_attr_channel_stats.attr,
	&dev_attr_events.attr,
	NULL,
};
ATTRIBUTE_GROUPS(storvsc_host);

static struct scsi_host_template storvsc_template = {
	.module			= THIS_MODULE,
	.name			= "hv_storvsc",
	.proc_name		= "hv_storvsc",
	.queuecommand		= storvsc_queuecommand,
	.commit_rqs		= storvsc_commit_rqs,
	.eh_timed_out		= storvsc_eh_timed_out,
	.eh_abort_handler	= storvsc_eh_abort,
	.eh_host_reset_handler	= storvsc_eh_host_reset,
	.slave_configure	= storvsc_slave_configure,
	.change_queue_depth	= scsi_change_queue_depth,
	.cmd_size		= sizeof(struct storvsc_cmd),
	.init_cmd_priv		= storvsc_init_cmd_priv,
	.this_id		= -1,
	.max_segment_size	= UINT_MAX,
	.shost_groups		= storvsc_host_groups,
};

/* ------------------------------------------------------------------ */
/* Probe and remove                                                    */
/* ------------------------------------------------------------------ */

static int storvsc_probe(struct hvic_device *hdev,
			 const struct hv_vmbus_device_id *id)
{
	struct Scsi_Host *shost;
	struct storvsc_host *sh;
	unsigned int subs = 0;
	int ret;

	shost = scsi_host_alloc(&storvsc_template, sizeof(*sh));
	if (!shost)
		return -ENOMEM;
	sh = shost_priv(shost);
	sh->shost = shost;
	sh->hdev = hdev;
	mutex_init(&sh->chan_lock);
	spin_lock_init(&sh->lock);
	INIT_WORK(&sh->scan_work, storvsc_scan_work);
	/* No rescan (a host notice) before the SCSI host is added */
	sh->removing = true;
	hvic_set_drvdata(hdev, sh);

	ret = -ENOMEM;
	sh->xact = hvic_xact_create(hdev->channel, 2,
				    sizeof(struct storvsc_packet));
	if (!sh->xact)
		goto err_put;
	ret = storvsc_open_chan(sh, &sh->primary, hdev->channel);
	if (ret)
		goto err_xact;
	sh->nchans = 1;
	ret = storvsc_init_sequence(sh);
	if (ret)
		goto err_close;

	if (sh->max_sub_channels) {
		subs = max_sub_channels >= 0 ? max_sub_channels :
		       num_online_cpus() - 1;
		subs = min_t(unsigned int, subs, sh->max_sub_channels);
	}
	if (subs) {
		struct storvsc_packet pkt = {
			.operation = STORVSC_OP_CREATE_SUB_CHANNELS,
			.sub_channel_count = subs,
		};

		sh->sub_channels_asked = subs;
		hvic_set_subchannel_callbacks(hdev->channel,
					      storvsc_sub_offered,
					      storvsc_sub_removed);
		ret = storvsc_exec(sh, &pkt);
		if (ret >= 0 && pkt.status != STORVSC_STATUS_SUCCESS)
			ret = -EIO;
		if (ret < 0) {
			dev_warn(&hdev->dev,
				 "CREATE_SUB_CHANNELS (%u): %d, status %#x; one channel only\n",
				 subs, ret, pkt.status);
			hvic_set_subchannel_callbacks(hdev->channel, NULL, NULL);
			sh->sub_channels_asked = 0;
			subs = 0;
		}
	}

	shost->max_channel = 0;
	shost->max_id = STORVSC_MAX_TARGETS;
	shost->max_lun = STORVSC_MAX_LUNS;
	shost->max_cmd_len = STORVSC_CDB_MAX;
	shost->max_sectors = sh->max_transfer >> SECTOR_SHIFT;
	shost->sg_tablesize = sh->max_transfer / PAGE_SIZE + 1;
	shost->virt_boundary_mask = PAGE_SIZE - 1;
	shost->can_queue = storvsc_queue_depth(sh);
	shost->cmd_per_lun = shost->can_queue;
	shost->nr_hw_queues = 1 + subs;

	ret = scsi_add_host(shost, &hdev->dev);
	if (ret)
		goto err_close;
	spin_lock_irq(&sh->lock);
	sh->removing = false;
	spin_unlock_irq(&sh->lock);
	dev_info(&hdev->dev,
		 "SCSI host %u: protocol %u.%u, largest transfer %u KiB, queue depth %u, %u sub-channel%s asked\n",
		 shost->host_no, STORVSC_VERSION_MAJOR(sh->version),
		 STORVSC_VERSION_MINOR(sh->version), sh->max_transfer / 1024,
		 shost->can_queue, subs, subs == 1 ? "" : "s");
	scsi_scan_host(shost);
	return 0;

err_close:
	storvsc_close_all(sh);
err_xact:
	hvic_xact_destroy(sh->xact);
err_put:
	hvic_set_drvdata(hdev, NULL);
	scsi_host_put(shost);
	return ret;
}

static void storvsc_remove(struct hvic_device *hdev)
{
	struct storvsc_host *sh = hvic_get_drvdata(hdev);
	struct Scsi_Host *shost = sh->shost;
	unsigned long flags;

	spin_lock_irqsave(&sh->lock, flags);
	sh->removing = true;
	spin_unlock_irqrestore(&sh->lock, flags);
	cancel_work_sync(&sh->scan_work);

	if (hvic_channel_rescinded(hdev->channel)) {
		unsigned int n;

		/* The host is gone: nothing it held will be answered */
		storvsc_close_all(sh);
		n = storvsc_fail_inflight(sh, NULL, DID_NO_CONNECT);
		if (n)
			dev_warn(&hdev->dev, "rescinded with %u requests unanswered\n",
				 n);
		scsi_remove_host(shost);
	} else {
		scsi_remove_host(shost);
		storvsc_close_all(sh);
	}
	hvic_xact_destroy(sh->xact);
	hvic_set_drvdata(hdev, NULL);
	scsi_host_put(shost);
}

static const struct hv_vmbus_device_id storvsc_ids[] = {
	{ .guid = STORVSC_SCSI_GUID },
	{ }
};
MODULE_DEVICE_TABLE(vmbus, storvsc_ids);

static struct hvic_driver storvsc_driver = {
	.name = "hv_storvsc",
	.id_table = storvsc_ids,
	.probe = storvsc_probe,
	.remove = storvsc_remove,
	.driver = {
		.probe_type = PROBE_PREFER_ASYNCHRONOUS,
	},
};

static int __init storvsc_init(void)
{
	if (ring_size < SZ_16K || ring_size > SZ_1M ||
	    !IS_ALIGNED(ring_size, PAGE_SIZE)) {
		pr_err("hv_storvsc: ring_size must be a page multiple from 16 KiB to 1 MiB\n");
		return -EINVAL;
	}
	return hvic_driver_register(&storvsc_driver);
}

static void __exit storvsc_exit(void)
{
	hvic_driver_unregister(&storvsc_driver);
}

module_init(storvsc_init);
module_exit(storvsc_exit);

HVIC_IMPORT_NS();
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Hyper-V synthetic SCSI controller (hyperv-ic)");
