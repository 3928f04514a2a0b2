/* topo_int.h: what the topology parser's files share (not for the runner).
 *
 *   topo_lex.c    text -> lines -> words (quotes, comments, columns)
 *   topo_diag.c   error/warning/note printing with caret; "did you mean"
 *   topo_parse.c  the driver, word parsers, topo_free and lookups
 *   topo_decl.c   declarations: lab, seed, defaults, host, switch, link
 *   topo_step.c   script steps on a host ("HOST: ...") and the step dispatcher
 *   topo_lab_step.c  lab-wide steps: set, link, partition, wait, expect, ...
 *   topo_check.c  name resolution and meaning: addresses, MTUs, links,
 *                 routes, host kinds, objects
 */
#ifndef NB_TOPO_INT_H
#define NB_TOPO_INT_H

#include "nb.h"
#include "topo.h"

/* One word of a line. */
struct topo_tok {
	char *s;                     /* text without quotes, NUL-terminated */
	int col;                     /* 1-based column of its first byte */
	int len;                     /* bytes it spans in the source, quotes included */
	bool quoted;                 /* some part was quoted: never a keyword */
};

/* One lexed line. */
struct topo_line {
	int no;                      /* 1-based line number */
	const char *src;             /* the line in the source text */
	int src_len;                 /* bytes up to the newline, CR excluded */
	int text_len;                /* bytes before the comment, trailing blanks trimmed */
	int indent;                  /* leading blanks (bytes) */
	int ntok;
	struct topo_tok tok[TOPO_TOKENS_MAX];
	char buf[TOPO_LINE_MAX + TOPO_TOKENS_MAX + 2];
};

/* A name a step defines with `as`, found by the pre-scan, to tell "not
 * defined yet" from "not defined at all". */
struct topo_later {
	char name[TOPO_NAME_MAX];
	int line;
};

enum topo_block { BLK_NONE, BLK_DEFAULTS, BLK_HOST, BLK_LINK, BLK_SKIP };

struct topo_ctx {
	struct topo *t;
	const char *name;            /* file name for messages */
	const char *text;
	size_t len;
	int line_offset;             /* the text's first line is line_offset + 1
	                                (0 for a file; a live step follows the file) */
	FILE *diag;
	int errors, warnings;
	bool stopped;                /* TOPO_ERRORS_MAX reached */

	enum topo_block blk;         /* what indented lines belong to */
	int blk_index;               /* host or link index */
	int lab_line;                /* line of `lab`, 0 if none yet */
	int seed_line;
	int defaults_line;
	int first_step_line;         /* 0 until the script starts */
	bool lab_checked;

	/* Names whose defining line failed: references to them stay quiet. */
	char (*poison)[TOPO_NAME_MAX];
	int n_poison, cap_poison;
	bool link_failed;            /* a link line failed: unknown links and loose
	                                interfaces stay quiet */

	struct topo_later *later;    /* from the pre-scan, in line order */
	int n_later;

	/* Per link, where its options and direction lines were written. */
	struct topo_linkx {
		struct topo_loc end_loc[2];  /* the two end words */
		struct topo_loc dir_loc[2];  /* direction lines, line 0 if none */
	} *linkx;

	int cap_hosts, cap_switches, cap_links, cap_linkx, cap_objs, cap_steps, cap_later;
};

/* --- topo_lex.c --- */
/* topo_lex_line: splits the line starting at text[off] (up to '\n' or the
 * end) into l. *next is the offset of the following line. Returns 0, or -1
 * after reporting an error (bad quote, control byte, too long). */
int topo_lex_line(struct topo_ctx *cx, size_t off, int lineno, struct topo_line *l, size_t *next);

/* --- topo_diag.c --- */
enum topo_sev { TOPO_ERROR, TOPO_WARNING, TOPO_NOTE };
/* topo_report: prints "FILE:LINE:COL: SEV: MSG", the line and a caret with
 * `len` tildes (line 0: no position). Counts errors and warnings. */
