/* linkreport.c: gathering impairment figures from the nodes and judging
 * them against the configuration (see linkreport.h). */
#include "linkreport.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* find_key: the text after "key": in a flat JSON object, or NULL. */
static const char *find_key(const char *line, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	const char *p = strstr(line, pat);
	return p ? p + strlen(pat) : NULL;
}

static uint64_t get_u64(const char *line, const char *key)
{
	const char *p = find_key(line, key);
	return p ? strtoull(p, NULL, 10) : 0;
}

static double get_double(const char *line, const char *key)
{
	const char *p = find_key(line, key);
	return p ? strtod(p, NULL) : 0.0;
}

/* get_str: a JSON string value without escapes of interest (our own output). */
static void get_str(const char *line, const char *key, char *buf, size_t len)
{
	const char *p = find_key(line, key);
	size_t n = 0;
	if (p && *p == '"') {
		for (p++; *p && *p != '"' && n + 1 < len; p++) {
			if (*p == '\\' && p[1])
				p++;
			buf[n++] = *p;
		}
	}
	buf[n] = '\0';
}

bool link_figures_parse(const char *line, struct link_figures *f)
{
	memset(f, 0, sizeof(*f));
	if (!find_key(line, "link") || !find_key(line, "dir"))
		return false;
	f->link = (int)get_u64(line, "link");
	f->dir = (int)get_u64(line, "dir");
	get_str(line, "at", f->where, sizeof(f->where));
	get_str(line, "spec", f->spec, sizeof(f->spec));
	f->sent = get_u64(line, "sent");
	f->delivered = get_u64(line, "delivered");
	f->dropped_loss = get_u64(line, "dropped_loss");
	f->dropped_queue = get_u64(line, "dropped_queue");
	f->dropped_list = get_u64(line, "dropped_list");
	f->duplicated = get_u64(line, "duplicated");
	f->reordered = get_u64(line, "reordered");
	f->corrupted = get_u64(line, "corrupted");
	f->delayed = get_u64(line, "delayed");
	f->delay_min_ns = get_u64(line, "delay_min_ns");
	f->delay_p50_ns = get_u64(line, "delay_p50_ns");
	f->delay_p99_ns = get_u64(line, "delay_p99_ns");
	f->delay_max_ns = get_u64(line, "delay_max_ns");
	f->loss_rate = get_double(line, "loss_rate");
	f->rate_bps = get_double(line, "rate_bps");
	f->cfg_delay_ns = get_u64(line, "cfg_delay_ns");
	f->cfg_jitter_ns = get_u64(line, "cfg_jitter_ns");
	f->cfg_rate_bps = get_u64(line, "cfg_rate_bps");
	f->cfg_loss = get_double(line, "cfg_loss");
	f->late_p50_ns = get_u64(line, "late_p50_ns");
	f->late_p99_ns = get_u64(line, "late_p99_ns");
	f->late_max_ns = get_u64(line, "late_max_ns");
	return true;
}

const char *fidelity_name(enum fidelity v)
{
	static const char *names[] = {"n/a", "ok", "OFF", "not saturated"};
	return names[v];
}

struct link_verdicts link_judge(const struct link_figures *f)
{
	struct link_verdicts v = {FID_NA, FID_NA, FID_NA};
	uint64_t drawn = f->sent > f->dropped_list ? f->sent - f->dropped_list : 0;
	if (f->cfg_loss > 0 && drawn > 0) {
		/* Binomial 99% interval (normal approximation, continuity 1/n). */
		double p = f->cfg_loss, n = (double)drawn;
		double half = 2.5758 * sqrt(p * (1 - p) / n) + 1.0 / n;
		double meas = (double)f->dropped_loss / n;
		v.loss = fabs(meas - p) <= half ? FID_OK : FID_OFF;
	}
	if (f->cfg_delay_ns && !f->cfg_jitter_ns && !f->cfg_rate_bps && f->delivered) {
		bool at_least = f->delay_min_ns >= f->cfg_delay_ns;
		bool tight = f->delay_max_ns + f->late_p99_ns - f->cfg_delay_ns <= 100000;
		v.delay = at_least && tight ? FID_OK : FID_OFF;
	}
	if (f->cfg_rate_bps && f->delivered > 1) {
		double ratio = f->rate_bps / (double)f->cfg_rate_bps;
		if (!f->dropped_queue && ratio < 0.98)
			v.rate = FID_UNSATURATED;
		else
			v.rate = fabs(ratio - 1.0) <= 0.02 ? FID_OK : FID_OFF;
	}
	return v;
}

/* end_name: "host:if" or the switch name of one end of a link. */
static const char *end_name(const struct lab *lab, int link, int e)
{
	return lab->topo->links[link].end[e].name;
}

