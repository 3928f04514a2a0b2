/* wire.h: header-only harness that wires several nb_stacks together through
 * simulated point-to-point links and a fake clock, for unit tests.
 *
 *   struct wire w;  wire_init(&w, 42);
 *   struct nb_stack *a = wire_add_stack(&w);          (pid 1000, 1001, ...)
 *   struct nb_stack *b = wire_add_stack(&w);
 *   int l = wire_link(&w, a, "10.0.0.1", b, "10.0.0.2", 24, 1500);
 *   wire_set_delay(&w, l, WIRE_AB, NB_MS(5));  wire_set_loss(&w, l, WIRE_BA, 0.01);
 *   ... nb_socket(a, ...) ...
 *   wire_run_until(&w, cond, arg, NB_SEC(10));
 *   wire_free(&w);
 *
 * Frames sent by a stack (io->tx) are queued for the other end of the link
 * at now + delay; the clock jumps from event to event (the earliest queued
 * frame or stack timer), so a 10 s test takes milliseconds. Frames due at the
 * same instant keep their sending order. Loss is deterministic: each link
 * direction draws from its own nb_rng seeded from (wire seed, link, dir);
 * wire_drop_nth() drops exactly the n-th frame of a direction; a filter
 * callback may inspect, modify (corrupt) or drop any frame.
 *
 * Everything here is static inline; include it from one test file.
 */
#ifndef NB_TEST_WIRE_H
#define NB_TEST_WIRE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack.h"

#define WIRE_MAX_STACKS 8
#define WIRE_MAX_LINKS 16
#define WIRE_AB 0          /* direction: first stack given to wire_link -> second */
#define WIRE_BA 1

struct wire;

/* filter: called for every frame entering a link; return false to drop it.
 * It may change the frame in place (up to *len bytes) and shorten *len. */
typedef bool (*wire_filter_fn)(void *arg, int link, int dir, uint8_t *frame, size_t *len);

struct wire_frame {
	struct wire_frame *next;
	nb_time_t at;
	uint64_t seq;
	int node, ifidx;
	size_t len;
	uint8_t data[];
};

struct wire_node {
	struct wire *w;
	int idx;
	struct nb_stack stack;
	struct nb_stack_io io;
};

struct wire_link {
	int node[2], ifidx[2];          /* the two ends */
	nb_time_t delay[2];             /* per direction */
	double loss[2];
	struct nb_rng rng[2];
	uint64_t drop_nth[2];           /* drop this frame number (1-based); 0 = none */
	uint64_t frames[2], dropped[2];
	bool down;
};

struct wire {
	nb_time_t now;
	uint64_t seed;
	int nnodes, nlinks;
	struct wire_node *nodes[WIRE_MAX_STACKS];
	struct wire_link links[WIRE_MAX_LINKS];
	struct wire_frame *q;           /* sorted by (at, seq) */
	uint64_t seq;
	wire_filter_fn filter;
	void *filter_arg;
	uint64_t delivered;
};

static inline void wire_die(const char *what)
{
	fprintf(stderr, "wire: %s\n", what);
	abort();
}

/* wire_init: an empty lab at time 1 s (0 would look like "never armed"). */
static inline void wire_init(struct wire *w, uint64_t seed)
{
	memset(w, 0, sizeof(*w));
	w->now = NB_SEC(1);
	w->seed = seed;
}

static inline struct wire_node *wire_node_of(struct wire *w, const struct nb_stack *s)
{
	for (int i = 0; i < w->nnodes; i++)
		if (&w->nodes[i]->stack == s)
			return w->nodes[i];
	wire_die("stack is not on this wire");
	return NULL;
}

