/*
 * idle.c: a channel's two time limits, on one timer: close-on-idle
 * (acore_set_timeout) and the deadline for becoming ready
 * (acore_set_connect_timeout: connect, every address, and the transport's
 * handshake).  I/O only stamps the time of the last success; the timer
 * catches up lazily when it fires, so a busy channel costs a clock read
 * per I/O, not a timer update.
 */
#include "config.h"

#include <errno.h>

#include <event2/event.h>

#include "acore-internal.h"

/* Timer slop: a wake this close to a limit counts as reaching it. */
#define SLOP	0.0005

void
acore__touch(struct acore_dispatcher *d)
{
	if (d->idle_secs > 0)
		d->last_io = acore_now();
}

/* Connected, and the transport's set-up (a TLS handshake) done. */
static int
is_ready(const struct acore_dispatcher *d)
{
	return (d->flags & ACORE_CONNECTED) && !d->handshaking;
}

/*
 * Seconds until the nearer limit, NO_LIMIT for none, 0 when one is
 * reached.  A deadline met is forgotten here.
 */
#define NO_LIMIT	(-1.0)

static double
next_limit(struct acore_dispatcher *d, double now)
{
	double left = NO_LIMIT, idle;

	if (d->ready_by > 0 && is_ready(d))
		d->ready_by = 0;
	if (d->ready_by > 0)
		left = d->ready_by - now;
	/* Idle is silence on a connection: a TCP connect has its deadline. */
	if (d->idle_secs > 0 && !(d->flags & ACORE_CONNECTING)) {
		idle = d->last_io + d->idle_secs - now;
		if (left == NO_LIMIT || idle < left)
			left = idle;
	}
	if (left == NO_LIMIT)
		return NO_LIMIT;
	return left <= SLOP ? 0 : left;
}

static int
arm(struct acore_dispatcher *d, double left)
{
	struct timeval tv;

	if (left == NO_LIMIT)
		return evtimer_del(d->idle_ev) == 0 ? 0 : -ENOMEM;
	return evtimer_add(d->idle_ev, acore__timeval(&tv, left)) == 0 ? 0 :
	    -ENOMEM;
}

static void
idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct acore_dispatcher *d = arg;
	double left;

	(void)fd;
	(void)what;
	if (d->flags & ACORE_CLOSED)
		return;
	if ((left = next_limit(d, acore_now())) != 0) {
		(void)arm(d, left);
		return;
	}
	d->loop->woke = 1;
	acore__handle_error(d, -ETIMEDOUT);
}

static int
timer_ensure(struct acore_dispatcher *d)
{
	if (d->idle_ev == NULL &&
	    (d->idle_ev = evtimer_new(d->loop->base, idle_cb, d)) == NULL)
		return -ENOMEM;
	return 0;
}

/* The connection is up: silence counts from here, handshake included. */
void
acore__link_up(struct acore_dispatcher *d)
{
	if (d->idle_ev == NULL)
		return;
	d->last_io = acore_now();
	(void)arm(d, next_limit(d, d->last_io));
}

/* The channel became ready: its deadline no longer applies. */
void
acore__ready(struct acore_dispatcher *d)
{
	if (d->ready_by > 0 && d->idle_ev != NULL)
		(void)arm(d, next_limit(d, acore_now()));
}

int
acore_set_timeout(struct acore_dispatcher *d, double secs)
{
	int rc;

	if (d->flags & ACORE_CLOSED)
		return -EBADF;
	if (secs <= 0) {
		d->idle_secs = 0;
		return d->idle_ev != NULL ?
		    arm(d, next_limit(d, acore_now())) : 0;
	}
	if ((rc = timer_ensure(d)) < 0)
		return rc;
	d->idle_secs = secs;
	d->last_io = acore_now();
	return arm(d, next_limit(d, d->last_io));
}

int
acore_set_connect_timeout(struct acore_dispatcher *d, double secs)
{
	double now = acore_now();
	int rc;

	if (d->flags & ACORE_CLOSED)
		return -EBADF;
	if (secs <= 0 || is_ready(d)) {
		d->ready_by = 0;
		return d->idle_ev != NULL ? arm(d, next_limit(d, now)) : 0;
	}
	if ((rc = timer_ensure(d)) < 0)
		return rc;
	d->ready_by = now + secs;
	return arm(d, next_limit(d, now));
}
