/*
 * http-h2.c: HTTP/2 on a connection (struct hg_proto hg_h2), with
 * nghttp2: many jobs at once, a stream each, up to the peer's
 * SETTINGS_MAX_CONCURRENT_STREAMS (the scheduler asks capacity()).
 *
 * nghttp2 parses and frames; this file moves bytes between it and the
 * socket and turns its callbacks into response heads and body bytes for
 * http-resp.c.  The callbacks only record what happened to a stream
 * (complete, failed, to be sent again); reap() settles those jobs once
 * nghttp2 has returned, since settling may schedule, redirect, retry or
 * stop everything, none of which belongs inside the parser.
 *
 * Flow control is sized for throughput and paced by the output: windows
 * are large (STREAM_WINDOW per stream, CONN_WINDOW for the connection,
 * as curl does since its 64 KiB default cost a factor of 7 over a
 * 33 ms path), automatic window updates are off, and a body's bytes are
 * acknowledged (nghttp2_session_consume) only once the output has taken
 * them, so a slow disk or pipe slows the peer instead of growing memory.
 *
 * Errors: a RST_STREAM fails its job alone (AC_EXIT_HTTP2); a stream the
 * peer refused, or one a GOAWAY says it never processed, goes back to the
 * queue for a new connection; a framing error ends the connection and
 * its jobs with AC_EXIT_HTTP2.
 */
#include "config.h"

#include <sys/queue.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acore.h"
#include "cmd.h"
#include "http.h"
#include "http-h2.h"

/* nghttp2 1.60 renamed the calls that take sizes (ssize_t: nghttp2_ssize). */
#ifdef HAVE_NGHTTP2_SESSION_MEM_RECV2
#define ng_mem_recv	nghttp2_session_mem_recv2
#define ng_mem_send	nghttp2_session_mem_send2
#define ng_submit	nghttp2_submit_request2
#else
#define ng_mem_recv	nghttp2_session_mem_recv
#define ng_mem_send	nghttp2_session_mem_send
#define ng_submit	nghttp2_submit_request
#endif
#define STREAM_WINDOW	(32 * 1024 * 1024)
#define CONN_WINDOW	(1024 * 1024 * 1024)
#define SEND_BATCH	(64 * 1024)	/* frames gathered per send */
#define MAX_STREAMS	1000		/* whatever the peer allows */

static void	 h2_write(struct hg_conn *);

/* ------------------------------------------------------------ settling */

/*
 * Settle the streams whose fate is known, outside nghttp2's callbacks.
 * Each is off the list before its job is settled: settling may come back
 * here through take() (hg_abort) or submit().
 */
static void
reap(struct hg_conn *c)
{
	struct h2 *h = H2(c);
	struct h2_stream *st;
	struct hg_job *j;
	char msg[512];
	int result;

	for (;;) {
		/* Settled in order; requeued from the last, so that the
		 * queue's head gets them back in their order. */
		TAILQ_FOREACH(st, &h->streams, link)
			if (st->state != S_OPEN && st->state != S_REQUEUE)
				break;
		if (st == NULL)
			TAILQ_FOREACH_REVERSE(st, &h->streams, h2_streamq, link)
				if (st->state == S_REQUEUE)
					break;
		if (st == NULL)
			break;
		TAILQ_REMOVE(&h->streams, st, link);
		h->nstreams--;
		if (!(acore_flags(c->d) & ACORE_CLOSED))
			nghttp2_session_set_stream_user_data(h->s, st->id,
			    NULL);
		j = st->job;
		st->job = NULL;
		if (c->job == j)
			c->job = NULL;
		if (st->state == S_DONE && hg_resp_end(&st->r))
			hg_job_done(c->g, j, st->r.bad, st->r.v.msg);
		else if (st->state == S_DONE) {
			c->served++;
			hg_resp_settle(c->g, j, &st->r);
		} else if (st->state == S_REQUEUE)
			hg_requeue(c->g, j);
		else if (st->r.werr == 0)
			hg_job_done(c->g, j, st->result, st->msg);
		else if (hg_resp_write_failed(c->g, j, &st->r, &result, msg,
		    sizeof(msg)) == 0)
			hg_job_done(c->g, j, result, msg);
		h2_stream_free(st);
	}
	st = TAILQ_FIRST(&h->streams);
	c->job = st != NULL ? st->job : NULL;
}

