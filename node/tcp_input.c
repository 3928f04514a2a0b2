/* tcp_input.c: segment arrival, following RFC 9293 3.10.7 "SEGMENT
 * ARRIVES" step by step, with RFC 5961 (blind in-window attacks), RFC 7323
 * (PAWS, window scale), RFC 2018 (SACK), RFC 5681/6582 (duplicate ACKs,
 * NewReno) and RFC 1122 (delayed ACK) where they hook in.
 *
 *   tcp_input            validate header, checksum and options; demultiplex
 *   input_closed         3.10.7.1 no connection: answer with RST
 *   input_listen         3.10.7.2 LISTEN: SYN creates a child (backlog)
 *   input_syn_sent       3.10.7.3 SYN-SENT
 *   input_sync           3.10.7.4 every other state: first .. eighth
 */
#include "tcp_var.h"

#include "cksum.h"

#include <errno.h>
#include <string.h>

/* RFC 7323 5.5: TS.Recent older than 24 days is too old to compare against. */
#define PAWS_IDLE NB_SEC(24 * 24 * 3600)

/* 3.10.7.1 CLOSED: "If the state is CLOSED (i.e., TCB does not exist) ...
 * An incoming segment containing a RST is discarded. An incoming segment not
 * containing a RST causes a RST to be sent in response":
 *   ACK off: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
 *   ACK on:  <SEQ=SEG.ACK><CTL=RST> */
static void input_closed(struct nb_stack *s, const struct ip_meta *ip, const struct tcp_seg *g)
{
	NB_COUNT(s, tcp_no_socket);
	if (g->flags & TCP_RST)
		return;
	if (g->flags & TCP_ACK)
		tcp_respond(s, ip->dst, ip->src, g->dport, g->sport, g->ack, 0, TCP_RST);
	else
		tcp_respond(s, ip->dst, ip->src, g->dport, g->sport, 0, g->seq + tcp_seg_seqlen(g),
			    TCP_RST | TCP_ACK);
}

/* Options of the peer's SYN decide what the connection uses (RFC 9293
 * 3.7.1 MSS, RFC 7323 2.2 / 3.2, RFC 2018 2). pcb->ws_ok etc. say what we
 * offered (active open) or are willing to (passive open). */
static void syn_options(struct tcp_pcb *pcb, const struct tcp_opts *o)
{
	struct nb_stack *s = pcb->stack;
	pcb->our_mss = tcp_mss_for(s, pcb->faddr);
	pcb->peer_mss = o->mss_ok && o->mss ? o->mss : TCP_DEFAULT_MSS;
	if (pcb->peer_mss < TCP_MIN_MSS)
		pcb->peer_mss = TCP_MIN_MSS;
	pcb->mss = NB_MIN(pcb->peer_mss, pcb->our_mss);
	if (pcb->ws_ok && o->ws_ok) {
		pcb->snd_wscale = NB_MIN(o->ws, TCP_MAX_WSCALE);  /* RFC 7323 2.3 */
	} else {
		pcb->ws_ok = false;
		pcb->snd_wscale = pcb->rcv_wscale = 0;
	}
	pcb->sack_ok = pcb->sack_ok && o->sack_perm;
	pcb->ts_ok = pcb->ts_ok && o->ts_present;
	if (pcb->ts_ok) {
		pcb->ts_recent = o->tsval;
		pcb->ts_recent_age = (uint32_t)(s->now / NB_MS(1));
	}
	/* Estimate of the peer's full segment, for "every second full-sized
	 * segment" (raised if larger ones arrive). */
	pcb->rcv_mss = pcb->mss - (pcb->ts_ok ? TCPOLEN_TS_ALIGNED : 0);
	/* A full segment must have room for data next to the options. */
	if (pcb->ts_ok && pcb->mss < TCP_MIN_MSS + TCPOLEN_TS_ALIGNED)
		pcb->mss = TCP_MIN_MSS + TCPOLEN_TS_ALIGNED;
}

