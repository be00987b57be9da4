/*
 * echo-stream-server.c: the two EchoHandler kinds of acore echo-server.
 *
 * docs	  the library-docs handler (example 6): a dispatcher_with_send
 *	  that sends back every read.  It has no readable/writable hooks, so
 *	  an idle client costs no work per loop pass and no memory beyond
 *	  the channel itself; the library stops reading from a client whose
 *	  unsent echo passes the high-water mark.  When nothing looks at
 *	  the bytes (no -v, no --chunk-size, no TLS) they never enter user
 *	  space: acore_splice moves them from the socket back into it.
 * pymotw the PyMOTW handler (example 4): each read of chunk bytes is
 *	  queued, each write event sends (part of) the oldest chunk, and
 *	  writable() is asked and logged every pass, as in the transcript.
 *
 * Both differ from their originals in one way: end of input from the
 * client no longer closes at once.  The handler stops reading, sends back
 * everything it still holds, and only then closes, so a client that shuts
 * down its write side gets its whole echo.  The PyMOTW handler likewise
 * closes when its queue empties only once the client has finished
 * sending; closing on the first empty queue, as the article's code does,
 * loses whatever is still on the way when server and client are apart.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acore.h"
#include "cmd.h"
#include "echo.h"

#define DRAIN_SECS	30	/* for a half-closed client to take its echo */
#define PM_HIGH_WATER	(1024 * 1024)

static char	*rbuf;		/* one read buffer: the loop is single-threaded */
static size_t	 rbuf_size;
/* The channel whose acore_recv is running: its handle_close means EOF. */
static struct acore_dispatcher *in_recv;

void
echo_handler_name(int fd, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int n;

	n = snprintf(buf, size, "EchoHandler");
	if (n < 0 || (size_t)n >= size)
		return;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		echo_str_addr((struct sockaddr *)&ss, len, buf + n,
		    size - (size_t)n);
}

void
echo_handler_failed(struct acore_dispatcher *d, int rc)
{
	acore_log(ACORE_LOG_WARN, "EchoHandler", "cannot serve a client: %s",
	    acore_strerror(rc));
	if (d != NULL)
		acore_close(d);
}

/* Common set-up: adopt fd, name the channel, arm the idle timeout. */
static struct acore_dispatcher *
adopt(struct acore_dispatcher *d, const struct echo_conf *conf, int fd)
{
	char name[160];
	int rc = -ENOMEM;	/* rbuf NULL even with rbuf_size >= chunk 0 */

	if (d == NULL)
		rc = -errno;
	else if (rbuf_size < conf->chunk) {
		free(rbuf);
		if ((rbuf = malloc(conf->chunk)) != NULL)
			rbuf_size = conf->chunk;
		else {
			rbuf_size = 0;
			rc = -ENOMEM;
		}
	}
	if (d == NULL || rbuf == NULL) {
		close(fd);
		goto fail;
	}
	if ((rc = acore_set_socket(d, fd)) < 0 ||
	    (rc = echo_handler_tls(d, conf)) < 0)
		goto fail;
	/* Only -v prints the name; skip the copy for 10,000 quiet clients. */
	if (cmd_is_verbose()) {
		echo_handler_name(fd, name, sizeof(name));
		acore_set_name(d, name);
	}
	if (conf->idle > 0 && (rc = acore_set_timeout(d, conf->idle)) < 0)
		goto fail;
	return d;
fail:
	echo_handler_failed(d, rc);
	return NULL;
}

static void
close_handler(struct acore_dispatcher *d, const struct echo_conf *conf)
{
	if (acore_flags(d) & ACORE_CLOSED)
		return;
	acore_debug(d, "handle_close()");
	conf->gone(d);
	acore_close(d);
}

static void
handler_error(struct acore_dispatcher *d, int err,
    const struct echo_conf *conf)
{
	char name[160];

	if (err == -ETIMEDOUT)
		acore_debug(d, "timed out: closing");
	else {
		echo_handler_name(acore_fd(d), name, sizeof(name));
		acore_log(ACORE_LOG_WARN, name, "error: %s",
		    acore_strerror(err));
	}
	close_handler(d, conf);
}

/* ------------------------------------------------------------------ docs */

