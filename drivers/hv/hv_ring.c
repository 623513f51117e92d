// SPDX-License-Identifier: GPL-2.0
/*
 * VMBus ring buffers (see hv_ring.h).
 *
 * Protocol, as both sides follow it: the writer copies a packet and its
 * 8-byte trailer at write_index, then moves write_index; the reader copies
 * out at read_index, then moves read_index.  The ring is never filled
 * completely, so equal indices mean empty.  The writer signals the reader
 * only if the reader has not masked interrupts and the ring was empty
 * before the write (a non-empty ring means a signal is on its way or the
 * reader is still draining).  The reader signals the writer only when the
 * writer asked (pending_send_sz) and this read made the room it asked for.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include <asm/barrier.h>

#include "hv_ring.h"

static bool hv_ring_index_ok(const struct hv_ring *ring, u32 idx)
{
	return idx < ring->size && IS_ALIGNED(idx, VMBUS_PKT_ALIGN);
}

static void hv_ring_set_broken(struct hv_ring *ring, const char *which,
			       u32 idx)
{
	if (!ring->broken)
		pr_err_ratelimited("ring %p: %s index %#x is not valid for a %u-byte ring; ring no longer used\n",
				   ring, which, idx, ring->size);
	ring->broken = true;
}

int hv_ring_map(struct hv_ring *ring, struct page **pages,
		unsigned int npages)
{
	unsigned int n = npages - 1, i;
	struct page **map;
	void *va;

	if (npages < 2 || n > U32_MAX / PAGE_SIZE / 2)
		return -EINVAL;

	map = kcalloc(1 + 2 * n, sizeof(*map), GFP_KERNEL);
	if (!map)
		return -ENOMEM;
	map[0] = pages[0];
	for (i = 0; i < n; i++) {
		map[1 + i] = pages[1 + i];
		map[1 + n + i] = pages[1 + i];
	}
	va = vmap(map, 1 + 2 * n, VM_MAP, PAGE_KERNEL);
	kfree(map);
	if (!va)
		return -ENOMEM;

	memset(ring, 0, sizeof(*ring));
	ring->hdr = va;
	ring->data = (u8 *)va + PAGE_SIZE;
	ring->size = n * PAGE_SIZE;
	WRITE_ONCE(ring->hdr->read_index, 0);
	WRITE_ONCE(ring->hdr->write_index, 0);
	WRITE_ONCE(ring->hdr->interrupt_mask, 0);
	WRITE_ONCE(ring->hdr->pending_send_sz, 0);
	/* We honour pending_send_sz */
	WRITE_ONCE(ring->hdr->feature_bits, VMBUS_RING_FEAT_PENDING_SEND_SZ);
	return 0;
}

void hv_ring_unmap(struct hv_ring *ring)
{
	if (ring->hdr)
		vunmap(ring->hdr);
	ring->hdr = NULL;
	ring->data = NULL;
}

/* Free bytes for the writer given both indices */
static u32 hv_ring_free(const struct hv_ring *ring, u32 read, u32 write)
{
	return write >= read ? ring->size - (write - read) : read - write;
}

u32 hv_ring_write_avail(struct hv_ring *ring)
{
	u32 read = READ_ONCE(ring->hdr->read_index);
	u32 write = READ_ONCE(ring->hdr->write_index);

	if (!hv_ring_index_ok(ring, read) || !hv_ring_index_ok(ring, write))
		return 0;
	return hv_ring_free(ring, read, write);
}

/**
 * hv_ring_write() - append one packet
 * @ring: the ring, written by us only (callers serialize)
 * @kv: the packet's pieces, 8-byte multiple in all
 * @nkv: number of pieces
 * @signal: set to whether the reader must be signalled
 *
 * Return: 0, -EAGAIN if there is no room, -EINVAL for a bad length,
 * -EIO if the ring is broken.
 */
