/*
 * test-http-auth.c: WWW-Authenticate parsing, Digest responses (RFC
 * 7616's worked examples, exactly), Basic, and .netrc lookups.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "ahttp.h"

/* RFC 7616 3.9.1: the two challenges, SHA-256 first, as sent (folded). */
static const char rfc_sha256[] = "Digest\r\n"
    "       realm=\"http-auth@example.org\",\r\n"
    "       qop=\"auth, auth-int\",\r\n"
    "       algorithm=SHA-256,\r\n"
    "       nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n"
    "       opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
static const char rfc_md5[] = "Digest\r\n"
    "       realm=\"http-auth@example.org\",\r\n"
    "       qop=\"auth, auth-int\",\r\n"
    "       algorithm=MD5,\r\n"
    "       nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n"
    "       opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
#define NONCE	"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define OPAQUE	"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
#define CNONCE	"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"

/* A field value as the parser gets it: folded lines joined by spaces. */
static int
parse(const char *v, struct ahttp_digest *d)
{
	char buf[1024];
	size_t i, k = 0;

	for (i = 0; v[i] != '\0' && k < sizeof(buf) - 1; i++)
		if (v[i] == '\r')
			continue;
		else
			buf[k++] = v[i] == '\n' ? ' ' : v[i];
	return ahttp_auth_parse(buf, k, d);
}

static int
starts(const char *s, const char *prefix)
{
	if (s != NULL && strncmp(s, prefix, strlen(prefix)) == 0)
		return 1;
	diag("got %s", s != NULL ? s : "(null)");
	return 0;
}

static void
response(struct ahttp_digest *d, const char *method, const char *uri,
    const char *body, const char *want, const char *what)
{
	char *out = NULL;
	int rc;

	rc = ahttp_digest_response(d, "Mufasa", "Circle of Life", method, uri,
	    CNONCE, body, body != NULL ? strlen(body) : 0, &out);
	if (!ok(rc == 0, "%s: computed", what))
		diag("rc %d", rc);
	is_str(out, want, "%s", what);
	free(out);
}

static void
rfc7616(void)
{
	struct ahttp_digest d;

	/* 3.9.1, MD5 */
	memset(&d, 0, sizeof(d));
	is_int(parse(rfc_md5, &d), AHTTP_AUTH_DIGEST, "RFC 7616 MD5 challenge");
	ok(d.algo == AHTTP_DIGEST_MD5 && d.qop_auth && d.qop_auth_int &&
	    !d.sess && strcmp(d.realm, "http-auth@example.org") == 0 &&
	    strcmp(d.nonce, NONCE) == 0 && strcmp(d.opaque, OPAQUE) == 0,
	    "  its parameters");
	response(&d, "GET", "/dir/index.html", NULL,
	    "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", "
	    "nonce=\"" NONCE "\", uri=\"/dir/index.html\", cnonce=\"" CNONCE
	    "\", nc=00000001, qop=auth, "
	    "response=\"8ca523f5e9506fed4657c9700eebdbec\", "
	    "opaque=\"" OPAQUE "\", algorithm=MD5",
	    "RFC 7616 3.9.1 MD5 response");
	/* The same nonce again: nc counts. */
	response(&d, "POST", "/dir/index.html", "hello",
	    "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", "
	    "nonce=\"" NONCE "\", uri=\"/dir/index.html\", cnonce=\"" CNONCE
	    "\", nc=00000002, qop=auth, "
	    "response=\"bc45bcbedb0dc37caafa4422fd1fa8bf\", "
	    "opaque=\"" OPAQUE "\", algorithm=MD5",
	    "second request on the nonce: nc=00000002");
	ahttp_digest_free(&d);

	/* 3.9.1, SHA-256 */
	is_int(parse(rfc_sha256, &d), AHTTP_AUTH_DIGEST,
	    "RFC 7616 SHA-256 challenge");
	response(&d, "GET", "/dir/index.html", NULL,
	    "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", "
	    "nonce=\"" NONCE "\", uri=\"/dir/index.html\", cnonce=\"" CNONCE
	    "\", nc=00000001, qop=auth, response=\"753927fa0e85d155564e2e272"
	    "a28d1802ca10daf4496794697cf8db5856cb6c1\", "
	    "opaque=\"" OPAQUE "\", algorithm=SHA-256",
	    "RFC 7616 3.9.1 SHA-256 response");
	ahttp_digest_free(&d);

	/* Both fields of the example, MD5 first: SHA-256 is taken. */
	memset(&d, 0, sizeof(d));
	parse(rfc_md5, &d);
	parse(rfc_sha256, &d);
	ok(d.algo == AHTTP_DIGEST_SHA256, "MD5 then SHA-256: SHA-256");
	parse(rfc_md5, &d);
	ok(d.algo == AHTTP_DIGEST_SHA256, "  and MD5 after it does not win");
	ahttp_digest_free(&d);
}

