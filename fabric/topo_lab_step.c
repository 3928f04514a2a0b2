/* topo_lab_step.c: the script's lab-wide steps: set, link (set, down, up),
 * partition, heal, kill, restart, sleep, wait, expect and dump. */
#include "topo_int.h"

#include <stdlib.h>
#include <string.h>

#define is topo_is
#define OBJ(k) (1u << (k))
#define DATA_OBJS (OBJ(TOPO_OBJ_CONN) | OBJ(TOPO_OBJ_LISTENER) | OBJ(TOPO_OBJ_APP) | OBJ(TOPO_OBJ_UDP))

/* indices as in topo_step.c's list: 5 link ... 14 dump */
static const char *const keywords[] = {"lab", "seed", "defaults", "host", "switch", "link", "set",
				       "partition", "heal", "kill", "restart", "sleep", "wait", "expect",
				       "dump", NULL};
static const char *const tcp_states[] = {"closed", "listen", "syn_sent", "syn_received", "established",
					 "fin_wait_1", "fin_wait_2", "close_wait", "closing", "last_ack",
					 "time_wait", NULL};

/* state_of: a TCP state word (any case, '-' or '_'), or -1 after reporting. */
static int state_of(struct topo_ctx *cx, const struct topo_line *l, int i)
{
	char w[24];
	if (i >= l->ntok) {
		topo_err_at(cx, l, i, "missing TCP state such as established or time_wait");
		return -1;
	}
	size_t n = strlen(l->tok[i].s);
	if (n < sizeof w) {
		for (size_t k = 0; k <= n; k++) {
			char c = l->tok[i].s[k];
			w[k] = c == '-' ? '_' : (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
		}
		if (!strcmp(w, "syn_recv")) strcpy(w, "syn_received");
		if (!strcmp(w, "fin_wait1")) strcpy(w, "fin_wait_1");
		if (!strcmp(w, "fin_wait2")) strcpy(w, "fin_wait_2");
		for (int s = 0; tcp_states[s]; s++)
			if (!strcmp(w, tcp_states[s]))
				return s;
	}
	topo_unknown_word(cx, l, i, "TCP state", tcp_states);
	return -1;
}

static int cmp_of(struct topo_ctx *cx, const struct topo_line *l, int i, bool eq_only, enum topo_cmp *op)
{
	static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">="};
	for (int k = 0; k < (eq_only ? 2 : 6); k++)
		if (is(l, i, ops[k])) {
			*op = (enum topo_cmp)k;
			return 0;
		}
	if (i >= l->ntok)
		topo_err_at(cx, l, i, "missing comparison (%s)", eq_only ? "== or !=" : "==, !=, <, <=, > or >=");
	else
		topo_err_at(cx, l, i, "expected a comparison (%s), not '%.32s'", eq_only ? "== or !=" : "==, !=, <, <=, > or >=",
			    l->tok[i].s);
	return -1;
}

/* bare_listener: is ob a listener without an app? Then no bytes pass
 * through it: they are counted on the connections accepted from it. Says
 * so at word i (about `what`) and returns true. */
static bool bare_listener(struct topo_ctx *cx, const struct topo_line *l, int i, const struct topo_obj *ob,
			  const char *what)
{
	if (ob->kind != TOPO_OBJ_LISTENER || ob->app != TOPO_APP_NONE)
		return false;
	topo_err_at(cx, l, i, "'%s' is a listener without an app, so it has no %s: the connections accepted "
		    "from it do ('HOST: accept %s as NAME')", ob->name, what, ob->name);
	return true;
}

