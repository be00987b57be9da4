/*
 * test-proxy.c: acore_connect_proxy's stages against small proxies of the
 * test's own, each a forked child that serves one connection the way its
 * mode says (a real HTTP CONNECT, SOCKS5 or SOCKS4a dialogue, relaying to
 * the TLS echo server of this process, or a refusal, a stall, a reset).
 * The good paths are also run against squid, dante and microsocks in
 * tests/proxy.bats; here each stage's failures, under one deadline.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acore.h"
#include "tap.h"
#include "tls-cert.h"

/* ------------------------------------------------------ the TLS server */

static struct acore_tls *srv_tls;

static void
srv_read(struct acore_dispatcher *d, void *arg)
{
	char buf[4096];
	ssize_t n;

	(void)arg;
	if ((n = acore_recv(d, buf, sizeof(buf))) > 0)
		(void)acore_send(d, buf, (size_t)n);
}

static void
srv_gone(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	acore_close(d);
}

static void
srv_error(struct acore_dispatcher *d, int err, void *arg)
{
	(void)err;
	(void)arg;
	acore_close(d);
}

static const struct acore_ops srv_conn_ops = {
	.name = "server-conn",
	.handle_read = srv_read,
	.handle_close = srv_gone,
	.handle_error = srv_error,
};

static void
srv_accepted(struct acore_dispatcher *d, int fd, const struct sockaddr *sa,
    socklen_t len, void *arg)
{
	struct acore_dispatcher *c;

	(void)sa;
	(void)len;
	(void)arg;
	c = acore_dispatcher_with_send_new(acore_loop_of(d), &srv_conn_ops,
	    NULL);
	if (c == NULL || acore_set_socket(c, fd) < 0 ||
	    acore_tls_attach(c, srv_tls, NULL) < 0)
		acore_close(c);
}

static const struct acore_ops listener_ops = {
	.name = "listener",
	.handle_accepted = srv_accepted,
};

/* ------------------------------------------------------------ the proxy */

static unsigned short target_port;
static const char *target_host = "localhost";
static int want_atyp;		/* SOCKS5: the address type to see; 0: any */

/* Read exactly len bytes; 0, or -1 at an end. */
static int
get(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = read(fd, p, len)) <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
put(int fd, const void *buf, size_t len)
{
	return write(fd, buf, len) == (ssize_t)len ? 0 : -1;
}

#define PUTS(fd, lit)	put(fd, lit, sizeof(lit) - 1)

/* Up to the empty line; 0, or -1. */
static int
get_head(int fd, char *buf, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		if (read(fd, buf + n, 1) != 1)
			return -1;
		buf[++n] = '\0';
		if (n >= 4 && memcmp(buf + n - 4, "\r\n\r\n", 4) == 0)
			return 0;
	}
	return -1;
}

