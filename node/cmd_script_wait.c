/* cmd_script_wait.c: the script's `wait` verb on a custom host:
 *
 *   wait NAME state S|received BYTES|sent BYTES|done|accept_q N within T
 *     -> ok waited_ns= <obj keys>               when it holds
 *        err timeout waited_ns= want= <obj keys> at T
 *        err never want= <obj keys>              it cannot happen any more
 *                                                (refused, reset, app failed)
 *
 * A wait that does not hold at once is kept on its node's list and
 * re-checked by cmd_script_after_io() after every iteration of the event
 * loop; a timer in the stack's heap ends it at T. */
#include "cmd_script_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum wait_what { WAIT_STATE, WAIT_RECEIVED, WAIT_SENT, WAIT_DONE, WAIT_ACCEPT_Q };

struct swait {
	struct swait *next;
	struct script_state *st;
	struct ctl_req req;
	struct sobj *o;
	enum wait_what what;
	enum tcp_state state;
	uint64_t bytes;               /* received, sent; accept_q: connections */
	nb_time_t start, within;
	struct nb_timer timer;
};

enum wait_result { WAIT_PENDING, WAIT_HOLDS, WAIT_NEVER, WAIT_TIMEOUT };

/* wait_check: does the condition hold, or can it never hold any more? */
static enum wait_result wait_check(struct swait *w)
{
	struct sobj_view v;
	struct sobj *o = w->o;
	sobj_view(o, &v, false);
	bool conn = o->kind == SOBJ_CONN;
	switch (w->what) {
	case WAIT_STATE:
		if (v.tcp_state == w->state)
			return WAIT_HOLDS;
		return v.gone ? WAIT_NEVER : WAIT_PENDING;
	case WAIT_RECEIVED:
		if (v.received >= w->bytes)
			return WAIT_HOLDS;
		if (conn)
			return o->eof || v.error || o->fd < 0 ? WAIT_NEVER : WAIT_PENDING;
		if (o->kind == SOBJ_UDP)
			return o->fd < 0 ? WAIT_NEVER : WAIT_PENDING;
		return v.failed || (!o->app && o->kind == SOBJ_LISTENER) ? WAIT_NEVER : WAIT_PENDING;
	case WAIT_SENT:
		if (v.sent >= w->bytes)
			return WAIT_HOLDS;
		if (conn)
			return v.error || v.gone || (o->queued + o->to_send < w->bytes && o->fd < 0) ? WAIT_NEVER
												   : WAIT_PENDING;
		if (o->kind == SOBJ_UDP)
			return o->fd < 0 ? WAIT_NEVER : WAIT_PENDING;
		return v.failed || v.done ? WAIT_NEVER : WAIT_PENDING;
	case WAIT_DONE:
		if (v.done)
			return WAIT_HOLDS;
		return v.failed ? WAIT_NEVER : WAIT_PENDING;
	case WAIT_ACCEPT_Q:
		if ((uint64_t)v.accept_q >= w->bytes)
			return WAIT_HOLDS;
		return v.failed || (o->kind == SOBJ_LISTENER && !o->bare && !o->app) ? WAIT_NEVER : WAIT_PENDING;
	}
	return WAIT_PENDING;
}

/* want_text: the condition as the want= key shows it. */
static void want_text(const struct swait *w, char *buf, size_t len)
{
	switch (w->what) {
	case WAIT_STATE: snprintf(buf, len, "%s", tcp_state_name(w->state)); break;
	case WAIT_RECEIVED: snprintf(buf, len, "received>=%" PRIu64, w->bytes); break;
	case WAIT_SENT: snprintf(buf, len, "sent>=%" PRIu64, w->bytes); break;
	case WAIT_DONE: snprintf(buf, len, "done"); break;
	case WAIT_ACCEPT_Q: snprintf(buf, len, "accept_q>=%" PRIu64, w->bytes); break;
	}
}

