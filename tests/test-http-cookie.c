/*
 * test-http-cookie.c: the cookie jar against RFC 6265: Set-Cookie
 * parsing, domain and path matching, expiry, Secure, the Cookie header's
 * order, cookie dates, the Netscape cookie file and -b strings.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "ahttp.h"

#define T	((int64_t)1700000000)	/* 2023-11-14 22:13:20 UTC */

static struct ahttp_jar *jar;

/* Set-Cookie v from host (target): 0 stored, or 1 and why. */
static void
set(const char *v, const char *host, const char *target, int secure,
    int64_t now, const char *why_want)
{
	const char *why = NULL;
	int rc;

	rc = ahttp_jar_set(jar, v, strlen(v), host, target, secure, now,
	    &why);
	if (why_want == NULL) {
		if (!ok(rc == 0, "Set-Cookie: %s (from %s%s): kept", v, host,
		    target))
			diag("got %d: %s", rc, why ? why : "");
	} else if (!ok(rc == 1 && why != NULL && strcmp(why, why_want) == 0,
	    "Set-Cookie: %s (from %s%s): ignored, %s", v, host, target,
	    why_want))
		diag("got %d: %s", rc, why ? why : "");
}

/* The Cookie header for host and target; want NULL: none. */
static void
header(const char *host, const char *target, int secure, int64_t now,
    const char *want)
{
	char *h = NULL;

	ok(ahttp_jar_header(jar, host, target, secure, 1, now, &h) == 0,
	    "header for %s%s", host, target);
	if (want == NULL) {
		if (!ok(h == NULL, "  none"))
			diag("got %s", h);
	} else
		is_str(h, want, "  Cookie: %s", want);
	free(h);
}

static void
fresh(void)
{
	ahttp_jar_free(jar);
	if ((jar = ahttp_jar_new()) == NULL)
		bail_out("out of memory");
}

/* RFC 6265 section 3.1's examples. */
static void
rfc_examples(void)
{
	fresh();
	set("SID=31d4d96e407aad42", "www.example.com", "/", 0, T, NULL);
	header("www.example.com", "/", 0, T, "SID=31d4d96e407aad42");
	header("example.com", "/", 0, T, NULL);
	header("sub.www.example.com", "/", 0, T, NULL);

	fresh();
	set("SID=31d4d96e407aad42; Path=/; Domain=example.com",
	    "www.example.com", "/", 0, T, NULL);
	header("example.com", "/x", 0, T, "SID=31d4d96e407aad42");
	header("a.b.example.com", "/", 0, T, "SID=31d4d96e407aad42");
	header("badexample.com", "/", 0, T, NULL);

	fresh();
	set("SID=31d4d96e407aad42; Path=/; Secure; HttpOnly",
	    "www.example.com", "/", 1, T, NULL);
	set("lang=en-US; Path=/; Domain=example.com", "www.example.com", "/",
	    1, T, NULL);
	header("www.example.com", "/", 1, T,
	    "SID=31d4d96e407aad42; lang=en-US");
	header("www.example.com", "/", 0, T, "lang=en-US");
	header("www.example.com", "/", 1, T + 365 * 86400,
	    "SID=31d4d96e407aad42; lang=en-US");

	/* Expires: a persistent cookie, then one in the past removes it. */
	fresh();
	set("lang=en-US; Expires=Wed, 09 Jun 2021 10:18:14 GMT",
	    "example.com", "/", 0, 1600000000, NULL);
	ok(ahttp_jar_get(jar, 0) != NULL &&
	    ahttp_jar_get(jar, 0)->expires == 1623233894,
	    "  expires 1623233894");
	header("example.com", "/", 0, 1623233893, "lang=en-US");
	header("example.com", "/", 0, 1623233894, NULL);
	set("lang=; Expires=Sun, 06 Nov 1994 08:49:37 GMT", "example.com",
	    "/", 0, 1600000000, NULL);
	ok(ahttp_jar_get(jar, 0) == NULL, "  and an expired one removes it");
}

