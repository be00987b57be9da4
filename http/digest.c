/*
 * digest.c: HTTP authentication: the challenges of a WWW-Authenticate
 * field (RFC 9110 11.6.1), the Authorization value of Digest (RFC 7616:
 * MD5, SHA-256 and SHA-512-256, with or without -sess, qop auth and
 * auth-int, userhash) and of Basic (RFC 7617).  Hashes come from
 * OpenSSL's EVP.
 *
 * A field may list several challenges, and commas separate both them and
 * their parameters: a token followed by "=" is a parameter, any other
 * token starts the next challenge.
 */
#include "config.h"

#include <openssl/evp.h>
#include <openssl/crypto.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ahttp-internal.h"

#define IS_WSP(c)	((c) == ' ' || (c) == '\t')

static int
tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || (c != 0 && strchr("!#$%&'*+-.^_`|~",
	    c) != NULL);
}

static int
t68char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || (c != 0 && strchr("-._~+/", c) != NULL);
}

struct cur {
	const char	*p, *end;
};

static void
ows(struct cur *c)
{
	while (c->p < c->end && IS_WSP(*c->p))
		c->p++;
}

static size_t
token(struct cur *c)
{
	const char *s = c->p;

	while (c->p < c->end && tchar((unsigned char)*c->p))
		c->p++;
	return (size_t)(c->p - s);
}

/* A parameter's value: token or quoted-string, unescaped, malloc'd. */
static int
value(struct cur *c, char **out)
{
	const char *s = c->p;
	size_t n = 0;
	char *v;

	if (c->p < c->end && *c->p != '"') {
		if ((n = token(c)) == 0)
			return -EINVAL;
		return (*out = strndup(s, n)) != NULL ? 0 : -ENOMEM;
	}
	if (c->p == c->end || (v = malloc((size_t)(c->end - c->p))) == NULL)
		return c->p == c->end ? -EINVAL : -ENOMEM;
	for (c->p++; c->p < c->end && *c->p != '"'; c->p++) {
		if (*c->p == '\\' && c->p + 1 < c->end)
			c->p++;
		v[n++] = *c->p;
	}
	if (c->p == c->end) {
		free(v);
		return -EINVAL;
	}
	c->p++;
	v[n] = '\0';
	*out = v;
	return 0;
}

/* At a token followed by BWS "=" and then not "=", ",", or the end? */
static int
at_param(const struct cur *c)
{
	struct cur t = *c;

	if (token(&t) == 0)
		return 0;
	ows(&t);
	if (t.p == t.end || *t.p != '=')
		return 0;
	t.p++;
	ows(&t);
	return t.p < t.end && *t.p != '=' && *t.p != ',';
}

/* One challenge's parameters, as they matter to Digest. */
struct chal {
	char	*realm, *nonce, *opaque, *algorithm, *qop;
	int	 stale, userhash, utf8;
};

static void
chal_free(struct chal *ch)
{
	free(ch->realm);
	free(ch->nonce);
	free(ch->opaque);
	free(ch->algorithm);
	free(ch->qop);
	memset(ch, 0, sizeof(*ch));
}

/* The string parameter called name[0, n), or NULL. */
static char **
string_param(struct chal *ch, const char *name, size_t n)
{
	if (n == 5 && strncasecmp(name, "realm", 5) == 0)
		return &ch->realm;
	if (n == 5 && strncasecmp(name, "nonce", 5) == 0)
		return &ch->nonce;
	if (n == 6 && strncasecmp(name, "opaque", 6) == 0)
		return &ch->opaque;
	if (n == 9 && strncasecmp(name, "algorithm", 9) == 0)
		return &ch->algorithm;
	if (n == 3 && strncasecmp(name, "qop", 3) == 0)
		return &ch->qop;
	return NULL;
}

static void
keep(struct chal *ch, const char *name, size_t n, char *v)
{
	char **p;

	if (n == 5 && strncasecmp(name, "stale", 5) == 0)
		ch->stale = strcasecmp(v, "true") == 0;
	else if (n == 8 && strncasecmp(name, "userhash", 8) == 0)
		ch->userhash = strcasecmp(v, "true") == 0;
	else if (n == 7 && strncasecmp(name, "charset", 7) == 0)
		ch->utf8 = strcasecmp(v, "UTF-8") == 0;
	else if ((p = string_param(ch, name, n)) != NULL) {
		free(*p);		/* the last one counts */
		*p = v;
		return;
	}
	free(v);
}

