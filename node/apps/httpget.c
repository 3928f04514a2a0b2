/* httpget.c: an HTTP/1.1 client: fetches http://A.B.C.D[:port]/path
 * `requests` times over one connection (keep-alive; the last request says
 * "Connection: close" unless keepalive_last). For each response it checks the
 * status line and that the body is exactly Content-Length bytes (or runs to
 * the server's close when no length is given), hashes the body, optionally
 * checks it against the pattern (verify, seed), and reports it. DONE when
 * every response arrived with a 2xx status; FAILED otherwise, saying why. */
#include "app_impl.h"
#include "pattern.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HG_HDR_MAX 8192

enum hg_state { HG_CONNECTING, HG_REQUEST, HG_HEADERS, HG_BODY, HG_DRAIN };

struct httpget {
	int fd;
	enum hg_state st;
	char hosthdr[32];
	char path[APP_URL_MAX];
	int requests, sent, received;
	bool keepalive_last, verify, failed_status;
	uint64_t seed;

	char req[APP_URL_MAX + 160];
	size_t req_len, req_off;

	char in[HG_HDR_MAX];
	size_t in_len;
	int status;
	bool has_len, resp_close;
	uint64_t clen, got;
	uint64_t bad_at;                  /* first byte differing from the pattern */
	struct sha256 body;
};

/* url_parse: "http://A.B.C.D[:port][/path]" -> addr, port, path. 0 or -EINVAL. */
static int url_parse(const char *url, uint32_t *addr, uint16_t *port, char *path, size_t plen)
{
	if (!url || strncmp(url, "http://", 7) != 0)
		return -EINVAL;
	const char *h = url + 7;
	size_t hl = strcspn(h, ":/");
	char host[16];
	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (nb_ip4_parse(host, addr))
		return -EINVAL;
	const char *p = h + hl;
	*port = 80;
	if (*p == ':') {
		char *end;
		unsigned long v = strtoul(p + 1, &end, 10);
		if (end == p + 1 || v == 0 || v > 65535)
			return -EINVAL;
		*port = (uint16_t)v;
		p = end;
	}
	if (*p && *p != '/')
		return -EINVAL;
	const char *path_src = *p ? p : "/";
	if (strlen(path_src) >= plen)
		return -EINVAL;
	for (const char *q = path_src; *q; q++)
		if ((unsigned char)*q <= ' ' || *q == 0x7f)
			return -EINVAL;
	strcpy(path, path_src);
	return 0;
}

/* hg_close: closes the connection once (abort: with RST). */
static void hg_close(struct app *a, struct httpget *g, bool abort)
{
	if (g->fd < 0)
		return;
	if (abort)
		nb_abort(a->stack, g->fd);
	else
		nb_close(a->stack, g->fd);
	g->fd = -1;
	a->conns_open = 0;
}

/* fail: aborts the connection and ends the app FAILED. */
static void fail(struct app *a, struct httpget *g, int err, const char *what)
{
	hg_close(a, g, true);
	app_finish(a, true, err, "%s (response %d of %d)", what, g->received + 1, g->requests);
}

/* succeed: closes and ends the app: DONE, or FAILED for a non-2xx status. */
static void succeed(struct app *a, struct httpget *g)
{
	hg_close(a, g, false);
	if (g->failed_status)
		app_finish(a, true, 0, "HTTP %d", a->http_status);
	else
		app_finish(a, false, 0, "%d responses, %llu body bytes", g->received,
			   (unsigned long long)a->bytes_in);
}

/* build_request: the next GET, "Connection: close" on the last one. */
static void build_request(struct app *a, struct httpget *g)
{
	bool last = g->sent + 1 == g->requests;
	int n = snprintf(g->req, sizeof(g->req),
			 "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: nestbed-httpget\r\nAccept: */*\r\n%s\r\n",
			 g->path, g->hosthdr, last && !g->keepalive_last ? "Connection: close\r\n" : "");
	g->req_len = (size_t)n < sizeof(g->req) ? (size_t)n : sizeof(g->req) - 1;
	g->req_off = 0;
	g->sent++;
	g->st = HG_REQUEST;
}

/* parse_headers: one complete header block in in[0..end). 0, or -errno with
 * *why set. */
