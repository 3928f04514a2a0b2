/* impair.c: the link impairment engine (see impair.h for the model).
 *
 * Frames in flight live in a binary min-heap keyed by (release time, queue
 * sequence). Without reordering the keys arrive in increasing order, so a
 * push costs O(1) (the sift-up stops at once) and a pop O(log n). Frame
 * copies come from a small free list of fixed-size blocks, so the steady
 * state allocates nothing.
 */
#include "impair.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PKT_BLOCK 2048                 /* size of a free-list block */
#define FREE_LIST_MAX 256
#define FRAME_MAX ((size_t)1 << 20)    /* keeps len * 8e9 inside 64 bits */
#define ETH_HLEN 14

struct impair_pkt {
	struct impair_pkt *next;       /* free list link */
	nb_time_t offered;
	uint32_t len, cap;
	uint8_t data[];
};

#define PKT_SMALL_CAP (PKT_BLOCK - sizeof(struct impair_pkt))
#define PKT_COST(len) ((size_t)(len) + sizeof(struct impair_pkt) + sizeof(struct impair_slot))

/* The random numbers one offered frame consumes, drawn before any decision. */
struct draws {
	double ge_move, loss, dup, corrupt, reorder;
	uint64_t bit;
	double jit[2][2];              /* [copy][uniform, second normal draw] */
};

uint64_t impair_seed(uint64_t run_seed, const char *link_name, int direction)
{
	uint64_t h = nb_hash_str(link_name);
	return nb_hash64(nb_hash64(run_seed) ^ nb_hash64(h) ^ nb_hash64(0x5eed0000u + (uint64_t)direction));
}

/* ---- frame copies ---------------------------------------------------- */

/* pkt_new: a copy of frame charged to the memory cap; NULL when the cap is
 * reached (*oom false) or malloc fails (*oom true). */
static struct impair_pkt *pkt_new(struct impair *imp, const uint8_t *frame, size_t len,
				  nb_time_t offered, bool *oom)
{
	*oom = false;
	if (imp->mem_bytes + PKT_COST(len) > imp->mem_limit)
		return NULL;
	struct impair_pkt *p;
	if (len <= PKT_SMALL_CAP && imp->free_list) {
		p = imp->free_list;
		imp->free_list = p->next;
		imp->free_len--;
	} else {
		size_t cap = len <= PKT_SMALL_CAP ? PKT_SMALL_CAP : len;
		p = malloc(sizeof(*p) + cap);
		if (!p) {
			*oom = true;
			return NULL;
		}
		p->cap = (uint32_t)cap;
	}
	p->next = NULL;
	p->offered = offered;
	p->len = (uint32_t)len;
	memcpy(p->data, frame, len);
	imp->mem_bytes += PKT_COST(len);
	return p;
}

/* pkt_put: returns a frame copy to the free list (or to malloc). */
static void pkt_put(struct impair *imp, struct impair_pkt *p)
{
	imp->mem_bytes -= PKT_COST(p->len);
	if (p->cap == PKT_SMALL_CAP && imp->free_len < FREE_LIST_MAX) {
		p->next = imp->free_list;
		imp->free_list = p;
		imp->free_len++;
		return;
	}
	free(p);
}

/* ---- release heap ---------------------------------------------------- */

static inline bool slot_before(const struct impair_slot *a, const struct impair_slot *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

/* heap_push: queues p for release at `at`. 0 or -ENOMEM. */
static int heap_push(struct impair *imp, struct impair_pkt *p, nb_time_t at)
{
	if (imp->heap_len == imp->heap_cap) {
		size_t cap = imp->heap_cap ? imp->heap_cap * 2 : 64;
		struct impair_slot *h = realloc(imp->heap, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		imp->heap = h;
		imp->heap_cap = cap;
	}
	struct impair_slot s = { .at = at, .seq = imp->seq++, .pkt = p };
	size_t i = imp->heap_len++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!slot_before(&s, &imp->heap[parent]))
			break;
		imp->heap[i] = imp->heap[parent];
		i = parent;
	}
	imp->heap[i] = s;
	return 0;
}

