/* script_steps.c: the script's host actions on custom hosts (sockets, apps,
 * UDP: node/cmd_script.c's verbs) and its lab-wide steps (parameters,
 * faults, sleep, dumps). */
#include "script_int.h"

#include "nb.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQ_MS 5000

/* addr_port: "a.b.c.d:port" into buf. */
static const char *addr_port(uint32_t addr, uint16_t port, char *buf, size_t len)
{
	char a[16];
	snprintf(buf, len, "%s:%u", nb_ip4_fmt(addr, a), port);
	return buf;
}

/* shut_word: the node's word for a shutdown direction. */
static const char *shut_word(enum topo_shut how)
{
	return how == TOPO_SHUT_RD ? "rd" : how == TOPO_SHUT_BOTH ? "both" : "wr";
}

/* request_host: sends req to the step's host; any failure is an ERROR.
 * On success the reply is handed to done(), if given, for the detail. */
static void request_host(struct script_ctx *cx, const struct topo_step *s, struct step_res *res, const char *req,
			 void (*done)(const struct nodeproc_reply *r, struct step_res *res))
{
	struct nodeproc_reply r;
	if (script_request_ok(cx, s->host, REQ_MS, &r, res, "%s", req) < 0)
		return;
	if (done)
		done(&r, res);
	nodeproc_reply_free(&r);
}

/* *_done: a reply's interesting keys as the step's detail. */
static void connect_done(const struct nodeproc_reply *r, struct step_res *res)
{
	char lport[16] = "", err[32] = "";
	nodeproc_reply_get(r, "lport", lport, sizeof(lport));
	nodeproc_reply_get(r, "error", err, sizeof(err));
	if (err[0] && strcmp(err, "none"))
		snprintf(res->detail, sizeof(res->detail), "from port %s, error %s", lport, err);
	else if (lport[0] && strcmp(lport, "0"))
		snprintf(res->detail, sizeof(res->detail), "from port %s", lport);
}

static void accept_done(const struct nodeproc_reply *r, struct step_res *res)
{
	char peer[40] = "", q[16] = "";
	nodeproc_reply_get(r, "peer", peer, sizeof(peer));
	nodeproc_reply_get(r, "accept_q", q, sizeof(q));
	snprintf(res->detail, sizeof(res->detail), "from %s; %s more waiting", peer, q[0] ? q : "?");
}

static void send_done(const struct nodeproc_reply *r, struct step_res *res)
{
	uint64_t pending = script_reply_u64(r, "pending", 0);
	if (pending)
		snprintf(res->detail, sizeof(res->detail), "%" PRIu64 " bytes still to write", pending);
}

static void recv_done(const struct nodeproc_reply *r, struct step_res *res)
{
	snprintf(res->detail, sizeof(res->detail), "read %" PRIu64 " bytes", script_reply_u64(r, "read", 0));
}

static void close_done(const struct nodeproc_reply *r, struct step_res *res)
{
	char st[32];
	if (nodeproc_reply_get(r, "state", st, sizeof(st)))
		snprintf(res->detail, sizeof(res->detail), "%s", st);
}

static void udp_send_done(const struct nodeproc_reply *r, struct step_res *res)
{
	char err[32];
	if (nodeproc_reply_get(r, "error", err, sizeof(err)) && strcmp(err, "none"))
		snprintf(res->detail, sizeof(res->detail), "error %s", err);
}

/* app_request: the `app NAME start ...` line for an APP_START step. */
static void app_request(const struct topo_step *s, const char *name, char *req, size_t len)
{
	char ap[32], a[16];
	switch (s->u.app.app) {
	case TOPO_APP_SOURCE:
		snprintf(req, len, "app %s start source %s %" PRIu64, name, addr_port(s->u.app.addr, s->u.app.port, ap, sizeof(ap)),
			 s->u.app.bytes);
		break;
	case TOPO_APP_HTTPGET:
		/* the URL as the parser resolved it: a host name becomes its address */
		snprintf(req, len, "app %s start httpget http://%s:%u%s count %d", name, nb_ip4_fmt(s->u.app.addr, a),
			 s->u.app.port, s->u.app.path ? s->u.app.path : "/", s->u.app.count);
		break;
	default:
		snprintf(req, len, "app %s start %s %u", name, topo_app_name(s->u.app.app), s->u.app.port);
		break;
	}
}

