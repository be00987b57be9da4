/*
 * ahttp-internal.h: what parse.c and field.c share inside libahttp; not
 * for the library's users.
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

#endif /* ACORE_AHTTP_INTERNAL_H */
