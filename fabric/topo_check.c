/* topo_check.c: what the topology means. Resolves names to indices and
 * checks, before anything is created: link ends, MTUs, loose and doubly used
 * interfaces, addresses (duplicates, network/broadcast, subnets per segment),
 * gateways, MACs (and assigns the deterministic ones), impairments that a
 * kernel-only link cannot do; and, for steps, host kinds and named objects. */
#include "topo_int.h"
#include "stats.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static uint32_t mask_of(int prefix) { return prefix <= 0 ? 0 : ~0u << (32 - prefix); }

static void err_loc(struct topo_ctx *cx, struct topo_loc loc, int len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void err_loc(struct topo_ctx *cx, struct topo_loc loc, int len, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	topo_report(cx, TOPO_ERROR, loc.line, loc.col, len, "%s", msg);
}

static void suggest_hosts(struct topo_suggest *sg, const struct topo *t)
{
	for (int i = 0; i < t->n_hosts; i++)
		topo_suggest_try(sg, t->hosts[i].name);
}

/* resolve_end: fills host/iface or sw of end e from its name. 0 or -1. */
static int resolve_end(struct topo_ctx *cx, struct topo_end *e, struct topo_loc loc)
{
	struct topo *t = cx->t;
	struct topo_suggest sg;
	char host[TOPO_NAME_MAX], buf[96];
	const char *colon = strchr(e->name, ':');
	int len = (int)strlen(e->name);
	if (!colon) {
		e->kind = TOPO_END_SWITCH;
		e->sw = topo_switch_find(t, e->name);
		if (e->sw >= 0)
			return 0;
		if (topo_poisoned(cx, e->name))
			return -1;
		if (topo_host_find(t, e->name) >= 0) {
			err_loc(cx, loc, len, "'%s' is a host: link one of its interfaces, as in '%s:eth0'", e->name,
				e->name);
			return -1;
		}
		topo_suggest_init(&sg, e->name);
		for (int i = 0; i < t->n_switches; i++)
			topo_suggest_try(&sg, t->switches[i].name);
		err_loc(cx, loc, len, "unknown switch '%s'%s", e->name, topo_suggest_text(&sg, buf, sizeof buf));
		return -1;
	}
	e->kind = TOPO_END_IFACE;
	snprintf(host, sizeof host, "%.*s", (int)(colon - e->name), e->name);
	e->host = topo_host_find(t, host);
	if (e->host < 0) {
		if (topo_poisoned(cx, host))
			return -1;
		topo_suggest_init(&sg, host);
		suggest_hosts(&sg, t);
		err_loc(cx, loc, (int)strlen(host), "unknown host '%s'%s", host, topo_suggest_text(&sg, buf, sizeof buf));
		return -1;
	}
	const struct topo_host *h = &t->hosts[e->host];
	e->iface = topo_iface_find(h, colon + 1);
	if (e->iface < 0) {
		topo_suggest_init(&sg, colon + 1);
		for (int i = 0; i < h->n_ifaces; i++)
			topo_suggest_try(&sg, h->ifaces[i].name);
		loc.col += (int)(colon - e->name) + 1;
		err_loc(cx, loc, (int)strlen(colon + 1), "host '%s' has no interface '%s'%s", host, colon + 1,
			topo_suggest_text(&sg, buf, sizeof buf));
		return -1;
	}
	return 0;
}

static struct topo_iface *end_iface(struct topo *t, const struct topo_end *e)
{
	return e->kind == TOPO_END_IFACE && e->host >= 0 && e->iface >= 0 ? &t->hosts[e->host].ifaces[e->iface] : NULL;
}

/* check_links: ends, interfaces used twice, switch-to-switch, MTUs. */
static void check_links(struct topo_ctx *cx, bool *ok)
{
	struct topo *t = cx->t;
	int *sw_mtu_link = calloc((size_t)t->n_switches + 1, sizeof *sw_mtu_link);
	if (!sw_mtu_link) {
		topo_report(cx, TOPO_ERROR, 0, 0, 0, "out of memory");
		return;
	}
	for (int s = 0; s < t->n_switches; s++)
		sw_mtu_link[s] = -1;
	for (int i = 0; i < t->n_links && !cx->stopped; i++) {
		struct topo_link *k = &t->links[i];
		struct topo_linkx *x = &cx->linkx[i];
		ok[i] = resolve_end(cx, &k->end[0], x->end_loc[0]) == 0;
		ok[i] = (resolve_end(cx, &k->end[1], x->end_loc[1]) == 0) && ok[i];
		if (!ok[i])
			continue;
		if (k->end[0].kind == TOPO_END_SWITCH && k->end[1].kind == TOPO_END_SWITCH) {
			err_loc(cx, k->loc, 4, "a link needs a host interface on at least one end; '%s' and '%s' are "
				"both switches", k->end[0].name, k->end[1].name);
			ok[i] = false;
			continue;
		}
		for (int e = 0; e < 2; e++) {
			struct topo_iface *f = end_iface(t, &k->end[e]);
			if (!f)
				continue;
			if (f->link >= 0) {
				err_loc(cx, x->end_loc[e], (int)strlen(k->end[e].name),
					"interface '%s' is already linked", k->end[e].name);
				topo_note_loc(cx, t->links[f->link].loc, "by this link");
				ok[i] = false;
				continue;
			}
			f->link = i;
			if (f->mtu_given && !k->mtu_given) {
				k->mtu = f->mtu;
				k->mtu_given = true;
			} else if (f->mtu_given && f->mtu != k->mtu) {
				err_loc(cx, f->loc, (int)strlen(f->name), "interface '%s' has mtu %d but its link has "
					"mtu %d: both ends of a link share one MTU", k->end[e].name, f->mtu, k->mtu);
				topo_note_loc(cx, k->loc, "the link is here");
				ok[i] = false;
			}
		}
		for (int e = 0; e < 2 && ok[i]; e++) {
			int s = k->end[e].sw;
			if (k->end[e].kind != TOPO_END_SWITCH)
				continue;
			if (sw_mtu_link[s] < 0) {
				sw_mtu_link[s] = i;
				t->switches[s].mtu = k->mtu;
			} else if (t->switches[s].mtu != k->mtu) {
				err_loc(cx, k->loc, 4, "links to switch '%s' disagree on the MTU: %d here, %d on line %d",
					t->switches[s].name, k->mtu, t->switches[s].mtu, t->links[sw_mtu_link[s]].loc.line);
				ok[i] = false;
			}
		}
	}
	for (int s = 0; s < t->n_switches; s++)
		if (sw_mtu_link[s] < 0)
			t->switches[s].mtu = TOPO_MTU_DEFAULT;
	free(sw_mtu_link);
	for (int i = 0; i < t->n_links; i++)
		for (int e = 0; e < 2; e++) {
			struct topo_iface *f = end_iface(t, &t->links[i].end[e]);
			if (f && f->link == i)
				f->mtu = t->links[i].mtu;
		}
}

/* check_impair: kernel-only links, queue without rate; formats the texts. */
static void check_impair(struct topo_ctx *cx, const bool *ok)
{
	struct topo *t = cx->t;
	char buf[IMPAIR_SPEC_TEXT_MAX];
	for (int i = 0; i < t->n_links; i++) {
		struct topo_link *k = &t->links[i];
		bool custom = false;
		for (int e = 0; e < 2 && ok[i]; e++)
			if (k->end[e].kind == TOPO_END_IFACE && t->hosts[k->end[e].host].kind == TOPO_HOST_CUSTOM)
				custom = true;
		for (int d = 0; d < 2; d++) {
			const struct impair_spec *s = &k->dir[d];
			struct topo_loc at = cx->linkx[i].dir_loc[d].line ? cx->linkx[i].dir_loc[d] : k->loc;
			uint32_t frame_ops = s->has & ~(uint32_t)(IMPAIR_HAS_RATE | IMPAIR_HAS_QUEUE);
			if (ok[i] && !custom && frame_ops) {
				err_loc(cx, at, 4, "this link has no custom host, so it can only be rate-limited: delay, "
					"loss, drop, duplicate, reorder and corrupt run in a custom host's node "
					"(the kernel has no netem)");
				break;
			}
			if ((s->has & IMPAIR_HAS_QUEUE) && !(s->has & IMPAIR_HAS_RATE)) {
				err_loc(cx, at, 4, "'queue' is the rate limiter's queue: give a 'rate' too");
				break;
			}
		}
		for (int d = 0; d < 2; d++) {
			impair_spec_format(&k->dir[d], buf, sizeof buf);
			if (!(k->text[d] = topo_strdup(buf)))
				topo_report(cx, TOPO_ERROR, 0, 0, 0, "out of memory");
		}
	}
}

struct addr_ref {
	uint32_t addr;
	int host, iface, line;
};

static int addr_cmp(const void *a, const void *b)
{
	const struct addr_ref *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return (x->line > y->line) - (x->line < y->line);
}

static int iface_total(const struct topo *t)
{
	int n = 0;
	for (int h = 0; h < t->n_hosts; h++)
		n += t->hosts[h].n_ifaces;
	return n;
}

/* check_addrs: network/broadcast addresses, the same address twice. */
static void check_addrs(struct topo_ctx *cx)
{
	struct topo *t = cx->t;
	struct addr_ref *v = malloc(((size_t)iface_total(t) + 1) * sizeof *v);
	int n = 0;
	char a[16];
	if (!v) {
		topo_report(cx, TOPO_ERROR, 0, 0, 0, "out of memory");
		return;
	}
	for (int h = 0; h < t->n_hosts; h++)
		for (int i = 0; i < t->hosts[h].n_ifaces; i++) {
			const struct topo_iface *f = &t->hosts[h].ifaces[i];
			uint32_t m = mask_of(f->prefix);
			if (f->prefix <= 30 && ((f->addr & ~m) == 0 || (f->addr & ~m) == ~m)) {
				topo_report(cx, TOPO_ERROR, f->loc.line, f->loc.col, (int)strlen(f->name),
					    "%s is the %s address of %s/%d, not a host address", nb_ip4_fmt(f->addr, a),
					    (f->addr & ~m) ? "broadcast" : "network", nb_ip4_fmt(f->addr & m, (char[16]){0}),
					    f->prefix);
			}
			v[n++] = (struct addr_ref){f->addr, h, i, f->loc.line};
		}
	qsort(v, (size_t)n, sizeof *v, addr_cmp);
	for (int i = 1; i < n; i++)
		if (v[i].addr == v[i - 1].addr) {
			const struct topo_iface *f = &t->hosts[v[i].host].ifaces[v[i].iface];
			int j = i - 1;
			while (j > 0 && v[j - 1].addr == v[i].addr)
				j--;
			topo_report(cx, TOPO_ERROR, f->loc.line, f->loc.col, (int)strlen(f->name),
				    "address %s is already used by %s:%s", nb_ip4_fmt(f->addr, a), t->hosts[v[j].host].name,
				    t->hosts[v[j].host].ifaces[v[j].iface].name);
			topo_note_loc(cx, t->hosts[v[j].host].ifaces[v[j].iface].loc, "first used here");
		}
	free(v);
}

/* same_subnet: do a/pa and b/pb agree on one network? */
static bool same_subnet(uint32_t a, int pa, uint32_t b, int pb)
{
	return pa == pb && (a & mask_of(pa)) == (b & mask_of(pb));
}

/* check_segments: a warning per link or switch whose interfaces are not in
 * one subnet (often a typo; sometimes on purpose). */
static void check_segments(struct topo_ctx *cx, const bool *ok)
{
	struct topo *t = cx->t;
	int *first = malloc(((size_t)t->n_switches + 1) * sizeof *first);
	char a[16], b[16];
	if (!first) {
		topo_report(cx, TOPO_ERROR, 0, 0, 0, "out of memory");
		return;
	}
	for (int s = 0; s < t->n_switches; s++)
		first[s] = -1;
	for (int i = 0; i < t->n_links; i++) {
		struct topo_link *k = &t->links[i];
		if (!ok[i])
			continue;
		struct topo_iface *f0 = end_iface(t, &k->end[0]), *f1 = end_iface(t, &k->end[1]);
		if (f0 && f1 && !same_subnet(f0->addr, f0->prefix, f1->addr, f1->prefix)) {
			topo_report(cx, TOPO_WARNING, k->loc.line, k->loc.col, 4,
				    "%s (%s/%d) and %s (%s/%d) share a link but not a subnet", k->end[0].name,
				    nb_ip4_fmt(f0->addr, a), f0->prefix, k->end[1].name, nb_ip4_fmt(f1->addr, b), f1->prefix);
			continue;
		}
		int e = k->end[0].kind == TOPO_END_SWITCH ? 0 : 1;
		struct topo_iface *f = e ? f0 : f1;
		int s = k->end[e].sw;
		if (k->end[e].kind != TOPO_END_SWITCH || !f)
			continue;
		if (first[s] < 0) {
			first[s] = i;
			continue;
		}
		const struct topo_link *k0 = &t->links[first[s]];
		const struct topo_iface *g = end_iface(t, &k0->end[k0->end[0].kind == TOPO_END_SWITCH ? 1 : 0]);
		if (g && !same_subnet(f->addr, f->prefix, g->addr, g->prefix))
			topo_report(cx, TOPO_WARNING, k->loc.line, k->loc.col, 4,
				    "%s (%s/%d) is not in the subnet of %s (%s/%d), on the same switch '%s'",
				    k->end[1 - e].name, nb_ip4_fmt(f->addr, a), f->prefix,
				    k0->end[k0->end[0].kind == TOPO_END_SWITCH ? 1 : 0].name, nb_ip4_fmt(g->addr, b),
				    g->prefix, t->switches[s].name);
	}
	free(first);
}

/* check_routes: the gateway must be on one of the host's subnets (dev's if given). */
static void check_routes(struct topo_ctx *cx)
{
	struct topo *t = cx->t;
	char a[16];
	for (int h = 0; h < t->n_hosts && !cx->stopped; h++) {
		struct topo_host *hh = &t->hosts[h];
		for (int r = 0; r < hh->n_routes; r++) {
			struct topo_route *rt = &hh->routes[r];
			if (!rt->via)
				continue;
			int found = -1;
			for (int i = 0; i < hh->n_ifaces && found < 0; i++) {
				const struct topo_iface *f = &hh->ifaces[i];
				if ((rt->dev < 0 || rt->dev == i) && (f->addr & mask_of(f->prefix)) == (rt->via & mask_of(f->prefix)))
					found = i;
				if (f->addr == rt->via) {
					topo_report(cx, TOPO_ERROR, rt->loc.line, rt->loc.col, 5,
						    "gateway %s is host '%s''s own address", nb_ip4_fmt(rt->via, a), hh->name);
					found = -2;
				}
			}
			if (found == -1)
				topo_report(cx, TOPO_ERROR, rt->loc.line, rt->loc.col, 5,
					    "gateway %s is not on a subnet of %s '%s'", nb_ip4_fmt(rt->via, a),
					    rt->dev >= 0 ? "interface" : "host",
					    rt->dev >= 0 ? hh->ifaces[rt->dev].name : hh->name);
			if (found >= 0 && rt->dev < 0)
				rt->dev = found;
		}
	}
}

struct mac_ref {
	uint8_t mac[6];
	int host, iface, line;
};

static int mac_cmp(const void *a, const void *b)
{
	const struct mac_ref *x = a, *y = b;
	int c = memcmp(x->mac, y->mac, 6);
	return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* check_macs: gives every interface without one 02:6e:62:HH:HH:II, then
 * rejects duplicates. */
static void check_macs(struct topo_ctx *cx)
{
	struct topo *t = cx->t;
	struct mac_ref *v = malloc(((size_t)iface_total(t) + 1) * sizeof *v);
	int n = 0;
	char m[18];
	if (!v) {
		topo_report(cx, TOPO_ERROR, 0, 0, 0, "out of memory");
		return;
	}
	for (int h = 0; h < t->n_hosts; h++)
		for (int i = 0; i < t->hosts[h].n_ifaces; i++) {
			struct topo_iface *f = &t->hosts[h].ifaces[i];
			if (!f->mac_given) {
				uint8_t auto_mac[6] = {0x02, 0x6e, 0x62, (uint8_t)(h >> 8), (uint8_t)h, (uint8_t)i};
				memcpy(f->mac, auto_mac, 6);
			}
			memcpy(v[n].mac, f->mac, 6);
			v[n].host = h;
			v[n].iface = i;
			v[n++].line = f->mac_given ? f->loc.line : 0;
		}
	qsort(v, (size_t)n, sizeof *v, mac_cmp);
	for (int i = 1; i < n; i++)
		if (!memcmp(v[i].mac, v[i - 1].mac, 6)) {
			const struct topo_iface *f = &t->hosts[v[i].host].ifaces[v[i].iface];
			const struct topo_host *o = &t->hosts[v[i - 1].host];
			topo_report(cx, TOPO_ERROR, f->loc.line, f->loc.col, (int)strlen(f->name),
				    "MAC %s is already used by %s:%s%s", nb_mac_fmt(f->mac, m), o->name,
				    o->ifaces[v[i - 1].iface].name, v[i - 1].line ? "" : " (assigned automatically)");
		}
	free(v);
}

void topo_check_lab(struct topo_ctx *cx)
{
	struct topo *t = cx->t;
	bool *ok = calloc((size_t)t->n_links + 1, sizeof *ok);
	cx->lab_checked = true;
	if (!ok) {
		topo_report(cx, TOPO_ERROR, 0, 0, 0, "out of memory");
		return;
	}
	if (!cx->lab_line)
		topo_report(cx, TOPO_ERROR, 1, 1, 1, "no 'lab NAME' line: a topology starts with one, e.g. 'lab story'");
	check_links(cx, ok);
	for (int h = 0; h < t->n_hosts && !cx->link_failed; h++)
		for (int i = 0; i < t->hosts[h].n_ifaces; i++) {
			const struct topo_iface *f = &t->hosts[h].ifaces[i];
			if (f->link < 0)
				topo_report(cx, TOPO_ERROR, f->loc.line, f->loc.col, (int)strlen(f->name),
					    "interface '%s:%s' is not linked to anything; add a 'link' line",
					    t->hosts[h].name, f->name);
		}
	check_impair(cx, ok);
	check_addrs(cx);
	check_segments(cx, ok);
	check_routes(cx);
	check_macs(cx);
	free(ok);
}

/* --- names in steps --- */

static const char *const obj_noun[] = {"connection", "listener", "app", "UDP socket", "job"};

const char *topo_obj_kind_name(enum topo_obj_kind kind)
{
	return (unsigned)kind < sizeof obj_noun / sizeof obj_noun[0] ? obj_noun[kind] : "?";
}

int topo_ref_host(struct topo_ctx *cx, const struct topo_line *l, int i, enum topo_need need, const char *what)
{
	struct topo *t = cx->t;
	struct topo_suggest sg;
	char buf[96];
	if (i >= l->ntok) {
		topo_err_at(cx, l, i, "'%s' wants a host name", what);
		return -1;
	}
	const char *n = l->tok[i].s;
	int h = topo_host_find(t, n);
	if (h < 0) {
		if (topo_poisoned(cx, n))
			return -1;
		if (topo_switch_find(t, n) >= 0) {
			topo_err_at(cx, l, i, "'%s' is a switch, not a host", n);
			return -1;
		}
		topo_suggest_init(&sg, n);
		suggest_hosts(&sg, t);
		topo_err_at(cx, l, i, "unknown host '%.64s'%s", n, topo_suggest_text(&sg, buf, sizeof buf));
		return -1;
	}
	if (need == NEED_CUSTOM && t->hosts[h].kind != TOPO_HOST_CUSTOM) {
		topo_err_at(cx, l, i, "'%s' needs a custom host; '%s' is a kernel host (Linux's own stack)", what, n);
		return -1;
	}
	if (need == NEED_KERNEL && t->hosts[h].kind != TOPO_HOST_KERNEL) {
		topo_err_at(cx, l, i, "'%s' runs programs on kernel hosts; '%s' is a custom host", what, n);
		return -1;
	}
	return h;
}

/* later_line: the line defining `name` after line `after`, from the pre-scan; 0 if none. */
static int later_line(const struct topo_ctx *cx, const char *name, int after)
{
	for (int i = 0; i < cx->n_later; i++)
		if (cx->later[i].line > after && !strcmp(cx->later[i].name, name))
			return cx->later[i].line;
	return 0;
}

int topo_ref_obj(struct topo_ctx *cx, const struct topo_line *l, int i, unsigned mask, int host, const char *what)
{
	struct topo *t = cx->t;
	struct topo_suggest sg;
	char buf[96];
	if (i >= l->ntok) {
		topo_err_at(cx, l, i, "missing %s name", what);
		return -1;
	}
	const char *n = l->tok[i].s;
	int o = topo_obj_find(t, n), later;
	if (o < 0) {
		if (topo_poisoned(cx, n))
			return -1;
		if ((later = later_line(cx, n, l->no))) {
			topo_err_at(cx, l, i, "'%s' is used before it is defined (on line %d)", n, later);
			return -1;
		}
		topo_suggest_init(&sg, n);
		for (int k = 0; k < t->n_objs; k++)
			if (mask & (1u << t->objs[k].kind))
				topo_suggest_try(&sg, t->objs[k].name);
		topo_err_at(cx, l, i, "unknown %s '%.64s'%s", what, n, topo_suggest_text(&sg, buf, sizeof buf));
		return -1;
	}
	const struct topo_obj *ob = &t->objs[o];
	if (!(mask & (1u << ob->kind))) {
		topo_err_at(cx, l, i, "'%s' is a %s, not a %s", n, obj_noun[ob->kind], what);
		return -1;
	}
	if (host >= 0 && ob->host != host) {
		topo_err_at(cx, l, i, "%s '%s' lives on host '%s', not '%s'", obj_noun[ob->kind], n,
			    t->hosts[ob->host].name, t->hosts[host].name);
		return -1;
	}
	return o;
}

/* is_end: is `w` an end of some link? */
static bool is_end(const struct topo *t, const char *w)
{
	for (int i = 0; i < t->n_links; i++)
		if (!strcmp(t->links[i].end[0].name, w) || !strcmp(t->links[i].end[1].name, w))
			return true;
	return false;
}

int topo_ref_link(struct topo_ctx *cx, const struct topo_line *l, int i, bool *dir0)
{
	struct topo *t = cx->t;
	char buf[96];
	if (i + 1 >= l->ntok) {
		topo_err_at(cx, l, l->ntok, "'link' wants the link's two ends, as declared");
		return -1;
	}
	int k = topo_link_find(t, l->tok[i].s, l->tok[i + 1].s, dir0);
	if (k >= 0)
		return k;
	if (cx->link_failed)
		return -1;
	for (int j = i; j < i + 2; j++) {
		struct topo_suggest sg;
		if (is_end(t, l->tok[j].s))
			continue;
		topo_suggest_init(&sg, l->tok[j].s);
		for (int n = 0; n < t->n_links; n++)
			for (int e = 0; e < 2; e++)
				topo_suggest_try(&sg, t->links[n].end[e].name);
		topo_err_at(cx, l, j, "'%.64s' is not an end of any link%s", l->tok[j].s,
			    topo_suggest_text(&sg, buf, sizeof buf));
		return -1;
	}
	topo_err_at(cx, l, i, "no link joins '%s' and '%s'", l->tok[i].s, l->tok[i + 1].s);
	return -1;
}

int topo_ref_addr(struct topo_ctx *cx, const struct topo_line *l, int i, bool with_port, uint32_t *addr,
		  uint16_t *port)
{
	struct topo *t = cx->t;
	char a[TOPO_NAME_MAX + 8];
	const char *want = with_port ? "ADDRESS:PORT such as 10.0.0.2:80" : "an address such as 10.0.0.2 or a host";
	if (i >= l->ntok) {
		topo_err_at(cx, l, i, "missing %s", want);
		return -1;
	}
	const char *w = l->tok[i].s, *colon = strrchr(w, ':');
	if (with_port && !colon) {
		topo_err_at(cx, l, i, "expected %s, not '%.64s'", want, w);
		return -1;
	}
	size_t n = with_port ? (size_t)(colon - w) : strlen(w);
	if (n >= sizeof a) {
		topo_err_at(cx, l, i, "expected %s, not '%.64s'", want, w);
		return -1;
	}
	memcpy(a, w, n);
	a[n] = 0;
	if (nb_ip4_parse(a, addr)) {
		int h = topo_host_find(t, a);
		if (h < 0) {
			struct topo_suggest sg;
			char buf[96];
			if (topo_poisoned(cx, a))
				return -1;
			topo_suggest_init(&sg, a);
			suggest_hosts(&sg, t);
			if (sg.best || topo_name_ok(a))
				topo_err_at(cx, l, i, "unknown host '%s'%s", a, topo_suggest_text(&sg, buf, sizeof buf));
			else
				topo_err_at(cx, l, i, "expected %s, not '%.64s'", want, w);
			return -1;
		}
		if (t->hosts[h].n_ifaces == 0) {
			topo_err_at(cx, l, i, "host '%s' has no address", a);
			return -1;
		}
		*addr = t->hosts[h].ifaces[0].addr;
	}
	if (with_port) {
		uint64_t p = 0;
		const char *d = colon + 1;
		bool good = *d && strlen(d) <= 5;
		for (; good && *d; d++)
			good = *d >= '0' && *d <= '9' && (p = p * 10 + (uint64_t)(*d - '0')) <= 65535;
		if (!good || p == 0) {
			topo_err_at(cx, l, i, "port '%.16s' must be a number from 1 to 65535", colon + 1);
			return -1;
		}
		*port = (uint16_t)p;
	}
	return 0;
}

int topo_def_obj(struct topo_ctx *cx, const struct topo_line *l, int i, enum topo_obj_kind kind,
		 enum topo_app app, int host)
{
	struct topo *t = cx->t;
	if (i >= l->ntok) {
		topo_err_at(cx, l, i, "'as' wants a name");
		return -1;
	}
	const char *n = l->tok[i].s;
	if (!topo_name_ok(n)) {
		topo_err_at(cx, l, i, "name '%.64s' must start with a letter and use letters, digits, '_' or '-' "
			    "(at most %d)", n, TOPO_NAME_MAX - 1);
		return -1;
	}
	int o = topo_obj_find(t, n);
	if (o >= 0) {
		topo_err_at(cx, l, i, "'%s' is already defined", n);
		topo_note_loc(cx, t->steps[t->objs[o].step].loc, "as a %s here", obj_noun[t->objs[o].kind]);
		return -1;
	}
	if (topo_host_find(t, n) >= 0 || topo_switch_find(t, n) >= 0) {
		topo_err_at(cx, l, i, "'%s' is already the name of a %s", n, topo_host_find(t, n) >= 0 ? "host" : "switch");
		return -1;
	}
	if (topo_grow((void **)&t->objs, t->n_objs, &cx->cap_objs, sizeof *t->objs, TOPO_OBJS_MAX)) {
		topo_err_at(cx, l, i, "too many names (at most %d)", TOPO_OBJS_MAX);
		return -1;
	}
	struct topo_obj *ob = &t->objs[t->n_objs];
	memset(ob, 0, sizeof *ob);
	strcpy(ob->name, n);
	ob->kind = kind;
	ob->app = app;
	ob->host = host;
	ob->step = t->n_steps;
	return t->n_objs++;
}

static const char *const counters[] = {
#define TOPO_COUNTER_NAME(layer, name) #layer "." #name,
	NB_STATS(TOPO_COUNTER_NAME)
#undef TOPO_COUNTER_NAME
};

bool topo_counter_ok(const char *name)
{
	for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
		if (!strcmp(counters[i], name))
			return true;
	return false;
}

void topo_counter_suggest(struct topo_suggest *sg)
{
	for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
		topo_suggest_try(sg, counters[i]);
}
