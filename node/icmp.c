/* icmp.c: echo, error generation with RFC 1122 3.2.2 suppression and a
 * token bucket, and error input dispatched to the sender (see icmp.h). */
#include "icmp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cksum.h"
#include "eth.h"
#include "ip_var.h"
#include "route.h"

#define ICMP_QUOTE_MAX (ICMP_ERROR_MAX - IP_HLEN_MIN - ICMP_HLEN)   /* 548 */
#define ICMP_ECHO_MAX (65535 - IP_HLEN_MIN - ICMP_HLEN)             /* 65507 */

struct echo_reg {
	struct echo_reg *next;
	uint16_t id;
	struct icmp_echo_handler h;
	void *arg;
};

struct nb_icmp {
	struct echo_reg *echo;
	uint16_t next_id;
	bool primed;            /* token bucket filled once */
	nb_time_t credit;       /* ns of sending time saved up */
	nb_time_t last;         /* when credit was last topped up */
};

int icmp_init(struct nb_stack *s)
{
	struct nb_icmp *ic = calloc(1, sizeof(*ic));
	if (!ic)
		return -ENOMEM;
	ic->next_id = (uint16_t)nb_rng_next(&s->rng);
	s->icmp = ic;
	return 0;
}

void icmp_free(struct nb_stack *s)
{
	struct nb_icmp *ic = s->icmp;
	if (!ic)
		return;
	while (ic->echo) {
		struct echo_reg *r = ic->echo;
		ic->echo = r->next;
		if (r->h.release)
			r->h.release(r->arg);
		free(r);
	}
	free(ic);
	s->icmp = NULL;
}

static struct echo_reg *echo_find(const struct nb_icmp *ic, uint16_t id)
{
	for (struct echo_reg *r = ic->echo; r; r = r->next)
		if (r->id == id)
			return r;
	return NULL;
}

/* ratelimit_ok: token bucket: one error costs 1s/rate of credit; credit
 * accrues with time up to `burst` errors' worth. */
static bool ratelimit_ok(struct nb_stack *s)
{
	struct nb_icmp *ic = s->icmp;
	uint64_t rate = s->params.icmp_ratelimit;
	if (!rate)
		return true;
	nb_time_t cost = NB_SEC(1) / rate, cap = cost * s->params.icmp_burst;
	if (!ic->primed) {
		ic->primed = true;
		ic->credit = cap;
		ic->last = s->now;
	}
	if (s->now > ic->last)
		ic->credit += s->now - ic->last;
	ic->last = s->now;
	if (ic->credit > cap)
		ic->credit = cap;
	if (ic->credit < cost)
		return false;
	ic->credit -= cost;
	return true;
}

/* quote_ok: pkt starts with something IPv4-shaped whose header fits. The
 * total length and checksum are not checked: quotes are truncated. */
static bool quote_ok(const uint8_t *pkt, size_t len)
{
	return pkt && len >= IP_HLEN_MIN && pkt[0] >> 4 == 4 && (pkt[0] & 15) >= 5 &&
	       (size_t)(pkt[0] & 15) * 4 <= len;
}

/* is_query: ICMP types that are not errors (RFC 792, RFC 950). */
static bool is_query(uint8_t type)
{
	return type == ICMP_ECHO || type == ICMP_ECHOREPLY || (type >= 13 && type <= 18);
}

