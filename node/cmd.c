/* cmd.c: the node's core control verbs: configuration, ping, captures,
 * impairments, carrier changes and dumps (the table is in cmd.h). */
#include "cmd.h"

#include "apps/ping.h"
#include "impair.h"
#include "impair_spec.h"
#include "json.h"
#include "latency.h"
#include "pcap.h"
#include "route.h"
#include "sock_dump.h"
#include "strbuf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_arg_time(struct node *n, struct ctl_req r, const char *what, const char *s, nb_time_t *out)
{
	if (s && nb_parse_time(s, out) == 0)
		return 0;
	ctl_err(&n->ctl, r, "%s wants a time such as 200ms or 2s, not '%s'", what, s ? s : "");
	return -1;
}

int cmd_arg_size(struct node *n, struct ctl_req r, const char *what, const char *s, uint64_t *out)
{
	if (s && nb_parse_size(s, out) == 0)
		return 0;
	ctl_err(&n->ctl, r, "%s wants a size such as 1500 or 1MiB, not '%s'", what, s ? s : "");
	return -1;
}

int cmd_arg_int(struct node *n, struct ctl_req r, const char *what, const char *s, long lo, long hi, long *out)
{
	char *end;
	long v = s ? strtol(s, &end, 10) : 0;
	if (s && *s && !*end && v >= lo && v <= hi) {
		*out = v;
		return 0;
	}
	ctl_err(&n->ctl, r, "%s wants a whole number from %ld to %ld, not '%s'", what, lo, hi, s ? s : "");
	return -1;
}

int cmd_arg_addr_port(struct node *n, struct ctl_req r, const char *s, uint32_t *addr, uint16_t *port)
{
	char buf[64];
	const char *colon = s ? strrchr(s, ':') : NULL;
	if (colon && (size_t)(colon - s) < sizeof(buf)) {
		memcpy(buf, s, (size_t)(colon - s));
		buf[colon - s] = '\0';
		char *end;
		long p = strtol(colon + 1, &end, 10);
		if (!nb_ip4_parse(buf, addr) && colon[1] && !*end && p > 0 && p < 65536) {
			*port = (uint16_t)p;
			return 0;
		}
	}
	ctl_err(&n->ctl, r, "wants ADDRESS:PORT such as 10.0.0.2:80, not '%s'", s ? s : "");
	return -1;
}

/* parse_prefix: "A.B.C.D/P" or "default". */
static int parse_prefix(const char *s, uint32_t *addr, uint8_t *plen)
{
	char buf[32];
	if (!strcmp(s, "default")) {
		*addr = 0;
		*plen = 0;
		return 0;
	}
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	char *end;
	long p = strtol(slash + 1, &end, 10);
	if (nb_ip4_parse(buf, addr) || !slash[1] || *end || p < 0 || p > 32)
		return -1;
	*plen = (uint8_t)p;
	return 0;
}

static void cmd_quit(struct node *n, struct ctl_req r, int argc, char **argv)
{
	ctl_ok(&n->ctl, r, "bye");
	n->quit = true;
}

static void cmd_iface(struct node *n, struct ctl_req r, int argc, char **argv)
{
	uint32_t addr = 0;
	uint8_t plen = 0;
	char err[256], mac[18];
	if (argc != 2 && !(argc == 4 && !strcmp(argv[2], "addr"))) {
		ctl_err(&n->ctl, r, "usage: iface NAME [addr A.B.C.D/P]");
		return;
	}
	if (argc == 4 && (parse_prefix(argv[3], &addr, &plen) || plen == 0)) {
		ctl_err(&n->ctl, r, "iface: bad address '%s' (want A.B.C.D/P)", argv[3]);
		return;
	}
	int idx = node_add_if(n, argv[1], addr, plen, err, sizeof(err));
	if (idx < 0) {
		ctl_err(&n->ctl, r, "iface %s: %s", argv[1], err);
		return;
	}
	struct node_if *nif = &n->ifs[idx];
	ctl_ok(&n->ctl, r, "ifidx=%d mac=%s mtu=%u", idx, nb_mac_fmt(nif->dev.mac, mac), nif->dev.mtu);
}

