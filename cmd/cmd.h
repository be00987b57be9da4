/*
 * cmd.h: the subcommand table entry and the CLI helpers in common.c.
 */
#ifndef ACORE_CMD_H
#define ACORE_CMD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "acore.h"

struct option;

struct acore_cmd {
	const char	*name;		/* "echo-server" */
	const char	*usage;		/* synopsis after "acore NAME ", as in the man page */
	const char	*summary;	/* one line for `acore help` */
	const char	*options;	/* --help: one line per option; may be NULL */
	/* its getopt_long tables, so cmd_wants() skips option values */
	const char	*optstring;
	const struct option *longopts;
	int		 (*main)(int, char **);	/* argv[0] is the name */
};

extern const struct acore_cmd acore_cmd_cat_file;
extern const struct acore_cmd acore_cmd_echo_client;
extern const struct acore_cmd acore_cmd_echo_server;
extern const struct acore_cmd acore_cmd_http_get;

/*
 * Exit statuses shared by every subcommand (acore(1) EXIT STATUS).  One
 * number per cause so scripts can tell "you typed it wrong" from "the
 * network said no".
 */
enum {
	AC_EXIT_OK = 0,
	AC_EXIT_FAIL = 1,	/* runtime failure: I/O error, data mismatch */
	AC_EXIT_USAGE = 2,	/* bad command line */
	AC_EXIT_BADURL = 3,	/* malformed URL or address */
	AC_EXIT_DNS = 4,	/* name did not resolve */
	AC_EXIT_CONNECT = 5,	/* connection refused or unreachable */
	AC_EXIT_TIMEOUT = 6,	/* a time limit ran out */
	AC_EXIT_RESET = 7,	/* peer reset or closed the connection early */
	AC_EXIT_PROTOCOL = 8,	/* peer broke the protocol */
	AC_EXIT_HTTP = 9,	/* HTTP status >= 400 */
	AC_EXIT_WRITE = 10,	/* output could not be written */
	AC_EXIT_UNSUPPORTED = 11, /* e.g. https:// */
	AC_EXIT_LISTEN = 12,	/* cannot listen: in use, not permitted */
	AC_EXIT_TLS = 13,	/* TLS handshake failed */
	AC_EXIT_CERT = 14,	/* peer certificate did not verify */
	AC_EXIT_PROXY_DNS = 15,	/* proxy name did not resolve */
	AC_EXIT_HTTP2 = 16,	/* HTTP/2 framing or stream error */
	AC_EXIT_PROXY_CONNECT = 17, /* proxy unreachable */
	AC_EXIT_PROXY = 18,	/* proxy refused: handshake, auth, tunnel status */
	AC_EXIT_READ = 19	/* a request body could not be read or sent again */
};

/* Print "usage: acore NAME USAGE" to stdout (help) or stderr (error). */
void	 cmd_usage(const struct acore_cmd *cmd, int to_stderr);
/*
 * getopt_long returned '?' or ':' (optstring starts with ':' and opterr is
 * 0): print a line naming the bad option, then the usage line, as
 * cmd_usage_error does; returns AC_EXIT_USAGE.
 */
int	 cmd_bad_option(const struct acore_cmd *cmd, int ch, char **argv);
extern const char *cmd_name;
/*
 * longopt or shortopt ("--help", 'h') among cmd's options, read as its own
 * getopt_long scan reads them (so not the value of -m, nor after "--"):
 * help and version win over every other argument, as in git.
 */
int	 cmd_wants(const struct acore_cmd *cmd, int argc, char **argv,
	    const char *longopt, int shortopt);
void	 cmd_version(void);
/*
 * A usage error: "acore: NAME: <problem>" then the usage line, on stderr;
 * exits AC_EXIT_USAGE.
 */
void	 cmd_usage_error(const struct acore_cmd *cmd, const char *fmt, ...)
	    __attribute__((noreturn, format(printf, 2, 3)));
/*
 * "HOST:PORT" or "[V6]:PORT" as one argument: 1, with host copied to
 * host[size] and *port pointing into arg; 0 when arg is not of that form
 * (a bare IPv6 address, a name, a port).
 */
int	 cmd_split_host_port(const char *arg, char *host, size_t size,
	    const char **port);
/* -s: the address to connect from (a name is resolved now); exits 4. */
void	 cmd_source(const char *s, int family, struct sockaddr_storage *ss,
	    socklen_t *len);
