/* params.h: per-node stack parameters, settable from the topology file
 * (`set tcp.msl 2s`) and over the control socket (`set KEY VALUE`).
 *
 * One table (NB_PARAMS) names each parameter, its kind and its default; the
 * struct, the defaults, the parser and the dump are all generated from it, so
 * adding a parameter is one line. The controller links this file too, so a
 * topology file's `set` lines are checked before anything is created.
 *
 * Kinds and accepted values:
 *   TIME  "250ms", "2s", "40us", "1.5s", "0"      stored in nanoseconds
 *   SIZE  "65536", "64KiB", "1MiB", "1kB"          stored in bytes
 *   INT   "10"                                     plain integer
 *   BOOL  "on"/"off", "true"/"false", "yes"/"no", "1"/"0"
 */
#ifndef NB_PARAMS_H
#define NB_PARAMS_H

#include "nb.h"

enum nb_param_kind { NB_P_INT, NB_P_BOOL, NB_P_TIME, NB_P_SIZE };

/*        field              name                   kind       default        min         max */
#define NB_PARAMS(X)                                                                                 \
	X(ip_ttl,            "ip.ttl",              NB_P_INT,  64,            1,          255)           \
	X(ip_forward,        "ip.forward",          NB_P_BOOL, 0,             0,          1)             \
	X(ip_reass_timeout,  "ip.reass_timeout",    NB_P_TIME, NB_SEC(30),    NB_MS(1),   NB_SEC(600))   \
	X(ip_reass_max,      "ip.reass_max",        NB_P_INT,  64,            1,          4096)          \
	X(ip_pmtu_timeout,   "ip.pmtu_timeout",     NB_P_TIME, NB_SEC(600),   NB_SEC(1),  NB_SEC(86400)) \
	X(icmp_ratelimit,    "icmp.ratelimit",      NB_P_INT,  1000,          0,          1000000)       \
	X(icmp_burst,        "icmp.burst",          NB_P_INT,  50,            1,          1000000)       \
	X(arp_timeout,       "arp.timeout",         NB_P_TIME, NB_SEC(60),    NB_MS(1),   NB_SEC(86400)) \
	X(arp_retry,         "arp.retry",           NB_P_TIME, NB_SEC(1),     NB_MS(1),   NB_SEC(60))    \
	X(arp_retries,       "arp.retries",         NB_P_INT,  3,             1,          100)           \
	X(arp_queue,         "arp.queue",           NB_P_INT,  64,            1,          65536)         \
	X(arp_max_entries,   "arp.max_entries",     NB_P_INT,  1024,          1,          1 << 20)       \
	X(tcp_msl,           "tcp.msl",             NB_P_TIME, NB_SEC(30),    0,          NB_SEC(600))   \
	X(tcp_rto_initial,   "tcp.rto_initial",     NB_P_TIME, NB_SEC(1),     NB_MS(1),   NB_SEC(600))   \
	X(tcp_rto_min,       "tcp.rto_min",         NB_P_TIME, NB_MS(200),    NB_MS(1),   NB_SEC(600))   \
	X(tcp_rto_max,       "tcp.rto_max",         NB_P_TIME, NB_SEC(60),    NB_MS(1),   NB_SEC(3600))  \
	X(tcp_syn_retries,   "tcp.syn_retries",     NB_P_INT,  6,             0,          100)           \
	X(tcp_retries,       "tcp.retries",         NB_P_INT,  15,            1,          100)           \
	X(tcp_init_cwnd,     "tcp.init_cwnd",       NB_P_INT,  10,            1,          1000)          \
	X(tcp_delack,        "tcp.delack",          NB_P_TIME, NB_MS(40),     0,          NB_MS(500))    \
	X(tcp_nagle,         "tcp.nagle",           NB_P_BOOL, 1,             0,          1)             \
	X(tcp_sndbuf,        "tcp.sndbuf",          NB_P_SIZE, 1 << 20,       1024,       1 << 30)       \
	X(tcp_rcvbuf,        "tcp.rcvbuf",          NB_P_SIZE, 1 << 20,       1024,       1 << 30)       \
	X(tcp_wscale,        "tcp.wscale",          NB_P_BOOL, 1,             0,          1)             \
	X(tcp_sack,          "tcp.sack",            NB_P_BOOL, 1,             0,          1)             \
	X(tcp_timestamps,    "tcp.timestamps",      NB_P_BOOL, 1,             0,          1)             \
	X(tcp_fin_timeout,   "tcp.fin_timeout",     NB_P_TIME, NB_SEC(60),    0,          NB_SEC(3600))  \
	X(tcp_backlog_max,   "tcp.backlog_max",     NB_P_INT,  128,           1,          65535)         \
	X(tcp_invalid_ratelimit, "tcp.invalid_ratelimit", NB_P_TIME, NB_MS(500), 0,      NB_SEC(10))    \
	X(tcp_syn_unreach_abort, "tcp.syn_unreach_abort", NB_P_BOOL, 0,          0,          1)             \
	X(tcp_keepalive,     "tcp.keepalive",       NB_P_TIME, 0,             0,          NB_SEC(86400)) \
	X(tcp_keepalive_intvl, "tcp.keepalive_intvl", NB_P_TIME, NB_SEC(75),  NB_MS(1),   NB_SEC(3600))  \
	X(tcp_keepalive_probes, "tcp.keepalive_probes", NB_P_INT, 9,           1,          100)           \
	X(impair_spin,       "impair.spin",         NB_P_TIME, NB_US(200),    0,          NB_MS(10))     \
	X(udp_rcvbuf,        "udp.rcvbuf",          NB_P_SIZE, 1 << 18,       1024,       1 << 30)

struct nb_params {
#define NB_PARAM_FIELD(field, name, kind, def, lo, hi) uint64_t field;
	NB_PARAMS(NB_PARAM_FIELD)
#undef NB_PARAM_FIELD
};

/* params_defaults: fills p with every default. */
void params_defaults(struct nb_params *p);
/* params_set: parses `value` for parameter `name` into p. Returns 0, or -1
 * with a one-line reason in err (unknown name, bad unit, out of range). */
int params_set(struct nb_params *p, const char *name, const char *value, char *err, size_t errlen);
/* params_check: like params_set without storing: validates a topology line. */
int params_check(const char *name, const char *value, char *err, size_t errlen);
/* params_format: writes "name value" of parameter i (0..) into buf; -1 past the end. */
int params_format(const struct nb_params *p, int i, char *buf, size_t len);

/* nb_parse_time: "2s", "250ms", "40us", "5ns", "1.5s", "0" -> ns. 0 or -1. */
int nb_parse_time(const char *s, nb_time_t *out);
/* nb_parse_size: "1500", "64KiB", "1MiB", "2GiB", "1kB", "1MB", "10B" -> bytes. 0 or -1. */
int nb_parse_size(const char *s, uint64_t *out);
/* nb_parse_bool: on/off true/false yes/no 1/0. 0 or -1. */
int nb_parse_bool(const char *s, bool *out);

#endif
