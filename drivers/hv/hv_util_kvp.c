// SPDX-License-Identifier: GPL-2.0
/*
 * hv_utils KVP, the host side: requests held from the channel, handed to
 * hv_kvp_daemon one at a time, answered with what it wrote back (see
 * hv_util_kvp.h for the flow, hv_util_kvp_dev.c for the device).
 *
 * Strings are UTF-16LE on the wire and UTF-8 to the daemon.  Every size
 * from the host is checked against its field and the body against the
 * operation's layout before anything is converted; the daemon's strings
 * are read no further than their fields.  Unlike Linux:
 * - the pool is checked (the daemon indexes an array with it);
 * - a SET of a value type other than string, u32 or u64 is refused;
 * - a GET asks the daemon for the whole value and returns the value the
 *   daemon wrote (Linux reads it 4 bytes off and asks for 0 bytes);
 * - a legacy daemon (KVPD_OP_REGISTER) gets no IP address operations:
 *   they are answered with IC_KVP_E_NOT_SUPPORTED.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/nls.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "hv_util_kvp.h"

static const struct ic_version hv_kvp_versions[] = {
	{ 4, 0 },	/* WS2012 on */
	{ 3, 0 },	/* WS2008 R2 */
	{ 1, 0 },	/* WS2008 */
};

static void hv_kvp_run(struct work_struct *work);

struct hv_kvp hv_kvp = {
	.lock = __MUTEX_INITIALIZER(hv_kvp.lock),
	.incoming_lock = __SPIN_LOCK_UNLOCKED(hv_kvp.incoming_lock),
	.incoming = LIST_HEAD_INIT(hv_kvp.incoming),
	.work = __DELAYED_WORK_INITIALIZER(hv_kvp.work, hv_kvp_run, 0),
	.wq = __WAIT_QUEUE_HEAD_INITIALIZER(hv_kvp.wq),
};

void hv_kvp_kick(void)
{
	mod_delayed_work(system_wq, &hv_kvp.work, 0);
}

/* ------------------------------------------------------------------ */
/* String conversions                                                 */
/* ------------------------------------------------------------------ */

/*
 * UTF-16LE of at most @in_bytes (up to a NUL) to a NUL-terminated UTF-8
 * string in @out (@out_bytes); returns its size with the NUL.
 */
static u32 hv_kvp_to_utf8(const void *in, u32 in_bytes, u8 *out,
			  u32 out_bytes)
{
	int n = utf16s_to_utf8s(in, in_bytes / 2, UTF16_LITTLE_ENDIAN, out,
				out_bytes - 1);

	out[n] = 0;
	return n + 1;
}

/*
 * A UTF-8 string in @in (at most @in_bytes, up to a NUL) to NUL-terminated
 * UTF-16LE in @out (@out_bytes, cleared first); returns its size in bytes
 * with the NUL, or -EINVAL for invalid UTF-8.
 */
static int hv_kvp_to_utf16(const u8 *in, u32 in_bytes, void *out,
			   u32 out_bytes)
{
	int n;

	memset(out, 0, out_bytes);
	n = utf8s_to_utf16s(in, strnlen(in, in_bytes), UTF16_LITTLE_ENDIAN,
			    out, out_bytes / 2 - 1);
	return n < 0 ? n : (n + 1) * 2;
}

/* ------------------------------------------------------------------ */
/* Host -> daemon                                                     */
/* ------------------------------------------------------------------ */

static void *hv_kvp_body(struct hv_kvp_req *req, u32 *len)
{
	*len = req->len - IC_BODY_OFFSET;
	return req->pkt + IC_BODY_OFFSET;
}

/*
 * Translate the request into the daemon's message.  Returns 0, an IC
 * status to answer with at once, or -EINVAL (malformed: dropped).
 */
