/* tcp_harness.h: header-only helpers for the TCP unit tests (sans-IO,
 * fake clock, segments in and out).
 *
 *   struct hnode n;  h_node_init(&n, "10.0.0.1", 1500, 42);
 *   struct tcp_pcb *pcb = h_connect(&n, "10.0.0.2", 80);     SYN goes out
 *   struct hseg *g = h_pop(&n);                               ... inspect it
 *   h_inject(&n, &(struct hin){.flags = TCP_SYN|TCP_ACK, .seq = 1000,
 *            .ack = g->seq + 1, .wnd = 65535, .mss = 1460});  the peer answers
 *   h_advance(&n, NB_MS(40));                                 timers run
 *   h_node_free(&n);
 *
 * One node is a TCP stack talking to a scripted peer (the test). Segments
 * the node sends are captured (struct hseg, decoded; the checksum is
 * verified) in a queue read with h_pop / h_peek. The peer's segments are
 * built by h_inject and handed to the node as frames, so the
 * tests need nothing below TCP.
 *
 * Frames are real: a node is a full stack (stack_init, one interface, static
 * ARP entries for 10.0.0.1 .. 10.0.0.20); segments are taken from the
 * Ethernet frames at io->tx, and the peer's segments go in as Ethernet +
 * IPv4 frames through stack_input (h_tcp_direct bypasses IP for sources IP
 * would refuse).
 *
 * Two nodes can be joined by h_link_run (bulk transfer tests): the clock
 * jumps from event to event (earliest segment arrival or timer), with a
 * delay, an optional rate and a deterministic drop callback.
 */
#ifndef NB_TCP_HARNESS_H
#define NB_TCP_HARNESS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>

#include "arp.h"
#include "cksum.h"
#include "stack.h"
#include "tcp.h"
#include "tcp_var.h"

#define H_PEER_MAC {0x02, 0, 0, 0, 0, 0x99}

/* One captured segment, decoded. */
struct hseg {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	uint32_t len;              /* data bytes */
	uint8_t *data;
	size_t optlen;
	uint8_t opt[40];
	struct tcp_opts o;         /* parsed (MSS/WS/SACKOK as if SYN when SYN set) */
	bool df;
	bool cksum_ok;
	nb_time_t t;               /* when it was sent */
	uint8_t *raw;              /* the TCP segment as sent */
	size_t rawlen;
};

/* Events an owner heard. */
struct hev {
	unsigned all;              /* OR of every event so far */
	int n;                     /* notify calls */
	unsigned last;
	int err_at_error;          /* pcb->soerror when TCP_EV_ERROR came */
};

struct hnode {
	struct nb_stack s;
	uint32_t addr;
	uint32_t mtu;
	struct hseg *q;
	size_t n, cap, rd;
	bool real_ip;
	struct hev ev;             /* events of pcbs owned through h_owner(&n) */
};

/* ---- capture -------------------------------------------------------------- */

static inline uint32_t h_ip(const char *a)
{
	uint32_t v = 0;
	if (nb_ip4_parse(a, &v))
		abort();
	return v;
}

static inline void h_record(struct hnode *n, uint32_t src, uint32_t dst, const uint8_t *p,
			    size_t len, bool df)
{
	if (len < TCP_HLEN_MIN)
		return;
	if (n->n == n->cap) {
		n->cap = n->cap ? n->cap * 2 : 64;
		n->q = realloc(n->q, n->cap * sizeof(*n->q));
	}
	struct hseg *g = &n->q[n->n++];
	memset(g, 0, sizeof(*g));
	g->src = src;
	g->dst = dst;
	g->raw = malloc(len);
	memcpy(g->raw, p, len);
	g->rawlen = len;
	g->sport = nb_get16(p);
	g->dport = nb_get16(p + 2);
	g->seq = nb_get32(p + 4);
	g->ack = nb_get32(p + 8);
	g->flags = p[13];
	g->wnd = nb_get16(p + 14);
	size_t off = (size_t)(p[12] >> 4) * 4;
	if (off > len)
		off = len;
	g->optlen = off > TCP_HLEN_MIN ? off - TCP_HLEN_MIN : 0;
	memcpy(g->opt, p + TCP_HLEN_MIN, g->optlen);
	tcp_opts_parse(g->opt, g->optlen, g->flags & TCP_SYN, &g->o);
	g->len = (uint32_t)(len - off);
	g->data = g->raw + off;
	g->df = df;
	g->t = n->s.now;
	uint32_t sum = cksum_pseudo(src, dst, IP_PROTO_TCP, (uint16_t)len);
	g->cksum_ok = cksum_fold(cksum_partial(p, len, sum)) == 0;
}

