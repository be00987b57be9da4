/*
 * test-dispatcher.c: the loop, the dispatcher, with-send and file
 * dispatchers, over socketpairs, loopback TCP, pipes and files.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acore.h"
#include "tap.h"

static char trace[4096];

static void
note(const char *fmt, ...)
{
	va_list ap;
	size_t n = strlen(trace);

	va_start(ap, fmt);
	vsnprintf(trace + n, sizeof(trace) - n, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------ loop count and timeout */

static int
never(struct acore_dispatcher *d, void *arg)
{
	(void)d;
	(void)arg;
	return 0;
}

static void
test_loop_count(void)
{
	static const struct acore_ops idle = { .name = "idle",
	    .readable = never, .writable = never };
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *d;
	int sv[2], n;
	double t0;

	is_int(acore_loop_run(loop, 1.0, 0), 0, "empty map: loop returns at once");
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	d = acore_dispatcher_new(loop, &idle, NULL);
	is_int(acore_set_socket(d, sv[0]), 0, "set_socket on a socketpair end");
	ok(acore_flags(d) & ACORE_CONNECTED, "adopted connected socket is connected");
	t0 = acore_now();
	n = acore_loop_run(loop, 0.05, 3);
	is_int(n, 3, "count=3 runs exactly three passes");
	ok(acore_now() - t0 >= 0.14, "idle passes each sleep the timeout (%.3f s)",
	    acore_now() - t0);
	is_int(acore_loop_size(loop), 1, "channel still in the map");
	acore_close(d);
	acore_close(d);
	is_int(acore_loop_size(loop), 0, "close removes it; closing twice is harmless");
	is_int(acore_loop_run(loop, 1.0, 0), 0, "loop ends when the map is empty");
	close(sv[1]);
	acore_loop_free(loop);
}

/* ----------------------------------------------------------- pass order */

static int
yes_r(struct acore_dispatcher *d, void *arg)
{
	note("%s.readable ", acore_name(d));
	(void)arg;
	return 1;
}

static int
yes_w(struct acore_dispatcher *d, void *arg)
{
	note("%s.writable ", acore_name(d));
	(void)arg;
	return 1;
}

static void
rec_read(struct acore_dispatcher *d, void *arg)
{
	char buf[16];

	(void)arg;
	note("%s.read ", acore_name(d));
	acore_recv(d, buf, sizeof(buf));
}

static void
rec_write(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	note("%s.write ", acore_name(d));
}

static void
test_pass_order(void)
{
	static const struct acore_ops ops = { .readable = yes_r,
	    .writable = yes_w, .handle_read = rec_read,
	    .handle_write = rec_write };
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *a, *b;
	int sa[2], sb[2];

	socketpair(AF_UNIX, SOCK_STREAM, 0, sa);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sb);
	a = acore_dispatcher_new(loop, &ops, NULL);
	b = acore_dispatcher_new(loop, &ops, NULL);
	acore_set_name(a, "A");
	acore_set_name(b, "B");
	acore_set_socket(a, sa[0]);
	acore_set_socket(b, sb[0]);
	/* B's data arrives first; dispatch is still in map order. */
	write(sb[1], "x", 1);
	write(sa[1], "y", 1);
	trace[0] = '\0';
	acore_loop_run(loop, 1.0, 1);
	is_str(trace, "A.readable A.writable B.readable B.writable "
	    "A.read B.read A.write B.write ",
	    "one pass: ask in map order, then reads, then writes");
	acore_loop_free(loop);
	close(sa[1]);
	close(sb[1]);
}

/* ------------------------------------------- connect, accept, close path */

struct conn_state {
	int	connects;
	int	connected_in_hook;
	int	writes;
	int	errors;
	int	last_err;
	int	closes;
	int	accepted;
	int	freed;
};

static void
c_connect(struct acore_dispatcher *d, void *arg)
{
	struct conn_state *s = arg;

	s->connects++;
	s->connected_in_hook = !!(acore_flags(d) & ACORE_CONNECTED);
	note("connect ");
}

