// SPDX-License-Identifier: GPL-2.0
/*
 * hv_utils: integration services (heartbeat, shutdown, time sync, KVP) on
 * hv_vmbus.  This file is the framework: the service table, the driver,
 * the channel callback with its checks, the version negotiation and the
 * answer.  Each service is a file of its own (hv_util_*.c).
 *
 * Every packet is checked before anything in it is used: the payload must
 * hold the pipe header and the IC header, the pipe header's size must fit
 * the payload and hold the IC message, the IC header's size must fit what
 * the pipe header announced, and a NEGOTIATE's version counts must fit the
 * packet.  A packet that fails is logged (ratelimited) and dropped; the
 * host then gives up on it by its own timeout.  A well-formed message of a
 * type the service does not know is answered with IC_E_FAIL.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "hv_util.h"

/* Framework versions, newest first (Linux's list: 3.0, then WS2008's) */
static const struct ic_version hv_util_fw_versions[] = {
	{ 3, 0 },
	{ 1, 0 },
};

/* ------------------------------------------------------------------ */
/* Negotiation and answers                                            */
/* ------------------------------------------------------------------ */

/* The first of @ours (newest first) that @theirs lists */
static bool hv_util_pick(const struct ic_version *ours, unsigned int nours,
			 const struct ic_version *theirs,
			 unsigned int ntheirs, struct ic_version *chosen)
{
	unsigned int i, j;

	for (i = 0; i < nours; i++) {
		for (j = 0; j < ntheirs; j++) {
			if (theirs[j].major == ours[i].major &&
			    theirs[j].minor == ours[i].minor) {
				*chosen = ours[i];
				return true;
			}
		}
	}
	return false;
}

bool hv_util_negotiate(struct hv_util_dev *u, void *pkt, u32 len)
{
	const struct hv_util_service *srv = u->srv;
	struct ic_msg_header *hdr = hv_util_hdr(pkt);
	struct ic_negotiate *neg = (void *)((u8 *)pkt + IC_BODY_OFFSET);
	u32 avail = len - IC_BODY_OFFSET;
	struct ic_version fw, msg;
	unsigned int nfw, nmsg;

	if (avail < sizeof(*neg)) {
		dev_warn_ratelimited(&u->hdev->dev,
				     "%s: version offer of %u bytes is truncated; dropped\n",
				     srv->name, avail);
		return false;
	}
	nfw = neg->frame_count;
	nmsg = neg->msg_count;
	if (nfw + nmsg > (avail - sizeof(*neg)) / sizeof(struct ic_version)) {
		dev_warn_ratelimited(&u->hdev->dev,
				     "%s: version offer lists %u framework and %u message versions, its %u bytes hold %zu; dropped\n",
				     srv->name, nfw, nmsg, avail,
				     (avail - sizeof(*neg)) /
				     sizeof(struct ic_version));
		return false;
	}

	if (!hv_util_pick(hv_util_fw_versions,
			  ARRAY_SIZE(hv_util_fw_versions), neg->versions, nfw,
			  &fw) ||
	    !hv_util_pick(srv->versions, srv->nversions,
			  neg->versions + nfw, nmsg, &msg)) {
		/* Refuse: no versions (Linux answers the same way) */
		neg->frame_count = 0;
		neg->msg_count = 0;
		hdr->msgsize = sizeof(*neg);
		WRITE_ONCE(u->negotiated, false);
		dev_warn(&u->hdev->dev,
			 "%s: no IC version in common with the host (%u framework, %u message versions offered); refused\n",
			 srv->name, nfw, nmsg);
		return true;
	}

	/* nfw >= 1 and nmsg >= 1: the packet has room for both answers */
	neg->frame_count = 1;
	neg->msg_count = 1;
	neg->versions[0] = fw;
	neg->versions[1] = msg;
	hdr->msgsize = sizeof(*neg) + 2 * sizeof(struct ic_version);
	u->fw_version = fw;
	u->msg_version = msg;
	/* the versions are visible before the flag that says they are set */
	smp_store_release(&u->negotiated, true);
	pr_info("%s IC version %u.%u\n", srv->name, msg.major, msg.minor);
	return true;
}

