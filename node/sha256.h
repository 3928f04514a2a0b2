/* sha256.h: SHA-256 (FIPS 180-4, section 6.2), incremental.
 *
 *   struct sha256 c; uint8_t d[SHA256_LEN];
 *   sha256_init(&c); sha256_update(&c, p, n); ...; sha256_final(&c, d);
 *
 * Apps hash every byte they send or receive so a run can compare what left
 * one host with what arrived at another.
 */
#ifndef NB_SHA256_H
#define NB_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA256_HEX_LEN 65   /* 64 hex digits and the NUL */

struct sha256 {
	uint32_t h[8];
	uint64_t bytes;         /* message length so far */
	uint8_t block[64];
	size_t fill;            /* bytes waiting in block */
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t len);
/* sha256_update2: sha256_update of a and of b with the same bytes; hashes
 * them once when a and b are in the same state (a sink's per-connection and
 * per-app digests of its only connection). */
void sha256_update2(struct sha256 *a, struct sha256 *b, const void *data, size_t len);
/* sha256_final: writes the digest; c must be re-initialised before reuse. */
void sha256_final(struct sha256 *c, uint8_t out[SHA256_LEN]);
/* sha256_peek: the digest of what was hashed so far, leaving c usable. */
void sha256_peek(const struct sha256 *c, uint8_t out[SHA256_LEN]);
/* sha256: one-shot digest of a buffer. */
void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);
/* Block functions: the x86 SHA extensions when the CPU has them (CPUID,
 * checked at first use), else portable C. Both give the same digests. */
enum sha256_impl { SHA256_IMPL_AUTO, SHA256_IMPL_PORTABLE, SHA256_IMPL_SHANI };
/* sha256_select: forces one (for tests and benchmarks); 0, or -ENOTSUP when
 * this CPU or build lacks it (the selection is then unchanged). */
int sha256_select(enum sha256_impl impl);
/* sha256_impl_name: "shani" or "portable", the one in use. */
const char *sha256_impl_name(void);
/* sha256_hex: lowercase hex of a digest into buf (65 bytes); returns buf. */
const char *sha256_hex(const uint8_t d[SHA256_LEN], char buf[SHA256_HEX_LEN]);

#endif
