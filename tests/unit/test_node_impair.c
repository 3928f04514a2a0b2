/* test_node_impair.c: the link impairment engine, with a fake clock.
 *
 * Frames are valid Ethernet + IPv4 + UDP datagrams carrying a 32-bit id in
 * the payload, so a test can follow each frame through the engine. Rates
 * are checked against the binomial 99% interval (z = 2.576); seeds are
 * fixed, so every run makes the same decisions.
 */
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
static void make_udp(uint8_t *f, size_t len, uint32_t id, bool udp_cksum)
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

static bool ip_ok(const uint8_t *f) { return cksum(f + 14, 20) == 0; }

/* udp_ok: the UDP checksum verifies over a datagram of ulen bytes (taken from
 * the intact frame: a corrupted length field is the IP checksum's catch). */
static bool udp_ok(const uint8_t *f, uint16_t ulen)
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

static void on_deliver(void *ctx, const uint8_t *frame, size_t len, nb_time_t at)
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

static void trace_free(struct trace *t) { free(t->r); memset(t, 0, sizeof(*t)); }

static void spec_of(struct impair_spec *s, const char *text)
{
	struct impair_err err;
	int rc = impair_spec_parse_str(text, s, &err);
	if (rc)
		print_error("spec '%s': %s\n", text, err.msg);
	assert_int_equal(rc, 0);
}

static void init_with(struct impair *imp, const char *text, uint64_t seed)
{
	struct impair_spec s;
	spec_of(&s, text);
	impair_init(imp, &s, seed);
}

/* offer_id: offers a 100-byte frame with this id at now. */
static void offer_id(struct impair *imp, uint32_t id, nb_time_t now)
{
	uint8_t f[100];
	make_udp(f, sizeof(f), id, true);
	assert_int_equal(impair_offer(imp, f, sizeof(f), now), 0);
}

static void drain(struct impair *imp, struct trace *t)
{
	impair_release(imp, NB_TIME_NEVER - 1, on_deliver, t);
	assert_int_equal(impair_next(imp), NB_TIME_NEVER);
}

/* within the binomial 99% interval (plus one for discreteness) */
static void assert_binomial(uint64_t k, uint64_t n, double p)
{
	double mean = (double)n * p, sd = sqrt((double)n * p * (1 - p));
	if (fabs((double)k - mean) > 2.576 * sd + 1)
		fail_msg("%llu of %llu: expected %.1f +- %.1f", (unsigned long long)k,
			 (unsigned long long)n, mean, 2.576 * sd);
}

/* ---- tests ----------------------------------------------------------- */

static void test_passthrough(void **state)
{
	struct impair imp;
	struct trace t = {0};
	impair_init(&imp, NULL, 1);
	assert_true(impair_is_passthrough(&imp));
	assert_int_equal(impair_next(&imp), NB_TIME_NEVER);

	uint8_t f[60];
	make_udp(f, sizeof(f), 7, true);
	assert_int_equal(impair_offer(&imp, f, sizeof(f), NB_MS(3)), 0);
	assert_false(impair_is_passthrough(&imp));       /* a frame is in flight */
	assert_int_equal(impair_next(&imp), NB_MS(3));
	assert_int_equal(impair_release(&imp, NB_MS(3), on_deliver, &t), 1);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.r[0].at, NB_MS(3));
	assert_memory_equal(t.r[0].head, f, sizeof(f));
	assert_true(impair_is_passthrough(&imp));

	/* an empty text spec, or one setting everything to zero, is a no-op too */
	impair_free(&imp);
	init_with(&imp, "", 1);
	assert_true(impair_is_passthrough(&imp));
	impair_free(&imp);
	init_with(&imp, "delay 0 loss 0% duplicate 0% corrupt 0% rate unlimited", 1);
	assert_true(impair_is_passthrough(&imp));
	for (uint32_t i = 0; i < 1000; i++) {
		offer_id(&imp, i, NB_US(i));
		impair_release(&imp, NB_US(i), on_deliver, &t);
	}
	assert_int_equal(t.n, 1001);
	for (uint32_t i = 0; i < 1000; i++) {
		assert_int_equal(t.r[i + 1].id, i);
		assert_int_equal(t.r[i + 1].at, NB_US(i));
	}
	struct impair_stats st;
	impair_stats(&imp, &st);
	assert_int_equal(st.c.sent, 1000);
	assert_int_equal(st.c.delivered, 1000);
	assert_int_equal(st.c.delayed, 0);
	assert_int_equal(st.delay_max, 0);
	impair_free(&imp);
	trace_free(&t);
}

/* A spec field outside the groups named in `has` does not count. */
static void test_unset_groups_ignored(void **state)
{
	struct impair_spec s;
	impair_spec_init(&s);
	s.delay_ns = NB_MS(5);                 /* has lacks IMPAIR_HAS_DELAY */
	s.loss = 1.0;
	struct impair imp;
	impair_init(&imp, &s, 1);
	assert_true(impair_is_passthrough(&imp));
	struct trace t = {0};
	offer_id(&imp, 1, 0);
	assert_int_equal(impair_release(&imp, 0, on_deliver, &t), 1);
	impair_free(&imp);
	trace_free(&t);
}

