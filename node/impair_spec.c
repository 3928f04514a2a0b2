/* impair_spec.c: parse and format link-impairment specs (see impair_spec.h).
 *
 * Percentages are parsed as exact decimals into parts per 1e9 of probability
 * and only then divided, so format(parse(x)) parses back to the very same
 * doubles; times and sizes use the node's own unit parsers. */
#include "impair_spec.h"
#include "params.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PPB 1000000000ull            /* probability 1.0 in parts per 1e9 */
#define DELAY_MAX NB_SEC(60)
#define RATE_MAX 1000000000000ull    /* 1 Tbit/s */
#define QUEUE_BYTES_MAX (1ull << 30)
#define QUEUE_PACKETS_MAX 1000000ull
#define DROP_NUM_MAX 1000000000000000000ull

struct cur {                          /* parser cursor over the token list */
	const char *const *tok;
	int n, i;
	struct impair_err *err;
};

static int fail(struct cur *c, int at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct cur *c, int at, const char *fmt, ...)
{
	va_list ap;
	c->err->tok = at;
	c->err->off = 0;
	va_start(ap, fmt);
	vsnprintf(c->err->msg, sizeof c->err->msg, fmt, ap);
	va_end(ap);
	return -1;
}

/* next: the value token after keyword `kw`, or NULL with an error. */
static const char *next(struct cur *c, const char *kw, const char *want)
{
	if (c->i >= c->n) {
		fail(c, c->n, "'%s' wants %s", kw, want);
		return NULL;
	}
	return c->tok[c->i++];
}

static bool is_num_start(const char *s) { return (*s >= '0' && *s <= '9') || *s == '.'; }

/* parse_ppb: "12.5%" -> 125000000 (parts per 1e9 of probability). At most 7
 * decimals (1e-9 resolution). 0, -1 (syntax) or -2 (above 100%). */
static int parse_ppb(const char *s, uint64_t *out)
{
	uint64_t whole = 0, frac = 0;
	int nd = 0, nf = 0;
	const char *p = s;
	for (; *p >= '0' && *p <= '9'; p++, nd++) {
		if (whole > 1000)
			return -2;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, nf++) {
			if (nf >= 7)
				return -1;
			frac = frac * 10 + (uint64_t)(*p - '0');
		}
	}
	if ((nd == 0 && nf == 0) || strcmp(p, "%"))
		return -1;
	for (int k = nf; k < 7; k++)
		frac *= 10;
	if (whole > 100)
		return -2;
	uint64_t v = whole * 10000000ull + frac;
	if (v > PPB)
		return -2;
	*out = v;
	return 0;
}

static int pct_value(struct cur *c, const char *kw, uint64_t *ppb)
{
	int at = c->i;
	const char *v = next(c, kw, "a percentage such as 1% or 0.5%");
	if (!v)
		return -1;
	int rc = parse_ppb(v, ppb);
	if (rc == -2)
		return fail(c, at, "'%s' must be between 0%% and 100%%, not '%s'", kw, v);
	if (rc)
		return fail(c, at, "'%s' wants a percentage such as 1%% or 0.5%%, not '%s'", kw, v);
	return 0;
}

static int pct(struct cur *c, const char *kw, double *out)
{
	uint64_t ppb;
	if (pct_value(c, kw, &ppb))
		return -1;
	*out = (double)ppb / (double)PPB;
	return 0;
}

static int time_value(struct cur *c, const char *kw, uint64_t *out)
{
	int at = c->i;
	const char *v = next(c, kw, "a time such as 5ms or 1.5s");
	nb_time_t t;
	if (!v)
		return -1;
	if (nb_parse_time(v, &t))
		return fail(c, at, "'%s' wants a time such as 5ms or 1.5s, not '%s'", kw, v);
	if (t > DELAY_MAX)
		return fail(c, at, "'%s' must be at most 60s, not '%s'", kw, v);
	*out = t;
	return 0;
}

