/* test_node_ping.c: the pinger: RTTs on the fake clock, timeouts, errors
 * (ARP, ICMP, no route), duplicates, concurrent pingers, stopping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "apps/ping.h"
#include "fake_stack.h"

#define IP FAKE_IP

struct rec {
	int dones, events;
	struct ping_result res;
	struct ping_reply ev[16];
	nb_time_t ev_t[16];
	struct fake_stack *fs;
	int stop_after;                 /* ping_stop from inside on_reply after this many */
	int id;
};

static void on_done(void *arg, const struct ping_result *r)
{
	struct rec *c = arg;
	c->dones++;
	c->res = *r;
}

static void on_reply(void *arg, const struct ping_reply *r)
{
	struct rec *c = arg;
	if (c->events < 16) {
		c->ev[c->events] = *r;
		c->ev_t[c->events] = c->fs->now;
	}
	c->events++;
	if (c->stop_after && c->events == c->stop_after)
		assert_int_equal(ping_stop(&c->fs->s, c->id), 0);
}

/* answer: the peer echoes the request in frame f back (optionally twice). */
static void answer(struct fake_stack *fs, const struct fake_frame *req, int times)
{
	size_t len;
	const uint8_t *ip = fake_ip(req, NULL), *icmp = fake_l4(req, IP_PROTO_ICMP, &len);
	assert_non_null(icmp);
	assert_int_equal(icmp[0], ICMP_ECHO);
	uint8_t f[1600], rep[1500];
	size_t il = fake_icmp(rep, ICMP_ECHOREPLY, 0, nb_get32(icmp + 4), icmp + 8, len - 8);
	size_t n = fake_peer_ip(f, 0, nb_get32(ip + 16), nb_get32(ip + 12), IP_PROTO_ICMP, 55, rep, il);
	for (int i = 0; i < times; i++)
		fake_input(fs, 0, f, n);
}

static void test_rtt(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, FAKE_STATIC_ARP);
	struct rec c = {.fs = fs};
	struct ping_opts o = {.dst = FAKE_PEER0, .count = 3, .interval = NB_SEC(1), .timeout = NB_SEC(2),
			      .size = 56, .on_reply = on_reply};
	nb_time_t t0 = fs->now;
	int id = ping_start(&fs->s, &o, on_done, &c);
	assert_true(id >= 0);
	const nb_time_t rtt[3] = {NB_MS(5), NB_MS(7), NB_US(3000)};
	for (int i = 0; i < 3; i++) {
		struct fake_frame *req = fake_pop(fs);
		assert_non_null(req);
		assert_int_equal(req->t, t0 + NB_SEC(i));
		size_t len;
		const uint8_t *icmp = fake_l4(req, IP_PROTO_ICMP, &len);
		assert_int_equal(len, 8 + 56);
		assert_int_equal(nb_get16(icmp + 4), id);
		assert_int_equal(nb_get16(icmp + 6), i + 1);   /* ping(8) starts at 1 */
		assert_int_equal(icmp[8], 0x10);
		fake_advance(fs, rtt[i]);
		answer(fs, req, i == 1 ? 2 : 1);                /* seq 2 comes back twice */
		assert_int_equal(c.ev[i].err, 0);
		assert_int_equal(c.ev[i].rtt_ns, rtt[i]);
		assert_int_equal(c.ev[i].seq, i + 1);
		assert_int_equal(c.ev[i].ttl, 55);
		assert_int_equal(c.ev[i].len, 56);
		assert_int_equal(c.ev[i].from, FAKE_PEER0);
		fake_advance(fs, NB_SEC(1) - rtt[i]);
	}
	assert_int_equal(c.dones, 1);                  /* ended with the last reply */
	assert_int_equal(c.events, 3);
	assert_int_equal(c.res.sent, 3);
	assert_int_equal(c.res.received, 3);
	assert_int_equal(c.res.errors, 0);
	assert_int_equal(c.res.lost, 0);
	assert_int_equal(c.res.duplicates, 1);
	assert_int_equal(c.res.rtt_min_ns, NB_MS(3));
	assert_int_equal(c.res.rtt_max_ns, NB_MS(7));
	assert_int_equal(c.res.rtt_avg_ns, NB_MS(5));
	assert_int_equal(c.res.rtt_sum_ns, NB_MS(15));
	assert_int_equal(c.res.id, id);
	assert_null(c.res.last_error);
	assert_int_equal(fake_nframes(fs), 0);
	assert_int_equal(stack_next_deadline(&fs->s), NB_TIME_NEVER);
	fake_stack_free(fs);
}

