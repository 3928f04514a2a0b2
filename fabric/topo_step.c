/* topo_step.c: the script. Each non-indented line that is not a declaration
 * is one step: "HOST: ACTION ..." acts on a host (here); set, link,
 * partition, heal, kill, restart, sleep, wait, expect and dump act on the lab
 * (topo_lab_step.c). A step is
 * parsed completely or not at all; names it defines with `as` are kept only
 * if it parses (else they are poisoned, so later uses stay quiet). */
#include "topo_int.h"

#include <stdlib.h>
#include <string.h>

#define OBJ(k) (1u << (k))

static const char *const actions[] = {"listen", "connect", "send", "recv", "close", "shutdown", "abort",
				      "app", "ping", "udp", "exec", "accept", NULL};
static const char *const keywords[] = {"lab", "seed", "defaults", "host", "switch", "link", "set",
				       "partition", "heal", "kill", "restart", "sleep", "wait", "expect",
				       "dump", NULL};
static const char *const tcp_state_upper[] = {"CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED",
					      "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK",
					      "TIME_WAIT"};
static const char *const app_names[] = {"none", "sink", "echo", "http", "source", "httpget"};
static const char *const step_names[] = {
	"listen", "connect", "accept", "send", "recv", "close", "shutdown", "abort", "app start", "app stop", "ping",
	"udp bind", "udp send", "exec", "set", "link set", "link down", "link up", "partition", "heal",
	"kill", "restart", "sleep", "wait", "expect", "dump"};

const char *topo_tcp_state_name(enum topo_tcp_state st)
{
	return (unsigned)st < NB_ARRAY_LEN(tcp_state_upper) ? tcp_state_upper[st] : "?";
}

const char *topo_app_name(enum topo_app app)
{
	return (unsigned)app < NB_ARRAY_LEN(app_names) ? app_names[app] : "?";
}

const char *topo_step_name(enum topo_step_kind kind)
{
	return (unsigned)kind < NB_ARRAY_LEN(step_names) ? step_names[kind] : "?";
}

bool topo_is(const struct topo_line *l, int i, const char *w)
{
	return i < l->ntok && !l->tok[i].quoted && !strcmp(l->tok[i].s, w);
}

#define is topo_is

/* Options after the fixed words of a step: each known word at most once. */
struct opts {
	const char *const *names;    /* NULL-terminated */
	int at[12];                  /* word index of each option, 0 if absent */
};

/* scan_opts: walks words from i; `takes` says how many values follow each
 * option. 0, or -1 after reporting. */
static int scan_opts(struct topo_ctx *cx, const struct topo_line *l, int i, struct opts *o, const int *takes,
		     const char *step)
{
	memset(o->at, 0, sizeof o->at);
	while (i < l->ntok) {
		int k = 0;
		while (o->names[k] && !is(l, i, o->names[k]))
			k++;
		if (!o->names[k]) {
			char what[48];
			snprintf(what, sizeof what, "'%s' option", step);
			topo_unknown_word(cx, l, i, what, o->names);
			return -1;
		}
		if (o->at[k]) {
			topo_err_at(cx, l, i, "'%s' given twice", o->names[k]);
			return -1;
		}
		o->at[k] = i;
		if (takes[k] && i + takes[k] >= l->ntok) {
			topo_err_at(cx, l, l->ntok, "'%s' wants a value", o->names[k]);
			return -1;
		}
		i += 1 + takes[k];
	}
	return 0;
}

/* --- host actions --- */

static int st_listen(struct topo_ctx *cx, const struct topo_line *l, int h, struct topo_step *s)
{
	static const char *const names[] = {"backlog", "as", "app", NULL};
	static const int takes[] = {1, 1, 1};
	static const char *const apps[] = {"sink", "echo", "http", "none", NULL};
	struct opts o = {names, {0}};
	uint64_t v;
	int i = is(l, 2, "tcp") ? 3 : 2;
	if (topo_word_port(cx, l, i, "listen", &s->u.listen.port) || scan_opts(cx, l, i + 1, &o, takes, "listen"))
		return -1;
	s->u.listen.backlog = 16;
	s->u.listen.app = TOPO_APP_SINK;
	s->u.listen.obj = -1;
	if (o.at[0]) {
		if (topo_word_uint(cx, l, o.at[0] + 1, "backlog", 1, 65535, &v))
			return -1;
		s->u.listen.backlog = (int)v;
	}
	if (o.at[2]) {
		int k = 0;
		while (apps[k] && !is(l, o.at[2] + 1, apps[k]))
			k++;
		if (!apps[k]) {
			topo_unknown_word(cx, l, o.at[2] + 1, "server app", apps);
			return -1;
		}
		s->u.listen.app = k == 3 ? TOPO_APP_NONE : (enum topo_app)(TOPO_APP_SINK + k);
	}
	if (o.at[1] && (s->u.listen.obj = topo_def_obj(cx, l, o.at[1] + 1, TOPO_OBJ_LISTENER, s->u.listen.app, h)) < 0)
		return -1;
	return 0;
}

