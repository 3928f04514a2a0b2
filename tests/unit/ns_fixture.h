/* ns_fixture.h: what the fabric tests that make real namespaces share: a
 * prefix unique to the test process, names under it, cleanup by that prefix
 * (pass or fail), and the assertion macros. Each test sets prefix first. */
#ifndef NB_NS_FIXTURE_H
#define NB_NS_FIXTURE_H

#include <stdio.h>
#include <unistd.h>

#include "netns.h"
#include "nl.h"

static char prefix[32];
static char err[NBNL_ERRLEN];

/* nsname: "<prefix>SUFFIX" in a rotating static buffer. */
static inline const char *nsname(const char *suffix)
{
	static char bufs[8][64];
	static unsigned i;
	char *b = bufs[i++ % 8];
	snprintf(b, 64, "%s%s", prefix, suffix);
	return b;
}

static inline int delete_one(const char *name, void *arg)
{
	char e[NBNL_ERRLEN];
	(void)arg;
	if (netns_delete(name, e, sizeof(e)) < 0)
		fprintf(stderr, "cleanup: %s\n", e);
	return 0;
}

/* cleanup: deletes every namespace with our prefix; the teardown of every
 * test and of the group. */
static inline int cleanup(void **state)
{
	(void)state;
	if (geteuid() != 0)
		return 0;
	char e[NBNL_ERRLEN];
	if (netns_list(prefix, delete_one, NULL, e, sizeof(e)) < 0)
		fprintf(stderr, "cleanup: %s\n", e);
	return 0;
}

#define NEED_ROOT()                     \
	do {                            \
		if (geteuid() != 0)     \
			skip();         \
	} while (0)

#define OK(expr)                                                   \
	do {                                                       \
		err[0] = '\0';                                     \
		int rc_ = (expr);                                  \
		if (rc_ < 0)                                       \
			fail_msg("%s -> %d: %s", #expr, rc_, err); \
	} while (0)

#endif
