/* script_ping.c: `HOST: ping ADDR ...` on either kind of host: the node's
 * own `ping` verb on custom hosts, iputils ping on kernel hosts, judged the
 * same way (expect success: every echo answered; failure: none). */
#include "script_int.h"

#include "nb.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* number_before: the integer just before `word` in s ("3 received"), -1. */
static int number_before(const char *s, const char *word)
{
	const char *w = strstr(s, word);
	if (!w)
		return -1;
	const char *p = w;
	while (p > s && p[-1] == ' ')
		p--;
	const char *end = p;
	while (p > s && p[-1] >= '0' && p[-1] <= '9')
		p--;
	if (p == end)
		return -1;
	return atoi(p);
}

int script_ping_parse(const char *out, struct script_ping_stats *ps)
{
	memset(ps, 0, sizeof(*ps));
	const char *stats = strstr(out, "packets transmitted");
	if (!stats)
		return -1;
	const char *line = stats;
	while (line > out && line[-1] != '\n')
		line--;
	const char *eol = strchr(stats, '\n');
	char buf[256];
	size_t n = eol ? (size_t)(eol - line) : strlen(line);
	snprintf(buf, sizeof(buf), "%.*s", (int)(n < sizeof(buf) ? n : sizeof(buf) - 1), line);
	ps->sent = number_before(buf, "packets transmitted");
	ps->received = number_before(buf, " received");
	if (ps->received < 0)
		ps->received = number_before(buf, " packets received"); /* busybox */
	const char *plus = strstr(buf, "+");
	if (plus && strstr(plus, "error"))
		ps->errors = atoi(plus + 1);
	if (ps->sent < 0 || ps->received < 0)
		return -1;
	const char *rtt = strstr(out, "min/avg/max");
	if (rtt && (rtt = strchr(rtt, '='))) {
		double a, b, c;
		if (sscanf(rtt + 1, " %lf/%lf/%lf", &a, &b, &c) == 3) {
			ps->rtt_min_ms = a;
			ps->rtt_avg_ms = b;
			ps->rtt_max_ms = c;
		}
	}
	return 0;
}

bool script_ping_verdict(const struct script_ping_stats *ps, int count, bool expect_success, char *detail,
			 size_t dlen, char *reason, size_t rlen)
{
	char errs[160] = "";
	if (ps->errors > 0 || ps->error[0])
		snprintf(errs, sizeof(errs), ", %d error%s%s%s", ps->errors, ps->errors == 1 ? "" : "s",
			 ps->error[0] ? ": " : "", ps->error);
	if (ps->received > 0)
		snprintf(detail, dlen, "%d/%d replies, rtt %.2f/%.2f/%.2f ms%s", ps->received, count, ps->rtt_min_ms,
			 ps->rtt_avg_ms, ps->rtt_max_ms, errs);
	else
		snprintf(detail, dlen, "0/%d replies%s", count, errs);
	bool held = expect_success ? ps->received >= count && ps->received > 0 : ps->received == 0;
	reason[0] = '\0';
	if (!held && expect_success)
		snprintf(reason, rlen, "%s, expected %d", detail, count);
	else if (!held)
		snprintf(reason, rlen, "%s, expected none", detail);
	return held;
}

