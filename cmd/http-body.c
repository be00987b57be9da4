/*
 * http-body.c: what a request sends after its head.
 *
 * The options (-d and its family, --json, -F, -T) make one struct
 * hg_upload for the run (http-upload.c): what to send, as a list of
 * segments, each bytes in memory, a part of a regular file, or a stream
 * (stdin or a pipe).
 * Every request that sends it reads it through its own struct hg_body,
 * so parallel requests and a resend after a redirect or a retry each
 * start from the first byte.  Memory stays bounded whatever the size:
 * files are read BODY_BUF bytes at a time, at their own offsets, and a
 * stream through a file channel of the loop, so the loop never blocks
 * on a read and the bytes of a stream are never kept.  The options
 * themselves are read in http-data.c.
 */
#include "config.h"

#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "acore.h"
#include "cmd.h"
#include "http.h"
#include "http-body.h"

#define BODY_BUF	(64 * 1024)	/* a file's or stream's bytes at once */
#define CHUNK_HEAD	10		/* "%x\r\n" of a chunk, at most */

struct hg_body {
	struct hg_upload *u;
	struct acore_loop *loop;
	size_t		 seg;		/* the segment being sent */
	int64_t		 off;		/* in it */
	uint64_t	 sent;		/* payload bytes taken */
	int		 chunked;	/* HTTP/1.1 chunks (streams only) */
	int		 framed;	/* chunked: buf[boff] is framed */
	size_t		 pay;		/* chunked: its payload bytes */
	size_t		 tail;		/* chunked: of "0\r\n\r\n", sent */
	char		*buf;		/* a file's or stream's bytes */
	size_t		 boff, blen;	/* ready: buf[boff, blen) */
	struct acore_dispatcher *in;	/* a stream's channel */
	int		 want;		/* peek found nothing: read */
	int		 eof;		/* the stream ended */
	int		 err;		/* -errno of a failed read */
	void		(*wake)(void *);
	void		*warg;
	char		 msg[320];
};
/* ----------------------------------------------------- a request's body */

struct hg_body *
hg_body_new(struct hg *g)
{
	struct hg_body *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->u = g->o.upload;
	b->loop = g->loop;
	return b;
}

int64_t
hg_body_length(const struct hg_body *b)
{
	return b->u->length;
}

const char *
hg_body_type(const struct hg_body *b)
{
	return b->u->type[0] != '\0' ? b->u->type : NULL;
}

void
hg_body_chunked(struct hg_body *b)
{
	b->chunked = b->u->length < 0;
}

uint64_t
hg_body_sent(const struct hg_body *b)
{
	return b->sent;
}

const char *
hg_body_error(const struct hg_body *b)
{
	return b->msg;
}

void
hg_body_on_ready(struct hg_body *b, void (*wake)(void *), void *arg)
{
	b->wake = wake;
	b->warg = arg;
}

static void
stream_close(struct hg_body *b)
{
	if (b->in != NULL) {
		acore_close(b->in);
		b->in = NULL;
	}
}

void
hg_body_free(struct hg_body *b)
{
	if (b == NULL)
		return;
	stream_close(b);
	if (b->u->owner == b)
		b->u->owner = NULL;
	free(b->buf);
	free(b);
}

int
hg_body_ready(const struct hg_body *b)
{
	return !b->want || b->boff < b->blen || b->eof || b->err != 0;
}

int
hg_body_replayable(const struct hg_body *b)
{
	size_t i;

	for (i = 0; i < b->u->nsegs; i++)
		if (b->u->segs[i].kind == SEG_STREAM)
			return !b->u->taken;
	return 1;
}

/*
 * The whole body, when every byte of it is in memory (-d, --json, -F
 * without files): a copy in *buf (malloc'ed), for a hash of it (Digest
 * auth-int).  1, 0 when some of it is a file or a stream, or -ENOMEM.
 */
int
hg_body_memory(const struct hg_body *b, char **buf, size_t *len)
{
	size_t i, n = 0;

	*buf = NULL;
	*len = 0;
	for (i = 0; i < b->u->nsegs; i++) {
		if (b->u->segs[i].kind != SEG_MEM)
			return 0;
		n += (size_t)b->u->segs[i].size;
	}
	if ((*buf = malloc(n + 1)) == NULL)
		return -ENOMEM;
	for (i = 0; i < b->u->nsegs; i++) {
		memcpy(*buf + *len, b->u->segs[i].mem,
		    (size_t)b->u->segs[i].size);
		*len += (size_t)b->u->segs[i].size;
	}
	return 1;
}

int
hg_body_rewind(struct hg_body *b)
{
	if (!hg_body_replayable(b)) {
		snprintf(b->msg, sizeof(b->msg), "the body from %s cannot be "
		    "sent again", strcmp(b->u->path, "-") == 0 ? "stdin" :
		    b->u->path);
		return -ESPIPE;
	}
	b->seg = 0;
	b->off = 0;
	b->sent = 0;
	b->tail = 0;
	/* a stream's bytes not yet taken are still its first ones */
	if (b->in == NULL)
		b->boff = b->blen = 0;
	return 0;
}

/* --------------------------------------------------------------- streams */

static void
wake(struct hg_body *b)
{
	b->want = 0;
	if (b->wake != NULL)
		b->wake(b->warg);
}

static int
in_readable(struct acore_dispatcher *d, void *arg)
{
	struct hg_body *b = arg;

	(void)d;
	return b->want && b->boff == b->blen && !b->eof;
}

