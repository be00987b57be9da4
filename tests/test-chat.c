/*
 * test-chat.c: async_chat over real sockets (a socketpair, or loopback TCP
 * where the connect matters).  The test writes to the raw end and runs one
 * loop pass per piece, so each piece is exactly one read; ac_in_buffer_size
 * cuts reads smaller still.  What the hooks see is logged as "[data]" per
 * collect_incoming_data() call and "|" per found_terminator().
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acore.h"
#include "tap.h"

#define LOGMAX	65536

struct rec {
	char	 log[LOGMAX];
	size_t	 len;
	size_t	 msg;		/* log offset where the current message starts */
	int	 errs;
	int	 err;
	int	 closed;
	int	 state;		/* echo protocol: 0 command, 1 message */
	const char *const *terms;	/* found_terminator cycles through these */
	size_t	 nterms;
	size_t	 next;
};

static struct acore_loop *loop;
static int peer = -1;
static int peer_eof;

static void
rec_add(struct rec *r, const void *p, size_t n)
{
	if (r->len + n > sizeof(r->log) - 1)
		n = sizeof(r->log) - 1 - r->len;
	memcpy(r->log + r->len, p, n);
	r->len += n;
	r->log[r->len] = '\0';
}

static void
on_collect(struct acore_dispatcher *d, const void *p, size_t n, void *arg)
{
	rec_add(arg, "[", 1);
	rec_add(arg, p, n);
	rec_add(arg, "]", 1);
}

static void
on_found(struct acore_dispatcher *d, void *arg)
{
	struct rec *r = arg;
	const char *t;

	rec_add(r, "|", 1);
	r->msg = r->len;
	if (r->nterms > 0) {
		t = r->terms[r->next++ % r->nterms];
		if (t == NULL)
			acore_chat_set_terminator_none(d);
		else if (t[0] == '#')
			acore_chat_set_terminator_count(d, strtoul(t + 1,
			    NULL, 10));
		else
			acore_chat_set_terminator(d, t, strlen(t));
	}
}

/* PyMOTW's EchoHandler: "ECHO n" line, then n bytes, then a line again. */
static void
on_found_echo(struct acore_dispatcher *d, void *arg)
{
	struct rec *r = arg;
	char cmd[64];
	size_t i, n = 0;

	for (i = r->msg; i < r->len && n < sizeof(cmd) - 1; i++)
		if (r->log[i] != '[' && r->log[i] != ']')
			cmd[n++] = r->log[i];
	cmd[n] = '\0';
	rec_add(r, "|", 1);
	r->msg = r->len;
	if (r->state == 0 && strncmp(cmd, "ECHO ", 5) == 0) {
		acore_chat_set_terminator_count(d, strtoul(cmd + 5, NULL, 10));
		r->state = 1;
	} else {
		acore_chat_set_terminator(d, "\n", 1);
		r->state = 0;
	}
}

static void
on_found_close(struct acore_dispatcher *d, void *arg)
{
	rec_add(arg, "|", 1);
	acore_close(d);
}

static void
on_error(struct acore_dispatcher *d, int err, void *arg)
{
	struct rec *r = arg;

	r->errs++;
	r->err = err;
	acore_close(d);
}

static void
on_handle_close(struct acore_dispatcher *d, void *arg)
{
	rec_add(arg, "C", 1);
	acore_close(d);
}

static void
on_closed(void *arg)
{
	((struct rec *)arg)->closed++;
}

static const struct acore_ops rec_ops = {
	.name = "test",
	.collect_incoming_data = on_collect,
	.found_terminator = on_found,
	.handle_error = on_error,
	.closed = on_closed,
};

static const struct acore_ops echo_ops = {
	.name = "echo",
	.collect_incoming_data = on_collect,
	.found_terminator = on_found_echo,
	.closed = on_closed,
};

static const struct acore_ops close_ops = {
	.name = "close",
	.collect_incoming_data = on_collect,
	.found_terminator = on_found_close,
	.closed = on_closed,
};

/* Keeps the channel open at the first handle_close to finish sending. */
static void
on_handle_close_late(struct acore_dispatcher *d, void *arg)
{
	struct rec *r = arg;

	rec_add(r, "C", 1);
	if (r->state++ > 0 || acore_pending(d) == 0)
		acore_close(d);
}

static const struct acore_ops late_ops = {
	.name = "late",
	.handle_close = on_handle_close_late,
	.closed = on_closed,
};

