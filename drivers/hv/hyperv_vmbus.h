/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hv_vmbus internals: the Hyper-V platform layer (detection, hypercalls),
 * the SynIC, the clocksource and VMBus (connection, channel management,
 * channels, the bus).
 *
 * The wire formats live in <hyperv/tlfs.h>; this header holds driver state
 * and the functions the parts of the module call in each other.
 */
#ifndef _HV_IC_HYPERV_VMBUS_H
#define _HV_IC_HYPERV_VMBUS_H

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/export.h>
#include <linux/types.h>

#include <hyperv/tlfs.h>

/* Keep in step with PACKAGE_VERSION in dkms.conf (build-module.sh checks). */
#define HV_IC_VERSION		"0.1.0"
/* Build number in the guest OS id: 0xMMmp for version MM.m.p */
#define HV_IC_BUILD_NUMBER	0x0010

/*
 * Symbols other hyperv-ic modules use go into the HYPERV_IC namespace.
 * Until Linux 6.12 the namespace argument is an identifier, later kernels
 * take a string literal; Kbuild probes the target's <linux/export.h>.
 */
#ifdef HV_IC_NS_IS_STRING
#define HV_IC_EXPORT(sym)	EXPORT_SYMBOL_NS_GPL(sym, "HYPERV_IC")
#else
#define HV_IC_EXPORT(sym)	EXPORT_SYMBOL_NS_GPL(sym, HYPERV_IC)
#endif

/* The SINT the host uses for VMBus messages and channel events */
#define HV_VMBUS_MESSAGE_SINT	2

/* ------------------------------------------------------------------ */
/* Platform: hv_platform.c                                            */
/* ------------------------------------------------------------------ */

struct hv_platform_info {
	char vendor[13];		/* CPUID 0x40000000 EBX:ECX:EDX */
	u32 max_leaf;
	u32 build;			/* CPUID 0x40000002 */
	u16 major, minor;
	u32 service_pack;
	u32 features[4];		/* CPUID 0x40000003 EAX..EDX */
	u32 hints;			/* CPUID 0x40000004 EAX */
	u32 max_vps, max_lps;		/* CPUID 0x40000005 */
	u64 guest_os_id;
	u64 hypercall_gpa;
};

extern struct hv_platform_info hv_info;

/* Result of one hypercall of the load-time self-test */
struct hv_hypercall_check {
	const char *name;
	u16 expected;
	u16 status;
	bool pass;
};

#define HV_HYPERCALL_CHECKS	3

int hv_platform_init(void);
void hv_platform_exit(void);
bool hv_hypercall_selftest(struct hv_hypercall_check *res);
u32 hv_vp_index(unsigned int cpu);

/*
 * Hypercalls.  The slow form takes pointers into this CPU's hypercall
 * input and output pages (hv_hypercall_input_page() and
 * hv_hypercall_output_page(), interrupts disabled while they are in use);
 * the fast forms pass their input in registers.  All return the raw
 * hypercall result value; hv_result() extracts the status code.
 */
u64 hv_do_hypercall(u64 control, void *input, void *output);
u64 hv_do_fast_hypercall8(u16 code, u64 input);
u64 hv_do_fast_hypercall16(u16 code, u64 input1, u64 input2);
void *hv_hypercall_input_page(void);
void *hv_hypercall_output_page(void);
int hv_status_to_errno(u16 status);
const char *hv_status_name(u16 status);

static inline u16 hv_result(u64 status)
{
	return status & HV_HYPERCALL_RESULT_MASK;
}

/* The page the host fills with the hypercall code: hv_hypercall_page.S */
extern u8 hv_hypercall_page[];

/* ------------------------------------------------------------------ */
/* SynIC: hv_synic.c                                                  */
/* ------------------------------------------------------------------ */

/* Message types counted one by one; larger ones land in "other" */
#define HV_SYNIC_MSG_TYPES	16

struct hv_synic_stats {
	atomic_long_t messages;			/* all messages taken */
	atomic_long_t msg_type[HV_SYNIC_MSG_TYPES];
	atomic_long_t msg_type_other;
	atomic_long_t bad_messages;		/* failed validation */
	atomic_long_t eom;			/* EOM writes (msg pending) */
	atomic_long_t event_interrupts;		/* interrupts with flags set */
	atomic_long_t event_flags;		/* flags seen */
	atomic_long_t spurious;			/* interrupts with no work */
};

extern struct hv_synic_stats hv_synic_stats;

int hv_synic_init(int irq);
void hv_synic_exit(void);
/* This CPU's VMBus SINT event flags (NULL if its SynIC is off) */
unsigned long *hv_synic_vmbus_event_flags(void);
/* Where SINT2 is delivered; false if the SynIC is not set up */
bool hv_synic_target(unsigned int *cpu, unsigned int *vector, int *irq);
unsigned int hv_synic_nr_cpus(void);

/* ------------------------------------------------------------------ */
/* Clocksource: hv_clocksource.c                                      */
/* ------------------------------------------------------------------ */

int hv_clocksource_init(void);
void hv_clocksource_exit(void);
/* Name of the registered clocksource, or "none" */
const char *hv_clocksource_name(void);
/* Reference time (100 ns) through the clocksource and through the MSR */
bool hv_clocksource_sample(u64 *cs, u64 *msr);

/* ------------------------------------------------------------------ */
/* sysfs: hv_sysfs.c                                                  */
/* ------------------------------------------------------------------ */

