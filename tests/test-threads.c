/*
 * test-threads.c: one loop per thread.  Two threads each run a loop of
 * their own with echo traffic through it: a with-send echo server and its
 * client, and an async_chat line echo and its client, over loopback TCP,
 * while the main thread changes the process-wide log level.  Each thread
 * checks every byte it gets back.  `make check-tsan` builds this and the
 * library with ThreadSanitizer, which reports any state the loops share
 * without synchronisation (such as a process-wide chat read buffer).
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acore.h"
#include "tap.h"

#define NTHREADS	2
#define STREAM_BYTES	(256 * 1024)
#define LINES		2000
#define LIMIT_SECS	30

struct world {
	int			 id;
	struct acore_loop	*loop;
	struct acore_dispatcher	*listeners[2];
	/* with-send echo */
	char			*sent;
	size_t			 got;
	int			 stream_ok;
	/* chat echo */
	size_t			 lines;
	int			 lines_ok;
	char			 line[64];
	size_t			 linelen;
	int			 done;		/* clients finished */
	int			 timed_out;
};

static atomic_int running = NTHREADS;

/* --------------------------------------------------- with-send echo pair */

static void
echo_read(struct acore_dispatcher *d, void *arg)
{
	char buf[16384];
	ssize_t n;

	(void)arg;
	if ((n = acore_recv(d, buf, sizeof(buf))) > 0)
		acore_send(d, buf, (size_t)n);
}

static const struct acore_ops echo_ops = { .name = "EchoHandler",
    .handle_read = echo_read };

static void
client_done(struct world *w)
{
	if (++w->done < 2)
		return;
	acore_close(w->listeners[0]);
	acore_close(w->listeners[1]);
}

static void
stream_connect(struct acore_dispatcher *d, void *arg)
{
	struct world *w = arg;

	acore_debug(d, "handle_connect()");
	acore_send(d, w->sent, STREAM_BYTES);
}

static void
stream_read(struct acore_dispatcher *d, void *arg)
{
	struct world *w = arg;
	char buf[8192];
	ssize_t n;

	if ((n = acore_recv(d, buf, sizeof(buf))) <= 0)
		return;
	acore_debug(d, "handle_read() -> %zd bytes", n);
	if (w->got + (size_t)n > STREAM_BYTES ||
	    memcmp(buf, w->sent + w->got, (size_t)n) != 0)
		w->stream_ok = 0;
	w->got += (size_t)n;
	if (w->got >= STREAM_BYTES) {
		acore_close(d);
		client_done(w);
	}
}

static void
stream_error(struct acore_dispatcher *d, int err, void *arg)
{
	fprintf(stderr, "# stream client: %s\n", acore_strerror(err));
	((struct world *)arg)->stream_ok = 0;
	acore_close(d);
	client_done(arg);
}

static const struct acore_ops stream_ops = { .name = "EchoClient",
    .handle_connect = stream_connect, .handle_read = stream_read,
    .handle_error = stream_error };

/* ------------------------------------------------------ chat echo pair */

static char	 collected[NTHREADS][64];
static size_t	 ncollected[NTHREADS];

static void
chat_collect(struct acore_dispatcher *d, const void *data, size_t len,
    void *arg)
{
	struct world *w = arg;

	(void)d;
	if (w->linelen + len <= sizeof(w->line)) {
		memcpy(w->line + w->linelen, data, len);
		w->linelen += len;
	}
}

/* The handler pushes each line back; the client checks it. */
static void
handler_found(struct acore_dispatcher *d, void *arg)
{
	struct world *w = arg;

	acore_chat_push(d, w->line, w->linelen);
	acore_chat_push(d, "\n", 1);
	w->linelen = 0;
}

static void
handler_collect(struct acore_dispatcher *d, const void *data, size_t len,
    void *arg)
{
	chat_collect(d, data, len, arg);
}

static const struct acore_ops chat_handler_ops = { .name = "ChatHandler",
    .collect_incoming_data = handler_collect,
    .found_terminator = handler_found };

static void
line_text(int id, size_t i, char *buf, size_t size)
{
	snprintf(buf, size, "thread %d line %zu", id, i);
}

static void
client_collect(struct acore_dispatcher *d, const void *data, size_t len,
    void *arg)
{
	struct world *w = arg;
	size_t *n = &ncollected[w->id];

	(void)d;
	if (*n + len <= sizeof(collected[0])) {
		memcpy(collected[w->id] + *n, data, len);
		*n += len;
	} else
		w->lines_ok = 0;
}

static void
client_found(struct acore_dispatcher *d, void *arg)
{
	struct world *w = arg;
	char want[64];

	line_text(w->id, w->lines, want, sizeof(want));
	if (ncollected[w->id] != strlen(want) ||
	    memcmp(collected[w->id], want, strlen(want)) != 0)
		w->lines_ok = 0;
	ncollected[w->id] = 0;
	if (++w->lines == LINES) {
		acore_close(d);
		client_done(w);
	}
}

static void
chat_client_connect(struct acore_dispatcher *d, void *arg)
{
	struct world *w = arg;
	char line[64];
	size_t i;
	int n;

	for (i = 0; i < LINES; i++) {
		line_text(w->id, i, line, sizeof(line));
		n = (int)strlen(line);
		line[n++] = '\n';
		acore_chat_push(d, line, (size_t)n);
	}
}

