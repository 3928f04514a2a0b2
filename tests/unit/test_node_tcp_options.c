/* test_node_tcp_options.c: option parsing and building (RFC 9293 3.2,
 * RFC 7323, RFC 2018), the byte rings, the out-of-order range list, and
 * sequence arithmetic across the 2^32 wrap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tcp_harness.h"

/* Every option kind, with NOP padding and EOL; SYN-only options only count
 * on a SYN. */
static void test_parse_all(void **st)
{
	(void)st;
	static const uint8_t o[] = {
		2, 4, 0x05, 0xb4,                   /* MSS 1460 */
		1, 3, 3, 7,                         /* NOP, WS 7 */
		4, 2,                               /* SACK-permitted */
		8, 10, 0, 0, 1, 0, 0, 0, 2, 0,      /* TS 256, 512 */
		1, 1, 5, 18,                        /* NOP NOP SACK x2 */
		0, 0, 0, 10, 0, 0, 0, 20,
		0, 0, 0, 30, 0, 0, 0, 40,
		0, 0,                               /* EOL + padding */
	};
	struct tcp_opts p;
	assert_int_equal(tcp_opts_parse(o, sizeof o, true, &p), 0);
	assert_true(p.mss_ok);
	assert_int_equal(p.mss, 1460);
	assert_true(p.ws_ok);
	assert_int_equal(p.ws, 7);
	assert_true(p.sack_perm);
	assert_true(p.ts_present);
	assert_int_equal(p.tsval, 256);
	assert_int_equal(p.tsecr, 512);
	assert_int_equal(p.nsack, 0);                /* SACK blocks never on a SYN */
	assert_int_equal(tcp_opts_parse(o, sizeof o, false, &p), 0);
	assert_false(p.mss_ok);
	assert_false(p.ws_ok);
	assert_false(p.sack_perm);
	assert_true(p.ts_present);
	assert_int_equal(p.nsack, 2);
	assert_int_equal(p.sack[0].start, 10);
	assert_int_equal(p.sack[0].end, 20);
	assert_int_equal(p.sack[1].start, 30);
	assert_int_equal(p.sack[1].end, 40);
}

/* Lengths are checked before anything is read: a missing length byte, a
 * length below 2 or past the end makes the segment malformed; a known
 * option of the wrong length is ignored; unknown options are skipped. */
static void test_parse_lengths(void **st)
{
	(void)st;
	struct tcp_opts p;
	static const uint8_t trunc[] = {1, 1, 1, 2};                  /* MSS without length */
	assert_int_equal(tcp_opts_parse(trunc, sizeof trunc, true, &p), -1);
	static const uint8_t zero[] = {99, 0, 1, 1};                  /* length 0 */
	assert_int_equal(tcp_opts_parse(zero, sizeof zero, true, &p), -1);
	static const uint8_t one[] = {99, 1, 1, 1};
	assert_int_equal(tcp_opts_parse(one, sizeof one, true, &p), -1);
	static const uint8_t past[] = {8, 10, 0, 0, 0, 0};            /* TS runs past */
	assert_int_equal(tcp_opts_parse(past, sizeof past, false, &p), -1);
	static const uint8_t badmss[] = {2, 3, 5, 1, 1, 1, 1, 1};     /* MSS len 3 */
	assert_int_equal(tcp_opts_parse(badmss, sizeof badmss, true, &p), 0);
	assert_false(p.mss_ok);
	static const uint8_t unknown[] = {30, 6, 1, 2, 3, 4, 2, 4, 1, 0, 0, 0};
	assert_int_equal(tcp_opts_parse(unknown, sizeof unknown, true, &p), 0);
	assert_true(p.mss_ok);
	assert_int_equal(p.mss, 256);
	static const uint8_t sackodd[] = {5, 7, 0, 0, 0, 1, 0, 0};    /* 2 + 5: not 8n */
	assert_int_equal(tcp_opts_parse(sackodd, sizeof sackodd, false, &p), 0);
	assert_int_equal(p.nsack, 0);
	static const uint8_t eol[] = {0, 99, 0, 0};                   /* nothing after EOL */
	assert_int_equal(tcp_opts_parse(eol, sizeof eol, false, &p), 0);
	assert_int_equal(tcp_opts_parse(NULL, 0, true, &p), 0);
	/* every possible 3-byte area parses or fails without reading past it */
	uint8_t b[3];
	for (int x = 0; x < 256; x++)
		for (int y = 0; y < 256; y += 3) {
			b[0] = (uint8_t)x;
			b[1] = (uint8_t)y;
			b[2] = 1;
			uint8_t *h = malloc(3);
			memcpy(h, b, 3);
			tcp_opts_parse(h, 3, true, &p);
			free(h);
		}
}

