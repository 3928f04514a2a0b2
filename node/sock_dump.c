/* sock_dump.c: socket tables and counters as text and JSON (see sock_dump.h). */
#include "sock_dump.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "sock_var.h"
#include "udp.h"

/* sock_state_netstat: Linux net-tools spelling of a state. */
const char *sock_state_netstat(enum tcp_state st)
{
	static const char *const names[] = {
		[TCP_CLOSED] = "CLOSE",           [TCP_LISTEN] = "LISTEN",
		[TCP_SYN_SENT] = "SYN_SENT",      [TCP_SYN_RECEIVED] = "SYN_RECV",
		[TCP_ESTABLISHED] = "ESTABLISHED", [TCP_FIN_WAIT_1] = "FIN_WAIT1",
		[TCP_FIN_WAIT_2] = "FIN_WAIT2",   [TCP_CLOSE_WAIT] = "CLOSE_WAIT",
		[TCP_CLOSING] = "CLOSING",        [TCP_LAST_ACK] = "LAST_ACK",
		[TCP_TIME_WAIT] = "TIME_WAIT",
	};
	return (unsigned)st < NB_ARRAY_LEN(names) ? names[st] : "UNKNOWN";
}

/* sock_state_ss: iproute2 `ss` spelling of a state. */
const char *sock_state_ss(enum tcp_state st)
{
	static const char *const names[] = {
		[TCP_CLOSED] = "CLOSE",          [TCP_LISTEN] = "LISTEN",
		[TCP_SYN_SENT] = "SYN-SENT",     [TCP_SYN_RECEIVED] = "SYN-RECV",
		[TCP_ESTABLISHED] = "ESTAB",     [TCP_FIN_WAIT_1] = "FIN-WAIT-1",
		[TCP_FIN_WAIT_2] = "FIN-WAIT-2", [TCP_CLOSE_WAIT] = "CLOSE-WAIT",
		[TCP_CLOSING] = "CLOSING",       [TCP_LAST_ACK] = "LAST-ACK",
		[TCP_TIME_WAIT] = "TIME-WAIT",
	};
	return (unsigned)st < NB_ARRAY_LEN(names) ? names[st] : "UNKNOWN";
}

/* ---- collecting rows ---- */

struct rows {
	struct sock_row *v;
	size_t n, cap;
	bool oom;
};

/* row_add: a zeroed row (fd -1) at the end; NULL (and oom set) on failure. */
static struct sock_row *row_add(struct rows *r)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct sock_row *v = realloc(r->v, cap * sizeof(*v));
		if (!v) {
			r->oom = true;
			return NULL;
		}
		r->v = v;
		r->cap = cap;
	}
	struct sock_row *row = &r->v[r->n++];
	memset(row, 0, sizeof(*row));
	row->fd = -1;
	return row;
}

/* add_tcp: a row for a TCP pcb not in CLOSED, owner resolved to fd/app. */
static void add_tcp(struct tcp_pcb *pcb, void *arg)
{
	struct rows *r = arg;
	if (pcb->state == TCP_CLOSED)
		return;
	struct sock_row *row = row_add(r);
	if (!row)
		return;
	row->tcp = true;
	tcp_get_info(pcb, &row->ti);
	row->laddr = pcb->laddr;
	row->faddr = pcb->faddr;
	row->lport = pcb->lport;
	row->fport = pcb->fport;
	row->recvq = row->ti.recvq;
	row->sendq = row->ti.sendq;
	row->soerror = pcb->soerror;
	if (pcb->state == TCP_LISTEN)   /* Linux: accept queue / backlog */
		row->recvq = (size_t)pcb->accept_len;
	struct nb_sock *so = sock_of_tcp(pcb);
	if (so) {
		row->fd = so->fd;
		row->owned = true;
		snprintf(row->program, sizeof(row->program), "%s", so->app);
	} else if (pcb->owner && !pcb->orphan) {   /* held by something else */
		row->owned = true;
		snprintf(row->program, sizeof(row->program), "%s", pcb->app);
	}
}