static void test_exact_delay(void **state)
{
	struct impair imp;
	struct trace t = {0};
	init_with(&imp, "delay 5ms", 1);
	assert_false(impair_is_passthrough(&imp));
	offer_id(&imp, 1, NB_MS(1));
	offer_id(&imp, 2, NB_MS(1) + 1);
	offer_id(&imp, 3, NB_MS(2));
	assert_int_equal(impair_next(&imp), NB_MS(6));
	assert_int_equal(impair_release(&imp, NB_MS(6) - 1, on_deliver, &t), 0);
	assert_int_equal(impair_release(&imp, NB_MS(6), on_deliver, &t), 1);
	assert_int_equal(impair_next(&imp), NB_MS(6) + 1);
	assert_int_equal(impair_release(&imp, NB_MS(10), on_deliver, &t), 2);
	assert_int_equal(t.n, 3);
	assert_int_equal(t.r[0].at, NB_MS(6));
	assert_int_equal(t.r[1].at, NB_MS(6) + 1);
	assert_int_equal(t.r[2].at, NB_MS(7));
	for (int i = 0; i < 3; i++)
		assert_int_equal(t.r[i].id, (uint32_t)i + 1);

	/* equal release times leave in offer order */
	for (uint32_t i = 10; i < 20; i++)
		offer_id(&imp, i, NB_MS(20));
	drain(&imp, &t);
	for (uint32_t i = 0; i < 10; i++) {
		assert_int_equal(t.r[3 + i].id, 10 + i);
		assert_int_equal(t.r[3 + i].at, NB_MS(25));
	}
	struct impair_stats st;
	impair_stats(&imp, &st);
	assert_int_equal(st.delay_min, NB_MS(5));
	assert_int_equal(st.delay_max, NB_MS(5));
	assert_int_equal(st.delay_p50, NB_MS(5));
	assert_int_equal(st.delay_p99, NB_MS(5));
	assert_int_equal(st.c.delayed, 13);
	impair_free(&imp);
	trace_free(&t);
}

/* Uniform jitter: delays in [d-j, d+j], both ends reached, mean d. Frames
 * far enough apart that the no-reorder rule never bites. */
static void test_jitter_uniform_bounds(void **state)
{
	struct impair imp;
	struct trace t = {0};
	init_with(&imp, "delay 10ms jitter 2ms", 3);
	const int n = 20000;
	for (int i = 0; i < n; i++)
		offer_id(&imp, (uint32_t)i, NB_MS(5) * (nb_time_t)i);
	drain(&imp, &t);
	assert_int_equal(t.n, n);
	double sum = 0;
	nb_time_t lo = NB_TIME_NEVER, hi = 0;
	for (int i = 0; i < n; i++) {
		assert_int_equal(t.r[i].id, (uint32_t)i);
		nb_time_t d = t.r[i].at - NB_MS(5) * (nb_time_t)i;
		assert_in_range(d, NB_MS(8), NB_MS(12));
		lo = NB_MIN(lo, d);
		hi = NB_MAX(hi, d);
		sum += (double)d;
	}
	assert_true(lo < NB_MS(8) + NB_US(10));
	assert_true(hi > NB_MS(12) - NB_US(10));
	assert_true(fabs(sum / n - 1e7) < 2e4);          /* sd of mean ~8us */
	struct impair_stats st;
	impair_stats(&imp, &st);
	assert_true(llabs((long long)st.delay_p50 - (long long)NB_MS(10)) < (long long)NB_US(200));
	assert_true(st.delay_p99 > NB_US(11800) && st.delay_p99 <= NB_MS(12));
	impair_free(&imp);
	trace_free(&t);
}

/* Normal jitter: mean d, sd j, clipped to +-3j; with d = j to [0, 2d]. */
static void test_jitter_normal(void **state)
{
	struct impair imp;
	struct trace t = {0};
	init_with(&imp, "delay 10ms jitter 2ms dist normal", 4);
	const int n = 50000;
	for (int i = 0; i < n; i++)
		offer_id(&imp, (uint32_t)i, NB_MS(20) * (nb_time_t)i);
	drain(&imp, &t);
	double sum = 0, sq = 0;
	int beyond_1sd = 0;
	for (int i = 0; i < n; i++) {
		double d = (double)(t.r[i].at - NB_MS(20) * (nb_time_t)i);
		assert_true(d >= 4e6 && d <= 16e6);
		sum += d;
		sq += d * d;
		beyond_1sd += fabs(d - 1e7) > 2e6;
	}
	double mean = sum / n, sd = sqrt(sq / n - mean * mean);
	assert_true(fabs(mean - 1e7) < 3e4);
	assert_true(fabs(sd - 2e6) < 0.03 * 2e6);
	assert_binomial((uint64_t)beyond_1sd, (uint64_t)n, 0.3173);
	impair_free(&imp);
	trace_free(&t);

	init_with(&imp, "delay 1ms jitter 1ms dist normal", 5);
	for (int i = 0; i < 5000; i++)
		offer_id(&imp, (uint32_t)i, NB_MS(10) * (nb_time_t)i);
	drain(&imp, &t);
	for (int i = 0; i < 5000; i++)
		assert_in_range(t.r[i].at - NB_MS(10) * (nb_time_t)i, 0, NB_MS(2));
	impair_free(&imp);
	trace_free(&t);
}