/* Frames from the real IP layer: Ethernet + IPv4 + TCP. */
static inline void h_tx(void *ctx, int ifidx, const uint8_t *f, size_t len)
{
	struct hnode *n = ctx;
	(void)ifidx;
	if (len < 14 + 20 || nb_get16(f + 12) != 0x0800)
		return;
	const uint8_t *ip = f + 14;
	size_t hl = (size_t)(ip[0] & 15) * 4, tot = nb_get16(ip + 2);
	if (ip[9] != IP_PROTO_TCP || tot > len - 14 || hl > tot)
		return;
	h_record(n, nb_get32(ip + 12), nb_get32(ip + 16), ip + hl, tot - hl,
		 (nb_get16(ip + 6) & IP_FLAG_DF) != 0);
}

static const struct nb_stack_io h_io = {.tx = h_tx};

static inline void h_notify(void *owner, struct tcp_pcb *pcb, unsigned ev)
{
	struct hev *e = owner;
	e->all |= ev;
	e->last = ev;
	e->n++;
	if (ev & TCP_EV_ERROR)
		e->err_at_error = pcb->soerror;
}

static inline void h_mac(uint32_t addr, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0;
	nb_put32(mac + 2, addr);
}

/* h_node_init: a stack with eth0 = addr/24 and the given MTU, static ARP
 * for its neighbours, the clock at 1000 s. */
static inline void h_node_init(struct hnode *n, const char *addr, uint32_t mtu, uint64_t seed)
{
	memset(n, 0, sizeof(*n));
	n->addr = h_ip(addr);
	n->mtu = mtu;
	struct nb_stack *s = &n->s;
	if (stack_init(s, &h_io, n, seed))
		abort();
	uint8_t mac[6];
	h_mac(n->addr, mac);
	if (stack_add_iface(s, "eth0", mac, n->addr, 24, mtu) != 0)
		abort();
	for (uint32_t a = h_ip("10.0.0.1"); a <= h_ip("10.0.0.20"); a++) {
		if (a == n->addr)
			continue;
		h_mac(a, mac);
		arp_add_static(s, a, mac);
	}
	s->now = NB_SEC(1000);
}

static inline void h_q_clear(struct hnode *n)
{
	for (size_t i = 0; i < n->n; i++)
		free(n->q[i].raw);
	n->n = n->rd = 0;
}

static inline void h_node_free(struct hnode *n)
{
	stack_free(&n->s);
	h_q_clear(n);
	free(n->q);
}

/* h_pending: segments captured and not yet popped. */
static inline size_t h_pending(const struct hnode *n) { return n->n - n->rd; }
/* h_pop: the next captured segment (NULL if none). Valid until h_q_clear. */
static inline struct hseg *h_pop(struct hnode *n) { return n->rd < n->n ? &n->q[n->rd++] : NULL; }
static inline struct hseg *h_peek(struct hnode *n) { return n->rd < n->n ? &n->q[n->rd] : NULL; }
/* h_q_last: the last captured segment, marking everything read. */
static inline struct hseg *h_q_last(struct hnode *n)
{
	n->rd = n->n;
	return n->n ? &n->q[n->n - 1] : NULL;
}

/* ---- the scripted peer --------------------------------------------------- */

/* What the peer sends. Zero fields mean: default ports (peer 10.0.0.2:5555
 * unless set), no options. */
struct hin {
	uint32_t src;              /* default 10.0.0.2 */
	uint16_t sport, dport;     /* default 5555 -> 80 */
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	const void *data;
	uint32_t len;
	uint16_t mss;              /* MSS option if nonzero */
	int ws;                    /* WS option if >= 0 ... set ws_on */
	bool ws_on;
	bool sackok;
	bool ts;
	uint32_t tsval, tsecr;
	int nsack;
	struct tcp_sack_blk sack[4];
	const uint8_t *rawopt;     /* raw option bytes instead of the above */
	size_t rawoptlen;
	bool bad_cksum;
	bool csum_partial;
	bool direct;               /* straight to tcp_input, bypassing IP */
	int doff;                  /* data offset override in words (0: computed) */
};

