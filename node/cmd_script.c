/* cmd_script.c: the control verbs a topology script uses on a custom host.
 * Each works on a NAMED object (script_obj.h): the script's `as NAME`, or a
 * name the runner makes up (_step12).
 *
 *   listen NAME PORT [backlog N] [app sink|echo|http|none]
 *                              -> ok name= port= app=   (app none: nothing
 *                                 accepts; connections wait on the queue)
 *   accept LISTENER NAME       -> ok name= peer=A.B.C.D:P state= accept_q=
 *                                 the oldest connection on the accept queue
 *                                 of a listener without an app, as NAME
 *   connect NAME ADDR:PORT [from PORT] [nodelay]
 *                              -> ok name= state= error=   (at once; the
 *                                 outcome shows in obj / wait)
 *   send NAME BYTES [push]     -> ok queued= pending=      (written as the
 *                                 socket takes it; never blocks the node)
 *   recv NAME [BYTES]          -> ok read= total_read= pending=
 *                                 BYTES: read up to that many more, now and
 *                                 as they arrive (pending= still to read);
 *                                 none: read what is buffered now
 *   close NAME | abort NAME | shutdown NAME rd|wr|both   -> ok state=
 *   app NAME start sink|echo|http PORT [backlog N]
 *   app NAME start source ADDR:PORT BYTES [from PORT] [nodelay]
 *   app NAME start httpget URL [count N]                  -> ok name= app=
 *   app NAME stop              -> ok (totals stay readable with obj)
 *   udp NAME bind PORT         -> ok port=
 *   udp NAME send ADDR:PORT BYTES [from PORT]   -> ok sent= error=
 *   obj [NAME]                 -> ok name= kind= state= error= sent= received=
 *                                 read= queued= pending= buffered= conns= done=0|1
 *                                 [app= status= backlog= accept_q= syn_q=]
 *                                 bytes= digest= digest_sent=
 *                                 digest_received=      (no NAME: one data
 *                                 line per object, then ok count=)
 *   wait NAME state S|received BYTES|sent BYTES|done|accept_q N within T
 *                              -> ok waited_ns= <obj keys>  when it holds
 *                                 err timeout waited_ns= want= <obj keys>
 *                                 err never want= <obj keys>  (it cannot
 *                                 happen any more: refused, reset, app failed)
 *   counter [NAME]             -> ok name=tcp.retransmits value=N
 *
 * Waits (cmd_script_wait.c) are answered from cmd_script_after_io(), which
 * the event loop runs after every iteration, so a reply leaves in the same
 * iteration that made the condition true; a timer in the stack's heap ends
 * them at T.
 */
#include "cmd_script_int.h"

#include "stats.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static struct script_state *states;

struct script_state *cmd_script_find(struct node *n)
{
	struct script_state *st = states;
	while (st && st->n != n)
		st = st->next;
	return st;
}

/* state_of: n's script state, made on first use; NULL if out of memory. */
static struct script_state *state_of(struct node *n)
{
	struct script_state *st = cmd_script_find(n);
	if (st)
		return st;
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->n = n;
	st->objs.stack = &n->stack;
	st->next = states;
	states = st;
	return st;
}

/* ---- argument helpers (each replies itself on error and returns -1) ---- */

static struct script_state *need_state(struct node *n, struct ctl_req r)
{
	struct script_state *st = state_of(n);
	if (!st)
		ctl_err(&n->ctl, r, "out of memory");
	return st;
}

struct sobj *cmd_script_need_obj(struct node *n, struct ctl_req r, const char *name, unsigned mask, const char *verb)
{
	static const char *const kinds[] = {"connection", "listener", "app", "UDP socket"};
	struct script_state *st = need_state(n, r);
	if (!st)
		return NULL;
	struct sobj *o = sobj_find(&st->objs, name);
	if (!o) {
		ctl_err(&n->ctl, r, "%s: no object named '%s'", verb, name);
		return NULL;
	}
	if (!(mask & (1u << o->kind))) {
		ctl_err(&n->ctl, r, "%s: '%s' is a %s", verb, name, kinds[o->kind]);
		return NULL;
	}
	return o;
}

