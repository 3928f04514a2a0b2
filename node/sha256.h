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
/* sha256_final: writes the digest; c must be re-initialised before reuse. */
void sha256_final(struct sha256 *c, uint8_t out[SHA256_LEN]);
/* sha256_peek: the digest of what was hashed so far, leaving c usable. */
void sha256_peek(const struct sha256 *c, uint8_t out[SHA256_LEN]);
/* sha256: one-shot digest of a buffer. */
void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);
/* sha256_hex: lowercase hex of a digest into buf (65 bytes); returns buf. */
const char *sha256_hex(const uint8_t d[SHA256_LEN], char buf[SHA256_HEX_LEN]);

#endif