#define H_PEER "10.0.0.2"

/* h_build: the TCP segment for hin into buf; returns its length. */
static inline size_t h_build(const struct hnode *n, const struct hin *in, uint8_t *buf)
{
	uint8_t opt[64];
	size_t ol = 0;
	if (in->rawopt) {
		memcpy(opt, in->rawopt, in->rawoptlen);
		ol = in->rawoptlen;
	} else {
		if (in->mss) {
			opt[ol++] = 2; opt[ol++] = 4;
			nb_put16(opt + ol, in->mss); ol += 2;
		}
		if (in->ws_on) {
			opt[ol++] = 1; opt[ol++] = 3; opt[ol++] = 3; opt[ol++] = (uint8_t)in->ws;
		}
		if (in->sackok) {
			opt[ol++] = 1; opt[ol++] = 1; opt[ol++] = 4; opt[ol++] = 2;
		}
		if (in->ts) {
			opt[ol++] = 1; opt[ol++] = 1; opt[ol++] = 8; opt[ol++] = 10;
			nb_put32(opt + ol, in->tsval); nb_put32(opt + ol + 4, in->tsecr); ol += 8;
		}
		if (in->nsack) {
			opt[ol++] = 1; opt[ol++] = 1; opt[ol++] = 5;
			opt[ol++] = (uint8_t)(2 + 8 * in->nsack);
			for (int i = 0; i < in->nsack; i++, ol += 8) {
				nb_put32(opt + ol, in->sack[i].start);
				nb_put32(opt + ol + 4, in->sack[i].end);
			}
		}
	}
	while (ol % 4)
		opt[ol++] = 0;
	size_t hl = TCP_HLEN_MIN + ol;
	uint32_t src = in->src ? in->src : h_ip(H_PEER);
	nb_put16(buf, in->sport ? in->sport : 5555);
	nb_put16(buf + 2, in->dport ? in->dport : 80);
	nb_put32(buf + 4, in->seq);
	nb_put32(buf + 8, in->ack);
	buf[12] = (uint8_t)((in->doff ? (size_t)in->doff : hl / 4) << 4);
	buf[13] = in->flags;
	nb_put16(buf + 14, in->wnd);
	nb_put16(buf + 16, 0);
	nb_put16(buf + 18, 0);
	memcpy(buf + TCP_HLEN_MIN, opt, ol);
	if (in->len)
		memcpy(buf + hl, in->data, in->len);
	size_t len = hl + in->len;
	uint32_t sum = cksum_pseudo(src, n->addr, IP_PROTO_TCP, (uint16_t)len);
	uint16_t c = cksum_fold(cksum_partial(buf, len, sum));
	if (in->bad_cksum)
		c ^= 0x5555;
	nb_put16(buf + 16, c);
	return len;
}

/* h_tcp_direct: hands the TCP bytes p[0..len) from src straight to
 * tcp_input (for sources the IP layer would not let through). */
static inline void h_tcp_direct(struct hnode *n, uint32_t src, const uint8_t *p, size_t len,
				unsigned rx_flags)
{
	struct ip_meta m = {.src = src, .dst = n->addr, .proto = IP_PROTO_TCP, .ttl = 64,
			    .ifidx = 0, .rx_flags = rx_flags};
	tcp_input(&n->s, &m, p, len);
}

/* h_input_ip: an IPv4 datagram (proto, payload p[0..len)) from src to the
 * node arrives as an Ethernet frame (DF set) on eth0. */
static inline void h_input_ip(struct hnode *n, uint32_t src, uint8_t proto, const uint8_t *p,
			      size_t len, unsigned rx_flags)
{
	static uint8_t f[14 + 20 + 65536];
	uint8_t mac[6];
	h_mac(n->addr, mac);
	memcpy(f, mac, 6);
	h_mac(src, f + 6);
	nb_put16(f + 12, 0x0800);
	uint8_t *ip = f + 14;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	nb_put16(ip + 2, (uint16_t)(20 + len));
	nb_put16(ip + 6, IP_FLAG_DF);
	ip[8] = 64;
	ip[9] = proto;
	nb_put32(ip + 12, src);
	nb_put32(ip + 16, n->addr);
	nb_put16(ip + 10, cksum(ip, 20));
	memcpy(ip + 20, p, len);
	stack_input(&n->s, 0, f, 14 + 20 + len, rx_flags, n->s.now);
}