int hv_util_answer(struct hv_util_dev *u, void *pkt, u32 len, u64 trans_id,
		   bool may_sleep)
{
	struct hvic_pkt p = {
		.type = VMBUS_PKT_DATA_INBAND,
		.trans_id = trans_id,
		.data = pkt,
		.data_len = len,
	};
	int ret;

	hv_util_hdr(pkt)->flags = IC_FLAG_TRANSACTION | IC_FLAG_RESPONSE;
	if (may_sleep)
		ret = hvic_send_wait(u->chan, &p, HZ);
	else
		ret = hvic_send(u->chan, &p);
	if (ret && ret != -ENODEV)
		dev_warn_ratelimited(&u->hdev->dev,
				     "%s: answer of %u bytes not sent (%d)\n",
				     u->srv->name, len, ret);
	return ret;
}

/* ------------------------------------------------------------------ */
/* The channel callback                                               */
/* ------------------------------------------------------------------ */

/* Check the headers of the @len-byte packet in u->buf; false: drop it */
static bool hv_util_check(struct hv_util_dev *u, u32 len)
{
	const struct ic_pipe_header *pipe = (const void *)u->buf;
	const struct ic_msg_header *hdr = hv_util_hdr(u->buf);

	if (len < IC_BODY_OFFSET) {
		dev_warn_ratelimited(&u->hdev->dev,
				     "%s: packet of %u bytes cannot hold the IC headers (%zu); dropped\n",
				     u->srv->name, len, IC_BODY_OFFSET);
		return false;
	}
	if (pipe->msgsize > len - sizeof(*pipe) ||
	    pipe->msgsize < sizeof(*hdr)) {
		dev_warn_ratelimited(&u->hdev->dev,
				     "%s: pipe header announces %u bytes, the packet has %zu after it; dropped\n",
				     u->srv->name, pipe->msgsize,
				     len - sizeof(*pipe));
		return false;
	}
	if (hdr->msgsize > pipe->msgsize - sizeof(*hdr)) {
		dev_warn_ratelimited(&u->hdev->dev,
				     "%s: IC message of type %u announces %u bytes, the packet has %zu; dropped\n",
				     u->srv->name, hdr->msgtype, hdr->msgsize,
				     pipe->msgsize - sizeof(*hdr));
		return false;
	}
	return true;
}

static bool hv_util_negotiated(struct hv_util_dev *u)
{
	/* Pairs with the smp_store_release() in hv_util_negotiate() */
	return smp_load_acquire(&u->negotiated);
}

static void hv_util_process(struct hv_util_dev *u, u32 len, u64 trans_id)
{
	const struct hv_util_service *srv = u->srv;
	struct ic_msg_header *hdr = hv_util_hdr(u->buf);

	if (!hv_util_check(u, len))
		return;

	if (hdr->msgtype == IC_MSGTYPE_NEGOTIATE) {
		if (srv->hold_negotiate &&
		    srv->hold_negotiate(u, u->buf, len, trans_id))
			return;
		if (!hv_util_negotiate(u, u->buf, len))
			return;
	} else if (hdr->msgtype != srv->msg_type) {
		dev_warn_ratelimited(&u->hdev->dev,
				     "%s: message type %u is not this service's (%u); answered with a failure\n",
				     srv->name, hdr->msgtype, srv->msg_type);
		hdr->status = IC_E_FAIL;
	} else if (!hv_util_negotiated(u)) {
		dev_warn_ratelimited(&u->hdev->dev,
				     "%s: message of type %u before a version was agreed; answered with a failure\n",
				     srv->name, hdr->msgtype);
		hdr->status = IC_E_FAIL;
	} else {
		switch (srv->handle(u, hdr, u->buf + IC_BODY_OFFSET,
				    len - IC_BODY_OFFSET, trans_id)) {
		case HV_UTIL_ANSWER:
			break;
		case HV_UTIL_KEPT:
		case HV_UTIL_DROP:
			return;
		}
	}
	hv_util_answer(u, u->buf, len, trans_id, false);
}