static const struct acore_ops hclose_ops = {
	.name = "hclose",
	.handle_close = on_handle_close,
	.closed = on_closed,
};

/* Default handle_error and handle_close. */
static const struct acore_ops plain_ops = {
	.name = "plain",
	.collect_incoming_data = on_collect,
	.found_terminator = on_found,
	.closed = on_closed,
};

/* A loop and a chat channel on one end of a socketpair; peer is the other. */
static struct acore_dispatcher *
pair(const struct acore_ops *ops, struct rec *r)
{
	struct acore_dispatcher *d;
	int sv[2];

	memset(r, 0, sizeof(*r));
	if ((loop = acore_loop_new()) == NULL ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ||
	    (d = acore_chat_new(loop, ops, r)) == NULL ||
	    acore_set_socket(d, sv[0]) < 0) {
		perror("pair");
		exit(1);
	}
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	peer = sv[1];
	peer_eof = 0;
	return d;
}

static void
unpair(void)
{
	acore_loop_free(loop);
	loop = NULL;
	close(peer);
	peer = -1;
}

static void
put(const void *p, size_t n)
{
	if (n > 0 && write(peer, p, n) != (ssize_t)n) {
		perror("write");
		exit(1);
	}
}

/* Write a piece and let the channel read it: one pass, one read. */
static void
piece(const void *p, size_t n)
{
	if (n == 0)
		return;
	put(p, n);
	acore_loop_run(loop, 0.5, 1);
}

/* Everything the channel has sent so far (sets peer_eof on end of stream). */
static size_t
drain(char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;

	while (got < cap && (n = read(peer, buf + got, cap - got)) != 0) {
		if (n < 0)
			return got;
		got += (size_t)n;
	}
	if (got < cap)
		peer_eof = 1;
	return got;
}

/* The log without collect boundaries: data and '|' only. */
static const char *
merged(const struct rec *r)
{
	static char out[LOGMAX];
	size_t i, n = 0;

	for (i = 0; i < r->len; i++)
		if (r->log[i] != '[' && r->log[i] != ']')
			out[n++] = r->log[i];
	out[n] = '\0';
	return out;
}

/* --------------------------------------------------------------- input */

/*
 * C01: every split of the stream into three reads finds every message,
 * never collects an empty piece and never collects a held-back byte.
 */
static void
test_splits(const char *term, const char *stream, const char *want)
{
	struct acore_dispatcher *d;
	struct rec r;
	size_t len = strlen(stream), i, j, bad = 0, cases = 0;

	for (i = 0; i <= len; i++) {
		for (j = i; j <= len; j++) {
			d = pair(&rec_ops, &r);
			acore_chat_set_terminator(d, term, strlen(term));
			piece(stream, i);
			piece(stream + i, j - i);
			piece(stream + j, len - j);
			cases++;
			if (strcmp(merged(&r), want) != 0 ||
			    strstr(r.log, "[]") != NULL) {
				if (bad++ == 0)
					diag("cut at %zu,%zu: got %s", i, j,
					    r.log);
			}
			unpair();
		}
	}
	ok(bad == 0, "terminator of %zu byte(s): all %zu three-read splits",
	    strlen(term), cases);
}

/* C01 as upstream tests it: reads of k bytes (ac_in_buffer_size = k). */
static void
test_read_size(const char *term, const char *stream, const char *want,
    size_t k)
{
	struct acore_dispatcher *d;
	struct rec r;
	size_t len = strlen(stream), biggest = 0, bound, n;
	const char *p;

	d = pair(&rec_ops, &r);
	acore_chat_set_terminator(d, term, strlen(term));
	acore_chat_set_buffer_sizes(d, k, 4096);
	put(stream, len);
	acore_loop_run(loop, 0.5, (int)((len + k - 1) / k));
	for (p = r.log; (p = strchr(p, '[')) != NULL; p += n + 2)
		if ((n = strcspn(p + 1, "]")) > biggest)
			biggest = n;
	/* A collect is at most one read plus the bytes held back before it. */
	bound = k + strlen(term) - 1;
	if (strcmp(merged(&r), want) != 0 || biggest > bound)
		diag("got %s", r.log);
	ok(strcmp(merged(&r), want) == 0 && biggest <= bound,
	    "terminator of %zu byte(s), %zu-byte reads", strlen(term), k);
	unpair();
}

