/*
 * echo-server.c: acore echo-server, the asyncore EchoServer.
 *
 * By default it is the library-docs server (example 6): localhost:8080,
 * SO_REUSEADDR, any number of clients at once, one line
 * "Incoming connection from ADDR" on stdout per client.  --once makes it
 * the PyMOTW server (example 4): one client, then the listener closes;
 * --with-client runs the PyMOTW EchoClient in the same loop, which is the
 * whole article example in one process.  The PyMOTW servers (--once,
 * --chat) print nothing on stdout, as their programs do.  SIGINT or
 * SIGTERM stops accepting, lets every client have the echo of what it
 * sent, and exits.  This file holds the options and the set-up; the
 * server dispatcher is in echo-accept.c, the handlers in
 * echo-stream-server.c, echo-chat.c and echo-udp.c, the port and pid
 * files and --background in echo-daemon.c.
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
#define DEFAULT_MAX_MESSAGE (16 << 20)	/* --chat: longest ECHO accepted */
#define BACKLOG_MAX	65535	/* listen(2) cuts it to the system's limit */

enum {
	OPT_BACKGROUND = 256,
	OPT_BACKLOG,
	OPT_CERT,
	OPT_CHAT,
	OPT_CHUNK_SIZE,
	OPT_HANDSHAKE_TIMEOUT,
	OPT_MAX_CONNS,
	OPT_MAX_MESSAGE,
	OPT_KEY,
	OPT_ONCE,
	OPT_PID_FILE,
	OPT_PORT_FILE,
	OPT_TLS,
	OPT_WITH_CLIENT,
	OPT_WORKERS
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
	const char	*pid_file;
	int		 background;
	const char	*with_client;
	int		 udp;
	int		 workers;
	int		 tls;
	int		 handshake_set;	/* --handshake-timeout given */
	const char	*cert;
	const char	*key;
	const struct echo_fds *inherit;	/* --workers: the master's sockets */
};

static const struct acore_cmd *self(void);

/*
 * A --workers worker: the master's listening sockets become our listeners
 * (listen(2) again on each marks its channel as accepting).
 */
static int
adopt(const struct echo_fds *f, int udp, int backlog)
{
	struct acore_dispatcher *d;
	size_t i;
	int rc;

	for (i = 0; i < f->n; i++) {
		if (udp) {
			if ((rc = echo_udp_listen(echo_srv.conf.loop, NULL,
			    NULL, AF_UNSPEC, f->fd[i])) < 0)
				return rc;
			continue;
		}
		if ((d = acore_dispatcher_new(echo_srv.conf.loop,
		    &echo_server_ops, NULL)) == NULL)
			return -errno;
		if ((rc = acore_set_socket(d, f->fd[i])) < 0 ||
		    (rc = acore_listen(d, backlog)) < 0) {
			acore_close(d);
			return rc;
		}
		echo_srv.listeners[echo_srv.nlisteners++] = d;
	}
	return 0;
}

/*
 * TCP or UDP, the same listener log lines and the same failures.  Every
 * address of the name but for the article's servers (--once,
 * --with-client), which bind one as their Python does.
 */
static void
listen_inet(const struct options *o)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char addr[160];
	size_t i;
	int rc;

	if (o->inherit != NULL)
		rc = adopt(o->inherit, o->udp, o->backlog);
	else if (o->udp)
		rc = echo_udp_listen(echo_srv.conf.loop, o->bind, o->port,
		    o->family, -1);
	else
		rc = echo_listen_tcp(o->bind, o->port, o->family, o->backlog,
		    o->once || o->with_client != NULL);
	if (ACORE_IS_EAI(rc))
		errx(AC_EXIT_DNS, "echo-server: cannot resolve %s: %s",
		    o->bind, acore_strerror(rc));
	if (rc < 0)
		errx(AC_EXIT_LISTEN, "echo-server: cannot listen on %s port "
		    "%s: %s", o->bind, o->port, acore_strerror(rc));
	for (i = 0; i < echo_srv.nlisteners; i++) {
		len = sizeof(ss);
		if (getsockname(acore_fd(echo_srv.listeners[i]),
		    (struct sockaddr *)&ss, &len) < 0)
			continue;
		echo_str_addr((struct sockaddr *)&ss, len, addr, sizeof(addr));
		echo_server_debug(echo_srv.listeners[i], "binding to %s", addr);
	}
}