/* h_input_raw: the TCP bytes p[0..len) from src arrive in a frame. */
static inline void h_input_raw(struct hnode *n, uint32_t src, const uint8_t *p, size_t len,
			       unsigned rx_flags)
{
	h_input_ip(n, src, IP_PROTO_TCP, p, len, rx_flags);
}

/* h_icmp_error: router `from` reports (type, code, next-hop mtu) about the
 * segment g the node sent: the quote is g's IP header and 8 bytes of it. */
static inline void h_icmp_error(struct hnode *n, uint32_t from, uint8_t type, uint8_t code,
				uint16_t mtu, const struct hseg *g)
{
	uint8_t m[8 + 20 + 8];
	memset(m, 0, sizeof m);
	m[0] = type;
	m[1] = code;
	nb_put16(m + 6, mtu);
	uint8_t *q = m + 8;
	q[0] = 0x45;
	nb_put16(q + 2, (uint16_t)(20 + g->rawlen));
	nb_put16(q + 6, IP_FLAG_DF);
	q[8] = 64;
	q[9] = IP_PROTO_TCP;
	nb_put32(q + 12, g->src);
	nb_put32(q + 16, g->dst);
	nb_put16(q + 10, cksum(q, 20));
	memcpy(q + 20, g->raw, 8);
	nb_put16(m + 2, cksum(m, sizeof m));
	h_input_ip(n, from, IP_PROTO_ICMP, m, sizeof m, 0);
}

/* h_inject: the peer's segment arrives now. */
static inline void h_inject(struct hnode *n, const struct hin *in)
{
	static uint8_t buf[70000];
	size_t len = h_build(n, in, buf);
	(in->direct ? h_tcp_direct : h_input_raw)(n, in->src ? in->src : h_ip(H_PEER), buf, len,
						  in->csum_partial ? NB_RX_CSUM_PARTIAL : 0);
}

/* h_advance: moves the clock forward by dt, firing timers in order. */
static inline void h_advance(struct hnode *n, nb_time_t dt)
{
	nb_time_t end = n->s.now + dt;
	for (;;) {
		nb_time_t t = stack_next_deadline(&n->s);
		if (t > end)
			break;
		stack_timers_run(&n->s, t > n->s.now ? t : n->s.now);
	}
	n->s.now = end;
}

/* h_next_timer: time until the earliest timer (NB_TIME_NEVER if none). */
static inline nb_time_t h_next_timer(const struct hnode *n)
{
	nb_time_t t = timers_next(&n->s.timers);
	return t == NB_TIME_NEVER ? t : t - n->s.now;
}

/* h_owner: a pcb owned by the node's event recorder. */
static inline struct tcp_pcb *h_new(struct hnode *n, const char *app)
{
	return tcp_new(&n->s, &n->ev, h_notify, app);
}

/* h_connect: an active open to addr:port from local port 4000. */
static inline struct tcp_pcb *h_connect(struct hnode *n, const char *addr, uint16_t port)
{
	struct tcp_pcb *pcb = h_new(n, "client");
	if (tcp_bind(pcb, 0, 4000))
		abort();
	if (tcp_connect(pcb, h_ip(addr), port) != -EINPROGRESS)
		abort();
	return pcb;
}

/* h_established: an active open completed by a scripted SYN-ACK (peer
 * ISN piss, window wnd, MSS mss, no other options unless the params say
 * so), with the handshake's segments popped. Peer port is 80, ours 4000. */
static inline struct tcp_pcb *h_established(struct hnode *n, uint32_t piss, uint16_t wnd,
					    uint16_t mss)
{
	struct tcp_pcb *pcb = h_connect(n, H_PEER, 80);
	struct hseg *syn = h_pop(n);
	h_inject(n, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_SYN | TCP_ACK,
				  .seq = piss, .ack = syn->seq + 1, .wnd = wnd, .mss = mss});
	h_pop(n);   /* the ACK */
	return pcb;
}

