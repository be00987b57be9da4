/*
 * http-conn.c: one HTTP connection, an asyncore HttpClient dispatcher.
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

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acore.h"
#include "cmd.h"
#include "http.h"

#define LINGER_SECS	0.5	/* -v: wait for the server's close */

struct hg_conn {
	struct hg		*g;
	struct acore_dispatcher	*d;
	struct hg_host		*host;
	struct hg_job		*job;	/* NULL while lingering */
	struct ahttp_parser	 p;
	struct hg_verdict	 v;	/* on the response under way */
	struct ahttp_decoder	*dec;	/* --compressed */
	char			*req;
	size_t			 reqlen, reqoff;
	unsigned		 served;	/* responses completed */
	int			 last;	/* no job left for the host */
	int			 said_close; /* request said close */
	int			 connected;
	int			 waiting; /* --retry: not opened yet */
	int			 retired; /* out of its host's count */
	int			 in_read;	/* inside acore_recv() */
	int			 reset;	/* closed by a reset */
	int			 truncated; /* TLS end without close_notify */
	int			 werr;	/* output failed: -errno */
	int			 werr_open;	/* ... when opening it */
	int			 bad;	/* AC_EXIT_* a callback set */
	TAILQ_ENTRY(hg_conn)	 link;
};

static void	 conn_fail(struct hg_conn *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	 conn_eof(struct hg_conn *);
static void	 write_failed(struct hg_conn *);
static void	 open_now(struct hg_conn *);
static void	 c_write(struct acore_dispatcher *, void *);

/* Put job j on this connection: the logger name follows the URL. */
static int
assign(struct hg_conn *c, struct hg_job *j, int last)
{
	const struct hg_opts *o = &c->g->o;
	int rc;

	c->job = j;
	c->last = last;
	free(c->v.location);
	memset(&c->v, 0, sizeof(c->v));
	ahttp_decoder_free(c->dec);
	c->dec = NULL;
	if (j->start == 0)
		j->start = acore_now();
	ahttp_parser_reset(&c->p, o->head ? AHTTP_PARSE_HEAD : 0);
	acore_set_name(c->d, j->url);
	free(c->req);
	/* With -L any answer may send us on to the same server. */
	rc = hg_request(o, j, last && !o->follow, &c->req, &c->reqlen);
	c->reqoff = 0;
	c->said_close = rc > 0;
	return rc < 0 ? rc : 0;
}

/* Out of the host's count; the connection takes no more jobs. */
static void
retire(struct hg_conn *c)
{
	if (!c->retired) {
		c->retired = 1;
		c->host->nconns--;
	}
}

static void
conn_close(struct hg_conn *c)
{
	retire(c);
	acore_close(c->d);
}

/* ---------------------------------------------------------------- parsing */

/* Bytes for the job's output; on failure the parser is stopped. */
static int
emit(struct hg_conn *c, const void *buf, size_t len)
{
	struct hg_job *j = c->job;
	int rc;

	if (len == 0)
		return 0;
	if (j->out == NULL && (rc = hg_job_output(c->g, j)) < 0) {
		c->werr = rc;
		c->werr_open = 1;
		return -1;
	}
	if (j->out != NULL && (rc = hg_out_write(j->out, buf, len)) < 0) {
		c->werr = rc;
		return -1;
	}
	j->emitted |= j->out != NULL && j->file == NULL;
	return 0;
}

static int
emit_cb(void *arg, const void *buf, size_t len)
{
	return emit(arg, buf, len);
}

static int
on_headers(struct ahttp_parser *p, const char *block, size_t len, void *arg)
{
	struct hg_conn *c = arg;
	const struct hg_opts *o = &c->g->o;
	int err;

	c->job->status = p->status;
	if (p->status >= 200) {
		if (hg_verdict(c->g, c->job, p, &c->v) < 0)
			return 1;
		if (c->v.coding != NULL && (c->dec = ahttp_decoder_new(
		    c->v.coding, c->v.codinglen, &err)) == NULL) {
			c->bad = err == -ENOMEM ? AC_EXIT_FAIL :
			    AC_EXIT_PROTOCOL;
			if (err == -E2BIG)
				snprintf(c->v.msg, sizeof(c->v.msg), "more "
				    "than %d codings in Content-Encoding",
				    AHTTP_MAX_CODINGS);
			else
				snprintf(c->v.msg, sizeof(c->v.msg), "%s: "
				    "%.*s", err == -ENOMEM ? "out of memory" :
				    "unsupported Content-Encoding",
				    (int)(c->v.codinglen > 40 ? 40 :
				    c->v.codinglen), c->v.coding);
			return 1;
		}
		if (!c->v.discard && !o->raw)
			hg_progress_expect(c->g->writer, p->body_kind ==
			    AHTTP_BODY_LENGTH ? p->content_length :
			    p->body_kind == AHTTP_BODY_NONE ? 0 : -1);
	}
	if ((o->include || o->head) && !o->raw)
		return emit(c, block, len) < 0;
	return 0;
}

static int
on_body(struct ahttp_parser *p, const char *data, size_t len, void *arg)
{
	struct hg_conn *c = arg;
	int rc;

	(void)p;
	c->job->body += len;
	if (c->v.discard || c->g->o.raw)
		return 0;
	hg_progress_add(c->g->writer, len);
	if (c->dec == NULL)
		return emit(c, data, len) < 0;
	if ((rc = ahttp_decode(c->dec, data, len, emit_cb, c)) == -EBADMSG) {
		c->bad = AC_EXIT_PROTOCOL;
		snprintf(c->v.msg, sizeof(c->v.msg), "bad %s data in the body",
		    "compressed");
	}
	return rc != 0;
}

static const struct ahttp_parser_cb parser_cb = {
	.headers = on_headers,
	.body = on_body,
};

/* -------------------------------------------------------------- life cycle */

/*
 * The response to c->job is complete.  Settle the job (done, or off to
 * its redirect), then give the connection the next job for its host:port
 * or let it go.
 */
static void
response_done(struct hg_conn *c, size_t leftover)
{
	struct hg *g = c->g;
	struct hg_job *j = c->job, *next;
	int keep, last;

	if (c->dec != NULL && ahttp_decode_end(c->dec) < 0) {
		c->bad = AC_EXIT_PROTOCOL;
		snprintf(c->v.msg, sizeof(c->v.msg), "compressed body ends "
		    "early");
		conn_fail(c, c->bad, "%s", c->v.msg);
		return;
	}
	/*
	 * Bytes beyond the response are not ours: never reuse then.  Nor
	 * with --show-reads, whose responses end with the server's close.
	 */
	keep = c->p.keep_alive && !c->said_close && leftover == 0 &&
	    !g->o.show_reads;
	c->served++;
	c->job = NULL;
	if (c->v.location != NULL)
		hg_redirect(g, j, c->v.location);
	else
		hg_job_done(g, j, c->v.result, c->v.result != AC_EXIT_OK ?
		    c->v.msg : NULL);
	if (keep && !g->aborted &&
	    (next = hg_next_for(g, c->host, &last)) != NULL) {
		if (assign(c, next, last) < 0)
			conn_fail(c, AC_EXIT_FAIL, "out of memory");
		else	/* the socket is writable: save a loop pass */
			c_write(c->d, c);
	} else if (keep || !cmd_is_verbose())
		conn_close(c);
	else {
		/* -v: let the server close first, as asyncore's client does. */
		retire(c);
		acore_set_timeout(c->d, LINGER_SECS);
	}
	hg_schedule(g);
}

static void
input(struct hg_conn *c, const char *data, size_t n)
{
	struct hg_job *j;
	size_t off = 0;
	ssize_t r;

	while (off < n && (j = c->job) != NULL) {
		/* --show-reads: what follows a whole response is printed too. */
		if (c->g->o.show_reads && ahttp_parser_done(&c->p)) {
			if (emit(c, data + off, n - off) < 0)
				write_failed(c);
			return;
		}
		r = ahttp_parser_feed(&c->p, data + off, n - off);
		if (r >= 0) {
			j->wire += (uint64_t)r;
			if (c->g->o.raw && emit(c, data + off, (size_t)r) < 0)
				r = AHTTP_E_ABORT;
		}
		if (r == AHTTP_E_ABORT && c->werr != 0) {
			write_failed(c);
			return;
		}
		if (r == AHTTP_E_ABORT && c->bad != 0) {
			conn_fail(c, c->bad, "%s", c->v.msg);
			return;
		}
		if (r < 0) {
			conn_fail(c, r == AHTTP_E_ABORT ? AC_EXIT_FAIL :
			    AC_EXIT_PROTOCOL, "bad response from %s port %s: "
			    "%s", j->u.host, j->u.port, r == AHTTP_E_ABORT ?
			    "out of memory" : ahttp_strerror((int)r));
			return;
		}
		off += (size_t)r;
		/*
		 * print(self.recv(8192)) prints until the server closes: the
		 * job stays open for that, and for the empty read's line.
		 */
		if (ahttp_parser_done(&c->p) && c->g->o.show_reads)
			acore_set_timeout(c->d, LINGER_SECS);
		else if (ahttp_parser_done(&c->p))
			response_done(c, n - off);
	}
}

/* ------------------------------------------------------------------- hooks */

static int
c_readable(struct acore_dispatcher *d, void *arg)
{
	struct hg_conn *c = arg;

	if (c->waiting)
		return 0;
	acore_debug(d, "readable() -> True");
	return 1;
}

static int
c_writable(struct acore_dispatcher *d, void *arg)
{
	struct hg_conn *c = arg;

	if (c->reqoff >= c->reqlen || c->waiting)
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

static void
c_connect(struct acore_dispatcher *d, void *arg)
{
	struct hg_conn *c = arg;

	acore_debug(d, "handle_connect()");
	c->connected = 1;
}

static void
c_write(struct acore_dispatcher *d, void *arg)
{
	struct hg_conn *c = arg;
	ssize_t n;

	if (c->reqoff >= c->reqlen)
		return;
	n = acore_send(d, c->req + c->reqoff, c->reqlen - c->reqoff);
	if (n < 0 || (acore_flags(d) & ACORE_CLOSED))
		return;		/* handle_error or handle_close ran */
	cmd_log_data(acore_name(d), "handle_write() -> \"", c->req +
	    c->reqoff, (size_t)n, "\"");
	c->reqoff += (size_t)n;
}

static void
c_read(struct acore_dispatcher *d, void *arg)
{
	struct hg_conn *c = arg;
	ssize_t n;

	c->in_read = 1;
	n = acore_recv(d, c->g->buf, c->g->o.chunk);
	c->in_read = 0;
	if (n < 0)
		return;		/* -EAGAIN, or handle_error ran */
	acore_debug(d, "handle_read() -> %zd bytes", n);
	if (n > 0 && c->job != NULL)
		input(c, c->g->buf, (size_t)n);
	/* --show-reads: each read, the empty one too, ends with a newline. */
	if (c->g->o.show_reads && c->job != NULL && c->werr == 0 &&
	    emit(c, "\n", 1) < 0) {
		write_failed(c);
		return;
	}
	if (n == 0)
		conn_eof(c);
}

static void
c_close(struct acore_dispatcher *d, void *arg)
{
	struct hg_conn *c = arg;

	c->reset = acore_close_reason(d) < 0;
	c->truncated = acore_close_reason(d) == ACORE_ETLS_TRUNCATED;
	acore_debug(d, "handle_close()");
	conn_close(c);
	/* From a failed send no read follows to report the end. */
	if (!c->in_read)
		conn_eof(c);
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
		conn_close(c);	/* lingering: the response is safe */
		hg_schedule(c->g);
		return;
	}
	if (c->g->o.show_reads && ahttp_parser_done(&c->p)) {
		/* Whole, but the server did not close within the linger. */
		conn_close(c);
		response_done(c, 0);
		return;
	}
	if (ACORE_IS_EAI(err))
		conn_fail(c, AC_EXIT_DNS, "cannot resolve %s: %s", j->u.host,
		    acore_strerror(err));
	else if (!c->connected && err == -ETIMEDOUT)
		conn_fail(c, AC_EXIT_TIMEOUT, "connect to %s port %s: timed "
		    "out after %g s", j->u.host, j->u.port,
		    connect_limit(c->g));
	else if (!c->connected)
		conn_fail(c, cmd_exit_for(err), "connect to %s port %s: %s",
		    j->u.host, j->u.port, acore_strerror(err));
	else
		conn_fail(c, cmd_exit_for(err), "%s port %s: %s", j->u.host,
		    j->u.port, acore_strerror(err));
}

static void
c_closed(void *arg)
{
	struct hg_conn *c = arg;

	TAILQ_REMOVE(&c->g->conns, c, link);
	ahttp_parser_free(&c->p);
	ahttp_decoder_free(c->dec);
	free(c->req);
	free(c->v.location);
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

/* The job on c failed: report it, drop the connection, go on. */
static void
conn_fail(struct hg_conn *c, int result, const char *fmt, ...)
{
	struct hg_job *j = c->job;
	char msg[512];
	va_list ap;

	c->job = NULL;
	conn_close(c);
	if (j != NULL) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		hg_job_done(c->g, j, result, msg);
	}
	hg_schedule(c->g);
}

/*
 * The job's output could not be written.  A file fails that job alone;
 * stdout fails them all, since nothing more can be delivered.
 */
static void
write_failed(struct hg_conn *c)
{
	struct hg *g = c->g;
	int err = c->werr, to_stdout = c->job->file == NULL;
	char what[512];

	/* Only this URL's body could not wait for its turn on stdout. */
	if (to_stdout && hg_out_hold_error(c->job->out) != NULL) {
		conn_fail(c, AC_EXIT_WRITE, "%s",
		    hg_out_hold_error(c->job->out));
		return;
	}
	if (c->werr_open)
		snprintf(what, sizeof(what), "%s", hg_out_error(g->writer));
	else
		snprintf(what, sizeof(what), "%s: %s", c->job->file != NULL ?
		    c->job->file : "stdout", acore_strerror(err));
	if (to_stdout) {
		hg_warn(g, "http-get: %s", what);
		hg_abort(g, AC_EXIT_WRITE, NULL);
	} else
		conn_fail(c, AC_EXIT_WRITE, "%s", what);
}

/* The server closed (or reset) the connection. */
static void
conn_eof(struct hg_conn *c)
{
	struct hg_job *j = c->job;
	int r;

	if (j == NULL) {
		hg_schedule(c->g);
		return;
	}
	/*
	 * A kept-alive connection the server dropped before answering is
	 * no failure of the request: send it again on a new connection,
	 * every time (each such re-send uses up a reused connection, so
	 * this cannot go on for ever).
	 */
	if (ahttp_parser_idle(&c->p) && c->served > 0) {
		c->job = NULL;
		conn_close(c);
		hg_requeue(c->g, j);
		hg_schedule(c->g);
		return;
	}
	/* Without close_notify the end proves nothing: the body may be cut. */
	if (c->truncated) {
		conn_fail(c, AC_EXIT_RESET, "%s port %s: %s", j->u.host,
		    j->u.port, acore_strerror(ACORE_ETLS_TRUNCATED));
		return;
	}
	r = c->reset ? 0 : ahttp_parser_eof(&c->p);
	if (!c->reset && r == 0)
		response_done(c, 0);	/* the end was the body's end */
	else if (c->reset)
		conn_fail(c, AC_EXIT_RESET, "connection reset by %s port %s",
		    j->u.host, j->u.port);
	else if (r == AHTTP_E_EMPTY)
		conn_fail(c, AC_EXIT_RESET, "%s port %s closed the connection "
		    "without a response", j->u.host, j->u.port);
	else if (c->p.body_kind == AHTTP_BODY_LENGTH && r == AHTTP_E_SHORT)
		conn_fail(c, AC_EXIT_PROTOCOL, "body shorter than "
		    "Content-Length (%llu of %lld bytes)",
		    (unsigned long long)c->p.body_bytes,
		    (long long)c->p.content_length);
	else
		conn_fail(c, AC_EXIT_PROTOCOL, "bad response from %s port %s: "
		    "%s", j->u.host, j->u.port, ahttp_strerror(r));
}

/* The one place a connection is opened. */
static void
open_now(struct hg_conn *c)
{
	struct hg_job *j = c->job;
	int rc;

	acore_debug(c->d, "connecting to ('%s', %s)", j->u.host, j->u.port);
	/* As curl's: the limit covers the TLS handshake (and the retry wait's
	 * idle timer is done with). */
	acore_set_timeout(c->d, 0);
	acore_set_connect_timeout(c->d, connect_limit(c->g));
	if ((rc = acore_connect_host(c->d, j->u.host, j->u.port,
	    c->g->o.family)) < 0)
		c_error(c->d, rc, c);
}

int
hg_conn_start(struct hg *g, struct hg_job *j, int last)
{
	struct hg_conn *c;
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	c->g = g;
	c->host = j->host;
	ahttp_parser_init(&c->p, 0, &parser_cb, c);
	if ((c->d = acore_dispatcher_new(g->loop, &conn_ops, c)) == NULL) {
		rc = -errno;
		ahttp_parser_free(&c->p);
		free(c);
		return rc;
	}
	c->host->nconns++;
	TAILQ_INSERT_TAIL(&g->conns, c, link);
	if (j->u.tls && g->tls == NULL)
		g->tls = cmd_tls_client("http-get", NULL, NULL, 0);
	if (j->u.tls && (rc = acore_tls_attach(c->d, g->tls, j->u.host)) < 0) {
		conn_fail(c, AC_EXIT_FAIL, "%s", acore_strerror(rc));
		return 0;
	}
	if ((rc = assign(c, j, last)) < 0) {
		conn_fail(c, AC_EXIT_FAIL, rc == -EINVAL ? "control "
		    "characters in the request" : "out of memory");
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
		j = c->job;
		c->job = NULL;
		conn_close(c);
		if (j != NULL)
			hg_job_done(g, j, result, msg);
	}
}
