/* ip_input.c: IPv4 header validation, local delivery and forwarding
 * (RFC 791, RFC 1122 3.2.1, RFC 1812 5.2 and 5.3). */
#include "ip_var.h"

#include <errno.h>
#include <string.h>

#include "cksum.h"
#include "eth.h"
#include "icmp.h"
#include "route.h"

bool ip_is_bcast(const struct nb_stack *s, uint32_t a)
{
	if (a == UINT32_MAX)
		return true;
	for (int i = 0; i < s->nifs; i++)
		if (ip_iface_bcast(&s->ifs[i]) == a)
			return true;
	return false;
}

enum ip_hdr_verdict ip_hdr_check(const uint8_t *pkt, size_t len)
{
	if (!pkt || len < IP_HLEN_MIN)
		return IP_HDR_SHORT;
	if (pkt[0] >> 4 != 4)
		return IP_HDR_BAD_VERSION;
	size_t hlen = (size_t)(pkt[0] & 15) * 4;
	if (hlen < IP_HLEN_MIN || hlen > len)
		return IP_HDR_BAD_HLEN;
	size_t tot = nb_get16(pkt + 2);
	if (tot < hlen || tot > len)
		return IP_HDR_BAD_LEN;
	if (cksum(pkt, hlen) != 0)
		return IP_HDR_BAD_CKSUM;
	return IP_HDR_OK;
}

bool ip_hdr_ok(const uint8_t *pkt, size_t len) { return ip_hdr_check(pkt, len) == IP_HDR_OK; }

/* ip_options_ok: RFC 791 3.1 option format: type 0 (end of list) and 1
 * (no-operation) are one byte; every other option carries its length. */
bool ip_options_ok(const uint8_t *h, size_t hlen)
{
	size_t i = IP_HLEN_MIN;
	while (i < hlen) {
		uint8_t type = h[i];
		if (type == 0)
			break;
		if (type == 1) {
			i++;
			continue;
		}
		if (i + 1 >= hlen)
			return false;
		size_t olen = h[i + 1];
		if (olen < 2 || i + olen > hlen)
			return false;
		i += olen;
	}
	return true;
}

void ip_local_deliver(struct nb_stack *s, int ifidx, const uint8_t *pkt, size_t len,
		      unsigned rx_flags)
{
	size_t hlen = (size_t)(pkt[0] & 15) * 4;
	struct ip_meta m = {
		.src = nb_get32(pkt + 12),
		.dst = nb_get32(pkt + 16),
		.proto = pkt[9],
		.tos = pkt[1],
		.ttl = pkt[8],
		.id = nb_get16(pkt + 4),
		.df = (nb_get16(pkt + 6) & IP_FLAG_DF) != 0,
		.ifidx = ifidx,
		.rx_flags = rx_flags,
		.hdr = pkt,
		.hlen = hlen,
	};
	const uint8_t *p = pkt + hlen;
	size_t plen = len - hlen;
	switch (m.proto) {
	case IP_PROTO_ICMP:
		NB_COUNT(s, ip_delivered);
		icmp_input(s, &m, p, plen);
		break;
	case IP_PROTO_TCP:
		NB_COUNT(s, ip_delivered);
		tcp_input(s, &m, p, plen);
		break;
	case IP_PROTO_UDP:
		NB_COUNT(s, ip_delivered);
		udp_input(s, &m, p, plen);
		break;
	default:                                 /* RFC 1122 3.2.2.1 */
		NB_COUNT(s, ip_rx_unknown_proto);
		icmp_error_meta(s, &m, p, plen, ICMP_UNREACH, ICMP_UNREACH_PROTOCOL);
		break;
	}
}

/* dec_ttl: TTL minus one with the checksum updated incrementally
 * (RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')). */
static void dec_ttl(uint8_t *h)
{
	uint16_t m = nb_get16(h + 8);
	h[8]--;
	uint16_t m2 = nb_get16(h + 8);
	uint32_t sum = (uint32_t)(uint16_t)~nb_get16(h + 10) + (uint16_t)~m + m2;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	nb_put16(h + 10, (uint16_t)~sum);
}

