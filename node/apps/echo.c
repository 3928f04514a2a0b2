/* echo.c: echo server (RFC 862 over TCP): every byte a client sends comes
 * back to it. Each connection has a buffer; while the buffer holds unsent
 * bytes nothing more is read, so a slow reader slows its writer down (TCP
 * flow control end to end) instead of growing memory. */
#include "app_impl.h"

#include <errno.h>
#include <stdlib.h>

struct echo_conn {
	struct app_conn base;          /* first: the shared part */
	size_t len, off;              /* buf[off..len) waits to be sent */
	uint8_t buf[APP_IO_CHUNK];
};

struct echo {
	int lfd;
	int limit;                    /* connections before DONE; 0 = none */
	bool nodelay;
	struct app_conn *conns;
};

/* conn_end: reports and closes one connection (gracefully unless err). */
static void conn_end(struct app *a, struct echo_conn *c, int err)
{
	struct echo *e = a->priv;
	app_conn_end(a, &e->conns, &c->base, err);
	if (e->limit && a->conns_total >= e->limit && a->conns_open == 0)
		app_finish(a, false, 0, "%d connections served", a->conns_total);
}

/* conn_pump: sends what is buffered, then reads and sends until the socket
 * has nothing more or cannot take more. */
static void conn_pump(struct app *a, struct echo_conn *c)
{
	struct nb_stack *s = a->stack;
	for (;;) {
		while (c->off < c->len) {
			ssize_t n = nb_send(s, c->base.fd, c->buf + c->off, c->len - c->off, NB_MSG_PUSH);
			if (n == -EAGAIN)
				return;            /* NB_EV_WRITE brings us back */
			if (n < 0) {
				conn_end(a, c, (int)n);
				return;
			}
			c->off += (size_t)n;
			a->bytes_out += (uint64_t)n;
			lazy_hash_update(&a->tx_hash, c->buf + c->off - (size_t)n, (size_t)n);
		}
		ssize_t n = nb_recv(s, c->base.fd, c->buf, sizeof(c->buf), 0);
		if (n == -EAGAIN)
			return;
		if (n <= 0) {                      /* end of stream, all echoed; or error */
			conn_end(a, c, (int)n);
			return;
		}
		c->off = 0;
		c->len = (size_t)n;
		c->base.bytes += (uint64_t)n;
		a->bytes_in += (uint64_t)n;
		lazy_hash_update2(&c->base.hash, &a->rx_hash, c->buf, (size_t)n);
	}
}

/* on_conn: watcher of a connection: move bytes. */
static void on_conn(struct nb_stack *s, int fd, unsigned ev, void *arg)
{
	struct echo_conn *c = arg;
	struct app *a = c->base.app;
	app_enter(a);
	conn_pump(a, c);
	app_leave(a);
}

/* on_listen: watcher of the listener: accept everything waiting. */
static void on_listen(struct nb_stack *s, int fd, unsigned ev, void *arg)
{
	struct app *a = arg;
	struct echo *e = a->priv;
	app_enter(a);
	app_accept_all(a, fd, &e->conns, sizeof(struct echo_conn), e->nodelay,
		       NB_EV_READ | NB_EV_WRITE | NB_EV_HUP | NB_EV_ERROR, on_conn);
	app_leave(a);
}

/* echo_start: listens on args->addr:port. */
static int echo_start(struct app *a, const struct app_args *args)
{
	struct echo *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->limit = args->conns;
	e->nodelay = args->nodelay;
	a->priv = e;
	e->lfd = app_listen(a, args, on_listen, a);
	if (e->lfd < 0) {
		int rc = e->lfd;
		free(e);
		a->priv = NULL;
		return rc;
	}
	return 0;
}

/* echo_stop: closes the listener and every connection. */
static void echo_stop(struct app *a)
{
	struct echo *e = a->priv;
	if (!e)
		return;
	nb_close(a->stack, e->lfd);
	app_conns_close(a, &e->conns);
	free(e);
	a->priv = NULL;
}

const struct app_ops app_echo_ops = {
	.kind = APP_ECHO, .name = "echo", .rx_primary = true, .start = echo_start, .stop = echo_stop,
};
