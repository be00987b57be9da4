/*
 * decode.c: undoing Content-Encoding gzip (x-gzip) and deflate (what
 * http-get --compressed asks for) with zlib as the body arrives.
 *
 * Memory is bounded whatever the input: each stage inflates into one fixed
 * buffer that is handed on each time it fills, so a small body that
 * expands enormously costs output, never memory.  Anything zlib cannot
 * make sense of, bytes after the end of the coded stream, or a body that
 * ends before the stream does is -EBADMSG.
 * Concatenated gzip members are one stream (RFC 1952 2.2).  "deflate"
 * should be a zlib stream (RFC 9110 8.4.1.2) but some servers send raw
 * deflate: when the first two bytes are not a zlib header, raw it is.
 *
 * The field is a list: "gzip, gzip" was gzipped twice, so the codings are
 * undone last first, each stage feeding the next (RFC 9110 8.4.1).
 * "identity" passes bytes on.  More than AHTTP_MAX_CODINGS codings
 * (identity counted) are refused, as curl refuses them: each one costs a
 * zlib state and a buffer.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "ahttp.h"

#define OUT_SIZE	(64 * 1024)

enum kind { K_IDENTITY, K_GZIP, K_DEFLATE };

struct stage {
	z_stream	 z;
	enum kind	 kind;
	int		 started;	/* the first bytes were seen */
	int		 ended;		/* Z_STREAM_END seen */
	int		 decided;	/* deflate: zlib or raw is settled */
	int		 held;		/* deflate: first waits for a 2nd byte */
	unsigned char	 first;
	unsigned char	 out[OUT_SIZE];
};

struct ahttp_decoder {
	size_t		 n;
	struct stage	*st[AHTTP_MAX_CODINGS];	/* st[0] undoes the last */
	ahttp_sink	*sink;		/* during ahttp_decode() */
	void		*arg;
};

static int	 feed(struct ahttp_decoder *, size_t, const unsigned char *,
		    size_t);

static int
coding_is(const char *c, size_t len, const char *name)
{
	return strlen(name) == len && strncasecmp(c, name, len) == 0;
}

/* The next element of a comma-separated list, OWS trimmed; 0 at the end. */
static int
next_coding(const char *v, size_t len, size_t *pos, const char **e,
    size_t *elen)
{
	size_t s, t;

	while (*pos < len) {
		for (s = *pos; s < len && (v[s] == ' ' || v[s] == '\t'); s++)
			;
		for (t = s; t < len && v[t] != ','; t++)
			;
		*pos = t + 1;
		while (t > s && (v[t - 1] == ' ' || v[t - 1] == '\t'))
			t--;
		if (t > s) {	/* empty elements do not count */
			*e = v + s;
			*elen = t - s;
			return 1;
		}
	}
	return 0;
}

static struct stage *
stage_new(enum kind kind)
{
	struct stage *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->kind = kind;
	/* 16 + 15: gzip wrapper; 15: zlib wrapper. */
	if (kind != K_IDENTITY && inflateInit2(&s->z, kind == K_GZIP ?
	    16 + MAX_WBITS : MAX_WBITS) != Z_OK) {
		free(s);
		return NULL;
	}
	return s;
}

static void
stage_free(struct stage *s)
{
	if (s == NULL)
		return;
	if (s->kind != K_IDENTITY)
		inflateEnd(&s->z);
	free(s);
}

