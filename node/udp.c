/* udp.c: UDP input, output, demultiplexing and pcbs (see udp.h). */
#include "udp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cksum.h"
#include "icmp.h"

/* udp_init: empty pcb list; the ephemeral scan starts at a port drawn from
 * the stack's rng. 0 or -ENOMEM. */
int udp_init(struct nb_stack *s)
{
	struct nb_udp *u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->next_ephemeral = (uint16_t)(UDP_EPHEMERAL_LO +
				       nb_rng_next(&s->rng) % (UDP_EPHEMERAL_HI - UDP_EPHEMERAL_LO + 1));
	s->udp = u;
	return 0;
}

/* rq_flush: frees every queued datagram of pcb. */
static void rq_flush(struct udp_pcb *pcb)
{
	struct udp_dgram *d = pcb->rq_head;
	while (d) {
		struct udp_dgram *next = d->next;
		free(d);
		d = next;
	}
	pcb->rq_head = pcb->rq_tail = NULL;
	pcb->rq_bytes = pcb->rq_count = 0;
}

/* udp_free: frees every pcb and the module state. */
void udp_free(struct nb_stack *s)
{
	if (!s->udp)
		return;
	struct udp_pcb *pcb = s->udp->pcbs;
	while (pcb) {
		struct udp_pcb *next = pcb->next;
		rq_flush(pcb);
		free(pcb);
		pcb = next;
	}
	free(s->udp);
	s->udp = NULL;
}

/* udp_hdr_ok: the header fits and its Length lies in [8, len]. */
bool udp_hdr_ok(const uint8_t *p, size_t len)
{
	if (len < UDP_HLEN)
		return false;
	uint16_t ulen = nb_get16(p + 4);
	return ulen >= UDP_HLEN && ulen <= len;
}

/* udp_new: an unbound pcb at the head of the list; NULL if out of memory. */
struct udp_pcb *udp_new(struct nb_stack *s, void *owner, udp_notify_fn notify, const char *app)
{
	struct udp_pcb *pcb = calloc(1, sizeof(*pcb));
	if (!pcb)
		return NULL;
	pcb->stack = s;
	pcb->owner = owner;
	pcb->notify = notify;
	snprintf(pcb->app, sizeof(pcb->app), "%s", app ? app : "");
	pcb->rcvbuf = (size_t)s->params.udp_rcvbuf;
	pcb->next = s->udp->pcbs;
	s->udp->pcbs = pcb;
	return pcb;
}

/* port_conflict: true if binding (laddr, lport) for pcb would collide with
 * another bound pcb: same port, overlapping addresses, not both reuse. */
static bool port_conflict(struct nb_stack *s, const struct udp_pcb *pcb, uint32_t laddr, uint16_t lport)
{
	for (struct udp_pcb *p = s->udp->pcbs; p; p = p->next) {
		if (p == pcb || p->lport != lport)
			continue;
		if (p->laddr && laddr && p->laddr != laddr)
			continue;
		if (p->reuse && pcb->reuse)
			continue;
		return true;
	}
	return false;
}

/* port_used: true if any pcb holds lport, whatever its address. */
static bool port_used(struct nb_stack *s, uint16_t lport)
{
	for (struct udp_pcb *p = s->udp->pcbs; p; p = p->next)
		if (p->lport == lport)
			return true;
	return false;
}

/* ephemeral: a free port in 49152..65535, scanning upwards from a start
 * chosen at init from the stack's rng (so runs replay); 0 if all are taken. */
static uint16_t ephemeral(struct nb_stack *s)
{
	const unsigned span = UDP_EPHEMERAL_HI - UDP_EPHEMERAL_LO + 1;
	unsigned start = s->udp->next_ephemeral - UDP_EPHEMERAL_LO;
	for (unsigned i = 0; i < span; i++) {
		uint16_t port = (uint16_t)(UDP_EPHEMERAL_LO + (start + i) % span);
		if (!port_used(s, port)) {
			s->udp->next_ephemeral = (uint16_t)(UDP_EPHEMERAL_LO + (start + i + 1) % span);
			return port;
		}
	}
	return 0;
}

/* udp_bind: see udp.h for the rules and errors. */
int udp_bind(struct udp_pcb *pcb, uint32_t laddr, uint16_t lport)
{
	struct nb_stack *s = pcb->stack;
	if (pcb->lport)
		return -EINVAL;
	if (laddr && !stack_is_local(s, laddr))
		return -EADDRNOTAVAIL;
	if (lport == 0) {
		lport = ephemeral(s);
		if (!lport)
			return -EAGAIN;
	} else if (port_conflict(s, pcb, laddr, lport)) {
		return -EADDRINUSE;
	}
	pcb->laddr = laddr;
	pcb->lport = lport;
	return 0;
}