/*
 * Expected values computed with Python's hashlib (the RFC 7616 3.9.2
 * example's own hashes are wrong, a known erratum).
 */
static void
other_digests(void)
{
	struct ahttp_digest d;
	char *out;

	memset(&d, 0, sizeof(d));
	parse("Digest realm=\"http-auth@example.org\", qop=auth, "
	    "algorithm=MD5-sess, nonce=\"" NONCE "\"", &d);
	ok(d.sess && d.algo == AHTTP_DIGEST_MD5 && d.opaque == NULL,
	    "MD5-sess, token qop, no opaque");
	response(&d, "GET", "/dir/index.html", NULL,
	    "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", "
	    "nonce=\"" NONCE "\", uri=\"/dir/index.html\", cnonce=\"" CNONCE
	    "\", nc=00000001, qop=auth, "
	    "response=\"e783283f46242139c486a698fec7211d\", "
	    "algorithm=MD5-sess", "MD5-sess response");
	ahttp_digest_free(&d);

	parse("Digest realm=\"http-auth@example.org\", qop=\"auth\", "
	    "algorithm=sha-256-SESS, nonce=\"" NONCE "\"", &d);
	response(&d, "GET", "/dir/index.html", NULL,
	    "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", "
	    "nonce=\"" NONCE "\", uri=\"/dir/index.html\", cnonce=\"" CNONCE
	    "\", nc=00000001, qop=auth, response=\"2fd51b3a77ad75bad6afad6003"
	    "e818d767133c46d9e2749e7f5232ae1ea3efd7\", "
	    "algorithm=SHA-256-sess", "SHA-256-sess response (any case)");
	ahttp_digest_free(&d);

	/* RFC 2069: no qop, no algorithm. */
	parse("Digest realm=\"testrealm@host.com\", "
	    "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\"", &d);
	ok(ahttp_digest_response(&d, "Mufasa", "Circle Of Life", "GET",
	    "/dir/index.html", CNONCE, NULL, 0, &out) == 0, "RFC 2069 form");
	is_str(out, "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
	    "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
	    "uri=\"/dir/index.html\", "
	    "response=\"670fd8c2df070c60b045671b8b24ff02\"",
	    "  no qop: no cnonce, nc or algorithm");
	free(out);
	ahttp_digest_free(&d);

	/* auth-int alone: the body is hashed; without it, -ENOTSUP. */
	parse("Digest realm=\"http-auth@example.org\", qop=\"auth-int\", "
	    "nonce=\"" NONCE "\"", &d);
	out = NULL;
	is_int(ahttp_digest_response(&d, "Mufasa", "x", "GET", "/", CNONCE,
	    NULL, 0, &out), -ENOTSUP, "auth-int without the body: -ENOTSUP");
	ok(out == NULL, "  and no value");
	d.nc = 1;
	response(&d, "POST", "/dir/index.html", "hello",
	    "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", "
	    "nonce=\"" NONCE "\", uri=\"/dir/index.html\", cnonce=\"" CNONCE
	    "\", nc=00000002, qop=auth-int, "
	    "response=\"2ead7d34ddf3b4f0a376c493fd5e7ba8\"",
	    "auth-int response");
	ahttp_digest_free(&d);

	/* SHA-512-256, userhash, a user name beyond ASCII. */
	parse("Digest realm=\"api@example.org\", qop=\"auth\", "
	    "algorithm=SHA-512-256, "
	    "nonce=\"5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK\", "
	    "opaque=\"HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS\", "
	    "charset=UTF-8, userhash=true", &d);
	ok(d.userhash && d.utf8 && d.algo == AHTTP_DIGEST_SHA512_256,
	    "SHA-512-256, userhash, charset");
	ok(ahttp_digest_response(&d, "J\xc3\xa4s\xc3\xb8n Doe",
	    "Secret, or not?", "GET", "/doe.json",
	    "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v", NULL, 0, &out) ==
	    0, "  computed");
	is_str(out, "Digest username=\"793263caabb707a56211940d90411ea4a575ade"
	    "ccb7e360aeb624ed06ece9b0b\", realm=\"api@example.org\", "
	    "nonce=\"5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK\", "
	    "uri=\"/doe.json\", "
	    "cnonce=\"NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v\", "
	    "nc=00000001, qop=auth, response=\"3798d4131c277846293534c3edc11b"
	    "d8a5e4cdcbff78b05db9d95eeb1cec68a5\", "
	    "opaque=\"HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS\", "
	    "algorithm=SHA-512-256, userhash=true", "  userhash response");
	free(out);
	ahttp_digest_free(&d);

	/* Quotes in names are escaped; control characters: username*. */
	parse("Digest realm=\"a \\\"q\\\" \\\\ b\", nonce=n", &d);
	ok(strcmp(d.realm, "a \"q\" \\ b") == 0, "quoted-pair unescaped");
	ahttp_digest_response(&d, "x\"y", "p", "GET", "/", "c", NULL, 0, &out);
	ok(starts(out, "Digest username=\"x\\\"y\", "
	    "realm=\"a \\\"q\\\" \\\\ b\", nonce=\"n\", "),
	    "  escaped again when sent");
	free(out);
	ahttp_digest_response(&d, "a\tb \xc3\xa4", "p", "GET", "/", "c", NULL,
	    0, &out);
	ok(starts(out, "Digest username*=UTF-8''a%09b%20%C3%A4, "),
	    "a tab in the user name: username*= (RFC 8187)");
	free(out);
	ahttp_digest_free(&d);
}

