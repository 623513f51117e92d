/*
 * Hyper-V synthetic keyboard and synthetic mouse on QEMU's input layer
 *
 *   -device hv-keyboard,id=kbd[,version=0x10000]
 *   -device hv-mouse,id=mouse[,version=0x20000]
 *
 *   qom-get kbd status     "state <s> version X.Y events N sent N queued N
 *                          dropped N refused N errors N leds 0x.."
 *   qom-get kbd errors     malformed guest messages since the open
 *
 * Each is a VMBus channel of inband packets (input-proto.h).  The guest
 * opens it and asks for a protocol version; the host answers whether it
 * accepts it (the keyboard with a status bit, the mouse with "approved"
 * and the version echoed) and a refused guest may ask again.  The mouse
 * then sends its device info (HID attributes, HID descriptor and report
 * descriptor) and waits for the guest's acknowledgement.  From then on the
 * device is an input handler of QEMU's (ui/input.c) and the active one for
 * its events: the keyboard takes key events and sends each as a keystroke
 * (scan code set 1 make code, break and E0/E1 flags), the mouse takes
 * button and absolute-axis events and sends one HID input report per
 * sync.  So QMP input-send-event, a VNC client or any UI drives them.  When
 * the channel closes the handler steps back: keys go to the PS/2 keyboard
 * again (absolute moves have no other taker: they are dropped).
 *
 * The mouse's report descriptor: buttons 1-5 (left, right, middle, side,
 * extra) in the first byte, X and Y as 16-bit absolutes 0..32767 (QEMU's
 * own absolute range, so no scaling), the wheel as an 8-bit relative.
 * Linux's hid_hyperv patches byte 14 of the report descriptor if it is
 * 0x25 (a bug of Hyper-V's own descriptor): ours has 0x29 there.
 *
 * Versions: the keyboard has one, 1.0 (named for Windows 8: the device
 * came with Windows Server 2012; a host profile older than that has no
 * synthetic keyboard, and the device refuses to be created on one).  The
 * mouse has spoken 2.0 since before Windows Server 2008 shipped (1.0 was
 * its betas), on every profile.  version= changes the one version the
 * device accepts, to see a guest refused.
 *
 * Guest mistakes (short packets, a pipe or HID size past the packet,
 * unknown message types, an acknowledgement nobody asked for, packets
 * other than inband data) are counted, logged (ratelimited) and dropped;
 * the device carries on.  A host message that finds the guest's ring full
 * waits in a queue of 64; past that, input is dropped and counted.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/uuid.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "qom/object.h"
#include "hw/core/cpu.h"
#include "hw/qdev-properties.h"
#include "hw/hyperv/hyperv.h"
#include "hw/hyperv/vmbus.h"
#include "hw/hyperv/input-proto.h"
#include "migration/vmstate.h"
#include "ui/input.h"
#include "cpu.h"
#include "hyperv-cpuid.h"
#include "trace.h"

#define TYPE_HV_INPUT "hv-input"
#define TYPE_HV_KEYBOARD "hv-keyboard"
#define TYPE_HV_MOUSE "hv-mouse"
OBJECT_DECLARE_TYPE(HvInput, HvInputClass, HV_INPUT)

/* host messages waiting for room in the guest's ring */
#define HV_INPUT_QUEUE          64
/* the largest host message: the mouse's device info */
#define HV_INPUT_MSG_MAX        160

typedef enum HvInputState {
    HV_INPUT_CLOSED,
    HV_INPUT_VERSION,           /* waiting for an acceptable version */
    HV_INPUT_ACK,               /* mouse: device info sent, no ack yet */
    HV_INPUT_READY,
} HvInputState;

static const char *const hv_input_state_names[] = {
    [HV_INPUT_CLOSED] = "closed",
    [HV_INPUT_VERSION] = "version",
    [HV_INPUT_ACK] = "ack",
    [HV_INPUT_READY] = "ready",
};

typedef struct HvInputMsg {
    uint32_t len;
    uint8_t data[HV_INPUT_MSG_MAX];
} HvInputMsg;

