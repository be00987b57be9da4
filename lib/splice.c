/*
 * splice.c: acore_splice, bytes from one channel's descriptor into a
 * with-send channel's output without passing through user space: splice(2)
 * from the source into a pipe, and from the pipe into the socket.
 *
 * The pipe is the channel's output queue while bytes wait in it, and only
 * then: a splice starts only when the output queue is empty, and a pipe
 * emptied goes back to the loop, which keeps a few open for the next
 * channel.  So a thousand clients echoing in turn hold a handful of pipes,
 * and an idle client holds none.  Reading pauses while a pipe holds bytes
 * (the socket took less than was read): nothing more is read than the
 * peer can take, as acore_send's high-water mark does for copies.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "acore-internal.h"

#define PIPES_KEPT	4	/* empty pipes a loop keeps open */
/*
 * The pipe: 64 slots, so a 64 KiB step fits whatever pieces the socket's
 * buffers hold it in (Linux's default pipe is 16 slots).  Its pages are
 * only taken while it holds bytes, and few pipes exist (see above).
 */
#define PIPE_BYTES	(256 * 1024)
#define SPLICE_MAX	(256 * 1024)	/* bytes one acore_splice moves */
#define SPLICE_STEP	(64 * 1024)	/* bytes read per step (acore_splice) */

struct acore_pipe {
	int		 rd;		/* -1: slot free, no pipe */
	int		 wr;
	size_t		 held;		/* bytes in it */
	uint32_t	 next_free;	/* index + 1 of the next free slot */
};

static struct acore_pipe *
pipe_of(const struct acore_dispatcher *d)
{
	return d->pipe != 0 ? &d->loop->pipes[d->pipe - 1] : NULL;
}

size_t
acore__piped(const struct acore_dispatcher *d)
{
	return d->pipe != 0 ? pipe_of(d)->held : 0;
}

/*
 * Twice the slots, the new ones free: 0 or -ENOMEM.  gcc 12 -fanalyzer
 * loses the array once it is stored in loop->pipes and reports it leaked,
 * here and where pipe_take calls this; the loop owns it (acore_loop_free).
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif
static int
pipes_grow(struct acore_loop *loop)
{
	struct acore_pipe *grown;
	uint32_t i, n;

	n = loop->npipes ? loop->npipes * 2 : 8;
	if ((grown = realloc(loop->pipes, n * sizeof(*grown))) == NULL)
		return -ENOMEM;
	loop->pipes = grown;
	for (i = loop->npipes; i < n; i++) {
		grown[i].rd = grown[i].wr = -1;
		grown[i].held = 0;
		grown[i].next_free = i + 1 < n ? i + 2 : 0;
	}
	loop->pipe_free = loop->npipes + 1;
	loop->npipes = n;
	return 0;
}

/* An empty pipe for d, kept or new: 0, or a negative errno (EMFILE). */
static int
pipe_take(struct acore_dispatcher *d)
{
	struct acore_loop *loop = d->loop;
	struct acore_pipe *p;
	int fds[2], rc;

	if (loop->pipe_free == 0 && (rc = pipes_grow(loop)) < 0)
		return rc;
	p = &loop->pipes[loop->pipe_free - 1];
	if (p->rd < 0) {
		if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0)
			return -errno;
		p->rd = fds[0];
		p->wr = fds[1];
		/* Refused (pipe-max-size, a user's pipe quota): 64 KiB it is. */
		(void)fcntl(p->wr, F_SETPIPE_SZ, PIPE_BYTES);
	} else
		loop->nkept--;
	d->pipe = loop->pipe_free;
	loop->pipe_free = p->next_free;
	p->held = 0;
	return 0;
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/* d's pipe back to the loop: kept if empty and few are, else closed. */
static void
pipe_give(struct acore_dispatcher *d)
{
	struct acore_loop *loop = d->loop;
	struct acore_pipe *p = pipe_of(d);

	if (p == NULL)
		return;
	if (p->held > 0 || loop->nkept >= PIPES_KEPT) {
		close(p->rd);
		close(p->wr);
		p->rd = p->wr = -1;
	} else
		loop->nkept++;
	p->held = 0;
	p->next_free = loop->pipe_free;
	loop->pipe_free = d->pipe;
	d->pipe = 0;
}

/* A channel closing: bytes still in its pipe are dropped with it. */
void
acore__pipe_drop(struct acore_dispatcher *d)
{
	pipe_give(d);
}

void
acore__pipes_free(struct acore_loop *loop)
{
	uint32_t i;

	for (i = 0; i < loop->npipes; i++)
		if (loop->pipes[i].rd >= 0) {
			close(loop->pipes[i].rd);
			close(loop->pipes[i].wr);
		}
	free(loop->pipes);
	loop->pipes = NULL;
	loop->npipes = 0;
}

/*
 * Send from the pipe as much as the socket takes: the bytes sent (0: none
 * now), or after a failure, which ran handle_close or handle_error as a
 * send's does, a negative errno.
 */
