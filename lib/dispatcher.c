/*
 * dispatcher.c: the channel: life cycle, interest kept in step with
 * libevent, asyncore's implied events (connect on first event, close on a
 * 0-byte read), and the socket calls.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "acore-internal.h"

static void	io_cb(evutil_socket_t, short, void *);


struct acore_dispatcher *
acore__dispatcher_new(struct acore_loop *loop, enum acore_kind kind,
    const struct acore_ops *ops, void *arg)
{
	struct acore_dispatcher *d;
	static const struct acore_ops no_ops;

	if ((loop = acore__loop(loop)) == NULL)
		return NULL;
	/* One allocation for the channel and its event: 10k idle channels. */
	d = calloc(1, sizeof(*d) + event_get_struct_event_size());
	if (d == NULL)
		return NULL;
	d->loop = loop;
	d->ops = ops != NULL ? ops : &no_ops;
	d->arg = arg;
	d->fd = -1;
	d->kind = (uint8_t)kind;
	d->tp = &acore__socket_transport;
	d->seq = loop->next_seq++;
	d->polled = d->ops->readable != NULL || d->ops->writable != NULL;
	TAILQ_INSERT_TAIL(&loop->map, d, map_link);
	if (d->polled)
		TAILQ_INSERT_TAIL(&loop->polled, d, poll_link);
	loop->n++;
	return d;
}

struct acore_dispatcher *
acore_dispatcher_new(struct acore_loop *loop, const struct acore_ops *ops,
    void *arg)
{
	return acore__dispatcher_new(loop, ACORE_KIND_PLAIN, ops, arg);
}

struct acore_dispatcher *
acore_dispatcher_with_send_new(struct acore_loop *loop,
    const struct acore_ops *ops, void *arg)
{
	return acore__dispatcher_new(loop, ACORE_KIND_WITH_SEND, ops, arg);
}

/* The loop counts watching channels: its -EDEADLK test reads no more. */
static void
want_is(struct acore_dispatcher *d, short what)
{
	d->loop->nwatch += (what != 0) - (d->want != 0);
	d->want = what;
}

static void
set_want(struct acore_dispatcher *d, short what)
{
	struct event *ev = acore__ev(d);

	if (d->always_ready) {
		/* Never added (epoll refuses it): loop.c activates it by hand. */
		event_assign(ev, d->loop->base, d->fd, what, io_cb, d);
		want_is(d, what);
		return;
	}
	if (d->want != 0)
		event_del(ev);
	want_is(d, 0);
	if (what == 0)
		return;
	event_assign(ev, d->loop->base, d->fd, (short)(what | EV_PERSIST),
	    io_cb, d);
	if (event_add(ev, NULL) == 0) {
		want_is(d, what);
		acore__kick_pending(d);
	} else if (fcntl(d->fd, F_GETFD) < 0 && errno == EBADF)
		acore__fd_lost(d);
}

/*
 * Take the descriptor's event out of libevent, whatever the channel's state
 * says it should wait for: added or only activated (a pending kick, an
 * always-ready file), libevent then holds no pointer into d.  Every path
 * that lets go of a descriptor comes through here, so no transport state
 * can keep a freed channel's event registered.
 */
void
acore__unwatch(struct acore_dispatcher *d)
{
	struct event *ev = acore__ev(d);

	d->tp_want = 0;
	d->handshaking = 0;
	if (event_initialized(ev))
		event_del(ev);
	want_is(d, 0);
}

/*
 * A transport needs readiness need (EV_READ or EV_WRITE) whatever the hooks
 * want, and the event it brings resumes the channel's operation resume.
 * The transport only asks; the channel applies it, and not at all once its
 * descriptor is gone.  need 0 ends the wait.
 */
void
acore__transport_wait(struct acore_dispatcher *d, short need, short resume)
{
	if (d->fd < 0 || (d->flags & ACORE_CLOSED))
		return;
	if (need == d->tp_want && (need == 0 || resume == d->tp_resume))
		return;
	d->tp_want = need;
	d->tp_resume = resume;
	acore__sync(d);
}

/*
 * Register what (EV_READ|EV_WRITE) with libevent, only when it changed, and
 * keep the channel's place in the loop's urgent-data set in step.
 */
void
acore__set_interest(struct acore_dispatcher *d, short what)
{
	/* The transport's wait (a handshake, a TLS re-key) beats the hooks. */
	if (d->tp_want != 0)
		what = d->tp_want;
	if (d->fd < 0 || (d->flags & ACORE_CLOSED))
		return;
	if (what != d->want)
		set_want(d, what);
	if (d->xstate || d->loop->use_poll || acore__expt_hooked(d))
		acore__expt_update(d);
}

