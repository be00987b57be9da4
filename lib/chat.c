/*
 * chat.c: async_chat, a channel that splits its input into messages by a
 * terminator; its output side is chat-send.c.
 *
 * Each read event does one recv of ac_in_buffer_size bytes, placed after
 * the bytes held back from the previous read, and the scanner walks what
 * is there with the terminator in force at each step, so a terminator
 * changed inside found_terminator() applies to the rest of the same read.
 * Bytes are handed to collect_incoming_data() as soon as they are known not
 * to belong to a terminator: only a trailing proper prefix of a string
 * terminator is held back, so the buffer never holds more than
 * ac_in_buffer_size plus the terminator's length.  What grows is the
 * message the caller assembles from the pieces, so that is what the input
 * limit bounds (bytes collected since the last found_terminator() while a
 * string terminator is being looked for).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"

#define CHAT_BUFFER_SIZE	65536		/* ac_in/out_buffer_size */
#define CHAT_MAX_INPUT		(1024 * 1024)

static int	 chat_reserve(struct acore_chat *c, size_t extra);
static const char *find_term(const char *p, size_t n, const char *t,
	    size_t tl);
static size_t	 prefix_at_end(const char *p, size_t n, const char *t,
	    size_t tl);
static int	 deliver(struct acore_dispatcher *d, const char *p, size_t n);
static void	 found(struct acore_dispatcher *d);
static void	 chat_scan(struct acore_dispatcher *d);

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
	if (c == NULL)
		return;
	acore__chat_send_free(c);
	free(c->term);
	free(c->in);
	free(c);
}

struct acore_chat *
acore__chat_of(const struct acore_dispatcher *d)
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

	if ((c = acore__chat_of(d)) == NULL || term == NULL || len == 0)
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

	if ((c = acore__chat_of(d)) == NULL)
		return -EINVAL;
	c->kind = ACORE_TERM_COUNT;
	c->count = count;
	return 0;
}

int
acore_chat_set_terminator_none(struct acore_dispatcher *d)
{
	struct acore_chat *c;

	if ((c = acore__chat_of(d)) == NULL)
		return -EINVAL;
	c->kind = ACORE_TERM_NONE;
	return 0;
}

int
acore_chat_get_terminator(const struct acore_dispatcher *d, size_t *count)
{
	struct acore_chat *c;

	if ((c = acore__chat_of(d)) == NULL)
		return -EINVAL;
	if (count != NULL)
		*count = c->kind == ACORE_TERM_COUNT ? c->count : 0;
	return c->kind;
}

int
acore_chat_set_buffer_sizes(struct acore_dispatcher *d, size_t in, size_t out)
{
	struct acore_chat *c;

	if ((c = acore__chat_of(d)) == NULL || in == 0 || out == 0)
		return -EINVAL;
	/* in[] grows before the next recv, never under the scanner's feet. */
	c->in_size = in;
	c->out_size = out;
	return 0;
}

int
acore_chat_set_max_input(struct acore_dispatcher *d, size_t bytes)
{
	struct acore_chat *c;

	if ((c = acore__chat_of(d)) == NULL)
		return -EINVAL;
	c->max_input = bytes;
	return 0;
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

/*
 * The loop's scratch buffer is the read buffer of every chat channel with
 * nothing held back.  An idle channel then owns no input buffer at all
 * (10,000 idle channels would otherwise pin 64 KiB each); only a held-back
 * partial terminator is copied into the channel's own buffer after the
 * scan.  One per loop, not per process: loops in other threads have their
 * own.
 *
 * gcc 12 -fanalyzer thinks a channel's own buffer may be the scratch one
 * (it never is), then that the memcpy() below may get c->in NULL.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-null-argument"
#endif
void
acore__chat_handle_read(struct acore_dispatcher *d)
{
	struct acore_loop *loop = d->loop;
	struct acore_chat *c = d->chat;
	char *own = NULL;
	size_t own_cap = 0;
	ssize_t n;

	if (c->end == 0) {
		if (loop->chat_scratch_cap < c->in_size) {
			free(loop->chat_scratch);
			loop->chat_scratch_cap = 0;
			if ((loop->chat_scratch = malloc(c->in_size)) ==
			    NULL) {
				acore__handle_error(d, -ENOMEM);
				return;
			}
			loop->chat_scratch_cap = c->in_size;
		}
		own = c->in;
		own_cap = c->in_cap;
		c->in = loop->chat_scratch;
		c->in_cap = loop->chat_scratch_cap;
	} else if (chat_reserve(c, c->in_size) < 0) {
		acore__handle_error(d, -ENOMEM);
		return;
	}
	/* 0: handle_close ran; -EAGAIN: spurious (ignored); else handle_error. */
	if ((n = acore_recv(d, c->in + c->end, c->in_size)) == 0 &&
	    !(d->flags & ACORE_CLOSED)) {
		/*
		 * A handle_close that kept the channel open (to finish
		 * sending) is done reading: the end of stream would keep it
		 * readable and the loop spinning.  The flag, not shutdown(2),
		 * which fails on a socket the peer has reset.
		 */
		d->flags |= ACORE_SHUT_RD;
		acore__sync(d);
	}
	if (n > 0) {
		c->end += (size_t)n;
		chat_scan(d);
	}
	if (c->in != loop->chat_scratch)
		return;
	/* Keep what the scan held back, in the channel's own buffer. */
	c->in = own;
	c->in_cap = own_cap;
	if (c->end > 0) {
		n = (ssize_t)c->end;
		c->end = 0;
		if (chat_reserve(c, (size_t)n) < 0) {
			acore__handle_error(d, -ENOMEM);
			return;
		}
		memcpy(c->in, loop->chat_scratch, (size_t)n);
		c->end = (size_t)n;
	} else if (c->in_cap > 256) {
		free(c->in);
		c->in = NULL;
		c->in_cap = 0;
	}
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

int
acore__chat_feed(struct acore_dispatcher *d, const void *buf, size_t len)
{
	struct acore_chat *c;

	if ((c = acore__chat_of(d)) == NULL)
		return -EINVAL;
	if (d->flags & ACORE_CLOSED)
		return -EBADF;
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
	return !(d->flags & ACORE_CLOSED);
}

int
acore_chat_discard_buffers(struct acore_dispatcher *d)
{
	struct acore_chat *c;

	if ((c = acore__chat_of(d)) == NULL)
		return -EINVAL;
	c->pos = c->end = 0;
	c->msg = 0;
	acore__chat_send_discard(c);
	if (!(d->flags & ACORE_CLOSED))
		acore__sync(d);
	return 0;
}
