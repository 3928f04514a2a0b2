/* udp_stub.c: placeholder so the node links before UDP and sockets land.
 * The socket/UDP work deletes this file. */
#include "ip.h"
#include "sock.h"

int udp_init(struct nb_stack *s);
void udp_free(struct nb_stack *s);
int udp_init(struct nb_stack *s) { (void)s; return 0; }
void udp_free(struct nb_stack *s) { (void)s; }
void udp_input(struct nb_stack *s, const struct ip_meta *ip, const uint8_t *p, size_t len)
{
	(void)ip; (void)p; (void)len;
	NB_COUNT(s, udp_no_port);
}
void udp_ctlinput(struct nb_stack *s, int err, uint32_t src, uint32_t dst, const uint8_t *l4, size_t l4len)
{
	(void)s; (void)err; (void)src; (void)dst; (void)l4; (void)l4len;
}
int sock_init(struct nb_stack *s) { (void)s; return 0; }
void sock_free(struct nb_stack *s) { (void)s; }
