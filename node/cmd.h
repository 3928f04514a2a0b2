/* cmd.h: the verbs of the node's control protocol (wire format: ctl.h).
 *
 * Each verb is a row in a table: name, handler, one-line usage. cmd.c holds
 * the core verbs (configuration, ping, dumps, faults); cmd_script.c holds
 * the verbs a topology script uses on sockets and apps. cmd_handle() looks a
 * verb up in both tables.
 *
 * Core verbs (cmd.c):
 *   quit                                   stop the node
 *   iface NAME [addr A.B.C.D/P]            open a raw device, add it to the stack
 *   route add DST/P|default [via GW] [dev IF]
 *   set KEY VALUE | get [KEY]              stack parameters (params.h)
 *   ping DST [count N] [interval T] [timeout T] [size N] [ttl N]
 *   pcap IF PATH                           capture an interface to a pcap file
 *   impair IF egress|ingress SPEC...       merge an impairment spec (impair_spec.h)
 *   link IF up|down                        carrier change
 *   ss [ext|json] | stats [json] | arp | routes | ifstats [json]
 *   dump PREFIX                            PREFIX.sockets.{txt,json}, PREFIX.stats.{txt,json}
 */
#ifndef NB_CMD_H
#define NB_CMD_H

#include "node.h"

typedef void (*cmd_fn)(struct node *n, struct ctl_req r, int argc, char **argv);

struct cmd_verb {
	const char *name;
	cmd_fn fn;
	const char *usage;
};

/* Tables end with a row whose name is NULL. */
extern const struct cmd_verb cmd_core_verbs[];
extern const struct cmd_verb cmd_script_verbs[];

/* cmd_script_after_io: re-checks the script's pending waits (cmd_script.c). */
void cmd_script_after_io(struct node *n);
/* cmd_script_free: releases the script state at exit (cmd_script.c). */
void cmd_script_free(struct node *n);

/* Argument helpers shared by both tables: 0 on success, else they reply
 * with an error themselves and return -1. */
int cmd_arg_time(struct node *n, struct ctl_req r, const char *what, const char *s, nb_time_t *out);
int cmd_arg_size(struct node *n, struct ctl_req r, const char *what, const char *s, uint64_t *out);
int cmd_arg_int(struct node *n, struct ctl_req r, const char *what, const char *s, long lo, long hi, long *out);
int cmd_arg_addr_port(struct node *n, struct ctl_req r, const char *s, uint32_t *addr, uint16_t *port);

#endif
