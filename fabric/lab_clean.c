/* lab_clean.c: finding labs by their state directories, and removing what
 * a crashed run left behind: its namespaces (by name prefix) and its state
 * directory. Nothing without our prefix is ever touched. */
#include "lab.h"

#include "netns.h"
#include "nl.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LAB_RUN_DIR "/run/nestbed"

int lab_owner_read(const char *lab_dir)
{
	char path[PATH_MAX];
	int pid = -1;
	snprintf(path, sizeof(path), "%s/owner", lab_dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &pid) != 1)
		pid = -1;
	fclose(f);
	return pid;
}

bool lab_owner_alive(int pid)
{
	char path[64], comm[64] = "";
	if (pid <= 0 || kill(pid, 0) < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return !strncmp(comm, "nestbed", 7);
}

/* is_our_lab_dir: "<prefix>-<lab>" */
/* owner_of: the owner pid of lab state directory NAME under /run/nestbed. */
static int owner_of(const char *lab)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/%s", LAB_RUN_DIR, lab);
	return lab_owner_read(dir);
}

static bool has_prefix(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);
	return !strncmp(name, prefix, n) && name[n] == '-' && name[n + 1];
}

int lab_list(const char *prefix, lab_list_cb cb, void *arg)
{
	DIR *d = opendir(LAB_RUN_DIR);
	int n = 0;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "uts") || !has_prefix(e->d_name, prefix))
			continue;
		int pid = owner_of(e->d_name);
		cb(e->d_name, pid, lab_owner_alive(pid), arg);
		n++;
	}
	closedir(d);
	return n;
}

struct clean_ctx {
	const char *prefix;          /* "<P>-" or "<P>-<lab>-" */
	FILE *report;
	int removed;
	const char *skip_live[256];  /* lab names whose owner is alive */
	int n_live;
};

static int clean_ns(const char *name, void *arg)
{
	struct clean_ctx *c = arg;
	char err[NBNL_ERRLEN];
	for (int i = 0; i < c->n_live; i++) {
		size_t n = strlen(c->skip_live[i]);
		if (!strncmp(name, c->skip_live[i], n) && name[n] == '-')
			return 0;
	}
	if (netns_delete(name, err, sizeof(err)) == 0) {
		c->removed++;
		if (c->report)
			fprintf(c->report, "removed namespace %s\n", name);
	} else if (c->report) {
		fprintf(c->report, "could not remove namespace %s: %s\n", name, err);
	}
	return 0;
}

/* remove_state_dir: the files we put in a lab directory, then the directory. */
static void remove_state_dir(const char *lab, FILE *report)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/%s", LAB_RUN_DIR, lab);
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		size_t n = strlen(e->d_name);
		bool ours = !strcmp(e->d_name, "owner") || !strcmp(e->d_name, "hosts") ||
			    (n > 5 && !strcmp(e->d_name + n - 5, ".sock"));
		if (ours) {
			char p[PATH_MAX + 256];
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
	}
	closedir(d);
	if (rmdir(dir) == 0 && report)
		fprintf(report, "removed %s\n", dir);
}

struct dir_ctx {
	struct clean_ctx *c;
	const char *only;
	bool force;
	char dead[256][80];
	int n_dead;
};

/* collect_longer: while cleaning lab `only`, the labs whose names extend
 * it ("<P>-web-2" for "<P>-web"): their namespaces share our prefix. */
static void collect_longer(const char *name, int pid, bool alive, void *arg)
{
	struct dir_ctx *d = arg;
	size_t n = strlen(d->only);
	(void)pid;
	(void)alive;
	char *s;
	if (!strncmp(name, d->only, n) && name[n] == '-' && d->c->n_live < 256 && (s = strdup(name)))
		d->c->skip_live[d->c->n_live++] = s;
}

static void collect_lab(const char *name, int pid, bool alive, void *arg)
{
	struct dir_ctx *d = arg;
	(void)pid;
	if (alive && !d->force) {
		if (d->c->n_live < 256)
			d->c->skip_live[d->c->n_live++] = strdup(name);
		return;
	}
	if (d->n_dead < 256)
		snprintf(d->dead[d->n_dead++], sizeof(d->dead[0]), "%s", name);
}

int lab_clean(const char *prefix, const char *only_lab, bool force, FILE *report)
{
	struct clean_ctx c = {.report = report};
	char pfx[128], err[NBNL_ERRLEN];
	struct dir_ctx *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->c = &c;
	d->force = force;
	if (only_lab) {
		char full[96];
		snprintf(full, sizeof(full), "%s-%s", prefix, only_lab);
		int pid = owner_of(full);
		if (lab_owner_alive(pid) && pid != getpid() && !force) {
			if (report)
				fprintf(report, "lab %s is still running (pid %d); not touching it\n", only_lab, pid);
			free(d);
			return -EBUSY;
		}
		snprintf(pfx, sizeof(pfx), "%s-", full);
		snprintf(d->dead[d->n_dead++], sizeof(d->dead[0]), "%s", full);
		d->only = full;
		lab_list(prefix, collect_longer, d);
	} else {
		lab_list(prefix, collect_lab, d);
		snprintf(pfx, sizeof(pfx), "%s-", prefix);
	}
	c.prefix = pfx;
	netns_list(pfx, clean_ns, &c, err, sizeof(err));
	for (int i = 0; i < d->n_dead; i++)
		remove_state_dir(d->dead[i], report);
	for (int i = 0; i < c.n_live; i++)
		free((void *)c.skip_live[i]);
	int removed = c.removed;
	free(d);
	return removed;
}
