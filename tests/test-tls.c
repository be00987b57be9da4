/*
 * test-tls.c: the TLS transport in one loop, server and client both
 * libacore channels: hooks see nothing before the handshake, 256-byte
 * reads do not stall on bytes OpenSSL holds, close sends close_notify, an
 * end without it is a truncation, and a certificate that does not verify
 * says why.  The certificate is tls-cert.h's.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acore.h"
#include "tap.h"
#include "tls-cert.h"

#define TOTAL	(300 * 1000)	/* bytes the client sends and gets back */

/* ---------------------------------------------------------------- server */

#define SMALL	(16 * 1024)

/* Small kernel buffers, so both directions fill with little data. */
static void
small_buffers(int fd)
{
	int n = SMALL;

	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &n, sizeof(n));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &n, sizeof(n));
}

static struct server {
	struct acore_tls *tls;
	int	 accepted;
	int	 read_before_tls;	/* a handle_read before the handshake */
	int	 truncate;		/* drop the TCP connection, no close_notify */
	int	 close_reason;
	int	 closed;
	int	 errors;
	ssize_t	 echoed;	/* bytes sent back */
	int	 small;		/* 64 KiB socket buffers and high water */
	struct acore_dispatcher *conn;	/* the last accepted */
} srv;

static void
srv_read(struct acore_dispatcher *d, void *arg)
{
	char buf[4096];
	ssize_t n;

	(void)arg;
	if (!acore_tls_established(d))
		srv.read_before_tls++;
	if (srv.truncate) {
		/* Under TLS's feet: the peer sees an end with no alert. */
		(void)acore_recv(d, buf, sizeof(buf));
		shutdown(acore_fd(d), SHUT_RDWR);
		srv.truncate = 0;
		return;
	}
	if ((n = acore_recv(d, buf, sizeof(buf))) > 0)
		srv.echoed += acore_send(d, buf, (size_t)n);
}

static void
srv_close(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	srv.close_reason = acore_close_reason(d);
	srv.closed++;
	acore_close(d);
}

static void
srv_error(struct acore_dispatcher *d, int err, void *arg)
{
	(void)arg;
	if (ACORE_IS_ETLS(err))
		srv.errors++;
	acore_close(d);
}

static const struct acore_ops srv_conn_ops = {
	.name = "server-conn",
	.handle_read = srv_read,
	.handle_close = srv_close,
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
	srv.accepted++;
	c = acore_dispatcher_with_send_new(acore_loop_of(d), &srv_conn_ops,
	    NULL);
	if (c == NULL || acore_set_socket(c, fd) < 0 ||
	    acore_tls_attach(c, srv.tls, NULL) < 0) {
		acore_close(c);
		return;
	}
	srv.conn = c;
	if (srv.small) {
		small_buffers(fd);
		acore_set_high_water(c, SMALL);
	}
}

static const struct acore_ops listener_ops = {
	.name = "listener",
	.handle_accepted = srv_accepted,
};

/* ---------------------------------------------------------------- client */

static struct client {
	char	*out;
	size_t	 sent, got;
	int	 connected_before_tls;
	int	 connects;
	int	 mismatch;
	int	 close_reason;
	int	 closed;
	int	 error;
	int	 reads;		/* handle_read calls */
	int	 stage;		/* acore_connect_stage in handle_error */
	int	 connect_stage;	/* and in handle_connect */
	int	 hold;		/* not readable for now */
	size_t	 heap_before;	/* malloc'd bytes before connecting */
	size_t	 heap_idle;	/* and with every byte read, both ends idle */
	char	 alpn[32];
	char	 protocol[32];
	char	 cipher[64];
} cl;

static void
cl_connect(struct acore_dispatcher *d, void *arg)
{
	const char *alpn;
	size_t n;

	(void)arg;
	cl.connects++;
	cl.connect_stage = acore_connect_stage(d);
	if (!acore_tls_established(d))
		cl.connected_before_tls++;
	else {
		snprintf(cl.protocol, sizeof(cl.protocol), "%s",
		    acore_tls_protocol(d));
		snprintf(cl.cipher, sizeof(cl.cipher), "%s",
		    acore_tls_cipher(d));
		n = acore_tls_alpn(d, &alpn);
		snprintf(cl.alpn, sizeof(cl.alpn), "%.*s", (int)n,
		    alpn != NULL ? alpn : "");
	}
}

