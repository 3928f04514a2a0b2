/* topo_decl.c: the lab's declarations: lab, seed, defaults, host (its
 * interfaces, routes, parameters), switch and link (its options and
 * per-direction lines). Names are resolved later, in topo_check.c. */
#include "topo_int.h"
#include "params.h"

#include <stdlib.h>
#include <string.h>

static const char *word(const struct topo_line *l, int i) { return i < l->ntok ? l->tok[i].s : NULL; }

/* --- lab, seed, defaults --- */

static void decl_lab(struct topo_ctx *cx, const struct topo_line *l)
{
	const char *n = word(l, 1);
	if (cx->lab_line) {
		topo_err_at(cx, l, 0, "second 'lab' line");
		topo_note_loc(cx, (struct topo_loc){cx->lab_line, 1}, "the lab is named here");
		return;
	}
	cx->lab_line = l->no;
	if (!n) {
		topo_err_at(cx, l, 1, "'lab' wants a name such as 'story'");
		return;
	}
	size_t len = strlen(n);
	for (const char *p = n; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-')) {
			topo_err_at(cx, l, 1, "lab name '%.64s' may only use a-z, 0-9 and '-'", n);
			return;
		}
	if (len > TOPO_LAB_MAX) {
		topo_err_at(cx, l, 1, "lab name '%.64s' is longer than %d characters", n, TOPO_LAB_MAX);
		return;
	}
	memcpy(cx->t->name, n, len + 1);
	topo_extra(cx, l, 2);
}

static void decl_seed(struct topo_ctx *cx, const struct topo_line *l)
{
	uint64_t v;
	if (cx->seed_line) {
		topo_err_at(cx, l, 0, "second 'seed' line");
		topo_note_loc(cx, (struct topo_loc){cx->seed_line, 1}, "the seed is set here");
		return;
	}
	cx->seed_line = l->no;
	if (topo_word_uint(cx, l, 1, "seed", 0, UINT64_MAX, &v))
		return;
	cx->t->seed = v;
	cx->t->seed_given = true;
	topo_extra(cx, l, 2);
}

/* param_suggest: "unknown parameter 'x'; did you mean 'y'?" at word i. */
static void param_suggest(struct topo_ctx *cx, const struct topo_line *l, int i)
{
	struct topo_suggest sg;
	struct nb_params p;
	char buf[80], line[128], keep[TOPO_PARAM_MAX] = "";
	params_defaults(&p);
	topo_suggest_init(&sg, l->tok[i].s);
	for (int k = 0; params_format(&p, k, line, sizeof line) == 0; k++) {
		char *sp = strchr(line, ' ');
		if (sp)
			*sp = 0;
		topo_suggest_try(&sg, line);
		if (sg.best == line) {       /* line is reused: keep a copy */
			snprintf(keep, sizeof keep, "%.*s", (int)sizeof keep - 1, line);
			sg.best = keep;
		}
	}
	topo_err_at(cx, l, i, "unknown parameter '%.64s'%s", l->tok[i].s, topo_suggest_text(&sg, buf, sizeof buf));
}

/* bad_bool: rejects a bad value of an on/off parameter before params_check
 * sees it (params_check reads an unset bool on that path). */
static bool bad_bool(const char *name, const char *value, char *err, size_t len)
{
	static const struct { const char *name; enum nb_param_kind kind; } table[] = {
#define TOPO_PARAM_KIND(field, pname, kind, def, lo, hi) {pname, kind},
		NB_PARAMS(TOPO_PARAM_KIND)
#undef TOPO_PARAM_KIND
	};
	bool b;
	for (size_t i = 0; i < NB_ARRAY_LEN(table); i++)
		if (!strcmp(table[i].name, name) && table[i].kind == NB_P_BOOL && nb_parse_bool(value, &b)) {
			snprintf(err, len, "%s wants on or off, not '%s'", name, value);
			return true;
		}
	return false;
}