/* 3.10.7.2 LISTEN. */
static void input_listen(struct tcp_pcb *l, const struct ip_meta *ip, const struct tcp_seg *g)
{
	struct nb_stack *s = l->stack;
	const struct nb_params *p = &s->params;
	/* "First, check for a RST": ignore it. */
	if (g->flags & TCP_RST)
		return;
	/* "Second, check for an ACK": <SEQ=SEG.ACK><CTL=RST>. */
	if (g->flags & TCP_ACK) {
		tcp_respond(s, ip->dst, ip->src, g->dport, g->sport, g->ack, 0, TCP_RST);
		return;
	}
	/* "Third, check for a SYN" (anything else is dropped). */
	if (!(g->flags & TCP_SYN))
		return;
	/* The backlog bounds both queues; a SYN over it is dropped silently,
	 * so the peer retries later (as Linux and the BSDs do). */
	if (l->syn_len >= l->backlog || l->accept_len >= l->backlog) {
		NB_COUNT(s, tcp_syn_dropped_backlog);
		return;
	}
	struct tcp_pcb *c = tcp_pcb_new(s);
	if (!c)
		return;
	c->laddr = ip->dst;
	tcp_set_lport(c, l->lport);
	c->faddr = ip->src;
	c->fport = g->sport;
	memcpy(c->app, l->app, sizeof(c->app));
	c->nodelay = l->nodelay;
	c->sndbuf_cap = l->sndbuf_cap;
	c->rcvbuf_cap = l->rcvbuf_cap;
	c->reuseaddr = l->reuseaddr;
	c->passive = true;
	c->listener = l;
	c->q_next = l->syn_q;
	l->syn_q = c;
	l->syn_len++;

	/* "Set RCV.NXT to SEG.SEQ+1, IRS is set to SEG.SEQ"; text in a SYN is
	 * not kept (it will be retransmitted; no TFO here). */
	c->irs = g->seq;
	c->rcv_nxt = c->rcv_adv = g->seq + 1;
	c->ws_ok = p->tcp_wscale;
	c->rcv_wscale = p->tcp_wscale ? tcp_wscale_for(c->rcvbuf_cap) : 0;
	c->sack_ok = p->tcp_sack;
	c->ts_ok = p->tcp_timestamps;
	c->ts_offset = (uint32_t)nb_rng_next(&s->rng);
	syn_options(c, &g->opt);
	/* RFC 7323 2.2: the window of a SYN is not scaled. */
	c->snd_wnd = c->max_sndwnd = g->wnd;
	c->snd_wl1 = g->seq;
	c->iss = tcp_new_isn(s, c->laddr, c->lport, c->faddr, c->fport);
	c->snd_wl2 = c->iss;
	c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	c->snd_seq0 = c->snd_push = c->iss + 1;
	tcp_cc_init(c);
	tcp_set_state(c, TCP_SYN_RECEIVED);
	tcp_hash_insert(c);
	NB_COUNT(s, tcp_passive_opens);
	/* <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> */
	tcp_output(c);
}

/* 3.10.7.3 SYN-SENT. */
static void input_syn_sent(struct tcp_pcb *pcb, const struct ip_meta *ip, struct tcp_seg *g)
{
	struct nb_stack *s = pcb->stack;
	bool ack_ok = false;
	/* "First, check the ACK bit": SEG.ACK =< ISS or SEG.ACK > SND.NXT is
	 * unacceptable: <SEQ=SEG.ACK><CTL=RST> unless it is a RST itself. */
	if (g->flags & TCP_ACK) {
		if (SEQ_LEQ(g->ack, pcb->iss) || SEQ_GT(g->ack, pcb->snd_max)) {
			if (!(g->flags & TCP_RST))
				tcp_respond(s, ip->dst, ip->src, g->dport, g->sport, g->ack, 0, TCP_RST);
			return;
		}
		ack_ok = SEQ_LEQ(pcb->snd_una, g->ack);
	}
	/* "Second, check the RST bit": with an acceptable ACK the connection is
	 * refused; without one, drop (RFC 5961 3.2 keeps this as is). */
	if (g->flags & TCP_RST) {
		if (ack_ok) {
			NB_COUNT(s, tcp_rst_received);
			tcp_done(pcb, -ECONNREFUSED);
		}
		return;
	}
	/* "Fourth, check the SYN bit". */
	if (!(g->flags & TCP_SYN))
		return;
	pcb->irs = g->seq;
	pcb->rcv_nxt = pcb->rcv_adv = g->seq + 1;
	syn_options(pcb, &g->opt);
	pcb->snd_wnd = pcb->max_sndwnd = g->wnd;   /* a SYN's window is never scaled */
	pcb->snd_wl1 = g->seq;
	pcb->snd_wl2 = g->ack;
	tcp_cc_init(pcb);
	if (ack_ok) {
		/* Our SYN is acknowledged: ESTABLISHED, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. */
		pcb->snd_una = g->ack;
		if (pcb->rtt_timing && SEQ_GT(g->ack, pcb->rtt_seq))
			tcp_rtt_sample(pcb, s->now - pcb->rtt_start);
		pcb->rtt_timing = false;
		tcp_rexmt_stop(pcb);
		timer_cancel(&s->timers, &pcb->t_rexmt);
		pcb->backoff = 0;
		/* RFC 6298 5.7: SYN retransmitted and no sample: RTO = 3 s. */
		if (pcb->syn_retries && pcb->rto < NB_SEC(3))
			pcb->rto = tcp_rto_clamp(pcb, NB_SEC(3));
		tcp_established(pcb);
		pcb->ack_now = true;
		/* Text or FIN riding on the SYN-ACK: continue at the sixth step
		 * (handled by the caller with the SYN stripped). */
		g->flags &= (uint8_t)~TCP_SYN;
		g->seq++;
		g->syn_stripped = true;
		return;
	}
	/* Simultaneous open: SYN-RECEIVED, <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>. */
	tcp_set_state(pcb, TCP_SYN_RECEIVED);
	pcb->snd_nxt = pcb->iss;
	tcp_output(pcb);
}

