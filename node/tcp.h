/* tcp.h: TCP (RFC 9293) for nestbed-node: the connection block and the
 * interface the socket layer (sock.c) uses. The protocol lives in
 * tcp_input.c (segment arrival, RFC 9293 3.10.7), tcp_output.c (what and when
 * to send), tcp_timer.c (retransmission, persist, delayed ACK, TIME_WAIT,
 * keep the RFC 6298 arithmetic), tcp_cc.c (RFC 5681 / 6582 NewReno, RFC 3042,
 * RFC 5827, SACK scoreboard), tcp_usrreq.c (the calls below), tcp_subr.c
 * (pcb lifecycle, demux, ports, RFC 6528 ISNs, events, dumps),
 * tcp_options.c, tcp_reass.c, tcp_buf.c; internals in tcp_var.h.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Source Port          |       Destination Port        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                        Sequence Number                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Acknowledgment Number                      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Data |       |C|E|U|A|P|R|S|F|                               |
 *   | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 *   |       |       |R|E|G|K|H|T|N|N|                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           Checksum            |         Urgent Pointer        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                           [Options]                           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Ownership: the socket layer creates a pcb with tcp_new() and owns it until
 * tcp_close() or tcp_abort(); after that TCP alone owns it (FIN exchange,
 * TIME_WAIT) and frees it on reaching CLOSED. TCP tells its owner about
 * changes through pcb->notify(pcb->owner, TCP_EV_*), never by blocking.
 */
#ifndef NB_TCP_H
#define NB_TCP_H

#include "ip.h"
#include "stack.h"

#define TCP_HLEN_MIN 20
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

/* RFC 9293 3.3.2: the eleven states. Order matters for the dump. */
enum tcp_state {
	TCP_CLOSED, TCP_LISTEN, TCP_SYN_SENT, TCP_SYN_RECEIVED, TCP_ESTABLISHED,
	TCP_FIN_WAIT_1, TCP_FIN_WAIT_2, TCP_CLOSE_WAIT, TCP_CLOSING, TCP_LAST_ACK,
	TCP_TIME_WAIT,
};
/* tcp_state_name: "ESTABLISHED", "TIME_WAIT", ... as netstat prints them. */
const char *tcp_state_name(enum tcp_state st);

/* Sequence-space comparisons (RFC 9293 3.4), modulo 2^32. */
#define SEQ_LT(a, b) ((int32_t)((a) - (b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((a) - (b)) <= 0)
#define SEQ_GT(a, b) ((int32_t)((a) - (b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((a) - (b)) >= 0)

/* Events passed to pcb->notify. */
#define TCP_EV_READABLE   0x01  /* data or FIN is waiting in the receive buffer */
#define TCP_EV_WRITABLE   0x02  /* room in the send buffer again */
#define TCP_EV_CONNECTED  0x04  /* handshake completed (active or passive) */
#define TCP_EV_ACCEPT     0x08  /* a listener's accept queue is non-empty */
#define TCP_EV_ERROR      0x10  /* pcb->soerror set (refused, reset, timed out...) */
#define TCP_EV_CLOSED     0x20  /* the connection reached CLOSED */

/* Socket options for tcp_setopt. SNDBUF/RCVBUF take bytes and apply before
 * the connection is set up (the window scale is chosen from RCVBUF at SYN
 * time); REUSEADDR lets bind take a port held by connections (not by a
 * listener). */
enum tcp_opt { TCP_OPT_NODELAY, TCP_OPT_SNDBUF, TCP_OPT_RCVBUF, TCP_OPT_REUSEADDR };

struct tcp_pcb;
typedef void (*tcp_notify_fn)(void *owner, struct tcp_pcb *pcb, unsigned events);

/* A byte ring used for the send and receive buffers. */
struct tcp_ring {
	uint8_t *buf;
	size_t cap, head, len;   /* data is buf[head .. head+len) modulo cap */
};

/* One out-of-order range held for reassembly (RFC 9293 3.10.7.4). The
 * implementation keeps the bytes in the receive ring at their offset
 * (tcp_reass.c), so a node only describes [seq, seq+len); data[] is unused. */
