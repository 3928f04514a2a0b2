/* ip_var.h: IPv4 internals shared by ip_input.c, ip_output.c and
 * ip_reass.c (BSD's netinet/ip_var.h). Not for the layers above IP.
 *
 * The IPv4 layer's state hangs off stack->reass (struct nb_reass), named
 * after its largest part, the reassembly queues; it also holds the datagram
 * identifier counter and the loopback queue.
 */
#ifndef NB_IP_VAR_H
#define NB_IP_VAR_H

#include "ip.h"

/* Address classes (RFC 1122 3.2.1.3, RFC 5735). Host order. */
static inline bool ip_is_multicast(uint32_t a) { return (a >> 28) == 0xe; }
static inline bool ip_is_loopback(uint32_t a) { return (a >> 24) == 127; }
/* ip_unicast_ok: a usable unicast host address: not 0/8, 127/8, class D or
 * E (which includes 255.255.255.255). */
static inline bool ip_unicast_ok(uint32_t a)
{
	return (a >> 24) != 0 && (a >> 24) != 127 && (a >> 28) < 0xe;
}
/* ip_iface_bcast: the directed broadcast of an interface's subnet, 0 when
 * it has none (no address, or a /31 or /32 point-to-point prefix). */
static inline uint32_t ip_iface_bcast(const struct nb_iface *ifp)
{
	if (!ifp->addr || ifp->prefix_len > 30)
		return 0;
	return ifp->addr | ~(ifp->prefix_len ? ~UINT32_C(0) << (32 - ifp->prefix_len) : 0);
}
/* ip_is_bcast: the limited broadcast or the directed broadcast of any of
 * our subnets. */
bool ip_is_bcast(const struct nb_stack *s, uint32_t a);

/* Result of ip_hdr_check, each with its own counter. */
enum ip_hdr_verdict {
	IP_HDR_OK, IP_HDR_SHORT, IP_HDR_BAD_VERSION, IP_HDR_BAD_HLEN, IP_HDR_BAD_LEN,
	IP_HDR_BAD_CKSUM,
};
/* ip_hdr_check: ip_hdr_ok with the reason. */
enum ip_hdr_verdict ip_hdr_check(const uint8_t *pkt, size_t len);
/* ip_options_ok: the option list of a header (already ip_hdr_ok) is well
 * formed: every option but EOL/NOP has a length >= 2 that fits. */
bool ip_options_ok(const uint8_t *h, size_t hlen);

/* ip_local_deliver: hands a complete datagram (valid header, pkt[0..len)
 * exactly the datagram) to the protocol above. */
void ip_local_deliver(struct nb_stack *s, int ifidx, const uint8_t *pkt, size_t len,
		      unsigned rx_flags);
/* ip_transmit: sends the datagram pkt[0..len) (header filled, checksum
 * valid) to nexthop through ifidx, in fragments of at most mtu bytes if it
 * is larger (RFC 791 3.2); NB_ETH_HLEN bytes before pkt must be writable.
 * The bytes are restored before returning. Returns arp_output's result, or
 * -EMSGSIZE when it is too big and DF is set. */
int ip_transmit(struct nb_stack *s, uint8_t *pkt, size_t len, int ifidx, uint32_t nexthop,
		uint32_t mtu);

/* Loopback (ip_output.c): datagrams to our own addresses are queued and
 * delivered by loop_timer, armed at `now`, never from inside ip_output. */
void ip_loop_timer(struct nb_timer *t, nb_time_t now);
void ip_loop_free(struct nb_stack *s);

/* Reassembly (ip_reass.c). */
struct ip_frag_q;
struct ip_loop_pkt;

struct nb_reass {
	struct ip_frag_q *q_head, *q_tail;   /* oldest first */
	size_t nq;
	uint16_t next_id;                    /* Identification of our next datagram */
	struct ip_loop_pkt *loop_head, *loop_tail;
	size_t loop_len;
	struct nb_timer loop_timer;          /* delivers looped-back datagrams */
	bool loop_running;                   /* inside loop_timer's callback */
	unsigned loop_rounds;                /* rounds run at instant loop_last */
	nb_time_t loop_last;
};

int ip_reass_init(struct nb_stack *s);
void ip_reass_free(struct nb_stack *s);
/* ip_reass_input: one fragment (valid header, pkt[0..len) exactly the
 * fragment) of a datagram for us. Delivers the datagram once complete. */
void ip_reass_input(struct nb_stack *s, int ifidx, const uint8_t *pkt, size_t len,
		    unsigned rx_flags);
/* ip_reass_pending: datagrams being reassembled (tests, dumps). */
size_t ip_reass_pending(const struct nb_stack *s);

#endif