static s64 hv_kvp_to_daemon(struct hv_kvp_req *req, struct kvpd_msg *out)
{
	struct device *dev = &hv_kvp.u->hdev->dev;
	const struct ic_kvp_hdr *kh;
	u32 blen, need;
	void *body;
	u8 op;

	body = hv_kvp_body(req, &blen);
	kh = body;
	if (blen < sizeof(*kh))
		goto short_msg;
	op = kh->operation;
	switch (op) {
	case IC_KVP_OP_GET:
	case IC_KVP_OP_SET:
		need = sizeof(struct ic_kvp_msg_value);
		break;
	case IC_KVP_OP_DELETE:
		need = sizeof(struct ic_kvp_msg_delete);
		break;
	case IC_KVP_OP_ENUMERATE:
		need = sizeof(struct ic_kvp_msg_enumerate);
		break;
	case IC_KVP_OP_GET_IP_INFO:
	case IC_KVP_OP_SET_IP_INFO:
		if (hv_kvp.dversion != KVPD_OP_REGISTER1)
			return IC_KVP_E_NOT_SUPPORTED;
		need = sizeof(struct ic_kvp_msg_ip);
		break;
	default:
		dev_warn_ratelimited(dev, "KVP: unknown operation %u; refused\n",
				     op);
		return IC_E_FAIL;
	}
	if (blen < need)
		goto short_msg;
	if (op < IC_KVP_OP_GET_IP_INFO && kh->pool >= IC_KVP_POOL_COUNT) {
		dev_warn_ratelimited(dev, "KVP: operation %u on pool %u, there are %u; refused\n",
				     op, kh->pool, IC_KVP_POOL_COUNT);
		return IC_E_FAIL;
	}

	memset(out, 0, sizeof(*out));
	out->hdr.operation = op;
	out->hdr.pool = kh->pool;

	switch (op) {
	case IC_KVP_OP_GET:
	case IC_KVP_OP_SET: {
		const struct ic_kvp_value *in = &((struct ic_kvp_msg_value *)body)->data;
		struct ic_kvp_value *v = &out->body.value;

		if (in->key_size > IC_KVP_KEY_BYTES ||
		    in->value_size > IC_KVP_VALUE_BYTES) {
			dev_warn_ratelimited(dev, "KVP: key of %u bytes or value of %u bytes is too large; dropped\n",
					     in->key_size, in->value_size);
			return -EINVAL;
		}
		v->key_size = hv_kvp_to_utf8(in->key, in->key_size, v->key,
					     sizeof(v->key));
		v->value_type = IC_KVP_REG_SZ;
		if (op == IC_KVP_OP_GET) {
			/* the daemon copies value_size bytes of the value */
			v->value_size = sizeof(v->value);
			break;
		}
		switch (in->value_type) {
		case IC_KVP_REG_SZ:
			v->value_size = hv_kvp_to_utf8(in->value,
						       in->value_size,
						       v->value,
						       sizeof(v->value));
			break;
		case IC_KVP_REG_U32:
			v->value_size = scnprintf(v->value, sizeof(v->value),
						  "%u", in->value_u32) + 1;
			break;
		case IC_KVP_REG_U64:
			v->value_size = scnprintf(v->value, sizeof(v->value),
						  "%llu", in->value_u64) + 1;
			break;
		default:
			dev_warn_ratelimited(dev, "KVP: value type %u is not supported; refused\n",
					     in->value_type);
			return IC_E_FAIL;
		}
		break;
	}
	case IC_KVP_OP_DELETE: {
		const struct ic_kvp_msg_delete *in = body;

		if (in->key_size > IC_KVP_KEY_BYTES) {
			dev_warn_ratelimited(dev, "KVP: key of %u bytes is too large; dropped\n",
					     in->key_size);
			return -EINVAL;
		}
		out->body.del.key_size =
			hv_kvp_to_utf8(in->key, in->key_size, out->body.del.key,
				       sizeof(out->body.del.key));
		break;
	}
	case IC_KVP_OP_ENUMERATE:
		out->body.enumerate.index =
			((struct ic_kvp_msg_enumerate *)body)->index;
		break;
	default: {	/* the IP operations */
		const struct ic_kvp_ip_value *in = &((struct ic_kvp_msg_ip *)body)->ip;
		struct kvpd_ip_value *ip = &out->body.ip;

		hv_kvp_to_utf8(in->adapter_id, sizeof(in->adapter_id),
			       ip->adapter_id, sizeof(ip->adapter_id));
		ip->addr_family = in->addr_family;
		if (op == IC_KVP_OP_GET_IP_INFO)
			break;
		ip->dhcp_enabled = in->dhcp_enabled;
		hv_kvp_to_utf8(in->ip_addr, sizeof(in->ip_addr), ip->ip_addr,
			       sizeof(ip->ip_addr));
		hv_kvp_to_utf8(in->sub_net, sizeof(in->sub_net), ip->sub_net,
			       sizeof(ip->sub_net));
		hv_kvp_to_utf8(in->gate_way, sizeof(in->gate_way),
			       ip->gate_way, sizeof(ip->gate_way));
		hv_kvp_to_utf8(in->dns_addr, sizeof(in->dns_addr),
			       ip->dns_addr, sizeof(ip->dns_addr));
		break;
	}
	}
	return 0;

short_msg:
	dev_warn_ratelimited(dev, "KVP: request of %u bytes is too short for its operation; dropped\n",
			     blen);
	return -EINVAL;
}

