/* test_fabric_report.c: the run report: progress lines, the final line,
 * summary.json (strict JSON) and junit.xml (well-formed, escaped) for a
 * fabricated run; which steps of a parsed topology are expectations; ping
 * output parsing and verdicts; digests of files and of job output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json_check.h"
#include "nb.h"
#include "report.h"
#include "script.h"
#include "script_int.h"
#include "topo.h"

#define MS(x) ((uint64_t)(x) * 1000000u)

/* mem: a FILE writing to a growing buffer. */
struct mem {
	char *buf;
	size_t len;
	FILE *f;
};

static void mem_open(struct mem *m)
{
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
	assert_non_null(m->f);
}

static char *mem_close(struct mem *m)
{
	fclose(m->f);
	return m->buf;
}

/* xml_well_formed: a small checker: tags nest and close, attribute values
 * are quoted and hold no '<', every '&' starts a known entity or a numeric
 * character reference. Enough to catch escaping mistakes. */
static bool xml_well_formed(const char *s)
{
	char stack[32][64];
	int depth = 0;
	const char *p = s;
	if (!strncmp(p, "<?xml", 5)) {
		p = strstr(p, "?>");
		if (!p)
			return false;
		p += 2;
	}
	while (*p) {
		if (*p == '&') {
			static const char *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
			bool ok = false;
			for (size_t i = 0; i < 5; i++)
				ok = ok || !strncmp(p, ents[i], strlen(ents[i]));
			if (!ok && p[1] == '#') {
				const char *q = p + 2;
				while (*q >= '0' && *q <= '9')
					q++;
				ok = q > p + 2 && *q == ';';
			}
			if (!ok)
				return false;
			p++;
			continue;
		}
		if (*p == '>')
			return false; /* stray '>' outside a tag: we always escape it */
		if (*p != '<') {
			p++;
			continue;
		}
		bool closing = p[1] == '/';
		p += closing ? 2 : 1;
		char name[64];
		int n = 0;
		while (*p && *p != ' ' && *p != '>' && *p != '/' && n < 63)
			name[n++] = *p++;
		name[n] = '\0';
		if (!n)
			return false;
		bool self = false;
		while (*p && *p != '>') {
			if (*p == '"') {
				for (p++; *p && *p != '"'; p++)
					if (*p == '<')
						return false;
				if (!*p)
					return false;
			} else if (*p == '/' && p[1] == '>') {
				self = true;
			} else if (*p == '<') {
				return false;
			}
			p++;
		}
		if (!*p)
			return false;
		p++;
		if (closing) {
			if (!depth || strcmp(stack[depth - 1], name))
				return false;
			depth--;
		} else if (!self) {
			if (depth == 32)
				return false;
			snprintf(stack[depth++], sizeof(stack[0]), "%s", name);
		}
	}
	return depth == 0;
}

/* fabricated: a run of five steps: ok, ok wait, failed expect (with
 * characters that need escaping), an error, a skipped ping. */
static struct report *fabricated(void)
{
	struct report *rep = report_create("story", "st<o>ry&'.topo", 42, 5, "/nonexistent", NULL);
	assert_non_null(rep);
	assert_int_equal(report_step_set(rep, 0, 10, "listen", "server: listen tcp 80 as web app sink", false), 0);
	assert_int_equal(report_step_set(rep, 1, 12, "wait", "wait c established within 2s", true), 0);
	assert_int_equal(report_step_set(rep, 2, 17, "expect", "expect web digest == c digest # <&\"'>", true), 0);
	assert_int_equal(report_step_set(rep, 3, 18, "connect", "client: connect 10.0.0.2:80", false), 0);
	assert_int_equal(report_step_set(rep, 4, 19, "ping", "alpha: ping 10.0.0.2", true), 0);
	report_step_end(rep, 0, STEP_OK, 0, MS(1), NULL);
	snprintf(rep->steps[1].detail, sizeof(rep->steps[1].detail), "after 0.200s");
	report_step_end(rep, 1, STEP_OK, MS(1), MS(200), NULL);
	report_step_end(rep, 2, STEP_FAILED, MS(201), MS(3), "digests differ: \"a\" < 'b' & c\nsecond line");
	report_step_end(rep, 3, STEP_ERROR, MS(204), MS(5000), "host client: its node is not running");
	report_step_end(rep, 4, STEP_SKIPPED, MS(5204), 0, "not run: line %d could not be carried out", 18);
	rep->duration_ns = MS(5204);
	report_finish(rep, 1);
	return rep;
}

