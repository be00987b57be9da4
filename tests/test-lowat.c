/*
 * test-lowat.c: acore_set_expected against a real TCP peer, plain and over
 * TLS.  The channel may hold its wake for a batch (SO_RCVLOWAT), so what
 * must never happen is a mark above the bytes still on their way to the
 * socket: every read checks that, with the peer done writing, from the
 * socket's own queue and the sender's.  And the batching must happen at
 * all, must end when the stream stalls, and must leave nothing armed when
 * the channel closes or the loop is freed.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <linux/sockios.h>

#include <fcntl.h>

#include "loop-helper.h"
#include "tls-cert.h"

#define BODY	(3 * 1024 * 1024 + 12345)	/* odd: no record boundary */

struct rd {
	unsigned char	*buf;
	size_t		 got;
	uint64_t	 expect;	/* what the test told the channel */
	int		 peer_fd;	/* the sender's socket, for its queue */
	int		 peer_done;	/* it has written everything */
	int		 max_mark;
	int		 bad;		/* reads that found the mark too high */
	int		 reads;
	int		 closed;
	int		 hold;		/* readable() says no: let bytes pile up */
	int		 reason;	/* acore_close_reason at handle_close */
	int		 err;		/* handle_error's */
};

static int
mark_of(int fd)
{
	int v = -1;
	socklen_t len = sizeof(v);

	return getsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &v, &len) == 0 ? v : -1;
}

/* Bytes queued at fd to read (SIOCINQ) or not yet acknowledged (SIOCOUTQ). */
static int
queued(int fd, unsigned long req)
{
	int n = 0;

	return ioctl(fd, req, &n) == 0 ? n : 0;
}

static void
lw_read(struct acore_dispatcher *d, void *arg)
{
	struct rd *r = arg;
	ssize_t n;
	int mark, coming;

	n = acore_recv(d, r->buf + r->got, BODY + 1 - r->got);
	if (n <= 0)
		return;
	r->got += (size_t)n;
	r->reads++;
	mark = mark_of(acore_fd(d));
	if (mark > r->max_mark)
		r->max_mark = mark;
	/* Everything not yet read is in one of the two queues. */
	coming = queued(acore_fd(d), SIOCINQ) + queued(r->peer_fd, SIOCOUTQ);
	if (r->peer_done && mark > 1 && mark > coming) {
		diag("read %d: mark %d, %d bytes to come", r->reads, mark,
		    coming);
		r->bad++;
	}
}

static void
lw_close(struct acore_dispatcher *d, void *arg)
{
	struct rd *r = arg;

	r->closed = 1;
	r->reason = acore_close_reason(d);
	acore_close(d);
}

static void
lw_error(struct acore_dispatcher *d, int err, void *arg)
{
	struct rd *r = arg;

	r->err = err;
	r->closed = 1;
	acore_close(d);
}

static int
lw_readable(struct acore_dispatcher *d, void *arg)
{
	(void)d;
	return !((struct rd *)arg)->hold;
}

static const struct acore_ops lw_ops = {
	.name = "client",
	.readable = lw_readable,
	.handle_read = lw_read,
	.handle_close = lw_close,
	.handle_error = lw_error,
};

static unsigned char	*src;

/* Run the loop a pass at a time until cond or the bounds run out. */
#define RUN_UNTIL(loop, cond) do {					\
	double end_ = acore_now() + 10;					\
	int i_;								\
	for (i_ = 0; i_ < 200000 && !(cond) && acore_now() < end_; i_++)\
		acore_loop_run((loop), 0.01, 1);			\
} while (0)

/* A client channel connected to a plain peer socket (blocking accept). */
static struct acore_dispatcher *
plain_pair(struct acore_loop *loop, const struct acore_ops *ops, struct rd *r)
{
	struct acore_dispatcher *c;
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd;

	if ((lfd = listener(AF_INET, &ss, &len)) < 0)
		return NULL;
	c = acore_dispatcher_new(loop, ops, r);
	acore_create_socket(c, AF_INET, SOCK_STREAM);
	acore_connect(c, (struct sockaddr *)&ss, len);
	if (!wait_fd(lfd, POLLIN) || (r->peer_fd = accept(lfd, NULL,
	    NULL)) < 0) {
		close(lfd);
		return NULL;
	}
	close(lfd);
	fcntl(r->peer_fd, F_SETFL, fcntl(r->peer_fd, F_GETFL) | O_NONBLOCK);
	return c;
}

