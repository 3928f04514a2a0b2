/* ctl.h: the node's control channel, a line protocol over Unix sockets.
 *
 * The controller holds one connection from birth (an inherited socketpair,
 * --ctl-fd); `nestbed ss HOST` and friends connect to the node's listening
 * socket path while a lab is up. Each connection speaks:
 *
 *   client -> node   <id> <verb> [arg ...]\n          id: decimal, client's choice
 *   node -> client   <id> | <text>\n                  zero or more data lines
 *                    <id> ok [key=value ...]\n        then exactly one of these
 *                    <id> err <reason>\n
 *                    * <event text>\n                 unsolicited (e.g. "* ready")
 *
 * A request may complete later (ping, wait): the node keeps its id and the
 * connection's serial, and replies when done; if the connection went away
 * meanwhile the reply is dropped. Lines are at most CTL_LINE_MAX bytes.
 */
#ifndef NB_CTL_H
#define NB_CTL_H

#include "nb.h"

#define CTL_LINE_MAX 4096
#define CTL_ARGS_MAX 64
/* Replies a connection other than the controller's may leave unread
 * before it is closed: a client that keeps asking and never reads cannot
 * make the node grow without bound. Large enough for one `ss json` of a
 * hundred thousand sockets. */
#define CTL_OUT_MAX (256u << 20)

struct ctl_conn;

/* A request in flight: enough to reply to it later. */
struct ctl_req {
	uint64_t conn_serial;
	unsigned long id;
};

/* Called for each complete request line, split into argv (argv[0] = verb). */
typedef void (*ctl_handler_fn)(void *ctx, struct ctl_req req, int argc, char **argv);

struct ctl_server {
	int listen_fd;                 /* -1 if none */
	struct ctl_conn *conns;
	uint64_t next_serial;
	ctl_handler_fn handler;
	void *ctx;
	char path[108];
	size_t out_max;                /* CTL_OUT_MAX (tests lower it) */
};

/* ctl_init: an empty server; `handler(ctx, ...)` receives requests. */
void ctl_init(struct ctl_server *c, ctl_handler_fn handler, void *ctx);
/* ctl_listen: listens on a Unix socket path (replacing a stale one). 0 or -errno. */
int ctl_listen(struct ctl_server *c, const char *path);
/* ctl_adopt: takes an already connected fd (the controller's socketpair). */
struct ctl_conn *ctl_adopt(struct ctl_server *c, int fd);
/* ctl_conn_fd: the fd to poll for a connection; ctl_conn_wants_write: pending output. */
int ctl_conn_fd(const struct ctl_conn *k);
bool ctl_conn_wants_write(const struct ctl_conn *k);
/* ctl_accept: accepts a pending client on the listening socket; NULL if none. */
struct ctl_conn *ctl_accept(struct ctl_server *c);
/* ctl_on_readable / ctl_on_writable: drive one connection. Return false when
 * the connection is finished and has been freed. */
bool ctl_on_readable(struct ctl_server *c, struct ctl_conn *k);
bool ctl_on_writable(struct ctl_server *c, struct ctl_conn *k);
/* ctl_close_all: closes every connection and the listener (unlinks its path). */
void ctl_close_all(struct ctl_server *c);
/* ctl_primary_gone: true once the adopted (controller) connection has closed. */
bool ctl_primary_gone(const struct ctl_server *c);

/* Replies. Each returns false if the requesting connection is gone. */
bool ctl_data(struct ctl_server *c, struct ctl_req r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* ctl_data_block: sends each line of a multi-line text as a data line. */
bool ctl_data_block(struct ctl_server *c, struct ctl_req r, const char *text, size_t len);
bool ctl_ok(struct ctl_server *c, struct ctl_req r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool ctl_err(struct ctl_server *c, struct ctl_req r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* ctl_event: an unsolicited line to every connection. */
void ctl_event(struct ctl_server *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ctl_split: splits a line into argv in place (spaces/tabs; '...' and "..."
 * quote). Returns argc, or -1 for unbalanced quotes or too many args. */
int ctl_split(char *line, char **argv, int max);

#endif