/* udp_connect: sets or dissolves the default peer (see udp.h). */
int udp_connect(struct udp_pcb *pcb, uint32_t faddr, uint16_t fport)
{
	if (faddr == 0) {
		pcb->connected = false;
		pcb->faddr = 0;
		pcb->fport = 0;
		return 0;
	}
	if (fport == 0)
		return -EINVAL;
	uint32_t src = pcb->laddr;
	if (!src) {
		src = ip_source_for(pcb->stack, faddr);
		if (!src)
			return -ENETUNREACH;
	}
	if (!pcb->lport) {
		int rc = udp_bind(pcb, 0, 0);
		if (rc)
			return rc;
	}
	pcb->laddr = src;
	pcb->faddr = faddr;
	pcb->fport = fport;
	pcb->connected = true;
	pcb->soerror = 0;
	return 0;
}

/* take_error: the pending error, cleared. */
static int take_error(struct udp_pcb *pcb)
{
	int err = pcb->soerror;
	pcb->soerror = 0;
	return err;
}

/* udp_sendto: builds header and checksum in s->scratch and hands the
 * datagram to IP (see udp.h for the results). */
ssize_t udp_sendto(struct udp_pcb *pcb, const void *buf, size_t len, uint32_t faddr, uint16_t fport)
{
	struct nb_stack *s = pcb->stack;
	if (pcb->soerror)
		return take_error(pcb);
	if (faddr == 0 && fport == 0) {
		if (!pcb->connected)
			return -EDESTADDRREQ;
		faddr = pcb->faddr;
		fport = pcb->fport;
	}
	if (faddr == 0 || fport == 0)
		return -EINVAL;
	if (len > UDP_PAYLOAD_MAX)
		return -EMSGSIZE;
	uint32_t src = pcb->laddr;
	if (!src) {
		src = ip_source_for(s, faddr);
		if (!src) {
			NB_COUNT(s, udp_tx_errors);
			return -ENETUNREACH;
		}
	}
	if (!pcb->lport) {
		int rc = udp_bind(pcb, 0, 0);
		if (rc)
			return rc;
	}

	struct pbuf *pb = s->scratch;
	pbuf_reset(pb);
	uint8_t *h = pbuf_put(pb, UDP_HLEN + len);
	if (!h)
		return -EMSGSIZE;
	uint16_t ulen = (uint16_t)(UDP_HLEN + len);
	nb_put16(h, pcb->lport);
	nb_put16(h + 2, fport);
	nb_put16(h + 4, ulen);
	nb_put16(h + 6, 0);
	if (len)
		memcpy(h + UDP_HLEN, buf, len);
	uint16_t sum = cksum_fold(cksum_partial(h, ulen, cksum_pseudo(src, faddr, IP_PROTO_UDP, ulen)));
	nb_put16(h + 6, sum ? sum : 0xffff);

	int rc = ip_output(s, pb, src, faddr, IP_PROTO_UDP, NULL);
	if (rc == -ENOBUFS) {           /* queued behind ARP and the queue was full: a drop */
		NB_COUNT(s, udp_tx_errors);
		return (ssize_t)len;
	}
	if (rc < 0) {
		NB_COUNT(s, udp_tx_errors);
		return rc;
	}
	NB_COUNT(s, udp_tx);
	pcb->tx_dgrams++;
	pcb->tx_bytes += len;
	return (ssize_t)len;
}

/* udp_recvfrom: dequeues one datagram (see udp.h). */
ssize_t udp_recvfrom(struct udp_pcb *pcb, void *buf, size_t len, uint32_t *faddr, uint16_t *fport)
{
	if (pcb->soerror)
		return take_error(pcb);
	struct udp_dgram *d = pcb->rq_head;
	if (!d)
		return -EAGAIN;
	pcb->rq_head = d->next;
	if (!pcb->rq_head)
		pcb->rq_tail = NULL;
	pcb->rq_bytes -= d->len;
	pcb->rq_count--;
	size_t n = NB_MIN(len, d->len);
	if (n)
		memcpy(buf, d->data, n);
	if (faddr)
		*faddr = d->src;
	if (fport)
		*fport = d->sport;
	free(d);
	return (ssize_t)n;
}

/* udp_recvq: payload bytes queued. */
size_t udp_recvq(const struct udp_pcb *pcb) { return pcb->rq_bytes; }

/* udp_next_len: size of the oldest queued datagram, -1 if none. */
ssize_t udp_next_len(const struct udp_pcb *pcb) { return pcb->rq_head ? (ssize_t)pcb->rq_head->len : -1; }

