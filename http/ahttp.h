/*
 * ahttp.h: libahttp, acore's HTTP/1.x protocol code (a noinst convenience
 * library linked into the acore command, the C tests and the fuzzers).
 * It knows the wire format only: no sockets, no event loop, no options,
 * no exit codes.  Names are ahttp_ (not http_parser_, which is nodejs's
 * public http-parser).
 *
 *  parse.c	the response parser (status line, framing, chunked bodies)
 *  field.c	header fields: iteration, lookup, framing fields
 *  url.c	URL parsing, relative references, -O names
 *  decode.c	Content-Encoding gzip / deflate, stacked
 *
 * The parser is incremental.
 * Bytes go in as they arrive, split anywhere; the parser never needs them
 * again after ahttp_parser_feed() returns.  The header block (status line and
 * fields, then any trailer section) is kept in one buffer that grows by
 * doubling up to a limit, so a peer that never ends its headers costs at
 * most that limit.  Body bytes are handed to the caller in place, never
 * copied.  Errors are sticky negative AHTTP_E_* values.
 */
#ifndef ACORE_AHTTP_H
#define ACORE_AHTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define AHTTP_MAX_HEADER		(64 * 1024)

enum ahttp_error {
	AHTTP_E_STATUS = -1,	/* malformed status line */
	AHTTP_E_VERSION = -2,	/* not HTTP/1.x */
	AHTTP_E_HEADER = -3,	/* malformed header field */
	AHTTP_E_TOOBIG = -4,	/* headers (+ trailers) over the limit */
	AHTTP_E_CLEN = -5,	/* invalid Content-Length */
	AHTTP_E_CLEN_DUP = -6,	/* Content-Length values disagree */
	AHTTP_E_TE = -7,		/* Transfer-Encoding we cannot decode */
	AHTTP_E_CHUNK = -8,	/* malformed chunk size line */
	AHTTP_E_CHUNK_SIZE = -9,	/* chunk size overflows */
	AHTTP_E_CHUNK_END = -10,	/* chunk data not followed by CRLF */
	AHTTP_E_TRAILER = -11,	/* malformed trailer field */
	AHTTP_E_EMPTY = -12,	/* stream ended before any response byte */
	AHTTP_E_TRUNC = -13,	/* stream ended inside the header block */
	AHTTP_E_SHORT = -14,	/* stream ended inside the body */
	AHTTP_E_ABORT = -15,	/* a callback asked to stop */
	AHTTP_E_NOMEM = -16,
	AHTTP_E_SWITCH = -17	/* 101: a protocol switch nobody asked for */
};
#define AHTTP_E_LAST	AHTTP_E_SWITCH

/* ahttp_parser_reset() flags */
#define AHTTP_PARSE_HEAD		0x01	/* answers HEAD: no body */

enum ahttp_body_kind {
	AHTTP_BODY_NONE,		/* 1xx, 204, 304, HEAD */
	AHTTP_BODY_LENGTH,	/* Content-Length */
	AHTTP_BODY_CHUNKED,
	AHTTP_BODY_CLOSE		/* delimited by the end of the stream */
};

struct ahttp_parser;

/*
 * The callbacks.  Any may be NULL.  A non-zero return stops the parser
 * with AHTTP_E_ABORT.  headers() runs once per header block, interim 1xx
 * blocks included (p->status tells which); block/len is the block as
 * received (obs-fold line breaks turned into spaces).  trailers() gets the
 * trailer section of a chunked body, empty line included.
 */
struct ahttp_parser_cb {
	int	(*headers)(struct ahttp_parser *p, const char *block,
		    size_t len, void *arg);
	int	(*body)(struct ahttp_parser *p, const char *data, size_t len,
		    void *arg);
	int	(*trailers)(struct ahttp_parser *p, const char *block,
		    size_t len, void *arg);
};

struct ahttp_parser {
	/* results, valid from the headers() callback on */
	int		 status;	/* 100..999 */
	int		 minor;		/* HTTP/1.minor */
	int		 keep_alive;	/* another response may follow */
	enum ahttp_body_kind body_kind;
	int64_t		 content_length; /* -1: none */
	uint64_t	 body_bytes;	/* decoded body bytes so far */
	uint64_t	 wire_bytes;	/* bytes of this response */
	size_t		 reason_off;	/* in the header block */
	size_t		 reason_len;
	size_t		 hdr_len;	/* headers: buf[0, hdr_len) */

	/* private */
	const struct ahttp_parser_cb *cb;
	void		*arg;
	int		 flags;
	int		 state;
	int		 err;
	size_t		 max;		/* header block limit */
	char		*buf;		/* header block (+ trailers) */
	size_t		 cap;
	size_t		 len;		/* bytes in buf */
	size_t		 blk;		/* start of the block read */
	size_t		 line;		/* start of this line */
	size_t		 skipped;	/* line breaks before it */
	uint64_t	 remain;	/* body or chunk bytes still to come */
	size_t		 chunk_line;	/* length of the size line */
	int		 chunk_digits;
};

