/*
 * Hyper-V synthetic SCSI controller (StorVSP) on QEMU's SCSI bus
 *
 *   -device hv-storvsp,id=scsi0[,subchannels=7][,max-transfer=2097152]
 *          [,msft-ids=on][,max-version=0x602]
 *   -device scsi-hd,bus=scsi0.0,scsi-id=0,lun=N,drive=...
 *   -device hv-storvsp-fc,id=fc0,wwpn=...,wwnn=...    (synthetic FC HBA)
 *
 *   qom-get scsi0 status   "state <s> version X.Y ... ch<i> <requests>/<done>"
 *   qom-set scsi0 x-misanswer KIND   (tests: answer one request wrongly)
 *
 * The controller is a VMBus device whose channels carry StorvspPackets
 * (storvsp-proto.h).  It only transports: each EXECUTE_SRB becomes a
 * request on the controller's SCSI bus (scsi_req_new), QEMU's SCSI devices
 * (scsi-hd, scsi-cd, scsi-block...) execute it through the block layer, and
 * the completion goes back to the guest as COMPLETE_IO with the SRB status,
 * the SCSI status and the sense data.  Nothing waits for the disk: a
 * request completes from the block layer's callback.  Data moves between
 * the disk and the guest pages named by the packet's GPA ranges, which must
 * be guest RAM and cover the transfer length.
 *
 * Protocol on the primary channel: BEGIN_INITIALIZATION,
 * QUERY_PROTOCOL_VERSION (repeated until the host accepts one),
 * QUERY_PROPERTIES, [FCHBA_DATA], END_INITIALIZATION; then EXECUTE_SRB on
 * every channel, CREATE_SUB_CHANNELS (from 5.1) once on the primary, and
 * the resets.  The host sends ENUMERATE_BUS when a disk is added and
 * REMOVE_DEVICE when one is removed (from 4.2; the guest rescans).
 *
 * Versions accepted per host profile (hv-profile of the vCPUs), the newest
 * being the release's own; older ones stay for older guests:
 *
 *   WS2008 2.0 | WS2008 R2 4.2 | WS2012 5.1 | WS2012 R2 6.0 | WS2016+ 6.2
 *
 * max-version= lowers (or raises) the newest version for one controller,
 * e.g. 0x200 to see a guest refuse WS2008's protocol on a newer VMBus.
 *
 * Before 5.1 the packets are 48 bytes with an 18-byte sense buffer, from
 * 5.1 64 bytes with 20; sub-channels from 5.1.
 *
 * Addressing: path_id is the SCSI channel (only 0 exists), target_id the
 * SCSI id (0-1, as Linux scans two), lun the LUN (0-63).  A LUN with no
 * disk answers as Hyper-V does: a standard INQUIRY gets peripheral type
 * 0x7f (no device), REPORT LUNS the LUNs that exist, other commands
 * SRB_STATUS_INVALID_LUN.  With msft-ids (default on) every scsi-hd on the
 * bus identifies as "Msft" "Virtual Disk" "1.0" unless given a vendor or
 * product itself: Linux keys its Hyper-V quirks on that vendor.
 *
 * Guest mistakes (short packets, CDBs over 16 bytes, transfer lengths the
 * GPA ranges do not cover, pages outside RAM, unknown operations, packets
 * out of order) are answered with an error status and logged (ratelimited);
 * they never stop the device.
 *
 * x-misanswer, for testing a guest's checks, makes the host itself wrong
 * once: the next request that reads or writes data and succeeds gets
 * "unknown-id" (a completion with a transaction id the guest never used,
 * then the right answer), "duplicate" (the answer twice), "overlength" (an
 * answer claiming 4 KiB more than the request moved) or "long-sense" (an
 * answer claiming 255 bytes of sense).  Reading it gives what is pending
 * ("none" once used).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/rcu.h"
#include "qemu/units.h"
#include "qemu/uuid.h"
#include "qapi/error.h"
#include "qom/object.h"
#include "exec/memory.h"
#include "hw/core/cpu.h"
#include "hw/hotplug.h"
#include "hw/qdev-properties.h"
#include "hw/hyperv/hyperv.h"
#include "hw/hyperv/vmbus.h"
#include "hw/hyperv/storvsp-proto.h"
#include "hw/scsi/scsi.h"
#include "scsi/constants.h"
#include "migration/vmstate.h"
#include "system/dma.h"
#include "cpu.h"
#include "hyperv-cpuid.h"
#include "trace.h"

#define TYPE_HV_STORVSP "hv-storvsp"
#define TYPE_HV_STORVSP_FC "hv-storvsp-fc"
OBJECT_DECLARE_SIMPLE_TYPE(HvStorvsp, HV_STORVSP)

#define STORVSP_MAX_TARGET      1
#define STORVSP_MAX_LUN         63
/* requests a channel may have at the disks at once (memory bound) */
#define STORVSP_MAX_INFLIGHT    1024

typedef enum StorvspState {
    STORVSP_BEGIN,              /* waiting for BEGIN_INITIALIZATION */
    STORVSP_VERSION,            /* waiting for an acceptable version */
    STORVSP_PROPERTIES,         /* waiting for QUERY_PROPERTIES */
    STORVSP_END,                /* waiting for END_INITIALIZATION */
    STORVSP_READY,
} StorvspState;

static const char *const storvsp_state_names[] = {
    [STORVSP_BEGIN] = "begin",
    [STORVSP_VERSION] = "version",
    [STORVSP_PROPERTIES] = "properties",
    [STORVSP_END] = "end",
    [STORVSP_READY] = "ready",
};

typedef enum StorvspMisanswer {
    STORVSP_MISANSWER_NONE,
    STORVSP_MISANSWER_UNKNOWN_ID,
    STORVSP_MISANSWER_DUPLICATE,
    STORVSP_MISANSWER_OVERLENGTH,
    STORVSP_MISANSWER_LONG_SENSE,
    STORVSP_MISANSWER__MAX,
} StorvspMisanswer;

static const char *const storvsp_misanswer_names[] = {
    [STORVSP_MISANSWER_NONE] = "none",
    [STORVSP_MISANSWER_UNKNOWN_ID] = "unknown-id",
    [STORVSP_MISANSWER_DUPLICATE] = "duplicate",
    [STORVSP_MISANSWER_OVERLENGTH] = "overlength",
    [STORVSP_MISANSWER_LONG_SENSE] = "long-sense",
};

typedef struct HvStorvspReq HvStorvspReq;

