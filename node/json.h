/* json.h: a small streaming JSON writer (RFC 8259) on top of strbuf.
 *
 *   struct json j;
 *   json_init(&j, &sb);
 *   json_obj_begin(&j);
 *     json_kv_str(&j, "proto", "tcp");
 *     json_key(&j, "ports"); json_arr_begin(&j); json_u64(&j, 80); json_arr_end(&j);
 *   json_obj_end(&j);
 *   if (json_finish(&j)) ... error
 *
 * The writer inserts commas and colons itself and escapes strings (quote,
 * backslash, control characters as \uXXXX; bytes >= 0x80 that do not form
 * valid UTF-8 are written as \uFFFD). Misuse (a value where a key is due,
 * unbalanced nesting, nesting deeper than JSON_DEPTH_MAX) is recorded and
 * reported by json_finish(), never silently accepted.
 */
#ifndef NB_JSON_H
#define NB_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "strbuf.h"

#define JSON_DEPTH_MAX 32

struct json {
	struct strbuf *out;
	int depth;
	bool in_obj[JSON_DEPTH_MAX];  /* container kind at each level */
	bool has_item[JSON_DEPTH_MAX]; /* a comma is due before the next item */
	bool want_value;              /* a key was written; its value is due */
	int break_depth;              /* items at this depth start a new line (0: none) */
	int err;                      /* first error, negative errno */
};

/* json_init: a writer appending to out (which it does not own). */
void json_init(struct json *j, struct strbuf *out);
void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
/* json_key: the next member's name (inside an object only). */
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s);
/* json_strn: a string of n bytes (may hold NULs, written as \u0000). */
void json_strn(struct json *j, const char *s, size_t n);
void json_u64(struct json *j, uint64_t v);
void json_i64(struct json *j, int64_t v);
/* json_double: finite values as %.17g-style shortest text; NaN/inf as null. */
void json_double(struct json *j, double v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* Convenience: key and value in one call. */
void json_kv_str(struct json *j, const char *key, const char *s);
void json_kv_u64(struct json *j, const char *key, uint64_t v);
void json_kv_i64(struct json *j, const char *key, int64_t v);
void json_kv_bool(struct json *j, const char *key, bool v);
void json_kv_double(struct json *j, const char *key, double v);
/* json_break_items: every later item (member or element) of the container
 * now open starts on a new line, so a long document reaches a line-based
 * reader (the control protocol) as lines of one item each. */
void json_break_items(struct json *j);
/* json_finish: 0 if the document is complete and well formed, -EINVAL on
 * misuse or unclosed containers, -ENOMEM if the buffer could not grow. */
int json_finish(const struct json *j);
/* json_escape: appends s[0..n) as a quoted JSON string to out. 0 or -ENOMEM. */
int json_escape(struct strbuf *out, const char *s, size_t n);

#endif
