/* brfilter.c: port groups on a bridge as an nftables bridge-family table,
 * spoken in raw nfnetlink through libmnl.  See brfilter.h.
 *
 * Batch layout (one sendmsg, one transaction):
 *   BATCH_BEGIN(res_id NFTABLES)
 *   NEWTABLE T       create if missing  \  together: "delete T if it
 *   DELTABLE T                          /   exists", never failing
 *   NEWTABLE T, NEWCHAIN T forward {hook forward, prio 0, policy accept}
 *   NEWRULE x n      iifname == P  -> mark = group+1
 *   NEWRULE x n      oifname == P && mark != 0 && mark != group+1 -> drop
 *   BATCH_END
 * Only the last message asks for an ack; any failing message answers with
 * its error anyway, and the kernel sends all answers after the batch, in
 * order, so the last message's answer closes the exchange.
 */
#include "brfilter.h"

#include "netns.h"
#include "nl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter_bridge.h>
#include <linux/netlink.h>

#define RULE_MAX 512          /* bytes one rule message can take, with room */
#define REPLY_TIMEOUT_S 10

/* The batch being written. */
struct wbuf {
	char *buf;
	size_t cap, len;
	unsigned seq;
	bool full;
};

/* msg: starts a message of nf_tables type (or a batch marker when batch)
 * in family fam; NULL (and w->full) when fewer than RULE_MAX bytes remain. */
static struct nlmsghdr *msg(struct wbuf *w, uint16_t type, uint16_t flags, uint8_t fam, bool batch)
{
	if (w->full || w->cap - w->len < RULE_MAX) {
		w->full = true;
		return NULL;
	}
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(w->buf + w->len);
	nlh->nlmsg_type = batch ? type : (uint16_t)((NFNL_SUBSYS_NFTABLES << 8) | type);
	nlh->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	nlh->nlmsg_seq = w->seq++;
	struct nfgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = fam;
	g->version = NFNETLINK_V0;
	g->res_id = batch ? htons(NFNL_SUBSYS_NFTABLES) : 0;
	return nlh;
}

/* done: closes the message started last. */
static void done(struct wbuf *w, struct nlmsghdr *nlh)
{
	w->len += MNL_ALIGN(nlh->nlmsg_len);
}

/* table_msg: NEWTABLE or DELTABLE of our table. */
static void table_msg(struct wbuf *w, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = msg(w, type, flags, NFPROTO_BRIDGE, false);
	if (!nlh)
		return;
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, BRFILTER_TABLE);
	if (type == NFT_MSG_NEWTABLE)
		mnl_attr_put_u32(nlh, NFTA_TABLE_FLAGS, htonl(0));
	done(w, nlh);
}

/* expr_start / expr_end: one NFTA_LIST_ELEM { NAME, DATA { ... } }. */
static struct nlattr *expr_start(struct nlmsghdr *nlh, const char *name, struct nlattr **data)
{
	struct nlattr *elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, name);
	*data = mnl_attr_nest_start(nlh, NFTA_EXPR_DATA);
	return elem;
}

static void expr_end(struct nlmsghdr *nlh, struct nlattr *elem, struct nlattr *data)
{
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, elem);
}

/* meta_load: meta KEY => reg 1. */
static void meta_load(struct nlmsghdr *nlh, uint32_t key)
{
	struct nlattr *d, *e = expr_start(nlh, "meta", &d);
	mnl_attr_put_u32(nlh, NFTA_META_DREG, htonl(NFT_REG_1));
	mnl_attr_put_u32(nlh, NFTA_META_KEY, htonl(key));
	expr_end(nlh, e, d);
}

/* meta_set: meta KEY set reg 1. */
static void meta_set(struct nlmsghdr *nlh, uint32_t key)
{
	struct nlattr *d, *e = expr_start(nlh, "meta", &d);
	mnl_attr_put_u32(nlh, NFTA_META_KEY, htonl(key));
	mnl_attr_put_u32(nlh, NFTA_META_SREG, htonl(NFT_REG_1));
	expr_end(nlh, e, d);
}

/* cmp: reg 1 OP data[0..len). */
static void cmp(struct nlmsghdr *nlh, uint32_t op, const void *data, uint16_t len)
{
	struct nlattr *d, *e = expr_start(nlh, "cmp", &d);
	mnl_attr_put_u32(nlh, NFTA_CMP_SREG, htonl(NFT_REG_1));
	mnl_attr_put_u32(nlh, NFTA_CMP_OP, htonl(op));
	struct nlattr *v = mnl_attr_nest_start(nlh, NFTA_CMP_DATA);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, len, data);
	mnl_attr_nest_end(nlh, v);
	expr_end(nlh, e, d);
}

