/* lab_link.h: a running lab's cables as the controller sees them: where
 * their ends are, what must happen after one is put back, and kernel-side
 * rate limits on cables that no node can impair.
 *
 * Putting a cable back (admin up after down, by `link ... up` or `heal`)
 * is only done when:
 *   - both ends really carry frames.  Right after an admin-up a veth still
 *     has its "noop" qdisc until the kernel's link watcher runs, and every
 *     frame sent meanwhile is dropped without a word; the link watcher is
 *     rate-limited, so after other link changes this lasts up to about a
 *     second (measured: the first frame after up was lost in 26 of 60 tries
 *     in a quiet namespace, and the node's first ARP request every time in
 *     topologies/linkdown.topo; with the wait, in none).
 *   - the static routes of kernel hosts at either end are back.  Linux
 *     flushes the routes through an interface that goes admin-down and
 *     restores only the connected ones with the address (measured).
 * Errors: 0 or negative errno, text in a caller-owned buffer.
 */
#ifndef FABRIC_LAB_LINK_H
#define FABRIC_LAB_LINK_H

#include <stddef.h>

struct lab;

/* lab_link_end: end e (0 or 1) of a link: *host is the lab host holding
 * it (a switch is lab->topo->n_hosts + its index) and dev the device name
 * there ("p<link>" in a switch). */
void lab_link_end(const struct lab *lab, int link, int e, int *host, char *dev, size_t devlen);

/* lab_link_settle: to call after a cable was brought up: returns once both
 * ends are IFF_RUNNING (link_wait_running) and the kernel hosts at either
 * end have their static routes back (lab_host_routes_restore). */
int lab_link_settle(struct lab *lab, int link, char *err, size_t errlen);

/* lab_host_routes_restore: re-adds a kernel host's static routes from the
 * topology; those already there, and those whose gateway is unreachable
 * because another of its cables is still down, are skipped.  A no-op for
 * custom hosts and switches. */
int lab_host_routes_restore(struct lab *lab, int topo_host, char *err, size_t errlen);

/* lab_link_rate_set: `link A B set rate R [queue Q]` on a cable with no
 * custom host: merges the groups spec_text names (rate, queue) into the
 * tbf on the sending end of each direction (dir 0 or 1, or -1 for both;
 * see qdisc.h), reading the current one back from the kernel.  `rate
 * unlimited` removes the tbf.  A queue given while a direction has no rate
 * is not remembered (the tbf is the only state).  Other groups:
 * -EOPNOTSUPP. */
int lab_link_rate_set(struct lab *lab, int link, int dir, const char *spec_text, char *err, size_t errlen);

#endif
