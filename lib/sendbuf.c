/*
 * sendbuf.c: the output byte queue and dispatcher_with_send's flush, with
 * its half-close once the queue drains (acore_shutdown_when_done).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "acore-internal.h"

int
acore__buf_append(struct acore_buf *b, const void *p, size_t len)
{
	size_t need, cap;
	char *data;

	if (len == 0)
		return 0;
	if (b->len == 0)
		b->head = 0;
	need = b->head + b->len + len;
	if (need > b->cap) {
		/* Slide the live bytes down before growing. */
		if (b->head > 0 && b->len + len <= b->cap) {
			memmove(b->data, b->data + b->head, b->len);
			b->head = 0;
		} else {
			if (b->len + len < b->len)
				return -ENOMEM;
			cap = b->cap ? b->cap : 4096;
			while (cap < b->len + len)
				cap *= 2;
			if ((data = malloc(cap)) == NULL)
				return -ENOMEM;
			if (b->len > 0)
				memcpy(data, b->data + b->head, b->len);
			free(b->data);
			b->data = data;
			b->cap = cap;
			b->head = 0;
		}
	}
	memcpy(b->data + b->head + b->len, p, len);
	b->len += len;
	return 0;
}

void
acore__buf_consume(struct acore_buf *b, size_t len)
{
	if (len >= b->len) {
		b->head = b->len = 0;
		/* An idle connection should not pin a large buffer. */
		if (b->cap > 65536) {
			free(b->data);
			b->data = NULL;
			b->cap = 0;
		}
		return;
	}
	b->head += len;
	b->len -= len;
}

void
acore__buf_free(struct acore_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

ssize_t
acore__send_raw(struct acore_dispatcher *d, const void *buf, size_t len)
{
	ssize_t n;

	if (d->fd < 0)
		return -EBADF;
	n = d->tp->write(d, d->tp_ctx, buf, len);
	if (n >= 0) {
		if (n > 0)
			acore__touch(d);
		return n;
	}
	if (n == -EAGAIN)
		return 0;
	if (acore__is_disconnect((int)-n))
		acore__handle_close(d, (int)n);
	else
		acore__handle_error(d, (int)n);
	return n;
}

/* Reading pauses above the high-water mark and resumes below half of it. */
static void
update_pause(struct acore_dispatcher *d)
{
	size_t hw = acore__high_water(d);

	if (d->pipe != 0)
		d->paused = 1;	/* acore_splice: not a byte more than it takes */
	else if (hw == 0)
		d->paused = 0;
	else if (d->out.len > hw)
		d->paused = 1;
	else if (d->out.len <= hw / 2)
		d->paused = 0;
}

/*
 * The end of our output, asked for by acore_shutdown_when_done(): once,
 * with the transport's shutdown (TLS: close_notify, then the FIN).  A
 * failure is a send's failure: handle_close or handle_error runs.
 */
static int
shut_wr(struct acore_dispatcher *d)
{
	int rc;

	d->shut_wr = ACORE__SHUT_DONE;
	if ((rc = d->tp->shutdown(d, d->tp_ctx, SHUT_WR)) == 0)
		return 0;
	if (acore__is_disconnect(-rc))
		acore__handle_close(d, rc);
	else
		acore__handle_error(d, rc);
	return rc;
}

int
acore__with_send_flush(struct acore_dispatcher *d)
{
	ssize_t n = 0;

	if (d->out.len > 0 && (d->flags & ACORE_CONNECTED)) {
		/* One send of everything queued: the kernel takes what fits. */
		n = acore__send_raw(d, d->out.data + d->out.head, d->out.len);
		if (d->flags & ACORE_CLOSED)
			return n < 0 ? (int)n : 0;
		if (n > 0)
			acore__buf_consume(&d->out, (size_t)n);
	}
	/* acore_splice's bytes come after the copied ones. */
	if (d->pipe != 0 && d->out.len == 0 && (d->flags & ACORE_CONNECTED)) {
		n = acore__pipe_flush(d);
		if (d->flags & ACORE_CLOSED)
			return n < 0 ? (int)n : 0;
	}
	/* Not during a TLS handshake: close_notify needs it done. */
	if (d->shut_wr == ACORE__SHUT_ASKED && acore_pending(d) == 0 &&
	    (d->flags & ACORE_CONNECTED) && !d->handshaking &&
	    (n = shut_wr(d)) < 0 && (d->flags & ACORE_CLOSED))
		return (int)n;
	/* A hook that kept the channel open after a failure: still in step. */
	update_pause(d);
	acore__sync(d);
	return n < 0 ? (int)n : 0;
}

size_t
acore_pending(const struct acore_dispatcher *d)
{
	if (d->kind == ACORE_KIND_CHAT)
		return acore__chat_pending(d);
	return d->out.len + acore__piped(d);
}

int
acore_shutdown_when_done(struct acore_dispatcher *d)
{
	if (d->kind != ACORE_KIND_WITH_SEND)
		return -EINVAL;
	if (d->flags & ACORE_CLOSED)
		return -EBADF;
	if (d->shut_wr == 0)
		d->shut_wr = ACORE__SHUT_ASKED;
	/* Nothing queued and connected: the shutdown is now. */
	return acore__with_send_flush(d);
}

int
acore_set_high_water(struct acore_dispatcher *d, size_t bytes)
{
	if (d->kind != ACORE_KIND_WITH_SEND)
		return -EINVAL;
	if (d->flags & ACORE_CLOSED)
		return -EBADF;
	if (bytes != ACORE__HIGH_WATER || d->x != NULL) {
		if (acore__rare(d) == NULL)
			return -ENOMEM;
		d->x->high_water = bytes;
	}
	update_pause(d);
	acore__sync(d);
	return 0;
}
