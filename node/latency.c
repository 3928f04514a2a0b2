/* latency.c: the release-lateness histogram. */
#include "latency.h"

#include <stdlib.h>

struct latency *latency_new(void) { return calloc(1, sizeof(struct latency)); }

void latency_add(struct latency *l, int64_t late_ns)
{
	nb_time_t v = late_ns > 0 ? (nb_time_t)late_ns : 0;
	uint64_t us = v / 1000;
	l->bucket[us < LATENCY_SPAN_US ? us : LATENCY_SPAN_US]++;
	if (v > l->max)
		l->max = v;
	l->n++;
}

nb_time_t latency_quantile(const struct latency *l, double q)
{
	if (!l->n)
		return 0;
	uint64_t want = (uint64_t)(q * (double)l->n);
	if (want >= l->n)
		want = l->n - 1;
	uint64_t seen = 0;
	for (int i = 0; i < LATENCY_SPAN_US; i++) {
		seen += l->bucket[i];
		if (seen > want) {
			nb_time_t edge = NB_US(i + 1);
			return edge < l->max ? edge : l->max;
		}
	}
	return l->max;
}
