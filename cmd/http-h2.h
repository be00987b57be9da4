/*
 * http-h2.h: what the two halves of HTTP/2 in http-get share: http-h2.c
 * (the connection: nghttp2's session, submitting, sending, settling the
 * streams' jobs) and http-h2-frames.c (nghttp2's callbacks: a stream's
 * head and body on their way to http-resp.c, resets, GOAWAY, and the -v
 * frame lines).
 */
#ifndef ACORE_HTTP_H2_H
#define ACORE_HTTP_H2_H

#include <sys/queue.h>

#include <nghttp2/nghttp2.h>

#include "http.h"

enum { S_OPEN, S_DONE, S_FAILED, S_REQUEUE };

/* Where a field is in a stream's head text. */
struct h2_field {
	size_t	 name, namelen, value, valuelen;
};

struct h2_stream {
	struct hg_job	*job;
	int32_t		 id;
	int		 state;
	int		 result;	/* S_FAILED: AC_EXIT_* */
	char		 msg[256];
	int		 status;
	int		 headed;	/* the final head went on */
	int		 begun;		/* a HEADERS frame arrived */
	int64_t		 length;	/* the final head's Content-Length, or -1 */
	uint64_t	 got;		/* DATA payload since */
	struct hg_resp	 r;
	char		*text;		/* "HTTP/2 200\r\nname: value\r\n..." */
	size_t		 len, cap;
	struct h2_field	*f;
	size_t		 nf, fcap;
	TAILQ_ENTRY(h2_stream) link;
};
TAILQ_HEAD(h2_streamq, h2_stream);

struct h2 {
	struct hg_conn	*c;
	nghttp2_session	*s;
	struct h2_streamq streams;
	int		 nstreams;
	int		 goaway;	/* the peer's: no new streams */
	int32_t		 last_id;	/* ... the last it processes */
	uint32_t	 goaway_code;
	uint32_t	 sent_code;	/* our GOAWAY's error, or 0 */
	char		 why[128];	/* what nghttp2 found wrong */
	int		 closing;	/* our GOAWAY is out: no new streams */
	char		*out;		/* frames not yet sent */
	size_t		 outlen, outoff, outcap;
};

#define H2(c)	((struct h2 *)(c)->ps)

/* http-h2-frames.c */
void	 h2_callbacks(nghttp2_session_callbacks *cb);
void	 h2_stream_free(struct h2_stream *st);
/* st failed with result ("URL: msg"), unless its fate is known already. */
void	 h2_stream_fail(struct h2_stream *st, int result, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));

#endif /* ACORE_HTTP_H2_H */
