/* tcp_timer.c: the three timers of a pcb.
 *
 *   t_rexmt     retransmission (RFC 6298), SYN / SYN-ACK retries, and -- when
 *               pcb->persist -- the persist timer probing a zero window
 *               (RFC 9293 3.8.6.1, RFC 1122 4.2.2.17)
 *   t_delack    delayed ACK (RFC 9293 3.8.6.3, RFC 1122 4.2.3.2)
 *   t_timewait  2*MSL in TIME_WAIT (RFC 9293 3.6.1), or the FIN_WAIT_2
 *               timeout of an orphaned pcb (params.tcp_fin_timeout)
 *
 * RTO arithmetic (RFC 6298 2): first sample R: SRTT = R, RTTVAR = R/2;
 * later: RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|, SRTT = 7/8 SRTT + 1/8 R;
 * RTO = SRTT + max(G, 4 RTTVAR), clamped to [tcp_rto_min, tcp_rto_max].
 * On expiry RTO doubles (5.5); it is recomputed from the next valid sample,
 * which by Karn's rule never comes from a retransmitted segment.
 */
#include "tcp_var.h"

#include <errno.h>

#define TCP_CLOCK_G NB_US(1)          /* our clock granularity G */
#define TCP_PERSIST_SHIFT_MAX 16

static void tcp_timer_rexmt(struct nb_timer *t, nb_time_t now);
static void tcp_timer_delack(struct nb_timer *t, nb_time_t now);
static void tcp_timer_2msl(struct nb_timer *t, nb_time_t now);
static void tcp_timer_keep(struct nb_timer *t, nb_time_t now);

/* tcp_timers_init: idle timers bound to pcb. */
void tcp_timers_init(struct tcp_pcb *pcb)
{
	timer_init(&pcb->t_rexmt, tcp_timer_rexmt, pcb);
	timer_init(&pcb->t_delack, tcp_timer_delack, pcb);
	timer_init(&pcb->t_timewait, tcp_timer_2msl, pcb);
	timer_init(&pcb->t_keep, tcp_timer_keep, pcb);
}

/* tcp_timers_cancel: idles every timer of pcb. */
void tcp_timers_cancel(struct tcp_pcb *pcb)
{
	struct nb_timers *ts = &pcb->stack->timers;
	timer_cancel(ts, &pcb->t_rexmt);
	timer_cancel(ts, &pcb->t_delack);
	timer_cancel(ts, &pcb->t_timewait);
	timer_cancel(ts, &pcb->t_keep);
	pcb->persist = false;
}

/* tcp_rto_clamp: bounds an RTO to [tcp_rto_min, tcp_rto_max] (RFC 6298 2.4, 2.5). */
nb_time_t tcp_rto_clamp(const struct tcp_pcb *pcb, nb_time_t rto)
{
	const struct nb_params *p = &pcb->stack->params;
	if (rto < p->tcp_rto_min)
		rto = p->tcp_rto_min;
	if (rto > p->tcp_rto_max)
		rto = p->tcp_rto_max;
	return rto;
}

/* tcp_rexmt_start: RFC 6298 5.1: starts the retransmission timer (RTO from
 * now) unless it already runs. */
void tcp_rexmt_start(struct tcp_pcb *pcb)
{
	if (timer_armed(&pcb->t_rexmt) && !pcb->persist)
		return;
	tcp_rexmt_restart(pcb);
}

/* tcp_rexmt_restart: RFC 6298 5.3: (re)starts it to expire RTO from now. */
void tcp_rexmt_restart(struct tcp_pcb *pcb)
{
	pcb->persist = false;
	timer_arm(&pcb->stack->timers, &pcb->t_rexmt, pcb->stack->now + pcb->rto);
}

/* tcp_rexmt_stop: RFC 6298 5.2: all data acknowledged, timer off. */
void tcp_rexmt_stop(struct tcp_pcb *pcb)
{
	if (!pcb->persist)
		timer_cancel(&pcb->stack->timers, &pcb->t_rexmt);
}

/* tcp_persist_start: the persist timer, RTO << persist_shift (clamped). */
void tcp_persist_start(struct tcp_pcb *pcb)
{
	nb_time_t base = pcb->rto;
	uint32_t sh = NB_MIN(pcb->persist_shift, (uint32_t)TCP_PERSIST_SHIFT_MAX);
	pcb->persist = true;
	timer_arm(&pcb->stack->timers, &pcb->t_rexmt,
		  pcb->stack->now + tcp_rto_clamp(pcb, base << sh));
}

