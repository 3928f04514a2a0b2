/* nl.c: route netlink socket bound to a namespace, queued requests, acks
 * with the kernel's extended-ack text.  See nl.h. */
#include "nl.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#define NBNL_QMAX 128           /* messages per flush: their acks must fit the rcvbuf */
#define NBNL_QBUF (64 * 1024)   /* queued request bytes per flush */
#define NBNL_RBUF (32 * 1024)   /* one received datagram (dumps come in ~16 KiB parts) */
#define NBNL_LABEL 72
#define NBNL_SOCKBUF (1 << 20)
#define NBNL_TIMEOUT_S 30       /* a reply later than this is an error */

struct nbnl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq_next;         /* sequence number of the next message */
	uint32_t seq_base;         /* sequence number of queue[0] */
	unsigned nq;               /* messages queued */
	size_t qlen;               /* bytes of finished messages in qbuf */
	struct nlmsghdr *cur;      /* message being filled, or NULL */
	bool batching;
	int rc;                    /* first failure not yet reported, or 0 */
	char rc_text[NBNL_ERRLEN];
	char labels[NBNL_QMAX][NBNL_LABEL];
	/* Separate, unzeroed allocations: a controller keeps one socket per
	 * namespace open, and pages it never writes cost nothing. */
	char *qbuf; /* NBNL_QBUF */
	char *rbuf; /* NBNL_RBUF */
};

/* nbnl_errf: see nl.h. */
int nbnl_errf(char *err, size_t errlen, int rc, const char *kmsg, const char *fmt, ...)
{
	if (!err || errlen == 0)
		return rc;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= errlen)
		return rc;
	if (kmsg && *kmsg)
		snprintf(err + n, errlen - (size_t)n, ": %s (kernel: %s)", strerror(-rc), kmsg);
	else
		snprintf(err + n, errlen - (size_t)n, ": %s", strerror(-rc));
	return rc;
}

/* set_opt: one int-valued socket option; returns 0 or -errno. */
static int set_opt(int fd, int level, int opt, int val)
{
	return setsockopt(fd, level, opt, &val, sizeof(val)) < 0 ? -errno : 0;
}

/* open_here: opens and configures the socket in the thread's namespace. */
static int open_here(struct nbnl *nl, char *err, size_t errlen)
{
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock)
		return nbnl_errf(err, errlen, -errno, NULL, "netlink socket");
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		return nbnl_errf(err, errlen, -errno, NULL, "netlink bind");
	nl->portid = mnl_socket_get_portid(nl->sock);
	int fd = mnl_socket_get_fd(nl->sock);
	int rc;
	if ((rc = set_opt(fd, SOL_NETLINK, NETLINK_EXT_ACK, 1)) < 0)
		return nbnl_errf(err, errlen, rc, NULL, "netlink NETLINK_EXT_ACK");
	if ((rc = set_opt(fd, SOL_NETLINK, NETLINK_CAP_ACK, 1)) < 0)
		return nbnl_errf(err, errlen, rc, NULL, "netlink NETLINK_CAP_ACK");
	/* Room for a full queue's acks; FORCE needs CAP_NET_ADMIN, else the
	 * plain option (capped by rmem_max) is the best we can do. */
	if (set_opt(fd, SOL_SOCKET, SO_RCVBUFFORCE, NBNL_SOCKBUF) < 0 &&
	    (rc = set_opt(fd, SOL_SOCKET, SO_RCVBUF, NBNL_SOCKBUF)) < 0)
		return nbnl_errf(err, errlen, rc, NULL, "netlink SO_RCVBUF");
	if (set_opt(fd, SOL_SOCKET, SO_SNDBUFFORCE, NBNL_SOCKBUF) < 0 &&
	    (rc = set_opt(fd, SOL_SOCKET, SO_SNDBUF, NBNL_SOCKBUF)) < 0)
		return nbnl_errf(err, errlen, rc, NULL, "netlink SO_SNDBUF");
	/* Never hang on a reply that does not come. */
	struct timeval tv = { .tv_sec = NBNL_TIMEOUT_S };
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return nbnl_errf(err, errlen, -errno, NULL, "netlink SO_RCVTIMEO");
	return 0;
}

