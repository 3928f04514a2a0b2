/* test_node_tcp_loss.c: loss recovery: the RFC 6298 retransmission timer
 * (SRTT/RTTVAR, backoff, Karn), giving up after tcp.retries, RFC 5681 fast
 * retransmit, RFC 6582 NewReno partial ACKs, the SACK scoreboard and PMTU
 * discovery.
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
	h_params_plain(&N);
	for (size_t i = 0; i < sizeof pat; i++)
		pat[i] = (uint8_t)(i * 13 + 1);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	h_node_free(&N);
	return 0;
}

#define PISS 1000u
#define MSS 1000u

/* Established with a measured RTT of 100 ms: SRTT 100 ms, RTTVAR 50 ms,
 * RTO = 100 + 4 * 50 = 300 ms. */
static struct tcp_pcb *est_rtt100(void)
{
	struct tcp_pcb *pcb = h_connect(&N, H_PEER, 80);
	struct hseg *syn = h_pop(&N);
	h_advance(&N, NB_MS(100));
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_SYN | TCP_ACK,
				   .seq = PISS, .ack = syn->seq + 1, .wnd = 65535, .mss = MSS});
	h_pop(&N);
	return pcb;
}

/* RFC 6298: RTO from the first sample, doubling on each expiry (5.5), and
 * Karn: the ACK of a retransmitted segment gives no sample and the
 * backed-off RTO stays until a fresh segment is timed. */
static void test_rto_backoff_and_karn(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = est_rtt100();
	assert_int_equal(pcb->srtt, NB_MS(100));
	assert_int_equal(pcb->rttvar, NB_MS(50));
	assert_int_equal(pcb->rto, NB_MS(300));
	uint32_t s0 = pcb->snd_nxt;
	nb_time_t t0 = N.s.now;
	tcp_send(pcb, pat, 100, true);
	assert_int_equal(h_pop(&N)->t, t0);
	assert_int_equal(h_next_timer(&N), NB_MS(300));
	/* expiries at 300 ms and 300 + 600 ms */
	h_advance(&N, NB_MS(300));
	struct hseg *r1 = h_pop(&N);
	assert_non_null(r1);
	assert_int_equal(r1->seq, s0);
	assert_int_equal(r1->len, 100);
	assert_int_equal(r1->t - t0, NB_MS(300));
	assert_int_equal(pcb->rto, NB_MS(600));
	assert_int_equal(pcb->backoff, 1);
	h_advance(&N, NB_MS(600) - 1);
	assert_null(h_pop(&N));
	h_advance(&N, 1);
	struct hseg *r2 = h_pop(&N);
	assert_int_equal(r2->t - t0, NB_MS(900));
	assert_int_equal(pcb->rto, NB_MS(1200));
	assert_int_equal(N.s.stats.tcp_rto_fires, 2);
	assert_int_equal(N.s.stats.tcp_retransmits, 2);
	assert_int_equal(pcb->retransmits, 2);
	/* the ACK comes 50 ms after the second retransmission: ambiguous,
	 * Karn says no sample; RTO keeps its backed-off value */
	h_advance(&N, NB_MS(50));
	h_ack(&N, PISS + 1, s0 + 100, 65535);
	assert_int_equal(pcb->srtt, NB_MS(100));
	assert_int_equal(pcb->rttvar, NB_MS(50));
	assert_int_equal(pcb->rto, NB_MS(1200));
	assert_int_equal(pcb->backoff, 0);
	assert_false(timer_armed(&pcb->t_rexmt));
	/* new data, acknowledged after 100 ms: a valid sample
	 * RTTVAR = 3/4 * 50 + 1/4 * |100 - 100| = 37.5, SRTT = 100,
	 * RTO = 100 + 4 * 37.5 = 250 ms */
	tcp_send(pcb, pat, 100, true);
	h_pop(&N);
	assert_int_equal(h_next_timer(&N), NB_MS(1200));
	h_advance(&N, NB_MS(100));
	h_ack(&N, PISS + 1, s0 + 200, 65535);
	assert_int_equal(pcb->srtt, NB_MS(100));
	assert_int_equal(pcb->rttvar, NB_US(37500));
	assert_int_equal(pcb->rto, NB_MS(250));
}

