/*
 * test-contract.c: the library's promises that hold for every kind of
 * channel: what acore_send returns, -EBADF for a closed channel,
 * -EINVAL for a setter of another kind, the log level as an enum, and
 * listening and connecting by host, numeric addresses read alike, and
 * SIGPIPE never raised.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acore.h"
#include "tap.h"

static char trace[256];

static void
rec_close(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	snprintf(trace + strlen(trace), sizeof(trace) - strlen(trace),
	    "close(%d) ", acore_close_reason(d));
	acore_close(d);
}

static void
rec_error(struct acore_dispatcher *d, int err, void *arg)
{
	(void)arg;
	snprintf(trace + strlen(trace), sizeof(trace) - strlen(trace),
	    "error(%d) ", err);
	acore_close(d);
}

static const struct acore_ops rec_ops = {
	.name = "rec",
	.handle_close = rec_close,
	.handle_error = rec_error,
};

enum { PLAIN, WITH_SEND, CHAT, FILEKIND, NKINDS };
static const char *kind_name[] = { "plain", "with-send", "chat", "file" };

/* A channel of the kind on one end of a fresh socketpair; *peer the other. */
static struct acore_dispatcher *
make(struct acore_loop *loop, int kind, int *peer)
{
	struct acore_dispatcher *d = NULL;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return NULL;
	*peer = sv[1];
	switch (kind) {
	case PLAIN:
		d = acore_dispatcher_new(loop, &rec_ops, NULL);
		break;
	case WITH_SEND:
		d = acore_dispatcher_with_send_new(loop, &rec_ops, NULL);
		break;
	case CHAT:
		d = acore_chat_new(loop, &rec_ops, NULL);
		break;
	case FILEKIND:
		d = acore_file_new(loop, sv[0], &rec_ops, NULL);
		close(sv[0]);
		return d;
	}
	if (d != NULL && acore_set_socket(d, sv[0]) < 0)
		return NULL;
	return d;
}

