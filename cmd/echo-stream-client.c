/*
 * echo-stream-client.c: the EchoClient channel (PyMOTW example 4),
 * streaming.
 *
 * The message is either in memory (-m, echo-server --with-client) or read
 * from a descriptor as it arrives (-f, standard input).  Input goes out
 * as soon as it is read, chunk bytes per write event; the echo is written
 * out and compared with what was sent as it comes back.  So the client
 * holds only what is in flight: a ring from the oldest byte not yet
 * echoed to the newest byte read, never more than RING_MIN (or four
 * chunks).  A line typed on a terminal comes straight back, and a file of
 * any size costs the same memory.  A small message held whole is sent
 * whole before the echo is read, as the article's client does (see
 * client_readable).
 *
 * At the end of input the sending side is shut down (nc -N), so a server
 * that answers only at end of input, or echoes until it, finishes; the
 * client then waits for the rest of the echo, bounded by -w (idle) and
 * -q (overall).  With late_shutdown the client waits for the whole echo
 * first, for servers such as ncat --exec that drop what they still owe
 * when they see end of input.  When the server closes, the verdict:
 * "RECEIVED COPY OF MESSAGE" and 0, or the first differing byte and 1.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acore.h"
#include "cmd.h"
#include "echo.h"

#define RING_MIN	(1 << 20)	/* in flight: enough to fill loopback */
#define READ_MAX	65536		/* input bytes per read */
/*
 * A message at most this long is sent whole before the first read, as the
 * PyMOTW client does: its echo fits any socket's receive buffer, so a
 * server never stalls on a client that is not reading yet.
 */
#define HOLD_READS_MAX	16384
static struct client {
	struct echo_client_conf conf;
	char		 where[300];	/* "HOST port PORT" or the path */
	struct acore_dispatcher *sock;
	struct acore_dispatcher *in;	/* NULL: message in memory, or read */
	struct acore_timer *quit;	/* -q */
	char		*ring;		/* NULL: conf.msg holds all of it */
	size_t		 cap;
	char		*rbuf;
	uint64_t	 nread;		/* message bytes taken in */
	uint64_t	 sent;		/* message bytes sent */
	struct echo_check check;	/* what came back */
	int		 eof;		/* all input taken in */
	int		 connected;
	int		 shut;		/* write side shut down */
	int		 quit_armed;
	int		 finished;
} cl;

static void
finish(int status)
{
	if (cl.finished)
		return;
	cl.finished = 1;
	if (cl.sock != NULL)
		acore_close(cl.sock);
	if (cl.in != NULL)
		acore_close(cl.in);
	if (cl.quit != NULL)
		acore_timer_free(cl.quit);
	free(cl.ring);
	free(cl.rbuf);
	echo_check_free(&cl.check);
	cl.sock = cl.in = NULL;
	cl.quit = NULL;
	if (cl.conf.done != NULL)
		cl.conf.done(status);
}

/* The message bytes from off on, as far as they run contiguously. */
static size_t
span(uint64_t off, uint64_t end, size_t max, const char **p)
{
	uint64_t n = end - off;
	size_t at;

	if (cl.ring == NULL)
		*p = cl.conf.msg + off;
	else {
		at = (size_t)(off % cl.cap);
		*p = cl.ring + at;
		if (n > cl.cap - at)
			n = cl.cap - at;
	}
	return n < max ? (size_t)n : max;
}

/* Shut down our side once input has ended and all of it is out. */
static void
input_done(void)
{
	if (!cl.eof || !cl.connected || cl.sent < cl.nread)
		return;
	if (cl.quit != NULL && !cl.quit_armed) {
		cl.quit_armed = 1;
		acore_timer_start(cl.quit, cl.conf.quit_after);
	}
	if (cl.shut || (cl.conf.late_shutdown && cl.check.got < cl.nread))
		return;
	cl.shut = 1;
	acore_shutdown(cl.sock, SHUT_WR);
}

/* echo_span_fn for the check: the message bytes, in memory or the ring. */
static size_t
sent_span(void *arg, uint64_t off, uint64_t end, size_t max, const char **p)
{
	(void)arg;
	return span(off, end, max, p);
}