/* heap_pop: removes the earliest slot into *out. The heap must not be empty. */
static void heap_pop(struct impair *imp, struct impair_slot *out)
{
	struct impair_slot *h = imp->heap;
	*out = h[0];
	struct impair_slot last = h[--imp->heap_len];
	size_t n = imp->heap_len, i = 0;
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		const struct impair_slot *best = &last;
		if (l < n && slot_before(&h[l], best)) {
			m = l;
			best = &h[l];
		}
		if (l + 1 < n && slot_before(&h[l + 1], best))
			m = l + 1;
		if (m == i)
			break;
		h[i] = h[m];
		i = m;
	}
	if (n)
		h[i] = last;
}

/* ---- spec ------------------------------------------------------------ */

void impair_init(struct impair *imp, const struct impair_spec *spec, uint64_t seed)
{
	memset(imp, 0, sizeof(*imp));
	nb_rng_seed(&imp->rng, seed);
	imp->mem_limit = IMPAIR_MEM_LIMIT_DEFAULT;
	imp->delay_min = NB_TIME_NEVER;
	imp->first_release = NB_TIME_NEVER;
	impair_set_spec(imp, spec, 0);
}

void impair_set_spec(struct impair *imp, const struct impair_spec *spec, nb_time_t now)
{
	uint64_t old_rate = imp->spec.rate_bps;
	struct impair_spec *s = &imp->spec;
	impair_spec_init(s);                   /* only the groups spec names count */
	if (spec)
		impair_spec_merge(s, spec);
	imp->passthrough = impair_spec_is_noop(s);   /* impair_offer skips every stage */
	if (s->drop_count > IMPAIR_DROP_MAX)
		s->drop_count = IMPAIR_DROP_MAX;
	uint32_t i = 0;
	while (i < s->drop_count && s->drop[i] <= imp->pkt_no)
		i++;
	imp->drop_idx = i;
	if (!s->gilbert || imp->passthrough)
		imp->ge_bad = false;
	if (s->rate_bps != old_rate)
		imp->busy_rem = 0;
	if (!s->rate_bps) {
		imp->wait_head = imp->wait_len = 0;
		imp->wait_bytes = 0;
	}
	(void)now;
}

void impair_free(struct impair *imp)
{
	for (size_t i = 0; i < imp->heap_len; i++)
		free(imp->heap[i].pkt);
	for (unsigned i = 0; i < imp->hold_len; i++)
		free(imp->hold[i].pkt);
	while (imp->free_list) {
		struct impair_pkt *p = imp->free_list;
		imp->free_list = p->next;
		free(p);
	}
	free(imp->heap);
	free(imp->wait);
	imp->heap = NULL;
	imp->wait = NULL;
	imp->heap_len = imp->heap_cap = imp->hold_len = 0;
	imp->wait_len = imp->wait_cap = imp->wait_head = 0;
	imp->free_len = 0;
	imp->mem_bytes = 0;
}

bool impair_is_passthrough(const struct impair *imp)
{
	return imp->passthrough && imp->heap_len == 0 && imp->hold_len == 0;
}

/* ---- decisions ------------------------------------------------------- */

/* draw: the numbers this spec consumes per frame, in a fixed order. */
static void draw(struct impair *imp, struct draws *d)
{
	const struct impair_spec *s = &imp->spec;
	struct nb_rng *r = &imp->rng;
	memset(d, 0, sizeof(*d));
	if (s->gilbert) {
		d->ge_move = nb_rng_unit(r);
		d->loss = nb_rng_unit(r);
	} else if (s->loss > 0) {
		d->loss = nb_rng_unit(r);
	}
	if (s->corrupt > 0) {
		d->corrupt = nb_rng_unit(r);
		d->bit = nb_rng_next(r);
	}
	if (s->duplicate > 0)
		d->dup = nb_rng_unit(r);
	if (s->reorder > 0)
		d->reorder = nb_rng_unit(r);
	if (s->jitter_ns > 0) {
		int copies = s->duplicate > 0 ? 2 : 1;
		for (int c = 0; c < copies; c++) {
			d->jit[c][0] = nb_rng_unit(r);
			if (s->jitter_dist == IMPAIR_DIST_NORMAL)
				d->jit[c][1] = nb_rng_unit(r);
		}
	}
}

