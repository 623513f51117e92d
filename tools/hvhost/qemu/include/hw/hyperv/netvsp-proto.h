/*
 * Hyper-V synthetic network adapter: the wire formats of NVSP (the VMBus
 * protocol of the network VSP) and of the RNDIS messages it carries.
 *
 * All fields are little-endian.  Written from the descriptions in Linux's
 * drivers/net/hyperv/hyperv_net.h and include/linux/rndis.h, FreeBSD's
 * sys/dev/hyperv/netvsc (if_hnreg.h, ndis.h) and OpenVMM's netvsp; the
 * upstream guest driver checks every structure here (DESIGN.md, step 1).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_HYPERV_NETVSP_PROTO_H
#define HW_HYPERV_NETVSP_PROTO_H

#define NETVSP_CLASS_ID "f8615163-df3e-46c5-913f-f2d2f965ed0e"

/* ---- NVSP ---- */

/* protocol versions: major << 16 | minor, except the first */
#define NVSP_VERSION_1          0x00002
#define NVSP_VERSION_2          0x30002
#define NVSP_VERSION_4          0x40000
#define NVSP_VERSION_5          0x50000
#define NVSP_VERSION_6          0x60000
#define NVSP_VERSION_61         0x60001

enum {
    NVSP_MSG_INIT = 1,
    NVSP_MSG_INIT_COMPLETE = 2,

    NVSP_MSG1_SEND_NDIS_VERSION = 100,
    NVSP_MSG1_SEND_RECV_BUF,
    NVSP_MSG1_SEND_RECV_BUF_COMPLETE,
    NVSP_MSG1_REVOKE_RECV_BUF,
    NVSP_MSG1_SEND_SEND_BUF,
    NVSP_MSG1_SEND_SEND_BUF_COMPLETE,
    NVSP_MSG1_REVOKE_SEND_BUF,
    NVSP_MSG1_SEND_RNDIS_PKT,
    NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE,

    /* v2: 109-124 chimney/VMQ messages, none used by today's guests */
    NVSP_MSG2_SEND_NDIS_CONFIG = 125,

    NVSP_MSG4_SEND_VF_ASSOCIATION = 128,
    NVSP_MSG4_SWITCH_DATA_PATH,
    NVSP_MSG4_UPLINK_CONNECT_STATE,

    NVSP_MSG5_OID_QUERY_EX = 131,
    NVSP_MSG5_OID_QUERY_EX_COMPLETE,
    NVSP_MSG5_SUBCHANNEL,
    NVSP_MSG5_SEND_INDIRECTION_TABLE,
};

enum {
    NVSP_STATUS_NONE = 0,
    NVSP_STATUS_SUCCESS,
    NVSP_STATUS_FAILURE,
    NVSP_STATUS_PROTOCOL_TOO_NEW,
    NVSP_STATUS_PROTOCOL_TOO_OLD,
    NVSP_STATUS_INVALID_RNDIS_PACKET,
    NVSP_STATUS_BUSY,
    NVSP_STATUS_PROTOCOL_UNSUPPORTED,
};

/* NVSP_MSG1_SEND_RNDIS_PKT channel_type */
#define NVSP_RNDIS_CHANNEL_DATA     0
#define NVSP_RNDIS_CHANNEL_CONTROL  1

#define NVSP_SECTION_NONE           0xffffffffu

#define NVSP_SUBCHANNEL_ALLOCATE    1

typedef struct NvspRecvSection {
    uint32_t offset;
    uint32_t sub_alloc_size;
    uint32_t num_sub_allocs;
    uint32_t end_offset;
} QEMU_PACKED NvspRecvSection;

/*
 * One NVSP message: a type and the union of the bodies.  Guests send (and
 * Linux expects) the whole union's size; the bodies are at most 36 bytes.
 */
