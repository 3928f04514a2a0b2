/* source.c: connects and sends `bytes` bytes of the pattern (pattern.h),
 * `chunk` bytes per send, hashing exactly what the stack accepted. Then it
 * half-closes (FIN after the data) and reads until the peer closes, hashing
 * anything the peer sent back (an echo server returns it all); DONE when the
 * peer's FIN arrives. With close_early it closes as soon as everything is
 * queued and is DONE at once. Any socket error makes it FAILED. */
#include "app_impl.h"
#include "pattern.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

struct source {
	int fd;
	uint64_t total, sent;
	uint64_t seed;
	size_t chunk;
	bool push, close_early;
	bool connected, shut;
	uint8_t *buf;
};

/* finish: closes the socket and ends the app. */
static void finish(struct app *a, int err, const char *what)
{
	struct source *src = a->priv;
	if (src->fd >= 0) {
		if (err)
			nb_abort(a->stack, src->fd);
		else
			nb_close(a->stack, src->fd);
		src->fd = -1;
		a->conns_open = 0;
	}
	if (err)
		app_finish(a, true, err, "%s: %s after %llu of %llu bytes", what, app_strerror(err),
			   (unsigned long long)src->sent, (unsigned long long)src->total);
	else
		app_finish(a, false, 0, "sent %llu bytes", (unsigned long long)src->sent);
}

/* pump_send: queues pattern bytes until done or the send buffer is full;
 * false if the app ended. */
static bool pump_send(struct app *a, struct source *src)
{
	while (src->sent < src->total) {
		size_t n = (size_t)NB_MIN((uint64_t)src->chunk, src->total - src->sent);
		pattern_fill(src->buf, n, src->sent, src->seed);
		bool last = src->sent + n == src->total;
		ssize_t w = nb_send(a->stack, src->fd, src->buf, n, src->push || last ? NB_MSG_PUSH : 0);
		if (w == -EAGAIN)
			return true;
		if (w < 0) {
			finish(a, (int)w, "send");
			return false;
		}
		lazy_hash_update(&a->tx_hash, src->buf, (size_t)w);
		src->sent += (uint64_t)w;
		a->bytes_out += (uint64_t)w;
	}
	if (!src->shut) {
		src->shut = true;
		if (src->close_early) {
			finish(a, 0, NULL);
			return false;
		}
		int rc = nb_shutdown(a->stack, src->fd, SHUT_WR);
		if (rc) {
			finish(a, rc, "shutdown");
			return false;
		}
	}
	return true;
}

/* pump_recv: reads whatever the peer sent; false if the app ended. */
static bool pump_recv(struct app *a, struct source *src)
{
	uint8_t buf[APP_IO_CHUNK];
	for (;;) {
		ssize_t n = nb_recv(a->stack, src->fd, buf, sizeof(buf), 0);
		if (n == -EAGAIN)
			return true;
		if (n < 0) {
			finish(a, (int)n, "recv");
			return false;
		}
		if (n == 0) {
			if (src->sent < src->total) {
				finish(a, -ECONNRESET, "peer closed early");
				return false;
			}
			finish(a, 0, NULL);
			return false;
		}
		a->bytes_in += (uint64_t)n;
		lazy_hash_update(&a->rx_hash, buf, (size_t)n);
	}
}

/* on_sock: the socket's watcher: connect outcome, then receive and send. */
static void on_sock(struct nb_stack *s, int fd, unsigned ev, void *arg)
{
	struct app *a = arg;
	struct source *src = a->priv;
	app_enter(a);
	if (!src->connected) {
		if (ev & NB_EV_CONNECT || ev & NB_EV_ERROR) {
			int err = nb_sock_error(s, fd);
			if (err) {
				finish(a, err, "connect");
				goto out;
			}
		}
		if (!(ev & NB_EV_CONNECT))
			goto out;
		src->connected = true;
		a->conns_open = 1;
		a->conns_total = 1;
	}
	if (pump_recv(a, src))
		pump_send(a, src);
out:
	app_leave(a);
}

/* source_start: starts connecting to args->addr:port. */
static int source_start(struct app *a, const struct app_args *args)
{
	struct source *src = calloc(1, sizeof(*src));
	if (!src)
		return -ENOMEM;
	src->total = args->bytes;
	src->seed = args->seed;
	src->chunk = args->chunk ? args->chunk : APP_IO_CHUNK;
	src->push = args->push;
	src->close_early = args->close_early;
	src->buf = malloc(src->chunk);
	if (!src->buf) {
		free(src);
		return -ENOMEM;
	}
	a->priv = src;
	src->fd = app_connect(a, args, args->addr, args->port, on_sock, a);
	if (src->fd < 0) {
		int rc = src->fd;
		free(src->buf);
		free(src);
		a->priv = NULL;
		return rc;
	}
	return 0;
}

/* source_stop: closes the connection (gracefully) and frees the state. */
static void source_stop(struct app *a)
{
	struct source *src = a->priv;
	if (!src)
		return;
	if (src->fd >= 0)
		nb_close(a->stack, src->fd);
	a->conns_open = 0;
	free(src->buf);
	free(src);
	a->priv = NULL;
}

const struct app_ops app_source_ops = {
	.kind = APP_SOURCE, .name = "source", .rx_primary = false, .start = source_start, .stop = source_stop,
};
