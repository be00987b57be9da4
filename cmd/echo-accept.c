/*
 * echo-accept.c: the EchoServer dispatcher of acore echo-server: accepts
 * clients and hands each to the handler kind chosen, holds the table of
 * live handlers (for --max-conns and a graceful stop), refuses clients at
 * the descriptor limit, and on SIGINT or SIGTERM stops accepting and lets
 * every client take its echo.  --with-client starts the PyMOTW client in
 * the same loop.
 */
#include "config.h"

#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acore.h"
#include "cmd.h"
#include "echo.h"

#define ACCEPTS_PER_EVENT 64	/* asyncore takes one; a burst wants more */
#define GRACE_SECS	5	/* for clients to take their echo at exit */

struct echo_server echo_srv;

void
echo_server_debug(struct acore_dispatcher *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void
echo_server_debug(struct acore_dispatcher *d, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (echo_srv.quiet || !cmd_is_verbose())
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	acore_debug(d, "%s", buf);
}

void
echo_server_close(struct acore_dispatcher *d, void *arg)
{
	size_t i;

	(void)arg;
	echo_server_debug(d, "handle_close()");
	acore_close(d);
	for (i = 0; i < echo_srv.nlisteners; i++)
		if (d == echo_srv.listeners[i]) {
			echo_srv.listeners[i] = NULL;
			if (echo_srv.unix_path != NULL)
				unlink(echo_srv.unix_path);
		}
}

void
echo_server_close_listeners(void)
{
	size_t i;

	for (i = 0; i < echo_srv.nlisteners; i++)
		if (echo_srv.listeners[i] != NULL)
			echo_server_close(echo_srv.listeners[i], NULL);
}

static void
server_error(struct acore_dispatcher *d, int err, void *arg)
{
	acore_log(ACORE_LOG_WARN, acore_name(d), "error: %s",
	    acore_strerror(err));
	echo_server_close(d, arg);
}

/*
 * A place for one more client under --max-conns: one count per process,
 * or with --workers one shared by all, taken before the handler exists.
 */
static int
take_slot(void)
{
	if (echo_srv.max_conns == 0)
		return 1;
	if (echo_srv.shared_conns == NULL)
		return echo_srv.nconns < echo_srv.max_conns;
	if (atomic_fetch_add(echo_srv.shared_conns, 1) < echo_srv.max_conns) {
		atomic_fetch_add(echo_srv.own_conns, 1);
		return 1;
	}
	atomic_fetch_sub(echo_srv.shared_conns, 1);
	return 0;
}

static void
give_slot(void)
{
	if (echo_srv.max_conns > 0 && echo_srv.shared_conns != NULL) {
		atomic_fetch_sub(echo_srv.own_conns, 1);
		atomic_fetch_sub(echo_srv.shared_conns, 1);
	}
}

/*
 * --tls: a new client's handshake, with its deadline, so that clients who
 * stop mid-handshake cannot hold descriptors for ever.
 */
int
echo_handler_tls(struct acore_dispatcher *d, const struct echo_conf *conf)
{
	int rc;

	if (conf->tls == NULL)
		return 0;
	if ((rc = acore_tls_attach(d, conf->tls, NULL)) < 0)
		return rc;
	return acore_set_connect_timeout(d, conf->handshake);
}

void
echo_handler_gone(struct acore_dispatcher *d)
{
	int fd = acore_fd(d);

	if (fd >= 0 && (size_t)fd < echo_srv.nslots &&
	    echo_srv.conns[fd] == d) {
		echo_srv.conns[fd] = NULL;
		echo_srv.nconns--;
		give_slot();
	}
}

/* Room in the tables for descriptor fd. */
static int
grow_slots(int fd)
{
	struct acore_dispatcher **p;
	double *t;
	size_t n;

	if ((size_t)fd < echo_srv.nslots)
		return 0;
	n = echo_srv.nslots ? echo_srv.nslots : 1024;
	while (n <= (size_t)fd)
		n *= 2;
	if ((p = realloc(echo_srv.conns, n * sizeof(*p))) == NULL)
		return -ENOMEM;
	memset(p + echo_srv.nslots, 0, (n - echo_srv.nslots) * sizeof(*p));
	echo_srv.conns = p;
	if ((t = realloc(echo_srv.since, n * sizeof(*t))) == NULL)
		return -ENOMEM;
	echo_srv.since = t;
	echo_srv.nslots = n;
	return 0;
}

static void
add_handler(int fd)
{
	struct acore_dispatcher *d;

	if (grow_slots(fd) < 0) {
		warnx("echo-server: out of memory: refusing a client");
		close(fd);
		give_slot();
		return;
	}
	if ((d = echo_srv.kind->start(&echo_srv.conf, fd)) == NULL) {
		give_slot();
		return;
	}
	echo_srv.conns[fd] = d;
	echo_srv.since[fd] = acore_now();
	echo_srv.nconns++;
}

/*
 * Out of descriptors with --tls: close the client that has been in its
 * handshake longest.  Clients that stop in mid-handshake would otherwise
 * hold every descriptor until their deadline and starve real clients,
 * whose handshakes take milliseconds.  1 when one was closed.
 */
static int
evict_stalled_handshake(void)
{
	struct acore_dispatcher *d, *oldest = NULL;
	double when = 0;
	size_t fd;

	if (echo_srv.conf.tls == NULL)
		return 0;
	for (fd = 0; fd < echo_srv.nslots; fd++) {
		if ((d = echo_srv.conns[fd]) == NULL ||
		    acore_tls_established(d))
			continue;
		if (oldest == NULL || echo_srv.since[fd] < when) {
			oldest = d;
			when = echo_srv.since[fd];
		}
	}
	if (oldest == NULL)
		return 0;
	acore_log(ACORE_LOG_DEBUG, acore_name(oldest),
	    "out of file descriptors: closing, handshake unfinished after "
	    "%.1f s", acore_now() - when);
	echo_handler_gone(oldest);
	acore_close(oldest);
	return 1;
}

/*
 * Out of descriptors: the pending client would keep the listener readable
 * and the loop spinning.  Free the spare, take the client, close it.
 */
static void
refuse_at_fd_limit(struct acore_dispatcher *d)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd;

	acore_log(ACORE_LOG_WARN, acore_name(d),
	    "out of file descriptors: refusing a client");
	if (echo_srv.spare_fd < 0)
		return;
	close(echo_srv.spare_fd);
	if ((fd = acore_accept(d, &ss, &len)) >= 0)
		close(fd);
	echo_srv.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void
server_accept(struct acore_dispatcher *d, void *arg)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char addr[160];
	int fd, i;

	for (i = 0; i < ACCEPTS_PER_EVENT; i++) {
		len = sizeof(ss);
		if ((fd = acore_accept(d, &ss, &len)) < 0) {
			if ((fd == -EMFILE || fd == -ENFILE) &&
			    evict_stalled_handshake())
				continue;
			if (fd == -EMFILE || fd == -ENFILE)
				refuse_at_fd_limit(d);
			else if (fd != -EAGAIN)
				acore_log(ACORE_LOG_WARN, acore_name(d),
				    "accept: %s", acore_strerror(fd));
			return;
		}
		echo_str_addr((struct sockaddr *)&ss, len, addr,
		    sizeof(addr));
		echo_server_debug(d, "handle_accept() -> %s", addr);
		if (!take_slot()) {
			echo_server_debug(d, "refusing %s: %zu clients already",
			    addr, echo_srv.nconns);
			close(fd);
			continue;
		}
		/*
		 * Only the docs' server prints; the PyMOTW programs (--once,
		 * --chat) keep stdout empty.  repr(addr): a Unix client's
		 * address is '' in quotes.
		 */
		if (echo_srv.kind == &echo_handler_docs) {
			if (ss.ss_family == AF_UNIX)
				acore_format_addr((struct sockaddr *)&ss, len,
				    addr, sizeof(addr));
			printf("Incoming connection from %s\n", addr);
		}
		add_handler(fd);
		if (echo_srv.once) {
			echo_server_close_listeners();
			return;
		}
	}
}