static int st_connect(struct topo_ctx *cx, const struct topo_line *l, int h, struct topo_step *s)
{
	static const char *const names[] = {"from", "as", "nodelay", NULL};
	static const int takes[] = {1, 1, 0};
	struct opts o = {names, {0}};
	s->u.connect.obj = -1;
	if (topo_ref_addr(cx, l, 2, true, &s->u.connect.addr, &s->u.connect.port) ||
	    scan_opts(cx, l, 3, &o, takes, "connect"))
		return -1;
	if (o.at[0] && topo_word_port(cx, l, o.at[0] + 1, "from", &s->u.connect.from_port))
		return -1;
	s->u.connect.nodelay = o.at[2] != 0;
	if (o.at[1] && (s->u.connect.obj = topo_def_obj(cx, l, o.at[1] + 1, TOPO_OBJ_CONN, TOPO_APP_NONE, h)) < 0)
		return -1;
	return 0;
}

/* st_accept: HOST: accept LISTENER [as NAME]: one connection off the
 * accept queue of a listener without an app. */
static int st_accept(struct topo_ctx *cx, const struct topo_line *l, int h, struct topo_step *s)
{
	static const char *const names[] = {"as", NULL};
	static const int takes[] = {1};
	struct opts o = {names, {0}};
	s->u.accept.obj = -1;
	if ((s->u.accept.listener = topo_ref_obj(cx, l, 2, OBJ(TOPO_OBJ_LISTENER), h, "listener")) < 0)
		return -1;
	const struct topo_obj *ob = &cx->t->objs[s->u.accept.listener];
	if (ob->app != TOPO_APP_NONE) {
		topo_err_at(cx, l, 2, "'%s' has an app (%s) that accepts its connections itself; listen with "
			    "'app none' to accept them with 'accept'", ob->name, topo_app_name(ob->app));
		return -1;
	}
	if (scan_opts(cx, l, 3, &o, takes, "accept"))
		return -1;
	if (o.at[0] && (s->u.accept.obj = topo_def_obj(cx, l, o.at[0] + 1, TOPO_OBJ_CONN, TOPO_APP_NONE, h)) < 0)
		return -1;
	return 0;
}

static int st_send_recv(struct topo_ctx *cx, const struct topo_line *l, int h, struct topo_step *s)
{
	bool send = s->kind == TOPO_STEP_SEND;
	int o = topo_ref_obj(cx, l, 2, OBJ(TOPO_OBJ_CONN), h, "connection");
	uint64_t n = 0;
	if (o < 0)
		return -1;
	if (send || l->ntok > 3) {
		if (topo_word_size(cx, l, 3, send ? "send" : "recv", &n))
			return -1;
		if (n == 0) {
			topo_err_at(cx, l, 3, "'%s' wants at least 1 byte", send ? "send" : "recv");
			return -1;
		}
	}
	if (send) {
		s->u.send.obj = o;
		s->u.send.bytes = n;
		s->u.send.push = is(l, 4, "push");
		return topo_extra(cx, l, s->u.send.push ? 5 : 4);
	}
	s->u.recv.obj = o;
	s->u.recv.bytes = n;
	return topo_extra(cx, l, 4);
}

static int st_close(struct topo_ctx *cx, const struct topo_line *l, int h, struct topo_step *s)
{
	static const char *const hows[] = {"rd", "wr", "both", NULL};
	unsigned mask = s->kind == TOPO_STEP_CLOSE ? OBJ(TOPO_OBJ_CONN) | OBJ(TOPO_OBJ_UDP) | OBJ(TOPO_OBJ_LISTENER)
						   : OBJ(TOPO_OBJ_CONN);
	s->u.close.obj = topo_ref_obj(cx, l, 2, mask, h, "connection");
	s->u.close.how = TOPO_SHUT_WR;
	if (s->u.close.obj < 0)
		return -1;
	if (s->kind == TOPO_STEP_SHUTDOWN && l->ntok > 3) {
		int k = 0;
		while (hows[k] && !is(l, 3, hows[k]))
			k++;
		if (!hows[k]) {
			topo_unknown_word(cx, l, 3, "shutdown direction", hows);
			return -1;
		}
		s->u.close.how = (enum topo_shut)k;
		return topo_extra(cx, l, 4);
	}
	return topo_extra(cx, l, 3);
}

