/*
 * acore.h: asyncore/asynchat-style dispatchers on top of libevent.
 *
 * A loop holds a map of channels (dispatchers).  Each channel wraps one
 * non-blocking descriptor and a const table of hooks (struct acore_ops),
 * the C form of an asyncore.dispatcher subclass.  acore_loop_run() is
 * asyncore.loop(): each pass asks the channels what they want, waits for
 * readiness with libevent, then dispatches read events, write events and
 * exceptional events, each in map (creation) order.
 *
 * Conventions:
 *  - Functions that can fail return 0 (or a count) on success and a
 *    negative errno on failure; constructors return NULL with errno set.
 *    Resolver failures are ACORE_EAI_* values; acore_strerror() covers all.
 *  - The loop owns its dispatchers.  acore_close() may be called anywhere,
 *    including from a dispatcher's own hooks and more than once; the memory
 *    is released after the current hook returns.  ops->closed(arg) is the
 *    last call the library makes with arg: free your context there.
 *  - A closed channel (acore_close() has run, yours or the library's after
 *    a failure) answers every call that would do I/O or arm it (socket
 *    calls, send, recv, push, close_when_done, shutdown, timeouts, the
 *    high-water mark) with -EBADF and runs no hook; until the current hook
 *    returns it may still be asked its name, flags and descriptor (-1).
 *  - A setter that does not apply to the channel's kind (acore_chat_* on a
 *    non-chat channel, acore_set_high_water on a non-with-send one) returns
 *    -EINVAL and changes nothing.
 *  - Bytes passed to acore_send() and acore_chat_push() are copied.
 *  - This header includes no libevent header; libevent is an implementation
 *    detail (pkg-config lists it under Requires.private).
 *
 * Threads: one loop per thread.  A loop and everything made from it
 * (channels, timers, resolves) belong to the thread that runs it; the
 * library takes no lock on them.  Loops in different threads share no
 * mutable state of the library's, with these process-wide exceptions:
 *  - the log sink and level (acore_set_log, acore_set_log_level): atomic,
 *    so they may be changed while other threads log; the sink may be
 *    called from any thread running a loop, so it must be thread-safe
 *    (the default one writes each record in one write(2));
 *  - the default loop (a NULL loop argument): one loop, created on first
 *    use under a lock; run it from one thread only;
 *  - signals (acore_signal_new): libevent delivers a signal to one loop
 *    only, so keep every acore_signal in one loop;
 *  - name lookups (evdns) share libevent's random-number state, which it
 *    does not lock: resolve names in one thread at a time.  Numeric
 *    addresses never reach the resolver and are safe in any thread;
 *  - a TLS configuration (struct acore_tls) may serve channels of loops
 *    in several threads (its references are atomic), once set up: its
 *    setters take no lock.
 */
#ifndef ACORE_H
#define ACORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ACORE_VERSION_STRING	"0.1.0"

struct acore_loop;
struct acore_dispatcher;
struct acore_timer;
struct acore_signal;

/* ---------------------------------------------------------------- errors */

/* getaddrinfo() failures, kept apart from errno values. */
#define ACORE_EAI_BASE		(-3000)
#define ACORE_EAI(e)		(ACORE_EAI_BASE + (e))	/* e: EAI_* (< 0) */
#define ACORE_IS_EAI(r)		((r) < ACORE_EAI_BASE && (r) > ACORE_EAI_BASE - 1000)

/*
 * TLS failures, also kept apart.  A certificate that did not verify is
 * ACORE_ETLS_VERIFY(v), v being OpenSSL's X509_V_ERR_* reason (unknown CA,
 * expired, host name mismatch); any other TLS failure is ACORE_ETLS(r), r
 * being OpenSSL's SSL_R_* reason, or one of ours below 100.
 */
#define ACORE_ETLS_VERIFY_BASE	(-10000)
#define ACORE_ETLS_VERIFY(v)	(ACORE_ETLS_VERIFY_BASE - (v))
#define ACORE_IS_ETLS_VERIFY(r)	((r) < ACORE_ETLS_VERIFY_BASE && \
				    (r) > ACORE_ETLS_VERIFY_BASE - 1000)
#define ACORE_ETLS_BASE		(-11000)
#define ACORE_ETLS(r)		(ACORE_ETLS_BASE - (r))
#define ACORE_IS_ETLS(r)	((r) < ACORE_ETLS_VERIFY_BASE && \
				    (r) > ACORE_ETLS_BASE - 5000)
/* The peer ended the stream without close_notify: data may be cut short. */
#define ACORE_ETLS_TRUNCATED	ACORE_ETLS(1)
#define ACORE_ETLS_PEM		ACORE_ETLS(2)	/* no certificate/key in file */
#define ACORE_ETLS_KEY_MISMATCH	ACORE_ETLS(3)	/* key is not the cert's */
/* The peer closed or reset the connection before the handshake was done. */
#define ACORE_ETLS_HANDSHAKE_EOF ACORE_ETLS(4)

