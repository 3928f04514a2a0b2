/* script_obj.c: the script's named objects and the background data movers
 * of its connections (see script_obj.h). */
#include "script_obj.h"

#include "apps/pattern.h"
#include "sock_var.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define SOBJ_CHUNK 16384
#define SOBJ_PATTERN_SEED 0

static void conn_watch(struct nb_stack *s, int fd, unsigned ev, void *arg);
static void udp_watch(struct nb_stack *s, int fd, unsigned ev, void *arg);

struct sobj *sobj_find(struct script_objs *t, const char *name)
{
	if (!t->hcap)
		return NULL;
	for (struct sobj *o = t->hash[(size_t)nb_hash_str(name) & (t->hcap - 1)]; o; o = o->hnext)
		if (!strcmp(o->name, name))
			return o;
	return NULL;
}

/* hash_grow: doubles the name hash once it holds as many objects as
 * buckets; false if memory is short (lookups stay correct, only slower). */
static bool hash_grow(struct script_objs *t)
{
	size_t cap = t->hcap ? t->hcap * 2 : 64;
	struct sobj **h = calloc(cap, sizeof(*h));
	if (!h)
		return false;
	for (struct sobj *o = t->head; o; o = o->next) {
		size_t b = (size_t)nb_hash_str(o->name) & (cap - 1);
		o->hnext = h[b];
		h[b] = o;
	}
	free(t->hash);
	t->hash = h;
	t->hcap = cap;
	return true;
}

struct sobj *sobj_new(struct script_objs *t, const char *name, enum sobj_kind kind, int *err)
{
	if (!name[0] || strlen(name) >= SOBJ_NAME_MAX) {
		*err = -ENAMETOOLONG;
		return NULL;
	}
	if (sobj_find(t, name)) {
		*err = -EEXIST;
		return NULL;
	}
	struct sobj *o = calloc(1, sizeof(*o));
	if (!o) {
		*err = -ENOMEM;
		return NULL;
	}
	o->stack = t->stack;
	snprintf(o->name, sizeof(o->name), "%s", name);
	o->kind = kind;
	o->fd = -1;
	o->state = TCP_CLOSED;
	lazy_hash_init(&o->tx, SOBJ_PATTERN_SEED);
	lazy_hash_init(&o->rx, SOBJ_PATTERN_SEED);
	if (t->count >= t->hcap && !hash_grow(t) && !t->hcap) {
		free(o);
		*err = -ENOMEM;
		return NULL;
	}
	o->next = NULL;
	if (t->tail)
		t->tail->next = o;
	else
		t->head = o;
	t->tail = o;
	size_t b = (size_t)nb_hash_str(o->name) & (t->hcap - 1);
	o->hnext = t->hash[b];
	t->hash[b] = o;
	t->count++;
	return o;
}

void sobj_drop(struct script_objs *t, struct sobj *o)
{
	struct sobj *prev = NULL;
	for (struct sobj **pp = &t->head; *pp; prev = *pp, pp = &(*pp)->next)
		if (*pp == o) {
			*pp = o->next;
			if (t->tail == o)
				t->tail = prev;
			break;
		}
	for (struct sobj **pp = &t->hash[(size_t)nb_hash_str(o->name) & (t->hcap - 1)]; *pp; pp = &(*pp)->hnext)
		if (*pp == o) {
			*pp = o->hnext;
			break;
		}
	t->count--;
	free(o);
}

void sobj_free_all(struct script_objs *t)
{
	while (t->head) {
		struct sobj *o = t->head;
		sobj_app_stop(o);
		if (o->fd >= 0) {
			nb_sock_watch(o->stack, o->fd, 0, NULL, NULL);
			nb_close(o->stack, o->fd);
			o->fd = -1;
		}
		sobj_drop(t, o);
	}
	free(t->hash);
	t->hash = NULL;
	t->hcap = 0;
}

