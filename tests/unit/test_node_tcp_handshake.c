/* test_node_tcp_handshake.c: opening connections (RFC 9293 3.5): active
 * and passive open with their options, MSS from the MTU, refused and timed
 * out connects, simultaneous open, RSTs for closed ports, ISNs (RFC 6528),
 * backlog limits, header validation and ICMP errors during the handshake.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tcp_harness.h"

static struct hnode N;

static int setup(void **st)
{
	(void)st;
	h_node_init(&N, "10.0.0.1", 1500, 42);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	h_node_free(&N);
	return 0;
}

/* Active open with every option: SYN carries MSS = MTU - 40, SACK-permitted,
 * timestamps and the window scale chosen from the 1 MiB receive buffer
 * (shift 5: 1 MiB >> 5 = 32768 <= 65535, >> 4 would not fit). */
static void test_active_open_options(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = h_connect(&N, H_PEER, 80);
	assert_int_equal(pcb->state, TCP_SYN_SENT);
	assert_int_equal(N.s.stats.tcp_active_opens, 1);
	struct hseg *syn = h_pop(&N);
	assert_non_null(syn);
	assert_true(syn->cksum_ok);
	assert_true(syn->df);
	assert_int_equal(syn->flags, TCP_SYN);
	assert_int_equal(syn->sport, 4000);
	assert_int_equal(syn->dport, 80);
	assert_int_equal(syn->ack, 0);
	assert_int_equal(syn->seq, pcb->iss);
	assert_int_equal(syn->len, 0);
	assert_true(syn->o.mss_ok);
	assert_int_equal(syn->o.mss, 1460);
	assert_true(syn->o.ws_ok);
	assert_int_equal(syn->o.ws, 5);
	assert_true(syn->o.sack_perm);
	assert_true(syn->o.ts_present);
	assert_int_equal(syn->o.tsecr, 0);
	assert_int_equal(syn->optlen, 20);
	assert_int_equal(syn->wnd, 65535);          /* never scaled in a SYN */
	assert_null(h_pop(&N));

	/* SYN-ACK with MSS 1400, WS 7, SACK, TS. */
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_SYN | TCP_ACK,
				   .seq = 7000, .ack = syn->seq + 1, .wnd = 29000, .mss = 1400,
				   .ws_on = true, .ws = 7, .sackok = true, .ts = true,
				   .tsval = 555, .tsecr = syn->o.tsval});
	assert_int_equal(pcb->state, TCP_ESTABLISHED);
	assert_true(N.ev.all & TCP_EV_CONNECTED);
	assert_int_equal(pcb->mss, 1400);
	assert_int_equal(pcb->snd_wscale, 7);
	assert_int_equal(pcb->rcv_wscale, 5);
	assert_true(pcb->sack_ok);
	assert_true(pcb->ts_ok);
	assert_int_equal(pcb->snd_wnd, 29000);      /* the SYN-ACK's window is not scaled */
	assert_int_equal(pcb->irs, 7000);
	assert_int_equal(pcb->rcv_nxt, 7001);
	assert_int_equal(pcb->snd_una, syn->seq + 1);
	assert_int_equal(tcp_maxseg(pcb), 1388);    /* 1400 - 12 bytes of timestamps */
	/* IW = 10 segments (RFC 6928 via params.tcp_init_cwnd). */
	assert_int_equal(pcb->cwnd, 10 * 1388);

	struct hseg *ack = h_pop(&N);
	assert_non_null(ack);
	assert_int_equal(ack->flags, TCP_ACK);
	assert_int_equal(ack->seq, syn->seq + 1);
	assert_int_equal(ack->ack, 7001);
	assert_int_equal(ack->optlen, 12);          /* NOP NOP TS */
	assert_true(ack->o.ts_present);
	assert_int_equal(ack->o.tsecr, 555);
	/* the receive window is now scaled: 1 MiB >> 5, capped at 65535 */
	assert_int_equal(ack->wnd, (1 << 20) >> 5);
	assert_null(h_pop(&N));
	assert_false(timer_armed(&pcb->t_rexmt));
	/* an RTT sample was taken from the SYN (0 ns here -> 1 ns) */
	assert_true(pcb->srtt > 0);
	assert_int_equal(pcb->rto, N.s.params.tcp_rto_min);
}

/* Without options from the peer: MSS 536 (RFC 9293 3.7.1), no scaling,
 * SACK or timestamps, even though we offered them. */
static void test_active_open_peer_without_options(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = h_connect(&N, H_PEER, 80);
	struct hseg *syn = h_pop(&N);
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_SYN | TCP_ACK,
				   .seq = 1, .ack = syn->seq + 1, .wnd = 8192});
	assert_int_equal(pcb->state, TCP_ESTABLISHED);
	assert_int_equal(pcb->peer_mss, 536);
	assert_int_equal(pcb->mss, 536);
	assert_false(pcb->ws_ok);
	assert_int_equal(pcb->snd_wscale, 0);
	assert_int_equal(pcb->rcv_wscale, 0);
	assert_false(pcb->sack_ok);
	assert_false(pcb->ts_ok);
	struct hseg *ack = h_pop(&N);
	assert_int_equal(ack->optlen, 0);
	assert_int_equal(ack->wnd, 65535);          /* unscaled: capped */

	/* 2000 bytes pushed go as 536 + 536 + 536 + 392 (4 segments in the IW). */
	static uint8_t buf[2000];
	assert_int_equal(tcp_send(pcb, buf, sizeof buf, true), 2000);
	uint32_t lens[] = {536, 536, 536, 392};
	uint32_t seq = syn->seq + 1;
	for (int i = 0; i < 4; i++) {
		struct hseg *g = h_pop(&N);
		assert_non_null(g);
		assert_int_equal(g->len, lens[i]);
		assert_int_equal(g->seq, seq);
		seq += lens[i];
	}
	assert_null(h_pop(&N));
}

