/* brfilter.h: port groups on a switch (a Linux bridge): frames may cross
 * the bridge between ports of one group, and between a grouped port and an
 * ungrouped one, never between ports of two different groups.  This is how
 * `partition` cuts a LAN segment.
 *
 * Why not bridge VLAN filtering: this kernel is built without
 * CONFIG_BRIDGE_VLAN_FILTERING (it depends on CONFIG_VLAN_8021Q, which is
 * off): setting IFLA_BR_VLAN_FILTERING, or any IFLA_BRIDGE_VLAN_INFO, is
 * refused with EOPNOTSUPP (measured).  nf_tables for the bridge family is
 * built in, so the groups live in one nftables table in the switch's own
 * namespace, on the bridge's forward hook:
 *
 *     table bridge nestbed_partition
 *       chain forward  (type filter, hook forward, priority 0, policy accept)
 *         iifname "p3" meta mark set 1          one per grouped port: the frame
 *         iifname "p7" meta mark set 2          is tagged with its port's group+1
 *         oifname "p3" meta mark != 0 meta mark != 1 drop   one per grouped port:
 *         oifname "p7" meta mark != 0 meta mark != 2 drop   no other group's frames
 *
 * A frame from an ungrouped port keeps mark 0 and reaches every port; a
 * frame to an ungrouped port is never dropped.  The mark lives only inside
 * the switch: a veth clears it when the frame crosses into the host's
 * namespace.  The bridge still learns one MAC table, so nothing else about
 * forwarding changes.  2 rules per grouped port, evaluated per forwarded frame.
 *
 * Each call is one nfnetlink batch, which the kernel applies atomically:
 * brfilter_set replaces the whole table in a single transaction, so a new
 * partition never opens a window in which the old one is gone.
 * Errors: 0 or negative errno, "what: reason (kernel: ext-ack)" in err.
 */
#ifndef FABRIC_BRFILTER_H
#define FABRIC_BRFILTER_H

#include <net/if.h>
#include <stddef.h>

#define BRFILTER_TABLE "nestbed_partition"
#define BRFILTER_CHAIN "forward"

/* One grouped bridge port. */
struct brfilter_port {
	char name[IFNAMSIZ];   /* the port device in the switch's namespace */
	int group;             /* 0, 1, ... */
};

/* brfilter_build: writes the nfnetlink batch that (re)creates the table for
 * ports[0..n) into buf (cap bytes), sequence numbers from seq.  Pure: no
 * I/O.  Returns the batch length, or -ENOSPC if cap is too small (see
 * brfilter_batch_size), -EINVAL for a bad port.  *last_seq is the sequence
 * number of the last message that asks for an ack. */
long brfilter_build(void *buf, size_t cap, const struct brfilter_port *ports, int n, unsigned seq,
		    unsigned *last_seq);

/* brfilter_batch_size: a buffer size that always holds brfilter_build's
 * batch for n ports. */
size_t brfilter_batch_size(int n);

/* brfilter_set: installs (or atomically replaces) the groups of the bridge
 * in the namespace netns_fd. */
int brfilter_set(int netns_fd, const struct brfilter_port *ports, int n, char *err, size_t errlen);

/* brfilter_clear: removes the table from netns_fd; no table is not an error. */
int brfilter_clear(int netns_fd, char *err, size_t errlen);

/* brfilter_present: 1 if netns_fd holds the table, 0 if not, or -errno. */
int brfilter_present(int netns_fd, char *err, size_t errlen);

#endif
