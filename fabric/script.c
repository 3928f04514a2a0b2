/* script.c: the script runner's step loop, the helpers its steps share, and
 * the background jobs it starts on kernel hosts (see script.h). */
#include "script_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

uint64_t script_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The interrupt hook: cli_run.c's, when it is linked in. */
bool cli_stop_requested(void) __attribute__((weak));
static bool (*stop_hook)(void);
static bool stop_hook_set;

void script_set_interrupt(bool (*stop)(void))
{
	stop_hook = stop;
	stop_hook_set = true;
}

bool script_interrupted(void)
{
	bool (*fn)(void) = stop_hook_set ? stop_hook : cli_stop_requested;
	return fn && fn();
}

bool script_sleep_ns(uint64_t ns)
{
	/* in slices, so an interrupt is noticed within 50 ms */
	while (ns > 0) {
		uint64_t slice = ns < 50000000u ? ns : 50000000u;
		struct timespec ts = {(time_t)(slice / 1000000000u), (long)(slice % 1000000000u)};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		ns -= slice;
		if (script_interrupted())
			return false;
	}
	return true;
}

const char *script_fmt_secs(uint64_t ns, char *buf, size_t len)
{
	if (ns % 1000000000u == 0)
		snprintf(buf, len, "%" PRIu64 "s", ns / 1000000000u);
	else if (ns < 1000000000u && ns % 1000000u == 0)
		snprintf(buf, len, "%" PRIu64 "ms", ns / 1000000u);
	else
		snprintf(buf, len, "%.3fs", (double)ns / 1e9);
	return buf;
}

void step_fail(struct step_res *res, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
	res->outcome = STEP_FAILED;
}

void step_error(struct step_res *res, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
	res->outcome = STEP_ERROR;
	res->end_script = true;
}

const char *script_obj_name(const struct script_ctx *cx, int obj, char *buf, size_t len)
{
	if (obj >= 0 && obj < cx->t->n_objs)
		return cx->t->objs[obj].name;
	snprintf(buf, len, "_step%d", cx->step + 1);
	return buf;
}

const char *script_host_name(const struct script_ctx *cx, int host)
{
	return host >= 0 && host < cx->t->n_hosts ? cx->t->hosts[host].name : "?";
}

/* vrequest: script_request's body; err_is_error makes an `err` answer an
 * ERROR too. */
static int vrequest(struct script_ctx *cx, int host, int timeout_ms, struct nodeproc_reply *r,
		    struct step_res *res, bool err_is_error, const char *fmt, va_list ap)
{
	char req[4096];
	vsnprintf(req, sizeof(req), fmt, ap);
	int rc = lab_node_request(cx->lab, host, timeout_ms, r, "%s", req);
	if (rc < 0) {
		struct lab_host *lh = lab_host(cx->lab, host);
		const char *log = lh ? lh->np.log_path : "";
		if (rc == -ETIMEDOUT)
			step_error(res, "host %s did not answer '%s' within %.1fs (node log: %s)",
				   script_host_name(cx, host), req, timeout_ms / 1000.0, log);
		else if (rc == -EPIPE && log[0])
			step_error(res, "host %s: its node is not running (log: %s)", script_host_name(cx, host), log);
		else if (rc == -EPIPE)
			step_error(res, "host %s: its node is not running", script_host_name(cx, host));
		else
			step_error(res, "host %s: %s: %s", script_host_name(cx, host), req, strerror(-rc));
		return rc;
	}
	if (!r->ok && err_is_error) {
		step_error(res, "host %s: %s", script_host_name(cx, host), r->status);
		nodeproc_reply_free(r);
		return -EINVAL;
	}
	return 0;
}

int script_request(struct script_ctx *cx, int host, int timeout_ms, struct nodeproc_reply *r,
		   struct step_res *res, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vrequest(cx, host, timeout_ms, r, res, false, fmt, ap);
	va_end(ap);
	return rc;
}

int script_request_ok(struct script_ctx *cx, int host, int timeout_ms, struct nodeproc_reply *r,
		      struct step_res *res, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vrequest(cx, host, timeout_ms, r, res, true, fmt, ap);
	va_end(ap);
	return rc;
}

uint64_t script_reply_u64(const struct nodeproc_reply *r, const char *key, uint64_t def)
{
	char buf[32], *end;
	if (!nodeproc_reply_get(r, key, buf, sizeof(buf)) || !buf[0])
		return def;
	errno = 0;
	unsigned long long v = strtoull(buf, &end, 10);
	return *end || errno ? def : (uint64_t)v;
}

const char *script_log_path(struct script_ctx *cx, int host, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", cx->lab->outdir, script_host_name(cx, host));
	mkdir(cx->lab->outdir, 0755);
	mkdir(buf, 0755);
	snprintf(buf, len, "%s/%s/%s", cx->lab->outdir, script_host_name(cx, host), name);
	return buf;
}

