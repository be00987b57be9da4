/*
 * echo-server.c: acore echo-server, the asyncore EchoServer.
 *
 * By default it is the library-docs server (example 6): localhost:8080,
 * SO_REUSEADDR, backlog 5, any number of clients at once, one line
 * "Incoming connection from ADDR" on stdout per client.  --once makes it
 * the PyMOTW server (example 4): one client, then the listener closes;
 * --with-client runs the PyMOTW EchoClient in the same loop, which is the
 * whole article example in one process.  The PyMOTW servers (--once,
 * --chat) print nothing on stdout, as their programs do.  SIGINT or SIGTERM stops
 * accepting, lets every client have the echo of what it sent, and exits.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acore.h"
#include "cmd.h"
#include "echo.h"

#define DEFAULT_CHUNK	65536	/* the docs read 8192; bigger is faster */
#define ACCEPTS_PER_EVENT 64	/* asyncore takes one; a burst wants more */
#define GRACE_SECS	5	/* for clients to take their echo at exit */
#define DEFAULT_MAX_MESSAGE (16 << 20)	/* --chat: longest ECHO accepted */

enum {
	OPT_BACKLOG = 256,
	OPT_CHAT,
	OPT_CHUNK_SIZE,
	OPT_MAX_CONNS,
	OPT_MAX_MESSAGE,
	OPT_ONCE,
	OPT_PORT_FILE,
	OPT_WITH_CLIENT
};

struct options {
	int		 family;
	const char	*bind;
	const char	*port;
	const char	*unix_path;
	int		 backlog;
	size_t		 max_conns;
	int		 once;
	int		 chat;
	int		 max_message_set;
	const char	*port_file;
	const char	*with_client;
};

static struct server {
	struct echo_conf conf;
	const struct echo_handler_kind *kind;
	struct acore_dispatcher *listener;
	struct acore_dispatcher **conns;	/* by descriptor */
	size_t		 nslots;
	size_t		 nconns;
	size_t		 max_conns;
	int		 once;
	int		 quiet;		/* --chat: the article's server logs nothing */
	int		 stopping;
	int		 status;
	int		 spare_fd;	/* given up to refuse a client at EMFILE */
	const char	*unix_path;	/* unlinked when the listener closes */
	struct acore_timer *grace;
} srv;

static const struct acore_cmd *self(void);

static void
usage(void)
{
	cmd_usage(self(), 1);
	exit(AC_EXIT_USAGE);
}

static void
server_debug(struct acore_dispatcher *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
server_debug(struct acore_dispatcher *d, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (srv.quiet || !cmd_is_verbose())
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	acore_debug(d, "%s", buf);
}

static void
server_close(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	server_debug(d, "handle_close()");
	acore_close(d);
	if (d == srv.listener) {
		srv.listener = NULL;
		if (srv.unix_path != NULL)
			unlink(srv.unix_path);
	}
}

static void
server_error(struct acore_dispatcher *d, int err, void *arg)
{
	acore_log(ACORE_LOG_WARN, acore_name(d), "error: %s",
	    acore_strerror(err));
	server_close(d, arg);
}

static void
handler_gone(struct acore_dispatcher *d)
{
	int fd = acore_fd(d);

	if (fd >= 0 && (size_t)fd < srv.nslots && srv.conns[fd] == d) {
		srv.conns[fd] = NULL;
		srv.nconns--;
	}
}

static void
add_handler(int fd)
{
	struct acore_dispatcher *d, **p;
	size_t n;

	if ((size_t)fd >= srv.nslots) {
		n = srv.nslots ? srv.nslots : 1024;
		while (n <= (size_t)fd)
			n *= 2;
		if ((p = realloc(srv.conns, n * sizeof(*p))) == NULL) {
			warnx("echo-server: out of memory: refusing a client");
			close(fd);
			return;
		}
		memset(p + srv.nslots, 0, (n - srv.nslots) * sizeof(*p));
		srv.conns = p;
		srv.nslots = n;
	}
	if ((d = srv.kind->start(&srv.conf, fd)) == NULL)
		return;
	srv.conns[fd] = d;
	srv.nconns++;
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
	if (srv.spare_fd < 0)
		return;
	close(srv.spare_fd);
	if ((fd = acore_accept(d, &ss, &len)) >= 0)
		close(fd);
	srv.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
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
			if (fd == -EMFILE || fd == -ENFILE)
				refuse_at_fd_limit(d);
			else if (fd != -EAGAIN)
				acore_log(ACORE_LOG_WARN, acore_name(d),
				    "accept: %s", acore_strerror(fd));
			return;
		}
		echo_str_addr((struct sockaddr *)&ss, len, addr,
		    sizeof(addr));
		server_debug(d, "handle_accept() -> %s", addr);
		if (srv.max_conns > 0 && srv.nconns >= srv.max_conns) {
			server_debug(d, "refusing %s: %zu clients already",
			    addr, srv.nconns);
			close(fd);
			continue;
		}
		/*
		 * Only the docs' server prints; the PyMOTW programs (--once,
		 * --chat) keep stdout empty.  repr(addr): a Unix client's
		 * address is '' in quotes.
		 */
		if (srv.kind == &echo_handler_docs) {
			if (ss.ss_family == AF_UNIX)
				acore_format_addr((struct sockaddr *)&ss, len,
				    addr, sizeof(addr));
			printf("Incoming connection from %s\n", addr);
		}
		add_handler(fd);
		if (srv.once) {
			server_close(d, arg);
			return;
		}
	}
}

