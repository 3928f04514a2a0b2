/* main.c: nestbed-node's event loop: epoll over raw devices, control
 * connections and one timerfd. All protocol work happens in the sans-IO
 * core; this file only moves frames and time across its edges. */
#include "node.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
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

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nestbed-node --name HOST --ctl-fd FD [--listen PATH] [--seed N]\n"
		"\n"
		"Runs nestbed's user-space TCP/IP stack inside the current network namespace.\n"
		"It is started by `nestbed` (one per custom host) and configured over its\n"
		"control channel; it is not meant to be run by hand.\n"
		"\n"
		"  --name HOST     host name (for logs and dumps)\n"
		"  --ctl-fd FD     connected control socket inherited from the controller\n"
		"  --listen PATH   also accept control connections on this Unix socket path\n"
		"  --seed N        seed for every random choice (ISNs, ports, impairments)\n");
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

/* arm_timer: points the timerfd at the next deadline, if it moved. */
static void arm_timer(struct node *n)
{
	nb_time_t when = node_next_deadline(n);
	if (when == n->armed)
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

static volatile sig_atomic_t got_signal;
static void on_signal(int sig) { got_signal = sig; }

int main(int argc, char **argv)
{
	static struct node node;
	struct node *n = &node;
	const char *listen_path = NULL;
	int ctl_fd = -1;
	static const struct option opts[] = {
		{"name", required_argument, 0, 'n'}, {"ctl-fd", required_argument, 0, 'c'},
		{"listen", required_argument, 0, 'l'}, {"seed", required_argument, 0, 's'},
		{"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
	};
	int o;
	snprintf(n->name, sizeof(n->name), "node");
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *end;
		switch (o) {
		case 'n': snprintf(n->name, sizeof(n->name), "%s", optarg); break;
		case 'c':
			ctl_fd = (int)strtol(optarg, &end, 10);
			if (*end || ctl_fd < 0) {
				fprintf(stderr, "nestbed-node: --ctl-fd wants a descriptor number, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'l': listen_path = optarg; break;
		case 's':
			n->seed = strtoull(optarg, &end, 0);
			if (*end) {
				fprintf(stderr, "nestbed-node: --seed wants a number, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (ctl_fd < 0 || optind != argc) {
		usage(stderr);
		return 2;
	}

	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	prctl(PR_SET_TIMERSLACK, 1UL);

	if (stack_init(&n->stack, node_io(), n, nb_hash64(n->seed ^ 0x6e6f6465)) < 0) {
		fprintf(stderr, "nestbed-node: out of memory\n");
		return 3;
	}
	n->stack.pid = (uint32_t)getpid();
	n->armed = NB_TIME_NEVER;
	n->epfd = epoll_create1(EPOLL_CLOEXEC);
	n->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (n->epfd < 0 || n->tfd < 0) {
		perror("nestbed-node: epoll/timerfd");
		return 3;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &timer_src};
	epoll_ctl(n->epfd, EPOLL_CTL_ADD, n->tfd, &ev);

	ctl_init(&n->ctl, cmd_handle, n);
	struct ctl_conn *primary = ctl_adopt(&n->ctl, ctl_fd);
	if (!primary) {
		fprintf(stderr, "nestbed-node: out of memory\n");
		return 3;
	}
	watch_conn(n, primary);
	if (listen_path) {
		int rc = ctl_listen(&n->ctl, listen_path);
		if (rc < 0) {
			fprintf(stderr, "nestbed-node: listen on %s: %s\n", listen_path, strerror(-rc));
			return 3;
		}
		ev.data.ptr = &listen_src;
		epoll_ctl(n->epfd, EPOLL_CTL_ADD, n->ctl.listen_fd, &ev);
	}
	ctl_event(&n->ctl, "ready pid=%d name=%s", getpid(), n->name);

	while (!n->quit && !got_signal && !ctl_primary_gone(&n->ctl)) {
		struct epoll_event evs[64];
		sync_conn_interest(n);
		arm_timer(n);
		int k = epoll_wait(n->epfd, evs, 64, -1);
		if (k < 0 && errno != EINTR) {
			perror("nestbed-node: epoll_wait");
			break;
		}
		for (int i = 0; i < k; i++)
			handle_event(n, &evs[i]);
		node_run_timers(n, node_now());
		cmd_after_io(n);
	}
	ctl_close_all(&n->ctl);
	node_close_devices(n);
	stack_free(&n->stack);
	while (conn_srcs)
		forget_conn(conn_srcs);
	close(n->tfd);
	close(n->epfd);
	return 0;
}
