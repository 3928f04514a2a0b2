/* test_node_pattern_sha.c: the node's cache of pattern SHA-256 prefix
 * states: digests taken from it equal SHA-256 of the bytes, whatever the
 * lengths (across and between checkpoints), however much background work
 * ran, with several seeds and with more seeds than slots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "apps/lazyhash.h"
#include "apps/pattern.h"
#include "apps/pattern_sha.h"

/* reference: SHA-256 of pattern(seed)[0, len), the slow way. */
static void reference(uint64_t seed, uint64_t len, uint8_t out[SHA256_LEN])
{
	static uint8_t buf[65536];
	struct sha256 c;
	sha256_init(&c);
	for (uint64_t off = 0; off < len;) {
		size_t n = (size_t)NB_MIN((uint64_t)sizeof(buf), len - off);
		pattern_fill(buf, n, off, seed);
		sha256_update(&c, buf, n);
		off += n;
	}
	sha256_final(&c, out);
}

/* lazy_of: a sender's lazy hash of len pattern bytes, in uneven chunks. */
static void lazy_of(struct lazy_hash *h, uint64_t seed, uint64_t len)
{
	lazy_hash_init(h, seed);
	for (uint64_t off = 0, k = 1000; off < len; off += k, k = k * 7 % 300001 + 1)
		lazy_hash_pattern(h, (size_t)NB_MIN(k, len - off));
}

static void drain(void)
{
	while (pattern_sha_work(PATTERN_SHA_SLICE))
		;
}

/* Lengths around checkpoints, with all, some or none of the background
 * work done: the digest is always the reference. */
static void digest_equals_reference(void **st)
{
	(void)st;
	const uint64_t M = PATTERN_SHA_CKPT;
	const uint64_t lens[] = {0, 1, M - 1, M, M + 1, 2 * M, 3 * M + 12345, 5 * M - 7};
	for (int mode = 0; mode < 3; mode++) {
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			pattern_sha_reset();
			struct lazy_hash h;
			uint8_t want[SHA256_LEN], got[SHA256_LEN];
			lazy_of(&h, 11, lens[i]);
			if (mode == 1)
				drain();
			else if (mode == 2)
				pattern_sha_work(M + M / 2);   /* part way only */
			reference(11, lens[i], want);
			lazy_hash_digest(&h, got);
			assert_memory_equal(got, want, SHA256_LEN);
		}
	}
	pattern_sha_reset();
}

/* Work is bounded by demand: nothing pending for short streams, a budget
 * is respected, and it stops at the last checkpoint below demand. */
static void work_follows_demand(void **st)
{
	(void)st;
	pattern_sha_reset();
	assert_false(pattern_sha_pending());
	pattern_sha_demand(5, PATTERN_SHA_CKPT - 1);
	assert_false(pattern_sha_pending());
	assert_int_equal(pattern_sha_work(1 << 20), 0);
	pattern_sha_demand(5, 2 * PATTERN_SHA_CKPT + 100);
	assert_true(pattern_sha_pending());
	assert_int_equal(pattern_sha_work(1000), 1000);
	size_t total = 1000, got;
	while ((got = pattern_sha_work(PATTERN_SHA_SLICE)))
		total += got;
	assert_int_equal(total, 2 * PATTERN_SHA_CKPT);
	assert_false(pattern_sha_pending());
	pattern_sha_reset();
}

/* Streams of different lengths and seeds share the cache; a receiver's
 * hash (comparing) and a sender's (generating) agree; a stream that
 * diverges after a checkpoint still hashes exactly its bytes. */
static void seeds_and_divergence(void **st)
{
	(void)st;
	pattern_sha_reset();
	const uint64_t M = PATTERN_SHA_CKPT;
	struct lazy_hash a, b, c;
	lazy_of(&a, 1, 3 * M + 5);
	lazy_of(&b, 2, 2 * M);
	lazy_hash_init(&c, 1);
	uint8_t *buf = malloc(2 * M + 10);
	pattern_fill(buf, 2 * M + 10, 0, 1);
	for (uint64_t off = 0; off < 2 * M; off += 4096)
		lazy_hash_update(&c, buf + off, 4096);
	drain();
	buf[2 * M + 3] ^= 1;                         /* diverges past a checkpoint */
	lazy_hash_update(&c, buf + 2 * M, 10);
	assert_false(lazy_hash_is_pattern(&c));
	uint8_t want[SHA256_LEN], got[SHA256_LEN];
	reference(1, 3 * M + 5, want);
	lazy_hash_digest(&a, got);
	assert_memory_equal(got, want, SHA256_LEN);
	reference(2, 2 * M, want);
	lazy_hash_digest(&b, got);
	assert_memory_equal(got, want, SHA256_LEN);
	struct sha256 e;
	sha256_init(&e);
	sha256_update(&e, buf, 2 * M + 10);
	sha256_final(&e, want);
	lazy_hash_digest(&c, got);
	assert_memory_equal(got, want, SHA256_LEN);
	free(buf);
	pattern_sha_reset();
}

/* A ticket covers the work pending when it was taken, not demand that
 * grows later. */
static void tickets(void **st)
{
	(void)st;
	pattern_sha_reset();
	struct pattern_sha_ticket t;
	pattern_sha_ticket_take(&t);
	assert_true(pattern_sha_ticket_done(&t));          /* nothing pending */
	pattern_sha_demand(9, 2 * PATTERN_SHA_CKPT);
	pattern_sha_ticket_take(&t);
	assert_false(pattern_sha_ticket_done(&t));
	pattern_sha_demand(9, 40 * PATTERN_SHA_CKPT);      /* the stream grows */
	size_t total = 0;
	while (!pattern_sha_ticket_done(&t))
		total += pattern_sha_work(PATTERN_SHA_SLICE);
	assert_int_equal(total, 2 * PATTERN_SHA_CKPT);    /* only what the ticket saw */
	assert_true(pattern_sha_pending());
	pattern_sha_reset();
	assert_true(pattern_sha_ticket_done(&t));          /* evicted: nothing to wait for */
}

/* More seeds than slots: old ones are evicted, digests stay right. */
static void eviction(void **st)
{
	(void)st;
	pattern_sha_reset();
	struct lazy_hash h[PATTERN_SHA_SEEDS + 2];
	for (int i = 0; i < PATTERN_SHA_SEEDS + 2; i++) {
		lazy_of(&h[i], 100 + (uint64_t)i, PATTERN_SHA_CKPT + 17);
		drain();
	}
	for (int i = 0; i < PATTERN_SHA_SEEDS + 2; i++) {
		uint8_t want[SHA256_LEN], got[SHA256_LEN];
		reference(100 + (uint64_t)i, PATTERN_SHA_CKPT + 17, want);
		lazy_hash_digest(&h[i], got);
		assert_memory_equal(got, want, SHA256_LEN);
	}
	pattern_sha_reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(digest_equals_reference),
		cmocka_unit_test(work_follows_demand),
		cmocka_unit_test(seeds_and_divergence),
		cmocka_unit_test(tickets),
		cmocka_unit_test(eviction),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
