/* test_fabric_partition.c: the pure parts of links and faults, no
 * namespaces needed: which cables a partition cuts and which switch ports
 * land in which group (part_plan), the nfnetlink batch that enforces the
 * groups on a bridge (brfilter_build), and how a link's rate and queue
 * become a tbf (qdisc_tbf_from_spec). */
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

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "brfilter.h"
#include "impair_spec.h"
#include "partition.h"
#include "qdisc.h"
#include "topo.h"

/* Hosts 0..6 = a b c k m x y; links in file order:
 *   0 a:eth0-lan  1 b:eth0-lan  2 c:eth0-lan  3 k:eth0-lan
 *   4 a:eth1-b:eth1 (cable)     5 k:eth1-m:eth0 (cable)
 *   6 x:eth0-lan2 7 y:eth0-lan2 */
static const char lab_text[] =
	"lab t\n"
	"host a\n  eth0 10.0.0.1/24\n  eth1 10.0.1.1/24\n"
	"host b\n  eth0 10.0.0.2/24\n  eth1 10.0.1.2/24\n"
	"host c\n  eth0 10.0.0.3/24\n"
	"host k kernel\n  eth0 10.0.0.4/24\n  eth1 10.0.2.1/24\n"
	"host m kernel\n  eth0 10.0.2.2/24\n"
	"host x\n  eth0 10.0.3.1/24\n"
	"host y kernel\n  eth0 10.0.3.2/24\n"
	"switch lan\n"
	"switch lan2\n"
	"link a:eth0 lan\nlink b:eth0 lan\nlink c:eth0 lan\nlink k:eth0 lan\n"
	"link a:eth1 b:eth1\nlink k:eth1 m:eth0\n"
	"link x:eth0 lan2\nlink y:eth0 lan2\n";

enum { A, B, C, K, M, X, Y, NHOSTS };

static int setup(void **state)
{
	struct topo *t = NULL;
	FILE *devnull = fopen("/dev/null", "w");
	int rc = topo_parse_string("t.topo", lab_text, strlen(lab_text), &t, devnull);
	fclose(devnull);
	if (rc != 0 || !t || t->n_hosts != NHOSTS || t->n_links != 8 || t->n_switches != 2)
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	topo_free(*state);
	return 0;
}

/* groups: a group array for the lab from "host=group" pairs, the rest -1. */
static void groups(int *g, const char *spec)
{
	for (int i = 0; i < NHOSTS; i++)
		g[i] = -1;
	for (const char *p = spec; *p; p++)
		if (p[1] == '=') {
			g[strchr("abckmxy", p[0]) - "abckmxy"] = p[2] - '0';
			p += 2;
		}
}

static void test_cut_between_groups(void **state)
{
	const struct topo *t = *state;
	int g[NHOSTS];
	struct part_plan p;
	groups(g, "a=0 b=1 c=1");                 /* partition a | b c */
	assert_int_equal(part_plan_make(t, g, &p), 0);
	assert_true(p.cut[4]);                    /* a-b: different groups */
	assert_false(p.cut[5]);                   /* k-m: neither named */
	for (int i = 0; i < 4; i++)
		assert_false(p.cut[i]);               /* switch links are never cut */
	assert_int_equal(p.port_group[0], 0);
	assert_int_equal(p.port_group[1], 1);
	assert_int_equal(p.port_group[2], 1);
	assert_int_equal(p.port_group[3], -1);    /* k: not named */
	assert_int_equal(p.port_group[4], -1);    /* cables have no port */
	assert_true(p.filter[0]);                 /* lan: groups 0 and 1 meet */
	assert_false(p.filter[1]);                /* lan2: nobody named */
	assert_int_equal(p.n_ports[0], 3);
	assert_int_equal(p.n_ports[1], 0);

	struct brfilter_port ports[8];
	assert_int_equal(part_switch_ports(t, &p, 0, ports, 8), 3);
	assert_string_equal(ports[0].name, "p0");
	assert_int_equal(ports[0].group, 0);
	assert_string_equal(ports[1].name, "p1");
	assert_int_equal(ports[1].group, 1);
	assert_string_equal(ports[2].name, "p2");
	assert_int_equal(ports[2].group, 1);
	/* max bounds what is written, not what is counted */
	assert_int_equal(part_switch_ports(t, &p, 0, ports, 1), 3);
	assert_int_equal(part_switch_ports(t, &p, 1, ports, 8), 0);
	part_plan_free(&p);
}

static void test_same_group_not_cut(void **state)
{
	const struct topo *t = *state;
	int g[NHOSTS];
	struct part_plan p;
	groups(g, "a=0 b=0 c=1");                 /* partition a b | c */
	assert_int_equal(part_plan_make(t, g, &p), 0);
	assert_false(p.cut[4]);
	assert_true(p.filter[0]);
	part_plan_free(&p);
}

