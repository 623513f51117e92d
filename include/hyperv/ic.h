/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Integration services (ICs): the messages the host's heartbeat, shutdown,
 * time sync and KVP services exchange with the guest, one per in-band
 * packet: a pipe header, an IC header, then the service's body.  The host
 * sends requests, the guest answers in place with IC_FLAG_RESPONSE.
 * Definitions only.  Facts from the public descriptions (Linux
 * include/linux/hyperv.h and drivers/hv/hv_util.c, FreeBSD
 * sys/dev/hyperv/utilities/vmbus_icreg.h).
 */
#ifndef _HYPERV_IC_H
#define _HYPERV_IC_H

#include <linux/types.h>

#include <hyperv/tlfs.h>

/* Class ids */
#define IC_SHUTDOWN_GUID \
	GUID_INIT(0x0e0b6031, 0x5213, 0x4934, 0x81, 0x8b, \
		  0x38, 0xd9, 0x0c, 0xed, 0x39, 0xdb)
#define IC_TIMESYNC_GUID \
	GUID_INIT(0x9527e630, 0xd0ae, 0x497b, 0xad, 0xce, \
		  0xe8, 0x0a, 0xb0, 0x17, 0x5c, 0xaf)
#define IC_HEARTBEAT_GUID \
	GUID_INIT(0x57164f39, 0x9115, 0x4e78, 0xab, 0x55, \
		  0x38, 0x2f, 0x3b, 0xd5, 0x42, 0x2d)
#define IC_KVP_GUID \
	GUID_INIT(0xa9a0f4e7, 0x5a45, 0x4d96, 0xb8, 0x27, \
		  0x8a, 0x84, 0x1e, 0x8c, 0x03, 0xe6)

struct ic_version {
	__u16 major;
	__u16 minor;
} __packed;

#define IC_VERSION(maj, min)	((struct ic_version){ .major = (maj), .minor = (min) })

/* The pipe header that precedes every IC message */
struct ic_pipe_header {
	__u32 flags;
	__u32 msgsize;
} __packed;
HV_ASSERT_SIZE(struct ic_pipe_header, 8);

enum ic_msg_type {
	IC_MSGTYPE_NEGOTIATE	= 0,
	IC_MSGTYPE_HEARTBEAT	= 1,
	IC_MSGTYPE_KVPEXCHANGE	= 2,
	IC_MSGTYPE_SHUTDOWN	= 3,
	IC_MSGTYPE_TIMESYNC	= 4,
	IC_MSGTYPE_VSS		= 5,
	IC_MSGTYPE_FCOPY	= 7,
};

#define IC_FLAG_TRANSACTION	0x01
#define IC_FLAG_REQUEST		0x02
#define IC_FLAG_RESPONSE	0x04

/* status: HRESULTs */
#define IC_S_OK			0x00000000
#define IC_E_FAIL		0x80004005

struct ic_msg_header {
	struct ic_version frame_version;
	__u16 msgtype;			/* enum ic_msg_type */
	struct ic_version msg_version;
	__u16 msgsize;			/* bytes of the body */
	__u32 status;
	__u8 transaction_id;
	__u8 flags;
	__u8 reserved[2];
} __packed;
HV_ASSERT_SIZE(struct ic_msg_header, 20);

/* Where the body of an IC message starts in the packet's payload */
#define IC_BODY_OFFSET	(sizeof(struct ic_pipe_header) + sizeof(struct ic_msg_header))

/*
 * NEGOTIATE: the host lists the framework versions, then the message
 * versions it speaks; the guest answers with one of each (counts 1 and 1)
 * in the first two slots, or counts 0 and 0 to refuse.
 */
struct ic_negotiate {
	__u16 frame_count;
	__u16 msg_count;
	__u32 reserved;
	struct ic_version versions[];
} __packed;
HV_ASSERT_SIZE(struct ic_negotiate, 8);

/* HEARTBEAT: the guest answers with seq_num + 1 */
struct ic_heartbeat {
	__u64 seq_num;
	__u32 reserved[8];
} __packed;
HV_ASSERT_SIZE(struct ic_heartbeat, 40);

/* SHUTDOWN */
#define IC_SHUTDOWN_FLAG_FORCE		0x01
#define IC_SHUTDOWN_FLAG_RESTART	0x02
#define IC_SHUTDOWN_FLAG_HIBERNATE	0x04
#define IC_SHUTDOWN_MESSAGE_BYTES	2048

struct ic_shutdown {
	__u32 reason_code;
	__u32 timeout_seconds;
	__u32 flags;
	__u8 display_message[IC_SHUTDOWN_MESSAGE_BYTES];
} __packed;
HV_ASSERT_SIZE(struct ic_shutdown, 2060);

/*
 * TIMESYNC: host time in 100 ns units since 1601-01-01 (Windows time).
 * Versions below 4 send struct ic_timesync, 4 and later the one with the
 * partition reference time at which the host read its clock.
 */
#define IC_TIMESYNC_FLAG_PROBE		0x00
#define IC_TIMESYNC_FLAG_SYNC		0x01
#define IC_TIMESYNC_FLAG_SAMPLE		0x02
/* 100 ns units from 1601-01-01 to 1970-01-01 */
#define IC_WINDOWS_EPOCH_DELTA		116444736000000000ULL

struct ic_timesync {
	__u64 parent_time;
	__u64 child_time;
	__u64 round_trip_time;
	__u8 flags;
} __packed;
HV_ASSERT_SIZE(struct ic_timesync, 25);

struct ic_timesync_ref {
	__u64 parent_time;
	__u64 vm_reference_time;
	__u8 flags;
	__u8 leap_flags;
	__u8 stratum;
	__u8 reserved[3];
} __packed;
HV_ASSERT_SIZE(struct ic_timesync_ref, 22);

#endif /* _HYPERV_IC_H */
