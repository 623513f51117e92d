/*
 * Hyper-V integration services: heartbeat, shutdown, time sync, KVP
 *
 *   -device hv-heartbeat,id=hb[,interval=1000]
 *   -device hv-shutdown,id=sd
 *   -device hv-timesync,id=ts[,interval=5000]
 *   -device hv-kvp,id=kvp[,interval=2000]
 *
 *   qom-get hb sequence          last sequence number the guest returned
 *   qom-set sd request shutdown  also reboot, hibernate; "-force" suffix
 *   qom-get kvp guest-pool       "KEY=VALUE\n" lines of the guest's auto pool
 *   qom-set kvp push KEY=VALUE   set a key in the guest's external pool
 *   qom-get <any> status         "closed", or "<state> fw X.Y msg X.Y ..."
 *
 * Every device also has timeout=MS (default 35000): how long a request may
 * wait for its response before it is given up.
 *
 * Each service is a VMBus channel in "pipe" format: every packet is inband
 * and starts with a pipe header {type 1 = data, size} and the IC message
 * header {framework version, message type, message version, body size,
 * status, transaction id, flags}.  The host speaks first: once the guest
 * opens the channel it offers the framework and message versions its
 * Windows Server release knew (the vCPUs' hv-profile), the guest answers
 * with one of each, and from then on the host sends requests and the guest
 * echoes each one back as the response.  One request is in flight per
 * service; a response is taken only for that one (same transaction id,
 * same type, versions as negotiated), and anything else from the guest is
 * logged (-d guest_errors) and dropped.  A request not answered within 35 s
 * (timeout=) is given up (Linux's own timeout for its KVP daemon is 30 s,
 * after which it answers with a failure status).  The version negotiation
 * itself has no timeout: Linux's KVP driver holds the host's offer until
 * its daemon registers, which may never happen.
 *
 * Versions offered per host profile, newest first:
 *
 *   release     framework heartbeat shutdown        timesync    kvp
 *   WS2008      1.0       1.0       1.0             1.0         1.0
 *   WS2008 R2   3.0 1.0   3.0 1.0   3.0 1.0         3.0 1.0     3.0 1.0
 *   WS2012(R2)  3.0 1.0   3.0 1.0   3.0 1.0         3.0 1.0     4.0 3.0 1.0
 *   WS2016      3.0 1.0   3.0 1.0   3.1 3.0 1.0     4.0 3.0 1.0 4.0 3.0 1.0
 *   WS2019-2025 3.0 1.0   3.0 1.0   3.2 3.1 3.0 1.0 4.0 3.0 1.0 4.0 3.0 1.0
 *
 * Sources: Linux before 4.11 picked exactly one version per VMBus version
 * and accepted nothing else: framework, heartbeat, shutdown and timesync
 * 1.0 on WS2008 (VMBus 0.13) and 3.0 on WS2008 R2 (VMBus 1.1) to WS2012 R2,
 * timesync 4.0 from WS2016 (VMBus 4.0); KVP 1.0 on WS2008, 3.0 on WS2008 R2
 * ("win7") and 4.0 from WS2012 ("win8").  Shutdown 3.1 (restart) and 3.2
 * (hibernate) are newer than any of that; which release introduced them is
 * not documented publicly: WS2016 and WS2019 here are a best guess.  The
 * older versions stay on the list as real hosts keep them for older
 * guests.  OpenVMM also knows KVP 5.0, which no upstream guest speaks; it
 * is not offered.
 *
 * Shutdown flags (Linux hv_util.c, OpenVMM): bit 0 force, bit 1 restart,
 * bit 2 hibernate.  Time sync sends host UTC in 100 ns units since 1601;
 * with message version 4.0 it adds the partition reference time read at the
 * same moment, which the guest uses to age the sample.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/notify.h"
#include "qemu/timer.h"
#include "qemu/uuid.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "qom/object.h"
#include "hw/core/cpu.h"
#include "hw/qdev-properties.h"
#include "hw/hyperv/hyperv.h"
#include "hw/hyperv/vmbus.h"
#include "migration/vmstate.h"
#include "system/kvm.h"
#include "system/runstate.h"
#include "system/tcg.h"
#include "cpu.h"
#include "hyperv-cpuid.h"
#include "tcg/hyperv-tcg.h"

/* ------------------------------------------------------------------ */
/* Wire format                                                        */
/* ------------------------------------------------------------------ */

typedef struct QEMU_PACKED IcVersion {
    uint16_t major;
    uint16_t minor;
} IcVersion;

/* the pipe header every IC packet starts with */
typedef struct QEMU_PACKED IcPipeHdr {
    uint32_t type;              /* IC_PIPE_DATA */
    uint32_t size;              /* bytes after this header */
} IcPipeHdr;

typedef struct QEMU_PACKED IcMsgHdr {
    IcVersion framework;
    uint16_t type;              /* IC_MSG_* */
    IcVersion version;          /* of the message type */
    uint16_t size;              /* body bytes after this header */
    uint32_t status;
    uint8_t xact;               /* transaction id, echoed */
    uint8_t flags;              /* IC_FLAG_* */
    uint8_t reserved[2];
} IcMsgHdr;

typedef struct QEMU_PACKED IcHdr {
    IcPipeHdr pipe;
    IcMsgHdr ic;
} IcHdr;

typedef struct QEMU_PACKED IcNegotiate {
    uint16_t framework_count;
    uint16_t message_count;
    uint32_t reserved;
    IcVersion versions[];       /* framework versions, then message ones */
} IcNegotiate;

typedef struct QEMU_PACKED IcHeartbeat {
    uint64_t seq;
    uint32_t reserved[8];
} IcHeartbeat;

typedef struct QEMU_PACKED IcShutdown {
    uint32_t reason;
    uint32_t timeout_s;
    uint32_t flags;             /* IC_SHUTDOWN_* */
    uint8_t message[2048];
} IcShutdown;

/* time sync before message version 4.0 */
typedef struct QEMU_PACKED IcTimesync {
    uint64_t parent_time;
    uint64_t child_time;
    uint64_t round_trip;
    uint8_t flags;              /* IC_TIMESYNC_* */
} IcTimesync;

/* time sync 4.0 */
typedef struct QEMU_PACKED IcTimesyncRef {
    uint64_t parent_time;
    uint64_t ref_time;          /* partition reference time at parent_time */
    uint8_t flags;
    uint8_t leap_flags;
    uint8_t stratum;
    /* Linux declares 3 bytes (22 in all) and needs that many; OpenVMM 5 */
    uint8_t reserved[5];
} IcTimesyncRef;

#define KVP_KEY_BYTES           512
#define KVP_VALUE_BYTES         2048

typedef struct QEMU_PACKED IcKvpHdr {
    uint8_t op;                 /* KVP_OP_* */
    uint8_t pool;               /* KVP_POOL_* */
    uint16_t pad;
} IcKvpHdr;

typedef struct QEMU_PACKED IcKvpValue {
    uint32_t type;              /* KVP_REG_* */
    uint32_t key_size;          /* bytes, UTF-16LE with its NUL */
    uint32_t value_size;
    uint8_t key[KVP_KEY_BYTES];
    uint8_t value[KVP_VALUE_BYTES];
} IcKvpValue;

typedef struct QEMU_PACKED IcKvpSet {
    IcKvpHdr hdr;
    IcKvpValue data;
} IcKvpSet;

typedef struct QEMU_PACKED IcKvpEnumerate {
    IcKvpHdr hdr;
    uint32_t index;
    IcKvpValue data;
} IcKvpEnumerate;