/* Each algorithm we answer, weakest first. */
static const struct {
	const char	*name;
	enum ahttp_digest_algo algo;
} algos[] = {
	{ "MD5", AHTTP_DIGEST_MD5 },
	{ "SHA-256", AHTTP_DIGEST_SHA256 },
	{ "SHA-512-256", AHTTP_DIGEST_SHA512_256 },
};
#define NALGOS	(sizeof(algos) / sizeof(algos[0]))

/* The qop list: "auth", "auth-int" bits (1, 2), tokens or quoted. */
static int
qop_bits(const char *q)
{
	size_t n;
	int bits = 0;

	while (*q != '\0') {
		q += strspn(q, " \t,");
		n = strcspn(q, " \t,");
		if (n == 4 && strncasecmp(q, "auth", 4) == 0)
			bits |= 1;
		else if (n == 8 && strncasecmp(q, "auth-int", 8) == 0)
			bits |= 2;
		q += n;
	}
	return bits;
}

/*
 * 1 when ch is a Digest challenge we can answer, then taken into d (when
 * not NULL) if it is stronger than the one d holds; else 0.
 */
static int
offer(struct chal *ch, struct ahttp_digest *d)
{
	const char *a = ch->algorithm != NULL ? ch->algorithm : "MD5";
	size_t i, n;
	int sess = 0, qop = 0;

	for (i = 0; i < NALGOS; i++) {
		n = strlen(algos[i].name);
		if (strncasecmp(a, algos[i].name, n) == 0 && (a[n] == '\0' ||
		    strcasecmp(a + n, "-sess") == 0)) {
			sess = a[n] != '\0';
			break;
		}
	}
	if (i == NALGOS || ch->nonce == NULL)
		return 0;
	if (ch->qop != NULL && (qop = qop_bits(ch->qop)) == 0)
		return 0;
	if (d->nonce != NULL && algos[i].algo <= d->algo)
		return 1;
	ahttp_digest_free(d);
	d->realm = ch->realm;
	d->nonce = ch->nonce;
	d->opaque = ch->opaque;
	ch->realm = ch->nonce = ch->opaque = NULL;
	d->algo = algos[i].algo;
	d->sess = sess;
	d->algo_given = ch->algorithm != NULL;
	d->qop = ch->qop != NULL;
	d->qop_auth = (qop & 1) != 0;
	d->qop_auth_int = (qop & 2) != 0;
	d->stale = ch->stale;
	d->userhash = ch->userhash;
	d->utf8 = ch->utf8;
	return 1;
}

/* One challenge's parameters or token68 after its scheme. */
static int
params(struct cur *c, struct chal *ch)
{
	const char *name;
	size_t n;
	char *v;
	int rc, first = 1;

	for (;;) {
		ows(c);
		if (!first) {
			if (c->p == c->end)
				return 0;
			if (*c->p != ',')
				return -EINVAL;
			while (c->p < c->end && (*c->p == ',' ||
			    IS_WSP(*c->p)))
				c->p++;
			if (!at_param(c))
				return 0;	/* the next challenge */
		} else if (!at_param(c)) {
			/* A token68, or nothing. */
			while (c->p < c->end && t68char((unsigned char)*c->p))
				c->p++;
			while (c->p < c->end && *c->p == '=')
				c->p++;
			ows(c);
			return c->p == c->end || *c->p == ',' ? 0 : -EINVAL;
		}
		first = 0;
		name = c->p;
		n = token(c);
		ows(c);
		c->p++;			/* '=' */
		ows(c);
		if ((rc = value(c, &v)) < 0)
			return rc;
		keep(ch, name, n, v);
	}
}

/*
 * The challenges, the best Digest one into *best; 0 or a bit set, or
 * -EINVAL, -ENOMEM.
 */
static int
challenges(struct cur *c, struct ahttp_digest *best)
{
	struct chal ch;
	const char *scheme;
	size_t n;
	int rc, found = 0;

	for (;;) {
		while (c->p < c->end && (*c->p == ',' || IS_WSP(*c->p)))
			c->p++;
		if (c->p == c->end)
			return found;
		scheme = c->p;
		if ((n = token(c)) == 0)
			return -EINVAL;
		if (c->p < c->end && !IS_WSP(*c->p) && *c->p != ',')
			return -EINVAL;
		memset(&ch, 0, sizeof(ch));
		rc = params(c, &ch);
		if (rc == 0 && n == 5 && strncasecmp(scheme, "Basic", 5) == 0)
			found |= AHTTP_AUTH_BASIC;
		if (rc == 0 && n == 6 && strncasecmp(scheme, "Digest", 6) ==
		    0 && offer(&ch, best))
			found |= AHTTP_AUTH_DIGEST;
		chal_free(&ch);
		if (rc < 0)
			return rc;
	}
}