static int st_link(struct topo_ctx *cx, const struct topo_line *l, struct topo_step *s)
{
	struct topo *t = cx->t;
	bool skip[TOPO_TOKENS_MAX] = {false};
	int k = topo_ref_link(cx, l, 1, NULL);
	if (k < 0)
		return -1;
	if (is(l, 3, "down") || is(l, 3, "up")) {
		s->kind = is(l, 3, "down") ? TOPO_STEP_LINK_DOWN : TOPO_STEP_LINK_UP;
		s->u.link.link = k;
		return topo_extra(cx, l, 4);
	}
	const struct topo_link *lk = &t->links[k];
	s->kind = TOPO_STEP_LINK_SET;
	s->u.link_set.link = k;
	s->u.link_set.dir = -1;
	for (int i = 4; i < l->ntok; i++) {
		if (!is(l, i, "dir"))
			continue;
		const char *w = i + 1 < l->ntok ? l->tok[i + 1].s : "", *arrow = strstr(w, "->");
		char a[96];
		if (s->u.link_set.dir >= 0) {
			topo_err_at(cx, l, i, "'dir' given twice");
			return -1;
		}
		if (!arrow || !arrow[2]) {
			topo_err_at(cx, l, i + 1, "'dir' wants a direction such as '%.*s->%.*s'",
				    (int)strcspn(lk->end[0].name, ":"), lk->end[0].name,
				    (int)strcspn(lk->end[1].name, ":"), lk->end[1].name);
			return -1;
		}
		snprintf(a, sizeof a, "%.*s", (int)NB_MIN((size_t)(arrow - w), sizeof a - 1), w);
		int d = topo_link_dir(lk, a, arrow + 2);
		if (d < 0) {
			topo_err_at(cx, l, i + 1, d == -2 ? "'%s' is ambiguous: write the ends in full" :
				    "'%s' does not go between this link's ends", w);
			return -1;
		}
		s->u.link_set.dir = d;
		skip[i] = skip[i + 1] = true;
	}
	s->u.link_set.spec = malloc(sizeof *s->u.link_set.spec);
	if (!s->u.link_set.spec || topo_spec_words(cx, l, 4, skip, s->u.link_set.spec))
		return -1;
	const struct impair_spec *sp = s->u.link_set.spec;
	if (!sp->has) {
		topo_err_at(cx, l, 4, "'set' wants link options such as 'loss 5%%' or 'delay 10ms'");
		return -1;
	}
	bool custom = false;
	for (int e = 0; e < 2; e++)
		if (lk->end[e].kind == TOPO_END_IFACE && lk->end[e].host >= 0 &&
		    t->hosts[lk->end[e].host].kind == TOPO_HOST_CUSTOM)
			custom = true;
	if (!custom && (sp->has & ~(uint32_t)(IMPAIR_HAS_RATE | IMPAIR_HAS_QUEUE))) {
		topo_err_at(cx, l, 4, "this link has no custom host, so it can only be rate-limited");
		return -1;
	}
	char buf[IMPAIR_SPEC_TEXT_MAX];
	impair_spec_format(sp, buf, sizeof buf);
	return (s->u.link_set.text = topo_strdup(buf)) ? 0 : -1;
}

static int st_partition(struct topo_ctx *cx, const struct topo_line *l, struct topo_step *s)
{
	struct topo *t = cx->t;
	int g = 0, in_group = 0;
	s->u.partition.group = malloc(((size_t)t->n_hosts + 1) * sizeof(int));
	if (!s->u.partition.group)
		return -1;
	for (int h = 0; h < t->n_hosts; h++)
		s->u.partition.group[h] = -1;
	for (int i = 1; i <= l->ntok; i++) {
		if (i == l->ntok || is(l, i, "|")) {
			if (!in_group) {
				topo_err_at(cx, l, i, i == l->ntok && g > 0 ? "nothing after the last '|'" :
					    "'partition' wants groups of hosts separated by '|', e.g. 'a b | c'");
				return -1;
			}
			g++;
			in_group = 0;
			continue;
		}
		if (strchr(l->tok[i].s, '|')) {
			topo_err_at(cx, l, i, "put spaces around '|'");
			return -1;
		}
		int h = topo_ref_host(cx, l, i, NEED_ANY, "partition");
		if (h < 0)
			return -1;
		if (s->u.partition.group[h] >= 0) {
			topo_err_at(cx, l, i, "host '%s' is named twice", t->hosts[h].name);
			return -1;
		}
		s->u.partition.group[h] = g;
		in_group++;
	}
	if (g < 2) {
		topo_err_at(cx, l, l->ntok, "'partition' wants at least two groups separated by '|'");
		return -1;
	}
	s->u.partition.n_groups = g;
	return 0;
}