/* new_obj: a fresh object NAME, or an error reply. */
static struct sobj *new_obj(struct node *n, struct ctl_req r, const char *name, enum sobj_kind kind)
{
	struct script_state *st = need_state(n, r);
	int err = 0;
	if (!st)
		return NULL;
	struct sobj *o = sobj_new(&st->objs, name, kind, &err);
	if (!o)
		ctl_err(&n->ctl, r, err == -EEXIST ? "name '%s' is taken" : err == -ENAMETOOLONG ?
			"name '%s' is empty or too long" : "out of memory (%s)", name);
	return o;
}

/* drop_obj: forgets an object whose creation failed. */
static void drop_obj(struct node *n, struct sobj *o)
{
	sobj_drop(&state_of(n)->objs, o);
}

/* arg_port: a port 1..65535, or an error reply and -1. */
static int arg_port(struct node *n, struct ctl_req r, const char *what, const char *s, uint16_t *port)
{
	long v;
	if (cmd_arg_int(n, r, what, s, 1, 65535, &v))
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* ---- formatting ---- */

void cmd_script_view_keys(struct sobj *o, char *buf, size_t len, bool digests)
{
	struct sobj_view v;
	sobj_view(o, &v, digests);
	int k = snprintf(buf, len,
			 "name=%s kind=%s state=%s error=%s sent=%" PRIu64 " received=%" PRIu64 " read=%" PRIu64
			 " queued=%" PRIu64 " pending=%" PRIu64 " buffered=%" PRIu64 " conns=%d done=%d",
			 o->name, v.kind, v.state, sobj_error_name(v.error), v.sent, v.received, v.read, v.queued,
			 v.pending, v.buffered, v.conns, v.done ? 1 : 0);
	if (k > 0 && (size_t)k < len && (o->kind == SOBJ_LISTENER || o->kind == SOBJ_APP))
		k += snprintf(buf + k, len - (size_t)k, " app=%s status=%s", o->bare ? "none" : app_kind_name(o->app_kind),
			      v.status);
	if (k > 0 && (size_t)k < len && o->kind == SOBJ_LISTENER)
		k += snprintf(buf + k, len - (size_t)k, " backlog=%d accept_q=%d syn_q=%d", v.backlog, v.accept_q, v.syn_q);
	if (k > 0 && (size_t)k < len)
		k += snprintf(buf + k, len - (size_t)k, " bytes=%" PRIu64, v.bytes);
	if (digests && k > 0 && (size_t)k < len)
		snprintf(buf + k, len - (size_t)k, " digest=%s digest_sent=%s digest_received=%s",
			 v.digest, v.digest_sent, v.digest_received);
}

/* ---- connections ---- */

/* v_listen: listen NAME PORT [backlog N] [app sink|echo|http|none]. */
static void v_listen(struct node *n, struct ctl_req r, int argc, char **argv)
{
	struct app_args a = {.backlog = 16};
	enum app_kind kind = APP_SINK;
	bool bare = false;
	if (argc < 3 || (argc - 3) % 2) {
		cmd_script_usage(n, r, argv[0]);
		return;
	}
	if (arg_port(n, r, "port", argv[2], &a.port))
		return;
	for (int i = 3; i < argc; i += 2) {
		long v;
		if (!strcmp(argv[i], "backlog")) {
			if (cmd_arg_int(n, r, "backlog", argv[i + 1], 1, 65535, &v))
				return;
			a.backlog = (int)v;
		} else if (!strcmp(argv[i], "app")) {
			bare = !strcmp(argv[i + 1], "none");
			if (!bare && (app_kind_parse(argv[i + 1], &kind) ||
				      (kind != APP_SINK && kind != APP_ECHO && kind != APP_HTTP))) {
				ctl_err(&n->ctl, r, "listen: app is sink, echo, http or none, not '%s'", argv[i + 1]);
				return;
			}
		} else {
			ctl_err(&n->ctl, r, "listen: unknown option '%s'", argv[i]);
			return;
		}
	}
	struct sobj *o = new_obj(n, r, argv[1], SOBJ_LISTENER);
	if (!o)
		return;
	int rc = bare ? sobj_listen(o, a.port, a.backlog) : sobj_app_start(o, kind, &a);
	if (rc < 0) {
		ctl_err(&n->ctl, r, "listen %s port %u: %s", argv[1], a.port, strerror(-rc));
		drop_obj(n, o);
		return;
	}
	ctl_ok(&n->ctl, r, "name=%s port=%u app=%s", o->name, a.port, bare ? "none" : app_kind_name(kind));
}

/* v_accept: accept LISTENER NAME. */
static void v_accept(struct node *n, struct ctl_req r, int argc, char **argv)
{
	struct sobj_view v;
	char a[16];
	if (argc != 3) {
		cmd_script_usage(n, r, argv[0]);
		return;
	}
	struct sobj *l = cmd_script_need_obj(n, r, argv[1], 1u << SOBJ_LISTENER, "accept");
	if (!l)
		return;
	if (!l->bare) {
		ctl_err(&n->ctl, r, "accept: '%s' has an app (%s) that accepts its connections itself", l->name,
			app_kind_name(l->app_kind));
		return;
	}
	if (l->fd < 0) {
		ctl_err(&n->ctl, r, "accept: '%s' is closed", l->name);
		return;
	}
	sobj_view(l, &v, false);
	if (v.accept_q == 0) {
		ctl_err(&n->ctl, r, "accept %s: no connection is waiting on its accept queue (accept_q 0, syn_q %d, "
			"backlog %d)", l->name, v.syn_q, v.backlog);
		return;
	}
	struct sobj *c = new_obj(n, r, argv[2], SOBJ_CONN);
	if (!c)
		return;
	int rc = sobj_accept(l, c);
	if (rc < 0) {
		ctl_err(&n->ctl, r, "accept %s: %s", l->name, strerror(-rc));
		drop_obj(n, c);
		return;
	}
	sobj_view(l, &v, false);
	ctl_ok(&n->ctl, r, "name=%s peer=%s:%u state=%s accept_q=%d", c->name, nb_ip4_fmt(c->faddr, a), c->fport,
	       tcp_state_name(c->state), v.accept_q);
}

/* v_connect: connect NAME ADDR:PORT [from PORT] [nodelay]. */
static void v_connect(struct node *n, struct ctl_req r, int argc, char **argv)
{
	uint32_t addr;
	uint16_t port, from = 0;
	bool nodelay = false;
	if (argc < 3) {
		cmd_script_usage(n, r, argv[0]);
		return;
	}
	if (cmd_arg_addr_port(n, r, argv[2], &addr, &port))
		return;
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "nodelay")) {
			nodelay = true;
		} else if (!strcmp(argv[i], "from") && i + 1 < argc) {
			if (arg_port(n, r, "from", argv[++i], &from))
				return;
		} else {
			ctl_err(&n->ctl, r, "connect: unknown option '%s'", argv[i]);
			return;
		}
	}
	struct sobj *o = new_obj(n, r, argv[1], SOBJ_CONN);
	if (!o)
		return;
	int rc = sobj_connect(o, addr, port, from, nodelay);
	if (rc < 0) {
		ctl_err(&n->ctl, r, "connect %s: %s", argv[2], strerror(-rc));
		drop_obj(n, o);
		return;
	}
	ctl_ok(&n->ctl, r, "name=%s lport=%u state=%s error=%s", o->name, o->lport, tcp_state_name(o->state),
	       sobj_error_name(o->error));
}