typedef struct NvspMessage {
    uint32_t type;
    union {
        struct {
            uint32_t min_version;
            uint32_t max_version;
        } QEMU_PACKED init;
        struct {
            uint32_t version;
            uint32_t max_mdl_chain_len;
            uint32_t status;
        } QEMU_PACKED init_complete;
        struct {
            uint32_t major;
            uint32_t minor;
        } QEMU_PACKED ndis_version;
        struct {
            uint32_t gpadl;
            uint16_t id;
        } QEMU_PACKED buf;              /* SEND_RECV_BUF, SEND_SEND_BUF */
        struct {
            uint32_t status;
            uint32_t num_sections;
            NvspRecvSection section;
        } QEMU_PACKED recv_buf_complete;
        struct {
            uint32_t status;
            uint32_t section_size;
        } QEMU_PACKED send_buf_complete;
        struct {
            uint16_t id;
        } QEMU_PACKED revoke;
        struct {
            uint32_t channel_type;
            uint32_t section_index;
            uint32_t section_size;
        } QEMU_PACKED rndis;
        struct {
            uint32_t status;
        } QEMU_PACKED rndis_complete;
        struct {
            uint32_t mtu;
            uint32_t reserved;
            uint64_t capabilities;
        } QEMU_PACKED ndis_config;
        struct {
            uint32_t allocated;
            uint32_t serial;
        } QEMU_PACKED vf_association;
        struct {
            uint32_t datapath;
        } QEMU_PACKED switch_datapath;
        struct {
            uint32_t op;
            uint32_t count;
        } QEMU_PACKED subchannel;       /* request */
        struct {
            uint32_t status;
            uint32_t count;
        } QEMU_PACKED subchannel_complete;
        struct {
            uint32_t count;
            uint32_t offset;            /* from the start of this struct */
        } QEMU_PACKED send_table;
        uint8_t raw[36];
    };
} QEMU_PACKED NvspMessage;

QEMU_BUILD_BUG_ON(sizeof(NvspMessage) != 40);
QEMU_BUILD_BUG_ON(sizeof(NvspRecvSection) != 16);

#define NVSP_HDR_SIZE           4

/* ---- RNDIS ---- */

#define RNDIS_MSG_PACKET        0x00000001
#define RNDIS_MSG_INIT          0x00000002
#define RNDIS_MSG_HALT          0x00000003
#define RNDIS_MSG_QUERY         0x00000004
#define RNDIS_MSG_SET           0x00000005
#define RNDIS_MSG_RESET         0x00000006
#define RNDIS_MSG_INDICATE      0x00000007
#define RNDIS_MSG_KEEPALIVE     0x00000008
#define RNDIS_MSG_COMPLETION    0x80000000

#define RNDIS_STATUS_SUCCESS            0x00000000
#define RNDIS_STATUS_MEDIA_CONNECT      0x4001000b
#define RNDIS_STATUS_MEDIA_DISCONNECT   0x4001000c
#define RNDIS_STATUS_FAILURE            0xc0000001
#define RNDIS_STATUS_NOT_SUPPORTED      0xc00000bb
#define RNDIS_STATUS_INVALID_LENGTH     0xc0010014
#define RNDIS_STATUS_INVALID_DATA       0xc0010015
#define RNDIS_STATUS_BUFFER_TOO_SHORT   0xc0010016

#define RNDIS_MAJOR_VERSION     1
#define RNDIS_MINOR_VERSION     0
#define RNDIS_DF_CONNECTIONLESS 0x00000001
#define RNDIS_MEDIUM_802_3      0

/* every RNDIS message starts with type and length (of the whole message) */
#define RNDIS_HDR_SIZE          8

typedef struct RndisInitRequest {
    uint32_t req_id;
    uint32_t major;
    uint32_t minor;
    uint32_t max_transfer;
} QEMU_PACKED RndisInitRequest;

