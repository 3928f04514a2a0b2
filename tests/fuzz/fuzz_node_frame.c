/* fuzz_node_frame.c: libFuzzer harness for the node's receive path.
 *
 * A router-shaped stack (eth0 10.0.0.1/24, eth1 10.0.1.1/24, forwarding on,
 * static ARP for both peers, a default route, a pinger running) is fed
 * frames cut from the input, with time moving between them, so ARP
 * resolution, reassembly queues, ICMP rate limits and timers all get
 * exercised. Each record:
 *
 *   +--------+--------+--------+--------+------------------------
 *   |control | time   |  length (BE)    | bytes ...
 *   +--------+--------+--------+--------+------------------------
 *   control bits 0-1  interface: 0, 1, 0, or 7 (no such interface)
 *           bit 2     prepend an Ethernet header (dst: bit 3 ? broadcast : our MAC;
 *                     type: bit 4 ? ARP : IPv4)
 *           bit 5     fix the IPv4 header checksum, if there is a header
 *           bit 6     fix the ICMP checksum, if the datagram is ICMP
 *           bit 7     NB_RX_CSUM_PARTIAL
 *   time    the clock advances time^2 ms (up to 65 s) first, timers running
 *
 * Invariants checked on every frame the stack sends: at least an Ethernet
 * header, never more than the interface MTU, and a valid IPv4 header on
 * every IPv4 frame. Everything must be freed at the end (LeakSanitizer).
 *
 *   make build/fuzz/fuzz_node_frame
 *   build/fuzz/fuzz_node_frame -max_total_time=60
 */
#include <stdlib.h>
#include <string.h>

#include "apps/ping.h"
#include "arp.h"
#include "cksum.h"
#include "eth.h"
#include "ip.h"
#include "route.h"
#include "stack.h"

static const uint8_t mac[2][6] = {{2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 1, 1}};
static const uint8_t peer_mac[2][6] = {{2, 0, 0, 0, 0, 2}, {2, 0, 0, 0, 1, 2}};
#define ADDR(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

struct fuzz_ctx { struct nb_stack *s; };

static void check_tx(void *ctx, int ifidx, const uint8_t *frame, size_t len)
{
	struct fuzz_ctx *c = ctx;
	if (ifidx < 0 || ifidx >= c->s->nifs || len < NB_ETH_HLEN)
		abort();
	if (len - NB_ETH_HLEN > c->s->ifs[ifidx].mtu)
		abort();
	if (nb_get16(frame + 12) == ETH_TYPE_IP && !ip_hdr_ok(frame + NB_ETH_HLEN, len - NB_ETH_HLEN))
		abort();
}

static const struct nb_stack_io io = {.tx = check_tx};

static void ping_done(void *arg, const struct ping_result *r) { (void)arg; (void)r; }

static void advance(struct nb_stack *s, nb_time_t *now, nb_time_t d)
{
	nb_time_t end = *now + d;
	nb_time_t next;
	while ((next = stack_next_deadline(s)) <= end) {
		if (next > *now)
			*now = next;
		stack_timers_run(s, *now);
	}
	*now = end;
}

static void fix_checksums(uint8_t *ip, size_t len, uint8_t control)
{
	if (len < 20 || ip[0] >> 4 != 4)
		return;
	size_t hlen = (size_t)(ip[0] & 15) * 4;
	if (hlen < 20 || hlen > len)
		return;
	if (control & 0x40 && ip[9] == 1) {
		size_t tot = nb_get16(ip + 2);
		if (tot > hlen + 4 && tot <= len && !(nb_get16(ip + 6) & 0x3fff)) {
			nb_put16(ip + hlen + 2, 0);
			nb_put16(ip + hlen + 2, cksum(ip + hlen, tot - hlen));
		}
	}
	if (control & 0x20) {
		nb_put16(ip + 10, 0);
		nb_put16(ip + 10, cksum(ip, hlen));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[NB_ETH_FRAME_MAX];
	struct nb_stack *s = malloc(sizeof(*s));
	struct fuzz_ctx ctx = {s};
	if (!s || stack_init(s, &io, &ctx, 1))
		abort();
	nb_time_t now = NB_SEC(100);
	s->now = now;
	if (stack_add_iface(s, "eth0", mac[0], ADDR(10, 0, 0, 1), 24, 1500) != 0 ||
	    stack_add_iface(s, "eth1", mac[1], ADDR(10, 0, 1, 1), 24, 1280) != 1 ||
	    arp_add_static(s, ADDR(10, 0, 0, 2), peer_mac[0]) ||
	    arp_add_static(s, ADDR(10, 0, 1, 2), peer_mac[1]) ||
	    route_add(s, 0, 0, ADDR(10, 0, 1, 2), -1) ||
	    route_add(s, ADDR(172, 16, 0, 0), 12, ADDR(10, 0, 0, 99), -1))
		abort();
	s->params.ip_forward = 1;
	s->params.ip_reass_max = 4;
	s->params.arp_queue = 4;
	s->params.arp_max_entries = 16;
	struct ping_opts po = {.dst = ADDR(10, 0, 0, 2), .count = 3, .interval = NB_SEC(1),
			       .timeout = NB_SEC(2), .size = 16};
	if (ping_start(s, &po, ping_done, NULL) < 0)
		abort();

	while (size >= 4) {
		uint8_t control = data[0], t = data[1];
		size_t len = nb_get16(data + 2);
		data += 4;
		size -= 4;
		if (len > size)
			len = size;
		advance(s, &now, NB_MS((nb_time_t)t * t));
		size_t off = 0;
		if (control & 0x04) {
			int ifx = control & 1;
			eth_build(frame, control & 0x08 ? eth_broadcast : mac[ifx], peer_mac[ifx],
				  control & 0x10 ? ETH_TYPE_ARP : ETH_TYPE_IP);
			off = NB_ETH_HLEN;
		}
		memcpy(frame + off, data, len);
		if (off)
			fix_checksums(frame + off, len, control);
		static const int ifmap[4] = {0, 1, 0, 7};
		stack_input(s, ifmap[control & 3], frame, off + len,
			    control & 0x80 ? NB_RX_CSUM_PARTIAL : 0, now);
		data += len;
		size -= len;
	}
	advance(s, &now, NB_SEC(700));           /* every timer fires: ARP, reassembly, ping */
	stack_free(s);
	free(s);
	return 0;
}