/* Frames closer together than the jitter: never reordered unless reorder-ok,
 * and then reordered for real. */
static void test_jitter_no_reorder(void **state)
{
	const char *specs[] = { "delay 10ms jitter 5ms", "delay 10ms jitter 5ms dist normal" };
	for (size_t k = 0; k < 2; k++) {
		struct impair imp;
		struct trace t = {0};
		init_with(&imp, specs[k], 6);
		for (int i = 0; i < 10000; i++) {
			offer_id(&imp, (uint32_t)i, NB_US(100) * (nb_time_t)i);
			impair_release(&imp, NB_US(100) * (nb_time_t)i, on_deliver, &t);
		}
		drain(&imp, &t);
		assert_int_equal(t.n, 10000);
		for (int i = 0; i < 10000; i++) {
			assert_int_equal(t.r[i].id, (uint32_t)i);
			assert_true(t.r[i].at >= NB_US(100) * (nb_time_t)i + (k ? 0 : NB_MS(5)));
			if (i)
				assert_true(t.r[i].at >= t.r[i - 1].at);
		}
		impair_free(&imp);
		trace_free(&t);
	}

	struct impair imp;
	struct trace t = {0};
	init_with(&imp, "delay 10ms jitter 5ms reorder-ok", 6);
	for (int i = 0; i < 10000; i++)
		offer_id(&imp, (uint32_t)i, NB_US(100) * (nb_time_t)i);
	drain(&imp, &t);
	int inversions = 0;
	for (int i = 1; i < 10000; i++) {
		assert_true(t.r[i].at >= t.r[i - 1].at);   /* still released in time order */
		inversions += t.r[i].id < t.r[i - 1].id;
		nb_time_t d = t.r[i].at - NB_US(100) * t.r[i].id;
		assert_in_range(d, NB_MS(5), NB_MS(15));
	}
	assert_true(inversions > 1000);
	impair_free(&imp);
	trace_free(&t);
}

static void loss_rate_case(const char *text, double p, uint64_t seed)
{
	struct impair imp;
	struct trace t = {0};
	init_with(&imp, text, seed);
	const int n = 100000;
	for (int i = 0; i < n; i++) {
		offer_id(&imp, (uint32_t)i, NB_US(i));
		impair_release(&imp, NB_US(i), on_deliver, &t);
	}
	struct impair_stats st;
	impair_stats(&imp, &st);
	assert_int_equal(st.c.sent, n);
	assert_int_equal(st.c.dropped_loss + st.c.delivered, n);
	assert_int_equal(t.n, st.c.delivered);
	assert_binomial(st.c.dropped_loss, n, p);
	assert_true(fabs(st.loss_rate - (double)st.c.dropped_loss / n) < 1e-12);
	impair_free(&imp);
	trace_free(&t);
}

static void test_loss_rate(void **state)
{
	loss_rate_case("loss 1%", 0.01, 11);
	loss_rate_case("loss 5%", 0.05, 12);
	loss_rate_case("loss 50%", 0.50, 13);
	loss_rate_case("loss 0.1%", 0.001, 14);
	loss_rate_case("loss 100%", 1.0, 15);
}

/* Gilbert-Elliott, p = 1%, r = 25%, all lost in bad, none in good: losses come
 * in bursts of mean length 1/r = 4 and the loss rate is p/(p+r). */
static void test_gilbert_bursts(void **state)
{
	struct impair imp;
	struct trace t = {0};
	init_with(&imp, "loss gilbert 1% 25%", 21);
	const uint32_t n = 500000;
	uint32_t bursts = 0, lost = 0, run = 0;
	for (uint32_t i = 0; i < n; i++) {
		offer_id(&imp, i, NB_US(i));
		size_t before = t.n;
		impair_release(&imp, NB_US(i), on_deliver, &t);
		bool got = t.n > before;
		if (!got) {
			lost++;
			run++;
		} else if (run) {
			bursts++;
			run = 0;
		}
	}
	double mean_burst = (double)lost / bursts;
	assert_true(fabs(mean_burst - 4.0) < 0.2);      /* sd of the mean ~0.05 */
	double pi_bad = 0.01 / 0.26;
	assert_true(fabs((double)lost / n - pi_bad) < 0.004);
	struct impair_stats st;
	impair_stats(&imp, &st);
	assert_int_equal(st.c.dropped_loss, lost);
	impair_free(&imp);
	trace_free(&t);

	/* partial loss in both states: loss = pi_g (1-k) + pi_b (1-h) */
	init_with(&imp, "loss gilbert 5% 20% 60% 2%", 22);
	for (uint32_t i = 0; i < 200000; i++)
		offer_id(&imp, i, NB_US(i));
	impair_stats(&imp, &st);
	double pb = 0.05 / 0.25, want = (1 - pb) * 0.02 + pb * 0.60;
	assert_true(fabs(st.loss_rate - want) < 0.01);
	impair_free(&imp);
}

