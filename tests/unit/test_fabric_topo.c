/* test_fabric_topo.c: the topology language. Good files give the expected
 * AST; broken files give the exact first diagnostic line (position, text and
 * suggestion); units; hostile input never crashes. The impairment spec's own
 * grammar is tested in test_fabric_impair_spec.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "impair_spec.h"
#include "nb.h"
#include "topo.h"

/* parse: parses text as "t.topo"; the diagnostics land in *diag (caller frees). */
static int parse(const char *text, struct topo **t, char **diag)
{
	size_t n = 0;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &n);
	assert_non_null(f);
	int rc = topo_parse_string("t.topo", text, strlen(text), t, f);
	fclose(f);
	if (diag)
		*diag = buf;
	else
		free(buf);
	return rc;
}

/* first_line: the first diagnostic line for text (static buffer). */
static const char *first_line(const char *text, int *rc)
{
	static char line[512];
	struct topo *t = NULL;
	char *diag;
	*rc = parse(text, &t, &diag);
	topo_free(t);
	snprintf(line, sizeof line, "%.*s", (int)strcspn(diag, "\n"), diag);
	free(diag);
	return line;
}

static uint32_t ip(const char *s)
{
	uint32_t a = 0;
	assert_int_equal(nb_ip4_parse(s, &a), 0);
	return a;
}

static const char good[] =
	"# a lab notebook\n"
	"lab story                      # the lab\n"
	"seed 42\n"
	"defaults\n"
	"  set tcp.msl 2s\n"
	"host client\n"
	"  eth0 10.0.0.1/24\n"
	"  route default via 10.0.0.254\n"
	"  set tcp.nagle off\n"
	"host server custom\n"
	"  eth0 10.0.0.2/24 mac 02:00:00:00:00:02 mtu 9000\n"
	"host router\n"
	"  eth0 10.0.0.254/24\n"
	"  eth1 10.0.1.1/24\n"
	"  forward on\n"
	"host linux kernel\n"
	"  eth0 10.0.1.2/24\n"
	"  route 10.0.0.0/16 via 10.0.1.1 dev eth0\n"
	"switch lan0\n"
	"link client:eth0 lan0 mtu 9000 delay 5ms loss 1%\n"
	"link server:eth0 lan0\n"
	"link router:eth0 lan0 mtu 9000\n"
	"link router:eth1 linux:eth0\n"
	"  router->linux loss 5% delay 10ms\n"
	"  linux -> router rate 10Mbit queue 64KiB\n"
	"\n"
	"server: listen tcp 80 as web app sink\n"
	"client: connect 10.0.0.2:80 as c nodelay from 4000\n"
	"wait c established within 2s\n"
	"dump sockets\n"
	"client: send c 1MiB push\n"
	"wait web received 1MiB within 10s\n"
	"expect web digest == c digest sent\n"
	"client: close c\n"
	"wait c TIME_WAIT within 2s\n"
	"server: app start http 8080 as web2\n"
	"client: app start httpget http://server:8080/1MiB count 3 as get\n"
	"client: ping router\n"
	"linux: exec curl -s 'http://10.0.0.2:8080/1 MiB' \"a\\\"b\" timeout 5s as job expect exit 7\n"
	"link router:eth1 linux:eth0 set loss 0% dir linux->router\n"
	"link client:eth0 lan0 down\n"
	"partition client | server linux\n"
	"expect client counter tcp.retransmits >= 2\n"
	"wait job exited within 10s\n"
	"expect job exit 7\n";

