/* tcp_cc.c: congestion control: RFC 5681 slow start and congestion
 * avoidance, fast retransmit on the third duplicate ACK, RFC 6582 NewReno
 * fast recovery with partial ACKs, and the SACK scoreboard (RFC 2018) that
 * keeps retransmissions away from data the peer already holds.
 *
 *   cwnd < ssthresh   slow start: cwnd += min(acked, L), L = 2*SMSS (RFC 3465)
 *   cwnd >= ssthresh  congestion avoidance: +SMSS per cwnd bytes acked
 *   1st, 2nd dup ACK  one new segment each (RFC 3042 Limited Transmit)
 *   3rd dup ACK       (if SND.UNA >= recover; fewer with RFC 5827 Early
 *                     Retransmit) ssthresh = max(FlightSize/2, 2*SMSS), recover = SND.MAX,
 *                     resend SND.UNA, cwnd = ssthresh + 3*SMSS
 *   more dup ACKs     cwnd += SMSS (inflate), send new data if allowed
 *   partial ACK       resend the next hole, cwnd -= acked (+SMSS if acked
 *                     >= SMSS), first partial ACK restarts the timer
 *   full ACK          cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS)
 *   RTO               ssthresh = max(FlightSize/2, 2*SMSS) (first expiry),
 *                     cwnd = 1 SMSS, recover = SND.MAX
 */
#include "tcp_var.h"

#define TCP_CWND_MAX (1u << 30)

static uint32_t smss(const struct tcp_pcb *pcb) { return tcp_maxseg(pcb); }

/* tcp_flight_size: bytes sent and not yet acknowledged (RFC 5681 2). */
uint32_t tcp_flight_size(const struct tcp_pcb *pcb) { return pcb->snd_max - pcb->snd_una; }

/* tcp_cc_init: RFC 5681 3.1: IW = tcp_init_cwnd segments, ssthresh high. */
void tcp_cc_init(struct tcp_pcb *pcb)
{
	uint64_t iw = (uint64_t)pcb->stack->params.tcp_init_cwnd * smss(pcb);
	pcb->cwnd = (uint32_t)NB_MIN(iw, (uint64_t)TCP_CWND_MAX);
	pcb->ssthresh = UINT32_MAX >> 1;
	pcb->bytes_acked = 0;
	pcb->dupacks = 0;
	pcb->in_recovery = false;
	pcb->recover = pcb->iss;    /* RFC 6582 3.2 step 1 */
}

/* tcp_cc_idle_restart: RFC 5681 4.1: after an idle period longer than the
 * RTO, cwnd restarts from RW = min(IW, cwnd). Called before sending new
 * data with nothing in flight. */
void tcp_cc_idle_restart(struct tcp_pcb *pcb)
{
	nb_time_t now = pcb->stack->now;
	if (pcb->last_send == 0 || now - pcb->last_send <= pcb->rto)
		return;
	uint64_t iw = (uint64_t)pcb->stack->params.tcp_init_cwnd * smss(pcb);
	if (pcb->cwnd > iw)
		pcb->cwnd = (uint32_t)iw;
}

/* tcp_cc_ack: new data acknowledged outside fast recovery. */
void tcp_cc_ack(struct tcp_pcb *pcb, uint32_t acked)
{
	uint32_t m = smss(pcb);
	if (pcb->cwnd < pcb->ssthresh) {
		pcb->cwnd += NB_MIN(acked, 2 * m);           /* RFC 5681 3.1 eq. 2, RFC 3465 */
	} else {
		pcb->bytes_acked += acked;                   /* RFC 5681 3.1 eq. 3, byte counting */
		if (pcb->bytes_acked >= pcb->cwnd) {
			pcb->bytes_acked -= pcb->cwnd;
			pcb->cwnd += m;
		}
	}
	if (pcb->cwnd > TCP_CWND_MAX)
		pcb->cwnd = TCP_CWND_MAX;
}

/* The next hole to resend in recovery: the first byte at or after from that
 * the peer did not SACK, below SND.MAX; false if there is none. */
static bool next_hole(const struct tcp_pcb *pcb, uint32_t from, uint32_t *seq)
{
	uint32_t x = from, end;
	while (SEQ_LT(x, pcb->snd_max) && tcp_sack_covers(pcb, x, &end))
		x = end;
	if (!SEQ_LT(x, pcb->snd_max))
		return false;
	*seq = x;
	return true;
}

/* RFC 6675 4 IsLost(seq): the byte at seq is deemed lost once more than
 * (DupThresh - 1) * SMSS bytes above it were SACKed (or DupThresh
 * discontiguous blocks lie above it); less could be mere reordering. */