static void test_totals(void **state)
{
	(void)state;
	struct report *rep = fabricated();
	assert_int_equal(rep->result, RUN_ERROR);
	assert_int_equal(rep->n_ok, 2);
	assert_int_equal(rep->n_failed, 1);
	assert_int_equal(rep->n_errors, 1);
	assert_int_equal(rep->n_skipped, 1);
	assert_int_equal(rep->n_expect, 3);
	assert_int_equal(rep->n_expect_failed, 1);
	assert_int_equal(rep->first_bad, 3); /* the error wins over the earlier failure */
	/* reasons are one line */
	assert_null(strchr(rep->steps[2].reason, '\n'));
	report_free(rep);
}

static void test_junit(void **state)
{
	(void)state;
	struct report *rep = fabricated();
	struct mem m;
	mem_open(&m);
	assert_int_equal(report_junit(rep, m.f), 0);
	char *x = mem_close(&m);
	assert_true(xml_well_formed(x));
	/* one suite; test cases: 3 expectations and the step that errored */
	assert_non_null(strstr(x, "<testsuite name=\"story\" tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\""));
	assert_null(strstr(x, "<testsuites"));
	assert_non_null(strstr(x, "<testcase name=\"12: wait c established within 2s\" classname=\"story\""));
	assert_non_null(strstr(x, "name=\"17: expect web digest == c digest # &lt;&amp;&quot;&apos;&gt;\""));
	assert_non_null(strstr(x, "<failure message=\"line 17: expect web digest == c digest # &lt;&amp;&quot;&apos;&gt;: "
				  "digests differ: &quot;a&quot; &lt; &apos;b&apos; &amp; c second line\" type=\"expect\">"));
	assert_non_null(strstr(x, "<error message=\"line 18: client: connect 10.0.0.2:80: host client: its node is not "
				  "running\" type=\"connect\">"));
	assert_non_null(strstr(x, "<skipped message=\"not run: line 18 could not be carried out\"/>"));
	assert_non_null(strstr(x, "value=\"st&lt;o&gt;ry&amp;&apos;.topo\""));
	assert_non_null(strstr(x, "time=\"0.200\""));
	assert_non_null(strstr(x, "time=\"5.204\""));
	/* the ok listen step is not a test case */
	assert_null(strstr(x, "listen tcp 80"));
	if (access("/usr/bin/xmllint", X_OK) == 0) {
		char path[] = "/tmp/nb_junit_XXXXXX";
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, x, strlen(x)), (ssize_t)strlen(x));
		close(fd);
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "/usr/bin/xmllint --noout %s 2>/dev/null", path);
		assert_int_equal(system(cmd), 0);
		unlink(path);
	}
	free(x);
	report_free(rep);
}