static void test_good_lab(void **state)
{
	(void)state;
	struct topo *t;
	char *diag;
	assert_int_equal(parse(good, &t, &diag), 0);
	assert_string_equal(diag, "");
	free(diag);
	assert_string_equal(t->name, "story");
	assert_true(t->seed_given);
	assert_int_equal(t->seed, 42);
	assert_int_equal(t->n_defaults, 1);
	assert_string_equal(t->defaults[0].name, "tcp.msl");
	assert_string_equal(t->defaults[0].value, "2s");

	assert_int_equal(t->n_hosts, 4);
	const struct topo_host *c = &t->hosts[0], *s = &t->hosts[1], *r = &t->hosts[2], *k = &t->hosts[3];
	assert_string_equal(c->name, "client");
	assert_int_equal(c->kind, TOPO_HOST_CUSTOM);
	assert_int_equal(s->kind, TOPO_HOST_CUSTOM);
	assert_int_equal(k->kind, TOPO_HOST_KERNEL);
	assert_int_equal(c->ifaces[0].addr, ip("10.0.0.1"));
	assert_int_equal(c->ifaces[0].prefix, 24);
	assert_int_equal(c->ifaces[0].mtu, 9000);            /* from its link */
	assert_false(c->ifaces[0].mac_given);
	static const uint8_t auto0[6] = {0x02, 0x6e, 0x62, 0, 0, 0}, auto21[6] = {0x02, 0x6e, 0x62, 0, 2, 1};
	static const uint8_t given[6] = {2, 0, 0, 0, 0, 2};
	assert_memory_equal(c->ifaces[0].mac, auto0, 6);
	assert_memory_equal(r->ifaces[1].mac, auto21, 6);
	assert_memory_equal(s->ifaces[0].mac, given, 6);
	assert_true(s->ifaces[0].mtu_given);
	assert_int_equal(c->n_routes, 1);
	assert_int_equal(c->routes[0].prefix, 0);
	assert_int_equal(c->routes[0].via, ip("10.0.0.254"));
	assert_int_equal(c->routes[0].dev, 0);
	assert_int_equal(k->routes[0].dst, ip("10.0.0.0"));
	assert_int_equal(k->routes[0].prefix, 16);
	assert_int_equal(c->n_params, 1);
	assert_string_equal(c->params[0].name, "tcp.nagle");
	assert_true(r->forward);
	assert_int_equal(r->n_params, 1);
	assert_string_equal(r->params[0].name, "ip.forward");
	assert_string_equal(r->params[0].value, "on");
	assert_false(c->forward);

	assert_int_equal(t->n_switches, 1);
	assert_int_equal(t->switches[0].mtu, 9000);
	assert_int_equal(t->n_links, 4);
	const struct topo_link *l0 = &t->links[0], *l3 = &t->links[3];
	assert_int_equal(l0->end[0].kind, TOPO_END_IFACE);
	assert_int_equal(l0->end[0].host, 0);
	assert_int_equal(l0->end[0].iface, 0);
	assert_int_equal(l0->end[1].kind, TOPO_END_SWITCH);
	assert_int_equal(l0->end[1].sw, 0);
	assert_int_equal(l0->mtu, 9000);
	assert_int_equal(l0->dir[0].delay_ns, NB_MS(5));
	assert_true(l0->dir[1].loss == 0.01);
	assert_string_equal(l0->text[0], "delay 5ms loss 1%");
	assert_string_equal(l0->text[1], "delay 5ms loss 1%");
	assert_string_equal(t->links[1].text[0], "");
	assert_int_equal(t->links[1].mtu, 9000);              /* from server:eth0 */
	assert_int_equal(t->hosts[1].ifaces[0].link, 1);
	assert_string_equal(l3->text[0], "delay 10ms loss 5%");
	assert_string_equal(l3->text[1], "rate 10Mbit queue 64KiB");
	assert_int_equal(l3->dir[1].rate_bps, 10000000);
	assert_int_equal(l3->dir[1].queue_bytes, 65536);
	assert_int_equal(l3->mtu, 1500);

	assert_int_equal(t->n_objs, 5);
	assert_string_equal(t->objs[0].name, "web");
	assert_int_equal(t->objs[0].kind, TOPO_OBJ_LISTENER);
	assert_int_equal(t->objs[0].app, TOPO_APP_SINK);
	assert_int_equal(t->objs[0].host, 1);
	assert_int_equal(t->objs[1].kind, TOPO_OBJ_CONN);
	assert_int_equal(t->objs[4].kind, TOPO_OBJ_JOB);
	assert_int_equal(topo_obj_find(t, "get"), 3);

	assert_int_equal(t->n_steps, 19);
	const struct topo_step *st = t->steps;
	assert_int_equal(st[0].kind, TOPO_STEP_LISTEN);
	assert_int_equal(st[0].host, 1);
	assert_int_equal(st[0].u.listen.port, 80);
	assert_int_equal(st[0].u.listen.backlog, 16);
	assert_int_equal(st[0].u.listen.obj, 0);
	assert_int_equal(st[0].loc.line, 27);
	assert_string_equal(st[0].text, "server: listen tcp 80 as web app sink");
	assert_int_equal(st[1].kind, TOPO_STEP_CONNECT);
	assert_int_equal(st[1].u.connect.addr, ip("10.0.0.2"));
	assert_int_equal(st[1].u.connect.port, 80);
	assert_int_equal(st[1].u.connect.from_port, 4000);
	assert_true(st[1].u.connect.nodelay);
	assert_int_equal(st[2].kind, TOPO_STEP_WAIT);
	assert_int_equal(st[2].u.wait.what, TOPO_WAIT_STATE);
	assert_int_equal(st[2].u.wait.state, TOPO_TCP_ESTABLISHED);
	assert_int_equal(st[2].u.wait.within_ns, NB_SEC(2));
	assert_int_equal(st[3].kind, TOPO_STEP_DUMP);
	assert_int_equal(st[3].host, -1);
	assert_int_equal(st[4].u.send.bytes, 1 << 20);
	assert_true(st[4].u.send.push);
	assert_int_equal(st[5].u.wait.what, TOPO_WAIT_RECEIVED);
	assert_int_equal(st[5].u.wait.bytes, 1 << 20);
	assert_int_equal(st[6].u.expect.what, TOPO_EXPECT_DIGEST);
	assert_int_equal(st[6].u.expect.obj, 0);
	assert_int_equal(st[6].u.expect.of, TOPO_DIGEST_DEFAULT);
	assert_int_equal(st[6].u.expect.obj2, 1);
	assert_int_equal(st[6].u.expect.of2, TOPO_DIGEST_SENT);
	assert_int_equal(st[6].u.expect.op, TOPO_EQ);
	assert_int_equal(st[7].kind, TOPO_STEP_CLOSE);
	assert_int_equal(st[8].u.wait.state, TOPO_TCP_TIME_WAIT);
	assert_int_equal(st[9].u.app.app, TOPO_APP_HTTP);
	assert_int_equal(st[9].u.app.port, 8080);
	assert_int_equal(st[10].u.app.app, TOPO_APP_HTTPGET);
	assert_int_equal(st[10].u.app.addr, ip("10.0.0.2"));
	assert_int_equal(st[10].u.app.port, 8080);
	assert_string_equal(st[10].u.app.path, "/1MiB");
	assert_int_equal(st[10].u.app.count, 3);
	assert_int_equal(st[11].kind, TOPO_STEP_PING);
	assert_int_equal(st[11].u.ping.addr, ip("10.0.0.254"));
	assert_int_equal(st[11].u.ping.count, 3);
	assert_int_equal(st[11].u.ping.interval_ns, NB_MS(200));
	assert_true(st[11].u.ping.expect_success);
	assert_int_equal(st[12].kind, TOPO_STEP_EXEC);
	assert_int_equal(st[12].host, 3);
	assert_int_equal(st[12].u.exec.argc, 4);
	assert_string_equal(st[12].u.exec.argv[0], "curl");
	assert_string_equal(st[12].u.exec.argv[2], "http://10.0.0.2:8080/1 MiB");
	assert_string_equal(st[12].u.exec.argv[3], "a\"b");
	assert_null(st[12].u.exec.argv[4]);
	assert_true(st[12].u.exec.background);
	assert_int_equal(st[12].u.exec.timeout_ns, NB_SEC(5));
	assert_true(st[12].u.exec.expect_exit);
	assert_int_equal(st[12].u.exec.exit_code, 7);
	assert_int_equal(st[13].kind, TOPO_STEP_LINK_SET);
	assert_int_equal(st[13].u.link_set.link, 3);
	assert_int_equal(st[13].u.link_set.dir, 1);
	assert_int_equal(st[13].u.link_set.spec->has, IMPAIR_HAS_LOSS);
	assert_string_equal(st[13].u.link_set.text, "loss 0%");
	assert_int_equal(st[14].kind, TOPO_STEP_LINK_DOWN);
	assert_int_equal(st[14].u.link.link, 0);
	assert_int_equal(st[15].kind, TOPO_STEP_PARTITION);
	assert_int_equal(st[15].u.partition.n_groups, 2);
	assert_int_equal(st[15].u.partition.group[0], 0);
	assert_int_equal(st[15].u.partition.group[1], 1);
	assert_int_equal(st[15].u.partition.group[2], -1);
	assert_int_equal(st[15].u.partition.group[3], 1);
	assert_int_equal(st[16].u.expect.what, TOPO_EXPECT_COUNTER);
	assert_int_equal(st[16].host, 0);
	assert_string_equal(st[16].u.expect.counter, "tcp.retransmits");
	assert_int_equal(st[16].u.expect.op, TOPO_GE);
	assert_int_equal(st[16].u.expect.value, 2);
	assert_int_equal(st[17].u.wait.what, TOPO_WAIT_EXITED);
	assert_int_equal(st[18].u.expect.what, TOPO_EXPECT_EXIT);
	assert_int_equal(st[18].u.expect.exit_code, 7);
	topo_free(t);
}

