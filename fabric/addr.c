/* addr.c: IPv4 addresses, routes and sysctls over rtnetlink and procfs.
 * See addr.h. */
#include "addr.h"
#include "link.h"
#include "netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

/* fmt4: "a.b.c.d" of a host-order address. */
static const char *fmt4(uint32_t a, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
	return buf;
}

/* ifindex_of: looks NAME up through nl. */
static int ifindex_of(struct nbnl *nl, const char *name, char *err, size_t errlen)
{
	struct link_info li;
	int rc = link_get(nl, name, &li, err, errlen);
	return rc < 0 ? rc : li.ifindex;
}

/* addr_msg: queues RTM_NEWADDR / RTM_DELADDR for addr/prefixlen on ifindex. */
static void addr_msg(struct nbnl *nl, uint16_t type, uint16_t flags, int ifindex, const char *ifname,
		     uint32_t addr, unsigned prefixlen)
{
	char a[16];
	struct nlmsghdr *nlh = nbnl_msg(nl, type, flags, "%s %s/%u %s %s",
					type == RTM_NEWADDR ? "address add" : "address del",
					fmt4(addr, a), prefixlen, type == RTM_NEWADDR ? "to" : "from", ifname);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (uint8_t)prefixlen;
	ifa->ifa_scope = (addr >> 24) == 127 ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	uint32_t be = htonl(addr);
	mnl_attr_put_u32(nlh, IFA_LOCAL, be);
	mnl_attr_put_u32(nlh, IFA_ADDRESS, be);
	if (type == RTM_NEWADDR && prefixlen <= 30) {
		uint32_t host = prefixlen == 0 ? UINT32_MAX : (UINT32_C(1) << (32 - prefixlen)) - 1;
		mnl_attr_put_u32(nlh, IFA_BROADCAST, htonl(addr | host));
	}
}

/* addr_add4: see addr.h. */
int addr_add4(struct nbnl *nl, const char *ifname, uint32_t addr, unsigned prefixlen,
	      char *err, size_t errlen)
{
	if (prefixlen > 32)
		return nbnl_errf(err, errlen, -EINVAL, NULL, "address add to %s: prefix /%u", ifname, prefixlen);
	int ifindex = ifindex_of(nl, ifname, err, errlen);
	if (ifindex < 0)
		return ifindex;
	addr_msg(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifindex, ifname, addr, prefixlen);
	return nbnl_commit(nl, err, errlen);
}

/* addr_del4: see addr.h. */
int addr_del4(struct nbnl *nl, const char *ifname, uint32_t addr, unsigned prefixlen,
	      char *err, size_t errlen)
{
	if (prefixlen > 32)
		return nbnl_errf(err, errlen, -EINVAL, NULL, "address del from %s: prefix /%u", ifname, prefixlen);
	int ifindex = ifindex_of(nl, ifname, err, errlen);
	if (ifindex < 0)
		return ifindex;
	addr_msg(nl, RTM_DELADDR, 0, ifindex, ifname, addr, prefixlen);
	return nbnl_commit(nl, err, errlen);
}

/* route_msg: queues RTM_NEWROUTE / RTM_DELROUTE in the main table. */
static int route_msg(struct nbnl *nl, uint16_t type, uint16_t flags, uint32_t dst, unsigned prefixlen,
		     uint32_t gw, const char *dev, char *err, size_t errlen)
{
	const char *what = type == RTM_NEWROUTE ? "route add" : "route del";
	char d[16], g[16];
	fmt4(dst, d);
	fmt4(gw, g);
	if (prefixlen > 32)
		return nbnl_errf(err, errlen, -EINVAL, NULL, "%s %s/%u: bad prefix", what, d, prefixlen);
	if (type == RTM_NEWROUTE && !gw && !dev)
		return nbnl_errf(err, errlen, -EINVAL, NULL, "%s %s/%u: needs a gateway or a device", what, d, prefixlen);
	int oif = 0;
	if (dev && (oif = ifindex_of(nl, dev, err, errlen)) < 0)
		return oif;
	struct nlmsghdr *nlh = nbnl_msg(nl, type, flags, "%s %s/%u%s%s%s%s", what, d, prefixlen,
					gw ? " via " : "", gw ? g : "", dev ? " dev " : "", dev ? dev : "");
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = (uint8_t)prefixlen;
	rtm->rtm_table = RT_TABLE_MAIN;
	if (type == RTM_NEWROUTE) {
		rtm->rtm_protocol = RTPROT_STATIC;
		rtm->rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
		rtm->rtm_type = RTN_UNICAST;
	} else {
		rtm->rtm_scope = RT_SCOPE_NOWHERE; /* delete: match any scope */
	}
	if (prefixlen > 0)
		mnl_attr_put_u32(nlh, RTA_DST, htonl(dst));
	if (gw)
		mnl_attr_put_u32(nlh, RTA_GATEWAY, htonl(gw));
	if (oif)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
	return nbnl_commit(nl, err, errlen);
}

