/*
 * idle.c: close-on-idle (acore_set_timeout).  I/O only stamps the time of
 * the last success; the channel's one timer catches up lazily when it
 * fires, so a busy channel costs a clock read per I/O, not a timer update.
 */
#include "config.h"

#include <errno.h>

#include <event2/event.h>

#include "acore-internal.h"

void
acore__touch(struct acore_dispatcher *d)
{
	if (d->idle_secs > 0)
		d->last_io = acore_now();
}

static void
idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct acore_dispatcher *d = arg;
	struct timeval tv;
	double left;

	(void)fd;
	(void)what;
	if ((d->flags & ACORE_CLOSED) || d->idle_secs <= 0)
		return;
	/* I/O only stamps last_io; the timer catches up lazily here. */
	left = d->last_io + d->idle_secs - acore_now();
	if (left > 0.0005) {
		evtimer_add(d->idle_ev, acore__timeval(&tv, left));
		return;
	}
	d->loop->woke = 1;
	acore__handle_error(d, -ETIMEDOUT);
}

int
acore_set_timeout(struct acore_dispatcher *d, double secs)
{
	struct timeval tv;

	if (d->flags & ACORE_CLOSED)
		return -EBADF;
	if (secs <= 0) {
		d->idle_secs = 0;
		if (d->idle_ev != NULL)
			evtimer_del(d->idle_ev);
		return 0;
	}
	if (d->idle_ev == NULL &&
	    (d->idle_ev = evtimer_new(d->loop->base, idle_cb, d)) == NULL)
		return -ENOMEM;
	d->idle_secs = secs;
	d->last_io = acore_now();
	return evtimer_add(d->idle_ev, acore__timeval(&tv, secs)) == 0 ? 0 :
	    -ENOMEM;
}
