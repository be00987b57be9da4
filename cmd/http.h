/*
 * http.h: what the http-*.c files of acore http-get share.  Not a library:
 * one fetch run (struct hg) owns its jobs, connections and outputs.
 *
 *  http-get.c	 the job queue, scheduling, the loop, exit status
 *  http-opts.c	 the command line
 *  http-req.c	 the request (struct hg_req): every value that reaches
 *		 it is checked here
 *  http-auth.c	 credentials (-u, --digest, --netrc), cookies (-b, -c),
 *		 the Referer (-e)
 *  http-conn.c	 a connection: an HttpClient dispatcher reused by jobs,
 *		 whatever protocol it speaks (connect, TLS, timers, reuse)
 *  http-h1.c	 HTTP/1.x on a connection (struct hg_proto hg_h1)
 *  http-resp.c	 a response head (struct hg_head) and body on their way
 *		 to the job's output, whatever protocol carried them
 *  http-retry.c --retry, -C -, and -w: what a response means for its job
 *  http-out.c	 where bodies go: stdout in argument order, files renamed
 *		 into place on success, the progress meter
 *  http-file.c	 which file -o replaces (symlinks followed), what it keeps
 *  http-data.c	 the request body options: -d family, --json, -F, -T, -G, -X
 *  http-body.c	 request bodies: assembled once, read by each request
 *  http-send.c	 an HTTP/1.x body after its head (Expect: 100-continue)
 *
 * The protocol seam.  A job's request is a struct hg_req (method, scheme,
 * authority, target, fields, and a body source), built by http-req.c
 * and put on the wire by the connection's protocol.  Each protocol is a
 * struct hg_proto, an ops table: submit a job, say how many more jobs it
 * can take (capacity: HTTP/1 one at a time; a multiplexing protocol as
 * many as its peer allows), take bytes read, write, end of stream.  What
 * comes back is a struct hg_head (status, version, fields by name or in
 * order) and body bytes, handed to http-resp.c, which applies the
 * verdict (redirect, retry, -f, -C -, --compressed) and writes the
 * output.  http-get.c schedules a waiting job onto a connection of its
 * origin with capacity left before it opens a new one.
 *
 * The wire format of HTTP/1 (response parser, fields, URLs,
 * gzip/deflate) is libahttp in ../http/, included here as "ahttp.h".
 */
#ifndef ACORE_HTTP_H
#define ACORE_HTTP_H

#include <sys/queue.h>
#include <sys/types.h>
#include <getopt.h>
#include <stdint.h>

#include "ahttp.h"

struct acore_loop;
struct acore_dispatcher;
struct acore_timer;
struct acore_tls;

/* --------------------------------------------------------------- options */

/* Connect limit, TLS handshake included, without --connect-timeout (curl's). */
#define HG_CONNECT_SECS	300

