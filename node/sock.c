/* sock.c: descriptors, the BSD-style calls, and readiness (see sock.h and
 * sock_var.h for the layout and the dispatch scheme). */
#include "sock_var.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static void tcp_notify_cb(void *owner, struct tcp_pcb *pcb, unsigned events);
static void udp_notify_cb(void *owner, struct udp_pcb *pcb);
static void dispatch(struct nb_timer *t, nb_time_t now);

/* sock_init: the empty descriptor table and the dispatch timer. 0 or -ENOMEM. */
int sock_init(struct nb_stack *s)
{
	struct nb_socks *ss = calloc(1, sizeof(*ss));
	if (!ss)
		return -ENOMEM;
	timer_init(&ss->dispatch, dispatch, s);
	s->socks = ss;
	return 0;
}

/* sock_free: drops every socket without touching the protocol blocks, which
 * the protocols free themselves (tcp_free / udp_free); pcb owners are cleared
 * so nothing can call back into freed sockets. */
void sock_free(struct nb_stack *s)
{
	struct nb_socks *ss = s->socks;
	if (!ss)
		return;
	timer_cancel(&s->timers, &ss->dispatch);
	for (int fd = 0; fd < ss->cap; fd++) {
		struct nb_sock *so = ss->tab[fd];
		if (!so)
			continue;
		if (so->tcp) {
			so->tcp->owner = NULL;
			so->tcp->notify = NULL;
		}
		if (so->udp) {
			so->udp->owner = NULL;
			so->udp->notify = NULL;
		}
		free(so);
	}
	free(ss->tab);
	free(ss);
	s->socks = NULL;
}

/* sock_get: the socket behind fd, NULL if fd is not open. */
struct nb_sock *sock_get(struct nb_stack *s, int fd)
{
	struct nb_socks *ss = s->socks;
	if (!ss || fd < 0 || fd >= ss->cap)
		return NULL;
	return ss->tab[fd];
}

/* sock_of_tcp: pcb's socket if the socket layer owns it, else NULL. */
struct nb_sock *sock_of_tcp(const struct tcp_pcb *pcb)
{
	return pcb->notify == tcp_notify_cb ? pcb->owner : NULL;
}

/* sock_of_udp: pcb's socket if the socket layer owns it, else NULL. */
struct nb_sock *sock_of_udp(const struct udp_pcb *pcb)
{
	return pcb->notify == udp_notify_cb ? pcb->owner : NULL;
}

/* ---- dispatch list ---- */

static void q_unlink(struct nb_socks *ss, struct nb_sock *so)
{
	if (!so->queued)
		return;
	if (so->qprev)
		so->qprev->qnext = so->qnext;
	else
		ss->qhead = so->qnext;
	if (so->qnext)
		so->qnext->qprev = so->qprev;
	else
		ss->qtail = so->qprev;
	so->qnext = so->qprev = NULL;
	so->queued = false;
}

/* schedule: queues so for its watcher and makes sure the dispatch timer runs
 * at the current time. Never calls the watcher itself. */
static void schedule(struct nb_sock *so)
{
	struct nb_stack *s = so->stack;
	struct nb_socks *ss = s->socks;
	if (!so->queued) {
		so->qseq = ++ss->qseq;
		so->qprev = ss->qtail;
		so->qnext = NULL;
		if (ss->qtail)
			ss->qtail->qnext = so;
		else
			ss->qhead = so;
		ss->qtail = so;
		so->queued = true;
	}
	/* If arming fails (no memory for the heap), the socket stays queued and
	 * the next schedule() or dispatch run arms the timer again. */
	if (!timer_armed(&ss->dispatch))
		timer_arm(&s->timers, &ss->dispatch, s->now);
}

static unsigned sock_poll(struct nb_sock *so);

/* dispatch: calls the watchers of the sockets queued before it started (those
 * queued meanwhile wait for the next run at the same time). The socket is
 * unlinked before its watcher runs and never touched after, so the watcher
 * may close it or any other socket. */
