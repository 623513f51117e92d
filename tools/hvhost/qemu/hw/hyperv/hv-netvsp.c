/*
 * Hyper-V synthetic network adapter (NetVSP) on QEMU's network back-ends
 *
 *   -netdev user,id=n0 -device hv-netvsp,netdev=n0[,mac=...]
 *          [,subchannels=7][,max-version=0x60001][,speed=10000]
 *          [,offload=on]
 *
 *   qom-get <id> status   "state ... version ... rndis ... ch<i> rx/tx"
 *
 * This file is NVSP, the VMBus protocol of the adapter, and the glue to
 * QEMU's net layer; hv-rndis.c is the RNDIS device the packets carry.
 *
 * Protocol on the primary channel: INIT (the guest proposes a version, the
 * host answers with the one it takes), SEND_NDIS_VERSION, from NVSP 2
 * SEND_NDIS_CONFIG (the guest's MTU), SEND_RECV_BUF and SEND_SEND_BUF (two
 * GPADLs the guest shares; the host chooses their section sizes), then
 * SEND_RNDIS_PKT on every channel (RNDIS control or data, in a send-buffer
 * section or in GPA ranges) and from NVSP 5 SUBCHANNEL (vRSS: sub-channels
 * offered on request).  The host sends each frame and each RNDIS answer as
 * a transfer-page packet naming one receive-buffer section; the guest gives
 * the section back with a completion carrying the packet's transaction id.
 *
 * Versions per host profile (hv-profile of the vCPUs), the newest being the
 * release's; older ones stay for older guests:
 *
 *   WS2008 1 | WS2008 R2 2 | WS2012 4 | WS2012 R2 5 | WS2016 6 | WS2019+ 6.1
 *
 * max-version= lowers (or raises) the newest version for one adapter, e.g.
 * 0x2 to see NVSP 1 (no NDIS config: MTU 1500 only) on a newer VMBus.
 *
 * Guest mistakes (short messages, section indexes past the send buffer,
 * lengths past a section or past the GPA ranges, messages out of order,
 * unknown completions) are logged (ratelimited), answered with a failure
 * status where the message has an answer and otherwise dropped; they never
 * stop the device.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bitmap.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/uuid.h"
#include "qapi/error.h"
#include "qom/object.h"
#include "hw/core/cpu.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "system/dma.h"
#include "net/eth.h"
#include "cpu.h"
#include "hyperv-cpuid.h"
#include "hv-netvsp.h"
#include "trace.h"

/* the send buffer's sections: what Linux and Hyper-V use */
#define NETVSP_TX_SECTION_SIZE  6144

typedef struct NetvspPending {
    uint64_t tid;
    uint32_t len;
    NvspMessage msg;
} NetvspPending;

/* ------------------------------------------------------------------ */
/* Versions                                                           */
/* ------------------------------------------------------------------ */

static const uint32_t netvsp_versions[] = {
    NVSP_VERSION_1, NVSP_VERSION_2, NVSP_VERSION_4, NVSP_VERSION_5,
    NVSP_VERSION_6, NVSP_VERSION_61,
};

/* The newest version the guest's host profile knew; no profile: newest. */
static uint32_t netvsp_profile_version(void)
{
    const HypervProfile *p = first_cpu ?
        hyperv_cpu_profile(X86_CPU(first_cpu)) : NULL;

    if (!p) {
        return NVSP_VERSION_61;
    }
    if (p->major >= 10) {
        return p->build >= 17763 ? NVSP_VERSION_61 : NVSP_VERSION_6;
    }
    if (p->major < 6 || (p->major == 6 && p->minor == 0)) {
        return NVSP_VERSION_1;
    }
    switch (p->minor) {
    case 1:
        return NVSP_VERSION_2;
    case 2:
        return NVSP_VERSION_4;
    default:
        return NVSP_VERSION_5;
    }
}