/*
 * After the peer's bytes or our own failures: settle what is known, let
 * the scheduler use the room, and close a connection nothing is left for.
 */
static void
after(struct hg_conn *c)
{
	struct h2 *h = H2(c);

	reap(c);
	if (acore_flags(c->d) & ACORE_CLOSED)
		return;
	if (h->sent_code != NGHTTP2_NO_ERROR) {
		h2_write(c);	/* our GOAWAY says why */
		hg_conn_fail(c, AC_EXIT_HTTP2, "%s port %s: HTTP/2 %s%s%s",
		    c->host->host, c->host->port,
		    nghttp2_http2_strerror(h->sent_code), h->why[0] ? ": " :
		    "", h->why);
		return;
	}
	if (h->nstreams == 0)
		hg_schedule(c->g);
	if (acore_flags(c->d) & ACORE_CLOSED)
		return;
	if (h->nstreams == 0) {
		/* Nothing left for it: say goodbye, then go. */
		if (!h->closing && nghttp2_session_terminate_session(h->s,
		    NGHTTP2_NO_ERROR) == 0)
			h->closing = 1;
		h2_write(c);
		if (!(acore_flags(c->d) & ACORE_CLOSED))
			hg_conn_close(c);
		hg_schedule(c->g);
		return;
	}
	h2_write(c);
}

/* ------------------------------------------------------------------ ops */

static int
h2_init(struct hg_conn *c)
{
	nghttp2_session_callbacks *cb;
	nghttp2_option *opt;
	struct h2 *h;
	nghttp2_settings_entry iv[] = {
		{ NGHTTP2_SETTINGS_ENABLE_PUSH, 0 },
		{ NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, STREAM_WINDOW },
		{ NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100 },
		{ NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, AHTTP_MAX_HEADER },
	};
	int rc;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return -ENOMEM;
	TAILQ_INIT(&h->streams);
	h->c = c;
	c->ps = h;
	if (nghttp2_session_callbacks_new(&cb) != 0)
		return -ENOMEM;
	h2_callbacks(cb);
	if (nghttp2_option_new(&opt) != 0) {
		nghttp2_session_callbacks_del(cb);
		return -ENOMEM;
	}
	/* Window updates follow the output: on_data() consumes. */
	nghttp2_option_set_no_auto_window_update(opt, 1);
	/* Until the peer's SETTINGS say otherwise (RFC 9113 suggests 100). */
	nghttp2_option_set_peer_max_concurrent_streams(opt, 100);
	rc = nghttp2_session_client_new2(&h->s, cb, c, opt);
	nghttp2_option_del(opt);
	nghttp2_session_callbacks_del(cb);
	if (rc != 0)
		return -ENOMEM;
	if (nghttp2_submit_settings(h->s, NGHTTP2_FLAG_NONE, iv,
	    sizeof(iv) / sizeof(iv[0])) != 0 ||
	    nghttp2_session_set_local_window_size(h->s, NGHTTP2_FLAG_NONE, 0,
	    CONN_WINDOW) != 0)
		return -ENOMEM;
	return 0;
}

