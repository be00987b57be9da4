/*
 * acore-internal.h: layouts and acore__ helpers shared by the library sources.
 * Not installed; nothing here is part of the API.
 */
#ifndef ACORE_INTERNAL_H
#define ACORE_INTERNAL_H

#include <sys/queue.h>
#include <sys/time.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>

#include <event2/event.h>

#include "acore.h"

/* The channel classes: how output is queued (the transport is apart). */
enum acore_kind {
	ACORE_KIND_PLAIN,
	ACORE_KIND_WITH_SEND,
	ACORE_KIND_CHAT
};

struct acore_dispatcher;

/*
 * A transport: how a channel moves bytes, in the style of Redis's
 * ConnectionType.  Everything above it (acore_recv, acore_send, with-send,
 * chat, the connect path) calls these and never asks which transport it
 * holds.  Transports stack, as curl's connection filters do: a layer reads
 * and writes through the one below it (struct acore_layer in its ctx), down
 * to the socket, so TLS runs over a socket or over a proxy tunnel alike.
 * Every slot gets the layer's own ctx (the top layer's is d->tp_ctx).
 *
 * read and write return the bytes moved (> 0), 0 for end of stream (read
 * only), -EAGAIN for "nothing now", or another negative error; the caller
 * applies asyncore's close/error rules, not the transport.  A transport
 * never writes the dispatcher's fields: it asks for the readiness it needs
 * through acore__transport_wait().  Optional slots are NULL where they mean
 * nothing.
 */
struct acore_transport {
	const char *name;
	ssize_t	(*read)(struct acore_dispatcher *, void *ctx, void *buf,
		    size_t len);
	ssize_t	(*write)(struct acore_dispatcher *, void *ctx, const void *buf,
		    size_t len);
	/* Datagrams: one datagram with its peer's address. */
	ssize_t	(*read_from)(struct acore_dispatcher *, void *ctx, void *buf,
		    size_t len, struct sockaddr *sa, socklen_t *salen);
	ssize_t	(*write_to)(struct acore_dispatcher *, void *ctx,
		    const void *buf, size_t len, const struct sockaddr *sa,
		    socklen_t salen);
	int	(*shutdown)(struct acore_dispatcher *, void *ctx, int how);
	/*
	 * Bytes the transport already holds, which the descriptor will not
	 * signal again: while non-zero the channel is dispatched as ready.
	 */
	size_t	(*pending)(const struct acore_dispatcher *, const void *ctx);
	/*
	 * Bytes this layer has read from below and not yet handed up,
	 * whole records or not (acore_set_expected keeps its SO_RCVLOWAT
	 * under what is still to come on the socket).
	 */
	size_t	(*held)(const struct acore_dispatcher *, const void *ctx);
	/*
	 * The layer's own set-up once the descriptor is connected (a proxy
	 * tunnel, a TLS handshake), run again on each event while it answers
	 * -EAGAIN; the hooks wait.  A layer runs the one below it first
	 * (acore__layer_handshake).  0 done, -EAGAIN under way, or a
	 * negative error.
	 */
	int	(*handshake)(struct acore_dispatcher *, void *ctx);
	/*
	 * Whether a read error of this transport (or one below it) ends the
	 * stream as a reset does (handle_close) rather than being an error
	 * (handle_error): a TLS stream cut without close_notify.
	 */
	int	(*is_cut)(int err);
	/* End the connection and close the descriptor, ready to connect
	 * again (acore_connect_host tries the next address). */
	void	(*close)(struct acore_dispatcher *, void *ctx);
	/* Release ctx (and the layers below it) when the channel is freed. */
	void	(*free)(struct acore_dispatcher *, void *ctx);
	/* The layer below this one, NULL for the bottom. */
	struct acore_layer *(*lower)(void *ctx);
};

/* One layer of a transport stack: the socket's has a NULL ctx. */
struct acore_layer {
	const struct acore_transport	*tp;
	void				*ctx;
};

extern const struct acore_transport acore__socket_transport;
extern const struct acore_transport acore__file_transport;

/* A growable byte queue: bytes live in data[head, head + len). */
struct acore_buf {
	char	*data;
	size_t	 head;
	size_t	 len;
	size_t	 cap;
};

struct acore_chat;
struct acore_connect;
struct acore_lowat;

/*
 * Bits of acore_dispatcher.fired besides libevent's EV_READ and EV_WRITE:
 * urgent data, a poll-mode hang-up, and "listed in loop->fired".
 */
#define ACORE__EV_EXPT		0x0100
#define ACORE__EV_HUP		0x0200
#define ACORE__EV_LISTED	0x0400

