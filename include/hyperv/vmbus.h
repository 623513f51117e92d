/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMBus wire formats: versions, connection ids, the channel messages the
 * guest and the host exchange through HvPostMessage and the SynIC message
 * slot, the monitor page, the ring buffer header page and the packets in a
 * ring.  Definitions only, no logic.  Facts from the public descriptions
 * (Linux include/linux/hyperv.h and drivers/hv/, FreeBSD
 * sys/dev/hyperv/vmbus/vmbus_reg.h, OpenBSD sys/dev/pv/hypervreg.h);
 * hvhost has its own, written independently (DESIGN.md).
 *
 * Everything is little-endian.  GUIDs travel in the Windows layout (the
 * first three fields little-endian), which is the kernel's guid_t.
 */
#ifndef _HYPERV_VMBUS_H
#define _HYPERV_VMBUS_H

#include <linux/types.h>
#include <linux/uuid.h>

#include <hyperv/tlfs.h>

/* ------------------------------------------------------------------ */
/* Versions and connection ids                                        */
/* ------------------------------------------------------------------ */

#define VMBUS_MAKE_VERSION(major, minor)	((__u32)(major) << 16 | (minor))
#define VMBUS_VERSION_MAJOR(v)			((v) >> 16)
#define VMBUS_VERSION_MINOR(v)			((v) & 0xffff)

#define VMBUS_VERSION_WS2008		VMBUS_MAKE_VERSION(0, 13)
#define VMBUS_VERSION_WIN7		VMBUS_MAKE_VERSION(1, 1)
#define VMBUS_VERSION_WIN8		VMBUS_MAKE_VERSION(2, 4)
#define VMBUS_VERSION_WIN8_1		VMBUS_MAKE_VERSION(3, 0)
#define VMBUS_VERSION_WIN10		VMBUS_MAKE_VERSION(4, 0)
#define VMBUS_VERSION_WIN10_RS3		VMBUS_MAKE_VERSION(4, 1)
#define VMBUS_VERSION_WIN10_V5		VMBUS_MAKE_VERSION(5, 0)
#define VMBUS_VERSION_WIN10_V5_1	VMBUS_MAKE_VERSION(5, 1)
#define VMBUS_VERSION_WIN10_V5_2	VMBUS_MAKE_VERSION(5, 2)
#define VMBUS_VERSION_WIN10_V5_3	VMBUS_MAKE_VERSION(5, 3)

/*
 * Where channel messages go: connection 1, except INITIATE_CONTACT of 5.0
 * and later, which goes to 4; VERSION_RESPONSE then names the connection
 * for the rest.  Below 2.4 the guest signals every channel through event
 * connection 2 and the shared interrupt page.
 */
#define VMBUS_MESSAGE_CONNECTION_ID	1
#define VMBUS_EVENT_CONNECTION_ID	2
#define VMBUS_MESSAGE_CONNECTION_ID_4	4
/* HvPostMessage's message_type for channel messages */
#define VMBUS_MESSAGE_TYPE		1

/* Largest channel message: the SynIC payload */
#define VMBUS_MESSAGE_MAX		HV_MESSAGE_PAYLOAD_BYTE_COUNT

/* ------------------------------------------------------------------ */
/* Channel messages                                                   */
/* ------------------------------------------------------------------ */

