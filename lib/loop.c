/*
 * loop.c: the channel map and asyncore.loop() on a libevent base, plus
 * one-shot timers and signals delivered from the loop.
 *
 * One pass: ask polled channels (those with readable/writable hooks) for
 * their interest, wait once in libevent, then dispatch what fired in map
 * order, the way asyncore's select or poll mode does.  Channels without
 * hooks keep their interest registered as their state changes, so idle ones
 * cost nothing per pass.
 */
#include "config.h"

#include <sys/timerfd.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/dns.h>

#include "acore-internal.h"

struct acore_timer {
	struct acore_loop *loop;
	struct event	*ev;
	void		(*cb)(void *);
	void		*arg;
};

struct acore_signal {
	struct acore_loop *loop;
	struct event	*ev;
	void		(*cb)(int, void *);
	void		*arg;
};

/*
 * How often watched descriptors are checked for a close behind our back.
 * A periodic timerfd watched as a read event, not a libevent timer: a
 * timer in libevent's heap costs a clock read and heap work every pass.
 */
static const struct itimerspec sweep_its = { { 1, 0 }, { 1, 0 } };

/* Process-wide; the lock only guards creating and forgetting it. */
static struct acore_loop *default_loop;
static pthread_mutex_t default_lock = PTHREAD_MUTEX_INITIALIZER;

static void
pass_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct acore_loop *loop = arg;

	/* Ends a wait in which nothing else happened. */
	(void)fd;
	(void)what;
	loop->timer_fired = 1;
}

static void
sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct acore_loop *loop = arg;

	uint64_t ticks;

	(void)what;
	(void)read(fd, &ticks, sizeof(ticks));
	loop->sweep_due = 1;
}

struct acore_loop *
acore_loop_new(void)
{
	struct acore_loop *loop;
	struct event_config *cfg;

	acore__log_init();
	if ((loop = calloc(1, sizeof(*loop))) == NULL)
		return NULL;
	TAILQ_INIT(&loop->map);
	TAILQ_INIT(&loop->polled);
	LIST_INIT(&loop->lingering);
	loop->xfd = -1;
	loop->sweep_fd = -1;
	/*
	 * No EVENT_BASE_FLAG_PRECISE_TIMER: its timerfd costs a syscall per
	 * pass, and millisecond timeouts are all asyncore ever promised.
	 */
	if ((cfg = event_config_new()) == NULL)
		goto fail;
	loop->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (loop->base == NULL)
		goto fail;
	loop->pass_timer = evtimer_new(loop->base, pass_timer_cb, loop);
	if (loop->pass_timer == NULL)
		goto fail;
	/* Always added; it wakes only a loop that is running. */
	loop->sweep_fd = timerfd_create(CLOCK_MONOTONIC,
	    TFD_NONBLOCK | TFD_CLOEXEC);
	if (loop->sweep_fd < 0 ||
	    timerfd_settime(loop->sweep_fd, 0, &sweep_its, NULL) < 0)
		goto fail;
	loop->sweep_ev = event_new(loop->base, loop->sweep_fd,
	    EV_READ | EV_PERSIST, sweep_cb, loop);
	if (loop->sweep_ev == NULL || event_add(loop->sweep_ev, NULL) < 0)
		goto fail;
	return loop;
fail:
	if (loop->sweep_ev != NULL)
		event_free(loop->sweep_ev);
	if (loop->sweep_fd >= 0)
		close(loop->sweep_fd);
	if (loop->pass_timer != NULL)
		event_free(loop->pass_timer);
	if (loop->base != NULL)
		event_base_free(loop->base);
	free(loop);
	errno = ENOMEM;
	return NULL;
}

struct acore_loop *
acore__loop(struct acore_loop *loop)
{
	if (loop != NULL)
		return loop;
	pthread_mutex_lock(&default_lock);
	if (default_loop == NULL)
		default_loop = acore_loop_new();
	loop = default_loop;
	pthread_mutex_unlock(&default_lock);
	return loop;
}

struct acore_loop *
acore_loop_default(void)
{
	return acore__loop(NULL);
}

void
acore_close_all(struct acore_loop *loop)
{
	struct acore_dispatcher *d;

	/* NULL: no default loop and none could be made, so none to close. */
	if ((loop = acore__loop(loop)) == NULL)
		return;
	while ((d = TAILQ_FIRST(&loop->map)) != NULL)
		acore_close(d);
	if (!loop->in_pass)
		acore__flush_free(loop);
}

