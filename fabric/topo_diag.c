/* topo_diag.c: diagnostics for the topology parser, printed as a compiler
 * does (FILE:LINE:COL: error: MSG, the line, a caret), and the "did you
 * mean" suggestions, by edit distance. */
#include "topo_int.h"

#include <stdarg.h>
#include <string.h>

static const char *const sev_name[] = {"error", "warning", "note"};

/* find_line: the start and length of line `no` (1-based, counting from
 * cx->line_offset + 1) of the text; false if the text does not hold it. */
static bool find_line(const struct topo_ctx *cx, int no, const char **start, int *len)
{
	size_t off = 0;
	no -= cx->line_offset;
	if (no < 1)
		return false;
	for (int i = 1; i < no; i++) {
		const char *nl = memchr(cx->text + off, '\n', cx->len - off);
		if (!nl)
			return false;
		off = (size_t)(nl - cx->text) + 1;
	}
	if (off > cx->len)
		return false;
	const char *nl = memchr(cx->text + off, '\n', cx->len - off);
	size_t n = nl ? (size_t)(nl - cx->text) - off : cx->len - off;
	if (n > 0 && cx->text[off + n - 1] == '\r')
		n--;
	*start = cx->text + off;
	*len = (int)NB_MIN(n, (size_t)TOPO_LINE_MAX);
	return true;
}

/* show_line: "   12 | text" and "      |     ^~~~". Unprintable bytes show as
 * '?'; the caret line copies tabs and skips UTF-8 continuation bytes so the
 * caret lands under the column on a terminal. */
static void show_line(const struct topo_ctx *cx, int no, int col, int len)
{
	const char *s;
	int n;
	if (!find_line(cx, no, &s, &n))
		return;
	fprintf(cx->diag, "%5d | ", no);
	for (int i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		fputc(c == '\t' || c >= 0x80 || (c >= 0x20 && c != 0x7f) ? c : '?', cx->diag);
	}
	fputs("\n      | ", cx->diag);
	if (col < 1)
		col = 1;
	if (col > n + 1)
		col = n + 1;
	for (int i = 0; i < col - 1; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c & 0xc0) == 0x80)
			continue;
		fputc(c == '\t' ? '\t' : ' ', cx->diag);
	}
	fputc('^', cx->diag);
	for (int i = col; i < col - 1 + len && i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			fputc('~', cx->diag);
	fputc('\n', cx->diag);
}

static void vreport(struct topo_ctx *cx, enum topo_sev sev, int line, int col, int len, const char *fmt,
		    va_list ap)
{
	if (cx->stopped)
		return;
	if (sev == TOPO_ERROR)
		cx->errors++;
	else if (sev == TOPO_WARNING)
		cx->warnings++;
	if (cx->diag) {
		if (line > 0)
			fprintf(cx->diag, "%s:%d:%d: %s: ", cx->name, line, col, sev_name[sev]);
		else
			fprintf(cx->diag, "%s: %s: ", cx->name, sev_name[sev]);
		vfprintf(cx->diag, fmt, ap);
		fputc('\n', cx->diag);
		if (line > 0)
			show_line(cx, line, col, len);
	}
	if (sev == TOPO_ERROR && cx->errors >= TOPO_ERRORS_MAX) {
		if (cx->diag)
			fprintf(cx->diag, "%s: note: stopping after %d errors\n", cx->name, cx->errors);
		cx->stopped = true;
	}
}

void topo_report(struct topo_ctx *cx, enum topo_sev sev, int line, int col, int len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(cx, sev, line, col, len, fmt, ap);
	va_end(ap);
}

/* tok_pos: column and length of word i, or just past the last word. */
static void tok_pos(const struct topo_line *l, int i, int *col, int *len)
{
	if (i >= 0 && i < l->ntok) {
		*col = l->tok[i].col;
		*len = l->tok[i].len;
	} else {
		*col = l->text_len + 1;
		*len = 1;
	}
}

void topo_err_at(struct topo_ctx *cx, const struct topo_line *l, int i, const char *fmt, ...)
{
	va_list ap;
	int col, len;
	tok_pos(l, i, &col, &len);
	va_start(ap, fmt);
	vreport(cx, TOPO_ERROR, l->no, col, len, fmt, ap);
	va_end(ap);
}

void topo_warn_at(struct topo_ctx *cx, const struct topo_line *l, int i, const char *fmt, ...)
{
	va_list ap;
	int col, len;
	tok_pos(l, i, &col, &len);
	va_start(ap, fmt);
	vreport(cx, TOPO_WARNING, l->no, col, len, fmt, ap);
	va_end(ap);
}

void topo_note_loc(struct topo_ctx *cx, struct topo_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(cx, TOPO_NOTE, loc.line, loc.col, 1, fmt, ap);
	va_end(ap);
}

/* topo_edit_distance: optimal-string-alignment distance (a swap of two
 * neighbours counts 1); 99 for words longer than 64 bytes. */
int topo_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int d[3][66];                /* rows i-2, i-1, i (mod 3) */
	if (la > 64 || lb > 64)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int *cur = d[i % 3], *prev = d[(i - 1) % 3], *pp = d[(i + 1) % 3];
		cur[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int cost = a[i - 1] != b[j - 1];
			int v = prev[j - 1] + cost;
			if (prev[j] + 1 < v) v = prev[j] + 1;
			if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			cur[j] = v;
		}
	}
	return d[la % 3][lb];
}

void topo_suggest_init(struct topo_suggest *sg, const char *word)
{
	sg->word = word;
	sg->best = NULL;
	sg->dist = 99;
}

void topo_suggest_try(struct topo_suggest *sg, const char *cand)
{
	size_t n = strlen(sg->word);
	int max = n <= 1 ? 0 : n <= 5 ? 1 : n <= 9 ? 2 : 3;
	int d = topo_edit_distance(sg->word, cand);
	if (d > 0 && d <= max && d < sg->dist) {
		sg->dist = d;
		sg->best = cand;
	}
}

const char *topo_suggest_text(struct topo_suggest *sg, char *buf, size_t len)
{
	if (!sg->best)
		return "";
	snprintf(buf, len, "; did you mean '%s'?", sg->best);
	return buf;
}