int
ahttp_auth_parse(const char *v, size_t len, struct ahttp_digest *d)
{
	struct cur c = { v, v + len };
	struct ahttp_digest best;
	size_t i;
	int rc;

	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 ? v[i] != '\t' : v[i] == 0x7f)
			return -EINVAL;
	memset(&best, 0, sizeof(best));
	rc = challenges(&c, &best);
	/* A field that does not parse changes nothing. */
	if (rc > 0 && d != NULL && best.nonce != NULL &&
	    (d->nonce == NULL || best.algo > d->algo)) {
		ahttp_digest_free(d);
		*d = best;
	} else
		ahttp_digest_free(&best);
	return rc;
}

void
ahttp_digest_free(struct ahttp_digest *d)
{
	free(d->realm);
	free(d->nonce);
	free(d->opaque);
	memset(d, 0, sizeof(*d));
}

/* ------------------------------------------------------------ responses */

static const EVP_MD *
md(enum ahttp_digest_algo a)
{
	switch (a) {
	case AHTTP_DIGEST_SHA256:
		return EVP_sha256();
	case AHTTP_DIGEST_SHA512_256:
		return EVP_sha512_256();
	default:
		return EVP_md5();
	}
}

/* The hash of s, in lower-case hex, into out (2 * EVP_MAX_MD_SIZE + 1). */
static int
hexhash(const EVP_MD *m, const void *s, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hl, i;

	if (EVP_Digest(s, n, h, &hl, m, NULL) != 1)
		return -ENOTSUP;	/* MD5 in a FIPS-only OpenSSL, say */
	for (i = 0; i < hl; i++) {
		out[2 * i] = hex[h[i] >> 4];
		out[2 * i + 1] = hex[h[i] & 15];
	}
	out[2 * hl] = '\0';
	return 0;
}

/* The hash of the formatted text; the text is wiped (it holds secrets). */
static int
hashf(const EVP_MD *m, char *out, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int
hashf(const EVP_MD *m, char *out, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n, rc;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	rc = hexhash(m, s, (size_t)n, out);
	OPENSSL_cleanse(s, (size_t)n);
	free(s);
	return rc;
}

/*
 * s as a quoted-string's content, '"' and '\\' escaped, into a new
 * string; NULL when out of memory.
 */
static char *
quote(const char *s)
{
	size_t i, k = 0;
	char *q;

	if ((q = malloc(2 * strlen(s) + 1)) == NULL)
		return NULL;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '"' || s[i] == '\\')
			q[k++] = '\\';
		q[k++] = s[i];
	}
	q[k] = '\0';
	return q;
}

/*
 * The username parameter: quoted; username*=UTF-8''... (RFC 8187) when
 * it holds a control character, which no quoted-string can; the hash
 * with userhash.
 */
static char *
user_param(const struct ahttp_digest *d, const EVP_MD *m, const char *user,
    const char *realm)
{
	static const char hex[] = "0123456789ABCDEF";
	char h[2 * EVP_MAX_MD_SIZE + 1], *q, *out;
	size_t i, k;
	int ctl = 0;

	if (d->userhash) {
		if (hashf(m, h, "%s:%s", user, realm) < 0)
			return NULL;
		return asprintf(&out, "username=\"%s\"", h) < 0 ? NULL : out;
	}
	for (i = 0; user[i] != '\0'; i++)
		ctl |= (unsigned char)user[i] < 0x20 || user[i] == 0x7f;
	if (!ctl) {
		if ((q = quote(user)) == NULL)
			return NULL;
		if (asprintf(&out, "username=\"%s\"", q) < 0)
			out = NULL;
		free(q);
		return out;
	}
	if ((out = malloc(3 * strlen(user) + 20)) == NULL)
		return NULL;
	k = (size_t)sprintf(out, "username*=UTF-8''");
	for (i = 0; user[i] != '\0'; i++) {
		unsigned char c = (unsigned char)user[i];

		/* RFC 8187 attr-char: ALPHA DIGIT !#$&+-.^_`|~ */
		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || strchr("!#$&+-.^_`|~", c) != NULL)
			out[k++] = (char)c;
		else {
			out[k++] = '%';
			out[k++] = hex[c >> 4];
			out[k++] = hex[c & 15];
		}
	}
	out[k] = '\0';
	return out;
}

