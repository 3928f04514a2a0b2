/* cli_lab.c: `nestbed check`, `list`, `down` and `clean`. */
#include "cli.h"

#include "lab.h"
#include "topo.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int cmd_check(int argc, char **argv, struct cli_common *c)
{
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(argc == 2 ? stdout : stderr, "usage: nestbed check FILE\n"
			"Parses and checks a topology file; creates nothing. Exit 0 if it is valid, 2 if not.\n");
		return argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) ? 0 : EXIT_USAGE;
	}
	struct topo *t;
	int errors = topo_parse_file(argv[1], &t, stderr);
	if (errors) {
		fprintf(stderr, "%s: %d error%s\n", argv[1], errors, errors == 1 ? "" : "s");
		return EXIT_USAGE;
	}
	if (!c->quiet)
		printf("%s: lab %s: %d hosts, %d switches, %d links, %d steps\n", argv[1], t->name,
		       t->n_hosts, t->n_switches, t->n_links, t->n_steps);
	topo_free(t);
	return 0;
}

static void print_lab(const char *name, int pid, bool alive, void *arg)
{
	const struct cli_common *c = arg;
	const char *short_name = name + strlen(c->prefix) + 1;
	printf("%-14s %-8s pid %d\n", short_name, alive ? "up" : "stale", pid);
}

/* wants_help: true for -h/--help as the only argument. */
static bool wants_help(int argc, char **argv)
{
	return argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"));
}

int cmd_list(int argc, char **argv, struct cli_common *c)
{
	if (argc > 1) {
		fprintf(wants_help(argc, argv) ? stdout : stderr,
			"usage: nestbed list\nLists the labs of this prefix: up (owner running) or stale "
			"(left by a crash: nestbed clean).\n");
		return wants_help(argc, argv) ? 0 : EXIT_USAGE;
	}
	int n = lab_list(c->prefix, print_lab, c);
	if (n == 0 && !c->quiet)
		printf("no labs\n");
	return n < 0 ? EXIT_ENV : 0;
}

/* lab_gone: true once the lab's state directory has disappeared. */
static bool lab_gone(const struct cli_common *c, const char *lab)
{
	char path[256];
	snprintf(path, sizeof(path), "/run/nestbed/%s-%s", c->prefix, lab);
	return access(path, F_OK) != 0;
}

int cmd_down(int argc, char **argv, struct cli_common *c)
{
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(wants_help(argc, argv) ? stdout : stderr,
			"usage: nestbed down LAB\nStops the lab's nodes and deletes its namespaces, links and "
			"state (a lab from `up` or `run --keep`).\n");
		return wants_help(argc, argv) ? 0 : EXIT_USAGE;
	}
	const char *lab = argv[1];
	if (geteuid() != 0) {
		fprintf(stderr, "nestbed down: needs root\n");
		return EXIT_ENV;
	}
	char path[256];
	int pid = -1;
	snprintf(path, sizeof(path), "/run/nestbed/%s-%s/owner", c->prefix, lab);
	FILE *f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = -1;
		fclose(f);
	} else if (lab_gone(c, lab)) {
		/* Maybe only namespaces are left: clean handles that. */
		int removed = lab_clean(c->prefix, lab, true, c->quiet ? NULL : stdout);
		if (removed <= 0) {
			fprintf(stderr, "nestbed down: no lab named '%s' is up (nestbed list shows them)\n", lab);
			return EXIT_ENV;
		}
		return 0;
	}
	/* Ask the lab's owner to take it down: it holds the nodes. A stale
	 * owner file (a crash) may name a pid that is now another program's. */
	if (!lab_owner_alive(pid))
		pid = -1;
	if (pid > 0 && kill(pid, SIGTERM) == 0) {
		for (int i = 0; i < 200 && !lab_gone(c, lab); i++) {
			struct timespec ts = {0, 50 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	if (!lab_gone(c, lab)) {
		if (pid > 0 && kill(pid, 0) == 0)
			kill(pid, SIGKILL); /* its nodes die with it (PDEATHSIG) */
		lab_clean(c->prefix, lab, true, c->verbose ? stdout : NULL);
	}
	if (!c->quiet)
		printf("lab %s is down\n", lab);
	return 0;
}

int cmd_clean(int argc, char **argv, struct cli_common *c)
{
	bool all = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--all")) {
			all = true;
		} else {
			fprintf(wants_help(argc, argv) ? stdout : stderr, "usage: nestbed clean [--all]\n"
				"Removes namespaces and state that crashed runs left behind (names starting\n"
				"with '%s-'). Labs whose owner is still running are left alone unless --all.\n",
				c->prefix);
			return wants_help(argc, argv) ? 0 : EXIT_USAGE;
		}
	}
	if (geteuid() != 0) {
		fprintf(stderr, "nestbed clean: needs root\n");
		return EXIT_ENV;
	}
	int n = lab_clean(c->prefix, NULL, all, c->quiet ? NULL : stdout);
	if (n < 0) {
		fprintf(stderr, "nestbed clean: %s\n", strerror(-n));
		return EXIT_ENV;
	}
	if (!c->quiet)
		printf("clean: %d namespace%s removed\n", n, n == 1 ? "" : "s");
	return 0;
}