static void test_json(void **state)
{
	(void)state;
	struct report *rep = fabricated();
	struct mem m;
	mem_open(&m);
	assert_int_equal(report_json(rep, m.f), 0);
	char *j = mem_close(&m);
	assert_true(json_valid(j, strlen(j)));
	assert_non_null(strstr(j, "\"lab\": \"story\""));
	assert_non_null(strstr(j, "\"seed\": 42"));
	assert_non_null(strstr(j, "\"result\": \"error\""));
	assert_non_null(strstr(j, "\"file\": \"st<o>ry&'.topo\""));
	assert_non_null(strstr(j, "\"reason\": \"digests differ: \\\"a\\\" < 'b' & c second line\""));
	assert_non_null(strstr(j, "\"totals\": {\"steps\": 5, \"ok\": 2, \"failed\": 1, \"errors\": 1, \"skipped\": 1, "
				  "\"expectations\": 3, \"expectations_failed\": 1}"));
	assert_non_null(strstr(j, "\"first_failure\": {\"index\": 4, \"line\": 18, \"outcome\": \"error\""));
	assert_non_null(strstr(j, "\"detail\": \"after 0.200s\", \"start_s\": 0.001000, \"duration_s\": 0.200000}"));
	free(j);
	report_free(rep);
}

static void test_escape(void **state)
{
	(void)state;
	struct mem m;
	mem_open(&m);
	/* control character, invalid UTF-8 byte, valid UTF-8 (é) */
	report_xml_escape(m.f, "a\x01<b>\xff\xc3\xa9\t");
	char *x = mem_close(&m);
	assert_string_equal(x, "a\xef\xbf\xbd&lt;b&gt;\xef\xbf\xbd\xc3\xa9&#9;");
	free(x);
	mem_open(&m);
	report_json_escape(m.f, "q\"\\\n\x01\xff\xc3\xa9");
	x = mem_close(&m);
	assert_string_equal(x, "q\\\"\\\\\\n\\u0001\\ufffd\xc3\xa9");
	free(x);
	/* overlong encoding and a surrogate are not valid UTF-8 */
	mem_open(&m);
	report_json_escape(m.f, "\xc0\xaf\xed\xa0\x80");
	x = mem_close(&m);
	assert_string_equal(x, "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd");
	free(x);
}

static void test_step_lines(void **state)
{
	(void)state;
	char line[1024];
	struct report *rep = report_create("story", "story.topo", 1, 12, NULL, NULL);
	assert_non_null(rep);
	report_step_set(rep, 2, 12, "ping", "alpha: ping 10.0.0.2 count 3", true);
	snprintf(rep->steps[2].detail, sizeof(rep->steps[2].detail), "3/3 replies, rtt 0.21/0.25/0.31 ms");
	report_step_end(rep, 2, STEP_OK, 0, MS(213), NULL);
	report_format_step(rep, 2, false, line, sizeof(line));
	assert_string_equal(line, "  [ 3/12] ok    0.213s  12: alpha: ping 10.0.0.2 count 3 (3/3 replies, rtt 0.21/0.25/0.31 ms)");
	report_format_step(rep, 2, true, line, sizeof(line));
	assert_string_equal(line, "  [ 3/12] \033[32mok\033[0m    0.213s  12: alpha: ping 10.0.0.2 count 3 (3/3 replies, rtt "
				  "0.21/0.25/0.31 ms)");
	report_step_set(rep, 10, 40, "wait", "wait c established within 2s", true);
	report_step_end(rep, 10, STEP_FAILED, 0, MS(2001), "c is still SYN_SENT after 2s, not ESTABLISHED");
	report_format_step(rep, 10, false, line, sizeof(line));
	assert_string_equal(line, "  [11/12] FAIL  2.001s  40: wait c established within 2s: c is still SYN_SENT after 2s, "
				  "not ESTABLISHED");
	report_step_set(rep, 11, 41, "dump", "dump sockets", false);
	report_step_end(rep, 11, STEP_ERROR, 0, MS(12345), "no answer");
	report_format_step(rep, 11, false, line, sizeof(line));
	assert_string_equal(line, "  [12/12] ERROR 12.345s  41: dump sockets: no answer");
	report_step_set(rep, 0, 5, "send", "client: send c 1MiB", false);
	report_step_end(rep, 0, STEP_SKIPPED, 0, 0, "not run: line 40 failed");
	report_format_step(rep, 0, false, line, sizeof(line));
	assert_string_equal(line, "  [ 1/12] skip  0.000s  5: client: send c 1MiB (not run: line 40 failed)");
	assert_string_equal(report_outcome_name(STEP_ERROR), "ERROR");
	report_free(rep);
}

