/* pattern.h: the deterministic byte stream that source and the HTTP server
 * send, so any receiver can check what it got without a copy of it.
 *
 *   byte i of the stream with seed S is byte (i mod 8) (least significant
 *   first) of   mix(S * 0x9e3779b97f4a7c15 + floor(i / 8))
 *   where mix is nb_hash64 (the splitmix64 finaliser, node/nb.c):
 *       x += 0x9e3779b97f4a7c15
 *       x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
 *       x = (x ^ (x >> 27)) * 0x94d049bb133111eb
 *       x ^= x >> 31
 *
 * The stream never repeats within 2^67 bytes, so reordered, duplicated or
 * dropped data changes the SHA-256 of what was received.
 */
#ifndef NB_APPS_PATTERN_H
#define NB_APPS_PATTERN_H

#include "nb.h"
#include "sha256.h"

#include <stdbool.h>
#include <string.h>

#define PATTERN_SEED_MUL UINT64_C(0x9e3779b97f4a7c15)

/* pattern_word: bytes [8k, 8k + 8) of the stream with seed, as a 64-bit
 * value whose least significant byte comes first. The mix is nb_hash64's,
 * inline here because the stream is made and checked at link speed. */
static inline uint64_t pattern_word(uint64_t seed, uint64_t k)
{
	uint64_t x = seed * PATTERN_SEED_MUL + k + UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

/* pattern_byte: byte `offset` of the stream with `seed`. */
static inline uint8_t pattern_byte(uint64_t seed, uint64_t offset)
{
	return (uint8_t)(pattern_word(seed, offset >> 3) >> (8 * (offset & 7)));
}

/* pattern_put_word: stores w least significant byte first. */
static inline void pattern_put_word(uint8_t *p, uint64_t w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(p, &w, 8);
#else
	for (int k = 0; k < 8; k++)
		p[k] = (uint8_t)(w >> (8 * k));
#endif
}

/* pattern_words: words k .. k+n-1 of the stream (8n bytes) into dst, any
 * alignment; vectorised where the CPU allows (pattern.c). */
void pattern_words(uint8_t *dst, size_t n, uint64_t k, uint64_t seed);
/* pattern_words_select: forces the vector (true) or portable (false) code,
 * for tests and benchmarks; 0, or -1 if this CPU or build lacks vectors. */
int pattern_words_select(bool vector);

/* pattern_fill: writes bytes [offset, offset + len) of the stream into buf. */
static inline void pattern_fill(uint8_t *buf, size_t len, uint64_t offset, uint64_t seed)
{
	size_t i = 0;
	while (i < len && ((offset + i) & 7))
		buf[i] = pattern_byte(seed, offset + i), i++;
	size_t words = (len - i) / 8;
	if (words) {
		pattern_words(buf + i, words, (offset + i) >> 3, seed);
		i += 8 * words;
	}
	while (i < len)
		buf[i] = pattern_byte(seed, offset + i), i++;
}

/* pattern_check: length of the prefix of buf that matches the stream at
 * offset (len when all of it matches). Generates a block at a time
 * (pattern_words) and compares it; the exact byte is found only after a
 * mismatch. */
static inline size_t pattern_check(const uint8_t *buf, size_t len, uint64_t offset, uint64_t seed)
{
	uint8_t want[512];
	for (size_t i = 0; i < len;) {
		size_t n = len - i < sizeof(want) ? len - i : sizeof(want);
		pattern_fill(want, n, offset + i, seed);
		if (memcmp(buf + i, want, n)) {
			for (size_t j = 0;; j++)
				if (buf[i + j] != want[j])
					return i + j;
		}
		i += n;
	}
	return len;
}

/* pattern_digest: SHA-256 of bytes [0, len) of the stream with seed, what a
 * receiver of `len` pattern bytes should report. */
static inline void pattern_digest(uint64_t seed, uint64_t len, uint8_t out[SHA256_LEN])
{
	uint8_t buf[4096];
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

#endif
