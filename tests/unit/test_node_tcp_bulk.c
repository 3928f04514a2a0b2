/* test_node_tcp_bulk.c: two stacks wired back to back (frames from one's
 * io->tx into the other's stack_input, fake clock, link delay and rate,
 * deterministic loss) move several MiB; the receiver's SHA-256 must equal
 * the sender's, and the counters must show the mechanism under test (no
 * retransmissions on a clean link, fast retransmits under loss, persist
 * probes with a slow reader, flights beyond 64 KiB with window scaling).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sha256.h"
#include "tcp_harness.h"

#define DATA_LEN (4u << 20)
static uint8_t data[DATA_LEN];

struct bulk {
	struct hnode a, b;
	struct hlink link;
	struct hev bev;
	struct tcp_pcb *c, *l, *srv;
	size_t total, sent, rcvd;
	bool shut, eof, closed;
	struct sha256 hs, hr;
	/* slow reader: read_chunk bytes every read_every, from a timer */
	size_t read_chunk;
	nb_time_t read_every;
	struct nb_timer reader;
	/* loss */
	struct nb_rng rng[2];
	double loss[2];
	double reorder, dup;
	uint64_t every_nth;            /* drop every n-th data segment a->b (0: off) */
	uint64_t burst_at, burst_len;  /* drop data segments [burst_at, +burst_len) a->b */
	uint64_t data_k;               /* data segments seen a->b */
	uint32_t max_flight;
	uint8_t srv_rcv_wscale, cli_snd_wscale;
};

static struct bulk B;
static void reader_tick(struct nb_timer *t, nb_time_t now);

static int setup(void **st)
{
	(void)st;
	struct nb_rng r;
	nb_rng_seed(&r, 1234);
	for (size_t i = 0; i < DATA_LEN; i += 8) {
		uint64_t v = nb_rng_next(&r);
		memcpy(data + i, &v, 8);
	}
	memset(&B, 0, sizeof B);
	timer_init(&B.reader, reader_tick, &B);
	h_node_init(&B.a, "10.0.0.1", 1500, 1);
	h_node_init(&B.b, "10.0.0.2", 1500, 2);
	nb_rng_seed(&B.rng[0], 77);
	nb_rng_seed(&B.rng[1], 78);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	h_link_free(&B.link);
	h_node_free(&B.a);
	h_node_free(&B.b);
	return 0;
}

static int drop_fn(void *arg, int dir, uint64_t k, const struct hseg *g)
{
	struct bulk *b = arg;
	(void)k;
	if (dir == 0 && g->len > 0) {
		uint64_t n = ++b->data_k;
		if (b->every_nth && n % b->every_nth == 0)
			return H_DROP;
		if (b->burst_len && n >= b->burst_at && n < b->burst_at + b->burst_len)
			return H_DROP;
	}
	if (b->loss[dir] > 0 && nb_rng_unit(&b->rng[dir]) < b->loss[dir])
		return H_DROP;
	if (b->reorder > 0 && nb_rng_unit(&b->rng[dir]) < b->reorder)
		return H_HOLD;
	if (b->dup > 0 && nb_rng_unit(&b->rng[dir]) < b->dup)
		return H_DUP;
	return H_PASS;
}

/* Reads up to max bytes (all there is if SIZE_MAX) into the digest. */
static void drain(struct bulk *b, size_t max)
{
	static uint8_t buf[1 << 16];
	size_t got = 0;
	while (got < max) {
		ssize_t r = tcp_recv(b->srv, buf, NB_MIN(sizeof buf, max - got));
		if (r > 0) {
			sha256_update(&b->hr, buf, (size_t)r);
			b->rcvd += (size_t)r;
			got += (size_t)r;
			continue;
		}
		if (r == 0)
			b->eof = true;
		break;
	}
}

/* The slow reader's timer on node b: one chunk per tick. */
static void reader_tick(struct nb_timer *t, nb_time_t now)
{
	struct bulk *b = t->arg;
	if (b->srv && !b->eof)
		drain(b, b->read_chunk);
	if (!b->eof)
		timer_arm(&b->b.s.timers, t, now + b->read_every);
}

/* Called after every event: accept, keep the send buffer full, drain the
 * receiver (at the reader's pace), close when done. True at EOF. */
