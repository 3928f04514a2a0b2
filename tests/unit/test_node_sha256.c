/* test_node_sha256.c: SHA-256 against FIPS 180-4 / NIST example vectors,
 * incremental feeding at every split, and the source pattern. The digest
 * tests run once per block implementation (portable C, and the x86 SHA
 * extensions when this CPU has them), and the two are cross-checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "apps/pattern.h"
#include "sha256.h"

static void check(const void *msg, size_t len, const char *hex)
{
	uint8_t d[SHA256_LEN];
	char buf[SHA256_HEX_LEN];
	sha256(msg, len, d);
	assert_string_equal(sha256_hex(d, buf), hex);
}

static void test_vectors(void **state)
{
	(void)state;
	check("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	check(m448, strlen(m448), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	check(m896, strlen(m896), "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
	/* the quick brown fox (widely published) */
	const char *fox = "The quick brown fox jumps over the lazy dog";
	check(fox, strlen(fox), "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592");
}

static void test_million_a(void **state)
{
	(void)state;
	struct sha256 c;
	uint8_t block[1000], d[SHA256_LEN];
	char buf[SHA256_HEX_LEN];
	memset(block, 'a', sizeof(block));
	sha256_init(&c);
	for (int i = 0; i < 1000; i++)
		sha256_update(&c, block, sizeof(block));
	sha256_final(&c, d);
	assert_string_equal(sha256_hex(d, buf), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Padding edge cases: lengths around the 55/56/64-byte boundaries, fed at
 * every split point, must equal the one-shot digest. */
static void test_incremental(void **state)
{
	(void)state;
	uint8_t msg[200];
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	for (size_t len = 0; len <= 130; len++) {
		uint8_t want[SHA256_LEN];
		sha256(msg, len, want);
		for (size_t cut = 0; cut <= len; cut += (len > 70 ? 13 : 1)) {
			struct sha256 c;
			uint8_t got[SHA256_LEN], peek[SHA256_LEN];
			sha256_init(&c);
			sha256_update(&c, msg, cut);
			sha256_update(&c, msg + cut, len - cut);
			sha256_peek(&c, peek);
			sha256_final(&c, got);
			assert_memory_equal(got, want, SHA256_LEN);
			assert_memory_equal(peek, want, SHA256_LEN);
		}
	}
	/* 55 and 56 bytes: known digests */
	memset(msg, 'a', 64);
	check(msg, 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
	check(msg, 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
	check(msg, 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

/* The pattern is a pure function of (seed, offset), whatever the chunking. */
static void test_pattern(void **state)
{
	(void)state;
	uint8_t a[1000], b[1000];
	pattern_fill(a, sizeof(a), 0, 7);
	for (size_t off = 0; off < sizeof(b);) {
		size_t n = NB_MIN((size_t)(off % 13 + 1), sizeof(b) - off);
		pattern_fill(b + off, n, off, 7);
		off += n;
	}
	assert_memory_equal(a, b, sizeof(a));
	assert_int_equal(pattern_check(a, sizeof(a), 0, 7), sizeof(a));
	assert_int_equal(pattern_check(a + 1, 100, 0, 7) < 100, 1);
	pattern_fill(b, sizeof(b), 0, 8);
	assert_true(memcmp(a, b, sizeof(a)) != 0);
	/* byte 0 of seed 0 is the low byte of nb_hash64(0) */
	assert_int_equal(pattern_byte(0, 0), (uint8_t)nb_hash64(0));
	assert_int_equal(pattern_byte(0, 9), (uint8_t)(nb_hash64(1) >> 8));
}

/* select_impl: group setup; *state names the implementation to force. */
static int select_portable(void **state)
{
	(void)state;
	return sha256_select(SHA256_IMPL_PORTABLE);
}

static int select_shani(void **state)
{
	(void)state;
	if (sha256_select(SHA256_IMPL_SHANI) < 0) {
		print_message("SHA extensions not available on this CPU: skipped\n");
		return -1;
	}
	return 0;
}

static int select_auto(void **state)
{
	(void)state;
	return sha256_select(SHA256_IMPL_AUTO);
}

/* Both implementations agree on every length up to 3 blocks and on large
 * unaligned buffers fed in odd pieces. */
static void test_impls_agree(void **state)
{
	(void)state;
	if (sha256_select(SHA256_IMPL_SHANI) < 0) {
		sha256_select(SHA256_IMPL_AUTO);
		skip();
	}
	static uint8_t msg[70001];
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(nb_hash64(i) >> 13);
	for (size_t len = 0; len <= 200; len++) {
		uint8_t a[SHA256_LEN], b[SHA256_LEN];
		sha256_select(SHA256_IMPL_PORTABLE);
		sha256(msg + 1, len, a);
		sha256_select(SHA256_IMPL_SHANI);
		sha256(msg + 1, len, b);
		assert_memory_equal(a, b, SHA256_LEN);
	}
	uint8_t want[SHA256_LEN], got[SHA256_LEN];
	sha256_select(SHA256_IMPL_PORTABLE);
	sha256(msg + 3, sizeof(msg) - 3, want);
	sha256_select(SHA256_IMPL_SHANI);
	struct sha256 c;
	sha256_init(&c);
	for (size_t off = 3, step = 1; off < sizeof(msg); step = step * 3 % 1031 + 1) {
		size_t n = NB_MIN(step, sizeof(msg) - off);
		sha256_update(&c, msg + off, n);
		off += n;
	}
	sha256_final(&c, got);
	assert_memory_equal(got, want, SHA256_LEN);
	sha256_select(SHA256_IMPL_AUTO);
}

/* sha256_update2 equals two updates, whether the states match or not. */
static void test_update2(void **state)
{
	(void)state;
	uint8_t msg[3000];
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 31 + 7);
	struct sha256 a, b, ra, rb;
	sha256_init(&a);
	sha256_init(&b);
	sha256_init(&ra);
	sha256_init(&rb);
	for (size_t off = 0, n = 1; off < sizeof(msg); off += n, n = n * 2 + 1) {
		n = NB_MIN(n, sizeof(msg) - off);
		if (off == 63) { /* from here on, b differs from a */
			sha256_update(&b, "x", 1);
			sha256_update(&rb, "x", 1);
		}
		sha256_update2(&a, &b, msg + off, n);
		sha256_update(&ra, msg + off, n);
		sha256_update(&rb, msg + off, n);
		uint8_t d1[SHA256_LEN], d2[SHA256_LEN];
		sha256_peek(&a, d1);
		sha256_peek(&ra, d2);
		assert_memory_equal(d1, d2, SHA256_LEN);
		sha256_peek(&b, d1);
		sha256_peek(&rb, d2);
		assert_memory_equal(d1, d2, SHA256_LEN);
	}
	sha256_update2(&a, &a, "abc", 3); /* the same context twice: hashed once */
	sha256_update(&ra, "abc", 3);
	uint8_t d1[SHA256_LEN], d2[SHA256_LEN];
	sha256_peek(&a, d1);
	sha256_peek(&ra, d2);
	assert_memory_equal(d1, d2, SHA256_LEN);
}

/* pattern_check finds the first wrong byte anywhere in a long buffer. */
static void test_pattern_check_long(void **state)
{
	(void)state;
	static uint8_t buf[5000];
	pattern_fill(buf, sizeof(buf), 12345, 9);
	assert_int_equal(pattern_check(buf, sizeof(buf), 12345, 9), sizeof(buf));
	for (size_t at = 0; at < sizeof(buf); at += 331) {
		buf[at] ^= 0x40;
		assert_int_equal(pattern_check(buf, sizeof(buf), 12345, 9), at);
		buf[at] ^= 0x40;
	}
	for (size_t i = 0; i < 64; i++)
		assert_int_equal(buf[i], pattern_byte(9, 12345 + i));
}

/* The vector and the portable word generators give the same bytes at
 * every start, count and alignment (the vector one is skipped where the
 * CPU lacks AVX-512). */
static void test_pattern_words_vector(void **state)
{
	(void)state;
	static uint8_t a[8 * 300 + 8], b[8 * 300 + 8];
	if (pattern_words_select(true) != 0) {
		pattern_words_select(false);
		skip();
	}
	for (uint64_t k = 0; k < 40; k += 13)
		for (size_t n = 0; n <= 300; n += 7)
			for (size_t al = 0; al < 8; al += 3) {
				pattern_words_select(true);
				pattern_words(a + al, n, k, 0x1234 + k);
				pattern_words_select(false);
				pattern_words(b + al, n, k, 0x1234 + k);
				assert_memory_equal(a + al, b + al, 8 * n);
				for (size_t i = 0; i < 8 * n; i += 37)
					assert_int_equal(a[al + i], pattern_byte(0x1234 + k, 8 * k + i));
			}
}

int main(void)
{
	const struct CMUnitTest digests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_million_a),
		cmocka_unit_test(test_incremental),
	};
	const struct CMUnitTest rest[] = {
		cmocka_unit_test(test_pattern),
		cmocka_unit_test(test_pattern_check_long),
		cmocka_unit_test(test_pattern_words_vector),
		cmocka_unit_test(test_impls_agree),
		cmocka_unit_test(test_update2),
	};
	int failed = cmocka_run_group_tests_name("sha256 portable", digests, select_portable, select_auto);
	if (sha256_select(SHA256_IMPL_SHANI) == 0)
		failed += cmocka_run_group_tests_name("sha256 shani", digests, select_shani, select_auto);
	else
		print_message("SHA extensions not available on this CPU: shani group skipped\n");
	sha256_select(SHA256_IMPL_AUTO);
	failed += cmocka_run_group_tests_name("sha256 auto + pattern", rest, select_auto, NULL);
	return failed;
}