static void test_drop_list(void **state)
{
	struct impair imp;
	struct trace t = {0};
	init_with(&imp, "drop 1,3,5-7,100", 31);
	for (uint32_t i = 1; i <= 200; i++)
		offer_id(&imp, i, NB_US(i));
	drain(&imp, &t);
	assert_int_equal(t.n, 194);
	size_t k = 0;
	for (uint32_t i = 1; i <= 200; i++) {
		bool dropped = i == 1 || i == 3 || (i >= 5 && i <= 7) || i == 100;
		if (dropped)
			continue;
		assert_int_equal(t.r[k++].id, i);
	}
	struct impair_stats st;
	impair_stats(&imp, &st);
	assert_int_equal(st.c.dropped_list, 6);
	assert_int_equal(st.c.dropped_loss, 0);
	impair_free(&imp);
	trace_free(&t);

	/* with random loss too: the drop list changes no other frame's fate */
	struct trace a = {0}, b = {0};
	init_with(&imp, "loss 10% drop 50", 32);
	for (uint32_t i = 1; i <= 1000; i++)
		offer_id(&imp, i, NB_US(i));
	drain(&imp, &a);
	impair_free(&imp);
	init_with(&imp, "loss 10%", 32);
	for (uint32_t i = 1; i <= 1000; i++)
		offer_id(&imp, i, NB_US(i));
	drain(&imp, &b);
	impair_free(&imp);
	size_t ia = 0, ib = 0;
	while (ib < b.n) {
		if (b.r[ib].id == 50) {
			ib++;
			continue;
		}
		assert_true(ia < a.n);
		assert_int_equal(a.r[ia].id, b.r[ib].id);
		ia++, ib++;
	}
	assert_int_equal(ia, a.n);
	trace_free(&a);
	trace_free(&b);
}

static void test_duplicate(void **state)
{
	struct impair imp;
	struct trace t = {0};
	init_with(&imp, "duplicate 10%", 41);
	const uint32_t n = 100000;
	for (uint32_t i = 0; i < n; i++)
		offer_id(&imp, i, NB_US(i));
	drain(&imp, &t);
	struct impair_stats st;
	impair_stats(&imp, &st);
	assert_binomial(st.c.duplicated, n, 0.10);
	assert_int_equal(st.c.delivered, n + st.c.duplicated);
	assert_int_equal(t.n, st.c.delivered);
	/* a duplicate follows its original at once, with identical bytes */
	uint64_t dups = 0;
	for (size_t i = 1; i < t.n; i++) {
		assert_true(t.r[i].id == t.r[i - 1].id || t.r[i].id == t.r[i - 1].id + 1);
		if (t.r[i].id == t.r[i - 1].id) {
			dups++;
			assert_memory_equal(t.r[i].head, t.r[i - 1].head, sizeof(t.r[i].head));
			assert_int_equal(t.r[i].at, t.r[i - 1].at);
		}
	}
	assert_int_equal(dups, st.c.duplicated);
	impair_free(&imp);
	trace_free(&t);
}

/* "reorder P% gap N": a held frame arrives exactly N places late. */
static void test_reorder(void **state)
{
	const uint32_t gaps[] = { 1, 3 };
	for (size_t g = 0; g < NB_ARRAY_LEN(gaps); g++) {
		char text[64];
		snprintf(text, sizeof(text), "delay 2ms reorder 10%% gap %u", gaps[g]);
		struct impair imp;
		struct trace t = {0};
		init_with(&imp, text, 51 + g);
		const uint32_t n = 20000;
		for (uint32_t i = 0; i < n; i++) {
			offer_id(&imp, i, NB_US(100) * i);
			impair_release(&imp, NB_US(100) * i, on_deliver, &t);
		}
		drain(&imp, &t);
		assert_int_equal(t.n, n);
		struct impair_stats st;
		impair_stats(&imp, &st);
		assert_binomial(st.c.reordered, n, 0.10);
		/* late[i]: how many higher ids were delivered before id i */
		uint32_t *pos = calloc(n, sizeof(*pos));
		for (uint32_t k = 0; k < n; k++)
			pos[t.r[k].id] = k;
		uint64_t late = 0;
		for (uint32_t i = 0; i < n - 50; i++) {
			uint32_t higher_before = 0;
			for (uint32_t k = 0; k < pos[i]; k++)
				higher_before += t.r[k].id > i;
			if (higher_before) {
				late++;
				assert_int_equal(higher_before, gaps[g]);
			}
			if (i > 100 && pos[i] > i + 100)
				fail_msg("frame %u far out of place", i);
		}
		assert_true(late > 0);
		assert_true(llabs((long long)late - (long long)st.c.reordered) < 20);
		free(pos);
		impair_free(&imp);
		trace_free(&t);
	}
}

/* A held frame on a quiet link still leaves, IMPAIR_HOLD_MAX_NS late. */
static void test_reorder_quiet_link(void **state)
{
	struct impair imp;
	struct trace t = {0};
	init_with(&imp, "delay 1ms reorder 100% gap 5", 55);
	offer_id(&imp, 1, NB_MS(10));
	assert_int_equal(impair_next(&imp), NB_MS(11) + IMPAIR_HOLD_MAX_NS);
	assert_false(impair_is_passthrough(&imp));
	assert_int_equal(impair_release(&imp, NB_MS(11) + IMPAIR_HOLD_MAX_NS - 1, on_deliver, &t), 0);
	assert_int_equal(impair_release(&imp, NB_MS(11) + IMPAIR_HOLD_MAX_NS, on_deliver, &t), 1);
	assert_int_equal(t.r[0].at, NB_MS(11) + IMPAIR_HOLD_MAX_NS);
	impair_free(&imp);
	trace_free(&t);
}

