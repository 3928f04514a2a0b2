/* http.c: a small HTTP/1.1 server (RFC 9110, RFC 9112) for load and
 * interoperability tests.
 *
 *   GET /<size>     200, <size> bytes of pattern(seed) from offset 0;
 *                   <size> is bytes or has a unit: /1048576, /1MiB, /64KiB, /1kB
 *   GET /           200, a short text saying the above
 *   HEAD ...        the same headers, no body
 *   other paths     404; other methods 405; malformed requests 400 (and close)
 *
 * Connections persist (HTTP/1.1 default, or HTTP/1.0 with keep-alive) until
 * the client sends "Connection: close" or closes; pipelined requests are
 * answered in order. A response is sent in full before the next request is
 * read, so a client that does not read stalls only itself. A request body
 * announced with Content-Length is read and discarded; chunked request
 * bodies are refused (400, close). */
#include "app_impl.h"
#include "pattern.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "params.h"

#define HTTP_REQ_MAX 8192                 /* request line + headers */
#define HTTP_BODY_MAX (UINT64_C(64) << 30)

struct http_conn {
	struct app_conn base;          /* first: the shared part */
	bool peer_eof;
	uint64_t skip;                    /* request body bytes still to discard */
	char in[HTTP_REQ_MAX];
	size_t in_len;

	/* the response being sent: header, then body */
	bool sending, close_after;
	char hdr[320];
	size_t hdr_len, hdr_off;
	uint64_t body_len, body_off;
	const char *body_text;            /* NULL = pattern body */
	char text[64];                    /* body of an error response */
	uint8_t out[APP_IO_CHUNK];
	size_t out_len, out_off, out_body; /* out[out_body..out_len) is body */
};

struct http {
	int lfd;
	uint64_t seed;
	bool nodelay;
	struct app_conn *conns;
};

static const char index_text[] =
	"nestbed http server\n"
	"GET /<size> returns <size> bytes of the nestbed pattern, e.g. /1048576 or /1MiB\n";

/* conn_end: unlinks, closes (abort on error), reports and frees c. */
static void conn_end(struct app *a, struct http_conn *c, int err)
{
	struct http *h = a->priv;
	app_conn_end(a, &h->conns, &c->base, err);
}

/* reason: the reason phrase of a status code we send. */
static const char *reason(int code)
{
	switch (code) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 431: return "Request Header Fields Too Large";
	case 505: return "HTTP Version Not Supported";
	}
	return "Error";
}

/* respond: sets up the response (header now, body streamed by pump). */
static void respond(struct http_conn *c, int code, bool head, uint64_t len, const char *text, bool close)
{
	const char *type = text ? "text/plain" : "application/octet-stream";
	int n = snprintf(c->hdr, sizeof(c->hdr),
			 "HTTP/1.1 %d %s\r\nServer: nestbed\r\nContent-Type: %s\r\n"
			 "Content-Length: %llu\r\n%sConnection: %s\r\n\r\n",
			 code, reason(code), type, (unsigned long long)len,
			 code == 405 ? "Allow: GET, HEAD\r\n" : "", close ? "close" : "keep-alive");
	c->hdr_len = (size_t)n < sizeof(c->hdr) ? (size_t)n : sizeof(c->hdr) - 1;
	c->hdr_off = 0;
	c->body_len = head ? 0 : len;
	c->body_off = 0;
	c->body_text = text;
	c->out_len = c->out_off = c->out_body = 0;
	c->close_after = close;
	c->sending = true;
}

/* respond_error: a short text/plain error response. */
static void respond_error(struct http_conn *c, int code, bool head, bool close)
{
	snprintf(c->text, sizeof(c->text), "%d %s\n", code, reason(code));
	respond(c, code, head, strlen(c->text), c->text, close);
}

/* header_has_token: true if a comma-separated header value holds tok. */
static bool header_has_token(const char *v, size_t n, const char *tok)
{
	size_t tl = strlen(tok), i = 0;
	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t st = i;
		while (i < n && v[i] != ',')
			i++;
		size_t e = i;
		while (e > st && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - st == tl && strncasecmp(v + st, tok, tl) == 0)
			return true;
	}
	return false;
}

/* parse_size_path: "/1MiB" -> bytes; false if not a size. */
static bool parse_size_path(const char *target, size_t n, uint64_t *size)
{
	char buf[64];
	if (n < 2 || n >= sizeof(buf) || target[0] != '/')
		return false;
	memcpy(buf, target + 1, n - 1);
	buf[n - 1] = '\0';
	return nb_parse_size(buf, size) == 0 && *size <= HTTP_BODY_MAX;
}

