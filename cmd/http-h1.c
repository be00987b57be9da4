/*
 * http-h1.c: HTTP/1.x on a connection (struct hg_proto hg_h1): one job at
 * a time (c->job), its request written as text, its response read by
 * libahttp's parser.  A response that leaves the connection reusable
 * hands it to the next job of its host:port (hg_conn_next()).
 *
 * The hooks log what PyMOTW's HttpClient logs: handle_write with the
 * bytes sent; http-conn.c logs the rest.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acore.h"
#include "cmd.h"
#include "http.h"

#define LINGER_SECS	0.5	/* --show-reads: wait for the server's close */

struct h1 {
	struct ahttp_parser	 p;
	struct hg_resp		 r;	/* the response under way */
	char			*req;
	size_t			 reqlen, reqoff;
	int			 said_close; /* request said close */
	int			 shown;	/* -v: its head is on stderr */
	struct hg_send		*send;	/* the request's body */
	int			 expect;	/* the request has Expect */
	int			 retry417; /* a 417 to Expect: again without */
};

#define H1(c)	((struct h1 *)(c)->ps)

/* ---------------------------------------------------------------- request */

/* The request as HTTP/1.x text, into a malloc'ed *text. */
static int
serialise(const struct hg_req *r, char **text, size_t *len)
{
	FILE *fp;
	size_t i;

	*text = NULL;
	if ((fp = open_memstream(text, len)) == NULL)
		return -ENOMEM;
	fprintf(fp, "%s %s HTTP/1.%d\r\n", r->method, r->target, r->minor);
	for (i = 0; i < r->nfields; i++)
		fprintf(fp, "%.*s: %.*s\r\n", (int)r->fields[i].namelen,
		    r->fields[i].name, (int)r->fields[i].valuelen,
		    r->fields[i].value);
	fprintf(fp, "\r\n");
	if (fclose(fp) != 0) {
		free(*text);
		*text = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int
h1_submit(struct hg_conn *c, struct hg_job *j, int last)
{
	const struct hg_opts *o = &c->g->o;
	struct h1 *h = H1(c);
	struct hg_req r;
	int rc;

	hg_resp_clear(&h->r);
	ahttp_parser_reset(&h->p, o->head ? AHTTP_PARSE_HEAD : 0);
	free(h->req);
	h->req = NULL;
	h->reqlen = h->reqoff = 0;
	h->shown = 0;
	hg_send_free(h->send);
	h->send = NULL;
	h->retry417 = 0;
	/* With -L any answer may send us on to the same server. */
	if ((rc = hg_request(o, j, last && !o->follow, &r)) < 0)
		return rc;
	/* A body goes from its first byte, if it still can. */
	if (r.body != NULL && hg_body_rewind(r.body) < 0)
		rc = -ESPIPE;
	else if (r.body != NULL && (h->send = hg_send_new(c->g, r.body,
	    r.expect)) == NULL)
		rc = -ENOMEM;
	else
		rc = serialise(&r, &h->req, &h->reqlen);
	h->said_close = r.close;
	h->expect = r.expect;
	hg_req_free(&r);
	return rc;
}

/* The body's only while its job is on c: the job owns it. */
static int
h1_want_write(const struct hg_conn *c)
{
	return H1(c)->reqoff < H1(c)->reqlen || (c->job != NULL &&
	    hg_send_want(H1(c)->send));
}

static void
h1_write(struct hg_conn *c)
{
	struct h1 *h = H1(c);
	ssize_t n;

	if (h->reqoff >= h->reqlen) {
		if (c->job != NULL && hg_send_write(h->send, c->d) < 0)
			hg_conn_fail(c, AC_EXIT_READ, "%s",
			    hg_body_error(c->job->rbody));
		return;
	}
	if (!h->shown) {
		h->shown = 1;
		hg_show_head('>', h->req, h->reqlen);
	}
	n = acore_send(c->d, h->req + h->reqoff, h->reqlen - h->reqoff);
	if (n < 0 || (acore_flags(c->d) & ACORE_CLOSED))
		return;		/* handle_error or handle_close ran */
	cmd_log_data(acore_name(c->d), "handle_write() -> \"", h->req +
	    h->reqoff, (size_t)n, "\"");
	h->reqoff += (size_t)n;
	if (h->reqoff == h->reqlen)
		hg_send_head_sent(h->send);
}

/* ---------------------------------------------------------------- parsing */

static int
next_field(const struct hg_head *hd, size_t *pos, struct ahttp_field *f)
{
	return ahttp_next_field(hd->src, pos, f);
}

static int
on_headers(struct ahttp_parser *p, const char *block, size_t len, void *arg)
{
	struct hg_conn *c = arg;
	struct h1 *h = H1(c);
	struct hg_head hd;

	if (p->status < 200)
		hg_send_interim(h->send, p->status);
	else if (hg_send_final(h->send)) {
		/* the body is cut short: the connection ends with this */
		h->said_close = 1;
		/* as curl: a 417 to our Expect, the same again without */
		if (p->status == 417 && hg_send_unsent(h->send) &&
		    h->expect) {
			h->retry417 = 1;
			return 0;
		}
	}
	memset(&hd, 0, sizeof(hd));
	hd.status = p->status;
	hd.version = 10 + p->minor;
	hd.reason = ahttp_reason(p, &hd.reasonlen);
	hd.length = p->body_kind == AHTTP_BODY_LENGTH ? p->content_length :
	    p->body_kind == AHTTP_BODY_NONE ? 0 : -1;
	hd.next = next_field;
	hd.src = p;
	return hg_resp_head(c->g, c->job, &H1(c)->r, &hd, block, len);
}

static int
on_body(struct ahttp_parser *p, const char *data, size_t len, void *arg)
{
	struct hg_conn *c = arg;

	(void)p;
	if (H1(c)->retry417)
		return 0;
	return hg_resp_body(c->g, c->job, &H1(c)->r, data, len);
}

static const struct ahttp_parser_cb parser_cb = {
	.headers = on_headers,
	.body = on_body,
};

/* The job's output could not be written. */
static void
write_failed(struct hg_conn *c)
{
	char msg[512];
	int result;

	if (hg_resp_write_failed(c->g, c->job, &H1(c)->r, &result, msg,
	    sizeof(msg)) == 0)
		hg_conn_fail(c, result, "%s", msg);
}

/*
 * The response to c->job is complete.  Settle the job (done, or off to
 * its redirect), then give the connection the next job for its host:port
 * or let it go.
 */
static void
response_done(struct hg_conn *c, size_t leftover)
{
	struct h1 *h = H1(c);
	struct hg_job *j = c->job;
	int keep;

	if (h->retry417) {
		j->no_expect = 1;
		c->job = NULL;
		hg_conn_close(c);
		hg_requeue(c->g, j);
		hg_schedule(c->g);
		return;
	}
	if (hg_resp_end(&h->r)) {
		hg_conn_fail(c, h->r.bad, "%s", h->r.v.msg);
		return;
	}
	/*
	 * Bytes beyond the response are not ours: never reuse then.  Nor
	 * with --show-reads, whose responses end with the server's close.
	 */
	keep = h->p.keep_alive && !h->said_close && leftover == 0 &&
	    !c->g->o.show_reads;
	c->served++;
	c->job = NULL;
	hg_resp_settle(c->g, j, &h->r);
	hg_conn_next(c, keep);
}

static void
feed(struct hg_conn *c, const char *data, size_t n)
{
	struct h1 *h = H1(c);
	struct hg_job *j;
	size_t off = 0;
	ssize_t r;

	while (off < n && (j = c->job) != NULL) {
		/* --show-reads: what follows a whole response is printed too. */
		if (c->g->o.show_reads && ahttp_parser_done(&h->p)) {
			if (hg_resp_emit(c->g, j, &h->r, data + off, n - off))
				write_failed(c);
			return;
		}
		r = ahttp_parser_feed(&h->p, data + off, n - off);
		if (r >= 0) {
			j->wire += (uint64_t)r;
			if (c->g->o.raw && hg_resp_emit(c->g, j, &h->r,
			    data + off, (size_t)r))
				r = AHTTP_E_ABORT;
		}
		if (r == AHTTP_E_ABORT && h->r.werr != 0) {
			write_failed(c);
			return;
		}
		if (r == AHTTP_E_ABORT && h->r.bad != 0) {
			hg_conn_fail(c, h->r.bad, "%s", h->r.v.msg);
			return;
		}
		if (r < 0) {
			hg_conn_fail(c, r == AHTTP_E_ABORT ? AC_EXIT_FAIL :
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
		if (ahttp_parser_done(&h->p) && c->g->o.show_reads)
			acore_set_timeout(c->d, LINGER_SECS);
		else if (ahttp_parser_done(&h->p))
			response_done(c, n - off);
	}
	/*
	 * The rest of a body of known length is sure to come: the loop may
	 * wait for bigger batches of it.  Not under --limit-rate, whose
	 * small reads leave bytes queued that must still wake us.
	 */
	if (c->job != NULL && c->d != NULL && h->p.body_kind ==
	    AHTTP_BODY_LENGTH && !ahttp_parser_done(&h->p) &&
	    c->g->o.limit_rate == 0)
		(void)acore_set_expected(c->d, (uint64_t)h->p.content_length -
		    h->p.body_bytes);
}

static void
h1_input(struct hg_conn *c, const char *data, size_t n)
{
	if (n > 0 && c->job != NULL)
		feed(c, data, n);
	/* --show-reads: each read, the empty one too, ends with a newline. */
	if (c->g->o.show_reads && c->job != NULL && H1(c)->r.werr == 0 &&
	    hg_resp_emit(c->g, c->job, &H1(c)->r, "\n", 1))
		write_failed(c);
}

/* --show-reads: whole, but the server did not close within the linger. */
static int
h1_timeout(struct hg_conn *c)
{
	if (!c->g->o.show_reads || !ahttp_parser_done(&H1(c)->p))
		return 0;
	hg_conn_close(c);
	response_done(c, 0);
	return 1;
}

/* The server closed (or reset) the connection. */
static void
h1_eof(struct hg_conn *c)
{
	struct h1 *h = H1(c);
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
	if (ahttp_parser_idle(&h->p) && c->served > 0) {
		c->job = NULL;
		hg_conn_close(c);
		hg_requeue(c->g, j);
		hg_schedule(c->g);
		return;
	}
	/* Without close_notify the end proves nothing: the body may be cut. */
	if (c->truncated) {
		hg_conn_fail(c, AC_EXIT_RESET, "%s port %s: %s", j->u.host,
		    j->u.port, acore_strerror(ACORE_ETLS_TRUNCATED));
		return;
	}
	r = c->reset ? 0 : ahttp_parser_eof(&h->p);
	if (!c->reset && r == 0)
		response_done(c, 0);	/* the end was the body's end */
	else if (c->reset)
		hg_conn_fail(c, AC_EXIT_RESET, "connection reset by %s port %s",
		    j->u.host, j->u.port);
	else if (r == AHTTP_E_EMPTY)
		hg_conn_fail(c, AC_EXIT_RESET, "%s port %s closed the "
		    "connection without a response", j->u.host, j->u.port);
	else if (h->p.body_kind == AHTTP_BODY_LENGTH && r == AHTTP_E_SHORT)
		hg_conn_fail(c, AC_EXIT_PROTOCOL, "body shorter than "
		    "Content-Length (%llu of %lld bytes)",
		    (unsigned long long)h->p.body_bytes,
		    (long long)h->p.content_length);
	else
		hg_conn_fail(c, AC_EXIT_PROTOCOL, "bad response from %s port "
		    "%s: %s", j->u.host, j->u.port, ahttp_strerror(r));
}

/* ------------------------------------------------------------- life cycle */

static int
h1_init(struct hg_conn *c)
{
	struct h1 *h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return -ENOMEM;
	ahttp_parser_init(&h->p, 0, &parser_cb, c);
	c->ps = h;
	return 0;
}

/*
 * One job at a time, and never one from the scheduler: a response that
 * leaves the connection reusable hands it the host's next job itself
 * (hg_conn_next()), so an HTTP/1 connection never waits idle for one.
 * While a job is on it, or between its response and that hand-over, it
 * has no room.
 */
static int
h1_capacity(const struct hg_conn *c)
{
	(void)c;
	return 0;
}

static struct hg_job *
h1_take(struct hg_conn *c)
{
	struct hg_job *j = c->job;

	c->job = NULL;
	return j;
}

static void
h1_free(struct hg_conn *c)
{
	struct h1 *h = H1(c);

	if (h == NULL)
		return;
	ahttp_parser_free(&h->p);
	hg_resp_clear(&h->r);
	hg_send_free(h->send);
	free(h->req);
	free(h);
	c->ps = NULL;
}

const struct hg_proto hg_h1 = {
	.name = "http/1.1",
	.init = h1_init,
	.capacity = h1_capacity,
	.submit = h1_submit,
	.want_write = h1_want_write,
	.write = h1_write,
	.input = h1_input,
	.eof = h1_eof,
	.timeout = h1_timeout,
	.take = h1_take,
	.free = h1_free,
};
