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
 *  cookie.c	Set-Cookie and the cookie jar (RFC 6265)
 *  cookie-file.c the Netscape/curl cookie file, -b 'name=value' strings
 *  netrc.c	.netrc files
 *  digest.c	WWW-Authenticate challenges, Digest (RFC 7616), Basic
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
 * The same lookups over any walk of a header block (an HTTP/2 head has
 * no parser): next(src, &pos, &f) as ahttp_next_field, pos from 0.
 */
typedef int (*ahttp_next_fn)(const void *src, size_t *pos,
	    struct ahttp_field *f);
const char *ahttp_find_field(ahttp_next_fn next, const void *src,
	    const char *name, size_t *len);
size_t	 ahttp_find_list(ahttp_next_fn next, const void *src,
	    const char *name, char *buf, size_t size);
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
	char	*user;		/* userinfo, percent-decoded; NULL: none */
	char	*password;	/* NULL: no ":" in the userinfo */
	char	*host;		/* without IPv6 brackets; "fe80::1%eth0" */
	char	*port;		/* decimal text, "80" by default */
	char	*authority;	/* Host: host[:port], brackets kept */
	char	*target;	/* path[?query], at least "/", dots removed */
	char	*absolute;	/* the URL without fragment and userinfo */
	int	 tls;		/* https:// */
};

/*
 * 0; -EINVAL for a URL we cannot fetch, with *why saying why in a few
 * words; or -ENOMEM.  What either means to a user is the caller's call.
 */
int	 ahttp_url_parse(const char *s, struct ahttp_url *u, const char **why);
/*
 * flags AHTTP_URL_USERINFO: take "user:password@" in the authority (into
 * u->user, u->password) instead of refusing it.
 */
#define AHTTP_URL_USERINFO	0x01
int	 ahttp_url_parse_flags(const char *s, struct ahttp_url *u, int flags,
	    const char **why);
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

/* ------------------------------------------------------ cookies (RFC 6265) */

/*
 * One cookie.  domain is lower case without a leading dot; host_only: sent
 * to that host alone, else to it and its subdomains.  expires is in
 * seconds since the epoch, 0 for a session cookie.
 */
struct ahttp_cookie {
	char		*name;
	char		*value;
	char		*domain;
	char		*path;
	int64_t		 expires;
	uint64_t	 created;	/* order of creation, for the header */
	unsigned	 host_only:1, secure:1, http_only:1;
};

/* Limits for cookies a server sets (RFC 6265 6.1's minimums). */
#define AHTTP_COOKIE_MAX_SIZE	4096	/* name + value */
#define AHTTP_COOKIE_MAX_ATTR	1024	/* an attribute value */
#define AHTTP_JAR_MAX_DOMAIN	50	/* per domain: the oldest goes */
#define AHTTP_JAR_MAX		3000	/* in all: the oldest goes */

struct ahttp_jar;
struct ahttp_jar *ahttp_jar_new(void);
void	 ahttp_jar_free(struct ahttp_jar *);
/* The cookies, in order of creation; NULL past the end. */
const struct ahttp_cookie *ahttp_jar_get(const struct ahttp_jar *, size_t i);

/*
 * A Set-Cookie field value received from host for target (path[?query]),
 * at time now; secure: the request went over a secure channel.  0: the
 * cookie was stored, replaced or (expired) removed; 1: it was ignored as
 * RFC 6265 says, *why (if why is not NULL) saying why; -ENOMEM.
 */
int	 ahttp_jar_set(struct ahttp_jar *, const char *v, size_t len,
	    const char *host, const char *target, int secure, int64_t now,
	    const char **why);
/*
 * The Cookie header value for a request to host and target, at now:
 * the matching cookies, longer paths first, then older ones, then (when
 * given is set) the pairs of ahttp_jar_given().  *out is NULL when there
 * is none.  0 or -ENOMEM.
 */
int	 ahttp_jar_header(const struct ahttp_jar *, const char *host,
	    const char *target, int secure, int given, int64_t now,
	    char **out);

/*
 * -b 'name=value; name2=value2': cookies the user gives, sent as typed
 * (as curl does) with the requests ahttp_jar_header's given says, and
 * never saved; several are joined with "; ".  0, -EINVAL with *why (a
 * control byte, a piece without name=), or -ENOMEM.
 */