struct tcp_ooo {
	struct tcp_ooo *next;
	uint32_t seq;
	uint32_t len;
	bool fin;
	uint8_t data[];
};

/* A SACK block or a scoreboard range: [start, end) in sequence space. */
struct tcp_sack_blk {
	uint32_t start, end;
};
#define TCP_SACK_MAX 4                    /* blocks carried in one segment */
#define TCP_SCORE_MAX 16                  /* SACKed ranges the sender remembers */

struct tcp_pcb {
	struct nb_stack *stack;
	struct tcp_pcb *next;             /* in the stack's pcb list */
	struct tcp_pcb **pprev;           /* the link that points here (O(1) unlink) */
	struct tcp_pcb *hnext;            /* in the demux hash chain */
	enum tcp_state state;
	uint32_t laddr, faddr;            /* host order */
	uint16_t lport, fport;
	bool hashed;                      /* in the demux table */

	/* Owner (socket layer); NULL once closed by the owner. */
	void *owner;
	tcp_notify_fn notify;
	char app[24];                     /* owning app, for dumps */
	int soerror;                      /* pending error, negative errno */
	int softerror;                    /* ICMP soft error, reported on timeout */
	unsigned ev_pending;              /* events not yet delivered */
	struct tcp_pcb *ev_next;          /* in the stack's to-notify list */
	bool ev_queued;
	bool orphan;                      /* the owner closed it */
	bool dead;                        /* freed; memory reaped after the call */
	bool passive;                     /* created by a listener */
	bool connected;                   /* reached ESTABLISHED once */
	bool reuseaddr;

	/* Send sequence variables (RFC 9293 3.3.1). */
	uint32_t iss, snd_una, snd_nxt, snd_max;
	uint32_t snd_wnd;                 /* peer's window, scaled */
	uint32_t snd_wl1, snd_wl2;
	nb_time_t last_invalid_ack;       /* when we last answered an invalid segment */
	uint32_t snd_up;
	uint32_t snd_seq0;                /* sequence number of sndbuf's first byte */
	uint32_t snd_push;                /* data up to here was pushed (tcp_send push) */
	uint32_t max_sndwnd;              /* largest window the peer offered */
	/* Receive sequence variables. */
	uint32_t irs, rcv_nxt, rcv_wnd, rcv_adv, rcv_up;
	uint32_t last_ack_sent;           /* RCV.NXT in our last segment (RFC 7323 4.3) */
	uint32_t rcv_mss;                 /* largest segment the peer sent, estimates its MSS */
	uint32_t rcv_unacked;             /* bytes received since our last ACK */
	bool ack_now;                     /* an ACK must go out at the next tcp_output */
	bool syn_wnd_capped;              /* last window sent was a SYN's (unscaled) */

	/* Options negotiated on SYN. */
	uint16_t mss;                     /* effective send MSS */
	uint16_t peer_mss, our_mss;
	uint8_t snd_wscale, rcv_wscale;   /* shifts; 0 when not negotiated */
	bool ws_ok, sack_ok, ts_ok;
	uint32_t ts_recent, ts_recent_age;
	uint32_t ts_offset;               /* random offset of our TSval clock (RFC 7323 5.4) */

	/* Congestion control (RFC 5681, RFC 6582). */
	uint32_t cwnd, ssthresh;
	uint32_t dupacks;
	uint32_t recover;                 /* NewReno: highest seq at loss */
	bool in_recovery;
	uint32_t bytes_acked;             /* congestion avoidance byte counting (RFC 3465) */
	bool partial_acked;               /* NewReno: the first partial ACK re-armed the timer */
	nb_time_t last_send;              /* when data last went out (RFC 5681 4.1) */

	/* SACK (RFC 2018): what the peer told us it holds above snd_una. */
	struct tcp_sack_blk score[TCP_SCORE_MAX];
	int nscore;
	uint32_t sack_hint;               /* retransmitted up to here in this recovery */
	uint32_t last_ooo_seq;            /* start of the newest out-of-order arrival */

	/* RTT estimation (RFC 6298), in nanoseconds. */
	nb_time_t srtt, rttvar, rto;
	bool rtt_timing;
	uint32_t rtt_seq;
	nb_time_t rtt_start;
	uint32_t backoff;                 /* consecutive RTO expiries */
	uint32_t retransmits;             /* segments retransmitted, lifetime */
	uint32_t syn_retries;

