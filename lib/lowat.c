/*
 * lowat.c: fewer wake-ups for a read whose length is known
 * (acore_set_expected).
 *
 * A bulk download wakes the loop once for every batch the kernel has
 * queued, and each wake costs more than its system calls: the read that
 * follows opens the receive window, and on loopback the ACK that says so
 * runs the sender's transmit path on our CPU.  While a stream keeps the
 * socket busy, SO_RCVLOWAT holds the wake until LOWAT_MAX bytes wait:
 * over TLS that took a GiB from 7,167 reads to 4,110 and the client's
 * kernel time from about 0.3 s to under 0.2 s (bench/https.sh).
 *
 * The mark never asks for more than the caller is sure will come (what it
 * expects, less what the layers above the socket already hold), and goes
 * back to one byte once that is under LOWAT_MIN, so the end of a body
 * never waits on bytes that are not coming.  A stream that slows down
 * must not be held back either: the mark goes up only after a read that
 * found LOWAT_FAST bytes waiting, and back to one byte as soon as
 * STALL_MS pass without a read, so a pause delays what came before it by
 * that much at most.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>

#include <event2/event.h>

#include "acore-internal.h"

#define LOWAT_MAX	(256 * 1024)	/* TLS's read-ahead: one read a wake */
#define LOWAT_MIN	(64 * 1024)	/* below this, batching saves nothing */
#define LOWAT_FAST	(64 * 1024)	/* a read this big: the stream is fast */
#define STALL_MS	20
#define TICK_MS		(STALL_MS / 2)	/* a stall is seen 10 to 20 ms in */

struct acore_lowat {
	uint64_t	 expect;	/* bytes still to come through acore_recv */
	struct event	*stall;		/* ticks while the mark is up */
	uint32_t	 reads;		/* reads so far */
	uint32_t	 seen;		/* ... at the last tick */
	int		 mark;		/* SO_RCVLOWAT on fd now (1: none) */
	int		 fd;		/* the socket it was set on */
	uint8_t		 tcp;		/* 0 unknown, 1 TCP, 2 not TCP */
};

/* Bytes read from the socket that the layers above it have not handed up. */
static size_t
held(const struct acore_dispatcher *d)
{
	const struct acore_layer top = { d->tp, d->tp_ctx };
	const struct acore_layer *l = &top;
	size_t n = 0;

	while (l != NULL) {
		if (l->tp->held != NULL)
			n += l->tp->held(d, l->ctx);
		l = l->tp->lower != NULL && l->ctx != NULL ?
		    l->tp->lower(l->ctx) : NULL;
	}
	return n;
}

static void
set_mark(struct acore_dispatcher *d, struct acore_lowat *w, int mark)
{
	if (mark == w->mark)
		return;
	/* On failure the kernel keeps the old mark: remember that one. */
	if (setsockopt(d->fd, SOL_SOCKET, SO_RCVLOWAT, &mark,
	    sizeof(mark)) == 0)
		w->mark = mark;
}

/*
 * As idle.c's timer: reads only count, and the timer, armed once when the
 * mark goes up, looks every TICK_MS whether any came since it last did,
 * so a busy stream costs an increment per read, not a timer update.
 */
static void
tick(struct acore_lowat *w)
{
	struct timeval tv = { 0, TICK_MS * 1000 };

	w->seen = w->reads;
	(void)evtimer_add(w->stall, &tv);
}

static void
stall_cb(evutil_socket_t fd, short what, void *arg)
{
	struct acore_dispatcher *d = arg;
	struct acore_lowat *w = d->x->lw;

	(void)fd;
	(void)what;
	if (d->flags & ACORE_CLOSED || w->mark <= 1)
		return;
	if (w->reads != w->seen) {
		tick(w);
		return;
	}
	/* Lowering the mark wakes the loop at once if bytes wait. */
	set_mark(d, w, 1);
}

/* The socket the mark is for: a new one (another address) starts at 1. */
static int
is_tcp(struct acore_dispatcher *d, struct acore_lowat *w)
{
	int proto = 0;
	socklen_t len = sizeof(proto);

	if (w->fd != d->fd) {
		w->fd = d->fd;
		w->mark = 1;
		w->tcp = 0;
	}
	if (w->tcp == 0)
		w->tcp = getsockopt(d->fd, SOL_SOCKET, SO_PROTOCOL, &proto,
		    &len) == 0 && proto == IPPROTO_TCP ? 1 : 2;
	return w->tcp == 1;
}

/*
 * After acore_recv returned n > 0 bytes: count them off and move the mark.
 */
void
acore__lowat_read(struct acore_dispatcher *d, size_t n)
{
	struct acore_lowat *w = d->x->lw;
	uint64_t sure;
	size_t h;
	int mark = 1;

	w->expect = w->expect > n ? w->expect - n : 0;
	w->reads++;
	if (!is_tcp(d, w))
		return;
	if (w->mark > 1 || n >= LOWAT_FAST) {
		h = held(d);
		sure = w->expect > h ? w->expect - h : 0;
		if (sure >= LOWAT_MIN)
			mark = sure < LOWAT_MAX ? (int)sure : LOWAT_MAX;
	}
	if (mark > 1 && w->mark <= 1 && !evtimer_pending(w->stall, NULL))
		tick(w);
	set_mark(d, w, mark);
}

int
acore_set_expected(struct acore_dispatcher *d, uint64_t bytes)
{
	struct acore_rare *x;
	struct acore_lowat *w;

	if (d->flags & ACORE_CLOSED)
		return -EBADF;
	if (bytes == 0 && (d->x == NULL || d->x->lw == NULL))
		return 0;
	if ((x = acore__rare(d)) == NULL)
		return -ENOMEM;
	if ((w = x->lw) == NULL) {
		if ((w = calloc(1, sizeof(*w))) == NULL)
			return -ENOMEM;
		if ((w->stall = evtimer_new(d->loop->base, stall_cb, d)) ==
		    NULL) {
			free(w);
			return -ENOMEM;
		}
		w->mark = 1;
		w->fd = -1;
		x->lw = w;
	}
	w->expect = bytes;
	if (bytes == 0 && d->fd >= 0 && w->fd == d->fd)
		set_mark(d, w, 1);	/* the timer, if on, finds it down */
	return 0;
}

/* acore_close: no timer may fire for a closed channel. */
void
acore__lowat_stop(struct acore_dispatcher *d)
{
	if (d->x != NULL && d->x->lw != NULL)
		(void)evtimer_del(d->x->lw->stall);
}

void
acore__lowat_free(struct acore_dispatcher *d)
{
	struct acore_lowat *w = d->x->lw;

	if (w == NULL)
		return;
	event_free(w->stall);
	free(w);
	d->x->lw = NULL;
}
