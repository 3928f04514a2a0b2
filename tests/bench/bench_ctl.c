/* bench_ctl.c: talks to running nestbed-node control sockets (the line
 * protocol of node/ctl.h) for `make bench`.
 *
 *   bench_ctl check SOCK...            each node answers `obj`; prints
 *                                      "answered=N of M"; exit 1 unless all did
 *   bench_ctl req SOCK REQUEST...      sends each request (one argument each,
 *                                      e.g. "listen web 80 app sink") in order,
 *                                      waiting for its reply; prints replies;
 *                                      exit 1 on an `err` reply
 *   bench_ctl connrate SOCK ADDR:PORT N
 *                                      N source apps one after the other, each
 *                                      a handshake, one byte and both FINs
 *                                      (start + wait done in one write);
 *                                      prints "conns=N seconds=S rate=R"
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct conn {
	int fd;
	char buf[65536];
	size_t len;
};

/* now_s: CLOCK_MONOTONIC in seconds. */
static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* conn_open: connects to a node's control socket; 0 or -1. */
static int conn_open(struct conn *c, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	c->len = 0;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	struct timeval tv = {10, 0};
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(c->fd);
		return -1;
	}
	return 0;
}

/* conn_send: writes a whole formatted text; 0 or -1. */
static int conn_send(struct conn *c, const char *fmt, ...)
{
	char out[8192];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, sizeof(out), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(out))
		return -1;
	for (int off = 0; off < n;) {
		ssize_t w = write(c->fd, out + off, (size_t)(n - off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (int)w;
	}
	return 0;
}

/* conn_reply: reads lines until the final reply to request `id`; copies it
 * (without "<id> ") into line. Returns 1 for ok, 0 for err, -1 on I/O error.
 * Data lines are printed when `echo` is set. */
static int conn_reply(struct conn *c, unsigned long id, char *line, size_t cap, bool echo)
{
	char want[32];
	int wl = snprintf(want, sizeof(want), "%lu ", id);
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		if (!nl) {
			if (c->len == sizeof(c->buf))
				return -1;
			ssize_t r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return -1;
			c->len += (size_t)r;
			continue;
		}
		*nl = '\0';
		size_t used = (size_t)(nl - c->buf) + 1;
		int res = 2;
		if (!strncmp(c->buf, want, (size_t)wl)) {
			const char *rest = c->buf + wl;
			if (!strncmp(rest, "| ", 2)) {
				if (echo)
					printf("%s\n", rest + 2);
			} else {
				snprintf(line, cap, "%s", rest);
				res = !strncmp(rest, "ok", 2) ? 1 : 0;
			}
		}
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
		if (res != 2)
			return res;
	}
}

/* check: every socket answers. */
static int check(int n, char **paths)
{
	int ok = 0;
	char line[4096];
	for (int i = 0; i < n; i++) {
		struct conn *c = malloc(sizeof(*c));
		if (c && conn_open(c, paths[i]) == 0) {
			if (conn_send(c, "1 obj\n") == 0 && conn_reply(c, 1, line, sizeof(line), false) == 1)
				ok++;
			else
				fprintf(stderr, "bench_ctl: %s did not answer\n", paths[i]);
			close(c->fd);
		} else {
			fprintf(stderr, "bench_ctl: cannot connect to %s\n", paths[i]);
		}
		free(c);
	}
	printf("answered=%d of %d\n", ok, n);
	return ok == n ? 0 : 1;
}

/* req: requests in order, each waited for. */
static int req(const char *path, int n, char **reqs)
{
	static struct conn c;
	char line[4096];
	if (conn_open(&c, path) < 0) {
		fprintf(stderr, "bench_ctl: cannot connect to %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		if (conn_send(&c, "%d %s\n", i + 1, reqs[i]) < 0)
			return 1;
		int r = conn_reply(&c, (unsigned long)i + 1, line, sizeof(line), true);
		printf("%s\n", r < 0 ? "(no reply)" : line);
		if (r != 1) {
			fprintf(stderr, "bench_ctl: %s: %s -> %s\n", path, reqs[i], r < 0 ? "no reply" : line);
			return 1;
		}
	}
	close(c.fd);
	return 0;
}

/* connrate: n sequential source apps of one byte each. */
static int connrate(const char *path, const char *dst, long n)
{
	static struct conn c;
	char line[4096];
	if (conn_open(&c, path) < 0) {
		fprintf(stderr, "bench_ctl: cannot connect to %s\n", path);
		return 1;
	}
	int tag = (int)getpid(); /* object names stay unique across runs */
	double t0 = now_s();
	for (long i = 0; i < n; i++) {
		unsigned long id = (unsigned long)i * 2 + 1;
		if (conn_send(&c, "%lu app bcr%dx%ld start source %s 1\n%lu wait bcr%dx%ld done within 5s\n",
			      id, tag, i, dst, id + 1, tag, i) < 0)
			return 1;
		if (conn_reply(&c, id, line, sizeof(line), false) != 1 ||
		    conn_reply(&c, id + 1, line, sizeof(line), false) != 1) {
			fprintf(stderr, "bench_ctl connrate: connection %ld: %s\n", i, line);
			return 1;
		}
	}
	double dt = now_s() - t0;
	printf("conns=%ld seconds=%.6f rate=%.1f\n", n, dt, (double)n / dt);
	close(c.fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "check"))
		return check(argc - 2, argv + 2);
	if (argc >= 4 && !strcmp(argv[1], "req"))
		return req(argv[2], argc - 3, argv + 3);
	if (argc == 5 && !strcmp(argv[1], "connrate"))
		return connrate(argv[2], argv[3], atol(argv[4]));
	fprintf(stderr, "usage: bench_ctl check SOCK... | req SOCK REQUEST... | connrate SOCK ADDR:PORT N\n");
	return 2;
}
