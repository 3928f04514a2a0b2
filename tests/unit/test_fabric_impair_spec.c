/* test_fabric_impair_spec.c: the impairment spec shared by the topology
 * file and the node: every keyword and unit, exact errors with the token
 * they point at, the canonical text round-trip, and merging. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impair_spec.h"
#include "nb.h"

static void spec(const char *text, struct impair_spec *s)
{
	struct impair_err err;
	if (impair_spec_parse_str(text, s, &err)) {
		print_error("'%s': %s (token %d)\n", text, err.msg, err.tok);
		fail();
	}
}

static void test_impair_keywords(void **state)
{
	(void)state;
	struct impair_spec s;
	spec("", &s);
	assert_int_equal(s.has, 0);
	assert_true(impair_spec_is_noop(&s));
	spec("delay 5ms jitter 1ms dist normal reorder-ok", &s);
	assert_int_equal(s.has, IMPAIR_HAS_DELAY);
	assert_int_equal(s.delay_ns, NB_MS(5));
	assert_int_equal(s.jitter_ns, NB_MS(1));
	assert_int_equal(s.jitter_dist, IMPAIR_DIST_NORMAL);
	assert_true(s.reorder_ok);
	spec("delay 1.5s", &s);
	assert_int_equal(s.delay_ns, NB_MS(1500));
	assert_int_equal(s.jitter_dist, IMPAIR_DIST_UNIFORM);
	assert_false(s.reorder_ok);
	spec("loss 0.25%", &s);
	assert_int_equal(s.has, IMPAIR_HAS_LOSS);
	assert_true(s.loss == 0.0025);
	assert_false(s.gilbert);
	spec("loss gilbert 1% 30%", &s);
	assert_true(s.gilbert);
	assert_true(s.ge.p == 0.01 && s.ge.r == 0.3 && s.ge.h == 0.0 && s.ge.k == 1.0);
	spec("loss gilbert 1% 30% 90% 0.5%", &s);
	assert_true(s.ge.h == 0.1 && s.ge.k == 0.995);
	spec("drop 7,3-5,3,10", &s);
	assert_int_equal(s.has, IMPAIR_HAS_DROP);
	assert_int_equal(s.drop_count, 5);
	uint64_t want[] = {3, 4, 5, 7, 10};
	assert_memory_equal(s.drop, want, sizeof want);
	spec("drop 1, 2", &s);
	assert_int_equal(s.drop_count, 2);
	spec("duplicate 2%", &s);
	assert_true(s.duplicate == 0.02);
	spec("reorder 25%", &s);
	assert_true(s.reorder == 0.25);
	assert_int_equal(s.reorder_gap, 1);
	spec("reorder 25% gap 5", &s);
	assert_int_equal(s.reorder_gap, 5);
	spec("corrupt 0.1%", &s);
	assert_true(s.corrupt == 0.001);
	static const struct { const char *t; uint64_t bps; } rates[] = {
		{"rate 9600bit", 9600}, {"rate 64Kbit", 64000}, {"rate 64kbit", 64000}, {"rate 10Mbit", 10000000},
		{"rate 1.5Gbit", 1500000000}, {"rate 100bps", 100}, {"rate 2Kbps", 2000}, {"rate 3Mbps", 3000000},
		{"rate 1Gbps", 1000000000}, {"rate unlimited", 0}};
	for (size_t i = 0; i < NB_ARRAY_LEN(rates); i++) {
		spec(rates[i].t, &s);
		assert_int_equal(s.has, IMPAIR_HAS_RATE);
		assert_int_equal(s.rate_bps, rates[i].bps);
	}
	spec("rate 1Mbit queue 64KiB", &s);
	assert_int_equal(s.queue_bytes, 65536);
	assert_int_equal(s.queue_packets, 0);
	spec("queue 100 packets", &s);
	assert_int_equal(s.has, IMPAIR_HAS_QUEUE);
	assert_int_equal(s.queue_packets, 100);
	spec("loss 0%", &s);
	assert_true(impair_spec_is_noop(&s));
}

static void test_impair_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int tok;
		const char *msg;
	} cases[] = {
		{"loss", 1, "'loss' wants a percentage such as 1% or 0.5%"},
		{"loss 5", 1, "'loss' wants a percentage such as 1% or 0.5%, not '5'"},
		{"loss -1%", 1, "'loss' wants a percentage such as 1% or 0.5%, not '-1%'"},
		{"loss 0.123456789%", 1, "'loss' wants a percentage such as 1% or 0.5%, not '0.123456789%'"},
		{"duplicate 100.1%", 1, "'duplicate' must be between 0% and 100%, not '100.1%'"},
		{"delay 61s", 1, "'delay' must be at most 60s, not '61s'"},
		{"delay 5ms jitter 1ms jitter 2ms", 4, "'jitter' given twice"},
		{"delay 5ms dist gauss", 3, "'dist' wants uniform or normal, not 'gauss'"},
		{"jitter 1ms", 0, "'jitter' belongs after 'delay' (as in 'delay 10ms jitter 2ms')"},
		{"loss 1% loss 2%", 2, "'loss' given twice"},
		{"dleay 5ms", 0, "unknown link option 'dleay'; did you mean 'delay'?"},
		{"mtu 1500", 0, "unknown link option 'mtu' (expected delay, loss, drop, duplicate, reorder, corrupt, rate or queue)"},
		{"drop 0", 1, "'drop' counts packets from 1, not 0"},
		{"drop 5-3", 1, "'drop' range 5-3 runs backwards"},
		{"drop 1-300", 1, "'drop' lists more than 256 packets"},
		{"drop x", 1, "'drop' wants packet numbers such as 3 or 3,5-7, not 'x'"},
		{"drop 1,", 2, "'drop' list ends with ','"},
		{"reorder 5% gap 0", 3, "'gap' wants a whole number of packets from 1 to 1000000, not '0'"},
		{"rate 0bit", 1, "'rate' must be above 0 (use 'rate unlimited' to lift a limit)"},
		{"rate 1.5bit", 1, "'rate' must be a whole number of bits per second, not '1.5bit'"},
		{"rate 2000Gbit", 1, "'rate' must be at most 1000Gbit, not '2000Gbit'"},
		{"queue 0", 1, "'queue' must be between 1B and 1GiB, not '0'"},
		{"queue many", 1, "'queue' wants a size such as 64KiB or a count such as '100 packets', not 'many'"},
		{"loss gilbert 1%", 3, "'gilbert' wants a percentage such as 1% or 0.5%"},
	};
	for (size_t i = 0; i < NB_ARRAY_LEN(cases); i++) {
		struct impair_spec s;
		struct impair_err err;
		assert_int_equal(impair_spec_parse_str(cases[i].text, &s, &err), -1);
		if (strcmp(err.msg, cases[i].msg) || err.tok != cases[i].tok) {
			print_error("'%s':\n  want %d %s\n  got  %d %s\n", cases[i].text, cases[i].tok, cases[i].msg,
				    err.tok, err.msg);
			fail();
		}
	}
	/* offsets point into the string */
	struct impair_spec s;
	struct impair_err err;
	assert_int_equal(impair_spec_parse_str("delay 5ms  loss 7", &s, &err), -1);
	assert_int_equal(err.off, 16);
	/* the token-list form */
	const char *tok[] = {"delay", "5ms", "loss", "1%"};
	assert_int_equal(impair_spec_parse(tok, 4, &s, &err), 0);
	assert_int_equal(s.has, IMPAIR_HAS_DELAY | IMPAIR_HAS_LOSS);
}