/* handle_request: parses one complete request in in[0..end) (end just past
 * the blank line) and sets up its response. */
static void handle_request(struct app *a, struct http_conn *c, size_t end)
{
	const char *p = c->in, *lim = c->in + end;
	const char *eol = memmem(p, (size_t)(lim - p), "\r\n", 2);
	/* request-line = method SP request-target SP HTTP-version */
	const char *sp1 = memchr(p, ' ', (size_t)(eol - p));
	const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
	if (!sp1 || !sp2 || sp1 == p || sp2 == sp1 + 1 || memchr(sp2 + 1, ' ', (size_t)(eol - sp2 - 1))) {
		respond_error(c, 400, false, true);
		return;
	}
	size_t mlen = (size_t)(sp1 - p), tlen = (size_t)(sp2 - sp1 - 1), vlen = (size_t)(eol - sp2 - 1);
	const char *target = sp1 + 1, *ver = sp2 + 1;
	bool head = mlen == 4 && memcmp(p, "HEAD", 4) == 0;
	bool get = mlen == 3 && memcmp(p, "GET", 3) == 0;
	bool keep;
	if (vlen == 8 && memcmp(ver, "HTTP/1.1", 8) == 0)
		keep = true;
	else if (vlen == 8 && memcmp(ver, "HTTP/1.0", 8) == 0)
		keep = false;
	else {
		respond_error(c, vlen > 5 && memcmp(ver, "HTTP/", 5) == 0 ? 505 : 400, false, true);
		return;
	}
	bool http11 = keep, host = false, bad = false;
	uint64_t clen = 0;
	for (p = eol + 2; p < lim - 2; p = eol + 2) {
		eol = memmem(p, (size_t)(lim - p), "\r\n", 2);
		const char *colon = memchr(p, ':', (size_t)(eol - p));
		if (!colon || colon == p || p[0] == ' ' || p[0] == '\t') {
			bad = true;
			break;
		}
		size_t nlen = (size_t)(colon - p);
		const char *v = colon + 1;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		size_t vl = (size_t)(eol - v);
		if (nlen == 4 && strncasecmp(p, "Host", 4) == 0) {
			host = true;
		} else if (nlen == 10 && strncasecmp(p, "Connection", 10) == 0) {
			if (header_has_token(v, vl, "close"))
				keep = false;
			else if (header_has_token(v, vl, "keep-alive"))
				keep = true;
		} else if (nlen == 14 && strncasecmp(p, "Content-Length", 14) == 0) {
			char num[24];
			char *endp;
			while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
				vl--;
			if (vl == 0 || vl >= sizeof(num)) {
				bad = true;
				break;
			}
			memcpy(num, v, vl);
			num[vl] = '\0';
			clen = strtoull(num, &endp, 10);
			if (*endp || num[0] < '0' || num[0] > '9')
				bad = true;
		} else if (nlen == 17 && strncasecmp(p, "Transfer-Encoding", 17) == 0) {
			bad = true;              /* no chunked request bodies here */
		}
	}
	if (bad || (http11 && !host)) {
		respond_error(c, 400, head, true);
		return;
	}
	c->skip = clen;
	if (!get && !head) {
		respond_error(c, 405, false, !keep);
		return;
	}
	const char *q = memchr(target, '?', tlen);
	if (q)
		tlen = (size_t)(q - target);
	uint64_t size;
	if (tlen == 1 && target[0] == '/')
		respond(c, 200, head, sizeof(index_text) - 1, index_text, !keep);
	else if (parse_size_path(target, tlen, &size))
		respond(c, 200, head, size, NULL, !keep);
	else
		respond_error(c, 404, head, !keep);
}

/* refill: moves the next header/body bytes into out[]. */
static void refill(struct app *a, struct http_conn *c)
{
	struct http *h = a->priv;
	c->out_len = c->out_off = 0;
	size_t hn = NB_MIN(c->hdr_len - c->hdr_off, sizeof(c->out));
	memcpy(c->out, c->hdr + c->hdr_off, hn);
	c->hdr_off += hn;
	c->out_len = c->out_body = hn;
	size_t bn = (size_t)NB_MIN((uint64_t)(sizeof(c->out) - hn), c->body_len - c->body_off);
	if (c->body_text)
		memcpy(c->out + hn, c->body_text + c->body_off, bn);
	else
		pattern_fill(c->out + hn, bn, c->body_off, h->seed);
	c->body_off += bn;
	c->out_len += bn;
}

/* send_response: pushes the response out; true when all of it is queued,
 * false on -EAGAIN; *err set on failure. */
