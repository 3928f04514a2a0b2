/* cli_run.c: `nestbed run` and `nestbed up`: a lab's whole life.
 *
 *   run FILE: parse -> lab_up -> script -> final dumps -> reports -> lab_down
 *   up FILE:  parse -> lab_up -> stay up, taking `nestbed do` steps, until
 *             `nestbed down LAB` (SIGTERM)
 *
 * Nodes die with the process that spawned them (PR_SET_PDEATHSIG), so a lab
 * that must outlive the command (`up`, `run --keep` after a failure) is run
 * by a forked supervisor: the command waits on a pipe for the verdict, prints
 * it and exits, while the supervisor keeps the lab until told to stop. A
 * plain `run` does not fork, so `kill -9` of it takes every node with it. */
#include "cli.h"

#include "lab.h"
#include "linkreport.h"
#include "report.h"
#include "script.h"
#include "topo.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct run_args {
	const char *file;
	const char *out;
	uint64_t seed;
	bool seed_given;
	bool keep;
	bool pcap;
};

static volatile sig_atomic_t stop_requested;
static void on_stop(int sig) { stop_requested = sig; }

static bool stop_check(void) { return stop_requested != 0; }

static void install_stop_handlers(void)
{
	script_set_interrupt(stop_check);
	struct sigaction sa = {.sa_handler = on_stop};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int parse_run_args(int argc, char **argv, bool is_up, struct run_args *a)
{
	memset(a, 0, sizeof(*a));
	a->pcap = true;
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (!strcmp(s, "--seed") && i + 1 < argc) {
			char *end;
			errno = 0;
			a->seed = strtoull(argv[++i], &end, 0);
			if (errno || *end || argv[i][0] == '-') {
				fprintf(stderr, "nestbed: --seed wants a number, not '%s'\n", argv[i]);
				return -1;
			}
			a->seed_given = true;
		} else if (!strcmp(s, "--out") && i + 1 < argc) {
			a->out = argv[++i];
		} else if (!is_up && !strcmp(s, "--keep")) {
			a->keep = true;
		} else if (!strcmp(s, "--no-pcap")) {
			a->pcap = false;
		} else if (s[0] == '-' || a->file) {
			fprintf(stderr, "nestbed %s: unexpected argument '%s'\n", is_up ? "up" : "run", s);
			return -1;
		} else {
			a->file = s;
		}
	}
	if (!a->file) {
		fprintf(stderr, "usage: nestbed %s FILE [--seed N] [--out DIR]%s [--no-pcap]\n",
			is_up ? "up" : "run", is_up ? "" : " [--keep]");
		return -1;
	}
	return 0;
}

/* random_seed: for a file without `seed` and no --seed; the report says which. */
static uint64_t random_seed(void)
{
	uint64_t s = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, &s, sizeof(s)) != sizeof(s))
			s = 0;
		close(fd);
	}
	if (!s)
		s = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	return s % 1000000000ull;
}

/* prepare: parses the file and fills lab options. Returns an exit code or -1 to go on. */
static int prepare(const struct run_args *a, const struct cli_common *c, struct topo **t,
		   struct lab_opts *o, char *node_bin, size_t binlen, char *outdir, size_t outlen)
{
	int errors = topo_parse_file(a->file, t, stderr);
	if (errors) {
		fprintf(stderr, "%s: %d error%s; nothing was created\n", a->file, errors, errors == 1 ? "" : "s");
		return EXIT_USAGE;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "nestbed: needs root to create namespaces and links (try sudo)\n");
		topo_free(*t);
		return EXIT_ENV;
	}
	if (!cli_node_bin(node_bin, binlen)) {
		topo_free(*t);
		return EXIT_ENV;
	}
	if (a->out)
		snprintf(outdir, outlen, "%s", a->out);
	else
		snprintf(outdir, outlen, "nestbed-out/%s", (*t)->name);
	memset(o, 0, sizeof(*o));
	o->prefix = c->prefix;
	o->node_bin = node_bin;
	o->outdir = outdir;
	o->seed = a->seed_given ? a->seed : (*t)->seed_given ? (*t)->seed : random_seed();
	o->pcap = a->pcap;
	o->verbose = c->verbose;
	return -1;
}

/* supervise: the lab outlives the command: run the steps `nestbed do`
 * sends on do_fd (cli_do_open, made before the verdict so that `do` works
 * as soon as the command has returned) until SIGTERM (nestbed down), then
 * take the lab down. */
static void supervise(struct lab *lab, struct topo *t, int do_fd)
{
	int nul = open("/dev/null", O_RDWR);
	if (nul >= 0) {
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(nul, 2);
		close(nul);
	}
	setsid();
	cli_do_serve(lab, t, do_fd, stop_check);
	lab_down(lab);
}

/* fork_supervisor: returns in the child (supervisor) with *verdict_fd set;
 * in the parent, waits for the child's verdict byte and exits with it. */
static void fork_supervisor(int *verdict_fd)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		perror("nestbed: pipe");
		exit(EXIT_ENV);
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("nestbed: fork");
		exit(EXIT_ENV);
	}
	if (pid == 0) {
		close(p[0]);
		/* Until the verdict, the supervisor dies with the command (^C, kill). */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		*verdict_fd = p[1];
		return;
	}
	close(p[1]);
	signal(SIGINT, SIG_IGN); /* the child handles ^C and reports */
	unsigned char code = EXIT_ENV;
	ssize_t n;
	do
		n = read(p[0], &code, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1) {
		int st;
		waitpid(pid, &st, 0);
		code = WIFEXITED(st) ? (unsigned char)WEXITSTATUS(st) : EXIT_ENV;
	}
	exit(code);
}