typedef struct RndisInitComplete {
    uint32_t req_id;
    uint32_t status;
    uint32_t major;
    uint32_t minor;
    uint32_t flags;
    uint32_t medium;
    uint32_t max_packets;
    uint32_t max_transfer;
    uint32_t align_shift;       /* packets aligned to 1 << align_shift */
    uint32_t af_list_offset;
    uint32_t af_list_size;
} QEMU_PACKED RndisInitComplete;

/* QUERY and SET requests; info offset from the start of this struct */
typedef struct RndisOidRequest {
    uint32_t req_id;
    uint32_t oid;
    uint32_t info_len;
    uint32_t info_offset;
    uint32_t vc_handle;
} QEMU_PACKED RndisOidRequest;

typedef struct RndisQueryComplete {
    uint32_t req_id;
    uint32_t status;
    uint32_t info_len;
    uint32_t info_offset;       /* from the start of this struct */
} QEMU_PACKED RndisQueryComplete;

/* SET, RESET (no req_id: addressing_reset instead), KEEPALIVE answers */
typedef struct RndisStatusComplete {
    uint32_t req_id;
    uint32_t status;
} QEMU_PACKED RndisStatusComplete;

typedef struct RndisIndicate {
    uint32_t status;
    uint32_t buf_len;
    uint32_t buf_offset;        /* from the start of this struct */
} QEMU_PACKED RndisIndicate;

/* offsets from the start of this struct (after the 8-byte header) */
typedef struct RndisPacket {
    uint32_t data_offset;
    uint32_t data_len;
    uint32_t oob_offset;
    uint32_t oob_len;
    uint32_t oob_count;
    uint32_t ppi_offset;
    uint32_t ppi_len;
    uint32_t vc_handle;
    uint32_t reserved;
} QEMU_PACKED RndisPacket;

/* per-packet information, a list in the packet */
typedef struct RndisPpi {
    uint32_t size;              /* of this entry, data included */
    uint32_t type;              /* bit 31: internal (Hyper-V's own) */
    uint32_t offset;            /* of the data, from the entry's start */
} QEMU_PACKED RndisPpi;

#define RNDIS_PPI_INTERNAL      0x80000000u

enum {
    RNDIS_PPI_CHECKSUM = 0,
    RNDIS_PPI_LSO = 2,
    RNDIS_PPI_VLAN = 6,
    RNDIS_PPI_HASH_VALUE = 8,
};

/* RNDIS_PPI_CHECKSUM, sent by the guest */
#define NDIS_TXCSUM_IPV4        (1u << 0)
#define NDIS_TXCSUM_IPV6        (1u << 1)
#define NDIS_TXCSUM_TCP         (1u << 2)
#define NDIS_TXCSUM_UDP         (1u << 3)
#define NDIS_TXCSUM_IP          (1u << 4)
#define NDIS_TXCSUM_L4_OFFSET(v) (((v) >> 16) & 0x3ff)
/* RNDIS_PPI_CHECKSUM, sent by the host */
#define NDIS_RXCSUM_TCP_OK      (1u << 3)
#define NDIS_RXCSUM_UDP_OK      (1u << 4)
#define NDIS_RXCSUM_IP_OK       (1u << 5)

/* RNDIS_PPI_LSO (large send v2) */
#define NDIS_LSO_MSS(v)         ((v) & 0xfffff)
#define NDIS_LSO_L4_OFFSET(v)   (((v) >> 20) & 0x3ff)
#define NDIS_LSO_TYPE_V2        (1u << 30)
#define NDIS_LSO_IPV6           (1u << 31)

/* RNDIS_PPI_VLAN */
#define NDIS_VLAN_PRIO(v)       ((v) & 7)
#define NDIS_VLAN_ID(v)         (((v) >> 4) & 0xfff)

