/*
 * http-conn.c: one HTTP connection, an asyncore HttpClient dispatcher,
 * whatever protocol it speaks (struct hg_proto: http-h1.c).  What every
 * protocol shares is here: connect, TLS, the --retry wait, timers, the
 * host's connection count, reuse, failing every job on a connection.
 *
 * The hooks log what PyMOTW's HttpClient logs (readable() every pass,
 * writable() while request bytes remain, handle_connect, handle_write with
 * the bytes sent, handle_read with the count, handle_close before the
 * 0-byte read) under the logger named by the URL being fetched.  Unlike the
 * example, a connection is kept for the next URL to the same host:port
 * when the server allows it, and the logger name follows the URL.
 *
 * A connection whose response is complete but that will not be reused is
 * closed at once.  Only with -v does it wait (briefly) for the server's
 * close, as asyncore does, so the log ends the way the transcripts do.
 *
 * A connection counts against its host's --max-host-conns from its start
 * (a --retry wait included: the attempt holds its place) until it closes.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acore.h"
#include "cmd.h"
#include "http.h"

#define LINGER_SECS	0.5	/* -v: wait for the server's close */

static void	 open_now(struct hg_conn *);
static void	 c_write(struct acore_dispatcher *, void *);

/* Out of the host's count; the connection takes no more jobs. */
static void
retire(struct hg_conn *c)
{
	if (!c->retired) {
		c->retired = 1;
		c->host->nconns--;
	}
}

void
hg_conn_close(struct hg_conn *c)
{
	retire(c);
	acore_close(c->d);
}

void
hg_conn_linger(struct hg_conn *c)
{
	retire(c);
	acore_set_timeout(c->d, LINGER_SECS);
}

/*
 * -w: where and when j's connection got.  On a connection already up
 * (reused) each stage is now, as curl counts them for a reused one.
 */
static void
note_conn(const struct hg_conn *c, struct hg_job *j)
{
	double now = acore_now();

	memcpy(j->remote_ip, c->remote_ip, sizeof(j->remote_ip));
	j->remote_port = c->remote_port;
	j->t_lookup = c->connected ? now : c->t_lookup;
	j->t_connect = c->connected ? now : c->t_connect;
	j->t_app = c->t_app > 0 && c->connected ? now : c->t_app;
}

/* Put job j on this connection: the logger name follows the URL. */
int
hg_conn_submit(struct hg_conn *c, struct hg_job *j, int last)
{
	int rc;

	c->job = j;
	c->last = last;
	if (j->start == 0)
		j->start = acore_now();
	j->t_first = 0;
	note_conn(c, j);
	acore_set_name(c->d, j->url);
	if ((rc = c->proto->submit(c, j, last)) < 0 && c->job == j)
		c->job = NULL;
	return rc;
}

struct hg_conn *
hg_conn_with_room(struct hg *g, const struct hg_host *h)
{
	struct hg_conn *c;

	TAILQ_FOREACH(c, &g->conns, link)
		if (c->host == h && !c->retired && !c->waiting && !c->may_mux &&
		    !(acore_flags(c->d) & ACORE_CLOSED) &&
		    c->proto->capacity(c) > 0)
			return c;
	return NULL;
}

int
hg_host_waits(struct hg *g, const struct hg_host *h)
{
	struct hg_conn *c;

	TAILQ_FOREACH(c, &g->conns, link)
		if (c->host == h && c->may_mux && !c->retired)
			return 1;
	return 0;
}

void
hg_conn_next(struct hg_conn *c, int keep)
{
	struct hg *g = c->g;
	struct hg_job *next;
	const char *msg;
	int last, rc, result;

	if (keep && !g->aborted &&
	    (next = hg_next_for(g, c->host, &last)) != NULL) {
		if ((rc = hg_conn_submit(c, next, last)) < 0) {
			hg_conn_close(c);
			msg = hg_req_error(next, rc, &result);
			hg_job_done(g, next, result, msg);
		} else	/* the socket is writable: save a loop pass */
			c_write(c->d, c);
	} else if (keep || !cmd_is_verbose())
		hg_conn_close(c);
	else
		/* -v: let the server close first, as asyncore's client does. */
		hg_conn_linger(c);
	hg_schedule(g);
}

/* ------------------------------------------------------------------- hooks */

/*
 * -w's times of a connect by name: the loop asks readable() right after
 * every dispatch, so a stage that ended is seen here at the time of the
 * event that ended it.
 */
static void
stage_times(struct hg_conn *c)
{
	int stage;

	if (c->connected || c->t_connect > 0)
		return;
	stage = acore_connect_stage(c->d);
	if (c->t_lookup == 0 && stage > ACORE_STAGE_RESOLVE)
		c->t_lookup = acore_now();
	if (stage > ACORE_STAGE_CONNECT)
		c->t_connect = acore_now();
	/* A connect that fails still tells how long the lookup took. */
	if (c->job != NULL)
		note_conn(c, c->job);
}