static int whole_value(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > max / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

static int opt_delay(struct cur *c, struct impair_spec *s)
{
	int at = c->i, jat = -1;
	if (time_value(c, "delay", &s->delay_ns))
		return -1;
	unsigned seen = 0;
	while (c->i < c->n) {
		const char *k = c->tok[c->i];
		int kat = c->i;
		unsigned bit = !strcmp(k, "jitter") ? 1 : !strcmp(k, "dist") ? 2 : !strcmp(k, "reorder-ok") ? 4 : 0;
		if (!bit)
			break;
		if (seen & bit)
			return fail(c, kat, "'%s' given twice", k);
		seen |= bit;
		c->i++;
		if (bit == 1) {
			jat = c->i;
			if (time_value(c, "jitter", &s->jitter_ns))
				return -1;
		} else if (bit == 2) {
			const char *v = next(c, "dist", "uniform or normal");
			if (!v)
				return -1;
			if (!strcmp(v, "uniform"))
				s->jitter_dist = IMPAIR_DIST_UNIFORM;
			else if (!strcmp(v, "normal"))
				s->jitter_dist = IMPAIR_DIST_NORMAL;
			else
				return fail(c, kat + 1, "'dist' wants uniform or normal, not '%s'", v);
		} else {
			s->reorder_ok = true;
		}
	}
	if (s->jitter_ns > s->delay_ns)
		return fail(c, jat, "jitter %s is larger than the delay %s it varies", c->tok[jat], c->tok[at]);
	return 0;
}

static int opt_loss(struct cur *c, struct impair_spec *s)
{
	if (c->i < c->n && !strcmp(c->tok[c->i], "gilbert")) {
		uint64_t bad = PPB, good = 0;
		c->i++;
		if (pct(c, "gilbert", &s->ge.p) || pct(c, "gilbert", &s->ge.r))
			return -1;
		if (c->i < c->n && is_num_start(c->tok[c->i])) {
			if (pct_value(c, "gilbert", &bad))
				return -1;
			if (c->i < c->n && is_num_start(c->tok[c->i]) && pct_value(c, "gilbert", &good))
				return -1;
		}
		s->gilbert = true;
		s->ge.h = (double)(PPB - bad) / (double)PPB;
		s->ge.k = (double)(PPB - good) / (double)PPB;
		s->loss = 0;
		return 0;
	}
	s->gilbert = false;
	return pct(c, "loss", &s->loss);
}

/* drop_add: inserts lo..hi into the sorted, distinct list. */
static int drop_add(struct cur *c, int at, struct impair_spec *s, uint64_t lo, uint64_t hi)
{
	for (uint64_t v = lo; v <= hi; v++) {
		uint32_t j = s->drop_count;
		while (j > 0 && s->drop[j - 1] > v)
			j--;
		if (j > 0 && s->drop[j - 1] == v)
			continue;
		if (s->drop_count >= IMPAIR_DROP_MAX)
			return fail(c, at, "'drop' lists more than %d packets", IMPAIR_DROP_MAX);
		memmove(&s->drop[j + 1], &s->drop[j], (s->drop_count - j) * sizeof s->drop[0]);
		s->drop[j] = v;
		s->drop_count++;
	}
	return 0;
}

/* drop_item: "7" or "5-9" (one comma-separated item of a drop list). */
static int drop_item(struct cur *c, int at, struct impair_spec *s, const char *item, size_t len)
{
	char buf[48], *dash;
	uint64_t lo, hi;
	if (len == 0 || len >= sizeof buf)
		return fail(c, at, "'drop' wants packet numbers such as 3 or 3,5-7, not '%s'", c->tok[at]);
	memcpy(buf, item, len);
	buf[len] = 0;
	dash = strchr(buf, '-');
	if (dash)
		*dash = 0;
	if (whole_value(buf, DROP_NUM_MAX, &lo) || (dash && whole_value(dash + 1, DROP_NUM_MAX, &hi)))
		return fail(c, at, "'drop' wants packet numbers such as 3 or 3,5-7, not '%s'", c->tok[at]);
	if (!dash)
		hi = lo;
	if (lo == 0)
		return fail(c, at, "'drop' counts packets from 1, not 0");
	if (hi < lo)
		return fail(c, at, "'drop' range %" PRIu64 "-%" PRIu64 " runs backwards", lo, hi);
	if (hi - lo >= IMPAIR_DROP_MAX)
		return fail(c, at, "'drop' lists more than %d packets", IMPAIR_DROP_MAX);
	return drop_add(c, at, s, lo, hi);
}

static int opt_drop(struct cur *c, struct impair_spec *s)
{
	s->drop_count = 0;
	if (c->i >= c->n)
		return fail(c, c->n, "'drop' wants packet numbers such as 3 or 3,5-7");
	for (;;) {                   /* "3, 5" is forgiven: a token ending in ',' continues */
		int at = c->i++;
		const char *t = c->tok[at], *p = t;
		for (;;) {
			const char *comma = strchr(p, ',');
			size_t len = comma ? (size_t)(comma - p) : strlen(p);
			if (comma && !comma[1])
				break;
			if (drop_item(c, at, s, p, len))
				return -1;
			if (!comma)
				return 0;
			p = comma + 1;
		}
		if (drop_item(c, at, s, p, strlen(p) - 1))
			return -1;
		if (c->i >= c->n)
			return fail(c, c->n, "'drop' list ends with ','");
	}
}

static int opt_reorder(struct cur *c, struct impair_spec *s)
{
	s->reorder_gap = 1;
	if (pct(c, "reorder", &s->reorder))
		return -1;
	if (c->i < c->n && !strcmp(c->tok[c->i], "gap")) {
		int at = ++c->i;
		uint64_t g;
		const char *v = next(c, "gap", "a whole number of packets >= 1");
		if (!v)
			return -1;
		if (whole_value(v, 1000000, &g) || g == 0)
			return fail(c, at, "'gap' wants a whole number of packets from 1 to 1000000, not '%s'", v);
		s->reorder_gap = (uint32_t)g;
	}
	return 0;
}

static const struct { const char *unit; uint64_t scale; } rate_units[] = {
	{"bit", 1}, {"Kbit", 1000}, {"kbit", 1000}, {"Mbit", 1000000}, {"Gbit", 1000000000},
	{"bps", 1}, {"Kbps", 1000}, {"kbps", 1000}, {"Mbps", 1000000}, {"Gbps", 1000000000},
};

/* parse_rate: "10Mbit", "1.5Gbit", "9600bps" -> bits per second (whole). */
static int parse_rate(const char *s, uint64_t *out)
{
	uint64_t whole = 0, frac = 0, fscale = 1;
	const char *p = s;
	int nd = 0;
	for (; *p >= '0' && *p <= '9'; p++, nd++) {
		if (whole > RATE_MAX)
			return -2;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, nd++) {
			if (fscale >= 1000000000)
				return -1;
			frac = frac * 10 + (uint64_t)(*p - '0');
			fscale *= 10;
		}
	}
	if (nd == 0)
		return -1;
	for (size_t i = 0; i < sizeof rate_units / sizeof rate_units[0]; i++) {
		if (strcmp(p, rate_units[i].unit))
			continue;
		uint64_t sc = rate_units[i].scale;
		if (whole > RATE_MAX / sc)
			return -2;
		if ((frac * sc) % fscale)
			return -3;               /* not a whole number of bits */
		uint64_t v = whole * sc + frac * sc / fscale;
		if (v > RATE_MAX)
			return -2;
		*out = v;
		return 0;
	}
	return -1;
}

