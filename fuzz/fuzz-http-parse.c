/*
 * fuzz-http-parse.c: libFuzzer target for the HTTP response parser.
 *
 * Input: byte 0 picks the options (HEAD, a small header limit, how to cut
 * the stream), byte 1 the small limit and the cutting seed; the rest is the
 * stream.  The stream is parsed whole and then cut into pieces, and both
 * runs must agree on everything the caller can see.  Every response on the
 * stream is parsed, as a keep-alive connection would.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ahttp.h"

struct outcome {
	int		 result;
	int		 status;
	int		 keep_alive;
	int		 kind;
	unsigned	 responses;
	unsigned	 blocks;
	uint64_t	 body_len;
	uint64_t	 body_hash;
	uint64_t	 trailer_hash;
	uint64_t	 wire;
};

static uint64_t
fnv(uint64_t h, const char *p, size_t n)
{
	while (n-- > 0)
		h = (h ^ (unsigned char)*p++) * 0x100000001b3ULL;
	return h;
}

static int
on_headers(struct ahttp_parser *p, const char *block, size_t len, void *arg)
{
	struct outcome *o = arg;
	struct ahttp_field f;
	size_t pos = 0, i;

	if (p->status < 100 || p->status > 999 || len == 0 ||
	    block[len - 1] != '\n')
		abort();
	while (ahttp_next_field(p, &pos, &f)) {
		if (f.namelen == 0)
			abort();
		for (i = 0; i < f.valuelen; i++)
			if (f.value[i] == '\r' || f.value[i] == '\n' ||
			    f.value[i] == '\0')
				abort();
	}
	o->blocks++;
	return 0;
}

static int
on_body(struct ahttp_parser *p, const char *data, size_t len, void *arg)
{
	struct outcome *o = arg;

	if (len == 0 && p->body_kind != AHTTP_BODY_CLOSE)
		abort();
	o->body_len += len;
	o->body_hash = fnv(o->body_hash, data, len);
	return 0;
}

static int
on_trailers(struct ahttp_parser *p, const char *block, size_t len, void *arg)
{
	struct outcome *o = arg;

	(void)p;
	o->trailer_hash = fnv(o->trailer_hash, block, len);
	return 0;
}

static const struct ahttp_parser_cb cbs = { on_headers, on_body, on_trailers };

/* Parse every response in data; cut the input wherever seed says. */
static void
run(const char *data, size_t len, int flags, size_t max, uint32_t seed,
    struct outcome *o)
{
	struct ahttp_parser p;
	size_t off = 0, piece;
	ssize_t n;

	memset(o, 0, sizeof(*o));
	o->body_hash = o->trailer_hash = 0xcbf29ce484222325ULL;
	ahttp_parser_init(&p, max, &cbs, o);
	ahttp_parser_reset(&p, flags);
	o->result = 1;
	while (o->responses < 64) {
		piece = len - off;
		if (seed != 0) {
			seed = seed * 1103515245 + 12345;
			piece = piece < 1 ? piece : 1 + (seed >> 8) % piece;
			if ((seed >> 4) & 1)
				piece = piece < 3 ? piece :
				    1 + (seed >> 16) % 3;
		}
		n = ahttp_parser_feed(&p, data + off, piece);
		if (n < 0) {
			o->result = (int)n;
			break;
		}
		if ((size_t)n > piece)
			abort();
		off += (size_t)n;
		if (p.cap > max)
			abort();
		if (p.body_kind == AHTTP_BODY_LENGTH &&
		    p.body_bytes > (uint64_t)p.content_length)
			abort();
		if (ahttp_parser_done(&p)) {
			o->responses++;
			o->wire += p.wire_bytes;
			if (p.body_kind == AHTTP_BODY_LENGTH &&
			    p.body_bytes != (uint64_t)p.content_length)
				abort();
			if (off == len || !p.keep_alive) {
				o->result = 0;
				break;
			}
			ahttp_parser_reset(&p, flags);
			continue;
		}
		if (off == len) {
			o->result = ahttp_parser_eof(&p);
			if (o->result == 0)
				o->responses++;
			break;
		}
	}
	o->status = p.status;
	o->keep_alive = p.keep_alive;
	o->kind = p.body_kind;
	ahttp_parser_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	struct outcome whole, cut;
	const char *data = (const char *)in + 2;
	size_t len, max;
	int flags;

	if (size < 2)
		return 0;
	len = size - 2;
	flags = (in[0] & 1) ? AHTTP_PARSE_HEAD : 0;
	max = (in[0] & 2) ? 16 + in[1] : AHTTP_MAX_HEADER;
	run(data, len, flags, max, 0, &whole);
	run(data, len, flags, max, 1 + in[1] + ((uint32_t)in[0] << 8), &cut);
	if (memcmp(&whole, &cut, sizeof(whole)) != 0)
		abort();
	return 0;
}