static void test_lookups_and_names(void **state)
{
	(void)state;
	struct topo *t;
	bool fwd = false;
	assert_int_equal(parse(good, &t, NULL), 0);
	assert_int_equal(topo_host_find(t, "linux"), 3);
	assert_int_equal(topo_host_find(t, "nobody"), -1);
	assert_int_equal(topo_switch_find(t, "lan0"), 0);
	assert_int_equal(topo_iface_find(&t->hosts[2], "eth1"), 1);
	assert_int_equal(topo_link_find(t, "linux:eth0", "router:eth1", &fwd), 3);
	assert_false(fwd);
	assert_int_equal(topo_link_find(t, "client:eth0", "lan0", &fwd), 0);
	assert_true(fwd);
	assert_int_equal(topo_link_find(t, "client:eth0", "server:eth0", NULL), -1);
	assert_string_equal(topo_tcp_state_name(TOPO_TCP_TIME_WAIT), "TIME_WAIT");
	assert_string_equal(topo_app_name(TOPO_APP_HTTPGET), "httpget");
	assert_string_equal(topo_step_name(TOPO_STEP_LINK_SET), "link set");
	assert_string_equal(topo_obj_kind_name(TOPO_OBJ_LISTENER), "listener");
	topo_free(t);
	topo_free(NULL);
}

static void test_architecture_example(void **state)
{
	(void)state;
	static const char text[] =
		"lab story\nseed 42\nhost client\n  eth0 10.0.0.1/24\nhost server\n  eth0 10.0.0.2/24\n"
		"  set tcp.msl 2s\nhost linux kernel\n  eth0 10.0.1.2/24\n  route default via 10.0.1.1\n"
		"host gw\n  eth0 10.0.1.1/24\nlink linux:eth0 gw:eth0\n"
		"link client:eth0 server:eth0 mtu 1500 delay 5ms loss 1%\n\n"
		"server: listen tcp 80 as web app sink\nclient: connect 10.0.0.2:80 as c\n"
		"wait c established within 2s\ndump sockets\nclient: send c 1MiB\n"
		"wait web received 1MiB within 10s\nexpect web digest == c digest\nclient: close c\n"
		"wait c TIME_WAIT within 2s\n";
	struct topo *t;
	assert_int_equal(parse(text, &t, NULL), 0);
	assert_int_equal(t->n_steps, 9);
	topo_free(t);
}

/* The lab most error cases below add one line to. */
#define HDR                                                                                  \
	"lab x\nhost client\n  eth0 10.0.0.1/24\nhost server\n  eth0 10.0.0.2/24\n"             \
	"  eth1 10.0.1.1/24\nhost linux kernel\n  eth0 10.0.1.2/24\nlink client:eth0 server:eth0\n" \
	"link server:eth1 linux:eth0\nserver: listen tcp 80 as web\nclient: connect 10.0.0.2:80 as c\n"
#define AB "lab x\nhost a\n  eth0 10.0.0.1/24\nhost b\n  eth0 10.0.0.2/24\n"