static void
domains(void)
{
	const struct ahttp_cookie *c;

	fresh();
	set("a=1; Domain=.Example.COM", "www.example.com", "/", 0, T, NULL);
	c = ahttp_jar_get(jar, 0);
	ok(c != NULL && strcmp(c->domain, "example.com") == 0 &&
	    !c->host_only, "  domain example.com, not host-only");
	set("b=1; Domain=other.com", "www.example.com", "/", 0, T,
	    "its Domain does not match the host");
	set("b=1; Domain=wexample.com", "www.example.com", "/", 0, T,
	    "its Domain does not match the host");
	set("b=1; Domain=sub.www.example.com", "www.example.com", "/", 0, T,
	    "its Domain does not match the host");
	set("b=1; Domain=com", "www.example.com", "/", 0, T,
	    "its Domain is a top-level domain");
	set("b=1; Domain=.com", "www.example.com", "/", 0, T,
	    "its Domain is a top-level domain");
	set("b=1; Domain=example.com.", "www.example.com", "/", 0, T,
	    "its Domain does not match the host");
	/* An empty Domain is ignored, not an earlier one. */
	set("c=1; Domain=example.com; Domain=", "www.example.com", "/", 0, T,
	    NULL);
	c = ahttp_jar_get(jar, 1);
	ok(c != NULL && strcmp(c->domain, "example.com") == 0,
	    "  Domain= after Domain=example.com: example.com");
	set("d=1; Domain=EXAMPLE.com; domain=www.example.com",
	    "www.example.com", "/", 0, T, NULL);
	c = ahttp_jar_get(jar, 2);
	ok(c != NULL && strcmp(c->domain, "www.example.com") == 0 &&
	    !c->host_only, "  the last Domain counts");

	/* A single-label host may set a cookie for itself only. */
	fresh();
	set("a=1; Domain=localhost", "localhost", "/", 0, T, NULL);
	c = ahttp_jar_get(jar, 0);
	ok(c != NULL && c->host_only && strcmp(c->domain, "localhost") == 0,
	    "  Domain=localhost from localhost: host-only");
	header("localhost", "/", 0, T, "a=1");
	header("x.localhost", "/", 0, T, NULL);

	/* Addresses: Domain must be the address itself. */
	fresh();
	set("a=1; Domain=0.0.1", "127.0.0.1", "/", 0, T,
	    "its Domain does not match the host");
	set("a=1; Domain=127.0.0.1", "127.0.0.1", "/", 0, T, NULL);
	ok(ahttp_jar_get(jar, 0)->host_only, "  host-only");
	set("b=2", "::1", "/", 0, T, NULL);
	header("127.0.0.1", "/", 0, T, "a=1");
	header("::1", "/", 0, T, "b=2");
	header("1.127.0.0.1", "/", 0, T, NULL);
}

static void
paths(void)
{
	const struct ahttp_cookie *c;

	fresh();
	set("a=1", "h", "/docs/web/page?x=/y", 0, T, NULL);
	c = ahttp_jar_get(jar, 0);
	ok(c != NULL && strcmp(c->path, "/docs/web") == 0,
	    "  default path /docs/web");
	set("b=1", "h", "/top", 0, T, NULL);
	ok(strcmp(ahttp_jar_get(jar, 1)->path, "/") == 0,
	    "  default path of /top: /");
	set("c=1; Path=relative", "h", "/x/y", 0, T, NULL);
	ok(strcmp(ahttp_jar_get(jar, 2)->path, "/x") == 0,
	    "  a Path not starting with /: the default");
	set("d=1; path=/docs", "h", "/", 0, T, NULL);
	header("h", "/docs", 0, T, "d=1; b=1");
	header("h", "/docs/", 0, T, "d=1; b=1");
	header("h", "/docs/web/page", 0, T, "a=1; d=1; b=1");
	header("h", "/docs/web", 0, T, "a=1; d=1; b=1");
	header("h", "/docs/webx", 0, T, "d=1; b=1");
	header("h", "/docsets", 0, T, "b=1");
	header("h", "/fr/docs", 0, T, "b=1");
	header("h", "/x/y?q", 0, T, "c=1; b=1");
	header("h", "*", 0, T, "b=1");
	/* Found by fuzz-cookie: a tab in Path would break the file. */
	set("t=1; Path=/a\tb", "h", "/x/y", 0, T, NULL);
	ok(strcmp(ahttp_jar_get(jar, 4)->path, "/x") == 0,
	    "  a Path with a tab: the default");
	set("e=1; Path=/docs/", "h", "/", 0, T, NULL);
	header("h", "/docs", 0, T, "d=1; b=1");
	header("h", "/docs/a", 0, T, "e=1; d=1; b=1");
}

