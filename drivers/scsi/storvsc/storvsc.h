/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hv_storvsc internals: the controller, its channels, the per-command
 * state that lives in the SCSI command's private area (no allocation per
 * request).
 */
#ifndef _HVIC_STORVSC_H
#define _HVIC_STORVSC_H

#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <scsi/scsi_host.h>

#include <hvic/vmbus.h>
#include <hyperv/storvsc.h>

#define STORVSC_MAX_CHANNELS	64	/* primary + 63 sub-channels */
/*
 * The largest request: 1 MiB of data, not page aligned at its start,
 * is 257 pages; its range list (2 KiB) lives in the command's private
 * area.  At 512 KiB every 1 MiB read went to the host as two requests.
 */
#define STORVSC_MAX_IO_BYTES	(1024 * 1024)
#define STORVSC_MAX_PFNS	(STORVSC_MAX_IO_BYTES / PAGE_SIZE + 1)

/* Log levels of the logging= parameter */
enum {
	STORVSC_LOG_NONE = 0,
	STORVSC_LOG_ERROR = 1,
	STORVSC_LOG_WARN = 2,
	STORVSC_LOG_INFO = 3,
};

extern int storvsc_logging;

struct storvsc_host;

struct storvsc_chan {
	struct storvsc_host *sh;
	struct hvic_channel *chan;
	unsigned int index;		/* 0: primary */
	atomic64_t requests;		/* EXECUTE_SRBs sent */
	atomic64_t completions;		/* matched to a request */
	atomic64_t ring_full;		/* queuecommand said busy */
	atomic64_t kicks;		/* signals to the host for requests */
	unsigned long kick_pending;	/* bit 0: a batch left it unsignalled */
};

struct storvsc_host {
	struct hvic_device *hdev;
	struct Scsi_Host *shost;
	struct hvic_xact *xact;		/* init-time requests, resets */
	u16 version;			/* negotiated protocol */
	u32 pkt_size;			/* 48 before 5.1, then 64 */
	u32 sense_size;			/* 18 before 5.1, then 20 */
	u32 max_transfer;		/* bytes, from QUERY_PROPERTIES */
	u16 max_sub_channels;		/* the host's offer */
	u16 sub_channels_asked;

	/* I/O channels by hardware queue; NULL: use the primary */
	struct storvsc_chan __rcu *chans[STORVSC_MAX_CHANNELS];
	struct storvsc_chan primary;
	struct mutex chan_lock;		/* chans[] writers, nchans */
	unsigned int nchans;		/* open, primary included */

	struct work_struct scan_work;	/* ENUMERATE_BUS, REMOVE_DEVICE */
	spinlock_t lock;		/* removing vs scan_work */
	bool removing;			/* no scan_work: not added, or going */
	atomic_t sweep;			/* scan_work: check the known LUNs */

	atomic64_t bad_completions;	/* unknown id, malformed, duplicate */
	atomic64_t timeouts;		/* midlayer timeouts seen */
	atomic64_t notifications;	/* ENUMERATE_BUS / REMOVE_DEVICE */
	atomic64_t rescans;		/* scans run for them */
};

/* The command's private area (scsi_host_template.cmd_size) */
struct storvsc_cmd {
	struct storvsc_packet pkt;	/* the request, then the answer */
	u16 gen;			/* of this dispatch, in the id */
	atomic_t in_flight;		/* 1 from send to completion */
	bool answered_bad;		/* the host answered malformed */
	struct storvsc_chan *sc;	/* where it went */
	/* the packet's descriptor extension: range header, range, PFNs */
	struct {
		u32 reserved;
		u32 range_cnt;
		u32 byte_count;
		u32 byte_offset;
		u64 pfn[STORVSC_MAX_PFNS];
	} __packed ranges;
};

#define storvsc_log(sh, level, fmt, ...)				\
	do {								\
		if (storvsc_logging >= (level))				\
			dev_warn_ratelimited(&(sh)->hdev->dev, fmt,	\
					     ##__VA_ARGS__);		\
	} while (0)

/* storvsc_io.c */
int storvsc_init_cmd_priv(struct Scsi_Host *shost, struct scsi_cmnd *cmd);
int storvsc_queuecommand(struct Scsi_Host *shost, struct scsi_cmnd *cmd);
void storvsc_commit_rqs(struct Scsi_Host *shost, u16 hwq);
void storvsc_channel_callback(struct hvic_channel *chan, void *ctx);
void storvsc_scan_work(struct work_struct *work);
void storvsc_schedule_scan(struct storvsc_host *sh, bool sweep);
unsigned int storvsc_fail_inflight(struct storvsc_host *sh,
				   struct storvsc_chan *sc, int host_byte);

#endif /* _HVIC_STORVSC_H */
