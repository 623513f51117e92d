/*
 * Hyper-V synthetic storage (StorVSP) wire format, host side
 *
 * Written for hvhost from the protocol as the guests speak it (upstream
 * Linux storvsc, FreeBSD storvsc, OpenVMM's storvsp); the guest side of
 * hyperv-ic keeps its own copy in include/hyperv/ on purpose.
 *
 * Every packet on a storage channel is a StorvspPacket: an operation, the
 * request-completion flag, an NT status (set by the host) and a union.  The
 * union grew with Windows 8 (protocol 5.1): the SRB gained 16 bytes of
 * queueing fields and the sense buffer went from 18 to 20 bytes.  A guest
 * that negotiated an older protocol sends and expects the short packet.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_HYPERV_STORVSP_PROTO_H
#define HW_HYPERV_STORVSP_PROTO_H

#define STORVSP_SCSI_CLASS_ID   "ba6163d9-04a1-4d29-b605-72e2ffb1dc7f"
#define STORVSP_FC_CLASS_ID     "2f9bcc4a-0069-4af3-b76b-6fd0be528cda"

/* protocol versions: major in the high byte */
#define STORVSP_VERSION(maj, min)       (((maj) << 8) | (min))
#define STORVSP_VERSION_WIN6            STORVSP_VERSION(2, 0)   /* WS2008 */
#define STORVSP_VERSION_WIN7            STORVSP_VERSION(4, 2)   /* WS2008 R2 */
#define STORVSP_VERSION_WIN8            STORVSP_VERSION(5, 1)   /* WS2012 */
#define STORVSP_VERSION_WIN8_1          STORVSP_VERSION(6, 0)   /* WS2012 R2 */
#define STORVSP_VERSION_WIN10           STORVSP_VERSION(6, 2)   /* WS2016+ */

enum {
    STORVSP_OP_COMPLETE_IO = 1,
    STORVSP_OP_REMOVE_DEVICE = 2,
    STORVSP_OP_EXECUTE_SRB = 3,
    STORVSP_OP_RESET_LUN = 4,
    STORVSP_OP_RESET_ADAPTER = 5,
    STORVSP_OP_RESET_BUS = 6,
    STORVSP_OP_BEGIN_INITIALIZATION = 7,
    STORVSP_OP_END_INITIALIZATION = 8,
    STORVSP_OP_QUERY_PROTOCOL_VERSION = 9,
    STORVSP_OP_QUERY_PROPERTIES = 10,
    STORVSP_OP_ENUMERATE_BUS = 11,
    STORVSP_OP_FCHBA_DATA = 12,
    STORVSP_OP_CREATE_SUB_CHANNELS = 13,
};

/* StorvspPacket.flags */
#define STORVSP_FLAG_REQUEST_COMPLETION 0x1

/* NT status values the host answers with */
#define STORVSP_STATUS_SUCCESS                  0x00000000u
#define STORVSP_STATUS_INVALID_PARAMETER        0xc000000du
#define STORVSP_STATUS_INVALID_DEVICE_REQUEST   0xc0000010u
#define STORVSP_STATUS_REVISION_MISMATCH        0xc0000059u
#define STORVSP_STATUS_INVALID_DEVICE_STATE     0xc0000184u

/* SRB status (StorvspSrb.srb_status), Windows' SRB_STATUS_* */
#define SRB_STATUS_SUCCESS              0x01
#define SRB_STATUS_ABORTED              0x02
#define SRB_STATUS_ERROR                0x04
#define SRB_STATUS_BUSY                 0x05
#define SRB_STATUS_INVALID_REQUEST      0x06
#define SRB_STATUS_TIMEOUT              0x09
#define SRB_STATUS_SELECTION_TIMEOUT    0x0a
#define SRB_STATUS_DATA_OVERRUN         0x12
#define SRB_STATUS_INVALID_LUN          0x20
#define SRB_STATUS_INTERNAL_ERROR       0x30
#define SRB_STATUS_AUTOSENSE_VALID      0x80

