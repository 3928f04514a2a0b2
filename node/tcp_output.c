/* tcp_output.c: deciding what and when to send, and building segments.
 *
 * tcp_output() is called whenever something may have become sendable (new
 * data, an ACK that opened the window, a timer). It loops, sending one
 * segment per pass, until nothing more should go:
 *   - SYN or SYN-ACK while the handshake's SYN is unsent (or must be resent);
 *   - data, at most one MSS per segment less the options that segment carries
 *     (RFC 9293 3.7.1, RFC 6691), within min(SND.WND, cwnd);
 *   - small segments only as the Nagle algorithm (RFC 896, RFC 9293 3.7.4)
 *     and sender silly window avoidance (RFC 9293 3.8.6.2.1) allow;
 *   - FIN after the last byte once the application shut down writing;
 *   - a pure ACK when one is owed, or a window update worth announcing
 *     (receiver SWS avoidance, RFC 9293 3.8.6.2.2).
 * If data waits and no timer will bring us back, the persist timer starts
 * (RFC 9293 3.8.6.1).
 */
#include "tcp_var.h"

#include "cksum.h"

#include <errno.h>
#include <stdlib.h>

/* tcp_mss_for: the MSS we announce towards faddr: path MTU - 40 (IPv4 and
 * TCP fixed headers, RFC 9293 3.7.1, RFC 6691). */
uint16_t tcp_mss_for(struct nb_stack *s, uint32_t faddr)
{
	uint32_t mtu = ip_path_mtu(s, faddr);
	if (mtu == 0)
		mtu = 576;
	uint32_t mss = mtu > 40 + TCP_MIN_MSS ? mtu - 40 : TCP_MIN_MSS;
	return (uint16_t)NB_MIN(mss, 65495u);
}

/* tcp_maxseg: data bytes in a full-sized segment: the effective MSS less the
 * timestamp option every segment carries once negotiated. */
uint32_t tcp_maxseg(const struct tcp_pcb *pcb)
{
	uint32_t m = pcb->mss;
	if (pcb->ts_ok)
		m -= TCPOLEN_TS_ALIGNED;
	return m;
}

/* tcp_wscale_for: RFC 7323 2.2: the smallest shift that lets a 16-bit
 * window field cover the whole receive buffer, at most 14. */
uint8_t tcp_wscale_for(size_t rcvbuf)
{
	uint8_t sh = 0;
	while (sh < TCP_MAX_WSCALE && (rcvbuf >> sh) > TCP_MAXWIN)
		sh++;
	return sh;
}

/* tcp_rcv_space: free bytes in the receive buffer (out-of-order bytes sit
 * inside the window already offered, so they do not reduce it). */
uint32_t tcp_rcv_space(const struct tcp_pcb *pcb)
{
	size_t used = pcb->rcvbuf.len;
	return used >= pcb->rcvbuf_cap ? 0 : (uint32_t)(pcb->rcvbuf_cap - used);
}

/* The window we would offer now, in bytes, following RFC 9293 3.8.6.2.2:
 * the right edge moves only by at least min(RCV.BUFF/2, Eff.snd.MSS) (the
 * connection's MSS) and never back (RFC 9293 3.8.6). */
static uint32_t rcv_window_calc(const struct tcp_pcb *pcb, uint32_t *cur_out)
{
	uint32_t cur = SEQ_GT(pcb->rcv_adv, pcb->rcv_nxt) ? pcb->rcv_adv - pcb->rcv_nxt : 0;
	uint32_t win = NB_MIN(tcp_rcv_space(pcb), (uint32_t)TCP_MAXWIN << pcb->rcv_wscale);
	uint32_t step = NB_MIN((uint32_t)(pcb->rcvbuf_cap / 2), (uint32_t)pcb->mss);
	if (win < cur || win - cur < step)
		win = cur;
	*cur_out = cur;
	return win;
}

