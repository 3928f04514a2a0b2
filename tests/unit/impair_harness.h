/* impair_harness.h: frames, a delivery trace and spec helpers shared by
 * the impairment engine's tests (test_node_impair*.c). */
#ifndef NB_IMPAIR_HARNESS_H
#define NB_IMPAIR_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cksum.h"
#include "impair.h"

#define ID_OFF 42                         /* 14 eth + 20 ip + 8 udp */

/* ---- frames ---------------------------------------------------------- */

/* make_udp: a len-byte frame (>= 46) 10.0.0.1:1000 -> 10.0.0.2:2000 with
 * valid checksums (UDP checksum off when udp_cksum is false) and id. */
static inline void make_udp(uint8_t *f, size_t len, uint32_t id, bool udp_cksum)
{
	memset(f, 0, len);
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	nb_put16(f + 12, 0x0800);
	uint8_t *ip = f + 14;
	uint16_t tot = (uint16_t)(len - 14);
	ip[0] = 0x45;
	nb_put16(ip + 2, tot);
	nb_put16(ip + 4, (uint16_t)id);
	ip[8] = 64;
	ip[9] = 17;
	nb_put32(ip + 12, 0x0a000001);
	nb_put32(ip + 16, 0x0a000002);
	nb_put16(ip + 10, cksum(ip, 20));
	uint8_t *u = ip + 20;
	nb_put16(u, 1000);
	nb_put16(u + 2, 2000);
	nb_put16(u + 4, (uint16_t)(tot - 20));
	nb_put32(f + ID_OFF, id);
	for (size_t i = ID_OFF + 4; i < len; i++)
		f[i] = (uint8_t)(i * 7 + id);
	if (udp_cksum) {
		uint32_t s = cksum_pseudo(0x0a000001, 0x0a000002, 17, (uint16_t)(tot - 20));
		uint16_t c = cksum_fold(cksum_partial(u, tot - 20, s));
		nb_put16(u + 6, c ? c : 0xffff);
	}
}

static inline bool ip_ok(const uint8_t *f) { return cksum(f + 14, 20) == 0; }

/* udp_ok: the UDP checksum verifies over a datagram of ulen bytes (taken from
 * the intact frame: a corrupted length field is the IP checksum's catch). */
static inline bool udp_ok(const uint8_t *f, uint16_t ulen)
{
	const uint8_t *ip = f + 14;
	uint32_t s = cksum_pseudo(nb_get32(ip + 12), nb_get32(ip + 16), 17, ulen);
	return cksum_fold(cksum_partial(ip + 20, ulen, s)) == 0;
}

/* ---- delivery trace -------------------------------------------------- */

struct rec {
	uint32_t id;
	uint32_t len;
	nb_time_t at;
	uint8_t head[64];
};

struct trace {
	struct rec *r;
	size_t n, cap;
};

static inline void on_deliver(void *ctx, const uint8_t *frame, size_t len, nb_time_t at)
{
	struct trace *t = ctx;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 1024;
		t->r = realloc(t->r, t->cap * sizeof(*t->r));
		assert_non_null(t->r);
	}
	struct rec *r = &t->r[t->n++];
	r->id = len >= ID_OFF + 4 ? nb_get32(frame + ID_OFF) : 0;
	r->len = (uint32_t)len;
	r->at = at;
	memset(r->head, 0, sizeof(r->head));
	memcpy(r->head, frame, len < sizeof(r->head) ? len : sizeof(r->head));
}

static inline void trace_free(struct trace *t) { free(t->r); memset(t, 0, sizeof(*t)); }

static inline void spec_of(struct impair_spec *s, const char *text)
{
	struct impair_err err;
	int rc = impair_spec_parse_str(text, s, &err);
	if (rc)
		print_error("spec '%s': %s\n", text, err.msg);
	assert_int_equal(rc, 0);
}

static inline void init_with(struct impair *imp, const char *text, uint64_t seed)
{
	struct impair_spec s;
	spec_of(&s, text);
	impair_init(imp, &s, seed);
}

/* offer_id: offers a 100-byte frame with this id at now. */
static inline void offer_id(struct impair *imp, uint32_t id, nb_time_t now)
{
	uint8_t f[100];
	make_udp(f, sizeof(f), id, true);
	assert_int_equal(impair_offer(imp, f, sizeof(f), now), 0);
}

static inline void drain(struct impair *imp, struct trace *t)
{
	impair_release(imp, NB_TIME_NEVER - 1, on_deliver, t);
	assert_int_equal(impair_next(imp), NB_TIME_NEVER);
}

/* within the binomial 99% interval (plus one for discreteness) */
static inline void assert_binomial(uint64_t k, uint64_t n, double p)
{
	double mean = (double)n * p, sd = sqrt((double)n * p * (1 - p));
	if (fabs((double)k - mean) > 2.576 * sd + 1)
		fail_msg("%llu of %llu: expected %.1f +- %.1f", (unsigned long long)k,
			 (unsigned long long)n, mean, 2.576 * sd);
}

#endif