/* lost: the loss decision; moves the Gilbert-Elliott chain first. */
static bool lost(struct impair *imp, const struct draws *d)
{
	const struct impair_spec *s = &imp->spec;
	if (s->gilbert) {
		if (imp->ge_bad) {
			if (d->ge_move < s->ge.r)
				imp->ge_bad = false;
		} else if (d->ge_move < s->ge.p) {
			imp->ge_bad = true;
		}
		double deliver = imp->ge_bad ? s->ge.h : s->ge.k;
		return d->loss >= deliver;
	}
	return s->loss > 0 && d->loss < s->loss;
}

/* listed: true when packet n is on the drop list (n only grows). */
static bool listed(struct impair *imp, uint64_t n)
{
	const struct impair_spec *s = &imp->spec;
	while (imp->drop_idx < s->drop_count && s->drop[imp->drop_idx] < n)
		imp->drop_idx++;
	if (imp->drop_idx < s->drop_count && s->drop[imp->drop_idx] == n) {
		imp->drop_idx++;
		return true;
	}
	return false;
}

/* corrupt_span: the bytes [*off, *off + *n) of an Ethernet frame that a
 * checksum the receiver verifies covers; false when none does. */
static bool corrupt_span(const uint8_t *f, size_t len, size_t *off, size_t *n)
{
	if (len < ETH_HLEN + 20 || nb_get16(f + 12) != 0x0800)
		return false;
	const uint8_t *ip = f + ETH_HLEN;
	size_t hl = (size_t)(ip[0] & 15) * 4, tot = nb_get16(ip + 2);
	if (ip[0] >> 4 != 4 || hl < 20 || tot < hl || ETH_HLEN + tot > len)
		return false;
	*off = ETH_HLEN;
	*n = hl;                                   /* the IPv4 header checksum */
	bool fragment = (nb_get16(ip + 6) & 0x3fff) != 0;
	if (fragment)
		return true;
	const uint8_t *l4 = ip + hl;
	size_t l4len = tot - hl;
	switch (ip[9]) {
	case 1:                                    /* ICMP: whole message */
		if (l4len >= 4)
			*n = tot;
		break;
	case 6:                                    /* TCP: pseudo-header + segment */
		if (l4len >= 20)
			*n = tot;
		break;
	case 17:                                   /* UDP, unless checksum off */
		if (l4len >= 8 && nb_get16(l4 + 6) != 0)
			*n = tot;
		break;
	}
	return true;
}

/* corrupt: flips one bit chosen by `bit` where a checksum will catch it.
 * Returns false when the frame has no such place. */
static bool corrupt(uint8_t *f, size_t len, uint64_t bit)
{
	size_t off, n;
	if (!corrupt_span(f, len, &off, &n))
		return false;
	uint64_t b = bit % ((uint64_t)n * 8);
	f[off + b / 8] ^= (uint8_t)(1u << (b % 8));
	return true;
}

/* delay_of: the propagation delay for one copy, from its jitter draws. */
static nb_time_t delay_of(const struct impair_spec *s, const double u[2])
{
	if (!s->jitter_ns)
		return s->delay_ns;
	double d = (double)s->delay_ns, j = (double)s->jitter_ns, v;
	if (s->jitter_dist == IMPAIR_DIST_NORMAL) {
		double z = sqrt(-2.0 * log(1.0 - u[0])) * cos(2.0 * M_PI * u[1]);
		double c = d / j < 3.0 ? d / j : 3.0;
		if (z > c)
			z = c;
		if (z < -c)
			z = -c;
		v = d + z * j;
	} else {
		v = d + (2.0 * u[0] - 1.0) * j;
	}
	return v <= 0 ? 0 : (nb_time_t)llround(v);
}

