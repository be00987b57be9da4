/*
 * cookie-file.c: the cookie jar in and out of the Netscape cookie file
 * format that curl reads and writes (-b FILE, -c FILE), and the
 * 'name=value; ...' strings of -b.
 *
 * A file line is seven tab-separated fields: domain (a leading dot when
 * subdomains match), TRUE/FALSE subdomains match, path, TRUE/FALSE
 * secure, expiry in seconds since the epoch (0: session cookie), name,
 * value.  "#HttpOnly_" before the domain marks an HttpOnly cookie; other
 * lines starting with '#' are comments.  As curl does, a line of six
 * fields is a cookie with an empty value, and lines that do not parse are
 * skipped rather than failing the whole file.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ahttp-internal.h"

#define HTTPONLY	"#HttpOnly_"

/* Bytes a domain field may hold: a host name or address, a zone. */
static int
domain_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!(AHTTP__IS_DIGIT(s[i]) || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') || (s[i] != '\0' &&
		    strchr("-._~:%", s[i]) != NULL)))
			return 0;
	return 1;
}

static int
no_ctl(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static int
blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

static int
is_true(const char *s, size_t n)
{
	return n == 4 && strncasecmp(s, "TRUE", 4) == 0;
}

/* Seconds, 0 or more, saturated; -1 when s[0, n) is not that. */
static int64_t
seconds(const char *s, size_t n)
{
	int64_t v = 0;
	size_t i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!AHTTP__IS_DIGIT(s[i]))
			return -1;
		v = v > (INT64_MAX - 9) / 10 ? INT64_MAX :
		    v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * One cookie line (no line break).  0: stored or skipped as expired; 1:
 * not a cookie line; -ENOMEM.
 */
static int
load_line(struct ahttp_jar *jar, const char *s, size_t n, int64_t now)
{
	const char *f[7], *tab;
	size_t fl[7], k, i;
	struct ahttp_cookie *c;
	int http_only = 0;
	int64_t exp;

	if (n >= sizeof(HTTPONLY) - 1 &&
	    memcmp(s, HTTPONLY, sizeof(HTTPONLY) - 1) == 0) {
		http_only = 1;
		s += sizeof(HTTPONLY) - 1;
		n -= sizeof(HTTPONLY) - 1;
	}
	for (k = 0; k < 7; k++) {
		f[k] = s;
		tab = memchr(s, '\t', n);
		fl[k] = tab != NULL ? (size_t)(tab - s) : n;
		if (tab == NULL)
			break;
		n -= fl[k] + 1;
		s = tab + 1;
	}
	if (k == 5) {		/* six fields: the value is empty */
		f[6] = "";
		fl[6] = 0;
	} else if (k != 6)	/* fewer fields, or more */
		return 1;
	if (fl[0] > 0 && f[0][0] == '.') {
		f[0]++;
		fl[0]--;
	}
	if (!domain_ok(f[0], fl[0]) || fl[2] == 0 || f[2][0] != '/' ||
	    fl[5] == 0 || (exp = seconds(f[4], fl[4])) < 0)
		return 1;
	for (i = 2; i < 7; i++)
		if (!no_ctl(f[i], fl[i]))
			return 1;
	if (exp != 0 && exp <= now)
		return 0;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	c->domain = strndup(f[0], fl[0]);
	c->path = strndup(f[2], fl[2]);
	c->name = strndup(f[5], fl[5]);
	c->value = strndup(f[6], fl[6]);
	if (c->domain == NULL || c->path == NULL || c->name == NULL ||
	    c->value == NULL) {
		ahttp__cookie_free(c);
		return -ENOMEM;
	}
	for (i = 0; c->domain[i] != '\0'; i++)
		if (c->domain[i] >= 'A' && c->domain[i] <= 'Z')
			c->domain[i] = (char)(c->domain[i] - 'A' + 'a');
	c->host_only = !is_true(f[1], fl[1]);
	c->secure = is_true(f[3], fl[3]);
	c->http_only = http_only != 0;
	c->expires = exp;
	return ahttp__jar_put(jar, c, now);
}

int
ahttp_jar_load(struct ahttp_jar *jar, const char *text, size_t len,
    int64_t now, size_t *bad)
{
	const char *s = text, *nl, *end = text + len;
	size_t n, nbad = 0;
	int rc;

	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		n = (nl != NULL ? nl : end) - s;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		/* Blank lines and comments (but not #HttpOnly_ lines). */
		if (!blank(s, n) && (s[0] != '#' || (n >=
		    sizeof(HTTPONLY) - 1 && memcmp(s, HTTPONLY,
		    sizeof(HTTPONLY) - 1) == 0))) {
			if ((rc = load_line(jar, s, n, now)) < 0)
				return rc;
			nbad += (size_t)rc;
		}
		s = nl != NULL ? nl + 1 : end;
	}
	if (bad != NULL)
		*bad = nbad;
	return 0;
}

int
ahttp_jar_save(const struct ahttp_jar *jar, int64_t now, ahttp_sink *sink,
    void *arg)
{
	static const char head[] = "# Netscape HTTP Cookie File\n"
	    "# Written by acore http-get -c: the format of curl's cookie "
	    "files.\n\n";
	const struct ahttp_cookie *c;
	char *line;
	size_t i;
	int rc, n;

	if ((rc = sink(arg, head, sizeof(head) - 1)) != 0)
		return rc;
	for (i = 0; i < jar->n; i++) {
		c = jar->c[i];
		if (c->expires != 0 && c->expires <= now)
			continue;
		n = asprintf(&line, "%s%s%s\t%s\t%s\t%s\t%" PRId64 "\t%s\t%s\n",
		    c->http_only ? HTTPONLY : "", c->host_only ? "" : ".",
		    c->domain, c->host_only ? "FALSE" : "TRUE", c->path,
		    c->secure ? "TRUE" : "FALSE", c->expires, c->name,
		    c->value);
		if (n < 0)
			return -ENOMEM;
		rc = sink(arg, line, (size_t)n);
		free(line);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
ahttp_jar_given(struct ahttp_jar *jar, const char *s, const char **why)
{
	const char *p, *end, *name, *eq;
	size_t have, len;
	char *g;
	int any;

	*why = NULL;
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			*why = "a control character";
			return -EINVAL;
		}
	for (any = 0, p = s; *p != '\0'; p = *end == ';' ? end + 1 : end) {
		end = p + strcspn(p, ";");
		name = p + strspn(p, " \t");
		if (name == end)
			continue;		/* "a=b; ;c=d", "a=b;" */
		eq = memchr(name, '=', (size_t)(end - name));
		if (eq == NULL || eq == name) {
			*why = "a cookie that is not name=value";
			return -EINVAL;
		}
		any = 1;
	}
	/* Found by fuzz-cookie: "" or " ; " would send an empty Cookie. */
	if (!any)
		return 0;
	/* Sent as typed, as curl does; several -b strings joined. */
	have = jar->given != NULL ? strlen(jar->given) : 0;
	len = have + strlen(s) + 3;
	if ((g = realloc(jar->given, len)) == NULL)
		return -ENOMEM;
	snprintf(g + have, len - have, "%s%s", have ? "; " : "", s);
	jar->given = g;
	return 0;
}
