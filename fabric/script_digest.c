/* script_digest.c: `expect A ==|!= B` on SHA-256 digests. A side is
 *   NAME digest [sent|received]   a node object's running digest (the node
 *                                 hashes what passes: node/script_obj.h)
 *   JOB output [digest]           a finished job's standard output
 *   file PATH                     a file (relative: to the run's output
 *                                 directory), as kernel-host programs write
 * The last two are hashed here, with the node's own SHA-256. */
#include "script_int.h"

#include "sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define DIGEST_SHOWN 12              /* hex digits of a digest shown in reasons */

/* One side, resolved. */
struct side {
	char hex[SHA256_HEX_LEN];
	uint64_t bytes;
	char label[PATH_MAX + 16];   /* "c digest sent", "get output", "file x.bin" */
	char hint[200];              /* why it may differ, or "" */
};

int script_hash_file(const char *path, char hex[SHA256_HEX_LEN], uint64_t *bytes)
{
	static unsigned char buf[1 << 16];
	struct sha256 c;
	uint8_t d[SHA256_LEN];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	sha256_init(&c);
	*bytes = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = -errno;
			close(fd);
			return e;
		}
		if (n == 0)
			break;
		sha256_update(&c, buf, (size_t)n);
		*bytes += (uint64_t)n;
	}
	close(fd);
	sha256_final(&c, d);
	sha256_hex(d, hex);
	return 0;
}

/* obj_side: a node object's digest (of: which one). 0, or nonzero with res
 * set (the node could not be asked, or answered err). */
static int obj_side(struct script_ctx *cx, int obj, enum topo_digest_of of, struct side *sd, struct step_res *res)
{
	const struct topo_obj *ob = &cx->t->objs[obj];
	struct nodeproc_reply r;
	if (script_query_obj(cx, obj, &r, res))
		return -1;
	const char *k = of == TOPO_DIGEST_SENT ? "digest_sent" : of == TOPO_DIGEST_RECEIVED ? "digest_received" : "digest";
	if (!nodeproc_reply_get(&r, k, sd->hex, sizeof(sd->hex)))
		snprintf(sd->hex, sizeof(sd->hex), "?");
	sd->bytes = script_reply_u64(&r, of == TOPO_DIGEST_SENT ? "queued" : of == TOPO_DIGEST_RECEIVED ? "read" : "bytes", 0);
	snprintf(sd->label, sizeof(sd->label), "%s digest%s", ob->name,
		 of == TOPO_DIGEST_SENT ? " sent" : of == TOPO_DIGEST_RECEIVED ? " received" : "");
	/* a connection's received digest covers what the script read */
	uint64_t buffered = script_reply_u64(&r, "buffered", 0);
	if (ob->kind == TOPO_OBJ_CONN && of == TOPO_DIGEST_RECEIVED && buffered)
		snprintf(sd->hint, sizeof(sd->hint), "; %" PRIu64 " bytes %s received are not read yet: add '%s: recv %s' "
			 "first", buffered, ob->name, script_host_name(cx, ob->host), ob->name);
	nodeproc_reply_free(&r);
	return 0;
}

/* output_side: a finished job's standard output. */
static int output_side(struct script_ctx *cx, int obj, struct side *sd, struct step_res *res)
{
	const char *name = cx->t->objs[obj].name;
	struct script_job *j = script_job_of(cx, obj);
	script_jobs_poll(cx);
	if (!j) {
		step_error(res, "job %s was never started", name);
		return -1;
	}
	if (!j->exited) {
		step_fail(res, "%s is still running, so its output is not complete (add 'wait %s exited within T' first)",
			  name, name);
		return -1;
	}
	int rc = script_hash_file(j->out, sd->hex, &sd->bytes);
	if (rc < 0) {
		step_fail(res, "cannot read the output of %s (%s): %s", name, j->out, strerror(-rc));
		return -1;
	}
	snprintf(sd->label, sizeof(sd->label), "%s output", name);
	if (j->timed_out)
		snprintf(sd->hint, sizeof(sd->hint), "; %s was killed at its timeout", name);
	else if (!WIFEXITED(j->status) || WEXITSTATUS(j->status))
		snprintf(sd->hint, sizeof(sd->hint), "; %s ended with %s", name,
			 WIFEXITED(j->status) ? "a non-zero exit status" : "a signal");
	return 0;
}

/* file_side: a file, relative paths from the run's output directory. */
static int file_side(struct script_ctx *cx, const char *path, struct side *sd, struct step_res *res)
{
	char full[PATH_MAX];
	if (path[0] == '/')
		snprintf(full, sizeof(full), "%s", path);
	else
		snprintf(full, sizeof(full), "%s/%s", cx->lab->outdir, path);
	int rc = script_hash_file(full, sd->hex, &sd->bytes);
	if (rc < 0) {
		step_fail(res, "cannot read file %s: %s", full, strerror(-rc));
		return -1;
	}
	snprintf(sd->label, sizeof(sd->label), "file %s", path);
	return 0;
}

/* side_of: resolves one side of the step (second: the right one). */
static int side_of(struct script_ctx *cx, const struct topo_step *s, bool second, struct side *sd,
		   struct step_res *res)
{
	enum topo_digest_src src = second ? s->u.expect.src2 : s->u.expect.src;
	int obj = second ? s->u.expect.obj2 : s->u.expect.obj;
	memset(sd, 0, sizeof(*sd));
	switch (src) {
	case TOPO_DSRC_OUTPUT: return output_side(cx, obj, sd, res);
	case TOPO_DSRC_FILE: return file_side(cx, second ? s->u.expect.path2 : s->u.expect.path, sd, res);
	case TOPO_DSRC_OBJ: break;
	}
	return obj_side(cx, obj, second ? s->u.expect.of2 : s->u.expect.of, sd, res);
}

void script_expect_digest(struct script_ctx *cx, const struct topo_step *s, struct step_res *res)
{
	struct side a, b;
	if (side_of(cx, s, false, &a, res) || side_of(cx, s, true, &b, res))
		return;
	bool same = !strcmp(a.hex, b.hex), want_same = s->u.expect.op == TOPO_EQ;
	if (same == want_same)
		snprintf(res->detail, sizeof(res->detail), "%.*s..., %" PRIu64 " and %" PRIu64 " bytes", DIGEST_SHOWN,
			 a.hex, a.bytes, b.bytes);
	else if (want_same)
		step_fail(res, "%s %.*s... (%" PRIu64 " bytes) != %s %.*s... (%" PRIu64 " bytes)%s%s", a.label,
			  DIGEST_SHOWN, a.hex, a.bytes, b.label, DIGEST_SHOWN, b.hex, b.bytes, a.hint[0] ? a.hint : b.hint,
			  a.hint[0] && b.hint[0] ? b.hint : "");
	else
		step_fail(res, "both are %.*s... (%" PRIu64 " bytes)", DIGEST_SHOWN, a.hex, a.bytes);
}
