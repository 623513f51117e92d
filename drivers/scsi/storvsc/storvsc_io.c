// SPDX-License-Identifier: GPL-2.0
/*
 * hv_storvsc I/O: SCSI commands to EXECUTE_SRB packets and back.
 *
 * A command goes out as one packet on the channel of its hardware queue:
 * GPA direct when it moves data (one range: the offset into the first
 * page and the PFNs of every page, built in the command's private area
 * straight from its scatterlist; the host's virt boundary makes the pages
 * one contiguous range as the host sees it, so nothing is bounced), in-band
 * when it does not.  The transaction id is the block layer's unique tag
 * with a per-command generation above it, so a completion names exactly
 * one dispatch: an unknown, stale or duplicate id is logged and dropped.
 *
 * The host owns a request's pages until it answers.  A command the host
 * has not answered is therefore never completed behind its back: the
 * midlayer's timeout only re-arms (and says so in the log); a rescinded or
 * closed channel fails what was sent on it, because then the host has let
 * go of it.
 */
#include <linux/blk-mq.h>
#include <linux/scatterlist.h>
#include <scsi/scsi.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_eh.h>
#include <scsi/scsi_host.h>
#include <scsi/scsi_tcq.h>

#include "storvsc.h"

/* Transaction ids: generation (16 bits) << 32 | blk_mq_unique_tag() */
static u64 storvsc_trans_id(struct storvsc_cmd *c, u32 unique_tag)
{
	return (u64)c->gen << 32 | unique_tag;
}

/* The channel of hardware queue @hwq; under rcu_read_lock() */
static struct storvsc_chan *storvsc_hwq_chan(struct storvsc_host *sh, u16 hwq)
{
	struct storvsc_chan *sc = NULL;

	if (hwq < STORVSC_MAX_CHANNELS)
		sc = rcu_dereference(sh->chans[hwq]);
	return sc ?: &sh->primary;
}

/*
 * Signal the host for what @sc's batch wrote: @kick if this request needs
 * it, and whatever earlier requests of a batch left pending.
 */
static void storvsc_kick(struct storvsc_chan *sc, bool kick)
{
	if (test_bit(0, &sc->kick_pending) &&
	    test_and_clear_bit(0, &sc->kick_pending))
		kick = true;
	if (kick) {
		atomic64_inc(&sc->kicks);
		hvic_kick(sc->chan);
	}
}

/*
 * blk-mq ends a batch early (a request it could not dispatch after others
 * were sent without SCMD_LAST): the host must still hear of those.
 */
void storvsc_commit_rqs(struct Scsi_Host *shost, u16 hwq)
{
	struct storvsc_host *sh = shost_priv(shost);

	rcu_read_lock();
	storvsc_kick(storvsc_hwq_chan(sh, hwq), false);
	rcu_read_unlock();
}

/* The PFN list of @cmd's data into c->ranges; the number of PFNs or < 0 */
static int storvsc_build_ranges(struct scsi_cmnd *cmd, struct storvsc_cmd *c)
{
	struct scatterlist *sg;
	unsigned int n = 0, i, first_off = 0;
	int nseg = scsi_sg_count(cmd);

	scsi_for_each_sg(cmd, sg, nseg, i) {
		unsigned long pfn = page_to_pfn(sg_page(sg)) +
				    (sg->offset >> PAGE_SHIFT);
		unsigned int off = offset_in_page(sg->offset);
		unsigned int pages = DIV_ROUND_UP(off + sg->length, PAGE_SIZE);

		if (i == 0)
			first_off = off;
		else if (off)
			return -EINVAL;	/* the virt boundary forbids this */
		if (n + pages > STORVSC_MAX_PFNS)
			return -E2BIG;
		while (pages--)
			c->ranges.pfn[n++] = pfn++;
	}
	c->ranges.reserved = 0;
	c->ranges.range_cnt = 1;
	c->ranges.byte_count = scsi_bufflen(cmd);
	c->ranges.byte_offset = first_off;
	return n;
}

/*
 * Once per command, when blk-mq allocates it.  Having this hook also stops
 * the midlayer from clearing the whole private area before every dispatch
 * (over 2 KiB with the range list, which queuecommand writes anyway), and
 * lets the generation in the transaction id count across the dispatches of
 * one tag, which is what tells an old answer from the current one.
 */
int storvsc_init_cmd_priv(struct Scsi_Host *shost, struct scsi_cmnd *cmd)
{
	struct storvsc_cmd *c = scsi_cmd_priv(cmd);

	memset(c, 0, offsetof(struct storvsc_cmd, ranges));
	return 0;
}

static void storvsc_finish_now(struct scsi_cmnd *cmd, int host_byte)
{
	cmd->result = 0;
	set_host_byte(cmd, host_byte);
	scsi_done(cmd);
}

