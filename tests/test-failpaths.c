/*
 * test-failpaths.c: every channel state against every way out.
 *
 * States: connecting (a SYN nobody answers), handshaking (a TLS server
 * whose client stopped after 11 bytes of ClientHello; a TLS client whose
 * server accepted and says nothing), established (TLS, both ends ours) and
 * lingering (a TLS socket closed before the peer's close_notify), and
 * through a proxy tunnel (issue 19): tunnelling (a proxy of ours, HTTP
 * CONNECT and SOCKS5, that accepted and stalls in the middle of its
 * reply) and TLS handshaking through a tunnel (the tunnel is up, the TLS
 * server behind it says nothing).  Ways
 * out: idle timeout, connect deadline, close from a hook, peer reset, loop
 * stop, loop free.  After each cell the same loop must still serve a fresh
 * TLS echo: a closed channel whose event stayed registered corrupts
 * libevent's map, and the next connection on the reused descriptor breaks
 * (the remote use-after-free of issue 18).  Run under valgrind by make
 * check-valgrind and under ASan by the sanitizer build, which see the
 * invalid accesses themselves.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/wait.h>

#include "acore.h"
#include "loop-helper.h"
#include "tls-cert.h"

static struct acore_tls *srv_tls, *cli_tls;

/* What the channel under test went through. */
static struct cell {
	int	 err;		/* handle_error's err, 0: none */
	int	 closed;	/* handle_close calls */
	int	 connected;	/* handle_connect calls */
	int	 gone;		/* closed: d may be freed by the next pass */
	struct acore_dispatcher *d;
} cell;

static void
c_error(struct acore_dispatcher *d, int err, void *arg)
{
	(void)arg;
	if (d == cell.d) {
		cell.err = err;
		cell.gone = 1;
	}
	acore_close(d);
}

static void
c_close(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	if (d == cell.d) {
		cell.closed++;
		cell.gone = 1;
	}
	acore_close(d);
}

static void
c_connect(struct acore_dispatcher *d, void *arg)
{
	(void)d;
	(void)arg;
	cell.connected++;
}

static void
c_read(struct acore_dispatcher *d, void *arg)
{
	char buf[4096];
	ssize_t n;

	(void)arg;
	/* The with-send server echoes; a client just drains. */
	if ((n = acore_recv(d, buf, sizeof(buf))) > 0 &&
	    acore_pending(d) == 0 && acore_fd(d) >= 0 && arg != NULL)
		(void)acore_send(d, buf, (size_t)n);
}

static const struct acore_ops cell_ops = {
	.name = "cell",
	.handle_connect = c_connect,
	.handle_read = c_read,
	.handle_close = c_close,
	.handle_error = c_error,
};