static void
chat_client_error(struct acore_dispatcher *d, int err, void *arg)
{
	fprintf(stderr, "# chat client: %s\n", acore_strerror(err));
	((struct world *)arg)->lines_ok = 0;
	acore_close(d);
	client_done(arg);
}

static const struct acore_ops chat_client_ops = { .name = "ChatClient",
    .handle_connect = chat_client_connect,
    .collect_incoming_data = client_collect,
    .found_terminator = client_found, .handle_error = chat_client_error };

/* ------------------------------------------------------------ listeners */

static void
stream_accepted(struct acore_dispatcher *l, int fd, const struct sockaddr *sa,
    socklen_t len, void *arg)
{
	struct acore_dispatcher *h;

	(void)sa;
	(void)len;
	(void)arg;
	h = acore_dispatcher_with_send_new(acore_loop_of(l), &echo_ops, NULL);
	if (h == NULL || acore_set_socket(h, fd) < 0)
		acore_close(h);
}

static void
chat_accepted(struct acore_dispatcher *l, int fd, const struct sockaddr *sa,
    socklen_t len, void *arg)
{
	struct world *w = arg;
	struct acore_dispatcher *h;

	(void)sa;
	(void)len;
	h = acore_chat_new(acore_loop_of(l), &chat_handler_ops, w);
	if (h == NULL || acore_set_socket(h, fd) < 0 ||
	    acore_chat_set_terminator(h, "\n", 1) < 0 ||
	    acore_chat_set_buffer_sizes(h, 512, 512) < 0)
		acore_close(h);
}

static const struct acore_ops stream_listen_ops = { .name = "EchoServer",
    .handle_accepted = stream_accepted };
static const struct acore_ops chat_listen_ops = { .name = "ChatServer",
    .handle_accepted = chat_accepted };

static void
port_of(struct acore_dispatcher *l, char *buf, size_t size)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	getsockname(acore_fd(l), (struct sockaddr *)&sin, &len);
	snprintf(buf, size, "%d", ntohs(sin.sin_port));
}

static void
too_long(void *arg)
{
	struct world *w = arg;

	w->timed_out = 1;
	acore_close_all(w->loop);
}

static void *
run(void *arg)
{
	struct world *w = arg;
	struct acore_dispatcher *c;
	struct acore_timer *t;
	char port[16];
	size_t i;

	w->loop = acore_loop_new();
	w->sent = malloc(STREAM_BYTES);
	for (i = 0; i < STREAM_BYTES; i++)
		w->sent[i] = (char)(i * 7 + (size_t)w->id * 13);
	w->stream_ok = w->lines_ok = 1;

	w->listeners[0] = acore_dispatcher_new(w->loop, &stream_listen_ops, w);
	w->listeners[1] = acore_dispatcher_new(w->loop, &chat_listen_ops, w);
	if (acore_listen_host(w->listeners[0], "127.0.0.1", "0", AF_INET,
	    16) < 0 || acore_listen_host(w->listeners[1], "127.0.0.1", "0",
	    AF_INET, 16) < 0) {
		w->stream_ok = w->lines_ok = 0;
		goto out;
	}
	port_of(w->listeners[0], port, sizeof(port));
	c = acore_dispatcher_with_send_new(w->loop, &stream_ops, w);
	acore_connect_host(c, "127.0.0.1", port, AF_INET);
	port_of(w->listeners[1], port, sizeof(port));
	c = acore_chat_new(w->loop, &chat_client_ops, w);
	acore_chat_set_terminator(c, "\n", 1);
	acore_chat_set_buffer_sizes(c, 512, 512);
	acore_connect_host(c, "127.0.0.1", port, AF_INET);

	t = acore_timer_new(w->loop, too_long, w);
	acore_timer_start(t, LIMIT_SECS);
	acore_loop_run(w->loop, 1.0, 0);	/* until the map is empty */
	acore_timer_free(t);
out:
	acore_loop_free(w->loop);
	free(w->sent);
	atomic_fetch_sub(&running, 1);
	return NULL;
}

int
main(void)
{
	struct world w[NTHREADS];
	pthread_t th[NTHREADS];
	int i, flip = 0;

	signal(SIGPIPE, SIG_IGN);
	memset(w, 0, sizeof(w));
	for (i = 0; i < NTHREADS; i++) {
		w[i].id = i;
		if (pthread_create(&th[i], NULL, run, &w[i]) != 0) {
			fprintf(stderr, "pthread_create failed\n");
			return 99;
		}
	}
	/* The log level is process-wide: change it while both loops log. */
	while (atomic_load(&running) > 0) {
		acore_set_log_level(flip ? ACORE_LOG_ERROR : ACORE_LOG_WARN);
		flip = !flip;
		usleep(1000);
	}
	for (i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	acore_set_log_level(ACORE_LOG_WARN);
	for (i = 0; i < NTHREADS; i++) {
		ok(!w[i].timed_out, "thread %d: done within %d s", i,
		    LIMIT_SECS);
		ok(w[i].stream_ok && w[i].got == STREAM_BYTES,
		    "thread %d: with-send echo of %d bytes, every byte back",
		    i, STREAM_BYTES);
		ok(w[i].lines_ok && w[i].lines == LINES,
		    "thread %d: chat echo of %d lines, each line back (%zu)",
		    i, LINES, w[i].lines);
	}
	tap_plan_done();
	return tap_exit();
}
