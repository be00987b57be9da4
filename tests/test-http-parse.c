/*
 * test-http-parse.c: the HTTP response parser, on good and bad responses,
 * each fed whole, split at every offset, split at every pair of offsets
 * (short ones) and one byte at a time: every way must give the same result.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "ahttp.h"

/* What one parse produced. */
struct rec {
	int	 result;	/* 0 done, 1 incomplete, or AHTTP_E_* */
	int	 status;
	int	 keep_alive;
	int	 body_kind;
	int	 nheaders;	/* header blocks seen (1xx included) */
	size_t	 leftover;	/* bytes after the response */
	char	 body[1024];
	size_t	 bodylen;
	char	 trailers[256];
	size_t	 trailerlen;
	char	 field[64];	/* value of the field want_field names */
};

static const char *want_field;
static int abort_at_body;

static int
on_headers(struct ahttp_parser *p, const char *block, size_t len, void *arg)
{
	struct rec *r = arg;
	const char *v;
	size_t vlen;

	(void)block;
	(void)len;
	r->nheaders++;
	r->status = p->status;
	if (want_field != NULL &&
	    (v = ahttp_get_field(p, want_field, &vlen)) != NULL &&
	    vlen < sizeof(r->field)) {
		memcpy(r->field, v, vlen);
		r->field[vlen] = '\0';
	}
	return 0;
}

static int
on_body(struct ahttp_parser *p, const char *data, size_t len, void *arg)
{
	struct rec *r = arg;

	(void)p;
	if (abort_at_body)
		return 1;
	if (r->bodylen + len <= sizeof(r->body))
		memcpy(r->body + r->bodylen, data, len);
	r->bodylen += len;
	return 0;
}

static int
on_trailers(struct ahttp_parser *p, const char *block, size_t len, void *arg)
{
	struct rec *r = arg;

	(void)p;
	if (r->trailerlen + len <= sizeof(r->trailers))
		memcpy(r->trailers + r->trailerlen, block, len);
	r->trailerlen += len;
	return 0;
}

static const struct ahttp_parser_cb cbs = {
	.headers = on_headers,
	.body = on_body,
	.trailers = on_trailers,
};

/*
 * Parse in[0, len), cut at the offsets cuts[0..ncuts) (ascending); at the
 * end, tell the parser the stream ended when eof is set.
 */
static void
parse(const char *in, size_t len, const size_t *cuts, size_t ncuts,
    int flags, size_t max, int eof, struct rec *r)
{
	struct ahttp_parser p;
	size_t i, from = 0, to;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	r->result = 1;
	ahttp_parser_init(&p, max, &cbs, r);
	ahttp_parser_reset(&p, flags);
	for (i = 0; i <= ncuts; i++) {
		to = i < ncuts ? cuts[i] : len;
		n = ahttp_parser_feed(&p, in + from, to - from);
		if (n < 0) {
			r->result = (int)n;
			break;
		}
		if ((size_t)n < to - from || ahttp_parser_done(&p)) {
			r->leftover = len - from - (size_t)n;
			break;
		}
		from = to;
	}
	if (r->result == 1 && eof)
		r->result = ahttp_parser_eof(&p);
	if (r->result == 1 && ahttp_parser_done(&p))
		r->result = 0;
	r->keep_alive = p.keep_alive;
	r->body_kind = p.body_kind;
	if (p.cap > (max != 0 ? max : AHTTP_MAX_HEADER))
		r->result = 99;		/* grew past its limit */
	ahttp_parser_free(&p);
}

static int
same(const struct rec *a, const struct rec *b)
{
	return a->result == b->result && a->status == b->status &&
	    a->keep_alive == b->keep_alive && a->body_kind == b->body_kind &&
	    a->nheaders == b->nheaders && a->leftover == b->leftover &&
	    a->bodylen == b->bodylen &&
	    memcmp(a->body, b->body, a->bodylen < sizeof(a->body) ?
	    a->bodylen : sizeof(a->body)) == 0 &&
	    a->trailerlen == b->trailerlen &&
	    memcmp(a->trailers, b->trailers, a->trailerlen <
	    sizeof(a->trailers) ? a->trailerlen : sizeof(a->trailers)) == 0 &&
	    strcmp(a->field, b->field) == 0;
}

