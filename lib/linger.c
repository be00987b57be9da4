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
 * a channel: the map does not count it, and acore_loop_free() closes what
 * still lingers.
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

	if (shutdown(fd, SHUT_WR) < 0 || (l = calloc(1, sizeof(*l))) == NULL) {
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
acore__linger_free(struct acore_loop *loop)
{
	struct acore_linger *l, *next;

	for (l = LIST_FIRST(&loop->lingering); l != NULL; l = next) {
		next = LIST_NEXT(l, link);
		linger_end(l);
	}
}
