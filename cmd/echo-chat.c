/*
 * echo-chat.c: the asynchat echo protocol of PyMOTW's asynchat article
 * (example 7), for echo-server --chat and echo-client --chat.
 *
 * The client sends "ECHO <length>\n" and then <length> bytes; the server
 * switches from the line terminator to a count of <length>, sends the
 * bytes back and closes once they are out.  Both ends are async_chat
 * channels whose buffers follow --chunk-size (the article uses 64), and
 * with -v both log what the article's classes log, so
 * "echo-server --chat --once --with-client FILE" prints its transcript.
 *
 * The article's server trusts its client; this one answers a line that is
 * not "ECHO <decimal>", a length above --max-message or a command line
 * longer than CMD_MAX with one "ERR ...\n" line and closes, so a bad
 * client costs a few bytes and never more memory than it announced within
 * the limit.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acore.h"
#include "cmd.h"
#include "echo.h"

#define CMD_MAX		64	/* "ECHO " and 20 digits fit with room */
#define MSG_STEP	65536	/* message buffer growth until its length */

enum handler_state {
	H_COMMAND,		/* collecting the ECHO line */
	H_MESSAGE,		/* collecting <length> bytes */
	H_DONE			/* echo or ERR queued; input is ignored */
};

struct handler {
	const struct echo_conf *conf;
	enum handler_state state;
	char		 line[CMD_MAX];
	size_t		 linelen;
	char		*msg;
	size_t		 len;
	size_t		 cap;
	size_t		 want;
	int		 input_ended;	/* the client half-closed */
};

/* "PREFIX\n"""data"""": the article's way of showing collected data. */
static void
log_quoted(struct acore_dispatcher *d, const char *name, const char *what,
    const void *data, size_t len)
{
	char prefix[96];

	if (!cmd_is_verbose())
		return;
	snprintf(prefix, sizeof(prefix), "%s\n\"\"\"", what);
	cmd_log_data(name != NULL ? name : acore_name(d), prefix, data, len,
	    "\"\"\"");
}

/* ---------------------------------------------------------------- server */

static void
handler_close(struct acore_dispatcher *d, struct handler *h)
{
	h->conf->gone(d);
	acore_close(d);
}

/*
 * A client may shut down its side once it has sent everything (nc -N,
 * socat): its echo still goes out, as the channel stops reading when this
 * hook leaves it open.  The close marker, or any second call, ends it.
 */
static void
handler_handle_close(struct acore_dispatcher *d, void *arg)
{
	struct handler *h = arg;

	if (h->state == H_DONE && acore_pending(d) > 0 && !h->input_ended) {
		h->input_ended = 1;
		return;
	}
	handler_close(d, h);
}

/* Answer once, then close when it is out; whatever follows is dropped. */
static void
handler_refuse(struct acore_dispatcher *d, struct handler *h,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
handler_refuse(struct acore_dispatcher *d, struct handler *h,
    const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf) - 1)
		n = (int)sizeof(buf) - 2;
	acore_debug(d, "refusing: %s", buf);
	buf[n++] = '\n';
	h->state = H_DONE;
	acore_chat_set_terminator_none(d);
	if (acore_chat_push(d, buf, (size_t)n) == 0)
		acore_chat_close_when_done(d);
	else
		handler_close(d, h);
}

static void
handler_collect(struct acore_dispatcher *d, const void *data, size_t n,
    void *arg)
{
	struct handler *h = arg;
	char what[64];
	size_t cap;
	char *p;

	if (h->state == H_DONE)
		return;
	snprintf(what, sizeof(what), "collect_incoming_data() -> (%zu bytes)",
	    n);
	log_quoted(d, NULL, what, data, n);
	if (h->state == H_COMMAND) {
		/* acore_chat_set_max_input keeps a line within CMD_MAX. */
		memcpy(h->line + h->linelen, data, n);
		h->linelen += n;
		return;
	}
	/* The count terminator never passes more than want. */
	if (h->len + n > h->cap) {
		cap = h->cap + (h->cap < MSG_STEP ? MSG_STEP : h->cap);
		if (cap > h->want)
			cap = h->want;
		if ((p = realloc(h->msg, cap)) == NULL) {
			acore_log(ACORE_LOG_WARN, acore_name(d),
			    "cannot hold a %zu-byte message: %s", h->want,
			    strerror(errno));
			handler_close(d, h);
			return;
		}
		h->msg = p;
		h->cap = cap;
	}
	memcpy(h->msg + h->len, data, n);
	h->len += n;
}

static void
process_message(struct acore_dispatcher *d, struct handler *h)
{
	log_quoted(d, NULL, "_process_message() echoing", h->msg, h->len);
	h->state = H_DONE;
	acore_chat_set_terminator_none(d);
	if (h->len > 0 && acore_chat_push(d, h->msg, h->len) < 0) {
		handler_close(d, h);
		return;
	}
	free(h->msg);
	h->msg = NULL;
	h->len = h->cap = 0;
	acore_chat_close_when_done(d);
}

