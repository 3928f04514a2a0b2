/* fake_stack.h: header-only helpers for node unit tests: one stack with a
 * fake clock and a frame recorder as io->tx, builders for the frames a test
 * injects, and decoders for the frames the stack sends.
 *
 *   struct fake_stack *fs = fake_stack_new(2, FAKE_STATIC_ARP | FAKE_FORWARD);
 *   uint8_t f[256];
 *   size_t n = fake_ip_frame(f, FAKE_MAC0, FAKE_PEER_MAC0, FAKE_PEER0, FAKE_IP0,
 *                            IP_PROTO_UDP, 64, 1, 0, payload, plen);
 *   fake_input(fs, 0, f, n);                  frame arrives on eth0 at fs->now
 *   struct fake_frame *out = fake_pop(fs);    the oldest frame sent, or NULL
 *   fake_advance(fs, NB_SEC(1));              timers run at their deadlines
 *   fake_stack_free(fs);
 *
 * The lab (FAKE_PEER_SIDE builds the mirror image: the peers' addresses and
 * MACs, so two fake stacks can talk through fake_pump):
 *
 *   eth0  02:00:00:00:00:01  10.0.0.1/24   <->  peer 10.0.0.2  02:00:00:00:00:02
 *   eth1  02:00:00:00:01:01  10.0.1.1/24   <->  peer 10.0.1.2  02:00:00:00:01:02
 *
 * The clock starts at FAKE_T0 (not 0, so "0 = unset" bugs show). Addresses
 * are host order, as everywhere in the core.
 */
#ifndef NB_FAKE_STACK_H
#define NB_FAKE_STACK_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arp.h"
#include "cksum.h"
#include "eth.h"
#include "icmp.h"
#include "ip.h"
#include "route.h"
#include "stack.h"

#define FAKE_IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define FAKE_IP0 FAKE_IP(10, 0, 0, 1)
#define FAKE_PEER0 FAKE_IP(10, 0, 0, 2)
#define FAKE_IP1 FAKE_IP(10, 0, 1, 1)
#define FAKE_PEER1 FAKE_IP(10, 0, 1, 2)
#define FAKE_MAC0 ((const uint8_t[6]){0x02, 0, 0, 0, 0x00, 0x01})
#define FAKE_PEER_MAC0 ((const uint8_t[6]){0x02, 0, 0, 0, 0x00, 0x02})
#define FAKE_MAC1 ((const uint8_t[6]){0x02, 0, 0, 0, 0x01, 0x01})
#define FAKE_PEER_MAC1 ((const uint8_t[6]){0x02, 0, 0, 0, 0x01, 0x02})
#define FAKE_BCAST_MAC ((const uint8_t[6]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
#define FAKE_MTU 1500
#define FAKE_SEED 42
#define FAKE_T0 NB_SEC(1000)

/* Flags for fake_stack_new. */
#define FAKE_STATIC_ARP 0x1   /* the peers are in the ARP cache: no ARP traffic */
#define FAKE_FORWARD    0x2   /* ip.forward on */
#define FAKE_PEER_SIDE  0x4   /* be the peers (10.0.x.2), not us (10.0.x.1) */

/* One frame the stack sent. */
struct fake_frame {
	int ifidx;
	nb_time_t t;            /* fake clock when it was sent */
	size_t len;
	uint8_t *data;
};

struct fake_stack {
	struct nb_stack s;
	struct nb_stack_io io;
	nb_time_t now;
	struct fake_frame *frames;
	size_t n, cap;          /* frames recorded */
	size_t head;            /* frames before head were popped */
};

static inline void fake_tx(void *ctx, int ifidx, const uint8_t *frame, size_t len)
{
	struct fake_stack *fs = ctx;
	if (fs->n == fs->cap) {
		size_t cap = fs->cap ? fs->cap * 2 : 64;
		struct fake_frame *v = realloc(fs->frames, cap * sizeof(*v));
		if (!v)
			abort();
		fs->frames = v;
		fs->cap = cap;
	}
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		abort();
	memcpy(copy, frame, len);
	fs->frames[fs->n++] = (struct fake_frame){ifidx, fs->now, len, copy};
}

/* fake_stack_new: a stack with nifs (1 or 2) interfaces of the lab above,
 * clock at FAKE_T0. NULL on failure. */
