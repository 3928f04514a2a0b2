/* ping.h: a pinger, as ping(8): ICMP echo requests (RFC 792) to one host,
 * `count` of them `interval` apart, each answered within `timeout` or
 * counted lost. Several pingers may run at once; each owns an ICMP
 * identifier (icmp_echo_register), which is its handle.
 *
 *   ping_start ──> request seq 1 ─ interval ─> request seq 2 ... seq count
 *                    └─ reply / ICMP error / timeout: on_reply (optional)
 *   last request answered or timed out ──> done(summary), pinger freed
 *
 * RTTs come from the stack's clock (s->now) between sending a request and
 * its reply arriving, in nanoseconds. Sequence numbers start at 1 as in
 * ping(8) and wrap at 65535. A reply for a request already answered is a
 * duplicate; one after its timeout is ignored, as ping(8) does by default.
 */
#ifndef NB_PING_H
#define NB_PING_H

#include "stack.h"

/* One outcome for one request. */
struct ping_reply {
	uint16_t id, seq;
	int err;                   /* 0 reply; -ETIMEDOUT no answer; else an error (below) */
	uint32_t from;             /* who answered (target, router, or us for local errors) */
	nb_time_t rtt_ns;          /* replies only */
	uint8_t ttl;               /* replies: the reply's TTL */
	size_t len;                /* replies: echo data bytes */
	uint8_t icmp_type, icmp_code;   /* ICMP errors: what came back */
	const char *error;         /* errors: a one-word name, e.g. "host-unreachable" */
};

struct ping_opts {
	uint32_t dst;              /* host order */
	unsigned count;            /* requests to send, 1 .. 1000000 */
	nb_time_t interval;        /* between requests */
	nb_time_t timeout;         /* wait for each reply, > 0 */
	unsigned size;             /* data bytes per request, <= 65507 (ping(8): 56) */
	uint8_t ttl;               /* 0 = params.ip_ttl */
	/* on_reply: optional; told of every reply, error and timeout. */
	void (*on_reply)(void *arg, const struct ping_reply *r);
};

/* The summary given to done. Errors are ICMP errors about our requests
 * (or local failures: no route, ARP gave up); lost = no answer at all. */
struct ping_result {
	uint32_t dst;
	uint16_t id;
	unsigned sent, received, errors, lost, duplicates;
	uint64_t rtt_min_ns, rtt_max_ns, rtt_avg_ns, rtt_sum_ns;   /* over replies; 0 if none */
	int last_err;              /* negative errno of the last error, 0 if none */
	/* last_error: one word ("host-unreachable", "net-unreachable",
	 * "ttl-exceeded", "frag-needed", "port-unreachable", "no-route", ...),
	 * NULL if there was no error. A static string. */
	const char *last_error;
};

typedef void (*ping_done_fn)(void *arg, const struct ping_result *res);

/* ping_start: sends the first request now (at s->now) and the rest from
 * timers. done(arg, summary) is called exactly once, when the pinger ends
 * (it is freed right after). Returns the pinger's ICMP identifier (>= 0),
 * or -EINVAL (bad options), -ENOMEM, -EAGAIN (no free identifier). A first
 * request that fails locally (no route) is reported, not returned. */
int ping_start(struct nb_stack *s, const struct ping_opts *o, ping_done_fn done, void *arg);
/* ping_stop: ends pinger `id` now; done gets the summary so far (requests
 * still waiting count as lost). 0 or -ENOENT. */
int ping_stop(struct nb_stack *s, int id);

#endif
