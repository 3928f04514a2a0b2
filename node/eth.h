/* eth.h: Ethernet II framing (IEEE 802.3 with an EtherType, RFC 894).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Destination MAC address                    |
 *   +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                               |                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *   |                      Source MAC address                       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           EtherType           |  payload (46..MTU bytes) ...
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The frames the node sees come from AF_PACKET: no preamble, no FCS, and no
 * minimum length (a veth passes 42-byte ARP frames as they are), so the only
 * length rule on input is "the 14-byte header is there". Frames are not
 * padded to 60 bytes on output either; upper layers trim by their own length
 * fields, so padding added on the way is harmless.
 *
 * Accepted on input: destination = our MAC or broadcast, EtherType IPv4 or
 * ARP. Everything else (other unicast, multicast, IPv6, LLDP, 802.1Q tags,
 * 802.3 length frames) is dropped and counted under NB_STATS_ETH.
 */
#ifndef NB_ETH_H
#define NB_ETH_H

#include "stack.h"

#define ETH_ALEN 6
#define ETH_TYPE_IP 0x0800
#define ETH_TYPE_ARP 0x0806
#define ETH_TYPE_VLAN 0x8100    /* 802.1Q */
#define ETH_TYPE_QINQ 0x88a8    /* 802.1ad */
#define ETH_TYPE_VLAN_OLD 0x9100
#define ETH_TYPE_IPV6 0x86dd
#define ETH_TYPE_MIN 0x0600     /* below: an 802.3 length field, not a type */

/* Internal receive flag set by eth_input (beside NB_RX_* of stack.h): the
 * frame was addressed to the broadcast MAC. IP must neither forward such a
 * datagram nor answer it with an ICMP error (RFC 1122 3.3.6, 3.2.2). */
#define NB_RX_L2_BCAST 0x100

extern const uint8_t eth_broadcast[ETH_ALEN];

/* A parsed header: pointers into the frame, valid while the frame is. */
struct eth_hdr {
	const uint8_t *dst, *src;
	uint16_t type;
	const uint8_t *payload;
	size_t plen;
};

static inline bool eth_is_broadcast(const uint8_t m[6])
{
	return (m[0] & m[1] & m[2] & m[3] & m[4] & m[5]) == 0xff;
}
/* eth_is_multicast: the group bit (broadcast included). */
static inline bool eth_is_multicast(const uint8_t m[6]) { return m[0] & 1; }
static inline bool eth_is_zero(const uint8_t m[6]) { return !(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]); }

/* eth_hdr_ok: true if frame[0..len) holds a whole Ethernet II header. */
bool eth_hdr_ok(const uint8_t *frame, size_t len);
/* eth_parse: fills h from a frame; -EINVAL (and h untouched) if too short. */
int eth_parse(const uint8_t *frame, size_t len, struct eth_hdr *h);
/* eth_build: writes a 14-byte header at p; returns p + 14. */
uint8_t *eth_build(uint8_t *p, const uint8_t dst[6], const uint8_t src[6], uint16_t type);

/* eth_input: one received frame from ifidx; demultiplexes to ARP and IP. */
void eth_input(struct nb_stack *s, int ifidx, const uint8_t *frame, size_t len, unsigned flags);

/* eth_output: sends the packet pkt[0..len) of `type` to dst through ifidx.
 * The NB_ETH_HLEN bytes before pkt must be writable: the header goes there
 * (pbufs and ARP's queue keep that headroom). Returns 0, -ENETDOWN (link
 * down) or -EINVAL (no such interface, oversized frame). */
int eth_output(struct nb_stack *s, int ifidx, const uint8_t dst[6], uint16_t type,
	       uint8_t *pkt, size_t len);
/* eth_tx_frame: hands a complete frame to io->tx, counting it. Same returns. */
int eth_tx_frame(struct nb_stack *s, int ifidx, const uint8_t *frame, size_t len);

#endif
