/* report.c: the run report: progress lines, summary.json, junit.xml (see
 * report.h). */
#include "report.h"

#include "topo.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define C_RESET "\033[0m"
#define C_GREEN "\033[32m"
#define C_RED "\033[31m"
#define C_YELLOW "\033[33m"
#define C_BOLD_GREEN "\033[1;32m"
#define C_BOLD_RED "\033[1;31m"

/* dup_str: strdup that takes NULL as "". */
static char *dup_str(const char *s)
{
	return strdup(s ? s : "");
}

struct report *report_create(const char *lab, const char *file, uint64_t seed, int n_steps, const char *outdir,
			     const struct report_opts *o)
{
	struct report *rep = calloc(1, sizeof(*rep));
	if (!rep)
		return NULL;
	snprintf(rep->lab, sizeof(rep->lab), "%s", lab ? lab : "");
	rep->seed = seed;
	rep->started_unix = (int64_t)time(NULL);
	rep->first_bad = -1;
	rep->file = dup_str(file);
	rep->outdir = dup_str(outdir ? outdir : ".");
	rep->n_steps = n_steps > 0 ? n_steps : 0;
	rep->steps = calloc(rep->n_steps ? (size_t)rep->n_steps : 1, sizeof(*rep->steps));
	if (!rep->file || !rep->outdir || !rep->steps) {
		report_free(rep);
		return NULL;
	}
	for (int i = 0; i < rep->n_steps; i++)
		rep->steps[i].index = i + 1;
	if (o) {
		rep->progress = o->progress;
		rep->quiet = o->quiet;
		rep->verbose = o->verbose;
		if (o->color >= 0)
			rep->color = o->color > 0;
		else
			rep->color = o->progress && isatty(fileno(o->progress)) && !getenv("NO_COLOR");
	}
	return rep;
}

/* is_expectation: the steps that become JUnit test cases (see report.h). */
static bool is_expectation(const struct topo_step *s)
{
	return s->kind == TOPO_STEP_EXPECT || s->kind == TOPO_STEP_PING || s->kind == TOPO_STEP_WAIT ||
	       (s->kind == TOPO_STEP_EXEC && s->u.exec.expect_exit);
}

struct report *report_new(const struct topo *t, uint64_t seed, const char *outdir, bool quiet, bool verbose)
{
	/* Off a terminal (CI logs, pipes) only failures and the result are
	 * printed, unless asked for more with -v; the artifacts hold the rest. */
	if (!verbose && !isatty(fileno(stderr)))
		quiet = true;
	struct report_opts o = {.progress = stderr, .quiet = quiet, .verbose = verbose, .color = -1};
	struct report *rep = report_create(t->name, t->file, seed, t->n_steps, outdir, &o);
	for (int i = 0; rep && i < t->n_steps; i++) {
		const struct topo_step *s = &t->steps[i];
		if (report_step_set(rep, i, s->loc.line, topo_step_name(s->kind), s->text, is_expectation(s)) < 0) {
			report_free(rep);
			rep = NULL;
		}
	}
	return rep;
}

void report_free(struct report *rep)
{
	if (!rep)
		return;
	for (int i = 0; rep->steps && i < rep->n_steps; i++)
		free(rep->steps[i].text);
	free(rep->steps);
	free(rep->file);
	free(rep->outdir);
	free(rep);
}

int report_step_set(struct report *rep, int i, int line, const char *kind, const char *text,
		    bool expectation)
{
	if (!rep || i < 0 || i >= rep->n_steps)
		return -EINVAL;
	struct report_step *s = &rep->steps[i];
	free(s->text);
	s->text = dup_str(text);
	if (!s->text)
		return -ENOMEM;
	s->line = line;
	snprintf(s->kind, sizeof(s->kind), "%s", kind ? kind : "");
	s->expectation = expectation;
	return 0;
}

const char *report_outcome_name(enum step_outcome o)
{
	switch (o) {
	case STEP_OK: return "ok";
	case STEP_FAILED: return "FAIL";
	case STEP_ERROR: return "ERROR";
	case STEP_SKIPPED: return "skip";
	case STEP_PENDING: break;
	}
	return "pending";
}

