/* test_node_sock.c: the socket layer: descriptors, errors as an app sees
 * them, non-blocking semantics, watcher events and re-entrancy, over two
 * stacks wired back to back (wire.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "sock.h"
#include "wire.h"

static int setup(void **state)
{
	*state = wire_pair_new(11, NB_MS(1));
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	struct wire_pair *l = *state;
	wire_pair_free(l);
	return 0;
}

struct evlog {
	unsigned events, last;
	int calls;
};

static void log_watch(struct nb_stack *s, int fd, unsigned ev, void *arg)
{
	struct evlog *e = arg;
	e->events |= ev;
	e->last = ev;
	e->calls++;
}

#define ALL_EV (NB_EV_READ | NB_EV_WRITE | NB_EV_CONNECT | NB_EV_ERROR | NB_EV_HUP)

static void test_fd_allocation(void **state)
{
	struct wire_pair *l = *state;
	int a = nb_socket(l->a, NB_SOCK_STREAM, "t");
	int b = nb_socket(l->a, NB_SOCK_DGRAM, "t");
	int c = nb_socket(l->a, NB_SOCK_STREAM, "t");
	assert_int_equal(a, 3);
	assert_int_equal(b, 4);
	assert_int_equal(c, 5);
	assert_int_equal(nb_close(l->a, b), 0);
	assert_int_equal(nb_close(l->a, b), -EBADF);     /* twice */
	assert_int_equal(nb_socket(l->a, NB_SOCK_DGRAM, "t"), 4);    /* lowest free reused */
	assert_int_equal(nb_close(l->a, a), 0);
	assert_int_equal(nb_socket(l->a, NB_SOCK_STREAM, "t"), 3);
	assert_int_equal(nb_socket(l->a, NB_SOCK_STREAM, "t"), 6);
	assert_int_equal(nb_socket(l->a, (enum nb_sock_type)7, "t"), -EPROTONOSUPPORT);
	/* descriptors are per stack */
	assert_int_equal(nb_socket(l->b, NB_SOCK_STREAM, "t"), 3);
	/* many: the table grows */
	int last = 0;
	for (int i = 0; i < 200; i++)
		last = nb_socket(l->a, NB_SOCK_DGRAM, "many");
	assert_int_equal(last, 206);
	for (int fd = 3; fd <= 206; fd++)
		assert_int_equal(nb_close(l->a, fd), 0);
	assert_int_equal(nb_socket(l->a, NB_SOCK_DGRAM, "t"), 3);
}

static void test_ebadf(void **state)
{
	struct wire_pair *l = *state;
	struct nb_stack *s = l->a;
	int bad[] = {-1, 0, 1, 2, 3, 99, 1 << 20};
	char buf[4];
	uint32_t addr;
	uint16_t port;
	for (size_t i = 0; i < NB_ARRAY_LEN(bad); i++) {
		int fd = bad[i];
		assert_int_equal(nb_bind(s, fd, 0, 1), -EBADF);
		assert_int_equal(nb_listen(s, fd, 1), -EBADF);
		assert_int_equal(nb_accept(s, fd, &addr, &port), -EBADF);
		assert_int_equal(nb_connect(s, fd, l->baddr, 1), -EBADF);
		assert_int_equal(nb_send(s, fd, buf, 1, 0), -EBADF);
		assert_int_equal(nb_recv(s, fd, buf, 1, 0), -EBADF);
		assert_int_equal(nb_sendto(s, fd, buf, 1, l->baddr, 1), -EBADF);
		assert_int_equal(nb_recvfrom(s, fd, buf, 1, &addr, &port), -EBADF);
		assert_int_equal(nb_shutdown(s, fd, SHUT_WR), -EBADF);
		assert_int_equal(nb_close(s, fd), -EBADF);
		assert_int_equal(nb_abort(s, fd), -EBADF);
		assert_int_equal(nb_setsockopt(s, fd, NB_SO_NODELAY, 1), -EBADF);
		assert_int_equal(nb_sock_error(s, fd), -EBADF);
		assert_int_equal(nb_getsockname(s, fd, &addr, &port), -EBADF);
		assert_int_equal(nb_getpeername(s, fd, &addr, &port), -EBADF);
		assert_int_equal(nb_sock_watch(s, fd, NB_EV_READ, log_watch, NULL), -EBADF);
		assert_int_equal(nb_sock_poll(s, fd), 0);
	}
}