struct HvInput {
    VMBusDevice parent_obj;

    uint32_t version;           /* property: the one accepted */

    VMBusChannel *chan;
    HvInputState state;
    QemuInputHandlerState *hs;
    bool active;                /* our handler is the active one */

    HvInputMsg queue[HV_INPUT_QUEUE];
    unsigned q_head, q_count;

    /* keyboard: the guest's LED state */
    uint16_t leds;
    /* mouse: the report being gathered until the next sync */
    uint8_t buttons;
    uint16_t x, y;
    int wheel;
    bool moved;

    uint64_t events, sent, dropped, refused, errors;
    HvLogLimit log_limit;
};

typedef struct HvInputInfo {
    const char *type_name;
    const char *classid;
    const char *instanceid;
    const QemuInputHandler *handler;
    /* one packet's payload from the guest (inband, checked to be there) */
    void (*receive)(HvInput *in, const uint8_t *msg, uint32_t len);
    bool (*realize)(HvInput *in, Error **errp);
} HvInputInfo;

struct HvInputClass {
    VMBusDeviceClass parent_class;
    const HvInputInfo *info;
};

static const HvInputInfo *hv_input_info(HvInput *in)
{
    return HV_INPUT_GET_CLASS(in)->info;
}

#define hv_input_bad(in, ...) do { \
        (in)->errors++; \
        hyperv_log_guest(&(in)->log_limit, hv_input_info(in)->type_name, \
                         __VA_ARGS__); \
    } while (0)

/* ------------------------------------------------------------------ */
/* Common: the channel, the queue, the handler                        */
/* ------------------------------------------------------------------ */

static void hv_input_flush(HvInput *in)
{
    while (in->q_count && in->chan && vmbus_channel_is_open(in->chan)) {
        HvInputMsg *m = &in->queue[in->q_head];
        ssize_t ret;

        /* a ring too small for it ever (descriptor, padding, trailer) */
        if (vmbus_channel_send_max(in->chan) < 16 + ROUND_UP(m->len, 8) + 8) {
            hv_input_bad(in, "a %u-byte message can never fit the guest's "
                         "ring (%u bytes at most): dropped", m->len,
                         vmbus_channel_send_max(in->chan));
            in->dropped++;
            in->q_head = (in->q_head + 1) % HV_INPUT_QUEUE;
            in->q_count--;
            continue;
        }
        /* no room: the guest signals us once it has read (chan_notify) */
        if (vmbus_channel_reserve(in->chan, 0, m->len)) {
            return;
        }
        ret = vmbus_channel_send(in->chan, VMBUS_PACKET_DATA_INBAND, NULL, 0,
                                 m->data, m->len, false, 0);
        if (ret < 0) {
            hv_input_bad(in, "cannot write to the channel's ring (%zd): "
                         "%u messages dropped", ret, in->q_count);
            in->dropped += in->q_count;
            in->q_count = 0;
            return;
        }
        in->sent++;
        in->q_head = (in->q_head + 1) % HV_INPUT_QUEUE;
        in->q_count--;
    }
}

/* Queue one message (whole, as it goes into the packet) and flush. */
static void hv_input_send(HvInput *in, const void *msg, uint32_t len)
{
    HvInputMsg *m;

    assert(len <= HV_INPUT_MSG_MAX);
    if (in->q_count == HV_INPUT_QUEUE) {
        in->dropped++;
        trace_hv_input_dropped(hv_input_info(in)->type_name, in->dropped);
        return;
    }
    m = &in->queue[(in->q_head + in->q_count) % HV_INPUT_QUEUE];
    memcpy(m->data, msg, len);
    m->len = len;
    in->q_count++;
    hv_input_flush(in);
}

static void hv_input_set_active(HvInput *in, bool on)
{
    if (on == in->active) {
        return;
    }
    in->active = on;
    if (on) {
        qemu_input_handler_activate(in->hs);
    } else {
        qemu_input_handler_deactivate(in->hs);
    }
}

