/* ip_output.c: IPv4 output: header, route, path MTU, fragmentation
 * (RFC 791 3.2, RFC 1122 3.3.3) and loopback to our own addresses. */
#include "ip_var.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arp.h"
#include "cksum.h"
#include "route.h"

#define IP_LOOP_MAX 256         /* datagrams waiting on the loopback queue */
#define IP_LOOP_ROUNDS 64       /* loopback rounds at one instant before deferring */

struct ip_loop_pkt {
	struct ip_loop_pkt *next;
	int ifidx;
	size_t len;
	uint8_t data[];
};

/* local_ifidx: the interface holding addr, or -1. */
static int local_ifidx(const struct nb_stack *s, uint32_t addr)
{
	for (int i = 0; i < s->nifs; i++)
		if (s->ifs[i].addr && s->ifs[i].addr == addr)
			return i;
	return -1;
}

/* bcast_ifidx: where a limited broadcast from src leaves: src's interface,
 * or the first interface that is up and has an address. */
static int bcast_ifidx(const struct nb_stack *s, uint32_t src)
{
	if (src)
		return local_ifidx(s, src);
	for (int i = 0; i < s->nifs; i++)
		if (s->ifs[i].up && s->ifs[i].addr)
			return i;
	return -1;
}

uint32_t ip_source_for(struct nb_stack *s, uint32_t dst)
{
	int ifidx;
	if (stack_is_local(s, dst))
		return dst;
	if (dst == UINT32_MAX)
		return (ifidx = bcast_ifidx(s, 0)) < 0 ? 0 : s->ifs[ifidx].addr;
	if (route_lookup(s, dst, &ifidx, NULL))
		return 0;
	return s->ifs[ifidx].addr;
}

uint32_t ip_path_mtu(struct nb_stack *s, uint32_t dst)
{
	int ifidx = local_ifidx(s, dst);
	if (ifidx >= 0)
		return s->ifs[ifidx].mtu;
	if (route_lookup(s, dst, &ifidx, NULL))
		return 0;
	uint32_t mtu = s->ifs[ifidx].mtu, pmtu = route_pmtu_get(s, dst);
	return pmtu && pmtu < mtu ? pmtu : mtu;
}

/* copied_header: the header of the second and later fragments: the fixed
 * part and only the options whose "copied" bit is set (RFC 791 3.1),
 * padded with End of Option List. Returns its length. */
