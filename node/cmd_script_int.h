/* cmd_script_int.h: what the script verbs' files share (cmd_script.c: the
 * object verbs and the per-node state; cmd_script_wait.c: `wait`). */
#ifndef NB_CMD_SCRIPT_INT_H
#define NB_CMD_SCRIPT_INT_H

#include "cmd.h"
#include "script_obj.h"

struct swait;

/* One node's script state. struct node has no slot for it, so nodes are
 * looked up in a short list (a process holds one node; tests hold a few). */
struct script_state {
	struct script_state *next;
	struct node *n;
	struct script_objs objs;
	struct swait *waits;         /* pending `wait` requests */
	struct sobj_reply *replies;  /* `obj` requests waiting for their digests */
};

/* cmd_script_find: n's script state, or NULL if it has none yet. */
struct script_state *cmd_script_find(struct node *n);
/* cmd_script_need_obj: the object NAME of one of the kinds in mask
 * (1 << kind); else an error reply (naming verb) and NULL. */
struct sobj *cmd_script_need_obj(struct node *n, struct ctl_req r, const char *name, unsigned mask,
				 const char *verb);
/* cmd_script_view_keys: an object's keys for obj and wait replies, into
 * buf; the digests only when asked (catching a digest up costs time, and a
 * wait's answer is a moment, not a content check). */
void cmd_script_view_keys(struct sobj *o, char *buf, size_t len, bool digests);
/* cmd_script_usage: an error reply with the verb's usage line. */
void cmd_script_usage(struct node *n, struct ctl_req r, const char *verb);

/* cmd_script_v_wait: the `wait` verb (cmd_script_wait.c). */
void cmd_script_v_wait(struct node *n, struct ctl_req r, int argc, char **argv);
/* cmd_script_waits_end: answers every pending wait of st with "node is
 * shutting down" and frees them. */
void cmd_script_waits_end(struct script_state *st);

/* cmd_script_v_obj: the `obj` verb (cmd_script_digest.c). */
void cmd_script_v_obj(struct node *n, struct ctl_req r, int argc, char **argv);
/* cmd_script_objs_after_io: hashes a slice for pending `obj` requests and
 * answers those whose digests are ready. */
void cmd_script_objs_after_io(struct script_state *st);
/* cmd_script_objs_end: answers every pending `obj` with "node is shutting
 * down" and frees them. */
void cmd_script_objs_end(struct script_state *st);

#endif
