/* link.h: veth pairs, bridges and link state over rtnetlink.
 *
 * Every function acts in the namespace of the struct nbnl it is given (see
 * nl.h) and names links by name (IFLA_IFNAME), so no ifindex has to be
 * looked up first.  Changes go through nbnl_commit: inside a batch on that
 * socket they are queued and their failures reported by nbnl_batch_end.
 * Errors: 0 or negative errno, "what NAME: reason (kernel: ext-ack)" in err.
 */
#ifndef FABRIC_LINK_H
#define FABRIC_LINK_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nl.h"

/* flags for the create functions */
enum {
	LINK_UP = 1 << 0, /* bring the new link(s) up */
};

/* What link_get reads about one link. */
struct link_info {
	int ifindex;
	char name[IFNAMSIZ];
	char kind[16];      /* IFLA_INFO_KIND: "veth", "bridge", ...; "" if none */
	unsigned flags;     /* IFF_UP, IFF_RUNNING, IFF_LOWER_UP, ... */
	int carrier;        /* IFLA_CARRIER: 1, 0, or -1 when not reported */
	unsigned operstate; /* IF_OPER_* */
	unsigned mtu;
	uint8_t mac[6];
	int master;         /* ifindex of the master (bridge), 0 if none */
	int peer_ifindex;   /* IFLA_LINK: a veth's peer ifindex (in its own namespace), 0 if none */
	int link_netnsid;   /* IFLA_LINK_NETNSID: the peer's namespace id as seen here, -1 if none */
};

/* link_get: reads link NAME.  -ENODEV when there is no such link here. */
int link_get(struct nbnl *nl, const char *name, struct link_info *li, char *err, size_t errlen);

/* link_list: calls cb for each link of the namespace (a dump).  cb returns
 * 0 to go on, anything else stops the walk.  Returns 0 or -errno. */
typedef int (*link_list_cb)(const struct link_info *li, void *arg);
int link_list(struct nbnl *nl, link_list_cb cb, void *arg, char *err, size_t errlen);

/* One end of a veth pair to create. */
struct veth_end {
	const char *name;
	int netns_fd;       /* namespace to create this end in; < 0: the creating socket's */
	const uint8_t *mac; /* 6 bytes, or NULL for a random address */
	struct nbnl *nl;    /* socket in that namespace, for LINK_UP of end b; NULL: opened
			     * for the call (or the creating socket when netns_fd < 0) */
};

/* link_veth_create: creates the pair a <-> b in one RTM_NEWLINK through nl,
 * each end born directly in its namespace with its name, MAC and mtu
 * (0: kernel default) on both.  With LINK_UP, end a is brought up in the
 * same message and end b afterwards through b's socket (the kernel refuses
 * a peer up in the create message with ENOTCONN); when b->nl is batching,
 * that step is queued in its batch.  nl itself must not be batching when
 * LINK_UP is given (-EINVAL): the pair has to exist before b goes up. */
int link_veth_create(struct nbnl *nl, const struct veth_end *a, const struct veth_end *b,
		     unsigned mtu, unsigned flags, char *err, size_t errlen);

/* link_add: creates a link of the given kind (e.g. "dummy", "bridge") with
 * no kind-specific options; mtu 0 is the kernel default. */
int link_add(struct nbnl *nl, const char *name, const char *kind, unsigned mtu, unsigned flags,
	     char *err, size_t errlen);

/* link_bridge_create: creates bridge NAME (a switch) with STP off, so that
 * ports forward as soon as they have carrier. */
int link_bridge_create(struct nbnl *nl, const char *name, unsigned flags, char *err, size_t errlen);

/* link_enslave: makes NAME a port of the bridge with ifindex master (0:
 * release it from its master), and with LINK_UP brings it up in the same
 * request. */
int link_enslave(struct nbnl *nl, const char *name, int master, unsigned flags, char *err, size_t errlen);

/* link_set_up: sets (up) or clears (!up) IFF_UP on NAME: the admin
 * state behind link down/up faults. */
int link_set_up(struct nbnl *nl, const char *name, bool up, char *err, size_t errlen);

/* link_wait_running: waits (polling, up to timeout_ms) until NAME is
 * IFF_RUNNING: admin up, carrier on, and the kernel's link watcher has
 * processed the change.  Until then a veth that was just brought up still
 * has its "noop" qdisc and silently drops every frame sent on it, so a
 * fault that puts a cable back is only done when both ends are running.
 * -ETIMEDOUT (with err) if it does not happen in time. */
int link_wait_running(struct nbnl *nl, const char *name, int timeout_ms, char *err, size_t errlen);

/* link_set_mtu: sets NAME's MTU.  For a veth use link_veth_set_mtu. */
int link_set_mtu(struct nbnl *nl, const char *name, unsigned mtu, char *err, size_t errlen);

/* link_veth_set_mtu: sets the MTU of both ends of a pair (a via nla, b via
 * nlb), since ends that disagree drop frames silently.  If b is refused, a
 * is put back to its old MTU and b's failure returned.  Not batchable. */
int link_veth_set_mtu(struct nbnl *nla, const char *a, struct nbnl *nlb, const char *b, unsigned mtu,
		      char *err, size_t errlen);

/* link_delete: deletes NAME (a veth takes its peer with it).  Tearing a lab
 * down is faster by deleting namespaces (netns_delete). */
int link_delete(struct nbnl *nl, const char *name, char *err, size_t errlen);

#endif
