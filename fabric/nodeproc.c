/* nodeproc.c: spawning nestbed-node in a host's namespaces and speaking its
 * control protocol (see node/ctl.h for the wire format). */
#include "nodeproc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NODE_NICE (-10)

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* child_exec: runs in the vfork()ed child, on the parent's memory: system
 * calls only, then exec (argv was built by the parent); never returns. */
static void child_exec(const struct nodeproc_spawn_opts *o, char *const argv[], int ctl_fd, pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	/* Out of the terminal's foreground group: ^C is for the controller,
	 * which still needs its nodes for the final dumps and the teardown. */
	setpgid(0, 0);
	/* A node emulates a wire: it should win the CPU against background
	 * work, or held frames leave late (best effort; needs CAP_SYS_NICE). */
	setpriority(PRIO_PROCESS, 0, NODE_NICE);
	if (o->log_path) {
		int lf = open(o->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (lf >= 0) {
			dup2(lf, 1);
			dup2(lf, 2);
		}
	}
	if (setns(o->netns_fd, CLONE_NEWNET) < 0 ||
	    (o->utsns_fd >= 0 && setns(o->utsns_fd, CLONE_NEWUTS) < 0)) {
		static const char msg[] = "nestbed-node: cannot enter the host's namespaces\n";
		(void)!write(2, msg, sizeof(msg) - 1);
		_exit(127);
	}
	int devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0)
		dup2(devnull, 0);
	if (dup2(ctl_fd, 3) < 0)
		_exit(127);
	/* Everything else the controller holds stays behind. */
	close_range(4, ~0U, 0);
	execv(o->node_bin, argv);
	static const char msg[] = "nestbed-node: cannot exec the node binary\n";
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(127);
}

static bool (*interrupt_fn)(void);

void nodeproc_set_interrupt(bool (*fn)(void)) { interrupt_fn = fn; }

/* read_line: the next complete line from the node, waiting until deadline.
 * Returns the line length (line NUL-terminated in out), -ETIMEDOUT, -EPIPE,
 * or -EINTR once the interrupt hook says stop. */
static int read_line(struct nodeproc *np, long long deadline, char *out, size_t outlen)
{
	for (;;) {
		char *nl = memchr(np->rbuf, '\n', np->rlen);
		if (nl) {
			size_t n = (size_t)(nl - np->rbuf);
			size_t copy = n < outlen - 1 ? n : outlen - 1;
			memcpy(out, np->rbuf, copy);
			out[copy] = '\0';
			memmove(np->rbuf, nl + 1, np->rlen - n - 1);
			np->rlen -= n + 1;
			return (int)copy;
		}
		if (np->rlen == sizeof(np->rbuf))
			np->rlen = 0; /* a line longer than we hold: drop it */
		long long left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		if (interrupt_fn && interrupt_fn())
			return -EINTR;
		/* in slices while an interrupt can come, so it is seen within 100 ms */
		long long cap = interrupt_fn ? 100 : 1000000;
		struct pollfd p = {.fd = np->fd, .events = POLLIN};
		int k = poll(&p, 1, left > cap ? (int)cap : (int)left);
		if (k < 0 && errno != EINTR)
			return -EPIPE;
		if (k <= 0)
			continue;
		ssize_t r = read(np->fd, np->rbuf + np->rlen, sizeof(np->rbuf) - np->rlen);
		if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
			return -EPIPE;
		if (r > 0)
			np->rlen += (size_t)r;
	}
}

int nodeproc_launch(struct nodeproc *np, const struct nodeproc_spawn_opts *o, char *err, size_t errlen)
{
	int sv[2];
	memset(np, 0, sizeof(*np));
	np->fd = -1;
	np->pid = -1;
	np->next_id = 1;
	snprintf(np->name, sizeof(np->name), "%s", o->name);
	snprintf(np->log_path, sizeof(np->log_path), "%s", o->log_path ? o->log_path : "");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -errno;
	}
	/* The child's arguments are made here: after vfork() it only makes
	 * system calls. vfork() copies no page tables, which a fork() of a big
	 * controller would do once per node (a quarter of a 500-host bring-up). */
	char seed[32];
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)o->seed);
	char *argv[12];
	int i = 0;
	argv[i++] = (char *)o->node_bin;
	argv[i++] = "--name";
	argv[i++] = (char *)o->name;
	argv[i++] = "--ctl-fd";
	argv[i++] = "3";
	argv[i++] = "--seed";
	argv[i++] = seed;
	if (o->listen_path) {
		argv[i++] = "--listen";
		argv[i++] = (char *)o->listen_path;
	}
	argv[i] = NULL;
	pid_t parent = getpid();
	pid_t pid = vfork();
	if (pid < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		snprintf(err, errlen, "vfork: %s", strerror(e));
		return -e;
	}
	if (pid == 0)
		child_exec(o, argv, sv[1], parent);
	close(sv[1]);
	np->pid = pid;
	np->fd = sv[0];
	return 0;
}

