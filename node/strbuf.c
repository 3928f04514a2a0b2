/* strbuf.c: growable text buffer (see strbuf.h). */
#include "strbuf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* strbuf_init: empty, owning nothing. */
void strbuf_init(struct strbuf *sb)
{
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	sb->oom = false;
}

/* strbuf_free: releases the memory; empty and reusable afterwards. */
void strbuf_free(struct strbuf *sb)
{
	free(sb->buf);
	strbuf_init(sb);
}

/* strbuf_reset: empty text, memory kept, error cleared. */
void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	sb->oom = false;
	if (sb->buf)
		sb->buf[0] = '\0';
}

/* strbuf_reserve: grows geometrically so n appends cost O(n) overall. */
int strbuf_reserve(struct strbuf *sb, size_t n)
{
	if (sb->oom)
		return -ENOMEM;
	if (n > SIZE_MAX - sb->len - 1) {
		sb->oom = true;
		return -ENOMEM;
	}
	size_t need = sb->len + n + 1;
	if (need <= sb->cap)
		return 0;
	size_t cap = sb->cap ? sb->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	char *p = realloc(sb->buf, cap);
	if (!p) {
		sb->oom = true;
		return -ENOMEM;
	}
	sb->buf = p;
	sb->cap = cap;
	return 0;
}

/* strbuf_append: n bytes at the end, NUL kept after them. */
int strbuf_append(struct strbuf *sb, const void *data, size_t n)
{
	int rc = strbuf_reserve(sb, n);
	if (rc)
		return rc;
	if (n)
		memcpy(sb->buf + sb->len, data, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
	return 0;
}

/* strbuf_puts: a C string at the end. */
int strbuf_puts(struct strbuf *sb, const char *s) { return strbuf_append(sb, s, strlen(s)); }

/* strbuf_putc: one byte at the end. */
int strbuf_putc(struct strbuf *sb, char c) { return strbuf_append(sb, &c, 1); }

/* strbuf_vprintf: formats into a small stack buffer first, and straight
 * into the reserved tail when the text is longer. */
int strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list ap2;
	char small[256];
	va_copy(ap2, ap);
	int n = vsnprintf(small, sizeof(small), fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < sizeof(small))
		return strbuf_append(sb, small, (size_t)n);
	int rc = strbuf_reserve(sb, (size_t)n);
	if (rc)
		return rc;
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
	return 0;
}

/* strbuf_printf: strbuf_vprintf with variadic arguments. */
int strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = strbuf_vprintf(sb, fmt, ap);
	va_end(ap);
	return rc;
}

/* strbuf_pad: spaces up to column col of the current line, at least min. */
int strbuf_pad(struct strbuf *sb, size_t col, size_t min)
{
	size_t start = sb->len;
	while (start > 0 && sb->buf[start - 1] != '\n')
		start--;
	size_t cur = sb->len - start;
	size_t n = cur < col ? col - cur : 0;
	if (n < min)
		n = min;
	int rc = strbuf_reserve(sb, n);
	if (rc)
		return rc;
	memset(sb->buf + sb->len, ' ', n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
	return 0;
}

/* strbuf_consume: drops the first n bytes. */
void strbuf_consume(struct strbuf *sb, size_t n)
{
	if (n >= sb->len) {
		sb->len = 0;
	} else {
		memmove(sb->buf, sb->buf + n, sb->len - n);
		sb->len -= n;
	}
	if (sb->buf)
		sb->buf[sb->len] = '\0';
}

/* strbuf_truncate: keeps the first len bytes. */
void strbuf_truncate(struct strbuf *sb, size_t len)
{
	if (len < sb->len) {
		sb->len = len;
		sb->buf[len] = '\0';
	}
}

/* strbuf_cstr: the text, "" when nothing was appended. */
const char *strbuf_cstr(const struct strbuf *sb) { return sb->buf ? sb->buf : ""; }

/* strbuf_detach: gives the memory away (always a valid C string). */
char *strbuf_detach(struct strbuf *sb, size_t *len)
{
	char *p = sb->buf;
	if (!p)
		p = calloc(1, 1);
	if (len)
		*len = sb->len;
	strbuf_init(sb);
	return p;
}

/* strbuf_error: -ENOMEM once an append failed since the last reset. */
int strbuf_error(const struct strbuf *sb) { return sb->oom ? -ENOMEM : 0; }

/* strbuf_write_file: the whole text to f. 0 or -errno. */
int strbuf_write_file(const struct strbuf *sb, FILE *f)
{
	if (sb->len && fwrite(sb->buf, 1, sb->len, f) != sb->len)
		return errno ? -errno : -EIO;
	return 0;
}
