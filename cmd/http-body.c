/*
 * http-body.c: what a request sends after its head.
 *
 * The options (-d and its family, --json, -F, -T) make one struct
 * hg_upload for the run: what to send, as a list of segments, each bytes
 * in memory, a part of a regular file, or a stream (stdin or a pipe).
 * Every request that sends it reads it through its own struct hg_body,
 * so parallel requests and a resend after a redirect or a retry each
 * start from the first byte.  Memory stays bounded whatever the size:
 * files are read BODY_BUF bytes at a time, at their own offsets, and a
 * stream through a file channel of the loop, so the loop never blocks
 * on a read and the bytes of a stream are never kept.  The options
 * themselves are read in http-data.c.
 */
#include "config.h"

#include <sys/random.h>
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
/* ------------------------------------------------------ the run's body */

static const char *
keep(struct hg_upload *u, char *s)
{
	char **ns;

	if (s == NULL || (ns = reallocarray(u->strs, u->nstrs + 1,
	    sizeof(*ns))) == NULL) {
		free(s);
		err(AC_EXIT_FAIL, "http-get");
	}
	u->strs = ns;
	u->strs[u->nstrs++] = s;
	return s;
}

static void
add_seg(struct hg_upload *u, const struct seg *s)
{
	struct seg *ns;

	if ((ns = reallocarray(u->segs, u->nsegs + 1, sizeof(*ns))) == NULL)
		err(AC_EXIT_FAIL, "http-get");
	u->segs = ns;
	u->segs[u->nsegs++] = *s;
	if (u->length >= 0)
		u->length = s->size < 0 ? -1 : u->length + s->size;
}

static void
add_mem(struct hg_upload *u, const char *p, size_t len)
{
	struct seg s = { .kind = SEG_MEM, .mem = p, .fd = -1,
	    .size = (int64_t)len };

	if (len > 0)
		add_seg(u, &s);
}

/*
 * A file to send: a regular file is read as it is sent (its size now);
 * stdin, a pipe or a device is a stream when streams may be (-T), else
 * read into memory now.  0, or an errno.
 */
static int
add_file(struct hg_upload *u, const char *path, int stream_ok)
{
	struct seg s = { .path = path };
	struct stat st;
	char *b;
	size_t len;
	int fd, e;

	fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : open(path,
	    O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		e = S_ISDIR(st.st_mode) ? EISDIR : errno;
		close(fd);
		return e;
	}
	if (S_ISREG(st.st_mode)) {
		s.kind = SEG_FILE;
		s.fd = fd;
		/* stdin from a file: from where it stands */
		s.start = strcmp(path, "-") == 0 ? lseek(fd, 0, SEEK_CUR) : 0;
		if (s.start < 0 || s.start > st.st_size)
			s.start = 0;
		s.size = (int64_t)(st.st_size - s.start);
		add_seg(u, &s);
		return 0;
	}
	if (stream_ok) {
		s.kind = SEG_STREAM;
		s.fd = fd;
		s.size = -1;
		add_seg(u, &s);
		return 0;
	}
	close(fd);
	if ((e = body_slurp(path, &b, &len)) != 0)
		return e;
	add_mem(u, keep(u, b), len);
	return 0;
}

/* curl's table: a file part's type from its name. */
static const char *
guess_type(const char *name)
{
	static const char *const types[] = {
		".gif", "image/gif", ".jpg", "image/jpeg",
		".jpeg", "image/jpeg", ".png", "image/png",
		".svg", "image/svg+xml", ".txt", "text/plain",
		".htm", "text/html", ".html", "text/html",
		".pdf", "application/pdf", ".xml", "application/xml",
		NULL
	};
	size_t i, n = strlen(name), m;

	for (i = 0; types[i] != NULL; i += 2) {
		m = strlen(types[i]);
		if (n > m && strcasecmp(name + n - m, types[i]) == 0)
			return types[i + 1];
	}
	return "application/octet-stream";
}

