/* tcp_subr.c: the life of a pcb (create, hash, free), demultiplexing,
 * ports, initial sequence numbers (RFC 6528), event delivery to owners,
 * state names, and the dump helpers tcp_get_info / tcp_foreach.
 *
 * Re-entrancy: an owner's notify callback may call back into TCP (read,
 * send, close). So events are not delivered in the middle of processing: they
 * are collected on the pcb (tcp_event) and delivered when the outermost TCP
 * entry point returns (tcp_leave). Likewise a freed pcb is only unlinked at
 * once; its memory goes when the outermost call returns.
 */
#include "tcp_var.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[] = {
	[TCP_CLOSED] = "CLOSED",           [TCP_LISTEN] = "LISTEN",
	[TCP_SYN_SENT] = "SYN_SENT",       [TCP_SYN_RECEIVED] = "SYN_RECEIVED",
	[TCP_ESTABLISHED] = "ESTABLISHED", [TCP_FIN_WAIT_1] = "FIN_WAIT_1",
	[TCP_FIN_WAIT_2] = "FIN_WAIT_2",   [TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[TCP_CLOSING] = "CLOSING",         [TCP_LAST_ACK] = "LAST_ACK",
	[TCP_TIME_WAIT] = "TIME_WAIT",
};

/* tcp_state_name: the netstat spelling of a state. */
const char *tcp_state_name(enum tcp_state st)
{
	if ((unsigned)st >= NB_ARRAY_LEN(state_names))
		return "?";
	return state_names[st];
}

/* tcp_init: the stack's TCP state; the RFC 6528 secret comes from the stack's
 * seeded rng, so a run is reproducible. 0 or -ENOMEM. */
int tcp_init(struct nb_stack *s)
{
	struct nb_tcp *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->txbuf = malloc(sizeof(struct pbuf));
	if (!t->txbuf) {
		free(t);
		return -ENOMEM;
	}
	for (int i = 0; i < 4; i++)
		t->isn_secret[i] = (uint32_t)nb_rng_next(&s->rng);
	t->next_ephemeral = (uint16_t)(49152 + nb_rng_next(&s->rng) % 16384);
	s->tcp = t;
	return 0;
}

static void pcb_release(struct tcp_pcb *pcb)
{
	ring_free(&pcb->sndbuf);
	ring_free(&pcb->rcvbuf);
	for (struct tcp_ooo *o = pcb->ooo, *n; o; o = n) {
		n = o->next;
		free(o);
	}
	free(pcb);
}

/* tcp_free: releases every pcb without sending anything or telling owners. */
void tcp_free(struct nb_stack *s)
{
	struct nb_tcp *t = s->tcp;
	if (!t)
		return;
	for (struct tcp_pcb *p = t->pcbs, *n; p; p = n) {
		n = p->next;
		tcp_timers_cancel(p);
		pcb_release(p);
	}
	for (struct tcp_pcb *p = t->graveyard, *n; p; p = n) {
		n = p->next;
		pcb_release(p);
	}
	free(t->txbuf);
	free(t->port_refs);
	free(t->hash);
	free(t);
	s->tcp = NULL;
}

/* tcp_pcb_new: a CLOSED pcb with the stack's default parameters, on the
 * stack's list. NULL on allocation failure. */
struct tcp_pcb *tcp_pcb_new(struct nb_stack *s)
{
	struct tcp_pcb *pcb = calloc(1, sizeof(*pcb));
	if (!pcb)
		return NULL;
	pcb->stack = s;
	pcb->state = TCP_CLOSED;
	pcb->sndbuf_cap = (size_t)s->params.tcp_sndbuf;
	pcb->rcvbuf_cap = (size_t)s->params.tcp_rcvbuf;
	pcb->nodelay = !s->params.tcp_nagle;
	pcb->rto = s->params.tcp_rto_initial;
	pcb->mss = pcb->peer_mss = pcb->our_mss = TCP_DEFAULT_MSS;
	pcb->ssthresh = UINT32_MAX >> 1;
	tcp_timers_init(pcb);
	struct nb_tcp *t = s->tcp;
	pcb->next = t->pcbs;
	if (t->pcbs)
		t->pcbs->pprev = &pcb->next;
	pcb->pprev = &t->pcbs;
	t->pcbs = pcb;
	t->npcbs++;
	return pcb;
}