int	 ahttp_jar_given(struct ahttp_jar *, const char *s, const char **why);
/*
 * A Netscape/curl cookie file's text (tab-separated, #HttpOnly_ prefix):
 * cookies already expired at now are left out, and so are lines that do
 * not parse (counted in *bad when bad is not NULL).  0 or -ENOMEM.
 */
int	 ahttp_jar_load(struct ahttp_jar *, const char *text, size_t len,
	    int64_t now, size_t *bad);
/* The jar in that format, cookies expired at now left out. */
int	 ahttp_jar_save(const struct ahttp_jar *, int64_t now,
	    ahttp_sink *sink, void *arg);

/*
 * An RFC 6265 5.1.1 cookie-date ("Sun, 06 Nov 1994 08:49:37 GMT" and
 * the looser forms servers send): 0 with *t, or -EINVAL.
 */
int	 ahttp_cookie_date(const char *s, size_t len, int64_t *t);

/* ---------------------------------------------------------------- netrc */

/*
 * Look host up in a .netrc file's text: the first "machine" entry for it
 * (any case), else "default".  With login set, only an entry with that
 * login counts.  macdef bodies and account values are skipped; tokens may
 * be double-quoted with \" \\ \n \r \t escapes, as curl reads them.
 * 0 with *loginp and *passwordp (malloc'd, either NULL when the entry has
 * none); 1 when no entry matches; -EINVAL for a quoted token that does
 * not end (*line its line); -ENOMEM.
 */
int	 ahttp_netrc_find(const char *text, size_t len, const char *host,
	    const char *login, char **loginp, char **passwordp,
	    size_t *line);

/* ------------------------------------------- authentication (RFC 7616) */

enum ahttp_digest_algo {
	AHTTP_DIGEST_MD5,
	AHTTP_DIGEST_SHA256,
	AHTTP_DIGEST_SHA512_256
};

/* A Digest challenge: the parameters a response needs. */
struct ahttp_digest {
	char		*realm;
	char		*nonce;
	char		*opaque;	/* NULL: none */
	enum ahttp_digest_algo algo;
	int		 sess;		/* -sess algorithm */
	int		 qop_auth;	/* qop offers "auth" */
	int		 qop_auth_int;	/* qop offers "auth-int" */
	int		 qop;		/* a qop parameter at all */
	int		 stale;		/* stale=true: the nonce alone was bad */
	int		 userhash;	/* userhash=true */
	int		 utf8;		/* charset=UTF-8 */
	int		 algo_given;	/* an algorithm parameter was there */
	uint32_t	 nc;		/* requests made with this nonce */
};

/*
 * The challenges of a WWW-Authenticate (or Proxy-Authenticate) field
 * value, which lists one or more (RFC 9110 11.6.1).  Returns a bit set of
 * the schemes found, AHTTP_AUTH_BASIC and AHTTP_AUTH_DIGEST, or -EINVAL
 * when the value does not parse (d is then left as it was), or -ENOMEM.  When d is not NULL it gets
 * the best Digest challenge we can answer (SHA-512-256, then SHA-256,
 * then MD5; unknown algorithms skipped); free it with
 * ahttp_digest_free().  Call again for each field of the response, with
 * the same d: a stronger challenge replaces the one held.
 */
#define AHTTP_AUTH_BASIC	0x01
#define AHTTP_AUTH_DIGEST	0x02	/* one we can answer */
int	 ahttp_auth_parse(const char *v, size_t len, struct ahttp_digest *d);
void	 ahttp_digest_free(struct ahttp_digest *);

/*
 * The Authorization value ("Digest username=...") for a request of method
 * to uri (the request target), with the next nonce count; cnonce is the
 * client nonce (random, as printable ASCII without quotes).  body/blen is
 * the request body, needed only when the server offers auth-int alone
 * (NULL then: -ENOTSUP).  *out malloc'd.  0, -ENOTSUP or -ENOMEM.
 */
int	 ahttp_digest_response(struct ahttp_digest *d, const char *user,
	    const char *password, const char *method, const char *uri,
	    const char *cnonce, const void *body, size_t blen, char **out);

/* "Basic " and base64 of user:password; NULL when out of memory. */
char	*ahttp_basic(const char *user, const char *password);

#endif /* ACORE_AHTTP_H */
