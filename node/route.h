/* route.h: the IPv4 routing table and the path MTU cache.
 *
 *   destination/prefix   gateway     interface   kind
 *   10.0.0.0/24          -           eth0        connected (stack_add_iface)
 *   10.9.0.0/16          10.0.0.254  eth0        static    (route_add)
 *   0.0.0.0/0            10.0.0.1    eth0        default   (route_add, prefix 0)
 *
 * Lookup is longest-prefix match (RFC 1812 5.2.4.3); among routes of equal
 * prefix the one added first wins. Routes whose interface is down are
 * skipped, so a second route to the same prefix acts as a backup. The table
 * is kept sorted by prefix length: a lookup is one scan that stops at the
 * first match, which is plenty for the tables a testbed node holds.
 *
 * The path MTU cache (RFC 1191) remembers, per destination, an MTU lowered
 * by ICMP "fragmentation needed"; entries age out after params.ip_pmtu_timeout
 * (RFC 1191 6.3 suggests 10 minutes), when the interface MTU applies again.
 */
#ifndef NB_ROUTE_H
#define NB_ROUTE_H

#include "stack.h"

#define ROUTE_CONNECTED 0x1   /* the subnet of an interface: next hop = destination */
#define ROUTE_GATEWAY   0x2   /* via a gateway: next hop = gw */

struct nb_route {
	uint32_t dst;          /* host order, already masked */
	uint8_t prefix_len;
	uint32_t gw;           /* 0 for connected routes */
	int ifidx;
	unsigned flags;        /* ROUTE_* */
};
typedef void (*route_iter_fn)(void *arg, const struct nb_route *r);

int route_init(struct nb_stack *s);
void route_free(struct nb_stack *s);

/* route_mask: the netmask of a prefix length (0..32), host order. */
static inline uint32_t route_mask(uint8_t prefix_len)
{
	return prefix_len ? ~UINT32_C(0) << (32 - prefix_len) : 0;
}

/* route_add: dst/prefix_len via gw (0 = directly connected) out of ifidx.
 * ifidx -1 picks the interface whose connected subnet holds gw. Host bits of
 * dst are ignored. Returns 0, -EINVAL (prefix > 32, bad ifidx, neither gw
 * nor ifidx), -ENETUNREACH (ifidx -1 and gw not on any subnet), -EEXIST
 * (same prefix, interface and gateway already present), -ENOMEM. */
int route_add(struct nb_stack *s, uint32_t dst, uint8_t prefix_len, uint32_t gw, int ifidx);
/* route_add_connected: the connected route of interface ifidx (stack_add_iface). */
int route_add_connected(struct nb_stack *s, int ifidx);
/* route_del: removes every route for dst/prefix_len. 0 or -ESRCH. */
int route_del(struct nb_stack *s, uint32_t dst, uint8_t prefix_len);
/* route_lookup: the route towards dst: its interface and next hop (dst
 * itself on a connected route). 0, or -ENETUNREACH. ifidx/nexthop may be NULL. */
int route_lookup(const struct nb_stack *s, uint32_t dst, int *ifidx, uint32_t *nexthop);
/* route_foreach: every route in lookup order (for dumps). */
void route_foreach(const struct nb_stack *s, route_iter_fn fn, void *arg);

/* route_pmtu_get: the cached path MTU towards dst, 0 if none (or expired). */
uint32_t route_pmtu_get(const struct nb_stack *s, uint32_t dst);
/* route_pmtu_update: lowers the path MTU towards dst to mtu (RFC 1191 6.1:
 * never raised by an ICMP message, never below 68). Returns the cached value
 * in force afterwards, or 0 if mtu was rejected. */
uint32_t route_pmtu_update(struct nb_stack *s, uint32_t dst, uint32_t mtu);

#endif
