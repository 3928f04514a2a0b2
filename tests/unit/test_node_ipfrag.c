/* test_node_ipfrag.c: fragmentation on output and when forwarding, and
 * reassembly: in order, reversed, duplicates, conflicting overlaps, bad
 * fragments, the queue bound and the timeout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_stack.h"
#include "ip_var.h"
#include "route.h"

#define IP FAKE_IP
#define DATA 200                /* echo data bytes: a 208-byte ICMP message */

static uint8_t msg[8 + DATA];

static void make_msg(void)
{
	uint8_t data[DATA];
	for (int i = 0; i < DATA; i++)
		data[i] = (uint8_t)(i * 13 + 1);
	fake_icmp(msg, ICMP_ECHO, 0, 0x77770005, data, DATA);
}

/* frag: bytes [off, off+len) of msg, as a fragment from peer0 to us. */
static void frag(struct fake_stack *fs, uint16_t id, size_t off, size_t len, bool mf)
{
	uint8_t f[300];
	size_t n = fake_ip_frame(f, FAKE_MAC0, FAKE_PEER_MAC0, FAKE_PEER0, FAKE_IP0, IP_PROTO_ICMP, 64, id,
				 (uint16_t)((mf ? IP_FLAG_MF : 0) | off / 8), msg + off, len);
	fake_input(fs, 0, f, n);
}

/* expect_reply: the stack answered the reassembled echo request. */
static void expect_reply(struct fake_stack *fs)
{
	struct fake_frame *r = fake_pop(fs);
	size_t len;
	const uint8_t *icmp = fake_l4(r, IP_PROTO_ICMP, &len);
	assert_non_null(icmp);
	assert_int_equal(len, sizeof msg);
	assert_int_equal(icmp[0], ICMP_ECHOREPLY);
	assert_memory_equal(icmp + 4, msg + 4, sizeof msg - 4);
	assert_int_equal(cksum(icmp, len), 0);
	assert_int_equal(fake_nframes(fs), 0);
}

static void test_in_order_and_reversed(void **st)
{
	(void)st;
	make_msg();
	struct fake_stack *fs = fake_stack_new(1, FAKE_STATIC_ARP);
	frag(fs, 1, 0, 64, true);
	frag(fs, 1, 64, 64, true);
	frag(fs, 1, 128, 64, true);
	assert_int_equal(fake_nframes(fs), 0);
	frag(fs, 1, 192, 16, false);
	expect_reply(fs);
	frag(fs, 2, 192, 16, false);
	frag(fs, 2, 128, 64, true);
	frag(fs, 2, 64, 64, true);
	assert_int_equal(ip_reass_pending(&fs->s), 1);
	frag(fs, 2, 0, 64, true);
	expect_reply(fs);
	/* Interleaved datagrams, odd pieces. */
	frag(fs, 3, 96, 112, false);
	frag(fs, 4, 0, 8, true);
	frag(fs, 3, 0, 96, true);
	expect_reply(fs);
	frag(fs, 4, 8, 200, false);
	expect_reply(fs);
	assert_int_equal(fs->s.stats.ip_frag_rx, 12);
	assert_int_equal(fs->s.stats.ip_reass_ok, 4);
	assert_int_equal(ip_reass_pending(&fs->s), 0);
	assert_int_equal(stack_next_deadline(&fs->s), NB_TIME_NEVER);
	fake_stack_free(fs);
}

static void test_duplicates_and_overlaps(void **st)
{
	(void)st;
	make_msg();
	struct fake_stack *fs = fake_stack_new(1, FAKE_STATIC_ARP);
	/* Exact duplicates and overlaps carrying the same bytes: accepted. */
	frag(fs, 1, 0, 64, true);
	frag(fs, 1, 0, 64, true);
	frag(fs, 1, 32, 96, true);
	frag(fs, 1, 120, 88, false);
	expect_reply(fs);
	assert_int_equal(fs->s.stats.ip_reass_overlap, 0);

	/* A conflicting overlap (RFC 5722 spirit): the datagram is dropped. */
	frag(fs, 2, 0, 64, true);
	msg[8 + 40] ^= 0xff;
	frag(fs, 2, 32, 64, true);
	msg[8 + 40] ^= 0xff;
	assert_int_equal(fs->s.stats.ip_reass_overlap, 1);
	assert_int_equal(fs->s.stats.ip_reass_dropped, 1);
	assert_int_equal(ip_reass_pending(&fs->s), 0);
	/* The rest starts a new queue that cannot complete without its start. */
	frag(fs, 2, 96, 112, false);
	assert_int_equal(ip_reass_pending(&fs->s), 1);
	fake_advance(fs, NB_SEC(30));
	assert_int_equal(fs->s.stats.ip_reass_timeout, 1);
	assert_int_equal(fake_nframes(fs), 0);     /* no first fragment: no ICMP */
	fake_stack_free(fs);
}

