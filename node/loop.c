/* loop.c: nestbed-node's event loop: epoll over raw devices, control
 * connections and one timerfd. All protocol work happens in the sans-IO
 * core; this file only moves frames and time across its edges. */
#include "node.h"

#include "apps/pattern_sha.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

enum src_kind { SRC_TIMER, SRC_LISTEN, SRC_CONN, SRC_DEV };

struct ev_src {
	enum src_kind kind;
	void *ptr;
	bool out_armed;
	struct ev_src *next;      /* connection sources only */
};

static struct ev_src timer_src = {.kind = SRC_TIMER};
static struct ev_src listen_src = {.kind = SRC_LISTEN};
static struct ev_src dev_src[NB_IF_MAX];
static struct ev_src *conn_srcs;

nb_time_t node_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (nb_time_t)ts.tv_sec * NB_SEC(1) + (nb_time_t)ts.tv_nsec;
}

static void watch_conn(struct node *n, struct ctl_conn *k)
{
	struct ev_src *src = calloc(1, sizeof(*src));
	if (!src)
		return;
	src->kind = SRC_CONN;
	src->ptr = k;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = src};
	if (epoll_ctl(n->epfd, EPOLL_CTL_ADD, ctl_conn_fd(k), &ev) < 0) {
		free(src);
		return;
	}
	src->next = conn_srcs;
	conn_srcs = src;
}

static void forget_conn(struct ev_src *src)
{
	for (struct ev_src **p = &conn_srcs; *p; p = &(*p)->next)
		if (*p == src) {
			*p = src->next;
			break;
		}
	free(src); /* the fd was closed by ctl, which also removed it from epoll */
}

/* sync_conn_interest: asks for EPOLLOUT only while a connection has output. */
static void sync_conn_interest(struct node *n)
{
	for (struct ev_src *src = conn_srcs; src; src = src->next) {
		bool want = ctl_conn_wants_write(src->ptr);
		if (want == src->out_armed)
			continue;
		struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = src};
		if (epoll_ctl(n->epfd, EPOLL_CTL_MOD, ctl_conn_fd(src->ptr), &ev) == 0)
			src->out_armed = want;
	}
}

/* arm_timer: points the timerfd at the next deadline if that is earlier
 * than what it holds. A deadline that moved later (a restarted
 * retransmission timer, every ACK) keeps the earlier one: it fires, nothing
 * is due, and the timer is armed again then; one spurious wakeup instead of
 * a timerfd_settime per iteration. */
/* wake_time: when to stop sleeping. An impairment release is precise only
 * if the loop is awake for it: the timer fires impair.spin early and the
 * loop waits out the rest actively (release_spin). */
static nb_time_t wake_time(struct node *n)
{
	nb_time_t when = stack_next_deadline(&n->stack);
	nb_time_t rel = node_next_release(n), spin = n->stack.params.impair_spin;
	if (rel != NB_TIME_NEVER)
		when = NB_MIN(when, rel > spin ? rel - spin : 0);
	return when;
}

/* release_spin: if an impairment release is due within impair.spin, waits
 * for it on the clock rather than on a timer (whose wakeup is tens of
 * microseconds late); returns the time to run timers at. */
static nb_time_t release_spin(struct node *n)
{
	nb_time_t now = node_now(), rel = node_next_release(n);
	if (rel == NB_TIME_NEVER || rel <= now || rel - now > n->stack.params.impair_spin)
		return now;
	while ((now = node_now()) < rel) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
	}
	return now;
}

