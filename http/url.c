/*
 * url.c: http:// URLs: parsing into what a request needs, resolving
 * a Location against the URL it came from (RFC 3986 section 5), and the
 * file name -O takes from a URL.
 */
#include "config.h"

#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ahttp.h"

/* The parts of a URI reference, as spans of the string (RFC 3986 B). */
struct span {
	const char	*p;
	size_t		 n;
	int		 set;
};
struct parts {
	struct span	 scheme, auth, path, query;
};

static void	 split(const char *, struct parts *);
static char	*encode_high(const char *, size_t);
static size_t	 remove_dots(char *);

static void
split(const char *s, struct parts *pt)
{
	const char *p = s, *e;

	memset(pt, 0, sizeof(*pt));
	/* scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
	if (isalpha((unsigned char)*p)) {
		for (e = p + 1; isalnum((unsigned char)*e) || *e == '+' ||
		    *e == '-' || *e == '.'; e++)
			;
		if (*e == ':') {
			pt->scheme = (struct span){ p, (size_t)(e - p), 1 };
			p = e + 1;
		}
	}
	if (p[0] == '/' && p[1] == '/') {
		p += 2;
		e = p + strcspn(p, "/?#");
		pt->auth = (struct span){ p, (size_t)(e - p), 1 };
		p = e;
	}
	e = p + strcspn(p, "?#");
	pt->path = (struct span){ p, (size_t)(e - p), 1 };
	p = e;
	if (*p == '?') {
		e = p + 1 + strcspn(p + 1, "#");
		pt->query = (struct span){ p + 1, (size_t)(e - p - 1), 1 };
	}
}

/* Copy of s[0, n) with bytes >= 0x80 percent-encoded (an IRI typed in). */
static char *
encode_high(const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, k = 0;
	char *out;

	if ((out = malloc(n * 3 + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80) {
			out[k++] = '%';
			out[k++] = hex[c >> 4];
			out[k++] = hex[c & 15];
		} else
			out[k++] = (char)c;
	}
	out[k] = '\0';
	return out;
}

static int
host_ok(const char *h, size_t n)
{
	size_t i;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)h[i]) && h[i] != '-' &&
		    h[i] != '.' && h[i] != '_' && h[i] != '~')
			return 0;
	return 1;
}

/*
 * A zone at z[0, n) ("%25eth0", or "%eth0" as curl also takes it): 1 with
 * *zone and *zlen its name, 0 when it is not one.
 */
