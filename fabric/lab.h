/* lab.h: a lab brought to life from a parsed topology, and its run state.
 *
 *   /run/nestbed/<P>-<lab>/           the lab's state directory (P = prefix, "nb")
 *       owner                         pid of the process that owns the lab
 *       hosts                         one line per host: "<name> custom|kernel|switch <netns>"
 *       <host>.sock                   each custom host's control socket
 *   /run/netns/<P>-<lab>-<host>       one network namespace per host and switch
 *   /run/nestbed/uts/<P>-<lab>-<host> its UTS namespace (hostname = host name)
 *   <out>/                            artifacts: per-host logs, pcaps, dumps; reports
 *
 * Everything a lab creates carries "<P>-<lab>" so that `nestbed clean` and
 * `nestbed down` can find it by name, and nothing else is ever touched.
 */
#ifndef NB_LAB_H
#define NB_LAB_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "nodeproc.h"
#include "topo.h"

#define LAB_PREFIX_DEFAULT "nb"

struct lab_host {
	const struct topo_host *t;   /* NULL for switches */
	char name[TOPO_NAME_MAX];
	char netns[64];              /* "<P>-<lab>-<name>" */
	bool netns_made;             /* created by this lab_up (lab_down deletes only those) */
	bool custom;
	struct nodeproc np;          /* custom hosts: the running node (np.fd < 0 when down) */
	bool alive;                  /* custom hosts: node running */
	char sock_path[PATH_MAX];
};

struct lab_opts {
	const char *prefix;          /* "nb" unless NESTBED_PREFIX / --prefix */
	const char *node_bin;        /* path to nestbed-node */
	const char *outdir;          /* artifacts; created if missing */
	uint64_t seed;               /* the run seed (file's, or --seed) */
	bool pcap;                   /* capture every custom interface */
	bool verbose;
};

struct lab {
	const struct topo *topo;
	struct lab_opts opts;
	char name[64];               /* "<P>-<lab>" */
	char dir[PATH_MAX];          /* /run/nestbed/<P>-<lab> */
	char outdir[PATH_MAX];
	struct lab_host *hosts;      /* topo->hosts order, then switches */
	int n_hosts;                 /* hosts + switches */
	bool *link_down;             /* per topo link */
	bool partitioned;
	/* partition.c: what the current partition changed, one bit each, so
	 * that heal undoes exactly that (see partition.h) */
	uint64_t part_cut[(TOPO_LINKS_MAX + 63) / 64];    /* links it took down */
	uint64_t part_sw[(TOPO_SWITCHES_MAX + 63) / 64];  /* switches it filters */
};

/* lab_up: creates namespaces, links, addresses and routes, starts a node
 * per custom host and configures it (interfaces, routes, parameters,
 * impairments, captures). On failure everything created so far is removed
 * and err says what failed, with the kernel's reason. Returns 0, -EEXIST
 * (a lab of that name is up), -EPERM (not root), or another -errno. */
int lab_up(struct lab *lab, const struct topo *t, const struct lab_opts *o, char *err, size_t errlen);

/* lab_down: stops every node (quit, then SIGKILL), deletes every namespace
 * by name and removes the state directory. Safe on a half-built lab. */
void lab_down(struct lab *lab);

/* lab_host: the lab host for a topology host index (switches follow hosts). */
struct lab_host *lab_host(struct lab *lab, int topo_host);

/* lab_node_request: a control request to a custom host's node (see
 * nodeproc_request); fails with -EPIPE if the node is down. */
int lab_node_request(struct lab *lab, int topo_host, int timeout_ms, struct nodeproc_reply *r,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* lab_exec: runs argv inside a kernel host (its net and UTS namespaces),
 * stdout+stderr appended to out_path (may be NULL). Returns the child pid
 * (reap with waitpid) or -errno. */
int lab_exec(struct lab *lab, int topo_host, char *const argv[], const char *out_path,
	     char *err, size_t errlen);

/* Faults, at run time. */
int lab_link_set_state(struct lab *lab, int link, bool up, char *err, size_t errlen);
/* lab_link_impair: applies spec (only the groups in spec->has) to one
 * direction (0 or 1) or both (-1) of a link, on the custom end(s). */
int lab_link_impair(struct lab *lab, int link, int dir, const char *spec_text, char *err, size_t errlen);
int lab_partition(struct lab *lab, const int *group, char *err, size_t errlen);
int lab_heal(struct lab *lab, char *err, size_t errlen);
int lab_host_kill(struct lab *lab, int topo_host, char *err, size_t errlen);
int lab_host_restart(struct lab *lab, int topo_host, char *err, size_t errlen);

/* lab_dump_sockets: asks every custom host (or one) to write its socket
 * table and counters under <out>/<host>/<tag>.{txt,json}. */
int lab_dump_sockets(struct lab *lab, int topo_host, const char *tag, char *err, size_t errlen);

/* Housekeeping for `nestbed list`, `down` and `clean`. */
/* lab_owner_read: the pid in <lab_dir>/owner, or -1. */
int lab_owner_read(const char *lab_dir);
/* lab_owner_alive: true if pid is a running nestbed process. */
bool lab_owner_alive(int pid);
/* lab_find_live: calls cb for each lab state directory (name, owner pid, alive). */
typedef void (*lab_list_cb)(const char *name, int owner_pid, bool alive, void *arg);
int lab_list(const char *prefix, lab_list_cb cb, void *arg);
/* lab_clean: removes what dead labs left (or one lab, or all with `force`):
 * namespaces, UTS mounts, state directories. Reports what it removed. */
int lab_clean(const char *prefix, const char *only_lab, bool force, FILE *report);

#endif
