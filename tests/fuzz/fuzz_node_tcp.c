/* fuzz_node_tcp.c: libFuzzer harness for TCP and UDP input with live
 * sockets in every state.
 *
 * Stack A (eth0 10.0.0.1/24, static ARP for the peer 10.0.0.2) talks to a
 * scripted peer: this harness, which builds the peer's frames. In the dual
 * setups the peer is also a second stack B (10.0.0.2) behind a link whose
 * frames the input delivers, loses, duplicates, corrupts or reorders, and
 * the scripted peer is a third party spoofing B. Each input is a scenario:
 *
 *   +-------+-------+-------+-------+-----------------------------------
 *   | setup | conf1 | conf2 | conf3 | operation, operation, ...
 *   +-------+-------+-------+-------+-----------------------------------
 *
 *   setup  % 16: the state A's connection under test is brought to, with
 *          the socket API and scripted peer segments, then asserted:
 *          0 LISTEN, 1 SYN_SENT, 2 SYN_RECEIVED (passive), 3 SYN_RECEIVED
 *          (simultaneous open), 4 ESTABLISHED (data in flight both ways,
 *          unread and out-of-order data queued), 5 ESTABLISHED (passive),
 *          6 FIN_WAIT_1, 7 FIN_WAIT_2, 8 CLOSE_WAIT, 9 CLOSING, 10
 *          LAST_ACK, 11 TIME_WAIT; two stacks: 12 ESTABLISHED (A connects to
 *          B, data in flight both ways on the link), 13 the same then
 *          FIN_WAIT_1, 14 ESTABLISHED (B connects to A), 15 simultaneous
 *          open of A and B. A UDP socket bound to port 53 is always there
 *          (on both stacks).
 *   conf1  bits 0-1 tcp.rcvbuf {1024, 3000, 65535, 1 MiB}
 *          bits 2-3 tcp.sndbuf {1024, 4096, 65536, 1 MiB}
 *          bits 4-6 the peer's SYN offers WS / SACK-permitted / timestamps
 *          bit 7    tcp.nagle off
 *   conf2  bits 0-1 the peer's MSS option {none, 64, 536, 1460}
 *          bit 2    FIN states are reached by close (orphan), not shutdown
 *          bit 3    tcp.delack 0
 *          bit 4    we offer no WS, SACK nor timestamps
 *          bit 5    eth0 MTU 576 instead of 1500
 *          bits 6-7 the peer's window {65535, 8192, 700, 100}
 *   conf3  bits 0-3 the peer's window shift
 *          bit 4    a passive connection is left unaccepted; two stacks:
 *                   the link starts manual (op 21 moves each frame)
 *          bit 5    TIME_WAIT through CLOSING (else through FIN_WAIT_2)
 *          bits 6-7 the peer's ISN {1000, 2^32 - 256, 2^31 - 64, 0}
 *
 * Operations: one opcode byte (% 23), then its arguments (missing bytes
 * read as 0; see each op_* function): a crafted TCP segment (0-3; see
 * seg_from_input: seq/ack absolute or relative to the connection's rcv_nxt,
 * rcv_adv, snd_una, snd_max, iss; any flags; options structured or raw;
 * payload; checksum good or bad; the connection's ports, a new peer port or
 * any), the same as two IPv4 fragments (4), a raw frame (5), a UDP datagram
 * (6), an ICMP error quoting one of our segments or datagrams (7), time
 * passing (8, 9), and the socket calls send (10), recv (11), shutdown (12),
 * close (13), abort (14), accept (15), setsockopt (16), a watcher that
 * reads / writes / closes / accepts on readiness (17), connect (18), a
 * socket dump (19), bind / listen / getsockname / getpeername / error (20),
 * the link between two stacks (21, op_link), a spray of small out-of-order
 * segments (22).
 * Two bytes ff ff where an opcode is due end the scenario abruptly: the
 * stack is freed with everything live.
 *
 * Invariants (abort() on violation, so libFuzzer reports it):
 *   every frame sent: at most MTU + 14 bytes, our MAC and address, a valid
 *     IPv4 header, correct TCP / UDP / ICMP checksums, well-formed TCP
 *     options, no SYN+RST / SYN+FIN, no segment without ACK but a bare SYN
 *     or RST, never a RST while a RST is being processed, data only from
 *     [snd_una, end of the send buffer], at most MSS per segment, and the
 *     bytes sent are the bytes the application wrote;
 *   every pcb after each operation: snd_una <= snd_nxt <= snd_max, the
 *     send buffer matches the sequence space, ring lengths within their
 *     capacity, out-of-order ranges sorted, disjoint, above rcv_nxt and
 *     inside the ring, the offered window within the free buffer space,
 *     SACK scoreboard inside (snd_una, snd_max], listener queue counts,
 *     TIME_WAIT has its timer, a SYN, data or FIN waiting to be (re)sent
 *     has the retransmission or persist timer, an ACK owed has the
 *     delayed-ACK timer, socket <-> pcb ownership both ways;
 *   bytes read are the bytes the peer sent at those sequence numbers;
 *   UDP receive queue counters match the queue;
 *   no operation makes the stacks send more than 50000 frames (an ACK
 *     loop between two stacks, a storm) nor run timers 100000 times without
 *     the clock moving;
 *   at the end: with every socket closed and the peer silent (two stacks:
 *     a good link), all pcbs and timers are gone within three hours (no
 *     immortal orphans), and LeakSanitizer finds nothing.
 *
 *   make build/fuzz/fuzz_node_tcp
 *   build/fuzz/fuzz_node_tcp -max_total_time=60 tests/fuzz/seeds/fuzz_node_tcp
 *   FUZZ_TCP_TRACE=1 build/fuzz/fuzz_node_tcp CRASH      operations on stderr
 *   FUZZ_TCP_TOLERATE_ACK_STORM=1                         cut ACK loops between
 *       the two stacks instead of reporting them (a known bug, see
 *       test_spoofed_fin_ack_storm), to fuzz past it
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../unit/fake_stack.h"
#include "sock_dump.h"
#include "sock_var.h"
#include "strbuf.h"
#include "tcp_var.h"
#include "udp.h"

#define CHECK(cond, what)                                                              \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "fuzz_node_tcp: invariant violated: %s (%s:%d)\n", \
				what, __FILE__, __LINE__);                             \
			abort();                                                       \
		}                                                                      \
	} while (0)

#define MAX_OPS 256
#define MAX_FDS 16
#define MAX_FRAMES_PER_OP 50000
#define MAX_TIMER_RUNS 100000
#define UDP_PORT 53
#define ACTIVE_LPORT 4000
#define PASSIVE_LPORT 80
#define PASSIVE_PPORT 5555

#define MAX_LINK_FRAMES 4096
#define B_FD 0x10000                /* a handle of stack B's fd: fd | B_FD */

enum setup {
	SU_LISTEN, SU_SYN_SENT, SU_SYN_RCVD, SU_SYN_RCVD_SIMUL, SU_ESTAB, SU_ESTAB_PASSIVE,
	SU_FIN_WAIT_1, SU_FIN_WAIT_2, SU_CLOSE_WAIT, SU_CLOSING, SU_LAST_ACK, SU_TIME_WAIT,
	/* two stacks: the peer is a second nestbed stack behind a link */
	SU_DUAL_ACTIVE, SU_DUAL_FIN_WAIT, SU_DUAL_PASSIVE, SU_DUAL_SIMUL,
	SU_COUNT
};

/* A frame on the link between the two stacks. */
struct lframe {
	struct lframe *next;
	int to;                     /* 0: to stack A, 1: to stack B */
	size_t len;
	uint8_t data[];
};

/* The input, read front to back; reads past the end give zeros. */
struct cursor {
	const uint8_t *p;
	size_t n;
};

/* The harness: stack A (the node under test), in dual setups stack B (a
 * real peer), their sockets, and what the scripted peer knows. fds hold
 * handles: A's fd, or B's fd | B_FD. */
struct harness {
	struct fake_stack *fs;
	struct nb_stack *s;
	struct fake_stack *fb;      /* stack B, or NULL */
	struct nb_stack *sb;
	struct lframe *lq, *lq_tail;   /* frames on the link, in order */
	size_t lq_len;
	bool link_auto;             /* the link delivers everything at once */
	int fds[MAX_FDS];
	int nfds;
	int lfd, cfd, ufd;          /* listener, connection under test, UDP; -1 none */
	int blfd;                   /* B's listener (its fd) */
	uint16_t lport, pport;      /* the connection under test: our port, the peer's */
	uint32_t peer_iss;
	uint32_t peer_seq;          /* the peer's next sequence number without a pcb */
	uint32_t peer_tsval;
	uint16_t peer_wnd;
	uint8_t peer_ws;
	bool peer_ws_on, peer_sack, peer_ts;
	uint16_t peer_mss;
	bool tainted;               /* raw frames may have carried foreign payload */
	bool in_rst;                /* a RST from the peer is being processed */
	size_t frames_op;           /* frames sent during the current operation */
	size_t app_budget;          /* bytes the writing watcher may still send */
	bool trace;                 /* FUZZ_TCP_TRACE set: operations on stderr */
	bool tolerate_storm;        /* FUZZ_TCP_TOLERATE_ACK_STORM set */
	unsigned trace_frames;      /* link frames traced so far */
};

static struct harness H;

static uint8_t tcpbuf[70000];
static uint8_t framebuf[NB_ETH_FRAME_MAX + 64];
static uint8_t iobuf[70000];

/* in8 / in16 / in32: the next input bytes (big-endian), 0 past the end. */
static uint8_t in8(struct cursor *c)
{
	if (!c->n)
		return 0;
	c->n--;
	return *c->p++;
}

static uint16_t in16(struct cursor *c)
{
	uint16_t hi = in8(c);
	return (uint16_t)(hi << 8 | in8(c));
}

static uint32_t in32(struct cursor *c)
{
	uint32_t hi = in16(c);
	return hi << 16 | in16(c);
}

/* fill_pattern: the bytes every sender in this harness writes: the byte at
 * sequence number (or offset) x is (uint8_t)x, so any reader can check it. */
static void fill_pattern(uint8_t *p, uint32_t first, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(first + i);
}

/* pattern_ok: true if p[0..n) is the pattern from `first` (else the first
 * difference goes to stderr). */
static bool pattern_ok(const uint8_t *p, uint32_t first, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != (uint8_t)(first + i)) {
			fprintf(stderr, "fuzz_node_tcp: byte %zu of %zu (seq %u) is %02x, expected %02x\n",
				i, n, first + (uint32_t)i, p[i], (uint8_t)(first + i));
			return false;
		}
	}
	return true;
}