/* add_udp: a row for a bound UDP pcb. */
static void add_udp(struct udp_pcb *pcb, void *arg)
{
	struct rows *r = arg;
	if (!pcb->lport)
		return;
	struct sock_row *row = row_add(r);
	if (!row)
		return;
	row->laddr = pcb->laddr;
	row->faddr = pcb->connected ? pcb->faddr : 0;
	row->lport = pcb->lport;
	row->fport = pcb->connected ? pcb->fport : 0;
	row->udp_connected = pcb->connected;
	row->recvq = pcb->rq_bytes;
	row->udp_rcvbuf = pcb->rcvbuf;
	row->udp_rx = pcb->rx_dgrams;
	row->udp_tx = pcb->tx_dgrams;
	row->udp_drops = pcb->rx_dropped;
	row->soerror = pcb->soerror;
	struct nb_sock *so = sock_of_udp(pcb);
	if (so) {
		row->fd = so->fd;
		row->owned = true;
		snprintf(row->program, sizeof(row->program), "%s", so->app);
	} else if (pcb->owner) {
		row->owned = true;
		snprintf(row->program, sizeof(row->program), "%s", pcb->app);
	}
}

#define CMP(a, b) do { if ((a) != (b)) return (a) < (b) ? -1 : 1; } while (0)

/* row_cmp: display order: TCP, listeners first, then local and foreign
 * address and port, then fd. */
static int row_cmp(const void *pa, const void *pb)
{
	const struct sock_row *a = pa, *b = pb;
	CMP(!a->tcp, !b->tcp);
	if (a->tcp)
		CMP(a->ti.state != TCP_LISTEN, b->ti.state != TCP_LISTEN);
	CMP(a->laddr, b->laddr);
	CMP(a->lport, b->lport);
	CMP(a->faddr, b->faddr);
	CMP(a->fport, b->fport);
	CMP(a->fd, b->fd);
	return 0;
}

/* sock_dump_collect: every row, sorted; the caller frees *out. */
int sock_dump_collect(struct nb_stack *s, struct sock_row **out, size_t *n)
{
	struct rows r = {0};
	tcp_foreach(s, add_tcp, &r);
	if (s->udp)
		udp_foreach(s, add_udp, &r);
	if (r.oom) {
		free(r.v);
		*out = NULL;
		*n = 0;
		return -ENOMEM;
	}
	if (r.n)
		qsort(r.v, r.n, sizeof(*r.v), row_cmp);
	*out = r.v;
	*n = r.n;
	return 0;
}

/* ---- text ---- */

static const char *endpoint(char buf[24], uint32_t addr, uint16_t port, bool star_port)
{
	char ip[16];
	nb_ip4_fmt(addr, ip);
	if (star_port)
		snprintf(buf, 24, "%s:*", ip);
	else
		snprintf(buf, 24, "%s:%u", ip, port);
	return buf;
}

/* foreign: the Foreign Address column: "0.0.0.0:*" for listeners, "*:*"
 * for unconnected UDP. */
static const char *foreign(char buf[24], const struct sock_row *r)
{
	if (!r->tcp && !r->udp_connected) {
		snprintf(buf, 24, "*:*");
		return buf;
	}
	return endpoint(buf, r->faddr, r->fport, r->tcp && r->ti.state == TCP_LISTEN);
}

/* program: the PID/Program column: "pid/app" or "-". */
static const char *program(char buf[48], const struct nb_stack *s, const struct sock_row *r)
{
	if (!r->owned)
		snprintf(buf, 48, "-");
	else
		snprintf(buf, 48, "%u/%s", s->pid, r->program[0] ? r->program : "-");
	return buf;
}

