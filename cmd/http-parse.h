/*
 * http-parse.h: an incremental HTTP/1.x response parser.
 *
 * Bytes go in as they arrive, split anywhere; the parser never needs them
 * again after http_parser_feed() returns.  The header block (status line and
 * fields, then any trailer section) is kept in one buffer that grows by
 * doubling up to a limit, so a peer that never ends its headers costs at
 * most that limit.  Body bytes are handed to the caller in place, never
 * copied.  Errors are sticky negative HTTP_E_* values.
 */
#ifndef ACORE_HTTP_PARSE_H
#define ACORE_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HTTP_MAX_HEADER		(64 * 1024)

enum http_error {
	HTTP_E_STATUS = -1,	/* malformed status line */
	HTTP_E_VERSION = -2,	/* not HTTP/1.x */
	HTTP_E_HEADER = -3,	/* malformed header field */
	HTTP_E_TOOBIG = -4,	/* headers (+ trailers) over the limit */
	HTTP_E_CLEN = -5,	/* invalid Content-Length */
	HTTP_E_CLEN_DUP = -6,	/* Content-Length values disagree */
	HTTP_E_TE = -7,		/* Transfer-Encoding we cannot decode */
	HTTP_E_CHUNK = -8,	/* malformed chunk size line */
	HTTP_E_CHUNK_SIZE = -9,	/* chunk size overflows */
	HTTP_E_CHUNK_END = -10,	/* chunk data not followed by CRLF */
	HTTP_E_TRAILER = -11,	/* malformed trailer field */
	HTTP_E_EMPTY = -12,	/* stream ended before any response byte */
	HTTP_E_TRUNC = -13,	/* stream ended inside the header block */
	HTTP_E_SHORT = -14,	/* stream ended inside the body */
	HTTP_E_ABORT = -15,	/* a callback asked to stop */
	HTTP_E_NOMEM = -16
};
#define HTTP_E_LAST	HTTP_E_NOMEM

/* http_parser_reset() flags */
#define HTTP_PARSE_HEAD		0x01	/* answers HEAD: no body */

enum http_body_kind {
	HTTP_BODY_NONE,		/* 1xx, 204, 304, HEAD */
	HTTP_BODY_LENGTH,	/* Content-Length */
	HTTP_BODY_CHUNKED,
	HTTP_BODY_CLOSE		/* delimited by the end of the stream */
};

struct http_parser;

/*
 * The callbacks.  Any may be NULL.  A non-zero return stops the parser
 * with HTTP_E_ABORT.  headers() runs once per header block, interim 1xx
 * blocks included (p->status tells which); block/len is the block as
 * received (obs-fold line breaks turned into spaces).  trailers() gets the
 * trailer section of a chunked body, empty line included.
 */
struct http_parser_cb {
	int	(*headers)(struct http_parser *p, const char *block,
		    size_t len, void *arg);
	int	(*body)(struct http_parser *p, const char *data, size_t len,
		    void *arg);
	int	(*trailers)(struct http_parser *p, const char *block,
		    size_t len, void *arg);
};

struct http_parser {
	/* results, valid from the headers() callback on */
	int		 status;	/* 100..999 */
	int		 minor;		/* HTTP/1.minor */
	int		 keep_alive;	/* another response may follow */
	enum http_body_kind body_kind;
	int64_t		 content_length; /* -1: none */
	uint64_t	 body_bytes;	/* decoded body bytes so far */
	uint64_t	 wire_bytes;	/* bytes of this response */
	size_t		 reason_off;	/* in the header block */
	size_t		 reason_len;
	size_t		 hdr_len;	/* headers: buf[0, hdr_len) */

	/* private */
	const struct http_parser_cb *cb;
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

/* max: header block limit (0: HTTP_MAX_HEADER). */
void	 http_parser_init(struct http_parser *p, size_t max,
	    const struct http_parser_cb *cb, void *arg);
/* Ready for the next response on the same stream; keeps the buffer. */
void	 http_parser_reset(struct http_parser *p, int flags);
void	 http_parser_free(struct http_parser *p);

/*
 * Feed len bytes.  Returns the bytes consumed, which is less than len only
 * once the response is complete (the rest belongs to whatever follows it),
 * or a negative HTTP_E_* error.
 */
ssize_t	 http_parser_feed(struct http_parser *p, const void *buf,
	    size_t len);
/*
 * The stream has ended.  0 when that completes the response (a close-
 * delimited body, or one already complete), else HTTP_E_EMPTY, _TRUNC or
 * _SHORT.
 */
int	 http_parser_eof(struct http_parser *p);
int	 http_parser_done(const struct http_parser *p);
/* Still before the first byte of the status line. */
int	 http_parser_idle(const struct http_parser *p);

/* One field of the last header block; values exclude surrounding OWS. */
struct http_field {
	const char	*name;
	size_t		 namelen;
	const char	*value;
	size_t		 valuelen;
};
/* Iterate the fields: *pos starts at 0; returns 0 after the last one. */
int	 http_next_field(const struct http_parser *p, size_t *pos,
	    struct http_field *f);
/* First field called name (any case), or NULL. */
const char *http_get_field(const struct http_parser *p, const char *name,
	    size_t *len);

/* The reason phrase of the last status line (not NUL-terminated). */
const char *http_reason(const struct http_parser *p, size_t *len);

const char *http_strerror(int err);

/* ---------------------- shared by http-parse.c and http-field.c only */

#define HTTP__IS_DIGIT(c)	((c) >= '0' && (c) <= '9')
/* Field-value and reason-phrase bytes: HTAB, SP, VCHAR, obs-text. */
#define HTTP__IS_TEXT(c)	((c) == '\t' || ((c) >= 0x20 && (c) != 0x7f))

/* What the fields of one header block say about framing. */
struct http__framing {
	int64_t	 clen;		/* -1: none */
	int	 chunked;
	int	 conn_close;
	int	 conn_keep;
};

/*
 * Check the fields of buf[start, end), joining folded lines in place;
 * seen (NULL for trailers) collects the framing fields.  0, or bad for a
 * malformed line, or a framing error (HTTP_E_CLEN, ...).
 */
int	 http__check_fields(struct http_parser *p, size_t start, size_t end,
	    struct http__framing *seen, int bad);

#endif /* ACORE_HTTP_PARSE_H */