/* ST / FD: the stack and the fd of a handle (A's fd, or B's fd | B_FD). */
static struct nb_stack *ST(int h) { return h >= 0 && (h & B_FD) && H.sb ? H.sb : H.s; }
static int FD(int h) { return h < 0 ? h : h & ~B_FD; }
/* handle: the handle of fd on stack s. */
static int handle(const struct nb_stack *s, int fd) { return fd >= 0 && s == H.sb ? fd | B_FD : fd; }

/* conn: the pcb of the connection under test, or NULL if it is gone. */
static struct tcp_pcb *conn(void)
{
	return tcp_lookup(H.s, FAKE_IP0, H.lport, FAKE_PEER0, H.pport, false);
}

/* ---- frames the stack sends -------------------------------------------- */

/* check_tcp_out: the invariants of one TCP segment stack s sent from src
 * (p holds exactly the segment, whose checksum was already verified). */
static void check_tcp_out(struct nb_stack *s, uint32_t src, uint32_t dst, const uint8_t *p, size_t len)
{
	CHECK(len >= TCP_HLEN_MIN, "TCP segment shorter than its header");
	size_t off = (size_t)(p[12] >> 4) * 4;
	CHECK(off >= TCP_HLEN_MIN && off <= len, "TCP data offset out of range");
	uint8_t flags = p[13];
	struct tcp_opts o;
	CHECK(tcp_opts_parse(p + TCP_HLEN_MIN, off - TCP_HLEN_MIN, flags & TCP_SYN, &o) == 0,
	      "malformed TCP options sent");
	uint16_t sport = nb_get16(p), dport = nb_get16(p + 2);
	CHECK(sport && dport, "TCP port 0 sent");
	CHECK((flags & (TCP_SYN | TCP_RST)) != (TCP_SYN | TCP_RST), "SYN+RST sent");
	CHECK((flags & (TCP_SYN | TCP_FIN)) != (TCP_SYN | TCP_FIN), "SYN+FIN sent");
	if (!(flags & TCP_ACK))
		CHECK((flags & ~TCP_PSH) == TCP_SYN || flags == TCP_RST,
		      "segment without ACK that is not a bare SYN or RST");
	if (flags & TCP_RST)
		CHECK(!H.in_rst, "RST sent in answer to a RST");
	uint32_t seq = nb_get32(p + 4);
	uint32_t dlen = (uint32_t)(len - off);
	if (!dlen)
		return;
	CHECK(!(flags & (TCP_SYN | TCP_RST)), "data on a SYN or RST we sent");
	CHECK(pattern_ok(p + off, seq, dlen), "data sent differs from what the application wrote");
	struct tcp_pcb *pcb = tcp_lookup(s, src, sport, dst, dport, false);
	if (!pcb)
		return;
	CHECK(SEQ_GEQ(seq, pcb->snd_una), "data sent below snd_una");
	CHECK(SEQ_LEQ(seq + dlen, pcb->snd_seq0 + (uint32_t)pcb->sndbuf.len),
	      "data sent beyond the send buffer");
	CHECK(dlen + (off - TCP_HLEN_MIN) <= pcb->mss, "segment larger than the MSS");
}

/* link_put: a frame sent by one stack goes on the link to the other (a
 * full link drops it). */
static void link_put(int to, const uint8_t *f, size_t len)
{
	if (H.lq_len >= MAX_LINK_FRAMES)
		return;
	struct lframe *l = malloc(sizeof(*l) + len);
	CHECK(l, "out of memory");
	l->next = NULL;
	l->to = to;
	l->len = len;
	memcpy(l->data, f, len);
	if (H.lq_tail)
		H.lq_tail->next = l;
	else
		H.lq = l;
	H.lq_tail = l;
	H.lq_len++;
}

/* link_take: the oldest frame on the link (the caller frees it), or NULL. */
static struct lframe *link_take(void)
{
	struct lframe *l = H.lq;
	if (!l)
		return NULL;
	H.lq = l->next;
	if (!H.lq)
		H.lq_tail = NULL;
	H.lq_len--;
	return l;
}

/* frame_is_rst: true if f is an unfragmented IPv4 TCP segment with RST. */
static bool frame_is_rst(const uint8_t *f, size_t len)
{
	if (len < NB_ETH_HLEN + IP_HLEN_MIN || nb_get16(f + 12) != ETH_TYPE_IP)
		return false;
	const uint8_t *ip = f + NB_ETH_HLEN;
	size_t hl = (size_t)(ip[0] & 15) * 4;
	return ip[9] == IP_PROTO_TCP && !(nb_get16(ip + 6) & (IP_FLAG_MF | IP_OFFMASK)) &&
	       len >= NB_ETH_HLEN + hl + TCP_HLEN_MIN && (ip[hl + 13] & TCP_RST);
}

/* link_deliver: hands frame l to its stack (a RST in it may not be
 * answered with a RST) and frees it. */
static void link_deliver(struct lframe *l)
{
	if (H.trace && l->len >= NB_ETH_HLEN + IP_HLEN_MIN + TCP_HLEN_MIN &&
	    l->data[NB_ETH_HLEN + 9] == IP_PROTO_TCP && H.trace_frames++ < 200) {
		const uint8_t *t = l->data + NB_ETH_HLEN + (l->data[NB_ETH_HLEN] & 15) * 4;
		size_t tl = nb_get16(l->data + NB_ETH_HLEN + 2) - (size_t)(l->data[NB_ETH_HLEN] & 15) * 4;
		fprintf(stderr, "  to %c: %u->%u seq=%u ack=%u flags=%02x wnd=%u len=%zu\n", l->to ? 'B' : 'A',
			nb_get16(t), nb_get16(t + 2), nb_get32(t + 4), nb_get32(t + 8), t[13], nb_get16(t + 14),
			tl - (size_t)(t[12] >> 4) * 4);
	}
	H.in_rst = frame_is_rst(l->data, l->len);
	fake_input(l->to ? H.fb : H.fs, 0, l->data, l->len);
	H.in_rst = false;
	free(l);
}

/* link_free: drops every frame on the link. */
static void link_free(void)
{
	struct lframe *l;
	while ((l = link_take()))
		free(l);
}

/* link_pump: with the link in automatic mode, delivers until it is empty.
 * With FUZZ_TCP_TOLERATE_ACK_STORM set, a pump that runs past 2000 frames
 * loses the rest, so fuzzing goes on past that known bug (an endless ACK
 * exchange; see test_spoofed_fin_ack_storm). */
static void link_pump(void)
{
	struct lframe *l;
	size_t n = 0;
	while (H.link_auto && (l = link_take())) {
		link_deliver(l);
		if (H.tolerate_storm && ++n >= 2000) {
			link_free();
			break;
		}
	}
}


/* check_tx: io->tx of both stacks: every frame sent is checked; in dual
 * setups it goes on the link to the other stack. */
static void check_tx(void *ctx, int ifidx, const uint8_t *f, size_t len)
{
	struct fake_stack *fs = ctx;
	struct nb_stack *s = &fs->s;
	CHECK(++H.frames_op <= MAX_FRAMES_PER_OP || (H.tolerate_storm && H.fb),
	      "frame storm: too many frames for one operation");
	CHECK(ifidx >= 0 && ifidx < s->nifs, "frame sent on no interface");
	CHECK(len >= NB_ETH_HLEN, "frame shorter than an Ethernet header");
	CHECK(len - NB_ETH_HLEN <= s->ifs[ifidx].mtu, "frame larger than MTU + 14");
	CHECK(memcmp(f + 6, s->ifs[ifidx].mac, 6) == 0, "frame from a foreign MAC");
	if (H.fb)
		link_put(fs == H.fb ? 0 : 1, f, len);
	uint16_t type = nb_get16(f + 12);
	if (type == ETH_TYPE_ARP) {
		CHECK(len >= NB_ETH_HLEN + ARP_LEN, "short ARP frame");
		return;
	}
	CHECK(type == ETH_TYPE_IP, "frame neither IPv4 nor ARP");
	const uint8_t *ip = f + NB_ETH_HLEN;
	size_t iplen = len - NB_ETH_HLEN;
	CHECK(ip_hdr_ok(ip, iplen), "invalid IPv4 header sent");
	size_t hl = (size_t)(ip[0] & 15) * 4, tot = nb_get16(ip + 2);
	CHECK(tot == iplen, "IPv4 total length differs from the frame");
	uint32_t src = nb_get32(ip + 12), dst = nb_get32(ip + 16);
	CHECK(stack_is_local(s, src), "IPv4 source is not ours");
	uint16_t frag = nb_get16(ip + 6);
	if (frag & (IP_FLAG_MF | IP_OFFMASK)) {
		CHECK(ip[9] != IP_PROTO_TCP, "TCP segment fragmented (DF ignored)");
		if (frag & IP_FLAG_MF)
			CHECK((tot - hl) % 8 == 0, "non-final fragment not a multiple of 8");
		return;
	}
	const uint8_t *l4 = ip + hl;
	size_t l4len = tot - hl;
	switch (ip[9]) {
	case IP_PROTO_TCP: {
		uint32_t sum = cksum_pseudo(src, dst, IP_PROTO_TCP, (uint16_t)l4len);
		CHECK(l4len >= TCP_HLEN_MIN && cksum_fold(cksum_partial(l4, l4len, sum)) == 0,
		      "bad TCP checksum sent");
		check_tcp_out(s, src, dst, l4, l4len);
		break;
	}
	case IP_PROTO_UDP: {
		CHECK(l4len >= UDP_HLEN && nb_get16(l4 + 4) == l4len, "bad UDP length sent");
		uint32_t sum = cksum_pseudo(src, dst, IP_PROTO_UDP, (uint16_t)l4len);
		CHECK(nb_get16(l4 + 6) != 0 && cksum_fold(cksum_partial(l4, l4len, sum)) == 0,
		      "bad UDP checksum sent");
		break;
	}
	case IP_PROTO_ICMP:
		CHECK(l4len >= ICMP_HLEN && cksum(l4, l4len) == 0, "bad ICMP checksum sent");
		break;
	default:
		CHECK(false, "IPv4 protocol we never send");
	}
}

/* ---- invariants of the stack's state ------------------------------------ */

/* check_ring: a byte ring within its storage. */
static void check_ring(const struct tcp_ring *r, size_t cap_param)
{
	if (!r->buf) {
		CHECK(r->len == 0, "data in an unallocated ring");
		return;
	}
	CHECK(r->cap == cap_param, "ring capacity differs from the buffer size");
	CHECK(r->len <= r->cap && (r->cap == 0 || r->head < r->cap), "ring overrun");
}

