/* test_node_eth.c: Ethernet parsing, building and input filtering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_stack.h"

static void test_parse_build(void **st)
{
	(void)st;
	uint8_t f[64];
	uint8_t *p = eth_build(f, FAKE_PEER_MAC0, FAKE_MAC0, 0x0800);
	assert_ptr_equal(p, f + 14);
	static const uint8_t want[14] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00};
	assert_memory_equal(f, want, 14);
	struct eth_hdr h;
	assert_int_equal(eth_parse(f, 14, &h), 0);
	assert_ptr_equal(h.dst, f);
	assert_ptr_equal(h.src, f + 6);
	assert_int_equal(h.type, 0x0800);
	assert_ptr_equal(h.payload, f + 14);
	assert_int_equal(h.plen, 0);
	assert_int_equal(eth_parse(f, 13, &h), -EINVAL);
	assert_false(eth_hdr_ok(f, 0));
	assert_false(eth_hdr_ok(NULL, 14));
	assert_true(eth_hdr_ok(f, 14));
	assert_true(eth_is_broadcast(FAKE_BCAST_MAC));
	assert_true(eth_is_multicast((const uint8_t[6]){0x01, 0, 0x5e, 0, 0, 1}));
	assert_false(eth_is_multicast(FAKE_MAC0));
}

static void test_drops(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, 0);
	assert_non_null(fs);
	struct nb_stats *c = &fs->s.stats;
	uint8_t f[128];
	memset(f, 0, sizeof f);

	fake_input(fs, 0, f, 0);                  /* empty */
	fake_input(fs, 0, f, 13);                 /* one byte short */
	assert_int_equal(c->eth_rx_short, 2);

	fake_eth(f, FAKE_PEER_MAC0, FAKE_PEER_MAC0, ETH_TYPE_IP);   /* someone else's unicast */
	fake_input(fs, 0, f, 60);
	fake_eth(f, (const uint8_t[6]){0x01, 0, 0x5e, 0, 0, 1}, FAKE_PEER_MAC0, ETH_TYPE_IP);
	fake_input(fs, 0, f, 60);                 /* multicast */
	assert_int_equal(c->eth_rx_not_for_us, 2);

	fake_eth(f, FAKE_MAC0, (const uint8_t[6]){0x03, 0, 0, 0, 0, 1}, ETH_TYPE_IP);
	fake_input(fs, 0, f, 60);                 /* multicast source */
	fake_eth(f, FAKE_MAC0, (const uint8_t[6]){0}, ETH_TYPE_IP);
	fake_input(fs, 0, f, 60);                 /* zero source */
	assert_int_equal(c->eth_rx_bad_src, 2);

	const uint16_t unknown[] = {ETH_TYPE_IPV6, 0x88cc /* LLDP */, 0x0100 /* 802.3 length */, 0x88f7};
	for (size_t i = 0; i < NB_ARRAY_LEN(unknown); i++) {
		fake_eth(f, FAKE_MAC0, FAKE_PEER_MAC0, unknown[i]);
		fake_input(fs, 0, f, 60);
	}
	assert_int_equal(c->eth_rx_unknown_type, 4);

	fake_eth(f, FAKE_MAC0, FAKE_PEER_MAC0, ETH_TYPE_VLAN);
	fake_input(fs, 0, f, 60);
	fake_eth(f, FAKE_BCAST_MAC, FAKE_PEER_MAC0, ETH_TYPE_QINQ);
	fake_input(fs, 0, f, 60);
	assert_int_equal(c->eth_rx_vlan, 2);

	fake_input(fs, 5, f, 60);                 /* no such interface */
	fake_input(fs, -1, f, 60);
	assert_int_equal(c->eth_rx_iface_down, 2);
	stack_set_link(&fs->s, 0, false, fs->now);
	fake_eth(f, FAKE_MAC0, FAKE_PEER_MAC0, ETH_TYPE_IP);
	fake_input(fs, 0, f, 60);
	assert_int_equal(c->eth_rx_iface_down, 3);

	assert_int_equal(c->eth_rx_frames, 13);  /* all but the two bad ifidx */
	assert_int_equal(c->ip_rx + c->arp_rx, 0);
	assert_int_equal(fake_nframes(fs), 0);
	fake_stack_free(fs);
}

static void test_demux(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, 0);
	uint8_t f[128];
	size_t n = fake_arp_frame(f, FAKE_BCAST_MAC, ARP_OP_REQUEST, FAKE_PEER_MAC0, FAKE_PEER0,
				  (const uint8_t[6]){0}, FAKE_IP0);
	fake_input(fs, 0, f, n);
	assert_int_equal(fs->s.stats.arp_rx, 1);
	n = fake_peer_ip(f, 0, FAKE_PEER0, FAKE_IP0, 99, 64, "x", 1);
	fake_input(fs, 0, f, n);
	assert_int_equal(fs->s.stats.ip_rx, 1);
	assert_int_equal(fs->s.stats.eth_rx_bytes, 42 + n);
	fake_stack_free(fs);
}

static void test_output(void **st)
{
	(void)st;
	struct fake_stack *fs = fake_stack_new(1, 0);
	uint8_t buf[64];
	memcpy(buf + 14, "payload", 7);
	assert_int_equal(eth_output(&fs->s, 0, FAKE_PEER_MAC0, 0x1234, buf + 14, 7), 0);
	struct fake_frame *f = fake_pop(fs);
	assert_non_null(f);
	assert_int_equal(f->len, 21);
	assert_memory_equal(f->data, FAKE_PEER_MAC0, 6);
	assert_memory_equal(f->data + 6, FAKE_MAC0, 6);
	assert_int_equal(nb_get16(f->data + 12), 0x1234);
	assert_memory_equal(f->data + 14, "payload", 7);
	assert_int_equal(fs->s.stats.eth_tx_frames, 1);
	assert_int_equal(fs->s.stats.eth_tx_bytes, 21);
	assert_int_equal(eth_output(&fs->s, 3, FAKE_PEER_MAC0, 0x1234, buf + 14, 7), -EINVAL);
	stack_set_link(&fs->s, 0, false, fs->now);
	assert_int_equal(eth_output(&fs->s, 0, FAKE_PEER_MAC0, 0x1234, buf + 14, 7), -ENETDOWN);
	assert_int_equal(fs->s.stats.eth_tx_iface_down, 1);
	assert_int_equal(fake_nframes(fs), 0);
	fake_stack_free(fs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_build),
		cmocka_unit_test(test_drops),
		cmocka_unit_test(test_demux),
		cmocka_unit_test(test_output),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