/* wire_tx: io->tx of every stack: queue the frame for the far end. */
static inline void wire_tx(void *ctx, int ifidx, const uint8_t *frame, size_t len)
{
	struct wire_node *n = ctx;
	struct wire *w = n->w;
	for (int l = 0; l < w->nlinks; l++) {
		struct wire_link *k = &w->links[l];
		for (int dir = 0; dir < 2; dir++) {
			if (k->node[dir] != n->idx || k->ifidx[dir] != ifidx)
				continue;
			k->frames[dir]++;
			if (k->down || (k->drop_nth[dir] && k->frames[dir] == k->drop_nth[dir]) ||
			    (k->loss[dir] > 0 && nb_rng_unit(&k->rng[dir]) < k->loss[dir])) {
				k->dropped[dir]++;
				return;
			}
			struct wire_frame *f = malloc(sizeof(*f) + len);
			if (!f)
				wire_die("out of memory");
			memcpy(f->data, frame, len);
			f->len = len;
			if (w->filter && !w->filter(w->filter_arg, l, dir, f->data, &f->len)) {
				k->dropped[dir]++;
				free(f);
				return;
			}
			f->at = w->now + k->delay[dir];
			f->seq = ++w->seq;
			f->node = k->node[!dir];
			f->ifidx = k->ifidx[!dir];
			struct wire_frame **pp = &w->q;
			while (*pp && ((*pp)->at < f->at || ((*pp)->at == f->at && (*pp)->seq < f->seq)))
				pp = &(*pp)->next;
			f->next = *pp;
			*pp = f;
			return;
		}
	}
	/* an interface without a link: the frame is lost, like an unplugged cable */
}

/* wire_add_stack: a new stack (seeded from the wire seed and its index,
 * pid 1000 + index). Aborts on failure: this is test code. */
static inline struct nb_stack *wire_add_stack(struct wire *w)
{
	if (w->nnodes >= WIRE_MAX_STACKS)
		wire_die("too many stacks");
	struct wire_node *n = calloc(1, sizeof(*n));
	if (!n)
		wire_die("out of memory");
	n->w = w;
	n->idx = w->nnodes;
	n->io.tx = wire_tx;
	if (stack_init(&n->stack, &n->io, n, nb_hash64(w->seed * 31 + (uint64_t)n->idx)) != 0)
		wire_die("stack_init failed");
	n->stack.pid = 1000 + (uint32_t)n->idx;
	n->stack.now = w->now;
	w->nodes[w->nnodes++] = n;
	return &n->stack;
}

/* wire_link: adds an interface ("eth<N>") with address/prefix to each of a
 * and b and joins them. MACs are 02:00:00:00:<node>:<if>. Returns the link. */
static inline int wire_link(struct wire *w, struct nb_stack *a, const char *a_addr, struct nb_stack *b,
			    const char *b_addr, uint8_t prefix, uint32_t mtu)
{
	if (w->nlinks >= WIRE_MAX_LINKS)
		wire_die("too many links");
	struct nb_stack *st[2] = {a, b};
	const char *ad[2] = {a_addr, b_addr};
	struct wire_link *k = &w->links[w->nlinks];
	memset(k, 0, sizeof(*k));
	for (int i = 0; i < 2; i++) {
		struct wire_node *n = wire_node_of(w, st[i]);
		uint32_t addr;
		if (nb_ip4_parse(ad[i], &addr))
			wire_die("bad address");
		char name[NB_IFNAME_MAX];
		snprintf(name, sizeof(name), "eth%d", st[i]->nifs);
		uint8_t mac[6] = {0x02, 0, 0, 0, (uint8_t)n->idx, (uint8_t)st[i]->nifs};
		int ifidx = stack_add_iface(st[i], name, mac, addr, prefix, mtu);
		if (ifidx < 0)
			wire_die("stack_add_iface failed");
		k->node[i] = n->idx;
		k->ifidx[i] = ifidx;
		nb_rng_seed(&k->rng[i], nb_hash64(w->seed ^ ((uint64_t)w->nlinks << 8 | (uint64_t)i)));
	}
	return w->nlinks++;
}

static inline void wire_set_delay(struct wire *w, int link, int dir, nb_time_t d) { w->links[link].delay[dir] = d; }
static inline void wire_set_loss(struct wire *w, int link, int dir, double p) { w->links[link].loss[dir] = p; }
/* wire_drop_nth: drops the n-th frame (1-based, counting from the link's
 * creation) in direction dir. */
static inline void wire_drop_nth(struct wire *w, int link, int dir, uint64_t n) { w->links[link].drop_nth[dir] = n; }
/* wire_set_down: a down link loses every frame (both directions). */
static inline void wire_set_down(struct wire *w, int link, bool down) { w->links[link].down = down; }
static inline void wire_set_filter(struct wire *w, wire_filter_fn fn, void *arg)
{
	w->filter = fn;
	w->filter_arg = arg;
}

/* wire_sync: tells every stack the current time, so calls made by the test
 * between steps (nb_connect ...) see the right `now`. */