/* The Unix path, as the EchoServer constructors bind one. */
static void
listen_unix(const struct options *o)
{
	struct acore_dispatcher *d;
	int rc;

	if ((d = acore_dispatcher_new(echo_srv.conf.loop, &echo_server_ops,
	    NULL)) == NULL)
		err(AC_EXIT_FAIL, "echo-server");
	if ((rc = acore_listen_host(d, o->unix_path, NULL, AF_UNIX,
	    o->backlog)) < 0)
		errx(AC_EXIT_LISTEN, "echo-server: cannot listen on %s: %s",
		    o->unix_path, acore_strerror(rc));
	echo_srv.listeners[echo_srv.nlisteners++] = d;
	echo_srv.unix_path = o->unix_path;
}

#define OPTSTRING	":46b:i:klp:s:uU:v"
static const struct option longopts[] = {
	{ "bind",		required_argument, NULL, 'b' },
	{ "idle-timeout",	required_argument, NULL, 'i' },
	{ "port",		required_argument, NULL, 'p' },
	{ "udp",		no_argument,	   NULL, 'u' },
	{ "unix",		required_argument, NULL, 'U' },
	{ "verbose",		no_argument,	   NULL, 'v' },
	{ "background",		no_argument,	   NULL, OPT_BACKGROUND },
	{ "backlog",		required_argument, NULL, OPT_BACKLOG },
	{ "cert",		required_argument, NULL, OPT_CERT },
	{ "chat",		no_argument,	   NULL, OPT_CHAT },
	{ "chunk-size",		required_argument, NULL, OPT_CHUNK_SIZE },
	{ "handshake-timeout",	required_argument, NULL, OPT_HANDSHAKE_TIMEOUT },
	{ "max-conns",		required_argument, NULL, OPT_MAX_CONNS },
	{ "max-message",	required_argument, NULL, OPT_MAX_MESSAGE },
	{ "key",		required_argument, NULL, OPT_KEY },
	{ "once",		no_argument,	   NULL, OPT_ONCE },
	{ "pid-file",		required_argument, NULL, OPT_PID_FILE },
	{ "port-file",		required_argument, NULL, OPT_PORT_FILE },
	{ "tls",		no_argument,	   NULL, OPT_TLS },
	{ "with-client",	required_argument, NULL, OPT_WITH_CLIENT },
	{ "workers",		required_argument, NULL, OPT_WORKERS },
	{ NULL,			0,		   NULL, 0 }
};

/* A port number or service name, as a numeric string. */
static const char *
port_arg(const char *s, int udp)
{
	static char buf[8];

	snprintf(buf, sizeof(buf), "%d", cmd_service(s, udp ? "udp" : "tcp",
	    1));
	return buf;
}

/* nc -l's operands: [address] port, or address:port, [v6]:port. */
static void
operands(struct options *o, int argc, char **argv, int port_set)
{
	static char host[256];
	const char *port;

	if (argc > 2)
		cmd_usage_error(self(), "too many arguments: '%s'", argv[2]);
	if (argc == 2) {
		o->bind = argv[0];
		port = argv[1];
	} else if (cmd_split_host_port(argv[0], host, sizeof(host), &port))
		o->bind = host;
	else
		port = argv[0];
	if (port_set)
		cmd_usage_error(self(), "port given twice: -p and '%s'", port);
	o->port = port_arg(port, o->udp);
}

