/* netns.c: named network + UTS namespaces pinned by bind mounts.  See netns.h. */
#include "netns.h"

#include "fsutil.h"
#include "nl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* valid_name: a single, sane path component. */
static int valid_name(const char *name, char *err, size_t errlen)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > NETNS_NAME_MAX || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return nbnl_errf(err, errlen, -EINVAL, NULL, "netns name \"%s\"", name ? name : "(null)");
	return 0;
}

/* dir_is_empty: 1 if dir has no entries but "." and "..", 0 if it has,
 * or a negative errno. */
static int dir_is_empty(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	struct dirent *e;
	int empty = 1;
	while (empty && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty;
}

/* make_shared_mount: makes dir a shared mount point.  When it is not a
 * mount point yet (MS_SHARED then says EINVAL) it becomes one: a tmpfs if
 * own_tmpfs and the directory is empty (pin files then cost no disk
 * inodes where /run is not a tmpfs), else a bind mount of itself, as
 * iproute2 does for /run/netns (which may hold other programs' pins). */
static int make_shared_mount(const char *dir, bool own_tmpfs, char *err, size_t errlen)
{
	int rc = fs_mkdir_p(dir);
	if (rc < 0)
		return nbnl_errf(err, errlen, rc, NULL, "mkdir %s", dir);
	if (mount("", dir, "none", MS_SHARED | MS_REC, NULL) == 0)
		return 0;
	if (errno != EINVAL)
		return nbnl_errf(err, errlen, -errno, NULL, "make %s a shared mount", dir);
	if (own_tmpfs && dir_is_empty(dir) == 1) {
		if (mount("nestbed", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755") < 0)
			return nbnl_errf(err, errlen, -errno, NULL, "mount a tmpfs on %s", dir);
	} else if (mount(dir, dir, "none", MS_BIND | MS_REC, NULL) < 0) {
		return nbnl_errf(err, errlen, -errno, NULL, "bind mount %s onto itself", dir);
	}
	if (mount("", dir, "none", MS_SHARED | MS_REC, NULL) < 0)
		return nbnl_errf(err, errlen, -errno, NULL, "make %s a shared mount", dir);
	return 0;
}

/* prepare_dirs: does make_shared_mount for both pin directories, once per
 * process (later calls repeat the first result). */
static pthread_mutex_t dirs_lock = PTHREAD_MUTEX_INITIALIZER;
static bool dirs_ready;
static int prepare_dirs(char *err, size_t errlen)
{
	int rc = 0;
	pthread_mutex_lock(&dirs_lock);
	if (!dirs_ready) {
		rc = make_shared_mount(NETNS_RUN_DIR, false, err, errlen);
		if (rc == 0)
			rc = make_shared_mount(NETNS_UTS_DIR, true, err, errlen);
		dirs_ready = rc == 0;
	}
	pthread_mutex_unlock(&dirs_lock);
	return rc;
}

/* pin_paths: fills the two pin paths of name. */
static void pin_paths(const char *name, char net[PATH_MAX], char uts[PATH_MAX])
{
	snprintf(net, PATH_MAX, "%s/%s", NETNS_RUN_DIR, name);
	snprintf(uts, PATH_MAX, "%s/%s", NETNS_UTS_DIR, name);
}

/* unpin: detaches the mount on path (if any) and removes the file.
 * Returns 0, -ENOENT when absent, or another negative errno. */
static int unpin(const char *path)
{
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return -errno;
	if (unlink(path) < 0)
		return -errno;
	return 0;
}

/* write_proc: writes value to a /proc file, as seen by the calling thread. */
static int write_proc(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t n = strlen(value);
	ssize_t w = write(fd, value, n);
	int rc = w < 0 ? -errno : (size_t)w != n ? -EIO : 0;
	close(fd);
	return rc;
}

/* lo_up: sets IFF_UP on "lo" in the thread's network namespace. */
static int lo_up(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	int rc = 0;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		rc = -errno;
	} else {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			rc = -errno;
	}
	close(fd);
	return rc;
}

/* setup_inside: the work done while the thread is in the new namespaces. */
static int setup_inside(const char *name, const char *hostname, unsigned flags,
			const char *netpin, const char *utspin, char *err, size_t errlen)
{
	int rc;
	if (mount("/proc/thread-self/ns/net", netpin, "none", MS_BIND, NULL) < 0)
		return nbnl_errf(err, errlen, -errno, NULL, "netns %s: bind mount onto %s", name, netpin);
	if (mount("/proc/thread-self/ns/uts", utspin, "none", MS_BIND, NULL) < 0)
		return nbnl_errf(err, errlen, -errno, NULL, "netns %s: bind mount onto %s", name, utspin);
	if (sethostname(hostname, strlen(hostname)) < 0)
		return nbnl_errf(err, errlen, -errno, NULL, "netns %s: sethostname \"%s\"", name, hostname);
	if (flags & NETNS_NO_IPV6) {
		/* "all" first: it also switches off devices already present (lo);
		 * "default" covers every device created later, e.g. veths. */
		static const char *const knobs[] = {
			"/proc/sys/net/ipv6/conf/all/disable_ipv6",
			"/proc/sys/net/ipv6/conf/default/disable_ipv6",
		};
		for (size_t i = 0; i < 2; i++) {
			rc = write_proc(knobs[i], "1");
			if (rc == -ENOENT)
				break; /* kernel without IPv6: nothing to silence */
			if (rc < 0)
				return nbnl_errf(err, errlen, rc, NULL, "netns %s: write %s", name, knobs[i]);
		}
	}
	if ((flags & NETNS_LO_UP) && (rc = lo_up()) < 0)
		return nbnl_errf(err, errlen, rc, NULL, "netns %s: set lo up", name);
	return 0;
}

/* netns_create: see netns.h.  The thread unshares new net and UTS
 * namespaces, pins them, configures them from inside, and setns()es back. */
int netns_create(const char *name, const char *hostname, unsigned flags, char *err, size_t errlen)
{
	int rc = valid_name(name, err, errlen);
	if (rc < 0)
		return rc;
	if (!hostname)
		hostname = name;
	if (strlen(hostname) > 64)
		return nbnl_errf(err, errlen, -EINVAL, NULL, "netns %s: hostname \"%s\" longer than 64", name, hostname);
	if ((rc = prepare_dirs(err, errlen)) < 0)
		return rc;

	char netpin[PATH_MAX], utspin[PATH_MAX];
	pin_paths(name, netpin, utspin);
	int fd = open(netpin, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return nbnl_errf(err, errlen, -errno, NULL, "netns %s: create %s", name, netpin);
	close(fd);
	fd = open(utspin, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0) {
		rc = nbnl_errf(err, errlen, -errno, NULL, "netns %s: create %s", name, utspin);
		unlink(netpin);
		return rc;
	}
	close(fd);

	int home_net = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int home_uts = open("/proc/thread-self/ns/uts", O_RDONLY | O_CLOEXEC);
	if (home_net < 0 || home_uts < 0) {
		rc = nbnl_errf(err, errlen, -errno, NULL, "netns %s: open /proc/thread-self/ns", name);
	} else if (unshare(CLONE_NEWNET | CLONE_NEWUTS) < 0) {
		rc = nbnl_errf(err, errlen, -errno, NULL, "netns %s: unshare", name);
	} else {
		rc = setup_inside(name, hostname, flags, netpin, utspin, err, errlen);
		if (setns(home_net, CLONE_NEWNET) < 0 || setns(home_uts, CLONE_NEWUTS) < 0)
			rc = nbnl_errf(err, errlen, -errno, NULL,
				       "netns %s: setns back to the original namespaces (thread left behind)", name);
	}
	if (home_net >= 0)
		close(home_net);
	if (home_uts >= 0)
		close(home_uts);
	if (rc < 0) {
		unpin(netpin);
		unpin(utspin);
	}
	return rc;
}

/* netns_open: see netns.h. */
int netns_open(const char *name, char *err, size_t errlen)
{
	int rc = valid_name(name, err, errlen);
	if (rc < 0)
		return rc;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return nbnl_errf(err, errlen, -errno, NULL, "netns %s: open %s", name, path);
	return fd;
}

/* netns_exists: see netns.h. */
int netns_exists(const char *name)
{
	if (valid_name(name, NULL, 0) < 0)
		return 0;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, name);
	return access(path, F_OK) == 0;
}

/* netns_enter_fd: see netns.h. */
int netns_enter_fd(int fd, struct netns_saved *saved, char *err, size_t errlen)
{
	saved->home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (saved->home < 0)
		return nbnl_errf(err, errlen, -errno, NULL, "open /proc/thread-self/ns/net");
	if (setns(fd, CLONE_NEWNET) < 0) {
		int rc = nbnl_errf(err, errlen, -errno, NULL, "setns into netns");
		close(saved->home);
		saved->home = -1;
		return rc;
	}
	return 0;
}

/* netns_enter: see netns.h. */
int netns_enter(const char *name, struct netns_saved *saved, char *err, size_t errlen)
{
	saved->home = -1;
	int fd = netns_open(name, err, errlen);
	if (fd < 0)
		return fd;
	int rc = netns_enter_fd(fd, saved, err, errlen);
	close(fd);
	if (rc < 0)
		nbnl_errf(err, errlen, rc, NULL, "netns %s: enter", name);
	return rc;
}

/* netns_restore: see netns.h. */
int netns_restore(struct netns_saved *saved, char *err, size_t errlen)
{
	if (saved->home < 0)
		return 0;
	int rc = 0;
	if (setns(saved->home, CLONE_NEWNET) < 0)
		rc = nbnl_errf(err, errlen, -errno, NULL, "setns back to the original netns (thread left behind)");
	close(saved->home);
	saved->home = -1;
	return rc;
}

/* netns_run: see netns.h. */
int netns_run(const char *name, netns_fn fn, void *arg, char *err, size_t errlen)
{
	struct netns_saved saved;
	int rc = netns_enter(name, &saved, err, errlen);
	if (rc < 0)
		return rc;
	rc = fn(arg, err, errlen);
	int rr = netns_restore(&saved, err, errlen);
	return rr < 0 ? rr : rc;
}

/* netns_delete: see netns.h. */
int netns_delete(const char *name, char *err, size_t errlen)
{
	int rc = valid_name(name, err, errlen);
	if (rc < 0)
		return rc;
	char netpin[PATH_MAX], utspin[PATH_MAX];
	pin_paths(name, netpin, utspin);
	int rn = unpin(netpin);
	int ru = unpin(utspin);
	if (rn == -ENOENT && ru == -ENOENT)
		return nbnl_errf(err, errlen, -ENOENT, NULL, "netns %s: delete", name);
	if (rn < 0 && rn != -ENOENT)
		return nbnl_errf(err, errlen, rn, NULL, "netns %s: remove %s", name, netpin);
	if (ru < 0 && ru != -ENOENT)
		return nbnl_errf(err, errlen, ru, NULL, "netns %s: remove %s", name, utspin);
	return 0;
}

/* A growable list of names for netns_list. */
struct names {
	char **v;
	size_t n, cap;
};

/* names_add: appends a copy of s; returns 0 or -ENOMEM. */
static int names_add(struct names *l, const char *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char **v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	if (!(l->v[l->n] = strdup(s)))
		return -ENOMEM;
	l->n++;
	return 0;
}

/* scan_dir: adds the entries of dir starting with prefix; with skip_in set,
 * entries that also exist in skip_in are left out.  A missing dir is empty. */
static int scan_dir(const char *dir, const char *prefix, const char *skip_in, struct names *l)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	size_t plen = strlen(prefix);
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.' || strncmp(e->d_name, prefix, plen) != 0)
			continue;
		if (skip_in) {
			char path[PATH_MAX];
			snprintf(path, sizeof(path), "%s/%s", skip_in, e->d_name);
			if (access(path, F_OK) == 0)
				continue;
		}
		rc = names_add(l, e->d_name);
	}
	closedir(d);
	return rc;
}

