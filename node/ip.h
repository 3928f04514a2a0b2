/* ip.h: IPv4 (RFC 791) input, output, forwarding and fragments.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version|  IHL  |Type of Service|          Total Length         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Identification        |Flags|      Fragment Offset    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Time to Live |    Protocol   |         Header Checksum       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       Source Address                          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Destination Address                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Options                    |    Padding    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Transports call ip_output() with their segment in a pbuf; ip_input()
 * validates (ip_hdr_ok) before any field is trusted, reassembles, and hands
 * the payload up with an ip_meta. Errors travel back up through the
 * *_ctlinput() hooks (ICMP unreachable, ARP resolution failure).
 */
#ifndef NB_IP_H
#define NB_IP_H

#include "stack.h"

#define IP_HLEN_MIN 20
#define IP_PROTO_ICMP 1
#define IP_PROTO_TCP 6
#define IP_PROTO_UDP 17
#define IP_FLAG_DF 0x4000
#define IP_FLAG_MF 0x2000
#define IP_OFFMASK 0x1fff

/* What ip_input tells the layer above about one datagram. */
struct ip_meta {
	uint32_t src, dst;      /* host order */
	uint8_t proto, tos, ttl;
	uint16_t id;
	bool df;
	int ifidx;              /* interface it arrived on */
	unsigned rx_flags;      /* NB_RX_* from stack_input */
	const uint8_t *hdr;     /* the IP header as received (for ICMP errors) */
	size_t hlen;
};

struct ip_tx_opts {
	uint8_t ttl;            /* 0 = params.ip_ttl */
	uint8_t tos;
	bool df;                /* set Don't Fragment (TCP sets it for PMTUD) */
};

/* ip_hdr_ok: true if pkt[0..len) holds a well-formed IPv4 header whose
 * version, IHL, total length and checksum are valid. Reads nothing else. */
bool ip_hdr_ok(const uint8_t *pkt, size_t len);

/* ip_input: one IPv4 packet (Ethernet payload) from interface ifidx. */
void ip_input(struct nb_stack *s, int ifidx, const uint8_t *pkt, size_t len, unsigned rx_flags);

/* ip_output: prepends an IPv4 header to the transport payload in pb and
 * sends it towards dst (fragmenting when allowed). src 0 = the address of
 * the outgoing interface. Returns 0 when sent or queued for ARP,
 * -ENETUNREACH (no route), -EMSGSIZE (DF and larger than the path MTU),
 * -ENOBUFS (ARP queue full). pb is the caller's; it may be modified. */
int ip_output(struct nb_stack *s, struct pbuf *pb, uint32_t src, uint32_t dst,
	      uint8_t proto, const struct ip_tx_opts *opt);

/* ip_source_for: the local address used to reach dst, 0 if unroutable. */
uint32_t ip_source_for(struct nb_stack *s, uint32_t dst);
/* ip_path_mtu: the MTU towards dst (interface MTU, lowered by PMTU
 * discovery); 0 if unroutable. TCP derives its MSS from it (MTU - 40). */
uint32_t ip_path_mtu(struct nb_stack *s, uint32_t dst);

/* Layers above IP. Each gets the payload after the IP header. */
void icmp_input(struct nb_stack *s, const struct ip_meta *ip, const uint8_t *p, size_t len);
void udp_input(struct nb_stack *s, const struct ip_meta *ip, const uint8_t *p, size_t len);
void tcp_input(struct nb_stack *s, const struct ip_meta *ip, const uint8_t *p, size_t len);

/* Error reports for a datagram we sent (BSD's pr_ctlinput). `err` is a
 * negative errno: -ECONNREFUSED (port unreachable), -EHOSTUNREACH,
 * -ENETUNREACH, -EMSGSIZE (fragmentation needed; mtu is the next-hop MTU).
 * src/dst are those of the datagram we sent; l4 holds at least the first 8
 * bytes of its transport header (ports, and TCP's sequence number). */
void udp_ctlinput(struct nb_stack *s, int err, uint32_t src, uint32_t dst,
		  const uint8_t *l4, size_t l4len);
void tcp_ctlinput(struct nb_stack *s, int err, uint32_t src, uint32_t dst,
		  const uint8_t *l4, size_t l4len, uint32_t mtu);

#endif