/* topo_param_check: checks `NAME VALUE` at words i, i+1 with params_check. */
int topo_param_check(struct topo_ctx *cx, const struct topo_line *l, int i)
{
	char err[160];
	if (l->ntok <= i + 1) {
		if (l->ntok <= i)
			topo_err_at(cx, l, i, "'set' wants a parameter name such as tcp.msl");
		else
			topo_err_at(cx, l, i + 1, "'set %.64s' wants a value", l->tok[i].s);
		return -1;
	}
	if (bad_bool(l->tok[i].s, l->tok[i + 1].s, err, sizeof err) ||
	    params_check(l->tok[i].s, l->tok[i + 1].s, err, sizeof err)) {
		if (!strncmp(err, "unknown parameter", 17))
			param_suggest(cx, l, i);
		else
			topo_err_at(cx, l, i + 1, "%s", err);
		return -1;
	}
	if (strlen(l->tok[i].s) >= TOPO_PARAM_MAX || strlen(l->tok[i + 1].s) >= TOPO_PARAM_MAX) {
		topo_err_at(cx, l, i + 1, "value too long");
		return -1;
	}
	return topo_extra(cx, l, i + 2);
}

/* body_set: `set NAME VALUE` appended to a parameter list. */
static void body_set(struct topo_ctx *cx, const struct topo_line *l, struct topo_param **arr, int *n)
{
	if (topo_param_check(cx, l, 1))
		return;
	if (*n >= TOPO_PARAMS_MAX) {
		topo_err_at(cx, l, 0, "too many parameters (at most %d)", TOPO_PARAMS_MAX);
		return;
	}
	struct topo_param *p = realloc(*arr, (size_t)(*n + 1) * sizeof *p);
	if (!p) {
		topo_err_at(cx, l, 0, "out of memory");
		return;
	}
	*arr = p;
	p = &p[(*n)++];
	memset(p, 0, sizeof *p);
	strcpy(p->name, l->tok[1].s);
	strcpy(p->value, l->tok[2].s);
	p->loc = topo_loc_of(l, 0);
}

static void decl_defaults(struct topo_ctx *cx, const struct topo_line *l)
{
	if (cx->defaults_line) {
		topo_err_at(cx, l, 0, "second 'defaults' block");
		topo_note_loc(cx, (struct topo_loc){cx->defaults_line, 1}, "the first one is here");
		cx->blk = BLK_SKIP;
		return;
	}
	cx->defaults_line = l->no;
	cx->blk = BLK_DEFAULTS;
	topo_extra(cx, l, 1);
}

static void body_defaults(struct topo_ctx *cx, const struct topo_line *l)
{
	if (strcmp(l->tok[0].s, "set") || l->tok[0].quoted) {
		topo_err_at(cx, l, 0, "only 'set NAME VALUE' lines belong under 'defaults'");
		return;
	}
	body_set(cx, l, &cx->t->defaults, &cx->t->n_defaults);
}

/* --- host, switch --- */

/* name_taken: reports a host or switch of that name. */
static bool name_taken(struct topo_ctx *cx, const struct topo_line *l, int i)
{
	const char *n = l->tok[i].s;
	int h = topo_host_find(cx->t, n), s = topo_switch_find(cx->t, n);
	if (h < 0 && s < 0)
		return false;
	topo_err_at(cx, l, i, "'%s' is already defined", n);
	topo_note_loc(cx, h >= 0 ? cx->t->hosts[h].loc : cx->t->switches[s].loc, "'%s' is first defined here", n);
	return true;
}

static bool decl_name(struct topo_ctx *cx, const struct topo_line *l, const char *what)
{
	if (l->ntok < 2) {
		topo_err_at(cx, l, 1, "'%s' wants a name", what);
		return false;
	}
	if (!topo_name_ok(l->tok[1].s)) {
		topo_err_at(cx, l, 1, "%s name '%.64s' must start with a letter and use letters, digits, '_' or '-' "
			    "(at most %d)", what, l->tok[1].s, TOPO_NAME_MAX - 1);
		return false;
	}
	return !name_taken(cx, l, 1);
}