/* imm_u32: reg 1 = value (host order, as meta mark reads it). */
static void imm_u32(struct nlmsghdr *nlh, uint32_t value)
{
	struct nlattr *d, *e = expr_start(nlh, "immediate", &d);
	mnl_attr_put_u32(nlh, NFTA_IMMEDIATE_DREG, htonl(NFT_REG_1));
	struct nlattr *v = mnl_attr_nest_start(nlh, NFTA_IMMEDIATE_DATA);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, sizeof(value), &value);
	mnl_attr_nest_end(nlh, v);
	expr_end(nlh, e, d);
}

/* verdict: the rule's verdict (NF_DROP, ...). */
static void verdict(struct nlmsghdr *nlh, uint32_t code)
{
	struct nlattr *d, *e = expr_start(nlh, "immediate", &d);
	mnl_attr_put_u32(nlh, NFTA_IMMEDIATE_DREG, htonl(NFT_REG_VERDICT));
	struct nlattr *v = mnl_attr_nest_start(nlh, NFTA_IMMEDIATE_DATA);
	struct nlattr *vd = mnl_attr_nest_start(nlh, NFTA_DATA_VERDICT);
	mnl_attr_put_u32(nlh, NFTA_VERDICT_CODE, htonl(code));
	mnl_attr_nest_end(nlh, vd);
	mnl_attr_nest_end(nlh, v);
	expr_end(nlh, e, d);
}

/* rule: one rule of our chain; port's name padded to IFNAMSIZ as the
 * kernel compares it. */
static void rule(struct wbuf *w, const struct brfilter_port *p, bool tag, uint16_t flags)
{
	struct nlmsghdr *nlh = msg(w, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND | flags, NFPROTO_BRIDGE, false);
	if (!nlh)
		return;
	char name[IFNAMSIZ] = {0};
	memcpy(name, p->name, strnlen(p->name, IFNAMSIZ - 1));
	uint32_t mark = (uint32_t)p->group + 1, zero = 0;
	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, BRFILTER_TABLE);
	mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, BRFILTER_CHAIN);
	struct nlattr *list = mnl_attr_nest_start(nlh, NFTA_RULE_EXPRESSIONS);
	if (tag) {
		meta_load(nlh, NFT_META_IIFNAME);
		cmp(nlh, NFT_CMP_EQ, name, sizeof(name));
		imm_u32(nlh, mark);
		meta_set(nlh, NFT_META_MARK);
	} else {
		meta_load(nlh, NFT_META_OIFNAME);
		cmp(nlh, NFT_CMP_EQ, name, sizeof(name));
		meta_load(nlh, NFT_META_MARK);
		cmp(nlh, NFT_CMP_NEQ, &zero, sizeof(zero));
		meta_load(nlh, NFT_META_MARK);
		cmp(nlh, NFT_CMP_NEQ, &mark, sizeof(mark));
		verdict(nlh, NF_DROP);
	}
	mnl_attr_nest_end(nlh, list);
	done(w, nlh);
}

/* chain: our base chain on the bridge's forward hook. */
static void chain(struct wbuf *w, uint16_t flags)
{
	struct nlmsghdr *nlh = msg(w, NFT_MSG_NEWCHAIN, NLM_F_CREATE | flags, NFPROTO_BRIDGE, false);
	if (!nlh)
		return;
	mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, BRFILTER_TABLE);
	mnl_attr_put_strz(nlh, NFTA_CHAIN_NAME, BRFILTER_CHAIN);
	struct nlattr *hook = mnl_attr_nest_start(nlh, NFTA_CHAIN_HOOK);
	mnl_attr_put_u32(nlh, NFTA_HOOK_HOOKNUM, htonl(NF_BR_FORWARD));
	mnl_attr_put_u32(nlh, NFTA_HOOK_PRIORITY, htonl(0));
	mnl_attr_nest_end(nlh, hook);
	mnl_attr_put_u32(nlh, NFTA_CHAIN_POLICY, htonl(NF_ACCEPT));
	mnl_attr_put_strz(nlh, NFTA_CHAIN_TYPE, "filter");
	done(w, nlh);
}

/* batch_mark: BATCH_BEGIN or BATCH_END. */
static void batch_mark(struct wbuf *w, uint16_t type)
{
	/* The end marker always fits: msg() keeps RULE_MAX spare for it. */
	if (type == NFNL_MSG_BATCH_END && w->full)
		return;
	struct nlmsghdr *nlh = msg(w, type, 0, AF_UNSPEC, true);
	if (nlh)
		done(w, nlh);
}

