/*
 * fuzz-http-decode.c: libFuzzer target for --compressed decoding.
 *
 * Input: byte 0 picks the coding (gzip, deflate, or two of them stacked)
 * and byte 1 how to cut the rest, which is the coded body.  It is decoded whole and in pieces;
 * both runs must agree on the outcome and on every byte handed on, and
 * the decoder may never hand on an empty piece.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ahttp.h"

struct outcome {
	int		 result;
	uint64_t	 len;
	uint64_t	 hash;
};

static int
sink(void *arg, const void *buf, size_t len)
{
	struct outcome *o = arg;
	const unsigned char *p = buf;

	if (len == 0)
		abort();
	o->len += len;
	while (len-- > 0)
		o->hash = (o->hash ^ *p++) * 0x100000001b3ULL;
	return 0;
}

static void
run(const char *coding, const uint8_t *data, size_t size, size_t cut,
    struct outcome *o)
{
	struct ahttp_decoder *d;
	size_t off, n;
	int err, r = 0;

	memset(o, 0, sizeof(*o));
	o->hash = 0xcbf29ce484222325ULL;
	if ((d = ahttp_decoder_new(coding, strlen(coding), &err)) == NULL)
		abort();
	for (off = 0; off < size && r == 0; off += n) {
		n = cut == 0 || size - off < cut ? size - off : cut;
		r = ahttp_decode(d, data + off, n, sink, o);
	}
	if (r == 0)
		r = ahttp_decode_end(d);
	o->result = r;
	ahttp_decoder_free(d);
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const codings[] = {
		"gzip", "deflate", "gzip, gzip", "deflate, gzip"
	};
	struct outcome whole, pieces;
	const char *coding;

	if (size < 2)
		return 0;
	coding = codings[data[0] & 3];
	run(coding, data + 2, size - 2, 0, &whole);
	run(coding, data + 2, size - 2, (size_t)data[1] % 17 + 1, &pieces);
	if (whole.result != 0 && whole.result != -EBADMSG)
		abort();
	if (whole.result != pieces.result || (whole.result == 0 &&
	    (whole.len != pieces.len || whole.hash != pieces.hash)))
		abort();
	return 0;
}