/* ---- rate stage ------------------------------------------------------ */

/* wait_push: records a frame that waits to be serialized. 0 or -ENOMEM. */
static int wait_push(struct impair *imp, nb_time_t start, uint32_t len)
{
	if (imp->wait_len == imp->wait_cap) {
		size_t cap = imp->wait_cap ? imp->wait_cap * 2 : 64;
		struct impair_wait *w = malloc(cap * sizeof(*w));
		if (!w)
			return -ENOMEM;
		for (size_t i = 0; i < imp->wait_len; i++)
			w[i] = imp->wait[(imp->wait_head + i) % imp->wait_cap];
		free(imp->wait);
		imp->wait = w;
		imp->wait_cap = cap;
		imp->wait_head = 0;
	}
	imp->wait[(imp->wait_head + imp->wait_len++) % imp->wait_cap] = (struct impair_wait){ start, len };
	imp->wait_bytes += len;
	return 0;
}

/* rate_stage: serializes a frame of len bytes offered at now; *end = when
 * its last bit is on the wire. Returns 0, or -1 when the queue is full
 * (tail drop) or its bookkeeping cannot grow. */
static int rate_stage(struct impair *imp, size_t len, nb_time_t now, nb_time_t *end)
{
	const struct impair_spec *s = &imp->spec;
	if (!s->rate_bps) {
		*end = now;
		return 0;
	}
	while (imp->wait_len && imp->wait[imp->wait_head].start <= now) {
		imp->wait_bytes -= imp->wait[imp->wait_head].len;
		imp->wait_head = (imp->wait_head + 1) % imp->wait_cap;
		imp->wait_len--;
	}
	nb_time_t start = now;
	if (imp->busy_until > now) {
		uint64_t qp = s->queue_packets, qb = s->queue_bytes;
		if (!qp && !qb)
			qp = IMPAIR_QUEUE_DEFAULT_PACKETS;
		if ((qp && imp->wait_len + 1 > qp) || (qb && imp->wait_bytes + len > qb))
			return -1;
		if (wait_push(imp, imp->busy_until, (uint32_t)len) < 0)
			return -1;
		start = imp->busy_until;
	} else {
		imp->busy_rem = 0;
	}
	uint64_t num = (uint64_t)len * 8 * UINT64_C(1000000000) + imp->busy_rem;
	imp->busy_rem = num % s->rate_bps;
	imp->busy_until = start + num / s->rate_bps;
	*end = imp->busy_until;
	return 0;
}

/* ---- scheduling ------------------------------------------------------ */

/* schedule: queues p to leave at `at` (no earlier than the frame before it
 * unless reorder_ok), then frees the held frames this send completes.
 * 0 or -ENOMEM (p is then the caller's). */
static int schedule(struct impair *imp, struct impair_pkt *p, nb_time_t at)
{
	if (!imp->spec.reorder_ok && at < imp->last_release)
		at = imp->last_release;
	if (heap_push(imp, p, at) < 0)
		return -ENOMEM;
	if (at > imp->last_release)
		imp->last_release = at;
	imp->normal_sent++;
	unsigned j = 0;
	for (unsigned i = 0; i < imp->hold_len; i++) {
		struct impair_hold *h = &imp->hold[i];
		if (h->target <= imp->normal_sent) {
			nb_time_t t = NB_MIN(NB_MAX(at, h->natural), h->deadline);
			if (heap_push(imp, h->pkt, t) == 0)
				continue;
			pkt_put(imp, h->pkt);          /* heap cannot grow: lose it */
			imp->c.dropped_mem++;
			continue;
		}
		imp->hold[j++] = *h;
	}
	imp->hold_len = j;
	return 0;
}