/* check_ooo: out-of-order ranges sorted, disjoint, not touching, above
 * rcv_nxt, and their bytes inside the receive ring. */
static void check_ooo(const struct tcp_pcb *p)
{
	size_t bytes = 0;
	int n = 0;
	for (const struct tcp_ooo *o = p->ooo; o; o = o->next, n++) {
		CHECK(o->len > 0, "empty out-of-order range");
		CHECK(SEQ_GT(o->seq, p->rcv_nxt), "out-of-order range at or below rcv_nxt");
		CHECK(p->rcvbuf.buf, "out-of-order range without a receive ring");
		uint64_t end = (uint64_t)p->rcvbuf.len + (uint32_t)(o->seq + o->len - p->rcv_nxt);
		CHECK(end <= p->rcvbuf.cap, "out-of-order bytes beyond the receive ring");
		if (o->next)
			CHECK(SEQ_LT(o->seq + o->len, o->next->seq), "out-of-order ranges overlap or touch");
		bytes += o->len;
	}
	CHECK(n <= TCP_OOO_MAX_RANGES, "too many out-of-order ranges");
	CHECK(bytes == p->ooo_bytes, "ooo_bytes differs from the ranges");
}

/* check_listener: queue lengths match the queues, children point back. */
static void check_listener(const struct tcp_pcb *l)
{
	int n = 0;
	for (const struct tcp_pcb *c = l->syn_q; c; c = c->q_next, n++) {
		CHECK(c->listener == l && !c->on_accept_q && !c->dead, "bad SYN queue entry");
		CHECK(c->state == TCP_SYN_RECEIVED, "SYN queue entry not in SYN_RECEIVED");
	}
	CHECK(n == l->syn_len, "syn_len differs from the SYN queue");
	n = 0;
	for (const struct tcp_pcb *c = l->accept_q; c; c = c->q_next, n++)
		CHECK(c->listener == l && c->on_accept_q && !c->dead, "bad accept queue entry");
	CHECK(n == l->accept_len, "accept_len differs from the accept queue");
	/* listen() again may lower the backlog under what is queued (as on
	 * Linux); no queue ever grows past the largest backlog allowed. */
	int max = (int)l->stack->params.tcp_backlog_max;
	CHECK(l->syn_len <= max && l->accept_len <= max, "listener queue over tcp.backlog_max");
}

/* socket_alive: true if `so` is an open socket of stack s. */
static bool socket_alive(const struct nb_stack *s, const struct nb_sock *so)
{
	const struct nb_socks *ss = s->socks;
	for (int fd = 0; fd < ss->cap; fd++)
		if (ss->tab[fd] == so)
			return true;
	return false;
}

/* check_pcb: the invariants of one TCP connection block. */
static void check_pcb(const struct tcp_pcb *p)
{
	CHECK(!p->dead, "freed pcb still on the pcb list");
	CHECK(p->state <= TCP_TIME_WAIT, "pcb state out of range");
	check_ring(&p->sndbuf, p->sndbuf_cap);
	check_ring(&p->rcvbuf, p->rcvbuf_cap);
	CHECK(p->rcvbuf.len <= p->rcvbuf_cap && p->sndbuf.len <= p->sndbuf_cap, "buffer over its size");
	check_ooo(p);
	if (p->state == TCP_LISTEN)
		check_listener(p);
	if (p->owner && sock_of_tcp(p)) {
		const struct nb_sock *so = sock_of_tcp(p);
		CHECK(socket_alive(p->stack, so), "pcb owned by a closed socket");
		CHECK(so->tcp == p, "pcb's socket holds another pcb");
	}
	if (p->state == TCP_TIME_WAIT)
		CHECK(timer_armed(&p->t_timewait), "TIME_WAIT without its timer");
	if (p->state == TCP_CLOSED || p->state == TCP_LISTEN)
		return;
	/* SYN_SENT and later: the send sequence space. */
	CHECK(SEQ_LEQ(p->snd_una, p->snd_nxt), "snd_una > snd_nxt");
	CHECK(SEQ_LEQ(p->snd_nxt, p->snd_max), "snd_nxt > snd_max");
	uint32_t end = p->snd_seq0 + (uint32_t)p->sndbuf.len;
	CHECK(SEQ_LEQ(p->snd_max, end + 1), "sent beyond the send buffer and FIN");
	CHECK(p->snd_una == p->snd_seq0 || (p->snd_una == p->iss && p->snd_seq0 == p->iss + 1) ||
	      (p->snd_una == p->snd_seq0 + 1 && p->sndbuf.len == 0 && p->fin_sent),
	      "send buffer out of step with snd_una");
	CHECK(p->nscore >= 0 && p->nscore <= TCP_SCORE_MAX, "SACK scoreboard size");
	for (int i = 0; i < p->nscore; i++) {
		CHECK(SEQ_LT(p->score[i].start, p->score[i].end), "empty SACK scoreboard block");
		CHECK(SEQ_GEQ(p->score[i].start, p->snd_una) && SEQ_LEQ(p->score[i].end, p->snd_max),
		      "SACK scoreboard block outside [snd_una, snd_max]");
		if (i)
			CHECK(SEQ_LT(p->score[i - 1].end, p->score[i].start), "SACK scoreboard unsorted");
	}
	CHECK(p->cwnd > 0, "cwnd is 0");
	uint32_t ms = tcp_maxseg(p);
	CHECK(ms > 0 && ms <= 65535, "MSS underflow");
	/* Liveness: whatever waits to be (re)sent has a timer that will bring
	 * the pcb back: the SYN, data in flight or a FIN (retransmission), data
	 * or a FIN still unsent (retransmission or persist). */
	bool sending = p->state != TCP_TIME_WAIT;
	bool unsent = SEQ_LT(p->snd_nxt, end) || (p->fin_queued && !p->fin_sent &&
						  p->state != TCP_SYN_SENT && p->state != TCP_SYN_RECEIVED);
	if (sending && (p->snd_max != p->snd_una || unsent))
		CHECK(timer_armed(&p->t_rexmt), "data, SYN or FIN waiting with no retransmission or persist timer");
	/* An ACK owed for data received is sent or its delay timer runs. */
	if (p->state >= TCP_ESTABLISHED && p->state != TCP_TIME_WAIT && p->last_ack_sent != p->rcv_nxt)
		CHECK(timer_armed(&p->t_delack), "ACK owed with no delayed-ACK timer");
	if (p->state == TCP_SYN_SENT)
		return;
	/* Synchronized: the window we offered fits what the buffer can hold. */
	if (SEQ_GT(p->rcv_adv, p->rcv_nxt))
		CHECK(p->rcv_adv - p->rcv_nxt <= tcp_rcv_space(p), "window offered beyond the free buffer");
}

/* check_udp: the receive queue of one UDP pcb matches its counters. */
static void check_udp(const struct udp_pcb *u)
{
	size_t bytes = 0, count = 0;
	const struct udp_dgram *last = NULL;
	for (const struct udp_dgram *d = u->rq_head; d; d = d->next) {
		bytes += d->len;
		count++;
		last = d;
	}
	CHECK(last == u->rq_tail, "UDP queue tail");
	CHECK(bytes == u->rq_bytes && count == u->rq_count, "UDP queue counters");
	/* setsockopt may shrink rcvbuf under what is queued (as on Linux), but
	 * the harness never sets more than 4 MiB */
	CHECK(u->rq_bytes <= (1u << 22), "UDP queue over any buffer it had");
}

/* check_stack: every invariant of every pcb and socket of s. */
static void check_stack(struct nb_stack *s)
{
	size_t n = 0;
	for (const struct tcp_pcb *p = s->tcp->pcbs; p; p = p->next, n++)
		check_pcb(p);
	CHECK(n == s->tcp->npcbs, "npcbs differs from the pcb list");
	for (const struct udp_pcb *u = s->udp->pcbs; u; u = u->next)
		check_udp(u);
	const struct nb_socks *ss = s->socks;
	for (int fd = 0; fd < ss->cap; fd++) {
		const struct nb_sock *so = ss->tab[fd];
		if (!so)
			continue;
		CHECK(so->fd == fd, "socket in the wrong slot");
		CHECK(!so->tcp != !so->udp, "socket with not exactly one protocol block");
		if (so->tcp) {
			bool found = false;
			for (const struct tcp_pcb *p = s->tcp->pcbs; p && !found; p = p->next)
				found = p == so->tcp;
			CHECK(found, "socket holds a freed pcb");
			CHECK(so->tcp->owner == so, "socket's pcb owned by someone else");
		}
	}
}

/* ---- time ---------------------------------------------------------------- */

/* set_now: both stacks' clocks to t. */
static void set_now(nb_time_t t)
{
	H.fs->now = H.s->now = t;
	if (H.fb)
		H.fb->now = H.sb->now = t;
}

/* advance: moves the clock d forward, running every timer of both stacks
 * at its deadline (and the link, if automatic, after each step). Timers
 * that keep running without the clock moving are a bug (an endless re-arm
 * at one instant). */
static void advance(nb_time_t d)
{
	nb_time_t end = H.fs->now + d;
	for (int runs = 0;; runs++) {
		CHECK(runs < MAX_TIMER_RUNS, "timer storm: too many timer runs at one instant");
		link_pump();
		nb_time_t da = stack_next_deadline(H.s);
		nb_time_t db = H.sb ? stack_next_deadline(H.sb) : NB_TIME_NEVER;
		nb_time_t next = NB_MIN(da, db);
		if (next > end)
			break;
		if (next > H.fs->now) {
			set_now(next);
			runs = 0;
		}
		if (da <= H.fs->now)
			stack_timers_run(H.s, H.fs->now);
		if (db <= H.fs->now)
			stack_timers_run(H.sb, H.fs->now);
	}
	set_now(end);
}

/* ---- descriptors ------------------------------------------------------- */

/* fd_add: remembers an open fd (closes it if the table is full). */
static void fd_add(int fd)
{
	if (fd < 0)
		return;
	if (H.nfds == MAX_FDS) {
		nb_close(ST(fd), FD(fd));
		return;
	}
	H.fds[H.nfds++] = fd;
}

/* fd_forget: the fd was closed. */
static void fd_forget(int fd)
{
	for (int i = 0; i < H.nfds; i++) {
		if (H.fds[i] == fd) {
			H.fds[i] = H.fds[--H.nfds];
			break;
		}
	}
	if (H.lfd == fd)
		H.lfd = -1;
	if (H.cfd == fd)
		H.cfd = -1;
	if (H.ufd == fd)
		H.ufd = -1;
}

