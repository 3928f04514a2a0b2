/* sha256.c: SHA-256 per FIPS 180-4, two ways to compress blocks:
 *
 *   portable  plain C (FIPS 180-4 6.2.2); big-endian loads byte by byte, so
 *             it is alignment- and endian-neutral
 *   shani     x86 SHA extensions (SHA256RNDS2, SHA256MSG1, SHA256MSG2), used
 *             when CPUID says the CPU has them (checked once, at first use)
 *
 * Both produce the same digests; sha256_select() lets tests run each one.
 */
#include "sha256.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define SHA256_HAVE_SHANI 1
#include <cpuid.h>
#include <immintrin.h>
#endif

/* FIPS 180-4 4.2.2: first 32 bits of the fractional parts of the cube roots
 * of the first 64 primes. */
static const uint32_t K[64] __attribute__((aligned(16))) = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

/* blocks_portable: FIPS 180-4 6.2.2 steps 1-4 for n consecutive 64-byte blocks. */
static void blocks_portable(uint32_t h[8], const uint8_t *p, size_t n)
{
	for (; n; n--, p += 64) {
		uint32_t w[64];
		for (int t = 0; t < 16; t++)
			w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 |
			       (uint32_t)p[4 * t + 2] << 8 | p[4 * t + 3];
		for (int t = 16; t < 64; t++) {
			uint32_t s0 = ror(w[t - 15], 7) ^ ror(w[t - 15], 18) ^ (w[t - 15] >> 3);
			uint32_t s1 = ror(w[t - 2], 17) ^ ror(w[t - 2], 19) ^ (w[t - 2] >> 10);
			w[t] = w[t - 16] + s0 + w[t - 7] + s1;
		}
		uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
		for (int t = 0; t < 64; t++) {
			uint32_t S1 = ror(e, 6) ^ ror(e, 11) ^ ror(e, 25);
			uint32_t ch = (e & f) ^ (~e & g);
			uint32_t t1 = k + S1 + ch + K[t] + w[t];
			uint32_t S0 = ror(a, 2) ^ ror(a, 13) ^ ror(a, 22);
			uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
			uint32_t t2 = S0 + maj;
			k = g; g = f; f = e; e = d + t1;
			d = c; c = b; b = a; a = t1 + t2;
		}
		h[0] += a; h[1] += b; h[2] += c; h[3] += d;
		h[4] += e; h[5] += f; h[6] += g; h[7] += k;
	}
}

#ifdef SHA256_HAVE_SHANI
#define SHANI_TARGET __attribute__((target("sha,sse4.1,ssse3")))

/* The SHA extensions keep the eight working variables in two registers:
 *
 *   ABEF = lanes (3..0) A B E F      CDGH = lanes (3..0) C D G H
 *
 * SHA256RNDS2 (_mm_sha256rnds2_epu32(cdgh, abef, wk)) runs rounds t and t+1
 * with W[t]+K[t] and W[t+1]+K[t+1] from the low two lanes of wk and returns
 * the new ABEF; after two rounds the new CDGH is the old ABEF, so the two
 * registers swap roles every call.
 *
 * The schedule, four words at a time (lane i = W[t+i]):
 *   SHA256MSG1(W[t-16..t-13], W[t-12..t-9])  = W[t-16+i] + sigma0(W[t-15+i])
 *   + W[t-7..t-4]                              (ALIGNR of the last two groups)
 *   SHA256MSG2(that, W[t-4..t-1])            = that + sigma1(W[t-2+i]), using
 *                                              its own first lanes for i >= 2
 */

/* shani_round4: rounds 4g..4g+3 with the message group m (W[4g..4g+3]). */
#define SHANI_ROUND4(m, g)                                                          \
	do {                                                                         \
		__m128i wk = _mm_add_epi32((m), _mm_load_si128((const __m128i *)&K[4 * (g)])); \
		cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);                         \
		abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0e)); \
	} while (0)

/* SHANI_SCHED: m0 <- the next group from m0..m3 (four groups back .. one back). */
#define SHANI_SCHED(m0, m1, m2, m3) \
	(m0) = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32((m0), (m1)), \
						  _mm_alignr_epi8((m3), (m2), 4)), (m3))

/* blocks_shani: the same as blocks_portable, with the SHA extensions. */
SHANI_TARGET static void blocks_shani(uint32_t h[8], const uint8_t *p, size_t n)
{
	const __m128i bswap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
	__m128i dcba = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[0]), 0x1b); /* lanes D C B A */
	__m128i hgfe = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[4]), 0x1b); /* lanes H G F E */
	__m128i abef = _mm_unpackhi_epi64(hgfe, dcba); /* lanes (0..3) F E B A */
	__m128i cdgh = _mm_unpacklo_epi64(hgfe, dcba); /* lanes (0..3) H G D C */
	for (; n; n--, p += 64) {
		__m128i abef0 = abef, cdgh0 = cdgh;
		__m128i m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 0)), bswap);
		__m128i m1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), bswap);
		__m128i m2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), bswap);
		__m128i m3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), bswap);
		SHANI_ROUND4(m0, 0);
		SHANI_ROUND4(m1, 1);
		SHANI_ROUND4(m2, 2);
		SHANI_ROUND4(m3, 3);
		for (int g = 4; g < 16; g += 4) {
			SHANI_SCHED(m0, m1, m2, m3);
			SHANI_ROUND4(m0, g);
			SHANI_SCHED(m1, m2, m3, m0);
			SHANI_ROUND4(m1, g + 1);
			SHANI_SCHED(m2, m3, m0, m1);
			SHANI_ROUND4(m2, g + 2);
			SHANI_SCHED(m3, m0, m1, m2);
			SHANI_ROUND4(m3, g + 3);
		}
		abef = _mm_add_epi32(abef, abef0);
		cdgh = _mm_add_epi32(cdgh, cdgh0);
	}
	dcba = _mm_unpackhi_epi64(cdgh, abef); /* lanes (0..3) D C B A */
	hgfe = _mm_unpacklo_epi64(cdgh, abef); /* lanes (0..3) H G F E */
	_mm_storeu_si128((__m128i *)&h[0], _mm_shuffle_epi32(dcba, 0x1b));
	_mm_storeu_si128((__m128i *)&h[4], _mm_shuffle_epi32(hgfe, 0x1b));
}

