/* netdev_shield.c: keeps the kernel's own stack out of a custom host's
 * receive path.
 *
 * The node reads every frame through its packet socket, a tap the kernel
 * serves before tc ingress. After the taps the kernel would run each frame
 * through its own IPv4 input as well (route lookup, a dst allocated and
 * freed, an "unreachable" drop) only to throw it away, in the context of
 * whoever sent it. A clsact qdisc with one direct-action BPF classifier
 * that answers TC_ACT_SHOT ends every frame at tc ingress instead, after
 * the node has its copy:
 *
 *   bpf(BPF_PROG_LOAD)   r0 = TC_ACT_SHOT; exit            (two instructions)
 *   RTM_NEWQDISC         clsact on the interface           (EEXIST: a restart)
 *   RTM_NEWTFILTER       ingress, prio 1, handle 1, all protocols, bpf, da
 *
 * Best effort: without BPF or clsact the node works exactly as before.
 */
#include "netdev.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

struct tcreq {
	struct nlmsghdr n;
	struct tcmsg t;
	char attrs[256];
};

/* put_attr: appends one attribute; the start of its payload, or NULL if
 * the request is full. */
static struct rtattr *put_attr(struct tcreq *r, unsigned short type, const void *data, size_t len)
{
	size_t at = NLMSG_ALIGN(r->n.nlmsg_len);
	if (at + RTA_SPACE(len) > sizeof(*r))
		return NULL;
	struct rtattr *a = (struct rtattr *)((char *)r + at);
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	r->n.nlmsg_len = (uint32_t)(at + RTA_ALIGN(a->rta_len));
	return a;
}

/* talk: sends one request and waits for its acknowledgement; 0 or -errno. */
static int talk(int fd, struct tcreq *r)
{
	static uint32_t seq;
	r->n.nlmsg_seq = ++seq;
	if (send(fd, r, r->n.nlmsg_len, 0) < 0)
		return -errno;
	char buf[1024];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return errno == EINTR ? -EINTR : -errno;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != r->n.nlmsg_seq || h->nlmsg_type != NLMSG_ERROR)
				continue;
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
				return -EPROTO;
			return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
		}
	}
}

/* load_drop_all: a BPF_PROG_TYPE_SCHED_CLS program that drops every frame;
 * its fd, or -errno. */
static int load_drop_all(void)
{
	struct bpf_insn insns[2] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = TC_ACT_SHOT},
		{.code = BPF_JMP | BPF_EXIT},
	};
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SCHED_CLS;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = 2;
	attr.license = (uint64_t)(uintptr_t)"GPL";
	int fd = (int)syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

int netdev_shield(int ifindex, char *err, size_t errlen)
{
	int prog = load_drop_all();
	if (prog < 0) {
		snprintf(err, errlen, "bpf(BPF_PROG_LOAD): %s", strerror(-prog));
		return prog;
	}
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		int e = errno;
		close(prog);
		snprintf(err, errlen, "netlink socket: %s", strerror(e));
		return -e;
	}
	struct timeval tv = {2, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	struct tcreq r;
	memset(&r, 0, sizeof(r));
	r.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg));
	r.n.nlmsg_type = RTM_NEWQDISC;
	r.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	r.t.tcm_family = AF_UNSPEC;
	r.t.tcm_ifindex = ifindex;
	r.t.tcm_parent = TC_H_CLSACT;
	r.t.tcm_handle = TC_H_MAKE(TC_H_CLSACT, 0);
	put_attr(&r, TCA_KIND, "clsact", sizeof("clsact"));
	int rc = talk(fd, &r);
	if (rc < 0 && rc != -EEXIST) {
		snprintf(err, errlen, "clsact qdisc: %s", strerror(-rc));
		goto out;
	}

	memset(&r, 0, sizeof(r));
	r.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg));
	r.n.nlmsg_type = RTM_NEWTFILTER;
	r.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	r.t.tcm_family = AF_UNSPEC;
	r.t.tcm_ifindex = ifindex;
	r.t.tcm_parent = TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS);
	r.t.tcm_handle = 1;
	r.t.tcm_info = TC_H_MAKE(1u << 16, htons(ETH_P_ALL)); /* prio 1, every protocol */
	put_attr(&r, TCA_KIND, "bpf", sizeof("bpf"));
	struct rtattr *opts = put_attr(&r, TCA_OPTIONS, NULL, 0);
	uint32_t pfd = (uint32_t)prog, flags = TCA_BPF_FLAG_ACT_DIRECT;
	put_attr(&r, TCA_BPF_FD, &pfd, sizeof(pfd));
	put_attr(&r, TCA_BPF_NAME, "nestbed-shield", sizeof("nestbed-shield"));
	put_attr(&r, TCA_BPF_FLAGS, &flags, sizeof(flags));
	opts->rta_len = (unsigned short)((char *)&r + r.n.nlmsg_len - (char *)opts);
	rc = talk(fd, &r);
	if (rc == -EEXIST)
		rc = 0; /* a node before us put it there */
	else if (rc < 0)
		snprintf(err, errlen, "bpf ingress filter: %s", strerror(-rc));
out:
	close(fd);
	close(prog);
	return rc < 0 ? rc : 0;
}
