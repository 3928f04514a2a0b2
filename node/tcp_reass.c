/* tcp_reass.c: the out-of-order queue and in-order delivery (RFC 9293
 * 3.10.7.4 "seventh, process the segment text", RFC 9293 3.4 reassembly).
 *
 * Bytes of a segment that arrives ahead of RCV.NXT are written straight into
 * the receive ring at the offset their sequence number gives, past the
 * in-order bytes:
 *
 *   rcvbuf:  [ unread in-order | hole | ooo range | hole | ooo range ]
 *            ^head             ^len = RCV.NXT
 *
 * and a sorted list of ranges (struct tcp_ooo, no data of their own)
 * remembers which parts are filled. When the hole at RCV.NXT fills, ranges
 * that now touch it are committed by moving len forward: no copy. The space
 * is bounded by the receive buffer because the window we advertise never
 * exceeds its free space (the caller trims what does not fit).
 */
#include "tcp_var.h"

#include <stdlib.h>

/* Inserts [seq, end) into the sorted range list, merging neighbours.
 * Returns false when the list is full (the bytes are then not kept). */
static bool ooo_insert(struct tcp_pcb *pcb, uint32_t seq, uint32_t end)
{
	struct tcp_ooo **pp = &pcb->ooo;
	int n = 0;
	while (*pp && SEQ_LT((*pp)->seq + (*pp)->len, seq)) {
		pp = &(*pp)->next;
		n++;
	}
	struct tcp_ooo *o = *pp;
	if (o && SEQ_LEQ(o->seq, end)) {
		/* overlaps or touches o: grow o, then swallow later ranges */
		uint32_t s0 = SEQ_LT(seq, o->seq) ? seq : o->seq;
		uint32_t e0 = SEQ_GT(end, o->seq + o->len) ? end : o->seq + o->len;
		while (o->next && SEQ_LEQ(o->next->seq, e0)) {
			struct tcp_ooo *nx = o->next;
			if (SEQ_GT(nx->seq + nx->len, e0))
				e0 = nx->seq + nx->len;
			o->next = nx->next;
			free(nx);
		}
		o->seq = s0;
		o->len = e0 - s0;
		return true;
	}
	for (struct tcp_ooo *q = o; q; q = q->next)
		n++;
	if (n >= TCP_OOO_MAX_RANGES)
		return false;
	struct tcp_ooo *nw = malloc(sizeof(*nw));
	if (!nw)
		return false;
	nw->seq = seq;
	nw->len = end - seq;
	nw->fin = false;
	nw->next = o;
	*pp = nw;
	return true;
}

/* Cuts queued ranges at `limit`: nothing may follow a FIN. */
static void ooo_trim(struct tcp_pcb *pcb, uint32_t limit)
{
	for (struct tcp_ooo **pp = &pcb->ooo; *pp;) {
		struct tcp_ooo *o = *pp;
		if (SEQ_GEQ(o->seq, limit)) {
			*pp = o->next;
			free(o);
			continue;
		}
		if (SEQ_GT(o->seq + o->len, limit))
			o->len = limit - o->seq;
		pp = &o->next;
	}
}

static void ooo_recount(struct tcp_pcb *pcb)
{
	size_t b = 0;
	for (struct tcp_ooo *o = pcb->ooo; o; o = o->next)
		b += o->len;
	pcb->ooo_bytes = b;
}

/* tcp_reass: takes a segment's text [seq, seq+len) that the caller trimmed
 * to start at or after RCV.NXT and to fit the receive buffer, plus its FIN.
 * In-order bytes advance RCV.NXT (with any queued ranges they reach);
 * out-of-order ones are parked. Returns the bytes newly made readable;
 * *fin_now says the FIN is now in order (the caller advances RCV.NXT for
 * it). */
uint32_t tcp_reass(struct tcp_pcb *pcb, uint32_t seq, const uint8_t *data, uint32_t len,
		   bool fin, bool *fin_now)
{
	struct nb_stack *s = pcb->stack;
	*fin_now = false;
	if (fin && !(pcb->rcv_fin_pending && SEQ_LT(pcb->rcv_fin_seq, seq + len))) {
		pcb->rcv_fin_pending = true;
		pcb->rcv_fin_seq = seq + len;
		ooo_trim(pcb, seq + len);
		ooo_recount(pcb);
	}
	/* Data past a known FIN cannot be valid (RFC 9293 3.10.7.4 eighth). */
	if (pcb->rcv_fin_pending && SEQ_GT(seq + len, pcb->rcv_fin_seq))
		len = SEQ_GT(pcb->rcv_fin_seq, seq) ? pcb->rcv_fin_seq - seq : 0;
	if (len && tcp_rcvbuf_ensure(pcb))
		return 0;

	uint32_t delivered = 0;
	if (len) {
		size_t off = pcb->rcvbuf.len + (seq - pcb->rcv_nxt);
		if (seq != pcb->rcv_nxt) {
			NB_COUNT(s, tcp_out_of_order);
			if (!ooo_insert(pcb, seq, seq + len))
				return 0;
			pcb->last_ooo_seq = seq;
			ring_write_at(&pcb->rcvbuf, off, data, len);
			ooo_recount(pcb);
		} else {
			ring_write_at(&pcb->rcvbuf, off, data, len);
			pcb->rcvbuf.len += len;
			pcb->rcv_nxt += len;
			delivered = len;
		}
	}
	/* Commit queued ranges that now touch RCV.NXT. */
	while (pcb->ooo && SEQ_LEQ(pcb->ooo->seq, pcb->rcv_nxt)) {
		struct tcp_ooo *o = pcb->ooo;
		uint32_t end = o->seq + o->len;
		if (SEQ_GT(end, pcb->rcv_nxt)) {
			uint32_t more = end - pcb->rcv_nxt;
			pcb->rcvbuf.len += more;
			pcb->rcv_nxt += more;
			delivered += more;
		}
		pcb->ooo = o->next;
		free(o);
		ooo_recount(pcb);
	}
	if (pcb->rcv_fin_pending && pcb->rcv_nxt == pcb->rcv_fin_seq) {
		pcb->rcv_fin_pending = false;
		*fin_now = true;
	}
	return delivered;
}

/* tcp_reass_flush: forgets every out-of-order range. */
void tcp_reass_flush(struct tcp_pcb *pcb)
{
	for (struct tcp_ooo *o = pcb->ooo, *n; o; o = n) {
		n = o->next;
		free(o);
	}
	pcb->ooo = NULL;
	pcb->ooo_bytes = 0;
	pcb->rcv_fin_pending = false;
}

/* tcp_reass_sack: up to max SACK blocks describing the queued ranges, the
 * one holding the most recent arrival first (RFC 2018 4). */
int tcp_reass_sack(const struct tcp_pcb *pcb, struct tcp_sack_blk *blk, int max)
{
	int n = 0;
	for (const struct tcp_ooo *o = pcb->ooo; o && n < max; o = o->next) {
		if (SEQ_LEQ(o->seq, pcb->last_ooo_seq) && SEQ_LT(pcb->last_ooo_seq, o->seq + o->len)) {
			blk[0].start = o->seq;
			blk[0].end = o->seq + o->len;
			n = 1;
			break;
		}
	}
	for (const struct tcp_ooo *o = pcb->ooo; o && n < max; o = o->next) {
		if (n && blk[0].start == o->seq)
			continue;
		blk[n].start = o->seq;
		blk[n].end = o->seq + o->len;
		n++;
	}
	return n;
}
