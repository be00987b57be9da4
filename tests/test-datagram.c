/*
 * test-datagram.c: acore_recvfrom and acore_sendto on UDP loopback
 * channels: each datagram whole with its sender's address, an empty
 * datagram is a length of 0 (no handle_close), nothing to read is -EAGAIN
 * with no hook, a loop echoes to whoever sent, a closed port on a
 * connected socket is -ECONNREFUSED, acore_set_source picks the address
 * a TCP connection comes from, and acore_set_reuse_port lets two
 * listeners share a port.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "acore.h"
#include "tap.h"

static int closes, errors;

static void
count_close(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	closes++;
	acore_close(d);
}

static void
count_error(struct acore_dispatcher *d, int err, void *arg)
{
	(void)err;
	(void)arg;
	errors++;
	acore_close(d);
}

/* The echo server: each datagram back to its sender. */
static void
echo_read(struct acore_dispatcher *d, void *arg)
{
	struct sockaddr_storage from;
	socklen_t len;
	char buf[2048];
	ssize_t n;

	(void)arg;
	while ((n = acore_recvfrom(d, buf, sizeof(buf), &from, &len)) >= 0)
		acore_sendto(d, buf, (size_t)n, (struct sockaddr *)&from, len);
}

static const struct acore_ops echo_ops = {
	.name = "UdpEcho",
	.handle_read = echo_read,
	.handle_close = count_close,
	.handle_error = count_error,
};

static const struct acore_ops plain_ops = {
	.name = "Udp",
	.handle_close = count_close,
	.handle_error = count_error,
};

static struct acore_dispatcher *
udp_bound(struct acore_loop *loop, const struct acore_ops *ops,
    struct sockaddr_in *sin)
{
	struct acore_dispatcher *d;
	socklen_t len = sizeof(*sin);

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = acore_dispatcher_new(loop, ops, NULL);
	if (d == NULL || acore_create_socket(d, AF_INET, SOCK_DGRAM) < 0 ||
	    acore_bind(d, (struct sockaddr *)sin, sizeof(*sin)) < 0 ||
	    getsockname(acore_fd(d), (struct sockaddr *)sin, &len) < 0)
		return NULL;
	return d;
}