/* ------------------------------------------------------------------ */
/* Daemon -> host                                                     */
/* ------------------------------------------------------------------ */

/* Fill the answer to @req in place from the daemon's @msg */
static u32 hv_kvp_from_daemon(struct hv_kvp_req *req,
			      const struct kvpd_msg *msg)
{
	const struct ic_kvp_value *dv;
	struct ic_kvp_value *hv;
	int klen = 0, vlen;
	u32 blen;
	void *body;

	body = hv_kvp_body(req, &blen);
	switch (((struct ic_kvp_hdr *)body)->operation) {
	case IC_KVP_OP_GET:
		dv = &msg->body.value;
		hv = &((struct ic_kvp_msg_value *)body)->data;
		break;
	case IC_KVP_OP_ENUMERATE:
		dv = &msg->body.enumerate.data;
		hv = &((struct ic_kvp_msg_enumerate *)body)->data;
		klen = hv_kvp_to_utf16(dv->key, sizeof(dv->key), hv->key,
				       sizeof(hv->key));
		if (klen < 0)
			return IC_E_FAIL;
		hv->key_size = klen;
		break;
	case IC_KVP_OP_GET_IP_INFO: {
		const struct kvpd_ip_value *d = &msg->body.ip;
		struct ic_kvp_ip_value *h = &((struct ic_kvp_msg_ip *)body)->ip;

		if (hv_kvp_to_utf16(d->adapter_id, sizeof(d->adapter_id),
				    h->adapter_id, sizeof(h->adapter_id)) < 0 ||
		    hv_kvp_to_utf16(d->ip_addr, sizeof(d->ip_addr),
				    h->ip_addr, sizeof(h->ip_addr)) < 0 ||
		    hv_kvp_to_utf16(d->sub_net, sizeof(d->sub_net),
				    h->sub_net, sizeof(h->sub_net)) < 0 ||
		    hv_kvp_to_utf16(d->gate_way, sizeof(d->gate_way),
				    h->gate_way, sizeof(h->gate_way)) < 0 ||
		    hv_kvp_to_utf16(d->dns_addr, sizeof(d->dns_addr),
				    h->dns_addr, sizeof(h->dns_addr)) < 0)
			return IC_E_FAIL;
		h->addr_family = d->addr_family;
		h->dhcp_enabled = d->dhcp_enabled;
		return IC_S_OK;
	}
	default:	/* SET, DELETE, SET_IP_INFO: the status is the answer */
		return IC_S_OK;
	}

	vlen = hv_kvp_to_utf16(dv->value, sizeof(dv->value), hv->value,
			       sizeof(hv->value));
	if (vlen < 0)
		return IC_E_FAIL;
	hv->value_size = vlen;
	hv->value_type = IC_KVP_REG_SZ;
	return IC_S_OK;
}

/* ------------------------------------------------------------------ */
/* Serving requests                                                   */
/* ------------------------------------------------------------------ */

/* Answer hv_kvp.cur with @status and let it go (lock held) */
static void hv_kvp_finish(u32 status)
{
	struct hv_kvp_req *req = hv_kvp.cur;

	if (hv_kvp.cur_state == HV_KVP_REQ_POSTED && hv_kvp.out_request)
		hv_kvp.out_full = false;	/* withdrawn before it was read */
	hv_util_hdr(req->pkt)->status = status;
	hv_util_answer(hv_kvp.u, req->pkt, req->len, req->trans_id, true);
	hv_kvp.cur = NULL;
	kfree(req);
}

static void hv_kvp_drop_cur(void)
{
	if (hv_kvp.cur_state == HV_KVP_REQ_POSTED && hv_kvp.out_request)
		hv_kvp.out_full = false;
	kfree(hv_kvp.cur);
	hv_kvp.cur = NULL;
}

/*
 * Advance hv_kvp.cur (lock held).  Returns true when it is done with (the
 * next may be taken), false when it waits until *@until (jiffies).
 */