static size_t copied_header(const uint8_t *h, size_t hlen, uint8_t out[60])
{
	memcpy(out, h, IP_HLEN_MIN);
	size_t n = IP_HLEN_MIN, i = IP_HLEN_MIN;
	while (i < hlen && h[i] != 0) {
		if (h[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= hlen || h[i + 1] < 2 || i + h[i + 1] > hlen)
			break;
		size_t olen = h[i + 1];
		if (h[i] & 0x80) {
			memcpy(out + n, h + i, olen);
			n += olen;
		}
		i += olen;
	}
	while (n & 3)
		out[n++] = 0;
	out[0] = (uint8_t)(0x40 | n / 4);
	return n;
}

/* fragment: sends pkt as fragments built in place: each fragment's header
 * (and Ethernet header) is written just before its data, over bytes of the
 * previous fragment already sent, which are saved and put back. Offsets add
 * to the datagram's own (a forwarded fragment may be fragmented again) and
 * the last fragment keeps the datagram's MF bit. */
static int fragment(struct nb_stack *s, uint8_t *pkt, size_t len, int ifidx, uint32_t nexthop,
		    uint32_t mtu)
{
	size_t hlen = (size_t)(pkt[0] & 15) * 4;
	uint8_t first[60], later[60];
	memcpy(first, pkt, hlen);
	size_t lhlen = copied_header(pkt, hlen, later);
	uint16_t frag = nb_get16(pkt + 6);
	size_t off0 = (size_t)(frag & IP_OFFMASK) * 8;
	uint8_t *data = pkt + hlen;
	size_t dlen = len - hlen;
	if (mtu < hlen + 8)
		return -EMSGSIZE;
	if (off0 + dlen > 65535)
		return -EINVAL;
	int rc = 0;
	for (size_t pos = 0; pos < dlen && !rc;) {
		size_t fh = pos ? lhlen : hlen, chunk = dlen - pos;
		bool last = fh + chunk <= mtu;
		if (!last)
			chunk = (mtu - fh) & ~(size_t)7;
		uint8_t *h = data + pos - fh;
		uint8_t saved[NB_ETH_HLEN + 60];
		size_t span = NB_ETH_HLEN + fh;
		memcpy(saved, h - NB_ETH_HLEN, span);
		memcpy(h, pos ? later : first, fh);
		nb_put16(h + 2, (uint16_t)(fh + chunk));
		uint16_t f = (uint16_t)((off0 + pos) / 8);
		if (!last || (frag & IP_FLAG_MF))
			f |= IP_FLAG_MF;
		nb_put16(h + 6, f);
		nb_put16(h + 10, 0);
		nb_put16(h + 10, cksum(h, fh));
		NB_COUNT(s, ip_frag_created);
		rc = arp_output(s, ifidx, nexthop, h, fh + chunk);
		memcpy(h - NB_ETH_HLEN, saved, span);
		pos += chunk;
	}
	return rc;
}

int ip_transmit(struct nb_stack *s, uint8_t *pkt, size_t len, int ifidx, uint32_t nexthop,
		uint32_t mtu)
{
	if (len <= mtu)
		return arp_output(s, ifidx, nexthop, pkt, len);
	if (nb_get16(pkt + 6) & IP_FLAG_DF)
		return -EMSGSIZE;
	return fragment(s, pkt, len, ifidx, nexthop, mtu);
}

static int loop_queue(struct nb_stack *s, int ifidx, const uint8_t *pkt, size_t len)
{
	struct nb_reass *r = s->reass;
	if (r->loop_len >= IP_LOOP_MAX)
		return -ENOBUFS;
	struct ip_loop_pkt *p = malloc(sizeof(*p) + len);
	if (!p)
		return -ENOMEM;
	p->next = NULL;
	p->ifidx = ifidx;
	p->len = len;
	memcpy(p->data, pkt, len);
	if (r->loop_tail)
		r->loop_tail->next = p;
	else
		r->loop_head = p;
	r->loop_tail = p;
	r->loop_len++;
	NB_COUNT(s, ip_tx_loopback);
	/* Delivered at once (a request and its answer both within one
	 * timers_run); after IP_LOOP_ROUNDS rounds at the same instant, a
	 * nanosecond later, so two local peers answering each other forever
	 * cannot keep one timers_run call busy. */
	if (!timer_armed(&r->loop_timer))
		timer_arm(&s->timers, &r->loop_timer,
			  s->now + (r->loop_running && r->loop_rounds >= IP_LOOP_ROUNDS ? 1 : 0));
	return 0;
}

void ip_loop_timer(struct nb_timer *t, nb_time_t now)
{
	struct nb_stack *s = t->arg;
	struct nb_reass *r = s->reass;
	struct ip_loop_pkt *p = r->loop_head;
	r->loop_rounds = now == r->loop_last ? r->loop_rounds + 1 : 0;
	r->loop_last = now;
	r->loop_head = r->loop_tail = NULL;
	r->loop_len = 0;
	r->loop_running = true;
	while (p) {
		struct ip_loop_pkt *n = p->next;
		ip_local_deliver(s, p->ifidx, p->data, p->len, 0);
		free(p);
		p = n;
	}
	r->loop_running = false;
}

void ip_loop_free(struct nb_stack *s)
{
	struct nb_reass *r = s->reass;
	timer_cancel(&s->timers, &r->loop_timer);
	for (struct ip_loop_pkt *p = r->loop_head, *n; p; p = n) {
		n = p->next;
		free(p);
	}
	r->loop_head = r->loop_tail = NULL;
	r->loop_len = 0;
}

int ip_output(struct nb_stack *s, struct pbuf *pb, uint32_t src, uint32_t dst,
	      uint8_t proto, const struct ip_tx_opts *opt)
{
	static const struct ip_tx_opts defaults;
	if (!opt)
		opt = &defaults;
	if (!dst || ip_is_loopback(dst) || pb->len > 65535 - IP_HLEN_MIN) {
		NB_COUNT(s, ip_tx_errors);     /* no 127/8 interface here */
		return !dst ? -EINVAL : ip_is_loopback(dst) ? -ENETUNREACH : -EMSGSIZE;
	}
	int ifidx;
	uint32_t nexthop = dst;
	bool loop = false;
	if ((ifidx = local_ifidx(s, dst)) >= 0) {
		loop = true;
	} else if (dst == UINT32_MAX) {
		if ((ifidx = bcast_ifidx(s, src)) < 0) {
			NB_COUNT(s, ip_no_route);
			return -ENETUNREACH;
		}
	} else if (route_lookup(s, dst, &ifidx, &nexthop)) {
		NB_COUNT(s, ip_no_route);
		return -ENETUNREACH;
	}
	if (!src)
		src = loop ? dst : s->ifs[ifidx].addr;
	/* The Ethernet header goes in front of ours: both must fit. */
	bool room = (size_t)(pb->data - pb->buf) >= IP_HLEN_MIN + NB_ETH_HLEN;
	uint8_t *h = room ? pbuf_push(pb, IP_HLEN_MIN) : NULL;
	if (!src || !h) {
		NB_COUNT(s, ip_tx_errors);
		return src ? -ENOBUFS : -EADDRNOTAVAIL;
	}
	size_t len = pb->len;
	h[0] = 0x45;
	h[1] = opt->tos;
	nb_put16(h + 2, (uint16_t)len);
	nb_put16(h + 4, s->reass->next_id++);
	nb_put16(h + 6, opt->df ? IP_FLAG_DF : 0);
	h[8] = (uint8_t)(opt->ttl ? opt->ttl : s->params.ip_ttl);
	h[9] = proto;
	nb_put16(h + 10, 0);
	nb_put32(h + 12, src);
	nb_put32(h + 16, dst);
	nb_put16(h + 10, cksum(h, IP_HLEN_MIN));

	int rc;
	if (loop) {
		rc = loop_queue(s, ifidx, h, len);
	} else {
		uint32_t mtu = s->ifs[ifidx].mtu, pmtu = route_pmtu_get(s, dst);
		if (pmtu && pmtu < mtu)
			mtu = pmtu;
		rc = ip_transmit(s, h, len, ifidx, nexthop, mtu);
	}
	if (!rc)
		NB_COUNT(s, ip_tx);
	else if (rc != -ENOBUFS || loop)
		NB_COUNT(s, ip_tx_errors);
	return rc;
}
