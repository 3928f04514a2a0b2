/* qdisc.h: kernel-side rate limiting (a token-bucket qdisc, tbf) for links
 * that no node can impair: kernel-kernel and kernel-switch cables.
 *
 * The topology's `rate R [queue Q]` for direction A->B becomes a tbf as the
 * root qdisc of A's end of the cable (its egress); a switch's end is the
 * port device "p<link>" in the switch's namespace, so "switch->host" is
 * limited there.  This kernel has tbf (CONFIG_NET_SCH_TBF) but no netem, so
 * rate is the only impairment such a link can take.
 *
 * How the spec maps onto tbf (and where it differs from the node's limiter,
 * impair.h, which serialises every frame exactly):
 *   rate     bits/s -> bytes/s (TCA_TBF_RATE64; the kernel counts Ethernet
 *            frame bytes, like the node; a rate that is not a multiple of 8
 *            bits is rounded down to whole bytes)
 *   burst    the bucket: one full frame (MTU + 14), or 1 ms worth of rate if
 *            that is more, so fast links are not held back by timer
 *            granularity.  The node has no burst at all.
 *   limit    the queue in bytes: `queue SIZE` as given; `queue N packets` as
 *            N full frames; none: IMPAIR_QUEUE_DEFAULT_PACKETS full frames,
 *            the node's default.  Never below one full frame, since the node
 *            never drops a frame that finds the link idle.
 * Errors: 0 or negative errno, with the kernel's extended-ack text (for
 * example "Specified qdisc kind is unknown") in err.
 */
#ifndef FABRIC_QDISC_H
#define FABRIC_QDISC_H

#include <stddef.h>
#include <stdint.h>

#include "impair_spec.h"
#include "nl.h"

/* The parameters of one tbf. */
struct qdisc_tbf {
	uint64_t rate;    /* bytes per second, > 0 */
	uint32_t burst;   /* bucket size, bytes */
	uint32_t limit;   /* queue, bytes */
};

/* qdisc_tbf_from_spec: computes the tbf for one direction's spec on a
 * link of the given MTU.  Pure.  Returns 0, or -ENOENT when the spec sets
 * no rate (or `rate unlimited`): no tbf is needed. */
int qdisc_tbf_from_spec(const struct impair_spec *spec, unsigned mtu, struct qdisc_tbf *out);

/* qdisc_tbf_set: makes a tbf with p the root qdisc of device dev, in nl's
 * namespace (replacing whatever root qdisc dev had).  Not batchable: dev's
 * ifindex is looked up first. */
int qdisc_tbf_set(struct nbnl *nl, const char *dev, const struct qdisc_tbf *p, char *err, size_t errlen);

/* qdisc_tbf_get: reads the tbf that is dev's root qdisc into *p (rate and
 * limit; burst as qdisc_tbf_from_spec would choose it for mtu).  -ENOENT
 * when dev's root qdisc is not a tbf. */
int qdisc_tbf_get(struct nbnl *nl, const char *dev, unsigned mtu, struct qdisc_tbf *p, char *err, size_t errlen);

/* qdisc_root_delete: removes dev's root qdisc (back to the default);
 * none there is not an error. */
int qdisc_root_delete(struct nbnl *nl, const char *dev, char *err, size_t errlen);

#endif