static void test_nonblocking_errors(void **state)
{
	struct wire_pair *l = *state;
	struct nb_stack *a = l->a;
	char buf[16];
	int t = nb_socket(a, NB_SOCK_STREAM, "t");
	assert_int_equal(nb_send(a, t, "x", 1, 0), -ENOTCONN);
	assert_int_equal(nb_recv(a, t, buf, 1, 0), -ENOTCONN);
	assert_int_equal(nb_accept(a, t, NULL, NULL), -EINVAL);
	assert_int_equal(nb_shutdown(a, t, SHUT_WR), -ENOTCONN);
	assert_int_equal(nb_getpeername(a, t, NULL, NULL), -ENOTCONN);
	assert_int_equal(nb_shutdown(a, t, 7), -EINVAL);
	assert_int_equal(nb_bind(a, t, l->baddr, 80), -EADDRNOTAVAIL);

	int ls = nb_socket(a, NB_SOCK_STREAM, "srv");
	assert_int_equal(nb_bind(a, ls, 0, 80), 0);
	assert_int_equal(nb_listen(a, ls, 4), 0);
	assert_int_equal(nb_accept(a, ls, NULL, NULL), -EAGAIN);
	assert_int_equal(nb_recv(a, ls, buf, 1, 0), -ENOTCONN);
	assert_int_equal(nb_connect(a, ls, l->baddr, 80), -EISCONN);
	int ls2 = nb_socket(a, NB_SOCK_STREAM, "srv");
	assert_int_equal(nb_bind(a, ls2, 0, 80), -EADDRINUSE);
	assert_int_equal(nb_bind(a, ls2, l->aaddr, 80), -EADDRINUSE);

	/* connect: in progress, then established */
	int c = nb_socket(l->b, NB_SOCK_STREAM, "cli");
	assert_int_equal(nb_connect(l->b, c, l->aaddr, 80), -EINPROGRESS);
	assert_int_equal(nb_connect(l->b, c, l->aaddr, 80), -EALREADY);
	assert_int_equal(nb_send(l->b, c, "x", 1, 0), -EAGAIN);
	assert_int_equal(nb_recv(l->b, c, buf, 1, 0), -EAGAIN);
	assert_int_equal(nb_listen(l->b, c, 1), -EINVAL);
	wire_run_idle(&l->w, NB_MS(100));
	assert_int_equal(nb_connect(l->b, c, l->aaddr, 80), -EISCONN);
	assert_int_equal(nb_recv(l->b, c, buf, 1, 0), -EAGAIN);
	uint32_t pa;
	uint16_t pp;
	int s = nb_accept(a, ls, &pa, &pp);
	assert_true(s >= 3);
	assert_int_equal(pa, l->baddr);
	uint16_t cport;
	nb_getsockname(l->b, c, NULL, &cport);
	assert_int_equal(pp, cport);
	assert_int_equal(nb_accept(a, ls, NULL, NULL), -EAGAIN);

	/* send after SHUT_WR is EPIPE; the peer reads end of stream */
	assert_int_equal(nb_send(l->b, c, "abc", 3, NB_MSG_PUSH), 3);
	assert_int_equal(nb_shutdown(l->b, c, SHUT_WR), 0);
	assert_int_equal(nb_send(l->b, c, "x", 1, 0), -EPIPE);
	wire_run_idle(&l->w, NB_MS(100));
	assert_int_equal(nb_recv(a, s, buf, sizeof(buf), 0), 3);
	assert_int_equal(nb_recv(a, s, buf, sizeof(buf), 0), 0);
	assert_int_equal(nb_recv(a, s, buf, sizeof(buf), 0), 0);
	/* the other direction still works (half close) */
	assert_int_equal(nb_send(a, s, "back", 4, NB_MSG_PUSH), 4);
	wire_run_idle(&l->w, NB_MS(100));
	assert_int_equal(nb_recv(l->b, c, buf, sizeof(buf), 0), 4);
	/* UDP specifics */
	int u = nb_socket(a, NB_SOCK_DGRAM, "u");
	assert_int_equal(nb_send(a, u, "x", 1, 0), -EDESTADDRREQ);
	assert_int_equal(nb_recv(a, u, buf, 1, 0), -EAGAIN);
	assert_int_equal(nb_listen(a, u, 1), -EOPNOTSUPP);
	assert_int_equal(nb_accept(a, u, NULL, NULL), -EOPNOTSUPP);
	assert_int_equal(nb_setsockopt(a, u, NB_SO_NODELAY, 1), -ENOPROTOOPT);
	nb_close(a, s);
	nb_close(l->b, c);
	nb_close(a, ls);
	nb_close(a, ls2);
	nb_close(a, t);
	nb_close(a, u);
}