static void
c_write(struct acore_dispatcher *d, void *arg)
{
	struct conn_state *s = arg;

	s->writes++;
	note("write ");
	acore_close(d);
	/* Closed inside our own hook: the memory must still be valid. */
	if (acore_flags(d) & ACORE_CLOSED)
		note("closed ");
}

static void
c_error(struct acore_dispatcher *d, int err, void *arg)
{
	struct conn_state *s = arg;

	s->errors++;
	s->last_err = err;
	acore_close(d);
}

static void
c_closed(void *arg)
{
	struct conn_state *s = arg;

	s->freed++;
}

static void
l_accepted(struct acore_dispatcher *d, int fd, const struct sockaddr *sa,
    socklen_t len, void *arg)
{
	struct conn_state *s = arg;

	(void)d;
	(void)sa;
	(void)len;
	s->accepted++;
	close(fd);
}

static int
listener(struct acore_loop *loop, const struct acore_ops *ops, void *arg,
    struct acore_dispatcher **out, struct sockaddr_in *sin)
{
	struct acore_dispatcher *l = acore_dispatcher_new(loop, ops, arg);
	socklen_t len = sizeof(*sin);

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (acore_create_socket(l, AF_INET, SOCK_STREAM) < 0 ||
	    acore_bind(l, (struct sockaddr *)sin, sizeof(*sin)) < 0 ||
	    acore_listen(l, 5) < 0)
		return -1;
	getsockname(acore_fd(l), (struct sockaddr *)sin, &len);
	*out = l;
	return 0;
}

static void
test_connect_accept(void)
{
	static const struct acore_ops cops = { .name = "client",
	    .handle_connect = c_connect, .handle_write = c_write,
	    .handle_error = c_error, .closed = c_closed };
	static const struct acore_ops lops = { .name = "server",
	    .handle_accepted = l_accepted };
	struct conn_state cs = { 0 }, ls = { 0 };
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *l, *c;
	struct sockaddr_storage ss;
	struct sockaddr_in sin;
	socklen_t len = sizeof(ss);
	int i;

	ok(listener(loop, &lops, &ls, &l, &sin) == 0, "listen on 127.0.0.1:0");
	ok(acore_flags(l) & ACORE_ACCEPTING, "listener is accepting");
	is_int(acore_accept(l, &ss, &len), -EAGAIN,
	    "accept with nothing pending gives -EAGAIN (asyncore's None)");
	c = acore_dispatcher_new(loop, &cops, &cs);
	acore_create_socket(c, AF_INET, SOCK_STREAM);
	is_int(acore_connect(c, (struct sockaddr *)&sin, sizeof(sin)), 0,
	    "non-blocking connect under way");
	ok((acore_flags(c) & (ACORE_CONNECTING | ACORE_CONNECTED)) ==
	    ACORE_CONNECTING, "connecting, not yet connected");
	trace[0] = '\0';
	for (i = 0; i < 20 && (cs.freed == 0 || ls.accepted == 0); i++)
		acore_loop_run(loop, 0.5, 1);
	is_int(cs.connects, 1, "handle_connect ran once");
	ok(!cs.connected_in_hook, "connected is set only after handle_connect");
	is_str(trace, "connect write closed ",
	    "connect, then the same event's write; close inside it is safe");
	is_int(cs.freed, 1, "closed() ran once, after the pass");
	is_int(ls.accepted, 1, "handle_accepted got the connection");
	acore_close(l);
	acore_loop_free(loop);

	/* Refused: the port we just closed has no listener. */
	loop = acore_loop_new();
	memset(&cs, 0, sizeof(cs));
	c = acore_dispatcher_new(loop, &cops, &cs);
	acore_create_socket(c, AF_INET, SOCK_STREAM);
	acore_connect(c, (struct sockaddr *)&sin, sizeof(sin));
	for (i = 0; i < 20 && acore_loop_size(loop) > 0; i++)
		acore_loop_run(loop, 0.5, 1);
	is_int(cs.errors, 1, "refused connect goes to handle_error");
	is_int(cs.last_err, -ECONNREFUSED, "with -ECONNREFUSED");
	is_int(cs.connects, 0, "and never to handle_connect");
	is_int(acore_loop_size(loop), 0, "the channel left the map");
	acore_loop_free(loop);
}

