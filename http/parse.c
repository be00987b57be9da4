/*
 * parse.c: incremental HTTP/1.x response parser (RFC 9112 framing).
 *
 * Header and trailer sections are collected whole, up to a limit, and
 * checked once they are complete: that keeps the byte-level state machine
 * to the chunked framing, where lines are short and data runs are handed
 * out in place.  The status line is checked as soon as it is seen, so a
 * peer that sends garbage and then waits is rejected at once.  The
 * fields themselves are checked in field.c.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ahttp-internal.h"

enum {
	S_START,	/* before the status line (empty lines skipped) */
	S_HEAD,		/* collecting the header block */
	S_BODY_LEN,
	S_BODY_CLOSE,
	S_CHUNK_SIZE,
	S_CHUNK_BWS,	/* blanks after the size */
	S_CHUNK_EXT,	/* chunk extensions, checked but ignored */
	S_CHUNK_LF,	/* CR seen at the end of the size line */
	S_CHUNK_DATA,
	S_CHUNK_CR,	/* CRLF after the chunk data */
	S_CHUNK_DATA_LF,
	S_TRAILER,
	S_DONE,
	S_ERROR
};

static int	 fail(struct ahttp_parser *, int);
static int	 grow(struct ahttp_parser *, size_t);
static int	 collect(struct ahttp_parser *, const char *, size_t,
		    size_t *);
static int	 parse_status(struct ahttp_parser *, const char *, size_t);
static int	 end_headers(struct ahttp_parser *);
static int	 end_trailers(struct ahttp_parser *);
static int	 chunk_byte(struct ahttp_parser *, unsigned char);
static int	 deliver(struct ahttp_parser *, const char *, size_t);

void
ahttp_parser_init(struct ahttp_parser *p, size_t max,
    const struct ahttp_parser_cb *cb, void *arg)
{
	memset(p, 0, sizeof(*p));
	p->max = max != 0 ? max : AHTTP_MAX_HEADER;
	p->cb = cb;
	p->arg = arg;
	ahttp_parser_reset(p, 0);
}

void
ahttp_parser_reset(struct ahttp_parser *p, int flags)
{
	p->status = 0;
	p->minor = 0;
	p->keep_alive = 0;
	p->body_kind = AHTTP_BODY_NONE;
	p->content_length = -1;
	p->body_bytes = 0;
	p->wire_bytes = 0;
	p->reason_off = p->reason_len = 0;
	p->hdr_len = 0;
	p->flags = flags;
	p->state = S_START;
	p->err = 0;
	p->len = p->blk = p->line = 0;
	p->skipped = 0;
	p->remain = 0;
	p->chunk_line = 0;
	p->chunk_digits = 0;
}

void
ahttp_parser_free(struct ahttp_parser *p)
{
	free(p->buf);
	p->buf = NULL;
	p->cap = 0;
}

int
ahttp_parser_done(const struct ahttp_parser *p)
{
	return p->state == S_DONE;
}

int
ahttp_parser_idle(const struct ahttp_parser *p)
{
	return p->state == S_START && p->wire_bytes == 0 && p->skipped == 0;
}

static int
fail(struct ahttp_parser *p, int err)
{
	p->err = err;
	p->state = S_ERROR;
	return err;
}

/* Room for need bytes in buf, doubling; never beyond the limit. */
static int
grow(struct ahttp_parser *p, size_t need)
{
	size_t cap;
	char *nb;

	if (need <= p->cap)
		return 0;
	cap = p->cap != 0 ? p->cap : 1024;
	while (cap < need)
		cap *= 2;
	if (cap > p->max)
		cap = p->max;
	if ((nb = realloc(p->buf, cap)) == NULL)
		return AHTTP_E_NOMEM;
	p->buf = nb;
	p->cap = cap;
	return 0;
}

/*
 * Append to the block being collected, up to its empty line.  Returns 1
 * when the block is complete, 0 when all of data went in, or an error;
 * *used says how much of data was taken.
 */
