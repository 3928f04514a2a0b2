/* test_node_tcp_data.c: moving data (RFC 9293 3.8, 3.10.7.4): segmentation
 * at the MSS less options, ACK numbers, delayed ACKs, out-of-order
 * reassembly with SACK blocks, the receive window and its scaling, zero
 * windows and the persist timer, Nagle and push, send buffer limits,
 * half-close.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tcp_harness.h"

static struct hnode N;
static uint8_t pat[1 << 20];

static int setup(void **st)
{
	(void)st;
	h_node_init(&N, "10.0.0.1", 1500, 42);
	for (size_t i = 0; i < sizeof pat; i++)
		pat[i] = (uint8_t)(i * 7 + (i >> 8));
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	h_node_free(&N);
	return 0;
}

#define PISS 1000u   /* the scripted peer's ISN */

/* With timestamps a full segment carries 1448 bytes (1460 - 12); ten of
 * them fill the initial window; PSH marks the end of what was queued. */
static void test_segmentation_with_timestamps(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = h_connect(&N, H_PEER, 80);
	struct hseg *syn = h_pop(&N);
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_SYN | TCP_ACK,
				   .seq = PISS, .ack = syn->seq + 1, .wnd = 65535, .mss = 1460,
				   .ts = true, .tsval = 1, .tsecr = syn->o.tsval});
	h_pop(&N);
	uint32_t s0 = syn->seq + 1;
	assert_int_equal(tcp_send(pcb, pat, 20000, false), 20000);
	for (int i = 0; i < 10; i++) {
		struct hseg *g = h_pop(&N);
		assert_non_null(g);
		assert_int_equal(g->seq, s0 + 1448u * (uint32_t)i);
		assert_int_equal(g->len, 1448);
		assert_int_equal(g->optlen, 12);
		assert_int_equal(g->rawlen, 20 + 12 + 1448);   /* = MSS + 20 */
		assert_int_equal(g->flags, TCP_ACK);
		assert_int_equal(g->ack, PISS + 1);
		assert_memory_equal(g->data, pat + 1448 * i, 1448);
	}
	assert_null(h_pop(&N));                     /* cwnd (10 segments) is full */
	assert_int_equal(pcb->snd_nxt, s0 + 14480);
	assert_int_equal(tcp_sendq(pcb), 20000);
	/* an ACK for 2 segments: slow start opens cwnd by 2 SMSS, 4 more go */
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_ACK, .seq = PISS + 1,
				   .ack = s0 + 2896, .wnd = 65535, .ts = true, .tsval = 2});
	assert_int_equal(pcb->cwnd, 12 * 1448);
	assert_int_equal(tcp_sendq(pcb), 20000 - 2896);
	assert_true(N.ev.all & TCP_EV_WRITABLE);
	int n = 0;
	struct hseg *g;
	uint32_t seq = s0 + 14480;
	while ((g = h_pop(&N))) {
		assert_int_equal(g->seq, seq);
		assert_int_equal(g->len, 1448);
		seq += g->len;
		n++;
	}
	/* 20000 - 14480 = 5520 = 3 * 1448 + 1176: the window has room for
	 * all, but Nagle holds the 1176-byte tail while data is in flight */
	assert_int_equal(n, 3);
	assert_int_equal(pcb->snd_nxt, s0 + 14480 + 3 * 1448);
	/* everything acknowledged: the tail goes, with PSH (end of the data) */
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_ACK, .seq = PISS + 1,
				   .ack = s0 + 14480 + 3 * 1448, .wnd = 65535, .ts = true, .tsval = 3});
	g = h_pop(&N);
	assert_non_null(g);
	assert_int_equal(g->len, 1176);
	assert_int_equal(g->flags, TCP_ACK | TCP_PSH);
	assert_int_equal(g->seq, s0 + 20000 - 1176);
	assert_int_equal(g->o.tsecr, 3);
}

/* Receiving: ACK = SEQ + LEN; one segment is ACKed after exactly the
 * delayed-ACK time (40 ms), two full segments at once (RFC 1122 4.2.3.2). */