/* v_send: send NAME BYTES [push]. */
static void v_send(struct node *n, struct ctl_req r, int argc, char **argv)
{
	uint64_t bytes;
	if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "push"))) {
		cmd_script_usage(n, r, argv[0]);
		return;
	}
	struct sobj *o = cmd_script_need_obj(n, r, argv[1], 1u << SOBJ_CONN, "send");
	if (!o || cmd_arg_size(n, r, "send", argv[2], &bytes))
		return;
	int rc = sobj_send(o, bytes, argc == 4);
	if (rc < 0)
		ctl_err(&n->ctl, r, "send %s: %s", o->name,
			rc == -EPIPE ? "its sending side is shut down" : "it is closed");
	else
		ctl_ok(&n->ctl, r, "queued=%" PRIu64 " pending=%" PRIu64, o->queued, o->to_send);
}

/* v_recv: recv NAME [BYTES]. */
static void v_recv(struct node *n, struct ctl_req r, int argc, char **argv)
{
	uint64_t bytes = 0, got;
	if (argc < 2 || argc > 3) {
		cmd_script_usage(n, r, argv[0]);
		return;
	}
	struct sobj *o = cmd_script_need_obj(n, r, argv[1], 1u << SOBJ_CONN, "recv");
	if (!o || (argc == 3 && cmd_arg_size(n, r, "recv", argv[2], &bytes)))
		return;
	if (sobj_recv(o, bytes, &got) < 0) {
		ctl_err(&n->ctl, r, "recv %s: it is closed", o->name);
		return;
	}
	ctl_ok(&n->ctl, r, "read=%" PRIu64 " total_read=%" PRIu64 " pending=%" PRIu64, got, o->received,
	       o->to_recv == UINT64_MAX ? 0 : o->to_recv);
}

