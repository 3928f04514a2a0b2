/* netdev.c: AF_PACKET raw device (the node's only contact with the wire). */
#include "netdev.h"
#include "stack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define NETDEV_RCVBUF (32 << 20)
#define NETDEV_SNDBUF (8 << 20)

static int fail(char *err, size_t errlen, const char *what, const char *name)
{
	int e = errno;
	snprintf(err, errlen, "%s on %s: %s", what, name, strerror(e));
	return -e;
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
	return 0;

fail_close_ifindex:;
	int rc = fail(err, errlen, "interface lookup", name);
	netdev_close(d);
	return rc;
}

void netdev_close(struct netdev *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

ssize_t netdev_recv(struct netdev *d, uint8_t *buf, size_t cap, unsigned *flags)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} ctl;
	struct sockaddr_ll from;
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr msg = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	*flags = 0;
	for (;;) {
		ssize_t n = recvmsg(d->fd, &msg, MSG_TRUNC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -errno;
		}
		/* PACKET_IGNORE_OUTGOING makes this rare; be sure anyway. */
		if (from.sll_pkttype == PACKET_OUTGOING) {
			msg.msg_controllen = sizeof(ctl.buf);
			msg.msg_namelen = sizeof(from);
			continue;
		}
		if ((size_t)n > cap || (msg.msg_flags & MSG_TRUNC)) {
			d->st.rx_truncated++;
			msg.msg_controllen = sizeof(ctl.buf);
			msg.msg_namelen = sizeof(from);
			continue;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA ||
			    c->cmsg_len < CMSG_LEN(sizeof(struct tpacket_auxdata)))
				continue;
			struct tpacket_auxdata aux;
			memcpy(&aux, CMSG_DATA(c), sizeof(aux));
			if (aux.tp_status & TP_STATUS_CSUMNOTREADY) {
				*flags |= NB_RX_CSUM_PARTIAL;
				d->st.rx_csum_partial++;
			}
		}
		d->st.rx_frames++;
		d->st.rx_bytes += (uint64_t)n;
		return n;
	}
}

int netdev_send(struct netdev *d, const uint8_t *frame, size_t len)
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
		if (errno == ENOBUFS || errno == EAGAIN)
			d->st.tx_dropped_nobufs++;
		else if (errno == EMSGSIZE)
			d->st.tx_too_big++;
		else
			d->st.tx_errors++;
		return -errno;
	}
}

void netdev_poll_stats(struct netdev *d)
{
	struct tpacket_stats ts;
	socklen_t l = sizeof(ts);
	if (getsockopt(d->fd, SOL_PACKET, PACKET_STATISTICS, &ts, &l) == 0)
		d->st.kernel_drops += ts.tp_drops; /* reading resets the kernel's counter */
}
