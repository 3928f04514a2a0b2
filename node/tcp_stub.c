/* tcp_stub.c: placeholder so the node links before TCP lands. The TCP work
 * deletes this file. Segments are counted and dropped. */
#include "tcp.h"

#include <errno.h>

int tcp_init(struct nb_stack *s) { (void)s; return 0; }
void tcp_free(struct nb_stack *s) { (void)s; }
void tcp_input(struct nb_stack *s, const struct ip_meta *ip, const uint8_t *p, size_t len)
{
	(void)ip; (void)p; (void)len;
	NB_COUNT(s, tcp_no_socket);
}
void tcp_ctlinput(struct nb_stack *s, int err, uint32_t src, uint32_t dst, const uint8_t *l4,
		  size_t l4len, uint32_t mtu)
{
	(void)s; (void)err; (void)src; (void)dst; (void)l4; (void)l4len; (void)mtu;
}