static void
parse_options(int argc, char **argv, struct options *o)
{
	int ch, tcp_opt = 0, port_set = 0;

	memset(o, 0, sizeof(*o));
	o->family = AF_UNSPEC;
	o->bind = "localhost";
	o->port = "8080";
	o->backlog = -1;
	echo_srv.conf.chunk = DEFAULT_CHUNK;
	echo_srv.conf.handshake = ECHO_HANDSHAKE_SECS;
	echo_srv.conf.max_message = DEFAULT_MAX_MESSAGE;
	while ((ch = getopt_long(argc, argv, OPTSTRING, longopts, NULL)) != -1) {
		switch (ch) {
		case '4':
		case '6':
			if (o->family != AF_UNSPEC && o->family != (ch == '4' ?
			    AF_INET : AF_INET6))
				cmd_usage_error(self(),
				    "-4 and -6 cannot be used together");
			o->family = ch == '4' ? AF_INET : AF_INET6;
			tcp_opt = 1;
			break;
		case 'b':
		case 's':	/* nc -l -s ADDR */
			o->bind = optarg;
			tcp_opt = 1;
			break;
		case 'i':
			echo_srv.conf.idle = cmd_seconds("idle timeout",
			    optarg, 1e6);
			break;
		case 'k':
		case 'l':
			break;	/* nc -lk: it always listens, and keeps on */
		case 'p':
			o->port = optarg;
			port_set = tcp_opt = 1;
			break;
		case 'u':
			o->udp = 1;
			break;
		case 'U':
			o->unix_path = optarg;
			break;
		case 'v':
			cmd_verbose(1);
			break;
		case OPT_BACKGROUND:
			o->background = 1;
			break;
		case OPT_BACKLOG:
			o->backlog = (int)cmd_number("backlog", optarg, 1,
			    BACKLOG_MAX);
			break;
		case OPT_CERT:
			o->cert = optarg;
			break;
		case OPT_CHAT:
			o->chat = 1;
			break;
		case OPT_KEY:
			o->key = optarg;
			break;
		case OPT_HANDSHAKE_TIMEOUT:
			echo_srv.conf.handshake = cmd_seconds(
			    "handshake timeout", optarg, 1e6);
			o->handshake_set = 1;
			break;
		case OPT_TLS:
			o->tls = 1;
			break;
		case OPT_MAX_MESSAGE:
			echo_srv.conf.max_message = cmd_size("max message",
			    optarg, 0, (size_t)4 << 30);
			o->max_message_set = 1;
			break;
		case OPT_CHUNK_SIZE:
			echo_srv.conf.chunk = cmd_size("chunk size", optarg, 1,
			    16 << 20);
			echo_srv.conf.chunk_set = 1;
			break;
		case OPT_MAX_CONNS:
			o->max_conns = (size_t)cmd_number("max conns", optarg,
			    1, 10000000);
			break;
		case OPT_ONCE:
			o->once = 1;
			break;
		case OPT_PID_FILE:
			o->pid_file = optarg;
			break;
		case OPT_PORT_FILE:
			o->port_file = optarg;
			break;
		case OPT_WITH_CLIENT:
			o->with_client = optarg;
			break;
		case OPT_WORKERS:
			o->workers = (int)cmd_number("workers", optarg, 1, 256);
			break;
		default:
			exit(cmd_bad_option(self(), ch, argv));
		}
	}
	argc -= optind;
	argv += optind;
	if (port_set)
		o->port = port_arg(o->port, o->udp);
	if (argc > 0) {
		operands(o, argc, argv, port_set);
		tcp_opt = 1;
	}
	if (o->udp && (o->chat || o->once || o->unix_path != NULL ||
	    o->with_client != NULL || o->max_conns > 0 ||
	    echo_srv.conf.idle > 0 || o->backlog >= 0))
		cmd_usage_error(self(), "-u cannot be used with --chat, --once, "
		    "-U, --with-client, --max-conns, -i or --backlog");
	if (o->workers > 1 && (o->once || o->with_client != NULL ||
	    o->unix_path != NULL))
		cmd_usage_error(self(), "--workers cannot be used with --once, "
		    "--with-client or -U");
	if (o->tls && o->cert == NULL)
		cmd_usage_error(self(), "--tls needs --cert");
	if (!o->tls && (o->cert != NULL || o->key != NULL ||
	    o->handshake_set))
		cmd_usage_error(self(), "--cert, --key and --handshake-timeout "
		    "need --tls");
	if (o->tls && o->udp)
		cmd_usage_error(self(), "-u cannot be used with --tls");
	if (o->tls && o->with_client != NULL)
		cmd_usage_error(self(), "--with-client cannot be used with "
		    "--tls");
	if (o->max_message_set && !o->chat)
		cmd_usage_error(self(), "--max-message needs --chat");
	if (o->unix_path != NULL && (tcp_opt || o->port_file != NULL))
		cmd_usage_error(self(), "-U cannot be used with -4, -6, -b, -p "
		    "or --port-file");
	/*
	 * listen(1) is the PyMOTW server's.  Not the docs server's listen(5):
	 * no transcript shows it, and a server that does not accept for a few
	 * seconds (a loaded machine) then has its kernel drop the handshakes
	 * that found the queue full and reset those clients' first data.
	 */
	if (o->backlog < 0)
		o->backlog = o->once ? 1 : BACKLOG_MAX;
}

