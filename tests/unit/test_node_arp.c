/* test_node_arp.c: ARP replies, learning, resolution with retries and
 * queueing, give-up reports, expiry, static entries, malformed packets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_stack.h"
#include "route.h"

#define ZERO_MAC ((const uint8_t[6]){0})
#define OTHER_MAC ((const uint8_t[6]){0x02, 0, 0, 0, 0, 0x77})

/* send_raw: an IP datagram of n bytes of protocol 253 (experimental) to dst. */
static int send_raw(struct fake_stack *fs, uint32_t dst, size_t n, uint8_t fill)
{
	struct pbuf *pb = fs->s.scratch;
	pbuf_reset(pb);
	memset(pbuf_put(pb, n), fill, n);
	return ip_output(&fs->s, pb, 0, dst, 253, NULL);
}

struct dump { int n; struct arp_info e[8]; };

static void collect(void *arg, const struct arp_info *e)
{
	struct dump *d = arg;
	if (d->n < 8)
		d->e[d->n++] = *e;
}

/* dump_of: the cache as arp_foreach shows it. */
static struct dump dump_of(struct fake_stack *fs)
{
	struct dump d = {0};
	arp_foreach(&fs->s, collect, &d);
	return d;
}

static void inject_arp(struct fake_stack *fs, const uint8_t *eth_dst, uint16_t op, const uint8_t *sha,
		       uint32_t spa, const uint8_t *tha, uint32_t tpa)
{
	uint8_t f[64];
	size_t n = fake_arp_frame(f, eth_dst, op, sha, spa, tha, tpa);
	fake_input(fs, 0, f, n);
}

static void assert_arp(const struct fake_frame *f, const uint8_t *eth_dst, uint16_t op, const uint8_t *sha,
		       uint32_t spa, const uint8_t *tha, uint32_t tpa)
{
	const uint8_t *a = fake_arp(f);
	assert_non_null(a);
	assert_int_equal(f->len, 42);
	assert_memory_equal(f->data, eth_dst, 6);
	assert_memory_equal(f->data + 6, sha, 6);
	uint8_t want[28];
	arp_build(want, op, sha, spa, tha, tpa);
	assert_memory_equal(a, want, 28);
}

static void test_reply_to_request(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, 0);
	inject_arp(fs, FAKE_BCAST_MAC, ARP_OP_REQUEST, FAKE_PEER_MAC0, FAKE_PEER0, ZERO_MAC, FAKE_IP0);
	assert_int_equal(fake_nframes(fs), 1);
	assert_arp(fake_pop(fs), FAKE_PEER_MAC0, ARP_OP_REPLY, FAKE_MAC0, FAKE_IP0, FAKE_PEER_MAC0, FAKE_PEER0);
	uint8_t mac[6];
	assert_int_equal(arp_lookup(&fs->s, FAKE_PEER0, mac), 0);   /* learned: we are the target */
	assert_memory_equal(mac, FAKE_PEER_MAC0, 6);
	assert_int_equal(fs->s.stats.arp_requests_received, 1);
	assert_int_equal(fs->s.stats.arp_replies_sent, 1);

	/* A request for someone else: no answer, nothing learned. */
	inject_arp(fs, FAKE_BCAST_MAC, ARP_OP_REQUEST, OTHER_MAC, FAKE_IP(10, 0, 0, 7), ZERO_MAC,
		   FAKE_IP(10, 0, 0, 9));
	assert_int_equal(fake_nframes(fs), 0);
	assert_int_equal(arp_lookup(&fs->s, FAKE_IP(10, 0, 0, 7), mac), -ENOENT);

	/* RFC 5227 probe (sender 0) for our address: answered to its MAC, not learned. */
	inject_arp(fs, FAKE_BCAST_MAC, ARP_OP_REQUEST, OTHER_MAC, 0, ZERO_MAC, FAKE_IP0);
	assert_arp(fake_pop(fs), OTHER_MAC, ARP_OP_REPLY, FAKE_MAC0, FAKE_IP0, OTHER_MAC, 0);
	fake_stack_free(fs);
}

