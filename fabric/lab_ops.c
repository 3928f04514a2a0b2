/* lab_ops.c: things done to a running lab: programs run inside kernel
 * hosts, socket dumps, and faults (links down/up, impairments changed,
 * partitions, hosts killed and restarted). */
#include "lab.h"

#include "lab_link.h"
#include "link.h"
#include "partition.h"
#include "netns.h"
#include "nl.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

int lab_exec(struct lab *lab, int topo_host, char *const argv[], const char *out_path,
	     char *err, size_t errlen)
{
	struct lab_host *lh = lab_host(lab, topo_host);
	char uts[PATH_MAX];
	if (!lh || !argv || !argv[0]) {
		snprintf(err, errlen, "nothing to run");
		return -EINVAL;
	}
	int net = netns_open(lh->netns, err, errlen);
	if (net < 0)
		return net;
	snprintf(uts, sizeof(uts), "%s/%s", NETNS_UTS_DIR, lh->netns);
	int utsfd = open(uts, O_RDONLY | O_CLOEXEC);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		snprintf(err, errlen, "fork: %s", strerror(e));
		close(net);
		if (utsfd >= 0)
			close(utsfd);
		return -e;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		if (out_path) {
			int fd = open(out_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
			}
			int nul = open("/dev/null", O_RDONLY);
			if (nul >= 0)
				dup2(nul, 0);
		}
		if (setns(net, CLONE_NEWNET) < 0 || (utsfd >= 0 && setns(utsfd, CLONE_NEWUTS) < 0)) {
			dprintf(2, "nestbed: cannot enter host %s: %s\n", lh->name, strerror(errno));
			_exit(127);
		}
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		dprintf(2, "nestbed: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(net);
	if (utsfd >= 0)
		close(utsfd);
	return pid;
}

/* request_ok: one request to a node; a failure becomes text in err. */
static int request_ok(struct lab *lab, int host, int timeout_ms, char *err, size_t errlen, const char *req)
{
	struct nodeproc_reply r;
	int rc = lab_node_request(lab, host, timeout_ms, &r, "%s", req);
	if (rc < 0) {
		snprintf(err, errlen, "host %s: %s: %s", lab->hosts[host].name, req,
			 rc == -ETIMEDOUT ? "no answer in time" : rc == -EINTR ? "interrupted" : "node is not running");
		return rc;
	}
	rc = r.ok ? 0 : -EINVAL;
	if (!r.ok)
		snprintf(err, errlen, "host %s: %s: %s", lab->hosts[host].name, req, r.status);
	nodeproc_reply_free(&r);
	return rc;
}

int lab_dump_sockets(struct lab *lab, int topo_host, const char *tag, char *err, size_t errlen)
{
	int rc = 0;
	for (int i = 0; i < lab->topo->n_hosts; i++) {
		if ((topo_host >= 0 && i != topo_host) || !lab->hosts[i].custom || !lab->hosts[i].alive)
			continue;
		char dir[PATH_MAX], req[PATH_MAX + 64];
		snprintf(dir, sizeof(dir), "%s/%s", lab->outdir, lab->hosts[i].name);
		mkdir(dir, 0755);
		snprintf(req, sizeof(req), "dump %s/%s", dir, tag);
		int r = request_ok(lab, i, 5000, err, errlen, req);
		if (r < 0)
			rc = r;
	}
	return rc;
}

/* link_end_ns: the namespace and device name of one end of a link. */
static void link_end_ns(struct lab *lab, int link, int e, char *ns, size_t nslen, char *dev, size_t devlen)
{
	const struct topo_end *end = &lab->topo->links[link].end[e];
	if (end->kind == TOPO_END_IFACE) {
		snprintf(ns, nslen, "%s", lab->hosts[end->host].netns);
		snprintf(dev, devlen, "%s", lab->topo->hosts[end->host].ifaces[end->iface].name);
	} else {
		snprintf(ns, nslen, "%s", lab->hosts[lab->topo->n_hosts + end->sw].netns);
		snprintf(dev, devlen, "p%d", link);
	}
}

int lab_link_set_state(struct lab *lab, int link, bool up, char *err, size_t errlen)
{
	if (link < 0 || link >= lab->topo->n_links) {
		snprintf(err, errlen, "no such link");
		return -EINVAL;
	}
	/* A cable a partition cut stays cut: heal brings it back. */
	if (up && lab_link_partitioned(lab, link)) {
		lab->link_down[link] = false;
		return 0;
	}
	/* Both ends go down (admin), so each side sees carrier loss at once. */
	for (int e = 0; e < 2; e++) {
		char ns[64], dev[IFNAMSIZ];
		struct nbnl *nl;
		link_end_ns(lab, link, e, ns, sizeof(ns), dev, sizeof(dev));
		int fd = netns_open(ns, err, errlen);
		if (fd < 0)
			return fd;
		int rc = nbnl_open(&nl, fd, err, errlen);
		close(fd);
		if (rc < 0)
			return rc;
		rc = link_set_up(nl, dev, up, err, errlen);
		nbnl_close(nl);
		if (rc < 0)
			return rc;
		/* A custom host's stack learns it through its control channel. */
		const struct topo_end *end = &lab->topo->links[link].end[e];
		if (end->kind == TOPO_END_IFACE && lab->hosts[end->host].custom && lab->hosts[end->host].alive) {
			char req[64];
			snprintf(req, sizeof(req), "link %s %s", dev, up ? "up" : "down");
			if ((rc = request_ok(lab, end->host, 5000, err, errlen, req)) < 0)
				return rc;
		}
	}
	lab->link_down[link] = !up;
	/* A veth drops what is sent on it until the kernel's link watcher has
	 * run; wait for that, and give kernel hosts back the routes Linux
	 * deleted when the interface went down. */
	return up ? lab_link_settle(lab, link, err, errlen) : 0;
}

int lab_link_impair(struct lab *lab, int link, int dir, const char *spec_text, char *err, size_t errlen)
{
	const struct topo *t = lab->topo;
	if (link < 0 || link >= t->n_links) {
		snprintf(err, errlen, "no such link");
		return -EINVAL;
	}
	const struct topo_link *l = &t->links[link];
	for (int d = 0; d < 2; d++) {
		if (dir >= 0 && d != dir)
			continue;
		/* Direction d carries frames from end[d] to end[!d]. The sender
		 * impairs them on egress if it is a custom host, else the receiver
		 * on ingress. */
		const struct topo_end *from = &l->end[d], *to = &l->end[!d];
		const struct topo_end *at = NULL;
		const char *where = NULL;
		if (from->kind == TOPO_END_IFACE && t->hosts[from->host].kind == TOPO_HOST_CUSTOM) {
			at = from;
			where = "egress";
		} else if (to->kind == TOPO_END_IFACE && t->hosts[to->host].kind == TOPO_HOST_CUSTOM) {
			at = to;
			where = "ingress";
		}
		if (!at) {
			/* Kernel-only link: rate and queue through tbf (the parser
			 * refuses anything else there). */
			int rc = lab_link_rate_set(lab, link, d, spec_text, err, errlen);
			if (rc < 0)
				return rc;
			continue;
		}
		char req[IMPAIR_SPEC_TEXT_MAX + 128];
		snprintf(req, sizeof(req), "impair %s %s %s link=%d dir=%d seed=%llu",
			 t->hosts[at->host].ifaces[at->iface].name, where, spec_text, link, d,
			 (unsigned long long)lab->opts.seed);
		int rc = request_ok(lab, at->host, 5000, err, errlen, req);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int lab_host_kill(struct lab *lab, int topo_host, char *err, size_t errlen)
{
	struct lab_host *lh = lab_host(lab, topo_host);
	if (!lh || !lh->custom) {
		snprintf(err, errlen, "only custom hosts can be killed");
		return -EINVAL;
	}
	if (lh->np.pid > 0)
		kill(lh->np.pid, SIGKILL);
	nodeproc_stop(&lh->np, 1000);
	lh->alive = false;
	return 0;
}
