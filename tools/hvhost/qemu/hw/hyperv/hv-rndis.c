/*
 * Hyper-V synthetic network adapter: the RNDIS device behind NetVSP
 *
 * hv-netvsp.c hands over every RNDIS message stream the guest sends
 * (control or data; several messages may share one send-buffer section)
 * and every frame the back-end delivers; this file answers the control
 * messages (INITIALIZE, QUERY, SET, RESET, KEEPALIVE, HALT), sends the
 * guest's frames to the back-end and builds the guest's receive packets.
 *
 * OIDs queried: permanent and current address, maximum frame size (the MTU
 * the guest gave in NVSP's NDIS config), link speed (property speed=, in
 * Mbit/s), media connect status (QMP set_link), packet filter, friendly
 * name, the offload capabilities (NDIS_OFFLOAD: TCP/UDP checksums for IPv4
 * and IPv6, large send v2 for both; none with offload=off) and from NVSP 5
 * the RSS capabilities (one queue per channel, 128 table entries).  Set:
 * packet filter, current address (also as the NetworkAddress config
 * parameter), multicast list, offload parameters and RSS parameters
 * (Toeplitz key and indirection table; frames are then hashed onto the
 * channels the table names, and carry their hash value).
 *
 * The back-ends used in tests have no vnet header, so offloads are done
 * here: checksums filled in and large sends cut into MSS-sized segments
 * before the frames go out.  Received frames carry no checksum information
 * (the guest checks them itself).
 *
 * Unknown OIDs get RNDIS_STATUS_NOT_SUPPORTED, malformed messages
 * RNDIS_STATUS_INVALID_DATA or an NVSP failure; both are logged
 * (ratelimited) and counted in the status property's errors.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "net/checksum.h"
#include "net/eth.h"
#include "hv-netvsp.h"
#include "trace.h"

/* control answers held at once before the device stops taking more */
#define RNDIS_CTL_QUEUE_MAX     64
/* room for the largest answer: a query's data */
#define RNDIS_ANSWER_MAX        512
#define RNDIS_PKT_HDR_SIZE      (RNDIS_HDR_SIZE + sizeof(RndisPacket))

static const uint8_t rndis_default_key[NDIS_RSS_KEY_SIZE] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
    0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
    0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
    0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
    0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

void rndis_reset(HvNetvsp *s)
{
    s->rndis_state = RNDIS_UNINITIALIZED;
    s->packet_filter = 0;
    s->tx_csum4 = s->tx_csum6 = s->tx_udp4 = s->tx_udp6 = false;
    s->lso4 = s->lso6 = false;
    s->rss_on = false;
    s->rss_hash_info = 0;
    memcpy(s->rss_key, rndis_default_key, sizeof(s->rss_key));
    memset(s->rss_table, 0, sizeof(s->rss_table));
    s->rss_table_size = 1;
    g_queue_clear_full(&s->ctl_queue, (GDestroyNotify)g_bytes_unref);
}

/* ------------------------------------------------------------------ */
/* Control answers                                                    */
/* ------------------------------------------------------------------ */

bool rndis_flush_ctl(HvNetvsp *s)
{
    GBytes *b;

    while ((b = g_queue_peek_head(&s->ctl_queue))) {
        gsize len;
        const void *data = g_bytes_get_data(b, &len);

        if (!netvsp_send_rndis(s, 0, data, len)) {
            return false;
        }
        g_bytes_unref(g_queue_pop_head(&s->ctl_queue));
    }
    return true;
}

void rndis_queue_ctl(HvNetvsp *s, const void *msg, uint32_t len)
{
    s->ctl_msgs++;
    if (g_queue_is_empty(&s->ctl_queue) && netvsp_send_rndis(s, 0, msg, len)) {
        return;
    }
    if (g_queue_get_length(&s->ctl_queue) >= RNDIS_CTL_QUEUE_MAX) {
        netvsp_bad(s, "%u RNDIS answers wait for the guest's receive "
                   "buffer: answer dropped", RNDIS_CTL_QUEUE_MAX);
        return;
    }
    g_queue_push_tail(&s->ctl_queue, g_bytes_new(msg, len));
}

/* an answer: header, then @body of @body_len bytes */
static void rndis_answer(HvNetvsp *s, uint32_t type, const void *body,
                         uint32_t body_len)
{
    uint8_t buf[RNDIS_HDR_SIZE + RNDIS_ANSWER_MAX];

    assert(body_len <= RNDIS_ANSWER_MAX);
    stl_le_p(buf, type | RNDIS_MSG_COMPLETION);
    stl_le_p(buf + 4, RNDIS_HDR_SIZE + body_len);
    memcpy(buf + RNDIS_HDR_SIZE, body, body_len);
    rndis_queue_ctl(s, buf, RNDIS_HDR_SIZE + body_len);
}

void rndis_link_changed(HvNetvsp *s)
{
    uint8_t buf[RNDIS_HDR_SIZE + sizeof(RndisIndicate)];
    RndisIndicate ind = {
        .status = s->link_down ? RNDIS_STATUS_MEDIA_DISCONNECT :
                                 RNDIS_STATUS_MEDIA_CONNECT,
        .buf_len = 0,
        .buf_offset = sizeof(RndisIndicate),
    };

    if (s->rndis_state != RNDIS_INITIALIZED) {
        return;
    }
    s->indications++;
    stl_le_p(buf, RNDIS_MSG_INDICATE);
    stl_le_p(buf + 4, sizeof(buf));
    memcpy(buf + RNDIS_HDR_SIZE, &ind, sizeof(ind));
    rndis_queue_ctl(s, buf, sizeof(buf));
}

/* ------------------------------------------------------------------ */
/* QUERY                                                              */
/* ------------------------------------------------------------------ */

