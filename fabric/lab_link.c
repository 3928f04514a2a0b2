/* lab_link.c: a running lab's cables: their ends, settling one that was
 * put back, kernel-side rate limits.  See lab_link.h. */
#include "lab_link.h"

#include "addr.h"
#include "impair_spec.h"
#include "lab.h"
#include "link.h"
#include "netns.h"
#include "nl.h"
#include "qdisc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define RUNNING_MS 3000 /* a cable put back carries frames within this */

/* lab_link_end: see lab_link.h. */
void lab_link_end(const struct lab *lab, int link, int e, int *host, char *dev, size_t devlen)
{
	const struct topo *t = lab->topo;
	const struct topo_end *end = &t->links[link].end[e];
	if (end->kind == TOPO_END_IFACE) {
		*host = end->host;
		snprintf(dev, devlen, "%s", t->hosts[end->host].ifaces[end->iface].name);
	} else {
		*host = t->n_hosts + end->sw;
		snprintf(dev, devlen, "p%d", link);
	}
}

/* open_host: a netlink socket in a lab host's namespace. */
static int open_host(const struct lab *lab, int host, struct nbnl **nl, char *err, size_t errlen)
{
	int fd = netns_open(lab->hosts[host].netns, err, errlen);
	if (fd < 0)
		return fd;
	int rc = nbnl_open(nl, fd, err, errlen);
	close(fd);
	return rc;
}

/* lab_host_routes_restore: see lab_link.h. */
int lab_host_routes_restore(struct lab *lab, int topo_host, char *err, size_t errlen)
{
	const struct topo_host *th = lab->hosts[topo_host].t;
	if (!th || th->kind != TOPO_HOST_KERNEL || th->n_routes == 0)
		return 0;
	struct nbnl *nl;
	int rc = open_host(lab, topo_host, &nl, err, errlen);
	if (rc < 0)
		return rc;
	char e[NBNL_ERRLEN];
	for (int k = 0; k < th->n_routes && rc == 0; k++) {
		const struct topo_route *r = &th->routes[k];
		const char *dev = r->dev >= 0 ? th->ifaces[r->dev].name : NULL;
		int r2 = route_add4(nl, r->dst, (unsigned)r->prefix, r->via, dev, e, sizeof(e));
		/* EEXIST: still there.  ENETUNREACH / ENETDOWN: its cable is
		 * (still) down; it comes back when that one does. */
		if (r2 < 0 && r2 != -EEXIST && r2 != -ENETUNREACH && r2 != -ENETDOWN) {
			snprintf(err, errlen, "host %s: restoring route: %s", th->name, e);
			rc = r2;
		}
	}
	nbnl_close(nl);
	return rc;
}

/* lab_link_settle: see lab_link.h. */
int lab_link_settle(struct lab *lab, int link, char *err, size_t errlen)
{
	int rc = 0;
	for (int e = 0; e < 2 && rc == 0; e++) {
		int host;
		char dev[IFNAMSIZ];
		struct nbnl *nl;
		lab_link_end(lab, link, e, &host, dev, sizeof(dev));
		if ((rc = open_host(lab, host, &nl, err, errlen)) < 0)
			return rc;
		rc = link_wait_running(nl, dev, RUNNING_MS, err, errlen);
		nbnl_close(nl);
	}
	for (int e = 0; e < 2 && rc == 0; e++) {
		const struct topo_end *end = &lab->topo->links[link].end[e];
		if (end->kind == TOPO_END_IFACE)
			rc = lab_host_routes_restore(lab, end->host, err, errlen);
	}
	return rc;
}

/* rate_one: merges spec into the tbf on end d of link (direction d). */
static int rate_one(struct lab *lab, int link, int d, const struct impair_spec *spec, char *err, size_t errlen)
{
	const struct topo_link *l = &lab->topo->links[link];
	int host;
	char dev[IFNAMSIZ], e[NBNL_ERRLEN];
	struct nbnl *nl;
	lab_link_end(lab, link, d, &host, dev, sizeof(dev));
	int rc = open_host(lab, host, &nl, e, sizeof(e));
	if (rc == 0) {
		/* The current tbf is the state: rate and queue as bytes. */
		struct impair_spec merged;
		struct qdisc_tbf cur, want;
		impair_spec_init(&merged);
		if (qdisc_tbf_get(nl, dev, (unsigned)l->mtu, &cur, e, sizeof(e)) == 0) {
			merged.has = IMPAIR_HAS_RATE | IMPAIR_HAS_QUEUE;
			merged.rate_bps = cur.rate * 8;
			merged.queue_bytes = cur.limit;
		}
		impair_spec_merge(&merged, spec);
		if (qdisc_tbf_from_spec(&merged, (unsigned)l->mtu, &want) == 0)
			rc = qdisc_tbf_set(nl, dev, &want, e, sizeof(e));
		else
			rc = qdisc_root_delete(nl, dev, e, sizeof(e));
		nbnl_close(nl);
	}
	if (rc < 0)
		snprintf(err, errlen, "link %s %s: rate limit on %s's end: %s", l->end[0].name, l->end[1].name,
			 lab->hosts[host].name, e);
	return rc;
}

/* lab_link_rate_set: see lab_link.h. */
int lab_link_rate_set(struct lab *lab, int link, int dir, const char *spec_text, char *err, size_t errlen)
{
	if (link < 0 || link >= lab->topo->n_links || dir < -1 || dir > 1) {
		snprintf(err, errlen, "no such link or direction");
		return -EINVAL;
	}
	const struct topo_link *l = &lab->topo->links[link];
	struct impair_spec spec;
	struct impair_err pe;
	if (impair_spec_parse_str(spec_text, &spec, &pe) < 0) {
		snprintf(err, errlen, "link %s %s: '%s': %s", l->end[0].name, l->end[1].name, spec_text, pe.msg);
		return -EINVAL;
	}
	if (spec.has & ~(uint32_t)(IMPAIR_HAS_RATE | IMPAIR_HAS_QUEUE)) {
		snprintf(err, errlen, "link %s %s: no custom host at either end, so only 'rate' and 'queue' "
			 "apply (a tbf qdisc; this kernel has no netem)", l->end[0].name, l->end[1].name);
		return -EOPNOTSUPP;
	}
	for (int d = 0; d < 2; d++) {
		if (dir >= 0 && d != dir)
			continue;
		int rc = rate_one(lab, link, d, &spec, err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}
