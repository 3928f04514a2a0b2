/* lazyhash.c: pattern-aware deferred SHA-256 (see lazyhash.h). */
#include "lazyhash.h"

#include "pattern.h"
#include "pattern_sha.h"

void lazy_hash_init(struct lazy_hash *h, uint64_t seed)
{
	h->seed = seed;
	h->len = h->hashed = 0;
	h->diverged = false;
	sha256_init(&h->sha);
}

/* catch_up: hashes the pattern bytes [hashed, len) that sha lacks,
 * starting from the node's cached prefix state when there is one. */
static void catch_up(struct lazy_hash *h)
{
	uint8_t buf[16384];
	pattern_sha_skip(h->seed, &h->sha, &h->hashed, h->len);
	while (h->hashed < h->len) {
		size_t n = (size_t)NB_MIN((uint64_t)sizeof(buf), h->len - h->hashed);
		pattern_fill(buf, n, h->hashed, h->seed);
		sha256_update(&h->sha, buf, n);
		h->hashed += n;
	}
}

void lazy_hash_update(struct lazy_hash *h, const void *data, size_t n)
{
	if (!h->diverged) {
		if (pattern_check(data, n, h->len, h->seed) == n) {
			h->len += n;
			pattern_sha_demand(h->seed, h->len);
			return;
		}
		catch_up(h);
		h->diverged = true;
	}
	sha256_update(&h->sha, data, n);
	h->len += n;
}

void lazy_hash_update2(struct lazy_hash *a, struct lazy_hash *b, const void *data, size_t n)
{
	if (!a->diverged && !b->diverged && a->seed == b->seed && a->len == b->len &&
	    pattern_check(data, n, a->len, a->seed) == n) {
		a->len += n;
		b->len += n;
		pattern_sha_demand(a->seed, a->len);
		return;
	}
	if (a->diverged && b->diverged) {
		sha256_update2(&a->sha, &b->sha, data, n);
		a->len += n;
		b->len += n;
		return;
	}
	lazy_hash_update(a, data, n);
	lazy_hash_update(b, data, n);
}

void lazy_hash_pattern(struct lazy_hash *h, size_t n)
{
	if (!h->diverged) {
		h->len += n;
		pattern_sha_demand(h->seed, h->len);
		return;
	}
	uint8_t buf[16384];
	while (n) {
		size_t k = NB_MIN(n, sizeof(buf));
		pattern_fill(buf, k, h->len, h->seed);
		sha256_update(&h->sha, buf, k);
		h->len += k;
		n -= k;
	}
}

void lazy_hash_digest(struct lazy_hash *h, uint8_t out[SHA256_LEN])
{
	if (!h->diverged)
		catch_up(h);
	sha256_peek(&h->sha, out);
}