static void
expiry(void)
{
	const struct ahttp_cookie *c;

	fresh();
	set("a=1; Max-Age=60", "h", "/", 0, T, NULL);
	is_int(ahttp_jar_get(jar, 0)->expires, T + 60, "  Max-Age=60");
	set("a=1; Max-Age=60; Expires=Wed, 09 Jun 2021 10:18:14 GMT", "h",
	    "/", 0, T, NULL);
	is_int(ahttp_jar_get(jar, 0)->expires, T + 60,
	    "  Max-Age before Expires wins");
	set("a=1; Expires=Wed, 09 Jun 2031 10:18:14 GMT; Max-Age=7", "h",
	    "/", 0, T, NULL);
	is_int(ahttp_jar_get(jar, 0)->expires, T + 7,
	    "  Max-Age after Expires wins");
	set("a=1; Max-Age=x7; Expires=Wed, 09 Jun 2031 10:18:14 GMT", "h",
	    "/", 0, T, NULL);
	is_int(ahttp_jar_get(jar, 0)->expires, 1938766694,
	    "  a bad Max-Age is ignored");
	set("a=1; Expires=bogus", "h", "/", 0, T, NULL);
	is_int(ahttp_jar_get(jar, 0)->expires, 0,
	    "  a bad Expires: a session cookie");
	set("a=1; Max-Age=99999999999999999999999", "h", "/", 0, T, NULL);
	ok(ahttp_jar_get(jar, 0)->expires > T + 1000000000LL,
	    "  a huge Max-Age saturates");
	set("a=2; Max-Age=-1", "h", "/", 0, T, NULL);
	ok(ahttp_jar_get(jar, 0) == NULL, "  Max-Age=-1 removes it");
	set("b=1; Max-Age=0", "h", "/", 0, T, NULL);
	ok(ahttp_jar_get(jar, 0) == NULL, "  Max-Age=0 stores nothing");
	set("c=1; Max-Age=10", "h", "/", 0, T, NULL);
	header("h", "/", 0, T + 9, "c=1");
	header("h", "/", 0, T + 10, NULL);
	/* Replacing keeps the creation time, so the order. */
	set("d=1", "h", "/", 0, T, NULL);
	set("c=2", "h", "/", 0, T, NULL);
	header("h", "/", 0, T, "c=2; d=1");
	c = ahttp_jar_get(jar, 0);
	ok(c != NULL && strcmp(c->value, "2") == 0 && c->expires == 0,
	    "  replaced in place, now a session cookie");
}

static void
secure(void)
{
	fresh();
	set("a=1; Secure", "h", "/", 0, T, "Secure, from an insecure origin");
	set("a=1; Secure", "h", "/", 1, T, NULL);
	set("a=2", "h", "/", 0, T, "it would shadow a Secure cookie");
	set("a=2; Path=/sub", "h", "/", 0, T,
	    "it would shadow a Secure cookie");
	set("a=2; Domain=h.example", "x.h.example", "/", 0, T, NULL);
	set("a=3", "h", "/", 1, T, NULL);
	header("h", "/", 1, T, "a=3");
	set("__Secure-x=1", "h", "/", 1, T, "a __Secure- cookie without Secure");
	set("__secure-x=1; Secure", "h", "/", 1, T, NULL);
	set("__Host-x=1; Secure; Path=/", "h", "/", 1, T, NULL);
	set("__Host-y=1; Secure", "h", "/a/b", 1, T,
	    "a __Host- cookie with Domain, without Secure or not for path /");
	set("__HOST-y=1; Secure; Path=/; Domain=h.example", "x.h.example",
	    "/", 1, T,
	    "a __Host- cookie with Domain, without Secure or not for path /");
	header("h", "/", 1, T, "a=3; __secure-x=1; __Host-x=1");
}

