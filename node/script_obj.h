/* script_obj.h: the named objects a topology script makes on a custom host
 * (connections, listeners, apps, UDP sockets), for the script verbs in
 * cmd_script.c.
 *
 *   script_objs ── sobj "c"    conn      fd 3 ──> sock.c / tcp_pcb
 *               ├─ sobj "web"  listener  app "web" (sink) ──> app.c
 *               ├─ sobj "q"    listener  fd 5, no app: its connections wait
 *               │                        on the accept queue until `accept`
 *               ├─ sobj "s1"   conn      fd 6, accepted from "q"
 *               ├─ sobj "gen"  app       app "gen" (source)
 *               └─ sobj "dns"  udp       fd 4
 *
 * An object lives until the node exits: after `close` a connection is
 * followed by its 4-tuple (FIN_WAIT, TIME_WAIT ... CLOSED) and an app's
 * totals are kept when it is stopped, so a later `expect` still reads them.
 *
 * Connections move data in the background, never blocking the node: `send`
 * adds to a quota of pattern bytes (apps/pattern.h, seed 0, offset running on
 * across sends) that the socket watcher writes as the socket takes them;
 * `recv` adds to a quota that it reads as data arrives. What went in and
 * out is hashed (SHA-256) as it passes.
 *
 * What an object shows (sobj_view):
 *   sent      conn: bytes acknowledged by the peer; udp: datagram bytes
 *             sent; app: bytes the app wrote
 *   received  conn: bytes that arrived in order (read by the script, or
 *             buffered for it); app: bytes the app read; udp: datagram bytes
 *   read      conn: bytes the script read (what digest_received covers)
 *   digest    the "primary" digest: sent for connections, sources and UDP
 *             senders, received for UDP receivers, app_digest() for apps
 */
#ifndef NB_SCRIPT_OBJ_H
#define NB_SCRIPT_OBJ_H

#include "apps/app.h"
#include "apps/lazyhash.h"
#include "sha256.h"
#include "sock.h"
#include "tcp.h"

#define SOBJ_NAME_MAX 32

enum sobj_kind { SOBJ_CONN, SOBJ_LISTENER, SOBJ_APP, SOBJ_UDP };

/* What to do once the send quota has been written. */
enum sobj_defer { SOBJ_DEFER_NONE, SOBJ_DEFER_CLOSE, SOBJ_DEFER_SHUT_WR, SOBJ_DEFER_SHUT_BOTH };

struct sobj {
	struct sobj *next;
	struct sobj *hnext;           /* in the name hash */
	struct nb_stack *stack;
	char name[SOBJ_NAME_MAX];
	enum sobj_kind kind;

	/* conn, udp: our socket (-1 once closed) */
	int fd;
	bool closed;                  /* close/abort done: fd released */
	bool aborted;
	bool have_tuple;              /* 4-tuple known: followed after close */
	uint32_t laddr, faddr;
	uint16_t lport, fport;
	enum tcp_state state;         /* last state seen */
	int error;                    /* first error seen (negative errno), 0 none */
	bool eof;                     /* the peer's FIN was read */
	uint64_t to_send;             /* quota still to hand to the socket */
	bool push;
	uint64_t queued;              /* bytes the socket took */
	uint64_t acked;               /* of those, acknowledged (conn) / sent (udp) */
	uint64_t to_recv;             /* read quota; UINT64_MAX = everything */
	uint64_t received;
	uint64_t dgrams_in, dgrams_out;
	bool udp_receiver;            /* created by `udp bind` */
	enum sobj_defer defer;
	unsigned watch_mask;
	struct lazy_hash tx, rx;      /* digests of what went out and came in */

	/* listener without an app (`listen ... app none`): the socket (fd) is
	 * ours; the script takes connections off its queue with sobj_accept */
	bool bare;
	int accepted;                 /* connections taken off its queue */

	/* listener, app */
	struct app *app;              /* NULL once stopped */
	enum app_kind app_kind;
	struct app_snap {             /* the app's totals when it was stopped */
		enum app_status status;
		int error;
		uint64_t bytes_in, bytes_out, primary_bytes;
		int conns_total;
		uint8_t rx[SHA256_LEN], tx[SHA256_LEN], primary[SHA256_LEN];
		char detail[128];
	} snap;
};

/* An object as the verbs report it (refreshed from the stack). */
struct sobj_view {
	const char *kind;             /* "conn", "listener", "app", "udp" */
	const char *state;            /* TCP state name; "LISTEN"/"CLOSED" for
	                                 listeners; app status for apps; "-" for UDP */
	enum tcp_state tcp_state;     /* conn only */
	bool gone;                    /* conn: no connection behind it any more */
	int error;                    /* negative errno, 0 none */
	uint64_t sent, received, queued, pending, buffered, read;
	uint64_t bytes;               /* what the primary digest covers */
	int conns;                    /* listener/app: connections so far (a bare
	                                 listener: accepted) */
	int backlog, accept_q, syn_q; /* listener: its queues now (0 once closed) */
	bool done;                    /* app finished (DONE); conn CLOSED/TIME_WAIT; udp closed */
	bool failed;                  /* app FAILED or STOPPED before done */
	const char *status;           /* apps: running/done/failed/stopped; else "" */
	const char *detail;           /* apps: their last notable event; else "" */
	char digest_sent[SHA256_HEX_LEN];
	char digest_received[SHA256_HEX_LEN];
	char digest[SHA256_HEX_LEN];  /* the primary one (see above) */
};