/* v_close: close, abort and shutdown. */
static void v_close(struct node *n, struct ctl_req r, int argc, char **argv)
{
	bool shut = !strcmp(argv[0], "shutdown"), abort = !strcmp(argv[0], "abort");
	int how = -1;
	if (argc != (shut ? 3 : 2)) {
		cmd_script_usage(n, r, argv[0]);
		return;
	}
	if (shut) {
		if (!strcmp(argv[2], "rd"))
			how = SHUT_RD;
		else if (!strcmp(argv[2], "wr"))
			how = SHUT_WR;
		else if (!strcmp(argv[2], "both"))
			how = SHUT_RDWR;
		else {
			ctl_err(&n->ctl, r, "shutdown: rd, wr or both, not '%s'", argv[2]);
			return;
		}
	}
	unsigned mask = abort || shut ? 1u << SOBJ_CONN : ~0u;
	if (shut)
		mask |= 1u << SOBJ_UDP;
	struct sobj *o = cmd_script_need_obj(n, r, argv[1], mask, argv[0]);
	if (!o)
		return;
	int rc = sobj_close(o, how, abort);
	if (rc < 0) {
		ctl_err(&n->ctl, r, "%s %s: %s", argv[0], o->name, rc == -ENOTCONN ? "it is already closed" : strerror(-rc));
		return;
	}
	struct sobj_view v;
	sobj_view(o, &v, false);
	ctl_ok(&n->ctl, r, "state=%s pending=%" PRIu64, v.state, v.pending);
}

/* ---- apps ---- */

