/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMBus wire formats for the hvhost micro-guest, written for these tests
 * and not taken from include/hyperv/ or QEMU's vmbus-proto.h, so that a
 * layout both of those got wrong still fails here.  Checked against the
 * public descriptions: Linux include/linux/hyperv.h (channel messages,
 * ring buffer, packet descriptor, IC headers, rescind, MODIFYCHANNEL),
 * drivers/hv/connection.c (versions, connection ids 1 and 4),
 * drivers/hv/hv_balloon.c (the dynamic-memory version messages),
 * include/asm-generic/hyperv-tlfs.h (the monitor page), FreeBSD
 * sys/dev/hyperv/vmbus (vmbus_reg.h: the same monitor page).
 *
 * Everything is little-endian; GUIDs travel in the Windows layout (first
 * three fields little-endian).
 */
#ifndef HVTEST_VMBUSDEFS_H
#define HVTEST_VMBUSDEFS_H

#include <stddef.h>
#include <stdint.h>

#define VMB_VERSION(maj, min)		((uint32_t)(maj) << 16 | (uint32_t)(min))
#define VMB_MAJOR(v)			((v) >> 16)
#define VMB_MINOR(v)			((v) & 0xffff)

/*
 * Connection ids: channel messages go to 1, or to 4 for INITIATE_CONTACT
 * of 5.0 and later (then to the id VERSION_RESPONSE returns); the
 * guest->host interrupt of the pre-2.4 interrupt page is event connection 2
 */
#define VMB_MESSAGE_CONNECTION_ID	1
#define VMB_EVENT_CONNECTION_ID		2
#define VMB_MESSAGE_CONNECTION_ID_4	4
#define VMB_MESSAGE_SINT		2
/* HvPostMessage message_type of every channel message */
#define HVMSG_VMBUS			1

/* Channel message types (the first u32 of every channel message) */
#define VMB_INVALID			0
#define VMB_OFFERCHANNEL		1
#define VMB_RESCIND_CHANNELOFFER	2
#define VMB_REQUESTOFFERS		3
#define VMB_ALLOFFERS_DELIVERED		4
#define VMB_OPENCHANNEL			5
#define VMB_OPENCHANNEL_RESULT		6
#define VMB_CLOSECHANNEL		7
#define VMB_GPADL_HEADER		8
#define VMB_GPADL_BODY			9
#define VMB_GPADL_CREATED		10
#define VMB_GPADL_TEARDOWN		11
#define VMB_GPADL_TORNDOWN		12
#define VMB_RELID_RELEASED		13
#define VMB_INITIATE_CONTACT		14
#define VMB_VERSION_RESPONSE		15
#define VMB_UNLOAD			16
#define VMB_UNLOAD_RESPONSE		17
#define VMB_MODIFYCHANNEL		22	/* 4.1 and later */
#define VMB_MODIFYCHANNEL_RESPONSE	24	/* 5.3 and later */

struct vmb_hdr {
	uint32_t type;
	uint32_t pad;
} __attribute__((packed));

struct vmb_initiate_contact {
	struct vmb_hdr hdr;
	uint32_t version;
	uint32_t target_vcpu;
	union {
		uint64_t interrupt_page;	/* < 5.0 */
		struct {			/* >= 5.0 */
			uint8_t msg_sint;
			uint8_t msg_vtl;
			uint8_t reserved[2];
			uint32_t feature_flags;
		} v5;
	} u;
	uint64_t monitor_page1;
	uint64_t monitor_page2;
} __attribute__((packed));

struct vmb_version_response {
	struct vmb_hdr hdr;
	uint8_t version_supported;
	uint8_t connection_state;
	uint16_t pad;
	uint32_t msg_conn_id;		/* >= 5.0 */
} __attribute__((packed));

#define VMB_USER_DEFINED_BYTES		120

struct vmb_offer {
	struct vmb_hdr hdr;
	uint8_t type_guid[16];
	uint8_t instance_guid[16];
	uint64_t reserved1;
	uint64_t reserved2;
	uint16_t channel_flags;
	uint16_t mmio_megabytes;
	uint8_t user_defined[VMB_USER_DEFINED_BYTES];
	uint16_t sub_channel_index;
	uint16_t reserved3;
	uint32_t child_relid;
	uint8_t monitor_id;
	uint8_t monitor_flags;		/* VMB_OFFER_MONITOR_ALLOCATED */
	uint16_t interrupt_flags;	/* bit 0: dedicated interrupt */
	uint32_t connection_id;		/* signal the host here (>= 2.4) */
} __attribute__((packed));