/* assert_one_bit: f differs from orig in exactly one bit, past the Ethernet
 * header and within [lo, hi). */
static void assert_one_bit(const uint8_t *f, const uint8_t *orig, size_t len, size_t lo, size_t hi)
{
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t x = f[i] ^ orig[i];
		if (!x)
			continue;
		assert_true(i >= lo && i < hi);
		bits += __builtin_popcount(x);
	}
	assert_int_equal(bits, 1);
}

/* The checks made on each corrupted frame as it is delivered. */
struct chk {
	const uint8_t *orig;
	size_t len;
	bool udp_on;                  /* UDP checksum in use: the whole datagram may change */
	int n, ip_bad, udp_bad;
};

static void check_corrupt(void *ctx, const uint8_t *f, size_t len, nb_time_t at)
{
	struct chk *k = ctx;
	assert_int_equal(len, k->len);
	size_t ip_end = 14 + nb_get16(k->orig + 16);
	assert_one_bit(f, k->orig, len, 14, k->udp_on ? ip_end : 34);
	bool ipok = ip_ok(f), udpok = udp_ok(f, (uint16_t)(nb_get16(k->orig + 16) - 20));
	assert_false(ipok && udpok);             /* the receiver always notices */
	k->ip_bad += !ipok;
	k->udp_bad += ipok && !udpok;
	k->n++;
}

/* corrupt_run: offers n frames made by make_udp(len, cksum) padded to pad
 * bytes, checking each as it comes out. */
static void corrupt_run(struct impair *imp, struct chk *c, int n, size_t len, size_t pad, bool udp_on)
{
	uint8_t orig[400];
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < n; i++) {
		memset(orig, 0, sizeof(orig));
		make_udp(orig, len, (uint32_t)i, udp_on);
		assert_true(ip_ok(orig) && (!udp_on || udp_ok(orig, (uint16_t)(len - 34))));
		c->orig = orig;
		c->len = pad;
		c->udp_on = udp_on;
		assert_int_equal(impair_offer(imp, orig, pad, 0), 0);
		assert_int_equal(impair_release(imp, 0, check_corrupt, c), 1);
	}
	assert_int_equal(c->n, n);
}

static void test_corrupt(void **state)
{
	struct impair imp;
	struct chk c;
	init_with(&imp, "corrupt 100%", 61);

	corrupt_run(&imp, &c, 5000, 300, 300, true);
	/* the bit is uniform over the 286 covered bytes, 20 of them the IP header */
	assert_binomial((uint64_t)c.ip_bad, 5000, 20.0 / 286);
	assert_int_equal(c.ip_bad + c.udp_bad, 5000);

	/* UDP without a checksum: only the IP header may be touched */
	corrupt_run(&imp, &c, 2000, 300, 300, false);
	assert_int_equal(c.ip_bad, 2000);

	/* Ethernet padding past the IP datagram is never touched */
	corrupt_run(&imp, &c, 2000, 50, 60, true);

	/* ARP has no checksum: left alone, counted as skipped */
	uint8_t arp[60] = {0};
	memset(arp, 0xff, 6);
	nb_put16(arp + 12, 0x0806);
	struct impair_stats st;
	struct trace ta = {0};
	assert_int_equal(impair_offer(&imp, arp, sizeof(arp), 0), 0);
	impair_release(&imp, 0, on_deliver, &ta);
	assert_int_equal(ta.n, 1);
	assert_memory_equal(ta.r[0].head, arp, sizeof(arp));
	impair_stats(&imp, &st);
	assert_int_equal(st.c.corrupt_skipped, 1);
	assert_int_equal(st.c.corrupted, 9000);
	trace_free(&ta);
	impair_free(&imp);

	/* the rate */
	init_with(&imp, "corrupt 5%", 63);
	for (uint32_t i = 0; i < 50000; i++)
		offer_id(&imp, i, 0);
	impair_stats(&imp, &st);
	assert_binomial(st.c.corrupted, 50000, 0.05);
	impair_free(&imp);
}

/* Back-to-back frames leave L*8/rate apart, exactly, remainders carried. */
static void test_rate_spacing(void **state)
{
	struct impair imp;
	struct trace t = {0};
	init_with(&imp, "rate 10Mbit queue 2000 packets", 71);
	uint8_t f[1250];
	for (uint32_t i = 0; i < 1000; i++) {
		make_udp(f, sizeof(f), i, true);
		assert_int_equal(impair_offer(&imp, f, sizeof(f), 0), 0);
	}
	drain(&imp, &t);
	assert_int_equal(t.n, 1000);
	for (uint32_t i = 0; i < 1000; i++) {
		assert_int_equal(t.r[i].id, i);
		assert_int_equal(t.r[i].at, NB_MS(1) * (i + 1));   /* 10000 bits at 10 Mbit/s */
	}
	impair_free(&imp);
	trace_free(&t);

	/* 8000 bits at 3 Mbit/s = 2.666... ms: no drift over 1000 frames */
	init_with(&imp, "rate 3Mbit delay 10ms queue 5000 packets", 72);
	uint8_t g[1000];
	make_udp(g, sizeof(g), 0, true);
	for (uint32_t i = 0; i < 3000; i++)
		assert_int_equal(impair_offer(&imp, g, sizeof(g), NB_SEC(1)), 0);
	drain(&imp, &t);
	for (uint64_t i = 0; i < 3000; i++)
		assert_int_equal(t.r[i].at, NB_SEC(1) + NB_MS(10) + (i + 1) * 8000 * UINT64_C(1000000000) / 3000000);
	assert_int_equal(t.r[2999].at, NB_SEC(1) + NB_MS(10) + NB_SEC(8));
	impair_free(&imp);
	trace_free(&t);
}

