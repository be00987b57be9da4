/*
 * echo-udp.c: echo-server -u and echo-client -u, datagrams instead of a
 * stream.
 *
 * The server is a SOCK_DGRAM channel on each address of its name (as the
 * TCP listeners): each datagram goes back to its sender, whole, from the
 * socket it came to.  When the socket has no room for an echo, the server
 * keeps that one datagram and stops reading until it is out, so a burst
 * is slowed down, not dropped by us.
 *
 * The client sends its message in datagrams of at most chunk bytes, one
 * at a time: each must come back unchanged before the next goes.  A
 * datagram whose echo does not come within the wait is sent again, up to
 * the retry limit; then the client gives up with a timeout.  An echo equal
 * to the previous datagram is a late duplicate of a retry and is ignored.
 * The socket is connected, so a closed port shows up as "connection
 * refused" instead of a long silence.
 */
#include "config.h"

#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acore.h"
#include "cmd.h"
#include "echo.h"

#define DGRAM_MAX	65536	/* a UDP datagram fits */
#define BURST		64	/* datagrams per read event */
#define DEFAULT_WAIT	1.0	/* seconds for each echo without -w */

/* ---------------------------------------------------------------- server */

/* One socket's state (its channel's arg): each address has its own. */
struct udp_sock {
	size_t		 pending;	/* an echo the socket had no room for */
	int		 has_pending;
	struct sockaddr_storage to;
	socklen_t	 tolen;
	char		 buf[DGRAM_MAX];
};

static int
us_readable(struct acore_dispatcher *d, void *arg)
{
	struct udp_sock *us = arg;

	(void)d;
	return !us->has_pending;
}

static int
us_writable(struct acore_dispatcher *d, void *arg)
{
	struct udp_sock *us = arg;

	(void)d;
	return us->has_pending;
}

/* Send the echo; 0, or -EAGAIN when it had to be kept. */
static int
us_echo(struct acore_dispatcher *d, struct udp_sock *us, size_t len)
{
	char addr[160];
	ssize_t n;

	n = acore_sendto(d, us->buf, len, (struct sockaddr *)&us->to,
	    us->tolen);
	if (n == -EAGAIN) {
		us->pending = len;
		us->has_pending = 1;
		return -EAGAIN;
	}
	us->has_pending = 0;
	if (n < 0) {
		/* One peer's trouble is not the server's: log, go on. */
		acore_format_addr((struct sockaddr *)&us->to, us->tolen, addr,
		    sizeof(addr));
		acore_log(ACORE_LOG_WARN, acore_name(d), "sendto %s: %s", addr,
		    acore_strerror((int)n));
	}
	return 0;
}

static void
us_read(struct acore_dispatcher *d, void *arg)
{
	struct udp_sock *us = arg;
	char what[200], addr[160];
	ssize_t n;
	int i;

	for (i = 0; i < BURST; i++) {
		us->tolen = sizeof(us->to);
		n = acore_recvfrom(d, us->buf, DGRAM_MAX, &us->to, &us->tolen);
		if (n == -EAGAIN)
			return;
		if (n < 0) {
			acore_log(ACORE_LOG_WARN, acore_name(d), "recvfrom: %s",
			    acore_strerror((int)n));
			return;
		}
		if (cmd_is_verbose()) {
			acore_format_addr((struct sockaddr *)&us->to,
			    us->tolen, addr, sizeof(addr));
			snprintf(what, sizeof(what), "handle_read() %s", addr);
			echo_log_data(d, what, us->buf, (size_t)n);
		}
		if (us_echo(d, us, (size_t)n) < 0)
			return;
	}
}

static void
us_write(struct acore_dispatcher *d, void *arg)
{
	struct udp_sock *us = arg;

	if (us->has_pending)
		us_echo(d, us, us->pending);
}

static void
us_closed(void *arg)
{
	free(arg);
}

static const struct acore_ops udp_server_ops = {
	.name = "EchoServer",
	.readable = us_readable,
	.writable = us_writable,
	.handle_read = us_read,
	.handle_write = us_write,
	.handle_close = echo_server_close,
	.closed = us_closed,
};

