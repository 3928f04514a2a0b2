/* app.c: the registry of built-in apps (see app.h). */
#include "app_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static const struct app_ops *const ops_by_kind[APP_KIND_COUNT] = {
	[APP_ECHO] = &app_echo_ops,
	[APP_SINK] = &app_sink_ops,
	[APP_SOURCE] = &app_source_ops,
	[APP_HTTP] = &app_http_ops,
	[APP_HTTPGET] = &app_httpget_ops,
};

/* All apps of all stacks, oldest first (tests run several stacks), and a
 * hash of them by (stack, name): a node that ran thousands of short apps
 * finds and adds the next one in constant time. */
static struct app *apps, **apps_tail = &apps;
static struct app **app_hash;
static size_t app_hcap, app_count;

static size_t app_key(const struct nb_stack *s, const char *name)
{
	return (size_t)nb_hash64(nb_hash_str(name) ^ (uint64_t)(uintptr_t)s);
}

/* hash_reserve: room in the name hash for one more app, doubling it when
 * full; false if memory is short. */
static bool hash_reserve(void)
{
	if (app_count < app_hcap)
		return true;
	size_t cap = app_hcap ? app_hcap * 2 : 64;
	struct app **h = calloc(cap, sizeof(*h));
	if (!h)
		return false;
	for (struct app *x = apps; x; x = x->next) {
		size_t b = app_key(x->stack, x->name) & (cap - 1);
		x->hnext = h[b];
		h[b] = x;
	}
	free(app_hash);
	app_hash = h;
	app_hcap = cap;
	return true;
}

/* app_kind_name: "echo", "sink", ...; "?" out of range. */
const char *app_kind_name(enum app_kind k)
{
	return (unsigned)k < APP_KIND_COUNT ? ops_by_kind[k]->name : "?";
}