static void
syntax(void)
{
	const struct ahttp_cookie *c;
	char big[AHTTP_COOKIE_MAX_SIZE + 16];

	fresh();
	set("novalue", "h", "/", 0, T, "no name=value");
	set("=v", "h", "/", 0, T, "an empty name");
	set(" \t=v; Path=/", "h", "/", 0, T, "an empty name");
	set("a=b\x01", "h", "/", 0, T, "a control character");
	set("a=b\x7f", "h", "/", 0, T, "a control character");
	set("a=b\tc", "h", "/", 0, T, "a tab in the name or value");
	set("noeq; a=b", "h", "/", 0, T, "no name=value");
	memset(big, 'x', sizeof(big));
	big[0] = 'n';
	big[1] = '=';
	big[AHTTP_COOKIE_MAX_SIZE + 2] = '\0';
	set(big, "h", "/", 0, T, "name and value too long");
	big[AHTTP_COOKIE_MAX_SIZE + 1] = '\0';
	set(big, "h", "/", 0, T, NULL);
	fresh();
	set("  name = v a l ue \t;  HttpOnly ; ; SameSite=Lax; x", "h", "/",
	    0, T, NULL);
	c = ahttp_jar_get(jar, 0);
	ok(c != NULL && strcmp(c->name, "name") == 0 &&
	    strcmp(c->value, "v a l ue") == 0 && c->http_only,
	    "  blanks trimmed, HttpOnly, unknown attributes skipped");
	set("q=\"quoted=value\"; path=/", "h", "/", 0, T, NULL);
	set("e=", "h", "/", 0, T, NULL);
	set("u=caf\xc3\xa9", "h", "/", 0, T, NULL);
	header("h", "/", 0, T, "name=v a l ue; q=\"quoted=value\"; e=; "
	    "u=caf\xc3\xa9");
}

static void
limits(void)
{
	char v[32];
	int i;

	fresh();
	for (i = 0; i < AHTTP_JAR_MAX_DOMAIN + 1; i++) {
		snprintf(v, sizeof(v), "c%d=%d", i, i);
		ahttp_jar_set(jar, v, strlen(v), "h", "/", 0, T, NULL);
	}
	for (i = 0; ahttp_jar_get(jar, (size_t)i) != NULL; i++)
		;
	is_int(i, AHTTP_JAR_MAX_DOMAIN, "%d cookies per domain at most",
	    AHTTP_JAR_MAX_DOMAIN);
	is_str(ahttp_jar_get(jar, 0)->name, "c1", "  the oldest went");
	/* Replacing one at the limit evicts nothing. */
	ahttp_jar_set(jar, "c1=x", 4, "h", "/", 0, T, NULL);
	is_str(ahttp_jar_get(jar, 0)->value, "x", "  replacing evicts nothing");
}