int
acore__pipe_flush(struct acore_dispatcher *d)
{
	struct acore_pipe *p = pipe_of(d);
	struct acore__sigpipe sp;
	size_t sent = 0;
	ssize_t n;
	int err;

	if (p == NULL)
		return 0;
	while (p->held > 0) {
		acore__sigpipe_block(&sp);
		n = splice(p->rd, NULL, d->fd, NULL, p->held,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		acore__sigpipe_restore(&sp, n);
		if (n > 0) {
			p->held -= (size_t)n;
			sent += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		err = n == 0 ? -EPIPE : -errno;
		if (acore__is_disconnect(-err))
			acore__handle_close(d, err);
		else
			acore__handle_error(d, err);
		return err;
	}
	if (sent > 0)
		acore__touch(d);
	if (p->held == 0)
		pipe_give(d);
	return sent > INT32_MAX ? INT32_MAX : (int)sent;
}

/*
 * acore_send behind bytes in the pipe: they move to the copy queue first,
 * so the order holds.  0, or a negative errno (the channel is unchanged).
 */
int
acore__pipe_unsplice(struct acore_dispatcher *d)
{
	struct acore_pipe *p = pipe_of(d);
	char buf[4096];
	ssize_t n;
	int rc;

	if (p == NULL)
		return 0;
	while (p->held > 0) {
		n = read(p->rd, buf, p->held < sizeof(buf) ? p->held :
		    sizeof(buf));
		if (n <= 0)
			return n < 0 && errno != EINTR ? -errno : -EIO;
		if ((rc = acore__buf_append(&d->out, buf, (size_t)n)) < 0)
			return rc;
		p->held -= (size_t)n;
	}
	pipe_give(d);
	return 0;
}

/* Descriptors splice(2) reaches directly: plain sockets and files. */
static int
can_splice(const struct acore_dispatcher *d)
{
	return d->tp == &acore__socket_transport ||
	    d->tp == &acore__file_transport;
}

/*
 * The first step's failure, as acore_recv's: 0 after from's handle_close
 * (end of stream, a disconnect), -EAGAIN, -EOPNOTSUPP, or a negative errno
 * after from's handle_error.
 */
static ssize_t
splice_failed(struct acore_dispatcher *from, ssize_t n, int err)
{
	if (n == 0) {
		acore__handle_close(from, 0);
		return 0;
	}
	if (err == EAGAIN || err == EINTR)
		return -EAGAIN;
	/* A descriptor splice(2) cannot read (nothing was moved). */
	if (err == EINVAL)
		return -EOPNOTSUPP;
	if (acore__is_disconnect(err)) {
		acore__handle_close(from, -err);
		return 0;
	}
	acore__handle_error(from, -err);
	return -err;
}

ssize_t
acore_splice(struct acore_dispatcher *from, struct acore_dispatcher *to,
    size_t len)
{
	struct acore_pipe *p;
	size_t moved = 0, step;
	ssize_t n;
	int rc;

	if (from == NULL || to == NULL || to->kind != ACORE_KIND_WITH_SEND ||
	    from->loop != to->loop)
		return -EINVAL;
	if ((from->flags | to->flags) & ACORE_CLOSED || from->fd < 0 ||
	    to->fd < 0)
		return -EBADF;
	if (!can_splice(from) || to->tp != &acore__socket_transport ||
	    from->handshaking || (from->flags & ACORE_ACCEPTING))
		return -EOPNOTSUPP;
	if (to->shut_wr != 0)
		return -EPIPE;
	if (from->cut != 0)
		return splice_failed(from, -1, acore__take_cut(from));
	/* Only into an empty queue: never more than the peer can take. */
	if (!(to->flags & ACORE_CONNECTED) || acore_pending(to) > 0)
		return -EAGAIN;
	if (len > SPLICE_MAX)
		len = SPLICE_MAX;
	/*
	 * In steps, each sent before the next is read: the peer gets its
	 * first echo sooner, and the pages it sent are its own again sooner
	 * (they are in our pipe until sent).  bench/echo.sh bulk, one client:
	 * 64 KiB steps ran at 1.4-1.6x the speed of one 256 KiB splice, and
	 * a single 64 KiB splice per read event lost a tenth of the speed
	 * with a hundred clients (a loop pass per 64 KiB).
	 */
	while (moved < len) {
		step = len - moved < SPLICE_STEP ? len - moved : SPLICE_STEP;
		if ((rc = pipe_take(to)) < 0)
			return moved > 0 ? (ssize_t)moved : rc;
		if ((p = pipe_of(to)) == NULL)
			return -ENOMEM;	/* pipe_take gave none: cannot happen */
		n = splice(from->fd, NULL, p->wr, NULL, step,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n <= 0) {
			rc = n < 0 ? errno : 0;
			pipe_give(to);
			if (moved == 0)
				return splice_failed(from, n, rc);
			/*
			 * Behind bytes already moved: the end of stream is
			 * there again on the next read, but an error is told
			 * once, so from keeps it for that read.
			 */
			if (n < 0 && rc != EAGAIN && rc != EINTR)
				from->cut = (uint8_t)(rc < 256 ? rc : EIO);
			break;
		}
		acore__touch(from);
		p->held = (size_t)n;
		moved += (size_t)n;
		if ((rc = acore__with_send_flush(to)) < 0)
			return rc;
		/* A short read (drained), or bytes the socket left us. */
		if ((size_t)n < step || to->pipe != 0 ||
		    ((from->flags | to->flags) & ACORE_CLOSED))
			break;
	}
	return (ssize_t)moved;
}
