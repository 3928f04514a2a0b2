/* ctl.c: line-protocol server for the node's control channel. */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct ctl_conn {
	struct ctl_conn *next;
	int fd;
	uint64_t serial;
	bool primary;
	bool eof;
	char in[CTL_LINE_MAX];
	size_t inlen;
	bool discarding;          /* inside an over-long line: drop until newline */
	char *out;
	size_t outlen, outcap, outoff;
	size_t out_max;
	bool overflow;            /* unread replies passed out_max: to be closed */
};

void ctl_init(struct ctl_server *c, ctl_handler_fn handler, void *ctx)
{
	memset(c, 0, sizeof(*c));
	c->listen_fd = -1;
	c->next_serial = 1;
	c->handler = handler;
	c->ctx = ctx;
	c->out_max = CTL_OUT_MAX;
}

int ctl_listen(struct ctl_server *c, const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 16) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	c->listen_fd = fd;
	snprintf(c->path, sizeof(c->path), "%s", path);
	return 0;
}

static struct ctl_conn *conn_new(struct ctl_server *c, int fd)
{
	struct ctl_conn *k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	k->fd = fd;
	k->out_max = c->out_max;
	k->serial = c->next_serial++;
	k->next = c->conns;
	c->conns = k;
	return k;
}

struct ctl_conn *ctl_adopt(struct ctl_server *c, int fd)
{
	struct ctl_conn *k = conn_new(c, fd);
	if (k)
		k->primary = true;
	return k;
}

struct ctl_conn *ctl_accept(struct ctl_server *c)
{
	if (c->listen_fd < 0)
		return NULL;
	int fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct ctl_conn *k = conn_new(c, fd);
	if (!k)
		close(fd);
	return k;
}

int ctl_conn_fd(const struct ctl_conn *k) { return k->fd; }
bool ctl_conn_wants_write(const struct ctl_conn *k) { return k->outlen > k->outoff; }

static void conn_free(struct ctl_server *c, struct ctl_conn *k)
{
	for (struct ctl_conn **p = &c->conns; *p; p = &(*p)->next)
		if (*p == k) {
			*p = k->next;
			break;
		}
	close(k->fd);
	free(k->out);
	free(k);
}

bool ctl_primary_gone(const struct ctl_server *c)
{
	for (const struct ctl_conn *k = c->conns; k; k = k->next)
		if (k->primary)
			return false;
	return true;
}

void ctl_close_all(struct ctl_server *c)
{
	while (c->conns)
		conn_free(c, c->conns);
	if (c->listen_fd >= 0) {
		close(c->listen_fd);
		unlink(c->path);
		c->listen_fd = -1;
	}
}

static struct ctl_conn *conn_by_serial(struct ctl_server *c, uint64_t serial)
{
	for (struct ctl_conn *k = c->conns; k; k = k->next)
		if (k->serial == serial)
			return k;
	return NULL;
}

/* conn_flush: writes what the socket takes now; false on a fatal error. */
static bool conn_flush(struct ctl_conn *k)
{
	while (k->outoff < k->outlen) {
		ssize_t n = send(k->fd, k->out + k->outoff, k->outlen - k->outoff, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN;
		}
		k->outoff += (size_t)n;
	}
	k->outoff = k->outlen = 0;
	return true;
}

static void conn_append(struct ctl_conn *k, const char *s, size_t n)
{
	if (k->overflow || (!k->primary && k->outlen - k->outoff + n > k->out_max)) {
		k->overflow = true;   /* the rest is dropped; the connection closes */
		return;
	}
	if (k->outlen + n > k->outcap) {
		if (k->outoff) {
			memmove(k->out, k->out + k->outoff, k->outlen - k->outoff);
			k->outlen -= k->outoff;
			k->outoff = 0;
		}
		size_t cap = k->outcap ? k->outcap : 4096;
		while (cap < k->outlen + n)
			cap *= 2;
		if (cap != k->outcap) {
			char *o = realloc(k->out, cap);
			if (!o)
				return; /* out of memory: the reply is lost, the client times out */
			k->out = o;
			k->outcap = cap;
		}
	}
	memcpy(k->out + k->outlen, s, n);
	k->outlen += n;
}

static bool reply_v(struct ctl_server *c, struct ctl_req r, const char *kind, const char *fmt, va_list ap)
{
	struct ctl_conn *k = conn_by_serial(c, r.conn_serial);
	if (!k)
		return false;
	char line[CTL_LINE_MAX];
	int n = snprintf(line, sizeof(line), "%lu %s", r.id, kind);
	if (fmt && *fmt) {
		line[n++] = ' ';
		int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
		n = m < 0 ? n : NB_MIN(n + m, (int)sizeof(line) - 2);
	}
	for (int i = 0; i < n; i++)  /* one reply, one line */
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[n++] = '\n';
	conn_append(k, line, (size_t)n);
	conn_flush(k);
	return true;
}