static void test_connect_errors(void **state)
{
	struct wire_pair *l = *state;
	/* refused: nobody listens */
	int c = nb_socket(l->b, NB_SOCK_STREAM, "cli");
	struct evlog ev = {0};
	nb_sock_watch(l->b, c, ALL_EV, log_watch, &ev);
	assert_int_equal(nb_connect(l->b, c, l->aaddr, 81), -EINPROGRESS);
	wire_run_idle(&l->w, NB_SEC(1));
	assert_true(ev.events & NB_EV_CONNECT);
	assert_true(ev.events & NB_EV_ERROR);
	assert_int_equal(nb_sock_error(l->b, c), -ECONNREFUSED);
	assert_int_equal(nb_sock_error(l->b, c), 0);
	nb_close(l->b, c);

	/* no route: at once */
	uint32_t far;
	nb_ip4_parse("192.0.2.9", &far);
	c = nb_socket(l->b, NB_SOCK_STREAM, "cli");
	assert_int_equal(nb_connect(l->b, c, far, 80), -ENETUNREACH);
	nb_close(l->b, c);

	/* timeout: the link is down, SYNs are lost */
	char err[64];
	assert_int_equal(params_set(&l->b->params, "tcp.syn_retries", "2", err, sizeof(err)), 0);
	assert_int_equal(params_set(&l->b->params, "tcp.rto_initial", "100ms", err, sizeof(err)), 0);
	wire_set_down(&l->w, l->link, true);
	c = nb_socket(l->b, NB_SOCK_STREAM, "cli");
	memset(&ev, 0, sizeof(ev));
	nb_sock_watch(l->b, c, ALL_EV, log_watch, &ev);
	assert_int_equal(nb_connect(l->b, c, l->aaddr, 80), -EINPROGRESS);
	wire_run_for(&l->w, NB_SEC(10));
	assert_true(ev.events & NB_EV_CONNECT);
	assert_int_equal(nb_sock_error(l->b, c), -ETIMEDOUT);
	nb_close(l->b, c);
	wire_set_down(&l->w, l->link, false);

	/* host unreachable: nobody answers ARP for .3 */
	uint32_t ghost;
	nb_ip4_parse("10.0.0.3", &ghost);
	c = nb_socket(l->b, NB_SOCK_STREAM, "cli");
	memset(&ev, 0, sizeof(ev));
	nb_sock_watch(l->b, c, ALL_EV, log_watch, &ev);
	assert_int_equal(nb_connect(l->b, c, ghost, 80), -EINPROGRESS);
	wire_run_for(&l->w, NB_SEC(30));
	assert_true(ev.events & NB_EV_CONNECT);
	int e = nb_sock_error(l->b, c);
	assert_true(e == -EHOSTUNREACH || e == -ETIMEDOUT);
	nb_close(l->b, c);
}

/* pair: a connected TCP pair: *cs on b (client), *ss on a (server). */
static void pair(struct wire_pair *l, int *ls, int *cs, int *ss)
{
	*ls = nb_socket(l->a, NB_SOCK_STREAM, "srv");
	assert_int_equal(nb_bind(l->a, *ls, 0, 8080), 0);
	assert_int_equal(nb_listen(l->a, *ls, 8), 0);
	*cs = nb_socket(l->b, NB_SOCK_STREAM, "cli");
	assert_int_equal(nb_connect(l->b, *cs, l->aaddr, 8080), -EINPROGRESS);
	wire_run_idle(&l->w, NB_MS(100));
	*ss = nb_accept(l->a, *ls, NULL, NULL);
	assert_true(*ss >= 3);
}