static void test_final_lines(void **state)
{
	(void)state;
	char line[1024];
	struct report *rep = report_create("story", "story.topo", 1, 12, NULL, NULL);
	for (int i = 0; i < 12; i++) {
		report_step_set(rep, i, 10 + i, i < 5 ? "expect" : "send", i == 7 ? "expect web digest == c digest" : "x",
				i < 5 || i == 7);
		report_step_end(rep, i, STEP_OK, 0, MS(1), NULL);
	}
	rep->duration_ns = MS(3200);
	report_finish(rep, 0);
	assert_int_equal(rep->result, RUN_PASS);
	report_format_final(rep, false, line, sizeof(line));
	assert_string_equal(line, "PASS story: 12 steps, 6 expectations held (3.2s, seed 1)");
	report_format_final(rep, true, line, sizeof(line));
	assert_string_equal(line, "\033[1;32mPASS\033[0m story: 12 steps, 6 expectations held (3.2s, seed 1)");

	report_step_end(rep, 7, STEP_FAILED, 0, MS(1), "web digest 3f2a... != c digest 9b1c...");
	report_finish(rep, 1);
	assert_int_equal(rep->result, RUN_FAIL);
	report_format_final(rep, false, line, sizeof(line));
	assert_string_equal(line, "FAIL story: 1 of 6 expectations failed (line 17: expect web digest == c digest: web "
				  "digest 3f2a... != c digest 9b1c...) (3.2s, seed 1)");

	report_step_end(rep, 8, STEP_ERROR, 0, MS(1), "host client: its node is not running");
	report_step_end(rep, 9, STEP_SKIPPED, 0, 0, "not run");
	report_finish(rep, 1);
	assert_int_equal(rep->result, RUN_ERROR);
	report_format_final(rep, false, line, sizeof(line));
	assert_string_equal(line, "FAIL story: line 18 could not be carried out (x: host client: its node is not "
				  "running); 1 of 6 expectations failed; 1 step skipped (3.2s, seed 1)");

	/* a non-zero code with every step fine (interrupted) is not a pass */
	struct report *r2 = report_create("s", "s.topo", 1, 0, NULL, NULL);
	report_finish(r2, 1);
	assert_int_equal(r2->result, RUN_ERROR);
	report_free(r2);
	report_free(rep);
}

static void test_progress_quiet(void **state)
{
	(void)state;
	struct mem m;
	mem_open(&m);
	struct report_opts o = {.progress = m.f, .quiet = true, .color = 0};
	struct report *rep = report_create("q", "q.topo", 1, 3, NULL, &o);
	report_step_set(rep, 0, 1, "send", "a: send c 1", false);
	report_step_set(rep, 1, 2, "expect", "expect c sent == 1", true);
	report_step_set(rep, 2, 3, "dump", "dump sockets", false);
	report_step_end(rep, 0, STEP_OK, 0, 0, NULL);
	report_step_end(rep, 1, STEP_FAILED, 0, 0, "c had 0 bytes acknowledged");
	report_step_end(rep, 2, STEP_OK, 0, 0, NULL);
	rep->duration_ns = MS(100);
	report_finish(rep, 1);
	char *out = mem_close(&m);
	assert_string_equal(out, "  [2/3] FAIL  0.000s  2: expect c sent == 1: c had 0 bytes acknowledged\n"
				 "FAIL q: 1 of 1 expectation failed (line 2: expect c sent == 1: c had 0 bytes acknowledged) (0.1s, seed 1)\n");
	free(out);
	report_free(rep);
}

