/*
 * echo.h: what the echo-*.c files of echo-server and echo-client share.
 *
 * The files split by protocol: each wire protocol has its server handler
 * and its client in files named after it, so a new transport or protocol
 * is a new echo-PROTO*.c plus a handler kind and a client start function
 * here.  One file per protocol, or -server and -client when that would
 * pass ~600 lines.  The rest is named by what it does for every protocol.
 *
 *  echo-stream-server.c  stream: the docs and PyMOTW handlers
 *  echo-stream-client.c  stream: the EchoClient (TCP, Unix, TLS)
 *  echo-chat.c		  --chat: the asynchat handler and client
 *  echo-udp.c		  -u: the datagram server channel and client
 *  echo-server.c	  echo-server's options and set-up
 *  echo-accept.c	  the listener: accepting, --max-conns, stopping
 *  echo-listen.c	  the addresses a name stands for, a listener each
 *  echo-daemon.c	  port and pid files, --background
 *  echo-workers.c	  --workers N
 *  echo-client.c	  echo-client's options and main()
 *  echo-check.c	  the echo check of the stream and --chat clients
 *  echo-common.c	  connecting, addresses, -v previews, reading a file
 *
 * The server owns the listener and picks one handler kind for all its
 * clients (a small vtable, so another protocol is one more kind); the
 * client is reusable so echo-server --with-client can run it in the
 * server's own loop, as the PyMOTW example does.
 */
#ifndef ACORE_ECHO_H
#define ACORE_ECHO_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

struct acore_loop;
struct acore_dispatcher;
struct acore_tls;
struct sockaddr_un;
struct acore_ops;
struct acore_timer;
struct echo_client_conf;

/* Server-wide settings every handler reads. */
struct echo_conf {
	struct acore_loop *loop;
	size_t		 chunk;		/* bytes per read (--chunk-size) */
	int		 chunk_set;	/* --chunk-size given: reads that size */
	double		 idle;		/* close a client silent this long; 0: never */
	size_t		 max_message;	/* --chat: longest ECHO accepted */
	struct acore_tls *tls;		/* --tls: clients speak TLS; NULL: no */
	double		 handshake;	/* --handshake-timeout */
	/* A handler is about to close: the server's bookkeeping. */
	void		(*gone)(struct acore_dispatcher *);
};

/* One kind of per-client handler. */
struct echo_handler_kind {
	/* Serve the accepted fd (owned from here on); NULL on failure. */
	struct acore_dispatcher *(*start)(const struct echo_conf *, int fd);
	/* Stop reading, send what is queued, then close (server stops). */
	void	(*finish)(struct acore_dispatcher *);
};

/* The library-docs handler: dispatcher_with_send, echoes until EOF. */
extern const struct echo_handler_kind echo_handler_docs;
/* The PyMOTW handler: chunk-sized reads queued, one write per event. */
extern const struct echo_handler_kind echo_handler_pymotw;
/* --chat: the asynchat EchoHandler, "ECHO <length>\n" then the bytes. */
extern const struct echo_handler_kind echo_handler_chat;

#define ECHO_ADDRS_MAX	8	/* addresses listened on for one name */

/* The EchoServer (echo-accept.c); echo-server.c sets it up. */
struct echo_server {
	struct echo_conf conf;
	const struct echo_handler_kind *kind;
	/* one per address, IPv4 first; [0] tells the port (NULL: closed) */
	struct acore_dispatcher *listeners[ECHO_ADDRS_MAX];
	size_t		 nlisteners;
	struct acore_dispatcher **conns;	/* by descriptor */
	double		*since;		/* by descriptor: accepted at */
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
	/* --workers: the clients of all workers, for --max-conns */
	_Atomic size_t	*shared_conns;
	/* this worker's part of it, given back by the master if it dies */
	_Atomic size_t	*own_conns;
};
extern struct echo_server echo_srv;
extern const struct acore_ops echo_server_ops;

