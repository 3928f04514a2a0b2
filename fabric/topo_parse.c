/* topo_parse.c: the topology parser's driver (lines to declarations or
 * steps), the shared word parsers, topo_free and the lookups. Declarations
 * are in topo_decl.c, steps in topo_step.c, meaning in topo_check.c. */
#include "topo_int.h"
#include "params.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const decl_words[] = {"lab", "seed", "defaults", "host", "switch", "link", NULL};

int topo_grow(void **arr, int n, int *cap, size_t size, int max)
{
	if (n < *cap)
		return 0;
	if (n >= max)
		return -1;
	int ncap = *cap ? *cap * 2 : 8;
	if (ncap > max)
		ncap = max;
	void *p = realloc(*arr, (size_t)ncap * size);
	if (!p)
		return -1;
	memset((char *)p + (size_t)*cap * size, 0, (size_t)(ncap - *cap) * size);
	*arr = p;
	*cap = ncap;
	return 0;
}

char *topo_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);
	if (p)
		memcpy(p, s, n);
	return p;
}

bool topo_poisoned(const struct topo_ctx *cx, const char *name)
{
	for (int i = 0; i < cx->n_poison; i++)
		if (!strcmp(cx->poison[i], name))
			return true;
	return false;
}

void topo_poison(struct topo_ctx *cx, const char *name)
{
	if (strlen(name) >= TOPO_NAME_MAX || topo_poisoned(cx, name) ||
	    topo_grow((void **)&cx->poison, cx->n_poison, &cx->cap_poison, sizeof *cx->poison, 4096))
		return;
	strcpy(cx->poison[cx->n_poison++], name);
}

/* topo_name_ok: a letter, then letters, digits, '_' or '-'; shorter than TOPO_NAME_MAX. */
bool topo_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= TOPO_NAME_MAX || !((*s | 32) >= 'a' && (*s | 32) <= 'z'))
		return false;
	for (; *s; s++)
		if (!((*s | 32) >= 'a' && (*s | 32) <= 'z') && !(*s >= '0' && *s <= '9') && *s != '_' && *s != '-')
			return false;
	return true;
}

static const char *word(const struct topo_line *l, int i) { return i < l->ntok ? l->tok[i].s : NULL; }

int topo_word_time(struct topo_ctx *cx, const struct topo_line *l, int i, const char *what, uint64_t *out)
{
	nb_time_t t;
	if (i >= l->ntok) {
		topo_err_at(cx, l, i, "'%s' wants a time such as 2s or 500ms", what);
		return -1;
	}
	if (nb_parse_time(l->tok[i].s, &t)) {
		topo_err_at(cx, l, i, "'%s' wants a time such as 2s or 500ms, not '%s'", what, l->tok[i].s);
		return -1;
	}
	*out = t;
	return 0;
}

int topo_word_size(struct topo_ctx *cx, const struct topo_line *l, int i, const char *what, uint64_t *out)
{
	if (i >= l->ntok) {
		topo_err_at(cx, l, i, "'%s' wants a size such as 1MiB or 100B", what);
		return -1;
	}
	if (nb_parse_size(l->tok[i].s, out)) {
		topo_err_at(cx, l, i, "'%s' wants a size such as 1MiB or 100B, not '%s'", what, l->tok[i].s);
		return -1;
	}
	return 0;
}

int topo_word_uint(struct topo_ctx *cx, const struct topo_line *l, int i, const char *what, uint64_t lo,
		   uint64_t hi, uint64_t *out)
{
	const char *s = word(l, i);
	uint64_t v = 0;
	bool ok = s && *s;
	char range[64] = "";
	for (const char *p = s; ok && *p; p++) {
		uint64_t d = (uint64_t)(*p - '0');
		if (*p < '0' || *p > '9' || v > (UINT64_MAX - d) / 10)
			ok = false;
		else
			v = v * 10 + d;
	}
	if (lo != 0 || hi != UINT64_MAX)
		snprintf(range, sizeof range, " from %llu to %llu", (unsigned long long)lo, (unsigned long long)hi);
	if (!s)
		topo_err_at(cx, l, i, "'%s' wants a whole number%s", what, range);
	else if (!ok || v < lo || v > hi)
		topo_err_at(cx, l, i, "'%s' wants a whole number%s, not '%.64s'", what, range, s);
	else {
		*out = v;
		return 0;
	}
	return -1;
}