/* A server channel with its state: on fd if fd >= 0 (owned from here). */
static struct acore_dispatcher *
us_new(struct acore_loop *loop, int fd, int *rc)
{
	struct acore_dispatcher *d;
	struct udp_sock *us;

	if ((us = calloc(1, sizeof(*us))) == NULL ||
	    (d = acore_dispatcher_new(loop, &udp_server_ops, us)) == NULL) {
		free(us);
		if (fd >= 0)
			close(fd);
		*rc = -ENOMEM;
		return NULL;
	}
	/* From here the channel's close frees us (us_closed). */
	if (fd >= 0 && (*rc = acore_set_socket(d, fd)) < 0) {
		acore_close(d);
		return NULL;
	}
	return d;
}

/* One socket on address i of a (arg: the loop). */
static int
us_bind_one(const struct echo_addrs *a, size_t i, void *arg)
{
	struct acore_dispatcher *d;
	int rc, family = a->ss[i].ss_family;

	if ((d = us_new(arg, -1, &rc)) == NULL)
		return rc;
	/*
	 * No SO_REUSEADDR: UDP has no TIME_WAIT to skip, and on Linux it
	 * lets a second server bind a port in use, which then takes the
	 * first one's datagrams.
	 */
	if ((rc = acore_create_socket(d, family, SOCK_DGRAM)) < 0 ||
	    (rc = echo_v6only(acore_fd(d), a, family)) < 0 ||
	    (rc = acore_bind(d, (const struct sockaddr *)&a->ss[i],
	    a->len[i])) < 0) {
		acore_close(d);
		return rc;
	}
	echo_srv.listeners[echo_srv.nlisteners++] = d;
	return 0;
}

int
echo_udp_listen(struct acore_loop *loop, const char *host, const char *port,
    int family, int fd)
{
	struct acore_dispatcher *d;
	int rc;

	if (fd < 0)
		return echo_listen_each(host, port, family, SOCK_DGRAM, 0,
		    us_bind_one, loop);
	/* --workers: one of the master's sockets, bound already. */
	if ((d = us_new(loop, fd, &rc)) == NULL)
		return rc;
	echo_srv.listeners[echo_srv.nlisteners++] = d;
	return 0;
}

/* ---------------------------------------------------------------- client */

static struct udp_client {
	struct echo_client_conf conf;
	char		 where[300];
	struct acore_dispatcher *sock, *in;
	struct acore_timer *retry;
	struct acore_resolve *res;
	char		*cur, *prev, *rbuf;
	size_t		 cur_len, prev_len;
	int		 have_cur;	/* a datagram awaits its echo */
	int		 must_send;	/* ... and is not sent yet */
	int		 tries;
	uint64_t	 taken;		/* message bytes taken from the input */
	uint64_t	 echoed;	/* message bytes echoed back */
	uint64_t	 ndgram;	/* datagrams sent, counting the current */
	double		 wait;
	int		 eof, connected, finished;
} uc;

static void
uc_finish(int status)
{
	if (uc.finished)
		return;
	uc.finished = 1;
	if (uc.res != NULL)
		acore_resolve_cancel(uc.res);
	if (uc.sock != NULL)
		acore_close(uc.sock);
	if (uc.in != NULL)
		acore_close(uc.in);
	if (uc.retry != NULL)
		acore_timer_free(uc.retry);
	free(uc.cur);
	free(uc.prev);
	free(uc.rbuf);
	uc.cur = uc.prev = uc.rbuf = NULL;
	uc.sock = uc.in = NULL;
	uc.retry = NULL;
	if (uc.conf.done != NULL)
		uc.conf.done(status);
}

static void
uc_send(void)
{
	ssize_t n;

	n = acore_sendto(uc.sock, uc.cur, uc.cur_len, NULL, 0);
	if (n == -EAGAIN) {
		uc.must_send = 1;	/* on the next write event */
		return;
	}
	if (n < 0) {
		uc_finish(echo_client_failed(&uc.conf, uc.where, 1, (int)n));
		return;
	}
	uc.must_send = 0;
	echo_log_data(uc.sock, "handle_write()", uc.cur, uc.cur_len);
	uc.tries++;
	acore_timer_start(uc.retry, uc.wait);
}