static bool hole_below_sacked(const struct tcp_pcb *pcb, uint32_t seq)
{
	uint32_t above = 0;
	int blocks = 0;
	for (int i = 0; i < pcb->nscore; i++) {
		const struct tcp_sack_blk *b = &pcb->score[i];
		if (SEQ_LEQ(b->end, seq))
			continue;
		above += b->end - (SEQ_GT(b->start, seq) ? b->start : seq);
		blocks++;
	}
	return above > 2 * smss(pcb) || blocks >= 3;
}

/* Unsent bytes in the send buffer. */
static uint32_t unsent(const struct tcp_pcb *pcb)
{
	uint32_t off = pcb->snd_max - pcb->snd_seq0;
	return off < pcb->sndbuf.len ? (uint32_t)pcb->sndbuf.len - off : 0;
}

/* The duplicate ACKs that signal a loss: 3 (RFC 5681), or fewer when less
 * than four segments are out and nothing new can be sent to draw more
 * duplicates (RFC 5827 Early Retransmit: outstanding segments - 1). */
static uint32_t dupthresh(const struct tcp_pcb *pcb)
{
	uint32_t m = smss(pcb);
	uint32_t fl = tcp_flight_size(pcb);
	uint32_t usable = pcb->snd_wnd > fl ? pcb->snd_wnd - fl : 0;
	if (fl >= 4 * m || (unsent(pcb) && usable))
		return 3;
	uint32_t oseg = (fl + m - 1) / m;
	return oseg > 1 ? oseg - 1 : 1;
}

/* RFC 3042 Limited Transmit: on each of the first two duplicate ACKs one
 * new segment may go (peer window permitting) so that small windows still
 * produce three duplicates. cwnd itself is not changed. */
static void limited_transmit(struct tcp_pcb *pcb)
{
	if (pcb->dupacks > 2 || pcb->snd_nxt != pcb->snd_max || !unsent(pcb))
		return;
	uint32_t saved = pcb->cwnd;
	uint32_t allow = tcp_flight_size(pcb) + smss(pcb);
	if (allow > pcb->cwnd)
		pcb->cwnd = allow;
	tcp_output(pcb);
	pcb->cwnd = saved;
}

/* tcp_cc_dupack: one duplicate ACK (RFC 5681 2 definition, checked by the
 * caller). The third starts fast retransmit / NewReno recovery unless the
 * ACK does not cover recover (RFC 6582 3.2 step 2). */
void tcp_cc_dupack(struct tcp_pcb *pcb)
{
	struct nb_stack *s = pcb->stack;
	uint32_t m = smss(pcb);
	pcb->dupacks++;
	NB_COUNT(s, tcp_dup_acks);
	if (pcb->in_recovery) {
		pcb->cwnd += m;                              /* RFC 6582 3.2 step 3 */
		/* SACK: the peer reports more data above a hole not yet resent. */
		uint32_t h;
		if (pcb->sack_ok && next_hole(pcb, pcb->sack_hint, &h) && hole_below_sacked(pcb, h)) {
			int n = tcp_retransmit_seg(pcb, h);
			if (n > 0) {
				NB_COUNT(s, tcp_sack_rexmits);
				pcb->sack_hint = h + (uint32_t)n;
			}
		}
		tcp_output(pcb);
		return;
	}
	/* recover holds SND.MAX at the last loss (one past the highest byte
	 * sent then): duplicates for data older than that are ignored. */
	if (SEQ_LT(pcb->snd_una, pcb->recover))
		return;
	uint32_t thresh = dupthresh(pcb);
	if (pcb->dupacks < thresh) {
		limited_transmit(pcb);
		return;
	}
	if (pcb->dupacks != thresh)
		return;
	pcb->ssthresh = NB_MAX(tcp_flight_size(pcb) / 2, 2 * m);
	pcb->recover = pcb->snd_max;
	pcb->in_recovery = true;
	pcb->partial_acked = false;
	NB_COUNT(s, tcp_fast_retransmits);
	int n = tcp_retransmit_seg(pcb, pcb->snd_una);
	pcb->sack_hint = pcb->snd_una + (uint32_t)(n > 0 ? n : 0);
	pcb->cwnd = pcb->ssthresh + 3 * m;
	tcp_output(pcb);
}

/* tcp_cc_partial_or_full: new data acknowledged during recovery (RFC 6582
 * 3.2 steps 4 and 5). SND.UNA is already updated. */