/* A port number or a service name ("http") for proto "tcp" or "udp". */
int	 cmd_service(const char *s, const char *proto, int allow_zero);

/*
 * Bounded number parsing (strtonum's contract): on failure prints
 * "acore: NAME: WHAT is STATUS: VALUE" and exits AC_EXIT_USAGE.
 */
long long cmd_number(const char *what, const char *s, long long min,
	    long long max);
/* Byte sizes with an optional k/K, m/M, g/G suffix (powers of 1024). */
size_t	 cmd_size(const char *what, const char *s, size_t min, size_t max);
/* Seconds as a decimal (0.5, 10); 0 < value <= max. */
double	 cmd_seconds(const char *what, const char *s, double max);
/* TCP port 0..65535 (0 only when allow_zero). */
int	 cmd_port(const char *s, int allow_zero);

/* -v: send the library's and our debug records to stderr. */
void	 cmd_verbose(int on);
int	 cmd_is_verbose(void);
/*
 * Debug log line "NAME: <prefix><data><suffix>" with data raw, the Python 2
 * way, as the transcripts show; one write(2).  Only when verbose.
 */
void	 cmd_log_data(const char *name, const char *prefix, const void *data,
	    size_t len, const char *suffix);

/*
 * Ignore SIGPIPE (a closed peer must show up as EPIPE, never kill us),
 * remembering whether our caller had it ignored too.
 */
void	 cmd_ignore_sigpipe(void);
/*
 * stdout's reader has gone (EPIPE): end as cat(1) does, killed by SIGPIPE
 * without a word, unless our caller ignored SIGPIPE; then it returns and
 * the write error is reported as usual.
 */
void	 cmd_sigpipe_exit(void);
/*
 * Open /dev/null on each of 0, 1 and 2 that is closed, so that no socket
 * or file of ours lands there and gets stdin's reads or stdout's and
 * stderr's writes.  stdin reads as empty; writes to a closed stdout or
 * stderr still fail with EBADF.  Exits AC_EXIT_FAIL without /dev/null.
 */
void	 cmd_guard_stdio(void);
/* Write all of buf to fd (blocking fd), retrying short writes: 0 or -errno. */
int	 cmd_write_all(int fd, const void *buf, size_t len);
/*
 * Ask question on the terminal (/dev/tty), echo off, and read one line
 * into buf (no newline; cut at size - 1): 0, or -1 with no terminal.
 */
int	 cmd_ask_tty(const char *question, char *buf, size_t size);

/* Map a negative errno / ACORE_EAI_* from a connect to an exit status. */
int	 cmd_exit_for(int err);

/*
 * proxy.c: --proxy URL, nc's -X/-x/-P, and the exit status of a proxied
 * connect that failed in stage (acore_connect_stage).  The parsers fill
 * p (px points into it) or return -1 with *why, for a usage error.
 */
struct cmd_proxy {
	struct acore_proxy px;
	char	host[256], port[8], user[256], password[256];
	int	has_user, has_password, set;
};
int	 cmd_proxy_url(const char *url, const char *default_port,
	    struct cmd_proxy *p, const char **why);
int	 cmd_proxy_host_port(const char *s, size_t n, const char *default_port,
	    struct cmd_proxy *p, const char **why);
int	 cmd_proxy_nc(const char *proto, const char *hostport,
	    struct cmd_proxy *p, const char **why);
int	 cmd_proxy_user(struct cmd_proxy *p, const char *user,
	    const char **why);
int	 cmd_proxy_exit(int err, int stage);
/* Base64 of len bytes into out (NUL-terminated; size >= 4 * (len+2)/3 + 1). */
void	 cmd_base64(const void *in, size_t len, char *out, size_t size);
const char *cmd_proxy_scheme(int type);

/*
 * TLS configurations from the command line (cmd/tls.c).  A failure to
 * load a file prints "acore: NAME: FILE: reason" and exits AC_EXIT_FAIL.
 */
struct acore_tls;
struct acore_tls *cmd_tls_server(const char *name, const char *cert,
	    const char *key);
struct acore_tls *cmd_tls_client(const char *name, const char *cacert,
	    const char *capath, int insecure);
/* Cipher lists (NULL: the default): one no cipher matches exits 2. */
void	 cmd_tls_ciphers(const char *name, struct acore_tls *t,
	    const char *list, const char *suites);

#endif /* ACORE_CMD_H */