/* sock_dump_text: the netstat table (header and one line per row). */
int sock_dump_text(struct nb_stack *s, struct strbuf *out)
{
	struct sock_row *rows;
	size_t n;
	int rc = sock_dump_collect(s, &rows, &n);
	if (rc)
		return rc;
	strbuf_puts(out, "Active Internet connections (servers and established)\n");
	strbuf_printf(out, "%-5s %-23s %-23s %-11s %s\n", "Proto", "Local Address", "Foreign Address",
		      "State", "PID/Program name");
	for (size_t i = 0; i < n; i++) {
		const struct sock_row *r = &rows[i];
		char l[24], f[24], p[48];
		const char *state = r->tcp ? sock_state_netstat(r->ti.state) : r->udp_connected ? "ESTABLISHED" : "";
		strbuf_printf(out, "%-5s %-23s %-23s %-11s %s\n", r->tcp ? "tcp" : "udp",
			      endpoint(l, r->laddr, r->lport, false), foreign(f, r), state, program(p, s, r));
	}
	free(rows);
	return strbuf_error(out);
}

/* fmt_dur: a duration the way ss prints it ("1.234ms", "200ms", "2.5s"). */
static const char *fmt_dur(char buf[24], nb_time_t ns)
{
	if (ns < NB_US(1))
		snprintf(buf, 24, "%" PRIu64 "ns", ns);
	else if (ns < NB_MS(1))
		snprintf(buf, 24, "%.3gus", (double)ns / 1e3);
	else if (ns < NB_SEC(10))
		snprintf(buf, 24, "%.4gms", (double)ns / 1e6);
	else
		snprintf(buf, 24, "%.4gs", (double)ns / 1e9);
	return buf;
}

/* ext_tcp_info: the indented control-information line of one TCP row. */
static void ext_tcp_info(struct strbuf *out, const struct sock_row *r)
{
	const struct tcp_conn_info *t = &r->ti;
	char a[24], b[24], c[24];
	if (t->state == TCP_LISTEN) {
		strbuf_printf(out, "\t backlog:%d accept_q:%d syn_q:%d\n", t->backlog, t->accept_len, t->syn_len);
		return;
	}
	strbuf_puts(out, "\t");
	if (t->ts_ok)
		strbuf_puts(out, " ts");
	if (t->sack_ok)
		strbuf_puts(out, " sack");
	if (t->ws_ok)
		strbuf_printf(out, " wscale:%u,%u", t->snd_wscale, t->rcv_wscale);
	if (t->nodelay)
		strbuf_puts(out, " nodelay");
	strbuf_printf(out, " rto:%s srtt:%s rttvar:%s mss:%u cwnd:%u ssthresh:%u",
		      fmt_dur(a, t->rto), fmt_dur(b, t->srtt), fmt_dur(c, t->rttvar), t->mss, t->cwnd, t->ssthresh);
	strbuf_printf(out, " snd_una:%u snd_nxt:%u rcv_nxt:%u snd_wnd:%u rcv_wnd:%u retrans:%u/%u",
		      t->snd_una, t->snd_nxt, t->rcv_nxt, t->snd_wnd, t->rcv_wnd, t->backoff, t->retransmits);
	if (t->orphan)
		strbuf_puts(out, " orphan");
	for (int i = 0; i < t->ntimers; i++)
		strbuf_printf(out, " timer:(%s,%s)", t->timers[i].name, fmt_dur(a, t->timers[i].remaining));
	if (r->soerror)
		strbuf_printf(out, " error:%s", strerror(-r->soerror));
	strbuf_putc(out, '\n');
}