/* fd_pick: one of the open fds chosen by b, or -1. */
static int fd_pick(uint8_t b)
{
	if (b >= 0xf0)
		return (int)(b & 0x0f);   /* sometimes any number at all */
	return H.nfds ? H.fds[b % H.nfds] : -1;
}

/* ---- the peer's segments ------------------------------------------------ */

/* A segment of the scripted peer. */
struct seg {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	uint8_t opt[64];
	size_t optlen;
	int doff;                   /* data offset override in words, 0 = computed */
	size_t len;                 /* payload bytes: the sequence pattern */
	bool bad_cksum;
	uint16_t urp;               /* urgent pointer */
	size_t ipopt;               /* bytes of IPv4 options (record route, NOPs) */
	size_t pad;                 /* bytes after the IPv4 packet in the frame */
};

/* build_tcp: the bytes of g (from the peer to us) into tcpbuf, checksum
 * over the pseudo-header; returns the length. */
static size_t build_tcp(const struct seg *g)
{
	uint8_t *b = tcpbuf;
	size_t ol = NB_MIN(g->optlen, (size_t)40);
	size_t hl = TCP_HLEN_MIN + (ol + 3) / 4 * 4;
	memset(b, 0, hl);
	nb_put16(b, g->sport);
	nb_put16(b + 2, g->dport);
	nb_put32(b + 4, g->seq);
	nb_put32(b + 8, g->ack);
	b[12] = (uint8_t)((g->doff ? (size_t)g->doff : hl / 4) << 4);
	b[13] = g->flags;
	nb_put16(b + 14, g->wnd);
	nb_put16(b + 18, g->urp);
	memcpy(b + TCP_HLEN_MIN, g->opt, ol);
	size_t len = hl + g->len;
	/* The payload is the pattern where the receiver will look for it: from
	 * the data offset written in the header, even a false one. */
	size_t doff = (size_t)(b[12] >> 4) * 4;
	if (doff < TCP_HLEN_MIN || doff > len)
		doff = hl;
	fill_pattern(b + doff, g->seq + ((g->flags & TCP_SYN) ? 1 : 0), len - doff);
	uint32_t sum = cksum_pseudo(FAKE_PEER0, FAKE_IP0, IP_PROTO_TCP, (uint16_t)len);
	uint16_t c = cksum_fold(cksum_partial(b, len, sum));
	nb_put16(b + 16, g->bad_cksum ? (uint16_t)(c ^ 0x5a5a) : c);
	return len;
}

/* deliver_ip: an IPv4 frame from the peer carrying payload p[0..len). */
static void deliver_ip(uint8_t proto, const uint8_t *p, size_t len, unsigned rx_flags, bool rst)
{
	size_t n = fake_peer_ip(framebuf, 0, FAKE_PEER0, FAKE_IP0, proto, 64, p, len);
	H.in_rst = rst;
	fake_input_flags(H.fs, 0, framebuf, n, rx_flags);
	H.in_rst = false;
}

/* deliver_frame: an IPv4 frame from the peer carrying the TCP segment
 * p[0..len), with ipopt bytes of IPv4 options (a record route option, or
 * NOPs when short) and pad bytes of Ethernet padding after the packet (as
 * a NIC pads short frames), which nobody may take for data. */
static void deliver_frame(const uint8_t *p, size_t len, unsigned rx_flags, bool rst, size_t ipopt,
			  size_t pad)
{
	uint8_t *f = framebuf;
	eth_build(f, FAKE_MAC0, FAKE_PEER_MAC0, ETH_TYPE_IP);
	uint8_t *ip = f + NB_ETH_HLEN;
	size_t hl = IP_HLEN_MIN + ipopt;
	fake_ip_hdr(ip, FAKE_PEER0, FAKE_IP0, IP_PROTO_TCP, 64, 1, 0, ipopt + len);
	ip[0] = (uint8_t)(0x40 | hl / 4);
	memset(ip + IP_HLEN_MIN, 1, ipopt);             /* NOPs */
	if (ipopt >= 8) {
		ip[IP_HLEN_MIN] = 7;                    /* record route, one slot free */
		ip[IP_HLEN_MIN + 1] = (uint8_t)(ipopt - 1);
		ip[IP_HLEN_MIN + 2] = 4;
		memset(ip + IP_HLEN_MIN + 3, 0, ipopt - 3);
	}
	nb_put16(ip + 10, 0);
	nb_put16(ip + 10, cksum(ip, hl));
	memcpy(ip + hl, p, len);
	memset(ip + hl + len, 0xa5, pad);
	H.in_rst = rst;
	fake_input_flags(H.fs, 0, framebuf, NB_ETH_HLEN + hl + len + pad, rx_flags);
	H.in_rst = false;
}

/* send_seg: the peer's segment g arrives (whole, checksum as g says). */
static void send_seg(const struct seg *g, unsigned rx_flags)
{
	size_t len = build_tcp(g);
	if (g->ipopt || g->pad)
		deliver_frame(tcpbuf, len, rx_flags, g->flags & TCP_RST, g->ipopt, g->pad);
	else
		deliver_ip(IP_PROTO_TCP, tcpbuf, len, rx_flags, g->flags & TCP_RST);
	H.peer_tsval++;
}

/* peer_syn_opts: the options of the peer's SYN as the configuration says. */
static void peer_syn_opts(struct seg *g, uint32_t tsecr)
{
	uint8_t *o = g->opt;
	size_t n = 0;
	if (H.peer_mss) {
		o[n++] = TCPOPT_MSS; o[n++] = 4;
		nb_put16(o + n, H.peer_mss); n += 2;
	}
	if (H.peer_ws_on) {
		o[n++] = TCPOPT_NOP; o[n++] = TCPOPT_WS; o[n++] = 3; o[n++] = H.peer_ws;
	}
	if (H.peer_sack) {
		o[n++] = TCPOPT_NOP; o[n++] = TCPOPT_NOP; o[n++] = TCPOPT_SACK_PERM; o[n++] = 2;
	}
	if (H.peer_ts) {
		o[n++] = TCPOPT_NOP; o[n++] = TCPOPT_NOP; o[n++] = TCPOPT_TS; o[n++] = 10;
		nb_put32(o + n, H.peer_tsval); nb_put32(o + n + 4, tsecr); n += 8;
	}
	g->optlen = n;
}

/* peer_ts_opt: a timestamp option (when the peer uses them) echoing pcb's clock. */
static void peer_ts_opt(struct seg *g, const struct tcp_pcb *pcb)
{
	if (!H.peer_ts)
		return;
	uint8_t *o = g->opt + g->optlen;
	o[0] = TCPOPT_NOP; o[1] = TCPOPT_NOP; o[2] = TCPOPT_TS; o[3] = 10;
	nb_put32(o + 4, H.peer_tsval);
	nb_put32(o + 8, pcb ? tcp_ts_now(pcb) : 0);
	g->optlen += 12;
}

/* peer_send: a plain segment of the peer on the connection under test:
 * seq/ack as given, the configured window, timestamps if in use, len
 * bytes of payload. */
static void peer_send(uint8_t flags, uint32_t seq, uint32_t ack, size_t len)
{
	struct tcp_pcb *pcb = conn();
	struct seg g = {.sport = H.pport, .dport = H.lport, .seq = seq, .ack = ack, .flags = flags,
			.wnd = H.peer_wnd, .len = len};
	if (!(flags & TCP_SYN))
		peer_ts_opt(&g, pcb);
	else
		peer_syn_opts(&g, pcb ? tcp_ts_now(pcb) : 0);
	send_seg(&g, 0);
}

/* ---- setups ------------------------------------------------------------ */

/* expect_state: the setup reached st (else the harness or the stack is
 * broken: abort). */
static struct tcp_pcb *expect_state(enum tcp_state st, const char *what)
{
	struct tcp_pcb *pcb = conn();
	CHECK(pcb && pcb->state == st, what);
	return pcb;
}

/* pattern_send: writes n bytes of the sequence pattern on fd (TCP: from
 * the end of the send buffer; UDP: a datagram to the peer's port). */
static ssize_t pattern_send(int h, size_t n, int flags, uint16_t uport)
{
	struct nb_stack *s = ST(h);
	int fd = FD(h);
	struct nb_sock *so = sock_get(s, fd);
	if (n > sizeof(iobuf))
		n = sizeof(iobuf);
	if (so && so->tcp) {
		fill_pattern(iobuf, so->tcp->snd_seq0 + (uint32_t)so->tcp->sndbuf.len, n);
		return nb_send(s, fd, iobuf, n, flags);
	}
	if (so && so->udp) {
		fill_pattern(iobuf, so->udp->lport, n);
		return nb_sendto(s, fd, iobuf, n, (flags & 1) ? FAKE_IP0 : FAKE_PEER0, uport);
	}
	return nb_send(s, fd, iobuf, n, flags);
}

/* pattern_recv: reads up to n bytes from fd and checks they are what the
 * sender wrote at those sequence numbers (or, UDP, datagram offsets). */
static ssize_t pattern_recv(int h, size_t n)
{
	struct nb_stack *s = ST(h);
	int fd = FD(h);
	struct nb_sock *so = sock_get(s, fd);
	if (n > sizeof(iobuf))
		n = sizeof(iobuf);
	if (so && so->tcp) {
		const struct tcp_pcb *p = so->tcp;
		uint32_t first = p->rcv_nxt - (p->fin_received ? 1u : 0u) - (uint32_t)p->rcvbuf.len;
		ssize_t r = nb_recv(s, fd, iobuf, n, 0);
		CHECK(r <= (ssize_t)n, "recv returned more than asked");
		if (r > 0 && !H.tainted)
			CHECK(pattern_ok(iobuf, first, (size_t)r), "bytes read differ from the bytes sent");
		return r;
	}
	if (so && so->udp) {
		uint32_t a;
		uint16_t port;
		ssize_t r = nb_recvfrom(s, fd, iobuf, n, &a, &port);
		CHECK(r <= (ssize_t)n, "recvfrom returned more than asked");
		if (r > 0 && !H.tainted)
			CHECK(pattern_ok(iobuf, port, (size_t)r), "datagram read differs from the one sent");
		return r;
	}
	return nb_recv(s, fd, iobuf, n, 0);
}

/* active_open: a socket bound to our port 4000 connects to the peer's 80:
 * SYN_SENT. */