static void test_one_group_on_switch_not_filtered(void **state)
{
	const struct topo *t = *state;
	int g[NHOSTS];
	struct part_plan p;
	groups(g, "a=0 k=0 m=1");                 /* partition a k | m */
	assert_int_equal(part_plan_make(t, g, &p), 0);
	assert_true(p.cut[5]);                    /* k-m cut */
	assert_false(p.cut[4]);                   /* b not named */
	assert_false(p.filter[0]);                /* on lan only group 0 (and b, c unnamed) */
	assert_int_equal(p.n_ports[0], 0);
	part_plan_free(&p);

	groups(g, "x=0 y=1");                     /* partition x | y: only lan2 */
	assert_int_equal(part_plan_make(t, g, &p), 0);
	assert_false(p.filter[0]);
	assert_true(p.filter[1]);
	assert_int_equal(p.n_ports[1], 2);
	for (int i = 0; i < 8; i++)
		assert_false(p.cut[i]);
	part_plan_free(&p);
}

static void test_heal_plan_is_empty(void **state)
{
	const struct topo *t = *state;
	struct part_plan p;
	assert_int_equal(part_plan_make(t, NULL, &p), 0);
	for (int i = 0; i < t->n_links; i++) {
		assert_false(p.cut[i]);
		assert_int_equal(p.port_group[i], -1);
	}
	for (int s = 0; s < t->n_switches; s++)
		assert_false(p.filter[s]);
	part_plan_free(&p);
	part_plan_free(&p);                       /* twice is harmless */
}

/* msgs: splits a batch into its messages. */
static int msgs(const char *buf, long len, const struct nlmsghdr **out, int max)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int left = (int)len, n = 0;
	for (; mnl_nlmsg_ok(nlh, left) && n < max; nlh = mnl_nlmsg_next(nlh, &left))
		out[n++] = nlh;
	assert_int_equal(left, 0);
	return n;
}

static uint16_t nft(uint16_t m) { return (uint16_t)(NFNL_SUBSYS_NFTABLES << 8 | m); }

static bool contains(const struct nlmsghdr *nlh, const void *needle, size_t len)
{
	return memmem(nlh, nlh->nlmsg_len, needle, len) != NULL;
}

static void test_brfilter_batch(void **state)
{
	struct brfilter_port ports[2] = {{"p0", 0}, {"p3", 1}};
	size_t cap = brfilter_batch_size(2);
	char *buf = malloc(cap);
	unsigned last = 0;
	long len = brfilter_build(buf, cap, ports, 2, 100, &last);
	assert_true(len > 0);
	const struct nlmsghdr *m[16];
	int n = msgs(buf, len, m, 16);
	assert_int_equal(n, 10);
	uint16_t want[] = {NFNL_MSG_BATCH_BEGIN, nft(NFT_MSG_NEWTABLE), nft(NFT_MSG_DELTABLE),
			   nft(NFT_MSG_NEWTABLE), nft(NFT_MSG_NEWCHAIN), nft(NFT_MSG_NEWRULE),
			   nft(NFT_MSG_NEWRULE), nft(NFT_MSG_NEWRULE), nft(NFT_MSG_NEWRULE), NFNL_MSG_BATCH_END};
	for (int i = 0; i < n; i++) {
		assert_int_equal(m[i]->nlmsg_type, want[i]);
		assert_int_equal(m[i]->nlmsg_seq, 100 + (unsigned)i);
		const struct nfgenmsg *g = mnl_nlmsg_get_payload(m[i]);
		bool marker = i == 0 || i == n - 1;
		assert_int_equal(g->nfgen_family, marker ? AF_UNSPEC : NFPROTO_BRIDGE);
		assert_int_equal(g->res_id, marker ? htons(NFNL_SUBSYS_NFTABLES) : 0);
		/* one ack: the last rule's, which closes the exchange */
		assert_int_equal(!!(m[i]->nlmsg_flags & NLM_F_ACK), i == 8);
		if (!marker)
			assert_true(contains(m[i], BRFILTER_TABLE, sizeof(BRFILTER_TABLE)));
	}
	assert_int_equal(last, 108);
	/* rules: tag p0 and p3, then guard p0 and p3; names padded to IFNAMSIZ */
	char p0[IFNAMSIZ] = "p0", p3[IFNAMSIZ] = "p3";
	uint32_t mark1 = 1, mark2 = 2;
	assert_true(contains(m[5], p0, sizeof(p0)) && contains(m[5], &mark1, 4));
	assert_true(contains(m[6], p3, sizeof(p3)) && contains(m[6], &mark2, 4));
	assert_true(contains(m[7], p0, sizeof(p0)) && contains(m[7], "immediate", 10));
	assert_true(contains(m[8], p3, sizeof(p3)) && contains(m[8], "immediate", 10));
	free(buf);
}

