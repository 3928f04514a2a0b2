/* udp.h: UDP (RFC 768) for nestbed-node.
 *
 *    0      7 8     15 16    23 24    31
 *   +--------+--------+--------+--------+
 *   |     Source      |   Destination   |
 *   |      Port       |      Port       |
 *   +--------+--------+--------+--------+
 *   |                 |                 |
 *   |     Length      |    Checksum     |
 *   +--------+--------+--------+--------+
 *   |          data octets ...
 *   +---------------- ...
 *
 *   Length   header + data, >= 8, <= what IP delivered (extra bytes are padding)
 *   Checksum one's complement over pseudo-header (cksum.h), header and data;
 *            0 means "not computed" (RFC 768); a computed 0 is sent as 0xffff
 *
 * Demultiplexing picks, among pcbs bound to the destination port, the most
 * specific: connected to the sender > bound to the destination address >
 * wildcard. A connected pcb only takes datagrams from its peer. Datagrams for
 * a port nobody holds get an ICMP port unreachable (unicast to us only).
 *
 * Each pcb keeps received datagrams, whole, in a FIFO bounded by its receive
 * buffer (params.udp_rcvbuf unless set); what does not fit is dropped and
 * counted (udp_rcvbuf_dropped). ICMP errors about a datagram we sent set the
 * pending error of the pcb connected to that peer (as Linux does): the next
 * send or receive returns it once.
 */
#ifndef NB_UDP_H
#define NB_UDP_H

#include "ip.h"
#include "stack.h"

#define UDP_HLEN 8
#define UDP_PAYLOAD_MAX (65535 - IP_HLEN_MIN - UDP_HLEN)   /* 65507 */
#define UDP_EPHEMERAL_LO 49152
#define UDP_EPHEMERAL_HI 65535

/* One received datagram. */
struct udp_dgram {
	struct udp_dgram *next;
	uint32_t src, dst;              /* host order */
	uint16_t sport;
	size_t len;
	uint8_t data[];
};

struct udp_pcb;
/* Called when a datagram was queued or a pending error was set. */
typedef void (*udp_notify_fn)(void *owner, struct udp_pcb *pcb);

struct udp_pcb {
	struct nb_stack *stack;
	struct udp_pcb *next;           /* in the stack's pcb list */
	uint32_t laddr, faddr;          /* host order; 0 = any / not connected */
	uint16_t lport, fport;          /* lport 0 = not bound yet */
	bool connected;
	bool reuse;                     /* SO_REUSEADDR: may share its port */

	void *owner;
	udp_notify_fn notify;
	char app[24];                   /* owning app, for dumps */
	int soerror;                    /* pending error, negative errno */

	struct udp_dgram *rq_head, *rq_tail;
	size_t rq_bytes, rq_count;
	size_t rcvbuf;                  /* bound on rq_bytes */
	uint64_t rx_dgrams, rx_bytes, tx_dgrams, tx_bytes, rx_dropped;
};

struct nb_udp {
	struct udp_pcb *pcbs;
	uint16_t next_ephemeral;
};

/* udp_init / udp_free: the stack-wide state (called by stack_init/free). */
int udp_init(struct nb_stack *s);
void udp_free(struct nb_stack *s);

/* udp_hdr_ok: true if p[0..len) starts with a UDP header whose Length field
 * is within [8, len]. Reads nothing else. */
bool udp_hdr_ok(const uint8_t *p, size_t len);

/* udp_new: an unbound pcb told of arrivals through notify(owner, pcb). */
struct udp_pcb *udp_new(struct nb_stack *s, void *owner, udp_notify_fn notify, const char *app);
/* udp_bind: local address (0 = any, else one of ours) and port (0 = an
 * ephemeral port in 49152..65535). -EINVAL if already bound,
 * -EADDRNOTAVAIL for a foreign address, -EADDRINUSE if the port is held (both
 * pcbs need reuse to share), -EAGAIN if no ephemeral port is free. */
int udp_bind(struct udp_pcb *pcb, uint32_t laddr, uint16_t lport);
/* udp_connect: fixes the default peer (faddr 0 dissolves the association);
 * binds an ephemeral port if needed and picks the local address towards the
 * peer when unbound. 0, -ENETUNREACH, or a udp_bind error. */
int udp_connect(struct udp_pcb *pcb, uint32_t faddr, uint16_t fport);
/* udp_sendto: sends one datagram to faddr:fport (0:0 = the connected peer).
 * Returns len, or -EDESTADDRREQ, -EMSGSIZE (> 65507 bytes or DF), -ENETUNREACH,
 * -EINVAL (port 0), or the pending error (once). Binds an ephemeral port if
 * needed. */
ssize_t udp_sendto(struct udp_pcb *pcb, const void *buf, size_t len, uint32_t faddr, uint16_t fport);
/* udp_recvfrom: takes the oldest datagram, copies at most len bytes of it
 * (the rest is discarded, as recvfrom(2) without MSG_TRUNC) and returns the
 * bytes copied; -EAGAIN when none waits; the pending error first, once. */
ssize_t udp_recvfrom(struct udp_pcb *pcb, void *buf, size_t len, uint32_t *faddr, uint16_t *fport);
/* udp_recvq: payload bytes waiting. udp_next_len: size of the next datagram, -1 if none. */
size_t udp_recvq(const struct udp_pcb *pcb);
ssize_t udp_next_len(const struct udp_pcb *pcb);
/* udp_close: unbinds and frees the pcb with anything still queued. */
void udp_close(struct udp_pcb *pcb);
/* udp_foreach: calls fn for every pcb (fn must not close pcbs). */
void udp_foreach(struct nb_stack *s, void (*fn)(struct udp_pcb *pcb, void *arg), void *arg);

#endif