static void test_resolve_retries_give_up(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, 0);
	nb_time_t t0 = fs->now;
	assert_int_equal(send_raw(fs, FAKE_PEER0, 10, 1), 0);
	assert_int_equal(send_raw(fs, FAKE_PEER0, 10, 2), 0);
	assert_int_equal(fs->s.stats.arp_queued, 2);
	/* Exactly arp.retries (3) requests, arp.retry (1 s) apart. */
	fake_advance(fs, NB_SEC(3) - 1);
	assert_int_equal(fake_nframes(fs), 3);
	for (int i = 0; i < 3; i++) {
		struct fake_frame *f = fake_pop(fs);
		assert_arp(f, FAKE_BCAST_MAC, ARP_OP_REQUEST, FAKE_MAC0, FAKE_IP0, ZERO_MAC, FAKE_PEER0);
		assert_int_equal(f->t, t0 + NB_SEC(i));
	}
	assert_int_equal(fs->s.stats.arp_resolve_failed, 0);
	fake_advance(fs, 1);                      /* one retry after the last: give up */
	assert_int_equal(fs->s.stats.arp_resolve_failed, 1);
	assert_int_equal(fs->s.stats.arp_queue_dropped, 2);
	assert_int_equal(fake_nframes(fs), 0);
	uint8_t mac[6];
	assert_int_equal(arp_lookup(&fs->s, FAKE_PEER0, mac), -ENOENT);
	assert_int_equal(stack_next_deadline(&fs->s), NB_TIME_NEVER);
	/* A new packet starts over. */
	assert_int_equal(send_raw(fs, FAKE_PEER0, 10, 3), 0);
	assert_int_equal(fake_nframes(fs), 1);
	fake_stack_free(fs);
}

static void test_queue_flushed_on_reply(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, 0);
	for (uint8_t i = 1; i <= 3; i++)
		assert_int_equal(send_raw(fs, FAKE_PEER0, 100, i), 0);
	fake_pop(fs);                             /* the request */
	fake_advance(fs, NB_MS(500));
	inject_arp(fs, FAKE_MAC0, ARP_OP_REPLY, FAKE_PEER_MAC0, FAKE_PEER0, FAKE_MAC0, FAKE_IP0);
	assert_int_equal(fake_nframes(fs), 3);
	for (uint8_t i = 1; i <= 3; i++) {
		struct fake_frame *f = fake_pop(fs);
		size_t len;
		const uint8_t *p = fake_l4(f, 253, &len);
		assert_non_null(p);
		assert_memory_equal(f->data, FAKE_PEER_MAC0, 6);
		assert_memory_equal(f->data + 6, FAKE_MAC0, 6);
		assert_int_equal(len, 100);
		assert_int_equal(p[0], i);             /* in order */
	}
	/* Resolved: the next packet goes straight out; no more retries. */
	assert_int_equal(send_raw(fs, FAKE_PEER0, 10, 9), 0);
	assert_int_equal(fake_nframes(fs), 1);
	fake_advance(fs, NB_SEC(5));
	assert_int_equal(fake_nframes(fs), 1);
	assert_int_equal(fs->s.stats.arp_replies_received, 1);
	fake_stack_free(fs);
}

static void test_queue_bound(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, 0);
	fs->s.params.arp_queue = 2;
	assert_int_equal(send_raw(fs, FAKE_PEER0, 10, 1), 0);
	assert_int_equal(send_raw(fs, FAKE_PEER0, 10, 2), 0);
	assert_int_equal(send_raw(fs, FAKE_PEER0, 10, 3), -ENOBUFS);
	assert_int_equal(fs->s.stats.arp_queue_dropped, 1);
	assert_int_equal(fs->s.stats.arp_queued, 2);

	fs->s.params.arp_max_entries = 1;            /* table full: a second address */
	assert_int_equal(send_raw(fs, FAKE_IP(10, 0, 0, 3), 10, 1), -ENOBUFS);
	assert_int_equal(fs->s.stats.arp_table_full, 1);
	fake_stack_free(fs);
}

struct errlog {
	int calls, err;
	uint32_t from;
	uint8_t type, code;
	uint16_t seq;
};

static void log_error(void *arg, int err, uint32_t from, uint8_t type, uint8_t code, uint16_t seq)
{
	struct errlog *l = arg;
	l->calls++;
	l->err = err;
	l->from = from;
	l->type = type;
	l->code = code;
	l->seq = seq;
}