static void hv_input_set_state(HvInput *in, HvInputState state)
{
    trace_hv_input_state(hv_input_info(in)->type_name,
                         hv_input_state_names[state]);
    in->state = state;
    hv_input_set_active(in, state == HV_INPUT_READY);
}

/* Forget the session: a closed channel, a reset. */
static void hv_input_stop(HvInput *in)
{
    hv_input_set_state(in, HV_INPUT_CLOSED);
    in->chan = NULL;
    in->q_head = in->q_count = 0;
    in->leds = 0;
    in->buttons = 0;
    in->wheel = 0;
    in->moved = false;
}

static void hv_input_chan_notify(VMBusChannel *chan)
{
    HvInput *in = HV_INPUT(vmbus_channel_device(chan));
    const HvInputInfo *info = hv_input_info(in);
    VMBusChanReq *req;

    /* the guest may have made room for what waits */
    hv_input_flush(in);

    if (vmbus_channel_recv_start(chan)) {
        return;
    }
    while ((req = vmbus_channel_recv_peek(chan, sizeof(*req)))) {
        trace_hv_input_recv(info->type_name, req->pkt_type, req->msglen);
        if (req->pkt_type != VMBUS_PACKET_DATA_INBAND) {
            hv_input_bad(in, "packet type %u dropped (inband data only)",
                         req->pkt_type);
        } else if (in->state == HV_INPUT_CLOSED) {
            /* cannot happen: the channel is open */
            hv_input_bad(in, "packet on a closed channel dropped");
        } else {
            info->receive(in, req->msg, req->msglen);
        }
        vmbus_channel_recv_pop(chan);
        vmbus_free_req(req);
    }
    vmbus_channel_recv_done(chan);
}

static int hv_input_open_channel(VMBusChannel *chan)
{
    HvInput *in = HV_INPUT(vmbus_channel_device(chan));

    hv_input_stop(in);
    in->chan = chan;
    in->events = in->sent = in->dropped = in->refused = in->errors = 0;
    hv_input_set_state(in, HV_INPUT_VERSION);
    return 0;
}

static void hv_input_close_channel(VMBusChannel *chan)
{
    hv_input_stop(HV_INPUT(vmbus_channel_device(chan)));
}

static void hv_input_vmdev_reset(VMBusDevice *vdev)
{
    hv_input_stop(HV_INPUT(vdev));
}

static void hv_input_vmdev_realize(VMBusDevice *vdev, Error **errp)
{
    HvInput *in = HV_INPUT(vdev);
    const HvInputInfo *info = hv_input_info(in);

    if (info->realize && !info->realize(in, errp)) {
        return;
    }
    in->hs = qemu_input_handler_register(DEVICE(vdev), info->handler);
    /* registering may have made it the active handler: not before ready */
    qemu_input_handler_deactivate(in->hs);
    in->active = false;
}

static void hv_input_vmdev_unrealize(VMBusDevice *vdev)
{
    HvInput *in = HV_INPUT(vdev);

    hv_input_stop(in);
    if (in->hs) {
        qemu_input_handler_unregister(in->hs);
        in->hs = NULL;
    }
}

static char *hv_input_get_status(Object *obj, Error **errp)
{
    HvInput *in = HV_INPUT(obj);

    return g_strdup_printf("state %s version %u.%u events %" PRIu64
                           " sent %" PRIu64 " queued %u dropped %" PRIu64
                           " refused %" PRIu64 " errors %" PRIu64
                           " leds 0x%x", hv_input_state_names[in->state],
                           in->version >> 16, in->version & 0xffff,
                           in->events, in->sent, in->q_count, in->dropped,
                           in->refused, in->errors, in->leds);
}

static void hv_input_get_errors(Object *obj, Visitor *v, const char *name,
                                void *opaque, Error **errp)
{
    uint64_t errors = HV_INPUT(obj)->errors;

    visit_type_uint64(v, name, &errors, errp);
}