static bool hv_kvp_step(unsigned long *until)
{
	struct hv_kvp_req *req = hv_kvp.cur;
	struct ic_msg_header *hdr = hv_util_hdr(req->pkt);
	s64 ret;

	if (hdr->msgtype == IC_MSGTYPE_NEGOTIATE) {
		if (hv_kvp.dstate != HV_KVPD_READY &&
		    time_before(jiffies, hv_kvp.nego_deadline)) {
			*until = hv_kvp.nego_deadline;
			return false;
		}
		if (hv_util_negotiate(hv_kvp.u, req->pkt, req->len))
			hv_util_answer(hv_kvp.u, req->pkt, req->len,
				       req->trans_id, true);
		hv_kvp_drop_cur();
		return true;
	}

	if (!time_before(jiffies, req->deadline)) {
		if (hv_kvp.cur_state != HV_KVP_REQ_WAITING)
			dev_warn_ratelimited(&hv_kvp.u->hdev->dev,
					     "KVP: hv_kvp_daemon did not answer within %u s; the host's request failed\n",
					     HV_KVP_TIMEOUT / HZ);
		hv_kvp_finish(IC_E_FAIL);
		return true;
	}
	*until = req->deadline;
	if (hv_kvp.cur_state != HV_KVP_REQ_WAITING ||
	    hv_kvp.dstate != HV_KVPD_READY || hv_kvp.out_full)
		return false;

	ret = hv_kvp_to_daemon(req, hv_kvp.out);
	if (ret < 0) {
		hv_kvp_drop_cur();
		return true;
	}
	if (ret) {
		hv_kvp_finish(ret);
		return true;
	}
	hv_kvp.out_full = true;
	hv_kvp.out_request = true;
	hv_kvp.cur_state = HV_KVP_REQ_POSTED;
	wake_up_interruptible(&hv_kvp.wq);
	return false;
}

static struct hv_kvp_req *hv_kvp_pop(void)
{
	struct hv_kvp_req *req;

	spin_lock_bh(&hv_kvp.incoming_lock);
	req = list_first_entry_or_null(&hv_kvp.incoming, struct hv_kvp_req,
				       node);
	if (req) {
		list_del(&req->node);
		hv_kvp.nincoming--;
	}
	spin_unlock_bh(&hv_kvp.incoming_lock);
	return req;
}

static void hv_kvp_run(struct work_struct *work)
{
	unsigned long until;

	mutex_lock(&hv_kvp.lock);
	while (hv_kvp.u) {
		if (!hv_kvp.cur) {
			hv_kvp.cur = hv_kvp_pop();
			if (!hv_kvp.cur)
				break;
			hv_kvp.cur_state = HV_KVP_REQ_WAITING;
		}
		if (!hv_kvp_step(&until)) {
			/* a kick in the meantime runs it sooner */
			mod_delayed_work(system_wq, &hv_kvp.work,
					 time_after(until, jiffies) ?
					 until - jiffies : 0);
			break;
		}
	}
	mutex_unlock(&hv_kvp.lock);
}

void hv_kvp_daemon_read(void)
{
	hv_kvp.owed++;
	if (hv_kvp.cur && hv_kvp.cur_state == HV_KVP_REQ_POSTED)
		hv_kvp.cur_state = HV_KVP_REQ_READ;
}

int hv_kvp_daemon_answer(const struct kvpd_msg *msg)
{
	u32 status;

	if (!hv_kvp.owed)
		return -EINVAL;		/* nothing was asked */
	hv_kvp.owed--;
	/* Late: the request timed out, or its channel went away */
	if (!hv_kvp.cur || hv_kvp.cur_state != HV_KVP_REQ_READ)
		return 0;

	if (hv_kvp.dversion == KVPD_OP_REGISTER1)
		status = msg->error;
	else	/* legacy: an empty key says "no such key" */
		status = msg->body.enumerate.data.key[0] ?
			 IC_S_OK : IC_KVP_S_CONT;
	if (status == IC_S_OK)
		status = hv_kvp_from_daemon(hv_kvp.cur, msg);
	hv_kvp_finish(status);
	hv_kvp_kick();
	return 0;
}