/* Offered at 1.2x the link rate for a long time: the link stays busy, the
 * achieved rate is the configured one within 0.5%, the excess is tail-dropped. */
static void test_rate_achieved(void **state)
{
	struct impair imp;
	struct trace t = {0};
	init_with(&imp, "rate 50Mbit queue 100 packets delay 20ms", 73);
	const uint32_t n = 120000;
	const nb_time_t gap = (nb_time_t)(1500.0 * 8 / (50e6 * 1.2) * 1e9);   /* 200 us */
	uint8_t f[1500];
	make_udp(f, sizeof(f), 0, true);
	for (uint32_t i = 0; i < n; i++) {
		nb_time_t now = gap * i;
		assert_int_equal(impair_offer(&imp, f, sizeof(f), now), 0);
		impair_release(&imp, now, on_deliver, &t);
	}
	drain(&imp, &t);
	struct impair_stats st;
	impair_stats(&imp, &st);
	assert_true(fabs(st.rate_bps - 50e6) / 50e6 < 0.005);
	assert_int_equal(st.c.delivered + st.c.dropped_queue, n);
	assert_true(fabs((double)st.c.dropped_queue / n - 1.0 / 6) < 0.01);
	/* sojourn bounded by the queue: (100 waiting + 1 on the wire) * 240us + delay */
	assert_true(st.delay_max <= NB_MS(20) + 102 * NB_US(240));
	assert_true(st.delay_p99 >= NB_MS(20) + 95 * NB_US(240));
	impair_free(&imp);
	trace_free(&t);
}

static void test_queue_limit(void **state)
{
	struct impair imp;
	struct trace t = {0};
	uint8_t f[1000];
	init_with(&imp, "rate 1Mbit queue 10 packets", 81);
	for (uint32_t i = 0; i < 20; i++) {
		make_udp(f, sizeof(f), i, true);
		assert_int_equal(impair_offer(&imp, f, sizeof(f), 0), 0);
	}
	struct impair_stats st;
	impair_stats(&imp, &st);
	assert_int_equal(st.c.dropped_queue, 9);         /* 1 on the wire, 10 waiting */
	assert_int_equal(st.queued_frames, 11);
	/* after two frames' time (8 ms each) there is room for two more */
	make_udp(f, sizeof(f), 100, true);
	assert_int_equal(impair_offer(&imp, f, sizeof(f), NB_MS(16)), 0);
	assert_int_equal(impair_offer(&imp, f, sizeof(f), NB_MS(16)), 0);
	assert_int_equal(impair_offer(&imp, f, sizeof(f), NB_MS(16)), 0);
	impair_stats(&imp, &st);
	assert_int_equal(st.c.dropped_queue, 10);
	drain(&imp, &t);
	assert_int_equal(t.n, 13);
	for (uint32_t i = 0; i < 11; i++)
		assert_int_equal(t.r[i].id, i);
	assert_int_equal(t.r[12].at, NB_MS(8) * 13);
	impair_free(&imp);
	trace_free(&t);

	/* in bytes: 5000B holds five 1000-byte frames besides the one on the wire */
	init_with(&imp, "rate 1Mbit queue 5000B", 82);
	for (uint32_t i = 0; i < 20; i++)
		assert_int_equal(impair_offer(&imp, f, sizeof(f), 0), 0);
	impair_stats(&imp, &st);
	assert_int_equal(st.c.dropped_queue, 14);
	impair_free(&imp);

	/* the default limit */
	init_with(&imp, "rate 1Mbit", 83);
	for (uint32_t i = 0; i < IMPAIR_QUEUE_DEFAULT_PACKETS + 50; i++)
		assert_int_equal(impair_offer(&imp, f, 100, 0), 0);
	impair_stats(&imp, &st);
	assert_int_equal(st.c.dropped_queue, 49);
	impair_free(&imp);
}

/* The memory cap holds whatever the delay; drops are counted. */
static void test_memory_cap(void **state)
{
	struct impair imp;
	init_with(&imp, "delay 60s", 91);
	imp.mem_limit = 1 << 20;
	uint8_t f[1000];
	make_udp(f, sizeof(f), 0, true);
	for (uint32_t i = 0; i < 5000; i++)
		assert_int_equal(impair_offer(&imp, f, sizeof(f), NB_US(i)), 0);
	struct impair_stats st;
	impair_stats(&imp, &st);
	assert_true(st.queued_bytes <= imp.mem_limit);
	assert_true(imp.mem_bytes <= imp.mem_limit);
	assert_true(st.c.dropped_mem > 3900);
	assert_int_equal(st.c.dropped_mem + st.queued_frames, 5000);
	impair_free(&imp);
}

