/*
 * http-get.c: acore http-get: fetch http:// and https:// URLs with
 * HttpClient dispatchers, as the PyMOTW asyncore examples do, and as a
 * fetcher curl and wget users would accept: keep-alive reuse per
 * host:port, several URLs at once with output in argument order, files
 * renamed into place, redirects, time limits, one exit status per cause.
 *
 * This file holds a job's start and end (its output, its redirects) and
 * the loop; the queue the jobs wait in is http-queue.c.
 */
#include "config.h"

#include <sys/socket.h>

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acore.h"
#include "cmd.h"
#include "http.h"

/*
 * One read per event: 1 MiB lets a loopback socket drain in one call, so
 * a few kept-alive connections (the per-host cap) keep up with many.
 */
#define DEFAULT_CHUNK		(1024 * 1024)
#define DEFAULT_PARALLEL	50
#define DEFAULT_HOST_CONNS	6	/* as browsers and curl's pool */
#define DEFAULT_REDIRS		20
#define PROGRESS_EVERY		0.5

void
hg_warn(const struct hg *g, const char *fmt, ...)
{
	va_list ap;

	if (g->o.silent && !g->o.show_error)
		return;
	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
}

int
hg_job_output(struct hg *g, struct hg_job *j)
{
	int rc = 0;

	if (j->out != NULL || j->file == NULL)
		return 0;
	if ((j->out = hg_out_new(g->writer, j->file, j->append, &rc)) ==
	    NULL)
		return rc;
	return 0;
}

void
hg_job_done(struct hg *g, struct hg_job *j, int result, const char *msg)
{
	char why[512];
	int rc;

	if (j->done)
		return;
	/*
	 * An empty body still makes its file, as curl's -o does; a file -C -
	 * found complete (416) stays as it is.
	 */
	if (result == AC_EXIT_OK && j->out == NULL && j->file != NULL &&
	    j->resume_from == 0 && hg_job_output(g, j) < 0) {
		result = AC_EXIT_WRITE;
		msg = hg_out_error(g->writer);
	}
	if (result != AC_EXIT_OK && j->active &&
	    (rc = hg_retry_wanted(g, j, result, msg)) != 0) {
		if (rc > 0) {
			hg_requeue(g, j);
			hg_schedule(g);
			return;
		}
		/* a retry it would have had, but for its body */
		snprintf(why, sizeof(why), "%s; not retried: %s", msg != NULL ?
		    msg : "failed", hg_body_error(j->rbody));
		msg = why;
	}
	j->done = 1;
	j->result = result;
	hg_deactivate(g, j);
	if (msg != NULL)
		hg_warn(g, "http-get: %s: %s", j->url, msg);
	/* Write errors on stdout are sticky: hg_out_finish() reports them. */
	if (g->o.write_out != NULL)
		(void)hg_write_out(g, j);
	if (j->wout != NULL && (rc = hg_out_finish(j->wout, 1)) < 0 &&
	    !g->aborted) {
		hg_warn(g, "http-get: stdout: %s", acore_strerror(rc));
		j->wout = NULL;
		hg_abort(g, AC_EXIT_WRITE, NULL);
	}
	j->wout = NULL;
	hg_body_free(j->rbody);
	j->rbody = NULL;
	if (j->out == NULL)
		return;
	/*
	 * A failed fetch never creates nor replaces a file, except that -C -
	 * keeps what it appended (j->append) for the next try.
	 */
	rc = hg_out_finish(j->out, result == AC_EXIT_OK);
	j->out = NULL;
	if (rc < 0 && j->file != NULL) {
		hg_warn(g, "http-get: %s: %s", j->file, acore_strerror(rc));
		j->result = AC_EXIT_WRITE;
	} else if (rc < 0 && !g->aborted) {
		hg_warn(g, "http-get: stdout: %s", acore_strerror(rc));
		hg_abort(g, AC_EXIT_WRITE, NULL);
	}
}

