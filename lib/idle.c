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
	if (d->x != NULL && d->x->idle_secs > 0)
		d->x->last_io = acore_now();
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
	struct acore_rare *x = d->x;
	double left = NO_LIMIT, idle;

	if (x->ready_by > 0 && is_ready(d))
		x->ready_by = 0;
	if (x->ready_by > 0)
		left = x->ready_by - now;
	/* Idle is silence on a connection: a TCP connect has its deadline. */
	if (x->idle_secs > 0 && !(d->flags & ACORE_CONNECTING)) {
		idle = x->last_io + x->idle_secs - now;
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
		return evtimer_del(d->x->idle_ev) == 0 ? 0 : -ENOMEM;
	return evtimer_add(d->x->idle_ev, acore__timeval(&tv, left)) == 0 ? 0 :
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

/* The side struct and its timer, on first use. */
static int
timer_ensure(struct acore_dispatcher *d)
{
	struct acore_rare *x;

	if ((x = acore__rare(d)) == NULL)
		return -ENOMEM;
	if (x->idle_ev == NULL &&
	    (x->idle_ev = evtimer_new(d->loop->base, idle_cb, d)) == NULL)
		return -ENOMEM;
	return 0;
}

/* The timer exists: some limit was set on this channel. */
static int
has_timer(const struct acore_dispatcher *d)
{
	return d->x != NULL && d->x->idle_ev != NULL;
}

/* The connection is up: silence counts from here, handshake included. */
void
acore__link_up(struct acore_dispatcher *d)
{
	if (!has_timer(d))
		return;
	d->x->last_io = acore_now();
	(void)arm(d, next_limit(d, d->x->last_io));
}

/* The channel became ready: its deadline no longer applies. */
void
acore__ready(struct acore_dispatcher *d)
{
	if (has_timer(d) && d->x->ready_by > 0)
		(void)arm(d, next_limit(d, acore_now()));
}

int
acore_set_timeout(struct acore_dispatcher *d, double secs)
{
	int rc;

	if (d->flags & ACORE_CLOSED)
		return -EBADF;
	if (secs <= 0) {
		if (!has_timer(d))
			return 0;
		d->x->idle_secs = 0;
		return arm(d, next_limit(d, acore_now()));
	}
	if ((rc = timer_ensure(d)) < 0)
		return rc;
	d->x->idle_secs = secs;
	d->x->last_io = acore_now();
	return arm(d, next_limit(d, d->x->last_io));
}

int
acore_set_connect_timeout(struct acore_dispatcher *d, double secs)
{
	double now = acore_now();
	int rc;

	if (d->flags & ACORE_CLOSED)
		return -EBADF;
	if (secs <= 0 || is_ready(d)) {
		if (!has_timer(d))
			return 0;
		d->x->ready_by = 0;
		return arm(d, next_limit(d, now));
	}
	if ((rc = timer_ensure(d)) < 0)
		return rc;
	d->x->ready_by = now + secs;
	return arm(d, next_limit(d, now));
}