/* send_copy: takes one copy through rate, delay and the reorder hold. */
static int send_copy(struct impair *imp, struct impair_pkt *p, const double jit[2], bool hold,
		     nb_time_t now)
{
	nb_time_t t;
	if (rate_stage(imp, p->len, now, &t) < 0) {
		imp->c.dropped_queue++;
		pkt_put(imp, p);
		return 0;
	}
	t += delay_of(&imp->spec, jit);
	if (hold && imp->hold_len < IMPAIR_HOLD_SLOTS) {
		uint32_t gap = imp->spec.reorder_gap ? imp->spec.reorder_gap : 1;
		imp->hold[imp->hold_len++] = (struct impair_hold){
			.pkt = p, .target = imp->normal_sent + gap,
			.natural = t, .deadline = t + IMPAIR_HOLD_MAX_NS,
		};
		imp->c.reordered++;
		return 0;
	}
	if (schedule(imp, p, t) < 0) {
		imp->c.dropped_mem++;
		pkt_put(imp, p);
		return -ENOMEM;
	}
	return 0;
}

int impair_offer(struct impair *imp, const uint8_t *frame, size_t len, nb_time_t now)
{
	const struct impair_spec *s = &imp->spec;
	imp->c.sent++;
	imp->c.bytes_offered += len;
	uint64_t n = ++imp->pkt_no;
	if (len > FRAME_MAX) {
		imp->c.dropped_mem++;
		return -EMSGSIZE;
	}
	bool oom;
	struct impair_pkt *p;
	if (imp->passthrough) {                /* a no-op spec acts as an empty one */
		p = pkt_new(imp, frame, len, now, &oom);
		if (!p) {
			imp->c.dropped_mem++;
			return oom ? -ENOMEM : 0;
		}
		if (schedule(imp, p, now) < 0) {
			imp->c.dropped_mem++;
			pkt_put(imp, p);
			return -ENOMEM;
		}
		return 0;
	}
	struct draws d;
	draw(imp, &d);
	bool drop_list = s->drop_count && listed(imp, n);
	bool drop_loss = lost(imp, &d);        /* the chain moves either way */
	if (drop_list) {
		imp->c.dropped_list++;
		return 0;
	}
	if (drop_loss) {
		imp->c.dropped_loss++;
		return 0;
	}
	p = pkt_new(imp, frame, len, now, &oom);
	if (!p) {
		imp->c.dropped_mem++;
		return oom ? -ENOMEM : 0;
	}
	if (s->corrupt > 0 && d.corrupt < s->corrupt) {
		if (corrupt(p->data, len, d.bit))
			imp->c.corrupted++;
		else
			imp->c.corrupt_skipped++;
	}
	struct impair_pkt *dup = NULL;
	if (s->duplicate > 0 && d.dup < s->duplicate) {
		dup = pkt_new(imp, p->data, len, now, &oom);
		if (dup)
			imp->c.duplicated++;
		else
			imp->c.dropped_mem++;
	}
	bool hold = s->reorder > 0 && d.reorder < s->reorder;
	int rc = send_copy(imp, p, d.jit[0], hold, now);
	if (dup && send_copy(imp, dup, d.jit[1], false, now) < 0)
		rc = -ENOMEM;
	return rc;
}

/* ---- release --------------------------------------------------------- */

nb_time_t impair_next(const struct impair *imp)
{
	nb_time_t t = imp->heap_len ? imp->heap[0].at : NB_TIME_NEVER;
	for (unsigned i = 0; i < imp->hold_len; i++)
		if (imp->hold[i].deadline < t)
			t = imp->hold[i].deadline;
	return t;
}

/* hist_index: log-linear bucket of v: exact below IMPAIR_HIST_SUB, then
 * IMPAIR_HIST_SUB buckets per power of two. */
static unsigned hist_index(uint64_t v)
{
	if (v < IMPAIR_HIST_SUB)
		return (unsigned)v;
	unsigned e = 63u - (unsigned)__builtin_clzll(v);       /* >= 5 */
	unsigned i = (e - 4) * IMPAIR_HIST_SUB + (unsigned)((v >> (e - 5)) & (IMPAIR_HIST_SUB - 1));
	return i < IMPAIR_HIST_BUCKETS ? i : IMPAIR_HIST_BUCKETS - 1;
}

