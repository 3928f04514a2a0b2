/* report.h: what a run of a topology's script did, for people and for CI.
 *
 *   script_run()  ──fills──>  struct report ──────> progress lines on stderr
 *                                   │                (one per step as it ends,
 *                                   │                 and a final PASS/FAIL line)
 *                                   ├─> <out>/summary.json   every step, totals
 *                                   └─> <out>/junit.xml      one <testsuite name=LAB>,
 *                                                            one <testcase> per expectation
 *
 * An expectation is a step that checks something: `expect`, `ping` (it
 * always expects success or failure), `exec ... expect exit N` and `wait`
 * (its bound can expire). Those become JUnit test cases named
 * "LINE: source text"; any other step that could not be carried out is
 * added as a test case with an <error>, so CI shows why the run stopped.
 *
 * The report owns copies of every string; it does not depend on the lab, so
 * it can be built and written by tests.
 */
#ifndef NB_REPORT_H
#define NB_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define REPORT_REASON_MAX 512
#define REPORT_DETAIL_MAX 256
#define REPORT_KIND_MAX 16

enum step_outcome {
	STEP_PENDING,                /* not run yet */
	STEP_OK,                     /* done; its expectation (if any) held */
	STEP_FAILED,                 /* an expectation did not hold, a wait expired */
	STEP_ERROR,                  /* could not be carried out (node died, no answer) */
	STEP_SKIPPED,                /* not run: an earlier step ended the script */
};

enum run_result { RUN_PASS, RUN_FAIL, RUN_ERROR };

struct report_step {
	int index;                   /* 1-based, file order */
	int line;                    /* in the topology file */
	char kind[REPORT_KIND_MAX];  /* "ping", "expect", "link set" ... */
	char *text;                  /* the source line (owned) */
	bool expectation;            /* a JUnit test case */
	enum step_outcome outcome;
	char reason[REPORT_REASON_MAX];  /* failed/error/skipped: why, one line */
	char detail[REPORT_DETAIL_MAX];  /* what happened ("3/3 replies, rtt ..."), any outcome */
	uint64_t start_ns;           /* since the run started */
	uint64_t duration_ns;
};

struct report_opts {
	FILE *progress;              /* live lines; NULL = none */
	bool quiet;                  /* only failures and the final line */
	bool verbose;                /* also a line as each step starts */
	int color;                   /* 1 always, 0 never, -1 when progress is a terminal
	                                (and NO_COLOR is unset) */
};

struct report {
	char lab[64];
	char *file;
	char *outdir;                /* where report_write puts its files */
	uint64_t seed;
	int64_t started_unix;        /* wall clock at creation, for timestamps */
	struct report_step *steps;
	int n_steps;
	uint64_t duration_ns;        /* the script's run time (script_run sets it) */

	/* totals, set by report_finish */
	enum run_result result;
	int n_ok, n_failed, n_errors, n_skipped;
	int n_expect, n_expect_failed;   /* expectations, and those that did not hold */
	int first_bad;               /* index into steps of the first failed/error
	                                step (an error wins), -1 if none */

	/* display */
	FILE *progress;
	bool quiet, verbose, color;
};

struct topo;

/* report_new: a report for topology t's steps (line, kind, text, whether
 * each is an expectation) run with seed, written later under outdir;
 * progress goes to stderr. NULL if out of memory. */
struct report *report_new(const struct topo *t, uint64_t seed, const char *outdir, bool quiet, bool verbose);
/* report_create: the same without a topology: n_steps empty steps, to be
 * described with report_step_set. NULL if out of memory. */
struct report *report_create(const char *lab, const char *file, uint64_t seed, int n_steps, const char *outdir,
			     const struct report_opts *o);
/* report_free: releases everything; NULL is fine. */
void report_free(struct report *rep);

/* report_step_set: describes step i (0-based) before it runs. 0 or -ENOMEM. */
int report_step_set(struct report *rep, int i, int line, const char *kind, const char *text, bool expectation);
/* report_step_begin: in verbose mode, prints step i's line as it starts. */
void report_step_begin(struct report *rep, int i);
/* report_step_end: records step i's outcome and timing, the reason (for
 * FAILED/ERROR/SKIPPED; printf format, may be NULL) and prints its progress
 * line. The detail field is the caller's to fill before. */
void report_step_end(struct report *rep, int i, enum step_outcome outcome, uint64_t start_ns,
		     uint64_t duration_ns, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* report_print_block: text (a socket table ...) under the last progress
 * line, each line indented; not in quiet mode. */
void report_print_block(struct report *rep, const char *text);

/* report_finish: computes totals and the result and prints the final line.
 * code is the run's exit code so far (script_run's): non-zero with every
 * step fine (interrupted, say) still makes the result RUN_ERROR. NULL is fine. */
void report_finish(struct report *rep, int code);

/* report_write: <outdir>/summary.json and <outdir>/junit.xml. 0 or -errno
 * with the reason in err. */
int report_write(const struct report *rep, char *err, size_t errlen);

/* The pieces, for tests and other front ends. Each writes to f and returns
 * 0 or -EIO. report_json/report_junit want report_finish to have run. */
int report_json(const struct report *rep, FILE *f);
int report_junit(const struct report *rep, FILE *f);
/* report_format_step: step i's progress line (no newline) into buf. */
void report_format_step(const struct report *rep, int i, bool color, char *buf, size_t len);
/* report_format_final: "PASS story: 12 steps, 5 expectations held (3.2s)"
 * or "FAIL story: ..." into buf (no newline). */
void report_format_final(const struct report *rep, bool color, char *buf, size_t len);

/* report_outcome_name: "ok", "FAIL", "ERROR", "skip", "pending". */
const char *report_outcome_name(enum step_outcome o);
/* report_xml_escape / report_json_escape: s escaped for XML text and
 * attributes (& < > " ', control characters, invalid UTF-8 as U+FFFD) /
 * for a JSON string body (no quotes), written to f. */
void report_xml_escape(FILE *f, const char *s);
void report_json_escape(FILE *f, const char *s);

#endif
