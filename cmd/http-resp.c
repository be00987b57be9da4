/*
 * http-resp.c: a response on its way to its job's output, whatever
 * protocol carried it.  The protocol hands over the head (struct hg_head)
 * and the body bytes; the verdict (http-retry.c) says what they mean
 * for the job, the decoder undoes --compressed codings, and the bytes go
 * to the job's output (http-out.c).  What a protocol does when this says
 * stop (close the connection, reset one stream) is its own business.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "acore.h"
#include "cmd.h"
#include "http.h"

/* ------------------------------------------------------------------ heads */

/* hg_head's walk as libahttp's ahttp_next_fn. */
static int
head_next(const void *src, size_t *pos, struct ahttp_field *f)
{
	const struct hg_head *h = src;

	return h->next(h, pos, f);
}

const char *
hg_head_get(const struct hg_head *h, const char *name, size_t *len)
{
	return ahttp_find_field(head_next, h, name, len);
}

size_t
hg_head_list(const struct hg_head *h, const char *name, char *buf,
    size_t size)
{
	return ahttp_find_list(head_next, h, name, buf, size);
}

/*
 * -v: a head as curl -v shows it, each line after "> " (sent) or "< "
 * (received), as it is on the wire (CR LF kept), up to its blank line;
 * one write(2), as each log record is, so the two never mix.
 */
void
hg_show_head(char mark, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl;
	char *buf, *q;
	size_t n;

	if (!cmd_is_verbose() || len == 0 ||
	    (buf = malloc(len + 2 * (len + 1))) == NULL)
		return;
	for (q = buf; p < end; p += n) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		*q++ = mark;
		*q++ = ' ';
		memcpy(q, p, n);
		q += n;
		if (*p == '\n' || (*p == '\r' && n == 2))
			break;		/* the blank line: the head ends */
	}
	(void)cmd_write_all(STDERR_FILENO, buf, (size_t)(q - buf));
	free(buf);
}

/* -------------------------------------------------------------- responses */

void
hg_resp_clear(struct hg_resp *r)
{
	free(r->v.location);
	ahttp_decoder_free(r->dec);
	memset(r, 0, sizeof(*r));
}

int
hg_resp_emit(struct hg *g, struct hg_job *j, struct hg_resp *r,
    const void *buf, size_t len)
{
	int rc;

	if (len == 0)
		return 0;
	if (j->out == NULL && (rc = hg_job_output(g, j)) < 0) {
		r->werr = rc;
		r->werr_open = 1;
		return 1;
	}
	if (j->out != NULL && (rc = hg_out_write(j->out, buf, len)) < 0) {
		r->werr = rc;
		return 1;
	}
	j->emitted |= j->out != NULL && j->file == NULL;
	return 0;
}

struct sink {
	struct hg	*g;
	struct hg_job	*j;
	struct hg_resp	*r;
};

static int
emit_cb(void *arg, const void *buf, size_t len)
{
	struct sink *s = arg;

	return hg_resp_emit(s->g, s->j, s->r, buf, len);
}

