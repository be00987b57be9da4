/*
 * chat-send.c: async_chat's output side: the queue of pushed data,
 * producers and close markers, and simple_producer.
 *
 * Python 2.5's path, the one the PyMOTW transcript was printed with:
 * push() and push_with_producer() queue and call initiate_send() at once,
 * even before the connection is up.  initiate_send() tops up one output
 * buffer with ONE piece from the head of the queue (popping exhausted
 * producers on the way) when the buffer holds fewer than
 * ac_out_buffer_size bytes, then sends at most that many bytes of it.
 * Later Pythons send each queued item on its own and call more() lazily;
 * that gives other send sizes and a different order of more() calls, which
 * the transcript rules out.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"

#define SIMPLE_PIECE		512		/* simple_producer's default */

enum chat_item_type {
	ITEM_DATA,		/* pushed bytes; adjacent pushes share one */
	ITEM_PRODUCER,
	ITEM_CLOSE		/* close_when_done() marker */
};

struct chat_item {
	TAILQ_ENTRY(chat_item)	 link;
	enum chat_item_type	 type;
	struct acore_buf	 buf;		/* ITEM_DATA */
	const struct acore_producer_ops *pops;	/* ITEM_PRODUCER */
	void			*parg;
};

struct acore_simple_producer {
	size_t	 len;
	size_t	 off;
	size_t	 piece;
	char	 data[];
};

const struct acore_producer_ops acore_simple_producer_ops = {
	.more = acore_simple_producer_more,
	.free = acore_simple_producer_free,
};

static struct chat_item *item_new(struct acore_chat *c,
	    enum chat_item_type type);
static void	 item_free(struct acore_chat *c, struct chat_item *it);
static void	 chat_refill(struct acore_dispatcher *d);
static int	 chat_initiate_send(struct acore_dispatcher *d);

static struct chat_item *
item_new(struct acore_chat *c, enum chat_item_type type)
{
	struct chat_item *it;

	if ((it = calloc(1, sizeof(*it))) == NULL)
		return NULL;
	it->type = type;
	TAILQ_INSERT_TAIL(&c->queue, it, link);
	return it;
}

static void
item_free(struct acore_chat *c, struct chat_item *it)
{
	TAILQ_REMOVE(&c->queue, it, link);
#ifdef __clang_analyzer__
	/* scan-build misses the head update made through tqe_prev. */
	if (TAILQ_FIRST(&c->queue) == it)
		abort();
#endif
	if (it->type == ITEM_DATA) {
		c->queued -= it->buf.len;
		acore__buf_free(&it->buf);
	} else if (it->type == ITEM_PRODUCER && it->pops->free != NULL)
		it->pops->free(it->parg);
	free(it);
}

/*
 * asynchat 2.5's refill_buffer: append at most one piece from the head of
 * the queue to the output buffer; a close marker closes once the buffer
 * has drained.
 */
static void
chat_refill(struct acore_dispatcher *d)
{
	struct acore_chat *c = d->chat;
	struct chat_item *it;
	const void *piece;
	size_t n;
	unsigned gen;

	while ((it = TAILQ_FIRST(&c->queue)) != NULL) {
		switch (it->type) {
		case ITEM_CLOSE:
			/*
			 * 2.5 called close() here; handle_close (whose
			 * default is acore_close) lets the owner see the
			 * channel go while its descriptor is still there.
			 */
			if (c->out.len == 0) {
				item_free(c, it);
				acore__handle_close(d, 0);
			}
			return;
		case ITEM_DATA:
			if (c->out.len == 0) {
				/* Take the bytes over instead of copying. */
				struct acore_buf tmp = c->out;

				c->out = it->buf;
				it->buf = tmp;
				c->queued -= c->out.len;
			} else if (acore__buf_append(&c->out,
			    it->buf.data + it->buf.head, it->buf.len) < 0) {
				acore__handle_error(d, -ENOMEM);
				return;
			}
			item_free(c, it);
			return;
		case ITEM_PRODUCER:
			gen = c->gen;
			piece = NULL;
			n = it->pops->more(it->parg, &piece);
			/* more() may have discarded the queue or closed. */
			/* cppcheck-suppress knownConditionTrueFalse ; more() may bump c->gen */
			if (gen != c->gen || (d->flags & ACORE_CLOSED))
				return;
			if (n == 0) {
				item_free(c, it);
				continue;
			}
			if (acore__buf_append(&c->out, piece, n) < 0)
				acore__handle_error(d, -ENOMEM);
			return;
		}
	}
}

/* 0, or the negative errno of a failed send (its hook has run). */
static int
chat_initiate_send(struct acore_dispatcher *d)
{
	struct acore_chat *c = d->chat;
	ssize_t n = 0;

	/* A producer's more() that pushes only queues; this call sends. */
	if (c->sending)
		return 0;
	c->sending = 1;
	if (c->out.len < c->out_size)
		chat_refill(d);
	if (c->out.len > 0 &&
	    (d->flags & (ACORE_CONNECTED | ACORE_CLOSED)) == ACORE_CONNECTED) {
		n = acore__send_raw(d, c->out.data + c->out.head,
		    c->out.len < c->out_size ? c->out.len : c->out_size);
		if (n > 0)
			acore__buf_consume(&c->out, (size_t)n);
	}
	c->sending = 0;
	if (!(d->flags & ACORE_CLOSED))
		acore__sync(d);
	return n < 0 ? (int)n : 0;
}