/* acore_dispatcher.xstate: its place in the loop's epoll set (expt.c). */
#define ACORE__X_REG		0x01	/* registered */
#define ACORE__X_PRI		0x02	/* with EPOLLPRI interest */
#define ACORE__X_MUTED		0x04	/* hung up: no more urgent data */

/*
 * What few channels use, allocated the first time one of them is set
 * (acore__rare): a name, the time limits, a connect in progress, a source
 * address, SO_REUSEPORT, a file's flags, a high-water mark of its own.  An
 * idle accepted channel holds none of it, so it stays one allocation of
 * well under 300 bytes with its event: bytes per idle connection are the
 * library's first promise (issue 23).
 */
struct acore_rare {
	char			*name;		/* NULL: ops->name */
	struct event		*idle_ev;	/* idle and ready_by (idle.c) */
	double			 idle_secs;
	double			 last_io;
	double			 ready_by;	/* connect deadline; 0: none */
	struct acore_connect	*conn;		/* acore_connect_host state */
	struct acore_lowat	*lw;		/* acore_set_expected (lowat.c) */
	struct sockaddr_storage	*source;	/* acore_set_source; NULL: any */
	size_t			 high_water;	/* with-send */
	socklen_t		 source_len;
	int			 saved_flags;
	uint8_t			 stage;		/* enum acore_stage of the connect */	/* file: fcntl flags to restore */
	uint8_t			 reuse_port;	/* acore_set_reuse_port before listen */
};

/*
 * A channel.  Ordered so the small fields share words: 152 bytes on LP64,
 * which with libevent's 128-byte event is a 288-byte malloc chunk.
 */
struct acore_dispatcher {
	struct acore_loop	*loop;
	const struct acore_ops	*ops;
	void			*arg;
	/* transport */
	const struct acore_transport *tp;
	void			*tp_ctx;
	struct acore_rare	*x;		/* NULL until needed */
	uint64_t		 seq;		/* map order */
	int			 fd;
	int			 close_reason;	/* 0: EOF, or -errno of a disconnect */
	uint8_t			 kind;		/* enum acore_kind */
	uint8_t			 flags;		/* ACORE_CONNECTED, ... */
	uint8_t			 polled;	/* has readable/writable hooks */
	uint8_t			 always_ready;	/* regular file, /dev/null */
	short			 want;		/* EV_READ|EV_WRITE registered */
	short			 fired;		/* readiness seen this pass */
	/*
	 * Non-zero: the transport waits for this readiness (EV_READ or
	 * EV_WRITE) whatever the hooks want, and when it comes the channel
	 * gets tp_resume instead (an SSL_read that wants to write).
	 */
	short			 tp_want;
	short			 tp_resume;
	uint8_t			 handshaking;	/* tp->handshake under way */
	uint8_t			 xstate;	/* ACORE__X_*: the expt epoll set */
	uint8_t			 badf;		/* fd closed behind our back */
	uint8_t			 paused;	/* with-send: reading stopped by high water */
	uint8_t			 shut_wr;	/* ACORE__SHUT_*: shutdown_when_done */
	uint8_t			 cut;		/* errno acore_splice met behind bytes, owed */
	uint32_t		 pipe;		/* with-send: loop->pipes index + 1 */
	TAILQ_ENTRY(acore_dispatcher) map_link;
	/*
	 * A closed channel has left the polled list (acore_close moves
	 * loop->scan_next past it first), so the link's room holds its
	 * place on the free list.
	 */
	union {
		TAILQ_ENTRY(acore_dispatcher) poll_link; /* polled only */
		struct acore_dispatcher *free_next; /* closed, awaiting free */
	};
	/* The kind's output state: never both (kind is fixed at creation). */
	union {
		struct acore_buf	 out;	/* with-send output queue */
		struct acore_chat	*chat;	/* chat */
	};

	/* struct event for the descriptor follows (event_get_struct_event_size) */
};

