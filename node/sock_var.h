/* sock_var.h: the socket layer's internals, for sock.c and the dumps
 * (sock_dump.c). Apps use sock.h only.
 *
 *   fd table:  tab[fd] -> struct nb_sock (NULL = free); fds 0..2 are never
 *              used; a new socket takes the lowest free fd >= 3.
 *   readiness: protocol notifications (TCP_EV_*, UDP arrivals) only queue the
 *              socket on the dispatch list and arm one timer at `now`; the
 *              timer callback then calls each queued socket's watcher with
 *              (one-shot events | level events that hold) & mask. Watchers
 *              thus never run inside TCP or UDP code, so they may call
 *              anything, close any fd included.
 */
#ifndef NB_SOCK_VAR_H
#define NB_SOCK_VAR_H

#include "sock.h"
#include "tcp.h"
#include "udp.h"

#define NB_SOCK_FD_FIRST 3
#define NB_SOCK_FD_MAX 65536       /* fds are < this; past it, -EMFILE */
#define NB_SOCK_APP_LEN 24

/* Where a socket is in its life (BSD's SS_* flags, as one state). */
enum sock_state {
	SS_UNCONNECTED,   /* fresh or bound */
	SS_LISTENING,
	SS_CONNECTING,    /* connect in progress (TCP) */
	SS_CONNECTED,     /* established once (TCP), or has a default peer (UDP) */
	SS_FAILED,        /* connect failed; the error is pending */
};

struct nb_sock {
	struct nb_stack *stack;
	int fd;
	enum nb_sock_type type;
	enum sock_state state;
	char app[NB_SOCK_APP_LEN];
	bool rd_shut, wr_shut, reuse;

	struct tcp_pcb *tcp;       /* exactly one of these is set */
	struct udp_pcb *udp;

	unsigned edge;             /* one-shot events (NB_EV_CONNECT) not yet delivered */
	nb_sock_watch_fn fn;       /* watcher, NULL = none */
	void *arg;
	unsigned mask;

	struct nb_sock *qnext, *qprev;   /* dispatch list */
	bool queued;
	uint64_t qseq;
};

struct nb_socks {
	struct nb_sock **tab;
	int cap;                   /* entries in tab */
	int count;                 /* open sockets */
	struct nb_sock *qhead, *qtail;
	uint64_t qseq;
	struct nb_timer dispatch;
};

/* sock_get: the socket behind fd, or NULL. */
struct nb_sock *sock_get(struct nb_stack *s, int fd);
/* sock_of_tcp: the socket that owns pcb, or NULL (orphan, queued child, or
 * owned by something else). */
struct nb_sock *sock_of_tcp(const struct tcp_pcb *pcb);
/* sock_of_udp: the socket that owns pcb, or NULL. */
struct nb_sock *sock_of_udp(const struct udp_pcb *pcb);

#endif