static int
zone_ok(const char *z, size_t n, const char **zone, size_t *zlen)
{
	size_t skip = n >= 3 && z[1] == '2' && z[2] == '5' ? 3 : 1, i;

	if (n <= skip || n - skip >= 64)
		return 0;
	for (i = skip; i < n; i++)
		if (!isalnum((unsigned char)z[i]) && z[i] != '-' &&
		    z[i] != '.' && z[i] != '_' && z[i] != '~')
			return 0;
	*zone = z + skip;
	*zlen = n - skip;
	return 1;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * [s, end) percent-decoded (a bad escape stays as it is, as curl leaves
 * it) into a new string; -EINVAL when that holds a NUL.
 */
static int
pct_decode(const char *s, const char *end, char **out)
{
	char *d, *k;
	int hi, lo;

	if ((d = strndup(s, (size_t)(end - s))) == NULL)
		return -ENOMEM;
	for (k = d; s < end; s++) {
		if (*s == '%' && end - s > 2 && (hi = hexval(s[1])) >= 0 &&
		    (lo = hexval(s[2])) >= 0) {
			if ((*k++ = (char)(hi << 4 | lo)) == '\0') {
				free(d);
				return -EINVAL;
			}
			s += 2;
		} else
			*k++ = *s;
	}
	*k = '\0';
	*out = d;
	return 0;
}

/* "user:password@": into u, the password NULL when there is no ':'. */
static int
userinfo(const char *s, size_t n, struct ahttp_url *u, const char **why)
{
	const char *colon = memchr(s, ':', n);
	int rc;

	if ((rc = pct_decode(s, colon != NULL ? colon : s + n, &u->user)) ==
	    0 && colon != NULL)
		rc = pct_decode(colon + 1, s + n, &u->password);
	if (rc == -EINVAL)
		*why = "a NUL byte (%00) in the user name or password";
	else if (rc < 0)
		*why = "out of memory";
	return rc;
}

int
ahttp_url_parse(const char *s, struct ahttp_url *u, const char **why)
{
	return ahttp_url_parse_flags(s, u, 0, why);
}

int
ahttp_url_parse_flags(const char *s, struct ahttp_url *u, int flags,
    const char **why)
{
	struct parts pt;
	const char *a, *at, *colon, *host, *ui;
	size_t i, alen, hlen, plen, uilen;
	int rc;
	char v6[INET6_ADDRSTRLEN + 1], *port = NULL, *tmp, *path;
	const char *pct, *zone = NULL;
	struct in6_addr in6;
	size_t alen6 = 0, zlen = 0;
	long pn, defport;
	int bracket = 0;

	memset(u, 0, sizeof(*u));
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f) {
			*why = "contains a space or control character";
			return -EINVAL;
		}
	split(s, &pt);
	if (!pt.scheme.set || !pt.auth.set) {
		*why = "not an absolute http:// or https:// URL";
		return -EINVAL;
	}
	if (pt.scheme.n == 5 && strncasecmp(pt.scheme.p, "https", 5) == 0)
		u->tls = 1;
	else if (pt.scheme.n != 4 ||
	    strncasecmp(pt.scheme.p, "http", 4) != 0) {
		*why = "unknown scheme (only http:// and https:// are "
		    "supported)";
		return -EINVAL;
	}
	a = pt.auth.p;
	alen = pt.auth.n;
	/* The host cannot hold an '@': the userinfo ends at the last one. */
	for (at = a + alen; at > a && at[-1] != '@'; at--)
		;
	if (at > a && !(flags & AHTTP_URL_USERINFO)) {
		*why = "user information (user@host) is not supported";
		return -EINVAL;
	}
	ui = a;
	uilen = at > a ? (size_t)(at - a) - 1 : 0;
	alen -= (size_t)(at - a);
	a = at;
	if (alen > 0 && a[0] == '[') {
		colon = memchr(a, ']', alen);
		if (colon == NULL) {
			*why = "bad IPv6 address";
			return -EINVAL;
		}
		host = a + 1;
		hlen = (size_t)(colon - a) - 1;
		/* [fe80::1%25eth0]: the address, then its zone (RFC 6874). */
		alen6 = (pct = memchr(host, '%', hlen)) != NULL ?
		    (size_t)(pct - host) : hlen;
		if (alen6 >= sizeof(v6) || (pct != NULL &&
		    !zone_ok(pct, hlen - alen6, &zone, &zlen))) {
			*why = "bad IPv6 address";
			return -EINVAL;
		}
		memcpy(v6, host, alen6);
		v6[alen6] = '\0';
		if (inet_pton(AF_INET6, v6, &in6) != 1) {
			*why = "bad IPv6 address";
			return -EINVAL;
		}
		colon++;
		if (colon < a + alen && *colon != ':') {
			*why = "junk after the IPv6 address";
			return -EINVAL;
		}
		bracket = 1;
	} else {
		host = a;
		colon = memchr(a, ':', alen);
		hlen = colon != NULL ? (size_t)(colon - a) : alen;
		if (hlen == 0) {
			*why = "no host";
			return -EINVAL;
		}
		if (!host_ok(host, hlen)) {
			*why = "bad host name";
			return -EINVAL;
		}
	}
	plen = colon != NULL && colon < a + alen ? (size_t)(a + alen - colon) -
	    1 : 0;
	pn = u->tls ? 443 : 80;
	if (plen > 0) {
		for (pn = 0, i = 1; i <= plen; i++) {
			if (!isdigit((unsigned char)colon[i])) {
				*why = "bad port";
				return -EINVAL;
			}
			if (pn <= 65535)
				pn = pn * 10 + (colon[i] - '0');
		}
		if (pn < 1 || pn > 65535) {
			*why = "port out of range";
			return -EINVAL;
		}
	}

	if (ui < a && (rc = userinfo(ui, uilen, u, why)) < 0) {
		ahttp_url_free(u);
		return rc;
	}
	*why = "out of memory";
	if (asprintf(&port, "%ld", pn) < 0) {
		ahttp_url_free(u);
		return -ENOMEM;
	}
	u->port = port;
	/* The zone is for connect(): "fe80::1%eth0", as getaddrinfo takes. */
	if (zone != NULL && asprintf(&u->host, "%.*s%%%.*s", (int)alen6,
	    host, (int)zlen, zone) < 0)
		u->host = NULL;
	else if (zone == NULL)
		u->host = strndup(host, hlen);
	/*
	 * Host: host[:port], the port left out when it is the default, and
	 * the zone, which means nothing to the server (as curl).
	 */
	defport = u->tls ? 443 : 80;
	if (asprintf(&u->authority, "%s%.*s%s%s%s", bracket ? "[" : "",
	    (int)(bracket ? alen6 : hlen), host, bracket ? "]" : "",
	    pn != defport ? ":" : "", pn != defport ? port : "") < 0)
		u->authority = NULL;
	/* "/a/b/../c/./d" asks for "/a/c/d", as curl does. */
	if ((path = strndup(pt.path.p, pt.path.n)) != NULL)
		remove_dots(path);
	/* "scheme://" and the authority without its userinfo. */
	if (path != NULL && asprintf(&tmp, "%.*s//%.*s%s%s%.*s",
	    (int)pt.scheme.n + 1, s, (int)alen, a, path,
	    pt.query.set ? "?" : "", (int)pt.query.n, pt.query.p) >= 0) {
		u->absolute = encode_high(tmp, strlen(tmp));
		free(tmp);
	}
	/* "http://h" and "http://h?q" ask for "/" and "/?q". */
	if (path != NULL && asprintf(&tmp, "%s%s%s%.*s", *path == '\0' ?
	    "/" : "", path, pt.query.set ? "?" : "", (int)pt.query.n,
	    pt.query.p) >= 0) {
		u->target = encode_high(tmp, strlen(tmp));
		free(tmp);
	}
	free(path);
	if (u->host == NULL || u->authority == NULL || u->absolute == NULL ||
	    u->target == NULL) {
		ahttp_url_free(u);
		return -ENOMEM;
	}
	*why = NULL;
	return 0;
}