static const struct acore_ops server_ops = {
	.name = "EchoServer",
	.handle_accept = server_accept,
	.handle_close = server_close,
	.handle_error = server_error,
};

/*
 * Listen on host and port, or on the Unix path host (family AF_UNIX), as
 * the EchoServer constructors do; 0 or a negative errno.
 */
static int
try_listen(const char *host, const char *port, int family, int backlog)
{
	struct acore_dispatcher *d;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char addr[160];
	int rc;

	if ((d = acore_dispatcher_new(srv.conf.loop, &server_ops, NULL)) ==
	    NULL)
		return -errno;
	if ((rc = acore_listen_host(d, host, port, family, backlog)) < 0) {
		acore_close(d);
		return rc;
	}
	if (getsockname(acore_fd(d), (struct sockaddr *)&ss, &len) == 0) {
		echo_str_addr((struct sockaddr *)&ss, len, addr,
		    sizeof(addr));
		server_debug(d, "binding to %s", addr);
	}
	srv.listener = d;
	return 0;
}

static void
listen_tcp(const struct options *o)
{
	int rc;

	if ((rc = try_listen(o->bind, o->port, o->family, o->backlog)) == 0)
		return;
	if (ACORE_IS_EAI(rc))
		errx(AC_EXIT_DNS, "echo-server: cannot resolve %s: %s",
		    o->bind, acore_strerror(rc));
	errx(AC_EXIT_LISTEN, "echo-server: cannot listen on %s port %s: %s",
	    o->bind, o->port, acore_strerror(rc));
}

static void
listen_unix(const struct options *o)
{
	int rc;

	if ((rc = try_listen(o->unix_path, NULL, AF_UNIX, o->backlog)) < 0)
		errx(AC_EXIT_LISTEN, "echo-server: cannot listen on %s: %s",
		    o->unix_path, acore_strerror(rc));
	srv.unix_path = o->unix_path;
}

static int
bound_port(void)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(acore_fd(srv.listener), (struct sockaddr *)&ss,
	    &len) < 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* One write(2) of "PORT\n": a reader that sees the newline has it all. */
static void
write_port_file(const char *path)
{
	char buf[16];
	int fd, n, rc;

	n = snprintf(buf, sizeof(buf), "%d\n", bound_port());
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0)
		err(AC_EXIT_WRITE, "echo-server: %s", path);
	rc = cmd_write_all(fd, buf, (size_t)n);
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc < 0)
		errx(AC_EXIT_WRITE, "echo-server: %s: %s", path,
		    strerror(-rc));
}

static void
grace_over(void *arg)
{
	(void)arg;
	warnx("echo-server: closing %zu client%s that did not take the echo "
	    "in %d s", srv.nconns, srv.nconns == 1 ? "" : "s", GRACE_SECS);
	srv.status = AC_EXIT_FAIL;
	acore_close_all(srv.conf.loop);
}