static void
test_held_back(void)
{
	struct acore_dispatcher *d;
	struct rec r;

	d = pair(&rec_ops, &r);
	acore_chat_set_terminator(d, "\r\n", 2);
	piece("abc\r", 4);
	is_str(r.log, "[abc]", "a trailing CR is held back");
	piece("\ndef\r\n", 6);
	is_str(r.log, "[abc]|[def]|", "abc\\r + \\ndef\\r\\n: abc, then def");
	piece("qwertydkjf", 10);
	is_str(r.log + 12, "[qwertydkjf]", "no prefix at the end: all collected");
	unpair();

	d = pair(&rec_ops, &r);
	acore_chat_set_terminator(d, "qqq", 3);
	piece("abqq", 4);
	is_str(r.log, "[ab]", "abqq with qqq: qq held back");
	piece("q", 1);
	is_str(r.log, "[ab]|", "the held qq and q make the terminator");
	piece("qq", 2);
	is_str(r.log, "[ab]|", "a read that is all terminator prefix: held");
	piece("xq", 2);
	is_str(r.log, "[ab]|[qqx]", "prefix that was not one: collected");
	piece("ab", 2);
	/* The peer goes away: held-back bytes are dropped, as in asynchat. */
	piece("qq", 2);
	shutdown(peer, SHUT_WR);
	acore_loop_run(loop, 0.5, 1);
	is_str(r.log, "[ab]|[qqx][qab]", "end of stream: held bytes dropped");
	ok(r.closed == 1, "end of stream closes the channel");
	unpair();
}

static void
test_count(void)
{
	struct acore_dispatcher *d;
	struct rec r;
	size_t left = 99;
	int kind;

	d = pair(&rec_ops, &r);
	acore_chat_set_terminator_count(d, 10);
	piece("0123", 4);
	kind = acore_chat_get_terminator(d, &left);
	ok(kind == ACORE_TERM_COUNT && left == 6,
	    "count counts down across reads (6 left)");
	piece("456789ab", 8);
	piece("c", 1);
	is_str(r.log, "[0123][456789]|[ab][c]",
	    "count of 10 over three reads, then everything collected");
	kind = acore_chat_get_terminator(d, &left);
	ok(kind == ACORE_TERM_COUNT && left == 0, "the count is 0 afterwards");
	unpair();

	/* A count far larger than ac_in_buffer_size. */
	d = pair(&rec_ops, &r);
	acore_chat_set_buffer_sizes(d, 7, 7);
	acore_chat_set_terminator_count(d, 20);
	put("abcdefghijklmnopqrstuvwxyz", 26);
	acore_loop_run(loop, 0.5, 4);
	is_str(r.log, "[abcdefg][hijklmn][opqrst]|[u][vwxyz]",
	    "count of 20 with 7-byte reads");
	unpair();
}

static void
test_none(void)
{
	struct acore_dispatcher *d;
	struct rec r;

	d = pair(&rec_ops, &r);
	ok(acore_chat_get_terminator(d, NULL) == ACORE_TERM_NONE,
	    "a new channel has no terminator");
	piece("a\nb\r\n", 5);
	piece("qqq", 3);
	is_str(r.log, "[a\nb\r\n][qqq]", "no terminator: all collected");
	unpair();
}

static void
test_empty_messages(void)
{
	struct acore_dispatcher *d;
	struct rec r;

	d = pair(&rec_ops, &r);
	acore_chat_set_terminator(d, "\n", 1);
	piece("a\n\n\nb\n", 6);
	is_str(r.log, "[a]|||[b]|", "empty messages: found, no collect");
	unpair();

	d = pair(&rec_ops, &r);
	acore_chat_set_terminator(d, "\r\n", 2);
	piece("\r", 1);
	piece("\n\r", 2);
	piece("\n", 1);
	is_str(r.log, "||", "empty CRLF messages split across reads");
	unpair();
}