/* note_error: keeps the first error an object met. */
static void note_error(struct sobj *o, int err)
{
	if (err < 0 && !o->error)
		o->error = err;
}

/* rewatch: asks for the events the object needs now: always the outcome of
 * connect and errors; writability while there is a quota to write;
 * readability while there is one to read. */
static void rewatch(struct sobj *o)
{
	if (o->fd < 0)
		return;
	unsigned mask;
	if (o->kind == SOBJ_UDP) {
		mask = NB_EV_READ | NB_EV_ERROR;
	} else {
		mask = NB_EV_CONNECT | NB_EV_ERROR | NB_EV_HUP;
		if (o->to_send)
			mask |= NB_EV_WRITE;
		if (o->to_recv)
			mask |= NB_EV_READ;
	}
	if (mask == o->watch_mask)
		return;
	o->watch_mask = mask;
	nb_sock_watch(o->stack, o->fd, mask, o->kind == SOBJ_UDP ? udp_watch : conn_watch, o);
}

/* remember_tuple: records the connection's addresses once it has them, so
 * it can be followed after close. */
static void remember_tuple(struct sobj *o, const struct tcp_pcb *pcb)
{
	if (o->have_tuple || !pcb->laddr || !pcb->lport || !pcb->faddr || !pcb->fport)
		return;
	o->laddr = pcb->laddr;
	o->faddr = pcb->faddr;
	o->lport = pcb->lport;
	o->fport = pcb->fport;
	o->have_tuple = true;
}

struct tuple_find {
	const struct sobj *o;
	const struct tcp_pcb *found;
};

/* match_tuple: tcp_foreach callback: the first live pcb with o's 4-tuple. */
static void match_tuple(struct tcp_pcb *pcb, void *arg)
{
	struct tuple_find *f = arg;
	const struct sobj *o = f->o;
	if (f->found || pcb->state == TCP_CLOSED || pcb->laddr != o->laddr || pcb->lport != o->lport ||
	    pcb->faddr != o->faddr || pcb->fport != o->fport)
		return;
	f->found = pcb; /* newest first: a reused tuple finds the live one */
}

/* conn_pcb: the TCP connection behind a conn object now, or NULL if there
 * is none any more (it reached CLOSED and was freed). */
static const struct tcp_pcb *conn_pcb(struct sobj *o)
{
	if (o->fd >= 0) {
		struct nb_sock *so = sock_get(o->stack, o->fd);
		return so ? so->tcp : NULL;
	}
	if (!o->have_tuple)
		return NULL;
	struct tuple_find f = {o, NULL};
	tcp_foreach(o->stack, match_tuple, &f);
	return f.found;
}

/* conn_refresh: state, tuple, acknowledged bytes and any pending error. */
static const struct tcp_pcb *conn_refresh(struct sobj *o)
{
	const struct tcp_pcb *pcb = conn_pcb(o);
	if (!pcb) {
		/* Freed after CLOSED: a graceful end means everything was acked. */
		if (o->have_tuple && !o->error && !o->aborted && o->state != TCP_CLOSED)
			o->acked = o->queued;
		o->state = TCP_CLOSED;
		return NULL;
	}
	remember_tuple(o, pcb);
	o->state = pcb->state;
	if (pcb->soerror)
		note_error(o, pcb->soerror);
	if (!(pcb->state == TCP_CLOSED && o->error)) {
		size_t unacked = tcp_sendq(pcb);
		uint64_t acked = o->queued > unacked ? o->queued - unacked : 0;
		if (acked > o->acked)
			o->acked = acked;
	}
	return pcb;
}