static uint32_t rndis_query_offload(HvNetvsp *s, const uint8_t *in,
                                    uint32_t in_len, uint8_t *out,
                                    uint32_t *out_len)
{
    NdisOffload o = {};
    uint32_t size = NDIS_OFFLOAD_SIZE_6_0;
    uint8_t rev = 1;

    /* the guest says which revision (and size) it understands */
    if (in_len >= sizeof(NdisObjectHeader)) {
        const NdisObjectHeader *h = (const NdisObjectHeader *)in;

        rev = MAX(h->revision, 1);
        size = MIN(MAX(lduw_le_p(&h->size), NDIS_OFFLOAD_SIZE_6_0),
                   sizeof(o));
    }
    o.hdr.type = NDIS_OBJECT_TYPE_OFFLOAD;
    o.hdr.revision = rev;
    o.hdr.size = size;
    if (s->offload) {
        o.csum.ip4_tx_encap = NDIS_OFFLOAD_ENCAP_8023;
        o.csum.ip4_tx = NDIS_TXCSUM_CAP_IP4 | NDIS_TXCSUM_CAP_IP4OPT |
                        NDIS_TXCSUM_CAP_TCP4 | NDIS_TXCSUM_CAP_TCP4OPT |
                        NDIS_TXCSUM_CAP_UDP4;
        o.csum.ip6_tx_encap = NDIS_OFFLOAD_ENCAP_8023;
        o.csum.ip6_tx = NDIS_TXCSUM_CAP_IP6EXT | NDIS_TXCSUM_CAP_TCP6 |
                        NDIS_TXCSUM_CAP_TCP6OPT | NDIS_TXCSUM_CAP_UDP6;
        o.lsov2.ip4_encap = NDIS_OFFLOAD_ENCAP_8023;
        o.lsov2.ip4_max_size = 62768;
        o.lsov2.ip4_min_segs = 2;
        o.lsov2.ip6_encap = NDIS_OFFLOAD_ENCAP_8023;
        o.lsov2.ip6_max_size = 62768;
        o.lsov2.ip6_min_segs = 2;
        o.lsov2.ip6_opts = NDIS_LSOV2_CAP_IP6EXT | NDIS_LSOV2_CAP_TCP6OPT;
    }
    memcpy(out, &o, size);
    *out_len = size;
    return RNDIS_STATUS_SUCCESS;
}

static uint32_t rndis_query_oid(HvNetvsp *s, uint32_t oid, const uint8_t *in,
                                uint32_t in_len, uint8_t *out,
                                uint32_t *out_len)
{
    static const char name[] = "Network Adapter";
    NdisRssCaps caps = {};
    unsigned i;

    switch (oid) {
    case OID_802_3_PERMANENT_ADDRESS:
        memcpy(out, s->conf.macaddr.a, 6);
        *out_len = 6;
        return RNDIS_STATUS_SUCCESS;
    case OID_802_3_CURRENT_ADDRESS:
        memcpy(out, s->mac, 6);
        *out_len = 6;
        return RNDIS_STATUS_SUCCESS;
    case OID_GEN_MAXIMUM_FRAME_SIZE:
        stl_le_p(out, s->mtu - ETH_HLEN);
        *out_len = 4;
        return RNDIS_STATUS_SUCCESS;
    case OID_GEN_MAXIMUM_TOTAL_SIZE:
        stl_le_p(out, s->mtu);
        *out_len = 4;
        return RNDIS_STATUS_SUCCESS;
    case OID_GEN_LINK_SPEED:
        /* in units of 100 bit/s */
        stl_le_p(out, s->link_speed_mbps * 10000u);
        *out_len = 4;
        return RNDIS_STATUS_SUCCESS;
    case OID_GEN_MEDIA_CONNECT_STATUS:
        stl_le_p(out, s->link_down ? NDIS_MEDIA_STATE_DISCONNECTED :
                                     NDIS_MEDIA_STATE_CONNECTED);
        *out_len = 4;
        return RNDIS_STATUS_SUCCESS;
    case OID_GEN_CURRENT_PACKET_FILTER:
        stl_le_p(out, s->packet_filter);
        *out_len = 4;
        return RNDIS_STATUS_SUCCESS;
    case OID_GEN_FRIENDLY_NAME:
        /* UTF-16, terminated */
        for (i = 0; i < sizeof(name); i++) {
            stw_le_p(out + 2 * i, name[i]);
        }
        *out_len = 2 * sizeof(name);
        return RNDIS_STATUS_SUCCESS;
    case OID_TCP_OFFLOAD_HARDWARE_CAPS:
        return rndis_query_offload(s, in, in_len, out, out_len);
    case OID_GEN_RECEIVE_SCALE_CAPABILITIES:
        if (s->version < NVSP_VERSION_5) {
            return RNDIS_STATUS_NOT_SUPPORTED;
        }
        caps.hdr.type = NDIS_OBJECT_TYPE_RSS_CAPABILITIES;
        caps.hdr.revision = 2;
        caps.hdr.size = sizeof(caps);
        caps.flags = NDIS_RSS_CAPS_HASH_TCP_IPV4 |
                     NDIS_RSS_CAPS_HASH_TCP_IPV6;
        caps.num_interrupts = s->nchan;
        caps.num_queues = s->nchan;
        caps.num_table_entries = NDIS_RSS_TABLE_MAX;
        memcpy(out, &caps, sizeof(caps));
        *out_len = sizeof(caps);
        return RNDIS_STATUS_SUCCESS;
    default:
        netvsp_bad(s, "QUERY of unknown OID 0x%08x", oid);
        return RNDIS_STATUS_NOT_SUPPORTED;
    }
}

/*
 * The information buffer of a QUERY or SET: offset from the request body,
 * inside the message.  NULL (and *len 0) when it has none; false if bad.
 */