static void dispatch(struct nb_timer *t, nb_time_t now)
{
	struct nb_stack *s = t->arg;
	struct nb_socks *ss = s->socks;
	uint64_t last = ss->qseq;
	struct nb_sock *so;
	while ((so = ss->qhead) && so->qseq <= last) {
		q_unlink(ss, so);
		if (!so->fn)
			continue;
		unsigned ev = (so->edge | sock_poll(so)) & so->mask;
		so->edge &= ~ev;
		if (!ev)
			continue;
		so->fn(s, so->fd, ev, so->arg);
	}
	if (ss->qhead && !timer_armed(&ss->dispatch))
		timer_arm(&s->timers, &ss->dispatch, now);
}

/* ---- protocol notifications ---- */

/* tcp_notify_cb: TCP events; a connect's outcome becomes NB_EV_CONNECT
 * (once); everything else is read back as levels at dispatch. */
static void tcp_notify_cb(void *owner, struct tcp_pcb *pcb, unsigned events)
{
	struct nb_sock *so = owner;
	if (!so || so->tcp != pcb)
		return;
	if (so->state == SS_CONNECTING) {
		if (events & TCP_EV_CONNECTED) {
			so->state = SS_CONNECTED;
			so->edge |= NB_EV_CONNECT;
		} else if (events & (TCP_EV_ERROR | TCP_EV_CLOSED)) {
			so->state = SS_FAILED;
			so->edge |= NB_EV_CONNECT;
		}
	}
	schedule(so);
}

/* udp_notify_cb: a datagram or an error arrived: queue the watcher. */
static void udp_notify_cb(void *owner, struct udp_pcb *pcb)
{
	struct nb_sock *so = owner;
	if (so && so->udp == pcb)
		schedule(so);
}

/* ---- readiness ---- */

/* tcp_gone: the connection behind a connected socket no longer exists. */
static bool tcp_gone(const struct tcp_pcb *pcb) { return pcb->state == TCP_CLOSED; }

/* sock_poll: the NB_EV_* conditions that hold now (level, like poll(2)). */
static unsigned sock_poll(struct nb_sock *so)
{
	unsigned ev = 0;
	if (so->udp) {
		struct udp_pcb *u = so->udp;
		if (u->soerror)
			ev |= NB_EV_ERROR | NB_EV_READ;
		if (u->rq_head || so->rd_shut)
			ev |= NB_EV_READ;
		if (!so->wr_shut)
			ev |= NB_EV_WRITE;
		return ev;
	}
	struct tcp_pcb *pcb = so->tcp;
	if (pcb->soerror)
		ev |= NB_EV_ERROR;
	switch (so->state) {
	case SS_UNCONNECTED:
	case SS_CONNECTING:
		break;
	case SS_LISTENING:
		if (pcb->accept_q)
			ev |= NB_EV_READ;
		break;
	case SS_FAILED:
		ev |= NB_EV_HUP;
		break;
	case SS_CONNECTED:
		if (tcp_gone(pcb)) {
			ev |= NB_EV_READ | NB_EV_WRITE | NB_EV_HUP;
			break;
		}
		if (tcp_recvq(pcb) > 0 || pcb->fin_received || so->rd_shut || pcb->soerror)
			ev |= NB_EV_READ;
		if (pcb->fin_received)
			ev |= NB_EV_HUP;
		if (so->wr_shut || pcb->soerror ||
		    ((pcb->state == TCP_ESTABLISHED || pcb->state == TCP_CLOSE_WAIT) && tcp_send_space(pcb) > 0))
			ev |= NB_EV_WRITE;
		break;
	}
	return ev;
}

/* nb_sock_poll: sock_poll by descriptor; 0 for a bad fd. */
unsigned nb_sock_poll(struct nb_stack *s, int fd)
{
	struct nb_sock *so = sock_get(s, fd);
	return so ? sock_poll(so) : 0;
}

/* nb_sock_watch: installs (fn) or removes (NULL) the watcher; a new watcher
 * hears at once (from the dispatch timer) what already holds. */
