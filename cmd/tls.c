/*
 * tls.c: the TLS options the subcommands share, turned into libacore TLS
 * configurations (--cert/--key for servers; --cacert, --capath and
 * -k/--insecure for clients; --ciphers and --tls13-ciphers).
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <stdlib.h>

#include "acore.h"
#include "cmd.h"

static struct acore_tls *
tls_new(const char *name, int server)
{
	struct acore_tls *t;

	if ((t = acore_tls_new(server)) == NULL)
		errx(AC_EXIT_FAIL, "%s: TLS: %s", name, acore_strerror(-errno));
	return t;
}

struct acore_tls *
cmd_tls_server(const char *name, const char *cert, const char *key)
{
	struct acore_tls *t = tls_new(name, 1);
	int rc;

	if ((rc = acore_tls_set_cert(t, cert, key)) < 0) {
		acore_tls_free(t);
		errx(AC_EXIT_FAIL, "%s: %s%s%s: %s", name, cert,
		    key != NULL ? ", " : "", key != NULL ? key : "",
		    acore_strerror(rc));
	}
	return t;
}

struct acore_tls *
cmd_tls_client(const char *name, const char *cacert, const char *capath,
    int insecure)
{
	struct acore_tls *t = tls_new(name, 0);
	int rc;

	if ((cacert != NULL || capath != NULL) &&
	    (rc = acore_tls_set_ca(t, cacert, capath)) < 0) {
		acore_tls_free(t);
		errx(AC_EXIT_FAIL, "%s: %s: %s", name,
		    cacert != NULL ? cacert : capath, acore_strerror(rc));
	}
	if (insecure)
		(void)acore_tls_set_verify(t, 0);
	return t;
}

void
cmd_tls_ciphers(const char *name, struct acore_tls *t, const char *list,
    const char *suites)
{
	if (list != NULL && acore_tls_set_ciphers(t, list, NULL) < 0) {
		acore_tls_free(t);
		errx(AC_EXIT_USAGE, "%s: --ciphers: no cipher OpenSSL knows "
		    "in '%s'", name, list);
	}
	if (suites != NULL && acore_tls_set_ciphers(t, NULL, suites) < 0) {
		acore_tls_free(t);
		errx(AC_EXIT_USAGE, "%s: --tls13-ciphers: no cipher suite "
		    "OpenSSL knows in '%s'", name, suites);
	}
}