static int parse_headers(struct httpget *g, size_t end, const char **why)
{
	const char *p = g->in, *lim = g->in + end;
	const char *eol = memmem(p, (size_t)(lim - p), "\r\n", 2);
	/* status-line = HTTP-version SP status-code SP [reason-phrase] */
	if (eol - p < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ' ||
	    p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9' ||
	    (eol - p > 12 && p[12] != ' ')) {
		*why = "malformed status line";
		return -EPROTO;
	}
	g->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	g->has_len = false;
	g->resp_close = p[7] == '0';
	g->clen = 0;
	for (p = eol + 2; p < lim - 2; p = eol + 2) {
		eol = memmem(p, (size_t)(lim - p), "\r\n", 2);
		const char *colon = memchr(p, ':', (size_t)(eol - p));
		if (!colon || colon == p) {
			*why = "malformed header";
			return -EPROTO;
		}
		size_t nlen = (size_t)(colon - p);
		const char *v = colon + 1;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		size_t vl = (size_t)(eol - v);
		while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			vl--;
		if (nlen == 14 && strncasecmp(p, "Content-Length", 14) == 0) {
			char num[24], *e;
			if (vl == 0 || vl >= sizeof(num) || v[0] < '0' || v[0] > '9') {
				*why = "bad Content-Length";
				return -EPROTO;
			}
			memcpy(num, v, vl);
			num[vl] = '\0';
			uint64_t len = strtoull(num, &e, 10);
			if (*e || (g->has_len && len != g->clen)) {
				*why = "bad Content-Length";
				return -EPROTO;
			}
			g->has_len = true;
			g->clen = len;
		} else if (nlen == 17 && strncasecmp(p, "Transfer-Encoding", 17) == 0) {
			*why = "chunked transfer coding not supported";
			return -EPROTONOSUPPORT;
		} else if (nlen == 10 && strncasecmp(p, "Connection", 10) == 0) {
			if (vl == 5 && strncasecmp(v, "close", 5) == 0)
				g->resp_close = true;
			else if (vl == 10 && strncasecmp(v, "keep-alive", 10) == 0)
				g->resp_close = false;
		}
	}
	if (g->status == 204 || g->status == 304) {
		g->has_len = true;
		g->clen = 0;
	}
	return 0;
}

/* body_bytes: accounts n body bytes at p. */
static void body_bytes(struct app *a, struct httpget *g, const uint8_t *p, size_t n)
{
	if (g->verify && g->bad_at == UINT64_MAX) {
		size_t ok = pattern_check(p, n, g->got, g->seed);
		if (ok < n)
			g->bad_at = g->got + ok;
	}
	sha256_update(&g->body, p, n);
	lazy_hash_update(&a->rx_hash, p, n);
	g->got += n;
	a->bytes_in += n;
}

/* response_done: reports one response; next request or the end. false if
 * the app ended. */
static bool response_done(struct app *a, struct httpget *g)
{
	g->received++;
	a->responses++;
	a->http_status = g->status;
	if (g->status < 200 || g->status > 299)
		g->failed_status = true;
	char detail[96];
	struct app_report r = {
		.kind = APP_REP_RESPONSE, .conn = g->received, .peer_addr = a->peer_addr,
		.peer_port = a->peer_port, .bytes = g->got, .http_status = g->status, .detail = detail,
	};
	snprintf(detail, sizeof(detail), "HTTP %d, %llu bytes", g->status, (unsigned long long)g->got);
	sha256_final(&g->body, r.digest);
	sha256_init(&g->body);
	if (g->verify && g->bad_at != UINT64_MAX) {
		snprintf(detail, sizeof(detail), "body differs from the pattern at byte %llu",
			 (unsigned long long)g->bad_at);
		r.error = -EBADMSG;
	}
	app_emit(a, &r);
	if (r.error) {
		fail(a, g, -EBADMSG, "body differs from the pattern");
		return false;
	}
	if (g->received == g->requests) {
		if (g->resp_close || !g->keepalive_last) {
			g->st = HG_DRAIN;     /* the server closes: wait for its FIN */
			return true;
		}
		succeed(a, g);
		return false;
	}
	if (g->resp_close) {
		fail(a, g, -ECONNRESET, "server closed the connection");
		return false;
	}
	build_request(a, g);
	return true;
}

