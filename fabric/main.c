/* main.c: `nestbed`, the one command users type. Dispatches subcommands. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: nestbed [--prefix P] [-q] [-v] COMMAND [ARGS]\n"
	"\n"
	"A network emulation testbed: a topology file becomes namespaces, veth links and\n"
	"hosts running nestbed's own TCP/IP stack (or Linux's), then runs its script.\n"
	"\n"
	"Commands:\n"
	"  run FILE [--seed N] [--out DIR] [--keep] [--no-pcap]\n"
	"                      bring the lab up, run its script, collect artifacts, tear down;\n"
	"                      exit 0 all expectations held, 1 one failed, 2 bad file, 3 environment\n"
	"  check FILE          parse and check a topology file; create nothing\n"
	"  up FILE [--seed N] [--out DIR]\n"
	"                      bring a lab up and leave it running (script not run)\n"
	"  do [--timeout T] LAB STEP\n"
	"                      run one script step live on a lab that is up (fault, action, expect)\n"
	"  down LAB            take a lab down (nodes, namespaces, links)\n"
	"  list                labs that are up\n"
	"  ss [LAB:]HOST [-e|--json]\n"
	"                      socket table of a custom host (netstat -ano style)\n"
	"  exec [LAB:]HOST CMD [ARG...]\n"
	"                      run a program inside a host (kernel hosts)\n"
	"  clean [--all]       remove what crashed runs left (namespaces, state) with our prefix\n"
	"  help [COMMAND]      this text\n"
	"\n"
	"Options:\n"
	"  --prefix P          name prefix of everything nestbed creates (default nb, or $NESTBED_PREFIX)\n"
	"  -q, --quiet         print only failures and the result\n"
	"  -v, --verbose       more detail\n"
	"\n"
	"Topology language: topologies/REFERENCE.md. Examples: topologies/*.topo.\n";

static void usage(FILE *f) { fputs(usage_text, f); }

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv, struct cli_common *c);
};

static const struct subcommand subcommands[] = {
	{"run", cmd_run}, {"check", cmd_check}, {"up", cmd_up}, {"down", cmd_down},
	{"list", cmd_list}, {"ss", cmd_ss}, {"exec", cmd_exec}, {"clean", cmd_clean}, {"do", cmd_do},
};

static bool prefix_ok(const char *p)
{
	size_t n = strlen(p);
	if (n == 0 || n > 8)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9')))
			return false;
	return true;
}

int main(int argc, char **argv)
{
	struct cli_common c = {.prefix = getenv("NESTBED_PREFIX")};
	if (!c.prefix || !*c.prefix)
		c.prefix = "nb";
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--prefix") && i + 1 < argc) {
			c.prefix = argv[++i];
		} else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			c.quiet = true;
		} else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			c.verbose = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "nestbed: unknown option '%s'\n\n", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (!prefix_ok(c.prefix)) {
		fprintf(stderr, "nestbed: prefix '%s' must be 1-8 characters of [a-z0-9]\n", c.prefix);
		return EXIT_USAGE;
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *name = argv[i];
	if (!strcmp(name, "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t k = 0; k < sizeof(subcommands) / sizeof(subcommands[0]); k++)
		if (!strcmp(name, subcommands[k].name))
			return subcommands[k].fn(argc - i, argv + i, &c);
	fprintf(stderr, "nestbed: unknown command '%s'\n\n", name);
	usage(stderr);
	return EXIT_USAGE;
}
