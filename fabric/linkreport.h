/* linkreport.h: what each impaired link did, against what it was told.
 *
 * Every custom host reports, per impaired interface direction, the counters
 * and figures of its impairment engine (node verb `linkstats`). This file
 * gathers them by (link, direction), judges fidelity and writes
 *   <out>/links.json   one object per link direction, with verdicts
 *   <out>/links.txt    the same as a table
 * Verdicts, where the figure applies (else "n/a"):
 *   loss   measured rate inside the binomial 99% interval around the
 *          configured probability (over the frames the loss draw saw)
 *   delay  fixed delay only: no frame left early, and the latest the
 *          engine held one plus the loop's p99 release lateness is within
 *          100 us of the configured delay
 *   rate   achieved within 2% of the configured rate when the queue was
 *          the bottleneck (tail drops seen); "not saturated" otherwise
 */
#ifndef NB_LINKREPORT_H
#define NB_LINKREPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lab.h"

/* One link direction as the node reported it (a subset of the JSON). */
struct link_figures {
	int link, dir;
	char where[16];                 /* "egress" or "ingress" */
	char spec[256];
	uint64_t sent, delivered, dropped_loss, dropped_queue, dropped_list;
	uint64_t duplicated, reordered, corrupted, delayed;
	uint64_t delay_min_ns, delay_p50_ns, delay_p99_ns, delay_max_ns;
	double loss_rate, rate_bps;
	uint64_t cfg_delay_ns, cfg_jitter_ns, cfg_rate_bps;
	double cfg_loss;
	uint64_t late_p50_ns, late_p99_ns, late_max_ns; /* release lateness: the loop's floor */
};

enum fidelity { FID_NA, FID_OK, FID_OFF, FID_UNSATURATED };

struct link_verdicts {
	enum fidelity loss, delay, rate;
};

/* link_figures_parse: fills f from one `linkstats` JSON line; false if the
 * line lacks the link or dir keys. */
bool link_figures_parse(const char *line, struct link_figures *f);
/* link_judge: the fidelity verdicts for one direction. */
struct link_verdicts link_judge(const struct link_figures *f);
const char *fidelity_name(enum fidelity v);

/* lab_link_report: asks every live custom host, writes links.json and
 * links.txt under the lab's output directory and, unless out is NULL, prints
 * the table there. Returns the number of link directions reported, or
 * -errno with err set. */
int lab_link_report(struct lab *lab, FILE *out, char *err, size_t errlen);

#endif