/* The version the guest asked for: accepted or not (and counted). */
static bool hv_input_version_ok(HvInput *in, uint32_t asked)
{
    bool ok = asked == in->version;

    trace_hv_input_version(hv_input_info(in)->type_name, asked >> 16,
                           asked & 0xffff, ok);
    if (!ok) {
        in->refused++;
    }
    return ok;
}

/* ------------------------------------------------------------------ */
/* Keyboard                                                           */
/* ------------------------------------------------------------------ */

static void kbd_receive(HvInput *in, const uint8_t *msg, uint32_t len)
{
    uint32_t type;

    if (len < sizeof(type)) {
        hv_input_bad(in, "message of %u bytes dropped (no type)", len);
        return;
    }
    type = ldl_le_p(msg);
    switch (type) {
    case HV_KBD_MSG_PROTOCOL_REQUEST: {
        HvKbdProtocolRequest req;
        HvKbdProtocolResponse resp = {
            .type = cpu_to_le32(HV_KBD_MSG_PROTOCOL_RESPONSE),
        };

        if (len < sizeof(req)) {
            hv_input_bad(in, "protocol request of %u bytes dropped", len);
            return;
        }
        memcpy(&req, msg, sizeof(req));
        if (hv_input_version_ok(in, le32_to_cpu(req.version))) {
            resp.status = cpu_to_le32(HV_KBD_PROTOCOL_ACCEPTED);
        }
        /* the answer goes first: no keystroke may overtake it */
        hv_input_send(in, &resp, sizeof(resp));
        hv_input_set_state(in, resp.status ? HV_INPUT_READY :
                           HV_INPUT_VERSION);
        return;
    }
    case HV_KBD_MSG_LED_INDICATORS: {
        HvKbdLedIndicators led;

        /* the 16-bit LED state; the padding after it may be left out */
        if (len < offsetof(HvKbdLedIndicators, reserved)) {
            hv_input_bad(in, "LED message of %u bytes dropped", len);
            return;
        }
        if (in->state != HV_INPUT_READY) {
            hv_input_bad(in, "LED message before a version was agreed "
                         "dropped");
            return;
        }
        memset(&led, 0, sizeof(led));
        memcpy(&led, msg, MIN(len, sizeof(led)));
        in->leds = le16_to_cpu(led.leds);
        trace_hv_kbd_leds(in->leds);
        return;
    }
    default:
        hv_input_bad(in, "message type %u (%u bytes) dropped: not one a "
                     "guest sends", type, len);
        return;
    }
}

static void kbd_keystroke(HvInput *in, uint8_t code, uint32_t flags)
{
    HvKbdKeystroke ks = {
        .type = cpu_to_le32(HV_KBD_MSG_EVENT),
        .make_code = cpu_to_le16(code),
        .flags = cpu_to_le32(flags),
    };

    trace_hv_kbd_key(code, flags);
    hv_input_send(in, &ks, sizeof(ks));
}

static void kbd_event(DeviceState *dev, QemuConsole *src, InputEvent *evt)
{
    HvInput *in = HV_INPUT(dev);
    InputKeyEvent *key = evt->u.key.data;
    uint32_t brk = key->down ? 0 : HV_KBD_KEY_BREAK;
    int qnum;

    if (in->state != HV_INPUT_READY) {
        return;
    }
    in->events++;
    /* Pause is E1 1D 45 (then E1 9D C5 on release) */
    if (qemu_input_key_value_to_qcode(key->key) == Q_KEY_CODE_PAUSE) {
        kbd_keystroke(in, 0x1d, HV_KBD_KEY_E1 | brk);
        kbd_keystroke(in, 0x45, brk);
        return;
    }
    /* QEMU's key numbers are set 1 make codes, 0x80 meaning an E0 prefix */
    qnum = qemu_input_key_value_to_number(key->key);
    if (qnum <= 0 || qnum > 0xff) {
        trace_hv_kbd_unmapped(qnum);
        return;
    }
    kbd_keystroke(in, qnum & 0x7f, brk | (qnum & 0x80 ? HV_KBD_KEY_E0 : 0));
}