	/* Timers. */
	struct nb_timer t_rexmt;          /* retransmission / persist */
	struct nb_timer t_delack;
	struct nb_timer t_timewait;       /* 2*MSL, also FIN_WAIT_2 timeout */
	struct nb_timer t_keep;           /* keep-alive (RFC 1122 4.2.3.6), if tcp.keepalive */
	nb_time_t last_rx;                /* when the last segment of this connection arrived */
	uint32_t keep_probes;             /* keep-alive probes since the peer was last heard */
	bool persist;                     /* t_rexmt is running as the persist timer */
	uint32_t persist_shift;           /* persist backoff: interval = RTO << shift */
	uint32_t probes_unanswered;       /* persist probes since the last ACK */
	uint32_t delack_pending;          /* full segments received, unacknowledged */

	/* Buffers. */
	struct tcp_ring sndbuf;           /* [snd_seq0 .. snd_seq0+len) */
	struct tcp_ring rcvbuf;           /* in-order bytes not yet read; out-of-order
	                                     bytes are kept past len at their offset */
	size_t sndbuf_cap, rcvbuf_cap;    /* sizes; rings are allocated lazily */
	struct tcp_ooo *ooo;              /* out-of-order ranges, sorted by seq
	                                     (their bytes live in rcvbuf) */
	size_t ooo_bytes;
	bool nodelay;
	bool fin_queued;                  /* app shut down writing: FIN after sndbuf */
	bool fin_sent;
	bool fin_received;                /* FIN consumed: read returns 0 after data */
	bool rcv_fin_pending;             /* a FIN arrived ahead of missing data */
	uint32_t rcv_fin_seq;             /* its sequence number */
	bool rd_shut;

	/* Listener. */
	struct tcp_pcb *listener;         /* for a child on the SYN or accept queue */
	struct tcp_pcb *accept_q;         /* established children, FIFO */
	struct tcp_pcb *syn_q;            /* embryonic children */
	int backlog, accept_len, syn_len;
	struct tcp_pcb *q_next;
	bool on_accept_q;
};

/* The stack-wide TCP state: all pcbs, counters live in stack->stats. */
struct nb_tcp {
	struct tcp_pcb *pcbs;
	uint32_t isn_secret[4];           /* RFC 6528 */
	uint16_t next_ephemeral;
	struct tcp_pcb **hash;            /* connections by 4-tuple; hcap buckets (power of 2) */
	size_t hcap, hcount;
	struct tcp_pcb *listeners;        /* LISTEN pcbs (chained through hnext) */
	struct tcp_pcb *ev_list;          /* pcbs with events to deliver */
	struct tcp_pcb *graveyard;        /* freed pcbs awaiting the end of the call */
	int depth;                        /* nesting of TCP entry points */
	struct pbuf *txbuf;               /* segments are built here */
	bool tx_busy;
	size_t npcbs;
	uint32_t *port_refs;              /* live pcbs per local port (65536, lazily) */
	bool port_refs_failed;            /* no memory for it: scan every pcb instead */
};

int tcp_init(struct nb_stack *s);
void tcp_free(struct nb_stack *s);

/* tcp_new: a CLOSED pcb owned by `owner`, told of events through notify. */
struct tcp_pcb *tcp_new(struct nb_stack *s, void *owner, tcp_notify_fn notify, const char *app);
/* tcp_bind: sets the local address (0 = any) and port (0 = ephemeral).
 * -EADDRINUSE if the pair is taken, -EINVAL if already bound. */
int tcp_bind(struct tcp_pcb *pcb, uint32_t laddr, uint16_t lport);
/* tcp_listen: LISTEN with SYN and accept queues bounded by backlog. */
int tcp_listen(struct tcp_pcb *pcb, int backlog);
/* tcp_accept: pops an established child (its owner is then the caller's to
 * set with tcp_set_owner); NULL if the queue is empty. */
struct tcp_pcb *tcp_accept(struct tcp_pcb *listener);
void tcp_set_owner(struct tcp_pcb *pcb, void *owner, tcp_notify_fn notify, const char *app);
/* tcp_connect: active open; sends SYN. Returns -EINPROGRESS, or
 * -ENETUNREACH, -EADDRINUSE, -EISCONN, -EINVAL. */