static int st_wait(struct topo_ctx *cx, const struct topo_line *l, struct topo_step *s)
{
	struct topo *t = cx->t;
	int w = -1;
	for (int i = 2; i < l->ntok; i++)
		if (is(l, i, "within"))
			w = i;
	if (w < 0) {
		topo_err_at(cx, l, l->ntok, "'wait' needs a bound: add 'within TIME', e.g. 'within 2s'");
		return -1;
	}
	if (topo_word_time(cx, l, w + 1, "within", &s->u.wait.within_ns) || topo_extra(cx, l, w + 2))
		return -1;
	if (s->u.wait.within_ns == 0 || s->u.wait.within_ns > NB_SEC(86400)) {
		topo_err_at(cx, l, w + 1, "'within' must be above 0 and at most 24h");
		return -1;
	}
	int o = topo_ref_obj(cx, l, 1, ~0u, -1, "name");
	if (o < 0)
		return -1;
	const struct topo_obj *ob = &t->objs[o];
	s->u.wait.obj = o;
	s->host = ob->host;
	if (w == 2) {
		topo_err_at(cx, l, 2, "'wait %s' wants what to wait for, e.g. 'established', 'received 1MiB' or 'done'",
			    ob->name);
		return -1;
	}
	if (is(l, 2, "received") || is(l, 2, "sent")) {
		s->u.wait.what = is(l, 2, "sent") ? TOPO_WAIT_SENT : TOPO_WAIT_RECEIVED;
		if (!(DATA_OBJS & OBJ(ob->kind))) {
			topo_err_at(cx, l, 1, "'%s' is a job: wait for 'exited'", ob->name);
			return -1;
		}
		if (bare_listener(cx, l, 1, ob, "bytes to count"))
			return -1;
		if (topo_word_size(cx, l, 3, l->tok[2].s, &s->u.wait.bytes))
			return -1;
		return w == 4 ? 0 : topo_extra(cx, l, 4);
	}
	if (is(l, 2, "done")) {
		s->u.wait.what = TOPO_WAIT_DONE;
		if (ob->kind != TOPO_OBJ_APP || (ob->app != TOPO_APP_SOURCE && ob->app != TOPO_APP_HTTPGET)) {
			topo_err_at(cx, l, 2, "only source and httpget apps are ever done; '%s' is a %s%s%s",
				    ob->name, ob->kind == TOPO_OBJ_APP || ob->kind == TOPO_OBJ_LISTENER ?
				    topo_app_name(ob->app) : "", ob->kind == TOPO_OBJ_APP || ob->kind == TOPO_OBJ_LISTENER
				    ? " " : "", topo_obj_kind_name(ob->kind));
			return -1;
		}
		return w == 3 ? 0 : topo_extra(cx, l, 3);
	}
	if (is(l, 2, "accept-queue")) {
		s->u.wait.what = TOPO_WAIT_ACCEPT_QUEUE;
		if (ob->kind != TOPO_OBJ_LISTENER) {
			topo_err_at(cx, l, 1, "only listeners have an accept queue; '%s' is a %s", ob->name,
				    topo_obj_kind_name(ob->kind));
			return -1;
		}
		if (topo_word_uint(cx, l, 3, "accept-queue", 1, 65535, &s->u.wait.count))
			return -1;
		return w == 4 ? 0 : topo_extra(cx, l, 4);
	}
	if (is(l, 2, "exited")) {
		s->u.wait.what = TOPO_WAIT_EXITED;
		if (ob->kind != TOPO_OBJ_JOB) {
			topo_err_at(cx, l, 2, "only jobs exit; '%s' is a %s", ob->name, topo_obj_kind_name(ob->kind));
			return -1;
		}
		return w == 3 ? 0 : topo_extra(cx, l, 3);
	}
	int st = state_of(cx, l, 2);
	if (st < 0)
		return -1;
	if (ob->kind != TOPO_OBJ_CONN) {
		topo_err_at(cx, l, 1, "TCP states belong to connections; '%s' is a %s", ob->name,
			    topo_obj_kind_name(ob->kind));
		return -1;
	}
	s->u.wait.what = TOPO_WAIT_STATE;
	s->u.wait.state = (enum topo_tcp_state)st;
	return w == 3 ? 0 : topo_extra(cx, l, 3);
}

