/* test_node_impair.c: the link impairment engine, with a fake clock.
 *
 * Frames are valid Ethernet + IPv4 + UDP datagrams carrying a 32-bit id in
 * the payload, so a test can follow each frame through the engine. Rates
 * are checked against the binomial 99% interval (z = 2.576); seeds are
 * fixed, so every run makes the same decisions.
 */
#include "impair_harness.h"

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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
