/* app_conn.c: the accepted connections of server apps (echo, sink, http):
 * accepting them, ending one with its report, and closing them all. */
#include "app_impl.h"

#include <errno.h>
#include <stdlib.h>

void app_accept_all(struct app *a, int lfd, struct app_conn **list, size_t size, bool nodelay,
		    unsigned mask, nb_sock_watch_fn fn)
{
	struct nb_stack *s = a->stack;
	for (;;) {
		uint32_t peer;
		uint16_t pport;
		int cfd = nb_accept(s, lfd, &peer, &pport);
		if (cfd < 0)
			return;
		struct app_conn *c = calloc(1, size);
		if (!c) {
			nb_abort(s, cfd);
			continue;
		}
		c->app = a;
		c->fd = cfd;
		c->id = ++a->conns_total;
		c->peer = peer;
		c->pport = pport;
		lazy_hash_init(&c->hash, a->rx_hash.seed);
		c->next = *list;
		*list = c;
		a->conns_open++;
		if (nodelay)
			nb_setsockopt(s, cfd, NB_SO_NODELAY, 1);
		nb_sock_watch(s, cfd, mask, fn, c);
	}
}

void app_conn_end(struct app *a, struct app_conn **list, struct app_conn *c, int err)
{
	for (struct app_conn **pp = list; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	if (err)
		nb_abort(a->stack, c->fd);
	else
		nb_close(a->stack, c->fd);
	a->conns_open--;
	struct app_report r = {
		.kind = APP_REP_CONN_END, .conn = c->id, .peer_addr = c->peer, .peer_port = c->pport,
		.bytes = c->bytes, .error = err, .detail = err ? app_strerror(err) : "closed",
	};
	lazy_hash_digest(&c->hash, r.digest);
	free(c);
	app_emit(a, &r);
}

void app_conns_close(struct app *a, struct app_conn **list)
{
	while (*list) {
		struct app_conn *c = *list;
		*list = c->next;
		nb_close(a->stack, c->fd);
		free(c);
	}
	a->conns_open = 0;
}