static const struct echo_conf *docs_conf;

static void
docs_finish(struct acore_dispatcher *d)
{
	if (acore_pending(d) == 0 || acore_shutdown(d, SHUT_RD) < 0) {
		close_handler(d, docs_conf);
		return;
	}
	/*
	 * Read side shut: the channel is no longer readable, and closes once
	 * the queue drains (docs_write).  A client that never takes its
	 * echo must not hold the slot, or the loop, forever.
	 */
	if (docs_conf->idle <= 0 || docs_conf->idle > DRAIN_SECS)
		acore_set_timeout(d, DRAIN_SECS);
}

/*
 * Zero copy: no -v to log the bytes, no --chunk-size to cut them, no TLS
 * to decrypt them.  The library keeps the rest as for a copy: the echo
 * queued while the client does not read (reading paused), half-close,
 * idle time.
 */
static int docs_zero_copy;

static void
docs_read(struct acore_dispatcher *d, void *arg)
{
	ssize_t n;

	(void)arg;
	in_recv = d;
	if (docs_zero_copy) {
		/* As much as the library's pipe holds: no -c to obey. */
		n = acore_splice(d, d, SIZE_MAX);
		/*
		 * Not possible now (no pipe to be had, or a copied echo
		 * still queued): this read is a copy, queued behind it.
		 */
		if (n != -EOPNOTSUPP && n != -EMFILE && n != -ENFILE &&
		    n != -ENOMEM && (n != -EAGAIN || acore_pending(d) == 0)) {
			in_recv = NULL;
			return;
		}
		if (acore_flags(d) & ACORE_CLOSED) {
			in_recv = NULL;
			return;
		}
	}
	n = acore_recv(d, rbuf, docs_conf->chunk);
	in_recv = NULL;
	if (n <= 0)
		return;
	echo_log_data(d, "handle_read()", rbuf, (size_t)n);
	acore_send(d, rbuf, (size_t)n);
}

/* After the library's flush on a write event. */
static void
docs_write(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	if ((acore_flags(d) & ACORE_SHUT_RD) && acore_pending(d) == 0)
		close_handler(d, docs_conf);
}

static void
docs_handle_close(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	if (in_recv == d)
		docs_finish(d);		/* end of input: echo the rest first */
	else
		close_handler(d, docs_conf);
}

static void
docs_error(struct acore_dispatcher *d, int err, void *arg)
{
	(void)arg;
	handler_error(d, err, docs_conf);
}

static const struct acore_ops docs_ops = {
	.name = "EchoHandler",
	.handle_read = docs_read,
	.handle_write = docs_write,
	.handle_close = docs_handle_close,
	.handle_error = docs_error,
};

static struct acore_dispatcher *
docs_start(const struct echo_conf *conf, int fd)
{
	docs_conf = conf;
	docs_zero_copy = conf->tls == NULL && !conf->chunk_set &&
	    !cmd_is_verbose();
	return adopt(acore_dispatcher_with_send_new(conf->loop, &docs_ops,
	    NULL), conf, fd);
}

const struct echo_handler_kind echo_handler_docs = {
	.start = docs_start,
	.finish = docs_finish,
};

/* ---------------------------------------------------------------- pymotw */

struct pm_chunk {
	struct pm_chunk	*next;
	size_t		 len;
	size_t		 off;		/* bytes of it already sent */
	char		 data[];
};

struct pm_handler {
	const struct echo_conf *conf;
	struct acore_dispatcher *d;
	struct pm_handler *next;	/* all live ones, for pm_finish */
	struct pm_handler **prevp;
	struct pm_chunk	*head;		/* oldest */
	struct pm_chunk	**tailp;
	size_t		 queued;	/* bytes in the queue */
	int		 eof;		/* client sent all it will send */
};

static struct pm_handler *pm_all;

static int
pm_readable(struct acore_dispatcher *d, void *arg)
{
	struct pm_handler *h = arg;

	(void)d;
	/* The docs handler's high-water mark, for a client that never reads. */
	return !h->eof && h->queued <= PM_HIGH_WATER;
}

static int
pm_writable(struct acore_dispatcher *d, void *arg)
{
	struct pm_handler *h = arg;
	int r = h->head != NULL;

	acore_debug(d, "writable() -> %s", r ? "True" : "False");
	return r;
}