/* A name or file name in Content-Disposition: " CR LF as %22 %0D %0A. */
static void
put_quoted(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s != '\0'; s++)
		if (*s == '"')
			fputs("%22", fp);
		else if (*s == '\r')
			fputs("%0D", fp);
		else if (*s == '\n')
			fputs("%0A", fp);
		else
			fputc(*s, fp);
	fputc('"', fp);
}

/* -F: RFC 7578, each part's head in memory, files sent as they are. */
static int
make_form(struct hg_upload *u)
{
	unsigned char rnd[8];
	char boundary[48], *txt;
	size_t i, len;
	FILE *fp;
	const struct part *pt;
	int e;

	/* curl's shape: 24 dashes and 16 random hex digits */
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return errno != 0 ? errno : EIO;
	len = (size_t)snprintf(boundary, sizeof(boundary), "%s",
	    "------------------------");
	for (i = 0; i < sizeof(rnd); i++)
		len += (size_t)snprintf(boundary + len, sizeof(boundary) - len,
		    "%02x", rnd[i]);
	snprintf(u->type, sizeof(u->type), "multipart/form-data; "
	    "boundary=%s", boundary);
	for (i = 0; i < u->nparts; i++) {
		pt = &u->parts[i];
		txt = NULL;
		if ((fp = open_memstream(&txt, &len)) == NULL)
			return ENOMEM;
		fprintf(fp, "%s--%s\r\nContent-Disposition: form-data; name=",
		    i > 0 ? "\r\n" : "", boundary);
		put_quoted(fp, pt->name);
		if (pt->filename != NULL) {
			fputs("; filename=", fp);
			put_quoted(fp, pt->filename);
		}
		fputs("\r\n", fp);
		if (pt->type != NULL)
			fprintf(fp, "Content-Type: %s\r\n", pt->type);
		else if (pt->file != NULL && strcmp(pt->file, "-") != 0)
			fprintf(fp, "Content-Type: %s\r\n",
			    guess_type(pt->file));
		fputs("\r\n", fp);
		if (fclose(fp) != 0)
			return ENOMEM;
		add_mem(u, keep(u, txt), len);
		if (pt->file == NULL)
			add_mem(u, pt->value, pt->len);
		else if ((e = add_file(u, pt->file, 0)) != 0) {
			body_read_failed(u, pt->file, e);
			return e;
		}
	}
	if (asprintf(&txt, "%s--%s--\r\n", u->nparts > 0 ? "\r\n" : "",
	    boundary) < 0)
		return ENOMEM;
	len = strlen(txt);
	add_mem(u, keep(u, txt), len);
	return 0;
}

int
hg_upload_ready(struct hg *g)
{
	struct hg_upload *u = g->o.upload;
	int e = 0;

	if (u == NULL || u->kind == 0)
		return 0;
	if (u->err[0] == '\0') {
		u->length = 0;
		if (u->kind == 'd') {
			add_mem(u, u->data, u->datalen);
			if (!u->json)
				snprintf(u->type, sizeof(u->type), "%s",
				    "application/x-www-form-urlencoded");
		} else if (u->kind == 'F')
			e = make_form(u);
		else if ((e = add_file(u, u->path, 1)) != 0)
			body_read_failed(u, u->path, e);
	}
	if (u->err[0] == '\0' && e != 0)
		snprintf(u->err, sizeof(u->err), "%s", strerror(e));
	if (u->err[0] != '\0') {
		hg_warn(g, "http-get: cannot read %s", u->err);
		return AC_EXIT_READ;
	}
	return 0;
}

void
hg_upload_free(struct hg_upload *u)
{
	size_t i;

	if (u == NULL)
		return;
	for (i = 0; i < u->nsegs; i++)
		if (u->segs[i].kind != SEG_MEM)
			close(u->segs[i].fd);
	for (i = 0; i < u->nstrs; i++)
		free(u->strs[i]);
	for (i = 0; i < u->nparts; i++) {
		free(u->parts[i].name);
		free(u->parts[i].value);
		free(u->parts[i].file);
		free(u->parts[i].type);
		free(u->parts[i].filename);
	}
	free(u->parts);
	free(u->strs);
	free(u->segs);
	free(u->data);
	free(u);
}

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
