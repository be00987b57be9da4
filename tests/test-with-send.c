/*
 * test-with-send.c: dispatcher_with_send's queue against a real TCP peer:
 * acore_shutdown_when_done (every queued byte, then end of stream, and
 * the channel still reads; on TLS too, asked for during the handshake),
 * acore_send while connecting, the queue under a writable hook of the
 * user's, and acore_splice's queue in a pipe.
 */
#include "config.h"

#include <sys/ioctl.h>

#include <fcntl.h>

#include "loop-helper.h"
#include "tls-cert.h"

#define BIG	(1024 * 1024)

static unsigned char	 got[256];	/* what the channel read */
static size_t		 ngot;

static void
keep_read(struct acore_dispatcher *d, void *arg)
{
	ssize_t n;

	(void)arg;
	n = acore_recv(d, got + ngot, sizeof(got) - 1 - ngot);
	if (n > 0)
		ngot += (size_t)n;
}

static void
on_connect(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	note("connect(pending %zu) ", acore_pending(d));
}

static const struct acore_ops fwd_ops = {
	.name = "fwd",
	.handle_read = keep_read,
	.handle_connect = on_connect,
	.handle_close = rec_close,
};

/* A peer socket with a small receive buffer, so 1 MiB cannot fit. */
static int
small_listener(struct sockaddr_storage *ss, socklen_t *len)
{
	int fd = listener(AF_INET, ss, len), sz = 16384;

	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	return fd;
}

