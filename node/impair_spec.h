/* impair_spec.h: the link-impairment spec, its grammar and its canonical text.
 *
 * One spec describes what happens to frames leaving an interface in one
 * direction: delay and jitter, random or bursty (Gilbert-Elliott) loss, exact
 * drops, duplication, reordering, corruption and a rate limit with a
 * tail-drop queue. The controller parses it from a topology file's `link`
 * line; the runner sends the canonical text to the node, which parses it with
 * these same functions (this file is linked into both programs). Pure
 * functions: no allocation, no I/O, no globals.
 *
 * Grammar (options in any order, each at most once per spec):
 *   delay TIME [jitter TIME] [dist uniform|normal] [reorder-ok]
 *   loss PCT
 *   loss gilbert P_PCT R_PCT [BADLOSS_PCT [GOODLOSS_PCT]]
 *   drop N[,N|N-M...]          1-based packet numbers, per direction
 *   duplicate PCT
 *   reorder PCT [gap N]
 *   corrupt PCT
 *   rate RATE|unlimited        RATE: 10Mbit, 1.5Gbit, 64Kbps, 9600bit ...
 *   queue SIZE | queue N packets
 * TIME as nb_parse_time ("5ms", "1.5s", "0"); PCT is "1%", "0.25%", 0..100,
 * at most 7 decimals; SIZE as nb_parse_size ("64KiB", "1500B", "1500").
 *
 * Unset versus zero: `has` holds one IMPAIR_HAS_* bit per option group that
 * the text named. impair_spec_merge() copies only those groups, so a runtime
 * `set loss 0%` turns loss off and leaves the delay alone.
 *
 * This struct is shared with node/impair.c: fields may be added, never
 * changed or removed.
 */
#ifndef NB_IMPAIR_SPEC_H
#define NB_IMPAIR_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMPAIR_DROP_MAX 256          /* entries in drop[] */
#define IMPAIR_TOKENS_MAX 64         /* tokens in one spec */
#define IMPAIR_SPEC_TEXT_MAX 8192    /* enough for any impair_spec_format() output */

enum impair_dist {
	IMPAIR_DIST_UNIFORM = 0,     /* jitter uniform in [-jitter, +jitter] */
	IMPAIR_DIST_NORMAL = 1,      /* jitter normal, sigma = jitter */
};

/* Option groups; a bit is set when the spec text named that option. */
enum impair_has {
	IMPAIR_HAS_DELAY     = 1u << 0,  /* delay_ns, jitter_ns, jitter_dist, reorder_ok */
	IMPAIR_HAS_LOSS      = 1u << 1,  /* loss, gilbert, ge (either loss form) */
	IMPAIR_HAS_DROP      = 1u << 2,  /* drop[], drop_count */
	IMPAIR_HAS_DUPLICATE = 1u << 3,  /* duplicate */
	IMPAIR_HAS_REORDER   = 1u << 4,  /* reorder, reorder_gap */
	IMPAIR_HAS_CORRUPT   = 1u << 5,  /* corrupt */
	IMPAIR_HAS_RATE      = 1u << 6,  /* rate_bps */
	IMPAIR_HAS_QUEUE     = 1u << 7,  /* queue_bytes, queue_packets */
};
#define IMPAIR_HAS_ALL 0xffu

/* Gilbert-Elliott two-state loss, classic notation. The chain moves once per
 * packet: good -> bad with probability p, bad -> good with probability r.
 * In the good state a packet is DELIVERED with probability k, in the bad
 * state with probability h. So the loss probability is 1-k in good and 1-h in
 * bad. The text form takes loss percentages, like netem's gemodel:
 *   loss gilbert P% R% [BADLOSS% [GOODLOSS%]]
 * with BADLOSS = 1-h (default 100%) and GOODLOSS = 1-k (default 0%). */
struct impair_gilbert {
	double p, r, h, k;           /* probabilities, 0..1 */
};

struct impair_spec {
	uint32_t has;                /* IMPAIR_HAS_* bits */

	uint64_t delay_ns;           /* fixed one-way delay */
	uint64_t jitter_ns;          /* <= delay_ns; 0 = none */
	enum impair_dist jitter_dist;
	bool reorder_ok;             /* jitter may reorder; if false, a packet never
	                                leaves before the one sent ahead of it */

	double loss;                 /* independent loss probability (gilbert false) */
	bool gilbert;                /* loss follows ge instead of `loss` */
	struct impair_gilbert ge;

	uint64_t drop[IMPAIR_DROP_MAX]; /* sorted, distinct, >= 1: packet numbers
	                                   (1 = first frame in this direction) */
	uint32_t drop_count;

	double duplicate;            /* probability a packet is sent twice */
	double reorder;              /* probability a packet is held back ... */
	uint32_t reorder_gap;        /* ... and sent after this many later packets (>= 1, default 1) */
	double corrupt;              /* probability one random bit is flipped */

	uint64_t rate_bps;           /* bits per second; 0 = unlimited */
	uint64_t queue_bytes;        /* tail-drop limit of the rate queue in bytes, or */
	uint64_t queue_packets;      /* in packets; both 0 = the engine's default */
};

/* What a parse failure points at: the token index in the list given (or, for
 * impair_spec_parse_str, in the whitespace-split string), the token's byte
 * offset in the string (0 for the token-list form) and a one-line message
 * without position, e.g. "loss wants a percentage like 1%, not '5'". tok is
 * the token count when the error is "missing value at the end". */
struct impair_err {
	int tok;
	size_t off;
	char msg[160];
};

/* impair_spec_init: an empty spec (nothing set, reorder_gap 1). */
void impair_spec_init(struct impair_spec *s);

/* impair_spec_parse: parses ntok tokens into *out (initialised first).
 * Returns 0, or -1 with *err filled; *out is then unspecified. */
int impair_spec_parse(const char *const *tok, int ntok, struct impair_spec *out, struct impair_err *err);

/* impair_spec_parse_str: splits s on blanks and parses as above. An empty
 * string is a valid empty spec. Returns 0 or -1 with *err (off = byte offset). */
int impair_spec_parse_str(const char *s, struct impair_spec *out, struct impair_err *err);

/* impair_spec_format: writes the canonical text of the set groups into buf
 * (always NUL-terminated when len > 0), in grammar order, e.g.
 * "delay 5ms jitter 1ms dist uniform loss 1%". Parsing the text gives back an
 * equal spec. Returns the length the text needs (snprintf-like); it fits when
 * the result is < len, which IMPAIR_SPEC_TEXT_MAX always is. */
int impair_spec_format(const struct impair_spec *s, char *buf, size_t len);

/* impair_spec_merge: copies into dst every group set in src (dst->has gains
 * src->has). Used for runtime `set` and for per-direction overrides. */
void impair_spec_merge(struct impair_spec *dst, const struct impair_spec *src);

/* impair_spec_equal: true when both set the same groups with equal values. */
bool impair_spec_equal(const struct impair_spec *a, const struct impair_spec *b);

/* impair_spec_is_noop: true when the spec, once applied, changes no frame
 * (no delay, loss, drop, duplicate, reorder, corrupt, rate). */
bool impair_spec_is_noop(const struct impair_spec *s);

#endif