int nodeproc_await_ready(struct nodeproc *np, int timeout_ms, char *err, size_t errlen)
{
	char line[4096];
	long long deadline = now_ms() + timeout_ms;
	for (;;) {
		int n = read_line(np, deadline, line, sizeof(line));
		if (n < 0) {
			snprintf(err, errlen, "node %s did not start (%s); see %s", np->name,
				 n == -ETIMEDOUT ? "no ready signal in time" : "it exited",
				 np->log_path[0] ? np->log_path : "its stderr");
			nodeproc_stop(np, 0);
			return n;
		}
		if (!strncmp(line, "* ready", 7))
			return 0;
	}
}

int nodeproc_spawn(struct nodeproc *np, const struct nodeproc_spawn_opts *o, int timeout_ms,
		   char *err, size_t errlen)
{
	int rc = nodeproc_launch(np, o, err, errlen);
	return rc < 0 ? rc : nodeproc_await_ready(np, timeout_ms, err, errlen);
}

int nodeproc_connect(struct nodeproc *np, const char *name, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	memset(np, 0, sizeof(*np));
	np->fd = -1;
	np->pid = -1;
	np->next_id = 1;
	snprintf(np->name, sizeof(np->name), "%s", name);
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		snprintf(err, errlen, "cannot reach node %s at %s: %s", name, path, strerror(e));
		return -e;
	}
	np->fd = fd;
	return 0;
}

static int append_data(struct nodeproc_reply *r, const char *s, size_t n)
{
	char *d = realloc(r->data, r->data_len + n + 2);
	if (!d)
		return -ENOMEM;
	r->data = d;
	memcpy(d + r->data_len, s, n);
	r->data_len += n;
	d[r->data_len++] = '\n';
	d[r->data_len] = '\0';
	return 0;
}

/* A node that takes no request for this long is hung (requests are a line
 * each; a live node reads them within one loop iteration). */
#define SEND_TIMEOUT_MS 10000

/* send_all: writes the whole buffer; -EPIPE if the node is gone, -ETIMEDOUT
 * if it stopped reading (it never blocks the controller for good). */
