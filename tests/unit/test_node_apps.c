/* test_node_apps.c: the built-in apps end to end over two stacks wired back
 * to back (wire.h): source -> sink, source -> echo, http <- httpget and raw
 * HTTP requests, failures, and stopping an app from its own report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "apps/app.h"
#include "apps/pattern.h"
#include "wire.h"

static int setup(void **state)
{
	*state = wire_pair_new(5, NB_MS(2));
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	struct wire_pair *l = *state;
	app_stop_all(l->a);
	app_stop_all(l->b);
	wire_pair_free(l);
	return 0;
}

/* Reports collected by the callback. */
struct log {
	int n, conn_end, responses, done, failed;
	struct app_report last, last_conn;
	uint8_t conn_digest[8][SHA256_LEN];
	uint64_t conn_bytes[8];
	int resp_status[8];
	uint64_t resp_bytes[8];
	uint8_t resp_digest[8][SHA256_LEN];
	bool stop_on_report;
};

static void on_report(struct app *a, const struct app_report *r, void *arg)
{
	struct log *g = arg;
	g->n++;
	g->last = *r;
	switch (r->kind) {
	case APP_REP_CONN_END:
		if (g->conn_end < 8) {
			memcpy(g->conn_digest[g->conn_end], r->digest, SHA256_LEN);
			g->conn_bytes[g->conn_end] = r->bytes;
		}
		g->conn_end++;
		g->last_conn = *r;
		break;
	case APP_REP_RESPONSE:
		if (g->responses < 8) {
			g->resp_status[g->responses] = r->http_status;
			g->resp_bytes[g->responses] = r->bytes;
			memcpy(g->resp_digest[g->responses], r->digest, SHA256_LEN);
		}
		g->responses++;
		break;
	case APP_REP_DONE:
		g->done++;
		break;
	case APP_REP_FAILED:
		g->failed++;
		break;
	}
	if (g->stop_on_report)
		app_stop(a);
}

static bool app_ended(void *arg)
{
	struct app *a = arg;
	return a->status != APP_RUNNING;
}

static bool log_has_conn_end(void *arg)
{
	struct log *g = arg;
	return g->conn_end > 0;
}

static void test_source_sink(void **state)
{
	struct wire_pair *l = *state;
	struct log sl = {0}, cl = {0};
	int err = 0;
	struct app_args sa = {.port = 5001};
	struct app *sink = app_start(l->a, APP_SINK, "web", &sa, on_report, &sl, &err);
	assert_non_null(sink);
	assert_int_equal(sink->lport, 5001);
	const uint64_t total = 6 * 1024 * 1024 + 123;
	struct app_args ca = {.addr = l->aaddr, .port = 5001, .bytes = total, .seed = 42};
	struct app *src = app_start(l->b, APP_SOURCE, "c", &ca, on_report, &cl, &err);
	assert_non_null(src);
	assert_true(wire_run_until(&l->w, app_ended, src, NB_SEC(60)));
	assert_int_equal(src->status, APP_DONE);
	assert_int_equal(cl.done, 1);
	assert_int_equal(src->bytes_out, total);
	assert_true(wire_run_until(&l->w, log_has_conn_end, &sl, NB_SEC(5)));
	assert_int_equal(sink->bytes_in, total);
	assert_int_equal(sl.conn_bytes[0], total);
	uint8_t want[SHA256_LEN], d1[SHA256_LEN], d2[SHA256_LEN];
	pattern_digest(42, total, want);
	app_digest(sink, d1);
	app_digest(src, d2);
	assert_memory_equal(d1, want, SHA256_LEN);
	assert_memory_equal(d2, want, SHA256_LEN);
	assert_memory_equal(sl.conn_digest[0], want, SHA256_LEN);
	assert_memory_equal(cl.last.digest, want, SHA256_LEN);
	assert_int_equal(sl.last_conn.peer_addr, l->baddr);
	assert_int_equal(sink->conns_total, 1);
	assert_int_equal(sink->conns_open, 0);
	/* the registry */
	assert_ptr_equal(app_find(l->a, "web"), sink);
	assert_null(app_find(l->b, "web"));
	assert_null(app_start(l->a, APP_SINK, "web", &sa, NULL, NULL, &err));
	assert_int_equal(err, -EINVAL);
	struct strbuf sb = STRBUF_INIT;
	assert_int_equal(app_dump_text(l->a, &sb), 0);
	char hex[SHA256_HEX_LEN];
	assert_non_null(strstr(sb.buf, sha256_hex(want, hex)));
	assert_non_null(strstr(sb.buf, "web"));
	strbuf_reset(&sb);
	assert_int_equal(app_dump_json(l->b, &sb), 0);
	assert_non_null(strstr(sb.buf, "\"status\":\"done\""));
	strbuf_free(&sb);
}