/* file_side: is word i the keyword `file` of a digest side, and not the
 * name of an object or host "file" (which `digest`, `output` or `counter`
 * would follow)? */
static bool file_side(const struct topo_ctx *cx, const struct topo_line *l, int i)
{
	return is(l, i, "file") && !is(l, i + 1, "digest") && !is(l, i + 1, "output") && !is(l, i + 1, "counter") &&
	       topo_obj_find(cx->t, "file") < 0;
}

/* digest_side: one side of a digest comparison at word i:
 *   NAME digest [sent|received]    a connection, listener, app or UDP socket
 *   JOB output [digest]            what a job wrote to its standard output
 *   file PATH                      a file
 * Fills what it names; returns the word after it, or -1 after reporting. */
static int digest_side(struct topo_ctx *cx, const struct topo_line *l, int i, int *obj, enum topo_digest_of *of,
		       enum topo_digest_src *src, char **path)
{
	*of = TOPO_DIGEST_DEFAULT;
	*obj = -1;
	if (file_side(cx, l, i)) {
		*src = TOPO_DSRC_FILE;
		if (i + 1 >= l->ntok || !l->tok[i + 1].s[0]) {
			topo_err_at(cx, l, i + 1, "'file' wants a path, e.g. 'file linux/got.bin' (relative to the "
				    "run's output directory)");
			return -1;
		}
		return (*path = topo_strdup(l->tok[i + 1].s)) ? i + 2 : -1;
	}
	if ((*obj = topo_ref_obj(cx, l, i, DATA_OBJS | OBJ(TOPO_OBJ_JOB), -1, "name")) < 0)
		return -1;
	const struct topo_obj *ob = &cx->t->objs[*obj];
	if (ob->kind == TOPO_OBJ_JOB) {
		if (!is(l, i + 1, "output")) {
			topo_err_at(cx, l, i + 1, "expected 'output' after job '%s' (its standard output is compared)",
				    ob->name);
			return -1;
		}
		*src = TOPO_DSRC_OUTPUT;
		return i + 2 + is(l, i + 2, "digest");
	}
	*src = TOPO_DSRC_OBJ;
	if (bare_listener(cx, l, i, ob, "digest"))
		return -1;
	if (!is(l, i + 1, "digest")) {
		topo_err_at(cx, l, i + 1, is(l, i + 1, "output") ? "'output' is what a job printed; '%s' is a %s" :
			    "expected 'digest' after '%s'", ob->name, topo_obj_kind_name(ob->kind));
		return -1;
	}
	*of = is(l, i + 2, "sent") ? TOPO_DIGEST_SENT : is(l, i + 2, "received") ? TOPO_DIGEST_RECEIVED
										  : TOPO_DIGEST_DEFAULT;
	return i + 2 + (*of != TOPO_DIGEST_DEFAULT);
}

/* st_digest: expect SIDE ==|!= SIDE (see digest_side). */
static int st_digest(struct topo_ctx *cx, const struct topo_line *l, struct topo_step *s)
{
	s->u.expect.what = TOPO_EXPECT_DIGEST;
	int i = digest_side(cx, l, 1, &s->u.expect.obj, &s->u.expect.of, &s->u.expect.src, &s->u.expect.path);
	if (i < 0 || cmp_of(cx, l, i, true, &s->u.expect.op))
		return -1;
	i = digest_side(cx, l, i + 1, &s->u.expect.obj2, &s->u.expect.of2, &s->u.expect.src2, &s->u.expect.path2);
	if (i < 0)
		return -1;
	int o = s->u.expect.obj >= 0 ? s->u.expect.obj : s->u.expect.obj2;
	s->host = o >= 0 ? cx->t->objs[o].host : -1;
	return topo_extra(cx, l, i);
}

