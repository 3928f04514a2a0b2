/* tcp_buf.c: the byte rings behind the send and receive buffers.
 *
 *   buf[0]                         buf[cap]
 *   |....####################......|      data = buf[head .. head+len) mod cap
 *        ^head               ^head+len
 *
 * Offsets given to ring_peek / ring_write_at are relative to head, so the
 * receive side can park out-of-order bytes past len at the offset their
 * sequence number says (tcp_reass.c) and commit them later without copying.
 * Every operation is at most two memcpy calls; nothing here allocates except
 * ring_alloc / ring_resize.
 */
#include "tcp_var.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ring_alloc: an empty ring of cap bytes. 0 or -ENOMEM. */
int ring_alloc(struct tcp_ring *r, size_t cap)
{
	r->buf = malloc(cap ? cap : 1);
	if (!r->buf)
		return -ENOMEM;
	r->cap = cap;
	r->head = r->len = 0;
	return 0;
}

/* ring_free: releases the storage; the ring is empty and unallocated. */
void ring_free(struct tcp_ring *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = r->head = r->len = 0;
}

/* ring_resize: moves the first `keep` bytes (>= len; out-of-order bytes
 * beyond len included) into a new buffer of cap bytes. 0 or -ENOMEM. */
int ring_resize(struct tcp_ring *r, size_t cap, size_t keep)
{
	struct tcp_ring n;
	if (keep > cap || ring_alloc(&n, cap))
		return -ENOMEM;
	if (r->buf)
		ring_peek(r, 0, n.buf, keep);
	n.len = r->len;
	free(r->buf);
	*r = n;
	return 0;
}

/* ring_write_at: copies n bytes to offset off from head (off + n <= cap),
 * without changing len. */
void ring_write_at(struct tcp_ring *r, size_t off, const void *data, size_t n)
{
	size_t pos = (r->head + off) % r->cap;
	size_t first = NB_MIN(n, r->cap - pos);
	memcpy(r->buf + pos, data, first);
	if (n > first)
		memcpy(r->buf, (const uint8_t *)data + first, n - first);
}

/* ring_write: appends up to n bytes; returns how many fit. */
size_t ring_write(struct tcp_ring *r, const void *data, size_t n)
{
	n = NB_MIN(n, r->cap - r->len);
	if (n) {
		ring_write_at(r, r->len, data, n);
		r->len += n;
	}
	return n;
}

/* ring_peek: copies n bytes starting at offset off from head into dst. */
void ring_peek(const struct tcp_ring *r, size_t off, void *dst, size_t n)
{
	if (!n)
		return;
	size_t pos = (r->head + off) % r->cap;
	size_t first = NB_MIN(n, r->cap - pos);
	memcpy(dst, r->buf + pos, first);
	if (n > first)
		memcpy((uint8_t *)dst + first, r->buf, n - first);
}

/* ring_drop: discards up to n bytes from the front; returns how many. */
size_t ring_drop(struct tcp_ring *r, size_t n)
{
	n = NB_MIN(n, r->len);
	if (!n)
		return 0;
	r->head = (r->head + n) % r->cap;
	r->len -= n;
	return n;
}

/* ring_read: copies up to n bytes out of the front and discards them. */
size_t ring_read(struct tcp_ring *r, void *dst, size_t n)
{
	n = NB_MIN(n, r->len);
	ring_peek(r, 0, dst, n);
	return ring_drop(r, n);
}
