/* topo_lex.c: the topology language's lexer. A file is lines; a line is
 * words separated by blanks. '#' at the start of a word begins a comment.
 * Words may be quoted shell-style: '...' is literal, "..." takes \" and \\;
 * quotes may join parts ("a b"c is one word `a bc`). Columns count bytes. */
#include "topo_int.h"

#include <string.h>

static bool blank(char c) { return c == ' ' || c == '\t'; }

/* line_end: offset of the '\n' ending the line at off, or len. */
static size_t line_end(const struct topo_ctx *cx, size_t off)
{
	const char *nl = memchr(cx->text + off, '\n', cx->len - off);
	return nl ? (size_t)(nl - cx->text) : cx->len;
}

static int bad_byte(struct topo_ctx *cx, int lineno, int col, unsigned char c)
{
	if (c == 0)
		topo_report(cx, TOPO_ERROR, lineno, col, 1, "NUL byte in the file");
	else
		topo_report(cx, TOPO_ERROR, lineno, col, 1, "unexpected control character 0x%02x", c);
	return -1;
}

int topo_lex_line(struct topo_ctx *cx, size_t off, int lineno, struct topo_line *l, size_t *next)
{
	size_t end = line_end(cx, off);
	const char *s = cx->text + off;
	int n = (int)NB_MIN(end - off, (size_t)TOPO_LINE_MAX + 1);
	char *out = l->buf;

	*next = end < cx->len ? end + 1 : end;
	l->no = lineno;
	l->src = s;
	l->ntok = 0;
	l->indent = 0;
	if (end - off > TOPO_LINE_MAX) {
		l->src_len = l->text_len = TOPO_LINE_MAX;
		topo_report(cx, TOPO_ERROR, lineno, TOPO_LINE_MAX + 1, 1, "line is longer than %d bytes",
			    TOPO_LINE_MAX);
		return -1;
	}
	if (n > 0 && s[n - 1] == '\r')
		n--;
	l->src_len = l->text_len = n;
	while (l->indent < n && blank(s[l->indent]))
		l->indent++;

	int i = l->indent;
	while (i < n) {
		if (blank(s[i])) {
			i++;
			continue;
		}
		if (s[i] == '#') {           /* comment: anything but NUL */
			for (int j = i; j < n; j++)
				if (!s[j])
					return bad_byte(cx, lineno, j + 1, 0);
			l->text_len = i;
			break;
		}
		if (l->ntok >= TOPO_TOKENS_MAX) {
			topo_report(cx, TOPO_ERROR, lineno, i + 1, 1, "more than %d words on one line", TOPO_TOKENS_MAX);
			return -1;
		}
		struct topo_tok *t = &l->tok[l->ntok++];
		t->s = out;
		t->col = i + 1;
		t->quoted = false;
		while (i < n && !blank(s[i])) {
			unsigned char c = (unsigned char)s[i];
			if (c == '\'' || c == '"') {
				int q = i++;
				t->quoted = true;
				while (i < n && s[i] != (char)c) {
					if (c == '"' && s[i] == '\\' && i + 1 < n && (s[i + 1] == '"' || s[i + 1] == '\\'))
						i++;
					if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
						return bad_byte(cx, lineno, i + 1, (unsigned char)s[i]);
					*out++ = s[i++];
				}
				if (i >= n) {
					topo_report(cx, TOPO_ERROR, lineno, q + 1, 1, "unterminated %s quote",
						    c == '"' ? "double" : "single");
					return -1;
				}
				i++;
				continue;
			}
			if (c < 0x20 || c == 0x7f)
				return bad_byte(cx, lineno, i + 1, c);
			*out++ = s[i++];
		}
		*out++ = 0;
		t->len = i - (t->col - 1);
	}
	while (l->text_len > l->indent && blank(s[l->text_len - 1]))
		l->text_len--;
	return 0;
}
