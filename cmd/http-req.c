/*
 * http-req.c: the request http-get sends, and the one check every value
 * that reaches it passes: the URL (and every redirect target), -A, -H.  A
 * CR or LF there would end the line and start a header of the value's
 * choosing (request splitting); other control bytes have no business in a
 * request either.  The option parser refuses such values at once; the
 * request builder checks again, so a path that forgot to cannot put them
 * on the wire.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acore.h"
#include "cmd.h"
#include "http.h"

int
hg_value_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return 0;
	return 1;
}

/* -H replaces a header of ours with the same name ("Name:" drops it). */
static int
user_has(const struct hg_opts *o, const char *name)
{
	size_t n = strlen(name);
	int i;

	for (i = 0; i < o->nheaders; i++)
		if (strncasecmp(o->headers[i], name, n) == 0 &&
		    o->headers[i][n] == ':')
			return 1;
	return 0;
}

/*
 * Credentials typed with -H go to the first URL's origin only: a redirect
 * to another scheme, host or port does not get them, as with curl (which
 * withholds Authorization and Cookie; a typed Proxy-Authorization too:
 * -x's credentials come from -x or -U), unless --location-trusted says it
 * may.
 */
static int
withheld(const struct hg_opts *o, const struct hg_job *j, const char *h)
{
	static const char *const secret[] = {
		"Authorization", "Cookie", "Proxy-Authorization", NULL
	};
	size_t n;
	int i;

	if (o->trusted || j->redirects == 0 ||
	    ahttp_url_same_origin(&j->first, &j->u))
		return 0;
	for (i = 0; secret[i] != NULL; i++) {
		n = strlen(secret[i]);
		if (strncasecmp(h, secret[i], n) == 0 && h[n] == ':')
			return 1;
	}
	return 0;
}

static int
values_ok(const struct hg_opts *o, const struct hg_job *j)
{
	int i;

	if (!hg_value_ok(j->u.target) || !hg_value_ok(j->u.absolute) ||
	    !hg_value_ok(j->u.authority) ||
	    (o->user_agent != NULL && !hg_value_ok(o->user_agent)) ||
	    (o->referer != NULL && !hg_value_ok(o->referer)))
		return 0;
	for (i = 0; i < o->nheaders; i++)
		if (!hg_value_ok(o->headers[i]))
			return 0;
	return 1;
}

/* The next field of r: name and value, the value's length given. */
static void
add(struct hg_req *r, const char *name, const char *value, size_t valuelen)
{
	struct hg_field *f = &r->fields[r->nfields++];

	f->name = name;
	f->namelen = strlen(name);
	f->value = value;
	f->valuelen = valuelen;
}

/* FIRST-[LAST] with FIRST <= LAST, or -SUFFIX, comma-separated. */
int
hg_range_ok(const char *s)
{
	unsigned long long first, last;
	char *end;

	for (;;) {
		errno = 0;
		if (*s == '-') {
			if (!isdigit((unsigned char)s[1]))
				return 0;
			(void)strtoull(s + 1, &end, 10);
			if (errno != 0)
				return 0;
		} else {
			if (!isdigit((unsigned char)*s))
				return 0;
			first = strtoull(s, &end, 10);
			if (errno != 0 || *end != '-')
				return 0;
			s = end + 1;
			if (isdigit((unsigned char)*s)) {
				last = strtoull(s, &end, 10);
				if (errno != 0 || last < first)
					return 0;
			} else
				end = (char *)s;
		}
		if (*end == '\0')
			return 1;
		if (*end != ',')
			return 0;
		s = end + 1;
	}
}

/*
 * After the user's fields, as curl orders them: the body's length (or
 * chunked: a protocol with its own framing drops that field), its type
 * unless -H gave one, and Expect: 100-continue for a large or unknown
 * one unless -H 'Expect:' said no, or a 417 did.
 */
static void
body_fields(const struct hg_opts *o, const struct hg_job *j,
    struct hg_req *r)
{
	const char *type = hg_body_type(j->rbody);
	int64_t len = hg_body_length(j->rbody);

	r->body = j->rbody;
	if (len >= 0) {
		snprintf(r->length, sizeof(r->length), "%" PRId64, len);
		add(r, "Content-Length", r->length, strlen(r->length));
	} else
		add(r, "Transfer-Encoding", "chunked", 7);
	if (type != NULL && !user_has(o, "Content-Type"))
		add(r, "Content-Type", type, strlen(type));
	if (hg_body_expect(j->rbody) && !j->no_expect &&
	    !user_has(o, "Expect")) {
		add(r, "Expect", "100-continue", 12);
		r->expect = 1;
	}
}

