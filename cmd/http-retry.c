/*
 * http-retry.c: what a response means for its job, and what follows a
 * failure.  The verdict on a final response (follow it, fail with it,
 * resume into the file with it, retry after it, decode it) is made here
 * once, when its header block is complete; --retry decides here which
 * failures are worth another attempt and how long to wait first; -w
 * writes its report here.
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "acore.h"
#include "cmd.h"
#include "http.h"

#define BACKOFF_FIRST	1.0	/* seconds before the first retry */
#define BACKOFF_MAX	30.0	/* the doubling stops here */
#define RETRY_AFTER_MAX	300.0	/* a Retry-After, at most */

/* ------------------------------------------------------------ verdicts */

static int
is_redirect(int s)
{
	return s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
}

/* 408, 429 and 5xx may well succeed a little later. */
static int
is_transient_status(int s)
{
	return s == 408 || s == 429 || (s >= 500 && s <= 599);
}

/* "HTTP 404 Not Found", the reason made printable. */
static void
status_line(const struct hg_head *h, char *buf, size_t size)
{
	const char *r = h->reason;
	size_t len = h->reasonlen, i, n;

	n = (size_t)snprintf(buf, size, "HTTP %d", h->status);
	if (len > 0 && n + 1 < size)
		buf[n++] = ' ';
	for (i = 0; i < len && n + 1 < size; i++)
		buf[n++] = r[i] >= 0x20 && r[i] < 0x7f ? r[i] : '?';
	buf[n] = '\0';
}

/* A decimal number at *s (advanced past it); -1 when there is none. */
static int64_t
number(const char **s, const char *end)
{
	int64_t v = 0;
	int any = 0;

	for (; *s < end && isdigit((unsigned char)**s); (*s)++, any = 1) {
		if (v > (INT64_MAX - (**s - '0')) / 10)
			return -1;
		v = v * 10 + (**s - '0');
	}
	return any ? v : -1;
}

/* Content-Range: bytes FIRST-LAST/(SIZE|*), FIRST being where we are. */
static int
range_ok(const char *v, size_t len, int64_t from)
{
	const char *s = v, *end = v + len;
	int64_t first, last;

	if (len < 6 || strncasecmp(s, "bytes ", 6) != 0)
		return 0;
	s += 6;
	if ((first = number(&s, end)) < 0 || s == end || *s++ != '-' ||
	    (last = number(&s, end)) < first || s == end || *s++ != '/')
		return 0;
	if (s + 1 == end && *s == '*')
		return first == from;
	return number(&s, end) > last && s == end && first == from;
}

/* A 416's "bytes * /SIZE" (no space) saying the file is complete. */
static int
range_complete(const char *v, size_t len, int64_t have)
{
	const char *s = v, *end = v + len;

	if (len < 8 || strncasecmp(s, "bytes */", 8) != 0)
		return 0;
	s += 8;
	return number(&s, end) == have && s == end;
}

/* Retry-After: delay-seconds or an HTTP-date; -1 when neither. */
static double
retry_after(const char *v, size_t len)
{
	const char *s = v;
	char buf[64], *e;
	struct tm tm;
	int64_t secs;
	double d;

	if ((secs = number(&s, v + len)) >= 0 && s == v + len)
		d = (double)secs;
	else {
		if (len >= sizeof(buf))
			return -1;
		memcpy(buf, v, len);
		buf[len] = '\0';
		memset(&tm, 0, sizeof(tm));
		if ((e = strptime(buf, "%a, %d %b %Y %H:%M:%S GMT", &tm)) ==
		    NULL || *e != '\0')
			return -1;
		d = difftime(timegm(&tm), time(NULL));
	}
	return d < 0 ? 0 : d > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : d;
}

int
hg_verdict(struct hg *g, struct hg_job *j, const struct hg_head *p,
    struct hg_verdict *v)
{
	const struct hg_opts *o = &g->o;
	const char *f;
	size_t len;
	int s = p->status, rc, n;

