/* lab.c: bringing a parsed topology to life, and taking it down again.
 *
 * Order of work (each step undone by lab_down, which deletes namespaces by
 * name, so a half-built lab is removed as completely as a whole one):
 *   1. state directory /run/nestbed/<P>-<lab>, owner pid
 *   2. one namespace per host and switch (IPv6 off before any device; a
 *      custom host's loopback stays down so its kernel owns no IPv4 address)
 *   3. a bridge in each switch namespace
 *   4. veth pairs, both ends born in their namespaces with name, MAC, MTU
 *   5. offloads off on every veth end; kernel hosts get addresses, routes,
 *      forwarding
 *   6. a nestbed-node per custom host, configured over its control socket
 */
#include "lab.h"

#include "addr.h"
#include "ethtool.h"
#include "fsutil.h"
#include "link.h"
#include "netns.h"
#include "nl.h"
#include "partition.h"
#include "nb.h"
#include "qdisc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define LAB_RUN_DIR "/run/nestbed"
#define SWITCH_BRIDGE "br0"
#define NODE_START_MS 5000
#define NODE_CONFIG_MS 5000

struct lab_host *lab_host(struct lab *lab, int topo_host)
{
	if (topo_host < 0 || topo_host >= lab->n_hosts)
		return NULL;
	return &lab->hosts[topo_host];
}

static int write_file(const char *path, const char *fmt, ...)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	return fclose(f) ? -errno : 0;
}

/* raise_fd_limit: a big lab holds two descriptors per host. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max > 1048576 ? 1048576 : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Per-namespace handles kept during bring-up only. */
struct ns_handles {
	int fd;
	struct nbnl *nl;
};

static void handles_close(struct ns_handles *h, int n)
{
	for (int i = 0; i < n; i++) {
		if (h[i].nl)
			nbnl_close(h[i].nl);
		if (h[i].fd >= 0)
			close(h[i].fd);
	}
	free(h);
}

