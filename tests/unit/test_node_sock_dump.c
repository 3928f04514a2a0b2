/* test_node_sock_dump.c: the socket table as netstat prints it (exact
 * lines), the ss-like extended view, JSON (checked by a strict validator)
 * and the counters, through a connection's life: listen, established,
 * close (FIN_WAIT2 / CLOSE_WAIT), TIME_WAIT; UDP sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "json_check.h"
#include "sock.h"
#include "sock_dump.h"
#include "wire.h"

#define HEAD "Active Internet connections (servers and established)\n" \
	"Proto Local Address           Foreign Address         State       PID/Program name\n"
#define L_LISTEN  "tcp   0.0.0.0:80              0.0.0.0:*               LISTEN      1000/web\n"
#define L_SRV_EST "tcp   10.0.0.1:80             10.0.0.2:40000          ESTABLISHED 1000/web\n"
#define L_DNS     "udp   0.0.0.0:53              *:*                                 1000/dns\n"
#define L_RES     "udp   10.0.0.1:5353           10.0.0.2:53             ESTABLISHED 1000/res\n"
#define L_CLI_EST "tcp   10.0.0.2:40000          10.0.0.1:80             ESTABLISHED 1001/cli\n"
#define L_CLI_TW  "tcp   10.0.0.2:40000          10.0.0.1:80             TIME_WAIT   -\n"
#define L_SRV_CW  "tcp   10.0.0.1:80             10.0.0.2:40000          CLOSE_WAIT  1000/web\n"
#define L_CLI_FW2 "tcp   10.0.0.2:40000          10.0.0.1:80             FIN_WAIT2   -\n"

struct lab {
	struct wire w;
	struct nb_stack *a, *b;
	uint32_t aaddr, baddr;
	struct strbuf sb;
};

static int setup(void **state)
{
	struct lab *l = calloc(1, sizeof(*l));
	wire_init(&l->w, 3);
	l->a = wire_add_stack(&l->w);
	l->b = wire_add_stack(&l->w);
	wire_link(&l->w, l->a, "10.0.0.1", l->b, "10.0.0.2", 24, 1500);
	nb_ip4_parse("10.0.0.1", &l->aaddr);
	nb_ip4_parse("10.0.0.2", &l->baddr);
	strbuf_init(&l->sb);
	*state = l;
	return 0;
}

static int teardown(void **state)
{
	struct lab *l = *state;
	strbuf_free(&l->sb);
	wire_free(&l->w);
	free(l);
	return 0;
}

/* text: the netstat table of s (valid until the next call). */
static const char *text(struct lab *l, struct nb_stack *s)
{
	strbuf_reset(&l->sb);
	assert_int_equal(sock_dump_text(s, &l->sb), 0);
	return strbuf_cstr(&l->sb);
}

static const char *ext(struct lab *l, struct nb_stack *s)
{
	strbuf_reset(&l->sb);
	assert_int_equal(sock_dump_ext(s, &l->sb), 0);
	return strbuf_cstr(&l->sb);
}

static const char *json(struct lab *l, struct nb_stack *s)
{
	strbuf_reset(&l->sb);
	assert_int_equal(sock_dump_json(s, &l->sb), 0);
	assert_true(json_valid(l->sb.buf, l->sb.len));
	return strbuf_cstr(&l->sb);
}