void topo_report(struct topo_ctx *cx, enum topo_sev sev, int line, int col, int len, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* topo_err_at: an error at word i of l (i >= ntok: just past the last word). */
void topo_err_at(struct topo_ctx *cx, const struct topo_line *l, int i, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void topo_warn_at(struct topo_ctx *cx, const struct topo_line *l, int i, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* topo_note_loc: a note pointing at an earlier line ("first defined here"). */
void topo_note_loc(struct topo_ctx *cx, struct topo_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Suggestions: feed candidates, then ask for the closest one, if close enough. */
struct topo_suggest {
	const char *word;
	const char *best;
	int dist;
};
void topo_suggest_init(struct topo_suggest *sg, const char *word);
void topo_suggest_try(struct topo_suggest *sg, const char *cand);
/* topo_suggest_text: "; did you mean 'x'?" or "" (static buffer per call site: copy it). */
const char *topo_suggest_text(struct topo_suggest *sg, char *buf, size_t len);
int topo_edit_distance(const char *a, const char *b);

/* --- topo_parse.c --- */
/* topo_grow: makes room for one more element in *arr (n used, *cap allocated,
 * at most max). Returns 0, or -1 (out of memory or max reached). */
int topo_grow(void **arr, int n, int *cap, size_t size, int max);
bool topo_poisoned(const struct topo_ctx *cx, const char *name);
void topo_poison(struct topo_ctx *cx, const char *name);
bool topo_name_ok(const char *s);
/* Parse a value word; 0 or -1 after reporting the error at word i. */
int topo_word_time(struct topo_ctx *cx, const struct topo_line *l, int i, const char *what, uint64_t *out);
int topo_word_size(struct topo_ctx *cx, const struct topo_line *l, int i, const char *what, uint64_t *out);
int topo_word_uint(struct topo_ctx *cx, const struct topo_line *l, int i, const char *what, uint64_t lo,
		   uint64_t hi, uint64_t *out);
int topo_word_port(struct topo_ctx *cx, const struct topo_line *l, int i, const char *what, uint16_t *out);
/* topo_unknown_word: "unknown WHAT 'w'; did you mean 'x'?" among a NULL-ended list. */
void topo_unknown_word(struct topo_ctx *cx, const struct topo_line *l, int i, const char *what,
		       const char *const *words);
char *topo_strdup(const char *s);
/* topo_param_check: `NAME VALUE` at words i, i+1 (params_check, suggestions). */
int topo_param_check(struct topo_ctx *cx, const struct topo_line *l, int i);

/* topo_extra: reports the first word past `n` expected ones. 0 if none. */
int topo_extra(struct topo_ctx *cx, const struct topo_line *l, int n);
/* topo_loc_of: where word i is (just past the last word if i >= ntok). */
struct topo_loc topo_loc_of(const struct topo_line *l, int i);

/* --- topo_decl.c --- */
/* topo_decl_line: lab, seed, defaults, host, switch or link (a declaration). */
void topo_decl_line(struct topo_ctx *cx, const struct topo_line *l);
/* topo_decl_body: an indented line under the open block. */
void topo_decl_body(struct topo_ctx *cx, const struct topo_line *l);
bool topo_ifname_ok(const char *s);
/* topo_spec_words: words [from, ntok) of l, minus those marked in skip, as
 * an impairment spec. 0, or -1 after reporting at the offending word. */
int topo_spec_words(struct topo_ctx *cx, const struct topo_line *l, int from, const bool *skip,
		    struct impair_spec *out);
/* topo_link_dir: which of k's directions "a->b" names (a, b: "host:if",
 * "host" or "switch"): 0 or 1, -1 neither, -2 ambiguous. */
int topo_link_dir(const struct topo_link *k, const char *a, const char *b);

/* --- topo_step.c --- */
/* topo_step_line: parses a script line (not indented) into a new step. */
void topo_step_line(struct topo_ctx *cx, struct topo_line *l);
void topo_step_free(struct topo_step *s);
/* topo_is: word i exists, is unquoted and equals w. */
bool topo_is(const struct topo_line *l, int i, const char *w);

/* --- topo_lab_step.c --- */
/* topo_lab_step: a lab-wide step (word 0: set, link, partition, heal, kill,
 * restart, sleep, wait, expect, dump) into *s. 0, or -1 after reporting. */
int topo_lab_step(struct topo_ctx *cx, struct topo_line *l, struct topo_step *s);

/* --- topo_check.c --- */
/* topo_check_lab: resolves and checks the declarations (once, before the
 * first step or at the end of the file). */
void topo_check_lab(struct topo_ctx *cx);
/* Resolution for steps: each returns an index or -1 after reporting. */
enum topo_need { NEED_ANY, NEED_CUSTOM, NEED_KERNEL };
int topo_ref_host(struct topo_ctx *cx, const struct topo_line *l, int i, enum topo_need need, const char *what);
/* topo_ref_obj: word i names an object of one of the kinds in mask (1 << kind),
 * living on host (unless host < 0). */
int topo_ref_obj(struct topo_ctx *cx, const struct topo_line *l, int i, unsigned mask, int host, const char *what);
/* topo_ref_link: words i, i+1 name a link's two ends; *dir0 as topo_link_find. */
int topo_ref_link(struct topo_ctx *cx, const struct topo_line *l, int i, bool *dir0);
/* topo_ref_addr: word i is an IPv4 address, or a host name (its first address);
 * with_port: "ADDR:PORT" / "HOST:PORT". 0 or -1. */
int topo_ref_addr(struct topo_ctx *cx, const struct topo_line *l, int i, bool with_port, uint32_t *addr,
		  uint16_t *port);
/* topo_def_obj: defines the name at word i for the step being built. -1 if taken. */
int topo_def_obj(struct topo_ctx *cx, const struct topo_line *l, int i, enum topo_obj_kind kind,
		 enum topo_app app, int host);
/* topo_counter_ok: is "tcp.retransmits" a node counter? */
bool topo_counter_ok(const char *name);
void topo_counter_suggest(struct topo_suggest *sg);

#endif
