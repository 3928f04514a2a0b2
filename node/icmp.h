/* icmp.h: the Internet Control Message Protocol (RFC 792, RFC 1122 3.2.2).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Type      |     Code      |          Checksum             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | echo:       Identifier        |        Sequence Number        |
 *   | unreach:    unused (0)        |  Next-hop MTU (code 4, 1191)  |
 *   | time exc.:  unused (0)                                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | echo: data ...   errors: the offending IP header + its data   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Errors we send quote the offending datagram's header and as much of its
 * data as keeps the error within 576 bytes (RFC 1812 4.3.2.3). They are
 * never sent about (RFC 1122 3.2.2): an ICMP error, a datagram to an IP
 * broadcast or multicast address or sent as a link-layer broadcast, a
 * non-first fragment, or a datagram whose source is not a unicast host.
 * A token bucket (params.icmp_ratelimit per second, params.icmp_burst deep;
 * 0 = unlimited) bounds the rate of errors.
 *
 * Errors we receive are checked (the quoted header must be an IPv4 header of
 * a datagram we sent, with the first 8 bytes of its transport header) and
 * reported to the sender: tcp_ctlinput / udp_ctlinput / the pinger, with
 *   net unreachable         -ENETUNREACH     host unreachable  -EHOSTUNREACH
 *   protocol unreachable    -ENOPROTOOPT     port unreachable  -ECONNREFUSED
 *   fragmentation needed    -EMSGSIZE (+ next-hop MTU, PMTU cache lowered)
 *   admin. prohibited       -EACCES          source route failed -EOPNOTSUPP
 *   time exceeded           -EHOSTUNREACH    parameter problem -EPROTO
 * Source quench is ignored (RFC 6633), redirects too (we keep static routes).
 */
#ifndef NB_ICMP_H
#define NB_ICMP_H

#include "ip.h"

#define ICMP_HLEN 8
#define ICMP_ECHOREPLY 0
#define ICMP_UNREACH 3
#define ICMP_SOURCEQUENCH 4
#define ICMP_REDIRECT 5
#define ICMP_ECHO 8
#define ICMP_TIMXCEED 11
#define ICMP_PARAMPROB 12

/* Destination unreachable codes (RFC 792, RFC 1122 3.2.2.1, RFC 1812 5.2.7.1). */
#define ICMP_UNREACH_NET 0
#define ICMP_UNREACH_HOST 1
#define ICMP_UNREACH_PROTOCOL 2
#define ICMP_UNREACH_PORT 3
#define ICMP_UNREACH_NEEDFRAG 4
#define ICMP_UNREACH_SRCFAIL 5
#define ICMP_UNREACH_NET_UNKNOWN 6
#define ICMP_UNREACH_HOST_UNKNOWN 7
#define ICMP_UNREACH_ISOLATED 8
#define ICMP_UNREACH_NET_PROHIB 9
#define ICMP_UNREACH_HOST_PROHIB 10
#define ICMP_UNREACH_TOSNET 11
#define ICMP_UNREACH_TOSHOST 12
#define ICMP_UNREACH_FILTER_PROHIB 13
/* Time exceeded codes. */
#define ICMP_TIMXCEED_INTRANS 0
#define ICMP_TIMXCEED_REASS 1

#define ICMP_ERROR_MAX 576      /* IP length bound of an error we send */

/* A pinger's view of echo traffic for its identifier. `from` is the host
 * that answered (the target, or the router that sent an error); for errors
 * found locally (ARP gave up) it is our own source address. */
struct icmp_echo_handler {
	void (*reply)(void *arg, uint32_t from, uint16_t seq, const uint8_t *data,
		      size_t len, uint8_t ttl);
	void (*error)(void *arg, int err, uint32_t from, uint8_t type, uint8_t code,
		      uint16_t seq);
	/* release: the stack is going away with the handler still registered. */
	void (*release)(void *arg);
};

int icmp_init(struct nb_stack *s);
void icmp_free(struct nb_stack *s);

/* icmp_error: sends an ICMP error of type/code about the datagram pkt[0..len)
 * (its IP header and data as received; a valid header is required). mtu is
 * the next-hop MTU for ICMP_UNREACH_NEEDFRAG. Returns 0 when sent, 1 when
 * suppressed by RFC 1122 3.2.2 or the rate limit, or ip_output's error. */
int icmp_error(struct nb_stack *s, const uint8_t *pkt, size_t len, uint8_t type,
	       uint8_t code, uint32_t mtu);
/* icmp_error_meta: icmp_error for a datagram delivered to a transport:
 * ip->hdr and the transport bytes l4[0..l4len) form the quote; a datagram
 * that came as a link-layer broadcast (NB_RX_L2_BCAST) gets no error. */
int icmp_error_meta(struct nb_stack *s, const struct ip_meta *ip, const uint8_t *l4,
		    size_t l4len, uint8_t type, uint8_t code);
/* icmp_send_port_unreach: ICMP port unreachable for a UDP datagram nobody
 * listens to (l4 = the UDP header and data as delivered). */
int icmp_send_port_unreach(struct nb_stack *s, const struct ip_meta *ip, const uint8_t *l4,
			   size_t l4len);

/* icmp_ctlinput: reports an error about a datagram we sent, pkt[0..len) =
 * its IP header and at least 8 bytes of what followed, to the protocol that
 * sent it (tcp_ctlinput, udp_ctlinput, or the pinger owning the echo id).
 * Used for ICMP errors received and for errors found locally (ARP). */
void icmp_ctlinput(struct nb_stack *s, int err, uint32_t from, uint8_t type, uint8_t code,
		   const uint8_t *pkt, size_t len, uint32_t mtu);
/* icmp_errno: the negative errno for an ICMP error type/code (table above). */
int icmp_errno(uint8_t type, uint8_t code);

/* icmp_echo_register: a handler for echo replies and errors about our echo
 * requests; picks a free identifier into *id. 0, -ENOMEM or -EAGAIN. */
int icmp_echo_register(struct nb_stack *s, const struct icmp_echo_handler *h, void *arg,
		       uint16_t *id);
/* icmp_echo_lookup: the arg registered for id if it was registered with
 * the handler table h (so an owner finds only its own), else NULL. */
void *icmp_echo_lookup(const struct nb_stack *s, uint16_t id, const struct icmp_echo_handler *h);
/* icmp_echo_unregister: forgets the handler of id (release is not called). */
void icmp_echo_unregister(struct nb_stack *s, uint16_t id);
/* icmp_echo_send: one echo request to dst with data[0..len) (ttl 0 = default).
 * Returns ip_output's result; -EMSGSIZE above 65507 bytes of data. */
int icmp_echo_send(struct nb_stack *s, uint32_t dst, uint16_t id, uint16_t seq,
		   const uint8_t *data, size_t len, uint8_t ttl);

#endif
