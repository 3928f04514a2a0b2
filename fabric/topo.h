/* topo.h: the topology language's AST and its parser (topologies/REFERENCE.md
 * describes the language itself).
 *
 * A topology file declares a lab (hosts, switches, links) and then scripts
 * what happens (steps). topo_parse_file() reads it, checks everything that
 * can be checked before anything is created, and hands back one struct topo
 * in which every name is resolved to an index. The runner walks it.
 *
 *   struct topo
 *    ├─ name "story", seed (+ seed_given), file
 *    ├─ defaults[]          struct topo_param {name, value}   (custom hosts)
 *    ├─ hosts[]             struct topo_host
 *    │    ├─ kind           TOPO_HOST_CUSTOM | TOPO_HOST_KERNEL
 *    │    ├─ ifaces[]       struct topo_iface {name, addr/prefix, mac, mtu, link}
 *    │    ├─ routes[]       struct topo_route {dst/prefix, via, dev}
 *    │    ├─ params[]       struct topo_param  (`set`, `forward on` -> ip.forward)
 *    │    └─ forward
 *    ├─ switches[]          struct topo_switch {name, mtu}
 *    ├─ links[]             struct topo_link
 *    │    ├─ end[2]         struct topo_end {host+iface | switch}
 *    │    ├─ mtu
 *    │    └─ dir[2], text[2]  struct impair_spec + canonical text;
 *    │                        dir[0] = end[0] -> end[1], dir[1] = end[1] -> end[0]
 *    ├─ objs[]              struct topo_obj: names given with `as` (connections,
 *    │                      listeners, apps, UDP sockets, exec jobs)
 *    └─ steps[]             struct topo_step {kind, host, line, text, u.<kind>}
 *                           in file order; refer to hosts, links and objs by index
 *
 * Indices are ints into the arrays above, -1 for "none". Addresses and ports
 * are in host byte order. Times are nanoseconds, sizes bytes.
 *
 * Errors go to `diag` as a compiler prints them:
 *   story.topo:12:17: error: unknown host 'sever'; did you mean 'server'?
 *      12 | client: ping sever
 *         |              ^~~~~
 * Up to TOPO_ERRORS_MAX errors are collected; warnings do not fail a parse.
 */
#ifndef NB_TOPO_H
#define NB_TOPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "impair_spec.h"

#define TOPO_NAME_MAX 32          /* host, switch and object names, with NUL */
#define TOPO_LAB_MAX 12           /* lab name: [a-z0-9-], at most 12 chars */
#define TOPO_IFNAME_MAX 16        /* interface names (IFNAMSIZ), with NUL */
#define TOPO_PARAM_MAX 48         /* parameter names and values, with NUL */
#define TOPO_LINE_MAX 4096        /* bytes in one line */
#define TOPO_TOKENS_MAX 256       /* words in one line */
#define TOPO_FILE_MAX (8u << 20)  /* bytes in one file */
#define TOPO_HOSTS_MAX 4096
#define TOPO_SWITCHES_MAX 1024
#define TOPO_LINKS_MAX 16384
#define TOPO_IFACES_MAX 64        /* per host */
#define TOPO_ROUTES_MAX 1024      /* per host */
#define TOPO_PARAMS_MAX 128       /* per host, and in defaults */
#define TOPO_OBJS_MAX 65536
#define TOPO_STEPS_MAX 100000
#define TOPO_ERRORS_MAX 20
#define TOPO_MTU_DEFAULT 1500
#define TOPO_MTU_MIN 68
#define TOPO_MTU_MAX 65535

/* Where something was written: 1-based line and column (bytes). */
struct topo_loc {
	int line, col;
};

/* A stack parameter, checked with params_check(). */
struct topo_param {
	char name[TOPO_PARAM_MAX];
	char value[TOPO_PARAM_MAX];
	struct topo_loc loc;
};

