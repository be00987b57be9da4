/*
 * test-loop.c: the loop's asyncore event model, ported from CPython 3.11's
 * test_asyncore where a case exists there: zero-timeout passes (poll()),
 * ExitNow, urgent data (handle_expt) over IPv4 and IPv6, use_poll
 * semantics, descriptors closed behind the library's back, and asyncore's
 * defaults on request (test_basic, test_unhandled).
 *
 * A hang is a failure: SIGALRM ends the program with a "not ok" line.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acore.h"
#include "tap.h"

static char trace[4096];
static const char *current = "";

static void
note(const char *fmt, ...)
{
	va_list ap;
	size_t n = strlen(trace);

	va_start(ap, fmt);
	vsnprintf(trace + n, sizeof(trace) - n, fmt, ap);
	va_end(ap);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
on_alarm(int signo)
{
	static const char msg[] = "not ok - hung in: ";

	(void)signo;
	write(1, msg, sizeof(msg) - 1);
	write(1, current, strlen(current));
	write(1, "\n", 1);
	_exit(1);
}

static void
guard(const char *what, unsigned secs)
{
	current = what;
	alarm(secs);
}

/* A loopback listener (plain blocking socket, not a channel); port in *sa. */
static int
listener(int family, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	int fd;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		*len = sizeof(*sin6);
	}
	if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)ss, *len) < 0 || listen(fd, 8) < 0 ||
	    getsockname(fd, (struct sockaddr *)ss, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Wait (bounded) until fd reports one of events. */
static int
wait_fd(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, 5000) == 1 && (p.revents & events);
}

static int
never(struct acore_dispatcher *d, void *arg)
{
	(void)d;
	(void)arg;
	return 0;
}

static int
always(struct acore_dispatcher *d, void *arg)
{
	(void)d;
	(void)arg;
	return 1;
}

static void
nothing(struct acore_dispatcher *d, void *arg)
{
	(void)d;
	(void)arg;
}

static void
rec_read(struct acore_dispatcher *d, void *arg)
{
	char buf[64];
	ssize_t n;

	(void)arg;
	note("%s.read ", acore_name(d));
	n = acore_recv(d, buf, sizeof(buf));
	if (n >= 0)
		note("(%zd) ", n);
}

static void
rec_write(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	note("%s.write ", acore_name(d));
}

static void
rec_close(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	note("%s.close(%d) ", acore_name(d), acore_close_reason(d));
	acore_close(d);
}

/* ------------------------------------------- 1. zero timeout: poll() */

static void
test_poll_once(void)
{
	static const struct acore_ops ops = { .handle_read = rec_read,
	    .handle_close = rec_close };
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *d;
	int sv[2];

	guard("poll once", 10);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	d = acore_dispatcher_new(loop, &ops, NULL);
	acore_set_name(d, "A");
	acore_set_socket(d, sv[0]);
	write(sv[1], "abc", 3);
	trace[0] = '\0';
	is_int(acore_loop_run(loop, 0.0, 1), 1,
	    "loop(timeout=0, count=1) runs one pass and returns");
	is_str(trace, "A.read (3) ", "...and dispatches what was ready");
	trace[0] = '\0';
	is_int(acore_loop_run(loop, 0.0, 1), 1,
	    "a zero-timeout pass with nothing ready returns too");
	is_str(trace, "", "...without calling a hook");

	/* loop(timeout=0): passes until the map is empty. */
	write(sv[1], "de", 2);
	close(sv[1]);
	trace[0] = '\0';
	ok(acore_loop_run(loop, 0.0, 0) >= 1,
	    "loop(timeout=0, count=None) runs until the map is empty");
	is_str(trace, "A.read (2) A.read A.close(0) (0) ",
	    "...reading the rest, then the end of stream");
	is_int(acore_loop_size(loop), 0, "...and the map is empty");
	acore_loop_free(loop);
	alarm(0);
}

/* The capture server: counts and checks every byte until EOF. */
struct capture {
	int	fd;
	size_t	got;
	int	bad;
};

static void *
capture(void *arg)
{
	struct capture *c = arg;
	char buf[65536];
	ssize_t n, j;

	while ((n = read(c->fd, buf, sizeof(buf))) > 0) {
		for (j = 0; j < n; j++)
			if (buf[j] != (char)('a' + (c->got + (size_t)j) % 26))
				c->bad = 1;
		c->got += (size_t)n;
	}
	return NULL;
}