struct ahttp_decoder *
ahttp_decoder_new(const char *coding, size_t len, int *err)
{
	struct ahttp_decoder *d;
	enum kind kinds[AHTTP_MAX_CODINGS];
	const char *e;
	size_t pos = 0, elen, n = 0, i;

	while (next_coding(coding, len, &pos, &e, &elen)) {
		if (n == AHTTP_MAX_CODINGS) {
			*err = -E2BIG;
			return NULL;
		}
		if (coding_is(e, elen, "gzip") || coding_is(e, elen, "x-gzip"))
			kinds[n++] = K_GZIP;
		else if (coding_is(e, elen, "deflate"))
			kinds[n++] = K_DEFLATE;
		else if (coding_is(e, elen, "identity"))
			kinds[n++] = K_IDENTITY;
		else {
			*err = -EPROTONOSUPPORT;
			return NULL;
		}
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	for (i = 0; i < n; i++)
		if ((d->st[d->n++] = stage_new(kinds[n - 1 - i])) == NULL) {
			ahttp_decoder_free(d);
			*err = -ENOMEM;
			return NULL;
		}
	return d;
}

/* A zlib header: CM 8, CINFO <= 7, and the check bits (RFC 1950 2.2). */
static int
zlib_header(unsigned char b0, unsigned char b1)
{
	return (b0 & 0x0f) == 8 && (b0 >> 4) <= 7 &&
	    ((b0 << 8) | b1) % 31 == 0;
}

/* Stage k inflates in[0, len) and feeds what comes out to stage k + 1. */
static int
inflate_some(struct ahttp_decoder *d, size_t k, const unsigned char *in,
    size_t len)
{
	struct stage *s = d->st[k];
	size_t n, got;
	int zr, rc;

	while (len > 0) {
		if (s->ended) {
			/* Only another gzip member may follow the end. */
			if (s->kind != K_GZIP || inflateReset(&s->z) != Z_OK)
				return -EBADMSG;
			s->ended = 0;
		}
		/* zlib counts in uInt: feed at most that much at a time. */
		n = len > 0x40000000 ? 0x40000000 : len;
		s->z.next_in = (unsigned char *)(uintptr_t)in;
		s->z.avail_in = (uInt)n;
		do {
			s->z.next_out = s->out;
			s->z.avail_out = sizeof(s->out);
			zr = inflate(&s->z, Z_NO_FLUSH);
			if (zr != Z_OK && zr != Z_STREAM_END &&
			    zr != Z_BUF_ERROR)
				return -EBADMSG;
			got = sizeof(s->out) - s->z.avail_out;
			if (got > 0 && (rc = feed(d, k + 1, s->out, got)) != 0)
				return rc;
			if (zr == Z_STREAM_END) {
				s->ended = 1;
				break;
			}
			/* Z_BUF_ERROR: no progress possible, input used up. */
		} while ((s->z.avail_in > 0 || s->z.avail_out == 0) &&
		    zr != Z_BUF_ERROR);
		if (zr == Z_BUF_ERROR && s->z.avail_in > 0)
			return -EBADMSG;
		n -= s->z.avail_in;
		in += n;
		len -= n;
	}
	return 0;
}

/* Bytes for stage k (k == n: the caller's sink). */
static int
feed(struct ahttp_decoder *d, size_t k, const unsigned char *in, size_t len)
{
	struct stage *s;
	unsigned char b0;
	int rc;

	if (k == d->n)
		return d->sink(d->arg, in, len);
	s = d->st[k];
	if (s->kind == K_IDENTITY)
		return feed(d, k + 1, in, len);
	s->started = 1;
	if (s->kind == K_DEFLATE && !s->decided) {
		/* Raw deflate in disguise?  Two bytes tell; hold a lone one. */
		if (!s->held && len == 1) {
			s->first = in[0];
			s->held = 1;
			return 0;
		}
		b0 = s->held ? s->first : in[0];
		s->decided = 1;
		if (!zlib_header(b0, s->held ? in[0] : in[1]) &&
		    inflateReset2(&s->z, -MAX_WBITS) != Z_OK)
			return -EBADMSG;
		if (s->held) {
			s->held = 0;
			if ((rc = inflate_some(d, k, &b0, 1)) != 0)
				return rc;
		}
	}
	return inflate_some(d, k, in, len);
}

int
ahttp_decode(struct ahttp_decoder *d, const void *buf, size_t len,
    ahttp_sink *sink, void *arg)
{
	if (len == 0)
		return 0;
	d->sink = sink;
	d->arg = arg;
	return feed(d, 0, buf, len);
}

int
ahttp_decode_end(struct ahttp_decoder *d)
{
	size_t k;

	/* An empty body is an empty body, coded or not. */
	for (k = 0; k < d->n; k++)
		if (d->st[k]->kind != K_IDENTITY && d->st[k]->started &&
		    !d->st[k]->ended)
			return -EBADMSG;
	return 0;
}

void
ahttp_decoder_free(struct ahttp_decoder *d)
{
	size_t k;

	if (d == NULL)
		return;
	for (k = 0; k < d->n; k++)
		stage_free(d->st[k]);
	free(d);
}