static const struct {
	const char *text, *first;
} bad[] = {
	{"lab x\nhots a\n", "t.topo:2:1: error: unknown keyword 'hots'; did you mean 'host'?"},
	{"lab My_Lab\n", "t.topo:1:5: error: lab name 'My_Lab' may only use a-z, 0-9 and '-'"},
	{"lab abcdefghijklm\n", "t.topo:1:5: error: lab name 'abcdefghijklm' is longer than 12 characters"},
	{"host a\n", "t.topo:1:1: error: no 'lab NAME' line: a topology starts with one, e.g. 'lab story'"},
	{"lab x\nlab y\n", "t.topo:2:1: error: second 'lab' line"},
	{"lab x\nhost a\n  eth0 10.0.0.1/24\nhost a\n", "t.topo:4:6: error: 'a' is already defined"},
	{"lab x\nhost a\n  eth0 10.0.0.1\n",
	 "t.topo:3:8: error: interface 'eth0' wants ADDRESS/PREFIX such as 10.0.0.1/24, not '10.0.0.1'"},
	{"lab x\nhost a\n  eth0 10.0.0.1/24 mtu 70000\n",
	 "t.topo:3:24: error: 'mtu' wants a whole number from 68 to 65535, not '70000'"},
	{"lab x\nhost a\n  eth0 10.0.0.1/24 mac 01:00:00:00:00:01\n",
	 "t.topo:3:24: error: MAC 01:00:00:00:00:01 is a multicast address (first byte odd)"},
	{"lab x\nhost a\n  eth0 10.0.0.1/24\n  set tcp.mls 2s\n",
	 "t.topo:4:7: error: unknown parameter 'tcp.mls'; did you mean 'tcp.msl'?"},
	{"lab x\nhost a\n  eth0 10.0.0.1/24\n  rout default via 10.0.0.9\n",
	 "t.topo:4:3: error: unknown host line 'rout'; did you mean 'route'?"},
	{"lab x\nhost a\n  eth0 10.0.0.1/24\n  route 10.1.0.1/16 via 10.0.0.9\n",
	 "t.topo:4:9: error: route destination '10.1.0.1/16' has host bits set; did you mean '10.1.0.0/16'?"},
	{"lab x\nhost a kernal\n", "t.topo:2:8: error: unknown host kind 'kernal'; did you mean 'kernel'?"},
	{"lab x\nhost a kernel\n  eth0 10.0.0.1/24\n  set tcp.msl 2s\n",
	 "t.topo:4:3: error: 'set' needs a custom host; 'a' is a kernel host (Linux's own stack)"},
	{"lab x\nhost a\n  eth0 10.0.0.1/24\nhost b\n  eth0 10.0.0.1/24\nlink a:eth0 b:eth0\n",
	 "t.topo:5:3: error: address 10.0.0.1 is already used by a:eth0"},
	{AB "link a:eth0 sevrer:eth0\nhost server\n", "t.topo:6:13: error: unknown host 'sevrer'; did you mean 'server'?"},
	{AB "link a:eth0 b:eth1\n", "t.topo:6:15: error: host 'b' has no interface 'eth1'; did you mean 'eth0'?"},
	{AB "link a:eth0 b:eth0 loss 101%\n", "t.topo:6:25: error: 'loss' must be between 0% and 100%, not '101%'"},
	{AB "link a:eth0 b:eth0 delay 5\n", "t.topo:6:26: error: 'delay' wants a time such as 5ms or 1.5s, not '5'"},
	{AB "link a:eth0 b:eth0 rate 10MB\n",
	 "t.topo:6:25: error: 'rate' wants a rate such as 10Mbit or 512Kbit (bits per second), not '10MB'"},
	{AB "link a:eth0 b:eth0 delay 5ms lose 1%\n", "t.topo:6:30: error: unknown link option 'lose'; did you mean 'loss'?"},
	{AB "link a:eth0 b:eth0 mtu 9000\n  a->c loss 1%\n",
	 "t.topo:7:3: error: 'a->c' does not go between this link's ends (a:eth0 and b:eth0)"},
	{AB "link a:eth0 b:eth0 delay 1ms jitter 2ms\n",
	 "t.topo:6:37: error: jitter 2ms is larger than the delay 1ms it varies"},
	{AB "link a:eth0 b:eth0\n  a->b loss 1%\n  a->b loss 2%\n", "t.topo:8:3: error: second 'a->b' line for this link"},
	{"lab x\nhost a\n  eth0 10.0.0.1/24\n  route default via 10.0.5.1\nhost b\n  eth0 10.0.0.2/24\n"
	 "link a:eth0 b:eth0\n",
	 "t.topo:4:3: error: gateway 10.0.5.1 is not on a subnet of host 'a'"},
	{AB "  eth1 10.0.1.2/24\nlink a:eth0 b:eth0\n",
	 "t.topo:6:3: error: interface 'b:eth1' is not linked to anything; add a 'link' line"},
	{"lab x\nhost a kernel\n  eth0 10.0.0.1/24\nhost b kernel\n  eth0 10.0.0.2/24\nlink a:eth0 b:eth0 loss 1%\n",
	 "t.topo:6:1: error: this link has no custom host, so it can only be rate-limited: delay, loss, drop, "
	 "duplicate, reorder and corrupt run in a custom host's node (the kernel has no netem)"},
	{"lab x\nhost a\n  eth0 10.0.0.1/24 mtu 9000\nhost b\n  eth0 10.0.0.2/24\nlink a:eth0 b:eth0 mtu 1500\n",
	 "t.topo:3:3: error: interface 'a:eth0' has mtu 9000 but its link has mtu 1500: both ends of a link "
	 "share one MTU"},
	{"lab x\nhost a\n  eth0 10.0.0.0/24\nhost b\n  eth0 10.0.0.2/24\nlink a:eth0 b:eth0\n",
	 "t.topo:3:3: error: 10.0.0.0 is the network address of 10.0.0.0/24, not a host address"},
	{AB "link a:eth0 b:eth0\nlink a:eth0 b:eth0\n", "t.topo:7:6: error: interface 'a:eth0' is already linked"},
	{HDR "wait c established\n", "t.topo:13:19: error: 'wait' needs a bound: add 'within TIME', e.g. 'within 2s'"},
	{HDR "wait c establised within 2s\n",
	 "t.topo:13:8: error: unknown TCP state 'establised'; did you mean 'established'?"},
	{HDR "client: conect 10.0.0.2:80\n", "t.topo:13:9: error: unknown action 'conect'; did you mean 'connect'?"},
	{HDR "client: ping sever\n", "t.topo:13:14: error: unknown host 'sever'; did you mean 'server'?"},
	{HDR "linux: listen tcp 80\n",
	 "t.topo:13:1: error: 'listen' needs a custom host; 'linux' is a kernel host (Linux's own stack)"},
	{HDR "client: exec ls\n", "t.topo:13:1: error: 'exec' runs programs on kernel hosts; 'client' is a custom host"},
	{HDR "client: send d 1MiB\nclient: connect 10.0.0.2:80 as d\n",
	 "t.topo:13:14: error: 'd' is used before it is defined (on line 14)"},
	{HDR "client: send cc 1MiB\n", "t.topo:13:14: error: unknown connection 'cc'; did you mean 'c'?"},
	{HDR "server: send c 1MiB\n", "t.topo:13:14: error: connection 'c' lives on host 'client', not 'server'"},
	{HDR "client: send web 1MiB\n", "t.topo:13:14: error: 'web' is a listener, not a connection"},
	{HDR "client: listen tcp 81 as c\n", "t.topo:13:26: error: 'c' is already defined"},
	{HDR "client: listen tcp 81 as server\n", "t.topo:13:26: error: 'server' is already the name of a host"},
	{HDR "expect client counter tcp.retransmit > 0\n",
	 "t.topo:13:23: error: unknown counter 'tcp.retransmit'; did you mean 'tcp.retransmits'?"},
	{HDR "expect client counter tcp.retransmits >> 0\n",
	 "t.topo:13:39: error: expected a comparison (==, !=, <, <=, > or >=), not '>>'"},
	{HDR "client: send c 1MB push now\n", "t.topo:13:25: error: unexpected 'now'"},
	{HDR "sleep 5\n", "t.topo:13:7: error: 'sleep' wants a time such as 2s or 500ms, not '5'"},
	{HDR "set client tcp.nagle maybe\n", "t.topo:13:22: error: tcp.nagle wants on or off, not 'maybe'"},
	{HDR "set linux tcp.msl 2s\n",
	 "t.topo:13:5: error: 'set' needs a custom host; 'linux' is a kernel host (Linux's own stack)"},
	{HDR "link client:eth0 server:eth0 set loss 5% dir client->linux\n",
	 "t.topo:13:46: error: 'client->linux' does not go between this link's ends"},
	{HDR "link client:eth0 sever:eth0 down\n",
	 "t.topo:13:18: error: 'sever:eth0' is not an end of any link; did you mean 'server:eth0'?"},
	{HDR "link server:eth1 linux:eth0 set\n",
	 "t.topo:13:32: error: 'set' wants link options such as 'loss 5%' or 'delay 10ms'"},
	{HDR "partition client server\n", "t.topo:13:24: error: 'partition' wants at least two groups separated by '|'"},
	{HDR "host late\n", "t.topo:13:1: error: 'host' must come before the script, which starts on line 11"},
	{HDR "client connect 10.0.0.2:80\n",
	 "t.topo:13:1: error: missing ':' after host 'client' (write 'client: ACTION ...')"},
	{HDR "wait web done within 2s\n",
	 "t.topo:13:10: error: only source and httpget apps are ever done; 'web' is a sink listener"},
	{HDR "expect web digest == c\n", "t.topo:13:23: error: expected 'digest' after 'c'"},
	{HDR "client: ping 10.0.0.2 count 0\n", "t.topo:13:29: error: 'count' wants a whole number from 1 to 10000, not '0'"},
	{HDR "  indented\n",
	 "t.topo:13:3: error: unexpected indentation: only lines under 'host', 'defaults' or 'link' are indented"},
	{HDR "linux: exec \"oops\n", "t.topo:13:13: error: unterminated double quote"},
	{HDR "client: udp bind 70000\n", "t.topo:13:18: error: 'udp bind' wants a port number from 1 to 65535, not '70000'"},
	{HDR "expect c error refusd\n", "t.topo:13:16: error: unknown socket error 'refusd'; did you mean 'refused'?"},
	{HDR "client: connect 10.0.0.2:0\n", "t.topo:13:17: error: port '0' must be a number from 1 to 65535"},
	{HDR "client: ping 10.0.0.2 interval 0\n", "t.topo:13:32: error: 'interval' must be between 1ms and 60s"},
	{HDR "client: send c 1MiB\x01\n", "t.topo:13:20: error: unexpected control character 0x01"},
	{HDR "expect web digest == file\n",
	 "t.topo:13:26: error: 'file' wants a path, e.g. 'file linux/got.bin' (relative to the run's output directory)"},
	{HDR "expect c output == web digest\n", "t.topo:13:10: error: 'output' is what a job printed; 'c' is a connection"},
	{HDR "linux: exec true as j foreground\nexpect j digest == c digest\n",
	 "t.topo:14:10: error: expected 'output' after job 'j' (its standard output is compared)"},
	{HDR "linux: exec true as j\nexpect c digest == j\n",
	 "t.topo:14:21: error: expected 'output' after job 'j' (its standard output is compared)"},
	{HDR "linux: exec true foreground\n",
	 "t.topo:13:18: error: 'foreground' names a job that runs in the foreground: add 'as NAME'"},
	{HDR "expect c outptu\n", "t.topo:13:10: error: unknown condition 'outptu'; did you mean 'output'?"},
	{HDR "expect web digest == c digest file x\n", "t.topo:13:31: error: unexpected 'file'"},
	{HDR "dump sockets client detail now\n", "t.topo:13:28: error: unexpected 'now'"},
	{HDR "expect web error none\n", "t.topo:13:12: error: 'error' does not apply to 'web', a listener"},
	/* listeners without an app, accept and the queues */
	{HDR "server: accept web as s\n",
	 "t.topo:13:16: error: 'web' has an app (sink) that accepts its connections itself; listen with 'app none' "
	 "to accept them with 'accept'"},
	{HDR "server: listen tcp 81 as q app none\nserver: accept qq as s\n",
	 "t.topo:14:16: error: unknown listener 'qq'; did you mean 'q'?"},
	{HDR "server: accept c as s\n", "t.topo:13:16: error: 'c' is a connection, not a listener"},
	{HDR "server: listen tcp 81 as q app none\nclient: accept q as s\n",
	 "t.topo:14:16: error: listener 'q' lives on host 'server', not 'client'"},
	{HDR "server: accept s as s\nserver: listen tcp 81 as s app none\n",
	 "t.topo:13:16: error: 's' is used before it is defined (on line 14)"},
	{HDR "server: listen tcp 81 as q app none\nserver: accept q as c\n", "t.topo:14:21: error: 'c' is already defined"},
	{HDR "server: listen tcp 81 as q app none\nserver: accept q now\n",
	 "t.topo:14:18: error: unknown 'accept' option 'now'"},
	{HDR "server: accept\n", "t.topo:13:15: error: missing listener name"},
	{HDR "server: listen tcp 81 as q app nnone\n",
	 "t.topo:13:32: error: unknown server app 'nnone'; did you mean 'none'?"},
	{HDR "wait c accept-queue 1 within 1s\n",
	 "t.topo:13:6: error: only listeners have an accept queue; 'c' is a connection"},
	{HDR "wait web accept-queue 0 within 1s\n",
	 "t.topo:13:23: error: 'accept-queue' wants a whole number from 1 to 65535, not '0'"},
	{HDR "expect c syn-queue == 0\n", "t.topo:13:10: error: 'syn-queue' does not apply to 'c', a connection"},
	{HDR "expect web accept-queue = 1\n",
	 "t.topo:13:25: error: expected a comparison (==, !=, <, <=, > or >=), not '='"},
	{HDR "server: listen tcp 81 as q app none\nwait q received 1MiB within 1s\n",
	 "t.topo:14:6: error: 'q' is a listener without an app, so it has no bytes to count: the connections "
	 "accepted from it do ('HOST: accept q as NAME')"},
	{HDR "server: listen tcp 81 as q app none\nexpect q sent > 0\n",
	 "t.topo:14:8: error: 'q' is a listener without an app, so it has no bytes to count: the connections "
	 "accepted from it do ('HOST: accept q as NAME')"},
	{HDR "server: listen tcp 81 as q app none\nexpect c digest == q digest\n",
	 "t.topo:14:20: error: 'q' is a listener without an app, so it has no digest: the connections accepted "
	 "from it do ('HOST: accept q as NAME')"},
	{HDR "server: shutdown web\n", "t.topo:13:18: error: 'web' is a listener, not a connection"},
};

