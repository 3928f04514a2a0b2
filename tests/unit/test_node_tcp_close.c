/* test_node_tcp_close.c: closing and resetting (RFC 9293 3.6, 3.10.4,
 * 3.10.7.4, RFC 5961, RFC 2525 2.17): active, passive and simultaneous
 * close, TIME_WAIT for exactly 2*MSL, orphans, FIN_WAIT_2 timeout, RST on
 * close with unread data, RSTs and challenge ACKs in synchronized states.
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
	h_params_plain(&N);
	N.s.params.tcp_msl = NB_SEC(2);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	h_node_free(&N);
	return 0;
}

#define PISS 1000u

/* Active close by the owner: FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT, then
 * the orphan frees itself after exactly 2*MSL (here 4 s). */
static void test_active_close_timewait(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = h_established(&N, PISS, 65535, 1460);
	uint32_t s0 = pcb->snd_nxt;
	tcp_close(pcb);
	assert_int_equal(pcb->state, TCP_FIN_WAIT_1);
	struct hseg *f = h_pop(&N);
	assert_int_equal(f->flags, TCP_ACK | TCP_FIN);
	assert_int_equal(f->seq, s0);
	assert_int_equal(f->ack, PISS + 1);
	assert_true(timer_armed(&pcb->t_rexmt));
	h_ack(&N, PISS + 1, s0 + 1, 65535);
	assert_int_equal(pcb->state, TCP_FIN_WAIT_2);
	assert_false(timer_armed(&pcb->t_rexmt));
	assert_true(timer_armed(&pcb->t_timewait));      /* orphan: fin_timeout */
	h_data(&N, PISS + 1, s0 + 1, 65535, NULL, 0, TCP_FIN);
	assert_int_equal(pcb->state, TCP_TIME_WAIT);
	struct hseg *a = h_pop(&N);
	assert_int_equal(a->flags, TCP_ACK);
	assert_int_equal(a->seq, s0 + 1);
	assert_int_equal(a->ack, PISS + 2);
	assert_int_equal(h_next_timer(&N), NB_SEC(4));
	struct tcp_conn_info ci;
	tcp_get_info(pcb, &ci);
	assert_true(ci.orphan);
	assert_string_equal(ci.timers[0].name, "timewait");
	h_advance(&N, NB_SEC(4) - 1);
	assert_int_equal(N.s.tcp->npcbs, 1);
	assert_int_equal(pcb->state, TCP_TIME_WAIT);
	h_advance(&N, 1);
	assert_int_equal(N.s.tcp->npcbs, 0);
	assert_int_equal(N.s.stats.tcp_timewait_expired, 1);
	assert_null(h_pop(&N));
}

/* With the owner still holding the pcb (shutdown, no close), TIME_WAIT
 * ends in CLOSED and the owner hears it. A FIN+ACK together in FIN_WAIT_1
 * goes straight to TIME_WAIT. */
static void test_timewait_owned(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = h_established(&N, PISS, 65535, 1460);
	uint32_t s0 = pcb->snd_nxt;
	tcp_shutdown(pcb, SHUT_WR);
	h_pop(&N);
	h_data(&N, PISS + 1, s0 + 1, 65535, NULL, 0, TCP_FIN);
	assert_int_equal(pcb->state, TCP_TIME_WAIT);
	assert_int_equal(h_pop(&N)->ack, PISS + 2);
	N.ev.all = 0;
	h_advance(&N, NB_SEC(4));
	assert_int_equal(pcb->state, TCP_CLOSED);
	assert_true(N.ev.all & TCP_EV_CLOSED);
	assert_false(N.ev.all & TCP_EV_ERROR);
	assert_int_equal(N.s.tcp->npcbs, 1);
	char c;
	assert_int_equal(tcp_recv(pcb, &c, 1), 0);
	assert_int_equal(tcp_send(pcb, "x", 1, false), -EPIPE);
	tcp_close(pcb);
	assert_int_equal(N.s.tcp->npcbs, 0);
}