static inline struct fake_stack *fake_stack_new(int nifs, unsigned flags)
{
	struct fake_stack *fs = calloc(1, sizeof(*fs));
	if (!fs)
		return NULL;
	fs->io.tx = fake_tx;
	fs->now = FAKE_T0;
	if (stack_init(&fs->s, &fs->io, fs, FAKE_SEED)) {
		free(fs);
		return NULL;
	}
	fs->s.now = fs->now;
	bool peer = flags & FAKE_PEER_SIDE;
	static const char *names[] = {"eth0", "eth1"};
	const uint8_t *mine[] = {FAKE_MAC0, FAKE_MAC1}, *theirs[] = {FAKE_PEER_MAC0, FAKE_PEER_MAC1};
	uint32_t me[] = {FAKE_IP0, FAKE_IP1}, them[] = {FAKE_PEER0, FAKE_PEER1};
	for (int i = 0; i < nifs && i < 2; i++) {
		if (stack_add_iface(&fs->s, names[i], peer ? theirs[i] : mine[i], peer ? them[i] : me[i],
				    24, FAKE_MTU) != i)
			abort();
		if ((flags & FAKE_STATIC_ARP) &&
		    arp_add_static(&fs->s, peer ? me[i] : them[i], peer ? mine[i] : theirs[i]))
			abort();
	}
	if (flags & FAKE_FORWARD)
		fs->s.params.ip_forward = 1;
	return fs;
}

static inline void fake_clear(struct fake_stack *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		free(fs->frames[i].data);
	fs->n = fs->head = 0;
}

static inline void fake_stack_free(struct fake_stack *fs)
{
	if (!fs)
		return;
	stack_free(&fs->s);
	fake_clear(fs);
	free(fs->frames);
	free(fs);
}

/* fake_input_flags / fake_input: one frame arrives on ifidx now. */
static inline void fake_input_flags(struct fake_stack *fs, int ifidx, const uint8_t *frame,
				    size_t len, unsigned flags)
{
	stack_input(&fs->s, ifidx, frame, len, flags, fs->now);
}
static inline void fake_input(struct fake_stack *fs, int ifidx, const uint8_t *frame, size_t len)
{
	fake_input_flags(fs, ifidx, frame, len, 0);
}

/* fake_advance: moves the clock forward by d, running every timer due on
 * the way at its own deadline (so timings are exact). */
static inline void fake_advance(struct fake_stack *fs, nb_time_t d)
{
	nb_time_t end = fs->now + d;
	for (;;) {
		nb_time_t next = stack_next_deadline(&fs->s);
		if (next > end)
			break;
		if (next > fs->now)
			fs->now = next;
		stack_timers_run(&fs->s, fs->now);
	}
	fs->now = end;
	fs->s.now = end;
}

/* fake_nframes: frames sent and not yet popped. */
static inline size_t fake_nframes(const struct fake_stack *fs) { return fs->n - fs->head; }
/* fake_peek: the i-th frame not yet popped, or NULL. */
static inline struct fake_frame *fake_peek(struct fake_stack *fs, size_t i)
{
	return fs->head + i < fs->n ? &fs->frames[fs->head + i] : NULL;
}
/* fake_pop: the oldest frame not yet popped (valid until fake_clear or
 * fake_stack_free), or NULL. */
static inline struct fake_frame *fake_pop(struct fake_stack *fs)
{
	return fs->head < fs->n ? &fs->frames[fs->head++] : NULL;
}

/* fake_pump: carries frames between two stacks wired interface to
 * interface (a's ifidx i <-> b's ifidx i), both at a's clock, until
 * neither sends more (bounded). Returns the frames carried. */
static inline size_t fake_pump(struct fake_stack *a, struct fake_stack *b)
{
	size_t moved = 0;
	for (int round = 0; round < 10000; round++) {
		struct fake_frame *f;
		size_t before = moved;
		b->now = a->now;
		while ((f = fake_pop(a)) && ++moved)
			fake_input(b, f->ifidx, f->data, f->len);
		while ((f = fake_pop(b)) && ++moved)
			fake_input(a, f->ifidx, f->data, f->len);
		if (moved == before)
			break;
	}
	return moved;
}

/* ---- builders: each writes into buf and returns the bytes written ---- */

static inline size_t fake_eth(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	eth_build(buf, dst, src, type);
	return NB_ETH_HLEN;
}

/* fake_arp_frame: an Ethernet frame to eth_dst carrying an ARP packet. */
static inline size_t fake_arp_frame(uint8_t *buf, const uint8_t eth_dst[6], uint16_t op,
				    const uint8_t sha[6], uint32_t spa, const uint8_t tha[6], uint32_t tpa)
{
	fake_eth(buf, eth_dst, sha, ETH_TYPE_ARP);
	arp_build(buf + NB_ETH_HLEN, op, sha, spa, tha, tpa);
	return NB_ETH_HLEN + ARP_LEN;
}

