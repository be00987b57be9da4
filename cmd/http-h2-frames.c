/*
 * http-h2-frames.c: nghttp2's callbacks for http-h2.c.  They assemble a
 * stream's head into a struct hg_head (":status" and the fields, kept as
 * text "HTTP/2 200\r\nname: value\r\n" for -i and -I), hand its body to
 * http-resp.c and acknowledge it once the output has taken it
 * (nghttp2_session_consume), and record what a RST_STREAM, a GOAWAY or a
 * refusal means for a stream; http-h2.c settles the jobs afterwards.
 * With -v every frame received is logged under the connection's name.
 */
#include "config.h"

#include <sys/queue.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acore.h"
#include "cmd.h"
#include "http.h"
#include "http-h2.h"

/* ---------------------------------------------------------------- streams */

void
h2_stream_free(struct h2_stream *st)
{
	hg_resp_clear(&st->r);
	free(st->text);
	free(st->f);
	free(st);
}

void
h2_stream_fail(struct h2_stream *st, int result, const char *fmt, ...)
{
	va_list ap;

	if (st->state != S_OPEN)
		return;
	st->state = S_FAILED;
	st->result = result;
	va_start(ap, fmt);
	vsnprintf(st->msg, sizeof(st->msg), fmt, ap);
	va_end(ap);
}

/* Text onto the stream's head; 0 or -1 (out of memory). */
static int
text_add(struct h2_stream *st, const void *p, size_t n)
{
	size_t cap;
	char *nt;

	if (st->len + n > st->cap) {
		for (cap = st->cap ? st->cap : 512; cap < st->len + n;)
			cap *= 2;
		if ((nt = realloc(st->text, cap)) == NULL)
			return -1;
		st->text = nt;
		st->cap = cap;
	}
	memcpy(st->text + st->len, p, n);
	st->len += n;
	return 0;
}

static int
field_add(struct h2_stream *st, const uint8_t *name, size_t namelen,
    const uint8_t *value, size_t valuelen)
{
	struct h2_field *nf;
	size_t cap;

	if (st->nf == st->fcap) {
		cap = st->fcap ? st->fcap * 2 : 16;
		if ((nf = realloc(st->f, cap * sizeof(*nf))) == NULL)
			return -1;
		st->f = nf;
		st->fcap = cap;
	}
	nf = &st->f[st->nf];
	nf->name = st->len;
	nf->namelen = namelen;
	nf->value = st->len + namelen + 2;
	nf->valuelen = valuelen;
	if (text_add(st, name, namelen) < 0 || text_add(st, ": ", 2) < 0 ||
	    text_add(st, value, valuelen) < 0 || text_add(st, "\r\n", 2) < 0)
		return -1;
	st->nf++;
	return 0;
}

static int
next_field(const struct hg_head *hd, size_t *pos, struct ahttp_field *f)
{
	const struct h2_stream *st = hd->src;
	const struct h2_field *x;

	if (*pos >= st->nf)
		return 0;
	x = &st->f[(*pos)++];
	f->name = st->text + x->name;
	f->namelen = x->namelen;
	f->value = st->text + x->value;
	f->valuelen = x->valuelen;
	return 1;
}

/* Content-Length, when there is exactly one valid one; else -1. */
static int64_t
length_of(const struct hg_head *hd)
{
	const char *v;
	size_t len, i;
	int64_t n = 0;

	if ((v = hg_head_get(hd, "content-length", &len)) == NULL || len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)v[i]) ||
		    n > (INT64_MAX - (v[i] - '0')) / 10)
			return -1;
		n = n * 10 + (v[i] - '0');
	}
	return n;
}

/* A whole header block arrived on st: hand it over. */
static void
head_done(struct hg_conn *c, struct h2_stream *st, int end)
{
	struct hg_head hd;

	memset(&hd, 0, sizeof(hd));
	hd.status = st->status;
	hd.version = 20;
	hd.reason = "";
	hd.next = next_field;
	hd.src = st;
	hd.length = c->g->o.head || st->status == 204 || st->status == 304 ?
	    0 : length_of(&hd);
	if (st->status < 100 || st->status > 999) {
		h2_stream_fail(st, AC_EXIT_PROTOCOL, "bad response from %s port "
		    "%s: no valid :status", st->job->u.host, st->job->u.port);
		return;
	}
	if (text_add(st, "\r\n", 2) < 0) {
		h2_stream_fail(st, AC_EXIT_FAIL, "out of memory");
		return;
	}
	st->job->wire += st->len;
	st->job->version = 20;
	if (hg_resp_head(c->g, st->job, &st->r, &hd, st->text, st->len)) {
		h2_stream_fail(st, st->r.bad ? st->r.bad : AC_EXIT_FAIL, "%s",
		    st->r.bad ? st->r.v.msg : "out of memory");
		return;
	}
	if (st->status >= 200) {
		st->headed = 1;
		st->length = hd.length;
	}
	else if (end)
		h2_stream_fail(st, AC_EXIT_PROTOCOL, "bad response from %s port "
		    "%s: stream ended after a %d", st->job->u.host,
		    st->job->u.port, st->status);
	if (st->headed && end)
		st->state = S_DONE;
}