/* "ECHO <decimal>", optionally ending in CR for line-based tools. */
static void
process_command(struct acore_dispatcher *d, struct handler *h)
{
	size_t i, len = h->linelen;
	uint64_t v = 0;

	if (cmd_is_verbose())
		cmd_log_data(acore_name(d), "_process_command() \"", h->line,
		    len, "\"");
	if (len > 0 && h->line[len - 1] == '\r')
		len--;
	if (len < 5 || memcmp(h->line, "ECHO ", 5) != 0) {
		handler_refuse(d, h, "ERR expected ECHO <length>");
		return;
	}
	if (len == 5) {
		handler_refuse(d, h, "ERR bad length");
		return;
	}
	for (i = 5; i < len; i++) {
		if (h->line[i] < '0' || h->line[i] > '9') {
			handler_refuse(d, h, "ERR bad length");
			return;
		}
		if (v > (UINT64_MAX - 9) / 10) {
			v = UINT64_MAX;
			break;
		}
		v = v * 10 + (uint64_t)(h->line[i] - '0');
	}
	if (v > h->conf->max_message) {
		handler_refuse(d, h, "ERR length above %zu",
		    h->conf->max_message);
		return;
	}
	h->want = (size_t)v;
	h->state = H_MESSAGE;
	if (h->want == 0) {
		/* A count of 0 means "no terminator": nothing to wait for. */
		process_message(d, h);
		return;
	}
	acore_chat_set_terminator_count(d, h->want);
}

static void
handler_found(struct acore_dispatcher *d, void *arg)
{
	struct handler *h = arg;

	acore_debug(d, "found_terminator()");
	if (h->state == H_COMMAND)
		process_command(d, h);
	else if (h->state == H_MESSAGE)
		process_message(d, h);
}

static void
handler_error(struct acore_dispatcher *d, int err, void *arg)
{
	struct handler *h = arg;

	if (err == -EMSGSIZE && h->state == H_COMMAND) {
		handler_refuse(d, h, "ERR command line too long");
		return;
	}
	if (err == -ETIMEDOUT)
		acore_debug(d, "idle for %g s: closing", h->conf->idle);
	else
		acore_log(ACORE_LOG_WARN, acore_name(d), "error: %s",
		    acore_strerror(err));
	handler_close(d, h);
}

static void
handler_closed(void *arg)
{
	struct handler *h = arg;

	free(h->msg);
	free(h);
}

static const struct acore_ops handler_ops = {
	.name = "EchoHandler",
	.collect_incoming_data = handler_collect,
	.found_terminator = handler_found,
	.handle_close = handler_handle_close,
	.handle_error = handler_error,
	.closed = handler_closed,
};

static struct acore_dispatcher *
handler_start(const struct echo_conf *conf, int fd)
{
	struct acore_dispatcher *d = NULL;
	struct handler *h;
	int rc = -ENOMEM;

	if ((h = calloc(1, sizeof(*h))) == NULL) {
		close(fd);
		goto fail;
	}
	h->conf = conf;
	if ((d = acore_chat_new(conf->loop, &handler_ops, h)) == NULL) {
		rc = -errno;
		free(h);
		close(fd);
		goto fail;
	}
	if ((rc = acore_set_socket(d, fd)) < 0 ||
	    (rc = echo_handler_tls(d, conf)) < 0 ||
	    (rc = acore_chat_set_buffer_sizes(d, conf->chunk,
	    conf->chunk)) < 0 ||
	    (rc = acore_chat_set_terminator(d, "\n", 1)) < 0 ||
	    (conf->idle > 0 && (rc = acore_set_timeout(d, conf->idle)) < 0))
		goto fail;
	acore_chat_set_max_input(d, CMD_MAX);
	return d;
fail:
	echo_handler_failed(d, rc);
	return NULL;
}

/*
 * The server stops: an echo already queued still goes out, then the
 * channel closes; a message still arriving is not waited for.
 */
static void
handler_finish(struct acore_dispatcher *d)
{
	if (!(acore_flags(d) & ACORE_CLOSED))
		acore_chat_close_when_done(d);
}

const struct echo_handler_kind echo_handler_chat = {
	.start = handler_start,
	.finish = handler_finish,
};

/* ---------------------------------------------------------------- client */

static struct chat_client {
	struct echo_client_conf conf;
	char		 where[300];	/* "HOST port PORT" or the path */
	struct echo_check check;	/* what came back */
	char		 head[128];	/* start of the reply, for ERR lines */
	int		 connected;
	int		 finished;
} cc;

static void
client_finish(struct acore_dispatcher *d, int status)
{
	if (cc.finished)
		return;
	cc.finished = 1;
	acore_close(d);
	echo_check_free(&cc.check);
	if (cc.conf.done != NULL)
		cc.conf.done(status);
}