/* A debug record of the server's (none with --chat, as the article). */
void	 echo_server_debug(struct acore_dispatcher *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 echo_server_close(struct acore_dispatcher *, void *);
/* Close every listener (--once after its client, stopping). */
void	 echo_server_close_listeners(void);
/* conf.gone: a handler is closing. */
void	 echo_handler_gone(struct acore_dispatcher *);
int	 echo_handler_tls(struct acore_dispatcher *, const struct echo_conf *);
/* Stop accepting; clients get their echo, then the loop ends. */
void	 echo_server_stop(void);
/* acore_signal callback for SIGINT and SIGTERM. */
void	 echo_server_signal(int signo, void *arg);
/* --with-client: the PyMOTW EchoClient on our own address. */
void	 echo_server_start_client(const char *path, struct echo_client_conf *);

/*
 * echo-daemon.c: files written whole (temporary name, rename) and removed
 * at exit, or written in place when not regular files; --background.
 */
void	 echo_write_file(const char *path, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Our pid, locked: a live server's pid file at path is exit 12. */
void	 echo_write_pid_file(const char *path);
void	 echo_remove_files(void);
/* Fork; returns in the child, the parent exits once echo_ready() runs. */
void	 echo_background(void);
void	 echo_ready(void);
void	 echo_worker_ready(void);

/* --workers: the master's listening sockets, which every worker serves. */
struct echo_fds {
	int		 fd[ECHO_ADDRS_MAX];
	size_t		 n;
};
/*
 * echo-workers.c: --workers N on the master's listening sockets fds, on
 * port.  serve() takes its copies of fds (owned from then on), says on
 * ready_fd that it serves, serves until stopped and returns the status.
 */
typedef int (*echo_serve_fn)(const struct echo_fds *fds, int ready_fd,
	    void *arg);
int	 echo_workers(int n, struct echo_fds *fds, const char *port,
	    echo_serve_fn serve, void *arg, const char *port_file,
	    const char *pid_file, size_t max_conns);

/* "EchoHandler('127.0.0.1', 8080)": named by the server side's address. */
void	 echo_handler_name(int fd, char *buf, size_t size);
/* A handler that could not be set up: one warning, and d (if any) closed. */
void	 echo_handler_failed(struct acore_dispatcher *d, int rc);

/* The PyMOTW EchoClient. */
struct echo_client_conf {
	const char	*host;		/* NULL with unix_path */
	const char	*port;
	const char	*unix_path;
	int		 family;	/* AF_UNSPEC, AF_INET, AF_INET6 */
	struct sockaddr_storage source;	/* -s; source_len 0: none */
	socklen_t	 source_len;
	const char	*msg;		/* borrowed until done(); NULL: in_fd */
	size_t		 len;
	int		 in_fd;		/* streamed from here when msg is NULL */
	const char	*in_name;	/* for messages about in_fd */
	size_t		 chunk;		/* bytes per send and per recv */
	double		 connect_timeout;	/* 0: ECHO_CONNECT_SECS */
	double		 idle;		/* 0: none */
	double		 quit_after;	/* -q: after end of input; 0: none */
	int		 late_shutdown;	/* shut down only once all came back */
	int		 udp;		/* -u: datagrams (echo-udp.c) */
	int		 retries;	/* -u: sends of a datagram after the first */
	int		 out_fd;	/* echoed bytes go here; -1: nowhere */
	int		 chat;		/* the asynchat client (echo-chat.c) */
	struct acore_tls *tls;		/* --tls; NULL: plain */
	const char	*servername;	/* --servername; NULL: host */
	/* -x or --proxy: through this proxy (NULL: direct), named so */
	const struct acore_proxy *proxy;
	const char	*proxy_where, *proxy_port;
	const char	*out_name;
	/* Runs once, with the exit status, after the client has closed. */
	void		(*done)(int status);
};
/* Start connecting; 0, or an exit status if it could not even start. */
int	 echo_client_start(struct acore_loop *, const struct echo_client_conf *);
int	 echo_chat_client_start(struct acore_loop *,
	    const struct echo_client_conf *);
int	 echo_udp_client_start(struct acore_loop *,
	    const struct echo_client_conf *);
/*
 * echo-server -u: a datagram channel on every address of host and port,
 * into echo_srv.listeners, as the TCP listeners, or (fd >= 0, a --workers
 * worker) one on the bound socket fd, owned from here on.  0 or a
 * negative errno (ACORE_EAI_* when host does not resolve).
 */
int	 echo_udp_listen(struct acore_loop *, const char *host,
	    const char *port, int family, int fd);
/*
 * echo-listen.c: the addresses host stands for (AI_PASSIVE; "[v6]" is the
 * literal inside), IPv4 first, each once; 0 or ACORE_EAI_* / -errno.
 */
struct echo_addrs {
	struct sockaddr_storage ss[ECHO_ADDRS_MAX];
	socklen_t	 len[ECHO_ADDRS_MAX];
	size_t		 n;
	int		 has_v4;
};
int	 echo_listen_addrs(const char *host, const char *port, int family,
	    int socktype, struct echo_addrs *);
/* Set the port of addresses from on (after a bind to port 0). */
void	 echo_addrs_set_port(struct echo_addrs *, size_t from, int port);
int	 echo_addr_port(const struct sockaddr_storage *);
/* IPV6_V6ONLY on fd of family when a also holds an IPv4 address. */
int	 echo_v6only(int fd, const struct echo_addrs *a, int family);
/* A bind error meaning this host cannot have the address: skip it. */
int	 echo_addr_skippable(int err);
/*
 * A channel on every address of host of socktype (only the first with
 * first_only), by one(a, i, arg), which appends it to echo_srv.listeners;
 * an address this host cannot have is skipped; with port 0 all share the
 * port the first one got.  0 or a negative errno / ACORE_EAI_*.
 */
typedef int (*echo_listen_fn)(const struct echo_addrs *a, size_t i,
	    void *arg);
int	 echo_listen_each(const char *host, const char *port, int family,
	    int socktype, int first_only, echo_listen_fn one, void *arg);
/*
 * A TCP listener (echo_server_ops) on every address of host (only the
 * first with first_only), into echo_srv.listeners; with port 0 all share
 * the port the first one got.  0 or a negative errno / ACORE_EAI_*.
 */
int	 echo_listen_tcp(const char *host, const char *port, int family,
	    int backlog, int first_only);

/* What both clients share: "HOST port PORT" (or the path) for messages, */
void	 echo_client_where(const struct echo_client_conf *, char *, size_t);
/* logging "connecting to" and connecting d, */
int	 echo_client_connect(struct acore_dispatcher *,
	    const struct echo_client_conf *);
/* and the one-line report of a failed connection, returning the status. */
int	 echo_client_failed(const struct echo_client_conf *, const char *where,
	    int connected, int err);

/* Debug record "what -> (N) "data"", data raw (only with -v). */
void	 echo_log_data(struct acore_dispatcher *, const char *what,
	    const void *data, size_t len);
/*
 * An address as Python's str() shows it in the logs: the tuple for IP,
 * the bare path for a Unix socket.
 */
void	 echo_str_addr(const struct sockaddr *, socklen_t, char *buf,
	    size_t size);
/* Fill *sun for path: 0, or -ENAMETOOLONG. */
int	 echo_unix_addr(const char *path, struct sockaddr_un *sun);

/*
 * Read all of path ("-": stdin) into a new buffer (the caller frees it).
 * Exits with a message on failure.
 */
char	*echo_read_message(const char *cmd, const char *path, size_t *len);

/*
 * echo-check.c: the echo check.  got counts the bytes echoed back;
 * first_diff is the offset of the first wrong one.
 */
/* Connect deadline, TLS handshake included, when -w gives none (curl's). */
#define ECHO_CONNECT_SECS	300
/* A server's deadline for a client's TLS handshake (nginx's). */
#define ECHO_HANDSHAKE_SECS	60
#define ECHO_NO_DIFF	UINT64_MAX
#define ECHO_LOG_KEEP	(1 << 20)	/* -v: bytes of each side kept */
struct echo_copy {
	char		*p;
	size_t		 len;
};
struct echo_check {
	uint64_t	 got;
	uint64_t	 first_diff;	/* ECHO_NO_DIFF: all matches so far */
	const char	*msg;		/* the message, when held in memory */
	size_t		 len;
	struct echo_copy expected;	/* -v, when streamed from a file */
	struct echo_copy received;	/* -v */
	int		 out_fd;	/* -1: nowhere */
	const char	*out_name;
	const char	*where;		/* the server, for messages */
};
/*
 * The sent bytes from off on (off < end), at most max of them, as far as
 * they run contiguously: *p and the count.
 */
typedef size_t	 echo_span_fn(void *arg, uint64_t off, uint64_t end,
	    size_t max, const char **p);
void	 echo_check_init(struct echo_check *, const struct echo_client_conf *,
	    const char *where);
void	 echo_check_free(struct echo_check *);
/* Input streamed from a file: n more bytes of the message, for -v. */
void	 echo_check_sent(struct echo_check *, const void *buf, size_t n);
/* n bytes echoed back (sent: bytes sent so far); 0 or AC_EXIT_WRITE. */
int	 echo_check_take(struct echo_check *, const char *buf, size_t n,
	    uint64_t sent, echo_span_fn *span, void *arg);
/*
 * 1 when the echo is all of total bytes, unchanged, and complete says
 * the message has ended: "RECEIVED COPY OF MESSAGE".  Else 0 after
 * "ERROR IN TRANSMISSION" and the EXPECTED and RECEIVED records.
 */
int	 echo_check_ok(const struct echo_check *, const char *name,
	    uint64_t total, int complete);
/*
 * After echo_check_ok() said 0: the byte that differs and AC_EXIT_FAIL,
 * or -1 when the echo is only short (the caller says why).
 */
int	 echo_check_differs(const struct echo_check *);

#endif /* ACORE_ECHO_H */
