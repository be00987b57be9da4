/*
 * cookie.c: the cookie jar of RFC 6265: Set-Cookie parsing (section 5.2),
 * storage (5.3) and the Cookie header (5.4).  No public suffix list: a
 * Domain must domain-match the host and hold a dot, which keeps a server
 * from setting cookies for a whole top-level domain.  Secure cookies and
 * the __Secure- / __Host- name prefixes follow RFC 6265bis, as curl and
 * browsers do.  The time is always the caller's, so tests can set it.
 */
#include "config.h"

#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ahttp-internal.h"

static int	 trimmed(const char *, size_t, const char **, size_t *);

#define IS_WSP(c)	((c) == ' ' || (c) == '\t')

/* s[0, n) without leading and trailing SP and HTAB; returns the length. */
static int
trimmed(const char *s, size_t n, const char **out, size_t *outlen)
{
	while (n > 0 && IS_WSP(*s)) {
		s++;
		n--;
	}
	while (n > 0 && IS_WSP(s[n - 1]))
		n--;
	*out = s;
	*outlen = n;
	return n > 0;
}

struct ahttp_jar *
ahttp_jar_new(void)
{
	return calloc(1, sizeof(struct ahttp_jar));
}

void
ahttp__cookie_free(struct ahttp_cookie *c)
{
	if (c == NULL)
		return;
	free(c->name);
	free(c->value);
	free(c->domain);
	free(c->path);
	free(c);
}

void
ahttp_jar_free(struct ahttp_jar *jar)
{
	size_t i;

	if (jar == NULL)
		return;
	for (i = 0; i < jar->n; i++)
		ahttp__cookie_free(jar->c[i]);
	free(jar->c);
	free(jar->given);
	free(jar);
}

const struct ahttp_cookie *
ahttp_jar_get(const struct ahttp_jar *jar, size_t i)
{
	return i < jar->n ? jar->c[i] : NULL;
}

/* An IPv4 or IPv6 address (a zone allowed), not a name. */
int
ahttp__is_ip(const char *h)
{
	struct in_addr a4;

	return strchr(h, ':') != NULL || inet_pton(AF_INET, h, &a4) == 1;
}

/* RFC 6265 5.1.3: host is domain or a name under it. */
int
ahttp__domain_match(const char *host, const char *domain)
{
	size_t h = strlen(host), d = strlen(domain);

	if (strcasecmp(host, domain) == 0)
		return 1;
	return h > d && host[h - d - 1] == '.' &&
	    strcasecmp(host + h - d, domain) == 0 && !ahttp__is_ip(host);
}

/* RFC 6265 5.1.4: the request path path[0, n) is under cookie path cp. */
static int
path_match(const char *path, size_t n, const char *cp)
{
	size_t c = strlen(cp);

	if (c > n || memcmp(path, cp, c) != 0)
		return 0;
	return c == n || cp[c - 1] == '/' || path[c] == '/';
}

/* The path of a request target: up to the query, "/" at least. */
static size_t
target_path(const char *target, const char **path)
{
	size_t n = strcspn(target, "?");

	if (n == 0 || target[0] != '/') {
		*path = "/";
		return 1;
	}
	*path = target;
	return n;
}

/* RFC 6265 5.1.4's default-path: the directory of the request path. */
static char *
default_path(const char *target)
{
	const char *p;
	size_t n = target_path(target, &p);

	while (n > 1 && p[n - 1] != '/')
		n--;
	if (n > 1)
		n--;		/* "/a/b" -> "/a"; "/a" -> "/" */
	return strndup(p, n);
}

static char *
lower_dup(const char *s, size_t n)
{
	char *d = strndup(s, n);
	size_t i;

	for (i = 0; d != NULL && d[i] != '\0'; i++)
		if (d[i] >= 'A' && d[i] <= 'Z')
			d[i] = (char)(d[i] - 'A' + 'a');
	return d;
}

static int
expired(const struct ahttp_cookie *c, int64_t now)
{
	return c->expires != 0 && c->expires <= now;
}

static void
jar_remove(struct ahttp_jar *jar, size_t i)
{
	ahttp__cookie_free(jar->c[i]);
	memmove(jar->c + i, jar->c + i + 1, (jar->n - i - 1) * sizeof(*jar->c));
	jar->n--;
}