/* fake_ip_hdr: a 20-byte IPv4 header with a valid checksum. frag holds the
 * flags and offset field as on the wire (IP_FLAG_DF | IP_FLAG_MF | off/8). */
static inline size_t fake_ip_hdr(uint8_t *h, uint32_t src, uint32_t dst, uint8_t proto, uint8_t ttl,
				 uint16_t id, uint16_t frag, size_t plen)
{
	h[0] = 0x45;
	h[1] = 0;
	nb_put16(h + 2, (uint16_t)(IP_HLEN_MIN + plen));
	nb_put16(h + 4, id);
	nb_put16(h + 6, frag);
	h[8] = ttl;
	h[9] = proto;
	nb_put16(h + 10, 0);
	nb_put32(h + 12, src);
	nb_put32(h + 16, dst);
	nb_put16(h + 10, cksum(h, IP_HLEN_MIN));
	return IP_HLEN_MIN;
}

/* fake_ip_frame: Ethernet + IPv4 header + payload. */
static inline size_t fake_ip_frame(uint8_t *buf, const uint8_t eth_dst[6], const uint8_t eth_src[6],
				   uint32_t src, uint32_t dst, uint8_t proto, uint8_t ttl, uint16_t id,
				   uint16_t frag, const void *payload, size_t plen)
{
	fake_eth(buf, eth_dst, eth_src, ETH_TYPE_IP);
	fake_ip_hdr(buf + NB_ETH_HLEN, src, dst, proto, ttl, id, frag, plen);
	if (plen)
		memcpy(buf + NB_ETH_HLEN + IP_HLEN_MIN, payload, plen);
	return NB_ETH_HLEN + IP_HLEN_MIN + plen;
}

/* fake_icmp: an ICMP message (type, code, the 4-byte rest-of-header word,
 * data) with a valid checksum. */
static inline size_t fake_icmp(uint8_t *p, uint8_t type, uint8_t code, uint32_t rest,
			       const void *data, size_t len)
{
	p[0] = type;
	p[1] = code;
	nb_put16(p + 2, 0);
	nb_put32(p + 4, rest);
	if (len)
		memcpy(p + ICMP_HLEN, data, len);
	nb_put16(p + 2, cksum(p, ICMP_HLEN + len));
	return ICMP_HLEN + len;
}

/* fake_peer_ip: an IPv4 frame from the peer of ifidx (its MAC) to us (our
 * MAC of ifidx, lab addresses as in fake_stack_new without PEER_SIDE). */
static inline size_t fake_peer_ip(uint8_t *buf, int ifidx, uint32_t src, uint32_t dst, uint8_t proto,
				  uint8_t ttl, const void *payload, size_t plen)
{
	return fake_ip_frame(buf, ifidx ? FAKE_MAC1 : FAKE_MAC0, ifidx ? FAKE_PEER_MAC1 : FAKE_PEER_MAC0,
			     src, dst, proto, ttl, 1, 0, payload, plen);
}

/* ---- decoders for recorded frames ---- */

static inline uint16_t fake_ethertype(const struct fake_frame *f)
{
	return f && f->len >= NB_ETH_HLEN ? nb_get16(f->data + 12) : 0;
}

/* fake_ip: the IPv4 header of a frame (hlen in *hlen), NULL if not IPv4 or
 * not well formed. */
static inline const uint8_t *fake_ip(const struct fake_frame *f, size_t *hlen)
{
	if (fake_ethertype(f) != ETH_TYPE_IP || !ip_hdr_ok(f->data + NB_ETH_HLEN, f->len - NB_ETH_HLEN))
		return NULL;
	if (hlen)
		*hlen = (size_t)(f->data[NB_ETH_HLEN] & 15) * 4;
	return f->data + NB_ETH_HLEN;
}

/* fake_l4: the payload of an IPv4 frame of protocol proto (its length in
 * *len, by the IP total length), or NULL. */
static inline const uint8_t *fake_l4(const struct fake_frame *f, uint8_t proto, size_t *len)
{
	size_t hlen;
	const uint8_t *ip = fake_ip(f, &hlen);
	if (!ip || ip[9] != proto)
		return NULL;
	if (len)
		*len = nb_get16(ip + 2) - hlen;
	return ip + hlen;
}

/* fake_arp: the ARP packet of a frame, NULL if not ARP. */
static inline const uint8_t *fake_arp(const struct fake_frame *f)
{
	if (fake_ethertype(f) != ETH_TYPE_ARP || f->len < NB_ETH_HLEN + ARP_LEN)
		return NULL;
	return f->data + NB_ETH_HLEN;
}

#endif