int
main(void)
{
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *srv, *cli, *cc;
	struct sockaddr_in srv_addr, cli_addr, src;
	struct sockaddr_storage from;
	socklen_t fromlen;
	char buf[2048];
	ssize_t n;
	int i;

	srv = udp_bound(loop, &echo_ops, &srv_addr);
	cli = udp_bound(loop, &plain_ops, &cli_addr);
	ok(srv != NULL && cli != NULL, "two UDP channels on loopback");

	is_int(acore_recvfrom(cli, buf, sizeof(buf), &from, &fromlen),
	    -EAGAIN, "nothing to read: -EAGAIN");
	is_int(acore_sendto(cli, "hello", 5, (struct sockaddr *)&srv_addr,
	    sizeof(srv_addr)), 5, "sendto: the whole datagram");
	is_int(acore_sendto(cli, "", 0, (struct sockaddr *)&srv_addr,
	    sizeof(srv_addr)), 0, "sendto: an empty datagram");
	acore_loop_run(loop, 0.2, 3);
	n = acore_recvfrom(cli, buf, sizeof(buf), &from, &fromlen);
	ok(n == 5 && memcmp(buf, "hello", 5) == 0, "the echo of the first "
	    "datagram, whole");
	ok(fromlen == sizeof(struct sockaddr_in) &&
	    ((struct sockaddr_in *)&from)->sin_port == srv_addr.sin_port,
	    "from: the server's address");
	is_int(acore_recvfrom(cli, buf, sizeof(buf), NULL, NULL), 0,
	    "the empty datagram: length 0");
	is_int(closes + errors, 0, "no handle_close or handle_error ran");
	is_int(acore_loop_size(loop), 2, "both channels still open");

	/* Datagram boundaries kept: three sends are three reads. */
	for (i = 1; i <= 3; i++)
		acore_sendto(cli, "abc", (size_t)i, (struct sockaddr *)&srv_addr,
		    sizeof(srv_addr));
	acore_loop_run(loop, 0.2, 3);
	for (i = 1; i <= 3; i++)
		is_int(acore_recvfrom(cli, buf, sizeof(buf), NULL, NULL), i,
		    "datagram %d keeps its length", i);

	/* from without fromlen: the datagram and its sender, not -EFAULT. */
	acore_sendto(cli, "xyz", 3, (struct sockaddr *)&srv_addr,
	    sizeof(srv_addr));
	acore_loop_run(loop, 0.2, 3);
	memset(&from, 0, sizeof(from));
	is_int(acore_recvfrom(cli, buf, sizeof(buf), &from, NULL), 3,
	    "from without fromlen: the datagram (issue 18.9)");
	ok(((struct sockaddr_in *)&from)->sin_port == srv_addr.sin_port,
	    "from without fromlen: the sender's address");

	/* A connected socket to a closed port: -ECONNREFUSED, no hook. */
	cc = acore_dispatcher_new(loop, &plain_ops, NULL);
	acore_create_socket(cc, AF_INET, SOCK_DGRAM);
	cli_addr.sin_port = 0;
	acore_close(cli);	/* its port is closed now */
	acore_loop_run(loop, 0, 1);
	fromlen = sizeof(cli_addr);
	ok(acore_connect(cc, (struct sockaddr *)&srv_addr,
	    sizeof(srv_addr)) == 0, "connect a UDP channel");
	n = acore_sendto(cc, "x", 1, NULL, 0);
	is_int(n, 1, "sendto NULL: to the connected peer");
	acore_loop_run(loop, 0.2, 2);
	is_int(acore_recvfrom(cc, buf, sizeof(buf), NULL, NULL), 1,
	    "the connected peer's echo");
	acore_close(srv);
	acore_loop_run(loop, 0, 1);
	acore_sendto(cc, "y", 1, NULL, 0);
	for (i = 0; i < 100 && (n = acore_recvfrom(cc, buf, sizeof(buf), NULL,
	    NULL)) == -EAGAIN; i++)
		usleep(10000);
	is_int(n, -ECONNREFUSED, "a closed port: -ECONNREFUSED");
	is_int(closes + errors, 0, "and no hook ran for it");
	acore_close(cc);

	/* acore_set_source: a TCP connection from 127.0.0.2. */
	{
		struct sockaddr_in lsin, peer;
		struct sockaddr_in6 src6;
		socklen_t plen = sizeof(peer), llen = sizeof(lsin);
		int lfd = socket(AF_INET, SOCK_STREAM, 0), afd;

		memset(&lsin, 0, sizeof(lsin));
		lsin.sin_family = AF_INET;
		lsin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		bind(lfd, (struct sockaddr *)&lsin, sizeof(lsin));
		listen(lfd, 1);
		getsockname(lfd, (struct sockaddr *)&lsin, &llen);
		memset(&src, 0, sizeof(src));
		src.sin_family = AF_INET;
		inet_pton(AF_INET, "127.0.0.2", &src.sin_addr);
		cc = acore_dispatcher_new(loop, &plain_ops, NULL);
		acore_create_socket(cc, AF_INET, SOCK_STREAM);
		is_int(acore_set_source(cc, (struct sockaddr *)&src,
		    sizeof(src)), 0, "acore_set_source");
		is_int(acore_connect(cc, (struct sockaddr *)&lsin,
		    sizeof(lsin)), 0, "connect from it");
		afd = accept(lfd, (struct sockaddr *)&peer, &plen);
		ok(afd >= 0 && peer.sin_addr.s_addr == src.sin_addr.s_addr,
		    "the server sees 127.0.0.2");
		acore_close(cc);
		memset(&src6, 0, sizeof(src6));
		src6.sin6_family = AF_INET6;
		src6.sin6_addr = in6addr_loopback;
		cc = acore_dispatcher_new(loop, &plain_ops, NULL);
		acore_create_socket(cc, AF_INET, SOCK_STREAM);
		is_int(acore_set_source(cc, (struct sockaddr *)&src6,
		    sizeof(src6)), 0, "an IPv6 source for an IPv4 peer");
		is_int(acore_connect(cc, (struct sockaddr *)&lsin,
		    sizeof(lsin)), -EAFNOSUPPORT, "connect: -EAFNOSUPPORT");
		acore_close(cc);
		close(afd);
		close(lfd);
	}
	/* acore_set_reuse_port before acore_listen_host: one port, twice. */
	{
		struct acore_dispatcher *l1, *l2, *l3;
		struct sockaddr_in sin;
		socklen_t slen = sizeof(sin);
		char port[16];

		l1 = acore_dispatcher_new(loop, &plain_ops, NULL);
		l2 = acore_dispatcher_new(loop, &plain_ops, NULL);
		l3 = acore_dispatcher_new(loop, &plain_ops, NULL);
		is_int(acore_set_reuse_port(l1), 0, "acore_set_reuse_port "
		    "before a socket");
		is_int(acore_listen_host(l1, "127.0.0.1", "0", AF_INET, 5), 0,
		    "listen on a port the kernel picks");
		getsockname(acore_fd(l1), (struct sockaddr *)&sin, &slen);
		snprintf(port, sizeof(port), "%d", ntohs(sin.sin_port));
		acore_set_reuse_port(l2);
		is_int(acore_listen_host(l2, "127.0.0.1", port, AF_INET, 5), 0,
		    "a second listener with it shares the port");
		is_int(acore_listen_host(l3, "127.0.0.1", port, AF_INET, 5),
		    -EADDRINUSE, "a third without it: -EADDRINUSE");
		acore_close(l1);
		acore_close(l2);
		acore_close(l3);
	}
	acore_loop_free(loop);
	tap_plan_done();
	return tap_failed != 0;
}