/*
 * Parse whole, then every other way; report whether all agree.  The whole
 * parse is left in *whole for the caller's own checks.
 */
static int
all_splits(const char *in, size_t len, int flags, size_t max, int eof,
    struct rec *whole)
{
	struct rec r;
	size_t cuts[2], *bytes, i, j;
	int agree = 1;

	parse(in, len, NULL, 0, flags, max, eof, whole);
	for (i = 0; i <= len && agree; i++) {
		cuts[0] = i;
		parse(in, len, cuts, 1, flags, max, eof, &r);
		if (!same(whole, &r)) {
			diag("split at %zu disagrees (result %d vs %d)", i,
			    r.result, whole->result);
			agree = 0;
		}
	}
	for (i = 0; len <= 300 && i <= len && agree; i++)
		for (j = i; j <= len && agree; j++) {
			cuts[0] = i;
			cuts[1] = j;
			parse(in, len, cuts, 2, flags, max, eof, &r);
			if (!same(whole, &r)) {
				diag("splits at %zu,%zu disagree", i, j);
				agree = 0;
			}
		}
	if ((bytes = malloc((len + 1) * sizeof(*bytes))) == NULL)
		abort();
	for (i = 0; i < len; i++)
		bytes[i] = i + 1;
	parse(in, len, bytes, len, flags, max, eof, &r);
	if (agree && !same(whole, &r)) {
		diag("byte at a time disagrees");
		agree = 0;
	}
	free(bytes);
	return agree;
}

#define S(lit)	(lit), sizeof(lit) - 1

/* A response that must parse to the given outcome, every way it is cut. */
static void
good(const char *name, const char *in, size_t len, int flags, int eof,
    int status, const char *body, int keep_alive, size_t leftover)
{
	struct rec w;

	ok(all_splits(in, len, flags, 0, eof, &w), "%s: every split agrees",
	    name);
	if (!ok(w.result == 0 && w.status == status &&
	    w.bodylen == strlen(body) && memcmp(w.body, body, w.bodylen) == 0 &&
	    w.keep_alive == keep_alive && w.leftover == leftover,
	    "%s: status %d, body, keep-alive %d, %zu left over", name, status,
	    keep_alive, leftover))
		diag("got result %d status %d body %zu \"%.*s\" ka %d left %zu",
		    w.result, w.status, w.bodylen, (int)w.bodylen, w.body,
		    w.keep_alive, w.leftover);
}

/* A response that must fail with err, every way it is cut. */
static void
bad(const char *name, const char *in, size_t len, int eof, int err)
{
	struct rec w;

	ok(all_splits(in, len, 0, 0, eof, &w), "%s: every split agrees", name);
	if (!ok(w.result == err, "%s: %s", name, ahttp_strerror(err)))
		diag("got %d (%s)", w.result, w.result < 0 ?
		    ahttp_strerror(w.result) : "no error");
}