/* @cmd is finished unsent; the host still hears of its batch if it ends one */
static void storvsc_finish_unsent(struct storvsc_host *sh,
				  struct scsi_cmnd *cmd, u32 tag, int host_byte)
{
	if (cmd->flags & SCMD_LAST)
		storvsc_commit_rqs(sh->shost, blk_mq_unique_tag_to_hwq(tag));
	storvsc_finish_now(cmd, host_byte);
}

int storvsc_queuecommand(struct Scsi_Host *shost, struct scsi_cmnd *cmd)
{
	struct storvsc_host *sh = shost_priv(shost);
	struct storvsc_cmd *c = scsi_cmd_priv(cmd);
	struct scsi_device *sdev = cmd->device;
	struct storvsc_srb *srb = &c->pkt.srb;
	u32 tag = blk_mq_unique_tag(scsi_cmd_to_rq(cmd));
	struct hvic_pkt pkt = {
		.type = VMBUS_PKT_DATA_INBAND,
		.flags = VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
		.data = &c->pkt,
		.data_len = sh->pkt_size,
	};
	struct storvsc_chan *sc;
	bool kick = false;
	int npfn = 0, ret;

	if (cmd->cmd_len > STORVSC_CDB_MAX ||
	    cmd->sc_data_direction == DMA_BIDIRECTIONAL) {
		storvsc_finish_unsent(sh, cmd, tag, DID_ERROR);
		return 0;
	}

	memset(&c->pkt, 0, sizeof(c->pkt));
	c->pkt.operation = STORVSC_OP_EXECUTE_SRB;
	c->pkt.flags = STORVSC_FLAG_REQUEST_COMPLETION;
	srb->length = sh->pkt_size - STORVSC_PACKET_HDR_SIZE;
	srb->port_number = shost->host_no;
	srb->path_id = sdev->channel;
	srb->target_id = sdev->id;
	srb->lun = sdev->lun;
	srb->cdb_length = cmd->cmd_len;
	memcpy(srb->cdb_or_sense, cmd->cmnd, cmd->cmd_len);
	srb->sense_info_length = sh->sense_size;
	srb->data_transfer_length = scsi_bufflen(cmd);
	switch (cmd->sc_data_direction) {
	case DMA_TO_DEVICE:
		srb->data_in = STORVSC_DATA_OUT;
		srb->srb_flags = STORVSC_SRB_FLAGS_DATA_OUT;
		break;
	case DMA_FROM_DEVICE:
		srb->data_in = STORVSC_DATA_IN;
		srb->srb_flags = STORVSC_SRB_FLAGS_DATA_IN;
		break;
	default:
		srb->data_in = STORVSC_DATA_NONE;
		srb->srb_flags = STORVSC_SRB_FLAGS_NO_DATA_TRANSFER;
		break;
	}
	if (sh->version >= STORVSC_VERSION_WIN8) {
		srb->srb_flags |= STORVSC_SRB_FLAGS_DISABLE_SYNCH_TRANSFER;
		srb->time_out_value = scsi_cmd_to_rq(cmd)->timeout / HZ;
	}

	if (scsi_bufflen(cmd)) {
		npfn = storvsc_build_ranges(cmd, c);
		if (npfn <= 0) {
			storvsc_log(sh, STORVSC_LOG_ERROR,
				    "a request of %u bytes does not fit one range (%d)\n",
				    scsi_bufflen(cmd), npfn);
			storvsc_finish_unsent(sh, cmd, tag, DID_ERROR);
			return 0;
		}
		pkt.type = VMBUS_PKT_DATA_USING_GPA_DIRECT;
		pkt.ext = &c->ranges;
		pkt.ext_len = offsetof(typeof(c->ranges), pfn) + npfn * sizeof(u64);
	}

	if (!++c->gen)
		c->gen = 1;
	c->answered_bad = false;
	pkt.trans_id = storvsc_trans_id(c, tag);

	rcu_read_lock();
	sc = storvsc_hwq_chan(sh, blk_mq_unique_tag_to_hwq(tag));
	c->sc = sc;
	atomic_set(&c->in_flight, 1);
	/*
	 * blk-mq says which request ends a batch (SCMD_LAST): the host is
	 * signalled once, after the last, for all of them; an earlier one
	 * that found the ring empty leaves the signal pending
	 */
	ret = hvic_send_nokick(sc->chan, &pkt, &kick);
	if (ret) {
		atomic_set(&c->in_flight, 0);
		if (ret == -EAGAIN)
			atomic64_inc(&sc->ring_full);
	} else {
		atomic64_inc(&sc->requests);
	}
	if (!(cmd->flags & SCMD_LAST) && !ret) {
		if (kick)
			set_bit(0, &sc->kick_pending);
	} else {
		storvsc_kick(sc, kick);
	}
	rcu_read_unlock();

	switch (ret) {
	case 0:
		return 0;
	case -EAGAIN:
		return SCSI_MLQUEUE_DEVICE_BUSY;
	case -ENODEV:
		storvsc_finish_now(cmd, DID_NO_CONNECT);
		return 0;
	default:
		storvsc_log(sh, STORVSC_LOG_ERROR, "send failed: %d\n", ret);
		storvsc_finish_now(cmd, DID_ERROR);
		return 0;
	}
}

