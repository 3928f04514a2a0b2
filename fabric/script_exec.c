/* script_exec.c: programs on kernel hosts: starting them (script_spawn),
 * the `exec` step in the foreground and in the background, and the jobs
 * (`exec ... as NAME`) the script keeps track of until it ends.
 *
 * A program runs in its host's network and UTS namespaces, in the host's
 * output directory <out>/<host>/, with stdin from /dev/null, its standard
 * output in exec-line<L>.out and its standard error in exec-line<L>.err
 * (both in that directory), and NESTBED_OUT (the run's output directory,
 * absolute), NESTBED_LAB and NESTBED_HOST in its environment. */
#include "script_int.h"

#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* open_log: a fresh (truncated) output file; fd or -errno. */
static int open_log(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	return fd < 0 ? -errno : fd;
}

/* child: the forked side of script_spawn; never returns. */
static void __attribute__((noreturn)) child(pid_t parent, int net, int uts, int out, int err, const char *dir,
					   const char *outdir, const char *lab, const char *host, char *const argv[])
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	int nul = open("/dev/null", O_RDONLY);
	if (nul < 0 || dup2(nul, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(127);
	if (setns(net, CLONE_NEWNET) < 0 || (uts >= 0 && setns(uts, CLONE_NEWUTS) < 0)) {
		dprintf(2, "nestbed: cannot enter host %s: %s\n", host, strerror(errno));
		_exit(127);
	}
	if (chdir(dir) < 0) {
		dprintf(2, "nestbed: cannot enter directory %s: %s\n", dir, strerror(errno));
		_exit(127);
	}
	setenv("NESTBED_OUT", outdir, 1);
	setenv("NESTBED_LAB", lab, 1);
	setenv("NESTBED_HOST", host, 1);
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], argv);
	dprintf(2, "nestbed: %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int script_spawn(struct script_ctx *cx, int host, char *const argv[], const char *out_path, const char *err_path,
		 char *err, size_t errlen)
{
	struct lab_host *lh = lab_host(cx->lab, host);
	char dir[PATH_MAX], outdir[PATH_MAX], uts[PATH_MAX], probe[PATH_MAX];
	int out = -1, errfd = -1, net = -1, utsfd = -1, rc;
	if (!lh || !argv || !argv[0]) {
		snprintf(err, errlen, "nothing to run");
		return -EINVAL;
	}
	/* the host's directory exists once a path in it was asked for */
	script_log_path(cx, host, "", probe, sizeof(probe));
	if (!realpath(probe, dir) || !realpath(cx->lab->outdir, outdir)) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", probe, strerror(-rc));
		return rc;
	}
	if ((out = open_log(out_path)) < 0 || (strcmp(out_path, err_path) && (errfd = open_log(err_path)) < 0)) {
		rc = out < 0 ? out : errfd;
		snprintf(err, errlen, "cannot create %s: %s", out < 0 ? out_path : err_path, strerror(-rc));
		goto done;
	}
	if ((net = netns_open(lh->netns, err, errlen)) < 0) {
		rc = net;
		goto done;
	}
	snprintf(uts, sizeof(uts), "%s/%s", NETNS_UTS_DIR, lh->netns);
	utsfd = open(uts, O_RDONLY | O_CLOEXEC);
	pid_t parent = getpid();
	rc = fork();
	if (rc < 0) {
		rc = -errno;
		snprintf(err, errlen, "fork: %s", strerror(-rc));
	} else if (rc == 0) {
		child(parent, net, utsfd, out, errfd >= 0 ? errfd : out, dir, outdir, cx->t->name, lh->name, argv);
	}
done:
	if (out >= 0)
		close(out);
	if (errfd >= 0)
		close(errfd);
	if (net >= 0)
		close(net);
	if (utsfd >= 0)
		close(utsfd);
	return rc;
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