static void
test_change_mid_buffer(void)
{
	static const char *const cycle[] = { "#3", NULL };
	static const char *const cycle2[] = { "ab", "#2", "\n" };
	struct acore_dispatcher *d;
	struct rec r;

	/* C05: the PyMOTW handler's switch, twice in one read. */
	d = pair(&echo_ops, &r);
	acore_chat_set_terminator(d, "\n", 1);
	piece("ECHO 5\nhelloECHO 3\nabcECHO 0", 28);
	is_str(r.log, "[ECHO 5]|[hello]|[ECHO 3]|[abc]|[ECHO 0]",
	    "string -> count -> string within one read");
	unpair();

	d = pair(&rec_ops, &r);
	r.terms = cycle;
	r.nterms = 2;
	acore_chat_set_terminator(d, "\n", 1);
	piece("x\n123rest\nmore", 14);
	is_str(r.log, "[x]|[123]|[rest\nmore]",
	    "string -> count -> none within one read");
	unpair();

	d = pair(&rec_ops, &r);
	r.terms = cycle2;
	r.nterms = 3;
	acore_chat_set_terminator(d, "\n", 1);
	piece("1\n2ab3", 6);
	piece("4\n5", 3);
	is_str(r.log, "[1]|[2]|[3][4]||[5]",
	    "a found_terminator switch applies to the rest of the read");
	unpair();
}

/* C16: a 101-byte line read 16 bytes at a time. */
static void
test_in_buffer_size(void)
{
	struct acore_dispatcher *d;
	struct rec r;
	char line[102];
	const char *p;
	size_t sizes[8], n = 0;

	memset(line, 'x', 100);
	line[100] = '\n';
	d = pair(&rec_ops, &r);
	acore_chat_set_terminator(d, "\n", 1);
	acore_chat_set_buffer_sizes(d, 16, 16);
	put(line, 101);
	acore_loop_run(loop, 0.5, 7);
	for (p = r.log; *p == '[' && n < 8; p += sizes[n++] + 2)
		sizes[n] = strcspn(p + 1, "]");
	ok(n == 7 && sizes[0] == 16 && sizes[5] == 16 && sizes[6] == 4 &&
	    strcmp(p, "|") == 0,
	    "16-byte reads: 16 x 6 and 4, then found_terminator");
	unpair();
}

static char logged[256];

static void
log_sink(int level, const char *name, const char *msg, size_t len)
{
	snprintf(logged, sizeof(logged), "%s: %.*s", name, (int)len, msg);
}

static void
test_max_input(void)
{
	struct acore_dispatcher *d;
	struct rec r;
	char buf[16];

	d = pair(&rec_ops, &r);
	acore_chat_set_terminator(d, "\n", 1);
	acore_chat_set_max_input(d, 10);
	piece("0123456789\n", 11);
	is_str(r.log, "[0123456789]|", "a message of exactly the limit");
	piece("abcdef", 6);
	piece("ghijk\n", 6);
	ok(r.errs == 1 && r.err == -EMSGSIZE,
	    "11 bytes without the terminator: handle_error(-EMSGSIZE)");
	is_str(r.log, "[0123456789]|[abcdef]", "nothing past the limit is collected");
	ok(r.closed == 1, "the channel closed");
	unpair();

	/* The default handle_error logs and closes; the peer sees the end. */
	d = pair(&plain_ops, &r);
	acore_chat_set_terminator(d, "\r\n", 2);
	acore_chat_set_max_input(d, 4);
	acore_set_log(log_sink);
	piece("abcde", 5);
	acore_set_log(NULL);
	is_str(logged, "plain: error: Message too long",
	    "default handle_error logs the error");
	drain(buf, sizeof(buf));
	ok(r.closed == 1 && peer_eof, "and closes the channel");
	unpair();

	/* A count terminator is the caller's own bound. */
	d = pair(&rec_ops, &r);
	acore_chat_set_max_input(d, 2);
	acore_chat_set_terminator_count(d, 5);
	piece("abcde", 5);
	ok(r.errs == 0 && strcmp(r.log, "[abcde]|") == 0,
	    "the limit does not apply to a count");
	unpair();
}

static void
test_close_in_found(void)
{
	struct acore_dispatcher *d;
	struct rec r;

	d = pair(&close_ops, &r);
	acore_chat_set_terminator(d, "\n", 1);
	piece("a\nb\nc\n", 6);
	is_str(r.log, "[a]|", "no hook runs after the channel closed itself");
	ok(r.closed == 1, "closed() ran once");
	unpair();
}

/* -------------------------------------------------------------- output */

struct prod {
	const char *const *pieces;	/* NULL-terminated */
	size_t	 i;
	int	*freed;
	char	*log;			/* "m<len> " per more() */
};

static size_t
prod_more(void *arg, const void **data)
{
	struct prod *p = arg;
	const char *s = p->pieces[p->i];
	size_t n = s == NULL ? 0 : strlen(s);

	if (s != NULL)
		p->i++;
	if (p->log != NULL)
		sprintf(p->log + strlen(p->log), "m%zu ", n);
	*data = s;
	return n;
}

