/*
 * expt.c: what libevent 2.1 has no event for: urgent data (handle_expt),
 * poll-mode hang-ups, and descriptors closed behind the library's back.
 *
 * The loop owns one epoll descriptor of its own, created on first use and
 * watched by libevent as an ordinary persistent read event.  It holds
 * EPOLLPRI interest for each channel with a handle_expt hook (or asyncore's
 * defaults) that has a connected or connecting socket and, in poll mode,
 * interest with no events at all for every other channel libevent watches:
 * epoll reports EPOLLHUP and EPOLLERR whatever the mask.  When libevent
 * finds the descriptor readable, one zero-timeout epoll_wait() drains it and
 * the conditions are noted on the channels for the pass's dispatch.
 * Channels that need neither are never added, so they cost nothing here.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <unistd.h>

#include <event2/event.h>

#include "acore-internal.h"

#define DRAIN_MAX	64

int
acore__expt_hooked(const struct acore_dispatcher *d)
{
	return d->ops->handle_expt != NULL ||
	    (d->ops->flags & ACORE_OPS_ASYNCORE);
}

static void
drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct acore_loop *loop = arg;
	struct epoll_event ev[DRAIN_MAX];
	struct acore_dispatcher *d;
	size_t seen = 0;
	short fired;
	int i, n;

	(void)what;
	/*
	 * Level-triggered, a second epoll_wait() can hand back the same
	 * channels: stop once as many as are registered have been seen.
	 */
	do {
		n = epoll_wait(fd, ev, DRAIN_MAX, 0);
		seen += n > 0 ? (size_t)n : 0;
		for (i = 0; i < n; i++) {
			d = ev[i].data.ptr;
			fired = 0;
			if (ev[i].events & EPOLLPRI)
				fired |= ACORE__EV_EXPT;
			if (loop->use_poll &&
			    (ev[i].events & (EPOLLHUP | EPOLLERR)))
				fired |= ACORE__EV_HUP;
			else if (!(ev[i].events & EPOLLPRI)) {
				/*
				 * select() puts only urgent data in the except
				 * set; a hung-up socket gets no more of it,
				 * and level-triggered it would fire forever.
				 */
				d->xstate |= ACORE__X_MUTED;
				acore__expt_update(d);
			}
			if (fired != 0)
				acore__fire(d, fired);
		}
	} while (n == DRAIN_MAX && seen < loop->nxreg);
}