QEMU_BUILD_BUG_ON(sizeof(IcHdr) != 28);
QEMU_BUILD_BUG_ON(sizeof(IcNegotiate) != 8);
QEMU_BUILD_BUG_ON(sizeof(IcHeartbeat) != 40);
QEMU_BUILD_BUG_ON(sizeof(IcShutdown) != 2060);
QEMU_BUILD_BUG_ON(sizeof(IcTimesync) != 25);
QEMU_BUILD_BUG_ON(sizeof(IcTimesyncRef) != 24);
QEMU_BUILD_BUG_ON(sizeof(IcKvpValue) != 2572);
QEMU_BUILD_BUG_ON(sizeof(IcKvpSet) != 2576);
QEMU_BUILD_BUG_ON(sizeof(IcKvpEnumerate) != 2580);

#define IC_PIPE_DATA            1

#define IC_MSG_NEGOTIATE        0
#define IC_MSG_HEARTBEAT        1
#define IC_MSG_KVP              2
#define IC_MSG_SHUTDOWN         3
#define IC_MSG_TIMESYNC         4

#define IC_FLAG_TRANSACTION     0x1
#define IC_FLAG_REQUEST         0x2
#define IC_FLAG_RESPONSE        0x4
#define IC_FLAGS_MASK           (IC_FLAG_TRANSACTION | IC_FLAG_REQUEST | \
                                 IC_FLAG_RESPONSE)

#define IC_S_OK                 0x00000000u

#define IC_SHUTDOWN_FORCE       0x1
#define IC_SHUTDOWN_RESTART     0x2
#define IC_SHUTDOWN_HIBERNATE   0x4
/* Windows' SHTDN_REASON_FLAG_PLANNED */
#define IC_SHUTDOWN_REASON      0x80000000u

#define IC_TIMESYNC_SYNC        0x1
#define IC_TIMESYNC_SAMPLE      0x2
/* 1601-01-01 to 1970-01-01 in 100 ns units */
#define IC_TIME_1601_TO_1970    116444736000000000ull

#define KVP_OP_SET              1
#define KVP_OP_ENUMERATE        3
#define KVP_POOL_EXTERNAL       0
#define KVP_POOL_AUTO           2
#define KVP_REG_SZ              1
#define KVP_REG_U32             4
#define KVP_REG_U64             8

/* the largest message we send: KVP enumerate */
#define IC_BUF_SIZE             (sizeof(IcHdr) + sizeof(IcKvpEnumerate))
/* the longest version list offered (shutdown: 3.2 3.1 3.0 1.0) */
#define IC_MAX_VERSIONS         4

/* a request not answered in this time is given up (default of timeout=) */
#define IC_TIMEOUT_MS           35000
/* the guest may log at most this many lines per second per device */
/* KVP: keys per enumeration pass, pushes waiting */
#define KVP_MAX_KEYS            1024
#define KVP_MAX_PUSHES          64

/* ------------------------------------------------------------------ */
/* Per-release versions                                               */
/* ------------------------------------------------------------------ */

typedef enum IcEra {
    IC_ERA_WS2008,
    IC_ERA_WS2008R2,
    IC_ERA_WS2012,              /* and WS2012 R2 */
    IC_ERA_WS2016,
    IC_ERA_WS2019,              /* and later */
    IC_ERA_COUNT
} IcEra;

static const char *const ic_era_names[IC_ERA_COUNT] = {
    "ws2008", "ws2008r2", "ws2012", "ws2016", "ws2019+",
};

typedef struct IcVersionList {
    unsigned count;
    IcVersion v[IC_MAX_VERSIONS];
} IcVersionList;

#define IC_V(maj, min) { .major = (maj), .minor = (min) }
#define IC_VL1(a) { 1, { a } }
#define IC_VL2(a, b) { 2, { a, b } }
#define IC_VL3(a, b, c) { 3, { a, b, c } }
#define IC_VL4(a, b, c, d) { 4, { a, b, c, d } }

static const IcVersionList ic_framework_versions[IC_ERA_COUNT] = {
    [IC_ERA_WS2008] = IC_VL1(IC_V(1, 0)),
    [IC_ERA_WS2008R2] = IC_VL2(IC_V(3, 0), IC_V(1, 0)),
    [IC_ERA_WS2012] = IC_VL2(IC_V(3, 0), IC_V(1, 0)),
    [IC_ERA_WS2016] = IC_VL2(IC_V(3, 0), IC_V(1, 0)),
    [IC_ERA_WS2019] = IC_VL2(IC_V(3, 0), IC_V(1, 0)),
};

/* Which release the guest's host profile is; no profile: the newest. */
static IcEra ic_era(void)
{
    const HypervProfile *p = first_cpu ?
        hyperv_cpu_profile(X86_CPU(first_cpu)) : NULL;

    if (!p) {
        return IC_ERA_WS2019;
    }
    if (p->major < 6 || (p->major == 6 && p->minor == 0)) {
        return IC_ERA_WS2008;
    }
    if (p->major == 6 && p->minor == 1) {
        return IC_ERA_WS2008R2;
    }
    if (p->major == 6) {
        return IC_ERA_WS2012;
    }
    if (p->major == 10 && p->minor == 0 && p->build < 17763) {
        return IC_ERA_WS2016;
    }
    return IC_ERA_WS2019;
}

static bool ic_version_in(const IcVersionList *l, IcVersion v)
{
    unsigned i;

    for (i = 0; i < l->count; i++) {
        if (l->v[i].major == v.major && l->v[i].minor == v.minor) {
            return true;
        }
    }
    return false;
}

static bool ic_version_ge(IcVersion v, uint16_t major, uint16_t minor)
{
    return v.major > major || (v.major == major && v.minor >= minor);
}

/* ------------------------------------------------------------------ */
/* The IC core                                                        */
/* ------------------------------------------------------------------ */

#define TYPE_HV_IC "hv-ic"
OBJECT_DECLARE_TYPE(HvIc, HvIcClass, HV_IC)

typedef struct HvIcServiceInfo HvIcServiceInfo;

typedef enum IcState {
    IC_CLOSED,
    IC_NEGOTIATING,
    IC_OPEN,
    IC_FAILED,
} IcState;

static const char *const ic_state_names[] = {
    [IC_CLOSED] = "closed",
    [IC_NEGOTIATING] = "negotiating",
    [IC_OPEN] = "open",
    [IC_FAILED] = "failed",
};

struct HvIc {
    VMBusDevice parent_obj;

    /* properties (ms): the service's period (0: none), request timeout */
    uint32_t interval_ms;
    uint32_t timeout_ms;

    VMBusChannel *chan;         /* while the guest has the channel open */
    IcState state;
    IcEra era;
    IcVersion framework, version;       /* negotiated */
    QEMUTimer start_timer;      /* negotiation, once the channel is open */
    QEMUTimer tick_timer;       /* the service's periodic work */
    QEMUTimer timeout_timer;    /* the request in flight */

    /* the request in flight */
    bool busy;
    bool written;               /* in the ring (else waiting for space) */
    uint8_t xact;
    uint16_t out_type;
    uint32_t out_len;
    uint8_t out[IC_BUF_SIZE];

    uint64_t requests, responses, errors, timeouts;

    HvLogLimit log_limit;
};

struct HvIcClass {
    VMBusDeviceClass parent_class;
    const HvIcServiceInfo *info;
};