	memset(v, 0, sizeof(*v));
	j->status = s;
	j->body = 0;
	j->retry_after = -1;
	/* Cookies from every response; a Digest challenge is answered. */
	if ((rc = hg_auth_verdict(g, j, p, v)) != 0)
		return rc < 0 ? rc : 0;
	if (o->follow && is_redirect(s)) {
		/* A redirect's own body is not what was asked for. */
		v->discard = 1;
		if ((f = hg_head_get(p, "location", &len)) == NULL ||
		    len == 0) {
			v->result = AC_EXIT_PROTOCOL;
			status_line(p, v->msg, sizeof(v->msg) - 24);
			strcat(v->msg, " without a Location");
		} else if ((v->location = strndup(f, len)) == NULL)
			return -ENOMEM;
		return 0;
	}
	if (j->resume_from > 0 && s == 206) {
		if ((f = hg_head_get(p, "content-range", &len)) == NULL ||
		    !range_ok(f, len, j->resume_from)) {
			v->discard = 1;
			v->result = AC_EXIT_PROTOCOL;
			snprintf(v->msg, sizeof(v->msg), "206 without a "
			    "Content-Range from byte %" PRId64,
			    j->resume_from);
			return 0;
		}
		j->append = 1;
	} else if (j->resume_from > 0 && s == 416 &&
	    (f = hg_head_get(p, "content-range", &len)) != NULL &&
	    range_complete(f, len, j->resume_from)) {
		/* Nothing left to fetch: the file is whole already. */
		v->discard = 1;
		return 0;
	} else
		/*
		 * -C - on a file not begun: written in place, so what
		 * arrives before a failure stays for the next try, as in
		 * curl.  A server ignoring the range of a begun file starts
		 * it over under a temporary name instead: its bytes go only
		 * once the whole new copy is there.
		 */
		j->append = o->resume && j->resume_from == 0;
	/* A forwarding proxy's 407 is the proxy's refusal, not the URL's. */
	if (s == 407 && hg_proxy_forwards(j->host->proxy, &j->u)) {
		v->result = AC_EXIT_PROXY;
		v->discard = 1;
		n = snprintf(v->msg, sizeof(v->msg), "%s (",
		    acore_strerror(hg_proxy_auth(j->host->proxy) != NULL ?
		    ACORE_EPROXY_AUTH_FAILED : ACORE_EPROXY_AUTH));
		status_line(p, v->msg + n, sizeof(v->msg) - (size_t)n - 1);
		strcat(v->msg, ")");
		return 0;
	}
	if (o->fail && s >= 400) {
		v->result = AC_EXIT_HTTP;
		status_line(p, v->msg, sizeof(v->msg));
		/* An error page never goes into a file, nor one to retry. */
		if (is_transient_status(s) && j->retries < o->retry) {
			v->discard = 1;
			if ((f = hg_head_get(p, "retry-after", &len)) !=
			    NULL)
				j->retry_after = retry_after(f, len);
		} else if (j->file != NULL)
			v->discard = 1;
	}
	/* Several fields are one list, as curl stacks them. */
	if (v->discard || !o->compressed || o->raw ||
	    (len = hg_head_list(p, "content-encoding", v->codings,
	    sizeof(v->codings))) == 0 ||
	    (len == 8 && strncasecmp(v->codings, "identity", 8) == 0))
		return 0;
	if (len >= sizeof(v->codings)) {
		/* Cut, the list would decode as something else. */
		v->discard = 1;
		if (v->result == AC_EXIT_OK) {
			v->result = AC_EXIT_PROTOCOL;
			snprintf(v->msg, sizeof(v->msg), "Content-Encoding "
			    "over %zu bytes", sizeof(v->codings) - 1);
		}
		return 0;
	}
	v->coding = v->codings;
	v->codinglen = len;
	return 0;
}

void
hg_resume_point(struct hg *g, struct hg_job *j)
{
	struct stat st;

	j->resume_from = 0;
	if (g->o.resume && j->file != NULL && stat(j->file, &st) == 0 &&
	    S_ISREG(st.st_mode))
		j->resume_from = (int64_t)st.st_size;
}

/* -------------------------------------------------------------- --retry */

int
hg_retry_wanted(struct hg *g, struct hg_job *j, int result, const char *msg)
{
	const struct hg_opts *o = &g->o;
	double delay;
	int transient, k;

	transient = result == AC_EXIT_CONNECT || result == AC_EXIT_RESET ||
	    result == AC_EXIT_TIMEOUT || (result == AC_EXIT_HTTP &&
	    is_transient_status(j->status));
	/* Bytes already on stdout cannot be taken back. */
	if (!transient || g->aborted || j->retries >= o->retry || j->emitted)
		return 0;
	/* A stream's bytes are gone: -1, and hg_body_error() says so. */
	if (j->rbody != NULL && hg_sends_body(o, j) &&
	    hg_body_rewind(j->rbody) < 0)
		return -1;
	if (j->retry_after >= 0)
		delay = j->retry_after;
	else if (o->retry_delay > 0)
		delay = o->retry_delay;
	else {
		delay = BACKOFF_FIRST;
		for (k = j->retries; delay < BACKOFF_MAX && k > 0; k--)
			delay *= 2;
		delay = delay > BACKOFF_MAX ? BACKOFF_MAX : delay;
	}
	j->retries++;
	j->delay = delay;
	hg_warn(g, "http-get: %s: %s; retry %d of %d in %g s", j->url, msg,
	    j->retries, o->retry, delay);
	if (j->out != NULL && j->file != NULL) {
		(void)hg_out_finish(j->out, 0);
		j->out = NULL;
	}
	hg_resume_point(g, j);
	j->append = 0;
	return 1;
}

/* ------------------------------------------------------------------- -w */