/* --limit-rate's timer: only wakes the loop, whose pass asks again. */
static void
rate_wake(void *arg)
{
	(void)arg;
}

/*
 * --limit-rate, a token bucket on the connection: the bytes read so far
 * may not run ahead of the rate since the first read.  Ahead, reading
 * pauses (readable() says no) and a timer wakes the loop when the rate
 * has caught up: nothing sleeps.  1 while paused.
 */
static int
rate_paused(struct hg_conn *c)
{
	double ahead;

	if (c->g->o.limit_rate == 0 || c->rl_start == 0)
		return 0;
	ahead = c->rl_start + (double)c->rl_got /
	    (double)c->g->o.limit_rate - acore_now();
	if (ahead <= 0)
		return 0;
	if (c->rl_timer == NULL &&
	    (c->rl_timer = acore_timer_new(c->g->loop, rate_wake, c)) == NULL)
		return 0;
	acore_timer_start(c->rl_timer, ahead);
	return 1;
}

static int
c_readable(struct acore_dispatcher *d, void *arg)
{
	struct hg_conn *c = arg;

	if (c->waiting || rate_paused(c))
		return 0;
	stage_times(c);
	acore_debug(d, "readable() -> True");
	return 1;
}

static int
c_writable(struct acore_dispatcher *d, void *arg)
{
	struct hg_conn *c = arg;

	if (c->waiting || !c->proto->want_write(c))
		return 0;
	acore_debug(d, "writable() -> True");
	return 1;
}

/* --connect-timeout, or curl's default: a connect never waits for ever. */
static double
connect_limit(const struct hg *g)
{
	return g->o.connect_timeout > 0 ? g->o.connect_timeout :
	    HG_CONNECT_SECS;
}

/* HTTP/2 may be spoken to j's origin: offered by ALPN, or known. */
static int
h2_possible(const struct hg *g, const struct hg_job *j)
{
	const struct hg_opts *o = &g->o;

	/*
	 * --raw and --show-reads are about HTTP/1's bytes; a request body
	 * goes over HTTP/1.1 only, until http-h2.c sends one.
	 */
	if (o->http2 < 0 || o->http10 || o->raw || o->show_reads ||
	    hg_body_any(o))
		return 0;
	/*
	 * An http:// URL forwarded by an HTTP proxy goes in HTTP/1.1's
	 * absolute form, --http2-prior-knowledge or not: h2c is between
	 * us and the origin, and the proxy is not it (curl: the same).
	 */
	if (hg_proxy_forwards(j->host->proxy, &j->u))
		return 0;
	return j->u.tls || o->http2 == 2;
}

/* The connection turned out to speak HTTP/2: its job moves over. */
static int
h2_chosen(struct hg_conn *c)
{
	const char *alpn;
	size_t n;

	if (!c->may_mux)
		return 0;
	if (c->g->o.http2 == 2 && !c->host->tls)
		return 1;
	n = acore_tls_alpn(c->d, &alpn);
	return n == 2 && memcmp(alpn, "h2", 2) == 0;
}

static void
switch_proto(struct hg_conn *c, const struct hg_proto *p)
{
	struct hg_job *j = c->proto->take(c);
	int rc;

	c->proto->free(c);
	c->proto = p;
	if ((rc = p->init(c)) == 0 && j != NULL)
		rc = hg_conn_submit(c, j, c->last);
	if (rc < 0) {
		hg_conn_close(c);
		if (j != NULL)
			hg_job_done(c->g, j, AC_EXIT_FAIL, rc == -EINVAL ?
			    "control characters in the request" :
			    "out of memory");
	}
}

