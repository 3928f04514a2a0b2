/* tcp_usrreq.c: the calls of tcp.h the socket layer makes (BSD's
 * tcp_usrreq): open, bind, listen, accept, connect, send, receive,
 * shutdown, close, abort, options and queue sizes. RFC 9293 3.10.1 - 3.10.6
 * (user calls) say what each does in each state.
 *
 * Every call that can send or change state runs inside tcp_enter/tcp_leave,
 * so events it causes reach owners once the call is over.
 */
#include "tcp_var.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

static void set_app(struct tcp_pcb *pcb, const char *app)
{
	if (!app)
		return;
	size_t n = strnlen(app, sizeof(pcb->app) - 1);
	memcpy(pcb->app, app, n);
	pcb->app[n] = '\0';
}

/* tcp_new: a CLOSED pcb owned by owner. */
struct tcp_pcb *tcp_new(struct nb_stack *s, void *owner, tcp_notify_fn notify, const char *app)
{
	struct tcp_pcb *pcb = tcp_pcb_new(s);
	if (!pcb)
		return NULL;
	pcb->owner = owner;
	pcb->notify = notify;
	set_app(pcb, app);
	return pcb;
}

static bool addr_is_local(const struct nb_stack *s, uint32_t addr)
{
	for (int i = 0; i < s->nifs; i++)
		if (s->ifs[i].addr == addr)
			return true;
	return false;
}

/* tcp_bind: local address (0 = any) and port (0 = ephemeral). */
int tcp_bind(struct tcp_pcb *pcb, uint32_t laddr, uint16_t lport)
{
	struct nb_stack *s = pcb->stack;
	if (pcb->lport || pcb->state != TCP_CLOSED)
		return -EINVAL;
	if (laddr && !addr_is_local(s, laddr))
		return -EADDRNOTAVAIL;
	pcb->laddr = laddr;
	if (lport == 0)
		return tcp_ephemeral_port(s, pcb);
	if (tcp_port_in_use(s, pcb, laddr, lport))
		return -EADDRINUSE;
	tcp_set_lport(pcb, lport);
	return 0;
}

/* tcp_listen: RFC 9293 3.10.1 passive OPEN. The backlog bounds the SYN
 * queue and the accept queue each: min(backlog, tcp.backlog_max), at least
 * 1. Calling it again on a listener updates the backlog. */
int tcp_listen(struct tcp_pcb *pcb, int backlog)
{
	struct nb_stack *s = pcb->stack;
	int max = (int)s->params.tcp_backlog_max;
	if (backlog > max)
		backlog = max;
	if (backlog < 1)
		backlog = 1;
	if (pcb->state == TCP_LISTEN) {
		pcb->backlog = backlog;
		return 0;
	}
	if (pcb->state != TCP_CLOSED || pcb->connected)
		return -EINVAL;
	if (!pcb->lport) {
		int rc = tcp_ephemeral_port(s, pcb);
		if (rc)
			return rc;
	}
	pcb->backlog = backlog;
	tcp_set_state(pcb, TCP_LISTEN);
	tcp_hash_insert(pcb);
	return 0;
}

/* tcp_accept: the oldest established child, now the caller's. */
struct tcp_pcb *tcp_accept(struct tcp_pcb *l)
{
	struct tcp_pcb *c = l->accept_q;
	if (!c)
		return NULL;
	l->accept_q = c->q_next;
	l->accept_len--;
	c->q_next = NULL;
	c->listener = NULL;
	c->on_accept_q = false;
	return c;
}

/* tcp_set_owner: who hears the events of pcb from now on. */
void tcp_set_owner(struct tcp_pcb *pcb, void *owner, tcp_notify_fn notify, const char *app)
{
	pcb->owner = owner;
	pcb->notify = notify;
	set_app(pcb, app);
}