/* The acceptability test of RFC 9293 3.10.7.4 (first), for SEG.SEQ and
 * SEG.LEN against RCV.NXT and RCV.WND. */
static bool seq_acceptable(const struct tcp_pcb *pcb, uint32_t seq, uint32_t seglen)
{
	uint32_t nxt = pcb->rcv_nxt, wnd = pcb->rcv_adv - pcb->rcv_nxt;
	if (SEQ_LT(pcb->rcv_adv, pcb->rcv_nxt))
		wnd = 0;
	if (seglen == 0) {
		if (wnd == 0)
			return seq == nxt;
		return SEQ_LEQ(nxt, seq) && SEQ_LT(seq, nxt + wnd);
	}
	if (wnd == 0)
		return false;
	return (SEQ_LEQ(nxt, seq) && SEQ_LT(seq, nxt + wnd)) ||
	       (SEQ_LEQ(nxt, seq + seglen - 1) && SEQ_LT(seq + seglen - 1, nxt + wnd));
}

/* Trims a segment that passed the acceptability test to the window: bytes
 * before RCV.NXT (duplicates) and after RCV.NXT+RCV.WND go; a FIN past the
 * window goes too. Returns true if something was cut (an ACK is owed). */
static bool trim_to_window(const struct tcp_pcb *pcb, struct tcp_seg *g)
{
	bool cut = false;
	if (SEQ_LT(g->seq, pcb->rcv_nxt)) {
		uint32_t d = pcb->rcv_nxt - g->seq;
		if (g->flags & TCP_SYN) {
			g->flags &= (uint8_t)~TCP_SYN;
			g->seq++;
			d--;
		}
		if (d >= g->len) {
			if (d > g->len)     /* the FIN, if any, is old too */
				g->flags &= (uint8_t)~TCP_FIN;
			d = g->len;
		}
		g->data += d;
		g->len -= d;
		g->seq += d;
		cut = true;
	}
	uint32_t wnd = SEQ_GT(pcb->rcv_adv, pcb->rcv_nxt) ? pcb->rcv_adv - pcb->rcv_nxt : 0;
	uint32_t right = pcb->rcv_nxt + wnd;
	if (SEQ_GT(g->seq + g->len, right)) {
		g->len = SEQ_GT(right, g->seq) ? right - g->seq : 0;
		g->flags &= (uint8_t)~TCP_FIN;
		cut = true;
	}
	/* Nor may text exceed the buffer (window rounding under scaling). */
	uint32_t space = tcp_rcv_space(pcb);
	uint32_t off = g->seq - pcb->rcv_nxt;
	if (g->len && (off >= space || g->len > space - off)) {
		g->len = off < space ? space - off : 0;
		g->flags &= (uint8_t)~TCP_FIN;
		cut = true;
	}
	return cut;
}

/* Updates SND.WND from a segment (RFC 9293 3.10.7.4 fifth, ESTABLISHED):
 * only if SND.WL1 < SEG.SEQ, or SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK. */