struct HvIcServiceInfo {
    const char *type_name;
    const char *classid;
    const char *instanceid;
    uint16_t msg_type;
    uint32_t default_interval_ms;
    IcVersionList versions[IC_ERA_COUNT];
    /* extra QOM properties */
    void (*class_init)(ObjectClass *klass);
    void (*realize)(HvIc *ic, Error **errp);
    void (*unrealize)(HvIc *ic);
    /* versions agreed: start the service */
    void (*start)(HvIc *ic);
    /* the interval timer fired (state is IC_OPEN) */
    void (*tick)(HvIc *ic);
    /* the answer to our request (status, then body of hdr->ic.size) */
    void (*response)(HvIc *ic, const IcHdr *hdr, const uint8_t *body,
                     uint32_t len);
    /* the request in flight was given up, or its answer was unusable */
    void (*abandon)(HvIc *ic);
    /* no request in flight any more (state is IC_OPEN) */
    void (*idle)(HvIc *ic);
    /* just before a request goes into the ring: refresh its body */
    void (*refresh)(HvIc *ic, uint8_t *body, uint32_t len);
    /* channel closed or device reset: forget the session */
    void (*stop)(HvIc *ic);
    /* more text for the status property */
    void (*status)(HvIc *ic, GString *s);
};

static const HvIcServiceInfo *ic_info(HvIc *ic)
{
    return HV_IC_GET_CLASS(ic)->info;
}

/* A guest mistake: counted, and logged (ratelimited) */
#define ic_bad(ic, ...) do { \
        (ic)->errors++; \
        hyperv_log_guest(&(ic)->log_limit, ic_info(ic)->type_name, \
                         __VA_ARGS__); \
    } while (0)

static void ic_arm_tick(HvIc *ic)
{
    if (ic->interval_ms) {
        timer_mod(&ic->tick_timer,
                  qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL) + ic->interval_ms);
    }
}

/* Put the request in flight into the ring if there is room for it. */
static void ic_flush(HvIc *ic)
{
    const HvIcServiceInfo *info = ic_info(ic);
    ssize_t ret;

    if (!ic->busy || ic->written || !ic->chan ||
        !vmbus_channel_is_open(ic->chan)) {
        return;
    }
    /*
     * No room: the reservation asks the guest to signal us once it has
     * read enough (pending_send_sz), and we come back from chan_notify.
     */
    if (vmbus_channel_reserve(ic->chan, 0, ic->out_len)) {
        return;
    }
    if (info->refresh && ic->out_type == info->msg_type) {
        info->refresh(ic, ic->out + sizeof(IcHdr),
                      ic->out_len - sizeof(IcHdr));
    }
    ret = vmbus_channel_send(ic->chan, VMBUS_PACKET_DATA_INBAND, NULL, 0,
                             ic->out, ic->out_len, false, ic->xact);
    if (ret < 0) {
        /* the guest's ring is not guest RAM any more; the timeout cleans up */
        ic_bad(ic, "cannot write to the channel's ring (%zd)", ret);
        return;
    }
    ic->written = true;
}

/* Send a request; the caller has checked !ic->busy. */
static void ic_request(HvIc *ic, uint16_t type, const void *body, uint32_t len)
{
    IcHdr *h = (IcHdr *)ic->out;

    assert(!ic->busy && len <= sizeof(ic->out) - sizeof(*h));

    memset(h, 0, sizeof(*h));
    h->pipe.type = IC_PIPE_DATA;
    h->pipe.size = sizeof(h->ic) + len;
    if (type != IC_MSG_NEGOTIATE) {
        h->ic.framework = ic->framework;
        h->ic.version = ic->version;
    }
    h->ic.type = type;
    h->ic.size = len;
    h->ic.status = IC_S_OK;
    h->ic.xact = ++ic->xact;
    h->ic.flags = IC_FLAG_TRANSACTION | IC_FLAG_REQUEST;
    memcpy(ic->out + sizeof(*h), body, len);

    ic->busy = true;
    ic->written = false;
    ic->out_type = type;
    ic->out_len = sizeof(*h) + len;
    ic->requests++;
    /* the guest may sit on the version offer for good (see the top) */
    if (type != IC_MSG_NEGOTIATE) {
        timer_mod(&ic->timeout_timer,
                  qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL) + ic->timeout_ms);
    }
    ic_flush(ic);
}

static void ic_idle(HvIc *ic)
{
    const HvIcServiceInfo *info = ic_info(ic);

    if (!ic->busy && ic->state == IC_OPEN && info->idle) {
        info->idle(ic);
    }
}

/* Forget the session: timers, the request in flight, service state. */
static void ic_stop(HvIc *ic)
{
    const HvIcServiceInfo *info = ic_info(ic);

    timer_del(&ic->start_timer);
    timer_del(&ic->tick_timer);
    timer_del(&ic->timeout_timer);
    ic->busy = false;
    ic->written = false;
    if (info->stop) {
        info->stop(ic);
    }
}

/* The guest broke the protocol: the service stops until the next open. */
static void ic_fail(HvIc *ic)
{
    ic_stop(ic);
    ic->state = IC_FAILED;
}

static void ic_start_negotiation(void *opaque)
{
    HvIc *ic = opaque;
    const IcVersionList *fw = &ic_framework_versions[ic->era];
    const IcVersionList *msg = &ic_info(ic)->versions[ic->era];
    struct {
        IcNegotiate n;
        IcVersion v[IC_MAX_VERSIONS * 2];
    } QEMU_PACKED body = {};
    unsigned i;

    if (ic->state != IC_NEGOTIATING || ic->busy) {
        return;
    }
    body.n.framework_count = fw->count;
    body.n.message_count = msg->count;
    for (i = 0; i < fw->count; i++) {
        body.v[i] = fw->v[i];
    }
    for (i = 0; i < msg->count; i++) {
        body.v[fw->count + i] = msg->v[i];
    }
    ic_request(ic, IC_MSG_NEGOTIATE, &body,
               sizeof(body.n) + (fw->count + msg->count) * sizeof(IcVersion));
}

static void ic_negotiated(HvIc *ic, const IcHdr *h, const uint8_t *body,
                          uint32_t len)
{
    const HvIcServiceInfo *info = ic_info(ic);
    IcNegotiate n;
    IcVersion v[2];

    if (h->ic.status != IC_S_OK) {
        ic_bad(ic, "guest refused every version offered (status 0x%08x); "
               "service stopped", h->ic.status);
        ic_fail(ic);
        return;
    }
    if (len < sizeof(n)) {
        ic_bad(ic, "version answer of %u bytes; service stopped", len);
        ic_fail(ic);
        return;
    }
    memcpy(&n, body, sizeof(n));
    if (n.framework_count != 1 || n.message_count != 1) {
        ic_bad(ic, "guest accepted %u framework and %u message versions "
               "(none supported?); service stopped",
               n.framework_count, n.message_count);
        ic_fail(ic);
        return;
    }
    if (len < sizeof(n) + sizeof(v)) {
        ic_bad(ic, "version answer of %u bytes; service stopped", len);
        ic_fail(ic);
        return;
    }
    memcpy(v, body + sizeof(n), sizeof(v));
    if (!ic_version_in(&ic_framework_versions[ic->era], v[0]) ||
        !ic_version_in(&info->versions[ic->era], v[1])) {
        ic_bad(ic, "guest chose framework %u.%u message %u.%u, not offered "
               "by a %s host; service stopped", v[0].major, v[0].minor,
               v[1].major, v[1].minor, ic_era_names[ic->era]);
        ic_fail(ic);
        return;
    }
    ic->framework = v[0];
    ic->version = v[1];
    ic->state = IC_OPEN;
    ic_arm_tick(ic);
    if (info->start) {
        info->start(ic);
    }
}