/* Digests of job output and files, named foreground jobs, `dump ... detail`,
 * UDP sockets reused by name. */
static void test_digest_sides(void **state)
{
	(void)state;
	static const char text[] = HDR
		"linux: exec curl -s http://10.0.0.1/1MiB as get foreground expect exit 0\n"   /* 13 */
		"expect get output digest == web digest\n"
		"expect c digest sent == get output\n"
		"expect web digest received != file linux/got.bin\n"
		"expect file /tmp/a == file 'b c'\n"
		"linux: exec nc -l 5001 as rx\n"
		"expect rx output == c digest\n"
		"dump sockets client detail\n"
		"dump sockets detail\n"
		"client: udp send server:53 10B from 4000 as u\n"
		"client: udp send server:53 20B as u\n"
		"expect u error none\n";
	struct topo *t;
	char *diag;
	assert_int_equal(parse(text, &t, &diag), 0);
	assert_string_equal(diag, "");
	free(diag);
	const struct topo_step *st = t->steps + 2;
	int get = topo_obj_find(t, "get"), web = topo_obj_find(t, "web"), c = topo_obj_find(t, "c");
	assert_int_equal(t->objs[get].kind, TOPO_OBJ_JOB);
	assert_int_equal(st[0].kind, TOPO_STEP_EXEC);
	assert_false(st[0].u.exec.background);
	assert_int_equal(st[0].u.exec.obj, get);
	assert_int_equal(st[0].u.exec.timeout_ns, NB_SEC(10));
	assert_int_equal(st[0].u.exec.argc, 3);
	assert_true(st[0].u.exec.expect_exit);
	assert_int_equal(st[1].u.expect.what, TOPO_EXPECT_DIGEST);
	assert_int_equal(st[1].u.expect.src, TOPO_DSRC_OUTPUT);
	assert_int_equal(st[1].u.expect.obj, get);
	assert_int_equal(st[1].u.expect.src2, TOPO_DSRC_OBJ);
	assert_int_equal(st[1].u.expect.obj2, web);
	assert_int_equal(st[1].host, 2);
	assert_int_equal(st[2].u.expect.src, TOPO_DSRC_OBJ);
	assert_int_equal(st[2].u.expect.obj, c);
	assert_int_equal(st[2].u.expect.of, TOPO_DIGEST_SENT);
	assert_int_equal(st[2].u.expect.src2, TOPO_DSRC_OUTPUT);
	assert_int_equal(st[2].u.expect.obj2, get);
	assert_int_equal(st[3].u.expect.of, TOPO_DIGEST_RECEIVED);
	assert_int_equal(st[3].u.expect.op, TOPO_NE);
	assert_int_equal(st[3].u.expect.src2, TOPO_DSRC_FILE);
	assert_int_equal(st[3].u.expect.obj2, -1);
	assert_string_equal(st[3].u.expect.path2, "linux/got.bin");
	assert_int_equal(st[4].u.expect.src, TOPO_DSRC_FILE);
	assert_string_equal(st[4].u.expect.path, "/tmp/a");
	assert_string_equal(st[4].u.expect.path2, "b c");
	assert_int_equal(st[4].host, -1);
	assert_true(st[5].u.exec.background);
	assert_int_equal(st[5].u.exec.timeout_ns, 0);
	assert_int_equal(st[6].u.expect.src, TOPO_DSRC_OUTPUT);
	assert_int_equal(st[7].kind, TOPO_STEP_DUMP);
	assert_int_equal(st[7].host, 0);
	assert_true(st[7].u.dump.detail);
	assert_int_equal(st[8].host, -1);
	assert_true(st[8].u.dump.detail);
	assert_int_equal(st[9].u.udp_send.obj, topo_obj_find(t, "u"));
	assert_int_equal(st[10].u.udp_send.obj, st[9].u.udp_send.obj);
	assert_int_equal(st[10].u.udp_send.from_port, 0);
	assert_int_equal(st[11].u.expect.what, TOPO_EXPECT_ERROR);
	topo_free(t);

	/* an object or host named "file" is still an object or a host */
	assert_int_equal(parse(HDR "client: udp bind 99 as file\nexpect file digest == c digest\n", &t, NULL), 0);
	assert_int_equal(t->steps[3].u.expect.src, TOPO_DSRC_OBJ);
	topo_free(t);
}