static const QemuInputHandler kbd_handler = {
    .name = "Hyper-V synthetic keyboard",
    .mask = INPUT_EVENT_MASK_KEY,
    .event = kbd_event,
};

/* the synthetic keyboard came with Windows Server 2012 (6.2) */
static bool kbd_realize(HvInput *in, Error **errp)
{
    const HypervProfile *p = first_cpu ?
        hyperv_cpu_profile(X86_CPU(first_cpu)) : NULL;

    if (p && (p->major < 6 || (p->major == 6 && p->minor < 2))) {
        error_setg(errp, "%s (%u.%u) has no synthetic keyboard: it came "
                   "with Windows Server 2012", p->product, p->major,
                   p->minor);
        return false;
    }
    return true;
}

static const HvInputInfo kbd_info = {
    .type_name = TYPE_HV_KEYBOARD,
    .classid = HV_KBD_CLASSID,
    .instanceid = HV_KBD_INSTANCEID,
    .handler = &kbd_handler,
    .receive = kbd_receive,
    .realize = kbd_realize,
};

/* ------------------------------------------------------------------ */
/* Mouse                                                              */
/* ------------------------------------------------------------------ */

/* Microsoft's vendor id; the product id Hyper-V's mouse has */
#define HV_MOUSE_VENDOR         0x045e
#define HV_MOUSE_PRODUCT        0x0621
#define HV_MOUSE_DEV_VERSION    0x0001

/* buttons 1-5, X, Y (absolute 0..32767), wheel (relative -127..127) */
static const uint8_t mouse_report_desc[] = {
    0x05, 0x01,         /* usage page: generic desktop */
    0x09, 0x02,         /* usage: mouse */
    0xa1, 0x01,         /* collection: application */
    0x09, 0x01,         /*   usage: pointer */
    0xa1, 0x00,         /*   collection: physical */
    0x05, 0x09,         /*     usage page: buttons */
    0x19, 0x01,         /*     usage minimum: 1 */
    0x29, 0x05,         /*     usage maximum: 5 (byte 14: see above) */
    0x15, 0x00,         /*     logical minimum: 0 */
    0x25, 0x01,         /*     logical maximum: 1 */
    0x75, 0x01,         /*     report size: 1 bit */
    0x95, 0x05,         /*     report count: 5 */
    0x81, 0x02,         /*     input: data, variable, absolute */
    0x75, 0x03,         /*     report size: 3 bits */
    0x95, 0x01,         /*     report count: 1 */
    0x81, 0x03,         /*     input: constant (padding to a byte) */
    0x05, 0x01,         /*     usage page: generic desktop */
    0x09, 0x30,         /*     usage: X */
    0x09, 0x31,         /*     usage: Y */
    0x15, 0x00,         /*     logical minimum: 0 */
    0x26, 0xff, 0x7f,   /*     logical maximum: 32767 */
    0x75, 0x10,         /*     report size: 16 bits */
    0x95, 0x02,         /*     report count: 2 */
    0x81, 0x02,         /*     input: data, variable, absolute */
    0x09, 0x38,         /*     usage: wheel */
    0x15, 0x81,         /*     logical minimum: -127 */
    0x25, 0x7f,         /*     logical maximum: 127 */
    0x75, 0x08,         /*     report size: 8 bits */
    0x95, 0x01,         /*     report count: 1 */
    0x81, 0x06,         /*     input: data, variable, relative */
    0xc0,               /*   end collection */
    0xc0,               /* end collection */
};

QEMU_BUILD_BUG_ON(sizeof(HvPipeHeader) + sizeof(HvHidDeviceInfo) +
                  sizeof(mouse_report_desc) > HV_INPUT_MSG_MAX);

typedef struct QEMU_PACKED MouseReport {
    uint8_t buttons;
    uint16_t x;
    uint16_t y;
    int8_t wheel;
} MouseReport;