void
hg_redirect(struct hg *g, struct hg_job *j, const char *location)
{
	struct ahttp_url u;
	const char *why;
	char msg[256], *url;
	int rc;

	if (j->redirects >= g->o.max_redirs) {
		snprintf(msg, sizeof(msg), "too many redirects (%d)",
		    j->redirects);
		hg_job_done(g, j, AC_EXIT_PROTOCOL, msg);
		return;
	}
	if ((url = ahttp_url_resolve(j->url, location)) == NULL) {
		hg_job_done(g, j, AC_EXIT_FAIL, "out of memory");
		return;
	}
	if ((rc = ahttp_url_parse_flags(url, &u, AHTTP_URL_USERINFO,
	    &why)) != 0) {
		snprintf(msg, sizeof(msg), "redirected to %.200s: %s", url,
		    why);
		free(url);
		/* A bad Location is the server's fault, not the user's. */
		hg_job_done(g, j, rc == -ENOMEM ? AC_EXIT_FAIL :
		    AC_EXIT_PROTOCOL, msg);
		return;
	}
	/* 301, 302, 303 may make it a GET; else its body goes again */
	hg_body_redirected(&g->o, j);
	if (j->rbody != NULL && hg_sends_body(&g->o, j) &&
	    hg_body_rewind(j->rbody) < 0) {
		free(url);
		ahttp_url_free(&u);
		snprintf(msg, sizeof(msg), "%s (%d redirect)",
		    hg_body_error(j->rbody), j->status);
		hg_job_done(g, j, AC_EXIT_READ, msg);
		return;
	}
	/* Messages never show a password: the URL without its userinfo. */
	if (u.user != NULL) {
		free(url);
		if ((url = strdup(u.absolute)) == NULL)
			err(AC_EXIT_FAIL, "http-get");
	}
	/* -e ';auto': the Referer of the next request is this URL. */
	free(j->prev_url);
	j->prev_url = strdup(j->u.absolute);
	ahttp_digest_free(&j->digest);
	j->auth_tries = 0;
	free(j->url);
	/* -H credentials stay with the first URL's origin (http-req.c). */
	if (j->redirects == 0)
		j->first = j->u;
	else
		ahttp_url_free(&j->u);
	j->url = url;
	j->u = u;
	j->host = hg_host_for(g, &j->u);
	j->redirects++;
	hg_requeue(g, j);
}

void
hg_abort(struct hg *g, int result, const char *msg)
{
	struct hg_job *j;
	int last;

	if (g->aborted)
		return;
	g->aborted = result;
	if (g->writer != NULL)
		hg_progress_stop(g->writer);
	hg_conn_abort_all(g, result, msg);
	while ((j = TAILQ_FIRST(&g->queue)) != NULL) {
		hg_take(g, j, &last);
		hg_job_done(g, j, result, msg);
	}
}

/* -------------------------------------------------------------- timers */

static void
max_time_cb(void *arg)
{
	struct hg *g = arg;
	char msg[64];

	snprintf(msg, sizeof(msg), "timed out after %g s (--max-time)",
	    g->o.max_time);
	hg_abort(g, AC_EXIT_TIMEOUT, msg);
}

static void
progress_cb(void *arg)
{
	struct hg *g = arg;

	hg_progress_tick(g->writer, 0);
	acore_timer_start(g->progress, PROGRESS_EVERY);
}

static void
signal_cb(int signo, void *arg)
{
	(void)signo;
	hg_abort(arg, AC_EXIT_FAIL, "interrupted");
}

/* ---------------------------------------------------------------- main */

/*
 * A URL typed without a scheme ("127.0.0.1:8080/x", "localhost:8080")
 * means http://, as in curl: the scheme counts only when "://" follows
 * it, since "localhost:8080" is a host and a port, not scheme
 * "localhost".  This is a guess about what a person typed, so it is made
 * here, for command-line arguments only, and not in ahttp_url_parse():
 * there a Location without a scheme is a relative reference, resolved
 * against the URL it came from ("page.txt", "example.com/x" being paths),
 * and guessing http:// for it would send a redirect to the wrong host.
 */
static char *
with_scheme(const char *arg)
{
	const char *p = arg;
	char *url;

	if (isalpha((unsigned char)*p)) {
		while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' ||
		    *p == '.')
			p++;
		if (strncmp(p, "://", 3) == 0)
			return strdup(arg);
	}
	if (asprintf(&url, "http://%s", arg) < 0)
		return NULL;
	return url;
}