typedef struct HvStorvspChan {
    /* answers waiting for room in the guest's ring, oldest first */
    QTAILQ_HEAD(, HvStorvspReq) waiting;
    /* requests at the disks */
    QTAILQ_HEAD(, HvStorvspReq) inflight;
    unsigned n_inflight;
    bool throttled;             /* stopped reading at STORVSP_MAX_INFLIGHT */
    uint64_t requests, completions, bytes;
} HvStorvspChan;

struct HvStorvsp {
    VMBusDevice parent_obj;

    SCSIBus bus;

    /* properties */
    uint16_t max_subchannels;
    uint16_t max_version_prop;  /* 0: the profile's */
    uint32_t max_transfer;
    bool msft_ids;
    uint64_t wwpn, wwnn;

    /* session (the primary channel's) */
    StorvspState state;
    uint16_t version;           /* negotiated */
    uint16_t max_version;       /* the profile's, at open */
    uint16_t subchannels;       /* the guest asked for */

    uint16_t nchan;
    HvStorvspChan *chans;
    uint32_t next_tag;
    uint64_t errors, notices;
    StorvspMisanswer misanswer; /* x-misanswer, pending */

    HvLogLimit log_limit;
};

struct HvStorvspReq {
    VMBusChanReq vmreq;         /* first: allocated by vmbus_channel_recv_peek */
    HvStorvsp *s;
    HvStorvspChan *ch;
    QTAILQ_ENTRY(HvStorvspReq) link;
    SCSIRequest *sreq;
    QEMUSGList qsgl;            /* the part of the GPA ranges the command uses */
    bool have_qsgl;
    bool orphan;                /* channel gone: answer nobody */
    StorvspMisanswer misanswer; /* how to get this answer wrong */
    uint32_t resp_len;
    StorvspPacket pkt;          /* the guest's packet, then the answer */
};

#define storvsp_bad(s, ...) do { \
        (s)->errors++; \
        hyperv_log_guest(&(s)->log_limit, TYPE_HV_STORVSP, __VA_ARGS__); \
    } while (0)

/* ------------------------------------------------------------------ */
/* Versions                                                           */
/* ------------------------------------------------------------------ */

static const uint16_t storvsp_versions[] = {
    STORVSP_VERSION_WIN6, STORVSP_VERSION_WIN7, STORVSP_VERSION_WIN8,
    STORVSP_VERSION_WIN8_1, STORVSP_VERSION_WIN10,
};

/* The newest version the guest's host profile knew; no profile: newest. */
static uint16_t storvsp_profile_version(void)
{
    const HypervProfile *p = first_cpu ?
        hyperv_cpu_profile(X86_CPU(first_cpu)) : NULL;

    if (!p || p->major >= 10) {
        return STORVSP_VERSION_WIN10;
    }
    if (p->major < 6 || (p->major == 6 && p->minor == 0)) {
        return STORVSP_VERSION_WIN6;
    }
    switch (p->minor) {
    case 1:
        return STORVSP_VERSION_WIN7;
    case 2:
        return STORVSP_VERSION_WIN8;
    default:
        return STORVSP_VERSION_WIN8_1;
    }
}

static bool storvsp_version_ok(HvStorvsp *s, uint16_t v)
{
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(storvsp_versions); i++) {
        if (storvsp_versions[i] == v) {
            return v <= s->max_version;
        }
    }
    return false;
}

static bool storvsp_v2(HvStorvsp *s)
{
    return s->version >= STORVSP_VERSION_WIN8;
}

/* what a packet of the negotiated era is; before negotiation the short one */
static uint32_t storvsp_packet_size(HvStorvsp *s)
{
    return s->state > STORVSP_VERSION && storvsp_v2(s) ?
        STORVSP_PACKET_SIZE_V2 : STORVSP_PACKET_SIZE_V1;
}

static bool storvsp_is_fc(HvStorvsp *s)
{
    return object_dynamic_cast(OBJECT(s), TYPE_HV_STORVSP_FC) != NULL;
}

/* ------------------------------------------------------------------ */
/* Answers                                                            */
/* ------------------------------------------------------------------ */

static void storvsp_free_req(HvStorvspReq *r)
{
    if (r->have_qsgl) {
        qemu_sglist_destroy(&r->qsgl);
    }
    if (r->sreq) {
        r->sreq->hba_private = NULL;
        scsi_req_unref(r->sreq);
    }
    vmbus_free_req(r);
}

/* x-misanswer's extra completion, with @id, if the ring has room for it */
static void storvsp_send_extra(HvStorvspReq *r, uint64_t id)
{
    VMBusChannel *chan = r->vmreq.chan;

    if (!vmbus_channel_reserve(chan, 0, r->resp_len)) {
        vmbus_channel_send(chan, VMBUS_PACKET_COMP, NULL, 0, &r->pkt,
                           r->resp_len, false, id);
    }
}

static bool storvsp_send_one(HvStorvspReq *r)
{
    VMBusChannel *chan = r->vmreq.chan;

    if (vmbus_channel_reserve(chan, 0, r->resp_len)) {
        return false;
    }
    trace_hv_storvsp_answer(vmbus_channel_idx(chan), r->pkt.operation,
                            r->pkt.status, r->pkt.srb.srb_status,
                            r->pkt.srb.scsi_status,
                            r->pkt.srb.data_transfer_length);
    if (r->misanswer == STORVSP_MISANSWER_UNKNOWN_ID) {
        /* before the answer, which keeps the room reserved above */
        storvsp_send_extra(r, ~r->vmreq.transaction_id);
    }
    /* a completion, whatever the guest's flag said: it is the answer */
    vmbus_channel_send(chan, VMBUS_PACKET_COMP, NULL, 0, &r->pkt,
                       r->resp_len, false, r->vmreq.transaction_id);
    if (r->misanswer == STORVSP_MISANSWER_DUPLICATE) {
        storvsp_send_extra(r, r->vmreq.transaction_id);
    }
    return true;
}

/* Send what waits for ring space, in order; true when nothing is left. */
static bool storvsp_flush(HvStorvspChan *ch)
{
    HvStorvspReq *r;

    while ((r = QTAILQ_FIRST(&ch->waiting))) {
        if (!storvsp_send_one(r)) {
            return false;
        }
        QTAILQ_REMOVE(&ch->waiting, r, link);
        storvsp_free_req(r);
    }
    return true;
}

