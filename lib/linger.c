/*
 * linger.c: a TLS channel's socket after acore_close(), until the peer ends.
 *
 * Closing a TCP socket that holds unread input, or that gets input
 * afterwards, makes the kernel answer with a reset, and a reset discards
 * whatever the socket had not yet sent.  A TLS peer's close_notify
 * routinely crosses ours (socat sends its own as soon as its input ends),
 * so closing at once cuts the end of the last response short: the peer
 * reads "Connection reset by peer" instead of our data and close_notify.
 * So the socket lingers, as nginx's lingering close does: our side is
 * shut down for writing (the kernel still sends what it holds, then FIN),
 * whatever arrives is read and dropped, and the descriptor is closed at
 * the peer's end of stream, on an error, or after LINGER_SECS.  It is not
 * a channel: the map does not count it.  acore_loop_free() lets what still
 * lingers finish first (on a base of its own, so no hook or timer of the
 * application runs inside the free), up to each socket's deadline:
 * closing them at once would be the very reset lingering is there to
 * prevent, and a server's graceful stop ends that way.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "acore-internal.h"

#define LINGER_SECS	5.0	/* at most, whatever the peer keeps sending */

struct acore_linger {
	struct acore_loop	*loop;
	struct event		*ev;
	int			 fd;
	double			 deadline;
	LIST_ENTRY(acore_linger) link;
};

static void
linger_end(struct acore_linger *l)
{
	LIST_REMOVE(l, link);
	l->loop->nlinger--;
	if (l->ev != NULL)
		event_free(l->ev);
	close(l->fd);
	free(l);
}

static void
linger_cb(evutil_socket_t fd, short what, void *arg)
{
	struct acore_linger *l = arg;
	char buf[4096];
	ssize_t n;

	/* Not a channel's event: the pass goes on waiting (loop.c). */
	l->loop->inner_wake = 1;
	if ((what & EV_READ) && acore_now() < l->deadline) {
		while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
			;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR))
			return;
	}
	linger_end(l);
}

void
acore__linger_close(struct acore_loop *loop, int fd)
{
	struct acore_linger *l;
	struct timeval tv;

	if (loop->freeing || shutdown(fd, SHUT_WR) < 0 ||
	    (l = calloc(1, sizeof(*l))) == NULL) {
		close(fd);
		return;
	}
	l->loop = loop;
	l->fd = fd;
	l->deadline = acore_now() + LINGER_SECS;
	/* EV_PERSIST re-arms the timeout on each read: deadline bounds it. */
	l->ev = event_new(loop->base, fd, EV_READ | EV_PERSIST, linger_cb, l);
	if (l->ev == NULL ||
	    event_add(l->ev, acore__timeval(&tv, LINGER_SECS)) < 0) {
		if (l->ev != NULL)
			event_free(l->ev);
		free(l);
		close(fd);
		return;
	}
	LIST_INSERT_HEAD(&loop->lingering, l, link);
	loop->nlinger++;
}

void
acore__linger_drain(struct acore_loop *loop)
{
	struct acore_linger *l;
	struct event_base *base;
	struct timeval tv;
	double left;

	if (LIST_EMPTY(&loop->lingering) || (base = event_base_new()) == NULL)
		return;
	LIST_FOREACH(l, &loop->lingering, link) {
		event_free(l->ev);
		left = l->deadline - acore_now();
		l->ev = event_new(base, l->fd, EV_READ | EV_PERSIST, linger_cb,
		    l);
		if (l->ev == NULL || event_add(l->ev,
		    acore__timeval(&tv, left > 0 ? left : 0)) < 0)
			goto out;
	}
	while (!LIST_EMPTY(&loop->lingering) &&
	    event_base_loop(base, EVLOOP_ONCE) == 0)
		;
out:
	/* Anything left (out of memory) is closed now, before its base goes. */
	acore__linger_free(loop);
	event_base_free(base);
}

void
acore__linger_free(struct acore_loop *loop)
{
	struct acore_linger *l, *next;

	for (l = LIST_FIRST(&loop->lingering); l != NULL; l = next) {
		next = LIST_NEXT(l, link);
		linger_end(l);
	}
}