/* RFC 6298 2.3: a second sample of 200 ms: RTTVAR = 3/4*50 + 1/4*100 =
 * 62.5, SRTT = 7/8*100 + 1/8*200 = 112.5, RTO = 112.5 + 250 = 362.5 ms;
 * and tcp.rto_min bounds it from below. */
static void test_rtt_estimator(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = est_rtt100();
	uint32_t s0 = pcb->snd_nxt;
	tcp_send(pcb, pat, 10, true);
	h_pop(&N);
	h_advance(&N, NB_MS(200));
	h_ack(&N, PISS + 1, s0 + 10, 65535);
	assert_int_equal(pcb->rttvar, NB_US(62500));
	assert_int_equal(pcb->srtt, NB_US(112500));
	assert_int_equal(pcb->rto, NB_US(362500));
	/* only one segment is timed at a time: a second segment sent while the
	 * first is timed is not; the sample comes from the first */
	tcp_send(pcb, pat, 10, true);
	h_pop(&N);
	assert_true(pcb->rtt_timing);
	uint32_t timed = pcb->rtt_seq;
	assert_int_equal(timed, s0 + 10);
	tcp_send(pcb, pat, 10, false);
	assert_null(h_pop(&N));                          /* Nagle: 10 bytes out */
	assert_int_equal(pcb->rtt_seq, timed);
	/* fast path to a tiny RTT: RTO floors at tcp.rto_min (200 ms) */
	for (int i = 0; i < 30; i++) {
		h_advance(&N, NB_US(10));
		h_ack(&N, PISS + 1, pcb->snd_max, 65535);
		h_q_clear(&N);
		tcp_send(pcb, pat, 10, true);
		h_q_clear(&N);
	}
	assert_int_equal(pcb->rto, N.s.params.tcp_rto_min);
}

/* After tcp.retries consecutive timeouts the connection fails with
 * ETIMEDOUT, or with the soft ICMP error seen meanwhile. */
static void test_data_retries_timeout(void **st)
{
	(void)st;
	N.s.params.tcp_retries = 3;
	struct tcp_pcb *pcb = est_rtt100();
	nb_time_t t0 = N.s.now;
	tcp_send(pcb, pat, 100, true);
	h_pop(&N);
	/* retransmissions at 300, 900, 2100 ms; failure at 4500 ms */
	nb_time_t at[] = {300, 900, 2100};
	for (int i = 0; i < 3; i++) {
		h_advance(&N, t0 + NB_MS(at[i]) - N.s.now);
		struct hseg *g = h_pop(&N);
		assert_non_null(g);
		assert_int_equal(g->t - t0, NB_MS(at[i]));
	}
	h_advance(&N, t0 + NB_MS(4500) - N.s.now - 1);
	assert_int_equal(pcb->state, TCP_ESTABLISHED);
	h_advance(&N, 1);
	assert_int_equal(pcb->state, TCP_CLOSED);
	assert_int_equal(N.ev.err_at_error, -ETIMEDOUT);
	assert_int_equal(N.s.stats.tcp_timeouts, 1);
	assert_null(h_pop(&N));
	tcp_close(pcb);

	/* a soft error (host unreachable) is what the owner hears */
	memset(&N.ev, 0, sizeof N.ev);
	pcb = h_new(&N, "c2");
	tcp_bind(pcb, 0, 4001);
	tcp_connect(pcb, h_ip(H_PEER), 80);
	struct hseg *syn = h_pop(&N);
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4001, .flags = TCP_SYN | TCP_ACK,
				   .seq = PISS, .ack = syn->seq + 1, .wnd = 65535, .mss = MSS});
	h_q_clear(&N);
	tcp_send(pcb, pat, 100, true);
	struct hseg *d = h_pop(&N);
	tcp_ctlinput(&N.s, -EHOSTUNREACH, N.addr, h_ip(H_PEER), d->raw, 8, 0);
	assert_int_equal(pcb->state, TCP_ESTABLISHED);
	h_advance(&N, NB_SEC(100));
	assert_int_equal(pcb->state, TCP_CLOSED);
	assert_int_equal(N.ev.err_at_error, -EHOSTUNREACH);
	tcp_close(pcb);
}

