/*
 * chat.c: async_chat, a channel that splits its input into messages by a
 * terminator and sends a queue of pushed data and producers.
 *
 * Input.  Each read event does one recv of ac_in_buffer_size bytes, placed
 * after the bytes held back from the previous read, and the scanner walks
 * what is there with the terminator in force at each step, so a terminator
 * changed inside found_terminator() applies to the rest of the same read.
 * Bytes are handed to collect_incoming_data() as soon as they are known not
 * to belong to a terminator: only a trailing proper prefix of a string
 * terminator is held back, so the buffer never holds more than
 * ac_in_buffer_size plus the terminator's length.  What grows is the
 * message the caller assembles from the pieces, so that is what the input
 * limit bounds (bytes collected since the last found_terminator() while a
 * string terminator is being looked for).
 *
 * Output.  Python 2.5's path, the one the PyMOTW transcript was printed
 * with: push() and push_with_producer() queue and call initiate_send() at
 * once, even before the connection is up.  initiate_send() tops up one
 * output buffer with ONE piece from the head of the queue (popping
 * exhausted producers on the way) when the buffer holds fewer than
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

#include "acore-internal.h"

#define CHAT_BUFFER_SIZE	65536		/* ac_in/out_buffer_size */
#define CHAT_MAX_INPUT		(1024 * 1024)
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

TAILQ_HEAD(chat_queue, chat_item);

struct acore_chat {
	/* terminator */
	int			 kind;		/* ACORE_TERM_* */
	char			*term;		/* ACORE_TERM_STRING */
	size_t			 term_len;
	size_t			 count;		/* ACORE_TERM_COUNT: bytes left */

	/* input: bytes [pos, end) of in[] are not scanned yet */
	char			*in;
	size_t			 in_cap;
	size_t			 pos;
	size_t			 end;
	size_t			 in_size;	/* ac_in_buffer_size */
	size_t			 msg;		/* collected since found_terminator */
	size_t			 max_input;