/* The midlayer's view of an answered request */
static void storvsc_set_result(struct storvsc_host *sh, struct scsi_cmnd *cmd,
			       const struct storvsc_srb *srb)
{
	u8 status = srb->srb_status & STORVSC_SRB_STATUS_MASK;
	int host = DID_OK;

	cmd->result = srb->scsi_status;
	if ((srb->srb_status & STORVSC_SRB_STATUS_AUTOSENSE_VALID) &&
	    srb->scsi_status == SAM_STAT_CHECK_CONDITION)
		memcpy(cmd->sense_buffer, srb->cdb_or_sense,
		       min3((u32)srb->sense_info_length, sh->sense_size,
			    (u32)SCSI_SENSE_BUFFERSIZE));
	if (srb->data_transfer_length < scsi_bufflen(cmd))
		scsi_set_resid(cmd, scsi_bufflen(cmd) -
			       srb->data_transfer_length);

	switch (status) {
	case STORVSC_SRB_STATUS_SUCCESS:
	case STORVSC_SRB_STATUS_DATA_OVERRUN:	/* short transfers too */
		break;
	case STORVSC_SRB_STATUS_ERROR:
	case STORVSC_SRB_STATUS_ABORTED:
	case STORVSC_SRB_STATUS_INVALID_REQUEST:
		/* The target spoke: its status and sense decide */
		if (srb->scsi_status != SAM_STAT_GOOD)
			break;
		host = status == STORVSC_SRB_STATUS_INVALID_REQUEST ?
		       DID_BAD_TARGET : DID_ERROR;
		break;
	case STORVSC_SRB_STATUS_INVALID_LUN:
	case STORVSC_SRB_STATUS_SELECTION_TIMEOUT:
		/* The LUN is gone: fail fast, and look for what vanished */
		host = DID_NO_CONNECT;
		storvsc_schedule_scan(sh, true);
		break;
	case STORVSC_SRB_STATUS_BUSY:
		host = DID_BUS_BUSY;
		break;
	case STORVSC_SRB_STATUS_TIMEOUT:
		host = DID_TIME_OUT;
		break;
	default:
		host = DID_ERROR;
		break;
	}
	set_host_byte(cmd, host);
}

/* A completion on @sc: validate it, then finish the command it names */
static void storvsc_complete(struct storvsc_host *sh, struct storvsc_chan *sc,
			     const struct vmbus_packet_desc *desc)
{
	u32 len = hvic_pkt_data_len(desc);
	const struct storvsc_packet *ans = hvic_pkt_data(desc);
	u64 id = desc->trans_id;
	const char *why = NULL;
	struct scsi_cmnd *cmd;
	struct storvsc_cmd *c;

	if (id >> 48 || !(id >> 32)) {
		why = "unknown transaction id";
		goto bad;
	}
	cmd = scsi_host_find_tag(sh->shost, (u32)id);
	if (!cmd) {
		why = "unknown transaction id";
		goto bad;
	}
	c = scsi_cmd_priv(cmd);
	if (c->gen != (u16)(id >> 32) || c->sc != sc ||
	    !atomic_read(&c->in_flight)) {
		why = "stale or duplicate transaction id";
		goto bad;
	}
	if (len < sh->pkt_size)
		why = "short answer";
	else if (ans->operation != STORVSC_OP_COMPLETE_IO)
		why = "answer is not COMPLETE_IO";
	else if (ans->srb.data_transfer_length > scsi_bufflen(cmd))
		why = "more data than asked for";
	else if (ans->srb.sense_info_length > sh->sense_size)
		why = "sense past the buffer";
	if (atomic_xchg(&c->in_flight, 0) != 1) {
		why = "duplicate transaction id";
		goto bad;
	}
	atomic64_inc(&sc->completions);
	if (why) {
		/* The host let go of the pages; the timeout fails it */
		c->answered_bad = true;
		atomic64_inc(&sh->bad_completions);
		storvsc_log(sh, STORVSC_LOG_ERROR,
			    "channel %u: dropped the answer to opcode %#x (%s): %u bytes, transfer %u of %u, sense %u\n",
			    hvic_channel_relid(sc->chan), cmd->cmnd[0], why, len,
			    len < sh->pkt_size ? 0 : ans->srb.data_transfer_length,
			    scsi_bufflen(cmd),
			    len < sh->pkt_size ? 0 : ans->srb.sense_info_length);
		return;
	}
	storvsc_set_result(sh, cmd, &ans->srb);
	scsi_done(cmd);
	return;
bad:
	atomic64_inc(&sh->bad_completions);
	storvsc_log(sh, STORVSC_LOG_ERROR,
		    "channel %u: dropped a completion (%s): id %#llx, %u bytes\n",
		    hvic_channel_relid(sc->chan), why, id, len);
}