static void
challenges(void)
{
	static const struct {
		const char	*v;
		int		 want;
		const char	*realm;
	} t[] = {
		{ "Basic realm=\"x\"", AHTTP_AUTH_BASIC, NULL },
		{ "basic", AHTTP_AUTH_BASIC, NULL },
		{ "Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps"
		    "\\\"\", Basic realm=\"simple\"", AHTTP_AUTH_BASIC, NULL },
		{ "Basic realm=\"b\", Digest realm=\"d\", nonce=\"n\"",
		    AHTTP_AUTH_BASIC | AHTTP_AUTH_DIGEST, "d" },
		{ "Digest nonce=n,realm=r , Basic realm=b",
		    AHTTP_AUTH_BASIC | AHTTP_AUTH_DIGEST, "r" },
		{ "Negotiate abc==, Digest realm = \"r\" , nonce = \"n\"",
		    AHTTP_AUTH_DIGEST, "r" },
		{ ", ,Digest realm=r, nonce=n,,", AHTTP_AUTH_DIGEST, "r" },
		{ "Negotiate", 0, NULL },
		{ "", 0, NULL },
		/* Digest we cannot answer: no nonce, unknown algorithm or qop */
		{ "Digest realm=r", 0, NULL },
		{ "Digest realm=r, nonce=n, algorithm=SHA-1", 0, NULL },
		{ "Digest realm=r, nonce=n, algorithm=MD5-sessx", 0, NULL },
		{ "Digest realm=r, nonce=n, qop=\"auth-conf\"", 0, NULL },
		/* malformed */
		{ "Digest realm=\"r", -EINVAL, NULL },
		{ "Digest realm=r nonce=n", -EINVAL, NULL },
		{ "Basic abc def", -EINVAL, NULL },
		{ "=x", -EINVAL, NULL },
		{ "Digest realm=\"a\rb\", nonce=n", -EINVAL, NULL },
		{ "Digest\x7f realm=r", -EINVAL, NULL },
		{ "Basic/x", -EINVAL, NULL },
	};
	struct ahttp_digest d;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&d, 0, sizeof(d));
		rc = ahttp_auth_parse(t[i].v, strlen(t[i].v), &d);
		if (!ok(rc == t[i].want && (t[i].realm == NULL ?
		    d.nonce == NULL : d.realm != NULL &&
		    strcmp(d.realm, t[i].realm) == 0),
		    "WWW-Authenticate: %s -> %d", t[i].v, t[i].want))
			diag("got %d", rc);
		ahttp_digest_free(&d);
	}
	memset(&d, 0, sizeof(d));
	parse("Digest realm=r, nonce=new, stale=TRUE", &d);
	ok(d.stale && !d.qop && !d.algo_given, "stale=TRUE");
	ahttp_digest_free(&d);
	is_int(ahttp_auth_parse("Digest nonce=n", 14, NULL), AHTTP_AUTH_DIGEST,
	    "no struct: just the schemes");
	/* Found by fuzz-auth: a field that fails leaves d as it was. */
	memset(&d, 0, sizeof(d));
	parse("Digest realm=r, nonce=old", &d);
	is_int(parse("Digest realm=r, nonce=n, algorithm=SHA-256, opaque?x",
	    &d), -EINVAL, "a bad field after a good challenge: -EINVAL");
	ok(strcmp(d.nonce, "old") == 0 && d.algo == AHTTP_DIGEST_MD5,
	    "  and the challenge held is kept");
	ahttp_digest_free(&d);
}

