/* test_fabric_topo_step.c: steps parsed one at a time against a lab that
 * parsed (topo_parse_step, for `nestbed do`): numbering after the file,
 * names defined by one step and used by the next, the messages for what a
 * live step cannot be, a failed step leaving the lab as it was, and
 * topo_drop_script. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topo.h"

static const char lab[] =
	"lab x\n"
	"host a\n"
	"  eth0 10.0.0.1/24\n"
	"host b\n"
	"  eth0 10.0.0.2/24\n"
	"host k kernel\n"
	"  eth0 10.0.0.3/24\n"
	"switch lan\n"
	"link a:eth0 lan\n"
	"link b:eth0 lan\n"
	"link k:eth0 lan\n";               /* 11 lines */

static struct topo *T;

static int setup(void **state)
{
	(void)state;
	return topo_parse_string("t.topo", lab, strlen(lab), &T, NULL);
}

static int teardown(void **state)
{
	(void)state;
	topo_free(T);
	T = NULL;
	return 0;
}

/* step: parses text as a live step; its diagnostics in a static buffer. */
static const char *step(const char *text, int *errors)
{
	static char out[2048];
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	assert_non_null(f);
	*errors = topo_parse_step(T, "live", text, strlen(text), f);
	fclose(f);
	snprintf(out, sizeof(out), "%s", buf ? buf : "");
	free(buf);
	return out;
}

#define assert_step_ok(text) do { int e_; const char *d_ = step(text, &e_); \
	if (e_) fail_msg("'%s': %s", text, d_); } while (0)

static void test_numbering_and_names(void **state)
{
	(void)state;
	int e;
	assert_int_equal(T->n_lines, 11);
	assert_int_equal(T->n_steps, 0);
	assert_step_ok("b: listen tcp 80 backlog 2 as web app none\n");
	assert_step_ok("a: connect b:80 as c");
	assert_step_ok("wait web accept-queue 1 within 2s");
	assert_step_ok("b: accept web as s");
	assert_step_ok("expect s digest received == c digest");
	assert_step_ok("link a:eth0 lan set loss 5%");
	assert_step_ok("partition a | b");
	assert_step_ok("k: exec sleep 1 as j");
	assert_int_equal(T->n_steps, 8);
	assert_int_equal(T->n_lines, 19);
	const struct topo_step *s = T->steps;
	assert_int_equal(s[0].loc.line, 12);
	assert_string_equal(s[0].text, "b: listen tcp 80 backlog 2 as web app none");
	assert_int_equal(s[1].kind, TOPO_STEP_CONNECT);
	assert_int_equal(s[1].loc.line, 13);
	assert_int_equal(s[3].kind, TOPO_STEP_ACCEPT);
	assert_int_equal(s[3].u.accept.listener, topo_obj_find(T, "web"));
	assert_int_equal(s[4].u.expect.obj, topo_obj_find(T, "s"));
	assert_int_equal(s[4].u.expect.obj2, topo_obj_find(T, "c"));
	assert_int_equal(s[5].kind, TOPO_STEP_LINK_SET);
	assert_string_equal(s[5].u.link_set.text, "loss 5%");
	assert_int_equal(s[6].u.partition.n_groups, 2);
	assert_int_equal(T->objs[topo_obj_find(T, "j")].kind, TOPO_OBJ_JOB);
	assert_int_equal(T->objs[topo_obj_find(T, "s")].step, 3);
	/* a name is defined once, live or not */
	assert_string_equal(step("a: connect b:80 as c", &e),
			    "live:20:20: error: 'c' is already defined\n"
			    "   20 | a: connect b:80 as c\n"
			    "      |                    ^\n"
			    "live:13:1: note: as a connection here\n");
	assert_int_equal(e, 1);
}