int topo_word_port(struct topo_ctx *cx, const struct topo_line *l, int i, const char *what, uint16_t *out)
{
	const char *s = word(l, i);
	uint64_t v = 0;
	bool ok = s && *s && strlen(s) <= 5;
	for (const char *p = s; ok && *p; p++)
		ok = *p >= '0' && *p <= '9' && (v = v * 10 + (uint64_t)(*p - '0')) <= 65535;
	if (ok && v > 0) {
		*out = (uint16_t)v;
		return 0;
	}
	if (!s)
		topo_err_at(cx, l, i, "'%s' wants a port number from 1 to 65535", what);
	else
		topo_err_at(cx, l, i, "'%s' wants a port number from 1 to 65535, not '%.64s'", what, s);
	return -1;
}

void topo_unknown_word(struct topo_ctx *cx, const struct topo_line *l, int i, const char *what,
		       const char *const *words)
{
	struct topo_suggest sg;
	char buf[80];
	if (i >= l->ntok) {
		topo_err_at(cx, l, i, "missing %s", what);
		return;
	}
	topo_suggest_init(&sg, l->tok[i].s);
	for (; *words; words++)
		topo_suggest_try(&sg, *words);
	topo_err_at(cx, l, i, "unknown %s '%.64s'%s", what, l->tok[i].s, topo_suggest_text(&sg, buf, sizeof buf));
}

int topo_extra(struct topo_ctx *cx, const struct topo_line *l, int n)
{
	if (l->ntok <= n)
		return 0;
	topo_err_at(cx, l, n, "unexpected '%.64s'", l->tok[n].s);
	return -1;
}

struct topo_loc topo_loc_of(const struct topo_line *l, int i)
{
	struct topo_loc loc = {l->no, i < l->ntok ? l->tok[i].col : l->text_len + 1};
	return loc;
}

/* --- the driver --- */

/* topo_is_decl_word: lab, seed, defaults, host, switch or link. */
static bool topo_is_decl_word(const char *w)
{
	for (int d = 0; decl_words[d]; d++)
		if (!strcmp(w, decl_words[d]))
			return true;
	return false;
}

static bool is_step_word(const struct topo_line *l)
{
	static const char *const steps[] = {"set", "partition", "heal", "kill", "restart", "sleep",
					    "wait", "expect", "dump", NULL};
	const char *w = l->tok[0].s;
	if (l->tok[0].quoted)
		return false;
	if (strchr(w, ':'))
		return true;
	if (!strcmp(w, "link"))
		return l->ntok >= 4 && (!strcmp(l->tok[3].s, "set") || !strcmp(l->tok[3].s, "down") ||
					!strcmp(l->tok[3].s, "up"));
	for (int i = 0; steps[i]; i++)
		if (!strcmp(w, steps[i]))
			return true;
	return false;
}

static void handle_line(struct topo_ctx *cx, struct topo_line *l)
{
	if (l->ntok == 0)
		return;
	if (l->indent > 0) {
		if (cx->blk == BLK_NONE)
			topo_err_at(cx, l, 0, "unexpected indentation: only lines under 'host', 'defaults' or "
				    "'link' are indented");
		else if (cx->blk != BLK_SKIP)
			topo_decl_body(cx, l);
		return;
	}
	cx->blk = BLK_NONE;
	if (is_step_word(l)) {
		if (!cx->lab_checked)
			topo_check_lab(cx);
		if (!cx->first_step_line)
			cx->first_step_line = l->no;
		topo_step_line(cx, l);
		return;
	}
	const char *w = l->tok[0].s;
	int d = 0;
	while (decl_words[d] && strcmp(w, decl_words[d]))
		d++;
	if (!decl_words[d] || l->tok[0].quoted) {
		topo_step_line(cx, l);           /* reports the unknown word */
		return;
	}
	if (cx->first_step_line) {
		topo_err_at(cx, l, 0, "'%s' must come before the script, which starts on line %d", w,
			    cx->first_step_line);
		cx->blk = BLK_SKIP;
		if (d == 3 || d == 4)
			topo_poison(cx, l->ntok > 1 ? l->tok[1].s : "");
		return;
	}
	topo_decl_line(cx, l);
}

