/* test_node_icmp.c: echo, error generation (suppression rules, rate
 * limit, quoting) and error input (validation, errno mapping, PMTU). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_stack.h"
#include "route.h"

#define IP FAKE_IP

struct log {
	int replies, errors;
	uint32_t from;
	uint16_t seq;
	int err;
	uint8_t type, code, ttl;
	size_t len;
};

static void on_reply(void *arg, uint32_t from, uint16_t seq, const uint8_t *data, size_t len, uint8_t ttl)
{
	struct log *l = arg;
	l->replies++;
	l->from = from;
	l->seq = seq;
	l->len = len;
	l->ttl = ttl;
}

static void on_error(void *arg, int err, uint32_t from, uint8_t type, uint8_t code, uint16_t seq)
{
	struct log *l = arg;
	l->errors++;
	l->err = err;
	l->from = from;
	l->type = type;
	l->code = code;
	l->seq = seq;
}

static const struct icmp_echo_handler handler = {.reply = on_reply, .error = on_error};

static void test_echo_reply(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(2, FAKE_STATIC_ARP);
	uint8_t f[128], icmp[64];
	size_t il = fake_icmp(icmp, ICMP_ECHO, 0, 0xbeef0003, "hello, world", 12);
	size_t n = fake_peer_ip(f, 0, FAKE_PEER0, FAKE_IP0, IP_PROTO_ICMP, 64, icmp, il);
	f[14 + 1] = 0x28;                         /* TOS, copied to the reply */
	nb_put16(f + 14 + 10, 0);
	nb_put16(f + 14 + 10, cksum(f + 14, 20));
	fake_input(fs, 0, f, n);
	struct fake_frame *r = fake_pop(fs);
	assert_non_null(r);
	assert_int_equal(r->ifidx, 0);
	assert_memory_equal(r->data, FAKE_PEER_MAC0, 6);
	size_t len;
	const uint8_t *ip = fake_ip(r, NULL), *p = fake_l4(r, IP_PROTO_ICMP, &len);
	assert_int_equal(nb_get32(ip + 12), FAKE_IP0);
	assert_int_equal(nb_get32(ip + 16), FAKE_PEER0);
	assert_int_equal(ip[1], 0x28);
	assert_int_equal(len, il);
	assert_int_equal(p[0], ICMP_ECHOREPLY);
	assert_int_equal(p[1], 0);
	assert_memory_equal(p + 4, icmp + 4, il - 4);   /* id, seq, data */
	assert_int_equal(cksum(p, len), 0);
	assert_int_equal(fs->s.stats.icmp_rx_echo_request, 1);
	assert_int_equal(fs->s.stats.icmp_tx_echo_reply, 1);

	/* To our other interface's address: answered from that address. */
	n = fake_peer_ip(f, 0, FAKE_PEER0, FAKE_IP1, IP_PROTO_ICMP, 64, icmp, il);
	fake_input(fs, 0, f, n);
	r = fake_pop(fs);
	assert_int_equal(r->ifidx, 0);
	assert_int_equal(nb_get32(fake_ip(r, NULL) + 12), FAKE_IP1);
	fake_stack_free(fs);
}