static const struct {
	const char *text, *diag;
} bad[] = {
	{"a: conect b:80", "live:12:4: error: unknown action 'conect'; did you mean 'connect'?"},
	{"host c", "live:12:1: error: 'host' is a declaration: the lab is up, so it takes script steps only"},
	{"link a:eth0 lan loss 5%", "live:12:1: error: 'link' is a declaration: the lab is up, so it takes script "
				    "steps only"},
	{"  kill b", "live:12:3: error: a step is not indented"},
	{"", "live:12:1: error: no step given: write one such as 'kill b' or 'a: ping 10.0.0.2'"},
	{"   # only a comment", "live:12:1: error: no step given: write one such as 'kill b' or 'a: ping 10.0.0.2'"},
	{"kill b\nheal\n", "live:12:1: error: a step is one line; give steps one at a time"},
	{"expect c state established", "live:12:8: error: unknown name 'c'"},
	{"kill k", "live:12:6: error: 'kill' needs a custom host; 'k' is a kernel host (Linux's own stack)"},
	{"wait c established", "live:12:19: error: 'wait' needs a bound: add 'within TIME', e.g. 'within 2s'"},
	{"b: accept web", "live:12:11: error: unknown listener 'web'"},
	{"a: ping b\x01", "live:12:10: error: unexpected control character 0x01"},
};

static void test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int e;
		const char *d = step(bad[i].text, &e);
		char first[512];
		snprintf(first, sizeof(first), "%.*s", (int)strcspn(d, "\n"), d);
		if (strcmp(first, bad[i].diag)) {
			print_error("case %zu:\n  want: %s\n  got:  %s\n", i, bad[i].diag, first);
			fail();
		}
		assert_int_equal(e, 1);
		/* nothing was added; the numbering moves on (reset, so every case is line 12) */
		assert_int_equal(T->n_steps, 0);
		assert_int_equal(T->n_objs, 0);
		assert_int_equal(T->n_lines, 12);
		T->n_lines = 11;
	}
}

/* A step that fails forgets the names it defined: they stay free. */
static void test_failed_step_defines_nothing(void **state)
{
	(void)state;
	int e;
	step("a: connect b:80 as c bogus", &e);
	assert_int_equal(e, 1);
	assert_int_equal(topo_obj_find(T, "c"), -1);
	assert_step_ok("a: connect b:80 as c");
	assert_int_equal(T->n_objs, 1);
	assert_string_equal(step("expect cc state established", &e),
			    "live:14:8: error: unknown name 'cc'; did you mean 'c'?\n"
			    "   14 | expect cc state established\n"
			    "      |        ^~\n");
}

/* topo_drop_script: a file's steps and names are forgotten; the lab stays. */
static void test_drop_script(void **state)
{
	(void)state;
	static const char text[] = "lab y\nhost a\n  eth0 10.0.0.1/24\nhost b\n  eth0 10.0.0.2/24\n"
				   "link a:eth0 b:eth0\nb: listen tcp 80 as web\na: connect b:80 as c\n"
				   "wait c established within 1s\n";
	struct topo *t;
	assert_int_equal(topo_parse_string("y.topo", text, strlen(text), &t, NULL), 0);
	assert_int_equal(t->n_steps, 3);
	assert_int_equal(t->n_objs, 2);
	assert_int_equal(t->n_lines, 9);
	topo_drop_script(t);
	assert_int_equal(t->n_steps, 0);
	assert_int_equal(t->n_objs, 0);
	assert_int_equal(t->n_hosts, 2);
	assert_int_equal(t->n_links, 1);
	assert_int_equal(topo_parse_step(t, "live", "a: connect b:80 as web", 22, NULL), 0);
	assert_int_equal(t->steps[0].loc.line, 10);
	assert_int_equal(t->objs[0].kind, TOPO_OBJ_CONN);
	assert_int_equal(topo_parse_step(t, "live", "expect c state established", 26, NULL), 1);
	topo_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_numbering_and_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_step_defines_nothing, setup, teardown),
		cmocka_unit_test(test_drop_script),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
