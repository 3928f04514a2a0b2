/* pattern.c: the pattern stream's words in bulk (see pattern.h), eight at
 * a time with AVX-512 (64-bit multiplies in vector registers) when the CPU
 * has it, else one at a time. Both give the same bytes; the choice is made
 * once, by CPUID. */
#include "pattern.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define PATTERN_HAVE_AVX512 1
#endif

static void words_portable(uint8_t *dst, size_t n, uint64_t k, uint64_t seed)
{
	for (size_t i = 0; i < n; i++)
		pattern_put_word(dst + 8 * i, pattern_word(seed, k + i));
}

#ifdef PATTERN_HAVE_AVX512
/* words_avx512: pattern_word for k .. k+n-1, eight lanes per step; the
 * same mix as pattern_word, lane by lane. */
__attribute__((target("avx512f,avx512dq"))) static void words_avx512(uint8_t *dst, size_t n, uint64_t k,
									 uint64_t seed)
{
	const __m512i base = _mm512_set1_epi64((long long)(seed * PATTERN_SEED_MUL + UINT64_C(0x9e3779b97f4a7c15)));
	const __m512i m1 = _mm512_set1_epi64((long long)UINT64_C(0xbf58476d1ce4e5b9));
	const __m512i m2 = _mm512_set1_epi64((long long)UINT64_C(0x94d049bb133111eb));
	const __m512i eight = _mm512_set1_epi64(8);
	__m512i kv = _mm512_add_epi64(_mm512_set1_epi64((long long)k), _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7));
	size_t i = 0;
	for (; n - i >= 8; i += 8) {
		__m512i x = _mm512_add_epi64(base, kv);
		x = _mm512_mullo_epi64(_mm512_xor_si512(x, _mm512_srli_epi64(x, 30)), m1);
		x = _mm512_mullo_epi64(_mm512_xor_si512(x, _mm512_srli_epi64(x, 27)), m2);
		x = _mm512_xor_si512(x, _mm512_srli_epi64(x, 31));
		_mm512_storeu_si512((void *)(dst + 8 * i), x);   /* little-endian: byte order as defined */
		kv = _mm512_add_epi64(kv, eight);
	}
	words_portable(dst + 8 * i, n - i, k + i, seed);
}
#endif

static void words_first(uint8_t *dst, size_t n, uint64_t k, uint64_t seed);
static void (*words_impl)(uint8_t *, size_t, uint64_t, uint64_t) = words_first;

/* words_first: picks the implementation at the first call. */
static void words_first(uint8_t *dst, size_t n, uint64_t k, uint64_t seed)
{
	words_impl = words_portable;
#ifdef PATTERN_HAVE_AVX512
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq"))
		words_impl = words_avx512;
#endif
	words_impl(dst, n, k, seed);
}

void pattern_words(uint8_t *dst, size_t n, uint64_t k, uint64_t seed)
{
	words_impl(dst, n, k, seed);
}

int pattern_words_select(bool vector)
{
#ifdef PATTERN_HAVE_AVX512
	if (vector) {
		__builtin_cpu_init();
		if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512dq"))
			return -1;
		words_impl = words_avx512;
		return 0;
	}
#else
	if (vector)
		return -1;
#endif
	words_impl = words_portable;
	return 0;
}