static int
cl_writable(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	return (acore_flags(d) & ACORE_CONNECTING) || cl.sent < TOTAL;
}

static void
cl_write(struct acore_dispatcher *d, void *arg)
{
	ssize_t n;

	(void)arg;
	if (cl.sent < TOTAL && (n = acore_send(d, cl.out + cl.sent,
	    TOTAL - cl.sent)) > 0)
		cl.sent += (size_t)n;
}

/* 256 bytes a read: most of each 16 KiB record waits inside OpenSSL. */
static void
cl_read(struct acore_dispatcher *d, void *arg)
{
	char buf[256];
	ssize_t n;

	(void)arg;
	cl.reads++;
	if ((n = acore_recv(d, buf, sizeof(buf))) <= 0)
		return;
	if (memcmp(buf, cl.out + cl.got, (size_t)n) != 0)
		cl.mismatch++;
	cl.got += (size_t)n;
	if (cl.got == TOTAL) {
		cl.heap_idle = mallinfo2().uordblks;
		acore_close(d);		/* sends close_notify */
	}
}

static void
cl_close(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	cl.close_reason = acore_close_reason(d);
	cl.closed++;
	acore_close(d);
}

static void
cl_error(struct acore_dispatcher *d, int err, void *arg)
{
	(void)arg;
	cl.error = err;
	cl.stage = acore_connect_stage(d);
	acore_close(d);
}


static int
cl_readable(struct acore_dispatcher *d, void *arg)
{
	(void)d;
	(void)arg;
	return !cl.hold;
}

/* cl.hold keeps the client from reading for a while (case 6). */
static const struct acore_ops cl_ops = {
	.name = "client",
	.readable = cl_readable,
	.writable = cl_writable,
	.handle_connect = cl_connect,
	.handle_write = cl_write,
	.handle_read = cl_read,
	.handle_close = cl_close,
	.handle_error = cl_error,
};

static struct acore_dispatcher *
client(struct acore_loop *loop, struct acore_tls *tls, const char *name,
    const struct sockaddr_in *sin)
{
	struct acore_dispatcher *d;

	d = acore_dispatcher_new(loop, &cl_ops, NULL);
	if (d == NULL || acore_tls_attach(d, tls, name) < 0 ||
	    acore_create_socket(d, AF_INET, SOCK_STREAM) < 0)
		return NULL;
	if (cl.hold)
		small_buffers(acore_fd(d));
	if (acore_connect(d, (const struct sockaddr *)sin, sizeof(*sin)) < 0)
		return NULL;
	return d;
}

/* The same client, connecting by name to 127.0.0.1's port. */
static struct acore_dispatcher *
by_name(struct acore_loop *loop, struct acore_tls *tls, const char *name,
    const struct sockaddr_in *sin)
{
	struct acore_dispatcher *d;
	char port[16];

	snprintf(port, sizeof(port), "%u", ntohs(sin->sin_port));
	d = acore_dispatcher_new(loop, &cl_ops, NULL);
	if (d == NULL || acore_tls_attach(d, tls, name) < 0 ||
	    acore_connect_host(d, "127.0.0.1", port, AF_INET) < 0)
		cl.error = -1;
	else
		cl.stage = acore_connect_stage(d);
	return d;
}

static void
reset_client(void)
{
	memset(&cl, 0, sizeof(cl));
}

/*
 * Copy what from holds to to, keeping the last hold bytes in buf (*held
 * of them) back; hold 0 releases them all.  Returns the bytes read.
 */
static size_t
relay(int from, int to, char *buf, size_t *held, size_t hold)
{
	size_t got = 0;
	ssize_t n;

	while (*held < 65536 &&
	    (n = read(from, buf + *held, 65536 - *held)) > 0) {
		*held += (size_t)n;
		got += (size_t)n;
	}
	if (*held > hold && (n = write(to, buf, *held - hold)) > 0) {
		memmove(buf, buf + n, *held - (size_t)n);
		*held -= (size_t)n;
	}
	return got;
}