/* ----------------------------------------- 0-byte recv closes first */

static void
z_read(struct acore_dispatcher *d, void *arg)
{
	char buf[64];
	ssize_t n;

	(void)arg;
	n = acore_recv(d, buf, sizeof(buf));
	note("read->%zd ", n);
}

static int last_reason = 1;

static void
z_close(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	last_reason = acore_close_reason(d);
	note("close ");
	acore_close(d);
}

static void
test_close_on_eof(void)
{
	static const struct acore_ops ops = { .handle_read = z_read,
	    .handle_close = z_close };
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *d;
	int sv[2];

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	d = acore_dispatcher_new(loop, &ops, NULL);
	acore_set_socket(d, sv[0]);
	write(sv[1], "hello", 5);
	close(sv[1]);
	trace[0] = '\0';
	acore_loop_run(loop, 1.0, 5);
	is_str(trace, "read->5 close read->0 ",
	    "a 0-byte recv calls handle_close before it returns");
	is_int(last_reason, 0, "acore_close_reason: 0 for an orderly end");
	is_int(acore_loop_size(loop), 0, "and the loop ends");

	/* SHUT_RD: pending input no longer wakes the channel. */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	d = acore_dispatcher_new(loop, &ops, NULL);
	acore_set_socket(d, sv[0]);
	write(sv[1], "hello", 5);
	is_int(acore_shutdown(d, SHUT_RD), 0, "acore_shutdown SHUT_RD");
	ok(acore_flags(d) & ACORE_SHUT_RD, "flagged ACORE_SHUT_RD");
	trace[0] = '\0';
	acore_loop_run(loop, 0.05, 2);
	is_str(trace, "", "a read-shut channel gets no read events");
	acore_close(d);
	close(sv[1]);
	acore_loop_free(loop);
}

/* ------------------------------------- with-send under partial writes */

struct sink {
	char	*buf;
	size_t	 len, cap;
	int	 eof;
};

static void
s_read(struct acore_dispatcher *d, void *arg)
{
	struct sink *s = arg;
	ssize_t n;

	if (s->cap - s->len < 65536) {
		s->cap = s->cap * 2 + 65536;
		s->buf = realloc(s->buf, s->cap);
	}
	n = acore_recv(d, s->buf + s->len, 4096);
	if (n > 0)
		s->len += (size_t)n;
}

static void
s_close(struct acore_dispatcher *d, void *arg)
{
	((struct sink *)arg)->eof = 1;
	acore_close(d);
}

static void
test_with_send(void)
{
	static const struct acore_ops wops = { .name = "ws" };
	static const struct acore_ops rops = { .name = "rd",
	    .handle_read = s_read, .handle_close = s_close };
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *w, *r;
	struct sink sink = { 0 };
	size_t total = 3 * 1024 * 1024 + 17, i, sent = 0, piece;
	char *data = malloc(total);
	int sv[2], small = 4096, bad = 0, paused_seen = 0;

	for (i = 0; i < total; i++)
		data[i] = (char)(i * 7 + i / 251);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	w = acore_dispatcher_with_send_new(loop, &wops, NULL);
	r = acore_dispatcher_new(loop, &rops, &sink);
	acore_set_socket(w, sv[0]);
	acore_set_socket(r, sv[1]);
	acore_set_high_water(w, 256 * 1024);
	/* Many uneven sends, far more than the socket can hold at once. */
	for (piece = 1; sent < total; piece = piece * 3 % 100003 + 1) {
		if (piece > total - sent)
			piece = total - sent;
		if (acore_send(w, data + sent, piece) != (ssize_t)piece)
			bad++;
		sent += piece;
	}
	is_int(bad, 0, "with-send accepts every byte (copied, queued)");
	ok(acore_pending(w) > 256 * 1024, "most of it is queued (%zu)",
	    acore_pending(w));
	for (i = 0; i < 10000 && sink.len < total; i++) {
		if (acore_pending(w) > 256 * 1024)
			paused_seen = 1;
		acore_loop_run(loop, 1.0, 1);
	}
	ok(paused_seen, "pending stayed over the high-water mark a while");
	is_mem(sink.buf, sink.len, data, total,
	    "peer got every byte, in order");
	is_int(acore_pending(w), 0, "queue drained");
	acore_close(w);
	acore_loop_run(loop, 1.0, 10);
	ok(sink.eof, "closing the sender gives the reader EOF");
	acore_loop_free(loop);
	free(sink.buf);
	free(data);
}

