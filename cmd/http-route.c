/*
 * http-route.c: where a request's connection goes when not simply to its
 * URL's host and port: --resolve [+|-]HOST:PORT:ADDR[,ADDR]... (curl's
 * syntax: each ADDR numeric, IPv6 in brackets or not, tried in order;
 * HOST * for every name; -HOST:PORT drops what was given for them)
 * and --unix-socket PATH (every connection to that socket; the URL still
 * names the Host).  The request itself does not change.
 */
#include "config.h"

#include <arpa/inet.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acore.h"
#include "cmd.h"
#include "http.h"

/*
 * One address of a --resolve list: numeric, brackets dropped; 0 or -1.
 * gcc 12 -fanalyzer loses a once it is in r->addrs, which the caller's
 * struct (then o->resolve) owns until hg_resolve_free_all(), and
 * reports it leaked.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif
static int
add_addr(struct hg_resolve *r, const char *s, size_t n)
{
	unsigned char bin[16];
	char **na, *a;

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == 0 || (a = strndup(s, n)) == NULL)
		return -1;
	if (inet_pton(AF_INET, a, bin) != 1 &&
	    inet_pton(AF_INET6, a, bin) != 1) {
		free(a);
		return -1;
	}
	if ((na = reallocarray(r->addrs, r->naddrs + 1, sizeof(*na))) ==
	    NULL) {
		free(a);
		return -1;
	}
	r->addrs = na;
	r->addrs[r->naddrs++] = a;
	return 0;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

static void
resolve_free(struct hg_resolve *r)
{
	size_t i;

	for (i = 0; i < r->naddrs; i++)
		free(r->addrs[i]);
	free(r->addrs);
	free(r->host);
	free(r->port);
}

/* Drop the entries for host:port given so far (curl's -HOST:PORT). */
static void
resolve_remove(struct hg_opts *o, const char *host, size_t hlen,
    const char *port)
{
	size_t i, kept = 0;

	for (i = 0; i < o->nresolve; i++)
		if (strlen(o->resolve[i].host) == hlen &&
		    strncasecmp(o->resolve[i].host, host, hlen) == 0 &&
		    strcmp(o->resolve[i].port, port) == 0)
			resolve_free(&o->resolve[i]);
		else
			o->resolve[kept++] = o->resolve[i];
	o->nresolve = kept;
}

int
hg_resolve_add(struct hg_opts *o, const char *arg)
{
	struct hg_resolve r, *nr;
	const char *p, *port, *addrs, *end;
	long n;
	int remove = 0;

	memset(&r, 0, sizeof(r));
	/* curl's prefixes: + (a cache timeout: nothing here), - (remove). */
	if (*arg == '+')
		arg++;
	else if (*arg == '-') {
		remove = 1;
		arg++;
	}
	if ((p = strchr(arg, ':')) == NULL || p == arg)
		return -1;
	port = p + 1;
	if (remove) {
		if (*port == '\0' || strspn(port, "0123456789") !=
		    strlen(port) || (n = strtol(port, NULL, 10)) < 1 ||
		    n > 65535)
			return -1;
		resolve_remove(o, arg, (size_t)(p - arg), port);
		return 0;
	}
	if ((addrs = strchr(port, ':')) == NULL || addrs == port ||
	    strspn(port, "0123456789") != (size_t)(addrs - port) ||
	    (n = strtol(port, NULL, 10)) < 1 || n > 65535)
		return -1;
	addrs++;
	if ((r.host = strndup(arg, (size_t)(p - arg))) == NULL ||
	    (r.port = strndup(port, (size_t)(addrs - 1 - port))) == NULL)
		goto fail;
	for (p = addrs; ; p = end + 1) {
		end = p + strcspn(p, ",");
		if (add_addr(&r, p, (size_t)(end - p)) < 0)
			goto fail;
		if (*end == '\0')
			break;
	}
	if ((nr = reallocarray(o->resolve, o->nresolve + 1,
	    sizeof(*nr))) == NULL)
		goto fail;
	o->resolve = nr;
	o->resolve[o->nresolve++] = r;
	return 0;
fail:
	resolve_free(&r);
	return -1;
}

/*
 * The addresses for host:port: the last entry given for them, as curl's
 * later --resolve replaces an earlier one, else the last for *:port.
 */
const struct hg_resolve *
hg_resolve_find(const struct hg_opts *o, const char *host, const char *port)
{
	const struct hg_resolve *any = NULL;
	size_t i;

	for (i = o->nresolve; i-- > 0;) {
		if (strcmp(o->resolve[i].port, port) != 0)
			continue;
		if (strcasecmp(o->resolve[i].host, host) == 0)
			return &o->resolve[i];
		if (any == NULL && strcmp(o->resolve[i].host, "*") == 0)
			any = &o->resolve[i];
	}
	return any;
}

void
hg_resolve_free_all(struct hg_opts *o)
{
	size_t i;

	for (i = 0; i < o->nresolve; i++)
		resolve_free(&o->resolve[i]);
	free(o->resolve);
	o->resolve = NULL;
	o->nresolve = 0;
}