enum vmbus_msg_type {
	VMBUS_MSG_INVALID			= 0,
	VMBUS_MSG_OFFERCHANNEL			= 1,
	VMBUS_MSG_RESCIND_CHANNELOFFER		= 2,
	VMBUS_MSG_REQUESTOFFERS			= 3,
	VMBUS_MSG_ALLOFFERS_DELIVERED		= 4,
	VMBUS_MSG_OPENCHANNEL			= 5,
	VMBUS_MSG_OPENCHANNEL_RESULT		= 6,
	VMBUS_MSG_CLOSECHANNEL			= 7,
	VMBUS_MSG_GPADL_HEADER			= 8,
	VMBUS_MSG_GPADL_BODY			= 9,
	VMBUS_MSG_GPADL_CREATED			= 10,
	VMBUS_MSG_GPADL_TEARDOWN		= 11,
	VMBUS_MSG_GPADL_TORNDOWN		= 12,
	VMBUS_MSG_RELID_RELEASED		= 13,
	VMBUS_MSG_INITIATE_CONTACT		= 14,
	VMBUS_MSG_VERSION_RESPONSE		= 15,
	VMBUS_MSG_UNLOAD			= 16,
	VMBUS_MSG_UNLOAD_RESPONSE		= 17,
	VMBUS_MSG_18				= 18,
	VMBUS_MSG_19				= 19,
	VMBUS_MSG_20				= 20,
	VMBUS_MSG_TL_CONNECT_REQUEST		= 21,
	VMBUS_MSG_MODIFYCHANNEL			= 22,	/* 4.1 and later */
	VMBUS_MSG_TL_CONNECT_RESULT		= 23,
	VMBUS_MSG_MODIFYCHANNEL_RESPONSE	= 24,	/* 5.3 and later */
	VMBUS_MSG_COUNT
};

struct vmbus_msg_header {
	__u32 msgtype;			/* enum vmbus_msg_type */
	__u32 padding;
} __packed;
HV_ASSERT_SIZE(struct vmbus_msg_header, 8);

/* INITIATE_CONTACT: guest -> host */
struct vmbus_msg_initiate_contact {
	struct vmbus_msg_header header;
	__u32 vmbus_version_requested;
	__u32 target_vcpu;		/* VP index for host messages */
	union {
		__u64 interrupt_page;	/* below 5.0: GPA of the page */
		struct {		/* 5.0 and later */
			__u8 msg_sint;
			__u8 msg_vtl;
			__u8 reserved[2];
			__u32 feature_flags;
		};
	};
	__u64 monitor_page1;		/* host -> guest */
	__u64 monitor_page2;		/* guest -> host */
} __packed;
HV_ASSERT_SIZE(struct vmbus_msg_initiate_contact, 40);
HV_ASSERT_OFFSET(struct vmbus_msg_initiate_contact, feature_flags, 20);

/* VERSION_RESPONSE: host -> guest */
struct vmbus_msg_version_response {
	struct vmbus_msg_header header;
	__u8 version_supported;
	__u8 connection_state;
	__u16 padding;
	__u32 msg_conn_id;		/* 5.0 and later */
} __packed;
HV_ASSERT_SIZE(struct vmbus_msg_version_response, 16);

/* Offer flags (chn_flags) */
#define VMBUS_CHAN_ENUMERATE_DEVICE_INTERFACE	0x0001
#define VMBUS_CHAN_NAMED_PIPE_MODE		0x0010
#define VMBUS_CHAN_LOOPBACK_OFFER		0x0100
#define VMBUS_CHAN_PARENT_OFFER			0x0200
#define VMBUS_CHAN_REQUEST_MONITORED_NOTIFICATION 0x0400
#define VMBUS_CHAN_TLNPI_PROVIDER_OFFER		0x2000

#define VMBUS_OFFER_USER_DEFINED_BYTES	120
#define VMBUS_OPEN_USER_DATA_BYTES	120

/* monitor_flags */
#define VMBUS_OFFER_MONITOR_ALLOCATED	0x01
/* interrupt_flags */
#define VMBUS_OFFER_DEDICATED_INTERRUPT	0x0001

