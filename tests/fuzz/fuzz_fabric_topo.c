/* fuzz_fabric_topo.c: libFuzzer harness for the topology parser.
 *
 * Any input: topo_parse_string must not crash, leak or read out of bounds,
 * and must return 0 exactly when it hands back a topology. When it does,
 * every link's canonical impairment text must parse back to the same spec.
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
		for (int i = 0; i < t->n_steps; i++)
			if (t->steps[i].kind == TOPO_STEP_LINK_SET)
				check_spec_roundtrip(t->steps[i].u.link_set.spec);
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
