/*
 * echo-client.c: acore echo-client, the PyMOTW EchoClient (example 4).
 *
 * Sends the message in chunk-sized pieces, collects the echo, and when
 * the server closes compares the two: "RECEIVED COPY OF MESSAGE" and exit
 * 0, or "ERROR IN TRANSMISSION" and a non-zero exit.  Unlike the article's
 * client it shuts down its write side once the whole message has come
 * back, so servers that echo until end of input (cat behind socat, the
 * docs server) know when to stop.  Not earlier: ncat --exec closes the
 * connection at the client's end of input, before cat has answered.
 * echo-server --with-client runs the same client inside the server's loop.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acore.h"
#include "cmd.h"
#include "echo.h"

#define DEFAULT_CHUNK	512	/* the PyMOTW client's */

#define CHAT_CHUNK	65536	/* --chat without --chunk-size */

enum { OPT_CHAT = 256, OPT_CHUNK_SIZE };

static struct client {
	struct echo_client_conf conf;
	char		 where[300];	/* "HOST port PORT" or the path */
	char		*rbuf;
	size_t		 sent;		/* message bytes sent */
	size_t		 got;		/* bytes echoed back */
	size_t		 first_diff;	/* SIZE_MAX while the echo matches */
	char		*rcvd;		/* the echo, kept for -v's RECEIVED */
	size_t		 rcvd_cap;
	int		 connected;
	int		 shut;		/* write side shut down */
	int		 finished;
} cl;

static const struct acore_cmd *self(void);

static void
finish(int status)
{
	if (cl.finished)
		return;
	cl.finished = 1;
	free(cl.rbuf);
	free(cl.rcvd);
	cl.rbuf = cl.rcvd = NULL;
	if (cl.conf.done != NULL)
		cl.conf.done(status);
}

/* Keep what came back: compare it, copy it out, remember it for -v. */
static int
take_echo(const char *buf, size_t n)
{
	size_t i, same;
	char *p;
	int rc;

	if (cl.first_diff == SIZE_MAX) {
		same = cl.got < cl.conf.len ? cl.conf.len - cl.got : 0;
		if (same > n)
			same = n;
		if (memcmp(buf, cl.conf.msg + cl.got, same) != 0) {
			for (i = 0; buf[i] == cl.conf.msg[cl.got + i]; i++)
				;
			cl.first_diff = cl.got + i;
		} else if (same < n)
			cl.first_diff = cl.got + same;	/* longer than sent */
	}
	if (cl.conf.out_fd >= 0 &&
	    (rc = cmd_write_all(cl.conf.out_fd, buf, n)) < 0) {
		warnx("echo-client: %s: %s", cl.conf.out_name, strerror(-rc));
		return AC_EXIT_WRITE;
	}
	if (cmd_is_verbose()) {
		if (cl.got + n > cl.rcvd_cap) {
			cl.rcvd_cap = (cl.got + n) * 2;
			if ((p = realloc(cl.rcvd, cl.rcvd_cap)) == NULL) {
				warnx("echo-client: out of memory");
				return AC_EXIT_FAIL;
			}
			cl.rcvd = p;
		}
		memcpy(cl.rcvd + cl.got, buf, n);
	}
	cl.got += n;
	return 0;
}

static int
client_writable(struct acore_dispatcher *d, void *arg)
{
	/* Also while connecting: the connect completes on a write event. */
	int r = !cl.connected || cl.sent < cl.conf.len;

	(void)arg;
	acore_debug(d, "writable() -> %s", r ? "True" : "False");
	return r;
}

static void
client_connect(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	acore_debug(d, "handle_connect()");
	cl.connected = 1;
	acore_set_timeout(d, cl.conf.idle);
	if (cl.conf.len == 0)
		acore_shutdown(d, SHUT_WR);
}

