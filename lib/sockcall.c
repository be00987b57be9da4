/*
 * sockcall.c: a channel's socket calls, asyncore's create_socket,
 * set_socket, bind, listen, connect, accept, recv, send and shutdown, with
 * its rules: EAGAIN is "nothing", a disconnect is handle_close, anything
 * else is handle_error.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "acore-internal.h"

int
acore_create_socket(struct acore_dispatcher *d, int family, int type)
{
	int fd, rc;

	if ((fd = acore__socket(family, type)) < 0)
		return fd;
	if ((rc = acore__attach_fd(d, fd)) < 0)
		close(fd);
	return rc;
}

int
acore_set_socket(struct acore_dispatcher *d, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int rc;

	if ((rc = acore__set_nonblock_cloexec(fd)) < 0 ||
	    (rc = acore__attach_fd(d, fd)) < 0) {
		close(fd);
		return rc;
	}
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
		d->flags |= ACORE_CONNECTED;
		acore__touch(d);
		acore__sync(d);
	}
	return 0;
}

int
acore_set_reuse_addr(struct acore_dispatcher *d)
{
	int on = 1;

	if (d->fd < 0)
		return -EBADF;
	/* asyncore ignores failures here, and so do we. */
	(void)setsockopt(d->fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	return 0;
}

int
acore_set_reuse_port(struct acore_dispatcher *d)
{
#ifdef SO_REUSEPORT
	int on = 1;

	if (d->flags & ACORE_CLOSED)
		return -EBADF;
	if (acore__rare(d) == NULL)
		return -ENOMEM;
	d->x->reuse_port = 1;
	if (d->fd >= 0 && setsockopt(d->fd, SOL_SOCKET, SO_REUSEPORT, &on,
	    sizeof(on)) < 0)
		return -errno;
	return 0;
#else
	(void)d;
	return -ENOPROTOOPT;
#endif
}

int
acore_bind(struct acore_dispatcher *d, const struct sockaddr *sa,
    socklen_t len)
{
	return bind(d->fd, sa, len) == 0 ? 0 : -errno;
}

int
acore_listen(struct acore_dispatcher *d, int backlog)
{
	if (listen(d->fd, backlog) < 0)
		return -errno;
	d->flags |= ACORE_ACCEPTING;
	acore__sync(d);
	return 0;
}

int
acore_connect(struct acore_dispatcher *d, const struct sockaddr *sa,
    socklen_t len)
{
	if (d->fd < 0)
		return -EBADF;
	if (d->x != NULL && d->x->source != NULL) {
		/* Another family cannot go out from there: try the next. */
		if (d->x->source->ss_family != sa->sa_family)
			return -EAFNOSUPPORT;
		if (bind(d->fd, (struct sockaddr *)d->x->source,
		    d->x->source_len) < 0)
			return -errno;
	}
	if (connect(d->fd, sa, len) < 0 && errno != EINPROGRESS &&
	    errno != EALREADY && errno != EAGAIN && errno != EISCONN)
		return -errno;
	/* Done or not, the first event runs the connect path. */
	d->flags |= ACORE_CONNECTING;
	acore__touch(d);
	acore__sync(d);
	return 0;
}

int
acore_set_source(struct acore_dispatcher *d, const struct sockaddr *sa,
    socklen_t len)
{
	struct sockaddr_storage *ss = NULL;

	if (d->flags & ACORE_CLOSED)
		return -EBADF;
	if (sa == NULL && d->x == NULL)
		return 0;
	if (sa != NULL && len > sizeof(*ss))
		return -EINVAL;
	if (acore__rare(d) == NULL)
		return -ENOMEM;
	if (sa != NULL) {
		if ((ss = calloc(1, sizeof(*ss))) == NULL)
			return -ENOMEM;
		memcpy(ss, sa, len);
	}
	free(d->x->source);
	d->x->source = ss;
	d->x->source_len = len;
	return 0;
}