static int create_namespaces(struct lab *lab, struct ns_handles *h, char *err, size_t errlen)
{
	for (int i = 0; i < lab->n_hosts; i++) {
		struct lab_host *lh = &lab->hosts[i];
		unsigned flags = NETNS_NO_IPV6;
		if (lh->t && !lh->custom)
			flags |= NETNS_LO_UP;
		int rc = netns_create(lh->netns, lh->name, flags, err, errlen);
		if (rc == -EEXIST) {
			size_t n = strlen(err);
			snprintf(err + n, errlen - n, " (another lab's host has that name, or a crash left it: "
				 "nestbed list, nestbed clean)");
		}
		if (rc < 0)
			return rc;
		lh->netns_made = true;
		h[i].fd = netns_open(lh->netns, err, errlen);
		if (h[i].fd < 0)
			return h[i].fd;
		rc = nbnl_open(&h[i].nl, h[i].fd, err, errlen);
		if (rc < 0)
			return rc;
		if (!lh->t) {
			rc = link_bridge_create(h[i].nl, SWITCH_BRIDGE, LINK_UP, err, errlen);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* end_of: which lab host and device name stand at one end of a link. */
static void end_of(struct lab *lab, const struct topo_link *l, int e, int link_idx, int *host,
		   char *ifname, size_t len, const uint8_t **mac)
{
	const struct topo_end *end = &l->end[e];
	if (end->kind == TOPO_END_IFACE) {
		const struct topo_iface *ifc = &lab->topo->hosts[end->host].ifaces[end->iface];
		*host = end->host;
		snprintf(ifname, len, "%s", ifc->name);
		*mac = ifc->mac;
	} else {
		*host = lab->topo->n_hosts + end->sw;
		snprintf(ifname, len, "p%d", link_idx);
		*mac = NULL;
	}
}

static int create_links(struct lab *lab, struct ns_handles *h, char *err, size_t errlen)
{
	const struct topo *t = lab->topo;
	for (int i = 0; i < t->n_links; i++) {
		const struct topo_link *l = &t->links[i];
		int ha, hb;
		char na[IFNAMSIZ], nb[IFNAMSIZ];
		const uint8_t *ma, *mb;
		end_of(lab, l, 0, i, &ha, na, sizeof(na), &ma);
		end_of(lab, l, 1, i, &hb, nb, sizeof(nb), &mb);
		struct veth_end a = {.name = na, .netns_fd = h[ha].fd, .mac = ma, .nl = h[ha].nl};
		struct veth_end b = {.name = nb, .netns_fd = h[hb].fd, .mac = mb, .nl = h[hb].nl};
		int rc = link_veth_create(h[ha].nl, &a, &b, (unsigned)l->mtu, LINK_UP, err, errlen);
		if (rc < 0)
			return rc;
		for (int e = 0; e < 2; e++) {
			int hh = e ? hb : ha;
			const char *nm = e ? nb : na;
			/* Hosts' ends send and take whole, MTU-sized frames. A
			 * switch port only forwards what those ends sent, so its
			 * offloads can stay as the kernel set them. */
			if (lab->hosts[hh].t && (rc = ethtool_offloads_off(h[hh].fd, nm, err, errlen)) < 0)
				return rc;
			if (!lab->hosts[hh].t) {
				struct link_info br;
				rc = link_get(h[hh].nl, SWITCH_BRIDGE, &br, err, errlen);
				if (rc == 0)
					rc = link_enslave(h[hh].nl, nm, br.ifindex, LINK_UP, err, errlen);
				if (rc < 0)
					return rc;
			}
		}
	}
	return 0;
}

static int configure_kernel_hosts(struct lab *lab, struct ns_handles *h, char *err, size_t errlen)
{
	const struct topo *t = lab->topo;
	for (int i = 0; i < t->n_hosts; i++) {
		const struct topo_host *th = &t->hosts[i];
		if (th->kind != TOPO_HOST_KERNEL)
			continue;
		for (int k = 0; k < th->n_ifaces; k++) {
			int rc = addr_add4(h[i].nl, th->ifaces[k].name, th->ifaces[k].addr,
					   (unsigned)th->ifaces[k].prefix, err, errlen);
			if (rc < 0)
				return rc;
		}
		for (int k = 0; k < th->n_routes; k++) {
			const struct topo_route *r = &th->routes[k];
			const char *dev = r->dev >= 0 ? th->ifaces[r->dev].name : NULL;
			int rc = route_add4(h[i].nl, r->dst, (unsigned)r->prefix, r->via, dev, err, errlen);
			if (rc < 0)
				return rc;
		}
		if (th->forward) {
			int rc = sysctl_set(lab->hosts[i].netns, "net.ipv4.ip_forward", "1", err, errlen);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* node_config: one configuration request; an error reply becomes err. */
static int node_config(struct lab *lab, int host, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int node_config(struct lab *lab, int host, char *err, size_t errlen, const char *fmt, ...)
{
	char req[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(req, sizeof(req), fmt, ap);
	va_end(ap);
	struct nodeproc_reply r;
	int rc = lab_node_request(lab, host, NODE_CONFIG_MS, &r, "%s", req);
	if (rc < 0) {
		snprintf(err, errlen, "host %s: '%s': %s (see %s)", lab->hosts[host].name, req,
			 rc == -ETIMEDOUT ? "no answer" : "node is gone", lab->hosts[host].np.log_path);
		return rc;
	}
	if (!r.ok) {
		snprintf(err, errlen, "host %s: '%s': %s", lab->hosts[host].name, req, r.status);
		nodeproc_reply_free(&r);
		return -EINVAL;
	}
	nodeproc_reply_free(&r);
	return 0;
}

/* A node's configuration: requests sent back to back, answered in order. */
struct cfgq {
	char **req;
	long *id;
	int n, cap;
};

static int cfgq_add(struct cfgq *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int cfgq_add(struct cfgq *q, const char *fmt, ...)
{
	if (q->n == q->cap) {
		int cap = q->cap ? 2 * q->cap : 16;
		char **r = realloc(q->req, (size_t)cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		q->req = r;
		long *id = realloc(q->id, (size_t)cap * sizeof(*id));
		if (!id)
			return -ENOMEM;
		q->id = id;
		q->cap = cap;
	}
	va_list ap;
	va_start(ap, fmt);
	int rc = vasprintf(&q->req[q->n], fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -ENOMEM;
	q->id[q->n++] = 0;
	return 0;
}

static void cfgq_free(struct cfgq *q)
{
	for (int i = 0; i < q->n; i++)
		free(q->req[i]);
	free(q->req);
	free(q->id);
	memset(q, 0, sizeof(*q));
}

/* config_impairments: every link end on a custom host impairs the frames
 * leaving it (egress); it also impairs arriving frames (ingress) when the
 * far end cannot: a kernel host or a switch. */
static int config_impairments(struct lab *lab, int host, struct cfgq *q)
{
	const struct topo *t = lab->topo;
	unsigned long long seed = (unsigned long long)lab->opts.seed;
	for (int i = 0; i < t->n_links; i++) {
		const struct topo_link *l = &t->links[i];
		for (int e = 0; e < 2; e++) {
			const struct topo_end *end = &l->end[e];
			if (end->kind != TOPO_END_IFACE || end->host != host)
				continue;
			const char *ifn = t->hosts[host].ifaces[end->iface].name;
			const struct topo_end *peer = &l->end[!e];
			bool peer_custom = peer->kind == TOPO_END_IFACE &&
					   t->hosts[peer->host].kind == TOPO_HOST_CUSTOM;
			/* Frames leaving us: dir[e]. Frames coming to us: dir[!e],
			 * applied here unless the peer is a custom host (it does it). */
			if (l->text[e] && l->text[e][0] &&
			    cfgq_add(q, "impair %s egress %s link=%d dir=%d seed=%llu", ifn, l->text[e], i, e, seed))
				return -ENOMEM;
			if (!peer_custom && l->text[!e] && l->text[!e][0] &&
			    cfgq_add(q, "impair %s ingress %s link=%d dir=%d seed=%llu", ifn, l->text[!e], i, !e, seed))
				return -ENOMEM;
		}
	}
	return 0;
}

/* config_node: the requests that make a fresh node the host the topology
 * describes: parameters, interfaces, captures, routes, impairments. */
static int config_node(struct lab *lab, int host, const char *hostdir, struct cfgq *q)
{
	const struct topo *t = lab->topo;
	const struct topo_host *th = lab->hosts[host].t;
	int rc = 0;
	for (int k = 0; rc == 0 && k < t->n_defaults; k++)
		rc = cfgq_add(q, "set %s %s", t->defaults[k].name, t->defaults[k].value);
	for (int k = 0; rc == 0 && k < th->n_params; k++)
		rc = cfgq_add(q, "set %s %s", th->params[k].name, th->params[k].value);
	if (rc == 0 && th->forward)
		rc = cfgq_add(q, "set ip.forward on");
	for (int k = 0; rc == 0 && k < th->n_ifaces; k++) {
		const struct topo_iface *ifc = &th->ifaces[k];
		char a[16];
		rc = cfgq_add(q, "iface %s addr %s/%d", ifc->name, nb_ip4_fmt(ifc->addr, a), ifc->prefix);
		if (rc == 0 && lab->opts.pcap)
			rc = cfgq_add(q, "pcap %s %s/%s.pcap", ifc->name, hostdir, ifc->name);
	}
	for (int k = 0; rc == 0 && k < th->n_routes; k++) {
		const struct topo_route *r = &th->routes[k];
		char d[16], g[16], via[40] = "", dev[40] = "";
		if (r->via)
			snprintf(via, sizeof(via), " via %s", nb_ip4_fmt(r->via, g));
		if (r->dev >= 0)
			snprintf(dev, sizeof(dev), " dev %s", th->ifaces[r->dev].name);
		rc = cfgq_add(q, "route add %s/%d%s%s", nb_ip4_fmt(r->dst, d), r->prefix, via, dev);
	}
	return rc ? rc : config_impairments(lab, host, q);
}

/* start_nodes: starts the nodes of hosts[0..n) at once (netns_fds[i] is the
 * namespace of hosts[i]): launch all, await all, send every node its whole
 * configuration, then collect the answers. The first failure wins. */
static int start_nodes(struct lab *lab, const int *hosts, const int *netns_fds, int n, char *err, size_t errlen)
{
	struct cfgq *q = calloc((size_t)(n ? n : 1), sizeof(*q));
	if (!q) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int rc = 0;
	for (int i = 0; rc == 0 && i < n; i++) {
		struct lab_host *lh = &lab->hosts[hosts[i]];
		char hostdir[PATH_MAX], log[PATH_MAX + 16], uts[PATH_MAX];
		snprintf(hostdir, sizeof(hostdir), "%s/%s", lab->outdir, lh->name);
		fs_mkdir_p(hostdir);
		snprintf(log, sizeof(log), "%s/node.log", hostdir);
		snprintf(uts, sizeof(uts), "%s/%s", NETNS_UTS_DIR, lh->netns);
		int uts_fd = open(uts, O_RDONLY | O_CLOEXEC);
		struct nodeproc_spawn_opts so = {
			.node_bin = lab->opts.node_bin, .name = lh->name, .netns_fd = netns_fds[i],
			.utsns_fd = uts_fd, .listen_path = lh->sock_path, .log_path = log,
			.seed = lab->opts.seed ^ nb_hash64((uint64_t)hosts[i] + 1),
		};
		rc = nodeproc_launch(&lh->np, &so, err, errlen);
		if (uts_fd >= 0)
			close(uts_fd);
		if (rc == 0 && (rc = config_node(lab, hosts[i], hostdir, &q[i])) < 0)
			snprintf(err, errlen, "out of memory");
	}
	for (int i = 0; rc == 0 && i < n; i++) {
		struct lab_host *lh = &lab->hosts[hosts[i]];
		rc = nodeproc_await_ready(&lh->np, NODE_START_MS, err, errlen);
		lh->alive = rc == 0;
	}
	for (int i = 0; rc == 0 && i < n; i++)
		for (int k = 0; rc == 0 && k < q[i].n; k++) {
			long id = nodeproc_send(&lab->hosts[hosts[i]].np, "%s", q[i].req[k]);
			if (id < 0) {
				rc = (int)id;
				snprintf(err, errlen, "host %s: '%s': node is gone (see %s)", lab->hosts[hosts[i]].name,
					 q[i].req[k], lab->hosts[hosts[i]].np.log_path);
			}
			q[i].id[k] = id;
		}
	for (int i = 0; rc == 0 && i < n; i++) {
		struct lab_host *lh = &lab->hosts[hosts[i]];
		for (int k = 0; rc == 0 && k < q[i].n; k++) {
			struct nodeproc_reply r;
			rc = nodeproc_wait(&lh->np, q[i].id[k], NODE_CONFIG_MS, &r);
			if (rc < 0)
				snprintf(err, errlen, "host %s: '%s': %s (see %s)", lh->name, q[i].req[k],
					 rc == -ETIMEDOUT ? "no answer" : "node is gone", lh->np.log_path);
			else if (!r.ok) {
				snprintf(err, errlen, "host %s: '%s': %s", lh->name, q[i].req[k], r.status);
				rc = -EINVAL;
			}
			nodeproc_reply_free(&r);
		}
	}
	for (int i = 0; i < n; i++)
		cfgq_free(&q[i]);
	free(q);
	return rc;
}

static int write_state(struct lab *lab)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/hosts", lab->dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	for (int i = 0; i < lab->n_hosts; i++) {
		struct lab_host *lh = &lab->hosts[i];
		fprintf(f, "%s %s %s\n", lh->name, !lh->t ? "switch" : lh->custom ? "custom" : "kernel",
			lh->netns);
	}
	return fclose(f) ? -errno : 0;
}

/* link_has_custom: a custom host at either end (its node impairs the link). */
static bool link_has_custom(const struct topo *t, const struct topo_link *l)
{
	for (int e = 0; e < 2; e++)
		if (l->end[e].kind == TOPO_END_IFACE && t->hosts[l->end[e].host].kind == TOPO_HOST_CUSTOM)
			return true;
	return false;
}

/* impairments_placeable: every impaired link needs a custom host at one end
 * (this kernel has no netem; the node's device layer does the work), except
 * for a rate limit, which a kernel-only link gets as a tbf qdisc. */
static int impairments_placeable(const struct topo *t, char *err, size_t errlen)
{
	for (int i = 0; i < t->n_links; i++) {
		const struct topo_link *l = &t->links[i];
		uint32_t has = l->dir[0].has | l->dir[1].has;
		if (link_has_custom(t, l) || !(has & ~(uint32_t)(IMPAIR_HAS_RATE | IMPAIR_HAS_QUEUE)))
			continue;
		snprintf(err, errlen, "%s:%d: link %s %s: with no custom host at either end only 'rate' and "
			 "'queue' can be applied (a tbf qdisc); delay, loss, drop, duplicate, reorder and corrupt "
			 "run in a custom host's node (this kernel has no netem)",
			 t->file, l->loc.line, l->end[0].name, l->end[1].name);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* configure_rate_limits: a kernel-only link's `rate` in direction d is a
 * tbf on the egress of end[d]'s device (qdisc.h). */
static int configure_rate_limits(struct lab *lab, struct ns_handles *h, char *err, size_t errlen)
{
	const struct topo *t = lab->topo;
	for (int i = 0; i < t->n_links; i++) {
		const struct topo_link *l = &t->links[i];
		if (link_has_custom(t, l))
			continue;
		for (int d = 0; d < 2; d++) {
			struct qdisc_tbf tbf;
			if (qdisc_tbf_from_spec(&l->dir[d], (unsigned)l->mtu, &tbf) < 0)
				continue;
			int host;
			char ifn[IFNAMSIZ], e[NBNL_ERRLEN];
			const uint8_t *mac;
			end_of(lab, l, d, i, &host, ifn, sizeof(ifn), &mac);
			int rc = qdisc_tbf_set(h[host].nl, ifn, &tbf, e, sizeof(e));
			if (rc < 0) {
				snprintf(err, errlen, "%s:%d: link %s %s: rate limit on %s's end: %s", t->file,
					 l->loc.line, l->end[0].name, l->end[1].name, lab->hosts[host].name, e);
				return rc;
			}
		}
	}
	return 0;
}

int lab_up(struct lab *lab, const struct topo *t, const struct lab_opts *o, char *err, size_t errlen)
{
	memset(lab, 0, sizeof(*lab));
	lab->topo = t;
	lab->opts = *o;
	if (geteuid() != 0) {
		snprintf(err, errlen, "nestbed needs root to create namespaces and links (try sudo)");
		return -EPERM;
	}
	int rc = impairments_placeable(t, err, errlen);
	if (rc < 0)
		return rc;
	raise_fd_limit();
	snprintf(lab->name, sizeof(lab->name), "%s-%s", o->prefix, t->name);
	snprintf(lab->dir, sizeof(lab->dir), "%s/%s", LAB_RUN_DIR, lab->name);
	snprintf(lab->outdir, sizeof(lab->outdir), "%s", o->outdir);
	int owner = lab_owner_read(lab->dir);
	if (owner > 0 && lab_owner_alive(owner)) {
		snprintf(err, errlen, "lab '%s' is already up (owner pid %d); `nestbed down %s` first",
			 t->name, owner, t->name);
		return -EEXIST;
	}
	if (access(lab->dir, F_OK) == 0 || owner > 0)
		lab_clean(o->prefix, t->name, true, NULL); /* leftovers of a crashed run */

	lab->n_hosts = t->n_hosts + t->n_switches;
	lab->hosts = calloc((size_t)lab->n_hosts, sizeof(*lab->hosts));
	lab->link_down = calloc((size_t)t->n_links + 1, sizeof(bool));
	if (!lab->hosts || !lab->link_down) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (int i = 0; i < lab->n_hosts; i++) {
		struct lab_host *lh = &lab->hosts[i];
		lh->np.fd = -1;
		lh->np.pid = -1;
		if (i < t->n_hosts) {
			lh->t = &t->hosts[i];
			lh->custom = lh->t->kind == TOPO_HOST_CUSTOM;
			snprintf(lh->name, sizeof(lh->name), "%s", lh->t->name);
		} else {
			snprintf(lh->name, sizeof(lh->name), "%s", t->switches[i - t->n_hosts].name);
		}
		snprintf(lh->netns, sizeof(lh->netns), "%s-%s", lab->name, lh->name);
		snprintf(lh->sock_path, sizeof(lh->sock_path), "%s/%s.sock", lab->dir, lh->name);
	}

	rc = fs_mkdir_p(lab->dir);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/owner", lab->dir);
	if (rc < 0 || (rc = write_file(path, "%d\n", (int)getpid())) < 0 || (rc = write_state(lab)) < 0) {
		snprintf(err, errlen, "cannot write lab state under %s: %s", lab->dir, strerror(-rc));
		lab_down(lab);
		return rc;
	}
	if ((rc = fs_mkdir_p(lab->outdir)) < 0) {
		snprintf(err, errlen, "cannot create output directory %s: %s", lab->outdir, strerror(-rc));
		lab_down(lab);
		return rc;
	}

	struct ns_handles *h = calloc((size_t)lab->n_hosts, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "out of memory");
		lab_down(lab);
		return -ENOMEM;
	}
	for (int i = 0; i < lab->n_hosts; i++)
		h[i].fd = -1;
	rc = create_namespaces(lab, h, err, errlen);
	if (rc == 0)
		rc = create_links(lab, h, err, errlen);
	if (rc == 0)
		rc = configure_kernel_hosts(lab, h, err, errlen);
	if (rc == 0)
		rc = configure_rate_limits(lab, h, err, errlen);
	if (rc == 0) {
		int *hosts = calloc((size_t)t->n_hosts + 1, sizeof(int));
		int *fds = calloc((size_t)t->n_hosts + 1, sizeof(int));
		int n = 0;
		for (int i = 0; hosts && fds && i < t->n_hosts; i++)
			if (lab->hosts[i].custom) {
				hosts[n] = i;
				fds[n++] = h[i].fd;
			}
		rc = hosts && fds ? start_nodes(lab, hosts, fds, n, err, errlen) : -ENOMEM;
		if (!hosts || !fds)
			snprintf(err, errlen, "out of memory");
		free(hosts);
		free(fds);
	}
	handles_close(h, lab->n_hosts);
	if (rc < 0) {
		lab_down(lab);
		return rc;
	}
	return 0;
}

void lab_down(struct lab *lab)
{
	char err[NBNL_ERRLEN];
	if (!lab->hosts)
		return;
	/* Every node is told at once, then all are awaited together. */
	struct nodeproc **nps = calloc((size_t)lab->n_hosts + 1, sizeof(*nps));
	int n = 0;
	for (int i = 0; i < lab->n_hosts; i++) {
		struct lab_host *lh = &lab->hosts[i];
		if (lh->custom && (lh->np.pid > 0 || lh->np.fd >= 0)) {
			nodeproc_quit(&lh->np);
			if (nps)
				nps[n++] = &lh->np;
			else
				nodeproc_stop(&lh->np, 1000);
		}
		lh->alive = false;
	}
	nodeproc_reap(nps, n, 2000);
	free(nps);
	/* Only what this lab created: a name that clashed (lab "a" host "b-c"
	 * against lab "a-b" host "c") is another lab's namespace. */
	for (int i = 0; i < lab->n_hosts; i++) {
		if (lab->hosts[i].netns_made)
			netns_delete(lab->hosts[i].netns, err, sizeof(err));
		unlink(lab->hosts[i].sock_path);
	}
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/hosts", lab->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/owner", lab->dir);
	unlink(path);
	rmdir(lab->dir);
	free(lab->hosts);
	free(lab->link_down);
	lab->hosts = NULL;
	lab->link_down = NULL;
}

int lab_node_request(struct lab *lab, int topo_host, int timeout_ms, struct nodeproc_reply *r,
		     const char *fmt, ...)
{
	struct lab_host *lh = lab_host(lab, topo_host);
	char req[4096];
	memset(r, 0, sizeof(*r));
	if (!lh || !lh->custom || !lh->alive || lh->np.fd < 0)
		return -EPIPE;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(req, sizeof(req), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(req))
		return -E2BIG;
	return nodeproc_request(&lh->np, timeout_ms, r, "%s", req);
}

int lab_host_restart(struct lab *lab, int topo_host, char *err, size_t errlen)
{
	struct lab_host *lh = lab_host(lab, topo_host);
	if (!lh || !lh->custom) {
		snprintf(err, errlen, "only custom hosts can be restarted");
		return -EINVAL;
	}
	if (lh->alive || lh->np.pid > 0)
		nodeproc_stop(&lh->np, 1000);
	lh->alive = false;
	int fd = netns_open(lh->netns, err, errlen);
	if (fd < 0)
		return fd;
	/* A fresh stack, configured as the topology says. */
	int rc = start_nodes(lab, &topo_host, &fd, 1, err, errlen);
	close(fd);
	if (rc < 0)
		return rc;
	/* Links that are down now (by hand or by a partition) stay down for
	 * the new stack too. */
	const struct topo *t = lab->topo;
	for (int i = 0; i < t->n_links; i++) {
		if (!lab->link_down[i] && !lab_link_partitioned(lab, i))
			continue;
		for (int e = 0; e < 2; e++) {
			const struct topo_end *end = &t->links[i].end[e];
			if (end->kind == TOPO_END_IFACE && end->host == topo_host &&
			    (rc = node_config(lab, topo_host, err, errlen, "link %s down",
					      t->hosts[topo_host].ifaces[end->iface].name)) < 0)
				return rc;
		}
	}
	return 0;
}