static void
test_send_contract(void)
{
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *d;
	static char big[4 << 20];
	char buf[16];
	int k, peer;
	ssize_t n;

	for (k = 0; k < NKINDS; k++) {
		/* Success: plain and file the bytes taken, the others len. */
		d = make(loop, k, &peer);
		is_int(acore_send(d, "abc", 3), 3, "%s: send returns 3",
		    kind_name[k]);
		is_int(read(peer, buf, sizeof(buf)), 3, "%s: the peer has them",
		    kind_name[k]);

		/* The peer is gone: the hook runs, then the errno. */
		close(peer);
		trace[0] = '\0';
		n = acore_send(d, "abc", 3);
		is_int(n, -EPIPE, "%s: send to a closed peer: -EPIPE",
		    kind_name[k]);
		is_str(trace, "close(-32) ", "%s: handle_close ran first, "
		    "reason -EPIPE", kind_name[k]);
		ok(acore_flags(d) & ACORE_CLOSED, "%s: and closed the channel",
		    kind_name[k]);

		/* Closed: -EBADF, for every call that does something. */
		trace[0] = '\0';
		is_int(acore_send(d, "abc", 3), -EBADF,
		    "%s: send on a closed channel: -EBADF", kind_name[k]);
		is_int(acore_recv(d, buf, sizeof(buf)), -EBADF,
		    "%s: recv on a closed channel: -EBADF", kind_name[k]);
		is_int(acore_shutdown(d, SHUT_WR), -EBADF,
		    "%s: shutdown on a closed channel: -EBADF", kind_name[k]);
		is_int(acore_set_timeout(d, 1.0), -EBADF,
		    "%s: set_timeout on a closed channel: -EBADF",
		    kind_name[k]);
		is_int(acore_set_reuse_addr(d), -EBADF,
		    "%s: set_reuse_addr on a closed channel: -EBADF",
		    kind_name[k]);
		is_int(acore_listen_host(d, "127.0.0.1", "0", AF_UNSPEC, 1),
		    -EBADF, "%s: listen_host on a closed channel: -EBADF",
		    kind_name[k]);
		is_int(acore_set_reuse_port(d), -EBADF,
		    "%s: set_reuse_port on a closed channel: -EBADF",
		    kind_name[k]);
		is_int(acore_set_source(d, NULL, 0), -EBADF,
		    "%s: set_source on a closed channel: -EBADF",
		    kind_name[k]);
		is_int(acore_set_connect_timeout(d, 1.0), -EBADF,
		    "%s: set_connect_timeout on a closed channel: -EBADF",
		    kind_name[k]);
		{
			struct acore_tls *tls = acore_tls_new(0);

			is_int(acore_tls_attach(d, tls, NULL), -EBADF,
			    "%s: tls_attach on a closed channel: -EBADF",
			    kind_name[k]);
			acore_tls_free(tls);
		}
		is_str(trace, "", "%s: and no hook ran", kind_name[k]);
		acore_loop_run(loop, 0.0, 1);	/* frees it */
	}

	/* With-send: what the socket refuses is queued; still len. */
	d = make(loop, WITH_SEND, &peer);
	is_int(acore_send(d, big, sizeof(big)), (ssize_t)sizeof(big),
	    "with-send: 4 MiB to a peer that does not read: len");
	ok(acore_pending(d) > 0, "with-send: the rest is queued (%zu bytes)",
	    acore_pending(d));
	close(peer);
	trace[0] = '\0';
	is_int(acore_send(d, "x", 1), -EPIPE,
	    "with-send: the queue's send fails: -EPIPE, not len");
	is_str(trace, "close(-32) ", "with-send: handle_close ran first");

	/* Chat: push and close_when_done on a closed channel. */
	d = make(loop, CHAT, &peer);
	close(peer);
	acore_close(d);
	is_int(acore_chat_push(d, "x", 1), -EBADF,
	    "chat: push on a closed channel: -EBADF");
	is_int(acore_chat_close_when_done(d), -EBADF,
	    "chat: close_when_done on a closed channel: -EBADF");
	acore_loop_free(loop);
}

static void
test_setters(void)
{
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *d[NKINDS];
	int k, peer[NKINDS];

	for (k = 0; k < NKINDS; k++)
		d[k] = make(loop, k, &peer[k]);
	for (k = 0; k < NKINDS; k++) {
		is_int(acore_set_high_water(d[k], 4096),
		    k == WITH_SEND ? 0 : -EINVAL, "%s: set_high_water %s",
		    kind_name[k], k == WITH_SEND ? "applies" : "-EINVAL");
		is_int(acore_chat_set_max_input(d[k], 10),
		    k == CHAT ? 0 : -EINVAL, "%s: chat_set_max_input %s",
		    kind_name[k], k == CHAT ? "applies" : "-EINVAL");
		is_int(acore_chat_discard_buffers(d[k]),
		    k == CHAT ? 0 : -EINVAL, "%s: chat_discard_buffers %s",
		    kind_name[k], k == CHAT ? "applies" : "-EINVAL");
		is_int(acore_chat_set_buffer_sizes(d[k], 64, 64),
		    k == CHAT ? 0 : -EINVAL, "%s: chat_set_buffer_sizes %s",
		    kind_name[k], k == CHAT ? "applies" : "-EINVAL");
		is_int(acore_chat_close_when_done(d[k]),
		    k == CHAT ? 0 : -EINVAL, "%s: chat_close_when_done %s",
		    kind_name[k], k == CHAT ? "applies" : "-EINVAL");
	}
	for (k = 0; k < NKINDS; k++)
		close(peer[k]);
	acore_loop_free(loop);

	is_int(acore_set_log_level(ACORE_LOG_DEBUG), 0,
	    "set_log_level(ACORE_LOG_DEBUG): 0");
	ok(acore_log_enabled(ACORE_LOG_DEBUG), "debug is then enabled");
	is_int(acore_set_log_level((enum acore_log_level)(ACORE_LOG_ERROR + 1)),
	    -EINVAL, "a level past ACORE_LOG_ERROR: -EINVAL");
	is_int(acore_set_log_level((enum acore_log_level)-1), -EINVAL,
	    "a level below ACORE_LOG_DEBUG: -EINVAL");
	ok(acore_log_enabled(ACORE_LOG_DEBUG), "and the level is unchanged");
	is_int(acore_set_log_level(ACORE_LOG_WARN), 0, "back to WARN");
	ok(!acore_log_enabled(ACORE_LOG_INFO), "info is off again");
}