/* The SYN option layouts we build, with and without each option. */
static void test_build_syn(void **st)
{
	(void)st;
	struct hnode n;
	h_node_init(&n, "10.0.0.1", 1500, 1);
	struct tcp_pcb *pcb = h_new(&n, "x");
	pcb->our_mss = 1460;
	pcb->ts_ok = pcb->sack_ok = pcb->ws_ok = true;
	pcb->rcv_wscale = 9;
	pcb->ts_recent = 0x01020304;
	uint8_t o[40];
	struct tcp_opts p;
	size_t len = tcp_opts_build_syn(pcb, false, o);
	assert_int_equal(len, 20);
	static const uint8_t head[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10};
	assert_memory_equal(o, head, sizeof head);
	assert_int_equal(tcp_opts_parse(o, len, true, &p), 0);
	assert_true(p.mss_ok && p.sack_perm && p.ts_present && p.ws_ok);
	assert_int_equal(p.ws, 9);
	assert_int_equal(p.tsecr, 0x01020304);
	pcb->ts_ok = false;
	len = tcp_opts_build_syn(pcb, true, o);
	assert_int_equal(len, 12);
	assert_int_equal(tcp_opts_parse(o, len, true, &p), 0);
	assert_true(p.sack_perm && p.ws_ok && !p.ts_present);
	pcb->sack_ok = pcb->ws_ok = false;
	assert_int_equal(tcp_opts_build_syn(pcb, true, o), 4);
	pcb->ts_ok = true;
	assert_int_equal(tcp_opts_build_syn(pcb, true, o), 16);
	tcp_close(pcb);
	h_node_free(&n);
}

/* Byte rings: wrap-around writes, peeks at offsets, drops; writing past
 * len for out-of-order data. */
static void test_ring(void **st)
{
	(void)st;
	struct tcp_ring r = {0};
	assert_int_equal(ring_alloc(&r, 10), 0);
	assert_int_equal(ring_write(&r, "abcdefgh", 8), 8);
	assert_int_equal(ring_write(&r, "ijkl", 4), 2);
	char b[16] = {0};
	assert_int_equal(ring_read(&r, b, 6), 6);
	assert_memory_equal(b, "abcdef", 6);
	assert_int_equal(ring_write(&r, "klmnop", 6), 6);        /* wraps */
	ring_peek(&r, 0, b, 10);                                 /* "ghij" + "klmnop" */
	assert_memory_equal(b, "ghijklmnop", 10);
	ring_peek(&r, 2, b, 6);
	assert_memory_equal(b, "ijklmn", 6);
	ring_write_at(&r, 9, "Z", 1);                            /* overwrite in place */
	assert_int_equal(r.len, 10);
	assert_int_equal(ring_drop(&r, 3), 3);
	ring_peek(&r, 0, b, 7);
	assert_memory_equal(b, "jklmnoZ", 7);
	assert_int_equal(ring_drop(&r, 100), 7);
	assert_int_equal(r.len, 0);
	/* resize keeps the bytes (including those past len) */
	ring_write(&r, "12345", 5);
	ring_write_at(&r, 7, "X", 1);
	assert_int_equal(ring_resize(&r, 20, 10), 0);
	ring_peek(&r, 0, b, 8);
	assert_memory_equal(b, "12345", 5);
	assert_int_equal(b[7], 'X');
	ring_free(&r);
}

