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
 * A connection whose response is complete but that will not be reused
 * waits (briefly) for the server's close, as asyncore does, so the log ends
 * the way the transcripts do.
 */
#include "config.h"

#include <sys/socket.h>

#include <err.h>
#include <netdb.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acore.h"
#include "cmd.h"
#include "http.h"

#define LINGER_SECS	0.5	/* wait for the server's close, at most */
#define MAX_RETRIES	3	/* re-sends after a keep-alive close */

struct hg_conn {
	struct hg		*g;
	struct acore_dispatcher	*d;
	struct hg_host		*host;
	struct hg_job		*job;	/* NULL while lingering */
	struct http_parser	 p;
	char			*req;
	size_t			 reqlen, reqoff;
	unsigned		 served;	/* responses completed */
	int			 last;	/* no job left for the host */
	int			 said_close; /* request said close */
	int			 connected;
	int			 in_read;	/* inside acore_recv() */
	int			 reset;	/* closed by a reset */
	int			 werr;	/* output failed: -errno */
	char			*location;	/* redirect to follow */
	TAILQ_ENTRY(hg_conn)	 link;
};

static void	 conn_fail(struct hg_conn *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	 conn_eof(struct hg_conn *);
static void	 write_failed(struct hg_conn *);

/* --------------------------------------------------------------- requests */

/* -H replaces a header of ours with the same name ("Name:" drops it). */
static int
user_has(const struct hg_opts *o, const char *name)
{
	size_t n = strlen(name);
	int i;

	for (i = 0; i < o->nheaders; i++)
		if (strncasecmp(o->headers[i], name, n) == 0 &&
		    o->headers[i][n] == ':')
			return 1;
	return 0;
}

static int
build_request(struct hg_conn *c, struct hg_job *j)
{
	const struct hg_opts *o = &c->g->o;
	FILE *fp;
	size_t size;
	const char *v;
	int i;

	free(c->req);
	c->req = NULL;
	if ((fp = open_memstream(&c->req, &size)) == NULL)
		return -ENOMEM;
	fprintf(fp, "GET %s HTTP/1.%d\r\n", o->absolute ? j->u.absolute :
	    j->u.target, o->http10 ? 0 : 1);
	/* HTTP/1.0 absolute form: exactly what the PyMOTW example sends. */
	if (!(o->http10 && o->absolute) && !user_has(o, "Host"))
		fprintf(fp, "Host: %s\r\n", j->u.authority);
	if (!o->http10) {
		if (o->user_agent != NULL && !user_has(o, "User-Agent"))
			fprintf(fp, "User-Agent: %s\r\n", o->user_agent);
		if (!user_has(o, "Accept"))
			fprintf(fp, "Accept: */*\r\n");
		/* With -L any answer may send us on to the same server. */
		if (c->last && !o->follow && !user_has(o, "Connection")) {
			fprintf(fp, "Connection: close\r\n");
			c->said_close = 1;
		}
	}
	for (i = 0; i < o->nheaders; i++) {
		v = strchr(o->headers[i], ':') + 1;
		v += strspn(v, " \t");
		if (*v != '\0')
			fprintf(fp, "%s\r\n", o->headers[i]);
	}
	fprintf(fp, "\r\n");
	if (fclose(fp) != 0)
		return -ENOMEM;
	c->reqlen = size;
	c->reqoff = 0;
	return 0;
}

/* Put job j on this connection: the logger name follows the URL. */
static int
assign(struct hg_conn *c, struct hg_job *j, int last)
{
	c->job = j;
	c->last = last;
	c->said_close = c->g->o.http10;
	free(c->location);
	c->location = NULL;
	http_parser_reset(&c->p, 0);
	acore_set_name(c->d, j->url);
	return build_request(c, j);
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
	if ((j->out == NULL && (rc = hg_job_output(c->g, j)) < 0) ||
	    (j->out != NULL && (rc = hg_out_write(j->out, buf, len)) < 0)) {
		c->werr = rc;
		return -1;
	}
	return 0;
}

static int
on_headers(struct http_parser *p, const char *block, size_t len, void *arg)
{
	struct hg_conn *c = arg;
	const struct hg_opts *o = &c->g->o;
	const char *loc;
	size_t llen;

	c->job->status = p->status;
	if (p->status >= 200 && o->follow && (p->status == 301 ||
	    p->status == 302 || p->status == 303 || p->status == 307 ||
	    p->status == 308) && (loc = http_get_field(p, "location",
	    &llen)) != NULL && (c->location = strndup(loc, llen)) == NULL)
		return 1;
	if (p->status >= 200 && c->location == NULL && !o->raw)
		hg_progress_expect(c->g->writer, p->body_kind ==
		    HTTP_BODY_LENGTH ? p->content_length : p->body_kind ==
		    HTTP_BODY_NONE ? 0 : -1);
	if (o->include && !o->raw)
		return emit(c, block, len) < 0;
	return 0;
}

static int
on_body(struct http_parser *p, const char *data, size_t len, void *arg)
{
	struct hg_conn *c = arg;

	(void)p;
	/* A redirect's own body is not what was asked for. */
	if (c->location != NULL || c->g->o.raw)
		return 0;
	hg_progress_add(c->g->writer, len);
	return emit(c, data, len) < 0;
}

static const struct http_parser_cb parser_cb = {
	.headers = on_headers,
	.body = on_body,
};

/* -------------------------------------------------------------- life cycle */

/* "HTTP 404 Not Found", the reason made printable. */
static const char *
status_line(struct hg_conn *c, char *buf, size_t size)
{
	const char *r;
	size_t len, i, n;

	r = http_reason(&c->p, &len);
	n = (size_t)snprintf(buf, size, "HTTP %d", c->p.status);
	if (len > 0 && n + 1 < size)
		buf[n++] = ' ';
	for (i = 0; i < len && n + 1 < size; i++)
		buf[n++] = r[i] >= 0x20 && r[i] < 0x7f ? r[i] : '?';
	buf[n] = '\0';
	return buf;
}

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
	char msg[128];
	int keep, last;

	/*
	 * Bytes beyond the response are not ours: never reuse then.  Nor
	 * with --show-reads, whose responses end with the server's close.
	 */
	keep = c->p.keep_alive && !c->said_close && leftover == 0 &&
	    !g->o.show_reads;
	c->served++;
	c->job = NULL;
	if (c->location != NULL)
		hg_redirect(g, j, c->location);
	else if (g->o.fail && j->status >= 400)
		hg_job_done(g, j, AC_EXIT_HTTP, status_line(c, msg,
		    sizeof(msg)));
	else
		hg_job_done(g, j, AC_EXIT_OK, NULL);
	if (keep && !g->aborted &&
	    (next = hg_next_for(g, c->host, &last)) != NULL) {
		if (assign(c, next, last) < 0)
			conn_fail(c, AC_EXIT_FAIL, "out of memory");
	} else if (keep)
		acore_close(c->d);
	else {
		/* Let the server close first, as asyncore's client does. */
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
		if (c->g->o.show_reads && http_parser_done(&c->p)) {
			if (emit(c, data + off, n - off) < 0)
				write_failed(c);
			return;
		}
		r = http_parser_feed(&c->p, data + off, n - off);
		if (r >= 0) {
			j->wire += (uint64_t)r;
			if (c->g->o.raw && emit(c, data + off, (size_t)r) < 0)
				r = HTTP_E_ABORT;
		}
		if (r == HTTP_E_ABORT && c->werr != 0) {
			write_failed(c);
			return;
		}
		if (r < 0) {
			conn_fail(c, r == HTTP_E_ABORT ? AC_EXIT_FAIL :
			    AC_EXIT_PROTOCOL, "bad response from %s port %s: "
			    "%s", j->u.host, j->u.port, r == HTTP_E_ABORT ?
			    "out of memory" : http_strerror((int)r));
			return;
		}
		off += (size_t)r;
		/*
		 * print(self.recv(8192)) prints until the server closes: the
		 * job stays open for that, and for the empty read's line.
		 */
		if (http_parser_done(&c->p) && c->g->o.show_reads)
			acore_set_timeout(c->d, LINGER_SECS);
		else if (http_parser_done(&c->p))
			response_done(c, n - off);
	}
}

