/* cli_do.c: `nestbed do LAB STEP`: one script step, run live on a lab that
 * is up, by the process that holds it (the supervisor of `nestbed up` or
 * of a kept `nestbed run --keep`, which owns the lab's nodes).
 *
 *   nestbed do story 'link a:eth0 b:eth0 set loss 5%'
 *        │                 /run/nestbed/<P>-<lab>/_lab.sock
 *        └──── the step, one line ────> supervisor: parse against the lab's
 *        <──── "nestbed-do CODE N M\n"     topology, run (script_live.c)
 *              N bytes for stdout (the outcome line, socket tables)
 *              M bytes for stderr (parse errors)
 *
 * One request per connection, one at a time: a second `do` waits for the
 * first. CODE is the step's exit code: 0 it was done and its expectation
 * held, 1 it failed or could not be carried out, 2 it did not parse. The
 * socket is named "_lab.sock" (not "lab.sock") so that it can never be the
 * control socket of a host called "lab"; it is removed when the lab goes
 * down, and `nestbed clean` removes it with the other *.sock files. */
#include "cli.h"

#include "lab.h"
#include "script.h"
#include "topo.h"
#include "params.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define DO_SOCK "_lab.sock"
#define DO_HDR "nestbed-do"
#define DO_READ_MS 5000          /* a client has this long to send its step */

/* sock_addr: the lab's request socket under dir. false if the path is too long. */
static bool sock_addr(const char *dir, struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	return (size_t)snprintf(a->sun_path, sizeof(a->sun_path), "%s/%s", dir, DO_SOCK) < sizeof(a->sun_path);
}

/* write_all: the whole buffer, despite short writes; false on error. */
static bool write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* read_step: the request line (up to '\n' or end of stream) into buf.
 * Returns its length, -1 if nothing usable came, -2 if it was too long. */
static ssize_t read_step(int fd, char *buf, size_t len)
{
	size_t n = 0;
	struct timeval tv = {DO_READ_MS / 1000, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		if (n == len - 1)
			return -2;
		ssize_t r = read(fd, buf + n, len - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		n += (size_t)r;
		if (memchr(buf, '\n', n))
			break;
	}
	buf[n] = '\0';
	char *nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	return (ssize_t)strlen(buf);
}

/* answer: one request on connection fd. */
static void answer(struct script_live *lv, int fd)
{
	char line[TOPO_LINE_MAX + 2], hdr[64];
	char *out = NULL, *err = NULL;
	size_t outlen = 0, errlen = 0;
	FILE *fo = open_memstream(&out, &outlen), *fe = open_memstream(&err, &errlen);
	int code = 2;
	ssize_t n = read_step(fd, line, sizeof(line));
	if (!fo || !fe || !lv)
		code = 1;
	else if (n == -2)
		fprintf(fe, "live: a step is at most %d bytes\n", TOPO_LINE_MAX);
	else if (n >= 0)
		code = script_live_do(lv, line, fo, fe);
	if (fo)
		fclose(fo);
	if (fe)
		fclose(fe);
	if (n == -1 && !outlen && !errlen) {
		free(out);
		free(err);
		return; /* the client went away before saying anything */
	}
	snprintf(hdr, sizeof(hdr), DO_HDR " %d %zu %zu\n", code, out ? outlen : 0, err ? errlen : 0);
	bool sent = write_all(fd, hdr, strlen(hdr)) && (!out || write_all(fd, out, outlen));
	if (sent && err)
		write_all(fd, err, errlen); /* a client gone by now is no matter */
	free(out);
	free(err);
}

int cli_do_open(const struct lab *lab)
{
	struct sockaddr_un a;
	if (!sock_addr(lab->dir, &a))
		return -1;
	unlink(a.sun_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || chmod(a.sun_path, 0600) < 0 ||
			listen(fd, 16) < 0)) {
		close(fd);
		unlink(a.sun_path);
		fd = -1;
	}
	return fd;
}

void cli_do_serve(struct lab *lab, struct topo *t, int fd, bool (*stop)(void))
{
	struct script_live *lv = script_live_new(lab, t);
	while (!stop()) {
		struct pollfd p = {fd, POLLIN, 0};
		/* without a socket: still hold the lab until told to stop */
		int r = poll(&p, fd >= 0 ? 1 : 0, 200);
		script_live_poll(lv);
		if (r <= 0 || !(p.revents & POLLIN))
			continue;
		int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		answer(lv, c);
		close(c);
	}
	if (fd >= 0) {
		struct sockaddr_un a;
		close(fd);
		if (sock_addr(lab->dir, &a))
			unlink(a.sun_path);
	}
	script_live_free(lv);
}

/* ---- the client ---- */

/* The client's deadline (CLOCK_MONOTONIC ms; 0: none) and whether it passed. */
static long long do_deadline;
static bool do_timed_out;

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* read_by_deadline: read(2) that gives up (-1, ETIMEDOUT) at do_deadline. */
static ssize_t read_by_deadline(int fd, void *buf, size_t n)
{
	while (do_deadline) {
		long long left = do_deadline - mono_ms();
		if (left <= 0) {
			do_timed_out = true;
			errno = ETIMEDOUT;
			return -1;
		}
		struct pollfd p = {fd, POLLIN, 0};
		int k = poll(&p, 1, left > 1000 ? 1000 : (int)left);
		if (k > 0)
			break;
		if (k < 0 && errno != EINTR)
			return -1;
	}
	return read(fd, buf, n);
}