static void cmd_route(struct node *n, struct ctl_req r, int argc, char **argv)
{
	uint32_t dst, gw = 0;
	uint8_t plen;
	int ifidx = -1;
	if (argc < 3 || strcmp(argv[1], "add") || parse_prefix(argv[2], &dst, &plen)) {
		ctl_err(&n->ctl, r, "usage: route add DST/P|default [via GW] [dev IF]");
		return;
	}
	for (int i = 3; i < argc; i += 2) {
		if (i + 1 >= argc) {
			ctl_err(&n->ctl, r, "route: '%s' wants a value", argv[i]);
			return;
		}
		if (!strcmp(argv[i], "via")) {
			if (nb_ip4_parse(argv[i + 1], &gw)) {
				ctl_err(&n->ctl, r, "route: bad gateway '%s'", argv[i + 1]);
				return;
			}
		} else if (!strcmp(argv[i], "dev")) {
			ifidx = stack_iface_by_name(&n->stack, argv[i + 1]);
			if (ifidx < 0) {
				ctl_err(&n->ctl, r, "route: no interface '%s'", argv[i + 1]);
				return;
			}
		} else {
			ctl_err(&n->ctl, r, "route: unknown option '%s'", argv[i]);
			return;
		}
	}
	int rc = route_add(&n->stack, dst, plen, gw, ifidx);
	if (rc < 0)
		ctl_err(&n->ctl, r, "route add %s: %s", argv[2], strerror(-rc));
	else
		ctl_ok(&n->ctl, r, NULL);
}

static void cmd_set(struct node *n, struct ctl_req r, int argc, char **argv)
{
	char err[256];
	if (argc != 3) {
		ctl_err(&n->ctl, r, "usage: set KEY VALUE");
		return;
	}
	if (params_set(&n->stack.params, argv[1], argv[2], err, sizeof(err)) < 0)
		ctl_err(&n->ctl, r, "%s", err);
	else
		ctl_ok(&n->ctl, r, NULL);
}

static void cmd_get(struct node *n, struct ctl_req r, int argc, char **argv)
{
	char line[128];
	size_t klen = argc > 1 ? strlen(argv[1]) : 0;
	bool found = false;
	for (int i = 0; params_format(&n->stack.params, i, line, sizeof(line)) == 0; i++) {
		if (argc > 1 && (strncmp(line, argv[1], klen) || line[klen] != ' '))
			continue;
		ctl_data(&n->ctl, r, "%s", line);
		found = true;
	}
	if (argc > 1 && !found)
		ctl_err(&n->ctl, r, "unknown parameter '%s'", argv[1]);
	else
		ctl_ok(&n->ctl, r, NULL);
}

/* A ping in progress: the request to answer when it ends. */
struct ping_wait {
	struct node *n;
	struct ctl_req req;
};

static void ping_done(void *arg, const struct ping_result *res)
{
	struct ping_wait *w = arg;
	uint64_t avg = res->received ? res->rtt_sum_ns / res->received : 0;
	ctl_ok(&w->n->ctl, w->req,
	       "sent=%u received=%u errors=%u min_ns=%" PRIu64 " avg_ns=%" PRIu64 " max_ns=%" PRIu64
	       " error=%s",
	       res->sent, res->received, res->errors, res->received ? res->rtt_min_ns : 0, avg,
	       res->rtt_max_ns, res->last_error ? res->last_error : "none");
	free(w);
}

static void cmd_ping(struct node *n, struct ctl_req r, int argc, char **argv)
{
	struct ping_opts o = {.count = 3, .interval = NB_MS(200), .timeout = NB_SEC(1), .size = 56, .ttl = 0};
	if (argc < 2 || nb_ip4_parse(argv[1], &o.dst)) {
		ctl_err(&n->ctl, r, "usage: ping A.B.C.D [count N] [interval T] [timeout T] [size N] [ttl N]");
		return;
	}
	for (int i = 2; i < argc; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		long x;
		if (!strcmp(k, "count")) {
			if (cmd_arg_int(n, r, "count", v, 1, 100000, &x))
				return;
			o.count = (unsigned)x;
		} else if (!strcmp(k, "interval")) {
			if (cmd_arg_time(n, r, "interval", v, &o.interval))
				return;
		} else if (!strcmp(k, "timeout")) {
			if (cmd_arg_time(n, r, "timeout", v, &o.timeout))
				return;
		} else if (!strcmp(k, "size")) {
			if (cmd_arg_int(n, r, "size", v, 0, 65507, &x))
				return;
			o.size = (unsigned)x;
		} else if (!strcmp(k, "ttl")) {
			if (cmd_arg_int(n, r, "ttl", v, 1, 255, &x))
				return;
			o.ttl = (uint8_t)x;
		} else {
			ctl_err(&n->ctl, r, "ping: unknown option '%s'", k);
			return;
		}
	}
	struct ping_wait *w = malloc(sizeof(*w));
	if (!w) {
		ctl_err(&n->ctl, r, "out of memory");
		return;
	}
	w->n = n;
	w->req = r;
	n->stack.now = node_now();
	int rc = ping_start(&n->stack, &o, ping_done, w);
	if (rc < 0) {
		free(w);
		ctl_err(&n->ctl, r, "ping: %s", strerror(-rc));
	}
}