struct acore_loop {
	struct event_base	*base;
	struct event		*pass_timer;
	TAILQ_HEAD(, acore_dispatcher) map;
	TAILQ_HEAD(, acore_dispatcher) polled;
	size_t			 n;
	uint64_t		 next_seq;
	struct acore_dispatcher	**fired;	/* ready this pass */
	size_t			 nfired;
	size_t			 fired_cap;
	struct acore_dispatcher	*free_list;
	struct acore_dispatcher	*scan_next;	/* next polled channel to ask */
	/* Always-ready channels with a descriptor: activated by hand each pass. */
	struct acore_dispatcher	**ready;
	size_t			 nready;
	size_t			 ready_cap;
	int			 stop;
	int			 in_pass;
	int			 use_poll;	/* asyncore's use_poll=True */
	int			 timer_fired;	/* the pass timer ended the wait */
	int			 woke;		/* a timer or signal hook ran */
	size_t			 nbad;		/* channels with badf (select mode) */
	size_t			 nwatch;	/* channels with want != 0 */
	int			 sweep_fd;	/* timerfd: once a second */
	struct event		*sweep_ev;	/* libevent's read event on it */
	int			 sweep_due;	/* it fired since the last sweep */
	/* Urgent data and poll-mode hang-ups (expt.c). */
	int			 xfd;		/* epoll descriptor, -1 until used */
	struct event		*xev;		/* libevent's read event on it */
	size_t			 nxreg;		/* channels registered in it */
	/* chat.c's read buffer, shared by the loop's chat channels */
	char			*chat_scratch;
	size_t			 chat_scratch_cap;
	struct evdns_base	*dns;
	/* Closed TLS sockets waiting for the peer's end (linger.c). */
	LIST_HEAD(, acore_linger) lingering;
	size_t			 nlinger;
	int			 inner_wake;	/* only such an event ran */
	int			 freeing;	/* acore_loop_free: no lingering */
	/* acore_splice's pipes (splice.c); a channel holds one while it waits. */
	struct acore_pipe	*pipes;
	uint32_t		 npipes;
	uint32_t		 pipe_free;	/* index + 1 of a free slot; 0: none */
	uint32_t		 nkept;		/* empty pipes kept open */
};

/* acore_dispatcher.shut_wr: SHUT_WR asked for once the queue drains; done. */
#define ACORE__SHUT_ASKED	1
#define ACORE__SHUT_DONE	2

/* The descriptor's event lives right after the dispatcher (one allocation). */
static inline struct event *
acore__ev(struct acore_dispatcher *d)
{
	return (struct event *)(d + 1);
}

/* rare.c: d->x, allocated on first use (NULL: out of memory). */
#define ACORE__HIGH_WATER	(1024 * 1024)	/* with-send default */
struct acore_rare *acore__rare(struct acore_dispatcher *d);
void	 acore__rare_free(struct acore_dispatcher *d);

/* lowat.c: acore_set_expected's SO_RCVLOWAT. */
void	 acore__lowat_read(struct acore_dispatcher *d, size_t n);
void	 acore__lowat_stop(struct acore_dispatcher *d);
void	 acore__lowat_free(struct acore_dispatcher *d);

static inline struct acore_connect *
acore__conn(const struct acore_dispatcher *d)
{
	return d->x != NULL ? d->x->conn : NULL;
}

static inline size_t
acore__high_water(const struct acore_dispatcher *d)
{
	return d->x != NULL ? d->x->high_water : ACORE__HIGH_WATER;
}

/* The error a read met after acore_splice had moved bytes: told once. */
static inline int
acore__take_cut(struct acore_dispatcher *d)
{
	int err = d->cut;

	d->cut = 0;
	return err;
}

/* splice.c: a with-send channel's output queued in a pipe (acore_splice) */
size_t	 acore__piped(const struct acore_dispatcher *d);
int	 acore__pipe_flush(struct acore_dispatcher *d);
int	 acore__pipe_unsplice(struct acore_dispatcher *d);
void	 acore__pipe_drop(struct acore_dispatcher *d);
void	 acore__pipes_free(struct acore_loop *loop);

/* linger.c */
struct acore_linger;
void	 acore__linger_close(struct acore_loop *loop, int fd);
void	 acore__linger_drain(struct acore_loop *loop);
void	 acore__linger_free(struct acore_loop *loop);

/* dispatcher.c */
struct acore_dispatcher *acore__dispatcher_new(struct acore_loop *loop,
	    enum acore_kind kind, const struct acore_ops *ops, void *arg);
int	 acore__attach_fd(struct acore_dispatcher *d, int fd);
void	 acore__detach_fd(struct acore_dispatcher *d);
void	 acore__set_interest(struct acore_dispatcher *d, short what);
void	 acore__unwatch(struct acore_dispatcher *d);
void	 acore__transport_wait(struct acore_dispatcher *d, short need,
	    short resume);
