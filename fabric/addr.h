/* addr.h: IPv4 addresses, routes and sysctls for kernel hosts.
 *
 * Addresses are uint32_t in HOST byte order, as in node/nb.h (nb_ip4_parse).
 * Address and route changes act in the namespace of the given struct nbnl
 * (see nl.h) and follow its batching; interfaces are named, and their
 * ifindex is looked up through the same socket (which flushes a batch).
 * Errors: 0 or negative errno, text in a caller-owned buffer.
 */
#ifndef FABRIC_ADDR_H
#define FABRIC_ADDR_H

#include <stddef.h>
#include <stdint.h>

#include "nl.h"

/* addr_add4: adds addr/prefixlen to interface ifname, with the broadcast
 * address of the subnet (for prefixes up to /30).  -EEXIST if present. */
int addr_add4(struct nbnl *nl, const char *ifname, uint32_t addr, unsigned prefixlen,
	      char *err, size_t errlen);

/* addr_del4: removes addr/prefixlen from ifname. */
int addr_del4(struct nbnl *nl, const char *ifname, uint32_t addr, unsigned prefixlen,
	      char *err, size_t errlen);

/* route_add4: adds a route to dst/prefixlen in the main table (0/0 is the
 * default route).  gw != 0: via that gateway (dev optional, the kernel then
 * finds it); gw == 0: a connected route out of dev (scope link; dev
 * required).  -EEXIST if that route exists. */
int route_add4(struct nbnl *nl, uint32_t dst, unsigned prefixlen, uint32_t gw, const char *dev,
	       char *err, size_t errlen);

/* route_del4: deletes the main-table route to dst/prefixlen (and, when
 * given, only the one via gw / out of dev). */
int route_del4(struct nbnl *nl, uint32_t dst, unsigned prefixlen, uint32_t gw, const char *dev,
	       char *err, size_t errlen);

/* sysctl_set: writes value to sysctl key inside network namespace netns
 * (NULL: the calling thread's).  key is "net.ipv4.ip_forward" or a path
 * below /proc/sys such as "net/ipv4/conf/eth0.5/forwarding" (use the slash
 * form when a component contains a dot). */
int sysctl_set(const char *netns, const char *key, const char *value, char *err, size_t errlen);

/* sysctl_get: reads sysctl key inside netns into buf (trailing newline
 * removed). */
int sysctl_get(const char *netns, const char *key, char *buf, size_t len, char *err, size_t errlen);

#endif