void
ahttp_url_free(struct ahttp_url *u)
{
	free(u->user);
	if (u->password != NULL)
		explicit_bzero(u->password, strlen(u->password));
	free(u->password);
	free(u->host);
	free(u->port);
	free(u->authority);
	free(u->target);
	free(u->absolute);
	memset(u, 0, sizeof(*u));
}

/*
 * RFC 3986 5.2.4, in place: "/a/b/../c/./d" becomes "/a/c/d".  Returns
 * the new length.
 */
static size_t
remove_dots(char *in)
{
	char *out = in, *r = in;
	size_t seg;

	while (*r != '\0') {
		if (strncmp(r, "../", 3) == 0)
			r += 3;
		else if (strncmp(r, "./", 2) == 0)
			r += 2;
		else if (strncmp(r, "/./", 3) == 0)
			r += 2;
		else if (strcmp(r, "/.") == 0)
			r[1] = '\0';
		else if (strncmp(r, "/../", 4) == 0 || strcmp(r, "/..") == 0) {
			/* Becomes "/", and the last output segment goes. */
			if (r[3] == '\0')
				*(r += 2) = '/';
			else
				r += 3;
			while (out > in && *--out != '/')
				;
		} else if (strcmp(r, ".") == 0 || strcmp(r, "..") == 0)
			r += strlen(r);
		else {
			seg = *r == '/' ? 1 + strcspn(r + 1, "/") :
			    strcspn(r, "/");
			memmove(out, r, seg);
			out += seg;
			r += seg;
		}
	}
	*out = '\0';
	return (size_t)(out - in);
}

char *
ahttp_url_resolve(const char *base, const char *ref)
{
	struct parts b, r;
	struct span path, query, auth, scheme;
	char *merged = NULL, *out = NULL;
	const char *slash;
	size_t dir;

	split(base, &b);
	split(ref, &r);
	scheme = r.scheme.set ? r.scheme : b.scheme;
	if (r.scheme.set || r.auth.set) {
		auth = r.auth;
		path = r.path;
		query = r.query;
	} else {
		auth = b.auth;
		if (r.path.n == 0) {
			path = b.path;
			query = r.query.set ? r.query : b.query;
		} else {
			path = r.path;
			query = r.query;
		}
	}
	/* A relative path is taken from the base's directory. */
	if (!r.scheme.set && !r.auth.set && r.path.n > 0 &&
	    r.path.p[0] != '/') {
		if (b.auth.set && b.path.n == 0)
			dir = 0;
		else {
			for (slash = b.path.p + b.path.n; slash > b.path.p &&
			    slash[-1] != '/'; slash--)
				;
			dir = (size_t)(slash - b.path.p);
		}
		if (asprintf(&merged, "%s%.*s%.*s", b.auth.set && dir == 0 ?
		    "/" : "", (int)dir, b.path.p, (int)r.path.n,
		    r.path.p) < 0)
			return NULL;
	} else if ((merged = strndup(path.p, path.n)) == NULL)
		return NULL;
	remove_dots(merged);
	if (asprintf(&out, "%.*s:%s%.*s%s%s%.*s", (int)scheme.n, scheme.p,
	    auth.set ? "//" : "", (int)auth.n, auth.p, merged,
	    query.set ? "?" : "", (int)query.n, query.p) < 0)
		out = NULL;
	free(merged);
	return out;
}

char *
ahttp_url_filename(const struct ahttp_url *u)
{
	const char *t = u->target, *end, *s;

	end = t + strcspn(t, "?");
	for (s = end; s > t && s[-1] != '/'; s--)
		;
	if (s == end || (end - s == 1 && s[0] == '.') ||
	    (end - s == 2 && s[0] == '.' && s[1] == '.'))
		return NULL;
	return strndup(s, (size_t)(end - s));
}

int
ahttp_url_same_origin(const struct ahttp_url *a, const struct ahttp_url *b)
{
	return a->tls == b->tls && strcmp(a->port, b->port) == 0 &&
	    strcasecmp(a->host, b->host) == 0;
}
