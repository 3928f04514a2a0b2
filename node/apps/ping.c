/* ping.c: the pinger (see ping.h). Each request's fate is kept by index
 * (index i travels as sequence number i + 1, modulo 2^16); one timer paces
 * the requests, another fires at the earliest pending request's deadline. */
#include "ping.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "icmp.h"

#define PING_COUNT_MAX 1000000u
#define PING_SIZE_MAX 65507u

enum { PENDING, REPLIED, FAILED, TIMED_OUT };

struct ping {
	struct nb_stack *s;
	struct ping_opts o;
	ping_done_fn done;
	void *arg;
	uint16_t id;
	unsigned nsent;                 /* requests sent (or attempted) so far */
	unsigned oldest;                /* no request below this one is pending */
	nb_time_t *sent_at;
	uint8_t *state;
	uint8_t *payload;
	struct nb_timer t_send, t_timeout;
	struct ping_result res;
	bool in_cb, stop;
};

static void on_echo_reply(void *arg, uint32_t from, uint16_t seq, const uint8_t *data,
			  size_t len, uint8_t ttl);
static void on_echo_error(void *arg, int err, uint32_t from, uint8_t type, uint8_t code,
			  uint16_t seq);
static void on_release(void *arg);

static const struct icmp_echo_handler ping_handler = {
	.reply = on_echo_reply,
	.error = on_echo_error,
	.release = on_release,
};

static void ping_destroy(struct ping *p)
{
	timer_cancel(&p->s->timers, &p->t_send);
	timer_cancel(&p->s->timers, &p->t_timeout);
	free(p->sent_at);
	free(p->state);
	free(p->payload);
	free(p);
}

static void on_release(void *arg) { ping_destroy(arg); }

/* error_name: one word for an ICMP error or a local errno. */
static const char *error_name(int err, uint8_t type, uint8_t code)
{
	if (type == ICMP_TIMXCEED)
		return code == ICMP_TIMXCEED_REASS ? "reass-timeout" : "ttl-exceeded";
	if (type == ICMP_PARAMPROB)
		return "param-problem";
	if (type == ICMP_UNREACH) {
		switch (code) {
		case ICMP_UNREACH_NET: case ICMP_UNREACH_NET_UNKNOWN: case ICMP_UNREACH_TOSNET:
			return "net-unreachable";
		case ICMP_UNREACH_PROTOCOL: return "protocol-unreachable";
		case ICMP_UNREACH_PORT: return "port-unreachable";
		case ICMP_UNREACH_NEEDFRAG: return "frag-needed";
		case ICMP_UNREACH_SRCFAIL: return "source-route-failed";
		case ICMP_UNREACH_NET_PROHIB: case ICMP_UNREACH_HOST_PROHIB:
		case ICMP_UNREACH_FILTER_PROHIB: return "prohibited";
		default: return "host-unreachable";
		}
	}
	switch (err) {
	case -ENETUNREACH: return "no-route";
	case -EHOSTUNREACH: return "host-unreachable";
	case -EMSGSIZE: return "message-too-long";
	case -ENETDOWN: return "link-down";
	default: return "send-failed";
	}
}

/* finish: the summary to done, then the pinger is gone. */
static void finish(struct ping *p)
{
	struct ping_result r = p->res;
	for (unsigned i = p->oldest; i < p->nsent; i++)
		if (p->state[i] == PENDING)
			p->state[i] = TIMED_OUT;
	r.lost = r.sent - r.received - r.errors;
	r.rtt_avg_ns = r.received ? r.rtt_sum_ns / r.received : 0;
	icmp_echo_unregister(p->s, p->id);
	ping_done_fn done = p->done;
	void *arg = p->arg;
	ping_destroy(p);
	done(arg, &r);
}

static void report(struct ping *p, const struct ping_reply *r)
{
	if (!p->o.on_reply)
		return;
	p->in_cb = true;
	p->o.on_reply(p->arg, r);
	p->in_cb = false;
}

/* settle: re-arms the timeout for the oldest pending request and ends the
 * pinger when nothing is left to send or wait for (or it was stopped). */
static void settle(struct ping *p)
{
	while (p->oldest < p->nsent && p->state[p->oldest] != PENDING)
		p->oldest++;
	if (p->stop || (p->nsent == p->o.count && p->oldest == p->nsent)) {
		finish(p);
		return;
	}
	if (p->oldest < p->nsent)
		timer_arm(&p->s->timers, &p->t_timeout, p->sent_at[p->oldest] + p->o.timeout);
	else
		timer_cancel(&p->s->timers, &p->t_timeout);
}

static void fail(struct ping *p, unsigned i, int err, uint32_t from, uint8_t type, uint8_t code)
{
	p->state[i] = FAILED;
	p->res.errors++;
	p->res.last_err = err;
	p->res.last_error = error_name(err, type, code);
	struct ping_reply r = {.id = p->id, .seq = (uint16_t)(i + 1), .err = err, .from = from,
			       .icmp_type = type, .icmp_code = code, .error = p->res.last_error};
	report(p, &r);
}

