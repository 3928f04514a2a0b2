/* json.c: streaming JSON writer (see json.h). */
#include "json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* json_init: a writer with nothing written, appending to out. */
void json_init(struct json *j, struct strbuf *out)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
}

/* fail: records the first error only. */
static void fail(struct json *j, int err)
{
	if (!j->err)
		j->err = err;
}

/* before_value: writes the separator a value needs at this position; false
 * (and records -EINVAL) if a value is not allowed here. */
static bool before_value(struct json *j)
{
	if (j->err)
		return false;
	if (j->depth == 0) {
		if (j->has_item[0]) {       /* one top-level value only */
			fail(j, -EINVAL);
			return false;
		}
		j->has_item[0] = true;
		return true;
	}
	if (j->in_obj[j->depth]) {
		if (!j->want_value) {
			fail(j, -EINVAL);
			return false;
		}
		j->want_value = false;
		return true;
	}
	if (j->has_item[j->depth])
		strbuf_putc(j->out, ',');
	if (j->break_depth == j->depth)
		strbuf_putc(j->out, '\n');
	j->has_item[j->depth] = true;
	return true;
}

void json_break_items(struct json *j)
{
	j->break_depth = j->depth;
}

/* open_container: "{" or "[" where a value may stand; depth-bounded. */
static void open_container(struct json *j, bool obj)
{
	if (!before_value(j))
		return;
	if (j->depth + 1 >= JSON_DEPTH_MAX) {
		fail(j, -EINVAL);
		return;
	}
	j->depth++;
	j->in_obj[j->depth] = obj;
	j->has_item[j->depth] = false;
	strbuf_putc(j->out, obj ? '{' : '[');
}

/* close_container: "}" or "]" if it matches the open container and no
 * value is owed to a key. */
static void close_container(struct json *j, bool obj)
{
	if (j->err)
		return;
	if (j->depth == 0 || j->in_obj[j->depth] != obj || j->want_value) {
		fail(j, -EINVAL);
		return;
	}
	if (j->break_depth == j->depth) {
		j->break_depth = 0;
		if (j->has_item[j->depth])
			strbuf_putc(j->out, '\n');
	}
	j->depth--;
	strbuf_putc(j->out, obj ? '}' : ']');
}

/* json_obj_begin / _end, json_arr_begin / _end: containers. */
void json_obj_begin(struct json *j) { open_container(j, true); }
void json_obj_end(struct json *j) { close_container(j, true); }
void json_arr_begin(struct json *j) { open_container(j, false); }
void json_arr_end(struct json *j) { close_container(j, false); }

/* utf8_len: length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	uint32_t cp, min;
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; min = 0x80; }
	else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; min = 0x800; }
	else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; min = 0x10000; }
	else return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* json_escape: quoted, escaped string (see json.h for the rules). */
int json_escape(struct strbuf *out, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	strbuf_putc(out, '"');
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};
			strbuf_append(out, e, 2);
			i++;
		} else if (c < 0x20) {
			const char *e = NULL;
			switch (c) {
			case '\n': e = "\\n"; break;
			case '\r': e = "\\r"; break;
			case '\t': e = "\\t"; break;
			case '\b': e = "\\b"; break;
			case '\f': e = "\\f"; break;
			}
			if (e)
				strbuf_puts(out, e);
			else
				strbuf_printf(out, "\\u%04x", c);
			i++;
		} else if (c < 0x80) {
			size_t k = i;
			while (k < n && s[k] >= 0x20 && s[k] < 0x80 && s[k] != '"' && s[k] != '\\')
				k++;
			strbuf_append(out, s + i, k - i);
			i = k;
		} else {
			size_t l = utf8_len(s + i, n - i);
			if (l) {
				strbuf_append(out, s + i, l);
				i += l;
			} else {
				strbuf_puts(out, "\\ufffd");
				i++;
			}
		}
	}
	strbuf_putc(out, '"');
	return strbuf_error(out);
}

/* json_key: a member name, with the comma before it when needed. */
void json_key(struct json *j, const char *key)
{
	if (j->err)
		return;
	if (j->depth == 0 || !j->in_obj[j->depth] || j->want_value) {
		fail(j, -EINVAL);
		return;
	}
	if (j->has_item[j->depth])
		strbuf_putc(j->out, ',');
	if (j->break_depth == j->depth)
		strbuf_putc(j->out, '\n');
	j->has_item[j->depth] = true;
	json_escape(j->out, key, strlen(key));
	strbuf_putc(j->out, ':');
	j->want_value = true;
}

/* json_strn: a string value of n bytes. */
void json_strn(struct json *j, const char *s, size_t n)
{
	if (before_value(j))
		json_escape(j->out, s, n);
}

/* json_str: a string value; NULL is written as null. */
void json_str(struct json *j, const char *s)
{
	if (!s)
		json_null(j);
	else
		json_strn(j, s, strlen(s));
}

/* json_u64 / json_i64: integer values, exactly. */
void json_u64(struct json *j, uint64_t v)
{
	if (before_value(j))
		strbuf_printf(j->out, "%" PRIu64, v);
}

void json_i64(struct json *j, int64_t v)
{
	if (before_value(j))
		strbuf_printf(j->out, "%" PRId64, v);
}

/* json_double: the shortest %g text that reads back as v; null if not finite. */
void json_double(struct json *j, double v)
{
	if (!before_value(j))
		return;
	if (!isfinite(v)) {
		strbuf_puts(j->out, "null");
		return;
	}
	/* the shortest of %.15g .. %.17g that reads back exactly */
	char buf[40];
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	strbuf_puts(j->out, buf);
}

/* json_bool: true or false. */
void json_bool(struct json *j, bool v)
{
	if (before_value(j))
		strbuf_puts(j->out, v ? "true" : "false");
}

/* json_null: null. */
void json_null(struct json *j)
{
	if (before_value(j))
		strbuf_puts(j->out, "null");
}

/* json_kv_*: json_key then the value. */
void json_kv_str(struct json *j, const char *key, const char *s) { json_key(j, key); json_str(j, s); }
void json_kv_u64(struct json *j, const char *key, uint64_t v) { json_key(j, key); json_u64(j, v); }
void json_kv_i64(struct json *j, const char *key, int64_t v) { json_key(j, key); json_i64(j, v); }
void json_kv_bool(struct json *j, const char *key, bool v) { json_key(j, key); json_bool(j, v); }
void json_kv_double(struct json *j, const char *key, double v) { json_key(j, key); json_double(j, v); }

/* json_finish: 0 for one complete, well-formed value (see json.h). */
int json_finish(const struct json *j)
{
	if (j->err)
		return j->err;
	if (strbuf_error(j->out))
		return -ENOMEM;
	if (j->depth != 0 || j->want_value || !j->has_item[0])
		return -EINVAL;
	return 0;
}