static inline void wire_sync(struct wire *w)
{
	for (int i = 0; i < w->nnodes; i++)
		w->nodes[i]->stack.now = w->now;
}

/* wire_inject: delivers a raw frame to stack s's interface ifidx now. */
static inline void wire_inject(struct wire *w, struct nb_stack *s, int ifidx, const uint8_t *frame,
			       size_t len, unsigned flags)
{
	wire_sync(w);
	stack_input(s, ifidx, frame, len, flags, w->now);
}

/* wire_next: the time of the next event (frame or timer), NB_TIME_NEVER if none. */
static inline nb_time_t wire_next(const struct wire *w)
{
	nb_time_t t = w->q ? w->q->at : NB_TIME_NEVER;
	for (int i = 0; i < w->nnodes; i++) {
		nb_time_t d = stack_next_deadline(&w->nodes[i]->stack);
		if (d < t)
			t = d;
	}
	return t;
}

/* wire_step: processes every event at the next event time if that is <=
 * until (frames first, then timers); false when nothing is due by then. */
static inline bool wire_step(struct wire *w, nb_time_t until)
{
	nb_time_t t = wire_next(w);
	if (t == NB_TIME_NEVER || t > until)
		return false;
	if (t > w->now)
		w->now = t;
	wire_sync(w);
	while (w->q && w->q->at <= w->now) {
		struct wire_frame *f = w->q;
		w->q = f->next;
		w->delivered++;
		stack_input(&w->nodes[f->node]->stack, f->ifidx, f->data, f->len, 0, w->now);
		free(f);
	}
	for (int i = 0; i < w->nnodes; i++)
		if (stack_next_deadline(&w->nodes[i]->stack) <= w->now)
			stack_timers_run(&w->nodes[i]->stack, w->now);
	return true;
}

/* wire_run_for: processes everything due in the next d ns, then sets the
 * clock to now + d. */
static inline void wire_run_for(struct wire *w, nb_time_t d)
{
	nb_time_t until = w->now + d;
	while (wire_step(w, until))
		;
	w->now = until;
	wire_sync(w);
}

/* wire_run_until: steps until cond(arg) holds (checked before each step) or
 * `limit` ns pass; true if cond held. */
static inline bool wire_run_until(struct wire *w, bool (*cond)(void *arg), void *arg, nb_time_t limit)
{
	nb_time_t until = w->now + limit;
	for (;;) {
		if (cond(arg))
			return true;
		if (!wire_step(w, until))
			return cond(arg);
	}
}

/* wire_run_idle: steps until no frame is in flight and no timer is armed in
 * any stack, or `limit` ns pass; true if it went idle. */
static inline bool wire_run_idle(struct wire *w, nb_time_t limit)
{
	nb_time_t until = w->now + limit;
	while (wire_step(w, until))
		;
	return wire_next(w) == NB_TIME_NEVER;
}

/* wire_free: frees queued frames and every stack. */
static inline void wire_free(struct wire *w)
{
	while (w->q) {
		struct wire_frame *f = w->q;
		w->q = f->next;
		free(f);
	}
	for (int i = 0; i < w->nnodes; i++) {
		stack_free(&w->nodes[i]->stack);
		free(w->nodes[i]);
	}
	w->nnodes = 0;
	w->nlinks = 0;
}

/* Two stacks on one link, a = 10.0.0.1 and b = 10.0.0.2 (/24, MTU 1500),
 * with the same delay each way: the usual fixture of socket-level tests. */
struct wire_pair {
	struct wire w;
	struct nb_stack *a, *b;
	uint32_t aaddr, baddr;
	int link;
};

static inline struct wire_pair *wire_pair_new(uint64_t seed, nb_time_t delay)
{
	struct wire_pair *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	wire_init(&p->w, seed);
	p->a = wire_add_stack(&p->w);
	p->b = wire_add_stack(&p->w);
	p->link = wire_link(&p->w, p->a, "10.0.0.1", p->b, "10.0.0.2", 24, 1500);
	if (delay) {
		wire_set_delay(&p->w, p->link, WIRE_AB, delay);
		wire_set_delay(&p->w, p->link, WIRE_BA, delay);
	}
	nb_ip4_parse("10.0.0.1", &p->aaddr);
	nb_ip4_parse("10.0.0.2", &p->baddr);
	return p;
}

static inline void wire_pair_free(struct wire_pair *p)
{
	wire_free(&p->w);
	free(p);
}

#endif