/* After an RTO: cwnd = 1 SMSS, ssthresh = FlightSize/2, go-back-N from
 * SND.UNA growing by slow start (RFC 5681 3.1, 4.3). */
static void test_rto_congestion_response(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = est_rtt100();
	uint32_t s0 = pcb->snd_nxt;
	tcp_send(pcb, pat, 10 * MSS, false);
	for (int i = 0; i < 10; i++)
		h_pop(&N);
	h_advance(&N, pcb->rto);
	assert_int_equal(pcb->cwnd, MSS);
	assert_int_equal(pcb->ssthresh, 5 * MSS);
	struct hseg *g = h_pop(&N);
	assert_int_equal(g->seq, s0);
	assert_null(h_pop(&N));                          /* one segment */
	/* ACK of the first: cwnd 2 SMSS: the next two go (already sent once) */
	h_ack(&N, PISS + 1, s0 + MSS, 65535);
	assert_int_equal(pcb->cwnd, 2 * MSS);
	assert_int_equal(h_pop(&N)->seq, s0 + MSS);
	assert_int_equal(h_pop(&N)->seq, s0 + 2 * MSS);
	assert_null(h_pop(&N));
	assert_int_equal(N.s.stats.tcp_retransmits, 3);
	/* the rest was received after all: one ACK covers everything */
	h_ack(&N, PISS + 1, s0 + 10 * MSS, 65535);
	assert_int_equal(pcb->snd_una, s0 + 10 * MSS);
	assert_int_equal(pcb->snd_nxt, s0 + 10 * MSS);
	assert_false(timer_armed(&pcb->t_rexmt));
}

/* Sends the initial window of 10 segments; returns the first sequence. */
static uint32_t send_iw(struct tcp_pcb *pcb, uint32_t extra)
{
	uint32_t s0 = pcb->snd_nxt;
	tcp_send(pcb, pat, 10 * MSS + extra, false);
	for (int i = 0; i < 10; i++) {
		struct hseg *g = h_pop(&N);
		assert_non_null(g);
		assert_int_equal(g->seq, s0 + MSS * (uint32_t)i);
	}
	assert_null(h_pop(&N));
	return s0;
}

/* Three duplicate ACKs: fast retransmit of SND.UNA at once (RFC 5681 3.2);
 * the first two each let one new segment out (RFC 3042 Limited Transmit);
 * ssthresh = FlightSize/2, cwnd = ssthresh + 3 SMSS, inflation by one SMSS
 * per further duplicate, and the full ACK deflates the window. */