/* ------------------------------------------------------------------- hooks */

static int
c_readable(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	acore_debug(d, "readable() -> True");
	return 1;
}

static int
c_writable(struct acore_dispatcher *d, void *arg)
{
	struct hg_conn *c = arg;

	if (c->reqoff >= c->reqlen)
		return 0;
	acore_debug(d, "writable() -> True");
	return 1;
}

static void
c_connect(struct acore_dispatcher *d, void *arg)
{
	struct hg_conn *c = arg;

	acore_debug(d, "handle_connect()");
	c->connected = 1;
	acore_set_timeout(d, 0);
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
	acore_debug(d, "handle_close()");
	acore_close(d);
	/* From a failed send no read follows to report the end. */
	if (!c->in_read)
		conn_eof(c);
}

static void
c_error(struct acore_dispatcher *d, int err, void *arg)
{
	struct hg_conn *c = arg;
	struct hg_job *j = c->job;

	acore_debug(d, "handle_close()");
	if (j == NULL) {
		acore_close(d);	/* lingering: the response is safe */
		return;
	}
	if (c->g->o.show_reads && http_parser_done(&c->p)) {
		/* Whole, but the server did not close within the linger. */
		acore_close(d);
		response_done(c, 0);
		return;
	}
	if (ACORE_IS_EAI(err))
		conn_fail(c, AC_EXIT_DNS, "cannot resolve %s: %s", j->u.host,
		    acore_strerror(err));
	else if (!c->connected && err == -ETIMEDOUT)
		conn_fail(c, AC_EXIT_TIMEOUT, "connect to %s port %s: timed "
		    "out after %g s", j->u.host, j->u.port,
		    c->g->o.connect_timeout);
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
	http_parser_free(&c->p);
	free(c->req);
	free(c->location);
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
	acore_close(c->d);
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

	snprintf(what, sizeof(what), "%s: %s", c->job->file != NULL ?
	    c->job->file : "stdout", acore_strerror(err));
	if (to_stdout) {
		warnx("http-get: %s", what);
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
	 * no failure of the request: send it again on a new connection.
	 */
	if (http_parser_idle(&c->p) && c->served > 0 &&
	    j->retries < MAX_RETRIES) {
		j->retries++;
		c->job = NULL;
		hg_requeue(c->g, j);
		hg_schedule(c->g);
		return;
	}
	r = c->reset ? 0 : http_parser_eof(&c->p);
	if (!c->reset && r == 0)
		response_done(c, 0);	/* the end was the body's end */
	else if (c->reset)
		conn_fail(c, AC_EXIT_RESET, "connection reset by %s port %s",
		    j->u.host, j->u.port);
	else if (r == HTTP_E_EMPTY)
		conn_fail(c, AC_EXIT_RESET, "%s port %s closed the connection "
		    "without a response", j->u.host, j->u.port);
	else if (c->p.body_kind == HTTP_BODY_LENGTH && r == HTTP_E_SHORT)
		conn_fail(c, AC_EXIT_PROTOCOL, "body shorter than "
		    "Content-Length (%llu of %lld bytes)",
		    (unsigned long long)c->p.body_bytes,
		    (long long)c->p.content_length);
	else
		conn_fail(c, AC_EXIT_PROTOCOL, "bad response from %s port %s: "
		    "%s", j->u.host, j->u.port, http_strerror(r));
}

/*
 * An address literal needs no lookup (and must not be filtered by the
 * resolver's idea of which families are configured: [::1] works on hosts
 * without IPv6 routes); names are resolved without blocking, every address
 * tried in turn.
 */
static int
connect_to(struct hg_conn *c, const struct hg_job *j)
{
	struct addrinfo hints, *ai;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = c->g->o.family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if ((rc = getaddrinfo(j->u.host, j->u.port, &hints, &ai)) != 0)
		return rc == EAI_NONAME ? acore_connect_host(c->d, j->u.host,
		    j->u.port, c->g->o.family) : ACORE_EAI(rc);
	if ((rc = acore_create_socket(c->d, ai->ai_family, SOCK_STREAM)) == 0)
		rc = acore_connect(c->d, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	return rc;
}

/* A new connection for job j. */
int
hg_conn_start(struct hg *g, struct hg_job *j, int last)
{
	struct hg_conn *c;
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	c->g = g;
	c->host = j->host;
	http_parser_init(&c->p, 0, &parser_cb, c);
	if ((c->d = acore_dispatcher_new(g->loop, &conn_ops, c)) == NULL) {
		rc = -errno;
		http_parser_free(&c->p);
		free(c);
		return rc;
	}
	TAILQ_INSERT_TAIL(&g->conns, c, link);
	if (assign(c, j, last) < 0) {
		conn_fail(c, AC_EXIT_FAIL, "out of memory");
		return 0;
	}
	acore_debug(c->d, "connecting to ('%s', %s)", j->u.host, j->u.port);
	if (g->o.connect_timeout > 0)
		acore_set_timeout(c->d, g->o.connect_timeout);
	if ((rc = connect_to(c, j)) < 0)
		c_error(c->d, rc, c);
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
		acore_close(c->d);
		if (j != NULL)
			hg_job_done(g, j, result, msg);
	}
}