static bool rndis_info(HvNetvsp *s, const uint8_t *msg, uint32_t mlen,
                       const RndisOidRequest *rq, const uint8_t **info,
                       uint32_t *len)
{
    uint32_t room = mlen - RNDIS_HDR_SIZE;

    *info = NULL;
    *len = 0;
    if (!rq->info_len) {
        return true;
    }
    if (rq->info_offset < sizeof(*rq) || rq->info_offset > room ||
        rq->info_len > room - rq->info_offset) {
        netvsp_bad(s, "OID 0x%08x: information at %u+%u in a message of %u",
                   rq->oid, rq->info_offset, rq->info_len, mlen);
        return false;
    }
    *info = msg + RNDIS_HDR_SIZE + rq->info_offset;
    *len = rq->info_len;
    return true;
}

static void rndis_query(HvNetvsp *s, const uint8_t *msg, uint32_t mlen)
{
    uint8_t body[sizeof(RndisQueryComplete) + RNDIS_ANSWER_MAX -
                 sizeof(RndisQueryComplete)];
    RndisQueryComplete qc = {};
    RndisOidRequest rq;
    const uint8_t *info;
    uint32_t info_len, out_len = 0;

    if (mlen < RNDIS_HDR_SIZE + sizeof(rq)) {
        netvsp_bad(s, "QUERY of %u bytes", mlen);
        return;
    }
    memcpy(&rq, msg + RNDIS_HDR_SIZE, sizeof(rq));
    qc.req_id = rq.req_id;
    if (!rndis_info(s, msg, mlen, &rq, &info, &info_len)) {
        qc.status = RNDIS_STATUS_INVALID_DATA;
    } else {
        qc.status = rndis_query_oid(s, rq.oid, info, info_len,
                                    body + sizeof(qc), &out_len);
    }
    if (qc.status != RNDIS_STATUS_SUCCESS) {
        out_len = 0;
    }
    trace_hv_netvsp_rndis(RNDIS_MSG_QUERY, rq.req_id, rq.oid, qc.status);
    qc.info_len = out_len;
    qc.info_offset = out_len ? sizeof(qc) : 0;
    memcpy(body, &qc, sizeof(qc));
    rndis_answer(s, RNDIS_MSG_QUERY, body, sizeof(qc) + out_len);
}

/* ------------------------------------------------------------------ */
/* SET                                                                */
/* ------------------------------------------------------------------ */

static bool rndis_lso_ok(uint8_t v, bool cur)
{
    return v == NDIS_OFFLOAD_PARAM_LSO_ON ? true :
           v == NDIS_OFFLOAD_PARAM_LSO_OFF ? false : cur;
}

static bool rndis_tx_csum_ok(uint8_t v, bool cur)
{
    switch (v) {
    case NDIS_OFFLOAD_PARAM_NO_CHANGE:
        return cur;
    case NDIS_OFFLOAD_PARAM_TX_ONLY:
    case NDIS_OFFLOAD_PARAM_TX_RX:
        return true;
    default:
        return false;
    }
}

static uint32_t rndis_set_offload(HvNetvsp *s, const uint8_t *in,
                                  uint32_t len)
{
    NdisOffloadParams p = {};

    if (len < NDIS_OFFLOAD_PARAMS_SIZE_MIN) {
        netvsp_bad(s, "offload parameters of %u bytes", len);
        return RNDIS_STATUS_INVALID_LENGTH;
    }
    memcpy(&p, in, MIN(len, sizeof(p)));
    if (p.hdr.type != NDIS_OBJECT_TYPE_DEFAULT) {
        netvsp_bad(s, "offload parameters of object type 0x%x", p.hdr.type);
        return RNDIS_STATUS_INVALID_DATA;
    }
    if (!s->offload &&
        (rndis_tx_csum_ok(p.tcp4_csum, false) ||
         rndis_tx_csum_ok(p.tcp6_csum, false) ||
         rndis_tx_csum_ok(p.udp4_csum, false) ||
         rndis_tx_csum_ok(p.udp6_csum, false) ||
         rndis_lso_ok(p.lsov2_ip4, false) || rndis_lso_ok(p.lsov2_ip6, false))) {
        netvsp_bad(s, "offloads asked of an adapter that offers none");
        return RNDIS_STATUS_NOT_SUPPORTED;
    }
    s->tx_csum4 = rndis_tx_csum_ok(p.tcp4_csum, s->tx_csum4);
    s->tx_csum6 = rndis_tx_csum_ok(p.tcp6_csum, s->tx_csum6);
    s->tx_udp4 = rndis_tx_csum_ok(p.udp4_csum, s->tx_udp4);
    s->tx_udp6 = rndis_tx_csum_ok(p.udp6_csum, s->tx_udp6);
    s->lso4 = rndis_lso_ok(p.lsov2_ip4, s->lso4);
    s->lso6 = rndis_lso_ok(p.lsov2_ip6, s->lso6);
    return RNDIS_STATUS_SUCCESS;
}