#define VMB_OFFER_MONITOR_ALLOCATED	0x01

/* device_del on the host: the guest closes, tears down, then releases */
struct vmb_rescind_offer {
	struct vmb_hdr hdr;
	uint32_t child_relid;
} __attribute__((packed));

struct vmb_relid_released {
	struct vmb_hdr hdr;
	uint32_t child_relid;
} __attribute__((packed));

/* Move a channel's interrupts to another VP (the host answers from 5.3) */
struct vmb_modifychannel {
	struct vmb_hdr hdr;
	uint32_t child_relid;
	uint32_t target_vp;		/* VP index */
} __attribute__((packed));

struct vmb_modifychannel_response {
	struct vmb_hdr hdr;
	uint32_t child_relid;
	uint32_t status;		/* 0: moved */
} __attribute__((packed));

/*
 * Monitor pages (MNF, "monitored notification facility"): INITIATE_CONTACT
 * gives two, [0] host->guest and [1] guest->host.  A channel offered with
 * VMB_OFFER_MONITOR_ALLOCATED has monitor id M: group M / 32, bit M % 32.
 * The guest signals such a channel by setting its bit in trigger_group[]
 * .pending of the second page (a locked OR) instead of a hypercall; the
 * host polls and clears the bits.  The host fills in trigger_state (bit g:
 * group g enabled), latency (100 ns units) and parameter (the connection
 * id and flag of the event it stands for).  As Linux's struct
 * hv_monitor_page (asm-generic/hyperv-tlfs.h) and FreeBSD's struct
 * vmbus_mnf (vmbus_reg.h) describe it.
 */
#define VMB_MONITOR_GROUPS		4
#define VMB_MONITOR_PER_GROUP		32

struct vmb_monitor_trigger {
	uint32_t pending;
	uint32_t armed;
} __attribute__((packed));

struct vmb_monitor_param {
	uint32_t connection_id;
	uint16_t flag_number;
	uint16_t reserved;
} __attribute__((packed));

struct vmb_monitor_page {
	uint32_t trigger_state;
	uint32_t reserved1;
	struct vmb_monitor_trigger trigger_group[VMB_MONITOR_GROUPS];
	uint64_t reserved2[3];
	int32_t next_checktime[VMB_MONITOR_GROUPS][VMB_MONITOR_PER_GROUP];
	uint16_t latency[VMB_MONITOR_GROUPS][VMB_MONITOR_PER_GROUP];
	uint64_t reserved3[32];
	struct vmb_monitor_param parameter[VMB_MONITOR_GROUPS][VMB_MONITOR_PER_GROUP];
	uint8_t reserved4[1984];
} __attribute__((packed));

/* One GPA range: the PFNs follow it */
struct vmb_gpa_range {
	uint32_t byte_count;
	uint32_t byte_offset;
} __attribute__((packed));

struct vmb_gpadl_header {
	struct vmb_hdr hdr;
	uint32_t child_relid;
	uint32_t gpadl;
	uint16_t range_buflen;		/* bytes of ranges + PFNs */
	uint16_t rangecount;
	struct vmb_gpa_range range;	/* the first range */
	uint64_t pfn[];
} __attribute__((packed));

struct vmb_gpadl_body {
	struct vmb_hdr hdr;
	uint32_t msgnumber;
	uint32_t gpadl;
	uint64_t pfn[];
} __attribute__((packed));

/* PFNs per message: the payload is at most 240 bytes */
#define VMB_MSG_MAX			240
#define VMB_GPADL_HEADER_PFNS	\
	((VMB_MSG_MAX - sizeof(struct vmb_gpadl_header)) / sizeof(uint64_t))
#define VMB_GPADL_BODY_PFNS	\
	((VMB_MSG_MAX - sizeof(struct vmb_gpadl_body)) / sizeof(uint64_t))

struct vmb_gpadl_created {
	struct vmb_hdr hdr;
	uint32_t child_relid;
	uint32_t gpadl;
	uint32_t status;
} __attribute__((packed));

struct vmb_gpadl_teardown {
	struct vmb_hdr hdr;
	uint32_t child_relid;
	uint32_t gpadl;
} __attribute__((packed));

