/* test_node_ctl.c: the node's control line protocol over a socketpair:
 * request splitting and quoting, data/ok/err replies, events, bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "ctl.h"

static char got[8][64];
static int got_argc;

/* echo_handler: records argv, answers two data lines and ok. */
static void echo_handler(void *ctx, struct ctl_req r, int argc, char **argv)
{
	struct ctl_server *c = ctx;
	got_argc = argc;
	for (int i = 0; i < argc && i < 8; i++)
		snprintf(got[i], sizeof(got[i]), "%s", argv[i]);
	if (!strcmp(argv[0], "fail")) {
		ctl_err(c, r, "no such thing: %s", argc > 1 ? argv[1] : "");
		return;
	}
	ctl_data(c, r, "first %d", argc);
	ctl_data_block(c, r, "a\nb", 3);
	ctl_ok(c, r, "n=%d", argc);
}

struct fixture {
	struct ctl_server srv;
	struct ctl_conn *conn;
	int peer;
};

static int setup(void **state)
{
	static struct fixture f;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ctl_init(&f.srv, echo_handler, &f.srv);
	f.conn = ctl_adopt(&f.srv, sv[0]);
	assert_non_null(f.conn);
	f.peer = sv[1];
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	ctl_close_all(&f->srv);
	close(f->peer);
	return 0;
}

/* exchange: sends text, drives the server, returns what came back. */
static const char *exchange(struct fixture *f, const char *text)
{
	static char buf[8192];
	assert_int_equal(write(f->peer, text, strlen(text)), (ssize_t)strlen(text));
	assert_true(ctl_on_readable(&f->srv, f->conn));
	ssize_t n = recv(f->peer, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void request_reply(void **state)
{
	struct fixture *f = *state;
	const char *out = exchange(f, "7 listen web 'a b' \"c d\"e\n");
	assert_int_equal(got_argc, 4);
	assert_string_equal(got[0], "listen");
	assert_string_equal(got[2], "a b");
	assert_string_equal(got[3], "c de");
	assert_string_equal(out, "7 | first 4\n7 | a\n7 | b\n7 ok n=4\n");
	out = exchange(f, "8 fail thing\r\n");
	assert_string_equal(out, "8 err no such thing: thing\n");
}

static void split_across_writes(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(write(f->peer, "12 pi", 5), 5);
	assert_true(ctl_on_readable(&f->srv, f->conn));
	const char *out = exchange(f, "ng x\n13 y\n");
	assert_string_equal(out, "12 | first 2\n12 | a\n12 | b\n12 ok n=2\n"
				 "13 | first 1\n13 | a\n13 | b\n13 ok n=1\n");
}

static void bad_requests(void **state)
{
	struct fixture *f = *state;
	got_argc = -1;
	assert_string_equal(exchange(f, "ping\n"), "0 err bad request: a request starts with a numeric id\n");
	assert_string_equal(exchange(f, "5\n"), "5 err bad request: no verb\n");
	assert_string_equal(exchange(f, "6 x 'open\n"),
			    "6 err bad request: unbalanced quotes or more than 64 arguments\n");
	assert_int_equal(got_argc, -1); /* the handler never saw any of them */

	char big[CTL_LINE_MAX + 100];
	memset(big, 'x', sizeof(big));
	big[0] = '9';
	big[1] = ' ';
	big[sizeof(big) - 1] = '\n';
	assert_int_equal(write(f->peer, big, sizeof(big)), (ssize_t)sizeof(big));
	assert_true(ctl_on_readable(&f->srv, f->conn));
	char buf[256];
	ssize_t n = recv(f->peer, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	assert_string_equal(buf, "0 err bad request: line longer than 4096 bytes\n");
	/* The connection still works afterwards. */
	assert_string_equal(exchange(f, "10 ok\n"), "10 | first 1\n10 | a\n10 | b\n10 ok n=1\n");
}

static void events_and_hangup(void **state)
{
	struct fixture *f = *state;
	char buf[128];
	ctl_event(&f->srv, "ready pid=%d", 42);
	ssize_t n = recv(f->peer, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	assert_string_equal(buf, "* ready pid=42\n");
	assert_false(ctl_primary_gone(&f->srv));
	close(f->peer);
	f->peer = -1;
	assert_false(ctl_on_readable(&f->srv, f->conn)); /* freed */
	assert_true(ctl_primary_gone(&f->srv));
	/* A late reply to a gone connection is dropped, not a crash. */
	struct ctl_req r = {.conn_serial = 1, .id = 3};
	assert_false(ctl_ok(&f->srv, r, "late"));
}

static void split_in_place(void **state)
{
	(void)state;
	char line[] = "connect c 10.0.0.2:80", quoted[] = "a 'b c'd \"\" e";
	char *argv[8];
	assert_int_equal(ctl_split(line, argv, 8), 3);
	assert_string_equal(argv[0], "connect");
	assert_string_equal(argv[2], "10.0.0.2:80");
	assert_int_equal(ctl_split(quoted, argv, 8), 4);
	assert_string_equal(argv[1], "b cd");
	assert_string_equal(argv[2], "");
	assert_string_equal(argv[3], "e");
	char many[] = "a b c";
	assert_int_equal(ctl_split(many, argv, 2), -1);
}

/* A client (not the controller) that keeps asking and never reads: the
 * node holds at most out_max bytes of replies for it, then closes the
 * connection; it never grows without bound, and never blocks. */
static void unread_replies_bounded(void **state)
{
	struct fixture *f = *state;
	f->srv.out_max = 64 * 1024;
	char path[64];
	snprintf(path, sizeof(path), "/tmp/nb-ctl-test-%d.sock", (int)getpid());
	assert_int_equal(ctl_listen(&f->srv, path), 0);
	int cl = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(cl, (struct sockaddr *)&sa, sizeof(sa)), 0);
	struct ctl_conn *slow = ctl_accept(&f->srv);
	assert_non_null(slow);
	char req[64];
	bool closed = false;
	for (int i = 0; i < 20000 && !closed; i++) {
		int n = snprintf(req, sizeof(req), "%d verb with some words\n", i + 1);
		assert_int_equal(write(cl, req, (size_t)n), n);
		closed = !ctl_on_readable(&f->srv, slow);
	}
	assert_true(closed);
	/* the connection is gone: the client sees the end after what was sent */
	char buf[65536];
	ssize_t r, total = 0;
	while ((r = read(cl, buf, sizeof(buf))) > 0)
		total += r;
	assert_int_equal(r, 0);
	assert_true(total > 0);
	close(cl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(split_in_place),
		cmocka_unit_test_setup_teardown(request_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(split_across_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(events_and_hangup, setup, teardown),
		cmocka_unit_test_setup_teardown(unread_replies_bounded, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
