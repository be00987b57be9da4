/*
 * fuzz-url.c: libFuzzer target for URL parsing with userinfo, and for
 * resolving a reference against a URL.
 *
 * Input: a URL, then optionally a NUL and a reference.  A URL that parses
 * must give fields that make a request (no control bytes, a target from
 * "/"), its absolute form must parse again to the same request without
 * the userinfo, and without AHTTP_URL_USERINFO it must parse the same
 * unless it had userinfo.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ahttp.h"

static void
clean(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			abort();
}

static void
same_request(const struct ahttp_url *a, const struct ahttp_url *b)
{
	if (strcmp(a->host, b->host) != 0 || strcmp(a->port, b->port) != 0 ||
	    strcmp(a->authority, b->authority) != 0 ||
	    strcmp(a->target, b->target) != 0 ||
	    strcmp(a->absolute, b->absolute) != 0 || a->tls != b->tls)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	struct ahttp_url u, again, plain;
	const char *why, *ref;
	char *s, *r;
	int rc;

	if ((s = malloc(size + 2)) == NULL)
		return 0;
	memcpy(s, in, size);
	s[size] = s[size + 1] = '\0';
	ref = s + strlen(s) + 1;
	if (ref > s + size)
		ref = "";
	rc = ahttp_url_parse_flags(s, &u, AHTTP_URL_USERINFO, &why);
	if (rc != 0) {
		if ((rc != -EINVAL && rc != -ENOMEM) || why == NULL)
			abort();
		if (ahttp_url_parse(s, &plain, &why) == 0)
			abort();	/* stricter may not take more */
	} else {
		clean(u.authority);
		clean(u.target);
		clean(u.absolute);
		if (u.target[0] != '/' || u.host[0] == '\0' ||
		    (u.password != NULL && u.user == NULL))
			abort();
		if (ahttp_url_parse(u.absolute, &again, &why) != 0)
			abort();
		same_request(&u, &again);
		ahttp_url_free(&again);
		rc = ahttp_url_parse(s, &plain, &why);
		if ((rc == 0) != (u.user == NULL))
			abort();
		if (rc == 0) {
			same_request(&u, &plain);
			ahttp_url_free(&plain);
		}
		if ((r = ahttp_url_resolve(u.absolute, ref)) != NULL)
			free(r);
		ahttp_url_free(&u);
	}
	free(s);
	return 0;
}