/* Jobs from the command line; URLs that cannot be fetched end here. */
static void
make_jobs(struct hg *g, char **urls, int n, char **files, int nfiles)
{
	struct hg_job *j;
	const char *why;
	char *url;
	size_t i;
	int rc;

	if ((g->jobs = calloc((size_t)n, sizeof(*g->jobs))) == NULL)
		err(AC_EXIT_FAIL, "http-get");
	g->njobs = (size_t)n;
	for (i = 0; i < g->njobs; i++) {
		j = &g->jobs[i];
		j->arg = urls[i];
		j->seq = i;
		j->retry_after = -1;
		if ((j->url = with_scheme(urls[i])) == NULL)
			err(AC_EXIT_FAIL, "http-get");
		/* -G, -T FILE to a directory: what is fetched is another URL */
		if ((url = hg_upload_url(&g->o, j->url)) != NULL) {
			free(j->url);
			j->url = url;
		}
		if (hg_sends_body(&g->o, j) && (j->rbody = hg_body_new(g)) ==
		    NULL)
			err(AC_EXIT_FAIL, "http-get");
		if ((rc = ahttp_url_parse_flags(j->url, &j->u,
		    AHTTP_URL_USERINFO, &why)) != 0) {
			hg_job_done(g, j, rc == -ENOMEM ? AC_EXIT_FAIL :
			    AC_EXIT_BADURL, why);
			continue;
		}
		/* Messages never show a password: no userinfo in j->url. */
		if (j->u.user != NULL) {
			free(j->url);
			if ((j->url = strdup(j->u.absolute)) == NULL)
				err(AC_EXIT_FAIL, "http-get");
		}
		if (i < (size_t)nfiles) {
			/* "-o -" is standard output, as for curl */
			if (strcmp(files[i], "-") != 0 &&
			    (j->file = strdup(files[i])) == NULL)
				err(AC_EXIT_FAIL, "http-get");
		} else if (g->o.remote_name &&
		    (j->file = ahttp_url_filename(&j->u)) == NULL) {
			hg_job_done(g, j, AC_EXIT_BADURL,
			    "no file name in the URL for -O");
			continue;
		}
		j->host = hg_host_for(g, &j->u);
		hg_resume_point(g, j);
		hg_enqueue(g, j, 0);
	}
}

/*
 * Something goes to standard output while fetching (a body, -i or -I
 * heads, -w text) and it is a terminal: the meter would be drawn over
 * the page, so by default there is none, as curl does.  --summary prints
 * once the meter's line has ended.
 */
static int
writes_to_terminal(const struct hg *g)
{
	size_t i;

	if (!isatty(STDOUT_FILENO))
		return 0;
	if (g->o.write_out != NULL)
		return 1;
	for (i = 0; i < g->njobs; i++)
		if (!g->jobs[i].done && g->jobs[i].file == NULL &&
		    !g->o.summary)
			return 1;
	return 0;
}

