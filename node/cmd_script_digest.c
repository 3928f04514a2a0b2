/* cmd_script_digest.c: the script's `obj` verb, whose answer carries the
 * objects' SHA-256 digests:
 *
 *   obj NAME   -> ok <obj keys, digests included>
 *   obj        -> | <obj keys>   one data line per object
 *                 ok count=N
 *
 * A digest of a long pattern stream starts from the node's cached prefix
 * states (apps/pattern_sha.h). When the cache is behind, hashing the rest
 * at once would stall the node for up to a second per gigabyte: no ACKs,
 * no timers, and the peer's retransmission timer fires for nothing. So the
 * request takes a ticket for the work pending now and is answered later,
 * from cmd_script_after_io(), once the ticket is done; meanwhile each loop
 * iteration hashes one slice (OBJ_SLICE) and the node keeps moving frames. */
#include "cmd_script_int.h"

#include "apps/pattern_sha.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes hashed per loop iteration while a request waits: about 60 us of
 * work with the SHA extensions (8x the idle slice), as much time without. */
#define OBJ_SLICE (8 * pattern_sha_idle_slice())

struct sobj_reply {
	struct sobj_reply *next;
	struct ctl_req req;
	char name[64];               /* "" for every object */
	struct pattern_sha_ticket ticket;
};

/* answer: the reply to `obj [name]`, digests included. */
static void answer(struct script_state *st, struct ctl_req r, const char *name)
{
	struct node *n = st->n;
	char keys[1024];
	if (*name) {
		struct sobj *o = sobj_find(&st->objs, name);
		if (!o) {
			ctl_err(&n->ctl, r, "obj: '%s' went away before its digests were ready", name);
			return;
		}
		cmd_script_view_keys(o, keys, sizeof(keys), true);
		ctl_ok(&n->ctl, r, "%s", keys);
		return;
	}
	int count = 0;
	for (struct sobj *o = st->objs.head; o; o = o->next, count++) {
		cmd_script_view_keys(o, keys, sizeof(keys), true);
		ctl_data(&n->ctl, r, "%s", keys);
	}
	ctl_ok(&n->ctl, r, "count=%d", count);
}

void cmd_script_v_obj(struct node *n, struct ctl_req r, int argc, char **argv)
{
	if (argc > 2) {
		cmd_script_usage(n, r, argv[0]);
		return;
	}
	const char *name = argc == 2 ? argv[1] : "";
	if (*name && strlen(name) >= sizeof(((struct sobj_reply *)0)->name)) {
		ctl_err(&n->ctl, r, "obj: name too long");
		return;
	}
	if (*name && !cmd_script_need_obj(n, r, name, ~0u, "obj"))
		return;
	struct script_state *st = cmd_script_find(n);
	if (!st) {
		ctl_ok(&n->ctl, r, "count=0");
		return;
	}
	struct pattern_sha_ticket t;
	pattern_sha_ticket_take(&t);
	if (pattern_sha_ticket_done(&t)) {
		answer(st, r, name);
		return;
	}
	struct sobj_reply *p = calloc(1, sizeof(*p));
	if (!p) {
		answer(st, r, name);       /* no memory to wait: hash now */
		return;
	}
	p->req = r;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->ticket = t;
	struct sobj_reply **pp = &st->replies;  /* keep request order */
	while (*pp)
		pp = &(*pp)->next;
	*pp = p;
}

void cmd_script_objs_after_io(struct script_state *st)
{
	if (!st->replies)
		return;
	pattern_sha_work(OBJ_SLICE);
	while (st->replies && pattern_sha_ticket_done(&st->replies->ticket)) {
		struct sobj_reply *p = st->replies;
		st->replies = p->next;
		answer(st, p->req, p->name);
		free(p);
	}
}

void cmd_script_objs_end(struct script_state *st)
{
	while (st->replies) {
		struct sobj_reply *p = st->replies;
		st->replies = p->next;
		ctl_err(&st->n->ctl, p->req, "node is shutting down");
		free(p);
	}
}