static void test_lifecycle(void **state)
{
	struct lab *l = *state;
	struct nb_stack *a = l->a, *b = l->b;
	assert_string_equal(text(l, a), HEAD);

	int ls = nb_socket(a, NB_SOCK_STREAM, "web");
	int fresh = nb_socket(a, NB_SOCK_STREAM, "idle");        /* unbound: not shown */
	nb_bind(a, ls, 0, 80);
	nb_listen(a, ls, 16);
	int dns = nb_socket(a, NB_SOCK_DGRAM, "dns");
	nb_bind(a, dns, 0, 53);
	int res = nb_socket(a, NB_SOCK_DGRAM, "res");
	nb_bind(a, res, l->aaddr, 5353);
	nb_connect(a, res, l->baddr, 53);
	nb_socket(a, NB_SOCK_DGRAM, "unbound");                    /* not shown */
	assert_string_equal(text(l, a), HEAD L_LISTEN L_DNS L_RES);

	int c = nb_socket(b, NB_SOCK_STREAM, "cli");
	assert_int_equal(nb_bind(b, c, 0, 40000), 0);
	assert_int_equal(nb_connect(b, c, l->aaddr, 80), -EINPROGRESS);
	wire_run_idle(&l->w, NB_SEC(1));
	/* not accepted yet: the connection waits in the listener's queue, no owner */
	assert_string_equal(text(l, a), HEAD L_LISTEN
			    "tcp   10.0.0.1:80             10.0.0.2:40000          ESTABLISHED -\n"
			    L_DNS L_RES);
	int s = nb_accept(a, ls, NULL, NULL);
	assert_true(s >= 3);
	assert_string_equal(text(l, a), HEAD L_LISTEN L_SRV_EST L_DNS L_RES);
	assert_string_equal(text(l, b), HEAD L_CLI_EST);

	/* extended view: owners with fds, control information */
	const char *x = ext(l, a);
	assert_non_null(strstr(x, "Netid State      Recv-Q Send-Q Local Address:Port      Peer Address:Port       Process\n"));
	assert_non_null(strstr(x, "tcp   LISTEN     0      0      0.0.0.0:80              0.0.0.0:*               users:((\"web\",pid=1000,fd=3))\n"));
	char want[128];
	snprintf(want, sizeof(want), "tcp   ESTAB      0      0      10.0.0.1:80             10.0.0.2:40000          users:((\"web\",pid=1000,fd=%d))\n", s);
	assert_non_null(strstr(x, want));
	assert_non_null(strstr(x, "mss:1460"));
	assert_non_null(strstr(x, " cwnd:"));
	assert_non_null(strstr(x, " ssthresh:"));
	assert_non_null(strstr(x, " srtt:"));
	assert_non_null(strstr(x, " rto:"));
	assert_non_null(strstr(x, " snd_una:"));
	assert_non_null(strstr(x, " rcv_wnd:"));
	assert_non_null(strstr(x, "udp   UNCONN     0      0      0.0.0.0:53              *:*"));
	assert_non_null(strstr(x, "udp   ESTAB"));
	assert_non_null(strstr(x, "backlog:16"));

	/* queues show up: unread bytes at the server */
	nb_send(b, c, "hello", 5, NB_MSG_PUSH);
	wire_run_idle(&l->w, NB_SEC(1));
	x = ext(l, a);
	snprintf(want, sizeof(want), "tcp   ESTAB      5      0      10.0.0.1:80 ");
	assert_non_null(strstr(x, want));
	char buf[8];
	assert_int_equal(nb_recv(a, s, buf, sizeof(buf), 0), 5);

	/* JSON */
	const char *j = json(l, a);
	assert_non_null(strstr(j, "\"pid\":1000"));
	assert_non_null(strstr(j, "\"proto\":\"tcp\",\"fd\":3,\"local\":\"0.0.0.0:80\",\"foreign\":\"0.0.0.0:*\""));
	assert_non_null(strstr(j, "\"state\":\"LISTEN\""));
	assert_non_null(strstr(j, "\"state\":\"ESTABLISHED\",\"tcp_state\":\"ESTABLISHED\""));
	assert_non_null(strstr(j, "\"pid_program\":\"1000/web\""));
	const char *keys[] = {"snd_una", "snd_nxt", "rcv_nxt", "snd_wnd", "rcv_wnd", "mss", "cwnd", "ssthresh",
			      "srtt_ns", "rttvar_ns", "rto_ns", "retransmits", "recv_q", "send_q", "timers",
			      "rx_datagrams", "rcvbuf"};
	for (size_t i = 0; i < NB_ARRAY_LEN(keys); i++) {
		char k[32];
		snprintf(k, sizeof(k), "\"%s\":", keys[i]);
		assert_non_null(strstr(j, k));
	}

	/* the client closes first: FIN_WAIT2 (orphan, no owner) / CLOSE_WAIT */
	nb_close(b, c);
	wire_run_idle(&l->w, NB_MS(500));
	assert_string_equal(text(l, b), HEAD L_CLI_FW2);
	assert_string_equal(text(l, a), HEAD L_LISTEN L_SRV_CW L_DNS L_RES);
	/* the server closes: the client holds TIME_WAIT */
	nb_close(a, s);
	wire_run_for(&l->w, NB_MS(500));
	assert_string_equal(text(l, b), HEAD L_CLI_TW);
	assert_string_equal(text(l, a), HEAD L_LISTEN L_DNS L_RES);
	x = ext(l, b);
	assert_non_null(strstr(x, "tcp   TIME-WAIT  0      0      10.0.0.2:40000          10.0.0.1:80             -\n"));
	assert_non_null(strstr(x, "timer:(timewait,"));
	j = json(l, b);
	assert_non_null(strstr(j, "\"state\":\"TIME_WAIT\""));
	assert_non_null(strstr(j, "\"fd\":null"));
	assert_non_null(strstr(j, "\"orphan\":true"));
	/* after 2 MSL it is gone */
	wire_run_for(&l->w, 2 * l->b->params.tcp_msl + NB_SEC(1));
	assert_string_equal(text(l, b), HEAD);
	nb_close(a, fresh);
}