/* Write src[*off, upto) to fd as far as it takes without blocking. */
static void
push(int fd, size_t *off, size_t upto)
{
	ssize_t n;

	while (*off < upto && (n = write(fd, src + *off, upto - *off)) > 0)
		*off += (size_t)n;
}

/*
 * A burst the channel reads at one go, as a fast stream's: PRIME bytes
 * queued at its socket before it may read them.  Then the mark is up.
 */
#define PRIME	(128 * 1024)

static void
prime(struct acore_loop *loop, struct acore_dispatcher *c, struct rd *r,
    size_t *off)
{
	size_t want = r->got + PRIME;

	r->hold = 1;
	RUN_UNTIL(loop, (push(r->peer_fd, off, want),
	    queued(acore_fd(c), SIOCINQ) >= PRIME));
	r->hold = 0;
	RUN_UNTIL(loop, r->got == want || r->closed);
}

/*
 * prime until the mark is up when it returns: a burst the kernel hands
 * over in two reads leaves the tail below the mark until the stall
 * timer lowers it again.
 */
static int
prime_up(struct acore_loop *loop, struct acore_dispatcher *c, struct rd *r,
    size_t *off)
{
	int i;

	for (i = 0; i < 10; i++) {
		prime(loop, c, r, off);
		if (mark_of(acore_fd(c)) > 1)
			return 1;
	}
	return 0;
}

/* The whole body, its end exact: no read waits on bytes not coming. */
static void
test_plain_exact(void)
{
	struct acore_loop *loop = acore_loop_new();
	struct rd r = { .buf = malloc(BODY + 1), .expect = BODY };
	struct acore_dispatcher *c;
	size_t off = 0;

	guard("plain exact", 30);
	if ((c = plain_pair(loop, &lw_ops, &r)) == NULL) {
		ok(0, "a connected pair");
		return;
	}
	is_int(acore_set_expected(c, BODY), 0, "acore_set_expected");
	prime(loop, c, &r, &off);
	RUN_UNTIL(loop, (push(r.peer_fd, &off, BODY), r.peer_done =
	    off == BODY, r.got == BODY));
	ok(r.got == BODY && memcmp(r.buf, src, BODY) == 0,
	    "all %d bytes, in order (%zu)", BODY, r.got);
	ok(r.max_mark > 1, "the channel waited for batches (mark up to %d)",
	    r.max_mark);
	is_int(r.bad, 0, "no read left the mark above what was to come");
	is_int(mark_of(acore_fd(c)), 1, "the mark is back to one byte at "
	    "the end of what was expected");
	close(r.peer_fd);
	RUN_UNTIL(loop, r.closed);
	ok(r.closed, "then the end of stream");
	acore_loop_free(loop);
	free(r.buf);
}

/*
 * A stream that stops short of what was expected: the bytes that did come
 * are read all the same (the mark drops after a short stall), and
 * acore_set_expected(0) drops it at once.
 */
static void
test_plain_stall(void)
{
	struct acore_loop *loop = acore_loop_new();
	struct rd r = { .buf = malloc(BODY + 1), .expect = 64 << 20 };
	struct acore_dispatcher *c;
	size_t off = 0;
	double t0;

	guard("plain stall", 30);
	if ((c = plain_pair(loop, &lw_ops, &r)) == NULL) {
		ok(0, "a connected pair");
		return;
	}
	acore_set_expected(c, r.expect);
	ok(prime_up(loop, c, &r, &off), "a burst raised the mark");
	push(r.peer_fd, &off, off + 1000);
	t0 = acore_now();
	RUN_UNTIL(loop, r.got == off);
	ok(r.got == off, "the last 1000 bytes, far below the mark, are read "
	    "once the stream stalls (%zu of %zu)", r.got, off);
	ok(acore_now() - t0 < 2, "within the stall limit (%.3f s)",
	    acore_now() - t0);
	is_int(mark_of(acore_fd(c)), 1, "the mark is one byte again");

	/* Fast again: up it goes; acore_set_expected(0) takes it down. */
	ok(prime_up(loop, c, &r, &off), "a burst raises it again");
	acore_set_expected(c, 0);
	is_int(mark_of(acore_fd(c)), 1, "acore_set_expected(0) lowers it at "
	    "once");
	close(r.peer_fd);
	RUN_UNTIL(loop, r.closed);
	acore_loop_free(loop);
	free(r.buf);
}

