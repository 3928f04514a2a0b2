/* netio.c: the node's data path between the raw devices and the stack.
 *
 *   receive:  netdev_recv -> ingress impairment -> pcap(rx) -> stack_input
 *   transmit: stack io->tx -> pcap(tx) -> egress impairment -> netdev_send
 *
 * Captures show the host's own view (what its stack sent and what reached
 * it); the impairments are the link, between the host and the wire. */
#include "node.h"

#include "cksum.h"
#include "impair.h"
#include "latency.h"
#include "pcap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* wall_offset: realtime minus monotonic, so captures carry wall-clock times. */
static nb_time_t wall_offset(void)
{
	static nb_time_t off;
	if (!off) {
		struct timespec rt;
		clock_gettime(CLOCK_REALTIME, &rt);
		off = (nb_time_t)rt.tv_sec * NB_SEC(1) + (nb_time_t)rt.tv_nsec - node_now();
	}
	return off;
}

static void capture(struct node_if *nif, const uint8_t *frame, size_t len, nb_time_t at)
{
	if (nif->pcap)
		pcap_write(nif->pcap, at + wall_offset(), frame, len);
}

/* A release in progress: where it goes, and when it really happens. */
struct release_ctx {
	struct node *n;
	struct node_if *nif;
	nb_time_t now;
};

/* wire_send: the last step out: the device. Records how much later than
 * scheduled the frame left. */
static void wire_send(void *ctx, const uint8_t *frame, size_t len, nb_time_t at)
{
	struct release_ctx *rc = ctx;
	if (rc->nif->egress_late)
		latency_add(rc->nif->egress_late, (int64_t)(rc->now - at));
	netdev_send(&rc->nif->dev, frame, len);
}

static void node_tx(void *ctx, int ifidx, const uint8_t *frame, size_t len)
{
	struct node *n = ctx;
	if (ifidx < 0 || ifidx >= n->nifs)
		return;
	struct node_if *nif = &n->ifs[ifidx];
	nb_time_t now = n->stack.now;
	capture(nif, frame, len, now);
	if (nif->egress && !impair_is_passthrough(nif->egress))
		impair_offer(nif->egress, frame, len, now);
	else
		netdev_send(&nif->dev, frame, len);
}

static const struct nb_stack_io node_stack_io = {.tx = node_tx};

const struct nb_stack_io *node_io(void) { return &node_stack_io; }

struct rx_ctx {
	struct node *n;
	struct node_if *nif;
	unsigned flags;
};

/* ingress_release: a frame released by the ingress link reaches the stack;
 * how late it was is recorded. */
static void stack_deliver(void *ctx, const uint8_t *frame, size_t len, nb_time_t at);
static void ingress_release(void *ctx, const uint8_t *frame, size_t len, nb_time_t at)
{
	struct release_ctx *rc = ctx;
	struct rx_ctx rx = {rc->n, rc->nif, 0};
	if (rc->nif->ingress_late)
		latency_add(rc->nif->ingress_late, (int64_t)(rc->now - at));
	stack_deliver(&rx, frame, len, at);
}

/* stack_deliver: a frame that survived the ingress link reaches the stack. */
static void stack_deliver(void *ctx, const uint8_t *frame, size_t len, nb_time_t at)
{
	struct rx_ctx *rx = ctx;
	capture(rx->nif, frame, len, at);
	stack_input(&rx->n->stack, rx->nif->ifidx, frame, len, rx->flags, at);
}

void node_poll_device(struct node *n, struct node_if *nif)
{
	struct netdev_frame fr[NETDEV_BATCH];
	/* Bounded so one busy device cannot starve the others; one clock read
	 * per batch (the frames of a batch arrived together). */
	for (int round = 0; round < 4; round++) {
		int k = netdev_recv_batch(&nif->dev, fr, NETDEV_BATCH);
		if (k <= 0)
			return;
		nb_time_t now = node_now();
		struct rx_ctx rx = {n, nif, 0};
		bool impaired = nif->ingress && !impair_is_passthrough(nif->ingress);
		for (int i = 0; i < k; i++) {
			if (impaired) {
				/* The impairment keeps a copy but not the flags:
				 * finish a partial checksum here, so corruption
				 * stays detectable and the stack can verify what
				 * arrives. */
				if (fr[i].flags & NB_RX_CSUM_PARTIAL)
					cksum_fill_l4(fr[i].data, fr[i].len);
				impair_offer(nif->ingress, fr[i].data, fr[i].len, now);
			} else {
				rx.flags = fr[i].flags;
				stack_deliver(&rx, fr[i].data, fr[i].len, now);
			}
		}
		if (k < nif->dev.batch)
			return;
	}
}