/* The index of the oldest cookie (for domain, when not NULL), or n. */
static size_t
oldest(const struct ahttp_jar *jar, const char *domain, size_t *count)
{
	size_t i, best = jar->n;

	*count = 0;
	for (i = 0; i < jar->n; i++) {
		if (domain != NULL && strcmp(jar->c[i]->domain, domain) != 0)
			continue;
		++*count;
		if (best == jar->n || jar->c[i]->created < jar->c[best]->created)
			best = i;
	}
	return best;
}

/*
 * Store c, which the jar now owns: it replaces a cookie with the same
 * name, domain and path, keeping that one's creation time (5.3 step 11),
 * or an expired c removes that one.  0 or -ENOMEM (c freed).
 */
int
ahttp__jar_put(struct ahttp_jar *jar, struct ahttp_cookie *c, int64_t now)
{
	struct ahttp_cookie **nc;
	size_t i, cap;

	for (i = 0; i < jar->n; i++) {
		if (strcmp(jar->c[i]->name, c->name) != 0 ||
		    strcmp(jar->c[i]->domain, c->domain) != 0 ||
		    strcmp(jar->c[i]->path, c->path) != 0)
			continue;
		if (expired(c, now)) {
			ahttp__cookie_free(c);
			jar_remove(jar, i);
			return 0;
		}
		c->created = jar->c[i]->created;
		ahttp__cookie_free(jar->c[i]);
		jar->c[i] = c;
		return 0;
	}
	if (expired(c, now)) {
		ahttp__cookie_free(c);
		return 0;
	}
	if (jar->n == jar->cap) {
		cap = jar->cap ? jar->cap * 2 : 16;
		if ((nc = reallocarray(jar->c, cap, sizeof(*nc))) == NULL) {
			ahttp__cookie_free(c);
			return -ENOMEM;
		}
		jar->c = nc;
		jar->cap = cap;
	}
	c->created = ++jar->seq;
	jar->c[jar->n++] = c;
	return 0;
}

/* Room for c, unless it replaces one: expired ones go, then the oldest. */
static void
make_room(struct ahttp_jar *jar, const struct ahttp_cookie *c, int64_t now)
{
	size_t i, count;

	for (i = 0; i < jar->n; i++)
		if (strcmp(jar->c[i]->name, c->name) == 0 &&
		    strcmp(jar->c[i]->domain, c->domain) == 0 &&
		    strcmp(jar->c[i]->path, c->path) == 0)
			return;
	for (i = jar->n; i-- > 0; )
		if (expired(jar->c[i], now))
			jar_remove(jar, i);
	i = oldest(jar, c->domain, &count);
	if (count >= AHTTP_JAR_MAX_DOMAIN)
		jar_remove(jar, i);
	i = oldest(jar, NULL, &count);
	if (count >= AHTTP_JAR_MAX)
		jar_remove(jar, i);
}

/* Max-Age (5.2.2): 1 with *t, 0 when the value is not a number. */
static int
max_age(const char *v, size_t n, int64_t now, int64_t *t)
{
	size_t i = v[0] == '-' ? 1 : 0;
	int64_t delta = 0;

	if (i == n)
		return 0;
	for (; i < n; i++) {
		if (!AHTTP__IS_DIGIT(v[i]))
			return 0;
		if (delta < INT64_MAX / 20)
			delta = delta * 10 + (v[i] - '0');
	}
	if (v[0] == '-' || delta == 0)
		*t = INT64_MIN;		/* the earliest time there is */
	else
		*t = now > INT64_MAX - delta ? INT64_MAX : now + delta;
	return 1;
}

/* What the attributes of one Set-Cookie say (5.2). */
struct attrs {
	int64_t		 expires;
	int		 have_expires, have_max_age, secure, http_only;
	const char	*domain, *path;
	size_t		 domainlen, pathlen;
};