/* h_params_plain: no window scaling, SACK or timestamps (simple headers). */
static inline void h_params_plain(struct hnode *n)
{
	n->s.params.tcp_wscale = 0;
	n->s.params.tcp_sack = 0;
	n->s.params.tcp_timestamps = 0;
}

/* h_ack: the peer acknowledges up to ack with window wnd (ports 80->4000). */
static inline void h_ack(struct hnode *n, uint32_t seq, uint32_t ack, uint16_t wnd)
{
	h_inject(n, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_ACK, .seq = seq,
				  .ack = ack, .wnd = wnd});
}

/* h_data: the peer sends len bytes at seq (ports 80->4000), with ACK ack. */
static inline void h_data(struct hnode *n, uint32_t seq, uint32_t ack, uint16_t wnd,
			  const void *data, uint32_t len, uint8_t extra_flags)
{
	h_inject(n, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_ACK | extra_flags,
				  .seq = seq, .ack = ack, .wnd = wnd, .data = data, .len = len});
}

/* ---- two nodes back to back --------------------------------------------- */

/* h_pump_max: delivers what a and b send to each other, instantly, until
 * both are quiet (clock unchanged) or max segments have moved. Returns the
 * number moved. h_pump: the same without a bound. */
static inline int h_pump_max(struct hnode *a, struct hnode *b, int max)
{
	int moved = 0;
	while (moved < max) {
		struct hseg *g;
		bool any = false;
		b->s.now = a->s.now;
		if ((g = h_pop(a))) {
			h_input_raw(b, g->src, g->raw, g->rawlen, 0);
			any = true;
			moved++;
		}
		if ((g = h_pop(b))) {
			h_input_raw(a, g->src, g->raw, g->rawlen, 0);
			any = true;
			moved++;
		}
		if (!any)
			break;
	}
	return moved;
}

static inline int h_pump(struct hnode *a, struct hnode *b) { return h_pump_max(a, b, INT_MAX); }

/* h_pair: a connection from a (port 4000) to a listener on b:80; returns
 * the client pcb and the accepted server pcb (owned by bev). */
static inline struct tcp_pcb *h_pair(struct hnode *a, struct hnode *b, struct hev *bev,
				     struct tcp_pcb **server, struct tcp_pcb **listener)
{
	struct tcp_pcb *l = tcp_new(&b->s, bev, h_notify, "server");
	if (tcp_bind(l, 0, 80) || tcp_listen(l, 8))
		abort();
	struct tcp_pcb *c = h_new(a, "client");
	tcp_bind(c, 0, 4000);
	char ip[16];
	tcp_connect(c, b->addr, 80);
	(void)ip;
	h_pump(a, b);
	*server = tcp_accept(l);
	if (!*server)
		abort();
	tcp_set_owner(*server, bev, h_notify, "server");
	if (listener)
		*listener = l;
	return c;
}

struct hlink;
/* What the link does with a segment (dir 0: a->b, 1: b->a; k: index of
 * the segment in that direction, from 0): H_PASS (0) delivers it, H_DROP
 * (1, or true) loses it, H_DUP delivers it twice, H_HOLD delivers it right
 * after the next segment of its direction (a reordering). */
enum { H_PASS = 0, H_DROP = 1, H_DUP = 2, H_HOLD = 3 };
typedef int (*h_drop_fn)(void *arg, int dir, uint64_t k, const struct hseg *g);

struct hflight {
	nb_time_t at;
	uint32_t src;
	uint8_t *p;
	size_t len;
};

/* Segments on the wire in one direction, in arrival order (FIFO: the
 * arrival time only grows along a direction). */
struct hfifo {
	struct hflight *v;
	size_t head, tail, cap;
};

struct hlink {
	struct hnode *nd[2];
	nb_time_t delay;
	uint64_t rate_bps;         /* 0: infinite */
	nb_time_t busy_until[2];
	h_drop_fn drop;
	void *drop_arg;
	uint64_t count[2], dropped[2], duplicated[2], reordered[2];
	struct hfifo fl[2];        /* fl[d]: from nd[d] to nd[1-d] */
	struct hflight held[2];    /* H_HOLD: waits for the next segment */
	bool holding[2];
};

