/* app_impl.h: what the app registry (app.c) shares with the apps
 * (echo.c, sink.c, ...). Not for users of apps: they include app.h.
 *
 * Every watcher callback of an app brackets its work with app_enter(a) /
 * app_leave(a): a report callback that stops the app then only marks it, and
 * app_leave() does the stop once the app's own code has returned.
 */
#ifndef NB_APPS_APP_IMPL_H
#define NB_APPS_APP_IMPL_H

#include "app.h"
#include "sha256.h"

#define APP_DEFAULT_BACKLOG 128
#define APP_IO_CHUNK 16384

struct app_ops {
	enum app_kind kind;
	const char *name;
	bool rx_primary;      /* primary stream: received (true) or sent bytes */
	/* start: opens sockets from args; 0 or -errno (then stop is not called
	 * and nothing may stay open). */
	int (*start)(struct app *a, const struct app_args *args);
	/* stop: closes every socket, frees priv; never reports. */
	void (*stop)(struct app *a);
};

extern const struct app_ops app_echo_ops, app_sink_ops, app_source_ops, app_http_ops, app_httpget_ops;

void app_enter(struct app *a);
/* app_leave: ends a bracket; may free a (do not touch it afterwards). */
void app_leave(struct app *a);
/* app_emit: hands r to the report callback (detail NULL becomes ""). */
void app_emit(struct app *a, struct app_report *r);
/* app_finish: once: status DONE (error == 0 and !failed) or FAILED, records
 * error/detail and reports APP_REP_DONE / APP_REP_FAILED with the totals. */
void app_finish(struct app *a, bool failed, int error, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* What every server app keeps per accepted connection; each app's own
 * connection struct begins with one, so the accept loop, the end-of-
 * connection report and the teardown are shared (app_conn.c). */
struct app_conn {
	struct app_conn *next;
	struct app *app;
	int fd, id;
	uint32_t peer;
	uint16_t pport;
	uint64_t bytes;              /* bytes received on it */
	struct lazy_hash hash;       /* of those bytes */
};

/* app_accept_all: accepts every connection waiting on lfd. Each gets a
 * zeroed allocation of size bytes (an app struct beginning with struct
 * app_conn), is pushed on *list and counted, made no-delay if asked, and
 * watched for mask with fn(arg = the connection). A connection that cannot
 * be allocated is aborted. */
void app_accept_all(struct app *a, int lfd, struct app_conn **list, size_t size, bool nodelay,
		    unsigned mask, nb_sock_watch_fn fn);
/* app_conn_end: unlinks c from *list, closes it (RST if err), emits its
 * CONN_END report with its byte count and digest, and frees it. */
void app_conn_end(struct app *a, struct app_conn **list, struct app_conn *c, int err);
/* app_conns_close: closes and frees every connection of *list (app stop). */
void app_conns_close(struct app *a, struct app_conn **list);

/* app_listen: socket + SO_REUSEADDR + bind(args->addr, args->port) + listen +
 * watch(READ) with fn/arg; fills a->laddr/lport. fd or -errno (nothing left open). */
int app_listen(struct app *a, const struct app_args *args, nb_sock_watch_fn fn, void *arg);
/* app_connect: socket + optional bind(lport) + nodelay + connect(addr, port)
 * + watch(all events) with fn/arg. fd (connect in progress) or -errno. */
int app_connect(struct app *a, const struct app_args *args, uint32_t addr, uint16_t port,
		nb_sock_watch_fn fn, void *arg);
/* app_strerror: strerror of a negative errno, "ok" for 0. */
const char *app_strerror(int err);

#endif