/* DispatcherWithSendTests.test_send, with more than one send's worth. */
static void
test_with_send_polls(void)
{
	static const struct acore_ops noread = { .name = "noread",
	    .readable = never, .handle_connect = nothing };
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *d;
	struct sockaddr_storage ss;
	socklen_t len;
	size_t total = 0, i;
	char *big;
	struct capture cap = { -1, 0, 0 };
	int lfd, cfd, polls = 0, slow = 0;
	pthread_t tid;
	double t0;

	guard("with-send polls", 20);
	lfd = listener(AF_INET, &ss, &len);
	d = acore_dispatcher_with_send_new(loop, &noread, NULL);
	acore_create_socket(d, AF_INET, SOCK_STREAM);
	is_int(acore_connect(d, (struct sockaddr *)&ss, len), 0,
	    "with-send channel connects to the capture server");
	cfd = accept(lfd, NULL, NULL);
	close(lfd);
	cap.fd = cfd;
	pthread_create(&tid, NULL, capture, &cap);
	big = malloc(4 * 1024 * 1024);
	for (i = 0; i < 4 * 1024 * 1024; i++)
		big[i] = (char)('a' + i % 26);
	is_int(acore_send(d, big, 4 * 1024 * 1024), 4 * 1024 * 1024,
	    "acore_send queues 4 MiB");
	free(big);
	ok(acore_pending(d) > 0, "more than the socket takes at once");
	t0 = now();
	while (acore_pending(d) > 0 && now() - t0 < 10) {
		double t = now();

		if (acore_loop_run(loop, 0.0, 1) != 1)
			break;
		if (now() - t > 0.5)
			slow++;
		polls++;
	}
	is_int(acore_pending(d), 0, "repeated poll()s flush the queue");
	ok(polls >= 1, "...over %d zero-timeout passes", polls);
	is_int(slow, 0, "...none of which blocked");
	total = 4 * 1024 * 1024;
	acore_close(d);
	pthread_join(tid, NULL);
	close(cfd);
	ok(cap.got == total && !cap.bad,
	    "the peer got all %zu bytes, in order (%zu)", total, cap.got);
	acore_loop_free(loop);
	alarm(0);
}

/* ------------------------------------------------------- 4. ExitNow */

static void
stop_read(struct acore_dispatcher *d, void *arg)
{
	char buf[16];

	(void)arg;
	note("%s.read ", acore_name(d));
	acore_recv(d, buf, sizeof(buf));
	acore_loop_stop(acore_loop_of(d));
}

static int
stop_readable(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	note("%s.readable ", acore_name(d));
	acore_loop_stop(acore_loop_of(d));
	return 1;
}

static int
rec_readable(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	note("%s.readable ", acore_name(d));
	return 1;
}

static void
test_exit_now(void)
{
	static const struct acore_ops sa = { .handle_read = stop_read };
	static const struct acore_ops rd = { .handle_read = rec_read };
	static const struct acore_ops wr = { .handle_write = rec_write };
	static const struct acore_ops sr = { .readable = stop_readable,
	    .handle_read = rec_read };
	static const struct acore_ops rr = { .readable = rec_readable,
	    .handle_read = rec_read };
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *a, *b, *c;
	int s1[2], s2[2], s3[2];

	guard("exit now", 10);
	socketpair(AF_UNIX, SOCK_STREAM, 0, s1);
	socketpair(AF_UNIX, SOCK_STREAM, 0, s2);
	socketpair(AF_UNIX, SOCK_STREAM, 0, s3);
	a = acore_dispatcher_new(loop, &sa, NULL);
	b = acore_dispatcher_new(loop, &rd, NULL);
	c = acore_dispatcher_new(loop, &wr, NULL);
	acore_set_name(a, "A");
	acore_set_name(b, "B");
	acore_set_name(c, "C");
	acore_set_socket(a, s1[0]);
	acore_set_socket(b, s2[0]);
	acore_set_socket(c, s3[0]);
	write(s1[1], "x", 1);
	write(s2[1], "y", 1);
	trace[0] = '\0';
	is_int(acore_loop_run(loop, 1.0, 0), 1,
	    "stop from handle_read: the loop returns after that pass");
	is_str(trace, "A.read ",
	    "...leaving it at once: B's read and C's write are not served");
	is_int(acore_loop_size(loop), 3, "...and every channel stays in the map");
	trace[0] = '\0';
	is_int(acore_loop_run(loop, 1.0, 1), 1, "the next run");
	is_str(trace, "B.read (1) C.write ",
	    "...serves what the stopped pass left");
	acore_close(c);
	close(s3[1]);

	/* ExitNow from readable(): before the wait, nothing dispatched. */
	a = acore_dispatcher_new(loop, &sr, NULL);
	c = acore_dispatcher_new(loop, &rr, NULL);
	socketpair(AF_UNIX, SOCK_STREAM, 0, s3);
	acore_set_name(a, "D");
	acore_set_name(c, "E");
	acore_set_socket(a, s3[0]);
	write(s2[1], "z", 1);
	trace[0] = '\0';
	is_int(acore_loop_run(loop, 1.0, 0), 1,
	    "stop from readable(): one pass");
	is_str(trace, "D.readable ",
	    "...E is not asked and B's ready input waits");
	acore_loop_free(loop);
	close(s1[1]);
	close(s2[1]);
	close(s3[1]);
	alarm(0);
}

