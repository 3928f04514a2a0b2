/* nodeproc.h: the controller's handle on one running nestbed-node.
 *
 *   nestbed (controller)                      nestbed-node (in the host's namespaces)
 *   nodeproc_spawn: socketpair, fork,
 *     child: setns(net), setns(uts),
 *            PR_SET_PDEATHSIG(SIGKILL),
 *            fd 3 = control, stderr = log  --> exec nestbed-node --ctl-fd 3 ...
 *   nodeproc_request("ping ...")  ---------->  "<id> ping ..."
 *                                 <----------  "<id> | data" ... "<id> ok k=v"
 *
 * Requests are synchronous and bounded by a timeout. Unsolicited "* ..."
 * event lines are skipped. If the node dies, requests fail with -EPIPE and
 * a message that points at its log file.
 */
#ifndef NB_NODEPROC_H
#define NB_NODEPROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct nodeproc {
	char name[64];
	pid_t pid;
	int fd;                    /* control socket, -1 when closed */
	unsigned long next_id;
	char rbuf[65536];
	size_t rlen;
	char log_path[4096];
};

/* A reply: status line after "ok"/"err", plus the data lines joined by '\n'. */
struct nodeproc_reply {
	bool ok;
	char status[4096];         /* text after "ok " or "err " */
	char *data;                /* malloc'd, may be NULL; caller frees with nodeproc_reply_free */
	size_t data_len;
};

struct nodeproc_spawn_opts {
	const char *node_bin;      /* path to nestbed-node */
	const char *name;          /* host name */
	int netns_fd, utsns_fd;    /* namespaces to enter; utsns_fd may be -1 */
	const char *listen_path;   /* node's control socket path, or NULL */
	const char *log_path;      /* stdout+stderr of the node */
	uint64_t seed;
};

/* nodeproc_spawn: starts a node and waits (up to timeout_ms) for "* ready".
 * Returns 0 or -errno with a reason in err. */
int nodeproc_spawn(struct nodeproc *np, const struct nodeproc_spawn_opts *o, int timeout_ms,
		   char *err, size_t errlen);
/* nodeproc_launch / nodeproc_await_ready: the two halves of spawn, so that
 * many nodes can start at once and be awaited together. */
int nodeproc_launch(struct nodeproc *np, const struct nodeproc_spawn_opts *o, char *err, size_t errlen);
int nodeproc_await_ready(struct nodeproc *np, int timeout_ms, char *err, size_t errlen);
/* nodeproc_connect: attaches to a node already running (its listening socket). */
int nodeproc_connect(struct nodeproc *np, const char *name, const char *path, char *err, size_t errlen);
/* nodeproc_request: sends one request (printf format) and waits for its
 * reply. Returns 0 when the node answered (ok or err: see r->ok), -ETIMEDOUT,
 * or -EPIPE if the node went away. */
int nodeproc_request(struct nodeproc *np, int timeout_ms, struct nodeproc_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* nodeproc_send / nodeproc_wait: the two halves of a request, so requests
 * can be pipelined (the node answers a connection's requests in order).
 * send returns the request id (> 0) or -errno. */
long nodeproc_send(struct nodeproc *np, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int nodeproc_wait(struct nodeproc *np, long id, int timeout_ms, struct nodeproc_reply *r);
void nodeproc_reply_free(struct nodeproc_reply *r);
/* nodeproc_reply_get: value of key=value in a reply status, into buf; false if absent. */
bool nodeproc_reply_get(const struct nodeproc_reply *r, const char *key, char *buf, size_t len);
/* nodeproc_stop: asks the node to quit, waits up to timeout_ms, then SIGKILLs
 * it; always reaps it. Returns its wait status (or -1 if it was not running). */
int nodeproc_stop(struct nodeproc *np, int timeout_ms);
/* nodeproc_quit: asks the node to quit and closes the channel; no wait. */
void nodeproc_quit(struct nodeproc *np);
/* nodeproc_reap: waits for n nodes (already told to quit) together, up to
 * timeout_ms, then SIGKILLs the rest. Returns how many had to be killed. */
int nodeproc_reap(struct nodeproc **nps, int n, int timeout_ms);
/* nodeproc_set_interrupt: while fn is set and returns true, waits for a
 * node's answer give up with -EINTR (the request is abandoned; its late
 * reply is skipped). NULL: waits run to their timeout. */
void nodeproc_set_interrupt(bool (*fn)(void));
/* nodeproc_alive: true if the process has not exited (reaps it if it has). */
bool nodeproc_alive(struct nodeproc *np);

#endif