/* route_add4: see addr.h. */
int route_add4(struct nbnl *nl, uint32_t dst, unsigned prefixlen, uint32_t gw, const char *dev,
	       char *err, size_t errlen)
{
	return route_msg(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, dst, prefixlen, gw, dev, err, errlen);
}

/* route_del4: see addr.h. */
int route_del4(struct nbnl *nl, uint32_t dst, unsigned prefixlen, uint32_t gw, const char *dev,
	       char *err, size_t errlen)
{
	return route_msg(nl, RTM_DELROUTE, 0, dst, prefixlen, gw, dev, err, errlen);
}

/* sysctl_path: /proc/sys/KEY with dots turned into slashes (unless the key
 * already uses slashes).  Rejects "..". */
static int sysctl_path(const char *key, char path[PATH_MAX])
{
	if (!key || !*key || strstr(key, ".."))
		return -EINVAL;
	int n = snprintf(path, PATH_MAX, "/proc/sys/%s", key);
	if (n < 0 || n >= PATH_MAX)
		return -ENAMETOOLONG;
	if (!strchr(key, '/'))
		for (char *p = path + 10; *p; p++)
			if (*p == '.')
				*p = '/';
	return 0;
}

struct sysctl_op {
	const char *key;
	const char *path;
	const char *value; /* set: value to write; get: NULL */
	char *buf;
	size_t len;
};

/* sysctl_here: does one sysctl_op in the thread's current namespace. */
static int sysctl_here(void *arg, char *err, size_t errlen)
{
	struct sysctl_op *op = arg;
	int fd = open(op->path, (op->value ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return nbnl_errf(err, errlen, -errno, NULL, "sysctl %s: open %s", op->key, op->path);
	int rc = 0;
	if (op->value) {
		size_t n = strlen(op->value);
		ssize_t w = write(fd, op->value, n);
		if (w < 0 || (size_t)w != n)
			rc = nbnl_errf(err, errlen, w < 0 ? -errno : -EIO, NULL, "sysctl %s = %s", op->key, op->value);
	} else {
		ssize_t r = op->len ? read(fd, op->buf, op->len - 1) : -1;
		if (r < 0) {
			rc = nbnl_errf(err, errlen, op->len ? -errno : -EINVAL, NULL, "sysctl %s: read", op->key);
		} else {
			while (r > 0 && (op->buf[r - 1] == '\n' || op->buf[r - 1] == ' '))
				r--;
			op->buf[r] = '\0';
		}
	}
	close(fd);
	return rc;
}

/* sysctl_do: runs op in netns (or here). */
static int sysctl_do(const char *netns, struct sysctl_op *op, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int rc = sysctl_path(op->key, path);
	if (rc < 0)
		return nbnl_errf(err, errlen, rc, NULL, "sysctl \"%s\"", op->key ? op->key : "(null)");
	op->path = path;
	if (!netns)
		return sysctl_here(op, err, errlen);
	return netns_run(netns, sysctl_here, op, err, errlen);
}

/* sysctl_set: see addr.h. */
int sysctl_set(const char *netns, const char *key, const char *value, char *err, size_t errlen)
{
	struct sysctl_op op = { .key = key, .value = value };
	return sysctl_do(netns, &op, err, errlen);
}

/* sysctl_get: see addr.h. */
int sysctl_get(const char *netns, const char *key, char *buf, size_t len, char *err, size_t errlen)
{
	struct sysctl_op op = { .key = key, .buf = buf, .len = len };
	if (len)
		buf[0] = '\0';
	return sysctl_do(netns, &op, err, errlen);
}
