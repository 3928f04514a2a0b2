/* node.h: the nestbed-node process: one stack, its raw devices, the control
 * channel and the event loop that joins them (the edges of the sans-IO core).
 *
 *   control socket(s) --> cmd.c --> stack / sock API / apps
 *   AF_PACKET rx --> [ingress impairment] --> pcap --> stack_input
 *   stack io->tx --> pcap --> [egress impairment] --> AF_PACKET tx
 *   timerfd (absolute, CLOCK_MONOTONIC) at min(stack deadline, impairment releases)
 */
#ifndef NB_NODE_H
#define NB_NODE_H

#include <signal.h>

#include "ctl.h"
#include "netdev.h"
#include "stack.h"

struct pcap_writer;
struct impair;
struct latency;

struct node_if {
	struct netdev dev;
	int ifidx;                  /* index in the stack */
	struct pcap_writer *pcap;   /* NULL unless capturing */
	struct impair *egress;      /* NULL = no impairment */
	struct impair *ingress;
	int egress_link, egress_dir;    /* the topology link and direction each */
	int ingress_link, ingress_dir;  /* impairment emulates (for reports) */
	struct latency *egress_late;    /* how late releases left (with an impairment) */
	struct latency *ingress_late;
};

struct node {
	struct nb_stack stack;
	char name[64];
	uint64_t seed;
	struct node_if ifs[NB_IF_MAX];
	int nifs;
	int epfd, tfd;
	nb_time_t armed;            /* deadline the timerfd holds */
	struct ctl_server ctl;
	bool quit;
};

/* node_now: CLOCK_MONOTONIC in nanoseconds (the only clock the node reads). */
nb_time_t node_now(void);
/* node_add_if: opens the raw device `name`, adds it to the stack. ifidx or -errno. */
int node_add_if(struct node *n, const char *name, uint32_t addr, uint8_t prefix_len,
		char *err, size_t errlen);
/* node_if_by_name: the node_if for an interface name, or NULL. */
struct node_if *node_if_by_name(struct node *n, const char *name);
/* node_poll_device: drains received frames of one device into the stack
 * (a bounded number of batches). */
void node_poll_device(struct node *n, struct node_if *nif);
/* node_flush_devices: sends what every device has queued (netdev_send
 * queues; the loop flushes at the end of each iteration). */
void node_flush_devices(struct node *n);
/* node_run_timers: runs everything due: stack timers and impairment releases. */
void node_run_timers(struct node *n, nb_time_t now);
/* node_next_release: the earliest impairment release (frames held by a link). */
nb_time_t node_next_release(struct node *n);
/* node_next_deadline: the earliest time something is due. */
nb_time_t node_next_deadline(struct node *n);

/* node_io: the stack's output hooks (netio.c): pcap, egress impairment, device. */
const struct nb_stack_io *node_io(void);
/* node_register_device: adds an opened device to the event loop (main.c). */
int node_register_device(struct node *n, struct node_if *nif);
/* node_close_devices: closes every device, capture and impairment. */
void node_close_devices(struct node *n);

/* The event loop (loop.c). */
int node_loop_init(struct node *n, int ctl_fd, const char *listen_path, char *err, size_t errlen);
void node_loop_run(struct node *n, volatile sig_atomic_t *stop);
void node_loop_free(struct node *n);

/* cmd_handle: the control protocol's verbs (cmd.c). */
void cmd_handle(void *node, struct ctl_req req, int argc, char **argv);
/* cmd_after_io: lets pending waits re-check their conditions (cmd.c). */
void cmd_after_io(struct node *n);

#endif