static void unlink_from(struct tcp_pcb **head, struct tcp_pcb *pcb, size_t link_off)
{
	for (struct tcp_pcb **pp = head; *pp;
	     pp = (struct tcp_pcb **)((char *)*pp + link_off)) {
		if (*pp == pcb) {
			*pp = *(struct tcp_pcb **)((char *)pcb + link_off);
			return;
		}
	}
}

/* Removes a child from its listener's SYN or accept queue. */
static void child_unqueue(struct tcp_pcb *c)
{
	struct tcp_pcb *l = c->listener;
	if (!l)
		return;
	if (c->on_accept_q) {
		unlink_from(&l->accept_q, c, offsetof(struct tcp_pcb, q_next));
		l->accept_len--;
	} else {
		unlink_from(&l->syn_q, c, offsetof(struct tcp_pcb, q_next));
		l->syn_len--;
	}
	c->listener = NULL;
	c->on_accept_q = false;
	c->q_next = NULL;
}

/* tcp_pcb_free: the pcb leaves every table at once (a listener resets its
 * unaccepted children); its memory is reaped by the outermost tcp_leave. */
void tcp_pcb_free(struct tcp_pcb *pcb)
{
	struct nb_tcp *t = pcb->stack->tcp;
	if (pcb->dead)
		return;
	pcb->dead = true;
	tcp_timers_cancel(pcb);
	tcp_hash_remove(pcb);
	if (pcb->state == TCP_LISTEN || pcb->syn_q || pcb->accept_q) {
		unlink_from(&t->listeners, pcb, offsetof(struct tcp_pcb, hnext));
		while (pcb->syn_q || pcb->accept_q) {
			struct tcp_pcb *c = pcb->syn_q ? pcb->syn_q : pcb->accept_q;
			child_unqueue(c);
			c->orphan = true;
			tcp_drop(c, 0);
		}
	}
	child_unqueue(pcb);
	*pcb->pprev = pcb->next;                  /* off the pcb list, in O(1) */
	if (pcb->next)
		pcb->next->pprev = pcb->pprev;
	t->npcbs--;
	if (pcb->lport && t->port_refs)
		t->port_refs[pcb->lport]--;
	pcb->next = t->graveyard;
	t->graveyard = pcb;
	if (t->depth == 0) {
		tcp_enter(pcb->stack);
		tcp_leave(pcb->stack);
	}
}

static uint64_t tuple_hash(uint32_t laddr, uint16_t lport, uint32_t faddr, uint16_t fport)
{
	uint64_t x = (uint64_t)laddr << 32 | faddr;
	return nb_hash64(x ^ ((uint64_t)lport << 16 | fport));
}

static struct tcp_pcb **bucket_of(struct nb_tcp *t, const struct tcp_pcb *p)
{
	return &t->hash[tuple_hash(p->laddr, p->lport, p->faddr, p->fport) & (t->hcap - 1)];
}

/* hash_reserve: room for one more connection: the table doubles once it
 * holds as many as it has buckets (chains stay short with thousands in
 * TIME_WAIT). False only if there is no table and no memory for one. */
static bool hash_reserve(struct nb_tcp *t)
{
	if (t->hcount < t->hcap)
		return true;
	size_t cap = t->hcap ? t->hcap * 2 : 256;
	struct tcp_pcb **h = calloc(cap, sizeof(*h));
	if (!h)
		return t->hcap != 0;      /* full but usable: chains just grow */
	struct tcp_pcb **old = t->hash;
	size_t oldcap = t->hcap;
	t->hash = h;
	t->hcap = cap;
	for (size_t i = 0; i < oldcap; i++)
		for (struct tcp_pcb *p = old[i], *n; p; p = n) {
			n = p->hnext;
			struct tcp_pcb **b = bucket_of(t, p);
			p->hnext = *b;
			*b = p;
		}
	free(old);
	return true;
}

