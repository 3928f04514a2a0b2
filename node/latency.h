/* latency.h: how late the event loop releases what the impairment engine
 * scheduled: a histogram of (actual release - scheduled release) with 1 us
 * buckets up to LATENCY_SPAN_US, and one bucket beyond. This is the floor
 * under every configured delay (timer wakeup, a busy loop), reported next to
 * the link's figures so a user can judge delay fidelity.
 *
 *   bucket[i] counts samples in [i us, i+1 us);  bucket[SPAN] counts the rest
 */
#ifndef NB_LATENCY_H
#define NB_LATENCY_H

#include "nb.h"

#define LATENCY_SPAN_US 10000

struct latency {
	uint64_t n;
	nb_time_t max;
	uint32_t bucket[LATENCY_SPAN_US + 1];
};

/* latency_new: a zeroed histogram (heap), or NULL. */
struct latency *latency_new(void);
/* latency_add: one sample; negative lateness (early) counts as 0. */
void latency_add(struct latency *l, int64_t late_ns);
/* latency_quantile: the q-quantile (0..1) in ns, rounded up to the bucket's
 * upper edge; max when it falls beyond the span; 0 with no samples. */
nb_time_t latency_quantile(const struct latency *l, double q);

#endif
