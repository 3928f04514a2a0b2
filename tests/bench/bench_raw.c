/* bench_raw.c: the raw ceiling for `make bench`: AF_PACKET frames per second
 * across one veth with nothing on top, run in the two kernel hosts at its
 * ends.
 *
 *   bench_raw tx IFNAME DSTMAC LEN SECONDS [BATCH]
 *       sends LEN-byte frames (EtherType 0x88b5, local experimental) to DSTMAC
 *       for SECONDS, BATCH frames per sendmmsg (1: one send() per frame);
 *       prints "sent=N seconds=S pps=P nobufs=N"
 *   bench_raw rx IFNAME [BATCH]
 *       counts frames of that EtherType from the first one until none came
 *       for 300 ms, BATCH frames per recvmmsg (1: one recv() per frame);
 *       prints "frames=N seconds=S pps=P kernel_drops=N"
 *
 * Exit 0, or 1 on an error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ETYPE 0x88b5
#define BATCH_MAX 256
#define FRAME_MAX 65536

/* now_s: CLOCK_MONOTONIC in seconds. */
static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* open_dev: an AF_PACKET socket bound to ifname for our EtherType; fills
 * *ifindex and mac. -1 on error (printed). */
static int open_dev(const char *ifname, int *ifindex, uint8_t mac[6])
{
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETYPE));
	if (fd < 0) {
		perror("bench_raw: socket");
		return -1;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		perror("bench_raw: SIOCGIFINDEX");
		close(fd);
		return -1;
	}
	*ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == 0)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	int big = 32 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETYPE),
				  .sll_ifindex = *ifindex};
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("bench_raw: bind");
		close(fd);
		return -1;
	}
	return fd;
}

/* tx: blasts frames for `secs` seconds. */
static int tx(const char *ifname, const char *dst, int len, double secs, int batch)
{
	uint8_t mac[6], dmac[6];
	int ifindex;
	if (len < 60 || len > FRAME_MAX || batch < 1 || batch > BATCH_MAX ||
	    sscanf(dst, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dmac[0], &dmac[1], &dmac[2], &dmac[3],
		   &dmac[4], &dmac[5]) != 6) {
		fprintf(stderr, "bench_raw tx: bad arguments\n");
		return 1;
	}
	int fd = open_dev(ifname, &ifindex, mac);
	if (fd < 0)
		return 1;
	static uint8_t frame[FRAME_MAX];
	memcpy(frame, dmac, 6);
	memcpy(frame + 6, mac, 6);
	frame[12] = ETYPE >> 8;
	frame[13] = ETYPE & 0xff;
	for (int i = 14; i < len; i++)
		frame[i] = (uint8_t)i;
	struct iovec iov = {frame, (size_t)len};
	struct mmsghdr msgs[BATCH_MAX];
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < batch; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	uint64_t sent = 0, nobufs = 0;
	double t0 = now_s(), t;
	do {
		for (int k = 0; k < 64; k++) {
			if (batch == 1) {
				if (send(fd, frame, (size_t)len, 0) == len)
					sent++;
				else if (errno == ENOBUFS || errno == EAGAIN)
					nobufs++;
				else {
					perror("bench_raw tx: send");
					return 1;
				}
			} else {
				int n = sendmmsg(fd, msgs, (unsigned)batch, 0);
				if (n > 0)
					sent += (uint64_t)n;
				else if (errno == ENOBUFS || errno == EAGAIN)
					nobufs++;
				else {
					perror("bench_raw tx: sendmmsg");
					return 1;
				}
			}
		}
		t = now_s();
	} while (t - t0 < secs);
	printf("sent=%llu seconds=%.6f pps=%.0f nobufs=%llu\n", (unsigned long long)sent, t - t0,
	       (double)sent / (t - t0), (unsigned long long)nobufs);
	close(fd);
	return 0;
}

/* rx: counts frames from the first until a 300 ms silence. */
static int rx(const char *ifname, int batch)
{
	uint8_t mac[6];
	int ifindex;
	if (batch < 1 || batch > BATCH_MAX) {
		fprintf(stderr, "bench_raw rx: bad batch\n");
		return 1;
	}
	int fd = open_dev(ifname, &ifindex, mac);
	if (fd < 0)
		return 1;
	struct tpacket_stats st;
	socklen_t sl = sizeof(st);
	getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl); /* reset */
	static uint8_t bufs[BATCH_MAX][2048];
	struct iovec iov[BATCH_MAX];
	struct mmsghdr msgs[BATCH_MAX];
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < batch; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	printf("ready\n");
	fflush(stdout);
	uint64_t frames = 0;
	double first = 0, last = 0;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	for (;;) {
		int timeout = frames ? 300 : 20000;
		if (poll(&pfd, 1, timeout) <= 0)
			break;
		for (;;) {
			int n;
			if (batch == 1) {
				n = recv(fd, bufs[0], sizeof(bufs[0]), MSG_DONTWAIT | MSG_TRUNC) >= 0 ? 1 : -1;
			} else {
				n = recvmmsg(fd, msgs, (unsigned)batch, MSG_DONTWAIT, NULL);
			}
			if (n <= 0)
				break;
			if (!frames)
				first = now_s();
			frames += (uint64_t)n;
		}
		last = now_s();
	}
	sl = sizeof(st);
	getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl);
	double dt = last - first;
	printf("frames=%llu seconds=%.6f pps=%.0f kernel_drops=%u\n", (unsigned long long)frames, dt,
	       dt > 0 ? (double)frames / dt : 0.0, st.tp_drops);
	close(fd);
	return frames ? 0 : 1;
}

int main(int argc, char **argv)
{
	if ((argc == 6 || argc == 7) && !strcmp(argv[1], "tx"))
		return tx(argv[2], argv[3], atoi(argv[4]), atof(argv[5]), argc == 7 ? atoi(argv[6]) : 1);
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "rx"))
		return rx(argv[2], argc == 4 ? atoi(argv[3]) : 1);
	fprintf(stderr, "usage: bench_raw tx IFNAME DSTMAC LEN SECONDS [BATCH] | rx IFNAME [BATCH]\n");
	return 2;
}