static void
prod_free(void *arg)
{
	(*((struct prod *)arg)->freed)++;
}

static const struct acore_producer_ops prod_ops = {
	.more = prod_more,
	.free = prod_free,
};

/* C07: push of more than ac_out_buffer_size goes out one piece per event. */
static void
test_push_large(void)
{
	struct acore_dispatcher *d;
	struct rec r;
	static char big[10240], got[16384];
	size_t n[4], i, total = 0;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	d = pair(&rec_ops, &r);
	acore_chat_set_buffer_sizes(d, 4096, 4096);
	ok(acore_chat_push(d, big, sizeof(big)) == 0, "push 10240 bytes");
	n[0] = drain(got, sizeof(got));
	ok(acore_pending(d) == 10240 - 4096, "pending after the first send");
	for (i = 1; i < 4; i++) {
		acore_loop_run(loop, 0.05, 1);
		n[i] = drain(got + n[0] + total, sizeof(got) - n[0] - total);
		total += n[i];
	}
	ok(n[0] == 4096 && n[1] == 4096 && n[2] == 2048 && n[3] == 0,
	    "sent as 4096, 4096, 2048 (got %zu, %zu, %zu, %zu)", n[0], n[1],
	    n[2], n[3]);
	is_mem(got, n[0] + total, big, sizeof(big), "bytes arrive intact");
	ok(acore_pending(d) == 0, "nothing pending");
	unpair();
}

/* C09: a producer that is empty from the start is dropped silently. */
static void
test_empty_producer(void)
{
	static const char *const none[] = { NULL };
	struct acore_dispatcher *d;
	struct rec r;
	struct prod p = { none, 0, NULL, NULL };
	int freed = 0;
	char got[16];
	size_t n;

	p.freed = &freed;
	d = pair(&rec_ops, &r);
	ok(acore_chat_push_with_producer(d, &prod_ops, &p) == 0 &&
	    acore_chat_push(d, "x", 1) == 0, "push an empty producer, then x");
	acore_loop_run(loop, 0.05, 2);
	n = drain(got, sizeof(got));
	ok(n == 1 && got[0] == 'x' && freed == 1 && p.i == 0,
	    "empty producer dropped and freed once; x sent");
	ok(acore_chat_push(d, "", 0) == 0 && acore_pending(d) == 0,
	    "pushing nothing is accepted");
	unpair();
}

/* C10: everything before the marker is sent, nothing after it. */
static void
test_close_when_done(void)
{
	static const char *const bs[] = { "BB", "BB", NULL };
	struct acore_dispatcher *d;
	struct rec r;
	struct prod p = { bs, 0, NULL, NULL };
	int freed = 0, i;
	char got[64];
	size_t n = 0;

	p.freed = &freed;
	d = pair(&rec_ops, &r);
	acore_chat_set_buffer_sizes(d, 64, 3);
	acore_chat_push(d, "AA", 2);
	acore_chat_push_with_producer(d, &prod_ops, &p);
	ok(acore_chat_close_when_done(d) == 0, "close_when_done");
	ok(acore_chat_push(d, "C", 1) == 0, "push after the marker is queued");
	/* d is freed at the end of the pass that closes it: watch closed(). */
	for (i = 0; i < 10 && r.closed == 0; i++)
		acore_loop_run(loop, 0.05, 1);
	n = drain(got, sizeof(got) - 1);
	got[n] = '\0';
	is_str(got, "AABBBB", "everything before the marker was sent");
	ok(peer_eof && r.closed == 1, "then the channel closed");
	unpair();
	ok(freed == 1, "the producer was freed");

	/* The marker closes through handle_close, fd still open there. */
	d = pair(&hclose_ops, &r);
	acore_chat_push(d, "x", 1);
	acore_chat_close_when_done(d);
	for (i = 0; i < 10 && r.closed == 0; i++)
		acore_loop_run(loop, 0.05, 1);
	n = drain(got, sizeof(got));
	ok(n == 1 && strcmp(r.log, "C") == 0 && r.closed == 1,
	    "close_when_done ends in the handle_close hook");
	unpair();
}