/* finish_deferred: the close or shutdown that waited for the quota. */
static void finish_deferred(struct sobj *o)
{
	enum sobj_defer d = o->defer;
	if (d == SOBJ_DEFER_NONE || o->to_send || o->fd < 0)
		return;
	o->defer = SOBJ_DEFER_NONE;
	if (d == SOBJ_DEFER_CLOSE) {
		conn_refresh(o);
		nb_sock_watch(o->stack, o->fd, 0, NULL, NULL);
		nb_close(o->stack, o->fd);
		o->fd = -1;
		o->closed = true;
		o->watch_mask = 0;
		return;
	}
	note_error(o, nb_shutdown(o->stack, o->fd, d == SOBJ_DEFER_SHUT_WR ? SHUT_WR : SHUT_RDWR));
}

/* pump_send: writes quota bytes while the socket takes them. */
static void pump_send(struct sobj *o)
{
	uint8_t buf[SOBJ_CHUNK];
	while (o->to_send && o->fd >= 0) {
		size_t n = o->to_send < sizeof(buf) ? (size_t)o->to_send : sizeof(buf);
		pattern_fill(buf, n, o->queued, SOBJ_PATTERN_SEED);
		ssize_t w = nb_send(o->stack, o->fd, buf, n, o->push ? NB_MSG_PUSH : 0);
		if (w == -EAGAIN || w == 0)
			break;
		if (w < 0) {
			note_error(o, (int)w);
			o->to_send = 0; /* the rest can never go */
			break;
		}
		lazy_hash_pattern(&o->tx, (size_t)w);   /* we made it: nothing to check */
		o->queued += (uint64_t)w;
		o->to_send -= (uint64_t)w;
	}
	if (!o->to_send)
		o->push = false;
}

/* pump_recv: reads while there is quota and data (or end of stream). */
static uint64_t pump_recv(struct sobj *o, uint64_t limit)
{
	uint8_t buf[SOBJ_CHUNK];
	uint64_t got = 0;
	while (limit && o->fd >= 0) {
		size_t n = limit < sizeof(buf) ? (size_t)limit : sizeof(buf);
		ssize_t r = nb_recv(o->stack, o->fd, buf, n, 0);
		if (r == -EAGAIN)
			break;
		if (r == 0) {
			o->eof = true;
			break;
		}
		if (r < 0) {
			note_error(o, (int)r);
			break;
		}
		lazy_hash_update(&o->rx, buf, (size_t)r);
		o->received += (uint64_t)r;
		got += (uint64_t)r;
		if (limit != UINT64_MAX)
			limit -= (uint64_t)r;
	}
	return got;
}

/* conn_watch: a connection's socket watcher: takes errors, writes and
 * reads the quotas, then runs a close that waited for the data. */
static void conn_watch(struct nb_stack *s, int fd, unsigned ev, void *arg)
{
	struct sobj *o = arg;
	(void)s;
	(void)fd;
	if (ev & (NB_EV_CONNECT | NB_EV_ERROR))
		note_error(o, nb_sock_error(o->stack, o->fd));
	if (o->to_send)
		pump_send(o);
	if (o->to_recv) {
		uint64_t got = pump_recv(o, o->to_recv);
		if (o->to_recv != UINT64_MAX)
			o->to_recv -= got;
	}
	conn_refresh(o);
	finish_deferred(o);
	rewatch(o);
}

int sobj_connect(struct sobj *o, uint32_t addr, uint16_t port, uint16_t from_port, bool nodelay)
{
	struct nb_stack *s = o->stack;
	int fd = nb_socket(s, NB_SOCK_STREAM, o->name);
	if (fd < 0)
		return fd;
	int rc = 0;
	if (from_port) {
		nb_setsockopt(s, fd, NB_SO_REUSEADDR, 1);
		rc = nb_bind(s, fd, 0, from_port);
	}
	if (rc == 0 && nodelay)
		rc = nb_setsockopt(s, fd, NB_SO_NODELAY, 1);
	if (rc < 0) {
		nb_close(s, fd);
		return rc;
	}
	o->fd = fd;
	o->faddr = addr;
	o->fport = port;
	rc = nb_connect(s, fd, addr, port);
	if (rc != -EINPROGRESS && rc != 0)
		note_error(o, rc);
	conn_refresh(o);
	rewatch(o);
	return 0;
}