void
acore_loop_free(struct acore_loop *loop)
{
	if (loop == NULL)
		return;
	/*
	 * Sockets closed before the free may linger to their end; channels
	 * still open now are closed at once (an application giving up).
	 */
	acore__linger_drain(loop);
	loop->freeing = 1;
	acore_close_all(loop);
	acore__flush_free(loop);
	acore__pipes_free(loop);
	if (loop->dns != NULL)
		evdns_base_free(loop->dns, 1);
	acore__expt_free(loop);
	acore__linger_free(loop);
	event_free(loop->sweep_ev);
	close(loop->sweep_fd);
	event_free(loop->pass_timer);
	event_base_free(loop->base);
	free(loop->fired);
	free(loop->ready);
	free(loop->chat_scratch);
	pthread_mutex_lock(&default_lock);
	if (loop == default_loop)
		default_loop = NULL;
	pthread_mutex_unlock(&default_lock);
	free(loop);
}

size_t
acore_loop_size(struct acore_loop *loop)
{
	if ((loop = acore__loop(loop)) == NULL)
		return 0;
	return loop->n;
}

void
acore_loop_stop(struct acore_loop *loop)
{
	if ((loop = acore__loop(loop)) == NULL)
		return;
	loop->stop = 1;
	event_base_loopbreak(loop->base);
}

/* Release channels closed during the pass (their hooks have returned). */
void
acore__flush_free(struct acore_loop *loop)
{
	struct acore_dispatcher *d;

	while ((d = loop->free_list) != NULL) {
		loop->free_list = d->free_next;
		acore__release(d);
	}
}