static void cmd_pcap(struct node *n, struct ctl_req r, int argc, char **argv)
{
	struct node_if *nif = argc == 3 ? node_if_by_name(n, argv[1]) : NULL;
	if (!nif) {
		ctl_err(&n->ctl, r, argc == 3 ? "pcap: no interface '%s'" : "usage: pcap IF PATH",
			argc == 3 ? argv[1] : "");
		return;
	}
	if (nif->pcap)
		pcap_close(nif->pcap);
	nif->pcap = pcap_open(argv[2]);
	if (!nif->pcap)
		ctl_err(&n->ctl, r, "pcap: cannot write %s: %s", argv[2], strerror(errno));
	else
		ctl_ok(&n->ctl, r, NULL);
}

/* cmd_impair: impair IF egress|ingress SPEC... [link=N dir=D] */
static void cmd_impair(struct node *n, struct ctl_req r, int argc, char **argv)
{
	struct node_if *nif = argc >= 3 ? node_if_by_name(n, argv[1]) : NULL;
	bool egress = argc >= 3 && !strcmp(argv[2], "egress");
	if (!nif || (!egress && strcmp(argv[2], "ingress"))) {
		ctl_err(&n->ctl, r, "usage: impair IF egress|ingress SPEC... [link=N dir=D]");
		return;
	}
	long link = 0, dir = egress ? 0 : 1;
	uint64_t run_seed = n->seed;
	const char *toks[IMPAIR_TOKENS_MAX];
	int ntok = 0;
	for (int i = 3; i < argc; i++) {
		if (!strncmp(argv[i], "link=", 5))
			link = strtol(argv[i] + 5, NULL, 10);
		else if (!strncmp(argv[i], "seed=", 5))
			run_seed = strtoull(argv[i] + 5, NULL, 10);
		else if (!strncmp(argv[i], "dir=", 4))
			dir = strtol(argv[i] + 4, NULL, 10);
		else if (ntok < IMPAIR_TOKENS_MAX)
			toks[ntok++] = argv[i];
	}
	struct impair_spec spec;
	struct impair_err err;
	if (impair_spec_parse(toks, ntok, &spec, &err) < 0) {
		ctl_err(&n->ctl, r, "impair: %s", err.msg);
		return;
	}
	struct impair **slot = egress ? &nif->egress : &nif->ingress;
	if (egress) {
		nif->egress_link = (int)link;
		nif->egress_dir = (int)dir;
	} else {
		nif->ingress_link = (int)link;
		nif->ingress_dir = (int)dir;
	}
	nb_time_t now = node_now();
	if (!*slot) {
		char name[64];
		*slot = calloc(1, sizeof(**slot));
		if (!*slot) {
			ctl_err(&n->ctl, r, "out of memory");
			return;
		}
		snprintf(name, sizeof(name), "link%ld", link);
		struct impair_spec none;
		impair_spec_init(&none);
		/* Each link direction draws from its own stream of the run seed. */
		impair_init(*slot, &none, impair_seed(run_seed, name, (int)dir));
	}
	struct latency **late = egress ? &nif->egress_late : &nif->ingress_late;
	if (!*late && !(*late = latency_new())) {
		ctl_err(&n->ctl, r, "out of memory");
		return;
	}
	struct impair_spec merged = (*slot)->spec;
	impair_spec_merge(&merged, &spec);
	impair_set_spec(*slot, &merged, now);
	ctl_ok(&n->ctl, r, NULL);
}