static void test_delayed_ack(void **st)
{
	(void)st;
	h_params_plain(&N);
	struct tcp_pcb *pcb = h_established(&N, PISS, 65535, 1460);
	h_data(&N, PISS + 1, pcb->snd_nxt, 65535, pat, 1460, 0);
	assert_null(h_pop(&N));
	assert_int_equal(h_next_timer(&N), NB_MS(40));
	h_advance(&N, NB_MS(40) - 1);
	assert_null(h_pop(&N));
	h_advance(&N, 1);
	struct hseg *a = h_pop(&N);
	assert_non_null(a);
	assert_int_equal(a->flags, TCP_ACK);
	assert_int_equal(a->ack, PISS + 1 + 1460);
	assert_int_equal(a->len, 0);
	assert_int_equal(N.s.stats.tcp_delayed_acks, 1);
	/* two full segments: the second is ACKed at once */
	h_data(&N, PISS + 1461, pcb->snd_nxt, 65535, pat + 1460, 1460, 0);
	assert_null(h_pop(&N));
	h_data(&N, PISS + 2921, pcb->snd_nxt, 65535, pat + 2920, 1460, 0);
	a = h_pop(&N);
	assert_non_null(a);
	assert_int_equal(a->ack, PISS + 1 + 3 * 1460);
	assert_false(timer_armed(&pcb->t_delack));
	assert_int_equal(N.s.stats.tcp_delayed_acks, 1);
	/* small segments do not count as full ones */
	h_data(&N, PISS + 4381, pcb->snd_nxt, 65535, "ab", 2, 0);
	h_data(&N, PISS + 4383, pcb->snd_nxt, 65535, "cd", 2, 0);
	assert_null(h_pop(&N));
	h_advance(&N, NB_MS(40));
	assert_int_equal(h_pop(&N)->ack, PISS + 4385);
	uint8_t buf[8000];
	assert_int_equal(tcp_recv(pcb, buf, sizeof buf), 4384);
	assert_memory_equal(buf, pat, 4380);
	assert_memory_equal(buf + 4380, "abcd", 4);
	assert_int_equal(tcp_recv(pcb, buf, sizeof buf), -EAGAIN);
	/* data we send carries the ACK and cancels the delayed one */
	h_data(&N, PISS + 4385, pcb->snd_nxt, 65535, "e", 1, 0);
	assert_true(timer_armed(&pcb->t_delack));
	tcp_send(pcb, "reply", 5, true);
	struct hseg *r = h_pop(&N);
	assert_int_equal(r->ack, PISS + 4386);
	assert_int_equal(r->len, 5);
	assert_false(timer_armed(&pcb->t_delack));
}

/* RFC 1122 4.2.3.6 keep-alive (tcp.keepalive): a connection quiet for
 * that long is probed with <SEQ=SND.UNA-1> and no data; an answer starts
 * the wait over; tcp.keepalive_probes unanswered probes end it with a RST
 * and ETIMEDOUT. Off by default; never while data is in flight. */
static void test_keepalive(void **st)
{
	(void)st;
	h_params_plain(&N);
	struct tcp_pcb *off = h_established(&N, PISS, 65535, 1460);
	assert_false(timer_armed(&off->t_keep));             /* off by default */
	tcp_abort(off);
	while (h_pop(&N))
		;
	N.s.params.tcp_keepalive = NB_SEC(10);
	N.s.params.tcp_keepalive_intvl = NB_SEC(1);
	N.s.params.tcp_keepalive_probes = 3;
	struct tcp_pcb *pcb = h_established(&N, PISS, 65535, 1460);
	uint32_t una = pcb->snd_una, rcv = pcb->rcv_nxt;
	h_advance(&N, NB_SEC(10) - 1);
	assert_null(h_pop(&N));
	h_advance(&N, 1);
	struct hseg *k = h_pop(&N);
	assert_non_null(k);
	assert_int_equal(k->flags, TCP_ACK);
	assert_int_equal(k->len, 0);
	assert_int_equal(k->seq, una - 1);
	assert_int_equal(k->ack, rcv);
	assert_int_equal(N.s.stats.tcp_keepalive_probes, 1);
	/* the peer answers: quiet again for a full tcp.keepalive */
	h_advance(&N, NB_MS(200));
	h_ack(&N, rcv, una, 65535);
	h_advance(&N, NB_SEC(10) - 1);
	assert_null(h_pop(&N));
	h_advance(&N, 1);
	assert_int_equal(h_pop(&N)->seq, una - 1);
	/* data in flight: the retransmission timer's job, no probe */
	assert_int_equal(tcp_send(pcb, pat, 100, true), 100);
	assert_int_equal(h_pop(&N)->len, 100);
	h_advance(&N, NB_SEC(12));
	int resent = 0;
	for (; (k = h_pop(&N)); resent++)
		assert_int_equal(k->len, 100);               /* retransmissions only */
	assert_true(resent >= 3);
	assert_int_equal(N.s.stats.tcp_keepalive_probes, 2);
	h_ack(&N, rcv, una + 100, 65535);
	una += 100;
	/* silence: probes every second, then a RST and ETIMEDOUT */
	h_advance(&N, NB_SEC(10));
	for (int i = 0; i < 3; i++) {
		k = h_pop(&N);
		assert_non_null(k);
		assert_int_equal(k->seq, una - 1);
		assert_null(h_pop(&N));
		h_advance(&N, NB_SEC(1));
	}
	k = h_pop(&N);
	assert_non_null(k);
	assert_true(k->flags & TCP_RST);
	assert_int_equal(pcb->state, TCP_CLOSED);
	assert_int_equal(N.ev.err_at_error, -ETIMEDOUT);
	assert_int_equal(N.s.stats.tcp_keepalive_drops, 1);
}

