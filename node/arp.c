/* arp.c: the ARP cache, resolution with retries and a bounded wait queue,
 * and RFC 826 packet reception (see arp.h). */
#include "arp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "eth.h"
#include "icmp.h"
#include "ip_var.h"

#define ARP_BUCKETS 256

/* A packet waiting for resolution: NB_ETH_HLEN bytes of room, then the IP
 * packet, so the frame is built in place when the reply comes. */
struct arp_qpkt {
	struct arp_qpkt *next;
	int ifidx;
	size_t len;
	uint8_t buf[];
};

struct arp_entry {
	struct arp_entry *next;         /* hash chain */
	struct nb_stack *s;
	uint32_t ip;
	uint8_t mac[6];
	int ifidx;
	enum arp_state state;
	unsigned tries;
	struct nb_timer timer;          /* retry (INCOMPLETE) or expiry (REACHABLE) */
	struct arp_qpkt *qhead, *qtail;
	size_t qlen;
};

struct nb_arp {
	struct arp_entry *b[ARP_BUCKETS];
	size_t count;
};

static unsigned bucket(uint32_t ip) { return (ip * 0x9e3779b1u) >> 24; }

static struct arp_entry *find(const struct nb_arp *a, uint32_t ip)
{
	for (struct arp_entry *e = a->b[bucket(ip)]; e; e = e->next)
		if (e->ip == ip)
			return e;
	return NULL;
}

int arp_init(struct nb_stack *s)
{
	s->arp = calloc(1, sizeof(*s->arp));
	return s->arp ? 0 : -ENOMEM;
}

static void queue_free(struct arp_qpkt *q)
{
	while (q) {
		struct arp_qpkt *n = q->next;
		free(q);
		q = n;
	}
}

void arp_free(struct nb_stack *s)
{
	if (!s->arp)
		return;
	for (unsigned i = 0; i < ARP_BUCKETS; i++) {
		struct arp_entry *e = s->arp->b[i];
		while (e) {
			struct arp_entry *n = e->next;
			timer_cancel(&s->timers, &e->timer);
			queue_free(e->qhead);
			free(e);
			e = n;
		}
	}
	free(s->arp);
	s->arp = NULL;
}

static void entry_timer(struct nb_timer *t, nb_time_t now);

/* entry_new: a fresh entry, or NULL when the table is full (counted) or
 * memory is short. Static entries are not bound by the table size. */
static struct arp_entry *entry_new(struct nb_stack *s, uint32_t ip, int ifidx, enum arp_state st)
{
	struct nb_arp *a = s->arp;
	if (st != ARP_STATIC && a->count >= s->params.arp_max_entries) {
		NB_COUNT(s, arp_table_full);
		return NULL;
	}
	struct arp_entry *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->s = s;
	e->ip = ip;
	e->ifidx = ifidx;
	e->state = st;
	timer_init(&e->timer, entry_timer, e);
	e->next = a->b[bucket(ip)];
	a->b[bucket(ip)] = e;
	a->count++;
	return e;
}

/* entry_free: unlinks and frees e with whatever is still queued on it. */
static void entry_free(struct nb_stack *s, struct arp_entry *e)
{
	struct arp_entry **pp = &s->arp->b[bucket(e->ip)];
	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	s->arp->count--;
	timer_cancel(&s->timers, &e->timer);
	queue_free(e->qhead);
	free(e);
}

static struct arp_qpkt *queue_detach(struct arp_entry *e)
{
	struct arp_qpkt *q = e->qhead;
	e->qhead = e->qtail = NULL;
	e->qlen = 0;
	return q;
}

void arp_build(uint8_t *p, uint16_t op, const uint8_t sha[6], uint32_t spa,
	       const uint8_t tha[6], uint32_t tpa)
{
	nb_put16(p, ARP_HTYPE_ETHER);
	nb_put16(p + 2, ETH_TYPE_IP);
	p[4] = 6;
	p[5] = 4;
	nb_put16(p + 6, op);
	memcpy(p + 8, sha, 6);
	nb_put32(p + 14, spa);
	memcpy(p + 18, tha, 6);
	nb_put32(p + 24, tpa);
}

/* send_arp: one ARP packet out of ifidx in an Ethernet frame to eth_dst. */
static int send_arp(struct nb_stack *s, int ifidx, const uint8_t eth_dst[6], uint16_t op,
		    const uint8_t tha[6], uint32_t tpa)
{
	static const uint8_t zero[6];
	const struct nb_iface *ifp = &s->ifs[ifidx];
	uint8_t frame[NB_ETH_HLEN + ARP_LEN];
	eth_build(frame, eth_dst, ifp->mac, ETH_TYPE_ARP);
	arp_build(frame + NB_ETH_HLEN, op, ifp->mac, ifp->addr, tha ? tha : zero, tpa);
	int rc = eth_tx_frame(s, ifidx, frame, sizeof frame);
	if (rc)
		return rc;
	if (op == ARP_OP_REQUEST)
		NB_COUNT(s, arp_requests_sent);
	else
		NB_COUNT(s, arp_replies_sent);
	return rc;
}