static void test_echo_drops(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, FAKE_STATIC_ARP);
	struct nb_stats *c = &fs->s.stats;
	uint8_t f[128], icmp[64];
	size_t il = fake_icmp(icmp, ICMP_ECHO, 0, 1, "abcdefgh", 8);
	size_t n = fake_peer_ip(f, 0, FAKE_PEER0, FAKE_IP0, IP_PROTO_ICMP, 64, icmp, 7);
	fake_input(fs, 0, f, n);
	assert_int_equal(c->icmp_rx_short, 1);
	icmp[9] ^= 1;
	n = fake_peer_ip(f, 0, FAKE_PEER0, FAKE_IP0, IP_PROTO_ICMP, 64, icmp, il);
	fake_input(fs, 0, f, n);
	assert_int_equal(c->icmp_rx_bad_cksum, 1);
	assert_int_equal(fake_nframes(fs), 0);
	/* A kernel peer's partial checksum is not verified. */
	fake_input_flags(fs, 0, f, n, NB_RX_CSUM_PARTIAL);
	assert_int_equal(c->icmp_rx_bad_cksum, 1);
	assert_int_equal(fake_nframes(fs), 1);
	fake_clear(fs);
	icmp[9] ^= 1;
	/* Echo to a broadcast: ignored (RFC 1122 3.2.2.6). */
	n = fake_peer_ip(f, 0, FAKE_PEER0, IP(10, 0, 0, 255), IP_PROTO_ICMP, 64, icmp, il);
	fake_input(fs, 0, f, n);
	n = fake_peer_ip(f, 0, FAKE_PEER0, IP(255, 255, 255, 255), IP_PROTO_ICMP, 64, icmp, il);
	memcpy(f, FAKE_BCAST_MAC, 6);
	fake_input(fs, 0, f, n);
	assert_int_equal(c->icmp_rx_echo_bcast, 2);
	/* An echo reply nobody waits for; types we do not handle. */
	il = fake_icmp(icmp, ICMP_ECHOREPLY, 0, 0x99990001, "x", 1);
	fake_input(fs, 0, f, fake_peer_ip(f, 0, FAKE_PEER0, FAKE_IP0, IP_PROTO_ICMP, 64, icmp, il));
	assert_int_equal(c->icmp_rx_echo_unmatched, 1);
	il = fake_icmp(icmp, ICMP_SOURCEQUENCH, 0, 0, f + 14, 28);
	fake_input(fs, 0, f, fake_peer_ip(f, 0, FAKE_PEER0, FAKE_IP0, IP_PROTO_ICMP, 64, icmp, il));
	il = fake_icmp(icmp, 42, 0, 0, NULL, 0);
	fake_input(fs, 0, f, fake_peer_ip(f, 0, FAKE_PEER0, FAKE_IP0, IP_PROTO_ICMP, 64, icmp, il));
	assert_int_equal(c->icmp_rx_other, 2);
	assert_int_equal(fake_nframes(fs), 0);
	fake_stack_free(fs);
}

/* inject_error: an ICMP error from `from` quoting our echo request
 * (id, seq) to `dst`; qlen bytes of the quote are sent. */
static void inject_error(struct fake_stack *fs, uint32_t from, uint8_t type, uint8_t code, uint32_t rest,
			 uint32_t qsrc, uint32_t dst, uint16_t id, uint16_t seq, size_t qlen)
{
	uint8_t quote[64], icmp[96], f[160];
	size_t ql = fake_icmp(quote + 20, ICMP_ECHO, 0, (uint32_t)id << 16 | seq, "datadata", 8);
	fake_ip_hdr(quote, qsrc, dst, IP_PROTO_ICMP, 1, 77, 0, ql);
	nb_put16(quote + 2, 1500);                /* as sent: a larger datagram */
	size_t il = fake_icmp(icmp, type, code, rest, quote, NB_MIN(qlen, 20 + ql));
	size_t n = fake_peer_ip(f, 0, from, FAKE_IP0, IP_PROTO_ICMP, 60, icmp, il);
	fake_input(fs, 0, f, n);
}