struct hg_opts {
	int		 http10;	/* --http1.0: the bare request */
	int		 http2;		/* -1 --http1.1, 0 h2 by ALPN on https,
					   1 --http2, 2 --http2-prior-knowledge */
	int		 absolute;	/* --absolute-form */
	int		 raw;		/* --raw: bytes as received */
	int		 show_reads;	/* --show-reads: print(recv()) */
	int		 summary;	/* --summary: "URL got N bytes" */
	int		 include;	/* -i: header blocks too */
	int		 fail;		/* HTTP >= 400 is an error */
	int		 follow;	/* -L */
	int		 trusted;	/* --location-trusted */
	int		 max_redirs;
	int		 loop_counter;	/* --loop-counter */
	int		 progress;	/* -1 never, 0 tty, 1 always */
	int		 remote_name;	/* -O */
	int		 family;	/* -4, -6: AF_INET, AF_INET6 */
	int		 silent;	/* -s: no meter, no error lines */
	int		 show_error;	/* -S: errors even with -s */
	int		 head;		/* -I: HEAD, print the head */
	int		 resume;	/* -C -: continue an -o file */
	int		 compressed;	/* --compressed */
	int		 retry;		/* --retry N */
	double		 retry_delay;	/* --retry-delay; 0: backoff */
	const char	*write_out;	/* -w FORMAT */
	size_t		 chunk;		/* recv size */
	long		 parallel;	/* -Z, --parallel-max */
	long		 host_conns;	/* --max-host-conns */
	double		 connect_timeout;
	double		 max_time;
	const char	*user_agent;	/* NULL: none */
	const char	*cacert;	/* --cacert */
	const char	*capath;	/* --capath */
	const char	*ciphers;	/* --ciphers: TLS 1.2 */
	const char	*tls13_ciphers;	/* --tls13-ciphers */
	int		 insecure;	/* -k */
	char		**headers;	/* -H, "Name: value" */
	int		 nheaders;
	char		*range;		/* -r: "bytes=SPEC" (malloc'ed) */
	const char	*unix_socket;	/* --unix-socket PATH */
	size_t		 limit_rate;	/* --limit-rate: bytes/s; 0 none */
	struct hg_resolve *resolve;	/* --resolve, in order given */
	size_t		 nresolve;
	struct hg_upload *upload;	/* -d, --json, -F, -T, -G, -X */
	/* http-auth.c */
	const char	*userpwd;	/* -u USER[:PASSWORD] */
	int		 digest;	/* --digest: else Basic */
	int		 netrc;		/* --netrc, --netrc-file */
	const char	*netrc_file;
	char		**cookies;	/* -b, each "n=v; ..." or a file */
	int		 ncookies;
	const char	*cookie_jar;	/* -c FILE */
	const char	*referer;	/* -e, without ";auto" */
	int		 referer_auto;	/* -e ...;auto */
	struct hg_auth	*auth;		/* the run's state (http-auth.c) */
	const char	*proxy;		/* -x; NULL: the environment's */
	const char	*proxy_user;	/* -U USER[:PASSWORD] */
	const char	*noproxy;	/* --noproxy; NULL: no_proxy's */
};

/* --resolve HOST:PORT:ADDR[,ADDR]...: the addresses, numeric, in order. */
struct hg_resolve {
	char		*host;
	char		*port;
	char		**addrs;
	size_t		 naddrs;
};
/* http-route.c: add one (0, or -1: not that syntax); find; free all. */
int	 hg_resolve_add(struct hg_opts *, const char *arg);
const struct hg_resolve *hg_resolve_find(const struct hg_opts *,
	    const char *host, const char *port);
void	 hg_resolve_free_all(struct hg_opts *);

/* ------------------------------------------------------------------ jobs */

struct hg_host;
struct hg_out;
struct hg_writer;
struct hg_upload;
struct hg_body;

/* One URL of the command line, through all its redirects. */
struct hg_job {
	const char	*arg;		/* the URL as typed */
	char		*url;		/* now fetched; logger name */
	struct ahttp_url	 u;
	struct ahttp_url	 first;	/* u before the first redirect */
	struct hg_host	*host;
	struct hg_out	*out;
	char		*file;		/* -o, -O; NULL: stdout */
	size_t		 seq;		/* argument order */
	int		 redirects;
	int		 retries;	/* --retry attempts made */
	int		 status;	/* last HTTP status */
	int		 version;	/* of that response: 10, 11, 20 */
	int		 result;	/* AC_EXIT_* once done */
	int		 active;	/* on a connection */
	int		 done;
	int		 emitted;	/* body bytes went to stdout */
	double		 delay;		/* wait before next attempt */
	double		 retry_after;	/* the server's Retry-After, or -1 */
	int64_t		 resume_from;	/* -C -: bytes already in the file */
	int		 append;	/* 206 accepted: append to the file */
	double		 start;		/* first taken (monotonic) */
	uint64_t	 wire;		/* bytes received, headers too */
	uint64_t	 body;		/* body bytes, last response */
	struct hg_out	*wout;		/* -w text for a file job */
	/* -w: the last request's connection and response */
	char		 remote_ip[112]; /* numeric, or the Unix socket's
					   path as curl; "" when none */
	int		 remote_port;
	char		*content_type;	/* its Content-Type, malloc'ed */
	double		 t_lookup;	/* acore_now() when its name was */
	double		 t_connect;	/* resolved, connected, TLS done, */
	double		 t_app;		/* the head arrived; 0: not (yet) */
	double		 t_first;
	struct hg_body	*rbody;		/* its request body, once sent */
	int		 to_get;	/* a redirect made it a GET */
	int		 no_expect;	/* a 417: no Expect: 100-continue */
	struct ahttp_digest digest;	/* --digest: the server's challenge */
	int		 auth_tries;	/* 401s answered */
	char		*prev_url;	/* before the last redirect (-e ;auto) */
	TAILQ_ENTRY(hg_job) q;		/* run queue */
	TAILQ_ENTRY(hg_job) hq;		/* its host's queue */
};
TAILQ_HEAD(hg_jobq, hg_job);

