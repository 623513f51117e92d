/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hyperv-ic VMBus driver API: what hv_vmbus offers the drivers of VMBus
 * devices (hv_utils, hv_storvsc, hv_netvsc, ...).  Everything here is
 * exported in the HYPERV_IC symbol namespace; a client module says
 * HVIC_IMPORT_NS() once.
 *
 * Life of a device
 *   The host offers a channel; hv_vmbus registers a struct hvic_device on
 *   the "vmbus" bus named by its instance GUID, with a uevent
 *   MODALIAS=vmbus:<class GUID bytes in hex>.  A driver matches by class
 *   id (struct hv_vmbus_device_id table + MODULE_DEVICE_TABLE(vmbus, ...),
 *   so udev and modprobe load it).  probe() runs in process context and
 *   normally opens the channel; remove() closes it.  When the host
 *   rescinds the offer, the device is unregistered (remove() runs, then
 *   the relid is released); calls on a rescinded channel fail with
 *   -ENODEV and waits on it end.
 *
 * Channels
 *   hvic_channel_open() creates the ring buffers (one GPADL) and opens the
 *   channel; the callback then runs in softirq context on the CPU that
 *   takes VMBus interrupts, once per host signal, never concurrently with
 *   itself and never after hvic_channel_close() returned.  Packets are
 *   read with hvic_recv() (copy out) or hvic_recv_peek()/hvic_recv_next()
 *   /hvic_recv_done() (a checked private copy per packet); the host is
 *   signalled only when the protocol needs it (it was waiting for room, or
 *   the ring was empty and its interrupts are unmasked).
 *
 * Sending
 *   hvic_send() writes one packet: descriptor, optional extension (e.g.
 *   GPA ranges) and payload.  It never sleeps and returns -EAGAIN when the
 *   ring is full; hvic_send_wait() sleeps until there is room.
 *
 * Request/response
 *   struct hvic_xact matches completions to requests by a transaction id
 *   the guest chose; a reply with an unknown or stale id is logged
 *   (ratelimited) and dropped.
 */
#ifndef _HVIC_VMBUS_H
#define _HVIC_VMBUS_H

#include <linux/device.h>
#include <linux/mod_devicetable.h>
#include <linux/module.h>
#include <linux/types.h>
#include <linux/uuid.h>

#include <hyperv/vmbus.h>

#ifdef HV_IC_NS_IS_STRING
#define HVIC_IMPORT_NS()	MODULE_IMPORT_NS("HYPERV_IC")
#else
#define HVIC_IMPORT_NS()	MODULE_IMPORT_NS(HYPERV_IC)
#endif

struct hvic_channel;

/* ------------------------------------------------------------------ */
/* Devices and drivers                                                */
/* ------------------------------------------------------------------ */

struct hvic_device {
	struct device dev;
	guid_t class_id;		/* offer's interface type */
	guid_t device_id;		/* offer's instance */
	struct hvic_channel *channel;	/* the primary channel */
	struct kobject *channels_kobj;	/* hv_vmbus's: channels/ in sysfs */
};

#define to_hvic_device(d)	container_of(d, struct hvic_device, dev)

struct hvic_driver {
	const char *name;
	const struct hv_vmbus_device_id *id_table;
	int (*probe)(struct hvic_device *dev,
		     const struct hv_vmbus_device_id *id);
	void (*remove)(struct hvic_device *dev);
	void (*shutdown)(struct hvic_device *dev);
	struct device_driver driver;
};

#define to_hvic_driver(d)	container_of(d, struct hvic_driver, driver)

int __hvic_driver_register(struct hvic_driver *drv, struct module *owner,
			   const char *mod_name);
#define hvic_driver_register(drv) \
	__hvic_driver_register(drv, THIS_MODULE, KBUILD_MODNAME)
void hvic_driver_unregister(struct hvic_driver *drv);

#define module_hvic_driver(drv) \
	module_driver(drv, hvic_driver_register, hvic_driver_unregister)

static inline void *hvic_get_drvdata(struct hvic_device *dev)
{
	return dev_get_drvdata(&dev->dev);
}

static inline void hvic_set_drvdata(struct hvic_device *dev, void *data)
{
	dev_set_drvdata(&dev->dev, data);
}