static int
h2_capacity(const struct hg_conn *c)
{
	const struct h2 *h = H2(c);
	uint32_t max;

	if (h == NULL || h->goaway || h->closing || !c->connected)
		return 0;
	max = nghttp2_session_get_remote_settings(h->s,
	    NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
	if (max > MAX_STREAMS)
		max = MAX_STREAMS;
	return (int)max > h->nstreams ? (int)max - h->nstreams : 0;
}

/* Fields HTTP/2 forbids (RFC 9113 8.2.2), or has its own way to say. */
static int
dropped(const struct hg_field *f)
{
	static const char *const names[] = {
		"connection", "keep-alive", "proxy-connection",
		"transfer-encoding", "upgrade", "host", "te", NULL
	};
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strlen(names[i]) == f->namelen &&
		    strncasecmp(names[i], f->name, f->namelen) == 0)
			return 1;
	return 0;
}

static nghttp2_nv
nv(const char *name, size_t namelen, const char *value, size_t valuelen)
{
	nghttp2_nv x = {
		(uint8_t *)(uintptr_t)name, (uint8_t *)(uintptr_t)value,
		namelen, valuelen, NGHTTP2_NV_FLAG_NONE
	};

	return x;
}

/*
 * -v: the request as curl -v shows an HTTP/2 one: the pseudo-fields as a
 * request line ("GET /path HTTP/2") and a Host field, then the fields
 * as sent (names in lower case), CR LF each, and the blank line.
 */
static void
h2_show_request(const nghttp2_nv *nva, size_t n)
{
	size_t i, len = 32;
	char *text, *p;

	if (!cmd_is_verbose() || n < 4)
		return;
	for (i = 0; i < n; i++)
		len += nva[i].namelen + nva[i].valuelen + 4;
	if ((p = text = malloc(len)) == NULL)
		return;
	/* nva: :method, :scheme, :authority, :path, then the fields. */
	p += sprintf(p, "%.*s %.*s HTTP/2\r\nHost: %.*s\r\n",
	    (int)nva[0].valuelen, (const char *)nva[0].value,
	    (int)nva[3].valuelen, (const char *)nva[3].value,
	    (int)nva[2].valuelen, (const char *)nva[2].value);
	for (i = 4; i < n; i++)
		p += sprintf(p, "%.*s: %.*s\r\n", (int)nva[i].namelen,
		    (const char *)nva[i].name, (int)nva[i].valuelen,
		    (const char *)nva[i].value);
	p += sprintf(p, "\r\n");
	hg_show_head('>', text, (size_t)(p - text));
	free(text);
}

static int
h2_submit(struct hg_conn *c, struct hg_job *j, int last)
{
	struct h2 *h = H2(c);
	struct h2_stream *st;
	struct hg_req r;
	nghttp2_nv *nva;
	const char *authority;
	size_t i, n = 0, alen;
	char *lower, *p;
	int32_t id;
	int rc;

	(void)last;
	if ((rc = hg_request(&c->g->o, j, 0, &r)) < 0)
		return rc;
	authority = r.authority;
	alen = strlen(authority);
	for (i = 0; i < r.nfields; i++)
		if (r.fields[i].namelen == 4 &&
		    strncasecmp(r.fields[i].name, "host", 4) == 0) {
			authority = r.fields[i].value;	/* -H Host: */
			alen = r.fields[i].valuelen;
		}
	/* Names go lower case on the wire (RFC 9113 8.2.1). */
	for (i = 0, rc = 0; i < r.nfields; i++)
		rc += (int)r.fields[i].namelen;
	nva = calloc(r.nfields + 4, sizeof(*nva));
	lower = malloc((size_t)rc + 1);
	st = calloc(1, sizeof(*st));
	if (nva == NULL || lower == NULL || st == NULL) {
		free(nva);
		free(lower);
		free(st);
		hg_req_free(&r);
		return -ENOMEM;
	}
	/* :path is the origin form even with --absolute-form. */
	nva[n++] = nv(":method", 7, r.method, strlen(r.method));
	nva[n++] = nv(":scheme", 7, r.scheme, strlen(r.scheme));
	nva[n++] = nv(":authority", 10, authority, alen);
	nva[n++] = nv(":path", 5, j->u.target, strlen(j->u.target));
	for (i = 0, p = lower; i < r.nfields; i++) {
		if (dropped(&r.fields[i]))
			continue;
		for (rc = 0; rc < (int)r.fields[i].namelen; rc++)
			p[rc] = (char)tolower((unsigned char)
			    r.fields[i].name[rc]);
		nva[n++] = nv(p, r.fields[i].namelen, r.fields[i].value,
		    r.fields[i].valuelen);
		p += r.fields[i].namelen;
	}
	st->job = j;
	h2_show_request(nva, n);
	/* r.body (a request body) is not sent over HTTP/2 yet. */
	id = ng_submit(h->s, NULL, nva, n, NULL, st);
	free(nva);
	free(lower);
	hg_req_free(&r);
	if (id < 0) {
		free(st);
		return id == NGHTTP2_ERR_NOMEM ? -ENOMEM : -EPROTO;
	}
	st->id = id;
	TAILQ_INSERT_TAIL(&h->streams, st, link);
	h->nstreams++;
	if (c->connected)
		h2_write(c);
	return 0;
}