/* cpu_has_shani: CPUID leaf 7 EBX bit 29 (SHA), with SSSE3 and SSE4.1 (leaf
 * 1 ECX bits 9 and 19) for the shuffles around it. */
static bool cpu_has_shani(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 9)) || !(c & (1u << 19)))
		return false;
	if (__get_cpuid_max(0, NULL) < 7)
		return false;
	__cpuid_count(7, 0, a, b, c, d);
	return (b >> 29) & 1;
}
#endif

typedef void (*blocks_fn)(uint32_t h[8], const uint8_t *p, size_t n);
static blocks_fn blocks;           /* chosen at first use */
static const char *blocks_name;

/* pick: the fastest implementation this CPU runs. */
static void pick(void)
{
#ifdef SHA256_HAVE_SHANI
	if (cpu_has_shani()) {
		blocks = blocks_shani;
		blocks_name = "shani";
		return;
	}
#endif
	blocks = blocks_portable;
	blocks_name = "portable";
}

int sha256_select(enum sha256_impl impl)
{
	switch (impl) {
	case SHA256_IMPL_AUTO:
		pick();
		return 0;
	case SHA256_IMPL_PORTABLE:
		blocks = blocks_portable;
		blocks_name = "portable";
		return 0;
	case SHA256_IMPL_SHANI:
#ifdef SHA256_HAVE_SHANI
		if (cpu_has_shani()) {
			blocks = blocks_shani;
			blocks_name = "shani";
			return 0;
		}
#endif
		return -ENOTSUP;
	}
	return -EINVAL;
}

const char *sha256_impl_name(void)
{
	if (!blocks)
		pick();
	return blocks_name;
}

/* compress: n blocks through the selected implementation. */
static inline void compress(uint32_t h[8], const uint8_t *p, size_t n)
{
	if (!blocks)
		pick();
	blocks(h, p, n);
}

void sha256_init(struct sha256 *c)
{
	/* FIPS 180-4 5.3.3 */
	static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
				       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	memcpy(c->h, H0, sizeof(H0));
	c->bytes = 0;
	c->fill = 0;
}

void sha256_update(struct sha256 *c, const void *data, size_t len)
{
	const uint8_t *p = data;
	c->bytes += len;
	if (c->fill) {
		size_t n = 64 - c->fill < len ? 64 - c->fill : len;
		memcpy(c->block + c->fill, p, n);
		c->fill += n;
		p += n;
		len -= n;
		if (c->fill < 64)
			return;
		compress(c->h, c->block, 1);
		c->fill = 0;
	}
	if (len >= 64) {
		compress(c->h, p, len / 64);
		p += len / 64 * 64;
		len %= 64;
	}
	memcpy(c->block, p, len);
	c->fill = len;
}

/* same_state: true if a and b have hashed the same bytes (as far as the
 * digest can tell: equal chaining value, length and pending bytes). */
static bool same_state(const struct sha256 *a, const struct sha256 *b)
{
	return a->bytes == b->bytes && a->fill == b->fill && !memcmp(a->h, b->h, sizeof(a->h)) &&
	       !memcmp(a->block, b->block, a->fill);
}

void sha256_update2(struct sha256 *a, struct sha256 *b, const void *data, size_t len)
{
	if (a == b || same_state(a, b)) {
		sha256_update(a, data, len);
		if (b != a)
			*b = *a;
		return;
	}
	sha256_update(a, data, len);
	sha256_update(b, data, len);
}

/* sha256_final: FIPS 180-4 5.1.1 padding: 0x80, zeros, 64-bit bit length. */
void sha256_final(struct sha256 *c, uint8_t out[SHA256_LEN])
{
	uint64_t bits = c->bytes * 8;
	c->block[c->fill++] = 0x80;
	if (c->fill > 56) {
		memset(c->block + c->fill, 0, 64 - c->fill);
		compress(c->h, c->block, 1);
		c->fill = 0;
	}
	memset(c->block + c->fill, 0, 56 - c->fill);
	for (int i = 0; i < 8; i++)
		c->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	compress(c->h, c->block, 1);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(c->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)c->h[i];
	}
}

void sha256_peek(const struct sha256 *c, uint8_t out[SHA256_LEN])
{
	struct sha256 copy = *c;
	sha256_final(&copy, out);
}

void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN])
{
	struct sha256 c;
	sha256_init(&c);
	sha256_update(&c, data, len);
	sha256_final(&c, out);
}

const char *sha256_hex(const uint8_t d[SHA256_LEN], char buf[SHA256_HEX_LEN])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < SHA256_LEN; i++) {
		buf[2 * i] = hex[d[i] >> 4];
		buf[2 * i + 1] = hex[d[i] & 15];
	}
	buf[64] = '\0';
	return buf;
}