static int
collect(struct ahttp_parser *p, const char *data, size_t len, size_t *used)
{
	static const char proto[] = "HTTP/";
	size_t room, n, i, old = p->len, end;
	const char *nl;
	int r;

	*used = 0;
	room = p->max - p->skipped - p->len;
	n = len < room ? len : room;
	if ((r = grow(p, p->len + n)) != 0)
		return r;
	memcpy(p->buf + p->len, data, n);
	p->len += n;

	if (p->state == S_HEAD)
		for (i = old; i < p->len && i < sizeof(proto) - 1; i++)
			if (p->buf[i] != proto[i])
				return AHTTP_E_STATUS;

	for (i = old; i < p->len; i = (size_t)(nl - p->buf) + 1) {
		nl = memchr(p->buf + i, '\n', p->len - i);
		if (nl == NULL)
			break;
		end = (size_t)(nl - p->buf);
		if (end == p->line || (end == p->line + 1 &&
		    p->buf[p->line] == '\r')) {
			*used = end + 1 - old;
			p->len = end + 1;
			return 1;
		}
		/* The status line is judged the moment it is complete. */
		if (p->state == S_HEAD && p->line == 0) {
			r = parse_status(p, p->buf, end -
			    (end > 0 && p->buf[end - 1] == '\r'));
			if (r != 0)
				return r;
		}
		p->line = end + 1;
	}
	*used = n;
	if (p->skipped + p->len >= p->max)
		return AHTTP_E_TOOBIG;
	return 0;
}

static int
parse_status(struct ahttp_parser *p, const char *s, size_t len)
{
	size_t i;

	/* HTTP/1.1 200 [reason] */
	if (len < 12 || memcmp(s, "HTTP/", 5) != 0 || !AHTTP__IS_DIGIT(s[5]))
		return AHTTP_E_STATUS;
	if (s[5] != '1')
		return AHTTP_E_VERSION;
	if (s[6] != '.' || !AHTTP__IS_DIGIT(s[7]) || s[8] != ' ')
		return AHTTP_E_STATUS;
	if (s[9] < '1' || s[9] > '9' || !AHTTP__IS_DIGIT(s[10]) ||
	    !AHTTP__IS_DIGIT(s[11]))
		return AHTTP_E_STATUS;
	if (len > 12 && s[12] != ' ')
		return AHTTP_E_STATUS;
	for (i = 13; i < len; i++)
		if (!AHTTP__IS_TEXT((unsigned char)s[i]))
			return AHTTP_E_STATUS;
	p->minor = s[7] - '0';
	p->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	/* 101 would hand the stream to another protocol we never asked for. */
	if (p->status == 101)
		return AHTTP_E_SWITCH;
	p->reason_off = len > 12 ? 13 : 12;
	p->reason_len = len - p->reason_off;
	return 0;
}

