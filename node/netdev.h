/* netdev.h: one raw Ethernet device per interface, on AF_PACKET.
 *
 * The kernel side of a custom host's veth stays silent (no address, IPv6
 * off); the node owns the wire through this socket:
 *   - SOCK_RAW, ETH_P_ALL, bound to the interface index;
 *   - PACKET_IGNORE_OUTGOING: our own transmissions do not come back;
 *   - PACKET_AUXDATA: tells us when a kernel peer left a checksum partial
 *     (TP_STATUS_CSUMNOTREADY), so the stack must not verify it;
 *   - a large SO_RCVBUFFORCE; PACKET_STATISTICS counts kernel-side drops.
 * Sending a frame larger than the MTU fails with EMSGSIZE; ENOBUFS is a
 * drop, not an error. Both are counted, never fatal.
 */
#ifndef NB_NETDEV_H
#define NB_NETDEV_H

#include "nb.h"

struct netdev_stats {
	uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes;
	uint64_t rx_csum_partial;      /* frames with TP_STATUS_CSUMNOTREADY */
	uint64_t rx_truncated;         /* longer than our buffer */
	uint64_t tx_dropped_nobufs;    /* ENOBUFS / EAGAIN */
	uint64_t tx_too_big;           /* EMSGSIZE */
	uint64_t tx_errors;            /* anything else (ENETDOWN, ENXIO...) */
	uint64_t kernel_drops;         /* PACKET_STATISTICS tp_drops, cumulative */
};

struct netdev {
	int fd;
	int ifindex;
	char name[16];
	uint8_t mac[6];
	uint32_t mtu;
	struct netdev_stats st;
};

/* netdev_open: opens and configures the raw socket on interface `name` in
 * the calling thread's network namespace; reads its MAC and MTU. Returns 0,
 * or -errno with a reason in err. */
int netdev_open(struct netdev *d, const char *name, char *err, size_t errlen);
void netdev_close(struct netdev *d);

/* netdev_recv: receives one frame into buf (cap bytes). Returns its length,
 * 0 when nothing is waiting, -errno on error. *flags gets NB_RX_* bits. */
ssize_t netdev_recv(struct netdev *d, uint8_t *buf, size_t cap, unsigned *flags);

/* netdev_send: sends one frame. Returns 0, or -errno (counted) when the
 * kernel refused it; the caller treats every failure as a drop. */
int netdev_send(struct netdev *d, const uint8_t *frame, size_t len);

/* netdev_poll_stats: refreshes kernel_drops from PACKET_STATISTICS. */
void netdev_poll_stats(struct netdev *d);

#endif