/* Send one HID message in a pipe packet. */
static void mouse_send(HvInput *in, uint32_t type, const void *body,
                       uint32_t len)
{
    uint8_t buf[HV_INPUT_MSG_MAX];
    HvPipeHeader pipe = {
        .type = cpu_to_le32(HV_PIPE_DATA),
        .size = cpu_to_le32(sizeof(HvHidHeader) + len),
    };
    HvHidHeader hdr = {
        .type = cpu_to_le32(type),
        .size = cpu_to_le32(len),
    };

    assert(sizeof(pipe) + sizeof(hdr) + len <= sizeof(buf));
    memcpy(buf, &pipe, sizeof(pipe));
    memcpy(buf + sizeof(pipe), &hdr, sizeof(hdr));
    memcpy(buf + sizeof(pipe) + sizeof(hdr), body, len);
    hv_input_send(in, buf, sizeof(pipe) + sizeof(hdr) + len);
}

static void mouse_send_device_info(HvInput *in)
{
    uint8_t body[sizeof(HvHidDeviceInfo) - sizeof(HvHidHeader) +
                 sizeof(mouse_report_desc)];
    HvHidAttributes attr = {
        .size = cpu_to_le32(sizeof(HvHidAttributes)),
        .vendor = cpu_to_le16(HV_MOUSE_VENDOR),
        .product = cpu_to_le16(HV_MOUSE_PRODUCT),
        .version = cpu_to_le16(HV_MOUSE_DEV_VERSION),
    };
    HvHidDescriptor desc = {
        .length = sizeof(HvHidDescriptor),
        .type = HV_HID_DESC_TYPE,
        .bcd_hid = cpu_to_le16(0x0101),
        .num_descriptors = 1,
        .report_type = HV_HID_REPORT_DESC_TYPE,
        .report_length = cpu_to_le16(sizeof(mouse_report_desc)),
    };

    memcpy(body, &attr, sizeof(attr));
    memcpy(body + sizeof(attr), &desc, sizeof(desc));
    memcpy(body + sizeof(attr) + sizeof(desc), mouse_report_desc,
           sizeof(mouse_report_desc));
    mouse_send(in, HV_HID_MSG_DEVICE_INFO, body, sizeof(body));
}

static void mouse_receive(HvInput *in, const uint8_t *msg, uint32_t len)
{
    HvPipeHeader pipe;
    HvHidHeader hdr;
    const uint8_t *body;
    uint32_t type, size;

    if (len < sizeof(pipe) + sizeof(hdr)) {
        hv_input_bad(in, "packet of %u bytes dropped (headers are %zu)",
                     len, sizeof(pipe) + sizeof(hdr));
        return;
    }
    memcpy(&pipe, msg, sizeof(pipe));
    memcpy(&hdr, msg + sizeof(pipe), sizeof(hdr));
    if (le32_to_cpu(pipe.type) != HV_PIPE_DATA) {
        hv_input_bad(in, "pipe message type %u dropped (data is %u)",
                     le32_to_cpu(pipe.type), HV_PIPE_DATA);
        return;
    }
    if (le32_to_cpu(pipe.size) > len - sizeof(pipe) ||
        le32_to_cpu(pipe.size) < sizeof(hdr)) {
        hv_input_bad(in, "pipe size %u dropped: the packet has %zu bytes "
                     "after the pipe header", le32_to_cpu(pipe.size),
                     len - sizeof(pipe));
        return;
    }
    type = le32_to_cpu(hdr.type);
    size = le32_to_cpu(hdr.size);
    if (size > le32_to_cpu(pipe.size) - sizeof(hdr)) {
        hv_input_bad(in, "HID message type %u of size %u dropped: the pipe "
                     "message has %zu bytes after its header", type, size,
                     le32_to_cpu(pipe.size) - sizeof(hdr));
        return;
    }
    body = msg + sizeof(pipe) + sizeof(hdr);

    switch (type) {
    case HV_HID_MSG_PROTOCOL_REQUEST: {
        uint32_t asked;
        struct QEMU_PACKED {
            uint32_t version;
            uint8_t approved;
        } resp;

        if (size < sizeof(asked)) {
            hv_input_bad(in, "protocol request of %u bytes dropped", size);
            return;
        }
        if (in->state != HV_INPUT_VERSION) {
            hv_input_bad(in, "protocol request in state %s dropped",
                         hv_input_state_names[in->state]);
            return;
        }
        asked = ldl_le_p(body);
        resp.version = cpu_to_le32(asked);
        resp.approved = hv_input_version_ok(in, asked);
        mouse_send(in, HV_HID_MSG_PROTOCOL_RESPONSE, &resp, sizeof(resp));
        if (resp.approved) {
            mouse_send_device_info(in);
            hv_input_set_state(in, HV_INPUT_ACK);
        }
        return;
    }
    case HV_HID_MSG_DEVICE_INFO_ACK:
        if (size < 1) {
            hv_input_bad(in, "device info ack of %u bytes dropped", size);
            return;
        }
        if (in->state != HV_INPUT_ACK) {
            hv_input_bad(in, "device info ack in state %s dropped",
                         hv_input_state_names[in->state]);
            return;
        }
        hv_input_set_state(in, HV_INPUT_READY);
        return;
    default:
        hv_input_bad(in, "HID message type %u (%u bytes) dropped: not one "
                     "a guest sends", type, size);
        return;
    }
}

