/* test_fabric_netlink.c: fabric/ netlink and namespace primitives against
 * the real kernel.  Needs root (skips otherwise).  Everything it makes is
 * named with the prefix "nbt<pid>-" and deleted by name in the teardown
 * functions, pass or fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/rtnetlink.h>

#include "addr.h"
#include "ethtool.h"
#include "link.h"
#include "netns.h"
#include "nl.h"

#include "ns_fixture.h"

static int count_one(const char *name, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static int open_ns(const char *name)
{
	int fd = netns_open(name, err, sizeof(err));
	if (fd < 0)
		fail_msg("%s", err);
	return fd;
}

static struct nbnl *nl_in(int fd)
{
	struct nbnl *nl;
	OK(nbnl_open(&nl, fd, err, sizeof(err)));
	return nl;
}

/* run_in: runs argv in namespace name, returns its exit status. */
static int run_in_flags(const char *name, char *const argv[], unsigned flags)
{
	pid_t pid;
	OK(netns_exec(name, argv, flags | NETNS_EXEC_PDEATHSIG, &pid, err, sizeof(err)));
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
static int run_in(const char *name, char *const argv[])
{
	return run_in_flags(name, argv, 0);
}

static const uint8_t mac_a[6] = { 0x02, 0x6e, 0x62, 0x00, 0x00, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0x6e, 0x62, 0x00, 0x00, 0x0b };

/* make_pair: namespaces "a" and "b" with a veth a-eth0 <-> b-eth0. */
static void make_pair(unsigned mtu)
{
	OK(netns_create(nsname("a"), "host-a", NETNS_NO_IPV6 | NETNS_LO_UP, err, sizeof(err)));
	OK(netns_create(nsname("b"), "host-b", NETNS_NO_IPV6, err, sizeof(err)));
	int fa = open_ns(nsname("a")), fb = open_ns(nsname("b"));
	struct nbnl *nl = nl_in(-1);
	struct veth_end a = { "a-eth0", fa, mac_a, NULL };
	struct veth_end b = { "b-eth0", fb, mac_b, NULL };
	OK(link_veth_create(nl, &a, &b, mtu, LINK_UP, err, sizeof(err)));
	nbnl_close(nl);
	close(fa);
	close(fb);
}

static void test_veth_pair(void **state)
{
	NEED_ROOT();
	make_pair(9000);
	int fa = open_ns(nsname("a")), fb = open_ns(nsname("b"));
	struct nbnl *na = nl_in(fa), *nb = nl_in(fb);
	struct link_info li;

	/* Each end lives in its namespace with name, MAC, MTU, up, carrier. */
	OK(link_get(na, "a-eth0", &li, err, sizeof(err)));
	assert_string_equal(li.kind, "veth");
	assert_int_equal(li.mtu, 9000);
	assert_memory_equal(li.mac, mac_a, 6);
	assert_true(li.flags & IFF_UP);
	assert_int_equal(li.carrier, 1);
	OK(link_get(nb, "b-eth0", &li, err, sizeof(err)));
	assert_string_equal(li.kind, "veth");
	assert_int_equal(li.mtu, 9000);
	assert_memory_equal(li.mac, mac_b, 6);
	assert_true(li.flags & IFF_UP);
	assert_int_equal(li.carrier, 1);
	assert_int_not_equal(li.link_netnsid, -1); /* its peer is elsewhere */

	/* ... and not in the other one. */
	assert_int_equal(link_get(na, "b-eth0", &li, err, sizeof(err)), -ENODEV);
	assert_int_equal(link_get(nb, "a-eth0", &li, err, sizeof(err)), -ENODEV);
	OK(link_get(na, "lo", &li, err, sizeof(err)));
	assert_true(li.flags & IFF_UP);
	OK(link_get(nb, "lo", &li, err, sizeof(err)));
	assert_false(li.flags & IFF_UP);

	/* IPv6 was off before the veth arrived; hostnames are per host. */
	char v[32];
	OK(sysctl_get(nsname("a"), "net/ipv6/conf/a-eth0/disable_ipv6", v, sizeof(v), err, sizeof(err)));
	assert_string_equal(v, "1");
	OK(sysctl_get(nsname("b"), "net.ipv6.conf.all.disable_ipv6", v, sizeof(v), err, sizeof(err)));
	assert_string_equal(v, "1");
	char *hn[] = { "/bin/sh", "-c", "test \"$(hostname)\" = host-a", NULL };
	assert_int_equal(run_in(nsname("a"), hn), 0);
	/* With NETNS_EXEC_SYSFS, /sys shows this namespace's devices. */
	char *sys[] = { "/bin/sh", "-c", "test -e /sys/class/net/a-eth0 && ! test -e /sys/class/net/b-eth0", NULL };
	assert_int_equal(run_in_flags(nsname("a"), sys, NETNS_EXEC_SYSFS), 0);

	/* MTU: both ends move together. */
	OK(link_veth_set_mtu(na, "a-eth0", nb, "b-eth0", 1500, err, sizeof(err)));
	OK(link_get(na, "a-eth0", &li, err, sizeof(err)));
	assert_int_equal(li.mtu, 1500);
	OK(link_get(nb, "b-eth0", &li, err, sizeof(err)));
	assert_int_equal(li.mtu, 1500);

	/* Link down fault: admin down on a, carrier lost on b; then back. */
	OK(link_set_up(na, "a-eth0", false, err, sizeof(err)));
	OK(link_get(na, "a-eth0", &li, err, sizeof(err)));
	assert_false(li.flags & IFF_UP);
	OK(link_get(nb, "b-eth0", &li, err, sizeof(err)));
	assert_int_equal(li.carrier, 0);
	OK(link_set_up(na, "a-eth0", true, err, sizeof(err)));
	OK(link_get(nb, "b-eth0", &li, err, sizeof(err)));
	assert_int_equal(li.carrier, 1);

	nbnl_close(na);
	nbnl_close(nb);
	close(fa);
	close(fb);
}

/* A dump of IPv4 routes in the main table, as "dst/len gw oif" lines. */
struct routes {
	char text[2048];
};
static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct routes *r = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_table != RT_TABLE_MAIN)
		return MNL_CB_OK;
	uint32_t dst = 0, gw = 0, oif = 0;
	const struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		if (mnl_attr_get_type(a) == RTA_DST)
			dst = ntohl(mnl_attr_get_u32(a));
		else if (mnl_attr_get_type(a) == RTA_GATEWAY)
			gw = ntohl(mnl_attr_get_u32(a));
		else if (mnl_attr_get_type(a) == RTA_OIF)
			oif = mnl_attr_get_u32(a);
	}
	size_t n = strlen(r->text);
	snprintf(r->text + n, sizeof(r->text) - n, "%08x/%u %08x %u\n", dst, rtm->rtm_dst_len, gw, oif);
	return MNL_CB_OK;
}