static bool step(void *arg)
{
	struct bulk *b = arg;
	if (!b->srv && b->l) {
		b->srv = tcp_accept(b->l);
		if (b->srv)
			tcp_set_owner(b->srv, &b->bev, h_notify, "sink");
	}
	if (b->c->state == TCP_ESTABLISHED || b->c->state == TCP_CLOSE_WAIT) {
		while (b->sent < b->total) {
			size_t off = b->sent % DATA_LEN;
			size_t n = NB_MIN(b->total - b->sent, DATA_LEN - off);
			ssize_t r = tcp_send(b->c, data + off, n, false);
			if (r <= 0)
				break;
			sha256_update(&b->hs, data + off, (size_t)r);
			b->sent += (size_t)r;
		}
		if (b->sent == b->total && !b->shut) {
			tcp_shutdown(b->c, SHUT_WR);
			b->shut = true;
		}
	}
	uint32_t fl = b->c->snd_max - b->c->snd_una;
	if (fl > b->max_flight && b->c->state == TCP_ESTABLISHED)
		b->max_flight = fl;
	if (b->srv && !b->eof && !b->read_chunk)
		drain(b, SIZE_MAX);
	return b->eof;
}

/* Runs a transfer of total bytes; returns the time it took. */
static nb_time_t run(size_t total, nb_time_t delay, uint64_t rate_bps, nb_time_t limit)
{
	B.total = total;
	sha256_init(&B.hs);
	sha256_init(&B.hr);
	h_link_init(&B.link, &B.a, &B.b, delay);
	B.link.rate_bps = rate_bps;
	B.link.drop = drop_fn;
	B.link.drop_arg = &B;
	B.l = tcp_new(&B.b.s, &B.bev, h_notify, "sink");
	assert_int_equal(tcp_bind(B.l, 0, 80), 0);
	assert_int_equal(tcp_listen(B.l, 8), 0);
	B.c = h_new(&B.a, "source");
	nb_time_t t0 = B.a.s.now;
	if (B.read_chunk) {
		timer_init(&B.reader, reader_tick, &B);
		timer_arm(&B.b.s.timers, &B.reader, t0 + B.read_every);
	}
	assert_int_equal(tcp_connect(B.c, B.b.addr, 80), -EINPROGRESS);
	bool ok = h_link_run(&B.link, t0 + limit, step, &B);
	assert_true(ok);
	assert_int_equal(B.rcvd, total);
	uint8_t d1[SHA256_LEN], d2[SHA256_LEN];
	sha256_final(&B.hs, d1);
	sha256_final(&B.hr, d2);
	assert_memory_equal(d1, d2, SHA256_LEN);
	nb_time_t took = B.a.s.now - t0;
	timer_cancel(&B.b.s.timers, &B.reader);
	B.srv_rcv_wscale = B.srv->rcv_wscale;
	B.cli_snd_wscale = B.c->snd_wscale;
	/* the rest of the FIN exchange, then both sides let go */
	tcp_close(B.srv);
	h_link_run(&B.link, B.a.s.now + NB_SEC(1), NULL, NULL);
	if (B.dup > 0 && B.c->state == TCP_CLOSED) {
		/* A duplicate of a's last ACK reached b after b had closed; b
		 * answered it with a RST, which ends a's TIME-WAIT (RFC 9293
		 * 3.10.7.4; Linux too, unless tcp_rfc1337 is set). */
		assert_true(B.b.s.stats.tcp_rst_sent > 0 && B.a.s.stats.tcp_rst_received > 0);
	} else {
		assert_int_equal(B.c->state, TCP_TIME_WAIT);
	}
	assert_null(B.c->sndbuf.buf);                    /* TIME_WAIT keeps no buffers */
	assert_null(B.c->rcvbuf.buf);
	tcp_close(B.c);
	tcp_close(B.l);
	return took;
}

/* A clean 1 Gbit/s link with 1 ms delay: 16 MiB, no retransmission, and
 * the flight grows past 64 KiB (window scaling). */