static void ic_receive(HvIc *ic, VMBusChanReq *req)
{
    const HvIcServiceInfo *info = ic_info(ic);
    const uint8_t *body;
    IcHdr h;
    uint32_t len;

    if (req->pkt_type != VMBUS_PACKET_DATA_INBAND) {
        ic_bad(ic, "packet type %u dropped (IC packets are inband)",
               req->pkt_type);
        return;
    }
    if (req->msglen < sizeof(h)) {
        ic_bad(ic, "packet of %u bytes dropped (header is %zu)",
               req->msglen, sizeof(h));
        return;
    }
    memcpy(&h, req->msg, sizeof(h));
    body = (const uint8_t *)req->msg + sizeof(h);
    len = h.ic.size;
    if (len > req->msglen - sizeof(h)) {
        ic_bad(ic, "message size %u exceeds the packet's %zu body bytes",
               len, req->msglen - sizeof(h));
        return;
    }
    if ((h.ic.flags & IC_FLAGS_MASK) !=
        (IC_FLAG_TRANSACTION | IC_FLAG_RESPONSE)) {
        ic_bad(ic, "message type %u with flags 0x%x dropped (not a response)",
               h.ic.type, h.ic.flags);
        return;
    }
    if (!ic->busy || !ic->written) {
        ic_bad(ic, "response (type %u, transaction %u) with no request "
               "outstanding", h.ic.type, h.ic.xact);
        return;
    }
    if (h.ic.xact != ic->xact) {
        ic_bad(ic, "response to transaction %u, outstanding is %u "
               "(late answer to a request given up?)", h.ic.xact, ic->xact);
        return;
    }
    if (h.ic.type != ic->out_type) {
        ic_bad(ic, "response of type %u to a request of type %u",
               h.ic.type, ic->out_type);
        return;
    }

    /* the answer to the request in flight */
    ic->busy = false;
    ic->written = false;
    timer_del(&ic->timeout_timer);
    ic->responses++;

    if (h.ic.type == IC_MSG_NEGOTIATE) {
        ic_negotiated(ic, &h, body, len);
    } else if (h.ic.framework.major != ic->framework.major ||
               h.ic.framework.minor != ic->framework.minor ||
               h.ic.version.major != ic->version.major ||
               h.ic.version.minor != ic->version.minor) {
        ic_bad(ic, "response with framework %u.%u message %u.%u, "
               "negotiated were %u.%u and %u.%u", h.ic.framework.major,
               h.ic.framework.minor, h.ic.version.major, h.ic.version.minor,
               ic->framework.major, ic->framework.minor,
               ic->version.major, ic->version.minor);
        if (info->abandon) {
            info->abandon(ic);
        }
    } else if (info->response) {
        info->response(ic, &h, body, len);
    }
}

static void ic_chan_notify(VMBusChannel *chan)
{
    HvIc *ic = HV_IC(vmbus_channel_device(chan));
    VMBusChanReq *req;

    /* the guest may have made room for our request */
    ic_flush(ic);

    if (vmbus_channel_recv_start(chan)) {
        return;
    }
    while ((req = vmbus_channel_recv_peek(chan, sizeof(*req)))) {
        ic_receive(ic, req);
        vmbus_channel_recv_pop(chan);
        vmbus_free_req(req);
        /* a response may free the slot for the service's next request */
        ic_idle(ic);
    }
    vmbus_channel_recv_done(chan);
}

static void ic_tick(void *opaque)
{
    HvIc *ic = opaque;
    const HvIcServiceInfo *info = ic_info(ic);

    if (ic->state != IC_OPEN) {
        return;
    }
    ic_arm_tick(ic);
    if (info->tick) {
        info->tick(ic);
    }
}

static void ic_timeout(void *opaque)
{
    HvIc *ic = opaque;
    const HvIcServiceInfo *info = ic_info(ic);

    if (!ic->busy) {
        return;
    }
    ic->timeouts++;
    ic_bad(ic, "no response to the message of type %u (transaction %u) "
           "in %u ms%s: given up", ic->out_type, ic->xact, ic->timeout_ms,
           ic->written ? "" : ", never left for want of ring space");
    ic->busy = false;
    ic->written = false;
    if (info->abandon) {
        info->abandon(ic);
    }
    ic_idle(ic);
}

static int ic_open_channel(VMBusChannel *chan)
{
    HvIc *ic = HV_IC(vmbus_channel_device(chan));

    ic_stop(ic);
    ic->chan = chan;
    ic->era = ic_era();
    ic->state = IC_NEGOTIATING;
    ic->framework = (IcVersion) {};
    ic->version = (IcVersion) {};
    ic->requests = ic->responses = ic->errors = ic->timeouts = 0;
    /* the channel counts as open only once we return: send from a timer */
    timer_mod(&ic->start_timer, qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL));
    return 0;
}

static void ic_close_channel(VMBusChannel *chan)
{
    HvIc *ic = HV_IC(vmbus_channel_device(chan));

    ic_stop(ic);
    ic->chan = NULL;
    ic->state = IC_CLOSED;
}

static void ic_vmdev_reset(VMBusDevice *vdev)
{
    HvIc *ic = HV_IC(vdev);

    ic_stop(ic);
    ic->chan = NULL;
    ic->state = IC_CLOSED;
}

static void ic_vmdev_realize(VMBusDevice *vdev, Error **errp)
{
    HvIc *ic = HV_IC(vdev);
    const HvIcServiceInfo *info = ic_info(ic);

    if (info->default_interval_ms && ic->interval_ms < 10) {
        error_setg(errp, "interval must be at least 10 (ms)");
        return;
    }
    if (ic->timeout_ms < 10) {
        error_setg(errp, "timeout must be at least 10 (ms)");
        return;
    }
    if (info->realize) {
        info->realize(ic, errp);
    }
}

static void ic_vmdev_unrealize(VMBusDevice *vdev)
{
    HvIc *ic = HV_IC(vdev);
    const HvIcServiceInfo *info = ic_info(ic);

    ic_stop(ic);
    ic->chan = NULL;
    ic->state = IC_CLOSED;
    if (info->unrealize) {
        info->unrealize(ic);
    }
}

static char *ic_get_status(Object *obj, Error **errp)
{
    HvIc *ic = HV_IC(obj);
    const HvIcServiceInfo *info = ic_info(ic);
    GString *s = g_string_new(ic_state_names[ic->state]);

    if (ic->state == IC_CLOSED) {
        return g_string_free(s, false);
    }
    if (ic->state == IC_OPEN) {
        g_string_append_printf(s, " fw %u.%u msg %u.%u",
                               ic->framework.major, ic->framework.minor,
                               ic->version.major, ic->version.minor);
    }
    g_string_append_printf(s, " requests %" PRIu64 " responses %" PRIu64
                           " errors %" PRIu64 " timeouts %" PRIu64
                           " host %s", ic->requests, ic->responses,
                           ic->errors, ic->timeouts, ic_era_names[ic->era]);
    if (info->status) {
        info->status(ic, s);
    }
    return g_string_free(s, false);
}

static void ic_instance_init(Object *obj)
{
    HvIc *ic = HV_IC(obj);

    timer_init_ms(&ic->start_timer, QEMU_CLOCK_VIRTUAL,
                  ic_start_negotiation, ic);
    timer_init_ms(&ic->tick_timer, QEMU_CLOCK_VIRTUAL, ic_tick, ic);
    timer_init_ms(&ic->timeout_timer, QEMU_CLOCK_VIRTUAL, ic_timeout, ic);
}

static void ic_instance_finalize(Object *obj)
{
    HvIc *ic = HV_IC(obj);

    timer_del(&ic->start_timer);
    timer_del(&ic->tick_timer);
    timer_del(&ic->timeout_timer);
}

/*
 * The session state (versions, request in flight, KVP queue) is not
 * migrated: a migrated or snapshotted guest would have to reopen.
 */
static const VMStateDescription vmstate_hv_ic = {
    .name = TYPE_HV_IC,
    .unmigratable = 1,
};

static void ic_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    VMBusDeviceClass *vdc = VMBUS_DEVICE_CLASS(klass);

    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    dc->vmsd = &vmstate_hv_ic;
    vdc->vmdev_realize = ic_vmdev_realize;
    vdc->vmdev_unrealize = ic_vmdev_unrealize;
    vdc->vmdev_reset = ic_vmdev_reset;
    vdc->open_channel = ic_open_channel;
    vdc->close_channel = ic_close_channel;
    vdc->chan_notify_cb = ic_chan_notify;
    object_class_property_add_str(klass, "status", ic_get_status, NULL);
    object_class_property_set_description(klass, "status",
        "closed, or state (negotiating/open/failed), versions, counters");
}

