/*
 * http-send.c: an HTTP/1.x request body on its way, after the head: what
 * Expect: 100-continue asks of the client (wait up to HG_EXPECT_SECS for
 * the 100, as curl does, then send anyway), the bytes of hg_body_peek()
 * handed to the channel as it takes them, and the progress meter told.
 * A final response that comes first stops the body where it is: the
 * connection then cannot carry another request.  The body is the job's:
 * it may be gone once the job is off the connection, so nothing here is
 * called then (the connection checks its job first).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "acore.h"
#include "cmd.h"
#include "http.h"

struct hg_send {
	struct hg		*g;
	struct hg_body		*b;
	struct acore_timer	*t;	/* the wait for 100 Continue */
	int			 waiting;
	int			 done;	/* every byte went */
	int			 stopped; /* a final response came first */
};

static void
expect_over(void *arg)
{
	struct hg_send *s = arg;

	s->waiting = 0;
}

struct hg_send *
hg_send_new(struct hg *g, struct hg_body *b, int expect)
{
	struct hg_send *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->g = g;
	s->b = b;
	hg_body_chunked(b);
	if (expect) {
		if ((s->t = acore_timer_new(g->loop, expect_over, s)) ==
		    NULL) {
			free(s);
			return NULL;
		}
		s->waiting = 1;
	}
	return s;
}

/* The head is out: the wait for 100 Continue starts now. */
void
hg_send_head_sent(struct hg_send *s)
{
	if (s != NULL && s->waiting && s->t != NULL &&
	    acore_timer_start(s->t, HG_EXPECT_SECS) < 0)
		s->waiting = 0;
}

int
hg_send_want(const struct hg_send *s)
{
	return s != NULL && !s->waiting && !s->done && !s->stopped &&
	    hg_body_ready(s->b);
}

void
hg_send_interim(struct hg_send *s, int status)
{
	if (s != NULL && status == 100 && s->waiting) {
		s->waiting = 0;
		acore_timer_stop(s->t);
	}
}

int
hg_send_final(struct hg_send *s)
{
	if (s == NULL || s->done)
		return 0;
	s->stopped = 1;
	s->waiting = 0;
	if (s->t != NULL)
		acore_timer_stop(s->t);
	return 1;
}

int
hg_send_unsent(const struct hg_send *s)
{
	return s != NULL && hg_body_sent(s->b) == 0 && !s->done;
}

int
hg_send_write(struct hg_send *s, struct acore_dispatcher *d)
{
	const char *p;
	ssize_t n, m;

	if (!hg_send_want(s))
		return 0;
	if ((n = hg_body_peek(s->b, &p)) == -EAGAIN)
		return 0;	/* writable again once it has bytes */
	if (n < 0)
		return (int)n;
	if (n == 0) {
		s->done = 1;
		return 0;
	}
	m = acore_send(d, p, (size_t)n);
	if (m <= 0 || (acore_flags(d) & ACORE_CLOSED))
		return 0;	/* -EAGAIN, or handle_error or handle_close ran */
	acore_debug(d, "handle_write() -> %zd bytes of the body", m);
	hg_body_take(s->b, (size_t)m);
	hg_progress_up(s->g->writer, (uint64_t)m);
	/* the end is known at once when the last byte went */
	if (m == n && hg_body_peek(s->b, &p) == 0)
		s->done = 1;
	return 0;
}

void
hg_send_free(struct hg_send *s)
{
	if (s == NULL)
		return;
	if (s->t != NULL)
		acore_timer_free(s->t);
	free(s);
}