/* report_unreachable: a packet ARP could not deliver. Ours go back to the
 * transport that sent them; forwarded ones earn their source an ICMP host
 * unreachable (RFC 1812 4.3.3.1). */
static void report_unreachable(struct nb_stack *s, const uint8_t *pkt, size_t len)
{
	if (!ip_hdr_ok(pkt, len))
		return;
	uint32_t src = nb_get32(pkt + 12);
	if (stack_is_local(s, src))
		icmp_ctlinput(s, -EHOSTUNREACH, src, ICMP_UNREACH, ICMP_UNREACH_HOST, pkt, len, 0);
	else
		icmp_error(s, pkt, len, ICMP_UNREACH, ICMP_UNREACH_HOST, 0);
}

/* report_queue: drops a detached queue, reporting each packet. The entry is
 * gone by now, so the reports may safely start a new resolution. */
static void report_queue(struct nb_stack *s, struct arp_qpkt *q)
{
	while (q) {
		struct arp_qpkt *n = q->next;
		NB_COUNT(s, arp_queue_dropped);
		report_unreachable(s, q->buf + NB_ETH_HLEN, q->len);
		free(q);
		q = n;
	}
}

static void give_up(struct nb_stack *s, struct arp_entry *e)
{
	NB_COUNT(s, arp_resolve_failed);
	struct arp_qpkt *q = queue_detach(e);
	entry_free(s, e);
	report_queue(s, q);
}

/* flush: sends what waited on e now that its MAC is known. */
static void flush(struct nb_stack *s, struct arp_entry *e)
{
	uint8_t mac[6];
	memcpy(mac, e->mac, 6);
	struct arp_qpkt *q = queue_detach(e);
	while (q) {
		struct arp_qpkt *n = q->next;
		eth_output(s, q->ifidx, mac, ETH_TYPE_IP, q->buf + NB_ETH_HLEN, q->len);
		free(q);
		q = n;
	}
}

static void entry_timer(struct nb_timer *t, nb_time_t now)
{
	struct arp_entry *e = t->arg;
	struct nb_stack *s = e->s;
	if (e->state == ARP_REACHABLE) {
		/* Not confirmed for arp_timeout: keep using it, check on use. */
		e->state = ARP_STALE;
		timer_arm(&s->timers, &e->timer, now + s->params.arp_timeout);
	} else if (e->state == ARP_STALE) {
		NB_COUNT(s, arp_entries_expired);   /* unused for a while: forget it */
		entry_free(s, e);
	} else if (e->state == ARP_PROBE) {
		if (e->tries >= s->params.arp_retries || e->ifidx < 0 || !s->ifs[e->ifidx].up) {
			NB_COUNT(s, arp_resolve_failed);
			entry_free(s, e);
			return;
		}
		e->tries++;
		send_arp(s, e->ifidx, e->mac, ARP_OP_REQUEST, NULL, e->ip);
		timer_arm(&s->timers, &e->timer, now + s->params.arp_retry);
	} else if (e->state == ARP_INCOMPLETE) {
		if (e->tries >= s->params.arp_retries || e->ifidx < 0 || !s->ifs[e->ifidx].up) {
			give_up(s, e);
			return;
		}
		e->tries++;
		send_arp(s, e->ifidx, eth_broadcast, ARP_OP_REQUEST, NULL, e->ip);
		timer_arm(&s->timers, &e->timer, now + s->params.arp_retry);
	}
}

/* learn: e now maps to mac, confirmed at s->now. */
static void learn(struct nb_stack *s, struct arp_entry *e, const uint8_t mac[6], int ifidx)
{
	bool was_pending = e->state == ARP_INCOMPLETE;
	memcpy(e->mac, mac, 6);
	e->ifidx = ifidx;
	e->state = ARP_REACHABLE;
	e->tries = 0;
	timer_arm(&s->timers, &e->timer, s->now + s->params.arp_timeout);
	if (was_pending)
		flush(s, e);
}