/*
 * Bytes a transport already holds (TLS records decrypted ahead) will not
 * make the descriptor readable again: activate the read event by hand, as
 * the loop does for always-ready files, so a small read size never stalls.
 */
void
acore__kick_pending(struct acore_dispatcher *d)
{
	if (d->tp->pending != NULL && (d->want & EV_READ) &&
	    d->tp_want == 0 && d->tp->pending(d, d->tp_ctx) > 0)
		event_active(acore__ev(d), EV_READ, 0);
}

int
acore__default_readable(struct acore_dispatcher *d)
{
	if (d->flags & ACORE_SHUT_RD)
		return 0;
	if (d->flags & ACORE_ACCEPTING)
		return 1;
	switch (d->kind) {
	case ACORE_KIND_CHAT:
		return acore__chat_readable(d);
	case ACORE_KIND_WITH_SEND:
		if (d->paused)
			return 0;
		/* FALLTHROUGH */
	default:
		/* Nobody to consume input: watching it would only spin. */
		return d->ops->handle_read != NULL ||
		    (d->ops->flags & ACORE_OPS_ASYNCORE);
	}
}

int
acore__default_writable(struct acore_dispatcher *d)
{
	if (d->flags & ACORE_ACCEPTING)
		return 0;
	if ((d->flags & (ACORE_CONNECTING | ACORE_CONNECTED)) ==
	    ACORE_CONNECTING)
		return 1;
	switch (d->kind) {
	case ACORE_KIND_WITH_SEND:
		/*
		 * asyncore: (not self.connected) or len(self.out_buffer); a
		 * shutdown_when_done still to do is output queued too.
		 */
		return d->out.len > 0 || d->pipe != 0 || ((d->ops->flags & ACORE_OPS_ASYNCORE) &&
		    !(d->flags & ACORE_CONNECTED)) ||
		    (d->shut_wr == ACORE__SHUT_ASKED &&
		    (d->flags & ACORE_CONNECTED));
	case ACORE_KIND_CHAT:
		return acore__chat_writable(d);
	default:
		return d->ops->handle_write != NULL ||
		    (d->ops->flags & ACORE_OPS_ASYNCORE);
	}
}

/* Interest of a channel without hooks follows its state. */
void
acore__sync(struct acore_dispatcher *d)
{
	short what = 0;

	if (d->polled || (d->flags & ACORE_CLOSED))
		return;
	if (acore__default_readable(d))
		what |= EV_READ;
	if (acore__default_writable(d))
		what |= EV_WRITE;
	acore__set_interest(d, what);
}

/*
 * The loop keeps always-ready channels in a short array of their own, so a
 * pass activates them without walking the whole map.
 */
static int
ready_add(struct acore_loop *loop, struct acore_dispatcher *d)
{
	struct acore_dispatcher **p;
	size_t cap;

	if (loop->nready == loop->ready_cap) {
		cap = loop->ready_cap ? loop->ready_cap * 2 : 4;
		if ((p = realloc(loop->ready, cap * sizeof(*p))) == NULL)
			return -ENOMEM;
		loop->ready = p;
		loop->ready_cap = cap;
	}
	loop->ready[loop->nready++] = d;
	return 0;
}

static void
ready_remove(struct acore_loop *loop, const struct acore_dispatcher *d)
{
	size_t i;

	for (i = 0; i < loop->nready; i++)
		if (loop->ready[i] == d) {
			loop->ready[i] = loop->ready[--loop->nready];
			return;
		}
}

int
acore__attach_fd(struct acore_dispatcher *d, int fd)
{
	if (d->flags & ACORE_CLOSED)
		return -EBADF;
	if (d->fd >= 0)
		return -EALREADY;
	if (d->always_ready && ready_add(d->loop, d) < 0)
		return -ENOMEM;
	d->fd = fd;
	d->want = 0;
	acore__sync(d);
	return 0;
}

/* Drop the descriptor but keep the channel (acore_connect_host retries). */
void
acore__detach_fd(struct acore_dispatcher *d)
{
	if (d->fd < 0)
		return;
	acore__unwatch(d);
	acore__expt_drop(d);
	d->xstate = 0;
	/* Nothing that fired for the old descriptor applies to a new one. */
	d->fired &= ACORE__EV_LISTED;
	if (d->always_ready)
		ready_remove(d->loop, d);
	d->tp->close(d, d->tp_ctx);
	d->fd = -1;
}