static void test_give_up_reports_local(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, 0);
	struct errlog log = {0};
	struct icmp_echo_handler h = {.error = log_error};
	uint16_t id;
	assert_int_equal(icmp_echo_register(&fs->s, &h, &log, &id), 0);
	assert_int_equal(icmp_echo_send(&fs->s, FAKE_PEER0, id, 7, (const uint8_t *)"abc", 3, 0), 0);
	fake_advance(fs, NB_SEC(3));
	assert_int_equal(log.calls, 1);
	assert_int_equal(log.err, -EHOSTUNREACH);
	assert_int_equal(log.seq, 7);
	assert_int_equal(log.from, FAKE_IP0);
	assert_int_equal(log.type, ICMP_UNREACH);
	assert_int_equal(log.code, ICMP_UNREACH_HOST);
	/* No ICMP error goes on the wire about our own packet. */
	assert_int_equal(fs->s.stats.icmp_tx_unreach, 0);
	fake_stack_free(fs);
}

static void test_give_up_reports_forwarded(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(2, FAKE_FORWARD);
	assert_int_equal(arp_add_static(&fs->s, FAKE_PEER0, FAKE_PEER_MAC0), 0);
	uint8_t f[128];
	uint32_t far = FAKE_IP(10, 0, 1, 5);
	size_t n = fake_peer_ip(f, 0, FAKE_PEER0, far, IP_PROTO_UDP, 64, "12345678", 8);
	fake_input(fs, 0, f, n);
	struct fake_frame *req = fake_pop(fs);
	assert_int_equal(req->ifidx, 1);
	assert_arp(req, FAKE_BCAST_MAC, ARP_OP_REQUEST, FAKE_MAC1, FAKE_IP1, ZERO_MAC, far);
	fake_advance(fs, NB_SEC(3));
	fake_pop(fs);
	fake_pop(fs);                             /* the two retries */
	struct fake_frame *e = fake_pop(fs);
	assert_non_null(e);
	assert_int_equal(e->ifidx, 0);
	size_t len, hlen;
	const uint8_t *ip = fake_ip(e, &hlen);
	const uint8_t *icmp = fake_l4(e, IP_PROTO_ICMP, &len);
	assert_non_null(icmp);
	assert_int_equal(nb_get32(ip + 12), FAKE_IP0);   /* from the interface towards the source */
	assert_int_equal(nb_get32(ip + 16), FAKE_PEER0);
	assert_int_equal(icmp[0], ICMP_UNREACH);
	assert_int_equal(icmp[1], ICMP_UNREACH_HOST);
	assert_int_equal(cksum(icmp, len), 0);
	assert_int_equal(len, 8 + 20 + 8);                /* the whole (small) datagram quoted */
	assert_int_equal(nb_get32(icmp + 8 + 16), far);
	assert_int_equal(icmp[8 + 8], 63);                 /* as forwarded */
	assert_memory_equal(icmp + 8 + 20, "12345678", 8);
	fake_stack_free(fs);
}

/* An entry not confirmed for arp.timeout turns stale but keeps working;
 * unused for another arp.timeout it goes. A confirmation restarts it. */
static void test_expiry_and_refresh(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, 0);
	uint8_t mac[6];
	inject_arp(fs, FAKE_BCAST_MAC, ARP_OP_REQUEST, FAKE_PEER_MAC0, FAKE_PEER0, ZERO_MAC, FAKE_IP0);
	fake_clear(fs);
	fake_advance(fs, NB_SEC(30));
	/* Confirmed again (a reply, say to someone else's request of ours): 60 s from now. */
	inject_arp(fs, FAKE_MAC0, ARP_OP_REPLY, FAKE_PEER_MAC0, FAKE_PEER0, FAKE_MAC0, FAKE_IP0);
	fake_advance(fs, NB_SEC(60) - 1);
	struct dump d = dump_of(fs);
	assert_int_equal(d.e[0].state, ARP_REACHABLE);
	fake_advance(fs, 1);
	d = dump_of(fs);
	assert_int_equal(d.e[0].state, ARP_STALE);
	assert_int_equal(arp_lookup(&fs->s, FAKE_PEER0, mac), 0);
	assert_int_equal(fake_nframes(fs), 0);             /* no traffic, no poll */
	fake_advance(fs, NB_SEC(60) - 1);
	assert_int_equal(arp_lookup(&fs->s, FAKE_PEER0, mac), 0);
	assert_int_equal(fs->s.stats.arp_entries_expired, 0);
	fake_advance(fs, 1);
	assert_int_equal(arp_lookup(&fs->s, FAKE_PEER0, mac), -ENOENT);
	assert_int_equal(fs->s.stats.arp_entries_expired, 1);
	fake_stack_free(fs);
}

