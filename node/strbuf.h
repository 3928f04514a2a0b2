/* strbuf.h: a growable byte buffer for building text (dumps, JSON, control
 * replies) without guessing sizes.
 *
 *   buf[0]                       buf[len]  buf[cap)
 *   |<--------- text ---------->|\0|<-- spare -->|
 *
 * The text is always NUL-terminated once anything was appended, so
 * strbuf_cstr() can be handed to printf-like code. An allocation failure is
 * sticky: later appends are ignored and strbuf_error() reports -ENOMEM, so a
 * writer may append many pieces and check once at the end.
 *
 * The caller owns the struct (stack or heap); strbuf_free() releases the
 * memory it points to. A zeroed struct strbuf is a valid empty buffer.
 */
#ifndef NB_STRBUF_H
#define NB_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct strbuf {
	char *buf;      /* NULL until the first append */
	size_t len;     /* bytes of text, not counting the NUL */
	size_t cap;     /* bytes allocated */
	bool oom;       /* an append failed; the text is incomplete */
};

#define STRBUF_INIT {NULL, 0, 0, false}

/* strbuf_init: an empty buffer that owns no memory. */
void strbuf_init(struct strbuf *sb);
/* strbuf_free: releases the memory; the buffer is empty and reusable after. */
void strbuf_free(struct strbuf *sb);
/* strbuf_reset: empties the text but keeps the memory (and clears oom). */
void strbuf_reset(struct strbuf *sb);
/* strbuf_reserve: makes room for n more bytes (plus the NUL). 0 or -ENOMEM. */
int strbuf_reserve(struct strbuf *sb, size_t n);
/* strbuf_append: appends n bytes (may contain NULs). 0 or -ENOMEM. */
int strbuf_append(struct strbuf *sb, const void *data, size_t n);
/* strbuf_puts: appends a C string. 0 or -ENOMEM. */
int strbuf_puts(struct strbuf *sb, const char *s);
/* strbuf_putc: appends one byte. 0 or -ENOMEM. */
int strbuf_putc(struct strbuf *sb, char c);
/* strbuf_printf / strbuf_vprintf: appends formatted text. 0, -ENOMEM, or
 * -EINVAL for a format error. */
int strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* strbuf_pad: appends spaces until the current line (text after the last
 * '\n') is at least `col` bytes long; at least `min` spaces. 0 or -ENOMEM. */
int strbuf_pad(struct strbuf *sb, size_t col, size_t min);
/* strbuf_consume: drops the first n bytes (all if n >= len), e.g. after a
 * partial write of an output queue. */
void strbuf_consume(struct strbuf *sb, size_t n);
/* strbuf_truncate: shortens the text to len bytes (no-op if already shorter). */
void strbuf_truncate(struct strbuf *sb, size_t len);
/* strbuf_cstr: the text as a C string; "" for an empty buffer. Valid until
 * the next call that changes sb. */
const char *strbuf_cstr(const struct strbuf *sb);
/* strbuf_detach: hands the memory to the caller (free() it), sets *len if
 * len is not NULL, and leaves sb empty. Never NULL unless out of memory. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
/* strbuf_error: 0, or -ENOMEM if any append since the last reset failed. */
int strbuf_error(const struct strbuf *sb);
/* strbuf_write_file: writes the whole text to f. 0 or -errno. */
int strbuf_write_file(const struct strbuf *sb, FILE *f);

#endif
