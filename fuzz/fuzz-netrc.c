/*
 * fuzz-netrc.c: libFuzzer target for .netrc lookups.
 *
 * Input: byte 0 picks the host and whether a login is asked for; the rest
 * is the file.  An answer must be one of the documented ones, a login
 * asked for must be the login found, and the same lookup twice must give
 * the same answer.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ahttp.h"

static const char *const hosts[] = { "m", "example.com", "EXAMPLE.COM",
	"default", "machine", "" };
static const char *const logins[] = { NULL, "l", "user", "" };

static int
same(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	const char *host, *login;
	char *l1, *p1, *l2, *p2;
	size_t line1 = 0, line2 = 0;
	int rc1, rc2;

	if (size < 1)
		return 0;
	host = hosts[in[0] % (sizeof(hosts) / sizeof(hosts[0]))];
	login = logins[(in[0] >> 4) % (sizeof(logins) / sizeof(logins[0]))];
	rc1 = ahttp_netrc_find((const char *)in + 1, size - 1, host, login,
	    &l1, &p1, &line1);
	rc2 = ahttp_netrc_find((const char *)in + 1, size - 1, host, login,
	    &l2, &p2, &line2);
	if (rc1 != rc2 || !same(l1, l2) || !same(p1, p2))
		abort();
	if (rc1 != 0 && rc1 != 1 && rc1 != -EINVAL)
		abort();
	if (rc1 != 0 && (l1 != NULL || p1 != NULL))
		abort();
	if (rc1 == -EINVAL && (line1 != line2 || line1 < 1 || line1 > size))
		abort();
	if (rc1 == 0 && login != NULL && !same(l1, login))
		abort();
	free(l1);
	free(p1);
	free(l2);
	free(p2);
	return 0;
}
