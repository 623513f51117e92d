/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hyper-V synthetic storage (StorVSC/StorVSP) wire format, guest side.
 * Definitions only, no logic.  Facts from the public descriptions (Linux
 * drivers/scsi/storvsc_drv.c, FreeBSD sys/dev/hyperv/storvsc, OpenVMM's
 * storvsp protocol crate); hvhost has its own, written independently
 * (DESIGN.md).
 *
 * Every packet on a storage channel, both ways, is a struct storvsc_packet:
 * an operation, a flag word, an NT status (set by the host) and a union.
 * The union grew with protocol 5.1 (Windows 8): the SRB gained 16 bytes of
 * queueing fields at its end and the sense area went from 18 to 20 bytes.
 * A guest that negotiated an older protocol sends, and gets, the short
 * packet (STORVSC_PACKET_SIZE_PRE_WIN8).
 */
#ifndef _HYPERV_STORVSC_H
#define _HYPERV_STORVSC_H

#include <linux/types.h>
#include <linux/uuid.h>

#include <hyperv/tlfs.h>

/* Offer class ids: the SCSI controller and the synthetic FC HBA */
#define STORVSC_SCSI_GUID \
	GUID_INIT(0xba6163d9, 0x04a1, 0x4d29, 0xb6, 0x05, 0x72, 0xe2, 0xff, \
		  0xb1, 0xdc, 0x7f)
#define STORVSC_FC_GUID \
	GUID_INIT(0x2f9bcc4a, 0x0069, 0x4af3, 0xb7, 0x6b, 0x6f, 0xd0, 0xbe, \
		  0x52, 0x8c, 0xda)

/* Protocol versions: major in the high byte */
#define STORVSC_MAKE_VERSION(major, minor)	((__u16)((major) << 8 | (minor)))
#define STORVSC_VERSION_MAJOR(v)		((v) >> 8)
#define STORVSC_VERSION_MINOR(v)		((v) & 0xff)
#define STORVSC_VERSION_WIN6		STORVSC_MAKE_VERSION(2, 0) /* WS2008 */
#define STORVSC_VERSION_WIN7		STORVSC_MAKE_VERSION(4, 2) /* WS2008 R2 */
#define STORVSC_VERSION_WIN8		STORVSC_MAKE_VERSION(5, 1) /* WS2012 */
#define STORVSC_VERSION_WIN8_1		STORVSC_MAKE_VERSION(6, 0) /* WS2012 R2 */
#define STORVSC_VERSION_WIN10		STORVSC_MAKE_VERSION(6, 2) /* WS2016+ */

enum storvsc_op {
	STORVSC_OP_COMPLETE_IO		= 1,
	STORVSC_OP_REMOVE_DEVICE	= 2,
	STORVSC_OP_EXECUTE_SRB		= 3,
	STORVSC_OP_RESET_LUN		= 4,
	STORVSC_OP_RESET_ADAPTER	= 5,
	STORVSC_OP_RESET_BUS		= 6,
	STORVSC_OP_BEGIN_INITIALIZATION	= 7,
	STORVSC_OP_END_INITIALIZATION	= 8,
	STORVSC_OP_QUERY_PROTOCOL_VERSION = 9,
	STORVSC_OP_QUERY_PROPERTIES	= 10,
	STORVSC_OP_ENUMERATE_BUS	= 11,
	STORVSC_OP_FCHBA_DATA		= 12,
	STORVSC_OP_CREATE_SUB_CHANNELS	= 13,
};

/* storvsc_packet.flags: the sender wants a completion */
#define STORVSC_FLAG_REQUEST_COMPLETION	0x1

/* NT status values in storvsc_packet.status */
#define STORVSC_STATUS_SUCCESS		0x00000000u
#define STORVSC_STATUS_REVISION_MISMATCH 0xc0000059u

/* storvsc_srb.srb_status: Windows' SRB_STATUS_* in the low 6 bits */
#define STORVSC_SRB_STATUS_MASK			0x3f
#define STORVSC_SRB_STATUS_PENDING		0x00
#define STORVSC_SRB_STATUS_SUCCESS		0x01
#define STORVSC_SRB_STATUS_ABORTED		0x02
#define STORVSC_SRB_STATUS_ERROR		0x04
#define STORVSC_SRB_STATUS_BUSY			0x05
#define STORVSC_SRB_STATUS_INVALID_REQUEST	0x06
#define STORVSC_SRB_STATUS_TIMEOUT		0x09
#define STORVSC_SRB_STATUS_SELECTION_TIMEOUT	0x0a
#define STORVSC_SRB_STATUS_DATA_OVERRUN		0x12
#define STORVSC_SRB_STATUS_INVALID_LUN		0x20
#define STORVSC_SRB_STATUS_INTERNAL_ERROR	0x30
#define STORVSC_SRB_STATUS_QUEUE_FROZEN		0x40
#define STORVSC_SRB_STATUS_AUTOSENSE_VALID	0x80

