/* timer.c: binary min-heap of nb_timer pointers. */
#include "timer.h"

#include <errno.h>
#include <stdlib.h>

void timers_init(struct nb_timers *ts) { ts->heap = NULL; ts->len = ts->cap = 0; }

void timers_free(struct nb_timers *ts)
{
	for (size_t i = 0; i < ts->len; i++)
		ts->heap[i]->slot = -1;
	free(ts->heap);
	timers_init(ts);
}

void timer_init(struct nb_timer *t, nb_timer_fn fn, void *arg)
{
	t->when = NB_TIME_NEVER;
	t->fn = fn;
	t->arg = arg;
	t->slot = -1;
}

static void place(struct nb_timers *ts, size_t i, struct nb_timer *t)
{
	ts->heap[i] = t;
	t->slot = (int)i;
}

static void sift_up(struct nb_timers *ts, size_t i)
{
	struct nb_timer *t = ts->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (ts->heap[parent]->when <= t->when)
			break;
		place(ts, i, ts->heap[parent]);
		i = parent;
	}
	place(ts, i, t);
}

static void sift_down(struct nb_timers *ts, size_t i)
{
	struct nb_timer *t = ts->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= ts->len)
			break;
		if (c + 1 < ts->len && ts->heap[c + 1]->when < ts->heap[c]->when)
			c++;
		if (t->when <= ts->heap[c]->when)
			break;
		place(ts, i, ts->heap[c]);
		i = c;
	}
	place(ts, i, t);
}

void timer_cancel(struct nb_timers *ts, struct nb_timer *t)
{
	if (t->slot < 0)
		return;
	size_t i = (size_t)t->slot;
	t->slot = -1;
	struct nb_timer *last = ts->heap[--ts->len];
	if (i == ts->len)
		return;
	place(ts, i, last);
	sift_up(ts, i);
	sift_down(ts, (size_t)last->slot);
}

int timer_arm(struct nb_timers *ts, struct nb_timer *t, nb_time_t when)
{
	timer_cancel(ts, t);
	if (ts->len == ts->cap) {
		size_t cap = ts->cap ? ts->cap * 2 : 64;
		struct nb_timer **h = realloc(ts->heap, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		ts->heap = h;
		ts->cap = cap;
	}
	t->when = when;
	place(ts, ts->len++, t);
	sift_up(ts, ts->len - 1);
	return 0;
}

nb_time_t timers_next(const struct nb_timers *ts) { return ts->len ? ts->heap[0]->when : NB_TIME_NEVER; }

int timers_run(struct nb_timers *ts, nb_time_t now)
{
	int n = 0;
	while (ts->len && ts->heap[0]->when <= now) {
		struct nb_timer *t = ts->heap[0];
		timer_cancel(ts, t);
		t->fn(t, now);
		n++;
	}
	return n;
}