static void test_fast_retransmit(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = est_rtt100();
	uint32_t s0 = send_iw(pcb, 20 * MSS);
	assert_int_equal(pcb->cwnd, 10 * MSS);
	/* segment 0 lost; segments 1.. produce duplicate ACKs */
	h_ack(&N, PISS + 1, s0, 65535);
	struct hseg *lt = h_pop(&N);
	assert_non_null(lt);
	assert_int_equal(lt->seq, s0 + 10 * MSS);        /* limited transmit */
	assert_null(h_pop(&N));
	h_ack(&N, PISS + 1, s0, 65535);
	lt = h_pop(&N);
	assert_non_null(lt);
	assert_int_equal(lt->seq, s0 + 11 * MSS);
	assert_null(h_pop(&N));
	assert_int_equal(pcb->cwnd, 10 * MSS);           /* unchanged by it */
	assert_int_equal(pcb->dupacks, 2);
	h_ack(&N, PISS + 1, s0, 65535);
	struct hseg *r = h_pop(&N);
	assert_non_null(r);
	assert_int_equal(r->seq, s0);
	assert_int_equal(r->len, MSS);
	assert_null(h_pop(&N));
	assert_int_equal(N.s.stats.tcp_fast_retransmits, 1);
	assert_int_equal(N.s.stats.tcp_dup_acks, 3);
	assert_true(pcb->in_recovery);
	assert_int_equal(pcb->ssthresh, 6 * MSS);        /* FlightSize 12 / 2 */
	assert_int_equal(pcb->cwnd, 9 * MSS);
	assert_int_equal(pcb->recover, s0 + 12 * MSS);
	/* 4th..6th duplicates: cwnd 10, 11, 12 SMSS = FlightSize: nothing;
	 * the 7th (13 SMSS) lets one new segment out */
	for (int i = 0; i < 3; i++)
		h_ack(&N, PISS + 1, s0, 65535);
	assert_null(h_pop(&N));
	assert_int_equal(pcb->cwnd, 12 * MSS);
	h_ack(&N, PISS + 1, s0, 65535);
	struct hseg *nw = h_pop(&N);
	assert_non_null(nw);
	assert_int_equal(nw->seq, s0 + 12 * MSS);
	assert_null(h_pop(&N));
	/* full ACK (covers recover): cwnd = min(ssthresh, FlightSize + SMSS) */
	h_ack(&N, PISS + 1, s0 + 12 * MSS, 65535);
	assert_false(pcb->in_recovery);
	assert_int_equal(pcb->cwnd, 2 * MSS);            /* FlightSize 1 SMSS + 1 */
	assert_int_equal(h_pop(&N)->seq, s0 + 13 * MSS);
	assert_null(h_pop(&N));
	assert_int_equal(N.s.stats.tcp_rto_fires, 0);
}

/* Small windows: three segments out, the first lost. With new data queued,
 * Limited Transmit draws the third duplicate; with none (a tail),
 * RFC 5827 Early Retransmit lowers the threshold to outstanding - 1 = 2.
 * Either way: a fast retransmit, no timeout. */
static void test_small_window_recovery(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = est_rtt100();
	pcb->cwnd = 3 * MSS;
	uint32_t s0 = pcb->snd_nxt;
	tcp_send(pcb, pat, 10 * MSS, false);
	for (int i = 0; i < 3; i++)
		assert_int_equal(h_pop(&N)->seq, s0 + MSS * (uint32_t)i);
	assert_null(h_pop(&N));
	h_ack(&N, PISS + 1, s0, 65535);
	assert_int_equal(h_pop(&N)->seq, s0 + 3 * MSS);
	h_ack(&N, PISS + 1, s0, 65535);
	assert_int_equal(h_pop(&N)->seq, s0 + 4 * MSS);
	h_ack(&N, PISS + 1, s0, 65535);
	assert_int_equal(h_pop(&N)->seq, s0);           /* fast retransmit */
	assert_int_equal(N.s.stats.tcp_fast_retransmits, 1);
	tcp_abort(pcb);
	h_q_clear(&N);

	/* a tail: 3 segments, nothing more to send */
	memset(&N.s.stats, 0, sizeof N.s.stats);
	pcb = h_new(&N, "c2");
	tcp_bind(pcb, 0, 4001);
	tcp_connect(pcb, h_ip(H_PEER), 80);
	struct hseg *syn = h_pop(&N);
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4001, .flags = TCP_SYN | TCP_ACK,
				   .seq = PISS, .ack = syn->seq + 1, .wnd = 65535, .mss = MSS});
	h_q_clear(&N);
	s0 = pcb->snd_nxt;
	tcp_send(pcb, pat, 3 * MSS, true);
	h_q_clear(&N);
	struct hin a = {.sport = 80, .dport = 4001, .flags = TCP_ACK, .seq = PISS + 1, .ack = s0,
			.wnd = 65535};
	h_inject(&N, &a);
	assert_null(h_pop(&N));
	h_inject(&N, &a);
	struct hseg *r = h_pop(&N);
	assert_non_null(r);
	assert_int_equal(r->seq, s0);
	assert_int_equal(N.s.stats.tcp_fast_retransmits, 1);
	assert_int_equal(N.s.stats.tcp_rto_fires, 0);
}