/* Stop accepting; each client gets its pending echo, then is closed. */
static void
server_stop(void)
{
	size_t fd;

	if (srv.stopping)
		return;
	srv.stopping = 1;
	if (srv.listener != NULL)
		server_close(srv.listener, NULL);
	for (fd = 0; fd < srv.nslots; fd++)
		if (srv.conns[fd] != NULL)
			srv.kind->finish(srv.conns[fd]);
	if (srv.nconns > 0 &&
	    (srv.grace = acore_timer_new(srv.conf.loop, grace_over,
	    NULL)) != NULL)
		acore_timer_start(srv.grace, GRACE_SECS);
}

static void
on_signal(int signo, void *arg)
{
	(void)arg;
	if (srv.stopping) {	/* a second signal: do not wait */
		srv.status = AC_EXIT_FAIL;
		acore_close_all(srv.conf.loop);
		return;
	}
	acore_log(ACORE_LOG_DEBUG, "EchoServer", "%s: stopping",
	    strsignal(signo));
	server_stop();
}

static void
client_done(int status)
{
	srv.status = status;
	server_stop();
}

/* --with-client: the PyMOTW EchoClient, connecting to our own address. */
static void
start_client(const char *path, struct echo_client_conf *cc)
{
	static char host[NI_MAXHOST], port[NI_MAXSERV];
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int rc;

	memset(cc, 0, sizeof(*cc));
	cc->msg = echo_read_message("echo-server", path, &cc->len);
	/* The asynchat client's buffers follow --chunk-size, as the handler's. */
	cc->chunk = srv.quiet ? srv.conf.chunk : 512;
	cc->chat = srv.quiet;
	cc->out_fd = -1;
	cc->in_fd = -1;
	cc->done = client_done;
	if (srv.unix_path != NULL)
		cc->unix_path = srv.unix_path;
	else {
		if (getsockname(acore_fd(srv.listener), (struct sockaddr *)&ss,
		    &len) < 0 || getnameinfo((struct sockaddr *)&ss, len,
		    host, sizeof(host), port, sizeof(port),
		    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
			err(AC_EXIT_FAIL, "echo-server: getsockname");
		cc->host = host;
		cc->port = port;
	}
	if ((rc = echo_client_start(srv.conf.loop, cc)) != 0)
		exit(rc);
}

static const struct option longopts[] = {
	{ "bind",		required_argument, NULL, 'b' },
	{ "idle-timeout",	required_argument, NULL, 'i' },
	{ "port",		required_argument, NULL, 'p' },
	{ "unix",		required_argument, NULL, 'U' },
	{ "verbose",		no_argument,	   NULL, 'v' },
	{ "backlog",		required_argument, NULL, OPT_BACKLOG },
	{ "chat",		no_argument,	   NULL, OPT_CHAT },
	{ "chunk-size",		required_argument, NULL, OPT_CHUNK_SIZE },
	{ "max-conns",		required_argument, NULL, OPT_MAX_CONNS },
	{ "max-message",	required_argument, NULL, OPT_MAX_MESSAGE },
	{ "once",		no_argument,	   NULL, OPT_ONCE },
	{ "port-file",		required_argument, NULL, OPT_PORT_FILE },
	{ "with-client",	required_argument, NULL, OPT_WITH_CLIENT },
	{ NULL,			0,		   NULL, 0 }
};

static void
parse_options(int argc, char **argv, struct options *o)
{
	int ch, tcp_opt = 0;

	memset(o, 0, sizeof(*o));
	o->family = AF_UNSPEC;
	o->bind = "localhost";
	o->port = "8080";
	o->backlog = -1;
	srv.conf.chunk = DEFAULT_CHUNK;
	srv.conf.max_message = DEFAULT_MAX_MESSAGE;
	while ((ch = getopt_long(argc, argv, ":46b:i:p:U:v", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case '4':
		case '6':
			if (o->family != AF_UNSPEC)
				usage();
			o->family = ch == '4' ? AF_INET : AF_INET6;
			tcp_opt = 1;
			break;
		case 'b':
			o->bind = optarg;
			tcp_opt = 1;
			break;
		case 'i':
			srv.conf.idle = cmd_seconds("idle timeout", optarg,
			    1e6);
			break;
		case 'p':
			cmd_port(optarg, 1);
			o->port = optarg;
			tcp_opt = 1;
			break;
		case 'U':
			o->unix_path = optarg;
			break;
		case 'v':
			cmd_verbose(1);
			break;
		case OPT_BACKLOG:
			o->backlog = (int)cmd_number("backlog", optarg, 1,
			    65535);
			break;
		case OPT_CHAT:
			o->chat = 1;
			break;
		case OPT_MAX_MESSAGE:
			srv.conf.max_message = cmd_size("max message", optarg,
			    0, (size_t)4 << 30);
			o->max_message_set = 1;
			break;
		case OPT_CHUNK_SIZE:
			srv.conf.chunk = cmd_size("chunk size", optarg, 1,
			    16 << 20);
			break;
		case OPT_MAX_CONNS:
			o->max_conns = (size_t)cmd_number("max conns", optarg,
			    1, 10000000);
			break;
		case OPT_ONCE:
			o->once = 1;
			break;
		case OPT_PORT_FILE:
			o->port_file = optarg;
			break;
		case OPT_WITH_CLIENT:
			o->with_client = optarg;
			break;
		default:
			exit(cmd_bad_option(self(), ch, argv));
		}
	}
	if (optind != argc)
		usage();
	if (o->max_message_set && !o->chat) {
		warnx("echo-server: --max-message needs --chat");
		usage();
	}
	if (o->unix_path != NULL && (tcp_opt || o->port_file != NULL)) {
		warnx("echo-server: -U cannot be used with -4, -6, -b, -p "
		    "or --port-file");
		usage();
	}
	/* listen(1) is the PyMOTW server's; listen(5) the docs server's. */
	if (o->backlog < 0)
		o->backlog = o->once ? 1 : 5;
}

static int
cmd_main(int argc, char **argv)
{
	struct echo_client_conf cc;
	struct acore_signal *sigint, *sigterm;
	struct options o;

	parse_options(argc, argv, &o);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((srv.conf.loop = acore_loop_new()) == NULL)
		err(AC_EXIT_FAIL, "echo-server: acore_loop_new");
	srv.conf.gone = handler_gone;
	if (o.chat)
		srv.kind = &echo_handler_chat;
	else
		srv.kind = o.once ? &echo_handler_pymotw : &echo_handler_docs;
	srv.quiet = o.chat;
	srv.once = o.once;
	srv.max_conns = o.max_conns;
	srv.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (o.unix_path != NULL)
		listen_unix(&o);
	else
		listen_tcp(&o);
	if (o.port_file != NULL)
		write_port_file(o.port_file);
	sigint = acore_signal_new(srv.conf.loop, SIGINT, on_signal, NULL);
	sigterm = acore_signal_new(srv.conf.loop, SIGTERM, on_signal, NULL);
	if (sigint == NULL || sigterm == NULL)
		err(AC_EXIT_FAIL, "echo-server: signals");
	if (o.with_client != NULL)
		start_client(o.with_client, &cc);

	acore_loop_run(srv.conf.loop, -1, 0);

	if (srv.listener != NULL)
		server_close(srv.listener, NULL);
	acore_signal_free(sigint);
	acore_signal_free(sigterm);
	if (srv.grace != NULL)
		acore_timer_free(srv.grace);
	acore_loop_free(srv.conf.loop);
	if (o.with_client != NULL)
		free((char *)cc.msg);
	free(srv.conns);
	if (srv.spare_fd >= 0)
		close(srv.spare_fd);
	return srv.status;
}

const struct acore_cmd acore_cmd_echo_server = {
	.name = "echo-server",
	.usage = "[-46v] [-b address] [-i secs] [-p port] [-U path] "
	    "[--backlog n] [--chat] [--chunk-size n] [--max-conns n] "
	    "[--max-message n] [--once] "
	    "[--port-file file] [--with-client file]",
	.summary = "asyncore echo server (library docs, PyMOTW example)",
	.main = cmd_main,
};

static const struct acore_cmd *
self(void)
{
	return &acore_cmd_echo_server;
}
