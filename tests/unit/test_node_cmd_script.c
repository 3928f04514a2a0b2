/* test_node_cmd_script.c: the script verbs (node/cmd_script.c) on two nodes
 * wired back to back with a fake clock: argument checking, the object
 * table, a 4 MiB transfer into a sink with matching digests, waits that
 * hold, time out or can never hold, reading on demand, UDP, a source app,
 * counters, a listener without an app whose connections wait on the
 * accept queue until `accept` (a SYN dropped while it is full). Replies are read from the controller's end of each node's
 * control socketpair, exactly as nestbed would see them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmd.h"
#include "apps/pattern_sha.h"
#include "node.h"

#define DELAY NB_MS(1)      /* one way, each direction */

struct hnode {
	struct node n;
	struct nb_stack_io io;
	int peer_fd;            /* the controller's end of the control socket */
	unsigned long next_id;
	char in[1 << 16];       /* reply text read so far */
	size_t inlen;
};

struct frame {
	struct frame *next;
	struct hnode *to;
	nb_time_t at;
	size_t len;
	uint8_t data[];
};

static struct hnode *A, *B;         /* 10.0.0.1 and 10.0.0.2 */
static struct frame *queue;
static nb_time_t clock_now;

static void tx(void *ctx, int ifidx, const uint8_t *data, size_t len)
{
	struct hnode *from = ctx;
	(void)ifidx;
	struct frame *f = malloc(sizeof(*f) + len);
	assert_non_null(f);
	memcpy(f->data, data, len);
	f->len = len;
	f->to = from == A ? B : A;
	f->at = clock_now + DELAY;
	f->next = NULL;
	struct frame **pp = &queue;
	while (*pp)
		pp = &(*pp)->next; /* same delay for all: arrival order = sending order */
	*pp = f;
}