/* r's packet holds the answer: send it (or queue it) and free r. */
static void storvsp_answer(HvStorvspReq *r)
{
    HvStorvspChan *ch = r->ch;

    r->pkt.operation = STORVSP_OP_COMPLETE_IO;
    r->pkt.flags = 0;
    if (!vmbus_channel_is_open(r->vmreq.chan)) {
        storvsp_free_req(r);
        return;
    }
    if (QTAILQ_EMPTY(&ch->waiting) && storvsp_send_one(r)) {
        storvsp_free_req(r);
        return;
    }
    QTAILQ_INSERT_TAIL(&ch->waiting, r, link);
}

/* A protocol-level answer with an NT status; the union as the guest sent */
static void storvsp_answer_status(HvStorvspReq *r, uint32_t status)
{
    r->pkt.status = status;
    storvsp_answer(r);
}

/* A request the host will not execute: no data moved. */
static void storvsp_srb_fail(HvStorvspReq *r, uint8_t srb_status,
                             uint8_t scsi_status, uint32_t status)
{
    r->pkt.srb.srb_status = srb_status;
    r->pkt.srb.scsi_status = scsi_status;
    r->pkt.srb.sense_info_length = 0;
    r->pkt.srb.data_transfer_length = 0;
    storvsp_answer_status(r, status);
}

/* Host-initiated notification (ENUMERATE_BUS, REMOVE_DEVICE) */
static void storvsp_notify_guest(HvStorvsp *s, uint32_t op)
{
    VMBusChannel *chan = vmbus_device_channel(VMBUS_DEVICE(s), 0);
    StorvspPacket pkt = { .operation = op };
    uint32_t len = storvsp_packet_size(s);

    if (!chan || !vmbus_channel_is_open(chan) || s->state != STORVSP_READY ||
        s->version < STORVSP_VERSION_WIN7) {
        return;
    }
    trace_hv_storvsp_notify(op);
    if (vmbus_channel_reserve(chan, 0, len)) {
        /* the guest's ring is full of answers: it will rescan on its own */
        hyperv_log_guest(&s->log_limit, TYPE_HV_STORVSP,
                         "no ring space for operation %u to the guest", op);
        return;
    }
    s->notices++;
    vmbus_channel_send(chan, VMBUS_PACKET_DATA_INBAND, NULL, 0, &pkt, len,
                       false, 0);
}

/* ------------------------------------------------------------------ */
/* SCSI bus callbacks                                                 */
/* ------------------------------------------------------------------ */

static void storvsp_req_done(HvStorvspReq *r)
{
    HvStorvspChan *ch = r->ch;

    QTAILQ_REMOVE(&ch->inflight, r, link);
    ch->n_inflight--;
    ch->completions++;
    if (r->orphan) {
        storvsp_free_req(r);
        return;
    }
    if (ch->throttled && ch->n_inflight < STORVSP_MAX_INFLIGHT / 2) {
        ch->throttled = false;
        vmbus_channel_notify_host(r->vmreq.chan);
    }
    storvsp_answer(r);
}

static uint32_t storvsp_transferred(HvStorvspReq *r, size_t residual)
{
    size_t size = r->have_qsgl ? r->qsgl.size : 0;

    return residual < size ? size - residual : 0;
}

static void storvsp_complete(SCSIRequest *sreq, size_t residual)
{
    HvStorvspReq *r = sreq->hba_private;
    StorvspSrb *srb;
    uint8_t sense[SCSI_SENSE_BUF_SIZE];
    int sense_len, max_sense;

    if (!r || sreq->io_canceled) {
        return;
    }
    srb = &r->pkt.srb;
    srb->scsi_status = sreq->status;
    srb->sense_info_length = 0;
    srb->data_transfer_length = storvsp_transferred(r, residual);
    r->pkt.status = STORVSP_STATUS_SUCCESS;
    if (sreq->status == GOOD) {
        srb->srb_status = SRB_STATUS_SUCCESS;
    } else if (sreq->status == CHECK_CONDITION) {
        max_sense = storvsp_v2(r->s) ? STORVSP_SENSE_SIZE_V2 :
                                       STORVSP_SENSE_SIZE_V1;
        sense_len = scsi_req_get_sense(sreq, sense, sizeof(sense));
        sense_len = MIN(sense_len, max_sense);
        srb->srb_status = SRB_STATUS_ERROR;
        if (sense_len > 0) {
            memset(srb->cdb_or_sense, 0, sizeof(srb->cdb_or_sense));
            memcpy(srb->cdb_or_sense, sense, sense_len);
            srb->sense_info_length = sense_len;
            srb->srb_status |= SRB_STATUS_AUTOSENSE_VALID;
        }
        srb->data_transfer_length = 0;
    } else {
        srb->srb_status = SRB_STATUS_ERROR;
        srb->data_transfer_length = 0;
    }
    r->ch->bytes += srb->data_transfer_length;
    if (r->s->misanswer && sreq->status == GOOD &&
        srb->data_transfer_length) {
        r->misanswer = r->s->misanswer;
        r->s->misanswer = STORVSP_MISANSWER_NONE;
        if (r->misanswer == STORVSP_MISANSWER_OVERLENGTH) {
            srb->data_transfer_length += 4096;
        } else if (r->misanswer == STORVSP_MISANSWER_LONG_SENSE) {
            srb->sense_info_length = 255;
        }
    }
    storvsp_req_done(r);
}

/* The SCSI layer failed the request before a device ran it. */
static void storvsp_fail(SCSIRequest *sreq)
{
    HvStorvspReq *r = sreq->hba_private;
    StorvspSrb *srb;

    if (!r) {
        return;
    }
    srb = &r->pkt.srb;
    switch (sreq->host_status) {
    case SCSI_HOST_NO_LUN:
        srb->srb_status = SRB_STATUS_INVALID_LUN;
        break;
    case SCSI_HOST_BUSY:
        srb->srb_status = SRB_STATUS_BUSY;
        break;
    case SCSI_HOST_TIME_OUT:
        srb->srb_status = SRB_STATUS_TIMEOUT;
        break;
    case SCSI_HOST_ABORTED:
        srb->srb_status = SRB_STATUS_ABORTED;
        break;
    default:
        srb->srb_status = SRB_STATUS_ERROR;
        break;
    }
    srb->scsi_status = 0;
    srb->sense_info_length = 0;
    srb->data_transfer_length = 0;
    r->pkt.status = STORVSP_STATUS_SUCCESS;
    storvsp_req_done(r);
}

/* Cancelled: a disk went away under it, or the channel closed. */
static void storvsp_cancel(SCSIRequest *sreq)
{
    HvStorvspReq *r = sreq->hba_private;

    if (!r) {
        return;
    }
    r->pkt.srb.srb_status = SRB_STATUS_ABORTED;
    r->pkt.srb.scsi_status = 0;
    r->pkt.srb.sense_info_length = 0;
    r->pkt.srb.data_transfer_length = 0;
    r->pkt.status = STORVSP_STATUS_SUCCESS;
    storvsp_req_done(r);
}