/* v_app: app NAME start KIND ... | app NAME stop. */
static void v_app(struct node *n, struct ctl_req r, int argc, char **argv)
{
	struct app_args a = {0};
	enum app_kind kind;
	int i;
	if (argc == 3 && !strcmp(argv[2], "stop")) {
		struct sobj *o = cmd_script_need_obj(n, r, argv[1], 1u << SOBJ_APP | 1u << SOBJ_LISTENER, "app stop");
		if (o) {
			sobj_app_stop(o);
			ctl_ok(&n->ctl, r, "status=%s", app_status_name(o->snap.status));
		}
		return;
	}
	if (argc < 5 || strcmp(argv[2], "start")) {
		cmd_script_usage(n, r, argv[0]);
		return;
	}
	if (app_kind_parse(argv[3], &kind)) {
		ctl_err(&n->ctl, r, "app: unknown app '%s' (sink, echo, http, source, httpget)", argv[3]);
		return;
	}
	switch (kind) {
	case APP_SOURCE:
		if (argc < 6 || cmd_arg_addr_port(n, r, argv[4], &a.addr, &a.port) ||
		    cmd_arg_size(n, r, "source", argv[5], &a.bytes)) {
			if (argc < 6)
				cmd_script_usage(n, r, argv[0]);
			return;
		}
		i = 6;
		break;
	case APP_HTTPGET:
		if (strncmp(argv[4], "http://", 7)) {
			ctl_err(&n->ctl, r, "app httpget: wants a URL such as http://10.0.0.2/1MiB, not '%s'", argv[4]);
			return;
		}
		a.url = argv[4];
		i = 5;
		break;
	default:
		if (arg_port(n, r, "port", argv[4], &a.port))
			return;
		i = 5;
		break;
	}
	for (; i < argc; i++) {
		long v;
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(argv[i], "nodelay") && kind == APP_SOURCE) {
			a.nodelay = true;
			continue;
		}
		if (!strcmp(argv[i], "count") && kind == APP_HTTPGET) {
			if (cmd_arg_int(n, r, "count", val, 1, 1000000, &v))
				return;
			a.requests = (int)v;
		} else if (!strcmp(argv[i], "backlog") && kind != APP_SOURCE && kind != APP_HTTPGET) {
			if (cmd_arg_int(n, r, "backlog", val, 1, 65535, &v))
				return;
			a.backlog = (int)v;
		} else if (!strcmp(argv[i], "from") && kind == APP_SOURCE) {
			if (arg_port(n, r, "from", val, &a.lport))
				return;
		} else {
			ctl_err(&n->ctl, r, "app %s: unknown option '%s'", argv[3], argv[i]);
			return;
		}
		i++;
	}
	struct sobj *o = new_obj(n, r, argv[1], SOBJ_APP);
	if (!o)
		return;
	int rc = sobj_app_start(o, kind, &a);
	if (rc < 0) {
		ctl_err(&n->ctl, r, "app %s start %s: %s", argv[1], argv[3], strerror(-rc));
		drop_obj(n, o);
		return;
	}
	ctl_ok(&n->ctl, r, "name=%s app=%s", o->name, app_kind_name(kind));
}

/* v_udp: udp NAME bind PORT | udp NAME send ADDR:PORT BYTES [from PORT]. */
static void v_udp(struct node *n, struct ctl_req r, int argc, char **argv)
{
	bool bind = argc == 4 && !strcmp(argv[2], "bind");
	bool send = argc >= 5 && !strcmp(argv[2], "send");
	uint16_t port, from = 0;
	uint32_t addr;
	uint64_t bytes;
	if (!bind && !send) {
		cmd_script_usage(n, r, argv[0]);
		return;
	}
	if (bind) {
		if (arg_port(n, r, "port", argv[3], &port))
			return;
		struct sobj *o = new_obj(n, r, argv[1], SOBJ_UDP);
		if (!o)
			return;
		o->udp_receiver = true;
		int rc = sobj_udp_open(o, port);
		if (rc < 0) {
			ctl_err(&n->ctl, r, "udp %s bind %u: %s", argv[1], port, strerror(-rc));
			drop_obj(n, o);
			return;
		}
		ctl_ok(&n->ctl, r, "name=%s port=%u", o->name, o->lport);
		return;
	}
	if (cmd_arg_addr_port(n, r, argv[3], &addr, &port) || cmd_arg_size(n, r, "udp send", argv[4], &bytes))
		return;
	if (bytes > 65507) {
		ctl_err(&n->ctl, r, "udp send: a datagram carries at most 65507 bytes");
		return;
	}
	if (argc == 7 && !strcmp(argv[5], "from")) {
		if (arg_port(n, r, "from", argv[6], &from))
			return;
	} else if (argc != 5) {
		cmd_script_usage(n, r, argv[0]);
		return;
	}
	struct script_state *st = need_state(n, r);
	if (!st)
		return;
	struct sobj *o = sobj_find(&st->objs, argv[1]);
	if (o && o->kind != SOBJ_UDP) {
		ctl_err(&n->ctl, r, "udp send: '%s' is not a UDP socket", argv[1]);
		return;
	}
	if (o && from && from != o->lport) {
		ctl_err(&n->ctl, r, "udp send: '%s' is bound to port %u, not %u", argv[1], o->lport, from);
		return;
	}
	if (!o) {
		if (!(o = new_obj(n, r, argv[1], SOBJ_UDP)))
			return;
		int rc = sobj_udp_open(o, from);
		if (rc < 0) {
			ctl_err(&n->ctl, r, "udp %s: bind %u: %s", argv[1], from, strerror(-rc));
			drop_obj(n, o);
			return;
		}
	}
	if (o->fd < 0) {
		ctl_err(&n->ctl, r, "udp send: '%s' is closed", argv[1]);
		return;
	}
	int rc = sobj_udp_send(o, addr, port, bytes);
	ctl_ok(&n->ctl, r, "sent=%" PRIu64 " error=%s", rc < 0 ? 0 : bytes, sobj_error_name(rc));
}