/* The negotiated VMBus version (VMBUS_MAKE_VERSION), 0 if not connected */
u32 hvic_vmbus_version(void);

/* ------------------------------------------------------------------ */
/* Channels                                                           */
/* ------------------------------------------------------------------ */

typedef void (*hvic_channel_cb_t)(struct hvic_channel *chan, void *ctx);

struct hvic_channel_params {
	u32 send_ring_bytes;		/* guest->host data area, page multiple */
	u32 recv_ring_bytes;		/* host->guest data area, page multiple */
	u32 max_pkt_bytes;		/* largest packet hvic_recv_peek() takes
					 * (descriptor included); 0: 4096 */
	const void *user_data;		/* OPENCHANNEL's user data, or NULL */
	u32 user_data_len;		/* at most VMBUS_OPEN_USER_DATA_BYTES */
	hvic_channel_cb_t callback;	/* the host signalled: read the ring */
	void *ctx;			/* the callback's second argument */
};

int hvic_channel_open(struct hvic_channel *chan,
		      const struct hvic_channel_params *params);
void hvic_channel_close(struct hvic_channel *chan);

struct hvic_device *hvic_channel_device(struct hvic_channel *chan);
u32 hvic_channel_relid(const struct hvic_channel *chan);
/* 0 for the primary channel, 1... for sub-channels */
u16 hvic_channel_subchannel_index(const struct hvic_channel *chan);
/* The offer's 120 user-defined bytes */
const u8 *hvic_channel_offer_user_data(const struct hvic_channel *chan);
bool hvic_channel_rescinded(const struct hvic_channel *chan);
/* The CPU whose interrupt delivers the channel's signals */
unsigned int hvic_channel_target_cpu(const struct hvic_channel *chan);

/*
 * Sub-channels: the host offers them when the device protocol asks (e.g.
 * storvsc's CREATE_SUB_CHANNELS).  @cb runs in process context for each
 * one offered for @primary's device while set; the driver opens it there.
 * A sub-channel goes away with its rescind (the driver's @removed_cb runs
 * first, in process context, so it can close it) or with the device.
 */
void hvic_set_subchannel_callbacks(struct hvic_channel *primary,
				   void (*cb)(struct hvic_channel *sub),
				   void (*removed_cb)(struct hvic_channel *sub));
/* Up to @max open sub-channels of @primary's device (refcount not taken) */
unsigned int hvic_subchannels(struct hvic_channel *primary,
			      struct hvic_channel **subs, unsigned int max);

/* Per-channel driver data */
void hvic_channel_set_drvdata(struct hvic_channel *chan, void *data);
void *hvic_channel_get_drvdata(const struct hvic_channel *chan);

/* ------------------------------------------------------------------ */
/* Sending and receiving                                              */
/* ------------------------------------------------------------------ */

struct hvic_pkt {
	u16 type;			/* VMBUS_PKT_* */
	u16 flags;			/* VMBUS_PKT_FLAG_* */
	u64 trans_id;
	const void *ext;		/* after the descriptor: 8-byte multiple */
	u32 ext_len;
	const void *data;		/* the payload */
	u32 data_len;
};

/* One packet; -EAGAIN ring full, -ENODEV rescinded/closed, -EMSGSIZE */
int hvic_send(struct hvic_channel *chan, const struct hvic_pkt *pkt);
/* The same, sleeping (interruptibly, at most @timeout) until there is room */
int hvic_send_wait(struct hvic_channel *chan, const struct hvic_pkt *pkt,
		   unsigned long timeout);
/*
 * Batches: hvic_send_nokick() writes like hvic_send() but leaves the host
 * unsignalled, setting *@kick when it must be signalled (the ring was empty
 * before this packet); hvic_kick() then signals once for the whole batch.
 * Until that signal the host may not look at what the batch wrote.
 */
int hvic_send_nokick(struct hvic_channel *chan, const struct hvic_pkt *pkt,
		     bool *kick);
void hvic_kick(struct hvic_channel *chan);

static inline int hvic_send_inband(struct hvic_channel *chan,
				   const void *data, u32 len, u64 trans_id,
				   u16 flags)
{
	struct hvic_pkt pkt = {
		.type = VMBUS_PKT_DATA_INBAND, .flags = flags,
		.trans_id = trans_id, .data = data, .data_len = len,
	};

	return hvic_send(chan, &pkt);
}