int
main(void)
{
	struct acore_loop *loop;
	struct acore_dispatcher *l, *bd;
	struct acore_tls *ctls, *untrusted;
	struct sockaddr_in sin, psin;
	socklen_t len = sizeof(sin);
	int pl, pc = -1, ps, passes, stall;
	size_t up = 0, down = 0, got;
	char upbuf[65536], downbuf[65536];
	char *out;
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	alarm(60);
	if (make_cert() < 0) {
		printf("Bail out! cannot make a certificate\n");
		return 1;
	}
	if ((out = malloc(TOTAL)) == NULL)
		return 1;
	for (i = 0; i < TOTAL; i++)
		out[i] = (char)(i * 7 + i / 251);
	loop = acore_loop_new();
	srv.tls = acore_tls_new(1);
	is_int(acore_tls_set_cert(srv.tls, cert_path, key_path), 0,
	    "server certificate and key load");
	ctls = acore_tls_new(0);
	is_int(acore_tls_set_ca(ctls, cert_path, NULL), 0,
	    "the client trusts the self-signed certificate");
	is_int(acore_tls_set_alpn(srv.tls, "h2,http/1.1"), 0,
	    "server ALPN list");
	is_int(acore_tls_set_alpn(ctls, "acore/1,http/1.1"), 0,
	    "client ALPN list");
	is_int(acore_tls_set_alpn(ctls, "a,,b"), -EINVAL,
	    "an empty ALPN name is refused");
	is_int(acore_tls_set_ciphers(ctls, "NO-SUCH-CIPHER", NULL), -EINVAL,
	    "a TLS 1.2 list of no cipher OpenSSL knows is refused");
	is_int(acore_tls_set_ciphers(ctls, "", NULL), -EINVAL,
	    "an empty TLS 1.2 list is refused");
	is_int(acore_tls_set_ciphers(ctls, NULL, "TLS_NO_SUCH"), -EINVAL,
	    "a TLS 1.3 list of no suite OpenSSL knows is refused");
	is_int(acore_tls_set_ciphers(ctls, NULL, NULL), 0,
	    "NULL and NULL: nothing changes");

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

	/* 1. A whole echo, read 256 bytes at a time. */
	reset_client();
	cl.out = out;
	cl.heap_before = mallinfo2().uordblks;
	ok(client(loop, ctls, "localhost", &sin) != NULL, "client connects");
	while (cl.closed == 0 && cl.got < TOTAL && cl.error == 0 &&
	    acore_loop_run(loop, 5, 1) > 0 && !(cl.got == TOTAL))
		;
	/* Let the server see the close. */
	for (i = 0; i < 50 && srv.closed == 0; i++)
		acore_loop_run(loop, 0.1, 1);
	is_int(cl.connects, 1, "handle_connect ran once");
	is_int(cl.connected_before_tls, 0,
	    "handle_connect came after the handshake");
	is_str(cl.protocol, "TLSv1.3", "TLS 1.3 between two acore ends");
	is_str(cl.cipher, "TLS_AES_128_GCM_SHA256",
	    "the default asks for AES-128-GCM first, and gets it");
	is_str(cl.alpn, "http/1.1", "ALPN: the server's choice of the "
	    "client's offers");
	is_int(srv.read_before_tls, 0,
	    "the server's first handle_read came after the handshake");
	is_int(cl.got, TOTAL, "every byte came back through 256-byte reads");
	is_int(cl.mismatch, 0, "and in order");
	/*
	 * Two SSL objects take some 30 KiB; a 256 KiB read-ahead buffer
	 * kept by either end once drained would show.  (Sanitizer builds
	 * keep their own heap: mallinfo2 sees none of it.)
	 */
	ok(cl.heap_idle < cl.heap_before + 128 * 1024,
	    "drained: no read-ahead buffer held (heap +%zd bytes)",
	    (ssize_t)(cl.heap_idle - cl.heap_before));
	is_int(cl.error, 0, "no error");
	is_int(srv.closed, 1, "the server saw the client close");
	is_int(srv.close_reason, 0,
	    "with close_notify: an orderly end (reason 0)");

	/* 2. The server drops TCP under TLS: a truncation, not an end. */
	reset_client();
	cl.out = out;
	cl.sent = TOTAL - 10;	/* a few bytes, so the server reads once */
	srv.truncate = 1;
	ok(client(loop, ctls, "localhost", &sin) != NULL, "client connects");
	for (i = 0; i < 100 && cl.closed == 0 && cl.error == 0; i++)
		acore_loop_run(loop, 0.1, 1);
	is_int(cl.closed, 1, "the client's handle_close ran");
	is_int(cl.close_reason, ACORE_ETLS_TRUNCATED,
	    "reason ACORE_ETLS_TRUNCATED: %s", acore_strerror(cl.close_reason));

	/* 3. A client that does not trust the certificate. */
	untrusted = acore_tls_new(0);
	reset_client();
	cl.out = out;
	srv.truncate = 0;
	/* An empty CA file: nothing is trusted, not even the system store. */
	is_int(acore_tls_set_ca(untrusted, "/dev/null", NULL), ACORE_ETLS_PEM,
	    "a CA file without certificates is refused");
	ok(client(loop, untrusted, "localhost", &sin) != NULL,
	    "client connects");
	for (i = 0; i < 100 && cl.error == 0 && cl.closed == 0; i++)
		acore_loop_run(loop, 0.1, 1);
	ok(ACORE_IS_ETLS_VERIFY(cl.error), "handle_error: %s",
	    acore_strerror(cl.error));
	is_int(cl.connects, 0, "handle_connect never ran");

	/* 4. The right CA, the wrong name. */
	reset_client();
	cl.out = out;
	ok(client(loop, ctls, "example.com", &sin) != NULL, "client connects");
	for (i = 0; i < 100 && cl.error == 0 && cl.closed == 0; i++)
		acore_loop_run(loop, 0.1, 1);
	ok(ACORE_IS_ETLS_VERIFY(cl.error) && strstr(acore_strerror(cl.error),
	    "host name mismatch") != NULL, "wrong name: %s",
	    acore_strerror(cl.error));
	is_int(cl.stage, ACORE_STAGE_NONE,
	    "no connect by name: stage NONE");
	for (i = 0; i < 50 && srv.errors < 2; i++)
		acore_loop_run(loop, 0.1, 1);
	is_int(srv.errors, 2, "the server saw both handshakes fail");

	/*
	 * 4b. Connecting by name walks resolve, connect, TLS, ready; a
	 * failure says which stage it ended in.
	 */
	reset_client();
	cl.out = out;
	cl.sent = TOTAL;
	(void)by_name(loop, ctls, "example.com", &sin);
	is_int(cl.stage, ACORE_STAGE_CONNECT,
	    "by name: a literal needs no lookup: stage CONNECT at once");
	for (i = 0; i < 100 && cl.error == 0 && cl.closed == 0; i++)
		acore_loop_run(loop, 0.1, 1);
	ok(ACORE_IS_ETLS_VERIFY(cl.error), "by name, wrong name: %s",
	    acore_strerror(cl.error));
	is_int(cl.stage, ACORE_STAGE_TLS, "it failed in stage TLS");
	reset_client();
	cl.out = out;
	cl.sent = TOTAL;
	srv.closed = 0;
	bd = by_name(loop, ctls, "localhost", &sin);
	for (i = 0; i < 100 && cl.connects == 0 && cl.error == 0; i++)
		acore_loop_run(loop, 0.1, 1);
	is_int(cl.connect_stage, ACORE_STAGE_READY,
	    "by name: READY in handle_connect (error %d)", cl.error);
	acore_close(bd);
	for (i = 0; i < 50 && srv.closed == 0; i++)
		acore_loop_run(loop, 0.1, 1);
	srv.closed = 0;

	/*
	 * 5. A record cut in two, by a relay that holds its last bytes back:
	 * the client waits for the socket, it does not spin its loop.
	 */
	reset_client();
	cl.out = out;
	cl.sent = TOTAL - 100;	/* 100 bytes, echoed in one record */
	psin = sin;
	psin.sin_port = 0;
	len = sizeof(psin);
	pl = socket(AF_INET, SOCK_STREAM, 0);
	ps = socket(AF_INET, SOCK_STREAM, 0);
	if (pl < 0 || ps < 0 ||
	    bind(pl, (struct sockaddr *)&psin, sizeof(psin)) < 0 ||
	    listen(pl, 1) < 0 ||
	    getsockname(pl, (struct sockaddr *)&psin, &len) < 0 ||
	    connect(ps, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		printf("Bail out! no relay\n");
		return 1;
	}
	ok(client(loop, ctls, "localhost", &psin) != NULL, "client connects");
	for (i = 0; i < 100 && pc < 0; i++) {
		acore_loop_run(loop, 0.05, 1);
		pc = accept(pl, NULL, NULL);
	}
	ok(pc >= 0, "the relay has the client");
	fcntl(pc, F_SETFL, O_NONBLOCK);
	fcntl(ps, F_SETFL, O_NONBLOCK);
	srv.echoed = 0;
	/* Until the server has echoed: every byte both ways. */
	for (i = 0; i < 200 && srv.echoed < 100 && cl.error == 0; i++) {
		relay(pc, ps, upbuf, &up, 0);
		relay(ps, pc, downbuf, &down, 0);
		acore_loop_run(loop, 0.01, 1);
	}
	/* The echo's record: 100 bytes, a 5-byte header, type and tag. */
	for (i = 0, got = 0; i < 100 && got < 100 + 22; i++) {
		got += relay(ps, pc, downbuf, &down, 10);
		acore_loop_run(loop, 0.01, 1);
	}
	ok(got >= 100 + 22 && down == 10,
	    "the relay holds the last 10 bytes of the echo back");
	cl.reads = 0;
	for (passes = 0; passes < 50; passes++)
		acore_loop_run(loop, 0.01, 1);
	ok(cl.reads <= 2, "50 passes on a part of a record: %d reads",
	    cl.reads);
	relay(ps, pc, downbuf, &down, 0);
	for (i = 0; i < 100 && cl.got < 100 && cl.error == 0; i++)
		acore_loop_run(loop, 0.05, 1);
	is_int((int)cl.got, 100, "the rest of the record completes the echo");
	close(pc);
	close(pl);
	close(ps);
	/* That client and its server end see their ends before the next. */
	for (i = 0; i < 100 && cl.closed == 0 && cl.error == 0; i++)
		acore_loop_run(loop, 0.01, 1);

	/*
	 * 6. The server closes while its last records are still on their
	 * way and the client, which has not read yet, goes on sending (its
	 * close_notify crossing the server's, as socat's does).  Closed at
	 * once, the server's socket would answer with a reset and drop what
	 * it had not yet sent; lingering, it sends all of it, then FIN.
	 */
	reset_client();
	cl.out = out;
	cl.hold = 1;
	srv.small = 1;
	srv.conn = NULL;
	srv.echoed = 0;
	ok(client(loop, ctls, "localhost", &sin) != NULL, "client connects");
	for (i = 0, stall = 0; i < 3000 && stall < 20 && cl.error == 0; i++) {
		got = cl.sent;
		acore_loop_run(loop, 0.01, 1);
		stall = srv.conn != NULL && srv.echoed > 0 && cl.sent == got ?
		    stall + 1 : 0;
	}
	ok(srv.conn != NULL && srv.echoed > 0 && cl.sent < TOTAL,
	    "both directions full: %zu sent, %zd echoed", cl.sent,
	    srv.echoed);
	/* What the server's kernel took (a record may wait in OpenSSL). */
	got = srv.conn != NULL ? (size_t)srv.echoed -
	    acore_pending(srv.conn) : 0;
	acore_close(srv.conn);
	cl.hold = 0;
	for (i = 0; i < 1000 && cl.closed == 0 && cl.error == 0; i++)
		acore_loop_run(loop, 0.01, 1);
	ok(cl.closed == 1 && (cl.close_reason == 0 ||
	    cl.close_reason == ACORE_ETLS_TRUNCATED),
	    "the client reads to an end, not a reset: %s",
	    acore_strerror(cl.close_reason));
	ok(cl.got + 16384 + 256 >= got && cl.mismatch == 0,
	    "every byte the server's kernel took arrived: %zu of %zu",
	    cl.got, got);
	srv.small = 0;

	acore_tls_free(untrusted);
	acore_tls_free(ctls);
	acore_tls_free(srv.tls);
	acore_loop_free(loop);
	unlink(cert_path);
	unlink(key_path);
	free(out);
	tap_plan_done();
	return tap_failed != 0;
}
