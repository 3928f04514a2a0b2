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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pattern_stream),
		cmocka_unit_test(diverges_anywhere),
		cmocka_unit_test(other_seed_and_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