static void
c_connect(struct acore_dispatcher *d, void *arg)
{
	struct hg_conn *c = arg;
	int mux = c->may_mux;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char port[16];
	double now = acore_now();

	memset(&ss, 0, sizeof(ss));	/* scan-build: getpeername fills it */
	acore_debug(d, "handle_connect()");
	/* Up: what the stages did not show ended now (a Unix socket's). */
	c->t_lookup = c->t_lookup > 0 ? c->t_lookup : now;
	c->t_connect = c->t_connect > 0 ? c->t_connect : now;
	if (c->host->tls)
		c->t_app = now;
	/* curl's -w for a Unix socket: the peer's path, the URL's port. */
	if (getpeername(acore_fd(d), (struct sockaddr *)&ss, &len) == 0 &&
	    ss.ss_family == AF_UNIX) {
		snprintf(c->remote_ip, sizeof(c->remote_ip), "%.*s",
		    (int)sizeof(((struct sockaddr_un *)&ss)->sun_path),
		    ((struct sockaddr_un *)&ss)->sun_path);
		c->remote_port = atoi(c->host->port);
	} else if (ss.ss_family != AF_UNIX && getnameinfo((struct sockaddr *)&ss,
	    len, c->remote_ip, sizeof(c->remote_ip), port, sizeof(port),
	    NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		c->remote_port = atoi(port);
	if (c->job != NULL)
		note_conn(c, c->job);
	c->connected = 1;
	if (h2_chosen(c)) {
		acore_debug(d, "h2: speaking HTTP/2");
		switch_proto(c, &hg_h2);
	}
	c->may_mux = 0;
	if (c->proto->connected != NULL && !(acore_flags(d) & ACORE_CLOSED))
		c->proto->connected(c);
	/* The host's other jobs waited to see: on c, or on new ones. */
	if (mux)
		hg_schedule(c->g);
}

static void
c_write(struct acore_dispatcher *d, void *arg)
{
	struct hg_conn *c = arg;

	(void)d;
	c->proto->write(c);
}

static void
c_read(struct acore_dispatcher *d, void *arg)
{
	struct hg_conn *c = arg;
	size_t want = c->g->o.chunk, rate = c->g->o.limit_rate;
	ssize_t n;

	/* --limit-rate: reads of a tenth of a second's worth at most. */
	if (rate > 0 && want > rate / 10)
		want = rate / 10 > 0 ? rate / 10 : 1;
	c->in_read = 1;
	n = acore_recv(d, c->g->buf, want);
	c->in_read = 0;
	if (n < 0)
		return;		/* -EAGAIN, or handle_error ran */
	if (rate > 0 && c->rl_start == 0)
		c->rl_start = acore_now();
	c->rl_got += (uint64_t)n;
	acore_debug(d, "handle_read() -> %zd bytes", n);
	c->proto->input(c, c->g->buf, (size_t)n);
	if (n == 0)
		c->proto->eof(c);
}

static void
c_close(struct acore_dispatcher *d, void *arg)
{
	struct hg_conn *c = arg;

	c->reset = acore_close_reason(d) < 0;
	c->truncated = acore_close_reason(d) == ACORE_ETLS_TRUNCATED;
	acore_debug(d, "handle_close()");
	hg_conn_close(c);
	/* From a failed send no read follows to report the end. */
	if (!c->in_read)
		c->proto->eof(c);
}

static void
c_error(struct acore_dispatcher *d, int err, void *arg)
{
	struct hg_conn *c = arg;
	struct hg_job *j = c->job;

	if (c->waiting && err == -ETIMEDOUT) {
		c->waiting = 0;		/* the --retry wait is over */
		open_now(c);
		return;
	}
	acore_debug(d, "handle_close()");
	if (j == NULL) {
		hg_conn_close(c);	/* lingering: the response is safe */
		hg_schedule(c->g);
		return;
	}
	if (c->proto->timeout != NULL && c->proto->timeout(c))
		return;
	/* --resolve gave more addresses: the next one, as curl. */
	if (!c->connected && c->route != NULL &&
	    c->addr + 1 < c->route->naddrs) {
		c->addr++;
		open_now(c);
		return;
	}
	if (!c->connected && c->g->o.unix_socket != NULL)
		hg_conn_fail(c, err == -ETIMEDOUT ? AC_EXIT_TIMEOUT :
		    cmd_exit_for(err), "connect to %s: %s",
		    c->g->o.unix_socket, acore_strerror(err));
	else if (!c->connected && hg_proxy_failed(c, err))
		return;
	else if (ACORE_IS_EAI(err))
		hg_conn_fail(c, AC_EXIT_DNS, "cannot resolve %s: %s",
		    j->u.host, acore_strerror(err));
	else if (!c->connected && err == -ETIMEDOUT)
		hg_conn_fail(c, AC_EXIT_TIMEOUT, "connect to %s port %s: "
		    "timed out after %g s", j->u.host, j->u.port,
		    connect_limit(c->g));
	else if (!c->connected)
		hg_conn_fail(c, cmd_exit_for(err), "connect to %s port %s: "
		    "%s", j->u.host, j->u.port, acore_strerror(err));
	else
		hg_conn_fail(c, cmd_exit_for(err), "%s port %s: %s",
		    j->u.host, j->u.port, acore_strerror(err));
}

static void
c_closed(void *arg)
{
	struct hg_conn *c = arg;

	TAILQ_REMOVE(&c->g->conns, c, link);
	if (c->rl_timer != NULL)
		acore_timer_free(c->rl_timer);
	c->proto->free(c);
	free(c);
}

static const struct acore_ops conn_ops = {
	.name = "HttpClient",
	.readable = c_readable,
	.writable = c_writable,
	.handle_connect = c_connect,
	.handle_write = c_write,
	.handle_read = c_read,
	.handle_close = c_close,
	.handle_error = c_error,
	.closed = c_closed,
};

/* The jobs on c fail: report them, drop the connection, go on. */
void
hg_conn_fail(struct hg_conn *c, int result, const char *fmt, ...)
{
	struct hg_job *j;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hg_conn_close(c);
	while ((j = c->proto->take(c)) != NULL)
		hg_job_done(c->g, j, result, msg);
	hg_schedule(c->g);
}

/* The one place a connection is opened. */
static void
open_now(struct hg_conn *c)
{
	const struct hg_opts *o = &c->g->o;
	struct hg_job *j = c->job;
	const char *host = j->u.host;
	int rc, family = o->family;

	/*
	 * --unix-socket (no proxy then, as curl), or --resolve's address (the
	 * next one on a retry) when the target's name is resolved here: not
	 * through an HTTP, socks4a or socks5h proxy, which gets the name.
	 */
	if (o->unix_socket != NULL) {
		host = o->unix_socket;
		family = AF_UNIX;
	} else if (!hg_proxy_resolves_here(c->host->proxy))
		c->route = NULL;
	else if (c->addr == 0 &&
	    (c->route = hg_resolve_find(o, j->u.host, j->u.port)) != NULL)
		host = c->route->addrs[0];
	else if (c->route != NULL)
		host = c->route->addrs[c->addr];
	acore_debug(c->d, "connecting to ('%s', %s)", host, j->u.port);
	/* As curl's: the limit covers the TLS handshake (and the retry wait's
	 * idle timer is done with). */
	acore_set_timeout(c->d, 0);
	acore_set_connect_timeout(c->d, connect_limit(c->g));
	if ((rc = hg_proxy_connect(c, j, host, family)) < 0)
		c_error(c->d, rc, c);
}

int
hg_conn_start(struct hg *g, struct hg_job *j, int last)
{
	struct hg_conn *c;
	const char *msg;
	int rc, result;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	c->g = g;
	c->host = j->host;
	c->proto = &hg_h1;
	if ((rc = c->proto->init(c)) < 0) {
		free(c);
		return rc;
	}
	if ((c->d = acore_dispatcher_new(g->loop, &conn_ops, c)) == NULL) {
		rc = -errno;
		c->proto->free(c);
		free(c);
		return rc;
	}
	c->host->nconns++;
	TAILQ_INSERT_TAIL(&g->conns, c, link);
	if (j->u.tls && g->tls == NULL)
		g->tls = cmd_tls_client("http-get", NULL, NULL, 0);
	/* ALPN: h2 first unless HTTP/1 was asked for (curl's lists). */
	if (j->u.tls && !g->alpn_set) {
		g->alpn_set = 1;
		if (h2_possible(g, j))
			rc = acore_tls_set_alpn(g->tls, "h2,http/1.1");
		else
			rc = g->o.http2 < 0 && !g->o.http10 ?
			    acore_tls_set_alpn(g->tls, "http/1.1") : 0;
		if (rc < 0) {
			c->job = j;
			hg_conn_fail(c, AC_EXIT_FAIL, "%s", acore_strerror(rc));
			return 0;
		}
	}
	c->may_mux = h2_possible(g, j);
	if (j->u.tls && (rc = acore_tls_attach(c->d, g->tls, j->u.host)) < 0) {
		c->job = j;
		hg_conn_fail(c, AC_EXIT_FAIL, "%s", acore_strerror(rc));
		return 0;
	}
	if ((rc = hg_conn_submit(c, j, last)) < 0) {
		hg_conn_close(c);
		msg = hg_req_error(j, rc, &result);
		hg_job_done(g, j, result, msg);
		hg_schedule(g);
		return 0;
	}
	/* No socket yet: the channel's idle timer is the --retry wait. */
	c->waiting = j->delay > 0 && acore_set_timeout(c->d, j->delay) == 0;
	j->delay = 0;
	if (!c->waiting)
		open_now(c);
	return 0;
}

/* Stop every connection; their jobs end with result (msg may be NULL). */
void
hg_conn_abort_all(struct hg *g, int result, const char *msg)
{
	struct hg_conn *c;
	struct hg_job *j;

	TAILQ_FOREACH(c, &g->conns, link) {
		if (acore_flags(c->d) & ACORE_CLOSED)
			continue;
		hg_conn_close(c);
		while ((j = c->proto->take(c)) != NULL)
			hg_job_done(g, j, result, msg);
	}
}
