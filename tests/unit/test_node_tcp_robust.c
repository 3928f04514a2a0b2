/* test_node_tcp_robust.c: a deterministic storm of random and mutated
 * segments (flags, sequence and ACK numbers around the interesting edges,
 * option bytes, lengths, data offsets) and random application calls,
 * against a listener and live connections; under ASan/UBSan nothing may
 * read out of bounds, and after every step the pcbs' invariants hold:
 *   SND.UNA <= SND.NXT <= SND.MAX, buffers within their capacity,
 *   out-of-order ranges sorted, disjoint, above RCV.NXT and inside the
 *   receive buffer, the listener's queues within the backlog.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tcp_harness.h"

static struct nb_rng R;
static uint32_t rnd(uint32_t n) { return n ? (uint32_t)(nb_rng_next(&R) % n) : 0; }

static void check_pcb(struct tcp_pcb *p, void *arg)
{
	(void)arg;
	assert_true(SEQ_LEQ(p->snd_una, p->snd_nxt));
	assert_true(SEQ_LEQ(p->snd_nxt, p->snd_max));
	assert_true(p->sndbuf.len <= p->sndbuf_cap);
	assert_true(p->rcvbuf.len <= p->rcvbuf_cap);
	int32_t d = (int32_t)(p->snd_seq0 - p->snd_una);
	if (p->state != TCP_CLOSED && p->state != TCP_LISTEN)
		assert_true(d >= -1 && d <= 1);
	size_t bytes = 0;
	uint32_t prev_end = p->rcv_nxt;
	for (struct tcp_ooo *o = p->ooo; o; o = o->next) {
		if (!SEQ_GT(o->seq, prev_end)) {
			print_message("state %s rcv_nxt %u len %zu fin_pending %d fin_seq %u\n",
				      tcp_state_name(p->state), p->rcv_nxt, p->rcvbuf.len,
				      p->rcv_fin_pending, p->rcv_fin_seq);
			for (struct tcp_ooo *q = p->ooo; q; q = q->next)
				print_message("  [%u, %u)\n", q->seq, q->seq + q->len);
		}
		assert_true(o->len > 0);
		assert_true(SEQ_GT(o->seq, prev_end));       /* sorted, disjoint, not touching */
		prev_end = o->seq + o->len;
		assert_true((size_t)(prev_end - p->rcv_nxt) + p->rcvbuf.len <= p->rcvbuf_cap);
		bytes += o->len;
	}
	assert_int_equal(bytes, p->ooo_bytes);
	if (p->state == TCP_LISTEN) {
		assert_true(p->syn_len <= p->backlog);
		assert_true(p->accept_len <= p->backlog);
	}
	assert_true(p->cwnd > 0 || p->state < TCP_SYN_SENT);
}

static const uint8_t flag_sets[] = {
	TCP_ACK, TCP_ACK | TCP_PSH, TCP_SYN, TCP_SYN | TCP_ACK, TCP_RST, TCP_RST | TCP_ACK,
	TCP_FIN | TCP_ACK, TCP_FIN, TCP_ACK | TCP_URG, 0, 0xff,
};

/* One random segment aimed at pcb's 4-tuple (or a random port). */
static void storm_segment(struct hnode *n, struct tcp_pcb *pcb)
{
	static uint8_t data[3000];
	static uint8_t opts[40];
	struct hin in = {0};
	in.sport = pcb ? pcb->fport : (uint16_t)(1 + rnd(65535));
	in.dport = pcb ? pcb->lport : (uint16_t)(rnd(2) ? 80 : 1 + rnd(65535));
	uint32_t base = pcb ? pcb->rcv_nxt : nb_rng_next(&R);
	uint32_t abase = pcb ? pcb->snd_una : nb_rng_next(&R);
	switch (rnd(6)) {
	case 0: in.seq = base; break;
	case 1: in.seq = base + rnd(70000); break;
	case 2: in.seq = base - rnd(70000); break;
	case 3: in.seq = base + rnd(3) - 1; break;
	case 4: in.seq = (uint32_t)nb_rng_next(&R); break;
	default: in.seq = base + (uint32_t)(pcb ? pcb->rcv_adv - pcb->rcv_nxt : 0) - rnd(3000); break;
	}
	switch (rnd(5)) {
	case 0: in.ack = abase; break;
	case 1: in.ack = pcb ? pcb->snd_max : abase; break;
	case 2: in.ack = abase + rnd(pcb ? pcb->snd_max - pcb->snd_una + 2 : 3); break;
	case 3: in.ack = abase - rnd(100000); break;
	default: in.ack = (uint32_t)nb_rng_next(&R); break;
	}
	in.flags = rnd(4) ? flag_sets[rnd(sizeof flag_sets)] : (uint8_t)rnd(256);
	in.wnd = rnd(4) ? (uint16_t)rnd(65536) : 0;
	in.len = rnd(3) ? rnd(1600) : 0;
	for (uint32_t i = 0; i < in.len; i++)
		data[i] = (uint8_t)nb_rng_next(&R);
	in.data = data;
	switch (rnd(5)) {
	case 0:
		in.rawoptlen = rnd(41);
		for (size_t i = 0; i < in.rawoptlen; i++)
			opts[i] = (uint8_t)(rnd(3) ? rnd(10) : rnd(256));
		in.rawopt = opts;
		break;
	case 1:
		in.ts = true;
		in.tsval = pcb ? pcb->ts_recent + rnd(100) - 50 : (uint32_t)nb_rng_next(&R);
		in.nsack = (int)rnd(4);
		for (int i = 0; i < in.nsack; i++) {
			uint32_t st = abase + rnd(40000);
			in.sack[i] = (struct tcp_sack_blk){st, st + rnd(5000)};
		}
		break;
	case 2:
		in.mss = (uint16_t)rnd(3000);
		in.ws_on = rnd(2);
		in.ws = (int)rnd(20);
		in.sackok = rnd(2);
		break;
	default:
		break;
	}
	if (!rnd(20))
		in.doff = (int)rnd(16);
	in.csum_partial = rnd(2);
	in.bad_cksum = !rnd(30);
	in.direct = rnd(2);
	h_inject(n, &in);
}