static void
pm_read(struct acore_dispatcher *d, void *arg)
{
	struct pm_handler *h = arg;
	struct pm_chunk *c;
	ssize_t n;

	in_recv = d;
	n = acore_recv(d, rbuf, h->conf->chunk);
	in_recv = NULL;
	if (n <= 0)
		return;
	echo_log_data(d, "handle_read()", rbuf, (size_t)n);
	if ((c = malloc(sizeof(*c) + (size_t)n)) == NULL) {
		handler_error(d, -ENOMEM, h->conf);
		return;
	}
	c->next = NULL;
	c->len = (size_t)n;
	c->off = 0;
	memcpy(c->data, rbuf, (size_t)n);
	*h->tailp = c;
	h->tailp = &c->next;
	h->queued += c->len;
}

static void
pm_write(struct acore_dispatcher *d, void *arg)
{
	struct pm_handler *h = arg;
	struct pm_chunk *c = h->head;
	size_t len;
	ssize_t sent;

	if (c == NULL)
		return;
	len = c->len - c->off;
	if (len > h->conf->chunk)
		len = h->conf->chunk;
	sent = acore_send(d, c->data + c->off, len);
	if (sent < 0 || (acore_flags(d) & ACORE_CLOSED))
		return;
	echo_log_data(d, "handle_write()", c->data + c->off, (size_t)sent);
	h->queued -= (size_t)sent;
	if ((c->off += (size_t)sent) == c->len) {
		if ((h->head = c->next) == NULL)
			h->tailp = &h->head;
		free(c);
	}
	if (!pm_writable(d, h) && h->eof)
		close_handler(d, h->conf);
}

static void
pm_handle_close(struct acore_dispatcher *d, void *arg)
{
	struct pm_handler *h = arg;

	if (in_recv == d) {
		h->eof = 1;
		if (h->head != NULL)
			return;		/* closes once the queue is sent */
	}
	close_handler(d, h->conf);
}

static void
pm_error(struct acore_dispatcher *d, int err, void *arg)
{
	struct pm_handler *h = arg;

	handler_error(d, err, h->conf);
}

static void
pm_closed(void *arg)
{
	struct pm_handler *h = arg;
	struct pm_chunk *c;

	if (h->prevp != NULL) {
		if ((*h->prevp = h->next) != NULL)
			h->next->prevp = h->prevp;
	}
	while ((c = h->head) != NULL) {
		h->head = c->next;
		free(c);
	}
	free(h);
}

static const struct acore_ops pm_ops = {
	.name = "EchoHandler",
	.readable = pm_readable,
	.writable = pm_writable,
	.handle_read = pm_read,
	.handle_write = pm_write,
	.handle_close = pm_handle_close,
	.handle_error = pm_error,
	.closed = pm_closed,
};

static struct acore_dispatcher *
pm_start(const struct echo_conf *conf, int fd)
{
	struct pm_handler *h;
	struct acore_dispatcher *d;

	if ((h = calloc(1, sizeof(*h))) == NULL) {
		close(fd);
		acore_log(ACORE_LOG_WARN, "EchoHandler",
		    "cannot serve a client: %s", acore_strerror(-ENOMEM));
		return NULL;
	}
	h->conf = conf;
	h->tailp = &h->head;
	if ((d = acore_dispatcher_new(conf->loop, &pm_ops, h)) == NULL)
		free(h);	/* adopt() reports it and closes fd */
	if ((d = adopt(d, conf, fd)) == NULL)
		return NULL;
	h->d = d;
	if ((h->next = pm_all) != NULL)
		pm_all->prevp = &h->next;
	h->prevp = &pm_all;
	pm_all = h;
	return d;
}

/* As if the client had finished sending. */
static void
pm_finish(struct acore_dispatcher *d)
{
	struct pm_handler *h;

	for (h = pm_all; h != NULL && h->d != d; h = h->next)
		;
	if (h == NULL)
		return;
	h->eof = 1;
	if (h->head == NULL)
		close_handler(d, h->conf);
}

const struct echo_handler_kind echo_handler_pymotw = {
	.start = pm_start,
	.finish = pm_finish,
};