/* prescan: records every `as NAME` of a script line with its line number. */
static void prescan(struct topo_ctx *cx, struct topo_line *l)
{
	FILE *diag = cx->diag;
	int errors = cx->errors, warnings = cx->warnings;
	size_t off = 0, next;
	cx->diag = NULL;
	for (int no = 1; off < cx->len; no++, off = next) {
		if (topo_lex_line(cx, off, no, l, &next) || l->indent || l->ntok < 2 || !is_step_word(l))
			continue;
		for (int i = 1; i + 1 < l->ntok; i++) {
			if (strcmp(l->tok[i].s, "as") || l->tok[i].quoted || strlen(l->tok[i + 1].s) >= TOPO_NAME_MAX)
				continue;
			if (topo_grow((void **)&cx->later, cx->n_later, &cx->cap_later, sizeof *cx->later,
				      TOPO_OBJS_MAX))
				break;
			strcpy(cx->later[cx->n_later].name, l->tok[i + 1].s);
			cx->later[cx->n_later++].line = no;
		}
	}
	cx->diag = diag;
	cx->errors = errors;
	cx->warnings = warnings;
	cx->stopped = false;
}

int topo_parse_string(const char *name, const char *text, size_t len, struct topo **out, FILE *diag)
{
	struct topo_ctx cx = {.name = name ? name : "<topology>", .text = text, .len = len, .diag = diag};
	struct topo_line *l = malloc(sizeof *l);
	int errors;
	*out = NULL;
	cx.t = calloc(1, sizeof *cx.t);
	if (!l || !cx.t || !(cx.t->file = topo_strdup(cx.name))) {
		topo_report(&cx, TOPO_ERROR, 0, 0, 0, "out of memory");
		goto done;
	}
	if (len > TOPO_FILE_MAX) {
		topo_report(&cx, TOPO_ERROR, 0, 0, 0, "file is larger than %u MiB", TOPO_FILE_MAX >> 20);
		goto done;
	}
	prescan(&cx, l);
	size_t off = 0, next;
	for (int no = 1; off < len && !cx.stopped; no++, off = next) {
		if (topo_lex_line(&cx, off, no, l, &next) == 0)
			handle_line(&cx, l);
		else if (l->indent == 0)
			cx.blk = BLK_SKIP;
		cx.t->n_lines = no;
	}
	if (!cx.lab_checked && !cx.stopped)
		topo_check_lab(&cx);
done:
	errors = cx.errors;
	cx.t->warnings = cx.warnings;
	free(l);
	free(cx.poison);
	free(cx.later);
	free(cx.linkx);
	if (errors)
		topo_free(cx.t);
	else
		*out = cx.t;
	return errors;
}