/* tcp.delack = 0 acknowledges every segment at once. */
static void test_delack_off(void **st)
{
	(void)st;
	h_params_plain(&N);
	N.s.params.tcp_delack = 0;
	struct tcp_pcb *pcb = h_established(&N, PISS, 65535, 1460);
	h_data(&N, PISS + 1, pcb->snd_nxt, 65535, pat, 100, 0);
	struct hseg *a = h_pop(&N);
	assert_non_null(a);
	assert_int_equal(a->ack, PISS + 101);
}

/* Out-of-order segments are kept and ACKed at once (duplicate ACKs) with
 * SACK blocks, newest first (RFC 2018 4); the hole's arrival delivers all. */
static void test_out_of_order_reassembly(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = h_connect(&N, H_PEER, 80);
	struct hseg *syn = h_pop(&N);
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_SYN | TCP_ACK,
				   .seq = PISS, .ack = syn->seq + 1, .wnd = 65535, .mss = 1000,
				   .sackok = true});
	h_pop(&N);
	assert_true(pcb->sack_ok);
	uint32_t b = PISS + 1, una = pcb->snd_nxt;
	/* segments 0..4 of 1000 bytes arrive as 2, 4, 1, 3, 0 */
	h_data(&N, b + 2000, una, 65535, pat + 2000, 1000, 0);
	struct hseg *a = h_pop(&N);
	assert_int_equal(a->ack, b);
	assert_int_equal(a->o.nsack, 1);
	assert_int_equal(a->o.sack[0].start, b + 2000);
	assert_int_equal(a->o.sack[0].end, b + 3000);
	h_data(&N, b + 4000, una, 65535, pat + 4000, 1000, 0);
	a = h_pop(&N);
	assert_int_equal(a->ack, b);
	assert_int_equal(a->o.nsack, 2);
	assert_int_equal(a->o.sack[0].start, b + 4000);   /* newest first */
	assert_int_equal(a->o.sack[1].start, b + 2000);
	h_data(&N, b + 1000, una, 65535, pat + 1000, 1000, 0);
	a = h_pop(&N);
	assert_int_equal(a->ack, b);
	assert_int_equal(a->o.nsack, 2);
	assert_int_equal(a->o.sack[0].start, b + 1000);   /* merged with 2 */
	assert_int_equal(a->o.sack[0].end, b + 3000);
	assert_int_equal(a->o.sack[1].start, b + 4000);
	assert_int_equal(pcb->ooo_bytes, 3000);
	assert_int_equal(tcp_recvq(pcb), 0);
	assert_int_equal(tcp_recv(pcb, NULL, 10), -EAGAIN);
	h_data(&N, b + 3000, una, 65535, pat + 3000, 1000, 0);
	a = h_pop(&N);
	assert_int_equal(a->o.nsack, 1);
	assert_int_equal(a->o.sack[0].start, b + 1000);
	assert_int_equal(a->o.sack[0].end, b + 5000);
	h_data(&N, b, una, 65535, pat, 1000, 0);
	a = h_pop(&N);
	assert_int_equal(a->ack, b + 5000);                /* hole filled: ACK at once */
	assert_int_equal(a->o.nsack, 0);
	assert_int_equal(pcb->ooo_bytes, 0);
	assert_null(pcb->ooo);
	uint8_t buf[6000];
	assert_int_equal(tcp_recv(pcb, buf, sizeof buf), 5000);
	assert_memory_equal(buf, pat, 5000);
	assert_int_equal(N.s.stats.tcp_out_of_order, 4);
	/* overlapping retransmissions are trimmed: [4500, 6000) gives 1000 new */
	h_data(&N, b + 4500, una, 65535, pat + 4500, 1500, 0);
	h_advance(&N, NB_MS(40));
	assert_int_equal(tcp_recv(pcb, buf, sizeof buf), 1000);
	assert_memory_equal(buf, pat + 5000, 1000);
	/* a pure duplicate is ACKed at once */
	h_q_clear(&N);
	h_data(&N, b, una, 65535, pat, 1000, 0);
	a = h_pop(&N);
	assert_non_null(a);
	assert_int_equal(a->ack, b + 6000);
}

/* A FIN ahead of missing data waits for it: recv returns the data, then 0. */
static void test_fin_after_all_data(void **st)
{
	(void)st;
	h_params_plain(&N);
	struct tcp_pcb *pcb = h_established(&N, PISS, 65535, 1460);
	uint32_t b = PISS + 1, una = pcb->snd_nxt;
	h_data(&N, b + 5, una, 65535, "world", 5, TCP_FIN);
	assert_int_equal(pcb->state, TCP_ESTABLISHED);
	assert_int_equal(h_pop(&N)->ack, b);
	h_data(&N, b, una, 65535, "hello", 5, 0);
	assert_int_equal(pcb->state, TCP_CLOSE_WAIT);
	struct hseg *a = h_pop(&N);
	assert_int_equal(a->ack, b + 11);           /* 10 bytes and the FIN */
	char buf[20];
	assert_int_equal(tcp_recv(pcb, buf, sizeof buf), 10);
	assert_memory_equal(buf, "helloworld", 10);
	assert_int_equal(tcp_recv(pcb, buf, sizeof buf), 0);
	assert_int_equal(tcp_recv(pcb, buf, sizeof buf), 0);
	/* data after the FIN is impossible: ignored */
	h_data(&N, b + 11, una, 65535, "x", 1, 0);
	assert_int_equal(tcp_recvq(pcb), 0);
}

