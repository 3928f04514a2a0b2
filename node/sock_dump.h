/* sock_dump.h: what the node's sockets and counters look like from outside.
 *
 * Socket table, as Linux `netstat -anp` spells it, with the seeds' columns:
 *
 *   Active Internet connections (servers and established)
 *   Proto Local Address           Foreign Address         State       PID/Program name
 *   tcp   0.0.0.0:80              0.0.0.0:*               LISTEN      1001/web
 *   tcp   10.0.0.2:80             10.0.0.1:50123          ESTABLISHED 1001/web
 *   tcp   10.0.0.1:50123          10.0.0.2:80             TIME_WAIT   -
 *   udp   0.0.0.0:53              *:*                                 1001/dns
 *
 * Rows: every TCP connection the stack holds (owned by a socket, waiting in a
 * listener's queues, or orphaned after close: FIN_WAIT2, TIME_WAIT ...) and
 * every bound UDP socket; TCP first, listeners first, then by local and
 * foreign address. Pcbs in CLOSED are not shown (Linux unhashes them too).
 * PID/Program is "<node pid>/<app>" for a socket an app holds, "-" for
 * connections no descriptor refers to.
 *
 * The extended view (like `ss -tuani -i`) adds queues, the owning fd and a
 * line of control information per TCP socket; JSON carries all of it.
 * Counters (stats.h) print grouped by layer like `netstat -s`, or as JSON.
 *
 * Every function appends to a caller-owned strbuf and returns 0 or -ENOMEM.
 */
#ifndef NB_SOCK_DUMP_H
#define NB_SOCK_DUMP_H

#include "stack.h"
#include "strbuf.h"
#include "tcp.h"

/* One row of the socket table. */
struct sock_row {
	bool tcp;                     /* else UDP */
	int fd;                       /* descriptor, -1 if none refers to it */
	char program[24];             /* owning app; "" if none */
	bool owned;                   /* an app holds it (PID/Program shown) */
	uint32_t laddr, faddr;        /* host order */
	uint16_t lport, fport;
	size_t recvq, sendq;          /* bytes */
	/* TCP */
	struct tcp_conn_info ti;      /* valid when tcp */
	/* UDP */
	bool udp_connected;
	size_t udp_rcvbuf;
	uint64_t udp_rx, udp_tx, udp_drops;
	int soerror;                  /* pending error (negative errno), 0 if none */
};

/* sock_dump_collect: the rows in display order into a malloc'd array
 * (*rows, *n; free() it). 0 or -ENOMEM. */
int sock_dump_collect(struct nb_stack *s, struct sock_row **rows, size_t *n);

/* sock_state_netstat: a TCP state as Linux netstat prints it
 * (ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE,
 * CLOSE_WAIT, LAST_ACK, LISTEN, CLOSING). */
const char *sock_state_netstat(enum tcp_state st);
/* sock_state_ss: the same as `ss` prints it (ESTAB, TIME-WAIT, ...). */
const char *sock_state_ss(enum tcp_state st);

/* sock_dump_text: the netstat table above. */
int sock_dump_text(struct nb_stack *s, struct strbuf *out);
/* sock_dump_ext: ss-style table plus, for TCP, an indented line of control
 * information (mss, cwnd, ssthresh, srtt, rttvar, rto, sequence numbers,
 * windows, retransmits, timers); for UDP, datagram counters. */
int sock_dump_ext(struct nb_stack *s, struct strbuf *out);
/* sock_dump_json: {"pid":..,"now_ns":..,"sockets":[{...}, ...]}. */
int sock_dump_json(struct nb_stack *s, struct strbuf *out);

/* stats_dump_text: "Ip:\n    rx: 12\n..." one block per layer. */
int stats_dump_text(const struct nb_stack *s, struct strbuf *out);
/* stats_dump_json: {"eth":{"rx_frames":12,...},"ip":{...},...}. */
int stats_dump_json(const struct nb_stack *s, struct strbuf *out);

#endif
