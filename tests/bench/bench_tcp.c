/* bench_tcp.c: Linux TCP reference figures for `make bench`, run inside two
 * kernel hosts of a nestbed lab.
 *
 *   bench_tcp server PORT               accept one connection, read it to EOF,
 *                                       checking every byte against the pattern;
 *                                       answer "BYTES OK|BAD" and exit
 *   bench_tcp client ADDR PORT BYTES    send BYTES of the pattern (or, with
 *                                       BYTES written "Ns", for N seconds),
 *                                       half-close, read the server's answer;
 *                                       prints
 *                                       "bytes=N seconds=S gbit=G check=ok|bad"
 *   bench_tcp connsrv PORT              accept forever: read each connection to
 *                                       EOF, then close it
 *   bench_tcp conncli ADDR PORT N       N times, one after the other: connect,
 *                                       write 1 byte, half-close, read to EOF,
 *                                       close; prints "conns=N seconds=S rate=R"
 *
 * The pattern is word i (8 bytes, little endian) = i * 0x9e3779b97f4a7c15,
 * so the receiver notices a lost, duplicated or reordered byte at a cost of
 * one compare per word (the kernel's goodput stays the kernel's). Exit 0 on
 * success, 1 on any error or a pattern mismatch.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (256 * 1024)
#define PAT_K UINT64_C(0x9e3779b97f4a7c15)

/* now_s: CLOCK_MONOTONIC in seconds. */
static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* pat_byte: byte `off` of the pattern. */
static inline uint8_t pat_byte(uint64_t off)
{
	return (uint8_t)(((off >> 3) * PAT_K) >> (8 * (off & 7)));
}

/* pat_fill: writes pattern bytes [off, off + len) into buf. */
static void pat_fill(uint8_t *buf, size_t len, uint64_t off)
{
	size_t i = 0;
	for (; i < len && ((off + i) & 7); i++)
		buf[i] = pat_byte(off + i);
	for (; len - i >= 8; i += 8) {
		uint64_t w = ((off + i) >> 3) * PAT_K;
		memcpy(buf + i, &w, 8);
	}
	for (; i < len; i++)
		buf[i] = pat_byte(off + i);
}

/* pat_ok: true if buf holds pattern bytes [off, off + len). */
static bool pat_ok(const uint8_t *buf, size_t len, uint64_t off)
{
	size_t i = 0;
	for (; i < len && ((off + i) & 7); i++)
		if (buf[i] != pat_byte(off + i))
			return false;
	uint64_t acc = 0;
	for (; len - i >= 8; i += 8) {
		uint64_t w;
		memcpy(&w, buf + i, 8);
		acc |= w ^ (((off + i) >> 3) * PAT_K);
	}
	if (acc)
		return false;
	for (; i < len; i++)
		if (buf[i] != pat_byte(off + i))
			return false;
	return true;
}

/* cpu_s: user + system CPU seconds of this process so far (the kernel's
 * TCP work done on its behalf, softirqs included, lands here too). */
static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* listen_on: a listening socket on PORT (all addresses), or -1. */
static int listen_on(int port)
{
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1024) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* connect_to: a connected socket to addr:port, or -1. With `patient`, a
 * refused connection is retried for up to 3 s (the server may be starting). */
static int connect_to(const char *addr, int port, bool patient)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return -1;
	for (int tries = 0;; tries++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		int e = errno;
		close(fd);
		if (!patient || e != ECONNREFUSED || tries >= 300)
			return -1;
		usleep(10000);
	}
}