static void test_ephemeral_and_sorting(void **state)
{
	struct lab *l = *state;
	int ls = nb_socket(l->a, NB_SOCK_STREAM, "web");
	nb_bind(l->a, ls, l->aaddr, 8080);
	nb_listen(l->a, ls, 4);
	int c1 = nb_socket(l->b, NB_SOCK_STREAM, "cli");
	int c2 = nb_socket(l->b, NB_SOCK_STREAM, "cli");
	nb_connect(l->b, c1, l->aaddr, 8080);
	nb_connect(l->b, c2, l->aaddr, 8080);
	wire_run_idle(&l->w, NB_SEC(1));
	uint16_t p1, p2;
	nb_getsockname(l->b, c1, NULL, &p1);
	nb_getsockname(l->b, c2, NULL, &p2);
	char want[512];
	uint16_t lo = NB_MIN(p1, p2), hi = NB_MAX(p1, p2);
	char l1[32], l2[32];
	snprintf(l1, sizeof(l1), "10.0.0.2:%u", lo);
	snprintf(l2, sizeof(l2), "10.0.0.2:%u", hi);
	snprintf(want, sizeof(want), HEAD "tcp   %-23s 10.0.0.1:8080           ESTABLISHED 1001/cli\n"
		 "tcp   %-23s 10.0.0.1:8080           ESTABLISHED 1001/cli\n", l1, l2);
	assert_string_equal(text(l, l->b), want);
	/* a listener bound to an address shows it */
	assert_non_null(strstr(text(l, l->a), "tcp   10.0.0.1:8080           0.0.0.0:*               LISTEN      1000/web\n"));
	nb_close(l->b, c1);
	nb_close(l->b, c2);
	nb_close(l->a, ls);
}

static void test_stats(void **state)
{
	struct lab *l = *state;
	int u = nb_socket(l->b, NB_SOCK_DGRAM, "u");
	nb_sendto(l->b, u, "x", 1, l->aaddr, 9);       /* port unreachable */
	wire_run_idle(&l->w, NB_SEC(1));
	strbuf_reset(&l->sb);
	assert_int_equal(stats_dump_text(l->a, &l->sb), 0);
	const char *t = strbuf_cstr(&l->sb);
	assert_int_equal(strncmp(t, "Eth:\n    rx_frames: ", 20), 0);
	assert_non_null(strstr(t, "\nUdp:\n    rx: 1\n"));
	assert_non_null(strstr(t, "    no_port: 1\n"));
	assert_non_null(strstr(t, "\nIp:\n"));
	assert_non_null(strstr(t, "\nIcmp:\n"));
	assert_non_null(strstr(t, "\nTcp:\n"));
	assert_non_null(strstr(t, "\nArp:\n"));
	strbuf_reset(&l->sb);
	assert_int_equal(stats_dump_json(l->a, &l->sb), 0);
	assert_true(json_valid(l->sb.buf, l->sb.len));
	assert_non_null(strstr(l->sb.buf, "\"udp\":{\"rx\":1,"));
	assert_non_null(strstr(l->sb.buf, "\"no_port\":1"));
	assert_int_equal(l->sb.buf[0], '{');
	nb_close(l->b, u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ephemeral_and_sorting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