/*
 * Proxy tunnel failures (acore_connect_proxy), apart again: the proxy's
 * own answers, each with its text.  A SOCKS5 reply code r (1-8, RFC 1928)
 * is ACORE_EPROXY_SOCKS5(r), a SOCKS4 one c (91-93) ACORE_EPROXY_SOCKS4(c),
 * and an HTTP CONNECT answered with status s (not 2xx, not 407) is
 * ACORE_EPROXY_HTTP(s); acore_proxy_status() has its status line.
 */
#define ACORE_EPROXY_BASE	(-20000)
#define ACORE_EPROXY(r)		(ACORE_EPROXY_BASE - (r))
#define ACORE_IS_EPROXY(r)	((r) < ACORE_EPROXY_BASE && \
				    (r) > ACORE_EPROXY_BASE - 2000)
/* The proxy closed or reset the connection before the tunnel was up. */
#define ACORE_EPROXY_EOF	ACORE_EPROXY(1)
#define ACORE_EPROXY_PROTO	ACORE_EPROXY(2)	/* a reply we cannot read */
#define ACORE_EPROXY_AUTH	ACORE_EPROXY(3)	/* it needs a user, none given */
#define ACORE_EPROXY_AUTH_FAILED ACORE_EPROXY(4) /* it refused user/password */
#define ACORE_EPROXY_NO_METHOD	ACORE_EPROXY(5)	/* SOCKS5: no method in common */
#define ACORE_EPROXY_SOCKS5(r)	ACORE_EPROXY(100 + (r))
#define ACORE_EPROXY_SOCKS4(c)	ACORE_EPROXY(200 + (c) - 90)
#define ACORE_EPROXY_HTTP(s)	ACORE_EPROXY(1000 + (s))

/*
 * Text for a negative errno, ACORE_EAI_*, ACORE_ETLS* or ACORE_EPROXY*
 * value; never NULL.
 */
const char	*acore_strerror(int err);
/* Version of the libevent the library runs on. */
const char	*acore_libevent_version(void);
/* Version of the OpenSSL the library runs on ("OpenSSL 3.0.x ..."). */
const char	*acore_openssl_version(void);

/* --------------------------------------------------------------- logging */

enum acore_log_level {
	ACORE_LOG_DEBUG,
	ACORE_LOG_INFO,
	ACORE_LOG_WARN,
	ACORE_LOG_ERROR
};

/*
 * One sink for every record the library (and libevent) emits.  name is the
 * logger name (a dispatcher's name, "acore" or "libevent").  The default
 * sink writes "name: msg\n" to stderr, in one write(2), for records at or
 * above the level set by acore_set_log_level() (default ACORE_LOG_WARN).
 * Passing NULL restores the default sink.
 */
void	 acore_set_log(void (*sink)(int level, const char *name,
	    const char *msg, size_t len));