static void test_watch_events(void **state)
{
	struct wire_pair *l = *state;
	int ls = nb_socket(l->a, NB_SOCK_STREAM, "srv");
	nb_bind(l->a, ls, 0, 8080);
	nb_listen(l->a, ls, 8);
	struct evlog lev = {0}, cev = {0}, sev = {0};
	nb_sock_watch(l->a, ls, NB_EV_READ, log_watch, &lev);
	int cs = nb_socket(l->b, NB_SOCK_STREAM, "cli");
	nb_sock_watch(l->b, cs, ALL_EV, log_watch, &cev);
	nb_connect(l->b, cs, l->aaddr, 8080);
	wire_run_idle(&l->w, NB_MS(100));
	assert_true(lev.events & NB_EV_READ);
	assert_int_equal(cev.events & (NB_EV_CONNECT | NB_EV_WRITE), NB_EV_CONNECT | NB_EV_WRITE);
	assert_false(cev.events & (NB_EV_ERROR | NB_EV_HUP | NB_EV_READ));
	assert_int_equal(nb_sock_error(l->b, cs), 0);
	int ss = nb_accept(l->a, ls, NULL, NULL);
	assert_true(ss >= 3);
	nb_sock_watch(l->a, ss, ALL_EV, log_watch, &sev);
	wire_run_idle(&l->w, NB_MS(10));
	assert_true(sev.events & NB_EV_WRITE);      /* watch reports what already holds */
	assert_false(sev.events & NB_EV_READ);
	assert_int_equal(nb_sock_poll(l->a, ss), NB_EV_WRITE);

	sev.events = 0;
	nb_send(l->b, cs, "hi", 2, NB_MSG_PUSH);
	wire_run_idle(&l->w, NB_MS(100));
	assert_true(sev.events & NB_EV_READ);
	/* peer closes: READ (end of stream) and HUP */
	sev.events = 0;
	nb_close(l->b, cs);
	wire_run_idle(&l->w, NB_MS(100));
	assert_true(sev.events & NB_EV_READ);
	assert_true(sev.events & NB_EV_HUP);
	char buf[8];
	assert_int_equal(nb_recv(l->a, ss, buf, sizeof(buf), 0), 2);
	assert_int_equal(nb_recv(l->a, ss, buf, sizeof(buf), 0), 0);
	/* watcher removal: no more calls */
	int calls = sev.calls;
	nb_sock_watch(l->a, ss, 0, NULL, NULL);
	nb_close(l->a, ss);
	nb_close(l->a, ls);
	wire_run_idle(&l->w, NB_SEC(1));
	assert_int_equal(sev.calls, calls);
}

static void test_reset_and_epipe(void **state)
{
	struct wire_pair *l = *state;
	int ls, cs, ss;
	pair(l, &ls, &cs, &ss);
	struct evlog cev = {0};
	nb_sock_watch(l->b, cs, ALL_EV, log_watch, &cev);
	assert_int_equal(nb_abort(l->a, ss), 0);
	wire_run_idle(&l->w, NB_MS(100));
	assert_true(cev.events & NB_EV_ERROR);
	assert_true(cev.events & NB_EV_HUP);
	char buf[8];
	assert_int_equal(nb_recv(l->b, cs, buf, sizeof(buf), 0), -ECONNRESET);
	ssize_t n = nb_send(l->b, cs, "x", 1, 0);
	assert_true(n == -EPIPE || n == -ECONNRESET);
	nb_close(l->b, cs);
	nb_close(l->a, ls);
}

/* A watcher that closes its own fd, and another one, from the callback. */
struct closer {
	struct nb_stack *s;
	int other;          /* fd to close too, -1 = none */
	int calls;
	int reopened;
};

static void closing_watch(struct nb_stack *s, int fd, unsigned ev, void *arg)
{
	struct closer *c = arg;
	c->calls++;
	assert_int_equal(nb_close(s, fd), 0);
	if (c->other >= 0) {
		assert_int_equal(nb_close(s, c->other), 0);
		c->other = -1;
	}
	/* the fd is free at once: a new socket may take it in the callback */
	c->reopened = nb_socket(s, NB_SOCK_DGRAM, "again");
}

