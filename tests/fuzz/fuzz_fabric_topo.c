/* fuzz_fabric_topo.c: libFuzzer harness for the topology parser.
 *
 * Any input: topo_parse_string must not crash, leak or read out of bounds,
 * and must return 0 exactly when it hands back a topology. When it does,
 * every link's canonical impairment text must parse back to the same spec.
 * Digest expectations and exec steps must hold together: a `file` side has
 * a path and no object, an `output` side names a job, a `digest` side an
 * object that is not a job; a background exec has a job.
 * The input is also fed to impair_spec_parse_str: a spec that parses must
 * survive format -> parse unchanged.
 *
 *   make build/fuzz/fuzz_fabric_topo
 *   build/fuzz/fuzz_fabric_topo -dict=tests/fuzz/fuzz_fabric_topo.dict topologies/
 */
#include "topo.h"

#include <stdlib.h>
#include <string.h>

static FILE *devnull;

static void check_spec_roundtrip(const struct impair_spec *s)
{
	char buf[IMPAIR_SPEC_TEXT_MAX];
	struct impair_spec back;
	struct impair_err err;
	int n = impair_spec_format(s, buf, sizeof buf);
	if (n < 0 || (size_t)n >= sizeof buf)
		abort();
	if (impair_spec_parse_str(buf, &back, &err) || !impair_spec_equal(s, &back))
		abort();
}

/* check_side: one side of a digest expectation is consistent. */
static void check_side(const struct topo *t, enum topo_digest_src src, int obj, const char *path)
{
	switch (src) {
	case TOPO_DSRC_FILE:
		if (obj != -1 || !path || !path[0])
			abort();
		return;
	case TOPO_DSRC_OUTPUT:
		if (obj < 0 || obj >= t->n_objs || t->objs[obj].kind != TOPO_OBJ_JOB || path)
			abort();
		return;
	case TOPO_DSRC_OBJ:
		if (obj < 0 || obj >= t->n_objs || t->objs[obj].kind == TOPO_OBJ_JOB || path)
			abort();
		return;
	}
	abort();
}

/* check_step: the invariants of steps the language grew lately. */
static void check_step(const struct topo *t, const struct topo_step *s)
{
	if (s->kind == TOPO_STEP_EXPECT && s->u.expect.what == TOPO_EXPECT_DIGEST) {
		check_side(t, s->u.expect.src, s->u.expect.obj, s->u.expect.path);
		check_side(t, s->u.expect.src2, s->u.expect.obj2, s->u.expect.path2);
		if (s->u.expect.op != TOPO_EQ && s->u.expect.op != TOPO_NE)
			abort();
	}
	if (s->kind == TOPO_STEP_EXEC) {
		if (s->u.exec.argc < 1 || !s->u.exec.argv || s->u.exec.argv[s->u.exec.argc])
			abort();
		if (s->u.exec.background && (s->u.exec.obj < 0 || t->objs[s->u.exec.obj].kind != TOPO_OBJ_JOB))
			abort();
		if (!s->u.exec.background && s->u.exec.timeout_ns == 0)
			abort();
	}
	if (s->kind == TOPO_STEP_UDP_SEND && s->u.udp_send.obj >= 0 &&
	    (t->objs[s->u.udp_send.obj].kind != TOPO_OBJ_UDP || t->objs[s->u.udp_send.obj].host != s->host))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct topo *t = NULL;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	int rc = topo_parse_string("fuzz.topo", (const char *)data, size, &t, devnull);
	if ((rc == 0) != (t != NULL) || rc < 0)
		abort();
	if (t) {
		for (int i = 0; i < t->n_links; i++)
			for (int d = 0; d < 2; d++) {
				struct impair_spec back;
				struct impair_err err;
				check_spec_roundtrip(&t->links[i].dir[d]);
				if (impair_spec_parse_str(t->links[i].text[d], &back, &err) ||
				    !impair_spec_equal(&back, &t->links[i].dir[d]))
					abort();
			}
		for (int i = 0; i < t->n_steps; i++) {
			if (t->steps[i].kind == TOPO_STEP_LINK_SET)
				check_spec_roundtrip(t->steps[i].u.link_set.spec);
			check_step(t, &t->steps[i]);
		}
		topo_free(t);
	}

	/* the same bytes as one impairment spec (up to the first NUL) */
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	struct impair_spec spec;
	struct impair_err err;
	if (impair_spec_parse_str(s, &spec, &err) == 0)
		check_spec_roundtrip(&spec);
	else if (err.tok < 0 || err.off > strlen(s) || !memchr(err.msg, 0, sizeof err.msg))
		abort();
	free(s);
	return 0;
}
