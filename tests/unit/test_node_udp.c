/* test_node_udp.c: UDP over two stacks wired back to back (wire.h), and
 * udp_input fed crafted datagrams directly for the validators. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "cksum.h"
#include "sock.h"
#include "udp.h"
#include "wire.h"

#define A_ADDR "10.0.0.1"
#define B_ADDR "10.0.0.2"

static int setup(void **state)
{
	*state = wire_pair_new(7, 0);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	struct wire_pair *l = *state;
	wire_pair_free(l);
	return 0;
}

struct evlog {
	unsigned events;
	int calls;
};

static void log_watch(struct nb_stack *s, int fd, unsigned ev, void *arg)
{
	struct evlog *e = arg;
	e->events |= ev;
	e->calls++;
}

static void test_sendto_recvfrom(void **state)
{
	struct wire_pair *l = *state;
	int sa = nb_socket(l->a, NB_SOCK_DGRAM, "srv");
	int sb = nb_socket(l->b, NB_SOCK_DGRAM, "cli");
	assert_true(sa >= 3 && sb >= 3);
	assert_int_equal(nb_bind(l->a, sa, 0, 5000), 0);
	struct evlog ev = {0};
	assert_int_equal(nb_sock_watch(l->a, sa, NB_EV_READ, log_watch, &ev), 0);
	wire_run_idle(&l->w, NB_SEC(1));
	assert_int_equal(ev.calls, 0);      /* nothing to read yet: no call */

	assert_int_equal(nb_sendto(l->b, sb, "hello", 5, l->aaddr, 5000), 5);
	wire_run_idle(&l->w, NB_SEC(1));
	assert_true(ev.events & NB_EV_READ);
	assert_true(nb_sock_poll(l->a, sa) & NB_EV_READ);

	char buf[64];
	uint32_t from;
	uint16_t port, bport;
	assert_int_equal(nb_recvfrom(l->a, sa, buf, sizeof(buf), &from, &port), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(from, l->baddr);
	assert_int_equal(nb_getsockname(l->b, sb, NULL, &bport), 0);
	assert_int_equal(port, bport);
	assert_int_equal(nb_recvfrom(l->a, sa, buf, sizeof(buf), &from, &port), -EAGAIN);
	assert_false(nb_sock_poll(l->a, sa) & NB_EV_READ);

	/* reply, and a zero-length datagram */
	assert_int_equal(nb_sendto(l->a, sa, "world!", 6, from, port), 6);
	assert_int_equal(nb_sendto(l->a, sa, "", 0, from, port), 0);
	wire_run_idle(&l->w, NB_SEC(1));
	assert_int_equal(nb_recvfrom(l->b, sb, buf, sizeof(buf), &from, &port), 6);
	assert_memory_equal(buf, "world!", 6);
	assert_int_equal(from, l->aaddr);
	assert_int_equal(port, 5000);
	assert_int_equal(nb_recv(l->b, sb, buf, sizeof(buf), 0), 0);
	assert_int_equal(nb_recv(l->b, sb, buf, sizeof(buf), 0), -EAGAIN);
	assert_int_equal(l->a->stats.udp_rx, 1);
	assert_int_equal(l->b->stats.udp_rx, 2);
	assert_int_equal(l->b->stats.udp_tx, 1);

	/* a datagram longer than the buffer is truncated and the rest dropped */
	char big[100];
	memset(big, 'x', sizeof(big));
	assert_int_equal(nb_sendto(l->b, sb, big, sizeof(big), l->aaddr, 5000), 100);
	assert_int_equal(nb_sendto(l->b, sb, "y", 1, l->aaddr, 5000), 1);
	wire_run_idle(&l->w, NB_SEC(1));
	assert_int_equal(nb_recv(l->a, sa, buf, 10, 0), 10);
	assert_int_equal(nb_recv(l->a, sa, buf, sizeof(buf), 0), 1);
	assert_int_equal(buf[0], 'y');
	nb_close(l->a, sa);
	nb_close(l->b, sb);
}

