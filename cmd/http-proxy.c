/*
 * http-proxy.c: which proxy a URL goes through, as curl decides: -x, else
 * the environment (http_proxy for http:// URLs, https_proxy or
 * HTTPS_PROXY for https://, then all_proxy or ALL_PROXY; never
 * HTTP_PROXY, which a CGI program's Proxy: request header would set),
 * unless --noproxy or no_proxy (NO_PROXY) names the URL's host.  An
 * http:// URL through an HTTP proxy is forwarded (the request in
 * absolute form, to the proxy); everything else is tunnelled
 * (acore_connect_proxy: CONNECT, SOCKS).  And what a proxy's failure
 * means: its own message and exit status.
 */
#include "config.h"

#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acore.h"
#include "cmd.h"
#include "http.h"

struct hg_proxy {
	struct cmd_proxy	 cp;
	char			*spec;		/* as given: the key */
	char			 auth[820];	/* "Basic ...", or "" */
	struct hg_proxy		*next;
};

/* The first of names set in the environment (and not empty), or NULL. */
static const char *
env(const char *a, const char *b)
{
	const char *v;

	if ((v = getenv(a)) != NULL && *v != '\0')
		return v;
	if (b != NULL && (v = getenv(b)) != NULL && *v != '\0')
		return v;
	return NULL;
}

/* Whether host is in the no-proxy list: a name or its domain, or "*". */
static int
bypassed(const char *list, const char *host)
{
	char h[256];
	const char *p, *e;
	size_t n, hl;

	/* "[::1]" is "::1" in a list. */
	hl = strlen(host);
	if (host[0] == '[' && hl > 2 && hl - 2 < sizeof(h)) {
		memcpy(h, host + 1, hl - 2);
		h[hl - 2] = '\0';
	} else
		snprintf(h, sizeof(h), "%s", host);
	hl = strlen(h);
	while (hl > 0 && h[hl - 1] == '.')
		h[--hl] = '\0';
	for (p = list; *p != '\0'; p = e) {
		p += strspn(p, ", \t");
		e = p + strcspn(p, ", \t");
		n = (size_t)(e - p);
		if (n == 1 && *p == '*')
			return 1;
		if (n > 0 && *p == '.') {
			p++;
			n--;
		}
		while (n > 0 && p[n - 1] == '.')
			n--;
		if (n == 0 || n > hl)
			continue;
		if (strncasecmp(h + hl - n, p, n) == 0 &&
		    (n == hl || h[hl - n - 1] == '.'))
			return 1;
	}
	return 0;
}

static const struct hg_proxy *
proxy_of(struct hg *g, const char *spec)
{
	struct hg_proxy *p;
	const char *why, *user, *colon;
	char cred[600];
	int n;

	for (p = g->proxies; p != NULL; p = p->next)
		if (strcmp(p->spec, spec) == 0)
			return p;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->spec = strdup(spec)) == NULL)
		err(AC_EXIT_FAIL, "http-get");
	if (cmd_proxy_url(spec, "1080", &p->cp, &why) < 0)
		cmd_usage_error(&acore_cmd_http_get, "%s: '%s'", why, spec);
	/* -U USER:PASSWORD over the URL's. */
	if ((user = g->o.proxy_user) != NULL) {
		colon = strchr(user, ':');
		n = snprintf(p->cp.user, sizeof(p->cp.user), "%.*s",
		    (int)(colon != NULL ? colon - user : (long)strlen(user)),
		    user);
		snprintf(p->cp.password, sizeof(p->cp.password), "%s",
		    colon != NULL ? colon + 1 : "");
		p->cp.has_user = n > 0;
		p->cp.has_password = 1;
		p->cp.px.user = p->cp.has_user ? p->cp.user : NULL;
		p->cp.px.password = p->cp.password;
	}
	if (p->cp.px.user != NULL) {
		n = snprintf(cred, sizeof(cred), "%s:%s", p->cp.px.user,
		    p->cp.px.password != NULL ? p->cp.px.password : "");
		if (n > 0 && (size_t)n < sizeof(cred)) {
			memcpy(p->auth, "Basic ", 6);
			cmd_base64(cred, (size_t)n, p->auth + 6,
			    sizeof(p->auth) - 6);
		}
	}
	p->next = g->proxies;
	g->proxies = p;
	return p;
}

