/* script_expect.c: the script's `wait` and `expect` steps. Conditions on
 * custom hosts are checked by the node (its `wait`, `obj` and `counter`
 * verbs); conditions on jobs (kernel hosts) here; digests in
 * script_digest.c. */
#include "script_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define REQ_MS 5000
/* An `obj` answer carries digests; the node hashes what it has not yet
 * hashed (~0.5 s per GB with SHA-NI, several times that without) while it
 * keeps serving the network, then answers. */
#define OBJ_REQ_MS 120000

static const char *const cmp_names[] = {"==", "!=", "<", "<=", ">", ">="};
static const char *const err_names[] = {"none", "refused", "timedout", "reset", "unreachable"};

/* compare: a OP b. */
static bool compare(uint64_t a, enum topo_cmp op, uint64_t b)
{
	switch (op) {
	case TOPO_EQ: return a == b;
	case TOPO_NE: return a != b;
	case TOPO_LT: return a < b;
	case TOPO_LE: return a <= b;
	case TOPO_GT: return a > b;
	case TOPO_GE: return a >= b;
	}
	return false;
}

/* key: a reply key's text, or "?" */
static const char *key(const struct nodeproc_reply *r, const char *k, char *buf, size_t len)
{
	if (!nodeproc_reply_get(r, k, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

/* ---- wait ---- */

static void wait_job(struct script_ctx *cx, const struct topo_step *s, struct step_res *res)
{
	char t[32];
	const char *name = cx->t->objs[s->u.wait.obj].name;
	struct script_job *j = script_job_of(cx, s->u.wait.obj);
	if (!j) {
		step_error(res, "job %s was never started", name);
		return;
	}
	uint64_t start = script_now_ns();
	for (;;) {
		script_jobs_poll(cx);
		if (j->exited)
			break;
		if (script_now_ns() - start >= s->u.wait.within_ns) {
			step_fail(res, "%s is still running after %s", name, script_fmt_secs(s->u.wait.within_ns, t, sizeof(t)));
			res->end_script = true;
			return;
		}
		if (!script_sleep_ns(2000000)) {
			step_error(res, "interrupted");
			return;
		}
	}
	if (j->timed_out)
		snprintf(res->detail, sizeof(res->detail), "killed at its timeout");
	else if (WIFEXITED(j->status))
		snprintf(res->detail, sizeof(res->detail), "exit %d", WEXITSTATUS(j->status));
	else if (WIFSIGNALED(j->status))
		snprintf(res->detail, sizeof(res->detail), "killed by signal %d", WTERMSIG(j->status));
}

/* wait_reason: a person's account of a wait the node ended with err. */
static void wait_reason(const struct topo_step *s, const char *name, const struct nodeproc_reply *r, char *out,
			size_t len)
{
	char st[32], err[32], kind[16], status[16], t[32];
	bool never = !strncmp(r->status, "never", 5);
	if (strncmp(r->status, "timeout", 7) && !never) {
		snprintf(out, len, "%s", r->status);
		return;
	}
	key(r, "state", st, sizeof(st));
	key(r, "error", err, sizeof(err));
	key(r, "kind", kind, sizeof(kind));
	key(r, "status", status, sizeof(status));
	char errtext[48] = "";
	if (strcmp(err, "none") && strcmp(err, "?"))
		snprintf(errtext, sizeof(errtext), ", error %s", err);
	script_fmt_secs(s->u.wait.within_ns, t, sizeof(t));
	uint64_t bytes = s->u.wait.bytes;
	switch (s->u.wait.what) {
	case TOPO_WAIT_STATE:
		if (never)
			snprintf(out, len, "%s is %s%s: it will never be %s", name, st, errtext,
				 topo_tcp_state_name(s->u.wait.state));
		else
			snprintf(out, len, "%s is still %s after %s, not %s%s", name, st, t,
				 topo_tcp_state_name(s->u.wait.state), errtext);
		return;
	case TOPO_WAIT_RECEIVED: {
		uint64_t got = script_reply_u64(r, "received", 0);
		if (never)
			snprintf(out, len, "%s received %" PRIu64 " of %" PRIu64 " bytes and can get no more (%s%s)", name,
				 got, bytes, st, errtext);
		else
			snprintf(out, len, "%s received %" PRIu64 " of %" PRIu64 " bytes in %s (%s%s)", name, got, bytes, t,
				 st, errtext);
		return;
	}
	case TOPO_WAIT_SENT: {
		uint64_t acked = script_reply_u64(r, "sent", 0), queued = script_reply_u64(r, "queued", 0);
		uint64_t pending = script_reply_u64(r, "pending", 0);
		snprintf(out, len, "%s had %" PRIu64 " of %" PRIu64 " bytes acknowledged %s%s (%" PRIu64 " written, %" PRIu64
			 " waiting; %s%s)", name, acked, bytes, never ? "and can get no more" : "in ", never ? "" : t,
			 queued, pending, st, errtext);
		return;
	}
	case TOPO_WAIT_DONE:
		if (never)
			snprintf(out, len, "%s will never be done: it is %s%s", name, status, errtext);
		else
			snprintf(out, len, "%s is not done after %s (it is %s%s)", name, t, status, errtext);
		return;
	case TOPO_WAIT_ACCEPT_QUEUE: {
		char aq[16], sq[16];
		key(r, "accept_q", aq, sizeof(aq));
		key(r, "syn_q", sq, sizeof(sq));
		if (never)
			snprintf(out, len, "%s holds %s connection(s) ready to accept and can get no more (it is %s)",
				 name, aq, st);
		else
			snprintf(out, len, "%s holds %s of %" PRIu64 " connections ready to accept after %s (syn_q %s)",
				 name, aq, s->u.wait.count, t, sq);
		return;
	}
	case TOPO_WAIT_EXITED:
		break;
	}
	snprintf(out, len, "%s", r->status);
}

void script_step_wait(struct script_ctx *cx, const struct topo_step *s, struct step_res *res)
{
	const struct topo_obj *ob = &cx->t->objs[s->u.wait.obj];
	char cond[64];
	if (s->u.wait.what == TOPO_WAIT_EXITED) {
		wait_job(cx, s, res);
		return;
	}
	switch (s->u.wait.what) {
	case TOPO_WAIT_STATE: snprintf(cond, sizeof(cond), "state %s", topo_tcp_state_name(s->u.wait.state)); break;
	case TOPO_WAIT_RECEIVED: snprintf(cond, sizeof(cond), "received %" PRIu64, s->u.wait.bytes); break;
	case TOPO_WAIT_SENT: snprintf(cond, sizeof(cond), "sent %" PRIu64, s->u.wait.bytes); break;
	case TOPO_WAIT_ACCEPT_QUEUE: snprintf(cond, sizeof(cond), "accept_q %" PRIu64, s->u.wait.count); break;
	default: snprintf(cond, sizeof(cond), "done"); break;
	}
	struct nodeproc_reply r;
	int timeout_ms = (int)(s->u.wait.within_ns / 1000000u) + 3000;
	if (script_request(cx, ob->host, timeout_ms, &r, res, "wait %s %s within %" PRIu64 "ns", ob->name, cond,
			   s->u.wait.within_ns) < 0)
		return;
	if (r.ok) {
		snprintf(res->detail, sizeof(res->detail), "after %.3fs",
			 (double)script_reply_u64(&r, "waited_ns", 0) / 1e9);
	} else {
		wait_reason(s, ob->name, &r, res->reason, sizeof(res->reason));
		res->outcome = STEP_FAILED;
		res->end_script = true;
	}
	nodeproc_reply_free(&r);
}

/* ---- expect ---- */

int script_query_obj(struct script_ctx *cx, int obj, struct nodeproc_reply *r, struct step_res *res)
{
	const struct topo_obj *ob = &cx->t->objs[obj];
	if (script_request(cx, ob->host, OBJ_REQ_MS, r, res, "obj %s", ob->name) < 0)
		return -1;
	if (!r->ok) {
		step_fail(res, "%s: %s", ob->name, r->status);
		nodeproc_reply_free(r);
		return 1;
	}
	return 0;
}

/* expect_exit: a finished job's exit status. */
static void expect_exit(struct script_ctx *cx, const struct topo_step *s, struct step_res *res)
{
	const char *name = cx->t->objs[s->u.expect.obj].name;
	struct script_job *j = script_job_of(cx, s->u.expect.obj);
	char tail[160] = "";
	script_jobs_poll(cx);
	if (j)
		script_job_tail(j, tail, sizeof(tail));
	if (!j) {
		step_error(res, "job %s was never started", name);
		return;
	}
	if (!j->exited) {
		step_fail(res, "%s is still running (add 'wait %s exited within T' first)", name, name);
		return;
	}
	if (j->timed_out)
		step_fail(res, "%s was killed at its timeout, expected exit %d", name, s->u.expect.exit_code);
	else if (!WIFEXITED(j->status))
		step_fail(res, "%s was killed by signal %d, expected exit %d", name, WTERMSIG(j->status),
			  s->u.expect.exit_code);
	else if (WEXITSTATUS(j->status) != s->u.expect.exit_code)
		step_fail(res, "%s exited %d, expected %d%s%s (output: %.*s.out and .err)", name, WEXITSTATUS(j->status),
			  s->u.expect.exit_code, tail[0] ? ": " : "", tail,
			  (int)(strlen(j->out) - 4), j->out);
	else
		snprintf(res->detail, sizeof(res->detail), "exit %d", WEXITSTATUS(j->status));
}

/* expect_counter: one node counter OP a value. */
static void expect_counter(struct script_ctx *cx, const struct topo_step *s, struct step_res *res)
{
	struct nodeproc_reply r;
	const char *host = script_host_name(cx, s->host);
	if (script_request(cx, s->host, REQ_MS, &r, res, "counter %s", s->u.expect.counter) < 0)
		return;
	if (!r.ok) {
		step_fail(res, "%s: %s", host, r.status);
	} else {
		uint64_t v = script_reply_u64(&r, "value", 0);
		if (compare(v, s->u.expect.op, s->u.expect.value))
			snprintf(res->detail, sizeof(res->detail), "%s %s = %" PRIu64, host, s->u.expect.counter, v);
		else
			step_fail(res, "%s %s is %" PRIu64 ", expected %s %" PRIu64, host, s->u.expect.counter, v,
				  cmp_names[s->u.expect.op], s->u.expect.value);
	}
	nodeproc_reply_free(&r);
}

void script_step_expect(struct script_ctx *cx, const struct topo_step *s, struct step_res *res)
{
	struct nodeproc_reply r;
	char st[32], err[32];
	switch (s->u.expect.what) {
	case TOPO_EXPECT_DIGEST: script_expect_digest(cx, s, res); return;
	case TOPO_EXPECT_EXIT: expect_exit(cx, s, res); return;
	case TOPO_EXPECT_COUNTER: expect_counter(cx, s, res); return;
	default: break;
	}
	const char *name = cx->t->objs[s->u.expect.obj].name;
	if (script_query_obj(cx, s->u.expect.obj, &r, res))
		return;
	key(&r, "state", st, sizeof(st));
	key(&r, "error", err, sizeof(err));
	switch (s->u.expect.what) {
	case TOPO_EXPECT_STATE: {
		const char *want = topo_tcp_state_name(s->u.expect.state);
		if (!strcmp(st, want))
			snprintf(res->detail, sizeof(res->detail), "%s is %s", name, st);
		else if (strcmp(err, "none"))
			step_fail(res, "%s is %s (error %s), expected %s", name, st, err, want);
		else
			step_fail(res, "%s is %s, expected %s", name, st, want);
		break;
	}
	case TOPO_EXPECT_ERROR: {
		const char *want = err_names[s->u.expect.error];
		if (!strcmp(err, want))
			snprintf(res->detail, sizeof(res->detail), "%s error %s (%s)", name, err, st);
		else
			step_fail(res, "%s has error %s, expected %s (it is %s)", name, err, want, st);
		break;
	}
	case TOPO_EXPECT_RECEIVED:
	case TOPO_EXPECT_SENT: {
		bool rx = s->u.expect.what == TOPO_EXPECT_RECEIVED;
		uint64_t v = script_reply_u64(&r, rx ? "received" : "sent", 0);
		if (compare(v, s->u.expect.op, s->u.expect.value))
			snprintf(res->detail, sizeof(res->detail), "%s %s %" PRIu64 " bytes", name, rx ? "received" : "sent", v);
		else if (cx->t->objs[s->u.expect.obj].kind == TOPO_OBJ_CONN)
			step_fail(res, "%s %s %" PRIu64 " bytes, expected %s %" PRIu64 " (%s%s%s)", name,
				  rx ? "received" : "had acknowledged", v, cmp_names[s->u.expect.op], s->u.expect.value, st,
				  strcmp(err, "none") ? ", error " : "", strcmp(err, "none") ? err : "");
		else
			step_fail(res, "%s %s %" PRIu64 " bytes, expected %s %" PRIu64 "%s%s%s", name, rx ? "received" : "sent",
				  v, cmp_names[s->u.expect.op], s->u.expect.value, strcmp(err, "none") ? " (error " : "",
				  strcmp(err, "none") ? err : "", strcmp(err, "none") ? ")" : "");
		break;
	}
	case TOPO_EXPECT_ACCEPT_QUEUE:
	case TOPO_EXPECT_SYN_QUEUE: {
		const char *q = s->u.expect.what == TOPO_EXPECT_ACCEPT_QUEUE ? "accept_q" : "syn_q";
		uint64_t v = script_reply_u64(&r, q, 0);
		if (compare(v, s->u.expect.op, s->u.expect.value))
			snprintf(res->detail, sizeof(res->detail), "%s %s %" PRIu64 " (backlog %" PRIu64 ")", name, q, v,
				 script_reply_u64(&r, "backlog", 0));
		else
			step_fail(res, "%s %s is %" PRIu64 ", expected %s %" PRIu64 " (backlog %" PRIu64 ", %s)", name, q, v,
				  cmp_names[s->u.expect.op], s->u.expect.value, script_reply_u64(&r, "backlog", 0), st);
		break;
	}
	default:
		step_error(res, "unknown expectation");
		break;
	}
	nodeproc_reply_free(&r);
}