static int enqueue(struct nb_stack *s, struct arp_entry *e, int ifidx, const uint8_t *pkt, size_t len)
{
	if (e->qlen >= s->params.arp_queue) {
		NB_COUNT(s, arp_queue_dropped);
		return -ENOBUFS;
	}
	struct arp_qpkt *q = malloc(sizeof(*q) + NB_ETH_HLEN + len);
	if (!q)
		return -ENOMEM;
	q->next = NULL;
	q->ifidx = ifidx;
	q->len = len;
	memcpy(q->buf + NB_ETH_HLEN, pkt, len);
	if (e->qtail)
		e->qtail->next = q;
	else
		e->qhead = q;
	e->qtail = q;
	e->qlen++;
	NB_COUNT(s, arp_queued);
	return 0;
}

int arp_output(struct nb_stack *s, int ifidx, uint32_t nexthop, uint8_t *pkt, size_t len)
{
	if (ifidx < 0 || ifidx >= s->nifs)
		return -EINVAL;
	const struct nb_iface *ifp = &s->ifs[ifidx];
	if (!ifp->up) {
		NB_COUNT(s, eth_tx_iface_down);
		return -ENETDOWN;
	}
	if (nexthop == UINT32_MAX || nexthop == ip_iface_bcast(ifp))
		return eth_output(s, ifidx, eth_broadcast, ETH_TYPE_IP, pkt, len);
	if (ip_is_multicast(nexthop)) {        /* RFC 1112 6.4 */
		uint8_t mac[6] = {0x01, 0x00, 0x5e, (uint8_t)((nexthop >> 16) & 0x7f),
				  (uint8_t)(nexthop >> 8), (uint8_t)nexthop};
		return eth_output(s, ifidx, mac, ETH_TYPE_IP, pkt, len);
	}
	struct arp_entry *e = find(s->arp, nexthop);
	if (e && e->state == ARP_STALE && e->ifidx >= 0) {
		/* RFC 1122 2.3.2.1: revalidate by unicast poll; the packet goes
		 * now, to the MAC we have. */
		e->state = ARP_PROBE;
		e->tries = 1;
		send_arp(s, e->ifidx, e->mac, ARP_OP_REQUEST, NULL, e->ip);
		timer_arm(&s->timers, &e->timer, s->now + s->params.arp_retry);
	}
	if (e && e->state != ARP_INCOMPLETE)
		return eth_output(s, ifidx, e->mac, ETH_TYPE_IP, pkt, len);
	if (e)
		return enqueue(s, e, ifidx, pkt, len);

	e = entry_new(s, nexthop, ifidx, ARP_INCOMPLETE);
	if (!e)
		return s->arp->count >= s->params.arp_max_entries ? -ENOBUFS : -ENOMEM;
	int rc = enqueue(s, e, ifidx, pkt, len);
	if (rc) {
		entry_free(s, e);
		return rc;
	}
	e->tries = 1;
	send_arp(s, ifidx, eth_broadcast, ARP_OP_REQUEST, NULL, nexthop);
	timer_arm(&s->timers, &e->timer, s->now + s->params.arp_retry);
	return 0;
}

/* arp_input: RFC 826 "Packet Reception", with the checks of arp.h. */
void arp_input(struct nb_stack *s, int ifidx, const uint8_t *pkt, size_t len)
{
	NB_COUNT(s, arp_rx);
	if (len < ARP_LEN) {
		NB_COUNT(s, arp_rx_malformed);
		return;
	}
	uint16_t op = nb_get16(pkt + 6);
	if (nb_get16(pkt) != ARP_HTYPE_ETHER || nb_get16(pkt + 2) != ETH_TYPE_IP ||
	    (op != ARP_OP_REQUEST && op != ARP_OP_REPLY)) {
		NB_COUNT(s, arp_rx_unsupported);
		return;
	}
	if (pkt[4] != 6 || pkt[5] != 4) {
		NB_COUNT(s, arp_rx_malformed);
		return;
	}
	const uint8_t *sha = pkt + 8;
	uint32_t spa = nb_get32(pkt + 14), tpa = nb_get32(pkt + 24);
	if (ifidx < 0 || ifidx >= s->nifs)
		return;
	const struct nb_iface *ifp = &s->ifs[ifidx];
	if (op == ARP_OP_REQUEST)
		NB_COUNT(s, arp_requests_received);
	else
		NB_COUNT(s, arp_replies_received);

	if (eth_is_multicast(sha) || eth_is_zero(sha) || !memcmp(sha, ifp->mac, 6)) {
		NB_COUNT(s, arp_rx_bad_addr);
		return;
	}
	bool for_us = ifp->addr && tpa == ifp->addr;
	if (spa == 0) {                         /* RFC 5227 probe: answer, learn nothing */
		if (op == ARP_OP_REQUEST && for_us)
			send_arp(s, ifidx, sha, ARP_OP_REPLY, sha, 0);
		return;
	}
	if (!ip_unicast_ok(spa)) {
		NB_COUNT(s, arp_rx_bad_addr);
		return;
	}
	if (stack_is_local(s, spa)) {           /* someone claims our address */
		NB_COUNT(s, arp_conflicts);
		return;
	}
	struct arp_entry *e = find(s->arp, spa);
	if (e && e->state != ARP_STATIC)
		learn(s, e, sha, ifidx);        /* merge_flag: update what we know */
	if (!for_us)
		return;
	if (!e) {
		e = entry_new(s, spa, ifidx, ARP_INCOMPLETE);
		if (e)
			learn(s, e, sha, ifidx);
	}
	if (op == ARP_OP_REQUEST)
		send_arp(s, ifidx, sha, ARP_OP_REPLY, sha, spa);
}