/* tcp_connect: RFC 9293 3.10.1 active OPEN: choose the source address and
 * an ephemeral port if unbound, the ISN (RFC 6528), what to offer (MSS from
 * the path MTU, window scale from the receive buffer, SACK, timestamps),
 * then SYN-SENT and the SYN goes out. */
int tcp_connect(struct tcp_pcb *pcb, uint32_t faddr, uint16_t fport)
{
	struct nb_stack *s = pcb->stack;
	const struct nb_params *p = &s->params;
	if (pcb->state == TCP_LISTEN)
		return -EINVAL;
	if (pcb->state == TCP_SYN_SENT)
		return -EALREADY;
	if (pcb->state != TCP_CLOSED)
		return -EISCONN;
	if (faddr == 0 || fport == 0 || faddr == 0xffffffffu || (faddr >> 28) == 0xe)
		return -EINVAL;
	uint32_t laddr = pcb->laddr;
	if (!laddr) {
		laddr = ip_source_for(s, faddr);
		if (!laddr)
			return -ENETUNREACH;
	}
	pcb->laddr = laddr;
	if (!pcb->lport) {
		int rc = tcp_ephemeral_port(s, pcb);
		if (rc)
			return rc;
	} else if (tcp_lookup(s, laddr, pcb->lport, faddr, fport, false)) {
		return -EADDRINUSE;
	}
	pcb->faddr = faddr;
	pcb->fport = fport;
	pcb->soerror = pcb->softerror = 0;
	pcb->our_mss = tcp_mss_for(s, faddr);
	pcb->mss = pcb->peer_mss = pcb->our_mss;
	pcb->ws_ok = p->tcp_wscale;
	pcb->rcv_wscale = p->tcp_wscale ? tcp_wscale_for(pcb->rcvbuf_cap) : 0;
	pcb->snd_wscale = 0;
	pcb->sack_ok = p->tcp_sack;
	pcb->ts_ok = p->tcp_timestamps;
	pcb->ts_offset = (uint32_t)nb_rng_next(&s->rng);
	pcb->ts_recent = 0;
	pcb->iss = tcp_new_isn(s, laddr, pcb->lport, faddr, fport);
	pcb->snd_una = pcb->snd_nxt = pcb->snd_max = pcb->iss;
	pcb->snd_seq0 = pcb->snd_push = pcb->iss + 1;
	pcb->snd_wnd = 0;
	pcb->rcv_nxt = pcb->rcv_adv = 0;
	pcb->rto = p->tcp_rto_initial;
	pcb->syn_retries = 0;
	pcb->backoff = 0;
	tcp_cc_init(pcb);
	tcp_enter(s);
	tcp_set_state(pcb, TCP_SYN_SENT);
	tcp_hash_insert(pcb);
	NB_COUNT(s, tcp_active_opens);
	tcp_output(pcb);
	tcp_leave(s);
	return -EINPROGRESS;
}

/* Takes the pending error, once (BSD's so_error). */
static int take_error(struct tcp_pcb *pcb)
{
	int e = pcb->soerror;
	pcb->soerror = 0;
	return e;
}

/* tcp_send: RFC 9293 3.10.2 SEND: queue into the send buffer; data queued
 * before the handshake ends goes once it does. push marks everything queued
 * so far to go without waiting for Nagle (the seeds' "send at once"). */
ssize_t tcp_send(struct tcp_pcb *pcb, const void *buf, size_t len, bool push)
{
	struct nb_stack *s = pcb->stack;
	if (pcb->soerror)
		return take_error(pcb);
	switch (pcb->state) {
	case TCP_CLOSED:
		return pcb->connected ? -EPIPE : -ENOTCONN;
	case TCP_LISTEN:
		return -ENOTCONN;
	default:
		break;
	}
	if (pcb->fin_queued)
		return -EPIPE;
	if (len == 0)
		return 0;
	if (!pcb->sndbuf.buf && ring_alloc(&pcb->sndbuf, pcb->sndbuf_cap))
		return -ENOMEM;
	size_t n = ring_write(&pcb->sndbuf, buf, len);
	if (n == 0)
		return -EAGAIN;
	if (push)
		pcb->snd_push = pcb->snd_seq0 + (uint32_t)pcb->sndbuf.len;
	tcp_enter(s);
	tcp_output(pcb);
	tcp_leave(s);
	return (ssize_t)n;
}