struct topo_iface {
	char name[TOPO_IFNAME_MAX];
	uint32_t addr;               /* the interface's address ... */
	int prefix;                  /* ... and prefix length, 1..32 */
	uint8_t mac[6];              /* given, or 02:6e:62:HH:HH:II (HHHH = host
	                                index, II = interface index; "nb") */
	bool mac_given;
	int mtu;                     /* effective: the link's MTU */
	bool mtu_given;              /* `mtu N` on the interface line */
	int link;                    /* the link attaching it (always >= 0 after a
	                                successful parse: a loose interface is an error) */
	struct topo_loc loc;
};

struct topo_route {
	uint32_t dst;                /* network (host bits zero) ... */
	int prefix;                  /* ... and length; default = 0.0.0.0/0 */
	uint32_t via;                /* gateway; 0 = on-link route (dev given) */
	int dev;                     /* interface index in the host: given with
	                                `dev`, else the one whose subnet holds via */
	struct topo_loc loc;
};

enum topo_host_kind {
	TOPO_HOST_CUSTOM,            /* runs nestbed-node (our stack) */
	TOPO_HOST_KERNEL,            /* plain namespace: Linux's stack */
};

struct topo_host {
	char name[TOPO_NAME_MAX];
	enum topo_host_kind kind;
	struct topo_iface *ifaces;
	int n_ifaces;
	struct topo_route *routes;
	int n_routes;
	struct topo_param *params;   /* in file order; apply after topo->defaults */
	int n_params;                /* (custom hosts; kernel hosts have none) */
	bool forward;                /* IP forwarding: the last ip.forward given,
	                                `forward on`; kernel hosts: the sysctl */
	struct topo_loc loc;
};

struct topo_switch {
	char name[TOPO_NAME_MAX];
	int mtu;                     /* shared by all its links */
	struct topo_loc loc;
};

enum topo_end_kind { TOPO_END_IFACE, TOPO_END_SWITCH };

struct topo_end {
	enum topo_end_kind kind;
	int host, iface;             /* TOPO_END_IFACE: indices; else -1 */
	int sw;                      /* TOPO_END_SWITCH: index; else -1 */
	char name[TOPO_NAME_MAX + TOPO_IFNAME_MAX]; /* as written: "client:eth0", "lan0" */
};

struct topo_link {
	struct topo_end end[2];
	int mtu;                     /* both ends; default 1500 */
	bool mtu_given;
	struct impair_spec dir[2];   /* dir[0]: frames end[0] -> end[1]; dir[1]: back.
	                                Link options merged with direction lines. */
	char *text[2];               /* impair_spec_format(dir[i]); "" when none */
	struct topo_loc loc;
};

/* Named things the script creates with `as NAME`. */
enum topo_obj_kind {
	TOPO_OBJ_CONN,               /* connect: a TCP connection */
	TOPO_OBJ_LISTENER,           /* listen: a TCP listener and its app (app NONE:
	                                its connections wait until `accept`) */
	TOPO_OBJ_APP,                /* app start */
	TOPO_OBJ_UDP,                /* udp bind / udp send: a UDP socket */
	TOPO_OBJ_JOB,                /* exec on a kernel host */
};

enum topo_app {
	TOPO_APP_NONE,               /* listener: no app; the script accepts (`accept`) */
	TOPO_APP_SINK,               /* server: reads and discards, digest tracked */
	TOPO_APP_ECHO,               /* server: sends back what it reads */
	TOPO_APP_HTTP,               /* server: GET /SIZE answers SIZE bytes of pattern */
	TOPO_APP_SOURCE,             /* client: connects, sends SIZE bytes, closes */
	TOPO_APP_HTTPGET,            /* client: GETs a URL COUNT times */
};

struct topo_obj {
	char name[TOPO_NAME_MAX];
	enum topo_obj_kind kind;
	enum topo_app app;           /* LISTENER and APP */
	int host;                    /* the host it lives on */
	int step;                    /* the step that creates it */
};

/* TCP states as the node names them (tcp_state_name: "ESTABLISHED"). */
enum topo_tcp_state {
	TOPO_TCP_CLOSED, TOPO_TCP_LISTEN, TOPO_TCP_SYN_SENT, TOPO_TCP_SYN_RECEIVED,
	TOPO_TCP_ESTABLISHED, TOPO_TCP_FIN_WAIT_1, TOPO_TCP_FIN_WAIT_2, TOPO_TCP_CLOSE_WAIT,
	TOPO_TCP_CLOSING, TOPO_TCP_LAST_ACK, TOPO_TCP_TIME_WAIT,
};

