/* tcp_options.c: TCP options, parsed and built (RFC 9293 3.2, RFC 7323
 * window scale and timestamps, RFC 2018 SACK).
 *
 *   kind 0 EOL    kind 1 NOP
 *   +--------+--------+---------+--------+     MSS          (SYN only)
 *   |00000010|00000100|   max seg size   |
 *   +--------+--------+--------+           WS           (SYN only)
 *   |00000011|00000011| shift  |
 *   +--------+--------+                    SACK-permitted (SYN only)
 *   |00000100|00000010|
 *   +--------+--------+-----...-----+      SACK: 1..4 blocks of
 *   |00000101| 2+8*n  | left, right |            (left edge, right edge)
 *   +--------+--------+-----...-----+
 *   +--------+--------+-------+-------+    Timestamps
 *   |00001000|00001010| TSval | TSecr |
 *   +--------+--------+-------+-------+
 *
 * Every length byte is checked against what remains before anything after
 * it is read.
 */
#include "tcp_var.h"

#include <string.h>

/* tcp_opts_parse: decodes the option area p[0..len) of a segment. MSS, WS
 * and SACK-permitted count only on a SYN (RFC 9293 3.7.1, RFC 7323 2.2,
 * RFC 2018 2). A known option with a wrong length is ignored; an option whose
 * length byte is missing, below 2 or runs past the area makes the whole
 * segment malformed: returns -1 (the caller drops it), else 0. */
int tcp_opts_parse(const uint8_t *p, size_t len, bool syn, struct tcp_opts *o)
{
	memset(o, 0, sizeof(*o));
	size_t i = 0;
	while (i < len) {
		uint8_t kind = p[i];
		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			return -1;
		size_t olen = p[i + 1];
		if (olen < 2 || olen > len - i)
			return -1;
		const uint8_t *v = p + i + 2;
		switch (kind) {
		case TCPOPT_MSS:
			if (olen == 4 && syn) {
				o->mss_ok = true;
				o->mss = nb_get16(v);
			}
			break;
		case TCPOPT_WS:
			if (olen == 3 && syn) {
				o->ws_ok = true;
				o->ws = v[0];
			}
			break;
		case TCPOPT_SACK_PERM:
			if (olen == 2 && syn)
				o->sack_perm = true;
			break;
		case TCPOPT_SACK:
			if (olen >= 10 && (olen - 2) % 8 == 0 && !syn) {
				int n = (int)((olen - 2) / 8);
				for (int k = 0; k < n && o->nsack < TCP_SACK_MAX; k++) {
					o->sack[o->nsack].start = nb_get32(v + 8 * k);
					o->sack[o->nsack].end = nb_get32(v + 8 * k + 4);
					o->nsack++;
				}
			}
			break;
		case TCPOPT_TS:
			if (olen == 10) {
				o->ts_present = true;
				o->tsval = nb_get32(v);
				o->tsecr = nb_get32(v + 4);
			}
			break;
		default:
			break;   /* RFC 9293 3.1: unknown options are skipped by length */
		}
		i += olen;
	}
	return 0;
}

/* tcp_ts_now: our TSval clock, 1 ms per tick (RFC 7323 5.4) plus a
 * per-connection random offset. */
uint32_t tcp_ts_now(const struct tcp_pcb *pcb)
{
	return (uint32_t)(pcb->stack->now / NB_MS(1)) + pcb->ts_offset;
}

static uint8_t *put_ts(const struct tcp_pcb *pcb, uint8_t *p, bool lead_nops)
{
	if (lead_nops) {
		*p++ = TCPOPT_NOP;
		*p++ = TCPOPT_NOP;
	}
	*p++ = TCPOPT_TS;
	*p++ = 10;
	nb_put32(p, tcp_ts_now(pcb));
	nb_put32(p + 4, pcb->ts_recent);
	return p + 8;
}

/* tcp_opts_build_syn: the options of our SYN (synack false) or SYN-ACK:
 * MSS always; WS, SACK-permitted and timestamps when enabled and, for a
 * SYN-ACK, offered by the peer (pcb->ws_ok etc. already say so). Layout:
 * MSS | SACKOK TS or NOP NOP TS | NOP WS | NOP NOP SACKOK. Returns the length,
 * a multiple of 4, at most 20. */
size_t tcp_opts_build_syn(const struct tcp_pcb *pcb, bool synack, uint8_t *p)
{
	(void)synack;
	uint8_t *q = p;
	*q++ = TCPOPT_MSS;
	*q++ = 4;
	nb_put16(q, pcb->our_mss);
	q += 2;
	if (pcb->ts_ok) {
		if (pcb->sack_ok) {
			*q++ = TCPOPT_SACK_PERM;
			*q++ = 2;
			q = put_ts(pcb, q, false);
		} else {
			q = put_ts(pcb, q, true);
		}
	}
	if (pcb->ws_ok) {
		*q++ = TCPOPT_NOP;
		*q++ = TCPOPT_WS;
		*q++ = 3;
		*q++ = pcb->rcv_wscale;
	}
	if (pcb->sack_ok && !pcb->ts_ok) {
		*q++ = TCPOPT_NOP;
		*q++ = TCPOPT_NOP;
		*q++ = TCPOPT_SACK_PERM;
		*q++ = 2;
	}
	return (size_t)(q - p);
}

/* How many SACK blocks fit next to the timestamp option (40 bytes in all). */
static int sack_room(const struct tcp_pcb *pcb) { return pcb->ts_ok ? 3 : 4; }

/* tcp_opts_len: bytes of options in a non-SYN segment: timestamps (12) when
 * negotiated, SACK blocks (4 + 8n) when with_sack and data is held out of
 * order. */
size_t tcp_opts_len(const struct tcp_pcb *pcb, bool with_sack)
{
	size_t n = pcb->ts_ok ? TCPOLEN_TS_ALIGNED : 0;
	if (with_sack && pcb->sack_ok && pcb->ooo) {
		struct tcp_sack_blk b[TCP_SACK_MAX];
		int k = tcp_reass_sack(pcb, b, sack_room(pcb));
		if (k)
			n += 4 + 8 * (size_t)k;
	}
	return n;
}

/* tcp_opts_build: writes the options tcp_opts_len promised; returns the length. */
size_t tcp_opts_build(const struct tcp_pcb *pcb, bool with_sack, uint8_t *p)
{
	uint8_t *q = p;
	if (pcb->ts_ok)
		q = put_ts(pcb, q, true);
	if (with_sack && pcb->sack_ok && pcb->ooo) {
		struct tcp_sack_blk b[TCP_SACK_MAX];
		int k = tcp_reass_sack(pcb, b, sack_room(pcb));
		if (k) {
			*q++ = TCPOPT_NOP;
			*q++ = TCPOPT_NOP;
			*q++ = TCPOPT_SACK;
			*q++ = (uint8_t)(2 + 8 * k);
			for (int i = 0; i < k; i++, q += 8) {
				nb_put32(q, b[i].start);
				nb_put32(q + 4, b[i].end);
			}
		}
	}
	return (size_t)(q - p);
}