static void
test_good(void)
{
	struct rec w;

	good("Content-Length", S("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
	    "Content-Type: text/plain\r\n\r\nhello"), 0, 0, 200, "hello", 1, 0);
	good("chunked, extensions, trailers", S("HTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"
	    "5;name=value;q=\"x y\"\r\nhello\r\n"
	    "006 ; ext\r\n world\r\n"
	    "A\r\n0123456789\r\n"
	    "0;last\r\nX-Trailer: yes\r\nChecksum: abc\r\n\r\n"),
	    0, 0, 200, "hello world0123456789", 1, 0);
	good("close-delimited HTTP/1.0", S("HTTP/1.0 200 OK\r\nServer: x\r\n"
	    "\r\nbody until close\r\n\r\n"), 0, 1, 200,
	    "body until close\r\n\r\n", 0, 0);
	good("204 then the next response", S("HTTP/1.1 204 No Content\r\n\r\n"
	    "HTTP/1.1 200 OK\r\n\r\n"), 0, 0, 204, "", 1, 19);
	good("304 ignores Content-Length", S("HTTP/1.1 304 Not Modified\r\n"
	    "Content-Length: 10\r\n\r\n"), 0, 0, 304, "", 1, 0);
	good("HEAD ignores Content-Length", S("HTTP/1.1 200 OK\r\n"
	    "Content-Length: 100\r\n\r\nXYZ"), AHTTP_PARSE_HEAD, 0, 200, "", 1,
	    3);
	good("1xx interim responses", S("HTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"),
	    0, 0, 200, "hi", 1, 0);
	good("bare LF line ends", S("HTTP/1.1 200 OK\nContent-Length: 3\n\n"
	    "abc"), 0, 0, 200, "abc", 1, 0);
	good("stray line breaks before the status line", S("\r\n\n\r\n"
	    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), 0, 0, 200, "", 1,
	    0);
	good("repeated equal Content-Length", S("HTTP/1.1 200 OK\r\n"
	    "Content-Length: 3\r\nContent-Length: 3, 3\r\n\r\nabcd"),
	    0, 0, 200, "abc", 1, 1);
	good("HTTP/1.0 keep-alive", S("HTTP/1.0 200 OK\r\nConnection: "
	    "Keep-Alive\r\nContent-Length: 1\r\n\r\nx"), 0, 0, 200, "x", 1, 0);
	good("Connection: close", S("HTTP/1.1 200 OK\r\nConnection: foo, "
	    "close\r\nContent-Length: 1\r\n\r\nx"), 0, 0, 200, "x", 0, 0);
	good("chunked beats Content-Length, no reuse", S("HTTP/1.1 200 OK\r\n"
	    "Content-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "1\r\nx\r\n0\r\n\r\n"), 0, 0, 200, "x", 0, 0);
	good("no reason phrase", S("HTTP/1.1 404\r\nContent-Length: 0\r\n"
	    "\r\n"), 0, 0, 404, "", 1, 0);
	good("upper-case hex, leading zeros, bare LF chunks", S("HTTP/1.1 "
	    "200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n000A\n0123456789\n"
	    "0\n\n"), 0, 0, 200, "0123456789", 1, 0);
	good("Content-Length 0", S("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
	    "\r\nHTTP"), 0, 0, 200, "", 1, 4);
	/* Transfer-Encoding: identity is skipped, as curl skips it. */
	good("identity: the stream's end, not Content-Length, ends it",
	    S("HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n"
	    "Content-Length: 6\r\n\r\nhello\nEXTRA"), 0, 1, 200,
	    "hello\nEXTRA", 0, 0);
	good("identity, chunked", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	    "Identity, chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"), 0, 0, 200,
	    "hi", 1, 0);
	good("chunked, identity", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	    "chunked\r\nTransfer-Encoding: identity\r\n\r\n2\r\nhi\r\n"
	    "0\r\n\r\n"), 0, 0, 200, "hi", 1, 0);

	/* Field lookup, with an obs-fold joined into one value. */
	want_field = "x-long";
	all_splits(S("HTTP/1.1 200 OK\r\nX-Long: a\r\n\tb\r\nContent-Length: "
	    "0\r\n\r\n"), 0, 0, 0, &w);
	is_str(w.field, "a   b", "obs-fold joined with spaces");
	want_field = "content-type";
	all_splits(S("HTTP/1.1 200 OK\r\ncontent-TYPE:   text/html  \r\n"
	    "Content-Length: 0\r\n\r\n"), 0, 0, 0, &w);
	is_str(w.field, "text/html", "field found in any case, OWS trimmed");
	want_field = NULL;

	/* Several fields are one list; a small buffer cuts it. */
	{
		static const char in[] = "HTTP/1.1 200 OK\r\n"
		    "Content-Encoding: gzip\r\nX: y\r\ncontent-encoding:\r\n"
		    "CONTENT-ENCODING:  deflate , br \r\n\r\n";
		struct ahttp_parser p;
		char buf[32];

		ahttp_parser_init(&p, 0, NULL, NULL);
		ahttp_parser_feed(&p, in, sizeof(in) - 1);
		ok(ahttp_get_list(&p, "content-encoding", buf, sizeof(buf)) ==
		    18 && strcmp(buf, "gzip, deflate , br") == 0,
		    "fields joined into one list, empty ones skipped");
		ok(ahttp_get_list(&p, "content-encoding", buf, 8) == 18 &&
		    strcmp(buf, "gzip, d") == 0, "a cut list says so");
		ok(ahttp_get_list(&p, "x-none", buf, sizeof(buf)) == 0 &&
		    buf[0] == '\0', "no field: empty");
		ahttp_parser_free(&p);
	}

	all_splits(S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3\r\nabc\r\n0\r\nA: 1\r\n\r\n"), 0, 0, 0, &w);
	is_mem(w.trailers, w.trailerlen, "A: 1\r\n\r\n", 8,
	    "trailer section handed over as received");
	is_int(w.nheaders, 1, "trailers are not a header block");
	all_splits(S("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
	    "Content-Length: 0\r\n\r\n"), 0, 0, 0, &w);
	is_int(w.nheaders, 2, "interim block reported on its own");
}

static void
test_incomplete(void)
{
	struct rec w;

	all_splits(S("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"), 0,
	    0, 0, &w);
	ok(w.result == 1 && w.bodylen == 3, "short body without EOF: waits");
	all_splits(S("HTTP/1.0 200 OK\r\n\r\nabc"), 0, 0, 0, &w);
	ok(w.result == 1 && w.body_kind == AHTTP_BODY_CLOSE,
	    "close-delimited body without EOF: waits");
	ok(all_splits(S("HTTP/1.1 200 OK\r\nContent-Length: "
	    "9223372036854775807\r\n\r\nab"), 0, 0, 0, &w) &&
	    w.result == 1 && w.bodylen == 2, "largest Content-Length accepted");
}

#define OK200	"HTTP/1.1 200 OK\r\n"
#define CHUNKED	OK200 "Transfer-Encoding: chunked\r\n\r\n"

/* Responses that must fail, with the error and whether EOF follows. */
static const struct bad_case {
	const char	*name;
	const char	*in;
	size_t		 len;
	int		 eof;
	int		 err;
} bad_cases[] = {
	{ "garbage status line", S("garbage\r\n\r\n"), 0, AHTTP_E_STATUS },
	{ "garbage, no line end yet", S("HELLO"), 0, AHTTP_E_STATUS },
	{ "HTTP/0.9 body", S("<html>"), 0, AHTTP_E_STATUS },
	{ "HTTP/2", S("HTTP/2 200 OK\r\n\r\n"), 0, AHTTP_E_VERSION },
	{ "HTTP/2.0", S("HTTP/2.0 200 OK\r\n"), 0, AHTTP_E_VERSION },
	{ "two-digit status", S("HTTP/1.1 20 OK\r\n"), 0, AHTTP_E_STATUS },
	{ "four-digit status", S("HTTP/1.1 2000 OK\r\n"), 0, AHTTP_E_STATUS },
	{ "status below 100", S("HTTP/1.1 099 x\r\n"), 0, AHTTP_E_STATUS },
	{ "control byte in reason",
	    S("HTTP/1.1 200 O\001K\r\n"), 0, AHTTP_E_STATUS },
	{ "bare CR in status line",
	    S("HTTP/1.1 200 O\rK\r\n"), 0, AHTTP_E_STATUS },
	{ "unasked-for 101",
	    S("HTTP/1.1 101 Switching Protocols\r\n\r\n"), 0, AHTTP_E_SWITCH },
	{ "space in field name",
	    S(OK200 "Bad Name: x\r\n\r\n"), 0, AHTTP_E_HEADER },
	{ "space before colon",
	    S(OK200 "Content-Length : 5\r\n\r\nhello"), 0, AHTTP_E_HEADER },
	{ "no colon", S(OK200 "NoColon\r\n\r\n"), 0, AHTTP_E_HEADER },
	{ "empty field name", S(OK200 ": x\r\n\r\n"), 0, AHTTP_E_HEADER },
	{ "NUL in value", S(OK200 "X: a\0b\r\n\r\n"), 0, AHTTP_E_HEADER },
	{ "bare CR in value", S(OK200 "X: a\rb\r\n\r\n"), 0, AHTTP_E_HEADER },
	{ "fold with nothing to continue",
	    S(OK200 " x\r\n\r\n"), 0, AHTTP_E_HEADER },
	{ "negative Content-Length",
	    S(OK200 "Content-Length: -1\r\n\r\n"), 0, AHTTP_E_CLEN },
	{ "signed Content-Length",
	    S(OK200 "Content-Length: +5\r\n\r\n"), 0, AHTTP_E_CLEN },
	{ "non-numeric Content-Length",
	    S(OK200 "Content-Length: 5x\r\n\r\n"), 0, AHTTP_E_CLEN },
	{ "empty Content-Length",
	    S(OK200 "Content-Length:\r\n\r\n"), 0, AHTTP_E_CLEN },
	{ "Content-Length with inner space",
	    S(OK200 "Content-Length: 1 2\r\n\r\n"), 0, AHTTP_E_CLEN },
	{ "Content-Length over 2^63-1",
	    S(OK200 "Content-Length: 9223372036854775808\r\n\r\n"),
	    0, AHTTP_E_CLEN },
	{ "Content-Length of 20 digits",
	    S(OK200 "Content-Length: 99999999999999999999\r\n\r\n"),
	    0, AHTTP_E_CLEN },
	{ "Content-Length list disagrees",
	    S(OK200 "Content-Length: 5, 6\r\n\r\n"), 0, AHTTP_E_CLEN_DUP },
	{ "Content-Length fields disagree",
	    S(OK200 "Content-Length: 5\r\nContent-Length: 6\r\n\r\n"),
	    0, AHTTP_E_CLEN_DUP },
	{ "gzip transfer coding",
	    S(OK200 "Transfer-Encoding: gzip, chunked\r\n\r\n"), 0,
	    AHTTP_E_TE },
	{ "chunked not last",
	    S(OK200 "Transfer-Encoding: chunked, gzip\r\n\r\n"), 0,
	    AHTTP_E_TE },
	{ "chunked twice",
	    S(OK200 "Transfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"), 0, AHTTP_E_TE },
	{ "empty Transfer-Encoding",
	    S(OK200 "Transfer-Encoding: \r\n\r\n"), 0, AHTTP_E_TE },
	{ "chunk size not hex", S(CHUNKED "zz\r\n"), 0, AHTTP_E_CHUNK },
	{ "empty chunk size", S(CHUNKED "\r\n"), 0, AHTTP_E_CHUNK },
	{ "negative chunk size", S(CHUNKED "-1\r\n"), 0, AHTTP_E_CHUNK },
	{ "0x prefix", S(CHUNKED "0x5\r\n"), 0, AHTTP_E_CHUNK },
	{ "junk after chunk size", S(CHUNKED "5 x\r\n"), 0, AHTTP_E_CHUNK },
	{ "control byte in extension",
	    S(CHUNKED "5;a\001\r\n"), 0, AHTTP_E_CHUNK },
	{ "CR without LF in size line", S(CHUNKED "5\rX"), 0, AHTTP_E_CHUNK },
	{ "chunk size 2^64",
	    S(CHUNKED "10000000000000000\r\n"), 0, AHTTP_E_CHUNK_SIZE },
	{ "chunk size 2^63",
	    S(CHUNKED "8000000000000000\r\n"), 0, AHTTP_E_CHUNK_SIZE },
	{ "chunk longer than its size",
	    S(CHUNKED "5\r\nhelloX\r\n"), 0, AHTTP_E_CHUNK_END },
	{ "CR then junk after chunk",
	    S(CHUNKED "5\r\nhello\rX"), 0, AHTTP_E_CHUNK_END },
	{ "malformed trailer",
	    S(CHUNKED "0\r\nbad trailer\r\n\r\n"), 0, AHTTP_E_TRAILER },
	{ "EOF before anything", S(""), 1, AHTTP_E_EMPTY },
	{ "EOF after stray line breaks", S("\r\n"), 1, AHTTP_E_TRUNC },
	{ "EOF inside headers", S(OK200 "Content-"), 1, AHTTP_E_TRUNC },
	{ "EOF after an interim response",
	    S("HTTP/1.1 100 Continue\r\n\r\n"), 1, AHTTP_E_TRUNC },
	{ "EOF short of Content-Length",
	    S(OK200 "Content-Length: 10\r\n\r\nhello"), 1, AHTTP_E_SHORT },
	{ "EOF inside a chunk", S(CHUNKED "5\r\nhel"), 1, AHTTP_E_SHORT },
	{ "EOF before the last chunk",
	    S(CHUNKED "5\r\nhello\r\n"), 1, AHTTP_E_SHORT },
	{ "EOF inside trailers", S(CHUNKED "0\r\nA: b\r\n"), 1, AHTTP_E_SHORT },
	{ "huge chunk cut short",
	    S(CHUNKED "7fffffffffffffff\r\nabc"), 1, AHTTP_E_SHORT },
};

static void
test_bad(void)
{
	char *big;
	size_t n, i;
	struct rec w;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		bad(bad_cases[i].name, bad_cases[i].in, bad_cases[i].len,
		    bad_cases[i].eof, bad_cases[i].err);

	/* Endless headers stop at the limit, not at the memory's end. */
	n = 200000;
	if ((big = malloc(n)) == NULL)
		abort();
	memcpy(big, "HTTP/1.1 200 OK\r\n", 17);
	for (i = 17; i < n; i += 8)
		memcpy(big + i, "X: yyy\r\n", n - i < 8 ? n - i : 8);
	parse(big, n, NULL, 0, 0, 0, 0, &w);
	is_int(w.result, AHTTP_E_TOOBIG, "endless headers: over the limit");
	free(big);
	parse(S("\r\n\r\n\r\n\r\n"), NULL, 0, 0, 6, 0, &w);
	is_int(w.result, AHTTP_E_TOOBIG, "endless empty lines: over the limit");

	/* The limit is exact: a block of max bytes fits, one more does not. */
	{
		static const char fits[] =
		    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
		size_t len = sizeof(fits) - 1;

		ok(all_splits(fits, len, 0, len, 0, &w) && w.result == 0,
		    "block of exactly the limit parses");
		ok(all_splits(fits, len, 0, len - 1, 0, &w) &&
		    w.result == AHTTP_E_TOOBIG,
		    "one byte over the limit fails");
	}
}

static void
test_api(void)
{
	struct ahttp_parser p;
	struct rec r;
	int e, distinct = 1;

	abort_at_body = 1;
	parse(S("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nab"), NULL, 0, 0,
	    0, 0, &r);
	is_int(r.result, AHTTP_E_ABORT, "callback stops the parser");
	abort_at_body = 0;

	ahttp_parser_init(&p, 0, NULL, NULL);
	ok(ahttp_parser_idle(&p), "fresh parser is idle");
	ok(ahttp_parser_feed(&p,
	    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", 39) == 39 && ahttp_parser_done(&p), "no callbacks needed");
	ok(!ahttp_parser_idle(&p), "not idle after a response");
	ok(ahttp_parser_feed(&p, "more", 4) == 0,
	    "nothing more taken once done");
	ahttp_parser_reset(&p, 0);
	ok(ahttp_parser_feed(&p, "HTTX", 4) == AHTTP_E_STATUS &&
	    ahttp_parser_feed(&p, "anything", 8) == AHTTP_E_STATUS &&
	    ahttp_parser_eof(&p) == AHTTP_E_STATUS, "errors are sticky");
	ahttp_parser_reset(&p, 0);
	ok(ahttp_parser_feed(&p, "HTTP/1.1 200 OK\r\n\r\n", 19) == 19 &&
	    p.body_kind == AHTTP_BODY_CLOSE && !p.keep_alive,
	    "reset parser parses again");
	ahttp_parser_free(&p);

	for (e = -1; e >= AHTTP_E_LAST; e--)
		if (strcmp(ahttp_strerror(e), "unknown error") == 0)
			distinct = 0;
	ok(distinct && strcmp(ahttp_strerror(1), "unknown error") == 0,
	    "every error has its text");
}

int
main(void)
{
	test_good();
	test_incomplete();
	test_bad();
	test_api();
	tap_plan_done();
	return tap_exit();
}
