// SPDX-License-Identifier: GPL-2.0
/*
 * hv_utils shutdown: the host asks for a shutdown (flags 0), a restart
 * (flag 2, message version 3.1 on) or hibernation (flag 4, 3.2 on), each
 * optionally "forced" (flag 1).  Shutdown and restart are accepted and
 * done the orderly way, /sbin/poweroff or /sbin/reboot run by the kernel
 * (orderly_poweroff(), orderly_reboot()) from a work item once the answer
 * is on its way; the force flag changes nothing (Linux does the same).
 * Hibernation is refused: this driver cannot resume its channels.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/reboot.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "hv_util.h"

static const struct ic_version hv_shutdown_versions[] = {
	{ 3, 2 },
	{ 3, 1 },
	{ 3, 0 },
	{ 1, 0 },
};

struct hv_shutdown {
	struct work_struct work;
	bool restart;
};

static void hv_shutdown_work(struct work_struct *work)
{
	struct hv_shutdown *sd = container_of(work, struct hv_shutdown, work);

	if (sd->restart)
		orderly_reboot();
	else
		orderly_poweroff(true);
}

static enum hv_util_verdict hv_shutdown_handle(struct hv_util_dev *u,
					       struct ic_msg_header *hdr,
					       void *body, u32 body_len,
					       u64 trans_id)
{
	struct hv_shutdown *sd = u->priv;
	struct ic_shutdown *msg = body;

	/* The display message is not used: it need not be there */
	if (body_len < offsetofend(struct ic_shutdown, flags)) {
		dev_warn_ratelimited(&u->hdev->dev,
				     "Shutdown: message of %u bytes has no flags; dropped\n",
				     body_len);
		return HV_UTIL_DROP;
	}

	switch (msg->flags) {
	case 0:
	case IC_SHUTDOWN_FLAG_FORCE:
		pr_info("Shutdown request received - graceful shutdown initiated\n");
		sd->restart = false;
		break;
	case IC_SHUTDOWN_FLAG_RESTART:
	case IC_SHUTDOWN_FLAG_RESTART | IC_SHUTDOWN_FLAG_FORCE:
		pr_info("Restart request received - graceful restart initiated\n");
		sd->restart = true;
		break;
	case IC_SHUTDOWN_FLAG_HIBERNATE:
	case IC_SHUTDOWN_FLAG_HIBERNATE | IC_SHUTDOWN_FLAG_FORCE:
		pr_info("Hibernation request received - not supported, refused\n");
		hdr->status = IC_E_FAIL;
		return HV_UTIL_ANSWER;
	default:
		pr_info("Shutdown request received - invalid request (flags %#x), refused\n",
			msg->flags);
		hdr->status = IC_E_FAIL;
		return HV_UTIL_ANSWER;
	}
	hdr->status = IC_S_OK;
	/*
	 * Userspace takes far longer to get going than the answer takes to
	 * reach the ring, so queueing before answering is safe.
	 */
	schedule_work(&sd->work);
	return HV_UTIL_ANSWER;
}

static int hv_shutdown_init(struct hv_util_dev *u)
{
	struct hv_shutdown *sd;

	sd = kzalloc(sizeof(*sd), GFP_KERNEL);
	if (!sd)
		return -ENOMEM;
	INIT_WORK(&sd->work, hv_shutdown_work);
	u->priv = sd;
	return 0;
}

static void hv_shutdown_exit(struct hv_util_dev *u)
{
	struct hv_shutdown *sd = u->priv;

	cancel_work_sync(&sd->work);
	kfree(sd);
}

const struct hv_util_service hv_util_shutdown = {
	.name = "Shutdown",
	.msg_type = IC_MSGTYPE_SHUTDOWN,
	.versions = hv_shutdown_versions,
	.nversions = ARRAY_SIZE(hv_shutdown_versions),
	.init = hv_shutdown_init,
	.exit = hv_shutdown_exit,
	.handle = hv_shutdown_handle,
};