/* nbnl_open: see nl.h. */
int nbnl_open(struct nbnl **out, int netns_fd, char *err, size_t errlen)
{
	*out = NULL;
	struct nbnl *nl = calloc(1, sizeof(*nl));
	if (!nl)
		return nbnl_errf(err, errlen, -ENOMEM, NULL, "netlink socket");
	nl->seq_next = nl->seq_base = 1;
	nl->qbuf = malloc(NBNL_QBUF);
	nl->rbuf = malloc(NBNL_RBUF);
	if (!nl->qbuf || !nl->rbuf) {
		nbnl_close(nl);
		return nbnl_errf(err, errlen, -ENOMEM, NULL, "netlink socket");
	}
	int rc = 0;
	if (netns_fd < 0) {
		rc = open_here(nl, err, errlen);
	} else {
		int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (home < 0) {
			rc = nbnl_errf(err, errlen, -errno, NULL, "open /proc/thread-self/ns/net");
		} else if (setns(netns_fd, CLONE_NEWNET) < 0) {
			rc = nbnl_errf(err, errlen, -errno, NULL, "setns into target netns");
			close(home);
		} else {
			rc = open_here(nl, err, errlen);
			if (setns(home, CLONE_NEWNET) < 0) {
				int e = -errno;
				/* The thread is stranded in the target namespace:
				 * say so loudly, whatever else happened. */
				rc = nbnl_errf(err, errlen, e, NULL,
					       "setns back to the original netns (thread left in target)");
			}
			close(home);
		}
	}
	if (rc < 0) {
		nbnl_close(nl);
		return rc;
	}
	*out = nl;
	return 0;
}

/* nbnl_close: see nl.h. */
void nbnl_close(struct nbnl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->qbuf);
	free(nl->rbuf);
	free(nl);
}

/* finish_cur: moves the message being filled into the finished bytes. */
static void finish_cur(struct nbnl *nl)
{
	if (nl->cur) {
		nl->qlen += MNL_ALIGN(nl->cur->nlmsg_len);
		nl->cur = NULL;
	}
}

/* parse_extack: reads NLMSGERR_ATTR_MSG, and hints about a missing or an
 * invalid attribute, from the TLVs in [p, end) into kmsg.  req is the
 * request the reply answers (or NULL): an invalid attribute's offset is
 * resolved to its type there. */
static void parse_extack(const char *p, const char *end, const struct nlmsghdr *req,
			 char *kmsg, size_t kmsglen)
{
	const struct nlattr *a = (const struct nlattr *)p;
	int left = (int)(end - p);
	const char *msg = "";
	long miss = -1, offs = -1;
	while (mnl_attr_ok(a, left)) {
		uint16_t t = mnl_attr_get_type(a);
		uint16_t plen = mnl_attr_get_payload_len(a);
		const char *pl = mnl_attr_get_payload(a);
		if (t == NLMSGERR_ATTR_MSG && plen > 0 && memchr(pl, '\0', plen))
			msg = pl;
		else if (t == NLMSGERR_ATTR_MISS_TYPE && plen >= 4)
			miss = mnl_attr_get_u32(a);
		else if (t == NLMSGERR_ATTR_OFFS && plen >= 4)
			offs = mnl_attr_get_u32(a);
		left -= MNL_ALIGN(a->nla_len);
		a = (const struct nlattr *)((const char *)a + MNL_ALIGN(a->nla_len));
	}
	int n = snprintf(kmsg, kmsglen, "%s", msg);
	if (n < 0 || (size_t)n >= kmsglen)
		return;
	const char *sep = *msg ? "; " : "";
	if (miss >= 0) {
		snprintf(kmsg + n, kmsglen - (size_t)n, "%smissing attribute type %ld", sep, miss);
	} else if (offs >= 0 && req && (size_t)offs + sizeof(struct nlattr) <= req->nlmsg_len) {
		const struct nlattr *bad = (const struct nlattr *)((const char *)req + offs);
		snprintf(kmsg + n, kmsglen - (size_t)n, "%sattribute type %u at offset %ld", sep,
			 (unsigned)mnl_attr_get_type(bad), offs);
	}
}

/* terminal_status: for an NLMSG_ERROR or NLMSG_DONE message answering req
 * (or NULL), returns its error (0 or -errno) and fills kmsg with the
 * ext-ack text, if any. */
