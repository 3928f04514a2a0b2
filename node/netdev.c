/* netdev.c: AF_PACKET raw device (the node's only contact with the wire),
 * with batched receive (recvmmsg) and transmit (a queue, sendmmsg). */
#include "netdev.h"
#include "stack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define NETDEV_RCVBUF (32 << 20)
#define NETDEV_SNDBUF (8 << 20)

union auxbuf {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
};

/* One direction's batch: d->batch slots of d->slot bytes and the message
 * headers that point at them. */
struct netdev_queue {
	uint8_t *slots;                  /* mmap'd: pages appear as frames use them */
	size_t slots_len;
	int n;                           /* transmit: frames queued */
	struct mmsghdr msg[NETDEV_BATCH];
	struct iovec iov[NETDEV_BATCH];
	struct sockaddr_ll from[NETDEV_BATCH];  /* receive only */
	union auxbuf aux[NETDEV_BATCH];         /* receive only */
};

/* fail: -errno of the failed call, with "what on name: reason" in err. */
static int fail(char *err, size_t errlen, const char *what, const char *name)
{
	int e = errno;
	snprintf(err, errlen, "%s on %s: %s", what, name, strerror(e));
	return -e;
}

/* size_slots: a slot holds one frame of the MTU plus a VLAN tag; a batch
 * stays within NETDEV_BATCH_BYTES. */
static void size_slots(struct netdev *d)
{
	size_t s = (size_t)d->mtu + NB_ETH_HLEN + 4;
	if (s < 2048)
		s = 2048;
	d->slot = (s + 63) & ~(size_t)63;
	size_t b = NETDEV_BATCH_BYTES / d->slot;
	d->batch = b < 1 ? 1 : b > NETDEV_BATCH ? NETDEV_BATCH : (int)b;
}

/* queue_new: a direction's batch, or NULL without memory. */
static struct netdev_queue *queue_new(const struct netdev *d, bool rx)
{
	struct netdev_queue *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->slots_len = d->slot * (size_t)d->batch;
	q->slots = mmap(NULL, q->slots_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q->slots == MAP_FAILED) {
		free(q);
		return NULL;
	}
	for (int i = 0; i < d->batch; i++) {
		q->iov[i].iov_base = q->slots + (size_t)i * d->slot;
		q->iov[i].iov_len = d->slot;
		q->msg[i].msg_hdr.msg_iov = &q->iov[i];
		q->msg[i].msg_hdr.msg_iovlen = 1;
		if (rx) {
			q->msg[i].msg_hdr.msg_name = &q->from[i];
			q->msg[i].msg_hdr.msg_control = q->aux[i].buf;
		}
	}
	return q;
}

/* queue_free: releases a batch and its slots (NULL is fine). */
static void queue_free(struct netdev_queue *q)
{
	if (!q)
		return;
	munmap(q->slots, q->slots_len);
	free(q);
}

int netdev_open(struct netdev *d, const char *name, char *err, size_t errlen)
{
	struct ifreq ifr;
	int one = 1;
	memset(d, 0, sizeof(*d));
	d->fd = -1;
	if (strlen(name) >= sizeof(d->name)) {
		snprintf(err, errlen, "interface name too long: %s", name);
		return -EINVAL;
	}
	strcpy(d->name, name);
	d->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (d->fd < 0)
		return fail(err, errlen, "socket(AF_PACKET)", name);

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, name);
	if (ioctl(d->fd, SIOCGIFINDEX, &ifr) < 0)
		goto fail_close_ifindex;
	d->ifindex = ifr.ifr_ifindex;
	if (ioctl(d->fd, SIOCGIFHWADDR, &ifr) < 0)
		goto fail_close_ifindex;
	memcpy(d->mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(d->fd, SIOCGIFMTU, &ifr) < 0)
		goto fail_close_ifindex;
	d->mtu = (uint32_t)ifr.ifr_mtu;
	size_slots(d);

	/* Options before bind, so nothing arrives unconfigured. */
	if (setsockopt(d->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0 ||
	    setsockopt(d->fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0) {
		int rc = fail(err, errlen, "setsockopt(PACKET_*)", name);
		netdev_close(d);
		return rc;
	}
	int rb = NETDEV_RCVBUF, sb = NETDEV_SNDBUF;
	if (setsockopt(d->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rb, sizeof(rb)) < 0)
		setsockopt(d->fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb));
	if (setsockopt(d->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sb, sizeof(sb)) < 0)
		setsockopt(d->fd, SOL_SOCKET, SO_SNDBUF, &sb, sizeof(sb));

	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = d->ifindex,
	};
	if (bind(d->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		int rc = fail(err, errlen, "bind(AF_PACKET)", name);
		netdev_close(d);
		return rc;
	}
	char why[128];
	d->shielded = netdev_shield(d->ifindex, why, sizeof(why)) == 0;
	return 0;

fail_close_ifindex:;
	int rc = fail(err, errlen, "interface lookup", name);
	netdev_close(d);
	return rc;
}