/* ------------------------------------------------------ file dispatcher */

static char reads[256];

static void
f_read(struct acore_dispatcher *d, void *arg)
{
	char buf[256];
	ssize_t n;
	size_t l = strlen(reads);

	(void)arg;
	n = acore_recv(d, buf, sizeof(buf));
	if (n >= 0)
		snprintf(reads + l, sizeof(reads) - l, "%zd ", n);
}

static const struct acore_ops fops = { .name = "file",
    .handle_read = f_read };

static const char *
read_file_sizes(const char *path)
{
	struct acore_loop *loop = acore_loop_new();
	int fd = open(path, O_RDONLY);

	reads[0] = '\0';
	if (fd < 0 || acore_file_new(loop, fd, &fops, NULL) == NULL)
		return "open failed";
	close(fd);	/* the dispatcher has its own dup */
	acore_loop_run(loop, 1.0, 100);
	acore_loop_free(loop);
	return reads;
}

static void
test_file(void)
{
	char path[] = "/tmp/acore-test-XXXXXX";
	struct acore_loop *loop;
	int fd, p[2], i, fl;
	char buf[737];

	fd = mkstemp(path);
	for (i = 0; i < 737; i++)
		buf[i] = (char)('a' + i % 26);
	write(fd, buf, sizeof(buf));
	close(fd);
	is_str(read_file_sizes(path), "256 256 225 0 ",
	    "regular file: 256, 256, 225, then 0 (always ready)");
	truncate(path, 0);
	is_str(read_file_sizes(path), "0 ", "empty file: one 0-byte read");
	is_str(read_file_sizes("/dev/null"), "0 ", "/dev/null: one 0-byte read");
	unlink(path);

	/* A pipe written in bursts: one read per event, what is there. */
	loop = acore_loop_new();
	pipe(p);
	reads[0] = '\0';
	acore_file_new(loop, p[0], &fops, NULL);
	close(p[0]);
	fl = fcntl(p[1], F_GETFL);
	write(p[1], buf, 100);
	acore_loop_run(loop, 1.0, 1);
	write(p[1], buf, 400);
	acore_loop_run(loop, 1.0, 2);
	write(p[1], buf, 237);
	acore_loop_run(loop, 1.0, 1);
	close(p[1]);
	acore_loop_run(loop, 1.0, 5);
	is_str(reads, "100 256 144 237 0 ",
	    "pipe bursts 100/400/237 read as 100, 256, 144, 237, 0");
	ok(!(fl & O_NONBLOCK), "the caller's pipe end was left blocking");
	acore_loop_free(loop);
}

/* ----------------------------------------------- timers, idle, stop */

static void
t_fire(void *arg)
{
	(*(int *)arg)++;
}

static void
i_error(struct acore_dispatcher *d, int err, void *arg)
{
	*(int *)arg = err;
	acore_close(d);
}

static void
test_timers(void)
{
	static const struct acore_ops iops = { .handle_read = rec_read,
	    .handle_error = i_error };
	struct acore_loop *loop = acore_loop_new();
	struct acore_timer *t;
	struct acore_dispatcher *d;
	int fired = 0, err = 0, sv[2];
	double t0;

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	d = acore_dispatcher_new(loop, &iops, &err);
	acore_set_socket(d, sv[0]);
	t = acore_timer_new(loop, t_fire, &fired);
	acore_timer_start(t, 0.05);
	t0 = acore_now();
	acore_set_timeout(d, 0.2);
	acore_loop_run(loop, -1, 0);
	is_int(fired, 1, "one-shot timer fired once");
	is_int(err, -ETIMEDOUT, "idle channel gets handle_error(-ETIMEDOUT)");
	ok(acore_now() - t0 >= 0.19, "no sooner than its timeout");
	acore_timer_free(t);
	close(sv[1]);
	acore_loop_free(loop);
}

