/* timer.h: one min-heap of deadlines for the whole stack.
 *
 * Modules embed a struct nb_timer in their own state and arm it with a
 * callback. The event loop asks timers_next() for the earliest deadline and
 * calls timers_run(now) when it is reached: expired callbacks run in deadline
 * order; a callback may re-arm its own or any other timer.
 *
 *   heap[0] = earliest         timer->slot = index in heap, or -1 when idle
 */
#ifndef NB_TIMER_H
#define NB_TIMER_H

#include "nb.h"

struct nb_timer;
typedef void (*nb_timer_fn)(struct nb_timer *t, nb_time_t now);

struct nb_timer {
	nb_time_t when;
	nb_timer_fn fn;
	void *arg;      /* for the callback; typically the owning object */
	int slot;       /* heap index, -1 when not armed */
};

struct nb_timers {
	struct nb_timer **heap;
	size_t len, cap;
};

void timers_init(struct nb_timers *ts);
void timers_free(struct nb_timers *ts);
/* timer_init: an idle timer calling fn(t, now) with t->arg = arg. */
void timer_init(struct nb_timer *t, nb_timer_fn fn, void *arg);
/* timer_arm: (re)schedules t at `when`. Returns 0 or -ENOMEM. */
int timer_arm(struct nb_timers *ts, struct nb_timer *t, nb_time_t when);
/* timer_cancel: idles t; harmless when already idle. */
void timer_cancel(struct nb_timers *ts, struct nb_timer *t);
static inline bool timer_armed(const struct nb_timer *t) { return t->slot >= 0; }
/* timers_next: the earliest deadline, or NB_TIME_NEVER. */
nb_time_t timers_next(const struct nb_timers *ts);
/* timers_run: fires every timer whose deadline is <= now; returns how many. */
int timers_run(struct nb_timers *ts, nb_time_t now);

#endif