/* The window field of our next segment; records the edge we promise. */
static uint16_t window_field(struct tcp_pcb *pcb, bool syn)
{
	if (syn) {
		/* RFC 7323 2.2: the window in a SYN is never scaled. */
		uint32_t w = NB_MIN(tcp_rcv_space(pcb), (uint32_t)TCP_MAXWIN);
		pcb->rcv_adv = pcb->rcv_nxt + w;
		pcb->rcv_wnd = w;
		pcb->syn_wnd_capped = true;
		return (uint16_t)w;
	}
	pcb->syn_wnd_capped = false;
	/* Scaling truncates: the edge the peer sees may fall short of the one
	 * we promised by less than one unit (RFC 7323 2.4); we keep accepting
	 * up to the promise (rcv_adv never moves back), and rounding down
	 * keeps the promise within the buffer. */
	uint32_t cur, win = rcv_window_calc(pcb, &cur);
	uint8_t sh = pcb->rcv_wscale;
	uint32_t field = win >> sh;
	if (field > TCP_MAXWIN)
		field = TCP_MAXWIN;
	uint32_t edge = pcb->rcv_nxt + (field << sh);
	if (SEQ_GT(edge, pcb->rcv_adv))
		pcb->rcv_adv = edge;
	pcb->rcv_wnd = pcb->rcv_adv - pcb->rcv_nxt;
	return (uint16_t)field;
}

/* Worth a window update on its own: the edge would move by two segments or
 * half the buffer (as the BSDs do), or a (nearly) closed window reopens. */
static bool window_update_due(const struct tcp_pcb *pcb)
{
	/* Only the SYN's unscaled 16 bits held the window back: the next
	 * segment we send anyway carries the real one (no extra ACK per
	 * connection). */
	if (pcb->syn_wnd_capped)
		return false;
	uint32_t cur, win = rcv_window_calc(pcb, &cur);
	if (win <= cur)
		return false;
	uint32_t inc = win - cur;
	if (inc >= 2u * pcb->mss || 2 * (size_t)inc >= pcb->rcvbuf_cap)
		return true;
	return cur < pcb->mss;
}

static struct pbuf *txbuf_get(struct nb_stack *s)
{
	struct nb_tcp *t = s->tcp;
	if (!t->tx_busy) {
		t->tx_busy = true;
		return t->txbuf;
	}
	return malloc(sizeof(struct pbuf));   /* nested output (rare) */
}

static void txbuf_put(struct nb_stack *s, struct pbuf *pb)
{
	if (pb == s->tcp->txbuf)
		s->tcp->tx_busy = false;
	else
		free(pb);
}

/* Fills the fixed header and checksum of the segment at h (hlen header and
 * options already in place, then len bytes of data) and hands it to IP with
 * DF set (PMTU discovery, RFC 1191). */
static int send_segment(struct nb_stack *s, struct pbuf *pb, uint32_t laddr, uint32_t faddr)
{
	uint8_t *h = pb->data;
	size_t tlen = pb->len;
	nb_put16(h + 16, 0);
	uint32_t sum = cksum_pseudo(laddr, faddr, IP_PROTO_TCP, (uint16_t)tlen);
	nb_put16(h + 16, cksum_fold(cksum_partial(h, tlen, sum)));
	NB_COUNT(s, tcp_tx_segments);
	struct ip_tx_opts o = {.df = true};
	return ip_output(s, pb, laddr, faddr, IP_PROTO_TCP, &o);
}

/* tcp_emit: builds and sends one segment of pcb: sequence seq, len bytes of
 * the send buffer from seq, the given flags, our options and window. */
