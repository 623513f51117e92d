/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KVP (key-value pair exchange) integration service: the body of an
 * IC_MSGTYPE_KVPEXCHANGE message between host and guest (ic_kvp_*), and
 * the messages hv_utils exchanges with the user-space daemon through the
 * character device /dev/vmbus/hv_kvp (kvpd_*), the ABI Linux's
 * tools/hv/hv_kvp_daemon speaks.  Definitions only.  Facts from the public
 * descriptions (Linux include/uapi/linux/hyperv.h, drivers/hv/hv_kvp.c and
 * tools/hv/hv_kvp_daemon.c; FreeBSD sys/dev/hyperv/utilities/hv_kvp.h).
 *
 * On the wire keys and string values are UTF-16LE, NUL-terminated, their
 * sizes in bytes including the NUL.  To the daemon the same fields carry
 * UTF-8, NUL-terminated, sizes in bytes including the NUL.  The host has
 * at most one KVP request outstanding; the guest answers it in place.
 */
#ifndef _HYPERV_KVP_H
#define _HYPERV_KVP_H

#include <linux/types.h>

#include <hyperv/tlfs.h>

/* Field sizes in bytes */
#define IC_KVP_KEY_BYTES		512
#define IC_KVP_VALUE_BYTES		2048

/* Operations (struct ic_kvp_hdr.operation) */
enum ic_kvp_op {
	IC_KVP_OP_GET		= 0,
	IC_KVP_OP_SET		= 1,
	IC_KVP_OP_DELETE	= 2,
	IC_KVP_OP_ENUMERATE	= 3,
	IC_KVP_OP_GET_IP_INFO	= 4,
	IC_KVP_OP_SET_IP_INFO	= 5,
	IC_KVP_OP_COUNT
};

/*
 * Pools: EXTERNAL is what the host pushes, GUEST what the guest
 * publishes, AUTO what the guest reports about itself (the daemon
 * generates it: FQDN, OS name, addresses...).
 */
enum ic_kvp_pool {
	IC_KVP_POOL_EXTERNAL		= 0,
	IC_KVP_POOL_GUEST		= 1,
	IC_KVP_POOL_AUTO		= 2,
	IC_KVP_POOL_AUTO_EXTERNAL	= 3,
	IC_KVP_POOL_AUTO_INTERNAL	= 4,
	IC_KVP_POOL_COUNT
};

/* Value types (registry types) */
#define IC_KVP_REG_SZ			1	/* UTF-16LE string */
#define IC_KVP_REG_U32			4
#define IC_KVP_REG_U64			8

/* Status codes (HRESULTs) in the IC header of a KVP answer */
#define IC_KVP_S_CONT			0x80070103	/* no such key/index */
#define IC_KVP_E_NOT_SUPPORTED		0x80070032
#define IC_KVP_E_MACHINE_LOCKED		0x800704F7
#define IC_KVP_E_DEVICE_NOT_CONNECTED	0x8007048F
#define IC_KVP_E_INVALIDARG		0x80070057
#define IC_KVP_E_GUID_NOTFOUND		0x80041002
#define IC_KVP_E_ALREADY_EXISTS		0x80070050
#define IC_KVP_E_DISK_FULL		0x80070070

struct ic_kvp_hdr {
	__u8 operation;			/* enum ic_kvp_op */
	__u8 pool;			/* enum ic_kvp_pool */
	__u16 pad;
} __packed;
HV_ASSERT_SIZE(struct ic_kvp_hdr, 4);

/* A key and its value */
struct ic_kvp_value {
	__u32 value_type;		/* IC_KVP_REG_* */
	__u32 key_size;			/* bytes, with the NUL */
	__u32 value_size;		/* bytes, with the NUL for strings */
	__u8 key[IC_KVP_KEY_BYTES];
	union {
		__u8 value[IC_KVP_VALUE_BYTES];
		__u32 value_u32;
		__u64 value_u64;
	};
} __packed;
HV_ASSERT_SIZE(struct ic_kvp_value, 2572);
HV_ASSERT_OFFSET(struct ic_kvp_value, key, 12);
HV_ASSERT_OFFSET(struct ic_kvp_value, value, 524);

/* GET (the guest fills in the value) and SET */
struct ic_kvp_msg_value {
	struct ic_kvp_hdr hdr;
	struct ic_kvp_value data;
} __packed;
HV_ASSERT_SIZE(struct ic_kvp_msg_value, 2576);

/* DELETE */
struct ic_kvp_msg_delete {
	struct ic_kvp_hdr hdr;
	__u32 key_size;
	__u8 key[IC_KVP_KEY_BYTES];
} __packed;
HV_ASSERT_SIZE(struct ic_kvp_msg_delete, 520);

/*
 * ENUMERATE: the guest answers with the index-th key of the pool, or
 * IC_KVP_S_CONT past the last one
 */
struct ic_kvp_msg_enumerate {
	struct ic_kvp_hdr hdr;
	__u32 index;
	struct ic_kvp_value data;
} __packed;
HV_ASSERT_SIZE(struct ic_kvp_msg_enumerate, 2580);
HV_ASSERT_OFFSET(struct ic_kvp_msg_enumerate, data, 8);

/*
 * GET_IP_INFO / SET_IP_INFO: a NIC's addresses, found by adapter id (the
 * NIC's MAC address as the host prints it).  Strings of UTF-16 units on
 * the wire; the lists are ';'-separated.
 */