/* wait_end: answers w (ok, or err timeout/never) and frees it. */
static void wait_end(struct swait *w, enum wait_result res, nb_time_t now)
{
	struct script_state *st = w->st;
	struct node *n = st->n;
	char keys[1024], want[48];
	for (struct swait **pp = &st->waits; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	timer_cancel(&n->stack.timers, &w->timer);
	cmd_script_view_keys(w->o, keys, sizeof(keys), false);
	want_text(w, want, sizeof(want));
	uint64_t waited = now > w->start ? now - w->start : 0;
	if (res == WAIT_HOLDS)
		ctl_ok(&n->ctl, w->req, "waited_ns=%" PRIu64 " %s", waited, keys);
	else
		ctl_err(&n->ctl, w->req, "%s waited_ns=%" PRIu64 " want=%s %s", res == WAIT_NEVER ? "never" : "timeout",
			waited, want, keys);
	free(w);
}

/* wait_expired: the bound passed: a last look, then the answer. */
static void wait_expired(struct nb_timer *t, nb_time_t now)
{
	struct swait *w = t->arg;
	enum wait_result res = wait_check(w);
	wait_end(w, res == WAIT_PENDING ? WAIT_TIMEOUT : res, now);
}

/* cmd_script_v_wait: wait NAME state S|received BYTES|sent BYTES|done|
 * accept_q N within T: answered at once if it holds (or never can), else
 * later. */
void cmd_script_v_wait(struct node *n, struct ctl_req r, int argc, char **argv)
{
	struct swait w = {.req = r};
	int i = 3;
	if (argc < 5) {
		cmd_script_usage(n, r, argv[0]);
		return;
	}
	if (!strcmp(argv[2], "state")) {
		w.what = WAIT_STATE;
		if (sobj_state_parse(argv[3], &w.state)) {
			ctl_err(&n->ctl, r, "wait: '%s' is not a TCP state (ESTABLISHED, TIME_WAIT ...)", argv[3]);
			return;
		}
		i = 4;
	} else if (!strcmp(argv[2], "received") || !strcmp(argv[2], "sent")) {
		w.what = argv[2][0] == 'r' ? WAIT_RECEIVED : WAIT_SENT;
		if (cmd_arg_size(n, r, argv[2], argv[3], &w.bytes))
			return;
		i = 4;
	} else if (!strcmp(argv[2], "accept_q")) {
		long v;
		w.what = WAIT_ACCEPT_Q;
		if (cmd_arg_int(n, r, "accept_q", argv[3], 0, 65535, &v))
			return;
		w.bytes = (uint64_t)v;
		i = 4;
	} else if (!strcmp(argv[2], "done")) {
		w.what = WAIT_DONE;
	} else {
		ctl_err(&n->ctl, r, "wait: state, received, sent, done or accept_q, not '%s'", argv[2]);
		return;
	}
	if (argc != i + 2 || strcmp(argv[i], "within")) {
		cmd_script_usage(n, r, argv[0]);
		return;
	}
	if (cmd_arg_time(n, r, "within", argv[i + 1], &w.within))
		return;
	unsigned mask = w.what == WAIT_STATE ? 1u << SOBJ_CONN : w.what == WAIT_ACCEPT_Q ? 1u << SOBJ_LISTENER : ~0u;
	struct sobj *o = cmd_script_need_obj(n, r, argv[1], mask, "wait");
	if (!o)
		return;
	struct script_state *st = cmd_script_find(n); /* made by need_obj */
	struct swait *p = malloc(sizeof(*p));
	if (!p) {
		ctl_err(&n->ctl, r, "out of memory");
		return;
	}
	*p = w;
	p->st = st;
	p->o = o;
	p->start = n->stack.now;
	timer_init(&p->timer, wait_expired, p);
	p->next = st->waits;
	st->waits = p;
	enum wait_result res = wait_check(p);
	if (res != WAIT_PENDING || timer_arm(&n->stack.timers, &p->timer, p->start + p->within) < 0)
		wait_end(p, res == WAIT_PENDING ? WAIT_TIMEOUT : res, n->stack.now);
}

void cmd_script_after_io(struct node *n)
{
	struct script_state *st = cmd_script_find(n);
	if (!st)
		return;
	cmd_script_objs_after_io(st);
	struct swait *w = st->waits, *next;
	for (; w; w = next) {
		next = w->next;
		enum wait_result res = wait_check(w);
		if (res != WAIT_PENDING)
			wait_end(w, res, n->stack.now);
	}
}

void cmd_script_waits_end(struct script_state *st)
{
	struct node *n = st->n;
	while (st->waits) {
		struct swait *w = st->waits;
		st->waits = w->next;
		timer_cancel(&n->stack.timers, &w->timer);
		ctl_err(&n->ctl, w->req, "node is shutting down");
		free(w);
	}
}