/* The receive window is the free receive buffer, scaled by our shift,
 * never shrinking; reading announces a larger window once it grew by two
 * segments (and not for a few bytes: receiver SWS avoidance). */
static void test_receive_window(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = h_connect(&N, H_PEER, 80);
	struct hseg *syn = h_pop(&N);
	assert_int_equal(syn->o.ws, 5);
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_SYN | TCP_ACK,
				   .seq = PISS, .ack = syn->seq + 1, .wnd = 65535, .mss = 1460,
				   .ws_on = true, .ws = 2});
	struct hseg *a = h_pop(&N);
	assert_int_equal(a->wnd, 32768);            /* 1 MiB >> 5 */
	uint32_t b = PISS + 1, una = pcb->snd_nxt;
	for (int i = 0; i < 10; i++)
		h_data(&N, b + 1460u * (uint32_t)i, una, 1000, pat, 1460, 0);
	/* 5 ACKs (every second segment), window shrinking with the buffer,
	 * truncated to the scale unit (RFC 7323 2.4) */
	uint32_t got = 0;
	while ((a = h_pop(&N))) {
		got++;
		uint32_t free_ = (1u << 20) - (a->ack - b);
		assert_int_equal(a->wnd, free_ >> 5);
	}
	assert_int_equal(got, 5);
	assert_int_equal(pcb->snd_wnd, 4000);       /* 1000 << 2 */
	/* read 100 bytes: no update (the edge may only move by an MSS) */
	uint8_t buf[20000];
	tcp_recv(pcb, buf, 100);
	assert_null(h_pop(&N));
	/* read 3000 more: grew by >= 2 MSS -> window update */
	tcp_recv(pcb, buf, 3000);
	a = h_pop(&N);
	assert_non_null(a);
	assert_int_equal(a->ack, b + 14600);
	assert_int_equal(a->wnd, ((1u << 20) - 14600 + 3100) >> 5);
	assert_int_equal(pcb->rcv_adv, a->ack + (uint32_t)(a->wnd << 5));
	assert_true(pcb->rcv_adv - pcb->rcv_nxt <= (1u << 20) - tcp_recvq(pcb));
}

/* A nearly spent window: a read that frees less than two segments waits
 * (the edge would move by less than the sender can use), one that frees
 * the buffer announces it at once with a window update. */
static void test_window_update_after_read(void **st)
{
	(void)st;
	h_params_plain(&N);
	N.s.params.tcp_rcvbuf = 16384;
	struct tcp_pcb *pcb = h_established(&N, PISS, 65535, 1460);
	uint32_t b = PISS + 1, una = pcb->snd_nxt;
	for (int i = 0; i < 8; i++)
		h_data(&N, b + 1460u * (uint32_t)i, una, 65535, pat, 1460, 0);
	while (h_pop(&N))
		;
	assert_int_equal(pcb->rcv_adv - pcb->rcv_nxt, 16384 - 11680);   /* 4704 left */
	uint8_t buf[20000];
	tcp_recv(pcb, buf, 2000);                   /* 2000 more: under two segments */
	assert_null(h_pop(&N));
	tcp_recv(pcb, buf, sizeof buf);             /* all: 16384 */
	struct hseg *a = h_pop(&N);
	assert_non_null(a);
	assert_int_equal(a->flags, TCP_ACK);
	assert_int_equal(a->len, 0);
	assert_int_equal(a->ack, b + 11680);
	assert_int_equal(a->wnd, 16384);
	assert_null(h_pop(&N));
}

/* Window scaling: the peer's shift (7) scales its window so more than
 * 64 KiB can be in flight; our window field is scaled by our shift. */