/* The out-of-order range list merges, counts and reports SACK blocks. */
static void test_reass_ranges(void **st)
{
	(void)st;
	struct hnode n;
	h_node_init(&n, "10.0.0.1", 1500, 1);
	struct tcp_pcb *pcb = h_new(&n, "x");
	pcb->rcv_nxt = 1000;
	pcb->rcvbuf_cap = 100000;
	static uint8_t d[10000];
	bool fin;
	assert_int_equal(tcp_reass(pcb, 1100, d, 100, false, &fin), 0);
	assert_int_equal(tcp_reass(pcb, 1300, d, 100, false, &fin), 0);
	assert_int_equal(tcp_reass(pcb, 1500, d, 100, true, &fin), 0);
	assert_int_equal(pcb->ooo_bytes, 300);
	struct tcp_sack_blk b[4];
	assert_int_equal(tcp_reass_sack(pcb, b, 4), 3);
	assert_int_equal(b[0].start, 1500);                      /* newest first */
	assert_int_equal(b[1].start, 1100);
	assert_int_equal(b[2].start, 1300);
	assert_int_equal(tcp_reass(pcb, 1150, d, 200, false, &fin), 0);   /* bridges two */
	assert_int_equal(pcb->ooo_bytes, 400);
	assert_int_equal(pcb->ooo->seq, 1100);
	assert_int_equal(pcb->ooo->len, 300);
	assert_int_equal(tcp_reass(pcb, 1000, d, 100, false, &fin), 400);
	assert_false(fin);
	assert_int_equal(pcb->rcv_nxt, 1400);
	assert_int_equal(tcp_reass(pcb, 1400, d, 100, false, &fin), 200);
	assert_true(fin);                                        /* FIN at 1600 now in order */
	assert_int_equal(pcb->rcv_nxt, 1600);
	assert_null(pcb->ooo);
	/* data past a FIN is cut */
	pcb->rcv_nxt = 5000;
	pcb->rcvbuf.len = 0;
	assert_int_equal(tcp_reass(pcb, 5010, d, 10, true, &fin), 0);
	assert_int_equal(tcp_reass(pcb, 5000, d, 50, false, &fin), 20);
	assert_true(fin);
	tcp_abort(pcb);
	h_node_free(&n);
}

/* Sequence comparisons are modulo 2^32 (RFC 9293 3.4). */
static void test_seq_macros(void **st)
{
	(void)st;
	assert_true(SEQ_LT(0xfffffff0u, 0x10u));
	assert_true(SEQ_GT(0x10u, 0xfffffff0u));
	assert_true(SEQ_LEQ(5u, 5u));
	assert_true(SEQ_GEQ(0x80000000u, 0x7fffffffu));
	assert_false(SEQ_LT(1u, 1u));
}

/* Data and FIN across the sequence wrap: the peer's ISN is 2^32 - 100. */
static void test_receive_across_wrap(void **st)
{
	(void)st;
	struct hnode n;
	h_node_init(&n, "10.0.0.1", 1500, 1);
	h_params_plain(&n);
	uint32_t piss = 0xffffff9bu;
	struct tcp_pcb *pcb = h_established(&n, piss, 65535, 1000);
	static uint8_t d[3000];
	for (int i = 0; i < 3000; i++)
		d[i] = (uint8_t)i;
	uint32_t b = piss + 1;                   /* 0xffffff9c */
	h_data(&n, b + 1000, pcb->snd_nxt, 65535, d + 1000, 1000, 0);   /* past the wrap */
	h_data(&n, b, pcb->snd_nxt, 65535, d, 1000, 0);
	h_data(&n, b + 2000, pcb->snd_nxt, 65535, d + 2000, 1000, TCP_FIN);
	assert_int_equal(pcb->rcv_nxt, b + 3001);
	assert_int_equal(pcb->rcv_nxt, 3001u - 100u);
	assert_int_equal(pcb->state, TCP_CLOSE_WAIT);
	uint8_t out[4000];
	assert_int_equal(tcp_recv(pcb, out, sizeof out), 3000);
	assert_memory_equal(out, d, 3000);
	struct hseg *a = h_q_last(&n);
	assert_int_equal(a->ack, 2901);
	tcp_abort(pcb);
	h_node_free(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_all),
		cmocka_unit_test(test_parse_lengths),
		cmocka_unit_test(test_build_syn),
		cmocka_unit_test(test_ring),
		cmocka_unit_test(test_reass_ranges),
		cmocka_unit_test(test_seq_macros),
		cmocka_unit_test(test_receive_across_wrap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
