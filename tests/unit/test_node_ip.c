/* test_node_ip.c: IPv4 input validation, delivery, forwarding (TTL, routes,
 * MTU) and local output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_stack.h"
#include "route.h"

#define IP FAKE_IP

/* echo_frame: an echo request from peer0 to us with the given header tweaks. */
static size_t echo_frame(uint8_t *f, uint32_t src, uint32_t dst, uint8_t ttl)
{
	uint8_t icmp[16];
	size_t n = fake_icmp(icmp, ICMP_ECHO, 0, 0x12340001, "pingdata", 8);
	return fake_peer_ip(f, 0, src, dst, IP_PROTO_ICMP, ttl, icmp, n);
}

static void refresh_cksum(uint8_t *ip)
{
	size_t hlen = (size_t)(ip[0] & 15) * 4;
	nb_put16(ip + 10, 0);
	nb_put16(ip + 10, cksum(ip, hlen));
}

static void test_hdr_ok(void **st)
{
	(void)st;
	uint8_t h[40];
	fake_ip_hdr(h, IP(1, 2, 3, 4), IP(5, 6, 7, 8), 17, 64, 1, 0, 0);
	assert_true(ip_hdr_ok(h, 20));
	assert_true(ip_hdr_ok(h, 40));            /* trailing bytes allowed */
	assert_false(ip_hdr_ok(h, 19));
	assert_false(ip_hdr_ok(NULL, 20));
	h[0] = 0x65;
	refresh_cksum(h);
	assert_false(ip_hdr_ok(h, 20));           /* version 6 */
	h[0] = 0x44;
	assert_false(ip_hdr_ok(h, 20));           /* IHL 4 */
	h[0] = 0x46;
	refresh_cksum(h);
	nb_put16(h + 2, 24);
	refresh_cksum(h);
	assert_false(ip_hdr_ok(h, 20));           /* IHL 6 > buffer */
	assert_true(ip_hdr_ok(h, 24));
	nb_put16(h + 2, 23);
	refresh_cksum(h);
	assert_false(ip_hdr_ok(h, 24));           /* total < IHL */
	h[0] = 0x45;
	nb_put16(h + 2, 41);
	refresh_cksum(h);
	assert_false(ip_hdr_ok(h, 40));           /* total > buffer */
	nb_put16(h + 2, 20);
	refresh_cksum(h);
	h[11] ^= 1;
	assert_false(ip_hdr_ok(h, 20));           /* checksum */
}

static void test_malformed_counted(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, FAKE_STATIC_ARP);
	struct nb_stats *c = &fs->s.stats;
	uint8_t f[128], g[128];
	size_t n = echo_frame(f, FAKE_PEER0, FAKE_IP0, 64);
	uint8_t *ip;

	fake_input(fs, 0, f, 14 + 19);
	assert_int_equal(c->ip_rx_short, 1);
	memcpy(g, f, n);
	ip = g + 14;
	ip[0] = 0x65;
	refresh_cksum(ip);
	fake_input(fs, 0, g, n);
	assert_int_equal(c->ip_rx_bad_version, 1);
	memcpy(g, f, n);
	ip[0] = 0x43;
	fake_input(fs, 0, g, n);
	ip[0] = 0x4f;                             /* 60-byte header in a 36-byte packet */
	fake_input(fs, 0, g, n);
	assert_int_equal(c->ip_rx_bad_hlen, 2);
	memcpy(g, f, n);
	nb_put16(ip + 2, 19);
	refresh_cksum(ip);
	fake_input(fs, 0, g, n);
	nb_put16(ip + 2, (uint16_t)(n - 14 + 1));
	refresh_cksum(ip);
	fake_input(fs, 0, g, n);
	assert_int_equal(c->ip_rx_bad_len, 2);
	memcpy(g, f, n);
	ip[10] ^= 0x80;
	fake_input(fs, 0, g, n);
	assert_int_equal(c->ip_rx_bad_cksum, 1);
	assert_int_equal(c->ip_rx, 7);
	assert_int_equal(c->ip_delivered, 0);
	assert_int_equal(fake_nframes(fs), 0);
	fake_stack_free(fs);
}