static void
parse_attrs(const char *s, size_t n, int64_t now, struct attrs *a)
{
	const char *seg, *name, *val, *eq;
	size_t segn, namen, valn;
	int64_t t;

	while (n > 0) {
		/* s is at a ';' */
		seg = s + 1;
		segn = n - 1;
		s = memchr(seg, ';', segn);
		if (s == NULL)
			s = seg + segn;
		n -= (size_t)(s - seg) + 1;
		segn = (size_t)(s - seg);
		eq = memchr(seg, '=', segn);
		trimmed(seg, eq != NULL ? (size_t)(eq - seg) : segn, &name,
		    &namen);
		val = "";
		valn = 0;
		if (eq != NULL)
			trimmed(eq + 1, (size_t)(seg + segn - eq - 1), &val,
			    &valn);
		if (valn > AHTTP_COOKIE_MAX_ATTR)
			continue;
		if (namen == 7 && strncasecmp(name, "expires", 7) == 0) {
			if (!a->have_max_age &&
			    ahttp_cookie_date(val, valn, &t) == 0) {
				a->expires = t <= 0 ? INT64_MIN : t;
				a->have_expires = 1;
			}
		} else if (namen == 7 && strncasecmp(name, "max-age", 7) == 0) {
			if (valn > 0 && max_age(val, valn, now, &t)) {
				a->expires = t;
				a->have_max_age = 1;
			}
		} else if (namen == 6 && strncasecmp(name, "domain", 6) == 0) {
			if (valn > 0 && val[0] == '.') {
				val++;
				valn--;
			}
			/* An empty one is ignored (5.2.3's SHOULD). */
			if (valn > 0) {
				a->domain = val;
				a->domainlen = valn;
			}
		} else if (namen == 4 && strncasecmp(name, "path", 4) == 0) {
			/* A tab could not be saved: the default path then. */
			a->path = valn > 0 && val[0] == '/' &&
			    memchr(val, '\t', valn) == NULL ? val : NULL;
			a->pathlen = valn;
		} else if (namen == 6 && strncasecmp(name, "secure", 6) == 0)
			a->secure = 1;
		else if (namen == 8 && strncasecmp(name, "httponly", 8) == 0)
			a->http_only = 1;
	}
}

/* The name prefixes of RFC 6265bis 4.1.3 (any case, as browsers). */
static const char *
prefix_bad(const struct ahttp_cookie *c)
{
	if (strncasecmp(c->name, "__Secure-", 9) == 0 && !c->secure)
		return "a __Secure- cookie without Secure";
	if (strncasecmp(c->name, "__Host-", 7) == 0 && (!c->secure ||
	    !c->host_only || strcmp(c->path, "/") != 0))
		return "a __Host- cookie with Domain, without Secure or not "
		    "for path /";
	return NULL;
}

/*
 * RFC 6265bis 5.7 step 16: from an insecure origin, no cookie may shadow
 * a Secure one of the same name whose domain and path overlap its own.
 */
static int
shadows_secure(const struct ahttp_jar *jar, const struct ahttp_cookie *c)
{
	const struct ahttp_cookie *o;
	size_t i;

	for (i = 0; i < jar->n; i++) {
		o = jar->c[i];
		if (o->secure && strcmp(o->name, c->name) == 0 &&
		    (ahttp__domain_match(o->domain, c->domain) ||
		    ahttp__domain_match(c->domain, o->domain)) &&
		    path_match(c->path, strlen(c->path), o->path))
			return 1;
	}
	return 0;
}

/* The checks of 5.3 steps 5 and 6 on a's Domain; NULL: it may be set. */
static const char *
domain_bad(const char *host, const char *dom, struct ahttp_cookie *c)
{
	if (!ahttp__domain_match(host, dom))
		return "its Domain does not match the host";
	if (strchr(dom, '.') != NULL && !ahttp__is_ip(dom))
		return NULL;
	/*
	 * An address, or a single label ("localhost"), is the host's own:
	 * for it alone (as 5.3 step 5 does for a public suffix).
	 */
	if (strcasecmp(host, dom) != 0)
		return "its Domain is a top-level domain";
	c->host_only = 1;
	return NULL;
}

static int
ignore(struct ahttp_cookie *c, const char **why, const char *reason)
{
	ahttp__cookie_free(c);
	if (why != NULL)
		*why = reason;
	return 1;
}

