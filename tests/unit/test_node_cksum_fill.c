/* test_node_cksum_fill.c: completing a kernel peer's partial TCP/UDP
 * checksum (cksum_fill_l4), as the node must before impairing a frame. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cksum.h"

/* build: Ethernet + IPv4 + an L4 header of l4len bytes (payload pattern),
 * with a correct transport checksum at offset csum_off. Returns frame length. */
static size_t build(uint8_t *f, uint8_t proto, size_t l4len, size_t csum_off, uint16_t frag)
{
	memset(f, 0, 14 + 20 + l4len);
	nb_put16(f + 12, 0x0800);
	uint8_t *ip = f + 14;
	ip[0] = 0x45;
	nb_put16(ip + 2, (uint16_t)(20 + l4len));
	nb_put16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = proto;
	nb_put32(ip + 12, 0x0a000001);
	nb_put32(ip + 16, 0x0a000002);
	nb_put16(ip + 10, cksum(ip, 20));
	uint8_t *l4 = ip + 20;
	for (size_t i = 0; i < l4len; i++)
		l4[i] = (uint8_t)(i * 7 + 3);
	if (proto == 17)
		nb_put16(l4 + 4, (uint16_t)l4len);
	l4[csum_off] = l4[csum_off + 1] = 0;
	uint32_t s = cksum_pseudo(0x0a000001, 0x0a000002, proto, (uint16_t)l4len);
	nb_put16(l4 + csum_off, cksum_fold(cksum_partial(l4, l4len, s)));
	return 14 + 20 + l4len;
}

static void fills_tcp_and_udp(void **state)
{
	(void)state;
	uint8_t f[2000], want[2000];
	struct { uint8_t proto; size_t len, off; } cases[] = {{6, 20, 16}, {6, 1480, 16}, {6, 33, 16},
							       {17, 8, 6}, {17, 1001, 6}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = build(f, cases[i].proto, cases[i].len, cases[i].off, 0);
		memcpy(want, f, n);
		/* The kernel leaves the pseudo-header sum or garbage there. */
		f[14 + 20 + cases[i].off] = 0x12;
		f[14 + 20 + cases[i].off + 1] = 0x34;
		assert_int_equal(cksum_fill_l4(f, n), 0);
		assert_memory_equal(f, want, n);
		/* And the result verifies as a receiver checks it. */
		uint32_t s = cksum_pseudo(0x0a000001, 0x0a000002, cases[i].proto, (uint16_t)cases[i].len);
		assert_int_equal(cksum_fold(cksum_partial(f + 34, cases[i].len, s)), 0);
	}
}

static void leaves_others_alone(void **state)
{
	(void)state;
	uint8_t f[200], orig[200];
	size_t n = build(f, 6, 40, 16, 0x2000); /* MF: a first fragment */
	memcpy(orig, f, n);
	assert_int_equal(cksum_fill_l4(f, n), -1);
	assert_memory_equal(f, orig, n);
	n = build(f, 1, 16, 2, 0); /* ICMP */
	assert_int_equal(cksum_fill_l4(f, n), -1);
	n = build(f, 6, 40, 16, 0);
	assert_int_equal(cksum_fill_l4(f, 14 + 20 + 10), -1); /* total length beyond the frame */
	assert_int_equal(cksum_fill_l4(f, 13), -1);
	nb_put16(f + 12, 0x0806); /* ARP */
	assert_int_equal(cksum_fill_l4(f, n), -1);
	nb_put16(f + 12, 0x0800);
	f[14] = 0x46 - 2; /* IHL 4: invalid */
	assert_int_equal(cksum_fill_l4(f, n), -1);
}

/* ref_sum: the textbook 16-bit one's-complement sum, folded. */
static uint16_t ref_sum(const uint8_t *p, size_t len, uint32_t start)
{
	uint64_t acc = start;
	for (size_t i = 0; i + 1 < len; i += 2)
		acc += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		acc += (uint32_t)p[len - 1] << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/* The word-at-a-time sum agrees with the textbook one for every length,
 * alignment and carried-in sum. */
static void wide_sum_matches_reference(void **state)
{
	(void)state;
	uint8_t buf[1600];
	uint64_t x = 88172645463325252ull;
	for (size_t i = 0; i < sizeof(buf); i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		buf[i] = (uint8_t)x;
	}
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len + off <= 600; len++) {
			uint32_t start = (uint32_t)(len * 2654435761u);
			uint16_t want = ref_sum(buf + off, len, start & 0xffffff);
			uint16_t got = (uint16_t)~cksum_fold(cksum_partial(buf + off, len, start & 0xffffff));
			if (want == 0xffff && got == 0)
				got = 0xffff; /* the two zeros of one's complement */
			assert_int_equal(got, want);
		}
	memset(buf, 0xff, sizeof(buf)); /* maximal carries */
	assert_int_equal((uint16_t)~cksum_fold(cksum_partial(buf, sizeof(buf), 0xffffffffu)),
			 ref_sum(buf, sizeof(buf), 0xffffffffu));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fills_tcp_and_udp),
		cmocka_unit_test(leaves_others_alone),
		cmocka_unit_test(wide_sum_matches_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