void node_flush_devices(struct node *n)
{
	for (int i = 0; i < n->nifs; i++)
		netdev_flush(&n->ifs[i].dev);
}

void node_run_timers(struct node *n, nb_time_t now)
{
	for (int i = 0; i < n->nifs; i++) {
		struct node_if *nif = &n->ifs[i];
		struct release_ctx rc = {n, nif, now};
		if (nif->egress)
			impair_release(nif->egress, now, wire_send, &rc);
		if (nif->ingress)
			impair_release(nif->ingress, now, ingress_release, &rc);
	}
	stack_timers_run(&n->stack, now);
}

nb_time_t node_next_release(struct node *n)
{
	nb_time_t t = NB_TIME_NEVER;
	for (int i = 0; i < n->nifs; i++) {
		if (n->ifs[i].egress)
			t = NB_MIN(t, impair_next(n->ifs[i].egress));
		if (n->ifs[i].ingress)
			t = NB_MIN(t, impair_next(n->ifs[i].ingress));
	}
	return t;
}

nb_time_t node_next_deadline(struct node *n)
{
	nb_time_t t = stack_next_deadline(&n->stack);
	for (int i = 0; i < n->nifs; i++) {
		if (n->ifs[i].egress)
			t = NB_MIN(t, impair_next(n->ifs[i].egress));
		if (n->ifs[i].ingress)
			t = NB_MIN(t, impair_next(n->ifs[i].ingress));
	}
	return t;
}

int node_add_if(struct node *n, const char *name, uint32_t addr, uint8_t prefix_len,
		char *err, size_t errlen)
{
	if (n->nifs >= NB_IF_MAX) {
		snprintf(err, errlen, "too many interfaces (at most %d)", NB_IF_MAX);
		return -ENOSPC;
	}
	if (node_if_by_name(n, name)) {
		snprintf(err, errlen, "interface %s is already configured", name);
		return -EEXIST;
	}
	struct node_if *nif = &n->ifs[n->nifs];
	memset(nif, 0, sizeof(*nif));
	int rc = netdev_open(&nif->dev, name, err, errlen);
	if (rc < 0)
		return rc;
	/* Everything that can fail comes before the stack learns of the
	 * interface, so a failure leaves the stack and the node agreeing
	 * (closing the socket also takes it out of epoll). */
	rc = node_register_device(n, nif);
	if (rc < 0) {
		snprintf(err, errlen, "epoll: %s", strerror(-rc));
		netdev_close(&nif->dev);
		return rc;
	}
	if (n->stack.nifs != n->nifs) {
		snprintf(err, errlen, "internal: interface index mismatch");
		netdev_close(&nif->dev);
		return -EINVAL;
	}
	int ifidx = stack_add_iface(&n->stack, name, nif->dev.mac, addr, prefix_len, nif->dev.mtu);
	if (ifidx < 0) {
		snprintf(err, errlen, "stack refused interface %s: %s", name, strerror(-ifidx));
		netdev_close(&nif->dev);
		return ifidx;
	}
	nif->ifidx = ifidx;
	n->nifs++;
	return ifidx;
}

struct node_if *node_if_by_name(struct node *n, const char *name)
{
	for (int i = 0; i < n->nifs; i++)
		if (!strcmp(n->ifs[i].dev.name, name))
			return &n->ifs[i];
	return NULL;
}

void node_close_devices(struct node *n)
{
	for (int i = 0; i < n->nifs; i++) {
		struct node_if *nif = &n->ifs[i];
		if (nif->pcap)
			pcap_close(nif->pcap);
		if (nif->egress) {
			impair_free(nif->egress);
			free(nif->egress);
		}
		if (nif->ingress) {
			impair_free(nif->ingress);
			free(nif->ingress);
		}
		free(nif->egress_late);
		free(nif->ingress_late);
		netdev_close(&nif->dev);
		memset(nif, 0, sizeof(*nif));
	}
	n->nifs = 0;
}
