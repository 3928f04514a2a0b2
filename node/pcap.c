/* pcap.c: the capture file writer (see pcap.h). Records go through stdio's
 * buffer; the first write error sticks and is returned by later calls. */
#include "pcap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pcap_writer {
	FILE *f;
	bool nsec;
	int err;                /* first error, negative errno */
};

static void put32h(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }   /* host order */
static void put16h(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

static struct pcap_writer *open_with(const char *path, bool nsec)
{
	struct pcap_writer *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->f = fopen(path, "wb");
	if (!p->f) {
		int e = errno;
		free(p);
		errno = e;
		return NULL;
	}
	p->nsec = nsec;
	uint8_t h[24];
	put32h(h, nsec ? PCAP_MAGIC_NSEC : PCAP_MAGIC_USEC);
	put16h(h + 4, 2);
	put16h(h + 6, 4);
	put32h(h + 8, 0);
	put32h(h + 12, 0);
	put32h(h + 16, PCAP_SNAPLEN);
	put32h(h + 20, PCAP_LINKTYPE_ETHERNET);
	if (fwrite(h, sizeof h, 1, p->f) != 1 || fflush(p->f)) {
		int e = errno ? errno : EIO;
		fclose(p->f);
		free(p);
		errno = e;
		return NULL;
	}
	return p;
}

struct pcap_writer *pcap_open(const char *path) { return open_with(path, false); }
struct pcap_writer *pcap_open_nsec(const char *path) { return open_with(path, true); }

int pcap_write(struct pcap_writer *p, nb_time_t ts_ns, const uint8_t *frame, size_t len)
{
	if (!p || (!frame && len))
		return -EINVAL;
	if (p->err)
		return p->err;
	uint32_t incl = (uint32_t)NB_MIN(len, (size_t)PCAP_SNAPLEN);
	uint8_t h[16];
	put32h(h, (uint32_t)(ts_ns / NB_SEC(1)));
	put32h(h + 4, (uint32_t)(p->nsec ? ts_ns % NB_SEC(1) : ts_ns % NB_SEC(1) / 1000));
	put32h(h + 8, incl);
	put32h(h + 12, (uint32_t)NB_MIN(len, (size_t)UINT32_MAX));
	if (fwrite(h, sizeof h, 1, p->f) != 1 || (incl && fwrite(frame, incl, 1, p->f) != 1))
		p->err = -(errno ? errno : EIO);
	return p->err;
}

int pcap_flush(struct pcap_writer *p)
{
	if (!p)
		return -EINVAL;
	if (!p->err && fflush(p->f))
		p->err = -(errno ? errno : EIO);
	return p->err;
}

int pcap_close(struct pcap_writer *p)
{
	if (!p)
		return 0;
	int rc = pcap_flush(p);
	if (fclose(p->f) && !rc)
		rc = -(errno ? errno : EIO);
	free(p);
	return rc;
}