static int tcp_emit(struct tcp_pcb *pcb, uint32_t seq, uint32_t len, uint8_t flags)
{
	struct nb_stack *s = pcb->stack;
	struct pbuf *pb = txbuf_get(s);
	if (!pb)
		return -ENOMEM;
	pbuf_reset(pb);
	uint8_t opt[40];
	bool syn = flags & TCP_SYN;
	size_t optlen = syn ? tcp_opts_build_syn(pcb, flags & TCP_ACK, opt)
			    : tcp_opts_build(pcb, flags & TCP_ACK, opt);
	size_t hlen = TCP_HLEN_MIN + optlen;
	uint8_t *h = pbuf_put(pb, hlen + len);
	nb_put16(h, pcb->lport);
	nb_put16(h + 2, pcb->fport);
	nb_put32(h + 4, seq);
	nb_put32(h + 8, (flags & TCP_ACK) ? pcb->rcv_nxt : 0);
	h[12] = (uint8_t)((hlen / 4) << 4);
	h[13] = flags;
	nb_put16(h + 14, window_field(pcb, syn));
	nb_put16(h + 18, 0);
	for (size_t i = 0; i < optlen; i++)
		h[TCP_HLEN_MIN + i] = opt[i];
	if (len)
		ring_peek(&pcb->sndbuf, seq - pcb->snd_seq0, h + hlen, len);
	if (flags & TCP_ACK) {
		pcb->last_ack_sent = pcb->rcv_nxt;
		pcb->ack_now = false;
		pcb->rcv_unacked = 0;
		pcb->delack_pending = 0;
		timer_cancel(&s->timers, &pcb->t_delack);
	}
	int rc = send_segment(s, pb, pcb->laddr, pcb->faddr);
	txbuf_put(s, pb);
	if (rc == -EMSGSIZE)
		tcp_mtu_update(pcb, ip_path_mtu(s, pcb->faddr));
	else if (rc == -ENETUNREACH || rc == -EHOSTUNREACH)
		pcb->softerror = rc;   /* lost; reported if we time out */
	return rc;
}

/* Bookkeeping after a segment covering [seq, seq+adv) of sequence space
 * went out: retransmission counters and Karn's rule (RFC 6298 3), RTT timing
 * of new data, SND.NXT / SND.MAX, and the retransmission timer (RFC 6298
 * 5.1). */
static void sent_bookkeeping(struct tcp_pcb *pcb, uint32_t seq, uint32_t adv, bool advance)
{
	struct nb_stack *s = pcb->stack;
	if (!adv)
		return;
	if (SEQ_LT(seq, pcb->snd_max)) {
		NB_COUNT(s, tcp_retransmits);
		pcb->retransmits++;
		if (pcb->rtt_timing && SEQ_LEQ(seq, pcb->rtt_seq) && SEQ_LT(pcb->rtt_seq, seq + adv))
			pcb->rtt_timing = false;   /* Karn: this sample would be ambiguous */
	} else if (!pcb->rtt_timing) {
		pcb->rtt_timing = true;
		pcb->rtt_seq = seq;
		pcb->rtt_start = s->now;
	}
	pcb->last_send = s->now;
	if (advance && SEQ_GT(seq + adv, pcb->snd_nxt))
		pcb->snd_nxt = seq + adv;
	if (SEQ_GT(seq + adv, pcb->snd_max))
		pcb->snd_max = seq + adv;
	if (!timer_armed(&pcb->t_rexmt))
		tcp_rexmt_start(pcb);
}

/* The SYN (active open) or SYN-ACK (passive or simultaneous open). */
static int send_syn(struct tcp_pcb *pcb, uint8_t flags)
{
	tcp_emit(pcb, pcb->iss, 0, flags);
	sent_bookkeeping(pcb, pcb->iss, 1, true);
	return 1;
}

