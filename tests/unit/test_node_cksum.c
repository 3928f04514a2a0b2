/* test_node_cksum.c: the Internet checksum against RFC 1071 and known
 * header vectors, odd lengths, split sums and the pseudo-header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "cksum.h"

/* RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2. */
static void test_rfc1071_example(void **st)
{
	(void)st;
	static const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	uint32_t sum = cksum_partial(b, sizeof b, 0);
	/* The running sum may be kept in any width; congruent mod 0xffff to
	 * the RFC's 2ddf0, it folds to ddf2 after the end-around carry. */
	assert_int_equal(sum % 0xffff, 0x2ddf0 % 0xffff);
	assert_int_equal(cksum_fold(sum), (uint16_t)~0xddf2);
	assert_int_equal(cksum(b, sizeof b), 0x220d);
	/* RFC 1071 2(B): any split at an even offset gives the same sum. */
	assert_int_equal(cksum_fold(cksum_partial(b + 4, 4, cksum_partial(b, 4, 0))), 0x220d);
	assert_int_equal(cksum_fold(cksum_partial(b + 2, 6, cksum_partial(b, 2, 0))), 0x220d);
}

/* A textbook IPv4 header: checksum b861; with it in place the sum is 0. */
static void test_ip_header_vector(void **st)
{
	(void)st;
	uint8_t h[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	assert_int_equal(cksum(h, 20), 0xb861);
	h[10] = 0xb8;
	h[11] = 0x61;
	assert_int_equal(cksum(h, 20), 0);
	h[8]--;                                   /* one bit of damage shows */
	assert_int_not_equal(cksum(h, 20), 0);
}

/* naive: RFC 1071 as written, 16-bit big-endian words and end-around
 * carries, folded to 16 bits. */
static uint16_t naive(const uint8_t *p, size_t len, uint32_t start)
{
	uint32_t s = start;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	for (size_t i = 0; i + 1 < len; i += 2) {
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
		s = (s & 0xffff) + (s >> 16);
	}
	if (len & 1) {
		s += (uint32_t)p[len - 1] << 8;
		s = (s & 0xffff) + (s >> 16);
	}
	return (uint16_t)~s;
}

/* The fast sum agrees with the naive one for every length up to 600, at
 * every alignment, from any running sum, on random and all-ones data. */
static void test_matches_naive(void **st)
{
	(void)st;
	static uint8_t buf[700];
	uint64_t x = 88172645463325252u;
	for (size_t i = 0; i < sizeof buf; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		buf[i] = (uint8_t)x;
	}
	const uint32_t starts[] = {0, 1, 0xffff, 0x12345, 0xfffffffe};
	for (int fill = 0; fill < 2; fill++) {
		if (fill)
			memset(buf, 0xff, sizeof buf);
		for (size_t off = 0; off < 8; off++)
			for (size_t len = 0; len <= 600; len++)
				for (size_t k = 0; k < sizeof starts / sizeof starts[0]; k++)
					assert_int_equal(cksum_fold(cksum_partial(buf + off, len, starts[k])),
							 naive(buf + off, len, starts[k]));
	}
}

static void test_odd_and_edges(void **st)
{
	(void)st;
	static const uint8_t odd[] = {0x01, 0x02, 0x03};   /* 0102 + 0300 = 0402 */
	assert_int_equal(cksum(odd, 3), (uint16_t)~0x0402);
	assert_int_equal(cksum(odd, 0), 0xffff);           /* empty sum: ~0 */
	uint8_t ones[64];
	memset(ones, 0xff, sizeof ones);
	assert_int_equal(cksum(ones, sizeof ones), 0);     /* -0 + -0 ... = -0 */
	uint8_t big[4000];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)(i * 7 + 3);
	/* Carries: a 4000-byte sum folds the same whichever way it is split. */
	assert_int_equal(cksum(big, sizeof big),
			 cksum_fold(cksum_partial(big + 1000, 3000, cksum_partial(big, 1000, 0))));
	/* Appending the checksum (even offset) makes the whole sum zero. */
	uint8_t with[4002];
	memcpy(with, big, sizeof big);
	uint16_t c = cksum(big, sizeof big);
	with[4000] = (uint8_t)(c >> 8);
	with[4001] = (uint8_t)c;
	assert_int_equal(cksum(with, sizeof with), 0);
}

static void test_pseudo_header(void **st)
{
	(void)st;
	/* 10.0.0.1 -> 10.0.0.2, UDP, length 12: same as summing the bytes. */
	uint8_t ph[12] = {10, 0, 0, 1, 10, 0, 0, 2, 0, 17, 0, 12};
	assert_int_equal(cksum_fold(cksum_pseudo(0x0a000001, 0x0a000002, 17, 12)), cksum(ph, 12));
	uint8_t ph2[12] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0, 6, 0xff, 0xff};
	assert_int_equal(cksum_fold(cksum_pseudo(0xffffffff, 0xfffffffe, 6, 0xffff)), cksum(ph2, 12));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_example),
		cmocka_unit_test(test_matches_naive),
		cmocka_unit_test(test_ip_header_vector),
		cmocka_unit_test(test_odd_and_edges),
		cmocka_unit_test(test_pseudo_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