static void window_update(struct tcp_pcb *pcb, const struct tcp_seg *g)
{
	if (g->syn_stripped)      /* RFC 7323 2.2: a SYN's window is not scaled */
		return;
	if (!(SEQ_LT(pcb->snd_wl1, g->seq) ||
	      (pcb->snd_wl1 == g->seq && SEQ_LEQ(pcb->snd_wl2, g->ack))))
		return;
	pcb->snd_wnd = (uint32_t)g->wnd << pcb->snd_wscale;
	pcb->snd_wl1 = g->seq;
	pcb->snd_wl2 = g->ack;
	if (pcb->snd_wnd > pcb->max_sndwnd)
		pcb->max_sndwnd = pcb->snd_wnd;
	if (pcb->snd_wnd && pcb->persist) {
		/* The window opened: persist ends, output resumes. */
		timer_cancel(&pcb->stack->timers, &pcb->t_rexmt);
		pcb->persist = false;
		pcb->persist_shift = 0;
	}
}

/* Fifth step for SYN-RECEIVED .. TIME-WAIT once the ACK is known to be in
 * range. Returns false if the pcb is gone or the segment must be dropped. */
static bool process_ack(struct tcp_pcb *pcb, const struct tcp_seg *g, bool *ourfinisacked)
{
	struct nb_stack *s = pcb->stack;
	*ourfinisacked = false;
	/* RFC 9293: "If the ACK acks something not yet sent (SEG.ACK > SND.NXT)
	 * then send an ACK, drop the segment, and return." RFC 5961 5.2: an ACK
	 * older than SND.UNA - MAX.SND.WND is dropped the same way. */
	if (SEQ_GT(g->ack, pcb->snd_max) ||
	    SEQ_LT(g->ack, pcb->snd_una - NB_MAX(pcb->max_sndwnd, (uint32_t)TCP_MAXWIN))) {
		tcp_ack_invalid(pcb, false);
		return false;
	}
	if (SEQ_GT(g->ack, pcb->snd_una)) {
		uint32_t acked = g->ack - pcb->snd_una;
		if (pcb->snd_una == pcb->iss)
			acked--;          /* the SYN is not data for congestion control */
		pcb->probes_unanswered = 0;
		pcb->softerror = 0;      /* progress: earlier ICMP noise is moot */
		/* RTT: the timed segment is covered (RFC 6298 2; Karn cleared
		 * rtt_timing if it was resent). */
		if (pcb->rtt_timing && SEQ_GT(g->ack, pcb->rtt_seq)) {
			tcp_rtt_sample(pcb, s->now - pcb->rtt_start);
			pcb->rtt_timing = false;
		}
		/* Remove acknowledged bytes from the send buffer. */
		if (SEQ_GT(g->ack, pcb->snd_seq0)) {
			uint32_t d = (uint32_t)ring_drop(&pcb->sndbuf, g->ack - pcb->snd_seq0);
			pcb->snd_seq0 += d;
			if (d)
				tcp_event(pcb, TCP_EV_WRITABLE);
		}
		if (pcb->fin_sent && pcb->sndbuf.len == 0 && SEQ_GT(g->ack, pcb->snd_seq0))
			*ourfinisacked = true;
		pcb->snd_una = g->ack;
		if (SEQ_LT(pcb->snd_nxt, pcb->snd_una))
			pcb->snd_nxt = pcb->snd_una;
		pcb->backoff = 0;
		tcp_sack_clean(pcb);
		if (pcb->in_recovery) {
			tcp_cc_partial_or_full(pcb, acked);
		} else {
			pcb->dupacks = 0;
			if (acked)
				tcp_cc_ack(pcb, acked);
		}
		/* RFC 6298 5.2 / 5.3 (NewReno's partial ACKs restart it once). */
		if (pcb->snd_una == pcb->snd_max)
			tcp_rexmt_stop(pcb);
		else if (!pcb->in_recovery && !pcb->persist)
			tcp_rexmt_restart(pcb);
	} else if (g->ack == pcb->snd_una && g->rawlen == 0 && !(g->flags & (TCP_SYN | TCP_FIN)) &&
		   pcb->snd_max != pcb->snd_una && pcb->snd_wnd != 0 && !pcb->persist) {
		/* A duplicate ACK: RFC 5681 2 (same window), or with SACK RFC 6675
		 * 2 (it SACKs new data; receivers such as Linux grow the window
		 * meanwhile). Answers to zero-window probes are not: nothing was
		 * lost. */
		bool same_wnd = ((uint32_t)g->wnd << pcb->snd_wscale) == pcb->snd_wnd;
		bool new_sack = pcb->sack_ok && g->opt.nsack && tcp_sack_update(pcb, &g->opt);
		if (same_wnd || new_sack) {
			window_update(pcb, g);
			tcp_cc_dupack(pcb);
			return !pcb->dead;
		}
		window_update(pcb, g);
		return true;
	}
	if (pcb->sack_ok && g->opt.nsack)
		tcp_sack_update(pcb, &g->opt);
	window_update(pcb, g);
	return true;
}