static void
relay(int a)
{
	struct sockaddr_in sin;
	struct pollfd p[2];
	char buf[16384];
	ssize_t n;
	int b, i;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(target_port);
	if ((b = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(b, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		_exit(3);
	p[0].fd = a;
	p[1].fd = b;
	p[0].events = p[1].events = POLLIN;
	for (;;) {
		if (poll(p, 2, 10000) <= 0)
			_exit(4);
		for (i = 0; i < 2; i++)
			if (p[i].revents) {
				if ((n = read(p[i].fd, buf, sizeof(buf))) <= 0)
					_exit(0);
				if (put(p[1 - i].fd, buf, (size_t)n) < 0)
					_exit(0);
			}
	}
}

static void
reset(int fd)
{
	struct linger lg = { 1, 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	_exit(0);
}

/* What the client sent, checked; the child exits 5 when it is wrong. */
static char expect[512];

static void
serve(const char *mode, int fd)
{
	unsigned char b[600];
	char head[2048];
	size_t n;

	if (strncmp(mode, "http", 4) == 0) {
		if (strcmp(mode, "http-reset") == 0) {
			(void)read(fd, head, 1);
			reset(fd);
		}
		if (get_head(fd, head, sizeof(head)) < 0)
			_exit(6);
		if (expect[0] != '\0' && strcmp(head, expect) != 0)
			_exit(5);
		if (strcmp(mode, "http-stall") == 0)
			pause();
		if (strcmp(mode, "http-403") == 0) {
			(void)PUTS(fd, "HTTP/1.1 403 Forbidden\r\n"
			    "Content-Length: 0\r\n\r\n");
			_exit(0);
		}
		if (strcmp(mode, "http-407") == 0) {
			(void)PUTS(fd, "HTTP/1.1 407 Proxy Authentication "
			    "Required\r\nProxy-Authenticate: Basic "
			    "realm=\"t\"\r\nContent-Length: 0\r\n\r\n");
			_exit(0);
		}
		if (strcmp(mode, "http-banner") == 0) {
			/* The target speaks first, in the reply's segment. */
			(void)PUTS(fd, "HTTP/1.1 200 OK\r\n\r\nBANNER\n");
			(void)read(fd, head, 1);
			_exit(0);
		}
		(void)PUTS(fd, "HTTP/1.1 200 Connection established\r\n\r\n");
		if (strcmp(mode, "http-then-stall") == 0)
			pause();
		relay(fd);
	}
	if (strcmp(mode, "stall") == 0)
		pause();
	/* SOCKS5 */
	if (strncmp(mode, "socks5", 6) == 0) {
		if (get(fd, b, 2) < 0 || get(fd, b + 2, b[1]) < 0)
			_exit(6);
		if (strcmp(mode, "socks5-reset") == 0)
			reset(fd);
		if (strcmp(mode, "socks5-auth") == 0 ||
		    strcmp(mode, "socks5-badauth") == 0) {
			if (memchr(b + 2, 2, b[1]) == NULL)
				(void)PUTS(fd, "\x05\xff"), _exit(0);
			(void)PUTS(fd, "\x05\x02");
			if (get(fd, b, 2) < 0 || get(fd, b + 2, b[1] + 1) < 0 ||
			    get(fd, b + 3 + b[1], b[2 + b[1]]) < 0)
				_exit(6);
			n = (size_t)3 + b[1] + b[2 + b[1]];
			if (n != strlen(expect) || memcmp(b, expect, n) != 0 ||
			    strcmp(mode, "socks5-badauth") == 0) {
				(void)PUTS(fd, "\x01\x01");
				_exit(0);
			}
			(void)PUTS(fd, "\x01\x00");
		} else
			(void)PUTS(fd, "\x05\x00");
		if (get(fd, b, 5) < 0)
			_exit(6);
		n = b[3] == 1 ? 5 : b[3] == 4 ? 17 : (size_t)b[4] + 2;
		if (get(fd, b + 5, n) < 0)
			_exit(6);
		if (want_atyp != 0 && b[3] != want_atyp)
			_exit(5);
		if (strcmp(mode, "socks5-refuse") == 0) {
			(void)PUTS(fd, "\x05\x05\x00\x01\0\0\0\0\0\0");
			_exit(0);
		}
		(void)PUTS(fd, "\x05\x00\x00\x01\x7f\0\0\x01\0\0");
		relay(fd);
	}
	/* SOCKS4a: version, command, port, 0.0.0.x, user id, name. */
	if (strcmp(mode, "socks4a") == 0) {
		if (get(fd, b, 8) < 0)
			_exit(6);
		n = 8;
		do {
			if (get(fd, b + n, 1) < 0)
				_exit(6);
		} while (b[n++] != 0 && n < sizeof(b));
		do {
			if (get(fd, b + n, 1) < 0)
				_exit(6);
		} while (b[n++] != 0 && n < sizeof(b));
		if (b[0] != 4 || b[1] != 1 || b[4] != 0 || b[7] == 0 ||
		    strcmp((char *)b + n - 10, "localhost") != 0)
			_exit(5);
		(void)PUTS(fd, "\x00\x5a\0\0\0\0\0\0");
		relay(fd);
	}
	_exit(7);
}

/* A proxy in a child: its port; *pid to wait for. */
static unsigned short
proxy(const char *mode, pid_t *pid)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int l, fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((l = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(l, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(l, 4) < 0 ||
	    getsockname(l, (struct sockaddr *)&sin, &len) < 0)
		return 0;
	if ((*pid = fork()) == 0) {
		signal(SIGPIPE, SIG_IGN);
		alarm(15);
		if ((fd = accept(l, NULL, NULL)) < 0)
			_exit(8);
		close(l);
		serve(mode, fd);
	}
	close(l);
	return ntohs(sin.sin_port);
}

/* The child's status once the client is done: 0 means all it saw was right. */
static int
reap(pid_t pid)
{
	int st, i;

	for (i = 0; i < 200; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
		if (i == 20)
			kill(pid, SIGTERM);	/* a stalling mode */
		usleep(10000);
	}
	kill(pid, SIGKILL);
	(void)waitpid(pid, &st, 0);
	return -1;
}

/* ----------------------------------------------------------- the client */

static struct client {
	int	 connected;
	int	 tls_up;
	int	 error;
	int	 stage;		/* in handle_connect, or handle_error */
	int	 done;
	char	 got[64];
	char	 status[64];	/* acore_proxy_status in handle_error */
	size_t	 ngot;
	size_t	 sent;
} cl;

static const char msg[] = "hello through the tunnel\n";

static void
cl_connect(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	cl.connected++;
	cl.tls_up = acore_tls_established(d);
	cl.stage = acore_connect_stage(d);
}

static int
cl_writable(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	return (acore_flags(d) & ACORE_CONNECTING) || (cl.connected &&
	    cl.sent < sizeof(msg) - 1);
}

static void
cl_write(struct acore_dispatcher *d, void *arg)
{
	ssize_t n;

	(void)arg;
	if (cl.connected && (n = acore_send(d, msg + cl.sent,
	    sizeof(msg) - 1 - cl.sent)) > 0)
		cl.sent += (size_t)n;
}

static void
cl_read(struct acore_dispatcher *d, void *arg)
{
	ssize_t n;

	(void)arg;
	n = acore_recv(d, cl.got + cl.ngot, sizeof(cl.got) - 1 - cl.ngot);
	if (n > 0)
		cl.ngot += (size_t)n;
	if (cl.ngot > 0 && cl.got[cl.ngot - 1] == '\n') {
		cl.done = 1;
		acore_close(d);
	}
}

static void
cl_close(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	cl.done = 1;
	acore_close(d);
}

static void
cl_error(struct acore_dispatcher *d, int err, void *arg)
{
	(void)arg;
	cl.error = err;
	cl.stage = acore_connect_stage(d);
	snprintf(cl.status, sizeof(cl.status), "%s",
	    acore_proxy_status(d) != NULL ? acore_proxy_status(d) : "none");
	cl.done = 1;
	acore_close(d);
}

static const struct acore_ops cl_ops = {
	.name = "client",
	.writable = cl_writable,
	.handle_connect = cl_connect,
	.handle_write = cl_write,
	.handle_read = cl_read,
	.handle_close = cl_close,
	.handle_error = cl_error,
};

static struct acore_dispatcher *
client(struct acore_loop *loop, struct acore_tls *tls, int type,
    unsigned short pport, const char *user, const char *pass, double limit)
{
	struct acore_proxy px = { type, "127.0.0.1", NULL, user, pass };
	struct acore_dispatcher *d;
	char port[16], tport[16];
	int rc;

	memset(&cl, 0, sizeof(cl));
	snprintf(port, sizeof(port), "%u", pport);
	snprintf(tport, sizeof(tport), "%u", target_port);
	px.port = port;
	if ((d = acore_dispatcher_new(loop, &cl_ops, NULL)) == NULL)
		return NULL;
	if ((tls != NULL && acore_tls_attach(d, tls, "localhost") < 0) ||
	    acore_set_connect_timeout(d, limit) < 0 ||
	    (rc = acore_connect_proxy(d, &px, target_host, tport,
	    AF_INET)) < 0) {
		acore_close(d);
		return NULL;
	}
	return d;
}

static void
run(struct acore_loop *loop)
{
	int i;

	for (i = 0; i < 100 && !cl.done; i++)
		acore_loop_run(loop, 0.05, 1);
}

/* A case that must fail: the error, its stage, and what the proxy saw. */
static void
fails(struct acore_loop *loop, const char *mode, struct acore_tls *tls,
    int type, const char *user, const char *pass, int want, int stage)
{
	struct acore_dispatcher *d;
	pid_t pid = 0;
	unsigned short pp = proxy(mode, &pid);

	d = client(loop, tls, type, pp, user, pass, 0.5);
	ok(d != NULL, "%s: under way", mode);
	run(loop);
	is_int(cl.error, want, "%s: %s", mode, acore_strerror(cl.error));
	is_int(cl.stage, stage, "%s: in stage %d", mode, stage);
	is_int(cl.connected, 0, "%s: no handle_connect", mode);
	(void)reap(pid);
}

int
main(void)
{
	struct acore_loop *loop;
	struct acore_dispatcher *l, *d;
	struct acore_tls *ctls;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	pid_t pid = 0;
	unsigned short pp;
	char buf[600];
	int i;

	signal(SIGPIPE, SIG_IGN);
	alarm(90);
	if (make_cert() < 0) {
		printf("Bail out! cannot make a certificate\n");
		return 1;
	}
	loop = acore_loop_new();
	srv_tls = acore_tls_new(1);
	ctls = acore_tls_new(0);
	if (acore_tls_set_cert(srv_tls, cert_path, key_path) < 0 ||
	    acore_tls_set_ca(ctls, cert_path, NULL) < 0) {
		printf("Bail out! TLS set-up\n");
		return 1;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = acore_dispatcher_new(loop, &listener_ops, NULL);
	if (acore_create_socket(l, AF_INET, SOCK_STREAM) < 0 ||
	    acore_bind(l, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    acore_listen(l, 16) < 0 ||
	    getsockname(acore_fd(l), (struct sockaddr *)&sin, &len) < 0) {
		printf("Bail out! no listener\n");
		return 1;
	}
	target_port = ntohs(sin.sin_port);

	/* 1. HTTP CONNECT, then TLS to the target through the tunnel. */
	snprintf(expect, sizeof(expect), "CONNECT localhost:%u HTTP/1.1\r\n"
	    "Host: localhost:%u\r\nProxy-Authorization: Basic "
	    "dTpwOnc=\r\n\r\n", target_port, target_port);
	pp = proxy("http", &pid);
	ok(client(loop, ctls, ACORE_PROXY_HTTP, pp, "u", "p:w", 5) != NULL,
	    "http: under way");
	run(loop);
	is_int(cl.error, 0, "http: no error (%s)", acore_strerror(cl.error));
	ok(cl.connected == 1 && cl.tls_up, "http: handle_connect once, "
	    "after TLS through the tunnel");
	is_int(cl.stage, ACORE_STAGE_READY, "http: READY in handle_connect");
	ok(cl.ngot == sizeof(msg) - 1 && memcmp(cl.got, msg, cl.ngot) == 0,
	    "http: the TLS echo came back whole");
	is_int(reap(pid), 0, "http: the proxy read exactly the CONNECT "
	    "request with Basic u:p:w");

	/* 2. SOCKS5h with username/password, TLS over it. */
	snprintf(expect, sizeof(expect), "\x01\x05" "alice\x06" "s3cret");
	pp = proxy("socks5-auth", &pid);
	ok(client(loop, ctls, ACORE_PROXY_SOCKS5H, pp, "alice", "s3cret",
	    5) != NULL, "socks5h: under way");
	run(loop);
	ok(cl.connected == 1 && cl.tls_up && cl.ngot == sizeof(msg) - 1,
	    "socks5h with a user: TLS echo through the tunnel (%s)",
	    acore_strerror(cl.error));
	is_int(reap(pid), 0, "socks5h: the proxy saw the right credentials");

	/* 3. SOCKS5, the name resolved here; SOCKS4a, by the proxy. */
	expect[0] = '\0';
	pp = proxy("socks5", &pid);
	ok(client(loop, ctls, ACORE_PROXY_SOCKS5, pp, NULL, NULL, 5) != NULL,
	    "socks5: under way");
	run(loop);
	ok(cl.connected == 1 && cl.tls_up && cl.ngot == sizeof(msg) - 1,
	    "socks5: TLS echo through the tunnel (%s)",
	    acore_strerror(cl.error));
	is_int(reap(pid), 0, "socks5: the proxy was content");
	pp = proxy("socks4a", &pid);
	ok(client(loop, ctls, ACORE_PROXY_SOCKS4A, pp, NULL, NULL, 5) != NULL,
	    "socks4a: under way");
	run(loop);
	ok(cl.connected == 1 && cl.tls_up && cl.ngot == sizeof(msg) - 1,
	    "socks4a: TLS echo through the tunnel (%s)",
	    acore_strerror(cl.error));
	is_int(reap(pid), 0, "socks4a: the proxy got the name to resolve");

	/* 3b. An address goes as one, "[v6]" unbracketed, even to socks5h. */
	target_host = "127.0.0.1";
	want_atyp = 1;		/* the child checks it: set before the fork */
	pp = proxy("socks5", &pid);
	ok(client(loop, ctls, ACORE_PROXY_SOCKS5H, pp, NULL, NULL, 5) != NULL,
	    "socks5h to 127.0.0.1: under way");
	run(loop);
	ok(cl.connected == 1 && cl.ngot == sizeof(msg) - 1,
	    "socks5h to 127.0.0.1: echoed (%s)", acore_strerror(cl.error));
	is_int(reap(pid), 0, "socks5h to 127.0.0.1: sent as an IPv4 address");
	target_host = "[::1]";
	want_atyp = 4;
	pp = proxy("socks5", &pid);
	(void)client(loop, NULL, ACORE_PROXY_SOCKS5H, pp, NULL, NULL, 5);
	run(loop);
	is_int(reap(pid), 0, "socks5h to [::1]: sent as an IPv6 address");
	target_host = "localhost";
	want_atyp = 0;

	/* 4. Bytes right behind the proxy's reply belong to the stream. */
	pp = proxy("http-banner", &pid);
	d = client(loop, NULL, ACORE_PROXY_HTTP, pp, NULL, NULL, 5);
	cl.sent = sizeof(msg);	/* say nothing */
	run(loop);
	ok(d != NULL && cl.connected == 1 && cl.ngot == 7 &&
	    memcmp(cl.got, "BANNER\n", 7) == 0,
	    "banner in the reply's segment: handed on whole (%zu bytes)",
	    cl.ngot);
	(void)reap(pid);

	/* 5. Refusals, each with its own error and text. */
	fails(loop, "http-403", NULL, ACORE_PROXY_HTTP, NULL, NULL,
	    ACORE_EPROXY_HTTP(403), ACORE_STAGE_TUNNEL);
	is_str(cl.status, "HTTP/1.1 403 Forbidden",
	    "http-403: acore_proxy_status has the status line");
	fails(loop, "http-407", NULL, ACORE_PROXY_HTTP, NULL, NULL,
	    ACORE_EPROXY_AUTH, ACORE_STAGE_TUNNEL);
	fails(loop, "http-407", NULL, ACORE_PROXY_HTTP, "u", "bad",
	    ACORE_EPROXY_AUTH_FAILED, ACORE_STAGE_TUNNEL);
	fails(loop, "socks5-refuse", NULL, ACORE_PROXY_SOCKS5H, NULL, NULL,
	    ACORE_EPROXY_SOCKS5(5), ACORE_STAGE_TUNNEL);
	is_str(acore_strerror(ACORE_EPROXY_SOCKS5(5)),
	    "SOCKS5 proxy: connection refused", "SOCKS5 reply 5 in words");
	fails(loop, "socks5-auth", NULL, ACORE_PROXY_SOCKS5H, NULL, NULL,
	    ACORE_EPROXY_AUTH, ACORE_STAGE_TUNNEL);
	snprintf(expect, sizeof(expect), "\x01\x01" "a\x01" "b");
	fails(loop, "socks5-badauth", NULL, ACORE_PROXY_SOCKS5H, "a", "b",
	    ACORE_EPROXY_AUTH_FAILED, ACORE_STAGE_TUNNEL);

	/* 6. A reset in the middle of the proxy's handshake. */
	fails(loop, "socks5-reset", NULL, ACORE_PROXY_SOCKS5H, NULL, NULL,
	    ACORE_EPROXY_EOF, ACORE_STAGE_TUNNEL);
	fails(loop, "http-reset", ctls, ACORE_PROXY_HTTP, NULL, NULL,
	    ACORE_EPROXY_EOF, ACORE_STAGE_TUNNEL);

	/* 7. One deadline for every stage: a stall in each. */
	expect[0] = '\0';
	fails(loop, "stall", ctls, ACORE_PROXY_SOCKS5H, NULL, NULL,
	    -ETIMEDOUT, ACORE_STAGE_TUNNEL);
	fails(loop, "http-stall", ctls, ACORE_PROXY_HTTP, NULL, NULL,
	    -ETIMEDOUT, ACORE_STAGE_TUNNEL);
	fails(loop, "http-then-stall", ctls, ACORE_PROXY_HTTP, NULL, NULL,
	    -ETIMEDOUT, ACORE_STAGE_TLS);

	/* 8. A proxy nobody listens on: the connect stage's error. */
	pp = proxy("stall", &pid);
	kill(pid, SIGKILL);
	(void)reap(pid);
	d = client(loop, ctls, ACORE_PROXY_HTTP, pp, NULL, NULL, 5);
	run(loop);
	ok(d != NULL && cl.error == -ECONNREFUSED &&
	    cl.stage == ACORE_STAGE_CONNECT, "dead proxy: %s in stage %d",
	    acore_strerror(cl.error), cl.stage);

	/* 9. Bad arguments, at once. */
	d = acore_dispatcher_new(loop, &cl_ops, NULL);
	memset(buf, 'a', 300);
	buf[300] = '\0';
	{
		struct acore_proxy px = { ACORE_PROXY_SOCKS5H, "127.0.0.1",
		    "1", NULL, NULL };
		struct acore_proxy bad = { 99, "127.0.0.1", "1", NULL, NULL };

		is_int(acore_connect_proxy(d, &px, buf, "80", AF_INET),
		    -EINVAL, "a name longer than 255: -EINVAL");
		is_int(acore_connect_proxy(d, &px, "h", "no-such-port",
		    AF_INET), -EINVAL, "a port that is no number nor "
		    "service: -EINVAL");
		is_int(acore_connect_proxy(d, &bad, "h", "80", AF_INET),
		    -EINVAL, "an unknown proxy type: -EINVAL");
		is_int(acore_connect_proxy(d, &px, "h", "80", AF_INET), 0,
		    "then a good one: under way");
		is_int(acore_connect_proxy(d, &px, "h", "80", AF_INET),
		    -EALREADY, "and again: -EALREADY");
	}
	acore_close(d);

	/* 10. The loop freed with a channel in the middle of its tunnel. */
	pp = proxy("http-stall", &pid);
	d = client(loop, ctls, ACORE_PROXY_HTTP, pp, NULL, NULL, 5);
	for (i = 0; i < 20; i++)
		acore_loop_run(loop, 0.02, 1);
	ok(d != NULL && !cl.done && acore_connect_stage(d) ==
	    ACORE_STAGE_TUNNEL, "a channel waits in its tunnel");
	acore_loop_free(loop);
	ok(1, "the loop freed with it (valgrind: nothing leaked)");
	(void)reap(pid);

	acore_tls_free(srv_tls);
	acore_tls_free(ctls);
	unlink(cert_path);
	unlink(key_path);
	tap_plan_done();
	return tap_failed != 0;
}