/* class_init of each service: its GUIDs, interval and properties */
static void ic_service_class_init(ObjectClass *klass, void *data)
{
    const HvIcServiceInfo *info = data;
    HvIcClass *icc = HV_IC_CLASS(klass);
    VMBusDeviceClass *vdc = VMBUS_DEVICE_CLASS(klass);

    icc->info = info;
    qemu_uuid_parse(info->classid, &vdc->classid);
    qemu_uuid_parse(info->instanceid, &vdc->instanceid);
    if (info->class_init) {
        info->class_init(klass);
    }
}

/* ------------------------------------------------------------------ */
/* Heartbeat                                                          */
/* ------------------------------------------------------------------ */

#define TYPE_HV_HEARTBEAT "hv-heartbeat"
OBJECT_DECLARE_SIMPLE_TYPE(HvHeartbeat, HV_HEARTBEAT)

struct HvHeartbeat {
    HvIc ic;
    uint64_t next_seq;          /* sent in the next request */
    uint64_t sent_seq;
    uint64_t sequence;          /* last returned by the guest */
};

static void hb_send(HvIc *ic)
{
    HvHeartbeat *hb = HV_HEARTBEAT(ic);
    IcHeartbeat msg = { .seq = hb->next_seq };

    if (ic->busy) {
        return;
    }
    hb->sent_seq = hb->next_seq;
    ic_request(ic, IC_MSG_HEARTBEAT, &msg, sizeof(msg));
}

static void hb_response(HvIc *ic, const IcHdr *h, const uint8_t *body,
                        uint32_t len)
{
    HvHeartbeat *hb = HV_HEARTBEAT(ic);
    uint64_t seq;

    if (h->ic.status != IC_S_OK) {
        ic_bad(ic, "heartbeat answered with status 0x%08x", h->ic.status);
        return;
    }
    /* the sequence number is all a guest must return (Linux, FreeBSD) */
    if (len < sizeof(seq)) {
        ic_bad(ic, "heartbeat answer of %u bytes", len);
        return;
    }
    memcpy(&seq, body, sizeof(seq));
    hb->sequence = seq;
    hb->next_seq = hb->sent_seq + 1;
    if (seq != hb->sent_seq + 1) {
        ic_bad(ic, "heartbeat %" PRIu64 " answered with %" PRIu64
               ", expected %" PRIu64, hb->sent_seq, seq, hb->sent_seq + 1);
    }
}

static void hb_stop(HvIc *ic)
{
    HvHeartbeat *hb = HV_HEARTBEAT(ic);

    hb->next_seq = 0;
    hb->sent_seq = 0;
    hb->sequence = 0;
}

static void hb_status(HvIc *ic, GString *s)
{
    g_string_append_printf(s, " sequence %" PRIu64, HV_HEARTBEAT(ic)->sequence);
}

static void hb_get_sequence(Object *obj, Visitor *v, const char *name,
                            void *opaque, Error **errp)
{
    uint64_t seq = HV_HEARTBEAT(obj)->sequence;

    visit_type_uint64(v, name, &seq, errp);
}

static void hb_class_init(ObjectClass *klass)
{
    object_class_property_add(klass, "sequence", "uint64", hb_get_sequence,
                              NULL, NULL, NULL);
    object_class_property_set_description(klass, "sequence",
        "the last heartbeat sequence number the guest returned (0: none)");
}

#define DEFINE_PROP_IC_TIMEOUT() \
    DEFINE_PROP_UINT32("timeout", HvIc, timeout_ms, IC_TIMEOUT_MS)

static const Property hb_properties[] = {
    DEFINE_PROP_UINT32("interval", HvIc, interval_ms, 1000),
    DEFINE_PROP_IC_TIMEOUT(),
};

static const HvIcServiceInfo hb_info = {
    .type_name = TYPE_HV_HEARTBEAT,
    .classid = "57164f39-9115-4e78-ab55-382f3bd5422d",
    .instanceid = "ad0ad8cc-7510-48b7-9d58-b466f45fe8d0",
    .msg_type = IC_MSG_HEARTBEAT,
    .default_interval_ms = 1000,
    .versions = {
        [IC_ERA_WS2008] = IC_VL1(IC_V(1, 0)),
        [IC_ERA_WS2008R2] = IC_VL2(IC_V(3, 0), IC_V(1, 0)),
        [IC_ERA_WS2012] = IC_VL2(IC_V(3, 0), IC_V(1, 0)),
        [IC_ERA_WS2016] = IC_VL2(IC_V(3, 0), IC_V(1, 0)),
        [IC_ERA_WS2019] = IC_VL2(IC_V(3, 0), IC_V(1, 0)),
    },
    .class_init = hb_class_init,
    .start = hb_send,
    .tick = hb_send,
    .response = hb_response,
    .stop = hb_stop,
    .status = hb_status,
};

/* ------------------------------------------------------------------ */
/* Shutdown                                                           */
/* ------------------------------------------------------------------ */

#define TYPE_HV_SHUTDOWN "hv-shutdown"
OBJECT_DECLARE_SIMPLE_TYPE(HvShutdown, HV_SHUTDOWN)

struct HvShutdown {
    HvIc ic;
    Notifier powerdown;
    char *last_request;         /* "" until the first one */
    bool answered;
    uint32_t last_status;
};

static const struct {
    const char *name;
    uint32_t flags;
    uint16_t major, minor;      /* message version it needs */
} sd_requests[] = {
    { "shutdown", 0, 1, 0 },
    { "shutdown-force", IC_SHUTDOWN_FORCE, 1, 0 },
    { "reboot", IC_SHUTDOWN_RESTART, 3, 1 },
    { "reboot-force", IC_SHUTDOWN_RESTART | IC_SHUTDOWN_FORCE, 3, 1 },
    { "hibernate", IC_SHUTDOWN_HIBERNATE, 3, 2 },
    { "hibernate-force", IC_SHUTDOWN_HIBERNATE | IC_SHUTDOWN_FORCE, 3, 2 },
};

static void sd_send(HvShutdown *sd, unsigned i)
{
    IcShutdown msg = {
        .reason = IC_SHUTDOWN_REASON,
        .flags = sd_requests[i].flags,
    };

    g_free(sd->last_request);
    sd->last_request = g_strdup(sd_requests[i].name);
    sd->answered = false;
    ic_request(&sd->ic, IC_MSG_SHUTDOWN, &msg, sizeof(msg));
}

static void sd_set_request(Object *obj, const char *value, Error **errp)
{
    HvShutdown *sd = HV_SHUTDOWN(obj);
    HvIc *ic = &sd->ic;
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(sd_requests); i++) {
        if (!strcmp(value, sd_requests[i].name)) {
            break;
        }
    }
    if (i == ARRAY_SIZE(sd_requests)) {
        error_setg(errp, "request must be shutdown, reboot or hibernate, "
                   "optionally with -force");
        return;
    }
    if (ic->state != IC_OPEN) {
        error_setg(errp, "the guest's shutdown service is %s",
                   ic->state == IC_CLOSED ? "not running (channel closed)" :
                   ic_state_names[ic->state]);
        return;
    }
    if (!ic_version_ge(ic->version, sd_requests[i].major,
                       sd_requests[i].minor)) {
        error_setg(errp, "%s needs shutdown message version %u.%u, "
                   "the guest negotiated %u.%u", value, sd_requests[i].major,
                   sd_requests[i].minor, ic->version.major, ic->version.minor);
        return;
    }
    if (ic->busy) {
        error_setg(errp, "a %s request is still waiting for the guest",
                   sd->last_request);
        return;
    }
    sd_send(sd, i);
}

