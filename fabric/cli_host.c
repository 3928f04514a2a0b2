/* cli_host.c: `nestbed ss` and `nestbed exec`: reaching one host of a lab
 * that is up, by name. */
#include "cli.h"

#include "lab.h"
#include "netns.h"
#include "nl.h"
#include "nodeproc.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

bool cli_node_bin(char *buf, size_t len)
{
	const char *env = getenv("NESTBED_NODE");
	if (env && *env) {
		snprintf(buf, len, "%s", env);
		if (access(buf, X_OK) == 0)
			return true;
		fprintf(stderr, "nestbed: NESTBED_NODE=%s is not an executable\n", env);
		return false;
	}
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(buf, len, "%s/nestbed-node", self);
			if (access(buf, X_OK) == 0)
				return true;
		}
	}
	fprintf(stderr, "nestbed: cannot find nestbed-node next to nestbed (set NESTBED_NODE)\n");
	return false;
}

struct one_lab {
	const char *prefix;
	char name[96];
	int count;
};

static void pick_live(const char *name, int pid, bool alive, void *arg)
{
	struct one_lab *o = arg;
	(void)pid;
	if (!alive)
		return;
	o->count++;
	snprintf(o->name, sizeof(o->name), "%s", name);
}

/* name_ok: n bytes of a lab or host name as the language allows them
 * ([A-Za-z0-9_-], not empty): nothing that could leave /run/nestbed. */
static bool name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return false;
	return true;
}

int cli_resolve_host(const struct cli_common *c, const char *arg, char *lab, size_t lablen,
		     char *host, size_t hostlen)
{
	const char *colon = strchr(arg, ':');
	const char *hname = colon ? colon + 1 : arg;
	if ((colon && !name_ok(arg, (size_t)(colon - arg))) || !name_ok(hname, strlen(hname))) {
		fprintf(stderr, "nestbed: '%s' is not [LAB:]HOST (names are letters, digits, '-' and '_')\n", arg);
		return -EINVAL;
	}
	if (colon) {
		snprintf(lab, lablen, "%s-%.*s", c->prefix, (int)(colon - arg), arg);
		snprintf(host, hostlen, "%s", colon + 1);
		return 0;
	}
	struct one_lab o = {.prefix = c->prefix};
	lab_list(c->prefix, pick_live, &o);
	if (o.count == 0) {
		fprintf(stderr, "nestbed: no lab is up (start one with `nestbed up FILE`)\n");
		return -ENOENT;
	}
	if (o.count > 1) {
		fprintf(stderr, "nestbed: several labs are up; name one as LAB:%s\n", arg);
		return -EINVAL;
	}
	snprintf(lab, lablen, "%s", o.name);
	snprintf(host, hostlen, "%s", arg);
	return 0;
}