static void test_close_in_callback(void **state)
{
	struct wire_pair *l = *state;
	int ls, cs, ss;
	pair(l, &ls, &cs, &ss);
	/* two server-side sockets become readable in the same dispatch: the
	 * first watcher closes both; the second must never be called. */
	int cs2 = nb_socket(l->b, NB_SOCK_STREAM, "cli");
	nb_connect(l->b, cs2, l->aaddr, 8080);
	wire_run_idle(&l->w, NB_MS(100));
	int ss2 = nb_accept(l->a, ls, NULL, NULL);
	assert_true(ss2 >= 3);
	struct closer c1 = {l->a, ss2, 0, -1}, c2 = {l->a, -1, 0, -1};
	nb_sock_watch(l->a, ss, NB_EV_READ, closing_watch, &c1);
	nb_sock_watch(l->a, ss2, NB_EV_READ, closing_watch, &c2);
	nb_send(l->b, cs, "1", 1, NB_MSG_PUSH);
	nb_send(l->b, cs2, "2", 1, NB_MSG_PUSH);
	wire_run_idle(&l->w, NB_MS(100));
	assert_int_equal(c1.calls, 1);
	assert_int_equal(c2.calls, 0);
	assert_int_equal(c1.reopened, ss2 < ss ? ss2 : ss);   /* the lowest fd freed */
	assert_int_equal(nb_sock_poll(l->a, c1.reopened) & NB_EV_WRITE, NB_EV_WRITE);
	nb_close(l->a, c1.reopened);
	/* the peers see the closes (data was unread: RST, or FIN) */
	char buf[4];
	ssize_t n = nb_recv(l->b, cs, buf, sizeof(buf), 0);
	assert_true(n == 0 || n == -ECONNRESET);
	nb_close(l->b, cs);
	nb_close(l->b, cs2);
	nb_close(l->a, ls);
	wire_run_idle(&l->w, NB_SEC(1));
}

/* A watcher that replaces itself, and one that closes the listener while
 * accepting. */
static void accept_and_close(struct nb_stack *s, int fd, unsigned ev, void *arg)
{
	int *accepted = arg;
	int c;
	while ((c = nb_accept(s, fd, NULL, NULL)) >= 0) {
		(*accepted)++;
		nb_close(s, c);
	}
	nb_close(s, fd);
}

static void test_close_listener_in_callback(void **state)
{
	struct wire_pair *l = *state;
	int ls = nb_socket(l->a, NB_SOCK_STREAM, "srv");
	nb_bind(l->a, ls, 0, 9090);
	nb_listen(l->a, ls, 8);
	int accepted = 0;
	nb_sock_watch(l->a, ls, NB_EV_READ, accept_and_close, &accepted);
	int c[3];
	for (int i = 0; i < 3; i++) {
		c[i] = nb_socket(l->b, NB_SOCK_STREAM, "cli");
		nb_connect(l->b, c[i], l->aaddr, 9090);
	}
	wire_run_idle(&l->w, NB_SEC(1));
	assert_true(accepted >= 1);
	assert_int_equal(nb_sock_poll(l->a, ls), 0);        /* gone */
	for (int i = 0; i < 3; i++)
		nb_close(l->b, c[i]);
	wire_run_idle(&l->w, NB_SEC(1));
}

static void test_bulk_transfer_flow_control(void **state)
{
	struct wire_pair *l = *state;
	int ls, cs, ss;
	pair(l, &ls, &cs, &ss);
	/* fill the send buffer until EAGAIN, then drain the peer and see WRITE */
	static uint8_t chunk[65536];
	size_t queued = 0;
	ssize_t n;
	while ((n = nb_send(l->b, cs, chunk, sizeof(chunk), 0)) > 0)
		queued += (size_t)n;
	assert_int_equal(n, -EAGAIN);
	assert_false(nb_sock_poll(l->b, cs) & NB_EV_WRITE);
	struct evlog cev = {0};
	nb_sock_watch(l->b, cs, NB_EV_WRITE, log_watch, &cev);
	size_t got = 0;
	for (int round = 0; round < 1000 && got < queued; round++) {
		wire_run_for(&l->w, NB_MS(5));
		while ((n = nb_recv(l->a, ss, chunk, sizeof(chunk), 0)) > 0)
			got += (size_t)n;
	}
	assert_int_equal(got, queued);
	assert_true(cev.events & NB_EV_WRITE);
	nb_close(l->b, cs);
	nb_close(l->a, ss);
	nb_close(l->a, ls);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fd_allocation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ebadf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nonblocking_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_and_epipe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_in_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_listener_in_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bulk_transfer_flow_control, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