/* linkstat_json: one impairment direction as a JSON object on one line. */
static void linkstat_json(struct strbuf *sb, const struct node_if *nif, const char *where,
			  const struct impair *imp, const struct latency *late, int link, int dir)
{
	struct impair_stats st;
	char spec[IMPAIR_SPEC_TEXT_MAX];
	impair_stats(imp, &st);
	impair_spec_format(&imp->spec, spec, sizeof(spec));
	struct json j;
	json_init(&j, sb);
	json_obj_begin(&j);
	json_kv_u64(&j, "link", (uint64_t)link);
	json_kv_u64(&j, "dir", (uint64_t)dir);
	json_kv_str(&j, "if", nif->dev.name);
	json_kv_str(&j, "at", where);
	json_kv_str(&j, "spec", spec);
	json_kv_u64(&j, "sent", st.c.sent);
	json_kv_u64(&j, "delivered", st.c.delivered);
	json_kv_u64(&j, "dropped_loss", st.c.dropped_loss);
	json_kv_u64(&j, "dropped_queue", st.c.dropped_queue);
	json_kv_u64(&j, "dropped_list", st.c.dropped_list);
	json_kv_u64(&j, "dropped_mem", st.c.dropped_mem);
	json_kv_u64(&j, "duplicated", st.c.duplicated);
	json_kv_u64(&j, "reordered", st.c.reordered);
	json_kv_u64(&j, "corrupted", st.c.corrupted);
	json_kv_u64(&j, "delayed", st.c.delayed);
	json_kv_u64(&j, "bytes_delivered", st.c.bytes_delivered);
	json_kv_u64(&j, "delay_min_ns", st.delay_min);
	json_kv_u64(&j, "delay_p50_ns", st.delay_p50);
	json_kv_u64(&j, "delay_p99_ns", st.delay_p99);
	json_kv_u64(&j, "delay_max_ns", st.delay_max);
	json_kv_double(&j, "loss_rate", st.loss_rate);
	json_kv_double(&j, "rate_bps", st.rate_bps);
	json_kv_u64(&j, "cfg_delay_ns", imp->spec.has & IMPAIR_HAS_DELAY ? imp->spec.delay_ns : 0);
	json_kv_u64(&j, "cfg_jitter_ns", imp->spec.has & IMPAIR_HAS_DELAY ? imp->spec.jitter_ns : 0);
	json_kv_double(&j, "cfg_loss", imp->spec.has & IMPAIR_HAS_LOSS && !imp->spec.gilbert ? imp->spec.loss : 0);
	json_kv_u64(&j, "cfg_rate_bps", imp->spec.has & IMPAIR_HAS_RATE ? imp->spec.rate_bps : 0);
	json_kv_u64(&j, "late_p50_ns", late ? latency_quantile(late, 0.50) : 0);
	json_kv_u64(&j, "late_p99_ns", late ? latency_quantile(late, 0.99) : 0);
	json_kv_u64(&j, "late_max_ns", late ? late->max : 0);
	json_obj_end(&j);
	json_finish(&j);
}

/* cmd_linkstats: one data line (JSON) per impaired interface direction. */
static void cmd_linkstats(struct node *n, struct ctl_req r, int argc, char **argv)
{
	for (int i = 0; i < n->nifs; i++) {
		const struct node_if *nif = &n->ifs[i];
		const struct impair *imps[2] = {nif->egress, nif->ingress};
		for (int k = 0; k < 2; k++) {
			if (!imps[k])
				continue;
			struct strbuf sb;
			strbuf_init(&sb);
			linkstat_json(&sb, nif, k ? "ingress" : "egress", imps[k],
				      k ? nif->ingress_late : nif->egress_late,
				      k ? nif->ingress_link : nif->egress_link, k ? nif->ingress_dir : nif->egress_dir);
			if (strbuf_error(&sb)) {
				strbuf_free(&sb);
				ctl_err(&n->ctl, r, "out of memory");
				return;
			}
			ctl_data(&n->ctl, r, "%s", strbuf_cstr(&sb));
			strbuf_free(&sb);
		}
	}
	ctl_ok(&n->ctl, r, NULL);
}

