/* netns.h: named network namespaces (the iproute2 way) plus one UTS
 * namespace per host.
 *
 * A namespace lives as long as something refers to it.  Like `ip netns add`,
 * we pin each network namespace by bind-mounting its nsfs file
 * (/proc/thread-self/ns/net of a thread that just unshared) onto an empty
 * file /run/netns/NAME; the host's UTS namespace (its hostname) is pinned
 * the same way at /run/nestbed/uts/NAME.  Both directories are made shared
 * mount points so that a mount or unmount there propagates to every mount
 * namespace that can see it, and an unmount really lets the namespace go.
 * /run/netns, which other programs share, becomes one as with iproute2 (a
 * bind mount onto itself); /run/nestbed/uts, ours alone, becomes a small
 * tmpfs when it is not a mount point yet and is empty, so pin files cost no
 * disk inodes on machines where /run is not a tmpfs (this one: ext4).  Because the pins are
 * mounts, not processes, they survive a crash of the controller: `nestbed
 * clean` finds them by prefix with netns_list and removes them with
 * netns_delete (umount2 MNT_DETACH + unlink).  Deleting a network namespace
 * destroys its devices, and with them the veth peers elsewhere.
 *
 * Everything here switches only the calling thread's namespaces (setns with
 * /proc/thread-self/ns/...), so it is safe in a threaded controller.
 * Errors: 0 or negative errno, text in a caller-owned buffer (see nl.h).
 */
#ifndef FABRIC_NETNS_H
#define FABRIC_NETNS_H

#include <stddef.h>
#include <sys/types.h>

#define NETNS_RUN_DIR "/run/netns"
#define NETNS_UTS_DIR "/run/nestbed/uts"
#define NETNS_NAME_MAX 64 /* longest name accepted, without the NUL */

/* netns_create flags */
enum {
	NETNS_NO_IPV6 = 1 << 0, /* disable_ipv6=1 for "all" and "default", before any device arrives */
	NETNS_LO_UP = 1 << 1,   /* bring the loopback device up */
};

/* netns_create: creates network namespace NAME and its UTS namespace with
 * hostname (NAME when NULL), pinned under NETNS_RUN_DIR and NETNS_UTS_DIR.
 * -EEXIST if either pin already exists.  On failure nothing is left. */
int netns_create(const char *name, const char *hostname, unsigned flags, char *err, size_t errlen);

/* netns_open: opens /run/netns/NAME; returns an O_CLOEXEC fd usable with
 * setns() and IFLA_NET_NS_FD, or a negative errno. */
int netns_open(const char *name, char *err, size_t errlen);

/* netns_exists: 1 if /run/netns/NAME exists, else 0. */
int netns_exists(const char *name);

/* A thread's original network namespace, saved by netns_enter. */
struct netns_saved {
	int home;
};

/* netns_enter / netns_enter_fd: moves the calling thread into the network
 * namespace NAME (or fd) and saves where it was into *saved.  Every
 * successful enter must be paired with netns_restore. */
int netns_enter(const char *name, struct netns_saved *saved, char *err, size_t errlen);
int netns_enter_fd(int fd, struct netns_saved *saved, char *err, size_t errlen);

/* netns_restore: returns the thread to the saved namespace and closes it.
 * A failure here means the thread is still in the other namespace. */
int netns_restore(struct netns_saved *saved, char *err, size_t errlen);

/* netns_run: calls fn(arg, err, errlen) with the calling thread inside
 * network namespace NAME, then restores it.  Returns fn's result, or the
 * enter/restore failure. */
typedef int (*netns_fn)(void *arg, char *err, size_t errlen);
int netns_run(const char *name, netns_fn fn, void *arg, char *err, size_t errlen);

/* netns_delete: unmounts (MNT_DETACH) and unlinks both pins of NAME.
 * Returns 0 if at least one existed and all that existed were removed,
 * -ENOENT if neither existed. */
int netns_delete(const char *name, char *err, size_t errlen);

/* netns_list: calls cb(name, arg) once for each namespace whose name starts
 * with prefix ("" for all), found in NETNS_RUN_DIR or (leftovers of a
 * crash) only in NETNS_UTS_DIR.  Names are gathered first, so cb may
 * delete.  cb returns 0 to go on; anything else stops the walk and is
 * returned.  Returns the number of names visited, or a negative errno. */
typedef int (*netns_list_cb)(const char *name, void *arg);
int netns_list(const char *prefix, netns_list_cb cb, void *arg, char *err, size_t errlen);

/* netns_exec flags */
enum {
	NETNS_EXEC_SYSFS = 1 << 0,     /* private mount ns with /sys remounted for this netns, as `ip netns exec` */
	NETNS_EXEC_PDEATHSIG = 1 << 1, /* child gets SIGKILL when the calling thread exits */
};

/* netns_exec: forks a child that joins NAME's network and UTS namespaces
 * and execs argv (PATH searched).  Returns 0 with *pid set once the exec
 * has succeeded; if setns, the mounts or exec fail, the child is reaped
 * and the reason returned.  The caller waits for *pid. */
int netns_exec(const char *name, char *const argv[], unsigned flags, pid_t *pid, char *err, size_t errlen);

#endif
