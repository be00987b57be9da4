/*
 * loadgen.c: load generator for echo servers (bench/echo.sh).
 *
 * Opens -c connections to 127.0.0.1:PORT (at most -C connecting at once,
 * so a small accept queue never drops SYNs into 1 s retries), proves each
 * one is served with a 1-byte echo, then runs one mode:
 *
 *  bulk	every connection streams bytes as fast as the server echoes
 *		them, at most -W bytes unechoed per connection;
 *  pingpong	every connection sends -s bytes and waits for their echo,
 *		over and over (round trips);
 *  idle	hold every connection open for -k seconds, then check that
 *		each one still echoes -s bytes.
 *
 * Every echoed byte is compared with what was sent: connection i sends a
 * stream taken from a random pattern at an offset of its own, so a byte
 * echoed to the wrong client or out of order shows up.  Bulk and pingpong
 * run -w seconds of warm-up, then measure -d seconds.
 *
 * Connecting must finish within -T seconds (default 60); in idle mode a
 * server too slow for that is measured on the connections it accepted in
 * time (connect_s=>T, ready=N).
 *
 * With -P PID (the server) it also reads the server's CPU time from
 * /proc/PID/stat over the measured window and its VmRSS before the first
 * connect and while all connections are held.
 *
 * Prints one line of key=value pairs on stdout.  Exit 0 when every
 * connection worked and every byte matched, 1 otherwise.
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PAT	(1u << 20)	/* pattern period */
#define CHUNK	65536		/* largest single send or recv */

enum mode { BULK, PINGPONG, IDLE };
enum state { CONNECTING, HELLO, READY, PING, STREAM, VERIFY, DONE, DEAD };

struct conn {
	int		 fd;
	uint8_t		 state;
	uint32_t	 base;		/* this connection's pattern offset */
	uint64_t	 sent;		/* stream bytes (bulk) or messages */
	uint64_t	 recvd;
	uint32_t	 mlen;		/* current message: length, */
	uint32_t	 msent;		/* bytes sent, */
	uint32_t	 mgot;		/* bytes echoed */
};

static char	*pat;		/* PAT + CHUNK bytes: the tail repeats the head */
static char	 rbuf[CHUNK];
static int	 ep;
static enum mode mode;
static size_t	 msgsize = 64, window = 256 * 1024;
static uint64_t	 total_bytes, total_rt;
static size_t	 nready, nverified, nverified_ok, inflight, nerrors;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* /proc/PID/FILE, or NULL (also for no pid). */
static FILE *
proc_open(int pid, const char *file)
{
	char path[64];

	if (pid <= 0)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	return fopen(path, "r");
}