int hv_ring_write(struct hv_ring *ring, const struct kvec *kv,
		  unsigned int nkv, bool *signal)
{
	u32 read, write, old_write, total = 0;
	unsigned int i;
	u64 trailer;

	*signal = false;
	if (ring->broken)
		return -EIO;
	for (i = 0; i < nkv; i++) {
		if (kv[i].iov_len > ring->size)
			return -EINVAL;
		total += kv[i].iov_len;
	}
	if (!total || !IS_ALIGNED(total, VMBUS_PKT_ALIGN) ||
	    total > ring->size - VMBUS_PKT_TRAILER_SIZE)
		return -EINVAL;

	read = READ_ONCE(ring->hdr->read_index);
	write = READ_ONCE(ring->hdr->write_index);
	if (!hv_ring_index_ok(ring, read)) {
		hv_ring_set_broken(ring, "read", read);
		return -EIO;
	}
	if (!hv_ring_index_ok(ring, write)) {
		hv_ring_set_broken(ring, "write", write);
		return -EIO;
	}
	/* Never fill the ring: equal indices would then mean empty */
	if (hv_ring_free(ring, read, write) <= total + VMBUS_PKT_TRAILER_SIZE) {
		ring->full++;
		return -EAGAIN;
	}

	old_write = write;
	for (i = 0; i < nkv; i++) {
		/* The double mapping makes each piece contiguous */
		memcpy(ring->data + write, kv[i].iov_base, kv[i].iov_len);
		write = (write + kv[i].iov_len) % ring->size;
	}
	trailer = (u64)old_write << 32;
	memcpy(ring->data + write, &trailer, sizeof(trailer));
	write = (write + VMBUS_PKT_TRAILER_SIZE) % ring->size;

	/* The packet is in place before the reader can see the new index */
	virt_wmb();
	WRITE_ONCE(ring->hdr->write_index, write);
	ring->packets++;
	ring->bytes += total;

	/* The index is visible before we look at the reader's state */
	virt_mb();
	if (READ_ONCE(ring->hdr->interrupt_mask))
		return 0;
	virt_rmb();
	if (READ_ONCE(ring->hdr->read_index) == old_write) {
		ring->signals++;
		*signal = true;
	}
	return 0;
}

void hv_ring_set_pending_send(struct hv_ring *ring, u32 bytes)
{
	WRITE_ONCE(ring->hdr->pending_send_sz, bytes);
	/* Visible before we look at the indices again */
	virt_mb();
}

u32 hv_ring_read_avail(struct hv_ring *ring)
{
	u32 write = READ_ONCE(ring->hdr->write_index);
	u32 read = ring->priv_read;

	if (ring->broken)
		return 0;
	if (!hv_ring_index_ok(ring, write)) {
		hv_ring_set_broken(ring, "write", write);
		return 0;
	}
	/* The data is read only after the index that covers it */
	virt_rmb();
	return write >= read ? write - read : ring->size - read + write;
}

void hv_ring_copy_out(const struct hv_ring *ring, u32 offset, void *dst,
		      u32 len)
{
	memcpy(dst, ring->data + (ring->priv_read + offset) % ring->size, len);
}

void hv_ring_consume(struct hv_ring *ring, u32 len)
{
	ring->priv_read = (ring->priv_read + len) % ring->size;
	ring->packets++;
	ring->bytes += len;
}

/* Publish the private read index; true if the writer must be signalled */
bool hv_ring_publish_read(struct hv_ring *ring)
{
	u32 old_read = READ_ONCE(ring->hdr->read_index);
	u32 read = ring->priv_read, write, pending, free_now, done;

	if (old_read == read || ring->broken)
		return false;
	done = read >= old_read ? read - old_read : ring->size - old_read + read;

	/* Every read of the data is done before the writer may reuse it */
	virt_mb();
	WRITE_ONCE(ring->hdr->read_index, read);
	/* The new index is visible before we look at what the writer wants */
	virt_mb();

	pending = READ_ONCE(ring->hdr->pending_send_sz);
	if (!pending)
		return false;
	write = READ_ONCE(ring->hdr->write_index);
	if (!hv_ring_index_ok(ring, write)) {
		hv_ring_set_broken(ring, "write", write);
		return false;
	}
	free_now = hv_ring_free(ring, read, write);
	/* It had the room already (and was told), or still has not */
	if (free_now - done > pending || free_now <= pending)
		return false;
	ring->signals++;
	return true;
}

void hv_ring_mask_interrupts(struct hv_ring *ring)
{
	WRITE_ONCE(ring->hdr->interrupt_mask, 1);
	virt_mb();
}

u32 hv_ring_unmask_interrupts(struct hv_ring *ring)
{
	WRITE_ONCE(ring->hdr->interrupt_mask, 0);
	/* Unmasked before we look for what arrived while masked */
	virt_mb();
	return hv_ring_read_avail(ring);
}

void hv_ring_snapshot(const struct hv_ring *ring, u32 *read, u32 *write,
		      u32 *mask, u32 *pending)
{
	*read = READ_ONCE(ring->hdr->read_index);
	*write = READ_ONCE(ring->hdr->write_index);
	*mask = READ_ONCE(ring->hdr->interrupt_mask);
	*pending = READ_ONCE(ring->hdr->pending_send_sz);
}