/* The MSS we announce follows the interface MTU: 1400 -> 1360; and a
 * smaller peer MSS is what we segment at. */
static void test_mss_from_mtu(void **st)
{
	(void)st;
	h_node_free(&N);
	h_node_init(&N, "10.0.0.1", 1400, 42);
	h_params_plain(&N);
	struct tcp_pcb *pcb = h_connect(&N, H_PEER, 80);
	struct hseg *syn = h_pop(&N);
	assert_int_equal(syn->o.mss, 1360);
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_SYN | TCP_ACK,
				   .seq = 1, .ack = syn->seq + 1, .wnd = 65535, .mss = 1460});
	assert_int_equal(pcb->mss, 1360);           /* min(peer 1460, ours 1360) */
	h_pop(&N);
	static uint8_t buf[3000];
	tcp_send(pcb, buf, sizeof buf, true);
	assert_int_equal(h_pop(&N)->len, 1360);
	assert_int_equal(h_pop(&N)->len, 1360);
	assert_int_equal(h_pop(&N)->len, 280);
}

/* Passive open: LISTEN, SYN -> SYN-ACK with our options mirroring the
 * peer's offer, ACK -> ESTABLISHED child on the accept queue, ACCEPT event. */
static void test_passive_open(void **st)
{
	(void)st;
	struct tcp_pcb *l = h_new(&N, "web");
	assert_int_equal(tcp_bind(l, 0, 80), 0);
	assert_int_equal(tcp_setopt(l, TCP_OPT_NODELAY, 1), 0);
	assert_int_equal(tcp_setopt(l, TCP_OPT_SNDBUF, 70000), 0);
	assert_int_equal(tcp_listen(l, 5), 0);
	assert_int_equal(l->state, TCP_LISTEN);
	h_inject(&N, &(struct hin){.flags = TCP_SYN, .seq = 100, .wnd = 5840, .mss = 1200,
				   .sackok = true, .ts = true, .tsval = 77});
	assert_int_equal(l->syn_len, 1);
	assert_int_equal(N.s.stats.tcp_passive_opens, 1);
	struct hseg *sa = h_pop(&N);
	assert_non_null(sa);
	assert_int_equal(sa->flags, TCP_SYN | TCP_ACK);
	assert_int_equal(sa->ack, 101);
	assert_int_equal(sa->sport, 80);
	assert_int_equal(sa->dport, 5555);
	assert_int_equal(sa->o.mss, 1460);
	assert_false(sa->o.ws_ok);                  /* the peer offered no WS */
	assert_true(sa->o.sack_perm);
	assert_true(sa->o.ts_present);
	assert_int_equal(sa->o.tsecr, 77);
	assert_null(tcp_accept(l));

	h_inject(&N, &(struct hin){.flags = TCP_ACK, .seq = 101, .ack = sa->seq + 1, .wnd = 5840,
				   .ts = true, .tsval = 78, .tsecr = sa->o.tsval});
	assert_int_equal(l->syn_len, 0);
	assert_int_equal(l->accept_len, 1);
	assert_true(N.ev.all & TCP_EV_ACCEPT);
	struct tcp_pcb *c = tcp_accept(l);
	assert_non_null(c);
	assert_int_equal(c->state, TCP_ESTABLISHED);
	assert_int_equal(c->mss, 1200);
	assert_true(c->ts_ok);
	assert_true(c->sack_ok);
	assert_int_equal(c->ts_recent, 78);
	assert_int_equal(c->snd_wnd, 5840);
	assert_int_equal(strcmp(c->app, "web"), 0);
	assert_true(c->nodelay);                    /* inherited from the listener */
	assert_int_equal(c->sndbuf_cap, 70000);
	assert_int_equal(c->lport, 80);
	assert_int_equal(c->fport, 5555);
	assert_int_equal(l->accept_len, 0);
	assert_null(h_pop(&N));
	tcp_close(c);
	tcp_close(l);
}

/* RST in SYN-SENT with an acceptable ACK: refused (ECONNREFUSED). A RST
 * without ACK, or with a wrong ACK, is ignored (RFC 9293 3.10.7.3). */
