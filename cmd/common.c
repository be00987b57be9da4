/*
 * common.c: the CLI helpers every subcommand shares: usage lines, bounded
 * number parsing, the -v debug sink, raw data previews, exit codes, a
 * password asked on the terminal.
 */
#include "config.h"

#include <err.h>
#include <fcntl.h>
#include <getopt.h>
#include <errno.h>
#include <math.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "acore.h"
#include "cmd.h"

static int verbose;
static int sigpipe_was_ignored;	/* by whoever started us */

/* The running subcommand, for messages ("acore: NAME: ..."). */
const char *cmd_name = "acore";

void
cmd_usage(const struct acore_cmd *cmd, int to_stderr)
{
	fprintf(to_stderr ? stderr : stdout, "usage: acore %s %s\n",
	    cmd->name, cmd->usage);
	/* Help asked for: every option, a line each. */
	if (!to_stderr && cmd->options != NULL)
		printf("\n%s", cmd->options);
}

int
cmd_bad_option(const struct acore_cmd *cmd, int ch, char **argv)
{
	const char *opt = argv[optind - 1];
	char shortopt[3] = { '-', (char)optopt, '\0' };

	/* Within a cluster like -rx, optopt names the culprit. */
	if (optopt != 0 && (ch != ':' || opt[1] != '-'))
		opt = shortopt;
	warnx("%s: %s '%s'", cmd->name,
	    ch == ':' ? "missing value for option" : "unknown option", opt);
	cmd_usage(cmd, 1);
	return AC_EXIT_USAGE;
}

int
cmd_wants(const struct acore_cmd *cmd, int argc, char **argv,
    const char *longopt, int shortopt)
{
	char **copy;
	int ch, found = 0;

	/* A copy: GNU getopt permutes argv, and the command reads it raw. */
	if ((copy = calloc((size_t)argc + 1, sizeof(*copy))) == NULL)
		err(AC_EXIT_FAIL, "%s", cmd->name);
	memcpy(copy, argv, (size_t)argc * sizeof(*copy));
	optind = 0;
	opterr = 0;
	/* Neither is in the command's tables: each comes back as unknown. */
	while (!found && (ch = getopt_long(argc, copy, cmd->optstring,
	    cmd->longopts, NULL)) != -1)
		if (ch == '?')
			found = optopt != 0 ? optopt == shortopt :
			    strcmp(copy[optind - 1], longopt) == 0;
	free(copy);
	optind = 0;
	return found;
}

void
cmd_version(void)
{
	printf("acore %s (libevent %s, %s)\n", ACORE_VERSION_STRING,
	    acore_libevent_version(), acore_openssl_version());
}

void
cmd_usage_error(const struct acore_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "acore: %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cmd_usage(cmd, 1);
	exit(AC_EXIT_USAGE);
}

int
cmd_split_host_port(const char *arg, char *host, size_t size,
    const char **port)
{
	const char *colon, *end;
	size_t len;

	if (arg[0] == '[') {
		/* [V6]:PORT, as ncat and socat write it. */
		if ((end = strchr(arg, ']')) == NULL || end[1] != ':')
			return 0;
		arg++;
		colon = end + 1;
		len = (size_t)(end - arg);
	} else {
		/* Exactly one colon: a bare IPv6 address is not HOST:PORT. */
		if ((colon = strchr(arg, ':')) == NULL ||
		    strchr(colon + 1, ':') != NULL)
			return 0;
		len = (size_t)(colon - arg);
	}
	if (len == 0 || len >= size || colon[1] == '\0')
		return 0;
	memcpy(host, arg, len);
	host[len] = '\0';
	*port = colon + 1;
	return 1;
}

int
cmd_service(const char *s, const char *proto, int allow_zero)
{
	struct servent *se;

	if (*s >= '0' && *s <= '9')
		return cmd_port(s, allow_zero);
	if (*s == '\0' || (se = getservbyname(s, proto)) == NULL)
		errx(AC_EXIT_USAGE, "%s: unknown port or service: %s",
		    cmd_name, s);
	return ntohs((uint16_t)se->s_port);
}

void
cmd_source(const char *s, int family, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct addrinfo hints, *res;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_flags = AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	/* Once, before the loop runs: blocking here costs nothing. */
	if ((rc = getaddrinfo(s, NULL, &hints, &res)) != 0)
		errx(AC_EXIT_DNS, "%s: cannot resolve source address %s: %s",
		    cmd_name, s, gai_strerror(rc));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
}

long long
cmd_number(const char *what, const char *s, long long min, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || (errno == EINVAL))
		errx(AC_EXIT_USAGE, "%s: %s is invalid: %s", cmd_name, what, s);
	if (errno == ERANGE || v < min)
		errx(AC_EXIT_USAGE, "%s: %s is too %s: %s", cmd_name, what,
		    (errno == ERANGE && v > 0) ? "large" : "small", s);
	if (v > max)
		errx(AC_EXIT_USAGE, "%s: %s is too large: %s", cmd_name, what, s);
	return v;
}