void netdev_close(struct netdev *d)
{
	if (d->fd >= 0) {
		netdev_flush(d);
		close(d->fd);
	}
	d->fd = -1;
	queue_free(d->rx);
	queue_free(d->tx);
	d->rx = d->tx = NULL;
}

/* rx_flags: NB_RX_* from a received message's PACKET_AUXDATA. */
static unsigned rx_flags(struct netdev *d, struct msghdr *m)
{
	unsigned flags = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA ||
		    c->cmsg_len < CMSG_LEN(sizeof(struct tpacket_auxdata)))
			continue;
		struct tpacket_auxdata aux;
		memcpy(&aux, CMSG_DATA(c), sizeof(aux));
		if (aux.tp_status & TP_STATUS_CSUMNOTREADY) {
			flags |= NB_RX_CSUM_PARTIAL;
			d->st.rx_csum_partial++;
		}
	}
	return flags;
}

int netdev_recv_batch(struct netdev *d, struct netdev_frame *out, int max)
{
	if (!d->rx && !(d->rx = queue_new(d, true)))
		return -ENOMEM;
	struct netdev_queue *q = d->rx;
	if (max > d->batch)
		max = d->batch;
	for (;;) {
		for (int i = 0; i < max; i++) {
			q->msg[i].msg_hdr.msg_namelen = sizeof(q->from[i]);
			q->msg[i].msg_hdr.msg_controllen = sizeof(q->aux[i].buf);
			q->msg[i].msg_hdr.msg_flags = 0;
		}
		int n = recvmmsg(d->fd, q->msg, (unsigned)max, MSG_DONTWAIT | MSG_TRUNC, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		}
		d->st.rx_calls++;
		int got = 0;
		for (int i = 0; i < n; i++) {
			struct msghdr *m = &q->msg[i].msg_hdr;
			size_t len = q->msg[i].msg_len;
			/* PACKET_IGNORE_OUTGOING makes this rare; be sure anyway. */
			if (q->from[i].sll_pkttype == PACKET_OUTGOING)
				continue;
			if (len > d->slot || (m->msg_flags & MSG_TRUNC)) {
				d->st.rx_truncated++;
				continue;
			}
			out[got].data = q->iov[i].iov_base;
			out[got].len = len;
			out[got].flags = rx_flags(d, m);
			d->st.rx_frames++;
			d->st.rx_bytes += len;
			got++;
		}
		if (got || n < max)
			return got;
	}
}

/* count_tx_error: one frame the kernel refused, by errno. */
static void count_tx_error(struct netdev *d, int e)
{
	if (e == ENOBUFS || e == EAGAIN)
		d->st.tx_dropped_nobufs++;
	else if (e == EMSGSIZE)
		d->st.tx_too_big++;
	else
		d->st.tx_errors++;
}

/* send_now: one frame, one system call, bypassing the queue. */
static int send_now(struct netdev *d, const uint8_t *frame, size_t len)
{
	for (;;) {
		ssize_t n = send(d->fd, frame, len, MSG_DONTWAIT);
		if (n >= 0) {
			d->st.tx_frames++;
			d->st.tx_bytes += len;
			return 0;
		}
		if (errno == EINTR)
			continue;
		count_tx_error(d, errno);
		return -errno;
	}
}

int netdev_send(struct netdev *d, const uint8_t *frame, size_t len)
{
	if (d->fd < 0)
		return -EBADF;
	if (len > d->slot || (!d->tx && !(d->tx = queue_new(d, false)))) {
		netdev_flush(d);
		return send_now(d, frame, len);
	}
	struct netdev_queue *q = d->tx;
	if (q->n == d->batch)
		netdev_flush(d);
	memcpy(q->iov[q->n].iov_base, frame, len);
	q->iov[q->n].iov_len = len;
	q->n++;
	return 0;
}

void netdev_flush(struct netdev *d)
{
	struct netdev_queue *q = d->tx;
	if (!q || !q->n)
		return;
	for (int i = 0; i < q->n;) {
		int r = sendmmsg(d->fd, &q->msg[i], (unsigned)(q->n - i), MSG_DONTWAIT);
		if (r > 0) {
			d->st.tx_calls++;
			for (int k = i; k < i + r; k++)
				d->st.tx_bytes += q->iov[k].iov_len;
			d->st.tx_frames += (uint64_t)r;
			i += r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		count_tx_error(d, r < 0 ? errno : EIO); /* frame i was refused: a drop */
		i++;
	}
	q->n = 0;
}

void netdev_poll_stats(struct netdev *d)
{
	struct tpacket_stats ts;
	socklen_t l = sizeof(ts);
	if (getsockopt(d->fd, SOL_PACKET, PACKET_STATISTICS, &ts, &l) == 0)
		d->st.kernel_drops += ts.tp_drops; /* reading resets the kernel's counter */
}