/* A loopback listener that never accepts (plain socket); port in *sin. */
static int
raw_listener(struct sockaddr_in *sin, int backlog)
{
	socklen_t len = sizeof(*sin);
	int fd;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)sin, len) < 0 ||
	    listen(fd, backlog) < 0 ||
	    getsockname(fd, (struct sockaddr *)sin, &len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
raw_connect(const struct sockaddr_in *sin)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (const struct sockaddr *)sin,
	    sizeof(*sin)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Close with an RST: SO_LINGER 0. */
static void
reset_close(int fd)
{
	struct linger lg = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static struct acore_dispatcher *
tls_channel(struct acore_loop *loop, int server, void *arg)
{
	struct acore_dispatcher *d;

	d = server ? acore_dispatcher_with_send_new(loop, &cell_ops, arg) :
	    acore_dispatcher_new(loop, &cell_ops, arg);
	if (d == NULL)
		bail_out("out of memory");
	return d;
}

/* ------------------------------------------------------ the loop survives */

static struct {
	size_t	 got;
	int	 done;
} probe;

static void
p_read(struct acore_dispatcher *d, void *arg)
{
	char buf[64];
	ssize_t n;

	(void)arg;
	if ((n = acore_recv(d, buf, sizeof(buf))) > 0 &&
	    (probe.got += (size_t)n) >= 4)
		probe.done = 1;
}

static const struct acore_ops probe_ops = {
	.name = "probe",
	.handle_read = p_read,
};

static const struct acore_ops echo_ops = {
	.name = "echo",
	.handle_read = c_read,
	.handle_close = c_close,
	.handle_error = c_error,
};

/*
 * A fresh TLS client and server on this loop, both ours, ping-pong.  The
 * server's descriptor is the lowest free one: the number the closed
 * channel had, when the map still holds a stale event for it.
 */
static int
loop_serves(struct acore_loop *loop)
{
	struct acore_dispatcher *s, *c;
	int sv[2];
	double until;

	memset(&probe, 0, sizeof(probe));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 0;
	s = acore_dispatcher_with_send_new(loop, &echo_ops, &probe);
	c = acore_dispatcher_with_send_new(loop, &probe_ops, NULL);
	if (s == NULL || c == NULL || acore_set_socket(s, sv[0]) < 0 ||
	    acore_tls_attach(s, srv_tls, NULL) < 0 ||
	    acore_set_socket(c, sv[1]) < 0 ||
	    acore_tls_attach(c, cli_tls, "localhost") < 0 ||
	    acore_send(c, "ping", 4) != 4)
		return 0;
	/* Generous: valgrind on a loaded machine makes a handshake slow. */
	until = acore_now() + 40;
	while (!probe.done && acore_now() < until &&
	    acore_loop_run(loop, 0.05, 1) >= 0)
		;
	acore_close(s);
	acore_close(c);
	(void)acore_loop_run(loop, 0, 1);
	return probe.done;
}

/* -------------------------------------------------------------- the cells */

enum state { CONNECTING, HS_SERVER, HS_CLIENT, ESTABLISHED, TUN_HTTP,
	TUN_SOCKS5, TLS_IN_TUNNEL, NSTATES };
enum way { IDLE, DEADLINE, HOOK_CLOSE, PEER_RESET, LOOP_STOP, LOOP_FREE,
	NWAYS };

static const char *state_name[] = { "connecting", "server handshaking",
	"client handshaking", "established", "tunnelling (HTTP CONNECT)",
	"tunnelling (SOCKS5)", "TLS handshaking through a tunnel" };
static const char *way_name[] = { "idle timeout", "connect deadline",
	"close from a hook", "peer reset", "loop stop", "loop free" };

struct setup {
	int	 lfd;		/* raw listener */
	int	 peer;		/* raw peer socket, or -1 */
	int	 fill[2];	/* connections filling a backlog */
	struct acore_dispatcher *other;	/* our TLS peer channel */
};

static void
hook_close(void *arg)
{
	cell.gone = 1;
	acore_close(arg);
}

static void
hook_stop(void *arg)
{
	acore_loop_stop(arg);
}

/*
 * The proxy's side: run the loop until the channel has sent `want` bytes
 * in all (counted in *got), reading them off the accepted socket.
 */
static int
proxy_hears(struct acore_loop *loop, int fd, size_t want, char *buf,
    size_t size, size_t *got)
{
	ssize_t n = -1;
	int i;

	for (i = 0; i < 200 && *got < want; i++) {
		(void)acore_loop_run(loop, 0.05, 1);
		while (*got < size && (n = recv(fd, buf + *got,
		    size - *got, MSG_DONTWAIT)) > 0)
			*got += (size_t)n;
		if (n == 0)
			return -1;
	}
	return *got >= want ? 0 : -1;
}

/*
 * The channel connects through a proxy of ours, which accepts, reads the
 * request and answers part of its reply (the whole of it for TLS: then
 * the server behind the tunnel says nothing).
 */
static int
enter_tunnel(struct acore_loop *loop, enum state st, struct setup *su)
{
	static const char http_ok[] = "HTTP/1.1 200 Connection established"
	    "\r\n\r\n";
	static const unsigned char s5_method[] = { 5, 0 }, s5_part[] = { 5, 0,
	    0 };
	struct acore_proxy px;
	struct sockaddr_in sin;
	char port[8], buf[512];
	size_t got = 0;
	int i, want;

	if ((su->lfd = raw_listener(&sin, 8)) < 0)
		return -1;
	snprintf(port, sizeof(port), "%u", (unsigned)ntohs(sin.sin_port));
	memset(&px, 0, sizeof(px));
	px.type = st == TUN_SOCKS5 ? ACORE_PROXY_SOCKS5 : ACORE_PROXY_HTTP;
	px.host = "127.0.0.1";
	px.port = port;
	cell.d = tls_channel(loop, 0, NULL);
	if ((st == TLS_IN_TUNNEL &&
	    acore_tls_attach(cell.d, cli_tls, "localhost") < 0) ||
	    acore_connect_proxy(cell.d, &px, st == TUN_SOCKS5 ? "127.0.0.1" :
	    "localhost", "443", AF_INET) < 0)
		return -1;
	for (i = 0; i < 40 && acore_connect_stage(cell.d) < ACORE_STAGE_TUNNEL;
	    i++)
		(void)acore_loop_run(loop, 0.05, 1);
	if ((su->peer = accept(su->lfd, NULL, NULL)) < 0)
		return -1;
	if (st == TUN_SOCKS5) {
		/* Greeting (no authentication: 3 bytes), our choice, then
		 * the request (IPv4: 10 bytes) and 3 bytes of the reply. */
		if (proxy_hears(loop, su->peer, 3, buf, sizeof(buf), &got) < 0 ||
		    send(su->peer, s5_method, sizeof(s5_method),
		    MSG_NOSIGNAL) != (ssize_t)sizeof(s5_method) ||
		    proxy_hears(loop, su->peer, 13, buf, sizeof(buf), &got) < 0 ||
		    send(su->peer, s5_part, sizeof(s5_part), MSG_NOSIGNAL) !=
		    (ssize_t)sizeof(s5_part))
			return -1;
		want = ACORE_STAGE_TUNNEL;
	} else {
		for (i = 0; i < 200; i++) {
			buf[got] = '\0';
			if (got > 0 && strstr(buf, "\r\n\r\n") != NULL)
				break;
			if (proxy_hears(loop, su->peer, got + 1, buf,
			    sizeof(buf) - 1, &got) < 0)
				return -1;
		}
		/* All of the reply for TLS; half of its status line else. */
		if (st == TLS_IN_TUNNEL) {
			if (send(su->peer, http_ok, sizeof(http_ok) - 1,
			    MSG_NOSIGNAL) != (ssize_t)sizeof(http_ok) - 1)
				return -1;
			want = ACORE_STAGE_TLS;
		} else {
			if (send(su->peer, http_ok, 12, MSG_NOSIGNAL) != 12)
				return -1;
			want = ACORE_STAGE_TUNNEL;
		}
	}
	for (i = 0; i < 40 && acore_connect_stage(cell.d) < want; i++)
		(void)acore_loop_run(loop, 0.05, 1);
	(void)acore_loop_run(loop, 0.05, 1);
	return acore_connect_stage(cell.d) == want ? 0 : -1;
}

/* Put the channel under test into state st. */
static int
enter(struct acore_loop *loop, enum state st, struct setup *su)
{
	static const unsigned char hello[] = { 0x16, 0x03, 0x01, 0x02, 0x00,
	    0x01, 0x00, 0x01, 0xfc, 0x03, 0x03 };
	struct sockaddr_in sin;
	int sv[2], fd, i;

	su->lfd = su->peer = su->fill[0] = su->fill[1] = -1;
	su->other = NULL;
	switch (st) {
	case CONNECTING:
		/* Backlog 0 holds one: further SYNs go unanswered. */
		if ((su->lfd = raw_listener(&sin, 0)) < 0)
			return -1;
		for (i = 0; i < 2; i++)
			su->fill[i] = socket(AF_INET, SOCK_STREAM |
			    SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		for (i = 0; i < 2; i++)
			(void)connect(su->fill[i], (struct sockaddr *)&sin,
			    sizeof(sin));
		cell.d = tls_channel(loop, 0, NULL);
		if (acore_tls_attach(cell.d, cli_tls, "localhost") < 0 ||
		    acore_create_socket(cell.d, AF_INET, SOCK_STREAM) < 0)
			return -1;
		(void)acore_connect(cell.d, (struct sockaddr *)&sin,
		    sizeof(sin));
		(void)acore_loop_run(loop, 0.1, 1);
		return (acore_flags(cell.d) & ACORE_CONNECTING) ? 0 : -1;
	case HS_SERVER:
		if ((su->lfd = raw_listener(&sin, 8)) < 0 ||
		    (su->peer = raw_connect(&sin)) < 0 ||
		    (fd = accept(su->lfd, NULL, NULL)) < 0)
			return -1;
		cell.d = tls_channel(loop, 1, &cell);
		if (acore_set_socket(cell.d, fd) < 0 ||
		    acore_tls_attach(cell.d, srv_tls, NULL) < 0)
			return -1;
		(void)send(su->peer, hello, sizeof(hello), MSG_NOSIGNAL);
		(void)acore_loop_run(loop, 0.05, 2);
		return acore_tls_established(cell.d) ? -1 : 0;
	case HS_CLIENT:
		if ((su->lfd = raw_listener(&sin, 8)) < 0)
			return -1;
		cell.d = tls_channel(loop, 0, NULL);
		if (acore_tls_attach(cell.d, cli_tls, "localhost") < 0 ||
		    acore_create_socket(cell.d, AF_INET, SOCK_STREAM) < 0 ||
		    acore_connect(cell.d, (struct sockaddr *)&sin,
		    sizeof(sin)) < 0)
			return -1;
		(void)acore_loop_run(loop, 0.05, 2);
		if ((su->peer = accept(su->lfd, NULL, NULL)) < 0)
			return -1;
		return acore_tls_established(cell.d) ? -1 : 0;
	case ESTABLISHED:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			return -1;
		su->other = tls_channel(loop, 1, &cell);
		cell.d = tls_channel(loop, 0, NULL);
		if (acore_set_socket(su->other, sv[0]) < 0 ||
		    acore_tls_attach(su->other, srv_tls, NULL) < 0 ||
		    acore_set_socket(cell.d, sv[1]) < 0 ||
		    acore_tls_attach(cell.d, cli_tls, "localhost") < 0)
			return -1;
		for (i = 0; i < 40 && !acore_tls_established(cell.d); i++)
			(void)acore_loop_run(loop, 0.05, 1);
		return acore_tls_established(cell.d) ? 0 : -1;
	case TUN_HTTP:
	case TUN_SOCKS5:
	case TLS_IN_TUNNEL:
		return enter_tunnel(loop, st, su);
	default:
		return -1;
	}
}

static void
leave(struct setup *su)
{
	if (su->peer >= 0)
		close(su->peer);
	if (su->fill[0] >= 0)
		close(su->fill[0]);
	if (su->fill[1] >= 0)
		close(su->fill[1]);
	if (su->lfd >= 0)
		close(su->lfd);
}

/* The peer's end of the channel under test, for a reset. */
static void
peer_reset(struct setup *su)
{
	if (su->peer >= 0) {
		reset_close(su->peer);
		su->peer = -1;
	} else if (su->other != NULL) {
		/*
		 * The peer channel's socket goes with an RST; /dev/null takes
		 * its number, so the channel's own close later is harmless.
		 */
		int fd = acore_fd(su->other), nul = open("/dev/null", O_RDWR);
		struct linger lg = { 1, 0 };

		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		dup2(nul, fd);
		close(nul);
		su->other = NULL;
	} else if (su->lfd >= 0) {
		/* Connecting: the listener goes, the SYN is answered RST. */
		close(su->fill[0]);
		close(su->fill[1]);
		su->fill[0] = su->fill[1] = -1;
		close(su->lfd);
		su->lfd = -1;
	}
}

static void
run_cell(enum state st, enum way way)
{
	struct acore_loop *loop = acore_loop_new();
	struct acore_timer *t = NULL;
	struct setup su;
	char name[160];
	double until;
	int ok_in;

	snprintf(name, sizeof(name), "%s x %s", state_name[st],
	    way_name[way]);
	guard(name, 60);
	memset(&cell, 0, sizeof(cell));
	ok_in = enter(loop, st, &su) == 0;
	if (!ok_in) {
		ok(0, "%s: could not enter the state", name);
		leave(&su);
		acore_loop_free(loop);
		return;
	}
	switch (way) {
	case IDLE:
		(void)acore_set_timeout(cell.d, 0.1);
		break;
	case DEADLINE:
		(void)acore_set_connect_timeout(cell.d, 0.1);
		break;
	case HOOK_CLOSE:
		t = acore_timer_new(loop, hook_close, cell.d);
		acore_timer_start(t, 0.05);
		break;
	case PEER_RESET:
		peer_reset(&su);
		break;
	case LOOP_STOP:
		t = acore_timer_new(loop, hook_stop, loop);
		acore_timer_start(t, 0.05);
		break;
	case LOOP_FREE:
		break;
	default:
		break;
	}
	if (way != LOOP_FREE) {
		until = acore_now() + 3;
		while (!cell.gone &&
		    acore_now() < until && acore_loop_run(loop, 0.05, 1) >= 0)
			if (way == LOOP_STOP && t != NULL &&
			    acore_loop_size(loop) > 0)
				break;
	}
	switch (way) {
	case IDLE:
	case DEADLINE:
		/*
		 * An established channel has no deadline left to meet, and a
		 * TCP connect is not idleness (its deadline bounds it).
		 */
		if (way == DEADLINE && st == ESTABLISHED)
			ok(!cell.gone,
			    "%s: a ready channel outlives the deadline", name);
		else if (way == IDLE && st == CONNECTING)
			ok(!cell.gone,
			    "%s: does not run during a TCP connect", name);
		else
			is_int(cell.err, -ETIMEDOUT, "%s: handle_error("
			    "-ETIMEDOUT)", name);
		break;
	case HOOK_CLOSE:
		ok(cell.gone, "%s: closed", name);
		break;
	case PEER_RESET:
		/* A proxy gone before its reply is whole: the tunnel's error. */
		if (st == TUN_HTTP || st == TUN_SOCKS5)
			is_int(cell.err, ACORE_EPROXY_EOF, "%s: handle_error("
			    "ACORE_EPROXY_EOF)", name);
		else
			ok(cell.err != 0 || cell.closed > 0, "%s: the channel "
			    "hears of it (err %d, closes %d)", name, cell.err,
			    cell.closed);
		break;
	case LOOP_STOP:
	case LOOP_FREE:
		break;
	default:
		break;
	}
	if (way == LOOP_FREE || way == LOOP_STOP) {
		/* Channels still open in any state: freed with the loop. */
		acore_timer_free(t);
		acore_loop_free(loop);
		leave(&su);
		ok(1, "%s: the loop frees with the channel open", name);
		return;
	}
	/* Whatever is still open (the cell's channel, its TLS peer). */
	acore_close_all(loop);
	leave(&su);
	ok(loop_serves(loop), "%s: the loop then serves a new TLS client",
	    name);
	acore_timer_free(t);
	acore_loop_free(loop);
}

/* ---------------------------------------------------- lingering sockets */

#define LTOTAL	(1024 * 1024)	/* bytes the sender sends */
#define LTAIL	(24 * 1024)	/* left in its socket when it closes */

static struct {
	size_t	 got;
	int	 eof;
	int	 hold;		/* not reading for now */
	int	 held;
	struct acore_timer *t;
} lpeer;

static int
l_readable(struct acore_dispatcher *d, void *arg)
{
	(void)d;
	(void)arg;
	return !lpeer.hold;
}

static void
l_read(struct acore_dispatcher *d, void *arg)
{
	char buf[4096];
	ssize_t n;

	(void)arg;
	if ((n = acore_recv(d, buf, sizeof(buf))) <= 0)
		return;
	lpeer.got += (size_t)n;
	/* The last bytes wait in the sender's socket, past its close. */
	if (lpeer.got >= LTOTAL - LTAIL && !lpeer.held) {
		lpeer.held = lpeer.hold = 1;
		acore_timer_start(lpeer.t, 0.5);
	}
}

static void
l_close(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	lpeer.eof = acore_close_reason(d) == 0 ? 1 : -1;
	acore_close(d);
}

static void
l_error(struct acore_dispatcher *d, int err, void *arg)
{
	(void)arg;
	lpeer.eof = err;
	acore_close(d);
}

static const struct acore_ops lpeer_ops = {
	.name = "lpeer",
	.readable = l_readable,
	.handle_read = l_read,
	.handle_close = l_close,
	.handle_error = l_error,
};

/* The sender never reads: the peer's close_notify waits in its socket. */
static const struct acore_ops sender_ops = {
	.name = "sender",
	.handle_close = c_close,
	.handle_error = c_error,
};

static void
unhold(void *arg)
{
	(void)arg;
	lpeer.hold = 0;
}

/*
 * A lingering socket at acore_loop_free, the way a TLS server's graceful
 * stop ends: the server hands 1 MiB to the kernel, closes while the
 * peer's close_notify sits unread in its socket (so the socket lingers),
 * and its loop is freed at once.  The peer, slow to read and in a process
 * of its own, must still get every byte and a clean end: closing the
 * socket then would send a reset that discards the unsent tail.
 */
static void
lingering(void)
{
	static char big[LTOTAL];
	struct acore_loop *sl, *pl;
	struct acore_dispatcher *s, *p;
	struct acore_timer *t;
	struct sockaddr_in sin;
	int lfd, sfd, pfd, i, small = 16384, tiny = 4096, status = -1;
	pid_t pid;

	guard("lingering", 60);
	if ((lfd = raw_listener(&sin, 8)) < 0 || (pfd = raw_connect(&sin)) < 0 ||
	    (sfd = accept(lfd, NULL, NULL)) < 0)
		bail_out("no loopback TCP pair");
	close(lfd);
	setsockopt(sfd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(pfd, SOL_SOCKET, SO_RCVBUF, &tiny, sizeof(tiny));
	memset(&lpeer, 0, sizeof(lpeer));
	fflush(stdout);
	if ((pid = fork()) == 0) {
		close(sfd);
		pl = acore_loop_new();
		p = acore_dispatcher_with_send_new(pl, &lpeer_ops, NULL);
		acore_set_socket(p, pfd);
		acore_tls_attach(p, cli_tls, "localhost");
		for (i = 0; i < 200 && !acore_tls_established(p); i++)
			(void)acore_loop_run(pl, 0.05, 1);
		/* Our close_notify crosses the server's data, as socat's does. */
		(void)acore_shutdown(p, SHUT_WR);
		lpeer.t = t = acore_timer_new(pl, unhold, NULL);
		for (i = 0; i < 2000 && lpeer.eof == 0; i++)
			(void)acore_loop_run(pl, 0.05, 1);
		acore_timer_free(t);
		acore_loop_free(pl);
		acore_tls_free(srv_tls);
		acore_tls_free(cli_tls);
		_exit(lpeer.got == sizeof(big) && lpeer.eof == 1 ? 0 : 1);
	}
	close(pfd);
	sl = acore_loop_new();
	s = acore_dispatcher_with_send_new(sl, &sender_ops, NULL);
	acore_set_socket(s, sfd);
	acore_tls_attach(s, srv_tls, NULL);
	for (i = 0; i < 200 && !acore_tls_established(s); i++)
		(void)acore_loop_run(sl, 0.05, 1);
	memset(big, 'L', sizeof(big));
	(void)acore_send(s, big, sizeof(big));
	for (i = 0; i < 1000 && acore_pending(s) > 0; i++)
		(void)acore_loop_run(sl, 0.05, 1);
	acore_close(s);
	acore_loop_free(sl);
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "lingering x loop free: the peer got 1 MiB and a clean end");
}

/*
 * An argument runs only the cells whose name contains it ("tunnelling
 * (SOCKS5) x loop free"), to tell which cell valgrind's report is from.
 */
int
main(int argc, char **argv)
{
	char name[160];
	int st, way;

	signal(SIGPIPE, SIG_DFL);
	signal(SIGALRM, on_alarm);
	if (make_cert() < 0)
		bail_out("cannot make a certificate");
	srv_tls = acore_tls_new(1);
	cli_tls = acore_tls_new(0);
	if (srv_tls == NULL || cli_tls == NULL ||
	    acore_tls_set_cert(srv_tls, cert_path, key_path) < 0 ||
	    acore_tls_set_ca(cli_tls, cert_path, NULL) < 0)
		bail_out("cannot set up TLS");
	for (st = 0; st < NSTATES; st++)
		for (way = 0; way < NWAYS; way++) {
			snprintf(name, sizeof(name), "%s x %s",
			    state_name[st], way_name[way]);
			if (argc < 2 || strstr(name, argv[1]) != NULL)
				run_cell(st, way);
		}
	if (argc < 2 || strstr("lingering x loop free", argv[1]) != NULL)
		lingering();
	acore_tls_free(srv_tls);
	acore_tls_free(cli_tls);
	unlink(cert_path);
	unlink(key_path);
	tap_plan_done();
	return tap_exit();
}