static void
test_format(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(59605) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
	    .sin6_port = htons(8080) };
	char buf[128];

	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	inet_pton(AF_INET6, "::1", &sin6.sin6_addr);
	acore_format_addr((struct sockaddr *)&sin, sizeof(sin), buf,
	    sizeof(buf));
	is_str(buf, "('127.0.0.1', 59605)", "IPv4 address as Python prints it");
	acore_format_addr((struct sockaddr *)&sin6, sizeof(sin6), buf,
	    sizeof(buf));
	is_str(buf, "('::1', 8080, 0, 0)", "IPv6 address as Python prints it");
	is_str(acore_strerror(-ECONNREFUSED), "Connection refused",
	    "acore_strerror of a negative errno");
	is_str(acore_strerror(ACORE_EAI(EAI_NONAME)), gai_strerror(EAI_NONAME),
	    "acore_strerror of a resolver error");
}

/* --------------------------------------------------- connect by name */

static void
h_connect(struct acore_dispatcher *d, void *arg)
{
	(*(int *)arg)++;
	acore_close(d);
}

static void
h_error(struct acore_dispatcher *d, int err, void *arg)
{
	*(int *)arg = err;
	acore_close(d);
}

static void
test_connect_host(void)
{
	static const struct acore_ops lops = { .name = "server" };
	static const struct acore_ops cops = { .handle_connect = h_connect,
	    .handle_error = h_error };
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *l, *c;
	struct sockaddr_in sin;
	char port[16];
	int connected = 0, err = 0, i;

	if (listener(loop, &lops, NULL, &l, &sin) < 0)
		bail_out("cannot listen on 127.0.0.1:0");
	snprintf(port, sizeof(port), "%u", ntohs(sin.sin_port));
	c = acore_dispatcher_new(loop, &cops, &connected);
	is_int(acore_connect_host(c, "localhost", port, AF_INET), 0,
	    "connect_host localhost started");
	for (i = 0; i < 20 && connected == 0; i++)
		acore_loop_run(loop, 0.5, 1);
	is_int(connected, 1, "connected by name");
	acore_close(l);
	acore_loop_run(loop, 0.1, 2);

	c = acore_dispatcher_new(loop, &cops, &err);
	is_int(acore_connect_host(c, "127.0.0.1", port, AF_UNSPEC), 0,
	    "connect_host to a closed port starts");
	for (i = 0; i < 20 && acore_loop_size(loop) > 0; i++)
		acore_loop_run(loop, 0.5, 1);
	is_int(err, -ECONNREFUSED, "every address refused: handle_error");
	c = acore_dispatcher_new(loop, &cops, &err);
	ok(ACORE_IS_EAI(acore_connect_host(c, "127.0.0.1", "no-such-service",
	    AF_UNSPEC)), "an unknown service fails at once, a resolver error");
	acore_close(c);
	acore_loop_free(loop);
}


/* ----------------------------- quick reset, stop, close_all, A28, EPIPE */

static void
q_accepted(struct acore_dispatcher *d, int fd, const struct sockaddr *sa,
    socklen_t len, void *arg)
{
	static const struct acore_ops hops = { .name = "handler",
	    .handle_read = z_read, .handle_close = z_close };
	struct acore_dispatcher *h;

	(void)sa;
	(void)len;
	(void)arg;
	h = acore_dispatcher_new(acore_loop_of(d), &hops, NULL);
	acore_set_socket(h, fd);
	note("accepted ");
}