static void test_bulk_clean(void **st)
{
	(void)st;
	nb_time_t took = run(16u << 20, NB_MS(1), 1000000000ull, NB_SEC(10));
	assert_int_equal(B.a.s.stats.tcp_retransmits, 0);
	assert_int_equal(B.b.s.stats.tcp_retransmits, 0);
	assert_int_equal(B.a.s.stats.tcp_rto_fires, 0);
	assert_true(B.max_flight > 65535);
	assert_int_equal(B.cli_snd_wscale, 5);
	/* 16 MiB at 1 Gbit/s is 134 ms on the wire; allow for slow start */
	assert_true(took < NB_MS(400));
	print_message("clean: %.1f ms, max flight %u\n", (double)took / 1e6, B.max_flight);
}

/* Every 50th data segment lost: fast retransmit and SACK recover without
 * (or with few) timeouts. */
static void test_bulk_periodic_loss_sack(void **st)
{
	(void)st;
	B.every_nth = 50;
	nb_time_t took = run(8u << 20, NB_MS(1), 1000000000ull, NB_SEC(30));
	assert_true(B.a.s.stats.tcp_fast_retransmits > 0);
	assert_true(B.a.s.stats.tcp_retransmits >= B.link.dropped[0]);
	assert_true(B.b.s.stats.tcp_out_of_order > 0);
	print_message("periodic loss (SACK): %.1f ms, %lu dropped, %lu rexmits, %lu fast, %lu rto\n",
		      (double)took / 1e6, (unsigned long)B.link.dropped[0],
		      (unsigned long)B.a.s.stats.tcp_retransmits,
		      (unsigned long)B.a.s.stats.tcp_fast_retransmits,
		      (unsigned long)B.a.s.stats.tcp_rto_fires);
}

/* The same with SACK and timestamps off: NewReno alone. */
static void test_bulk_periodic_loss_newreno(void **st)
{
	(void)st;
	B.every_nth = 50;
	B.a.s.params.tcp_sack = 0;
	B.a.s.params.tcp_timestamps = 0;
	nb_time_t took = run(8u << 20, NB_MS(1), 1000000000ull, NB_SEC(60));
	assert_false(B.c->sack_ok);
	assert_true(B.a.s.stats.tcp_fast_retransmits > 0);
	print_message("periodic loss (NewReno): %.1f ms, %lu dropped, %lu rexmits, %lu fast, %lu rto\n",
		      (double)took / 1e6, (unsigned long)B.link.dropped[0],
		      (unsigned long)B.a.s.stats.tcp_retransmits,
		      (unsigned long)B.a.s.stats.tcp_fast_retransmits,
		      (unsigned long)B.a.s.stats.tcp_rto_fires);
}

/* A burst of 8 consecutive segments lost in one window: with SACK the
 * holes are resent as the duplicate ACKs report data above them (one
 * round trip); NewReno needs one round trip per hole (partial ACKs). Both
 * recover without a timeout. */
static nb_time_t burst(bool sack)
{
	B.burst_at = 300;
	B.burst_len = 8;
	B.a.s.params.tcp_sack = sack;
	nb_time_t took = run(2u << 20, NB_MS(5), 1000000000ull, NB_SEC(60));
	print_message("burst loss (%s): %.1f ms, %lu rexmits, %lu fast, %lu sack, %lu rto\n",
		      sack ? "SACK" : "NewReno", (double)took / 1e6,
		      (unsigned long)B.a.s.stats.tcp_retransmits,
		      (unsigned long)B.a.s.stats.tcp_fast_retransmits,
		      (unsigned long)B.a.s.stats.tcp_sack_rexmits,
		      (unsigned long)B.a.s.stats.tcp_rto_fires);
	assert_int_equal(B.a.s.stats.tcp_rto_fires, 0);
	assert_int_equal(B.a.s.stats.tcp_fast_retransmits, 1);
	return took;
}

static nb_time_t burst_newreno_took;

static void test_bulk_burst_loss_newreno(void **st)
{
	(void)st;
	burst_newreno_took = burst(false);
	assert_int_equal(B.a.s.stats.tcp_retransmits, 8);
	assert_int_equal(B.a.s.stats.tcp_sack_rexmits, 0);
}

