/* test_node_route.c: routing table (longest prefix, default, down
 * interfaces, errors), the PMTU cache, and stack interface management. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

#include "fake_stack.h"
#include "route.h"

#define IP FAKE_IP

static void expect_route(struct fake_stack *fs, uint32_t dst, int ifidx, uint32_t nexthop)
{
	int i = -7;
	uint32_t nh = 0;
	assert_int_equal(route_lookup(&fs->s, dst, &i, &nh), 0);
	assert_int_equal(i, ifidx);
	assert_int_equal(nh, nexthop);
}

static void test_connected(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(2, 0);
	expect_route(fs, IP(10, 0, 0, 5), 0, IP(10, 0, 0, 5));
	expect_route(fs, IP(10, 0, 1, 200), 1, IP(10, 0, 1, 200));
	assert_int_equal(route_lookup(&fs->s, IP(8, 8, 8, 8), NULL, NULL), -ENETUNREACH);
	assert_int_equal(route_lookup(&fs->s, IP(10, 0, 2, 1), NULL, NULL), -ENETUNREACH);
	fake_stack_free(fs);
}

struct lens { int n; uint8_t len[8]; };

static void collect_len(void *arg, const struct nb_route *r)
{
	struct lens *l = arg;
	if (l->n < 8)
		l->len[l->n++] = r->prefix_len;
}

static void test_longest_prefix_and_default(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(2, 0);
	struct nb_stack *s = &fs->s;
	assert_int_equal(route_add(s, 0, 0, IP(10, 0, 0, 254), -1), 0);             /* default */
	assert_int_equal(route_add(s, IP(10, 9, 0, 0), 16, IP(10, 0, 0, 253), -1), 0);
	assert_int_equal(route_add(s, IP(10, 9, 1, 77), 24, IP(10, 0, 1, 254), -1), 0);  /* host bits ignored */
	assert_int_equal(route_add(s, IP(10, 9, 1, 5), 32, IP(10, 0, 0, 252), 0), 0);
	expect_route(fs, IP(8, 8, 8, 8), 0, IP(10, 0, 0, 254));
	expect_route(fs, IP(10, 9, 2, 1), 0, IP(10, 0, 0, 253));
	expect_route(fs, IP(10, 9, 1, 1), 1, IP(10, 0, 1, 254));
	expect_route(fs, IP(10, 9, 1, 5), 0, IP(10, 0, 0, 252));
	expect_route(fs, IP(10, 0, 1, 9), 1, IP(10, 0, 1, 9));     /* connected beats default */

	/* Dump order is lookup order: longest prefix first. */
	struct lens l = {0};
	route_foreach(s, collect_len, &l);
	assert_int_equal(l.n, 6);
	static const uint8_t want[] = {32, 24, 24, 24, 16, 0};
	assert_memory_equal(l.len, want, 6);

	assert_int_equal(route_del(s, IP(10, 9, 1, 0), 24), 0);
	expect_route(fs, IP(10, 9, 1, 1), 0, IP(10, 0, 0, 253));
	assert_int_equal(route_del(s, IP(10, 9, 1, 0), 24), -ESRCH);
	assert_int_equal(route_del(s, 0, 0), 0);
	assert_int_equal(route_lookup(s, IP(8, 8, 8, 8), NULL, NULL), -ENETUNREACH);
	fake_stack_free(fs);
}

static void test_down_interface(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(2, 0);
	struct nb_stack *s = &fs->s;
	/* Same prefix twice: the first added wins while its interface is up. */
	assert_int_equal(route_add(s, IP(172, 16, 0, 0), 12, IP(10, 0, 1, 254), -1), 0);
	assert_int_equal(route_add(s, IP(172, 16, 0, 0), 12, IP(10, 0, 0, 254), -1), 0);
	assert_int_equal(route_add(s, 0, 0, IP(10, 0, 1, 254), -1), 0);
	expect_route(fs, IP(172, 16, 5, 5), 1, IP(10, 0, 1, 254));
	stack_set_link(s, 1, false, fs->now);
	expect_route(fs, IP(172, 16, 5, 5), 0, IP(10, 0, 0, 254));
	assert_int_equal(route_lookup(s, IP(10, 0, 1, 9), NULL, NULL), -ENETUNREACH);
	assert_int_equal(route_lookup(s, IP(8, 8, 8, 8), NULL, NULL), -ENETUNREACH);
	assert_int_equal(ip_source_for(s, IP(8, 8, 8, 8)), 0);
	stack_set_link(s, 1, true, fs->now);
	expect_route(fs, IP(172, 16, 5, 5), 1, IP(10, 0, 1, 254));
	fake_stack_free(fs);
}

static void test_errors(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, 0);
	struct nb_stack *s = &fs->s;
	assert_int_equal(route_add(s, 0, 33, IP(10, 0, 0, 1), -1), -EINVAL);
	assert_int_equal(route_add(s, 0, 0, IP(10, 0, 0, 1), 3), -EINVAL);
	assert_int_equal(route_add(s, 0, 0, 0, -1), -EINVAL);          /* neither gw nor dev */
	assert_int_equal(route_add(s, 0, 0, IP(192, 168, 0, 1), -1), -ENETUNREACH);
	assert_int_equal(route_add(s, 0, 0, IP(192, 168, 0, 1), 0), 0);  /* on-link by fiat */
	assert_int_equal(route_add(s, 0, 0, IP(192, 168, 0, 1), 0), -EEXIST);
	assert_int_equal(route_add(s, IP(10, 0, 0, 0), 24, 0, 0), -EEXIST);  /* connected exists */
	assert_int_equal(route_add(s, IP(10, 7, 0, 0), 16, 0, 0), 0);    /* device route */
	expect_route(fs, IP(10, 7, 3, 3), 0, IP(10, 7, 3, 3));
	assert_int_equal(route_del(s, 0, 40), -EINVAL);
	fake_stack_free(fs);
}