/* 0, or -EINVAL for a value outside the enum (the level is unchanged). */
int	 acore_set_log_level(enum acore_log_level level);
int	 acore_log_enabled(enum acore_log_level level);
/* Format and emit one record; msg may hold any bytes (lengths are kept). */
void	 acore_log(int level, const char *name, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	 acore_log_bytes(int level, const char *name, const char *msg,
	    size_t len);

/*
 * Format a socket address the way Python prints one: ('127.0.0.1', 8080),
 * ('::1', 8080, 0, 0) or the path of a Unix socket in quotes.  Returns the
 * length written (truncated to fit size, always NUL-terminated).
 */
size_t	 acore_format_addr(const struct sockaddr *sa, socklen_t len,
	    char *buf, size_t size);

/* ------------------------------------------------------------------ loop */

/* A map of channels plus the libevent base that watches them. */
struct acore_loop *acore_loop_new(void);
/* Closes every channel (their closed() hooks run), then frees the loop. */
void	 acore_loop_free(struct acore_loop *loop);
/*
 * The process-wide loop used when a function is given a NULL loop; made
 * on first use, under a lock, and to be run by one thread (see Threads).
 */
struct acore_loop *acore_loop_default(void);

/*
 * asyncore.loop(timeout, count).  Runs passes until the map is empty, or
 * count passes have run (count <= 0: no limit), or acore_loop_stop().
 * timeout is the longest one pass waits, in seconds (< 0: no limit; 0: one
 * non-blocking look, as asyncore.poll()).  A pass in which nothing is ready
 * sleeps timeout and still counts.  Returns the number of passes run, or a
 * negative errno: -EBADF (select mode) while a channel's descriptor has been
 * closed without acore_close(), -EDEADLK when nothing could ever fire.
 */
int	 acore_loop_run(struct acore_loop *loop, double timeout, int count);
/*
 * asyncore.ExitNow: from a hook, leave the pass at once (channels not yet
 * served in it wait for the next run) and make acore_loop_run() return.
 */
void	 acore_loop_stop(struct acore_loop *loop);
/*
 * asyncore's loop(use_poll=True) semantics, from the next pass (-EBUSY
 * inside one): each channel gets its read, write and urgent-data events in
 * turn, then handle_close() on POLLHUP, POLLERR or POLLNVAL.  Default off:
 * select semantics.
 */
int	 acore_loop_use_poll(struct acore_loop *loop, int on);
/* Number of channels in the map. */
size_t	 acore_loop_size(struct acore_loop *loop);
/* asyncore.close_all(): close every channel and empty the map. */
void	 acore_close_all(struct acore_loop *loop);

/* One-shot timer, run from the loop.  Freed only by acore_timer_free(). */
struct acore_timer *acore_timer_new(struct acore_loop *loop,
	    void (*cb)(void *arg), void *arg);
/* (Re)arm to fire once after secs seconds. */
int	 acore_timer_start(struct acore_timer *t, double secs);
void	 acore_timer_stop(struct acore_timer *t);
void	 acore_timer_free(struct acore_timer *t);
/*
 * Seconds on the monotonic clock the loop's timers and idle timeouts use,
 * for measuring intervals (the origin is arbitrary).
 */
double	 acore_now(void);

/*
 * Deliver signo to cb from the loop, not from signal context.  Freed only
 * by acore_signal_free(), which restores the previous disposition.
 */
struct acore_signal *acore_signal_new(struct acore_loop *loop, int signo,
	    void (*cb)(int signo, void *arg), void *arg);
void	 acore_signal_free(struct acore_signal *s);

/* -------------------------------------------------------------- resolver */

struct addrinfo;
struct acore_resolve;
/*
 * Resolve host and port without blocking the loop (libevent's evdns, which
 * also reads /etc/hosts).  A numeric address, "[v6]" as in URLs included,
 * is parsed by the library and never reaches the resolver.  family is
 * AF_UNSPEC, AF_INET or AF_INET6.  cb gets 0 and the address list (owned
 * by the library, valid during cb only) or an ACORE_EAI_* error; it runs
 * exactly once, possibly before acore_resolve() returns, in which case the
 * return value is NULL.  Otherwise the handle may be passed to
 * acore_resolve_cancel() until cb has run; cb then gets -ECANCELED.
 */
struct acore_resolve *acore_resolve(struct acore_loop *loop, const char *host,
	    const char *port, int family,
	    void (*cb)(int err, const struct addrinfo *res, void *arg),
	    void *arg);
void	 acore_resolve_cancel(struct acore_resolve *r);

/* ------------------------------------------------------------ dispatcher */

/*
 * The hooks of one kind of channel.  Every hook gets the dispatcher and the
 * arg given at creation.  A NULL hook means asyncore's default, made safe:
 *  readable	  true when something consumes input: a handle_read hook, a
 *		  chat channel, a listening socket; false after
 *		  acore_shutdown(SHUT_RD), for a with-send channel while its
 *		  output is over the high-water mark, and for a chat channel
 *		  whose handle_close kept it open at end of input
 *  writable	  true while connecting or while the kind has output queued;
 *		  a plain channel with a handle_write hook: always true.
 *		  A writable hook replaces this: a with-send or chat
 *		  channel's queue is then sent only on the write events
 *		  the hook asks for (and tried at each acore_send or
 *		  acore_chat_push), so return true while acore_pending()
 *		  is non-zero or the queue stalls
 *  handle_read, handle_write, handle_connect, handle_expt: nothing
 *  handle_accept   accept one connection and pass it to handle_accepted
 *  handle_accepted close the new socket
 *  handle_close    acore_close()
 *  handle_error    log "NAME: error: <strerror>" (WARN), then handle_close
 * flags ACORE_OPS_ASYNCORE asks for asyncore's own defaults instead: plain
 * and file channels readable and writable (with-send: writable while
 * unconnected or output is queued), and the default handlers log
 * "unhandled read event", "unhandled write event", "unhandled connect
 * event", "unhandled incoming priority event", "unhandled accepted event"
 * and "unhandled close event" (then close) at ACORE_LOG_WARN.
 * handle_expt runs on urgent data (MSG_OOB) with SO_ERROR 0; a pending
 * error gives handle_close instead.  Only channels with the hook (or
 * ACORE_OPS_ASYNCORE) are watched for it, readable or not.
 * Channels without readable/writable hooks are not scanned each pass: their
 * interest follows their state, so idle channels cost nothing.
 */
struct acore_ops {
	const char *name;	/* default logger name */
	int	(*readable)(struct acore_dispatcher *, void *arg);
	int	(*writable)(struct acore_dispatcher *, void *arg);
	void	(*handle_read)(struct acore_dispatcher *, void *arg);
	void	(*handle_write)(struct acore_dispatcher *, void *arg);
	void	(*handle_expt)(struct acore_dispatcher *, void *arg);
	void	(*handle_connect)(struct acore_dispatcher *, void *arg);
	void	(*handle_close)(struct acore_dispatcher *, void *arg);
	/* err: negative errno or ACORE_EAI_* */
	void	(*handle_error)(struct acore_dispatcher *, int err, void *arg);
	void	(*handle_accept)(struct acore_dispatcher *, void *arg);
	/* fd now belongs to the hook (wrap it with acore_set_socket) */
	void	(*handle_accepted)(struct acore_dispatcher *, int fd,
		    const struct sockaddr *addr, socklen_t addrlen, void *arg);
	/* async_chat channels only */
	void	(*collect_incoming_data)(struct acore_dispatcher *,
		    const void *data, size_t len, void *arg);
	void	(*found_terminator)(struct acore_dispatcher *, void *arg);
	/* last call with arg: the channel is gone */
	void	(*closed)(void *arg);
	unsigned flags;		/* ACORE_OPS_* */
};

/* acore_ops.flags: asyncore's readable/writable and logging defaults. */
#define ACORE_OPS_ASYNCORE	0x01

/* Channel flags (acore_flags()). */
#define ACORE_CONNECTED		0x01
#define ACORE_ACCEPTING		0x02
#define ACORE_CONNECTING	0x04
#define ACORE_CLOSED		0x08
#define ACORE_SHUT_RD		0x10	/* acore_shutdown(SHUT_RD): not readable */

/*
 * asyncore.dispatcher: a channel with no socket yet (use acore_create_socket
 * or acore_set_socket).  loop NULL means the default loop.  The channel is
 * in the map from creation until acore_close().
 */
struct acore_dispatcher *acore_dispatcher_new(struct acore_loop *loop,
	    const struct acore_ops *ops, void *arg);
/*
 * asyncore.dispatcher_with_send: acore_send() queues what the socket does
 * not take at once and sends it, in order, on later write events.
 */
struct acore_dispatcher *acore_dispatcher_with_send_new(struct acore_loop *loop,
	    const struct acore_ops *ops, void *arg);
/*
 * asyncore.file_dispatcher: wraps a dup of fd (the caller keeps fd), made
 * non-blocking; acore_recv/acore_send use read(2)/write(2).  Regular files
 * and /dev/null, which epoll cannot watch, are treated as always ready.
 * Starts connected.
 */
struct acore_dispatcher *acore_file_new(struct acore_loop *loop, int fd,
	    const struct acore_ops *ops, void *arg);

/* Socket set-up: asyncore's create_socket/set_socket/bind/listen/... */
int	 acore_create_socket(struct acore_dispatcher *d, int family, int type);
/* Adopt a connected socket (takes ownership of fd, even on failure). */
int	 acore_set_socket(struct acore_dispatcher *d, int fd);
int	 acore_set_reuse_addr(struct acore_dispatcher *d);
/*
 * SO_REUSEPORT: sockets of several processes listen on one address and
 * port, the kernel spreading connections (or datagrams) between them.
 * On a channel without a socket yet, acore_listen_host() sets it on the
 * socket it creates.  -ENOPROTOOPT where the system has no such option.
 */
int	 acore_set_reuse_port(struct acore_dispatcher *d);
int	 acore_bind(struct acore_dispatcher *d, const struct sockaddr *sa,
	    socklen_t len);
int	 acore_listen(struct acore_dispatcher *d, int backlog);
/*
 * Start a non-blocking connect.  0 when under way (or done: the connect
 * path then runs on the first event), negative errno on immediate failure.
 */
int	 acore_connect(struct acore_dispatcher *d, const struct sockaddr *sa,
	    socklen_t len);
/*
 * Connect from sa (nc -s): acore_connect(), and so acore_connect_host(),
 * binds the socket to a copy of sa first (port 0: any); an address of
 * another family fails with -EAFNOSUPPORT, so acore_connect_host moves on
 * to the next.  NULL: no source, the default.
 */
int	 acore_set_source(struct acore_dispatcher *d, const struct sockaddr *sa,
	    socklen_t len);
/*
 * Connect to host:port by name: resolve without blocking (acore_resolve;
 * numeric and "[v6]" addresses need no lookup), then try each address in
 * order, creating the socket for each, until one
 * connects.  d must have no socket yet.  family AF_UNIX: host is the
 * path of a Unix socket (port unused), connected at once or refused with
 * the errno of connect(2).  The outcome arrives as for
 * acore_connect(): handle_connect once connected, or handle_error with the
 * last address's error (or the resolver's ACORE_EAI_* value).
 */
int	 acore_connect_host(struct acore_dispatcher *d, const char *host,
	    const char *port, int family);
/*
 * Where a connect by name has got to, or where it failed (handle_error
 * tells the error, this the stage): the sequence is resolve, connect
 * (every address), the proxy tunnel (acore_connect_proxy), the TLS
 * handshake (acore_tls_attach), then ready.  A channel that never
 * connected by name answers ACORE_STAGE_NONE until it is ready.
 */
enum acore_stage {
	ACORE_STAGE_NONE,
	ACORE_STAGE_RESOLVE,
	ACORE_STAGE_CONNECT,
	ACORE_STAGE_TUNNEL,
	ACORE_STAGE_TLS,
	ACORE_STAGE_READY
};
int	 acore_connect_stage(const struct acore_dispatcher *d);
/*
 * Connect to host:port through a proxy: connect to the proxy by name as
 * acore_connect_host() does (family applies to the proxy's addresses),
 * then open a tunnel to host:port, then TLS if acore_tls_attach() was or
 * is called (its servername is the target's, not the proxy's).
 * handle_connect comes once the tunnel (and TLS) is up; a failure reaches
 * handle_error with the stage's error: the proxy's connect errors, or an
 * ACORE_EPROXY* value for its refusals.  One acore_set_connect_timeout()
 * covers every stage.  The strings are copied.  ACORE_PROXY_SOCKS4 and
 * ACORE_PROXY_SOCKS5 resolve host here (SOCKS4: IPv4 only), in the tunnel
 * stage; the others send the name for the proxy to resolve.  user and
 * password: HTTP Basic or SOCKS5's username/password method; SOCKS4 sends
 * user as its user id.  0 while under way, or a negative error at once
 * (-EINVAL: a bad type, a port that is not a number or service name, a
 * name too long for the protocol).
 */
enum acore_proxy_type {
	ACORE_PROXY_HTTP = 1,	/* HTTP CONNECT */
	ACORE_PROXY_SOCKS4,
	ACORE_PROXY_SOCKS4A,
	ACORE_PROXY_SOCKS5,
	ACORE_PROXY_SOCKS5H
};
struct acore_proxy {
	int		 type;		/* enum acore_proxy_type */
	const char	*host;
	const char	*port;		/* NULL: 1080 */
	const char	*user;		/* NULL: no authentication */
	const char	*password;	/* NULL: empty */
};
int	 acore_connect_proxy(struct acore_dispatcher *d,
	    const struct acore_proxy *proxy, const char *host,
	    const char *port, int family);
/*
 * The HTTP proxy's status line in answer to CONNECT ("HTTP/1.1 403
 * Forbidden"), once it came; NULL before, or without an HTTP proxy.
 */
const char *acore_proxy_status(const struct acore_dispatcher *d);
/*
 * Listen on host and port: create the socket, set SO_REUSEADDR, bind and
 * listen(backlog), on the first of host's addresses that works, IPv4 ones
 * first (asyncore's create_socket() makes an AF_INET socket).  host is a
 * numeric address, "[v6]" allowed, parsed here with no lookup; NULL, the
 * wildcard; or a name, looked up with getaddrinfo(3), which blocks: call it
 * before the loop runs.  family is AF_UNSPEC, AF_INET or AF_INET6, or
 * AF_UNIX with host the socket's path (port unused).  d must have no
 * socket yet.  0, or the error of the last address tried (an ACORE_EAI_*
 * value when host does not resolve).
 */
int	 acore_listen_host(struct acore_dispatcher *d, const char *host,
	    const char *port, int family, int backlog);
/*
 * Accept one connection: returns the new fd (non-blocking, close-on-exec)
 * and fills addr/len, or -EAGAIN when nothing is pending (asyncore's None).
 */
int	 acore_accept(struct acore_dispatcher *d, struct sockaddr_storage *addr,
	    socklen_t *len);
/*
 * Send.  On success:
 *  - plain and file channels: one send(2)/write(2); the bytes taken, 0
 *    when the socket or pipe is full;
 *  - with-send and chat channels: len; what the descriptor did not take
 *    at once is copied into the output queue and sent, in order, on later
 *    write events (a chat channel pushes buf: acore_chat_push).
 * On failure, the same for every kind, a negative errno:
 *  - -EBADF on a closed channel, no hook run;
 *  - the send failed: a disconnect (-EPIPE, -ECONNRESET, ...) has run
 *    handle_close, any other error handle_error, before the return; bytes
 *    not sent go when the channel closes;
 *  - -ENOMEM when the queue cannot grow (nothing of buf queued);
 *  - -EPIPE, no hook run, on a with-send channel after
 *    acore_shutdown_when_done().
 * Before the connect completes (ACORE_CONNECTING, or no socket yet):
 * with-send and chat channels queue it all, and it goes out once
 * connected (after handle_connect returns; on TLS, after the handshake).
 * A plain channel's send(2) gets what the socket says, until then
 * usually nothing (0): send from handle_connect on.
 */
ssize_t	 acore_send(struct acore_dispatcher *d, const void *buf, size_t len);
/*
 * One recv(2)/read(2) of at most len bytes.  0 means end of stream, and
 * handle_close has already run (asyncore's order); a disconnect also gives
 * 0 after handle_close.  -EAGAIN means nothing to read now.  Other errors
 * call handle_error and return the negative errno.
 */
ssize_t	 acore_recv(struct acore_dispatcher *d, void *buf, size_t len);
/*
 * Zero copy: acore_recv on from and acore_send on to in one, the bytes
 * never copied through user space (splice(2) through a pipe the loop
 * lends to).  to is a with-send channel; from may be the same channel
 * (an echo) or another, a socket or a file.  At most len bytes and at
 * most 256 KiB are read, in 64 KiB steps, each sent before the next is
 * read, and only when to's output queue is empty, so nothing more is
 * read than to's peer takes; what the socket does not take of a step
 * waits in the pipe as to's queued output (acore_pending counts it,
 * write events send it, acore_send queues behind it) and, while it
 * waits, to stops reading as above its high-water mark.  Both channels'
 * idle timers see the traffic.  Returns the bytes read (> 0); 0 at end of
 * from's stream or a disconnect, after from's handle_close (asyncore's
 * order; a disconnect met behind bytes moved is kept for from's next
 * acore_splice or acore_recv, which returns that 0); -EAGAIN when nothing can move now (nothing to read, to not yet
 * connected or its queue not empty); on a failure a negative errno after
 * the hook of the channel it belongs to (as acore_recv and acore_send).
 * Nothing moved and no hook run: -EOPNOTSUPP when either channel's
 * transport cannot splice (TLS, a listener, a descriptor splice(2) does
 * not read), -EMFILE or -ENFILE when no pipe can be had, -EINVAL (to not
 * with-send), -EBADF (closed), -EPIPE (to after
 * acore_shutdown_when_done()); the caller then uses acore_recv and
 * acore_send.
 */
ssize_t	 acore_splice(struct acore_dispatcher *from,
	    struct acore_dispatcher *to, size_t len);
/*
 * The program's promise: SIGPIPE is ignored for the whole process from
 * now on (this sets SIG_IGN), and stays so.  The library then no longer
 * blocks and drains SIGPIPE around each write into a pipe and each splice
 * into a socket, three system calls fewer each.  1 if SIGPIPE was
 * already ignored, 0 if not, or a negative errno.  Without it SIGPIPE is
 * never raised either, at that cost.
 */
int	 acore_ignore_sigpipe(void);
/*
 * Datagram sockets (acore_create_socket(d, family, SOCK_DGRAM)): one
 * datagram in, with the sender's address in *from (NULL: not wanted), or
 * one datagram out to to (NULL: the connected peer).  The length is the
 * datagram's (0 is an empty datagram, not an end of stream); -EAGAIN
 * means nothing to read, or no room to send now (wait for writable).
 * Other errors (-ECONNREFUSED after a send to a closed port on a
 * connected socket, -EMSGSIZE) are returned with no hook run: a datagram
 * socket has no connection to close.
 */
ssize_t	 acore_recvfrom(struct acore_dispatcher *d, void *buf, size_t len,
	    struct sockaddr_storage *from, socklen_t *fromlen);
ssize_t	 acore_sendto(struct acore_dispatcher *d, const void *buf, size_t len,
	    const struct sockaddr *to, socklen_t tolen);
/*
 * Inside handle_close: why it runs.  0 for an orderly end of stream (a
 * 0-byte recv), or the negative errno of the disconnect that caused it
 * (-ECONNRESET, -EPIPE, ...), so a tool can tell a reset from a close.
 */
int	 acore_close_reason(const struct acore_dispatcher *d);
/*
 * shutdown(2) one direction: SHUT_WR signals the end of our output;
 * SHUT_RD (or SHUT_RDWR) also stops the channel being readable, so a
 * handler that saw the peer's end of input can keep sending what it owes
 * without the end of file waking it on every pass.  On a non-socket only
 * the readable part applies.
 */
int	 acore_shutdown(struct acore_dispatcher *d, int how);
/* Close the socket and leave the map; safe anywhere, any number of times. */
void	 acore_close(struct acore_dispatcher *d);

/* The channel's descriptor (-1 without one), ACORE_* flags, and loop. */
int	 acore_fd(const struct acore_dispatcher *d);
unsigned acore_flags(const struct acore_dispatcher *d);
struct acore_loop *acore_loop_of(const struct acore_dispatcher *d);
/* Logger name: ops->name unless set here (copied). */
int	 acore_set_name(struct acore_dispatcher *d, const char *name);
const char *acore_name(const struct acore_dispatcher *d);
/* Log under the dispatcher's name. */
void	 acore_debug(const struct acore_dispatcher *d, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Close-on-idle: after secs seconds without a successful recv or send (a
 * TLS handshake's traffic counts), call handle_error(d, -ETIMEDOUT).  It
 * does not run while a TCP connect is under way (acore_set_connect_timeout
 * bounds that) and counts from the connect's completion.  0 turns it off.
 * Costs a clock read per I/O, not a timer update.
 */
int	 acore_set_timeout(struct acore_dispatcher *d, double secs);
/*
 * A deadline for becoming ready: unless, secs seconds from now, the
 * channel is connected (every address tried, as acore_connect_host does)
 * and its transport's handshake is done, call handle_error(d,
 * -ETIMEDOUT).  On an accepted channel it bounds the TLS handshake.  It
 * stands beside the idle timeout, which also counts during the handshake.
 * 0 turns it off; -EBADF on a closed channel.
 */
int	 acore_set_connect_timeout(struct acore_dispatcher *d, double secs);
/*
 * The peer is known to send at least bytes more through acore_recv (the
 * rest of a body of known length); acore_recv counts them down.  On TCP
 * the channel then wakes for bigger batches while the stream runs fast,
 * never waiting for more than that, nor long once it slows.  0, the
 * default, for unknown.  -EBADF on a closed channel, -ENOMEM.
 */
int	 acore_set_expected(struct acore_dispatcher *d, uint64_t bytes);

/* With-send and chat channels: bytes queued for output. */
size_t	 acore_pending(const struct acore_dispatcher *d);
/*
 * With-send channels: above this many queued bytes the channel stops being
 * readable until the queue drains below half of it (default 1 MiB; 0: no
 * limit), so a peer that never reads cannot grow memory without bound.
 * -EINVAL on any other kind.
 */
int	 acore_set_high_water(struct acore_dispatcher *d, size_t bytes);
/*
 * With-send channels: half-close once the queue drains.  When everything
 * queued has gone out (at once if nothing is queued and the channel is
 * connected; once connected, and on TLS once the handshake is done, if
 * not), the channel shuts down its side, acore_shutdown(d, SHUT_WR):
 * the peer reads every byte, then end of stream.  The channel stays
 * open and readable, so it still gets what the peer sends until the
 * peer's own end (handle_close).  asynchat's close_when_done, but a
 * port forwarder's half-close instead of a close.  acore_send()
 * afterwards returns -EPIPE and sends nothing.  0 (again on a second
 * call), or the error of the send or shutdown that failed (its hook has
 * run); -EINVAL on any other kind (a plain channel: acore_shutdown(d,
 * SHUT_WR); a chat channel: acore_chat_close_when_done()), -EBADF on a
 * closed channel.
 */
int	 acore_shutdown_when_done(struct acore_dispatcher *d);

/* ------------------------------------------------------------ async_chat */

/*
 * asynchat.async_chat.  Input is read ac_in_buffer_size bytes at a time and
 * split by the terminator: collect_incoming_data(data) for the bytes before
 * it, found_terminator() when it is reached.  Output goes through a queue of
 * pushed data and producers (Python 2.5's output path: one output buffer,
 * topped up from the queue, at most ac_out_buffer_size bytes per send).
 */
struct acore_dispatcher *acore_chat_new(struct acore_loop *loop,
	    const struct acore_ops *ops, void *arg);
/* Terminator: a byte string (len >= 1), a byte count, or none. */
int	 acore_chat_set_terminator(struct acore_dispatcher *d,
	    const void *term, size_t len);
int	 acore_chat_set_terminator_count(struct acore_dispatcher *d,
	    size_t count);
int	 acore_chat_set_terminator_none(struct acore_dispatcher *d);
/* Kind of the current terminator and, for a count, what is left of it. */
#define ACORE_TERM_NONE		0
#define ACORE_TERM_STRING	1
#define ACORE_TERM_COUNT	2
int	 acore_chat_get_terminator(const struct acore_dispatcher *d,
	    size_t *count);
/*
 * Queue a copy of buf for sending and try to send at once (only once
 * connected).  0, or a negative errno as for acore_send(): -EBADF on a
 * closed channel, the error of a send that failed (its hook has run),
 * -ENOMEM.  The chat_* calls return -EINVAL on a channel not made by
 * acore_chat_new().
 */
int	 acore_chat_push(struct acore_dispatcher *d, const void *buf,
	    size_t len);

/*
 * A producer hands out its data piece by piece.  more() points *data at
 * the next piece (valid until the next call) and returns its length; 0
 * means exhausted.  free() (may be NULL) runs once the producer is done
 * or discarded.
 */
struct acore_producer_ops {
	size_t	(*more)(void *arg, const void **data);
	void	(*free)(void *arg);
};
/* Queue a producer; the queue owns arg from now on (freed via ops->free). */
int	 acore_chat_push_with_producer(struct acore_dispatcher *d,
	    const struct acore_producer_ops *ops, void *arg);
/*
 * Send what is queued, then close through handle_close (reason 0; the
 * default closes); nothing pushed afterwards is sent.  -EBADF when the
 * channel is already closed.
 */
int	 acore_chat_close_when_done(struct acore_dispatcher *d);
/* Drop buffered input and all queued output. */
int	 acore_chat_discard_buffers(struct acore_dispatcher *d);
/* ac_in_buffer_size / ac_out_buffer_size (default 65536 each). */
int	 acore_chat_set_buffer_sizes(struct acore_dispatcher *d, size_t in,
	    size_t out);
/*
 * Bound on the bytes collected since the last found_terminator while the
 * terminator is a string (data is handed on as it arrives, so the buffer
 * itself stays within ac_in_buffer_size); past it the channel gets
 * handle_error(d, -EMSGSIZE) and the rest of that read is dropped.
 * Default 1 MiB; 0: no limit.  Count and none terminators are not limited.
 */
int	 acore_chat_set_max_input(struct acore_dispatcher *d, size_t bytes);

/*
 * asynchat.simple_producer: _new copies data and hands it out in pieces of
 * at most piece bytes through _more (the producer more() contract); _free
 * releases it.  NULL with errno set when out of memory.
 */
struct acore_simple_producer;
struct acore_simple_producer *acore_simple_producer_new(const void *data,
	    size_t len, size_t piece);
size_t	 acore_simple_producer_more(void *p, const void **data);
void	 acore_simple_producer_free(void *p);
/* The ops for pushing a simple producer as it is. */
extern const struct acore_producer_ops acore_simple_producer_ops;

/* ------------------------------------------------------------------- TLS */

/*
 * A TLS configuration (an OpenSSL SSL_CTX), shared by any number of
 * channels.  Clients verify the server's chain and host name by default,
 * against the system store unless acore_tls_set_ca() names trust anchors.
 * NULL with errno set on failure.
 */
struct acore_tls;
struct acore_tls *acore_tls_new(int server);
/* Drop the caller's reference; channels using it keep theirs. */
void	 acore_tls_free(struct acore_tls *cfg);
/* Client: trust these CAs (a PEM file, an OpenSSL hashed directory). */
int	 acore_tls_set_ca(struct acore_tls *cfg, const char *file,
	    const char *dir);
/* Client: 0 turns verification of chain and name off (insecure). */
int	 acore_tls_set_verify(struct acore_tls *cfg, int on);
/* Server: certificate chain and key, PEM (key NULL: in the chain file). */
int	 acore_tls_set_cert(struct acore_tls *cfg, const char *chain,
	    const char *key);
/*
 * Ciphers, in OpenSSL's syntax: list for TLS 1.2 ("ECDHE+AESGCM"), suites
 * for TLS 1.3 ("TLS_AES_256_GCM_SHA384:..."); NULL keeps that one.  The
 * default is OpenSSL's set with AES-128-GCM first.  -EINVAL when a list
 * is empty or names no cipher OpenSSL knows: that list is not set (list
 * is, when only suites was bad).
 */
int	 acore_tls_set_ciphers(struct acore_tls *cfg, const char *list,
	    const char *suites);
/* ALPN names, comma-separated ("h2,http/1.1"): offered, or accepted. */
int	 acore_tls_set_alpn(struct acore_tls *cfg, const char *list);
/*
 * Put a socket channel on TLS, over whatever it already runs on (a socket,
 * or a proxy tunnel: TLS then runs through it to the target).  A client
 * calls it before connecting (or on a connected socket); servername is sent as SNI and checked against the
 * certificate (an IP address is checked as one, without SNI).  A server
 * calls it on an accepted channel right after acore_set_socket().  The
 * handshake runs in the loop; handle_connect (client) and handle_read
 * (server) come after it, and a failure reaches handle_error with an
 * ACORE_ETLS* value.  Closing sends close_notify; an end of stream without
 * one gives handle_close with acore_close_reason() ACORE_ETLS_TRUNCATED.
 */
int	 acore_tls_attach(struct acore_dispatcher *d, struct acore_tls *cfg,
	    const char *servername);
/* 1 once the channel's handshake is complete, else 0. */
int	 acore_tls_established(const struct acore_dispatcher *d);
/* Negotiated protocol ("TLSv1.3") and cipher; NULL before the handshake. */
const char *acore_tls_protocol(const struct acore_dispatcher *d);
const char *acore_tls_cipher(const struct acore_dispatcher *d);
/* Negotiated ALPN name (not NUL-terminated) and its length; 0: none. */
size_t	 acore_tls_alpn(const struct acore_dispatcher *d, const char **proto);

#ifdef __cplusplus
}
#endif

#endif /* ACORE_H */