/* The port the listener got (-p 0: the kernel's pick). */
static int
listen_port(void)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));	/* scan-build: getsockname fills ss */
	if (getsockname(acore_fd(echo_srv.listeners[0]), (struct sockaddr *)&ss,
	    &len) < 0)
		err(AC_EXIT_FAIL, "echo-server: getsockname");
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/*
 * Listen and serve until stopped; the exit status.  A --workers worker
 * (ready_fd >= 0) serves the master's sockets fds, tells the master
 * through ready_fd that it does and leaves the files and SIGINT to the
 * master.
 */
static int
serve(const struct echo_fds *fds, int ready_fd, void *arg)
{
	struct options *o = arg;
	struct echo_client_conf cc;
	struct acore_signal *sigint = NULL, *sigterm;

	o->inherit = fds;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((echo_srv.conf.loop = acore_loop_new()) == NULL)
		err(AC_EXIT_FAIL, "echo-server: acore_loop_new");
	echo_srv.conf.gone = echo_handler_gone;
	if (o->tls)
		echo_srv.conf.tls = cmd_tls_server("echo-server", o->cert,
		    o->key);
	if (o->chat)
		echo_srv.kind = &echo_handler_chat;
	else
		echo_srv.kind = o->once ? &echo_handler_pymotw :
		    &echo_handler_docs;
	echo_srv.quiet = o->chat;
	echo_srv.once = o->once;
	echo_srv.max_conns = o->max_conns;
	echo_srv.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (o->unix_path != NULL)
		listen_unix(o);
	else
		listen_inet(o);
	/* Stoppable by signal before anyone can read our pid or port. */
	if (ready_fd < 0 && (sigint = acore_signal_new(echo_srv.conf.loop,
	    SIGINT, echo_server_signal, NULL)) == NULL)
		err(AC_EXIT_FAIL, "echo-server: signals");
	if ((sigterm = acore_signal_new(echo_srv.conf.loop, SIGTERM,
	    echo_server_signal, NULL)) == NULL)
		err(AC_EXIT_FAIL, "echo-server: signals");
	if (ready_fd >= 0) {
		dprintf(ready_fd, "%d", listen_port());
		close(ready_fd);
		echo_worker_ready();
	} else {
		/* The pid file first: it says whether we may run at all. */
		if (o->pid_file != NULL)
			echo_write_pid_file(o->pid_file);
		if (o->port_file != NULL)
			echo_write_file(o->port_file, "%d\n", listen_port());
		echo_ready();
	}
	if (o->with_client != NULL)
		echo_server_start_client(o->with_client, &cc);

	acore_loop_run(echo_srv.conf.loop, -1, 0);

	echo_server_close_listeners();
	if (sigint != NULL)
		acore_signal_free(sigint);
	acore_signal_free(sigterm);
	if (echo_srv.grace != NULL)
		acore_timer_free(echo_srv.grace);
	acore_loop_free(echo_srv.conf.loop);
	acore_tls_free(echo_srv.conf.tls);
	if (o->with_client != NULL)
		free((char *)cc.msg);
	free(echo_srv.conns);
	free(echo_srv.since);
	if (echo_srv.spare_fd >= 0)
		close(echo_srv.spare_fd);
	echo_remove_files();
	return echo_srv.status;
}

/*
 * --workers: the master listens, once, as a single server does, and the
 * workers inherit the sockets (one per address), whose port goes to port.
 *
 * Not SO_REUSEPORT, a socket per worker on one port: any later process of
 * the same user may join such a group, so a second server on our port
 * would start without a word and take a share of our clients, and a
 * worker that dies would take the connections queued on its own socket
 * down with it.  Here a port in use is exit 12 with a single server's
 * message, a worker's death loses nothing queued, and the workers take
 * the clients in turn, as each is free to accept.
 */