static uint32_t rndis_set_rss(HvNetvsp *s, const uint8_t *in, uint32_t len)
{
    NdisRssParams p;
    uint16_t table[NDIS_RSS_TABLE_MAX];
    uint32_t n = 0, i;

    if (s->version < NVSP_VERSION_5) {
        netvsp_bad(s, "RSS parameters at NVSP 0x%x", s->version);
        return RNDIS_STATUS_NOT_SUPPORTED;
    }
    if (len < sizeof(p)) {
        netvsp_bad(s, "RSS parameters of %u bytes", len);
        return RNDIS_STATUS_INVALID_LENGTH;
    }
    memcpy(&p, in, sizeof(p));
    if (p.hdr.type != NDIS_OBJECT_TYPE_RSS_PARAMETERS) {
        netvsp_bad(s, "RSS parameters of object type 0x%x", p.hdr.type);
        return RNDIS_STATUS_INVALID_DATA;
    }
    if (p.flags & NDIS_RSS_FLAG_DISABLE) {
        s->rss_on = false;
        return RNDIS_STATUS_SUCCESS;
    }
    if (!(p.flags & 0x0004)) {          /* indirection table changed */
        n = p.table_size / 4;
        if (p.table_size % 4 || n == 0 || n > NDIS_RSS_TABLE_MAX ||
            p.table_offset < sizeof(p) || p.table_offset > len ||
            p.table_size > len - p.table_offset) {
            netvsp_bad(s, "RSS indirection table of %u bytes at %u in %u",
                       p.table_size, p.table_offset, len);
            return RNDIS_STATUS_INVALID_DATA;
        }
        for (i = 0; i < n; i++) {
            uint32_t e = ldl_le_p(in + p.table_offset + 4 * i);

            if (e >= s->nchan) {
                netvsp_bad(s, "RSS indirection entry %u names channel %u "
                           "of %u", i, e, s->nchan);
                return RNDIS_STATUS_INVALID_DATA;
            }
            table[i] = e;
        }
    }
    if (!(p.flags & 0x0008)) {          /* hash key changed */
        if (p.key_size != NDIS_RSS_KEY_SIZE || p.key_offset < sizeof(p) ||
            p.key_offset > len || p.key_size > len - p.key_offset) {
            netvsp_bad(s, "RSS key of %u bytes at %u in %u", p.key_size,
                       p.key_offset, len);
            return RNDIS_STATUS_INVALID_DATA;
        }
        memcpy(s->rss_key, in + p.key_offset, NDIS_RSS_KEY_SIZE);
    }
    if (n) {
        memcpy(s->rss_table, table, n * sizeof(table[0]));
        s->rss_table_size = n;
    }
    if (!(p.flags & 0x0002)) {          /* hash information changed */
        s->rss_hash_info = p.hash_info;
    }
    s->rss_on = (s->rss_hash_info & NDIS_HASH_FUNC_TOEPLITZ) != 0;
    return RNDIS_STATUS_SUCCESS;
}

/* the NetworkAddress configuration parameter: the MAC, 12 hex digits */
static uint32_t rndis_set_config(HvNetvsp *s, const uint8_t *in, uint32_t len)
{
    static const char want[] = "NetworkAddress";
    uint32_t name_off, name_len, val_off, val_len, i;
    uint8_t mac[6] = {};

    if (len < 20) {
        netvsp_bad(s, "config parameter of %u bytes", len);
        return RNDIS_STATUS_INVALID_LENGTH;
    }
    name_off = ldl_le_p(in);
    name_len = ldl_le_p(in + 4);
    val_off = ldl_le_p(in + 12);
    val_len = ldl_le_p(in + 16);
    if (name_off > len || name_len > len - name_off ||
        val_off > len || val_len > len - val_off) {
        netvsp_bad(s, "config parameter: name %u+%u value %u+%u in %u",
                   name_off, name_len, val_off, val_len, len);
        return RNDIS_STATUS_INVALID_DATA;
    }
    if (name_len != 2 * strlen(want)) {
        return RNDIS_STATUS_SUCCESS;    /* another parameter: noted */
    }
    for (i = 0; i < strlen(want); i++) {
        if (lduw_le_p(in + name_off + 2 * i) != (uint8_t)want[i]) {
            return RNDIS_STATUS_SUCCESS;
        }
    }
    if (val_len != 24) {
        netvsp_bad(s, "NetworkAddress of %u bytes", val_len);
        return RNDIS_STATUS_INVALID_DATA;
    }
    for (i = 0; i < 12; i++) {
        uint16_t c = lduw_le_p(in + val_off + 2 * i);
        int d = g_ascii_xdigit_value(c < 0x80 ? c : 0);

        if (d < 0) {
            netvsp_bad(s, "NetworkAddress with a non-hex digit");
            return RNDIS_STATUS_INVALID_DATA;
        }
        mac[i / 2] |= d << (i % 2 ? 0 : 4);
    }
    memcpy(s->mac, mac, 6);
    return RNDIS_STATUS_SUCCESS;
}

static uint32_t rndis_set_oid(HvNetvsp *s, uint32_t oid, const uint8_t *in,
                              uint32_t len)
{
    switch (oid) {
    case OID_GEN_CURRENT_PACKET_FILTER:
        if (len < 4) {
            netvsp_bad(s, "packet filter of %u bytes", len);
            return RNDIS_STATUS_INVALID_LENGTH;
        }
        s->packet_filter = ldl_le_p(in);
        return RNDIS_STATUS_SUCCESS;
    case OID_802_3_CURRENT_ADDRESS:
        if (len < 6) {
            netvsp_bad(s, "address of %u bytes", len);
            return RNDIS_STATUS_INVALID_LENGTH;
        }
        memcpy(s->mac, in, 6);
        return RNDIS_STATUS_SUCCESS;
    case OID_802_3_MULTICAST_LIST:
        /* the filter's multicast bits decide; the list is not kept */
        return len % 6 ? RNDIS_STATUS_INVALID_LENGTH : RNDIS_STATUS_SUCCESS;
    case OID_GEN_RNDIS_CONFIG_PARAMETER:
        return rndis_set_config(s, in, len);
    case OID_TCP_OFFLOAD_PARAMETERS:
        return rndis_set_offload(s, in, len);
    case OID_GEN_RECEIVE_SCALE_PARAMETERS:
        return rndis_set_rss(s, in, len);
    default:
        netvsp_bad(s, "SET of unknown OID 0x%08x", oid);
        return RNDIS_STATUS_NOT_SUPPORTED;
    }
}

