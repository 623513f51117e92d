// SPDX-License-Identifier: GPL-2.0
/*
 * The VMBus connection: posting channel messages, version negotiation
 * (INITIATE_CONTACT from the newest version we speak down to WS2008's
 * 0.13), the interrupt page and monitor pages, signalling the host, and
 * UNLOAD when we go away so that the next load starts over.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "hyperv_vmbus.h"

struct vmbus_connection vmbus_conn;

/* Newest first: what each Hyper-V release added */
static const u32 vmbus_versions[] = {
	VMBUS_VERSION_WIN10_V5_3,	/* Windows Server 2022 */
	VMBUS_VERSION_WIN10_V5_2,	/* Windows Server 2019 */
	VMBUS_VERSION_WIN10_V5_1,
	VMBUS_VERSION_WIN10_V5,
	VMBUS_VERSION_WIN10_RS3,
	VMBUS_VERSION_WIN10,		/* Windows Server 2016 */
	VMBUS_VERSION_WIN8_1,		/* Windows Server 2012 R2 */
	VMBUS_VERSION_WIN8,		/* Windows Server 2012 */
	VMBUS_VERSION_WIN7,		/* Windows Server 2008 R2 */
	VMBUS_VERSION_WS2008,		/* Windows Server 2008 */
};

static char *max_version;
module_param(max_version, charp, 0444);
MODULE_PARM_DESC(max_version,
		 "Newest VMBus version to offer the host, \"major.minor\" (default: 5.3)");

/* How long the host has to answer INITIATE_CONTACT */
#define VMBUS_CONTACT_TIMEOUT	(5 * HZ)
#define VMBUS_UNLOAD_TIMEOUT	(5 * HZ)

int vmbus_version_parse(const char *s, u32 *version)
{
	unsigned int major, minor;

	if (sscanf(s, "%u.%u", &major, &minor) != 2 ||
	    major > 0xffff || minor > 0xffff)
		return -EINVAL;
	*version = VMBUS_MAKE_VERSION(major, minor);
	return 0;
}

/* Host statuses that mean "try again shortly" */
static bool vmbus_post_retry(u16 status)
{
	return status == HV_STATUS_INSUFFICIENT_BUFFERS ||
	       status == HV_STATUS_INSUFFICIENT_MEMORY ||
	       status == HV_STATUS_NO_RESOURCES;
}

static u16 vmbus_post_once(u32 conn_id, const void *msg, u32 len)
{
	struct hv_input_post_message *in;
	unsigned long flags;
	u64 raw;

	local_irq_save(flags);
	in = hv_hypercall_input_page();
	if (!in) {
		local_irq_restore(flags);
		return HV_STATUS_INVALID_PARTITION_STATE;
	}
	in->connection_id = conn_id;
	in->reserved = 0;
	in->message_type = VMBUS_MESSAGE_TYPE;
	in->payload_size = len;
	memcpy(in->payload, msg, len);
	raw = hv_do_hypercall(HVCALL_POST_MESSAGE, in, NULL);
	local_irq_restore(flags);
	return hv_result(raw);
}

static int vmbus_post_to(u32 conn_id, void *msg, u32 len)
{
	unsigned int tries;
	u16 status = HV_STATUS_SUCCESS;

	if (WARN_ON_ONCE(len > VMBUS_MESSAGE_MAX))
		return -EINVAL;
	/* About 2.5 s in all when the host's buffers stay full */
	for (tries = 0; tries < 50; tries++) {
		status = vmbus_post_once(conn_id, msg, len);
		if (!vmbus_post_retry(status))
			break;
		usleep_range(1000 * (tries + 1), 2000 * (tries + 1));
	}
	/* A host older than 5.0 has no connection 4: the next version is tried */
	if (status == HV_STATUS_INVALID_CONNECTION_ID &&
	    conn_id == VMBUS_MESSAGE_CONNECTION_ID_4 && !vmbus_conn.version)
		return -ECONNREFUSED;
	if (status != HV_STATUS_SUCCESS) {
		pr_err_ratelimited("posting channel message %u (%u bytes) failed: %s\n",
				   ((struct vmbus_msg_header *)msg)->msgtype, len,
				   hv_status_name(status));
		return hv_status_to_errno(status) ?: -EIO;
	}
	return 0;
}

/**
 * vmbus_post_msg() - send a channel message to the host
 * @msg: starts with struct vmbus_msg_header
 * @len: at most VMBUS_MESSAGE_MAX
 *
 * Sleeps while the host has no buffer for it.  Return: 0 or -errno.
 */