enum topo_sock_error {             /* expect NAME error E */
	TOPO_ERR_NONE, TOPO_ERR_REFUSED, TOPO_ERR_TIMEDOUT, TOPO_ERR_RESET, TOPO_ERR_UNREACHABLE,
};

enum topo_cmp { TOPO_EQ, TOPO_NE, TOPO_LT, TOPO_LE, TOPO_GT, TOPO_GE };

enum topo_shut { TOPO_SHUT_RD, TOPO_SHUT_WR, TOPO_SHUT_BOTH };

enum topo_digest_of {
	TOPO_DIGEST_DEFAULT,         /* received bytes for listeners and apps sink,
	                                echo and httpget, and bound UDP sockets;
	                                sent bytes for connections, sources, UDP
	                                senders and http (the response bodies) */
	TOPO_DIGEST_SENT,
	TOPO_DIGEST_RECEIVED,
};

/* What one side of a digest comparison hashes. */
enum topo_digest_src {
	TOPO_DSRC_OBJ,               /* NAME digest [sent|received]: a node object */
	TOPO_DSRC_OUTPUT,            /* JOB output [digest]: a job's standard output */
	TOPO_DSRC_FILE,              /* file PATH: a file (relative: to the run's
	                                output directory) */
};

enum topo_step_kind {
	/* HOST: ... (custom hosts unless noted) */
	TOPO_STEP_LISTEN,            /* u.listen */
	TOPO_STEP_CONNECT,           /* u.connect */
	TOPO_STEP_ACCEPT,            /* u.accept */
	TOPO_STEP_SEND,              /* u.send */
	TOPO_STEP_RECV,              /* u.recv */
	TOPO_STEP_CLOSE,             /* u.close (how unused) */
	TOPO_STEP_SHUTDOWN,          /* u.close (how) */
	TOPO_STEP_ABORT,             /* u.close: RST */
	TOPO_STEP_APP_START,         /* u.app */
	TOPO_STEP_APP_STOP,          /* u.app_stop */
	TOPO_STEP_PING,              /* u.ping (custom or kernel host) */
	TOPO_STEP_UDP_BIND,          /* u.udp_bind */
	TOPO_STEP_UDP_SEND,          /* u.udp_send */
	TOPO_STEP_EXEC,              /* u.exec (kernel hosts only) */
	/* lab-wide */
	TOPO_STEP_SET,               /* u.set; host = the custom host */
	TOPO_STEP_LINK_SET,          /* u.link_set */
	TOPO_STEP_LINK_DOWN,         /* u.link */
	TOPO_STEP_LINK_UP,           /* u.link */
	TOPO_STEP_PARTITION,         /* u.partition */
	TOPO_STEP_HEAL,              /* no fields */
	TOPO_STEP_KILL,              /* host = the custom host */
	TOPO_STEP_RESTART,           /* host = the custom host */
	TOPO_STEP_SLEEP,             /* u.sleep */
	TOPO_STEP_WAIT,              /* u.wait */
	TOPO_STEP_EXPECT,            /* u.expect */
	TOPO_STEP_DUMP,              /* u.dump; host = one custom host, or -1 for all */
};

enum topo_wait_what {
	TOPO_WAIT_STATE,             /* connection reaches tcp_state */
	TOPO_WAIT_RECEIVED,          /* obj has received >= bytes */
	TOPO_WAIT_SENT,              /* obj has sent (been acked for) >= bytes */
	TOPO_WAIT_DONE,              /* app (source, httpget) finished */
	TOPO_WAIT_EXITED,            /* exec job exited */
	TOPO_WAIT_ACCEPT_QUEUE,      /* listener's accept queue holds >= count */
};

