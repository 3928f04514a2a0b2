/* stack.h: one node's protocol stack, sans-IO.
 *
 *        event loop (main.c) -- netdev.c (AF_PACKET) -- impair.c -- pcap.c
 *              | frames in: stack_input(s, ifidx, frame, len, flags, now)
 *              | timers:    stack_timers_run(s, now) at stack_next_deadline(s)
 *              v                      ^ frames out: io->tx(ctx, ifidx, frame, len)
 *   +----------------------------------------------------------------------+
 *   | apps/ (echo, sink, source, http, ping) -- sock.c (fds, readiness)    |
 *   | tcp_input.c tcp_output.c tcp_timer.c tcp_cc.c   udp.c   icmp.c       |
 *   | ip_input.c  ip_output.c  ip_reass.c  route.c                         |
 *   | arp.c   eth.c                                                        |
 *   +----------------------------------------------------------------------+
 *
 * The core never reads a clock or touches a file descriptor: time comes in as
 * `now` on every entry point and frames leave through io->tx. The same code
 * runs in the node and in unit tests with a fake clock and a frame recorder.
 *
 * Module state hangs off the stack as pointers allocated by each module's
 * init function, so a module's header is the only place its layout lives.
 */
#ifndef NB_STACK_H
#define NB_STACK_H

#include "nb.h"
#include "params.h"
#include "pbuf.h"
#include "stats.h"
#include "timer.h"

#define NB_IF_MAX 16
#define NB_IFNAME_MAX 16
#define NB_ETH_HLEN 14
#define NB_ETH_FRAME_MAX (NB_ETH_HLEN + 65535)

struct nb_iface {
	char name[NB_IFNAME_MAX];
	uint8_t mac[6];
	uint32_t addr;          /* host order; 0 = none */
	uint8_t prefix_len;
	uint32_t mtu;           /* IP MTU (the Ethernet payload), e.g. 1500 */
	bool up;                /* administratively up and carrier on */
};

/* Flags for stack_input. */
#define NB_RX_CSUM_PARTIAL 0x1  /* kernel peer left the L4 checksum partial
                                   (TP_STATUS_CSUMNOTREADY): do not verify it */

struct nb_stack_io {
	/* tx: hand one complete Ethernet frame to interface ifidx. The frame is
	 * only borrowed for the call. */
	void (*tx)(void *ctx, int ifidx, const uint8_t *frame, size_t len);
};

struct nb_arp;
struct nb_routes;
struct nb_reass;
struct nb_icmp;
struct nb_udp;
struct nb_tcp;
struct nb_socks;

struct nb_stack {
	nb_time_t now;                 /* time of the call in progress */
	struct nb_timers timers;
	struct nb_rng rng;             /* ISNs, ports, anything random */
	struct nb_params params;
	struct nb_stats stats;
	struct nb_iface ifs[NB_IF_MAX];
	int nifs;
	uint32_t pid;                  /* shown in socket dumps (node process) */

	struct nb_arp *arp;
	struct nb_routes *routes;
	struct nb_reass *reass;
	struct nb_icmp *icmp;
	struct nb_udp *udp;
	struct nb_tcp *tcp;
	struct nb_socks *socks;

	const struct nb_stack_io *io;
	void *io_ctx;
	struct pbuf *scratch;          /* one output buffer for the layer that builds a packet */
};

/* stack_init: an empty stack (no interfaces, no routes) with default
 * parameters; frames leave through io. Returns 0 or -ENOMEM. */
int stack_init(struct nb_stack *s, const struct nb_stack_io *io, void *io_ctx, uint64_t seed);
/* stack_free: releases everything the stack owns (sockets included). */
void stack_free(struct nb_stack *s);

/* stack_add_iface: adds an interface and its connected route. Returns the
 * ifidx (>= 0), or -EEXIST (name taken), -ENOSPC, -EINVAL. */
int stack_add_iface(struct nb_stack *s, const char *name, const uint8_t mac[6],
		    uint32_t addr, uint8_t prefix_len, uint32_t mtu);
/* stack_iface_by_name: ifidx or -1. */
int stack_iface_by_name(const struct nb_stack *s, const char *name);
/* stack_set_link: carrier change (link down/up); a down interface neither
 * sends nor receives, and its routes are skipped. */
void stack_set_link(struct nb_stack *s, int ifidx, bool up, nb_time_t now);

/* stack_input: one received Ethernet frame. Never fails: bad frames are
 * dropped and counted. */
void stack_input(struct nb_stack *s, int ifidx, const uint8_t *frame, size_t len,
		 unsigned flags, nb_time_t now);
/* stack_next_deadline: when stack_timers_run must next be called. */
nb_time_t stack_next_deadline(const struct nb_stack *s);
/* stack_timers_run: runs every timer due at `now`. */
void stack_timers_run(struct nb_stack *s, nb_time_t now);

/* stack_is_local: true if addr is one of our interface addresses. */
bool stack_is_local(const struct nb_stack *s, uint32_t addr);

#endif