int
hg_request(const struct hg_opts *o, struct hg_job *j, int close,
    struct hg_req *r)
{
	const char *v, *colon, *auth = NULL;
	int i, rc, forward;

	memset(r, 0, sizeof(*r));
	if (!values_ok(o, j))
		return -EINVAL;
	/* To an HTTP proxy: the whole URL, and its credentials, as curl. */
	forward = hg_proxy_forwards(j->host->proxy, &j->u);
	if (forward)
		auth = hg_proxy_auth(j->host->proxy);
	/* Ours (at most fourteen), then the user's, then the body's. */
	if ((r->fields = calloc((size_t)o->nheaders + 14,
	    sizeof(*r->fields))) == NULL)
		return -ENOMEM;
	/* --digest: the 401 with the challenge comes on this connection. */
	if (close && hg_auth_keep_open(o, j))
		close = 0;
	r->method = hg_method(o, j);
	r->scheme = j->u.tls ? "https" : "http";
	r->authority = j->u.authority;
	r->target = o->absolute || forward ? j->u.absolute : j->u.target;
	r->minor = o->http10 ? 0 : 1;
	r->close = o->http10;
	/* HTTP/1.0 absolute form: exactly what the PyMOTW example sends. */
	if (!(o->http10 && o->absolute) && !user_has(o, "Host"))
		add(r, "Host", j->u.authority, strlen(j->u.authority));
	if (auth != NULL && !user_has(o, "Proxy-Authorization"))
		add(r, "Proxy-Authorization", auth, strlen(auth));
	if (!o->http10) {
		if ((rc = hg_auth_fields(o, j, r, user_has(o,
		    "Authorization"), user_has(o, "Cookie"), user_has(o,
		    "Referer"), withheld(o, j, "Cookie:"))) < 0) {
			hg_req_free(r);
			return rc;
		}
		/* Right after Host, as curl sends it. */
		if (r->auth != NULL)
			add(r, "Authorization", r->auth, strlen(r->auth));
		if (o->user_agent != NULL && !user_has(o, "User-Agent"))
			add(r, "User-Agent", o->user_agent,
			    strlen(o->user_agent));
		if (!user_has(o, "Accept"))
			add(r, "Accept", "*/*", 3);
		if (o->compressed && !user_has(o, "Accept-Encoding"))
			add(r, "Accept-Encoding", "gzip, deflate", 13);
		if (j->resume_from > 0 && !user_has(o, "Range")) {
			snprintf(r->range, sizeof(r->range), "bytes=%" PRId64
			    "-", j->resume_from);
			add(r, "Range", r->range, strlen(r->range));
		} else if (o->range != NULL && !user_has(o, "Range"))
			add(r, "Range", o->range, strlen(o->range));
		/* curl's places: Referer and Cookie after the rest. */
		if (r->referer != NULL)
			add(r, "Referer", r->referer, strlen(r->referer));
		if (r->cookie != NULL)
			add(r, "Cookie", r->cookie, strlen(r->cookie));
		if (close && !user_has(o, "Connection")) {
			add(r, "Connection", "close", 5);
			r->close = 1;
		}
	}
	for (i = 0; i < o->nheaders; i++) {
		colon = strchr(o->headers[i], ':');
		v = colon + 1;
		v += strspn(v, " \t");
		if (*v == '\0' || withheld(o, j, o->headers[i]))
			continue;
		/* The value without the spaces after the colon. */
		r->fields[r->nfields].name = o->headers[i];
		r->fields[r->nfields].namelen = (size_t)(colon - o->headers[i]);
		r->fields[r->nfields].value = v;
		r->fields[r->nfields].valuelen = strlen(v);
		r->nfields++;
	}
	if (j->rbody != NULL && hg_sends_body(o, j))
		body_fields(o, j, r);
	return 0;
}

const char *
hg_req_error(const struct hg_job *j, int rc, int *result)
{
	*result = rc == -ESPIPE ? AC_EXIT_READ : AC_EXIT_FAIL;
	if (rc == -ESPIPE && j->rbody != NULL)
		return hg_body_error(j->rbody);
	/* http-auth.c: a Digest challenge offering qop=auth-int alone */
	if (rc == -ENOTSUP) {
		*result = AC_EXIT_UNSUPPORTED;
		return "Digest qop=auth-int hashes the body: only one in "
		    "memory (-d, --json, -F without files)";
	}
	return rc == -EINVAL ? "control characters in the request" :
	    acore_strerror(rc);
}

void
hg_req_free(struct hg_req *r)
{
	if (r->auth != NULL)
		explicit_bzero(r->auth, strlen(r->auth));
	free(r->auth);
	free(r->cookie);
	r->auth = r->cookie = NULL;
	free(r->fields);
	r->fields = NULL;
	r->nfields = 0;
}
