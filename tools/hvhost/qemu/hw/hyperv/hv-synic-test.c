/*
 * hv-synic-test: a host-side injector for SynIC tests
 *
 *   -device hv-synic-test,id=hvtest
 *   qom-set /machine/peripheral/hvtest post-message "VP:SINT:TYPE:COUNT"
 *   qom-set /machine/peripheral/hvtest signal-event "VP:SINT:FLAG"
 *   qom-get /machine/peripheral/hvtest state
 *
 * post-message queues COUNT messages of TYPE for SINT on VP (payload: one
 * byte, the message's number from 1), delivered one after the other the
 * way QEMU's VMBus server delivers: a busy slot waits for the guest's EOM.
 * signal-event sets event flag FLAG of SINT on VP and signals the SINT.
 * state shows the partition registers, each vCPU's SynIC and the counts of
 * what this object posted, delivered and failed to deliver.
 *
 * It is a device without a bus, not an -object: -object and object-add
 * only create the types listed in the QAPI schema (qapi/qom.json), and
 * adding one there regenerates code most of QEMU includes.
 *
 * hv-vmbus-test (with CONFIG_VMBUS): a VMBus device whose sub-channels are
 * offered only when it asks (subchannels_on_request), as on Hyper-V:
 *
 *   -device hv-vmbus-test,id=vt,channels=3
 *   qom-set /machine/peripheral/vt offer-subchannels 2
 *
 * class a98e4cf7-d717-46db-8fe4-6abd8293fb72 (made up for these tests),
 * instance e34293db-19ad-4cd7-847b-ba70c0417ada (fixed: one per VM);
 * channels (1-16, default 3) is the primary and its sub-channels;
 * offer-subchannels N (write-only) calls vmbus_device_offer_subchannels():
 * sub-channels 1..N are offered (N beyond channels - 1 is capped, fewer
 * than already offered changes nothing).
 *
 * Every channel (primary and sub-channels) echoes what the guest sends, for
 * stress tests of a guest's ring-buffer code.  One reply per guest packet,
 * in the order of the guest's packets, with the guest's transaction id:
 *
 *   in-band (type 6, VM_PKT_DATA_INBAND): the payload (the packet from
 *     offset8 * 8 to len8 * 8, so with the guest's padding) comes back as a
 *     completion (type 0xb) if the guest set flags bit 0 (completion
 *     requested), else as an in-band packet (type 6, flags 0);
 *   GPA direct (type 9, VM_PKT_DATA_USING_GPA_DIRECT: reserved u32, range
 *     count u32, ranges {byte_count, byte_offset, pfn[]}): a completion
 *     (type 0xb) whose payload is the in-band payload after the ranges
 *     (padding included), then the bytes the ranges describe, read from
 *     guest memory, range after range;
 *   anything else that reaches the device (a completion, type 0xb), a
 *     reply payload over 64 KiB (HV_VMBUS_TEST_ECHO_MAX) or larger than
 *     the host->guest ring can ever hold, a range not in guest RAM: an
 *     in-band packet (type 6, flags 0) with the 8-byte error marker
 *     { u32 0x6f686365 ("echo"), u32 reason } (HV_VMBUS_TEST_ECHO_ERR_*:
 *     1 too big, 2 bad memory, 3 packet type), and a log line.
 *
 * Packets the VMBus server cannot parse (bad offset8/len8, GPA ranges past
 * the packet, other types) are logged and dropped there, unanswered.
 * When a reply does not fit the host->guest ring, the channel stops
 * reading the guest->host ring (the packet stays there) and goes on when
 * the guest has made room (pending_send_sz, the guest's signal); nothing
 * is dropped or reordered and no vCPU waits.  Counters (qom-get, uint64,
 * sums over the device's channels; a channel's share is cleared when it
 * opens and when it closes): echoed-packets and echoed-bytes (replies
 * other than errors and their payload bytes), errors (error markers sent
 * plus packets the server dropped), ring-full (times a channel had to wait
 * for room).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/main-loop.h"
#include "qapi/visitor.h"
#include "hw/qdev-core.h"
#include "hw/qdev-properties.h"
#include "hw/core/cpu.h"
#include "hw/hyperv/hyperv.h"
#include "target/i386/cpu.h"
#include CONFIG_DEVICES
#ifdef CONFIG_VMBUS
#include "qemu/uuid.h"
#include "qemu/units.h"
#include "exec/memory.h"
#include "hw/hyperv/vmbus.h"
#endif

#define TYPE_HV_SYNIC_TEST "hv-synic-test"
OBJECT_DECLARE_SIMPLE_TYPE(HvSynicTest, HV_SYNIC_TEST)

typedef struct HvTestMsg {
    uint32_t vp, sint, type;
    uint8_t number;
    QSIMPLEQ_ENTRY(HvTestMsg) next;
} HvTestMsg;

struct HvSynicTest {
    DeviceState parent_obj;

    QSIMPLEQ_HEAD(, HvTestMsg) queue;
    HvSintRoute *route;         /* of the message in flight */
    HvTestMsg *inflight;
    uint64_t posted, delivered, retried, failed, events;
    /* per vp * HV_SINT_COUNT + sint: messages queued and delivered */
    GHashTable *queued_per_sint, *delivered_per_sint;
};