static void test_source_sink_lossy(void **state)
{
	struct wire_pair *l = *state;
	wire_set_loss(&l->w, l->link, WIRE_BA, 0.02);
	wire_set_loss(&l->w, l->link, WIRE_AB, 0.01);
	struct log sl = {0}, cl = {0};
	int err;
	struct app_args sa = {.port = 5002};
	struct app *sink = app_start(l->a, APP_SINK, "sink", &sa, on_report, &sl, &err);
	struct app_args ca = {.addr = l->aaddr, .port = 5002, .bytes = 2 << 20, .seed = 3, .chunk = 1000};
	struct app *src = app_start(l->b, APP_SOURCE, "src", &ca, on_report, &cl, &err);
	assert_non_null(sink);
	assert_non_null(src);
	assert_true(wire_run_until(&l->w, app_ended, src, NB_SEC(300)));
	assert_int_equal(src->status, APP_DONE);
	assert_true(wire_run_until(&l->w, log_has_conn_end, &sl, NB_SEC(30)));
	uint8_t want[SHA256_LEN], got[SHA256_LEN];
	pattern_digest(3, 2 << 20, want);
	app_digest(sink, got);
	assert_memory_equal(got, want, SHA256_LEN);
	assert_true(l->b->stats.tcp_retransmits > 0);
}

static void test_echo(void **state)
{
	struct wire_pair *l = *state;
	struct log el = {0}, cl = {0};
	int err;
	struct app_args ea = {.port = 7};
	struct app *echo = app_start(l->a, APP_ECHO, "echo", &ea, on_report, &el, &err);
	assert_non_null(echo);
	struct app_args ca = {.addr = l->aaddr, .port = 7, .bytes = 1 << 20, .seed = 9};
	struct app *src[3];
	for (int i = 0; i < 3; i++) {
		char name[16];
		snprintf(name, sizeof(name), "c%d", i);
		ca.seed = 9 + (uint64_t)i;
		src[i] = app_start(l->b, APP_SOURCE, name, &ca, on_report, &cl, &err);
		assert_non_null(src[i]);
	}
	for (int i = 0; i < 3; i++) {
		assert_true(wire_run_until(&l->w, app_ended, src[i], NB_SEC(60)));
		assert_int_equal(src[i]->status, APP_DONE);
		assert_int_equal(src[i]->bytes_in, 1 << 20);
		uint8_t rx[SHA256_LEN], tx[SHA256_LEN];
		lazy_hash_digest(&src[i]->rx_hash, rx);
		lazy_hash_digest(&src[i]->tx_hash, tx);
		assert_memory_equal(rx, tx, SHA256_LEN);
	}
	wire_run_idle(&l->w, NB_SEC(1));
	assert_int_equal(echo->bytes_in, 3 << 20);
	assert_int_equal(echo->bytes_out, 3 << 20);
	assert_int_equal(echo->conns_total, 3);
	assert_int_equal(el.conn_end, 3);
}