/* parse_url: http://ADDR|HOST[:PORT]/PATH into the step. */
static int parse_url(struct topo_ctx *cx, struct topo_line *l, int i, struct topo_step *s)
{
	const char *u = i < l->ntok ? l->tok[i].s : "";
	if (strncmp(u, "http://", 7) || !u[7]) {
		topo_err_at(cx, l, i, "'httpget' wants a URL such as http://10.0.0.2:8080/1MiB");
		return -1;
	}
	const char *hp = u + 7, *slash = strchr(hp, '/');
	size_t n = slash ? (size_t)(slash - hp) : strlen(hp);
	char save[TOPO_LINE_MAX];
	struct topo_tok keep = l->tok[i];
	snprintf(save, sizeof save, "%.*s", (int)n, hp);
	bool port = strchr(save, ':') != NULL;
	l->tok[i].s = save;                  /* resolve "HOST[:PORT]" as a word */
	int rc = topo_ref_addr(cx, l, i, port, &s->u.app.addr, &s->u.app.port);
	l->tok[i] = keep;
	if (rc)
		return -1;
	if (!port)
		s->u.app.port = 80;
	s->u.app.url = topo_strdup(u);
	s->u.app.path = topo_strdup(slash ? slash : "/");
	return s->u.app.url && s->u.app.path ? 0 : -1;
}

static int st_app(struct topo_ctx *cx, struct topo_line *l, int h, struct topo_step *s)
{
	static const char *const verbs[] = {"start", "stop", NULL};
	static const char *const kinds[] = {"sink", "echo", "http", "source", "httpget", NULL};
	static const char *const names[] = {"as", "count", NULL};
	static const int takes[] = {1, 1};
	struct opts o = {names, {0}};
	if (is(l, 2, "stop")) {
		s->kind = TOPO_STEP_APP_STOP;
		s->u.app_stop.obj = topo_ref_obj(cx, l, 3, OBJ(TOPO_OBJ_APP) | OBJ(TOPO_OBJ_LISTENER), h, "app");
		return s->u.app_stop.obj < 0 ? -1 : topo_extra(cx, l, 4);
	}
	if (!is(l, 2, "start")) {
		topo_unknown_word(cx, l, 2, "'app' verb", verbs);
		return -1;
	}
	int k = 0, i;
	while (kinds[k] && !is(l, 3, kinds[k]))
		k++;
	if (!kinds[k]) {
		topo_unknown_word(cx, l, 3, "app", kinds);
		return -1;
	}
	s->u.app.app = (enum topo_app)(TOPO_APP_SINK + k);
	s->u.app.obj = -1;
	s->u.app.count = 1;
	if (k <= 2) {
		if (topo_word_port(cx, l, 4, kinds[k], &s->u.app.port))
			return -1;
		i = 5;
	} else if (k == 3) {
		if (topo_ref_addr(cx, l, 4, true, &s->u.app.addr, &s->u.app.port) ||
		    topo_word_size(cx, l, 5, "source", &s->u.app.bytes))
			return -1;
		i = 6;
	} else {
		if (parse_url(cx, l, 4, s))
			return -1;
		i = 5;
	}
	if (scan_opts(cx, l, i, &o, takes, "app start"))
		return -1;
	if (o.at[1]) {
		uint64_t v;
		if (k != 4) {
			topo_err_at(cx, l, o.at[1], "'count' is for httpget");
			return -1;
		}
		if (topo_word_uint(cx, l, o.at[1] + 1, "count", 1, 1000000, &v))
			return -1;
		s->u.app.count = (int)v;
	}
	if (o.at[0] && (s->u.app.obj = topo_def_obj(cx, l, o.at[0] + 1, TOPO_OBJ_APP, s->u.app.app, h)) < 0)
		return -1;
	return 0;
}

