/*
 * decode.c: undoing Content-Encoding gzip (x-gzip) and deflate (what
 * http-get --compressed asks for) with zlib as the body arrives.
 *
 * Memory is bounded whatever the input: inflate writes into one fixed
 * buffer that is handed on each time it fills, so a small body that
 * expands enormously costs output, never memory.  Anything zlib cannot
 * make sense of, bytes after the end of the coded stream, or a body that
 * ends before the stream does is -EBADMSG.
 * Concatenated gzip members are one stream (RFC 1952 2.2).  "deflate"
 * should be a zlib stream (RFC 9110 8.4.1.2) but some servers send raw
 * deflate: when the first bytes are not a zlib header, raw it is.
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

struct ahttp_decoder {
	z_stream	 z;
	int		 gzip;
	int		 started;	/* the first bytes were seen */
	int		 ended;		/* Z_STREAM_END seen */
	unsigned char	 out[OUT_SIZE];
};

static int
coding_is(const char *c, size_t len, const char *name)
{
	return strlen(name) == len && strncasecmp(c, name, len) == 0;
}

struct ahttp_decoder *
ahttp_decoder_new(const char *coding, size_t len, int *err)
{
	struct ahttp_decoder *d;
	int gzip;

	if (coding_is(coding, len, "gzip") || coding_is(coding, len, "x-gzip"))
		gzip = 1;
	else if (coding_is(coding, len, "deflate"))
		gzip = 0;
	else {
		*err = -EPROTONOSUPPORT;
		return NULL;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	d->gzip = gzip;
	/* 16 + 15: gzip wrapper; 15: zlib wrapper. */
	if (inflateInit2(&d->z, gzip ? 16 + MAX_WBITS : MAX_WBITS) != Z_OK) {
		free(d);
		*err = -ENOMEM;
		return NULL;
	}
	return d;
}

/* A zlib header: CM 8, CINFO <= 7, and the check bits (RFC 1950 2.2). */
static int
zlib_header(const unsigned char *b)
{
	return (b[0] & 0x0f) == 8 && (b[0] >> 4) <= 7 &&
	    ((b[0] << 8) | b[1]) % 31 == 0;
}

int
ahttp_decode(struct ahttp_decoder *d, const void *buf, size_t len,
    ahttp_sink *sink, void *arg)
{
	const unsigned char *in = buf;
	size_t n;
	int zr, rc;

	if (len == 0)
		return 0;
	if (!d->started) {
		d->started = 1;
		/* Raw deflate in disguise?  (One byte cannot tell.) */
		if (!d->gzip && len >= 2 && !zlib_header(in) &&
		    inflateReset2(&d->z, -MAX_WBITS) != Z_OK)
			return -EBADMSG;
	}
	while (len > 0) {
		if (d->ended) {
			/* Only another gzip member may follow the end. */
			if (!d->gzip || inflateReset(&d->z) != Z_OK)
				return -EBADMSG;
			d->ended = 0;
		}
		/* zlib counts in uInt: feed at most that much at a time. */
		n = len > 0x40000000 ? 0x40000000 : len;
		d->z.next_in = (unsigned char *)(uintptr_t)in;
		d->z.avail_in = (uInt)n;
		do {
			d->z.next_out = d->out;
			d->z.avail_out = sizeof(d->out);
			zr = inflate(&d->z, Z_NO_FLUSH);
			if (zr != Z_OK && zr != Z_STREAM_END &&
			    zr != Z_BUF_ERROR)
				return -EBADMSG;
			if (sizeof(d->out) - d->z.avail_out > 0 &&
			    (rc = sink(arg, d->out, sizeof(d->out) -
			    d->z.avail_out)) != 0)
				return rc;
			if (zr == Z_STREAM_END) {
				d->ended = 1;
				break;
			}
			/* Z_BUF_ERROR: no progress possible, input used up. */
		} while ((d->z.avail_in > 0 || d->z.avail_out == 0) &&
		    zr != Z_BUF_ERROR);
		if (zr == Z_BUF_ERROR && d->z.avail_in > 0)
			return -EBADMSG;
		n -= d->z.avail_in;
		in += n;
		len -= n;
	}
	return 0;
}

int
ahttp_decode_end(struct ahttp_decoder *d)
{
	/* An empty body is an empty body, coded or not. */
	return d->ended || !d->started ? 0 : -EBADMSG;
}

void
ahttp_decoder_free(struct ahttp_decoder *d)
{
	if (d == NULL)
		return;
	inflateEnd(&d->z);
	free(d);
}