/* -------------------------------------------------------------- callbacks */

static struct h2_stream *
stream_of(nghttp2_session *s, int32_t id)
{
	struct h2_stream *st = nghttp2_session_get_stream_user_data(s, id);

	return st != NULL && st->job != NULL && st->state == S_OPEN ? st :
	    NULL;
}

static const char *
frame_name(uint8_t type)
{
	static const char *const names[] = {
		"DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS",
		"PUSH_PROMISE", "PING", "GOAWAY", "WINDOW_UPDATE",
		"CONTINUATION"
	};

	return type < sizeof(names) / sizeof(names[0]) ? names[type] :
	    "unknown";
}

/* -v: a frame received, in the dispatcher's log. */
static void
log_frame(struct hg_conn *c, const nghttp2_frame *fr)
{
	switch (fr->hd.type) {
	case NGHTTP2_DATA:
		acore_debug(c->d, "h2: DATA stream %" PRId32 " (%zu)",
		    fr->hd.stream_id, fr->hd.length);
		break;
	case NGHTTP2_GOAWAY:
		acore_debug(c->d, "h2: GOAWAY last_stream=%" PRId32 " %s",
		    fr->goaway.last_stream_id,
		    nghttp2_http2_strerror(fr->goaway.error_code));
		break;
	case NGHTTP2_RST_STREAM:
		acore_debug(c->d, "h2: RST_STREAM stream %" PRId32 " %s",
		    fr->hd.stream_id,
		    nghttp2_http2_strerror(fr->rst_stream.error_code));
		break;
	case NGHTTP2_SETTINGS:
		acore_debug(c->d, "h2: SETTINGS%s", fr->hd.flags &
		    NGHTTP2_FLAG_ACK ? " ack" : "");
		break;
	case NGHTTP2_WINDOW_UPDATE:
		acore_debug(c->d, "h2: WINDOW_UPDATE stream %" PRId32 " (%"
		    PRId32 ")", fr->hd.stream_id,
		    fr->window_update.window_size_increment);
		break;
	default:
		acore_debug(c->d, "h2: %s stream %" PRId32,
		    frame_name(fr->hd.type), fr->hd.stream_id);
	}
}

