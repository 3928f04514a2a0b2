/* partition.c: partitions and heal.  See partition.h for the semantics;
 * part_plan_* is the pure part (unit-tested), the rest applies a plan to a
 * running lab (cables through lab_link_set_state and lab_link.h, switches
 * through brfilter.h). */
#include "partition.h"

#include "lab.h"
#include "lab_link.h"
#include "netns.h"
#include "nl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bits in lab->part_cut / lab->part_sw. */
static bool bit_get(const uint64_t *b, int i) { return b[i / 64] >> (i % 64) & 1; }
static void bit_put(uint64_t *b, int i, bool v)
{
	if (v)
		b[i / 64] |= (uint64_t)1 << (i % 64);
	else
		b[i / 64] &= ~((uint64_t)1 << (i % 64));
}

/* end_group: the group of the host at a link end, -1 for a switch or a
 * host not named. */
static int end_group(const struct topo_end *e, const int *group)
{
	return group && e->kind == TOPO_END_IFACE ? group[e->host] : -1;
}

/* part_plan_free: see partition.h. */
void part_plan_free(struct part_plan *p)
{
	free(p->cut);
	free(p->port_group);
	free(p->filter);
	free(p->n_ports);
	memset(p, 0, sizeof(*p));
}

/* part_plan_make: see partition.h.  A switch is filtered when the hosts on
 * it fall into at least two groups; with one group (and any number of
 * hosts not named) everyone there may still talk to everyone there. */
int part_plan_make(const struct topo *t, const int *group, struct part_plan *p)
{
	memset(p, 0, sizeof(*p));
	size_t nl = (size_t)t->n_links + 1, ns = (size_t)t->n_switches + 1;
	p->cut = calloc(nl, sizeof(*p->cut));
	p->port_group = calloc(nl, sizeof(*p->port_group));
	p->filter = calloc(ns, sizeof(*p->filter));
	p->n_ports = calloc(ns, sizeof(*p->n_ports));
	int *first = calloc(ns, sizeof(*first)); /* per switch: a group seen there, or -1 */
	if (!p->cut || !p->port_group || !p->filter || !p->n_ports || !first) {
		free(first);
		return -ENOMEM;
	}
	for (int s = 0; s < t->n_switches; s++)
		first[s] = -1;
	for (int i = 0; i < t->n_links; i++) {
		const struct topo_link *l = &t->links[i];
		int g0 = end_group(&l->end[0], group), g1 = end_group(&l->end[1], group);
		p->port_group[i] = -1;
		if (l->end[0].kind == TOPO_END_IFACE && l->end[1].kind == TOPO_END_IFACE) {
			p->cut[i] = g0 >= 0 && g1 >= 0 && g0 != g1;
			continue;
		}
		int sw = l->end[0].kind == TOPO_END_SWITCH ? l->end[0].sw : l->end[1].sw;
		int g = g0 >= 0 ? g0 : g1;
		p->port_group[i] = g;
		if (g < 0)
			continue;
		if (first[sw] < 0)
			first[sw] = g;
		else if (first[sw] != g)
			p->filter[sw] = true;
	}
	for (int i = 0; i < t->n_links; i++) {
		const struct topo_link *l = &t->links[i];
		int sw = l->end[0].kind == TOPO_END_SWITCH ? l->end[0].sw :
			 l->end[1].kind == TOPO_END_SWITCH ? l->end[1].sw : -1;
		if (sw >= 0 && p->filter[sw] && p->port_group[i] >= 0)
			p->n_ports[sw]++;
	}
	free(first);
	return 0;
}

/* part_switch_ports: see partition.h.  Port names follow lab.c: the
 * switch end of link i is the device "p<i>" in the switch's namespace. */
int part_switch_ports(const struct topo *t, const struct part_plan *p, int sw,
		      struct brfilter_port *ports, int max)
{
	int n = 0;
	if (!p->filter[sw])
		return 0;
	for (int i = 0; i < t->n_links; i++) {
		const struct topo_link *l = &t->links[i];
		bool on = (l->end[0].kind == TOPO_END_SWITCH && l->end[0].sw == sw) ||
			  (l->end[1].kind == TOPO_END_SWITCH && l->end[1].sw == sw);
		if (!on || p->port_group[i] < 0)
			continue;
		if (n < max) {
			snprintf(ports[n].name, sizeof(ports[n].name), "p%d", i);
			ports[n].group = p->port_group[i];
		}
		n++;
	}
	return n;
}

/* keep_first: remembers the first failure of a sequence of steps. */
static void keep_first(int *rc, char *err, size_t errlen, int r, const char *e)
{
	if (r < 0 && *rc == 0) {
		*rc = r;
		snprintf(err, errlen, "%s", e);
	}
}