/* send_next: request number nsent; a local failure other than a full ARP
 * queue (a drop, left to time out) is that request's error. */
static void send_next(struct ping *p)
{
	struct nb_stack *s = p->s;
	unsigned i = p->nsent++;
	p->sent_at[i] = s->now;
	p->state[i] = PENDING;
	p->res.sent++;
	int rc = icmp_echo_send(s, p->o.dst, p->id, (uint16_t)(i + 1), p->payload, p->o.size, p->o.ttl);
	if (rc < 0 && rc != -ENOBUFS)
		fail(p, i, rc, ip_source_for(s, p->o.dst), 0, 0);
	if (p->nsent < p->o.count)
		timer_arm(&s->timers, &p->t_send, s->now + p->o.interval);
}

static void send_timer(struct nb_timer *t, nb_time_t now)
{
	struct ping *p = t->arg;
	(void)now;
	send_next(p);
	settle(p);
}

static void timeout_timer(struct nb_timer *t, nb_time_t now)
{
	struct ping *p = t->arg;
	for (unsigned i = p->oldest; i < p->nsent && p->sent_at[i] + p->o.timeout <= now; i++) {
		if (p->state[i] != PENDING)
			continue;
		p->state[i] = TIMED_OUT;
		struct ping_reply r = {.id = p->id, .seq = (uint16_t)(i + 1), .err = -ETIMEDOUT};
		report(p, &r);
	}
	settle(p);
}

/* index_of: the most recent request sent with sequence number seq, or -1. */
static long index_of(const struct ping *p, uint16_t seq)
{
	if (!p->nsent)
		return -1;
	unsigned last = p->nsent - 1;
	unsigned back = (uint16_t)((uint16_t)(last + 1) - seq);
	if (back > last)
		return -1;
	return (long)(last - back);
}

static void on_echo_reply(void *arg, uint32_t from, uint16_t seq, const uint8_t *data,
			  size_t len, uint8_t ttl)
{
	struct ping *p = arg;
	long i = index_of(p, seq);
	(void)data;
	if (i < 0 || from != p->o.dst)
		return;
	if (p->state[i] == REPLIED) {
		p->res.duplicates++;
		return;
	}
	if (p->state[i] != PENDING)
		return;                 /* late (timed out) or already failed */
	p->state[i] = REPLIED;
	nb_time_t rtt = p->s->now - p->sent_at[i];
	struct ping_result *r = &p->res;
	if (!r->received || rtt < r->rtt_min_ns)
		r->rtt_min_ns = rtt;
	if (rtt > r->rtt_max_ns)
		r->rtt_max_ns = rtt;
	r->rtt_sum_ns += rtt;
	r->received++;
	struct ping_reply rep = {.id = p->id, .seq = seq, .from = from, .rtt_ns = rtt, .ttl = ttl,
				 .len = len};
	report(p, &rep);
	settle(p);
}

static void on_echo_error(void *arg, int err, uint32_t from, uint8_t type, uint8_t code,
			  uint16_t seq)
{
	struct ping *p = arg;
	long i = index_of(p, seq);
	if (i < 0 || p->state[i] != PENDING)
		return;
	fail(p, (unsigned)i, err, from, type, code);
	settle(p);
}

int ping_start(struct nb_stack *s, const struct ping_opts *o, ping_done_fn done, void *arg)
{
	if (!o || !done || !o->dst || o->count < 1 || o->count > PING_COUNT_MAX || !o->timeout ||
	    o->size > PING_SIZE_MAX)
		return -EINVAL;
	struct ping *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->s = s;
	p->o = *o;
	p->done = done;
	p->arg = arg;
	p->sent_at = calloc(o->count, sizeof(*p->sent_at));
	p->state = calloc(o->count, 1);
	p->payload = malloc(o->size ? o->size : 1);
	timer_init(&p->t_send, send_timer, p);
	timer_init(&p->t_timeout, timeout_timer, p);
	if (!p->sent_at || !p->state || !p->payload) {
		ping_destroy(p);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < o->size; i++)
		p->payload[i] = (uint8_t)(0x10 + i);   /* ping(8)'s pattern, minus the timestamp */
	int rc = icmp_echo_register(s, &ping_handler, p, &p->id);
	if (rc) {
		ping_destroy(p);
		return rc;
	}
	int id = p->id;
	p->res.dst = o->dst;
	p->res.id = p->id;
	send_next(p);
	settle(p);                      /* may finish at once (count 1, no route) */
	return id;
}

int ping_stop(struct nb_stack *s, int id)
{
	if (id < 0 || id > 0xffff)
		return -ENOENT;
	struct ping *p = icmp_echo_lookup(s, (uint16_t)id, &ping_handler);
	if (!p)
		return -ENOENT;
	p->stop = true;
	if (!p->in_cb)
		settle(p);
	return 0;
}
