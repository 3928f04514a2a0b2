/* params.c: the parameter table's defaults, parser and formatter, and the
 * unit parsers shared with the controller's topology parser. */
#include "params.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct param_desc {
	const char *name;
	enum nb_param_kind kind;
	size_t offset;
	uint64_t def, lo, hi;
};

static const struct param_desc param_table[] = {
#define NB_PARAM_DESC(field, name, kind, def, lo, hi) \
	{name, kind, offsetof(struct nb_params, field), (uint64_t)(def), (uint64_t)(lo), (uint64_t)(hi)},
	NB_PARAMS(NB_PARAM_DESC)
#undef NB_PARAM_DESC
};

void params_defaults(struct nb_params *p)
{
	for (size_t i = 0; i < NB_ARRAY_LEN(param_table); i++)
		*(uint64_t *)((char *)p + param_table[i].offset) = param_table[i].def;
}

/* parse_scaled: a decimal number followed by a unit from `units`; the value
 * times the unit's scale must be a whole, representable number. */
struct unit { const char *suffix; double scale; };

static int parse_scaled(const char *s, const struct unit *units, bool unit_required, uint64_t *out)
{
	char *end;
	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -1;
	for (const char *c = s; c < end; c++)   /* no hex, exponents or inf */
		if (!((*c >= '0' && *c <= '9') || *c == '.'))
			return -1;
	double scale = 0;
	if (!*end) {
		if (unit_required && v != 0)
			return -1;
		scale = 1;
	} else {
		for (const struct unit *u = units; u->suffix; u++)
			if (!strcmp(end, u->suffix))
				scale = u->scale;
		if (scale == 0)
			return -1;
	}
	double r = v * scale;
	if (r >= 18446744073709551615.0 || (r - floor(r) > 1e-6 && ceil(r) - r > 1e-6))
		return -1;
	*out = (uint64_t)(r + 1e-6);
	return 0;
}

int nb_parse_time(const char *s, nb_time_t *out)
{
	static const struct unit u[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9},
					{"min", 60e9}, {NULL, 0}};
	uint64_t v;
	if (parse_scaled(s, u, true, &v))
		return -1;
	*out = v;
	return 0;
}

int nb_parse_size(const char *s, uint64_t *out)
{
	static const struct unit u[] = {{"B", 1}, {"KiB", 1024.0}, {"MiB", 1048576.0},
					{"GiB", 1073741824.0}, {"kB", 1e3}, {"KB", 1e3},
					{"MB", 1e6}, {"GB", 1e9}, {NULL, 0}};
	return parse_scaled(s, u, false, out);
}

int nb_parse_bool(const char *s, bool *out)
{
	static const char *yes[] = {"on", "true", "yes", "1"}, *no[] = {"off", "false", "no", "0"};
	for (size_t i = 0; i < 4; i++) {
		if (!strcmp(s, yes[i])) { *out = true; return 0; }
		if (!strcmp(s, no[i])) { *out = false; return 0; }
	}
	return -1;
}

static const struct param_desc *param_find(const char *name)
{
	for (size_t i = 0; i < NB_ARRAY_LEN(param_table); i++)
		if (!strcmp(param_table[i].name, name))
			return &param_table[i];
	return NULL;
}

static void fmt_value(const struct param_desc *d, uint64_t v, char *buf, size_t len)
{
	switch (d->kind) {
	case NB_P_BOOL: snprintf(buf, len, "%s", v ? "on" : "off"); break;
	case NB_P_TIME:
		if (v % NB_SEC(1) == 0) snprintf(buf, len, "%" PRIu64 "s", v / NB_SEC(1));
		else if (v % NB_MS(1) == 0) snprintf(buf, len, "%" PRIu64 "ms", v / NB_MS(1));
		else if (v % NB_US(1) == 0) snprintf(buf, len, "%" PRIu64 "us", v / NB_US(1));
		else snprintf(buf, len, "%" PRIu64 "ns", v);
		break;
	default: snprintf(buf, len, "%" PRIu64, v); break;
	}
}

static int param_parse(const struct param_desc *d, const char *value, uint64_t *v, char *err, size_t errlen)
{
	bool b = false;
	int rc;
	switch (d->kind) {
	case NB_P_BOOL: rc = nb_parse_bool(value, &b); *v = b; break;
	case NB_P_TIME: rc = nb_parse_time(value, v); break;
	case NB_P_SIZE: rc = nb_parse_size(value, v); break;
	default: rc = nb_parse_size(value, v) || strpbrk(value, "BbKkMGi") ? -1 : 0; break;
	}
	if (rc) {
		static const char *what[] = {"a whole number", "on or off", "a time such as 200ms or 2s",
					     "a size such as 64KiB or 1MiB"};
		snprintf(err, errlen, "%s wants %s, not '%s'", d->name, what[d->kind], value);
		return -1;
	}
	if (*v < d->lo || *v > d->hi) {
		char lo[32], hi[32];
		fmt_value(d, d->lo, lo, sizeof lo);
		fmt_value(d, d->hi, hi, sizeof hi);
		snprintf(err, errlen, "%s must be between %s and %s, not %s", d->name, lo, hi, value);
		return -1;
	}
	return 0;
}

int params_check(const char *name, const char *value, char *err, size_t errlen)
{
	const struct param_desc *d = param_find(name);
	uint64_t v;
	if (!d) {
		snprintf(err, errlen, "unknown parameter '%s'", name);
		return -1;
	}
	return param_parse(d, value, &v, err, errlen);
}

int params_set(struct nb_params *p, const char *name, const char *value, char *err, size_t errlen)
{
	const struct param_desc *d = param_find(name);
	uint64_t v;
	if (!d) {
		snprintf(err, errlen, "unknown parameter '%s'", name);
		return -1;
	}
	if (param_parse(d, value, &v, err, errlen))
		return -1;
	*(uint64_t *)((char *)p + d->offset) = v;
	return 0;
}

int params_format(const struct nb_params *p, int i, char *buf, size_t len)
{
	if (i < 0 || (size_t)i >= NB_ARRAY_LEN(param_table))
		return -1;
	const struct param_desc *d = &param_table[i];
	char v[32];
	fmt_value(d, *(const uint64_t *)((const char *)p + d->offset), v, sizeof v);
	snprintf(buf, len, "%s %s", d->name, v);
	return 0;
}