const char *script_log_tail(const char *path, char *buf, size_t len)
{
	char tail[4096];
	buf[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return buf;
	off_t end = lseek(fd, 0, SEEK_END);
	off_t from = end > (off_t)sizeof(tail) - 1 ? end - (off_t)sizeof(tail) + 1 : 0;
	ssize_t n = pread(fd, tail, sizeof(tail) - 1, from);
	close(fd);
	if (n <= 0)
		return buf;
	tail[n] = '\0';
	while (n > 0 && (tail[n - 1] == '\n' || tail[n - 1] == '\r' || tail[n - 1] == ' '))
		tail[--n] = '\0';
	char *line = strrchr(tail, '\n');
	snprintf(buf, len, "%s", line ? line + 1 : tail);
	return buf;
}

/* reap: waitpid without blocking for one child; true once it has ended. */
static bool reap(pid_t pid, int *status)
{
	pid_t r = waitpid(pid, status, WNOHANG);
	if (r == pid)
		return true;
	if (r < 0 && errno == ECHILD) {
		*status = 0;
		return true; /* someone else reaped it: count it as gone */
	}
	return false;
}

int script_run_fg(struct script_ctx *cx, int host, char *const argv[], uint64_t timeout_ns, const char *log,
		  int *status, bool *timed_out, struct step_res *res)
{
	char err[512];
	*timed_out = false;
	int pid = lab_exec(cx->lab, host, argv, log, err, sizeof(err));
	if (pid < 0) {
		step_error(res, "cannot run %s on %s: %s", argv[0], script_host_name(cx, host), err);
		return pid;
	}
	uint64_t start = script_now_ns(), nap = 1000000;
	while (!reap(pid, status)) {
		if (timeout_ns && script_now_ns() - start >= timeout_ns) {
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			*timed_out = true;
			return 0;
		}
		if (!script_sleep_ns(nap)) {
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			step_error(res, "interrupted");
			return -EINTR;
		}
		if (nap < 20000000)
			nap *= 2;
	}
	return 0;
}

/* ---- jobs ---- */

struct script_job *script_job_of(struct script_ctx *cx, int obj)
{
	for (int i = 0; i < cx->n_jobs; i++)
		if (cx->jobs[i].obj == obj)
			return &cx->jobs[i];
	return NULL;
}

void script_jobs_poll(struct script_ctx *cx)
{
	uint64_t now = script_now_ns();
	for (int i = 0; i < cx->n_jobs; i++) {
		struct script_job *j = &cx->jobs[i];
		if (j->exited)
			continue;
		if (reap(j->pid, &j->status)) {
			j->exited = true;
			j->pid = -1;
		} else if (j->deadline_ns && now >= j->deadline_ns) {
			kill(j->pid, SIGKILL);
			waitpid(j->pid, &j->status, 0);
			j->exited = j->timed_out = true;
			j->pid = -1;
		}
	}
}

/* jobs_finish: ends every job still running: SIGTERM, a second's grace,
 * SIGKILL; reaps them all. */
static void jobs_finish(struct script_ctx *cx)
{
	bool any = false;
	script_jobs_poll(cx);
	for (int i = 0; i < cx->n_jobs; i++)
		if (!cx->jobs[i].exited) {
			kill(cx->jobs[i].pid, SIGTERM);
			any = true;
		}
	uint64_t until = script_now_ns() + 1000000000u;
	while (any && script_now_ns() < until) {
		any = false;
		for (int i = 0; i < cx->n_jobs; i++) {
			struct script_job *j = &cx->jobs[i];
			if (!j->exited && reap(j->pid, &j->status))
				j->exited = true;
			any = any || !j->exited;
		}
		if (any)
			script_sleep_ns(5000000);
	}
	for (int i = 0; i < cx->n_jobs; i++) {
		struct script_job *j = &cx->jobs[i];
		if (!j->exited) {
			kill(j->pid, SIGKILL);
			waitpid(j->pid, &j->status, 0);
			j->exited = true;
		}
		j->pid = -1;
	}
	free(cx->jobs);
	cx->jobs = NULL;
	cx->n_jobs = 0;
}

/* start_job: `exec ... as NAME`: starts the program and keeps its pid. */
static void start_job(struct script_ctx *cx, const struct topo_step *s, struct step_res *res)
{
	char name[48], logname[64], err[512];
	struct script_job *jobs = realloc(cx->jobs, (size_t)(cx->n_jobs + 1) * sizeof(*jobs));
	if (!jobs) {
		step_error(res, "out of memory");
		return;
	}
	cx->jobs = jobs;
	struct script_job *j = &jobs[cx->n_jobs];
	memset(j, 0, sizeof(*j));
	j->obj = s->u.exec.obj;
	snprintf(logname, sizeof(logname), "exec-line%d.log", s->loc.line);
	script_log_path(cx, s->host, logname, j->log, sizeof(j->log));
	int pid = lab_exec(cx->lab, s->host, s->u.exec.argv, j->log, err, sizeof(err));
	if (pid < 0) {
		step_error(res, "cannot run %s on %s: %s", s->u.exec.argv[0], script_host_name(cx, s->host), err);
		return;
	}
	j->pid = pid;
	if (s->u.exec.timeout_ns)
		j->deadline_ns = script_now_ns() + s->u.exec.timeout_ns;
	cx->n_jobs++;
	snprintf(res->detail, sizeof(res->detail), "job %s, pid %d",
		 script_obj_name(cx, s->u.exec.obj, name, sizeof(name)), pid);
}

/* describe_status: "exit 1", "killed by signal 9". */
static void describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "status %#x", status);
}