int script_run_fg(struct script_ctx *cx, int host, char *const argv[], uint64_t timeout_ns, const char *out,
		  const char *errlog, int *status, bool *timed_out, struct step_res *res)
{
	char err[512];
	*timed_out = false;
	int pid = script_spawn(cx, host, argv, out, errlog, err, sizeof(err));
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

void script_jobs_finish(struct script_ctx *cx)
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

/* new_job: a job entry for the step's object with its output paths; NULL
 * (res ERROR) if out of memory. */
static struct script_job *new_job(struct script_ctx *cx, const struct topo_step *s, struct step_res *res)
{
	char name[64];
	struct script_job *jobs = realloc(cx->jobs, (size_t)(cx->n_jobs + 1) * sizeof(*jobs));
	if (!jobs) {
		step_error(res, "out of memory");
		return NULL;
	}
	cx->jobs = jobs;
	struct script_job *j = &jobs[cx->n_jobs];
	memset(j, 0, sizeof(*j));
	j->obj = s->u.exec.obj;
	j->pid = -1;
	snprintf(name, sizeof(name), "exec-line%d.out", s->loc.line);
	script_log_path(cx, s->host, name, j->out, sizeof(j->out));
	snprintf(name, sizeof(name), "exec-line%d.err", s->loc.line);
	script_log_path(cx, s->host, name, j->err, sizeof(j->err));
	return j;
}

/* start_job: `exec ... as NAME`: starts the program and keeps its pid. */
static void start_job(struct script_ctx *cx, const struct topo_step *s, struct step_res *res)
{
	char name[48], err[512];
	struct script_job *j = new_job(cx, s, res);
	if (!j)
		return;
	int pid = script_spawn(cx, s->host, s->u.exec.argv, j->out, j->err, err, sizeof(err));
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

void script_describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "status %#x", status);
}

const char *script_job_tail(const struct script_job *j, char *buf, size_t len)
{
	script_log_tail(j->err, buf, len);
	if (!buf[0])
		script_log_tail(j->out, buf, len);
	return buf;
}

void script_step_exec(struct script_ctx *cx, const struct topo_step *s, struct step_res *res)
{
	char what[96], tail[160], t[32];
	struct script_job fg;
	if (s->u.exec.background) {
		start_job(cx, s, res);
		return;
	}
	/* In the foreground; a named one is kept as a finished job. */
	struct script_job *j = s->u.exec.obj >= 0 ? new_job(cx, s, res) : &fg;
	if (!j)
		return;
	if (j == &fg) {
		memset(&fg, 0, sizeof(fg));
		fg.obj = -1;
		snprintf(what, sizeof(what), "exec-line%d.out", s->loc.line);
		script_log_path(cx, s->host, what, fg.out, sizeof(fg.out));
		snprintf(what, sizeof(what), "exec-line%d.err", s->loc.line);
		script_log_path(cx, s->host, what, fg.err, sizeof(fg.err));
	}
	if (script_run_fg(cx, s->host, s->u.exec.argv, s->u.exec.timeout_ns, j->out, j->err, &j->status,
			  &j->timed_out, res) < 0)
		return;
	j->exited = true;
	if (j != &fg)
		cx->n_jobs++;
	script_job_tail(j, tail, sizeof(tail));
	/* A timeout is how a program meant to run for a while is stopped: only
	 * an expected exit status makes it a failure. */
	if (j->timed_out)
		snprintf(what, sizeof(what), "killed after its %s timeout", script_fmt_secs(s->u.exec.timeout_ns, t, sizeof(t)));
	else
		script_describe_status(j->status, what, sizeof(what));
	snprintf(res->detail, sizeof(res->detail), "%s", what);
	if (!s->u.exec.expect_exit)
		return;
	if (j->timed_out || !WIFEXITED(j->status) || WEXITSTATUS(j->status) != s->u.exec.exit_code)
		step_fail(res, "%s, expected exit %d%s%s (output: %.*s.out and .err)", what, s->u.exec.exit_code,
			  tail[0] ? ": " : "", tail, (int)(strlen(j->out) - 4), j->out);
}