static int
accept_peer(int lfd)
{
	int fd;

	if (!wait_fd(lfd, POLLIN) || (fd = accept(lfd, NULL, NULL)) < 0)
		return -1;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/*
 * Run the loop a pass at a time, reading the peer, until the peer sees
 * end of stream (returns 1) or the bounds run out (0).
 */
static int
drain_peer(struct acore_loop *loop, int peer, unsigned char *buf,
    size_t cap, size_t *n)
{
	double end = acore_now() + 10;
	ssize_t r;
	int i;

	for (i = 0; i < 100000 && acore_now() < end; i++) {
		acore_loop_run(loop, 0.01, 1);
		while ((r = read(peer, buf + *n, cap - *n)) > 0)
			*n += (size_t)r;
		if (r == 0 && cap > *n)
			return 1;
	}
	return 0;
}

static int
run_until_closed(struct acore_loop *loop)
{
	double end = acore_now() + 10;
	int i;

	for (i = 0; i < 100000 && acore_now() < end; i++) {
		if (acore_loop_size(loop) == 0)
			return 1;
		acore_loop_run(loop, 0.01, 1);
	}
	return 0;
}

static void
test_shutdown_when_done(void)
{
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *d;
	struct sockaddr_storage ss;
	unsigned char *big = malloc(BIG), *recvd = malloc(BIG + 1);
	socklen_t len;
	size_t n = 0, i;
	int lfd, peer, sz = 16384;

	guard("shutdown_when_done", 30);
	for (i = 0; i < BIG; i++)
		big[i] = (unsigned char)(i * 7 + i / 251);
	lfd = small_listener(&ss, &len);
	d = acore_dispatcher_with_send_new(loop, &fwd_ops, NULL);
	acore_create_socket(d, AF_INET, SOCK_STREAM);
	setsockopt(acore_fd(d), SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	acore_connect(d, (struct sockaddr *)&ss, len);
	peer = accept_peer(lfd);
	for (i = 0; i < 1000 && !(acore_flags(d) & ACORE_CONNECTED); i++)
		acore_loop_run(loop, 0.01, 1);
	ok(acore_flags(d) & ACORE_CONNECTED, "the channel is connected");

	is_int((int)acore_send(d, big, BIG), BIG, "1 MiB queued");
	ok(acore_pending(d) > 0, "more than the socket takes: %zu pending",
	    acore_pending(d));
	is_int(acore_shutdown_when_done(d), 0,
	    "acore_shutdown_when_done with output queued: 0");
	ok(acore_pending(d) > 0, "nothing dropped: still queued");
	is_int((int)acore_send(d, "late", 4), -EPIPE,
	    "acore_send afterwards: -EPIPE");
	is_int(acore_shutdown_when_done(d), 0, "asking twice: 0");
	ok(!(acore_flags(d) & ACORE_CLOSED), "and no hook closed it");

	ok(drain_peer(loop, peer, recvd, BIG + 1, &n),
	    "the peer reads to end of stream");
	is_int((int)n, BIG, "every queued byte, none after it");
	ok(n == BIG && memcmp(recvd, big, BIG) == 0, "in order, exact");
	is_int((int)acore_pending(d), 0, "the queue is empty");
	is_int(acore_loop_size(loop), 1, "the channel is still open");

	trace[0] = '\0';
	write(peer, "after the end", 13);
	shutdown(peer, SHUT_WR);
	ok(run_until_closed(loop), "the peer's end closes the channel");
	got[ngot] = '\0';
	is_str((char *)got, "after the end",
	    "the channel still read what the peer sent after");
	is_str(trace, "fwd.close(0) ", "then handle_close, an orderly end");

	close(peer);
	close(lfd);
	acore_loop_free(loop);
	free(big);
	free(recvd);
}

/*
 * While connecting: acore_send queues it all, and a shutdown asked for
 * with nothing queued waits for the connect too.
 */
static void
test_while_connecting(void)
{
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *d;
	struct sockaddr_storage ss;
	unsigned char buf[64];
	socklen_t len;
	size_t n = 0;
	int lfd, peer;

	guard("while connecting", 30);
	lfd = listener(AF_INET, &ss, &len);
	d = acore_dispatcher_with_send_new(loop, &fwd_ops, NULL);
	acore_create_socket(d, AF_INET, SOCK_STREAM);
	acore_connect(d, (struct sockaddr *)&ss, len);
	ok(acore_flags(d) & ACORE_CONNECTING, "connecting");
	is_int((int)acore_send(d, "hello", 5), 5,
	    "acore_send while connecting: len");
	is_int((int)acore_pending(d), 5, "all of it queued");
	is_int(acore_shutdown_when_done(d), 0, "and the shutdown after it");
	peer = accept_peer(lfd);
	is_int((int)read(peer, buf, sizeof(buf)), -1,
	    "nothing sent before the loop completes the connect");
	trace[0] = '\0';
	ok(drain_peer(loop, peer, buf, sizeof(buf), &n),
	    "the peer reads to end of stream");
	is_int((int)n, 5, "the queued bytes went out");
	is_str(trace, "connect(pending 5) ",
	    "after handle_connect, which saw them queued");
	close(peer);
	acore_close(d);

	/* Nothing queued at all: the shutdown alone waits for the connect. */
	d = acore_dispatcher_with_send_new(loop, &fwd_ops, NULL);
	acore_create_socket(d, AF_INET, SOCK_STREAM);
	acore_connect(d, (struct sockaddr *)&ss, len);
	is_int(acore_shutdown_when_done(d), 0,
	    "acore_shutdown_when_done while connecting, nothing queued: 0");
	peer = accept_peer(lfd);
	n = 0;
	ok(drain_peer(loop, peer, buf, sizeof(buf), &n),
	    "once connected the peer gets end of stream");
	is_int((int)n, 0, "and no bytes");
	close(peer);
	close(lfd);
	acore_loop_free(loop);
}

/* --------------------------------------------------------------- on TLS */

/* Run until at most left channels are in the map; 0 if the bounds ran out. */
static int
loop_until(struct acore_loop *loop, size_t left)
{
	double end = acore_now() + 10;
	int i;

	for (i = 0; i < 100000 && acore_now() < end; i++) {
		if (acore_loop_size(loop) <= left)
			return 1;
		acore_loop_run(loop, 0.01, 1);
	}
	return 0;
}

static char	 tls_srv_got[64], tls_cl_got[64];
static size_t	 tls_srv_n, tls_cl_n;
static struct acore_tls *tls_srv;

static void
tls_srv_read(struct acore_dispatcher *d, void *arg)
{
	ssize_t n;

	(void)arg;
	n = acore_recv(d, tls_srv_got + tls_srv_n,
	    sizeof(tls_srv_got) - 1 - tls_srv_n);
	if (n > 0)
		tls_srv_n += (size_t)n;
}

static const struct acore_ops tls_srv_ops = {
	.name = "server",
	.handle_read = tls_srv_read,
	.handle_close = rec_close,
};

/*
 * The half-close asked for at once, nothing queued, during the handshake:
 * it waits for the handshake (close_notify needs it) and then goes alone.
 */
static void
tls_accepted(struct acore_dispatcher *l, int fd, const struct sockaddr *sa,
    socklen_t len, void *arg)
{
	struct acore_dispatcher *d;

	(void)sa;
	(void)len;
	(void)arg;
	d = acore_dispatcher_with_send_new(acore_loop_of(l), &tls_srv_ops,
	    NULL);
	acore_set_socket(d, fd);
	acore_tls_attach(d, tls_srv, NULL);
	note("shutdown_when_done(%d) ", acore_shutdown_when_done(d));
}

static void
tls_cl_read(struct acore_dispatcher *d, void *arg)
{
	ssize_t n;

	(void)arg;
	n = acore_recv(d, tls_cl_got + tls_cl_n,
	    sizeof(tls_cl_got) - 1 - tls_cl_n);
	if (n > 0)
		tls_cl_n += (size_t)n;
}

/* The server's end seen: answer it, then close (close_notify). */
static void
tls_cl_close(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	note("client.close(%d) ", acore_close_reason(d));
	acore_send(d, "back", 4);
	acore_close(d);
}

static const struct acore_ops tls_cl_ops = {
	.name = "client",
	.handle_read = tls_cl_read,
	.handle_close = tls_cl_close,
};

static void
test_tls(void)
{
	static const struct acore_ops lops = {
		.name = "listener",
		.handle_accepted = tls_accepted,
	};
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *l, *c;
	struct acore_tls *ctls;

	guard("TLS", 30);
	c = acore_dispatcher_with_send_new(loop, &tls_cl_ops, NULL);
	if (tls_pair(loop, &lops, c, &tls_srv, &ctls, &l) < 0) {
		ok(0, "a certificate, a listener and a client");
		return;
	}

	trace[0] = '\0';
	ok(loop_until(loop, 1), "both TLS channels end");
	is_str(trace, "shutdown_when_done(0) client.close(0) server.close(0) ",
	    "asked during the handshake: done after it, close_notify first "
	    "(reason 0), and the server read on");
	is_str(tls_cl_got, "", "the client got no bytes, only the end");
	is_str(tls_srv_got, "back", "the server read what came after its "
	    "shutdown");
	acore_close(l);
	acore_loop_free(loop);
	acore_tls_free(ctls);
	acore_tls_free(tls_srv);
	unlink(cert_path);
	unlink(key_path);
}

static int allow;

static int
gate(struct acore_dispatcher *d, void *arg)
{
	(void)d;
	(void)arg;
	return allow;
}

/* A writable hook replaces the default: the queue goes when it says so. */
static void
test_writable_hook(void)
{
	static const struct acore_ops gated = {
		.name = "gated",
		.writable = gate,
		.handle_close = rec_close,
	};
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *d;
	unsigned char *big = calloc(1, 256 * 1024), buf[65536];
	size_t before;
	ssize_t r;
	int sv[2], sz = 16384, i;

	guard("writable hook", 30);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK);
	d = acore_dispatcher_with_send_new(loop, &gated, NULL);
	acore_set_socket(d, sv[0]);
	allow = 0;
	acore_send(d, big, 256 * 1024);
	before = acore_pending(d);
	ok(before > 0, "queued: %zu", before);
	for (i = 0; i < 20; i++) {
		acore_loop_run(loop, 0.01, 1);
		while (read(sv[1], buf, sizeof(buf)) > 0)
			;
	}
	is_int((int)acore_pending(d), (int)before,
	    "a writable hook that says no: the queue stays, though the peer "
	    "reads");
	allow = 1;
	for (i = 0; i < 10000 && acore_pending(d) > 0; i++) {
		acore_loop_run(loop, 0.01, 1);
		while ((r = read(sv[1], buf, sizeof(buf))) > 0)
			;
	}
	is_int((int)acore_pending(d), 0, "once it says yes, the queue drains");
	close(sv[1]);
	acore_loop_free(loop);
	free(big);
}

/* The calls of the contract: kinds and closed channels. */
static void
test_contract(void)
{
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *d;
	int sv[2];

	d = acore_dispatcher_new(loop, &fwd_ops, NULL);
	is_int(acore_shutdown_when_done(d), -EINVAL, "plain channel: -EINVAL");
	acore_close(d);
	d = acore_chat_new(loop, &fwd_ops, NULL);
	is_int(acore_shutdown_when_done(d), -EINVAL, "chat channel: -EINVAL");
	acore_close(d);
	d = acore_dispatcher_with_send_new(loop, &fwd_ops, NULL);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	acore_set_socket(d, sv[0]);
	acore_close(d);
	is_int(acore_shutdown_when_done(d), -EBADF, "closed channel: -EBADF");
	close(sv[1]);
	acore_loop_free(loop);
}

static const struct acore_ops src_ops = {
	.name = "src",
	.handle_close = rec_close,
};

/* Run the loop, reading fd into buf, until it holds want bytes. */
static size_t
read_until(struct acore_loop *loop, int fd, unsigned char *buf, size_t n,
    size_t want)
{
	double end = acore_now() + 10;
	ssize_t r;
	int i;

	for (i = 0; i < 100000 && n < want && acore_now() < end; i++) {
		acore_loop_run(loop, 0.01, 1);
		while (n < want && (r = read(fd, buf + n, want - n)) > 0)
			n += (size_t)r;
	}
	return n;
}

/*
 * acore_splice (issue 23): a socket's bytes into another channel's queue
 * with no copy, a 64 KiB step at a time, each step sent before the next
 * is read.  The receiver reads nothing at first, so the first step's
 * bytes wait in the pipe: acore_pending counts them, no second step is
 * read, a second splice waits, acore_send queues behind them, and all
 * arrive in order.  The source's end is handle_close, as acore_recv's.
 */
#define SPLICED	100000
#define STEP	65536
static void
test_splice(void)
{
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *from, *to, *chat;
	static unsigned char data[SPLICED], recvd[SPLICED + 8];
	size_t n, i;
	ssize_t r;
	int a[2], b[2], sz = 4096;

	guard("splice", 30);
	for (i = 0; i < SPLICED; i++)
		data[i] = (unsigned char)(i * 13 + i / 253);
	socketpair(AF_UNIX, SOCK_STREAM, 0, a);
	socketpair(AF_UNIX, SOCK_STREAM, 0, b);
	fcntl(b[1], F_SETFL, fcntl(b[1], F_GETFL) | O_NONBLOCK);
	setsockopt(b[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	is_int((int)write(a[1], data, SPLICED), SPLICED, "the source sent");
	from = acore_dispatcher_new(loop, &src_ops, NULL);
	to = acore_dispatcher_with_send_new(loop, &fwd_ops, NULL);
	acore_set_socket(from, a[0]);
	acore_set_socket(to, b[0]);

	is_int((int)acore_splice(from, to, SIZE_MAX), STEP,
	    "acore_splice moved one step: the socket did not take it all");
	ok(acore_pending(to) > 0 && acore_pending(to) < STEP,
	    "the socket took part; the rest is queued: %zu",
	    acore_pending(to));
	is_int((int)acore_splice(from, to, SIZE_MAX), -EAGAIN,
	    "no splice into a queue not empty: -EAGAIN");
	is_int((int)acore_send(to, "TAIL", 4), 4, "acore_send: queued behind");
	n = read_until(loop, b[1], recvd, 0, STEP + 4);
	is_int((int)n, STEP + 4, "the receiver got the step and the tail");
	ok(n == STEP + 4 && memcmp(recvd, data, STEP) == 0 &&
	    memcmp(recvd + STEP, "TAIL", 4) == 0, "in order, exact");
	is_int((int)acore_pending(to), 0, "the queue is empty");
	is_int((int)acore_splice(from, to, SIZE_MAX), SPLICED - STEP,
	    "the next splice moved the rest");
	n = read_until(loop, b[1], recvd, 0, SPLICED - STEP);
	ok(n == SPLICED - STEP && memcmp(recvd, data + STEP, n) == 0,
	    "the rest arrived, exact: %zu", n);

	trace[0] = '\0';
	close(a[1]);
	r = acore_splice(from, to, SIZE_MAX);
	is_int((int)r, 0, "the source's end: 0");
	is_str(trace, "src.close(0) ", "after the source's handle_close");
	is_int((int)acore_splice(from, to, 1), -EBADF, "closed source: -EBADF");

	chat = acore_chat_new(loop, &fwd_ops, NULL);
	is_int((int)acore_splice(to, chat, 1), -EINVAL,
	    "into a chat channel: -EINVAL");
	acore_close(chat);
	acore_close(to);
	close(b[1]);
	acore_loop_free(loop);
}

/*
 * A reset behind whole steps: the steps are moved and counted, and the
 * reset, which the system tells only once, is kept for the source's next
 * read, so it ends as a reset (-ECONNRESET), not as an orderly end.
 * read_next chooses that read: acore_splice's or acore_recv's.
 */
#define CUT_BYTES (2 * STEP)
static void
test_splice_reset(int read_next)
{
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *from, *to;
	static unsigned char data[CUT_BYTES], recvd[CUT_BYTES];
	struct linger lg = { 1, 0 };
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int lfd, cfd, sfd, b[2], big = 1 << 20, queued = 0, i;
	size_t n;
	char c;

	guard("splice reset", 30);
	memset(data, 'r', sizeof(data));
	lfd = listener(AF_INET, &ss, &len);
	setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || cfd < 0 || connect(cfd, (struct sockaddr *)&ss, len) < 0 ||
	    (sfd = accept(lfd, NULL, NULL)) < 0)
		bail_out("no TCP pair");
	is_int((int)write(cfd, data, CUT_BYTES), CUT_BYTES, "the peer sent");
	/* All of it queued here before the reset, or the reset drops some. */
	for (i = 0; i < 1000 && queued < CUT_BYTES; i++) {
		if (ioctl(sfd, FIONREAD, &queued) < 0)
			break;
		if (queued < CUT_BYTES)
			usleep(2000);
	}
	is_int(queued, CUT_BYTES, "all of it arrived");
	setsockopt(cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(cfd);
	/* The reset arrived: a zero-length MSG_PEEK would not say. */
	(void)wait_fd(sfd, POLLERR);
	socketpair(AF_UNIX, SOCK_STREAM, 0, b);
	fcntl(b[1], F_SETFL, fcntl(b[1], F_GETFL) | O_NONBLOCK);
	setsockopt(b[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	from = acore_dispatcher_new(loop, &src_ops, NULL);
	to = acore_dispatcher_with_send_new(loop, &fwd_ops, NULL);
	acore_set_socket(from, sfd);
	acore_set_socket(to, b[0]);

	trace[0] = '\0';
	is_int((int)acore_splice(from, to, SIZE_MAX), CUT_BYTES,
	    "both steps moved, the reset behind them");
	is_str(trace, "", "no hook yet: the bytes come first");
	n = read_until(loop, b[1], recvd, 0, CUT_BYTES);
	ok(n == CUT_BYTES && memcmp(recvd, data, n) == 0,
	    "the receiver got them, exact: %zu", n);
	if (read_next)
		is_int((int)acore_recv(from, &c, 1), 0, "acore_recv: 0");
	else
		is_int((int)acore_splice(from, to, SIZE_MAX), 0,
		    "the next splice: 0");
	is_str(trace, "src.close(-104) ",
	    "then handle_close with the reset (-ECONNRESET)");
	acore_close(to);
	close(b[1]);
	close(lfd);
	acore_loop_free(loop);
}

int
main(void)
{
	signal(SIGALRM, on_alarm);
	signal(SIGPIPE, SIG_IGN);
	test_shutdown_when_done();
	test_while_connecting();
	test_tls();
	test_writable_hook();
	test_contract();
	test_splice();
	test_splice_reset(0);
	test_splice_reset(1);
	tap_plan_done();
	return tap_exit();
}