void script_step_exec(struct script_ctx *cx, const struct topo_step *s, struct step_res *res)
{
	char log[4096], logname[64], what[96], tail[160], t[32];
	if (s->u.exec.background) {
		start_job(cx, s, res);
		return;
	}
	int status;
	bool timed_out;
	snprintf(logname, sizeof(logname), "exec-line%d.log", s->loc.line);
	script_log_path(cx, s->host, logname, log, sizeof(log));
	if (script_run_fg(cx, s->host, s->u.exec.argv, s->u.exec.timeout_ns, log, &status, &timed_out, res) < 0)
		return;
	script_log_tail(log, tail, sizeof(tail));
	/* A timeout is how a program meant to run for a while is stopped: only
	 * an expected exit status makes it a failure. */
	if (timed_out)
		snprintf(what, sizeof(what), "killed after its %s timeout", script_fmt_secs(s->u.exec.timeout_ns, t, sizeof(t)));
	else
		describe_status(status, what, sizeof(what));
	snprintf(res->detail, sizeof(res->detail), "%s", what);
	if (!s->u.exec.expect_exit)
		return;
	if (timed_out || !WIFEXITED(status) || WEXITSTATUS(status) != s->u.exec.exit_code)
		step_fail(res, "%s, expected exit %d%s%s (output: %s)", what, s->u.exec.exit_code, tail[0] ? ": " : "",
			  tail, log);
}

/* ---- the loop ---- */

/* run_step: one step, by kind. */
static void run_step(struct script_ctx *cx, const struct topo_step *s, struct step_res *res)
{
	switch (s->kind) {
	case TOPO_STEP_PING: script_step_ping(cx, s, res); break;
	case TOPO_STEP_EXEC: script_step_exec(cx, s, res); break;
	case TOPO_STEP_WAIT: script_step_wait(cx, s, res); break;
	case TOPO_STEP_EXPECT: script_step_expect(cx, s, res); break;
	case TOPO_STEP_LISTEN: case TOPO_STEP_CONNECT: case TOPO_STEP_SEND: case TOPO_STEP_RECV:
	case TOPO_STEP_CLOSE: case TOPO_STEP_SHUTDOWN: case TOPO_STEP_ABORT: case TOPO_STEP_APP_START:
	case TOPO_STEP_APP_STOP: case TOPO_STEP_UDP_BIND: case TOPO_STEP_UDP_SEND:
		script_step_host(cx, s, res);
		break;
	default: script_step_lab(cx, s, res); break;
	}
}

int script_run(struct lab *lab, const struct topo *t, struct report *rep)
{
	struct report *own = NULL;
	if (!rep) {
		own = report_create(t->name, t->file, lab->opts.seed, t->n_steps, NULL, NULL);
		if (!own)
			return 1;
		rep = own;
	}
	struct script_ctx cx = {.lab = lab, .t = t, .rep = rep};
	uint64_t t0 = script_now_ns();
	int ended_by = -1;             /* the step after which only dumps run */
	bool interrupted = false, bad = false;
	for (int i = 0; i < t->n_steps && i < rep->n_steps; i++) {
		const struct topo_step *s = &t->steps[i];
		uint64_t start = script_now_ns();
		cx.step = i;
		script_jobs_poll(&cx);
		interrupted = interrupted || script_interrupted();
		if (interrupted) {
			report_step_end(rep, i, STEP_SKIPPED, start - t0, 0, "not run: interrupted");
			continue;
		}
		if (ended_by >= 0 && s->kind != TOPO_STEP_DUMP) {
			const struct report_step *e = &rep->steps[ended_by];
			report_step_end(rep, i, STEP_SKIPPED, start - t0, 0, "not run: line %d %s", e->line,
					e->outcome == STEP_ERROR ? "could not be carried out" : "failed");
			continue;
		}
		struct step_res res = {.outcome = STEP_OK};
		report_step_begin(rep, i);
		run_step(&cx, s, &res);
		uint64_t end = script_now_ns();
		snprintf(rep->steps[i].detail, sizeof(rep->steps[i].detail), "%s", res.detail);
		if (res.outcome == STEP_OK)
			report_step_end(rep, i, res.outcome, start - t0, end - start, NULL);
		else
			report_step_end(rep, i, res.outcome, start - t0, end - start, "%s", res.reason);
		report_print_block(rep, res.text);
		free(res.text);
		bad = bad || res.outcome != STEP_OK;
		if (res.end_script && ended_by < 0)
			ended_by = i;
	}
	jobs_finish(&cx);
	rep->duration_ns = script_now_ns() - t0;
	report_free(own);
	return bad || interrupted ? 1 : 0;
}
