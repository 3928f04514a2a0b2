/* cksum.h: the Internet checksum (RFC 1071) and the TCP/UDP pseudo-header.
 *
 * Pseudo-header summed for TCP and UDP (RFC 9293 3.1, RFC 768):
 *   +--------+--------+--------+--------+
 *   |           source address          |
 *   |         destination address       |
 *   |  zero  |  proto |  transport len  |
 *   +--------+--------+--------+--------+
 */
#ifndef NB_CKSUM_H
#define NB_CKSUM_H

#include "nb.h"

/* cksum_partial: adds len bytes to a running 32-bit one's-complement sum. */
uint32_t cksum_partial(const void *data, size_t len, uint32_t sum);
/* cksum_fold: folds a running sum to the final 16-bit checksum (complemented). */
uint16_t cksum_fold(uint32_t sum);
/* cksum: checksum of one buffer; 0 when a buffer that carries its checksum is intact. */
static inline uint16_t cksum(const void *data, size_t len) { return cksum_fold(cksum_partial(data, len, 0)); }
/* cksum_pseudo: running sum of the IPv4 pseudo-header (addresses host order). */
uint32_t cksum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);

/* cksum_fill_l4: for an Ethernet frame carrying unfragmented IPv4 TCP or
 * UDP whose transport checksum a kernel peer left partial (offload), writes
 * the full checksum in place. Returns 0 when it filled one, -1 when the frame
 * is not such a packet (it is then left untouched). Lengths are validated
 * before any field is read. */
int cksum_fill_l4(uint8_t *frame, size_t len);

#endif