size_t
cmd_size(const char *what, const char *s, size_t min, size_t max)
{
	char *end;
	unsigned long long v, mul = 1;

	errno = 0;
	if (*s == '-' || *s == '\0')
		errx(AC_EXIT_USAGE, "%s: %s is invalid: %s", cmd_name, what, s);
	v = strtoull(s, &end, 10);
	if (end == s || errno == ERANGE)
		errx(AC_EXIT_USAGE, "%s: %s is invalid: %s", cmd_name, what, s);
	switch (*end) {
	case 'k': case 'K': mul = 1ULL << 10; end++; break;
	case 'm': case 'M': mul = 1ULL << 20; end++; break;
	case 'g': case 'G': mul = 1ULL << 30; end++; break;
	}
	if (*end != '\0')
		errx(AC_EXIT_USAGE, "%s: %s is invalid: %s", cmd_name, what, s);
	if (v > max / mul)
		errx(AC_EXIT_USAGE, "%s: %s is too large: %s", cmd_name, what, s);
	if (v * mul < min)
		errx(AC_EXIT_USAGE, "%s: %s is too small: %s", cmd_name, what, s);
	return (size_t)(v * mul);
}

double
cmd_seconds(const char *what, const char *s, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || isnan(v) || v <= 0)
		errx(AC_EXIT_USAGE, "%s: %s is invalid: %s", cmd_name, what, s);
	if (v > max)
		errx(AC_EXIT_USAGE, "%s: %s is too large: %s", cmd_name, what, s);
	return v;
}

int
cmd_port(const char *s, int allow_zero)
{
	return (int)cmd_number("port", s, allow_zero ? 0 : 1, 65535);
}

void
cmd_verbose(int on)
{
	verbose = on;
	acore_set_log_level(on ? ACORE_LOG_DEBUG : ACORE_LOG_WARN);
}

int
cmd_is_verbose(void)
{
	return verbose;
}

void
cmd_log_data(const char *name, const char *prefix, const void *data,
    size_t len, const char *suffix)
{
	size_t plen, slen;
	char *msg;

	if (!verbose)
		return;
	plen = strlen(prefix);
	slen = strlen(suffix);
	if ((msg = malloc(plen + len + slen + 1)) == NULL)
		return;
	memcpy(msg, prefix, plen);
	memcpy(msg + plen, data, len);
	memcpy(msg + plen + len, suffix, slen);
	acore_log_bytes(ACORE_LOG_DEBUG, name, msg, plen + len + slen);
	free(msg);
}

void
cmd_ignore_sigpipe(void)
{
	/* A failure leaves the library's guard on: slower, still right. */
	sigpipe_was_ignored = acore_ignore_sigpipe() == 1;
}

void
cmd_sigpipe_exit(void)
{
	if (sigpipe_was_ignored)
		return;
	fflush(NULL);
	signal(SIGPIPE, SIG_DFL);
	raise(SIGPIPE);
}

void
cmd_guard_stdio(void)
{
	int fd, nfd;

	for (fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/*
		 * Open the lowest free descriptor, which is fd.  Read-only
		 * for 1 and 2 as glibc does for set-uid programs: a write
		 * still fails with EBADF, as on the closed descriptor, so
		 * `>&-' is a write error and not a silent success.
		 */
		nfd = open("/dev/null", O_RDONLY);
		if (nfd != fd) {
			/* No /dev/null (a bare chroot): refuse, never guess. */
			if (nfd >= 0)
				close(nfd);
			errx(AC_EXIT_FAIL, "/dev/null: cannot open for a closed "
			    "descriptor %d", fd);
		}
	}
}

int
cmd_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/*
			 * An inherited non-blocking stdout: wait for room
			 * rather than drop data.
			 */
			if (errno == EAGAIN) {
				struct pollfd pfd = { fd, POLLOUT, 0 };

				(void)poll(&pfd, 1, -1);
				continue;
			}
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
cmd_exit_for(int err)
{
	if (ACORE_IS_EAI(err))
		return AC_EXIT_DNS;
	if (ACORE_IS_ETLS_VERIFY(err))
		return AC_EXIT_CERT;
	if (err == ACORE_ETLS_TRUNCATED)
		return AC_EXIT_RESET;
	if (ACORE_IS_ETLS(err))
		return AC_EXIT_TLS;
	switch (-err) {
	case ETIMEDOUT:
		return AC_EXIT_TIMEOUT;
	case ECONNREFUSED:
	case ENETUNREACH:
	case EHOSTUNREACH:
	case EADDRNOTAVAIL:
	case ENOENT:		/* Unix socket path */
		return AC_EXIT_CONNECT;
	case ECONNRESET:
	case EPIPE:
	case ECONNABORTED:
		return AC_EXIT_RESET;
	default:
		return AC_EXIT_FAIL;
	}
}

int
cmd_ask_tty(const char *question, char *buf, size_t size)
{
	struct termios t, quiet;
	size_t n = 0;
	int fd, ok;
	char c;

	if (size == 0 || (fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0)
		return -1;
	/*
	 * Echo off before the question shows: what is typed after it (a
	 * flush then would drop it) is never echoed.
	 */
	ok = tcgetattr(fd, &t) == 0;
	quiet = t;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	if (ok)
		(void)tcsetattr(fd, TCSAFLUSH, &quiet);
	(void)cmd_write_all(fd, question, strlen(question));
	while (read(fd, &c, 1) == 1 && c != '\n')
		if (n + 1 < size)
			buf[n++] = c;
	buf[n] = '\0';
	if (ok)
		(void)tcsetattr(fd, TCSANOW, &t);
	(void)cmd_write_all(fd, "\n", 1);
	close(fd);
	return 0;
}
