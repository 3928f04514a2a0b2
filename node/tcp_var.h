/* tcp_var.h: declarations shared by the tcp_*.c files only (BSD's
 * tcp_var.h). The socket layer uses tcp.h.
 *
 *   tcp_usrreq.c  the tcp.h calls (connect, send, recv, close ...)
 *   tcp_subr.c    pcb lifecycle, demux table, ports, ISNs, events
 *   tcp_input.c   segment arrival (RFC 9293 3.10.7)
 *   tcp_output.c  what and when to send, segment building, RSTs
 *   tcp_timer.c   retransmission, persist, delayed ACK, TIME_WAIT (RFC 6298)
 *   tcp_cc.c      congestion control (RFC 5681, RFC 6582)
 *   tcp_options.c option parsing and building (RFC 9293 3.2, 7323, 2018)
 *   tcp_reass.c   out-of-order queue and in-order delivery
 *   tcp_buf.c     byte rings
 */
#ifndef NB_TCP_VAR_H
#define NB_TCP_VAR_H

#include "tcp.h"

/* Option kinds (RFC 9293 3.2, RFC 7323, RFC 2018). */
#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WS 3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_SACK 5
#define TCPOPT_TS 8
#define TCPOLEN_TS_ALIGNED 12       /* NOP NOP TS(10) */
#define TCP_MAX_WSCALE 14           /* RFC 7323 2.3 */
#define TCP_DEFAULT_MSS 536         /* RFC 9293 3.7.1 when the peer sends none */
#define TCP_MIN_MSS 64              /* floor against absurd MSS / PMTU values */
#define TCP_MAXWIN 65535
#define TCP_OOO_MAX_RANGES 64       /* disjoint out-of-order ranges kept */

/* Options found in one segment. */
struct tcp_opts {
	bool mss_ok, ws_ok, sack_perm, ts_present;
	uint16_t mss;
	uint8_t ws;
	uint32_t tsval, tsecr;
	int nsack;
	struct tcp_sack_blk sack[TCP_SACK_MAX];
};

/* One arriving segment, its header decoded (host order). */
struct tcp_seg {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd, urp;
	const uint8_t *data;
	uint32_t len;                /* data bytes (after trimming) */
	uint32_t rawlen;             /* data bytes as received */
	bool syn_stripped;           /* a SYN-ACK turned into an ACK: window unscaled */
	struct tcp_opts opt;
};

/* SEG.LEN of RFC 9293: data plus one for each of SYN and FIN. */
static inline uint32_t tcp_seg_seqlen(const struct tcp_seg *g)
{
	return g->len + !!(g->flags & TCP_SYN) + !!(g->flags & TCP_FIN);
}

static inline bool tcp_synchronized(enum tcp_state st)
{
	return st >= TCP_ESTABLISHED || st == TCP_SYN_RECEIVED;
}

/* tcp_buf.c */
int ring_alloc(struct tcp_ring *r, size_t cap);
void ring_free(struct tcp_ring *r);
int ring_resize(struct tcp_ring *r, size_t cap, size_t keep);
void ring_write_at(struct tcp_ring *r, size_t off, const void *data, size_t n);
size_t ring_write(struct tcp_ring *r, const void *data, size_t n);
void ring_peek(const struct tcp_ring *r, size_t off, void *dst, size_t n);
size_t ring_drop(struct tcp_ring *r, size_t n);
size_t ring_read(struct tcp_ring *r, void *dst, size_t n);

/* tcp_options.c */
int tcp_opts_parse(const uint8_t *p, size_t len, bool syn, struct tcp_opts *o);
size_t tcp_opts_build_syn(const struct tcp_pcb *pcb, bool synack, uint8_t *p);
size_t tcp_opts_len(const struct tcp_pcb *pcb, bool with_sack);
size_t tcp_opts_build(const struct tcp_pcb *pcb, bool with_sack, uint8_t *p);
uint32_t tcp_ts_now(const struct tcp_pcb *pcb);

/* tcp_subr.c */
struct tcp_pcb *tcp_pcb_new(struct nb_stack *s);
void tcp_pcb_free(struct tcp_pcb *pcb);
void tcp_hash_insert(struct tcp_pcb *pcb);
void tcp_hash_remove(struct tcp_pcb *pcb);
struct tcp_pcb *tcp_lookup(struct nb_stack *s, uint32_t laddr, uint16_t lport,
			   uint32_t faddr, uint16_t fport, bool listeners);