int sobj_send(struct sobj *o, uint64_t bytes, bool push)
{
	if (o->kind != SOBJ_CONN || o->fd < 0 || o->defer == SOBJ_DEFER_CLOSE)
		return -ENOTCONN;
	if (o->defer != SOBJ_DEFER_NONE)
		return -EPIPE;
	struct nb_sock *so = sock_get(o->stack, o->fd);
	if (so && so->wr_shut)
		return -EPIPE;
	o->to_send += bytes;
	o->push = o->push || push;
	if (so && so->state == SS_CONNECTED)
		pump_send(o);
	conn_refresh(o);
	rewatch(o);
	return 0;
}

int sobj_recv(struct sobj *o, uint64_t bytes, uint64_t *got)
{
	*got = 0;
	if (o->kind != SOBJ_CONN || o->fd < 0)
		return -ENOTCONN;
	if (bytes == 0) {
		*got = pump_recv(o, UINT64_MAX);
	} else {
		o->to_recv = o->to_recv == UINT64_MAX || bytes > UINT64_MAX - 1 - o->to_recv
				     ? UINT64_MAX : o->to_recv + bytes;
		*got = pump_recv(o, o->to_recv);
		if (o->to_recv != UINT64_MAX)
			o->to_recv -= *got;
	}
	conn_refresh(o);
	rewatch(o);
	return 0;
}

int sobj_close(struct sobj *o, int how, bool abort)
{
	if (o->kind == SOBJ_LISTENER || o->kind == SOBJ_APP) {
		if (how >= 0)
			return -EOPNOTSUPP;
		if (o->bare && o->fd < 0)
			return -ENOTCONN;
		sobj_app_stop(o);
		return 0;
	}
	if (o->fd < 0)
		return -ENOTCONN;
	if (o->kind == SOBJ_CONN)
		conn_refresh(o);
	if (abort) {
		nb_sock_watch(o->stack, o->fd, 0, NULL, NULL);
		nb_abort(o->stack, o->fd);
		o->fd = -1;
		o->closed = o->aborted = true;
		o->to_send = 0;
		o->defer = SOBJ_DEFER_NONE;
		o->state = TCP_CLOSED;
		return 0;
	}
	if (o->kind == SOBJ_UDP) {
		if (how >= 0)
			return nb_shutdown(o->stack, o->fd, how);
		nb_sock_watch(o->stack, o->fd, 0, NULL, NULL);
		nb_close(o->stack, o->fd);
		o->fd = -1;
		o->closed = true;
		return 0;
	}
	if (how == SHUT_RD)
		return nb_shutdown(o->stack, o->fd, SHUT_RD);
	o->defer = how < 0 ? SOBJ_DEFER_CLOSE : how == SHUT_WR ? SOBJ_DEFER_SHUT_WR : SOBJ_DEFER_SHUT_BOTH;
	struct nb_sock *so = sock_get(o->stack, o->fd);
	if (o->to_send && so && so->state == SS_CONNECTING)
		return 0; /* the data goes first, then the close */
	if (o->to_send && so && so->state == SS_CONNECTED)
		pump_send(o);
	if (o->to_send && !(so && (so->state == SS_CONNECTED || so->state == SS_CONNECTING)))
		o->to_send = 0; /* it can never be written */
	finish_deferred(o);
	rewatch(o);
	return 0;
}

/* ---- listeners without an app ---- */

int sobj_listen(struct sobj *o, uint16_t port, int backlog)
{
	struct nb_stack *s = o->stack;
	int fd = nb_socket(s, NB_SOCK_STREAM, o->name);
	if (fd < 0)
		return fd;
	int rc = nb_bind(s, fd, 0, port);
	if (rc == 0)
		rc = nb_listen(s, fd, backlog);
	if (rc < 0) {
		nb_close(s, fd);
		return rc;
	}
	o->fd = fd;
	o->bare = true;
	o->lport = port;
	return 0;
}

