/* pbuf.h: a packet buffer with headroom, for building frames inside out.
 *
 *   buf[0]            data                    data+len          buf[NB_PBUF_CAP]
 *   |<-- headroom -->|<------ packet ------->|<----- tailroom ----->|
 *
 * A transport writes its segment at data (after pbuf_reset), then IP and
 * Ethernet prepend their headers with pbuf_push(). The caller owns the pbuf;
 * callees never keep a pointer to it after returning (ARP copies a frame it
 * must hold while resolution is pending).
 */
#ifndef NB_PBUF_H
#define NB_PBUF_H

#include "nb.h"

#define NB_PBUF_HEADROOM 128                  /* >= 14 (eth) + 60 (ip) + slack */
#define NB_PBUF_CAP (NB_PBUF_HEADROOM + 65535 + 64)

struct pbuf {
	uint8_t *data;
	size_t len;
	uint8_t buf[NB_PBUF_CAP];
};

/* pbuf_reset: empty packet, data at the headroom mark. */
static inline void pbuf_reset(struct pbuf *pb) { pb->data = pb->buf + NB_PBUF_HEADROOM; pb->len = 0; }
/* pbuf_push: grows the packet at the front by n bytes; NULL if no headroom. */
static inline uint8_t *pbuf_push(struct pbuf *pb, size_t n)
{
	if ((size_t)(pb->data - pb->buf) < n)
		return NULL;
	pb->data -= n;
	pb->len += n;
	return pb->data;
}
/* pbuf_put: grows the packet at the back by n bytes; NULL if no tailroom. */
static inline uint8_t *pbuf_put(struct pbuf *pb, size_t n)
{
	size_t used = (size_t)(pb->data - pb->buf) + pb->len;
	if (NB_PBUF_CAP - used < n)
		return NULL;
	uint8_t *p = pb->data + pb->len;
	pb->len += n;
	return p;
}

#endif