static void test_http_keepalive_sizes(void **state)
{
	struct wire_pair *l = *state;
	int err;
	struct app_args ha = {.port = 80, .seed = 1};
	struct app *srv = app_start(l->a, APP_HTTP, "web", &ha, NULL, NULL, &err);
	assert_non_null(srv);
	const char *paths[] = {"/0", "/1", "/1000", "/1MiB", "/1048577"};
	const uint64_t sizes[] = {0, 1, 1000, 1 << 20, (1 << 20) + 1};
	uint64_t total = 0;
	for (size_t i = 0; i < NB_ARRAY_LEN(paths); i++) {
		char url[64], name[16];
		snprintf(url, sizeof(url), "http://10.0.0.1%s", paths[i]);
		snprintf(name, sizeof(name), "get%zu", i);
		struct log gl = {0};
		struct app_args ga = {.url = url, .requests = 3, .verify = true, .seed = 1};
		struct app *get = app_start(l->b, APP_HTTPGET, name, &ga, on_report, &gl, &err);
		assert_non_null(get);
		assert_true(wire_run_until(&l->w, app_ended, get, NB_SEC(60)));
		assert_int_equal(get->status, APP_DONE);
		assert_int_equal(gl.responses, 3);
		uint8_t want[SHA256_LEN];
		pattern_digest(1, sizes[i], want);
		for (int k = 0; k < 3; k++) {
			assert_int_equal(gl.resp_status[k], 200);
			assert_int_equal(gl.resp_bytes[k], sizes[i]);
			assert_memory_equal(gl.resp_digest[k], want, SHA256_LEN);
		}
		assert_int_equal(get->bytes_in, 3 * sizes[i]);
		assert_int_equal(get->conns_total, 1);      /* one connection: keep-alive */
		total += 3 * sizes[i];
		app_stop(get);
	}
	wire_run_idle(&l->w, NB_SEC(1));
	assert_int_equal(srv->bytes_out, total);
	assert_int_equal(srv->conns_total, (int)NB_ARRAY_LEN(paths));
	assert_int_equal(srv->responses, 3 * (int)NB_ARRAY_LEN(paths));
}

/* raw_http: sends req on a fresh connection, returns what came back until
 * the server closed (or 2 s passed) in out. */
static size_t raw_http(struct wire_pair *l, const char *req, char *out, size_t cap, bool *closed)
{
	int fd = nb_socket(l->b, NB_SOCK_STREAM, "raw");
	assert_int_equal(nb_connect(l->b, fd, l->aaddr, 80), -EINPROGRESS);
	wire_run_for(&l->w, NB_MS(50));
	assert_int_equal(nb_send(l->b, fd, req, strlen(req), NB_MSG_PUSH), (ssize_t)strlen(req));
	size_t len = 0;
	*closed = false;
	for (int i = 0; i < 200 && !*closed; i++) {
		wire_run_for(&l->w, NB_MS(10));
		ssize_t n;
		while ((n = nb_recv(l->b, fd, out + len, cap - 1 - len, 0)) > 0)
			len += (size_t)n;
		if (n == 0 || (n < 0 && n != -EAGAIN))
			*closed = true;
	}
	out[len] = '\0';
	nb_close(l->b, fd);
	return len;
}