static void
in_read(struct acore_dispatcher *d, void *arg)
{
	struct hg_body *b = arg;
	ssize_t n;

	/* room for a chunk's size line before and its CRLF after */
	n = acore_recv(d, b->buf + CHUNK_HEAD, BODY_BUF - CHUNK_HEAD - 2);
	if (n == -EAGAIN)
		return;
	if (n > 0) {
		b->boff = CHUNK_HEAD;
		b->blen = CHUNK_HEAD + (size_t)n;
	} else if (n == 0)
		b->eof = 1;
	else if (b->err == 0)
		b->err = (int)n;
	wake(b);
}

static void
in_close(struct acore_dispatcher *d, void *arg)
{
	struct hg_body *b = arg;

	(void)d;
	b->eof = 1;
	stream_close(b);
}

static void
in_error(struct acore_dispatcher *d, int e, void *arg)
{
	struct hg_body *b = arg;

	(void)d;
	if (b->err == 0)
		b->err = e;
	stream_close(b);
	wake(b);
}

static const struct acore_ops in_ops = {
	.name = "body",
	.readable = in_readable,
	.handle_read = in_read,
	.handle_close = in_close,
	.handle_error = in_error,
};

/* The stream's next bytes, framed as a chunk when chunked. */
static ssize_t
stream_peek(struct hg_body *b, const struct seg *s, const char **p)
{
	char head[CHUNK_HEAD + 1];
	size_t n;
	int hl;

	if (b->boff == b->blen && !b->eof && b->err == 0) {
		/* one stream, one reader: another URL's body cannot have it */
		if ((b->u->taken && b->sent == 0) || (b->u->owner != NULL &&
		    b->u->owner != b)) {
			snprintf(b->msg, sizeof(b->msg), "the body from %s "
			    "cannot be sent again", strcmp(s->path, "-") ==
			    0 ? "stdin" : s->path);
			return -ESPIPE;
		}
		if (b->in == NULL && (b->in = acore_file_new(b->loop, s->fd,
		    &in_ops, b)) == NULL)
			b->err = -errno;
		else {
			b->u->owner = b;
			b->want = 1;
			return -EAGAIN;
		}
	}
	if (b->err != 0) {
		snprintf(b->msg, sizeof(b->msg), "cannot read %s: %s",
		    strcmp(s->path, "-") == 0 ? "stdin" : s->path,
		    acore_strerror(b->err));
		return b->err;
	}
	if (b->boff == b->blen) {	/* the end */
		if (!b->chunked || b->tail == 5)
			return 0;
		*p = &"0\r\n\r\n"[b->tail];
		return (ssize_t)(5 - b->tail);
	}
	*p = b->buf + b->boff;
	n = b->blen - b->boff;
	if (b->chunked && !b->framed) {
		/* a whole chunk: its size line before, CRLF after */
		hl = snprintf(head, sizeof(head), "%zx\r\n", n);
		memcpy(b->buf + CHUNK_HEAD - hl, head, (size_t)hl);
		memcpy(b->buf + b->blen, "\r\n", 2);
		b->pay = n;
		b->framed = 1;
		b->boff -= (size_t)hl;
		b->blen += 2;
		*p = b->buf + b->boff;
		n = b->blen - b->boff;
	}
	return (ssize_t)n;
}

/* ------------------------------------------------------------- reading */

ssize_t
hg_body_peek(struct hg_body *b, const char **p)
{
	const struct seg *s;
	ssize_t r;

	for (;;) {
		if (b->seg >= b->u->nsegs)
			return 0;
		s = &b->u->segs[b->seg];
		if (s->kind == SEG_STREAM) {
			if (b->buf == NULL && (b->buf = malloc(BODY_BUF)) ==
			    NULL)
				return -ENOMEM;
			return stream_peek(b, s, p);
		}
		if (b->off < s->size)
			break;
		b->seg++;
		b->off = 0;
	}
	if (s->kind == SEG_MEM) {
		*p = s->mem + b->off;
		return (ssize_t)(s->size - b->off);
	}
	if (b->boff == b->blen) {
		if (b->buf == NULL && (b->buf = malloc(BODY_BUF)) == NULL)
			return -ENOMEM;
		r = (ssize_t)(s->size - b->off < BODY_BUF ? s->size - b->off :
		    BODY_BUF);
		do
			r = pread(s->fd, b->buf, (size_t)r, s->start +
			    (off_t)b->off);
		while (r < 0 && errno == EINTR);
		if (r <= 0) {
			snprintf(b->msg, sizeof(b->msg), "cannot read %s: %s",
			    s->path, r == 0 ? "the file shrank while being "
			    "sent" : strerror(errno));
			return r == 0 ? -EIO : -errno;
		}
		b->boff = 0;
		b->blen = (size_t)r;
	}
	*p = b->buf + b->boff;
	return (ssize_t)(b->blen - b->boff);
}

void
hg_body_take(struct hg_body *b, size_t n)
{
	const struct seg *s = &b->u->segs[b->seg < b->u->nsegs ? b->seg :
	    b->u->nsegs - 1];

	if (b->seg >= b->u->nsegs || n == 0)
		return;
	if (s->kind == SEG_STREAM) {
		b->u->taken = 1;
		if (b->boff == b->blen) {	/* the last chunk */
			b->tail += n;
			return;
		}
		b->boff += n;
		if (!b->chunked)
			b->sent += n;
		if (b->boff == b->blen) {
			/* payload only, as for a body of known length */
			b->sent += b->chunked ? b->pay : 0;
			b->boff = b->blen = 0;
			b->framed = 0;
		}
		return;
	}
	b->off += (int64_t)n;
	b->sent += n;
	if (s->kind == SEG_FILE) {
		b->boff += n;
		if (b->boff == b->blen)
			b->boff = b->blen = 0;
	}
}

int
hg_body_expect(const struct hg_body *b)
{
	return b->u->length < 0 || b->u->length > HG_EXPECT_OVER;
}