static QEMUSGList *storvsp_get_sg_list(SCSIRequest *sreq)
{
    HvStorvspReq *r = sreq->hba_private;

    return r && r->have_qsgl ? &r->qsgl : NULL;
}

static const struct SCSIBusInfo storvsp_scsi_info = {
    .tcq = true,
    .max_channel = 0,
    .max_target = STORVSP_MAX_TARGET,
    .max_lun = STORVSP_MAX_LUN,
    .complete = storvsp_complete,
    .fail = storvsp_fail,
    .cancel = storvsp_cancel,
    .get_sg_list = storvsp_get_sg_list,
};

/* ------------------------------------------------------------------ */
/* EXECUTE_SRB                                                        */
/* ------------------------------------------------------------------ */

/* Is [addr, addr + len) guest RAM the device may read (or write)? */
static bool storvsp_is_ram(AddressSpace *as, hwaddr addr, hwaddr len,
                           bool is_write)
{
    RCU_READ_LOCK_GUARD();

    if (addr + len < addr) {
        return false;
    }
    while (len) {
        hwaddr xlat, l = len;
        MemoryRegion *mr = address_space_translate(as, addr, &xlat, &l,
                                                   is_write,
                                                   MEMTXATTRS_UNSPECIFIED);

        if (!l || !memory_access_is_direct(mr, is_write,
                                           MEMTXATTRS_UNSPECIFIED)) {
            return false;
        }
        addr += l;
        len -= l;
    }
    return true;
}

/*
 * Take the first @len bytes of the packet's GPA ranges into r->qsgl,
 * checked to be RAM.  0, or an SRB status.
 */
static uint8_t storvsp_map_data(HvStorvsp *s, HvStorvspReq *r, uint32_t len,
                                bool to_guest)
{
    QEMUSGList *src = &r->vmreq.sgl;
    AddressSpace *as = VMBUS_DEVICE(s)->dma_as;
    int i;

    qemu_sglist_init(&r->qsgl, DEVICE(s), src->nsg, as);
    r->have_qsgl = true;
    for (i = 0; i < src->nsg && len; i++) {
        dma_addr_t l = MIN(src->sg[i].len, len);

        if (!storvsp_is_ram(as, src->sg[i].base, l, to_guest)) {
            storvsp_bad(s, "EXECUTE_SRB: data page 0x%" PRIx64 " (%" PRIu64
                        " bytes) is not guest RAM", (uint64_t)src->sg[i].base,
                        (uint64_t)l);
            return SRB_STATUS_INVALID_REQUEST;
        }
        qemu_sglist_add(&r->qsgl, src->sg[i].base, l);
        len -= l;
    }
    return 0;
}

/* A LUN with no device behind it (Hyper-V's answers, see the header). */
static void storvsp_no_device(HvStorvsp *s, HvStorvspReq *r)
{
    StorvspSrb *srb = &r->pkt.srb;
    const uint8_t *cdb = srb->cdb_or_sense;
    uint8_t buf[36] = {};
    uint32_t len = 0;
    uint8_t sense[STORVSP_SENSE_SIZE_V1];

    switch (cdb[0]) {
    case INQUIRY:
        if ((cdb[1] & 1) || cdb[2]) {
            /* no VPD pages for a LUN that does not exist */
            srb->srb_status = SRB_STATUS_INVALID_REQUEST |
                              SRB_STATUS_AUTOSENSE_VALID;
            srb->scsi_status = CHECK_CONDITION;
            srb->sense_info_length =
                scsi_build_sense_buf(sense, sizeof(sense),
                                     SENSE_CODE(INVALID_FIELD), true);
            memset(srb->cdb_or_sense, 0, sizeof(srb->cdb_or_sense));
            memcpy(srb->cdb_or_sense, sense, srb->sense_info_length);
            srb->data_transfer_length = 0;
            storvsp_answer_status(r, STORVSP_STATUS_SUCCESS);
            return;
        }
        buf[0] = TYPE_INACTIVE | TYPE_NOT_PRESENT;
        buf[2] = 5;             /* SPC-3 */
        buf[3] = 2;             /* response data format */
        buf[4] = sizeof(buf) - 5;
        len = MIN(sizeof(buf), lduw_be_p(&cdb[3]));
        break;
    case REPORT_LUNS:
        /* no LUN on this target (else QEMU's target code answered) */
        len = MIN(8, ldl_be_p(&cdb[6]));
        break;
    default:
        srb->srb_status = SRB_STATUS_INVALID_LUN;
        srb->scsi_status = CHECK_CONDITION;
        srb->sense_info_length = 0;
        srb->data_transfer_length = 0;
        storvsp_answer_status(r, STORVSP_STATUS_SUCCESS);
        return;
    }
    /* len fits the mapped ranges: all of it lands in the guest */
    len = MIN(len, r->have_qsgl ? r->qsgl.size : 0);
    if (len) {
        dma_buf_read(buf, len, NULL, &r->qsgl, MEMTXATTRS_UNSPECIFIED);
    }
    srb->srb_status = SRB_STATUS_SUCCESS;
    srb->scsi_status = GOOD;
    srb->sense_info_length = 0;
    srb->data_transfer_length = len;
    storvsp_answer_status(r, STORVSP_STATUS_SUCCESS);
}