static void
client_write(struct acore_dispatcher *d, void *arg)
{
	size_t len = cl.conf.len - cl.sent;
	ssize_t n;

	(void)arg;
	if (len == 0)
		return;
	if (len > cl.conf.chunk)
		len = cl.conf.chunk;
	n = acore_send(d, cl.conf.msg + cl.sent, len);
	if (n < 0 || (acore_flags(d) & ACORE_CLOSED))
		return;
	echo_log_data(d, "handle_write()", cl.conf.msg + cl.sent, (size_t)n);
	cl.sent += (size_t)n;
}

static void
client_read(struct acore_dispatcher *d, void *arg)
{
	ssize_t n;
	int rc;

	(void)arg;
	/* A 0 read runs client_close first, as asyncore's recv does. */
	if ((n = acore_recv(d, cl.rbuf, cl.conf.chunk)) < 0)
		return;
	echo_log_data(d, "handle_read()", cl.rbuf != NULL ? cl.rbuf : "",
	    (size_t)n);
	if (n > 0 && (rc = take_echo(cl.rbuf, (size_t)n)) != 0) {
		acore_close(d);
		finish(rc);
		return;
	}
	/* All of it came back: tell the server we are done. */
	if (n > 0 && cl.got >= cl.conf.len && !cl.shut) {
		cl.shut = 1;
		acore_shutdown(d, SHUT_WR);
	}
}

static void
client_close(struct acore_dispatcher *d, void *arg)
{
	const char *name = acore_name(d);
	int status = AC_EXIT_OK;

	(void)arg;
	acore_debug(d, "handle_close()");
	acore_close(d);
	if (cl.got == cl.conf.len && cl.first_diff == SIZE_MAX) {
		acore_log(ACORE_LOG_DEBUG, name, "RECEIVED COPY OF MESSAGE");
		finish(status);
		return;
	}
	acore_log(ACORE_LOG_DEBUG, name, "ERROR IN TRANSMISSION");
	cmd_log_data(name, "EXPECTED \"", cl.conf.msg, cl.conf.len, "\"");
	cmd_log_data(name, "RECEIVED \"", cl.rcvd != NULL ? cl.rcvd : "",
	    cl.got, "\"");
	if (cl.first_diff == SIZE_MAX) {
		warnx("echo-client: %s closed the connection after %zu of %zu "
		    "bytes echoed", cl.where, cl.got, cl.conf.len);
		status = AC_EXIT_RESET;
	} else {
		warnx("echo-client: echo from %s differs from the message at "
		    "byte %zu", cl.where, cl.first_diff);
		status = AC_EXIT_FAIL;
	}
	finish(status);
}

int
echo_client_failed(const struct echo_client_conf *c, const char *where,
    int connected, int err)
{
	if (ACORE_IS_EAI(err))
		warnx("echo-client: cannot resolve %s: %s", where,
		    acore_strerror(err));
	else if (err == -ETIMEDOUT)
		warnx("echo-client: %s %s: timed out after %g s",
		    connected ? "no data from" : "connect to", where,
		    connected ? c->idle : c->connect_timeout);
	else
		warnx("echo-client: %s%s: %s", connected ? "" : "connect to ",
		    where, acore_strerror(err));
	return cmd_exit_for(err);
}

static void
client_error(struct acore_dispatcher *d, int err, void *arg)
{
	(void)arg;
	acore_close(d);
	finish(echo_client_failed(&cl.conf, cl.where, cl.connected, err));
}

static const struct acore_ops client_ops = {
	.name = "EchoClient",
	.writable = client_writable,
	.handle_read = client_read,
	.handle_write = client_write,
	.handle_connect = client_connect,
	.handle_close = client_close,
	.handle_error = client_error,
};

static int
connect_unix(struct acore_dispatcher *d, const char *path)
{
	struct sockaddr_un sun;
	char addr[sizeof(sun.sun_path) + 8];
	int rc;

	if ((rc = echo_unix_addr(path, &sun)) < 0)
		return rc;
	echo_str_addr((struct sockaddr *)&sun, sizeof(sun), addr,
	    sizeof(addr));
	acore_debug(d, "connecting to %s", addr);
	if ((rc = acore_create_socket(d, AF_UNIX, SOCK_STREAM)) < 0)
		return rc;
	return acore_connect(d, (struct sockaddr *)&sun, sizeof(sun));
}

