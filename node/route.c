/* route.c: the routing table (a sorted array) and the path MTU cache. */
#include "route.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PMTU_SLOTS 64
#define PMTU_MIN 68             /* RFC 791: every host must take 68 bytes */

struct pmtu_entry {
	uint32_t dst;
	uint32_t mtu;           /* 0 = free slot */
	nb_time_t expires;
};

struct nb_routes {
	struct nb_route *v;     /* sorted by prefix_len, longest first; stable */
	size_t n, cap;
	struct pmtu_entry pmtu[PMTU_SLOTS];
};

int route_init(struct nb_stack *s)
{
	s->routes = calloc(1, sizeof(*s->routes));
	return s->routes ? 0 : -ENOMEM;
}

void route_free(struct nb_stack *s)
{
	if (!s->routes)
		return;
	free(s->routes->v);
	free(s->routes);
	s->routes = NULL;
}

/* insert: keeps v sorted by prefix length, after routes of equal length
 * (so the first added wins among equals). */
static int insert(struct nb_routes *rt, const struct nb_route *r)
{
	if (rt->n == rt->cap) {
		size_t cap = rt->cap ? rt->cap * 2 : 16;
		struct nb_route *v = realloc(rt->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		rt->v = v;
		rt->cap = cap;
	}
	size_t i = 0;
	while (i < rt->n && rt->v[i].prefix_len >= r->prefix_len)
		i++;
	memmove(&rt->v[i + 1], &rt->v[i], (rt->n - i) * sizeof(*rt->v));
	rt->v[i] = *r;
	rt->n++;
	return 0;
}

/* connected_if: the up-or-down interface whose subnet holds addr, or -1. */
static int connected_if(const struct nb_stack *s, uint32_t addr)
{
	for (int i = 0; i < s->nifs; i++) {
		const struct nb_iface *ifp = &s->ifs[i];
		uint32_t m = route_mask(ifp->prefix_len);
		if (ifp->addr && (ifp->addr & m) == (addr & m))
			return i;
	}
	return -1;
}

int route_add(struct nb_stack *s, uint32_t dst, uint8_t prefix_len, uint32_t gw, int ifidx)
{
	struct nb_routes *rt = s->routes;
	if (prefix_len > 32 || ifidx >= s->nifs || ifidx < -1 || (!gw && ifidx < 0))
		return -EINVAL;
	if (ifidx < 0) {
		ifidx = connected_if(s, gw);
		if (ifidx < 0)
			return -ENETUNREACH;
	}
	struct nb_route r = {
		.dst = dst & route_mask(prefix_len),
		.prefix_len = prefix_len,
		.gw = gw,
		.ifidx = ifidx,
		.flags = gw ? ROUTE_GATEWAY : ROUTE_CONNECTED,
	};
	for (size_t i = 0; i < rt->n; i++) {
		const struct nb_route *o = &rt->v[i];
		if (o->dst == r.dst && o->prefix_len == r.prefix_len && o->ifidx == r.ifidx &&
		    o->gw == r.gw)
			return -EEXIST;
	}
	return insert(rt, &r);
}

int route_add_connected(struct nb_stack *s, int ifidx)
{
	if (ifidx < 0 || ifidx >= s->nifs || !s->ifs[ifidx].addr)
		return -EINVAL;
	const struct nb_iface *ifp = &s->ifs[ifidx];
	return route_add(s, ifp->addr, ifp->prefix_len, 0, ifidx);
}

int route_del(struct nb_stack *s, uint32_t dst, uint8_t prefix_len)
{
	struct nb_routes *rt = s->routes;
	if (prefix_len > 32)
		return -EINVAL;
	dst &= route_mask(prefix_len);
	size_t j = 0;
	for (size_t i = 0; i < rt->n; i++)
		if (rt->v[i].dst != dst || rt->v[i].prefix_len != prefix_len)
			rt->v[j++] = rt->v[i];
	if (j == rt->n)
		return -ESRCH;
	rt->n = j;
	return 0;
}

/* route_lookup: first match in prefix order is the longest match. */
int route_lookup(const struct nb_stack *s, uint32_t dst, int *ifidx, uint32_t *nexthop)
{
	const struct nb_routes *rt = s->routes;
	for (size_t i = 0; i < rt->n; i++) {
		const struct nb_route *r = &rt->v[i];
		if ((dst & route_mask(r->prefix_len)) != r->dst)
			continue;
		if (r->ifidx < 0 || r->ifidx >= s->nifs || !s->ifs[r->ifidx].up)
			continue;
		if (ifidx)
			*ifidx = r->ifidx;
		if (nexthop)
			*nexthop = r->gw ? r->gw : dst;
		return 0;
	}
	return -ENETUNREACH;
}

void route_foreach(const struct nb_stack *s, route_iter_fn fn, void *arg)
{
	const struct nb_routes *rt = s->routes;
	for (size_t i = 0; i < rt->n; i++)
		fn(arg, &rt->v[i]);
}

uint32_t route_pmtu_get(const struct nb_stack *s, uint32_t dst)
{
	const struct nb_routes *rt = s->routes;
	for (size_t i = 0; i < PMTU_SLOTS; i++) {
		const struct pmtu_entry *e = &rt->pmtu[i];
		if (e->mtu && e->dst == dst)
			return e->expires > s->now ? e->mtu : 0;
	}
	return 0;
}

/* route_pmtu_update: one slot per destination; a new destination takes a
 * free or expired slot, else the one closest to expiry. */
uint32_t route_pmtu_update(struct nb_stack *s, uint32_t dst, uint32_t mtu)
{
	struct nb_routes *rt = s->routes;
	int ifidx;
	if (mtu < PMTU_MIN || route_lookup(s, dst, &ifidx, NULL))
		return 0;
	uint32_t cur = s->ifs[ifidx].mtu;
	uint32_t cached = route_pmtu_get(s, dst);
	if (cached && cached < cur)
		cur = cached;
	if (mtu >= cur)
		return 0;
	struct pmtu_entry *slot = NULL;
	for (size_t i = 0; i < PMTU_SLOTS && !slot; i++)
		if (rt->pmtu[i].mtu && rt->pmtu[i].dst == dst)
			slot = &rt->pmtu[i];
	for (size_t i = 0; i < PMTU_SLOTS && !slot; i++)
		if (!rt->pmtu[i].mtu || rt->pmtu[i].expires <= s->now)
			slot = &rt->pmtu[i];
	if (!slot) {
		slot = &rt->pmtu[0];
		for (size_t i = 1; i < PMTU_SLOTS; i++)
			if (rt->pmtu[i].expires < slot->expires)
				slot = &rt->pmtu[i];
	}
	slot->dst = dst;
	slot->mtu = mtu;
	slot->expires = s->now + s->params.ip_pmtu_timeout;
	NB_COUNT(s, ip_pmtu_lowered);
	return mtu;
}
