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
#include <stdbool.h>
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

/* burst_for: the bucket qdisc_tbf_from_spec chooses: a full frame, or 1 ms
 * of rate if more. */
static uint32_t burst_for(uint64_t rate, unsigned mtu)
{
	uint64_t frame = (uint64_t)mtu + ETH_HDR, per_ms = rate / 1000;
	return clamp32(per_ms > frame ? per_ms : frame);
}

/* qdisc_tbf_from_spec: see qdisc.h. */
int qdisc_tbf_from_spec(const struct impair_spec *spec, unsigned mtu, struct qdisc_tbf *out)
{
	memset(out, 0, sizeof(*out));
	if (!(spec->has & IMPAIR_HAS_RATE) || spec->rate_bps < 8)
		return -ENOENT;
	uint64_t frame = (uint64_t)mtu + ETH_HDR;
	out->rate = spec->rate_bps / 8;
	out->burst = burst_for(out->rate, mtu);
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

struct get_ctx {
	int ifindex;
	bool found;
	struct qdisc_tbf *p;
};

/* get_cb: nbnl_cb for qdisc_tbf_get: the root tbf of ctx->ifindex. */
static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct get_ctx *c = data;
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(struct tcmsg))
		return MNL_CB_OK;
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	if (tcm->tcm_ifindex != c->ifindex || tcm->tcm_parent != TC_H_ROOT)
		return MNL_CB_OK;
	const struct nlattr *a, *opts = NULL;
	bool tbf = false;
	mnl_attr_for_each(a, nlh, sizeof(*tcm)) {
		if (mnl_attr_get_type(a) == TCA_KIND && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			tbf = !strcmp(mnl_attr_get_str(a), "tbf");
		else if (mnl_attr_get_type(a) == TCA_OPTIONS)
			opts = a;
	}
	if (!tbf || !opts)
		return MNL_CB_OK;
	uint64_t rate64 = 0;
	mnl_attr_for_each_nested(a, opts) {
		if (mnl_attr_get_type(a) == TCA_TBF_PARMS && mnl_attr_get_payload_len(a) >= sizeof(struct tc_tbf_qopt)) {
			struct tc_tbf_qopt q;
			memcpy(&q, mnl_attr_get_payload(a), sizeof(q));
			c->p->rate = q.rate.rate;
			c->p->limit = q.limit;
			c->found = true;
		} else if (mnl_attr_get_type(a) == TCA_TBF_RATE64 && mnl_attr_get_payload_len(a) >= 8) {
			rate64 = mnl_attr_get_u64(a);
		}
	}
	if (rate64)
		c->p->rate = rate64;
	return MNL_CB_OK;
}

/* qdisc_tbf_get: see qdisc.h. */
int qdisc_tbf_get(struct nbnl *nl, const char *dev, unsigned mtu, struct qdisc_tbf *p, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	struct link_info li;
	int rc = link_get(nl, dev, &li, err, errlen);
	if (rc < 0)
		return rc;
	struct nlmsghdr *nlh = nbnl_msg(nl, RTM_GETQDISC, NLM_F_DUMP, "qdiscs of %s", dev);
	struct tcmsg *tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = li.ifindex;
	struct get_ctx c = {.ifindex = li.ifindex, .p = p};
	rc = nbnl_query(nl, get_cb, &c, err, errlen);
	if (rc < 0)
		return rc;
	if (!c.found || !p->rate)
		return nbnl_errf(err, errlen, -ENOENT, NULL, "%s: no tbf", dev);
	p->burst = burst_for(p->rate, mtu);
	return 0;
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