/* hist_mid: the middle of bucket i. */
static uint64_t hist_mid(unsigned i)
{
	if (i < IMPAIR_HIST_SUB)
		return i;
	unsigned e = i / IMPAIR_HIST_SUB + 4, m = i % IMPAIR_HIST_SUB;
	uint64_t w = UINT64_C(1) << (e - 5);
	return ((uint64_t)(IMPAIR_HIST_SUB + m) << (e - 5)) + w / 2;
}

/* account: the delivery of a frame released at `at`. */
static void account(struct impair *imp, const struct impair_pkt *p, nb_time_t at)
{
	imp->c.delivered++;
	imp->c.bytes_delivered += p->len;
	nb_time_t dl = at - p->offered;
	if (dl)
		imp->c.delayed++;
	imp->delay_sum += dl;
	imp->delay_n++;
	if (dl < imp->delay_min)
		imp->delay_min = dl;
	if (dl > imp->delay_max)
		imp->delay_max = dl;
	imp->hist[hist_index(dl)]++;
	if (imp->first_release == NB_TIME_NEVER) {
		imp->first_release = at;
		imp->first_len = p->len;
	}
	imp->last_release_seen = at;
}

unsigned impair_release(struct impair *imp, nb_time_t now, impair_deliver_fn deliver, void *ctx)
{
	unsigned j = 0;                        /* held frames past their deadline go alone */
	for (unsigned i = 0; i < imp->hold_len; i++) {
		struct impair_hold *h = &imp->hold[i];
		if (h->deadline <= now) {
			if (heap_push(imp, h->pkt, h->deadline) == 0)
				continue;
			pkt_put(imp, h->pkt);
			imp->c.dropped_mem++;
			continue;
		}
		imp->hold[j++] = *h;
	}
	imp->hold_len = j;

	/* frames offered by the callback wait for the next call: no livelock */
	uint64_t seq_end = imp->seq;
	unsigned count = 0;
	while (imp->heap_len && imp->heap[0].at <= now && imp->heap[0].seq < seq_end) {
		struct impair_slot s;
		heap_pop(imp, &s);
		account(imp, s.pkt, s.at);
		deliver(ctx, s.pkt->data, s.pkt->len, s.at);
		pkt_put(imp, s.pkt);
		count++;
	}
	return count;
}

/* ---- stats ----------------------------------------------------------- */

/* hist_quantile: the value below which a fraction q of the delays fall. */
static nb_time_t hist_quantile(const struct impair *imp, double q)
{
	uint64_t want = (uint64_t)ceil(q * (double)imp->delay_n), seen = 0;
	if (!want)
		want = 1;
	for (unsigned i = 0; i < IMPAIR_HIST_BUCKETS; i++) {
		seen += imp->hist[i];
		if (seen >= want) {
			uint64_t v = hist_mid(i);
			return NB_MIN(NB_MAX(v, imp->delay_min), imp->delay_max);
		}
	}
	return imp->delay_max;
}

void impair_stats(const struct impair *imp, struct impair_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->c = imp->c;
	st->queued_frames = imp->heap_len + imp->hold_len;
	for (size_t i = 0; i < imp->heap_len; i++)
		st->queued_bytes += imp->heap[i].pkt->len;
	for (unsigned i = 0; i < imp->hold_len; i++)
		st->queued_bytes += imp->hold[i].pkt->len;
	if (imp->delay_n) {
		st->delay_min = imp->delay_min;
		st->delay_max = imp->delay_max;
		st->delay_mean = imp->delay_sum / imp->delay_n;
		st->delay_p50 = hist_quantile(imp, 0.50);
		st->delay_p99 = hist_quantile(imp, 0.99);
	}
	uint64_t reached = imp->c.sent - imp->c.dropped_list;
	if (reached)
		st->loss_rate = (double)imp->c.dropped_loss / (double)reached;
	if (imp->c.delivered >= 2 && imp->last_release_seen > imp->first_release)
		st->rate_bps = 8e9 * (double)(imp->c.bytes_delivered - imp->first_len) /
			       (double)(imp->last_release_seen - imp->first_release);
}