static void test_http_raw_requests(void **state)
{
	struct wire_pair *l = *state;
	int err;
	struct app_args ha = {.port = 80};
	struct app *srv = app_start(l->a, APP_HTTP, "web", &ha, NULL, NULL, &err);
	assert_non_null(srv);
	static char out[8192];
	bool closed;

	raw_http(l, "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out, sizeof(out), &closed);
	assert_non_null(strstr(out, "HTTP/1.1 404 Not Found\r\n"));
	assert_true(closed);

	raw_http(l, "BROKEN\r\n\r\n", out, sizeof(out), &closed);
	assert_int_equal(strncmp(out, "HTTP/1.1 400 Bad Request\r\n", 26), 0);
	assert_true(closed);

	raw_http(l, "GET /5 HTTP/1.1\r\n\r\n", out, sizeof(out), &closed);   /* no Host */
	assert_int_equal(strncmp(out, "HTTP/1.1 400 ", 13), 0);

	raw_http(l, "POST /5 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
		 out, sizeof(out), &closed);
	assert_int_equal(strncmp(out, "HTTP/1.1 405 ", 13), 0);
	assert_non_null(strstr(out, "Allow: GET, HEAD\r\n"));

	size_t n = raw_http(l, "HEAD /1MiB HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out, sizeof(out), &closed);
	assert_non_null(strstr(out, "Content-Length: 1048576\r\n"));
	assert_string_equal(out + n - 4, "\r\n\r\n");            /* no body */
	assert_true(closed);

	/* pipelined, the first keep-alive, the second closes: both answered in order */
	n = raw_http(l, "GET /3 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		     out, sizeof(out), &closed);
	assert_true(closed);
	char *first = strstr(out, "Content-Length: 3\r\nConnection: keep-alive\r\n\r\n");
	char *second = strstr(out, "Content-Length: 2\r\nConnection: close\r\n\r\n");
	assert_non_null(first);
	assert_non_null(second);
	assert_true(first < second);
	uint8_t body[3];
	pattern_fill(body, 3, 0, 0);
	assert_memory_equal(first + strlen("Content-Length: 3\r\nConnection: keep-alive\r\n\r\n"), body, 3);

	/* HTTP/1.0 closes by default */
	raw_http(l, "GET /10 HTTP/1.0\r\n\r\n", out, sizeof(out), &closed);
	assert_non_null(strstr(out, "Connection: close\r\n"));
	assert_true(closed);

	/* an index at / */
	raw_http(l, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out, sizeof(out), &closed);
	assert_non_null(strstr(out, "nestbed http server"));
}

/* Garbage from many clients at once (random bytes, endless headers, broken
 * lines) must neither crash the server nor stop it serving others. */
static void test_http_garbage(void **state)
{
	struct wire_pair *l = *state;
	int err;
	struct app_args ha = {.port = 80};
	struct app *srv = app_start(l->a, APP_HTTP, "web", &ha, NULL, NULL, &err);
	assert_non_null(srv);
	struct nb_rng rng;
	nb_rng_seed(&rng, 1);
	static uint8_t junk[20000];
	int fds[12];
	for (int i = 0; i < 12; i++) {
		fds[i] = nb_socket(l->b, NB_SOCK_STREAM, "junk");
		nb_connect(l->b, fds[i], l->aaddr, 80);
	}
	wire_run_for(&l->w, NB_MS(50));
	for (int i = 0; i < 12; i++) {
		size_t n = 1 + nb_rng_next(&rng) % sizeof(junk);
		for (size_t k = 0; k < n; k++) {
			uint64_t r = nb_rng_next(&rng);
			/* mostly header-like text, sometimes CR/LF/space/NUL/binary */
			const char alphabet[] = "GET /HTP1.0:\r\n\r\n 0123456789abcKiB";
			junk[k] = r % 5 == 0 ? (uint8_t)(r >> 8) : (uint8_t)alphabet[(r >> 8) % (sizeof(alphabet) - 1)];
		}
		const char *big_body = "GET /1kB HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n";
		if (i % 3 == 0 && n > strlen(big_body))
			memcpy(junk, big_body, strlen(big_body));
		nb_send(l->b, fds[i], junk, n, NB_MSG_PUSH);
		if (i % 2)
			nb_shutdown(l->b, fds[i], SHUT_WR);
	}
	wire_run_for(&l->w, NB_SEC(2));
	for (int i = 0; i < 12; i++)
		nb_abort(l->b, fds[i]);
	struct app_args ga = {.url = "http://10.0.0.1/4kB", .requests = 2, .verify = true};
	struct app *get = app_start(l->b, APP_HTTPGET, "ok", &ga, NULL, NULL, &err);
	assert_non_null(get);
	assert_true(wire_run_until(&l->w, app_ended, get, NB_SEC(10)));
	assert_int_equal(get->status, APP_DONE);
	assert_int_equal(get->bytes_in, 2 * 4000);
	wire_run_for(&l->w, NB_SEC(1));
	assert_int_equal(srv->conns_open, 0);
}

static void test_client_failures(void **state)
{
	struct wire_pair *l = *state;
	int err = 0;
	struct log gl = {0};
	/* nobody listens: refused */
	struct app_args ga = {.url = "http://10.0.0.1:8080/1kB"};
	struct app *get = app_start(l->b, APP_HTTPGET, "g", &ga, on_report, &gl, &err);
	assert_non_null(get);
	assert_true(wire_run_until(&l->w, app_ended, get, NB_SEC(10)));
	assert_int_equal(get->status, APP_FAILED);
	assert_int_equal(get->error, -ECONNREFUSED);
	assert_int_equal(gl.failed, 1);
	assert_int_equal(gl.last.error, -ECONNREFUSED);
	/* bad URLs */
	const char *bad[] = {"ftp://10.0.0.1/", "http://host/", "http://10.0.0.1:0/", "http://10.0.0.1:99999/",
			     "http://10.0.0.1x/", NULL};
	for (int i = 0; bad[i]; i++) {
		struct app_args b = {.url = bad[i]};
		assert_null(app_start(l->b, APP_HTTPGET, "bad", &b, NULL, NULL, &err));
		assert_int_equal(err, -EINVAL);
	}
	/* a 404 fails the client, saying so */
	struct app_args ha = {.port = 80};
	assert_non_null(app_start(l->a, APP_HTTP, "web", &ha, NULL, NULL, &err));
	struct app_args g404 = {.url = "http://10.0.0.1/nothing-here"};
	struct app *g2 = app_start(l->b, APP_HTTPGET, "g2", &g404, NULL, NULL, &err);
	assert_true(wire_run_until(&l->w, app_ended, g2, NB_SEC(10)));
	assert_int_equal(g2->status, APP_FAILED);
	assert_int_equal(g2->http_status, 404);
	/* source to a closed port */
	struct app_args ca = {.addr = l->aaddr, .port = 9, .bytes = 10};
	struct app *src = app_start(l->b, APP_SOURCE, "s", &ca, NULL, NULL, &err);
	assert_true(wire_run_until(&l->w, app_ended, src, NB_SEC(10)));
	assert_int_equal(src->error, -ECONNREFUSED);
	/* listening twice on a port */
	struct app_args sa = {.port = 80};
	assert_null(app_start(l->a, APP_SINK, "dup", &sa, NULL, NULL, &err));
	assert_int_equal(err, -EADDRINUSE);
	/* a sink reset mid-stream reports the error for that connection */
	struct log sl = {0};
	struct app_args sa2 = {.port = 6000};
	struct app *sink = app_start(l->a, APP_SINK, "k", &sa2, on_report, &sl, &err);
	assert_non_null(sink);
	struct app_args big = {.addr = l->aaddr, .port = 6000, .bytes = 50 << 20};
	struct app *s2 = app_start(l->b, APP_SOURCE, "s2", &big, NULL, NULL, &err);
	wire_run_for(&l->w, NB_MS(100));
	app_stop(s2);   /* closes with unsent data: graceful FIN after what is queued */
	assert_true(wire_run_until(&l->w, log_has_conn_end, &sl, NB_SEC(60)));
	assert_int_equal(sl.conn_end, 1);
}

static void test_stop_from_report(void **state)
{
	struct wire_pair *l = *state;
	int err;
	struct log sl = {.stop_on_report = true}, cl = {.stop_on_report = true};
	struct app_args sa = {.port = 5003};
	struct app *sink = app_start(l->a, APP_SINK, "sink", &sa, on_report, &sl, &err);
	assert_non_null(sink);
	struct app_args ca = {.addr = l->aaddr, .port = 5003, .bytes = 100000};
	assert_non_null(app_start(l->b, APP_SOURCE, "src", &ca, on_report, &cl, &err));
	wire_run_for(&l->w, NB_SEC(5));
	/* both stopped themselves from their report callbacks (and were freed) */
	assert_int_equal(cl.done, 1);
	assert_int_equal(sl.conn_end, 1);
	assert_null(app_find(l->a, "sink"));
	assert_null(app_find(l->b, "src"));
	assert_int_equal(app_kind_parse("httpget", &(enum app_kind){0}), 0);
	assert_int_equal(app_kind_parse("nope", &(enum app_kind){0}), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_source_sink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_sink_lossy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_echo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_keepalive_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_raw_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_from_report, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
