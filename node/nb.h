/* nb.h: small things every part of nestbed-node shares.
 *
 * Time: the core never reads a clock. Every entry point takes `now`, a
 * monotonic time in nanoseconds (nb_time_t) chosen by the caller: the event
 * loop passes CLOCK_MONOTONIC, unit tests pass a fake clock.
 *
 * Addresses: IPv4 addresses and ports are kept in HOST byte order inside the
 * core and converted only where bytes are read from or written to the wire,
 * with the nb_get / nb_put helpers below (which never do unaligned loads).
 */
#ifndef NB_H
#define NB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef uint64_t nb_time_t;
#define NB_TIME_NEVER UINT64_MAX
#define NB_US(x) ((nb_time_t)(x) * UINT64_C(1000))
#define NB_MS(x) ((nb_time_t)(x) * UINT64_C(1000000))
#define NB_SEC(x) ((nb_time_t)(x) * UINT64_C(1000000000))

#define NB_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define NB_MIN(a, b) ((a) < (b) ? (a) : (b))
#define NB_MAX(a, b) ((a) > (b) ? (a) : (b))

static inline uint16_t nb_get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t nb_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void nb_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void nb_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* nb_ip4_fmt: writes "a.b.c.d" for a host-order address into buf (>= 16 bytes). */
const char *nb_ip4_fmt(uint32_t addr, char buf[16]);
/* nb_ip4_parse: parses dotted quad; returns 0 and sets *addr (host order), or -1. */
int nb_ip4_parse(const char *s, uint32_t *addr);
/* nb_mac_fmt: "aa:bb:cc:dd:ee:ff" into buf (>= 18 bytes). */
const char *nb_mac_fmt(const uint8_t mac[6], char buf[18]);
/* nb_mac_parse: parses a colon-separated MAC; returns 0 or -1. */
int nb_mac_parse(const char *s, uint8_t mac[6]);

/* Deterministic PRNG (xoshiro256**-style, seeded by splitmix64): every
 * random choice in the node comes from one of these, seeded from the run. */
struct nb_rng { uint64_t s[4]; };
void nb_rng_seed(struct nb_rng *r, uint64_t seed);
uint64_t nb_rng_next(struct nb_rng *r);
/* nb_rng_unit: uniform double in [0, 1). */
double nb_rng_unit(struct nb_rng *r);
/* nb_hash64: mixes a 64-bit value (splitmix64 finaliser); for deriving seeds. */
uint64_t nb_hash64(uint64_t x);
/* nb_hash_str: FNV-1a of a NUL-terminated string (NULL hashes as ""). */
uint64_t nb_hash_str(const char *s);

#endif