/* app_kind_parse: the kind named name. 0 or -EINVAL. */
int app_kind_parse(const char *name, enum app_kind *k)
{
	for (int i = 0; i < APP_KIND_COUNT; i++) {
		if (strcmp(ops_by_kind[i]->name, name) == 0) {
			*k = (enum app_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* app_status_name: "running", "done", "failed", "stopped". */
const char *app_status_name(enum app_status st)
{
	switch (st) {
	case APP_RUNNING: return "running";
	case APP_DONE: return "done";
	case APP_FAILED: return "failed";
	case APP_STOPPED: return "stopped";
	}
	return "?";
}

/* app_strerror: text of a negative errno; "ok" for 0. */
const char *app_strerror(int err) { return err ? strerror(-err) : "ok"; }

/* app_find: s's app called name, or NULL. */
struct app *app_find(struct nb_stack *s, const char *name)
{
	if (!app_hcap)
		return NULL;
	for (struct app *a = app_hash[app_key(s, name) & (app_hcap - 1)]; a; a = a->hnext)
		if (a->stack == s && strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

/* app_start: validates, allocates, runs the kind's start and registers
 * the app (see app.h). */
struct app *app_start(struct nb_stack *s, enum app_kind kind, const char *name,
		      const struct app_args *args, app_report_fn report, void *arg, int *err)
{
	static const struct app_args none;
	int e = 0;
	if ((unsigned)kind >= APP_KIND_COUNT || !name || !*name || strlen(name) >= APP_NAME_MAX ||
	    app_find(s, name)) {
		e = -EINVAL;
		goto fail;
	}
	if (!hash_reserve()) {
		e = -ENOMEM;
		goto fail;
	}
	struct app *a = calloc(1, sizeof(*a));
	if (!a) {
		e = -ENOMEM;
		goto fail;
	}
	a->stack = s;
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->kind = kind;
	a->status = APP_RUNNING;
	a->ops = ops_by_kind[kind];
	a->report = report;
	a->report_arg = arg;
	lazy_hash_init(&a->rx_hash, args ? args->seed : 0);
	lazy_hash_init(&a->tx_hash, args ? args->seed : 0);
	app_enter(a);
	e = a->ops->start(a, args ? args : &none);
	if (e < 0) {
		free(a);
		goto fail;
	}
	/* registered before app_leave: a stop asked for during start finds it */
	a->next = NULL;
	a->pprev = apps_tail;
	*apps_tail = a;
	apps_tail = &a->next;
	size_t b = app_key(s, a->name) & (app_hcap - 1);
	a->hnext = app_hash[b];
	app_hash[b] = a;
	app_count++;
	app_leave(a);
	return a;
fail:
	if (err)
		*err = e;
	return NULL;
}

/* really_stop: closes, unlinks and frees a (it is not busy). */
static void really_stop(struct app *a)
{
	a->ops->stop(a);
	if (a->status == APP_RUNNING)
		a->status = APP_STOPPED;
	if (a->pprev) {                           /* registered: unlink in O(1) */
		*a->pprev = a->next;
		if (a->next)
			a->next->pprev = a->pprev;
		else
			apps_tail = a->pprev;
	}
	if (a->pprev) {
		for (struct app **pp = &app_hash[app_key(a->stack, a->name) & (app_hcap - 1)]; *pp;
		     pp = &(*pp)->hnext)
			if (*pp == a) {
				*pp = a->hnext;
				break;
			}
		app_count--;
	}
	free(a);
}

/* app_stop: stop now, or when the app's own code returns if it is running. */
void app_stop(struct app *a)
{
	if (a->busy) {
		a->stop_pending = true;
		return;
	}
	really_stop(a);
}

/* app_stop_all: app_stop for each app of s. */
void app_stop_all(struct nb_stack *s)
{
	struct app *a = apps, *next;
	for (; a; a = next) {
		next = a->next;
		if (a->stack == s)
			app_stop(a);
	}
}

/* app_foreach: fn for each app of s, oldest first; fn may stop the app. */
void app_foreach(struct nb_stack *s, void (*fn)(struct app *a, void *arg), void *arg)
{
	struct app *a = apps, *next;
	for (; a; a = next) {
		next = a->next;
		if (a->stack == s)
			fn(a, arg);
	}
}

/* app_enter: the app's code is running (reports may come). */
void app_enter(struct app *a) { a->busy++; }

/* app_leave: the app's code returned; performs a stop asked for meanwhile. */
void app_leave(struct app *a)
{
	if (--a->busy == 0 && a->stop_pending)
		really_stop(a);
}

/* app_emit: one report to the callback. */
void app_emit(struct app *a, struct app_report *r)
{
	if (!r->detail)
		r->detail = "";
	if (a->report)
		a->report(a, r, a->report_arg);
}

/* app_primary_bytes: bytes of the primary stream. */
uint64_t app_primary_bytes(const struct app *a) { return a->ops->rx_primary ? a->bytes_in : a->bytes_out; }

/* app_digest: SHA-256 of the primary stream so far. */
void app_digest(const struct app *a, uint8_t out[SHA256_LEN])
{
	/* Catching a lazy hash up changes no value: a cache, hence the cast. */
	struct app *w = (struct app *)a;
	lazy_hash_digest(a->ops->rx_primary ? &w->rx_hash : &w->tx_hash, out);
}

/* app_digest_hex: app_digest in hex. */
const char *app_digest_hex(const struct app *a, char buf[SHA256_HEX_LEN])
{
	uint8_t d[SHA256_LEN];
	app_digest(a, d);
	return sha256_hex(d, buf);
}

/* app_finish: the app's final status and report, once (see app_impl.h). */
void app_finish(struct app *a, bool failed, int error, const char *fmt, ...)
{
	if (a->status != APP_RUNNING)
		return;
	failed = failed || error != 0;
	a->status = failed ? APP_FAILED : APP_DONE;
	if (error && !a->error)
		a->error = error;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(a->detail, sizeof(a->detail), fmt, ap);
		va_end(ap);
	}
	struct app_report r = {
		.kind = failed ? APP_REP_FAILED : APP_REP_DONE,
		.peer_addr = a->peer_addr,
		.peer_port = a->peer_port,
		.bytes = app_primary_bytes(a),
		.error = error,
		.http_status = a->http_status,
		.detail = a->detail,
	};
	app_digest(a, r.digest);
	app_emit(a, &r);
}

/* app_listen: a listening socket for a server app (see app_impl.h). */
int app_listen(struct app *a, const struct app_args *args, nb_sock_watch_fn fn, void *arg)
{
	struct nb_stack *s = a->stack;
	int fd = nb_socket(s, NB_SOCK_STREAM, a->name);
	if (fd < 0)
		return fd;
	int rc = nb_setsockopt(s, fd, NB_SO_REUSEADDR, 1);
	if (!rc)
		rc = nb_bind(s, fd, args->addr, args->port);
	if (!rc)
		rc = nb_listen(s, fd, args->backlog > 0 ? args->backlog : APP_DEFAULT_BACKLOG);
	if (!rc)
		rc = nb_getsockname(s, fd, &a->laddr, &a->lport);
	if (!rc)
		rc = nb_sock_watch(s, fd, NB_EV_READ, fn, arg);
	if (rc) {
		nb_close(s, fd);
		return rc;
	}
	return fd;
}

/* app_connect: a connecting socket for a client app (see app_impl.h). */
int app_connect(struct app *a, const struct app_args *args, uint32_t addr, uint16_t port,
		nb_sock_watch_fn fn, void *arg)
{
	struct nb_stack *s = a->stack;
	if (!addr || !port)
		return -EINVAL;
	int fd = nb_socket(s, NB_SOCK_STREAM, a->name);
	if (fd < 0)
		return fd;
	int rc = 0;
	if (args->lport)
		rc = nb_bind(s, fd, 0, args->lport);
	if (!rc && args->nodelay)
		rc = nb_setsockopt(s, fd, NB_SO_NODELAY, 1);
	if (!rc) {
		rc = nb_connect(s, fd, addr, port);
		if (rc == -EINPROGRESS)
			rc = 0;
	}
	if (!rc)
		rc = nb_sock_watch(s, fd, NB_EV_READ | NB_EV_WRITE | NB_EV_CONNECT | NB_EV_ERROR | NB_EV_HUP,
				   fn, arg);
	if (rc) {
		nb_close(s, fd);
		return rc;
	}
	a->peer_addr = addr;
	a->peer_port = port;
	nb_getsockname(s, fd, &a->laddr, &a->lport);
	return fd;
}

/* dump_one_text: one app as one line. */
static void dump_one_text(struct app *a, void *arg)
{
	struct strbuf *out = arg;
	char hex[SHA256_HEX_LEN], l[16];
	strbuf_printf(out, "%-12s %-8s %-8s %s:%u in=%llu out=%llu conns=%d/%d sha256=%s",
		      a->name, app_kind_name(a->kind), app_status_name(a->status),
		      nb_ip4_fmt(a->peer_addr ? a->peer_addr : a->laddr, l),
		      a->peer_addr ? a->peer_port : a->lport,
		      (unsigned long long)a->bytes_in, (unsigned long long)a->bytes_out,
		      a->conns_open, a->conns_total, app_digest_hex(a, hex));
	if (a->error)
		strbuf_printf(out, " error=%s", app_strerror(a->error));
	if (a->detail[0])
		strbuf_printf(out, " (%s)", a->detail);
	strbuf_putc(out, '\n');
}

/* app_dump_text: every app of s, one line each. */
int app_dump_text(struct nb_stack *s, struct strbuf *out)
{
	app_foreach(s, dump_one_text, out);
	return strbuf_error(out);
}

/* dump_one_json: one app as a JSON object. */
static void dump_one_json(struct app *a, void *arg)
{
	struct json *j = arg;
	char hex[SHA256_HEX_LEN], l[16];
	json_obj_begin(j);
	json_kv_str(j, "name", a->name);
	json_kv_str(j, "kind", app_kind_name(a->kind));
	json_kv_str(j, "status", app_status_name(a->status));
	json_kv_str(j, "local", nb_ip4_fmt(a->laddr, l));
	json_kv_u64(j, "lport", a->lport);
	json_kv_str(j, "peer", nb_ip4_fmt(a->peer_addr, l));
	json_kv_u64(j, "pport", a->peer_port);
	json_kv_u64(j, "bytes_in", a->bytes_in);
	json_kv_u64(j, "bytes_out", a->bytes_out);
	json_kv_u64(j, "bytes", app_primary_bytes(a));
	json_kv_str(j, "sha256", app_digest_hex(a, hex));
	json_kv_i64(j, "conns_open", a->conns_open);
	json_kv_i64(j, "conns_total", a->conns_total);
	if (a->kind == APP_HTTP || a->kind == APP_HTTPGET)
		json_kv_i64(j, "responses", a->responses);
	if (a->kind == APP_HTTPGET)
		json_kv_i64(j, "http_status", a->http_status);
	json_kv_i64(j, "error", a->error);
	json_kv_str(j, "error_text", a->error ? app_strerror(a->error) : "");
	json_kv_str(j, "detail", a->detail);
	json_obj_end(j);
}

/* app_dump_json: every app of s as a JSON array. */
int app_dump_json(struct nb_stack *s, struct strbuf *out)
{
	struct json j;
	json_init(&j, out);
	json_arr_begin(&j);
	app_foreach(s, dump_one_json, &j);
	json_arr_end(&j);
	return json_finish(&j);
}
