/* stats.h: per-node counters in the spirit of `netstat -s`.
 *
 * One X-macro list per layer; the struct and the dump (name, value) come from
 * it. A dropped packet is always counted under the reason it was dropped.
 * To add a counter, add one line to its layer's list.
 */
#ifndef NB_STATS_H
#define NB_STATS_H

#include "nb.h"

#define NB_STATS_ETH(X)                                                     \
	X(eth, rx_frames) X(eth, rx_bytes) X(eth, tx_frames) X(eth, tx_bytes) \
	X(eth, rx_short) X(eth, rx_not_for_us) X(eth, rx_unknown_type)        \
	X(eth, rx_vlan) X(eth, tx_errors) X(eth, rx_iface_down) X(eth, tx_iface_down)      \
	X(eth, rx_bad_src)

#define NB_STATS_ARP(X)                                                         \
	X(arp, rx) X(arp, rx_malformed) X(arp, rx_unsupported) X(arp, requests_sent) \
	X(arp, requests_received) X(arp, replies_sent) X(arp, replies_received)  \
	X(arp, resolve_failed) X(arp, queued) X(arp, queue_dropped) X(arp, entries_expired) \
	X(arp, table_full) X(arp, conflicts) X(arp, rx_bad_addr)

#define NB_STATS_IP(X)                                                                          \
	X(ip, rx) X(ip, rx_short) X(ip, rx_bad_version) X(ip, rx_bad_hlen) X(ip, rx_bad_len)       \
	X(ip, rx_bad_cksum) X(ip, rx_bad_options) X(ip, rx_not_for_us) X(ip, rx_bad_src)        \
	X(ip, rx_unknown_proto) X(ip, delivered) X(ip, forwarded) X(ip, ttl_exceeded)            \
	X(ip, no_route) X(ip, tx) X(ip, tx_errors) X(ip, frag_created) X(ip, frag_needed)       \
	X(ip, frag_rx) X(ip, reass_ok) X(ip, reass_timeout) X(ip, reass_dropped)             \
	X(ip, rx_bad_frag) X(ip, reass_overlap) X(ip, tx_loopback) X(ip, pmtu_lowered)

#define NB_STATS_ICMP(X)                                                                    \
	X(icmp, rx) X(icmp, rx_short) X(icmp, rx_bad_cksum) X(icmp, rx_echo_request)           \
	X(icmp, rx_echo_reply) X(icmp, rx_unreach) X(icmp, rx_time_exceeded) X(icmp, rx_other) \
	X(icmp, tx) X(icmp, tx_echo_reply) X(icmp, tx_unreach) X(icmp, tx_time_exceeded)      \
	X(icmp, tx_frag_needed) X(icmp, tx_ratelimited)                                      \
	X(icmp, tx_echo_request) X(icmp, rx_frag_needed) X(icmp, rx_bad_quote)              \
	X(icmp, rx_echo_unmatched) X(icmp, rx_echo_bcast) X(icmp, tx_suppressed)

#define NB_STATS_UDP(X)                                                               \
	X(udp, rx) X(udp, rx_short) X(udp, rx_bad_len) X(udp, rx_bad_cksum) X(udp, no_port) \
	X(udp, rcvbuf_dropped) X(udp, tx) X(udp, tx_errors)

#define NB_STATS_TCP(X)                                                                      \
	X(tcp, rx_segments) X(tcp, tx_segments) X(tcp, rx_short) X(tcp, rx_bad_off)            \
	X(tcp, rx_bad_cksum) X(tcp, retransmits) X(tcp, fast_retransmits) X(tcp, rto_fires)    \
	X(tcp, rst_sent) X(tcp, rst_received) X(tcp, active_opens) X(tcp, passive_opens)       \
	X(tcp, attempt_fails) X(tcp, established_resets) X(tcp, challenge_acks)               \
	X(tcp, syn_dropped_backlog) X(tcp, accept_dropped_backlog) X(tcp, no_socket)          \
	X(tcp, out_of_order) X(tcp, dup_acks) X(tcp, zero_window_probes) X(tcp, delayed_acks) \
	X(tcp, outside_window) X(tcp, timewait_expired) X(tcp, timeouts) X(tcp, invalid_acks_limited)                      \
	X(tcp, rx_bad_opts) X(tcp, rx_bad_addr) X(tcp, paws_dropped) X(tcp, ooo_dropped)     \
	X(tcp, finwait2_expired) X(tcp, sack_rexmits) X(tcp, pmtu_updates)                    \
	X(tcp, keepalive_probes) X(tcp, keepalive_drops)

#define NB_STATS(X) NB_STATS_ETH(X) NB_STATS_ARP(X) NB_STATS_IP(X) NB_STATS_ICMP(X) \
	NB_STATS_UDP(X) NB_STATS_TCP(X)

struct nb_stats {
#define NB_STAT_FIELD(layer, name) uint64_t layer##_##name;
	NB_STATS(NB_STAT_FIELD)
#undef NB_STAT_FIELD
};

/* NB_COUNT(stack, layer_name): increments one counter, e.g. NB_COUNT(s, ip_rx_bad_cksum). */
#define NB_COUNT(s, field) ((s)->stats.field++)

#endif