/* brfilter_batch_size: see brfilter.h. */
size_t brfilter_batch_size(int n)
{
	return (size_t)(n > 0 ? n : 0) * 2 * RULE_MAX + 8 * RULE_MAX;
}

/* brfilter_build: see brfilter.h.  n == -1 builds the "remove" batch. */
static long build(void *buf, size_t cap, const struct brfilter_port *ports, int n, unsigned seq,
		  unsigned *last_seq)
{
	struct wbuf w = {.buf = buf, .cap = cap, .seq = seq};
	for (int i = 0; i < n; i++)
		if (!ports[i].name[0] || ports[i].group < 0 || ports[i].group >= INT32_MAX)
			return -EINVAL;
	batch_mark(&w, NFNL_MSG_BATCH_BEGIN);
	table_msg(&w, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	table_msg(&w, NFT_MSG_DELTABLE, n < 0 ? NLM_F_ACK : 0);
	if (n >= 0) {
		table_msg(&w, NFT_MSG_NEWTABLE, NLM_F_CREATE);
		chain(&w, n == 0 ? NLM_F_ACK : 0);
		for (int i = 0; i < n; i++)
			rule(&w, &ports[i], true, 0);
		for (int i = 0; i < n; i++)
			rule(&w, &ports[i], false, i == n - 1 ? NLM_F_ACK : 0);
	}
	*last_seq = w.seq - 1;
	batch_mark(&w, NFNL_MSG_BATCH_END);
	return w.full ? -ENOSPC : (long)w.len;
}

long brfilter_build(void *buf, size_t cap, const struct brfilter_port *ports, int n, unsigned seq,
		    unsigned *last_seq)
{
	if (n < 0)
		return -EINVAL;
	return build(buf, cap, ports, n, seq, last_seq);
}

/* open_in: an nfnetlink socket in netns_fd, with extended acks. */
static struct mnl_socket *open_in(int netns_fd, size_t sndbuf, char *err, size_t errlen)
{
	struct netns_saved saved;
	int rc = netns_enter_fd(netns_fd, &saved, err, errlen);
	if (rc < 0)
		return NULL;
	struct mnl_socket *s = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	int e = errno;
	char tmp[NBNL_ERRLEN];
	if (netns_restore(&saved, tmp, sizeof(tmp)) < 0) {
		snprintf(err, errlen, "%s", tmp);
		if (s)
			mnl_socket_close(s);
		return NULL;
	}
	if (!s) {
		nbnl_errf(err, errlen, -e, NULL, "nfnetlink socket");
		return NULL;
	}
	int fd = mnl_socket_get_fd(s), one = 1, big = (int)(sndbuf + 65536);
	struct timeval tv = {.tv_sec = REPLY_TIMEOUT_S};
	if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) < 0 &&
	     setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big)) < 0)) {
		nbnl_errf(err, errlen, -errno, NULL, "nfnetlink socket setup");
		mnl_socket_close(s);
		return NULL;
	}
	return s;
}

/* ack_text: the ext-ack message of an NLMSG_ERROR (CAP_ACK form), or "". */
static const char *ack_text(const struct nlmsghdr *nlh)
{
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return "";
	const char *p = (const char *)mnl_nlmsg_get_payload(nlh) + sizeof(struct nlmsgerr);
	const char *end = (const char *)nlh + nlh->nlmsg_len;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
		p += MNL_ALIGN(e->msg.nlmsg_len) - MNL_NLMSG_HDRLEN;
	}
	const struct nlattr *a = (const struct nlattr *)p;
	int left = (int)(end - p);
	while (left > 0 && mnl_attr_ok(a, left)) {
		uint16_t plen = mnl_attr_get_payload_len(a);
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG && plen && memchr(mnl_attr_get_payload(a), 0, plen))
			return mnl_attr_get_payload(a);
		left -= MNL_ALIGN(a->nla_len);
		a = (const struct nlattr *)((const char *)a + MNL_ALIGN(a->nla_len));
	}
	return "";
}

/* describe: what message idx of a build() batch for ports[0..n) is. */
static void describe(const struct brfilter_port *ports, int n, unsigned idx, char *buf, size_t len)
{
	if (idx == 0)
		snprintf(buf, len, "batch");
	else if (idx <= 3)
		snprintf(buf, len, "table");
	else if (idx == 4)
		snprintf(buf, len, "chain " BRFILTER_CHAIN);
	else if (n > 0 && idx - 5 < (unsigned)n)
		snprintf(buf, len, "rule tagging port %s", ports[idx - 5].name);
	else if (n > 0 && idx - 5 < 2 * (unsigned)n)
		snprintf(buf, len, "rule guarding port %s", ports[idx - 5 - (unsigned)n].name);
	else
		snprintf(buf, len, "message %u", idx);
}