static void test_addr_route(void **state)
{
	NEED_ROOT();
	make_pair(1500);
	int fa = open_ns(nsname("a")), fb = open_ns(nsname("b"));
	struct nbnl *na = nl_in(fa), *nb = nl_in(fb);
	struct link_info li;
	OK(link_get(na, "a-eth0", &li, err, sizeof(err)));

	OK(addr_add4(na, "a-eth0", 0x0a090001, 24, err, sizeof(err)));
	OK(addr_add4(nb, "b-eth0", 0x0a090002, 24, err, sizeof(err)));
	assert_int_equal(addr_add4(na, "a-eth0", 0x0a090001, 24, err, sizeof(err)), -EEXIST);
	OK(route_add4(na, 0, 0, 0x0a0900fe, "a-eth0", err, sizeof(err)));        /* default */
	OK(route_add4(na, 0x0a0a0000, 16, 0x0a090002, NULL, err, sizeof(err))); /* static via */
	OK(route_add4(na, 0x0a0b0000, 24, 0, "a-eth0", err, sizeof(err)));       /* connected */
	assert_int_equal(route_add4(na, 0x0a0b0000, 24, 0, "a-eth0", err, sizeof(err)), -EEXIST);

	struct routes r = { "" };
	struct nlmsghdr *nlh = nbnl_msg(na, RTM_GETROUTE, NLM_F_DUMP, "route dump");
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	OK(nbnl_query(na, route_cb, &r, err, sizeof(err)));
	char want[64];
	snprintf(want, sizeof(want), "00000000/0 0a0900fe %d\n", li.ifindex);
	assert_non_null(strstr(r.text, want));
	snprintf(want, sizeof(want), "0a0a0000/16 0a090002 %d\n", li.ifindex);
	assert_non_null(strstr(r.text, want));
	snprintf(want, sizeof(want), "0a0b0000/24 00000000 %d\n", li.ifindex);
	assert_non_null(strstr(r.text, want));
	snprintf(want, sizeof(want), "0a090000/24 00000000 %d\n", li.ifindex); /* from the address */
	assert_non_null(strstr(r.text, want));

	OK(route_del4(na, 0x0a0a0000, 16, 0, NULL, err, sizeof(err)));
	assert_int_equal(route_del4(na, 0x0a0a0000, 16, 0, NULL, err, sizeof(err)), -ESRCH);

	/* Forwarding sysctl, in that namespace only. */
	char v[32];
	OK(sysctl_set(nsname("a"), "net.ipv4.ip_forward", "1", err, sizeof(err)));
	OK(sysctl_get(nsname("a"), "net.ipv4.ip_forward", v, sizeof(v), err, sizeof(err)));
	assert_string_equal(v, "1");
	OK(sysctl_get(nsname("b"), "net.ipv4.ip_forward", v, sizeof(v), err, sizeof(err)));
	assert_string_equal(v, "0");

	/* Traffic, with real programs. */
	if (access("/usr/bin/ping", X_OK) == 0 || access("/bin/ping", X_OK) == 0) {
		char *ping[] = { "/bin/sh", "-c", "ping -q -c 1 -W 2 10.9.0.2 >/dev/null", NULL };
		assert_int_equal(run_in(nsname("a"), ping), 0);
	}
	nbnl_close(na);
	nbnl_close(nb);
	close(fa);
	close(fb);
}