static void test_error_input(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, FAKE_STATIC_ARP);
	struct log l = {0};
	uint16_t id;
	assert_int_equal(icmp_echo_register(&fs->s, &handler, &l, &id), 0);
	uint32_t far = IP(192, 168, 9, 9), router = FAKE_PEER0;
	assert_int_equal(route_add(&fs->s, 0, 0, router, -1), 0);

	inject_error(fs, router, ICMP_TIMXCEED, ICMP_TIMXCEED_INTRANS, 0, FAKE_IP0, far, id, 4, 64);
	assert_int_equal(l.errors, 1);
	assert_int_equal(l.err, -EHOSTUNREACH);
	assert_int_equal(l.from, router);
	assert_int_equal(l.type, ICMP_TIMXCEED);
	assert_int_equal(l.seq, 4);
	assert_int_equal(fs->s.stats.icmp_rx_time_exceeded, 1);

	inject_error(fs, router, ICMP_UNREACH, ICMP_UNREACH_HOST, 0, FAKE_IP0, far, id, 5, 28);
	assert_int_equal(l.errors, 2);                /* 8 bytes of quoted data suffice */
	assert_int_equal(l.err, -EHOSTUNREACH);
	assert_int_equal(l.code, ICMP_UNREACH_HOST);

	/* Frag needed: the PMTU cache is lowered and the sender told. */
	inject_error(fs, router, ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG, 1200, FAKE_IP0, far, id, 6, 64);
	assert_int_equal(l.err, -EMSGSIZE);
	assert_int_equal(ip_path_mtu(&fs->s, far), 1200);
	assert_int_equal(fs->s.stats.icmp_rx_frag_needed, 1);
	/* Old routers put no MTU: the plateau below the quoted length (1500). */
	inject_error(fs, router, ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG, 0, FAKE_IP0, IP(192, 168, 9, 10), id, 7, 64);
	assert_int_equal(ip_path_mtu(&fs->s, IP(192, 168, 9, 10)), 1492);

	/* Bad quotes: not from us, too short, not IPv4. */
	int before = l.errors;
	inject_error(fs, router, ICMP_UNREACH, ICMP_UNREACH_HOST, 0, IP(10, 0, 0, 77), far, id, 8, 64);
	inject_error(fs, router, ICMP_UNREACH, ICMP_UNREACH_HOST, 0, FAKE_IP0, far, id, 8, 27);
	inject_error(fs, router, ICMP_UNREACH, ICMP_UNREACH_HOST, 0, FAKE_IP0, far, id, 8, 19);
	assert_int_equal(fs->s.stats.icmp_rx_bad_quote, 3);
	assert_int_equal(l.errors, before);
	/* An error about an id nobody holds is harmless. */
	inject_error(fs, router, ICMP_UNREACH, ICMP_UNREACH_HOST, 0, FAKE_IP0, far, (uint16_t)(id + 1), 8, 64);
	assert_int_equal(l.errors, before);
	icmp_echo_unregister(&fs->s, id);
	inject_error(fs, router, ICMP_UNREACH, ICMP_UNREACH_HOST, 0, FAKE_IP0, far, id, 8, 64);
	assert_int_equal(l.errors, before);
	assert_int_equal(fake_nframes(fs), 0);         /* never an error about an error */
	fake_stack_free(fs);
}

static void test_errno_map(void **st)
{
	(void)st;
	assert_int_equal(icmp_errno(ICMP_UNREACH, ICMP_UNREACH_NET), -ENETUNREACH);
	assert_int_equal(icmp_errno(ICMP_UNREACH, ICMP_UNREACH_NET_UNKNOWN), -ENETUNREACH);
	assert_int_equal(icmp_errno(ICMP_UNREACH, ICMP_UNREACH_HOST), -EHOSTUNREACH);
	assert_int_equal(icmp_errno(ICMP_UNREACH, ICMP_UNREACH_HOST_UNKNOWN), -EHOSTUNREACH);
	assert_int_equal(icmp_errno(ICMP_UNREACH, ICMP_UNREACH_PROTOCOL), -ENOPROTOOPT);
	assert_int_equal(icmp_errno(ICMP_UNREACH, ICMP_UNREACH_PORT), -ECONNREFUSED);
	assert_int_equal(icmp_errno(ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG), -EMSGSIZE);
	assert_int_equal(icmp_errno(ICMP_UNREACH, ICMP_UNREACH_FILTER_PROHIB), -EACCES);
	assert_int_equal(icmp_errno(ICMP_UNREACH, 99), -EHOSTUNREACH);
	assert_int_equal(icmp_errno(ICMP_TIMXCEED, 0), -EHOSTUNREACH);
	assert_int_equal(icmp_errno(ICMP_PARAMPROB, 0), -EPROTO);
	assert_int_equal(icmp_errno(ICMP_ECHO, 0), 0);
}

