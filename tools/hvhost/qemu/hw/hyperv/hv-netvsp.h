/*
 * Hyper-V synthetic network adapter: state shared by the NVSP side
 * (hv-netvsp.c: channels, buffers, the net back-end) and the RNDIS side
 * (hv-rndis.c: control messages, packets, offloads, RSS).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_HYPERV_HV_NETVSP_H
#define HW_HYPERV_HV_NETVSP_H

#include "hw/hyperv/hyperv.h"
#include "hw/hyperv/vmbus.h"
#include "hw/hyperv/netvsp-proto.h"
#include "net/net.h"

#define TYPE_HV_NETVSP "hv-netvsp"
OBJECT_DECLARE_SIMPLE_TYPE(HvNetvsp, HV_NETVSP)

/* the largest RNDIS message the host takes from the guest (LSO frames) */
#define NETVSP_MAX_GUEST_MSG    (128 * 1024)
/* the largest frame the guest may configure (NVSP >= 2) */
#define NETVSP_MAX_MTU          65535
/* room for the RNDIS header and the host's per-packet information */
#define NETVSP_RX_OVERHEAD      256

typedef enum NetvspState {
    NETVSP_INIT,                /* waiting for NVSP_MSG_INIT */
    NETVSP_READY,               /* version agreed */
} NetvspState;

typedef enum RndisState {
    RNDIS_UNINITIALIZED,
    RNDIS_INITIALIZED,
} RndisState;

typedef struct HvNetvspChan {
    /* completions waiting for room in the guest's ring, oldest first */
    GQueue pending;
    uint64_t rx_packets, rx_bytes, rx_dropped;
    uint64_t tx_packets, tx_bytes;
} HvNetvspChan;

struct HvNetvsp {
    VMBusDevice parent_obj;

    NICConf conf;
    NICState *nic;

    /* properties */
    uint16_t max_subchannels;
    uint32_t max_version_prop;  /* 0: the profile's */
    uint32_t link_speed_mbps;
    bool offload;

    /* NVSP session (the primary channel's) */
    NetvspState state;
    uint32_t version;           /* negotiated */
    uint32_t max_version;       /* the profile's, at open */
    uint32_t ndis_version;      /* major << 16 | minor, as the guest said */
    uint32_t mtu;               /* frame size (with the Ethernet header) */

    /* receive buffer: the guest's, the host fills sections of it */
    VMBusGpadl *rx_gpadl;
    uint16_t rx_id;
    uint32_t rx_len;
    uint32_t rx_section_size;
    uint32_t rx_sections;
    unsigned long *rx_map;      /* sections handed to the guest */
    uint32_t rx_hint;
    uint32_t rx_used;
    bool rx_blocked;            /* the back-end holds packets for us */

    /* send buffer: the guest's, it sends packets in sections of it */
    VMBusGpadl *tx_gpadl;
    uint16_t tx_id;
    uint32_t tx_len;
    uint32_t tx_section_size;
    uint32_t tx_sections;

    uint16_t nchan;             /* offered at most */
    uint16_t subchannels;       /* the guest asked for */
    HvNetvspChan *chans;

    /* RNDIS (hv-rndis.c) */
    RndisState rndis_state;
    uint32_t packet_filter;
    uint8_t mac[6];             /* current address */
    bool link_down;
    bool tx_csum4, tx_csum6, tx_udp4, tx_udp6, lso4, lso6;
    bool rss_on;
    uint32_t rss_hash_info;
    uint8_t rss_key[NDIS_RSS_KEY_SIZE];
    uint16_t rss_table[NDIS_RSS_TABLE_MAX];
    uint16_t rss_table_size;
    uint64_t rss_hashed;
    /* control answers waiting for room in the receive buffer or ring */
    GQueue ctl_queue;
    uint8_t *tx_buf;            /* one guest message, gathered */
    uint8_t *rx_buf;            /* one message to the guest, assembled */
    uint8_t *seg_buf;           /* one segment of a large send */

    uint64_t errors, rx_no_room, ctl_msgs, indications;
    HvLogLimit log_limit;
};

#define netvsp_bad(s, ...) do { \
        (s)->errors++; \
        hyperv_log_guest(&(s)->log_limit, TYPE_HV_NETVSP, __VA_ARGS__); \
    } while (0)

/* hv-netvsp.c: hand one RNDIS message to the guest on channel @idx */
bool netvsp_send_rndis(HvNetvsp *s, uint16_t idx, const void *msg,
                       uint32_t len);
/* hv-netvsp.c: is channel @idx open and usable for receive? */
bool netvsp_chan_ready(HvNetvsp *s, uint16_t idx);

/* hv-rndis.c */
void rndis_reset(HvNetvsp *s);
/* one RNDIS message stream from the guest; an NVSP status */
uint32_t rndis_from_guest(HvNetvsp *s, uint16_t idx, bool control,
                          uint8_t *buf, uint32_t len);
/* a frame from the back-end; false: no room now, try again later */
bool rndis_to_guest(HvNetvsp *s, const uint8_t *frame, size_t len,
                    bool *dropped);
void rndis_queue_ctl(HvNetvsp *s, const void *msg, uint32_t len);
bool rndis_flush_ctl(HvNetvsp *s);
void rndis_link_changed(HvNetvsp *s);

#endif
