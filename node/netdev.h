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
 *
 * Frames move in batches, one system call for many:
 *
 *   receive   netdev_recv_batch: up to NETDEV_BATCH frames per recvmmsg,
 *             into the device's own slots (valid until the next call)
 *   transmit  netdev_send copies the frame into a queue slot; the queue
 *             leaves with one sendmmsg at netdev_flush (the event loop
 *             flushes every device at the end of each iteration) or when
 *             it is full
 *
 *   slots:  | frame 0 ... | frame 1 ... | ...   slot = MTU + 18 (VLAN tag),
 *           ^ 64-byte aligned                     at least 2048, /64
 *
 * Slots are allocated at first use, so an idle node holds none of them.
 */
#ifndef NB_NETDEV_H
#define NB_NETDEV_H

#include "nb.h"

/* Frames per system call, at most; fewer for large MTUs so a batch's slots
 * stay within NETDEV_BATCH_BYTES. */
#define NETDEV_BATCH 64
#define NETDEV_BATCH_BYTES (256 * 1024)

struct netdev_stats {
	uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes;
	uint64_t rx_calls, tx_calls;   /* recvmmsg / sendmmsg calls that moved frames */
	uint64_t rx_csum_partial;      /* frames with TP_STATUS_CSUMNOTREADY */
	uint64_t rx_truncated;         /* longer than a slot (MTU + 18) */
	uint64_t tx_dropped_nobufs;    /* ENOBUFS / EAGAIN */
	uint64_t tx_too_big;           /* EMSGSIZE */
	uint64_t tx_errors;            /* anything else (ENETDOWN, ENXIO...) */
	uint64_t kernel_drops;         /* PACKET_STATISTICS tp_drops, cumulative */
};

/* One received frame, borrowed from the device until the next receive. */
struct netdev_frame {
	uint8_t *data;
	size_t len;
	unsigned flags;                /* NB_RX_* */
};

struct netdev_queue;

struct netdev {
	int fd;
	int ifindex;
	char name[16];
	uint8_t mac[6];
	uint32_t mtu;
	struct netdev_stats st;
	bool shielded;                 /* the kernel's own stack sees nothing (netdev_shield) */
	size_t slot;                   /* bytes per slot */
	int batch;                     /* slots per batch */
	struct netdev_queue *rx, *tx;  /* NULL until first used */
};

/* netdev_open: opens and configures the raw socket on interface `name` in
 * the calling thread's network namespace; reads its MAC and MTU. Returns 0,
 * or -errno with a reason in err. */
int netdev_open(struct netdev *d, const char *name, char *err, size_t errlen);
/* netdev_close: flushes what is queued, closes the socket, frees the slots. */
void netdev_close(struct netdev *d);

/* netdev_recv_batch: receives up to `max` (at most d->batch) frames. Each
 * out[i] points into the device's slots and stays valid until the next
 * netdev_recv_batch or netdev_close. Returns the number of frames, 0 when
 * nothing is waiting, -errno on error. Our own outgoing frames and frames
 * longer than a slot (counted) are skipped. */
int netdev_recv_batch(struct netdev *d, struct netdev_frame *out, int max);

/* netdev_send: queues one frame (copied; the caller keeps its buffer) for
 * the next flush; flushes first if the queue is full. A frame longer than a
 * slot goes out at once, after what is queued. Returns 0 or -errno; failures
 * found at the flush are counted, never returned: every failure is a drop. */
int netdev_send(struct netdev *d, const uint8_t *frame, size_t len);

/* netdev_flush: hands every queued frame to the kernel (sendmmsg). */
void netdev_flush(struct netdev *d);

/* netdev_shield: makes the kernel drop every frame arriving on ifindex at tc
 * ingress, after packet sockets (the node) have their copy, so the kernel's
 * own IPv4 input never runs for the node's traffic (netdev_shield.c).
 * netdev_open calls it; 0, or -errno with a reason in err (then nothing
 * changed: the node works as before). */
int netdev_shield(int ifindex, char *err, size_t errlen);

/* netdev_poll_stats: refreshes kernel_drops from PACKET_STATISTICS. */
void netdev_poll_stats(struct netdev *d);

#endif