int sobj_accept(struct sobj *l, struct sobj *c)
{
	if (l->kind != SOBJ_LISTENER || !l->bare || l->fd < 0 || c->kind != SOBJ_CONN)
		return -EINVAL;
	int fd = nb_accept(l->stack, l->fd, NULL, NULL);
	if (fd < 0)
		return fd;
	/* the connection's owner, in dumps, is the name the script gave it */
	struct nb_sock *so = sock_get(c->stack, fd);
	if (so) {
		snprintf(so->app, sizeof(so->app), "%s", c->name);
		if (so->tcp)
			snprintf(so->tcp->app, sizeof(so->tcp->app), "%s", c->name);
	}
	c->fd = fd;
	l->accepted++;
	conn_refresh(c);
	rewatch(c);
	return 0;
}

struct listen_find {
	uint16_t port;
	const struct tcp_pcb *found;
};

/* match_listener: tcp_foreach callback: the LISTEN pcb on a port. */
static void match_listener(struct tcp_pcb *pcb, void *arg)
{
	struct listen_find *f = arg;
	if (!f->found && pcb->state == TCP_LISTEN && pcb->lport == f->port)
		f->found = pcb;
}

bool sobj_queues(struct sobj *o, int *backlog, int *accept_q, int *syn_q)
{
	const struct tcp_pcb *pcb = NULL;
	*backlog = *accept_q = *syn_q = 0;
	if (o->kind != SOBJ_LISTENER)
		return false;
	if (o->bare && o->fd >= 0) {
		struct nb_sock *so = sock_get(o->stack, o->fd);
		pcb = so ? so->tcp : NULL;
	} else if (!o->bare && o->app) {
		struct listen_find f = {o->app->lport, NULL};
		tcp_foreach(o->stack, match_listener, &f);
		pcb = f.found;
	}
	if (!pcb || pcb->state != TCP_LISTEN)
		return false;
	*backlog = pcb->backlog;
	*accept_q = pcb->accept_len;
	*syn_q = pcb->syn_len;
	return true;
}

/* app_report: apps' reports need no action here. */
static void app_report(struct app *a, const struct app_report *r, void *arg)
{
	(void)a;
	(void)r;
	(void)arg; /* waits re-check after every loop iteration (cmd_script.c) */
}

int sobj_app_start(struct sobj *o, enum app_kind kind, const struct app_args *args)
{
	char name[APP_NAME_MAX];
	int err = 0;
	if (strlen(o->name) < APP_NAME_MAX)
		snprintf(name, sizeof(name), "%s", o->name);
	else
		snprintf(name, sizeof(name), "%.*s~%p", APP_NAME_MAX - 20, o->name, (void *)o);
	o->app_kind = kind;
	o->app = app_start(o->stack, kind, name, args, app_report, o, &err);
	return o->app ? 0 : (err ? err : -EINVAL);
}

/* snap_app: the app's totals now. */
static void snap_app(struct sobj *o, bool digests)
{
	struct app *a = o->app;
	o->snap.status = a->status;
	o->snap.error = a->error;
	o->snap.bytes_in = a->bytes_in;
	o->snap.bytes_out = a->bytes_out;
	o->snap.primary_bytes = app_primary_bytes(a);
	o->snap.conns_total = a->conns_total;
	if (digests) {
		lazy_hash_digest(&a->rx_hash, o->snap.rx);
		lazy_hash_digest(&a->tx_hash, o->snap.tx);
		app_digest(a, o->snap.primary);
	}
	snprintf(o->snap.detail, sizeof(o->snap.detail), "%s", a->detail);
}

void sobj_app_stop(struct sobj *o)
{
	if (o->bare && o->fd >= 0) {
		nb_close(o->stack, o->fd);
		o->fd = -1;
		o->closed = true;
		return;
	}
	if (!o->app)
		return;
	snap_app(o, true);
	if (o->snap.status == APP_RUNNING)
		o->snap.status = APP_STOPPED;
	app_stop(o->app);
	o->app = NULL;
}