static int terminal_status(const struct nlmsghdr *nlh, const struct nlmsghdr *req, char *kmsg, size_t kmsglen)
{
	const char *pl = mnl_nlmsg_get_payload(nlh);
	const char *end = (const char *)nlh + nlh->nlmsg_len;
	kmsg[0] = '\0';
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(struct nlmsgerr))
			return -EBADMSG;
		const struct nlmsgerr *e = (const struct nlmsgerr *)pl;
		if (e->error != 0 && (nlh->nlmsg_flags & NLM_F_ACK_TLVS)) {
			size_t off = sizeof(*e);
			if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
				off += MNL_ALIGN(e->msg.nlmsg_len) - MNL_NLMSG_HDRLEN;
			if (pl + off < end)
				parse_extack(pl + off, end, req, kmsg, kmsglen);
		}
		return e->error > 0 ? -e->error : e->error;
	}
	/* NLMSG_DONE: an int status, then TLVs when flagged. */
	int status = 0;
	if (nlh->nlmsg_len >= MNL_NLMSG_HDRLEN + sizeof(int))
		memcpy(&status, pl, sizeof(status));
	if (status != 0 && (nlh->nlmsg_flags & NLM_F_ACK_TLVS) && pl + sizeof(int) < end)
		parse_extack(pl + sizeof(int), end, req, kmsg, kmsglen);
	return status > 0 ? -status : status;
}

/* queued: the idx-th message of the len bytes just sent from qbuf (still
 * intact while its replies are read), or NULL. */
static const struct nlmsghdr *queued(const struct nbnl *nl, size_t len, unsigned idx)
{
	const struct nlmsghdr *m = (const struct nlmsghdr *)nl->qbuf;
	int left = (int)len;
	for (unsigned i = 0; mnl_nlmsg_ok(m, left); i++, m = mnl_nlmsg_next(m, &left))
		if (i == idx)
			return m;
	return NULL;
}

/* note_failure: keeps the first failure of message idx in nl->rc. */
static void note_failure(struct nbnl *nl, unsigned idx, int rc, const char *kmsg)
{
	if (nl->rc == 0) {
		nl->rc = rc;
		nbnl_errf(nl->rc_text, sizeof(nl->rc_text), rc, kmsg, "%s", nl->labels[idx]);
	}
}

/* flush: sends the queue and reads until every message has its terminal
 * reply.  Data messages for sequence number qseq go to cb.  Failures of
 * other messages land in nl->rc; the qseq message's failure is returned
 * (text in qerr).  A transport failure is returned for everything. */