/* utime + stime of pid in seconds, or -1. */
static double
proc_cpu(int pid)
{
	char line[1024], *p;
	unsigned long ut, st;
	FILE *fp;

	if ((fp = proc_open(pid, "stat")) == NULL)
		return -1;
	p = fgets(line, sizeof(line), fp);
	fclose(fp);
	/* Fields after the parenthesised command: state is field 3. */
	if (p == NULL || (p = strrchr(line, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / sysconf(_SC_CLK_TCK);
}

/* VmRSS of pid in KiB, or -1. */
static long
proc_rss(int pid)
{
	char line[256];
	long kb = -1;
	FILE *fp;

	if ((fp = proc_open(pid, "status")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(fp);
	return kb;
}

static void
fail(struct conn *c, const char *what, int e)
{
	if (nerrors++ < 5)
		fprintf(stderr, "loadgen: connection fd %d: %s%s%s\n", c->fd,
		    what, e ? ": " : "", e ? strerror(e) : "");
	if (c->state == CONNECTING || c->state == HELLO) {
		inflight--;
		nready++;
	} else if (c->state == VERIFY)
		nverified++;
	close(c->fd);
	c->state = DEAD;
}

static const char *
msg_bytes(const struct conn *c)
{
	return pat + (c->base + c->sent * msgsize) % PAT;
}

static void
begin_msg(struct conn *c, enum state st, uint32_t len)
{
	c->state = st;
	c->mlen = len;
	c->msent = c->mgot = 0;
}

/* Finished one exchange: what comes next. 0 to go on, -1 to stop. */
static int
msg_done(struct conn *c)
{
	c->sent++;
	switch (c->state) {
	case HELLO:
		c->state = READY;
		inflight--;
		nready++;
		return -1;
	case PING:
		total_rt++;
		begin_msg(c, PING, msgsize);
		return 0;
	default:
		c->state = DONE;
		nverified++;
		nverified_ok++;
		return -1;
	}
}

/* Send the current message, read its echo; repeat while progress. */
static void
exchange(struct conn *c)
{
	ssize_t n;

	for (;;) {
		if (c->msent < c->mlen) {
			n = send(c->fd, msg_bytes(c) + c->msent,
			    c->mlen - c->msent, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno != EAGAIN)
					fail(c, "send", errno);
				return;
			}
			c->msent += n;
			continue;
		}
		n = recv(c->fd, rbuf, c->mlen - c->mgot, 0);
		if (n <= 0) {
			if (n == 0)
				fail(c, "closed by server", 0);
			else if (errno != EAGAIN)
				fail(c, "recv", errno);
			return;
		}
		if (memcmp(rbuf, msg_bytes(c) + c->mgot, n) != 0) {
			fail(c, "echoed bytes differ", 0);
			return;
		}
		if ((c->mgot += n) == c->mlen && msg_done(c) == -1)
			return;
	}
}

/* Bulk: keep up to window bytes unechoed, verify what comes back. */
static void
stream(struct conn *c)
{
	size_t len, pos;
	ssize_t n;
	int blocked = 0;

	for (;;) {
		while (!blocked && c->sent - c->recvd < window) {
			len = window - (c->sent - c->recvd);
			if (len > CHUNK)
				len = CHUNK;
			n = send(c->fd, pat + (c->base + c->sent) % PAT, len,
			    MSG_NOSIGNAL);
			if (n < 0) {
				if (errno != EAGAIN) {
					fail(c, "send", errno);
					return;
				}
				blocked = 1;
			} else
				c->sent += n;
		}
		n = recv(c->fd, rbuf, CHUNK, 0);
		if (n <= 0) {
			if (n == 0)
				fail(c, "closed by server", 0);
			else if (errno != EAGAIN)
				fail(c, "recv", errno);
			return;
		}
		pos = (c->base + c->recvd) % PAT;
		if (memcmp(rbuf, pat + pos, n) != 0) {
			fail(c, "echoed bytes differ", 0);
			return;
		}
		c->recvd += n;
		total_bytes += n;
		/* Room in the window again: try sending even if blocked. */
		blocked = 0;
	}
}

static void
service(struct conn *c)
{
	socklen_t sl = sizeof(int);
	int e = 0;
	ssize_t n;

	switch (c->state) {
	case CONNECTING:
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &sl) == -1)
			e = errno;
		if (e != 0) {
			fail(c, "connect", e);
			return;
		}
		begin_msg(c, HELLO, 1);
		/* FALLTHROUGH */
	case HELLO:
	case PING:
	case VERIFY:
		exchange(c);
		break;
	case STREAM:
		stream(c);
		break;
	case READY:
		n = recv(c->fd, rbuf, 1, MSG_PEEK);
		if (n == 0)
			fail(c, "closed by server while idle", 0);
		else if (n > 0)
			fail(c, "unexpected data while idle", 0);
		break;
	default:
		break;
	}
}

static void
start_connect(struct conn *c, const struct sockaddr_in *sin)
{
	struct epoll_event ev;
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1)
		err(1, "socket (raise ulimit -n?)");
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->state = CONNECTING;
	inflight++;
	if (connect(c->fd, (const struct sockaddr *)sin, sizeof(*sin)) == -1 &&
	    errno != EINPROGRESS) {
		fail(c, "connect", errno);
		return;
	}
	ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
	ev.data.ptr = c;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) == -1)
		err(1, "epoll_ctl");
}