void
echo_client_where(const struct echo_client_conf *c, char *buf, size_t size)
{
	if (c->unix_path != NULL)
		snprintf(buf, size, "%s", c->unix_path);
	else
		snprintf(buf, size, "%s port %s", c->host, c->port);
}

int
echo_client_connect(struct acore_dispatcher *d,
    const struct echo_client_conf *c)
{
	int rc;

	/* Until connected, the idle timer is the connect timeout. */
	if ((rc = acore_set_timeout(d, c->connect_timeout)) < 0)
		return rc;
	if (c->unix_path != NULL)
		return connect_unix(d, c->unix_path);
	acore_debug(d, "connecting to ('%s', %s)", c->host, c->port);
	return acore_connect_host(d, c->host, c->port, c->family);
}

int
echo_client_start(struct acore_loop *loop, const struct echo_client_conf *c)
{
	struct acore_dispatcher *d;
	int rc;

	if (c->chat)
		return echo_chat_client_start(loop, c);
	memset(&cl, 0, sizeof(cl));
	cl.conf = *c;
	cl.first_diff = SIZE_MAX;
	echo_client_where(c, cl.where, sizeof(cl.where));
	if ((cl.rbuf = malloc(c->chunk)) == NULL ||
	    (d = acore_dispatcher_new(loop, &client_ops, NULL)) == NULL) {
		warn("echo-client");
		return AC_EXIT_FAIL;
	}
	if ((rc = echo_client_connect(d, c)) < 0) {
		client_error(d, rc, NULL);
		return cmd_exit_for(rc);
	}
	return 0;
}

/* ------------------------------------------- shared with echo-server.c */

void
echo_log_data(struct acore_dispatcher *d, const char *what, const void *data,
    size_t len)
{
	char prefix[64];

	if (!cmd_is_verbose())
		return;		/* the docs handler calls this per read */
	snprintf(prefix, sizeof(prefix), "%s -> (%zu) \"", what, len);
	cmd_log_data(acore_name(d), prefix, data, len, "\"");
}

void
echo_str_addr(const struct sockaddr *sa, socklen_t len, char *buf,
    size_t size)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)sa;
	size_t n;

	if (sa->sa_family != AF_UNIX) {
		acore_format_addr(sa, len, buf, size);
		return;
	}
	n = len > offsetof(struct sockaddr_un, sun_path) ?
	    strnlen(sun->sun_path, len - offsetof(struct sockaddr_un,
	    sun_path)) : 0;
	snprintf(buf, size, "%.*s", (int)n, sun->sun_path);
}

int
echo_unix_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	memcpy(sun->sun_path, path, strlen(path));
	return 0;
}