/* max: header block limit (0: AHTTP_MAX_HEADER). */
void	 ahttp_parser_init(struct ahttp_parser *p, size_t max,
	    const struct ahttp_parser_cb *cb, void *arg);
/* Ready for the next response on the same stream; keeps the buffer. */
void	 ahttp_parser_reset(struct ahttp_parser *p, int flags);
void	 ahttp_parser_free(struct ahttp_parser *p);

/*
 * Feed len bytes.  Returns the bytes consumed, which is less than len only
 * once the response is complete (the rest belongs to whatever follows it),
 * or a negative AHTTP_E_* error.
 */
ssize_t	 ahttp_parser_feed(struct ahttp_parser *p, const void *buf,
	    size_t len);
/*
 * The stream has ended.  0 when that completes the response (a close-
 * delimited body, or one already complete), else AHTTP_E_EMPTY, _TRUNC or
 * _SHORT.
 */
int	 ahttp_parser_eof(struct ahttp_parser *p);
int	 ahttp_parser_done(const struct ahttp_parser *p);
/* Still before the first byte of the status line. */
int	 ahttp_parser_idle(const struct ahttp_parser *p);

/* One field of the last header block; values exclude surrounding OWS. */
struct ahttp_field {
	const char	*name;
	size_t		 namelen;
	const char	*value;
	size_t		 valuelen;
};
/* Iterate the fields: *pos starts at 0; returns 0 after the last one. */
int	 ahttp_next_field(const struct ahttp_parser *p, size_t *pos,
	    struct ahttp_field *f);
/* First field called name (any case), or NULL. */
const char *ahttp_get_field(const struct ahttp_parser *p, const char *name,
	    size_t *len);
/*
 * Every field called name, joined into one list as RFC 9110 5.3 reads
 * them ("gzip" then "gzip": "gzip, gzip"), into buf (NUL-terminated, cut
 * at size); returns the whole list's length (>= size: it was cut).
 */
size_t	 ahttp_get_list(const struct ahttp_parser *p, const char *name,
	    char *buf, size_t size);

/* The reason phrase of the last status line (not NUL-terminated). */
const char *ahttp_reason(const struct ahttp_parser *p, size_t *len);

const char *ahttp_strerror(int err);

/* ------------------------------------------------------------------ URLs */

struct ahttp_url {
	char	*host;		/* without IPv6 brackets; "fe80::1%eth0" */
	char	*port;		/* decimal text, "80" by default */
	char	*authority;	/* Host: host[:port], brackets kept */
	char	*target;	/* path[?query], at least "/", dots removed */
	char	*absolute;	/* the URL without its fragment */
	int	 tls;		/* https:// */
};

/*
 * 0; -EINVAL for a URL we cannot fetch, with *why saying why in a few
 * words; or -ENOMEM.  What either means to a user is the caller's call.
 */
int	 ahttp_url_parse(const char *s, struct ahttp_url *u, const char **why);
void	 ahttp_url_free(struct ahttp_url *u);
/* ref resolved against base (RFC 3986 5.2); NULL when out of memory. */
char	*ahttp_url_resolve(const char *base, const char *ref);
/* Last path segment, for -O; NULL when there is none. */
char	*ahttp_url_filename(const struct ahttp_url *u);
/* 1 when a and b have the same scheme, host (any case) and port. */
int	 ahttp_url_same_origin(const struct ahttp_url *a,
	    const struct ahttp_url *b);

/* ------------------------------- Content-Encoding gzip / deflate bodies */

#define AHTTP_MAX_CODINGS	5	/* stacked codings, as curl allows */

struct ahttp_decoder;
/*
 * coding is the field's value, a list ("gzip, gzip": undone last first;
 * "identity" elements pass bytes on).  NULL with *err: -ENOMEM,
 * -EPROTONOSUPPORT for a coding we lack, -E2BIG for more than
 * AHTTP_MAX_CODINGS of them.
 */
struct ahttp_decoder *ahttp_decoder_new(const char *coding, size_t len,
	    int *err);
typedef int	 ahttp_sink(void *arg, const void *buf, size_t len);
/* Decode and pass on; 0, a sink's non-zero return, or -EBADMSG. */
int	 ahttp_decode(struct ahttp_decoder *, const void *buf, size_t len,
	    ahttp_sink *sink, void *arg);
/* The body ended: 0 when the coded stream ended cleanly, else -EBADMSG. */
int	 ahttp_decode_end(struct ahttp_decoder *);
void	 ahttp_decoder_free(struct ahttp_decoder *);

#endif /* ACORE_AHTTP_H */