/* tcp_set_lport: sets pcb's local port, keeping the per-port count. */
void tcp_set_lport(struct tcp_pcb *pcb, uint16_t lport);
bool tcp_port_in_use(struct nb_stack *s, const struct tcp_pcb *self, uint32_t laddr,
		     uint16_t lport);
int tcp_ephemeral_port(struct nb_stack *s, struct tcp_pcb *pcb);
uint32_t tcp_new_isn(struct nb_stack *s, uint32_t laddr, uint16_t lport, uint32_t faddr,
		     uint16_t fport);
void tcp_event(struct tcp_pcb *pcb, unsigned ev);
void tcp_enter(struct nb_stack *s);
void tcp_leave(struct nb_stack *s);
void tcp_done(struct tcp_pcb *pcb, int err);
void tcp_drop(struct tcp_pcb *pcb, int err);
void tcp_established(struct tcp_pcb *pcb);
void tcp_set_state(struct tcp_pcb *pcb, enum tcp_state st);
int tcp_rcvbuf_ensure(struct tcp_pcb *pcb);
void tcp_release_buffers(struct tcp_pcb *pcb);

/* tcp_output.c */
int tcp_output(struct tcp_pcb *pcb);
int tcp_retransmit_seg(struct tcp_pcb *pcb, uint32_t seq);
void tcp_ack_now(struct tcp_pcb *pcb);
void tcp_ack_invalid(struct tcp_pcb *pcb, bool data);
void tcp_send_rst(struct tcp_pcb *pcb);
void tcp_challenge_ack(struct tcp_pcb *pcb);
void tcp_respond(struct nb_stack *s, uint32_t laddr, uint32_t faddr, uint16_t lport,
		 uint16_t fport, uint32_t seq, uint32_t ack, uint8_t flags);
uint16_t tcp_mss_for(struct nb_stack *s, uint32_t faddr);
uint32_t tcp_maxseg(const struct tcp_pcb *pcb);
uint32_t tcp_rcv_space(const struct tcp_pcb *pcb);
uint8_t tcp_wscale_for(size_t rcvbuf);
bool tcp_mtu_update(struct tcp_pcb *pcb, uint32_t mtu);
void tcp_output_force(struct tcp_pcb *pcb);

/* tcp_timer.c */
void tcp_timers_init(struct tcp_pcb *pcb);
void tcp_timers_cancel(struct tcp_pcb *pcb);
void tcp_rexmt_start(struct tcp_pcb *pcb);
void tcp_rexmt_restart(struct tcp_pcb *pcb);
void tcp_rexmt_stop(struct tcp_pcb *pcb);
void tcp_persist_start(struct tcp_pcb *pcb);
void tcp_rtt_sample(struct tcp_pcb *pcb, nb_time_t rtt);
nb_time_t tcp_rto_clamp(const struct tcp_pcb *pcb, nb_time_t rto);
void tcp_delack_start(struct tcp_pcb *pcb);
void tcp_timewait_start(struct tcp_pcb *pcb);
/* tcp_keep_start: arms the keep-alive timer if tcp.keepalive is set. */
void tcp_keep_start(struct tcp_pcb *pcb);
/* tcp_send_keepalive: one probe, <SEQ=SND.UNA-1><ACK=RCV.NXT>, no data. */
void tcp_send_keepalive(struct tcp_pcb *pcb);
void tcp_finwait2_start(struct tcp_pcb *pcb);

/* tcp_cc.c */
void tcp_cc_init(struct tcp_pcb *pcb);
void tcp_cc_idle_restart(struct tcp_pcb *pcb);
void tcp_cc_ack(struct tcp_pcb *pcb, uint32_t acked);
void tcp_cc_dupack(struct tcp_pcb *pcb);
void tcp_cc_partial_or_full(struct tcp_pcb *pcb, uint32_t acked);
void tcp_cc_rto(struct tcp_pcb *pcb);
uint32_t tcp_flight_size(const struct tcp_pcb *pcb);
bool tcp_sack_update(struct tcp_pcb *pcb, const struct tcp_opts *o);
bool tcp_sack_covers(const struct tcp_pcb *pcb, uint32_t seq, uint32_t *end);
void tcp_sack_clean(struct tcp_pcb *pcb);

/* tcp_reass.c */
uint32_t tcp_reass(struct tcp_pcb *pcb, uint32_t seq, const uint8_t *data, uint32_t len,
		   bool fin, bool *fin_now);
void tcp_reass_flush(struct tcp_pcb *pcb);
int tcp_reass_sack(const struct tcp_pcb *pcb, struct tcp_sack_blk *blk, int max);

#endif