int icmp_error(struct nb_stack *s, const uint8_t *pkt, size_t len, uint8_t type,
	       uint8_t code, uint32_t mtu)
{
	if (!quote_ok(pkt, len))
		return -EINVAL;
	size_t hlen = (size_t)(pkt[0] & 15) * 4;
	uint32_t src = nb_get32(pkt + 12), dst = nb_get32(pkt + 16);
	bool suppress = (nb_get16(pkt + 6) & IP_OFFMASK) ||           /* non-first fragment */
			!ip_unicast_ok(src) || ip_is_bcast(s, src) ||      /* not one host */
			ip_is_multicast(dst) || ip_is_bcast(s, dst) ||
			(pkt[9] == IP_PROTO_ICMP && (len <= hlen || !is_query(pkt[hlen])));
	if (suppress) {
		NB_COUNT(s, icmp_tx_suppressed);
		return 1;
	}
	if (!ratelimit_ok(s)) {
		NB_COUNT(s, icmp_tx_ratelimited);
		return 1;
	}
	uint8_t quote[ICMP_QUOTE_MAX];          /* pkt may live in the scratch pbuf */
	size_t qlen = NB_MIN(len, sizeof quote);
	memcpy(quote, pkt, qlen);

	struct pbuf *pb = s->scratch;
	pbuf_reset(pb);
	uint8_t *p = pbuf_put(pb, ICMP_HLEN + qlen);
	if (!p)
		return -ENOBUFS;
	memset(p, 0, ICMP_HLEN);
	p[0] = type;
	p[1] = code;
	if (type == ICMP_UNREACH && code == ICMP_UNREACH_NEEDFRAG)
		nb_put16(p + 6, (uint16_t)NB_MIN(mtu, 65535u));
	memcpy(p + ICMP_HLEN, quote, qlen);
	nb_put16(p + 2, cksum(p, ICMP_HLEN + qlen));
	int rc = ip_output(s, pb, 0, src, IP_PROTO_ICMP, NULL);
	if (rc)
		return rc;
	NB_COUNT(s, icmp_tx);
	if (type == ICMP_TIMXCEED)
		NB_COUNT(s, icmp_tx_time_exceeded);
	else if (type == ICMP_UNREACH)
		NB_COUNT(s, icmp_tx_unreach);
	if (type == ICMP_UNREACH && code == ICMP_UNREACH_NEEDFRAG)
		NB_COUNT(s, icmp_tx_frag_needed);
	return 0;
}

int icmp_error_meta(struct nb_stack *s, const struct ip_meta *ip, const uint8_t *l4,
		    size_t l4len, uint8_t type, uint8_t code)
{
	if (ip->rx_flags & NB_RX_L2_BCAST) {
		NB_COUNT(s, icmp_tx_suppressed);
		return 1;
	}
	if (!ip->hdr || ip->hlen < IP_HLEN_MIN || ip->hlen > 60)
		return -EINVAL;
	uint8_t quote[ICMP_QUOTE_MAX];
	size_t n = NB_MIN(l4len, sizeof quote - ip->hlen);
	memcpy(quote, ip->hdr, ip->hlen);
	if (n)
		memcpy(quote + ip->hlen, l4, n);
	return icmp_error(s, quote, ip->hlen + n, type, code, 0);
}

int icmp_send_port_unreach(struct nb_stack *s, const struct ip_meta *ip, const uint8_t *l4,
			   size_t l4len)
{
	return icmp_error_meta(s, ip, l4, l4len, ICMP_UNREACH, ICMP_UNREACH_PORT);
}

int icmp_errno(uint8_t type, uint8_t code)
{
	if (type == ICMP_TIMXCEED)
		return -EHOSTUNREACH;
	if (type == ICMP_PARAMPROB)
		return -EPROTO;
	if (type != ICMP_UNREACH)
		return 0;
	switch (code) {
	case ICMP_UNREACH_NET:
	case ICMP_UNREACH_NET_UNKNOWN:
	case ICMP_UNREACH_TOSNET: return -ENETUNREACH;
	case ICMP_UNREACH_PROTOCOL: return -ENOPROTOOPT;
	case ICMP_UNREACH_PORT: return -ECONNREFUSED;
	case ICMP_UNREACH_NEEDFRAG: return -EMSGSIZE;
	case ICMP_UNREACH_SRCFAIL: return -EOPNOTSUPP;
	case ICMP_UNREACH_NET_PROHIB:
	case ICMP_UNREACH_HOST_PROHIB:
	case ICMP_UNREACH_FILTER_PROHIB: return -EACCES;
	default: return -EHOSTUNREACH;
	}
}