/* one_line: replaces line breaks and tabs by spaces, in place. */
static void one_line(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r' || *s == '\t')
			*s = ' ';
}

void report_step_end(struct report *rep, int i, enum step_outcome outcome, uint64_t start_ns,
		     uint64_t duration_ns, const char *fmt, ...)
{
	if (!rep || i < 0 || i >= rep->n_steps)
		return;
	struct report_step *s = &rep->steps[i];
	s->outcome = outcome;
	s->start_ns = start_ns;
	s->duration_ns = duration_ns;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(s->reason, sizeof(s->reason), fmt, ap);
		va_end(ap);
	}
	one_line(s->reason);
	one_line(s->detail);
	if (!rep->progress || (rep->quiet && outcome != STEP_FAILED && outcome != STEP_ERROR))
		return;
	char line[REPORT_REASON_MAX + REPORT_DETAIL_MAX + 4096];
	report_format_step(rep, i, rep->color, line, sizeof(line));
	fprintf(rep->progress, "%s\n", line);
	fflush(rep->progress);
}

void report_step_begin(struct report *rep, int i)
{
	if (!rep || i < 0 || i >= rep->n_steps || !rep->progress || !rep->verbose || rep->quiet)
		return;
	const struct report_step *s = &rep->steps[i];
	int w = 1;
	for (int n = rep->n_steps; n >= 10; n /= 10)
		w++;
	fprintf(rep->progress, "  [%*d/%d] ...          %d: %s\n", w, s->index, rep->n_steps, s->line,
		s->text ? s->text : "");
	fflush(rep->progress);
}

void report_print_block(struct report *rep, const char *text)
{
	if (!rep || !rep->progress || rep->quiet || !text)
		return;
	while (*text) {
		size_t n = strcspn(text, "\n");
		fprintf(rep->progress, "        %.*s\n", (int)n, text);
		text += n + (text[n] == '\n');
	}
	fflush(rep->progress);
}