static void decl_host(struct topo_ctx *cx, const struct topo_line *l)
{
	static const char *const kinds[] = {"custom", "kernel", NULL};
	struct topo *t = cx->t;
	cx->blk = BLK_SKIP;
	if (!decl_name(cx, l, "host")) {
		if (l->ntok > 1)
			topo_poison(cx, l->tok[1].s);
		return;
	}
	if (topo_grow((void **)&t->hosts, t->n_hosts, &cx->cap_hosts, sizeof *t->hosts, TOPO_HOSTS_MAX)) {
		topo_err_at(cx, l, 0, "too many hosts (at most %d)", TOPO_HOSTS_MAX);
		return;
	}
	struct topo_host *h = &t->hosts[t->n_hosts];
	memset(h, 0, sizeof *h);
	strcpy(h->name, l->tok[1].s);
	h->loc = topo_loc_of(l, 1);
	h->kind = TOPO_HOST_CUSTOM;
	if (l->ntok > 2) {
		if (!strcmp(l->tok[2].s, "kernel"))
			h->kind = TOPO_HOST_KERNEL;
		else if (strcmp(l->tok[2].s, "custom"))
			topo_unknown_word(cx, l, 2, "host kind", kinds);
		topo_extra(cx, l, 3);
	}
	cx->blk = BLK_HOST;
	cx->blk_index = t->n_hosts++;
}

static void decl_switch(struct topo_ctx *cx, const struct topo_line *l)
{
	struct topo *t = cx->t;
	if (!decl_name(cx, l, "switch")) {
		if (l->ntok > 1)
			topo_poison(cx, l->tok[1].s);
		return;
	}
	if (topo_grow((void **)&t->switches, t->n_switches, &cx->cap_switches, sizeof *t->switches,
		      TOPO_SWITCHES_MAX)) {
		topo_err_at(cx, l, 0, "too many switches (at most %d)", TOPO_SWITCHES_MAX);
		return;
	}
	struct topo_switch *s = &t->switches[t->n_switches++];
	memset(s, 0, sizeof *s);
	strcpy(s->name, l->tok[1].s);
	s->loc = topo_loc_of(l, 1);
	topo_extra(cx, l, 2);
}

/* parse_cidr: "10.0.0.1/24". 0, or -1 with a reason. */
static int parse_cidr(const char *s, uint32_t *addr, int *prefix, const char **why)
{
	char buf[32];
	const char *slash = strchr(s, '/');
	uint64_t p = 0;
	if (!slash) {
		*why = "ADDRESS/PREFIX such as 10.0.0.1/24";
		return -1;
	}
	if ((size_t)(slash - s) >= sizeof buf || nb_ip4_parse((memcpy(buf, s, (size_t)(slash - s)),
							      buf[slash - s] = 0, buf), addr)) {
		*why = "an IPv4 address with a prefix, such as 10.0.0.1/24";
		return -1;
	}
	const char *d = slash + 1;
	if (!*d || strlen(d) > 2)
		p = 99;
	for (; *d && p != 99; d++)
		p = (*d >= '0' && *d <= '9') ? p * 10 + (uint64_t)(*d - '0') : 99;
	if (p < 1 || p > 32) {
		*why = "a prefix length from 1 to 32, as in 10.0.0.1/24";
		return -1;
	}
	*prefix = (int)p;
	return 0;
}

static bool mac_text_ok(const char *s)
{
	static const char hex[] = "0123456789abcdefABCDEF";
	if (strlen(s) != 17)
		return false;
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != ':' : !strchr(hex, s[i]))
			return false;
	return true;
}

bool topo_ifname_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= TOPO_IFNAME_MAX || !strcmp(s, "lo") || !((*s | 32) >= 'a' && (*s | 32) <= 'z'))
		return false;
	for (; *s; s++)
		if (!((*s | 32) >= 'a' && (*s | 32) <= 'z') && !(*s >= '0' && *s <= '9') && !strchr("_.-", *s))
			return false;
	return true;
}