static void test_suppression(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, FAKE_STATIC_ARP);
	struct nb_stack *s = &fs->s;
	uint8_t p[64];
	fake_ip_hdr(p, FAKE_PEER0, FAKE_IP0, IP_PROTO_UDP, 64, 1, 0, 8);
	memset(p + 20, 0, 8);
	assert_int_equal(icmp_error(s, p, 28, ICMP_UNREACH, ICMP_UNREACH_PORT, 0), 0);
	assert_int_equal(fake_nframes(fs), 1);
	struct {
		uint32_t src, dst;
		uint16_t frag;
	} cases[] = {
		{FAKE_PEER0, FAKE_IP0, 5},                           /* non-first fragment */
		{FAKE_PEER0, IP(10, 0, 0, 255), 0},                  /* to a broadcast */
		{FAKE_PEER0, IP(255, 255, 255, 255), 0},
		{FAKE_PEER0, IP(239, 1, 1, 1), 0},                   /* to a multicast group */
		{IP(255, 255, 255, 255), FAKE_IP0, 0},               /* from no single host */
		{0, FAKE_IP0, 0},
		{IP(127, 0, 0, 1), FAKE_IP0, 0},
		{IP(224, 0, 0, 9), FAKE_IP0, 0},
		{IP(10, 0, 0, 255), FAKE_IP0, 0},
	};
	for (size_t i = 0; i < NB_ARRAY_LEN(cases); i++) {
		fake_ip_hdr(p, cases[i].src, cases[i].dst, IP_PROTO_UDP, 64, 1, cases[i].frag, 8);
		assert_int_equal(icmp_error(s, p, 28, ICMP_UNREACH, ICMP_UNREACH_PORT, 0), 1);
	}
	/* About ICMP: errors never, queries yes. */
	fake_ip_hdr(p, FAKE_PEER0, FAKE_IP0, IP_PROTO_ICMP, 64, 1, 0, 8);
	const uint8_t types[] = {ICMP_UNREACH, ICMP_TIMXCEED, ICMP_PARAMPROB, ICMP_REDIRECT, ICMP_SOURCEQUENCH, 200};
	for (size_t i = 0; i < sizeof types; i++) {
		p[20] = types[i];
		assert_int_equal(icmp_error(s, p, 28, ICMP_TIMXCEED, 0, 0), 1);
	}
	assert_int_equal(icmp_error(s, p, 20, ICMP_TIMXCEED, 0, 0), 1);   /* no type to go by */
	p[20] = ICMP_ECHO;
	assert_int_equal(icmp_error(s, p, 28, ICMP_TIMXCEED, 0, 0), 0);
	assert_int_equal(s->stats.icmp_tx_suppressed, NB_ARRAY_LEN(cases) + sizeof types + 1);
	assert_int_equal(icmp_error(s, p, 19, ICMP_TIMXCEED, 0, 0), -EINVAL);
	/* Came as a link-layer broadcast: no error. */
	struct ip_meta m = {.hdr = p, .hlen = 20, .rx_flags = NB_RX_L2_BCAST};
	assert_int_equal(icmp_send_port_unreach(s, &m, p + 20, 8), 1);
	m.rx_flags = 0;
	fake_ip_hdr(p, FAKE_PEER0, FAKE_IP0, IP_PROTO_UDP, 64, 1, 0, 8);
	memcpy(p + 20, "\x30\x39\x00\x35\x00\x08\x00\x00", 8);
	assert_int_equal(icmp_send_port_unreach(s, &m, p + 20, 8), 0);
	assert_int_equal(fake_nframes(fs), 3);
	size_t len;
	const uint8_t *icmp = fake_l4(fake_peek(fs, 2), IP_PROTO_ICMP, &len);
	assert_int_equal(icmp[0], ICMP_UNREACH);
	assert_int_equal(icmp[1], ICMP_UNREACH_PORT);
	assert_int_equal(len, 36);
	assert_memory_equal(icmp + 8, p, 28);
	fake_stack_free(fs);
}