static struct hnode *hnode_new(const char *name, uint8_t last)
{
	struct hnode *h = calloc(1, sizeof(*h));
	int sv[2];
	assert_non_null(h);
	snprintf(h->n.name, sizeof(h->n.name), "%s", name);
	h->io.tx = tx;
	assert_int_equal(stack_init(&h->n.stack, &h->io, h, 1000 + last), 0);
	h->n.stack.now = clock_now;
	uint8_t mac[6] = {0x02, 0, 0, 0, 0, last};
	assert_true(stack_add_iface(&h->n.stack, "eth0", mac, 0x0a000000u | last, 24, 1500) >= 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ctl_init(&h->n.ctl, cmd_handle, &h->n);
	assert_non_null(ctl_adopt(&h->n.ctl, sv[0]));
	h->peer_fd = sv[1];
	fcntl(h->peer_fd, F_SETFL, O_NONBLOCK);
	h->next_id = 1;
	return h;
}

static void hnode_free(struct hnode *h)
{
	cmd_script_free(&h->n);
	ctl_close_all(&h->n.ctl);
	stack_free(&h->n.stack);
	close(h->peer_fd);
	free(h);
}

static int setup(void **state)
{
	(void)state;
	clock_now = NB_SEC(100);
	queue = NULL;
	A = hnode_new("alpha", 1);
	B = hnode_new("beta", 2);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	hnode_free(A);
	hnode_free(B);
	while (queue) {
		struct frame *f = queue;
		queue = f->next;
		free(f);
	}
	return 0;
}

static void sync_clock(void)
{
	A->n.stack.now = B->n.stack.now = clock_now;
}

/* step_once: everything due at the next event time; false if nothing is
 * due by `until`. Then each node's waits are re-checked, as after an
 * iteration of the real event loop. */
static bool step_once(nb_time_t until)
{
	nb_time_t t = queue ? queue->at : NB_TIME_NEVER;
	t = NB_MIN(t, stack_next_deadline(&A->n.stack));
	t = NB_MIN(t, stack_next_deadline(&B->n.stack));
	if (t == NB_TIME_NEVER || t > until)
		return false;
	if (t > clock_now)
		clock_now = t;
	sync_clock();
	while (queue && queue->at <= clock_now) {
		struct frame *f = queue;
		queue = f->next;
		stack_input(&f->to->n.stack, 0, f->data, f->len, 0, clock_now);
		free(f);
	}
	struct hnode *hs[2] = {A, B};
	for (int i = 0; i < 2; i++)
		if (stack_next_deadline(&hs[i]->n.stack) <= clock_now)
			stack_timers_run(&hs[i]->n.stack, clock_now);
	cmd_script_after_io(&A->n);
	cmd_script_after_io(&B->n);
	return true;
}

static void run_for(nb_time_t d)
{
	nb_time_t until = clock_now + d;
	while (step_once(until))
		;
	clock_now = until;
	sync_clock();
}

/* take_reply: the reply line to request id, if it has arrived ("ok ..." or
 * "err ..."), copied into out without the id. */
static bool take_reply(struct hnode *h, unsigned long id, char *out, size_t len)
{
	ssize_t n;
	while ((n = read(h->peer_fd, h->in + h->inlen, sizeof(h->in) - 1 - h->inlen)) > 0)
		h->inlen += (size_t)n;
	h->in[h->inlen] = '\0';
	char prefix[32];
	int plen = snprintf(prefix, sizeof(prefix), "%lu ", id);
	for (char *line = h->in; line && *line;) {
		char *eol = strchr(line, '\n');
		if (!eol)
			break;
		if (!strncmp(line, prefix, (size_t)plen) &&
		    (!strncmp(line + plen, "ok", 2) || !strncmp(line + plen, "err", 3))) {
			snprintf(out, len, "%.*s", (int)(eol - line - plen), line + plen);
			memmove(line, eol + 1, h->inlen - (size_t)(eol + 1 - h->in) + 1);
			h->inlen -= (size_t)(eol + 1 - line);
			return true;
		}
		line = eol + 1;
	}
	return false;
}

/* submit: sends one request line to h's verb table; returns its id. */
static unsigned long submit(struct hnode *h, const char *fmt, ...)
{
	char line[1024], *argv[CTL_ARGS_MAX + 1];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	int argc = 0;
	for (char *save = NULL, *w = strtok_r(line, " ", &save); w && argc < CTL_ARGS_MAX; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	assert_true(argc > 0);
	argv[argc] = NULL;
	struct ctl_req r = {.conn_serial = 1, .id = h->next_id++};
	sync_clock();
	const struct cmd_verb *v = cmd_script_verbs;
	while (v->name && strcmp(v->name, argv[0]))
		v++;
	assert_non_null(v->name);
	v->fn(&h->n, r, argc, argv);
	cmd_script_after_io(&h->n);
	return r.id;
}

/* req: a request that answers without the clock moving (at once, or after
 * loop iterations: `obj` may wait for digests); its reply. */
static char reply_buf[4096];
static const char *req(struct hnode *h, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	unsigned long id = submit(h, "%s", line);
	bool got = take_reply(h, id, reply_buf, sizeof(reply_buf));
	for (int i = 0; i < 100000 && !got; i++) {
		cmd_script_after_io(&h->n);
		got = take_reply(h, id, reply_buf, sizeof(reply_buf));
	}
	if (!got)
		fail_msg("no reply to '%s'", line);
	return reply_buf;
}

/* await: runs the lab until request id is answered or limit passes. */
static const char *await(struct hnode *h, unsigned long id, nb_time_t limit)
{
	nb_time_t until = clock_now + limit;
	while (!take_reply(h, id, reply_buf, sizeof(reply_buf))) {
		if (!step_once(until))
			fail_msg("request %lu unanswered after %llu ns", id, (unsigned long long)limit);
	}
	return reply_buf;
}

/* key: the value of key=value in a reply, into a static buffer. */
static const char *key(const char *reply, const char *k)
{
	static char buf[8][128];
	static int next;
	char *out = buf[next++ % 8];
	char pat[64];
	snprintf(pat, sizeof(pat), " %s=", k);
	const char *p = strstr(reply, pat);
	if (!p && !strncmp(reply, pat + 1, strlen(pat) - 1))
		p = reply - 1;
	if (!p) {
		out[0] = '\0';
		return out;
	}
	p += strlen(pat);
	size_t n = strcspn(p, " ");
	snprintf(out, 128, "%.*s", (int)n, p);
	return out;
}

#define assert_ok(r) do { const char *r_ = (r); if (strncmp(r_, "ok", 2)) fail_msg("expected ok: %s", r_); } while (0)
#define assert_err(r, text) do { const char *r_ = (r); if (strncmp(r_, "err", 3) || !strstr(r_, text)) \
	fail_msg("expected err with '%s': %s", text, r_); } while (0)

static void test_arguments(void **state)
{
	(void)state;
	assert_err(req(A, "connect"), "usage: connect NAME ADDR:PORT");
	assert_err(req(A, "connect c nowhere"), "ADDRESS:PORT");
	assert_err(req(A, "connect c 10.0.0.2:80 sideways"), "unknown option 'sideways'");
	assert_err(req(A, "send c 10"), "no object named 'c'");
	assert_err(req(A, "listen web"), "usage: listen");
	assert_err(req(A, "listen web 0"), "port");
	assert_err(req(A, "listen web 80 app source"), "sink, echo, http or none");
	assert_err(req(A, "app x start teleport 80"), "unknown app 'teleport'");
	assert_err(req(A, "app x start httpget ftp://10.0.0.2/"), "wants a URL");
	assert_err(req(A, "udp u send 10.0.0.2:53 70000"), "at most 65507");
	assert_err(req(A, "shutdown c sideways"), "rd, wr or both");
	assert_err(req(A, "obj nothing"), "no object named 'nothing'");
	assert_err(req(A, "counter tcp.nonsense"), "no counter named 'tcp.nonsense'");
	assert_err(req(A, "wait c state BOGUS within 1s"), "not a TCP state");
	assert_err(req(A, "wait c received 10"), "usage: wait");
	assert_err(req(A, "wait c done within soon"), "time");
	/* names: taken, too long */
	assert_ok(req(A, "listen web 80"));
	assert_err(req(A, "listen web 81"), "name 'web' is taken");
	assert_err(req(A, "connect abcdefghijabcdefghijabcdefghijXY 10.0.0.2:80"), "too long");
	/* a failed creation leaves no object behind */
	assert_err(req(A, "listen web2 80"), "listen web2 port 80");
	assert_err(req(A, "obj web2"), "no object named");
	/* kinds are checked */
	assert_err(req(A, "send web 10"), "'web' is a listener");
	assert_err(req(A, "wait web state ESTABLISHED within 1s"), "'web' is a listener");
	const char *r = req(A, "obj");
	assert_ok(r);
	assert_string_equal(key(r, "count"), "1");
}

static void test_transfer_digest(void **state)
{
	(void)state;
	const char *r = req(B, "listen web 80 backlog 4 app sink");
	assert_ok(r);
	assert_string_equal(key(r, "app"), "sink");
	r = req(A, "connect c 10.0.0.2:80 nodelay");
	assert_ok(r);
	assert_string_equal(key(r, "state"), "SYN_SENT");
	unsigned long w = submit(A, "wait c state established within 2s");
	r = await(A, w, NB_SEC(3));
	assert_ok(r);
	assert_string_equal(key(r, "state"), "ESTABLISHED");
	/* answered at the instant the handshake completed: one round trip (+ARP) */
	assert_true(strtoull(key(r, "waited_ns"), NULL, 10) <= NB_MS(10));

	r = req(A, "send c 4MiB");  /* more than the 1 MiB send buffer takes */
	assert_ok(r);
	assert_true(strtoull(key(r, "pending"), NULL, 10) > 0); /* the rest goes later: never blocks */
	w = submit(B, "wait web received 4194304 within 10s");
	r = await(B, w, NB_SEC(11));
	assert_ok(r);
	assert_string_equal(key(r, "received"), "4194304");
	w = submit(A, "wait c sent 4MiB within 2s");
	r = await(A, w, NB_SEC(3));
	assert_ok(r);

	char dc[80], dw[80];
	r = req(A, "obj c");
	assert_ok(r);
	assert_string_equal(key(r, "kind"), "conn");
	assert_string_equal(key(r, "sent"), "4194304");
	assert_string_equal(key(r, "queued"), "4194304");
	assert_string_equal(key(r, "pending"), "0");
	assert_string_equal(key(r, "bytes"), "4194304");
	assert_string_equal(key(r, "error"), "none");
	assert_string_equal(key(r, "done"), "0");
	snprintf(dc, sizeof(dc), "%s", key(r, "digest"));
	assert_string_equal(dc, key(r, "digest_sent"));
	r = req(B, "obj web");
	assert_ok(r);
	assert_string_equal(key(r, "kind"), "listener");
	assert_string_equal(key(r, "state"), "LISTEN");
	assert_string_equal(key(r, "received"), "4194304");
	assert_string_equal(key(r, "conns"), "1");
	snprintf(dw, sizeof(dw), "%s", key(r, "digest"));
	assert_string_equal(dw, key(r, "digest_received"));
	assert_int_equal(strlen(dc), 64);
	assert_string_equal(dc, dw);

	/* close: data first, then FIN; the connection is followed to TIME_WAIT */
	r = req(A, "close c");
	assert_ok(r);
	w = submit(A, "wait c state TIME_WAIT within 2s");
	r = await(A, w, NB_SEC(3));
	assert_ok(r);
	assert_string_equal(key(r, "done"), "1");
	assert_err(req(A, "send c 10"), "closed");
	assert_err(req(A, "close c"), "already closed");

	/* the listener's totals survive stopping it */
	assert_ok(req(B, "app web stop"));
	r = req(B, "obj web");
	assert_string_equal(key(r, "state"), "CLOSED");
	assert_string_equal(key(r, "received"), "4194304");
	assert_string_equal(key(r, "digest"), dw);
}

static void test_refused_never(void **state)
{
	(void)state;
	assert_ok(req(A, "connect c 10.0.0.2:81"));
	unsigned long w = submit(A, "wait c state ESTABLISHED within 5s");
	const char *r = await(A, w, NB_SEC(6));
	assert_err(r, "never");
	assert_string_equal(key(r, "error"), "refused");
	assert_string_equal(key(r, "state"), "CLOSED");
	assert_string_equal(key(r, "want"), "ESTABLISHED");
	assert_true(strtoull(key(r, "waited_ns"), NULL, 10) < NB_SEC(1)); /* not the whole bound */
	r = req(A, "obj c");
	assert_string_equal(key(r, "error"), "refused");
	/* a wait for what already holds answers at once */
	r = req(A, "wait c state closed within 1s");
	assert_ok(r);
	assert_string_equal(key(r, "waited_ns"), "0");
}

static void test_timeout_and_recv(void **state)
{
	(void)state;
	assert_ok(req(B, "listen e 7 app echo"));
	assert_ok(req(A, "connect c 10.0.0.2:7"));
	assert_ok(req(A, "send c 1000 push"));
	/* echoed back: it counts as received once it arrived in order, read or not */
	unsigned long w = submit(A, "wait c received 1000 within 500ms");
	const char *r = await(A, w, NB_SEC(1));
	assert_ok(r);
	assert_string_equal(key(r, "received"), "1000");
	assert_string_equal(key(r, "read"), "0");
	assert_string_equal(key(r, "buffered"), "1000");
	/* more than will ever come: the wait times out, saying how far it got */
	w = submit(A, "wait c received 5000 within 500ms");
	nb_time_t t0 = clock_now;
	r = await(A, w, NB_SEC(1));
	assert_err(r, "timeout");
	assert_true(clock_now - t0 >= NB_MS(500) && clock_now - t0 <= NB_MS(501));
	assert_string_equal(key(r, "received"), "1000");
	assert_string_equal(key(r, "want"), "received>=5000");
	/* recv without a size reads what is buffered */
	r = req(A, "recv c");
	assert_ok(r);
	assert_string_equal(key(r, "read"), "1000");
	r = req(A, "obj c");
	assert_string_equal(key(r, "read"), "1000");
	assert_string_equal(key(r, "buffered"), "0");
	assert_string_equal(key(r, "digest_received"), key(r, "digest_sent"));
	/* recv with a size reads as data arrives */
	r = req(A, "recv c 3000");
	assert_string_equal(key(r, "read"), "0");
	assert_string_equal(key(r, "pending"), "3000");
	assert_ok(req(A, "send c 3000"));
	w = submit(A, "wait c received 4000 within 1s");
	assert_ok(await(A, w, NB_SEC(2)));
	run_for(NB_MS(5));
	r = req(A, "obj c");
	assert_string_equal(key(r, "read"), "4000");  /* the quota read it as it came */
	assert_string_equal(key(r, "digest_received"), key(r, "digest_sent"));
	r = req(B, "obj e");
	assert_string_equal(key(r, "received"), "4000");
	assert_string_equal(key(r, "sent"), "4000");
	/* shutdown wr: the echo server sees EOF and closes; we reach FIN_WAIT_2
	 * or TIME_WAIT after reading its FIN */
	assert_ok(req(A, "shutdown c wr"));
	assert_ok(req(A, "recv c 1"));
	w = submit(A, "wait c state TIME_WAIT within 2s");
	assert_ok(await(A, w, NB_SEC(3)));
}

static void test_abort(void **state)
{
	(void)state;
	assert_ok(req(B, "listen web 80"));
	assert_ok(req(A, "connect c 10.0.0.2:80"));
	assert_ok(await(A, submit(A, "wait c state ESTABLISHED within 1s"), NB_SEC(2)));
	const char *r = req(A, "abort c");
	assert_ok(r);
	assert_string_equal(key(r, "state"), "CLOSED");
	run_for(NB_MS(10));
	r = req(B, "counter tcp.rst_received");
	assert_ok(r);
	assert_string_equal(key(r, "name"), "tcp.rst_received");
	assert_string_equal(key(r, "value"), "1");
	/* the whole list */
	unsigned long id = submit(B, "counter");
	char out[256];
	assert_true(take_reply(B, id, out, sizeof(out)));
	assert_ok(out);
	assert_true(atoi(key(out, "count")) > 50);
}

static void test_udp(void **state)
{
	(void)state;
	const char *r = req(B, "udp u bind 53");
	assert_ok(r);
	assert_string_equal(key(r, "port"), "53");
	r = req(A, "udp s send 10.0.0.2:53 100 from 5353");
	assert_ok(r);
	assert_string_equal(key(r, "error"), "none");
	assert_ok(req(A, "udp s send 10.0.0.2:53 28"));
	assert_err(req(A, "udp s send 10.0.0.2:53 28 from 9"), "bound to port 5353");
	unsigned long w = submit(B, "wait u received 128 within 1s");
	assert_ok(await(B, w, NB_SEC(2)));
	char ds[80];
	r = req(A, "obj s");
	assert_string_equal(key(r, "kind"), "udp");
	assert_string_equal(key(r, "sent"), "128");
	snprintf(ds, sizeof(ds), "%s", key(r, "digest"));
	r = req(B, "obj u");
	assert_string_equal(key(r, "received"), "128");
	assert_string_equal(key(r, "digest"), ds); /* a receiver's digest is what it received */
	assert_ok(req(B, "close u"));
	assert_err(req(B, "wait u received 1000 within 1s"), "never");
}

/* Hundreds of named objects and apps: each is found by its name after the
 * name tables grew, names stay unique, and the listing keeps creation
 * order. */
static void test_many_names(void **state)
{
	(void)state;
	for (int i = 0; i < 300; i++) {
		assert_ok(req(B, "udp u%d bind %d", i, 2000 + i));
		assert_ok(req(B, "app k%d start sink %d", i, 3000 + i));
	}
	assert_err(req(B, "udp u150 bind 999"), "taken");
	assert_err(req(B, "app k7 start sink 999"), "");
	for (int i = 0; i < 300; i += 29) {
		char want[16];
		snprintf(want, sizeof(want), "u%d", i);
		assert_string_equal(key(req(B, "obj %s", want), "name"), want);
		snprintf(want, sizeof(want), "k%d", i);
		assert_string_equal(key(req(B, "obj %s", want), "name"), want);
		assert_string_equal(key(req(B, "obj %s", want), "app"), "sink");
	}
	assert_ok(req(B, "app k299 stop"));
	assert_string_equal(key(req(B, "obj k299"), "status"), "stopped");
	assert_ok(req(B, "app k299b start sink 9999"));   /* after a stop, new names still go in */
	assert_string_equal(key(req(B, "obj k299b"), "app"), "sink");
}

/* An `obj` whose digests need hashing that the node has not done yet is
 * answered after loop iterations (one slice each), not by one long stall;
 * the digest is the same either way. */
static void test_obj_waits_for_digests(void **state)
{
	(void)state;
	assert_ok(req(B, "listen web 80"));
	assert_ok(req(A, "connect c 10.0.0.2:80"));
	assert_ok(await(A, submit(A, "wait c state established within 1s"), NB_SEC(2)));
	assert_ok(req(A, "send c 3MiB"));
	assert_ok(await(B, submit(B, "wait web received 3MiB within 5s"), NB_SEC(6)));
	char want[80];
	snprintf(want, sizeof(want), "%s", key(req(B, "obj web"), "digest"));
	/* The same stream, pretended 40 MiB long elsewhere on this node: the
	 * pattern cache has work again, so the next obj waits for it. */
	pattern_sha_demand(0, 40u << 20);
	unsigned long id = submit(B, "obj web");
	char out[4096];
	assert_false(take_reply(B, id, out, sizeof(out)));
	int iterations = 1;
	while (!take_reply(B, id, out, sizeof(out))) {
		cmd_script_after_io(&B->n);
		iterations++;
		assert_true(iterations < 10000);
	}
	assert_true(iterations > 40 * 1024 / 128 / 2);  /* 128 KiB slices */
	assert_string_equal(key(out, "digest"), want);
	assert_false(pattern_sha_pending());
}

static void test_source_app(void **state)
{
	(void)state;
	assert_ok(req(B, "listen web 80"));
	const char *r = req(A, "app gen start source 10.0.0.2:80 65536");
	assert_ok(r);
	assert_string_equal(key(r, "app"), "source");
	unsigned long w = submit(A, "wait gen done within 5s");
	r = await(A, w, NB_SEC(6));
	assert_ok(r);
	assert_string_equal(key(r, "status"), "done");
	assert_string_equal(key(r, "bytes"), "65536");
	assert_string_equal(key(r, "digest"), "");   /* a wait answers a moment: no digests */
	r = req(A, "obj gen");
	char dg[80];
	snprintf(dg, sizeof(dg), "%s", key(r, "digest"));
	assert_int_equal(strlen(dg), 64);
	assert_ok(await(B, submit(B, "wait web received 64KiB within 1s"), NB_SEC(2)));
	r = req(B, "obj web");
	assert_string_equal(key(r, "digest"), dg);
	assert_ok(req(A, "app gen stop"));
	r = req(A, "obj gen");
	assert_string_equal(key(r, "status"), "done");
	assert_string_equal(key(r, "digest"), dg);
	/* an app whose server is not there fails: a wait for done says never */
	assert_ok(req(A, "app bad start source 10.0.0.2:99 10"));
	r = await(A, submit(A, "wait bad done within 5s"), NB_SEC(6));
	assert_err(r, "never");
	assert_string_equal(key(r, "status"), "failed");
	assert_string_equal(key(r, "error"), "refused");
}

static void test_state_parse(void **state)
{
	(void)state;
	assert_ok(req(B, "listen web 80"));
	assert_ok(req(A, "connect c 10.0.0.2:80"));
	/* spellings: netstat, ss, lower case, dashes */
	assert_ok(await(A, submit(A, "wait c state estab within 1s"), NB_SEC(2)));
	assert_ok(req(A, "wait c state Established within 1s"));
	assert_ok(req(A, "close c"));
	assert_ok(await(A, submit(A, "wait c state time-wait within 1s"), NB_SEC(2)));
	const char *r = await(A, submit(A, "wait c state FIN_WAIT1 within 1ms"), NB_SEC(1));
	assert_err(r, "timeout");
	assert_string_equal(key(r, "want"), "FIN_WAIT_1");
}

/* A listener without an app: connections wait on its accept queue until
 * `accept`; with the queue full a SYN is dropped and the client's SYN
 * retransmission completes once an accept frees a slot. */
static void test_accept(void **state)
{
	(void)state;
	/* misuse */
	assert_err(req(B, "accept"), "usage: accept LISTENER NAME");
	assert_err(req(B, "accept nothing s"), "accept: no object named 'nothing'");
	assert_err(req(B, "listen q 80 backlog 2 app nothing"), "listen: app is sink, echo, http or none, not 'nothing'");
	const char *r = req(B, "listen q 80 backlog 2 app none");
	assert_ok(r);
	assert_string_equal(key(r, "app"), "none");
	assert_ok(req(B, "listen web 81"));
	assert_err(req(B, "accept web s"), "accept: 'web' has an app (sink) that accepts its connections itself");
	assert_err(req(B, "accept q s"),
		   "accept q: no connection is waiting on its accept queue (accept_q 0, syn_q 0, backlog 2)");
	assert_err(req(B, "obj s"), "no object named 's'");    /* nothing was made */
	r = req(B, "obj q");
	assert_string_equal(key(r, "kind"), "listener");
	assert_string_equal(key(r, "state"), "LISTEN");
	assert_string_equal(key(r, "app"), "none");
	assert_string_equal(key(r, "backlog"), "2");
	assert_string_equal(key(r, "accept_q"), "0");
	assert_string_equal(key(r, "syn_q"), "0");
	r = req(B, "obj web");                                  /* an app's listener shows its queues too */
	assert_string_equal(key(r, "backlog"), "16");
	assert_string_equal(key(r, "accept_q"), "0");

	/* two connections fill the queue; nothing accepts them */
	assert_ok(req(A, "connect c1 10.0.0.2:80"));
	assert_ok(req(A, "connect c2 10.0.0.2:80"));
	unsigned long w = submit(B, "wait q accept_q 2 within 1s");
	r = await(B, w, NB_SEC(2));
	assert_ok(r);
	assert_string_equal(key(r, "accept_q"), "2");
	assert_ok(req(A, "wait c2 state established within 1s"));
	assert_err(req(A, "accept c1 s"), "accept: 'c1' is a connection");

	/* a third SYN is dropped: SYN_SENT, retrying */
	assert_ok(req(A, "connect c3 10.0.0.2:80"));
	run_for(NB_MS(300));
	r = req(A, "obj c3");
	assert_string_equal(key(r, "state"), "SYN_SENT");
	r = req(B, "counter tcp.syn_dropped_backlog");
	assert_string_equal(key(r, "value"), "1");

	/* accept takes the oldest; the next SYN retransmission gets in */
	r = req(B, "accept q s1");
	assert_ok(r);
	assert_string_equal(key(r, "name"), "s1");
	assert_string_equal(key(r, "state"), "ESTABLISHED");
	assert_string_equal(key(r, "accept_q"), "1");
	assert_err(req(B, "accept q s1"), "name 's1' is taken");
	r = await(A, submit(A, "wait c3 state established within 3s"), NB_SEC(4));
	assert_ok(r);
	assert_ok(await(B, submit(B, "wait q accept_q 2 within 1s"), NB_SEC(2)));
	assert_ok(req(B, "accept q s2"));
	assert_ok(req(B, "accept q s3"));
	r = req(B, "obj q");
	assert_string_equal(key(r, "conns"), "3");
	assert_string_equal(key(r, "accept_q"), "0");

	/* an accepted connection carries data as any other */
	assert_ok(req(A, "send c3 1000 push"));
	assert_ok(req(B, "recv s3 1000"));
	assert_ok(await(B, submit(B, "wait s3 received 1000 within 1s"), NB_SEC(2)));
	run_for(NB_MS(5));
	char dc[80];
	snprintf(dc, sizeof(dc), "%s", key(req(A, "obj c3"), "digest_sent"));
	r = req(B, "obj s3");
	assert_string_equal(key(r, "kind"), "conn");
	assert_string_equal(key(r, "read"), "1000");
	assert_string_equal(key(r, "digest_received"), dc);
	assert_ok(req(A, "close c1"));
	assert_ok(await(B, submit(B, "wait s1 state close_wait within 1s"), NB_SEC(2)));

	/* closing the listener: it stops; a wait on its queue can never hold */
	r = req(B, "close q");
	assert_ok(r);
	assert_string_equal(key(r, "state"), "CLOSED");
	assert_err(req(B, "close q"), "close q: it is already closed");
	assert_err(req(B, "accept q s4"), "accept: 'q' is closed");
	assert_err(req(B, "wait q accept_q 1 within 1s"), "never");
	assert_err(req(B, "wait c1 accept_q 1 within 1s"), "no object named 'c1'");
	assert_err(req(A, "wait c1 accept_q 1 within 1s"), "wait: 'c1' is a connection");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transfer_digest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_never, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_and_recv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_udp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_obj_waits_for_digests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_app, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accept, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