/* What is not a duplicate ACK (RFC 5681 2): one carrying data, one that
 * changes the window, one when nothing is outstanding. */
static void test_not_duplicate_acks(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = est_rtt100();
	uint32_t s0 = send_iw(pcb, 0);
	h_ack(&N, PISS + 1, s0, 60000);
	h_ack(&N, PISS + 1, s0, 50000);
	h_ack(&N, PISS + 1, s0, 40000);
	assert_int_equal(pcb->dupacks, 0);
	h_data(&N, PISS + 1, s0, 40000, "a", 1, 0);
	h_data(&N, PISS + 2, s0, 40000, "b", 1, 0);
	h_data(&N, PISS + 3, s0, 40000, "c", 1, 0);
	assert_int_equal(pcb->dupacks, 0);
	assert_int_equal(N.s.stats.tcp_fast_retransmits, 0);
}

/* RFC 6582 NewReno: segments 0 and 5 lost. Three duplicates resend 0; the
 * partial ACK (up to 5) resends 5 at once and stays in recovery, deflating
 * cwnd by the amount acknowledged (+ SMSS); the ACK past recover ends it. */
static void test_newreno_partial_ack(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = est_rtt100();
	uint32_t s0 = send_iw(pcb, 0);
	for (int i = 0; i < 3; i++)
		h_ack(&N, PISS + 1, s0, 65535);
	assert_int_equal(h_pop(&N)->seq, s0);
	assert_true(pcb->in_recovery);
	assert_int_equal(pcb->cwnd, 8 * MSS);
	/* more duplicates from segments 2..4, 6..9 (7 more): cwnd 15 SMSS */
	for (int i = 0; i < 5; i++)
		h_ack(&N, PISS + 1, s0, 65535);
	assert_null(h_pop(&N));                          /* no new data queued */
	assert_int_equal(pcb->cwnd, 13 * MSS);
	h_advance(&N, NB_MS(50));
	/* the retransmitted 0 arrives: ACK up to 5 (partial) */
	h_ack(&N, PISS + 1, s0 + 5 * MSS, 65535);
	struct hseg *r = h_pop(&N);
	assert_non_null(r);
	assert_int_equal(r->seq, s0 + 5 * MSS);
	assert_int_equal(r->len, MSS);
	assert_true(pcb->in_recovery);
	/* deflate by 5 SMSS acknowledged, add back one: 13 - 5 + 1 = 9 */
	assert_int_equal(pcb->cwnd, 9 * MSS);
	/* the first partial ACK restarted the timer */
	assert_int_equal(h_next_timer(&N), pcb->rto);
	/* a full ACK */
	h_ack(&N, PISS + 1, s0 + 10 * MSS, 65535);
	assert_false(pcb->in_recovery);
	/* cwnd = min(ssthresh 5, max(FlightSize 0, 1) + 1) SMSS */
	assert_int_equal(pcb->cwnd, 2 * MSS);
	assert_int_equal(N.s.stats.tcp_fast_retransmits, 1);
	assert_int_equal(N.s.stats.tcp_retransmits, 2);
	assert_int_equal(N.s.stats.tcp_rto_fires, 0);
}

/* After an RTO, duplicate ACKs for data sent before it do not trigger a
 * fast retransmit (RFC 6582 4: recover = SND.MAX at the timeout). */