static void post_next(HvSynicTest *t);

static void count_sint(GHashTable *h, uint32_t vp, uint32_t sint)
{
    gpointer key = GUINT_TO_POINTER(vp * HV_SINT_COUNT + sint + 1);

    g_hash_table_insert(h, key, GUINT_TO_POINTER(
                        GPOINTER_TO_UINT(g_hash_table_lookup(h, key)) + 1));
}

static unsigned sint_count(GHashTable *h, uint32_t vp, uint32_t sint)
{
    return GPOINTER_TO_UINT(g_hash_table_lookup(h,
                            GUINT_TO_POINTER(vp * HV_SINT_COUNT + sint + 1)));
}

static void msg_done(void *opaque, int status)
{
    HvSynicTest *t = opaque;
    HvTestMsg *m = t->inflight;

    if (status == -EAGAIN) {
        /* the slot was busy; the guest has sent EOM since: again */
        t->retried++;
    } else {
        if (status) {
            t->failed++;
        } else {
            t->delivered++;
            count_sint(t->delivered_per_sint, m->vp, m->sint);
        }
        QSIMPLEQ_REMOVE_HEAD(&t->queue, next);
        g_free(m);
    }
    t->inflight = NULL;
    post_next(t);
}

static void post_next(HvSynicTest *t)
{
    struct hyperv_message msg = {};
    HvTestMsg *m = QSIMPLEQ_FIRST(&t->queue);

    if (t->route && (!m || !t->inflight)) {
        /* the route belongs to the last message's vp and sint */
        hyperv_sint_route_unref(t->route);
        t->route = NULL;
    }
    if (!m) {
        return;
    }
    t->route = hyperv_sint_route_new(m->vp, m->sint, msg_done, t);
    if (!t->route) {
        t->failed++;
        QSIMPLEQ_REMOVE_HEAD(&t->queue, next);
        g_free(m);
        post_next(t);
        return;
    }
    msg.header.message_type = m->type;
    msg.header.payload_size = 1;
    msg.payload[0] = m->number;
    t->inflight = m;
    if (hyperv_post_msg(t->route, &msg)) {
        /* not taken: count it and go on, the queue must not stall */
        t->inflight = NULL;
        t->failed++;
        QSIMPLEQ_REMOVE_HEAD(&t->queue, next);
        g_free(m);
        post_next(t);
    }
}

static bool valid_vp(uint32_t vp, Error **errp)
{
    CPUState *cs = qemu_get_cpu(vp);

    if (!cs || !hyperv_synic_get(cs)) {
        error_setg(errp, "no vCPU %u with a SynIC", vp);
        return false;
    }
    return true;
}