/* ------------------------------------------------------------- input */

static size_t
ring_room(void)
{
	uint64_t base = cl.check.got < cl.sent ? cl.check.got : cl.sent;

	return cl.cap - (size_t)(cl.nread - base);
}

static int
in_readable(struct acore_dispatcher *d, void *arg)
{
	(void)d;
	(void)arg;
	return !cl.eof && ring_room() > 0;
}

static void
in_read(struct acore_dispatcher *d, void *arg)
{
	size_t at = (size_t)(cl.nread % cl.cap), len = ring_room();
	ssize_t n;

	(void)arg;
	if (len > cl.cap - at)
		len = cl.cap - at;
	if (len > READ_MAX)
		len = READ_MAX;
	/* A 0 read runs in_close first, as asyncore's recv does. */
	if ((n = acore_recv(d, cl.ring + at, len)) <= 0)
		return;
	echo_check_sent(&cl.check, cl.ring + at, (size_t)n);
	cl.nread += (size_t)n;
	/* nc -w: a connection is idle only while input is idle too. */
	if (cl.connected && cl.conf.idle > 0)
		acore_set_timeout(cl.sock, cl.conf.idle);
}

static void
in_close(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	acore_close(d);
	cl.in = NULL;
	cl.eof = 1;
	input_done();
}

static void
in_error(struct acore_dispatcher *d, int err, void *arg)
{
	(void)d;
	(void)arg;
	warnx("echo-client: %s: %s", cl.conf.in_name, acore_strerror(err));
	finish(AC_EXIT_FAIL);
}

static const struct acore_ops in_ops = {
	.name = "EchoInput",
	.readable = in_readable,
	.handle_read = in_read,
	.handle_close = in_close,
	.handle_error = in_error,
};

/* A regular file: take in what fits now, so the first write is full. */
static int
prime(int fd)
{
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	while (cl.nread < cl.cap) {
		n = read(fd, cl.ring + cl.nread, cl.cap - (size_t)cl.nread);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0) {
			cl.eof = 1;
			break;
		}
		echo_check_sent(&cl.check, cl.ring + cl.nread, (size_t)n);
		cl.nread += (size_t)n;
	}
	return 0;
}

/* ------------------------------------------------------------ socket */

/*
 * The article's client has its whole message in its buffer, so both of
 * its sends go out before its first read; a server in another process
 * that echoes the first chunk at once must not come in between.  So a
 * small message held whole (-m, a small -f file) is all sent before the
 * echo is read.  Not with TLS, whose records may need reading to go on.
 */
static int
client_readable(struct acore_dispatcher *d, void *arg)
{
	(void)d;
	(void)arg;
	return !(cl.connected && cl.eof && cl.nread <= HOLD_READS_MAX &&
	    cl.sent < cl.nread && cl.conf.tls == NULL);
}

static int
client_writable(struct acore_dispatcher *d, void *arg)
{
	/* Also while connecting: the connect completes on a write event. */
	int r = !cl.connected || cl.sent < cl.nread;

	(void)arg;
	acore_debug(d, "writable() -> %s", r ? "True" : "False");
	return r;
}

static void
client_connect(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	acore_debug(d, "handle_connect()");
	cl.connected = 1;
	acore_set_timeout(d, cl.conf.idle);
	input_done();
}

static void
client_write(struct acore_dispatcher *d, void *arg)
{
	const char *p;
	size_t len;
	ssize_t n;

	(void)arg;
	if ((len = span(cl.sent, cl.nread, cl.conf.chunk, &p)) == 0)
		return;
	n = acore_send(d, p, len);
	if (n < 0 || (acore_flags(d) & ACORE_CLOSED))
		return;
	echo_log_data(d, "handle_write()", p, (size_t)n);
	cl.sent += (size_t)n;
	input_done();
}