static void test_offloads(void **state)
{
	NEED_ROOT();
	make_pair(1500);
	int fa = open_ns(nsname("a"));
	struct ethtool_offloads o;
	OK(ethtool_offloads_get(fa, "a-eth0", &o, err, sizeof(err)));
	assert_true(o.tx_csum || o.tso || o.gso); /* a fresh veth offloads */
	OK(ethtool_offloads_off(fa, "a-eth0", err, sizeof(err)));
	OK(ethtool_offloads_get(fa, "a-eth0", &o, err, sizeof(err)));
	assert_false(o.tx_csum);
	assert_false(o.sg);
	assert_false(o.tso);
	assert_false(o.gso);
	assert_false(o.gro);
	assert_int_equal(ethtool_offloads_off(fa, "nosuchdev0", err, sizeof(err)), -ENODEV);
	close(fa);
}

static void test_bridge(void **state)
{
	NEED_ROOT();
	OK(netns_create(nsname("sw"), NULL, NETNS_NO_IPV6, err, sizeof(err)));
	int fs = open_ns(nsname("sw"));
	struct nbnl *ns = nl_in(fs), *root = nl_in(-1);
	OK(link_bridge_create(ns, "br0", LINK_UP, err, sizeof(err)));
	struct link_info br;
	OK(link_get(ns, "br0", &br, err, sizeof(err)));
	assert_string_equal(br.kind, "bridge");

	for (int i = 1; i <= 3; i++) {
		char host[16], port[16];
		snprintf(host, sizeof(host), "h%d", i);
		snprintf(port, sizeof(port), "p%d", i);
		OK(netns_create(nsname(host), host, NETNS_NO_IPV6, err, sizeof(err)));
		int fh = open_ns(nsname(host));
		struct veth_end h = { "eth0", fh, NULL, NULL };
		struct veth_end p = { port, fs, NULL, ns };
		nbnl_batch_begin(ns); /* the port's up and enslave: one send */
		OK(link_veth_create(root, &h, &p, 1500, LINK_UP, err, sizeof(err)));
		OK(link_enslave(ns, port, br.ifindex, LINK_UP, err, sizeof(err)));
		OK(nbnl_batch_end(ns, err, sizeof(err)));
		struct nbnl *nh = nl_in(fh);
		OK(addr_add4(nh, "eth0", 0x0a140000 + (uint32_t)i, 24, err, sizeof(err)));
		nbnl_close(nh);
		close(fh);
	}
	for (int i = 1; i <= 3; i++) {
		char port[16];
		snprintf(port, sizeof(port), "p%d", i);
		struct link_info li;
		OK(link_get(ns, port, &li, err, sizeof(err)));
		assert_int_equal(li.master, br.ifindex);
		assert_true(li.flags & IFF_UP);
		assert_int_equal(li.carrier, 1);
	}
	/* h1 reaches h3 through the switch. */
	if (access("/usr/bin/ping", X_OK) == 0 || access("/bin/ping", X_OK) == 0) {
		char *ping[] = { "/bin/sh", "-c", "ping -q -c 1 -W 2 10.20.0.3 >/dev/null", NULL };
		assert_int_equal(run_in(nsname("h1"), ping), 0);
	}
	/* A failure inside a batch comes back at batch end, labelled. */
	nbnl_batch_begin(ns);
	OK(link_enslave(ns, "p1", 0, 0, err, sizeof(err)));
	OK(link_enslave(ns, "nosuchport", br.ifindex, LINK_UP, err, sizeof(err)));
	assert_int_equal(nbnl_batch_end(ns, err, sizeof(err)), -ENODEV);
	assert_non_null(strstr(err, "enslave nosuchport"));
	struct link_info li;
	OK(link_get(ns, "p1", &li, err, sizeof(err)));
	assert_int_equal(li.master, 0);

	nbnl_close(ns);
	nbnl_close(root);
	close(fs);
}