/* devstats_json: one interface's raw-device counters (netdev_stats). */
static void devstats_json(struct strbuf *sb, struct node_if *nif)
{
	struct netdev *d = &nif->dev;
	netdev_poll_stats(d);
	struct json j;
	json_init(&j, sb);
	json_obj_begin(&j);
	json_kv_str(&j, "if", d->name);
	json_kv_u64(&j, "rx_frames", d->st.rx_frames);
	json_kv_u64(&j, "rx_bytes", d->st.rx_bytes);
	json_kv_u64(&j, "rx_calls", d->st.rx_calls);
	json_kv_u64(&j, "tx_frames", d->st.tx_frames);
	json_kv_u64(&j, "tx_bytes", d->st.tx_bytes);
	json_kv_u64(&j, "tx_calls", d->st.tx_calls);
	json_kv_u64(&j, "rx_csum_partial", d->st.rx_csum_partial);
	json_kv_u64(&j, "rx_truncated", d->st.rx_truncated);
	json_kv_u64(&j, "tx_dropped_nobufs", d->st.tx_dropped_nobufs);
	json_kv_u64(&j, "tx_too_big", d->st.tx_too_big);
	json_kv_u64(&j, "tx_errors", d->st.tx_errors);
	json_kv_u64(&j, "kernel_drops", d->st.kernel_drops);
	json_obj_end(&j);
	json_finish(&j);
}

/* cmd_devstats: one data line (JSON) per interface: frames and system calls
 * through its raw socket, and every drop the device layer saw. */
static void cmd_devstats(struct node *n, struct ctl_req r, int argc, char **argv)
{
	for (int i = 0; i < n->nifs; i++) {
		struct strbuf sb;
		strbuf_init(&sb);
		devstats_json(&sb, &n->ifs[i]);
		if (strbuf_error(&sb)) {
			strbuf_free(&sb);
			ctl_err(&n->ctl, r, "out of memory");
			return;
		}
		ctl_data(&n->ctl, r, "%s", strbuf_cstr(&sb));
		strbuf_free(&sb);
	}
	ctl_ok(&n->ctl, r, NULL);
}

static void cmd_link(struct node *n, struct ctl_req r, int argc, char **argv)
{
	struct node_if *nif = argc == 3 ? node_if_by_name(n, argv[1]) : NULL;
	if (!nif || (strcmp(argv[2], "up") && strcmp(argv[2], "down"))) {
		ctl_err(&n->ctl, r, "usage: link IF up|down");
		return;
	}
	stack_set_link(&n->stack, nif->ifidx, !strcmp(argv[2], "up"), node_now());
	ctl_ok(&n->ctl, r, NULL);
}

/* reply_text: sends a strbuf as data lines, then ok (or the build error). */
static void reply_text(struct node *n, struct ctl_req r, struct strbuf *sb, int rc)
{
	if (rc < 0 || strbuf_error(sb)) {
		ctl_err(&n->ctl, r, "out of memory");
	} else {
		ctl_data_block(&n->ctl, r, strbuf_cstr(sb), sb->len);
		ctl_ok(&n->ctl, r, NULL);
	}
	strbuf_free(sb);
}

static void cmd_ss(struct node *n, struct ctl_req r, int argc, char **argv)
{
	struct strbuf sb;
	strbuf_init(&sb);
	const char *mode = argc > 1 ? argv[1] : "";
	int rc;
	if (!strcmp(mode, "ext"))
		rc = sock_dump_ext(&n->stack, &sb);
	else if (!strcmp(mode, "json"))
		rc = sock_dump_json(&n->stack, &sb);
	else
		rc = sock_dump_text(&n->stack, &sb);
	reply_text(n, r, &sb, rc);
}

static void cmd_stats(struct node *n, struct ctl_req r, int argc, char **argv)
{
	struct strbuf sb;
	strbuf_init(&sb);
	int rc = argc > 1 && !strcmp(argv[1], "json") ? stats_dump_json(&n->stack, &sb)
						      : stats_dump_text(&n->stack, &sb);
	reply_text(n, r, &sb, rc);
}

/* write_dump: one artifact file; false (and an error reply) on failure. */
static bool write_dump(struct node *n, struct ctl_req r, const char *prefix, const char *suffix,
		       int (*fn)(struct nb_stack *, struct strbuf *))
{
	char path[4096];
	struct strbuf sb;
	strbuf_init(&sb);
	snprintf(path, sizeof(path), "%s%s", prefix, suffix);
	int rc = fn(&n->stack, &sb);
	FILE *f = rc < 0 ? NULL : fopen(path, "w");
	bool ok = f && strbuf_write_file(&sb, f) == 0;
	if (f && fclose(f))
		ok = false;
	strbuf_free(&sb);
	if (!ok)
		ctl_err(&n->ctl, r, "dump: cannot write %s: %s", path, strerror(errno));
	return ok;
}