static void storvsp_execute_srb(HvStorvsp *s, HvStorvspReq *r,
                                uint32_t msglen)
{
    StorvspSrb *srb = &r->pkt.srb;
    uint32_t srb_size = storvsp_v2(s) ? STORVSP_SRB_SIZE_V2 :
                                        STORVSP_SRB_SIZE_V1;
    uint32_t dtl = srb->data_transfer_length;
    uint32_t ranges = r->vmreq.sgl.dev ? r->vmreq.sgl.size : 0;
    SCSIDevice *d;
    SCSIRequest *sreq;
    uint32_t len;
    uint8_t status;
    bool exact;

    if (msglen < STORVSP_PACKET_HDR_SIZE + srb_size) {
        storvsp_bad(s, "EXECUTE_SRB of %u bytes (protocol %u.%u needs %u)",
                    msglen, s->version >> 8, s->version & 0xff,
                    (uint32_t)STORVSP_PACKET_HDR_SIZE + srb_size);
        storvsp_srb_fail(r, SRB_STATUS_INVALID_REQUEST, 0,
                         STORVSP_STATUS_INVALID_PARAMETER);
        return;
    }
    if (srb->cdb_length == 0 || srb->cdb_length > STORVSP_CDB_MAX) {
        storvsp_bad(s, "EXECUTE_SRB with a CDB of %u bytes (1-%u)",
                    srb->cdb_length, STORVSP_CDB_MAX);
        storvsp_srb_fail(r, SRB_STATUS_INVALID_REQUEST, 0,
                         STORVSP_STATUS_INVALID_PARAMETER);
        return;
    }
    if (srb->data_in > STORVSP_DATA_NONE) {
        storvsp_bad(s, "EXECUTE_SRB with direction %u", srb->data_in);
        storvsp_srb_fail(r, SRB_STATUS_INVALID_REQUEST, 0,
                         STORVSP_STATUS_INVALID_PARAMETER);
        return;
    }
    if (dtl > ranges) {
        storvsp_bad(s, "EXECUTE_SRB: transfer of %u bytes, the GPA ranges "
                    "cover %u", dtl, ranges);
        storvsp_srb_fail(r, SRB_STATUS_INVALID_REQUEST, 0,
                         STORVSP_STATUS_INVALID_PARAMETER);
        return;
    }
    if (dtl > s->max_transfer) {
        storvsp_bad(s, "EXECUTE_SRB: transfer of %u bytes, at most %u",
                    dtl, s->max_transfer);
        storvsp_srb_fail(r, SRB_STATUS_INVALID_REQUEST, 0,
                         STORVSP_STATUS_INVALID_PARAMETER);
        return;
    }

    r->ch->requests++;
    trace_hv_storvsp_srb(vmbus_channel_idx(r->vmreq.chan), srb->path_id,
                         srb->target_id, srb->lun, srb->cdb_or_sense[0],
                         srb->data_in, dtl);

    d = srb->path_id == 0 ?
        scsi_device_get(&s->bus, 0, srb->target_id, srb->lun) : NULL;
    exact = d && d->lun == srb->lun;
    if (!exact) {
        uint8_t op = srb->cdb_or_sense[0];

        if (!d || (op != INQUIRY && op != REPORT_LUNS)) {
            if (d) {
                object_unref(OBJECT(d));
            }
            status = storvsp_map_data(s, r, MIN(dtl, 36), true);
            if (status) {
                storvsp_srb_fail(r, status, 0, STORVSP_STATUS_SUCCESS);
                return;
            }
            storvsp_no_device(s, r);
            return;
        }
    }

    sreq = scsi_req_new(d, s->next_tag++, srb->lun, srb->cdb_or_sense,
                        srb->cdb_length, r);
    object_unref(OBJECT(d));

    /* the command's own transfer must agree with the guest's direction */
    if (sreq->cmd.mode != SCSI_XFER_NONE &&
        (srb->data_in == STORVSP_DATA_NONE ||
         (sreq->cmd.mode == SCSI_XFER_FROM_DEV) !=
         (srb->data_in == STORVSP_DATA_IN))) {
        storvsp_bad(s, "EXECUTE_SRB: command 0x%02x moves data %s, the "
                    "packet says direction %u", srb->cdb_or_sense[0],
                    sreq->cmd.mode == SCSI_XFER_FROM_DEV ? "in" : "out",
                    srb->data_in);
        sreq->hba_private = NULL;
        scsi_req_unref(sreq);
        storvsp_srb_fail(r, SRB_STATUS_INVALID_REQUEST, 0,
                         STORVSP_STATUS_INVALID_PARAMETER);
        return;
    }
    len = sreq->cmd.mode == SCSI_XFER_NONE ? 0 : MIN(dtl, sreq->cmd.xfer);
    if (len) {
        status = storvsp_map_data(s, r, len,
                                  sreq->cmd.mode == SCSI_XFER_FROM_DEV);
        if (status) {
            sreq->hba_private = NULL;
            scsi_req_unref(sreq);
            storvsp_srb_fail(r, status, 0, STORVSP_STATUS_INVALID_PARAMETER);
            return;
        }
    }

    r->sreq = sreq;
    QTAILQ_INSERT_TAIL(&r->ch->inflight, r, link);
    r->ch->n_inflight++;
    /* r may be answered and freed inside enqueue or continue */
    scsi_req_ref(sreq);
    if (scsi_req_enqueue(sreq)) {
        scsi_req_continue(sreq);
    }
    scsi_req_unref(sreq);
}

/* ------------------------------------------------------------------ */
/* The protocol                                                       */
/* ------------------------------------------------------------------ */

static const char *storvsp_op_name(uint32_t op)
{
    static const char *const names[] = {
        [STORVSP_OP_COMPLETE_IO] = "COMPLETE_IO",
        [STORVSP_OP_REMOVE_DEVICE] = "REMOVE_DEVICE",
        [STORVSP_OP_EXECUTE_SRB] = "EXECUTE_SRB",
        [STORVSP_OP_RESET_LUN] = "RESET_LUN",
        [STORVSP_OP_RESET_ADAPTER] = "RESET_ADAPTER",
        [STORVSP_OP_RESET_BUS] = "RESET_BUS",
        [STORVSP_OP_BEGIN_INITIALIZATION] = "BEGIN_INITIALIZATION",
        [STORVSP_OP_END_INITIALIZATION] = "END_INITIALIZATION",
        [STORVSP_OP_QUERY_PROTOCOL_VERSION] = "QUERY_PROTOCOL_VERSION",
        [STORVSP_OP_QUERY_PROPERTIES] = "QUERY_PROPERTIES",
        [STORVSP_OP_ENUMERATE_BUS] = "ENUMERATE_BUS",
        [STORVSP_OP_FCHBA_DATA] = "FCHBA_DATA",
        [STORVSP_OP_CREATE_SUB_CHANNELS] = "CREATE_SUB_CHANNELS",
    };

    return op < ARRAY_SIZE(names) && names[op] ? names[op] : "unknown";
}

/* An init-sequence operation in the wrong state */
static bool storvsp_expect(HvStorvsp *s, HvStorvspReq *r, StorvspState want)
{
    if (s->state == want) {
        return true;
    }
    storvsp_bad(s, "%s in state %s", storvsp_op_name(r->pkt.operation),
                storvsp_state_names[s->state]);
    storvsp_answer_status(r, STORVSP_STATUS_INVALID_DEVICE_STATE);
    return false;
}

static void storvsp_put_wwn(uint8_t *out, uint64_t wwn)
{
    stq_be_p(out, wwn);
}