/* ping_custom: the node's ping verb. */
static int ping_custom(struct script_ctx *cx, const struct topo_step *s, struct script_ping_stats *ps,
		       struct step_res *res)
{
	char a[16];
	struct nodeproc_reply r;
	uint64_t budget = (uint64_t)s->u.ping.count * s->u.ping.interval_ns + s->u.ping.timeout_ns;
	int timeout_ms = (int)(budget / 1000000u) + 5000;
	if (script_request(cx, s->host, timeout_ms, &r, res,
			   "ping %s count %d interval %" PRIu64 "ns timeout %" PRIu64 "ns size %d ttl %d",
			   nb_ip4_fmt(s->u.ping.addr, a), s->u.ping.count, s->u.ping.interval_ns, s->u.ping.timeout_ns,
			   s->u.ping.size, s->u.ping.ttl) < 0)
		return -1;
	memset(ps, 0, sizeof(*ps));
	if (!r.ok) {
		/* the node could not send at all (no route ...): no replies */
		snprintf(ps->error, sizeof(ps->error), "%s", r.status);
		ps->errors = 1;
	} else {
		ps->sent = (int)script_reply_u64(&r, "sent", 0);
		ps->received = (int)script_reply_u64(&r, "received", 0);
		ps->errors = (int)script_reply_u64(&r, "errors", 0);
		ps->rtt_min_ms = (double)script_reply_u64(&r, "min_ns", 0) / 1e6;
		ps->rtt_avg_ms = (double)script_reply_u64(&r, "avg_ns", 0) / 1e6;
		ps->rtt_max_ms = (double)script_reply_u64(&r, "max_ns", 0) / 1e6;
		if (!nodeproc_reply_get(&r, "error", ps->error, sizeof(ps->error)) || !strcmp(ps->error, "none"))
			ps->error[0] = '\0';
	}
	nodeproc_reply_free(&r);
	return 0;
}

/* ping_kernel: iputils ping inside the kernel host, its output parsed. */
static int ping_kernel(struct script_ctx *cx, const struct topo_step *s, struct script_ping_stats *ps,
		       struct step_res *res)
{
	char count[16], interval[32], wait[32], size[16], ttl[16], addr[16], log[4096], name[64];
	snprintf(count, sizeof(count), "%d", s->u.ping.count);
	snprintf(interval, sizeof(interval), "%.3f", (double)s->u.ping.interval_ns / 1e9);
	snprintf(wait, sizeof(wait), "%.3f", (double)s->u.ping.timeout_ns / 1e9);
	snprintf(size, sizeof(size), "%d", s->u.ping.size);
	snprintf(ttl, sizeof(ttl), "%d", s->u.ping.ttl);
	nb_ip4_fmt(s->u.ping.addr, addr);
	char *argv[] = {"ping", "-n", "-c", count, "-i", interval, "-W", wait, "-s", size, "-t", ttl, addr, NULL};
	snprintf(name, sizeof(name), "ping-line%d.log", s->loc.line);
	script_log_path(cx, s->host, name, log, sizeof(log));
	uint64_t budget = (uint64_t)s->u.ping.count * s->u.ping.interval_ns + s->u.ping.timeout_ns + 5000000000u;
	int status;
	bool timed_out;
	if (script_run_fg(cx, s->host, argv, budget, log, log, &status, &timed_out, res) < 0)
		return -1;
	FILE *f = fopen(log, "r");
	char *text = NULL;
	if (f) {
		text = calloc(1, 65536);
		if (text && fread(text, 1, 65535, f) == 0)
			text[0] = '\0';
		fclose(f);
	}
	int rc = text ? script_ping_parse(text, ps) : -1;
	free(text);
	if (rc == 0)
		return 0;
	char tail[200];
	script_log_tail(log, tail, sizeof(tail));
	if (timed_out) {
		step_error(res, "ping did not finish in time (output: %s)", log);
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 2) {
		/* iputils: an error before any echo went out (unreachable ...) */
		memset(ps, 0, sizeof(*ps));
		snprintf(ps->error, sizeof(ps->error), "%s", tail[0] ? tail : "ping failed");
		ps->errors = 1;
		return 0;
	}
	step_error(res, "could not read ping's output (%s): %s", log, tail);
	return -1;
}

void script_step_ping(struct script_ctx *cx, const struct topo_step *s, struct step_res *res)
{
	struct script_ping_stats ps;
	bool custom = cx->t->hosts[s->host].kind == TOPO_HOST_CUSTOM;
	if ((custom ? ping_custom(cx, s, &ps, res) : ping_kernel(cx, s, &ps, res)) < 0)
		return;
	char reason[REPORT_REASON_MAX];
	if (!script_ping_verdict(&ps, s->u.ping.count, s->u.ping.expect_success, res->detail, sizeof(res->detail),
				 reason, sizeof(reason)))
		step_fail(res, "%s", reason);
}