/* tcp_rtt_sample: RFC 6298 2.2 / 2.3 with one measurement r (ns). The RTO
 * is recomputed from it, which also undoes any backoff (5.7, Karn). */
void tcp_rtt_sample(struct tcp_pcb *pcb, nb_time_t r)
{
	if (r == 0)
		r = 1;
	if (pcb->srtt == 0) {
		pcb->srtt = r;
		pcb->rttvar = r / 2;
	} else {
		nb_time_t delta = pcb->srtt > r ? pcb->srtt - r : r - pcb->srtt;
		pcb->rttvar = (3 * pcb->rttvar + delta) / 4;
		pcb->srtt = (7 * pcb->srtt + r) / 8;
	}
	pcb->rto = tcp_rto_clamp(pcb, pcb->srtt + NB_MAX(TCP_CLOCK_G, 4 * pcb->rttvar));
}

/* The retransmission timer fired (RFC 6298 5.4 - 5.7), or the persist timer. */
static void tcp_timer_rexmt(struct nb_timer *t, nb_time_t now)
{
	struct tcp_pcb *pcb = t->arg;
	struct nb_stack *s = pcb->stack;
	const struct nb_params *p = &s->params;
	s->now = now;
	tcp_enter(s);

	if (pcb->persist) {
		/* RFC 9293 3.8.6.1: probe the zero window, backing off. RFC 1122
		 * 4.2.2.17: keep probing as long as the peer answers. */
		if (pcb->probes_unanswered >= p->tcp_retries) {
			NB_COUNT(s, tcp_timeouts);
			tcp_drop(pcb, pcb->softerror ? pcb->softerror : -ETIMEDOUT);
			goto out;
		}
		NB_COUNT(s, tcp_zero_window_probes);
		pcb->probes_unanswered++;
		tcp_output_force(pcb);
		if (!pcb->dead && pcb->persist) {
			if (pcb->persist_shift < TCP_PERSIST_SHIFT_MAX)
				pcb->persist_shift++;
			tcp_persist_start(pcb);
		}
		goto out;
	}

	NB_COUNT(s, tcp_rto_fires);
	if (pcb->state == TCP_SYN_SENT || pcb->state == TCP_SYN_RECEIVED) {
		/* SYN or SYN-ACK unanswered: tcp_syn_retries resends, then give up
		 * with the soft error seen meanwhile, if any (RFC 1122 4.2.3.9). */
		if (pcb->syn_retries >= p->tcp_syn_retries) {
			NB_COUNT(s, tcp_timeouts);
			tcp_done(pcb, pcb->softerror ? pcb->softerror : -ETIMEDOUT);
			goto out;
		}
		pcb->syn_retries++;
		pcb->rto = tcp_rto_clamp(pcb, pcb->rto * 2);
		pcb->rtt_timing = false;
		pcb->snd_nxt = pcb->iss;
		tcp_output(pcb);
		goto out;
	}
	if (pcb->state == TCP_CLOSED || pcb->state == TCP_LISTEN || pcb->state == TCP_TIME_WAIT ||
	    pcb->snd_una == pcb->snd_max)
		goto out;

	if (pcb->backoff >= p->tcp_retries) {
		NB_COUNT(s, tcp_timeouts);
		tcp_done(pcb, pcb->softerror ? pcb->softerror : -ETIMEDOUT);
		goto out;
	}
	tcp_cc_rto(pcb);                                      /* RFC 5681 3.1, RFC 6582 4 */
	pcb->backoff++;
	pcb->rto = tcp_rto_clamp(pcb, pcb->rto * 2);          /* 5.5 */
	pcb->rtt_timing = false;                              /* Karn */
	pcb->snd_nxt = pcb->snd_una;                          /* 5.4: resend the earliest */
	tcp_rexmt_restart(pcb);                               /* 5.6 */
	tcp_output(pcb);
out:
	tcp_leave(s);
}

/* tcp_delack_start: holds an ACK back for params.tcp_delack (0: ACK now). */
void tcp_delack_start(struct tcp_pcb *pcb)
{
	nb_time_t d = pcb->stack->params.tcp_delack;
	if (d == 0) {
		pcb->ack_now = true;
		return;
	}
	if (!timer_armed(&pcb->t_delack))
		timer_arm(&pcb->stack->timers, &pcb->t_delack, pcb->stack->now + d);
}

static void tcp_timer_delack(struct nb_timer *t, nb_time_t now)
{
	struct tcp_pcb *pcb = t->arg;
	struct nb_stack *s = pcb->stack;
	s->now = now;
	tcp_enter(s);
	NB_COUNT(s, tcp_delayed_acks);
	tcp_ack_now(pcb);
	tcp_leave(s);
}

