/*
 * echo-client.c: acore echo-client: its options and main().  The client
 * channel is in echo-stream-client.c (TCP and Unix streams) and echo-chat.c
 * (--chat); connection set-up is shared with echo-server --with-client
 * through echo_client_start().
 */
#include "config.h"

#include <sys/un.h>

#include <err.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acore.h"
#include "cmd.h"
#include "echo.h"

#define DEFAULT_CHUNK	512	/* the PyMOTW client's */

#define CHAT_CHUNK	65536	/* --chat without --chunk-size */

enum {
	OPT_CACERT = 256,
	OPT_CHAT,
	OPT_CHECK_ONLY,
	OPT_CHUNK_SIZE,
	OPT_LATE_SHUTDOWN,
	OPT_PROXY,
	OPT_RETRIES,
	OPT_SERVERNAME,
	OPT_TLS
};

#define DEFAULT_RETRIES	3	/* -u: sends of a datagram after the first */

static const struct acore_cmd *self(void);

static int status = AC_EXIT_FAIL;

static void
done(int st)
{
	status = st;
}

#define OPTSTRING	":46Nf:i:km:o:P:q:s:uU:vw:X:x:"
static const struct option longopts[] = {
	{ "file",		required_argument, NULL, 'f' },
	{ "idle-timeout",	required_argument, NULL, 'i' },
	{ "insecure",		no_argument,	   NULL, 'k' },
	{ "message",		required_argument, NULL, 'm' },
	{ "output",		required_argument, NULL, 'o' },
	{ "quit",		required_argument, NULL, 'q' },
	{ "source",		required_argument, NULL, 's' },
	{ "udp",		no_argument,	   NULL, 'u' },
	{ "unix",		required_argument, NULL, 'U' },
	{ "verbose",		no_argument,	   NULL, 'v' },
	{ "wait",		required_argument, NULL, 'w' },
	{ "cacert",		required_argument, NULL, OPT_CACERT },
	{ "chat",		no_argument,	   NULL, OPT_CHAT },
	{ "check-only",		no_argument,	   NULL, OPT_CHECK_ONLY },
	{ "chunk-size",		required_argument, NULL, OPT_CHUNK_SIZE },
	{ "late-shutdown",	no_argument,	   NULL, OPT_LATE_SHUTDOWN },
	{ "proxy",		required_argument, NULL, OPT_PROXY },
	{ "retries",		required_argument, NULL, OPT_RETRIES },
	{ "servername",		required_argument, NULL, OPT_SERVERNAME },
	{ "tls",		no_argument,	   NULL, OPT_TLS },
	{ NULL,			0,		   NULL, 0 }
};

/* -U path: no host or port, no address family, no source address. */
static void
check_unix(struct echo_client_conf *c, int argc, const char *source)
{
	struct sockaddr_un sun;

	/* What no socket address can hold is a bad argument, not a failure. */
	if (echo_unix_addr(c->unix_path, &sun) < 0)
		cmd_usage_error(self(), "-U path is longer than a socket "
		    "address holds (%zu bytes): '%s'",
		    sizeof(sun.sun_path) - 1, c->unix_path);
	if (argc > 0)
		cmd_usage_error(self(), "-U takes no host or port");
	if (c->family != AF_UNSPEC || source != NULL)
		cmd_usage_error(self(), "-U cannot be used with -4, -6 or -s");
}

/* HOST PORT, HOST:PORT or [V6]:PORT; a service name for the port. */
static void
target(struct echo_client_conf *c, int argc, char **argv)
{
	static char host[256], port[8];
	const char *p;

	if (argc == 0)
		cmd_usage_error(self(), "missing host and port");
	if (argc > 2)
		cmd_usage_error(self(), "too many arguments: '%s'", argv[2]);
	if (argc == 2) {
		c->host = argv[0];
		p = argv[1];
	} else if (cmd_split_host_port(argv[0], host, sizeof(host), &p))
		c->host = host;
	else if (strpbrk(argv[0], ":[]") != NULL)
		cmd_usage_error(self(), "'%s' is not HOST:PORT or [V6]:PORT",
		    argv[0]);
	else
		cmd_usage_error(self(), "missing port");
	snprintf(port, sizeof(port), "%d", cmd_service(p, c->udp ? "udp" :
	    "tcp", 0));
	c->port = port;
}