static void test_write_files(void **state)
{
	(void)state;
	char dir[] = "/tmp/nb_report_XXXXXX", err[256], path[256];
	assert_non_null(mkdtemp(dir));
	char sub[300];
	snprintf(sub, sizeof(sub), "%s/out", dir);
	struct report *rep = report_create("w", "w.topo", 7, 0, sub, NULL);
	report_finish(rep, 0);
	assert_int_equal(report_write(rep, err, sizeof(err)), 0);
	struct stat st;
	snprintf(path, sizeof(path), "%s/summary.json", sub);
	assert_int_equal(stat(path, &st), 0);
	unlink(path);
	snprintf(path, sizeof(path), "%s/junit.xml", sub);
	assert_int_equal(stat(path, &st), 0);
	unlink(path);
	rmdir(sub);
	rmdir(dir);
	report_free(rep);
	/* a directory that cannot be made: an error with a reason */
	rep = report_create("w", "w.topo", 7, 0, "/proc/nope/out", NULL);
	assert_true(report_write(rep, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "/proc/nope/out"));
	report_free(rep);
	report_free(NULL);
	report_finish(NULL, 0);
}

static void test_report_new_expectations(void **state)
{
	(void)state;
	static const char text[] =
		"lab t\n"
		"host a\n  eth0 10.0.0.1/24\n"
		"host b\n  eth0 10.0.0.2/24\n"
		"host k kernel\n  eth0 10.0.0.3/24\n"
		"switch lan\nlink a:eth0 lan\nlink b:eth0 lan\nlink k:eth0 lan\n"
		"b: listen tcp 80 as web\n"
		"a: connect 10.0.0.2:80 as c\n"
		"wait c established within 2s\n"
		"a: ping 10.0.0.2\n"
		"k: exec true\n"
		"k: exec true expect exit 0\n"
		"expect c state established\n"
		"dump sockets\n";
	struct topo *t = NULL;
	FILE *diag = fopen("/dev/null", "w");
	int errors = topo_parse_string("t.topo", text, sizeof(text) - 1, &t, diag);
	fclose(diag);
	assert_int_equal(errors, 0);
	struct report *rep = report_new(t, 5, "/tmp", true, false);
	assert_non_null(rep);
	assert_int_equal(rep->n_steps, 8);
	bool want[8] = {false, false, true, true, false, true, true, false};
	for (int i = 0; i < 8; i++)
		assert_int_equal(rep->steps[i].expectation, want[i]);
	assert_string_equal(rep->steps[0].kind, "listen");
	assert_string_equal(rep->steps[0].text, "b: listen tcp 80 as web");
	assert_int_equal(rep->steps[2].line, t->steps[2].loc.line);
	assert_string_equal(rep->lab, "t");
	report_free(rep);
	topo_free(t);
}

