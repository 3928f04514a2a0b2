/* eth.c: Ethernet II input filtering and output framing (see eth.h). */
#include "eth.h"

#include <errno.h>
#include <string.h>

#include "arp.h"
#include "ip.h"

const uint8_t eth_broadcast[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

bool eth_hdr_ok(const uint8_t *frame, size_t len) { return frame && len >= NB_ETH_HLEN; }

int eth_parse(const uint8_t *frame, size_t len, struct eth_hdr *h)
{
	if (!eth_hdr_ok(frame, len))
		return -EINVAL;
	h->dst = frame;
	h->src = frame + 6;
	h->type = nb_get16(frame + 12);
	h->payload = frame + NB_ETH_HLEN;
	h->plen = len - NB_ETH_HLEN;
	return 0;
}

uint8_t *eth_build(uint8_t *p, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memcpy(p, dst, ETH_ALEN);
	memcpy(p + 6, src, ETH_ALEN);
	nb_put16(p + 12, type);
	return p + NB_ETH_HLEN;
}

/* eth_input: filter on link state, length, destination, source and type,
 * in that order, so each drop is counted under its first reason. */
void eth_input(struct nb_stack *s, int ifidx, const uint8_t *frame, size_t len, unsigned flags)
{
	if (ifidx < 0 || ifidx >= s->nifs) {
		NB_COUNT(s, eth_rx_iface_down);
		return;
	}
	const struct nb_iface *ifp = &s->ifs[ifidx];
	NB_COUNT(s, eth_rx_frames);
	s->stats.eth_rx_bytes += len;
	if (!ifp->up) {
		NB_COUNT(s, eth_rx_iface_down);
		return;
	}
	struct eth_hdr h;
	if (eth_parse(frame, len, &h)) {
		NB_COUNT(s, eth_rx_short);
		return;
	}
	flags &= ~(unsigned)NB_RX_L2_BCAST;
	if (eth_is_broadcast(h.dst))
		flags |= NB_RX_L2_BCAST;
	else if (memcmp(h.dst, ifp->mac, ETH_ALEN)) {
		NB_COUNT(s, eth_rx_not_for_us);   /* other unicast, multicast */
		return;
	}
	if (eth_is_multicast(h.src) || eth_is_zero(h.src)) {
		NB_COUNT(s, eth_rx_bad_src);
		return;
	}
	switch (h.type) {
	case ETH_TYPE_IP:
		ip_input(s, ifidx, h.payload, h.plen, flags);
		break;
	case ETH_TYPE_ARP:
		arp_input(s, ifidx, h.payload, h.plen);
		break;
	case ETH_TYPE_VLAN:
	case ETH_TYPE_QINQ:
	case ETH_TYPE_VLAN_OLD:
		NB_COUNT(s, eth_rx_vlan);
		break;
	default:
		NB_COUNT(s, eth_rx_unknown_type);   /* IPv6, LLDP, 802.3 lengths ... */
		break;
	}
}

int eth_tx_frame(struct nb_stack *s, int ifidx, const uint8_t *frame, size_t len)
{
	if (ifidx < 0 || ifidx >= s->nifs || len < NB_ETH_HLEN || len > NB_ETH_FRAME_MAX) {
		NB_COUNT(s, eth_tx_errors);
		return -EINVAL;
	}
	if (!s->ifs[ifidx].up) {
		NB_COUNT(s, eth_tx_iface_down);
		return -ENETDOWN;
	}
	NB_COUNT(s, eth_tx_frames);
	s->stats.eth_tx_bytes += len;
	s->io->tx(s->io_ctx, ifidx, frame, len);
	return 0;
}

int eth_output(struct nb_stack *s, int ifidx, const uint8_t dst[6], uint16_t type,
	       uint8_t *pkt, size_t len)
{
	if (ifidx < 0 || ifidx >= s->nifs) {
		NB_COUNT(s, eth_tx_errors);
		return -EINVAL;
	}
	uint8_t *frame = pkt - NB_ETH_HLEN;
	eth_build(frame, dst, s->ifs[ifidx].mac, type);
	return eth_tx_frame(s, ifidx, frame, len + NB_ETH_HLEN);
}