static void test_window_scaling_large_flight(void **st)
{
	(void)st;
	N.s.params.tcp_init_cwnd = 100;
	struct tcp_pcb *pcb = h_connect(&N, H_PEER, 80);
	struct hseg *syn = h_pop(&N);
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_SYN | TCP_ACK,
				   .seq = PISS, .ack = syn->seq + 1, .wnd = 65535, .mss = 1460,
				   .ws_on = true, .ws = 7});
	h_pop(&N);
	/* The first window after the SYN is scaled: 2000 << 7 = 256000. */
	h_ack(&N, PISS + 1, syn->seq + 1, 2000);
	assert_int_equal(pcb->snd_wnd, 256000);
	assert_int_equal(tcp_send(pcb, pat, 300000, false), 300000);
	uint32_t sent = 0;
	struct hseg *g;
	while ((g = h_pop(&N))) {
		assert_int_equal(g->wnd, (1u << 20) >> 5);
		sent += g->len;
	}
	/* cwnd 100 * 1460 = 146000 bytes (> 64 KiB) */
	assert_int_equal(sent, 146000);
	assert_int_equal(pcb->snd_max - pcb->snd_una, 146000);
	/* a bigger cwnd: the peer window (256000) becomes the limit; the
	 * 500 bytes left in it are not sent alone (sender SWS avoidance) */
	pcb->cwnd = 1u << 24;
	tcp_output(pcb);
	while ((g = h_pop(&N)))
		sent += g->len;
	assert_int_equal(sent, 175 * 1460);
	/* tcp.wscale off: no option, window capped at 65535 */
	struct hnode M;
	h_node_init(&M, "10.0.0.1", 1500, 9);
	M.s.params.tcp_wscale = 0;
	h_connect(&M, H_PEER, 80);
	syn = h_pop(&M);
	assert_false(syn->o.ws_ok);
	h_node_free(&M);
}

/* RFC 7323 2.2: the shift follows the receive buffer size. */
static void test_wscale_from_rcvbuf(void **st)
{
	(void)st;
	assert_int_equal(tcp_wscale_for(65535), 0);
	assert_int_equal(tcp_wscale_for(65536), 1);
	assert_int_equal(tcp_wscale_for(1 << 20), 5);
	assert_int_equal(tcp_wscale_for(1u << 30), 14);
	struct tcp_pcb *pcb = h_new(&N, "c");
	tcp_setopt(pcb, TCP_OPT_RCVBUF, 256 * 1024);
	tcp_bind(pcb, 0, 4000);
	tcp_connect(pcb, h_ip(H_PEER), 80);
	assert_int_equal(h_pop(&N)->o.ws, 3);
}

/* A zero window: the sender stops, the persist timer probes with one byte
 * at RTO, 2 RTO, 4 RTO ... (backoff), and data flows again once the window
 * opens. Probes do not count as retransmission timeouts. */
static void test_zero_window_persist(void **st)
{
	(void)st;
	h_params_plain(&N);
	struct tcp_pcb *pcb = h_established(&N, PISS, 65535, 1000);
	uint32_t s0 = pcb->snd_nxt;
	h_ack(&N, PISS + 1, s0, 0);                 /* window closes */
	assert_int_equal(pcb->snd_wnd, 0);
	assert_int_equal(tcp_send(pcb, pat, 3000, true), 3000);
	assert_null(h_pop(&N));
	assert_true(pcb->persist);
	nb_time_t rto = pcb->rto;                   /* 200 ms (RTT sample ~0) */
	assert_int_equal(rto, NB_MS(200));
	assert_int_equal(h_next_timer(&N), rto);
	nb_time_t gaps[] = {rto, 2 * rto, 4 * rto, 8 * rto};
	for (int i = 0; i < 4; i++) {
		h_advance(&N, gaps[i] - 1);
		assert_null(h_pop(&N));
		h_advance(&N, 1);
		struct hseg *p = h_pop(&N);
		assert_non_null(p);
		assert_int_equal(p->seq, s0);
		assert_int_equal(p->len, 1);
		assert_int_equal(p->data[0], pat[0]);
		assert_null(h_pop(&N));
		/* the peer still has no room: it ACKs with window 0 */
		h_ack(&N, PISS + 1, s0, 0);
		assert_null(h_pop(&N));
	}
	assert_int_equal(N.s.stats.tcp_zero_window_probes, 4);
	assert_int_equal(N.s.stats.tcp_rto_fires, 0);
	assert_int_equal(pcb->state, TCP_ESTABLISHED);
	/* window opens: 3 segments at once, persist over */
	h_ack(&N, PISS + 1, s0, 5000);
	assert_false(pcb->persist);
	uint32_t seq = s0;
	for (int i = 0; i < 3; i++) {
		struct hseg *g = h_pop(&N);
		assert_non_null(g);
		assert_int_equal(g->seq, seq);
		assert_int_equal(g->len, 1000);
		seq += 1000;
	}
	assert_true(timer_armed(&pcb->t_rexmt));
	assert_int_equal(h_next_timer(&N), pcb->rto);
}

/* Our side closes its window when the application does not read, and
 * reopens it with a window update once it reads. */