static void rndis_set(HvNetvsp *s, const uint8_t *msg, uint32_t mlen)
{
    RndisStatusComplete sc = {};
    RndisOidRequest rq;
    const uint8_t *info;
    uint32_t info_len;

    if (mlen < RNDIS_HDR_SIZE + sizeof(rq)) {
        netvsp_bad(s, "SET of %u bytes", mlen);
        return;
    }
    memcpy(&rq, msg + RNDIS_HDR_SIZE, sizeof(rq));
    sc.req_id = rq.req_id;
    if (!rndis_info(s, msg, mlen, &rq, &info, &info_len)) {
        sc.status = RNDIS_STATUS_INVALID_DATA;
    } else {
        sc.status = rndis_set_oid(s, rq.oid, info, info_len);
    }
    trace_hv_netvsp_rndis(RNDIS_MSG_SET, rq.req_id, rq.oid, sc.status);
    rndis_answer(s, RNDIS_MSG_SET, &sc, sizeof(sc));
}

/* ------------------------------------------------------------------ */
/* Other control messages                                             */
/* ------------------------------------------------------------------ */

static void rndis_init(HvNetvsp *s, const uint8_t *msg, uint32_t mlen)
{
    RndisInitComplete ic = {};
    RndisInitRequest rq;

    if (mlen < RNDIS_HDR_SIZE + sizeof(rq)) {
        netvsp_bad(s, "INITIALIZE of %u bytes", mlen);
        return;
    }
    memcpy(&rq, msg + RNDIS_HDR_SIZE, sizeof(rq));
    ic.req_id = rq.req_id;
    ic.status = RNDIS_STATUS_SUCCESS;
    ic.major = RNDIS_MAJOR_VERSION;
    ic.minor = RNDIS_MINOR_VERSION;
    ic.flags = RNDIS_DF_CONNECTIONLESS;
    ic.medium = RNDIS_MEDIUM_802_3;
    ic.max_packets = 8;
    ic.max_transfer = NETVSP_MAX_GUEST_MSG;
    ic.align_shift = 3;
    /* a second INITIALIZE starts the device over */
    rndis_reset(s);
    s->rndis_state = RNDIS_INITIALIZED;
    trace_hv_netvsp_rndis(RNDIS_MSG_INIT, rq.req_id, 0, ic.status);
    rndis_answer(s, RNDIS_MSG_INIT, &ic, sizeof(ic));
}

static bool rndis_control(HvNetvsp *s, uint32_t type, const uint8_t *msg,
                          uint32_t mlen)
{
    RndisStatusComplete sc = {};

    if (type != RNDIS_MSG_INIT && s->rndis_state != RNDIS_INITIALIZED) {
        netvsp_bad(s, "RNDIS message 0x%x before INITIALIZE", type);
        return false;
    }
    switch (type) {
    case RNDIS_MSG_INIT:
        rndis_init(s, msg, mlen);
        return true;
    case RNDIS_MSG_HALT:
        /* no answer; the guest tears the channel down next */
        s->rndis_state = RNDIS_UNINITIALIZED;
        s->packet_filter = 0;
        return true;
    case RNDIS_MSG_QUERY:
        rndis_query(s, msg, mlen);
        return true;
    case RNDIS_MSG_SET:
        rndis_set(s, msg, mlen);
        return true;
    case RNDIS_MSG_RESET:
        /* RESET_C has no request id: status, then "addressing reset" */
        s->packet_filter = 0;
        sc.req_id = RNDIS_STATUS_SUCCESS;
        sc.status = 0;
        rndis_answer(s, RNDIS_MSG_RESET, &sc, sizeof(sc));
        return true;
    case RNDIS_MSG_KEEPALIVE:
        if (mlen < RNDIS_HDR_SIZE + 4) {
            netvsp_bad(s, "KEEPALIVE of %u bytes", mlen);
            return false;
        }
        sc.req_id = ldl_le_p(msg + RNDIS_HDR_SIZE);
        sc.status = RNDIS_STATUS_SUCCESS;
        rndis_answer(s, RNDIS_MSG_KEEPALIVE, &sc, sizeof(sc));
        return true;
    default:
        netvsp_bad(s, "RNDIS message type 0x%x", type);
        return false;
    }
}

/* ------------------------------------------------------------------ */
/* Frames from the guest                                              */
/* ------------------------------------------------------------------ */

/* offset of the IP header in an Ethernet frame (one VLAN tag at most) */
static uint32_t rndis_l3_offset(const uint8_t *f, uint32_t len)
{
    if (len >= ETH_HLEN + 4 && lduw_be_p(f + 12) == ETH_P_VLAN) {
        return ETH_HLEN + 4;
    }
    return ETH_HLEN;
}

/*
 * Fill in the TCP or UDP checksum of the IPv4/IPv6 packet at @l3 whose
 * transport header is at @l4 and which ends at @end.
 */
static bool rndis_l4_csum(uint8_t *f, uint32_t l3, uint32_t l4,
                          uint32_t end, bool v6, bool tcp)
{
    uint32_t l4len = end - l4;
    uint32_t field = tcp ? 16 : 6;
    uint32_t sum;
    uint16_t c;

    if (l4 >= end || l4len < (tcp ? 20u : 8u)) {
        return false;
    }
    stw_be_p(f + l4 + field, 0);
    if (v6) {
        sum = net_checksum_add(32, f + l3 + 8);
    } else {
        sum = net_checksum_add(8, f + l3 + 12);
    }
    sum += l4len + (tcp ? IP_PROTO_TCP : IP_PROTO_UDP);
    sum += net_checksum_add(l4len, f + l4);
    c = net_checksum_finish(sum);
    if (!tcp && c == 0) {
        c = 0xffff;
    }
    stw_be_p(f + l4 + field, c);
    return true;
}

static void rndis_ip4_csum(uint8_t *f, uint32_t l3, uint32_t ihl)
{
    stw_be_p(f + l3 + 10, 0);
    stw_be_p(f + l3 + 10, net_checksum_finish(net_checksum_add(ihl,
                                                               f + l3)));
}