/* copy_out: n bytes from fd to f. false if the stream ended first. */
static bool copy_out(int fd, FILE *f, size_t n)
{
	char buf[8192];
	while (n > 0) {
		ssize_t r = read_by_deadline(fd, buf, n < sizeof(buf) ? n : sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		if (f)
			fwrite(buf, 1, (size_t)r, f);
		n -= (size_t)r;
	}
	if (f)
		fflush(f);
	return true;
}

/* read_header: "nestbed-do CODE N M\n" from fd. false if it did not come. */
static bool read_header(int fd, int *code, size_t *outlen, size_t *errlen)
{
	char hdr[64];
	size_t n = 0;
	while (n < sizeof(hdr) - 1) {
		ssize_t r = read_by_deadline(fd, hdr + n, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		if (hdr[n++] == '\n')
			break;
	}
	hdr[n] = '\0';
	return sscanf(hdr, DO_HDR " %d %zu %zu", code, outlen, errlen) == 3;
}

/* lab_name_ok: a lab name as `lab NAME` allows: [a-z0-9-], 1..12. */
static bool lab_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > TOPO_LAB_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

/* connect_lab: a connection to the lab's request socket, or -1 after
 * saying why (no such lab, a lab that takes no steps, no answer). */
static int connect_lab(const struct cli_common *c, const char *lab)
{
	char dir[PATH_MAX];
	struct sockaddr_un a;
	snprintf(dir, sizeof(dir), "/run/nestbed/%s-%s", c->prefix, lab);
	if (!sock_addr(dir, &a)) {
		fprintf(stderr, "nestbed do: the path of lab %s's socket is too long\n", lab);
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
		return fd;
	int e = errno;
	if (fd >= 0)
		close(fd);
	if (access(dir, F_OK) != 0)
		fprintf(stderr, "nestbed do: no lab named '%s' is up (nestbed list shows them)\n", lab);
	else if (e == ENOENT)
		fprintf(stderr, "nestbed do: lab '%s' takes no steps: only a lab held by `nestbed up`, or kept "
			"after a failure by `nestbed run --keep`, does\n", lab);
	else
		fprintf(stderr, "nestbed do: lab '%s' does not answer: %s\n", lab, strerror(e));
	return -1;
}

int cmd_do(int argc, char **argv, struct cli_common *c)
{
	static const char usage[] =
		"usage: nestbed do [--timeout T] LAB STEP\n"
		"Runs one script step (any step line of the topology language) on a lab that is up,\n"
		"e.g.  nestbed do story 'link a:eth0 b:eth0 set loss 5%'   nestbed do story 'kill b'\n"
		"      nestbed do story 'a: connect 10.0.0.2:80 as c'      nestbed do story 'dump sockets'\n"
		"Names given with `as` serve later steps. Several words are joined with spaces.\n"
		"--timeout T (e.g. 30s): give up waiting for the answer after T (exit 3; the lab\n"
		"finishes the step). Without it, `do` waits as long as the step takes.\n"
		"Exit: 0 done (its expectation held), 1 it failed, 2 bad step or usage, 3 no such lab\n"
		"or no answer in time.\n";
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage, stdout);
		return 0;
	}
	nb_time_t timeout = 0;
	char timeout_text[32] = "";
	if (argc >= 2 && !strcmp(argv[1], "--timeout")) {
		if (argc < 3 || nb_parse_time(argv[2], &timeout) || timeout == 0) {
			fprintf(stderr, "nestbed do: --timeout wants a time such as 30s or 500ms%s%s\n",
				argc >= 3 ? ", not " : "", argc >= 3 ? argv[2] : "");
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
		snprintf(timeout_text, sizeof(timeout_text), "%s", argv[2]);
		argv += 2;
		argc -= 2;
	}
	if (argc < 3 || !lab_name_ok(argv[1])) {
		if (argc >= 3)
			fprintf(stderr, "nestbed do: '%s' is not a lab name\n", argv[1]);
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	char line[TOPO_LINE_MAX + 2] = "";
	size_t n = 0;
	for (int i = 2; i < argc; i++) {
		int k = snprintf(line + n, sizeof(line) - n, "%s%s", i > 2 ? " " : "", argv[i]);
		if (k < 0 || (size_t)k >= sizeof(line) - n) {
			fprintf(stderr, "nestbed do: a step is at most %d bytes\n", TOPO_LINE_MAX);
			return EXIT_USAGE;
		}
		n += (size_t)k;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "nestbed do: needs root\n");
		return EXIT_ENV;
	}
	signal(SIGPIPE, SIG_IGN);
	int fd = connect_lab(c, argv[1]);
	if (fd < 0)
		return EXIT_ENV;
	if (timeout)
		do_deadline = mono_ms() + (long long)((timeout + 999999) / 1000000);
	int code;
	size_t outlen, errlen;
	line[n++] = '\n';
	bool ok = write_all(fd, line, n) && shutdown(fd, SHUT_WR) == 0 && read_header(fd, &code, &outlen, &errlen) &&
		  copy_out(fd, c->quiet && code == 0 ? NULL : stdout, outlen) && copy_out(fd, stderr, errlen);
	close(fd);
	if (!ok && do_timed_out) {
		fprintf(stderr, "nestbed do: no answer from lab '%s' within %s (it finishes the step; later steps "
			"wait for it)\n", argv[1], timeout_text);
		return EXIT_ENV;
	}
	if (!ok) {
		fprintf(stderr, "nestbed do: lab '%s' ended the step without an answer (is it going down?)\n", argv[1]);
		return EXIT_ENV;
	}
	return code;
}