/* tcp_hash_insert: makes a connection (4-tuple known) or a listener findable. */
void tcp_hash_insert(struct tcp_pcb *pcb)
{
	struct nb_tcp *t = pcb->stack->tcp;
	if (pcb->hashed)
		return;
	if (pcb->state == TCP_LISTEN) {
		pcb->hnext = t->listeners;
		t->listeners = pcb;
	} else {
		if (!hash_reserve(t))
			return;               /* no memory: the connection is not findable */
		struct tcp_pcb **b = bucket_of(t, pcb);
		pcb->hnext = *b;
		*b = pcb;
		t->hcount++;
	}
	pcb->hashed = true;
}

/* tcp_hash_remove: the pcb no longer receives segments. */
void tcp_hash_remove(struct tcp_pcb *pcb)
{
	struct nb_tcp *t = pcb->stack->tcp;
	if (!pcb->hashed)
		return;
	if (pcb->state == TCP_LISTEN) {
		unlink_from(&t->listeners, pcb, offsetof(struct tcp_pcb, hnext));
	} else {
		unlink_from(bucket_of(t, pcb), pcb, offsetof(struct tcp_pcb, hnext));
		t->hcount--;
	}
	pcb->hnext = NULL;
	pcb->hashed = false;
}

/* tcp_lookup: the connection for a 4-tuple, else (if listeners) the
 * listener on lport whose address is laddr, else a wildcard listener. */
struct tcp_pcb *tcp_lookup(struct nb_stack *s, uint32_t laddr, uint16_t lport,
			   uint32_t faddr, uint16_t fport, bool listeners)
{
	struct nb_tcp *t = s->tcp;
	if (t->hcap)
		for (struct tcp_pcb *p = t->hash[tuple_hash(laddr, lport, faddr, fport) & (t->hcap - 1)]; p;
		     p = p->hnext)
			if (p->lport == lport && p->fport == fport && p->laddr == laddr && p->faddr == faddr)
				return p;
	if (!listeners)
		return NULL;
	struct tcp_pcb *wild = NULL;
	for (struct tcp_pcb *p = t->listeners; p; p = p->hnext) {
		if (p->lport != lport)
			continue;
		if (p->laddr == laddr)
			return p;
		if (p->laddr == 0)
			wild = p;
	}
	return wild;
}

/* tcp_port_in_use: true if binding (laddr, lport) for self would clash with
 * another pcb. With reuseaddr, connections and TIME_WAIT holders of the port
 * do not count; a listener or a plain bound pcb always does. */
bool tcp_port_in_use(struct nb_stack *s, const struct tcp_pcb *self, uint32_t laddr,
		     uint16_t lport)
{
	struct nb_tcp *t = s->tcp;
	if (t->port_refs && !t->port_refs[lport])
		return false;                 /* nobody has it: no scan */
	for (const struct tcp_pcb *p = t->pcbs; p; p = p->next) {
		if (p == self || p->dead || p->lport != lport)
			continue;
		if (p->laddr && laddr && p->laddr != laddr)
			continue;
		if (self && self->reuseaddr && p->state != TCP_LISTEN && p->faddr)
			continue;
		return true;
	}
	return false;
}

/* tcp_set_lport: binds pcb to local port lport, counting it in port_refs
 * (made at first use; without memory for it, tcp_port_in_use scans). */
