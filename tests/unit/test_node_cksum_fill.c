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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fills_tcp_and_udp),
		cmocka_unit_test(leaves_others_alone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