int topo_parse_step(struct topo *t, const char *name, const char *text, size_t len, FILE *diag)
{
	struct topo_ctx cx = {.t = t, .name = name ? name : "<step>", .text = text, .diag = diag,
			      .line_offset = t->n_lines, .lab_line = 1, .lab_checked = true,
			      .cap_steps = t->n_steps, .cap_objs = t->n_objs};
	struct topo_line *l = malloc(sizeof *l);
	int no = ++t->n_lines;
	size_t next;
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;                           /* one line, with or without its end */
	cx.len = len;
	cx.first_step_line = no;
	if (!l) {
		topo_report(&cx, TOPO_ERROR, 0, 0, 0, "out of memory");
	} else if (memchr(text, '\n', len)) {
		topo_report(&cx, TOPO_ERROR, no, 1, 1, "a step is one line; give steps one at a time");
	} else if (topo_lex_line(&cx, 0, no, l, &next) == 0) {
		if (l->ntok == 0)
			topo_report(&cx, TOPO_ERROR, no, 1, 0, "no step given: write one such as 'kill b' or "
				    "'a: ping 10.0.0.2'");
		else if (l->indent > 0)
			topo_err_at(&cx, l, 0, "a step is not indented");
		else if (!is_step_word(l) && !l->tok[0].quoted && topo_is_decl_word(l->tok[0].s))
			topo_err_at(&cx, l, 0, "'%s' is a declaration: the lab is up, so it takes script steps only",
				    l->tok[0].s);
		else
			topo_step_line(&cx, l);
	}
	free(l);
	free(cx.poison);
	return cx.errors;
}

void topo_drop_script(struct topo *t)
{
	for (int i = 0; i < t->n_steps; i++)
		topo_step_free(&t->steps[i]);
	t->n_steps = 0;
	t->n_objs = 0;
}

int topo_parse_file(const char *path, struct topo **out, FILE *diag)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0;
	int rc;
	*out = NULL;
	if (f) {
		buf = malloc(TOPO_FILE_MAX + 1);
		if (buf)
			n = fread(buf, 1, TOPO_FILE_MAX + 1, f);
	}
	if (!f || !buf || ferror(f)) {
		int e = errno;
		struct topo_ctx cx = {.name = path, .text = "", .diag = diag};
		topo_report(&cx, TOPO_ERROR, 0, 0, 0, "cannot read the file: %s", strerror(f && !buf ? ENOMEM : e));
		if (f)
			fclose(f);
		free(buf);
		return 1;
	}
	fclose(f);
	rc = topo_parse_string(path, buf, n, out, diag);
	free(buf);
	return rc;
}

void topo_free(struct topo *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->n_hosts; i++) {
		free(t->hosts[i].ifaces);
		free(t->hosts[i].routes);
		free(t->hosts[i].params);
	}
	for (int i = 0; i < t->n_links; i++) {
		free(t->links[i].text[0]);
		free(t->links[i].text[1]);
	}
	for (int i = 0; i < t->n_steps; i++)
		topo_step_free(&t->steps[i]);
	free(t->hosts);
	free(t->switches);
	free(t->links);
	free(t->objs);
	free(t->steps);
	free(t->defaults);
	free(t->file);
	free(t);
}

/* --- lookups --- */

int topo_host_find(const struct topo *t, const char *name)
{
	for (int i = 0; i < t->n_hosts; i++)
		if (!strcmp(t->hosts[i].name, name))
			return i;
	return -1;
}

int topo_switch_find(const struct topo *t, const char *name)
{
	for (int i = 0; i < t->n_switches; i++)
		if (!strcmp(t->switches[i].name, name))
			return i;
	return -1;
}

int topo_iface_find(const struct topo_host *h, const char *name)
{
	for (int i = 0; i < h->n_ifaces; i++)
		if (!strcmp(h->ifaces[i].name, name))
			return i;
	return -1;
}

int topo_obj_find(const struct topo *t, const char *name)
{
	for (int i = 0; i < t->n_objs; i++)
		if (!strcmp(t->objs[i].name, name))
			return i;
	return -1;
}

int topo_link_find(const struct topo *t, const char *a, const char *b, bool *dir0)
{
	for (int i = 0; i < t->n_links; i++) {
		const struct topo_link *k = &t->links[i];
		bool fwd = !strcmp(k->end[0].name, a) && !strcmp(k->end[1].name, b);
		if (fwd || (!strcmp(k->end[1].name, a) && !strcmp(k->end[0].name, b))) {
			if (dir0)
				*dir0 = fwd;
			return i;
		}
	}
	return -1;
}
