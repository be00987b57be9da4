/*
 * echo-server.c: the asyncore library-docs echo server on libacore.
 *
 * Shows: a listening dispatcher whose handle_accepted hook adopts each
 * connection into a with-send dispatcher, which echoes what it reads; the
 * with-send queue keeps every byte even when the peer reads slowly.
 *
 *   cc echo-server.c $(pkg-config --cflags --libs libacore) -o echo-server
 *   ./echo-server 8080 &  echo hello | nc -N 127.0.0.1 8080
 */
#include <acore.h>
#include <stdio.h>
#include <stdlib.h>

static void
handler_read(struct acore_dispatcher *d, void *arg)
{
	char buf[8192];
	ssize_t n;

	(void)arg;
	/* 0: the peer closed, and handle_close (the default) already ran. */
	if ((n = acore_recv(d, buf, sizeof(buf))) > 0)
		acore_send(d, buf, (size_t)n);	/* copied into the queue */
}

static const struct acore_ops handler_ops = {
	.name = "EchoHandler",
	.handle_read = handler_read,
};

static void
server_accepted(struct acore_dispatcher *srv, int fd,
    const struct sockaddr *sa, socklen_t len, void *arg)
{
	struct acore_dispatcher *h;
	char addr[64];

	(void)arg;
	acore_format_addr(sa, len, addr, sizeof(addr));
	printf("Incoming connection from %s\n", addr);
	fflush(stdout);
	h = acore_dispatcher_with_send_new(acore_loop_of(srv), &handler_ops,
	    NULL);
	if (h == NULL || acore_set_socket(h, fd) < 0)
		acore_close(h);
}

static const struct acore_ops server_ops = {
	.name = "EchoServer",
	.handle_accepted = server_accepted,
};

int
main(int argc, char **argv)
{
	struct acore_dispatcher *srv;
	struct acore_loop *loop;
	int rc;

	if ((loop = acore_loop_new()) == NULL ||
	    (srv = acore_dispatcher_new(loop, &server_ops, NULL)) == NULL)
		return 1;
	/* socket, SO_REUSEADDR, bind and listen, as the Python servers do. */
	if ((rc = acore_listen_host(srv, "127.0.0.1", argc > 1 ? argv[1] :
	    "8080", AF_INET, 5)) < 0) {
		fprintf(stderr, "echo-server: %s\n", acore_strerror(rc));
		acore_loop_free(loop);
		return 1;
	}
	acore_loop_run(loop, -1, 0);	/* until the map is empty */
	acore_loop_free(loop);
	return 0;
}