int nb_sock_watch(struct nb_stack *s, int fd, unsigned mask, nb_sock_watch_fn fn, void *arg)
{
	struct nb_sock *so = sock_get(s, fd);
	if (!so)
		return -EBADF;
	so->fn = fn;
	so->arg = arg;
	so->mask = fn ? mask : 0;
	if (fn)
		schedule(so);   /* report what already holds, as poll(2) would */
	else
		q_unlink(s->socks, so);
	return 0;
}

/* ---- descriptors ---- */

/* fd_alloc: the lowest free fd >= 3, growing the table; -EMFILE when full. */
static int fd_alloc(struct nb_socks *ss)
{
	for (int fd = NB_SOCK_FD_FIRST; fd < ss->cap; fd++)
		if (!ss->tab[fd])
			return fd;
	if (ss->cap >= NB_SOCK_FD_MAX)
		return -EMFILE;
	int cap = ss->cap ? ss->cap * 2 : 64;
	if (cap > NB_SOCK_FD_MAX)
		cap = NB_SOCK_FD_MAX;
	struct nb_sock **tab = realloc(ss->tab, (size_t)cap * sizeof(*tab));
	if (!tab)
		return -ENOMEM;
	memset(tab + ss->cap, 0, (size_t)(cap - ss->cap) * sizeof(*tab));
	int fd = ss->cap > NB_SOCK_FD_FIRST ? ss->cap : NB_SOCK_FD_FIRST;
	ss->tab = tab;
	ss->cap = cap;
	return fd;
}

/* sock_alloc: a socket struct installed at the lowest free fd; NULL with
 * *err set (-EMFILE, -ENOMEM). The protocol block is the caller's to add. */
static struct nb_sock *sock_alloc(struct nb_stack *s, enum nb_sock_type type, const char *app, int *err)
{
	struct nb_socks *ss = s->socks;
	int fd = fd_alloc(ss);
	if (fd < 0) {
		*err = fd;
		return NULL;
	}
	struct nb_sock *so = calloc(1, sizeof(*so));
	if (!so) {
		*err = -ENOMEM;
		return NULL;
	}
	so->stack = s;
	so->fd = fd;
	so->type = type;
	snprintf(so->app, sizeof(so->app), "%s", app ? app : "");
	ss->tab[fd] = so;
	ss->count++;
	return so;
}

/* sock_release: frees the fd and the struct; the protocol block must already
 * be handed back. */
static void sock_release(struct nb_stack *s, struct nb_sock *so)
{
	struct nb_socks *ss = s->socks;
	q_unlink(ss, so);
	ss->tab[so->fd] = NULL;
	ss->count--;
	free(so);
}

/* nb_socket: a descriptor with a fresh TCP or UDP pcb behind it. */
int nb_socket(struct nb_stack *s, enum nb_sock_type type, const char *app)
{
	if (type != NB_SOCK_STREAM && type != NB_SOCK_DGRAM)
		return -EPROTONOSUPPORT;
	int err = 0;
	struct nb_sock *so = sock_alloc(s, type, app, &err);
	if (!so)
		return err;
	if (type == NB_SOCK_STREAM)
		so->tcp = tcp_new(s, so, tcp_notify_cb, so->app);
	else
		so->udp = udp_new(s, so, udp_notify_cb, so->app);
	if (!so->tcp && !so->udp) {
		sock_release(s, so);
		return -ENOMEM;
	}
	return so->fd;
}

/* nb_bind: local address (0 or one of ours) and port (0 = ephemeral). */
int nb_bind(struct nb_stack *s, int fd, uint32_t addr, uint16_t port)
{
	struct nb_sock *so = sock_get(s, fd);
	if (!so)
		return -EBADF;
	if (addr && !stack_is_local(s, addr))
		return -EADDRNOTAVAIL;
	if (so->udp)
		return udp_bind(so->udp, addr, port);
	if (so->state != SS_UNCONNECTED)
		return -EINVAL;
	return tcp_bind(so->tcp, addr, port);
}