static void body_iface(struct topo_ctx *cx, const struct topo_line *l, struct topo_host *h)
{
	static const char *const host_words[] = {"route", "set", "forward", NULL};
	const char *n = l->tok[0].s, *why = NULL;
	struct topo_iface f = {0};
	if (l->ntok < 2 || parse_cidr(l->tok[1].s, &f.addr, &f.prefix, &why)) {
		struct topo_suggest sg;
		topo_suggest_init(&sg, n);
		for (int i = 0; host_words[i]; i++)
			topo_suggest_try(&sg, host_words[i]);
		if (sg.best)
			topo_unknown_word(cx, l, 0, "host line", host_words);
		else if (l->ntok < 2)
			topo_err_at(cx, l, 1, "interface '%.64s' wants an address such as 10.0.0.1/24", n);
		else
			topo_err_at(cx, l, 1, "interface '%.32s' wants %s, not '%.64s'", n, why, l->tok[1].s);
		return;
	}
	if (!topo_ifname_ok(n)) {
		topo_err_at(cx, l, 0, "interface name '%.64s' must start with a letter, use letters, digits, '_', '.' "
			    "or '-', be at most %d long and not be 'lo'", n, TOPO_IFNAME_MAX - 1);
		return;
	}
	for (int i = 2; i < l->ntok; i += 2) {
		const char *k = l->tok[i].s;
		if (!strcmp(k, "mac") && !f.mac_given) {
			if (i + 1 >= l->ntok || !mac_text_ok(l->tok[i + 1].s) || nb_mac_parse(l->tok[i + 1].s, f.mac)) {
				topo_err_at(cx, l, i + 1, "'mac' wants an address such as 02:00:00:00:00:01");
				return;
			}
			if (f.mac[0] & 1) {
				topo_err_at(cx, l, i + 1, "MAC %s is a multicast address (first byte odd)", l->tok[i + 1].s);
				return;
			}
			f.mac_given = true;
		} else if (!strcmp(k, "mtu") && !f.mtu_given) {
			uint64_t v;
			if (topo_word_uint(cx, l, i + 1, "mtu", TOPO_MTU_MIN, TOPO_MTU_MAX, &v))
				return;
			f.mtu = (int)v;
			f.mtu_given = true;
		} else {
			static const char *const opts[] = {"mac", "mtu", NULL};
			if (!strcmp(k, "mac") || !strcmp(k, "mtu"))
				topo_err_at(cx, l, i, "'%s' given twice", k);
			else
				topo_unknown_word(cx, l, i, "interface option", opts);
			return;
		}
	}
	int dup = topo_iface_find(h, n);
	if (dup >= 0) {
		topo_err_at(cx, l, 0, "host '%s' already has an interface '%s'", h->name, n);
		topo_note_loc(cx, h->ifaces[dup].loc, "'%s' is first defined here", n);
		return;
	}
	if (h->n_ifaces >= TOPO_IFACES_MAX) {
		topo_err_at(cx, l, 0, "too many interfaces on host '%s' (at most %d)", h->name, TOPO_IFACES_MAX);
		return;
	}
	void *p = realloc(h->ifaces, (size_t)(h->n_ifaces + 1) * sizeof *h->ifaces);
	if (!p) {
		topo_err_at(cx, l, 0, "out of memory");
		return;
	}
	h->ifaces = p;
	strcpy(f.name, n);
	f.loc = topo_loc_of(l, 0);
	f.link = -1;
	h->ifaces[h->n_ifaces++] = f;
}