static void
client_read(struct acore_dispatcher *d, void *arg)
{
	ssize_t n;
	int rc;

	(void)arg;
	/* A 0 read runs client_close first, as asyncore's recv does. */
	if ((n = acore_recv(d, cl.rbuf, cl.conf.chunk)) < 0)
		return;
	echo_log_data(d, "handle_read()", cl.rbuf, (size_t)n);
	if (n > 0 && (rc = echo_check_take(&cl.check, cl.rbuf, (size_t)n,
	    cl.sent, sent_span, NULL)) != 0) {
		finish(rc);
		return;
	}
	if (n > 0)
		input_done();
}

/* The verdict, from what came back so far; -1: the echo is short. */
static int
verdict(void)
{
	if (echo_check_ok(&cl.check, acore_name(cl.sock), cl.nread, cl.eof))
		return AC_EXIT_OK;
	return echo_check_differs(&cl.check);
}

static void
client_close(struct acore_dispatcher *d, void *arg)
{
	int status;

	(void)arg;
	acore_debug(d, "handle_close()");
	if ((status = verdict()) < 0) {
		warnx("echo-client: %s closed the connection after %" PRIu64
		    " of %" PRIu64 " bytes echoed", cl.where, cl.check.got,
		    cl.nread);
		status = AC_EXIT_RESET;
	}
	finish(status);
}

static void
client_error(struct acore_dispatcher *d, int err, void *arg)
{
	(void)d;
	(void)arg;
	finish(echo_client_failed(&cl.conf, cl.where, cl.connected, err));
}

static const struct acore_ops client_ops = {
	.name = "EchoClient",
	.readable = client_readable,
	.writable = client_writable,
	.handle_read = client_read,
	.handle_write = client_write,
	.handle_connect = client_connect,
	.handle_close = client_close,
	.handle_error = client_error,
};

/* -q ran out: the echo is complete or it is not. */
static void
quit_timeout(void *arg)
{
	int status;

	(void)arg;
	if ((status = verdict()) < 0) {
		warnx("echo-client: %s: %" PRIu64 " of %" PRIu64 " bytes "
		    "echoed %g s after the end of input", cl.where,
		    cl.check.got, cl.nread, cl.conf.quit_after);
		status = AC_EXIT_TIMEOUT;
	}
	finish(status);
}

int
echo_client_start(struct acore_loop *loop, const struct echo_client_conf *c)
{
	int rc;

	if (c->chat)
		return echo_chat_client_start(loop, c);
	if (c->udp)
		return echo_udp_client_start(loop, c);
	memset(&cl, 0, sizeof(cl));
	cl.conf = *c;
	echo_client_where(c, cl.where, sizeof(cl.where));
	echo_check_init(&cl.check, c, cl.where);
	if (c->msg != NULL) {
		cl.nread = c->len;
		cl.eof = 1;
	} else {
		cl.cap = c->chunk * 4 > RING_MIN ? c->chunk * 4 : RING_MIN;
		if ((cl.ring = malloc(cl.cap)) == NULL)
			goto fail;
		if ((rc = prime(c->in_fd)) < 0) {
			warnx("echo-client: %s: %s", c->in_name,
			    strerror(-rc));
			finish(AC_EXIT_FAIL);
			return AC_EXIT_FAIL;
		}
		if (!cl.eof && (cl.in = acore_file_new(loop, c->in_fd,
		    &in_ops, NULL)) == NULL)
			goto fail;
	}
	if ((cl.rbuf = malloc(c->chunk)) == NULL ||
	    (cl.sock = acore_dispatcher_new(loop, &client_ops, NULL)) == NULL)
		goto fail;
	if (c->quit_after > 0 &&
	    (cl.quit = acore_timer_new(loop, quit_timeout, NULL)) == NULL)
		goto fail;
	if ((rc = echo_client_connect(cl.sock, c)) < 0) {
		/* A proxy's name that fails at once is its own status. */
		rc = echo_client_failed(&cl.conf, cl.where, 0, rc);
		finish(rc);
		return rc;
	}
	return 0;
fail:
	warn("echo-client");
	finish(AC_EXIT_FAIL);
	return AC_EXIT_FAIL;
}