static void storvsc_notification(struct storvsc_host *sh,
				 struct storvsc_chan *sc,
				 const struct vmbus_packet_desc *desc)
{
	const struct storvsc_packet *p = hvic_pkt_data(desc);
	u32 len = hvic_pkt_data_len(desc);

	if (len >= STORVSC_PACKET_HDR_SIZE &&
	    (p->operation == STORVSC_OP_ENUMERATE_BUS ||
	     p->operation == STORVSC_OP_REMOVE_DEVICE)) {
		atomic64_inc(&sh->notifications);
		storvsc_schedule_scan(sh,
				      p->operation == STORVSC_OP_REMOVE_DEVICE);
		return;
	}
	atomic64_inc(&sh->bad_completions);
	storvsc_log(sh, STORVSC_LOG_WARN,
		    "channel %u: dropped an unexpected packet (type %u, %u bytes, operation %u)\n",
		    hvic_channel_relid(sc->chan), desc->type, len,
		    len >= 4 ? p->operation : 0);
}

void storvsc_channel_callback(struct hvic_channel *chan, void *ctx)
{
	struct storvsc_chan *sc = ctx;
	struct storvsc_host *sh = sc->sh;
	const struct vmbus_packet_desc *desc;

	while ((desc = hvic_recv_peek(chan))) {
		if (desc->type == VMBUS_PKT_COMP) {
			if (!hvic_xact_complete(sh->xact, desc))
				storvsc_complete(sh, sc, desc);
		} else {
			storvsc_notification(sh, sc, desc);
		}
		hvic_recv_next(chan);
	}
	hvic_recv_done(chan);
}

/*
 * Fail what was sent on @sc (every channel if NULL) and not answered: only
 * once the channel is closed, so the host no longer holds the pages.
 */
struct storvsc_fail_ctx {
	struct storvsc_chan *sc;
	int host_byte;
	unsigned int n;
};

static bool storvsc_fail_one(struct scsi_cmnd *cmd, void *data)
{
	struct storvsc_fail_ctx *f = data;
	struct storvsc_cmd *c = scsi_cmd_priv(cmd);

	if (f->sc && c->sc != f->sc)
		return true;
	if (atomic_xchg(&c->in_flight, 0) != 1)
		return true;
	f->n++;
	storvsc_finish_now(cmd, f->host_byte);
	return true;
}

unsigned int storvsc_fail_inflight(struct storvsc_host *sh,
				   struct storvsc_chan *sc, int host_byte)
{
	struct storvsc_fail_ctx f = { .sc = sc, .host_byte = host_byte };

	scsi_host_busy_iter(sh->shost, storvsc_fail_one, &f);
	return f.n;
}

/*
 * REMOVE_DEVICE, or a LUN answering INVALID_LUN: ask every known LUN
 * whether it is still there (a vanished one answers INVALID_LUN or
 * SELECTION_TIMEOUT: DID_NO_CONNECT) and remove those that are not.
 * Then, and for ENUMERATE_BUS alone, scan for new ones.
 */
void storvsc_scan_work(struct work_struct *work)
{
	struct storvsc_host *sh = container_of(work, struct storvsc_host,
					       scan_work);
	struct Scsi_Host *shost = sh->shost;
	struct scsi_sense_hdr sshdr;
	struct scsi_device *sdev;
	int res;

	atomic64_inc(&sh->rescans);
	if (!atomic_xchg(&sh->sweep, 0))
		goto scan;
	shost_for_each_device(sdev, shost) {
		res = scsi_test_unit_ready(sdev, 10 * HZ, 1, &sshdr);
		if (res > 0 && host_byte(res) == DID_NO_CONNECT) {
			sdev_printk(KERN_INFO, sdev,
				    "removed: the host no longer offers it\n");
			scsi_remove_device(sdev);
		}
	}
scan:
	scsi_scan_host(shost);
}

void storvsc_schedule_scan(struct storvsc_host *sh, bool sweep)
{
	unsigned long flags;

	if (sweep)
		atomic_set(&sh->sweep, 1);
	spin_lock_irqsave(&sh->lock, flags);
	if (!sh->removing)
		queue_work(system_long_wq, &sh->scan_work);
	spin_unlock_irqrestore(&sh->lock, flags);
}
