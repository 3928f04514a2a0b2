/* link.c: veth pairs, bridges, link state over rtnetlink.  See link.h. */
#include "link.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

/* put_ifinfo: appends a zeroed ifinfomsg, with IFF_UP requested when up. */
static struct ifinfomsg *put_ifinfo(struct nlmsghdr *nlh, bool up)
{
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	if (up) {
		ifi->ifi_flags = IFF_UP;
		ifi->ifi_change = IFF_UP;
	}
	return ifi;
}

/* setlink_msg: starts an RTM_SETLINK for NAME, with IFF_UP set or cleared
 * when change_up. */
static struct nlmsghdr *setlink_msg(struct nbnl *nl, const char *name, bool change_up, bool up,
				    const char *what)
{
	struct nlmsghdr *nlh = nbnl_msg(nl, RTM_SETLINK, 0, "%s %s", what, name);
	struct ifinfomsg *ifi = put_ifinfo(nlh, false);
	if (change_up) {
		ifi->ifi_change = IFF_UP;
		ifi->ifi_flags = up ? IFF_UP : 0;
	}
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nlh;
}

/* parse_linkinfo: reads IFLA_INFO_KIND out of an IFLA_LINKINFO nest. */
static void parse_linkinfo(const struct nlattr *nest, struct link_info *li)
{
	const struct nlattr *a;
	mnl_attr_for_each_nested(a, nest) {
		if (mnl_attr_get_type(a) == IFLA_INFO_KIND && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			snprintf(li->kind, sizeof(li->kind), "%s", mnl_attr_get_str(a));
	}
}

/* parse_link: fills li from an RTM_NEWLINK message. */
static int parse_link(const struct nlmsghdr *nlh, struct link_info *li)
{
	if (nlh->nlmsg_type != RTM_NEWLINK || nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(struct ifinfomsg)) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	memset(li, 0, sizeof(*li));
	li->ifindex = ifi->ifi_index;
	li->flags = ifi->ifi_flags;
	li->carrier = -1;
	li->link_netnsid = -1;
	const struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(*ifi)) {
		uint16_t plen = mnl_attr_get_payload_len(a);
		switch (mnl_attr_get_type(a)) {
		case IFLA_IFNAME:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
				snprintf(li->name, sizeof(li->name), "%s", mnl_attr_get_str(a));
			break;
		case IFLA_MTU:
			if (plen >= 4)
				li->mtu = mnl_attr_get_u32(a);
			break;
		case IFLA_ADDRESS:
			if (plen == 6)
				memcpy(li->mac, mnl_attr_get_payload(a), 6);
			break;
		case IFLA_CARRIER:
			if (plen >= 1)
				li->carrier = mnl_attr_get_u8(a);
			break;
		case IFLA_OPERSTATE:
			if (plen >= 1)
				li->operstate = mnl_attr_get_u8(a);
			break;
		case IFLA_MASTER:
			if (plen >= 4)
				li->master = (int)mnl_attr_get_u32(a);
			break;
		case IFLA_LINK:
			if (plen >= 4)
				li->peer_ifindex = (int)mnl_attr_get_u32(a);
			break;
		case IFLA_LINK_NETNSID:
			if (plen >= 4)
				li->link_netnsid = (int)mnl_attr_get_u32(a);
			break;
		case IFLA_LINKINFO:
			parse_linkinfo(a, li);
			break;
		}
	}
	return MNL_CB_OK;
}

/* get_cb: nbnl_cb for link_get. */
static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	return parse_link(nlh, data);
}

/* link_get: see link.h. */
int link_get(struct nbnl *nl, const char *name, struct link_info *li, char *err, size_t errlen)
{
	memset(li, 0, sizeof(*li));
	struct nlmsghdr *nlh = nbnl_msg(nl, RTM_GETLINK, 0, "link get %s", name);
	put_ifinfo(nlh, false);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	/* Leave out statistics and VF info: a smaller reply. */
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	int rc = nbnl_query(nl, get_cb, li, err, errlen);
	if (rc == 0 && li->ifindex == 0)
		rc = nbnl_errf(err, errlen, -ENODEV, NULL, "link get %s: no reply", name);
	return rc;
}

struct list_ctx {
	link_list_cb cb;
	void *arg;
};

/* list_cb: nbnl_cb for link_list. */
static int list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct list_ctx *c = data;
	struct link_info li;
	if (parse_link(nlh, &li) != MNL_CB_OK)
		return MNL_CB_ERROR;
	return c->cb(&li, c->arg) == 0 ? MNL_CB_OK : MNL_CB_STOP;
}

/* link_list: see link.h. */
int link_list(struct nbnl *nl, link_list_cb cb, void *arg, char *err, size_t errlen)
{
	struct nlmsghdr *nlh = nbnl_msg(nl, RTM_GETLINK, NLM_F_DUMP, "link list");
	put_ifinfo(nlh, false);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	struct list_ctx c = { cb, arg };
	return nbnl_query(nl, list_cb, &c, err, errlen);
}

/* put_end: the attributes both veth ends carry. */
static void put_end(struct nlmsghdr *nlh, const struct veth_end *e, unsigned mtu)
{
	mnl_attr_put_strz(nlh, IFLA_IFNAME, e->name);
	if (e->mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, e->mac);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	if (e->netns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)e->netns_fd);
}