/* Note readiness for dispatch after the wait; map order is restored then. */
void
acore__fire(struct acore_dispatcher *d, short what)
{
	struct acore_loop *loop = d->loop;
	struct acore_dispatcher **p;
	size_t cap;

	if (d->flags & ACORE_CLOSED)
		return;
	/* What the transport waited for resumes the operation it stopped. */
	if (d->tp_want != 0 && (what & (EV_READ | EV_WRITE)))
		what = (short)((what & ~(EV_READ | EV_WRITE)) | d->tp_resume);
	if ((what & (EV_READ | EV_WRITE | ACORE__EV_EXPT | ACORE__EV_HUP)) == 0)
		return;
	if (!(d->fired & ACORE__EV_LISTED)) {
		if (loop->nfired == loop->fired_cap) {
			cap = loop->fired_cap ? loop->fired_cap * 2 : 64;
			p = realloc(loop->fired, cap * sizeof(*p));
			if (p == NULL)
				return;	/* level-triggered: seen next pass */
			loop->fired = p;
			loop->fired_cap = cap;
		}
		loop->fired[loop->nfired++] = d;
	}
	d->fired |= (short)(ACORE__EV_LISTED |
	    (what & (EV_READ | EV_WRITE | ACORE__EV_EXPT | ACORE__EV_HUP)));
}

static void
io_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	acore__fire(arg, what);
}

void
acore__handle_close(struct acore_dispatcher *d, int reason)
{
	if (d->flags & ACORE_CLOSED)
		return;
	d->close_reason = reason;
	if (d->ops->handle_close != NULL)
		d->ops->handle_close(d, d->arg);
	else {
		if (d->kind != ACORE_KIND_CHAT)
			acore__unhandled(d, "close");
		acore_close(d);
	}
}

void
acore__handle_error(struct acore_dispatcher *d, int err)
{
	if (d->flags & ACORE_CLOSED)
		return;
	if (d->ops->handle_error != NULL) {
		d->ops->handle_error(d, err, d->arg);
		return;
	}
	acore_log(ACORE_LOG_WARN, acore_name(d), "error: %s",
	    acore_strerror(err));
	acore__handle_close(d, err);
}

/* asyncore's default handlers log these, when the ops ask for them. */
void
acore__unhandled(struct acore_dispatcher *d, const char *event)
{
	if (d->ops->flags & ACORE_OPS_ASYNCORE)
		acore_log(ACORE_LOG_WARN, acore_name(d), "unhandled %s event",
		    event);
}

int
acore__is_disconnect(int err)
{
	switch (err) {
	case ECONNRESET:
	case ENOTCONN:
	case ESHUTDOWN:
	case ECONNABORTED:
	case EPIPE:
	case EBADF:
		return 1;
	default:
		return 0;
	}
}

/* The transport is ready: a connecting channel becomes connected. */
static int
connect_done(struct acore_dispatcher *d)
{
	acore__touch(d);
	acore__set_stage(d, ACORE_STAGE_READY);
	if (d->ops->handle_connect != NULL)
		d->ops->handle_connect(d, d->arg);
	else
		acore__unhandled(d, "connect");
	if (d->flags & ACORE_CLOSED)
		return -1;
	d->flags |= ACORE_CONNECTED;
	acore__ready(d);
	if (d->kind == ACORE_KIND_CHAT)
		acore__chat_connected(d);
	acore__sync(d);
	return (d->flags & ACORE_CLOSED) ? -1 : 0;
}

/*
 * One step of the transport's set-up, run for any event while it lasts.
 * Until it is done the hooks see no event: handle_connect (client) or the
 * first handle_read (server) comes after it.
 */
static void
handshake_step(struct acore_dispatcher *d)
{
	int rc;

	/* Handshake traffic is I/O: -i counts silence from it. */
	acore__touch(d);
	rc = d->tp->handshake(d, d->tp_ctx);
	if (rc == -EAGAIN) {
		acore__sync(d);
		return;
	}
	d->handshaking = 0;
	d->tp_want = 0;
	if (rc < 0) {
		acore__handle_error(d, rc);
		return;
	}
	if (!(d->flags & ACORE_CONNECTED)) {
		if (connect_done(d) < 0)
			return;
	} else {
		acore__ready(d);
		acore__sync(d);
	}
	acore__kick_pending(d);
}

/*
 * Start the transport's set-up on an adopted, connected socket: it runs on
 * the channel's first event of kind first (a server waits for the
 * ClientHello, a client for room to send its own).  A
 * connecting channel starts it once the connect completes.
 */
void
acore__start_handshake(struct acore_dispatcher *d, short first)
{
	if (d->tp->handshake == NULL || (d->flags & ACORE_CLOSED))
		return;
	d->handshaking = 1;
	if (d->flags & ACORE_CONNECTED) {
		d->tp_want = first;
		d->tp_resume = EV_READ;
		acore__sync(d);
	}
}

/*
 * The first event on a connecting socket completes the connect: SO_ERROR
 * decides between the error path and handle_connect, which a transport's
 * handshake comes before.  connected is set only after handle_connect
 * returns, as asyncore does.
 */
