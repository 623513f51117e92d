// SPDX-License-Identifier: GPL-2.0
/*
 * hv_utils heartbeat: the host sends a sequence number every few seconds
 * and counts the guest alive while it comes back incremented by one.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>

#include "hv_util.h"

static const struct ic_version hv_heartbeat_versions[] = {
	{ 3, 0 },
	{ 1, 0 },
};

static enum hv_util_verdict hv_heartbeat_handle(struct hv_util_dev *u,
						struct ic_msg_header *hdr,
						void *body, u32 body_len,
						u64 trans_id)
{
	struct ic_heartbeat *hb = body;

	/* The reserved words may be missing: only the sequence counts */
	if (body_len < sizeof(hb->seq_num)) {
		dev_warn_ratelimited(&u->hdev->dev,
				     "Heartbeat: message of %u bytes has no sequence number; dropped\n",
				     body_len);
		return HV_UTIL_DROP;
	}
	hb->seq_num++;
	hdr->status = IC_S_OK;
	return HV_UTIL_ANSWER;
}

const struct hv_util_service hv_util_heartbeat = {
	.name = "Heartbeat",
	.msg_type = IC_MSGTYPE_HEARTBEAT,
	.versions = hv_heartbeat_versions,
	.nversions = ARRAY_SIZE(hv_heartbeat_versions),
	.handle = hv_heartbeat_handle,
};
