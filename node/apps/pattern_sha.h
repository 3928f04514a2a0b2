/* pattern_sha.h: SHA-256 prefix states of the pattern stream (pattern.h),
 * computed once per node and in the loop's idle time.
 *
 * Every byte a source sends and every byte a sink checks is the pattern,
 * so all lazy digests of one seed (the sender's, the receiver's per
 * connection and per app) are prefixes of the same stream. Instead of each
 * of them hashing gigabytes when a digest is asked for, this cache hashes
 * the stream once, in slices while the node has nothing else to do, and
 * keeps the SHA state at every checkpoint:
 *
 *   stream:   |-- 1 MiB --|-- 1 MiB --|-- 1 MiB --|---- ... ----|
 *   states:   S0          S1          S2          S3    cur     demand
 *             (checkpoints, copied into a lazy hash)    ^ hashed up to here
 *
 * A lazy hash at length L starts from the last checkpoint <= L and hashes
 * only the rest (< 1 MiB), so asking for a digest never stalls the node
 * for long, whatever the stream's length. Demand is the longest stream
 * seen per seed; work stops there. Seeds are few (one per app kind); past
 * PATTERN_SHA_MAX_CKPT checkpoints (64 GiB) a seed is not cached further
 * and digests fall back to hashing.
 */
#ifndef NB_APPS_PATTERN_SHA_H
#define NB_APPS_PATTERN_SHA_H

#include "nb.h"
#include "sha256.h"

#define PATTERN_SHA_CKPT ((uint64_t)1 << 20)   /* bytes between checkpoints */
#define PATTERN_SHA_MAX_CKPT 65536
#define PATTERN_SHA_SEEDS 8
#define PATTERN_SHA_SLICE 16384                /* most bytes one call hashes at once */

/* pattern_sha_demand: a stream of pattern(seed) reached len bytes. */
void pattern_sha_demand(uint64_t seed, uint64_t len);
/* pattern_sha_skip: c holds SHA-256 state of pattern(seed)[0, *hashed);
 * moves it (and *hashed) to the furthest checkpoint in (*hashed, len], if
 * one is cached. */
void pattern_sha_skip(uint64_t seed, struct sha256 *c, uint64_t *hashed, uint64_t len);
/* pattern_sha_pending: background work remains (some demand not hashed). */
bool pattern_sha_pending(void);
/* pattern_sha_idle_slice: bytes one idle-time slice hashes, about 10 us of
 * work: PATTERN_SHA_SLICE with the SHA extensions, less with portable C. */
size_t pattern_sha_idle_slice(void);
/* pattern_sha_work: hashes at most budget bytes of pending demand; returns
 * the bytes hashed (0: nothing to do). */
size_t pattern_sha_work(size_t budget);
/* A ticket: the work pending at one moment (per seed, up to its demand
 * then). Someone who needs digests of streams that exist now waits for
 * its ticket, not for streams that keep growing. */
struct pattern_sha_ticket {
	int n;
	uint64_t seed[PATTERN_SHA_SEEDS];
	uint64_t upto[PATTERN_SHA_SEEDS];
};
/* pattern_sha_ticket_take: the pending work as of now. */
void pattern_sha_ticket_take(struct pattern_sha_ticket *t);
/* pattern_sha_ticket_done: all of t's work is hashed (or can no longer be:
 * the seed was evicted or is full). */
bool pattern_sha_ticket_done(const struct pattern_sha_ticket *t);
/* pattern_sha_reset: forgets every seed and frees the checkpoints. */
void pattern_sha_reset(void);

#endif