static int
connect_event(struct acore_dispatcher *d)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(d->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err != 0) {
		err = -err;
		if (acore__conn(d) != NULL &&
		    (err = acore__connect_next(d, err)) == 0)
			return -1;	/* trying the next address */
		acore__connect_free(d);
		acore__handle_error(d, err);
		return -1;
	}
	d->flags &= (uint8_t)~ACORE_CONNECTING;
	acore__connect_free(d);
	acore__link_up(d);
	if (d->tp->handshake != NULL) {
		d->handshaking = 1;
		/* The handshake's first flight goes out now, not a pass later. */
		handshake_step(d);
		return -1;
	}
	return connect_done(d);
}

static void
default_accept(struct acore_dispatcher *d)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd;

	if ((fd = acore_accept(d, &ss, &len)) < 0) {
		if (fd != -EAGAIN)
			acore_log(ACORE_LOG_WARN, acore_name(d),
			    "accept: %s", acore_strerror(fd));
		return;
	}
	if (d->ops->handle_accepted != NULL)
		d->ops->handle_accepted(d, fd, (struct sockaddr *)&ss, len,
		    d->arg);
	else {
		close(fd);
		acore__unhandled(d, "accepted");
	}
}

void
acore__handle_read_event(struct acore_dispatcher *d)
{
	if (d->flags & ACORE_ACCEPTING) {
		if (d->ops->handle_accept != NULL)
			d->ops->handle_accept(d, d->arg);
		else
			default_accept(d);
		return;
	}
	if ((d->flags & (ACORE_CONNECTING | ACORE_CONNECTED)) ==
	    ACORE_CONNECTING && connect_event(d) < 0)
		return;
	if (d->handshaking) {
		handshake_step(d);
		return;
	}
	if (d->kind == ACORE_KIND_CHAT)
		acore__chat_handle_read(d);
	else if (d->ops->handle_read != NULL)
		d->ops->handle_read(d, d->arg);
	else
		acore__unhandled(d, "read");
	if (d->tp->pending != NULL && !(d->flags & ACORE_CLOSED))
		acore__kick_pending(d);
}

void
acore__handle_write_event(struct acore_dispatcher *d)
{
	if (d->flags & ACORE_ACCEPTING)
		return;
	if ((d->flags & (ACORE_CONNECTING | ACORE_CONNECTED)) ==
	    ACORE_CONNECTING && connect_event(d) < 0)
		return;
	if (d->handshaking) {
		handshake_step(d);
		return;
	}
	if (d->kind == ACORE_KIND_WITH_SEND)
		(void)acore__with_send_flush(d);
	else if (d->kind == ACORE_KIND_CHAT)
		acore__chat_handle_write(d);
	if (d->ops->handle_write != NULL && !(d->flags & ACORE_CLOSED))
		d->ops->handle_write(d, d->arg);
	else if (d->ops->handle_write == NULL && d->kind == ACORE_KIND_PLAIN)
		acore__unhandled(d, "write");
}

void
acore_close(struct acore_dispatcher *d)
{
	struct acore_loop *loop;

	if (d == NULL || (d->flags & ACORE_CLOSED))
		return;
	loop = d->loop;
	acore__detach_fd(d);
	acore__connect_free(d);
	acore__pipe_drop(d);
	if (d->x != NULL && d->x->idle_ev != NULL)
		event_del(d->x->idle_ev);
	acore__lowat_stop(d);
	d->flags = ACORE_CLOSED;
	if (d->badf) {
		d->badf = 0;
		loop->nbad--;
	}
	if (loop->scan_next == d)
		loop->scan_next = TAILQ_NEXT(d, poll_link);
	TAILQ_REMOVE(&loop->map, d, map_link);
	if (d->polled)
		TAILQ_REMOVE(&loop->polled, d, poll_link);
	loop->n--;
	/* Freed once no hook of ours can be on the stack. */
	d->free_next = loop->free_list;
	loop->free_list = d;
}

void
acore__release(struct acore_dispatcher *d)
{
	if (d->ops->closed != NULL)
		d->ops->closed(d->arg);
	if (d->kind == ACORE_KIND_CHAT)
		acore__chat_free(d->chat);
	else
		acore__buf_free(&d->out);
	if (d->tp->free != NULL)
		d->tp->free(d, d->tp_ctx);
	acore__rare_free(d);
	free(d);
}

/* ------------------------------------------------------------- accessors */

int
acore_fd(const struct acore_dispatcher *d)
{
	return d->fd;
}

unsigned
acore_flags(const struct acore_dispatcher *d)
{
	return d->flags;
}

struct acore_loop *
acore_loop_of(const struct acore_dispatcher *d)
{
	return d->loop;
}

void
acore_debug(const struct acore_dispatcher *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	acore__vlog(ACORE_LOG_DEBUG, acore_name(d), fmt, ap);
	va_end(ap);
}