/* The header block is complete: settle how the body is framed. */
static int
end_headers(struct ahttp_parser *p)
{
	struct ahttp__framing seen = { -1, 0, 0, 0, 0 };
	const char *nl;
	size_t start;
	int r;

	nl = memchr(p->buf, '\n', p->len);
	start = (size_t)(nl - p->buf) + 1;
	if ((r = ahttp__check_fields(p, start, p->len, &seen,
	    AHTTP_E_HEADER)) != 0)
		return r;
	p->hdr_len = p->len;
	p->content_length = seen.clen;
	if (p->minor >= 1)
		p->keep_alive = !seen.conn_close;
	else
		p->keep_alive = seen.conn_keep && !seen.conn_close;

	if (p->status < 200 || p->status == 204 || p->status == 304 ||
	    (p->flags & AHTTP_PARSE_HEAD))
		p->body_kind = AHTTP_BODY_NONE;
	else if (seen.chunked) {
		p->body_kind = AHTTP_BODY_CHUNKED;
		/* Both framings at once: never trust this connection again. */
		if (seen.clen >= 0)
			p->keep_alive = 0;
	} else if (seen.clen >= 0 && !seen.te)
		p->body_kind = AHTTP_BODY_LENGTH;
	else {
		/*
		 * Transfer-Encoding without chunked ("identity") ends with
		 * the stream, Content-Length or not (RFC 9112 6.3; curl).
		 */
		p->body_kind = AHTTP_BODY_CLOSE;
		p->keep_alive = 0;
	}

	if (p->cb != NULL && p->cb->headers != NULL &&
	    p->cb->headers(p, p->buf, p->len, p->arg) != 0)
		return AHTTP_E_ABORT;

	if (p->status < 200) {
		/* Interim response: the real one follows. */
		p->state = S_START;
		p->len = p->line = p->skipped = 0;
		p->hdr_len = 0;
		return 0;
	}
	switch (p->body_kind) {
	case AHTTP_BODY_NONE:
		p->state = S_DONE;
		break;
	case AHTTP_BODY_LENGTH:
		p->remain = (uint64_t)p->content_length;
		p->state = p->remain > 0 ? S_BODY_LEN : S_DONE;
		break;
	case AHTTP_BODY_CHUNKED:
		p->state = S_CHUNK_SIZE;
		p->remain = 0;
		p->chunk_line = 0;
		p->chunk_digits = 0;
		break;
	case AHTTP_BODY_CLOSE:
		p->state = S_BODY_CLOSE;
		break;
	}
	return 0;
}

static int
end_trailers(struct ahttp_parser *p)
{
	int r;

	if ((r = ahttp__check_fields(p, p->blk, p->len, NULL,
	    AHTTP_E_TRAILER)) != 0)
		return r;
	if (p->cb != NULL && p->cb->trailers != NULL &&
	    p->cb->trailers(p, p->buf + p->blk, p->len - p->blk, p->arg) != 0)
		return AHTTP_E_ABORT;
	p->state = S_DONE;
	return 0;
}

static int
deliver(struct ahttp_parser *p, const char *data, size_t len)
{
	p->body_bytes += len;
	if (p->cb != NULL && p->cb->body != NULL &&
	    p->cb->body(p, data, len, p->arg) != 0)
		return AHTTP_E_ABORT;
	return 0;
}

/* One byte of chunk framing (size line, or the CRLF after the data). */
static int
chunk_byte(struct ahttp_parser *p, unsigned char c)
{
	int v;

	if (p->state != S_CHUNK_CR && p->state != S_CHUNK_DATA_LF &&
	    ++p->chunk_line > p->max)
		return AHTTP_E_CHUNK;
	switch (p->state) {
	case S_CHUNK_SIZE:
		v = AHTTP__IS_DIGIT(c) ? c - '0' : (c >= 'a' && c <= 'f') ?
		    c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
		if (v >= 0) {
			if (p->remain >
			    ((uint64_t)INT64_MAX - (uint64_t)v) / 16)
				return AHTTP_E_CHUNK_SIZE;
			p->remain = p->remain * 16 + (uint64_t)v;
			p->chunk_digits++;
			return 0;
		}
		if (p->chunk_digits == 0)
			return AHTTP_E_CHUNK;
		/* The size ended: blanks, extensions or the line end follow. */
		/* FALLTHROUGH */
	case S_CHUNK_BWS:
		if (c == ';')
			p->state = S_CHUNK_EXT;
		else if (c == '\r')
			p->state = S_CHUNK_LF;
		else if (c == '\n')
			goto line_done;
		else if (c == ' ' || c == '\t')
			p->state = S_CHUNK_BWS;
		else
			return AHTTP_E_CHUNK;
		return 0;
	case S_CHUNK_EXT:
		if (c == '\r')
			p->state = S_CHUNK_LF;
		else if (c == '\n')
			goto line_done;
		else if (!AHTTP__IS_TEXT(c))
			return AHTTP_E_CHUNK;
		return 0;
	case S_CHUNK_LF:
		if (c != '\n')
			return AHTTP_E_CHUNK;
		goto line_done;
	case S_CHUNK_CR:
		if (c == '\r')
			p->state = S_CHUNK_DATA_LF;
		else if (c == '\n')
			goto next_chunk;
		else
			return AHTTP_E_CHUNK_END;
		return 0;
	case S_CHUNK_DATA_LF:
		if (c != '\n')
			return AHTTP_E_CHUNK_END;
		goto next_chunk;
	}
	return AHTTP_E_CHUNK;

line_done:
	if (p->remain > 0) {
		p->state = S_CHUNK_DATA;
		return 0;
	}
	/* Last chunk: the trailer section follows, after the headers. */
	p->state = S_TRAILER;
	p->blk = p->line = p->len;
	return 0;

next_chunk:
	p->state = S_CHUNK_SIZE;
	p->chunk_line = 0;
	p->chunk_digits = 0;
	return 0;
}