static char *sd_get_request(Object *obj, Error **errp)
{
    HvShutdown *sd = HV_SHUTDOWN(obj);

    return g_strdup(sd->last_request ? sd->last_request : "");
}

/* system_powerdown: ask the guest as Hyper-V's "Shut Down" does */
static void sd_powerdown(Notifier *n, void *opaque)
{
    HvShutdown *sd = container_of(n, HvShutdown, powerdown);

    if (sd->ic.state == IC_OPEN && !sd->ic.busy) {
        sd_send(sd, 0);
    }
}

static void sd_response(HvIc *ic, const IcHdr *h, const uint8_t *body,
                        uint32_t len)
{
    HvShutdown *sd = HV_SHUTDOWN(ic);

    /* a refusal (e.g. hibernation not configured) is a valid answer */
    sd->answered = true;
    sd->last_status = h->ic.status;
}

static void sd_status(HvIc *ic, GString *s)
{
    HvShutdown *sd = HV_SHUTDOWN(ic);

    if (!sd->last_request) {
        return;
    }
    g_string_append_printf(s, " last-request %s", sd->last_request);
    if (sd->answered) {
        g_string_append_printf(s, " status 0x%08x", sd->last_status);
    } else {
        g_string_append(s, ic->busy ? " status pending" : " status none");
    }
}

static void sd_realize(HvIc *ic, Error **errp)
{
    HvShutdown *sd = HV_SHUTDOWN(ic);

    sd->powerdown.notify = sd_powerdown;
    qemu_register_powerdown_notifier(&sd->powerdown);
}

static void sd_unrealize(HvIc *ic)
{
    HvShutdown *sd = HV_SHUTDOWN(ic);

    notifier_remove(&sd->powerdown);
    g_clear_pointer(&sd->last_request, g_free);
}

static void sd_class_init(ObjectClass *klass)
{
    object_class_property_add_str(klass, "request", sd_get_request,
                                  sd_set_request);
    object_class_property_set_description(klass, "request",
        "write shutdown, reboot or hibernate (optionally -force) to ask the "
        "guest; reads the last request sent");
}

static const Property sd_properties[] = {
    DEFINE_PROP_IC_TIMEOUT(),
};

static const HvIcServiceInfo sd_info = {
    .type_name = TYPE_HV_SHUTDOWN,
    .classid = "0e0b6031-5213-4934-818b-38d90ced39db",
    /* the instance id Hyper-V uses (as OpenVMM has it) */
    .instanceid = "b6650ff7-33bc-4840-8048-e0676786f393",
    .msg_type = IC_MSG_SHUTDOWN,
    .versions = {
        [IC_ERA_WS2008] = IC_VL1(IC_V(1, 0)),
        [IC_ERA_WS2008R2] = IC_VL2(IC_V(3, 0), IC_V(1, 0)),
        [IC_ERA_WS2012] = IC_VL2(IC_V(3, 0), IC_V(1, 0)),
        [IC_ERA_WS2016] = IC_VL3(IC_V(3, 1), IC_V(3, 0), IC_V(1, 0)),
        [IC_ERA_WS2019] = IC_VL4(IC_V(3, 2), IC_V(3, 1), IC_V(3, 0), IC_V(1, 0)),
    },
    .class_init = sd_class_init,
    .realize = sd_realize,
    .unrealize = sd_unrealize,
    .response = sd_response,
    .status = sd_status,
};

/* ------------------------------------------------------------------ */
/* Time sync                                                          */
/* ------------------------------------------------------------------ */

#define TYPE_HV_TIMESYNC "hv-timesync"
OBJECT_DECLARE_SIMPLE_TYPE(HvTimesync, HV_TIMESYNC)

struct HvTimesync {
    HvIc ic;
    uint64_t syncs, samples;
};

/* TIME_REF_COUNT as the guest reads it */
static uint64_t ts_ref_time(void)
{
#ifdef CONFIG_TCG
    if (tcg_enabled()) {
        return hyperv_tcg_ref_time();
    }
#endif
#ifdef CONFIG_KVM
    if (kvm_enabled()) {
        /* KVM derives its reference counter from kvmclock */
        struct kvm_clock_data data = {};

        if (!kvm_vm_ioctl(kvm_state, KVM_GET_CLOCK, &data)) {
            return data.clock / 100;
        }
    }
#endif
    return 0;
}

static bool ts_v4(HvIc *ic)
{
    return ic_version_ge(ic->version, 4, 0);
}

/* Host UTC now, and the reference time read with it. */
static void ts_fill(HvIc *ic, uint8_t *body, uint32_t len)
{
    uint64_t now = qemu_clock_get_ns(QEMU_CLOCK_HOST) / 100 +
                   IC_TIME_1601_TO_1970;

    if (ts_v4(ic)) {
        IcTimesyncRef *m = (IcTimesyncRef *)body;

        assert(len >= sizeof(*m));
        m->parent_time = now;
        m->ref_time = ts_ref_time();
    } else {
        IcTimesync *m = (IcTimesync *)body;

        assert(len >= sizeof(*m));
        m->parent_time = now;
    }
}

static void ts_send(HvIc *ic, uint8_t flags)
{
    HvTimesync *ts = HV_TIMESYNC(ic);
    union {
        IcTimesync old;
        IcTimesyncRef ref;
    } msg = {};

    if (ic->busy) {
        return;
    }
    if (flags & IC_TIMESYNC_SYNC) {
        ts->syncs++;
    } else {
        ts->samples++;
    }
    /* the times are filled in as the message goes into the ring */
    if (ts_v4(ic)) {
        msg.ref.flags = flags;
        ic_request(ic, IC_MSG_TIMESYNC, &msg.ref, sizeof(msg.ref));
    } else {
        msg.old.flags = flags;
        ic_request(ic, IC_MSG_TIMESYNC, &msg.old, sizeof(msg.old));
    }
}

static void ts_start(HvIc *ic)
{
    ts_send(ic, IC_TIMESYNC_SYNC);
}

static void ts_tick(HvIc *ic)
{
    ts_send(ic, IC_TIMESYNC_SAMPLE);
}

static void ts_response(HvIc *ic, const IcHdr *h, const uint8_t *body,
                        uint32_t len)
{
    if (h->ic.status != IC_S_OK) {
        ic_bad(ic, "time sample answered with status 0x%08x", h->ic.status);
    }
}

static void ts_stop(HvIc *ic)
{
    HvTimesync *ts = HV_TIMESYNC(ic);

    ts->syncs = 0;
    ts->samples = 0;
}

static void ts_status(HvIc *ic, GString *s)
{
    HvTimesync *ts = HV_TIMESYNC(ic);

    g_string_append_printf(s, " syncs %" PRIu64 " samples %" PRIu64,
                           ts->syncs, ts->samples);
}

static const Property ts_properties[] = {
    DEFINE_PROP_UINT32("interval", HvIc, interval_ms, 5000),
    DEFINE_PROP_IC_TIMEOUT(),
};

static const HvIcServiceInfo ts_info = {
    .type_name = TYPE_HV_TIMESYNC,
    .classid = "9527e630-d0ae-497b-adce-e80ab0175caf",
    .instanceid = "9bd9b1b0-6edf-4ab3-9b53-36ab8962c75c",
    .msg_type = IC_MSG_TIMESYNC,
    .default_interval_ms = 5000,
    .versions = {
        [IC_ERA_WS2008] = IC_VL1(IC_V(1, 0)),
        [IC_ERA_WS2008R2] = IC_VL2(IC_V(3, 0), IC_V(1, 0)),
        [IC_ERA_WS2012] = IC_VL2(IC_V(3, 0), IC_V(1, 0)),
        [IC_ERA_WS2016] = IC_VL3(IC_V(4, 0), IC_V(3, 0), IC_V(1, 0)),
        [IC_ERA_WS2019] = IC_VL3(IC_V(4, 0), IC_V(3, 0), IC_V(1, 0)),
    },
    .start = ts_start,
    .tick = ts_tick,
    .response = ts_response,
    .refresh = ts_fill,
    .stop = ts_stop,
    .status = ts_status,
};

