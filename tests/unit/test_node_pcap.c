/* test_node_pcap.c: the capture writer: file and record headers byte for
 * byte, microsecond and nanosecond stamps, truncation, errors, and that
 * tcpdump reads the result. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fake_stack.h"
#include "pcap.h"

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

static size_t slurp(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static void tmpname(char *buf, size_t len, const char *tag)
{
	snprintf(buf, len, "/tmp/nb_test_pcap_%d_%s.pcap", (int)getpid(), tag);
}

static void test_usec_file(void **st)
{
	(void)st;
	char path[128];
	tmpname(path, sizeof path, "us");
	struct pcap_writer *p = pcap_open(path);
	assert_non_null(p);
	/* Frames from a real stack: an ARP request, then (after the reply) ICMP. */
	struct fake_stack *fs = fake_stack_new(1, 0);
	uint8_t data[8] = "abcdefgh";
	assert_int_equal(icmp_echo_send(&fs->s, FAKE_PEER0, 0x4242, 1, data, 8, 0), 0);
	uint8_t f[64];
	size_t n = fake_arp_frame(f, FAKE_MAC0, ARP_OP_REPLY, FAKE_PEER_MAC0, FAKE_PEER0, FAKE_MAC0, FAKE_IP0);
	fake_input(fs, 0, f, n);
	assert_int_equal(fake_nframes(fs), 2);
	const nb_time_t ts = NB_SEC(1700000000) + 123456789;
	for (size_t i = 0; i < 2; i++) {
		struct fake_frame *fr = fake_peek(fs, i);
		assert_int_equal(pcap_write(p, ts + i, fr->data, fr->len), 0);
	}
	assert_int_equal(pcap_close(p), 0);

	uint8_t buf[1024];
	size_t len = slurp(path, buf, sizeof buf);
	assert_int_equal(len, 24 + 16 + 42 + 16 + 14 + 20 + 16);
	assert_int_equal(rd32(buf), PCAP_MAGIC_USEC);
	assert_int_equal(rd16(buf + 4), 2);
	assert_int_equal(rd16(buf + 6), 4);
	assert_int_equal(rd32(buf + 8), 0);
	assert_int_equal(rd32(buf + 16), PCAP_SNAPLEN);
	assert_int_equal(rd32(buf + 20), PCAP_LINKTYPE_ETHERNET);
	assert_int_equal(rd32(buf + 24), 1700000000);
	assert_int_equal(rd32(buf + 28), 123456);           /* microseconds, truncated */
	assert_int_equal(rd32(buf + 32), 42);
	assert_int_equal(rd32(buf + 36), 42);
	assert_memory_equal(buf + 40, fake_peek(fs, 0)->data, 42);

	if (access("/usr/bin/tcpdump", X_OK) == 0 || access("/usr/sbin/tcpdump", X_OK) == 0) {
		char cmd[256], out[2048] = "";
		snprintf(cmd, sizeof cmd, "tcpdump -nn -r %s 2>/dev/null", path);
		FILE *t = popen(cmd, "r");
		assert_non_null(t);
		size_t got = fread(out, 1, sizeof out - 1, t);
		out[got] = 0;
		assert_int_equal(pclose(t), 0);
		assert_non_null(strstr(out, "ARP, Request who-has 10.0.0.2 tell 10.0.0.1"));
		assert_non_null(strstr(out, "10.0.0.1 > 10.0.0.2: ICMP echo request, id 16962, seq 1"));
	}
	fake_stack_free(fs);
	unlink(path);
}

static void test_nsec_and_truncation(void **st)
{
	(void)st;
	char path[128];
	tmpname(path, sizeof path, "ns");
	struct pcap_writer *p = pcap_open_nsec(path);
	assert_non_null(p);
	size_t big = PCAP_SNAPLEN + 100;
	uint8_t *frame = calloc(1, big);
	assert_non_null(frame);
	assert_int_equal(pcap_write(p, NB_SEC(5) + 7, frame, big), 0);
	assert_int_equal(pcap_write(p, 0, NULL, 0), 0);
	assert_int_equal(pcap_write(p, 0, NULL, 5), -EINVAL);
	assert_int_equal(pcap_flush(p), 0);
	assert_int_equal(pcap_close(p), 0);
	uint8_t *buf = malloc(big + 64);
	size_t len = slurp(path, buf, big + 64);
	assert_int_equal(len, 24 + 16 + PCAP_SNAPLEN + 16);
	assert_int_equal(rd32(buf), PCAP_MAGIC_NSEC);
	assert_int_equal(rd32(buf + 24), 5);
	assert_int_equal(rd32(buf + 28), 7);
	assert_int_equal(rd32(buf + 32), PCAP_SNAPLEN);
	assert_int_equal(rd32(buf + 36), big);
	free(buf);
	free(frame);
	unlink(path);
	assert_null(pcap_open("/nonexistent-dir/x.pcap"));
	assert_int_equal(errno, ENOENT);
	assert_int_equal(pcap_close(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usec_file),
		cmocka_unit_test(test_nsec_and_truncation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
