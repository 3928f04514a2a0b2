/* fuzz_fabric_topo_step.c: libFuzzer harness for live steps
 * (topo_parse_step, `nestbed do`).
 *
 * A fixed lab is parsed once per input; the input is split at newlines and
 * each piece is given as one live step. Any input: no crash, leak or read
 * out of bounds; a step that fails leaves the lab's steps and names as
 * they were; one that parses adds exactly one step, numbered after the
 * lines before it, and names that resolve to objects on real hosts.
 *
 *   make build/fuzz/fuzz_fabric_topo_step
 *   build/fuzz/fuzz_fabric_topo_step -dict=tests/fuzz/fuzz_fabric_topo.dict
 */
#include "topo.h"

#include <stdlib.h>
#include <string.h>

static const char lab[] =
	"lab f\nhost a\n  eth0 10.0.0.1/24\nhost b\n  eth0 10.0.0.2/24\nhost k kernel\n  eth0 10.0.0.3/24\n"
	"switch lan\nlink a:eth0 lan\nlink b:eth0 lan\nlink k:eth0 lan\n";

static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct topo *t = NULL;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (topo_parse_string("f.topo", lab, strlen(lab), &t, NULL))
		abort();
	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int steps = t->n_steps, objs = t->n_objs, line = t->n_lines;
		int errors = topo_parse_step(t, "live", p, n, devnull);
		if (t->n_lines != line + 1)
			abort();
		if (errors ? t->n_steps != steps || t->n_objs != objs : t->n_steps != steps + 1)
			abort();
		if (!errors && t->steps[steps].loc.line != line + 1)
			abort();
		for (int i = objs; i < t->n_objs; i++)
			if (t->objs[i].host < 0 || t->objs[i].host >= t->n_hosts || t->objs[i].step != steps)
				abort();
		p += n + 1;
	}
	topo_drop_script(t);
	if (t->n_steps || t->n_objs)
		abort();
	topo_free(t);
	return 0;
}