/* sock_dump_ext: the ss-like table with an information line per row. */
int sock_dump_ext(struct nb_stack *s, struct strbuf *out)
{
	struct sock_row *rows;
	size_t n;
	int rc = sock_dump_collect(s, &rows, &n);
	if (rc)
		return rc;
	strbuf_printf(out, "%-5s %-10s %-6s %-6s %-23s %-23s %s\n", "Netid", "State", "Recv-Q", "Send-Q",
		      "Local Address:Port", "Peer Address:Port", "Process");
	for (size_t i = 0; i < n; i++) {
		const struct sock_row *r = &rows[i];
		char l[24], f[24];
		const char *state = r->tcp ? sock_state_ss(r->ti.state) : r->udp_connected ? "ESTAB" : "UNCONN";
		strbuf_printf(out, "%-5s %-10s %-6zu %-6zu %-23s %-23s ", r->tcp ? "tcp" : "udp", state,
			      r->recvq, r->sendq, endpoint(l, r->laddr, r->lport, false), foreign(f, r));
		if (r->owned && r->fd >= 0)
			strbuf_printf(out, "users:((\"%s\",pid=%u,fd=%d))\n", r->program, s->pid, r->fd);
		else if (r->owned)
			strbuf_printf(out, "users:((\"%s\",pid=%u))\n", r->program, s->pid);
		else
			strbuf_puts(out, "-\n");
		if (r->tcp)
			ext_tcp_info(out, r);
		else
			strbuf_printf(out, "\t rx:%" PRIu64 " tx:%" PRIu64 " drops:%" PRIu64 " rcvbuf:%zu%s%s\n",
				      r->udp_rx, r->udp_tx, r->udp_drops, r->udp_rcvbuf,
				      r->soerror ? " error:" : "", r->soerror ? strerror(-r->soerror) : "");
	}
	free(rows);
	return strbuf_error(out);
}

/* ---- JSON ---- */

static void json_row(struct json *j, const struct nb_stack *s, const struct sock_row *r)
{
	char l[24], f[24], p[48];
	json_obj_begin(j);
	json_kv_str(j, "proto", r->tcp ? "tcp" : "udp");
	if (r->fd >= 0)
		json_kv_i64(j, "fd", r->fd);
	else {
		json_key(j, "fd");
		json_null(j);
	}
	json_kv_str(j, "local", endpoint(l, r->laddr, r->lport, false));
	json_kv_str(j, "foreign", foreign(f, r));
	json_kv_str(j, "laddr", nb_ip4_fmt(r->laddr, l));
	json_kv_u64(j, "lport", r->lport);
	json_kv_str(j, "faddr", nb_ip4_fmt(r->faddr, f));
	json_kv_u64(j, "fport", r->fport);
	if (r->tcp) {
		json_kv_str(j, "state", sock_state_netstat(r->ti.state));
		json_kv_str(j, "tcp_state", r->ti.state_name ? r->ti.state_name : tcp_state_name(r->ti.state));
	} else {
		json_kv_str(j, "state", r->udp_connected ? "ESTABLISHED" : "");
	}
	json_kv_str(j, "pid_program", program(p, s, r));
	json_kv_u64(j, "pid", s->pid);
	json_kv_str(j, "program", r->owned ? r->program : "");
	json_kv_u64(j, "recv_q", r->recvq);
	json_kv_u64(j, "send_q", r->sendq);
	json_kv_i64(j, "error", r->soerror);
	if (r->tcp) {
		const struct tcp_conn_info *t = &r->ti;
		json_kv_bool(j, "orphan", t->orphan);
		if (t->state == TCP_LISTEN) {
			json_kv_i64(j, "backlog", t->backlog);
			json_kv_i64(j, "accept_q", t->accept_len);
			json_kv_i64(j, "syn_q", t->syn_len);
		}
		json_kv_u64(j, "snd_una", t->snd_una);
		json_kv_u64(j, "snd_nxt", t->snd_nxt);
		json_kv_u64(j, "rcv_nxt", t->rcv_nxt);
		json_kv_u64(j, "snd_wnd", t->snd_wnd);
		json_kv_u64(j, "rcv_wnd", t->rcv_wnd);
		json_kv_u64(j, "mss", t->mss);
		json_kv_u64(j, "cwnd", t->cwnd);
		json_kv_u64(j, "ssthresh", t->ssthresh);
		json_kv_u64(j, "srtt_ns", t->srtt);
		json_kv_u64(j, "rttvar_ns", t->rttvar);
		json_kv_u64(j, "rto_ns", t->rto);
		json_kv_u64(j, "retransmits", t->retransmits);
		json_kv_u64(j, "backoff", t->backoff);
		json_kv_u64(j, "snd_wscale", t->snd_wscale);
		json_kv_u64(j, "rcv_wscale", t->rcv_wscale);
		json_kv_bool(j, "sack", t->sack_ok);
		json_kv_bool(j, "timestamps", t->ts_ok);
		json_kv_bool(j, "nodelay", t->nodelay);
		json_key(j, "timers");
		json_arr_begin(j);
		for (int i = 0; i < t->ntimers; i++) {
			json_obj_begin(j);
			json_kv_str(j, "name", t->timers[i].name);
			json_kv_u64(j, "remaining_ns", t->timers[i].remaining);
			json_obj_end(j);
		}
		json_arr_end(j);
	} else {
		json_kv_u64(j, "rcvbuf", r->udp_rcvbuf);
		json_kv_u64(j, "rx_datagrams", r->udp_rx);
		json_kv_u64(j, "tx_datagrams", r->udp_tx);
		json_kv_u64(j, "rx_dropped", r->udp_drops);
	}
	json_obj_end(j);
}