/* OIDs */
#define OID_GEN_SUPPORTED_LIST              0x00010101
#define OID_GEN_MAXIMUM_FRAME_SIZE          0x00010106
#define OID_GEN_LINK_SPEED                  0x00010107
#define OID_GEN_CURRENT_PACKET_FILTER       0x0001010e
#define OID_GEN_MAXIMUM_TOTAL_SIZE          0x00010111
#define OID_GEN_MEDIA_CONNECT_STATUS        0x00010114
#define OID_GEN_RECEIVE_SCALE_CAPABILITIES  0x00010203
#define OID_GEN_RECEIVE_SCALE_PARAMETERS    0x00010204
#define OID_GEN_RNDIS_CONFIG_PARAMETER      0x0001021b
#define OID_GEN_FRIENDLY_NAME               0x00020216
#define OID_802_3_PERMANENT_ADDRESS         0x01010101
#define OID_802_3_CURRENT_ADDRESS           0x01010102
#define OID_802_3_MULTICAST_LIST            0x01010103
#define OID_TCP_OFFLOAD_PARAMETERS          0xfc01020c
#define OID_TCP_OFFLOAD_HARDWARE_CAPS       0xfc01020d

#define NDIS_MEDIA_STATE_CONNECTED      0
#define NDIS_MEDIA_STATE_DISCONNECTED   1

#define NDIS_PACKET_TYPE_DIRECTED       0x01
#define NDIS_PACKET_TYPE_MULTICAST      0x02
#define NDIS_PACKET_TYPE_ALL_MULTICAST  0x04
#define NDIS_PACKET_TYPE_BROADCAST      0x08
#define NDIS_PACKET_TYPE_PROMISCUOUS    0x20

typedef struct NdisObjectHeader {
    uint8_t type;
    uint8_t revision;
    uint16_t size;
} QEMU_PACKED NdisObjectHeader;

#define NDIS_OBJECT_TYPE_DEFAULT            0x80
#define NDIS_OBJECT_TYPE_RSS_CAPABILITIES   0x88
#define NDIS_OBJECT_TYPE_RSS_PARAMETERS     0x89
#define NDIS_OBJECT_TYPE_OFFLOAD            0xa7

/* OID_TCP_OFFLOAD_HARDWARE_CAPS: NDIS_OFFLOAD */
#define NDIS_OFFLOAD_ENCAP_8023     0x0002
#define NDIS_TXCSUM_CAP_IP4OPT      0x001
#define NDIS_TXCSUM_CAP_TCP4OPT     0x004
#define NDIS_TXCSUM_CAP_TCP4        0x010
#define NDIS_TXCSUM_CAP_UDP4        0x040
#define NDIS_TXCSUM_CAP_IP4         0x100
#define NDIS_TXCSUM_CAP_IP6EXT      0x001
#define NDIS_TXCSUM_CAP_TCP6OPT     0x004
#define NDIS_TXCSUM_CAP_TCP6        0x010
#define NDIS_TXCSUM_CAP_UDP6        0x040
#define NDIS_LSOV2_CAP_IP6EXT       0x001
#define NDIS_LSOV2_CAP_TCP6OPT      0x004

typedef struct NdisOffload {
    NdisObjectHeader hdr;
    struct {
        uint32_t ip4_tx_encap, ip4_tx, ip4_rx_encap, ip4_rx;
        uint32_t ip6_tx_encap, ip6_tx, ip6_rx_encap, ip6_rx;
    } QEMU_PACKED csum;
    uint32_t lsov1[4];
    uint32_t ipsecv1[7];
    struct {
        uint32_t ip4_encap, ip4_max_size, ip4_min_segs;
        uint32_t ip6_encap, ip6_max_size, ip6_min_segs, ip6_opts;
    } QEMU_PACKED lsov2;
    uint32_t flags;
    /* NDIS 6.1 */
    uint8_t ipsecv2[40];
    /* NDIS 6.30 */
    uint16_t rsc_ip4, rsc_ip6;
    uint32_t encap_flags, encap_max_header;
} QEMU_PACKED NdisOffload;