/* The next datagram from the message, or the verdict when all is back. */
static void
uc_next(void)
{
	size_t len;

	if (uc.finished || !uc.connected || uc.have_cur)
		return;
	if (uc.conf.msg != NULL && uc.taken < uc.conf.len) {
		len = uc.conf.len - uc.taken;
		if (len > uc.conf.chunk)
			len = uc.conf.chunk;
		memcpy(uc.cur, uc.conf.msg + uc.taken, len);
		uc.cur_len = len;
		uc.taken += len;
	} else if (uc.conf.msg == NULL && !uc.eof)
		return;		/* uc_in_read brings the next one */
	else {
		acore_log(ACORE_LOG_DEBUG, acore_name(uc.sock),
		    "RECEIVED COPY OF MESSAGE");
		uc_finish(AC_EXIT_OK);
		return;
	}
	uc.have_cur = 1;
	uc.tries = 0;
	uc.ndgram++;
	uc_send();
}

static void
uc_read(struct acore_dispatcher *d, void *arg)
{
	size_t i;
	ssize_t n;
	int rc;

	(void)arg;
	while (!uc.finished) {
		if ((n = acore_recvfrom(d, uc.rbuf, DGRAM_MAX, NULL,
		    NULL)) == -EAGAIN)
			return;
		if (n < 0) {
			uc_finish(echo_client_failed(&uc.conf, uc.where, 0,
			    (int)n));
			return;
		}
		echo_log_data(d, "handle_read()", uc.rbuf, (size_t)n);
		if (!uc.have_cur || (size_t)n != uc.cur_len ||
		    memcmp(uc.rbuf, uc.cur, (size_t)n) != 0) {
			/* A retry's late twin: already counted. */
			if ((size_t)n == uc.prev_len &&
			    memcmp(uc.rbuf, uc.prev, (size_t)n) == 0)
				continue;
			for (i = 0; uc.have_cur && i < (size_t)n &&
			    i < uc.cur_len && uc.rbuf[i] == uc.cur[i]; i++)
				;
			acore_log(ACORE_LOG_DEBUG, acore_name(d),
			    "ERROR IN TRANSMISSION");
			warnx("echo-client: echo from %s differs from the "
			    "message at byte %" PRIu64, uc.where,
			    uc.echoed + i);
			uc_finish(AC_EXIT_FAIL);
			return;
		}
		if (uc.conf.out_fd >= 0 && (rc = cmd_write_all(uc.conf.out_fd,
		    uc.rbuf, (size_t)n)) < 0) {
			warnx("echo-client: %s: %s", uc.conf.out_name,
			    strerror(-rc));
			uc_finish(AC_EXIT_WRITE);
			return;
		}
		acore_timer_stop(uc.retry);
		uc.echoed += (size_t)n;
		memcpy(uc.prev, uc.cur, uc.cur_len);
		uc.prev_len = uc.cur_len;
		uc.have_cur = 0;
		uc_next();
	}
}

static void
uc_timeout(void *arg)
{
	(void)arg;
	if (uc.tries <= uc.conf.retries) {
		acore_debug(uc.sock, "no echo in %g s: sending again", uc.wait);
		uc_send();
		return;
	}
	warnx("echo-client: no echo of datagram %" PRIu64 " (%zu bytes) from "
	    "%s after %d tries of %g s", uc.ndgram, uc.cur_len, uc.where,
	    uc.tries, uc.wait);
	uc_finish(AC_EXIT_TIMEOUT);
}

static int
uc_writable(struct acore_dispatcher *d, void *arg)
{
	(void)d;
	(void)arg;
	return !uc.connected || uc.must_send;
}

static void
uc_write(struct acore_dispatcher *d, void *arg)
{
	(void)d;
	(void)arg;
	if (uc.must_send)
		uc_send();
}

static void
uc_connect(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	acore_debug(d, "handle_connect()");
	uc.connected = 1;
	uc_next();
}