static int st_ping(struct topo_ctx *cx, const struct topo_line *l, int h, struct topo_step *s)
{
	static const char *const names[] = {"count", "interval", "timeout", "size", "ttl", "expect", NULL};
	static const int takes[] = {1, 1, 1, 1, 1, 1};
	struct opts o = {names, {0}};
	uint64_t v;
	s->u.ping.count = 3;
	s->u.ping.interval_ns = NB_MS(200);
	s->u.ping.timeout_ns = NB_SEC(1);
	s->u.ping.size = 56;
	s->u.ping.ttl = 64;
	s->u.ping.expect_success = true;
	if (topo_ref_addr(cx, l, 2, false, &s->u.ping.addr, NULL) || scan_opts(cx, l, 3, &o, takes, "ping"))
		return -1;
	if (o.at[0]) {
		if (topo_word_uint(cx, l, o.at[0] + 1, "count", 1, 10000, &v))
			return -1;
		s->u.ping.count = (int)v;
	}
	for (int k = 1; k <= 2; k++)
		if (o.at[k]) {
			uint64_t *t = k == 1 ? &s->u.ping.interval_ns : &s->u.ping.timeout_ns;
			if (topo_word_time(cx, l, o.at[k] + 1, names[k], t))
				return -1;
			if (*t < NB_MS(1) || *t > NB_SEC(60)) {
				topo_err_at(cx, l, o.at[k] + 1, "'%s' must be between 1ms and 60s", names[k]);
				return -1;
			}
		}
	if (o.at[3]) {
		if (topo_word_uint(cx, l, o.at[3] + 1, "size", 0, 65507, &v))
			return -1;
		s->u.ping.size = (int)v;
	}
	if (o.at[4]) {
		if (topo_word_uint(cx, l, o.at[4] + 1, "ttl", 1, 255, &v))
			return -1;
		s->u.ping.ttl = (int)v;
	}
	if (o.at[5]) {
		static const char *const outcomes[] = {"success", "failure", NULL};
		if (!is(l, o.at[5] + 1, "success") && !is(l, o.at[5] + 1, "failure")) {
			topo_unknown_word(cx, l, o.at[5] + 1, "ping outcome", outcomes);
			return -1;
		}
		s->u.ping.expect_success = is(l, o.at[5] + 1, "success");
	}
	return 0;
}

static int st_udp(struct topo_ctx *cx, const struct topo_line *l, int h, struct topo_step *s)
{
	static const char *const verbs[] = {"bind", "send", NULL};
	static const char *const names[] = {"from", "as", NULL};
	static const int takes[] = {1, 1};
	struct opts o = {names, {0}};
	if (is(l, 2, "bind")) {
		s->kind = TOPO_STEP_UDP_BIND;
		s->u.udp_bind.obj = -1;
		if (topo_word_port(cx, l, 3, "udp bind", &s->u.udp_bind.port) || scan_opts(cx, l, 4, &o, takes, "udp bind"))
			return -1;
		if (o.at[0]) {
			topo_err_at(cx, l, o.at[0], "'from' is for 'udp send'");
			return -1;
		}
		if (o.at[1] && (s->u.udp_bind.obj = topo_def_obj(cx, l, o.at[1] + 1, TOPO_OBJ_UDP, TOPO_APP_NONE, h)) < 0)
			return -1;
		return 0;
	}
	if (!is(l, 2, "send")) {
		topo_unknown_word(cx, l, 2, "'udp' verb", verbs);
		return -1;
	}
	s->kind = TOPO_STEP_UDP_SEND;
	s->u.udp_send.obj = -1;
	if (topo_ref_addr(cx, l, 3, true, &s->u.udp_send.addr, &s->u.udp_send.port) ||
	    topo_word_size(cx, l, 4, "udp send", &s->u.udp_send.bytes) || scan_opts(cx, l, 5, &o, takes, "udp send"))
		return -1;
	if (s->u.udp_send.bytes > 65507) {
		topo_err_at(cx, l, 4, "a UDP datagram carries at most 65507 bytes");
		return -1;
	}
	if (o.at[0] && topo_word_port(cx, l, o.at[0] + 1, "from", &s->u.udp_send.from_port))
		return -1;
	if (!o.at[1])
		return 0;
	/* `as NAME` of a UDP socket this host already has sends from it */
	int u = topo_obj_find(cx->t, l->tok[o.at[1] + 1].s);
	if (u >= 0 && cx->t->objs[u].kind == TOPO_OBJ_UDP && cx->t->objs[u].host == h) {
		s->u.udp_send.obj = u;
		return 0;
	}
	return (s->u.udp_send.obj = topo_def_obj(cx, l, o.at[1] + 1, TOPO_OBJ_UDP, TOPO_APP_NONE, h)) < 0 ? -1 : 0;
}

