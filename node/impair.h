/* impair.h: the link impairment engine, one direction of one link.
 *
 * This kernel has no netem, so the node's device layer emulates each link
 * direction itself. The engine is sans-IO: it never reads a clock and never
 * does I/O. The caller offers frames with the current time, asks when the
 * next frame is due (impair_next) and, at or after that time, releases the
 * due frames through a callback (impair_release).
 *
 * The path of one offered frame (packet number n, 1-based per direction):
 *
 *   offer(n) -> drop list -> loss (random or Gilbert-Elliott) -> corrupt
 *            -> duplicate -> [rate: tail-drop queue, serialization]
 *            -> delay + jitter -> reorder hold -> release queue -> deliver
 *
 *   drop list   n in spec->drop[]: dropped (dropped_list). Exact, no RNG.
 *   loss        independent with probability spec->loss, or the Gilbert-
 *               Elliott chain: it moves once per offered frame (good->bad
 *               with p, bad->good with r), then the frame is lost with
 *               1-k in good, 1-h in bad (dropped_loss). The chain moves for
 *               every offered frame, also those the drop list takes.
 *   corrupt     with probability spec->corrupt exactly one bit is flipped, at
 *               a byte covered by a checksum the receiver verifies: the IPv4
 *               header, plus the rest of the datagram when it is an
 *               unfragmented TCP, ICMP or UDP-with-checksum datagram. Frames
 *               no checksum protects (ARP, non-IPv4, malformed IPv4) are
 *               left alone and counted in corrupt_skipped. A single flipped
 *               bit always changes an Internet checksum; several could
 *               cancel, so one is all we flip. The duplicate (if any) is a
 *               copy of the corrupted frame: the link duplicates what it
 *               carried. Checksums must be complete (a frame with a partial
 *               checksum, as a kernel veth can send, is the caller's to fix).
 *   duplicate   with probability spec->duplicate a second copy follows the
 *               original through the rate and delay stages (it draws its own
 *               jitter and takes its own queue slot and wire time).
 *   rate        spec->rate_bps > 0: a frame of L bytes (Ethernet frame bytes
 *               as offered: no preamble, IFG or FCS) occupies the link for
 *               L*8/rate seconds, after the frames ahead of it; nanosecond
 *               remainders are carried, so the long-run rate is exact. A frame
 *               that must wait joins a tail-drop queue: it is dropped
 *               (dropped_queue) when the frames waiting (not counting the one
 *               on the wire) plus it would exceed spec->queue_packets or
 *               spec->queue_bytes; with both 0 the limit is
 *               IMPAIR_QUEUE_DEFAULT_PACKETS. A frame that finds the link
 *               idle is never dropped here. Without a rate there is no
 *               queue and queue limits do nothing.
 *   delay       release = end of serialization (or offer time) + delay +
 *               jitter. Uniform jitter: delay + U[-j, +j). Normal jitter:
 *               delay + j*z, z standard normal clipped to +-min(3, delay/j),
 *               a symmetric clip so the mean stays `delay` and no sample is
 *               negative. Unless spec->reorder_ok, jitter never reorders: a
 *               frame is released no earlier than the frame offered before it
 *               (release = max(sample, previous release)); this raises the
 *               mean when frames are closer together than the jitter.
 *   reorder     "reorder P% gap N": with probability P a frame is held back
 *               and released right after the N-th later frame that goes out
 *               normally (same release time, just behind it, but never before
 *               its own release time), so the receiver sees it N places late. Held frames do not count as "later
 *               frames" for each other. A held frame never waits longer than
 *               IMPAIR_HOLD_MAX_NS past its own release time (it then goes on
 *               its own: a quiet flow still gets every frame), and at most
 *               IMPAIR_HOLD_SLOTS frames are held at once (a frame selected
 *               beyond that goes normally). Counted in `reordered` when
 *               selected.
 *
 * Frames due at the same time leave in the order they were queued. Memory is
 * bounded: the frames held by the engine (bytes plus about 48 bytes of
 * overhead each) never exceed imp->mem_limit (IMPAIR_MEM_LIMIT_DEFAULT, 32 MiB): a
 * frame that would is dropped and counted in dropped_mem, whatever the delay.
 *
 * Determinism: every random choice comes from the engine's nb_rng, seeded by
 * impair_init. For each offered frame the engine draws a fixed set of numbers
 * that depends only on which features the spec enables (not on the fate of
 * the frame), so the same seed, spec and sequence of (frame, time) offers
 * give identical decisions and release times, and adding a drop-list entry
 * changes no other frame's random fate (only, with a rate, the queue it no
 * longer occupies). A spec impair_spec_is_noop() calls a no-op acts exactly
 * as an empty one.
 */