void	 acore__sync(struct acore_dispatcher *d);
void	 acore__fire(struct acore_dispatcher *d, short what);
void	 acore__handle_read_event(struct acore_dispatcher *d);
void	 acore__handle_write_event(struct acore_dispatcher *d);
void	 acore__handle_close(struct acore_dispatcher *d, int reason);
void	 acore__handle_error(struct acore_dispatcher *d, int err);
void	 acore__release(struct acore_dispatcher *d);
void	 acore__touch(struct acore_dispatcher *d);
void	 acore__ready(struct acore_dispatcher *d);
void	 acore__link_up(struct acore_dispatcher *d);
void	 acore__kick_pending(struct acore_dispatcher *d);
void	 acore__start_handshake(struct acore_dispatcher *d, short first);
int	 acore__default_readable(struct acore_dispatcher *d);
int	 acore__default_writable(struct acore_dispatcher *d);
int	 acore__is_disconnect(int err);
void	 acore__handle_expt_event(struct acore_dispatcher *d);
void	 acore__handle_hup_event(struct acore_dispatcher *d);
int	 acore__hup_has_input(struct acore_dispatcher *d);
void	 acore__fd_lost(struct acore_dispatcher *d);
void	 acore__unhandled(struct acore_dispatcher *d, const char *event);

/* expt.c */
int	 acore__expt_hooked(const struct acore_dispatcher *d);
void	 acore__expt_update(struct acore_dispatcher *d);
void	 acore__expt_drop(struct acore_dispatcher *d);
void	 acore__expt_free(struct acore_loop *loop);

/* loop.c */
struct acore_loop *acore__loop(struct acore_loop *loop);
void	 acore__flush_free(struct acore_loop *loop);
/* secs as a timeval for libevent, written into *tv; returns tv. */
static inline struct timeval *
acore__timeval(struct timeval *tv, double secs)
{
	tv->tv_sec = (time_t)secs;
	tv->tv_usec = (suseconds_t)((secs - (double)tv->tv_sec) * 1e6);
	return tv;
}

/* sendbuf.c: the byte queue and the with-send flush */
int	 acore__buf_append(struct acore_buf *b, const void *p, size_t len);
void	 acore__buf_consume(struct acore_buf *b, size_t len);
void	 acore__buf_free(struct acore_buf *b);
int	 acore__with_send_flush(struct acore_dispatcher *d);
ssize_t	 acore__send_raw(struct acore_dispatcher *d, const void *buf,
	    size_t len);

/* resolve.c */
int	 acore__numeric_addr(const char *host, const char *port, int family,
	    int passive, struct addrinfo **res);
int	 acore__connect_next(struct acore_dispatcher *d, int err);
void	 acore__connect_free(struct acore_dispatcher *d);

/* transport.c: layers (a handshake of a layer, and what it holds below) */
int	 acore__layer_handshake(struct acore_dispatcher *d,
	    struct acore_layer *l);
int	 acore__layer_is_cut(const struct acore_layer *l, int err);
size_t	 acore__layer_pending(const struct acore_dispatcher *d,
	    const struct acore_layer *l);
void	 acore__set_stage(struct acore_dispatcher *d, int stage);

/* proxy.c */
const char *acore__proxy_strerror(int err);

/* transport.c: write(2) that never raises SIGPIPE (-1 and errno EPIPE). */
ssize_t	 acore__write_nosigpipe(int fd, const void *buf, size_t len);
/* Around a call that may raise SIGPIPE: block it, then swallow ours. */
struct acore__sigpipe {
	sigset_t	 old;
	int		 was_pending;
	int		 skip;		/* acore_ignore_sigpipe was called */
};
void	 acore__sigpipe_block(struct acore__sigpipe *s);
void	 acore__sigpipe_restore(struct acore__sigpipe *s, ssize_t n);
/* sigpipe.c: acore_ignore_sigpipe() was called (relaxed atomic). */
int	 acore__sigpipe_ignored(void);

/* file.c */
int	 acore__file_open(int fd, int *saved_flags, int *always_ready);
void	 acore__file_restore(int fd, int saved_flags);

/* net.c */
int	 acore__socket(int family, int type);
int	 acore__set_nonblock_cloexec(int fd);
struct sockaddr_un;
int	 acore__unix_addr(const char *path, struct sockaddr_un *sun);

/* chat.c */
void	 acore__chat_free(struct acore_chat *c);
void	 acore__chat_handle_read(struct acore_dispatcher *d);
void	 acore__chat_handle_write(struct acore_dispatcher *d);
int	 acore__chat_readable(struct acore_dispatcher *d);
int	 acore__chat_writable(struct acore_dispatcher *d);
void	 acore__chat_connected(struct acore_dispatcher *d);
size_t	 acore__chat_pending(const struct acore_dispatcher *d);

/* log.c */
void	 acore__log_init(void);
void	 acore__vlog(int level, const char *name, const char *fmt,
	    va_list ap);

#endif /* ACORE_INTERNAL_H */