static void send_verdict(int fd, int code)
{
	unsigned char c = (unsigned char)code;
	/* First stop dying with the command: it exits as soon as it reads the
	 * verdict, and the lab must outlive it. */
	prctl(PR_SET_PDEATHSIG, 0);
	if (fd >= 0) {
		(void)!write(fd, &c, 1);
		close(fd);
	}
}

/* A lab's session: what run and up share. */
struct session {
	struct run_args a;
	struct topo *t;
	struct lab_opts o;
	char node_bin[PATH_MAX], outdir[PATH_MAX];
	int verdict_fd;
	struct lab lab;
};

/* session_start: arguments, the file, a supervisor if the lab must outlive
 * the command, then the lab itself. Returns -1 with the lab up, or the exit
 * code to return (the verdict already sent). */
static int session_start(struct session *ss, int argc, char **argv, struct cli_common *c, bool is_up)
{
	char err[1024];
	ss->verdict_fd = -1;
	if (parse_run_args(argc, argv, is_up, &ss->a) < 0)
		return EXIT_USAGE;
	int code = prepare(&ss->a, c, &ss->t, &ss->o, ss->node_bin, sizeof(ss->node_bin), ss->outdir,
			   sizeof(ss->outdir));
	if (code >= 0)
		return code;
	if (is_up || ss->a.keep)
		fork_supervisor(&ss->verdict_fd);
	install_stop_handlers();
	if (lab_up(&ss->lab, ss->t, &ss->o, err, sizeof(err)) < 0) {
		fprintf(stderr, "nestbed: cannot bring lab %s up: %s\n", ss->t->name, err);
		send_verdict(ss->verdict_fd, EXIT_ENV);
		topo_free(ss->t);
		return EXIT_ENV;
	}
	return -1;
}

int cmd_run(int argc, char **argv, struct cli_common *c)
{
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: nestbed run FILE [--seed N] [--out DIR] [--keep] [--no-pcap]\n"
		       "Brings the lab up, runs its script, writes artifacts (socket dumps, counters, pcaps,\n"
		       "summary.json, junit.xml) to --out (default nestbed-out/LAB), tears everything down.\n"
		       "--keep leaves a failed lab up for inspection (nestbed ss, exec, down).\n"
		       "Exit: 0 all expectations held, 1 one failed, 2 bad file or usage, 3 environment.\n");
		return 0;
	}
	static struct session ss;
	char err[1024];
	int code = session_start(&ss, argc, argv, c, false);
	if (code >= 0)
		return code;
	struct report *rep = report_new(ss.t, ss.o.seed, ss.outdir, c->quiet, c->verbose);
	code = script_run(&ss.lab, ss.t, rep);
	if (lab_dump_sockets(&ss.lab, -1, "final", err, sizeof(err)) < 0 && !c->quiet)
		fprintf(stderr, "nestbed: final dump: %s\n", err);
	bool show = !c->quiet && (c->verbose || isatty(STDERR_FILENO));
	if (lab_link_report(&ss.lab, show ? stderr : NULL, err, sizeof(err)) < 0)
		fprintf(stderr, "nestbed: link report: %s\n", err);
	report_finish(rep, code);
	if (report_write(rep, err, sizeof(err)) < 0)
		fprintf(stderr, "nestbed: %s\n", err);
	const char *lab = ss.t->name;
	if (ss.a.keep && code != 0 && !stop_requested) {
		fprintf(stderr, "lab %s kept up: nestbed do %s STEP, nestbed ss %s:HOST, nestbed exec %s:HOST CMD, "
			"nestbed down %s\n", lab, lab, lab, lab, lab);
		int do_fd = cli_do_open(&ss.lab);
		send_verdict(ss.verdict_fd, code);
		supervise(&ss.lab, ss.t, do_fd);
	} else {
		lab_down(&ss.lab);
		send_verdict(ss.verdict_fd, code);
	}
	report_free(rep);
	topo_free(ss.t);
	return code;
}

int cmd_up(int argc, char **argv, struct cli_common *c)
{
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: nestbed up FILE [--seed N] [--out DIR] [--no-pcap]\n"
		       "Brings the lab up (its script is not run) and returns; the lab stays up until\n"
		       "`nestbed down LAB`. Use `nestbed ss` and `nestbed exec` to look inside.\n"
		       "Exit: 0 up, 1 interrupted (nothing left behind), 2 bad file or usage, 3 environment.\n");
		return 0;
	}
	static struct session ss;
	int code = session_start(&ss, argc, argv, c, true);
	if (code >= 0)
		return code;
	const struct topo *t = ss.t;
	if (stop_requested) {
		/* ^C (or SIGTERM) while it came up: nothing is left behind. */
		fprintf(stderr, "nestbed up: interrupted; lab %s taken down\n", t->name);
		lab_down(&ss.lab);
		send_verdict(ss.verdict_fd, EXIT_EXPECT);
		topo_free(ss.t);
		return EXIT_EXPECT;
	}
	if (!c->quiet)
		fprintf(stderr, "lab %s is up (seed %llu): %d hosts, %d links; artifacts in %s\n"
			"  nestbed do %s STEP | nestbed ss %s:HOST | nestbed exec %s:HOST CMD | nestbed down %s\n",
			t->name, (unsigned long long)ss.o.seed, t->n_hosts, t->n_links, ss.outdir, t->name,
			t->name, t->name, t->name);
	/* The script is not run: live steps start afresh, free to use its names. */
	topo_drop_script(ss.t);
	int do_fd = cli_do_open(&ss.lab);
	send_verdict(ss.verdict_fd, 0);
	supervise(&ss.lab, ss.t, do_fd);
	topo_free(ss.t);
	return 0;
}
