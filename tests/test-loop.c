/*
 * test-loop.c: the loop's pass model, ported from CPython 3.11's
 * test_asyncore where a case exists there: zero-timeout passes (poll(),
 * DispatcherWithSendTests.test_send), ExitNow, use_poll semantics
 * (test_readwrite's flag mapping) and descriptors closed behind the
 * library's back.  test-expt.c has urgent data and asyncore's defaults.
 */
#include "config.h"

#include <pthread.h>

#include "loop-helper.h"

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
	if ((lfd = listener(AF_INET, &ss, &len)) < 0)
		bail_out("cannot listen on 127.0.0.1:0");
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
	t0 = acore_now();
	while (acore_pending(d) > 0 && acore_now() - t0 < 10) {
		double t = acore_now();

		if (acore_loop_run(loop, 0.0, 1) != 1)
			break;
		if (acore_now() - t > 0.5)
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
	if ((lfd = listener(AF_INET, &ss, &len)) < 0)
		bail_out("cannot listen on 127.0.0.1:0");
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
	t0 = acore_now();
	rc = acore_loop_run(loop, 0.2, 0);
	ok(rc > 0 && acore_loop_size(loop) == 0,
	    "poll mode, fd closed behind our back: the loop ends (%d)", rc);
	is_str(trace, "L.close(-9) ", "...through handle_close (POLLNVAL)");
	ok(acore_now() - t0 < 3, "...within the sweep interval (%.2f s)", acore_now() - t0);
	acore_loop_free(loop);

	/* The same in select mode: -EBADF until the channel is closed. */
	loop = acore_loop_new();
	a = acore_dispatcher_new(loop, &rd, NULL);
	acore_set_socket(a, s1[1]);
	close(s1[1]);
	t0 = acore_now();
	is_int(acore_loop_run(loop, -1.0, 0), -EBADF,
	    "select mode, fd closed behind our back: endless loop fails -EBADF");
	ok(acore_now() - t0 < 3, "...within the sweep interval (%.2f s)", acore_now() - t0);
	is_int(acore_loop_run(loop, 0.0, 1), -EBADF,
	    "...and again on the next run, as select() raises again");
	is_int(acore_loop_size(loop), 1, "...the channel stays in the map");
	acore_close(a);
	is_int(acore_loop_run(loop, 0.0, 0), 0, "closing it clears the error");
	acore_loop_free(loop);
	acore_set_log_level(ACORE_LOG_WARN);
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
	test_use_poll();
	tap_plan_done();
	return tap_exit();
}