/*
 * Reset rather than close: 10,000 closes would leave as many TIME_WAIT
 * sockets that slow the next run's connects to a crawl.
 */
static struct conn *all_conns;
static size_t	 all_n;

static void
reset_all(void)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct conn *conns = all_conns;
	size_t i;

	for (i = 0; i < all_n; i++)
		if (conns[i].state != DEAD && conns[i].fd > 0) {
			setsockopt(conns[i].fd, SOL_SOCKET, SO_LINGER, &lg,
			    sizeof(lg));
			close(conns[i].fd);
		}
}

static void
usage(void)
{
	fprintf(stderr, "usage: loadgen -p port [-m bulk|pingpong|idle] "
	    "[-c conns] [-C connecting]\n"
	    "               [-d secs] [-w warmup] [-k hold] [-s msgsize] "
	    "[-W window] [-T limit] [-P server_pid]\n");
	exit(2);
}

/* Run the loop until done() says so or the deadline passes. */
static int
pump(struct conn *conns, size_t n, int (*done)(size_t), double deadline,
    const struct sockaddr_in *sin, size_t *next, size_t max_connecting)
{
	struct epoll_event evs[1024];
	int i, k;

	while (!done(n)) {
		while (*next < n && inflight < max_connecting)
			start_connect(&conns[(*next)++], sin);
		if (now() > deadline)
			return -1;
		k = epoll_wait(ep, evs, 1024, 10);
		for (i = 0; i < k; i++)
			service(evs[i].data.ptr);
	}
	return 0;
}

static int
all_ready(size_t n)
{
	return nready == n;
}

static int
all_verified(size_t n)
{
	return nverified == n;
}

static double stop_at;

