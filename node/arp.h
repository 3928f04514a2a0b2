/* arp.h: the Address Resolution Protocol for IPv4 over Ethernet (RFC 826).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   Hardware type (1 = Ether)   |   Protocol type (0x0800 = IP) |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  HW len (6)   | Proto len (4) | Operation (1 request, 2 reply)|
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |              Sender hardware address (6 bytes)                |
 *   +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                               |  Sender protocol address ...  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | ... (4 bytes)                 |  Target hardware address ...  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *   |                         ... (6 bytes)                         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |              Target protocol address (4 bytes)                |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The cache maps an IPv4 address to a MAC. An entry is
 *   INCOMPLETE  a request is out: packets wait on the entry (at most
 *               params.arp_queue); the request is repeated every
 *               params.arp_retry, params.arp_retries requests in all; one
 *               arp_retry after the last one resolution gives up: the
 *               queue is dropped and each packet reported unreachable
 *               (ours: *_ctlinput -EHOSTUNREACH; forwarded: ICMP host
 *               unreachable to its source);
 *   REACHABLE   learned; params.arp_timeout after it was last confirmed
 *               (a reply or a request from that address) it turns
 *   STALE       still used to send, so traffic never waits on an
 *               expiry; unused for another arp_timeout it is removed;
 *               the first packet sent through it starts
 *   PROBE       a unicast request to the cached MAC every arp_retry
 *               (RFC 1122 2.3.2.1 "unicast poll") while packets keep
 *               using that MAC; an answer makes it REACHABLE again,
 *               arp_retries unanswered ones remove it (resolve failed);
 *   STATIC      added by arp_add_static, never expires, never overwritten.
 * arp_queue_dropped counts every packet lost from a queue: overflow, give-up
 * or link down; arp_resolve_failed counts resolutions given up.
 * Each entry owns one nb_timer (retry or expiry), so every step is O(log n)
 * in the stack's timer heap. The table holds at most params.arp_max_entries.
 *
 * Input follows RFC 826's "Packet Reception": update an entry we already
 * have from any packet (gratuitous ARP included), create one only when the
 * packet targets the receiving interface's address, answer requests for it.
 * Senders claiming our own address are ignored (counted as conflicts); an
 * RFC 5227 probe (sender address 0) is answered but teaches nothing.
 */
#ifndef NB_ARP_H
#define NB_ARP_H

#include "stack.h"

#define ARP_LEN 28
#define ARP_HTYPE_ETHER 1
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

enum arp_state { ARP_INCOMPLETE, ARP_REACHABLE, ARP_STALE, ARP_PROBE, ARP_STATIC };

/* What arp_foreach shows of one entry. */
struct arp_info {
	uint32_t ip;            /* host order */
	uint8_t mac[6];         /* zero while INCOMPLETE */
	int ifidx;              /* where it was learned / is being resolved; -1 static */
	enum arp_state state;
	nb_time_t expires;      /* REACHABLE: turns stale; STALE: removal;
				   INCOMPLETE, PROBE: next request; else NEVER */
	unsigned tries;         /* requests sent (INCOMPLETE, PROBE) */
	size_t queued;          /* packets waiting (INCOMPLETE) */
};
typedef void (*arp_iter_fn)(void *arg, const struct arp_info *e);

int arp_init(struct nb_stack *s);
void arp_free(struct nb_stack *s);

/* arp_input: one ARP packet (the Ethernet payload) received on ifidx. */
void arp_input(struct nb_stack *s, int ifidx, const uint8_t *pkt, size_t len);

/* arp_output: sends the IPv4 packet pkt[0..len) to the neighbour `nexthop`
 * on ifidx. Broadcast and multicast next hops map to their MAC directly;
 * otherwise a resolved entry sends at once and an unresolved one queues a
 * copy (starting resolution if needed). The NB_ETH_HLEN bytes before pkt
 * must be writable (eth_output). Returns 0 (sent or queued), -ENOBUFS (queue
 * or table full: dropped and counted), -ENOMEM, -ENETDOWN, -EINVAL. */
int arp_output(struct nb_stack *s, int ifidx, uint32_t nexthop, uint8_t *pkt, size_t len);

/* arp_add_static: a permanent entry ip -> mac (replacing any learned one and
 * flushing packets queued for it). 0, -EINVAL (bad address or MAC), -ENOMEM. */
int arp_add_static(struct nb_stack *s, uint32_t ip, const uint8_t mac[6]);
/* arp_del: removes the entry for ip (queued packets are dropped, counted
 * and reported unreachable). 0 or -ENOENT. */
int arp_del(struct nb_stack *s, uint32_t ip);
/* arp_lookup: copies the MAC of a resolved entry; 0, or -ENOENT. */
int arp_lookup(const struct nb_stack *s, uint32_t ip, uint8_t mac[6]);
/* arp_flush_iface: forgets every learned entry of ifidx and gives up on
 * pending ones (link down). Static entries stay. */
void arp_flush_iface(struct nb_stack *s, int ifidx);
/* arp_foreach: calls fn for every entry, ordered by address (for dumps).
 * fn must not change the table. */
void arp_foreach(const struct nb_stack *s, arp_iter_fn fn, void *arg);
/* arp_state_name: "incomplete", "reachable", "static". */
const char *arp_state_name(enum arp_state st);

/* arp_build: writes a 28-byte ARP packet at p (for tests and tools). */
void arp_build(uint8_t *p, uint16_t op, const uint8_t sha[6], uint32_t spa,
	       const uint8_t tha[6], uint32_t tpa);

#endif