/* st_exec: the words after `exec` are the command, except trailing unquoted
 * `timeout T`, `as NAME`, `foreground` and `expect exit N`, peeled off from
 * the end. `as NAME` runs it in the background unless `foreground` is given. */
static int st_exec(struct topo_ctx *cx, const struct topo_line *l, int h, struct topo_step *s)
{
	int end = l->ntok, at_timeout = 0, at_as = 0, at_exit = 0, at_fg = 0;
	uint64_t v;
	for (;;) {
		if (!at_exit && end - 3 > 2 && is(l, end - 3, "expect") && is(l, end - 2, "exit"))
			at_exit = end -= 3;
		else if (!at_timeout && end - 2 > 2 && is(l, end - 2, "timeout"))
			at_timeout = end -= 2;
		else if (!at_as && end - 2 > 2 && is(l, end - 2, "as"))
			at_as = end -= 2;
		else if (!at_fg && end - 1 > 2 && is(l, end - 1, "foreground"))
			at_fg = end -= 1;
		else
			break;
	}
	s->u.exec.obj = -1;
	if (end <= 2) {
		topo_err_at(cx, l, 2, "'exec' wants a command, e.g. 'exec curl -s http://10.0.0.1/'");
		return -1;
	}
	if (at_fg && !at_as) {
		topo_err_at(cx, l, at_fg, "'foreground' names a job that runs in the foreground: add 'as NAME'");
		return -1;
	}
	s->u.exec.background = at_as && !at_fg;
	s->u.exec.timeout_ns = s->u.exec.background ? 0 : NB_SEC(10);
	if (at_timeout) {
		if (topo_word_time(cx, l, at_timeout + 1, "timeout", &s->u.exec.timeout_ns))
			return -1;
		if (s->u.exec.timeout_ns == 0) {
			topo_err_at(cx, l, at_timeout + 1, "'timeout' must be above 0");
			return -1;
		}
	}
	if (at_exit) {
		if (topo_word_uint(cx, l, at_exit + 2, "exit", 0, 255, &v))
			return -1;
		s->u.exec.expect_exit = true;
		s->u.exec.exit_code = (int)v;
	}
	s->u.exec.argv = calloc((size_t)(end - 2 + 1), sizeof *s->u.exec.argv);
	if (!s->u.exec.argv)
		return -1;
	for (int i = 2; i < end; i++)
		if (!(s->u.exec.argv[s->u.exec.argc++] = topo_strdup(l->tok[i].s)))
			return -1;
	if (at_as && (s->u.exec.obj = topo_def_obj(cx, l, at_as + 1, TOPO_OBJ_JOB, TOPO_APP_NONE, h)) < 0)
		return -1;
	return 0;
}

/* host_step: "HOST: ACTION ..." with the host at word 0, the action at word 1. */
static int host_step(struct topo_ctx *cx, struct topo_line *l, struct topo_step *s)
{
	static const enum topo_step_kind kinds[] = {
		TOPO_STEP_LISTEN, TOPO_STEP_CONNECT, TOPO_STEP_SEND, TOPO_STEP_RECV, TOPO_STEP_CLOSE,
		TOPO_STEP_SHUTDOWN, TOPO_STEP_ABORT, TOPO_STEP_APP_START, TOPO_STEP_PING, TOPO_STEP_UDP_BIND,
		TOPO_STEP_EXEC, TOPO_STEP_ACCEPT};
	int a = 0;
	if (l->ntok < 2) {
		topo_err_at(cx, l, 1, "'%s:' wants an action such as connect, listen or ping", l->tok[0].s);
		return -1;
	}
	while (actions[a] && !is(l, 1, actions[a]))
		a++;
	if (!actions[a]) {
		topo_unknown_word(cx, l, 1, "action", actions);
		return -1;
	}
	s->kind = kinds[a];
	enum topo_need need = a == 10 ? NEED_KERNEL : a == 8 ? NEED_ANY : NEED_CUSTOM;
	if ((s->host = topo_ref_host(cx, l, 0, need, actions[a])) < 0)
		return -1;
	switch (a) {
	case 0: return st_listen(cx, l, s->host, s);
	case 1: return st_connect(cx, l, s->host, s);
	case 2: case 3: return st_send_recv(cx, l, s->host, s);
	case 4: case 5: case 6: return st_close(cx, l, s->host, s);
	case 7: return st_app(cx, l, s->host, s);
	case 8: return st_ping(cx, l, s->host, s);
	case 9: return st_udp(cx, l, s->host, s);
	case 10: return st_exec(cx, l, s->host, s);
	default: return st_accept(cx, l, s->host, s);
	}
}