static void rndis_out(HvNetvsp *s, uint16_t idx, const uint8_t *f,
                      uint32_t len)
{
    if (idx < s->nchan) {
        s->chans[idx].tx_packets++;
        s->chans[idx].tx_bytes += len;
    }
    qemu_send_packet(qemu_get_queue(s->nic), f, len);
}

/* The checksums the guest left to us; false if the frame is malformed. */
static bool rndis_tx_csum(HvNetvsp *s, uint8_t *f, uint32_t len,
                          uint32_t info)
{
    bool v6 = info & NDIS_TXCSUM_IPV6;
    bool tcp = info & NDIS_TXCSUM_TCP;
    uint32_t l3 = rndis_l3_offset(f, len);
    uint32_t l4 = NDIS_TXCSUM_L4_OFFSET(info);
    uint32_t end, ihl;

    if (!(info & (NDIS_TXCSUM_TCP | NDIS_TXCSUM_UDP | NDIS_TXCSUM_IP))) {
        return true;
    }
    if ((tcp && !(v6 ? s->tx_csum6 : s->tx_csum4)) ||
        ((info & NDIS_TXCSUM_UDP) && !(v6 ? s->tx_udp6 : s->tx_udp4))) {
        netvsp_bad(s, "checksum offload 0x%x not negotiated", info);
        return false;
    }
    if (len < l3 + (v6 ? 40 : 20) || (f[l3] >> 4) != (v6 ? 6 : 4)) {
        netvsp_bad(s, "checksum offload 0x%x of no IPv%d packet", info,
                   v6 ? 6 : 4);
        return false;
    }
    if (v6) {
        end = l3 + 40 + lduw_be_p(f + l3 + 4);
        ihl = 40;
    } else {
        end = l3 + lduw_be_p(f + l3 + 2);
        ihl = (f[l3] & 0xf) * 4;
    }
    if (end > len || ihl < 20 || l3 + ihl > end) {
        netvsp_bad(s, "checksum offload: IP length past the frame");
        return false;
    }
    if (!v6 && (info & NDIS_TXCSUM_IP)) {
        rndis_ip4_csum(f, l3, ihl);
    }
    if (info & (NDIS_TXCSUM_TCP | NDIS_TXCSUM_UDP)) {
        if (l4 < l3 + ihl) {
            netvsp_bad(s, "checksum offload: transport header at %u", l4);
            return false;
        }
        if (!rndis_l4_csum(f, l3, l4, end, v6, tcp)) {
            netvsp_bad(s, "checksum offload: transport header past the "
                       "packet");
            return false;
        }
    }
    return true;
}

/* Cut a large send into segments of @mss payload bytes. */
static bool rndis_tx_lso(HvNetvsp *s, uint16_t idx, const uint8_t *f,
                         uint32_t len, uint32_t info)
{
    bool v6 = info & NDIS_LSO_IPV6;
    uint32_t mss = NDIS_LSO_MSS(info);
    uint32_t l3 = rndis_l3_offset(f, len);
    uint32_t l4 = NDIS_LSO_L4_OFFSET(info);
    uint32_t hdr, payload, off, ihl, seq;
    uint16_t ip_id;
    uint8_t flags;
    uint8_t *g = s->seg_buf;

    if (!(v6 ? s->lso6 : s->lso4)) {
        netvsp_bad(s, "large send 0x%x not negotiated", info);
        return false;
    }
    if (len < l3 + (v6 ? 40 : 20) || (f[l3] >> 4) != (v6 ? 6 : 4)) {
        netvsp_bad(s, "large send of no IPv%d packet", v6 ? 6 : 4);
        return false;
    }
    ihl = v6 ? 40 : (f[l3] & 0xf) * 4;
    if (ihl < 20 || l4 < l3 + ihl || l4 + 20 > len ||
        (!v6 && f[l3 + 9] != IP_PROTO_TCP)) {
        netvsp_bad(s, "large send: TCP header at %u of %u", l4, len);
        return false;
    }
    hdr = l4 + (f[l4 + 12] >> 4) * 4;
    if (hdr < l4 + 20 || hdr > len) {
        netvsp_bad(s, "large send: TCP header length past the frame");
        return false;
    }
    if (mss == 0 || hdr + mss > NETVSP_MAX_MTU) {
        netvsp_bad(s, "large send with MSS %u", mss);
        return false;
    }
    payload = len - hdr;
    seq = ldl_be_p(f + l4 + 4);
    ip_id = v6 ? 0 : lduw_be_p(f + l3 + 4);
    flags = f[l4 + 13];
    off = 0;
    do {
        uint32_t n = MIN(mss, payload - off);
        bool last = off + n >= payload;
        uint32_t seg = hdr + n;

        memcpy(g, f, hdr);
        memcpy(g + hdr, f + hdr + off, n);
        if (v6) {
            stw_be_p(g + l3 + 4, seg - l3 - 40);
        } else {
            stw_be_p(g + l3 + 2, seg - l3);
            stw_be_p(g + l3 + 4, ip_id++);
            rndis_ip4_csum(g, l3, ihl);
        }
        stl_be_p(g + l4 + 4, seq + off);
        g[l4 + 13] = flags;
        if (!last) {
            g[l4 + 13] &= ~(0x01 | 0x08);       /* FIN, PSH */
        }
        if (off) {
            g[l4 + 13] &= ~0x80;                /* CWR */
        }
        rndis_l4_csum(g, l3, l4, seg, v6, true);
        rndis_out(s, idx, g, seg);
        off += n;
    } while (off < payload);
    return true;
}

/*
 * The checksum, large-send and VLAN values of the per-packet information
 * list [ppi, ppi + len) (-1 where absent); false if the list is malformed.
 */