/* host_kind: looks the host up in the lab's state file ("custom", "kernel"). */
static int host_kind(const char *lab, const char *host, char *kind, size_t len, char *ns, size_t nslen)
{
	char path[PATH_MAX], line[512];
	snprintf(path, sizeof(path), "/run/nestbed/%s/hosts", lab);
	FILE *f = fopen(path, "r");
	if (!f)
		return -ENOENT;
	int rc = -ESRCH;
	while (fgets(line, sizeof(line), f)) {
		char h[128], k[32], n[128];
		if (sscanf(line, "%127s %31s %127s", h, k, n) == 3 && !strcmp(h, host)) {
			snprintf(kind, len, "%s", k);
			snprintf(ns, nslen, "%s", n);
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

/* host_not_found: what `ss` and `exec` say when host_kind failed (rc):
 * no such lab is the environment's matter (exit 3, as `do` and `down`), no
 * such host in a lab that is up is the caller's (exit 2). */
static int host_not_found(const struct cli_common *c, const char *verb, const char *lab, const char *host,
			  int rc)
{
	size_t pl = strlen(c->prefix);
	const char *name = !strncmp(lab, c->prefix, pl) && lab[pl] == '-' ? lab + pl + 1 : lab;
	if (rc == -ENOENT) {
		fprintf(stderr, "nestbed %s: no lab named '%s' is up (nestbed list shows them)\n", verb, name);
		return EXIT_ENV;
	}
	fprintf(stderr, "nestbed %s: no host '%s' in lab %s\n", verb, host, name);
	return EXIT_USAGE;
}

int cmd_ss(int argc, char **argv, struct cli_common *c)
{
	const char *target = NULL, *mode = "";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-e") || !strcmp(argv[i], "--extended"))
			mode = " ext";
		else if (!strcmp(argv[i], "--json"))
			mode = " json";
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: nestbed ss [LAB:]HOST [-e|--json]\n"
			       "Socket table of a custom host: Proto, Local Address, Foreign Address, State,\n"
			       "PID/Program. -e adds each TCP socket's control block (seq/ack, windows, RTT,\n"
			       "RTO, cwnd); --json prints all of it as JSON.\n");
			return 0;
		} else if (!target)
			target = argv[i];
		else {
			fprintf(stderr, "nestbed ss: unexpected argument '%s'\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!target) {
		fprintf(stderr, "usage: nestbed ss [LAB:]HOST [-e|--json]\n");
		return EXIT_USAGE;
	}
	char lab[128], host[128], kind[32], ns[128], path[PATH_MAX], err[512];
	if (cli_resolve_host(c, target, lab, sizeof(lab), host, sizeof(host)) < 0)
		return EXIT_USAGE;
	int hk = host_kind(lab, host, kind, sizeof(kind), ns, sizeof(ns));
	if (hk < 0)
		return host_not_found(c, "ss", lab, host, hk);
	if (strcmp(kind, "custom")) {
		fprintf(stderr, "nestbed ss: %s is a %s host; use `nestbed exec %s ss -tanp` for Linux's view\n",
			host, kind, target);
		return EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/run/nestbed/%s/%s.sock", lab, host);
	struct nodeproc np;
	if (nodeproc_connect(&np, host, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "nestbed ss: %s\n", err);
		return EXIT_ENV;
	}
	struct nodeproc_reply r;
	int rc = nodeproc_request(&np, 5000, &r, "ss%s", mode);
	nodeproc_stop(&np, 0);
	if (rc < 0 || !r.ok) {
		fprintf(stderr, "nestbed ss: %s\n", rc < 0 ? strerror(-rc) : r.status);
		nodeproc_reply_free(&r);
		return 1;
	}
	if (r.data)
		fwrite(r.data, 1, r.data_len, stdout);
	nodeproc_reply_free(&r);
	return 0;
}

int cmd_exec(int argc, char **argv, struct cli_common *c)
{
	if (argc < 3 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fprintf(argc < 3 ? stderr : stdout,
			"usage: nestbed exec [LAB:]HOST CMD [ARG...]\n"
			"Runs CMD inside HOST's network and UTS namespaces (a kernel host: Linux's stack).\n");
		return argc < 3 ? EXIT_USAGE : 0;
	}
	char lab[128], host[128], kind[32], ns[128], err[512];
	if (cli_resolve_host(c, argv[1], lab, sizeof(lab), host, sizeof(host)) < 0)
		return EXIT_USAGE;
	int hk = host_kind(lab, host, kind, sizeof(kind), ns, sizeof(ns));
	if (hk < 0)
		return host_not_found(c, "exec", lab, host, hk);
	if (!strcmp(kind, "custom"))
		fprintf(stderr, "nestbed exec: note: %s runs nestbed's stack; programs here see no "
			"addresses of it\n", host);
	pid_t pid;
	int rc = netns_exec(ns, argv + 2, NETNS_EXEC_PDEATHSIG, &pid, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "nestbed exec: %s\n", err);
		return rc == -ENOENT ? 127 : EXIT_ENV;
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return EXIT_ENV;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