/* ------------------------------------------------------------- by host */

static int has_v6;

static const char *
bound(struct acore_dispatcher *d, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(acore_fd(d), (struct sockaddr *)&ss, &len) < 0)
		return "?";
	acore_format_addr((struct sockaddr *)&ss, len, buf, size);
	/* The port varies: keep the host part. */
	if (strrchr(buf, ',') != NULL && ss.ss_family == AF_INET)
		*strrchr(buf, ',') = '\0';
	else if (ss.ss_family == AF_INET6)
		*strchr(buf, ',') = '\0';
	return buf;
}

static int resolved_err = 1;
static char resolved[64];

static void
on_resolved(int err, const struct addrinfo *res, void *arg)
{
	(void)arg;
	resolved_err = err;
	resolved[0] = '\0';
	if (err == 0)
		acore_format_addr(res->ai_addr, res->ai_addrlen, resolved,
		    sizeof(resolved));
}

static int connected;

static void
on_connect(struct acore_dispatcher *d, void *arg)
{
	(void)d;
	(void)arg;
	connected = 1;
}

static const struct acore_ops listen_ops = { .name = "l" };
static const struct acore_ops conn_ops = { .name = "c",
    .handle_connect = on_connect, .handle_error = rec_error };

/* Listen on host, connect to it by host; the bound host part. */
static const char *
listen_connect(struct acore_loop *loop, const char *lhost, const char *chost,
    char *buf, size_t size)
{
	struct acore_dispatcher *l, *c;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char port[16];
	int i, rc;

	l = acore_dispatcher_new(loop, &listen_ops, NULL);
	if ((rc = acore_listen_host(l, lhost, "0", AF_UNSPEC, 5)) < 0) {
		diag("listen_host %s: %s", lhost, acore_strerror(rc));
		return "fail";
	}
	ok(acore_flags(l) & ACORE_ACCEPTING, "listen_host %s: listening",
	    lhost);
	getsockname(acore_fd(l), (struct sockaddr *)&ss, &len);
	snprintf(port, sizeof(port), "%d", ntohs(ss.ss_family == AF_INET ?
	    ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port));
	c = acore_dispatcher_new(loop, &conn_ops, NULL);
	connected = 0;
	trace[0] = '\0';
	is_int(acore_connect_host(c, chost, port, AF_UNSPEC), 0,
	    "connect_host %s: under way", chost);
	for (i = 0; i < 100 && !connected && trace[0] == '\0'; i++)
		acore_loop_run(loop, 0.1, 1);
	ok(connected, "connect_host %s: connected %s", chost, trace);
	bound(l, buf, size);
	acore_close(c);
	acore_close(l);
	return buf;
}