/* A node's objects. */
struct script_objs {
	struct sobj *head, *tail;     /* in creation order */
	struct nb_stack *stack;
	struct sobj **hash;           /* by name; hcap buckets (a power of 2) */
	size_t hcap, count;
};

/* sobj_find: the object named name, or NULL. */
struct sobj *sobj_find(struct script_objs *t, const char *name);
/* sobj_new: a fresh object of kind (fd -1, hashes started) appended to t.
 * NULL if the name is taken or too long (*err -EEXIST / -ENAMETOOLONG) or
 * memory is short (-ENOMEM). */
struct sobj *sobj_new(struct script_objs *t, const char *name, enum sobj_kind kind, int *err);
/* sobj_drop: removes o from t and frees it (its socket must be closed). */
void sobj_drop(struct script_objs *t, struct sobj *o);
/* sobj_free_all: stops apps, closes sockets (gracefully) and frees every
 * object. */
void sobj_free_all(struct script_objs *t);

/* sobj_connect: socket, optional bind to from_port, nodelay, connect. A
 * connect that fails at once (no route ...) still makes the object, with
 * the error recorded. Returns 0, or -errno when no socket could be set up
 * (then the object is unusable: the caller removes it). */
int sobj_connect(struct sobj *o, uint32_t addr, uint16_t port, uint16_t from_port, bool nodelay);
/* sobj_send: adds bytes of pattern to the send quota and writes what the
 * socket takes now. 0, -ENOTCONN (closed, or not a connection), -EPIPE
 * (write side shut down). */
int sobj_send(struct sobj *o, uint64_t bytes, bool push);
/* sobj_recv: bytes > 0 adds to the read quota; bytes == 0 reads whatever is
 * buffered now. *got = bytes read by this call. 0 or -ENOTCONN. */
int sobj_recv(struct sobj *o, uint64_t bytes, uint64_t *got);
/* sobj_close: close (how < 0), shutdown (SHUT_RD/WR/RDWR) or abort. A close
 * or write shutdown waits until the send quota is written. 0 or -errno. */
int sobj_close(struct sobj *o, int how, bool abort);

/* sobj_listen: a bare listener: socket, bind to port, listen with backlog
 * (the stack clamps it to tcp.backlog_max); nothing accepts. 0 or -errno
 * (-EADDRINUSE ...); on error the object has no socket. */
int sobj_listen(struct sobj *o, uint16_t port, int backlog);
/* sobj_accept: takes the oldest established connection off bare listener
 * l's accept queue and makes conn object c of it (its socket's owner in
 * dumps is c's name). 0, -EAGAIN (the queue is empty), -EINVAL (l has an
 * app or is closed), -EMFILE. */
int sobj_accept(struct sobj *l, struct sobj *c);
/* sobj_queues: a listener's backlog and queue lengths now; false when no
 * listening socket is behind it (stopped, closed). */
bool sobj_queues(struct sobj *o, int *backlog, int *accept_q, int *syn_q);

/* sobj_app_start: starts app kind for the object (listener or app). */
int sobj_app_start(struct sobj *o, enum app_kind kind, const struct app_args *args);
/* sobj_app_stop: snapshots the app's totals and stops it; a bare listener
 * closes its socket (connections still on its queues are reset). Harmless
 * twice. */
void sobj_app_stop(struct sobj *o);

/* sobj_udp_open: a UDP socket bound to port (0 = ephemeral), watched for
 * datagrams. 0 or -errno. */
int sobj_udp_open(struct sobj *o, uint16_t port);
/* sobj_udp_send: one datagram of bytes pattern bytes to addr:port. The
 * error, if any, is recorded and returned. */
int sobj_udp_send(struct sobj *o, uint32_t addr, uint16_t port, uint64_t bytes);

/* sobj_view: refreshes o from the stack and describes it. */
void sobj_view(struct sobj *o, struct sobj_view *v, bool digests);
/* sobj_error_name: none, refused, timedout, reset, unreachable, or the
 * errno's name (EPIPE ...). */
const char *sobj_error_name(int err);
/* sobj_state_parse: a TCP state name in any case, '-' or '_', with the
 * netstat aliases (SYN_RECV, FIN_WAIT1 ...). 0 or -1. */
int sobj_state_parse(const char *s, enum tcp_state *st);

#endif