static void test_bind_rules(void **state)
{
	struct wire_pair *l = *state;
	int s1 = nb_socket(l->a, NB_SOCK_DGRAM, "x");
	int s2 = nb_socket(l->a, NB_SOCK_DGRAM, "x");
	int s3 = nb_socket(l->a, NB_SOCK_DGRAM, "x");
	assert_int_equal(nb_bind(l->a, s1, l->aaddr, 7), 0);
	assert_int_equal(nb_bind(l->a, s1, 0, 8), -EINVAL);          /* already bound */
	assert_int_equal(nb_bind(l->a, s2, l->aaddr, 7), -EADDRINUSE);
	assert_int_equal(nb_bind(l->a, s2, 0, 7), -EADDRINUSE);      /* wildcard overlaps */
	assert_int_equal(nb_bind(l->a, s2, l->baddr, 9), -EADDRNOTAVAIL);
	assert_int_equal(nb_bind(l->a, s2, 0, 9), 0);
	/* both with SO_REUSEADDR may share */
	assert_int_equal(nb_setsockopt(l->a, s3, NB_SO_REUSEADDR, 1), 0);
	assert_int_equal(nb_bind(l->a, s3, 0, 9), -EADDRINUSE);      /* s2 did not ask */
	nb_close(l->a, s2);
	assert_int_equal(nb_bind(l->a, s3, 0, 9), 0);
	int s4 = nb_socket(l->a, NB_SOCK_DGRAM, "x");
	assert_int_equal(nb_setsockopt(l->a, s4, NB_SO_REUSEADDR, 1), 0);
	assert_int_equal(nb_bind(l->a, s4, 0, 9), 0);
	/* closing frees the port */
	nb_close(l->a, s1);
	int s5 = nb_socket(l->a, NB_SOCK_DGRAM, "x");
	assert_int_equal(nb_bind(l->a, s5, l->aaddr, 7), 0);
	nb_close(l->a, s3);
	nb_close(l->a, s4);
	nb_close(l->a, s5);
}

static uint16_t ephemeral_of_fresh_lab(uint64_t seed)
{
	struct wire w;
	wire_init(&w, seed);
	struct nb_stack *a = wire_add_stack(&w);
	struct nb_stack *b = wire_add_stack(&w);
	wire_link(&w, a, A_ADDR, b, B_ADDR, 24, 1500);
	int fd = nb_socket(a, NB_SOCK_DGRAM, "x");
	uint32_t dst;
	nb_ip4_parse(B_ADDR, &dst);
	assert_int_equal(nb_sendto(a, fd, "x", 1, dst, 9), 1);
	uint16_t port;
	nb_getsockname(a, fd, NULL, &port);
	wire_free(&w);
	return port;
}

static void test_ephemeral(void **state)
{
	struct wire_pair *l = *state;
	int s1 = nb_socket(l->a, NB_SOCK_DGRAM, "x");
	int s2 = nb_socket(l->a, NB_SOCK_DGRAM, "x");
	uint32_t addr;
	uint16_t p1, p2;
	assert_int_equal(nb_getsockname(l->a, s1, &addr, &p1), 0);
	assert_int_equal(p1, 0);                                    /* not bound yet */
	assert_int_equal(nb_sendto(l->a, s1, "x", 1, l->baddr, 9), 1);
	assert_int_equal(nb_bind(l->a, s2, 0, 0), 0);
	nb_getsockname(l->a, s1, &addr, &p1);
	nb_getsockname(l->a, s2, &addr, &p2);
	assert_true(p1 >= UDP_EPHEMERAL_LO);
	assert_true(p2 >= UDP_EPHEMERAL_LO);
	assert_int_not_equal(p1, p2);
	assert_int_equal(addr, 0);                                  /* wildcard */
	/* connect binds and picks the source address */
	int s3 = nb_socket(l->a, NB_SOCK_DGRAM, "x");
	assert_int_equal(nb_connect(l->a, s3, l->baddr, 9), 0);
	uint16_t p3;
	nb_getsockname(l->a, s3, &addr, &p3);
	assert_int_equal(addr, l->aaddr);
	assert_true(p3 >= UDP_EPHEMERAL_LO && p3 != p1 && p3 != p2);
	/* replayable: the same seed gives the same port, another seed (very
	 * likely) another one */
	uint16_t x = ephemeral_of_fresh_lab(99), y = ephemeral_of_fresh_lab(99);
	assert_int_equal(x, y);
	int differ = 0;
	for (uint64_t seed = 100; seed < 104; seed++)
		differ += ephemeral_of_fresh_lab(seed) != x;
	assert_true(differ > 0);
	nb_close(l->a, s1);
	nb_close(l->a, s2);
	nb_close(l->a, s3);
}