/* exchange: sends len bytes of requests and reads answers until the one to
 * last_seq.  Returns 0 or the first failure, "what (part): reason (kernel:
 * ...)", the part named by describe() for ports (n < 0: no ports). */
static int exchange(struct mnl_socket *s, const void *req, size_t len, unsigned first_seq, unsigned last_seq,
		    const char *what, const struct brfilter_port *ports, int n, char *err, size_t errlen)
{
	if (mnl_socket_sendto(s, req, len) < 0)
		return nbnl_errf(err, errlen, -errno, NULL, "%s: send", what);
	char rbuf[16384];
	uint32_t portid = mnl_socket_get_portid(s);
	int first = 0;
	for (;;) {
		ssize_t r = mnl_socket_recvfrom(s, rbuf, sizeof(rbuf));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (first)
				return first;
			return nbnl_errf(err, errlen, errno == EAGAIN ? -ETIMEDOUT : -errno, NULL,
					 "%s: no answer", what);
		}
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)rbuf;
		int left = (int)r;
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_pid != portid && nlh->nlmsg_pid != 0)
				continue;
			if (nlh->nlmsg_seq < first_seq || nlh->nlmsg_seq > last_seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(struct nlmsgerr))
					return nbnl_errf(err, errlen, -EBADMSG, NULL, "%s: short answer", what);
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
				if (e->error && !first) {
					char part[64];
					describe(ports, n, nlh->nlmsg_seq - first_seq, part, sizeof(part));
					first = nbnl_errf(err, errlen, e->error < 0 ? e->error : -e->error,
							  ack_text(nlh), "%s (%s)", what, part);
				}
				/* The batch header itself refused: nothing more comes. */
				if (nlh->nlmsg_seq == last_seq || (e->error && nlh->nlmsg_seq == first_seq))
					return first;
			} else if (nlh->nlmsg_type == NLMSG_DONE && nlh->nlmsg_seq == last_seq) {
				return first;
			}
		}
	}
}

/* run: builds a batch for ports (n == -1: remove) and applies it in netns_fd. */
static int run(int netns_fd, const struct brfilter_port *ports, int n, const char *what, char *err, size_t errlen)
{
	size_t cap = brfilter_batch_size(n);
	char *buf = malloc(cap);
	if (!buf)
		return nbnl_errf(err, errlen, -ENOMEM, NULL, "%s", what);
	unsigned seq = 1, last;
	long len = build(buf, cap, ports, n, seq, &last);
	if (len < 0) {
		free(buf);
		return nbnl_errf(err, errlen, (int)len, NULL, "%s: building the batch", what);
	}
	struct mnl_socket *s = open_in(netns_fd, (size_t)len, err, errlen);
	int rc = s ? exchange(s, buf, (size_t)len, seq, last, what, ports, n, err, errlen) : -EIO;
	if (s)
		mnl_socket_close(s);
	free(buf);
	return rc;
}

/* brfilter_set: see brfilter.h. */
int brfilter_set(int netns_fd, const struct brfilter_port *ports, int n, char *err, size_t errlen)
{
	if (n < 0)
		return nbnl_errf(err, errlen, -EINVAL, NULL, "partition filter: %d ports", n);
	return run(netns_fd, ports, n, "nftables table " BRFILTER_TABLE, err, errlen);
}

/* brfilter_clear: see brfilter.h. */
int brfilter_clear(int netns_fd, char *err, size_t errlen)
{
	return run(netns_fd, NULL, -1, "removing nftables table " BRFILTER_TABLE, err, errlen);
}

/* brfilter_present: see brfilter.h. */
int brfilter_present(int netns_fd, char *err, size_t errlen)
{
	char buf[RULE_MAX * 2];
	struct wbuf w = {.buf = buf, .cap = sizeof(buf), .seq = 1};
	struct nlmsghdr *nlh = msg(&w, NFT_MSG_GETTABLE, NLM_F_ACK, NFPROTO_BRIDGE, false);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, BRFILTER_TABLE);
	done(&w, nlh);
	struct mnl_socket *s = open_in(netns_fd, w.len, err, errlen);
	if (!s)
		return -EIO;
	int rc = exchange(s, buf, w.len, 1, 1, "looking up nftables table " BRFILTER_TABLE, NULL, -1, err, errlen);
	mnl_socket_close(s);
	if (rc == -ENOENT)
		return 0;
	return rc < 0 ? rc : 1;
}