/* netns_list: see netns.h. */
int netns_list(const char *prefix, netns_list_cb cb, void *arg, char *err, size_t errlen)
{
	struct names l = { 0 };
	int rc = scan_dir(NETNS_RUN_DIR, prefix, NULL, &l);
	if (rc < 0)
		nbnl_errf(err, errlen, rc, NULL, "list %s", NETNS_RUN_DIR);
	else if ((rc = scan_dir(NETNS_UTS_DIR, prefix, NETNS_RUN_DIR, &l)) < 0)
		nbnl_errf(err, errlen, rc, NULL, "list %s", NETNS_UTS_DIR);
	size_t i = 0;
	for (; rc == 0 && i < l.n; i++)
		rc = cb(l.v[i], arg);
	for (size_t j = 0; j < l.n; j++)
		free(l.v[j]);
	free(l.v);
	return rc != 0 ? rc : (int)i;
}

/* What a netns_exec child reports through its pipe when it fails. */
struct exec_report {
	int step; /* index into exec_steps */
	int err;  /* errno */
};
static const char *const exec_steps[] = {
	"setns net", "setns uts", "prctl PR_SET_PDEATHSIG", "unshare mount namespace",
	"make / a slave mount", "detach /sys", "mount sysfs", "exec",
};

/* exec_child: runs in the forked child; only async-signal-safe calls. */
static void exec_child(int netfd, int utsfd, int wfd, pid_t parent, char *const argv[], unsigned flags)
{
	struct exec_report r = { 0, 0 };
	if (setns(netfd, CLONE_NEWNET) < 0)
		goto fail;
	r.step = 1;
	if (setns(utsfd, CLONE_NEWUTS) < 0)
		goto fail;
	r.step = 2;
	if (flags & NETNS_EXEC_PDEATHSIG) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
			goto fail;
		if (getppid() != parent)
			_exit(127); /* the parent is already gone */
	}
	if (flags & NETNS_EXEC_SYSFS) {
		/* /sys shows the devices of the namespace that mounted it:
		 * remount it, in a private mount namespace, for this netns. */
		r.step = 3;
		if (unshare(CLONE_NEWNS) < 0)
			goto fail;
		r.step = 4;
		if (mount("", "/", "none", MS_SLAVE | MS_REC, NULL) < 0)
			goto fail;
		r.step = 5;
		if (umount2("/sys", MNT_DETACH) < 0 && errno != EINVAL)
			goto fail;
		r.step = 6;
		if (mount("sysfs", "/sys", "sysfs", 0, NULL) < 0)
			goto fail;
	}
	r.step = 7;
	execvp(argv[0], argv);
