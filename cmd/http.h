/*
 * http.h: what the http-*.c files of acore http-get share.  Not a library:
 * one fetch run (struct hg) owns its jobs, connections and outputs.
 *
 *  http-get.c	 the job queue, scheduling, the loop, exit status
 *  http-opts.c	 the command line
 *  http-req.c	 the request: every value that reaches it is checked here
 *  http-conn.c	 a connection: an HttpClient dispatcher reused by jobs
 *  http-retry.c --retry, -C -, and -w: what a response means for its job
 *  http-out.c	 where bodies go: stdout in argument order, files renamed
 *		 into place on success, the progress meter
 *  http-file.c	 which file -o replaces (symlinks followed), what it keeps
 *
 * The protocol itself (response parser, fields, URLs, gzip/deflate) is
 * libahttp in ../http/, included here as "ahttp.h".
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
	int		 insecure;	/* -k */
	char		**headers;	/* -H, "Name: value" */
	int		 nheaders;
};

/* ------------------------------------------------------------------ jobs */

struct hg_host;
struct hg_out;
struct hg_writer;

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
	TAILQ_ENTRY(hg_job) q;		/* run queue */
	TAILQ_ENTRY(hg_job) hq;		/* its host's queue */
};
TAILQ_HEAD(hg_jobq, hg_job);

/* Jobs waiting for a connection to host:port. */
struct hg_host {
	char		*host;
	char		*port;
	int		 tls;		/* https: its own connections */
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
	struct hg_job	*jobs;
	size_t		 njobs;
	struct hg_jobq	 queue;		/* waiting to be sent */
	struct hg_host	*hosts;
	struct hg_connq	 conns;
	long		 active;	/* jobs on a connection */
	char		*buf;		/* one recv buffer for all */
	struct hg_writer *writer;
	struct acore_timer *progress;
	int		 scheduling;
	int		 aborted;	/* AC_EXIT_* that stopped all */
};

/* http-opts.c: the command line; 0, or an exit status */
#define HG_OPTSTRING	":046A:C:fH:iIkLm:o:OsSvw:Z::"
extern const struct option hg_longopts[];
extern const char hg_options_help[];	/* --help: a line per option */
int	 hg_parse_options(int argc, char **argv, struct hg_opts *o,
	    char ***files, int *nfiles);

/* http-req.c: the request */
/* 1 when s may go into a request line or field value (no CR, LF, NUL...). */
int	 hg_value_ok(const char *s);
/*
 * The request for job j into a malloc'ed *req, asking the server to close
 * after it when close is set: 1 when the request says so (or is HTTP/1.0),
 * 0 when not, or -errno (-EINVAL: a value failed the check).
 */
int	 hg_request(const struct hg_opts *o, const struct hg_job *j,
	    int close, char **req, size_t *len);

/* http-retry.c */

/* What a final response (status >= 200) means for its job. */
struct hg_verdict {
	char	*location;	/* -L: where to go next (malloc'ed) */
	int	 discard;	/* its body is not written */
	int	 result;	/* AC_EXIT_* once the response is complete */
	char	 msg[192];	/* why, when result is not AC_EXIT_OK */
	const char *coding;	/* --compressed: Content-Encoding to undo */
	size_t	 codinglen;
	char	 codings[256];	/* all its fields, as one list */
};
/* Fill v for j from the header block in p; 0 or -ENOMEM. */
int	 hg_verdict(struct hg *, struct hg_job *, const struct ahttp_parser *,
	    struct hg_verdict *);
/* -C -: bytes already in j's file (0 when none); sets j->resume_from. */
void	 hg_resume_point(struct hg *, struct hg_job *);
/* A failure of j: 1 when it is sent again (after j->delay seconds). */
int	 hg_retry_wanted(struct hg *, struct hg_job *, int result,
	    const char *msg);
/* -w: check FORMAT (0, or -1 with *why); write it out for j. */
int	 hg_write_out_check(const char *fmt, const char **why);
int	 hg_write_out(struct hg *, struct hg_job *);

/* http-get.c: the job queue */
/* The next job waiting for host (taken off the queue), or NULL. */
struct hg_job	*hg_next_for(struct hg *, struct hg_host *, int *last);
/* Back to the head of the queue (to be sent on a new connection). */
void	 hg_requeue(struct hg *, struct hg_job *);
/* Start connections for waiting jobs, up to the parallel limit. */
void	 hg_schedule(struct hg *);
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

/* http-conn.c */
/* A new connection for j, opened after j->delay seconds. */
int	 hg_conn_start(struct hg *, struct hg_job *, int last);
void	 hg_conn_abort_all(struct hg *, int result, const char *msg);

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
void	 hg_progress_tick(struct hg_writer *, int final);
/* End the meter's line for good (before an abort's messages). */
void	 hg_progress_stop(struct hg_writer *);

#endif /* ACORE_HTTP_H */