/* peer_up: brings end b up through its own namespace's socket. */
static int peer_up(struct nbnl *nl, const struct veth_end *b, char *err, size_t errlen)
{
	if (b->nl)
		return link_set_up(b->nl, b->name, true, err, errlen);
	if (b->netns_fd < 0)
		return link_set_up(nl, b->name, true, err, errlen);
	struct nbnl *tmp;
	int rc = nbnl_open(&tmp, b->netns_fd, err, errlen);
	if (rc < 0)
		return rc;
	rc = link_set_up(tmp, b->name, true, err, errlen);
	nbnl_close(tmp);
	return rc;
}

/* link_veth_create: see link.h.  Message layout:
 *   ifinfomsg(a) IFLA_IFNAME IFLA_ADDRESS IFLA_MTU IFLA_NET_NS_FD
 *   IFLA_LINKINFO { IFLA_INFO_KIND "veth"
 *                   IFLA_INFO_DATA { VETH_INFO_PEER { ifinfomsg(b) IFLA_IFNAME ... } } } */
int link_veth_create(struct nbnl *nl, const struct veth_end *a, const struct veth_end *b,
		     unsigned mtu, unsigned flags, char *err, size_t errlen)
{
	bool up = flags & LINK_UP;
	if (up && nbnl_batching(nl))
		return nbnl_errf(err, errlen, -EINVAL, NULL, "veth create %s: LINK_UP on a batching socket", a->name);
	struct nlmsghdr *nlh = nbnl_msg(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL,
					"veth create %s/%s", a->name, b->name);
	put_ifinfo(nlh, up);
	put_end(nlh, a, mtu);
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	struct nlattr *peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	put_ifinfo(nlh, false);
	put_end(nlh, b, mtu);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	int rc = nbnl_commit(nl, err, errlen);
	if (rc < 0 || !up)
		return rc;
	return peer_up(nl, b, err, errlen);
}

/* link_add: see link.h. */
int link_add(struct nbnl *nl, const char *name, const char *kind, unsigned mtu, unsigned flags,
	     char *err, size_t errlen)
{
	struct nlmsghdr *nlh = nbnl_msg(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, "%s create %s", kind, name);
	put_ifinfo(nlh, flags & LINK_UP);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
	mnl_attr_nest_end(nlh, info);
	return nbnl_commit(nl, err, errlen);
}

/* link_bridge_create: see link.h. */
int link_bridge_create(struct nbnl *nl, const char *name, unsigned flags, char *err, size_t errlen)
{
	struct nlmsghdr *nlh = nbnl_msg(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, "bridge create %s", name);
	put_ifinfo(nlh, flags & LINK_UP);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u32(nlh, IFLA_BR_STP_STATE, 0);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nbnl_commit(nl, err, errlen);
}

/* link_enslave: see link.h. */
int link_enslave(struct nbnl *nl, const char *name, int master, unsigned flags, char *err, size_t errlen)
{
	bool up = flags & LINK_UP;
	struct nlmsghdr *nlh = setlink_msg(nl, name, up, up, master ? "enslave" : "release");
	mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master);
	return nbnl_commit(nl, err, errlen);
}

/* link_set_up: see link.h. */
int link_set_up(struct nbnl *nl, const char *name, bool up, char *err, size_t errlen)
{
	setlink_msg(nl, name, true, up, up ? "link up" : "link down");
	return nbnl_commit(nl, err, errlen);
}

/* link_wait_running: see link.h. */
int link_wait_running(struct nbnl *nl, const char *name, int timeout_ms, char *err, size_t errlen)
{
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct link_info li;
		int rc = link_get(nl, name, &li, err, errlen);
		if (rc < 0)
			return rc;
		if (li.flags & IFF_RUNNING)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (ms >= timeout_ms)
			return nbnl_errf(err, errlen, -ETIMEDOUT, NULL, "link %s: not running after %d ms "
					 "(flags 0x%x, operstate %u)", name, timeout_ms, li.flags, li.operstate);
		struct timespec nap = {0, 500 * 1000};
		nanosleep(&nap, NULL);
	}
}

/* link_set_mtu: see link.h. */
int link_set_mtu(struct nbnl *nl, const char *name, unsigned mtu, char *err, size_t errlen)
{
	struct nlmsghdr *nlh = nbnl_msg(nl, RTM_SETLINK, 0, "set mtu %u on %s", mtu, name);
	put_ifinfo(nlh, false);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return nbnl_commit(nl, err, errlen);
}

/* link_veth_set_mtu: see link.h. */
int link_veth_set_mtu(struct nbnl *nla, const char *a, struct nbnl *nlb, const char *b, unsigned mtu,
		      char *err, size_t errlen)
{
	if (nbnl_batching(nla) || nbnl_batching(nlb))
		return nbnl_errf(err, errlen, -EINVAL, NULL, "set mtu on %s/%s: batching socket", a, b);
	struct link_info old;
	int rc = link_get(nla, a, &old, err, errlen);
	if (rc < 0)
		return rc;
	if ((rc = link_set_mtu(nla, a, mtu, err, errlen)) < 0)
		return rc;
	if ((rc = link_set_mtu(nlb, b, mtu, err, errlen)) < 0) {
		char tmp[NBNL_ERRLEN];
		if (link_set_mtu(nla, a, old.mtu, tmp, sizeof(tmp)) < 0) {
			size_t n = err ? strlen(err) : 0;
			if (err && n + 1 < errlen)
				snprintf(err + n, errlen - n, "; and restoring %s failed: %s", a, tmp);
		}
	}
	return rc;
}

/* link_delete: see link.h. */
int link_delete(struct nbnl *nl, const char *name, char *err, size_t errlen)
{
	struct nlmsghdr *nlh = nbnl_msg(nl, RTM_DELLINK, 0, "link delete %s", name);
	put_ifinfo(nlh, false);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nbnl_commit(nl, err, errlen);
}