int
acore_accept(struct acore_dispatcher *d, struct sockaddr_storage *addr,
    socklen_t *len)
{
	int fd;

	fd = accept4(d->fd, (struct sockaddr *)addr, len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0)
		return fd;
	/* A peer that connected and reset is just "nothing to accept". */
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
	    errno == ECONNABORTED || errno == EPROTO)
		return -EAGAIN;
	return -errno;
}

ssize_t
acore_recv(struct acore_dispatcher *d, void *buf, size_t len)
{
	ssize_t n;

	if (d->fd < 0)
		return -EBADF;
	/* A disconnect acore_splice met behind the bytes it moved. */
	n = d->cut != 0 ? -acore__take_cut(d) :
	    d->tp->read(d, d->tp_ctx, buf, len);
	if (n > 0) {
		acore__touch(d);
		if (d->x != NULL && d->x->lw != NULL)
			acore__lowat_read(d, (size_t)n);
		return n;
	}
	if (n == 0) {
		/* asyncore: handle_close runs before recv returns. */
		acore__handle_close(d, 0);
		return 0;
	}
	if (n == -EAGAIN)
		return -EAGAIN;
	/* The transport says which of its errors end a stream like a reset. */
	if (acore__is_disconnect((int)-n) || (d->tp->is_cut != NULL &&
	    d->tp->is_cut((int)n))) {
		acore__handle_close(d, (int)n);
		return 0;
	}
	acore__handle_error(d, (int)n);
	return n;
}

ssize_t
acore_send(struct acore_dispatcher *d, const void *buf, size_t len)
{
	ssize_t n;
	int rc;

	if (d->flags & ACORE_CLOSED)
		return -EBADF;
	switch (d->kind) {
	case ACORE_KIND_WITH_SEND:
		/* After acore_shutdown_when_done() nothing more goes out. */
		if (d->shut_wr != 0)
			return -EPIPE;
		if (d->pipe != 0 && (rc = acore__pipe_unsplice(d)) < 0)
			return rc;
		/*
		 * Nothing queued: offer the bytes to the socket first and
		 * queue only what it refuses.  An echo that goes out at once
		 * then never allocates or touches a queue, which is what
		 * keeps 10,000 idle clients at a few hundred bytes each and
		 * many busy ones out of each other's cache lines.
		 */
		if (d->out.len == 0 && (d->flags & ACORE_CONNECTED)) {
			/* A failure: the hook has run; say so, as plain does. */
			if ((n = acore__send_raw(d, buf, len)) < 0)
				return n;
			if ((size_t)n < len && (rc = acore__buf_append(&d->out,
			    (const char *)buf + n, len - (size_t)n)) < 0)
				return rc;
		} else if ((rc = acore__buf_append(&d->out, buf, len)) < 0)
			return rc;
		rc = acore__with_send_flush(d);
		return rc < 0 ? rc : (ssize_t)len;
	case ACORE_KIND_CHAT:
		rc = acore_chat_push(d, buf, len);
		return rc < 0 ? rc : (ssize_t)len;
	default:
		return acore__send_raw(d, buf, len);
	}
}

int
acore_shutdown(struct acore_dispatcher *d, int how)
{
	int rc = 0;

	if (d->fd < 0)
		return -EBADF;
	rc = d->tp->shutdown(d, d->tp_ctx, how);
	/*
	 * Stop reading whatever shutdown(2) said: after a reset it fails
	 * with ENOTCONN, and a channel left readable would spin on EOF.
	 */
	if (how == SHUT_RD || how == SHUT_RDWR) {
		d->flags |= ACORE_SHUT_RD;
		acore__sync(d);
		if (rc == -ENOTSOCK || rc == -ENOTCONN)
			rc = 0;
	}
	return rc;
}

int
acore_close_reason(const struct acore_dispatcher *d)
{
	return d->close_reason;
}