/* listen ... app none, accept, the accept-queue wait and the queue
 * expectations; close takes a listener. */
static void test_accept(void **state)
{
	(void)state;
	static const char text[] = HDR
		"server: listen tcp 81 backlog 2 as q app none\n"              /* 13 */
		"wait q accept-queue 2 within 1s\n"
		"expect q accept-queue == 2\n"
		"expect q syn-queue <= 1\n"
		"server: accept q as s1\n"
		"server: accept q\n"
		"server: recv s1 10B\n"
		"expect s1 digest received == c digest\n"
		"wait s1 close_wait within 1s\n"
		"server: close q\n";
	struct topo *t;
	char *diag;
	assert_int_equal(parse(text, &t, &diag), 0);
	assert_string_equal(diag, "");
	free(diag);
	const struct topo_step *st = t->steps + 2;
	int q = topo_obj_find(t, "q"), s1 = topo_obj_find(t, "s1");
	assert_int_equal(t->objs[q].kind, TOPO_OBJ_LISTENER);
	assert_int_equal(t->objs[q].app, TOPO_APP_NONE);
	assert_int_equal(st[0].kind, TOPO_STEP_LISTEN);
	assert_int_equal(st[0].u.listen.app, TOPO_APP_NONE);
	assert_int_equal(st[0].u.listen.backlog, 2);
	assert_int_equal(st[1].u.wait.what, TOPO_WAIT_ACCEPT_QUEUE);
	assert_int_equal(st[1].u.wait.obj, q);
	assert_int_equal(st[1].u.wait.count, 2);
	assert_int_equal(st[2].u.expect.what, TOPO_EXPECT_ACCEPT_QUEUE);
	assert_int_equal(st[2].u.expect.op, TOPO_EQ);
	assert_int_equal(st[2].u.expect.value, 2);
	assert_int_equal(st[3].u.expect.what, TOPO_EXPECT_SYN_QUEUE);
	assert_int_equal(st[3].u.expect.op, TOPO_LE);
	assert_int_equal(st[4].kind, TOPO_STEP_ACCEPT);
	assert_int_equal(st[4].host, 1);
	assert_int_equal(st[4].u.accept.listener, q);
	assert_int_equal(st[4].u.accept.obj, s1);
	assert_int_equal(t->objs[s1].kind, TOPO_OBJ_CONN);
	assert_int_equal(t->objs[s1].host, 1);
	assert_int_equal(st[5].u.accept.obj, -1);
	assert_int_equal(st[6].u.recv.obj, s1);
	assert_int_equal(st[9].kind, TOPO_STEP_CLOSE);
	assert_int_equal(st[9].u.close.obj, q);
	assert_string_equal(topo_step_name(TOPO_STEP_ACCEPT), "accept");
	assert_string_equal(topo_app_name(TOPO_APP_NONE), "none");
	topo_free(t);
}

