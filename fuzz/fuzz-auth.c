/*
 * fuzz-auth.c: libFuzzer target for WWW-Authenticate challenges, the
 * Digest responses made from them, and Basic.
 *
 * Input: a field value.  Parsed with and without a digest struct (the
 * schemes found must agree); a challenge we answer is answered, and the
 * Authorization value must be one line of printable text.  The input cut
 * at its first NUL and colon is also a Basic user and password, whose
 * base64 must decode back to them.
 */
#include "config.h"

#include <openssl/evp.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ahttp.h"

/* What a field value may hold: no control byte but HTAB. */
static void
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			abort();
}

static void
basic(const char *s)
{
	const char *colon = strchr(s, ':');
	unsigned char dec[512];
	char *user, *b;
	size_t n = strlen(s);
	int dn;

	if (n > 300 || (user = strndup(s, colon ? (size_t)(colon - s) : n)) ==
	    NULL)
		return;
	if ((b = ahttp_basic(user, colon ? colon + 1 : "")) == NULL ||
	    strncmp(b, "Basic ", 6) != 0)
		abort();
	/* user:password is the input itself (":" added when it had none). */
	dn = EVP_DecodeBlock(dec, (unsigned char *)b + 6, (int)strlen(b + 6));
	if (colon == NULL)
		n++;
	/* EVP_DecodeBlock counts the bytes the padding stands for. */
	if (dn != (int)(3 * ((n + 2) / 3)) || memcmp(dec, user,
	    strlen(user)) != 0 || dec[strlen(user)] != ':' ||
	    (colon != NULL && memcmp(dec, s, n) != 0))
		abort();
	free(b);
	free(user);
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	struct ahttp_digest d;
	const char *v = (const char *)in;
	char *out, *s;
	int rc, rc2;

	memset(&d, 0, sizeof(d));
	rc = ahttp_auth_parse(v, size, &d);
	rc2 = ahttp_auth_parse(v, size, NULL);
	if (rc != rc2 || (rc < 0 && rc != -EINVAL) ||
	    (rc >= 0 && (rc & ~(AHTTP_AUTH_BASIC | AHTTP_AUTH_DIGEST)) != 0))
		abort();
	if ((rc > 0 && (rc & AHTTP_AUTH_DIGEST)) != (d.nonce != NULL))
		abort();
	if (d.nonce != NULL) {
		printable(d.nonce);
		rc = ahttp_digest_response(&d, "user\"\\", "pw", "GET", "/p",
		    "cnonce", "body", 4, &out);
		if (rc != 0 || strncmp(out, "Digest ", 7) != 0)
			abort();
		printable(out);
		free(out);
	}
	ahttp_digest_free(&d);
	if ((s = strndup(v, size)) == NULL)
		abort();
	basic(s);
	free(s);
	return 0;
}