/* Traffic through a stale entry is never held back: the packet leaves at
 * once to the cached MAC and a unicast request polls the neighbour
 * (RFC 1122 2.3.2.1); an answer makes the entry reachable again. A
 * neighbour that never answers loses its entry after arp.retries polls,
 * and only then does traffic wait on a broadcast resolution. */
static void test_stale_entry_polls_without_stalling(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, 0);
	inject_arp(fs, FAKE_BCAST_MAC, ARP_OP_REQUEST, FAKE_PEER_MAC0, FAKE_PEER0, ZERO_MAC, FAKE_IP0);
	fake_clear(fs);
	fake_advance(fs, NB_SEC(60));                     /* stale now */
	assert_int_equal(send_raw(fs, FAKE_PEER0, 10, 1), 0);
	assert_int_equal(fake_nframes(fs), 2);
	assert_arp(fake_pop(fs), FAKE_PEER_MAC0, ARP_OP_REQUEST, FAKE_MAC0, FAKE_IP0, ZERO_MAC, FAKE_PEER0);
	struct fake_frame *f = fake_pop(fs);
	assert_int_equal(fake_ethertype(f), ETH_TYPE_IP);
	assert_memory_equal(f->data, FAKE_PEER_MAC0, 6);
	assert_int_equal(fs->s.stats.arp_queued, 0);
	struct dump d = dump_of(fs);
	assert_int_equal(d.e[0].state, ARP_PROBE);
	/* the answer: reachable again for a full arp.timeout */
	inject_arp(fs, FAKE_MAC0, ARP_OP_REPLY, FAKE_PEER_MAC0, FAKE_PEER0, FAKE_MAC0, FAKE_IP0);
	d = dump_of(fs);
	assert_int_equal(d.e[0].state, ARP_REACHABLE);
	assert_int_equal(d.e[0].expires, fs->now + NB_SEC(60));

	/* stale again; this time the neighbour is gone */
	fake_advance(fs, NB_SEC(60));
	assert_int_equal(send_raw(fs, FAKE_PEER0, 10, 2), 0);
	fake_clear(fs);
	fake_advance(fs, NB_SEC(2));                      /* polls 2 and 3, one per arp.retry */
	assert_int_equal(fake_nframes(fs), 2);
	assert_int_equal(send_raw(fs, FAKE_PEER0, 10, 3), 0);   /* still sent at once */
	assert_int_equal(fake_nframes(fs), 3);
	assert_int_equal(fs->s.stats.arp_resolve_failed, 0);
	fake_advance(fs, NB_SEC(1));                      /* the third poll went unanswered */
	assert_int_equal(fs->s.stats.arp_resolve_failed, 1);
	uint8_t mac[6];
	assert_int_equal(arp_lookup(&fs->s, FAKE_PEER0, mac), -ENOENT);
	fake_clear(fs);
	assert_int_equal(send_raw(fs, FAKE_PEER0, 10, 4), 0);   /* now it waits: broadcast */
	assert_int_equal(fs->s.stats.arp_queued, 1);
	assert_arp(fake_pop(fs), FAKE_BCAST_MAC, ARP_OP_REQUEST, FAKE_MAC0, FAKE_IP0, ZERO_MAC, FAKE_PEER0);
	fake_stack_free(fs);
}