static void set_post_message(Object *obj, const char *value, Error **errp)
{
    HvSynicTest *t = HV_SYNIC_TEST(obj);
    uint32_t vp, sint, type, count, i;
    bool idle = QSIMPLEQ_EMPTY(&t->queue);

    if (sscanf(value, "%u:%u:%u:%u", &vp, &sint, &type, &count) != 4 ||
        sint >= HV_SINT_COUNT || !type || (type & 0x80000000) ||
        count > 256) {
        error_setg(errp, "post-message: want VP:SINT:TYPE:COUNT "
                   "(SINT < 16, 0 < TYPE < 2^31, COUNT <= 256)");
        return;
    }
    if (!valid_vp(vp, errp)) {
        return;
    }
    for (i = 0; i < count; i++) {
        HvTestMsg *m = g_new0(HvTestMsg, 1);

        m->vp = vp;
        m->sint = sint;
        m->type = type;
        m->number = i + 1;
        QSIMPLEQ_INSERT_TAIL(&t->queue, m, next);
        t->posted++;
        count_sint(t->queued_per_sint, vp, sint);
    }
    if (idle && !t->inflight) {
        post_next(t);
    }
}

static void set_signal_event(Object *obj, const char *value, Error **errp)
{
    HvSynicTest *t = HV_SYNIC_TEST(obj);
    uint32_t vp, sint, flag;
    HvSintRoute *route;
    int r;

    if (sscanf(value, "%u:%u:%u", &vp, &sint, &flag) != 3 ||
        sint >= HV_SINT_COUNT || flag >= HV_EVENT_FLAGS_COUNT) {
        error_setg(errp, "signal-event: want VP:SINT:FLAG (SINT < 16, "
                   "FLAG < %u)", HV_EVENT_FLAGS_COUNT);
        return;
    }
    if (!valid_vp(vp, errp)) {
        return;
    }
    route = hyperv_sint_route_new(vp, sint, NULL, NULL);
    if (!route) {
        error_setg(errp, "signal-event: no route to vp %u sint %u", vp, sint);
        return;
    }
    r = hyperv_set_event_flag(route, flag);
    hyperv_sint_route_unref(route);
    if (r) {
        error_setg(errp, "signal-event: %s", strerror(-r));
        return;
    }
    t->events++;
}

static char *get_state(Object *obj, Error **errp)
{
    HvSynicTest *t = HV_SYNIC_TEST(obj);
    GString *s = g_string_new(NULL);
    CPUState *cs;
    bool first = true;

    CPU_FOREACH(cs) {
        CPUX86State *env = &X86_CPU(cs)->env;
        int i;

        if (first) {
            g_string_append_printf(s, "guest os id 0x%016" PRIx64 "\n",
                                   env->msr_hv_guest_os_id);
            g_string_append_printf(s, "hypercall 0x%" PRIx64 " (%s)\n",
                                   env->msr_hv_hypercall,
                                   env->msr_hv_hypercall & 1 ?
                                   "enabled" : "disabled");
            g_string_append_printf(s, "reference tsc 0x%" PRIx64 " (%s)\n",
                                   env->msr_hv_tsc, env->msr_hv_tsc & 1 ?
                                   "enabled" : "disabled");
            first = false;
        }
        g_string_append_printf(s, "vp%d scontrol 0x%" PRIx64 " simp 0x%"
                               PRIx64 " siefp 0x%" PRIx64 "\n",
                               cs->cpu_index, env->msr_hv_synic_control,
                               env->msr_hv_synic_msg_page,
                               env->msr_hv_synic_evt_page);
        for (i = 0; i < HV_SINT_COUNT; i++) {
            uint64_t v = env->msr_hv_synic_sint[i];

            if (v & HV_SINT_MASKED) {
                continue;
            }
            g_string_append_printf(s, "vp%d sint%d 0x%" PRIx64
                                   " vector 0x%02x queued %u delivered %u\n",
                                   cs->cpu_index, i, v,
                                   (unsigned)(v & HV_SINT_VECTOR_MASK),
                                   sint_count(t->queued_per_sint,
                                              cs->cpu_index, i),
                                   sint_count(t->delivered_per_sint,
                                              cs->cpu_index, i));
        }
        for (i = 0; i < HV_STIMER_COUNT; i++) {
            if (!env->msr_hv_stimer_config[i]) {
                continue;
            }
            g_string_append_printf(s, "vp%d stimer%d config 0x%" PRIx64
                                   " count 0x%" PRIx64 "\n", cs->cpu_index, i,
                                   env->msr_hv_stimer_config[i],
                                   env->msr_hv_stimer_count[i]);
        }
    }
    g_string_append_printf(s, "test posted %" PRIu64 " delivered %" PRIu64
                           " retried %" PRIu64 " failed %" PRIu64
                           " events %" PRIu64 "\n", t->posted, t->delivered,
                           t->retried, t->failed, t->events);
    return g_string_free(s, false);
}

