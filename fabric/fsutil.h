/* fsutil.h: the few filesystem chores the controller repeats. */
#ifndef NB_FSUTIL_H
#define NB_FSUTIL_H

/* fs_mkdir_p: creates dir and its parents (mode 0755); an existing
 * directory is fine. Returns 0 or -errno (-ENAMETOOLONG past PATH_MAX). */
int fs_mkdir_p(const char *dir);

#endif