/* StorvspSrb.data_in */
#define STORVSP_DATA_OUT        0       /* guest to device (write) */
#define STORVSP_DATA_IN         1       /* device to guest (read) */
#define STORVSP_DATA_NONE       2

#define STORVSP_CDB_MAX         16
#define STORVSP_SENSE_SIZE_V1   0x12    /* before protocol 5.1 */
#define STORVSP_SENSE_SIZE_V2   0x14

typedef struct QEMU_PACKED StorvspSrb {
    uint16_t length;
    uint8_t srb_status;
    uint8_t scsi_status;
    uint8_t port_number;
    uint8_t path_id;
    uint8_t target_id;
    uint8_t lun;
    uint8_t cdb_length;
    uint8_t sense_info_length;
    uint8_t data_in;
    uint8_t reserved;
    uint32_t data_transfer_length;
    uint8_t cdb_or_sense[20];   /* CDB in the request, sense in the answer */
    /* from protocol 5.1 (Windows 8) */
    uint16_t reserve;
    uint8_t queue_tag;
    uint8_t queue_action;
    uint32_t srb_flags;
    uint32_t time_out_value;
    uint32_t queue_sort_key;
} StorvspSrb;

#define STORVSP_SRB_SIZE_V1     offsetof(StorvspSrb, reserve)
#define STORVSP_SRB_SIZE_V2     sizeof(StorvspSrb)

/* StorvspChannelProps.flags */
#define STORVSP_CHANNEL_MULTI_CHANNEL   0x1

typedef struct QEMU_PACKED StorvspChannelProps {
    uint32_t reserved;
    uint16_t max_channel_count;         /* sub-channels the guest may ask */
    uint16_t reserved1;
    uint32_t flags;
    uint32_t max_transfer_bytes;
    uint64_t reserved2;
} StorvspChannelProps;

typedef struct QEMU_PACKED StorvspVersionMsg {
    uint16_t major_minor;
    uint16_t revision;          /* Windows builds only; ignored */
} StorvspVersionMsg;

typedef struct QEMU_PACKED StorvspFcWwn {
    uint8_t primary_active;
    uint8_t reserved1[3];
    uint8_t primary_port_wwn[8];
    uint8_t primary_node_wwn[8];
    uint8_t secondary_port_wwn[8];
    uint8_t secondary_node_wwn[8];
} StorvspFcWwn;

typedef struct QEMU_PACKED StorvspPacket {
    uint32_t operation;         /* STORVSP_OP_* */
    uint32_t flags;             /* STORVSP_FLAG_* */
    uint32_t status;            /* NT status, from the host */
    union {
        StorvspSrb srb;
        StorvspChannelProps props;
        StorvspVersionMsg version;
        StorvspFcWwn wwn;
        uint16_t sub_channel_count;
        uint8_t raw[sizeof(StorvspSrb)];
    };
} StorvspPacket;

#define STORVSP_PACKET_HDR_SIZE offsetof(StorvspPacket, srb)
#define STORVSP_PACKET_SIZE_V1  (STORVSP_PACKET_HDR_SIZE + STORVSP_SRB_SIZE_V1)
#define STORVSP_PACKET_SIZE_V2  sizeof(StorvspPacket)

QEMU_BUILD_BUG_ON(sizeof(StorvspSrb) != 0x34);
QEMU_BUILD_BUG_ON(STORVSP_SRB_SIZE_V1 != 0x24);
QEMU_BUILD_BUG_ON(sizeof(StorvspChannelProps) != 24);
QEMU_BUILD_BUG_ON(sizeof(StorvspVersionMsg) != 4);
QEMU_BUILD_BUG_ON(sizeof(StorvspFcWwn) != 36);
QEMU_BUILD_BUG_ON(STORVSP_PACKET_HDR_SIZE != 12);
QEMU_BUILD_BUG_ON(STORVSP_PACKET_SIZE_V1 != 48);
QEMU_BUILD_BUG_ON(sizeof(StorvspPacket) != 64);

#endif