static void active_open(void)
{
	int fd = nb_socket(H.s, NB_SOCK_STREAM, "fuzz");
	CHECK(fd >= 0, "socket");
	fd_add(fd);
	H.cfd = fd;
	H.lport = ACTIVE_LPORT;
	H.pport = PASSIVE_LPORT;
	CHECK(nb_bind(H.s, fd, 0, ACTIVE_LPORT) == 0, "bind");
	CHECK(nb_connect(H.s, fd, FAKE_PEER0, PASSIVE_LPORT) == -EINPROGRESS, "connect");
	expect_state(TCP_SYN_SENT, "setup: SYN_SENT not reached");
	H.peer_seq = H.peer_iss;
}

/* establish: active open answered by the peer's SYN-ACK: ESTABLISHED. */
static struct tcp_pcb *establish(void)
{
	active_open();
	struct tcp_pcb *pcb = conn();
	peer_send(TCP_SYN | TCP_ACK, H.peer_iss, pcb->iss + 1, 0);
	H.peer_seq = H.peer_iss + 1;
	return expect_state(TCP_ESTABLISHED, "setup: ESTABLISHED (active) not reached");
}

/* listen_on: a listener on our port 80 (the peer will come from 5555). */
static void listen_on(void)
{
	int fd = nb_socket(H.s, NB_SOCK_STREAM, "fuzzsrv");
	CHECK(fd >= 0, "socket");
	fd_add(fd);
	H.lfd = fd;
	H.lport = PASSIVE_LPORT;
	H.pport = PASSIVE_PPORT;
	CHECK(nb_bind(H.s, fd, 0, PASSIVE_LPORT) == 0 && nb_listen(H.s, fd, 4) == 0, "listen");
	H.peer_seq = H.peer_iss;
}

/* close_write: our side closes for writing: close (orphan) or shutdown. */
static void close_write(bool orphan)
{
	if (orphan) {
		int fd = H.cfd;
		nb_close(H.s, fd);
		fd_forget(fd);
	} else {
		CHECK(nb_shutdown(H.s, H.cfd, SHUT_WR) == 0, "shutdown");
	}
}

/* dual_listen_b: stack B listens on port 80. */
static void dual_listen_b(void)
{
	int fd = nb_socket(H.sb, NB_SOCK_STREAM, "peersrv");
	CHECK(fd >= 0 && nb_bind(H.sb, fd, 0, PASSIVE_LPORT) == 0 && nb_listen(H.sb, fd, 4) == 0,
	      "listen on B");
	fd_add(fd | B_FD);
	H.blfd = fd;
}

/* dual_accept_b: B accepts the connection waiting on its listener. */
static void dual_accept_b(void)
{
	int fd = nb_accept(H.sb, H.blfd, NULL, NULL);
	CHECK(fd >= 0, "accept on B");
	fd_add(fd | B_FD);
}

/* dual_connect_b: stack B connects from its port lport to dst:port. */
static void dual_connect_b(uint16_t lport, uint32_t dst, uint16_t port)
{
	int fd = nb_socket(H.sb, NB_SOCK_STREAM, "peer");
	CHECK(fd >= 0 && nb_bind(H.sb, fd, 0, lport) == 0, "bind on B");
	fd_add(fd | B_FD);
	CHECK(nb_connect(H.sb, fd, dst, port) == -EINPROGRESS, "connect on B");
}

/* setup: brings the connection under test to the state `which` says. */
static void setup(enum setup which, uint8_t c2, uint8_t c3)
{
	bool orphan = c2 & 0x04;
	struct tcp_pcb *pcb;
	switch (which) {
	case SU_LISTEN:
		listen_on();
		CHECK(tcp_lookup(H.s, FAKE_IP0, PASSIVE_LPORT, FAKE_PEER0, PASSIVE_PPORT, true)->state ==
		      TCP_LISTEN, "setup: LISTEN not reached");
		break;
	case SU_SYN_SENT:
		active_open();
		break;
	case SU_SYN_RCVD:
	case SU_ESTAB_PASSIVE:
		listen_on();
		peer_send(TCP_SYN, H.peer_iss, 0, 0);
		H.peer_seq = H.peer_iss + 1;
		pcb = expect_state(TCP_SYN_RECEIVED, "setup: SYN_RECEIVED (passive) not reached");
		if (which == SU_SYN_RCVD)
			break;
		peer_send(TCP_ACK, H.peer_iss + 1, pcb->iss + 1, 0);
		expect_state(TCP_ESTABLISHED, "setup: ESTABLISHED (passive) not reached");
		if (!(c3 & 0x10)) {
			int fd = nb_accept(H.s, H.lfd, NULL, NULL);
			CHECK(fd >= 0, "accept");
			fd_add(fd);
			H.cfd = fd;
		}
		break;
	case SU_SYN_RCVD_SIMUL:
		active_open();
		peer_send(TCP_SYN, H.peer_iss, 0, 0);
		H.peer_seq = H.peer_iss + 1;
		expect_state(TCP_SYN_RECEIVED, "setup: SYN_RECEIVED (simultaneous) not reached");
		break;
	case SU_ESTAB:
		pcb = establish();
		pattern_send(H.cfd, 3000, NB_MSG_PUSH, 0);
		peer_send(TCP_ACK, pcb->rcv_nxt, pcb->snd_una, 20);
		peer_send(TCP_ACK, pcb->rcv_nxt + 50, pcb->snd_una, 100);
		pcb = expect_state(TCP_ESTABLISHED, "setup: ESTABLISHED lost");
		CHECK(pcb->snd_max != pcb->snd_una, "setup: no data in flight");
		CHECK(pcb->ooo && pcb->rcvbuf.len == 20, "setup: no unread and out-of-order data");
		break;
	case SU_FIN_WAIT_1:
		establish();
		pattern_send(H.cfd, 500, 0, 0);
		close_write(orphan);
		expect_state(TCP_FIN_WAIT_1, "setup: FIN_WAIT_1 not reached");
		break;
	case SU_FIN_WAIT_2:
	case SU_CLOSING:
	case SU_TIME_WAIT:
		pcb = establish();
		close_write(orphan);
		pcb = expect_state(TCP_FIN_WAIT_1, "setup: FIN_WAIT_1 not reached");
		CHECK(pcb->fin_sent, "setup: FIN not sent");
		if (which == SU_CLOSING || (which == SU_TIME_WAIT && (c3 & 0x20))) {
			peer_send(TCP_FIN | TCP_ACK, pcb->rcv_nxt, pcb->snd_una, 0);
			pcb = expect_state(TCP_CLOSING, "setup: CLOSING not reached");
			if (which == SU_CLOSING)
				break;
			peer_send(TCP_ACK, pcb->rcv_nxt, pcb->snd_max, 0);
		} else {
			peer_send(TCP_ACK, pcb->rcv_nxt, pcb->snd_max, 0);
			pcb = expect_state(TCP_FIN_WAIT_2, "setup: FIN_WAIT_2 not reached");
			if (which == SU_FIN_WAIT_2)
				break;
			peer_send(TCP_FIN | TCP_ACK, pcb->rcv_nxt, pcb->snd_max, 0);
		}
		expect_state(TCP_TIME_WAIT, "setup: TIME_WAIT not reached");
		break;
	case SU_CLOSE_WAIT:
	case SU_LAST_ACK:
		pcb = establish();
		peer_send(TCP_FIN | TCP_ACK, pcb->rcv_nxt, pcb->snd_una, 0);
		expect_state(TCP_CLOSE_WAIT, "setup: CLOSE_WAIT not reached");
		if (which == SU_CLOSE_WAIT) {
			pattern_send(H.cfd, 300, 0, 0);
			break;
		}
		close_write(orphan);
		expect_state(TCP_LAST_ACK, "setup: LAST_ACK not reached");
		break;
	case SU_DUAL_ACTIVE:
	case SU_DUAL_FIN_WAIT:
		dual_listen_b();
		active_open();
		link_pump();
		pcb = expect_state(TCP_ESTABLISHED, "setup: ESTABLISHED (two stacks) not reached");
		dual_accept_b();
		H.link_auto = false;              /* data in flight both ways, on the link */
		pattern_send(H.cfd, 3000, NB_MSG_PUSH, 0);
		pattern_send(H.fds[H.nfds - 1], 2000, NB_MSG_PUSH, 0);
		if (which == SU_DUAL_FIN_WAIT) {
			close_write(orphan);
			expect_state(TCP_FIN_WAIT_1, "setup: FIN_WAIT_1 (two stacks) not reached");
		}
		break;
	case SU_DUAL_PASSIVE:
		listen_on();
		dual_connect_b(PASSIVE_PPORT, FAKE_IP0, PASSIVE_LPORT);
		link_pump();
		expect_state(TCP_ESTABLISHED, "setup: ESTABLISHED (passive, two stacks) not reached");
		H.cfd = nb_accept(H.s, H.lfd, NULL, NULL);
		CHECK(H.cfd >= 0, "accept");
		fd_add(H.cfd);
		break;
	case SU_DUAL_SIMUL:
		H.link_auto = false;              /* the two SYNs cross on the link */
		dual_connect_b(PASSIVE_LPORT, FAKE_IP0, ACTIVE_LPORT);
		active_open();
		H.link_auto = true;
		link_pump();
		expect_state(TCP_ESTABLISHED, "setup: simultaneous open (two stacks) not established");
		break;
	case SU_COUNT:
		break;
	}
	if (H.fb)
		H.link_auto = !(c3 & 0x10);
	pcb = conn();
	if (pcb)
		H.peer_seq = pcb->rcv_nxt;
}

/* ---- operations -------------------------------------------------------- */

/* seg_from_input: a crafted segment, from the input:
 *
 *   flags  mode  ext  dseq(16)  dack(16)  [seq(32)] [ack(32)] [ports]
 *   window(16)  optsel  [option fields]  [doff]  payload length
 *
 *   mode bits 0-1 seq: rcv_nxt + dseq, rcv_nxt + 64 dseq, absolute, rcv_adv + dseq
 *        bits 2-3 ack: snd_una + dack, snd_max + dack, absolute, iss + dack
 *        bit 4 bad checksum, bit 5 NB_RX_CSUM_PARTIAL (*rx_flags)
 *        bits 6-7 ports: the connection's (0, 1), a new peer port that
 *        becomes the connection under test (2), any (3)
 *   ext  bit 0 the window is the one the connection last took (duplicate
 *        ACKs need it), bits 1-2 payload length: 16 bits % 3000, 8 bits,
 *        one full segment (MSS less options), none; bits 3-4 the segment
 *        arrives 1 + that many times (*copies); bit 5 an urgent pointer;
 *        bit 6 IPv4 options; bit 7 Ethernet padding after the packet
 *   optsel bit 0 timestamps (bit 6: TSval absolute, else the peer's clock
 *        + int8), bit 1 SACK blocks (inside the flight unless the count
 *        byte has bit 7), bit 2 MSS, bit 3 WS, bit 4 SACK-permitted,
 *        bit 5 raw option bytes, bit 7 a data offset from the input */