static int stats_text_fn(struct nb_stack *s, struct strbuf *sb) { return stats_dump_text(s, sb); }
static int stats_json_fn(struct nb_stack *s, struct strbuf *sb) { return stats_dump_json(s, sb); }
static int sock_both_fn(struct nb_stack *s, struct strbuf *sb)
{
	int rc = sock_dump_text(s, sb);
	if (rc == 0)
		rc = strbuf_puts(sb, "\n");
	return rc < 0 ? rc : sock_dump_ext(s, sb);
}

static void cmd_dump(struct node *n, struct ctl_req r, int argc, char **argv)
{
	if (argc != 2) {
		ctl_err(&n->ctl, r, "usage: dump PATH-PREFIX");
		return;
	}
	n->stack.now = node_now();
	if (write_dump(n, r, argv[1], ".sockets.txt", sock_both_fn) &&
	    write_dump(n, r, argv[1], ".sockets.json", sock_dump_json) &&
	    write_dump(n, r, argv[1], ".stats.txt", stats_text_fn) &&
	    write_dump(n, r, argv[1], ".stats.json", stats_json_fn))
		ctl_ok(&n->ctl, r, NULL);
}

const struct cmd_verb cmd_core_verbs[] = {
	{"quit", cmd_quit, "quit"},
	{"iface", cmd_iface, "iface NAME [addr A.B.C.D/P]"},
	{"route", cmd_route, "route add DST/P|default [via GW] [dev IF]"},
	{"set", cmd_set, "set KEY VALUE"},
	{"get", cmd_get, "get [KEY]"},
	{"ping", cmd_ping, "ping A.B.C.D [count N] [interval T] [timeout T] [size N] [ttl N]"},
	{"pcap", cmd_pcap, "pcap IF PATH"},
	{"impair", cmd_impair, "impair IF egress|ingress SPEC... [link=N dir=D seed=S]"},
	{"linkstats", cmd_linkstats, "linkstats"},
	{"devstats", cmd_devstats, "devstats"},
	{"link", cmd_link, "link IF up|down"},
	{"ss", cmd_ss, "ss [ext|json]"},
	{"stats", cmd_stats, "stats [json]"},
	{"dump", cmd_dump, "dump PATH-PREFIX"},
	{NULL, NULL, NULL},
};

static const struct cmd_verb *find_verb(const struct cmd_verb *t, const char *name)
{
	for (; t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

static void cmd_help(struct node *n, struct ctl_req r)
{
	const struct cmd_verb *tables[] = {cmd_core_verbs, cmd_script_verbs};
	for (size_t i = 0; i < 2; i++)
		for (const struct cmd_verb *v = tables[i]; v->name; v++)
			ctl_data(&n->ctl, r, "%s", v->usage);
	ctl_ok(&n->ctl, r, NULL);
}

/* log_request: one line per control request in the node's log, with the
 * time since the node started, so a run can be read back step by step. */
static void log_request(struct node *n, int argc, char **argv)
{
	static nb_time_t t0;
	if (!t0)
		t0 = n->stack.now;
	nb_time_t dt = n->stack.now - t0;
	fprintf(stderr, "[%5" PRIu64 ".%06" PRIu64 "] %s:", dt / NB_SEC(1), dt % NB_SEC(1) / 1000, n->name);
	for (int i = 0; i < argc; i++)
		fprintf(stderr, " %s", argv[i]);
	fputc('\n', stderr);
}

void cmd_handle(void *arg, struct ctl_req r, int argc, char **argv)
{
	struct node *n = arg;
	n->stack.now = node_now();
	log_request(n, argc, argv);
	if (!strcmp(argv[0], "help")) {
		cmd_help(n, r);
		return;
	}
	const struct cmd_verb *v = find_verb(cmd_core_verbs, argv[0]);
	if (!v)
		v = find_verb(cmd_script_verbs, argv[0]);
	if (!v) {
		ctl_err(&n->ctl, r, "unknown verb '%s' (try help)", argv[0]);
		return;
	}
	v->fn(n, r, argc, argv);
}

void cmd_after_io(struct node *n) { cmd_script_after_io(n); }