/* body_route: route DST/P|default [via GW] [dev IF]; dev is resolved later. */
static void body_route(struct topo_ctx *cx, const struct topo_line *l, struct topo_host *h)
{
	struct topo_route r = {0};
	const char *why;
	r.dev = -1;
	if (l->ntok < 2) {
		topo_err_at(cx, l, 1, "'route' wants a destination such as 10.1.0.0/16 or 'default'");
		return;
	}
	if (strcmp(l->tok[1].s, "default")) {
		if (parse_cidr(l->tok[1].s, &r.dst, &r.prefix, &why)) {
			topo_err_at(cx, l, 1, "'route' wants 'default' or %s, not '%.64s'", why, l->tok[1].s);
			return;
		}
		uint32_t mask = r.prefix ? ~0u << (32 - r.prefix) : 0;
		if (r.dst & ~mask) {
			char a[16];
			topo_err_at(cx, l, 1, "route destination '%s' has host bits set; did you mean '%s/%d'?",
				    l->tok[1].s, nb_ip4_fmt(r.dst & mask, a), r.prefix);
			return;
		}
	}
	bool via = false, dev = false;
	for (int i = 2; i < l->ntok; i += 2) {
		const char *k = l->tok[i].s;
		if (!strcmp(k, "via") && !via) {
			if (i + 1 >= l->ntok || nb_ip4_parse(l->tok[i + 1].s, &r.via)) {
				topo_err_at(cx, l, i + 1, "'via' wants a gateway address such as 10.0.0.254");
				return;
			}
			via = true;
		} else if (!strcmp(k, "dev") && !dev) {
			int f = i + 1 < l->ntok ? topo_iface_find(h, l->tok[i + 1].s) : -1;
			if (f < 0) {
				struct topo_suggest sg;
				char buf[80];
				if (i + 1 >= l->ntok) {
					topo_err_at(cx, l, i + 1, "'dev' wants an interface of host '%s'", h->name);
					return;
				}
				topo_suggest_init(&sg, l->tok[i + 1].s);
				for (int j = 0; j < h->n_ifaces; j++)
					topo_suggest_try(&sg, h->ifaces[j].name);
				topo_err_at(cx, l, i + 1, "host '%s' has no interface '%.64s'%s (declare interfaces "
					    "before routes)", h->name, l->tok[i + 1].s, topo_suggest_text(&sg, buf, sizeof buf));
				return;
			}
			r.dev = f;
			dev = true;
		} else {
			static const char *const opts[] = {"via", "dev", NULL};
			if (!strcmp(k, "via") || !strcmp(k, "dev"))
				topo_err_at(cx, l, i, "'%s' given twice", k);
			else
				topo_unknown_word(cx, l, i, "route option", opts);
			return;
		}
	}
	if (!via && !dev) {
		topo_err_at(cx, l, l->ntok, "'route' wants 'via GATEWAY' or 'dev INTERFACE'");
		return;
	}
	for (int i = 0; i < h->n_routes; i++)
		if (h->routes[i].dst == r.dst && h->routes[i].prefix == r.prefix) {
			topo_err_at(cx, l, 1, "host '%s' already has a route to %s", h->name, l->tok[1].s);
			topo_note_loc(cx, h->routes[i].loc, "the first one is here");
			return;
		}
	if (h->n_routes >= TOPO_ROUTES_MAX) {
		topo_err_at(cx, l, 0, "too many routes on host '%s' (at most %d)", h->name, TOPO_ROUTES_MAX);
		return;
	}
	void *p = realloc(h->routes, (size_t)(h->n_routes + 1) * sizeof *h->routes);
	if (!p) {
		topo_err_at(cx, l, 0, "out of memory");
		return;
	}
	h->routes = p;
	r.loc = topo_loc_of(l, 0);
	h->routes[h->n_routes++] = r;
}

static void body_host(struct topo_ctx *cx, const struct topo_line *l)
{
	struct topo_host *h = &cx->t->hosts[cx->blk_index];
	const char *k = l->tok[0].s;
	if (l->tok[0].quoted) {
		topo_err_at(cx, l, 0, "unexpected quoted word");
	} else if (!strcmp(k, "route")) {
		body_route(cx, l, h);
	} else if (!strcmp(k, "set")) {
		if (h->kind == TOPO_HOST_KERNEL) {
			topo_err_at(cx, l, 0, "'set' needs a custom host; '%s' is a kernel host (Linux's own stack)",
				    h->name);
			return;
		}
		int n = h->n_params;
		body_set(cx, l, &h->params, &h->n_params);
		if (h->n_params > n && !strcmp(h->params[n].name, "ip.forward")) {
			bool b = false;
			nb_parse_bool(h->params[n].value, &b);
			h->forward = b;
		}
	} else if (!strcmp(k, "forward")) {
		bool b;
		if (l->ntok < 2 || nb_parse_bool(l->tok[1].s, &b)) {
			topo_err_at(cx, l, 1, "'forward' wants on or off");
			return;
		}
		if (topo_extra(cx, l, 2))
			return;
		h->forward = b;
		if (h->kind == TOPO_HOST_CUSTOM) {
			void *p = realloc(h->params, (size_t)(h->n_params + 1) * sizeof *h->params);
			if (!p || h->n_params >= TOPO_PARAMS_MAX) {
				if (p)
					h->params = p;
				topo_err_at(cx, l, 0, "too many parameters or out of memory");
				return;
			}
			h->params = p;
			struct topo_param *pp = &h->params[h->n_params++];
			snprintf(pp->name, sizeof pp->name, "ip.forward");
			snprintf(pp->value, sizeof pp->value, "%s", b ? "on" : "off");
			pp->loc = topo_loc_of(l, 0);
		}
	} else {
		body_iface(cx, l, h);
	}
}

