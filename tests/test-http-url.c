/*
 * test-http-url.c: URL parsing for requests, reference resolution (the
 * RFC 3986 section 5.4 examples) and the names -O takes.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "ahttp.h"

static void
good(const char *url, const char *host, const char *port, const char *auth,
    const char *target, const char *absolute)
{
	struct ahttp_url u;
	const char *why;

	if (!ok(ahttp_url_parse(url, &u, &why) == 0, "parse %s", url)) {
		diag("%s", why);
		return;
	}
	ok(strcmp(u.host, host) == 0 && strcmp(u.port, port) == 0 &&
	    strcmp(u.authority, auth) == 0 && strcmp(u.target, target) == 0 &&
	    strcmp(u.absolute, absolute) == 0,
	    "  host %s port %s Host: %s target %s", host, port, auth, target);
	ahttp_url_free(&u);
}

static void
bad(const char *url, int code, const char *why_want)
{
	struct ahttp_url u;
	const char *why = NULL;
	int rc;

	rc = ahttp_url_parse(url, &u, &why);
	if (!ok(rc == code && why != NULL && strcmp(why, why_want) == 0,
	    "reject %s: %s", url, why_want))
		diag("got %d, %s", rc, why != NULL ? why : "(null)");
}

/* With AHTTP_URL_USERINFO: user and password (NULL: none). */
static void
userinfo(const char *url, const char *user, const char *password,
    const char *auth, const char *absolute)
{
	struct ahttp_url u;
	const char *why;

	if (!ok(ahttp_url_parse_flags(url, &u, AHTTP_URL_USERINFO, &why) == 0,
	    "parse %s", url)) {
		diag("%s", why);
		return;
	}
	ok((user == NULL ? u.user == NULL : u.user != NULL &&
	    strcmp(u.user, user) == 0) && (password == NULL ?
	    u.password == NULL : u.password != NULL &&
	    strcmp(u.password, password) == 0) &&
	    strcmp(u.authority, auth) == 0 &&
	    strcmp(u.absolute, absolute) == 0,
	    "  user %s password %s, Host: %s, %s", user ? user : "(none)",
	    password ? password : "(none)", auth, absolute);
	ahttp_url_free(&u);
}

static void
resolve(const char *base, const char *ref, const char *want)
{
	char *got = ahttp_url_resolve(base, ref);

	is_str(got, want, "resolve \"%s\"", ref);
	free(got);
}

static void
origin(const char *a, const char *b, int same)
{
	struct ahttp_url ua, ub;
	const char *why;

	if (ahttp_url_parse(a, &ua, &why) != 0 ||
	    ahttp_url_parse(b, &ub, &why) != 0)
		bail_out(why);
	ok(ahttp_url_same_origin(&ua, &ub) == same &&
	    ahttp_url_same_origin(&ub, &ua) == same, "%s and %s: %s", a, b,
	    same ? "same origin" : "not the same origin");
	ahttp_url_free(&ua);
	ahttp_url_free(&ub);
}

static void
filename(const char *url, const char *want)
{
	struct ahttp_url u;
	const char *why;
	char *got;

	ahttp_url_parse(url, &u, &why);
	got = ahttp_url_filename(&u);
	if (want == NULL)
		ok(got == NULL, "-O: %s has no name", url);
	else
		is_str(got, want, "-O: %s gives %s", url, want);
	free(got);
	ahttp_url_free(&u);
}

