/* ip_reass.c: IPv4 reassembly (RFC 791 3.2, RFC 815, RFC 1122 3.3.2).
 *
 * One queue per (source, destination, protocol, identification), at most
 * params.ip_reass_max of them (the oldest is dropped to make room), each
 * dropped params.ip_reass_timeout after its first fragment arrived.
 *
 * Data is copied at its offset into one buffer. Where RFC 815 keeps the
 * holes, we keep their complement: the sorted list of filled ranges, merged
 * as they touch; the datagram is complete when the list is the single range
 * [0, total) and both the first and the last fragment are in.
 *
 * Overlaps (RFC 5722 in spirit, RFC 3128 for the attacks): a fragment that
 * overlaps bytes already held is accepted only if it carries the very same
 * bytes there (a duplicate); any conflicting overlap drops the whole
 * datagram. So does a fragment past the known end, a second "last"
 * fragment with another end, or a datagram that would exceed 65535 bytes.
 */
#include "ip_var.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cksum.h"
#include "icmp.h"

#define REASS_HDR_ROOM 60       /* the header is put back in front of the data */
#define REASS_MAX_RANGES 256    /* distinct filled ranges per datagram */

struct frag_range { size_t start, end; };

struct ip_frag_q {
	struct ip_frag_q *prev, *next;  /* oldest first */
	struct nb_stack *s;
	uint32_t src, dst;
	uint16_t id;
	uint8_t proto;
	int ifidx;
	unsigned rx_flags;
	uint8_t hdr[60];                /* the first fragment's header */
	size_t hlen;                    /* 0 until the first fragment is in */
	bool have_last;
	size_t total;                   /* payload length, once the last fragment is in */
	uint8_t *buf;                   /* REASS_HDR_ROOM + cap bytes */
	size_t cap;
	struct frag_range r[REASS_MAX_RANGES];
	size_t nr;
	struct nb_timer timer;
};

static void q_timeout(struct nb_timer *t, nb_time_t now);

int ip_reass_init(struct nb_stack *s)
{
	struct nb_reass *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->next_id = (uint16_t)nb_rng_next(&s->rng);
	timer_init(&r->loop_timer, ip_loop_timer, s);
	s->reass = r;
	return 0;
}

static void q_unlink(struct nb_reass *r, struct ip_frag_q *q)
{
	if (q->prev)
		q->prev->next = q->next;
	else
		r->q_head = q->next;
	if (q->next)
		q->next->prev = q->prev;
	else
		r->q_tail = q->prev;
	r->nq--;
}

/* q_free: unlinks (if linked) and frees a queue. */
static void q_free(struct nb_stack *s, struct ip_frag_q *q, bool linked)
{
	if (linked)
		q_unlink(s->reass, q);
	timer_cancel(&s->timers, &q->timer);
	free(q->buf);
	free(q);
}

void ip_reass_free(struct nb_stack *s)
{
	struct nb_reass *r = s->reass;
	if (!r)
		return;
	while (r->q_head)
		q_free(s, r->q_head, true);
	ip_loop_free(s);
	free(r);
	s->reass = NULL;
}

size_t ip_reass_pending(const struct nb_stack *s) { return s->reass->nq; }

static struct ip_frag_q *q_find(struct nb_reass *r, uint32_t src, uint32_t dst, uint16_t id,
				uint8_t proto)
{
	for (struct ip_frag_q *q = r->q_head; q; q = q->next)
		if (q->src == src && q->dst == dst && q->id == id && q->proto == proto)
			return q;
	return NULL;
}

static struct ip_frag_q *q_new(struct nb_stack *s, const uint8_t *pkt)
{
	struct nb_reass *r = s->reass;
	if (r->nq >= s->params.ip_reass_max) {  /* make room: drop the oldest */
		NB_COUNT(s, ip_reass_dropped);
		q_free(s, r->q_head, true);
	}
	struct ip_frag_q *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->s = s;
	q->src = nb_get32(pkt + 12);
	q->dst = nb_get32(pkt + 16);
	q->id = nb_get16(pkt + 4);
	q->proto = pkt[9];
	timer_init(&q->timer, q_timeout, q);
	if (timer_arm(&s->timers, &q->timer, s->now + s->params.ip_reass_timeout)) {
		free(q);
		return NULL;
	}
	q->prev = r->q_tail;
	if (r->q_tail)
		r->q_tail->next = q;
	else
		r->q_head = q;
	r->q_tail = q;
	r->nq++;
	return q;
}

/* q_timeout: RFC 1122 3.3.2: give up, and tell the source with a time
 * exceeded (reassembly) if the first fragment was in. */
static void q_timeout(struct nb_timer *t, nb_time_t now)
{
	struct ip_frag_q *q = t->arg;
	struct nb_stack *s = q->s;
	NB_COUNT(s, ip_reass_timeout);
	q_unlink(s->reass, q);
	if (q->hlen) {
		uint8_t quote[60 + 8];
		size_t n = NB_MIN(q->r[0].end, (size_t)8);
		memcpy(quote, q->hdr, q->hlen);
		memcpy(quote + q->hlen, q->buf + REASS_HDR_ROOM, n);
		icmp_error(s, quote, q->hlen + n, ICMP_TIMXCEED, ICMP_TIMXCEED_REASS, 0);
	}
	q_free(s, q, false);
	(void)now;
}