static void test_zero_window_receiver(void **st)
{
	(void)st;
	h_params_plain(&N);
	struct tcp_pcb *pcb = h_new(&N, "c");
	tcp_setopt(pcb, TCP_OPT_RCVBUF, 4000);
	tcp_bind(pcb, 0, 4000);
	tcp_connect(pcb, h_ip(H_PEER), 80);
	struct hseg *syn = h_pop(&N);
	assert_int_equal(syn->wnd, 4000);
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_SYN | TCP_ACK,
				   .seq = PISS, .ack = syn->seq + 1, .wnd = 65535, .mss = 1000});
	assert_int_equal(h_pop(&N)->wnd, 4000);
	uint32_t b = PISS + 1, una = pcb->snd_nxt;
	for (int i = 0; i < 4; i++)
		h_data(&N, b + 1000u * (uint32_t)i, una, 65535, pat, 1000, 0);
	struct hseg *a = h_pop(&N);
	assert_int_equal(a->wnd, 2000);
	a = h_pop(&N);
	assert_int_equal(a->ack, b + 4000);
	assert_int_equal(a->wnd, 0);
	/* a probe beyond the window: not accepted, ACKed with window 0 */
	h_data(&N, b + 4000, una, 65535, "z", 1, 0);
	a = h_pop(&N);
	assert_int_equal(a->ack, b + 4000);
	assert_int_equal(a->wnd, 0);
	assert_int_equal(tcp_recvq(pcb), 4000);
	/* reading 500 bytes: less than an MSS, the window stays shut */
	uint8_t buf[4000];
	tcp_recv(pcb, buf, 500);
	assert_null(h_pop(&N));
	/* reading 1000 in all reopens it by an MSS or more: update */
	tcp_recv(pcb, buf, 500);
	a = h_pop(&N);
	assert_non_null(a);
	assert_int_equal(a->wnd, 1000);
	/* the receiver keeps accepting an ACK on a zero window segment */
}

/* Nagle on: while data is unacknowledged, small writes wait and coalesce;
 * the ACK releases them as one segment. */
static void test_nagle_coalesces(void **st)
{
	(void)st;
	h_params_plain(&N);
	struct tcp_pcb *pcb = h_established(&N, PISS, 65535, 1460);
	uint32_t s0 = pcb->snd_nxt;
	tcp_send(pcb, "a", 1, false);
	struct hseg *g = h_pop(&N);                 /* idle: goes at once */
	assert_int_equal(g->len, 1);
	tcp_send(pcb, "b", 1, false);
	tcp_send(pcb, "c", 1, false);
	tcp_send(pcb, "d", 1, false);
	assert_null(h_pop(&N));                     /* 'a' is unacknowledged */
	h_ack(&N, PISS + 1, s0 + 1, 65535);
	g = h_pop(&N);
	assert_non_null(g);
	assert_int_equal(g->seq, s0 + 1);
	assert_int_equal(g->len, 3);
	assert_memory_equal(g->data, "bcd", 3);
	assert_null(h_pop(&N));
	/* a full segment is never held */
	tcp_send(pcb, pat, 1460, false);
	g = h_pop(&N);
	assert_int_equal(g->len, 1460);
}

/* Nagle off (nodelay) and push: small writes go at once. */
static void test_nodelay_and_push(void **st)
{
	(void)st;
	h_params_plain(&N);
	struct tcp_pcb *pcb = h_established(&N, PISS, 65535, 1460);
	uint32_t s0 = pcb->snd_nxt;
	tcp_send(pcb, "a", 1, false);
	h_pop(&N);
	tcp_send(pcb, "b", 1, true);                /* push overrides Nagle */
	struct hseg *g = h_pop(&N);
	assert_non_null(g);
	assert_int_equal(g->seq, s0 + 1);
	assert_int_equal(g->flags, TCP_ACK | TCP_PSH);
	tcp_send(pcb, "c", 1, false);
	assert_null(h_pop(&N));
	assert_int_equal(tcp_setopt(pcb, TCP_OPT_NODELAY, 1), 0);
	g = h_pop(&N);                              /* setting NODELAY flushes */
	assert_non_null(g);
	assert_int_equal(g->seq, s0 + 2);
	tcp_send(pcb, "d", 1, false);
	tcp_send(pcb, "e", 1, false);
	assert_int_equal(h_pop(&N)->seq, s0 + 3);
	assert_int_equal(h_pop(&N)->seq, s0 + 4);
	/* tcp.nagle off as the stack default */
	N.s.params.tcp_nagle = 0;
	struct tcp_pcb *p2 = h_new(&N, "x");
	assert_true(p2->nodelay);
	tcp_close(p2);
}

/* The send buffer is bounded by tcp.sndbuf: a write takes what fits, then
 * -EAGAIN; ACKs make room and tell the owner (WRITABLE). */
static void test_send_buffer_limit(void **st)
{
	(void)st;
	h_params_plain(&N);
	N.s.params.tcp_sndbuf = 4096;
	struct tcp_pcb *pcb = h_established(&N, PISS, 1000, 1000);
	assert_int_equal(tcp_send_space(pcb), 4096);
	assert_int_equal(tcp_send(pcb, pat, 10000, false), 4096);
	assert_int_equal(tcp_send(pcb, pat, 10, false), -EAGAIN);
	assert_int_equal(tcp_send_space(pcb), 0);
	struct hseg *g = h_pop(&N);                 /* the peer's window: 1000 */
	assert_int_equal(g->len, 1000);
	assert_null(h_pop(&N));
	N.ev.all = 0;
	h_ack(&N, PISS + 1, g->seq + 1000, 1000);
	assert_true(N.ev.all & TCP_EV_WRITABLE);
	assert_int_equal(tcp_send_space(pcb), 1000);
	assert_int_equal(tcp_sendq(pcb), 3096);
}