static void test_ping_parse(void **state)
{
	(void)state;
	struct script_ping_stats ps;
	char detail[256], reason[512];
	static const char iputils[] =
		"PING 10.0.0.1 (10.0.0.1) 56(84) bytes of data.\n"
		"64 bytes from 10.0.0.1: icmp_seq=1 ttl=64 time=0.210 ms\n\n"
		"--- 10.0.0.1 ping statistics ---\n"
		"3 packets transmitted, 3 received, 0% packet loss, time 402ms\n"
		"rtt min/avg/max/mdev = 0.210/0.250/0.310/0.041 ms\n";
	assert_int_equal(script_ping_parse(iputils, &ps), 0);
	assert_int_equal(ps.sent, 3);
	assert_int_equal(ps.received, 3);
	assert_int_equal(ps.errors, 0);
	assert_true(ps.rtt_avg_ms > 0.249 && ps.rtt_avg_ms < 0.251);
	assert_true(script_ping_verdict(&ps, 3, true, detail, sizeof(detail), reason, sizeof(reason)));
	assert_string_equal(detail, "3/3 replies, rtt 0.21/0.25/0.31 ms");
	assert_false(script_ping_verdict(&ps, 3, false, detail, sizeof(detail), reason, sizeof(reason)));
	assert_string_equal(reason, "3/3 replies, rtt 0.21/0.25/0.31 ms, expected none");

	static const char unreachable[] =
		"PING 10.0.0.99 (10.0.0.99) 56(84) bytes of data.\n"
		"From 10.0.0.3 icmp_seq=1 Destination Host Unreachable\n\n"
		"--- 10.0.0.99 ping statistics ---\n"
		"2 packets transmitted, 0 received, +2 errors, 100% packet loss, time 1001ms\n";
	assert_int_equal(script_ping_parse(unreachable, &ps), 0);
	assert_int_equal(ps.sent, 2);
	assert_int_equal(ps.received, 0);
	assert_int_equal(ps.errors, 2);
	assert_true(script_ping_verdict(&ps, 2, false, detail, sizeof(detail), reason, sizeof(reason)));
	assert_string_equal(detail, "0/2 replies, 2 errors");
	assert_false(script_ping_verdict(&ps, 2, true, detail, sizeof(detail), reason, sizeof(reason)));
	assert_string_equal(reason, "0/2 replies, 2 errors, expected 2");

	static const char partial[] = "5 packets transmitted, 4 received, 20% packet loss, time 4005ms\n"
				      "rtt min/avg/max/mdev = 1.000/2.000/3.000/0.500 ms\n";
	assert_int_equal(script_ping_parse(partial, &ps), 0);
	assert_false(script_ping_verdict(&ps, 5, true, detail, sizeof(detail), reason, sizeof(reason)));
	assert_string_equal(reason, "4/5 replies, rtt 1.00/2.00/3.00 ms, expected 5");
	assert_false(script_ping_verdict(&ps, 5, false, detail, sizeof(detail), reason, sizeof(reason)));

	static const char busybox[] = "--- 10.0.0.1 ping statistics ---\n"
				      "2 packets transmitted, 2 packets received, 0% packet loss\n"
				      "round-trip min/avg/max = 0.1/0.2/0.3 ms\n";
	assert_int_equal(script_ping_parse(busybox, &ps), 0);
	assert_int_equal(ps.received, 2);
	assert_true(ps.rtt_max_ms > 0.29);

	assert_int_equal(script_ping_parse("ping: connect: Network is unreachable\n", &ps), -1);

	/* the node's error= travels in the detail */
	memset(&ps, 0, sizeof(ps));
	ps.sent = 3;
	ps.errors = 3;
	snprintf(ps.error, sizeof(ps.error), "no route");
	assert_true(script_ping_verdict(&ps, 3, false, detail, sizeof(detail), reason, sizeof(reason)));
	assert_string_equal(detail, "0/3 replies, 3 errors: no route");
}

/* write_file: dir/name with text. */
static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_hash_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_fabric_report_XXXXXX", path[600], hex[65];
	uint64_t n = 1;
	assert_non_null(mkdtemp(dir));
	write_file(dir, "abc", "abc");
	write_file(dir, "empty", "");
	snprintf(path, sizeof(path), "%s/abc", dir);
	assert_int_equal(script_hash_file(path, hex, &n), 0);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(n, 3);
	snprintf(path, sizeof(path), "%s/empty", dir);
	assert_int_equal(script_hash_file(path, hex, &n), 0);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(n, 0);
	snprintf(path, sizeof(path), "%s/none", dir);
	assert_int_equal(script_hash_file(path, hex, &n), -ENOENT);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

/* Digest expectations on files and job output need no node: run them on a
 * lab that is only an output directory. */