/* One pass of tcp_output: sends at most one segment. 1 if one went, else 0. */
static int output_one(struct tcp_pcb *pcb, bool force)
{
	struct nb_stack *s = pcb->stack;
	switch (pcb->state) {
	case TCP_CLOSED:
	case TCP_LISTEN:
	case TCP_TIME_WAIT:
		if (pcb->state == TCP_TIME_WAIT && pcb->ack_now) {
			tcp_emit(pcb, pcb->snd_nxt, 0, TCP_ACK);
			return 1;
		}
		return 0;
	case TCP_SYN_SENT:
		return pcb->snd_nxt == pcb->iss ? send_syn(pcb, TCP_SYN) : 0;
	case TCP_SYN_RECEIVED:
		if (pcb->snd_nxt == pcb->iss)
			return send_syn(pcb, TCP_SYN | TCP_ACK);
		if (pcb->ack_now) {
			tcp_emit(pcb, pcb->snd_nxt, 0, TCP_ACK);
			return 1;
		}
		return 0;
	default:
		break;
	}

	/* Skip what the peer already holds (SACK scoreboard) when resending. */
	uint32_t sack_end;
	while (SEQ_LT(pcb->snd_nxt, pcb->snd_max) && tcp_sack_covers(pcb, pcb->snd_nxt, &sack_end))
		pcb->snd_nxt = SEQ_LT(sack_end, pcb->snd_max) ? sack_end : pcb->snd_max;

	uint32_t optlen = (uint32_t)tcp_opts_len(pcb, true);
	uint32_t maxdata = pcb->mss > optlen + 1 ? pcb->mss - optlen : 1;
	uint32_t buflen = (uint32_t)pcb->sndbuf.len;
	uint32_t off = pcb->snd_nxt - pcb->snd_seq0;
	uint32_t avail = off <= buflen ? buflen - off : 0;
	if (avail && pcb->snd_max == pcb->snd_una)
		tcp_cc_idle_restart(pcb);
	uint32_t win = NB_MIN(pcb->snd_wnd, pcb->cwnd);
	if (force && win == 0)
		win = 1;          /* persist probe / SWS override (RFC 9293 3.8.6.1) */
	uint32_t usable = SEQ_GT(pcb->snd_una + win, pcb->snd_nxt)
				  ? pcb->snd_una + win - pcb->snd_nxt : 0;
	if (force && usable == 0 && pcb->snd_nxt == pcb->snd_una)
		usable = 1;
	uint32_t len = NB_MIN(NB_MIN(avail, usable), maxdata);
	/* Do not resend into a block the peer SACKed. */
	for (int i = 0; i < pcb->nscore && len; i++) {
		uint32_t st = pcb->score[i].start;
		if (SEQ_GT(st, pcb->snd_nxt) && SEQ_LT(st, pcb->snd_nxt + len))
			len = st - pcb->snd_nxt;
	}

	uint32_t fin_seq = pcb->snd_seq0 + buflen;
	bool fin_state = pcb->state == TCP_FIN_WAIT_1 || pcb->state == TCP_CLOSING ||
			 pcb->state == TCP_LAST_ACK;
	bool fin = pcb->fin_queued && fin_state && pcb->snd_nxt + len == fin_seq;
	bool rexmit = SEQ_LT(pcb->snd_nxt, pcb->snd_max);
	bool pushed = SEQ_GT(pcb->snd_push, pcb->snd_nxt) || pcb->fin_queued;
	bool idle = pcb->snd_max == pcb->snd_una;

	bool send = false;
	if (len) {
		if (len == maxdata)
			send = true;                            /* a full segment */
		else if (len == avail && (pcb->nodelay || idle || pushed))
			send = true;                            /* Nagle, RFC 896 */
		else if (pcb->max_sndwnd && len >= pcb->max_sndwnd / 2)
			send = true;                            /* SWS (iii): Fs = 1/2 */
		else if (rexmit || force)
			send = true;
	}
	if (fin)
		send = true;
	if (pcb->ack_now || window_update_due(pcb))
		send = true;

	if (!send || (!len && !fin)) {
		/* RFC 9293 3.8.6.1: data is waiting and nothing in flight will bring
		 * an ACK back (or the window closed under a retransmission): the
		 * persist timer takes over (also the SWS override timeout). Also
		 * when only an ACK goes now (fuzz-found: the timer was never armed). */
		if (avail && !pcb->persist &&
		    (!timer_armed(&pcb->t_rexmt) ||
		     (pcb->snd_wnd == 0 && pcb->snd_nxt == pcb->snd_una))) {
			timer_cancel(&s->timers, &pcb->t_rexmt);
			pcb->persist_shift = 0;
			pcb->probes_unanswered = 0;
			tcp_persist_start(pcb);
		}
		if (!send)
			return 0;
	}

	uint8_t flags = TCP_ACK;
	if (fin)
		flags |= TCP_FIN;
	if (len && (len == avail || SEQ_GEQ(pcb->snd_push, pcb->snd_nxt + len)))
		flags |= TCP_PSH;
	uint32_t adv = len + (fin ? 1 : 0);
	/* A segment without data or FIN goes at SND.MAX, as the BSDs do: after
	 * an RTO pulled SND.NXT back, SND.NXT may be below the peer's RCV.NXT,
	 * and two such ACKs are each unacceptable to the other side: an endless
	 * ACK loop (fuzz-found). Persist keeps SND.NXT (the probe byte). */
	uint32_t seq = adv || pcb->persist ? pcb->snd_nxt : pcb->snd_max;
	bool probe = force && pcb->persist && pcb->snd_wnd == 0;
	uint16_t mss_before = pcb->mss;
	if (tcp_emit(pcb, seq, len, flags) == -EMSGSIZE && pcb->mss < mss_before)
		return 1;   /* the path MTU shrank: cut the segment again */
	if (fin)
		pcb->fin_sent = true;
	if (probe) {
		/* A zero-window probe leaves SND.NXT alone (the persist timer,
		 * not the retransmission timer, keeps probing). */
		if (SEQ_GT(seq + adv, pcb->snd_max))
			pcb->snd_max = seq + adv;
		return 0;
	}
	if (adv && pcb->persist) {
		timer_cancel(&s->timers, &pcb->t_rexmt);
		pcb->persist = false;
	}
	sent_bookkeeping(pcb, seq, adv, true);
	return adv ? 1 : 0;
}