static void test_rate_limit(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, FAKE_STATIC_ARP);
	fs->s.params.icmp_ratelimit = 10;         /* 10/s: one per 100 ms */
	fs->s.params.icmp_burst = 2;
	uint8_t f[128];
	size_t n = fake_peer_ip(f, 0, FAKE_PEER0, FAKE_IP0, 200, 64, "12345678", 8);
	for (int i = 0; i < 5; i++)
		fake_input(fs, 0, f, n);
	assert_int_equal(fake_nframes(fs), 2);
	assert_int_equal(fs->s.stats.icmp_tx_ratelimited, 3);
	fake_advance(fs, NB_MS(99));
	fake_input(fs, 0, f, n);
	assert_int_equal(fake_nframes(fs), 2);
	fake_advance(fs, NB_MS(1));
	fake_input(fs, 0, f, n);
	fake_input(fs, 0, f, n);
	assert_int_equal(fake_nframes(fs), 3);
	fake_advance(fs, NB_SEC(10));             /* refills to the burst, no more */
	for (int i = 0; i < 5; i++)
		fake_input(fs, 0, f, n);
	assert_int_equal(fake_nframes(fs), 5);
	/* Echo replies are not rate limited. */
	uint8_t icmp[16];
	size_t il = fake_icmp(icmp, ICMP_ECHO, 0, 1, "x", 1);
	n = fake_peer_ip(f, 0, FAKE_PEER0, FAKE_IP0, IP_PROTO_ICMP, 64, icmp, il);
	for (int i = 0; i < 5; i++)
		fake_input(fs, 0, f, n);
	assert_int_equal(fake_nframes(fs), 10);
	fs->s.params.icmp_ratelimit = 0;          /* off */
	n = fake_peer_ip(f, 0, FAKE_PEER0, FAKE_IP0, 200, 64, "12345678", 8);
	for (int i = 0; i < 100; i++)
		fake_input(fs, 0, f, n);
	assert_int_equal(fake_nframes(fs), 110);
	fake_stack_free(fs);
}

static void test_loopback_echo(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(2, 0);
	struct log l = {0};
	uint16_t id;
	assert_int_equal(icmp_echo_register(&fs->s, &handler, &l, &id), 0);
	assert_int_equal(icmp_echo_send(&fs->s, FAKE_IP1, id, 1, (const uint8_t *)"self", 4, 0), 0);
	assert_int_equal(l.replies, 0);           /* never from inside ip_output */
	fake_advance(fs, 0);
	assert_int_equal(l.replies, 1);
	assert_int_equal(l.from, FAKE_IP1);
	assert_int_equal(l.len, 4);
	assert_int_equal(l.ttl, 64);
	assert_int_equal(fake_nframes(fs), 0);    /* nothing on the wire */
	assert_int_equal(fs->s.stats.ip_tx_loopback, 2);
	fake_stack_free(fs);
}

/* A pinger answering every reply with a new request, to itself: the
 * loopback must not spin inside one timers_run call. */
struct chatter { struct nb_stack *s; uint16_t id; int replies; };

static void chatter_reply(void *arg, uint32_t from, uint16_t seq, const uint8_t *data, size_t len,
			  uint8_t ttl)
{
	struct chatter *c = arg;
	c->replies++;
	icmp_echo_send(c->s, from, c->id, (uint16_t)(seq + 1), data, len, 0);
}

static void test_loopback_no_livelock(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, 0);
	struct chatter c = {.s = &fs->s};
	struct icmp_echo_handler h = {.reply = chatter_reply};
	assert_int_equal(icmp_echo_register(&fs->s, &h, &c, &c.id), 0);
	assert_int_equal(icmp_echo_send(&fs->s, FAKE_IP0, c.id, 1, (const uint8_t *)"x", 1, 0), 0);
	fake_advance(fs, 0);
	assert_true(c.replies > 10 && c.replies < 100);
	int before = c.replies;
	fake_advance(fs, 1);
	assert_true(c.replies > before);
	fake_stack_free(fs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_reply),
		cmocka_unit_test(test_echo_drops),
		cmocka_unit_test(test_error_input),
		cmocka_unit_test(test_errno_map),
		cmocka_unit_test(test_suppression),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_loopback_echo),
		cmocka_unit_test(test_loopback_no_livelock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