static void test_no_fast_retransmit_after_rto(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = est_rtt100();
	uint32_t s0 = send_iw(pcb, 0);
	h_advance(&N, pcb->rto);
	h_q_clear(&N);
	assert_int_equal(pcb->recover, s0 + 10 * MSS);
	h_ack(&N, PISS + 1, s0 + MSS, 65535);
	h_q_clear(&N);
	for (int i = 0; i < 4; i++)
		h_ack(&N, PISS + 1, s0 + MSS, 65535);
	assert_int_equal(N.s.stats.tcp_fast_retransmits, 0);
	assert_false(pcb->in_recovery);
}

/* SACK: the scoreboard keeps retransmissions off data the peer holds.
 * Lost: 0, 3 and 7 of 10. The third duplicate resends 0; a hole is resent
 * from duplicates once RFC 6675 IsLost holds (more than 2 SMSS SACKed
 * above it), the last hole when a partial ACK reaches it; nothing SACKed
 * is ever sent again. */
static void test_sack_recovery(void **st)
{
	(void)st;
	N.s.params.tcp_sack = 1;
	struct tcp_pcb *pcb = h_connect(&N, H_PEER, 80);
	struct hseg *syn = h_pop(&N);
	assert_true(syn->o.sack_perm);
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_SYN | TCP_ACK,
				   .seq = PISS, .ack = syn->seq + 1, .wnd = 65535, .mss = MSS,
				   .sackok = true});
	h_pop(&N);
	assert_true(pcb->sack_ok);
	uint32_t s0 = send_iw(pcb, 0);
	struct hin a = {.sport = 80, .dport = 4000, .flags = TCP_ACK, .seq = PISS + 1, .ack = s0,
			.wnd = 65535, .nsack = 1};
#define SEG(i) (s0 + (uint32_t)(i) * MSS)
	/* 1, 2 arrive */
	a.sack[0] = (struct tcp_sack_blk){SEG(1), SEG(2)};
	h_inject(&N, &a);
	a.sack[0] = (struct tcp_sack_blk){SEG(1), SEG(3)};
	h_inject(&N, &a);
	assert_null(h_pop(&N));
	/* 4: third duplicate: fast retransmit of 0 */
	a.nsack = 2;
	a.sack[0] = (struct tcp_sack_blk){SEG(4), SEG(5)};
	a.sack[1] = (struct tcp_sack_blk){SEG(1), SEG(3)};
	h_inject(&N, &a);
	assert_int_equal(h_pop(&N)->seq, SEG(0));
	assert_null(h_pop(&N));
	assert_int_equal(pcb->nscore, 2);
	/* 5: only 2 SMSS above the hole at 3: could be reordering: wait */
	a.sack[0] = (struct tcp_sack_blk){SEG(4), SEG(6)};
	h_inject(&N, &a);
	assert_null(h_pop(&N));
	/* 6: 3 SMSS above it: 3 is lost: resent */
	a.sack[0] = (struct tcp_sack_blk){SEG(4), SEG(7)};
	h_inject(&N, &a);
	struct hseg *r = h_pop(&N);
	assert_non_null(r);
	assert_int_equal(r->seq, SEG(3));
	assert_null(h_pop(&N));
	assert_int_equal(N.s.stats.tcp_sack_rexmits, 1);
	/* 8, 9: 2 SMSS above 7: not yet */
	a.nsack = 3;
	a.sack[0] = (struct tcp_sack_blk){SEG(8), SEG(10)};
	a.sack[1] = (struct tcp_sack_blk){SEG(4), SEG(7)};
	a.sack[2] = (struct tcp_sack_blk){SEG(1), SEG(3)};
	h_inject(&N, &a);
	assert_null(h_pop(&N));
	/* 0 arrives: partial ACK to 3, which was already resent; 7 is not yet
	 * deemed lost: nothing goes */
	a.ack = SEG(3);
	a.nsack = 2;
	h_inject(&N, &a);
	assert_true(pcb->in_recovery);
	assert_null(h_pop(&N));
	/* 3 arrives: partial ACK to 7: the hole at SND.UNA is resent */
	a.ack = SEG(7);
	a.nsack = 1;
	a.sack[0] = (struct tcp_sack_blk){SEG(8), SEG(10)};
	h_inject(&N, &a);
	r = h_pop(&N);
	assert_non_null(r);
	assert_int_equal(r->seq, SEG(7));
	assert_null(h_pop(&N));
	assert_int_equal(N.s.stats.tcp_retransmits, 3);   /* 0, 3, 7: each once */
	/* all received */
	a.ack = SEG(10);
	a.nsack = 0;
	h_inject(&N, &a);
	assert_false(pcb->in_recovery);
	assert_int_equal(pcb->nscore, 0);