void hv_kvp_daemon_gone(void)
{
	if (!hv_kvp.cur || hv_kvp.cur_state == HV_KVP_REQ_WAITING)
		return;
	if (hv_kvp.cur_state == HV_KVP_REQ_READ) {
		/* It may have died of this request: do not try it again */
		hv_kvp_finish(IC_E_FAIL);
		hv_kvp_kick();
	} else {
		/* Posted, never read: the next daemon gets it */
		hv_kvp.cur_state = HV_KVP_REQ_WAITING;
	}
}

/* ------------------------------------------------------------------ */
/* The service                                                        */
/* ------------------------------------------------------------------ */

/* Channel callback: keep a copy of the request for the work */
static bool hv_kvp_hold(struct hv_util_dev *u, const void *pkt, u32 len,
			u64 trans_id)
{
	struct hv_kvp_req *req;

	spin_lock(&hv_kvp.incoming_lock);
	if (hv_kvp.nincoming >= HV_KVP_MAX_HELD) {
		spin_unlock(&hv_kvp.incoming_lock);
		dev_warn_ratelimited(&u->hdev->dev,
				     "KVP: %u requests already wait; the host should send one at a time; dropped\n",
				     HV_KVP_MAX_HELD);
		return false;
	}
	hv_kvp.nincoming++;
	spin_unlock(&hv_kvp.incoming_lock);

	req = kmalloc(struct_size(req, pkt, len), GFP_ATOMIC);
	if (!req) {
		spin_lock(&hv_kvp.incoming_lock);
		hv_kvp.nincoming--;
		spin_unlock(&hv_kvp.incoming_lock);
		return false;
	}
	req->deadline = jiffies + HV_KVP_TIMEOUT;
	req->trans_id = trans_id;
	req->len = len;
	memcpy(req->pkt, pkt, len);

	spin_lock(&hv_kvp.incoming_lock);
	list_add_tail(&req->node, &hv_kvp.incoming);
	spin_unlock(&hv_kvp.incoming_lock);
	hv_kvp_kick();
	return true;
}

static enum hv_util_verdict hv_kvp_handle(struct hv_util_dev *u,
					  struct ic_msg_header *hdr,
					  void *body, u32 body_len,
					  u64 trans_id)
{
	if (hv_kvp_hold(u, u->buf, body_len + IC_BODY_OFFSET, trans_id))
		return HV_UTIL_KEPT;
	hdr->status = IC_E_FAIL;
	return HV_UTIL_ANSWER;
}

static int hv_kvp_init(struct hv_util_dev *u)
{
	int ret = 0;

	mutex_lock(&hv_kvp.lock);
	if (hv_kvp.u) {
		dev_warn(&u->hdev->dev,
			 "KVP: %s already serves KVP; only one KVP device is supported\n",
			 dev_name(&hv_kvp.u->hdev->dev));
		ret = -EBUSY;
	} else {
		hv_kvp.u = u;
		hv_kvp.nego_deadline = jiffies + HV_KVP_NEGO_WAIT;
	}
	mutex_unlock(&hv_kvp.lock);
	return ret;
}

/* The channel is closed: forget its requests, unanswered */
static void hv_kvp_exit(struct hv_util_dev *u)
{
	struct hv_kvp_req *req, *tmp;
	LIST_HEAD(gone);

	mutex_lock(&hv_kvp.lock);
	if (hv_kvp.u != u) {
		mutex_unlock(&hv_kvp.lock);
		return;
	}
	if (hv_kvp.cur)
		hv_kvp_drop_cur();
	spin_lock_bh(&hv_kvp.incoming_lock);
	list_splice_init(&hv_kvp.incoming, &gone);
	hv_kvp.nincoming = 0;
	spin_unlock_bh(&hv_kvp.incoming_lock);
	hv_kvp.u = NULL;
	mutex_unlock(&hv_kvp.lock);

	list_for_each_entry_safe(req, tmp, &gone, node)
		kfree(req);
	/* It finds no channel if it runs again (a daemon's kick) */
	cancel_delayed_work_sync(&hv_kvp.work);
}

const struct hv_util_service hv_util_kvp = {
	.name = "KVP",
	.msg_type = IC_MSGTYPE_KVPEXCHANGE,
	.versions = hv_kvp_versions,
	.nversions = ARRAY_SIZE(hv_kvp_versions),
	.init = hv_kvp_init,
	.exit = hv_kvp_exit,
	/* not held (no memory, too many): answered at once, no daemon wait */
	.hold_negotiate = hv_kvp_hold,
	.handle = hv_kvp_handle,
};