/* udp_watch: reads (counts and hashes) every queued datagram. */
static void udp_watch(struct nb_stack *s, int fd, unsigned ev, void *arg)
{
	struct sobj *o = arg;
	uint8_t buf[65536];
	(void)s;
	(void)fd;
	if (ev & NB_EV_ERROR)
		note_error(o, nb_sock_error(o->stack, o->fd));
	for (;;) {
		struct nb_sock *so = sock_get(o->stack, o->fd);
		if (!so || !so->udp || !so->udp->rq_head)
			break;
		ssize_t r = nb_recvfrom(o->stack, o->fd, buf, sizeof(buf), NULL, NULL);
		if (r < 0) {
			if (r != -EAGAIN)
				note_error(o, (int)r);
			break;
		}
		lazy_hash_update(&o->rx, buf, (size_t)r);
		o->received += (uint64_t)r;
		o->dgrams_in++;
	}
}

int sobj_udp_open(struct sobj *o, uint16_t port)
{
	int fd = nb_socket(o->stack, NB_SOCK_DGRAM, o->name);
	if (fd < 0)
		return fd;
	int rc = nb_bind(o->stack, fd, 0, port);
	if (rc < 0) {
		nb_close(o->stack, fd);
		return rc;
	}
	o->fd = fd;
	nb_getsockname(o->stack, fd, &o->laddr, &o->lport);
	rewatch(o);
	return 0;
}

int sobj_udp_send(struct sobj *o, uint32_t addr, uint16_t port, uint64_t bytes)
{
	static uint8_t buf[65536];
	if (o->kind != SOBJ_UDP || o->fd < 0)
		return -ENOTCONN;
	if (bytes > sizeof(buf))
		return -EMSGSIZE;
	pattern_fill(buf, (size_t)bytes, o->queued, SOBJ_PATTERN_SEED);
	ssize_t w = nb_sendto(o->stack, o->fd, buf, (size_t)bytes, addr, port);
	if (w < 0) {
		note_error(o, (int)w);
		return (int)w;
	}
	lazy_hash_update(&o->tx, buf, (size_t)w);
	o->queued += (uint64_t)w;
	o->acked += (uint64_t)w;
	o->dgrams_out++;
	return 0;
}

/* hex_of: the digest so far of a stream. */
static void hex_of(struct lazy_hash *h, char out[SHA256_HEX_LEN])
{
	uint8_t d[SHA256_LEN];
	lazy_hash_digest(h, d);
	sha256_hex(d, out);
}

/* view_app: a listener's or app's view, live or from its snapshot. */
static void view_app(struct sobj *o, struct sobj_view *v, bool digests)
{
	if (o->app)
		snap_app(o, digests);
	const struct app_snap *sn = &o->snap;
	v->sent = sn->bytes_out;
	v->received = sn->bytes_in;
	v->queued = sn->bytes_out;
	v->bytes = sn->primary_bytes;
	v->conns = sn->conns_total;
	v->error = sn->error;
	v->status = app_status_name(sn->status);
	v->detail = sn->detail;
	v->done = sn->status == APP_DONE;
	v->failed = sn->status == APP_FAILED || sn->status == APP_STOPPED;
	if (digests) {
		sha256_hex(sn->tx, v->digest_sent);
		sha256_hex(sn->rx, v->digest_received);
		sha256_hex(sn->primary, v->digest);
	}
	if (o->kind == SOBJ_LISTENER)
		v->state = sn->status == APP_RUNNING ? "LISTEN" : "CLOSED";
	else
		v->state = v->status;
}