/* Half-close: after shutdown(SHUT_WR) the FIN follows the queued data;
 * the peer may keep sending, we keep receiving; send is -EPIPE. */
static void test_half_close(void **st)
{
	(void)st;
	h_params_plain(&N);
	struct tcp_pcb *pcb = h_established(&N, PISS, 65535, 1460);
	uint32_t s0 = pcb->snd_nxt;
	tcp_send(pcb, "request", 7, false);
	h_pop(&N);
	assert_int_equal(tcp_shutdown(pcb, SHUT_WR), 0);
	assert_int_equal(pcb->state, TCP_FIN_WAIT_1);
	/* 'request' is unacknowledged, but a FIN is not held by Nagle */
	struct hseg *f = h_pop(&N);
	assert_non_null(f);
	assert_int_equal(f->flags, TCP_ACK | TCP_FIN);
	assert_int_equal(f->seq, s0 + 7);
	assert_int_equal(f->len, 0);
	assert_int_equal(tcp_send(pcb, "x", 1, false), -EPIPE);
	h_ack(&N, PISS + 1, s0 + 8, 65535);
	assert_int_equal(pcb->state, TCP_FIN_WAIT_2);
	/* the response still arrives */
	h_data(&N, PISS + 1, s0 + 8, 65535, "response", 8, TCP_PSH);
	char buf[16];
	assert_int_equal(tcp_recv(pcb, buf, sizeof buf), 8);
	assert_memory_equal(buf, "response", 8);
	assert_int_equal(tcp_recv(pcb, buf, sizeof buf), -EAGAIN);
	h_data(&N, PISS + 9, s0 + 8, 65535, NULL, 0, TCP_FIN);
	assert_int_equal(pcb->state, TCP_TIME_WAIT);
	assert_int_equal(tcp_recv(pcb, buf, sizeof buf), 0);
	struct hseg *a = h_q_last(&N);
	assert_int_equal(a->ack, PISS + 10);
}

/* The peer half-closes: we see EOF and may keep sending (CLOSE_WAIT). */
static void test_peer_half_close(void **st)
{
	(void)st;
	h_params_plain(&N);
	struct tcp_pcb *pcb = h_established(&N, PISS, 65535, 1460);
	uint32_t s0 = pcb->snd_nxt;
	h_data(&N, PISS + 1, s0, 65535, "q", 1, TCP_FIN);
	assert_int_equal(pcb->state, TCP_CLOSE_WAIT);
	struct hseg *a = h_pop(&N);
	assert_int_equal(a->ack, PISS + 3);
	char c;
	assert_int_equal(tcp_recv(pcb, &c, 1), 1);
	assert_int_equal(tcp_recv(pcb, &c, 1), 0);
	assert_true(N.ev.all & TCP_EV_READABLE);
	assert_int_equal(tcp_send(pcb, pat, 3000, true), 3000);
	assert_int_equal(h_pop(&N)->len, 1460);
	assert_int_equal(h_pop(&N)->len, 1460);
	assert_int_equal(h_pop(&N)->len, 80);
	tcp_close(pcb);
	assert_int_equal(pcb->state, TCP_LAST_ACK);
	struct hseg *f = h_pop(&N);
	assert_int_equal(f->flags, TCP_ACK | TCP_FIN);
	assert_int_equal(f->seq, s0 + 3000);
	h_ack(&N, PISS + 3, s0 + 3001, 65535);
	assert_int_equal(N.s.tcp->npcbs, 0);        /* LAST_ACK -> CLOSED, freed */
}

/* Segments outside the window are answered with an ACK and dropped; text
 * beyond the right edge is trimmed. */
static void test_outside_window(void **st)
{
	(void)st;
	h_params_plain(&N);
	struct tcp_pcb *pcb = h_new(&N, "c");
	tcp_setopt(pcb, TCP_OPT_RCVBUF, 2000);
	tcp_bind(pcb, 0, 4000);
	tcp_connect(pcb, h_ip(H_PEER), 80);
	struct hseg *syn = h_pop(&N);
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_SYN | TCP_ACK,
				   .seq = PISS, .ack = syn->seq + 1, .wnd = 65535, .mss = 1000});
	h_pop(&N);
	uint32_t b = PISS + 1, una = pcb->snd_nxt;
	h_data(&N, b + 5000, una, 65535, pat, 10, 0);
	struct hseg *a = h_pop(&N);
	assert_int_equal(a->ack, b);
	assert_int_equal(N.s.stats.tcp_outside_window, 1);
	/* Old data (a retransmission whose ACK was lost) is always answered,
	 * however soon: the duplicate ACK stops the resending (as Linux). */
	h_data(&N, b - 100, una, 65535, pat, 10, 0);
	assert_int_equal(h_pop(&N)->ack, b);
	h_data(&N, b - 100, una, 65535, pat, 10, 0);
	assert_int_equal(h_pop(&N)->ack, b);
	assert_int_equal(N.s.stats.tcp_invalid_acks_limited, 0);
	/* RFC 5961 7: an invalid segment without data within
	 * tcp.invalid_ratelimit of the last such ACK draws none (counted);
	 * after it, one again. */
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_ACK, .seq = b - 100, .ack = una,
				   .wnd = 65535});
	assert_null(h_pop(&N));
	assert_int_equal(N.s.stats.tcp_invalid_acks_limited, 1);
	h_advance(&N, N.s.params.tcp_invalid_ratelimit);
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_ACK, .seq = b - 100, .ack = una,
				   .wnd = 65535});
	assert_int_equal(h_pop(&N)->ack, b);
	/* 2500 bytes offered into a 2000 byte window: 2000 kept */
	h_data(&N, b, una, 65535, pat, 2500, 0);
	a = h_pop(&N);
	assert_int_equal(a->ack, b + 2000);
	assert_int_equal(a->wnd, 0);
	assert_int_equal(tcp_recvq(pcb), 2000);
}