/* ------------------------------------------------- 2. handle_expt */

struct expt_state {
	int	expts;
	int	closes;
	int	reason;
	int	byte;
};

static void
expt_hook(struct acore_dispatcher *d, void *arg)
{
	struct expt_state *s = arg;
	unsigned char c;

	s->expts++;
	if (recv(acore_fd(d), &c, 1, MSG_OOB) == 1)
		s->byte = c;
}

static void
expt_close(struct acore_dispatcher *d, void *arg)
{
	struct expt_state *s = arg;

	s->closes++;
	s->reason = acore_close_reason(d);
	acore_close(d);
}

/* test_handle_expt: urgent data reaches handle_expt. */
static void
expt_case(int family, int use_poll, int reset)
{
	static const struct acore_ops client = { .name = "client",
	    .handle_connect = nothing, .handle_expt = expt_hook,
	    .handle_close = expt_close };
	const char *fam = family == AF_INET ? "IPv4" : "IPv6";
	const char *mode = use_poll ? "poll" : "select";
	struct expt_state st = { 0, 0, 0, -1 };
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *d;
	struct sockaddr_storage ss;
	struct linger lg = { 1, 0 };
	unsigned char oob = 244;
	socklen_t len;
	int lfd, sfd, n;

	if ((lfd = listener(family, &ss, &len)) < 0) {
		ok(1, "# SKIP no %s loopback", fam);
		ok(1, "# SKIP no %s loopback", fam);
		acore_loop_free(loop);
		return;
	}
	acore_loop_use_poll(loop, use_poll);
	d = acore_dispatcher_new(loop, &client, &st);
	acore_create_socket(d, family, SOCK_STREAM);
	acore_connect(d, (struct sockaddr *)&ss, len);
	sfd = accept(lfd, NULL, NULL);
	close(lfd);
	/* Connected first, so the reset cannot end the connect instead. */
	for (n = 0; n < 500 && !(acore_flags(d) & ACORE_CONNECTED); n++)
		acore_loop_run(loop, 0.01, 1);
	send(sfd, &oob, 1, MSG_OOB);
	if (reset) {
		/* Urgent data, then a reset: SO_ERROR is set when expt runs. */
		setsockopt(sfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(sfd);
		sfd = -1;
		wait_fd(acore_fd(d), POLLERR);
	}
	for (n = 0; n < 500 && st.expts == 0 && st.closes == 0; n++)
		acore_loop_run(loop, 0.01, 1);
	if (!reset) {
		ok(st.expts == 1 && st.byte == 244 && st.closes == 0,
		    "%s %s: urgent data reaches handle_expt (%d calls, "
		    "byte %d)", fam, mode, st.expts, st.byte);
		/* Read once, the urgent mark is gone: no second call. */
		acore_loop_run(loop, 0.05, 1);
		is_int(st.expts, 1, "%s %s: handle_expt once per urgent byte",
		    fam, mode);
	} else {
		ok(st.closes == 1 && st.expts == 0 && st.reason == -ECONNRESET,
		    "%s %s: urgent data with SO_ERROR set gives handle_close "
		    "(closes %d, expts %d, reason %d)", fam, mode, st.closes,
		    st.expts, st.reason);
		is_int(acore_loop_size(loop), 0, "%s %s: channel closed", fam,
		    mode);
	}
	if (sfd >= 0)
		close(sfd);
	acore_loop_free(loop);
}

static int
count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (dir == NULL)
		return -1;
	while ((e = readdir(dir)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(dir);
	return n - 1;	/* the DIR's own descriptor */
}

static void
test_expt(void)
{
	static const struct acore_ops plain = { .name = "plain",
	    .handle_read = rec_read };
	struct acore_loop *loop;
	struct acore_dispatcher *d;
	struct sockaddr_storage ss;
	unsigned char oob = 1;
	socklen_t len;
	int lfd, sfd, base;

	guard("handle_expt", 30);
	expt_case(AF_INET, 0, 0);
	expt_case(AF_INET, 1, 0);
	expt_case(AF_INET6, 0, 0);
	expt_case(AF_INET6, 1, 0);
	expt_case(AF_INET, 0, 1);
	expt_case(AF_INET, 1, 1);
	expt_case(AF_INET6, 0, 1);

	/* Without the hook nothing is added: no descriptor, no wake-up. */
	loop = acore_loop_new();
	lfd = listener(AF_INET, &ss, &len);
	d = acore_dispatcher_new(loop, &plain, NULL);
	acore_create_socket(d, AF_INET, SOCK_STREAM);
	acore_connect(d, (struct sockaddr *)&ss, len);
	sfd = accept(lfd, NULL, NULL);
	acore_loop_run(loop, 0.05, 1);	/* the connect event */
	base = count_fds();
	send(sfd, &oob, 1, MSG_OOB);
	trace[0] = '\0';
	acore_loop_run(loop, 0.05, 2);
	is_str(trace, "", "no hook: urgent data wakes nothing");
	is_int(count_fds(), base, "no hook: the loop opened no epoll set");
	close(sfd);
	close(lfd);
	acore_loop_free(loop);
	alarm(0);
}

/* ----------------------------------------------- 3. use_poll semantics */

static void
pair_loop(struct acore_loop *loop, const struct acore_ops *ops,
    struct acore_dispatcher **a, struct acore_dispatcher **b, int s1[2],
    int s2[2])
{
	socketpair(AF_UNIX, SOCK_STREAM, 0, s1);
	socketpair(AF_UNIX, SOCK_STREAM, 0, s2);
	*a = acore_dispatcher_new(loop, ops, NULL);
	*b = acore_dispatcher_new(loop, ops, NULL);
	acore_set_name(*a, "A");
	acore_set_name(*b, "B");
	acore_set_socket(*a, s1[0]);
	acore_set_socket(*b, s2[0]);
	write(s1[1], "1", 1);
	write(s2[1], "2", 1);
}

static void
note_read(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	note("%s.read ", acore_name(d));
}

/* A reset connection: select gives a read; poll a read, then a close. */
static const char *
reset_case(int use_poll)
{
	static const struct acore_ops ops = { .name = "R",
	    .handle_read = note_read, .handle_close = rec_close };
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *d;
	struct sockaddr_storage ss;
	struct linger lg = { 1, 0 };
	socklen_t len;
	int lfd, sfd;

	acore_loop_use_poll(loop, use_poll);
	lfd = listener(AF_INET, &ss, &len);
	d = acore_dispatcher_new(loop, &ops, NULL);
	acore_create_socket(d, AF_INET, SOCK_STREAM);
	acore_connect(d, (struct sockaddr *)&ss, len);
	sfd = accept(lfd, NULL, NULL);
	close(lfd);
	acore_loop_run(loop, 1.0, 1);	/* connect event (a read) */
	setsockopt(sfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(sfd);
	wait_fd(acore_fd(d), POLLERR);
	trace[0] = '\0';
	acore_loop_run(loop, 1.0, 1);
	acore_loop_free(loop);
	return trace;
}

/* A pipe whose writer left, with or without bytes still in it. */
static const char *
pipe_case(int use_poll, const char *left)
{
	static const struct acore_ops ops = { .name = "P",
	    .handle_read = rec_read, .handle_close = rec_close };
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *d;
	int p[2];

	acore_loop_use_poll(loop, use_poll);
	pipe(p);
	d = acore_file_new(loop, p[0], &ops, NULL);
	close(p[0]);
	if (*left != '\0')
		write(p[1], left, strlen(left));
	close(p[1]);
	trace[0] = '\0';
	acore_loop_run(loop, 1.0, 1);
	(void)d;
	acore_loop_free(loop);
	return trace;
}

static int busy_rc;

static void
try_switch(struct acore_dispatcher *d, void *arg)
{
	char c;

	(void)arg;
	acore_recv(d, &c, 1);
	busy_rc = acore_loop_use_poll(acore_loop_of(d), 0);
}

static void
test_use_poll(void)
{
	static const struct acore_ops rw = { .readable = always,
	    .writable = always, .handle_read = rec_read,
	    .handle_write = rec_write };
	static const struct acore_ops rd = { .name = "L",
	    .handle_read = note_read, .handle_close = rec_close };
	static const struct acore_ops busy = { .handle_read = try_switch };
	struct acore_loop *loop;
	struct acore_dispatcher *a, *b, *b2;
	int s1[2], s2[2], s3[2], rc;
	double t0;

	guard("use_poll", 30);
	loop = acore_loop_new();
	pair_loop(loop, &rw, &a, &b, s1, s2);
	socketpair(AF_UNIX, SOCK_STREAM, 0, s3);
	trace[0] = '\0';
	acore_loop_run(loop, 1.0, 1);
	is_str(trace, "A.read (1) B.read (1) A.write B.write ",
	    "select mode: all reads, then all writes");
	is_int(acore_loop_use_poll(loop, 1), 0, "acore_loop_use_poll(loop, 1)");
	b2 = acore_dispatcher_new(loop, &busy, NULL);
	acore_set_socket(b2, s3[0]);
	write(s3[1], "3", 1);
	acore_loop_run(loop, 1.0, 1);
	is_int(busy_rc, -EBUSY, "...but not inside a pass (-EBUSY)");
	acore_close(b2);
	close(s3[1]);
	write(s1[1], "1", 1);
	write(s2[1], "2", 1);
	trace[0] = '\0';
	acore_loop_run(loop, 1.0, 1);
	is_str(trace, "A.read (1) A.write B.read (1) B.write ",
	    "poll mode: each channel's read, then its write, in map order");
	acore_loop_free(loop);
	close(s1[1]);
	close(s2[1]);

	is_str(reset_case(0), "R.read ",
	    "select mode, reset connection: a read event");
	is_str(reset_case(1), "R.read R.close(-104) ",
	    "poll mode, reset connection: read, then handle_close (POLLHUP)");
	is_str(pipe_case(0, ""), "P.read P.close(0) (0) ",
	    "select mode, pipe whose writer left: a 0-byte read closes");
	is_str(pipe_case(1, ""), "P.close(0) ",
	    "poll mode, pipe whose writer left: handle_close only");
	is_str(pipe_case(1, "abc"), "P.read (3) P.close(0) ",
	    "poll mode, writer left bytes behind: read, then handle_close");

	/* Descriptor closed behind the library's back: poll mode. */
	loop = acore_loop_new();
	acore_loop_use_poll(loop, 1);
	socketpair(AF_UNIX, SOCK_STREAM, 0, s1);
	a = acore_dispatcher_new(loop, &rd, NULL);
	acore_set_socket(a, s1[0]);
	acore_set_log_level(ACORE_LOG_ERROR);
	close(s1[0]);
	trace[0] = '\0';
	t0 = now();
	rc = acore_loop_run(loop, 0.2, 0);
	ok(rc > 0 && acore_loop_size(loop) == 0,
	    "poll mode, fd closed behind our back: the loop ends (%d)", rc);
	is_str(trace, "L.close(-9) ", "...through handle_close (POLLNVAL)");
	ok(now() - t0 < 3, "...within the sweep interval (%.2f s)", now() - t0);
	acore_loop_free(loop);

	/* The same in select mode: -EBADF until the channel is closed. */
	loop = acore_loop_new();
	a = acore_dispatcher_new(loop, &rd, NULL);
	acore_set_socket(a, s1[1]);
	close(s1[1]);
	t0 = now();
	is_int(acore_loop_run(loop, -1.0, 0), -EBADF,
	    "select mode, fd closed behind our back: endless loop fails -EBADF");
	ok(now() - t0 < 3, "...within the sweep interval (%.2f s)", now() - t0);
	is_int(acore_loop_run(loop, 0.0, 1), -EBADF,
	    "...and again on the next run, as select() raises again");
	is_int(acore_loop_size(loop), 1, "...the channel stays in the map");
	acore_close(a);
	is_int(acore_loop_run(loop, 0.0, 0), 0, "closing it clears the error");
	acore_loop_free(loop);
	acore_set_log_level(ACORE_LOG_WARN);
	alarm(0);
}

/* ------------------------------------------- 5. asyncore's defaults */

static char logbuf[4096];

static void
sink(int level, const char *name, const char *msg, size_t len)
{
	size_t n = strlen(logbuf);

	snprintf(logbuf + n, sizeof(logbuf) - n, "%s %s: %.*s\n",
	    level == ACORE_LOG_WARN ? "warning" : "other", name, (int)len,
	    msg);
}

static void
test_defaults(void)
{
	static const struct acore_ops bare = { .name = "bare",
	    .flags = ACORE_OPS_ASYNCORE };
	static const struct acore_ops idle = { .name = "idle" };
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *d, *l;
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned char oob = 1;
	char buf[8];
	int sv[2], lfd, sfd, cfd;
	double t0;

	guard("asyncore defaults", 20);
	acore_set_log(sink);
	/* test_basic: readable and writable; without the flag, neither. */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	d = acore_dispatcher_new(loop, &idle, NULL);
	acore_set_socket(d, sv[0]);
	write(sv[1], "x", 1);
	logbuf[0] = '\0';
	acore_loop_run(loop, 0.05, 1);
	is_str(logbuf, "", "idle-free default: a bare channel is not watched");
	acore_close(d);
	close(sv[1]);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	d = acore_dispatcher_new(loop, &bare, NULL);
	acore_set_socket(d, sv[0]);
	logbuf[0] = '\0';
	acore_loop_run(loop, 1.0, 1);
	is_str(logbuf, "warning bare: unhandled write event\n",
	    "ACORE_OPS_ASYNCORE: a bare channel is writable");
	write(sv[1], "x", 1);
	logbuf[0] = '\0';
	acore_loop_run(loop, 1.0, 1);
	is_str(logbuf, "warning bare: unhandled read event\n"
	    "warning bare: unhandled write event\n",
	    "...and readable: both default handlers log, reads first");
	acore_close(d);
	close(sv[1]);

	/* dispatcher_with_send.writable(): (not connected) or out_buffer */
	d = acore_dispatcher_with_send_new(loop, &bare, NULL);
	acore_create_socket(d, AF_INET, SOCK_STREAM);
	t0 = now();
	acore_loop_run(loop, 5.0, 1);
	ok(now() - t0 < 2.5, "with-send, not connected: writable, the pass "
	    "does not sleep (%.2f s)", now() - t0);
	acore_close(d);

	/* test_unhandled: connect, write, urgent data, close, accepted. */
	lfd = listener(AF_INET, &ss, &len);
	d = acore_dispatcher_new(loop, &bare, NULL);
	acore_create_socket(d, AF_INET, SOCK_STREAM);
	acore_connect(d, (struct sockaddr *)&ss, len);
	sfd = accept(lfd, NULL, NULL);
	logbuf[0] = '\0';
	acore_loop_run(loop, 1.0, 1);
	is_str(logbuf, "warning bare: unhandled connect event\n"
	    "warning bare: unhandled write event\n",
	    "first event: unhandled connect event, then the write event");
	send(sfd, &oob, 1, MSG_OOB);
	wait_fd(acore_fd(d), POLLPRI);
	logbuf[0] = '\0';
	acore_loop_run(loop, 1.0, 1);
	is_str(logbuf, "warning bare: unhandled write event\n"
	    "warning bare: unhandled incoming priority event\n",
	    "urgent data: unhandled incoming priority event, after the writes");
	acore_close(d);
	close(sfd);

	/* The default handle_accepted closes the socket and says so. */
	l = acore_dispatcher_new(loop, &bare, NULL);
	acore_set_name(l, "server");
	acore_set_socket(l, lfd);
	acore_listen(l, 5);
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	connect(cfd, (struct sockaddr *)&ss, len);
	logbuf[0] = '\0';
	acore_loop_run(loop, 1.0, 1);
	is_str(logbuf, "warning server: unhandled accepted event\n",
	    "listener: unhandled accepted event (never a write event)");
	is_int(read(cfd, buf, sizeof(buf)), 0, "...and the connection is closed");
	close(cfd);
	acore_close(l);

	/* The default handle_close logs and closes. */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	d = acore_dispatcher_new(loop, &bare, NULL);
	acore_set_socket(d, sv[0]);
	close(sv[1]);
	logbuf[0] = '\0';
	acore_recv(d, buf, sizeof(buf));
	is_str(logbuf, "warning bare: unhandled close event\n",
	    "end of stream: unhandled close event");
	is_int(acore_loop_size(loop), 0, "...and the default closes");
	acore_set_log(NULL);
	acore_loop_free(loop);
	alarm(0);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	test_poll_once();
	test_with_send_polls();
	test_exit_now();
	test_expt();
	test_use_poll();
	test_defaults();
	tap_plan_done();
	return tap_exit();
}