static void
dates(void)
{
	static const struct {
		const char	*s;
		int64_t		 t;	/* -1: does not parse */
	} t[] = {
		{ "Sun, 06 Nov 1994 08:49:37 GMT", 784111777 },
		{ "Sunday, 06-Nov-94 08:49:37 GMT", 784111777 },
		{ "Sun Nov  6 08:49:37 1994", 784111777 },
		{ "Thu, 01-Jan-1970 00:00:00 GMT", 0 },
		{ "Wed, 09 Jun 2021 10:18:14 GMT", 1623233894 },
		{ "09 jun 2021 10:18:14", 1623233894 },
		{ "2021 Jun 09 10:18:14", 1623233894 },	/* "2021": no day */
		{ "Jun 9 10:18:14 21", 1623233894 },
		{ "Tue, 29 Feb 2000 00:00:00 GMT", 951782400 },
		{ "Fri, 31 Dec 9999 23:59:59 GMT", 253402300799 },
		{ "Mon, 01 Jan 1601 00:00:00 GMT", -11644473600 },
		{ "Fri, 29 Feb 2001 00:00:00 GMT", -1 },
		{ "Sun, 31 Apr 2021 00:00:00 GMT", -1 },
		{ "Sun, 06 Nov 1600 08:49:37 GMT", -1 },
		{ "Sun, 06 Nov 1994 24:00:00 GMT", -1 },
		{ "Sun, 06 Nov 1994 08:60:00 GMT", -1 },
		{ "Sun, 00 Nov 1994 08:49:37 GMT", -1 },
		{ "Sun, 06 Nov 1994", -1 },
		{ "Sun, 06 1994 08:49:37 GMT", -1 },
		{ "", -1 },
		{ "1:2:3 4 MAY 70", 10630923 },
		{ "06 Nov 1994 08:49:37123", -1 },	/* time needs a non-digit */
	};
	size_t i;
	int64_t got;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		got = -1;
		rc = ahttp_cookie_date(t[i].s, strlen(t[i].s), &got);
		if (t[i].t == -1)
			ok(rc == -EINVAL, "date \"%s\": not a date", t[i].s);
		else if (!ok(rc == 0 && got == t[i].t, "date \"%s\": %lld",
		    t[i].s, (long long)t[i].t))
			diag("got %d, %lld", rc, (long long)got);
	}
}

static int
collect(void *arg, const void *buf, size_t len)
{
	FILE *fp = arg;

	return fwrite(buf, 1, len, fp) == len ? 0 : -EIO;
}

static char *
saved(int64_t now)
{
	char *s = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&s, &n);

	if (fp == NULL || ahttp_jar_save(jar, now, collect, fp) != 0)
		bail_out("save");
	fclose(fp);
	return s;
}

static void
files(void)
{
	static const char file[] =
	    "# Netscape HTTP Cookie File\n"
	    "# https://curl.se/docs/http-cookies.html\n"
	    "\n"
	    ".example.com\tTRUE\t/\tFALSE\t0\tsess\tone\n"
	    "#HttpOnly_www.example.com\tFALSE\t/a\tTRUE\t2000000000\tho\tv w\r\n"
	    "Old.Example\tFALSE\t/\tFALSE\t1600000000\texpired\tx\n"
	    "h\tFALSE\t/\tFALSE\t0\tempty\n"
	    "   \n"
	    "bad line\n"
	    "h\tFALSE\tnoslash\tFALSE\t0\tn\tv\n"
	    "h\tFALSE\t/\tFALSE\t12x\tn\tv\n"
	    "h\tFALSE\t/\tFALSE\t0\t\tv\n"
	    "h\tFALSE\t/\tFALSE\t0\tn\tv\textra\n"
	    "h!\tFALSE\t/\tFALSE\t0\tn\tv\n"
	    "h\tFALSE\t/\tFALSE\t0\tn\tv\x01\n"
	    "#comment\tFALSE\t/\tFALSE\t0\tn\tv\n"
	    /* found by fuzz-cookie: a NUL, a second dot, a huge expiry */
	    ".\0h\tTRUE\t/\tFALSE\t0\tn\tv\n"
	    "..h\tTRUE\t/\tFALSE\t0\tn\tv\n"
	    "big\tFALSE\t/\tFALSE\t99999999999999999999\tn\tv\n"
	    "h\tfalse\t/\ttrue\t0\tlast\tno newline";
	static const char want[] =
	    "# Netscape HTTP Cookie File\n"
	    "# Written by acore http-get -c: the format of curl's cookie "
	    "files.\n\n"
	    ".example.com\tTRUE\t/\tFALSE\t0\tsess\tone\n"
	    "#HttpOnly_www.example.com\tFALSE\t/a\tTRUE\t2000000000\tho\tv w\n"
	    "h\tFALSE\t/\tFALSE\t0\tempty\t\n"
	    "big\tFALSE\t/\tFALSE\t9223372036854775807\tn\tv\n"
	    "h\tFALSE\t/\tTRUE\t0\tlast\tno newline\n";
	char *out, *again;
	size_t bad = 99;

	fresh();
	ok(ahttp_jar_load(jar, file, sizeof(file) - 1, T, &bad) == 0,
	    "cookie file loaded");
	is_int(bad, 9, "  9 lines skipped as bad, the comment not counted");
	header("www.example.com", "/a/b", 1, T, "ho=v w; sess=one");
	header("www.example.com", "/a/b", 0, T, "sess=one");
	header("h", "/", 1, T, "empty=; last=no newline");
	out = saved(T);
	is_str(out, want, "saved as curl writes it (expired ones left out)");
	fresh();
	ahttp_jar_load(jar, out, strlen(out), T, &bad);
	again = saved(T);
	is_str(again, want, "  load and save again: the same text");
	ok(bad == 0, "  no bad line");
	free(out);
	free(again);
	out = saved(2000000000);
	ok(strstr(out, "\tho\t") == NULL, "  expired by then: left out");
	free(out);

	/* Cookies set by servers round-trip too. */
	fresh();
	set("a=1; Domain=example.com; Path=/p; Max-Age=100; Secure; HttpOnly",
	    "www.example.com", "/", 1, T, NULL);
	set("b=2", "www.example.com", "/x/y", 0, T, NULL);
	out = saved(T);
	is_str(out, "# Netscape HTTP Cookie File\n"
	    "# Written by acore http-get -c: the format of curl's cookie "
	    "files.\n\n"
	    "#HttpOnly_.example.com\tTRUE\t/p\tTRUE\t1700000100\ta\t1\n"
	    "www.example.com\tFALSE\t/x\tFALSE\t0\tb\t2\n",
	    "server cookies saved");
	free(out);
}