static int grow(struct ip_frag_q *q, size_t need)
{
	if (need <= q->cap)
		return 0;
	size_t cap = NB_MAX(need, NB_MIN(q->cap * 2, (size_t)65535));
	uint8_t *b = realloc(q->buf, REASS_HDR_ROOM + cap);
	if (!b)
		return -ENOMEM;
	q->buf = b;
	q->cap = cap;
	return 0;
}

/* add: places data[0..len) at offset off. Returns 0, -EEXIST on a
 * conflicting overlap, -EINVAL on an inconsistent end, -ENOMEM/-ENOSPC. */
static int add(struct ip_frag_q *q, size_t off, const uint8_t *data, size_t len, bool mf)
{
	size_t end = off + len;
	if (!mf) {
		if ((q->have_last && q->total != end) || (q->nr && q->r[q->nr - 1].end > end))
			return -EINVAL;
		q->have_last = true;
		q->total = end;
	} else if (q->have_last && end > q->total) {
		return -EINVAL;
	}
	if (grow(q, end))
		return -ENOMEM;
	uint8_t *d = q->buf + REASS_HDR_ROOM;
	size_t at = 0;
	for (size_t i = 0; i < q->nr; i++) {
		size_t a = NB_MAX(off, q->r[i].start), b = NB_MIN(end, q->r[i].end);
		if (a < b && memcmp(d + a, data + (a - off), b - a))
			return -EEXIST;
		if (q->r[i].start < off)
			at = i + 1;
	}
	if (q->nr == REASS_MAX_RANGES)
		return -ENOSPC;
	memcpy(d + off, data, len);
	memmove(&q->r[at + 1], &q->r[at], (q->nr - at) * sizeof(q->r[0]));
	q->r[at] = (struct frag_range){off, end};
	q->nr++;
	size_t j = 0;                   /* merge ranges that touch or overlap */
	for (size_t i = 1; i < q->nr; i++) {
		if (q->r[i].start <= q->r[j].end)
			q->r[j].end = NB_MAX(q->r[j].end, q->r[i].end);
		else
			q->r[++j] = q->r[i];
	}
	q->nr = j + 1;
	return 0;
}

/* complete: the datagram, header restored, is handed up and q freed. */
static void complete(struct nb_stack *s, struct ip_frag_q *q)
{
	q_unlink(s->reass, q);
	size_t len = q->hlen + q->total;
	if (len > 65535) {
		NB_COUNT(s, ip_rx_bad_frag);
		NB_COUNT(s, ip_reass_dropped);
		q_free(s, q, false);
		return;
	}
	uint8_t *p = q->buf + REASS_HDR_ROOM - q->hlen;
	memcpy(p, q->hdr, q->hlen);
	nb_put16(p + 2, (uint16_t)len);
	nb_put16(p + 6, nb_get16(p + 6) & IP_FLAG_DF);
	nb_put16(p + 10, 0);
	nb_put16(p + 10, cksum(p, q->hlen));
	NB_COUNT(s, ip_reass_ok);
	timer_cancel(&s->timers, &q->timer);
	ip_local_deliver(s, q->ifidx, p, len, q->rx_flags);
	q_free(s, q, false);
}

void ip_reass_input(struct nb_stack *s, int ifidx, const uint8_t *pkt, size_t len,
		    unsigned rx_flags)
{
	NB_COUNT(s, ip_frag_rx);
	size_t hlen = (size_t)(pkt[0] & 15) * 4;
	uint16_t frag = nb_get16(pkt + 6);
	size_t off = (size_t)(frag & IP_OFFMASK) * 8, dlen = len - hlen;
	bool mf = frag & IP_FLAG_MF;
	/* Every fragment but the last carries a multiple of 8 bytes. */
	if (dlen == 0 || (mf && (dlen & 7)) || off + dlen + hlen > 65535) {
		NB_COUNT(s, ip_rx_bad_frag);
		return;
	}
	struct nb_reass *r = s->reass;
	struct ip_frag_q *q = q_find(r, nb_get32(pkt + 12), nb_get32(pkt + 16),
				     nb_get16(pkt + 4), pkt[9]);
	if (!q && !(q = q_new(s, pkt))) {
		NB_COUNT(s, ip_reass_dropped);
		return;
	}
	int rc = add(q, off, pkt + hlen, dlen, mf);
	if (rc) {
		if (rc == -EEXIST)
			NB_COUNT(s, ip_reass_overlap);
		NB_COUNT(s, ip_reass_dropped);
		q_free(s, q, true);
		return;
	}
	if (off == 0) {
		memcpy(q->hdr, pkt, hlen);
		q->hlen = hlen;
	}
	q->ifidx = ifidx;
	q->rx_flags |= rx_flags;
	if (q->hlen && q->have_last && q->nr == 1 && q->r[0].start == 0 && q->r[0].end == q->total)
		complete(s, q);
}