/* nc's -X PROTO -x HOST:PORT [-P USER], or curl's --proxy URL. */
static void
proxy_options(struct echo_client_conf *c, struct cmd_proxy *p,
    const char *url, const char *proto, const char *addr, const char *user,
    const char **why)
{
	if (url == NULL && addr == NULL) {
		if (proto != NULL || user != NULL)
			cmd_usage_error(self(), "-X and -P need -x");
		return;
	}
	if (url != NULL && (addr != NULL || proto != NULL))
		cmd_usage_error(self(), "--proxy cannot be used with -X or -x");
	if (c->unix_path != NULL || c->udp)
		cmd_usage_error(self(), "a proxy cannot be used with -U or -u");
	if ((url != NULL ? cmd_proxy_url(url, "1080", p, why) :
	    cmd_proxy_nc(proto, addr, p, why)) < 0)
		cmd_usage_error(self(), "%s: '%s'", *why,
		    url != NULL ? url : proto != NULL && strcmp(*why,
		    "unknown proxy protocol (4, 5 or connect)") == 0 ? proto :
		    addr);
	if (user != NULL && cmd_proxy_user(p, user, why) < 0)
		cmd_usage_error(self(), "%s", *why);
	c->proxy = &p->px;
	/*
	 * squid, danted and microsocks end a tunnel at the first end of
	 * stream: the echo must be back before ours goes out.
	 */
	c->late_shutdown = 1;
	c->proxy_where = p->host;
	c->proxy_port = p->port;
}