#define NDIS_OFFLOAD_SIZE_6_0   112
#define NDIS_OFFLOAD_SIZE_6_1   152
QEMU_BUILD_BUG_ON(sizeof(NdisOffload) != 164);

/* OID_TCP_OFFLOAD_PARAMETERS: NDIS_OFFLOAD_PARAMETERS */
#define NDIS_OFFLOAD_PARAM_NO_CHANGE    0
#define NDIS_OFFLOAD_PARAM_TX_RX_OFF    1   /* LSO: 1 off, 2 on */
#define NDIS_OFFLOAD_PARAM_TX_ONLY      2
#define NDIS_OFFLOAD_PARAM_RX_ONLY      3
#define NDIS_OFFLOAD_PARAM_TX_RX        4
#define NDIS_OFFLOAD_PARAM_LSO_OFF      1
#define NDIS_OFFLOAD_PARAM_LSO_ON       2

typedef struct NdisOffloadParams {
    NdisObjectHeader hdr;
    uint8_t ip4_csum;
    uint8_t tcp4_csum;
    uint8_t udp4_csum;
    uint8_t tcp6_csum;
    uint8_t udp6_csum;
    uint8_t lsov1;
    uint8_t ipsecv1;
    uint8_t lsov2_ip4;
    uint8_t lsov2_ip6;
    uint8_t tcp_conn_ip4;
    uint8_t tcp_conn_ip6;
    uint8_t pad;
    uint32_t flags;
    /* revision 2 (the first 22 bytes are what NVSP <= 4 guests send) */
    uint8_t ipsecv2;
    uint8_t ipsecv2_ip4;
    /* revision 3 */
    uint8_t rsc_ip4;
    uint8_t rsc_ip6;
    uint8_t encap_offload;
    uint8_t encap_types;
} QEMU_PACKED NdisOffloadParams;

#define NDIS_OFFLOAD_PARAMS_SIZE_MIN    20
QEMU_BUILD_BUG_ON(sizeof(NdisOffloadParams) != 26);

/* OID_GEN_RECEIVE_SCALE_CAPABILITIES */
typedef struct NdisRssCaps {
    NdisObjectHeader hdr;
    uint32_t flags;
    uint32_t num_interrupts;
    uint32_t num_queues;
    uint16_t num_table_entries;
} QEMU_PACKED NdisRssCaps;

QEMU_BUILD_BUG_ON(sizeof(NdisRssCaps) != 18);

#define NDIS_RSS_CAPS_HASH_TCP_IPV4     0x00000100
#define NDIS_RSS_CAPS_HASH_TCP_IPV6     0x00000200

/* OID_GEN_RECEIVE_SCALE_PARAMETERS */
typedef struct NdisRssParams {
    NdisObjectHeader hdr;
    uint16_t flags;
    uint16_t base_cpu;
    uint32_t hash_info;
    uint16_t table_size;        /* bytes: 4 per entry */
    uint16_t pad0;
    uint32_t table_offset;      /* from the start of this struct */
    uint16_t key_size;
    uint16_t pad1;
    uint32_t key_offset;
    uint32_t cpu_masks_offset;
    uint32_t cpu_masks_count;
    uint32_t cpu_masks_entry_size;
} QEMU_PACKED NdisRssParams;

QEMU_BUILD_BUG_ON(sizeof(NdisRssParams) != 40);

#define NDIS_RSS_FLAG_DISABLE           0x0010
#define NDIS_HASH_FUNC_TOEPLITZ         0x00000001
#define NDIS_HASH_IPV4                  0x00000100
#define NDIS_HASH_TCP_IPV4              0x00000200
#define NDIS_HASH_IPV6                  0x00000400
#define NDIS_HASH_TCP_IPV6              0x00001000

#define NDIS_RSS_KEY_SIZE               40
#define NDIS_RSS_TABLE_MAX              128

#endif