void icmp_ctlinput(struct nb_stack *s, int err, uint32_t from, uint8_t type, uint8_t code,
		   const uint8_t *pkt, size_t len, uint32_t mtu)
{
	if (!quote_ok(pkt, len) || (nb_get16(pkt + 6) & IP_OFFMASK))
		return;                         /* no transport header to go by */
	size_t hlen = (size_t)(pkt[0] & 15) * 4;
	uint32_t src = nb_get32(pkt + 12), dst = nb_get32(pkt + 16);
	const uint8_t *l4 = pkt + hlen;
	size_t l4len = len - hlen;
	if (l4len < 8)
		return;
	switch (pkt[9]) {
	case IP_PROTO_TCP:
		tcp_ctlinput(s, err, src, dst, l4, l4len, mtu);
		break;
	case IP_PROTO_UDP:
		udp_ctlinput(s, err, src, dst, l4, l4len);
		break;
	case IP_PROTO_ICMP:
		if (l4[0] == ICMP_ECHO) {
			struct echo_reg *r = echo_find(s->icmp, nb_get16(l4 + 4));
			if (r && r->h.error)
				r->h.error(r->arg, err, from, type, code, nb_get16(l4 + 6));
		}
		break;
	}
}

/* plateau: RFC 1191 7: with no MTU in the message, the next plateau below
 * the length of the datagram that did not fit. */
static uint32_t plateau(uint32_t len)
{
	static const uint16_t p[] = {32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68};
	for (size_t i = 0; i < NB_ARRAY_LEN(p); i++)
		if (p[i] < len)
			return p[i];
	return 68;
}

/* error_input: an ICMP error about one of our datagrams (RFC 1122 3.2.2:
 * the quote holds its header and at least 8 bytes of its data). */
static void error_input(struct nb_stack *s, const struct ip_meta *ip, const uint8_t *p, size_t len)
{
	const uint8_t *q = p + ICMP_HLEN;
	size_t qlen = len - ICMP_HLEN;
	if (!quote_ok(q, qlen) || qlen < (size_t)(q[0] & 15) * 4 + 8 ||
	    !stack_is_local(s, nb_get32(q + 12))) {
		NB_COUNT(s, icmp_rx_bad_quote);
		return;
	}
	uint32_t qdst = nb_get32(q + 16), mtu = 0;
	if (p[0] == ICMP_UNREACH && p[1] == ICMP_UNREACH_NEEDFRAG) {   /* RFC 1191 */
		NB_COUNT(s, icmp_rx_frag_needed);
		uint32_t next_hop = nb_get16(p + 6);
		if (!next_hop)
			next_hop = plateau(nb_get16(q + 2));
		route_pmtu_update(s, qdst, next_hop);
		mtu = ip_path_mtu(s, qdst);
	}
	icmp_ctlinput(s, icmp_errno(p[0], p[1]), ip->src, p[0], p[1], q, qlen, mtu);
}

/* echo_reply: RFC 792 / RFC 1122 3.2.2.6: the same data back, from the
 * address the request was sent to. */
static void echo_reply(struct nb_stack *s, const struct ip_meta *ip, const uint8_t *p, size_t len)
{
	struct pbuf *pb = s->scratch;
	pbuf_reset(pb);
	uint8_t *r = pbuf_put(pb, len);
	memcpy(r, p, len);
	r[0] = ICMP_ECHOREPLY;
	r[1] = 0;
	nb_put16(r + 2, 0);
	nb_put16(r + 2, cksum(r, len));
	struct ip_tx_opts o = {.tos = ip->tos};
	if (ip_output(s, pb, ip->dst, ip->src, IP_PROTO_ICMP, &o) == 0) {
		NB_COUNT(s, icmp_tx);
		NB_COUNT(s, icmp_tx_echo_reply);
	}
}