void
acore__chat_handle_write(struct acore_dispatcher *d)
{
	(void)chat_initiate_send(d);
}

int
acore__chat_writable(struct acore_dispatcher *d)
{
	struct acore_chat *c = d->chat;

	if (d->flags & ACORE_CONNECTING)
		return 1;
	/* Output pushed before a connect waits for it; asking would spin. */
	if (!(d->flags & ACORE_CONNECTED))
		return 0;
	return c->out.len > 0 || !TAILQ_EMPTY(&c->queue);
}

void
acore__chat_connected(struct acore_dispatcher *d)
{
	/* What was pushed while connecting can go now. */
	if (!(d->flags & ACORE_CLOSED))
		acore__sync(d);
}

size_t
acore__chat_pending(const struct acore_dispatcher *d)
{
	const struct acore_chat *c = d->chat;

	return c->out.len + c->queued;
}

int
acore_chat_push(struct acore_dispatcher *d, const void *buf, size_t len)
{
	struct acore_chat *c;
	struct chat_item *it;
	int r;

	if ((c = acore__chat_of(d)) == NULL || (buf == NULL && len > 0))
		return -EINVAL;
	if (d->flags & ACORE_CLOSED)
		return -EBADF;
	if (len == 0)
		return 0;
	it = TAILQ_LAST(&c->queue, chat_queue);
	if (it == NULL || it->type != ITEM_DATA) {
		if ((it = item_new(c, ITEM_DATA)) == NULL)
			return -ENOMEM;
	}
	if ((r = acore__buf_append(&it->buf, buf, len)) < 0) {
		if (it->buf.len == 0)
			item_free(c, it);
		return r;
	}
	c->queued += len;
	return chat_initiate_send(d);
}

int
acore_chat_push_with_producer(struct acore_dispatcher *d,
    const struct acore_producer_ops *ops, void *arg)
{
	struct acore_chat *c;
	struct chat_item *it;
	int err;

	err = -EINVAL;
	if ((c = acore__chat_of(d)) == NULL || ops == NULL || ops->more == NULL)
		goto fail;
	err = -EBADF;
	if (d->flags & ACORE_CLOSED)
		goto fail;
	err = -ENOMEM;
	if ((it = item_new(c, ITEM_PRODUCER)) == NULL)
		goto fail;
	it->pops = ops;
	it->parg = arg;
	return chat_initiate_send(d);
fail:
	/* The queue owns arg from the call on, even when it fails. */
	if (ops != NULL && ops->free != NULL)
		ops->free(arg);
	return err;
}

int
acore_chat_close_when_done(struct acore_dispatcher *d)
{
	struct acore_chat *c;

	if ((c = acore__chat_of(d)) == NULL)
		return -EINVAL;
	if (d->flags & ACORE_CLOSED)
		return -EBADF;
	/* As in 2.5, the marker is acted on by the next write event. */
	if (item_new(c, ITEM_CLOSE) == NULL)
		return -ENOMEM;
	acore__sync(d);
	return 0;
}

void
acore__chat_send_discard(struct acore_chat *c)
{
	struct chat_item *it;

	c->out.head = c->out.len = 0;
	c->gen++;
	while ((it = TAILQ_FIRST(&c->queue)) != NULL)
		item_free(c, it);
}

void
acore__chat_send_free(struct acore_chat *c)
{
	struct chat_item *it;

	while ((it = TAILQ_FIRST(&c->queue)) != NULL)
		item_free(c, it);
	acore__buf_free(&c->out);
}

/* ------------------------------------------------------- simple producer */

struct acore_simple_producer *
acore_simple_producer_new(const void *data, size_t len, size_t piece)
{
	struct acore_simple_producer *p;

	if (data == NULL && len > 0) {
		errno = EINVAL;
		return NULL;
	}
	if (len > SIZE_MAX - sizeof(*p)) {
		errno = ENOMEM;
		return NULL;
	}
	if ((p = malloc(sizeof(*p) + len)) == NULL)
		return NULL;
	if (len > 0)
		memcpy(p->data, data, len);
	p->len = len;
	p->off = 0;
	p->piece = piece > 0 ? piece : SIMPLE_PIECE;
	return p;
}

size_t
acore_simple_producer_more(void *arg, const void **data)
{
	struct acore_simple_producer *p = arg;
	size_t n;

	n = p->len - p->off;
	if (n > p->piece)
		n = p->piece;
	*data = p->data + p->off;
	p->off += n;
	return n;
}

void
acore_simple_producer_free(void *arg)
{
	free(arg);
}