static bool send_response(struct app *a, struct http_conn *c, int *err)
{
	for (;;) {
		if (c->out_off == c->out_len) {
			if (c->hdr_off == c->hdr_len && c->body_off == c->body_len)
				return true;
			refill(a, c);
		}
		bool last = c->hdr_off == c->hdr_len && c->body_off == c->body_len;
		ssize_t n = nb_send(a->stack, c->base.fd, c->out + c->out_off, c->out_len - c->out_off,
				    last ? NB_MSG_PUSH : 0);
		if (n == -EAGAIN)
			return false;
		if (n < 0) {
			*err = (int)n;
			return false;
		}
		size_t from = c->out_off, to = c->out_off + (size_t)n;
		if (to > c->out_body) {
			size_t b0 = NB_MAX(from, c->out_body);
			lazy_hash_update2(&c->base.hash, &a->tx_hash, c->out + b0, to - b0);
			c->base.bytes += to - b0;
			a->bytes_out += to - b0;
		}
		c->out_off = to;
	}
}

/* conn_pump: send the response in progress; then parse the next request,
 * or read more; until the socket blocks or the connection ends. */
static void conn_pump(struct app *a, struct http_conn *c)
{
	for (;;) {
		if (c->sending) {
			int err = 0;
			if (!send_response(a, c, &err)) {
				if (err)
					conn_end(a, c, err);
				return;
			}
			c->sending = false;
			a->responses++;
			if (c->close_after) {
				conn_end(a, c, 0);
				return;
			}
		}
		if (c->skip) {
			size_t n = (size_t)NB_MIN((uint64_t)c->in_len, c->skip);
			memmove(c->in, c->in + n, c->in_len - n);
			c->in_len -= n;
			c->skip -= n;
		}
		/* RFC 9112 2.2: ignore empty lines before a request-line */
		while (!c->skip && c->in_len >= 2 && c->in[0] == '\r' && c->in[1] == '\n') {
			memmove(c->in, c->in + 2, c->in_len - 2);
			c->in_len -= 2;
		}
		if (!c->skip) {
			char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
			if (end) {
				size_t used = (size_t)(end - c->in) + 4;
				handle_request(a, c, used);
				memmove(c->in, c->in + used, c->in_len - used);
				c->in_len -= used;
				continue;
			}
			if (c->in_len == sizeof(c->in)) {
				respond_error(c, 431, false, true);
				continue;
			}
		}
		if (c->peer_eof) {
			conn_end(a, c, 0);
			return;
		}
		ssize_t n = nb_recv(a->stack, c->base.fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
		if (n == -EAGAIN)
			return;
		if (n < 0) {
			conn_end(a, c, (int)n);
			return;
		}
		if (n == 0)
			c->peer_eof = true;
		c->in_len += (size_t)n;
		a->bytes_in += (uint64_t)n;
		lazy_hash_update(&a->rx_hash, c->in + c->in_len - (size_t)n, (size_t)n);
	}
}

/* on_conn: watcher of a connection. */
static void on_conn(struct nb_stack *s, int fd, unsigned ev, void *arg)
{
	struct http_conn *c = arg;
	struct app *a = c->base.app;
	app_enter(a);
	conn_pump(a, c);
	app_leave(a);
}

/* on_listen: accepts everything waiting. */
static void on_listen(struct nb_stack *s, int fd, unsigned ev, void *arg)
{
	struct app *a = arg;
	struct http *h = a->priv;
	app_enter(a);
	app_accept_all(a, fd, &h->conns, sizeof(struct http_conn), h->nodelay,
		       NB_EV_READ | NB_EV_WRITE | NB_EV_HUP | NB_EV_ERROR, on_conn);
	app_leave(a);
}

/* http_start: listens on args->addr:port (port 80 by default). */
static int http_start(struct app *a, const struct app_args *args)
{
	struct http *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->seed = args->seed;
	h->nodelay = args->nodelay;
	a->priv = h;
	struct app_args la = *args;
	if (!la.port)
		la.port = 80;
	h->lfd = app_listen(a, &la, on_listen, a);
	if (h->lfd < 0) {
		int rc = h->lfd;
		free(h);
		a->priv = NULL;
		return rc;
	}
	return 0;
}

/* http_stop: closes the listener and every connection. */
static void http_stop(struct app *a)
{
	struct http *h = a->priv;
	if (!h)
		return;
	nb_close(a->stack, h->lfd);
	app_conns_close(a, &h->conns);
	free(h);
	a->priv = NULL;
}

const struct app_ops app_http_ops = {
	.kind = APP_HTTP, .name = "http", .rx_primary = false, .start = http_start, .stop = http_stop,
};