const struct acore_ops echo_server_ops = {
	.name = "EchoServer",
	.handle_accept = server_accept,
	.handle_close = echo_server_close,
	.handle_error = server_error,
};

static void
grace_over(void *arg)
{
	(void)arg;
	warnx("echo-server: closing %zu client%s that did not take the echo "
	    "in %d s", echo_srv.nconns, echo_srv.nconns == 1 ? "" : "s", GRACE_SECS);
	echo_srv.status = AC_EXIT_FAIL;
	acore_close_all(echo_srv.conf.loop);
}

/* Stop accepting; each client gets its pending echo, then is closed. */
void
echo_server_stop(void)
{
	size_t fd;

	if (echo_srv.stopping)
		return;
	echo_srv.stopping = 1;
	echo_server_close_listeners();
	for (fd = 0; fd < echo_srv.nslots; fd++)
		if (echo_srv.conns[fd] != NULL)
			echo_srv.kind->finish(echo_srv.conns[fd]);
	if (echo_srv.nconns > 0 &&
	    (echo_srv.grace = acore_timer_new(echo_srv.conf.loop, grace_over,
	    NULL)) != NULL)
		acore_timer_start(echo_srv.grace, GRACE_SECS);
}

void
echo_server_signal(int signo, void *arg)
{
	(void)arg;
	if (echo_srv.stopping) {	/* a second signal: do not wait */
		echo_srv.status = AC_EXIT_FAIL;
		acore_close_all(echo_srv.conf.loop);
		return;
	}
	acore_log(ACORE_LOG_DEBUG, "EchoServer", "%s: stopping",
	    strsignal(signo));
	echo_server_stop();
}

static void
client_done(int status)
{
	echo_srv.status = status;
	echo_server_stop();
}

/* --with-client: the PyMOTW EchoClient, connecting to our own address. */
void
echo_server_start_client(const char *path, struct echo_client_conf *cc)
{
	static char host[NI_MAXHOST], port[NI_MAXSERV];
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int rc;

	memset(cc, 0, sizeof(*cc));
	cc->msg = echo_read_message("echo-server", path, &cc->len);
	/* The asynchat client's buffers follow --chunk-size, as the handler's. */
	cc->chunk = echo_srv.quiet ? echo_srv.conf.chunk : 512;
	cc->chat = echo_srv.quiet;
	cc->out_fd = -1;
	cc->in_fd = -1;
	cc->done = client_done;
	if (echo_srv.unix_path != NULL)
		cc->unix_path = echo_srv.unix_path;
	else {
		if (getsockname(acore_fd(echo_srv.listeners[0]), (struct sockaddr *)&ss,
		    &len) < 0 || getnameinfo((struct sockaddr *)&ss, len,
		    host, sizeof(host), port, sizeof(port),
		    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
			err(AC_EXIT_FAIL, "echo-server: getsockname");
		cc->host = host;
		cc->port = port;
	}
	if ((rc = echo_client_start(echo_srv.conf.loop, cc)) != 0)
		exit(rc);
}