/*
 * The ways out with the mark up and its stall timer armed: a close from
 * the hook, then the loop freed with another channel in that state.
 * valgrind and LSan see a timer left behind; the wait that follows the
 * close would see one fire on a freed channel.
 */
static struct rd *close_me;

static void
close_read(struct acore_dispatcher *d, void *arg)
{
	lw_read(d, arg);
	if (arg == close_me && mark_of(acore_fd(d)) > 1) {
		acore_close(d);
		((struct rd *)arg)->closed = 1;
	}
}

static const struct acore_ops close_ops = {
	.name = "closer",
	.readable = lw_readable,
	.handle_read = close_read,
	.handle_close = lw_close,
};

static void
test_ways_out(void)
{
	struct acore_loop *loop = acore_loop_new();
	struct rd a = { .buf = malloc(BODY + 1), .expect = 64 << 20 };
	struct rd b = { .buf = malloc(BODY + 1), .expect = 64 << 20 };
	struct acore_dispatcher *ca, *cb;
	size_t oa = 0, ob = 0;
	double end;

	guard("ways out", 30);
	if ((ca = plain_pair(loop, &close_ops, &a)) == NULL ||
	    (cb = plain_pair(loop, &lw_ops, &b)) == NULL) {
		ok(0, "two connected pairs");
		return;
	}
	close_me = &a;
	acore_set_expected(ca, a.expect);
	acore_set_expected(cb, b.expect);
	prime(loop, ca, &a, &oa);
	ok(a.closed, "closed from its hook with the mark up");
	/* Past the stall limit: a timer of the closed channel would fire. */
	end = acore_now() + 0.1;
	while (acore_now() < end)
		acore_loop_run(loop, 0.01, 1);
	ok(1, "no timer of the closed channel fired");
	ok(prime_up(loop, cb, &b, &ob), "the other channel's mark is up");
	acore_loop_free(loop);
	ok(1, "the loop freed with a mark up and its timer armed");
	close(a.peer_fd);
	close(b.peer_fd);
	free(a.buf);
	free(b.buf);
}

/*
 * The peer's reset and the idle limit, each met with the mark up: the
 * reset ends the channel at once, and bytes below the mark are read
 * before the idle limit, which then ends it as usual.
 */