struct hg_proxy;

/* Jobs waiting for a connection to host:port (through proxy). */
struct hg_host {
	char		*host;
	char		*port;
	int		 tls;		/* https: its own connections */
	const struct hg_proxy *proxy;	/* NULL: direct */
	struct hg_jobq	 pending;
	long		 nconns;	/* open connections */
	struct hg_host	*next;
};

struct hg_conn;
TAILQ_HEAD(hg_connq, hg_conn);

/* The whole run. */
struct hg {
	struct hg_opts	 o;
	struct acore_loop *loop;
	struct acore_tls *tls;		/* for https://, made on first use */
	int		 alpn_set;	/* its ALPN list is set */
	struct hg_job	*jobs;
	size_t		 njobs;
	struct hg_jobq	 queue;		/* waiting to be sent */
	struct hg_host	*hosts;
	struct hg_proxy	*proxies;	/* http-proxy.c */
	struct hg_connq	 conns;
	long		 active;	/* jobs on a connection */
	char		*buf;		/* one recv buffer for all */
	struct hg_writer *writer;
	struct acore_timer *progress;
	int		 scheduling;
	int		 aborted;	/* AC_EXIT_* that stopped all */
};

/* http-opts.c: the command line; 0, or an exit status */
#define HG_OPTSTRING	":046A:b:c:C:d:e:fF:GH:iIkLm:no:Or:sST:u:U:vw:x:X:Z::"
extern const struct option hg_longopts[];
extern const char hg_options_help[];	/* --help: a line per option */
int	 hg_parse_options(int argc, char **argv, struct hg_opts *o,
	    char ***files, int *nfiles);

/* ------------------------------------------------------------- requests */

/* One request header field (not NUL-terminated: use the lengths). */
struct hg_field {
	const char	*name;
	size_t		 namelen;
	const char	*value;
	size_t		 valuelen;
};

/* A request body source: cmd/http-body.c.  NULL: the request has none. */
struct hg_body;

/*
 * A request, whatever protocol carries it.  The strings point into the
 * options, the job's URL and range[]: valid while the job's URL stays.
 * fields are in wire order and include Host (HTTP/1's name for the
 * authority; another protocol maps it) and Connection when the request
 * says close; a protocol drops what it has no use for.
 */
struct hg_req {
	const char	*method;	/* "GET", "HEAD", "POST", -X ... */
	const char	*scheme;	/* "http", "https" */
	const char	*authority;	/* host[:port], brackets kept */
	const char	*target;	/* origin form; absolute with
					   --absolute-form */
	int		 minor;		/* HTTP/1.minor (--http1.0: 0) */
	int		 close;		/* asks the server to close after it */
	struct hg_field	*fields;
	size_t		 nfields;
	struct hg_body	*body;		/* the job's, or NULL: none */
	int		 expect;	/* asks for 100 Continue first */
	char		*auth;		/* Authorization value (owned) */
	char		*cookie;	/* Cookie value (owned) */
	const char	*referer;
	char		 range[48];	/* the Range value's storage */
	char		 length[24];	/* the Content-Length value's */
};