static void arm_timer(struct node *n)
{
	nb_time_t when = wake_time(n);
	if (when >= n->armed)
		return;
	struct itimerspec its = {0};
	if (when != NB_TIME_NEVER) {
		if (when == 0)
			when = 1; /* 0 would disarm */
		its.it_value.tv_sec = (time_t)(when / NB_SEC(1));
		its.it_value.tv_nsec = (long)(when % NB_SEC(1));
	}
	if (timerfd_settime(n->tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		n->armed = when;
}

/* node_register_device: adds a freshly opened device to the event loop. */
int node_register_device(struct node *n, struct node_if *nif)
{
	int i = (int)(nif - n->ifs);
	dev_src[i].kind = SRC_DEV;
	dev_src[i].ptr = nif;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &dev_src[i]};
	return epoll_ctl(n->epfd, EPOLL_CTL_ADD, nif->dev.fd, &ev) < 0 ? -errno : 0;
}

static void handle_event(struct node *n, struct epoll_event *ev)
{
	struct ev_src *src = ev->data.ptr;
	switch (src->kind) {
	case SRC_TIMER: {
		uint64_t expirations;
		if (read(n->tfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
			perror("nestbed-node: timerfd read");
		n->armed = NB_TIME_NEVER;
		break;
	}
	case SRC_LISTEN: {
		struct ctl_conn *k;
		while ((k = ctl_accept(&n->ctl)))
			watch_conn(n, k);
		break;
	}
	case SRC_CONN:
		if ((ev->events & EPOLLOUT) && !ctl_on_writable(&n->ctl, src->ptr)) {
			forget_conn(src);
			break;
		}
		if ((ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !ctl_on_readable(&n->ctl, src->ptr))
			forget_conn(src);
		break;
	case SRC_DEV:
		node_poll_device(n, src->ptr);
		break;
	}
}

int node_loop_init(struct node *n, int ctl_fd, const char *listen_path, char *err, size_t errlen)
{
	n->armed = NB_TIME_NEVER;
	n->epfd = epoll_create1(EPOLL_CLOEXEC);
	n->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (n->epfd < 0 || n->tfd < 0) {
		snprintf(err, errlen, "epoll/timerfd: %s", strerror(errno));
		return -errno;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &timer_src};
	epoll_ctl(n->epfd, EPOLL_CTL_ADD, n->tfd, &ev);

	ctl_init(&n->ctl, cmd_handle, n);
	struct ctl_conn *primary = ctl_adopt(&n->ctl, ctl_fd);
	if (!primary) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	watch_conn(n, primary);
	if (listen_path) {
		int rc = ctl_listen(&n->ctl, listen_path);
		if (rc < 0) {
			snprintf(err, errlen, "listen on %s: %s", listen_path, strerror(-rc));
			return rc;
		}
		ev.data.ptr = &listen_src;
		epoll_ctl(n->epfd, EPOLL_CTL_ADD, n->ctl.listen_fd, &ev);
	}
	return 0;
}

void node_loop_run(struct node *n, volatile sig_atomic_t *stop)
{
	while (!n->quit && !*stop && !ctl_primary_gone(&n->ctl)) {
		struct epoll_event evs[64];
		sync_conn_interest(n);
		arm_timer(n);
		/* Background work (pattern digests) runs only when nothing is
		 * ready, one short slice per turn: events wait at most a slice. */
		bool background = pattern_sha_pending();
		int k = epoll_wait(n->epfd, evs, 64, background ? 0 : -1);
		if (k < 0 && errno != EINTR) {
			perror("nestbed-node: epoll_wait");
			break;
		}
		if (k == 0 && background) {
			/* Idle work must not take a CPU another node could use: a
			 * slice, then give way to whatever else is runnable. */
			pattern_sha_work(pattern_sha_idle_slice());
			sched_yield();
		}
		for (int i = 0; i < k; i++)
			handle_event(n, &evs[i]);
		node_run_timers(n, release_spin(n));
		cmd_after_io(n);
		node_flush_devices(n);
	}
}

void node_loop_free(struct node *n)
{
	ctl_close_all(&n->ctl);
	node_close_devices(n);
	while (conn_srcs)
		forget_conn(conn_srcs);
	close(n->tfd);
	close(n->epfd);
}