/* digits: decimal digits of n >= 0. */
static int digits(int n)
{
	int d = 1;
	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

void report_format_step(const struct report *rep, int i, bool color, char *buf, size_t len)
{
	if (len)
		buf[0] = '\0';
	if (!rep || i < 0 || i >= rep->n_steps)
		return;
	const struct report_step *s = &rep->steps[i];
	const char *word = report_outcome_name(s->outcome), *c = "";
	if (color)
		c = s->outcome == STEP_OK ? C_GREEN : s->outcome == STEP_SKIPPED ? C_YELLOW : C_RED;
	int w = digits(rep->n_steps);
	int pad = 5 - (int)strlen(word);
	int k = snprintf(buf, len, "  [%*d/%d] %s%s%s%*s %5.3fs  %d: %s", w, s->index, rep->n_steps, c, word,
			 color ? C_RESET : "", pad > 0 ? pad : 0, "", (double)s->duration_ns / 1e9, s->line,
			 s->text ? s->text : "");
	if (k < 0 || (size_t)k >= len)
		return;
	if ((s->outcome == STEP_FAILED || s->outcome == STEP_ERROR) && s->reason[0])
		k += snprintf(buf + k, len - (size_t)k, ": %s", s->reason);
	else if (s->outcome == STEP_SKIPPED && s->reason[0])
		k += snprintf(buf + k, len - (size_t)k, " (%s)", s->reason);
	else if (s->detail[0])
		k += snprintf(buf + k, len - (size_t)k, " (%s)", s->detail);
	(void)k;
}

void report_finish(struct report *rep, int code)
{
	int first_failed = -1, first_error = -1;
	if (!rep)
		return;
	rep->n_ok = rep->n_failed = rep->n_errors = rep->n_skipped = 0;
	rep->n_expect = rep->n_expect_failed = 0;
	for (int i = 0; i < rep->n_steps; i++) {
		const struct report_step *s = &rep->steps[i];
		switch (s->outcome) {
		case STEP_OK: rep->n_ok++; break;
		case STEP_FAILED:
			rep->n_failed++;
			if (first_failed < 0)
				first_failed = i;
			break;
		case STEP_ERROR:
			rep->n_errors++;
			if (first_error < 0)
				first_error = i;
			break;
		case STEP_SKIPPED:
		case STEP_PENDING: rep->n_skipped++; break;
		}
		if (s->expectation) {
			rep->n_expect++;
			if (s->outcome == STEP_FAILED || s->outcome == STEP_ERROR)
				rep->n_expect_failed++;
		}
	}
	rep->first_bad = first_error >= 0 ? first_error : first_failed;
	rep->result = first_error >= 0 ? RUN_ERROR : first_failed >= 0 ? RUN_FAIL : RUN_PASS;
	if (code != 0 && rep->result == RUN_PASS)
		rep->result = RUN_ERROR;
	if (!rep->progress)
		return;
	char line[REPORT_REASON_MAX + 4096];
	report_format_final(rep, rep->color, line, sizeof(line));
	fprintf(rep->progress, "%s\n", line);
	fflush(rep->progress);
}

/* plural: one or many, by n. */
static const char *plural(int n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

void report_format_final(const struct report *rep, bool color, char *buf, size_t len)
{
	const char *on = color ? (rep->result == RUN_PASS ? C_BOLD_GREEN : C_BOLD_RED) : "";
	const char *off = color ? C_RESET : "";
	double secs = (double)rep->duration_ns / 1e9;
	if (rep->result == RUN_PASS) {
		snprintf(buf, len, "%sPASS%s %s: %d %s, %d %s held (%.1fs, seed %llu)", on, off, rep->lab, rep->n_steps,
			 plural(rep->n_steps, "step", "steps"), rep->n_expect,
			 plural(rep->n_expect, "expectation", "expectations"), secs, (unsigned long long)rep->seed);
		return;
	}
	const struct report_step *b = rep->first_bad >= 0 ? &rep->steps[rep->first_bad] : NULL;
	char skipped[64] = "";
	if (rep->n_skipped)
		snprintf(skipped, sizeof(skipped), "; %d %s skipped", rep->n_skipped,
			 plural(rep->n_skipped, "step", "steps"));
	if (rep->result == RUN_ERROR && b) {
		char also[96] = "";
		int failed_held = rep->n_expect_failed - (b->expectation ? 1 : 0);
		if (failed_held > 0)
			snprintf(also, sizeof(also), "; %d of %d %s failed", failed_held, rep->n_expect,
				 plural(rep->n_expect, "expectation", "expectations"));
		snprintf(buf, len, "%sFAIL%s %s: line %d could not be carried out (%s: %s)%s%s (%.1fs, seed %llu)", on, off,
			 rep->lab, b->line, b->text ? b->text : "", b->reason, also, skipped, secs, (unsigned long long)rep->seed);
		return;
	}
	snprintf(buf, len, "%sFAIL%s %s: %d of %d %s failed (line %d: %s: %s)%s (%.1fs, seed %llu)", on, off, rep->lab,
		 rep->n_expect_failed, rep->n_expect, plural(rep->n_expect, "expectation", "expectations"),
		 b ? b->line : 0, b && b->text ? b->text : "", b ? b->reason : "", skipped, secs, (unsigned long long)rep->seed);
}

/* ---- escaping ---- */

/* utf8_seq: the length of the valid UTF-8 sequence at p (1..4), or 0 if
 * the bytes there are not one (overlong forms and surrogates included). */
static int utf8_seq(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	int n;
	uint32_t cp;
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	for (int i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

void report_xml_escape(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p) {
		switch (*p) {
		case '&': fputs("&amp;", f); p++; continue;
		case '<': fputs("&lt;", f); p++; continue;
		case '>': fputs("&gt;", f); p++; continue;
		case '"': fputs("&quot;", f); p++; continue;
		case '\'': fputs("&apos;", f); p++; continue;
		case '\t': case '\n': case '\r': fprintf(f, "&#%d;", *p); p++; continue;
		default: break;
		}
		int n = *p < 0x20 ? 0 : utf8_seq(p);
		if (n == 0) {
			fputs("\xef\xbf\xbd", f); /* U+FFFD: XML 1.0 has no way to carry it */
			p++;
			continue;
		}
		fwrite(p, 1, (size_t)n, f);
		p += n;
	}
}

void report_json_escape(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p) {
		switch (*p) {
		case '"': fputs("\\\"", f); p++; continue;
		case '\\': fputs("\\\\", f); p++; continue;
		case '\n': fputs("\\n", f); p++; continue;
		case '\r': fputs("\\r", f); p++; continue;
		case '\t': fputs("\\t", f); p++; continue;
		default: break;
		}
		if (*p < 0x20) {
			fprintf(f, "\\u%04x", *p);
			p++;
			continue;
		}
		int n = utf8_seq(p);
		if (n == 0) {
			fputs("\\ufffd", f);
			p++;
			continue;
		}
		fwrite(p, 1, (size_t)n, f);
		p += n;
	}
}

/* ---- files ---- */

static const char *result_name(enum run_result r)
{
	return r == RUN_PASS ? "pass" : r == RUN_FAIL ? "fail" : "error";
}

/* outcome_json: an outcome as summary.json spells it. */
static const char *outcome_json(enum step_outcome o)
{
	switch (o) {
	case STEP_OK: return "ok";
	case STEP_FAILED: return "failed";
	case STEP_ERROR: return "error";
	case STEP_SKIPPED: return "skipped";
	case STEP_PENDING: break;
	}
	return "pending";
}

/* json_kv: "key": "escaped value" and, if comma, a separator. */
static void json_kv(FILE *f, const char *key, const char *val, bool comma)
{
	fprintf(f, "\"%s\": \"", key);
	report_json_escape(f, val);
	fprintf(f, "\"%s", comma ? ", " : "");
}

int report_json(const struct report *rep, FILE *f)
{
	char stamp[32];
	time_t t = (time_t)rep->started_unix;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fputs("{\n  ", f);
	json_kv(f, "lab", rep->lab, true);
	json_kv(f, "file", rep->file, true);
	fprintf(f, "\"seed\": %" PRIu64 ",\n  ", rep->seed);
	json_kv(f, "started", stamp, true);
	json_kv(f, "result", result_name(rep->result), true);
	fprintf(f, "\"duration_s\": %.6f,\n", (double)rep->duration_ns / 1e9);
	fprintf(f,
		"  \"totals\": {\"steps\": %d, \"ok\": %d, \"failed\": %d, \"errors\": %d, \"skipped\": %d, "
		"\"expectations\": %d, \"expectations_failed\": %d},\n",
		rep->n_steps, rep->n_ok, rep->n_failed, rep->n_errors, rep->n_skipped, rep->n_expect,
		rep->n_expect_failed);
	if (rep->first_bad >= 0) {
		const struct report_step *b = &rep->steps[rep->first_bad];
		fprintf(f, "  \"first_failure\": {\"index\": %d, \"line\": %d, ", b->index, b->line);
		json_kv(f, "outcome", outcome_json(b->outcome), true);
		json_kv(f, "text", b->text, true);
		json_kv(f, "reason", b->reason, false);
		fputs("},\n", f);
	} else {
		fputs("  \"first_failure\": null,\n", f);
	}
	fputs("  \"steps\": [", f);
	for (int i = 0; i < rep->n_steps; i++) {
		const struct report_step *s = &rep->steps[i];
		fprintf(f, "%s\n    {\"index\": %d, \"line\": %d, ", i ? "," : "", s->index, s->line);
		json_kv(f, "kind", s->kind, true);
		json_kv(f, "text", s->text, true);
		json_kv(f, "outcome", outcome_json(s->outcome), true);
		fprintf(f, "\"expectation\": %s, ", s->expectation ? "true" : "false");
		json_kv(f, "reason", s->reason, true);
		json_kv(f, "detail", s->detail, true);
		fprintf(f, "\"start_s\": %.6f, \"duration_s\": %.6f}", (double)s->start_ns / 1e9,
			(double)s->duration_ns / 1e9);
	}
	fputs(rep->n_steps ? "\n  ]\n}\n" : "]\n}\n", f);
	return ferror(f) ? -EIO : 0;
}

/* junit_case: whether step s is a JUnit test case. */
static bool junit_case(const struct report_step *s)
{
	return s->expectation || s->outcome == STEP_ERROR;
}

int report_junit(const struct report *rep, FILE *f)
{
	int tests = 0, failures = 0, errors = 0, skipped = 0;
	for (int i = 0; i < rep->n_steps; i++) {
		const struct report_step *s = &rep->steps[i];
		if (!junit_case(s))
			continue;
		tests++;
		failures += s->outcome == STEP_FAILED;
		errors += s->outcome == STEP_ERROR;
		skipped += s->outcome == STEP_SKIPPED || s->outcome == STEP_PENDING;
	}
	char stamp[32];
	time_t t = (time_t)rep->started_unix;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"", f);
	report_xml_escape(f, rep->lab);
	fprintf(f, "\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\" timestamp=\"%s\">\n",
		tests, failures, errors, skipped, (double)rep->duration_ns / 1e9, stamp);
	fprintf(f, "  <properties>\n    <property name=\"seed\" value=\"%" PRIu64 "\"/>\n"
		   "    <property name=\"file\" value=\"", rep->seed);
	report_xml_escape(f, rep->file);
	fputs("\"/>\n  </properties>\n", f);
	for (int i = 0; i < rep->n_steps; i++) {
		const struct report_step *s = &rep->steps[i];
		if (!junit_case(s))
			continue;
		char name[32];
		snprintf(name, sizeof(name), "%d: ", s->line);
		fputs("  <testcase name=\"", f);
		report_xml_escape(f, name);
		report_xml_escape(f, s->text);
		fputs("\" classname=\"", f);
		report_xml_escape(f, rep->lab);
		fputs("\" file=\"", f);
		report_xml_escape(f, rep->file);
		fprintf(f, "\" line=\"%d\" time=\"%.3f\"", s->line, (double)s->duration_ns / 1e9);
		if (s->outcome == STEP_OK) {
			fputs("/>\n", f);
			continue;
		}
		fputs(">\n", f);
		if (s->outcome == STEP_FAILED || s->outcome == STEP_ERROR) {
			const char *el = s->outcome == STEP_FAILED ? "failure" : "error";
			fprintf(f, "    <%s message=\"line %d: ", el, s->line);
			report_xml_escape(f, s->text);
			fputs(": ", f);
			report_xml_escape(f, s->reason);
			fputs("\" type=\"", f);
			report_xml_escape(f, s->kind);
			fprintf(f, "\">step %d of %d, line %d: %s\n", s->index, rep->n_steps, s->line,
				s->outcome == STEP_FAILED ? "the expectation did not hold" : "could not be carried out");
			report_xml_escape(f, s->text);
			fputs("\n", f);
			report_xml_escape(f, s->reason);
			if (s->detail[0]) {
				fputs("\n", f);
				report_xml_escape(f, s->detail);
			}
			fprintf(f, "</%s>\n", el);
		} else {
			fputs("    <skipped message=\"", f);
			report_xml_escape(f, s->reason[0] ? s->reason : "not run");
			fputs("\"/>\n", f);
		}
		fputs("  </testcase>\n", f);
	}
	fputs("</testsuite>\n", f);
	return ferror(f) ? -EIO : 0;
}

/* write_one: one report file via fn; 0 or -errno with err set. */
static int write_one(const struct report *rep, const char *name,
		     int (*fn)(const struct report *, FILE *), char *err, size_t errlen)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", rep->outdir, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		int e = errno;
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(e));
		return -e;
	}
	int rc = fn(rep, f);
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc < 0)
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
	return rc;
}

int report_write(const struct report *rep, char *err, size_t errlen)
{
	if (!rep) {
		snprintf(err, errlen, "no report (out of memory)");
		return -ENOMEM;
	}
	if (mkdir(rep->outdir, 0755) < 0 && errno != EEXIST) {
		int e = errno;
		snprintf(err, errlen, "cannot create %s: %s", rep->outdir, strerror(e));
		return -e;
	}
	int rc = write_one(rep, "summary.json", report_json, err, errlen);
	if (rc == 0)
		rc = write_one(rep, "junit.xml", report_junit, err, errlen);
	return rc;
}