static int
on_frame_recv(nghttp2_session *s, const nghttp2_frame *fr, void *arg)
{
	struct hg_conn *c = arg;
	struct h2 *h = H2(c);
	struct h2_stream *st;
	int end = (fr->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;

	if (cmd_is_verbose())
		log_frame(c, fr);
	switch (fr->hd.type) {
	case NGHTTP2_HEADERS:
		if ((st = stream_of(s, fr->hd.stream_id)) == NULL)
			break;
		if (!st->headed)
			head_done(c, st, end);
		else if (end)		/* trailers end it */
			st->state = S_DONE;
		break;
	case NGHTTP2_DATA:
		if ((st = stream_of(s, fr->hd.stream_id)) != NULL && end) {
			if (st->headed)
				st->state = S_DONE;
			else
				h2_stream_fail(st, AC_EXIT_HTTP2, "DATA before "
				    "the response head on stream %" PRId32,
				    st->id);
		}
		break;
	case NGHTTP2_GOAWAY:
		h->goaway = 1;
		h->last_id = fr->goaway.last_stream_id;
		h->goaway_code = fr->goaway.error_code;
		break;
	default:
		break;
	}
	return 0;
}

static int
on_begin_headers(nghttp2_session *s, const nghttp2_frame *fr, void *arg)
{
	struct h2_stream *st;

	(void)arg;
	if (fr->hd.type != NGHTTP2_HEADERS ||
	    (st = stream_of(s, fr->hd.stream_id)) == NULL || st->headed)
		return 0;
	/* A block of its own (after a 1xx, the final one). */
	st->begun = 1;
	st->status = 0;
	st->len = st->nf = 0;
	return 0;
}

static int
on_header(nghttp2_session *s, const nghttp2_frame *fr, const uint8_t *name,
    size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
    void *arg)
{
	struct h2_stream *st;
	char line[32];
	int i, n;

	(void)flags;
	(void)arg;
	if ((st = stream_of(s, fr->hd.stream_id)) == NULL || st->headed)
		return 0;	/* trailers: nothing here reads them */
	if (namelen == 7 && memcmp(name, ":status", 7) == 0) {
		if (valuelen != 3 || st->len > 0)
			return 0;	/* head_done() says why */
		for (i = 0, st->status = 0; i < 3; i++)
			if (isdigit(value[i]))
				st->status = st->status * 10 + value[i] - '0';
			else
				st->status = -1000;
		n = snprintf(line, sizeof(line), "HTTP/2 %d\r\n",
		    st->status > 0 ? st->status : 0);
		return text_add(st, line, (size_t)n) < 0 ?
		    NGHTTP2_ERR_CALLBACK_FAILURE : 0;
	}
	if (st->len == 0 && text_add(st, "HTTP/2 0\r\n", 10) < 0)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	if (st->len + namelen + valuelen > AHTTP_MAX_HEADER) {
		h2_stream_fail(st, AC_EXIT_PROTOCOL, "bad response from %s port "
		    "%s: %s", st->job->u.host, st->job->u.port,
		    ahttp_strerror(AHTTP_E_TOOBIG));
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	}
	if (field_add(st, name, namelen, value, valuelen) < 0)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	return 0;
}

static int
on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data,
    size_t len, void *arg)
{
	struct hg_conn *c = arg;
	struct h2_stream *st;

	(void)flags;
	if ((st = stream_of(s, id)) != NULL) {
		st->job->wire += len;
		st->got += len;
		if (!st->headed)
			h2_stream_fail(st, AC_EXIT_HTTP2, "DATA before the "
			    "response head on stream %" PRId32, id);
		else if (hg_resp_body(c->g, st->job, &st->r,
		    (const char *)data, len)) {
			if (st->r.werr != 0)
				st->state = S_FAILED;
			else
				h2_stream_fail(st, st->r.bad ? st->r.bad :
				    AC_EXIT_FAIL, "%s", st->r.bad ?
				    st->r.v.msg : "out of memory");
		}
		if (st->state != S_OPEN)
			nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id,
			    NGHTTP2_CANCEL);
	}
	/* The output has it (or it is not wanted): the peer may send more. */
	nghttp2_session_consume(s, id, len);
	return 0;
}

static int
on_stream_close(nghttp2_session *s, int32_t id, uint32_t code, void *arg)
{
	struct hg_conn *c = arg;
	struct h2 *h = H2(c);
	struct h2_stream *st;

	if ((st = stream_of(s, id)) == NULL)
		return 0;
	/* Not processed: REFUSED_STREAM, or past a GOAWAY's last stream. */
	if (code == NGHTTP2_REFUSED_STREAM || (h->goaway && id > h->last_id))
		st->state = S_REQUEUE;
	else if (code != NGHTTP2_NO_ERROR)
		h2_stream_fail(st, AC_EXIT_HTTP2, "stream %" PRId32 " reset by %s "
		    "port %s: %s", id, st->job->u.host, st->job->u.port,
		    nghttp2_http2_strerror(code));
	else
		h2_stream_fail(st, AC_EXIT_HTTP2, "stream %" PRId32 " closed "
		    "before its response ended", id);
	return 0;
}

static int
on_frame_send(nghttp2_session *s, const nghttp2_frame *fr, void *arg)
{
	struct hg_conn *c = arg;

	(void)s;
	if (fr->hd.type == NGHTTP2_GOAWAY) {
		H2(c)->closing = 1;
		H2(c)->sent_code = fr->goaway.error_code;
	}
	return 0;
}

static int
on_invalid_frame(nghttp2_session *s, const nghttp2_frame *fr, int err,
    void *arg)
{
	struct hg_conn *c = arg;

	(void)s;
	snprintf(H2(c)->why, sizeof(H2(c)->why), "%s frame on stream %"
	    PRId32 ": %s", frame_name(fr->hd.type), fr->hd.stream_id,
	    nghttp2_strerror(err));
	return 0;
}

void
h2_callbacks(nghttp2_session_callbacks *cb)
{
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb,
	    on_frame_recv);
	nghttp2_session_callbacks_set_on_begin_headers_callback(cb,
	    on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb,
	    on_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb,
	    on_stream_close);
	nghttp2_session_callbacks_set_on_frame_send_callback(cb,
	    on_frame_send);
	nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cb,
	    on_invalid_frame);
}