static void
basic(void)
{
	char *b;

	/* RFC 7617 2: Aladdin / open sesame */
	b = ahttp_basic("Aladdin", "open sesame");
	is_str(b, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Basic, RFC 7617");
	free(b);
	b = ahttp_basic("", "");
	is_str(b, "Basic Og==", "Basic, empty user and password");
	free(b);
	b = ahttp_basic("a", "bc");
	is_str(b, "Basic YTpiYw==", "Basic, 4 bytes");
	free(b);
}

static void
netrc(const char *text, const char *host, const char *login, int want,
    const char *wl, const char *wp)
{
	char *l = NULL, *p = NULL;
	size_t line = 0;
	int rc;

	rc = ahttp_netrc_find(text, strlen(text), host, login, &l, &p, &line);
	if (!ok(rc == want && (wl == NULL ? l == NULL : l != NULL &&
	    strcmp(l, wl) == 0) && (wp == NULL ? p == NULL : p != NULL &&
	    strcmp(p, wp) == 0), "netrc, host %s%s%s: %d", host,
	    login ? ", login " : "", login ? login : "", want))
		diag("got %d %s %s (line %zu)", rc, l ? l : "-", p ? p : "-",
		    line);
	free(l);
	free(p);
}

static void
netrc_bad(const char *text, size_t want_line)
{
	char *l = NULL, *p = NULL;
	size_t line = 0;

	is_int(ahttp_netrc_find(text, strlen(text), "m", NULL, &l, &p, &line),
	    -EINVAL, "netrc: unterminated quote");
	is_int(line, want_line, "  on line %zu", want_line);
	ok(l == NULL && p == NULL, "  and no credentials");
}

static void
netrcs(void)
{
	static const char f[] =
	    "# a comment: machine h login no password no\n"
	    "machine a.example login alice password s3cret\n"
	    "machine b.example\n"
	    "  login bob\n"
	    "  password \"two words\" account acct\n"
	    "macdef init\n"
	    "  machine b.example login mallory password x\n"
	    "  cd /pub\n"
	    "\n"
	    "machine B.EXAMPLE login carol password c\n"
	    "machine q login \"q\\\"uo\\\\te\" password \"a\\tb\\nc\\rd\\xe\"\n"
	    "machine np login onlylogin\n"
	    "machine nl password onlypw\n"
	    "default login anon password guest\n";

	netrc(f, "a.example", NULL, 0, "alice", "s3cret");
	netrc(f, "A.Example", NULL, 0, "alice", "s3cret");
	netrc(f, "b.example", NULL, 0, "bob", "two words");
	netrc(f, "b.example", "carol", 0, "carol", "c");
	netrc(f, "b.example", "mallory", 1, NULL, NULL);
	netrc(f, "q", NULL, 0, "q\"uo\\te", "a\tb\nc\rdxe");
	netrc(f, "np", NULL, 0, "onlylogin", NULL);
	netrc(f, "nl", NULL, 0, NULL, "onlypw");
	netrc(f, "h", NULL, 0, "anon", "guest");
	netrc(f, "other", NULL, 0, "anon", "guest");
	netrc(f, "other", "alice", 1, NULL, NULL);
	netrc("machine a login x password y", "b", NULL, 1, NULL, NULL);
	netrc("", "b", NULL, 1, NULL, NULL);
	/* default before a machine entry: the machine entry wins */
	netrc("default login d password d\nmachine m login m password m",
	    "m", NULL, 0, "m", "m");
	netrc("machine m login m password", "m", NULL, 0, "m", NULL);
	netrc("machine", "m", NULL, 1, NULL, NULL);
	netrc("machine m login m password p macdef", "m", NULL, 0, "m", "p");
	netrc("  # indented comment machine m\nmachine m login a#b password "
	    "c", "m", NULL, 0, "a#b", "c");
	netrc("machine m\r\nlogin l\r\npassword p\r\n", "m", NULL, 0, "l",
	    "p");
	netrc_bad("machine m login l\npassword \"unterminated\n\n", 2);
	netrc_bad("machine m login \"l\\\"", 1);
}

int
main(void)
{
	rfc7616();
	other_digests();
	challenges();
	basic();
	netrcs();
	tap_plan_done();
	return tap_failed != 0;
}