/* nb_listen: passive open; binds an ephemeral port if unbound; the backlog
 * is clamped to [1, tcp.backlog_max]. Again on a listener: sets the backlog. */
int nb_listen(struct nb_stack *s, int fd, int backlog)
{
	struct nb_sock *so = sock_get(s, fd);
	if (!so)
		return -EBADF;
	if (so->udp)
		return -EOPNOTSUPP;
	int max = (int)s->params.tcp_backlog_max;
	if (backlog <= 0)
		backlog = 1;
	if (backlog > max)
		backlog = max;
	if (so->state == SS_LISTENING)          /* again: a new backlog */
		return tcp_listen(so->tcp, backlog);
	if (so->state != SS_UNCONNECTED)
		return -EINVAL;
	if (!so->tcp->lport) {
		int rc = tcp_bind(so->tcp, 0, 0);
		if (rc)
			return rc;
	}
	int rc = tcp_listen(so->tcp, backlog);
	if (rc)
		return rc;
	so->state = SS_LISTENING;
	return 0;
}

/* nb_accept: a descriptor for the oldest established connection, owned by
 * the listener's app; -EAGAIN if none waits. On -EMFILE the connection stays queued. */
int nb_accept(struct nb_stack *s, int fd, uint32_t *addr, uint16_t *port)
{
	struct nb_sock *lso = sock_get(s, fd);
	if (!lso)
		return -EBADF;
	if (lso->udp)
		return -EOPNOTSUPP;
	if (lso->state != SS_LISTENING)
		return -EINVAL;
	if (!lso->tcp->accept_q)
		return -EAGAIN;
	int err = 0;
	struct nb_sock *so = sock_alloc(s, NB_SOCK_STREAM, lso->app, &err);
	if (!so)
		return err;            /* the connection stays queued */
	struct tcp_pcb *child = tcp_accept(lso->tcp);
	if (!child) {
		sock_release(s, so);
		return -EAGAIN;
	}
	so->tcp = child;
	so->state = SS_CONNECTED;
	tcp_set_owner(child, so, tcp_notify_cb, so->app);
	if (addr)
		*addr = child->faddr;
	if (port)
		*port = child->fport;
	return so->fd;
}

/* nb_connect: TCP active open (-EINPROGRESS, outcome via NB_EV_CONNECT and
 * nb_sock_error); UDP default peer (0; addr 0 dissolves it). */
int nb_connect(struct nb_stack *s, int fd, uint32_t addr, uint16_t port)
{
	struct nb_sock *so = sock_get(s, fd);
	if (!so)
		return -EBADF;
	if (so->udp) {
		int rc = udp_connect(so->udp, addr, port);
		if (rc == 0)
			so->state = addr ? SS_CONNECTED : SS_UNCONNECTED;
		return rc;
	}
	switch (so->state) {
	case SS_CONNECTING:
		return -EALREADY;
	case SS_CONNECTED:
	case SS_LISTENING:
		return -EISCONN;
	default:
		break;
	}
	if (addr == 0 || port == 0)
		return -EINVAL;
	int rc = tcp_connect(so->tcp, addr, port);
	if (rc == -EINPROGRESS || rc == 0) {
		so->state = SS_CONNECTING;
		so->edge &= ~NB_EV_CONNECT;
		if (so->tcp->state == TCP_ESTABLISHED)  /* completed at once (loopback) */
			tcp_notify_cb(so, so->tcp, TCP_EV_CONNECTED);
		return -EINPROGRESS;
	}
	return rc;
}

/* take_tcp_error: the pending TCP error, cleared; 0 if none. */
static int take_tcp_error(struct tcp_pcb *pcb)
{
	int err = pcb->soerror;
	pcb->soerror = 0;
	return err;
}

/* nb_send: queues bytes (TCP) or sends one datagram to the peer (UDP); bytes
 * taken, -EAGAIN when full or still connecting, or the error an app sees. */