/* options_frame: an echo request with a 12-byte option area. */
static size_t options_frame(uint8_t *f, const uint8_t opts[12])
{
	uint8_t icmp[16];
	size_t il = fake_icmp(icmp, ICMP_ECHO, 0, 0x12340001, "pingdata", 8);
	fake_eth(f, FAKE_MAC0, FAKE_PEER_MAC0, ETH_TYPE_IP);
	uint8_t *ip = f + 14;
	fake_ip_hdr(ip, FAKE_PEER0, FAKE_IP0, IP_PROTO_ICMP, 64, 9, 0, 12 + il);
	ip[0] = 0x48;
	memcpy(ip + 20, opts, 12);
	memcpy(ip + 32, icmp, il);
	refresh_cksum(ip);
	return 14 + 32 + il;
}

static void test_options(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, FAKE_STATIC_ARP);
	struct nb_stats *c = &fs->s.stats;
	uint8_t f[128];
	/* Record route (7 bytes), NOP, router alert (4): tolerated, not interpreted. */
	static const uint8_t good[12] = {7, 7, 4, 0, 0, 0, 0, 1, 0x94, 4, 0, 0};
	fake_input(fs, 0, f, options_frame(f, good));
	assert_int_equal(c->ip_delivered, 1);
	assert_int_equal(c->icmp_tx_echo_reply, 1);
	static const uint8_t eol[12] = {1, 0, 99, 99};   /* anything after EOL is padding */
	fake_input(fs, 0, f, options_frame(f, eol));
	assert_int_equal(c->ip_delivered, 2);
	static const uint8_t bad[][12] = {
		{7, 0},                                  /* length 0 */
		{7, 1},                                  /* length 1 */
		{1, 1, 1, 1, 1, 1, 1, 1, 7, 7, 4, 0},    /* runs past the header */
		{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0x44}, /* type without its length byte */
	};
	for (size_t i = 0; i < NB_ARRAY_LEN(bad); i++)
		fake_input(fs, 0, f, options_frame(f, bad[i]));
	assert_int_equal(c->ip_rx_bad_options, 4);
	assert_int_equal(c->ip_delivered, 2);
	fake_stack_free(fs);
}

static void test_bad_sources_and_not_for_us(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, FAKE_STATIC_ARP);
	struct nb_stats *c = &fs->s.stats;
	uint8_t f[128];
	const uint32_t bad[] = {0, IP(255, 255, 255, 255), IP(224, 0, 0, 1), IP(127, 0, 0, 1),
				IP(240, 0, 0, 1), FAKE_IP0, IP(10, 0, 0, 255)};
	for (size_t i = 0; i < NB_ARRAY_LEN(bad); i++)
		fake_input(fs, 0, f, echo_frame(f, bad[i], FAKE_IP0, 64));
	assert_int_equal(c->ip_rx_bad_src, NB_ARRAY_LEN(bad));
	/* Forwarding off: someone else's datagram is dropped, silently. */
	fake_input(fs, 0, f, echo_frame(f, FAKE_PEER0, IP(10, 0, 0, 9), 64));
	fake_input(fs, 0, f, echo_frame(f, FAKE_PEER0, IP(224, 0, 0, 5), 64));
	/* RFC 1122 3.3.6: unicast IP in a link-layer broadcast. */
	size_t n = echo_frame(f, FAKE_PEER0, FAKE_IP0, 64);
	memcpy(f, FAKE_BCAST_MAC, 6);
	fake_input(fs, 0, f, n);
	assert_int_equal(c->ip_rx_not_for_us, 3);
	assert_int_equal(c->ip_delivered, 0);
	assert_int_equal(fake_nframes(fs), 0);
	fake_stack_free(fs);
}