int tcp_connect(struct tcp_pcb *pcb, uint32_t faddr, uint16_t fport);
/* tcp_send: copies up to len bytes into the send buffer; returns bytes taken
 * (> 0), -EAGAIN (buffer full), -EPIPE (write side shut or connection gone),
 * -ENOTCONN. push sends at once, overriding Nagle for this data. */
ssize_t tcp_send(struct tcp_pcb *pcb, const void *buf, size_t len, bool push);
/* tcp_recv: copies in-order bytes out; > 0 bytes, 0 at end of stream,
 * -EAGAIN (nothing yet), or the pending error (-ECONNRESET ...), which is
 * then cleared (reported once, as BSD's so_error). Bytes already received
 * are returned before the error. */
ssize_t tcp_recv(struct tcp_pcb *pcb, void *buf, size_t len);
/* tcp_shutdown: how = SHUT_RD, SHUT_WR (FIN after queued data) or SHUT_RDWR. */
int tcp_shutdown(struct tcp_pcb *pcb, int how);
/* tcp_close: the owner lets go. Graceful FIN, or RST if unread data remains
 * (RFC 9293 3.10.4 / RFC 2525). The pcb may live on (FIN_WAIT, TIME_WAIT). */
void tcp_close(struct tcp_pcb *pcb);
/* tcp_abort: RST (if synchronized) and free at once. */
void tcp_abort(struct tcp_pcb *pcb);
int tcp_setopt(struct tcp_pcb *pcb, enum tcp_opt opt, uint64_t value);

/* Queue sizes for readiness and dumps. */
size_t tcp_sendq(const struct tcp_pcb *pcb);   /* bytes not yet acknowledged */
size_t tcp_recvq(const struct tcp_pcb *pcb);   /* bytes not yet read */
size_t tcp_send_space(const struct tcp_pcb *pcb);

/* A snapshot of one connection for socket dumps, in the spirit of Linux's
 * struct tcp_info / `ss -ti`. Times are nanoseconds; sequence numbers are
 * absolute (as on the wire). */
#define TCP_INFO_TIMERS 4
struct tcp_conn_info {
	enum tcp_state state;
	const char *state_name;           /* tcp_state_name(state) */
	uint32_t laddr, faddr;            /* host order */
	uint16_t lport, fport;
	uint32_t snd_una, snd_nxt, rcv_nxt;
	uint32_t snd_wnd;                 /* peer's offered window, bytes */
	uint32_t rcv_wnd;                 /* window we offer, bytes */
	uint32_t mss;                     /* effective send MSS */
	uint32_t cwnd, ssthresh;          /* bytes */
	nb_time_t srtt, rttvar, rto;      /* srtt 0 until the first sample */
	uint32_t retransmits;             /* segments retransmitted, lifetime */
	uint32_t backoff;                 /* consecutive RTO expiries now */
	size_t sendq, recvq;              /* tcp_sendq / tcp_recvq */
	uint8_t snd_wscale, rcv_wscale;
	bool ws_ok, sack_ok, ts_ok, nodelay;
	bool orphan;                      /* the owner closed it; TCP finishes alone */
	int backlog, accept_len, syn_len; /* listeners */
	int ntimers;
	struct {
		const char *name;         /* "retransmit", "persist", "delack",
		                             "timewait", "fin_wait2" */
		nb_time_t remaining;      /* from stack->now; 0 if already due */
	} timers[TCP_INFO_TIMERS];
	char app[24];
};
/* tcp_get_info: fills *ci from pcb (timers relative to pcb->stack->now). */
void tcp_get_info(const struct tcp_pcb *pcb, struct tcp_conn_info *ci);
/* tcp_foreach: calls fn(pcb, arg) for every pcb of the stack: owned ones,
 * listeners' embryonic and unaccepted children, and orphans finishing their
 * FIN exchange or sitting in TIME_WAIT. fn must not free or close pcbs. */
void tcp_foreach(struct nb_stack *s, void (*fn)(struct tcp_pcb *pcb, void *arg), void *arg);

#endif