/* write_all: 0 once all of buf is written, -1 on error. */
static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* server: one bulk connection, checked; answers with the count and verdict. */
static int server(int port)
{
	int lfd = listen_on(port);
	if (lfd < 0) {
		perror("bench_tcp server: listen");
		return 1;
	}
	int fd = accept(lfd, NULL, NULL);
	if (fd < 0) {
		perror("bench_tcp server: accept");
		return 1;
	}
	uint8_t *buf = malloc(CHUNK);
	uint64_t off = 0;
	bool ok = buf != NULL;
	for (;;) {
		ssize_t n = read(fd, buf, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (ok && !pat_ok(buf, (size_t)n, off))
			ok = false;
		off += (uint64_t)n;
	}
	char ans[64];
	int len = snprintf(ans, sizeof(ans), "%llu %s\n", (unsigned long long)off, ok ? "OK" : "BAD");
	write_all(fd, ans, (size_t)len);
	printf("bytes=%llu cpu=%.3f check=%s\n", (unsigned long long)off, cpu_s(), ok ? "ok" : "bad");
	close(fd);
	close(lfd);
	free(buf);
	return ok ? 0 : 1;
}

/* client: sends `bytes` of the pattern (for `secs` seconds instead when
 * secs > 0) and reports the goodput. */
static int client(const char *addr, int port, uint64_t bytes, double secs)
{
	uint8_t *buf = malloc(CHUNK);
	if (!buf)
		return 1;
	int fd = connect_to(addr, port, true);
	if (fd < 0) {
		perror("bench_tcp client: connect");
		return 1;
	}
	double t0 = now_s();
	if (secs > 0)
		bytes = UINT64_MAX;
	for (uint64_t off = 0; off < bytes;) {
		if (secs > 0 && (off & (64 * CHUNK - 1)) == 0 && now_s() - t0 >= secs) {
			bytes = off;
			break;
		}
		size_t n = bytes - off < CHUNK ? (size_t)(bytes - off) : CHUNK;
		pat_fill(buf, n, off);
		if (write_all(fd, buf, n) < 0) {
			perror("bench_tcp client: write");
			return 1;
		}
		off += n;
	}
	shutdown(fd, SHUT_WR);
	char ans[64] = "";
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, ans + got, sizeof(ans) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	double dt = now_s() - t0;
	close(fd);
	unsigned long long rx = 0;
	char verdict[8] = "";
	bool ok = sscanf(ans, "%llu %7s", &rx, verdict) == 2 && rx == bytes && !strcmp(verdict, "OK");
	printf("bytes=%llu seconds=%.6f gbit=%.3f cpu=%.3f check=%s\n", (unsigned long long)bytes, dt,
	       (double)bytes * 8 / dt / 1e9, cpu_s(), ok ? "ok" : "bad");
	free(buf);
	return ok ? 0 : 1;
}

/* connsrv: serves connections one after the other until killed. */
static int connsrv(int port)
{
	int lfd = listen_on(port);
	if (lfd < 0) {
		perror("bench_tcp connsrv: listen");
		return 1;
	}
	char buf[256];
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("bench_tcp connsrv: accept");
			return 1;
		}
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
}

/* conncli: n sequential connections, each a handshake, one byte and both FINs. */
static int conncli(const char *addr, int port, long n)
{
	char buf[256];
	double t0 = 0;
	for (long i = -1; i < n; i++) { /* i = -1: waits for the server, not timed */
		if (i == 0)
			t0 = now_s();
		int fd = connect_to(addr, port, i < 0);
		if (fd < 0 || write_all(fd, "x", 1) < 0) {
			fprintf(stderr, "bench_tcp conncli: connection %ld: %s\n", i, strerror(errno));
			return 1;
		}
		shutdown(fd, SHUT_WR);
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
	double dt = now_s() - t0;
	printf("conns=%ld seconds=%.6f rate=%.1f\n", n, dt, (double)n / dt);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "server"))
		return server(atoi(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "client")) {
		char *end;
		double v = strtod(argv[4], &end);
		if (*end == 's')
			return client(argv[2], atoi(argv[3]), 0, v);
		return client(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 10), 0);
	}
	if (argc == 3 && !strcmp(argv[1], "connsrv"))
		return connsrv(atoi(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "conncli"))
		return conncli(argv[2], atoi(argv[3]), atol(argv[4]));
	fprintf(stderr, "usage: bench_tcp server PORT | client ADDR PORT BYTES | connsrv PORT | "
			"conncli ADDR PORT N\n");
	return 2;
}