/* storvsc_srb.data_in */
#define STORVSC_DATA_OUT	0	/* to the device */
#define STORVSC_DATA_IN		1	/* to the guest */
#define STORVSC_DATA_NONE	2

/* storvsc_srb.srb_flags (5.1+) */
#define STORVSC_SRB_FLAGS_QUEUE_ACTION_ENABLE	0x00000002
#define STORVSC_SRB_FLAGS_DISABLE_SYNCH_TRANSFER 0x00000008
#define STORVSC_SRB_FLAGS_DATA_IN		0x00000040
#define STORVSC_SRB_FLAGS_DATA_OUT		0x00000080
#define STORVSC_SRB_FLAGS_NO_DATA_TRANSFER	0x00000000
#define STORVSC_SRB_FLAGS_DISABLE_AUTOSENSE	0x00000020

/* queue_action for tagged requests (5.1+) */
#define STORVSC_SIMPLE_QUEUE_TAG	0x20

#define STORVSC_CDB_MAX			16
#define STORVSC_SENSE_SIZE_PRE_WIN8	18
#define STORVSC_SENSE_SIZE		20

struct storvsc_srb {
	__u16 length;			/* of this structure as sent */
	__u8 srb_status;
	__u8 scsi_status;
	__u8 port_number;
	__u8 path_id;
	__u8 target_id;
	__u8 lun;
	__u8 cdb_length;
	__u8 sense_info_length;
	__u8 data_in;
	__u8 reserved;
	__u32 data_transfer_length;
	__u8 cdb_or_sense[STORVSC_SENSE_SIZE];	/* CDB out, sense back */
	/* protocol 5.1 and later */
	__u16 reserve;
	__u8 queue_tag;
	__u8 queue_action;
	__u32 srb_flags;
	__u32 time_out_value;
	__u32 queue_sort_key;
} __packed;
HV_ASSERT_SIZE(struct storvsc_srb, 52);

#define STORVSC_SRB_SIZE_PRE_WIN8	36	/* up to cdb_or_sense */
#define STORVSC_SRB_WIN8_EXTRA		(sizeof(struct storvsc_srb) - \
					 STORVSC_SRB_SIZE_PRE_WIN8)

/* storvsc_channel_props.flags */
#define STORVSC_PROPS_MULTI_CHANNEL	0x1

struct storvsc_channel_props {
	__u32 reserved;
	__u16 max_channel_count;	/* sub-channels the guest may ask for */
	__u16 reserved1;
	__u32 flags;
	__u32 max_transfer_bytes;
	__u64 reserved2;
} __packed;
HV_ASSERT_SIZE(struct storvsc_channel_props, 24);

struct storvsc_version {
	__u16 major_minor;
	__u16 revision;			/* Windows builds; 0 from Linux */
} __packed;
HV_ASSERT_SIZE(struct storvsc_version, 4);

/* FCHBA_DATA: the synthetic FC HBA's port and node names */
struct storvsc_fc_wwn {
	__u8 primary_active;
	__u8 reserved1[3];
	__u8 primary_port_wwn[8];
	__u8 primary_node_wwn[8];
	__u8 secondary_port_wwn[8];
	__u8 secondary_node_wwn[8];
} __packed;
HV_ASSERT_SIZE(struct storvsc_fc_wwn, 36);

struct storvsc_packet {
	__u32 operation;		/* enum storvsc_op */
	__u32 flags;			/* STORVSC_FLAG_* */
	__u32 status;			/* NT status, from the host */
	union {
		struct storvsc_srb srb;
		struct storvsc_channel_props props;
		struct storvsc_version version;
		struct storvsc_fc_wwn wwn;
		__u16 sub_channel_count;
	};
} __packed;
HV_ASSERT_SIZE(struct storvsc_packet, 64);

#define STORVSC_PACKET_HDR_SIZE		12
#define STORVSC_PACKET_SIZE_PRE_WIN8	(sizeof(struct storvsc_packet) - \
					 STORVSC_SRB_WIN8_EXTRA)

#endif /* _HYPERV_STORVSC_H */
