/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hv_utils KVP: state shared by the host side (hv_util_kvp.c) and the
 * daemon's character device (hv_util_kvp_dev.c).  There is one of each:
 * one KVP channel is served (a second KVP device is refused) and one
 * daemon may have /dev/vmbus/hv_kvp open.
 *
 * Host requests, NEGOTIATE included, are copied out of the ring by the
 * channel callback onto @incoming and served one at a time, in order, by
 * @work: the negotiation waits for the daemon to register (at most
 * HV_KVP_NEGO_WAIT after the channel opened, as Linux does, so that no
 * request of a host that wants answers right away is lost), a request
 * goes to the daemon when it is registered and answered when the daemon
 * writes it back.  A request not answered HV_KVP_TIMEOUT after it arrived
 * (no daemon, or a daemon that does not answer) is answered with
 * IC_E_FAIL.
 */
#ifndef _HV_IC_HV_UTIL_KVP_H
#define _HV_IC_HV_UTIL_KVP_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <hyperv/kvp.h>

#include "hv_util.h"

#define HV_KVP_NEGO_WAIT	(55 * HZ)
#define HV_KVP_TIMEOUT		(30 * HZ)
/* Requests held at once; the host should have one outstanding */
#define HV_KVP_MAX_HELD		4

/* A host request held until it is answered */
struct hv_kvp_req {
	struct list_head node;
	unsigned long deadline;		/* jiffies */
	u64 trans_id;
	u32 len;
	u8 pkt[];			/* pipe header, IC header, body */
};

enum hv_kvp_req_state {
	HV_KVP_REQ_WAITING,		/* for the daemon */
	HV_KVP_REQ_POSTED,		/* in the daemon's read slot */
	HV_KVP_REQ_READ,		/* the daemon has it */
};

enum hv_kvpd_state {
	HV_KVPD_CLOSED,
	HV_KVPD_OPEN,			/* opened, not registered */
	HV_KVPD_REGISTERING,		/* our answer waits to be read */
	HV_KVPD_READY,
};

struct hv_kvp {
	struct mutex lock;		/* everything but @incoming */

	/* The host side */
	struct hv_util_dev *u;		/* the KVP channel, NULL if none */
	unsigned long nego_deadline;
	spinlock_t incoming_lock;	/* @incoming, @nincoming */
	struct list_head incoming;	/* held requests, oldest first */
	unsigned int nincoming;
	struct hv_kvp_req *cur;		/* taken off @incoming, being served */
	enum hv_kvp_req_state cur_state;
	struct delayed_work work;

	/* The daemon */
	enum hv_kvpd_state dstate;
	u8 dversion;			/* KVPD_OP_REGISTER or _REGISTER1 */
	unsigned int owed;		/* requests it read and did not answer */
	struct kvpd_msg *out;		/* what it reads next */
	bool out_full;
	bool out_request;		/* @out is a host request */
	wait_queue_head_t wq;		/* @out_full became true */
};

extern struct hv_kvp hv_kvp;

/* Run the work now (any context) */
void hv_kvp_kick(void);

/* With hv_kvp.lock held: the daemon read @out / answered / went away */
void hv_kvp_daemon_read(void);
int hv_kvp_daemon_answer(const struct kvpd_msg *msg);
void hv_kvp_daemon_gone(void);

#endif /* _HV_IC_HV_UTIL_KVP_H */