ssize_t nb_send(struct nb_stack *s, int fd, const void *buf, size_t len, int flags)
{
	struct nb_sock *so = sock_get(s, fd);
	if (!so)
		return -EBADF;
	if (so->udp) {
		if (so->wr_shut)
			return -EPIPE;
		if (!so->udp->connected)
			return -EDESTADDRREQ;
		return udp_sendto(so->udp, buf, len, 0, 0);
	}
	switch (so->state) {
	case SS_CONNECTING:
		return so->tcp->soerror ? take_tcp_error(so->tcp) : -EAGAIN;
	case SS_FAILED:
		return so->tcp->soerror ? take_tcp_error(so->tcp) : -EPIPE;
	case SS_CONNECTED:
		break;
	default:
		return -ENOTCONN;
	}
	if (so->wr_shut)
		return -EPIPE;
	if (len == 0)
		return 0;
	return tcp_send(so->tcp, buf, len, (flags & NB_MSG_PUSH) != 0);
}

/* nb_recv: bytes read, 0 at end of stream, -EAGAIN, or the pending error. */
ssize_t nb_recv(struct nb_stack *s, int fd, void *buf, size_t len, int flags)
{
	struct nb_sock *so = sock_get(s, fd);
	if (!so)
		return -EBADF;
	if (so->udp) {
		if (so->rd_shut && !so->udp->rq_head)
			return 0;
		return udp_recvfrom(so->udp, buf, len, NULL, NULL);
	}
	switch (so->state) {
	case SS_CONNECTING:
		return so->tcp->soerror ? take_tcp_error(so->tcp) : -EAGAIN;
	case SS_FAILED:
		return so->tcp->soerror ? take_tcp_error(so->tcp) : 0;
	case SS_CONNECTED:
		break;
	default:
		return -ENOTCONN;
	}
	if (so->rd_shut)
		return 0;
	if (len == 0)
		return 0;
	return tcp_recv(so->tcp, buf, len);
}

/* nb_sendto: UDP datagram to addr:port (0:0 = the connected peer); TCP
 * ignores the address, as Linux does. */
ssize_t nb_sendto(struct nb_stack *s, int fd, const void *buf, size_t len, uint32_t addr, uint16_t port)
{
	struct nb_sock *so = sock_get(s, fd);
	if (!so)
		return -EBADF;
	if (so->tcp)   /* as Linux: the address is ignored on a stream socket */
		return nb_send(s, fd, buf, len, 0);
	if (so->wr_shut)
		return -EPIPE;
	return udp_sendto(so->udp, buf, len, addr, port);
}

/* nb_recvfrom: nb_recv that also says who sent it. */
ssize_t nb_recvfrom(struct nb_stack *s, int fd, void *buf, size_t len, uint32_t *addr, uint16_t *port)
{
	struct nb_sock *so = sock_get(s, fd);
	if (!so)
		return -EBADF;
	if (so->tcp) {
		ssize_t n = nb_recv(s, fd, buf, len, 0);
		if (n >= 0) {
			if (addr)
				*addr = so->tcp->faddr;
			if (port)
				*port = so->tcp->fport;
		}
		return n;
	}
	if (so->rd_shut && !so->udp->rq_head)
		return 0;
	return udp_recvfrom(so->udp, buf, len, addr, port);
}

/* nb_shutdown: stops reading (reads return 0), writing (FIN after queued
 * data; sends return -EPIPE) or both. -ENOTCONN unless connected. */
int nb_shutdown(struct nb_stack *s, int fd, int how)
{
	struct nb_sock *so = sock_get(s, fd);
	if (!so)
		return -EBADF;
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return -EINVAL;
	if (so->state != SS_CONNECTED && !(so->tcp && so->state == SS_CONNECTING))
		return -ENOTCONN;
	if (so->tcp) {
		int rc = tcp_shutdown(so->tcp, how);
		if (rc)
			return rc;
	}
	if (how != SHUT_WR)
		so->rd_shut = true;
	if (how != SHUT_RD)
		so->wr_shut = true;
	schedule(so);
	return 0;
}