/* SHUT_RD: reads return 0; arriving data is acknowledged and discarded. */
static void test_shutdown_read(void **st)
{
	(void)st;
	h_params_plain(&N);
	struct tcp_pcb *pcb = h_established(&N, PISS, 65535, 1460);
	h_data(&N, PISS + 1, pcb->snd_nxt, 65535, "abc", 3, 0);
	assert_int_equal(tcp_shutdown(pcb, SHUT_RD), 0);
	char buf[4];
	assert_int_equal(tcp_recv(pcb, buf, 4), 0);
	h_data(&N, PISS + 4, pcb->snd_nxt, 65535, "def", 3, 0);
	assert_int_equal(tcp_recvq(pcb), 0);
	assert_int_equal(pcb->rcv_nxt, PISS + 7);
	assert_int_equal(tcp_shutdown(pcb, 7), -EINVAL);
}

/* RFC 7323: TSecr echoes the peer's latest TSval (TS.Recent, updated only
 * by segments at or before Last.ACK.sent); PAWS drops a segment whose
 * TSval is older than TS.Recent and ACKs it. */
static void test_timestamps_paws(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = h_connect(&N, H_PEER, 80);
	struct hseg *syn = h_pop(&N);
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_SYN | TCP_ACK,
				   .seq = PISS, .ack = syn->seq + 1, .wnd = 65535, .mss = 1460,
				   .ts = true, .tsval = 1000, .tsecr = syn->o.tsval});
	assert_int_equal(h_pop(&N)->o.tsecr, 1000);
	uint32_t b = PISS + 1, una = pcb->snd_nxt;
	struct hin d = {.sport = 80, .dport = 4000, .flags = TCP_ACK, .seq = b, .ack = una,
			.wnd = 65535, .data = "abcd", .len = 4, .ts = true, .tsval = 1005};
	h_inject(&N, &d);
	assert_int_equal(pcb->ts_recent, 1005);
	/* an old duplicate with an older TSval: dropped (PAWS), ACKed */
	d.seq = b + 4;
	d.tsval = 900;
	h_inject(&N, &d);
	assert_int_equal(N.s.stats.tcp_paws_dropped, 1);
	assert_int_equal(tcp_recvq(pcb), 4);
	struct hseg *a = h_pop(&N);
	assert_non_null(a);
	assert_int_equal(a->ack, b + 4);
	assert_int_equal(a->o.tsecr, 1005);
	/* a stale pure ACK that changes the window: dropped, not answered */
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_ACK, .seq = b + 4,
				   .ack = una, .wnd = 1000, .ts = true, .tsval = 900});
	assert_int_equal(N.s.stats.tcp_paws_dropped, 2);
	assert_null(h_pop(&N));
	/* a reordered duplicate ACK (same window, within an RTO): accepted */
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_ACK, .seq = b + 4,
				   .ack = una, .wnd = 65535, .ts = true, .tsval = 1004});
	assert_int_equal(N.s.stats.tcp_paws_dropped, 2);
	/* a segment ahead of Last.ACK.sent does not update TS.Recent */
	d.seq = b + 100;
	d.tsval = 2000;
	h_inject(&N, &d);
	assert_int_equal(pcb->ts_recent, 1005);
	/* our TSval follows our clock in ms (plus a random offset) */
	uint32_t v0 = h_pop(&N)->o.tsval;
	h_advance(&N, NB_MS(250));
	tcp_send(pcb, "x", 1, true);
	assert_int_equal(h_q_last(&N)->o.tsval - v0, 250);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_segmentation_with_timestamps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delayed_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delack_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keepalive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_order_reassembly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fin_after_all_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receive_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_update_after_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_scaling_large_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wscale_from_rcvbuf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_window_persist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_window_receiver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nagle_coalesces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nodelay_and_push, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_buffer_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_half_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_half_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outside_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timestamps_paws, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
