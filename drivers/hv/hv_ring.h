/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMBus ring buffers, as a layer of their own: a ring knows its header
 * page and data area and nothing of channels, packets' meaning or
 * signalling hypercalls.  The writer side appends packets (descriptor and
 * payload given as pieces, trailer added here) and says whether the
 * reader must be signalled; the reader side walks packets through a
 * private read index and publishes it in one step, saying whether the
 * writer waits for the room just made.
 *
 * The data area is mapped twice in a row, so that anything that wraps
 * around its end is contiguous in the mapping.
 *
 * The other side of the ring is untrusted: indices from its header are
 * checked on every read, and a ring whose indices make no sense is
 * reported broken and not touched again.
 */
#ifndef _HV_IC_HV_RING_H
#define _HV_IC_HV_RING_H

#include <linux/types.h>
#include <linux/uio.h>

#include <hyperv/vmbus.h>

struct page;

struct hv_ring {
	struct vmbus_ring_header *hdr;
	u8 *data;			/* the data area, mapped twice */
	u32 size;			/* bytes of the data area */
	u32 priv_read;			/* reader: consumed, not yet published */
	bool broken;			/* the other side corrupted the indices */
	/* statistics */
	u64 packets;
	u64 bytes;
	u64 full;			/* writes refused: no room */
	u64 signals;			/* times the other side had to be told */
};

/* @pages: the header page, then the data pages (@npages in all, >= 2) */
int hv_ring_map(struct hv_ring *ring, struct page **pages,
		unsigned int npages);
void hv_ring_unmap(struct hv_ring *ring);

/* Writer */
u32 hv_ring_write_avail(struct hv_ring *ring);
int hv_ring_write(struct hv_ring *ring, const struct kvec *kv,
		  unsigned int nkv, bool *signal);
/* Ask the reader to signal when @bytes are free (0: do not) */
void hv_ring_set_pending_send(struct hv_ring *ring, u32 bytes);

/* Reader */
u32 hv_ring_read_avail(struct hv_ring *ring);
/* Copy @len bytes at the private read index + @offset; no checks */
void hv_ring_copy_out(const struct hv_ring *ring, u32 offset, void *dst,
		      u32 len);
void hv_ring_consume(struct hv_ring *ring, u32 len);
bool hv_ring_publish_read(struct hv_ring *ring);
/*
 * Interrupt-mask batching: mask while draining; unmask returns the bytes
 * that arrived meanwhile (the caller drains again if not 0).
 */
void hv_ring_mask_interrupts(struct hv_ring *ring);
u32 hv_ring_unmask_interrupts(struct hv_ring *ring);

/* For sysfs: the raw header fields */
void hv_ring_snapshot(const struct hv_ring *ring, u32 *read, u32 *write,
		      u32 *mask, u32 *pending);

#endif /* _HV_IC_HV_RING_H */