static void hv_synic_test_init(Object *obj)
{
    HvSynicTest *t = HV_SYNIC_TEST(obj);

    QSIMPLEQ_INIT(&t->queue);
    t->queued_per_sint = g_hash_table_new(NULL, NULL);
    t->delivered_per_sint = g_hash_table_new(NULL, NULL);
}

static void hv_synic_test_finalize(Object *obj)
{
    HvSynicTest *t = HV_SYNIC_TEST(obj);
    HvTestMsg *m, *tmp;

    /* a message in flight keeps the route (and its callback) alive */
    if (t->inflight) {
        QSIMPLEQ_REMOVE_HEAD(&t->queue, next);
        g_free(t->inflight);
        t->inflight = NULL;
    }
    QSIMPLEQ_FOREACH_SAFE(m, &t->queue, next, tmp) {
        g_free(m);
    }
    if (t->route) {
        hyperv_sint_route_unref(t->route);
    }
    g_hash_table_destroy(t->queued_per_sint);
    g_hash_table_destroy(t->delivered_per_sint);
}

static void hv_synic_test_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->desc = "Hyper-V SynIC message and event injector (tests)";
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    /* no bus: not hot-pluggable, created with -device at startup */
    dc->hotpluggable = false;
    object_class_property_add_str(oc, "post-message", NULL,
                                  set_post_message);
    object_class_property_add_str(oc, "signal-event", NULL,
                                  set_signal_event);
    object_class_property_add_str(oc, "state", get_state, NULL);
}

static const TypeInfo hv_synic_test_info = {
    .name = TYPE_HV_SYNIC_TEST,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(HvSynicTest),
    .instance_init = hv_synic_test_init,
    .instance_finalize = hv_synic_test_finalize,
    .class_init = hv_synic_test_class_init,
};

#ifdef CONFIG_VMBUS
/* ------------------------------------------------------------------ */
/* hv-vmbus-test: sub-channels offered on request                     */
/* ------------------------------------------------------------------ */

#define TYPE_HV_VMBUS_TEST "hv-vmbus-test"
#define HV_VMBUS_TEST_CLASSID "a98e4cf7-d717-46db-8fe4-6abd8293fb72"
#define HV_VMBUS_TEST_INSTANCEID "e34293db-19ad-4cd7-847b-ba70c0417ada"
#define HV_VMBUS_TEST_MAX_CHANNELS 16

/* the echo: the largest reply payload, and the error marker */
#define HV_VMBUS_TEST_ECHO_MAX          (64 * KiB)
#define HV_VMBUS_TEST_ECHO_MAGIC        0x6f686365      /* "echo" */
#define HV_VMBUS_TEST_ECHO_ERR_TOO_BIG  1
#define HV_VMBUS_TEST_ECHO_ERR_MEMORY   2
#define HV_VMBUS_TEST_ECHO_ERR_TYPE     3

typedef struct HvVmbusTestEchoError {
    uint32_t magic;
    uint32_t reason;
} HvVmbusTestEchoError;

OBJECT_DECLARE_TYPE(HvVmbusTest, HvVmbusTestClass, HV_VMBUS_TEST)

typedef struct HvVmbusTestChan {
    uint64_t packets, bytes, errors, ring_full;
    /* waiting for room in the host->guest ring */
    bool blocked;
} HvVmbusTestChan;

struct HvVmbusTest {
    VMBusDevice parent_obj;