static void test_port_unreachable(void **state)
{
	struct wire_pair *l = *state;
	/* connected socket: the ICMP error comes back as ECONNREFUSED */
	int c = nb_socket(l->b, NB_SOCK_DGRAM, "cli");
	assert_int_equal(nb_connect(l->b, c, l->aaddr, 9999), 0);
	struct evlog ev = {0};
	nb_sock_watch(l->b, c, NB_EV_READ | NB_EV_ERROR, log_watch, &ev);
	assert_int_equal(nb_send(l->b, c, "ping", 4, 0), 4);
	wire_run_idle(&l->w, NB_SEC(1));
	assert_int_equal(l->a->stats.udp_no_port, 1);
	assert_int_equal(l->a->stats.icmp_tx_unreach, 1);
	assert_true(ev.events & NB_EV_ERROR);
	assert_int_equal(nb_recv(l->b, c, NULL, 0, 0), -ECONNREFUSED);
	assert_int_equal(nb_recv(l->b, c, NULL, 0, 0), -EAGAIN);   /* reported once */
	assert_int_equal(nb_send(l->b, c, "ping", 4, 0), 4);
	wire_run_idle(&l->w, NB_SEC(1));
	assert_int_equal(nb_send(l->b, c, "ping", 4, 0), -ECONNREFUSED);
	assert_int_equal(nb_sock_error(l->b, c), 0);

	/* an unconnected socket is not told (as Linux without IP_RECVERR) */
	int u = nb_socket(l->b, NB_SOCK_DGRAM, "cli");
	assert_int_equal(nb_sendto(l->b, u, "x", 1, l->aaddr, 9998), 1);
	wire_run_idle(&l->w, NB_SEC(1));
	assert_int_equal(nb_sock_error(l->b, u), 0);
	assert_int_equal(nb_recv(l->b, u, NULL, 0, 0), -EAGAIN);
	nb_close(l->b, c);
	nb_close(l->b, u);
}

static void test_connected_filter(void **state)
{
	struct wire_pair *l = *state;
	int a = nb_socket(l->a, NB_SOCK_DGRAM, "a");
	assert_int_equal(nb_bind(l->a, a, 0, 6000), 0);
	assert_int_equal(nb_connect(l->a, a, l->baddr, 7000), 0);
	uint32_t pa;
	uint16_t pp;
	assert_int_equal(nb_getpeername(l->a, a, &pa, &pp), 0);
	assert_int_equal(pp, 7000);
	int b1 = nb_socket(l->b, NB_SOCK_DGRAM, "b"), b2 = nb_socket(l->b, NB_SOCK_DGRAM, "b");
	nb_bind(l->b, b1, 0, 7000);
	nb_bind(l->b, b2, 0, 7001);
	assert_int_equal(nb_sendto(l->b, b2, "no", 2, l->aaddr, 6000), 2);
	assert_int_equal(nb_sendto(l->b, b1, "yes", 3, l->aaddr, 6000), 3);
	wire_run_idle(&l->w, NB_SEC(1));
	char buf[8];
	assert_int_equal(nb_recv(l->a, a, buf, sizeof(buf), 0), 3);
	assert_memory_equal(buf, "yes", 3);
	assert_int_equal(nb_recv(l->a, a, buf, sizeof(buf), 0), -EAGAIN);
	assert_int_equal(l->a->stats.udp_no_port, 1);
	/* dissolve the association: any sender again */
	assert_int_equal(nb_connect(l->a, a, 0, 0), 0);
	assert_int_equal(nb_getpeername(l->a, a, &pa, &pp), -ENOTCONN);
	assert_int_equal(nb_send(l->a, a, "x", 1, 0), -EDESTADDRREQ);
	nb_close(l->a, a);
	nb_close(l->b, b1);
	nb_close(l->b, b2);
}

