/* test_node_tcp_fuzzfound.c: regression tests for bugs found by the
 * libFuzzer harness tests/fuzz/fuzz_node_tcp.c. Each test names the
 * invariant the harness saw violated, the minimised input that showed it,
 * and the root cause; each failed before its fix.
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
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	h_node_free(&N);
	return 0;
}

#define PISS 1000u

/* pattern: n bytes to send. */
static const uint8_t *pattern(size_t n)
{
	static uint8_t buf[4096];
	for (size_t i = 0; i < n && i < sizeof(buf); i++)
		buf[i] = (uint8_t)i;
	return buf;
}

/* Bug 1 (fuzz: "a pcb outlived its socket by three silent hours", input
 * 06 06 f7 0f 77 77 77 07 00 f1 04: FIN_WAIT_1 orphan with data queued, the
 * peer's FIN acknowledges everything sent and closes the window).
 * tcp_output.c output_one() started the persist timer only when it decided
 * to send nothing; when the same pass owed an ACK (here for the FIN; also
 * for data with delayed ACK off, out-of-order data, ...) it sent the pure
 * ACK and returned without arming anything: data waits behind a zero window
 * with no timer, so a lost window update stalls the connection for ever
 * and an orphan is never freed.
 *
 * Here: 500 bytes queued, 100 sent into a 100-byte window; the peer's
 * FIN-ACK acknowledges the 100 and offers window 0. The persist timer must
 * run and probe. */
static void test_zero_window_ack_owed_starts_persist(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = h_established(&N, PISS, 100, 1460);
	assert_int_equal(tcp_send(pcb, pattern(500), 500, true), 500);
	assert_int_equal(pcb->snd_max - pcb->snd_una, 100);
	h_q_clear(&N);
	h_data(&N, PISS + 1, pcb->snd_max, 0, NULL, 0, TCP_FIN);
	assert_int_equal(pcb->state, TCP_CLOSE_WAIT);
	struct hseg *a = h_pop(&N);
	assert_non_null(a);                               /* the ACK of the FIN */
	assert_int_equal(a->ack, PISS + 2);
	assert_true(pcb->persist);
	assert_true(timer_armed(&pcb->t_rexmt));
	h_q_clear(&N);
	h_advance(&N, NB_SEC(2));
	struct hseg *p = h_pop(&N);
	assert_non_null(p);                               /* a zero-window probe */
	assert_int_equal(p->seq, pcb->snd_una);
	assert_int_equal(p->len, 1);
}

/* Bug 1, as the fuzzer saw it: the orphan (closed in FIN_WAIT_1 with data
 * queued) goes to CLOSING on that FIN-ACK and must still go away once the
 * silent peer has ignored every probe. */
static void test_zero_window_orphan_closing_dies(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = h_established(&N, PISS, 100, 1460);
	assert_int_equal(tcp_send(pcb, pattern(500), 500, true), 500);
	tcp_close(pcb);
	assert_int_equal(pcb->state, TCP_FIN_WAIT_1);
	h_data(&N, PISS + 1, pcb->snd_max, 0, NULL, 0, TCP_FIN);
	assert_int_equal(pcb->state, TCP_CLOSING);
	assert_true(timer_armed(&pcb->t_rexmt));
	h_advance(&N, NB_SEC(3 * 3600));
	assert_null(N.s.tcp->pcbs);                       /* pcb freed: do not touch it */
}

/* Bug 2 (fuzz: "window offered beyond the free buffer", input
 * f7 f7 08 de 74 63 32 00 08 d3 03 ...: FIN_WAIT_2 with 1 MiB buffers, then
 * setsockopt RCVBUF 578307). tcp_usrreq.c tcp_setopt() -> buf_resize()
 * only refuses to shrink once the receive ring is allocated, but the ring
 * is allocated lazily at the first byte received: on a synchronized
 * connection that has not received data yet, RCVBUF shrinks the buffer
 * below the window already offered, and in-window data is then cut
 * (trim_to_window), against RFC 9293 3.8.6 (do not shrink the window).
 *
 * Here: 65535 offered, RCVBUF set to 1024, then the peer sends 2000 bytes
 * inside the window: all must be taken. */
static void test_rcvbuf_shrink_keeps_offered_window(void **st)
{
	(void)st;
	struct tcp_pcb *pcb = h_established(&N, PISS, 65535, 1460);
	uint32_t offered = pcb->rcv_adv - pcb->rcv_nxt;
	assert_true(offered >= 2000);
	assert_int_equal(tcp_setopt(pcb, TCP_OPT_RCVBUF, 1024), 0);
	assert_true(pcb->rcv_adv - pcb->rcv_nxt <= tcp_rcv_space(pcb));
	N.s.params.tcp_delack = 0;
	h_data(&N, PISS + 1, pcb->snd_nxt, 65535, pattern(2000), 1000, 0);
	h_data(&N, PISS + 1001, pcb->snd_nxt, 65535, pattern(2000) + 1000, 1000, 0);
	assert_int_equal(tcp_recvq(pcb), 2000);
	assert_int_equal(pcb->rcv_nxt, PISS + 2001);
}