static void seg_from_input(struct cursor *c, struct seg *g, unsigned *rx_flags, int *copies)
{
	struct tcp_pcb *pcb = conn();
	memset(g, 0, sizeof(*g));
	g->flags = in8(c);
	uint8_t mode = in8(c), ext = in8(c);
	*copies = 1 + ((ext >> 3) & 3);
	int16_t ds = (int16_t)in16(c), da = (int16_t)in16(c);
	uint32_t rcv_nxt = pcb ? pcb->rcv_nxt : H.peer_seq;
	uint32_t snd_una = pcb ? pcb->snd_una : 0;
	switch (mode & 3) {
	case 0: g->seq = rcv_nxt + (uint32_t)(int32_t)ds; break;
	case 1: g->seq = rcv_nxt + (uint32_t)((int32_t)ds * 64); break;
	case 2: g->seq = in32(c); break;
	default: g->seq = (pcb ? pcb->rcv_adv : rcv_nxt) + (uint32_t)(int32_t)ds; break;
	}
	switch ((mode >> 2) & 3) {
	case 0: g->ack = snd_una + (uint32_t)(int32_t)da; break;
	case 1: g->ack = (pcb ? pcb->snd_max : 0) + (uint32_t)(int32_t)da; break;
	case 2: g->ack = in32(c); break;
	default: g->ack = (pcb ? pcb->iss : 0) + (uint32_t)(int32_t)da; break;
	}
	g->bad_cksum = mode & 0x10;
	*rx_flags = (mode & 0x20) ? NB_RX_CSUM_PARTIAL : 0;
	switch (mode >> 6) {
	case 0:
	case 1:
		g->sport = H.pport;
		g->dport = H.lport;
		break;
	case 2:
		/* a new peer port: becomes the connection under test */
		g->sport = H.pport = in16(c);
		g->dport = H.lport;
		break;
	default:
		g->sport = in16(c);
		g->dport = in16(c);
		break;
	}
	g->wnd = in16(c);
	if ((ext & 1) && pcb)
		g->wnd = (uint16_t)NB_MIN(pcb->snd_wnd >> pcb->snd_wscale, 65535u);
	uint8_t optsel = in8(c);
	uint8_t *o = g->opt;
	size_t n = 0;
	if (optsel & 0x01) {
		uint32_t tsval = (optsel & 0x40) ? in32(c) : H.peer_tsval + (uint32_t)(int8_t)in8(c);
		o[n++] = TCPOPT_NOP; o[n++] = TCPOPT_NOP; o[n++] = TCPOPT_TS; o[n++] = 10;
		nb_put32(o + n, tsval);
		nb_put32(o + n + 4, pcb ? tcp_ts_now(pcb) : 0);
		n += 8;
	}
	if (optsel & 0x02) {
		uint8_t b = in8(c);
		int blocks = 1 + b % 4;
		uint32_t flight = pcb ? pcb->snd_max - pcb->snd_una : 0;
		o[n++] = TCPOPT_NOP; o[n++] = TCPOPT_NOP; o[n++] = TCPOPT_SACK;
		o[n++] = (uint8_t)(2 + 8 * blocks);
		for (int i = 0; i < blocks; i++, n += 8) {
			uint32_t st = in16(c), ln = in16(c);
			if (!(b & 0x80) && flight > 1) {
				st %= flight;                 /* a block inside the flight */
				ln = 1 + ln % (flight - st);
			}
			nb_put32(o + n, snd_una + st);
			nb_put32(o + n + 4, snd_una + st + ln);
		}
	}
	if (optsel & 0x04) {
		o[n++] = TCPOPT_MSS; o[n++] = 4;
		nb_put16(o + n, in16(c)); n += 2;
	}
	if (optsel & 0x08) {
		o[n++] = TCPOPT_WS; o[n++] = 3; o[n++] = in8(c);
	}
	if (optsel & 0x10) {
		o[n++] = TCPOPT_SACK_PERM; o[n++] = 2;
	}
	if (optsel & 0x20) {
		size_t raw = in8(c) % 41;
		for (size_t i = 0; i < raw && n < sizeof(g->opt); i++)
			o[n++] = in8(c);
	}
	g->optlen = NB_MIN(n, (size_t)40);
	if (optsel & 0x80)
		g->doff = in8(c) & 15;
	if (ext & 0x20)
		g->urp = in16(c);
	if (ext & 0x40)
		g->ipopt = (size_t)(1 + in8(c) % 10) * 4;
	if (ext & 0x80)
		g->pad = 1 + in8(c) % 46;
	switch ((ext >> 1) & 3) {
	case 0: g->len = in16(c) % 3000; break;
	case 1: g->len = in8(c); break;
	case 2: {
		size_t hl = (g->optlen + 3) / 4 * 4;
		g->len = pcb && pcb->mss > hl ? pcb->mss - hl : 536;
		break;
	}
	default: g->len = 0; break;
	}
}

/* op_frag: a crafted segment sent as two IPv4 fragments (split at an
 * 8-byte boundary chosen by the input, maybe the second first). */
static void op_frag(struct cursor *c)
{
	uint8_t ctl = in8(c);
	uint16_t id = in16(c);
	struct seg g;
	unsigned rx_flags;
	int copies;
	seg_from_input(c, &g, &rx_flags, &copies);
	size_t len = build_tcp(&g);
	size_t cut = (size_t)(ctl & 0x7f) * 8;
	if (cut == 0 || cut >= len)
		cut = len > 8 ? (len / 2) & ~(size_t)7 : 0;
	if (cut == 0) {
		send_seg(&g, rx_flags);
		return;
	}
	size_t n1 = fake_ip_frame(framebuf, FAKE_MAC0, FAKE_PEER_MAC0, FAKE_PEER0, FAKE_IP0,
				  IP_PROTO_TCP, 64, id, IP_FLAG_MF, tcpbuf, cut);
	static uint8_t second[NB_ETH_FRAME_MAX];
	size_t n2 = fake_ip_frame(second, FAKE_MAC0, FAKE_PEER_MAC0, FAKE_PEER0, FAKE_IP0, IP_PROTO_TCP,
				  64, id, (uint16_t)(cut / 8), tcpbuf + cut, len - cut);
	H.in_rst = g.flags & TCP_RST;
	if (ctl & 0x80) {
		fake_input_flags(H.fs, 0, second, n2, rx_flags);
		fake_input_flags(H.fs, 0, framebuf, n1, rx_flags);
	} else {
		fake_input_flags(H.fs, 0, framebuf, n1, rx_flags);
		fake_input_flags(H.fs, 0, second, n2, rx_flags);
	}
	H.in_rst = false;
}

/* fix_l4: recomputes the TCP/UDP/ICMP checksum of an unfragmented IPv4
 * packet in place, if its lengths allow. */
static void fix_l4(uint8_t *ip, size_t len)
{
	if (len < IP_HLEN_MIN || ip[0] >> 4 != 4)
		return;
	size_t hl = (size_t)(ip[0] & 15) * 4, tot = nb_get16(ip + 2);
	if (hl < IP_HLEN_MIN || tot < hl || tot > len || (nb_get16(ip + 6) & (IP_FLAG_MF | IP_OFFMASK)))
		return;
	uint8_t *l4 = ip + hl;
	size_t l4len = tot - hl;
	uint32_t src = nb_get32(ip + 12), dst = nb_get32(ip + 16);
	if (ip[9] == IP_PROTO_TCP && l4len >= TCP_HLEN_MIN) {
		nb_put16(l4 + 16, 0);
		nb_put16(l4 + 16, cksum_fold(cksum_partial(l4, l4len,
				cksum_pseudo(src, dst, IP_PROTO_TCP, (uint16_t)l4len))));
	} else if (ip[9] == IP_PROTO_UDP && l4len >= UDP_HLEN) {
		nb_put16(l4 + 6, 0);
		nb_put16(l4 + 6, cksum_fold(cksum_partial(l4, l4len,
				cksum_pseudo(src, dst, IP_PROTO_UDP, (uint16_t)l4len))));
	} else if (ip[9] == IP_PROTO_ICMP && l4len >= ICMP_HLEN) {
		nb_put16(l4 + 2, 0);
		nb_put16(l4 + 2, cksum(l4, l4len));
	}
}

/* op_raw: a frame from the input: optionally behind our Ethernet header
 * (IPv4 or ARP), with the peer's and our addresses, the IPv4 and L4
 * checksums fixed as the control byte says. */
static void op_raw(struct cursor *c)
{
	uint8_t ctl = in8(c);
	size_t len = in16(c) % 2048, off = 0;
	if (ctl & 0x01) {
		eth_build(framebuf, FAKE_MAC0, FAKE_PEER_MAC0, (ctl & 0x02) ? ETH_TYPE_ARP : ETH_TYPE_IP);
		off = NB_ETH_HLEN;
	}
	for (size_t i = 0; i < len; i++)
		framebuf[off + i] = in8(c);
	uint8_t *ip = framebuf + off;
	if (off && !(ctl & 0x02) && len >= IP_HLEN_MIN) {
		if (ctl & 0x04) {
			nb_put32(ip + 12, FAKE_PEER0);
			nb_put32(ip + 16, FAKE_IP0);
		}
		if (ctl & 0x08)
			fix_l4(ip, len);
		if (ctl & 0x10) {
			size_t hl = (size_t)(ip[0] & 15) * 4;
			if (hl >= IP_HLEN_MIN && hl <= len) {
				nb_put16(ip + 10, 0);
				nb_put16(ip + 10, cksum(ip, hl));
			}
		}
	}
	if (off + len >= NB_ETH_HLEN && nb_get16(framebuf + 12) == ETH_TYPE_IP)
		H.tainted = true;   /* it may carry bytes the pattern checks do not know */
	fake_input_flags(H.fs, 0, framebuf, off + len, (ctl & 0x20) ? NB_RX_CSUM_PARTIAL : 0);
}

/* op_udp: a UDP datagram from the peer: to our bound port, an unbound one,
 * or any; checksum good, zero or bad; length field right or from the input. */