/* A pure duplicate ACK at RCV.NXT that changes neither SND.UNA nor the
 * window, its timestamp at most one RTO (in ms ticks) behind TS.Recent:
 * reordering, not an old incarnation. */
static bool disordered_ack(const struct tcp_pcb *pcb, const struct tcp_seg *g)
{
	uint32_t rto_ticks = (uint32_t)(pcb->rto / NB_MS(1)) + 1;
	return (g->flags & (TCP_SYN | TCP_FIN | TCP_ACK)) == TCP_ACK && g->rawlen == 0 &&
	       g->seq == pcb->rcv_nxt && g->ack == pcb->snd_una &&
	       ((uint32_t)g->wnd << pcb->snd_wscale) == pcb->snd_wnd &&
	       pcb->ts_recent - g->opt.tsval <= rto_ticks;
}

/* 3.10.7.4 "Otherwise": SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1/2,
 * CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT. */
static void input_sync(struct tcp_pcb *pcb, const struct ip_meta *ip, struct tcp_seg *g)
{
	struct nb_stack *s = pcb->stack;
	uint32_t seg_seq = g->seq;                 /* before trimming, for RST checks */

	/* Simultaneous open (RFC 9293 figure 8): in SYN-RECEIVED the peer's
	 * SYN-ACK for its own SYN we already hold acknowledges ours: take it as
	 * an ACK (Linux does the same; the literal test would drop it and wait
	 * for a further ACK). */
	if (pcb->state == TCP_SYN_RECEIVED && !pcb->passive &&
	    (g->flags & (TCP_SYN | TCP_ACK | TCP_RST)) == (TCP_SYN | TCP_ACK) &&
	    g->seq + 1 == pcb->rcv_nxt) {
		g->flags &= (uint8_t)~TCP_SYN;
		g->seq++;
		g->syn_stripped = true;
		seg_seq = g->seq;
	}
	/* SYN-RECEIVED and the peer resends its SYN (our SYN-ACK was lost):
	 * answer with the SYN-ACK again. */
	if (pcb->state == TCP_SYN_RECEIVED && (g->flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN &&
	    g->seq == pcb->irs) {
		pcb->snd_nxt = pcb->iss;
		tcp_output(pcb);
		return;
	}
	/* RFC 7323 5.3 PAWS (R1-R3): a timestamp older than TS.Recent marks an
	 * old duplicate: ACK and drop. Except a reordered duplicate ACK
	 * (Linux's "disordered ACK"): it carries nothing that could be stale
	 * and fast retransmit needs it. */
	if (pcb->ts_ok && g->opt.ts_present && !(g->flags & TCP_RST) &&
	    (int32_t)(g->opt.tsval - pcb->ts_recent) < 0 &&
	    (uint32_t)(s->now / NB_MS(1)) - pcb->ts_recent_age < (uint32_t)(PAWS_IDLE / NB_MS(1)) &&
	    !disordered_ack(pcb, g)) {
		NB_COUNT(s, tcp_paws_dropped);
		/* ...but a stale pure ACK is not answered (ACKs are not ACKed;
		 * Linux rate-limits the same): reordered ACK streams would
		 * otherwise draw one ACK each. */
		if (tcp_seg_seqlen(g))
			tcp_ack_invalid(pcb, g->len && !(g->flags & TCP_SYN));
		return;
	}

	/* first: check sequence number. */
	if (!seq_acceptable(pcb, g->seq, tcp_seg_seqlen(g))) {
		/* A zero window still takes valid ACKs and RSTs: a segment at
		 * RCV.NXT is processed with its text cut. */
		uint32_t wnd = SEQ_GT(pcb->rcv_adv, pcb->rcv_nxt) ? pcb->rcv_adv - pcb->rcv_nxt : 0;
		if (!(wnd == 0 && g->seq == pcb->rcv_nxt)) {
			NB_COUNT(s, tcp_outside_window);
			if (!(g->flags & TCP_RST)) {
				if (pcb->state == TCP_TIME_WAIT && (g->flags & TCP_FIN))
					tcp_timewait_start(pcb);   /* a resent FIN: restart 2 MSL */
				tcp_ack_invalid(pcb, g->len && !(g->flags & TCP_SYN));
			}
			return;
		}
	}
	pcb->last_rx = s->now;          /* the peer is alive (keep-alive) */
	if (trim_to_window(pcb, g))
		pcb->ack_now = true;

	/* RFC 7323 4.3: remember the peer's timestamp for our echoes. */
	if (pcb->ts_ok && g->opt.ts_present && (int32_t)(g->opt.tsval - pcb->ts_recent) >= 0 &&
	    SEQ_LEQ(seg_seq, pcb->last_ack_sent)) {
		pcb->ts_recent = g->opt.tsval;
		pcb->ts_recent_age = (uint32_t)(s->now / NB_MS(1));
	}

	/* second: check the RST bit (RFC 5961 3.2: exact match resets, any other
	 * in-window RST earns a challenge ACK). */
	if (g->flags & TCP_RST) {
		NB_COUNT(s, tcp_rst_received);
		if (seg_seq != pcb->rcv_nxt) {
			tcp_challenge_ack(pcb);
			return;
		}
		switch (pcb->state) {
		case TCP_SYN_RECEIVED:
			/* Passive: back to LISTEN (the child goes); active: refused. */
			tcp_done(pcb, pcb->passive ? 0 : -ECONNREFUSED);
			break;
		case TCP_ESTABLISHED:
		case TCP_CLOSE_WAIT:
			NB_COUNT(s, tcp_established_resets);
			/* fall through */
		case TCP_FIN_WAIT_1:
		case TCP_FIN_WAIT_2:
			tcp_reass_flush(pcb);
			tcp_done(pcb, -ECONNRESET);
			break;
		default:   /* CLOSING, LAST-ACK, TIME-WAIT */
			tcp_done(pcb, 0);
			break;
		}
		return;
	}

	/* third: security and precedence: not used. */

	/* fourth: check the SYN bit. In SYN-RECEIVED from a passive OPEN the
	 * embryo goes back to LISTEN; elsewhere RFC 5961 4.2: challenge ACK. */
	if (g->flags & TCP_SYN) {
		if (pcb->state == TCP_SYN_RECEIVED && pcb->passive) {
			tcp_done(pcb, 0);
			return;
		}
		tcp_challenge_ack(pcb);
		return;
	}

	/* fifth: check the ACK field: "if the ACK bit is off, drop". */
	if (!(g->flags & TCP_ACK))
		return;
	if (pcb->state == TCP_SYN_RECEIVED) {
		if (!(SEQ_LT(pcb->snd_una, g->ack) && SEQ_LEQ(g->ack, pcb->snd_max))) {
			/* <SEQ=SEG.ACK><CTL=RST> */
			tcp_respond(s, ip->dst, ip->src, g->dport, g->sport, g->ack, 0, TCP_RST);
			return;
		}
		struct tcp_pcb *l = pcb->listener;
		if (l && l->accept_len >= l->backlog) {
			/* Accept queue full: ignore the ACK; the SYN-ACK will be
			 * resent and the peer's ACK with it, maybe with room then. */
			NB_COUNT(s, tcp_accept_dropped_backlog);
			return;
		}
		pcb->snd_wnd = (uint32_t)g->wnd << (g->syn_stripped ? 0 : pcb->snd_wscale);
		pcb->max_sndwnd = NB_MAX(pcb->max_sndwnd, pcb->snd_wnd);
		pcb->snd_wl1 = g->seq;
		pcb->snd_wl2 = g->ack;
		if (pcb->syn_retries && pcb->rto < NB_SEC(3))   /* RFC 6298 5.7 */
			pcb->rto = tcp_rto_clamp(pcb, NB_SEC(3));
		tcp_established(pcb);
	}
	bool ourfinisacked;
	if (!process_ack(pcb, g, &ourfinisacked))
		return;
	switch (pcb->state) {
	case TCP_FIN_WAIT_1:
		if (ourfinisacked) {
			tcp_set_state(pcb, TCP_FIN_WAIT_2);
			tcp_finwait2_start(pcb);
		}
		break;
	case TCP_CLOSING:
		if (ourfinisacked)
			tcp_timewait_start(pcb);
		break;
	case TCP_LAST_ACK:
		if (ourfinisacked) {
			tcp_done(pcb, 0);
			return;
		}
		break;
	default:
		break;
	}

	/* sixth: the URG bit: urgent data is delivered inline, unmarked. */

	/* seventh: process the segment text (ESTABLISHED, FIN-WAIT-1/2). */
	bool fin_now = false;
	bool in_data_state = pcb->state == TCP_ESTABLISHED || pcb->state == TCP_FIN_WAIT_1 ||
			     pcb->state == TCP_FIN_WAIT_2;
	if (in_data_state && (g->len || (g->flags & TCP_FIN))) {
		if (g->len && pcb->rd_shut && pcb->orphan) {
			/* RFC 9293 3.10.4 / RFC 2525 2.17: data for a closed
			 * socket is lost for good: tell the peer with a RST. */
			tcp_drop(pcb, 0);
			return;
		}
		bool had_ooo = pcb->ooo != NULL;
		bool in_order = g->seq == pcb->rcv_nxt;
		uint32_t got = tcp_reass(pcb, g->seq, g->data, g->len, g->flags & TCP_FIN, &fin_now);
		if (pcb->rd_shut && got) {
			ring_drop(&pcb->rcvbuf, got);   /* SHUT_RD: acknowledged, discarded */
			got = 0;
		}
		if (got)
			tcp_event(pcb, TCP_EV_READABLE);
		if (g->len && pcb->rcv_mss < g->len)
			pcb->rcv_mss = NB_MIN(g->len, (uint32_t)pcb->our_mss);
		if (!in_order || had_ooo || fin_now) {
			/* RFC 5681 4.2: out-of-order data and hole fills are ACKed
			 * at once (duplicate ACKs drive the sender's recovery). */
			pcb->ack_now = true;
		} else if (g->len) {
			/* RFC 9293 3.8.6.3, RFC 1122 4.2.3.2, RFC 5681 4.2: delay,
			 * but ACK at least every second full-sized segment, read
			 * or not: a sender's slow start grows per ACK (RFC 5681
			 * 3.1, RFC 3465 L = 2*SMSS), so fewer ACKs would slow it. */
			pcb->rcv_unacked += g->len;
			if (pcb->rcv_unacked >= 2 * pcb->rcv_mss)
				pcb->ack_now = true;
			else
				tcp_delack_start(pcb);
		}
	}

	/* eighth: check the FIN bit (only once everything before it arrived). */
	if (fin_now) {
		pcb->rcv_nxt++;
		pcb->fin_received = true;
		pcb->ack_now = true;
		tcp_event(pcb, TCP_EV_READABLE);
		switch (pcb->state) {
		case TCP_SYN_RECEIVED:
		case TCP_ESTABLISHED:
			tcp_set_state(pcb, TCP_CLOSE_WAIT);
			break;
		case TCP_FIN_WAIT_1:
			/* Our FIN not yet acknowledged (else we would be in
			 * FIN-WAIT-2 by now): simultaneous close. */
			tcp_set_state(pcb, TCP_CLOSING);
			break;
		case TCP_FIN_WAIT_2:
			tcp_timewait_start(pcb);
			break;
		default:
			break;
		}
	}
	tcp_output(pcb);
}

/* tcp_input: one TCP segment p[0..len) from IP. Validates before reading
 * (length, data offset, checksum unless the kernel left it partial, option
 * lengths), then hands it to the state's handler. */
void tcp_input(struct nb_stack *s, const struct ip_meta *ip, const uint8_t *p, size_t len)
{
	NB_COUNT(s, tcp_rx_segments);
	if (len < TCP_HLEN_MIN) {
		NB_COUNT(s, tcp_rx_short);
		return;
	}
	size_t off = (size_t)(p[12] >> 4) * 4;
	if (off < TCP_HLEN_MIN || off > len) {
		NB_COUNT(s, tcp_rx_bad_off);
		return;
	}
	if (!(ip->rx_flags & NB_RX_CSUM_PARTIAL)) {
		uint32_t sum = cksum_pseudo(ip->src, ip->dst, IP_PROTO_TCP, (uint16_t)len);
		if (len > 0xffff || cksum_fold(cksum_partial(p, len, sum)) != 0) {
			NB_COUNT(s, tcp_rx_bad_cksum);
			return;
		}
	}
	struct tcp_seg g;
	g.sport = nb_get16(p);
	g.dport = nb_get16(p + 2);
	g.seq = nb_get32(p + 4);
	g.ack = nb_get32(p + 8);
	g.flags = p[13];
	g.wnd = nb_get16(p + 14);
	g.urp = nb_get16(p + 18);
	g.data = p + off;
	g.len = g.rawlen = (uint32_t)(len - off);
	g.syn_stripped = false;
	if (tcp_opts_parse(p + TCP_HLEN_MIN, off - TCP_HLEN_MIN, g.flags & TCP_SYN, &g.opt) < 0) {
		NB_COUNT(s, tcp_rx_bad_opts);
		return;
	}
	/* RFC 1122 4.2.3.10 / RFC 9293 3.9.2.1: nothing from or to broadcast or
	 * multicast addresses, nor port 0. */
	if (ip->src == 0 || ip->src == 0xffffffffu || (ip->src >> 28) == 0xe ||
	    ip->dst == 0xffffffffu || (ip->dst >> 28) == 0xe || g.sport == 0 || g.dport == 0) {
		NB_COUNT(s, tcp_rx_bad_addr);
		return;
	}

	tcp_enter(s);
	struct tcp_pcb *pcb = tcp_lookup(s, ip->dst, g.dport, ip->src, g.sport, true);
	/* A new SYN for a connection in TIME-WAIT with a higher sequence number
	 * reopens it (RFC 9293 3.6.1, as the BSDs do): the old pcb yields. */
	if (pcb && pcb->state == TCP_TIME_WAIT &&
	    (g.flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN && SEQ_GT(g.seq, pcb->rcv_nxt)) {
		tcp_done(pcb, 0);
		pcb = tcp_lookup(s, ip->dst, g.dport, ip->src, g.sport, true);
	}
	if (!pcb)
		input_closed(s, ip, &g);
	else if (pcb->state == TCP_LISTEN)
		input_listen(pcb, ip, &g);
	else if (pcb->state == TCP_SYN_SENT) {
		input_syn_sent(pcb, ip, &g);
		/* Text or FIN on the SYN-ACK is processed as in ESTABLISHED. */
		if (!pcb->dead && pcb->state == TCP_ESTABLISHED && (g.len || (g.flags & TCP_FIN)))
			input_sync(pcb, ip, &g);
		else if (!pcb->dead)
			tcp_output(pcb);
	} else
		input_sync(pcb, ip, &g);
	tcp_leave(s);
}

/* tcp_ctlinput: an ICMP error (or ARP failure) about a segment we sent.
 * RFC 5927 4.1: only if its sequence number is in [SND.UNA, SND.MAX].
 * -EMSGSIZE: PMTU discovery (RFC 1191): smaller MSS, resend now.
 * Hard error (port/protocol unreachable) in SYN-SENT: abort with it.
 * Anything else is soft (RFC 1122 4.2.3.9): kept, and reported if the
 * connection later times out. */
void tcp_ctlinput(struct nb_stack *s, int err, uint32_t src, uint32_t dst, const uint8_t *l4,
		  size_t l4len, uint32_t mtu)
{
	if (l4len < 8 || !s->tcp)
		return;
	uint16_t sport = nb_get16(l4), dport = nb_get16(l4 + 2);
	uint32_t seq = nb_get32(l4 + 4);
	tcp_enter(s);
	struct tcp_pcb *pcb = tcp_lookup(s, src, sport, dst, dport, false);
	if (!pcb || pcb->dead || SEQ_LT(seq, pcb->snd_una) || SEQ_GT(seq, pcb->snd_max))
		goto out;
	if (err == -EMSGSIZE) {
		if (tcp_mtu_update(pcb, mtu ? mtu : ip_path_mtu(s, dst))) {
			NB_COUNT(s, tcp_pmtu_updates);
			if (tcp_synchronized(pcb->state) && pcb->state != TCP_SYN_RECEIVED) {
				pcb->snd_nxt = pcb->snd_una;
				pcb->rtt_timing = false;
				tcp_output(pcb);
			}
		}
	} else if (err == -ECONNREFUSED && pcb->state == TCP_SYN_SENT) {
		tcp_done(pcb, err);
	} else if (pcb->state == TCP_SYN_SENT && s->params.tcp_syn_unreach_abort &&
		   (err == -EHOSTUNREACH || err == -ENETUNREACH)) {
		/* Not RFC 1122 4.2.3.9 (a soft error MUST NOT abort), but what
		 * Linux does in SYN-SENT (RFC 5461 4.1): opt-in, for comparing. */
		tcp_done(pcb, err);
	} else {
		pcb->softerror = err;
	}
out:
	tcp_leave(s);
}