/* view_bare: a listener without an app: no bytes of its own. */
static void view_bare(struct sobj *o, struct sobj_view *v, bool digests)
{
	if (digests) {
		hex_of(&o->tx, v->digest_sent);
		hex_of(&o->rx, v->digest_received);
		memcpy(v->digest, v->digest_received, SHA256_HEX_LEN);
	}
	v->state = o->fd >= 0 ? "LISTEN" : "CLOSED";
	v->status = o->fd >= 0 ? "running" : "stopped";
	v->failed = o->fd < 0;
	v->conns = o->accepted;
	v->error = o->error;
}

void sobj_view(struct sobj *o, struct sobj_view *v, bool digests)
{
	static const char *const kinds[] = {"conn", "listener", "app", "udp"};
	memset(v, 0, sizeof(*v));
	v->kind = kinds[o->kind];
	v->status = v->detail = "";
	if (o->kind == SOBJ_LISTENER || o->kind == SOBJ_APP) {
		if (o->bare)
			view_bare(o, v, digests);
		else
			view_app(o, v, digests);
		sobj_queues(o, &v->backlog, &v->accept_q, &v->syn_q);
		return;
	}
	if (digests) {
		hex_of(&o->tx, v->digest_sent);
		hex_of(&o->rx, v->digest_received);
	}
	v->sent = o->acked;
	v->received = v->read = o->received;
	v->queued = o->queued;
	v->pending = o->to_send;
	if (o->kind == SOBJ_UDP) {
		if (o->fd >= 0) {
			struct nb_sock *so = sock_get(o->stack, o->fd);
			if (so && so->udp && so->udp->soerror)
				note_error(o, so->udp->soerror);
		}
		v->state = "-";
		v->done = o->closed;
		v->error = o->error;
		memcpy(v->digest, o->udp_receiver ? v->digest_received : v->digest_sent, SHA256_HEX_LEN);
		v->bytes = o->udp_receiver ? o->received : o->queued;
		return;
	}
	const struct tcp_pcb *pcb = conn_refresh(o);
	v->sent = o->acked;
	v->buffered = pcb && o->fd >= 0 ? tcp_recvq(pcb) : 0;
	v->read = o->received;
	v->received = o->received + v->buffered;
	v->tcp_state = o->state;
	v->state = tcp_state_name(o->state);
	v->gone = o->state == TCP_CLOSED;
	v->done = o->state == TCP_CLOSED || o->state == TCP_TIME_WAIT;
	v->error = o->error;
	memcpy(v->digest, v->digest_sent, SHA256_HEX_LEN);
	v->bytes = o->queued;
}

const char *sobj_error_name(int err)
{
	switch (err) {
	case 0: return "none";
	case -ECONNREFUSED: return "refused";
	case -ETIMEDOUT: return "timedout";
	case -ECONNRESET: return "reset";
	case -EHOSTUNREACH:
	case -ENETUNREACH: return "unreachable";
	default: {
		const char *s = err < 0 ? strerrorname_np(-err) : NULL;
		return s ? s : "unknown";
	}
	}
}

int sobj_state_parse(const char *s, enum tcp_state *st)
{
	static const struct { const char *alias, *name; } aliases[] = {
		{"SYN_RECV", "SYN_RECEIVED"}, {"FIN_WAIT1", "FIN_WAIT_1"}, {"FIN_WAIT2", "FIN_WAIT_2"},
		{"ESTAB", "ESTABLISHED"}, {"CLOSE", "CLOSED"},
	};
	char w[24];
	size_t n = strlen(s);
	if (n >= sizeof(w))
		return -1;
	for (size_t i = 0; i <= n; i++)
		w[i] = s[i] == '-' ? '_' : (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
	for (size_t i = 0; i < NB_ARRAY_LEN(aliases); i++)
		if (!strcmp(w, aliases[i].alias))
			snprintf(w, sizeof(w), "%s", aliases[i].name);
	for (int k = TCP_CLOSED; k <= TCP_TIME_WAIT; k++)
		if (!strcmp(w, tcp_state_name((enum tcp_state)k))) {
			*st = (enum tcp_state)k;
			return 0;
		}
	return -1;
}