/* Changing the spec at run time: frames in flight keep their times. */
static void test_set_spec(void **state)
{
	struct impair imp;
	struct trace t = {0};
	struct impair_spec s, part;
	init_with(&imp, "delay 50ms", 101);
	offer_id(&imp, 1, 0);
	spec_of(&s, "delay 1ms");
	impair_set_spec(&imp, &s, NB_MS(10));
	offer_id(&imp, 2, NB_MS(10));
	offer_id(&imp, 3, NB_MS(60));
	drain(&imp, &t);
	assert_int_equal(t.n, 3);
	assert_int_equal(t.r[0].id, 1);
	assert_int_equal(t.r[0].at, NB_MS(50));
	assert_int_equal(t.r[1].id, 2);                  /* no overtaking ... */
	assert_int_equal(t.r[1].at, NB_MS(50));
	assert_int_equal(t.r[2].at, NB_MS(61));
	/* ... unless reordering is allowed */
	t.n = 0;
	spec_of(&s, "delay 50ms reorder-ok");
	impair_set_spec(&imp, &s, NB_MS(100));
	offer_id(&imp, 4, NB_MS(100));
	spec_of(&s, "delay 1ms reorder-ok");
	impair_set_spec(&imp, &s, NB_MS(110));
	offer_id(&imp, 5, NB_MS(110));
	drain(&imp, &t);
	assert_int_equal(t.r[0].id, 5);
	assert_int_equal(t.r[0].at, NB_MS(111));
	assert_int_equal(t.r[1].id, 4);
	assert_int_equal(t.r[1].at, NB_MS(150));

	/* a merged partial change: loss on, delay kept; drop numbers keep counting */
	t.n = 0;
	spec_of(&part, "loss 100%");
	impair_spec_merge(&s, &part);
	impair_set_spec(&imp, &s, NB_MS(200));
	offer_id(&imp, 6, NB_MS(200));                  /* packet 6 */
	drain(&imp, &t);
	assert_int_equal(t.n, 0);
	spec_of(&part, "loss 0% drop 8");
	impair_spec_merge(&s, &part);
	impair_set_spec(&imp, &s, NB_MS(300));
	offer_id(&imp, 7, NB_MS(300));
	offer_id(&imp, 8, NB_MS(300));
	offer_id(&imp, 9, NB_MS(300));
	drain(&imp, &t);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.r[0].id, 7);
	assert_int_equal(t.r[0].at, NB_MS(301));
	assert_int_equal(t.r[1].id, 9);

	/* rate change: the frame on the wire keeps its serialization */
	t.n = 0;
	spec_of(&s, "rate 1Mbit");
	impair_set_spec(&imp, &s, NB_SEC(1));
	uint8_t f[1000];
	make_udp(f, sizeof(f), 10, true);
	assert_int_equal(impair_offer(&imp, f, sizeof(f), NB_SEC(1)), 0);   /* 8 ms */
	spec_of(&s, "rate 8Mbit");
	impair_set_spec(&imp, &s, NB_SEC(1) + NB_MS(1));
	assert_int_equal(impair_offer(&imp, f, sizeof(f), NB_SEC(1) + NB_MS(1)), 0);   /* 1 ms */
	drain(&imp, &t);
	assert_int_equal(t.r[0].at, NB_SEC(1) + NB_MS(8));
	assert_int_equal(t.r[1].at, NB_SEC(1) + NB_MS(9));

	/* back to nothing: pass-through once the link is empty */
	impair_set_spec(&imp, NULL, NB_SEC(2));
	assert_true(impair_is_passthrough(&imp));
	impair_free(&imp);
	trace_free(&t);
}

/* The way a runtime `impair` command changes a link: merge into imp.spec.
 * A group that does nothing on its own (a queue without a rate) is kept. */
static void test_merge_into_current(void **state)
{
	struct impair imp;
	struct impair_spec s, part;
	init_with(&imp, "queue 3 packets", 121);
	assert_true(impair_is_passthrough(&imp));
	spec_of(&part, "rate 1Mbit");
	s = imp.spec;
	impair_spec_merge(&s, &part);
	impair_set_spec(&imp, &s, 0);
	assert_false(impair_is_passthrough(&imp));
	for (uint32_t i = 0; i < 10; i++)
		offer_id(&imp, i, 0);
	struct impair_stats st;
	impair_stats(&imp, &st);
	assert_int_equal(st.c.dropped_queue, 6);         /* 1 on the wire + 3 waiting */
	impair_free(&imp);

	/* a Gilbert chain that cannot enter the bad state is a no-op, even when
	 * the previous chain was left in it */
	init_with(&imp, "loss gilbert 100% 0%", 122);
	offer_id(&imp, 1, 0);
	assert_true(imp.ge_bad);
	spec_of(&s, "loss gilbert 0% 0%");
	impair_set_spec(&imp, &s, 0);
	assert_true(impair_is_passthrough(&imp));
	struct trace t = {0};
	offer_id(&imp, 2, 0);
	drain(&imp, &t);
	assert_int_equal(t.n, 1);
	impair_free(&imp);
	trace_free(&t);
}