static void test_connect_refused(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = h_connect(&N, H_PEER, 80);
	struct hseg *syn = h_pop(&N);
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_RST, .seq = 0});
	assert_int_equal(pcb->state, TCP_SYN_SENT);
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_RST | TCP_ACK,
				   .ack = syn->seq + 5});
	assert_int_equal(pcb->state, TCP_SYN_SENT);
	assert_null(h_pop(&N));                     /* no RST answers a RST */
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_RST | TCP_ACK,
				   .ack = syn->seq + 1});
	assert_int_equal(pcb->state, TCP_CLOSED);
	assert_true(N.ev.all & TCP_EV_ERROR);
	assert_true(N.ev.all & TCP_EV_CLOSED);
	assert_int_equal(N.ev.err_at_error, -ECONNREFUSED);
	assert_int_equal(tcp_recv(pcb, NULL, 0), -ECONNREFUSED);
	assert_int_equal(pcb->soerror, 0);          /* reported once */
	assert_int_equal(N.s.stats.tcp_attempt_fails, 1);
	assert_false(timer_armed(&pcb->t_rexmt));
	tcp_close(pcb);
}

/* An unacceptable ACK in SYN-SENT earns <SEQ=SEG.ACK><CTL=RST>. */
static void test_syn_sent_bad_ack(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = h_connect(&N, H_PEER, 80);
	struct hseg *syn = h_pop(&N);
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_SYN | TCP_ACK,
				   .seq = 9, .ack = syn->seq + 100, .wnd = 1000});
	struct hseg *r = h_pop(&N);
	assert_non_null(r);
	assert_int_equal(r->flags, TCP_RST);
	assert_int_equal(r->seq, syn->seq + 100);
	assert_int_equal(pcb->state, TCP_SYN_SENT);
}

/* SYN retransmissions at 1, 3, 7, 15, 31, 63 s (RTO 1 s doubling), then
 * ETIMEDOUT after the last RTO: 64 s capped by tcp.rto_max (60 s) -> 123 s
 * (Linux, with its 120 s maximum, gives up at 127 s). */
static void test_syn_timeout_backoff(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = h_connect(&N, H_PEER, 80);
	nb_time_t t0 = N.s.now;
	struct hseg *syn = h_pop(&N);
	assert_int_equal(h_next_timer(&N), NB_SEC(1));
	nb_time_t expect[] = {1, 3, 7, 15, 31, 63};
	for (int i = 0; i < 6; i++) {
		h_advance(&N, t0 + NB_SEC(expect[i]) - N.s.now - 1);
		assert_null(h_pop(&N));
		h_advance(&N, 1);
		struct hseg *g = h_pop(&N);
		assert_non_null(g);
		assert_int_equal(g->flags, TCP_SYN);
		assert_int_equal(g->seq, syn->seq);
		assert_int_equal(g->t - t0, NB_SEC(expect[i]));
	}
	assert_int_equal(pcb->state, TCP_SYN_SENT);
	h_advance(&N, t0 + NB_SEC(123) - N.s.now - 1);
	assert_int_equal(pcb->state, TCP_SYN_SENT);
	h_advance(&N, 1);
	assert_int_equal(pcb->state, TCP_CLOSED);
	assert_int_equal(N.ev.err_at_error, -ETIMEDOUT);
	assert_int_equal(N.s.stats.tcp_timeouts, 1);
	assert_int_equal(N.s.stats.tcp_rto_fires, 7);
	assert_null(h_pop(&N));
	tcp_close(pcb);
}

/* tcp.rto_max caps the backoff: with rto_max 3 s and 4 retries the SYNs go
 * at 1, 3, 6, 9 s and the attempt fails at 12 s. */
static void test_syn_backoff_capped(void **st)
{
	(void)st;
	N.s.params.tcp_rto_max = NB_SEC(3);
	N.s.params.tcp_syn_retries = 4;
	struct tcp_pcb *pcb = h_connect(&N, H_PEER, 80);
	nb_time_t t0 = N.s.now;
	h_pop(&N);
	nb_time_t expect[] = {1, 3, 6, 9};
	for (int i = 0; i < 4; i++) {
		h_advance(&N, t0 + NB_SEC(expect[i]) - N.s.now);
		struct hseg *g = h_pop(&N);
		assert_non_null(g);
		assert_int_equal(g->t - t0, NB_SEC(expect[i]));
	}
	h_advance(&N, t0 + NB_SEC(12) - N.s.now - 1);
	assert_int_equal(pcb->state, TCP_SYN_SENT);
	h_advance(&N, 1);
	assert_int_equal(pcb->state, TCP_CLOSED);
	assert_int_equal(N.ev.err_at_error, -ETIMEDOUT);
	tcp_close(pcb);
}

/* RFC 6298 5.7: after a SYN retransmission, RTO is 3 s once established. */
static void test_rto_3s_after_syn_retransmit(void **st)
{
	(void)st;
	h_params_plain(&N);
	struct tcp_pcb *pcb = h_connect(&N, H_PEER, 80);
	struct hseg *syn = h_pop(&N);
	h_advance(&N, NB_SEC(1));
	assert_non_null(h_pop(&N));
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_SYN | TCP_ACK,
				   .seq = 1, .ack = syn->seq + 1, .wnd = 65535, .mss = 1460});
	assert_int_equal(pcb->state, TCP_ESTABLISHED);
	assert_int_equal(pcb->srtt, 0);             /* Karn: no sample */
	assert_int_equal(pcb->rto, NB_SEC(3));
}