/* ip_forward: RFC 1812 5.2/5.3: TTL, route, MTU, in that order; each
 * failure answered with its ICMP error (which icmp_error may suppress). */
static void ip_forward(struct nb_stack *s, const uint8_t *pkt, size_t len)
{
	uint32_t dst = nb_get32(pkt + 16);
	if (pkt[8] <= 1) {
		NB_COUNT(s, ip_ttl_exceeded);
		icmp_error(s, pkt, len, ICMP_TIMXCEED, ICMP_TIMXCEED_INTRANS, 0);
		return;
	}
	int oif;
	uint32_t nexthop;
	if (route_lookup(s, dst, &oif, &nexthop)) {
		NB_COUNT(s, ip_no_route);
		icmp_error(s, pkt, len, ICMP_UNREACH, ICMP_UNREACH_NET, 0);
		return;
	}
	if (dst == ip_iface_bcast(&s->ifs[oif])) { /* no directed broadcasts (RFC 2644) */
		NB_COUNT(s, ip_rx_not_for_us);
		return;
	}
	uint32_t mtu = s->ifs[oif].mtu;
	if (len > mtu && (nb_get16(pkt + 6) & IP_FLAG_DF)) {
		NB_COUNT(s, ip_frag_needed);
		icmp_error(s, pkt, len, ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG, mtu);
		return;
	}
	struct pbuf *pb = s->scratch;
	pbuf_reset(pb);
	uint8_t *h = pbuf_put(pb, len);
	memcpy(h, pkt, len);
	dec_ttl(h);
	int rc = ip_transmit(s, h, len, oif, nexthop, mtu);
	if (rc && rc != -ENOBUFS)
		NB_COUNT(s, ip_tx_errors);
	else if (!rc)
		NB_COUNT(s, ip_forwarded);
}

void ip_input(struct nb_stack *s, int ifidx, const uint8_t *pkt, size_t len, unsigned rx_flags)
{
	NB_COUNT(s, ip_rx);
	switch (ip_hdr_check(pkt, len)) {
	case IP_HDR_OK: break;
	case IP_HDR_SHORT: NB_COUNT(s, ip_rx_short); return;
	case IP_HDR_BAD_VERSION: NB_COUNT(s, ip_rx_bad_version); return;
	case IP_HDR_BAD_HLEN: NB_COUNT(s, ip_rx_bad_hlen); return;
	case IP_HDR_BAD_LEN: NB_COUNT(s, ip_rx_bad_len); return;
	case IP_HDR_BAD_CKSUM: NB_COUNT(s, ip_rx_bad_cksum); return;
	}
	if (ifidx < 0 || ifidx >= s->nifs)
		return;
	size_t hlen = (size_t)(pkt[0] & 15) * 4;
	len = nb_get16(pkt + 2);                /* drop link-layer padding */
	if (hlen > IP_HLEN_MIN && !ip_options_ok(pkt, hlen)) {
		NB_COUNT(s, ip_rx_bad_options);
		return;
	}
	uint32_t src = nb_get32(pkt + 12), dst = nb_get32(pkt + 16);
	/* RFC 1122 3.2.1.3 / RFC 1812 5.3.7: martian sources. */
	if (!ip_unicast_ok(src) || ip_is_bcast(s, src) || stack_is_local(s, src)) {
		NB_COUNT(s, ip_rx_bad_src);
		return;
	}
	bool l2_bcast = rx_flags & NB_RX_L2_BCAST;
	bool bcast = dst == UINT32_MAX || dst == ip_iface_bcast(&s->ifs[ifidx]);
	if (bcast || (stack_is_local(s, dst) && !l2_bcast)) {  /* RFC 1122 3.3.6 */
		if (nb_get16(pkt + 6) & (IP_FLAG_MF | IP_OFFMASK))
			ip_reass_input(s, ifidx, pkt, len, rx_flags);
		else
			ip_local_deliver(s, ifidx, pkt, len, rx_flags);
		return;
	}
	if (!s->params.ip_forward || l2_bcast || !ip_unicast_ok(dst) || ip_is_bcast(s, dst) ||
	    stack_is_local(s, dst)) {
		NB_COUNT(s, ip_rx_not_for_us);
		return;
	}
	ip_forward(s, pkt, len);
}