/*
 * A GPA-direct packet: @ranges is the range list (struct vmbus_gpa_range
 * entries with their PFNs, @ranges_len bytes, @range_cnt ranges) and
 * @data the in-band payload after it; the host answers with a
 * completion carrying @trans_id.
 */
int hvic_send_gpa_direct(struct hvic_channel *chan, const void *ranges,
			 u32 ranges_len, u32 range_cnt, const void *data,
			 u32 len, u64 trans_id);

/*
 * Receiving.  hvic_recv_peek() returns the next packet (a private copy,
 * its descriptor checked: length, payload offset) or NULL when the ring
 * is empty; hvic_recv_next() consumes it; hvic_recv_done() publishes what
 * was consumed and signals the host if it waits for room.  Only the
 * channel's callback (or the owner with the callback quiet) reads.
 */
const struct vmbus_packet_desc *hvic_recv_peek(struct hvic_channel *chan);
/*
 * A callback that leaves packets in the ring (it could not take them
 * now) is not called again by itself: the host does not signal a ring
 * that is not empty.  hvic_channel_schedule() runs the callback again.
 */
void hvic_channel_schedule(struct hvic_channel *chan);
void hvic_recv_next(struct hvic_channel *chan);
void hvic_recv_done(struct hvic_channel *chan);

/* The payload of a packet from hvic_recv_peek() and its length */
static inline const void *hvic_pkt_data(const struct vmbus_packet_desc *desc)
{
	return (const u8 *)desc + desc->offset8 * 8;
}

static inline u32 hvic_pkt_data_len(const struct vmbus_packet_desc *desc)
{
	return (desc->len8 - desc->offset8) * 8;
}

/*
 * Copy the next packet's payload into @buf: 0 with *@len = 0 when the
 * ring is empty; -ENOBUFS (the packet dropped and logged, *@len its
 * payload size) when @buf is too small.
 */
int hvic_recv(struct hvic_channel *chan, void *buf, u32 buflen, u32 *len,
	      u64 *trans_id);

/* ------------------------------------------------------------------ */
/* GPADLs: guest memory the host may access                           */
/* ------------------------------------------------------------------ */

struct hvic_gpadl {
	u32 handle;
	u32 size;
};

/* @buf: page aligned, vmalloc or direct-mapped; @size: page multiple */
int hvic_gpadl_create(struct hvic_channel *chan, void *buf, u32 size,
		      struct hvic_gpadl *gpadl);
int hvic_gpadl_teardown(struct hvic_channel *chan, struct hvic_gpadl *gpadl);

/* ------------------------------------------------------------------ */
/* Request/response                                                   */
/* ------------------------------------------------------------------ */

struct hvic_xact;

/*
 * @slots requests may be outstanding at once, each answer at most
 * @resp_max bytes.  Transaction ids carry HVIC_XACT_ID_TAG so that a
 * driver can tell them from its own.
 */
#define HVIC_XACT_ID_TAG	0x7868000000000000ULL
#define HVIC_XACT_ID_TAG_MASK	0xffff000000000000ULL

struct hvic_xact *hvic_xact_create(struct hvic_channel *chan,
				   unsigned int slots, u32 resp_max);
void hvic_xact_destroy(struct hvic_xact *xact);

/*
 * Send @pkt (its trans_id is set here, COMPLETION_REQUESTED added) and
 * wait at most @timeout for the answer; its payload is copied to @resp
 * (at most @resp_len bytes).  Returns the answer's length, -ETIMEDOUT,
 * -ENODEV (rescinded, or hvic_xact_cancel()), or hvic_send()'s error.
 */
int hvic_xact_exec(struct hvic_xact *xact, struct hvic_pkt *pkt,
		   void *resp, u32 resp_len, unsigned long timeout);

/*
 * From the channel callback, for a packet that may answer a request:
 * true if it was ours (consumed), false if @desc is not a completion of
 * this helper; a completion with an unknown or stale id is logged and
 * reported as consumed.
 */
bool hvic_xact_complete(struct hvic_xact *xact,
			const struct vmbus_packet_desc *desc);

/* Fail every waiting request with @err (e.g. before closing) */
void hvic_xact_cancel(struct hvic_xact *xact, int err);

#endif /* _HVIC_VMBUS_H */