int vmbus_post_msg(void *msg, u32 len)
{
	return vmbus_post_to(READ_ONCE(vmbus_conn.msg_conn_id), msg, len);
}

/* Signal the host that @chan's outbound ring has data */
void vmbus_signal_channel(struct hvic_channel *chan)
{
	struct vmbus_monitor_page *mon = vmbus_conn.monitor[1];

	atomic64_inc(&chan->events);
	atomic64_inc(&vmbus_conn.signals);

	if (vmbus_conn.version < VMBUS_VERSION_WIN8) {
		/* The send half of the interrupt page, then event connection 2 */
		set_bit(chan->relid, (unsigned long *)((u8 *)vmbus_conn.int_page +
						       VMBUS_INT_PAGE_HALF));
	}
	if (chan->monitor_allocated) {
		set_bit(chan->monitor_id % VMBUS_MONITOR_PER_GROUP,
			(unsigned long *)&mon->trigger_group
				[chan->monitor_id / VMBUS_MONITOR_PER_GROUP].pending);
		return;
	}
	hv_do_fast_hypercall8(HVCALL_SIGNAL_EVENT, chan->sig_conn_id);
}

/* One INITIATE_CONTACT; 0 accepted, -EPROTO refused, other errors fatal */
static int vmbus_try_version(u32 version)
{
	struct vmbus_msg_initiate_contact msg = {
		.header.msgtype = VMBUS_MSG_INITIATE_CONTACT,
		.vmbus_version_requested = version,
		.target_vcpu = vmbus_conn.vp,
		.monitor_page1 = virt_to_phys(vmbus_conn.monitor[0]),
		.monitor_page2 = virt_to_phys(vmbus_conn.monitor[1]),
	};
	struct vmbus_msg_version_response *resp;
	struct vmbus_waiter *w;
	u32 conn_id = VMBUS_MESSAGE_CONNECTION_ID;
	int ret;

	if (version >= VMBUS_VERSION_WIN10_V5) {
		msg.msg_sint = HV_VMBUS_MESSAGE_SINT;
		msg.msg_vtl = 0;
		conn_id = VMBUS_MESSAGE_CONNECTION_ID_4;
	} else {
		msg.interrupt_page = virt_to_phys(vmbus_conn.int_page);
	}

	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	vmbus_waiter_init(w, VMBUS_MSG_VERSION_RESPONSE, NULL, 0, 0);
	WRITE_ONCE(vmbus_conn.msg_conn_id, conn_id);
	ret = vmbus_post_and_wait(&msg, sizeof(msg), w, VMBUS_CONTACT_TIMEOUT);
	if (ret == -ECONNREFUSED) {
		pr_debug("no connection %u: the host is older than VMBus %u.%u\n",
			 conn_id, VMBUS_VERSION_MAJOR(version),
			 VMBUS_VERSION_MINOR(version));
		ret = -EPROTO;
		goto out;
	}
	if (ret) {
		if (ret == -ETIMEDOUT)
			pr_err("no answer to INITIATE_CONTACT %u.%u within %u s\n",
			       VMBUS_VERSION_MAJOR(version),
			       VMBUS_VERSION_MINOR(version),
			       VMBUS_CONTACT_TIMEOUT / HZ);
		goto out;
	}
	if (w->len < offsetofend(struct vmbus_msg_version_response,
				 connection_state)) {
		pr_err_ratelimited("VERSION_RESPONSE too short (%u bytes)\n",
				   w->len);
		ret = -EPROTO;
		goto out;
	}
	resp = (void *)w->resp.buf;
	if (!resp->version_supported) {
		ret = -EPROTO;
		goto out;
	}
	if (version >= VMBUS_VERSION_WIN10_V5) {
		if (w->len < sizeof(*resp) ||
		    (resp->msg_conn_id != VMBUS_MESSAGE_CONNECTION_ID &&
		     resp->msg_conn_id != VMBUS_MESSAGE_CONNECTION_ID_4)) {
			pr_err("VERSION_RESPONSE %u.%u names message connection %u; using %u\n",
			       VMBUS_VERSION_MAJOR(version),
			       VMBUS_VERSION_MINOR(version),
			       w->len < sizeof(*resp) ? 0 : resp->msg_conn_id,
			       VMBUS_MESSAGE_CONNECTION_ID_4);
		} else {
			WRITE_ONCE(vmbus_conn.msg_conn_id, resp->msg_conn_id);
		}
	} else {
		WRITE_ONCE(vmbus_conn.msg_conn_id, VMBUS_MESSAGE_CONNECTION_ID);
	}
	ret = 0;
out:
	kfree(w);
	return ret;
}