static void test_error_messages(void **state)
{
	(void)state;
	for (size_t i = 0; i < NB_ARRAY_LEN(bad); i++) {
		int rc;
		const char *got = first_line(bad[i].text, &rc);
		if (strcmp(got, bad[i].first)) {
			print_error("case %zu:\n  want: %s\n  got:  %s\n", i, bad[i].first, got);
			fail();
		}
		assert_true(rc > 0);
	}
}

static void test_error_format(void **state)
{
	(void)state;
	struct topo *t = (struct topo *)1;
	char *diag;
	int rc = parse(HDR "client: ping\tsever  # typo\n", &t, &diag);
	assert_int_equal(rc, 1);
	assert_null(t);
	assert_string_equal(diag, "t.topo:13:14: error: unknown host 'sever'; did you mean 'server'?\n"
				  "   13 | client: ping\tsever  # typo\n"
				  "      |             \t^~~~~\n");
	free(diag);

	/* a duplicate points back at the first definition */
	rc = parse("lab x\nhost a\n  eth0 10.0.0.1/24\n  eth0 10.0.0.3/24\nhost b\n  eth0 10.0.0.2/24\n"
		   "link a:eth0 b:eth0\n", &t, &diag);
	assert_int_equal(rc, 1);
	assert_string_equal(diag, "t.topo:4:3: error: host 'a' already has an interface 'eth0'\n"
				  "    4 |   eth0 10.0.0.3/24\n"
				  "      |   ^~~~\n"
				  "t.topo:3:3: note: 'eth0' is first defined here\n"
				  "    3 |   eth0 10.0.0.1/24\n"
				  "      |   ^\n");
	free(diag);
}

static void test_many_errors(void **state)
{
	(void)state;
	char text[4096] = HDR;
	struct topo *t;
	char *diag;
	/* three independent mistakes are all reported */
	int rc = parse(HDR "sleep 5\nclient: conect x\nwait c established\n", &t, &diag);
	assert_int_equal(rc, 3);
	assert_non_null(strstr(diag, "t.topo:13:7:"));
	assert_non_null(strstr(diag, "t.topo:14:9:"));
	assert_non_null(strstr(diag, "t.topo:15:19:"));
	free(diag);
	/* at most TOPO_ERRORS_MAX, then a note */
	for (int i = 0; i < 40; i++)
		strcat(text, "sleep 5\n");
	rc = parse(text, &t, &diag);
	assert_int_equal(rc, TOPO_ERRORS_MAX);
	assert_non_null(strstr(diag, "t.topo: note: stopping after 20 errors\n"));
	free(diag);
	/* a failed definition does not cascade into its uses */
	rc = parse(HDR "client: connect 10.0.0.2:80 as d bogus\nclient: send d 1MiB\nwait d closed within 1s\n",
		   &t, NULL);
	assert_int_equal(rc, 1);
	rc = parse(AB "hots c\nlink a:eth0 b:eth0\nc: ping a\n", &t, NULL);
	assert_int_equal(rc, 2);
}