int arp_add_static(struct nb_stack *s, uint32_t ip, const uint8_t mac[6])
{
	if (!ip_unicast_ok(ip) || eth_is_multicast(mac) || eth_is_zero(mac))
		return -EINVAL;
	struct arp_entry *e = find(s->arp, ip);
	if (!e)
		e = entry_new(s, ip, -1, ARP_STATIC);
	if (!e)
		return -ENOMEM;
	bool was_pending = e->state == ARP_INCOMPLETE;
	timer_cancel(&s->timers, &e->timer);
	memcpy(e->mac, mac, 6);
	e->state = ARP_STATIC;
	e->ifidx = -1;
	e->tries = 0;
	if (was_pending)
		flush(s, e);
	return 0;
}

int arp_del(struct nb_stack *s, uint32_t ip)
{
	struct arp_entry *e = find(s->arp, ip);
	if (!e)
		return -ENOENT;
	struct arp_qpkt *q = queue_detach(e);
	entry_free(s, e);
	report_queue(s, q);
	return 0;
}

int arp_lookup(const struct nb_stack *s, uint32_t ip, uint8_t mac[6])
{
	const struct arp_entry *e = find(s->arp, ip);
	if (!e || e->state == ARP_INCOMPLETE)
		return -ENOENT;
	memcpy(mac, e->mac, 6);
	return 0;
}

void arp_flush_iface(struct nb_stack *s, int ifidx)
{
	struct arp_qpkt *dropped = NULL;
	for (unsigned i = 0; i < ARP_BUCKETS; i++) {
		struct arp_entry **pp = &s->arp->b[i];
		while (*pp) {
			struct arp_entry *e = *pp;
			if (e->state == ARP_STATIC || e->ifidx != ifidx) {
				pp = &e->next;
				continue;
			}
			if (e->state == ARP_INCOMPLETE)
				NB_COUNT(s, arp_resolve_failed);
			struct arp_qpkt *q = queue_detach(e), *last = q;
			while (last && last->next)
				last = last->next;
			if (last) {
				last->next = dropped;
				dropped = q;
			}
			*pp = e->next;
			s->arp->count--;
			timer_cancel(&s->timers, &e->timer);
			free(e);
		}
	}
	report_queue(s, dropped);
}

const char *arp_state_name(enum arp_state st)
{
	switch (st) {
	case ARP_INCOMPLETE: return "incomplete";
	case ARP_REACHABLE: return "reachable";
	case ARP_STALE: return "stale";
	case ARP_PROBE: return "probe";
	case ARP_STATIC: return "static";
	}
	return "?";
}

static int cmp_ip(const void *a, const void *b)
{
	uint32_t x = (*(const struct arp_entry *const *)a)->ip;
	uint32_t y = (*(const struct arp_entry *const *)b)->ip;
	return x < y ? -1 : x > y;
}

static void info_of(const struct arp_entry *e, struct arp_info *i)
{
	i->ip = e->ip;
	memcpy(i->mac, e->mac, 6);
	i->ifidx = e->ifidx;
	i->state = e->state;
	i->expires = timer_armed(&e->timer) ? e->timer.when : NB_TIME_NEVER;
	i->tries = e->tries;
	i->queued = e->qlen;
}

void arp_foreach(const struct nb_stack *s, arp_iter_fn fn, void *arg)
{
	const struct nb_arp *a = s->arp;
	const struct arp_entry **v = malloc((a->count ? a->count : 1) * sizeof(*v));
	size_t n = 0;
	struct arp_info info;
	for (unsigned i = 0; i < ARP_BUCKETS; i++)
		for (const struct arp_entry *e = a->b[i]; e; e = e->next) {
			if (v) {
				v[n++] = e;
				continue;
			}
			info_of(e, &info);      /* no memory: unsorted */
			fn(arg, &info);
		}
	if (!v)
		return;
	qsort(v, n, sizeof(*v), cmp_ip);
	for (size_t i = 0; i < n; i++) {
		info_of(v[i], &info);
		fn(arg, &info);
	}
	free(v);
}
