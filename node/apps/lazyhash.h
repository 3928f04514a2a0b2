/* lazyhash.h: the SHA-256 of a byte stream that is usually the nestbed
 * pattern, computed only when someone asks for it.
 *
 * While every byte added equals pattern(seed) from offset 0, only a length
 * is kept: a receiver compares each chunk with the pattern (~6x cheaper than
 * hashing it), a sender that generated the pattern says so and skips even
 * that. The first differing byte turns it into an ordinary running hash
 * (the pattern prefix is hashed then). A digest is exactly SHA-256 of the
 * bytes added either way; asking for one catches the hash up to the current
 * length, so the work over a stream's life is never more than one pass;
 * the node hashes the pattern itself in idle time (pattern_sha.h), so that
 * pass mostly starts from a cached prefix state.
 *
 *   pattern mode:  [0 ........ hashed | ........ len)   sha covers [0, hashed)
 *   diverged:      sha covers [0, len)
 */
#ifndef NB_LAZYHASH_H
#define NB_LAZYHASH_H

#include "nb.h"
#include "sha256.h"

struct lazy_hash {
	uint64_t seed;
	uint64_t len;           /* bytes added */
	uint64_t hashed;        /* pattern mode: bytes sha already covers */
	bool diverged;          /* a byte differed from the pattern */
	struct sha256 sha;
};

/* lazy_hash_init: an empty stream expected to follow pattern(seed). */
void lazy_hash_init(struct lazy_hash *h, uint64_t seed);
/* lazy_hash_update: adds n bytes of data. */
void lazy_hash_update(struct lazy_hash *h, const void *data, size_t n);
/* lazy_hash_update2: lazy_hash_update of a and of b with the same bytes,
 * checking or hashing them once when a and b are at the same point (a
 * sink's per-connection and per-app digests of its only connection). */
void lazy_hash_update2(struct lazy_hash *a, struct lazy_hash *b, const void *data, size_t n);
/* lazy_hash_pattern: adds the n pattern bytes at the stream's current
 * offset, which the caller generated itself (nothing to compare). */
void lazy_hash_pattern(struct lazy_hash *h, size_t n);
/* lazy_hash_digest: SHA-256 of everything added so far; h stays usable. */
void lazy_hash_digest(struct lazy_hash *h, uint8_t out[SHA256_LEN]);
/* lazy_hash_is_pattern: true while the stream is still the pattern. */
static inline bool lazy_hash_is_pattern(const struct lazy_hash *h) { return !h->diverged; }

#endif