static void
uc_error(struct acore_dispatcher *d, int err, void *arg)
{
	(void)d;
	(void)arg;
	uc_finish(echo_client_failed(&uc.conf, uc.where, uc.connected, err));
}

static const struct acore_ops udp_client_ops = {
	.name = "EchoClient",
	.writable = uc_writable,
	.handle_read = uc_read,
	.handle_write = uc_write,
	.handle_connect = uc_connect,
	.handle_error = uc_error,
};

static int
uc_in_readable(struct acore_dispatcher *d, void *arg)
{
	(void)d;
	(void)arg;
	return uc.connected && !uc.have_cur && !uc.eof;
}

static void
uc_in_read(struct acore_dispatcher *d, void *arg)
{
	ssize_t n;

	(void)arg;
	/* A 0 read runs uc_in_close first. */
	if ((n = acore_recv(d, uc.cur, uc.conf.chunk)) <= 0)
		return;
	uc.cur_len = (size_t)n;
	uc.taken += (size_t)n;
	uc.have_cur = 1;
	uc.tries = 0;
	uc.ndgram++;
	uc_send();
}

static void
uc_in_close(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	acore_close(d);
	uc.in = NULL;
	uc.eof = 1;
	uc_next();
}

static void
uc_in_error(struct acore_dispatcher *d, int err, void *arg)
{
	(void)d;
	(void)arg;
	warnx("echo-client: %s: %s", uc.conf.in_name, acore_strerror(err));
	uc_finish(AC_EXIT_FAIL);
}

static const struct acore_ops udp_input_ops = {
	.name = "EchoInput",
	.readable = uc_in_readable,
	.handle_read = uc_in_read,
	.handle_close = uc_in_close,
	.handle_error = uc_in_error,
};

/* Connect the datagram socket to the first usable address. */
static void
uc_resolved(int err, const struct addrinfo *res, void *arg)
{
	const struct addrinfo *ai;
	int rc = err;

	(void)arg;
	uc.res = NULL;
	if (err == -ECANCELED)
		return;
	for (ai = res; err == 0 && ai != NULL; ai = ai->ai_next) {
		if (uc.conf.source_len > 0 &&
		    uc.conf.source.ss_family != ai->ai_family) {
			rc = -EAFNOSUPPORT;
			continue;
		}
		if ((rc = acore_create_socket(uc.sock, ai->ai_family,
		    SOCK_DGRAM)) < 0)
			break;
		if (uc.conf.source_len > 0 && (rc = acore_set_source(uc.sock,
		    (const struct sockaddr *)&uc.conf.source,
		    uc.conf.source_len)) < 0)
			break;
		rc = acore_connect(uc.sock, ai->ai_addr, ai->ai_addrlen);
		break;
	}
	if (rc < 0)
		uc_finish(echo_client_failed(&uc.conf, uc.where, 0, rc));
}

int
echo_udp_client_start(struct acore_loop *loop,
    const struct echo_client_conf *c)
{
	memset(&uc, 0, sizeof(uc));
	uc.conf = *c;
	uc.wait = c->connect_timeout > 0 ? c->connect_timeout : DEFAULT_WAIT;
	echo_client_where(c, uc.where, sizeof(uc.where));
	if ((uc.cur = malloc(c->chunk)) == NULL ||
	    (uc.prev = malloc(c->chunk)) == NULL ||
	    (uc.rbuf = malloc(DGRAM_MAX)) == NULL ||
	    (uc.retry = acore_timer_new(loop, uc_timeout, NULL)) == NULL ||
	    (uc.sock = acore_dispatcher_new(loop, &udp_client_ops,
	    NULL)) == NULL ||
	    (c->msg == NULL && (uc.in = acore_file_new(loop, c->in_fd,
	    &udp_input_ops, NULL)) == NULL)) {
		warn("echo-client");
		uc_finish(AC_EXIT_FAIL);
		return AC_EXIT_FAIL;
	}
	acore_debug(uc.sock, "connecting to ('%s', %s)", c->host, c->port);
	uc.res = acore_resolve(loop, c->host, c->port, c->family, uc_resolved,
	    NULL);
	return 0;
}