    uint16_t channels;
    HvVmbusTestChan chan[HV_VMBUS_TEST_MAX_CHANNELS];
    HvLogLimit log_limit;
};

#define hv_vmbus_test_bad(t, ...) \
    hyperv_log_guest(&(t)->log_limit, TYPE_HV_VMBUS_TEST, __VA_ARGS__)

struct HvVmbusTestClass {
    VMBusDeviceClass parent_class;

    DeviceRealize parent_realize;
};

static void hv_vmbus_test_realize(DeviceState *dev, Error **errp)
{
    HvVmbusTest *t = HV_VMBUS_TEST(dev);

    /* before the channels are made (vmbus_dev_realize) */
    if (!t->channels || t->channels > HV_VMBUS_TEST_MAX_CHANNELS) {
        error_setg(errp, "channels: want 1-%u, not %u",
                   HV_VMBUS_TEST_MAX_CHANNELS, t->channels);
        return;
    }
    HV_VMBUS_TEST_GET_CLASS(dev)->parent_realize(dev, errp);
}

static uint16_t hv_vmbus_test_num_channels(VMBusDevice *vdev)
{
    return HV_VMBUS_TEST(vdev)->channels;
}

/* Is [addr, addr + len) guest RAM (no MMIO, nothing unassigned)? */
static bool hv_vmbus_test_is_ram(AddressSpace *as, hwaddr addr, hwaddr len)
{
    if (addr + len < addr) {
        return false;
    }
    while (len) {
        MemoryRegionSection sec = memory_region_find(as->root, addr, len);
        hwaddr n = 0;

        if (!sec.mr) {
            return false;
        }
        if (memory_region_is_ram(sec.mr) &&
            !memory_region_is_ram_device(sec.mr) &&
            sec.offset_within_address_space == addr) {
            n = MIN(int128_get64(sec.size), len);
        }
        memory_region_unref(sec.mr);
        if (!n) {
            return false;
        }
        addr += n;
        len -= n;
    }
    return true;
}

/* Copy the guest memory a GPA-direct packet describes into @buf */
static bool hv_vmbus_test_read_sgl(VMBusChanReq *req, uint8_t *buf)
{
    QEMUSGList *sgl = &req->sgl;
    int i;

    for (i = 0; i < sgl->nsg; i++) {
        dma_addr_t base = sgl->sg[i].base, len = sgl->sg[i].len;

        if (!hv_vmbus_test_is_ram(sgl->as, base, len) ||
            dma_memory_read(sgl->as, base, buf, len,
                            MEMTXATTRS_UNSPECIFIED) != MEMTX_OK) {
            return false;
        }
        buf += len;
    }
    return true;
}

/* Bytes a packet with @len payload bytes takes in a ring */
static uint64_t hv_vmbus_test_pkt_size(uint64_t len)
{
    return sizeof(vmbus_packet_hdr) + ROUND_UP(len, sizeof(uint64_t)) +
           sizeof(uint64_t);
}

/*
 * Answer @req (see the header comment).  False: the reply does not fit the
 * host->guest ring now; nothing was sent and the packet stays unread.
 */