static bool rndis_ppi(HvNetvsp *s, const uint8_t *ppi, uint32_t len,
                      int64_t *csum, int64_t *lso, int64_t *vlan)
{
    while (len) {
        RndisPpi e;

        if (len < sizeof(e)) {
            netvsp_bad(s, "%u bytes of per-packet information left", len);
            return false;
        }
        memcpy(&e, ppi, sizeof(e));
        if (e.size < sizeof(e) || e.size > len || e.offset < sizeof(e) ||
            e.offset > e.size || e.size - e.offset < 4) {
            netvsp_bad(s, "per-packet information of size %u offset %u "
                       "(%u bytes left)", e.size, e.offset, len);
            return false;
        }
        switch (e.type) {
        case RNDIS_PPI_CHECKSUM:
            *csum = ldl_le_p(ppi + e.offset);
            break;
        case RNDIS_PPI_LSO:
            *lso = ldl_le_p(ppi + e.offset);
            break;
        case RNDIS_PPI_VLAN:
            *vlan = ldl_le_p(ppi + e.offset);
            break;
        }
        ppi += e.size;
        len -= e.size;
    }
    return true;
}

static uint32_t rndis_data(HvNetvsp *s, uint16_t idx, uint8_t *msg,
                           uint32_t mlen)
{
    RndisPacket p;
    uint32_t room = mlen - RNDIS_HDR_SIZE;
    int64_t csum = -1, lso = -1, vlan = -1;
    uint8_t *f;
    uint32_t len;

    if (mlen < RNDIS_PKT_HDR_SIZE) {
        netvsp_bad(s, "RNDIS packet of %u bytes", mlen);
        return NVSP_STATUS_INVALID_RNDIS_PACKET;
    }
    memcpy(&p, msg + RNDIS_HDR_SIZE, sizeof(p));
    if (p.data_offset < sizeof(p) || p.data_offset > room ||
        p.data_len > room - p.data_offset || p.data_len < ETH_HLEN) {
        netvsp_bad(s, "RNDIS packet: data at %u+%u in %u bytes",
                   p.data_offset, p.data_len, room);
        return NVSP_STATUS_INVALID_RNDIS_PACKET;
    }
    if (p.ppi_len) {
        const uint8_t *ppi = msg + RNDIS_HDR_SIZE + p.ppi_offset;

        if (p.ppi_offset < sizeof(p) || p.ppi_offset > room ||
            p.ppi_len > room - p.ppi_offset) {
            netvsp_bad(s, "RNDIS packet: per-packet information at %u+%u "
                       "in %u bytes", p.ppi_offset, p.ppi_len, room);
            return NVSP_STATUS_INVALID_RNDIS_PACKET;
        }
        if (!rndis_ppi(s, ppi, p.ppi_len, &csum, &lso, &vlan)) {
            return NVSP_STATUS_INVALID_RNDIS_PACKET;
        }
    }
    f = msg + RNDIS_HDR_SIZE + p.data_offset;
    len = p.data_len;
    if (vlan >= 0 && NDIS_VLAN_ID(vlan)) {
        /* the tag goes into the frame */
        if (len + 4 > NETVSP_MAX_GUEST_MSG - RNDIS_PKT_HDR_SIZE ||
            f - msg < 4) {
            netvsp_bad(s, "no room to tag a frame of %u bytes", len);
            return NVSP_STATUS_INVALID_RNDIS_PACKET;
        }
        memmove(f - 4, f, 12);
        f -= 4;
        stw_be_p(f + 12, ETH_P_VLAN);
        stw_be_p(f + 14, NDIS_VLAN_PRIO(vlan) << 13 | NDIS_VLAN_ID(vlan));
        len += 4;
        /* the offloads' transport header offsets move with the tag */
        if (csum > 0) {
            csum += 4 << 16;
        }
        if (lso > 0) {
            lso += 4 << 20;
        }
    }
    trace_hv_netvsp_tx(idx, len, csum < 0 ? 0 : csum, lso < 0 ? 0 : lso);
    if (s->link_down || !s->packet_filter) {
        return NVSP_STATUS_SUCCESS;             /* no wire: dropped */
    }
    if (lso > 0 && (lso & NDIS_LSO_TYPE_V2) && NDIS_LSO_MSS(lso)) {
        return rndis_tx_lso(s, idx, f, len, lso) ?
            NVSP_STATUS_SUCCESS : NVSP_STATUS_INVALID_RNDIS_PACKET;
    }
    if (len > s->mtu + 4) {
        netvsp_bad(s, "frame of %u bytes, the MTU allows %u", len,
                   s->mtu + 4);
        return NVSP_STATUS_INVALID_RNDIS_PACKET;
    }
    if (csum > 0 && !rndis_tx_csum(s, f, len, csum)) {
        return NVSP_STATUS_INVALID_RNDIS_PACKET;
    }
    rndis_out(s, idx, f, len);
    return NVSP_STATUS_SUCCESS;
}

uint32_t rndis_from_guest(HvNetvsp *s, uint16_t idx, bool control,
                          uint8_t *buf, uint32_t len)
{
    uint32_t off = 0, status = NVSP_STATUS_SUCCESS;

    while (off < len) {
        uint32_t type, mlen;

        if (len - off < RNDIS_HDR_SIZE) {
            netvsp_bad(s, "%u bytes after the last RNDIS message",
                       len - off);
            return NVSP_STATUS_INVALID_RNDIS_PACKET;
        }
        type = ldl_le_p(buf + off);
        mlen = ldl_le_p(buf + off + 4);
        if (mlen < RNDIS_HDR_SIZE || mlen > len - off) {
            netvsp_bad(s, "RNDIS message 0x%x of length %u with %u bytes "
                       "sent", type, mlen, len - off);
            return NVSP_STATUS_INVALID_RNDIS_PACKET;
        }
        if (type == RNDIS_MSG_PACKET) {
            if (s->rndis_state != RNDIS_INITIALIZED) {
                netvsp_bad(s, "RNDIS packet before INITIALIZE");
                status = NVSP_STATUS_INVALID_RNDIS_PACKET;
            } else if (rndis_data(s, idx, buf + off, mlen) !=
                       NVSP_STATUS_SUCCESS) {
                status = NVSP_STATUS_INVALID_RNDIS_PACKET;
            }
        } else if (!rndis_control(s, type, buf + off, mlen)) {
            status = NVSP_STATUS_INVALID_RNDIS_PACKET;
        }
        off += mlen;
    }
    return status;
}