static int st_expect(struct topo_ctx *cx, const struct topo_line *l, struct topo_step *s)
{
	static const char *const whats[] = {"state", "error", "digest", "received", "sent", "counter", "exit",
					    "output", "accept-queue", "syn-queue", NULL};
	static const char *const errs[] = {"none", "refused", "timedout", "reset", "unreachable", NULL};
	struct topo *t = cx->t;
	uint64_t v;
	if (l->ntok < 2) {
		topo_err_at(cx, l, 1, "'expect' wants a name and a condition, e.g. 'expect c state established'");
		return -1;
	}
	s->u.expect.obj = s->u.expect.obj2 = -1;
	if (file_side(cx, l, 1))
		return st_digest(cx, l, s);
	if (is(l, 2, "counter") || (topo_host_find(t, l->tok[1].s) >= 0 && topo_obj_find(t, l->tok[1].s) < 0)) {
		struct topo_suggest sg;
		char buf[96];
		s->u.expect.what = TOPO_EXPECT_COUNTER;
		if ((s->host = topo_ref_host(cx, l, 1, NEED_CUSTOM, "expect counter")) < 0)
			return -1;
		if (!is(l, 2, "counter")) {
			topo_err_at(cx, l, 2, "expected 'counter' after host '%s', as in 'expect %s counter "
				    "tcp.retransmits > 0'", l->tok[1].s, l->tok[1].s);
			return -1;
		}
		if (l->ntok < 4 || !topo_counter_ok(l->tok[3].s)) {
			topo_suggest_init(&sg, l->ntok < 4 ? "" : l->tok[3].s);
			topo_counter_suggest(&sg);
			topo_err_at(cx, l, 3, l->ntok < 4 ? "missing counter name such as tcp.retransmits%s" :
				    "unknown counter '%.64s'%s", l->ntok < 4 ? "" : l->tok[3].s,
				    topo_suggest_text(&sg, buf, sizeof buf));
			return -1;
		}
		snprintf(s->u.expect.counter, sizeof s->u.expect.counter, "%s", l->tok[3].s);
		if (cmp_of(cx, l, 4, false, &s->u.expect.op) ||
		    topo_word_uint(cx, l, 5, "counter", 0, UINT64_MAX, &s->u.expect.value))
			return -1;
		return topo_extra(cx, l, 6);
	}
	int o = topo_ref_obj(cx, l, 1, ~0u, -1, "name"), k = 0;
	if (o < 0)
		return -1;
	const struct topo_obj *ob = &t->objs[o];
	s->u.expect.obj = o;
	s->host = ob->host;
	while (whats[k] && !is(l, 2, whats[k]))
		k++;
	if (!whats[k]) {
		topo_unknown_word(cx, l, 2, "condition", whats);
		return -1;
	}
	if (k == 2 || k == 7)
		return st_digest(cx, l, s);
	unsigned need = k == 0 ? OBJ(TOPO_OBJ_CONN) : k == 1 ? OBJ(TOPO_OBJ_CONN) | OBJ(TOPO_OBJ_UDP) :
			k == 6 ? OBJ(TOPO_OBJ_JOB) : k >= 8 ? OBJ(TOPO_OBJ_LISTENER) : DATA_OBJS;
	if (!(need & OBJ(ob->kind))) {
		topo_err_at(cx, l, 2, "'%s' does not apply to '%s', a %s", whats[k], ob->name, topo_obj_kind_name(ob->kind));
		return -1;
	}
	switch (k) {
	case 0: {
		int st = state_of(cx, l, 3);
		if (st < 0)
			return -1;
		s->u.expect.what = TOPO_EXPECT_STATE;
		s->u.expect.state = (enum topo_tcp_state)st;
		return topo_extra(cx, l, 4);
	}
	case 1:
		s->u.expect.what = TOPO_EXPECT_ERROR;
		for (k = 0; errs[k] && !is(l, 3, errs[k]); k++)
			;
		if (!errs[k]) {
			topo_unknown_word(cx, l, 3, "socket error", errs);
			return -1;
		}
		s->u.expect.error = (enum topo_sock_error)k;
		return topo_extra(cx, l, 4);
	case 3: case 4:
		s->u.expect.what = k == 3 ? TOPO_EXPECT_RECEIVED : TOPO_EXPECT_SENT;
		if (bare_listener(cx, l, 1, ob, "bytes to count"))
			return -1;
		if (cmp_of(cx, l, 3, false, &s->u.expect.op) || topo_word_size(cx, l, 4, whats[k], &s->u.expect.value))
			return -1;
		return topo_extra(cx, l, 5);
	case 8: case 9:
		s->u.expect.what = k == 8 ? TOPO_EXPECT_ACCEPT_QUEUE : TOPO_EXPECT_SYN_QUEUE;
		if (cmp_of(cx, l, 3, false, &s->u.expect.op) ||
		    topo_word_uint(cx, l, 4, whats[k], 0, 65535, &s->u.expect.value))
			return -1;
		return topo_extra(cx, l, 5);
	default:
		s->u.expect.what = TOPO_EXPECT_EXIT;
		if (topo_word_uint(cx, l, 3, "exit", 0, 255, &v))
			return -1;
		s->u.expect.exit_code = (int)v;
		return topo_extra(cx, l, 4);
	}
}