/* ------------------------------------------------------------------ */
/* KVP                                                                */
/* ------------------------------------------------------------------ */

#define TYPE_HV_KVP "hv-kvp"
OBJECT_DECLARE_SIMPLE_TYPE(HvKvp, HV_KVP)

struct HvKvp {
    HvIc ic;
    GQueue pushes;              /* IcKvpSet *, waiting to be sent */
    uint8_t out_op;             /* KVP_OP_* of the request in flight */
    bool enumerating;
    uint32_t index;             /* of the enumerate request in flight */
    GString *building;          /* the pool so far in this pass */
    char *pool;                 /* the last complete pass */
    uint64_t sets_ok, sets_failed, passes;
};

/*
 * UTF-16LE from the guest to ASCII: at most @size bytes, at most @max,
 * up to the first NUL; anything not printable ASCII becomes '?'.
 */
static void kvp_utf16_append(GString *s, const uint8_t *p, uint32_t size,
                             uint32_t max)
{
    uint32_t i;

    size = MIN(size, max) & ~1u;
    for (i = 0; i < size; i += 2) {
        uint16_t c = p[i] | (p[i + 1] << 8);

        if (!c) {
            break;
        }
        g_string_append_c(s, c >= 0x20 && c < 0x7f ? c : '?');
    }
}

/* UTF-8 @s to UTF-16LE in @out (with its NUL); its size in bytes, or 0. */
static uint32_t kvp_utf16_put(const char *s, uint8_t *out, uint32_t max,
                              const char *what, Error **errp)
{
    g_autoptr(GError) gerr = NULL;
    g_autofree gunichar2 *u = NULL;
    glong n, i;

    u = g_utf8_to_utf16(s, -1, NULL, &n, &gerr);
    if (!u) {
        error_setg(errp, "%s: %s", what, gerr->message);
        return 0;
    }
    if ((n + 1) * 2 > max) {
        error_setg(errp, "%s is %ld UTF-16 units, at most %u fit", what, n,
                   max / 2 - 1);
        return 0;
    }
    for (i = 0; i <= n; i++) {
        out[2 * i] = u[i] & 0xff;
        out[2 * i + 1] = u[i] >> 8;
    }
    return (n + 1) * 2;
}

static void kvp_send_enumerate(HvKvp *kvp)
{
    IcKvpEnumerate msg = {
        .hdr = { .op = KVP_OP_ENUMERATE, .pool = KVP_POOL_AUTO },
        .index = kvp->index,
    };

    kvp->out_op = KVP_OP_ENUMERATE;
    ic_request(&kvp->ic, IC_MSG_KVP, &msg, sizeof(msg));
}

/* The next request: a push first, else the enumeration under way. */
static void kvp_next(HvIc *ic)
{
    HvKvp *kvp = HV_KVP(ic);
    IcKvpSet *set;

    if (ic->busy || ic->state != IC_OPEN) {
        return;
    }
    set = g_queue_pop_head(&kvp->pushes);
    if (set) {
        kvp->out_op = KVP_OP_SET;
        ic_request(ic, IC_MSG_KVP, set, sizeof(*set));
        g_free(set);
        return;
    }
    if (kvp->enumerating) {
        kvp_send_enumerate(kvp);
    }
}

static void kvp_begin_pass(HvIc *ic)
{
    HvKvp *kvp = HV_KVP(ic);

    if (!kvp->enumerating) {
        kvp->enumerating = true;
        kvp->index = 0;
        g_string_truncate(kvp->building, 0);
    }
    kvp_next(ic);
}

static void kvp_end_pass(HvKvp *kvp)
{
    kvp->enumerating = false;
    kvp->passes++;
    g_free(kvp->pool);
    kvp->pool = g_strdup(kvp->building->str);
    g_string_truncate(kvp->building, 0);
}

static void kvp_enumerate_response(HvKvp *kvp, const IcHdr *h,
                                   const uint8_t *body, uint32_t len)
{
    HvIc *ic = &kvp->ic;
    IcKvpEnumerate m;
    const size_t fixed = offsetof(IcKvpEnumerate, data.key);
    uint32_t avail;

    if (h->ic.status != IC_S_OK) {
        /* the guest's "no more items" (or any failure) ends the pass */
        kvp_end_pass(kvp);
        return;
    }
    if (len < fixed) {
        ic_bad(ic, "enumerate answer of %u bytes; pass abandoned", len);
        kvp->enumerating = false;
        return;
    }
    memset(&m, 0, sizeof(m));
    memcpy(&m, body, MIN(len, sizeof(m)));
    avail = MIN(len, sizeof(m)) - fixed;
    if (m.hdr.pool != KVP_POOL_AUTO || m.index != kvp->index) {
        ic_bad(ic, "enumerate answer for pool %u index %u, asked pool %u "
               "index %u; pass abandoned", m.hdr.pool, m.index,
               KVP_POOL_AUTO, kvp->index);
        kvp->enumerating = false;
        return;
    }
    if (m.data.key_size > KVP_KEY_BYTES || m.data.key_size > avail ||
        m.data.value_size > KVP_VALUE_BYTES ||
        m.data.value_size > avail - MIN(avail, KVP_KEY_BYTES)) {
        ic_bad(ic, "enumerate answer %u: key size %u, value size %u do not "
               "fit; entry skipped", m.index, m.data.key_size,
               m.data.value_size);
    } else {
        GString *s = kvp->building;

        kvp_utf16_append(s, m.data.key, m.data.key_size, KVP_KEY_BYTES);
        g_string_append_c(s, '=');
        switch (m.data.type) {
        case KVP_REG_SZ:
            kvp_utf16_append(s, m.data.value, m.data.value_size,
                             KVP_VALUE_BYTES);
            break;
        case KVP_REG_U32: {
            uint32_t v;

            memcpy(&v, m.data.value, sizeof(v));
            g_string_append_printf(s, "%u", v);
            break;
        }
        case KVP_REG_U64: {
            uint64_t v;

            memcpy(&v, m.data.value, sizeof(v));
            g_string_append_printf(s, "%" PRIu64, v);
            break;
        }
        default:
            ic_bad(ic, "enumerate answer %u: value type %u", m.index,
                   m.data.type);
            g_string_append_c(s, '?');
            break;
        }
        g_string_append_c(s, '\n');
    }
    if (++kvp->index >= KVP_MAX_KEYS) {
        ic_bad(ic, "more than %u keys in the auto pool; the rest ignored",
               KVP_MAX_KEYS);
        kvp_end_pass(kvp);
    }
}

static void kvp_response(HvIc *ic, const IcHdr *h, const uint8_t *body,
                         uint32_t len)
{
    HvKvp *kvp = HV_KVP(ic);
    IcKvpHdr k;

    if (len < sizeof(k)) {
        ic_bad(ic, "KVP answer of %u bytes", len);
        kvp->enumerating = false;
        return;
    }
    memcpy(&k, body, sizeof(k));
    if (k.op != kvp->out_op) {
        ic_bad(ic, "KVP answer for operation %u, asked %u", k.op,
               kvp->out_op);
        kvp->enumerating = false;
        return;
    }
    if (k.op == KVP_OP_SET) {
        if (h->ic.status == IC_S_OK) {
            kvp->sets_ok++;
        } else {
            kvp->sets_failed++;
        }
    } else if (kvp->enumerating) {
        kvp_enumerate_response(kvp, h, body, len);
    }
}