/* curl's names, and what each means here (man page: -w). */
enum var {
	V_HTTP_CODE, V_SIZE_DOWNLOAD, V_TIME_TOTAL, V_URL_EFFECTIVE,
	V_NUM_REDIRECTS, V_REMOTE_IP, V_REMOTE_PORT, V_CONTENT_TYPE,
	V_HTTP_VERSION, V_TIME_NAMELOOKUP, V_TIME_CONNECT, V_TIME_APPCONNECT,
	V_TIME_STARTTRANSFER, V_SIZE_UPLOAD, V_SPEED_UPLOAD
};
static const char *const vars[] = {
	"http_code", "size_download", "time_total", "url_effective",
	"num_redirects", "remote_ip", "remote_port", "content_type",
	"http_version", "time_namelookup", "time_connect", "time_appconnect",
	"time_starttransfer", "size_upload", "speed_upload", NULL
};

/* The variable at fmt ("%{name}"): its index, or -1; *len its length. */
static int
var_at(const char *fmt, size_t *len)
{
	const char *end;
	size_t n;
	int i;

	if (strncmp(fmt, "%{", 2) != 0 || (end = strchr(fmt, '}')) == NULL)
		return -1;
	n = (size_t)(end - fmt - 2);
	*len = n + 3;
	for (i = 0; vars[i] != NULL; i++)
		if (strlen(vars[i]) == n && strncmp(fmt + 2, vars[i], n) == 0)
			return i;
	return -1;
}

int
hg_write_out_check(const char *fmt, const char **why)
{
	size_t len;

	for (; *fmt != '\0'; fmt++)
		if (strncmp(fmt, "%{", 2) == 0) {
			if (var_at(fmt, &len) < 0) {
				*why = "unknown variable (see -w in "
				    "acore-http-get(1))";
				return -1;
			}
			fmt += len - 1;
		}
	return 0;
}

/* A time since j started, as curl prints it; 0 for a stage not reached. */
static void
put_time(FILE *fp, const struct hg_job *j, double t)
{
	fprintf(fp, "%.6f", t > 0 && j->start > 0 ? t - j->start : 0.0);
}

/* Variable v of j onto fp. */
static void
put_var(FILE *fp, const struct hg_job *j, enum var v)
{
	uint64_t up = j->rbody != NULL ? hg_body_sent(j->rbody) : 0;
	double secs;

	switch (v) {
	case V_HTTP_CODE:
		fprintf(fp, "%03d", j->status);
		break;
	case V_SIZE_DOWNLOAD:
		fprintf(fp, "%" PRIu64, j->body);
		break;
	case V_TIME_TOTAL:
		put_time(fp, j, acore_now());
		break;
	case V_URL_EFFECTIVE:
		fputs(j->url, fp);
		break;
	case V_NUM_REDIRECTS:
		fprintf(fp, "%d", j->redirects);
		break;
	case V_REMOTE_IP:
		fputs(j->remote_ip, fp);
		break;
	case V_REMOTE_PORT:
		fprintf(fp, "%d", j->remote_port);
		break;
	case V_CONTENT_TYPE:
		if (j->content_type != NULL)
			fputs(j->content_type, fp);
		break;
	case V_HTTP_VERSION:
		/* curl's: "1.0", "1.1", "2"; "0" before any response. */
		if (j->version % 10 == 0)
			fprintf(fp, "%d", j->version / 10);
		else
			fprintf(fp, "%d.%d", j->version / 10,
			    j->version % 10);
		break;
	case V_TIME_NAMELOOKUP:
		put_time(fp, j, j->t_lookup);
		break;
	case V_TIME_CONNECT:
		put_time(fp, j, j->t_connect);
		break;
	case V_TIME_APPCONNECT:
		put_time(fp, j, j->t_app);
		break;
	case V_TIME_STARTTRANSFER:
		put_time(fp, j, j->t_first);
		break;
	case V_SIZE_UPLOAD:
		fprintf(fp, "%" PRIu64, up);
		break;
	case V_SPEED_UPLOAD:	/* bytes a second, as curl prints it */
		secs = j->start > 0 ? acore_now() - j->start : 0.0;
		fprintf(fp, "%.0f", secs > 0 ? (double)up / secs : 0.0);
		break;
	}
}

int
hg_write_out(struct hg *g, struct hg_job *j)
{
	const char *f;
	struct hg_out *out = j->wout != NULL ? j->wout : j->out;
	char *text = NULL;
	size_t size = 0, len;
	FILE *fp;
	int rc, v;

	if (out == NULL || (fp = open_memstream(&text, &size)) == NULL)
		return -ENOMEM;
	for (f = g->o.write_out; *f != '\0'; f++) {
		if (*f == '\\' && f[1] != '\0' && strchr("nt\\", f[1])) {
			f++;
			fputc(*f == 'n' ? '\n' : *f == 't' ? '\t' : '\\', fp);
			continue;
		}
		if (*f == '%' && f[1] == '%') {
			fputc(*f++, fp);
			continue;
		}
		if ((v = var_at(f, &len)) < 0) {
			fputc(*f, fp);
			continue;
		}
		put_var(fp, j, (enum var)v);
		f += len - 1;
	}
	if (fclose(fp) != 0) {
		free(text);
		return -ENOMEM;
	}
	rc = hg_out_write(out, text, size);
	free(text);
	return rc;
}