/* Simultaneous open (RFC 9293 figure 8): SYN crosses SYN; both go to
 * SYN-RECEIVED, send SYN-ACK, and each SYN-ACK completes the other side. */
static void test_simultaneous_open(void **st)
{
	(void)st;
	struct hnode B;
	h_node_init(&B, "10.0.0.2", 1500, 7);
	struct tcp_pcb *a = h_new(&N, "a");
	struct hev bev = {0};
	struct tcp_pcb *b = tcp_new(&B.s, &bev, h_notify, "b");
	assert_int_equal(tcp_bind(a, 0, 1111), 0);
	assert_int_equal(tcp_bind(b, 0, 2222), 0);
	assert_int_equal(tcp_connect(a, h_ip("10.0.0.2"), 2222), -EINPROGRESS);
	assert_int_equal(tcp_connect(b, h_ip("10.0.0.1"), 1111), -EINPROGRESS);
	struct hseg *sa = h_pop(&N), *sb = h_pop(&B);
	assert_int_equal(sa->flags, TCP_SYN);
	assert_int_equal(sb->flags, TCP_SYN);
	/* the SYNs cross */
	h_input_raw(&B, N.addr, sa->raw, sa->rawlen, 0);
	h_input_raw(&N, B.addr, sb->raw, sb->rawlen, 0);
	assert_int_equal(a->state, TCP_SYN_RECEIVED);
	assert_int_equal(b->state, TCP_SYN_RECEIVED);
	struct hseg *saa = h_pop(&N), *sba = h_pop(&B);
	assert_int_equal(saa->flags, TCP_SYN | TCP_ACK);
	assert_int_equal(saa->seq, a->iss);
	assert_int_equal(saa->ack, b->iss + 1);
	assert_int_equal(sba->flags, TCP_SYN | TCP_ACK);
	assert_int_equal(sba->ack, a->iss + 1);
	/* the SYN-ACKs cross */
	h_input_raw(&B, N.addr, saa->raw, saa->rawlen, 0);
	h_input_raw(&N, B.addr, sba->raw, sba->rawlen, 0);
	assert_int_equal(a->state, TCP_ESTABLISHED);
	assert_int_equal(b->state, TCP_ESTABLISHED);
	assert_true(N.ev.all & TCP_EV_CONNECTED);
	assert_true(bev.all & TCP_EV_CONNECTED);
	assert_int_equal(a->snd_una, a->iss + 1);
	assert_int_equal(a->rcv_nxt, b->iss + 1);
	assert_true(a->ws_ok && a->ts_ok && a->sack_ok);
	assert_null(h_pop(&N));                     /* nothing more to say */
	assert_null(h_pop(&B));
	assert_false(timer_armed(&a->t_rexmt));
	/* data flows */
	assert_int_equal(tcp_send(a, "hello", 5, true), 5);
	struct hseg *d = h_pop(&N);
	assert_int_equal(d->len, 5);
	h_input_raw(&B, N.addr, d->raw, d->rawlen, 0);
	char buf[8];
	assert_int_equal(tcp_recv(b, buf, sizeof buf), 5);
	assert_memory_equal(buf, "hello", 5);
	tcp_abort(b);
	h_node_free(&B);
}

/* RFC 9293 3.10.7.1: segments for no connection get a RST; never a RST for
 * a RST. */
static void test_rst_for_closed_port(void **st)
{
	(void)st;
	/* SYN (no ACK): <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
	h_inject(&N, &(struct hin){.dport = 81, .flags = TCP_SYN, .seq = 1000, .wnd = 100});
	struct hseg *r = h_pop(&N);
	assert_non_null(r);
	assert_int_equal(r->flags, TCP_RST | TCP_ACK);
	assert_int_equal(r->seq, 0);
	assert_int_equal(r->ack, 1001);
	assert_int_equal(r->sport, 81);
	assert_int_equal(r->dport, 5555);
	assert_int_equal(r->wnd, 0);
	assert_true(r->cksum_ok);
	/* data + FIN without ACK: ack = seq + len + 1 */
	h_inject(&N, &(struct hin){.dport = 81, .flags = TCP_FIN, .seq = 50, .data = "abc", .len = 3});
	r = h_pop(&N);
	assert_int_equal(r->ack, 54);
	/* with ACK: <SEQ=SEG.ACK><CTL=RST> */
	h_inject(&N, &(struct hin){.dport = 81, .flags = TCP_ACK, .seq = 5, .ack = 777});
	r = h_pop(&N);
	assert_int_equal(r->flags, TCP_RST);
	assert_int_equal(r->seq, 777);
	assert_int_equal(r->ack, 0);
	/* a RST gets nothing */
	h_inject(&N, &(struct hin){.dport = 81, .flags = TCP_RST | TCP_ACK, .seq = 5, .ack = 7});
	assert_null(h_pop(&N));
	assert_int_equal(N.s.stats.tcp_no_socket, 4);
	assert_int_equal(N.s.stats.tcp_rst_sent, 3);
}