static void storm(uint64_t seed)
{
	struct hnode n;
	h_node_init(&n, "10.0.0.1", 1500, seed);
	nb_rng_seed(&R, seed);
	n.s.params.tcp_rcvbuf = 8192;     /* small buffers: edges get hit often */
	n.s.params.tcp_sndbuf = 8192;
	struct tcp_pcb *l = h_new(&n, "web");
	tcp_bind(l, 0, 80);
	tcp_listen(l, 4);
	struct tcp_pcb *c[3] = {NULL, NULL, NULL};
	static uint8_t buf[4096];
	for (int it = 0; it < 60000; it++) {
		int k = (int)rnd(3);
		if (!c[k] || c[k]->state == TCP_CLOSED) {
			if (c[k])
				tcp_close(c[k]);
			c[k] = h_new(&n, "c");
			tcp_bind(c[k], 0, 0);
			tcp_connect(c[k], h_ip(H_PEER), (uint16_t)(81 + k));
			struct hseg *syn = h_q_last(&n);
			if (syn && (syn->flags & TCP_SYN) && rnd(4))
				h_inject(&n, &(struct hin){.sport = (uint16_t)(81 + k), .dport = c[k]->lport,
							   .flags = TCP_SYN | TCP_ACK, .seq = (uint32_t)nb_rng_next(&R),
							   .ack = syn->seq + 1, .wnd = 65535, .mss = 1000,
							   .sackok = true, .ts = true, .ws_on = true, .ws = 3});
		}
		switch (rnd(10)) {
		case 0:
			tcp_send(c[k], buf, rnd(sizeof buf), rnd(2));
			break;
		case 1:
			tcp_recv(c[k], buf, rnd(sizeof buf));
			break;
		case 2:
			h_advance(&n, rnd(4) ? NB_MS(rnd(300)) : NB_SEC(rnd(200)));
			break;
		case 3:
			if (!rnd(20)) {
				if (rnd(2))
					tcp_close(c[k]);
				else
					tcp_abort(c[k]);
				c[k] = NULL;
			} else if (!rnd(10)) {
				tcp_shutdown(c[k], (int)rnd(3));
			}
			break;
		case 4: {
			struct tcp_pcb *a = tcp_accept(l);
			if (a)
				rnd(2) ? tcp_close(a) : tcp_abort(a);
			break;
		}
		case 5:
			storm_segment(&n, NULL);
			break;
		default:
			storm_segment(&n, c[k]);
			break;
		}
		tcp_foreach(&n.s, check_pcb, NULL);
		if (it % 256 == 0)
			h_q_clear(&n);
	}
	print_message("storm: %lu pcbs left, %lu rx, %lu tx, %lu rst sent, %lu challenge acks\n",
		      (unsigned long)n.s.tcp->npcbs, (unsigned long)n.s.stats.tcp_rx_segments,
		      (unsigned long)n.s.stats.tcp_tx_segments, (unsigned long)n.s.stats.tcp_rst_sent,
		      (unsigned long)n.s.stats.tcp_challenge_acks);
	for (int k = 0; k < 3; k++)
		if (c[k])
			tcp_abort(c[k]);
	tcp_close(l);
	h_node_free(&n);
}

static void test_storm(void **st)
{
	(void)st;
	const char *env = getenv("TCP_STORM_SEEDS");
	int seeds = env ? atoi(env) : 8;
	for (int i = 0; i < seeds; i++)
		storm(2024 + (uint64_t)i);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_storm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