/* tcp_output: sends everything that is due now; returns segments sent. */
int tcp_output(struct tcp_pcb *pcb)
{
	int n = 0;
	while (!pcb->dead && output_one(pcb, false) > 0)
		n++;
	return n;
}

/* tcp_output_force: one forced pass for the persist timer: a one-byte probe
 * into a zero window, or a small segment held back by SWS avoidance. */
void tcp_output_force(struct tcp_pcb *pcb)
{
	if (!pcb->dead)
		output_one(pcb, true);
}

/* tcp_retransmit_seg: resends the segment starting at seq (fast retransmit,
 * NewReno partial ACK, SACK hole) without moving SND.NXT (RFC 5681 3.2,
 * RFC 6582 3.2). Returns the bytes of sequence space resent. */
int tcp_retransmit_seg(struct tcp_pcb *pcb, uint32_t seq)
{
	if (!SEQ_LT(seq, pcb->snd_max) || SEQ_LT(seq, pcb->snd_una))
		return 0;
	uint32_t optlen = (uint32_t)tcp_opts_len(pcb, true);
	uint32_t maxdata = pcb->mss > optlen + 1 ? pcb->mss - optlen : 1;
	uint32_t buflen = (uint32_t)pcb->sndbuf.len;
	uint32_t off = seq - pcb->snd_seq0;
	uint32_t avail = off <= buflen ? buflen - off : 0;
	uint32_t len = NB_MIN(NB_MIN(avail, maxdata), pcb->snd_max - seq);
	for (int i = 0; i < pcb->nscore && len; i++) {
		uint32_t st = pcb->score[i].start;
		if (SEQ_GT(st, seq) && SEQ_LT(st, seq + len))
			len = st - seq;
	}
	bool fin = pcb->fin_sent && seq + len == pcb->snd_seq0 + buflen &&
		   SEQ_LT(seq + len, pcb->snd_max);
	uint8_t flags = TCP_ACK | (fin ? TCP_FIN : 0) | (len == avail && len ? TCP_PSH : 0);
	if (!len && !fin)
		return 0;
	tcp_emit(pcb, seq, len, flags);
	sent_bookkeeping(pcb, seq, len + (fin ? 1 : 0), false);
	return (int)(len + (fin ? 1 : 0));
}

/* tcp_ack_now: an ACK goes out at once (with data if some is due). */
void tcp_ack_now(struct tcp_pcb *pcb)
{
	pcb->ack_now = true;
	tcp_output(pcb);
}