static void op_udp(struct cursor *c)
{
	uint8_t ctl = in8(c);
	uint16_t sport = in16(c), dport;
	switch (ctl & 3) {
	case 0:
	case 1: dport = UDP_PORT; break;
	case 2: dport = in16(c); break;
	default: dport = 9; break;
	}
	size_t plen = in16(c) % 2000;
	uint8_t *u = tcpbuf;
	nb_put16(u, sport);
	nb_put16(u + 2, dport);
	nb_put16(u + 4, (ctl & 0x10) ? in16(c) : (uint16_t)(UDP_HLEN + plen));
	nb_put16(u + 6, 0);
	fill_pattern(u + UDP_HLEN, sport, plen);
	size_t len = UDP_HLEN + plen;
	uint16_t sum = cksum_fold(cksum_partial(u, len, cksum_pseudo(FAKE_PEER0, FAKE_IP0, IP_PROTO_UDP,
								     (uint16_t)len)));
	switch ((ctl >> 2) & 3) {
	case 0:
	case 1: nb_put16(u + 6, sum ? sum : 0xffff); break;
	case 2: break;
	default: nb_put16(u + 6, (uint16_t)(sum ^ 0x1234)); break;
	}
	deliver_ip(IP_PROTO_UDP, u, len, (ctl & 0x20) ? NB_RX_CSUM_PARTIAL : 0, false);
}

/* op_icmp: an ICMP error from the peer quoting a segment of the connection
 * under test (sequence number near snd_una) or a datagram of our UDP port. */
static void op_icmp(struct cursor *c)
{
	static const uint8_t types[][2] = {
		{ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG}, {ICMP_UNREACH, ICMP_UNREACH_PORT},
		{ICMP_UNREACH, ICMP_UNREACH_HOST},     {ICMP_UNREACH, ICMP_UNREACH_PROTOCOL},
		{ICMP_UNREACH, ICMP_UNREACH_NET},      {ICMP_TIMXCEED, ICMP_TIMXCEED_INTRANS},
		{ICMP_SOURCEQUENCH, 0},                {ICMP_PARAMPROB, 0},
	};
	uint8_t ctl = in8(c);
	uint16_t mtu = in16(c);
	int16_t d = (int16_t)in16(c);
	struct tcp_pcb *pcb = conn();
	uint8_t q[IP_HLEN_MIN + 40];
	bool udp = ctl & 0x08;
	size_t l4 = (ctl & 0x10) ? in8(c) % 41 : 8;
	memset(q, 0, sizeof(q));
	fake_ip_hdr(q, FAKE_IP0, FAKE_PEER0, udp ? IP_PROTO_UDP : IP_PROTO_TCP, 64, 7, IP_FLAG_DF,
		    (ctl & 0x20) ? in16(c) : 1400);
	if (udp) {
		nb_put16(q + 20, UDP_PORT);
		nb_put16(q + 22, in16(c));
	} else {
		nb_put16(q + 20, H.lport);
		nb_put16(q + 22, H.pport);
		nb_put32(q + 24, (pcb ? pcb->snd_una : 0) + (uint32_t)(int32_t)d);
	}
	uint8_t msg[ICMP_HLEN + sizeof(q)];
	const uint8_t *tc = types[ctl % NB_ARRAY_LEN(types)];
	size_t n = fake_icmp(msg, tc[0], tc[1], mtu, q, IP_HLEN_MIN + l4);
	deliver_ip(IP_PROTO_ICMP, msg, n, 0, false);
}

/* op_advance: time passes: t^2 ms; 0 runs what is due now; 255 is past
 * 2 MSL; 254 is 25 days (past the PAWS idle limit of 24 days). */
static void op_advance(struct cursor *c)
{
	uint8_t t = in8(c);
	if (t == 254)
		advance(NB_SEC(25 * 24 * 3600));
	else if (t == 255)
		advance(2 * H.s->params.tcp_msl + NB_SEC(5));
	else
		advance(NB_MS((nb_time_t)t * t));
}

/* watch_cb: an application on readiness, as the watch mode in arg says:
 * 1 reads everything, 2 reads and writes, 3 closes on hangup or error,
 * 4 accepts. */
static void watch_cb(struct nb_stack *s, int fd, unsigned ev, void *arg)
{
	int mode = (int)(intptr_t)arg;
	int h = handle(s, fd);
	if ((mode == 1 || mode == 2) && (ev & NB_EV_READ))
		for (int i = 0; i < 64 && pattern_recv(h, 4096) > 0; i++)
			;
	if (mode == 2 && (ev & NB_EV_WRITE) && H.app_budget >= 2000) {
		H.app_budget -= 2000;   /* bounded: a loopback pair would run for ever */
		pattern_send(h, 2000, 0, 7);
	}
	if (mode == 3 && (ev & (NB_EV_HUP | NB_EV_ERROR))) {
		nb_close(s, fd);
		fd_forget(h);
	}
	if (mode == 4 && (ev & NB_EV_READ)) {
		int nfd;
		for (int i = 0; i < 8 && (nfd = nb_accept(s, fd, NULL, NULL)) >= 0; i++)
			fd_add(handle(s, nfd));
	}
}

/* op_connect: connect to the peer (port from the input) or to our own
 * listener port (loopback; UDP: our bound port), from a new TCP socket, a
 * new UDP socket or an fd we have (ctl bits 2-3), on stack B (bit 6, dual
 * setups); bit 4 connects to 0 (UDP: dissolve) or to an unreachable
 * neighbour; a TCP connection of A to the peer may become the connection
 * under test (bit 1). */
static void op_connect(struct cursor *c)
{
	uint8_t ctl = in8(c);
	uint16_t port = in16(c);
	int h;
	struct nb_stack *s = (ctl & 0x40) && H.sb ? H.sb : H.s;
	if ((ctl & 0x0c) == 0x08) {
		h = fd_pick(in8(c));
		s = ST(h);
	} else {
		int fd = nb_socket(s, (ctl & 0x0c) == 0x04 ? NB_SOCK_DGRAM : NB_SOCK_STREAM, "fuzzc");
		if (fd < 0)
			return;
		h = handle(s, fd);
		fd_add(h);
	}
	int fd = FD(h);
	uint32_t me = s->ifs[0].addr, other = s == H.sb ? FAKE_IP0 : FAKE_PEER0;
	uint32_t dst = (ctl & 1) ? me : other;
	struct nb_sock *so0 = sock_get(s, fd);
	if (ctl & 1)
		port = so0 && so0->udp ? UDP_PORT : PASSIVE_LPORT;
	if (ctl & 0x10)
		dst = (ctl & 0x20) ? 0 : FAKE_IP(10, 0, 0, 99);   /* dissolve / unresolvable */
	nb_connect(s, fd, dst, port);
	struct nb_sock *so = sock_get(s, fd);
	if ((ctl & 2) && s == H.s && so && so->tcp && dst == FAKE_PEER0) {
		H.cfd = fd;
		H.lport = so->tcp->lport;
		H.pport = port;
		H.peer_seq = H.peer_iss;
	}
}

/* op_sockcall: the remaining calls on one fd: bind (address ours, any, or
 * foreign; port from the input), listen, getsockname, getpeername,
 * pending error, poll. */
static void op_sockcall(struct cursor *c)
{
	int h = fd_pick(in8(c)), fd = FD(h);
	struct nb_stack *s = ST(h);
	uint8_t call = in8(c);
	uint16_t port = in16(c);
	uint32_t a;
	uint16_t pt;
	static const uint32_t addrs[] = {0, FAKE_IP0, FAKE_PEER0, FAKE_IP(10, 0, 0, 1)};
	switch (call % 6) {
	case 0: nb_bind(s, fd, addrs[(call >> 3) & 3], port); break;
	case 1: nb_listen(s, fd, (int)(int16_t)port); break;
	case 2: nb_getsockname(s, fd, &a, &pt); break;
	case 3: nb_getpeername(s, fd, &a, &pt); break;
	case 4: nb_sock_error(s, fd); break;
	default: nb_sock_poll(s, fd); break;
	}
}

/* op_link: two stacks: ctl bit 7 sets automatic delivery (on if bit 6);
 * else the next 1 + ctl % 32 frames on the link each get the fate one
 * input byte says: delivered, lost, duplicated, one byte corrupted (at an
 * offset from the input), or moved behind the others (reordered). */
static void op_link(struct cursor *c)
{
	uint8_t ctl = in8(c);
	if (ctl & 0x80) {
		H.link_auto = ctl & 0x40;
		link_pump();
		return;
	}
	for (int i = 0, n = 1 + ctl % 32; i < n; i++) {
		struct lframe *l = link_take();
		if (!l)
			break;
		uint8_t fate = in8(c) % 8;
		if (H.trace)
			fprintf(stderr, "  link: frame %zu bytes to %c: %s\n", l->len, l->to ? 'B' : 'A',
				fate == 4 ? "lost" : fate == 5 ? "duplicated" : fate == 6 ? "corrupted" :
				fate == 7 ? "reordered" : "delivered");
		switch (fate) {
		case 4:
			free(l);
			break;
		case 5:
			link_put(l->to, l->data, l->len);
			link_deliver(l);
			break;
		case 6: {
			size_t at = in16(c) % l->len;
			l->data[at] ^= (uint8_t)(in8(c) | 1);
			link_deliver(l);
			break;
		}
		case 7:
			link_put(l->to, l->data, l->len);
			free(l);
			break;
		default:
			link_deliver(l);
			break;
		}
	}
}

/* op_spray: many small out-of-order segments on the connection under test:
 * count (8 bits) segments of len bytes (1..8) every step bytes (1..16),
 * from rcv_nxt + off (16 bits), in increasing or decreasing order: fills
 * (or overflows) the list of out-of-order ranges. */
static void op_spray(struct cursor *c)
{
	uint8_t count = in8(c), shape = in8(c);
	uint16_t off = in16(c);
	uint32_t len = 1 + (shape & 7), step = 1 + ((shape >> 3) & 15);
	for (uint32_t i = 0; i < count; i++) {
		struct tcp_pcb *pcb = conn();
		if (!pcb)
			return;
		uint32_t k = (shape & 0x80) ? count - 1 - i : i;
		peer_send(TCP_ACK, pcb->rcv_nxt + off + k * step, pcb->snd_una, len);
	}
}