/* tcp_recv: RFC 9293 3.10.3 RECEIVE: in-order bytes first; then the
 * pending error (reported once); then 0 at end of stream; else -EAGAIN.
 * Reading may open the window enough to announce it. */
ssize_t tcp_recv(struct tcp_pcb *pcb, void *buf, size_t len)
{
	struct nb_stack *s = pcb->stack;
	if (pcb->rcvbuf.len && !pcb->rd_shut && len) {
		size_t n = ring_read(&pcb->rcvbuf, buf, len);
		if (tcp_synchronized(pcb->state)) {
			tcp_enter(s);
			tcp_output(pcb);
			tcp_leave(s);
		}
		return (ssize_t)n;
	}
	if (pcb->soerror)
		return take_error(pcb);
	if (pcb->fin_received || pcb->rd_shut)
		return 0;
	switch (pcb->state) {
	case TCP_CLOSED:
		return pcb->connected ? 0 : -ENOTCONN;
	case TCP_LISTEN:
		return -ENOTCONN;
	default:
		return len ? -EAGAIN : 0;
	}
}

/* RFC 9293 3.10.4 CLOSE for the sending side: FIN after the queued data.
 * ESTABLISHED -> FIN-WAIT-1, CLOSE-WAIT -> LAST-ACK; in SYN-SENT/RECEIVED
 * the FIN waits for ESTABLISHED (tcp_established). */
static void usrclosed(struct tcp_pcb *pcb)
{
	if (pcb->fin_queued)
		return;
	switch (pcb->state) {
	case TCP_SYN_SENT:
	case TCP_SYN_RECEIVED:
		pcb->fin_queued = true;
		break;
	case TCP_ESTABLISHED:
		pcb->fin_queued = true;
		tcp_set_state(pcb, TCP_FIN_WAIT_1);
		break;
	case TCP_CLOSE_WAIT:
		pcb->fin_queued = true;
		tcp_set_state(pcb, TCP_LAST_ACK);
		break;
	default:
		break;
	}
}

/* tcp_shutdown: SHUT_RD (further data is acknowledged and discarded, reads
 * return 0), SHUT_WR (FIN after queued data; the peer may keep sending:
 * half-close) or both. */
int tcp_shutdown(struct tcp_pcb *pcb, int how)
{
	struct nb_stack *s = pcb->stack;
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return -EINVAL;
	if (pcb->state == TCP_CLOSED || pcb->state == TCP_LISTEN)
		return -ENOTCONN;
	tcp_enter(s);
	if (how == SHUT_RD || how == SHUT_RDWR) {
		pcb->rd_shut = true;
		ring_drop(&pcb->rcvbuf, pcb->rcvbuf.len);
	}
	if (how == SHUT_WR || how == SHUT_RDWR)
		usrclosed(pcb);
	tcp_output(pcb);
	tcp_leave(s);
	return 0;
}

/* tcp_close: the owner lets go (RFC 9293 3.10.4). Unread received data
 * makes it an abort with RST (RFC 9293 3.10.4, RFC 2525 2.17); otherwise a
 * graceful FIN, and TCP finishes alone: FIN-WAIT-2 bounded by
 * tcp.fin_timeout, TIME-WAIT 2*MSL, then the pcb frees itself. */