/* PyMOTW's EchoProducer: a simple_producer that logs each more(). */
static size_t
producer_more(void *arg, const void **data)
{
	char what[64];
	size_t n;

	n = acore_simple_producer_more(arg, data);
	snprintf(what, sizeof(what), "more() -> (%zu bytes)", n);
	log_quoted(NULL, "EchoProducer", what, *data, n);
	return n;
}

static const struct acore_producer_ops producer_ops = {
	.more = producer_more,
	.free = acore_simple_producer_free,
};

static void
client_connect(struct acore_dispatcher *d, void *arg)
{
	struct acore_simple_producer *p;
	char cmd[40];
	int n, rc;

	(void)arg;
	acore_debug(d, "handle_connect()");
	cc.connected = 1;
	acore_set_timeout(d, cc.conf.idle);
	n = snprintf(cmd, sizeof(cmd), "ECHO %zu\n", cc.conf.len);
	if ((p = acore_simple_producer_new(cc.conf.msg, cc.conf.len,
	    cc.conf.chunk)) == NULL)
		rc = -errno;
	else if ((rc = acore_chat_push(d, cmd, (size_t)n)) == 0)
		rc = acore_chat_push_with_producer(d, &producer_ops, p);
	else
		acore_simple_producer_free(p);
	if (rc < 0) {
		warnx("echo-client: %s: %s", cc.where, acore_strerror(rc));
		client_finish(d, AC_EXIT_FAIL);
		return;
	}
	acore_chat_set_terminator_count(d, cc.conf.len);
}

/* echo_span_fn for the check: the message is in memory, whole. */
static size_t
msg_span(void *arg, uint64_t off, uint64_t end, size_t max, const char **p)
{
	(void)arg;
	*p = cc.conf.msg + off;
	return end - off < max ? (size_t)(end - off) : max;
}

static void
client_collect(struct acore_dispatcher *d, const void *data, size_t n,
    void *arg)
{
	char what[64];
	size_t got = (size_t)cc.check.got;
	int rc;

	(void)arg;
	snprintf(what, sizeof(what), "collect_incoming_data() -> (%zu)", n);
	log_quoted(d, NULL, what, data, n);
	if (got < sizeof(cc.head) - 1)
		memcpy(cc.head + got, data, n < sizeof(cc.head) - 1 - got ?
		    n : sizeof(cc.head) - 1 - got);
	if ((rc = echo_check_take(&cc.check, data, n, cc.conf.len, msg_span,
	    NULL)) != 0)
		client_finish(d, rc);
}

/* The echo is complete, or the server closed before it was. */
static void
client_verdict(struct acore_dispatcher *d)
{
	size_t n;
	int rc;

	if (echo_check_ok(&cc.check, acore_name(d), cc.conf.len, 1)) {
		client_finish(d, AC_EXIT_OK);
		return;
	}
	if (strncmp(cc.head, "ERR ", 4) == 0 &&
	    !(cc.conf.len >= 4 && memcmp(cc.conf.msg, "ERR ", 4) == 0)) {
		n = strcspn(cc.head, "\r\n");
		warnx("echo-client: %s refused the message: %.*s", cc.where,
		    (int)n, cc.head);
		client_finish(d, AC_EXIT_PROTOCOL);
	} else if ((rc = echo_check_differs(&cc.check)) < 0) {
		warnx("echo-client: %s closed the connection after %" PRIu64
		    " of %zu bytes echoed", cc.where, cc.check.got,
		    cc.conf.len);
		client_finish(d, AC_EXIT_RESET);
	} else
		client_finish(d, rc);
}

static void
client_found(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	acore_debug(d, "found_terminator()");
	client_verdict(d);
}

static void
client_close(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	client_verdict(d);
}

static void
client_error(struct acore_dispatcher *d, int err, void *arg)
{
	(void)arg;
	client_finish(d, echo_client_failed(&cc.conf, cc.where, cc.connected,
	    err));
}

static const struct acore_ops client_ops = {
	.name = "EchoClient",
	.handle_connect = client_connect,
	.collect_incoming_data = client_collect,
	.found_terminator = client_found,
	.handle_close = client_close,
	.handle_error = client_error,
};

int
echo_chat_client_start(struct acore_loop *loop,
    const struct echo_client_conf *c)
{
	struct acore_dispatcher *d;
	int rc;

	memset(&cc, 0, sizeof(cc));
	cc.conf = *c;
	echo_client_where(c, cc.where, sizeof(cc.where));
	echo_check_init(&cc.check, c, cc.where);
	if ((d = acore_chat_new(loop, &client_ops, NULL)) == NULL) {
		warn("echo-client");
		return AC_EXIT_FAIL;
	}
	if ((rc = acore_chat_set_buffer_sizes(d, c->chunk, c->chunk)) < 0 ||
	    (rc = echo_client_connect(d, c)) < 0) {
		rc = echo_client_failed(c, cc.where, 0, rc);
		client_finish(d, rc);
		return rc;
	}
	return 0;
}