static inline void h_link_init(struct hlink *l, struct hnode *a, struct hnode *b, nb_time_t delay)
{
	memset(l, 0, sizeof(*l));
	l->nd[0] = a;
	l->nd[1] = b;
	l->delay = delay;
}

static inline void h_link_free(struct hlink *l)
{
	for (int d = 0; d < 2; d++) {
		for (size_t i = l->fl[d].head; i < l->fl[d].tail; i++)
			free(l->fl[d].v[i].p);
		if (l->holding[d])
			free(l->held[d].p);
		l->holding[d] = false;
		free(l->fl[d].v);
		memset(&l->fl[d], 0, sizeof(l->fl[d]));
	}
}

static inline void h_fifo_push(struct hfifo *f, struct hflight x)
{
	if (f->tail == f->cap) {
		if (f->head > f->cap / 2) {
			memmove(f->v, f->v + f->head, (f->tail - f->head) * sizeof(*f->v));
			f->tail -= f->head;
			f->head = 0;
		} else {
			f->cap = f->cap ? f->cap * 2 : 256;
			f->v = realloc(f->v, f->cap * sizeof(*f->v));
		}
	}
	f->v[f->tail++] = x;
}

/* Moves what each node sent onto the wire. */
static inline void h_link_collect(struct hlink *l, nb_time_t now)
{
	for (int d = 0; d < 2; d++) {
		struct hnode *n = l->nd[d];
		struct hseg *g;
		while ((g = h_pop(n))) {
			uint64_t k = l->count[d]++;
			int v = l->drop ? l->drop(l->drop_arg, d, k, g) : H_PASS;
			if (v == H_DROP) {
				l->dropped[d]++;
				continue;
			}
			nb_time_t start = NB_MAX(now, l->busy_until[d]);
			nb_time_t ser = l->rate_bps ? (nb_time_t)((g->rawlen + 58) * 8 * 1000000000ull / l->rate_bps) : 0;
			l->busy_until[d] = start + ser;
			struct hflight f = {.at = start + ser + l->delay, .src = g->src, .p = g->raw,
					    .len = g->rawlen};
			if (v == H_HOLD && !l->holding[d]) {
				l->held[d] = f;
				l->holding[d] = true;
				l->reordered[d]++;
				g->raw = NULL;
				continue;
			}
			h_fifo_push(&l->fl[d], f);
			if (v == H_DUP) {
				f.p = malloc(f.len);
				memcpy(f.p, g->raw, f.len);
				h_fifo_push(&l->fl[d], f);
				l->duplicated[d]++;
			}
			if (l->holding[d]) {
				l->held[d].at = f.at;
				h_fifo_push(&l->fl[d], l->held[d]);
				l->holding[d] = false;
			}
			g->raw = NULL;      /* ownership moves to the flight */
		}
		h_q_clear(n);
	}
}

/* h_link_run: runs both nodes until `until` (absolute) or until done(arg)
 * says so; returns true if done() became true. */
static inline bool h_link_run(struct hlink *l, nb_time_t until, bool (*done)(void *), void *arg)
{
	for (;;) {
		nb_time_t now = l->nd[0]->s.now;
		h_link_collect(l, now);
		if (done && done(arg))
			return true;
		nb_time_t t = NB_TIME_NEVER;
		int best = -1;
		for (int d = 0; d < 2; d++) {
			struct hfifo *f = &l->fl[d];
			if (f->head < f->tail && f->v[f->head].at < t) {
				t = f->v[f->head].at;
				best = d;
			}
		}
		nb_time_t tt = NB_MIN(stack_next_deadline(&l->nd[0]->s), stack_next_deadline(&l->nd[1]->s));
		nb_time_t next = NB_MIN(t, tt);
		if (next == NB_TIME_NEVER || next > until) {
			l->nd[0]->s.now = l->nd[1]->s.now = until;
			return done ? done(arg) : false;
		}
		if (next < now)
			next = now;
		l->nd[0]->s.now = l->nd[1]->s.now = next;
		if (best >= 0 && t <= tt) {
			struct hflight f = l->fl[best].v[l->fl[best].head++];
			h_input_raw(l->nd[1 - best], f.src, f.p, f.len, 0);
			free(f.p);
		} else {
			for (int d = 0; d < 2; d++)
				stack_timers_run(&l->nd[d]->s, next);
		}
	}
}

#endif