/* sock_drop: hands the protocol block back (gracefully or with RST) and
 * frees the descriptor. The socket stays valid during the protocol call, so
 * a synchronous notification from it is harmless. */
static int sock_drop(struct nb_stack *s, int fd, bool abort)
{
	struct nb_sock *so = sock_get(s, fd);
	if (!so)
		return -EBADF;
	if (so->tcp) {
		struct tcp_pcb *pcb = so->tcp;
		if (abort)
			tcp_abort(pcb);
		else
			tcp_close(pcb);
		so->tcp = NULL;
	}
	if (so->udp) {
		udp_close(so->udp);
		so->udp = NULL;
	}
	sock_release(s, so);
	return 0;
}

/* nb_close: graceful close (RST if unread data remains); the fd is free at once. */
int nb_close(struct nb_stack *s, int fd) { return sock_drop(s, fd, false); }

/* nb_abort: close with RST; the fd is free at once. */
int nb_abort(struct nb_stack *s, int fd) { return sock_drop(s, fd, true); }

/* nb_setsockopt: NODELAY (TCP), SNDBUF/RCVBUF (bytes), REUSEADDR. 0 or
 * -EINVAL / -ENOPROTOOPT. */
int nb_setsockopt(struct nb_stack *s, int fd, enum nb_sockopt opt, uint64_t value)
{
	struct nb_sock *so = sock_get(s, fd);
	if (!so)
		return -EBADF;
	switch (opt) {
	case NB_SO_REUSEADDR:
		so->reuse = value != 0;
		if (so->udp) {
			so->udp->reuse = so->reuse;
			return 0;
		}
		return tcp_setopt(so->tcp, TCP_OPT_REUSEADDR, value);
	case NB_SO_NODELAY:
		return so->tcp ? tcp_setopt(so->tcp, TCP_OPT_NODELAY, value) : -ENOPROTOOPT;
	case NB_SO_SNDBUF:
		if (so->udp)
			return 0;       /* datagrams leave at once: nothing to size */
		return tcp_setopt(so->tcp, TCP_OPT_SNDBUF, value);
	case NB_SO_RCVBUF:
		if (so->udp) {
			if (value < 256 || value > (1u << 30))
				return -EINVAL;
			so->udp->rcvbuf = (size_t)value;
			return 0;
		}
		return tcp_setopt(so->tcp, TCP_OPT_RCVBUF, value);
	}
	return -ENOPROTOOPT;
}

/* nb_sock_error: the pending error, cleared (SO_ERROR); 0 if none. */
int nb_sock_error(struct nb_stack *s, int fd)
{
	struct nb_sock *so = sock_get(s, fd);
	if (!so)
		return -EBADF;
	if (so->udp) {
		int err = so->udp->soerror;
		so->udp->soerror = 0;
		return err;
	}
	return take_tcp_error(so->tcp);
}

/* nb_getsockname: the local address and port (0:0 before binding). */
int nb_getsockname(struct nb_stack *s, int fd, uint32_t *addr, uint16_t *port)
{
	struct nb_sock *so = sock_get(s, fd);
	if (!so)
		return -EBADF;
	if (addr)
		*addr = so->tcp ? so->tcp->laddr : so->udp->laddr;
	if (port)
		*port = so->tcp ? so->tcp->lport : so->udp->lport;
	return 0;
}

/* nb_getpeername: the peer, or -ENOTCONN. */
int nb_getpeername(struct nb_stack *s, int fd, uint32_t *addr, uint16_t *port)
{
	struct nb_sock *so = sock_get(s, fd);
	if (!so)
		return -EBADF;
	if (so->udp) {
		if (!so->udp->connected)
			return -ENOTCONN;
		if (addr)
			*addr = so->udp->faddr;
		if (port)
			*port = so->udp->fport;
		return 0;
	}
	if (so->state != SS_CONNECTED && so->state != SS_CONNECTING)
		return -ENOTCONN;
	if (addr)
		*addr = so->tcp->faddr;
	if (port)
		*port = so->tcp->fport;
	return 0;
}