void script_step_host(struct script_ctx *cx, const struct topo_step *s, struct step_res *res)
{
	char req[1024], nb[48], ap[32];
	const char *name;
	void (*done)(const struct nodeproc_reply *, struct step_res *) = NULL;
	switch (s->kind) {
	case TOPO_STEP_LISTEN:
		name = script_obj_name(cx, s->u.listen.obj, nb, sizeof(nb));
		snprintf(req, sizeof(req), "listen %s %u backlog %d app %s", name, s->u.listen.port, s->u.listen.backlog,
			 topo_app_name(s->u.listen.app));
		break;
	case TOPO_STEP_CONNECT:
		name = script_obj_name(cx, s->u.connect.obj, nb, sizeof(nb));
		snprintf(req, sizeof(req), "connect %s %s", name, addr_port(s->u.connect.addr, s->u.connect.port, ap, sizeof(ap)));
		if (s->u.connect.from_port)
			snprintf(req + strlen(req), sizeof(req) - strlen(req), " from %u", s->u.connect.from_port);
		if (s->u.connect.nodelay)
			strncat(req, " nodelay", sizeof(req) - strlen(req) - 1);
		done = connect_done;
		break;
	case TOPO_STEP_ACCEPT:
		snprintf(req, sizeof(req), "accept %s %s", cx->t->objs[s->u.accept.listener].name,
			 script_obj_name(cx, s->u.accept.obj, nb, sizeof(nb)));
		done = accept_done;
		break;
	case TOPO_STEP_SEND:
		name = script_obj_name(cx, s->u.send.obj, nb, sizeof(nb));
		snprintf(req, sizeof(req), "send %s %" PRIu64 "%s", name, s->u.send.bytes, s->u.send.push ? " push" : "");
		done = send_done;
		break;
	case TOPO_STEP_RECV:
		name = script_obj_name(cx, s->u.recv.obj, nb, sizeof(nb));
		if (s->u.recv.bytes)
			snprintf(req, sizeof(req), "recv %s %" PRIu64, name, s->u.recv.bytes);
		else
			snprintf(req, sizeof(req), "recv %s", name);
		done = recv_done;
		break;
	case TOPO_STEP_CLOSE:
	case TOPO_STEP_ABORT:
		name = script_obj_name(cx, s->u.close.obj, nb, sizeof(nb));
		snprintf(req, sizeof(req), "%s %s", s->kind == TOPO_STEP_CLOSE ? "close" : "abort", name);
		done = close_done;
		break;
	case TOPO_STEP_SHUTDOWN:
		name = script_obj_name(cx, s->u.close.obj, nb, sizeof(nb));
		snprintf(req, sizeof(req), "shutdown %s %s", name, shut_word(s->u.close.how));
		done = close_done;
		break;
	case TOPO_STEP_APP_START:
		app_request(s, script_obj_name(cx, s->u.app.obj, nb, sizeof(nb)), req, sizeof(req));
		break;
	case TOPO_STEP_APP_STOP:
		snprintf(req, sizeof(req), "app %s stop", script_obj_name(cx, s->u.app_stop.obj, nb, sizeof(nb)));
		break;
	case TOPO_STEP_UDP_BIND:
		snprintf(req, sizeof(req), "udp %s bind %u", script_obj_name(cx, s->u.udp_bind.obj, nb, sizeof(nb)),
			 s->u.udp_bind.port);
		break;
	case TOPO_STEP_UDP_SEND:
		snprintf(req, sizeof(req), "udp %s send %s %" PRIu64, script_obj_name(cx, s->u.udp_send.obj, nb, sizeof(nb)),
			 addr_port(s->u.udp_send.addr, s->u.udp_send.port, ap, sizeof(ap)), s->u.udp_send.bytes);
		if (s->u.udp_send.from_port)
			snprintf(req + strlen(req), sizeof(req) - strlen(req), " from %u", s->u.udp_send.from_port);
		done = udp_send_done;
		break;
	default:
		step_error(res, "not a host action");
		return;
	}
	request_host(cx, s, res, req, done);
}