/* ---- inspection ---- */

#define COUNTER_ROW(layer, name) {#layer "." #name, offsetof(struct nb_stats, layer##_##name)},
static const struct {
	const char *name;
	size_t off;
} counters[] = {NB_STATS(COUNTER_ROW)};
#undef COUNTER_ROW

/* counter_value: the stats field at byte offset off. */
static uint64_t counter_value(const struct nb_stack *s, size_t off)
{
	uint64_t v;
	memcpy(&v, (const char *)&s->stats + off, sizeof(v));
	return v;
}

/* v_counter: counter [NAME]. */
static void v_counter(struct node *n, struct ctl_req r, int argc, char **argv)
{
	if (argc > 2) {
		cmd_script_usage(n, r, argv[0]);
		return;
	}
	for (size_t i = 0; i < NB_ARRAY_LEN(counters); i++) {
		if (argc == 1)
			ctl_data(&n->ctl, r, "%s %" PRIu64, counters[i].name, counter_value(&n->stack, counters[i].off));
		else if (!strcmp(argv[1], counters[i].name)) {
			ctl_ok(&n->ctl, r, "name=%s value=%" PRIu64, counters[i].name,
			       counter_value(&n->stack, counters[i].off));
			return;
		}
	}
	if (argc == 1)
		ctl_ok(&n->ctl, r, "count=%zu", NB_ARRAY_LEN(counters));
	else
		ctl_err(&n->ctl, r, "counter: no counter named '%s' (try 'counter' for the list)", argv[1]);
}

void cmd_script_free(struct node *n)
{
	for (struct script_state **pp = &states; *pp; pp = &(*pp)->next) {
		struct script_state *st = *pp;
		if (st->n != n)
			continue;
		cmd_script_waits_end(st);
		cmd_script_objs_end(st);
		sobj_free_all(&st->objs);
		*pp = st->next;
		free(st);
		return;
	}
}

const struct cmd_verb cmd_script_verbs[] = {
	{"listen", v_listen, "listen NAME PORT [backlog N] [app sink|echo|http|none]"},
	{"accept", v_accept, "accept LISTENER NAME"},
	{"connect", v_connect, "connect NAME ADDR:PORT [from PORT] [nodelay]"},
	{"send", v_send, "send NAME BYTES [push]"},
	{"recv", v_recv, "recv NAME [BYTES]"},
	{"close", v_close, "close NAME"},
	{"shutdown", v_close, "shutdown NAME rd|wr|both"},
	{"abort", v_close, "abort NAME"},
	{"app", v_app, "app NAME start sink|echo|http PORT [backlog N] | app NAME start source ADDR:PORT BYTES "
		       "[from PORT] [nodelay] | app NAME start httpget URL [count N] | app NAME stop"},
	{"udp", v_udp, "udp NAME bind PORT | udp NAME send ADDR:PORT BYTES [from PORT]"},
	{"obj", cmd_script_v_obj, "obj [NAME]"},
	{"wait", cmd_script_v_wait, "wait NAME state S|received BYTES|sent BYTES|done|accept_q N within T"},
	{"counter", v_counter, "counter [NAME]"},
	{NULL, NULL, NULL},
};

void cmd_script_usage(struct node *n, struct ctl_req r, const char *verb)
{
	for (const struct cmd_verb *v = cmd_script_verbs; v->name; v++)
		if (!strcmp(v->name, verb)) {
			ctl_err(&n->ctl, r, "usage: %s", v->usage);
			return;
		}
	ctl_err(&n->ctl, r, "usage: help");
}