/* Bug 3, NOT FIXED (fuzz: "frame storm: too many frames for one
 * operation", two stacks back to back, input ff 00 00 80 71 71: after a
 * simultaneous open, one spoofed FIN|ACK at A's RCV.NXT from B's address).
 * A takes the FIN (CLOSE_WAIT) and acknowledges it: its ACK acknowledges a
 * FIN B never sent, so B answers "ACK of something not yet sent" with an
 * ACK (tcp_input.c process_ack, RFC 9293 3.10.7.4 fifth); that ACK's
 * sequence number is now below A's RCV.NXT, so A answers it as
 * unacceptable with an ACK (tcp_input.c input_sync "first: check sequence
 * number"), and so on for ever: an ACK storm (an "ACK loop") started by
 * one blind packet, as fast as the link carries it. Linux rate-limits these
 * duplicate ACKs (tcp_invalid_ratelimit, 500 ms per connection) for this
 * reason; nestbed needs the same (a per-pcb time of the last such ACK in
 * tcp.h, checked before tcp_ack_now in both places, and for the PAWS and
 * challenge ACKs), which is a design change for the TCP owner. */
static void test_spoofed_fin_ack_storm(void **st)
{
	(void)st;
	struct hnode b;
	struct hev bev = {0};
	struct tcp_pcb *server;
	h_node_init(&b, "10.0.0.2", 1500, 43);
	h_params_plain(&b);
	struct tcp_pcb *c = h_pair(&N, &b, &bev, &server, NULL);
	assert_int_equal(c->state, TCP_ESTABLISHED);
	h_inject(&N, &(struct hin){.sport = 80, .dport = 4000, .flags = TCP_FIN | TCP_ACK,
				   .seq = c->rcv_nxt, .ack = c->snd_una, .wnd = 65535});
	assert_int_equal(c->state, TCP_CLOSE_WAIT);
	int moved = h_pump_max(&N, &b, 1000);
	h_node_free(&b);
	assert_in_range(moved, 0, 10);   /* a few ACKs, not an endless exchange */
}

/* Bug 4 (fuzz: "frame storm: too many frames for one operation", two
 * stacks, input 0c 12 75 d8 09 ed 15 c0: MTU 576, data in flight both
 * ways, the link holds every frame for a while, then delivers them all in
 * order). Both sides time out spuriously: RFC 6298 5.4 pulls SND.NXT back to
 * SND.UNA and, with cwnd at one segment, only the first segment is resent,
 * so SND.NXT stays below SND.MAX. tcp_output.c output_one() then sends pure
 * ACKs with SEQ = SND.NXT, which is below the other side's RCV.NXT (it got
 * everything): the other side finds the ACK unacceptable (RFC 9293 3.10.7.4
 * first check), answers with an ACK of its own and drops it without
 * looking at its acknowledgment number -- and its own ACK carries its own
 * stale SND.NXT, equally unacceptable. Neither ever learns its data arrived:
 * an endless ACK loop between two honest stacks. The BSDs send a segment
 * without data, SYN or FIN at SND.MAX (tcp_output.c: th_seq = snd_max) for
 * this reason.
 *
 * Here: both send 3000 bytes, nothing is delivered for 1 s (two RTOs on
 * each side), then everything is delivered in order: a handful of segments
 * must settle it, with all data acknowledged on both sides. */
static void test_spurious_rto_both_sides_no_ack_loop(void **st)
{
	(void)st;
	struct hnode b;
	struct hev bev = {0};
	struct tcp_pcb *server;
	h_node_init(&b, "10.0.0.2", 1500, 43);
	h_params_plain(&b);
	struct tcp_pcb *c = h_pair(&N, &b, &bev, &server, NULL);
	assert_int_equal(tcp_send(c, pattern(3000), 3000, true), 3000);
	assert_int_equal(tcp_send(server, pattern(3000), 3000, true), 3000);
	h_advance(&N, NB_SEC(1));
	h_advance(&b, NB_SEC(1));
	assert_true(SEQ_LT(c->snd_nxt, c->snd_max));            /* pulled back by the RTO */
	assert_true(SEQ_LT(server->snd_nxt, server->snd_max));
	int moved = h_pump_max(&N, &b, 1000);
	bool c_done = c->snd_una == c->snd_max, s_done = server->snd_una == server->snd_max;
	h_node_free(&b);
	assert_in_range(moved, 0, 40);
	assert_true(c_done);
	assert_true(s_done);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_zero_window_ack_owed_starts_persist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_window_orphan_closing_dies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rcvbuf_shrink_keeps_offered_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spoofed_fin_ack_storm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spurious_rto_both_sides_no_ack_loop, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
