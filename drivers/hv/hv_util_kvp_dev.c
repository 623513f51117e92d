// SPDX-License-Identifier: GPL-2.0
/*
 * hv_utils KVP: /dev/vmbus/hv_kvp, the character device through which
 * hv_kvp_daemon (Linux tools/hv, Debian's hyperv-daemons) serves the
 * host's KVP requests; the message format is struct kvpd_msg in
 * <hyperv/kvp.h>.
 *
 * The device exists while hv_utils is loaded, whether or not the host
 * offers KVP; one process may have it open.  The file holds a reference
 * on the module, so hv_utils cannot be unloaded while the daemon runs.
 * The daemon registers by writing KVPD_OP_REGISTER1 (or the legacy
 * KVPD_OP_REGISTER); it reads our answer (the same operation and the
 * version string "3.1", which it reports as IntegrationServicesVersion,
 * as Linux sends) and from then on reads a request, writes it back
 * answered, and so on.  Reads block (or fail with -EAGAIN under
 * O_NONBLOCK) until there is a message; poll() says when.  A read or
 * write shorter than the message fails with -EINVAL, an answer nobody
 * asked for too.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "hv_util_kvp.h"

/* What the daemon reports as the integration services version */
#define HV_KVP_LIC_VERSION	"3.1"

static int hv_kvpd_open(struct inode *inode, struct file *file)
{
	int ret = 0;

	mutex_lock(&hv_kvp.lock);
	if (hv_kvp.dstate != HV_KVPD_CLOSED) {
		ret = -EBUSY;
	} else {
		hv_kvp.dstate = HV_KVPD_OPEN;
		hv_kvp.out_full = false;
		hv_kvp.owed = 0;
	}
	mutex_unlock(&hv_kvp.lock);
	if (ret)
		return ret;
	return stream_open(inode, file);
}

static int hv_kvpd_release(struct inode *inode, struct file *file)
{
	mutex_lock(&hv_kvp.lock);
	hv_kvp.dstate = HV_KVPD_CLOSED;
	hv_kvp.out_full = false;
	hv_kvp.owed = 0;
	hv_kvp_daemon_gone();
	mutex_unlock(&hv_kvp.lock);
	return 0;
}

static ssize_t hv_kvpd_read(struct file *file, char __user *buf,
			    size_t count, loff_t *ppos)
{
	ssize_t ret;

	if (count < sizeof(struct kvpd_msg))
		return -EINVAL;
	for (;;) {
		mutex_lock(&hv_kvp.lock);
		if (hv_kvp.out_full)
			break;
		mutex_unlock(&hv_kvp.lock);
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_event_interruptible(hv_kvp.wq,
					     READ_ONCE(hv_kvp.out_full)))
			return -ERESTARTSYS;
	}
	if (copy_to_user(buf, hv_kvp.out, sizeof(struct kvpd_msg))) {
		ret = -EFAULT;
	} else {
		hv_kvp.out_full = false;
		if (hv_kvp.out_request) {
			hv_kvp_daemon_read();
		} else if (hv_kvp.dstate == HV_KVPD_REGISTERING) {
			/* It has our answer: requests may go out now */
			hv_kvp.dstate = HV_KVPD_READY;
			hv_kvp_kick();
		}
		ret = sizeof(struct kvpd_msg);
	}
	mutex_unlock(&hv_kvp.lock);
	return ret;
}

/* The daemon's first message: its registration */
static int hv_kvpd_register(const struct kvpd_msg *msg)
{
	u8 op = msg->hdr.operation;

	if (op != KVPD_OP_REGISTER1 && op != KVPD_OP_REGISTER) {
		pr_info("KVP: incompatible daemon (registration operation %u, expected %u)\n",
			op, KVPD_OP_REGISTER1);
		return -EINVAL;
	}
	if (op == KVPD_OP_REGISTER)
		pr_info("KVP: legacy daemon: the IP address operations are refused\n");

	hv_kvp.dversion = op;
	memset(hv_kvp.out, 0, sizeof(*hv_kvp.out));
	hv_kvp.out->hdr.operation = op;
	strscpy(hv_kvp.out->body.reg.version, HV_KVP_LIC_VERSION,
		sizeof(hv_kvp.out->body.reg.version));
	hv_kvp.out_full = true;
	hv_kvp.out_request = false;
	hv_kvp.dstate = HV_KVPD_REGISTERING;
	wake_up_interruptible(&hv_kvp.wq);
	return 0;
}

static ssize_t hv_kvpd_write(struct file *file, const char __user *buf,
			     size_t count, loff_t *ppos)
{
	struct kvpd_msg *msg;
	int ret;

	if (count < sizeof(*msg))
		return -EINVAL;
	msg = memdup_user(buf, sizeof(*msg));
	if (IS_ERR(msg))
		return PTR_ERR(msg);

	mutex_lock(&hv_kvp.lock);
	switch (hv_kvp.dstate) {
	case HV_KVPD_OPEN:
		ret = hv_kvpd_register(msg);
		break;
	case HV_KVPD_READY:
		ret = hv_kvp_daemon_answer(msg);
		break;
	default:
		ret = -EINVAL;
		break;
	}
	mutex_unlock(&hv_kvp.lock);
	kfree(msg);
	return ret ? ret : count;
}

static __poll_t hv_kvpd_poll(struct file *file, poll_table *wait)
{
	poll_wait(file, &hv_kvp.wq, wait);
	return READ_ONCE(hv_kvp.out_full) ? EPOLLIN | EPOLLRDNORM : 0;
}

static const struct file_operations hv_kvpd_fops = {
	.owner = THIS_MODULE,
	.open = hv_kvpd_open,
	.release = hv_kvpd_release,
	.read = hv_kvpd_read,
	.write = hv_kvpd_write,
	.poll = hv_kvpd_poll,
};

static struct miscdevice hv_kvpd_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vmbus/hv_kvp",
	.fops = &hv_kvpd_fops,
};

int hv_kvp_dev_init(void)
{
	int ret;

	hv_kvp.out = kzalloc(sizeof(*hv_kvp.out), GFP_KERNEL);
	if (!hv_kvp.out)
		return -ENOMEM;
	ret = misc_register(&hv_kvpd_misc);
	if (ret) {
		pr_err("KVP: cannot register /dev/%s (%d)\n",
		       hv_kvpd_misc.name, ret);
		kfree(hv_kvp.out);
		hv_kvp.out = NULL;
	}
	return ret;
}

void hv_kvp_dev_exit(void)
{
	/* No opener (it would hold the module) and no KVP channel left */
	misc_deregister(&hv_kvpd_misc);
	cancel_delayed_work_sync(&hv_kvp.work);
	kfree(hv_kvp.out);
	hv_kvp.out = NULL;
}