/* OFFERCHANNEL: host -> guest */
struct vmbus_msg_offer_channel {
	struct vmbus_msg_header header;
	guid_t if_type;			/* class id */
	guid_t if_instance;		/* instance id */
	__u64 reserved1;		/* interrupt latency */
	__u64 reserved2;		/* interface revision */
	__u16 chn_flags;
	__u16 mmio_megabytes;
	__u8 user_defined[VMBUS_OFFER_USER_DEFINED_BYTES];
	__u16 sub_channel_index;
	__u16 reserved3;
	__u32 child_relid;
	__u8 monitor_id;
	__u8 monitor_flags;
	__u16 interrupt_flags;
	__u32 connection_id;		/* signal the host here (2.4 and later) */
} __packed;
HV_ASSERT_SIZE(struct vmbus_msg_offer_channel, 196);
HV_ASSERT_OFFSET(struct vmbus_msg_offer_channel, sub_channel_index, 180);
HV_ASSERT_OFFSET(struct vmbus_msg_offer_channel, child_relid, 184);
HV_ASSERT_OFFSET(struct vmbus_msg_offer_channel, connection_id, 192);

/* RESCIND_CHANNELOFFER (host), RELID_RELEASED (guest), CLOSECHANNEL (guest) */
struct vmbus_msg_relid {
	struct vmbus_msg_header header;
	__u32 child_relid;
} __packed;
HV_ASSERT_SIZE(struct vmbus_msg_relid, 12);

/* OPENCHANNEL: guest -> host */
struct vmbus_msg_open_channel {
	struct vmbus_msg_header header;
	__u32 child_relid;
	__u32 open_id;			/* the guest's choice, echoed back */
	__u32 ringbuffer_gpadl;
	__u32 target_vp;
	__u32 downstream_ring_offset;	/* pages: where the host->guest ring starts */
	__u8 user_data[VMBUS_OPEN_USER_DATA_BYTES];
} __packed;
HV_ASSERT_SIZE(struct vmbus_msg_open_channel, 148);

/* OPENCHANNEL_RESULT: host -> guest */
struct vmbus_msg_open_result {
	struct vmbus_msg_header header;
	__u32 child_relid;
	__u32 open_id;
	__u32 status;			/* 0: open */
} __packed;
HV_ASSERT_SIZE(struct vmbus_msg_open_result, 20);

/* A range of guest pages: byte_count bytes from byte_offset in pfn[0] */
struct vmbus_gpa_range {
	__u32 byte_count;
	__u32 byte_offset;
	__u64 pfn_array[];
} __packed;
HV_ASSERT_SIZE(struct vmbus_gpa_range, 8);

/* GPADL_HEADER: guest -> host; the PFNs that do not fit follow in bodies */
struct vmbus_msg_gpadl_header {
	struct vmbus_msg_header header;
	__u32 child_relid;
	__u32 gpadl;			/* the guest's choice */
	__u16 range_buflen;		/* bytes of all ranges with their PFNs */
	__u16 rangecount;
	struct vmbus_gpa_range range;	/* the first range; its PFNs follow */
} __packed;
HV_ASSERT_SIZE(struct vmbus_msg_gpadl_header, 28);

/* GPADL_BODY: guest -> host */
struct vmbus_msg_gpadl_body {
	struct vmbus_msg_header header;
	__u32 msgnumber;
	__u32 gpadl;
	__u64 pfn[];
} __packed;
HV_ASSERT_SIZE(struct vmbus_msg_gpadl_body, 16);

/* PFNs that fit in one message */
#define VMBUS_GPADL_HEADER_PFNS \
	((VMBUS_MESSAGE_MAX - sizeof(struct vmbus_msg_gpadl_header)) / \
	 sizeof(__u64))
#define VMBUS_GPADL_BODY_PFNS \
	((VMBUS_MESSAGE_MAX - sizeof(struct vmbus_msg_gpadl_body)) / \
	 sizeof(__u64))
HV_ASSERT(VMBUS_GPADL_HEADER_PFNS == 26 && VMBUS_GPADL_BODY_PFNS == 28,
	  "PFNs per GPADL message");

/* GPADL_CREATED: host -> guest */
struct vmbus_msg_gpadl_created {
	struct vmbus_msg_header header;
	__u32 child_relid;
	__u32 gpadl;
	__u32 creation_status;		/* 0: created */
} __packed;
HV_ASSERT_SIZE(struct vmbus_msg_gpadl_created, 20);