double
acore_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
by_seq(const void *a, const void *b)
{
	const struct acore_dispatcher *x = *(const struct acore_dispatcher *
	    const *)a, *y = *(const struct acore_dispatcher *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Ask each polled channel readable() then writable(), in map order. */
static void
scan_polled(struct acore_loop *loop)
{
	struct acore_dispatcher *d;
	int r, w;

	for (d = TAILQ_FIRST(&loop->polled); d != NULL && !loop->stop;
	    d = loop->scan_next) {
		/* A hook may close channels: acore_close() moves scan_next on. */
		loop->scan_next = TAILQ_NEXT(d, poll_link);
		r = d->ops->readable != NULL ? d->ops->readable(d, d->arg) :
		    acore__default_readable(d);
		if (d->flags & ACORE_CLOSED)
			continue;
		w = d->ops->writable != NULL ? d->ops->writable(d, d->arg) :
		    acore__default_writable(d);
		if (d->flags & ACORE_CLOSED)
			continue;
		/* A listening channel is never in the write set. */
		if (d->flags & ACORE_ACCEPTING)
			w = 0;
		if (d->flags & ACORE_SHUT_RD)
			r = 0;
		acore__set_interest(d,
		    (short)((r ? EV_READ : 0) | (w ? EV_WRITE : 0)));
	}
	loop->scan_next = NULL;
}

static int
live(struct acore_dispatcher *d, short what)
{
	return (d->fired & what) && !(d->flags & ACORE_CLOSED);
}

/*
 * Forget what fired.  What a stopped pass left undispatched is seen again
 * next pass (epoll is level-triggered), except a lost descriptor's
 * hang-up, which nothing would report twice: that one is kept.
 */
static void
clear_fired(struct acore_loop *loop)
{
	struct acore_dispatcher *d;
	size_t i, keep = 0;

	if (!loop->stop) {
		for (i = 0; i < loop->nfired; i++)
			loop->fired[i]->fired = 0;
		loop->nfired = 0;
		return;
	}
	for (i = 0; i < loop->nfired; i++) {
		d = loop->fired[i];
		if (d->fd < 0 && live(d, ACORE__EV_HUP)) {
			d->fired = ACORE__EV_LISTED | ACORE__EV_HUP;
			loop->fired[keep++] = d;
		} else
			d->fired = 0;
	}
	loop->nfired = keep;
}

/*
 * select semantics: all read events in map order, then all write events,
 * then all urgent-data events.  poll semantics: per channel in map order,
 * read, write, urgent data, then handle_close() for a hang-up.  A hook
 * calling acore_loop_stop() ends the dispatch at once (asyncore.ExitNow).
 */
static void
dispatch(struct acore_loop *loop)
{
	struct acore_dispatcher *d;
	size_t i, n = loop->nfired;

	if (n > 1)
		qsort(loop->fired, n, sizeof(*loop->fired), by_seq);
	if (loop->use_poll) {
		for (i = 0; i < n && !loop->stop; i++) {
			d = loop->fired[i];
			if (live(d, ACORE__EV_HUP) && live(d, EV_READ) &&
			    !acore__hup_has_input(d))
				d->fired &= (short)~EV_READ;
			if (live(d, EV_READ))
				acore__handle_read_event(d);
			if (live(d, EV_WRITE) && !loop->stop)
				acore__handle_write_event(d);
			if (live(d, ACORE__EV_EXPT) && !loop->stop)
				acore__handle_expt_event(d);
			if (live(d, ACORE__EV_HUP) && !loop->stop)
				acore__handle_hup_event(d);
		}
	} else {
		for (i = 0; i < n && !loop->stop; i++)
			if (live(loop->fired[i], EV_READ))
				acore__handle_read_event(loop->fired[i]);
		for (i = 0; i < n && !loop->stop; i++)
			if (live(loop->fired[i], EV_WRITE))
				acore__handle_write_event(loop->fired[i]);
		for (i = 0; i < n && !loop->stop; i++)
			if (live(loop->fired[i], ACORE__EV_EXPT))
				acore__handle_expt_event(loop->fired[i]);
	}
	clear_fired(loop);
}

/*
 * A descriptor closed behind the library's back leaves epoll without a
 * word, so now and then the watched ones are checked: once a second of a
 * running loop (sweep_fd), not once a pass, one fcntl() per watched
 * channel.
 */
static void
sweep(struct acore_loop *loop)
{
	struct acore_dispatcher *d;

	TAILQ_FOREACH(d, &loop->map, map_link)
		if (d->fd >= 0 && (d->want != 0 || (d->xstate & ACORE__X_REG)) &&
		    !d->always_ready && fcntl(d->fd, F_GETFD) < 0 &&
		    errno == EBADF)
			acore__fd_lost(d);
	loop->sweep_due = 0;
}

/*
 * epoll cannot watch regular files; like select, treat them as always
 * ready.  When nothing else is watched there is nothing to wait for:
 * dispatch them without a poll (cat-file's hot path).  Returns 1 when the
 * pass is over.
 */
static int
activate_ready(struct acore_loop *loop)
{
	struct acore_dispatcher *d;
	size_t i;
	int idle;

	/* Nothing added to libevent but the sweep event. */
	idle = event_base_get_num_events(loop->base,
	    EVENT_BASE_COUNT_ADDED) <= 1;
	/* Dispatch restores map order; activation order is free. */
	for (i = 0; i < loop->nready; i++) {
		d = loop->ready[i];
		if (d->want == 0)
			continue;
		if (idle)
			acore__fire(d, d->want);
		else
			event_active(acore__ev(d), d->want, 0);
	}
	if (idle && loop->nfired > 0) {
		dispatch(loop);
		return 1;
	}
	return 0;
}

/*
 * Wait once in libevent.  The sweep timer firing alone does not end the
 * pass: the lost descriptors are looked for and the wait goes on.
 */
static int
wait_once(struct acore_loop *loop, double timeout)
{
	struct timeval tv;
	int flags = EVLOOP_ONCE, rc;

	/* Zero timeout: one non-blocking look (asyncore.poll()). */
	if (timeout == 0 || loop->nfired > 0)
		flags |= EVLOOP_NONBLOCK;
	else if (timeout > 0) {
		event_add(loop->pass_timer, acore__timeval(&tv, timeout));
	} else if (loop->nwatch == 0 && loop->nxreg == 0 &&
	    event_base_get_num_events(loop->base,
	    EVENT_BASE_COUNT_ADDED) <= 1 + (int)loop->nlinger) {
		/*
		 * Only the sweep event (and lingering sockets, which end on
		 * their own) and no timeout: it would be forever.
		 */
		return -EDEADLK;
	}
	loop->timer_fired = 0;
	for (;;) {
		loop->woke = loop->inner_wake = 0;
		rc = event_base_loop(loop->base, flags);
		/* The sweep tick and lingering sockets alone end no wait. */
		if (rc < 0 || (!loop->sweep_due && !loop->inner_wake) ||
		    (flags & EVLOOP_NONBLOCK) || loop->timer_fired ||
		    loop->woke || loop->nfired > 0 || loop->stop ||
		    loop->n == 0)
			break;
		if (!loop->sweep_due)
			continue;
		sweep(loop);
		if (loop->nfired > 0 || loop->nbad > 0)
			break;
	}
	event_del(loop->pass_timer);
	return rc < 0 ? -EIO : 0;
}

/* One asyncore pass.  Returns 0 or a negative errno. */
static int
run_pass(struct acore_loop *loop, double timeout)
{
	int rc = 0;

	loop->in_pass = 1;
	scan_polled(loop);
	if (loop->stop || (loop->nready > 0 && activate_ready(loop)))
		goto out;
	if ((rc = wait_once(loop, timeout)) < 0) {
		clear_fired(loop);
		goto out;
	}
	if (loop->stop)
		clear_fired(loop);
	else
		dispatch(loop);
out:
	loop->in_pass = 0;
	acore__flush_free(loop);
	if (rc == 0 && loop->sweep_due)
		sweep(loop);
	return rc;
}

int
acore_loop_run(struct acore_loop *loop, double timeout, int count)
{
	int passes = 0, rc;

	loop = acore__loop(loop);
	if (loop == NULL)
		return -ENOMEM;
	loop->stop = 0;
	acore__flush_free(loop);
	while (loop->n > 0 && !loop->stop && (count <= 0 || passes < count)) {
		/* select() raises EBADF for as long as such a channel stays. */
		if (loop->nbad > 0)
			return -EBADF;
		if ((rc = run_pass(loop, timeout)) < 0)
			return rc;
		passes++;
	}
	loop->stop = 0;
	return loop->nbad > 0 ? -EBADF : passes;
}

int
acore_loop_use_poll(struct acore_loop *loop, int on)
{
	struct acore_dispatcher *d;

	loop = acore__loop(loop);
	if (loop == NULL)
		return -ENOMEM;
	if (loop->in_pass)
		return -EBUSY;
	loop->use_poll = on != 0;
	/* Poll mode watches hang-ups of every channel with interest. */
	TAILQ_FOREACH(d, &loop->map, map_link)
		if (d->fd >= 0)
			acore__expt_update(d);
	return 0;
}

/* ---------------------------------------------------------------- timers */

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct acore_timer *t = arg;

	(void)fd;
	(void)what;
	t->loop->woke = 1;
	t->cb(t->arg);
}

struct acore_timer *
acore_timer_new(struct acore_loop *loop, void (*cb)(void *), void *arg)
{
	struct acore_timer *t;

	if ((loop = acore__loop(loop)) == NULL)
		return NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->loop = loop;
	t->cb = cb;
	t->arg = arg;
	if ((t->ev = evtimer_new(loop->base, timer_cb, t)) == NULL) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

int
acore_timer_start(struct acore_timer *t, double secs)
{
	struct timeval tv;

	if (secs < 0)
		return -EINVAL;
	return evtimer_add(t->ev, acore__timeval(&tv, secs)) == 0 ? 0 :
	    -ENOMEM;
}

void
acore_timer_stop(struct acore_timer *t)
{
	evtimer_del(t->ev);
}

void
acore_timer_free(struct acore_timer *t)
{
	if (t == NULL)
		return;
	event_free(t->ev);
	free(t);
}

/* --------------------------------------------------------------- signals */

static void
signal_cb(evutil_socket_t signo, short what, void *arg)
{
	struct acore_signal *s = arg;

	(void)what;
	s->loop->woke = 1;
	s->cb((int)signo, s->arg);
}

struct acore_signal *
acore_signal_new(struct acore_loop *loop, int signo, void (*cb)(int, void *),
    void *arg)
{
	struct acore_signal *s;

	if ((loop = acore__loop(loop)) == NULL)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->loop = loop;
	s->cb = cb;
	s->arg = arg;
	s->ev = evsignal_new(loop->base, signo, signal_cb, s);
	if (s->ev == NULL || evsignal_add(s->ev, NULL) != 0) {
		if (s->ev != NULL)
			event_free(s->ev);
		free(s);
		errno = EINVAL;
		return NULL;
	}
	return s;
}

void
acore_signal_free(struct acore_signal *s)
{
	if (s == NULL)
		return;
	event_free(s->ev);
	free(s);
}
