/* test_node_params.c: stack parameters and the unit parsers the topology
 * file and the control channel share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "params.h"

static void times(void **state)
{
	(void)state;
	nb_time_t t;
	struct { const char *s; nb_time_t want; } ok[] = {
		{"0", 0}, {"5ns", 5}, {"40us", 40000}, {"250ms", 250000000}, {"2s", 2000000000},
		{"1.5s", 1500000000}, {"0.1ms", 100000}, {"2min", 120000000000ull},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(nb_parse_time(ok[i].s, &t), 0);
		assert_true(t == ok[i].want);
	}
	const char *bad[] = {"", "5", "-1s", "+1s", "1.5ns", "s", "5 s", "1e3ms", "0x10s", "inf", "5h", "nan"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(nb_parse_time(bad[i], &t), -1);
}

static void sizes(void **state)
{
	(void)state;
	uint64_t v;
	struct { const char *s; uint64_t want; } ok[] = {
		{"1500", 1500}, {"10B", 10}, {"64KiB", 65536}, {"1MiB", 1048576}, {"2GiB", 2147483648ull},
		{"1kB", 1000}, {"1.5MB", 1500000}, {"0.5KiB", 512},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(nb_parse_size(ok[i].s, &v), 0);
		assert_true(v == ok[i].want);
	}
	const char *bad[] = {"", "1.5", "0.3B", "1 MiB", "1mib", "-1", "MiB", "1TiB"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(nb_parse_size(bad[i], &v), -1);
}

static void set_and_check(void **state)
{
	(void)state;
	struct nb_params p;
	char err[160], line[128];
	params_defaults(&p);
	assert_true(p.tcp_msl == NB_SEC(30));
	assert_true(p.tcp_nagle == 1);
	assert_int_equal(params_set(&p, "tcp.msl", "2s", err, sizeof(err)), 0);
	assert_true(p.tcp_msl == NB_SEC(2));
	assert_int_equal(params_set(&p, "tcp.nagle", "off", err, sizeof(err)), 0);
	assert_true(p.tcp_nagle == 0);
	assert_int_equal(params_set(&p, "tcp.sndbuf", "64KiB", err, sizeof(err)), 0);
	assert_true(p.tcp_sndbuf == 65536);

	assert_int_equal(params_set(&p, "tcp.msll", "2s", err, sizeof(err)), -1);
	assert_string_equal(err, "unknown parameter 'tcp.msll'");
	assert_int_equal(params_set(&p, "tcp.msl", "2", err, sizeof(err)), -1);
	assert_string_equal(err, "tcp.msl wants a time such as 200ms or 2s, not '2'");
	assert_int_equal(params_set(&p, "ip.ttl", "300", err, sizeof(err)), -1);
	assert_string_equal(err, "ip.ttl must be between 1 and 255, not 300");
	assert_int_equal(params_set(&p, "ip.ttl", "64KiB", err, sizeof(err)), -1);
	assert_int_equal(params_set(&p, "tcp.nagle", "maybe", err, sizeof(err)), -1);
	assert_string_equal(err, "tcp.nagle wants on or off, not 'maybe'");
	assert_true(p.tcp_msl == NB_SEC(2)); /* failures change nothing */
	assert_int_equal(params_check("tcp.delack", "1s", err, sizeof(err)), -1);
	assert_string_equal(err, "tcp.delack must be between 0s and 500ms, not 1s");

	assert_int_equal(params_format(&p, 0, line, sizeof(line)), 0);
	assert_string_equal(line, "ip.ttl 64");
	int i = 0;
	while (params_format(&p, i, line, sizeof(line)) == 0 && strncmp(line, "tcp.msl ", 8))
		i++;
	assert_string_equal(line, "tcp.msl 2s");
	assert_int_equal(params_format(&p, 10000, line, sizeof(line)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(times),
		cmocka_unit_test(sizes),
		cmocka_unit_test(set_and_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