#ifndef NB_IMPAIR_H
#define NB_IMPAIR_H

#include "nb.h"
#include "impair_spec.h"

#define IMPAIR_QUEUE_DEFAULT_PACKETS 1000             /* like a txqueuelen */
#define IMPAIR_MEM_LIMIT_DEFAULT ((size_t)32 << 20)
#define IMPAIR_HOLD_MAX_NS NB_MS(100)
#define IMPAIR_HOLD_SLOTS 64
#define IMPAIR_HIST_SUB 32                            /* sub-buckets per power of 2 */
#define IMPAIR_HIST_BUCKETS (36 * IMPAIR_HIST_SUB)    /* up to 2^40 ns (~18 min) */

struct impair_pkt;

/* One frame waiting for release: the key (at, seq) and the frame. */
struct impair_slot {
	nb_time_t at;
	uint64_t seq;
	struct impair_pkt *pkt;
};

/* A frame held back for reordering until `target` normal sends happened. */
struct impair_hold {
	struct impair_pkt *pkt;
	uint64_t target;             /* value of imp->normal_sent that frees it */
	nb_time_t natural;           /* when it would have left without the hold */
	nb_time_t deadline;          /* natural + IMPAIR_HOLD_MAX_NS */
};

/* One frame in the rate stage: when its serialization starts, its size. */
struct impair_wait {
	nb_time_t start;
	uint32_t len;
};

struct impair_counters {
	uint64_t sent;               /* frames offered */
	uint64_t delivered;          /* frames released (duplicates included) */
	uint64_t dropped_loss;       /* random or Gilbert-Elliott loss */
	uint64_t dropped_queue;      /* tail drop at the rate queue */
	uint64_t dropped_list;       /* the explicit drop list */
	uint64_t dropped_mem;        /* memory cap or allocation failure */
	uint64_t duplicated;         /* extra copies made */
	uint64_t reordered;          /* frames held back for reordering */
	uint64_t corrupted;          /* frames with one bit flipped */
	uint64_t corrupt_skipped;    /* chosen for corruption, no checksum covers it */
	uint64_t delayed;            /* delivered later than offered */
	uint64_t bytes_offered;
	uint64_t bytes_delivered;
};

/* Counters plus the fidelity figures: what the link actually did. */
struct impair_stats {
	struct impair_counters c;
	uint64_t queued_frames;      /* in flight now (held ones included) */
	uint64_t queued_bytes;
	nb_time_t delay_min, delay_max;   /* release - offer, over delivered frames */
	nb_time_t delay_mean;
	nb_time_t delay_p50, delay_p99;   /* from a log histogram: within ~1.6% */
	double loss_rate;            /* dropped_loss / (sent - dropped_list) */
	double rate_bps;             /* bits between the first and last delivery:
	                                8 * (bytes_delivered - first frame) /
	                                (last release - first release); 0 if < 2 */
};

struct impair {
	struct impair_spec spec;     /* the current spec (read it to merge a change) */
	bool passthrough;            /* spec is a no-op */
	struct nb_rng rng;
	uint64_t pkt_no;             /* frames offered so far */
	uint32_t drop_idx;           /* first spec.drop[] entry > pkt_no */
	bool ge_bad;                 /* Gilbert-Elliott state */