static void
test_by_host(void)
{
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *d;
	char buf[128];
	int fd;

	is_str(listen_connect(loop, "127.0.0.1", "127.0.0.1", buf,
	    sizeof(buf)), "('127.0.0.1'", "numeric v4 both ways");
	is_str(listen_connect(loop, "localhost", "localhost", buf,
	    sizeof(buf)), "('127.0.0.1'", "localhost: IPv4 first");
	is_str(listen_connect(loop, NULL, "127.0.0.1", buf, sizeof(buf)),
	    "('0.0.0.0'", "NULL: the wildcard, IPv4 first");
	if (has_v6) {
		is_str(listen_connect(loop, "[::1]", "[::1]", buf,
		    sizeof(buf)), "('::1'", "[::1] both ways");
		is_str(listen_connect(loop, "::1", "[::1]", buf,
		    sizeof(buf)), "('::1'", "::1 to listen, [::1] to connect");
	} else
		diag("no IPv6 loopback: [::1] cases not run");

	/* Literals never wait for a resolver: answered in the call. */
	resolved_err = 1;
	ok(acore_resolve(loop, "[::1]", "80", AF_UNSPEC, on_resolved,
	    NULL) == NULL && resolved_err == 0,
	    "resolve [::1]: answered at once");
	is_str(resolved, "('::1', 80, 0, 0)", "resolve [::1]: ::1");
	resolved_err = 1;
	ok(acore_resolve(loop, "10.1.2.3", "8080", AF_UNSPEC, on_resolved,
	    NULL) == NULL && resolved_err == 0,
	    "resolve 10.1.2.3: answered at once");
	is_str(resolved, "('10.1.2.3', 8080)", "resolve 10.1.2.3");
	resolved_err = 1;
	acore_resolve(loop, "[::1", "80", AF_UNSPEC, on_resolved, NULL);
	ok(ACORE_IS_EAI(resolved_err), "resolve [::1 (unclosed): %s",
	    acore_strerror(resolved_err));
	resolved_err = 1;
	acore_resolve(loop, "[localhost]", "80", AF_UNSPEC, on_resolved, NULL);
	ok(ACORE_IS_EAI(resolved_err), "resolve [localhost]: a name is no "
	    "literal: %s", acore_strerror(resolved_err));

	d = acore_dispatcher_new(loop, &listen_ops, NULL);
	ok(ACORE_IS_EAI(acore_listen_host(d, "[127.0.0.1", "0", AF_UNSPEC,
	    1)), "listen_host [127.0.0.1: a resolver error");
	is_int(acore_fd(d), -1, "and no socket left behind");
	is_int(acore_listen_host(d, "127.0.0.1", "0", AF_INET6, 1) < 0, 1,
	    "listen_host 127.0.0.1 with AF_INET6: an error");
	is_int(acore_listen_host(d, "127.0.0.1", "0", AF_UNSPEC, 1), 0,
	    "then 127.0.0.1: listening");
	is_int(acore_listen_host(d, "127.0.0.1", "0", AF_UNSPEC, 1),
	    -EALREADY, "again on the same channel: -EALREADY");
	acore_close(d);

	/* A port in use: the bind error. */
	d = acore_dispatcher_new(loop, &listen_ops, NULL);
	acore_listen_host(d, "127.0.0.1", "0", AF_INET, 1);
	fd = acore_fd(d);
	{
		struct sockaddr_in sin;
		socklen_t len = sizeof(sin);
		struct acore_dispatcher *e;
		char port[16];

		getsockname(fd, (struct sockaddr *)&sin, &len);
		snprintf(port, sizeof(port), "%d", ntohs(sin.sin_port));
		e = acore_dispatcher_new(loop, &listen_ops, NULL);
		is_int(acore_listen_host(e, "127.0.0.1", port, AF_INET, 1),
		    -EADDRINUSE, "a port in use: -EADDRINUSE");
		acore_close(e);
	}
	acore_close(d);

	/* AF_UNIX: host is the path. */
	{
		char path[64];
		struct acore_dispatcher *u;

		snprintf(path, sizeof(path), "/tmp/acore-contract-%d",
		    (int)getpid());
		unlink(path);
		u = acore_dispatcher_new(loop, &listen_ops, NULL);
		is_int(acore_listen_host(u, path, NULL, AF_UNIX, 1), 0,
		    "AF_UNIX: listening on the path");
		ok(access(path, F_OK) == 0, "AF_UNIX: the socket exists");
		d = acore_dispatcher_new(loop, &conn_ops, NULL);
		connected = 0;
		trace[0] = '\0';
		is_int(acore_connect_host(d, path, NULL, AF_UNIX), 0,
		    "AF_UNIX: connect_host to the path: under way");
		for (fd = 0; fd < 100 && !connected && trace[0] == '\0'; fd++)
			acore_loop_run(loop, 0.1, 1);
		ok(connected, "AF_UNIX: connected %s", trace);
		acore_close(d);
		acore_close(u);
		unlink(path);
		d = acore_dispatcher_new(loop, &conn_ops, NULL);
		is_int(acore_connect_host(d, path, NULL, AF_UNIX), -ENOENT,
		    "AF_UNIX: no socket at the path: -ENOENT at once");
		is_int(acore_fd(d), -1, "AF_UNIX: and no descriptor kept");
		acore_close(d);
	}
	acore_loop_free(loop);
}