/* The newest known version in [min, max] the host allows; 0 if none. */
static uint32_t netvsp_pick_version(HvNetvsp *s, uint32_t min, uint32_t max)
{
    int i;

    for (i = ARRAY_SIZE(netvsp_versions) - 1; i >= 0; i--) {
        uint32_t v = netvsp_versions[i];

        if (v <= s->max_version && v >= min && v <= max) {
            return v;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Sending to the guest                                               */
/* ------------------------------------------------------------------ */

bool netvsp_chan_ready(HvNetvsp *s, uint16_t idx)
{
    VMBusChannel *chan;

    if (idx >= s->nchan) {
        return false;
    }
    chan = vmbus_device_channel(VMBUS_DEVICE(s), idx);
    return chan && vmbus_channel_is_open(chan);
}

static bool netvsp_try_comp(VMBusChannel *chan, NetvspPending *p)
{
    if (vmbus_channel_reserve(chan, 0, p->len)) {
        return false;
    }
    vmbus_channel_send(chan, VMBUS_PACKET_COMP, NULL, 0, &p->msg, p->len,
                       false, p->tid);
    return true;
}

/* Send what waits for ring space, in order; true when nothing is left. */
static bool netvsp_flush_comps(HvNetvsp *s, uint16_t idx)
{
    VMBusChannel *chan = vmbus_device_channel(VMBUS_DEVICE(s), idx);
    HvNetvspChan *ch = &s->chans[idx];
    NetvspPending *p;

    while ((p = g_queue_peek_head(&ch->pending))) {
        if (!netvsp_try_comp(chan, p)) {
            return false;
        }
        g_free(g_queue_pop_head(&ch->pending));
    }
    return true;
}

/*
 * Answer a guest request (a completion with the request's tid).  Always
 * the whole message, zero-padded, whatever @len its body needs: Linux 6.1
 * checks an INIT_COMPLETE against the longest completion's size too.
 */
static void netvsp_complete(HvNetvsp *s, VMBusChanReq *req,
                            const NvspMessage *msg, uint32_t len)
{
    uint16_t idx = vmbus_channel_idx(req->chan);
    HvNetvspChan *ch = &s->chans[idx];
    NetvspPending *p = g_new0(NetvspPending, 1);

    p->tid = req->transaction_id;
    p->len = sizeof(p->msg);
    memcpy(&p->msg, msg, MIN(len, sizeof(p->msg)));
    if (g_queue_is_empty(&ch->pending) && netvsp_try_comp(req->chan, p)) {
        g_free(p);
        return;
    }
    g_queue_push_tail(&ch->pending, p);
}

/* A free receive section, marked used; -1 if none. */
static int64_t netvsp_rx_alloc(HvNetvsp *s)
{
    unsigned long i;

    if (!s->rx_map || s->rx_used >= s->rx_sections) {
        return -1;
    }
    i = find_next_zero_bit(s->rx_map, s->rx_sections, s->rx_hint);
    if (i >= s->rx_sections) {
        i = find_first_zero_bit(s->rx_map, s->rx_sections);
        if (i >= s->rx_sections) {
            return -1;
        }
    }
    set_bit(i, s->rx_map);
    s->rx_used++;
    s->rx_hint = i + 1 < s->rx_sections ? i + 1 : 0;
    return i;
}

static void netvsp_rx_free(HvNetvsp *s, uint32_t i)
{
    clear_bit(i, s->rx_map);
    s->rx_used--;
}

bool netvsp_send_rndis(HvNetvsp *s, uint16_t idx, const void *msg,
                       uint32_t len)
{
    VMBusChannel *chan = vmbus_device_channel(VMBUS_DEVICE(s), idx);
    struct {
        vmbus_pkt_xferpg hdr;
        vmbus_xferpg_range range;
    } QEMU_PACKED desc;
    struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
    NvspMessage nvsp = { .type = NVSP_MSG1_SEND_RNDIS_PKT };
    uint32_t nvsp_len = NVSP_HDR_SIZE + sizeof(nvsp.rndis);
    uint32_t type = ldl_le_p(msg);
    int64_t sec;

    if (!chan || !vmbus_channel_is_open(chan) || len > s->rx_section_size) {
        return false;
    }
    sec = netvsp_rx_alloc(s);
    if (sec < 0) {
        s->rx_no_room++;
        return false;
    }
    if (vmbus_iov_to_gpadl(chan, s->rx_gpadl, sec * s->rx_section_size,
                           &iov, 1) < 0) {
        /* the buffer's pages are not RAM any more: drop the message */
        netvsp_rx_free(s, sec);
        netvsp_bad(s, "receive buffer section %" PRId64 " not writable",
                   sec);
        return true;
    }
    if (vmbus_channel_reserve(chan, sizeof(desc), nvsp_len)) {
        netvsp_rx_free(s, sec);
        s->rx_no_room++;
        return false;
    }
    desc.hdr.buffer_id = s->rx_id;
    desc.hdr.sender_owns_set = 0;
    desc.hdr._reserved = 0;
    desc.hdr.rangecount = 1;
    desc.range.byte_count = len;
    desc.range.byte_offset = sec * s->rx_section_size;
    nvsp.rndis.channel_type = type == RNDIS_MSG_PACKET ?
        NVSP_RNDIS_CHANNEL_DATA : NVSP_RNDIS_CHANNEL_CONTROL;
    nvsp.rndis.section_index = NVSP_SECTION_NONE;
    nvsp.rndis.section_size = 0;
    trace_hv_netvsp_rx(idx, len, sec, 1);
    vmbus_channel_send(chan, VMBUS_PACKET_DATA_USING_XFER_PAGES, &desc,
                       sizeof(desc), &nvsp, nvsp_len, true, sec);
    return true;
}

/* ------------------------------------------------------------------ */
/* Buffers                                                            */
/* ------------------------------------------------------------------ */

static void netvsp_drop_rx_buf(HvNetvsp *s)
{
    vmbus_put_gpadl(s->rx_gpadl);
    s->rx_gpadl = NULL;
    g_free(s->rx_map);
    s->rx_map = NULL;
    s->rx_len = s->rx_sections = s->rx_section_size = 0;
    s->rx_used = s->rx_hint = 0;
}

static void netvsp_drop_tx_buf(HvNetvsp *s)
{
    vmbus_put_gpadl(s->tx_gpadl);
    s->tx_gpadl = NULL;
    s->tx_len = s->tx_sections = s->tx_section_size = 0;
}

/* receive sections hold one frame of the guest's MTU and our headers */
static uint32_t netvsp_rx_section_size(HvNetvsp *s)
{
    return ROUND_UP(s->mtu + 4 + NETVSP_RX_OVERHEAD, 64);
}

static void netvsp_session_reset(HvNetvsp *s)
{
    unsigned i;

    netvsp_drop_rx_buf(s);
    netvsp_drop_tx_buf(s);
    rndis_reset(s);
    for (i = 0; i < s->nchan; i++) {
        g_queue_clear_full(&s->chans[i].pending, g_free);
    }
    s->state = NETVSP_INIT;
    s->version = 0;
    s->ndis_version = 0;
    s->subchannels = 0;
    s->mtu = ETH_HLEN + 1500;
}

/* ------------------------------------------------------------------ */
/* NVSP messages from the guest                                       */
/* ------------------------------------------------------------------ */

/* Is the message long enough for @body bytes of body? */
static bool netvsp_len_ok(HvNetvsp *s, VMBusChanReq *req, size_t body,
                          const char *what)
{
    if (req->msglen >= NVSP_HDR_SIZE + body) {
        return true;
    }
    netvsp_bad(s, "%s of %u bytes (needs %zu)", what, req->msglen,
               NVSP_HDR_SIZE + body);
    return false;
}

static void netvsp_init(HvNetvsp *s, VMBusChanReq *req, NvspMessage *m)
{
    NvspMessage r = { .type = NVSP_MSG_INIT_COMPLETE };
    uint32_t v;

    if (!netvsp_len_ok(s, req, sizeof(m->init), "INIT")) {
        r.init_complete.status = NVSP_STATUS_FAILURE;
        netvsp_complete(s, req, &r, NVSP_HDR_SIZE + sizeof(r.init_complete));
        return;
    }
    if (s->state != NETVSP_INIT) {
        /* a second INIT starts over, as a reopened channel would */
        netvsp_session_reset(s);
    }
    v = netvsp_pick_version(s, m->init.min_version, m->init.max_version);
    trace_hv_netvsp_version(m->init.min_version, m->init.max_version,
                            s->max_version, v);
    if (v) {
        s->version = v;
        s->state = NETVSP_READY;
        r.init_complete.version = v;
        r.init_complete.max_mdl_chain_len = 34;
        r.init_complete.status = NVSP_STATUS_SUCCESS;
    } else {
        /* not an error: guests try their versions newest first */
        r.init_complete.status = NVSP_STATUS_PROTOCOL_UNSUPPORTED;
    }
    netvsp_complete(s, req, &r, NVSP_HDR_SIZE + sizeof(r.init_complete));
}

static void netvsp_recv_buf(HvNetvsp *s, VMBusChanReq *req, NvspMessage *m)
{
    NvspMessage r = { .type = NVSP_MSG1_SEND_RECV_BUF_COMPLETE };
    uint32_t len = NVSP_HDR_SIZE + sizeof(r.recv_buf_complete);
    VMBusGpadl *gpadl;
    uint32_t size, count;

    r.recv_buf_complete.status = NVSP_STATUS_FAILURE;
    if (!netvsp_len_ok(s, req, sizeof(m->buf), "SEND_RECV_BUF")) {
        netvsp_complete(s, req, &r, len);
        return;
    }
    if (s->state != NETVSP_READY || s->rx_gpadl) {
        netvsp_bad(s, "SEND_RECV_BUF %s", s->rx_gpadl ?
                   "with a receive buffer already" : "before INIT");
        netvsp_complete(s, req, &r, len);
        return;
    }
    gpadl = vmbus_get_gpadl(req->chan, m->buf.gpadl);
    if (!gpadl) {
        netvsp_bad(s, "SEND_RECV_BUF: no GPADL %u", m->buf.gpadl);
        netvsp_complete(s, req, &r, len);
        return;
    }
    size = netvsp_rx_section_size(s);
    count = vmbus_gpadl_len(gpadl) / size;
    if (count < 2) {
        netvsp_bad(s, "SEND_RECV_BUF: %u bytes hold no two frames of %u",
                   vmbus_gpadl_len(gpadl), size);
        vmbus_put_gpadl(gpadl);
        netvsp_complete(s, req, &r, len);
        return;
    }
    s->rx_gpadl = gpadl;
    s->rx_id = m->buf.id;
    s->rx_len = vmbus_gpadl_len(gpadl);
    s->rx_section_size = size;
    s->rx_sections = count;
    s->rx_map = bitmap_new(count);
    s->rx_used = s->rx_hint = 0;
    trace_hv_netvsp_buffer("receive", m->buf.gpadl, s->rx_len, size, count);
    r.recv_buf_complete.status = NVSP_STATUS_SUCCESS;
    r.recv_buf_complete.num_sections = 1;
    r.recv_buf_complete.section.offset = 0;
    r.recv_buf_complete.section.sub_alloc_size = size;
    r.recv_buf_complete.section.num_sub_allocs = count;
    r.recv_buf_complete.section.end_offset = size * count;
    netvsp_complete(s, req, &r, len);
}

static void netvsp_send_buf(HvNetvsp *s, VMBusChanReq *req, NvspMessage *m)
{
    NvspMessage r = { .type = NVSP_MSG1_SEND_SEND_BUF_COMPLETE };
    uint32_t len = NVSP_HDR_SIZE + sizeof(r.send_buf_complete);
    VMBusGpadl *gpadl;

    r.send_buf_complete.status = NVSP_STATUS_FAILURE;
    if (!netvsp_len_ok(s, req, sizeof(m->buf), "SEND_SEND_BUF")) {
        netvsp_complete(s, req, &r, len);
        return;
    }
    if (s->state != NETVSP_READY || s->tx_gpadl) {
        netvsp_bad(s, "SEND_SEND_BUF %s", s->tx_gpadl ?
                   "with a send buffer already" : "before INIT");
        netvsp_complete(s, req, &r, len);
        return;
    }
    gpadl = vmbus_get_gpadl(req->chan, m->buf.gpadl);
    if (!gpadl) {
        netvsp_bad(s, "SEND_SEND_BUF: no GPADL %u", m->buf.gpadl);
        netvsp_complete(s, req, &r, len);
        return;
    }
    if (vmbus_gpadl_len(gpadl) < NETVSP_TX_SECTION_SIZE) {
        netvsp_bad(s, "SEND_SEND_BUF: %u bytes, less than a section",
                   vmbus_gpadl_len(gpadl));
        vmbus_put_gpadl(gpadl);
        netvsp_complete(s, req, &r, len);
        return;
    }
    s->tx_gpadl = gpadl;
    s->tx_id = m->buf.id;
    s->tx_len = vmbus_gpadl_len(gpadl);
    s->tx_section_size = NETVSP_TX_SECTION_SIZE;
    s->tx_sections = s->tx_len / NETVSP_TX_SECTION_SIZE;
    trace_hv_netvsp_buffer("send", m->buf.gpadl, s->tx_len,
                           s->tx_section_size, s->tx_sections);
    r.send_buf_complete.status = NVSP_STATUS_SUCCESS;
    r.send_buf_complete.section_size = NETVSP_TX_SECTION_SIZE;
    netvsp_complete(s, req, &r, len);
}

/* Gather the RNDIS message(s) of a SEND_RNDIS_PKT; its length or -1. */
static int64_t netvsp_gather(HvNetvsp *s, VMBusChanReq *req, NvspMessage *m)
{
    uint32_t sec = m->rndis.section_index;
    uint32_t sec_len = m->rndis.section_size;
    uint64_t total = 0;
    int i;

    if (sec != NVSP_SECTION_NONE) {
        if (!s->tx_gpadl || sec >= s->tx_sections) {
            netvsp_bad(s, "SEND_RNDIS_PKT: send section %u of %u", sec,
                       s->tx_sections);
            return -1;
        }
        if (sec_len == 0 || sec_len > s->tx_section_size) {
            netvsp_bad(s, "SEND_RNDIS_PKT: %u bytes in a section of %u",
                       sec_len, s->tx_section_size);
            return -1;
        }
        if (vmbus_gpadl_to_buf(req->chan, s->tx_gpadl,
                               sec * s->tx_section_size, s->tx_buf,
                               sec_len) < 0) {
            netvsp_bad(s, "SEND_RNDIS_PKT: send section %u unreadable", sec);
            return -1;
        }
        total = sec_len;
    }
    if (req->pkt_type == VMBUS_PACKET_DATA_USING_GPA_DIRECT) {
        QEMUSGList *sgl = &req->sgl;

        if (total + sgl->size > NETVSP_MAX_GUEST_MSG) {
            netvsp_bad(s, "SEND_RNDIS_PKT of %" PRIu64 " bytes (at most %u)",
                       total + sgl->size, NETVSP_MAX_GUEST_MSG);
            return -1;
        }
        for (i = 0; i < sgl->nsg; i++) {
            if (dma_memory_read(sgl->as, sgl->sg[i].base, s->tx_buf + total,
                                sgl->sg[i].len, MEMTXATTRS_UNSPECIFIED)) {
                netvsp_bad(s, "SEND_RNDIS_PKT: page 0x%" PRIx64
                           " is not guest memory",
                           (uint64_t)sgl->sg[i].base);
                return -1;
            }
            total += sgl->sg[i].len;
        }
    }
    if (!total) {
        netvsp_bad(s, "SEND_RNDIS_PKT with no data");
        return -1;
    }
    return total;
}

static void netvsp_rndis_pkt(HvNetvsp *s, VMBusChanReq *req, NvspMessage *m)
{
    NvspMessage r = { .type = NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE };
    uint32_t len = NVSP_HDR_SIZE + sizeof(r.rndis_complete);
    int64_t total;

    r.rndis_complete.status = NVSP_STATUS_FAILURE;
    if (!netvsp_len_ok(s, req, sizeof(m->rndis), "SEND_RNDIS_PKT")) {
        goto out;
    }
    if (s->state != NETVSP_READY || !s->rx_gpadl) {
        netvsp_bad(s, "SEND_RNDIS_PKT before the receive buffer");
        goto out;
    }
    if (m->rndis.channel_type > NVSP_RNDIS_CHANNEL_CONTROL) {
        netvsp_bad(s, "SEND_RNDIS_PKT: channel type %u",
                   m->rndis.channel_type);
        r.rndis_complete.status = NVSP_STATUS_INVALID_RNDIS_PACKET;
        goto out;
    }
    total = netvsp_gather(s, req, m);
    if (total < 0) {
        r.rndis_complete.status = NVSP_STATUS_INVALID_RNDIS_PACKET;
        goto out;
    }
    r.rndis_complete.status =
        rndis_from_guest(s, vmbus_channel_idx(req->chan),
                         m->rndis.channel_type == NVSP_RNDIS_CHANNEL_CONTROL,
                         s->tx_buf, total);
out:
    if (req->need_comp) {
        netvsp_complete(s, req, &r, len);
    }
}

static void netvsp_subchannel(HvNetvsp *s, VMBusChanReq *req, NvspMessage *m)
{
    NvspMessage r = { .type = NVSP_MSG5_SUBCHANNEL };
    uint32_t len = NVSP_HDR_SIZE + sizeof(r.subchannel_complete);
    uint32_t given;

    r.subchannel_complete.status = NVSP_STATUS_FAILURE;
    if (!netvsp_len_ok(s, req, sizeof(m->subchannel), "SUBCHANNEL")) {
        netvsp_complete(s, req, &r, len);
        return;
    }
    if (s->version < NVSP_VERSION_5 || vmbus_channel_idx(req->chan) ||
        m->subchannel.op != NVSP_SUBCHANNEL_ALLOCATE ||
        m->subchannel.count == 0 || s->subchannels) {
        netvsp_bad(s, "SUBCHANNEL op %u count %u at NVSP 0x%x "
                   "(asked before: %u)", m->subchannel.op,
                   m->subchannel.count, s->version, s->subchannels);
        netvsp_complete(s, req, &r, len);
        return;
    }
    given = MIN(m->subchannel.count, s->nchan - 1u);
    trace_hv_netvsp_subchannels(m->subchannel.count, given);
    r.subchannel_complete.status = NVSP_STATUS_SUCCESS;
    r.subchannel_complete.count = given;
    s->subchannels = given;
    /* answer first: the guest waits for the answer, then for the offers */
    netvsp_complete(s, req, &r, len);
    if (given) {
        vmbus_device_offer_subchannels(VMBUS_DEVICE(s), given);
    }
}

/* The guest gives back a receive section (completion of our packet). */
static void netvsp_rx_done(HvNetvsp *s, VMBusChanReq *req)
{
    uint64_t sec = req->transaction_id;

    if (req->msglen < NVSP_HDR_SIZE ||
        ldl_le_p(req->msg) != NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE) {
        netvsp_bad(s, "completion of %u bytes, type %u, is no receive "
                   "completion", req->msglen,
                   req->msglen >= NVSP_HDR_SIZE ? ldl_le_p(req->msg) : 0);
        return;
    }
    if (!s->rx_map || sec >= s->rx_sections || !test_bit(sec, s->rx_map)) {
        netvsp_bad(s, "completion of receive section %" PRIu64
                   ", not the guest's", sec);
        return;
    }
    netvsp_rx_free(s, sec);
}

static void netvsp_handle(HvNetvsp *s, VMBusChanReq *req)
{
    NvspMessage m = {};
    bool primary = vmbus_channel_idx(req->chan) == 0;

    if (req->pkt_type == VMBUS_PACKET_COMP) {
        netvsp_rx_done(s, req);
        return;
    }
    if (req->msglen < NVSP_HDR_SIZE) {
        netvsp_bad(s, "message of %u bytes dropped", req->msglen);
        return;
    }
    memcpy(&m, req->msg, MIN(req->msglen, sizeof(m)));
    trace_hv_netvsp_nvsp(vmbus_channel_idx(req->chan), m.type, req->msglen);

    if (m.type == NVSP_MSG1_SEND_RNDIS_PKT) {
        netvsp_rndis_pkt(s, req, &m);
        return;
    }
    if (req->pkt_type != VMBUS_PACKET_DATA_INBAND) {
        netvsp_bad(s, "message %u with GPA ranges dropped", m.type);
        return;
    }
    if (!primary) {
        netvsp_bad(s, "message %u on a sub-channel dropped", m.type);
        return;
    }
    switch (m.type) {
    case NVSP_MSG_INIT:
        netvsp_init(s, req, &m);
        return;
    case NVSP_MSG1_SEND_NDIS_VERSION:
        if (s->state == NETVSP_READY &&
            netvsp_len_ok(s, req, sizeof(m.ndis_version), "NDIS_VERSION")) {
            s->ndis_version = m.ndis_version.major << 16 |
                              (m.ndis_version.minor & 0xffff);
        }
        return;
    case NVSP_MSG2_SEND_NDIS_CONFIG:
        if (s->version < NVSP_VERSION_2 ||
            !netvsp_len_ok(s, req, 4, "NDIS_CONFIG")) {
            netvsp_bad(s, "NDIS_CONFIG at NVSP 0x%x dropped", s->version);
            return;
        }
        if (m.ndis_config.mtu < ETH_HLEN + 68 ||
            m.ndis_config.mtu > NETVSP_MAX_MTU) {
            netvsp_bad(s, "NDIS_CONFIG: MTU %u", m.ndis_config.mtu);
            return;
        }
        /* applies to the receive buffer sent next */
        s->mtu = m.ndis_config.mtu;
        return;
    case NVSP_MSG1_SEND_RECV_BUF:
        netvsp_recv_buf(s, req, &m);
        return;
    case NVSP_MSG1_SEND_SEND_BUF:
        netvsp_send_buf(s, req, &m);
        return;
    case NVSP_MSG1_REVOKE_RECV_BUF:
        if (netvsp_len_ok(s, req, 2, "REVOKE_RECV_BUF") && s->rx_gpadl &&
            m.revoke.id == s->rx_id) {
            netvsp_drop_rx_buf(s);
        } else {
            netvsp_bad(s, "REVOKE_RECV_BUF of no receive buffer");
        }
        return;
    case NVSP_MSG1_REVOKE_SEND_BUF:
        if (netvsp_len_ok(s, req, 2, "REVOKE_SEND_BUF") && s->tx_gpadl &&
            m.revoke.id == s->tx_id) {
            netvsp_drop_tx_buf(s);
        } else {
            netvsp_bad(s, "REVOKE_SEND_BUF of no send buffer");
        }
        return;
    case NVSP_MSG5_SUBCHANNEL:
        netvsp_subchannel(s, req, &m);
        return;
    case NVSP_MSG4_SWITCH_DATA_PATH:
    case NVSP_MSG4_SEND_VF_ASSOCIATION:
        /* no VF here: the synthetic path is the only one; echo it */
        if (req->need_comp) {
            netvsp_complete(s, req, &m, MIN(req->msglen, sizeof(m)));
        }
        return;
    default:
        netvsp_bad(s, "message type %u dropped", m.type);
        return;
    }
}

static void netvsp_chan_notify(VMBusChannel *chan)
{
    HvNetvsp *s = HV_NETVSP(vmbus_channel_device(chan));
    uint32_t idx = vmbus_channel_idx(chan);
    HvNetvspChan *ch;
    VMBusChanReq *req;

    if (idx >= s->nchan) {
        return;
    }
    ch = &s->chans[idx];
    if (idx == 0) {
        rndis_flush_ctl(s);
    }
    /* answers first; take nothing new while the guest's ring is full */
    if (netvsp_flush_comps(s, idx) && !vmbus_channel_recv_start(chan)) {
        while (g_queue_is_empty(&ch->pending)) {
            req = vmbus_channel_recv_peek(chan, sizeof(*req));
            if (!req) {
                break;
            }
            vmbus_channel_recv_pop(chan);
            netvsp_handle(s, req);
            vmbus_free_req(req);
        }
        vmbus_channel_recv_done(chan);
    }
    /* sections or ring space may have come back */
    if (idx == 0) {
        rndis_flush_ctl(s);
    }
    if (s->rx_blocked && s->nic) {
        s->rx_blocked = false;
        qemu_flush_queued_packets(qemu_get_queue(s->nic));
    }
}

/* ------------------------------------------------------------------ */
/* The net back-end                                                   */
/* ------------------------------------------------------------------ */

static ssize_t netvsp_receive(NetClientState *nc, const uint8_t *buf,
                              size_t size)
{
    HvNetvsp *s = qemu_get_nic_opaque(nc);
    bool dropped = false;

    if (!rndis_to_guest(s, buf, size, &dropped)) {
        /* the back-end keeps it; we flush when the guest gives room */
        s->rx_blocked = true;
        return 0;
    }
    return size;
}

static void netvsp_link_status_changed(NetClientState *nc)
{
    HvNetvsp *s = qemu_get_nic_opaque(nc);

    if (s->link_down != nc->link_down) {
        s->link_down = nc->link_down;
        trace_hv_netvsp_link(!s->link_down);
        rndis_link_changed(s);
    }
}

static NetClientInfo netvsp_net_info = {
    .type = NET_CLIENT_DRIVER_NIC,
    .size = sizeof(NICState),
    .receive = netvsp_receive,
    .link_status_changed = netvsp_link_status_changed,
};

/* ------------------------------------------------------------------ */
/* Channels and the device                                            */
/* ------------------------------------------------------------------ */

static int netvsp_open_channel(VMBusChannel *chan)
{
    HvNetvsp *s = HV_NETVSP(vmbus_channel_device(chan));
    uint32_t idx = vmbus_channel_idx(chan);

    if (idx == 0) {
        netvsp_session_reset(s);
        s->max_version = s->max_version_prop ?: netvsp_profile_version();
    }
    if (idx < s->nchan) {
        HvNetvspChan *ch = &s->chans[idx];

        g_queue_clear_full(&ch->pending, g_free);
        ch->rx_packets = ch->rx_bytes = ch->rx_dropped = 0;
        ch->tx_packets = ch->tx_bytes = 0;
    }
    return 0;
}

static void netvsp_close_channel(VMBusChannel *chan)
{
    HvNetvsp *s = HV_NETVSP(vmbus_channel_device(chan));
    uint32_t idx = vmbus_channel_idx(chan);

    if (idx < s->nchan) {
        g_queue_clear_full(&s->chans[idx].pending, g_free);
    }
    if (idx == 0) {
        netvsp_session_reset(s);
    }
}

static uint16_t netvsp_num_channels(VMBusDevice *vdev)
{
    return 1 + HV_NETVSP(vdev)->max_subchannels;
}

static void netvsp_vmdev_reset(VMBusDevice *vdev)
{
    netvsp_session_reset(HV_NETVSP(vdev));
}

static void netvsp_vmdev_realize(VMBusDevice *vdev, Error **errp)
{
    HvNetvsp *s = HV_NETVSP(vdev);
    DeviceState *dev = DEVICE(vdev);
    unsigned i;

    if (s->max_subchannels > 63) {
        error_setg(errp, "subchannels must be 0-63");
        return;
    }
    if (s->max_version_prop) {
        for (i = 0; i < ARRAY_SIZE(netvsp_versions); i++) {
            if (s->max_version_prop == netvsp_versions[i]) {
                break;
            }
        }
        if (i == ARRAY_SIZE(netvsp_versions)) {
            error_setg(errp, "max-version must be 0 (the host profile's) or "
                       "one of 0x2, 0x30002, 0x40000, 0x50000, 0x60000, "
                       "0x60001");
            return;
        }
    }
    s->nchan = 1 + s->max_subchannels;
    s->chans = g_new0(HvNetvspChan, s->nchan);
    for (i = 0; i < s->nchan; i++) {
        g_queue_init(&s->chans[i].pending);
    }
    g_queue_init(&s->ctl_queue);
    s->tx_buf = g_malloc(NETVSP_MAX_GUEST_MSG);
    s->rx_buf = g_malloc(NETVSP_MAX_MTU + 4 + NETVSP_RX_OVERHEAD);
    s->seg_buf = g_malloc(NETVSP_MAX_MTU + 4);
    s->max_version = s->max_version_prop ?: netvsp_profile_version();
    s->mtu = ETH_HLEN + 1500;

    qemu_macaddr_default_if_unset(&s->conf.macaddr);
    memcpy(s->mac, s->conf.macaddr.a, sizeof(s->mac));
    s->nic = qemu_new_nic(&netvsp_net_info, &s->conf,
                          object_get_typename(OBJECT(s)), dev->id,
                          &dev->mem_reentrancy_guard, s);
    qemu_format_nic_info_str(qemu_get_queue(s->nic), s->conf.macaddr.a);
    s->link_down = qemu_get_queue(s->nic)->link_down;
    object_property_add_uint64_ptr(OBJECT(s), "errors", &s->errors,
                                   OBJ_PROP_FLAG_READ);
}

static void netvsp_vmdev_unrealize(VMBusDevice *vdev)
{
    HvNetvsp *s = HV_NETVSP(vdev);

    netvsp_session_reset(s);
    qemu_del_nic(s->nic);
    s->nic = NULL;
    g_free(s->chans);
    s->chans = NULL;
    s->nchan = 0;
    g_free(s->tx_buf);
    g_free(s->rx_buf);
    g_free(s->seg_buf);
    s->tx_buf = s->rx_buf = s->seg_buf = NULL;
}

/* ------------------------------------------------------------------ */
/* QOM                                                                */
/* ------------------------------------------------------------------ */

static char *netvsp_get_status(Object *obj, Error **errp)
{
    HvNetvsp *s = HV_NETVSP(obj);
    GString *str = g_string_new(NULL);
    unsigned i;

    g_string_append_printf(str, "state %s version 0x%x max 0x%x ndis %u.%u "
                           "mtu %u rndis %s filter 0x%x link %s "
                           "rx-sections %u/%u@%u tx-sections %u@%u "
                           "subchannels %u offload %s%s%s%s%s%s rss %s "
                           "hashed %" PRIu64 " errors %" PRIu64
                           " rx-no-room %" PRIu64 " indications %" PRIu64,
                           s->state == NETVSP_READY ? "ready" : "init",
                           s->version, s->max_version,
                           s->ndis_version >> 16, s->ndis_version & 0xffff,
                           s->mtu, s->rndis_state == RNDIS_INITIALIZED ?
                           "initialized" : "uninitialized",
                           s->packet_filter, s->link_down ? "down" : "up",
                           s->rx_used, s->rx_sections, s->rx_section_size,
                           s->tx_sections, s->tx_section_size,
                           s->subchannels,
                           s->tx_csum4 ? "tcp4," : "",
                           s->tx_udp4 ? "udp4," : "",
                           s->tx_csum6 ? "tcp6," : "",
                           s->tx_udp6 ? "udp6," : "",
                           s->lso4 ? "lso4," : "", s->lso6 ? "lso6," : "",
                           s->rss_on ? "on" : "off", s->rss_hashed,
                           s->errors, s->rx_no_room, s->indications);
    for (i = 0; i < s->nchan; i++) {
        HvNetvspChan *ch = &s->chans[i];

        if (!netvsp_chan_ready(s, i)) {
            continue;
        }
        g_string_append_printf(str, " ch%u %" PRIu64 "/%" PRIu64, i,
                               ch->rx_packets, ch->tx_packets);
    }
    return g_string_free(str, false);
}

/*
 * Sessions are not migrated: a migrated or snapshotted guest would have to
 * reinitialize.
 */
static const VMStateDescription vmstate_hv_netvsp = {
    .name = TYPE_HV_NETVSP,
    .unmigratable = 1,
};

static const Property netvsp_properties[] = {
    DEFINE_NIC_PROPERTIES(HvNetvsp, conf),
    DEFINE_PROP_UINT16("subchannels", HvNetvsp, max_subchannels, 7),
    DEFINE_PROP_UINT32("max-version", HvNetvsp, max_version_prop, 0),
    DEFINE_PROP_UINT32("speed", HvNetvsp, link_speed_mbps, 10000),
    DEFINE_PROP_BOOL("offload", HvNetvsp, offload, true),
};

static void netvsp_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    VMBusDeviceClass *vdc = VMBUS_DEVICE_CLASS(klass);

    qemu_uuid_parse(NETVSP_CLASS_ID, &vdc->classid);
    set_bit(DEVICE_CATEGORY_NETWORK, dc->categories);
    dc->vmsd = &vmstate_hv_netvsp;
    device_class_set_props(dc, netvsp_properties);
    vdc->vmdev_realize = netvsp_vmdev_realize;
    vdc->vmdev_unrealize = netvsp_vmdev_unrealize;
    vdc->vmdev_reset = netvsp_vmdev_reset;
    vdc->num_channels = netvsp_num_channels;
    vdc->open_channel = netvsp_open_channel;
    vdc->close_channel = netvsp_close_channel;
    vdc->chan_notify_cb = netvsp_chan_notify;
    vdc->subchannels_on_request = true;
    object_class_property_add_str(klass, "status", netvsp_get_status, NULL);
    object_class_property_set_description(klass, "status",
        "NVSP and RNDIS state, buffers, offloads, RSS, per open channel "
        "frames received/sent");
}

static const TypeInfo netvsp_types[] = {
    {
        .name = TYPE_HV_NETVSP,
        .parent = TYPE_VMBUS_DEVICE,
        .instance_size = sizeof(HvNetvsp),
        .class_init = netvsp_class_init,
    },
};

DEFINE_TYPES(netvsp_types)