static int
run(struct hg *g)
{
	struct acore_timer *max_timer = NULL;
	struct acore_signal *sigs[2];
	struct hg_job *j;
	size_t i, outputs = 0;
	int rc = 0, counter = 0, progress, status = AC_EXIT_OK;

	progress = !g->o.silent && (g->o.progress > 0 ||
	    (g->o.progress == 0 && isatty(STDERR_FILENO) &&
	    !cmd_is_verbose() && !writes_to_terminal(g)));
	for (i = 0; i < g->njobs; i++)
		outputs += !g->jobs[i].done;
	if ((g->writer = hg_writer_new(progress, outputs)) == NULL)
		err(AC_EXIT_FAIL, "http-get");
	/*
	 * Stdout outputs are made now: their order is the argument order.
	 * -w text goes to stdout too, after its URL's body, in that order.
	 */
	for (i = 0; i < g->njobs; i++) {
		j = &g->jobs[i];
		if (!j->done && j->file == NULL && !g->o.summary &&
		    (j->out = hg_out_new(g->writer, NULL, 0, &rc)) == NULL)
			err(AC_EXIT_FAIL, "http-get");
		if (g->o.write_out != NULL && j->out == NULL &&
		    (j->wout = hg_out_new(g->writer, NULL, 0, &rc)) == NULL)
			err(AC_EXIT_FAIL, "http-get");
		if (j->done && j->wout != NULL) {
			(void)hg_write_out(g, j);
			(void)hg_out_finish(j->wout, 1);
			j->wout = NULL;
		}
	}
	if (g->o.max_time > 0 && ((max_timer = acore_timer_new(g->loop,
	    max_time_cb, g)) == NULL ||
	    acore_timer_start(max_timer, g->o.max_time) < 0))
		err(AC_EXIT_FAIL, "http-get: timer");
	if (progress && ((g->progress = acore_timer_new(g->loop,
	    progress_cb, g)) == NULL ||
	    acore_timer_start(g->progress, PROGRESS_EVERY) < 0))
		err(AC_EXIT_FAIL, "http-get: timer");
	sigs[0] = acore_signal_new(g->loop, SIGINT, signal_cb, g);
	sigs[1] = acore_signal_new(g->loop, SIGTERM, signal_cb, g);

	hg_schedule(g);
	if (g->o.loop_counter) {
		/* asyncore_loop.py: the caller drives one pass at a time. */
		while (rc >= 0 && acore_loop_size(g->loop) > 0) {
			acore_log(ACORE_LOG_DEBUG, "root", "loop_counter=%d",
			    ++counter);
			rc = acore_loop_run(g->loop, 1.0, 1);
		}
	} else {
		acore_log(ACORE_LOG_DEBUG, "root", "LOOP STARTING");
		rc = acore_loop_run(g->loop, -1, 0);
		acore_log(ACORE_LOG_DEBUG, "root", "LOOP DONE");
	}
	if (rc < 0)
		hg_abort(g, AC_EXIT_FAIL, acore_strerror(rc));
	hg_progress_tick(g->writer, 1);

	for (i = 0; i < g->njobs; i++) {
		j = &g->jobs[i];
		if (!j->done)	/* never happens; never lose a job */
			hg_job_done(g, j, AC_EXIT_FAIL, "not fetched");
		if (g->o.summary)
			printf("%s got %llu bytes\n", j->arg,
			    (unsigned long long)j->wire);
		/* The first failure in argument order tells the story. */
		if (status == AC_EXIT_OK)
			status = j->result;
	}
	/* ... unless something stopped them all. */
	if (g->aborted)
		status = g->aborted;
	if (fflush(stdout) != 0 && status == AC_EXIT_OK)
		status = AC_EXIT_WRITE;
	acore_signal_free(sigs[0]);
	acore_signal_free(sigs[1]);
	acore_timer_free(max_timer);
	acore_timer_free(g->progress);
	g->progress = NULL;
	return status;
}

static void
cleanup(struct hg *g, char **files)
{
	struct hg_host *h;
	size_t i;

	for (i = 0; i < g->njobs; i++)
		hg_body_free(g->jobs[i].rbody);
	acore_loop_free(g->loop);
	hg_upload_free(g->o.upload);
	acore_tls_free(g->tls);
	hg_writer_free(g->writer);
	for (i = 0; i < g->njobs; i++) {
		free(g->jobs[i].url);
		free(g->jobs[i].prev_url);
		ahttp_digest_free(&g->jobs[i].digest);
		free(g->jobs[i].file);
		free(g->jobs[i].content_type);
		ahttp_url_free(&g->jobs[i].u);
		ahttp_url_free(&g->jobs[i].first);
	}
	free(g->jobs);
	while ((h = g->hosts) != NULL) {
		g->hosts = h->next;
		free(h->host);
		free(h->port);
		free(h);
	}
	hg_proxies_free(g);
	free(g->o.headers);
	free(g->o.range);
	hg_resolve_free_all(&g->o);
	free(g->o.cookies);
	free(g->buf);
	free(files);
}

