/*
 * test-http-decode.c: Content-Encoding decoding (http-get --compressed):
 * gzip, zlib and raw deflate, stacked codings, and bodies cut at every
 * offset, with a 1- or 2-byte piece after it, and into single bytes:
 * every cut must decode the same.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "tap.h"
#include "ahttp.h"

#define SIX	"identity, gzip, gzip, gzip, gzip, gzip"
#define PLAIN	"the body, as it was before any coding was applied\n"

struct buf {
	unsigned char	 b[8192];
	size_t		 len;
};

/* in coded with wbits (31 gzip, 15 zlib, -15 raw deflate) into out. */
static void
code(const struct buf *in, int wbits, struct buf *out)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 9, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		bail_out("deflateInit2");
	z.next_in = (unsigned char *)(uintptr_t)in->b;
	z.avail_in = (uInt)in->len;
	z.next_out = out->b;
	z.avail_out = sizeof(out->b);
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		bail_out("deflate");
	out->len = sizeof(out->b) - z.avail_out;
	deflateEnd(&z);
}

static int
sink(void *arg, const void *data, size_t len)
{
	struct buf *o = arg;

	if (len == 0 || o->len + len > sizeof(o->b))
		return 1;
	memcpy(o->b + o->len, data, len);
	o->len += len;
	return 0;
}

/* Decode in cut at a and b (a <= b <= len); the result, out filled. */
static int
decode_cut(const char *coding, const struct buf *in, size_t a, size_t b,
    struct buf *out)
{
	struct ahttp_decoder *d;
	size_t cuts[3] = { a, b - a, in->len - b }, off = 0, i;
	int err, r = 0;

	out->len = 0;
	if ((d = ahttp_decoder_new(coding, strlen(coding), &err)) == NULL)
		return err;
	for (i = 0; i < 3 && r == 0; off += cuts[i++])
		r = ahttp_decode(d, in->b + off, cuts[i], sink, out);
	if (r == 0)
		r = ahttp_decode_end(d);
	ahttp_decoder_free(d);
	return r;
}

/* One byte at a time. */
static int
decode_bytes(const char *coding, const struct buf *in, struct buf *out)
{
	struct ahttp_decoder *d;
	size_t i;
	int err, r = 0;

	out->len = 0;
	if ((d = ahttp_decoder_new(coding, strlen(coding), &err)) == NULL)
		return err;
	for (i = 0; i < in->len && r == 0; i++)
		r = ahttp_decode(d, in->b + i, 1, sink, out);
	if (r == 0)
		r = ahttp_decode_end(d);
	ahttp_decoder_free(d);
	return r;
}

/* in must decode to want (or fail with err) however it is cut. */
static void
every_cut(const char *name, const char *coding, const struct buf *in,
    int err, const struct buf *want)
{
	struct buf out;
	size_t a, b, bad = 0;
	int r;

	/* Second cuts right after the first, or none: 1-byte pieces. */
	for (a = 0; a <= in->len; a++)
		for (b = a; b <= in->len; b = b < a + 2 ? b + 1 :
		    b < in->len ? in->len : b + 1) {
			r = decode_cut(coding, in, a, b, &out);
			if (r != err || (err == 0 && (out.len != want->len ||
			    memcmp(out.b, want->b, out.len) != 0))) {
				if (bad++ == 0)
					diag("cut at %zu and %zu: %d, %zu "
					    "bytes", a, b, r, out.len);
			}
		}
	ok(bad == 0, "%s: cut anywhere in two or three, decodes alike",
	    name);
	r = decode_bytes(coding, in, &out);
	ok(r == err && (err != 0 || (out.len == want->len &&
	    memcmp(out.b, want->b, out.len) == 0)),
	    "%s: one byte at a time too", name);
}

static void
plain(struct buf *p)
{
	p->len = strlen(PLAIN);
	memcpy(p->b, PLAIN, p->len);
}

static void
test_single(void)
{
	struct buf p, gz, zl, raw, cut;

	plain(&p);
	code(&p, 31, &gz);
	code(&p, 15, &zl);
	code(&p, -15, &raw);
	every_cut("gzip", "gzip", &gz, 0, &p);
	every_cut("x-gzip", "X-Gzip", &gz, 0, &p);
	every_cut("deflate (zlib)", "deflate", &zl, 0, &p);
	/* The 1-byte first piece: the zlib-or-raw guess waits for a 2nd. */
	every_cut("deflate (raw)", "deflate", &raw, 0, &p);
	every_cut("identity", "identity", &p, 0, &p);

	cut = raw;
	cut.len = 1;
	every_cut("raw deflate cut after 1 byte", "deflate", &cut, -EBADMSG,
	    &p);
	cut = gz;
	cut.len--;
	every_cut("gzip cut short", "gzip", &cut, -EBADMSG, &p);
	cut = gz;
	cut.b[cut.len++] = 'x';
	every_cut("junk after gzip", "gzip", &cut, -EBADMSG, &p);
	cut = zl;
	memcpy(cut.b + cut.len, zl.b, zl.len);
	cut.len += zl.len;
	every_cut("two zlib streams", "deflate", &cut, -EBADMSG, &p);
	cut = gz;
	memcpy(cut.b + cut.len, gz.b, gz.len);
	cut.len += gz.len;
	memcpy(p.b + p.len, p.b, p.len);
	p.len *= 2;
	every_cut("two gzip members are one stream", "gzip", &cut, 0, &p);
	cut.len = 0;
	every_cut("empty body", "deflate", &cut, 0, &cut);
}

static void
test_stacked(void)
{
	struct buf p, once, twice, zl_gz;
	struct ahttp_decoder *d;
	int err;

	plain(&p);
	code(&p, 31, &once);
	code(&once, 31, &twice);
	every_cut("gzip, gzip", "gzip, gzip", &twice, 0, &p);
	code(&p, 15, &once);
	code(&once, 31, &zl_gz);
	/* deflate applied first, gzip last: gzip is undone first. */
	every_cut("deflate, gzip", "deflate, gzip", &zl_gz, 0, &p);
	every_cut("gzip, deflate is the wrong order", "gzip, deflate",
	    &zl_gz, -EBADMSG, &p);
	every_cut("identity and empty elements skipped", " ,identity,, "
	    "deflate , identity,gzip,", &zl_gz, 0, &p);

	twice = p;
	for (err = 0; err < 5; err++) {
		code(&twice, 31, &once);
		twice = once;
	}
	every_cut("five codings", "gzip,gzip,gzip,gzip,gzip", &twice, 0, &p);
	d = ahttp_decoder_new(SIX, strlen(SIX), &err);
	ok(d == NULL && err == -E2BIG, "six codings are too many, identity "
	    "counted (as curl)");
	d = ahttp_decoder_new("gzip, br", 8, &err);
	ok(d == NULL && err == -EPROTONOSUPPORT, "an unknown coding in the "
	    "list");
}

int
main(void)
{
	test_single();
	test_stacked();
	tap_plan_done();
	return tap_exit();
}