ssize_t
ahttp_parser_feed(struct ahttp_parser *p, const void *buf, size_t len)
{
	const char *d = buf;
	size_t off = 0, n;
	int r = 0;

	if (p->state == S_ERROR)
		return p->err;
	while (off < len && p->state != S_DONE) {
		switch (p->state) {
		case S_START:
			/* Stray line breaks before a response are tolerated. */
			if (d[off] == '\r' || d[off] == '\n') {
				off++;
				if (++p->skipped >= p->max)
					r = AHTTP_E_TOOBIG;
				break;
			}
			p->state = S_HEAD;
			p->len = p->blk = p->line = 0;
			/* FALLTHROUGH */
		case S_HEAD:
		case S_TRAILER:
			r = collect(p, d + off, len - off, &n);
			off += n;
			if (r == 1)
				r = p->state == S_HEAD ? end_headers(p) :
				    end_trailers(p);
			break;
		case S_BODY_LEN:
		case S_CHUNK_DATA:
			n = len - off;
			if (n > p->remain)
				n = (size_t)p->remain;
			p->remain -= n;
			if (p->remain == 0)
				p->state = p->state == S_BODY_LEN ? S_DONE :
				    S_CHUNK_CR;
			r = deliver(p, d + off, n);
			off += n;
			break;
		case S_BODY_CLOSE:
			r = deliver(p, d + off, len - off);
			off = len;
			break;
		default:
			r = chunk_byte(p, (unsigned char)d[off++]);
			break;
		}
		if (r < 0)
			return fail(p, r);
	}
	p->wire_bytes += off;
	return (ssize_t)off;
}

int
ahttp_parser_eof(struct ahttp_parser *p)
{
	switch (p->state) {
	case S_ERROR:
		return p->err;
	case S_DONE:
		return 0;
	case S_BODY_CLOSE:
		p->state = S_DONE;
		return 0;
	case S_START:
		return fail(p, p->wire_bytes == 0 ? AHTTP_E_EMPTY :
		    AHTTP_E_TRUNC);
	case S_HEAD:
		return fail(p, AHTTP_E_TRUNC);
	default:
		return fail(p, AHTTP_E_SHORT);
	}
}

const char *
ahttp_reason(const struct ahttp_parser *p, size_t *len)
{
	*len = p->reason_len;
	return p->buf != NULL ? p->buf + p->reason_off : "";
}

const char *
ahttp_strerror(int err)
{
	static const char *const msgs[] = {
		"malformed status line",
		"unsupported HTTP version",
		"malformed header field",
		"header block over the size limit",
		"invalid Content-Length",
		"conflicting Content-Length values",
		"unsupported Transfer-Encoding",
		"malformed chunk size line",
		"chunk size too large",
		"chunk data not followed by CRLF",
		"malformed trailer field",
		"connection closed before the response",
		"connection closed inside the header block",
		"connection closed before the end of the body",
		"stopped",
		"out of memory",
		"unexpected protocol switch (101, no Upgrade was asked for)",
	};

	if (err < 0 && err >= AHTTP_E_LAST)
		return msgs[-err - 1];
	return "unknown error";
}
