/* test_node_lazyhash.c: a deferred digest equals SHA-256 of the bytes,
 * whether they are the pattern, diverge from it anywhere, or are asked for
 * part way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "apps/lazyhash.h"
#include "apps/pattern.h"

/* eager: the plain SHA-256 of buf. */
static void eager(const uint8_t *buf, size_t n, uint8_t out[SHA256_LEN])
{
	struct sha256 c;
	sha256_init(&c);
	sha256_update(&c, buf, n);
	sha256_final(&c, out);
}

static void pattern_stream(void **state)
{
	(void)state;
	enum { N = 300000 };
	uint8_t *buf = malloc(N), want[SHA256_LEN], got[SHA256_LEN];
	pattern_fill(buf, N, 0, 7);
	eager(buf, N, want);
	struct lazy_hash h, g;
	lazy_hash_init(&h, 7);
	lazy_hash_init(&g, 7);
	for (size_t off = 0, k = 1; off < N; off += k, k = k * 3 % 9001 + 1) {
		size_t n = NB_MIN(k, (size_t)N - off);
		lazy_hash_update(&h, buf + off, n);   /* a receiver compares */
		lazy_hash_pattern(&g, n);             /* a sender knows */
	}
	assert_true(lazy_hash_is_pattern(&h));
	lazy_hash_digest(&h, got);
	assert_memory_equal(got, want, SHA256_LEN);
	lazy_hash_digest(&g, got);
	assert_memory_equal(got, want, SHA256_LEN);
	free(buf);
}

static void diverges_anywhere(void **state)
{
	(void)state;
	enum { N = 70000 };
	uint8_t *buf = malloc(N), want[SHA256_LEN], got[SHA256_LEN];
	size_t flips[] = {0, 1, 255, 256, 4095, 16384, 40000, N - 1};
	for (size_t f = 0; f < sizeof(flips) / sizeof(flips[0]); f++) {
		pattern_fill(buf, N, 0, 3);
		buf[flips[f]] ^= 0x40;
		eager(buf, N, want);
		struct lazy_hash h;
		lazy_hash_init(&h, 3);
		for (size_t off = 0; off < N; off += 1000) {
			lazy_hash_update(&h, buf + off, NB_MIN((size_t)1000, (size_t)N - off));
			if (off == 30000) /* a digest part way must not disturb the rest */
				lazy_hash_digest(&h, got);
		}
		assert_false(lazy_hash_is_pattern(&h));
		lazy_hash_digest(&h, got);
		assert_memory_equal(got, want, SHA256_LEN);
		/* Pattern bytes added after diverging are hashed too. */
		lazy_hash_pattern(&h, 10);
		uint8_t *more = malloc(N + 10);
		memcpy(more, buf, N);
		pattern_fill(more + N, 10, N, 3);
		eager(more, N + 10, want);
		lazy_hash_digest(&h, got);
		assert_memory_equal(got, want, SHA256_LEN);
		free(more);
	}
	free(buf);
}

static void other_seed_and_empty(void **state)
{
	(void)state;
	uint8_t buf[5000], want[SHA256_LEN], got[SHA256_LEN];
	pattern_fill(buf, sizeof(buf), 0, 9); /* pattern, but of another seed */
	eager(buf, sizeof(buf), want);
	struct lazy_hash h;
	lazy_hash_init(&h, 1);
	lazy_hash_update(&h, buf, sizeof(buf));
	lazy_hash_digest(&h, got);
	assert_memory_equal(got, want, SHA256_LEN);
	lazy_hash_init(&h, 1);
	eager(buf, 0, want);
	lazy_hash_digest(&h, got);
	assert_memory_equal(got, want, SHA256_LEN);
}

/* lazy_hash_update2 gives each hash exactly what two updates would: in
 * step (one check), out of step (the second started later), and after
 * both diverged. */
static void update_two_at_once(void **state)
{
	(void)state;
	enum { N = 200000, LATE = 5000 };
	uint8_t *buf = malloc(N), want_a[SHA256_LEN], want_b[SHA256_LEN], got[SHA256_LEN];
	for (int flip = 0; flip < 2; flip++) {
		pattern_fill(buf, N, 0, 4);
		if (flip)
			buf[N / 2] ^= 1;
		struct lazy_hash a, b, c;
		lazy_hash_init(&a, 4);
		lazy_hash_init(&b, 4);
		lazy_hash_init(&c, 4);
		lazy_hash_update(&c, buf, LATE);     /* c is ahead of a and b */
		for (size_t off = 0; off < N; off += 7000) {
			size_t n = NB_MIN((size_t)7000, (size_t)N - off);
			lazy_hash_update2(&a, &b, buf + off, n);
		}
		eager(buf, N, want_a);
		memcpy(want_b, want_a, SHA256_LEN);
		lazy_hash_digest(&a, got);
		assert_memory_equal(got, want_a, SHA256_LEN);
		lazy_hash_digest(&b, got);
		assert_memory_equal(got, want_b, SHA256_LEN);
		assert_int_equal(lazy_hash_is_pattern(&a), !flip);
		/* out of step: c (ahead by LATE) and a fresh d */
		struct lazy_hash d;
		lazy_hash_init(&d, 4);
		lazy_hash_update2(&c, &d, buf + LATE, N - LATE);
		eager(buf, N, want_a);
		lazy_hash_digest(&c, got);
		assert_memory_equal(got, want_a, SHA256_LEN);
		eager(buf + LATE, N - LATE, want_b);
		lazy_hash_digest(&d, got);
		assert_memory_equal(got, want_b, SHA256_LEN);
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(update_two_at_once),
		cmocka_unit_test(pattern_stream),
		cmocka_unit_test(diverges_anywhere),
		cmocka_unit_test(other_seed_and_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
