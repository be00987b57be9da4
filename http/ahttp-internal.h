/*
 * ahttp-internal.h: what the files of libahttp share (parse.c and
 * field.c, cookie.c and cookie-file.c); not for the library's users.
 */
#ifndef ACORE_AHTTP_INTERNAL_H
#define ACORE_AHTTP_INTERNAL_H

#include "ahttp.h"

#define AHTTP__IS_DIGIT(c)	((c) >= '0' && (c) <= '9')
/* Field-value and reason-phrase bytes: HTAB, SP, VCHAR, obs-text. */
#define AHTTP__IS_TEXT(c)	((c) == '\t' || ((c) >= 0x20 && (c) != 0x7f))

/* What the fields of one header block say about framing. */
struct ahttp__framing {
	int64_t	 clen;		/* -1: none */
	int	 chunked;
	int	 te;		/* a Transfer-Encoding field */
	int	 conn_close;
	int	 conn_keep;
};

/*
 * Check the fields of buf[start, end), joining folded lines in place;
 * seen (NULL for trailers) collects the framing fields.  0, or bad for a
 * malformed line, or a framing error (AHTTP_E_CLEN, ...).
 */
int	 ahttp__check_fields(struct ahttp_parser *p, size_t start, size_t end,
	    struct ahttp__framing *seen, int bad);

/* The cookie jar (cookie.c, cookie-file.c). */
struct ahttp_jar {
	struct ahttp_cookie **c;	/* in order of creation */
	size_t		 n, cap;
	uint64_t	 seq;		/* the last creation number */
	char		*given;		/* -b pairs, "a=b; c=d" */
};
void	 ahttp__cookie_free(struct ahttp_cookie *);
int	 ahttp__jar_put(struct ahttp_jar *, struct ahttp_cookie *, int64_t);
int	 ahttp__is_ip(const char *);
int	 ahttp__domain_match(const char *host, const char *domain);

#endif /* ACORE_AHTTP_INTERNAL_H */