/* A listener answers an ACK with a RST and ignores a RST (3.10.7.2). */
static void test_listen_ack_and_rst(void **st)
{
	(void)st;
	struct tcp_pcb *l = h_new(&N, "web");
	tcp_bind(l, 0, 80);
	tcp_listen(l, 5);
	h_inject(&N, &(struct hin){.flags = TCP_ACK, .seq = 1, .ack = 4242});
	struct hseg *r = h_pop(&N);
	assert_int_equal(r->flags, TCP_RST);
	assert_int_equal(r->seq, 4242);
	h_inject(&N, &(struct hin){.flags = TCP_RST, .seq = 1});
	assert_null(h_pop(&N));
	h_inject(&N, &(struct hin){.flags = TCP_FIN, .seq = 1});   /* no SYN: dropped */
	assert_null(h_pop(&N));
	assert_int_equal(l->syn_len, 0);
	tcp_close(l);
}

/* RFC 6528: the ISN depends on the 4-tuple (keyed hash) and grows with a
 * 4 us clock. */
static void test_isn(void **st)
{
	(void)st;
	struct nb_stack *s = &N.s;
	uint32_t a = tcp_new_isn(s, 1, 2, 3, 4);
	uint32_t b = tcp_new_isn(s, 1, 2, 3, 5);
	assert_int_not_equal(a, b);
	s->now += NB_US(400);
	assert_int_equal(tcp_new_isn(s, 1, 2, 3, 4) - a, 100);
	/* another secret (another seed) gives another ISN */
	struct hnode B;
	h_node_init(&B, "10.0.0.1", 1500, 43);
	B.s.now = s->now;
	assert_int_not_equal(tcp_new_isn(&B.s, 1, 2, 3, 4), tcp_new_isn(s, 1, 2, 3, 4));
	h_node_free(&B);
}

/* Backlog: both queues are bounded by min(backlog, tcp.backlog_max); a SYN
 * beyond is dropped silently; an ACK completing a handshake with the accept
 * queue full is ignored until there is room. */
static void test_backlog_overflow(void **st)
{
	(void)st;
	N.s.params.tcp_backlog_max = 2;
	struct tcp_pcb *l = h_new(&N, "web");
	tcp_bind(l, 0, 80);
	tcp_listen(l, 100);
	assert_int_equal(l->backlog, 2);
	uint32_t iss[3];
	for (int i = 0; i < 3; i++) {
		h_inject(&N, &(struct hin){.sport = (uint16_t)(6000 + i), .flags = TCP_SYN,
					   .seq = 10, .wnd = 1000});
		struct hseg *g = h_pop(&N);
		if (i < 2) {
			assert_non_null(g);
			iss[i] = g->seq;
		} else {
			assert_null(g);   /* silently dropped */
		}
	}
	assert_int_equal(l->syn_len, 2);
	assert_int_equal(N.s.stats.tcp_syn_dropped_backlog, 1);
	/* complete both: accept queue 2 */
	for (int i = 0; i < 2; i++)
		h_inject(&N, &(struct hin){.sport = (uint16_t)(6000 + i), .flags = TCP_ACK,
					   .seq = 11, .ack = iss[i] + 1, .wnd = 1000});
	assert_int_equal(l->accept_len, 2);
	assert_int_equal(l->syn_len, 0);
	/* accept queue full: a new SYN is dropped */
	h_inject(&N, &(struct hin){.sport = 7000, .flags = TCP_SYN, .seq = 10, .wnd = 1000});
	assert_null(h_pop(&N));
	assert_int_equal(N.s.stats.tcp_syn_dropped_backlog, 2);
	/* accept one: room again */
	struct tcp_pcb *c = tcp_accept(l);
	assert_non_null(c);
	assert_int_equal(c->fport, 6000);           /* FIFO */
	h_inject(&N, &(struct hin){.sport = 7000, .flags = TCP_SYN, .seq = 10, .wnd = 1000});
	struct hseg *g = h_pop(&N);
	assert_non_null(g);
	assert_int_equal(g->flags, TCP_SYN | TCP_ACK);
	tcp_abort(c);
	tcp_close(l);
	assert_int_equal(N.s.tcp->npcbs, 0);
}

/* Accept queue full when the final ACK arrives: the ACK is ignored and
 * counted; the child stays in SYN-RECEIVED, its SYN-ACK is resent on
 * timeout, and the peer's next ACK gets it accepted once there is room. */