static void test_timeouts(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, FAKE_STATIC_ARP);
	struct rec c = {.fs = fs};
	struct ping_opts o = {.dst = FAKE_PEER0, .count = 2, .interval = NB_MS(200), .timeout = NB_SEC(1),
			      .size = 0, .on_reply = on_reply};
	nb_time_t t0 = fs->now;
	assert_true(ping_start(&fs->s, &o, on_done, &c) >= 0);
	fake_advance(fs, NB_SEC(1) + NB_MS(200) - 1);
	assert_int_equal(c.events, 1);
	assert_int_equal(c.ev[0].err, -ETIMEDOUT);
	assert_int_equal(c.ev_t[0], t0 + NB_SEC(1));
	assert_int_equal(c.dones, 0);
	/* A reply after its timeout is ignored. */
	answer(fs, fake_peek(fs, 0), 1);
	assert_int_equal(c.events, 1);
	fake_advance(fs, 1);
	assert_int_equal(c.events, 2);
	assert_int_equal(c.dones, 1);
	assert_int_equal(c.res.sent, 2);
	assert_int_equal(c.res.received, 0);
	assert_int_equal(c.res.lost, 2);
	assert_int_equal(c.res.rtt_min_ns, 0);
	assert_int_equal(c.res.rtt_avg_ns, 0);
	fake_stack_free(fs);
}

static void test_errors(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, 0);   /* no static ARP */
	struct rec c = {.fs = fs};
	struct ping_opts o = {.dst = FAKE_PEER0, .count = 1, .interval = NB_SEC(1), .timeout = NB_SEC(10),
			      .size = 8, .on_reply = on_reply};
	assert_true(ping_start(&fs->s, &o, on_done, &c) >= 0);
	fake_advance(fs, NB_SEC(3));                    /* ARP gives up */
	assert_int_equal(c.dones, 1);
	assert_int_equal(c.res.errors, 1);
	assert_int_equal(c.res.lost, 0);
	assert_int_equal(c.res.last_err, -EHOSTUNREACH);
	assert_string_equal(c.res.last_error, "host-unreachable");
	assert_int_equal(c.ev[0].from, FAKE_IP0);

	/* No route: reported (done may come before ping_start returns). */
	struct rec d = {.fs = fs};
	o.dst = IP(8, 8, 8, 8);
	o.count = 2;
	assert_true(ping_start(&fs->s, &o, on_done, &d) >= 0);
	assert_int_equal(d.res.errors, 0);
	fake_advance(fs, NB_SEC(1));
	assert_int_equal(d.dones, 1);
	assert_int_equal(d.res.sent, 2);
	assert_int_equal(d.res.errors, 2);
	assert_string_equal(d.res.last_error, "no-route");

	/* TTL exceeded from a router. */
	struct rec e = {.fs = fs};
	fake_clear(fs);
	assert_int_equal(arp_add_static(&fs->s, FAKE_PEER0, FAKE_PEER_MAC0), 0);
	assert_int_equal(route_add(&fs->s, 0, 0, FAKE_PEER0, -1), 0);
	o.dst = IP(192, 168, 1, 1);
	o.count = 1;
	o.ttl = 1;
	assert_true(ping_start(&fs->s, &o, on_done, &e) >= 0);
	struct fake_frame *req = fake_pop(fs);
	assert_int_equal(fake_ip(req, NULL)[8], 1);
	uint8_t icmp[128], f[200];
	size_t il = fake_icmp(icmp, ICMP_TIMXCEED, 0, 0, req->data + 14, 28);
	fake_input(fs, 0, f, fake_peer_ip(f, 0, FAKE_PEER0, FAKE_IP0, IP_PROTO_ICMP, 64, icmp, il));
	assert_int_equal(e.dones, 1);
	assert_string_equal(e.res.last_error, "ttl-exceeded");
	assert_int_equal(e.ev[0].from, FAKE_PEER0);
	assert_int_equal(e.ev[0].icmp_type, ICMP_TIMXCEED);
	fake_stack_free(fs);
}

