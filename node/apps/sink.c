/* sink.c: discard server that accounts for everything it receives: bytes
 * and SHA-256 per connection (reported when the connection ends) and over
 * all connections in arrival order (the app's digest). A connection ends
 * when the peer closes (the sink then closes too) or fails. */
#include "app_impl.h"

#include <errno.h>
#include <stdlib.h>

struct sink_conn {
	struct app_conn base;          /* all a sink keeps per connection */
};

struct sink {
	int lfd;
	int limit;
	struct app_conn *conns;
};

/* conn_end: unlinks, closes (abort on error), reports and frees c. */
static void conn_end(struct app *a, struct sink_conn *c, int err)
{
	struct sink *k = a->priv;
	app_conn_end(a, &k->conns, &c->base, err);
	if (k->limit && a->conns_total >= k->limit && a->conns_open == 0)
		app_finish(a, false, 0, "%d connections served", a->conns_total);
}

/* A sink reads in large pieces, as a program calling recv() with a big
 * buffer does: each read that opens the window by two segments or more
 * announces it (RFC 9293 3.8.6.2.2), so 16 KiB pieces would cost a window
 * update per 11 segments; 64 KiB ones, per 44. One buffer serves every
 * sink (a node is one thread; nothing here re-enters). */
#define SINK_READ (64 * 1024)
static uint8_t sink_buf[SINK_READ];

/* on_conn: reads until -EAGAIN, hashing; ends the connection at EOF or error. */
static void on_conn(struct nb_stack *s, int fd, unsigned ev, void *arg)
{
	struct sink_conn *c = arg;
	struct app *a = c->base.app;
	uint8_t *buf = sink_buf;
	app_enter(a);
	for (;;) {
		ssize_t n = nb_recv(s, fd, buf, SINK_READ, 0);
		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			conn_end(a, c, (int)n);
			break;
		}
		c->base.bytes += (uint64_t)n;
		a->bytes_in += (uint64_t)n;
		lazy_hash_update2(&c->base.hash, &a->rx_hash, buf, (size_t)n);
	}
	app_leave(a);
}

/* on_listen: accepts everything waiting. */
static void on_listen(struct nb_stack *s, int fd, unsigned ev, void *arg)
{
	struct app *a = arg;
	struct sink *k = a->priv;
	app_enter(a);
	app_accept_all(a, fd, &k->conns, sizeof(struct sink_conn), false,
		       NB_EV_READ | NB_EV_HUP | NB_EV_ERROR, on_conn);
	app_leave(a);
}

/* sink_start: listens on args->addr:port. */
static int sink_start(struct app *a, const struct app_args *args)
{
	struct sink *k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->limit = args->conns;
	a->priv = k;
	k->lfd = app_listen(a, args, on_listen, a);
	if (k->lfd < 0) {
		int rc = k->lfd;
		free(k);
		a->priv = NULL;
		return rc;
	}
	return 0;
}

/* sink_stop: closes the listener and every connection. */
static void sink_stop(struct app *a)
{
	struct sink *k = a->priv;
	if (!k)
		return;
	nb_close(a->stack, k->lfd);
	app_conns_close(a, &k->conns);
	free(k);
	a->priv = NULL;
}

const struct app_ops app_sink_ops = {
	.kind = APP_SINK, .name = "sink", .rx_primary = true, .start = sink_start, .stop = sink_stop,
};