void tcp_cc_partial_or_full(struct tcp_pcb *pcb, uint32_t acked)
{
	uint32_t m = smss(pcb);
	if (SEQ_GEQ(pcb->snd_una, pcb->recover)) {
		/* Full acknowledgment: deflate and leave recovery. */
		uint32_t fl = tcp_flight_size(pcb);
		pcb->cwnd = NB_MIN(pcb->ssthresh, NB_MAX(fl, m) + m);
		pcb->in_recovery = false;
		pcb->dupacks = 0;
		pcb->bytes_acked = 0;
		return;
	}
	/* Partial acknowledgment: the next hole was lost too. With SACK,
	 * holes below sack_hint were already resent in this recovery; the next
	 * one goes only if the peer holds data above it. */
	uint32_t h = pcb->snd_una;
	bool resend = true;
	if (pcb->sack_ok) {
		uint32_t from = SEQ_GT(pcb->sack_hint, pcb->snd_una) ? pcb->sack_hint : pcb->snd_una;
		resend = next_hole(pcb, from, &h) && (h == pcb->snd_una || hole_below_sacked(pcb, h));
	}
	int n = resend ? tcp_retransmit_seg(pcb, h) : 0;
	if (n > 0 && SEQ_GT(h + (uint32_t)n, pcb->sack_hint))
		pcb->sack_hint = h + (uint32_t)n;
	pcb->cwnd = acked >= pcb->cwnd ? m : pcb->cwnd - acked;
	if (acked >= m)
		pcb->cwnd += m;
	if (!pcb->partial_acked) {
		pcb->partial_acked = true;
		tcp_rexmt_restart(pcb);                      /* "impatient" variant */
	}
}

/* tcp_cc_rto: the retransmission timer expired (RFC 5681 3.1 eq. 4, RFC
 * 6582 4). ssthresh only drops on the first expiry for this data. */
void tcp_cc_rto(struct tcp_pcb *pcb)
{
	uint32_t m = smss(pcb);
	if (pcb->backoff == 0)
		pcb->ssthresh = NB_MAX(tcp_flight_size(pcb) / 2, 2 * m);
	pcb->cwnd = m;
	pcb->bytes_acked = 0;
	pcb->in_recovery = false;
	pcb->dupacks = 0;
	pcb->recover = pcb->snd_max;
	/* RFC 2018 8: the receiver may have reneged; forget what it SACKed. */
	pcb->nscore = 0;
}

static uint32_t score_bytes(const struct tcp_pcb *pcb)
{
	uint32_t n = 0;
	for (int i = 0; i < pcb->nscore; i++)
		n += pcb->score[i].end - pcb->score[i].start;
	return n;
}

/* tcp_sack_update: merges the peer's SACK blocks into the scoreboard
 * (sorted, disjoint ranges above SND.UNA). Blocks outside (SND.UNA, SND.MAX]
 * (D-SACK, stale, bogus) are ignored. Returns whether new bytes were SACKed
 * (which makes the ACK a DupAck in RFC 6675's sense). */
bool tcp_sack_update(struct tcp_pcb *pcb, const struct tcp_opts *o)
{
	uint32_t before = score_bytes(pcb);
	for (int b = 0; b < o->nsack; b++) {
		uint32_t st = o->sack[b].start, en = o->sack[b].end;
		if (!SEQ_LT(st, en) || !SEQ_GT(st, pcb->snd_una) || SEQ_GT(en, pcb->snd_max))
			continue;
		/* insert [st, en), merging overlaps */
		struct tcp_sack_blk nw[TCP_SCORE_MAX + 1];
		int n = 0;
		bool placed = false;
		for (int i = 0; i < pcb->nscore; i++) {
			struct tcp_sack_blk c = pcb->score[i];
			if (SEQ_LT(c.end, st)) {
				nw[n++] = c;
			} else if (SEQ_GT(c.start, en)) {
				if (!placed) {
					nw[n++] = (struct tcp_sack_blk){st, en};
					placed = true;
				}
				nw[n++] = c;
			} else {
				if (SEQ_LT(c.start, st))
					st = c.start;
				if (SEQ_GT(c.end, en))
					en = c.end;
			}
		}
		if (!placed)
			nw[n++] = (struct tcp_sack_blk){st, en};
		if (n > TCP_SCORE_MAX)
			n = TCP_SCORE_MAX;   /* forget the highest: only costs a resend */
		for (int i = 0; i < n; i++)
			pcb->score[i] = nw[i];
		pcb->nscore = n;
	}
	return score_bytes(pcb) > before;
}

/* tcp_sack_clean: drops scoreboard ranges now below SND.UNA. */
void tcp_sack_clean(struct tcp_pcb *pcb)
{
	int k = 0;
	for (int i = 0; i < pcb->nscore; i++) {
		struct tcp_sack_blk c = pcb->score[i];
		if (SEQ_LEQ(c.end, pcb->snd_una))
			continue;
		if (SEQ_LT(c.start, pcb->snd_una))
			c.start = pcb->snd_una;
		pcb->score[k++] = c;
	}
	pcb->nscore = k;
}

/* tcp_sack_covers: true if the peer SACKed the byte at seq; *end is the end
 * of that range. */
bool tcp_sack_covers(const struct tcp_pcb *pcb, uint32_t seq, uint32_t *end)
{
	for (int i = 0; i < pcb->nscore; i++) {
		if (SEQ_LEQ(pcb->score[i].start, seq) && SEQ_LT(seq, pcb->score[i].end)) {
			*end = pcb->score[i].end;
			return true;
		}
	}
	return false;
}