static void
test_quick_reset(void)
{
	static const struct acore_ops lops = { .name = "server",
	    .handle_accepted = q_accepted };
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *l;
	struct sockaddr_in sin;
	struct linger lg = { 1, 0 };
	int fd, i;

	if (listener(loop, &lops, NULL, &l, &sin) < 0)
		bail_out("cannot listen on 127.0.0.1:0");
	fd = socket(AF_INET, SOCK_STREAM, 0);
	connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);	/* RST before the server accepts */
	trace[0] = '\0';
	for (i = 0; i < 10 && strstr(trace, "close") == NULL; i++)
		acore_loop_run(loop, 0.2, 1);
	ok(strcmp(trace, "") == 0 || strcmp(trace, "accepted read->0 close ") == 0 ||
	    strcmp(trace, "accepted close read->0 ") == 0,
	    "connect+RST: nothing accepted, or the handler's read ends in "
	    "handle_close (%s)", trace);
	is_int(acore_loop_size(loop), 1, "only the listener is left");
	if (trace[0] != '\0')
		is_int(last_reason, -ECONNRESET,
		    "acore_close_reason: -ECONNRESET for a reset");
	else
		ok(1, "# skip nothing was accepted");
	acore_loop_free(loop);
}

static void
spawn_read(struct acore_dispatcher *d, void *arg)
{
	static const struct acore_ops kops = { .name = "child",
	    .handle_read = rec_read };
	int *sv = arg;
	struct acore_dispatcher *k;
	char c;

	(void)acore_recv(d, &c, 1);
	note("parent ");
	/* Created mid-pass with data already waiting: serve it next pass. */
	k = acore_dispatcher_new(acore_loop_of(d), &kops, NULL);
	acore_set_socket(k, dup(sv[0]));
	acore_loop_stop(acore_loop_of(d));
}

static void
test_stop_and_new_channels(void)
{
	static const struct acore_ops pops = { .handle_read = spawn_read };
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *p;
	int pa[2], ka[2];

	socketpair(AF_UNIX, SOCK_STREAM, 0, pa);
	socketpair(AF_UNIX, SOCK_STREAM, 0, ka);
	p = acore_dispatcher_new(loop, &pops, ka);
	acore_set_socket(p, pa[0]);
	write(pa[1], "x", 1);
	write(ka[1], "y", 1);
	trace[0] = '\0';
	is_int(acore_loop_run(loop, 1.0, 0), 1,
	    "acore_loop_stop ends the loop after the current pass");
	is_str(trace, "parent ", "a channel made in a pass is not served in it");
	acore_loop_run(loop, 1.0, 1);
	is_str(trace, "parent child.read ", "it is served the next pass");
	is_int(acore_loop_size(loop), 2, "both channels in the map");
	acore_close_all(loop);
	is_int(acore_loop_size(loop), 0, "close_all empties the map");
	is_int(acore_loop_run(loop, 1.0, 0), 0, "and the loop has nothing to run");
	acore_loop_free(loop);
	close(pa[1]);
	close(ka[0]);
	close(ka[1]);
}

static void
test_file_epipe(void)
{
	static const struct acore_ops wops = { .handle_close = z_close };
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *d;
	void (*old)(int);
	int p[2];
	ssize_t n;

	pipe(p);
	close(p[0]);
	old = signal(SIGPIPE, SIG_DFL);	/* a user who never ignored it */
	d = acore_file_new(loop, p[1], &wops, NULL);
	trace[0] = '\0';
	n = acore_send(d, "data", 4);
	signal(SIGPIPE, old);
	is_int(n, -EPIPE, "write to a pipe with no reader: -EPIPE, and no "
	    "SIGPIPE death");
	is_str(trace, "close ", "EPIPE is a disconnect: handle_close");
	close(p[1]);
	acore_loop_free(loop);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_loop_count();
	test_pass_order();
	test_connect_accept();
	test_close_on_eof();
	test_with_send();
	test_file();
	test_timers();
	test_format();
	test_connect_host();
	test_quick_reset();
	test_stop_and_new_channels();
	test_file_epipe();
	tap_plan_done();
	return tap_exit();
}