static void vmbus_free_pages(void)
{
	free_page((unsigned long)vmbus_conn.int_page);
	free_page((unsigned long)vmbus_conn.monitor[0]);
	free_page((unsigned long)vmbus_conn.monitor[1]);
	vmbus_conn.int_page = NULL;
	vmbus_conn.monitor[0] = NULL;
	vmbus_conn.monitor[1] = NULL;
}

/**
 * vmbus_connect() - negotiate a version with the host
 *
 * Tries each version from the newest (or max_version) down; the host
 * answers each with version_supported 1 or 0, as Hyper-V does.
 * Return: 0 or -errno (-ECONNREFUSED: no version in common).
 */
int vmbus_connect(void)
{
	u32 cap = VMBUS_VERSION_WIN10_V5_3;
	unsigned int cpu, vector, i;
	int irq, ret = -ECONNREFUSED;

	if (max_version && vmbus_version_parse(max_version, &cap)) {
		pr_err("max_version=\"%s\" is not \"major.minor\"\n",
		       max_version);
		return -EINVAL;
	}
	if (!hv_synic_target(&cpu, &vector, &irq))
		return -ENODEV;

	vmbus_conn.cpu = cpu;
	vmbus_conn.vp = hv_vp_index(cpu);
	vmbus_conn.int_page = (void *)get_zeroed_page(GFP_KERNEL);
	vmbus_conn.monitor[0] = (void *)get_zeroed_page(GFP_KERNEL);
	vmbus_conn.monitor[1] = (void *)get_zeroed_page(GFP_KERNEL);
	if (!vmbus_conn.int_page || !vmbus_conn.monitor[0] ||
	    !vmbus_conn.monitor[1]) {
		vmbus_free_pages();
		return -ENOMEM;
	}

	for (i = 0; i < ARRAY_SIZE(vmbus_versions); i++) {
		if (vmbus_versions[i] > cap)
			continue;
		ret = vmbus_try_version(vmbus_versions[i]);
		if (!ret) {
			WRITE_ONCE(vmbus_conn.version, vmbus_versions[i]);
			break;
		}
		if (ret != -EPROTO)
			break;
		ret = -ECONNREFUSED;
	}
	if (ret) {
		pr_err("Unable to connect to host: %s\n",
		       ret == -ECONNREFUSED ? "no VMBus version in common" :
		       "no answer or error");
		/* A late answer to a contact may still make the host use them */
		if (ret == -ETIMEDOUT) {
			vmbus_conn.int_page = NULL;
			vmbus_conn.monitor[0] = NULL;
			vmbus_conn.monitor[1] = NULL;
		}
		vmbus_free_pages();
		return ret;
	}
	pr_info("Vmbus version:%u.%u\n", VMBUS_VERSION_MAJOR(vmbus_conn.version),
		VMBUS_VERSION_MINOR(vmbus_conn.version));
	return 0;
}

/* UNLOAD: the host forgets our channels and GPADLs */
void vmbus_disconnect(void)
{
	struct vmbus_msg_header msg = { .msgtype = VMBUS_MSG_UNLOAD };
	struct vmbus_waiter *w;
	int ret = -ENOMEM;

	if (!vmbus_conn.version)
		return;
	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (w) {
		vmbus_waiter_init(w, VMBUS_MSG_UNLOAD_RESPONSE, NULL, 0, 0);
		ret = vmbus_post_and_wait(&msg, sizeof(msg), w,
					  VMBUS_UNLOAD_TIMEOUT);
		kfree(w);
	}
	WRITE_ONCE(vmbus_conn.version, 0);
	/* The event tasklet reads the interrupt page */
	vmbus_sync_callbacks();
	if (ret) {
		/* The host may still write our pages: leave them to it */
		pr_warn("UNLOAD not answered (%d); the host may keep our channels until reset; leaking 3 pages\n",
			ret);
		vmbus_conn.int_page = NULL;
		vmbus_conn.monitor[0] = NULL;
		vmbus_conn.monitor[1] = NULL;
		return;
	}
	vmbus_free_pages();
}

u32 hvic_vmbus_version(void)
{
	return READ_ONCE(vmbus_conn.version);
}
HV_IC_EXPORT(hvic_vmbus_version);