#undef SEG
}

/* SACK blocks outside (SND.UNA, SND.MAX] are ignored. */
static void test_sack_bogus_blocks(void **st)
{
	(void)st;
	N.s.params.tcp_sack = 1;
	struct tcp_pcb *pcb = h_connect(&N, H_PEER, 80);
	struct hseg *syn = h_pop(&N);
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_SYN | TCP_ACK,
				   .seq = PISS, .ack = syn->seq + 1, .wnd = 65535, .mss = MSS,
				   .sackok = true});
	h_pop(&N);
	uint32_t s0 = send_iw(pcb, 0);
	struct hin a = {.sport = 80, .dport = 4000, .flags = TCP_ACK, .seq = PISS + 1, .ack = s0,
			.wnd = 65535, .nsack = 3};
	a.sack[0] = (struct tcp_sack_blk){s0 - 100, s0};                 /* D-SACK-like */
	a.sack[1] = (struct tcp_sack_blk){s0 + 5 * MSS, s0 + 50 * MSS};  /* past SND.MAX */
	a.sack[2] = (struct tcp_sack_blk){s0 + 5 * MSS, s0 + 2 * MSS};   /* reversed */
	h_inject(&N, &a);
	assert_int_equal(pcb->nscore, 0);
}

/* PMTU discovery: every segment has DF; an ICMP "fragmentation needed"
 * (EMSGSIZE, next-hop MTU 1040) cuts the MSS to 1000 and what is in flight
 * is resent at once in the smaller size; cwnd is left alone. */
static void test_pmtu_update(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = h_established(&N, PISS, 65535, 1460);
	uint32_t s0 = pcb->snd_nxt;
	tcp_send(pcb, pat, 2920, false);
	struct hseg *g1 = h_pop(&N), *g2 = h_pop(&N);
	assert_true(g1->df && g2->df);
	assert_int_equal(g1->len, 1460);
	uint32_t cwnd = pcb->cwnd;
	tcp_ctlinput(&N.s, -EMSGSIZE, N.addr, h_ip(H_PEER), g1->raw, 8, 1040);
	assert_int_equal(pcb->mss, 1000);
	assert_int_equal(pcb->cwnd, cwnd);
	assert_int_equal(N.s.stats.tcp_pmtu_updates, 1);
	struct hseg *r = h_pop(&N);
	assert_non_null(r);
	assert_int_equal(r->seq, s0);
	assert_int_equal(r->len, 1000);
	r = h_pop(&N);
	assert_int_equal(r->seq, s0 + 1000);
	assert_int_equal(r->len, 1000);
	r = h_pop(&N);
	assert_int_equal(r->seq, s0 + 2000);
	assert_int_equal(r->len, 920);
	/* a larger MTU never raises it; a stale quote is ignored */
	tcp_ctlinput(&N.s, -EMSGSIZE, N.addr, h_ip(H_PEER), g1->raw, 8, 1400);
	assert_int_equal(pcb->mss, 1000);
}

/* ICMP in a synchronized state is soft (RFC 1122 4.2.3.9): nothing
 * changes until the connection times out; ip_output's own errors (no
 * route) count the same way. */
