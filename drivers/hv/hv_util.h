/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hv_utils: the integration-service (IC) framework and its services.
 *
 * Every IC is one VMBus channel on which the host sends requests and the
 * guest answers each one in place: the same payload, IC header flags
 * TRANSACTION|RESPONSE, the packet's transaction id.  The framework opens
 * the channel, reads and checks every packet (pipe header, IC header,
 * sizes), answers NEGOTIATE from the service's version table, and hands
 * the service's own message type to its handler.  One table lists the
 * services (hv_util.c).
 */
#ifndef _HV_IC_HV_UTIL_H
#define _HV_IC_HV_UTIL_H

#include <linux/types.h>

#include <hvic/vmbus.h>
#include <hyperv/ic.h>

/* Payload bytes one packet may carry: a KVP IP-info message is 7456 */
#define HV_UTIL_BUF_BYTES	(2 * HV_PAGE_SIZE)
/* Ring data area each way */
#define HV_UTIL_RING_BYTES	(4 * HV_PAGE_SIZE)

struct hv_util_dev;

/* What a service's handler did with a request */
enum hv_util_verdict {
	HV_UTIL_ANSWER,		/* answer now (status set in the IC header) */
	HV_UTIL_KEPT,		/* the service copied it and answers later */
	HV_UTIL_DROP,		/* malformed: no answer */
};

struct hv_util_service {
	const char *name;		/* "Heartbeat": "<name> IC version x.y" */
	u16 msg_type;			/* enum ic_msg_type it handles */
	const struct ic_version *versions;	/* newest first */
	unsigned int nversions;
	/* before the channel opens / after it closed (process context) */
	int (*init)(struct hv_util_dev *u);
	void (*exit)(struct hv_util_dev *u);
	/*
	 * A NEGOTIATE arrived; NULL or false: the framework answers it now.
	 * true: the service kept a copy and answers it later with
	 * hv_util_negotiate() (KVP waits for its daemon).
	 */
	bool (*hold_negotiate)(struct hv_util_dev *u, const void *pkt,
			       u32 len, u64 trans_id);
	/*
	 * A message of msg_type, in the channel callback (softirq): @body is
	 * @body_len bytes of the packet after the IC header (what may be read
	 * and written in place; the IC header's msgsize is not more).
	 */
	enum hv_util_verdict (*handle)(struct hv_util_dev *u,
				       struct ic_msg_header *hdr, void *body,
				       u32 body_len, u64 trans_id);
};

struct hv_util_dev {
	const struct hv_util_service *srv;
	struct hvic_device *hdev;
	struct hvic_channel *chan;
	u8 *buf;			/* the packet in hand (callback only) */
	struct ic_version fw_version;	/* negotiated, when negotiated */
	struct ic_version msg_version;
	bool negotiated;
	void *priv;			/* the service's state */
};

/*
 * Answer NEGOTIATE in place in @pkt (@len bytes, checked by the caller
 * to hold the pipe and IC headers): choose, print "<name> IC version",
 * set the flags.  Returns false when @pkt is malformed (drop it).
 */
bool hv_util_negotiate(struct hv_util_dev *u, void *pkt, u32 len);

/*
 * Send @pkt (@len bytes: pipe header, IC header, body) back as the
 * answer to the request @trans_id, setting the IC response flags.
 * @may_sleep: wait (at most a second) for ring space if needed.
 */
int hv_util_answer(struct hv_util_dev *u, void *pkt, u32 len, u64 trans_id,
		   bool may_sleep);

/* The IC header inside a packet checked by the framework */
static inline struct ic_msg_header *hv_util_hdr(void *pkt)
{
	return (struct ic_msg_header *)((u8 *)pkt +
					sizeof(struct ic_pipe_header));
}

/* Message version at least maj.min (after negotiation) */
static inline bool hv_util_version_ge(const struct hv_util_dev *u, u16 maj,
				      u16 min)
{
	return u->msg_version.major > maj ||
	       (u->msg_version.major == maj && u->msg_version.minor >= min);
}

extern const struct hv_util_service hv_util_heartbeat;
extern const struct hv_util_service hv_util_shutdown;
extern const struct hv_util_service hv_util_timesync;
extern const struct hv_util_service hv_util_kvp;

/* KVP's character device, registered for the module's lifetime */
int hv_kvp_dev_init(void);
void hv_kvp_dev_exit(void);

#endif /* _HV_IC_HV_UTIL_H */