static void test_padding_trimmed_and_unknown_proto(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, FAKE_STATIC_ARP);
	uint8_t f[128];
	size_t n = echo_frame(f, FAKE_PEER0, FAKE_IP0, 64);
	memset(f + n, 0xee, 10);                  /* Ethernet padding after the datagram */
	fake_input(fs, 0, f, n + 10);
	size_t len;
	const uint8_t *icmp = fake_l4(fake_pop(fs), IP_PROTO_ICMP, &len);
	assert_non_null(icmp);
	assert_int_equal(len, 16);
	assert_int_equal(icmp[0], ICMP_ECHOREPLY);
	assert_memory_equal(icmp + 8, "pingdata", 8);

	n = fake_peer_ip(f, 0, FAKE_PEER0, FAKE_IP0, 200, 64, "12345678abc", 11);
	fake_input(fs, 0, f, n);
	assert_int_equal(fs->s.stats.ip_rx_unknown_proto, 1);
	struct fake_frame *e = fake_pop(fs);
	icmp = fake_l4(e, IP_PROTO_ICMP, &len);
	assert_non_null(icmp);
	assert_int_equal(icmp[0], ICMP_UNREACH);
	assert_int_equal(icmp[1], ICMP_UNREACH_PROTOCOL);
	assert_int_equal(len, 8 + 20 + 11);
	assert_memory_equal(icmp + 8, f + 14, 31);    /* header and data quoted as received */
	assert_int_equal(cksum(icmp, len), 0);
	/* Not to a broadcast. */
	n = fake_peer_ip(f, 0, FAKE_PEER0, IP(10, 0, 0, 255), 200, 64, "x", 1);
	fake_input(fs, 0, f, n);
	assert_int_equal(fs->s.stats.ip_rx_unknown_proto, 2);
	assert_int_equal(fake_nframes(fs), 0);
	fake_stack_free(fs);
}

static void test_forward(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(2, FAKE_STATIC_ARP | FAKE_FORWARD);
	uint8_t f[128];
	size_t n = fake_peer_ip(f, 0, FAKE_PEER0, FAKE_PEER1, IP_PROTO_UDP, 64, "datagram", 8);
	fake_input(fs, 0, f, n);
	struct fake_frame *o = fake_pop(fs);
	assert_non_null(o);
	assert_int_equal(o->ifidx, 1);
	assert_int_equal(o->len, n);
	assert_memory_equal(o->data, FAKE_PEER_MAC1, 6);
	assert_memory_equal(o->data + 6, FAKE_MAC1, 6);
	const uint8_t *ip = o->data + 14;
	assert_int_equal(ip[8], 63);
	assert_int_equal(cksum(ip, 20), 0);       /* incremental update (RFC 1624) */
	assert_memory_equal(ip + 12, f + 14 + 12, 8 + 8);
	assert_memory_equal(ip, f + 14, 8);
	assert_int_equal(fs->s.stats.ip_forwarded, 1);
	/* Checksum field edge: try every TTL; the header must stay valid. */
	for (int ttl = 2; ttl <= 255; ttl++) {
		n = fake_peer_ip(f, 0, FAKE_PEER0, FAKE_PEER1, IP_PROTO_UDP, (uint8_t)ttl, "d", 1);
		fake_input(fs, 0, f, n);
		o = fake_pop(fs);
		assert_int_equal(o->data[14 + 8], ttl - 1);
		assert_int_equal(cksum(o->data + 14, 20), 0);
	}
	fake_stack_free(fs);
}