/* tcp_timewait_start: RFC 9293 3.6.1: TIME_WAIT for 2*MSL (restarted by a
 * retransmitted FIN); other timers stop. */
void tcp_timewait_start(struct tcp_pcb *pcb)
{
	struct nb_timers *ts = &pcb->stack->timers;
	tcp_set_state(pcb, TCP_TIME_WAIT);
	timer_cancel(ts, &pcb->t_rexmt);
	timer_cancel(ts, &pcb->t_delack);
	pcb->persist = false;
	timer_arm(ts, &pcb->t_timewait, pcb->stack->now + 2 * pcb->stack->params.tcp_msl);
	tcp_release_buffers(pcb);
}

/* tcp_finwait2_start: an orphan in FIN_WAIT_2 waits params.tcp_fin_timeout
 * for the peer's FIN, then goes away (as Linux's tcp_fin_timeout). */
void tcp_finwait2_start(struct tcp_pcb *pcb)
{
	tcp_release_buffers(pcb);
	if (pcb->orphan && pcb->state == TCP_FIN_WAIT_2 && !timer_armed(&pcb->t_timewait))
		timer_arm(&pcb->stack->timers, &pcb->t_timewait,
			  pcb->stack->now + pcb->stack->params.tcp_fin_timeout);
}

static void tcp_timer_2msl(struct nb_timer *t, nb_time_t now)
{
	struct tcp_pcb *pcb = t->arg;
	struct nb_stack *s = pcb->stack;
	s->now = now;
	tcp_enter(s);
	if (pcb->state == TCP_TIME_WAIT) {
		NB_COUNT(s, tcp_timewait_expired);
		tcp_done(pcb, 0);
	} else if (pcb->state == TCP_FIN_WAIT_2) {
		NB_COUNT(s, tcp_finwait2_expired);
		tcp_done(pcb, 0);
	}
	tcp_leave(s);
}

/* tcp_keep_start: RFC 1122 4.2.3.6: with tcp.keepalive set, a connection
 * that hears nothing from its peer for that long is probed. The timer is
 * armed once and checked lazily against last_rx when it fires, so arriving
 * segments never touch the timer heap. */
void tcp_keep_start(struct tcp_pcb *pcb)
{
	nb_time_t idle = pcb->stack->params.tcp_keepalive;
	pcb->keep_probes = 0;
	if (idle)
		timer_arm(&pcb->stack->timers, &pcb->t_keep, pcb->stack->now + idle);
}

/* tcp_timer_keep: RFC 1122 4.2.3.6. Quiet for tcp.keepalive with nothing
 * in flight: a probe, <SEQ=SND.UNA-1><ACK=RCV.NXT> without data (an old
 * sequence number the peer answers with an ACK), every tcp.keepalive_intvl;
 * tcp.keepalive_probes unanswered end the connection (RST, ETIMEDOUT), as
 * Linux does. Anything heard from the peer starts the wait over. While
 * data is in flight or waiting, the retransmission and persist timers are
 * the ones that find a dead peer. */
static void tcp_timer_keep(struct nb_timer *t, nb_time_t now)
{
	struct tcp_pcb *pcb = t->arg;
	struct nb_stack *s = pcb->stack;
	const struct nb_params *p = &s->params;
	s->now = now;
	if (!p->tcp_keepalive || (pcb->state != TCP_ESTABLISHED && pcb->state != TCP_CLOSE_WAIT))
		return;
	tcp_enter(s);
	nb_time_t heard = pcb->last_rx;
	if (now - heard < p->tcp_keepalive) {
		pcb->keep_probes = 0;
		timer_arm(&s->timers, &pcb->t_keep, heard + p->tcp_keepalive);
	} else if (pcb->snd_max != pcb->snd_una || pcb->sndbuf.len) {
		pcb->keep_probes = 0;
		timer_arm(&s->timers, &pcb->t_keep, now + p->tcp_keepalive);
	} else if (pcb->keep_probes >= p->tcp_keepalive_probes) {
		NB_COUNT(s, tcp_keepalive_drops);
		tcp_drop(pcb, -ETIMEDOUT);
	} else {
		NB_COUNT(s, tcp_keepalive_probes);
		pcb->keep_probes++;
		tcp_send_keepalive(pcb);
		timer_arm(&s->timers, &pcb->t_keep, now + p->tcp_keepalive_intvl);
	}
	tcp_leave(s);
}
