/* qdisc.c: a tbf root qdisc over rtnetlink (libmnl, through nl.h).  See
 * qdisc.h.
 *
 * Message:  RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE
 *   tcmsg { ifindex, handle 1:0, parent root }
 *   TCA_KIND "tbf"
 *   TCA_OPTIONS { TCA_TBF_PARMS  tc_tbf_qopt {rate (u32, ethernet), limit, buffer}
 *                 TCA_TBF_RATE64 rate in bytes/s (the u32 one saturates)
 *                 TCA_TBF_BURST  bucket bytes }
 */
#include "qdisc.h"

#include "impair.h"
#include "link.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#define ETH_HDR 14
#define PSCHED_NS_SHIFT 6 /* the kernel's psched tick is 64 ns */

/* clamp32: v, or UINT32_MAX if it does not fit. */
static uint32_t clamp32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* qdisc_tbf_from_spec: see qdisc.h. */
int qdisc_tbf_from_spec(const struct impair_spec *spec, unsigned mtu, struct qdisc_tbf *out)
{
	memset(out, 0, sizeof(*out));
	if (!(spec->has & IMPAIR_HAS_RATE) || spec->rate_bps < 8)
		return -ENOENT;
	uint64_t frame = (uint64_t)mtu + ETH_HDR;
	out->rate = spec->rate_bps / 8;
	uint64_t per_ms = out->rate / 1000;
	out->burst = clamp32(per_ms > frame ? per_ms : frame);
	uint64_t limit;
	if ((spec->has & IMPAIR_HAS_QUEUE) && spec->queue_bytes)
		limit = spec->queue_bytes;
	else if ((spec->has & IMPAIR_HAS_QUEUE) && spec->queue_packets)
		limit = spec->queue_packets * frame;
	else
		limit = (uint64_t)IMPAIR_QUEUE_DEFAULT_PACKETS * frame;
	out->limit = clamp32(limit < frame ? frame : limit);
	return 0;
}

/* put_tcmsg: the tcmsg for dev's root qdisc. */
static void put_tcmsg(struct nlmsghdr *nlh, int ifindex, uint32_t handle)
{
	struct tcmsg *tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_handle = handle;
	tcm->tcm_parent = TC_H_ROOT;
}

/* qdisc_tbf_set: see qdisc.h. */
int qdisc_tbf_set(struct nbnl *nl, const char *dev, const struct qdisc_tbf *p, char *err, size_t errlen)
{
	if (!p->rate || !p->burst || !p->limit)
		return nbnl_errf(err, errlen, -EINVAL, NULL, "tbf on %s: rate, burst and limit must be set", dev);
	struct link_info li;
	int rc = link_get(nl, dev, &li, err, errlen);
	if (rc < 0)
		return rc;
	struct tc_tbf_qopt q;
	memset(&q, 0, sizeof(q));
	q.rate.rate = clamp32(p->rate);
	q.rate.linklayer = TC_LINKLAYER_ETHERNET;
	q.limit = p->limit;
	/* The bucket as time at this rate, in psched ticks; TCA_TBF_BURST
	 * says the same in bytes, which newer kernels prefer. */
	q.buffer = clamp32(((uint64_t)p->burst * 1000000000ull / p->rate) >> PSCHED_NS_SHIFT);
	struct nlmsghdr *nlh = nbnl_msg(nl, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, "tbf on %s", dev);
	put_tcmsg(nlh, li.ifindex, TC_H_MAKE(1u << 16, 0));
	mnl_attr_put_strz(nlh, TCA_KIND, "tbf");
	struct nlattr *opt = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put(nlh, TCA_TBF_PARMS, sizeof(q), &q);
	mnl_attr_put_u64(nlh, TCA_TBF_RATE64, p->rate);
	mnl_attr_put_u32(nlh, TCA_TBF_BURST, p->burst);
	mnl_attr_nest_end(nlh, opt);
	return nbnl_commit(nl, err, errlen);
}

/* qdisc_root_delete: see qdisc.h. */
int qdisc_root_delete(struct nbnl *nl, const char *dev, char *err, size_t errlen)
{
	struct link_info li;
	int rc = link_get(nl, dev, &li, err, errlen);
	if (rc < 0)
		return rc;
	struct nlmsghdr *nlh = nbnl_msg(nl, RTM_DELQDISC, 0, "delete root qdisc of %s", dev);
	put_tcmsg(nlh, li.ifindex, 0);
	rc = nbnl_commit(nl, err, errlen);
	return rc == -ENOENT ? 0 : rc;
}