/* TIME_WAIT: a retransmitted FIN is ACKed and restarts the 2*MSL timer. */
static void test_timewait_fin_restarts(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = h_established(&N, PISS, 65535, 1460);
	uint32_t s0 = pcb->snd_nxt;
	tcp_close(pcb);
	h_pop(&N);
	h_data(&N, PISS + 1, s0 + 1, 65535, NULL, 0, TCP_FIN);
	h_pop(&N);
	h_advance(&N, NB_SEC(3));
	h_data(&N, PISS + 1, s0 + 1, 65535, NULL, 0, TCP_FIN);   /* our ACK was lost */
	struct hseg *a = h_pop(&N);
	assert_non_null(a);
	assert_int_equal(a->ack, PISS + 2);
	assert_int_equal(h_next_timer(&N), NB_SEC(4));
	h_advance(&N, NB_SEC(4) - 1);
	assert_int_equal(N.s.tcp->npcbs, 1);
	h_advance(&N, 1);
	assert_int_equal(N.s.tcp->npcbs, 0);
}

/* A new SYN with a higher sequence number for a connection in TIME_WAIT
 * is given to the listener (the old incarnation yields). */
static void test_timewait_reuse_by_syn(void **st)
{
	(void)st;
	struct tcp_pcb *l = h_new(&N, "web");
	tcp_bind(l, 0, 80);
	tcp_listen(l, 4);
	h_inject(&N, &(struct hin){.flags = TCP_SYN, .seq = 100, .wnd = 8000});
	uint32_t iss = h_pop(&N)->seq;
	h_inject(&N, &(struct hin){.flags = TCP_ACK, .seq = 101, .ack = iss + 1, .wnd = 8000});
	struct tcp_pcb *c = tcp_accept(l);
	tcp_close(c);                                   /* server closes first */
	h_pop(&N);
	h_inject(&N, &(struct hin){.flags = TCP_ACK | TCP_FIN, .seq = 101, .ack = iss + 2, .wnd = 8000});
	assert_int_equal(c->state, TCP_TIME_WAIT);
	h_pop(&N);
	h_inject(&N, &(struct hin){.flags = TCP_SYN, .seq = 5000, .wnd = 8000});
	struct hseg *sa = h_pop(&N);
	assert_non_null(sa);
	assert_int_equal(sa->flags, TCP_SYN | TCP_ACK);
	assert_int_equal(sa->ack, 5001);
	assert_int_equal(l->syn_len, 1);
	tcp_close(l);
	assert_int_equal(N.s.tcp->npcbs, 0);
}

/* Passive close: CLOSE_WAIT -> (close) LAST_ACK -> CLOSED; the FIN is
 * retransmitted on timeout while unacknowledged. */
static void test_passive_close_last_ack(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = h_established(&N, PISS, 65535, 1460);
	uint32_t s0 = pcb->snd_nxt;
	h_data(&N, PISS + 1, s0, 65535, NULL, 0, TCP_FIN);
	assert_int_equal(pcb->state, TCP_CLOSE_WAIT);
	assert_int_equal(h_pop(&N)->ack, PISS + 2);
	tcp_close(pcb);
	assert_int_equal(pcb->state, TCP_LAST_ACK);
	struct hseg *f = h_pop(&N);
	assert_int_equal(f->flags, TCP_ACK | TCP_FIN);
	h_advance(&N, pcb->rto);
	f = h_pop(&N);
	assert_non_null(f);
	assert_int_equal(f->flags, TCP_ACK | TCP_FIN);
	assert_int_equal(f->seq, s0);
	assert_int_equal(N.s.stats.tcp_retransmits, 1);
	h_ack(&N, PISS + 2, s0 + 1, 65535);
	assert_int_equal(N.s.tcp->npcbs, 0);
	assert_null(h_pop(&N));
}

/* Simultaneous close: both FINs cross; each side goes FIN_WAIT_1 ->
 * CLOSING -> TIME_WAIT. */