/* The message source: -m text, or -f file / stdin streamed (or read). */
static void
open_input(struct echo_client_conf *c, const char *file, const char *text)
{
	if (text != NULL) {
		c->len = strlen(text);
		c->msg = text;
		return;
	}
	/* The asynchat client sends the length first: it needs it all. */
	if (c->chat) {
		c->msg = echo_read_message("echo-client",
		    file != NULL ? file : "-", &c->len);
		return;
	}
	if (file == NULL || strcmp(file, "-") == 0) {
		c->in_fd = STDIN_FILENO;
		c->in_name = "stdin";
	} else if ((c->in_fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
		err(AC_EXIT_FAIL, "echo-client: %s", file);
	else
		c->in_name = file;
}

static int
cmd_main(int argc, char **argv)
{
	struct echo_client_conf c;
	struct acore_loop *loop;
	const char *file = NULL, *text = NULL, *out = NULL, *source = NULL;
	const char *cacert = NULL, *proxy_url = NULL, *proxy_proto = NULL;
	const char *proxy_addr = NULL, *proxy_user = NULL, *why = NULL;
	struct cmd_proxy proxy;
	double wait = 0, idle = 0;
	int ch, rc, chunk_set = 0, retries_set = 0, tls = 0, insecure = 0;
	int check_only = 0;

	memset(&c, 0, sizeof(c));
	c.family = AF_UNSPEC;
	c.chunk = DEFAULT_CHUNK;
	c.out_fd = -1;
	c.in_fd = -1;
	c.done = done;
	c.retries = DEFAULT_RETRIES;
	while ((ch = getopt_long(argc, argv, OPTSTRING, longopts, NULL)) != -1) {
		switch (ch) {
		case '4':
		case '6':
			if (c.family != AF_UNSPEC && c.family != (ch == '4' ?
			    AF_INET : AF_INET6))
				cmd_usage_error(self(),
				    "-4 and -6 cannot be used together");
			c.family = ch == '4' ? AF_INET : AF_INET6;
			break;
		case 'f':
			file = optarg;
			break;
		case 'i':
			idle = cmd_seconds("idle timeout", optarg, 1e6);
			break;
		case 'k':
			insecure = 1;
			break;
		case 'm':
			text = optarg;
			break;
		case 'N':
			break;	/* nc -N: shutting down at end of input is the default */
		case 'o':
			out = optarg;
			break;
		case 'P':
			proxy_user = optarg;
			break;
		case 'X':
			proxy_proto = optarg;
			break;
		case 'x':
			proxy_addr = optarg;
			break;
		case OPT_PROXY:
			proxy_url = optarg;
			break;
		case 'q':
			c.quit_after = cmd_seconds("quit delay", optarg, 1e6);
			break;
		case 's':
			source = optarg;
			break;
		case 'u':
			c.udp = 1;
			break;
		case 'U':
			c.unix_path = optarg;
			break;
		case 'v':
			cmd_verbose(1);
			break;
		case 'w':
			wait = cmd_seconds("timeout", optarg, 1e6);
			break;
		case OPT_CACERT:
			cacert = optarg;
			break;
		case OPT_CHAT:
			c.chat = 1;
			break;
		case OPT_CHECK_ONLY:
			check_only = 1;
			break;
		case OPT_SERVERNAME:
			c.servername = optarg;
			break;
		case OPT_TLS:
			tls = 1;
			break;
		case OPT_CHUNK_SIZE:
			c.chunk = cmd_size("chunk size", optarg, 1, 16 << 20);
			chunk_set = 1;
			break;
		case OPT_LATE_SHUTDOWN:
			c.late_shutdown = 1;
			break;
		case OPT_RETRIES:
			c.retries = (int)cmd_number("retries", optarg, 0, 1000);
			retries_set = 1;
			break;
		default:
			exit(cmd_bad_option(self(), ch, argv));
		}
	}
	argc -= optind;
	argv += optind;
	if (file != NULL && text != NULL)
		cmd_usage_error(self(), "-f and -m cannot be used together");
	if (check_only && out != NULL)
		cmd_usage_error(self(), "-o and --check-only cannot be used "
		    "together");
	if (c.udp && (c.chat || c.unix_path != NULL || c.late_shutdown ||
	    c.quit_after > 0))
		cmd_usage_error(self(), "-u cannot be used with --chat, -U, "
		    "--late-shutdown or -q");
	if (retries_set && !c.udp)
		cmd_usage_error(self(), "--retries needs -u");
	if (c.unix_path != NULL)
		check_unix(&c, argc, source);
	else
		target(&c, argc, argv);
	if (source != NULL)
		cmd_source(source, c.family, &c.source, &c.source_len);
	proxy_options(&c, &proxy, proxy_url, proxy_proto, proxy_addr,
	    proxy_user, &why);
	if (tls && c.udp)
		cmd_usage_error(self(), "-u cannot be used with --tls");
	if (!tls && (cacert != NULL || insecure || c.servername != NULL))
		cmd_usage_error(self(), "--cacert, -k and --servername need "
		    "--tls");
	/* nc -w: the connect timeout and the idle timeout; -i: idle only. */
	c.connect_timeout = wait;
	c.idle = idle > 0 ? idle : wait;
	/* 512-byte sends are the asyncore client's; the chat one needs none. */
	if (c.chat && !chunk_set)
		c.chunk = CHAT_CHUNK;
	open_input(&c, file, text);
	/*
	 * Typed or given text comes back on stdout, as with nc.  A file (the
	 * PyMOTW client) and --chat (the asynchat one) are the articles'
	 * examples, whose programs print nothing there.
	 */
	if (out == NULL && !check_only && !c.chat && (text != NULL ||
	    c.in_fd == STDIN_FILENO))
		out = "-";
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

	if (tls)
		c.tls = cmd_tls_client("echo-client", cacert, NULL, insecure);
	if ((loop = acore_loop_new()) == NULL)
		err(AC_EXIT_FAIL, "echo-client: acore_loop_new");
	if ((rc = echo_client_start(loop, &c)) == 0)
		acore_loop_run(loop, -1, 0);
	else
		status = rc;
	acore_loop_free(loop);
	acore_tls_free(c.tls);
	if (text == NULL && c.msg != NULL)
		free((char *)c.msg);
	if (c.in_fd > STDIN_FILENO)
		close(c.in_fd);
	if (c.out_fd >= 0 && c.out_fd != STDOUT_FILENO && close(c.out_fd) < 0 &&
	    status == AC_EXIT_OK) {
		warn("echo-client: %s", out);
		status = AC_EXIT_WRITE;
	}
	return status;
}

const struct acore_cmd acore_cmd_echo_client = {
	.name = "echo-client",
	.usage = "[-46kNuv] [-f file | -m text] [-i secs] [-o file | "
	    "--check-only] [-P user] [-q secs] [-s address] [-w secs] "
	    "[-X proto] [-x host:port] [--cacert file] [--chat] "
	    "[--chunk-size n] [--late-shutdown] [--proxy url] [--retries n] "
	    "[--servername name] [--tls] "
	    "[-U path | host port | host:port]",
	.summary = "asyncore echo client: send, verify the echo (PyMOTW)",
	.options =
	    "  -4, -6               IPv4 or IPv6 addresses only\n"
	    "  -f, --file FILE      send FILE ('-': stdin, the default)\n"
	    "  -i, --idle-timeout SECS  give up after SECS without data "
	    "(in place of -w's)\n"
	    "  -k, --insecure       --tls: do not verify the server\n"
	    "  -m, --message TEXT   send TEXT\n"
	    "  -N                   shut down sending at end of input "
	    "(the default)\n"
	    "  -o, --output FILE    write the echo to FILE ('-': stdout; the "
	    "default for -m\n"
	    "                       and stdin, not for -f FILE or --chat)\n"
	    "  -P USER              the proxy's user (password: "
	    "$ACORE_PROXY_PASSWORD or asked)\n"
	    "  -q, --quit SECS      after end of input, wait at most SECS "
	    "for the echo\n"
	    "  -s, --source ADDR    connect from ADDR\n"
	    "  -u, --udp            datagrams of at most --chunk-size, each "
	    "checked\n"
	    "  -U, --unix PATH      connect to the Unix socket PATH\n"
	    "  -v, --verbose        log every event as the PyMOTW article\n"
	    "  -w, --wait SECS      connect and idle timeout, as nc -w "
	    "(-u: wait per echo)\n"
	    "  -X PROTO             -x's protocol: 5 (SOCKS5, the default), "
	    "4 (SOCKS4), connect\n"
	    "  -x HOST[:PORT]       connect through this proxy, as nc -x\n"
	    "  -V, --version        print the version\n"
	    "      --cacert FILE    --tls: trust the CAs in FILE (PEM)\n"
	    "      --chat           the asynchat protocol: ECHO <length>, "
	    "then the bytes\n"
	    "      --check-only     check the echo, write it nowhere\n"
	    "      --chunk-size N   bytes per send and per read "
	    "(default 512)\n"
	    "      --late-shutdown  shut down sending only once all came "
	    "back\n"
	    "      --proxy URL      connect through [SCHEME://][USER[:PASS]@]"
	    "HOST[:PORT]\n"
	    "                       (http, socks4, socks4a, socks5, socks5h; "
	    "port 1080)\n"
	    "      --retries N      -u: send a datagram again up to N times "
	    "(default 3)\n"
	    "      --servername NAME  --tls: SNI and the name to verify\n"
	    "      --tls            speak TLS; verify the server's "
	    "certificate\n"
	    "  host port, host:port, [v6]:port   the server; port may be "
	    "a service name\n",
	.optstring = OPTSTRING,
	.longopts = longopts,
	.main = cmd_main,
};

static const struct acore_cmd *
self(void)
{
	return &acore_cmd_echo_client;
}