static void test_impair_roundtrip(void **state)
{
	(void)state;
	static const struct {
		const char *in, *canon;
	} cases[] = {
		{"", ""},
		{"loss 1% delay 5ms jitter 1ms", "delay 5ms jitter 1ms loss 1%"},
		{"delay 1500ms dist uniform", "delay 1500ms"},
		{"delay 2s jitter 250us dist normal reorder-ok", "delay 2s jitter 250us dist normal reorder-ok"},
		{"loss 0.0000001%", "loss 0.0000001%"},
		{"loss 33.3333333%", "loss 33.3333333%"},
		{"loss 100%", "loss 100%"},
		{"loss gilbert 1% 30%", "loss gilbert 1% 30% 100% 0%"},
		{"loss gilbert 0.1% 2.5% 70.7% 0.01%", "loss gilbert 0.1% 2.5% 70.7% 0.01%"},
		{"drop 9,1,2,3,5,6", "drop 1-3,5,6,9"},
		{"duplicate 1% reorder 2% gap 3 corrupt 0.5%", "duplicate 1% reorder 2% gap 3 corrupt 0.5%"},
		{"queue 1500 rate 1.5Mbit", "rate 1500Kbit queue 1500B"},
		{"rate 12345bit queue 2MiB", "rate 12345bit queue 2MiB"},
		{"rate 10Gbps queue 10 packets", "rate 10Gbit queue 10 packets"},
		{"rate unlimited", "rate unlimited"},
	};
	for (size_t i = 0; i < NB_ARRAY_LEN(cases); i++) {
		struct impair_spec a, b;
		char buf[IMPAIR_SPEC_TEXT_MAX];
		spec(cases[i].in, &a);
		int n = impair_spec_format(&a, buf, sizeof buf);
		assert_int_equal(n, (int)strlen(buf));
		assert_string_equal(buf, cases[i].canon);
		spec(buf, &b);
		assert_true(impair_spec_equal(&a, &b));
	}
	/* the longest text fits IMPAIR_SPEC_TEXT_MAX; a short buffer is cut but terminated */
	struct impair_spec a, b;
	char big[IMPAIR_SPEC_TEXT_MAX] = "drop ", buf[IMPAIR_SPEC_TEXT_MAX], tiny[8];
	for (int i = 0; i < 256; i++)
		snprintf(big + strlen(big), sizeof big - strlen(big), "%s%llu", i ? "," : "",
			 1000000000000000000ull - 2ull * (unsigned)i);
	spec(big, &a);
	assert_int_equal(a.drop_count, 256);
	int n = impair_spec_format(&a, buf, sizeof buf);
	assert_true(n > 0 && n < IMPAIR_SPEC_TEXT_MAX);
	spec(buf, &b);
	assert_true(impair_spec_equal(&a, &b));
	assert_int_equal(impair_spec_format(&a, tiny, sizeof tiny), n);
	assert_string_equal(tiny, "drop 99");
}

static void test_impair_merge(void **state)
{
	(void)state;
	struct impair_spec cur, set;
	spec("delay 10ms jitter 2ms loss gilbert 1% 20% rate 1Mbit", &cur);
	spec("loss 0%", &set);
	impair_spec_merge(&cur, &set);
	assert_int_equal(cur.has, IMPAIR_HAS_DELAY | IMPAIR_HAS_LOSS | IMPAIR_HAS_RATE);
	assert_false(cur.gilbert);
	assert_true(cur.loss == 0);
	assert_int_equal(cur.delay_ns, NB_MS(10));
	assert_int_equal(cur.jitter_ns, NB_MS(2));
	assert_int_equal(cur.rate_bps, 1000000);
	assert_false(impair_spec_is_noop(&cur));
	spec("delay 0 rate unlimited", &set);
	impair_spec_merge(&cur, &set);
	assert_true(impair_spec_is_noop(&cur));
	assert_false(impair_spec_equal(&cur, &set));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_impair_keywords),
		cmocka_unit_test(test_impair_errors),
		cmocka_unit_test(test_impair_roundtrip),
		cmocka_unit_test(test_impair_merge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