static void test_errors(void **state)
{
	NEED_ROOT();
	make_pair(1500);
	int fa = open_ns(nsname("a")), fb = open_ns(nsname("b"));
	struct nbnl *root = nl_in(-1), *na = nl_in(fa);

	/* Unknown link kind: the kernel's reason, not "Unspecific failure". */
	int rc = link_add(na, "x0", "nbtnosuchkind", 0, 0, err, sizeof(err));
	print_message("unknown kind: %s\n", err);
	assert_true(rc < 0);
	assert_non_null(strstr(err, "nbtnosuchkind create x0: "));
	assert_non_null(strstr(err, "(kernel: "));
	assert_null(strstr(err, "Unspecific"));

	/* Duplicate name: EEXIST, named. */
	struct veth_end a = { "a-eth0", fa, NULL, NULL }, b = { "b-eth1", fb, NULL, NULL };
	rc = link_veth_create(root, &a, &b, 0, 0, err, sizeof(err));
	print_message("duplicate: %s\n", err);
	assert_int_equal(rc, -EEXIST);
	assert_non_null(strstr(err, "veth create a-eth0/b-eth1: File exists"));

	/* Over-long name: refused by the attribute policy, with its text. */
	struct veth_end l = { "this-name-is-far-too-long", fa, NULL, NULL };
	rc = link_veth_create(root, &l, &b, 0, 0, err, sizeof(err));
	print_message("long name: %s\n", err);
	assert_true(rc < 0);
	assert_non_null(strstr(err, "(kernel: "));

	/* MTU out of range on one end: the other end is put back. */
	rc = link_veth_set_mtu(na, "a-eth0", na, "nosuch0", 9000, err, sizeof(err));
	assert_int_equal(rc, -ENODEV);
	struct link_info li;
	OK(link_get(na, "a-eth0", &li, err, sizeof(err)));
	assert_int_equal(li.mtu, 1500);
	rc = link_set_mtu(na, "a-eth0", 70000, err, sizeof(err));
	print_message("mtu: %s\n", err);
	assert_true(rc < 0);
	assert_non_null(strstr(err, "(kernel: "));

	/* Namespaces: duplicate, bad name, exec of a missing program. */
	assert_int_equal(netns_create(nsname("a"), NULL, 0, err, sizeof(err)), -EEXIST);
	assert_int_equal(netns_create("../x", NULL, 0, err, sizeof(err)), -EINVAL);
	assert_int_equal(netns_open(nsname("nosuch"), err, sizeof(err)), -ENOENT);
	char *argv[] = { "/nonexistent/nbt-prog", NULL };
	pid_t pid;
	rc = netns_exec(nsname("a"), argv, 0, &pid, err, sizeof(err));
	print_message("exec: %s\n", err);
	assert_int_equal(rc, -ENOENT);
	assert_non_null(strstr(err, "exec /nonexistent/nbt-prog"));

	nbnl_close(root);
	nbnl_close(na);
	close(fa);
	close(fb);
}