void tcp_set_lport(struct tcp_pcb *pcb, uint16_t lport)
{
	struct nb_tcp *t = pcb->stack->tcp;
	if (!t->port_refs && !t->port_refs_failed) {
		/* Before the table exists no pcb was counted: count them now. */
		t->port_refs = calloc(65536, sizeof(*t->port_refs));
		if (!t->port_refs)
			t->port_refs_failed = true;
		for (const struct tcp_pcb *p = t->pcbs; t->port_refs && p; p = p->next)
			if (p->lport && !p->dead)
				t->port_refs[p->lport]++;
	}
	if (t->port_refs && pcb->lport)
		t->port_refs[pcb->lport]--;
	pcb->lport = lport;
	if (t->port_refs && lport)
		t->port_refs[lport]++;
}

/* tcp_ephemeral_port: picks a free port in 49152..65535 (RFC 6335) for pcb
 * and binds it. 0 or -EADDRINUSE when all are taken. */
int tcp_ephemeral_port(struct nb_stack *s, struct tcp_pcb *pcb)
{
	struct nb_tcp *t = s->tcp;
	for (int i = 0; i < 16384; i++) {
		uint16_t p = (uint16_t)(49152 + (t->next_ephemeral - 49152 + i) % 16384);
		if (!tcp_port_in_use(s, NULL, pcb->laddr, p)) {
			tcp_set_lport(pcb, p);
			t->next_ephemeral = (uint16_t)(49152 + (p - 49152 + 1) % 16384);
			return 0;
		}
	}
	return -EADDRINUSE;
}

/* A SipHash-2-4-style keyed hash of two 64-bit words under a 128-bit key. */
#define ROTL64(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                              \
	do {                                                                  \
		v0 += v1; v1 = ROTL64(v1, 13); v1 ^= v0; v0 = ROTL64(v0, 32); \
		v2 += v3; v3 = ROTL64(v3, 16); v3 ^= v2;                      \
		v0 += v3; v3 = ROTL64(v3, 21); v3 ^= v0;                      \
		v2 += v1; v1 = ROTL64(v1, 17); v1 ^= v2; v2 = ROTL64(v2, 32); \
	} while (0)

