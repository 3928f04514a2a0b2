/* pattern_sha.c: the per-node cache of pattern SHA-256 prefix states (see
 * pattern_sha.h). One node is one thread: the cache is plain module state. */
#include "pattern_sha.h"

#include "pattern.h"

#include <stdlib.h>
#include <string.h>

struct seed_cache {
	bool used;
	uint64_t seed;
	uint64_t demand;          /* longest stream of this seed seen */
	uint64_t done;            /* cur covers [0, done) */
	struct sha256 cur;
	struct sha256 *ckpt;      /* ckpt[k]: state after (k + 1) * CKPT bytes */
	size_t nckpt, cap;
	bool full;                /* PATTERN_SHA_MAX_CKPT reached: no more work */
};

static struct seed_cache cache[PATTERN_SHA_SEEDS];
static unsigned next_victim;

/* find: the cache of seed, or NULL. */
static struct seed_cache *find(uint64_t seed)
{
	for (int i = 0; i < PATTERN_SHA_SEEDS; i++)
		if (cache[i].used && cache[i].seed == seed)
			return &cache[i];
	return NULL;
}

static void drop(struct seed_cache *c)
{
	free(c->ckpt);
	*c = (struct seed_cache){0};
}

void pattern_sha_demand(uint64_t seed, uint64_t len)
{
	struct seed_cache *c = find(seed);
	if (!c) {
		if (len < PATTERN_SHA_CKPT)
			return;              /* short streams hash quickly anyway */
		for (int i = 0; i < PATTERN_SHA_SEEDS && !c; i++)
			if (!cache[i].used)
				c = &cache[i];
		if (!c) {                    /* more seeds than slots: evict round robin */
			c = &cache[next_victim++ % PATTERN_SHA_SEEDS];
			drop(c);
		}
		c->used = true;
		c->seed = seed;
		sha256_init(&c->cur);
	}
	if (len > c->demand)
		c->demand = len;
}

void pattern_sha_skip(uint64_t seed, struct sha256 *sha, uint64_t *hashed, uint64_t len)
{
	struct seed_cache *c = find(seed);
	if (!c || !c->nckpt)
		return;
	uint64_t k = len / PATTERN_SHA_CKPT;          /* checkpoints within len */
	if (k > c->nckpt)
		k = c->nckpt;
	if (!k || k * PATTERN_SHA_CKPT <= *hashed)
		return;
	*sha = c->ckpt[k - 1];
	*hashed = k * PATTERN_SHA_CKPT;
}

/* wanted: bytes this seed still has to hash, up to its last checkpoint
 * below demand (the tail past it is left to the lazy hash). */
static uint64_t wanted(const struct seed_cache *c)
{
	if (!c->used || c->full)
		return 0;
	uint64_t target = c->demand / PATTERN_SHA_CKPT * PATTERN_SHA_CKPT;
	return target > c->done ? target - c->done : 0;
}

bool pattern_sha_pending(void)
{
	for (int i = 0; i < PATTERN_SHA_SEEDS; i++)
		if (wanted(&cache[i]))
			return true;
	return false;
}

/* push_ckpt: records cur as the next checkpoint; false when full. */
static bool push_ckpt(struct seed_cache *c)
{
	if (c->nckpt == PATTERN_SHA_MAX_CKPT) {
		c->full = true;
		return false;
	}
	if (c->nckpt == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct sha256 *p = realloc(c->ckpt, cap * sizeof(*p));
		if (!p) {
			c->full = true;      /* no memory: digests just hash */
			return false;
		}
		c->ckpt = p;
		c->cap = cap;
	}
	c->ckpt[c->nckpt++] = c->cur;
	return true;
}

size_t pattern_sha_idle_slice(void)
{
	return strcmp(sha256_impl_name(), "shani") ? 2048 : PATTERN_SHA_SLICE;
}

size_t pattern_sha_work(size_t budget)
{
	uint8_t buf[PATTERN_SHA_SLICE];
	size_t total = 0;
	for (int i = 0; i < PATTERN_SHA_SEEDS && total < budget; i++) {
		struct seed_cache *c = &cache[i];
		while (total < budget && wanted(c)) {
			uint64_t to_ckpt = PATTERN_SHA_CKPT - c->done % PATTERN_SHA_CKPT;
			size_t n = (size_t)NB_MIN((uint64_t)NB_MIN(sizeof(buf), budget - total), to_ckpt);
			pattern_fill(buf, n, c->done, c->seed);
			sha256_update(&c->cur, buf, n);
			c->done += n;
			total += n;
			if (c->done % PATTERN_SHA_CKPT == 0 && !push_ckpt(c))
				break;
		}
	}
	return total;
}

void pattern_sha_ticket_take(struct pattern_sha_ticket *t)
{
	t->n = 0;
	for (int i = 0; i < PATTERN_SHA_SEEDS; i++) {
		if (!wanted(&cache[i]))
			continue;
		t->seed[t->n] = cache[i].seed;
		t->upto[t->n] = cache[i].demand / PATTERN_SHA_CKPT * PATTERN_SHA_CKPT;
		t->n++;
	}
}

bool pattern_sha_ticket_done(const struct pattern_sha_ticket *t)
{
	for (int i = 0; i < t->n; i++) {
		const struct seed_cache *c = find(t->seed[i]);
		if (c && !c->full && c->done < t->upto[i])
			return false;
	}
	return true;
}

void pattern_sha_reset(void)
{
	for (int i = 0; i < PATTERN_SHA_SEEDS; i++)
		drop(&cache[i]);
	next_victim = 0;
}