int topo_lab_step(struct topo_ctx *cx, struct topo_line *l, struct topo_step *s)
{
	static const char *const dumps[] = {"sockets", NULL};
	int kw = 0;
	while (keywords[kw] && !is(l, 0, keywords[kw]))
		kw++;
	switch (kw) {
	case 6:                                   /* set HOST NAME VALUE */
		s->kind = TOPO_STEP_SET;
		if ((s->host = topo_ref_host(cx, l, 1, NEED_CUSTOM, "set")) < 0 || topo_param_check(cx, l, 2))
			return -1;
		snprintf(s->u.set.name, sizeof s->u.set.name, "%s", l->tok[2].s);
		snprintf(s->u.set.value, sizeof s->u.set.value, "%s", l->tok[3].s);
		return 0;
	case 5: return st_link(cx, l, s);
	case 7: s->kind = TOPO_STEP_PARTITION; return st_partition(cx, l, s);
	case 8: s->kind = TOPO_STEP_HEAL; return topo_extra(cx, l, 1);
	case 9: case 10:
		s->kind = kw == 9 ? TOPO_STEP_KILL : TOPO_STEP_RESTART;
		if ((s->host = topo_ref_host(cx, l, 1, NEED_CUSTOM, keywords[kw])) < 0)
			return -1;
		return topo_extra(cx, l, 2);
	case 11:
		s->kind = TOPO_STEP_SLEEP;
		if (topo_word_time(cx, l, 1, "sleep", &s->u.sleep.ns))
			return -1;
		if (s->u.sleep.ns > NB_SEC(86400)) {
			topo_err_at(cx, l, 1, "'sleep' must be at most 24h");
			return -1;
		}
		return topo_extra(cx, l, 2);
	case 12: s->kind = TOPO_STEP_WAIT; return st_wait(cx, l, s);
	case 13: s->kind = TOPO_STEP_EXPECT; return st_expect(cx, l, s);
	default:
		s->kind = TOPO_STEP_DUMP;
		if (!is(l, 1, "sockets")) {
			topo_unknown_word(cx, l, 1, "dump", dumps);
			return -1;
		}
		int i = 2;
		if (i < l->ntok && !(is(l, i, "detail") && topo_host_find(cx->t, "detail") < 0)) {
			if ((s->host = topo_ref_host(cx, l, i, NEED_CUSTOM, "dump")) < 0)
				return -1;
			i++;
		}
		s->u.dump.detail = is(l, i, "detail");
		return topo_extra(cx, l, i + s->u.dump.detail);
	}
}