char *
echo_read_message(const char *cmd, const char *path, size_t *lenp)
{
	size_t len = 0, cap = 65536;
	char *buf, *p;
	ssize_t n;
	int fd;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		err(AC_EXIT_FAIL, "%s: %s", cmd, path);
	if ((buf = malloc(cap)) == NULL)
		err(AC_EXIT_FAIL, "%s", cmd);
	for (;;) {
		if (len == cap) {
			if ((p = realloc(buf, cap *= 2)) == NULL)
				err(AC_EXIT_FAIL, "%s", cmd);
			buf = p;
		}
		if ((n = read(fd, buf + len, cap - len)) == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err(AC_EXIT_FAIL, "%s: %s", cmd, path);
		}
		len += (size_t)n;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	*lenp = len;
	return buf;
}

static int status = AC_EXIT_FAIL;

static void
done(int st)
{
	status = st;
}

static const struct option longopts[] = {
	{ "file",		required_argument, NULL, 'f' },
	{ "idle-timeout",	required_argument, NULL, 'i' },
	{ "message",		required_argument, NULL, 'm' },
	{ "output",		required_argument, NULL, 'o' },
	{ "unix",		required_argument, NULL, 'U' },
	{ "verbose",		no_argument,	   NULL, 'v' },
	{ "wait",		required_argument, NULL, 'w' },
	{ "chat",		no_argument,	   NULL, OPT_CHAT },
	{ "chunk-size",		required_argument, NULL, OPT_CHUNK_SIZE },
	{ NULL,			0,		   NULL, 0 }
};

static void
usage(void)
{
	cmd_usage(self(), 1);
	exit(AC_EXIT_USAGE);
}

static int
cmd_main(int argc, char **argv)
{
	struct echo_client_conf c;
	struct acore_loop *loop;
	const char *file = NULL, *text = NULL, *out = NULL;
	int ch, rc, chunk_set = 0;

	memset(&c, 0, sizeof(c));
	c.family = AF_UNSPEC;
	c.chunk = DEFAULT_CHUNK;
	c.out_fd = -1;
	c.done = done;
	while ((ch = getopt_long(argc, argv, ":46f:i:m:o:U:vw:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case '4':
		case '6':
			if (c.family != AF_UNSPEC)
				usage();
			c.family = ch == '4' ? AF_INET : AF_INET6;
			break;
		case 'f':
			file = optarg;
			break;
		case 'i':
			c.idle = cmd_seconds("idle timeout", optarg, 1e6);
			break;
		case 'm':
			text = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'U':
			c.unix_path = optarg;
			break;
		case 'v':
			cmd_verbose(1);
			break;
		case 'w':
			c.connect_timeout = cmd_seconds("connect timeout",
			    optarg, 1e6);
			break;
		case OPT_CHAT:
			c.chat = 1;
			break;
		case OPT_CHUNK_SIZE:
			c.chunk = cmd_size("chunk size", optarg, 1, 16 << 20);
			chunk_set = 1;
			break;
		default:
			exit(cmd_bad_option(self(), ch, argv));
		}
	}
	argc -= optind;
	argv += optind;
	if ((file != NULL && text != NULL) ||
	    argc != (c.unix_path != NULL ? 0 : 2) ||
	    (c.unix_path != NULL && c.family != AF_UNSPEC))
		usage();
	/* 512-byte sends are the asyncore client's; the chat one needs none. */
	if (c.chat && !chunk_set)
		c.chunk = CHAT_CHUNK;
	if (c.unix_path == NULL) {
		c.host = argv[0];
		c.port = argv[1];
		cmd_port(c.port, 0);
	}
	if (text != NULL) {
		c.len = strlen(text);
		c.msg = text;
	} else
		c.msg = echo_read_message("echo-client",
		    file != NULL ? file : "-", &c.len);
	if (out != NULL && strcmp(out, "-") == 0) {
		c.out_fd = STDOUT_FILENO;
		c.out_name = "stdout";
	} else if (out != NULL) {
		c.out_fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0666);
		if (c.out_fd < 0)
			err(AC_EXIT_WRITE, "echo-client: %s", out);
		c.out_name = out;
	}

	if ((loop = acore_loop_new()) == NULL)
		err(AC_EXIT_FAIL, "echo-client: acore_loop_new");
	if ((rc = echo_client_start(loop, &c)) == 0)
		acore_loop_run(loop, -1, 0);
	else
		status = rc;
	acore_loop_free(loop);
	if (text == NULL)
		free((char *)c.msg);
	if (c.out_fd >= 0 && c.out_fd != STDOUT_FILENO && close(c.out_fd) < 0 &&
	    status == AC_EXIT_OK) {
		warn("echo-client: %s", out);
		status = AC_EXIT_WRITE;
	}
	return status;
}

const struct acore_cmd acore_cmd_echo_client = {
	.name = "echo-client",
	.usage = "[-46v] [-f file | -m text] [-i secs] [-o file] [-w secs] "
	    "[--chat] [--chunk-size n] [-U path | host port]",
	.summary = "asyncore echo client: send, verify the echo (PyMOTW)",
	.main = cmd_main,
};

static const struct acore_cmd *
self(void)
{
	return &acore_cmd_echo_client;
}
