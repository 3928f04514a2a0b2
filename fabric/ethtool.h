/* ethtool.h: switching a kernel host's veth offloads off (SIOCETHTOOL).
 *
 * A kernel host's veth hands its peer TCP segments with partial checksums
 * and 64 KB GSO super-frames unless tx checksumming, scatter-gather, TSO
 * and GSO are off; GRO on receive would merge frames the node sent.  The
 * features are found by name (ETHTOOL_GSSET_INFO + ETHTOOL_GSTRINGS for the
 * "features" string set), changed with ETHTOOL_SFEATURES, and read back
 * with ETHTOOL_GFEATURES.  The ioctl socket is opened inside the device's
 * namespace (SIOCETHTOOL acts in the namespace of the socket).
 * Errors: 0 or negative errno, text in a caller-owned buffer.
 */
#ifndef FABRIC_ETHTOOL_H
#define FABRIC_ETHTOOL_H

#include <stdbool.h>
#include <stddef.h>

/* The offloads that matter to nestbed; true means active. */
struct ethtool_offloads {
	bool tx_csum; /* any tx-checksum-* */
	bool sg;      /* tx-scatter-gather */
	bool tso;     /* tx-tcp-segmentation or tx-tcp6-segmentation */
	bool gso;     /* tx-generic-segmentation */
	bool gro;     /* rx-gro */
};

/* ethtool_offloads_get: reads the offloads of ifname in the network
 * namespace netns_fd (< 0: the calling thread's). */
int ethtool_offloads_get(int netns_fd, const char *ifname, struct ethtool_offloads *o,
			 char *err, size_t errlen);

/* ethtool_offloads_off: turns off every changeable tx checksum, scatter-
 * gather, segmentation (TSO/GSO/...), GRO and LRO feature of ifname, then
 * verifies that tx checksumming, SG, TSO, GSO and GRO are all inactive
 * (-EOPNOTSUPP naming the ones still on, otherwise). */
int ethtool_offloads_off(int netns_fd, const char *ifname, char *err, size_t errlen);

#endif