static void kvp_abandon(HvIc *ic)
{
    HvKvp *kvp = HV_KVP(ic);

    /* no usable answer: the pass starts again at the next interval */
    kvp->enumerating = false;
}

static void kvp_stop(HvIc *ic)
{
    HvKvp *kvp = HV_KVP(ic);

    g_queue_clear_full(&kvp->pushes, g_free);
    kvp->enumerating = false;
    kvp->index = 0;
    if (kvp->building) {
        g_string_truncate(kvp->building, 0);
    }
    g_clear_pointer(&kvp->pool, g_free);
    kvp->sets_ok = kvp->sets_failed = kvp->passes = 0;
}

static void kvp_status(HvIc *ic, GString *s)
{
    HvKvp *kvp = HV_KVP(ic);

    g_string_append_printf(s, " passes %" PRIu64 " pushes-queued %u"
                           " sets %" PRIu64 " set-failures %" PRIu64,
                           kvp->passes, g_queue_get_length(&kvp->pushes),
                           kvp->sets_ok, kvp->sets_failed);
}

static void kvp_set_push(Object *obj, const char *value, Error **errp)
{
    HvKvp *kvp = HV_KVP(obj);
    HvIc *ic = &kvp->ic;
    g_autofree IcKvpSet *set = NULL;
    g_autofree char *key = NULL;
    const char *eq = strchr(value, '=');

    if (!eq || eq == value) {
        error_setg(errp, "push wants KEY=VALUE with a non-empty KEY");
        return;
    }
    if (ic->state != IC_NEGOTIATING && ic->state != IC_OPEN) {
        error_setg(errp, "the guest's KVP service is %s",
                   ic->state == IC_CLOSED ? "not running (channel closed)" :
                   ic_state_names[ic->state]);
        return;
    }
    if (g_queue_get_length(&kvp->pushes) >= KVP_MAX_PUSHES) {
        error_setg(errp, "%u pushes are already waiting for the guest",
                   KVP_MAX_PUSHES);
        return;
    }
    set = g_new0(IcKvpSet, 1);
    set->hdr.op = KVP_OP_SET;
    set->hdr.pool = KVP_POOL_EXTERNAL;
    set->data.type = KVP_REG_SZ;
    key = g_strndup(value, eq - value);
    set->data.key_size = kvp_utf16_put(key, set->data.key, KVP_KEY_BYTES,
                                       "key", errp);
    if (!set->data.key_size) {
        return;
    }
    set->data.value_size = kvp_utf16_put(eq + 1, set->data.value,
                                         KVP_VALUE_BYTES, "value", errp);
    if (!set->data.value_size) {
        return;
    }
    g_queue_push_tail(&kvp->pushes, g_steal_pointer(&set));
    kvp_next(ic);
}

static char *kvp_get_pool(Object *obj, Error **errp)
{
    HvKvp *kvp = HV_KVP(obj);

    return g_strdup(kvp->pool ? kvp->pool : "");
}

static void kvp_realize(HvIc *ic, Error **errp)
{
    HvKvp *kvp = HV_KVP(ic);

    g_queue_init(&kvp->pushes);
    kvp->building = g_string_new(NULL);
}

static void kvp_unrealize(HvIc *ic)
{
    HvKvp *kvp = HV_KVP(ic);

    kvp_stop(ic);
    if (kvp->building) {
        g_string_free(kvp->building, true);
        kvp->building = NULL;
    }
}

static void kvp_class_init(ObjectClass *klass)
{
    object_class_property_add_str(klass, "guest-pool", kvp_get_pool, NULL);
    object_class_property_set_description(klass, "guest-pool",
        "KEY=VALUE lines of the guest's auto pool (last complete pass)");
    object_class_property_add_str(klass, "push", NULL, kvp_set_push);
    object_class_property_set_description(klass, "push",
        "KEY=VALUE: set KEY in the guest's external pool");
}

static const Property kvp_properties[] = {
    DEFINE_PROP_UINT32("interval", HvIc, interval_ms, 2000),
    DEFINE_PROP_IC_TIMEOUT(),
};

static const HvIcServiceInfo kvp_info = {
    .type_name = TYPE_HV_KVP,
    .classid = "a9a0f4e7-5a45-4d96-b827-8a841e8c03e6",
    .instanceid = "04ce0e00-7431-462d-9ad0-82897a9aafa1",
    .msg_type = IC_MSG_KVP,
    .default_interval_ms = 2000,
    .versions = {
        [IC_ERA_WS2008] = IC_VL1(IC_V(1, 0)),
        [IC_ERA_WS2008R2] = IC_VL2(IC_V(3, 0), IC_V(1, 0)),
        [IC_ERA_WS2012] = IC_VL3(IC_V(4, 0), IC_V(3, 0), IC_V(1, 0)),
        [IC_ERA_WS2016] = IC_VL3(IC_V(4, 0), IC_V(3, 0), IC_V(1, 0)),
        [IC_ERA_WS2019] = IC_VL3(IC_V(4, 0), IC_V(3, 0), IC_V(1, 0)),
    },
    .class_init = kvp_class_init,
    .realize = kvp_realize,
    .unrealize = kvp_unrealize,
    .start = kvp_begin_pass,
    .tick = kvp_begin_pass,
    .response = kvp_response,
    .abandon = kvp_abandon,
    .idle = kvp_next,
    .stop = kvp_stop,
    .status = kvp_status,
};

/* ------------------------------------------------------------------ */
/* Types                                                              */
/* ------------------------------------------------------------------ */

static void hb_type_class_init(ObjectClass *klass, void *data)
{
    ic_service_class_init(klass, data);
    device_class_set_props(DEVICE_CLASS(klass), hb_properties);
}

static void sd_type_class_init(ObjectClass *klass, void *data)
{
    ic_service_class_init(klass, data);
    device_class_set_props(DEVICE_CLASS(klass), sd_properties);
}

static void ts_type_class_init(ObjectClass *klass, void *data)
{
    ic_service_class_init(klass, data);
    device_class_set_props(DEVICE_CLASS(klass), ts_properties);
}

static void kvp_type_class_init(ObjectClass *klass, void *data)
{
    ic_service_class_init(klass, data);
    device_class_set_props(DEVICE_CLASS(klass), kvp_properties);
}

static const TypeInfo hv_ic_types[] = {
    {
        .name = TYPE_HV_IC,
        .parent = TYPE_VMBUS_DEVICE,
        .abstract = true,
        .instance_size = sizeof(HvIc),
        .instance_init = ic_instance_init,
        .instance_finalize = ic_instance_finalize,
        .class_size = sizeof(HvIcClass),
        .class_init = ic_class_init,
    }, {
        .name = TYPE_HV_HEARTBEAT,
        .parent = TYPE_HV_IC,
        .instance_size = sizeof(HvHeartbeat),
        .class_init = hb_type_class_init,
        .class_data = (void *)&hb_info,
    }, {
        .name = TYPE_HV_SHUTDOWN,
        .parent = TYPE_HV_IC,
        .instance_size = sizeof(HvShutdown),
        .class_init = sd_type_class_init,
        .class_data = (void *)&sd_info,
    }, {
        .name = TYPE_HV_TIMESYNC,
        .parent = TYPE_HV_IC,
        .instance_size = sizeof(HvTimesync),
        .class_init = ts_type_class_init,
        .class_data = (void *)&ts_info,
    }, {
        .name = TYPE_HV_KVP,
        .parent = TYPE_HV_IC,
        .instance_size = sizeof(HvKvp),
        .class_init = kvp_type_class_init,
        .class_data = (void *)&kvp_info,
    },
};

DEFINE_TYPES(hv_ic_types)