/* http-req.c: the request */
/* 1 when s may go into a request line or field value (no CR, LF, NUL...). */
int	 hg_value_ok(const char *s);
/* 1 when s is a byte-range-set (RFC 9110 14.1.1): -r's syntax. */
int	 hg_range_ok(const char *s);
/*
 * The request for job j into *r, asking the server to close after it
 * when close is set: 0, -EINVAL when a value failed the check, or
 * -ENOMEM.  r->close says whether the request asks for the close (it
 * also does with HTTP/1.0).  Free with hg_req_free().
 */
int	 hg_request(const struct hg_opts *o, struct hg_job *j,
	    int close, struct hg_req *r);
void	 hg_req_free(struct hg_req *r);
/* Why hg_request() (or a submit) failed with rc for j; *result its exit. */
const char *hg_req_error(const struct hg_job *j, int rc, int *result);

/* ------------------------------------------------------------ responses */

/*
 * A response head, whatever protocol brought it: the status, the
 * version, the fields.  next() iterates them (*pos starts at 0; 0 after
 * the last), over the protocol's own storage (src).
 */
struct hg_head {
	int		 status;
	int		 version;	/* 10, 11, 20 */
	const char	*reason;	/* not NUL-terminated; HTTP/2: none */
	size_t		 reasonlen;
	int64_t		 length;	/* body size when known, else -1 */
	int		(*next)(const struct hg_head *, size_t *pos,
			    struct ahttp_field *);
	const void	*src;
};
/* http-resp.c: the first field called name (any case), or NULL. */
const char *hg_head_get(const struct hg_head *, const char *name,
	    size_t *len);
/* Every field called name as one list, as ahttp_get_list(). */
size_t	 hg_head_list(const struct hg_head *, const char *name, char *buf,
	    size_t size);

/* http-retry.c */

/* What a final response (status >= 200) means for its job. */
struct hg_verdict {
	char	*location;	/* -L: where to go next (malloc'ed) */
	int	 discard;	/* its body is not written */
	int	 result;	/* AC_EXIT_* once the response is complete */
	char	 msg[192];	/* why, when result is not AC_EXIT_OK */
	int	 again;		/* send it again (a Digest challenge) */
	const char *coding;	/* --compressed: Content-Encoding to undo */
	size_t	 codinglen;
	char	 codings[256];	/* all its fields, as one list */
};
/* Fill v for j from the response head h; 0 or -ENOMEM. */
int	 hg_verdict(struct hg *, struct hg_job *, const struct hg_head *,
	    struct hg_verdict *);
/* -C -: bytes already in j's file (0 when none); sets j->resume_from. */
void	 hg_resume_point(struct hg *, struct hg_job *);
/*
 * A failure of j: 1 when it is sent again (after j->delay seconds), -1
 * when it would be but its body cannot be sent again.
 */
int	 hg_retry_wanted(struct hg *, struct hg_job *, int result,
	    const char *msg);
/* -w: check FORMAT (0, or -1 with *why); write it out for j. */
int	 hg_write_out_check(const char *fmt, const char **why);
int	 hg_write_out(struct hg *, struct hg_job *);

/* http-auth.c: -u, --digest, --netrc, -b, -c, -e */
/* After the options: passwords asked, files read (errors exit). */
void	 hg_auth_init(struct hg *);
/* At the end: -c written (failure: AC_EXIT_WRITE); the status. */
int	 hg_auth_finish(struct hg *, int status);
/* j's request should not ask to close: a challenge may follow. */
int	 hg_auth_keep_open(const struct hg_opts *, const struct hg_job *);
/*
 * r->auth, r->cookie and r->referer for j, each unless the user's -H has
 * one (has_*); withheld: -b strings stay with the first origin.  0 or
 * -ENOMEM.
 */
int	 hg_auth_fields(const struct hg_opts *, struct hg_job *,
	    struct hg_req *, int has_auth, int has_cookie, int has_referer,
	    int withheld);