/*
 * SIGPIPE is never raised (libacore(3)), so a program need not ignore
 * it: in a child that keeps the default (death), send to a peer that has
 * gone on every kind, and log to a standard error nobody reads.
 */
static void
test_no_sigpipe(void)
{
	struct acore_loop *loop;
	int k, peer, p[2], status = -1;
	pid_t pid;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		signal(SIGPIPE, SIG_DFL);
		loop = acore_loop_new();
		for (k = 0; k < NKINDS; k++) {
			struct acore_dispatcher *d = make(loop, k, &peer);

			close(peer);
			(void)acore_send(d, "abc", 3);
			(void)acore_send(d, "abc", 3);
		}
		if (pipe(p) < 0 || dup2(p[1], STDERR_FILENO) < 0)
			_exit(2);
		close(p[0]);
		close(p[1]);
		acore_log(ACORE_LOG_ERROR, "contract", "to nobody");
		acore_loop_free(loop);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "sends to a gone peer and a log line to a closed stderr pipe: "
	    "no SIGPIPE (status %#x)", (unsigned)status);
}

/*
 * acore_ignore_sigpipe: SIG_IGN for the process, 0 the first time (it was
 * the default), 1 after; and a write into a pipe nobody reads is then
 * -EPIPE without the guard, the process alive.
 */
static void
test_ignore_sigpipe(void)
{
	struct acore_loop *loop;
	struct acore_dispatcher *d;
	struct sigaction sa;
	int p[2], status = -1, code;
	pid_t pid;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		signal(SIGPIPE, SIG_DFL);
		if (acore_ignore_sigpipe() != 0 || acore_ignore_sigpipe() != 1)
			_exit(3);
		if (sigaction(SIGPIPE, NULL, &sa) < 0 ||
		    sa.sa_handler != SIG_IGN)
			_exit(4);
		if (pipe(p) < 0)
			_exit(2);
		close(p[0]);
		loop = acore_loop_new();
		d = acore_file_new(loop, p[1], NULL, NULL);
		code = d != NULL && acore_send(d, "abc", 3) == -EPIPE ? 0 : 5;
		acore_loop_free(loop);
		_exit(code);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "acore_ignore_sigpipe: 0 then 1, SIG_IGN set, a write into a gone "
	    "reader's pipe is -EPIPE, no death (status %#x)", (unsigned)status);
}

int
main(void)
{
	int s;

	signal(SIGPIPE, SIG_IGN);
	if ((s = socket(AF_INET6, SOCK_STREAM, 0)) >= 0) {
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
		    .sin6_addr = IN6ADDR_LOOPBACK_INIT };

		has_v6 = bind(s, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
		close(s);
	}
	test_send_contract();
	test_setters();
	test_by_host();
	test_no_sigpipe();
	test_ignore_sigpipe();
	tap_plan_done();
	return tap_exit();
}
