/*
 * datagram.c: acore_recvfrom and acore_sendto, a datagram socket's I/O
 * through the channel's transport (read_from, write_to), as asyncore lets
 * a handler call recvfrom/sendto on a SOCK_DGRAM dispatcher.  A datagram
 * has no end of stream and no disconnect, so no hook runs here: an empty
 * datagram is a length of 0, and an error (an ICMP "port unreachable"
 * reported as -ECONNREFUSED on a connected socket) is the caller's to
 * judge; a server keeps serving its other peers.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>

#include "acore-internal.h"

ssize_t
acore_recvfrom(struct acore_dispatcher *d, void *buf, size_t len,
    struct sockaddr_storage *from, socklen_t *fromlen)
{
	socklen_t own;
	ssize_t n;

	if (d->fd < 0 || (d->flags & ACORE_CLOSED))
		return -EBADF;
	if (d->tp->read_from == NULL)
		return -EOPNOTSUPP;
	/* from without fromlen: the kernel would take the datagram, then
	 * fail with EFAULT; the length has a home of our own instead. */
	if (fromlen == NULL)
		fromlen = &own;
	*fromlen = sizeof(*from);
	n = d->tp->read_from(d, d->tp_ctx, buf, len, (struct sockaddr *)from,
	    from != NULL ? fromlen : NULL);
	if (n >= 0)
		acore__touch(d);
	return n;
}

ssize_t
acore_sendto(struct acore_dispatcher *d, const void *buf, size_t len,
    const struct sockaddr *to, socklen_t tolen)
{
	ssize_t n;

	if (d->fd < 0 || (d->flags & ACORE_CLOSED))
		return -EBADF;
	if (d->tp->write_to == NULL)
		return -EOPNOTSUPP;
	if ((n = d->tp->write_to(d, d->tp_ctx, buf, len, to, to != NULL ? tolen : 0)) >= 0)
		acore__touch(d);
	return n;
}