static void run_full(uint64_t seed, struct trace *t)
{
	struct impair imp;
	init_with(&imp, "delay 5ms jitter 2ms loss 5% duplicate 5% reorder 5% gap 2 corrupt 5% "
		  "rate 100Mbit queue 50 packets", seed);
	uint8_t f[600];
	for (uint32_t i = 0; i < 20000; i++) {
		make_udp(f, 100 + i % 500, i, true);
		nb_time_t now = NB_US(20) * i;
		assert_int_equal(impair_offer(&imp, f, 100 + i % 500, now), 0);
		impair_release(&imp, now, on_deliver, t);
	}
	drain(&imp, t);
	impair_free(&imp);
}

static void test_determinism(void **state)
{
	struct trace a = {0}, b = {0}, c = {0};
	run_full(impair_seed(42, "client:eth0-server:eth0", 0), &a);
	run_full(impair_seed(42, "client:eth0-server:eth0", 0), &b);
	run_full(impair_seed(42, "client:eth0-server:eth0", 1), &c);
	assert_int_equal(a.n, b.n);
	for (size_t i = 0; i < a.n; i++) {
		assert_int_equal(a.r[i].id, b.r[i].id);
		assert_int_equal(a.r[i].at, b.r[i].at);
		assert_memory_equal(a.r[i].head, b.r[i].head, sizeof(a.r[i].head));
	}
	size_t same = 0, m = NB_MIN(a.n, c.n);
	for (size_t i = 0; i < m; i++)
		same += a.r[i].id == c.r[i].id && a.r[i].at == c.r[i].at;
	assert_true(a.n != c.n || same < m);
	assert_true(same < m / 2);

	assert_int_equal(impair_seed(1, "a", 0), impair_seed(1, "a", 0));
	assert_true(impair_seed(1, "a", 0) != impair_seed(1, "a", 1));
	assert_true(impair_seed(1, "a", 0) != impair_seed(1, "b", 0));
	assert_true(impair_seed(1, "a", 0) != impair_seed(2, "a", 0));
	trace_free(&a);
	trace_free(&b);
	trace_free(&c);
}

/* A callback that offers into the same engine: no livelock, frames wait for
 * the next call. */
struct loop_ctx { struct impair *imp; int n; };
static void loop_back(void *ctx, const uint8_t *frame, size_t len, nb_time_t at)
{
	struct loop_ctx *l = ctx;
	l->n++;
	assert_int_equal(impair_offer(l->imp, frame, len, at), 0);
}

static void test_reentrant_release(void **state)
{
	struct impair imp;
	impair_init(&imp, NULL, 1);
	struct loop_ctx l = { &imp, 0 };
	offer_id(&imp, 1, 0);
	offer_id(&imp, 2, 0);
	assert_int_equal(impair_release(&imp, 0, loop_back, &l), 2);
	assert_int_equal(impair_next(&imp), 0);
	assert_int_equal(impair_release(&imp, 0, loop_back, &l), 2);
	assert_int_equal(l.n, 4);
	impair_free(&imp);
}

/* Fidelity figures match what was delivered. */
static void test_stats(void **state)
{
	struct impair imp;
	struct trace t = {0};
	init_with(&imp, "delay 20ms jitter 5ms loss 2%", 111);
	uint8_t f[500];
	make_udp(f, sizeof(f), 0, true);
	for (uint32_t i = 0; i < 20000; i++)
		assert_int_equal(impair_offer(&imp, f, sizeof(f), NB_MS(12) * i), 0);
	struct impair_stats st;
	impair_stats(&imp, &st);
	assert_int_equal(st.queued_bytes, 500 * st.queued_frames);
	drain(&imp, &t);
	impair_stats(&imp, &st);
	assert_int_equal(st.queued_frames, 0);
	assert_int_equal(st.c.bytes_offered, 500 * 20000);
	assert_int_equal(st.c.bytes_delivered, 500 * st.c.delivered);
	assert_true(llabs((long long)st.delay_p50 - (long long)NB_MS(20)) < (long long)NB_US(400));
	assert_true(st.delay_p99 > NB_US(24700) && st.delay_p99 <= NB_MS(25));
	assert_true(llabs((long long)st.delay_mean - (long long)NB_MS(20)) < (long long)NB_US(100));
	assert_true(fabs(st.loss_rate - 0.02) < 0.003);
	/* nothing at all: zeros, no division by zero */
	impair_free(&imp);
	impair_init(&imp, NULL, 1);
	impair_stats(&imp, &st);
	assert_int_equal(st.c.sent, 0);
	assert_true(st.loss_rate == 0 && st.rate_bps == 0);
	impair_free(&imp);
	trace_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_passthrough),
		cmocka_unit_test(test_unset_groups_ignored),
		cmocka_unit_test(test_exact_delay),
		cmocka_unit_test(test_jitter_uniform_bounds),
		cmocka_unit_test(test_jitter_normal),
		cmocka_unit_test(test_jitter_no_reorder),
		cmocka_unit_test(test_loss_rate),
		cmocka_unit_test(test_gilbert_bursts),
		cmocka_unit_test(test_drop_list),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_reorder),
		cmocka_unit_test(test_reorder_quiet_link),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_rate_spacing),
		cmocka_unit_test(test_rate_achieved),
		cmocka_unit_test(test_queue_limit),
		cmocka_unit_test(test_memory_cap),
		cmocka_unit_test(test_set_spec),
		cmocka_unit_test(test_merge_into_current),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_reentrant_release),
		cmocka_unit_test(test_stats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
