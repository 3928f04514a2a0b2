/* nl.h: a small libmnl wrapper for rtnetlink, bound to one network namespace.
 *
 * A struct nbnl is a NETLINK_ROUTE socket opened while the calling thread
 * was inside a given network namespace; a netlink socket keeps talking to
 * the namespace it was created in, whatever the thread does afterwards.
 * NETLINK_EXT_ACK and NETLINK_CAP_ACK are on, so a refused request comes
 * back with the kernel's own reason text.
 *
 * Requests are queued in the socket's buffer and sent by nbnl_commit():
 *
 *     struct nlmsghdr *nlh = nbnl_msg(nl, RTM_NEWLINK, NLM_F_CREATE, "veth create %s", n);
 *     ... mnl_attr_put*(nlh, ...) ...
 *     rc = nbnl_commit(nl, err, errlen);
 *
 * Every queued message carries NLM_F_REQUEST|NLM_F_ACK and a label; when the
 * kernel refuses one, err receives "LABEL: STRERROR (kernel: EXT-ACK TEXT)"
 * (the parenthesis only when the kernel gave a text) and the call returns the
 * negative errno.  Between nbnl_batch_begin() and nbnl_batch_end() commits
 * are deferred: messages pile up (flushed in chunks when the buffer fills)
 * and nbnl_batch_end() reports the first failure of the whole batch.  This is
 * what lets hundreds of link changes cost one or two system calls.
 *
 * Error convention for all of fabric/: functions return 0 or a negative
 * errno and fill a caller-owned buffer (err, errlen) with a message; err may
 * be NULL when the caller does not want the text.
 */
#ifndef FABRIC_NL_H
#define FABRIC_NL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

#define NBNL_ERRLEN 256 /* a comfortable size for err buffers */

struct nbnl;

/* nbnl_open: opens a route netlink socket in the namespace netns_fd (an fd of
 * /run/netns/NAME or /proc/.../ns/net), or in the calling thread's current
 * namespace when netns_fd < 0.  The thread is returned to its original
 * namespace before the call returns.  On success *out owns the socket. */
int nbnl_open(struct nbnl **out, int netns_fd, char *err, size_t errlen);

/* nbnl_close: closes the socket; queued, uncommitted messages are dropped.
 * NULL is accepted. */
void nbnl_close(struct nbnl *nl);

/* nbnl_msg: starts a new request of the given type in the queue with flags
 * | NLM_F_REQUEST | NLM_F_ACK and a printf-style label used in error text.
 * Returns the header to fill with mnl_nlmsg_put_extra_header / mnl_attr_*;
 * the message must fit in NBNL_MSG_MAX bytes.  Never fails: if the queue is
 * full it is flushed first and any failure is kept for the next commit. */
#define NBNL_MSG_MAX 4096
struct nlmsghdr *nbnl_msg(struct nbnl *nl, uint16_t type, uint16_t flags, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* nbnl_commit: sends the queued messages and waits for all their acks.
 * Returns 0, or the first failure (negative errno, err filled).  Inside a
 * batch it does nothing and returns 0: nbnl_batch_end reports. */
int nbnl_commit(struct nbnl *nl, char *err, size_t errlen);

/* nbnl_batch_begin / nbnl_batch_end: defer commits until batch_end, which
 * flushes everything and returns the first failure of the batch (with the
 * failing message's label), or 0.  Batches do not nest. */
void nbnl_batch_begin(struct nbnl *nl);
int nbnl_batch_end(struct nbnl *nl, char *err, size_t errlen);

/* nbnl_batching: true between nbnl_batch_begin and nbnl_batch_end. */
bool nbnl_batching(const struct nbnl *nl);

/* nbnl_cb: called for each data message of a query reply; return MNL_CB_OK
 * to continue, MNL_CB_STOP to stop early (the rest is drained) or
 * MNL_CB_ERROR (with errno set) to fail the query. */
typedef int (*nbnl_cb)(const struct nlmsghdr *nlh, void *data);

/* nbnl_query: sends everything queued, the last message started with
 * nbnl_msg being a GET (with NLM_F_DUMP for a dump), and calls cb for each
 * data message of that GET's reply, until its ack or NLMSG_DONE.  Returns 0
 * or the GET's failure (negative errno, err filled); outside a batch the
 * failure of an earlier queued message is returned too.  Inside a batch,
 * failures of the other messages are kept for nbnl_batch_end. */
int nbnl_query(struct nbnl *nl, nbnl_cb cb, void *data, char *err, size_t errlen);

/* nbnl_errf: formats "WHAT: STRERROR(-rc)[ (kernel: KMSG)]" into err; a
 * helper for callers that compose their own failures.  Returns rc. */
int nbnl_errf(char *err, size_t errlen, int rc, const char *kmsg, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#endif