/* socket_table: one node's answer to req (`ss` or `ss ext`) into f. */
static void socket_table(struct script_ctx *cx, int host, const char *req, FILE *f)
{
	struct nodeproc_reply r;
	if (lab_node_request(cx->lab, host, REQ_MS, &r, "%s", req) < 0)
		return;
	if (r.ok && r.data && r.data_len)
		fprintf(f, "%s%s", r.data, r.data[r.data_len - 1] != '\n' ? "\n" : "");
	nodeproc_reply_free(&r);
}

/* socket_tables: each custom host's socket table (netstat style) as the
 * node prints it, headed by the host's name, and with `detail` each
 * socket's control block (ss -ti style); NULL if none could be had. */
static char *socket_tables(struct script_ctx *cx, int only, bool detail)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	for (int i = 0; i < cx->t->n_hosts; i++) {
		struct lab_host *lh = lab_host(cx->lab, i);
		if ((only >= 0 && i != only) || !lh || !lh->custom || !lh->alive)
			continue;
		fprintf(f, "%s:\n", lh->name);
		socket_table(cx, i, "ss", f);
		if (detail)
			socket_table(cx, i, "ss ext", f);
	}
	if (fclose(f) != 0 || !len) {
		free(text);
		return NULL;
	}
	return text;
}

/* lab_result: a lab.h call's outcome: rc < 0 is an ERROR with its text. */
static void lab_result(struct step_res *res, int rc, const char *err)
{
	if (rc < 0)
		step_error(res, "%s", err[0] ? err : strerror(-rc));
}

void script_step_lab(struct script_ctx *cx, const struct topo_step *s, struct step_res *res)
{
	struct lab *lab = cx->lab;
	char err[1024] = "", req[256], tag[32];
	switch (s->kind) {
	case TOPO_STEP_SET:
		snprintf(req, sizeof(req), "set %s %s", s->u.set.name, s->u.set.value);
		request_host(cx, s, res, req, NULL);
		return;
	case TOPO_STEP_LINK_SET:
		lab_result(res, lab_link_impair(lab, s->u.link_set.link, s->u.link_set.dir, s->u.link_set.text, err,
						sizeof(err)), err);
		return;
	case TOPO_STEP_LINK_DOWN:
	case TOPO_STEP_LINK_UP:
		lab_result(res, lab_link_set_state(lab, s->u.link.link, s->kind == TOPO_STEP_LINK_UP, err, sizeof(err)),
			   err);
		return;
	case TOPO_STEP_PARTITION:
		lab_result(res, lab_partition(lab, s->u.partition.group, err, sizeof(err)), err);
		return;
	case TOPO_STEP_HEAL:
		lab_result(res, lab_heal(lab, err, sizeof(err)), err);
		return;
	case TOPO_STEP_KILL:
		lab_result(res, lab_host_kill(lab, s->host, err, sizeof(err)), err);
		return;
	case TOPO_STEP_RESTART:
		lab_result(res, lab_host_restart(lab, s->host, err, sizeof(err)), err);
		return;
	case TOPO_STEP_SLEEP:
		if (!script_sleep_ns(s->u.sleep.ns))
			step_error(res, "interrupted");
		return;
	case TOPO_STEP_DUMP:
		snprintf(tag, sizeof(tag), "dump-line%d", s->loc.line);
		lab_result(res, lab_dump_sockets(lab, s->host, tag, err, sizeof(err)), err);
		if (res->outcome == STEP_OK) {
			snprintf(res->detail, sizeof(res->detail), "%s/%s/%s.*", lab->outdir,
				 s->host >= 0 ? script_host_name(cx, s->host) : "*", tag);
			res->text = socket_tables(cx, s->host, s->u.dump.detail);
		}
		return;
	default:
		step_error(res, "step kind '%s' is not handled", topo_step_name(s->kind));
		return;
	}
}