/* pump: moves the state machine as far as the socket allows. */
static void pump(struct app *a, struct httpget *g)
{
	struct nb_stack *s = a->stack;
	uint8_t buf[APP_IO_CHUNK];
	for (;;) {
		switch (g->st) {
		case HG_CONNECTING:
			return;
		case HG_REQUEST: {
			ssize_t n = nb_send(s, g->fd, g->req + g->req_off, g->req_len - g->req_off, NB_MSG_PUSH);
			if (n == -EAGAIN)
				return;
			if (n < 0) {
				fail(a, g, (int)n, "send");
				return;
			}
			lazy_hash_update(&a->tx_hash, g->req + g->req_off, (size_t)n);
			a->bytes_out += (uint64_t)n;
			g->req_off += (size_t)n;
			if (g->req_off == g->req_len) {
				g->st = HG_HEADERS;
				g->got = 0;
				g->bad_at = UINT64_MAX;
			}
			break;
		}
		case HG_HEADERS: {
			char *end = memmem(g->in, g->in_len, "\r\n\r\n", 4);
			if (end) {
				size_t used = (size_t)(end - g->in) + 4;
				const char *why = "";
				int rc = parse_headers(g, used, &why);
				if (rc) {
					fail(a, g, rc, why);
					return;
				}
				memmove(g->in, g->in + used, g->in_len - used);
				g->in_len -= used;
				if (g->status < 200)           /* 1xx: a final response follows */
					break;
				g->st = HG_BODY;
				break;
			}
			if (g->in_len == sizeof(g->in)) {
				fail(a, g, -EPROTO, "response header too large");
				return;
			}
			ssize_t n = nb_recv(s, g->fd, g->in + g->in_len, sizeof(g->in) - g->in_len, 0);
			if (n == -EAGAIN)
				return;
			if (n <= 0) {
				fail(a, g, n ? (int)n : -EPROTO, n ? "recv" : "connection closed before the response");
				return;
			}
			g->in_len += (size_t)n;
			break;
		}
		case HG_BODY: {
			if (g->in_len) {               /* body bytes that came with the header */
				size_t n = g->has_len ? (size_t)NB_MIN((uint64_t)g->in_len, g->clen - g->got) : g->in_len;
				body_bytes(a, g, (const uint8_t *)g->in, n);
				memmove(g->in, g->in + n, g->in_len - n);
				g->in_len -= n;
			}
			if (g->has_len && g->got == g->clen) {
				if (g->in_len && g->received + 1 == g->requests) {
					fail(a, g, -EPROTO, "data after the last response");
					return;
				}
				if (!response_done(a, g))
					return;
				break;
			}
			size_t want = sizeof(buf);
			if (g->has_len)
				want = (size_t)NB_MIN((uint64_t)want, g->clen - g->got);
			ssize_t n = nb_recv(s, g->fd, buf, want, 0);
			if (n == -EAGAIN)
				return;
			if (n < 0) {
				fail(a, g, (int)n, "recv");
				return;
			}
			if (n == 0) {
				if (g->has_len) {
					char why[96];
					snprintf(why, sizeof(why), "truncated body: %llu of %llu bytes",
						 (unsigned long long)g->got, (unsigned long long)g->clen);
					fail(a, g, -EPROTO, why);
					return;
				}
				g->resp_close = true;   /* body delimited by the close */
				if (response_done(a, g))
					succeed(a, g);
				return;
			}
			body_bytes(a, g, buf, (size_t)n);
			break;
		}
		case HG_DRAIN: {
			ssize_t n = nb_recv(s, g->fd, buf, sizeof(buf), 0);
			if (n == -EAGAIN)
				return;
			if (n > 0) {
				fail(a, g, -EPROTO, "data after the last response");
				return;
			}
			if (n < 0 && n != -ECONNRESET) {
				fail(a, g, (int)n, "recv");
				return;
			}
			succeed(a, g);
			return;
		}
		}
	}
}

/* on_sock: the socket's watcher: connect outcome, then the state machine. */
static void on_sock(struct nb_stack *s, int fd, unsigned ev, void *arg)
{
	struct app *a = arg;
	struct httpget *g = a->priv;
	app_enter(a);
	if (g->st == HG_CONNECTING && (ev & (NB_EV_CONNECT | NB_EV_ERROR))) {
		int err = nb_sock_error(s, fd);
		if (err) {
			fail(a, g, err, "connect");
			goto out;
		}
		if (ev & NB_EV_CONNECT) {
			a->conns_open = 1;
			a->conns_total = 1;
			build_request(a, g);
		}
	}
	pump(a, g);
out:
	app_leave(a);
}

/* httpget_start: parses the URL and starts connecting. */
static int httpget_start(struct app *a, const struct app_args *args)
{
	struct httpget *g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	uint32_t addr;
	uint16_t port;
	int rc = url_parse(args->url, &addr, &port, g->path, sizeof(g->path));
	if (rc) {
		free(g);
		return rc;
	}
	char ip[16];
	nb_ip4_fmt(addr, ip);
	if (port == 80)
		snprintf(g->hosthdr, sizeof(g->hosthdr), "%s", ip);
	else
		snprintf(g->hosthdr, sizeof(g->hosthdr), "%s:%u", ip, port);
	g->requests = args->requests > 0 ? args->requests : 1;
	g->keepalive_last = args->keepalive_last;
	g->verify = args->verify;
	g->seed = args->seed;
	g->bad_at = UINT64_MAX;
	sha256_init(&g->body);
	a->priv = g;
	g->fd = app_connect(a, args, addr, port, on_sock, a);
	if (g->fd < 0) {
		rc = g->fd;
		free(g);
		a->priv = NULL;
		return rc;
	}
	return 0;
}

/* httpget_stop: closes the connection and frees the state. */
static void httpget_stop(struct app *a)
{
	struct httpget *g = a->priv;
	if (!g)
		return;
	hg_close(a, g, false);
	free(g);
	a->priv = NULL;
}

const struct app_ops app_httpget_ops = {
	.kind = APP_HTTPGET, .name = "httpget", .rx_primary = true, .start = httpget_start,
	.stop = httpget_stop,
};
