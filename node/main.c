/* main.c: nestbed-node's entry point: arguments, signals, then the loop. */
#include "cmd.h"
#include "node.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

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
	char err[256];
	if (node_loop_init(n, ctl_fd, listen_path, err, sizeof(err)) < 0) {
		fprintf(stderr, "nestbed-node: %s\n", err);
		return 3;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	fprintf(stderr, "nestbed-node %s: pid %d, seed %llu\n", n->name, getpid(), (unsigned long long)n->seed);
	ctl_event(&n->ctl, "ready pid=%d name=%s", getpid(), n->name);

	node_loop_run(n, &got_signal);
	cmd_script_free(n);
	node_loop_free(n);
	stack_free(&n->stack);
	return 0;
}