static void test_accept_queue_full_ack(void **st)
{
	(void)st;
	struct tcp_pcb *l = h_new(&N, "web");
	tcp_bind(l, 0, 80);
	tcp_listen(l, 2);
	uint32_t iss[3];
	h_inject(&N, &(struct hin){.sport = 6000, .flags = TCP_SYN, .seq = 10, .wnd = 1000});
	iss[0] = h_pop(&N)->seq;
	h_inject(&N, &(struct hin){.sport = 6001, .flags = TCP_SYN, .seq = 10, .wnd = 1000});
	iss[1] = h_pop(&N)->seq;
	h_inject(&N, &(struct hin){.sport = 6000, .flags = TCP_ACK, .seq = 11, .ack = iss[0] + 1, .wnd = 1000});
	h_inject(&N, &(struct hin){.sport = 6002, .flags = TCP_SYN, .seq = 10, .wnd = 1000});
	iss[2] = h_pop(&N)->seq;
	h_inject(&N, &(struct hin){.sport = 6001, .flags = TCP_ACK, .seq = 11, .ack = iss[1] + 1, .wnd = 1000});
	assert_int_equal(l->accept_len, 2);
	assert_int_equal(l->syn_len, 1);
	h_inject(&N, &(struct hin){.sport = 6002, .flags = TCP_ACK, .seq = 11, .ack = iss[2] + 1, .wnd = 1000});
	assert_int_equal(N.s.stats.tcp_accept_dropped_backlog, 1);
	assert_int_equal(l->accept_len, 2);
	assert_int_equal(l->syn_len, 1);
	assert_null(h_pop(&N));
	tcp_abort(tcp_accept(l));
	struct hseg *g = h_pop(&N);
	assert_int_equal(g->flags, TCP_RST | TCP_ACK);
	assert_int_equal(g->dport, 6000);
	h_advance(&N, NB_SEC(1));                  /* SYN-ACK timer of the embryo */
	g = h_pop(&N);
	assert_non_null(g);
	assert_int_equal(g->flags, TCP_SYN | TCP_ACK);
	assert_int_equal(g->seq, iss[2]);
	assert_int_equal(g->dport, 6002);
	h_inject(&N, &(struct hin){.sport = 6002, .flags = TCP_ACK, .seq = 11, .ack = iss[2] + 1, .wnd = 1000});
	assert_int_equal(l->accept_len, 2);
	assert_int_equal(l->syn_len, 0);
	tcp_close(l);                              /* unaccepted children are reset */
	assert_int_equal(N.s.tcp->npcbs, 0);
}

/* A retransmitted SYN in SYN-RECEIVED gets the same SYN-ACK again; after
 * tcp.syn_retries SYN-ACK timeouts the embryo is dropped silently. */
static void test_syn_received_retransmits(void **st)
{
	(void)st;
	N.s.params.tcp_syn_retries = 2;
	struct tcp_pcb *l = h_new(&N, "web");
	tcp_bind(l, 0, 80);
	tcp_listen(l, 5);
	h_inject(&N, &(struct hin){.flags = TCP_SYN, .seq = 10, .wnd = 1000});
	struct hseg *sa = h_pop(&N);
	h_inject(&N, &(struct hin){.flags = TCP_SYN, .seq = 10, .wnd = 1000});
	struct hseg *sa2 = h_pop(&N);
	assert_non_null(sa2);
	assert_int_equal(sa2->flags, TCP_SYN | TCP_ACK);
	assert_int_equal(sa2->seq, sa->seq);
	assert_int_equal(sa2->ack, 11);
	h_advance(&N, NB_SEC(1));
	assert_int_equal(h_pop(&N)->flags, TCP_SYN | TCP_ACK);
	h_advance(&N, NB_SEC(2));
	assert_int_equal(h_pop(&N)->flags, TCP_SYN | TCP_ACK);
	assert_int_equal(l->syn_len, 1);
	h_advance(&N, NB_SEC(4));
	assert_null(h_pop(&N));
	assert_int_equal(l->syn_len, 0);
	assert_int_equal(N.s.tcp->npcbs, 1);
	tcp_close(l);
}

/* A RST for an embryo (exact sequence) removes it: back to LISTEN only. */
static void test_syn_received_rst(void **st)
{
	(void)st;
	struct tcp_pcb *l = h_new(&N, "web");
	tcp_bind(l, 0, 80);
	tcp_listen(l, 5);
	h_inject(&N, &(struct hin){.flags = TCP_SYN, .seq = 10, .wnd = 1000});
	h_pop(&N);
	h_inject(&N, &(struct hin){.flags = TCP_RST, .seq = 11});
	assert_int_equal(l->syn_len, 0);
	assert_int_equal(l->state, TCP_LISTEN);
	assert_int_equal(N.s.tcp->npcbs, 1);
	/* a bad ACK in SYN-RECEIVED: <SEQ=SEG.ACK><CTL=RST> */
	h_inject(&N, &(struct hin){.flags = TCP_SYN, .seq = 10, .wnd = 1000});
	h_pop(&N);
	h_inject(&N, &(struct hin){.flags = TCP_ACK, .seq = 11, .ack = 5, .wnd = 1000});
	struct hseg *r = h_pop(&N);
	assert_int_equal(r->flags, TCP_RST);
	assert_int_equal(r->seq, 5);
	tcp_close(l);
}

/* Header validation: short, bad data offset, bad checksum, malformed
 * options are dropped and counted before any field is used; a partial
 * checksum (kernel peer) is not verified. */