	/* output */
	struct acore_buf	 out;		/* ac_out_buffer */
	size_t			 out_size;	/* ac_out_buffer_size */
	struct chat_queue	 queue;		/* producer_fifo */
	size_t			 queued;	/* bytes in ITEM_DATA entries */
	unsigned		 gen;		/* bumped by discard_buffers */
	int			 sending;	/* inside initiate_send */
	int			 eof;		/* input ended, channel kept open */
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

/* Feed bytes as if one read had returned them (tests and the fuzzer). */
int	 acore__chat_feed(struct acore_dispatcher *d, const void *buf,
	    size_t len);

static struct acore_chat *chat_of(const struct acore_dispatcher *d);
static int	 chat_reserve(struct acore_chat *c, size_t extra);
static const char *find_term(const char *p, size_t n, const char *t,
	    size_t tl);
static size_t	 prefix_at_end(const char *p, size_t n, const char *t,
	    size_t tl);
static int	 deliver(struct acore_dispatcher *d, const char *p, size_t n);
static void	 found(struct acore_dispatcher *d);
static void	 chat_scan(struct acore_dispatcher *d);
static struct chat_item *item_new(struct acore_chat *c,
	    enum chat_item_type type);
static void	 item_free(struct acore_chat *c, struct chat_item *it);
static void	 chat_refill(struct acore_dispatcher *d);
static void	 chat_initiate_send(struct acore_dispatcher *d);

struct acore_dispatcher *
acore_chat_new(struct acore_loop *loop, const struct acore_ops *ops,
    void *arg)
{
	struct acore_dispatcher *d;
	struct acore_chat *c;

	/* Allocated first: nothing may fail once the channel is in the map. */
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->kind = ACORE_TERM_NONE;
	c->in_size = CHAT_BUFFER_SIZE;
	c->out_size = CHAT_BUFFER_SIZE;
	c->max_input = CHAT_MAX_INPUT;
	TAILQ_INIT(&c->queue);
	if ((d = acore__dispatcher_new(loop, ACORE_KIND_CHAT, ops, arg)) ==
	    NULL) {
		free(c);
		return NULL;
	}
	d->chat = c;
	return d;
}

void
acore__chat_free(struct acore_chat *c)
{
	struct chat_item *it;

	if (c == NULL)
		return;
	while ((it = TAILQ_FIRST(&c->queue)) != NULL)
		item_free(c, it);
	acore__buf_free(&c->out);
	free(c->term);
	free(c->in);
	free(c);
}

static struct acore_chat *
chat_of(const struct acore_dispatcher *d)
{
	if (d == NULL || d->kind != ACORE_KIND_CHAT)
		return NULL;
	return d->chat;
}

/* ------------------------------------------------------------ terminator */

int
acore_chat_set_terminator(struct acore_dispatcher *d, const void *term,
    size_t len)
{
	struct acore_chat *c;
	char *t;

	if ((c = chat_of(d)) == NULL || term == NULL || len == 0)
		return -EINVAL;
	/* Copy before freeing: term may point into the old terminator. */
	if ((t = malloc(len)) == NULL)
		return -ENOMEM;
	memcpy(t, term, len);
	free(c->term);
	c->term = t;
	c->term_len = len;
	c->kind = ACORE_TERM_STRING;
	return 0;
}

int
acore_chat_set_terminator_count(struct acore_dispatcher *d, size_t count)
{
	struct acore_chat *c;

	if ((c = chat_of(d)) == NULL)
		return -EINVAL;
	c->kind = ACORE_TERM_COUNT;
	c->count = count;
	return 0;
}

int
acore_chat_set_terminator_none(struct acore_dispatcher *d)
{
	struct acore_chat *c;

	if ((c = chat_of(d)) == NULL)
		return -EINVAL;
	c->kind = ACORE_TERM_NONE;
	return 0;
}

int
acore_chat_get_terminator(const struct acore_dispatcher *d, size_t *count)
{
	struct acore_chat *c;

	if ((c = chat_of(d)) == NULL)
		return -EINVAL;
	if (count != NULL)
		*count = c->kind == ACORE_TERM_COUNT ? c->count : 0;
	return c->kind;
}

int
acore_chat_set_buffer_sizes(struct acore_dispatcher *d, size_t in, size_t out)
{
	struct acore_chat *c;

	if ((c = chat_of(d)) == NULL || in == 0 || out == 0)
		return -EINVAL;
	/* in[] grows before the next recv, never under the scanner's feet. */
	c->in_size = in;
	c->out_size = out;
	return 0;
}

void
acore_chat_set_max_input(struct acore_dispatcher *d, size_t bytes)
{
	struct acore_chat *c;

	if ((c = chat_of(d)) != NULL)
		c->max_input = bytes;
}

/* ----------------------------------------------------------------- input */

/* Room for extra more bytes after the unscanned ones. */
static int
chat_reserve(struct acore_chat *c, size_t extra)
{
	char *p;

	if (extra > SIZE_MAX - c->end)
		return -ENOMEM;
	if (c->end + extra <= c->in_cap)
		return 0;
	if ((p = realloc(c->in, c->end + extra)) == NULL)
		return -ENOMEM;
	c->in = p;
	c->in_cap = c->end + extra;
	return 0;
}

/* First occurrence of t in p[0, n), or NULL. */
static const char *
find_term(const char *p, size_t n, const char *t, size_t tl)
{
	const char *q, *last;

	if (tl > n)
		return NULL;
	last = p + (n - tl);		/* last place a match can start */
	for (q = p; q <= last; q++) {
		if ((q = memchr(q, t[0], (size_t)(last - q) + 1)) == NULL)
			return NULL;
		if (memcmp(q + 1, t + 1, tl - 1) == 0)
			return q;
	}
	return NULL;
}

/*
 * asynchat's find_prefix_at_end: length of the longest proper prefix of t
 * that ends p[0, n).  Those bytes may be the start of a terminator split by
 * the read, so they are held back.
 */
static size_t
prefix_at_end(const char *p, size_t n, const char *t, size_t tl)
{
	size_t l;

	for (l = tl - 1 < n ? tl - 1 : n; l > 0; l--)
		if (memcmp(p + n - l, t, l) == 0)
			return l;
	return 0;
}

/*
 * Hand n bytes to collect_incoming_data().  Returns 0 when the channel
 * closed meanwhile or the message went over the input limit; the limit
 * drops what is left of this read, since a handle_error that keeps the
 * channel open cannot want the rest of an over-long message.
 */
static int
deliver(struct acore_dispatcher *d, const char *p, size_t n)
{
	struct acore_chat *c = d->chat;

	if (d->flags & ACORE_CLOSED)
		return 0;
	if (c->kind == ACORE_TERM_STRING && c->max_input > 0 &&
	    (n > c->max_input || c->msg > c->max_input - n)) {
		c->pos = c->end = 0;
		c->msg = 0;
		acore__handle_error(d, -EMSGSIZE);
		return 0;
	}
	c->msg += n;
	if (d->ops->collect_incoming_data != NULL)
		d->ops->collect_incoming_data(d, p, n, d->arg);
	return !(d->flags & ACORE_CLOSED);
}

static void
found(struct acore_dispatcher *d)
{
	d->chat->msg = 0;
	if (!(d->flags & ACORE_CLOSED) && d->ops->found_terminator != NULL)
		d->ops->found_terminator(d, d->arg);
}

/*
 * asynchat's handle_read loop over in[pos, end).  Every hook may change the
 * terminator, discard the buffers (pos = end = 0 ends the loop) or close
 * the channel, so the state is read afresh after each call; in[] itself
 * only moves in chat_reserve(), never during a scan.
 */
static void
chat_scan(struct acore_dispatcher *d)
{
	struct acore_chat *c = d->chat;
	const char *p, *t;
	size_t n, k;

	while (c->pos < c->end && !(d->flags & ACORE_CLOSED)) {
		p = c->in + c->pos;
		n = c->end - c->pos;
		if (c->kind == ACORE_TERM_STRING) {
			if ((t = find_term(p, n, c->term, c->term_len)) !=
			    NULL) {
				k = (size_t)(t - p);
				c->pos += k + c->term_len;
				/* An empty message is never collected. */
				if (k > 0 && !deliver(d, p, k))
					break;
				found(d);
				continue;
			}
			k = prefix_at_end(p, n, c->term, c->term_len);
			if (k == n)
				break;
			c->pos += n - k;
			if (!deliver(d, p, n - k) || k > 0)
				break;
		} else if (c->kind == ACORE_TERM_COUNT && c->count > 0) {
			if (n < c->count) {
				c->count -= n;
				c->pos = c->end;
				deliver(d, p, n);
			} else {
				k = c->count;
				c->count = 0;
				c->pos += k;
				if (deliver(d, p, k))
					found(d);
			}
		} else {
			/* None, or a count run down to 0: collect it all. */
			c->pos = c->end;
			deliver(d, p, n);
		}
	}
	if (c->pos > 0) {
		memmove(c->in, c->in + c->pos, c->end - c->pos);
		c->end -= c->pos;
		c->pos = 0;
	}
}

void
acore__chat_handle_read(struct acore_dispatcher *d)
{
	struct acore_chat *c = d->chat;
	ssize_t n;

	if (chat_reserve(c, c->in_size) < 0) {
		acore__handle_error(d, -ENOMEM);
		return;
	}
	/* 0: handle_close ran; -EAGAIN: spurious (ignored); else handle_error. */
	if ((n = acore_recv(d, c->in + c->end, c->in_size)) == 0 &&
	    !(d->flags & ACORE_CLOSED)) {
		/*
		 * A handle_close that kept the channel open (to finish
		 * sending) is done reading: the end of stream would keep it
		 * readable and the loop spinning.
		 */
		c->eof = 1;
		acore__sync(d);
	}
	if (n <= 0)
		return;
	c->end += (size_t)n;
	chat_scan(d);
}

int
acore__chat_feed(struct acore_dispatcher *d, const void *buf, size_t len)
{
	struct acore_chat *c;

	if ((c = chat_of(d)) == NULL)
		return -EINVAL;
	if (d->flags & ACORE_CLOSED)
		return -EPIPE;
	if (chat_reserve(c, len) < 0)
		return -ENOMEM;
	if (len > 0)
		memcpy(c->in + c->end, buf, len);
	c->end += len;
	chat_scan(d);
	return 0;
}

int
acore__chat_readable(struct acore_dispatcher *d)
{
	return !(d->flags & ACORE_CLOSED) && !d->chat->eof;
}

/* ---------------------------------------------------------------- output */

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
				acore__handle_close(d);
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

static void
chat_initiate_send(struct acore_dispatcher *d)
{
	struct acore_chat *c = d->chat;
	ssize_t n;

	/* A producer's more() that pushes only queues; this call sends. */
	if (c->sending)
		return;
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
}

void
acore__chat_handle_write(struct acore_dispatcher *d)
{
	chat_initiate_send(d);
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

	if ((c = chat_of(d)) == NULL || (buf == NULL && len > 0))
		return -EINVAL;
	if (d->flags & ACORE_CLOSED)
		return -EPIPE;
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
	chat_initiate_send(d);
	return 0;
}

int
acore_chat_push_with_producer(struct acore_dispatcher *d,
    const struct acore_producer_ops *ops, void *arg)
{
	struct acore_chat *c;
	struct chat_item *it;
	int err;

	err = -EINVAL;
	if ((c = chat_of(d)) == NULL || ops == NULL || ops->more == NULL)
		goto fail;
	err = -EPIPE;
	if (d->flags & ACORE_CLOSED)
		goto fail;
	err = -ENOMEM;
	if ((it = item_new(c, ITEM_PRODUCER)) == NULL)
		goto fail;
	it->pops = ops;
	it->parg = arg;
	chat_initiate_send(d);
	return 0;
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

	if ((c = chat_of(d)) == NULL)
		return -EINVAL;
	if (d->flags & ACORE_CLOSED)
		return 0;
	/* As in 2.5, the marker is acted on by the next write event. */
	if (item_new(c, ITEM_CLOSE) == NULL)
		return -ENOMEM;
	acore__sync(d);
	return 0;
}

void
acore_chat_discard_buffers(struct acore_dispatcher *d)
{
	struct acore_chat *c;
	struct chat_item *it;

	if ((c = chat_of(d)) == NULL)
		return;
	c->pos = c->end = 0;
	c->msg = 0;
	c->out.head = c->out.len = 0;
	c->gen++;
	while ((it = TAILQ_FIRST(&c->queue)) != NULL)
		item_free(c, it);
	if (!(d->flags & ACORE_CLOSED))
		acore__sync(d);
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