/* udp_close: unlinks and frees pcb with its queue. */
void udp_close(struct udp_pcb *pcb)
{
	struct udp_pcb **pp = &pcb->stack->udp->pcbs;
	while (*pp && *pp != pcb)
		pp = &(*pp)->next;
	if (*pp)
		*pp = pcb->next;
	rq_flush(pcb);
	free(pcb);
}

/* udp_foreach: fn(pcb, arg) for every pcb, newest first. */
void udp_foreach(struct nb_stack *s, void (*fn)(struct udp_pcb *pcb, void *arg), void *arg)
{
	for (struct udp_pcb *p = s->udp->pcbs; p; p = p->next)
		fn(p, arg);
}

/* lookup: the most specific pcb for a datagram src:sport -> dst:dport. */
static struct udp_pcb *lookup(struct nb_stack *s, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport)
{
	struct udp_pcb *best = NULL;
	int best_score = -1;
	for (struct udp_pcb *p = s->udp->pcbs; p; p = p->next) {
		if (p->lport != dport)
			continue;
		if (p->laddr && p->laddr != dst)
			continue;
		int score = p->laddr ? 1 : 0;
		if (p->connected) {
			if (p->faddr != src || p->fport != sport)
				continue;
			score += 2;
		}
		if (score > best_score) {
			best = p;
			best_score = score;
		}
	}
	return best;
}

/* udp_input: validates length and checksum (RFC 768; 0 = none; not
 * verified for NB_RX_CSUM_PARTIAL), demultiplexes and queues the datagram;
 * every drop is counted under its reason. */
void udp_input(struct nb_stack *s, const struct ip_meta *ip, const uint8_t *p, size_t len)
{
	NB_COUNT(s, udp_rx);
	if (len < UDP_HLEN) {
		NB_COUNT(s, udp_rx_short);
		return;
	}
	if (!udp_hdr_ok(p, len)) {
		NB_COUNT(s, udp_rx_bad_len);
		return;
	}
	uint16_t ulen = nb_get16(p + 4);
	if (nb_get16(p + 6) != 0 && !(ip->rx_flags & NB_RX_CSUM_PARTIAL) &&
	    cksum_fold(cksum_partial(p, ulen, cksum_pseudo(ip->src, ip->dst, IP_PROTO_UDP, ulen))) != 0) {
		NB_COUNT(s, udp_rx_bad_cksum);
		return;
	}
	uint16_t sport = nb_get16(p), dport = nb_get16(p + 2);
	struct udp_pcb *pcb = lookup(s, ip->src, sport, ip->dst, dport);
	if (!pcb) {
		NB_COUNT(s, udp_no_port);
		/* RFC 1122 4.1.3.1: port unreachable, but never about a broadcast */
		if (stack_is_local(s, ip->dst))
			icmp_send_port_unreach(s, ip, p, len);
		return;
	}
	size_t plen = ulen - UDP_HLEN;
	if (pcb->rq_bytes + plen > pcb->rcvbuf) {
		NB_COUNT(s, udp_rcvbuf_dropped);
		pcb->rx_dropped++;
		return;
	}
	struct udp_dgram *d = malloc(sizeof(*d) + plen);
	if (!d) {
		NB_COUNT(s, udp_rcvbuf_dropped);
		pcb->rx_dropped++;
		return;
	}
	d->next = NULL;
	d->src = ip->src;
	d->dst = ip->dst;
	d->sport = sport;
	d->len = plen;
	memcpy(d->data, p + UDP_HLEN, plen);
	if (pcb->rq_tail)
		pcb->rq_tail->next = d;
	else
		pcb->rq_head = d;
	pcb->rq_tail = d;
	pcb->rq_bytes += plen;
	pcb->rq_count++;
	pcb->rx_dgrams++;
	pcb->rx_bytes += plen;
	if (pcb->notify)
		pcb->notify(pcb->owner, pcb);
}

/* udp_ctlinput: an ICMP error about a datagram we sent becomes the pending
 * error of the pcb connected to that peer (none for EMSGSIZE: no DF on UDP). */
void udp_ctlinput(struct nb_stack *s, int err, uint32_t src, uint32_t dst, const uint8_t *l4, size_t l4len)
{
	if (l4len < 4 || err == -EMSGSIZE)   /* we never set DF on UDP */
		return;
	uint16_t sport = nb_get16(l4), dport = nb_get16(l4 + 2);
	for (struct udp_pcb *p = s->udp->pcbs; p; p = p->next) {
		if (p->lport != sport || !p->connected || p->faddr != dst || p->fport != dport)
			continue;
		if (p->laddr && p->laddr != src)
			continue;
		p->soerror = err;
		if (p->notify)
			p->notify(p->owner, p);
		return;
	}
}