struct vmb_gpadl_torndown {
	struct vmb_hdr hdr;
	uint32_t gpadl;
} __attribute__((packed));

struct vmb_open_channel {
	struct vmb_hdr hdr;
	uint32_t child_relid;
	uint32_t open_id;
	uint32_t ring_gpadl;
	uint32_t target_vp;
	uint32_t ring_offset;		/* pages of the guest->host ring */
	uint8_t user_data[VMB_USER_DEFINED_BYTES];
} __attribute__((packed));

struct vmb_open_result {
	struct vmb_hdr hdr;
	uint32_t child_relid;
	uint32_t open_id;
	uint32_t status;
} __attribute__((packed));

struct vmb_close_channel {
	struct vmb_hdr hdr;
	uint32_t child_relid;
} __attribute__((packed));

/*
 * Ring buffer: a header page, then the data area; the indices are byte
 * offsets into the data area.  The GPADL holds the guest->host ring
 * first, then (at OPENCHANNEL's ring_offset pages) the host->guest ring.
 */
struct vmb_ring_hdr {
	uint32_t write_index;
	uint32_t read_index;
	uint32_t interrupt_mask;
	uint32_t pending_send_sz;
	uint32_t reserved[12];
	uint32_t feature_bits;		/* bit 0: pending_send_sz honoured */
} __attribute__((packed));
#define VMB_RING_FEAT_PENDING_SZ	1u

/* Packet descriptor; each packet is followed by an 8-byte trailer */
struct vmb_pkt_hdr {
	uint16_t type;
	uint16_t offset8;		/* payload offset, 8-byte units */
	uint16_t len8;			/* packet length without trailer */
	uint16_t flags;
	uint64_t trans_id;
} __attribute__((packed));
#define VMB_PKT_TRAILER			8
#define VMB_PKT_DATA_INBAND		6
#define VMB_PKT_COMP			0xb
#define VMB_PKT_FLAG_COMPLETION		1
/*
 * GPA direct: after the descriptor a reserved u32 and the range count,
 * then each range {byte_count, byte_offset} with its PFNs (as many as
 * byte_offset + byte_count spans); the in-band payload at offset8
 */
#define VMB_PKT_DATA_GPA_DIRECT		9
#define VMB_PKT_DATA_XFER_PAGES		7

struct vmb_pkt_gpa_direct {
	struct vmb_pkt_hdr hdr;
	uint32_t reserved;
	uint32_t range_count;
} __attribute__((packed));

/* Integration services (IC) messages, in in-band packets */
struct ic_pipe_hdr {
	uint32_t flags;
	uint32_t msgsize;
} __attribute__((packed));

struct ic_version {
	uint16_t major;
	uint16_t minor;
} __attribute__((packed));

struct ic_msg_hdr {
	struct ic_version frame_version;
	uint16_t msgtype;
	struct ic_version msg_version;
	uint16_t msgsize;
	uint32_t status;
	uint8_t trans_id;
	uint8_t flags;
	uint8_t reserved[2];
} __attribute__((packed));

#define IC_MSGTYPE_NEGOTIATE		0
#define IC_MSGTYPE_HEARTBEAT		1
#define IC_MSGTYPE_SHUTDOWN		3
#define IC_FLAG_TRANSACTION		1
#define IC_FLAG_REQUEST			2
#define IC_FLAG_RESPONSE		4

struct ic_negotiate {
	uint16_t frame_count;
	uint16_t msg_count;
	uint32_t reserved;
	struct ic_version versions[];	/* frame_count, then msg_count */
} __attribute__((packed));

struct ic_heartbeat {
	uint64_t seq_num;
	uint32_t reserved[8];
} __attribute__((packed));

/* Offset of the IC message body in a packet's payload */
#define IC_BODY	(sizeof(struct ic_pipe_hdr) + sizeof(struct ic_msg_hdr))

/* Dynamic memory (hv-balloon): the version exchange only */
struct dm_hdr {
	uint16_t type;
	uint16_t size;			/* of the whole message */
	uint32_t trans_id;
} __attribute__((packed));

#define DM_VERSION_REQUEST		1
#define DM_VERSION_RESPONSE		2
#define DM_VERSION_WIN10		VMB_VERSION(2, 0)

struct dm_version_request {
	struct dm_hdr hdr;
	uint32_t version;
	uint32_t flags;			/* bit 0: last attempt */
} __attribute__((packed));