static int
h2_want_write(const struct hg_conn *c)
{
	const struct h2 *h = H2(c);

	return h->outoff < h->outlen || nghttp2_session_want_write(h->s);
}

/*
 * Room for n more bytes in h->out; 0 or -1.  gcc -fanalyzer reports the
 * buffer as leaked when realloc() moves it (here and in h2_write()): it
 * is h->out, freed by h2_free() when c closes, which the analyzer does
 * not follow through the connection's void *ps.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif
static int
out_reserve(struct h2 *h, size_t n)
{
	size_t cap;
	char *nb;

	if (h->outlen + n <= h->outcap)
		return 0;
	cap = h->outlen + n + SEND_BATCH;
	if ((nb = realloc(h->out, cap)) == NULL)
		return -1;
	h->out = nb;
	h->outcap = cap;
	return 0;
}

/* Frames out: gathered into batches, what the socket refuses kept. */
static void
h2_write(struct hg_conn *c)
{
	struct h2 *h = H2(c);
	const uint8_t *data;
	ssize_t n;

	while (!(acore_flags(c->d) & ACORE_CLOSED)) {
		if (h->outoff == h->outlen) {
			h->outoff = h->outlen = 0;
			while (h->outlen < SEND_BATCH &&
			    (n = ng_mem_send(h->s, &data)) > 0) {
				if (out_reserve(h, (size_t)n) < 0) {
					hg_conn_fail(c, AC_EXIT_FAIL,
					    "out of memory");
					return;
				}
				memcpy(h->out + h->outlen, data, (size_t)n);
				h->outlen += (size_t)n;
			}
			if (h->outlen == 0)
				return;
		}
		n = acore_send(c->d, h->out + h->outoff, h->outlen - h->outoff);
		if (n <= 0)
			return;	/* later (or handle_error ran) */
		h->outoff += (size_t)n;
		if (h->outoff < h->outlen)
			return;
	}
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/*
 * What the open streams are sure to bring: the rest of each body of known
 * length.  The loop may then wait for bigger batches of it
 * (acore_set_expected), as for an HTTP/1.1 body.  Flow control cannot
 * hold those bytes back below the mark: on_data() consumes every byte at
 * once, so a stream's credit never falls under half of STREAM_WINDOW
 * (16 MiB against a mark of at most 256 KiB), and the connection's is
 * checked here, once a read.  The walk is integer compares over the open
 * streams, no lookup in nghttp2.
 */
static void
expect_more(struct hg_conn *c)
{
	struct h2 *h = H2(c);
	struct h2_stream *st;
	uint64_t sure = 0;
	int32_t credit;

	if (c->g->o.limit_rate > 0)
		return;
	TAILQ_FOREACH(st, &h->streams, link)
		if (st->state == S_OPEN && st->headed && st->length >= 0 &&
		    (uint64_t)st->length > st->got)
			sure += (uint64_t)st->length - st->got;
	credit = nghttp2_session_get_local_window_size(h->s);
	if (sure > (uint64_t)(credit > 0 ? credit : 0))
		sure = (uint64_t)(credit > 0 ? credit : 0);
	(void)acore_set_expected(c->d, sure);
}

static void
h2_input(struct hg_conn *c, const char *data, size_t n)
{
	struct h2 *h = H2(c);
	ssize_t rv;

	if (n == 0)
		return;
	rv = ng_mem_recv(h->s, (const uint8_t *)data, n);
	if (rv < 0) {
		reap(c);
		if (!(acore_flags(c->d) & ACORE_CLOSED))
			hg_conn_fail(c, AC_EXIT_HTTP2, "%s port %s: HTTP/2: %s",
			    c->host->host, c->host->port,
			    nghttp2_strerror((int)rv));
		return;
	}
	after(c);
	if (!(acore_flags(c->d) & ACORE_CLOSED))
		expect_more(c);
}

/* The peer closed: what it never answered goes on elsewhere. */
static void
h2_eof(struct hg_conn *c)
{
	struct h2 *h = H2(c);
	struct h2_stream *st;

	TAILQ_FOREACH(st, &h->streams, link) {
		if (st->state != S_OPEN)
			continue;
		if ((h->goaway && st->id > h->last_id) ||
		    (!st->begun && c->served > 0 && !h->goaway))
			st->state = S_REQUEUE;
		else if (h->goaway && h->goaway_code != NGHTTP2_NO_ERROR)
			h2_stream_fail(st, AC_EXIT_HTTP2, "%s port %s: GOAWAY %s",
			    c->host->host, c->host->port,
			    nghttp2_http2_strerror(h->goaway_code));
		else if (c->truncated)
			h2_stream_fail(st, AC_EXIT_RESET, "%s port %s: %s",
			    c->host->host, c->host->port,
			    acore_strerror(ACORE_ETLS_TRUNCATED));
		else if (c->reset)	/* as HTTP/1.1 says it */
			h2_stream_fail(st, AC_EXIT_RESET, "connection reset by "
			    "%s port %s", c->host->host, c->host->port);
		else
			h2_stream_fail(st, AC_EXIT_RESET, "%s port %s closed the "
			    "connection before stream %" PRId32 " ended",
			    c->host->host, c->host->port, st->id);
	}
	hg_conn_close(c);
	reap(c);
	hg_schedule(c->g);
}

static struct hg_job *
h2_take(struct hg_conn *c)
{
	struct h2 *h = H2(c);
	struct h2_stream *st;
	struct hg_job *j;

	if (h == NULL || (st = TAILQ_FIRST(&h->streams)) == NULL) {
		c->job = NULL;
		return NULL;
	}
	TAILQ_REMOVE(&h->streams, st, link);
	h->nstreams--;
	nghttp2_session_set_stream_user_data(h->s, st->id, NULL);
	j = st->job;
	h2_stream_free(st);
	c->job = TAILQ_FIRST(&h->streams) != NULL ?
	    TAILQ_FIRST(&h->streams)->job : NULL;
	return j;
}

static void
h2_free(struct hg_conn *c)
{
	struct h2 *h = H2(c);
	struct h2_stream *st;

	if (h == NULL)
		return;
	while ((st = TAILQ_FIRST(&h->streams)) != NULL) {
		TAILQ_REMOVE(&h->streams, st, link);
		h2_stream_free(st);
	}
	nghttp2_session_del(h->s);
	free(h->out);
	free(h);
	c->ps = NULL;
}

const struct hg_proto hg_h2 = {
	.name = "h2",
	.init = h2_init,
	.capacity = h2_capacity,
	.submit = h2_submit,
	.want_write = h2_want_write,
	.write = h2_write,
	.input = h2_input,
	.eof = h2_eof,
	.take = h2_take,
	.free = h2_free,
};