static void
given(void)
{
	const char *why;
	char *out;

	fresh();
	ok(ahttp_jar_given(jar, "a=b; c = d ;;e=", &why) == 0,
	    "-b 'a=b; c = d ;;e='");
	ok(ahttp_jar_given(jar, " f=g=h", &why) == 0, "-b ' f=g=h'");
	set("j=1", "h", "/", 0, T, NULL);
	header("h", "/", 0, T, "j=1; a=b; c = d ;;e=;  f=g=h");
	header("other", "/", 0, T, "a=b; c = d ;;e=;  f=g=h");
	{
		char *h = NULL;

		ahttp_jar_header(jar, "other", "/", 0, 0, T, &h);
		ok(h == NULL, "  given=0: not sent");
		free(h);
	}
	out = saved(T);
	ok(strstr(out, "a\tb") == NULL, "  never saved");
	free(out);
	{
		char *h = NULL;
		struct ahttp_jar *j2 = ahttp_jar_new();

		ok(j2 != NULL && ahttp_jar_given(j2, "", &why) == 0 &&
		    ahttp_jar_given(j2, " ; ;", &why) == 0 &&
		    ahttp_jar_header(j2, "h", "/", 0, 1, T, &h) == 0 &&
		    h == NULL, "-b '' and ' ; ;': no Cookie at all");
		free(h);
		ahttp_jar_free(j2);
	}
	is_int(ahttp_jar_given(jar, "novalue", &why), -EINVAL,
	    "-b 'novalue': -EINVAL");
	is_str(why, "a cookie that is not name=value", "  why");
	is_int(ahttp_jar_given(jar, "a=b; =c", &why), -EINVAL,
	    "-b 'a=b; =c': -EINVAL");
	is_int(ahttp_jar_given(jar, "a=b\r\nX-Injected: 1", &why), -EINVAL,
	    "-b with a line break: -EINVAL");
	is_str(why, "a control character", "  why");
}

int
main(void)
{
	rfc_examples();
	domains();
	paths();
	expiry();
	secure();
	syntax();
	limits();
	dates();
	files();
	given();
	ahttp_jar_free(jar);
	tap_plan_done();
	return tap_failed != 0;
}
