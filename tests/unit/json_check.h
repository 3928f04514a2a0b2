/* json_check.h: header-only strict JSON (RFC 8259) validator for tests:
 * json_valid(text, len) is true iff text is exactly one JSON value
 * (surrounding whitespace allowed). Depth is bounded at 64. */
#ifndef NB_TEST_JSON_CHECK_H
#define NB_TEST_JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct jc { const char *p, *end; int depth; };

static inline void jc_ws(struct jc *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static inline bool jc_lit(struct jc *c, const char *lit)
{
	size_t n = strlen(lit);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n))
		return false;
	c->p += n;
	return true;
}

static inline bool jc_hex(char h)
{
	return (h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F');
}

static inline bool jc_string(struct jc *c)
{
	if (c->p >= c->end || *c->p != '"')
		return false;
	c->p++;
	while (c->p < c->end) {
		unsigned char ch = (unsigned char)*c->p++;
		if (ch == '"')
			return true;
		if (ch < 0x20)
			return false;
		if (ch == '\\') {
			if (c->p >= c->end)
				return false;
			char e = *c->p++;
			if (e == 'u') {
				for (int i = 0; i < 4; i++)
					if (c->p >= c->end || !jc_hex(*c->p++))
						return false;
			} else if (!strchr("\"\\/bfnrt", e)) {
				return false;
			}
		}
	}
	return false;
}

static inline bool jc_digits(struct jc *c)
{
	const char *s = c->p;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	return c->p > s;
}

static inline bool jc_number(struct jc *c)
{
	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p < c->end && *c->p == '0')
		c->p++;
	else if (!jc_digits(c))
		return false;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (!jc_digits(c))
			return false;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (!jc_digits(c))
			return false;
	}
	return true;
}

static inline bool jc_value(struct jc *c)
{
	jc_ws(c);
	if (c->p >= c->end || ++c->depth > 64)
		return false;
	bool ok;
	char ch = *c->p;
	if (ch == '{' || ch == '[') {
		char close = ch == '{' ? '}' : ']';
		c->p++;
		jc_ws(c);
		if (c->p < c->end && *c->p == close) {
			c->p++;
			c->depth--;
			return true;
		}
		for (;;) {
			if (ch == '{') {
				jc_ws(c);
				if (!jc_string(c))
					return false;
				jc_ws(c);
				if (c->p >= c->end || *c->p++ != ':')
					return false;
			}
			if (!jc_value(c))
				return false;
			jc_ws(c);
			if (c->p >= c->end)
				return false;
			if (*c->p == ',') {
				c->p++;
				continue;
			}
			if (*c->p++ != close)
				return false;
			break;
		}
		ok = true;
	} else if (ch == '"') {
		ok = jc_string(c);
	} else if (ch == 't') {
		ok = jc_lit(c, "true");
	} else if (ch == 'f') {
		ok = jc_lit(c, "false");
	} else if (ch == 'n') {
		ok = jc_lit(c, "null");
	} else {
		ok = jc_number(c);
	}
	c->depth--;
	return ok;
}

static inline bool json_valid(const char *text, size_t len)
{
	struct jc c = {text, text + len, 0};
	if (!jc_value(&c))
		return false;
	jc_ws(&c);
	return c.p == c.end;
}

#endif