static bool hv_vmbus_test_echo(HvVmbusTest *t, VMBusChanReq *req)
{
    VMBusChannel *chan = req->chan;
    uint32_t idx = vmbus_channel_idx(chan);
    HvVmbusTestChan *tc = &t->chan[idx];
    g_autofree uint8_t *buf = NULL;
    HvVmbusTestEchoError marker = { HV_VMBUS_TEST_ECHO_MAGIC, 0 };
    uint64_t len = req->msglen;
    uint16_t type = req->need_comp ? VMBUS_PACKET_COMP :
                    VMBUS_PACKET_DATA_INBAND;
    void *reply;
    uint32_t rlen;

    switch (req->pkt_type) {
    case VMBUS_PACKET_DATA_INBAND:
        break;
    case VMBUS_PACKET_DATA_USING_GPA_DIRECT:
        len += req->sgl.size;
        type = VMBUS_PACKET_COMP;
        break;
    default:
        marker.reason = HV_VMBUS_TEST_ECHO_ERR_TYPE;
        break;
    }
    if (!marker.reason && (len > HV_VMBUS_TEST_ECHO_MAX ||
        hv_vmbus_test_pkt_size(len) > vmbus_channel_send_max(chan))) {
        marker.reason = HV_VMBUS_TEST_ECHO_ERR_TOO_BIG;
    }
    if (!marker.reason) {
        buf = g_malloc(len ? len : 1);
        memcpy(buf, req->msg, req->msglen);
        if (req->pkt_type == VMBUS_PACKET_DATA_USING_GPA_DIRECT &&
            !hv_vmbus_test_read_sgl(req, buf + req->msglen)) {
            marker.reason = HV_VMBUS_TEST_ECHO_ERR_MEMORY;
        }
    }
    if (marker.reason) {
        type = VMBUS_PACKET_DATA_INBAND;
        reply = &marker;
        rlen = sizeof(marker);
    } else {
        reply = buf;
        rlen = len;
    }

    if (vmbus_channel_reserve(chan, 0, rlen)) {
        /* the guest signals when it has made room (pending_send_sz) */
        if (!tc->blocked) {
            tc->blocked = true;
            tc->ring_full++;
        }
        return false;
    }
    tc->blocked = false;

    if (vmbus_channel_send(chan, type, NULL, 0, reply, rlen, false,
                           req->transaction_id) < 0) {
        hv_vmbus_test_bad(t, "channel #%u: the reply to transaction 0x%"
                          PRIx64 " cannot be written: packet dropped", idx,
                          req->transaction_id);
        tc->errors++;
        return true;
    }
    if (marker.reason) {
        hv_vmbus_test_bad(t, "channel #%u: packet type %u, transaction 0x%"
                          PRIx64 ", %" PRIu64 " bytes to echo: %s", idx,
                          req->pkt_type, req->transaction_id, len,
                          marker.reason == HV_VMBUS_TEST_ECHO_ERR_TYPE ?
                          "not a data packet" :
                          marker.reason == HV_VMBUS_TEST_ECHO_ERR_TOO_BIG ?
                          "too big" : "a range is not guest RAM");
        tc->errors++;
    } else {
        tc->packets++;
        tc->bytes += len;
    }
    return true;
}

static void hv_vmbus_test_chan_notify(VMBusChannel *chan)
{
    HvVmbusTest *t = HV_VMBUS_TEST(vmbus_channel_device(chan));
    VMBusChanReq *req;

    if (vmbus_channel_recv_start(chan)) {
        hv_vmbus_test_bad(t, "channel #%u: guest->host ring unusable "
                          "(write index)", vmbus_channel_idx(chan));
        return;
    }
    while ((req = vmbus_channel_recv_peek(chan, sizeof(*req)))) {
        if (!hv_vmbus_test_echo(t, req)) {
            vmbus_free_req(req);
            break;
        }
        vmbus_channel_recv_pop(chan);
        vmbus_free_req(req);
    }
    vmbus_channel_recv_done(chan);
}

static void hv_vmbus_test_chan_clear(VMBusChannel *chan)
{
    HvVmbusTest *t = HV_VMBUS_TEST(vmbus_channel_device(chan));

    memset(&t->chan[vmbus_channel_idx(chan)], 0, sizeof(HvVmbusTestChan));
}

static int hv_vmbus_test_open_channel(VMBusChannel *chan)
{
    hv_vmbus_test_chan_clear(chan);
    return 0;
}

static void hv_vmbus_test_vmdev_reset(VMBusDevice *vdev)
{
    HvVmbusTest *t = HV_VMBUS_TEST(vdev);

    memset(t->chan, 0, sizeof(t->chan));
}