static void
listen_for_workers(struct options *o, struct echo_fds *fds, char *port,
    size_t size)
{
	size_t i;

	if ((echo_srv.conf.loop = acore_loop_new()) == NULL)
		err(AC_EXIT_FAIL, "echo-server: acore_loop_new");
	listen_inet(o);
	snprintf(port, size, "%d", listen_port());
	fds->n = 0;
	for (i = 0; i < echo_srv.nlisteners; i++) {
		if ((fds->fd[fds->n] = fcntl(acore_fd(echo_srv.listeners[i]),
		    F_DUPFD_CLOEXEC, 3)) < 0)
			err(AC_EXIT_FAIL, "echo-server: dup");
		fds->n++;
		acore_close(echo_srv.listeners[i]);
		echo_srv.listeners[i] = NULL;
	}
	echo_srv.nlisteners = 0;
	acore_loop_free(echo_srv.conf.loop);
	echo_srv.conf.loop = NULL;
}

static int
cmd_main(int argc, char **argv)
{
	struct options o;
	struct echo_fds fds;
	char port[8];

	parse_options(argc, argv, &o);
	if (o.background)
		echo_background();
	if (o.workers > 1) {
		listen_for_workers(&o, &fds, port, sizeof(port));
		return echo_workers(o.workers, &fds, port, serve, &o,
		    o.port_file, o.pid_file, o.max_conns);
	}
	return serve(NULL, -1, &o);
}

const struct acore_cmd acore_cmd_echo_server = {
	.name = "echo-server",
	.usage = "[-46kluv] [-b address] [-i secs] [-p port] [-s address] "
	    "[-U path] "
	    "[--backlog n] [--chat] [--chunk-size n] [--max-conns n] "
	    "[--max-message n] [--once] [--background] [--pid-file file] "
	    "[--port-file file] [--tls --cert file [--key file] "
	    "[--handshake-timeout secs]] "
	    "[--with-client file] [--workers n] [[address] port]",
	.summary = "asyncore echo server (library docs, PyMOTW example)",
	.options =
	    "  -4, -6               IPv4 or IPv6 addresses only\n"
	    "  -b, --bind ADDR      listen on each address of ADDR "
	    "(default localhost)\n"
	    "  -i, --idle-timeout SECS  close a client silent for SECS\n"
	    "  -k, -l               accepted for nc -lk: it always listens "
	    "and keeps on\n"
	    "  -p, --port PORT      listen on PORT, a number or service "
	    "(default 8080; 0: any)\n"
	    "  -s ADDR              as -b, for nc -l -s habits\n"
	    "  -u, --udp            UDP: each datagram back to its sender\n"
	    "  -U, --unix PATH      listen on the Unix socket PATH\n"
	    "  -v, --verbose        log every event as the asyncore "
	    "articles\n"
	    "  -V, --version        print the version\n"
	    "      --background     return once accepting; run on in the "
	    "background\n"
	    "      --backlog N      listen queue length (default: system "
	    "max; --once: 1)\n"
	    "      --cert FILE      --tls: certificate chain (PEM)\n"
	    "      --chat           the asynchat protocol: ECHO <length>, "
	    "then the bytes\n"
	    "      --chunk-size N   bytes per read (default 64k)\n"
	    "      --handshake-timeout SECS  --tls: close a client whose "
	    "handshake is not\n"
	    "                       done in SECS (default 60)\n"
	    "      --key FILE       --tls: private key (PEM; default: "
	    "in --cert)\n"
	    "      --max-conns N    serve at most N clients at a time\n"
	    "      --max-message N  --chat: the longest message accepted\n"
	    "      --once           the PyMOTW server: one client, then "
	    "exit\n"
	    "      --pid-file FILE  write the pid to FILE once listening\n"
	    "      --port-file FILE write the port to FILE once listening\n"
	    "      --tls            speak TLS to every client\n"
	    "      --with-client FILE  also run the PyMOTW client, sending "
	    "FILE\n"
	    "      --workers N      N processes share the port, a loop "
	    "each\n"
	    "  [address] port, address:port   as -b and -p, the nc -l way\n",
	.optstring = OPTSTRING,
	.longopts = longopts,
	.main = cmd_main,
};

static const struct acore_cmd *
self(void)
{
	return &acore_cmd_echo_server;
}