enum topo_expect_what {
	TOPO_EXPECT_STATE,           /* obj state == tcp_state */
	TOPO_EXPECT_ERROR,           /* obj's socket error == error */
	TOPO_EXPECT_DIGEST,          /* side (src, obj, of, path) op side (src2, obj2,
	                                of2, path2); op EQ or NE */
	TOPO_EXPECT_RECEIVED,        /* obj received bytes op value */
	TOPO_EXPECT_SENT,            /* obj sent bytes op value */
	TOPO_EXPECT_COUNTER,         /* host's counter op value */
	TOPO_EXPECT_EXIT,            /* job's exit status == value */
	TOPO_EXPECT_ACCEPT_QUEUE,    /* listener's accept queue length op value */
	TOPO_EXPECT_SYN_QUEUE,       /* listener's SYN queue length op value */
};

struct topo_step {
	enum topo_step_kind kind;
	int host;                    /* the host acting ("HOST:" prefix, or the host
	                                argument of set/kill/restart/dump/expect counter), -1 */
	struct topo_loc loc;         /* where the step starts */
	char *text;                  /* the source line, without indentation and comment */
	union {
		struct {
			uint16_t port;
			int backlog;         /* default 16 */
			enum topo_app app;   /* SINK (default), ECHO, HTTP or NONE */
			int obj;             /* -1 without `as` */
		} listen;
		struct {
			int listener;        /* a listener of this host with app NONE */
			int obj;             /* the connection it yields; -1 without `as` */
		} accept;
		struct {
			uint32_t addr;
			uint16_t port;
			uint16_t from_port;  /* 0 = ephemeral */
			bool nodelay;
			int obj;
		} connect;
		struct {
			int obj;             /* a connection of this host */
			uint64_t bytes;
			bool push;
		} send;
		struct {
			int obj;
			uint64_t bytes;      /* 0 = whatever is buffered */
		} recv;
		struct {
			int obj;
			enum topo_shut how;  /* SHUTDOWN: default WR */
		} close;
		struct {
			enum topo_app app;   /* SINK, ECHO, HTTP: listen on port;
			                        SOURCE: addr:port, bytes; HTTPGET: url */
			uint32_t addr;
			uint16_t port;
			uint64_t bytes;
			char *url;           /* HTTPGET: as written; addr/port parsed from it */
			char *path;          /* HTTPGET: "/1MiB" */
			int count;           /* HTTPGET: default 1 */
			int obj;
		} app;
		struct {
			int obj;             /* an app or listener of this host */
		} app_stop;
		struct {
			uint32_t addr;
			int count;           /* default 3 */
			uint64_t interval_ns;/* default 200ms */
			uint64_t timeout_ns; /* per reply, default 1s */
			int size;            /* payload bytes, default 56 */
			int ttl;             /* default 64 */
			bool expect_success; /* default true: every reply must come */
		} ping;
		struct {
			uint16_t port;
			int obj;
		} udp_bind;
		struct {
			uint32_t addr;
			uint16_t port;
			uint64_t bytes;
			uint16_t from_port;
			int obj;
		} udp_send;
		struct {
			char **argv;         /* NULL-terminated, quotes removed */
			int argc;
			uint64_t timeout_ns; /* 0 = none (background); foreground default 10s */
			bool background;     /* `as NAME` without `foreground`: the script goes on */
			bool expect_exit;
			int exit_code;
			int obj;             /* the job (`as NAME`), or -1 */
		} exec;
		struct {
			char name[TOPO_PARAM_MAX];
			char value[TOPO_PARAM_MAX];
		} set;
		struct {
			int link;
			int dir;             /* -1 both directions, else 0 or 1 as link.dir[] */
			struct impair_spec *spec; /* only the options given (spec->has) */
			char *text;          /* impair_spec_format(spec) */
		} link_set;
		struct {
			int link;
		} link;                      /* LINK_DOWN, LINK_UP */
		struct {
			int n_groups;        /* >= 2 */
			int *group;          /* per host index: 0..n_groups-1, -1 = not named */
		} partition;
		struct {
			uint64_t ns;
		} sleep;
		struct {
			enum topo_wait_what what;
			int obj;
			enum topo_tcp_state state;
			uint64_t bytes;
			uint64_t count;      /* ACCEPT_QUEUE: connections */
			uint64_t within_ns;  /* always > 0 */
		} wait;
		struct {
			bool detail;         /* `detail`: the control block too (ss -ti) */
		} dump;
		struct {
			enum topo_expect_what what;
			int obj;             /* -1 for a `file` side */
			enum topo_digest_of of;
			enum topo_digest_src src;   /* DIGEST: the left side ... */
			char *path;          /* ... its PATH when src is FILE */
			int obj2;            /* DIGEST: the right side */
			enum topo_digest_of of2;
			enum topo_digest_src src2;
			char *path2;
			enum topo_cmp op;
			enum topo_tcp_state state;
			enum topo_sock_error error;
			uint64_t value;      /* RECEIVED, SENT (bytes), COUNTER, ACCEPT_QUEUE,
			                        SYN_QUEUE */
			int exit_code;       /* EXIT */
			char counter[TOPO_PARAM_MAX]; /* COUNTER: "tcp.retransmits" */
		} expect;
	} u;
};

