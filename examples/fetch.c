/*
 * fetch.c: fetch one http:// URL path with a plain dispatcher, the
 * library docs' HTTPClient.
 *
 * Shows: acore_connect_host (a name resolved without blocking the loop,
 * every address tried), a writable hook that is true only while the
 * request is unsent, and handle_close running before the 0-byte read.
 *
 *   cc fetch.c $(pkg-config --cflags --libs libacore) -o fetch
 *   ./fetch localhost 80 /
 */
#include <acore.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct client {
	char	request[1024];
	size_t	len, sent;
	int	failed;
};

static int
client_writable(struct acore_dispatcher *d, void *arg)
{
	struct client *c = arg;

	(void)d;
	return c->sent < c->len;
}

static void
client_write(struct acore_dispatcher *d, void *arg)
{
	struct client *c = arg;
	ssize_t n;

	if ((n = acore_send(d, c->request + c->sent, c->len - c->sent)) > 0)
		c->sent += (size_t)n;
}

static void
client_read(struct acore_dispatcher *d, void *arg)
{
	char buf[8192];
	ssize_t n;

	(void)arg;
	if ((n = acore_recv(d, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
}

static void
client_error(struct acore_dispatcher *d, int err, void *arg)
{
	struct client *c = arg;

	fprintf(stderr, "fetch: %s\n", acore_strerror(err));
	c->failed = 1;
	acore_close(d);
}

static const struct acore_ops client_ops = {
	.name = "HTTPClient",
	.writable = client_writable,
	.handle_write = client_write,
	.handle_read = client_read,
	.handle_error = client_error,
};

int
main(int argc, char **argv)
{
	struct client c = { .len = 0 };
	struct acore_dispatcher *d;
	struct acore_loop *loop;
	int n, rc;

	if (argc != 4) {
		fprintf(stderr, "usage: fetch host port path\n");
		return 2;
	}
	n = snprintf(c.request, sizeof(c.request),
	    "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", argv[3], argv[1]);
	if (n < 0 || (size_t)n >= sizeof(c.request))
		return 2;
	c.len = (size_t)n;
	if ((loop = acore_loop_new()) == NULL ||
	    (d = acore_dispatcher_new(loop, &client_ops, &c)) == NULL)
		return 1;
	if ((rc = acore_connect_host(d, argv[1], argv[2], 0)) < 0) {
		fprintf(stderr, "fetch: %s\n", acore_strerror(rc));
		acore_loop_free(loop);
		return 1;
	}
	acore_loop_run(loop, -1, 0);
	acore_loop_free(loop);
	fflush(stdout);
	return c.failed;
}
