/* partition.h: `partition A B | C D` and `heal` (lab_partition and
 * lab_heal are declared in lab.h; this is what lies under them).
 *
 * Semantics: hosts named in different groups can no longer exchange
 * frames; hosts not named keep all their connectivity; heal restores
 * everything the partition changed, and nothing else.
 *
 *   a cable between two hosts of different groups   both ends admin-down
 *       (lab_link_set_state, so custom hosts hear `link IF down`), unless
 *       the user took it down already; remembered in lab->part_cut so heal
 *       brings up exactly those (still not one the user took down since)
 *   a switch where hosts of two or more groups meet  port groups in the
 *       bridge's forward path (brfilter.h); remembered in lab->part_sw
 *   anything else                                    untouched
 *
 * A cable brought back is settled (lab_link.h): heal returns only when
 * both its ends carry frames again and kernel hosts have their static
 * routes back.
 *
 * A new partition replaces the current one: cables and switches are moved
 * from the old state to the new one directly, switch tables atomically,
 * without healing in between.
 */
#ifndef FABRIC_PARTITION_H
#define FABRIC_PARTITION_H

#include <stdbool.h>

#include "brfilter.h"
#include "topo.h"

struct lab;

/* What a partition does to the wiring, computed from the topology alone. */
struct part_plan {
	bool *cut;          /* per link: both ends are hosts, named in different groups */
	int *port_group;    /* per link: for a host-to-switch link, the host's group
	                       (-1: not named); -1 for host-to-host links */
	bool *filter;       /* per switch: hosts of two or more groups meet on it */
	int *n_ports;       /* per switch: its grouped ports (0 unless filter) */
};

/* part_plan_make: fills *p for group (per host index: 0.. or -1 for not
 * named; NULL: no partition, i.e. heal).  Pure; allocates.  Returns 0 or
 * -ENOMEM.  Free with part_plan_free (also after a failure). */
int part_plan_make(const struct topo *t, const int *group, struct part_plan *p);
void part_plan_free(struct part_plan *p);

/* part_switch_ports: the grouped ports of switch sw under plan p, in link
 * order, as brfilter wants them: "p<link>" and the host's group.  Writes
 * at most max; returns how many there are. */
int part_switch_ports(const struct topo *t, const struct part_plan *p, int sw,
		      struct brfilter_port *ports, int max);

/* lab_link_partitioned: true while the current partition holds link down
 * (so `link ... up` should only record the user's wish, and a restarted
 * node should hear `link IF down` for it, as for a link the user took
 * down). */
bool lab_link_partitioned(const struct lab *lab, int link);

#endif