void icmp_input(struct nb_stack *s, const struct ip_meta *ip, const uint8_t *p, size_t len)
{
	NB_COUNT(s, icmp_rx);
	if (len < ICMP_HLEN) {
		NB_COUNT(s, icmp_rx_short);
		return;
	}
	if (!(ip->rx_flags & NB_RX_CSUM_PARTIAL) && cksum(p, len) != 0) {
		NB_COUNT(s, icmp_rx_bad_cksum);
		return;
	}
	switch (p[0]) {
	case ICMP_ECHO:
		NB_COUNT(s, icmp_rx_echo_request);
		if ((ip->rx_flags & NB_RX_L2_BCAST) || ip_is_bcast(s, ip->dst) ||
		    ip_is_multicast(ip->dst) || !stack_is_local(s, ip->dst))
			NB_COUNT(s, icmp_rx_echo_bcast);   /* RFC 1122 3.2.2.6 MAY ignore */
		else
			echo_reply(s, ip, p, len);
		break;
	case ICMP_ECHOREPLY: {
		NB_COUNT(s, icmp_rx_echo_reply);
		struct echo_reg *r = echo_find(s->icmp, nb_get16(p + 4));
		if (r && r->h.reply)
			r->h.reply(r->arg, ip->src, nb_get16(p + 6), p + ICMP_HLEN, len - ICMP_HLEN, ip->ttl);
		else
			NB_COUNT(s, icmp_rx_echo_unmatched);
		break;
	}
	case ICMP_UNREACH:
		NB_COUNT(s, icmp_rx_unreach);
		error_input(s, ip, p, len);
		break;
	case ICMP_TIMXCEED:
		NB_COUNT(s, icmp_rx_time_exceeded);
		error_input(s, ip, p, len);
		break;
	case ICMP_PARAMPROB:
		NB_COUNT(s, icmp_rx_other);
		error_input(s, ip, p, len);
		break;
	default:                                /* source quench (RFC 6633), redirect ... */
		NB_COUNT(s, icmp_rx_other);
		break;
	}
}

int icmp_echo_register(struct nb_stack *s, const struct icmp_echo_handler *h, void *arg,
		       uint16_t *id)
{
	struct nb_icmp *ic = s->icmp;
	for (unsigned tries = 0; tries < 65536; tries++) {
		uint16_t cand = ic->next_id++;
		if (echo_find(ic, cand))
			continue;
		struct echo_reg *r = calloc(1, sizeof(*r));
		if (!r)
			return -ENOMEM;
		r->id = cand;
		r->h = *h;
		r->arg = arg;
		r->next = ic->echo;
		ic->echo = r;
		*id = cand;
		return 0;
	}
	return -EAGAIN;
}

void *icmp_echo_lookup(const struct nb_stack *s, uint16_t id, const struct icmp_echo_handler *h)
{
	const struct echo_reg *r = echo_find(s->icmp, id);
	if (!r || r->h.reply != h->reply || r->h.error != h->error || r->h.release != h->release)
		return NULL;
	return r->arg;
}

void icmp_echo_unregister(struct nb_stack *s, uint16_t id)
{
	for (struct echo_reg **pp = &s->icmp->echo; *pp; pp = &(*pp)->next)
		if ((*pp)->id == id) {
			struct echo_reg *r = *pp;
			*pp = r->next;
			free(r);
			return;
		}
}

int icmp_echo_send(struct nb_stack *s, uint32_t dst, uint16_t id, uint16_t seq,
		   const uint8_t *data, size_t len, uint8_t ttl)
{
	if (len > ICMP_ECHO_MAX)
		return -EMSGSIZE;
	struct pbuf *pb = s->scratch;
	pbuf_reset(pb);
	uint8_t *p = pbuf_put(pb, ICMP_HLEN + len);
	p[0] = ICMP_ECHO;
	p[1] = 0;
	nb_put16(p + 2, 0);
	nb_put16(p + 4, id);
	nb_put16(p + 6, seq);
	if (len)
		memcpy(p + ICMP_HLEN, data, len);
	nb_put16(p + 2, cksum(p, ICMP_HLEN + len));
	struct ip_tx_opts o = {.ttl = ttl};
	int rc = ip_output(s, pb, 0, dst, IP_PROTO_ICMP, &o);
	if (rc == 0) {
		NB_COUNT(s, icmp_tx);
		NB_COUNT(s, icmp_tx_echo_request);
	}
	return rc;
}