int hv_sysfs_init(bool *hypercall_ok);
void hv_sysfs_exit(void);

/* ------------------------------------------------------------------ */
/* VMBus                                                              */
/* ------------------------------------------------------------------ */

#include <linux/completion.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include <hvic/vmbus.h>
#include "hv_ring.h"

/* Relids we accept: the 2048 event flags of a SINT */
#define VMBUS_MAX_RELID		(HV_EVENT_FLAGS_COUNT - 1)

/* The connection: vmbus_connection.c */
struct vmbus_connection {
	u32 version;			/* negotiated, 0 if none */
	u32 msg_conn_id;		/* where channel messages go */
	unsigned int cpu;		/* takes the VMBus interrupt */
	u32 vp;				/* its VP index */
	void *int_page;			/* below 2.4: receive half, send half */
	struct vmbus_monitor_page *monitor[2];	/* host->guest, guest->host */
	atomic64_t signals;		/* HvSignalEvent and monitor bits */
};

extern struct vmbus_connection vmbus_conn;

int vmbus_connect(void);
void vmbus_disconnect(void);
int vmbus_post_msg(void *msg, u32 len);
int vmbus_version_parse(const char *s, u32 *version);

/* A guest request waiting for the host's answer: vmbus_channel_mgmt.c */
struct vmbus_waiter {
	struct list_head node;
	u32 msgtype;			/* the answer expected */
	u32 key[2];			/* fields it must carry */
	struct hvic_channel *chan;	/* rescinding it ends the wait */
	struct completion done;
	int err;			/* -ENODEV: rescinded or unloading */
	u32 len;
	union {
		struct vmbus_msg_header hdr;
		u8 buf[VMBUS_MESSAGE_MAX];
	} resp;
};

void vmbus_waiter_init(struct vmbus_waiter *w, u32 msgtype,
		       struct hvic_channel *chan, u32 key0, u32 key1);
int vmbus_post_and_wait(void *msg, u32 len, struct vmbus_waiter *w,
			unsigned long timeout);
int vmbus_waiter_add(struct vmbus_waiter *w);
void vmbus_waiter_cancel(struct vmbus_waiter *w);
void vmbus_cancel_waiters(struct hvic_channel *chan);

extern struct mutex vmbus_channels_lock;

void vmbus_isr_message(const struct hv_message *msg);
void vmbus_isr_events(void);
int vmbus_mgmt_init(void);
void vmbus_mgmt_exit(void);
int vmbus_request_offers(void);
void vmbus_remove_all_channels(void);
struct hvic_channel *vmbus_channel_get(u32 relid);

enum hvic_channel_state {
	HVIC_CHAN_OFFERED,		/* closed */
	HVIC_CHAN_OPENING,
	HVIC_CHAN_OPEN,
	HVIC_CHAN_CLOSING,
};

struct hvic_channel {
	struct kref kref;
	struct rcu_head rcu;
	struct vmbus_msg_offer_channel offer;
	u32 relid;
	u16 subidx;
	u32 sig_conn_id;		/* HvSignalEvent input (2.4 and later) */
	bool monitor_allocated;
	u8 monitor_id;
	bool dedicated_interrupt;
	bool rescinded;
	bool released;			/* RELID_RELEASED sent */
	bool device_removed;		/* vmbus_device_remove() done */

	struct hvic_device *device;	/* the primary's device */
	struct hvic_channel *primary;	/* NULL for a primary */
	struct list_head subs;		/* primary: its sub-channels */
	struct list_head sub_node;
	void (*sub_cb)(struct hvic_channel *sub);
	void (*sub_removed_cb)(struct hvic_channel *sub);
	struct kobject kobj;		/* channels/<relid> */
	bool kobj_added;

	struct mutex lock;		/* open/close */
	enum hvic_channel_state state;
	spinlock_t send_lock;
	wait_queue_head_t send_wq;
	struct hv_ring out, in;
	struct page **pages;
	unsigned int npages;
	struct hvic_gpadl ring_gpadl;
	hvic_channel_cb_t callback;
	void *ctx;
	u8 *pkt_buf;			/* hvic_recv_peek()'s copy */
	u32 pkt_buf_size;
	u32 pkt_len;			/* of the packet peeked, 0 if none */
	unsigned int target_cpu;
	u32 target_vp;
	void *drvdata;

	atomic64_t interrupts;		/* host -> guest signals */
	atomic64_t events;		/* guest -> host signals */
	atomic64_t bad_packets;
};

void vmbus_channel_put(struct hvic_channel *chan);
void vmbus_sync_callbacks(void);
void vmbus_signal_channel(struct hvic_channel *chan);
void vmbus_channel_event(struct hvic_channel *chan);
void vmbus_channel_repoll(struct hvic_channel *chan);
void vmbus_channel_force_close(struct hvic_channel *chan);
int vmbus_channel_modify(struct hvic_channel *chan, unsigned int cpu);

/* The bus: vmbus_bus.c */
int vmbus_bus_init(void);
void vmbus_set_parent(struct device *parent);
void vmbus_bus_exit(void);
int vmbus_device_add(struct hvic_channel *primary);
void vmbus_device_remove(struct hvic_channel *primary);
int vmbus_channel_sysfs_add(struct hvic_channel *chan);
void vmbus_channel_sysfs_del(struct hvic_channel *chan);

#endif /* _HV_IC_HYPERV_VMBUS_H */