/* split_prefix: turns "client:" / "client:connect" at word 0 into the words
 * "client" and "connect". -1 if the line has no room for one more word. */
static int split_prefix(struct topo_line *l)
{
	struct topo_tok *t = &l->tok[0];
	char *colon = strchr(t->s, ':');
	if (!colon[1]) {
		*colon = 0;
		t->len = t->len > 1 ? t->len - 1 : t->len;
		return 0;
	}
	if (l->ntok >= TOPO_TOKENS_MAX)
		return -1;
	memmove(&l->tok[2], &l->tok[1], (size_t)(l->ntok - 1) * sizeof *t);
	l->ntok++;
	*colon = 0;
	l->tok[1] = *t;
	l->tok[1].s = colon + 1;
	l->tok[1].col = t->col + (int)(colon - t->s) + 1;
	l->tok[1].len = t->len - (int)(colon - t->s) - 1;
	t->len = (int)(colon - t->s);
	return 0;
}

void topo_step_line(struct topo_ctx *cx, struct topo_line *l)
{
	struct topo *t = cx->t;
	struct topo_step s;
	int objs = t->n_objs, rc = -1, kw = 0;
	memset(&s, 0, sizeof s);
	s.host = -1;
	s.loc = topo_loc_of(l, 0);
	while (keywords[kw] && !is(l, 0, keywords[kw]))
		kw++;
	if (!l->tok[0].quoted && strchr(l->tok[0].s, ':')) {
		if (split_prefix(l))
			topo_err_at(cx, l, 0, "more than %d words on one line", TOPO_TOKENS_MAX);
		else
			rc = host_step(cx, l, &s);
	} else if (kw >= 5 && keywords[kw]) {
		rc = topo_lab_step(cx, l, &s);
	} else if (topo_host_find(t, l->tok[0].s) >= 0) {
		topo_err_at(cx, l, 0, "missing ':' after host '%s' (write '%s: ACTION ...')", l->tok[0].s,
			    l->tok[0].s);
	} else {
		topo_unknown_word(cx, l, 0, "keyword", keywords);
	}
	if (rc == 0 && topo_grow((void **)&t->steps, t->n_steps, &cx->cap_steps, sizeof *t->steps, TOPO_STEPS_MAX)) {
		topo_err_at(cx, l, 0, "too many steps (at most %d)", TOPO_STEPS_MAX);
		rc = -1;
	}
	if (rc == 0) {
		int n = l->text_len - l->indent;
		s.text = malloc((size_t)n + 1);
		if (s.text) {
			memcpy(s.text, l->src + l->indent, (size_t)n);
			s.text[n] = 0;
			t->steps[t->n_steps++] = s;
			return;
		}
	}
	/* failed: forget what it defined, and keep quiet about those names later.
	 * A failure without any error so far can only be memory. */
	if (cx->errors == 0)
		topo_err_at(cx, l, 0, "out of memory");
	for (int i = objs; i < t->n_objs; i++)
		topo_poison(cx, t->objs[i].name);
	t->n_objs = objs;
	for (int i = 1; i + 1 < l->ntok; i++)
		if (is(l, i, "as"))
			topo_poison(cx, l->tok[i + 1].s);
	topo_step_free(&s);
}

void topo_step_free(struct topo_step *s)
{
	free(s->text);
	switch (s->kind) {
	case TOPO_STEP_APP_START:
		free(s->u.app.url);
		free(s->u.app.path);
		break;
	case TOPO_STEP_EXEC:
		for (int i = 0; s->u.exec.argv && i < s->u.exec.argc; i++)
			free(s->u.exec.argv[i]);
		free(s->u.exec.argv);
		break;
	case TOPO_STEP_LINK_SET:
		free(s->u.link_set.spec);
		free(s->u.link_set.text);
		break;
	case TOPO_STEP_PARTITION:
		free(s->u.partition.group);
		break;
	case TOPO_STEP_EXPECT:
		free(s->u.expect.path);
		free(s->u.expect.path2);
		break;
	default:
		break;
	}
	memset(s, 0, sizeof *s);
}