static uint64_t keyed_hash(const uint32_t key[4], uint64_t m1, uint64_t m2)
{
	uint64_t k0 = (uint64_t)key[0] << 32 | key[1], k1 = (uint64_t)key[2] << 32 | key[3];
	uint64_t v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;
	uint64_t m[3] = {m1, m2, (uint64_t)16 << 56};
	for (int i = 0; i < 3; i++) {
		v3 ^= m[i];
		SIPROUND;
		SIPROUND;
		v0 ^= m[i];
	}
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* tcp_new_isn: RFC 6528 3: ISN = M + F(localip, localport, remoteip,
 * remoteport, secretkey), M a 4 microsecond timer taken from `now`, F a keyed
 * hash under the stack's secret. */
uint32_t tcp_new_isn(struct nb_stack *s, uint32_t laddr, uint16_t lport, uint32_t faddr,
		     uint16_t fport)
{
	uint32_t m = (uint32_t)(s->now / NB_US(4));
	uint64_t f = keyed_hash(s->tcp->isn_secret, (uint64_t)laddr << 32 | faddr,
				(uint64_t)lport << 16 | fport);
	return m + (uint32_t)f;
}

/* tcp_event: remembers events for the owner; delivered by tcp_leave. */
void tcp_event(struct tcp_pcb *pcb, unsigned ev)
{
	struct nb_tcp *t = pcb->stack->tcp;
	if (pcb->dead || !ev)
		return;
	pcb->ev_pending |= ev;
	if (!pcb->ev_queued) {
		pcb->ev_queued = true;
		pcb->ev_next = t->ev_list;
		t->ev_list = pcb;
	}
}

/* tcp_enter: marks the start of a TCP entry point (input, timer, call). */
void tcp_enter(struct nb_stack *s) { s->tcp->depth++; }

/* tcp_leave: at the end of the outermost entry point, delivers pending
 * events (owners may call back into TCP meanwhile) and frees dead pcbs. */
void tcp_leave(struct nb_stack *s)
{
	struct nb_tcp *t = s->tcp;
	if (t->depth == 1) {
		while (t->ev_list) {
			struct tcp_pcb *p = t->ev_list;
			t->ev_list = p->ev_next;
			p->ev_queued = false;
			unsigned ev = p->ev_pending;
			p->ev_pending = 0;
			if (!p->dead && p->notify && p->owner && ev)
				p->notify(p->owner, p, ev);
		}
		while (t->graveyard) {
			struct tcp_pcb *p = t->graveyard;
			t->graveyard = p->next;
			pcb_release(p);
		}
	}
	t->depth--;
}

/* tcp_set_state: the one place a state changes, for counters. */
void tcp_set_state(struct tcp_pcb *pcb, enum tcp_state st)
{
	struct nb_stack *s = pcb->stack;
	if (st == TCP_CLOSED || st == TCP_LISTEN) {
		if (pcb->state == TCP_SYN_SENT || pcb->state == TCP_SYN_RECEIVED)
			NB_COUNT(s, tcp_attempt_fails);
	}
	pcb->state = st;
}

/* tcp_done: the connection reached CLOSED (RFC 9293 "delete the TCB"). The
 * owner hears ERROR (err != 0, stored in soerror) and CLOSED; a pcb nobody
 * owns (orphan, unaccepted child) is freed. */
void tcp_done(struct tcp_pcb *pcb, int err)
{
	if (pcb->dead)
		return;
	tcp_hash_remove(pcb);
	tcp_set_state(pcb, TCP_CLOSED);
	tcp_timers_cancel(pcb);
	if (err)
		pcb->soerror = err;
	if (pcb->orphan || !pcb->owner) {
		tcp_pcb_free(pcb);
		return;
	}
	tcp_release_buffers(pcb);
	tcp_event(pcb, (err ? TCP_EV_ERROR : 0) | TCP_EV_CLOSED | TCP_EV_READABLE | TCP_EV_WRITABLE);
}

/* tcp_drop: abort: a RST to the peer if synchronized, then tcp_done. */
void tcp_drop(struct tcp_pcb *pcb, int err)
{
	if (tcp_synchronized(pcb->state))
		tcp_send_rst(pcb);
	tcp_done(pcb, err);
}

/* tcp_established: the handshake completed. An active opener's owner hears
 * CONNECTED; a passive child moves to its listener's accept queue (the
 * caller checked for room) and the listener's owner hears ACCEPT. */
void tcp_established(struct tcp_pcb *pcb)
{
	tcp_set_state(pcb, TCP_ESTABLISHED);
	pcb->connected = true;
	pcb->last_rx = pcb->stack->now;
	tcp_keep_start(pcb);
	struct tcp_pcb *l = pcb->listener;
	if (l && !pcb->on_accept_q) {
		unlink_from(&l->syn_q, pcb, offsetof(struct tcp_pcb, q_next));
		l->syn_len--;
		pcb->q_next = NULL;
		struct tcp_pcb **pp = &l->accept_q;
		while (*pp)
			pp = &(*pp)->q_next;
		*pp = pcb;
		pcb->on_accept_q = true;
		l->accept_len++;
		tcp_event(l, TCP_EV_ACCEPT);
	}
	tcp_event(pcb, TCP_EV_CONNECTED | TCP_EV_WRITABLE);
	if (pcb->fin_queued)   /* shut down for writing before the handshake ended */
		tcp_set_state(pcb, TCP_FIN_WAIT_1);
}

/* tcp_release_buffers: frees the rings once they cannot be needed: the
 * send ring when everything we will ever send is acknowledged (or the
 * connection is gone), the receive ring when it holds nothing to read (or
 * nobody will read it). TIME_WAIT pcbs live for 2*MSL; they should not keep
 * megabytes each. */
void tcp_release_buffers(struct tcp_pcb *pcb)
{
	if (pcb->sndbuf.buf && (pcb->state == TCP_CLOSED || (pcb->fin_queued && pcb->sndbuf.len == 0)))
		ring_free(&pcb->sndbuf);
	/* (out-of-order data is kept: dropping what we SACKed would be
	 * reneging, RFC 2018 8) */
	if (pcb->rcvbuf.buf && (pcb->orphan || (pcb->rcvbuf.len == 0 && !pcb->ooo))) {
		tcp_reass_flush(pcb);
		ring_free(&pcb->rcvbuf);
	}
}

/* tcp_rcvbuf_ensure: allocates the receive ring on first use. 0 or -ENOMEM. */
int tcp_rcvbuf_ensure(struct tcp_pcb *pcb)
{
	if (pcb->rcvbuf.buf)
		return 0;
	return ring_alloc(&pcb->rcvbuf, pcb->rcvbuf_cap);
}

/* tcp_foreach: every live pcb, in creation order reversed (newest first). */
void tcp_foreach(struct nb_stack *s, void (*fn)(struct tcp_pcb *pcb, void *arg), void *arg)
{
	if (!s->tcp)
		return;
	for (struct tcp_pcb *p = s->tcp->pcbs, *n; p; p = n) {
		n = p->next;
		if (!p->dead)
			fn(p, arg);
	}
}

static void info_timer(struct tcp_conn_info *ci, const struct nb_timer *t, const char *name,
		       nb_time_t now)
{
	if (!timer_armed(t) || ci->ntimers >= TCP_INFO_TIMERS)
		return;
	ci->timers[ci->ntimers].name = name;
	ci->timers[ci->ntimers].remaining = t->when > now ? t->when - now : 0;
	ci->ntimers++;
}

/* tcp_get_info: a snapshot of the control information of one pcb. */
void tcp_get_info(const struct tcp_pcb *pcb, struct tcp_conn_info *ci)
{
	nb_time_t now = pcb->stack->now;
	memset(ci, 0, sizeof(*ci));
	ci->state = pcb->state;
	ci->state_name = tcp_state_name(pcb->state);
	ci->laddr = pcb->laddr;
	ci->faddr = pcb->faddr;
	ci->lport = pcb->lport;
	ci->fport = pcb->fport;
	ci->snd_una = pcb->snd_una;
	ci->snd_nxt = pcb->snd_nxt;
	ci->rcv_nxt = pcb->rcv_nxt;
	ci->snd_wnd = pcb->snd_wnd;
	ci->rcv_wnd = tcp_synchronized(pcb->state) ? pcb->rcv_adv - pcb->rcv_nxt : 0;
	ci->mss = pcb->mss;
	ci->cwnd = pcb->cwnd;
	ci->ssthresh = pcb->ssthresh;
	ci->srtt = pcb->srtt;
	ci->rttvar = pcb->rttvar;
	ci->rto = pcb->rto;
	ci->retransmits = pcb->retransmits;
	ci->backoff = pcb->backoff;
	ci->sendq = tcp_sendq(pcb);
	ci->recvq = tcp_recvq(pcb);
	ci->snd_wscale = pcb->snd_wscale;
	ci->rcv_wscale = pcb->rcv_wscale;
	ci->ws_ok = pcb->ws_ok;
	ci->sack_ok = pcb->sack_ok;
	ci->ts_ok = pcb->ts_ok;
	ci->nodelay = pcb->nodelay;
	ci->orphan = pcb->orphan;
	ci->backlog = pcb->backlog;
	ci->accept_len = pcb->accept_len;
	ci->syn_len = pcb->syn_len;
	info_timer(ci, &pcb->t_rexmt, pcb->persist ? "persist" : "retransmit", now);
	info_timer(ci, &pcb->t_delack, "delack", now);
	info_timer(ci, &pcb->t_timewait, pcb->state == TCP_TIME_WAIT ? "timewait" : "fin_wait2", now);
	info_timer(ci, &pcb->t_keep, "keepalive", now);
	memcpy(ci->app, pcb->app, sizeof(ci->app));
	ci->app[sizeof(ci->app) - 1] = '\0';
}