static int opt_rate(struct cur *c, struct impair_spec *s)
{
	int at = c->i;
	const char *v = next(c, "rate", "a rate such as 10Mbit or 512Kbit");
	if (!v)
		return -1;
	if (!strcmp(v, "unlimited")) {
		s->rate_bps = 0;
		return 0;
	}
	int rc = parse_rate(v, &s->rate_bps);
	if (rc == -2)
		return fail(c, at, "'rate' must be at most 1000Gbit, not '%s'", v);
	if (rc == -3)
		return fail(c, at, "'rate' must be a whole number of bits per second, not '%s'", v);
	if (rc)
		return fail(c, at, "'rate' wants a rate such as 10Mbit or 512Kbit (bits per second), not '%s'", v);
	if (s->rate_bps == 0)
		return fail(c, at, "'rate' must be above 0 (use 'rate unlimited' to lift a limit)");
	return 0;
}

static int opt_queue(struct cur *c, struct impair_spec *s)
{
	int at = c->i;
	const char *v = next(c, "queue", "a size such as 64KiB or a count such as 100 packets");
	uint64_t n;
	if (!v)
		return -1;
	s->queue_bytes = s->queue_packets = 0;
	if (c->i < c->n && (!strcmp(c->tok[c->i], "packets") || !strcmp(c->tok[c->i], "packet"))) {
		c->i++;
		if (whole_value(v, QUEUE_PACKETS_MAX, &n) || n == 0)
			return fail(c, at, "'queue' wants from 1 to %llu packets, not '%s'", QUEUE_PACKETS_MAX, v);
		s->queue_packets = n;
		return 0;
	}
	if (nb_parse_size(v, &n))
		return fail(c, at, "'queue' wants a size such as 64KiB or a count such as '100 packets', not '%s'", v);
	if (n == 0 || n > QUEUE_BYTES_MAX)
		return fail(c, at, "'queue' must be between 1B and 1GiB, not '%s'", v);
	s->queue_bytes = n;
	return 0;
}