static void test_rcvbuf_and_sizes(void **state)
{
	struct wire_pair *l = *state;
	int a = nb_socket(l->a, NB_SOCK_DGRAM, "a");
	int b = nb_socket(l->b, NB_SOCK_DGRAM, "b");
	nb_bind(l->a, a, 0, 5353);
	assert_int_equal(nb_setsockopt(l->a, a, NB_SO_RCVBUF, 1024), 0);
	char d[400] = {0};
	for (int i = 0; i < 5; i++)
		assert_int_equal(nb_sendto(l->b, b, d, sizeof(d), l->aaddr, 5353), 400);
	wire_run_idle(&l->w, NB_SEC(1));
	assert_int_equal(l->a->stats.udp_rcvbuf_dropped, 3);
	char buf[500];
	assert_int_equal(nb_recv(l->a, a, buf, sizeof(buf), 0), 400);
	assert_int_equal(nb_recv(l->a, a, buf, sizeof(buf), 0), 400);
	assert_int_equal(nb_recv(l->a, a, buf, sizeof(buf), 0), -EAGAIN);

	/* too big for one datagram */
	static uint8_t huge[UDP_PAYLOAD_MAX + 1];
	assert_int_equal(nb_sendto(l->b, b, huge, sizeof(huge), l->aaddr, 5353), -EMSGSIZE);
	/* larger than the MTU: IP fragments and reassembles it */
	assert_int_equal(nb_setsockopt(l->a, a, NB_SO_RCVBUF, 65536), 0);
	static uint8_t big[8000], got[8000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 13 + 1);
	assert_int_equal(nb_sendto(l->b, b, big, sizeof(big), l->aaddr, 5353), (ssize_t)sizeof(big));
	wire_run_idle(&l->w, NB_SEC(1));
	assert_int_equal(nb_recv(l->a, a, got, sizeof(got), 0), (ssize_t)sizeof(big));
	assert_memory_equal(got, big, sizeof(big));
	/* no route */
	uint32_t far;
	nb_ip4_parse("192.0.2.1", &far);
	assert_int_equal(nb_sendto(l->b, b, "x", 1, far, 53), -ENETUNREACH);
	assert_int_equal(nb_sendto(l->b, b, "x", 1, l->aaddr, 0), -EINVAL);
	nb_close(l->a, a);
	nb_close(l->b, b);
}

/* build_udp: a datagram from A to B:port with a correct checksum. */
static size_t build_udp(uint8_t *p, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
			const char *payload)
{
	size_t n = strlen(payload);
	nb_put16(p, sport);
	nb_put16(p + 2, dport);
	nb_put16(p + 4, (uint16_t)(UDP_HLEN + n));
	nb_put16(p + 6, 0);
	memcpy(p + UDP_HLEN, payload, n);
	uint16_t ulen = (uint16_t)(UDP_HLEN + n);
	uint16_t sum = cksum_fold(cksum_partial(p, ulen, cksum_pseudo(src, dst, IP_PROTO_UDP, ulen)));
	nb_put16(p + 6, sum ? sum : 0xffff);
	return ulen;
}

