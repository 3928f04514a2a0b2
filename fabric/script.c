/* script.c: the script runner's step loop and the helpers its steps share
 * (see script.h; programs on kernel hosts and jobs: script_exec.c). */
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
		if (rc == -EINTR)
			step_error(res, "interrupted");
		else if (rc == -ETIMEDOUT)
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

/* ---- the loop ---- */

void script_step_run(struct script_ctx *cx, const struct topo_step *s, struct step_res *res)
{
	switch (s->kind) {
	case TOPO_STEP_PING: script_step_ping(cx, s, res); break;
	case TOPO_STEP_EXEC: script_step_exec(cx, s, res); break;
	case TOPO_STEP_WAIT: script_step_wait(cx, s, res); break;
	case TOPO_STEP_EXPECT: script_step_expect(cx, s, res); break;
	case TOPO_STEP_LISTEN: case TOPO_STEP_CONNECT: case TOPO_STEP_ACCEPT: case TOPO_STEP_SEND: case TOPO_STEP_RECV:
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
	/* ^C ends a step that waits on a node (wait, ping), not only sleeps;
	 * the final dumps after the script still get their answers. */
	nodeproc_set_interrupt(script_interrupted);
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
		script_step_run(&cx, s, &res);
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
	nodeproc_set_interrupt(NULL);
	script_jobs_finish(&cx);
	rep->duration_ns = script_now_ns() - t0;
	report_free(own);
	return bad || interrupted ? 1 : 0;
}