/* The peer half-closes; the channel still sends all it has queued. */
static void
test_eof_then_send(void)
{
	static char big[300000], got[sizeof(big) + 1];
	struct acore_dispatcher *d;
	struct rec r;
	size_t n = 0, i;
	ssize_t k;

	memset(big, 'e', sizeof(big));
	d = pair(&late_ops, &r);
	acore_chat_set_buffer_sizes(d, 64, 4096);
	acore_chat_push(d, big, sizeof(big));
	acore_chat_close_when_done(d);
	shutdown(peer, SHUT_WR);
	/* Bounded: 300000 / 4096 write events and a few more. */
	for (i = 0; i < 200 && r.closed == 0; i++) {
		acore_loop_run(loop, 0.05, 1);
		while ((k = read(peer, got + n, sizeof(got) - n)) > 0)
			n += (size_t)k;
	}
	ok(n == sizeof(big) && r.closed == 1,
	    "end of input with output queued: all %zu bytes still sent", n);
	is_str(r.log, "CC", "handle_close at the end of input, once, then at "
	    "the marker");
	unpair();
}

static void
test_discard(void)
{
	static const char *const bs[] = { "zz", NULL };
	struct acore_dispatcher *d;
	struct rec r;
	struct prod p = { bs, 0, NULL, NULL };
	int freed = 0;
	char got[64];
	size_t n;

	p.freed = &freed;
	d = pair(&rec_ops, &r);
	acore_chat_set_buffer_sizes(d, 64, 2);
	acore_chat_set_terminator(d, "\r\n", 2);
	piece("abc\r", 4);
	acore_chat_push(d, "abcdef", 6);
	ok(acore_pending(d) == 4, "push sends at most 2 at once: 4 pending");
	acore_chat_push_with_producer(d, &prod_ops, &p);
	ok(acore_pending(d) == 2, "the next push sends 2 more");
	acore_chat_discard_buffers(d);
	ok(acore_pending(d) == 0 && freed == 1,
	    "discard_buffers empties the queue and frees producers");
	piece("\n", 1);
	n = drain(got, sizeof(got));
	ok(n == 4 && strcmp(r.log, "[abc][\n]") == 0,
	    "the held-back input was discarded too");
	unpair();
}

/* C06 */
static void
test_simple_producer(void)
{
	struct acore_simple_producer *p;
	const void *data;
	char all[16] = "";
	size_t n, sizes[5], i;

	p = acore_simple_producer_new("abcdefg", 7, 3);
	for (i = 0; i < 5; i++) {
		sizes[i] = n = acore_simple_producer_more(p, &data);
		strncat(all, data, n);
	}
	ok(sizes[0] == 3 && sizes[1] == 3 && sizes[2] == 1 && sizes[3] == 0 &&
	    sizes[4] == 0 && strcmp(all, "abcdefg") == 0,
	    "simple_producer slices 3, 3, 1, then empty");
	acore_simple_producer_free(p);

	p = acore_simple_producer_new(NULL, 0, 0);
	ok(p != NULL && acore_simple_producer_more(p, &data) == 0,
	    "an empty simple_producer is empty at once");
	acore_simple_producer_free(p);
}

/*
 * The 2.5 output path with a real connect: pushes made in handle_connect
 * call more() at once but send nothing until connected; each write event
 * then tops up with one piece and sends at most 64 bytes.
 */
static char mlog[256];

static void
on_connect_echo(struct acore_dispatcher *d, void *arg)
{
	static const char *const pieces[] = {
		"Lorem ipsum dolor sit amet, consectetuer adipiscing elit. Donec\n",
		"egestas, enim et consectetuer ullamcorper, lectus ligula rutrum ",
		"leo, a\nelementum elit tortor eu quam.\n",
		NULL
	};
	static struct prod p;
	static int freed;

	p.pieces = pieces;
	p.i = 0;
	p.freed = &freed;
	p.log = mlog;
	acore_chat_push(d, "ECHO 166\n", 9);
	acore_chat_push_with_producer(d, &prod_ops, &p);
	strcat(mlog, "c ");
}

static const struct acore_ops connect_ops = {
	.name = "EchoClient",
	.handle_connect = on_connect_echo,
	.collect_incoming_data = on_collect,
	.found_terminator = on_found,
	.closed = on_closed,
};