/* GPADL_TEARDOWN: guest -> host */
struct vmbus_msg_gpadl_teardown {
	struct vmbus_msg_header header;
	__u32 child_relid;
	__u32 gpadl;
} __packed;
HV_ASSERT_SIZE(struct vmbus_msg_gpadl_teardown, 16);

/* GPADL_TORNDOWN: host -> guest */
struct vmbus_msg_gpadl_torndown {
	struct vmbus_msg_header header;
	__u32 gpadl;
} __packed;
HV_ASSERT_SIZE(struct vmbus_msg_gpadl_torndown, 12);

/* MODIFYCHANNEL: guest -> host, 4.1 and later */
struct vmbus_msg_modifychannel {
	struct vmbus_msg_header header;
	__u32 child_relid;
	__u32 target_vp;
} __packed;
HV_ASSERT_SIZE(struct vmbus_msg_modifychannel, 16);

/* MODIFYCHANNEL_RESPONSE: host -> guest, 5.3 and later */
struct vmbus_msg_modifychannel_response {
	struct vmbus_msg_header header;
	__u32 child_relid;
	__u32 status;			/* 0: moved */
} __packed;
HV_ASSERT_SIZE(struct vmbus_msg_modifychannel_response, 16);

/* ------------------------------------------------------------------ */
/* Interrupt page and monitor pages                                   */
/* ------------------------------------------------------------------ */

/*
 * Below 2.4 INITIATE_CONTACT names one page: the first half has a bit per
 * relid the host signalled, the second half a bit per relid the guest
 * signals (then HvSignalEvent on VMBUS_EVENT_CONNECTION_ID).  The host
 * sets SIEFP flag 0 of the VMBus SINT when it signals.
 */
#define VMBUS_INT_PAGE_HALF		(HV_PAGE_SIZE / 2)
#define VMBUS_INT_PAGE_RELIDS		(VMBUS_INT_PAGE_HALF * 8)

/*
 * Monitor pages: a channel offered with VMBUS_OFFER_MONITOR_ALLOCATED is
 * signalled by setting bit monitor_id % 32 of trigger_group[monitor_id /
 * 32].pending in the guest->host page (a locked OR), which the host polls.
 */
#define VMBUS_MONITOR_GROUPS		4
#define VMBUS_MONITOR_PER_GROUP		32
#define VMBUS_MONITOR_IDS		(VMBUS_MONITOR_GROUPS * VMBUS_MONITOR_PER_GROUP)

struct vmbus_monitor_trigger_group {
	__u32 pending;
	__u32 armed;
} __packed;

struct vmbus_monitor_parameter {
	__u32 connection_id;
	__u16 flag_number;
	__u16 reserved;
} __packed;

struct vmbus_monitor_page {
	__u32 trigger_state;
	__u32 reserved1;
	struct vmbus_monitor_trigger_group trigger_group[VMBUS_MONITOR_GROUPS];
	__u64 reserved2[3];
	__s32 next_checktime[VMBUS_MONITOR_GROUPS][VMBUS_MONITOR_PER_GROUP];
	__u16 latency[VMBUS_MONITOR_GROUPS][VMBUS_MONITOR_PER_GROUP];
	__u64 reserved3[32];
	struct vmbus_monitor_parameter
		parameter[VMBUS_MONITOR_GROUPS][VMBUS_MONITOR_PER_GROUP];
	__u8 reserved4[1984];
} __packed;
HV_ASSERT_SIZE(struct vmbus_monitor_page, HV_PAGE_SIZE);
HV_ASSERT_OFFSET(struct vmbus_monitor_page, next_checktime, 0x40);
HV_ASSERT_OFFSET(struct vmbus_monitor_page, latency, 0x240);
HV_ASSERT_OFFSET(struct vmbus_monitor_page, parameter, 0x440);