	/* release queue: binary min-heap on (at, seq) */
	struct impair_slot *heap;
	size_t heap_len, heap_cap;
	uint64_t seq;
	nb_time_t last_release;      /* latest release of a normal frame (FIFO rule) */
	uint64_t normal_sent;        /* frames queued normally (not held) */

	struct impair_hold hold[IMPAIR_HOLD_SLOTS];
	unsigned hold_len;

	/* rate stage: ring of frames whose serialization has not started by the
	 * last offer (the one on the wire has left it) */
	struct impair_wait *wait;
	size_t wait_head, wait_len, wait_cap;
	uint64_t wait_bytes;
	nb_time_t busy_until;        /* end of the last scheduled serialization */
	uint64_t busy_rem;           /* carried remainder, in 1/rate ns units */

	/* memory: the frames the engine holds, and a small free list */
	size_t mem_bytes, mem_limit;
	struct impair_pkt *free_list;
	unsigned free_len;

	struct impair_counters c;
	nb_time_t first_release, last_release_seen;
	uint32_t first_len;
	uint64_t delay_sum, delay_n;
	nb_time_t delay_min, delay_max;
	uint64_t hist[IMPAIR_HIST_BUCKETS];
};

/* Called by impair_release for each frame due. The frame is the engine's and
 * valid only during the call; `at` is its scheduled release time (<= now). The
 * callback may offer frames to this or any other engine. */
typedef void (*impair_deliver_fn)(void *ctx, const uint8_t *frame, size_t len, nb_time_t at);

/* impair_seed: the seed for one link direction, a hash of the run seed, the
 * link's name and the direction (0 or 1). Stable across builds and hosts. */
uint64_t impair_seed(uint64_t run_seed, const char *link_name, int direction);

/* impair_init: an empty engine with a copy of spec (NULL = no impairment;
 * as everywhere here, only the option groups named in spec->has count),
 * its PRNG seeded with seed. Allocates nothing; cannot fail. */
void impair_init(struct impair *imp, const struct impair_spec *spec, uint64_t seed);

/* impair_free: drops every frame in flight and frees all memory. imp may be
 * re-initialised afterwards. */
void impair_free(struct impair *imp);

/* impair_set_spec: replaces the spec from `now` on (merge with
 * impair_spec_merge first for a partial change). Frames in flight keep their
 * release times, the frame on the wire keeps its serialization, packet
 * numbers keep counting (the drop list refers to packet numbers since init)
 * and the Gilbert-Elliott state carries over (back to good if turned off). */
void impair_set_spec(struct impair *imp, const struct impair_spec *spec, nb_time_t now);

/* impair_offer: one frame of len bytes enters the link at `now` (which must
 * not go backwards). The engine copies what it keeps; the caller keeps frame.
 * Returns 0 when the frame was queued or dropped by an impairment or the
 * memory cap (see the counters); -ENOMEM when malloc failed and -EMSGSIZE
 * for a frame over 1 MiB (both dropped and counted in dropped_mem). */
int impair_offer(struct impair *imp, const uint8_t *frame, size_t len, nb_time_t now);

/* impair_next: the earliest time a frame is due, or NB_TIME_NEVER. */
nb_time_t impair_next(const struct impair *imp);

/* impair_release: calls deliver for every frame due at or before now, in
 * release-time order (queue order among equal times). Frames the callback
 * offers to this engine wait for the next call, even if already due (so a
 * loop cannot livelock); impair_next then says so. Returns how many. */
unsigned impair_release(struct impair *imp, nb_time_t now, impair_deliver_fn deliver, void *ctx);

/* impair_is_passthrough: true when the spec changes nothing and no frame is
 * in flight; the caller may then send frames directly, bypassing the engine
 * (the counters then miss those frames). */
bool impair_is_passthrough(const struct impair *imp);

/* impair_stats: counters and fidelity figures into *st. */
void impair_stats(const struct impair *imp, struct impair_stats *st);

#endif