static void test_header_validation(void **st)
{
	(void)st;
	struct tcp_pcb *l = h_new(&N, "web");
	tcp_bind(l, 0, 80);
	tcp_listen(l, 5);
	uint8_t shortseg[10] = {0};
	h_input_raw(&N, h_ip(H_PEER), shortseg, sizeof shortseg, 0);
	assert_int_equal(N.s.stats.tcp_rx_short, 1);
	h_inject(&N, &(struct hin){.flags = TCP_SYN, .seq = 1, .doff = 4});
	h_inject(&N, &(struct hin){.flags = TCP_SYN, .seq = 1, .doff = 15});
	assert_int_equal(N.s.stats.tcp_rx_bad_off, 2);
	h_inject(&N, &(struct hin){.flags = TCP_SYN, .seq = 1, .bad_cksum = true});
	assert_int_equal(N.s.stats.tcp_rx_bad_cksum, 1);
	static const uint8_t badopt[] = {2, 4, 5, 0xb4, 8, 20, 0, 0};   /* TS length runs past */
	h_inject(&N, &(struct hin){.flags = TCP_SYN, .seq = 1, .rawopt = badopt, .rawoptlen = sizeof badopt});
	static const uint8_t zeroopt[] = {3, 0, 0, 0};                     /* length 0 */
	h_inject(&N, &(struct hin){.flags = TCP_SYN, .seq = 1, .rawopt = zeroopt, .rawoptlen = sizeof zeroopt});
	assert_int_equal(N.s.stats.tcp_rx_bad_opts, 2);
	assert_null(h_pop(&N));
	assert_int_equal(l->syn_len, 0);
	/* bad checksum but CSUM_PARTIAL: accepted */
	h_inject(&N, &(struct hin){.flags = TCP_SYN, .seq = 1, .bad_cksum = true, .csum_partial = true});
	assert_int_equal(l->syn_len, 1);
	assert_non_null(h_pop(&N));
	/* from a broadcast or multicast source: dropped, no RST */
	h_inject(&N, &(struct hin){.src = 0xe0000001, .dport = 99, .flags = TCP_SYN, .seq = 1, .direct = true});
	h_inject(&N, &(struct hin){.src = 0xffffffff, .dport = 99, .flags = TCP_SYN, .seq = 1, .direct = true});
	assert_null(h_pop(&N));
	assert_int_equal(N.s.stats.tcp_rx_bad_addr, 2);
	tcp_close(l);
}

/* ICMP during the handshake (RFC 1122 4.2.3.9): host unreachable is soft:
 * the SYN keeps being retried and the error is reported only on timeout;
 * port unreachable in SYN-SENT is hard: ECONNREFUSED at once. Errors
 * quoting a sequence number outside [SND.UNA, SND.MAX] are ignored. */
static void test_icmp_errors_in_handshake(void **st)
{
	(void)st;
	N.s.params.tcp_syn_retries = 1;
	struct tcp_pcb *pcb = h_connect(&N, H_PEER, 80);
	struct hseg *syn = h_pop(&N);
	tcp_ctlinput(&N.s, -EHOSTUNREACH, N.addr, h_ip(H_PEER), syn->raw, 8, 0);
	assert_int_equal(pcb->state, TCP_SYN_SENT);
	assert_int_equal(N.ev.n, 0);
	h_advance(&N, NB_SEC(1));
	assert_non_null(h_pop(&N));
	h_advance(&N, NB_SEC(2));
	assert_int_equal(pcb->state, TCP_CLOSED);
	assert_int_equal(N.ev.err_at_error, -EHOSTUNREACH);
	tcp_close(pcb);

	memset(&N.ev, 0, sizeof N.ev);
	pcb = h_new(&N, "c2");
	tcp_bind(pcb, 0, 4001);
	tcp_connect(pcb, h_ip(H_PEER), 80);
	syn = h_pop(&N);
	uint8_t quoted[8];
	memcpy(quoted, syn->raw, 8);
	nb_put32(quoted + 4, syn->seq + 1000);       /* not ours */
	tcp_ctlinput(&N.s, -ECONNREFUSED, N.addr, h_ip(H_PEER), quoted, 8, 0);
	assert_int_equal(pcb->state, TCP_SYN_SENT);
	tcp_ctlinput(&N.s, -ECONNREFUSED, N.addr, h_ip(H_PEER), syn->raw, 8, 0);
	assert_int_equal(pcb->state, TCP_CLOSED);
	assert_int_equal(N.ev.err_at_error, -ECONNREFUSED);
	tcp_close(pcb);

	/* tcp.syn_unreach_abort on: host unreachable ends SYN-SENT at once,
	 * as Linux does; in ESTABLISHED it stays soft. */
	memset(&N.ev, 0, sizeof N.ev);
	N.s.params.tcp_syn_unreach_abort = 1;
	pcb = h_new(&N, "c3");
	tcp_bind(pcb, 0, 4002);
	tcp_connect(pcb, h_ip(H_PEER), 80);
	syn = h_pop(&N);
	tcp_ctlinput(&N.s, -EHOSTUNREACH, N.addr, h_ip(H_PEER), syn->raw, 8, 0);
	assert_int_equal(pcb->state, TCP_CLOSED);
	assert_int_equal(N.ev.err_at_error, -EHOSTUNREACH);
	tcp_close(pcb);
	N.s.params.tcp_syn_unreach_abort = 0;
}

/* Ports: bind conflicts, ephemeral choice, REUSEADDR over TIME_WAIT-like
 * holders but never over a listener. */