static void test_pmtu_cache(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, 0);
	struct nb_stack *s = &fs->s;
	uint32_t d = IP(10, 0, 0, 2);
	assert_int_equal(ip_path_mtu(s, d), 1500);
	assert_int_equal(route_pmtu_update(s, d, 1400), 1400);
	assert_int_equal(ip_path_mtu(s, d), 1400);
	assert_int_equal(ip_path_mtu(s, IP(10, 0, 0, 3)), 1500);      /* per destination */
	assert_int_equal(route_pmtu_update(s, d, 1450), 0);            /* never raised */
	assert_int_equal(route_pmtu_update(s, d, 67), 0);              /* below 68: nonsense */
	assert_int_equal(route_pmtu_update(s, IP(8, 8, 8, 8), 1000), 0);   /* unroutable */
	assert_int_equal(route_pmtu_update(s, d, 1280), 1280);
	assert_int_equal(s->stats.ip_pmtu_lowered, 2);
	fake_advance(fs, NB_SEC(600) - 1);
	assert_int_equal(ip_path_mtu(s, d), 1280);
	fake_advance(fs, 1);                       /* RFC 1191 6.3: ages out */
	assert_int_equal(ip_path_mtu(s, d), 1500);
	assert_int_equal(ip_path_mtu(s, IP(8, 8, 8, 8)), 0);
	assert_int_equal(ip_path_mtu(s, FAKE_IP0), 1500);             /* ourselves */
	/* More destinations than slots: all accepted, the oldest recycled. */
	for (int i = 0; i < 100; i++)
		assert_int_equal(route_pmtu_update(s, IP(10, 0, 0, 100 + i), 1000 + i), 1000 + i);
	assert_int_equal(ip_path_mtu(s, IP(10, 0, 0, 199)), 1099);
	fake_stack_free(fs);
}

static void test_source_for(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(2, 0);
	struct nb_stack *s = &fs->s;
	assert_int_equal(ip_source_for(s, IP(10, 0, 1, 9)), FAKE_IP1);
	assert_int_equal(ip_source_for(s, IP(10, 0, 0, 9)), FAKE_IP0);
	assert_int_equal(ip_source_for(s, FAKE_IP1), FAKE_IP1);
	assert_int_equal(ip_source_for(s, IP(8, 8, 8, 8)), 0);
	assert_int_equal(route_add(s, 0, 0, IP(10, 0, 1, 254), -1), 0);
	assert_int_equal(ip_source_for(s, IP(8, 8, 8, 8)), FAKE_IP1);
	fake_stack_free(fs);
}

static void test_ifaces(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, 0);
	struct nb_stack *s = &fs->s;
	const uint8_t mac[6] = {2, 0, 0, 0, 9, 9};
	assert_int_equal(stack_add_iface(s, "eth0", mac, IP(10, 5, 0, 1), 24, 1500), -EEXIST);
	assert_int_equal(stack_add_iface(s, "", mac, IP(10, 5, 0, 1), 24, 1500), -EINVAL);
	assert_int_equal(stack_add_iface(s, "a-very-long-name-indeed", mac, 0, 0, 1500), -EINVAL);
	assert_int_equal(stack_add_iface(s, "x", mac, IP(10, 5, 0, 1), 33, 1500), -EINVAL);
	assert_int_equal(stack_add_iface(s, "x", mac, IP(10, 5, 0, 1), 24, 67), -EINVAL);
	assert_int_equal(stack_add_iface(s, "x", FAKE_BCAST_MAC, IP(10, 5, 0, 1), 24, 1500), -EINVAL);
	assert_int_equal(stack_add_iface(s, "x", mac, IP(127, 0, 0, 1), 8, 1500), -EINVAL);
	assert_int_equal(stack_add_iface(s, "x", mac, IP(10, 5, 0, 1), 24, 9000), 1);
	assert_int_equal(stack_iface_by_name(s, "x"), 1);
	assert_int_equal(stack_iface_by_name(s, "nope"), -1);
	assert_true(stack_is_local(s, IP(10, 5, 0, 1)));
	assert_false(stack_is_local(s, IP(10, 5, 0, 2)));
	assert_false(stack_is_local(s, 0));
	expect_route(fs, IP(10, 5, 0, 77), 1, IP(10, 5, 0, 77));
	assert_int_equal(stack_add_iface(s, "noaddr", (const uint8_t[6]){2, 0, 0, 0, 9, 8}, 0, 0, 1500), 2);
	char name[16];
	for (int i = 3; i < NB_IF_MAX; i++) {
		snprintf(name, sizeof name, "e%d", i & 31);
		assert_int_equal(stack_add_iface(s, name, mac, 0, 0, 1500), i);
	}
	assert_int_equal(stack_add_iface(s, "full", mac, 0, 0, 1500), -ENOSPC);
	fake_stack_free(fs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connected),
		cmocka_unit_test(test_longest_prefix_and_default),
		cmocka_unit_test(test_down_interface),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_pmtu_cache),
		cmocka_unit_test(test_source_for),
		cmocka_unit_test(test_ifaces),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