const struct hg_proxy *
hg_proxy_for(struct hg *g, const struct ahttp_url *u)
{
	const char *spec, *no;

	/* --unix-socket: every connection to the socket, no proxy (curl). */
	if (g->o.unix_socket != NULL)
		return NULL;
	no = g->o.noproxy != NULL ? g->o.noproxy : env("no_proxy",
	    "NO_PROXY");
	if (no != NULL && bypassed(no, u->host))
		return NULL;
	if (g->o.proxy != NULL)
		spec = g->o.proxy;
	else if (u->tls)
		spec = env("https_proxy", "HTTPS_PROXY");
	else
		spec = env("http_proxy", NULL);
	if (spec == NULL && g->o.proxy == NULL)
		spec = env("all_proxy", "ALL_PROXY");
	/* -x '': no proxy, whatever the environment says (curl). */
	if (spec == NULL || *spec == '\0')
		return NULL;
	return proxy_of(g, spec);
}

int
hg_proxy_forwards(const struct hg_proxy *p, const struct ahttp_url *u)
{
	return p != NULL && p->cp.px.type == ACORE_PROXY_HTTP && !u->tls;
}

const char *
hg_proxy_auth(const struct hg_proxy *p)
{
	return p != NULL && p->auth[0] != '\0' ? p->auth : NULL;
}

/* Whether the target's name is resolved here (--resolve applies). */
int
hg_proxy_resolves_here(const struct hg_proxy *p)
{
	return p == NULL || p->cp.px.type == ACORE_PROXY_SOCKS4 ||
	    p->cp.px.type == ACORE_PROXY_SOCKS5;
}

/*
 * Connect c for job j to host (the URL's, or --resolve's address, or
 * --unix-socket's path with AF_UNIX): to the proxy, through it, or
 * straight.
 */
int
hg_proxy_connect(struct hg_conn *c, const struct hg_job *j,
    const char *host, int family)
{
	const struct hg_proxy *p = c->host->proxy;

	if (p == NULL || family == AF_UNIX)
		return acore_connect_host(c->d, host, j->u.port, family);
	acore_debug(c->d, "through the %s proxy ('%s', %s)",
	    cmd_proxy_scheme(p->cp.px.type), p->cp.host, p->cp.port);
	if (hg_proxy_forwards(p, &j->u))
		return acore_connect_host(c->d, p->cp.host, p->cp.port,
		    family);
	return acore_connect_proxy(c->d, &p->cp.px, host, j->u.port,
	    family);
}

/*
 * The connect of c failed with err before the target answered: report
 * it as the proxy's when it was (1), else leave it to the caller (0).
 */
int
hg_proxy_failed(struct hg_conn *c, int err)
{
	const struct hg_proxy *p = c->host->proxy;
	const struct hg_job *j = c->job;
	const char *status;
	int stage, rc;

	if (p == NULL || err == -ETIMEDOUT)
		return 0;
	stage = acore_connect_stage(c->d);
	rc = cmd_proxy_exit(err, stage);
	if (stage == ACORE_STAGE_RESOLVE && ACORE_IS_EAI(err))
		hg_conn_fail(c, rc, "cannot resolve proxy %s: %s", p->cp.host,
		    acore_strerror(err));
	else if (stage == ACORE_STAGE_CONNECT)
		hg_conn_fail(c, rc, "connect to proxy %s port %s: %s",
		    p->cp.host, p->cp.port, acore_strerror(err));
	else if (stage == ACORE_STAGE_TUNNEL && ACORE_IS_EAI(err))
		hg_conn_fail(c, rc, "cannot resolve %s: %s", j->u.host,
		    acore_strerror(err));
	else if (stage == ACORE_STAGE_TUNNEL) {
		status = acore_proxy_status(c->d);
		hg_conn_fail(c, rc, "proxy %s port %s: %s%s%s%s", p->cp.host,
		    p->cp.port, acore_strerror(err), status != NULL ? " (" :
		    "", status != NULL ? status : "", status != NULL ? ")" :
		    "");
	} else
		return 0;
	return 1;
}

void
hg_proxies_free(struct hg *g)
{
	struct hg_proxy *p;

	while ((p = g->proxies) != NULL) {
		g->proxies = p->next;
		explicit_bzero(&p->cp, sizeof(p->cp));
		explicit_bzero(p->auth, sizeof(p->auth));
		free(p->spec);
		free(p);
	}
}