static void storvsp_handle(HvStorvsp *s, HvStorvspReq *r)
{
    VMBusChanReq *vr = &r->vmreq;
    bool primary = vmbus_channel_idx(vr->chan) == 0;
    uint32_t msglen = vr->msglen;
    uint32_t op;

    if (vr->pkt_type != VMBUS_PACKET_DATA_INBAND &&
        vr->pkt_type != VMBUS_PACKET_DATA_USING_GPA_DIRECT) {
        storvsp_bad(s, "packet type %u dropped", vr->pkt_type);
        vmbus_free_req(r);
        return;
    }
    if (msglen < STORVSP_PACKET_HDR_SIZE) {
        storvsp_bad(s, "packet of %u bytes dropped (header is %zu)",
                    msglen, (size_t)STORVSP_PACKET_HDR_SIZE);
        vmbus_free_req(r);
        return;
    }
    memcpy(&r->pkt, vr->msg, MIN(msglen, sizeof(r->pkt)));
    /* answer with the size the guest's era uses, at least what it sent */
    r->resp_len = MAX(storvsp_packet_size(s),
                      MIN(msglen, (uint32_t)STORVSP_PACKET_SIZE_V2));
    op = r->pkt.operation;
    r->pkt.status = STORVSP_STATUS_SUCCESS;
    trace_hv_storvsp_packet(vmbus_channel_idx(vr->chan), op, msglen);

    if (op == STORVSP_OP_EXECUTE_SRB) {
        if (s->state != STORVSP_READY) {
            storvsp_bad(s, "EXECUTE_SRB in state %s",
                        storvsp_state_names[s->state]);
            storvsp_srb_fail(r, SRB_STATUS_ERROR, 0,
                             STORVSP_STATUS_INVALID_DEVICE_STATE);
            return;
        }
        storvsp_execute_srb(s, r, msglen);
        return;
    }
    if (vr->pkt_type != VMBUS_PACKET_DATA_INBAND) {
        storvsp_bad(s, "%s with GPA ranges", storvsp_op_name(op));
        storvsp_answer_status(r, STORVSP_STATUS_INVALID_PARAMETER);
        return;
    }
    if (!primary && op != STORVSP_OP_RESET_LUN &&
        op != STORVSP_OP_RESET_BUS && op != STORVSP_OP_RESET_ADAPTER) {
        storvsp_bad(s, "%s on a sub-channel", storvsp_op_name(op));
        storvsp_answer_status(r, STORVSP_STATUS_INVALID_DEVICE_STATE);
        return;
    }

    switch (op) {
    case STORVSP_OP_BEGIN_INITIALIZATION:
        if (storvsp_expect(s, r, STORVSP_BEGIN)) {
            s->state = STORVSP_VERSION;
            storvsp_answer(r);
        }
        return;
    case STORVSP_OP_QUERY_PROTOCOL_VERSION:
        if (!storvsp_expect(s, r, STORVSP_VERSION)) {
            return;
        }
        if (msglen < STORVSP_PACKET_HDR_SIZE + sizeof(StorvspVersionMsg)) {
            storvsp_bad(s, "QUERY_PROTOCOL_VERSION of %u bytes", msglen);
            storvsp_answer_status(r, STORVSP_STATUS_INVALID_PARAMETER);
            return;
        }
        trace_hv_storvsp_version(r->pkt.version.major_minor, s->max_version);
        if (!storvsp_version_ok(s, r->pkt.version.major_minor)) {
            /* not an error: guests try their versions newest first */
            storvsp_answer_status(r, STORVSP_STATUS_REVISION_MISMATCH);
            return;
        }
        s->version = r->pkt.version.major_minor;
        s->state = STORVSP_PROPERTIES;
        storvsp_answer(r);
        return;
    case STORVSP_OP_QUERY_PROPERTIES:
        if (!storvsp_expect(s, r, STORVSP_PROPERTIES)) {
            return;
        }
        memset(r->pkt.raw, 0, sizeof(r->pkt.raw));
        r->pkt.props.max_transfer_bytes = s->max_transfer;
        if (storvsp_v2(s) && s->nchan > 1) {
            r->pkt.props.max_channel_count = s->nchan - 1;
            r->pkt.props.flags = STORVSP_CHANNEL_MULTI_CHANNEL;
        }
        s->state = STORVSP_END;
        storvsp_answer(r);
        return;
    case STORVSP_OP_FCHBA_DATA:
        if (!storvsp_is_fc(s)) {
            storvsp_bad(s, "FCHBA_DATA on a SCSI (not FC) controller");
            storvsp_answer_status(r, STORVSP_STATUS_INVALID_DEVICE_REQUEST);
            return;
        }
        if (s->state < STORVSP_END) {
            storvsp_expect(s, r, STORVSP_END);
            return;
        }
        memset(r->pkt.raw, 0, sizeof(r->pkt.raw));
        r->pkt.wwn.primary_active = 1;
        storvsp_put_wwn(r->pkt.wwn.primary_port_wwn, s->wwpn);
        storvsp_put_wwn(r->pkt.wwn.primary_node_wwn, s->wwnn);
        storvsp_answer(r);
        return;
    case STORVSP_OP_END_INITIALIZATION:
        if (storvsp_expect(s, r, STORVSP_END)) {
            s->state = STORVSP_READY;
            storvsp_answer(r);
        }
        return;
    case STORVSP_OP_CREATE_SUB_CHANNELS:
        if (!storvsp_expect(s, r, STORVSP_READY)) {
            return;
        }
        if (!storvsp_v2(s) || msglen < STORVSP_PACKET_HDR_SIZE + 2 ||
            r->pkt.sub_channel_count == 0 ||
            r->pkt.sub_channel_count > s->nchan - 1 || s->subchannels) {
            storvsp_bad(s, "CREATE_SUB_CHANNELS of %u at protocol %u.%u "
                        "(offered %u, asked before: %u)",
                        msglen >= STORVSP_PACKET_HDR_SIZE + 2 ?
                        r->pkt.sub_channel_count : 0,
                        s->version >> 8, s->version & 0xff, s->nchan - 1,
                        s->subchannels);
            storvsp_answer_status(r, STORVSP_STATUS_INVALID_PARAMETER);
            return;
        }
        s->subchannels = r->pkt.sub_channel_count;
        /* answer first: the guest opens the offers when it has its answer */
        storvsp_answer(r);
        vmbus_device_offer_subchannels(VMBUS_DEVICE(s), s->subchannels);
        return;
    case STORVSP_OP_RESET_LUN:
    case STORVSP_OP_RESET_BUS:
    case STORVSP_OP_RESET_ADAPTER:
        /* requests in flight complete on their own */
        if (s->state != STORVSP_READY) {
            storvsp_expect(s, r, STORVSP_READY);
            return;
        }
        storvsp_answer(r);
        return;
    default:
        storvsp_bad(s, "operation %u (%s) from the guest", op,
                    storvsp_op_name(op));
        storvsp_answer_status(r, STORVSP_STATUS_INVALID_DEVICE_REQUEST);
        return;
    }
}