static void test_simultaneous_close(void **st)
{
	(void)st;
	struct hnode B;
	struct hev bev = {0};
	h_node_init(&B, "10.0.0.2", 1500, 5);
	B.s.params.tcp_msl = NB_SEC(2);
	struct tcp_pcb *srv;
	struct tcp_pcb *cli = h_pair(&N, &B, &bev, &srv, NULL);
	assert_int_equal(cli->state, TCP_ESTABLISHED);
	assert_int_equal(srv->state, TCP_ESTABLISHED);
	tcp_shutdown(cli, SHUT_WR);
	tcp_shutdown(srv, SHUT_WR);
	struct hseg *fa = h_pop(&N), *fb = h_pop(&B);
	assert_int_equal(fa->flags, TCP_ACK | TCP_FIN);
	assert_int_equal(fb->flags, TCP_ACK | TCP_FIN);
	h_input_raw(&B, N.addr, fa->raw, fa->rawlen, 0);
	h_input_raw(&N, B.addr, fb->raw, fb->rawlen, 0);
	assert_int_equal(cli->state, TCP_CLOSING);
	assert_int_equal(srv->state, TCP_CLOSING);
	struct hseg *aa = h_pop(&N), *ab = h_pop(&B);
	assert_int_equal(aa->flags, TCP_ACK);
	assert_int_equal(aa->ack, srv->snd_max);
	h_input_raw(&B, N.addr, aa->raw, aa->rawlen, 0);
	h_input_raw(&N, B.addr, ab->raw, ab->rawlen, 0);
	assert_int_equal(cli->state, TCP_TIME_WAIT);
	assert_int_equal(srv->state, TCP_TIME_WAIT);
	assert_null(h_pop(&N));
	assert_null(h_pop(&B));
	h_advance(&N, NB_SEC(4));
	assert_int_equal(cli->state, TCP_CLOSED);
	tcp_close(cli);
	tcp_close(srv);
	h_node_free(&B);
}

/* Closing with unread data resets the connection (RFC 9293 3.10.4,
 * RFC 2525 2.17): <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>, freed at once. */
static void test_close_with_unread_data_resets(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = h_established(&N, PISS, 65535, 1460);
	uint32_t s0 = pcb->snd_nxt;
	h_data(&N, PISS + 1, s0, 65535, "unread", 6, TCP_PSH);
	h_q_clear(&N);
	tcp_close(pcb);
	struct hseg *r = h_pop(&N);
	assert_non_null(r);
	assert_int_equal(r->flags, TCP_RST | TCP_ACK);
	assert_int_equal(r->seq, s0);
	assert_int_equal(r->ack, PISS + 7);
	assert_null(h_pop(&N));
	assert_int_equal(N.s.tcp->npcbs, 0);
	assert_int_equal(N.s.stats.tcp_rst_sent, 1);
}

/* Data arriving for an orphan (closed by its owner) gets a RST. */
static void test_data_after_close_resets(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = h_established(&N, PISS, 65535, 1460);
	uint32_t s0 = pcb->snd_nxt;
	tcp_close(pcb);
	h_pop(&N);
	h_ack(&N, PISS + 1, s0 + 1, 65535);
	assert_int_equal(pcb->state, TCP_FIN_WAIT_2);
	h_data(&N, PISS + 1, s0 + 1, 65535, "late", 4, 0);
	struct hseg *r = h_pop(&N);
	assert_non_null(r);
	assert_int_equal(r->flags, TCP_RST | TCP_ACK);
	assert_int_equal(N.s.tcp->npcbs, 0);
}

/* An orphan in FIN_WAIT_2 waits tcp.fin_timeout for the peer's FIN. */
static void test_fin_wait_2_timeout(void **st)
{
	(void)st;
	N.s.params.tcp_fin_timeout = NB_SEC(5);
	struct tcp_pcb *pcb = h_established(&N, PISS, 65535, 1460);
	uint32_t s0 = pcb->snd_nxt;
	tcp_close(pcb);
	h_pop(&N);
	h_ack(&N, PISS + 1, s0 + 1, 65535);
	assert_int_equal(pcb->state, TCP_FIN_WAIT_2);
	h_advance(&N, NB_SEC(5) - 1);
	assert_int_equal(N.s.tcp->npcbs, 1);
	h_advance(&N, 1);
	assert_int_equal(N.s.tcp->npcbs, 0);
	assert_int_equal(N.s.stats.tcp_finwait2_expired, 1);
	/* an owned FIN_WAIT_2 (shutdown) waits for ever */
	pcb = h_established(&N, PISS, 65535, 1460);
	s0 = pcb->snd_nxt;
	h_q_clear(&N);
	tcp_shutdown(pcb, SHUT_WR);
	h_ack(&N, PISS + 1, s0 + 1, 65535);
	assert_int_equal(pcb->state, TCP_FIN_WAIT_2);
	assert_int_equal(h_next_timer(&N), NB_TIME_NEVER);
	tcp_abort(pcb);
}