/* ------------------------------------------------------------------ */
/* Frames to the guest                                                */
/* ------------------------------------------------------------------ */

static bool rndis_filter_ok(HvNetvsp *s, const uint8_t *f)
{
    uint32_t filter = s->packet_filter;

    if (filter & NDIS_PACKET_TYPE_PROMISCUOUS) {
        return true;
    }
    if (f[0] & 1) {
        if (is_broadcast_ether_addr(f)) {
            return filter & NDIS_PACKET_TYPE_BROADCAST;
        }
        return filter & (NDIS_PACKET_TYPE_ALL_MULTICAST |
                         NDIS_PACKET_TYPE_MULTICAST);
    }
    return (filter & NDIS_PACKET_TYPE_DIRECTED) && !memcmp(f, s->mac, 6);
}

/* Toeplitz hash of the frame's addresses (and TCP ports); false: none */
static bool rndis_hash(HvNetvsp *s, const uint8_t *f, size_t len,
                       uint32_t *hash)
{
    uint32_t l3 = rndis_l3_offset(f, len);
    uint8_t in[36];
    uint32_t n = 0, ihl;
    net_toeplitz_key key;
    uint16_t proto = lduw_be_p(f + l3 - 2);

    if (proto == ETH_P_IP && len >= l3 + 20 && (f[l3] >> 4) == 4 &&
        (s->rss_hash_info & (NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4))) {
        ihl = (f[l3] & 0xf) * 4;
        memcpy(in, f + l3 + 12, 8);
        n = 8;
        if ((s->rss_hash_info & NDIS_HASH_TCP_IPV4) &&
            f[l3 + 9] == IP_PROTO_TCP && ihl >= 20 &&
            !(lduw_be_p(f + l3 + 6) & 0x3fff) && len >= l3 + ihl + 4) {
            memcpy(in + 8, f + l3 + ihl, 4);
            n = 12;
        } else if (!(s->rss_hash_info & NDIS_HASH_IPV4)) {
            return false;
        }
    } else if (proto == ETH_P_IPV6 && len >= l3 + 40 &&
               (s->rss_hash_info & (NDIS_HASH_IPV6 | NDIS_HASH_TCP_IPV6))) {
        memcpy(in, f + l3 + 8, 32);
        n = 32;
        if ((s->rss_hash_info & NDIS_HASH_TCP_IPV6) &&
            f[l3 + 6] == IP_PROTO_TCP && len >= l3 + 44) {
            memcpy(in + 32, f + l3 + 40, 4);
            n = 36;
        } else if (!(s->rss_hash_info & NDIS_HASH_IPV6)) {
            return false;
        }
    } else {
        return false;
    }
    *hash = 0;
    net_toeplitz_key_init(&key, s->rss_key);
    net_toeplitz_add(hash, in, n, &key);
    return true;
}

bool rndis_to_guest(HvNetvsp *s, const uint8_t *frame, size_t len,
                    bool *dropped)
{
    uint8_t *m = s->rx_buf;
    RndisPacket p = {};
    RndisPpi ppi = {};
    uint32_t total, hash = 0;
    uint16_t idx = 0;
    bool hashed = false;

    *dropped = true;
    if (s->rndis_state != RNDIS_INITIALIZED || !s->rx_gpadl ||
        s->link_down || len < ETH_HLEN || !rndis_filter_ok(s, frame)) {
        return true;
    }
    if (len > s->mtu + 4) {
        /* bigger than the guest's MTU: a real NIC drops it too */
        if (!s->chans) {
            return true;
        }
        s->chans[0].rx_dropped++;
        return true;
    }
    /* the back-end may have more to say once the guest gave room back */
    if (!rndis_flush_ctl(s)) {
        return false;
    }
    if (s->rss_on && s->subchannels) {
        hashed = rndis_hash(s, frame, len, &hash);
        if (hashed) {
            uint16_t e = s->rss_table[hash % s->rss_table_size];

            s->rss_hashed++;
            idx = netvsp_chan_ready(s, e) ? e : 0;
        }
    }
    p.data_offset = sizeof(p) + (hashed ? sizeof(ppi) + 4 : 0);
    p.data_len = len;
    if (hashed) {
        p.ppi_offset = sizeof(p);
        p.ppi_len = sizeof(ppi) + 4;
        ppi.size = sizeof(ppi) + 4;
        ppi.type = RNDIS_PPI_HASH_VALUE;
        ppi.offset = sizeof(ppi);
        memcpy(m + RNDIS_PKT_HDR_SIZE, &ppi, sizeof(ppi));
        stl_le_p(m + RNDIS_PKT_HDR_SIZE + sizeof(ppi), hash);
    }
    total = RNDIS_HDR_SIZE + p.data_offset + len;
    stl_le_p(m, RNDIS_MSG_PACKET);
    stl_le_p(m + 4, total);
    memcpy(m + RNDIS_HDR_SIZE, &p, sizeof(p));
    memcpy(m + RNDIS_HDR_SIZE + p.data_offset, frame, len);
    if (!netvsp_send_rndis(s, idx, m, total)) {
        return false;
    }
    *dropped = false;
    s->chans[idx].rx_packets++;
    s->chans[idx].rx_bytes += len;
    return true;
}
