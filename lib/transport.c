/*
 * transport.c: the two descriptor transports, a socket (recv/send, and
 * recvfrom/sendto for datagrams) and a file (read/write), and what the
 * layers stacked on a socket share.  The dispatcher, with-send and chat
 * code reach the descriptor only through a channel's transport table
 * (struct acore_transport), so TLS, proxy tunnels or datagrams slot in
 * without them asking which one they hold.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "acore-internal.h"

/* EAGAIN, EWOULDBLOCK and EINTR all mean "nothing now". */
static ssize_t
io_result(ssize_t n)
{
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return -EAGAIN;
	return -errno;
}

static ssize_t
sock_read(struct acore_dispatcher *d, void *ctx, void *buf, size_t len)
{
	(void)ctx;
	return io_result(recv(d->fd, buf, len, 0));
}

static ssize_t
sock_write(struct acore_dispatcher *d, void *ctx, const void *buf,
    size_t len)
{
	(void)ctx;
	return io_result(send(d->fd, buf, len, MSG_NOSIGNAL));
}

static ssize_t
sock_read_from(struct acore_dispatcher *d, void *ctx, void *buf, size_t len,
    struct sockaddr *sa, socklen_t *salen)
{
	(void)ctx;
	return io_result(recvfrom(d->fd, buf, len, 0, sa, salen));
}

static ssize_t
sock_write_to(struct acore_dispatcher *d, void *ctx, const void *buf,
    size_t len, const struct sockaddr *sa, socklen_t salen)
{
	(void)ctx;
	return io_result(sendto(d->fd, buf, len, MSG_NOSIGNAL, sa, salen));
}

static int
sock_shutdown(struct acore_dispatcher *d, void *ctx, int how)
{
	(void)ctx;
	return shutdown(d->fd, how) == 0 ? 0 : -errno;
}

static void
sock_close(struct acore_dispatcher *d, void *ctx)
{
	(void)ctx;
	close(d->fd);
}

const struct acore_transport acore__socket_transport = {
	.name = "socket",
	.read = sock_read,
	.write = sock_write,
	.read_from = sock_read_from,
	.write_to = sock_write_to,
	.shutdown = sock_shutdown,
	.close = sock_close,
};

static ssize_t
file_read(struct acore_dispatcher *d, void *ctx, void *buf, size_t len)
{
	(void)ctx;
	return io_result(read(d->fd, buf, len));
}

/*
 * write(2) to a pipe whose reader left raises SIGPIPE, and write has no
 * MSG_NOSIGNAL (nor has splice(2) into a socket).  Block the signal around
 * the call and swallow the one it raised, so a library user who never
 * ignored SIGPIPE still gets EPIPE.  Also the default log sink's write to
 * standard error.
 */
void
acore__sigpipe_block(struct acore__sigpipe *s)
{
	sigset_t pipe_set, pending;

	/* acore_ignore_sigpipe: none can be raised, no calls needed. */
	if ((s->skip = acore__sigpipe_ignored()) != 0)
		return;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	s->was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &s->old);
}

/* After the call, which returned n (errno kept). */
void
acore__sigpipe_restore(struct acore__sigpipe *s, ssize_t n)
{
	static const struct timespec zero;
	sigset_t pipe_set;
	int err = errno;

	if (s->skip)
		return;
	if (n < 0 && err == EPIPE && !s->was_pending) {
		sigemptyset(&pipe_set);
		sigaddset(&pipe_set, SIGPIPE);
		(void)sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &s->old, NULL);
	errno = err;
}

ssize_t
acore__write_nosigpipe(int fd, const void *buf, size_t len)
{
	struct acore__sigpipe s;
	ssize_t n;

	acore__sigpipe_block(&s);
	n = write(fd, buf, len);
	acore__sigpipe_restore(&s, n);
	return n;
}

static ssize_t
file_write(struct acore_dispatcher *d, void *ctx, const void *buf,
    size_t len)
{
	(void)ctx;
	return io_result(acore__write_nosigpipe(d->fd, buf, len));
}

static void
file_close(struct acore_dispatcher *d, void *ctx)
{
	(void)ctx;
	/* acore_file_new gave every file channel its side struct. */
	acore__file_restore(d->fd, d->x->saved_flags);
	close(d->fd);
}

/* A file may be a socket handed over as one: shutdown(2) still applies. */
const struct acore_transport acore__file_transport = {
	.name = "file",
	.read = file_read,
	.write = file_write,
	.shutdown = sock_shutdown,
	.close = file_close,
};

/* ---------------------------------------------------------------- layers */

/* The set-up of layer l (and so of those below it): 0 when done. */
int
acore__layer_handshake(struct acore_dispatcher *d, struct acore_layer *l)
{
	return l->tp->handshake != NULL ? l->tp->handshake(d, l->ctx) : 0;
}

/* Whether err, read through l, ends the stream as a reset does. */
int
acore__layer_is_cut(const struct acore_layer *l, int err)
{
	return l->tp->is_cut != NULL && l->tp->is_cut(err);
}

size_t
acore__layer_pending(const struct acore_dispatcher *d,
    const struct acore_layer *l)
{
	return l->tp->pending != NULL ? l->tp->pending(d, l->ctx) : 0;
}

/*
 * Where a channel's connect has got to (acore_connect_stage): kept only
 * by channels that have their side struct, which connecting by name does.
 */
void
acore__set_stage(struct acore_dispatcher *d, int stage)
{
	if (d->x != NULL)
		d->x->stage = (uint8_t)stage;
}

int
acore_connect_stage(const struct acore_dispatcher *d)
{
	if (d->x != NULL && d->x->stage != 0)
		return d->x->stage;
	return (d->flags & ACORE_CONNECTED) && !d->handshaking ?
	    ACORE_STAGE_READY : ACORE_STAGE_NONE;
}