static void test_soft_errors_established(void **st)
{
	(void)st;
	N.s.params.tcp_retries = 2;
	struct tcp_pcb *pcb = est_rtt100();
	tcp_send(pcb, pat, 10, true);
	struct hseg *d = h_pop(&N);
	tcp_ctlinput(&N.s, -ECONNREFUSED, N.addr, h_ip(H_PEER), d->raw, 8, 0);
	assert_int_equal(pcb->state, TCP_ESTABLISHED);
	assert_int_equal(pcb->soerror, 0);
	assert_int_equal(pcb->softerror, -ECONNREFUSED);
	h_ack(&N, PISS + 1, pcb->snd_max, 65535);
	assert_int_equal(pcb->state, TCP_ESTABLISHED);
	assert_int_equal(pcb->softerror, 0);        /* progress clears it */
	tcp_abort(pcb);
}

/* Through real ICMP frames (icmp.c -> tcp_ctlinput): "fragmentation
 * needed" from a router lowers the path MTU, the connection resends in
 * the smaller size, and a new connection announces MSS = PMTU - 40; a port
 * unreachable refuses a connection in SYN-SENT. */
static void test_icmp_frames(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = h_established(&N, PISS, 65535, 1460);
	uint32_t s0 = pcb->snd_nxt;
	tcp_send(pcb, pat, 1460, false);
	struct hseg *g = h_pop(&N);
	assert_int_equal(g->len, 1460);
	h_icmp_error(&N, h_ip("10.0.0.9"), 3, 4, 1200, g);
	assert_int_equal(N.s.stats.tcp_pmtu_updates, 1);
	assert_int_equal(pcb->mss, 1160);
	struct hseg *r = h_pop(&N);
	assert_non_null(r);
	assert_int_equal(r->seq, s0);
	assert_int_equal(r->len, 1160);
	assert_int_equal(h_pop(&N)->len, 300);
	struct tcp_pcb *p2 = h_new(&N, "c2");
	tcp_bind(p2, 0, 4001);
	tcp_connect(p2, h_ip(H_PEER), 80);
	struct hseg *syn = h_pop(&N);
	assert_int_equal(syn->o.mss, 1160);
	memset(&N.ev, 0, sizeof N.ev);
	h_icmp_error(&N, h_ip(H_PEER), 3, 3, 0, syn);   /* port unreachable */
	assert_int_equal(p2->state, TCP_CLOSED);
	assert_int_equal(N.ev.err_at_error, -ECONNREFUSED);
	tcp_close(p2);
	tcp_abort(pcb);
}

/* RFC 5681 4.1: after an idle period longer than the RTO, cwnd restarts
 * from the initial window; a shorter pause keeps it. */
static void test_idle_restart(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = est_rtt100();
	pcb->cwnd = 40 * MSS;
	tcp_send(pcb, pat, 10, true);
	h_pop(&N);
	h_advance(&N, NB_MS(100));
	h_ack(&N, PISS + 1, pcb->snd_max, 65535);
	assert_int_equal(pcb->rto, NB_MS(250));
	assert_int_equal(pcb->cwnd, 40 * MSS + 10);      /* slow start: + bytes acked */
	h_advance(&N, NB_MS(150));                       /* idle since the send: = RTO */
	tcp_send(pcb, pat, 10, true);
	assert_int_equal(pcb->cwnd, 40 * MSS + 10);      /* kept */
	h_pop(&N);
	h_ack(&N, PISS + 1, pcb->snd_max, 65535);
	uint32_t cw = pcb->cwnd;
	h_advance(&N, pcb->rto + 1);                     /* longer: restart */
	assert_int_equal(pcb->cwnd, cw);
	tcp_send(pcb, pat, 10, true);
	assert_int_equal(pcb->cwnd, 10 * MSS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rto_backoff_and_karn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rtt_estimator, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_retries_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rto_congestion_response, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fast_retransmit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_window_recovery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_duplicate_acks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newreno_partial_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_fast_retransmit_after_rto, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sack_recovery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sack_bogus_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pmtu_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_soft_errors_established, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_restart, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