static void test_brfilter_batch_limits(void **state)
{
	unsigned last;
	char small[256];
	struct brfilter_port one = {"p1", 0}, bad = {"p2", -1}, noname = {"", 0};
	assert_int_equal(brfilter_build(small, sizeof(small), &one, 1, 1, &last), -ENOSPC);
	char *buf = malloc(brfilter_batch_size(1));
	assert_int_equal(brfilter_build(buf, brfilter_batch_size(1), &bad, 1, 1, &last), -EINVAL);
	assert_int_equal(brfilter_build(buf, brfilter_batch_size(1), &noname, 1, 1, &last), -EINVAL);
	assert_int_equal(brfilter_build(buf, brfilter_batch_size(1), &one, -1, 1, &last), -EINVAL);
	/* no ports: the chain's creation is what is acked */
	long len = brfilter_build(buf, brfilter_batch_size(0), NULL, 0, 1, &last);
	assert_true(len > 0);
	const struct nlmsghdr *m[8];
	assert_int_equal(msgs(buf, len, m, 8), 6);
	assert_int_equal(m[4]->nlmsg_type, nft(NFT_MSG_NEWCHAIN));
	assert_true(m[4]->nlmsg_flags & NLM_F_ACK);
	assert_int_equal(last, 5);
	free(buf);

	/* brfilter_batch_size is always enough, with the longest names */
	enum { N = 2000 };
	struct brfilter_port *many = calloc(N, sizeof(*many));
	for (int i = 0; i < N; i++) {
		memset(many[i].name, 'x', IFNAMSIZ - 1);
		many[i].group = i % 7;
	}
	buf = malloc(brfilter_batch_size(N));
	len = brfilter_build(buf, brfilter_batch_size(N), many, N, 1, &last);
	assert_true(len > 0);
	assert_int_equal(last, 5 + 2 * N);  /* begin, table x3, chain, then the rules */
	free(buf);
	free(many);
}

/* tbf: the tbf computed for a spec text on a link of the given MTU. */
static int tbf(const char *text, unsigned mtu, struct qdisc_tbf *q)
{
	struct impair_spec s;
	struct impair_err e;
	assert_int_equal(impair_spec_parse_str(text, &s, &e), 0);
	return qdisc_tbf_from_spec(&s, mtu, q);
}

static void test_tbf_params(void **state)
{
	struct qdisc_tbf q;
	assert_int_equal(tbf("", 1500, &q), -ENOENT);
	assert_int_equal(tbf("rate unlimited", 1500, &q), -ENOENT);
	assert_int_equal(tbf("rate 10Mbit", 1500, &q), 0);
	assert_int_equal(q.rate, 1250000);       /* bytes/s */
	assert_int_equal(q.burst, 1514);         /* one frame beats 1 ms (1250 B) */
	assert_int_equal(q.limit, 1000 * 1514);  /* the node's default: 1000 frames */
	assert_int_equal(tbf("rate 1Gbit", 9000, &q), 0);
	assert_int_equal(q.rate, 125000000);
	assert_int_equal(q.burst, 125000);       /* 1 ms at 1 Gbit/s */
	assert_int_equal(q.limit, 1000 * 9014);
	assert_int_equal(tbf("rate 10Mbit queue 64KiB", 1500, &q), 0);
	assert_int_equal(q.limit, 65536);
	assert_int_equal(tbf("rate 10Mbit queue 100 packets", 1500, &q), 0);
	assert_int_equal(q.limit, 151400);
	assert_int_equal(tbf("rate 10Mbit queue 100B", 1500, &q), 0);
	assert_int_equal(q.limit, 1514);         /* never below one frame */
	assert_int_equal(tbf("rate 9600bit", 576, &q), 0);
	assert_int_equal(q.rate, 1200);
	assert_int_equal(q.burst, 590);
	assert_int_equal(tbf("rate 1001bit", 1500, &q), 0);
	assert_int_equal(q.rate, 125);           /* whole bytes, rounded down */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cut_between_groups),
		cmocka_unit_test(test_same_group_not_cut),
		cmocka_unit_test(test_one_group_on_switch_not_filtered),
		cmocka_unit_test(test_heal_plan_is_empty),
		cmocka_unit_test(test_brfilter_batch),
		cmocka_unit_test(test_brfilter_batch_limits),
		cmocka_unit_test(test_tbf_params),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