static void test_validation(void **state)
{
	struct wire_pair *l = *state;
	struct nb_stack *s = l->b;
	int fd = nb_socket(s, NB_SOCK_DGRAM, "v");
	nb_bind(s, fd, 0, 4000);
	struct ip_meta ip = {.src = l->aaddr, .dst = l->baddr, .proto = IP_PROTO_UDP, .ttl = 64, .ifidx = 0};
	uint8_t p[64];
	char buf[64];
	wire_sync(&l->w);

	size_t n = build_udp(p, ip.src, ip.dst, 1234, 4000, "good");
	udp_input(s, &ip, p, n);
	assert_int_equal(nb_recv(s, fd, buf, sizeof(buf), 0), 4);

	udp_input(s, &ip, p, 7);                                /* shorter than a header */
	assert_int_equal(s->stats.udp_rx_short, 1);

	nb_put16(p + 4, (uint16_t)(n + 1));                     /* length past the data */
	udp_input(s, &ip, p, n);
	nb_put16(p + 4, 7);                                     /* length under 8 */
	udp_input(s, &ip, p, n);
	assert_int_equal(s->stats.udp_rx_bad_len, 2);

	n = build_udp(p, ip.src, ip.dst, 1234, 4000, "good");
	p[8] ^= 0x20;                                           /* corrupted payload */
	udp_input(s, &ip, p, n);
	assert_int_equal(s->stats.udp_rx_bad_cksum, 1);
	assert_int_equal(nb_recv(s, fd, buf, sizeof(buf), 0), -EAGAIN);

	ip.rx_flags = NB_RX_CSUM_PARTIAL;                       /* kernel peer: not verified */
	udp_input(s, &ip, p, n);
	ip.rx_flags = 0;
	assert_int_equal(nb_recv(s, fd, buf, sizeof(buf), 0), 4);
	assert_memory_equal(buf, "Good", 4);

	nb_put16(p + 6, 0);                                     /* checksum 0: none */
	udp_input(s, &ip, p, n);
	assert_int_equal(nb_recv(s, fd, buf, sizeof(buf), 0), 4);

	n = build_udp(p, ip.src, ip.dst, 1234, 4000, "pad");
	memset(p + n, 0xee, 6);                                 /* link-layer padding */
	udp_input(s, &ip, p, n + 6);
	assert_int_equal(nb_recv(s, fd, buf, sizeof(buf), 0), 3);
	assert_int_equal(s->stats.udp_rx_bad_cksum, 1);

	/* a port nobody holds, sent to a broadcast: counted, no ICMP */
	uint64_t unreach = s->stats.icmp_tx_unreach;
	ip.dst = 0xffffffff;
	n = build_udp(p, ip.src, ip.dst, 1234, 4001, "b");
	udp_input(s, &ip, p, n);
	assert_int_equal(s->stats.icmp_tx_unreach, unreach);
	assert_true(s->stats.udp_no_port >= 1);
	nb_close(s, fd);
}

/* corrupt: flips a payload byte of every UDP datagram on the wire. */
static bool corrupt(void *arg, int link, int dir, uint8_t *frame, size_t *len)
{
	int *count = arg;
	if (*len > 14 + 20 + 8 && nb_get16(frame + 12) == 0x0800 && frame[14 + 9] == IP_PROTO_UDP) {
		size_t ihl = (size_t)(frame[14] & 15) * 4;
		frame[14 + ihl + 8] ^= 0xff;
		(*count)++;
	}
	return true;
}

static void test_bad_cksum_on_wire(void **state)
{
	struct wire_pair *l = *state;
	int a = nb_socket(l->a, NB_SOCK_DGRAM, "a");
	int b = nb_socket(l->b, NB_SOCK_DGRAM, "b");
	nb_bind(l->a, a, 0, 5000);
	int count = 0;
	wire_set_filter(&l->w, corrupt, &count);
	assert_int_equal(nb_sendto(l->b, b, "data", 4, l->aaddr, 5000), 4);
	wire_run_idle(&l->w, NB_SEC(1));
	wire_set_filter(&l->w, NULL, NULL);
	assert_int_equal(count, 1);
	assert_int_equal(l->a->stats.udp_rx_bad_cksum, 1);
	assert_int_equal(nb_recv(l->a, a, NULL, 0, 0), -EAGAIN);
	nb_close(l->a, a);
	nb_close(l->b, b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sendto_recvfrom, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ephemeral, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_unreachable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connected_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rcvbuf_and_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_cksum_on_wire, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