static int send_all(int fd, const char *buf, size_t n)
{
	long long deadline = now_ms() + SEND_TIMEOUT_MS;
	for (size_t off = 0; off < n;) {
		ssize_t w = send(fd, buf + off, n - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w >= 0) {
			off += (size_t)w;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -EPIPE;
		long long left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		if (poll(&p, 1, left < 1000 ? (int)left : 1000) < 0 && errno != EINTR)
			return -EPIPE;
	}
	return 0;
}

static long nodeproc_vsend(struct nodeproc *np, const char *fmt, va_list ap)
{
	char req[4096];
	if (np->fd < 0)
		return -EPIPE;
	unsigned long id = np->next_id++;
	int n = snprintf(req, sizeof(req), "%lu ", id);
	int m = vsnprintf(req + n, sizeof(req) - (size_t)n - 1, fmt, ap);
	if (m < 0 || (size_t)(n + m) >= sizeof(req) - 1)
		return -E2BIG;
	n += m;
	req[n++] = '\n';
	int rc = send_all(np->fd, req, (size_t)n);
	return rc < 0 ? rc : (long)id;
}

long nodeproc_send(struct nodeproc *np, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	long id = nodeproc_vsend(np, fmt, ap);
	va_end(ap);
	return id;
}

int nodeproc_wait(struct nodeproc *np, long id, int timeout_ms, struct nodeproc_reply *r)
{
	char prefix[32], line[8192];
	memset(r, 0, sizeof(*r));
	int plen = snprintf(prefix, sizeof(prefix), "%ld ", id);
	long long deadline = now_ms() + timeout_ms;
	for (;;) {
		int k = read_line(np, deadline, line, sizeof(line));
		if (k < 0)
			return k;
		if (strncmp(line, prefix, (size_t)plen))
			continue; /* an event, or a reply to an abandoned request */
		const char *rest = line + plen;
		if (!strncmp(rest, "| ", 2) || !strcmp(rest, "|")) {
			const char *d = rest[1] ? rest + 2 : "";
			if (append_data(r, d, strlen(d)) < 0)
				return -ENOMEM;
		} else if (!strncmp(rest, "ok", 2) && (rest[2] == ' ' || !rest[2])) {
			r->ok = true;
			snprintf(r->status, sizeof(r->status), "%s", rest[2] ? rest + 3 : "");
			return 0;
		} else if (!strncmp(rest, "err", 3)) {
			r->ok = false;
			snprintf(r->status, sizeof(r->status), "%s", rest[3] ? rest + 4 : "");
			return 0;
		}
	}
}

int nodeproc_request(struct nodeproc *np, int timeout_ms, struct nodeproc_reply *r, const char *fmt, ...)
{
	memset(r, 0, sizeof(*r));
	va_list ap;
	va_start(ap, fmt);
	long id = nodeproc_vsend(np, fmt, ap);
	va_end(ap);
	if (id < 0)
		return (int)id;
	return nodeproc_wait(np, id, timeout_ms, r);
}

void nodeproc_reply_free(struct nodeproc_reply *r)
{
	free(r->data);
	r->data = NULL;
	r->data_len = 0;
}

bool nodeproc_reply_get(const struct nodeproc_reply *r, const char *key, char *buf, size_t len)
{
	size_t kl = strlen(key);
	const char *p = r->status;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *end = strchr(p, ' ');
		size_t tl = end ? (size_t)(end - p) : strlen(p);
		if (tl > kl && !strncmp(p, key, kl) && p[kl] == '=') {
			size_t vl = tl - kl - 1;
			if (vl >= len)
				vl = len - 1;
			memcpy(buf, p + kl + 1, vl);
			buf[vl] = '\0';
			return true;
		}
		p += tl;
	}
	return false;
}

bool nodeproc_alive(struct nodeproc *np)
{
	if (np->pid <= 0)
		return false;
	int st;
	pid_t r = waitpid(np->pid, &st, WNOHANG);
	if (r == np->pid) {
		np->pid = -1;
		return false;
	}
	return true;
}

void nodeproc_quit(struct nodeproc *np)
{
	if (np->fd < 0)
		return;
	char q[32];
	int n = snprintf(q, sizeof(q), "%lu quit\n", np->next_id++);
	(void)!send(np->fd, q, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(np->fd);
	np->fd = -1;
}

int nodeproc_reap(struct nodeproc **nps, int n, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	int left = 0, killed = 0;
	for (int i = 0; i < n; i++)
		left += nps[i]->pid > 0;
	while (left > 0) {
		for (int i = 0; i < n; i++) {
			struct nodeproc *np = nps[i];
			if (np->pid <= 0)
				continue;
			int st;
			pid_t r = waitpid(np->pid, &st, WNOHANG);
			if (r == np->pid || (r < 0 && errno == ECHILD)) {
				np->pid = -1;
				left--;
			}
		}
		if (!left)
			break;
		if (now_ms() >= deadline) {
			for (int i = 0; i < n; i++)
				if (nps[i]->pid > 0) {
					kill(nps[i]->pid, SIGKILL);
					waitpid(nps[i]->pid, NULL, 0);
					nps[i]->pid = -1;
					killed++;
				}
			break;
		}
		struct timespec ts = {0, 500 * 1000};
		nanosleep(&ts, NULL);
	}
	return killed;
}

int nodeproc_stop(struct nodeproc *np, int timeout_ms)
{
	int status = -1;
	if (timeout_ms > 0)
		nodeproc_quit(np);
	else if (np->fd >= 0) {
		close(np->fd);
		np->fd = -1;
	}
	if (np->pid <= 0)
		return -1;
	long long deadline = now_ms() + timeout_ms;
	for (;;) {
		pid_t r = waitpid(np->pid, &status, WNOHANG);
		if (r == np->pid || (r < 0 && errno == ECHILD))
			break;
		if (now_ms() >= deadline) {
			kill(np->pid, SIGKILL);
			waitpid(np->pid, &status, 0);
			break;
		}
		struct timespec ts = {0, 500 * 1000};
		nanosleep(&ts, NULL);
	}
	np->pid = -1;
	return status;
}