/*
 * A final response's Set-Cookie fields into the jar; 1 when it is a
 * Digest challenge to answer (v->again), 0 otherwise, or -ENOMEM.
 */
int	 hg_auth_verdict(struct hg *, struct hg_job *, const struct hg_head *,
	    struct hg_verdict *);

/* http-queue.c: the job queue */
/* The host entry for u (by proxy, scheme, host and port), made if new. */
struct hg_host	*hg_host_for(struct hg *, const struct ahttp_url *u);
/* Onto the queue and its host's: at the back, or at the front. */
void	 hg_enqueue(struct hg *, struct hg_job *, int front);
/* Off the queue and onto a connection; last: none left for its host. */
void	 hg_take(struct hg *, struct hg_job *, int *last);
/* No longer under way (counted against -Z). */
void	 hg_deactivate(struct hg *, struct hg_job *);
/* The next job waiting for host (taken off the queue), or NULL. */
struct hg_job	*hg_next_for(struct hg *, struct hg_host *, int *last);
/* Back to the head of the queue (to be sent on a new connection). */
void	 hg_requeue(struct hg *, struct hg_job *);
/* Start connections for waiting jobs, up to the parallel limit. */
void	 hg_schedule(struct hg *);

/* http-get.c: a job's end and redirects */
/* Finished: msg (when not NULL) is reported as "URL: msg". */
void	 hg_job_done(struct hg *, struct hg_job *, int result,
	    const char *msg);
/* Follow a Location: the job goes back to the queue with its new URL. */
void	 hg_redirect(struct hg *, struct hg_job *, const char *location);
/* The job's output, opened now if it is a file (j->out NULL: discard). */
int	 hg_job_output(struct hg *, struct hg_job *);
/* Stop everything: every unfinished job ends with result. */
void	 hg_abort(struct hg *, int result, const char *msg);

