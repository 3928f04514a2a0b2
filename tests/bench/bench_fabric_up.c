/* bench_fabric_up.c: how long N hosts take to come up and go away.
 *
 * Creates a switch namespace with a bridge, then N host namespaces (net +
 * UTS, IPv6 off), each with a veth eth0 <-> pK into the switch, enslaved and
 * up; then deletes every namespace by name.  Everything is named
 * "nbb<pid>-..." and removed, pass or fail.  Needs root.
 *
 *   cc -std=gnu11 -D_GNU_SOURCE -O2 -Ifabric -Inode -o build/bench_fabric_up \
 *      tests/bench/bench_fabric_up.c fabric/nl.c fabric/netns.c fabric/link.c -lmnl
 *   build/bench_fabric_up [N]      (default 500)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "link.h"
#include "netns.h"
#include "nl.h"

static char prefix[32];

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* cpu: user+system CPU seconds of this process so far (wall time is
 * inflated when other work shares the machine; this is not). */
static double cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int del_cb(const char *name, void *arg)
{
	char err[NBNL_ERRLEN];
	if (netns_delete(name, err, sizeof(err)) < 0)
		fprintf(stderr, "delete: %s\n", err);
	else
		(*(int *)arg)++;
	return 0;
}

struct ports {
	int master, up, total;
};
static int port_cb(const struct link_info *li, void *arg)
{
	struct ports *p = arg;
	if (li->master == p->master) {
		p->total++;
		if ((li->flags & IFF_UP) && li->carrier == 1)
			p->up++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 500;
	if (geteuid() != 0) {
		fprintf(stderr, "bench_fabric_up: needs root\n");
		return 77;
	}
	snprintf(prefix, sizeof(prefix), "nbb%d-", (int)getpid());
	char err[NBNL_ERRLEN] = "", sw[64], host[64], port[16], hn[32];
	struct nbnl *root = NULL, *nsw = NULL;
	int fsw = -1, rc = 0, status = 1;
	double t_ns = 0, t_veth = 0, t0, t;

	snprintf(sw, sizeof(sw), "%ssw", prefix);
	t0 = now();
	double c0 = cpu();
	if ((rc = netns_create(sw, "sw", NETNS_NO_IPV6, err, sizeof(err))) < 0 ||
	    (fsw = rc = netns_open(sw, err, sizeof(err))) < 0 ||
	    (rc = nbnl_open(&nsw, fsw, err, sizeof(err))) < 0 ||
	    (rc = nbnl_open(&root, -1, err, sizeof(err))) < 0 ||
	    (rc = link_bridge_create(nsw, "br0", LINK_UP, err, sizeof(err))) < 0)
		goto out;
	struct link_info br;
	if ((rc = link_get(nsw, "br0", &br, err, sizeof(err))) < 0)
		goto out;

	nbnl_batch_begin(nsw); /* switch-side up + enslave, 64 hosts per send */
	for (int i = 0; i < n; i++) {
		snprintf(host, sizeof(host), "%sh%d", prefix, i);
		snprintf(hn, sizeof(hn), "h%d", i);
		snprintf(port, sizeof(port), "p%d", i);
		t = now();
		if ((rc = netns_create(host, hn, NETNS_NO_IPV6, err, sizeof(err))) < 0)
			goto out;
		int fh = rc = netns_open(host, err, sizeof(err));
		if (rc < 0)
			goto out;
		double t2 = now();
		t_ns += t2 - t;
		struct veth_end h = { "eth0", fh, NULL, NULL };
		struct veth_end p = { port, fsw, NULL, nsw };
		rc = link_veth_create(root, &h, &p, 1500, LINK_UP, err, sizeof(err));
		if (rc == 0)
			rc = link_enslave(nsw, port, br.ifindex, LINK_UP, err, sizeof(err));
		close(fh);
		t_veth += now() - t2;
		if (rc < 0)
			goto out;
	}
	t = now();
	rc = nbnl_batch_end(nsw, err, sizeof(err));
	t_veth += now() - t;
	if (rc < 0)
		goto out;
	double t_up = now() - t0, c_up = cpu() - c0;

	struct ports ps = { br.ifindex, 0, 0 };
	if ((rc = link_list(nsw, port_cb, &ps, err, sizeof(err))) < 0)
		goto out;
	printf("up:   %d hosts in %.3f s (%.3f ms/host; CPU %.3f s): namespaces %.3f s, veths+bridge %.3f s; "
	       "%d/%d ports up with carrier\n",
	       n, t_up, t_up * 1e3 / n, c_up, t_ns, t_veth, ps.up, ps.total);
	if (ps.up != n) {
		rc = -EPROTO;
		snprintf(err, sizeof(err), "only %d of %d ports up", ps.up, n);
		goto out;
	}

	/* Tear down: delete the host namespaces by name, then watch their veth
	 * ports vanish from the switch (the kernel frees namespaces async). */
	t0 = now();
	c0 = cpu();
	for (int i = 0; i < n; i++) {
		snprintf(host, sizeof(host), "%sh%d", prefix, i);
		if ((rc = netns_delete(host, err, sizeof(err))) < 0)
			goto out;
	}
	double t_del = now() - t0, c_del = cpu() - c0;
	do {
		ps.total = ps.up = 0;
		if ((rc = link_list(nsw, port_cb, &ps, err, sizeof(err))) < 0)
			goto out;
		if (ps.total)
			usleep(5000);
	} while (ps.total && now() - t0 < 30);
	double t_gone = now() - t0;
	printf("down: %d namespaces deleted in %.3f s (CPU %.3f s); their ports gone from the switch after %.3f s%s\n",
	       n, t_del, c_del, t_gone, ps.total ? " (NOT all gone)" : "");
	status = ps.total ? 1 : 0;
out:
	if (rc < 0)
		fprintf(stderr, "bench_fabric_up: %s\n", err);
	nbnl_close(root);
	nbnl_close(nsw);
	if (fsw >= 0)
		close(fsw);
	int deleted = 0;
	netns_list(prefix, del_cb, &deleted, err, sizeof(err));
	int left = 0;
	netns_list(prefix, del_cb, &left, err, sizeof(err));
	if (left)
		fprintf(stderr, "bench_fabric_up: %d namespaces with prefix %s left\n", left, prefix);
	return rc < 0 ? 1 : status;
}