bool ctl_data(struct ctl_server *c, struct ctl_req r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool ok = reply_v(c, r, "|", fmt, ap);
	va_end(ap);
	return ok;
}

bool ctl_data_block(struct ctl_server *c, struct ctl_req r, const char *text, size_t len)
{
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && text[j] != '\n')
			j++;
		if (!ctl_data(c, r, "%.*s", (int)(j - i), text + i))
			return false;
		i = j + 1;
	}
	return true;
}

bool ctl_ok(struct ctl_server *c, struct ctl_req r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool ok = reply_v(c, r, "ok", fmt, ap);
	va_end(ap);
	return ok;
}

bool ctl_err(struct ctl_server *c, struct ctl_req r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool ok = reply_v(c, r, "err", fmt, ap);
	va_end(ap);
	return ok;
}

void ctl_event(struct ctl_server *c, const char *fmt, ...)
{
	char line[CTL_LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line + 2, sizeof(line) - 3, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n = NB_MIN(n, (int)sizeof(line) - 4);
	line[0] = '*';
	line[1] = ' ';
	line[n + 2] = '\n';
	for (struct ctl_conn *k = c->conns; k; k = k->next) {
		conn_append(k, line, (size_t)n + 3);
		conn_flush(k);
	}
}

int ctl_split(char *line, char **argv, int max)
{
	int argc = 0;
	char *r = line, *w = line;
	for (;;) {
		while (*r == ' ' || *r == '\t')
			r++;
		if (!*r)
			break;
		if (argc == max)
			return -1;
		argv[argc++] = w;
		while (*r && *r != ' ' && *r != '\t') {
			if (*r == '\'' || *r == '"') {
				char q = *r++;
				while (*r && *r != q)
					*w++ = *r++;
				if (*r != q)
					return -1;
				r++;
			} else {
				*w++ = *r++;
			}
		}
		if (*r)
			r++;
		*w++ = '\0'; /* w <= r here, or w == r + 1 at the very end, on the NUL */
	}
	return argc;
}

/* dispatch: parses "<id> <verb> args..." and calls the handler. */
static void dispatch(struct ctl_server *c, struct ctl_conn *k, char *line)
{
	char *argv[CTL_ARGS_MAX + 1];
	char *end;
	unsigned long id = strtoul(line, &end, 10);
	struct ctl_req r = {.conn_serial = k->serial, .id = id};
	if (end == line || (*end != ' ' && *end != '\0')) {
		r.id = 0;
		ctl_err(c, r, "bad request: a request starts with a numeric id");
		return;
	}
	int argc = ctl_split(end, argv, CTL_ARGS_MAX);
	if (argc < 0) {
		ctl_err(c, r, "bad request: unbalanced quotes or more than %d arguments", CTL_ARGS_MAX);
		return;
	}
	if (argc == 0) {
		ctl_err(c, r, "bad request: no verb");
		return;
	}
	argv[argc] = NULL;
	c->handler(c->ctx, r, argc, argv);
}

bool ctl_on_readable(struct ctl_server *c, struct ctl_conn *k)
{
	uint64_t serial = k->serial;
	for (;;) {
		char buf[4096];
		ssize_t n = recv(k->fd, buf, sizeof(buf), 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			conn_free(c, k);
			return false;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return true;
		}
		for (ssize_t i = 0; i < n; i++) {
			char ch = buf[i];
			if (ch != '\n') {
				if (k->inlen + 1 >= sizeof(k->in))
					k->discarding = true;
				else if (!k->discarding)
					k->in[k->inlen++] = ch;
				continue;
			}
			if (k->discarding) {
				struct ctl_req r = {.conn_serial = serial, .id = 0};
				ctl_err(c, r, "bad request: line longer than %d bytes", CTL_LINE_MAX);
			} else {
				k->in[k->inlen] = '\0';
				if (k->inlen && k->in[k->inlen - 1] == '\r')
					k->in[k->inlen - 1] = '\0';
				dispatch(c, k, k->in);
			}
			k->inlen = 0;
			k->discarding = false;
			/* A handler may have closed connections: is ours still here? */
			if (!conn_by_serial(c, serial))
				return false;
			if (k->overflow) {
				fprintf(stderr, "nestbed-node: a control connection left %zu bytes of replies "
					"unread: closed\n", k->out_max);
				conn_free(c, k);
				return false;
			}
		}
	}
}

bool ctl_on_writable(struct ctl_server *c, struct ctl_conn *k)
{
	if (!conn_flush(k) || k->overflow) {
		conn_free(c, k);
		return false;
	}
	return true;
}