static void test_expect_digest_files(void **state)
{
	(void)state;
	static const char text[] =
		"lab x\nhost k kernel\n  eth0 10.0.0.1/24\nhost m kernel\n  eth0 10.0.0.2/24\nlink k:eth0 m:eth0\n"
		"k: exec echo as j foreground\n"                   /* step 0 */
		"expect j output == file a.txt\n"                  /* 1: equal */
		"expect j output digest != file k/b.txt\n"         /* 2: differ, as expected */
		"expect file a.txt == file k/b.txt\n"              /* 3: differ */
		"expect file a.txt != file a.txt\n"                /* 4: the same */
		"expect file missing.bin == j output\n"            /* 5: no such file */
		"k: exec sleep 9 as bg\n"                          /* 6 */
		"expect bg output == file a.txt\n";                /* 7: still running */
	char dir[] = "/tmp/test_fabric_report_XXXXXX", cmd[600];
	struct topo *t;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(topo_parse_string("t.topo", text, strlen(text), &t, NULL), 0);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/k'", dir);
	assert_int_equal(system(cmd), 0);
	write_file(dir, "a.txt", "hello\n");
	write_file(dir, "k/b.txt", "other\n");
	write_file(dir, "k/j.out", "hello\n");
	struct lab lab;
	memset(&lab, 0, sizeof(lab));
	snprintf(lab.outdir, sizeof(lab.outdir), "%s", dir);
	struct script_job jobs[2];
	memset(jobs, 0, sizeof(jobs));
	jobs[0].obj = topo_obj_find(t, "j");
	jobs[0].pid = -1;
	jobs[0].exited = true;
	snprintf(jobs[0].out, sizeof(jobs[0].out), "%s/k/j.out", dir);
	jobs[1] = jobs[0];
	jobs[1].obj = topo_obj_find(t, "bg");
	jobs[1].exited = false;
	jobs[1].pid = fork();                        /* running until we end it */
	assert_true(jobs[1].pid >= 0);
	if (jobs[1].pid == 0) {
		pause();
		_exit(0);
	}
	struct script_ctx cx = {.lab = &lab, .t = t, .jobs = jobs, .n_jobs = 2};
	static const struct {
		int step;
		enum step_outcome outcome;
		const char *text;                    /* detail when OK, else reason */
	} want[] = {
		{1, STEP_OK, "5891b5b522d5..., 6 and 6 bytes"},
		{2, STEP_OK, "5891b5b522d5..., 6 and 6 bytes"},
		{3, STEP_FAILED, "file a.txt 5891b5b522d5... (6 bytes) != file k/b.txt 7e4fa2eb8c7a... (6 bytes)"},
		{4, STEP_FAILED, "both are 5891b5b522d5... (6 bytes)"},
		{7, STEP_FAILED, "bg is still running, so its output is not complete (add 'wait bg exited within T' first)"},
	};
	for (size_t i = 0; i < NB_ARRAY_LEN(want); i++) {
		struct step_res res = {.outcome = STEP_OK};
		cx.step = want[i].step;
		script_expect_digest(&cx, &t->steps[want[i].step], &res);
		const char *got = res.outcome == STEP_OK ? res.detail : res.reason;
		if (res.outcome != want[i].outcome || strcmp(got, want[i].text)) {
			print_error("step %d: outcome %d, '%s'\n   want %d, '%s'\n", want[i].step, res.outcome, got,
				    want[i].outcome, want[i].text);
			fail();
		}
	}
	struct step_res res = {.outcome = STEP_OK};
	char reason[700];
	script_expect_digest(&cx, &t->steps[5], &res);
	snprintf(reason, sizeof(reason), "cannot read file %s/missing.bin: No such file or directory", dir);
	assert_int_equal(res.outcome, STEP_FAILED);
	assert_string_equal(res.reason, reason);
	kill(jobs[1].pid, SIGKILL);
	waitpid(jobs[1].pid, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	topo_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_totals),
		cmocka_unit_test(test_junit),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_step_lines),
		cmocka_unit_test(test_final_lines),
		cmocka_unit_test(test_progress_quiet),
		cmocka_unit_test(test_write_files),
		cmocka_unit_test(test_report_new_expectations),
		cmocka_unit_test(test_ping_parse),
		cmocka_unit_test(test_hash_file),
		cmocka_unit_test(test_expect_digest_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