/* --- link --- */

/* end_ok: "host:if" or "switch", syntactically. */
static bool end_ok(const char *s)
{
	char buf[TOPO_NAME_MAX + TOPO_IFNAME_MAX];
	const char *c = strchr(s, ':');
	if (!c)
		return topo_name_ok(s);
	if ((size_t)(c - s) >= TOPO_NAME_MAX)
		return false;
	memcpy(buf, s, (size_t)(c - s));
	buf[c - s] = 0;
	return topo_name_ok(buf) && topo_ifname_ok(c + 1);
}

/* topo_spec_words: parses words [from, ntok) of l, skipping those marked in skip,
 * as an impairment spec. 0, or -1 after reporting at the offending word. */
int topo_spec_words(struct topo_ctx *cx, const struct topo_line *l, int from, const bool *skip,
		    struct impair_spec *out)
{
	const char *w[TOPO_TOKENS_MAX] = {NULL};
	int idx[TOPO_TOKENS_MAX] = {0}, n = 0;
	struct impair_err err;
	for (int i = from; i < l->ntok; i++)
		if (!skip || !skip[i]) {
			idx[n] = i;
			w[n++] = l->tok[i].s;
		}
	if (impair_spec_parse(w, n, out, &err) == 0)
		return 0;
	topo_err_at(cx, l, err.tok >= 0 && err.tok < n ? idx[err.tok] : l->ntok, "%s", err.msg);
	return -1;
}

static void decl_link(struct topo_ctx *cx, const struct topo_line *l)
{
	struct topo *t = cx->t;
	struct topo_link k = {0};
	bool skip[TOPO_TOKENS_MAX] = {false};
	struct impair_spec spec;
	bool failed = cx->link_failed;
	cx->blk = BLK_SKIP;
	cx->link_failed = true;
	for (int i = 1; i < 3; i++) {
		if (i >= l->ntok) {
			topo_err_at(cx, l, i, "'link' wants two ends such as 'client:eth0 server:eth0' or 'a:eth0 lan0'");
			return;
		}
		if (!end_ok(l->tok[i].s)) {
			topo_err_at(cx, l, i, "link end '%.64s' must be HOST:INTERFACE or a switch name", l->tok[i].s);
			return;
		}
		snprintf(k.end[i - 1].name, sizeof k.end[i - 1].name, "%s", l->tok[i].s);
		k.end[i - 1].host = k.end[i - 1].iface = k.end[i - 1].sw = -1;
	}
	if (!strcmp(k.end[0].name, k.end[1].name)) {
		topo_err_at(cx, l, 2, "a link joins two different ends, not '%s' to itself", k.end[0].name);
		return;
	}
	k.mtu = TOPO_MTU_DEFAULT;
	for (int i = 3; i < l->ntok; i++) {
		if (strcmp(l->tok[i].s, "mtu"))
			continue;
		uint64_t v;
		if (k.mtu_given) {
			topo_err_at(cx, l, i, "'mtu' given twice");
			return;
		}
		if (topo_word_uint(cx, l, i + 1, "mtu", TOPO_MTU_MIN, TOPO_MTU_MAX, &v))
			return;
		k.mtu = (int)v;
		k.mtu_given = true;
		skip[i] = skip[i + 1] = true;
	}
	if (topo_spec_words(cx, l, 3, skip, &spec))
		return;
	k.dir[0] = k.dir[1] = spec;
	k.loc = topo_loc_of(l, 0);
	if (topo_grow((void **)&t->links, t->n_links, &cx->cap_links, sizeof *t->links, TOPO_LINKS_MAX) ||
	    topo_grow((void **)&cx->linkx, t->n_links, &cx->cap_linkx, sizeof *cx->linkx, TOPO_LINKS_MAX)) {
		topo_err_at(cx, l, 0, "too many links (at most %d)", TOPO_LINKS_MAX);
		return;
	}
	memset(&cx->linkx[t->n_links], 0, sizeof cx->linkx[0]);
	cx->linkx[t->n_links].end_loc[0] = topo_loc_of(l, 1);
	cx->linkx[t->n_links].end_loc[1] = topo_loc_of(l, 2);
	t->links[t->n_links] = k;
	cx->blk = BLK_LINK;
	cx->blk_index = t->n_links++;
	cx->link_failed = failed;
}