/* ------------------------------------------------------------------ */
/* Ring buffer                                                        */
/* ------------------------------------------------------------------ */

/*
 * A channel's GPADL holds two rings, guest->host first, host->guest at
 * OPENCHANNEL's downstream_ring_offset.  Each ring is one header page and
 * a data area; the indices are byte offsets into the data area.  The
 * writer never fills the ring completely (write == read means empty).
 */
#define VMBUS_RING_FEAT_PENDING_SEND_SZ	0x1

struct vmbus_ring_header {
	__u32 write_index;
	__u32 read_index;
	__u32 interrupt_mask;		/* reader: "do not signal me" */
	__u32 pending_send_sz;		/* writer: "signal me at this much room" */
	__u32 reserved1[12];
	__u32 feature_bits;
	__u8 reserved2[HV_PAGE_SIZE - 68];
} __packed;
HV_ASSERT_SIZE(struct vmbus_ring_header, HV_PAGE_SIZE);
HV_ASSERT_OFFSET(struct vmbus_ring_header, feature_bits, 64);

/* Packet types */
enum vmbus_packet_type {
	VMBUS_PKT_INVALID		= 0x0,
	VMBUS_PKT_SYNCH			= 0x1,
	VMBUS_PKT_ADD_XFER_PAGESET	= 0x2,
	VMBUS_PKT_RM_XFER_PAGESET	= 0x3,
	VMBUS_PKT_ESTABLISH_GPADL	= 0x4,
	VMBUS_PKT_TEARDOWN_GPADL	= 0x5,
	VMBUS_PKT_DATA_INBAND		= 0x6,
	VMBUS_PKT_DATA_USING_XFER_PAGES	= 0x7,
	VMBUS_PKT_DATA_USING_GPADL	= 0x8,
	VMBUS_PKT_DATA_USING_GPA_DIRECT	= 0x9,
	VMBUS_PKT_CANCEL_REQUEST	= 0xa,
	VMBUS_PKT_COMP			= 0xb,
	VMBUS_PKT_DATA_USING_ADDITIONAL	= 0xc,
	VMBUS_PKT_ADDITIONAL_DATA	= 0xd,
};

#define VMBUS_PKT_FLAG_COMPLETION_REQUESTED	0x1

/*
 * Every packet starts with this descriptor; offset8 (where the payload
 * starts) and len8 (the whole packet without its trailer) count 8-byte
 * units.  Each packet is followed by an 8-byte trailer: the writer's
 * write index before the packet, shifted left 32.
 */
struct vmbus_packet_desc {
	__u16 type;
	__u16 offset8;
	__u16 len8;
	__u16 flags;
	__u64 trans_id;
} __packed;
HV_ASSERT_SIZE(struct vmbus_packet_desc, 16);

#define VMBUS_PKT_TRAILER_SIZE		8
#define VMBUS_PKT_ALIGN			8

/* VMBUS_PKT_DATA_USING_XFER_PAGES: ranges of a transfer page set */
struct vmbus_xfer_page_range {
	__u32 byte_count;
	__u32 byte_offset;
} __packed;

struct vmbus_xfer_page_packet {
	struct vmbus_packet_desc desc;
	__u16 xfer_pageset_id;
	__u8 sender_owns_set;
	__u8 reserved;
	__u32 range_cnt;
	struct vmbus_xfer_page_range ranges[];
} __packed;
HV_ASSERT_SIZE(struct vmbus_xfer_page_packet, 24);

/* VMBUS_PKT_DATA_USING_GPA_DIRECT: ranges of guest pages, then the payload */
struct vmbus_gpa_direct_packet {
	struct vmbus_packet_desc desc;
	__u32 reserved;
	__u32 range_cnt;
	struct vmbus_gpa_range range;	/* the first range; more may follow */
} __packed;
HV_ASSERT_SIZE(struct vmbus_gpa_direct_packet, 32);

#endif /* _HYPERV_VMBUS_H */