static void write_json(FILE *f, const struct lab *lab, const struct link_figures *v, int n)
{
	fprintf(f, "[\n");
	for (int i = 0; i < n; i++) {
		const struct link_figures *x = &v[i];
		struct link_verdicts j = link_judge(x);
		fprintf(f,
			"  {\"link\": %d, \"dir\": %d, \"from\": \"%s\", \"to\": \"%s\", \"at\": \"%s\", "
			"\"spec\": \"%s\", \"sent\": %" PRIu64 ", \"delivered\": %" PRIu64
			", \"dropped_loss\": %" PRIu64 ", \"dropped_queue\": %" PRIu64 ", \"dropped_list\": %" PRIu64
			", \"duplicated\": %" PRIu64 ", \"reordered\": %" PRIu64 ", \"corrupted\": %" PRIu64
			", \"delayed\": %" PRIu64
			", \"delay_min_ns\": %" PRIu64 ", \"delay_p50_ns\": %" PRIu64 ", \"delay_p99_ns\": %" PRIu64
			", \"delay_max_ns\": %" PRIu64 ", \"loss_rate\": %.6f, \"rate_bps\": %.0f"
			", \"cfg_delay_ns\": %" PRIu64 ", \"cfg_jitter_ns\": %" PRIu64 ", \"cfg_loss\": %.6f"
			", \"cfg_rate_bps\": %" PRIu64 ", \"late_p50_ns\": %" PRIu64 ", \"late_p99_ns\": %" PRIu64
			", \"late_max_ns\": %" PRIu64 ", \"verdict\": {\"loss\": \"%s\", \"delay\": \"%s\", "
			"\"rate\": \"%s\"}}%s\n",
			x->link, x->dir, end_name(lab, x->link, x->dir), end_name(lab, x->link, !x->dir), x->where,
			x->spec, x->sent, x->delivered, x->dropped_loss, x->dropped_queue, x->dropped_list,
			x->duplicated, x->reordered, x->corrupted, x->delayed, x->delay_min_ns, x->delay_p50_ns, x->delay_p99_ns,
			x->delay_max_ns, x->loss_rate, x->rate_bps, x->cfg_delay_ns, x->cfg_jitter_ns, x->cfg_loss,
			x->cfg_rate_bps, x->late_p50_ns, x->late_p99_ns, x->late_max_ns, fidelity_name(j.loss), fidelity_name(j.delay), fidelity_name(j.rate),
			i + 1 < n ? "," : "");
	}
	fprintf(f, "]\n");
}

static void write_table(FILE *f, const struct lab *lab, const struct link_figures *v, int n)
{
	fprintf(f, "%-28s %-26s %9s %9s %16s %22s %18s %14s\n", "link direction", "impairment", "sent",
		"delivered", "loss cfg/meas", "delay p50/p99 (ms)", "rate Mbit/s", "late p50/p99");
	for (int i = 0; i < n; i++) {
		const struct link_figures *x = &v[i];
		struct link_verdicts j = link_judge(x);
		char dirname[96], loss[40] = "-", delay[48] = "-", rate[40] = "-";
		snprintf(dirname, sizeof(dirname), "%s -> %s", end_name(lab, x->link, x->dir),
			 end_name(lab, x->link, !x->dir));
		if (x->cfg_loss > 0)
			snprintf(loss, sizeof(loss), "%.2f/%.2f%% %s", 100 * x->cfg_loss, 100 * x->loss_rate,
				 j.loss == FID_OK ? "ok" : fidelity_name(j.loss));
		if (x->delivered && (x->cfg_delay_ns || x->delay_max_ns)) {
			/* What frames met: the engine's hold plus the loop's lateness. */
			uint64_t p99 = x->cfg_jitter_ns ? x->delay_p99_ns : x->delay_max_ns;
			snprintf(delay, sizeof(delay), "%.3f/%.3f %s", (x->delay_p50_ns + x->late_p50_ns) / 1e6,
				 (p99 + x->late_p99_ns) / 1e6, fidelity_name(j.delay));
		}
		char late[32] = "-";
		if (x->delivered)
			snprintf(late, sizeof(late), "%.0f/%.0f us", x->late_p50_ns / 1e3, x->late_p99_ns / 1e3);
		if (x->cfg_rate_bps)
			snprintf(rate, sizeof(rate), "%.2f/%.2f %s", x->cfg_rate_bps / 1e6, x->rate_bps / 1e6,
				 fidelity_name(j.rate));
		fprintf(f, "%-28.28s %-26.26s %9" PRIu64 " %9" PRIu64 " %16s %22s %18s %14s\n", dirname, x->spec,
			x->sent, x->delivered, loss, delay, rate, late);
	}
}

static int by_link_dir(const void *a, const void *b)
{
	const struct link_figures *x = a, *y = b;
	return x->link != y->link ? x->link - y->link : x->dir - y->dir;
}

int lab_link_report(struct lab *lab, FILE *out, char *err, size_t errlen)
{
	struct link_figures *v = NULL;
	int n = 0, cap = 0;
	for (int h = 0; h < lab->topo->n_hosts; h++) {
		if (!lab->hosts[h].custom || !lab->hosts[h].alive)
			continue;
		struct nodeproc_reply r;
		if (lab_node_request(lab, h, 5000, &r, "linkstats") < 0 || !r.ok) {
			nodeproc_reply_free(&r);
			continue; /* a host that cannot answer has nothing to add */
		}
		for (char *line = r.data; line && *line;) {
			char *nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			if (n == cap) {
				cap = cap ? 2 * cap : 16;
				struct link_figures *nv = realloc(v, (size_t)cap * sizeof(*v));
				if (!nv) {
					free(v);
					nodeproc_reply_free(&r);
					snprintf(err, errlen, "out of memory");
					return -ENOMEM;
				}
				v = nv;
			}
			if (link_figures_parse(line, &v[n]) && v[n].link >= 0 && v[n].link < lab->topo->n_links &&
			    (v[n].dir == 0 || v[n].dir == 1))
				n++;
			line = nl ? nl + 1 : NULL;
		}
		nodeproc_reply_free(&r);
	}
	if (n == 0) {
		free(v);
		return 0;
	}
	qsort(v, (size_t)n, sizeof(*v), by_link_dir);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/links.json", lab->outdir);
	FILE *f = fopen(path, "w");
	if (f) {
		write_json(f, lab, v, n);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/links.txt", lab->outdir);
	FILE *t = fopen(path, "w");
	if (t) {
		write_table(t, lab, v, n);
		fclose(t);
	}
	if (out)
		write_table(out, lab, v, n);
	free(v);
	if (!f || !t) {
		snprintf(err, errlen, "cannot write link report under %s: %s", lab->outdir, strerror(errno));
		return -EIO;
	}
	return n;
}