static void
test_reset_idle(void)
{
	struct acore_loop *loop = acore_loop_new();
	struct rd a = { .buf = malloc(BODY + 1), .expect = 64 << 20 };
	struct rd b = { .buf = malloc(BODY + 1), .expect = 64 << 20 };
	struct linger lg = { 1, 0 };
	struct acore_dispatcher *ca, *cb;
	size_t oa = 0, ob = 0;
	double t0;

	guard("reset and idle", 30);
	if ((ca = plain_pair(loop, &lw_ops, &a)) == NULL ||
	    (cb = plain_pair(loop, &lw_ops, &b)) == NULL) {
		ok(0, "two connected pairs");
		return;
	}
	acore_set_expected(ca, a.expect);
	acore_set_expected(cb, b.expect);
	ok(prime_up(loop, ca, &a, &oa), "mark up before the reset");
	setsockopt(a.peer_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(a.peer_fd);
	t0 = acore_now();
	RUN_UNTIL(loop, a.closed);
	ok(a.closed && a.reason == -ECONNRESET && acore_now() - t0 < 1,
	    "the peer's reset ends it at once (reason %d, %.3f s)", a.reason,
	    acore_now() - t0);

	ok(prime_up(loop, cb, &b, &ob), "mark up before the idle limit");
	acore_set_timeout(cb, 0.3);
	push(b.peer_fd, &ob, ob + 1000);
	RUN_UNTIL(loop, b.closed);
	ok(b.got == ob, "the bytes below the mark were read first (%zu of "
	    "%zu)", b.got, ob);
	is_int(b.err, -ETIMEDOUT, "then the idle limit");
	acore_loop_free(loop);
	close(b.peer_fd);
	free(a.buf);
	free(b.buf);
}

/* TLS: the layer's read-ahead counts as arrived; the end is still exact. */
static struct acore_tls	*srv_tls;
static struct acore_dispatcher *srv;

static void
srv_write(struct acore_dispatcher *d, void *arg)
{
	(void)d;
	(void)arg;
}

static const struct acore_ops srv_ops = {
	.name = "server",
	.handle_write = srv_write,
	.handle_close = rec_close,
};

static void
srv_accepted(struct acore_dispatcher *l, int fd, const struct sockaddr *sa,
    socklen_t salen, void *arg)
{
	(void)sa;
	(void)salen;
	(void)arg;
	srv = acore_dispatcher_with_send_new(acore_loop_of(l), &srv_ops, NULL);
	acore_set_socket(srv, fd);
	acore_tls_attach(srv, srv_tls, NULL);
	acore_send(srv, src, BODY);
}

static void
test_tls_exact(void)
{
	static const struct acore_ops lops = {
		.name = "listener",
		.handle_accepted = srv_accepted,
	};
	struct acore_loop *loop = acore_loop_new();
	struct rd r = { .buf = malloc(BODY + 1), .expect = BODY,
	    .peer_fd = -1 };
	struct acore_dispatcher *l, *c;
	struct acore_tls *ctls;

	guard("TLS exact", 30);
	c = acore_dispatcher_new(loop, &lw_ops, &r);
	if (tls_pair(loop, &lops, c, &srv_tls, &ctls, &l) < 0) {
		ok(0, "a certificate, a listener and a client");
		return;
	}
	acore_set_expected(c, BODY);
	/* The handshake, then a burst the client reads at one go. */
	RUN_UNTIL(loop, srv != NULL && acore_pending(srv) < BODY);
	r.hold = 1;
	RUN_UNTIL(loop, queued(acore_fd(c), SIOCINQ) >= PRIME);
	r.hold = 0;
	RUN_UNTIL(loop, ((r.peer_fd = acore_fd(srv)),
	    r.peer_done = acore_pending(srv) == 0, r.got == BODY));
	ok(r.got == BODY && memcmp(r.buf, src, BODY) == 0,
	    "all %d bytes over TLS, in order (%zu)", BODY, r.got);
	ok(r.max_mark > 1, "the channel waited for batches (mark up to %d)",
	    r.max_mark);
	is_int(r.bad, 0, "no read left the mark above what was to come");
	is_int(mark_of(acore_fd(c)), 1, "the mark is one byte at the end");
	acore_close(l);
	acore_loop_free(loop);
	acore_tls_free(ctls);
	acore_tls_free(srv_tls);
	unlink(cert_path);
	unlink(key_path);
	free(r.buf);
}

/* Not TCP: a Unix socket keeps its mark; the count still runs down. */
static void
test_not_tcp(void)
{
	struct acore_loop *loop = acore_loop_new();
	struct rd r = { .buf = malloc(BODY + 1), .expect = BODY };
	struct acore_dispatcher *c;
	size_t off = 0;
	int sv[2];

	guard("unix", 30);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK);
	r.peer_fd = sv[1];
	c = acore_dispatcher_new(loop, &lw_ops, &r);
	acore_set_socket(c, sv[0]);
	acore_set_expected(c, BODY);
	RUN_UNTIL(loop, (push(sv[1], &off, BODY), r.got == BODY));
	is_int((int)r.got, BODY, "all bytes through a Unix socket");
	is_int(r.max_mark, 1, "whose mark stays at one byte");
	is_int(acore_set_expected(c, 5), 0, "set again");
	acore_close(c);
	is_int(acore_set_expected(c, 5), -EBADF, "-EBADF once closed");
	close(sv[1]);
	acore_loop_free(loop);
	free(r.buf);
}

int
main(void)
{
	size_t i;

	signal(SIGALRM, on_alarm);
	signal(SIGPIPE, SIG_IGN);
	if ((src = malloc(BODY)) == NULL)
		return 1;
	for (i = 0; i < BODY; i++)
		src[i] = (unsigned char)(i * 7 + i / 65536);
	test_plain_exact();
	test_plain_stall();
	test_ways_out();
	test_reset_idle();
	test_tls_exact();
	test_not_tcp();
	free(src);
	tap_plan_done();
	return tap_exit();
}
