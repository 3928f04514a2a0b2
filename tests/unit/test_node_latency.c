/* test_node_latency.c: the release-lateness histogram's quantiles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "latency.h"

static void quantiles(void **state)
{
	(void)state;
	struct latency *l = latency_new();
	assert_non_null(l);
	assert_true(latency_quantile(l, 0.5) == 0);
	/* 98 samples at 30 us, one at 80 us, one at 15 ms (beyond the span). */
	for (int i = 0; i < 98; i++)
		latency_add(l, 30500);
	latency_add(l, 80200);
	latency_add(l, 15000000);
	assert_true(l->n == 100);
	assert_true(latency_quantile(l, 0.5) == NB_US(31));    /* bucket [30,31) us */
	assert_true(latency_quantile(l, 0.98) == NB_US(81));   /* 99th sample */
	assert_true(latency_quantile(l, 0.995) == 15000000);   /* beyond: the max */
	assert_true(l->max == 15000000);
	latency_add(l, -5000);                                  /* early counts as 0 */
	assert_int_equal(l->bucket[0], 1);
	free(l);
}

static void edge_is_capped_by_max(void **state)
{
	(void)state;
	struct latency *l = latency_new();
	latency_add(l, 200);                  /* 0.2 us: bucket 0, edge 1 us */
	assert_true(latency_quantile(l, 0.99) == 200);
	free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(quantiles),
		cmocka_unit_test(edge_is_capped_by_max),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
