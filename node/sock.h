/* sock.h: the BSD-style socket API of nestbed-node.
 *
 * Descriptors are small integers local to one node (the first is 3, as in a
 * fresh process). Every call is non-blocking: where BSD would block, the call
 * returns -EAGAIN (or -EINPROGRESS for connect) and the socket's watcher is
 * told when it is worth trying again. Errors are negative errno values, as an
 * application would see them: -ECONNREFUSED, -ETIMEDOUT, -EHOSTUNREACH,
 * -ENETUNREACH, -ECONNRESET, -EPIPE, -EADDRINUSE, -EBADF ...
 *
 *   app ── nb_socket/nb_connect/nb_send ... ──> sock.c ──> tcp_*.c / udp.c
 *   app <── watcher(fd, NB_EV_*) ─────────────── sock.c <── tcp notify / udp
 *
 * Apps own their buffers; the socket layer copies in and out.
 */
#ifndef NB_SOCK_H
#define NB_SOCK_H

#include "stack.h"

enum nb_sock_type { NB_SOCK_STREAM = 1, NB_SOCK_DGRAM = 2 };

/* Readiness events for watchers. */
#define NB_EV_READ    0x01   /* recv/accept/recvfrom would not return -EAGAIN */
#define NB_EV_WRITE   0x02   /* send would take at least one byte */
#define NB_EV_CONNECT 0x04   /* connect finished: established, or failed (see nb_sock_error) */
#define NB_EV_ERROR   0x08   /* an error is pending (nb_sock_error) */
#define NB_EV_HUP     0x10   /* peer closed or connection gone */

/* Flags for nb_send. */
#define NB_MSG_PUSH 0x1      /* send now: no Nagle wait for this data (the seeds' push option) */

/* Options for nb_setsockopt. */
enum nb_sockopt { NB_SO_NODELAY, NB_SO_SNDBUF, NB_SO_RCVBUF, NB_SO_REUSEADDR };

typedef void (*nb_sock_watch_fn)(struct nb_stack *s, int fd, unsigned events, void *arg);

int sock_init(struct nb_stack *s);
void sock_free(struct nb_stack *s);

/* nb_socket: a new socket; `app` names its owner in dumps. fd >= 3 or -EMFILE. */
int nb_socket(struct nb_stack *s, enum nb_sock_type type, const char *app);
int nb_bind(struct nb_stack *s, int fd, uint32_t addr, uint16_t port);
int nb_listen(struct nb_stack *s, int fd, int backlog);
/* nb_accept: a new fd for an established connection, or -EAGAIN. */
int nb_accept(struct nb_stack *s, int fd, uint32_t *addr, uint16_t *port);
/* nb_connect: -EINPROGRESS; NB_EV_CONNECT tells the outcome. UDP: sets the default peer, 0. */
int nb_connect(struct nb_stack *s, int fd, uint32_t addr, uint16_t port);
ssize_t nb_send(struct nb_stack *s, int fd, const void *buf, size_t len, int flags);
ssize_t nb_recv(struct nb_stack *s, int fd, void *buf, size_t len, int flags);
ssize_t nb_sendto(struct nb_stack *s, int fd, const void *buf, size_t len, uint32_t addr, uint16_t port);
ssize_t nb_recvfrom(struct nb_stack *s, int fd, void *buf, size_t len, uint32_t *addr, uint16_t *port);
int nb_shutdown(struct nb_stack *s, int fd, int how);   /* SHUT_RD, SHUT_WR, SHUT_RDWR */
int nb_close(struct nb_stack *s, int fd);
/* nb_abort: close with RST (SO_LINGER 0). */
int nb_abort(struct nb_stack *s, int fd);
int nb_setsockopt(struct nb_stack *s, int fd, enum nb_sockopt opt, uint64_t value);
/* nb_sock_error: the pending error (negative errno) and clears it; 0 if none. */
int nb_sock_error(struct nb_stack *s, int fd);
int nb_getsockname(struct nb_stack *s, int fd, uint32_t *addr, uint16_t *port);
int nb_getpeername(struct nb_stack *s, int fd, uint32_t *addr, uint16_t *port);
/* nb_sock_watch: fn(s, fd, events, arg) is called whenever the socket
 * becomes ready for something in `mask`; replaces any previous watcher. */
int nb_sock_watch(struct nb_stack *s, int fd, unsigned mask, nb_sock_watch_fn fn, void *arg);
/* nb_sock_poll: the NB_EV_* bits that hold now (like poll(2)). */
unsigned nb_sock_poll(struct nb_stack *s, int fd);

#endif
