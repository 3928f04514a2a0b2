/* cli.h: the nestbed subcommands (one file each) and what they share.
 *
 * Exit codes, for every subcommand:
 *   0  success: the lab ran and every expectation held
 *   1  an expectation failed (run), or the asked-for thing failed
 *   2  bad topology file or bad usage
 *   3  environment: not root, missing kernel feature, lab busy
 */
#ifndef NB_CLI_H
#define NB_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXIT_EXPECT 1
#define EXIT_USAGE 2
#define EXIT_ENV 3

struct cli_common {
	const char *prefix;   /* object name prefix, "nb" (NESTBED_PREFIX, --prefix) */
	bool quiet, verbose;
};

int cmd_run(int argc, char **argv, struct cli_common *c);     /* run FILE: up, script, down */
int cmd_up(int argc, char **argv, struct cli_common *c);      /* up FILE: a lab to poke at */
int cmd_down(int argc, char **argv, struct cli_common *c);
int cmd_list(int argc, char **argv, struct cli_common *c);
int cmd_ss(int argc, char **argv, struct cli_common *c);
int cmd_exec(int argc, char **argv, struct cli_common *c);
int cmd_clean(int argc, char **argv, struct cli_common *c);
int cmd_check(int argc, char **argv, struct cli_common *c);
int cmd_do(int argc, char **argv, struct cli_common *c);      /* do LAB STEP: a live step (cli_do.c) */

struct lab;
struct topo;
/* cli_do_open: the lab's request socket for `nestbed do`, listening (make
 * it before telling the user the lab is up). The fd, or -1. */
int cli_do_open(const struct lab *lab);
/* cli_do_serve: holds a lab that is up (built from t) and runs the steps
 * `nestbed do` sends on fd (from cli_do_open; -1: none), one at a time,
 * until stop() returns true; then ends the programs those steps started
 * and closes and removes the socket. The lab is the caller's to take down. */
void cli_do_serve(struct lab *lab, struct topo *t, int fd, bool (*stop)(void));

/* cli_node_bin: path of nestbed-node: $NESTBED_NODE, else next to this
 * executable. Writes into buf; false (with a message) if not found. */
bool cli_node_bin(char *buf, size_t len);
/* cli_resolve_host: "[LAB:]HOST" -> lab name and host; with no LAB, the
 * only lab that is up. Fills lab (full "<P>-<lab>") and host. */
int cli_resolve_host(const struct cli_common *c, const char *arg, char *lab, size_t lablen,
		     char *host, size_t hostlen);

#endif