/* echoed-packets, ...: @opaque is the counter's offset in HvVmbusTestChan */
static void hv_vmbus_test_get_counter(Object *obj, Visitor *v,
                                      const char *name, void *opaque,
                                      Error **errp)
{
    HvVmbusTest *t = HV_VMBUS_TEST(obj);
    VMBusDevice *vdev = VMBUS_DEVICE(obj);
    size_t off = (uintptr_t)opaque;
    uint64_t sum = 0;
    uint16_t i;

    for (i = 0; i < HV_VMBUS_TEST_MAX_CHANNELS; i++) {
        VMBusChannel *chan = vmbus_device_channel(vdev, i);

        sum += *(uint64_t *)((uint8_t *)&t->chan[i] + off);
        if (off == offsetof(HvVmbusTestChan, errors) && chan &&
            vmbus_channel_is_open(chan)) {
            sum += vmbus_channel_rx_dropped(chan);
        }
    }
    visit_type_uint64(v, name, &sum, errp);
}

static void hv_vmbus_test_set_offer(Object *obj, Visitor *v,
                                    const char *name, void *opaque,
                                    Error **errp)
{
    uint16_t n;

    if (!DEVICE(obj)->realized) {
        error_setg(errp, "%s: the device is not realized", name);
        return;
    }
    if (!visit_type_uint16(v, name, &n, errp)) {
        return;
    }
    vmbus_device_offer_subchannels(VMBUS_DEVICE(obj), n);
}

static const Property hv_vmbus_test_properties[] = {
    DEFINE_PROP_UINT16("channels", HvVmbusTest, channels, 3),
};

static void hv_vmbus_test_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    VMBusDeviceClass *vdc = VMBUS_DEVICE_CLASS(oc);
    HvVmbusTestClass *tc = HV_VMBUS_TEST_CLASS(oc);
    static const struct {
        const char *name, *desc;
        uintptr_t off;
    } counters[] = {
        { "echoed-packets", "packets echoed (all channels)",
          offsetof(HvVmbusTestChan, packets) },
        { "echoed-bytes", "payload bytes echoed (all channels)",
          offsetof(HvVmbusTestChan, bytes) },
        { "errors", "error markers sent and malformed packets dropped",
          offsetof(HvVmbusTestChan, errors) },
        { "ring-full", "times a reply waited for room in the ring",
          offsetof(HvVmbusTestChan, ring_full) },
    };
    size_t i;

    dc->desc = "Hyper-V VMBus test device (sub-channels on request, echo)";
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    device_class_set_props(dc, hv_vmbus_test_properties);
    device_class_set_parent_realize(dc, hv_vmbus_test_realize,
                                    &tc->parent_realize);
    qemu_uuid_parse(HV_VMBUS_TEST_CLASSID, &vdc->classid);
    qemu_uuid_parse(HV_VMBUS_TEST_INSTANCEID, &vdc->instanceid);
    vdc->num_channels = hv_vmbus_test_num_channels;
    vdc->chan_notify_cb = hv_vmbus_test_chan_notify;
    vdc->open_channel = hv_vmbus_test_open_channel;
    vdc->close_channel = hv_vmbus_test_chan_clear;
    vdc->vmdev_reset = hv_vmbus_test_vmdev_reset;
    vdc->subchannels_on_request = true;
    object_class_property_add(oc, "offer-subchannels", "uint16", NULL,
                              hv_vmbus_test_set_offer, NULL, NULL);
    object_class_property_set_description(oc, "offer-subchannels",
        "offer sub-channels 1..N (write-only)");
    for (i = 0; i < ARRAY_SIZE(counters); i++) {
        object_class_property_add(oc, counters[i].name, "uint64",
                                  hv_vmbus_test_get_counter, NULL, NULL,
                                  (void *)counters[i].off);
        object_class_property_set_description(oc, counters[i].name,
                                              counters[i].desc);
    }
}

static const TypeInfo hv_vmbus_test_info = {
    .name = TYPE_HV_VMBUS_TEST,
    .parent = TYPE_VMBUS_DEVICE,
    .instance_size = sizeof(HvVmbusTest),
    .class_size = sizeof(HvVmbusTestClass),
    .class_init = hv_vmbus_test_class_init,
};
#endif /* CONFIG_VMBUS */

static void hv_synic_test_register(void)
{
    type_register_static(&hv_synic_test_info);
#ifdef CONFIG_VMBUS
    type_register_static(&hv_vmbus_test_info);
#endif
}

type_init(hv_synic_test_register)