int
ahttp_jar_set(struct ahttp_jar *jar, const char *v, size_t len,
    const char *host, const char *target, int secure, int64_t now,
    const char **why)
{
	struct ahttp_cookie *c;
	struct attrs a;
	const char *pair_end, *eq, *name, *val, *bad;
	size_t i, namen, valn;

	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 ? v[i] != '\t' : v[i] == 0x7f)
			return ignore(NULL, why, "a control character");
	pair_end = memchr(v, ';', len);
	if (pair_end == NULL)
		pair_end = v + len;
	if ((eq = memchr(v, '=', (size_t)(pair_end - v))) == NULL)
		return ignore(NULL, why, "no name=value");
	if (!trimmed(v, (size_t)(eq - v), &name, &namen))
		return ignore(NULL, why, "an empty name");
	trimmed(eq + 1, (size_t)(pair_end - eq - 1), &val, &valn);
	if (namen + valn > AHTTP_COOKIE_MAX_SIZE)
		return ignore(NULL, why, "name and value too long");
	/* A cookie file is tab-separated: a tab could not be saved. */
	if (memchr(name, '\t', namen) != NULL ||
	    memchr(val, '\t', valn) != NULL)
		return ignore(NULL, why, "a tab in the name or value");
	memset(&a, 0, sizeof(a));
	parse_attrs(pair_end, len - (size_t)(pair_end - v), now, &a);

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	c->name = strndup(name, namen);
	c->value = strndup(val, valn);
	c->path = a.path != NULL ? strndup(a.path, a.pathlen) :
	    default_path(target);
	c->domain = a.domain != NULL ? lower_dup(a.domain, a.domainlen) :
	    lower_dup(host, strlen(host));
	if (c->name == NULL || c->value == NULL || c->path == NULL ||
	    c->domain == NULL) {
		ahttp__cookie_free(c);
		return -ENOMEM;
	}
	c->host_only = a.domain == NULL;
	if (!c->host_only && (bad = domain_bad(host, c->domain, c)) != NULL)
		return ignore(c, why, bad);
	c->secure = a.secure != 0;
	c->http_only = a.http_only != 0;
	/* 0 is a session cookie's; a date at or before the epoch expired. */
	c->expires = a.have_expires || a.have_max_age ? a.expires : 0;
	if (c->secure && !secure)
		return ignore(c, why, "Secure, from an insecure origin");
	if ((bad = prefix_bad(c)) != NULL)
		return ignore(c, why, bad);
	if (!secure && shadows_secure(jar, c))
		return ignore(c, why, "it would shadow a Secure cookie");
	make_room(jar, c, now);
	return ahttp__jar_put(jar, c, now);
}

static int
by_path_then_age(const void *a, const void *b)
{
	const struct ahttp_cookie *x = *(const struct ahttp_cookie *const *)a;
	const struct ahttp_cookie *y = *(const struct ahttp_cookie *const *)b;
	size_t xl = strlen(x->path), yl = strlen(y->path);

	if (xl != yl)
		return xl > yl ? -1 : 1;
	return x->created < y->created ? -1 : x->created > y->created;
}

int
ahttp_jar_header(const struct ahttp_jar *jar, const char *host,
    const char *target, int secure, int given, int64_t now, char **out)
{
	const struct ahttp_cookie **m, *c;
	const char *path;
	size_t i, k = 0, len = 0, pathn;
	char *s, *p;

	*out = NULL;
	pathn = target_path(target, &path);
	if ((m = calloc(jar->n + 1, sizeof(*m))) == NULL)
		return -ENOMEM;
	for (i = 0; i < jar->n; i++) {
		c = jar->c[i];
		if (expired(c, now) || (c->secure && !secure) ||
		    !(c->host_only ? strcasecmp(host, c->domain) == 0 :
		    ahttp__domain_match(host, c->domain)) ||
		    !path_match(path, pathn, c->path))
			continue;
		m[k++] = c;
		len += strlen(c->name) + strlen(c->value) + 3;
	}
	if (given && jar->given != NULL)
		len += strlen(jar->given) + 2;
	if (len == 0) {
		free(m);
		return 0;
	}
	qsort(m, k, sizeof(*m), by_path_then_age);
	if ((s = p = malloc(len + 1)) == NULL) {
		free(m);
		return -ENOMEM;
	}
	for (i = 0; i < k; i++)
		p += sprintf(p, "%s%s=%s", i > 0 ? "; " : "", m[i]->name,
		    m[i]->value);
	if (given && jar->given != NULL)
		sprintf(p, "%s%s", k > 0 ? "; " : "", jar->given);
	free(m);
	*out = s;
	return 0;
}
