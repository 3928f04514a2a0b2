/* test_fabric_linkreport.c: reading a node's linkstats line and judging
 * link fidelity (loss interval, fixed delay, rate). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "linkreport.h"

static void parses_node_line(void **state)
{
	(void)state;
	struct link_figures f;
	const char *line = "{\"link\":3,\"dir\":1,\"if\":\"eth0\",\"at\":\"ingress\",\"spec\":\"delay 5ms loss 1%\","
			   "\"sent\":1000,\"delivered\":990,\"dropped_loss\":10,\"dropped_queue\":0,"
			   "\"dropped_list\":0,\"delay_min_ns\":5000000,\"delay_p50_ns\":5000000,"
			   "\"delay_p99_ns\":5000000,\"delay_max_ns\":5000000,\"loss_rate\":0.01,"
			   "\"rate_bps\":0,\"cfg_delay_ns\":5000000,\"cfg_jitter_ns\":0,\"cfg_loss\":0.01,"
			   "\"cfg_rate_bps\":0,\"late_p50_ns\":31000,\"late_p99_ns\":80000}";
	assert_true(link_figures_parse(line, &f));
	assert_int_equal(f.link, 3);
	assert_int_equal(f.dir, 1);
	assert_string_equal(f.where, "ingress");
	assert_string_equal(f.spec, "delay 5ms loss 1%");
	assert_int_equal(f.dropped_loss, 10);
	assert_int_equal(f.cfg_delay_ns, 5000000);
	assert_true(f.cfg_loss > 0.0099 && f.cfg_loss < 0.0101);
	assert_int_equal(f.late_p50_ns, 31000);
	assert_int_equal(f.late_p99_ns, 80000);
	assert_false(link_figures_parse("{\"sent\":3}", &f));
	assert_false(link_figures_parse("garbage", &f));
}

static void loss_interval(void **state)
{
	(void)state;
	struct link_figures f = {.cfg_loss = 0.05, .sent = 10000, .delivered = 9500};
	/* 99% half-width at n=10000, p=0.05: 2.576*0.00218 = 0.56% (+0.01%). */
	f.dropped_loss = 500;
	assert_int_equal(link_judge(&f).loss, FID_OK);
	f.dropped_loss = 555;
	assert_int_equal(link_judge(&f).loss, FID_OK);
	f.dropped_loss = 560;
	assert_int_equal(link_judge(&f).loss, FID_OFF);
	f.dropped_loss = 440;
	assert_int_equal(link_judge(&f).loss, FID_OFF);
	/* Frames dropped by the explicit list never met the loss draw. */
	f.dropped_list = 5000;
	f.dropped_loss = 250;
	assert_int_equal(link_judge(&f).loss, FID_OK);
	f.cfg_loss = 0;
	assert_int_equal(link_judge(&f).loss, FID_NA);
}

static void fixed_delay_and_rate(void **state)
{
	(void)state;
	struct link_figures f = {.cfg_delay_ns = 20000000, .delivered = 100, .delay_min_ns = 20000000,
				 .delay_max_ns = 20090000};
	assert_int_equal(link_judge(&f).delay, FID_OK);
	f.late_p99_ns = 9000;               /* the loop's floor counts too */
	assert_int_equal(link_judge(&f).delay, FID_OK);
	f.late_p99_ns = 20000;              /* 90 + 20 us > 100 us */
	assert_int_equal(link_judge(&f).delay, FID_OFF);
	f.late_p99_ns = 0;
	f.delay_max_ns = 20200000;          /* 200 us late: off */
	assert_int_equal(link_judge(&f).delay, FID_OFF);
	f.delay_max_ns = 20000000;
	f.delay_min_ns = 19000000;          /* early: off */
	assert_int_equal(link_judge(&f).delay, FID_OFF);
	f.cfg_jitter_ns = 1000000;          /* jitter: no fixed-delay verdict */
	assert_int_equal(link_judge(&f).delay, FID_NA);

	struct link_figures r = {.cfg_rate_bps = 10000000, .delivered = 1000, .rate_bps = 9850000,
				 .dropped_queue = 3};
	assert_int_equal(link_judge(&r).rate, FID_OK);
	r.rate_bps = 9700000;
	assert_int_equal(link_judge(&r).rate, FID_OFF);
	r.dropped_queue = 0;                /* the sender never filled the link */
	assert_int_equal(link_judge(&r).rate, FID_UNSATURATED);
	r.rate_bps = 10050000;
	assert_int_equal(link_judge(&r).rate, FID_OK);
	assert_string_equal(fidelity_name(FID_UNSATURATED), "not saturated");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_node_line),
		cmocka_unit_test(loss_interval),
		cmocka_unit_test(fixed_delay_and_rate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
