/* script_int.h: what the script runner's files share (script.c: the step
 * loop and helpers; script_exec.c: programs on kernel hosts and jobs;
 * script_steps.c: host actions and faults; script_expect.c: wait and
 * expect; script_digest.c: digest comparisons; script_ping.c: ping on
 * either kind of host). */
#ifndef NB_SCRIPT_INT_H
#define NB_SCRIPT_INT_H

#include "script.h"

#include <limits.h>
#include <sys/types.h>

/* A named program on a kernel host (`exec ... as NAME`): running in the
 * background, or finished (a `foreground` one is added once it ended). */
struct script_job {
	int obj;                     /* topo object */
	pid_t pid;                   /* -1 once reaped */
	bool exited;
	int status;                  /* wait status once exited */
	uint64_t deadline_ns;        /* monotonic; 0 = no timeout */
	bool timed_out;              /* killed at its deadline */
	char out[PATH_MAX];          /* its standard output: <out>/<host>/exec-line<L>.out */
	char err[PATH_MAX];          /* its standard error: ... .err */
};

struct script_ctx {
	struct lab *lab;
	const struct topo *t;
	struct report *rep;
	int step;                    /* index of the step running */
	struct script_job *jobs;
	int n_jobs;
};

/* What one step did; the loop turns it into a report entry. */
struct step_res {
	enum step_outcome outcome;   /* OK, FAILED or ERROR */
	bool end_script;             /* skip what follows (except dumps) */
	char reason[REPORT_REASON_MAX];
	char detail[REPORT_DETAIL_MAX];
	char *text;                  /* malloc'd; printed under the step's line */
};

/* script_now_ns: CLOCK_MONOTONIC in nanoseconds. */
uint64_t script_now_ns(void);
/* script_sleep_ns: sleeps ns (restarting after signals); returns early
 * (false) if the run is interrupted. */
bool script_sleep_ns(uint64_t ns);
/* script_interrupted: the interrupt hook said stop. */
bool script_interrupted(void);
/* script_fmt_secs: "2s", "1.5s", "250ms" for a duration, into buf. */
const char *script_fmt_secs(uint64_t ns, char *buf, size_t len);

/* step_fail / step_error: set the outcome and a printf reason. */
void step_fail(struct step_res *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void step_error(struct step_res *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* script_obj_name: the object's name, or the runner's "_step<N>" for a
 * step that gave none (obj < 0). */
const char *script_obj_name(const struct script_ctx *cx, int obj, char *buf, size_t len);
/* script_host_name: the host's name. */
const char *script_host_name(const struct script_ctx *cx, int host);

/* script_request: one request to host's node. Returns 0 when the node
 * answered (r->ok tells how; free r with nodeproc_reply_free), or -errno
 * with res set to ERROR and a reason. */
int script_request(struct script_ctx *cx, int host, int timeout_ms, struct nodeproc_reply *r,
		   struct step_res *res, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* script_request_ok: script_request where an `err` answer is also an ERROR. */
int script_request_ok(struct script_ctx *cx, int host, int timeout_ms, struct nodeproc_reply *r,
		      struct step_res *res, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* script_reply_u64: a numeric key of a reply; def if absent or malformed. */
uint64_t script_reply_u64(const struct nodeproc_reply *r, const char *key, uint64_t def);

/* script_log_path: <out>/<host>/<name>, making the directory. */
const char *script_log_path(struct script_ctx *cx, int host, const char *name, char *buf, size_t len);
/* script_log_tail: the last non-empty line of a file (at most len-1 bytes). */
const char *script_log_tail(const char *path, char *buf, size_t len);

/* Programs on kernel hosts (script_exec.c). */
/* script_spawn: starts argv on a kernel host (see script_exec.c for its
 * surroundings), stdout to out_path and stderr to err_path, each truncated
 * first (the same path: one file for both). Returns the child's pid (reap
 * it with waitpid) or -errno with err filled. */
int script_spawn(struct script_ctx *cx, int host, char *const argv[], const char *out_path, const char *err_path,
		 char *err, size_t errlen);
/* script_run_fg: script_spawn, then waits up to timeout_ns (0: forever).
 * Returns 0 with *status (wait status) and *timed_out, or -errno with res
 * set to ERROR. */
int script_run_fg(struct script_ctx *cx, int host, char *const argv[], uint64_t timeout_ns, const char *out,
		  const char *err, int *status, bool *timed_out, struct step_res *res);
/* script_describe_status: "exit 1", "killed by signal 9 (Killed)". */
void script_describe_status(int status, char *buf, size_t len);
/* script_job_of: the job of a topo object, or NULL if it never started. */
struct script_job *script_job_of(struct script_ctx *cx, int obj);
/* script_jobs_poll: reaps jobs that ended, kills those past their deadline. */
void script_jobs_poll(struct script_ctx *cx);
/* script_jobs_finish: ends every job still running (SIGTERM, a second's
 * grace, SIGKILL), reaps them all and forgets them. */
void script_jobs_finish(struct script_ctx *cx);
/* script_job_tail: the last line of the job's stderr, else of its stdout. */
const char *script_job_tail(const struct script_job *j, char *buf, size_t len);

/* script_step_run: carries out one step (cx->step is its index), by kind,
 * into res (script.c). */
void script_step_run(struct script_ctx *cx, const struct topo_step *s, struct step_res *res);

/* Step kinds (script_steps.c, script_expect.c, script_ping.c). */
void script_step_host(struct script_ctx *cx, const struct topo_step *s, struct step_res *res);
void script_step_lab(struct script_ctx *cx, const struct topo_step *s, struct step_res *res);
void script_step_exec(struct script_ctx *cx, const struct topo_step *s, struct step_res *res);
void script_step_wait(struct script_ctx *cx, const struct topo_step *s, struct step_res *res);
void script_step_expect(struct script_ctx *cx, const struct topo_step *s, struct step_res *res);
/* script_query_obj: `obj NAME` on the object's host. 0 with r filled (free
 * it), 1 when the node answered err (res FAILED), -1 when it could not be
 * asked (res ERROR). */
int script_query_obj(struct script_ctx *cx, int obj, struct nodeproc_reply *r, struct step_res *res);
/* script_hash_file: SHA-256 of a whole file as hex, and its length. 0 or
 * -errno. */
int script_hash_file(const char *path, char hex[65], uint64_t *bytes);
void script_expect_digest(struct script_ctx *cx, const struct topo_step *s, struct step_res *res);
void script_step_ping(struct script_ctx *cx, const struct topo_step *s, struct step_res *res);

#endif