/* RST with the exact sequence number in ESTABLISHED: ECONNRESET. */
static void test_rst_established(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = h_established(&N, PISS, 65535, 1460);
	h_data(&N, PISS + 1, pcb->snd_nxt, 65535, "ab", 2, 0);
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_RST, .seq = PISS + 3});
	assert_int_equal(pcb->state, TCP_CLOSED);
	assert_int_equal(N.ev.err_at_error, -ECONNRESET);
	assert_int_equal(N.s.stats.tcp_established_resets, 1);
	assert_int_equal(N.s.stats.tcp_rst_received, 1);
	assert_false(timer_armed(&pcb->t_delack));
	char buf[4];
	assert_int_equal(tcp_recv(pcb, buf, 4), 2);     /* data first, */
	assert_int_equal(tcp_recv(pcb, buf, 4), -ECONNRESET); /* then the error once */
	assert_int_equal(tcp_recv(pcb, buf, 4), 0);
	assert_int_equal(tcp_send(pcb, "x", 1, false), -EPIPE);
	assert_null(h_pop(&N));                         /* never a RST for a RST */
	tcp_close(pcb);
	assert_int_equal(N.s.tcp->npcbs, 0);
}

/* RFC 5961 3.2: an in-window RST that is not exact gets a challenge ACK
 * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>; one outside the window is dropped. */
static void test_rst_challenge_ack(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = h_established(&N, PISS, 65535, 1460);
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_RST, .seq = PISS + 100});
	assert_int_equal(pcb->state, TCP_ESTABLISHED);
	struct hseg *a = h_pop(&N);
	assert_non_null(a);
	assert_int_equal(a->flags, TCP_ACK);
	assert_int_equal(a->seq, pcb->snd_nxt);
	assert_int_equal(a->ack, PISS + 1);
	assert_int_equal(N.s.stats.tcp_challenge_acks, 1);
	/* outside the window (before RCV.NXT or past the edge): nothing */
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_RST, .seq = PISS - 5});
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_RST,
				   .seq = PISS + 1 + (1u << 21)});
	assert_null(h_pop(&N));
	assert_int_equal(pcb->state, TCP_ESTABLISHED);
	/* the peer answers the challenge with the right sequence: reset */
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_RST, .seq = PISS + 1});
	assert_int_equal(pcb->state, TCP_CLOSED);
	tcp_close(pcb);
}

/* RFC 5961 4.2: a SYN in a synchronized state gets a challenge ACK and
 * changes nothing, whatever its sequence number. */
static void test_syn_in_established_challenge(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = h_established(&N, PISS, 65535, 1460);
	uint32_t nxt = pcb->snd_nxt;
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_SYN, .seq = PISS + 10, .wnd = 1000});
	struct hseg *a = h_pop(&N);
	assert_non_null(a);
	assert_int_equal(a->flags, TCP_ACK);
	assert_int_equal(a->seq, nxt);
	assert_int_equal(a->ack, PISS + 1);
	assert_int_equal(pcb->state, TCP_ESTABLISHED);
	assert_int_equal(N.s.stats.tcp_challenge_acks, 1);
	/* outside the window: the plain ACK of the acceptability test */
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_SYN, .seq = PISS + 10000000, .wnd = 1000});
	a = h_pop(&N);
	assert_non_null(a);
	assert_int_equal(a->ack, PISS + 1);
	assert_int_equal(pcb->state, TCP_ESTABLISHED);
}

/* RST in CLOSING / LAST_ACK / TIME_WAIT just closes (no error). */
static void test_rst_in_closing_states(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = h_established(&N, PISS, 65535, 1460);
	uint32_t s0 = pcb->snd_nxt;
	h_data(&N, PISS + 1, s0, 65535, NULL, 0, TCP_FIN);
	h_q_clear(&N);
	tcp_shutdown(pcb, SHUT_WR);
	assert_int_equal(pcb->state, TCP_LAST_ACK);
	N.ev.all = 0;
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_RST, .seq = PISS + 2});
	assert_int_equal(pcb->state, TCP_CLOSED);
	assert_true(N.ev.all & TCP_EV_CLOSED);
	assert_false(N.ev.all & TCP_EV_ERROR);
	tcp_close(pcb);
}