static void test_warning_subnet(void **state)
{
	(void)state;
	struct topo *t;
	char *diag;
	int rc = parse("lab x\nhost a\n  eth0 10.0.0.1/24\nhost b\n  eth0 10.0.1.2/24\nlink a:eth0 b:eth0\n", &t, &diag);
	assert_int_equal(rc, 0);
	assert_non_null(t);
	assert_int_equal(t->warnings, 1);
	assert_string_equal(diag, "t.topo:6:1: warning: a:eth0 (10.0.0.1/24) and b:eth0 (10.0.1.2/24) share a link "
				  "but not a subnet\n"
				  "    6 | link a:eth0 b:eth0\n"
				  "      | ^~~~\n");
	free(diag);
	topo_free(t);
	rc = parse("lab x\nswitch s\nhost a\n  eth0 10.0.0.1/24\nhost b\n  eth0 10.0.1.2/24\nlink a:eth0 s\n"
		   "link b:eth0 s\n", &t, &diag);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(diag, "t.topo:8:1: warning: b:eth0 (10.0.1.2/24) is not in the subnet of a:eth0 "
				     "(10.0.0.1/24), on the same switch 's'"));
	free(diag);
	topo_free(t);
}

static void test_units(void **state)
{
	(void)state;
	struct topo *t;
	int rc = parse(HDR "sleep 1.5s\nsleep 250us\nsleep 2min\nclient: send c 64KiB\nclient: send c 1kB\n"
			   "client: send c 1500\nwait c received 3GiB within 90s\nclient: recv c\n", &t, NULL);
	assert_int_equal(rc, 0);
	assert_int_equal(t->steps[2].u.sleep.ns, NB_MS(1500));
	assert_int_equal(t->steps[3].u.sleep.ns, NB_US(250));
	assert_int_equal(t->steps[4].u.sleep.ns, NB_SEC(120));
	assert_int_equal(t->steps[5].u.send.bytes, 65536);
	assert_int_equal(t->steps[6].u.send.bytes, 1000);
	assert_int_equal(t->steps[7].u.send.bytes, 1500);
	assert_int_equal(t->steps[8].u.wait.bytes, 3ull << 30);
	assert_int_equal(t->steps[8].u.wait.within_ns, NB_SEC(90));
	assert_int_equal(t->steps[9].u.recv.bytes, 0);
	topo_free(t);
}

/* --- hostile input --- */

static void test_robustness(void **state)
{
	(void)state;
	struct topo *t;
	char *diag;
	int rc;
	/* empty input, comments only, CRLF */
	assert_int_equal(parse("", &t, NULL), 1);
	assert_int_equal(parse("# nothing\n\n   \n", &t, NULL), 1);
	assert_int_equal(parse("lab crlf\r\nhost a\r\n  eth0 10.0.0.1/24\r\nhost b\r\n  eth0 10.0.0.2/24\r\n"
			       "link a:eth0 b:eth0\r\n", &t, NULL), 0);
	topo_free(t);
	/* NUL byte (the lab line is lost with it) */
	rc = topo_parse_string("n.topo", "lab x\0y\n", 8, &t, NULL);
	assert_int_equal(rc, 2);
	/* a line that is too long, and one with too many words */
	size_t big = TOPO_LINE_MAX + 100;
	char *s = malloc(big + 16);
	strcpy(s, "lab x\n");
	memset(s + 6, 'a', big);
	s[6 + big] = 0;
	rc = parse(s, &t, &diag);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(diag, "t.topo:2:4097: error: line is longer than 4096 bytes"));
	free(diag);
	strcpy(s, "lab x\nsleep");
	for (int i = 0; i < TOPO_TOKENS_MAX; i++)
		strcat(s, " 1s");
	rc = parse(s, &t, &diag);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(diag, "more than 256 words on one line"));
	free(diag);
	free(s);
	/* deterministic garbage made of the language's own words */
	static const char *const words[] = {"lab", "x", "host", "a", "b", "  ", "\n", "eth0", "10.0.0.1/24", ":",
					    "link", "a:eth0", "b:eth0", "delay", "5ms", "->", "loss", "1%", "wait",
					    "within", "as", "c", "connect", "'", "\"", "#", "|", "partition", "\t"};
	struct nb_rng r;
	nb_rng_seed(&r, 7);
	for (int n = 0; n < 2000; n++) {
		char text[512] = "";
		int len = (int)(nb_rng_next(&r) % 40);
		for (int i = 0; i < len; i++) {
			strcat(text, words[nb_rng_next(&r) % NB_ARRAY_LEN(words)]);
			strcat(text, nb_rng_next(&r) % 3 ? " " : "");
		}
		rc = topo_parse_string("g.topo", text, strlen(text), &t, NULL);
		assert_true(rc >= 0);
		assert_true((rc == 0) == (t != NULL));
		topo_free(t);
	}
}

static void test_parse_file(void **state)
{
	(void)state;
	char path[] = "/tmp/test_fabric_topo_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, good, strlen(good)), (ssize_t)strlen(good));
	close(fd);
	struct topo *t;
	assert_int_equal(topo_parse_file(path, &t, NULL), 0);
	assert_string_equal(t->file, path);
	assert_int_equal(t->n_steps, 19);
	topo_free(t);
	unlink(path);

	size_t n = 0;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &n);
	assert_int_equal(topo_parse_file("/nonexistent/x.topo", &t, f), 1);
	fclose(f);
	assert_null(t);
	assert_string_equal(buf, "/nonexistent/x.topo: error: cannot read the file: No such file or directory\n");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_lab),
		cmocka_unit_test(test_lookups_and_names),
		cmocka_unit_test(test_architecture_example),
		cmocka_unit_test(test_digest_sides),
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_error_messages),
		cmocka_unit_test(test_error_format),
		cmocka_unit_test(test_many_errors),
		cmocka_unit_test(test_warning_subnet),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_robustness),
		cmocka_unit_test(test_parse_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