struct topo {
	char name[TOPO_LAB_MAX + 1]; /* the lab */
	uint64_t seed;
	bool seed_given;
	char *file;                  /* as passed to the parser */
	struct topo_param *defaults;
	int n_defaults;
	struct topo_host *hosts;
	int n_hosts;
	struct topo_switch *switches;
	int n_switches;
	struct topo_link *links;
	int n_links;
	struct topo_obj *objs;
	int n_objs;
	struct topo_step *steps;
	int n_steps;
	int warnings;                /* printed by the last parse */
	int n_lines;                 /* lines in the file: steps parsed later
	                                (topo_parse_step) are numbered after them */
};

/* topo_parse_file: reads and checks a topology file. Returns 0 and *out
 * (free with topo_free), or the number of errors (> 0; also when the file
 * cannot be read) with *out NULL. Diagnostics go to diag unless NULL. */
int topo_parse_file(const char *path, struct topo **out, FILE *diag);

/* topo_parse_string: the same for text in memory; `name` stands for the file
 * in messages. text need not be NUL-terminated; NUL bytes are errors. */
int topo_parse_string(const char *name, const char *text, size_t len, struct topo **out, FILE *diag);

/* topo_parse_step: parses one script line (a step, as in the file) against
 * t, a topology that parsed, and appends it to t->steps; names it defines
 * with `as` are added to t->objs and usable by later steps. The line is
 * numbered t->n_lines + 1 (and n_lines counts it), so messages read
 * "NAME:LINE:COL" and the step's artifacts never collide with the file's.
 * Declarations and indented lines are errors. Returns 0, or the number of
 * errors (> 0) with t unchanged but for n_lines. Diagnostics go to diag. */
int topo_parse_step(struct topo *t, const char *name, const char *text, size_t len, FILE *diag);

/* topo_drop_script: forgets the steps and the names they define, keeping
 * the lab: for a lab brought up without running its script, whose steps
 * are then given one by one (topo_parse_step). */
void topo_drop_script(struct topo *t);

/* topo_free: frees everything; NULL is fine. */
void topo_free(struct topo *t);

/* Lookups by name: an index, or -1. */
int topo_host_find(const struct topo *t, const char *name);
int topo_switch_find(const struct topo *t, const char *name);
int topo_iface_find(const struct topo_host *h, const char *name);
int topo_obj_find(const struct topo *t, const char *name);
/* topo_link_find: the link between two endpoints written "host:if" or "switch",
 * in either order; *dir0 (if not NULL) is set when a is end[0]. -1 if none. */
int topo_link_find(const struct topo *t, const char *a, const char *b, bool *dir0);

/* Names for printing: "ESTABLISHED", "sink", "connect", ... */
const char *topo_tcp_state_name(enum topo_tcp_state st);
const char *topo_app_name(enum topo_app app);
const char *topo_step_name(enum topo_step_kind kind);
const char *topo_obj_kind_name(enum topo_obj_kind kind);

#endif
