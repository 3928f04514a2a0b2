/* app.h: the built-in applications of nestbed-node and their registry.
 *
 *   kind     role                                       primary digest
 *   echo     server: sends back what each client sends   bytes received
 *   sink     server: reads and counts, SHA-256 per conn  bytes received
 *   source   client: connects, sends N pattern bytes     bytes sent
 *   http     server: HTTP/1.1, GET /<size> -> <size>     response bodies sent
 *            bytes of pattern, keep-alive, HEAD
 *   httpget  client: fetches http://A.B.C.D[:port]/path  response bodies received
 *            one or several times on one connection
 *
 * Apps use only the socket API (sock.h): each is a small state machine driven
 * by socket watchers, so nothing blocks and many run at once in one node.
 * What the byte pattern is: apps/pattern.h.
 *
 * Lifecycle: app_start() opens the sockets and returns a handle (status
 * RUNNING). Servers run until stopped; clients end DONE or FAILED by
 * themselves. The handle stays readable (status, bytes, digest, error) until
 * app_stop(), which closes whatever is open and frees it. Reports go to the
 * callback given at start: a connection (sink, echo), response (httpget) or
 * the whole app (source, httpget) finished. The callback may call anything,
 * app_stop() on this very app included: the stop then happens when the app's
 * own code has returned.
 */
#ifndef NB_APPS_APP_H
#define NB_APPS_APP_H

#include "lazyhash.h"
#include "sha256.h"
#include "sock.h"
#include "strbuf.h"

enum app_kind { APP_ECHO, APP_SINK, APP_SOURCE, APP_HTTP, APP_HTTPGET, APP_KIND_COUNT };
enum app_status { APP_RUNNING, APP_DONE, APP_FAILED, APP_STOPPED };

#define APP_NAME_MAX 24
#define APP_URL_MAX 256

/* Arguments; zero means "default" for every field. */
struct app_args {
	uint32_t addr;        /* servers: local address to bind (0 = any);
	                         source: server address (or use url for httpget) */
	uint16_t port;        /* servers: port to listen on; source: server port */
	uint16_t lport;       /* clients: local port (0 = ephemeral) */
	uint64_t bytes;       /* source: bytes to send */
	uint64_t seed;        /* source, http: pattern seed; httpget: seed to verify */
	size_t chunk;         /* source: bytes per send call (default 16 KiB) */
	bool push;            /* source: NB_MSG_PUSH on every send */
	bool nodelay;         /* NB_SO_NODELAY on every connection */
	bool close_early;     /* source: close as soon as all is queued instead
	                         of half-closing and waiting for the peer's FIN */
	bool verify;          /* httpget: check bodies against the pattern(seed) */
	int backlog;          /* servers: listen backlog (default 128) */
	int conns;            /* sink, echo: end DONE after this many connections */
	int requests;         /* httpget: requests on one connection (default 1) */
	bool keepalive_last;  /* httpget: no "Connection: close" on the last request */
	const char *url;      /* httpget: http://A.B.C.D[:port]/path */
};

/* What a report is about. */
enum app_report_kind {
	APP_REP_CONN_END,     /* sink/echo/http: a connection finished */
	APP_REP_RESPONSE,     /* httpget: one response was received completely */
	APP_REP_DONE,         /* the app finished successfully */
	APP_REP_FAILED,       /* the app failed (error/detail say why) */
};

struct app_report {
	enum app_report_kind kind;
	int conn;                     /* connection number within the app (1, 2 ...) */
	uint32_t peer_addr;
	uint16_t peer_port;
	uint64_t bytes;               /* this connection's/response's bytes (the
	                                 primary direction), or the app's total */
	uint8_t digest[SHA256_LEN];   /* their SHA-256 */
	int error;                    /* negative errno, 0 = clean */
	int http_status;              /* httpget responses */
	const char *detail;           /* short human-readable text, never NULL */
};

struct app;
typedef void (*app_report_fn)(struct app *a, const struct app_report *r, void *arg);

struct app_ops;

struct app {
	struct nb_stack *stack;
	char name[APP_NAME_MAX];
	enum app_kind kind;
	enum app_status status;
	int error;                    /* first error, negative errno; 0 if none */
	char detail[128];             /* why it failed, or the last notable event */
	uint32_t laddr;               /* local address/port of the main socket */
	uint16_t lport;
	uint32_t peer_addr;           /* clients: the server */
	uint16_t peer_port;
	uint64_t bytes_in, bytes_out; /* application payload, all connections */
	struct lazy_hash rx_hash, tx_hash; /* digests, computed when asked */
	int conns_open, conns_total;
	int http_status;              /* httpget: status of the last response */
	int responses;                /* httpget: responses received; http: sent */

	/* private */
	const struct app_ops *ops;
	void *priv;
	app_report_fn report;
	void *report_arg;
	struct app *next;             /* all apps, oldest first */
	struct app **pprev;           /* the link that points here */
	struct app *hnext;            /* in the name hash */
	int busy;
	bool stop_pending;
};

/* app_start: starts an app of `kind` named `name` on stack s. Returns the
 * handle, or NULL with *err set: -EINVAL (bad args, name taken on this
 * stack), -EADDRINUSE, -ENETUNREACH, -ENOMEM, ... */
struct app *app_start(struct nb_stack *s, enum app_kind kind, const char *name,
		      const struct app_args *args, app_report_fn report, void *arg, int *err);
/* app_stop: closes the app's sockets (connections end gracefully), marks it
 * STOPPED if it was running, and frees the handle (at once, or when the
 * app's own code returns if called from its report callback). */
void app_stop(struct app *a);
/* app_stop_all: app_stop for every app of s (before stack_free). */
void app_stop_all(struct nb_stack *s);
/* app_foreach: fn(a, arg) for each app of s, oldest first. fn may stop a. */
void app_foreach(struct nb_stack *s, void (*fn)(struct app *a, void *arg), void *arg);
/* app_find: the app of s named name, or NULL. */
struct app *app_find(struct nb_stack *s, const char *name);

/* app_digest: SHA-256 of the app's primary stream so far (table above). */
void app_digest(const struct app *a, uint8_t out[SHA256_LEN]);
/* app_digest_hex: the same as 64 hex digits in buf; returns buf. */
const char *app_digest_hex(const struct app *a, char buf[SHA256_HEX_LEN]);
/* app_primary_bytes: bytes of the primary stream (bytes_in or bytes_out). */
uint64_t app_primary_bytes(const struct app *a);

const char *app_kind_name(enum app_kind k);
/* app_kind_parse: "echo", "sink", ... -> kind. 0 or -EINVAL. */
int app_kind_parse(const char *name, enum app_kind *k);
const char *app_status_name(enum app_status st);   /* "running", "done", ... */

/* app_dump_text / app_dump_json: every app of s, one line / one object each:
 * name kind status bytes_in bytes_out conns digest error detail. 0 or -ENOMEM. */
int app_dump_text(struct nb_stack *s, struct strbuf *out);
int app_dump_json(struct nb_stack *s, struct strbuf *out);

#endif