static int
cmd_main(int argc, char **argv)
{
	struct hg g;
	char **files = NULL;
	int nfiles = 0, rc, fd, to_stdout;

	memset(&g, 0, sizeof(g));
	g.o.fail = 1;
	g.o.chunk = DEFAULT_CHUNK;
	g.o.parallel = DEFAULT_PARALLEL;
	g.o.host_conns = DEFAULT_HOST_CONNS;
	g.o.max_redirs = DEFAULT_REDIRS;
	g.o.user_agent = "acore/" ACORE_VERSION_STRING;
	g.o.family = AF_UNSPEC;
	if ((rc = hg_parse_options(argc, argv, &g.o, &files, &nfiles)) != 0) {
		free(files);
		free(g.o.headers);
		return rc;
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		cmd_usage_error(&acore_cmd_http_get, "no URL given");
	if (nfiles > argc)
		cmd_usage_error(&acore_cmd_http_get, "more -o files (%d) than "
		    "URLs (%d)", nfiles, argc);

	/*
	 * A stdout that was closed (cmd_guard_stdio left it read-only)
	 * fails before any fetch, not after the first body.
	 */
	to_stdout = g.o.summary || (nfiles < argc && !g.o.remote_name);
	for (fd = 0; fd < nfiles; fd++)
		to_stdout |= strcmp(files[fd], "-") == 0;
	if (to_stdout && (fcntl(STDOUT_FILENO, F_GETFL) & O_ACCMODE) ==
	    O_RDONLY)
		errx(AC_EXIT_WRITE, "http-get: stdout: %s", strerror(EBADF));

	/* Trust anchors given: a bad file is an error before any fetch. */
	if (g.o.cacert != NULL || g.o.capath != NULL || g.o.insecure ||
	    g.o.ciphers != NULL || g.o.tls13_ciphers != NULL) {
		g.tls = cmd_tls_client("http-get", g.o.cacert, g.o.capath,
		    g.o.insecure);
		cmd_tls_ciphers("http-get", g.tls, g.o.ciphers,
		    g.o.tls13_ciphers);
	}
	TAILQ_INIT(&g.queue);
	TAILQ_INIT(&g.conns);
	if ((g.loop = acore_loop_new()) == NULL ||
	    (g.buf = malloc(g.o.chunk)) == NULL)
		err(AC_EXIT_FAIL, "http-get");
	/* A body that cannot be read is an error before any request. */
	if ((rc = hg_upload_ready(&g)) != 0) {
		cleanup(&g, files);
		return rc;
	}
	hg_auth_init(&g);
	make_jobs(&g, argv, argc, files, nfiles);
	rc = hg_auth_finish(&g, run(&g));
	cleanup(&g, files);
	return rc;
}

const struct acore_cmd acore_cmd_http_get = {
	.name = "http-get",
	.usage = "[-046fGiIkLnOsSvVZ] [-A agent] [-b cookies] [-C -] "
	    "[-c file] [-d data] [-e referer] [-F name=value] [-H header] "
	    "[-m secs] [-o file] [-r range] [-T file] [-U user:password] "
	    "[-u user[:password]] [-w format] [-X method] [-x proxy] "
	    "[--absolute-form] "
	    "[--cacert file] [--capath dir] [--chunk-size bytes] "
	    "[--ciphers list] "
	    "[--compressed] [--connect-timeout secs] [--data-ascii data] "
	    "[--data-binary data] [--data-raw data] [--data-urlencode data] "
	    "[--digest] "
	    "[--http1.0 | --http1.1 | --http2 | --http2-prior-knowledge] "
	    "[--json data] [--limit-rate rate] [--location-trusted] "
	    "[--loop-counter] [--max-host-conns n] "
	    "[--max-redirs n] [--netrc-file file] [--no-fail] "
	    "[--no-progress | --progress] [--noproxy list] "
	    "[--parallel-max n] "
	    "[--raw] [--resolve host:port:addr[,addr]...] [--retry n] "
	    "[--retry-delay secs] [--show-reads] [--summary] "
	    "[--tls13-ciphers list] [--unix-socket path] url ...",
	.summary = "fetch http:// and https:// URLs (the asyncore HTTP "
	    "client examples)",
	.options = hg_options_help,
	.main = cmd_main,
	.optstring = HG_OPTSTRING,
	.longopts = hg_longopts,
};
