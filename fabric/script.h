/* script.h: running a topology's script on a lab that is up.
 *
 *   topo steps ──> script_run ──> lab.h (node requests, exec, faults, dumps)
 *                       │
 *                       └──> struct report (report.h): outcome, reason and
 *                            duration of every step, live progress lines
 *
 * Steps run in file order. A step is
 *   ok       it was done, and its expectation (if it has one) held;
 *   failed   an expectation did not hold (expect, ping, exec ... expect
 *            exit): the run fails, the script goes on. A wait whose bound
 *            expires also fails, and ends the script;
 *   error    it could not be carried out (the node is gone or did not
 *            answer, the lab refused a fault): the run fails and the script
 *            ends.
 * Once the script has ended, the remaining steps are skipped except `dump`,
 * so the artifacts of a failing run are still collected.
 *
 * How steps are done: host actions on custom hosts are node/cmd_script.c's
 * verbs (listen, connect, send, recv, close, shutdown, abort, app, udp),
 * waits its `wait` verb (the node answers when the condition holds, when it
 * never can, or when the bound passes), expectations its `obj` and
 * `counter` verbs; ping is the node's `ping` verb on custom hosts and
 * iputils ping on kernel hosts; faults and dumps go through lab.h.
 *
 * Objects a step creates without `as NAME` get a runner-made name,
 * "_step<N>" (N = the step's 1-based index; user names start with a
 * letter). Programs run on kernel hosts in <out>/<host>/, their standard
 * output going to <out>/<host>/exec-line<L>.out and their standard error
 * to exec-line<L>.err (ping-line<L>.log for ping, both in one); `expect`
 * hashes a job's .out or a file (script_digest.c). `dump sockets` writes
 * <out>/<host>/dump-line<L>.* and prints each host's socket table (with
 * `detail`, the control blocks too) under the step's progress line. A
 * foreground exec killed at its timeout is no failure unless it has
 * `expect exit`. Background jobs (`exec ... as NAME`) are children of this
 * process: they are reaped as they end, and any still running when the
 * script ends is sent SIGTERM, then SIGKILL a second later. Nothing else is
 * ever waited for or signalled (the nodes are also our children).
 */
#ifndef NB_SCRIPT_H
#define NB_SCRIPT_H

#include "lab.h"
#include "report.h"
#include "topo.h"

/* script_run: runs every step of t on lab, recording each in rep (from
 * report_new(t, ...); NULL runs without a report) and its run time in
 * rep->duration_ns. The caller then calls report_finish(rep, code),
 * report_write() and takes the lab down. Returns 0 when every expectation
 * held, 1 when one failed, a wait expired or a step could not be carried
 * out (rep->steps tell which; report_finish sets rep->result). */
int script_run(struct lab *lab, const struct topo *t, struct report *rep);

/* script_set_interrupt: stop() is asked between steps and while sleeping
 * or waiting for programs; once it returns true the step in progress ends
 * as an error and the rest are skipped ("interrupted"). By default cli_stop_requested() (cli_run.c) if linked. */
void script_set_interrupt(bool (*stop)(void));

/* A lab that is up, taking steps one at a time (`nestbed do`;
 * script_live.c). Steps are parsed against the lab's topology t, appended
 * to it (names they define serve later steps) and run as a file's steps
 * are; programs they start in the background stay until script_live_free. */
struct script_live;
/* script_live_new: a session on lab (up, built from t). NULL if out of memory. */
struct script_live *script_live_new(struct lab *lab, struct topo *t);
/* script_live_do: parses line (one script step, as in a file) and runs it.
 * Writes the step's outcome line ("ok  0.012s  57: kill b (detail)" or
 * "FAIL ...: reason"), and any socket table under it, to out; parse
 * errors to err. Returns 0 (done, and its expectation held), 1 (it failed
 * or could not be carried out) or 2 (it did not parse: nothing was done). */
int script_live_do(struct script_live *lv, const char *line, FILE *out, FILE *err);
/* script_live_poll: reaps background programs that ended (call it now
 * and then between steps). */
void script_live_poll(struct script_live *lv);
/* script_live_free: ends programs still running (as a run's end does) and
 * frees the session; NULL is fine. */
void script_live_free(struct script_live *lv);

/* What a ping saw (either kind of host). */
struct script_ping_stats {
	int sent, received, errors;
	double rtt_min_ms, rtt_avg_ms, rtt_max_ms;   /* 0 without replies */
	char error[128];             /* the node's error=, or "" */
};

/* script_ping_parse: reads iputils (or busybox) ping output. 0 if the
 * statistics line was found, -1 if not. */
int script_ping_parse(const char *out, struct script_ping_stats *ps);

/* script_ping_verdict: whether a ping of `count` echoes met its
 * expectation (every reply for success, none for failure); writes the
 * detail ("3/3 replies, rtt 0.21/0.25/0.31 ms") and, when it did not hold,
 * the reason. */
bool script_ping_verdict(const struct script_ping_stats *ps, int count, bool expect_success, char *detail,
			 size_t dlen, char *reason, size_t rlen);

#endif