struct dm_version_response {
	struct dm_hdr hdr;
	uint64_t flags;			/* bit 0: accepted */
} __attribute__((packed));

/* Class ids of the devices the tests drive */
#define HV_HEARTBEAT_GUID	"57164f39-9115-4e78-ab55-382f3bd5422d"
#define HV_BALLOON_GUID		"525074dc-8985-46e2-8057-a307dc18a502"
/* hvhost's test-only hv-vmbus-test (hw/hyperv/hv-synic-test.c) */
#define HV_VMBUS_TEST_GUID	"a98e4cf7-d717-46db-8fe4-6abd8293fb72"
#define HV_SHUTDOWN_GUID	"0e0b6031-5213-4934-818b-38d90ced39db"
#define HV_KVP_GUID		"a9a0f4e7-5a45-4d96-b827-8a841e8c03e6"
/* the synthetic SCSI controller (hvhost's hv-storvsp) */
#define HV_STORVSP_GUID		"ba6163d9-04a1-4d29-b605-72e2ffb1dc7f"

/* Sizes and offsets as the public descriptions give them */
_Static_assert(sizeof(struct vmb_initiate_contact) == 40, "initiate_contact");
_Static_assert(offsetof(struct vmb_initiate_contact, u.v5.feature_flags) == 20,
	       "initiate_contact 5.0 fields");
_Static_assert(sizeof(struct vmb_version_response) == 16, "version_response");
_Static_assert(sizeof(struct vmb_offer) == 196, "offer");
_Static_assert(offsetof(struct vmb_offer, sub_channel_index) == 180, "offer");
_Static_assert(offsetof(struct vmb_offer, child_relid) == 184, "offer relid");
_Static_assert(offsetof(struct vmb_offer, monitor_id) == 188 &&
	       offsetof(struct vmb_offer, connection_id) == 192, "offer monitor");
_Static_assert(sizeof(struct vmb_rescind_offer) == 12 &&
	       sizeof(struct vmb_relid_released) == 12, "rescind, release");
_Static_assert(sizeof(struct vmb_modifychannel) == 16 &&
	       sizeof(struct vmb_modifychannel_response) == 16, "modifychannel");
_Static_assert(sizeof(struct vmb_monitor_page) == 4096, "monitor page");
_Static_assert(offsetof(struct vmb_monitor_page, trigger_group) == 0x8 &&
	       offsetof(struct vmb_monitor_page, next_checktime) == 0x40 &&
	       offsetof(struct vmb_monitor_page, latency) == 0x240 &&
	       offsetof(struct vmb_monitor_page, parameter) == 0x440 &&
	       offsetof(struct vmb_monitor_page, reserved4) == 0x840,
	       "monitor page layout");
_Static_assert(sizeof(struct vmb_gpadl_header) == 28, "gpadl_header");
_Static_assert(offsetof(struct vmb_gpadl_header, range_buflen) == 16,
	       "gpadl_header");
_Static_assert(sizeof(struct vmb_gpadl_body) == 16, "gpadl_body");
_Static_assert(VMB_GPADL_HEADER_PFNS == 26 && VMB_GPADL_BODY_PFNS == 28,
	       "PFNs per message");
_Static_assert(sizeof(struct vmb_gpadl_created) == 20, "gpadl_created");
_Static_assert(sizeof(struct vmb_gpadl_torndown) == 12, "gpadl_torndown");
_Static_assert(sizeof(struct vmb_open_channel) == 148, "open_channel");
_Static_assert(sizeof(struct vmb_open_result) == 20, "open_result");
_Static_assert(offsetof(struct vmb_ring_hdr, feature_bits) == 64, "ring header");
_Static_assert(sizeof(struct vmb_pkt_hdr) == 16, "packet descriptor");
_Static_assert(sizeof(struct vmb_pkt_gpa_direct) == 24, "GPA direct packet");
_Static_assert(sizeof(struct ic_msg_hdr) == 20 && IC_BODY == 28, "IC header");
_Static_assert(sizeof(struct ic_negotiate) == 8, "IC negotiate");
_Static_assert(sizeof(struct ic_heartbeat) == 40, "IC heartbeat");
_Static_assert(sizeof(struct dm_version_request) == 16 &&
	       sizeof(struct dm_version_response) == 16, "DM version");

#endif