static void test_bulk_burst_loss_sack(void **st)
{
	(void)st;
	nb_time_t took = burst(true);
	assert_int_equal(B.a.s.stats.tcp_retransmits, 8);
	assert_true(B.a.s.stats.tcp_sack_rexmits >= 6);
	/* NewReno spends about one 10 ms round trip per hole */
	assert_true(took + NB_MS(50) < burst_newreno_took);
}

/* 1% random loss both ways (data and ACKs, SYNs and FINs too). */
static void test_bulk_random_loss(void **st)
{
	(void)st;
	B.loss[0] = B.loss[1] = 0.01;
	nb_time_t took = run(4u << 20, NB_MS(2), 500000000ull, NB_SEC(120));
	print_message("random loss: %.1f ms, %lu/%lu dropped, %lu rexmits, %lu rto\n",
		      (double)took / 1e6, (unsigned long)B.link.dropped[0],
		      (unsigned long)B.link.dropped[1],
		      (unsigned long)B.a.s.stats.tcp_retransmits,
		      (unsigned long)B.a.s.stats.tcp_rto_fires);
}

/* Reordering (2%), duplication (1%) and loss (0.5%) in both directions:
 * reassembly, duplicate detection and the digest must all hold. */
static void test_bulk_reorder_dup(void **st)
{
	(void)st;
	B.reorder = 0.02;
	B.dup = 0.01;
	B.loss[0] = B.loss[1] = 0.005;
	nb_time_t took = run(4u << 20, NB_MS(1), 1000000000ull, NB_SEC(120));
	assert_true(B.link.reordered[0] > 0 && B.link.duplicated[0] > 0);
	assert_true(B.b.s.stats.tcp_out_of_order > 0);
	print_message("reorder+dup: %.1f ms, %lu reordered, %lu duplicated, %lu dropped, %lu rexmits, %lu rto\n",
		      (double)took / 1e6, (unsigned long)B.link.reordered[0],
		      (unsigned long)B.link.duplicated[0], (unsigned long)B.link.dropped[0],
		      (unsigned long)B.a.s.stats.tcp_retransmits,
		      (unsigned long)B.a.s.stats.tcp_rto_fires);
}

/* A slow reader with a small buffer: the window closes, the sender
 * persists, window updates reopen it; nothing is lost or duplicated. */
static void test_bulk_slow_reader(void **st)
{
	(void)st;
	B.b.s.params.tcp_rcvbuf = 16384;
	B.read_chunk = 3000;
	B.read_every = NB_MS(5);
	nb_time_t took = run(1u << 20, NB_MS(1), 1000000000ull, NB_SEC(120));
	assert_int_equal(B.srv_rcv_wscale, 0);
	print_message("slow reader: %.1f ms, probes %lu\n", (double)took / 1e6,
		      (unsigned long)B.a.s.stats.tcp_zero_window_probes);
	/* about 1 MiB / (3000 B / 5 ms) = 1.75 s: the reader sets the pace */
	assert_true(took > NB_MS(1700));
}

/* Slow start over a 20 ms RTT while the receiving application reads in
 * bursts (everything, every 5 ms): ACKs still come every second segment
 * (RFC 5681 4.2), so the flight doubles each RTT and 2 MiB take about 8
 * RTTs. (A receiver that held its ACKs until the application read gave one
 * ACK per read: growth of 2 SMSS per 5 ms, over 40 RTTs for the same data.) */
static void test_bulk_slow_start_bursty_reader(void **st)
{
	(void)st;
	B.read_chunk = SIZE_MAX;
	B.read_every = NB_MS(5);
	nb_time_t took = run(2u << 20, NB_MS(10), 1000000000ull, NB_SEC(30));
	uint64_t acks = B.b.s.stats.tcp_tx_segments, segs = B.a.s.stats.tcp_tx_segments;
	print_message("slow start, bursty reader: %.1f ms, %lu ACKs for %lu segments\n", (double)took / 1e6,
		      (unsigned long)acks, (unsigned long)segs);
	assert_true(took < NB_MS(300));
	assert_true(2 * acks >= segs - 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bulk_clean, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bulk_periodic_loss_sack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bulk_periodic_loss_newreno, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bulk_burst_loss_newreno, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bulk_burst_loss_sack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bulk_random_loss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bulk_reorder_dup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bulk_slow_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bulk_slow_start_bursty_reader, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