fail:
	r.err = errno;
	if (write(wfd, &r, sizeof(r)) < 0) {
		/* nothing more to tell anyone */
	}
	_exit(127);
}

/* netns_exec: see netns.h. */
int netns_exec(const char *name, char *const argv[], unsigned flags, pid_t *pid, char *err, size_t errlen)
{
	*pid = -1;
	if (!argv || !argv[0])
		return nbnl_errf(err, errlen, -EINVAL, NULL, "exec in %s: empty command", name);
	int netfd = netns_open(name, err, errlen);
	if (netfd < 0)
		return netfd;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", NETNS_UTS_DIR, name);
	int utsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (utsfd < 0) {
		int rc = nbnl_errf(err, errlen, -errno, NULL, "exec in %s: open %s", name, path);
		close(netfd);
		return rc;
	}
	int p[2];
	int rc = 0;
	if (pipe2(p, O_CLOEXEC) < 0) {
		rc = nbnl_errf(err, errlen, -errno, NULL, "exec in %s: pipe", name);
		goto out;
	}
	pid_t parent = getpid();
	pid_t child = fork();
	if (child < 0) {
		rc = nbnl_errf(err, errlen, -errno, NULL, "exec in %s: fork", name);
		close(p[0]);
		close(p[1]);
		goto out;
	}
	if (child == 0) {
		close(p[0]);
		exec_child(netfd, utsfd, p[1], parent, argv, flags);
	}
	close(p[1]);
	struct exec_report r;
	ssize_t n;
	do {
		n = read(p[0], &r, sizeof(r));
	} while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n == (ssize_t)sizeof(r)) {
		/* The child failed before or at exec: reap it, report why. */
		while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
			;
		const char *step = r.step >= 0 && (size_t)r.step < sizeof(exec_steps) / sizeof(exec_steps[0])
					   ? exec_steps[r.step] : "?";
		rc = nbnl_errf(err, errlen, -r.err, NULL, "exec in %s: %s%s%s", name, step,
			       r.step == 7 ? " " : "", r.step == 7 ? argv[0] : "");
		goto out;
	}
	*pid = child; /* EOF: the exec closed the pipe (O_CLOEXEC) */
out:
	close(netfd);
	close(utsfd);
	return rc;
}
