/* test_node_timer.c: the stack's deadline heap: order, re-arming, cancel,
 * callbacks that arm timers, and the nb_rng determinism it is used with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "timer.h"

static int fired[64], nfired;
static void record(struct nb_timer *t, nb_time_t now)
{
	(void)now;
	fired[nfired++] = (int)(intptr_t)t->arg;
}

static void fires_in_deadline_order(void **state)
{
	(void)state;
	struct nb_timers ts;
	struct nb_timer t[8];
	nb_time_t when[8] = {50, 10, 40, 30, 20, 70, 60, 10};
	timers_init(&ts);
	nfired = 0;
	for (int i = 0; i < 8; i++) {
		timer_init(&t[i], record, (void *)(intptr_t)i);
		assert_int_equal(timer_arm(&ts, &t[i], when[i]), 0);
	}
	assert_true(timers_next(&ts) == 10);
	timer_cancel(&ts, &t[2]);           /* 40 goes */
	timer_arm(&ts, &t[5], 5);            /* 70 -> 5 */
	assert_false(timer_armed(&t[2]));
	assert_int_equal(timers_run(&ts, 30), 5); /* 5, 10, 10, 20, 30 */
	assert_int_equal(fired[0], 5);
	assert_true((fired[1] == 1 && fired[2] == 7) || (fired[1] == 7 && fired[2] == 1));
	assert_int_equal(fired[3], 4);
	assert_int_equal(fired[4], 3);
	assert_true(timers_next(&ts) == 50);
	assert_int_equal(timers_run(&ts, 1000), 2);
	assert_true(timers_next(&ts) == NB_TIME_NEVER);
	timers_free(&ts);
}

static struct nb_timers *g_ts;
static int rearms;
static void rearm_self(struct nb_timer *t, nb_time_t now)
{
	if (++rearms < 3)
		timer_arm(g_ts, t, now + 100);
}

static void callback_may_rearm(void **state)
{
	(void)state;
	struct nb_timers ts;
	struct nb_timer t;
	timers_init(&ts);
	g_ts = &ts;
	rearms = 0;
	timer_init(&t, rearm_self, NULL);
	timer_arm(&ts, &t, 100);
	assert_int_equal(timers_run(&ts, 150), 1);  /* callbacks see the run time: re-armed at 250 */
	assert_true(timers_next(&ts) == 250);
	assert_int_equal(timers_run(&ts, 1000), 1);  /* fires at 250, re-armed at 1100 */
	assert_true(timers_next(&ts) == 1100);
	assert_int_equal(timers_run(&ts, 2000), 1);  /* third firing: not re-armed */
	assert_int_equal(rearms, 3);
	assert_false(timer_armed(&t));
	timers_free(&ts);
}

static void many_random(void **state)
{
	(void)state;
	struct nb_timers ts;
	enum { N = 2000 };
	struct nb_timer *t = calloc(N, sizeof(*t));
	struct nb_rng rng;
	nb_rng_seed(&rng, 42);
	timers_init(&ts);
	for (int i = 0; i < N; i++) {
		timer_init(&t[i], record, NULL);
		timer_arm(&ts, &t[i], nb_rng_next(&rng) % 100000);
	}
	for (int i = 0; i < N; i += 3)
		timer_cancel(&ts, &t[i]);
	nb_time_t last = 0;
	while (timers_next(&ts) != NB_TIME_NEVER) {
		nb_time_t w = timers_next(&ts);
		assert_true(w >= last);
		last = w;
		nfired = 0;
		timers_run(&ts, w);
	}
	timers_free(&ts);
	free(t);
}

static void rng_is_deterministic(void **state)
{
	(void)state;
	struct nb_rng a, b, c;
	nb_rng_seed(&a, 7);
	nb_rng_seed(&b, 7);
	nb_rng_seed(&c, 8);
	int differ = 0;
	for (int i = 0; i < 100; i++) {
		uint64_t x = nb_rng_next(&a);
		assert_true(x == nb_rng_next(&b));
		differ += x != nb_rng_next(&c);
		double u = nb_rng_unit(&a);
		(void)nb_rng_unit(&b);
		assert_true(u >= 0.0 && u < 1.0);
	}
	assert_true(differ > 95);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fires_in_deadline_order),
		cmocka_unit_test(callback_may_rearm),
		cmocka_unit_test(many_random),
		cmocka_unit_test(rng_is_deterministic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