static const char *const options[] = {"delay", "loss", "drop", "duplicate", "reorder", "corrupt", "rate", "queue"};
static const char *const subopts[] = {"jitter", "dist", "reorder-ok", "gilbert", "gap", "packets"};
static const char *const subopt_owner[] = {"delay", "delay", "delay", "loss", "reorder", "queue"};

/* distance: edit distance of two short words (bounded to 32 chars). */
static int distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[33];
	if (la > 32 || lb > 32)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int diag = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int up = row[j];
			int best = diag + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
			if (up + 1 < best) best = up + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static int unknown_option(struct cur *c, int at)
{
	const char *k = c->tok[at], *best = NULL;
	int bd = 99;
	for (size_t i = 0; i < sizeof subopts / sizeof subopts[0]; i++)
		if (!strcmp(k, subopts[i]))
			return fail(c, at, "'%s' belongs after '%s' (as in 'delay 10ms jitter 2ms')", k,
				    subopt_owner[i]);
	for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
		int d = distance(k, options[i]);
		if (d < bd) {
			bd = d;
			best = options[i];
		}
	}
	if (best && bd <= (strlen(k) <= 4 ? 1 : 2))
		return fail(c, at, "unknown link option '%.40s'; did you mean '%s'?", k, best);
	return fail(c, at, "unknown link option '%.40s' (expected delay, loss, drop, duplicate, reorder, "
		    "corrupt, rate or queue)", k);
}

void impair_spec_init(struct impair_spec *s)
{
	memset(s, 0, sizeof *s);
	s->reorder_gap = 1;
}