int
ahttp_digest_response(struct ahttp_digest *d, const char *user,
    const char *password, const char *method, const char *uri,
    const char *cnonce, const void *body, size_t blen, char **out)
{
	static const char *const names[] = { "MD5", "SHA-256",
		"SHA-512-256" };
	const EVP_MD *m = md(d->algo);
	const char *realm = d->realm != NULL ? d->realm : "", *qop = NULL;
	char ha1[2 * EVP_MAX_MD_SIZE + 1], ha2[sizeof(ha1)], hb[sizeof(ha1)];
	char resp[sizeof(ha1)], nc[9];
	char *up = NULL, *qr = NULL, *qn = NULL, *qu = NULL, *qo = NULL;
	int rc, n;

	*out = NULL;
	if (d->qop)
		qop = d->qop_auth ? "auth" : "auth-int";
	if (qop != NULL && qop[4] != '\0' && body == NULL)
		return -ENOTSUP;	/* auth-int needs the body */
	d->nc++;
	snprintf(nc, sizeof(nc), "%08x", (unsigned)d->nc);
	if ((rc = hashf(m, ha1, "%s:%s:%s", user, realm, password)) < 0 ||
	    (d->sess && (rc = hashf(m, ha1, "%s:%s:%s", ha1, d->nonce,
	    cnonce)) < 0))
		goto out;
	if (qop != NULL && qop[4] != '\0') {
		if ((rc = hexhash(m, body, blen, hb)) < 0 ||
		    (rc = hashf(m, ha2, "%s:%s:%s", method, uri, hb)) < 0)
			goto out;
	} else if ((rc = hashf(m, ha2, "%s:%s", method, uri)) < 0)
		goto out;
	if (qop != NULL)
		rc = hashf(m, resp, "%s:%s:%s:%s:%s:%s", ha1, d->nonce, nc,
		    cnonce, qop, ha2);
	else
		rc = hashf(m, resp, "%s:%s:%s", ha1, d->nonce, ha2);
	if (rc < 0)
		goto out;
	rc = -ENOMEM;
	if ((up = user_param(d, m, user, realm)) == NULL ||
	    (qr = quote(realm)) == NULL || (qn = quote(d->nonce)) == NULL ||
	    (qu = quote(uri)) == NULL ||
	    (d->opaque != NULL && (qo = quote(d->opaque)) == NULL))
		goto out;
	/* curl's order of parameters, so the two send the same bytes. */
	if (qop != NULL)
		n = asprintf(out, "Digest %s, realm=\"%s\", nonce=\"%s\", "
		    "uri=\"%s\", cnonce=\"%s\", nc=%s, qop=%s, "
		    "response=\"%s\"%s%s%s%s%s%s%s", up, qr, qn, qu, cnonce,
		    nc, qop, resp, qo != NULL ? ", opaque=\"" : "",
		    qo != NULL ? qo : "", qo != NULL ? "\"" : "",
		    d->algo_given ? ", algorithm=" : "",
		    d->algo_given ? names[d->algo] : "",
		    d->algo_given && d->sess ? "-sess" : "",
		    d->userhash ? ", userhash=true" : "");
	else
		n = asprintf(out, "Digest %s, realm=\"%s\", nonce=\"%s\", "
		    "uri=\"%s\", response=\"%s\"%s%s%s%s%s%s%s", up, qr,
		    qn, qu, resp, qo != NULL ? ", opaque=\"" : "",
		    qo != NULL ? qo : "", qo != NULL ? "\"" : "",
		    d->algo_given ? ", algorithm=" : "",
		    d->algo_given ? names[d->algo] : "",
		    d->algo_given && d->sess ? "-sess" : "",
		    d->userhash ? ", userhash=true" : "");
	if (n < 0)
		*out = NULL;
	else
		rc = 0;
out:
	OPENSSL_cleanse(ha1, sizeof(ha1));
	free(up);
	free(qr);
	free(qn);
	free(qu);
	free(qo);
	return rc;
}

char *
ahttp_basic(const char *user, const char *password)
{
	char *plain, *out;
	int n;

	if ((n = asprintf(&plain, "%s:%s", user, password)) < 0)
		return NULL;
	if ((out = malloc(6 + 4 * ((size_t)n + 2) / 3 + 1)) != NULL) {
		memcpy(out, "Basic ", 6);
		EVP_EncodeBlock((unsigned char *)out + 6,
		    (const unsigned char *)plain, n);
	}
	OPENSSL_cleanse(plain, (size_t)n);
	free(plain);
	return out;
}