/* cable_set: one cable admin up or down, as `link ... up|down` does it
 * (custom hosts are told), without touching the user's own down/up record. */
static int cable_set(struct lab *lab, int link, bool up, char *err, size_t errlen)
{
	bool user_down = lab->link_down[link];
	int rc = lab_link_set_state(lab, link, up, err, errlen);
	lab->link_down[link] = user_down;
	if (rc < 0 || !up)
		return rc;
	return lab_link_settle(lab, link, err, errlen);
}

/* switch_apply: puts switch sw in the state the plan wants. */
static int switch_apply(struct lab *lab, const struct part_plan *p, int sw, char *err, size_t errlen)
{
	const struct topo *t = lab->topo;
	bool want = p->filter[sw], have = bit_get(lab->part_sw, sw);
	if (!want && !have)
		return 0;
	struct lab_host *lh = &lab->hosts[t->n_hosts + sw];
	char e[NBNL_ERRLEN];
	int fd = netns_open(lh->netns, e, sizeof(e));
	if (fd < 0) {
		snprintf(err, errlen, "switch %s: %s", lh->name, e);
		return fd;
	}
	int rc;
	if (want) {
		int n = p->n_ports[sw];
		struct brfilter_port *ports = calloc((size_t)n + 1, sizeof(*ports));
		if (!ports) {
			rc = -ENOMEM;
			snprintf(e, sizeof(e), "out of memory");
		} else {
			part_switch_ports(t, p, sw, ports, n);
			rc = brfilter_set(fd, ports, n, e, sizeof(e));
			free(ports);
		}
	} else {
		rc = brfilter_clear(fd, e, sizeof(e));
	}
	close(fd);
	if (rc < 0) {
		snprintf(err, errlen, "switch %s: %s", lh->name, e);
		return rc;
	}
	bit_put(lab->part_sw, sw, want);
	return 0;
}

/* apply: moves the lab from its current partition state to group's (NULL:
 * none).  Goes on after a failure, so that as much as possible is in the
 * wanted state, and returns the first failure.  Cuts come before
 * restorations, so a new partition is never briefly wider open than
 * either the old or the new one on host-to-host cables. */
static int apply(struct lab *lab, const int *group, char *err, size_t errlen)
{
	const struct topo *t = lab->topo;
	struct part_plan p;
	int rc = 0;
	char e[NBNL_ERRLEN];
	if (part_plan_make(t, group, &p) < 0) {
		part_plan_free(&p);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (int sw = 0; sw < t->n_switches; sw++)
		if (p.filter[sw])
			keep_first(&rc, err, errlen, switch_apply(lab, &p, sw, e, sizeof(e)), e);
	for (int i = 0; i < t->n_links; i++) {
		if (!p.cut[i] || bit_get(lab->part_cut, i) || lab->link_down[i])
			continue; /* not to cut, cut already, or the user's own down */
		int r = cable_set(lab, i, false, e, sizeof(e));
		keep_first(&rc, err, errlen, r, e);
		if (r == 0)
			bit_put(lab->part_cut, i, true);
	}
	for (int sw = 0; sw < t->n_switches; sw++)
		if (!p.filter[sw])
			keep_first(&rc, err, errlen, switch_apply(lab, &p, sw, e, sizeof(e)), e);
	for (int i = 0; i < t->n_links; i++) {
		if (p.cut[i] || !bit_get(lab->part_cut, i))
			continue;
		bit_put(lab->part_cut, i, false);
		if (lab->link_down[i])
			continue; /* the user took it down meanwhile: theirs now */
		keep_first(&rc, err, errlen, cable_set(lab, i, true, e, sizeof(e)), e);
	}
	part_plan_free(&p);
	return rc;
}

/* lab_link_partitioned: see partition.h. */
bool lab_link_partitioned(const struct lab *lab, int link)
{
	return link >= 0 && link < lab->topo->n_links && bit_get(lab->part_cut, link);
}

/* lab_partition: see lab.h and partition.h. */
int lab_partition(struct lab *lab, const int *group, char *err, size_t errlen)
{
	if (!group) {
		snprintf(err, errlen, "partition without groups");
		return -EINVAL;
	}
	lab->partitioned = true;
	return apply(lab, group, err, errlen);
}

/* lab_heal: see lab.h and partition.h.  Healing a lab that is not
 * partitioned does nothing. */
int lab_heal(struct lab *lab, char *err, size_t errlen)
{
	int rc = apply(lab, NULL, err, errlen);
	if (rc == 0)
		lab->partitioned = false;
	return rc;
}