/* end_matches: does the direction word `w` name end e ("client:eth0" or its
 * host "client", or the switch)? */
static bool end_matches(const struct topo_end *e, const char *w)
{
	size_t n = strlen(w);
	return !strcmp(e->name, w) || (!strchr(w, ':') && !strncmp(e->name, w, n) && e->name[n] == ':');
}

int topo_link_dir(const struct topo_link *k, const char *a, const char *b)
{
	int d = -1, hits = 0;
	for (int i = 0; i < 2; i++)
		if (end_matches(&k->end[i], a) && end_matches(&k->end[1 - i], b)) {
			d = i;
			hits++;
		}
	return hits > 1 ? -2 : d;
}

/* body_link: a direction line "A->B OPTIONS" (or "A -> B OPTIONS"). */
static void body_link(struct topo_ctx *cx, const struct topo_line *l)
{
	struct topo_link *k = &cx->t->links[cx->blk_index];
	char a[96], b[96];
	const char *arrow = strstr(l->tok[0].s, "->");
	int from, bi = 0;
	if (arrow && arrow[2]) {
		snprintf(a, sizeof a, "%.*s", (int)NB_MIN((size_t)(arrow - l->tok[0].s), sizeof a - 1), l->tok[0].s);
		snprintf(b, sizeof b, "%s", arrow + 2);
		from = 1;
	} else if (l->ntok >= 3 && !strcmp(l->tok[1].s, "->")) {
		snprintf(a, sizeof a, "%s", l->tok[0].s);
		snprintf(b, sizeof b, "%s", l->tok[2].s);
		from = 3;
		bi = 2;
	} else {
		topo_err_at(cx, l, 0, "expected a direction such as '%.*s->%.*s' under a link",
			    (int)strcspn(k->end[0].name, ":"), k->end[0].name, (int)strcspn(k->end[1].name, ":"),
			    k->end[1].name);
		return;
	}
	int d = topo_link_dir(k, a, b);
	if (d == -1) {
		topo_err_at(cx, l, end_matches(&k->end[0], a) || end_matches(&k->end[1], a) ? bi : 0,
			    "'%s->%s' does not go between this link's ends (%s and %s)", a, b, k->end[0].name,
			    k->end[1].name);
		return;
	}
	if (d == -2) {
		topo_err_at(cx, l, 0, "'%s->%s' is ambiguous: write the ends in full, e.g. '%s->%s'", a, b,
			    k->end[0].name, k->end[1].name);
		return;
	}
	for (int i = from; i < l->ntok; i++)
		if (!strcmp(l->tok[i].s, "mtu")) {
			topo_err_at(cx, l, i, "'mtu' is the same both ways: put it on the link line");
			return;
		}
	struct impair_spec spec;
	if (topo_spec_words(cx, l, from, NULL, &spec))
		return;
	if (cx->linkx[cx->blk_index].dir_loc[d].line) {
		topo_err_at(cx, l, 0, "second '%s->%s' line for this link", a, b);
		topo_note_loc(cx, cx->linkx[cx->blk_index].dir_loc[d], "the first one is here");
		return;
	}
	cx->linkx[cx->blk_index].dir_loc[d] = topo_loc_of(l, 0);
	impair_spec_merge(&k->dir[d], &spec);
}

void topo_decl_line(struct topo_ctx *cx, const struct topo_line *l)
{
	const char *w = l->tok[0].s;
	if (!strcmp(w, "lab")) decl_lab(cx, l);
	else if (!strcmp(w, "seed")) decl_seed(cx, l);
	else if (!strcmp(w, "defaults")) decl_defaults(cx, l);
	else if (!strcmp(w, "host")) decl_host(cx, l);
	else if (!strcmp(w, "switch")) decl_switch(cx, l);
	else decl_link(cx, l);
}

void topo_decl_body(struct topo_ctx *cx, const struct topo_line *l)
{
	switch (cx->blk) {
	case BLK_DEFAULTS: body_defaults(cx, l); break;
	case BLK_HOST: body_host(cx, l); break;
	case BLK_LINK: body_link(cx, l); break;
	default: break;
	}
}