/* Every error line goes through here (-s silences it). */
void	 hg_warn(const struct hg *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* ----------------------------------------------------------- connections */

/* One response under way: its verdict, decoder and output state. */
struct hg_resp {
	struct hg_verdict	 v;
	struct ahttp_decoder	*dec;	/* --compressed */
	int			 werr;	/* output failed: -errno */
	int			 werr_open;	/* ... when opening it */
	int			 bad;	/* AC_EXIT_* found on the way */
};

struct hg_conn;

/*
 * A protocol on a connection.  http-conn.c owns the socket and calls
 * these; every job a protocol was given it ends (hg_resp_settle(),
 * hg_conn_fail(), or hands back with take()).
 */
struct hg_proto {
	const char *name;
	/* Its state on c (c->ps); 0 or -errno. */
	int	(*init)(struct hg_conn *c);
	/* The connection is up (TLS included); may be NULL. */
	void	(*connected)(struct hg_conn *c);
	/* How many more jobs c can take now. */
	int	(*capacity)(const struct hg_conn *c);
	/* Put j on c (last: none left for its host); 0 or -errno (-EINVAL:
	 * a value failed hg_request()'s check). */
	int	(*submit)(struct hg_conn *c, struct hg_job *j, int last);
	/* Bytes to send?  Send some. */
	int	(*want_write)(const struct hg_conn *c);
	void	(*write)(struct hg_conn *c);
	/* n bytes read (n == 0: the empty read of the end, before eof). */
	void	(*input)(struct hg_conn *c, const char *data, size_t n);
	/* The peer closed or reset the connection. */
	void	(*eof)(struct hg_conn *c);
	/* The idle timer ran out while a job is on c: 1 when handled. */
	int	(*timeout)(struct hg_conn *c);
	/* A job still on c, taken off it; NULL when none is left. */
	struct hg_job *(*take)(struct hg_conn *c);
	void	(*free)(struct hg_conn *c);
};
extern const struct hg_proto hg_h1;
extern const struct hg_proto hg_h2;	/* http-h2.c, nghttp2 */

/* One connection (http-conn.c), reused by the jobs of its host:port. */
struct hg_conn {
	struct hg		*g;
	struct acore_dispatcher	*d;
	struct hg_host		*host;
	const struct hg_proto	*proto;
	void			*ps;	/* the protocol's state */
	struct hg_job		*job;	/* HTTP/1: the job on it */
	unsigned		 served;	/* responses completed */
	int			 last;	/* no job left for the host */
	int			 connected;
	int			 may_mux; /* may turn out to be HTTP/2 */
	int			 waiting; /* --retry: not opened yet */
	int			 retired; /* out of its host's count */
	int			 in_read;	/* inside acore_recv() */
	int			 reset;	/* closed by a reset */
	int			 truncated; /* TLS end without close_notify */
	double			 t_lookup, t_connect, t_app; /* -w: stages */
	const struct hg_resolve	*route;	/* --resolve: its addresses */
	double			 rl_start;	/* --limit-rate: first read */
	uint64_t		 rl_got;	/* bytes read since */
	struct acore_timer	*rl_timer;	/* wakes the loop to read */
	size_t			 addr;	/* the one tried now */
	char			 remote_ip[112];
	int			 remote_port;
	TAILQ_ENTRY(hg_conn)	 link;
};

/* http-conn.c */
/* A new connection for j, opened after j->delay seconds. */
int	 hg_conn_start(struct hg *, struct hg_job *, int last);
/* An open connection to h that can take a job now, or NULL. */
struct hg_conn *hg_conn_with_room(struct hg *, const struct hg_host *h);
/*
 * 1 while a connection to h is finding out whether it speaks HTTP/2 (TLS
 * handshake, ALPN): the host's other jobs wait to go on it.
 */
int	 hg_host_waits(struct hg *, const struct hg_host *h);
/* Put j on c; 0, or -errno (-EINVAL: a value failed hg_request()'s
 * check) with j not on c. */
int	 hg_conn_submit(struct hg_conn *c, struct hg_job *j, int last);
void	 hg_conn_abort_all(struct hg *, int result, const char *msg);
/* Close c; its host may open another. */
void	 hg_conn_close(struct hg_conn *c);
/* Every job on c fails with result ("URL: msg"); c closes. */
void	 hg_conn_fail(struct hg_conn *c, int result, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/*
 * The response on c is settled: give c the host's next job when keep,
 * else close it (with -v, linger for the server's close).
 */
void	 hg_conn_next(struct hg_conn *c, int keep);
/* -v: the server closes first, as asyncore's client waits for. */
void	 hg_conn_linger(struct hg_conn *c);

/* -v: a head's lines on stderr after "> " (mark '>') or "< ", as curl. */
void	 hg_show_head(char mark, const char *text, size_t len);

/*
 * http-proxy.c: the proxy for URL u (-x, the environment, --noproxy), or
 * NULL; an http:// URL through an HTTP proxy is forwarded to it in
 * absolute form, anything else tunnelled.  hg_proxy_auth(): the
 * Proxy-Authorization value, or NULL.  hg_proxy_resolves_here(): the
 * URL's name is looked up here (no proxy, socks4, socks5), so --resolve
 * applies.  hg_proxy_connect(): c's connect to host (the URL's, a
 * --resolve address, or the --unix-socket path with AF_UNIX, which
 * bypasses any proxy), wherever it goes.  hg_proxy_failed(): a connect failure that was the
 * proxy's, reported (1), or 0.
 */
const struct hg_proxy *hg_proxy_for(struct hg *, const struct ahttp_url *u);
int	 hg_proxy_forwards(const struct hg_proxy *, const struct ahttp_url *u);
const char *hg_proxy_auth(const struct hg_proxy *);
int	 hg_proxy_resolves_here(const struct hg_proxy *);
int	 hg_proxy_connect(struct hg_conn *c, const struct hg_job *j,
	    const char *host, int family);
int	 hg_proxy_failed(struct hg_conn *c, int err);
void	 hg_proxies_free(struct hg *);

/* http-resp.c: a response on its way to job j's output */
void	 hg_resp_clear(struct hg_resp *r);
/*
 * Its head (a final one, or 1xx) arrived; block/len is the text -i and
 * -I print.  0, or 1 to stop: r->bad (with r->v.msg) or r->werr set.
 */
int	 hg_resp_head(struct hg *, struct hg_job *, struct hg_resp *,
	    const struct hg_head *, const char *block, size_t len);
/* Body bytes; 0, or 1 to stop as for hg_resp_head(). */
int	 hg_resp_body(struct hg *, struct hg_job *, struct hg_resp *,
	    const char *data, size_t len);
/* Bytes as they are for j's output (no decoding); 0 or 1 (r->werr). */
int	 hg_resp_emit(struct hg *, struct hg_job *, struct hg_resp *,
	    const void *buf, size_t len);
/* The body ended: 0, or 1 with r->bad and r->v.msg set. */
int	 hg_resp_end(struct hg_resp *);
/* The response is complete: j follows its redirect or is done. */
void	 hg_resp_settle(struct hg *, struct hg_job *, struct hg_resp *);
/*
 * j's output failed (r->werr): 0 with *result and msg set when j alone
 * fails, or 1 when everything was stopped (stdout is gone).
 */
int	 hg_resp_write_failed(struct hg *, struct hg_job *, struct hg_resp *,
	    int *result, char *msg, size_t size);

/* --------------------------------------------------------------- outputs */

struct hg_writer *hg_writer_new(int progress, size_t outputs);
void	 hg_writer_free(struct hg_writer *);
/*
 * path NULL: stdout, in order of creation.  append: onto the file as it
 * is, created if need be (-C -), else a temporary file renamed into place.  On failure *err
 * is -errno and hg_out_error() says why, naming the directory.
 */
struct hg_out	*hg_out_new(struct hg_writer *, const char *path,
	    int append, int *err);
const char	*hg_out_error(const struct hg_writer *);
/* 0, or a negative errno. */
int	 hg_out_write(struct hg_out *, const void *buf, size_t len);
/*
 * After a failed hg_out_write() to stdout: why this output could not be
 * held back for its turn (TMPDIR), or NULL when stdout itself failed.
 */
const char	*hg_out_hold_error(const struct hg_out *);
/* Done: ok renames a file into place, else removes it.  0 or -errno. */
int	 hg_out_finish(struct hg_out *, int ok);
/* http-file.c: the file -o replaces (links followed); malloc'ed. */
char	*hg_file_target(const char *path, int *err);
/* The new file fd keeps target's mode (else mode) and owner if it may. */
void	 hg_file_keep(int fd, const char *target, mode_t mode);
/* Progress: bytes of body seen, and the size when known (-1 if not). */
void	 hg_progress_add(struct hg_writer *, uint64_t bytes);
void	 hg_progress_expect(struct hg_writer *, int64_t size);
void	 hg_progress_up(struct hg_writer *, uint64_t bytes);	/* sent */
void	 hg_progress_tick(struct hg_writer *, int final);
/* End the meter's line for good (before an abort's messages). */
void	 hg_progress_stop(struct hg_writer *);

/* -------------------------------------------------------- request bodies */

/*
 * http-data.c and http-body.c.  The body options make one struct
 * hg_upload for the run,
 * what every request sends; a request reads it through its own struct
 * hg_body, from the first byte, whatever the protocol carrying it:
 *
 *	len = hg_body_length(b);	(-1: unknown, a stream)
 *	n = hg_body_peek(b, &p);	(> 0 bytes at p, 0 the end,
 *					 -EAGAIN nothing now, < 0 failed)
 *	... send up to n bytes of p ..., then hg_body_take(b, sent);
 *
 * -EAGAIN comes only from a stream (stdin, a pipe), read through a
 * channel of the loop, so the loop never blocks: hg_body_ready() is 0
 * until bytes (or the end) are there, and then the callback of
 * hg_body_on_ready() runs (clear it before the caller goes away).  Bytes at p stay
 * valid until hg_body_take() or the next peek.  On a failure
 * hg_body_error() says why, in a line (exit AC_EXIT_READ).
 * hg_body_rewind() starts again from the first byte for a redirect or a
 * retry: -ESPIPE when a stream's bytes are gone (the body cannot be sent
 * again).  HTTP/1.1 calls hg_body_chunked() first: a body of unknown
 * length then comes framed as chunks, its last chunk included.
 */
enum hg_body_opt {
	HG_DATA, HG_DATA_BINARY, HG_DATA_RAW, HG_DATA_URLENCODE, HG_JSON,
	HG_FORM, HG_UPLOAD_FILE, HG_GET, HG_METHOD
};
/* Expect: 100-continue above this many bytes (and when unknown). */
#define HG_EXPECT_OVER	(1024 * 1024)
#define HG_EXPECT_SECS	1.0	/* then the body goes anyway, as curl */
/* An option of the family; a bad one is a usage error (exits). */
void	 hg_body_option(struct hg_opts *, enum hg_body_opt, const char *arg);
void	 hg_body_check(const struct hg_opts *);
int	 hg_body_json(const struct hg_opts *);	/* --json seen */
/* Before the loop: read and open what the options name; 0 or exit code. */
int	 hg_upload_ready(struct hg *);
void	 hg_upload_free(struct hg_upload *);
/* -G, or -T FILE to a directory: the URL to fetch (malloc'ed), or NULL. */
char	*hg_upload_url(const struct hg_opts *, const char *url);
/* The method of j's next request, and whether a body goes with it. */
const char *hg_method(const struct hg_opts *, const struct hg_job *);
int	 hg_sends_body(const struct hg_opts *, const struct hg_job *);
int	 hg_body_any(const struct hg_opts *);	/* a body for some request */
/* After a redirect status (j->status): 301/302/303 may make it a GET. */
void	 hg_body_redirected(const struct hg_opts *, struct hg_job *);

struct hg_body	*hg_body_new(struct hg *);
int64_t	 hg_body_length(const struct hg_body *);
const char *hg_body_type(const struct hg_body *);	/* or NULL */
int	 hg_body_expect(const struct hg_body *);	/* 100-continue? */
void	 hg_body_chunked(struct hg_body *);
ssize_t	 hg_body_peek(struct hg_body *, const char **p);
void	 hg_body_take(struct hg_body *, size_t n);
void	 hg_body_on_ready(struct hg_body *, void (*cb)(void *), void *arg);
/* 0 while a peek's -EAGAIN stands (nothing arrived since). */
int	 hg_body_ready(const struct hg_body *);
int	 hg_body_replayable(const struct hg_body *);
int	 hg_body_rewind(struct hg_body *);
int	 hg_body_memory(const struct hg_body *, char **buf, size_t *len);
uint64_t hg_body_sent(const struct hg_body *);	/* payload bytes taken */
const char *hg_body_error(const struct hg_body *);
void	 hg_body_free(struct hg_body *);

/*
 * http-send.c: an HTTP/1.x body after its head.  expect: the head asked
 * for 100 Continue, so the body waits for it (or HG_EXPECT_SECS after
 * hg_send_head_sent()).  hg_send_write() sends what the channel takes:
 * 0, or the body's failure (-errno; hg_body_error() says why).
 * hg_send_interim() takes a 1xx status; hg_send_final() says a final
 * response came: 1 when the body was cut short by it (the connection
 * is then done), and hg_send_unsent() whether no byte of it went.
 */
struct hg_send;
struct hg_send	*hg_send_new(struct hg *, struct hg_body *, int expect);
void	 hg_send_head_sent(struct hg_send *);
int	 hg_send_want(const struct hg_send *);
int	 hg_send_write(struct hg_send *, struct acore_dispatcher *);
void	 hg_send_interim(struct hg_send *, int status);
int	 hg_send_final(struct hg_send *);
int	 hg_send_unsent(const struct hg_send *);
void	 hg_send_free(struct hg_send *);

#endif /* ACORE_HTTP_H */