static const uint8_t mouse_button_bits[INPUT_BUTTON__MAX] = {
    [INPUT_BUTTON_LEFT] = 0x01,
    [INPUT_BUTTON_RIGHT] = 0x02,
    [INPUT_BUTTON_MIDDLE] = 0x04,
    [INPUT_BUTTON_SIDE] = 0x08,
    [INPUT_BUTTON_EXTRA] = 0x10,
};

static void mouse_event(DeviceState *dev, QemuConsole *src, InputEvent *evt)
{
    HvInput *in = HV_INPUT(dev);

    if (in->state != HV_INPUT_READY) {
        return;
    }
    in->events++;
    switch (evt->type) {
    case INPUT_EVENT_KIND_BTN: {
        InputBtnEvent *btn = evt->u.btn.data;

        if (btn->button == INPUT_BUTTON_WHEEL_UP && btn->down) {
            in->wheel = MIN(in->wheel + 1, 127);
        } else if (btn->button == INPUT_BUTTON_WHEEL_DOWN && btn->down) {
            in->wheel = MAX(in->wheel - 1, -127);
        } else if (btn->button < INPUT_BUTTON__MAX) {
            if (btn->down) {
                in->buttons |= mouse_button_bits[btn->button];
            } else {
                in->buttons &= ~mouse_button_bits[btn->button];
            }
        }
        in->moved = true;
        break;
    }
    case INPUT_EVENT_KIND_ABS: {
        InputMoveEvent *move = evt->u.abs.data;
        uint16_t v = MIN(MAX(move->value, INPUT_EVENT_ABS_MIN),
                         INPUT_EVENT_ABS_MAX);

        if (move->axis == INPUT_AXIS_X) {
            in->x = v;
        } else if (move->axis == INPUT_AXIS_Y) {
            in->y = v;
        }
        in->moved = true;
        break;
    }
    default:
        break;
    }
}

static void mouse_sync(DeviceState *dev)
{
    HvInput *in = HV_INPUT(dev);
    MouseReport r;

    if (in->state != HV_INPUT_READY || !in->moved) {
        return;
    }
    r.buttons = in->buttons;
    r.x = cpu_to_le16(in->x);
    r.y = cpu_to_le16(in->y);
    r.wheel = in->wheel;
    in->wheel = 0;
    in->moved = false;
    trace_hv_mouse_report(r.buttons, in->x, in->y, r.wheel);
    mouse_send(in, HV_HID_MSG_INPUT_REPORT, &r, sizeof(r));
}