static void test_bad_fragments(void **st)
{
	(void)st;
	make_msg();
	struct fake_stack *fs = fake_stack_new(1, FAKE_STATIC_ARP);
	struct nb_stats *c = &fs->s.stats;
	frag(fs, 1, 0, 60, true);                 /* not a multiple of 8 before the end */
	frag(fs, 1, 0, 0, true);                  /* empty */
	uint8_t f[300];
	size_t n = fake_ip_frame(f, FAKE_MAC0, FAKE_PEER_MAC0, FAKE_PEER0, FAKE_IP0, IP_PROTO_ICMP, 64, 1,
				 IP_OFFMASK, msg, 100);   /* 65528 + 100 > 65535 */
	fake_input(fs, 0, f, n);
	assert_int_equal(c->ip_rx_bad_frag, 3);
	assert_int_equal(ip_reass_pending(&fs->s), 0);

	/* Two different ends. */
	frag(fs, 2, 192, 16, false);
	frag(fs, 2, 128, 8, false);
	assert_int_equal(c->ip_reass_dropped, 1);
	/* Data past a known end. */
	frag(fs, 3, 128, 16, false);
	frag(fs, 3, 136, 64, true);
	assert_int_equal(c->ip_reass_dropped, 2);
	/* A last fragment ending before data already held. */
	frag(fs, 4, 128, 64, true);
	frag(fs, 4, 64, 16, false);
	assert_int_equal(c->ip_reass_dropped, 3);
	assert_int_equal(ip_reass_pending(&fs->s), 0);
	assert_int_equal(c->ip_reass_ok, 0);
	assert_int_equal(fake_nframes(fs), 0);
	fake_stack_free(fs);
}

static void test_queue_bound(void **st)
{
	(void)st;
	make_msg();
	struct fake_stack *fs = fake_stack_new(1, FAKE_STATIC_ARP);
	fs->s.params.ip_reass_max = 2;
	frag(fs, 1, 0, 64, true);
	frag(fs, 2, 0, 64, true);
	frag(fs, 3, 0, 64, true);                 /* evicts id 1, the oldest */
	assert_int_equal(ip_reass_pending(&fs->s), 2);
	assert_int_equal(fs->s.stats.ip_reass_dropped, 1);
	frag(fs, 1, 64, 144, false);              /* id 1 restarts, evicting id 2 */
	frag(fs, 3, 64, 144, false);
	expect_reply(fs);
	assert_int_equal(ip_reass_pending(&fs->s), 1);
	fake_stack_free(fs);
}

static void test_timeout_icmp(void **st)
{
	(void)st;
	make_msg();
	struct fake_stack *fs = fake_stack_new(1, FAKE_STATIC_ARP);
	frag(fs, 9, 0, 64, true);
	fake_advance(fs, NB_SEC(10));
	frag(fs, 9, 128, 80, false);              /* does not extend the deadline */
	fake_advance(fs, NB_SEC(20) - 1);
	assert_int_equal(fake_nframes(fs), 0);
	fake_advance(fs, 1);
	assert_int_equal(fs->s.stats.ip_reass_timeout, 1);
	struct fake_frame *e = fake_pop(fs);
	size_t len;
	const uint8_t *icmp = fake_l4(e, IP_PROTO_ICMP, &len);
	assert_non_null(icmp);
	assert_int_equal(icmp[0], ICMP_TIMXCEED);
	assert_int_equal(icmp[1], ICMP_TIMXCEED_REASS);
	assert_int_equal(len, 8 + 20 + 8);        /* first fragment's header + 8 bytes */
	assert_int_equal(nb_get16(icmp + 8 + 4), 9);
	assert_int_equal(nb_get16(icmp + 8 + 6), IP_FLAG_MF);
	assert_memory_equal(icmp + 8 + 20, msg, 8);
	assert_int_equal(ip_reass_pending(&fs->s), 0);
	fs->s.params.ip_reass_timeout = NB_MS(5);    /* the parameter is honoured */
	frag(fs, 10, 64, 64, true);
	fake_advance(fs, NB_MS(5));
	assert_int_equal(fs->s.stats.ip_reass_timeout, 2);
	fake_stack_free(fs);
}

/* check_frag: header fields of one fragment. */
static const uint8_t *check_frag(struct fake_frame *f, size_t tot, uint16_t off8, bool mf, uint16_t id)
{
	const uint8_t *ip = fake_ip(f, NULL);
	assert_non_null(ip);
	assert_int_equal(nb_get16(ip + 2), tot);
	assert_int_equal(nb_get16(ip + 6), (mf ? IP_FLAG_MF : 0) | off8);
	assert_int_equal(nb_get16(ip + 4), id);
	return ip;
}

struct echo_seen { int n; size_t len; uint8_t data[4000]; };

static void on_reply(void *arg, uint32_t from, uint16_t seq, const uint8_t *data, size_t len, uint8_t ttl)
{
	struct echo_seen *e = arg;
	e->n++;
	e->len = len;
	memcpy(e->data, data, NB_MIN(len, sizeof e->data));
}