static int
time_up(size_t n)
{
	(void)n;
	return now() >= stop_at;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin;
	struct conn *conns;
	size_t n = 1, next = 0, maxc = 256, i, n_ok = 0;
	double dur = 2, warm = 0.5, hold = 1, limit = 60, t0, t_conn, t1, c0 = 0, c1 = 0;
	double s0 = 0, s1 = 0, tv;
	uint64_t b0 = 0, r0 = 0;
	long rss0, rss1 = -1, rss2;
	int ch, port = -1, pid = 0, partial = 0;
	char *m = "bulk";

	while ((ch = getopt(argc, argv, "C:c:d:k:m:P:p:s:T:W:w:")) != -1) {
		switch (ch) {
		case 'C': maxc = strtoul(optarg, NULL, 10); break;
		case 'c': n = strtoul(optarg, NULL, 10); break;
		case 'd': dur = strtod(optarg, NULL); break;
		case 'k': hold = strtod(optarg, NULL); break;
		case 'm': m = optarg; break;
		case 'P': pid = atoi(optarg); break;
		case 'p': port = atoi(optarg); break;
		case 's': msgsize = strtoul(optarg, NULL, 10); break;
		case 'T': limit = strtod(optarg, NULL); break;
		case 'W': window = strtoul(optarg, NULL, 10); break;
		case 'w': warm = strtod(optarg, NULL); break;
		default: usage();
		}
	}
	if (strcmp(m, "bulk") == 0)
		mode = BULK;
	else if (strcmp(m, "pingpong") == 0)
		mode = PINGPONG;
	else if (strcmp(m, "idle") == 0)
		mode = IDLE;
	else
		usage();
	if (port <= 0 || port > 65535 || n == 0 || maxc == 0 ||
	    msgsize == 0 || msgsize > CHUNK || window == 0)
		usage();
	signal(SIGPIPE, SIG_IGN);

	if ((pat = malloc(PAT + CHUNK)) == NULL ||
	    (conns = calloc(n, sizeof(*conns))) == NULL)
		err(1, "malloc");
	srandom(12345);
	for (i = 0; i < PAT; i++)
		pat[i] = (char)(random() >> 7);
	memcpy(pat + PAT, pat, CHUNK);
	all_conns = conns;
	all_n = n;
	atexit(reset_all);
	for (i = 0; i < n; i++)
		conns[i].base = (uint32_t)((i * 7919 * 64 + i) % PAT);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		err(1, "epoll_create1");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	rss0 = proc_rss(pid);
	t0 = now();
	if (pump(conns, n, all_ready, t0 + limit, &sin, &next, maxc) == -1) {
		if (mode != IDLE)
			errx(1, "timed out connecting (%zu of %zu ready)",
			    nready, n);
		/* A slow server: go on with those it accepted in time. */
		partial = 1;
		for (i = 0; i < next; i++)
			if (conns[i].state == CONNECTING ||
			    conns[i].state == HELLO) {
				close(conns[i].fd);
				conns[i].state = DEAD;
			}
		for (; i < n; i++)
			conns[i].state = DEAD;
		next = n;
		inflight = 0;
	}
	for (i = 0; i < n; i++)
		n_ok += conns[i].state == READY;
	t_conn = now() - t0;

	if (mode == IDLE) {
		rss1 = proc_rss(pid);
		stop_at = now() + hold;
		pump(conns, n, time_up, stop_at + 1, &sin, &next, maxc);
		rss2 = proc_rss(pid);
		if (rss2 > rss1)
			rss1 = rss2;
		t1 = now();
		for (i = 0; i < n; i++)
			if (conns[i].state == READY) {
				begin_msg(&conns[i], VERIFY, msgsize);
				exchange(&conns[i]);
			} else if (conns[i].state == DEAD)
				nverified++;
		if (pump(conns, n, all_verified, t1 + 60, &sin, &next,
		    maxc) == -1)
			errx(1, "timed out verifying (%zu of %zu)", nverified,
			    n);
		tv = now() - t1;
		printf("mode=idle conns=%zu connect_s=%s%.3f verify_s=%.3f "
		    "ready=%zu verified=%zu errors=%zu rss_before_kb=%ld "
		    "rss_held_kb=%ld rss_per_conn_b=%.0f\n", n,
		    partial ? ">" : "", t_conn, tv, n_ok, nverified_ok, nerrors,
		    rss0, rss1, rss0 >= 0 && n_ok ? (rss1 - rss0) * 1024.0 / n_ok :
		    -1.0);
		return nerrors || nverified_ok != n_ok ? 1 : 0;
	}

	for (i = 0; i < n; i++) {
		if (conns[i].state != READY)
			continue;
		if (mode == BULK) {
			conns[i].state = STREAM;
			conns[i].sent = conns[i].recvd = 0;
			stream(&conns[i]);
		} else {
			begin_msg(&conns[i], PING, msgsize);
			exchange(&conns[i]);
		}
	}
	stop_at = now() + warm;
	pump(conns, n, time_up, stop_at + 1, &sin, &next, maxc);
	b0 = total_bytes;
	r0 = total_rt;
	c0 = self_cpu();
	s0 = proc_cpu(pid);
	t1 = now();
	stop_at = t1 + dur;
	pump(conns, n, time_up, stop_at + 1, &sin, &next, maxc);
	tv = now() - t1;
	c1 = self_cpu();
	s1 = proc_cpu(pid);
	printf("mode=%s conns=%zu connect_s=%.3f secs=%.3f mib_s=%.1f "
	    "rt_s=%.0f lg_cpu=%.2f srv_cpu=%.2f srv_us_per_rt=%.2f "
	    "srv_us_per_mib=%.1f errors=%zu\n", m, n, t_conn, tv,
	    (total_bytes - b0) / tv / 1048576.0, (total_rt - r0) / tv,
	    (c1 - c0) / tv, s0 >= 0 ? (s1 - s0) / tv : -1.0,
	    total_rt > r0 && s0 >= 0 ? (s1 - s0) * 1e6 / (total_rt - r0) : 0,
	    total_bytes > b0 && s0 >= 0 ?
	    (s1 - s0) * 1e6 / ((total_bytes - b0) / 1048576.0) : 0, nerrors);
	return nerrors ? 1 : 0;
}