static void test_gratuitous_and_conflicts(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, 0);
	uint8_t mac[6];
	/* Gratuitous ARP for an address we do not know: not learned. */
	inject_arp(fs, FAKE_BCAST_MAC, ARP_OP_REQUEST, OTHER_MAC, FAKE_IP(10, 0, 0, 5), ZERO_MAC,
		   FAKE_IP(10, 0, 0, 5));
	assert_int_equal(arp_lookup(&fs->s, FAKE_IP(10, 0, 0, 5), mac), -ENOENT);
	/* ... for one we know: updated (the host moved to another NIC). */
	inject_arp(fs, FAKE_BCAST_MAC, ARP_OP_REQUEST, FAKE_PEER_MAC0, FAKE_PEER0, ZERO_MAC, FAKE_IP0);
	fake_clear(fs);
	inject_arp(fs, FAKE_BCAST_MAC, ARP_OP_REPLY, OTHER_MAC, FAKE_PEER0, FAKE_BCAST_MAC, FAKE_PEER0);
	assert_int_equal(arp_lookup(&fs->s, FAKE_PEER0, mac), 0);
	assert_memory_equal(mac, OTHER_MAC, 6);
	/* Someone claiming our address: ignored, counted, unanswered. */
	inject_arp(fs, FAKE_BCAST_MAC, ARP_OP_REQUEST, OTHER_MAC, FAKE_IP0, ZERO_MAC, FAKE_IP0);
	assert_int_equal(fs->s.stats.arp_conflicts, 1);
	assert_int_equal(fake_nframes(fs), 0);
	fake_stack_free(fs);
}

static void test_malformed(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, 0);
	struct nb_stats *c = &fs->s.stats;
	uint8_t f[64], g[64];
	size_t n = fake_arp_frame(f, FAKE_BCAST_MAC, ARP_OP_REQUEST, FAKE_PEER_MAC0, FAKE_PEER0, ZERO_MAC,
				  FAKE_IP0);
	fake_input(fs, 0, f, n - 1);              /* 27 bytes of ARP */
	assert_int_equal(c->arp_rx_malformed, 1);
	memcpy(g, f, n);
	g[14 + 1] = 6;                            /* hardware type 6 */
	fake_input(fs, 0, g, n);
	memcpy(g, f, n);
	g[14 + 2] = 0x86;                         /* protocol IPv6 */
	fake_input(fs, 0, g, n);
	memcpy(g, f, n);
	g[14 + 7] = 3;                            /* RARP request */
	fake_input(fs, 0, g, n);
	assert_int_equal(c->arp_rx_unsupported, 3);
	memcpy(g, f, n);
	g[14 + 4] = 8;                            /* hardware length 8 */
	fake_input(fs, 0, g, n);
	memcpy(g, f, n);
	g[14 + 5] = 16;                           /* protocol length 16 */
	fake_input(fs, 0, g, n);
	assert_int_equal(c->arp_rx_malformed, 3);
	/* Sender hardware multicast; sender protocol broadcast and loopback. */
	fake_eth(g, FAKE_BCAST_MAC, FAKE_PEER_MAC0, ETH_TYPE_ARP);
	arp_build(g + 14, ARP_OP_REQUEST, (const uint8_t[6]){1, 0, 0x5e, 0, 0, 1}, FAKE_PEER0, ZERO_MAC,
		  FAKE_IP0);
	fake_input(fs, 0, g, 42);
	inject_arp(fs, FAKE_BCAST_MAC, ARP_OP_REQUEST, FAKE_PEER_MAC0, 0xffffffff, ZERO_MAC, FAKE_IP0);
	inject_arp(fs, FAKE_BCAST_MAC, ARP_OP_REQUEST, FAKE_PEER_MAC0, FAKE_IP(127, 0, 0, 1), ZERO_MAC, FAKE_IP0);
	assert_int_equal(c->arp_rx_bad_addr, 3);
	assert_int_equal(fake_nframes(fs), 0);
	/* Trailing padding (60-byte frame) is fine. */
	n = fake_arp_frame(f, FAKE_BCAST_MAC, ARP_OP_REQUEST, FAKE_PEER_MAC0, FAKE_PEER0, ZERO_MAC, FAKE_IP0);
	memset(f + n, 0, 60 - n);
	fake_input(fs, 0, f, 60);
	assert_int_equal(fake_nframes(fs), 1);
	fake_stack_free(fs);
}