static void storvsp_chan_notify(VMBusChannel *chan)
{
    HvStorvsp *s = HV_STORVSP(vmbus_channel_device(chan));
    uint32_t idx = vmbus_channel_idx(chan);
    HvStorvspChan *ch;
    HvStorvspReq *r;

    if (idx >= s->nchan) {
        return;
    }
    ch = &s->chans[idx];
    /* answers first; take nothing new while the guest's ring is full */
    if (!storvsp_flush(ch)) {
        return;
    }
    if (vmbus_channel_recv_start(chan)) {
        return;
    }
    while (QTAILQ_EMPTY(&ch->waiting)) {
        if (ch->n_inflight >= STORVSP_MAX_INFLIGHT) {
            ch->throttled = true;
            break;
        }
        r = vmbus_channel_recv_peek(chan, sizeof(*r));
        if (!r) {
            break;
        }
        vmbus_channel_recv_pop(chan);
        r->s = s;
        r->ch = ch;
        storvsp_handle(s, r);
    }
    vmbus_channel_recv_done(chan);
}

/* ------------------------------------------------------------------ */
/* Channels and the device                                            */
/* ------------------------------------------------------------------ */

/* Forget the requests of one channel (closed) or all (-1): no answers. */
static void storvsp_drop(HvStorvsp *s, int idx)
{
    unsigned i;

    for (i = 0; i < s->nchan; i++) {
        HvStorvspChan *ch = &s->chans[i];
        HvStorvspReq *r, *next;

        if (idx >= 0 && i != idx) {
            continue;
        }
        QTAILQ_FOREACH_SAFE(r, &ch->waiting, link, next) {
            QTAILQ_REMOVE(&ch->waiting, r, link);
            storvsp_free_req(r);
        }
        QTAILQ_FOREACH(r, &ch->inflight, link) {
            r->orphan = true;
        }
        /* each cancel takes its request off the list */
        while ((r = QTAILQ_FIRST(&ch->inflight))) {
            SCSIRequest *sreq = r->sreq;

            scsi_req_ref(sreq);
            scsi_req_cancel(sreq);
            if (sreq->hba_private == r) {
                /* not enqueued any more: the SCSI layer will not call us */
                storvsp_req_done(r);
            }
            scsi_req_unref(sreq);
        }
        ch->throttled = false;
    }
}

static int storvsp_open_channel(VMBusChannel *chan)
{
    HvStorvsp *s = HV_STORVSP(vmbus_channel_device(chan));
    uint32_t idx = vmbus_channel_idx(chan);

    if (idx == 0) {
        s->state = STORVSP_BEGIN;
        s->version = 0;
        s->subchannels = 0;
        s->max_version = s->max_version_prop ?: storvsp_profile_version();
    }
    if (idx < s->nchan) {
        HvStorvspChan *ch = &s->chans[idx];

        ch->requests = ch->completions = ch->bytes = 0;
    }
    return 0;
}

static void storvsp_close_channel(VMBusChannel *chan)
{
    HvStorvsp *s = HV_STORVSP(vmbus_channel_device(chan));
    uint32_t idx = vmbus_channel_idx(chan);

    storvsp_drop(s, idx);
    if (idx == 0) {
        s->state = STORVSP_BEGIN;
    }
}

static uint16_t storvsp_num_channels(VMBusDevice *vdev)
{
    return 1 + HV_STORVSP(vdev)->max_subchannels;
}

static void storvsp_vmdev_reset(VMBusDevice *vdev)
{
    HvStorvsp *s = HV_STORVSP(vdev);

    storvsp_drop(s, -1);
    s->state = STORVSP_BEGIN;
    s->version = 0;
    s->subchannels = 0;
}

static void storvsp_vmdev_realize(VMBusDevice *vdev, Error **errp)
{
    HvStorvsp *s = HV_STORVSP(vdev);
    unsigned i;

    if (s->max_subchannels > 63) {
        error_setg(errp, "subchannels must be 0-63");
        return;
    }
    if (s->max_transfer < 64 * KiB || s->max_transfer > 64 * MiB ||
        s->max_transfer % 4096) {
        error_setg(errp, "max-transfer must be whole pages, 64 KiB-64 MiB");
        return;
    }
    s->nchan = 1 + s->max_subchannels;
    s->chans = g_new0(HvStorvspChan, s->nchan);
    for (i = 0; i < s->nchan; i++) {
        QTAILQ_INIT(&s->chans[i].waiting);
        QTAILQ_INIT(&s->chans[i].inflight);
    }
    for (i = 0; i < ARRAY_SIZE(storvsp_versions); i++) {
        if (s->max_version_prop == storvsp_versions[i]) {
            break;
        }
    }
    if (s->max_version_prop && i == ARRAY_SIZE(storvsp_versions)) {
        error_setg(errp, "max-version must be 0 (the host profile's) or one "
                   "of 0x200, 0x402, 0x501, 0x600, 0x602");
        g_free(s->chans);
        s->chans = NULL;
        return;
    }
    s->max_version = s->max_version_prop ?: storvsp_profile_version();
    scsi_bus_init(&s->bus, sizeof(s->bus), DEVICE(s), &storvsp_scsi_info);
    qbus_set_hotplug_handler(BUS(&s->bus), OBJECT(s));
}

static void storvsp_vmdev_unrealize(VMBusDevice *vdev)
{
    HvStorvsp *s = HV_STORVSP(vdev);

    storvsp_drop(s, -1);
    qbus_set_hotplug_handler(BUS(&s->bus), NULL);
    g_free(s->chans);
    s->chans = NULL;
    s->nchan = 0;
}

/* ------------------------------------------------------------------ */
/* Hot plug of disks                                                  */
/* ------------------------------------------------------------------ */

static void storvsp_default_str(DeviceState *dev, const char *prop,
                                const char *value)
{
    char *cur;

    if (!object_property_find(OBJECT(dev), prop)) {
        return;
    }
    cur = object_property_get_str(OBJECT(dev), prop, NULL);
    if (!cur || !*cur) {
        object_property_set_str(OBJECT(dev), prop, value, NULL);
    }
    g_free(cur);
}

