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
 * than already offered changes nothing).  Packets the guest sends are
 * read and dropped.
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

OBJECT_DECLARE_TYPE(HvVmbusTest, HvVmbusTestClass, HV_VMBUS_TEST)

struct HvVmbusTest {
    VMBusDevice parent_obj;

    uint16_t channels;
};

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

/* whatever the guest sends is read and dropped */
static void hv_vmbus_test_chan_notify(VMBusChannel *chan)
{
    VMBusChanReq *req;

    if (vmbus_channel_recv_start(chan)) {
        return;
    }
    while ((req = vmbus_channel_recv_peek(chan, sizeof(*req)))) {
        vmbus_channel_recv_pop(chan);
        vmbus_free_req(req);
    }
    vmbus_channel_recv_done(chan);
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

    dc->desc = "Hyper-V VMBus test device (sub-channels on request)";
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    device_class_set_props(dc, hv_vmbus_test_properties);
    device_class_set_parent_realize(dc, hv_vmbus_test_realize,
                                    &tc->parent_realize);
    qemu_uuid_parse(HV_VMBUS_TEST_CLASSID, &vdc->classid);
    qemu_uuid_parse(HV_VMBUS_TEST_INSTANCEID, &vdc->instanceid);
    vdc->num_channels = hv_vmbus_test_num_channels;
    vdc->chan_notify_cb = hv_vmbus_test_chan_notify;
    vdc->subchannels_on_request = true;
    object_class_property_add(oc, "offer-subchannels", "uint16", NULL,
                              hv_vmbus_test_set_offer, NULL, NULL);
    object_class_property_set_description(oc, "offer-subchannels",
        "offer sub-channels 1..N (write-only)");
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