int impair_spec_parse(const char *const *tok, int ntok, struct impair_spec *out, struct impair_err *err)
{
	struct cur c = {tok, ntok, 0, err};
	impair_spec_init(out);
	if (ntok > IMPAIR_TOKENS_MAX)
		return fail(&c, IMPAIR_TOKENS_MAX, "too many words in an impairment (at most %d)", IMPAIR_TOKENS_MAX);
	while (c.i < c.n) {
		int at = c.i++;
		const char *k = tok[at];
		size_t i;
		for (i = 0; i < sizeof options / sizeof options[0]; i++)
			if (!strcmp(k, options[i]))
				break;
		if (i == sizeof options / sizeof options[0])
			return unknown_option(&c, at);
		uint32_t bit = 1u << i;
		if (out->has & bit)
			return fail(&c, at, "'%s' given twice", k);
		out->has |= bit;
		int rc;
		switch (bit) {
		case IMPAIR_HAS_DELAY: rc = opt_delay(&c, out); break;
		case IMPAIR_HAS_LOSS: rc = opt_loss(&c, out); break;
		case IMPAIR_HAS_DROP: rc = opt_drop(&c, out); break;
		case IMPAIR_HAS_DUPLICATE: rc = pct(&c, "duplicate", &out->duplicate); break;
		case IMPAIR_HAS_REORDER: rc = opt_reorder(&c, out); break;
		case IMPAIR_HAS_CORRUPT: rc = pct(&c, "corrupt", &out->corrupt); break;
		case IMPAIR_HAS_RATE: rc = opt_rate(&c, out); break;
		default: rc = opt_queue(&c, out); break;
		}
		if (rc)
			return -1;
	}
	return 0;
}

