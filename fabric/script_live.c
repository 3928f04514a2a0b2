/* script_live.c: steps given one at a time to a lab that is up (`nestbed
 * do`), run by the same executor as a file's script. Each line is parsed
 * against the lab's topology (topo_parse_step), so it may use the names
 * of earlier steps and define new ones; jobs it starts live on until the
 * session ends. */
#include "script_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct script_live {
	struct script_ctx cx;
	struct topo *t;
};

struct script_live *script_live_new(struct lab *lab, struct topo *t)
{
	struct script_live *lv = calloc(1, sizeof(*lv));
	if (!lv)
		return NULL;
	lv->t = t;
	lv->cx.lab = lab;
	lv->cx.t = t;
	return lv;
}

/* print_outcome: the step's line as `nestbed run` prints it, without the
 * step counter: "ok     0.012s  57: kill b (detail)", then any text (a
 * socket table) indented under it. */
static void print_outcome(FILE *out, const struct topo_step *s, const struct step_res *res, uint64_t ns)
{
	const char *word = report_outcome_name(res->outcome);
	fprintf(out, "%-5s %6.3fs  %d: %s", word, (double)ns / 1e9, s->loc.line, s->text);
	if (res->outcome != STEP_OK && res->reason[0])
		fprintf(out, ": %s", res->reason);
	else if (res->detail[0])
		fprintf(out, " (%s)", res->detail);
	fputc('\n', out);
	for (const char *p = res->text; p && *p;) {
		size_t n = strcspn(p, "\n");
		fprintf(out, "        %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

int script_live_do(struct script_live *lv, const char *line, FILE *out, FILE *err)
{
	int at = lv->t->n_steps;
	int errors = topo_parse_step(lv->t, "live", line, strlen(line), err);
	if (errors) {
		fprintf(err, "live: %d error%s; nothing was done\n", errors, errors == 1 ? "" : "s");
		return 2;
	}
	const struct topo_step *s = &lv->t->steps[at];
	struct step_res res = {.outcome = STEP_OK};
	lv->cx.step = at;
	script_jobs_poll(&lv->cx);
	uint64_t start = script_now_ns();
	nodeproc_set_interrupt(script_interrupted); /* `nestbed down` during a long step */
	script_step_run(&lv->cx, s, &res);
	nodeproc_set_interrupt(NULL);
	print_outcome(out, s, &res, script_now_ns() - start);
	free(res.text);
	return res.outcome == STEP_OK ? 0 : 1;
}

void script_live_poll(struct script_live *lv)
{
	if (lv)
		script_jobs_poll(&lv->cx);
}

void script_live_free(struct script_live *lv)
{
	if (!lv)
		return;
	script_jobs_finish(&lv->cx);
	free(lv);
}
