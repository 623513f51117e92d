/*
 * Hyper-V synthetic keyboard and synthetic mouse (HID) wire formats
 *
 * Both are VMBus channels carrying inband packets.  The keyboard's
 * messages start straight with a 32-bit message type; the mouse's are in
 * "pipe" format, a {type, size} header before a {type, size} HID message
 * header.  All fields are little-endian.  Versions are major << 16 | minor.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_HYPERV_INPUT_PROTO_H
#define HW_HYPERV_INPUT_PROTO_H

/* ------------------------------------------------------------------ */
/* Keyboard                                                           */
/* ------------------------------------------------------------------ */

#define HV_KBD_CLASSID          "f912ad6d-2b17-48ea-bd65-f927a61c7684"
#define HV_KBD_INSTANCEID       "d34b2567-b9b6-42b9-8778-0a4ec0b955bf"

/* the one version there is: Windows 8 / Server 2012 */
#define HV_KBD_VERSION_1_0      0x00010000u

#define HV_KBD_MSG_PROTOCOL_REQUEST     1       /* guest -> host */
#define HV_KBD_MSG_PROTOCOL_RESPONSE    2       /* host -> guest */
#define HV_KBD_MSG_EVENT                3       /* host -> guest */
#define HV_KBD_MSG_LED_INDICATORS       4       /* guest -> host */

typedef struct QEMU_PACKED HvKbdProtocolRequest {
    uint32_t type;              /* HV_KBD_MSG_PROTOCOL_REQUEST */
    uint32_t version;
} HvKbdProtocolRequest;

#define HV_KBD_PROTOCOL_ACCEPTED        0x1u

typedef struct QEMU_PACKED HvKbdProtocolResponse {
    uint32_t type;              /* HV_KBD_MSG_PROTOCOL_RESPONSE */
    uint32_t status;            /* HV_KBD_PROTOCOL_ACCEPTED or 0 */
} HvKbdProtocolResponse;

/* keystroke flags */
#define HV_KBD_KEY_UNICODE      0x1u
#define HV_KBD_KEY_BREAK        0x2u    /* key released */
#define HV_KBD_KEY_E0           0x4u    /* scan code set 1 prefix 0xe0 */
#define HV_KBD_KEY_E1           0x8u    /* prefix 0xe1 (Pause) */

typedef struct QEMU_PACKED HvKbdKeystroke {
    uint32_t type;              /* HV_KBD_MSG_EVENT */
    uint16_t make_code;         /* scan code set 1, without 0x80 */
    uint16_t reserved;
    uint32_t flags;             /* HV_KBD_KEY_* */
} HvKbdKeystroke;

typedef struct QEMU_PACKED HvKbdLedIndicators {
    uint32_t type;              /* HV_KBD_MSG_LED_INDICATORS */
    uint16_t leds;
    uint16_t reserved;
} HvKbdLedIndicators;

/* the largest message either side sends (guests size buffers by it) */
#define HV_KBD_MAX_MESSAGE      256

QEMU_BUILD_BUG_ON(sizeof(HvKbdProtocolRequest) != 8);
QEMU_BUILD_BUG_ON(sizeof(HvKbdProtocolResponse) != 8);
QEMU_BUILD_BUG_ON(sizeof(HvKbdKeystroke) != 12);
QEMU_BUILD_BUG_ON(sizeof(HvKbdLedIndicators) != 8);

/* ------------------------------------------------------------------ */
/* Mouse (synthetic HID)                                              */
/* ------------------------------------------------------------------ */

#define HV_MOUSE_CLASSID        "cfa8b69e-5b4a-4cc0-b98b-8ba1a1f3f95a"
#define HV_MOUSE_INSTANCEID     "58f75a6d-d949-4320-99e1-a2a2576d581c"

/* 1.0 was before Windows Server 2008's release candidate; 2.0 since */
#define HV_HID_VERSION_2_0      0x00020000u

#define HV_PIPE_DATA            1

typedef struct QEMU_PACKED HvPipeHeader {
    uint32_t type;              /* HV_PIPE_DATA */
    uint32_t size;              /* bytes after this header */
} HvPipeHeader;

#define HV_HID_MSG_PROTOCOL_REQUEST     0       /* guest -> host */
#define HV_HID_MSG_PROTOCOL_RESPONSE    1       /* host -> guest */
#define HV_HID_MSG_DEVICE_INFO          2       /* host -> guest */
#define HV_HID_MSG_DEVICE_INFO_ACK      3       /* guest -> host */
#define HV_HID_MSG_INPUT_REPORT         4       /* host -> guest */

typedef struct QEMU_PACKED HvHidHeader {
    uint32_t type;              /* HV_HID_MSG_* */
    uint32_t size;              /* bytes after this header */
} HvHidHeader;

typedef struct QEMU_PACKED HvHidProtocolRequest {
    HvHidHeader hdr;
    uint32_t version;
} HvHidProtocolRequest;

typedef struct QEMU_PACKED HvHidProtocolResponse {
    HvHidHeader hdr;
    uint32_t version;           /* the one the guest asked for */
    uint8_t approved;           /* 1 yes, 0 no */
} HvHidProtocolResponse;

/* the HID device attributes as Windows' HID class knows them */
typedef struct QEMU_PACKED HvHidAttributes {
    uint32_t size;              /* of this structure: 32 */
    uint16_t vendor;
    uint16_t product;
    uint16_t version;
    uint16_t reserved[11];
} HvHidAttributes;

/* the HID class descriptor (HID 1.11, 6.2.1) with one report descriptor */
typedef struct QEMU_PACKED HvHidDescriptor {
    uint8_t length;             /* of this descriptor: 9 */
    uint8_t type;               /* 0x21 HID */
    uint16_t bcd_hid;
    uint8_t country;
    uint8_t num_descriptors;    /* 1 */
    uint8_t report_type;        /* 0x22 report */
    uint16_t report_length;     /* the report descriptor after this one */
} HvHidDescriptor;

/* followed by the report descriptor */
typedef struct QEMU_PACKED HvHidDeviceInfo {
    HvHidHeader hdr;
    HvHidAttributes attr;
    HvHidDescriptor desc;
} HvHidDeviceInfo;

typedef struct QEMU_PACKED HvHidDeviceInfoAck {
    HvHidHeader hdr;
    uint8_t reserved;
} HvHidDeviceInfoAck;

/* followed by hdr.size bytes of report */
typedef struct QEMU_PACKED HvHidInputReport {
    HvHidHeader hdr;
} HvHidInputReport;

#define HV_HID_DESC_TYPE        0x21
#define HV_HID_REPORT_DESC_TYPE 0x22

QEMU_BUILD_BUG_ON(sizeof(HvPipeHeader) != 8);
QEMU_BUILD_BUG_ON(sizeof(HvHidHeader) != 8);
QEMU_BUILD_BUG_ON(sizeof(HvHidProtocolRequest) != 12);
QEMU_BUILD_BUG_ON(sizeof(HvHidProtocolResponse) != 13);
QEMU_BUILD_BUG_ON(sizeof(HvHidAttributes) != 32);
QEMU_BUILD_BUG_ON(sizeof(HvHidDescriptor) != 9);
QEMU_BUILD_BUG_ON(sizeof(HvHidDeviceInfo) != 49);
QEMU_BUILD_BUG_ON(sizeof(HvHidDeviceInfoAck) != 9);

#endif
