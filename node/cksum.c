/* cksum.c: RFC 1071 one's-complement sum, byte-order independent. */
#include "cksum.h"

#include <stdbool.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define CKSUM_HAVE_AVX512 1

/* sum_avx512: the native-order 32-bit words of p[0, n) (n a multiple of
 * 64) summed into 64 bits, eight lanes at a time. */
__attribute__((target("avx512f"))) static uint64_t sum_avx512(const uint8_t *p, size_t n)
{
	const __m512i lo32 = _mm512_set1_epi64((long long)0xffffffffu);
	__m512i a = _mm512_setzero_si512(), b = _mm512_setzero_si512();
	for (size_t i = 0; i < n; i += 64) {
		__m512i v = _mm512_loadu_si512((const void *)(p + i));
		a = _mm512_add_epi64(a, _mm512_and_si512(v, lo32));
		b = _mm512_add_epi64(b, _mm512_srli_epi64(v, 32));
	}
	return (uint64_t)_mm512_reduce_add_epi64(_mm512_add_epi64(a, b));
}

/* have_avx512: CPUID says AVX-512F, asked once. */
static bool have_avx512(void)
{
	static int known = -1;
	if (known < 0) {
		__builtin_cpu_init();
		known = __builtin_cpu_supports("avx512f") ? 1 : 0;
	}
	return known;
}
#endif

uint32_t cksum_partial(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* RFC 1071 2(B): the sum is byte-order independent, so it is taken in
	 * native order (the 32-bit halves of 64-bit loads, two accumulators
	 * for the pipeline, no byte swap per word), folded, and swapped once
	 * into network order. Loads go through memcpy: no alignment assumed. */
	uint64_t a0 = 0, a1 = 0;
#ifdef CKSUM_HAVE_AVX512
	if (len >= 256 && have_avx512()) {          /* a segment's payload: vectors */
		size_t m = len & ~(size_t)63;
		a0 = sum_avx512(p, m);
		p += m;
		len -= m;
	}
#endif
	while (len >= 16) {
		uint64_t w[2];
		memcpy(w, p, sizeof(w));
		a0 += (w[0] & 0xffffffffu) + (w[0] >> 32);
		a1 += (w[1] & 0xffffffffu) + (w[1] >> 32);
		p += 16;
		len -= 16;
	}
	uint64_t acc = a0 + a1;
	while (len >= 4) {
		uint32_t w;
		memcpy(&w, p, sizeof(w));
		acc += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t w;
		memcpy(&w, p, sizeof(w));
		acc += w;
		p += 2;
		len -= 2;
	}
	if (len)
		acc += p[0];                      /* the low byte of a last word */
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	uint64_t total = (uint64_t)sum + __builtin_bswap16((uint16_t)acc);
#else
	/* Big-endian 32-bit words into a 64-bit accumulator: folding their sum
	 * gives the same one's-complement sum as 16-bit words. */
	uint64_t total = sum;
	while (len >= 4) {
		total += (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		total += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	}
	if (len)
		total += (uint32_t)p[0] << 8;
#endif
	while (total >> 32)
		total = (total & 0xffffffffu) + (total >> 32);
	return (uint32_t)total;
}

uint16_t cksum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t cksum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
	uint64_t s = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + len;
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

int cksum_fill_l4(uint8_t *f, size_t len)
{
	if (len < 14 + 20 || nb_get16(f + 12) != 0x0800)
		return -1;
	uint8_t *ip = f + 14;
	size_t hl = (size_t)(ip[0] & 15) * 4, tot = nb_get16(ip + 2);
	if ((ip[0] >> 4) != 4 || hl < 20 || tot < hl || tot > len - 14)
		return -1;
	if (nb_get16(ip + 6) & 0x3fff) /* fragment: the checksum spans others */
		return -1;
	uint8_t proto = ip[9];
	size_t l4len = tot - hl, off;
	if (proto == 6 && l4len >= 20)
		off = 16;
	else if (proto == 17 && l4len >= 8)
		off = 6;
	else
		return -1;
	uint8_t *l4 = ip + hl;
	l4[off] = l4[off + 1] = 0;
	uint32_t sum = cksum_pseudo(nb_get32(ip + 12), nb_get32(ip + 16), proto, (uint16_t)l4len);
	uint16_t c = cksum_fold(cksum_partial(l4, l4len, sum));
	if (proto == 17 && c == 0)
		c = 0xffff; /* RFC 768: a computed zero is sent as all ones */
	nb_put16(l4 + off, c);
	return 0;
}