/* sock_dump_json: the rows as one JSON object. */
int sock_dump_json(struct nb_stack *s, struct strbuf *out)
{
	struct sock_row *rows;
	size_t n;
	int rc = sock_dump_collect(s, &rows, &n);
	if (rc)
		return rc;
	struct json j;
	json_init(&j, out);
	json_obj_begin(&j);
	json_kv_u64(&j, "pid", s->pid);
	json_kv_u64(&j, "now_ns", s->now);
	json_key(&j, "sockets");
	json_arr_begin(&j);
	json_break_items(&j);   /* one socket per line */
	for (size_t i = 0; i < n; i++)
		json_row(&j, s, &rows[i]);
	json_arr_end(&j);
	json_obj_end(&j);
	free(rows);
	return json_finish(&j);
}

/* ---- counters ---- */

struct stat_ent {
	const char *layer, *name;
	size_t off;
};

static const struct stat_ent stat_table[] = {
#define NB_STAT_ENT(layer, name) {#layer, #name, offsetof(struct nb_stats, layer##_##name)},
	NB_STATS(NB_STAT_ENT)
#undef NB_STAT_ENT
};

/* stat_value: the counter described by e. */
static uint64_t stat_value(const struct nb_stack *s, const struct stat_ent *e)
{
	uint64_t v;
	memcpy(&v, (const char *)&s->stats + e->off, sizeof(v));
	return v;
}

/* layer_title: "ip" -> "Ip", as netstat -s titles its sections. */
static void layer_title(char buf[16], const char *layer)
{
	snprintf(buf, 16, "%s", layer);
	if (buf[0] >= 'a' && buf[0] <= 'z')
		buf[0] = (char)(buf[0] - 'a' + 'A');
}

/* stats_dump_text: counters in netstat -s blocks, one per layer. */
int stats_dump_text(const struct nb_stack *s, struct strbuf *out)
{
	const char *cur = NULL;
	for (size_t i = 0; i < NB_ARRAY_LEN(stat_table); i++) {
		const struct stat_ent *e = &stat_table[i];
		if (!cur || strcmp(cur, e->layer) != 0) {
			char title[16];
			layer_title(title, e->layer);
			strbuf_printf(out, "%s:\n", title);
			cur = e->layer;
		}
		strbuf_printf(out, "    %s: %" PRIu64 "\n", e->name, stat_value(s, e));
	}
	return strbuf_error(out);
}

/* stats_dump_json: counters as {"layer":{"name":value,...},...}. */
int stats_dump_json(const struct nb_stack *s, struct strbuf *out)
{
	struct json j;
	json_init(&j, out);
	json_obj_begin(&j);
	json_break_items(&j);   /* one layer per line */
	const char *cur = NULL;
	for (size_t i = 0; i < NB_ARRAY_LEN(stat_table); i++) {
		const struct stat_ent *e = &stat_table[i];
		if (!cur || strcmp(cur, e->layer) != 0) {
			if (cur)
				json_obj_end(&j);
			json_key(&j, e->layer);
			json_obj_begin(&j);
			cur = e->layer;
		}
		json_kv_u64(&j, e->name, stat_value(s, e));
	}
	if (cur)
		json_obj_end(&j);
	json_obj_end(&j);
	return json_finish(&j);
}