static void test_static_foreach_del_flush(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, 0);
	assert_int_equal(arp_add_static(&fs->s, FAKE_IP(10, 0, 0, 9), OTHER_MAC), 0);
	assert_int_equal(arp_add_static(&fs->s, FAKE_IP(10, 0, 0, 9), FAKE_BCAST_MAC), -EINVAL);
	assert_int_equal(arp_add_static(&fs->s, 0, OTHER_MAC), -EINVAL);
	/* A reply cannot overwrite a static entry; it never expires. */
	inject_arp(fs, FAKE_MAC0, ARP_OP_REPLY, FAKE_PEER_MAC0, FAKE_IP(10, 0, 0, 9), FAKE_MAC0, FAKE_IP0);
	inject_arp(fs, FAKE_BCAST_MAC, ARP_OP_REQUEST, FAKE_PEER_MAC0, FAKE_PEER0, ZERO_MAC, FAKE_IP0);
	fake_clear(fs);
	assert_int_equal(send_raw(fs, FAKE_IP(10, 0, 0, 3), 4, 0), 0);   /* pending */
	struct dump d = {0};
	arp_foreach(&fs->s, collect, &d);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.e[0].ip, FAKE_PEER0);
	assert_int_equal(d.e[0].state, ARP_REACHABLE);
	assert_int_equal(d.e[0].expires, fs->now + NB_SEC(60));
	assert_int_equal(d.e[1].ip, FAKE_IP(10, 0, 0, 3));
	assert_int_equal(d.e[1].state, ARP_INCOMPLETE);
	assert_int_equal(d.e[1].queued, 1);
	assert_int_equal(d.e[1].tries, 1);
	assert_int_equal(d.e[2].ip, FAKE_IP(10, 0, 0, 9));
	assert_int_equal(d.e[2].state, ARP_STATIC);
	assert_memory_equal(d.e[2].mac, OTHER_MAC, 6);
	assert_string_equal(arp_state_name(d.e[2].state), "static");
	/* Static for a pending address: queue flushed to the given MAC. */
	fake_clear(fs);
	assert_int_equal(arp_add_static(&fs->s, FAKE_IP(10, 0, 0, 3), FAKE_PEER_MAC0), 0);
	assert_int_equal(fake_nframes(fs), 1);
	assert_non_null(fake_l4(fake_peek(fs, 0), 253, NULL));
	fake_advance(fs, NB_SEC(3600));
	uint8_t mac[6];
	assert_int_equal(arp_lookup(&fs->s, FAKE_IP(10, 0, 0, 9), mac), 0);
	assert_int_equal(arp_lookup(&fs->s, FAKE_PEER0, mac), -ENOENT);
	assert_int_equal(arp_del(&fs->s, FAKE_IP(10, 0, 0, 9)), 0);
	assert_int_equal(arp_del(&fs->s, FAKE_IP(10, 0, 0, 9)), -ENOENT);
	/* Link down forgets learned and pending entries, keeps static ones. */
	inject_arp(fs, FAKE_BCAST_MAC, ARP_OP_REQUEST, FAKE_PEER_MAC0, FAKE_PEER0, ZERO_MAC, FAKE_IP0);
	assert_int_equal(send_raw(fs, FAKE_IP(10, 0, 0, 4), 4, 0), 0);
	stack_set_link(&fs->s, 0, false, fs->now);
	memset(&d, 0, sizeof d);
	arp_foreach(&fs->s, collect, &d);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.e[0].ip, FAKE_IP(10, 0, 0, 3));
	assert_int_equal(fs->s.stats.arp_queue_dropped, 1);
	fake_stack_free(fs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_to_request),
		cmocka_unit_test(test_resolve_retries_give_up),
		cmocka_unit_test(test_queue_flushed_on_reply),
		cmocka_unit_test(test_queue_bound),
		cmocka_unit_test(test_give_up_reports_local),
		cmocka_unit_test(test_give_up_reports_forwarded),
		cmocka_unit_test(test_expiry_and_refresh),
		cmocka_unit_test(test_stale_entry_polls_without_stalling),
		cmocka_unit_test(test_gratuitous_and_conflicts),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_static_foreach_del_flush),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
