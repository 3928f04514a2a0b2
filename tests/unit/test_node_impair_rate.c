/* test_node_impair_rate.c: the impairment engine's rate limit, queue and
 * memory bounds, run-time spec changes, determinism and statistics. */
#include "impair_harness.h"

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