static void hv_util_callback(struct hvic_channel *chan, void *ctx)
{
	struct hv_util_dev *u = ctx;
	u64 trans_id;
	u32 len;
	int ret;

	for (;;) {
		ret = hvic_recv(chan, u->buf, HV_UTIL_BUF_BYTES, &len,
				&trans_id);
		/* Too big for any IC message: dropped (and logged) by the core */
		if (ret == -ENOBUFS)
			continue;
		if (ret) {
			if (ret != -ENODEV)
				dev_warn_ratelimited(&u->hdev->dev,
						     "%s: cannot read the channel (%d)\n",
						     u->srv->name, ret);
			return;
		}
		if (!len)
			return;
		hv_util_process(u, len, trans_id);
	}
}

/* ------------------------------------------------------------------ */
/* The driver                                                         */
/* ------------------------------------------------------------------ */

static int hv_util_probe(struct hvic_device *hdev,
			 const struct hv_vmbus_device_id *id)
{
	const struct hv_util_service *srv = (const void *)id->driver_data;
	struct hvic_channel_params params = {
		.send_ring_bytes = HV_UTIL_RING_BYTES,
		.recv_ring_bytes = HV_UTIL_RING_BYTES,
		.max_pkt_bytes = sizeof(struct vmbus_packet_desc) +
				 HV_UTIL_BUF_BYTES,
		.callback = hv_util_callback,
	};
	struct hv_util_dev *u;
	int ret;

	u = kzalloc(sizeof(*u), GFP_KERNEL);
	if (!u)
		return -ENOMEM;
	u->buf = kzalloc(HV_UTIL_BUF_BYTES, GFP_KERNEL);
	if (!u->buf) {
		ret = -ENOMEM;
		goto free;
	}
	u->srv = srv;
	u->hdev = hdev;
	u->chan = hdev->channel;
	params.ctx = u;

	if (srv->init) {
		ret = srv->init(u);
		if (ret)
			goto free;
	}
	hvic_set_drvdata(hdev, u);
	ret = hvic_channel_open(u->chan, &params);
	if (ret) {
		dev_err(&hdev->dev, "%s: cannot open the channel (%d)\n",
			srv->name, ret);
		goto exit;
	}
	return 0;

exit:
	hvic_set_drvdata(hdev, NULL);
	if (srv->exit)
		srv->exit(u);
free:
	kfree(u->buf);
	kfree(u);
	return ret;
}

static void hv_util_remove(struct hvic_device *hdev)
{
	struct hv_util_dev *u = hvic_get_drvdata(hdev);

	/* No callback runs after this: then the service's work can go */
	hvic_channel_close(u->chan);
	if (u->srv->exit)
		u->srv->exit(u);
	hvic_set_drvdata(hdev, NULL);
	kfree(u->buf);
	kfree(u);
}

static const struct hv_vmbus_device_id hv_util_ids[] = {
	{ .guid = IC_SHUTDOWN_GUID,
	  .driver_data = (kernel_ulong_t)&hv_util_shutdown },
	{ .guid = IC_TIMESYNC_GUID,
	  .driver_data = (kernel_ulong_t)&hv_util_timesync },
	{ .guid = IC_HEARTBEAT_GUID,
	  .driver_data = (kernel_ulong_t)&hv_util_heartbeat },
	{ .guid = IC_KVP_GUID,
	  .driver_data = (kernel_ulong_t)&hv_util_kvp },
	{ }
};
MODULE_DEVICE_TABLE(vmbus, hv_util_ids);

static struct hvic_driver hv_util_driver = {
	.name = "hv_utils",
	.id_table = hv_util_ids,
	.probe = hv_util_probe,
	.remove = hv_util_remove,
	/* The channels open side by side (module init still waits for all) */
	.driver = {
		.probe_type = PROBE_PREFER_ASYNCHRONOUS,
	},
};

static int __init hv_util_init(void)
{
	int ret;

	ret = hv_kvp_dev_init();
	if (ret)
		return ret;
	ret = hvic_driver_register(&hv_util_driver);
	if (ret)
		hv_kvp_dev_exit();
	return ret;
}

static void __exit hv_util_exit(void)
{
	/* Every device is removed (channels closed) before the KVP device */
	hvic_driver_unregister(&hv_util_driver);
	hv_kvp_dev_exit();
}

module_init(hv_util_init);
module_exit(hv_util_exit);

HVIC_IMPORT_NS();
MODULE_DESCRIPTION("Hyper-V integration services: heartbeat, shutdown, time sync, KVP (hyperv-ic)");
MODULE_LICENSE("GPL");