static void test_ttl_exceeded(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(2, FAKE_STATIC_ARP | FAKE_FORWARD);
	uint8_t f[128];
	for (int ttl = 1; ttl >= 0; ttl--) {
		size_t n = fake_peer_ip(f, 0, FAKE_PEER0, FAKE_PEER1, IP_PROTO_UDP, (uint8_t)ttl, "datagram", 8);
		fake_input(fs, 0, f, n);
		struct fake_frame *e = fake_pop(fs);
		assert_non_null(e);
		assert_int_equal(e->ifidx, 0);
		size_t len;
		const uint8_t *ip = fake_ip(e, NULL), *icmp = fake_l4(e, IP_PROTO_ICMP, &len);
		assert_non_null(icmp);
		assert_int_equal(nb_get32(ip + 12), FAKE_IP0);
		assert_int_equal(nb_get32(ip + 16), FAKE_PEER0);
		assert_int_equal(ip[8], 64);
		assert_int_equal(icmp[0], ICMP_TIMXCEED);
		assert_int_equal(icmp[1], ICMP_TIMXCEED_INTRANS);
		assert_int_equal(nb_get32(icmp + 4), 0);
		assert_memory_equal(icmp + 8, f + 14, 28);
		assert_int_equal(cksum(icmp, len), 0);
	}
	assert_int_equal(fs->s.stats.ip_ttl_exceeded, 2);
	assert_int_equal(fs->s.stats.icmp_tx_time_exceeded, 2);
	assert_int_equal(fake_nframes(fs), 0);

	/* Never an error about an ICMP error (RFC 1122 3.2.2). */
	uint8_t icmp[64];
	size_t il = fake_icmp(icmp, ICMP_UNREACH, 1, 0, f + 14, 28);
	size_t n = fake_peer_ip(f, 0, FAKE_PEER0, FAKE_PEER1, IP_PROTO_ICMP, 1, icmp, il);
	fake_input(fs, 0, f, n);
	assert_int_equal(fake_nframes(fs), 0);
	assert_int_equal(fs->s.stats.icmp_tx_suppressed, 1);
	/* ... but one about an echo request, yes. */
	il = fake_icmp(icmp, ICMP_ECHO, 0, 1, "abcd", 4);
	n = fake_peer_ip(f, 0, FAKE_PEER0, FAKE_PEER1, IP_PROTO_ICMP, 1, icmp, il);
	fake_input(fs, 0, f, n);
	assert_int_equal(fake_nframes(fs), 1);
	fake_stack_free(fs);
}

static void test_no_route_and_frag_needed(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(2, FAKE_STATIC_ARP | FAKE_FORWARD);
	uint8_t f[1600], data[1400];
	memset(data, 0x5a, sizeof data);
	size_t n = fake_peer_ip(f, 0, FAKE_PEER0, IP(8, 8, 8, 8), IP_PROTO_UDP, 64, data, 8);
	fake_input(fs, 0, f, n);
	struct fake_frame *e = fake_pop(fs);
	const uint8_t *icmp = fake_l4(e, IP_PROTO_ICMP, NULL);
	assert_non_null(icmp);
	assert_int_equal(icmp[0], ICMP_UNREACH);
	assert_int_equal(icmp[1], ICMP_UNREACH_NET);
	assert_int_equal(fs->s.stats.ip_no_route, 1);

	fs->s.ifs[1].mtu = 1000;
	n = fake_ip_frame(f, FAKE_MAC0, FAKE_PEER_MAC0, FAKE_PEER0, FAKE_PEER1, IP_PROTO_UDP, 64, 5,
			  IP_FLAG_DF, data, sizeof data);
	fake_input(fs, 0, f, n);
	e = fake_pop(fs);
	size_t len;
	icmp = fake_l4(e, IP_PROTO_ICMP, &len);
	assert_non_null(icmp);
	assert_int_equal(e->ifidx, 0);
	assert_int_equal(icmp[0], ICMP_UNREACH);
	assert_int_equal(icmp[1], ICMP_UNREACH_NEEDFRAG);
	assert_int_equal(nb_get16(icmp + 6), 1000);   /* RFC 1191 next-hop MTU */
	assert_int_equal(len + 20, ICMP_ERROR_MAX);    /* quote bounded to 576 bytes in all */
	assert_memory_equal(icmp + 8, f + 14, 20);
	assert_int_equal(fs->s.stats.ip_frag_needed, 1);
	assert_int_equal(fs->s.stats.icmp_tx_frag_needed, 1);
	assert_int_equal(fake_nframes(fs), 0);

	/* No directed broadcasts, nothing that came as a link broadcast. */
	n = fake_peer_ip(f, 0, FAKE_PEER0, IP(10, 0, 1, 255), IP_PROTO_UDP, 64, data, 8);
	fake_input(fs, 0, f, n);
	n = fake_peer_ip(f, 0, FAKE_PEER0, FAKE_PEER1, IP_PROTO_UDP, 64, data, 8);
	memcpy(f, FAKE_BCAST_MAC, 6);
	fake_input(fs, 0, f, n);
	assert_int_equal(fs->s.stats.ip_rx_not_for_us, 2);
	assert_int_equal(fake_nframes(fs), 0);
	fake_stack_free(fs);
}

