/* stack.c: the stack object: module lifetimes, interfaces, and the three
 * entry points of the sans-IO core (input, deadline, timers). */
#include "stack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arp.h"
#include "eth.h"
#include "icmp.h"
#include "ip_var.h"
#include "route.h"
#include "sock.h"
#include "tcp.h"
#include "udp.h"

/* Modules in init order; stack_free releases them in reverse. */
static const struct {
	int (*init)(struct nb_stack *s);
	void (*free)(struct nb_stack *s);
} modules[] = {
	{arp_init, arp_free},
	{route_init, route_free},
	{ip_reass_init, ip_reass_free},
	{icmp_init, icmp_free},
	{udp_init, udp_free},
	{tcp_init, tcp_free},
	{sock_init, sock_free},
};

int stack_init(struct nb_stack *s, const struct nb_stack_io *io, void *io_ctx, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	params_defaults(&s->params);
	nb_rng_seed(&s->rng, seed);
	timers_init(&s->timers);
	s->io = io;
	s->io_ctx = io_ctx;
	s->scratch = malloc(sizeof(*s->scratch));
	if (!s->scratch)
		return -ENOMEM;
	pbuf_reset(s->scratch);
	for (size_t i = 0; i < NB_ARRAY_LEN(modules); i++) {
		int rc = modules[i].init(s);
		if (rc) {
			while (i-- > 0)
				modules[i].free(s);
			timers_free(&s->timers);
			free(s->scratch);
			s->scratch = NULL;
			return rc < 0 ? rc : -ENOMEM;
		}
	}
	return 0;
}

/* stack_free: the heap is emptied first (every timer idle, whatever object
 * embeds it), so modules may free in any order; a timer armed while they
 * tear down (a last RST queued behind ARP, say) is dropped at the end. */
void stack_free(struct nb_stack *s)
{
	timers_free(&s->timers);
	for (size_t i = NB_ARRAY_LEN(modules); i-- > 0;)
		modules[i].free(s);
	timers_free(&s->timers);
	free(s->scratch);
	s->scratch = NULL;
}

int stack_add_iface(struct nb_stack *s, const char *name, const uint8_t mac[6],
		    uint32_t addr, uint8_t prefix_len, uint32_t mtu)
{
	size_t nlen = name ? strlen(name) : 0;
	if (!nlen || nlen >= NB_IFNAME_MAX || prefix_len > 32 || mtu < 68 || mtu > 65535 ||
	    eth_is_multicast(mac) || eth_is_zero(mac))
		return -EINVAL;
	if (addr && (addr >> 24 == 0 || addr >> 24 == 127 || addr >> 28 >= 0xe))
		return -EINVAL;
	if (stack_iface_by_name(s, name) >= 0)
		return -EEXIST;
	if (s->nifs >= NB_IF_MAX)
		return -ENOSPC;
	int ifidx = s->nifs;
	struct nb_iface *ifp = &s->ifs[ifidx];
	memset(ifp, 0, sizeof(*ifp));
	memcpy(ifp->name, name, nlen + 1);
	memcpy(ifp->mac, mac, 6);
	ifp->addr = addr;
	ifp->prefix_len = prefix_len;
	ifp->mtu = mtu;
	ifp->up = true;
	s->nifs++;
	if (addr) {
		int rc = route_add_connected(s, ifidx);
		if (rc) {
			s->nifs--;
			return rc;
		}
	}
	return ifidx;
}

int stack_iface_by_name(const struct nb_stack *s, const char *name)
{
	for (int i = 0; i < s->nifs; i++)
		if (!strcmp(s->ifs[i].name, name))
			return i;
	return -1;
}

void stack_set_link(struct nb_stack *s, int ifidx, bool up, nb_time_t now)
{
	if (ifidx < 0 || ifidx >= s->nifs || s->ifs[ifidx].up == up)
		return;
	s->now = now;
	s->ifs[ifidx].up = up;
	if (!up)
		arp_flush_iface(s, ifidx);
}

void stack_input(struct nb_stack *s, int ifidx, const uint8_t *frame, size_t len,
		 unsigned flags, nb_time_t now)
{
	s->now = now;
	eth_input(s, ifidx, frame, len, flags & NB_RX_CSUM_PARTIAL);
}

nb_time_t stack_next_deadline(const struct nb_stack *s) { return timers_next(&s->timers); }

void stack_timers_run(struct nb_stack *s, nb_time_t now)
{
	s->now = now;
	timers_run(&s->timers, now);
}

bool stack_is_local(const struct nb_stack *s, uint32_t addr)
{
	if (!addr)
		return false;
	for (int i = 0; i < s->nifs; i++)
		if (s->ifs[i].addr == addr)
			return true;
	return false;
}