/* Runs last: deletes by name and checks nothing with our prefix is left. */
static void test_delete_all(void **state)
{
	NEED_ROOT();
	/* The teardowns of the tests before deleted all they made, by name. */
	int n = 0;
	assert_int_equal(netns_list(prefix, count_one, &n, err, sizeof(err)), 0);

	OK(netns_create(nsname("d1"), NULL, 0, err, sizeof(err)));
	OK(netns_create(nsname("d2"), NULL, NETNS_NO_IPV6 | NETNS_LO_UP, err, sizeof(err)));
	assert_int_equal(netns_exists(nsname("d1")), 1);
	assert_int_equal(netns_list(prefix, count_one, &n, err, sizeof(err)), 2);
	assert_int_equal(n, 2);
	OK(netns_delete(nsname("d1"), err, sizeof(err)));
	assert_int_equal(netns_delete(nsname("d1"), err, sizeof(err)), -ENOENT);
	OK(netns_delete(nsname("d2"), err, sizeof(err)));
	n = 0;
	assert_int_equal(netns_list(prefix, count_one, &n, err, sizeof(err)), 0);
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, nsname("d2"));
	assert_int_not_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/%s", NETNS_UTS_DIR, nsname("d2"));
	assert_int_not_equal(access(path, F_OK), 0);
}

/* group_teardown: cleanup, then the check that nothing with the prefix
 * survived any test. */
static int group_teardown(void **state)
{
	cleanup(state);
	if (geteuid() != 0)
		return 0;
	int n = 0;
	char e[NBNL_ERRLEN];
	netns_list(prefix, count_one, &n, e, sizeof(e));
	if (n != 0) {
		fprintf(stderr, "leftover namespaces with prefix %s: %d\n", prefix, n);
		return -1;
	}
	return 0;
}

int main(void)
{
	snprintf(prefix, sizeof(prefix), "nbt%d-", (int)getpid());
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_veth_pair, cleanup),
		cmocka_unit_test_teardown(test_addr_route, cleanup),
		cmocka_unit_test_teardown(test_offloads, cleanup),
		cmocka_unit_test_teardown(test_bridge, cleanup),
		cmocka_unit_test_teardown(test_errors, cleanup),
		cmocka_unit_test_teardown(test_delete_all, cleanup),
	};
	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