/* tcp_challenge_ack: RFC 5961 3.2 / 4.2: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. */
void tcp_challenge_ack(struct tcp_pcb *pcb)
{
	NB_COUNT(pcb->stack, tcp_challenge_acks);
	/* SND.MAX, not SND.NXT: after a retransmission timeout pulled SND.NXT
	 * back, the peer may already hold more (as bare ACKs, tcp_output.c). */
	tcp_emit(pcb, pcb->snd_max, 0, TCP_ACK);
}

void tcp_send_keepalive(struct tcp_pcb *pcb)
{
	tcp_emit(pcb, pcb->snd_una - 1, 0, TCP_ACK);
}

/* tcp_ack_invalid: answers a segment that failed a check (outside the
 * window, ACK of data not sent, PAWS) with an ACK, but at most one per
 * tcp.invalid_ratelimit per connection (RFC 5961 7's ACK throttling, as
 * Linux's tcp_invalid_ratelimit): two stacks that disagree about sequence
 * numbers, or one fed a forged segment, cannot ACK each other forever.
 * A segment with data (and no SYN) is always answered, as Linux does: it is
 * no ACK loop but a retransmission whose ACK was lost, and the duplicate
 * ACK is what tells the sender to stop resending it. */
void tcp_ack_invalid(struct tcp_pcb *pcb, bool data)
{
	struct nb_stack *s = pcb->stack;
	nb_time_t gap = s->params.tcp_invalid_ratelimit;
	if (!data && gap && pcb->last_invalid_ack && s->now - pcb->last_invalid_ack < gap) {
		NB_COUNT(s, tcp_invalid_acks_limited);
		return;
	}
	pcb->last_invalid_ack = s->now ? s->now : 1;
	tcp_ack_now(pcb);
}

/* tcp_send_rst: RFC 9293 3.10.4 ABORT / 3.10.7: <SEQ=SND.NXT><CTL=RST,ACK>,
 * with SND.NXT read as the highest sequence sent (SND.MAX): after a
 * retransmission timeout pulled SND.NXT back, the peer's RCV.NXT may be past
 * it and a RST there would fall outside its window and be ignored. */
void tcp_send_rst(struct tcp_pcb *pcb)
{
	tcp_respond(pcb->stack, pcb->laddr, pcb->faddr, pcb->lport, pcb->fport, pcb->snd_max,
		    pcb->rcv_nxt, TCP_RST | TCP_ACK);
}

/* tcp_respond: a bare segment not tied to a pcb (RSTs for closed ports,
 * RFC 9293 3.10.7.1), window 0, no options. */
void tcp_respond(struct nb_stack *s, uint32_t laddr, uint32_t faddr, uint16_t lport,
		 uint16_t fport, uint32_t seq, uint32_t ack, uint8_t flags)
{
	struct pbuf *pb = txbuf_get(s);
	if (!pb)
		return;
	pbuf_reset(pb);
	uint8_t *h = pbuf_put(pb, TCP_HLEN_MIN);
	nb_put16(h, lport);
	nb_put16(h + 2, fport);
	nb_put32(h + 4, seq);
	nb_put32(h + 8, (flags & TCP_ACK) ? ack : 0);
	h[12] = (TCP_HLEN_MIN / 4) << 4;
	h[13] = flags;
	nb_put16(h + 14, 0);
	nb_put16(h + 18, 0);
	if (flags & TCP_RST)
		NB_COUNT(s, tcp_rst_sent);
	send_segment(s, pb, laddr, faddr);
	txbuf_put(s, pb);
}

/* tcp_mtu_update: PMTU discovery (RFC 1191 6.3): the path MTU fell to mtu;
 * shrinks the effective MSS. True if it shrank (the caller then resends
 * what is outstanding in the smaller size; cwnd is left alone). */
bool tcp_mtu_update(struct tcp_pcb *pcb, uint32_t mtu)
{
	if (mtu < 68)
		return false;
	uint32_t mss = mtu > 40 + TCP_MIN_MSS ? mtu - 40 : TCP_MIN_MSS;
	mss = NB_MIN(mss, (uint32_t)pcb->peer_mss);
	if (mss >= pcb->mss)
		return false;
	pcb->mss = (uint16_t)mss;
	return true;
}
