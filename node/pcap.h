/* pcap.h: a classic libpcap capture file writer (LINKTYPE_ETHERNET), for
 * `tcpdump -r` and Wireshark. This is an edge: it does file I/O.
 *
 * File header (24 bytes, written in host byte order; readers detect the
 * order from the magic):
 *   +---------------+-------+-------+---------------+---------------+
 *   | magic (4)     | major | minor | thiszone (4)  | sigfigs (4)   |
 *   |               | 2 (2) | 4 (2) |               |               |
 *   +---------------+-------+-------+---------------+---------------+
 *   | snaplen (4)   | linktype (4) = 1 (Ethernet)   |
 *   +---------------+-------------------------------+
 *   magic 0xa1b2c3d4: record timestamps in microseconds
 *   magic 0xa1b23c4d: record timestamps in nanoseconds
 *
 * Record header (16 bytes) before each frame:
 *   +---------------+---------------+---------------+---------------+
 *   | ts_sec (4)    | ts_usec/nsec  | incl_len (4)  | orig_len (4)  |
 *   +---------------+---------------+---------------+---------------+
 */
#ifndef NB_PCAP_H
#define NB_PCAP_H

#include "nb.h"

#define PCAP_MAGIC_USEC 0xa1b2c3d4u
#define PCAP_MAGIC_NSEC 0xa1b23c4du
#define PCAP_LINKTYPE_ETHERNET 1
#define PCAP_SNAPLEN 262144u

struct pcap_writer;

/* pcap_open: creates (truncates) path and writes a microsecond header.
 * NULL with errno set on failure. */
struct pcap_writer *pcap_open(const char *path);
/* pcap_open_nsec: the same with nanosecond timestamps (tcpdump >= 4.6). */
struct pcap_writer *pcap_open_nsec(const char *path);
/* pcap_write: one frame seen at ts_ns (nanoseconds since the epoch for
 * wall-clock captures; any origin works). Frames above the snap length are
 * truncated (orig_len keeps the true length). 0 or -errno. */
int pcap_write(struct pcap_writer *p, nb_time_t ts_ns, const uint8_t *frame, size_t len);
/* pcap_flush: pushes buffered records to the file. 0 or -errno. */
int pcap_flush(struct pcap_writer *p);
/* pcap_close: flushes and closes; NULL is harmless. 0 or -errno (the first
 * write error seen, if any). */
int pcap_close(struct pcap_writer *p);

#endif