static int flush(struct nbnl *nl, uint32_t qseq, nbnl_cb cb, void *data, char *qerr, size_t qerrlen)
{
	finish_cur(nl);
	unsigned n = nl->nq;
	size_t len = nl->qlen;
	uint32_t base = nl->seq_base;
	nl->nq = 0;
	nl->qlen = 0;
	nl->seq_base = nl->seq_next;
	if (n == 0)
		return 0;
	if (mnl_socket_sendto(nl->sock, nl->qbuf, len) < 0) {
		int rc = -errno;
		note_failure(nl, 0, rc, NULL);
		nbnl_errf(qerr, qerrlen, rc, NULL, "netlink send of %u message(s)", n);
		return rc;
	}
	unsigned done = 0;
	bool ended[NBNL_QMAX] = { false }; /* a message's terminal reply seen */
	int qrc = 0;
	bool cb_stopped = false;
	char kmsg[NBNL_ERRLEN];
	while (done < n) {
		ssize_t r = mnl_socket_recvfrom(nl->sock, nl->rbuf, NBNL_RBUF);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int rc = errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
			/* ENOBUFS: acks were lost; later stale replies are
			 * filtered out by sequence number. */
			nbnl_errf(kmsg, sizeof(kmsg), rc, NULL, "netlink receive (%u of %u acks seen)", done, n);
			if (nl->rc == 0) {
				nl->rc = rc;
				snprintf(nl->rc_text, sizeof(nl->rc_text), "%s", kmsg);
			}
			if (qerr && qerrlen)
				snprintf(qerr, qerrlen, "%s", kmsg);
			return rc;
		}
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)nl->rbuf;
		int left = (int)r;
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_pid != nl->portid && nlh->nlmsg_pid != 0)
				continue;
			uint32_t idx = nlh->nlmsg_seq - base;
			if (idx >= n)
				continue; /* stale: from an earlier, failed flush */
			bool is_q = nlh->nlmsg_seq == qseq && cb;
			if (nlh->nlmsg_type == NLMSG_ERROR || nlh->nlmsg_type == NLMSG_DONE) {
				if (ended[idx])
					continue; /* e.g. an ack after a dump's DONE */
				ended[idx] = true;
				done++;
				int rc = terminal_status(nlh, NULL, kmsg, sizeof(kmsg));
				if (rc == 0)
					continue;
				/* again, now resolving a bad attribute's offset */
				rc = terminal_status(nlh, queued(nl, len, idx), kmsg, sizeof(kmsg));
				if (is_q) {
					if (qrc == 0)
						qrc = nbnl_errf(qerr, qerrlen, rc, kmsg, "%s", nl->labels[idx]);
				} else {
					note_failure(nl, idx, rc, kmsg);
				}
			} else if (nlh->nlmsg_type >= NLMSG_MIN_TYPE && is_q && !cb_stopped && qrc == 0) {
				errno = 0;
				int cr = cb(nlh, data);
				if (cr == MNL_CB_STOP) {
					cb_stopped = true;
				} else if (cr < MNL_CB_OK) {
					int e = errno ? -errno : -EPROTO;
					qrc = nbnl_errf(qerr, qerrlen, e, NULL, "%s: reading reply", nl->labels[idx]);
				}
			}
		}
	}
	return qrc;
}

/* nbnl_msg: see nl.h. */
struct nlmsghdr *nbnl_msg(struct nbnl *nl, uint16_t type, uint16_t flags, const char *fmt, ...)
{
	finish_cur(nl);
	if (nl->nq == NBNL_QMAX || nl->qlen + NBNL_MSG_MAX > NBNL_QBUF)
		flush(nl, 0, NULL, NULL, NULL, 0);
	unsigned idx = nl->nq++;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(nl->labels[idx], NBNL_LABEL, fmt, ap);
	va_end(ap);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->qbuf + nl->qlen);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = (uint16_t)(flags | NLM_F_REQUEST | NLM_F_ACK);
	nlh->nlmsg_seq = nl->seq_next++;
	nl->cur = nlh;
	return nlh;
}

/* take_failure: returns and clears the kept failure, copying its text. */
static int take_failure(struct nbnl *nl, char *err, size_t errlen)
{
	int rc = nl->rc;
	if (rc && err && errlen)
		snprintf(err, errlen, "%s", nl->rc_text);
	nl->rc = 0;
	nl->rc_text[0] = '\0';
	return rc;
}

/* nbnl_commit: see nl.h. */
int nbnl_commit(struct nbnl *nl, char *err, size_t errlen)
{
	if (nl->batching)
		return 0;
	flush(nl, 0, NULL, NULL, NULL, 0);
	return take_failure(nl, err, errlen);
}

/* nbnl_batch_begin: see nl.h. */
void nbnl_batch_begin(struct nbnl *nl)
{
	nl->batching = true;
}

/* nbnl_batching: see nl.h. */
bool nbnl_batching(const struct nbnl *nl)
{
	return nl->batching;
}

/* nbnl_batch_end: see nl.h. */
int nbnl_batch_end(struct nbnl *nl, char *err, size_t errlen)
{
	nl->batching = false;
	return nbnl_commit(nl, err, errlen);
}

/* nbnl_query: see nl.h. */
int nbnl_query(struct nbnl *nl, nbnl_cb cb, void *data, char *err, size_t errlen)
{
	if (!nl->cur)
		return nbnl_errf(err, errlen, -EINVAL, NULL, "nbnl_query without a message");
	uint32_t qseq = nl->cur->nlmsg_seq;
	int rc = flush(nl, qseq, cb, data, err, errlen);
	if (nl->batching)
		return rc;
	if (rc < 0) {
		take_failure(nl, NULL, 0); /* the query's own failure wins */
		return rc;
	}
	return take_failure(nl, err, errlen);
}