static void
test_coalescing(void)
{
	struct acore_dispatcher *d;
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	struct rec r;
	struct pollfd pfd;
	char got[512];
	size_t total = 0;
	ssize_t n;
	int lfd, one = 1, i;

	memset(&r, 0, sizeof(r));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(lfd, 1) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &slen) < 0) {
		perror("listen");
		exit(1);
	}
	loop = acore_loop_new();
	d = acore_chat_new(loop, &connect_ops, &r);
	acore_chat_set_buffer_sizes(d, 64, 64);
	acore_create_socket(d, AF_INET, SOCK_STREAM);
	/* One segment per send, so each read below sees one send. */
	setsockopt(acore_fd(d), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	ok(acore_connect(d, (struct sockaddr *)&sin, sizeof(sin)) == 0,
	    "connect to 127.0.0.1:%d", ntohs(sin.sin_port));
	peer = accept(lfd, NULL, NULL);
	fcntl(peer, F_SETFL, O_NONBLOCK);
	for (i = 0; i < 8 && !strstr(mlog, "m0"); i++) {
		acore_loop_run(loop, 0.2, 1);
		/* Take this pass's send before the next pass can add to it. */
		pfd.fd = peer;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 200) == 1 &&
		    (n = read(peer, got + total, sizeof(got) - total)) > 0) {
			total += (size_t)n;
			sprintf(mlog + strlen(mlog), "s%zd ", n);
		}
	}
	is_str(mlog, "m64 c s64 m64 s64 m38 s47 m0 ",
	    "more() eagerly, one piece per top-up, 64/64/47 sends");
	ok(total == 175 && memcmp(got, "ECHO 166\nLorem", 14) == 0,
	    "175 bytes sent in order");
	acore_loop_free(loop);
	loop = NULL;
	close(peer);
	close(lfd);
}

/* ------------------------------------------------------------- misuse */

static void
test_misuse(void)
{
	static const struct acore_ops none_ops = { .name = "plain" };
	struct acore_dispatcher *d, *plain;
	struct rec r;
	int freed = 0;
	struct prod p = { NULL, 0, NULL, NULL };

	p.freed = &freed;
	d = pair(&rec_ops, &r);
	plain = acore_dispatcher_new(loop, &none_ops, NULL);
	ok(acore_chat_set_terminator(d, "", 0) == -EINVAL,
	    "an empty string terminator is refused");
	ok(acore_chat_set_buffer_sizes(d, 0, 1) == -EINVAL,
	    "a zero buffer size is refused");
	ok(acore_chat_push(plain, "x", 1) == -EINVAL &&
	    acore_chat_get_terminator(plain, NULL) == -EINVAL,
	    "chat calls on a plain dispatcher: -EINVAL");
	ok(acore_chat_push_with_producer(plain, &prod_ops, &p) == -EINVAL &&
	    freed == 1, "a refused producer is still freed");
	acore_close(d);
	ok(acore_chat_push(d, "D", 1) == -EBADF,
	    "push on a closed channel: -EBADF");
	ok(acore_chat_push_with_producer(d, &prod_ops, &p) == -EBADF &&
	    freed == 2, "a producer pushed on a closed channel is freed");
	unpair();
}

int
main(void)
{
	/* Messages with false starts of each terminator inside them. */
	test_splits("\n", "hello\n\nab c\nend",
	    "hello||ab c|end");
	test_splits("\r\n", "hel\rlo\r\n\r\na\r\rb\r\nend\r",
	    "hel\rlo||a\r\rb|end");
	test_splits("qqq", "qqhelloqqqqqqaqqbqqqqqendqq",
	    "qqhello||aqqb|qqend");
	test_read_size("\n", "ab\n\nc\nxyz", "ab||c|xyz", 1);
	test_read_size("\r\n", "a\r\r\nb\r\n\r\ncd\r", "a\r|b||cd", 1);
	test_read_size("\r\n", "a\r\r\nb\r\n\r\ncd\r", "a\r|b||cd", 2);
	test_read_size("qqq", "xqqqqqqyqqzqqq", "x||yqqz|", 1);
	test_read_size("qqq", "xqqqqqqyqqzqqq", "x||yqqz|", 2);
	test_read_size("qqq", "xqqqqqqyqqzqqq", "x||yqqz|", 3);
	test_held_back();
	test_count();
	test_none();
	test_empty_messages();
	test_change_mid_buffer();
	test_in_buffer_size();
	test_max_input();
	test_close_in_found();
	test_push_large();
	test_empty_producer();
	test_close_when_done();
	test_eof_then_send();
	test_discard();
	test_simple_producer();
	test_coalescing();
	test_misuse();
	tap_plan_done();
	return tap_exit();
}