#define IC_KVP_ADDR_FAMILY_NONE		0x00
#define IC_KVP_ADDR_FAMILY_IPV4		0x01
#define IC_KVP_ADDR_FAMILY_IPV6		0x02

#define IC_KVP_ADAPTER_ID_CHARS		128
#define IC_KVP_IP_ADDR_CHARS		1024
#define IC_KVP_GATEWAY_CHARS		512

struct ic_kvp_ip_value {
	__u16 adapter_id[IC_KVP_ADAPTER_ID_CHARS];
	__u8 addr_family;		/* IC_KVP_ADDR_FAMILY_* */
	__u8 dhcp_enabled;
	__u16 ip_addr[IC_KVP_IP_ADDR_CHARS];
	__u16 sub_net[IC_KVP_IP_ADDR_CHARS];
	__u16 gate_way[IC_KVP_GATEWAY_CHARS];
	__u16 dns_addr[IC_KVP_IP_ADDR_CHARS];
} __packed;
HV_ASSERT_SIZE(struct ic_kvp_ip_value, 7426);
HV_ASSERT_OFFSET(struct ic_kvp_ip_value, ip_addr, 258);
HV_ASSERT_OFFSET(struct ic_kvp_ip_value, sub_net, 2306);
HV_ASSERT_OFFSET(struct ic_kvp_ip_value, gate_way, 4354);
HV_ASSERT_OFFSET(struct ic_kvp_ip_value, dns_addr, 5378);

/* The IP operations' body: no pad after operation and pool */
struct ic_kvp_msg_ip {
	__u8 operation;
	__u8 pool;
	struct ic_kvp_ip_value ip;
} __packed;
HV_ASSERT_SIZE(struct ic_kvp_msg_ip, 7428);

/* ------------------------------------------------------------------ */
/* The daemon's character device                                      */
/* ------------------------------------------------------------------ */

/*
 * /dev/vmbus/hv_kvp (a misc device named "vmbus/hv_kvp"); one opener at
 * a time.  Every read and write moves one struct kvpd_msg.
 *
 * Registration: the daemon writes a message with hdr.operation
 * KVPD_OP_REGISTER1 (or the legacy KVPD_OP_REGISTER); the kernel answers
 * with a message of the same operation whose body.reg.version holds a
 * version string.  Then, for each host request, the kernel sends the
 * request (operation, pool and the fields of that operation, strings in
 * UTF-8) and the daemon writes it back with the answer filled in and the
 * first four bytes (error) replaced by an HRESULT: 0, or IC_KVP_S_CONT
 * when a key or index does not exist.  A legacy daemon signals failure
 * with an empty key instead.
 */
#define KVPD_OP_REGISTER		4
#define KVPD_OP_REGISTER1		100

#define KVPD_BODY_BYTES			7428

/* The IP fields carry UTF-8 in the same arrays */
struct kvpd_ip_value {
	__u8 adapter_id[IC_KVP_ADAPTER_ID_CHARS * 2];
	__u8 addr_family;
	__u8 dhcp_enabled;
	__u8 ip_addr[IC_KVP_IP_ADDR_CHARS * 2];
	__u8 sub_net[IC_KVP_IP_ADDR_CHARS * 2];
	__u8 gate_way[IC_KVP_GATEWAY_CHARS * 2];
	__u8 dns_addr[IC_KVP_IP_ADDR_CHARS * 2];
} __packed;
HV_ASSERT_SIZE(struct kvpd_ip_value, sizeof(struct ic_kvp_ip_value));

struct kvpd_msg {
	union {
		struct ic_kvp_hdr hdr;		/* kernel -> daemon */
		__u32 error;			/* daemon -> kernel: HRESULT */
	};
	union {
		struct ic_kvp_value value;	/* GET, SET */
		struct {			/* ENUMERATE */
			__u32 index;
			struct ic_kvp_value data;
		} __packed enumerate;
		struct {			/* DELETE */
			__u32 key_size;
			__u8 key[IC_KVP_KEY_BYTES];
		} __packed del;
		struct kvpd_ip_value ip;	/* GET_IP_INFO, SET_IP_INFO */
		struct {			/* REGISTER, REGISTER1 */
			__u8 version[IC_KVP_KEY_BYTES];
		} __packed reg;
		/*
		 * Linux declares this union with a 4-byte aligned member
		 * (the delete body is not packed there), so it is 7428
		 * bytes, not 7426, and the daemon moves 7432-byte messages.
		 */
		__u8 raw[KVPD_BODY_BYTES];
	} body;
} __packed;
HV_ASSERT_SIZE(struct kvpd_msg, 7432);
HV_ASSERT_OFFSET(struct kvpd_msg, body, 4);
HV_ASSERT_OFFSET(struct kvpd_msg, body.enumerate.data, 8);
HV_ASSERT_OFFSET(struct kvpd_msg, body.value.value, 528);
HV_ASSERT_OFFSET(struct kvpd_msg, body.del.key, 8);
HV_ASSERT_OFFSET(struct kvpd_msg, body.enumerate.data.value, 532);
HV_ASSERT_OFFSET(struct kvpd_msg, body.ip.addr_family, 260);
HV_ASSERT_OFFSET(struct kvpd_msg, body.ip.dns_addr, 5382);

#endif /* _HYPERV_KVP_H */