int impair_spec_parse_str(const char *s, struct impair_spec *out, struct impair_err *err)
{
	char buf[IMPAIR_SPEC_TEXT_MAX];
	const char *tok[IMPAIR_TOKENS_MAX + 1];
	size_t off[IMPAIR_TOKENS_MAX + 1];
	size_t len = strnlen(s, sizeof buf);
	int n = 0;
	if (len >= sizeof buf) {
		impair_spec_init(out);
		err->tok = 0;
		err->off = 0;
		snprintf(err->msg, sizeof err->msg, "impairment text longer than %d bytes", IMPAIR_SPEC_TEXT_MAX - 1);
		return -1;
	}
	memcpy(buf, s, len + 1);
	for (size_t i = 0; i < len;) {
		while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r'))
			buf[i++] = 0;
		if (i >= len)
			break;
		if (n > IMPAIR_TOKENS_MAX)
			break;
		off[n] = i;
		tok[n++] = &buf[i];
		while (i < len && buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n' && buf[i] != '\r')
			i++;
	}
	int rc = impair_spec_parse(tok, n, out, err);
	if (rc)
		err->off = err->tok < n ? off[err->tok] : len;
	return rc;
}

/* Formatting: an appender that counts what it could not write. */
struct out {
	char *buf;
	size_t len, pos;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = o->pos < o->len ? o->len - o->pos : 0;
	int n = vsnprintf(room ? o->buf + o->pos : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->pos += (size_t)n;
}

static void put_time(struct out *o, uint64_t v)
{
	if (v % NB_SEC(1) == 0) put(o, "%" PRIu64 "s", v / NB_SEC(1));
	else if (v % NB_MS(1) == 0) put(o, "%" PRIu64 "ms", v / NB_MS(1));
	else if (v % NB_US(1) == 0) put(o, "%" PRIu64 "us", v / NB_US(1));
	else put(o, "%" PRIu64 "ns", v);
}

static uint64_t to_ppb(double p)
{
	if (!(p > 0))
		return 0;
	if (p >= 1)
		return PPB;
	return (uint64_t)llround(p * (double)PPB);
}

/* put_ppb: 125000000 -> "12.5%". */
static void put_ppb(struct out *o, uint64_t v)
{
	uint64_t whole = v / 10000000ull, frac = v % 10000000ull;
	if (!frac) {
		put(o, " %" PRIu64 "%%", whole);
		return;
	}
	char f[8];
	snprintf(f, sizeof f, "%07" PRIu64, frac);
	for (int i = 6; i > 0 && f[i] == '0'; i--)
		f[i] = 0;
	put(o, " %" PRIu64 ".%s%%", whole, f);
}

static void put_size(struct out *o, uint64_t v)
{
	if (v % (1ull << 30) == 0) put(o, "%" PRIu64 "GiB", v >> 30);
	else if (v % (1ull << 20) == 0) put(o, "%" PRIu64 "MiB", v >> 20);
	else if (v % 1024 == 0) put(o, "%" PRIu64 "KiB", v >> 10);
	else put(o, "%" PRIu64 "B", v);
}

static void put_drop(struct out *o, const struct impair_spec *s)
{
	uint32_t n = s->drop_count < IMPAIR_DROP_MAX ? s->drop_count : IMPAIR_DROP_MAX;
	put(o, "drop ");
	for (uint32_t i = 0; i < n;) {
		uint32_t j = i;
		while (j + 1 < n && s->drop[j + 1] == s->drop[j] + 1)
			j++;
		put(o, "%s%" PRIu64, i ? "," : "", s->drop[i]);
		if (j >= i + 2)
			put(o, "-%" PRIu64, s->drop[j]);
		else if (j == i + 1)
			put(o, ",%" PRIu64, s->drop[j]);
		i = j + 1;
	}
}

int impair_spec_format(const struct impair_spec *s, char *buf, size_t len)
{
	struct out o = {buf, len, 0};
	const char *sep = "";
	if (len)
		buf[0] = 0;
	for (uint32_t bit = 1; bit <= IMPAIR_HAS_QUEUE; bit <<= 1) {
		if (!(s->has & bit))
			continue;
		put(&o, "%s", sep);
		sep = " ";
		switch (bit) {
		case IMPAIR_HAS_DELAY:
			put(&o, "delay ");
			put_time(&o, s->delay_ns);
			if (s->jitter_ns) {
				put(&o, " jitter ");
				put_time(&o, s->jitter_ns);
			}
			if (s->jitter_dist == IMPAIR_DIST_NORMAL)
				put(&o, " dist normal");
			if (s->reorder_ok)
				put(&o, " reorder-ok");
			break;
		case IMPAIR_HAS_LOSS:
			if (s->gilbert) {
				put(&o, "loss gilbert");
				put_ppb(&o, to_ppb(s->ge.p));
				put_ppb(&o, to_ppb(s->ge.r));
				put_ppb(&o, PPB - to_ppb(s->ge.h));
				put_ppb(&o, PPB - to_ppb(s->ge.k));
			} else {
				put(&o, "loss");
				put_ppb(&o, to_ppb(s->loss));
			}
			break;
		case IMPAIR_HAS_DROP: put_drop(&o, s); break;
		case IMPAIR_HAS_DUPLICATE: put(&o, "duplicate"); put_ppb(&o, to_ppb(s->duplicate)); break;
		case IMPAIR_HAS_REORDER:
			put(&o, "reorder");
			put_ppb(&o, to_ppb(s->reorder));
			if (s->reorder_gap > 1)
				put(&o, " gap %" PRIu32, s->reorder_gap);
			break;
		case IMPAIR_HAS_CORRUPT: put(&o, "corrupt"); put_ppb(&o, to_ppb(s->corrupt)); break;
		case IMPAIR_HAS_RATE: {
			uint64_t r = s->rate_bps;
			if (!r) put(&o, "rate unlimited");
			else if (r % 1000000000 == 0) put(&o, "rate %" PRIu64 "Gbit", r / 1000000000);
			else if (r % 1000000 == 0) put(&o, "rate %" PRIu64 "Mbit", r / 1000000);
			else if (r % 1000 == 0) put(&o, "rate %" PRIu64 "Kbit", r / 1000);
			else put(&o, "rate %" PRIu64 "bit", r);
			break;
		}
		default:
			if (s->queue_packets) {
				put(&o, "queue %" PRIu64 " packets", s->queue_packets);
			} else {
				put(&o, "queue ");
				put_size(&o, s->queue_bytes);
			}
			break;
		}
	}
	return o.pos > INT32_MAX ? INT32_MAX : (int)o.pos;
}

void impair_spec_merge(struct impair_spec *dst, const struct impair_spec *src)
{
	uint32_t h = src->has;
	if (h & IMPAIR_HAS_DELAY) {
		dst->delay_ns = src->delay_ns;
		dst->jitter_ns = src->jitter_ns;
		dst->jitter_dist = src->jitter_dist;
		dst->reorder_ok = src->reorder_ok;
	}
	if (h & IMPAIR_HAS_LOSS) {
		dst->loss = src->loss;
		dst->gilbert = src->gilbert;
		dst->ge = src->ge;
	}
	if (h & IMPAIR_HAS_DROP) {
		dst->drop_count = src->drop_count < IMPAIR_DROP_MAX ? src->drop_count : IMPAIR_DROP_MAX;
		memcpy(dst->drop, src->drop, dst->drop_count * sizeof dst->drop[0]);
	}
	if (h & IMPAIR_HAS_DUPLICATE)
		dst->duplicate = src->duplicate;
	if (h & IMPAIR_HAS_REORDER) {
		dst->reorder = src->reorder;
		dst->reorder_gap = src->reorder_gap;
	}
	if (h & IMPAIR_HAS_CORRUPT)
		dst->corrupt = src->corrupt;
	if (h & IMPAIR_HAS_RATE)
		dst->rate_bps = src->rate_bps;
	if (h & IMPAIR_HAS_QUEUE) {
		dst->queue_bytes = src->queue_bytes;
		dst->queue_packets = src->queue_packets;
	}
	dst->has |= h;
}

bool impair_spec_equal(const struct impair_spec *a, const struct impair_spec *b)
{
	uint32_t h = a->has;
	if (a->has != b->has)
		return false;
	if ((h & IMPAIR_HAS_DELAY) && (a->delay_ns != b->delay_ns || a->jitter_ns != b->jitter_ns ||
				       a->jitter_dist != b->jitter_dist || a->reorder_ok != b->reorder_ok))
		return false;
	if ((h & IMPAIR_HAS_LOSS) && (a->gilbert != b->gilbert ||
				      (a->gilbert ? memcmp(&a->ge, &b->ge, sizeof a->ge) != 0 : a->loss != b->loss)))
		return false;
	if ((h & IMPAIR_HAS_DROP) && (a->drop_count != b->drop_count || a->drop_count > IMPAIR_DROP_MAX ||
				      memcmp(a->drop, b->drop, a->drop_count * sizeof a->drop[0])))
		return false;
	if ((h & IMPAIR_HAS_DUPLICATE) && a->duplicate != b->duplicate)
		return false;
	if ((h & IMPAIR_HAS_REORDER) && (a->reorder != b->reorder || a->reorder_gap != b->reorder_gap))
		return false;
	if ((h & IMPAIR_HAS_CORRUPT) && a->corrupt != b->corrupt)
		return false;
	if ((h & IMPAIR_HAS_RATE) && a->rate_bps != b->rate_bps)
		return false;
	if ((h & IMPAIR_HAS_QUEUE) && (a->queue_bytes != b->queue_bytes || a->queue_packets != b->queue_packets))
		return false;
	return true;
}

bool impair_spec_is_noop(const struct impair_spec *s)
{
	uint32_t h = s->has;
	return !((h & IMPAIR_HAS_DELAY) && s->delay_ns) &&
	       !((h & IMPAIR_HAS_LOSS) && (s->gilbert ? (s->ge.p > 0 && s->ge.h < 1) || s->ge.k < 1 : s->loss > 0)) &&
	       !((h & IMPAIR_HAS_DROP) && s->drop_count) &&
	       !((h & IMPAIR_HAS_DUPLICATE) && s->duplicate > 0) &&
	       !((h & IMPAIR_HAS_REORDER) && s->reorder > 0) &&
	       !((h & IMPAIR_HAS_CORRUPT) && s->corrupt > 0) &&
	       !((h & IMPAIR_HAS_RATE) && s->rate_bps);
}