static void test_output(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, FAKE_STATIC_ARP);
	struct nb_stack *s = &fs->s;
	struct pbuf *pb = s->scratch;
	pbuf_reset(pb);
	memcpy(pbuf_put(pb, 4), "abcd", 4);
	struct ip_tx_opts o = {.ttl = 7, .tos = 0x10, .df = true};
	assert_int_equal(ip_output(s, pb, 0, FAKE_PEER0, 253, &o), 0);
	pbuf_reset(pb);
	memcpy(pbuf_put(pb, 4), "efgh", 4);
	assert_int_equal(ip_output(s, pb, 0, FAKE_PEER0, 253, NULL), 0);
	struct fake_frame *a = fake_pop(fs), *b = fake_pop(fs);
	const uint8_t *ia = fake_ip(a, NULL), *ib = fake_ip(b, NULL);
	assert_non_null(ia);
	assert_non_null(ib);
	assert_int_equal(ia[0], 0x45);
	assert_int_equal(ia[1], 0x10);
	assert_int_equal(nb_get16(ia + 2), 24);
	assert_int_equal(nb_get16(ia + 6), IP_FLAG_DF);
	assert_int_equal(ia[8], 7);
	assert_int_equal(ia[9], 253);
	assert_int_equal(nb_get32(ia + 12), FAKE_IP0);
	assert_int_equal(nb_get32(ia + 16), FAKE_PEER0);
	assert_memory_equal(ia + 20, "abcd", 4);
	assert_int_equal(ib[8], 64);                         /* params.ip_ttl */
	assert_int_equal(nb_get16(ib + 6), 0);
	assert_int_equal((uint16_t)(nb_get16(ib + 4) - nb_get16(ia + 4)), 1);   /* next id */
	assert_int_equal(s->stats.ip_tx, 2);

	pbuf_reset(pb);
	pbuf_put(pb, 4);
	assert_int_equal(ip_output(s, pb, 0, IP(8, 8, 8, 8), 253, NULL), -ENETUNREACH);
	pbuf_reset(pb);
	assert_int_equal(ip_output(s, pb, 0, 0, 253, NULL), -EINVAL);
	assert_int_equal(ip_output(s, pb, 0, FAKE_IP(127, 0, 0, 1), 253, NULL), -ENETUNREACH);
	pbuf_reset(pb);
	pbuf_put(pb, 2000);
	assert_int_equal(ip_output(s, pb, 0, FAKE_PEER0, 253, &o), -EMSGSIZE);   /* DF */
	pbuf_reset(pb);
	pbuf_put(pb, 65535 - 19);
	assert_int_equal(ip_output(s, pb, 0, FAKE_PEER0, 253, NULL), -EMSGSIZE);
	/* Limited broadcast leaves through an interface, to the broadcast MAC. */
	pbuf_reset(pb);
	pbuf_put(pb, 4);
	assert_int_equal(ip_output(s, pb, 0, 0xffffffff, 253, NULL), 0);
	struct fake_frame *bc = fake_pop(fs);
	assert_memory_equal(bc->data, FAKE_BCAST_MAC, 6);
	assert_int_equal(nb_get32(bc->data + 14 + 12), FAKE_IP0);
	/* Too little headroom for IP and Ethernet headers: refused, no underflow. */
	pb->data = pb->buf + IP_HLEN_MIN + NB_ETH_HLEN - 1;
	pb->len = 4;
	assert_int_equal(ip_output(s, pb, 0, FAKE_PEER0, 253, NULL), -ENOBUFS);
	/* Link down: no route. */
	stack_set_link(s, 0, false, fs->now);
	pbuf_reset(pb);
	pbuf_put(pb, 4);
	assert_int_equal(ip_output(s, pb, 0, FAKE_PEER0, 253, NULL), -ENETUNREACH);
	assert_int_equal(fake_nframes(fs), 0);
	fake_stack_free(fs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hdr_ok),
		cmocka_unit_test(test_malformed_counted),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_bad_sources_and_not_for_us),
		cmocka_unit_test(test_padding_trimmed_and_unknown_proto),
		cmocka_unit_test(test_forward),
		cmocka_unit_test(test_ttl_exceeded),
		cmocka_unit_test(test_no_route_and_frag_needed),
		cmocka_unit_test(test_output),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