static void storvsp_pre_plug(HotplugHandler *hotplug_dev, DeviceState *dev,
                             Error **errp)
{
    HvStorvsp *s = HV_STORVSP(hotplug_dev);

    /* Hyper-V's disks: Linux keys its quirks on the vendor */
    if (s->msft_ids && object_dynamic_cast(OBJECT(dev), "scsi-hd")) {
        storvsp_default_str(dev, "vendor", "Msft");
        storvsp_default_str(dev, "product", "Virtual Disk");
        storvsp_default_str(dev, "ver", "1.0");
    }
}

static void storvsp_plug(HotplugHandler *hotplug_dev, DeviceState *dev,
                         Error **errp)
{
    HvStorvsp *s = HV_STORVSP(hotplug_dev);

    if (dev->hotplugged) {
        storvsp_notify_guest(s, STORVSP_OP_ENUMERATE_BUS);
    }
}

static void storvsp_unplug(HotplugHandler *hotplug_dev, DeviceState *dev,
                           Error **errp)
{
    HvStorvsp *s = HV_STORVSP(hotplug_dev);

    /* requests at the disk are cancelled: the guest gets them aborted */
    qdev_simple_device_unplug_cb(hotplug_dev, dev, errp);
    storvsp_notify_guest(s, STORVSP_OP_REMOVE_DEVICE);
}

/* ------------------------------------------------------------------ */
/* QOM                                                                */
/* ------------------------------------------------------------------ */

static char *storvsp_get_status(Object *obj, Error **errp)
{
    HvStorvsp *s = HV_STORVSP(obj);
    GString *str = g_string_new(NULL);
    unsigned i;

    g_string_append_printf(str, "state %s version %u.%u max %u.%u "
                           "subchannels %u errors %" PRIu64 " notices %"
                           PRIu64, storvsp_state_names[s->state],
                           s->version >> 8, s->version & 0xff,
                           s->max_version >> 8, s->max_version & 0xff,
                           s->subchannels, s->errors, s->notices);
    for (i = 0; i < s->nchan; i++) {
        HvStorvspChan *ch = &s->chans[i];
        VMBusChannel *chan = vmbus_device_channel(VMBUS_DEVICE(s), i);

        if (!chan || !vmbus_channel_is_open(chan)) {
            continue;
        }
        g_string_append_printf(str, " ch%u %" PRIu64 "/%" PRIu64 "/%" PRIu64,
                               i, ch->requests, ch->completions, ch->bytes);
    }
    return g_string_free(str, false);
}

static char *storvsp_get_misanswer(Object *obj, Error **errp)
{
    return g_strdup(storvsp_misanswer_names[HV_STORVSP(obj)->misanswer]);
}

static void storvsp_set_misanswer(Object *obj, const char *value,
                                  Error **errp)
{
    int i;

    for (i = 0; i < STORVSP_MISANSWER__MAX; i++) {
        if (!strcmp(value, storvsp_misanswer_names[i])) {
            HV_STORVSP(obj)->misanswer = i;
            return;
        }
    }
    error_setg(errp, "x-misanswer: none, unknown-id, duplicate, overlength "
               "or long-sense");
}

/*
 * Sessions and requests in flight are not migrated: a migrated or
 * snapshotted guest would have to reinitialize.
 */
static const VMStateDescription vmstate_hv_storvsp = {
    .name = TYPE_HV_STORVSP,
    .unmigratable = 1,
};

static const Property storvsp_properties[] = {
    DEFINE_PROP_UINT16("subchannels", HvStorvsp, max_subchannels, 7),
    DEFINE_PROP_UINT16("max-version", HvStorvsp, max_version_prop, 0),
    DEFINE_PROP_UINT32("max-transfer", HvStorvsp, max_transfer, 2 * MiB),
    DEFINE_PROP_BOOL("msft-ids", HvStorvsp, msft_ids, true),
};

static void storvsp_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    VMBusDeviceClass *vdc = VMBUS_DEVICE_CLASS(klass);
    HotplugHandlerClass *hc = HOTPLUG_HANDLER_CLASS(klass);

    qemu_uuid_parse(STORVSP_SCSI_CLASS_ID, &vdc->classid);
    set_bit(DEVICE_CATEGORY_STORAGE, dc->categories);
    dc->vmsd = &vmstate_hv_storvsp;
    device_class_set_props(dc, storvsp_properties);
    vdc->vmdev_realize = storvsp_vmdev_realize;
    vdc->vmdev_unrealize = storvsp_vmdev_unrealize;
    vdc->vmdev_reset = storvsp_vmdev_reset;
    vdc->num_channels = storvsp_num_channels;
    vdc->open_channel = storvsp_open_channel;
    vdc->close_channel = storvsp_close_channel;
    vdc->chan_notify_cb = storvsp_chan_notify;
    vdc->subchannels_on_request = true;
    hc->pre_plug = storvsp_pre_plug;
    hc->plug = storvsp_plug;
    hc->unplug = storvsp_unplug;
    object_class_property_add_str(klass, "status", storvsp_get_status, NULL);
    object_class_property_set_description(klass, "status",
        "protocol state and version, per open channel "
        "requests/completions/bytes");
    object_class_property_add_str(klass, "x-misanswer", storvsp_get_misanswer,
                                  storvsp_set_misanswer);
    object_class_property_set_description(klass, "x-misanswer",
        "for tests: get the next successful data request's answer wrong "
        "(unknown-id, duplicate, overlength, long-sense)");
}

static const Property storvsp_fc_properties[] = {
    DEFINE_PROP_UINT64("wwpn", HvStorvsp, wwpn, 0x5001dd0000000001ULL),
    DEFINE_PROP_UINT64("wwnn", HvStorvsp, wwnn, 0x5001dd0000000000ULL),
};

static void storvsp_fc_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    VMBusDeviceClass *vdc = VMBUS_DEVICE_CLASS(klass);

    qemu_uuid_parse(STORVSP_FC_CLASS_ID, &vdc->classid);
    device_class_set_props(dc, storvsp_fc_properties);
}

static const TypeInfo storvsp_types[] = {
    {
        .name = TYPE_HV_STORVSP,
        .parent = TYPE_VMBUS_DEVICE,
        .instance_size = sizeof(HvStorvsp),
        .class_init = storvsp_class_init,
        .interfaces = (InterfaceInfo[]) {
            { TYPE_HOTPLUG_HANDLER },
            { }
        },
    },
    {
        .name = TYPE_HV_STORVSP_FC,
        .parent = TYPE_HV_STORVSP,
        .class_init = storvsp_fc_class_init,
    },
};

DEFINE_TYPES(storvsp_types)