static void test_concurrent_and_stop(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(2, FAKE_STATIC_ARP);
	struct rec a = {.fs = fs}, b = {.fs = fs};
	struct ping_opts o = {.dst = FAKE_PEER0, .count = 5, .interval = NB_SEC(1), .timeout = NB_SEC(1),
			      .size = 16, .on_reply = on_reply};
	int ida = ping_start(&fs->s, &o, on_done, &a);
	int idb = ping_start(&fs->s, &o, on_done, &b);
	assert_true(ida >= 0 && idb >= 0 && ida != idb);
	fake_advance(fs, NB_MS(1));
	answer(fs, fake_peek(fs, 1), 1);                /* b's request only */
	assert_int_equal(a.events, 0);
	assert_int_equal(b.events, 1);
	assert_int_equal(b.ev[0].rtt_ns, NB_MS(1));
	/* Stop a: done at once with what it has; b goes on. */
	assert_int_equal(ping_stop(&fs->s, ida), 0);
	assert_int_equal(ping_stop(&fs->s, ida), -ENOENT);
	assert_int_equal(a.dones, 1);
	assert_int_equal(a.res.sent, 1);
	assert_int_equal(a.res.lost, 1);
	fake_clear(fs);
	fake_advance(fs, NB_SEC(1));
	assert_int_equal(fake_nframes(fs), 1);
	/* Stop from inside the callback. */
	b.stop_after = 2;
	b.id = idb;
	answer(fs, fake_peek(fs, 0), 1);
	assert_int_equal(b.dones, 1);
	assert_int_equal(b.res.sent, 2);
	assert_int_equal(b.res.received, 2);
	fake_advance(fs, NB_SEC(10));
	assert_int_equal(fake_nframes(fs), 1);
	assert_int_equal(b.dones, 1);
	fake_stack_free(fs);
}

static void test_bad_options_and_teardown(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, FAKE_STATIC_ARP);
	struct rec c = {.fs = fs};
	struct ping_opts o = {.dst = FAKE_PEER0, .count = 0, .interval = NB_SEC(1), .timeout = NB_SEC(1)};
	assert_int_equal(ping_start(&fs->s, &o, on_done, &c), -EINVAL);
	o.count = 1;
	o.timeout = 0;
	assert_int_equal(ping_start(&fs->s, &o, on_done, &c), -EINVAL);
	o.timeout = NB_SEC(1);
	o.size = 65508;
	assert_int_equal(ping_start(&fs->s, &o, on_done, &c), -EINVAL);
	o.size = 65507;                                 /* the largest: fragmented */
	assert_true(ping_start(&fs->s, &o, on_done, &c) >= 0);
	assert_int_equal(fake_nframes(fs), 45);
	o.dst = 0;
	assert_int_equal(ping_start(&fs->s, &o, on_done, &c), -EINVAL);
	assert_int_equal(ping_stop(&fs->s, 70000), -ENOENT);
	/* The stack goes away with a pinger running: no leak, no call. */
	fake_stack_free(fs);
	assert_int_equal(c.dones, 0);
}

static void test_two_stacks(void **st)
{
	(void)st;
	struct fake_stack *a = fake_stack_new(1, 0), *b = fake_stack_new(1, FAKE_PEER_SIDE);
	struct rec c = {.fs = a};
	struct ping_opts o = {.dst = FAKE_PEER0, .count = 4, .interval = NB_MS(10), .timeout = NB_MS(100),
			      .size = 1000, .on_reply = on_reply};
	assert_true(ping_start(&a->s, &o, on_done, &c) >= 0);
	for (int i = 0; i < 50; i++) {
		fake_pump(a, b);
		fake_advance(a, NB_MS(1));
		fake_advance(b, NB_MS(1));
	}
	assert_int_equal(c.dones, 1);
	assert_int_equal(c.res.received, 4);
	assert_int_equal(b->s.stats.icmp_tx_echo_reply, 4);
	assert_int_equal(a->s.stats.arp_requests_sent, 1);   /* ARP once, then cached */
	fake_stack_free(a);
	fake_stack_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtt),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_concurrent_and_stop),
		cmocka_unit_test(test_bad_options_and_teardown),
		cmocka_unit_test(test_two_stacks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