/* tcp_abort: RST at once and freed; closing in SYN_SENT sends nothing. */
static void test_abort_and_close_syn_sent(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = h_established(&N, PISS, 65535, 1460);
	uint32_t s0 = pcb->snd_nxt;
	tcp_abort(pcb);
	struct hseg *r = h_pop(&N);
	assert_int_equal(r->flags, TCP_RST | TCP_ACK);
	assert_int_equal(r->seq, s0);
	assert_int_equal(N.s.tcp->npcbs, 0);
	pcb = h_connect(&N, H_PEER, 80);
	h_pop(&N);
	tcp_close(pcb);
	assert_null(h_pop(&N));
	assert_int_equal(N.s.tcp->npcbs, 0);
	assert_int_equal(h_next_timer(&N), NB_TIME_NEVER);
}

/* After a retransmission timeout pulled SND.NXT back to SND.UNA, a RST still
 * carries the highest sequence sent: the peer may hold all of it, and a RST
 * below its RCV.NXT would be ignored. */
static void test_abort_after_rto_uses_snd_max(void **st)
{
	(void)st;
	h_params_plain(&N);
	struct tcp_pcb *pcb = h_established(&N, PISS, 65535, 1000);
	static uint8_t data[3000];
	uint32_t s0 = pcb->snd_nxt;
	assert_int_equal(tcp_send(pcb, data, sizeof(data), true), (ssize_t)sizeof(data));
	while (h_pop(&N))
		;
	h_advance(&N, pcb->rto);              /* RTO: the first segment again */
	struct hseg *re = h_pop(&N);
	assert_non_null(re);
	assert_int_equal(re->seq, s0);
	assert_true(SEQ_LT(pcb->snd_nxt, pcb->snd_max));
	tcp_abort(pcb);
	struct hseg *r = h_pop(&N);
	assert_int_equal(r->flags, TCP_RST | TCP_ACK);
	assert_int_equal(r->seq, s0 + sizeof(data));
}

/* Closing a listener resets its unaccepted children. */
static void test_listener_close_resets_children(void **st)
{
	(void)st;
	struct tcp_pcb *l = h_new(&N, "web");
	tcp_bind(l, 0, 80);
	tcp_listen(l, 4);
	h_inject(&N, &(struct hin){.flags = TCP_SYN, .seq = 100, .wnd = 8000});
	uint32_t iss = h_pop(&N)->seq;
	h_inject(&N, &(struct hin){.flags = TCP_ACK, .seq = 101, .ack = iss + 1, .wnd = 8000});
	assert_int_equal(l->accept_len, 1);
	tcp_close(l);
	struct hseg *r = h_pop(&N);
	assert_non_null(r);
	assert_int_equal(r->flags, TCP_RST | TCP_ACK);
	assert_int_equal(r->seq, iss + 1);
	assert_int_equal(N.s.tcp->npcbs, 0);
	/* the port is free again */
	struct tcp_pcb *l2 = h_new(&N, "web2");
	assert_int_equal(tcp_bind(l2, 0, 80), 0);
	tcp_close(l2);
}

/* A close with data still queued sends it all, then the FIN. */
static void test_close_flushes_data(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = h_established(&N, PISS, 65535, 1000);
	uint32_t s0 = pcb->snd_nxt;
	static uint8_t buf[2500];
	tcp_send(pcb, buf, sizeof buf, false);
	assert_int_equal(h_pop(&N)->len, 1000);
	assert_int_equal(h_pop(&N)->len, 1000);
	assert_null(h_pop(&N));                         /* Nagle holds 500 */
	tcp_close(pcb);
	struct hseg *g = h_pop(&N);
	assert_non_null(g);
	assert_int_equal(g->len, 500);
	assert_int_equal(g->flags, TCP_ACK | TCP_FIN | TCP_PSH);
	assert_int_equal(g->seq, s0 + 2000);
	h_ack(&N, PISS + 1, s0 + 2501, 65535);
	assert_int_equal(pcb->state, TCP_FIN_WAIT_2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_active_close_timewait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timewait_owned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timewait_fin_restarts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timewait_reuse_by_syn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passive_close_last_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_simultaneous_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_with_unread_data_resets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_after_close_resets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fin_wait_2_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rst_established, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rst_challenge_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn_in_established_challenge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rst_in_closing_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort_and_close_syn_sent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort_after_rto_uses_snd_max, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listener_close_resets_children, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_flushes_data, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