int
hg_resp_head(struct hg *g, struct hg_job *j, struct hg_resp *r,
    const struct hg_head *h, const char *block, size_t len)
{
	const struct hg_opts *o = &g->o;
	int err;

	j->status = h->status;
	j->version = h->version;
	if (j->t_first == 0)
		j->t_first = acore_now();
	if (h->status >= 200) {
		const char *ct;
		size_t ctlen;

		free(j->content_type);
		j->content_type = (ct = hg_head_get(h, "Content-Type",
		    &ctlen)) != NULL ? strndup(ct, ctlen) : NULL;
		if (hg_verdict(g, j, h, &r->v) < 0)
			return 1;
		if (r->v.coding != NULL && (r->dec = ahttp_decoder_new(
		    r->v.coding, r->v.codinglen, &err)) == NULL) {
			r->bad = err == -ENOMEM ? AC_EXIT_FAIL :
			    AC_EXIT_PROTOCOL;
			if (err == -E2BIG)
				snprintf(r->v.msg, sizeof(r->v.msg), "more "
				    "than %d codings in Content-Encoding",
				    AHTTP_MAX_CODINGS);
			else
				snprintf(r->v.msg, sizeof(r->v.msg), "%s: "
				    "%.*s", err == -ENOMEM ? "out of memory" :
				    "unsupported Content-Encoding",
				    (int)(r->v.codinglen > 40 ? 40 :
				    r->v.codinglen), r->v.coding);
			return 1;
		}
		if (!r->v.discard && !o->raw)
			hg_progress_expect(g->writer, h->length);
	}
	hg_show_head('<', block, len);
	if ((o->include || o->head) && !o->raw)
		return hg_resp_emit(g, j, r, block, len);
	return 0;
}

int
hg_resp_body(struct hg *g, struct hg_job *j, struct hg_resp *r,
    const char *data, size_t len)
{
	struct sink s = { g, j, r };
	int rc;

	j->body += len;
	if (r->v.discard || g->o.raw)
		return 0;
	hg_progress_add(g->writer, len);
	if (r->dec == NULL)
		return hg_resp_emit(g, j, r, data, len);
	if ((rc = ahttp_decode(r->dec, data, len, emit_cb, &s)) == -EBADMSG) {
		r->bad = AC_EXIT_PROTOCOL;
		snprintf(r->v.msg, sizeof(r->v.msg), "bad %s data in the body",
		    "compressed");
	}
	return rc != 0;
}

int
hg_resp_end(struct hg_resp *r)
{
	if (r->dec != NULL && ahttp_decode_end(r->dec) < 0) {
		r->bad = AC_EXIT_PROTOCOL;
		snprintf(r->v.msg, sizeof(r->v.msg), "compressed body ends "
		    "early");
		return 1;
	}
	return 0;
}

void
hg_resp_settle(struct hg *g, struct hg_job *j, struct hg_resp *r)
{
	char msg[400];

	if (r->v.again) {	/* the same URL, with credentials now */
		/* its body again, as a redirect would: a stream's is gone */
		if (j->rbody != NULL && hg_sends_body(&g->o, j) &&
		    hg_body_rewind(j->rbody) < 0) {
			snprintf(msg, sizeof(msg), "%s (401 Digest challenge)",
			    hg_body_error(j->rbody));
			hg_job_done(g, j, AC_EXIT_READ, msg);
		} else
			hg_requeue(g, j);
	}
	else if (r->v.location != NULL)
		hg_redirect(g, j, r->v.location);
	else
		hg_job_done(g, j, r->v.result, r->v.result != AC_EXIT_OK ?
		    r->v.msg : NULL);
}

/*
 * A file fails that job alone; stdout fails them all, since nothing more
 * can be delivered.
 */
int
hg_resp_write_failed(struct hg *g, struct hg_job *j, struct hg_resp *r,
    int *result, char *msg, size_t size)
{
	int to_stdout = j->file == NULL;
	char what[512];

	*result = AC_EXIT_WRITE;
	/* Only this URL's body could not wait for its turn on stdout. */
	if (to_stdout && hg_out_hold_error(j->out) != NULL) {
		snprintf(msg, size, "%s", hg_out_hold_error(j->out));
		return 0;
	}
	if (r->werr_open)
		snprintf(what, sizeof(what), "%s", hg_out_error(g->writer));
	else
		snprintf(what, sizeof(what), "%s: %s", j->file != NULL ?
		    j->file : "stdout", acore_strerror(r->werr));
	if (to_stdout) {
		hg_warn(g, "http-get: %s", what);
		hg_abort(g, AC_EXIT_WRITE, NULL);
		return 1;
	}
	snprintf(msg, size, "%s", what);
	return 0;
}