static void test_ports(void **st)
{
	(void)st;
	struct tcp_pcb *a = h_new(&N, "a"), *b = h_new(&N, "b");
	assert_int_equal(tcp_bind(a, 0, 80), 0);
	assert_int_equal(tcp_bind(a, 0, 81), -EINVAL);
	assert_int_equal(tcp_bind(b, 0, 80), -EADDRINUSE);
	assert_int_equal(tcp_bind(b, h_ip("10.9.9.9"), 90), -EADDRNOTAVAIL);
	assert_int_equal(tcp_listen(a, 4), 0);
	tcp_setopt(b, TCP_OPT_REUSEADDR, 1);
	assert_int_equal(tcp_bind(b, 0, 80), -EADDRINUSE);   /* a listener holds it */
	assert_int_equal(tcp_bind(b, 0, 0), 0);
	assert_true(b->lport >= 49152);
	struct tcp_pcb *c = h_new(&N, "c");
	assert_int_equal(tcp_bind(c, 0, 0), 0);
	assert_int_not_equal(c->lport, b->lport);
	tcp_close(a);
	tcp_close(b);
	tcp_close(c);
}

/* A port is free again once every pcb that held it is gone (the per-port
 * count follows binds, accepted children and frees), and thousands of
 * pcbs stay findable by 4-tuple while the table grows under them. */
static void test_ports_counted_and_many_pcbs(void **st)
{
	(void)st;
	struct tcp_pcb *a = h_new(&N, "a");
	assert_int_equal(tcp_bind(a, 0, 7000), 0);
	struct tcp_pcb *b = h_new(&N, "b");
	assert_int_equal(tcp_bind(b, 0, 7000), -EADDRINUSE);
	tcp_close(a);                                        /* never connected: freed */
	assert_int_equal(tcp_bind(b, 0, 7000), 0);
	tcp_close(b);
	enum { MANY = 3000 };
	static struct tcp_pcb *p[MANY];
	for (int i = 0; i < MANY; i++) {
		p[i] = h_new(&N, "m");
		assert_int_equal(tcp_bind(p[i], 0, 0), 0);         /* ephemeral, all different */
		assert_int_equal(tcp_connect(p[i], h_ip(H_PEER), (uint16_t)(1000 + i % 7)), -EINPROGRESS);
	}
	while (h_pop(&N))
		;
	for (int i = 0; i < MANY; i += 37) {
		struct tcp_pcb *q = tcp_lookup(&N.s, N.addr, p[i]->lport, h_ip(H_PEER), (uint16_t)(1000 + i % 7), false);
		assert_ptr_equal(q, p[i]);
		assert_true(tcp_port_in_use(&N.s, NULL, 0, p[i]->lport));
	}
	uint16_t port = p[5]->lport;
	for (int i = 0; i < MANY; i++)
		tcp_abort(p[i]);
	assert_false(tcp_port_in_use(&N.s, NULL, 0, port));
	assert_null(tcp_lookup(&N.s, N.addr, port, h_ip(H_PEER), 1005, false));
	while (h_pop(&N))
		;
}

/* tcp_get_info / tcp_foreach for socket dumps. */
static void count_pcb(struct tcp_pcb *pcb, void *arg)
{
	(void)pcb;
	(*(int *)arg)++;
}

static void test_info_and_foreach(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = h_established(&N, 500, 20000, 1460);
	struct tcp_conn_info ci;
	tcp_get_info(pcb, &ci);
	assert_int_equal(ci.state, TCP_ESTABLISHED);
	assert_string_equal(ci.state_name, "ESTABLISHED");
	assert_int_equal(ci.laddr, N.addr);
	assert_int_equal(ci.faddr, h_ip(H_PEER));
	assert_int_equal(ci.lport, 4000);
	assert_int_equal(ci.fport, 80);
	assert_int_equal(ci.rcv_nxt, 501);
	assert_int_equal(ci.snd_una, pcb->iss + 1);
	assert_int_equal(ci.snd_wnd, 20000);
	assert_int_equal(ci.mss, 1460);
	assert_int_equal(ci.rto, N.s.params.tcp_rto_min);
	assert_string_equal(ci.app, "client");
	assert_int_equal(ci.ntimers, 0);
	tcp_send(pcb, "x", 1, true);
	tcp_get_info(pcb, &ci);
	assert_int_equal(ci.ntimers, 1);
	assert_string_equal(ci.timers[0].name, "retransmit");
	assert_int_equal(ci.timers[0].remaining, N.s.params.tcp_rto_min);
	assert_int_equal(ci.sendq, 1);
	int n = 0;
	struct tcp_pcb *l = h_new(&N, "web");
	tcp_bind(l, 0, 80);
	tcp_listen(l, 3);
	tcp_foreach(&N.s, count_pcb, &n);
	assert_int_equal(n, 2);
	tcp_close(l);
	assert_string_equal(tcp_state_name(TCP_TIME_WAIT), "TIME_WAIT");
	assert_string_equal(tcp_state_name(TCP_SYN_RECEIVED), "SYN_RECEIVED");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_active_open_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_active_open_peer_without_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mss_from_mtu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passive_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn_sent_bad_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn_timeout_backoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn_backoff_capped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rto_3s_after_syn_retransmit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_simultaneous_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rst_for_closed_port, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listen_ack_and_rst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_isn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backlog_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accept_queue_full_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn_received_retransmits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn_received_rst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_errors_in_handshake, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ports_counted_and_many_pcbs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_info_and_foreach, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