static void test_output_fragments_end_to_end(void **st)
{
	(void)st;
	struct fake_stack *a = fake_stack_new(1, FAKE_STATIC_ARP);
	struct fake_stack *b = fake_stack_new(1, FAKE_STATIC_ARP | FAKE_PEER_SIDE);
	uint8_t data[3000];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i ^ (i >> 8));
	struct echo_seen seen = {0};
	struct icmp_echo_handler h = {.reply = on_reply};
	uint16_t id;
	assert_int_equal(icmp_echo_register(&a->s, &h, &seen, &id), 0);
	assert_int_equal(icmp_echo_send(&a->s, FAKE_PEER0, id, 1, data, sizeof data, 0), 0);
	/* 3008 bytes of ICMP: 1480 + 1480 + 48. */
	assert_int_equal(fake_nframes(a), 3);
	const uint8_t *ip = check_frag(fake_peek(a, 0), 1500, 0, true, nb_get16(fake_peek(a, 0)->data + 18));
	uint16_t ipid = nb_get16(ip + 4);
	check_frag(fake_peek(a, 1), 1500, 185, true, ipid);
	check_frag(fake_peek(a, 2), 68, 370, false, ipid);
	assert_int_equal(a->s.stats.ip_frag_created, 3);
	fake_pump(a, b);
	assert_int_equal(b->s.stats.ip_reass_ok, 1);
	assert_int_equal(a->s.stats.ip_reass_ok, 1);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.len, sizeof data);
	assert_memory_equal(seen.data, data, sizeof data);

	/* A lowered path MTU fragments smaller; DF beyond it is refused. */
	assert_int_equal(route_pmtu_update(&a->s, FAKE_PEER0, 1000), 1000);
	assert_int_equal(icmp_echo_send(&a->s, FAKE_PEER0, id, 2, data, 1400, 0), 0);
	assert_int_equal(fake_nframes(a), 2);
	check_frag(fake_peek(a, 0), 996, 0, true, (uint16_t)(ipid + 1));
	check_frag(fake_peek(a, 1), 20 + 1408 - 976, 122, false, (uint16_t)(ipid + 1));
	fake_pump(a, b);
	assert_int_equal(seen.n, 2);
	struct pbuf *pb = a->s.scratch;
	pbuf_reset(pb);
	pbuf_put(pb, 1000);
	struct ip_tx_opts df = {.df = true};
	assert_int_equal(ip_output(&a->s, pb, 0, FAKE_PEER0, 253, &df), -EMSGSIZE);
	fake_stack_free(a);
	fake_stack_free(b);
}

static void test_forward_refragment_with_options(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(2, FAKE_STATIC_ARP | FAKE_FORWARD);
	fs->s.ifs[1].mtu = 600;
	uint8_t f[1600], payload[1400];
	for (size_t i = 0; i < sizeof payload; i++)
		payload[i] = (uint8_t)i;
	/* A fragment (offset 800, MF) with record route (not copied) and router
	 * alert (copied) options: 32-byte header, 1400 bytes. */
	fake_eth(f, FAKE_MAC0, FAKE_PEER_MAC0, ETH_TYPE_IP);
	uint8_t *ip = f + 14;
	fake_ip_hdr(ip, FAKE_PEER0, FAKE_PEER1, IP_PROTO_UDP, 64, 0x4242, IP_FLAG_MF | 100, 12 + sizeof payload);
	static const uint8_t opts[12] = {7, 7, 4, 0, 0, 0, 0, 0x94, 4, 0, 0, 0};
	ip[0] = 0x48;
	memcpy(ip + 20, opts, 12);
	memcpy(ip + 32, payload, sizeof payload);
	nb_put16(ip + 10, 0);
	nb_put16(ip + 10, cksum(ip, 32));
	fake_input(fs, 0, f, 14 + 32 + sizeof payload);
	/* First: 32 + 568; then 24 + 576; then 24 + 256, keeping MF. */
	assert_int_equal(fake_nframes(fs), 3);
	size_t offs[] = {0, 568, 1144}, lens[] = {568, 576, 256}, hl[] = {32, 24, 24};
	for (int i = 0; i < 3; i++) {
		struct fake_frame *o = fake_pop(fs);
		assert_int_equal(o->ifidx, 1);
		const uint8_t *h = check_frag(o, hl[i] + lens[i], (uint16_t)(100 + offs[i] / 8), true, 0x4242);
		assert_int_equal((h[0] & 15) * 4, hl[i]);
		assert_int_equal(h[8], 63);
		if (i == 0)
			assert_memory_equal(h + 20, opts, 12);
		else
			assert_memory_equal(h + 20, ((const uint8_t[]){0x94, 4, 0, 0}), 4);
		assert_memory_equal(h + hl[i], payload + offs[i], lens[i]);
	}
	assert_int_equal(fs->s.stats.ip_forwarded, 1);
	assert_int_equal(fs->s.stats.ip_frag_created, 3);
	fake_stack_free(fs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order_and_reversed),
		cmocka_unit_test(test_duplicates_and_overlaps),
		cmocka_unit_test(test_bad_fragments),
		cmocka_unit_test(test_queue_bound),
		cmocka_unit_test(test_timeout_icmp),
		cmocka_unit_test(test_output_fragments_end_to_end),
		cmocka_unit_test(test_forward_refragment_with_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