void tcp_close(struct tcp_pcb *pcb)
{
	struct nb_stack *s = pcb->stack;
	tcp_enter(s);
	pcb->orphan = true;
	pcb->owner = NULL;
	pcb->notify = NULL;
	switch (pcb->state) {
	case TCP_CLOSED:
	case TCP_LISTEN:
		tcp_pcb_free(pcb);
		break;
	case TCP_SYN_SENT:
		tcp_done(pcb, 0);          /* "delete the TCB" */
		break;
	case TCP_TIME_WAIT:
		break;                     /* its timer frees it */
	default:
		if (pcb->rcvbuf.len || pcb->ooo) {
			tcp_drop(pcb, 0);
			break;
		}
		pcb->rd_shut = true;
		usrclosed(pcb);
		if (pcb->state == TCP_FIN_WAIT_2)
			tcp_finwait2_start(pcb);
		tcp_release_buffers(pcb);
		tcp_output(pcb);
		break;
	}
	tcp_leave(s);
}

/* tcp_abort: RFC 9293 3.10.5 ABORT: RST if synchronized, freed at once. */
void tcp_abort(struct tcp_pcb *pcb)
{
	struct nb_stack *s = pcb->stack;
	tcp_enter(s);
	pcb->orphan = true;
	pcb->owner = NULL;
	pcb->notify = NULL;
	if (pcb->state == TCP_CLOSED || pcb->state == TCP_LISTEN)
		tcp_pcb_free(pcb);
	else if (pcb->state == TCP_TIME_WAIT)
		tcp_done(pcb, 0);
	else
		tcp_drop(pcb, 0);
	tcp_leave(s);
}

/* Resizes a buffer (only growing once its ring exists). */
static void buf_resize(struct tcp_ring *r, size_t *cap, size_t want)
{
	if (!r->buf) {
		*cap = want;
		return;
	}
	if (want > r->cap && ring_resize(r, want, r->cap) == 0)
		*cap = want;
}

/* tcp_setopt: NODELAY (0/1), SNDBUF/RCVBUF (bytes, 1 KiB .. 1 GiB),
 * REUSEADDR (0/1). */
int tcp_setopt(struct tcp_pcb *pcb, enum tcp_opt opt, uint64_t value)
{
	struct nb_stack *s = pcb->stack;
	switch (opt) {
	case TCP_OPT_NODELAY:
		pcb->nodelay = value != 0;
		if (pcb->nodelay && tcp_synchronized(pcb->state)) {
			tcp_enter(s);
			tcp_output(pcb);
			tcp_leave(s);
		}
		return 0;
	case TCP_OPT_SNDBUF:
	case TCP_OPT_RCVBUF:
		if (value < 1024 || value > (1u << 30))
			return -EINVAL;
		if (opt == TCP_OPT_SNDBUF)
			buf_resize(&pcb->sndbuf, &pcb->sndbuf_cap, (size_t)value);
		else if (value >= pcb->rcvbuf_cap || pcb->state == TCP_CLOSED ||
			 pcb->state == TCP_LISTEN)   /* never below a window offered (fuzz-found) */
			buf_resize(&pcb->rcvbuf, &pcb->rcvbuf_cap, (size_t)value);
		return 0;
	case TCP_OPT_REUSEADDR:
		pcb->reuseaddr = value != 0;
		return 0;
	}
	return -EINVAL;
}

/* tcp_sendq: bytes queued and not yet acknowledged. */
size_t tcp_sendq(const struct tcp_pcb *pcb) { return pcb->sndbuf.len; }

/* tcp_recvq: bytes received in order and not yet read. */
size_t tcp_recvq(const struct tcp_pcb *pcb) { return pcb->rcvbuf.len; }

/* tcp_send_space: room in the send buffer (0 once writing is shut down). */
size_t tcp_send_space(const struct tcp_pcb *pcb)
{
	if (pcb->fin_queued || (pcb->state == TCP_CLOSED && pcb->connected))
		return 0;
	return pcb->sndbuf_cap > pcb->sndbuf.len ? pcb->sndbuf_cap - pcb->sndbuf.len : 0;
}
