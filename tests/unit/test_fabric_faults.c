/* test_fabric_faults.c: the kernel side of link faults against the real
 * kernel: tbf qdiscs (set, read back, replace, delete), the bridge port
 * groups of a partition (install, replace atomically, clear, nothing left),
 * and waiting for a cable put back to run.  Needs root (skips otherwise).
 * Everything it makes is named "nbf<pid>-..." and deleted by name in the
 * teardown, pass or fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "brfilter.h"
#include "link.h"
#include "netns.h"
#include "nl.h"
#include "qdisc.h"

#include "ns_fixture.h"

/* pair: namespaces "a" and "b" joined by a-eth0 <-> b-eth0, both up;
 * returns a's and b's sockets. */
static void pair(struct nbnl **na, struct nbnl **nb, int *fa, int *fb)
{
	OK(netns_create(nsname("a"), NULL, NETNS_NO_IPV6, err, sizeof(err)));
	OK(netns_create(nsname("b"), NULL, NETNS_NO_IPV6, err, sizeof(err)));
	*fa = netns_open(nsname("a"), err, sizeof(err));
	*fb = netns_open(nsname("b"), err, sizeof(err));
	assert_true(*fa >= 0 && *fb >= 0);
	OK(nbnl_open(na, *fa, err, sizeof(err)));
	OK(nbnl_open(nb, *fb, err, sizeof(err)));
	struct veth_end a = {"a-eth0", *fa, NULL, *na}, b = {"b-eth0", *fb, NULL, *nb};
	OK(link_veth_create(*na, &a, &b, 1500, LINK_UP, err, sizeof(err)));
}

static void unpair(struct nbnl *na, struct nbnl *nb, int fa, int fb)
{
	nbnl_close(na);
	nbnl_close(nb);
	close(fa);
	close(fb);
}

static void test_tbf(void **state)
{
	NEED_ROOT();
	struct nbnl *na, *nb;
	int fa, fb;
	pair(&na, &nb, &fa, &fb);
	struct qdisc_tbf q, got;
	assert_int_equal(qdisc_tbf_get(na, "a-eth0", 1500, &got, err, sizeof(err)), -ENOENT);

	q = (struct qdisc_tbf){.rate = 1250000, .burst = 1514, .limit = 65536};
	OK(qdisc_tbf_set(na, "a-eth0", &q, err, sizeof(err)));
	OK(qdisc_tbf_get(na, "a-eth0", 1500, &got, err, sizeof(err)));
	assert_int_equal(got.rate, 1250000);
	assert_int_equal(got.limit, 65536);
	assert_int_equal(got.burst, 1514);

	/* replaced in place; a rate beyond 32 bits travels as TCA_TBF_RATE64 */
	q = (struct qdisc_tbf){.rate = 5000000000ull, .burst = 5000000, .limit = 1 << 20};
	OK(qdisc_tbf_set(na, "a-eth0", &q, err, sizeof(err)));
	OK(qdisc_tbf_get(na, "a-eth0", 1500, &got, err, sizeof(err)));
	assert_int_equal(got.rate, 5000000000ull);
	assert_int_equal(got.limit, 1 << 20);

	/* the other end is untouched */
	assert_int_equal(qdisc_tbf_get(nb, "b-eth0", 1500, &got, err, sizeof(err)), -ENOENT);

	OK(qdisc_root_delete(na, "a-eth0", err, sizeof(err)));
	assert_int_equal(qdisc_tbf_get(na, "a-eth0", 1500, &got, err, sizeof(err)), -ENOENT);
	OK(qdisc_root_delete(na, "a-eth0", err, sizeof(err)));   /* nothing there: fine */

	/* failures say what and where */
	assert_int_equal(qdisc_tbf_set(na, "nosuch0", &q, err, sizeof(err)), -ENODEV);
	assert_non_null(strstr(err, "nosuch0"));
	q.rate = 0;
	assert_int_equal(qdisc_tbf_set(na, "a-eth0", &q, err, sizeof(err)), -EINVAL);
	unpair(na, nb, fa, fb);
}

static void test_brfilter(void **state)
{
	NEED_ROOT();
	OK(netns_create(nsname("sw"), NULL, NETNS_NO_IPV6, err, sizeof(err)));
	int fd = netns_open(nsname("sw"), err, sizeof(err));
	assert_true(fd >= 0);
	struct nbnl *nl;
	OK(nbnl_open(&nl, fd, err, sizeof(err)));
	OK(link_bridge_create(nl, "br0", LINK_UP, err, sizeof(err)));

	assert_int_equal(brfilter_present(fd, err, sizeof(err)), 0);
	OK(brfilter_clear(fd, err, sizeof(err)));               /* nothing to clear: fine */
	struct brfilter_port ports[3] = {{"p0", 0}, {"p1", 1}, {"p2", 1}};
	OK(brfilter_set(fd, ports, 3, err, sizeof(err)));
	assert_int_equal(brfilter_present(fd, err, sizeof(err)), 1);
	/* a new partition replaces the table in one transaction */
	ports[2].group = 0;
	OK(brfilter_set(fd, ports, 2, err, sizeof(err)));
	assert_int_equal(brfilter_present(fd, err, sizeof(err)), 1);
	OK(brfilter_set(fd, NULL, 0, err, sizeof(err)));
	assert_int_equal(brfilter_present(fd, err, sizeof(err)), 1);
	OK(brfilter_clear(fd, err, sizeof(err)));
	assert_int_equal(brfilter_present(fd, err, sizeof(err)), 0);

	/* a bad port is refused before anything is sent */
	struct brfilter_port bad = {"p0", -1};
	assert_int_equal(brfilter_set(fd, &bad, 1, err, sizeof(err)), -EINVAL);
	assert_int_equal(brfilter_present(fd, err, sizeof(err)), 0);
	nbnl_close(nl);
	close(fd);
}

static void test_wait_running(void **state)
{
	NEED_ROOT();
	struct nbnl *na, *nb;
	int fa, fb;
	pair(&na, &nb, &fa, &fb);
	for (int i = 0; i < 20; i++) {
		OK(link_set_up(na, "a-eth0", false, err, sizeof(err)));
		OK(link_set_up(nb, "b-eth0", false, err, sizeof(err)));
		OK(link_set_up(na, "a-eth0", true, err, sizeof(err)));
		OK(link_set_up(nb, "b-eth0", true, err, sizeof(err)));
		OK(link_wait_running(na, "a-eth0", 3000, err, sizeof(err)));
		OK(link_wait_running(nb, "b-eth0", 3000, err, sizeof(err)));
	}
	/* with the peer down there is no carrier: it never runs */
	OK(link_set_up(nb, "b-eth0", false, err, sizeof(err)));
	assert_int_equal(link_wait_running(na, "a-eth0", 50, err, sizeof(err)), -ETIMEDOUT);
	assert_non_null(strstr(err, "not running"));
	assert_int_equal(link_wait_running(na, "nosuch0", 50, err, sizeof(err)), -ENODEV);
	unpair(na, nb, fa, fb);
}

int main(void)
{
	snprintf(prefix, sizeof(prefix), "nbf%d-", (int)getpid());
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_tbf, cleanup),
		cmocka_unit_test_teardown(test_brfilter, cleanup),
		cmocka_unit_test_teardown(test_wait_running, cleanup),
	};
	return cmocka_run_group_tests(tests, NULL, cleanup);
}