static const QemuInputHandler mouse_handler = {
    .name = "Hyper-V synthetic mouse",
    .mask = INPUT_EVENT_MASK_BTN | INPUT_EVENT_MASK_ABS,
    .event = mouse_event,
    .sync = mouse_sync,
};

static const HvInputInfo mouse_info = {
    .type_name = TYPE_HV_MOUSE,
    .classid = HV_MOUSE_CLASSID,
    .instanceid = HV_MOUSE_INSTANCEID,
    .handler = &mouse_handler,
    .receive = mouse_receive,
};

/* ------------------------------------------------------------------ */
/* Types                                                              */
/* ------------------------------------------------------------------ */

/* The session (versions, queue) is not migrated: the guest reopens. */
static const VMStateDescription vmstate_hv_input = {
    .name = TYPE_HV_INPUT,
    .unmigratable = 1,
};

static void hv_input_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    VMBusDeviceClass *vdc = VMBUS_DEVICE_CLASS(klass);

    set_bit(DEVICE_CATEGORY_INPUT, dc->categories);
    dc->vmsd = &vmstate_hv_input;
    vdc->vmdev_realize = hv_input_vmdev_realize;
    vdc->vmdev_unrealize = hv_input_vmdev_unrealize;
    vdc->vmdev_reset = hv_input_vmdev_reset;
    vdc->open_channel = hv_input_open_channel;
    vdc->close_channel = hv_input_close_channel;
    vdc->chan_notify_cb = hv_input_chan_notify;
    object_class_property_add_str(klass, "status", hv_input_get_status, NULL);
    object_class_property_set_description(klass, "status",
        "state (closed/version/ack/ready), the version accepted, counters");
    object_class_property_add(klass, "errors", "uint64", hv_input_get_errors,
                              NULL, NULL, NULL);
    object_class_property_set_description(klass, "errors",
        "malformed guest messages dropped since the channel opened");
}

/*
 * Hyper-V's instance id by default, which the guest may know the device by;
 * instanceid= gives a second keyboard or mouse one of its own.
 */
static void hv_input_instance_init(Object *obj)
{
    HvInput *in = HV_INPUT(obj);

    qemu_uuid_parse(hv_input_info(in)->instanceid,
                    &VMBUS_DEVICE(obj)->instanceid);
}

static const Property kbd_properties[] = {
    DEFINE_PROP_UINT32("version", HvInput, version, HV_KBD_VERSION_1_0),
};

static const Property mouse_properties[] = {
    DEFINE_PROP_UINT32("version", HvInput, version, HV_HID_VERSION_2_0),
};

static void hv_input_type_class_init(ObjectClass *klass, void *data)
{
    const HvInputInfo *info = data;
    DeviceClass *dc = DEVICE_CLASS(klass);
    VMBusDeviceClass *vdc = VMBUS_DEVICE_CLASS(klass);

    HV_INPUT_CLASS(klass)->info = info;
    qemu_uuid_parse(info->classid, &vdc->classid);
    if (info == &kbd_info) {
        dc->desc = "Hyper-V synthetic keyboard";
        device_class_set_props(dc, kbd_properties);
    } else {
        dc->desc = "Hyper-V synthetic mouse (HID, absolute)";
        device_class_set_props(dc, mouse_properties);
    }
}

static const TypeInfo hv_input_types[] = {
    {
        .name = TYPE_HV_INPUT,
        .parent = TYPE_VMBUS_DEVICE,
        .instance_size = sizeof(HvInput),
        .class_size = sizeof(HvInputClass),
        .class_init = hv_input_class_init,
        .instance_init = hv_input_instance_init,
        .abstract = true,
    }, {
        .name = TYPE_HV_KEYBOARD,
        .parent = TYPE_HV_INPUT,
        .class_init = hv_input_type_class_init,
        .class_data = (void *)&kbd_info,
    }, {
        .name = TYPE_HV_MOUSE,
        .parent = TYPE_HV_INPUT,
        .class_init = hv_input_type_class_init,
        .class_data = (void *)&mouse_info,
    },
};

DEFINE_TYPES(hv_input_types)