int
main(void)
{
	static const char base[] = "http://a/b/c/d;p?q";
	static const char *const rfc[][2] = {
		/* 5.4.1 normal examples (fragments are never sent) */
		{ "g:h", "g:h" }, { "g", "http://a/b/c/g" },
		{ "./g", "http://a/b/c/g" }, { "g/", "http://a/b/c/g/" },
		{ "/g", "http://a/g" }, { "//g", "http://g" },
		{ "?y", "http://a/b/c/d;p?y" }, { "g?y", "http://a/b/c/g?y" },
		{ "#s", "http://a/b/c/d;p?q" }, { "g#s", "http://a/b/c/g" },
		{ ";x", "http://a/b/c/;x" }, { "", "http://a/b/c/d;p?q" },
		{ ".", "http://a/b/c/" }, { "./", "http://a/b/c/" },
		{ "..", "http://a/b/" }, { "../", "http://a/b/" },
		{ "../g", "http://a/b/g" }, { "../..", "http://a/" },
		{ "../../", "http://a/" }, { "../../g", "http://a/g" },
		/* 5.4.2 abnormal examples */
		{ "../../../g", "http://a/g" },
		{ "../../../../g", "http://a/g" },
		{ "/./g", "http://a/g" }, { "/../g", "http://a/g" },
		{ "g.", "http://a/b/c/g." }, { ".g", "http://a/b/c/.g" },
		{ "g..", "http://a/b/c/g.." }, { "..g", "http://a/b/c/..g" },
		{ "./../g", "http://a/b/g" }, { "./g/.", "http://a/b/c/g/" },
		{ "g/./h", "http://a/b/c/g/h" }, { "g/../h", "http://a/b/c/h" },
		{ "g;x=1/./y", "http://a/b/c/g;x=1/y" },
		{ "g;x=1/../y", "http://a/b/c/y" },
		{ "g?y/./x", "http://a/b/c/g?y/./x" },
	};
	size_t i;

	good("http://example.com", "example.com", "80", "example.com", "/",
	    "http://example.com");
	good("HTTP://Example.COM:8080/a/b?x=1#frag", "Example.COM", "8080",
	    "Example.COM:8080", "/a/b?x=1", "HTTP://Example.COM:8080/a/b?x=1");
	good("http://h?q", "h", "80", "h", "/?q", "http://h?q");
	good("http://[::1]:8080/", "::1", "8080", "[::1]:8080", "/",
	    "http://[::1]:8080/");
	good("http://[::1]/x", "::1", "80", "[::1]", "/x", "http://[::1]/x");
	good("http://h:/x", "h", "80", "h", "/x", "http://h:/x");
	good("http://h:00080/", "h", "80", "h", "/", "http://h:00080/");
	good("http://my_host.example/caf\xc3\xa9", "my_host.example", "80",
	    "my_host.example", "/caf%C3%A9",
	    "http://my_host.example/caf%C3%A9");

	/* Dot segments go before sending (RFC 3986 5.2.4), as with curl. */
	good("http://h/a/b/../c/./d", "h", "80", "h", "/a/c/d",
	    "http://h/a/c/d");
	good("http://h/a/b/..?x/../y", "h", "80", "h", "/a/?x/../y",
	    "http://h/a/?x/../y");
	good("http://h/../../x/.", "h", "80", "h", "/x/", "http://h/x/");
	good("http://h/a/%2e%2e/c", "h", "80", "h", "/a/%2e%2e/c",
	    "http://h/a/%2e%2e/c");

	/* IPv6 zones (RFC 6874): for connect(), not for Host: (curl). */
	good("http://[fe80::1%25lo]/", "fe80::1%lo", "80", "[fe80::1]", "/",
	    "http://[fe80::1%25lo]/");
	good("http://[::1%25eth0.5]:8080/x", "::1%eth0.5", "8080",
	    "[::1]:8080", "/x", "http://[::1%25eth0.5]:8080/x");
	good("http://[fe80::1%lo]/", "fe80::1%lo", "80", "[fe80::1]", "/",
	    "http://[fe80::1%lo]/");
	bad("http://[fe80::1%25]/", -EINVAL, "bad IPv6 address");
	bad("http://[fe80::1%]/", -EINVAL, "bad IPv6 address");
	bad("http://[fe80::1%25l!o]/", -EINVAL, "bad IPv6 address");
	bad("http://[127.0.0.1%25lo]/", -EINVAL, "bad IPv6 address");

	/* https: port 443 by default, and left out of Host: then. */
	good("https://h/x", "h", "443", "h", "/x", "https://h/x");
	good("HTTPS://h:443/", "h", "443", "h", "/", "HTTPS://h:443/");
	good("https://h:80/", "h", "80", "h:80", "/", "https://h:80/");
	good("http://h:443/", "h", "443", "h:443", "/", "http://h:443/");
	bad("ftp://h/", -EINVAL,
	    "unknown scheme (only http:// and https:// are supported)");
	bad("http://", -EINVAL, "no host");
	bad("http://:80/", -EINVAL, "no host");
	bad("http://h:0/", -EINVAL, "port out of range");
	bad("http://h:65536/", -EINVAL, "port out of range");
	bad("http://h:123456789012345678901234567890/", -EINVAL,
	    "port out of range");
	bad("http://h:-1/", -EINVAL, "bad port");
	bad("http://h:1:2/", -EINVAL, "bad port");
	bad("http://[zz]/", -EINVAL, "bad IPv6 address");
	bad("http://[::1]x/", -EINVAL, "junk after the IPv6 address");
	bad("http://bad!host/", -EINVAL, "bad host name");
	bad("http://u:p@h/", -EINVAL,
	    "user information (user@host) is not supported");
	/* Userinfo, when the caller takes it: decoded, and not in absolute. */
	userinfo("http://u:p@h/", "u", "p", "h", "http://h/");
	userinfo("http://user@h:8080/x?q", "user", NULL, "h:8080",
	    "http://h:8080/x?q");
	userinfo("http://u%40x:p%3a%25%20w@[::1]/", "u@x", "p:% w", "[::1]",
	    "http://[::1]/");
	userinfo("https://a:b:c@h", "a", "b:c", "h", "https://h");
	userinfo("http://a@b@h/", "a@b", NULL, "h", "http://h/");
	userinfo("http://:@h/", "", "", "h", "http://h/");
	userinfo("http://@h/", "", NULL, "h", "http://h/");
	userinfo("http://%zz%4:%C3%A9%@h/", "%zz%4", "\xc3\xa9%", "h",
	    "http://h/");
	userinfo("http://h/path@x", NULL, NULL, "h", "http://h/path@x");
	{
		struct ahttp_url u;
		const char *why;

		ok(ahttp_url_parse_flags("http://a%00b@h/", &u,
		    AHTTP_URL_USERINFO, &why) == -EINVAL && strcmp(why,
		    "a NUL byte (%00) in the user name or password") == 0,
		    "reject http://a%%00b@h/: a NUL byte");
		ok(ahttp_url_parse_flags("http://u:p@bad!host/", &u,
		    AHTTP_URL_USERINFO, &why) == -EINVAL && strcmp(why,
		    "bad host name") == 0, "reject http://u:p@bad!host/");
		ok(ahttp_url_parse_flags("http://u:p@/", &u,
		    AHTTP_URL_USERINFO, &why) == -EINVAL && strcmp(why,
		    "no host") == 0, "reject http://u:p@/: no host");
	}
	bad("/relative", -EINVAL,
	    "not an absolute http:// or https:// URL");
	bad("http:h", -EINVAL,
	    "not an absolute http:// or https:// URL");
	bad("http://h/a b", -EINVAL,
	    "contains a space or control character");
	bad("http://h/\x7f", -EINVAL,
	    "contains a space or control character");

	for (i = 0; i < sizeof(rfc) / sizeof(rfc[0]); i++)
		resolve(base, rfc[i][0], rfc[i][1]);
	resolve("http://a", "g", "http://a/g");
	resolve("http://a:8080/x/y", "/z?q", "http://a:8080/z?q");
	resolve("http://a/x", "http://b:81/y", "http://b:81/y");

	origin("http://h/a", "http://H:80/b", 1);
	origin("http://h/a", "http://h:81/a", 0);
	origin("http://h/a", "https://h:80/a", 0);
	origin("http://h/a", "http://h2/a", 0);
	origin("http://[::1%25lo]/", "http://[::1]/", 0);

	filename("http://h/a/b.txt?x=1", "b.txt");
	filename("http://h/b.txt#frag", "b.txt");
	filename("http://h", NULL);
	filename("http://h/dir/", NULL);
	filename("http://h/a/..", NULL);
	filename("http://h/a/.", NULL);

	tap_plan_done();
	return tap_exit();
}