/* op_dump: every socket dump, into a buffer thrown away. */
static void op_dump(struct cursor *c)
{
	struct strbuf sb;
	uint8_t b = in8(c);
	struct nb_stack *s = (b & 0x80) && H.sb ? H.sb : H.s;
	strbuf_init(&sb);
	switch (b % 4) {
	case 0: sock_dump_text(s, &sb); break;
	case 1: sock_dump_ext(s, &sb); break;
	case 2: sock_dump_json(s, &sb); break;
	default: stats_dump_text(s, &sb); break;
	}
	strbuf_free(&sb);
}

/* run_op: one operation of the script. */
static void run_op(struct cursor *c)
{
	uint8_t op = in8(c) % 23;
	H.frames_op = 0;
	if (H.trace) {
		struct tcp_pcb *p = conn();
		fprintf(stderr, "op %d at %zu left; conn %s una=%u nxt=%u max=%u rcv_nxt=%u adv=%u recvq=%zu\n",
			op, c->n, p ? tcp_state_name(p->state) : "-", p ? p->snd_una : 0,
			p ? p->snd_nxt : 0, p ? p->snd_max : 0, p ? p->rcv_nxt : 0, p ? p->rcv_adv : 0,
			p ? p->rcvbuf.len : 0);
	}
	switch (op) {
	case 0:
	case 1:
	case 2:
	case 3: {
		struct seg g;
		unsigned rx_flags;
		int copies;
		seg_from_input(c, &g, &rx_flags, &copies);
		for (int i = 0; i < copies; i++)
			send_seg(&g, rx_flags);
		break;
	}
	case 4: op_frag(c); break;
	case 5: op_raw(c); break;
	case 6: op_udp(c); break;
	case 7: op_icmp(c); break;
	case 8:
	case 9: op_advance(c); break;
	case 10: {
		uint8_t b = in8(c);
		pattern_send(fd_pick(b), in16(c) % 10000, (b & 0x80) ? NB_MSG_PUSH : 0, in16(c));
		break;
	}
	case 11: {
		uint8_t b = in8(c);
		pattern_recv(fd_pick(b), in16(c) % 5000);
		break;
	}
	case 12: {
		uint8_t b = in8(c);
		int h = fd_pick(b);
		nb_shutdown(ST(h), FD(h), in8(c) % 4);
		break;
	}
	case 13:
	case 14: {
		int h = fd_pick(in8(c));
		if (op == 13)
			nb_close(ST(h), FD(h));
		else
			nb_abort(ST(h), FD(h));
		fd_forget(h);
		break;
	}
	case 15: {
		int h = fd_pick(in8(c));
		int nfd = nb_accept(ST(h), FD(h), NULL, NULL);
		fd_add(handle(ST(h), nfd));
		if (nfd >= 0 && H.cfd < 0 && ST(h) == H.s)
			H.cfd = nfd;
		break;
	}
	case 16: {
		int h = fd_pick(in8(c));
		uint8_t opt = in8(c);
		uint32_t v = in32(c);
		if (v <= (1u << 30))
			v %= 1u << 22;   /* valid sizes up to 4 MiB: 1 GiB rings would only test malloc */
		nb_setsockopt(ST(h), FD(h), (enum nb_sockopt)(opt % 4), v);
		break;
	}
	case 17: {
		int h = fd_pick(in8(c));
		uint8_t m = in8(c);
		static const unsigned masks[] = {NB_EV_READ | NB_EV_HUP | NB_EV_ERROR,
						 NB_EV_READ | NB_EV_WRITE, NB_EV_HUP | NB_EV_ERROR, NB_EV_READ};
		int mode = m % 5;
		nb_sock_watch(ST(h), FD(h), mode ? masks[mode - 1] : 0, mode ? watch_cb : NULL,
			      (void *)(intptr_t)mode);
		break;
	}
	case 18: op_connect(c); break;
	case 19: op_dump(c); break;
	case 20: op_sockcall(c); break;
	case 21: op_link(c); break;
	default: op_spray(c); break;
	}
	link_pump();
	nb_sock_poll(H.s, H.cfd);
	H.frames_op = 0;
	check_stack(H.s);
	if (H.sb)
		check_stack(H.sb);
}

/* configure: stack parameters and the peer's manners from conf1..3 (before
 * any socket exists). */
static void configure(uint8_t c1, uint8_t c2, uint8_t c3)
{
	static const uint32_t rcvbuf[] = {1024, 3000, 65535, 1u << 20};
	static const uint32_t sndbuf[] = {1024, 4096, 65536, 1u << 20};
	static const uint16_t mss[] = {0, 64, 536, 1460};
	static const uint16_t wnd[] = {65535, 8192, 700, 100};
	static const uint32_t iss[] = {1000, 0xffffff00u, 0x7fffffc0u, 0};
	struct nb_params *p = &H.s->params;
	p->tcp_rcvbuf = rcvbuf[c1 & 3];
	p->tcp_sndbuf = sndbuf[(c1 >> 2) & 3];
	H.peer_ws_on = c1 & 0x10;
	H.peer_sack = c1 & 0x20;
	H.peer_ts = c1 & 0x40;
	if (c1 & 0x80)
		p->tcp_nagle = 0;
	H.peer_mss = mss[c2 & 3];
	if (c2 & 0x04) {
		/* Keep-alive, fired by the 25-day advance: a live pair trades
		 * two probes and two answers per hour, so 16 connections make
		 * 38400 frames in 25 days, under MAX_FRAMES_PER_OP; a peer
		 * that never answers sees the probes run out and the RST. */
		p->tcp_keepalive = NB_SEC(3600);
		p->tcp_keepalive_intvl = NB_SEC(60);
		p->tcp_keepalive_probes = 2;
	}
	if (c2 & 0x08)
		p->tcp_delack = 0;
	if (c2 & 0x10)
		p->tcp_wscale = p->tcp_sack = p->tcp_timestamps = 0;
	if (c2 & 0x20)
		H.s->ifs[0].mtu = 576;
	H.peer_wnd = wnd[c2 >> 6];
	H.peer_ws = c3 & 15;
	H.peer_iss = iss[c3 >> 6];
	H.peer_tsval = 5000;
	p->udp_rcvbuf = 4096;
	if (H.sb) {
		H.sb->params = *p;
		H.sb->ifs[0].mtu = H.s->ifs[0].mtu;
	}
}

/* print_pcbs: every pcb of s left, on stderr (to explain a failed end check). */
static void print_pcbs(const struct nb_stack *s)
{
	for (const struct tcp_pcb *p = s->tcp->pcbs; p; p = p->next)
		fprintf(stderr,
			"  pcb %u->%u %s orphan=%d una=%u nxt=%u max=%u seq0=%u sndq=%zu recvq=%zu "
			"snd_wnd=%u fin_queued=%d fin_sent=%d persist=%d rexmt=%d delack=%d 2msl=%d "
			"backoff=%u probes=%u\n",
			p->lport, p->fport, tcp_state_name(p->state), p->orphan, p->snd_una, p->snd_nxt,
			p->snd_max, p->snd_seq0, p->sndbuf.len, p->rcvbuf.len, p->snd_wnd, p->fin_queued,
			p->fin_sent, p->persist, timer_armed(&p->t_rexmt), timer_armed(&p->t_delack),
			timer_armed(&p->t_timewait), p->backoff, p->probes_unanswered);
}

/* free_all: frees both stacks and the link. */
static void free_all(void)
{
	link_free();
	fake_stack_free(H.fs);
	fake_stack_free(H.fb);
	memset(&H, 0, sizeof(H));
}

/* finish: closes every socket, lets three silent hours pass, checks that
 * nothing survives, frees the stack. */
static void finish(void)
{
	while (H.nfds) {
		int h = H.fds[H.nfds - 1];
		nb_close(ST(h), FD(h));
		fd_forget(h);
	}
	H.link_auto = true;     /* two stacks: a good link from now on */
	H.frames_op = 0;
	for (int i = 0; i < 18; i++) {
		advance(NB_SEC(600));
		H.frames_op = 0;
	}
	for (int i = 0; i < 2; i++) {
		struct nb_stack *s = i ? H.sb : H.s;
		if (!s)
			continue;
		check_stack(s);
		if (s->tcp->pcbs)
			print_pcbs(s);
		CHECK(s->tcp->pcbs == NULL && s->tcp->npcbs == 0,
		      "a pcb outlived its socket by three silent hours");
		CHECK(s->udp->pcbs == NULL, "a UDP pcb outlived its socket");
		CHECK(stack_next_deadline(s) == NB_TIME_NEVER, "a timer still armed after three silent hours");
	}
	CHECK(H.lq == NULL, "frames still on the link after three hours");
	free_all();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor c = {data, size};
	memset(&H, 0, sizeof(H));
	H.lfd = H.cfd = H.ufd = -1;
	H.app_budget = 256 * 1024;
	H.trace = getenv("FUZZ_TCP_TRACE") != NULL;
	H.tolerate_storm = getenv("FUZZ_TCP_TOLERATE_ACK_STORM") != NULL;
	H.fs = fake_stack_new(1, FAKE_STATIC_ARP);
	CHECK(H.fs, "fake_stack_new");
	H.fs->io.tx = check_tx;
	H.s = &H.fs->s;
	uint8_t which = in8(&c) % SU_COUNT, c1 = in8(&c), c2 = in8(&c), c3 = in8(&c);
	if (which >= SU_DUAL_ACTIVE) {
		H.fb = fake_stack_new(1, FAKE_STATIC_ARP | FAKE_PEER_SIDE);
		CHECK(H.fb, "fake_stack_new");
		H.fb->io.tx = check_tx;
		H.sb = &H.fb->s;
		H.link_auto = true;
	}
	configure(c1, c2, c3);

	H.ufd = nb_socket(H.s, NB_SOCK_DGRAM, "fuzzudp");
	CHECK(H.ufd >= 0 && nb_bind(H.s, H.ufd, 0, UDP_PORT) == 0, "UDP bind");
	fd_add(H.ufd);
	if (H.sb) {
		int fd = nb_socket(H.sb, NB_SOCK_DGRAM, "peerudp");
		CHECK(fd >= 0 && nb_bind(H.sb, fd, 0, UDP_PORT) == 0, "UDP bind on B");
		fd_add(fd | B_FD);
	}
	setup((enum setup)which, c2, c3);
	check_stack(H.s);
	if (H.sb)
		check_stack(H.sb);

	for (int i = 0; i < MAX_OPS && c.n; i++) {
		if (c.n >= 2 && c.p[0] == 0xff && c.p[1] == 0xff) {
			/* the node exits with everything live: stack_free alone must
			 * release it all (LeakSanitizer checks) */
			free_all();
			return 0;
		}
		run_op(&c);
	}
	finish();
	return 0;
}