static int
expt_open(struct acore_loop *loop)
{
	if (loop->xfd >= 0)
		return 0;
	if ((loop->xfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return -errno;
	loop->xev = event_new(loop->base, loop->xfd, EV_READ | EV_PERSIST,
	    drain_cb, loop);
	if (loop->xev == NULL) {
		close(loop->xfd);
		loop->xfd = -1;
		return -ENOMEM;
	}
	return 0;
}

/*
 * Bring the channel's registration in line with its state.  Called from
 * acore__set_interest(), so it follows every interest change.
 */
void
acore__expt_update(struct acore_dispatcher *d)
{
	struct acore_loop *loop = d->loop;
	struct epoll_event ev;
	int pri, hup, op, reg;

	pri = d->fd >= 0 && !(d->flags & (ACORE_CLOSED | ACORE_ACCEPTING)) &&
	    (d->flags & (ACORE_CONNECTED | ACORE_CONNECTING)) &&
	    !d->always_ready && !(d->xstate & ACORE__X_MUTED) &&
	    acore__expt_hooked(d);
	hup = loop->use_poll && d->fd >= 0 && d->want != 0 &&
	    !d->always_ready && !(d->flags & ACORE_CLOSED);
	if (!pri && !hup) {
		acore__expt_drop(d);
		return;
	}
	ev.events = pri ? EPOLLPRI : 0;
	ev.data.ptr = d;
	reg = d->xstate & ACORE__X_REG;
	if (reg && !(d->xstate & ACORE__X_PRI) == !pri)
		return;
	if (expt_open(loop) < 0)
		return;
	op = reg ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(loop->xfd, op, d->fd, &ev) < 0)
		return;
	d->xstate = (uint8_t)((d->xstate & ~ACORE__X_PRI) | ACORE__X_REG |
	    (pri ? ACORE__X_PRI : 0));
	if (!reg) {
		/* Added only while it holds something: see -EDEADLK. */
		if (loop->nxreg++ == 0)
			event_add(loop->xev, NULL);
	}
}

/* Leave the set; before the descriptor closes, or when no longer wanted. */
void
acore__expt_drop(struct acore_dispatcher *d)
{
	struct acore_loop *loop = d->loop;
	struct epoll_event ev = { 0 };

	if (!(d->xstate & ACORE__X_REG))
		return;
	/* Fails only when the descriptor is already gone: fine. */
	(void)epoll_ctl(loop->xfd, EPOLL_CTL_DEL, d->fd, &ev);
	d->xstate &= (uint8_t)~(ACORE__X_REG | ACORE__X_PRI);
	if (--loop->nxreg == 0)
		event_del(loop->xev);
}

void
acore__expt_free(struct acore_loop *loop)
{
	if (loop->xev != NULL)
		event_free(loop->xev);
	if (loop->xfd >= 0)
		close(loop->xfd);
	loop->xev = NULL;
	loop->xfd = -1;
}

static int
so_error(struct acore_dispatcher *d)
{
	int err = 0;
	socklen_t len = sizeof(err);

	/* Not a socket: no error, as asyncore's file_wrapper answers. */
	if (getsockopt(d->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return 0;
	return err;
}

/* asyncore's handle_expt_event(): an error closes, else handle_expt. */
void
acore__handle_expt_event(struct acore_dispatcher *d)
{
	int err;

	if ((err = so_error(d)) != 0) {
		acore__handle_close(d, -err);
		return;
	}
	if (d->ops->handle_expt != NULL)
		d->ops->handle_expt(d, d->arg);
	else
		acore__unhandled(d, "incoming priority");
}

/* Poll mode: POLLHUP, POLLERR or POLLNVAL. */
void
acore__handle_hup_event(struct acore_dispatcher *d)
{
	int err;

	if (d->fd < 0)
		err = EBADF;
	else
		err = so_error(d);
	acore__handle_close(d, -err);
}

/*
 * libevent turns a hang-up into a read event, but poll() reports POLLIN
 * with POLLHUP only when there is something to read.  Sockets always have
 * (at least the end of stream); a pipe or FIFO whose writer left may not.
 */
int
acore__hup_has_input(struct acore_dispatcher *d)
{
	struct stat st;
	int n;

	if (d->fd < 0)
		return 0;
	if (fstat(d->fd, &st) < 0 || !S_ISFIFO(st.st_mode))
		return 1;
	return ioctl(d->fd, FIONREAD, &n) < 0 || n > 0;
}

/*
 * The descriptor was closed without acore_close(): leave libevent and the
 * urgent-data set without closing the number (it may be reused already).
 * Poll mode then gets handle_close() (POLLNVAL); select mode makes
 * acore_loop_run() fail with -EBADF until the channel is closed.
 * Always-ready channels never get here: their read or write fails instead.
 */
void
acore__fd_lost(struct acore_dispatcher *d)
{
	struct acore_loop *loop = d->loop;

	if (d->fd < 0 || (d->flags & ACORE_CLOSED) || d->always_ready)
		return;
	acore_log(ACORE_LOG_WARN, acore_name(d),
	    "descriptor %d was closed behind the library's back", d->fd);
	acore__unwatch(d);
	acore__expt_drop(d);
	d->fired &= ACORE__EV_LISTED;
	d->fd = -1;
	d->want = 0;
	if (loop->use_poll)
		acore__fire(d, ACORE__EV_HUP);
	else {
		d->badf = 1;
		loop->nbad++;
	}
}
