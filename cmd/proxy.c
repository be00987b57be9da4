/*
 * proxy.c: proxies for every command that connects: curl's --proxy URL
 * ([SCHEME://][USER[:PASSWORD]@]HOST[:PORT]), nc's -X PROTO -x HOST:PORT
 * with -P USER (the password from ACORE_PROXY_PASSWORD or a prompt on the
 * terminal), and what a failure in each stage of a proxied connect means
 * as an exit status.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acore.h"
#include "cmd.h"

static const struct {
	const char	*scheme;
	int		 type;
} schemes[] = {
	{ "http",	ACORE_PROXY_HTTP },
	{ "socks4",	ACORE_PROXY_SOCKS4 },
	{ "socks4a",	ACORE_PROXY_SOCKS4A },
	{ "socks5",	ACORE_PROXY_SOCKS5 },
	{ "socks5h",	ACORE_PROXY_SOCKS5H },
};

static const char *const type_names[] = {
	"", "http", "socks4", "socks4a", "socks5", "socks5h"
};

const char *
cmd_proxy_scheme(int type)
{
	return type >= ACORE_PROXY_HTTP && type <= ACORE_PROXY_SOCKS5H ?
	    type_names[type] : "";
}

/* %XX decoded into to (size bytes); -1 when it does not fit or is bad. */
static int
unescape(const char *s, size_t n, char *to, size_t size)
{
	size_t i, j = 0;
	unsigned v;

	for (i = 0; i < n; i++) {
		if (j + 1 >= size)
			return -1;
		if (s[i] == '%') {
			if (i + 2 >= n)
				return -1;
			if (!isxdigit((unsigned char)s[i + 1]) ||
			    !isxdigit((unsigned char)s[i + 2]) ||
			    sscanf(s + i + 1, "%2x", &v) != 1 || v == 0)
				return -1;
			to[j++] = (char)v;
			i += 2;
		} else
			to[j++] = s[i];
	}
	to[j] = '\0';
	return 0;
}

static void
settle(struct cmd_proxy *p)
{
	p->px.host = p->host;
	p->px.port = p->port;
	p->px.user = p->user[0] != '\0' || p->has_user ? p->user : NULL;
	p->px.password = p->has_password ? p->password : NULL;
	p->set = 1;
}

int
cmd_proxy_url(const char *url, const char *default_port,
    struct cmd_proxy *p, const char **why)
{
	const char *s = url, *at, *colon, *sep;
	size_t i, n;

	memset(p, 0, sizeof(*p));
	p->px.type = ACORE_PROXY_HTTP;
	if ((sep = strstr(s, "://")) != NULL) {
		n = (size_t)(sep - s);
		for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
			if (strlen(schemes[i].scheme) == n &&
			    strncasecmp(s, schemes[i].scheme, n) == 0)
				break;
		if (i == sizeof(schemes) / sizeof(schemes[0])) {
			*why = "unsupported proxy scheme";
			return -1;
		}
		p->px.type = schemes[i].type;
		s = sep + 3;
	}
	/* A path after the authority ("http://proxy:3128/") means nothing. */
	n = strcspn(s, "/?#");
	if (s[n] != '\0' && strspn(s + n, "/") != strlen(s + n)) {
		*why = "a proxy URL has no path";
		return -1;
	}
	if ((at = memchr(s, '@', n)) != NULL) {
		colon = memchr(s, ':', (size_t)(at - s));
		if (unescape(s, (size_t)((colon != NULL ? colon : at) - s),
		    p->user, sizeof(p->user)) < 0 || (colon != NULL &&
		    unescape(colon + 1, (size_t)(at - colon - 1), p->password,
		    sizeof(p->password)) < 0)) {
			*why = "bad user or password";
			return -1;
		}
		p->has_user = 1;
		p->has_password = colon != NULL;
		n -= (size_t)(at + 1 - s);
		s = at + 1;
	}
	if (n == 0 || n >= sizeof(p->host) + 8) {
		*why = "no proxy host";
		return -1;
	}
	return cmd_proxy_host_port(s, n, default_port, p, why);
}

/* HOST[:PORT] of n bytes, "[v6]" allowed, into p. */
int
cmd_proxy_host_port(const char *s, size_t n, const char *default_port,
    struct cmd_proxy *p, const char **why)
{
	const char *port = NULL, *end = s + n;
	size_t hl;

	if (*s == '[') {
		const char *rb = memchr(s, ']', n);

		if (rb == NULL || (rb + 1 < end && rb[1] != ':')) {
			*why = "bad proxy address";
			return -1;
		}
		hl = (size_t)(rb + 1 - s);
		if (rb + 1 < end)
			port = rb + 2;
	} else {
		const char *c = memchr(s, ':', n);

		hl = c != NULL ? (size_t)(c - s) : n;
		if (c != NULL)
			port = c + 1;
	}
	if (hl == 0 || hl >= sizeof(p->host)) {
		*why = "bad proxy host";
		return -1;
	}
	memcpy(p->host, s, hl);
	p->host[hl] = '\0';
	if (port != NULL) {
		if ((size_t)(end - port) == 0 ||
		    (size_t)(end - port) >= sizeof(p->port) ||
		    strspn(port, "0123456789") < (size_t)(end - port)) {
			*why = "bad proxy port";
			return -1;
		}
		memcpy(p->port, port, (size_t)(end - port));
		p->port[end - port] = '\0';
		if (atoi(p->port) < 1 || atoi(p->port) > 65535) {
			*why = "bad proxy port";
			return -1;
		}
	} else
		snprintf(p->port, sizeof(p->port), "%s", default_port);
	settle(p);
	return 0;
}

int
cmd_proxy_nc(const char *proto, const char *hostport, struct cmd_proxy *p,
    const char **why)
{
	int type;

	memset(p, 0, sizeof(*p));
	/* nc -X: 4 is SOCKS4, 5 SOCKS5 (the proxy resolves), connect HTTP. */
	if (proto == NULL || strcmp(proto, "5") == 0)
		type = ACORE_PROXY_SOCKS5H;
	else if (strcmp(proto, "4") == 0)
		type = ACORE_PROXY_SOCKS4;
	else if (strcasecmp(proto, "connect") == 0)
		type = ACORE_PROXY_HTTP;
	else {
		*why = "unknown proxy protocol (4, 5 or connect)";
		return -1;
	}
	if (cmd_proxy_host_port(hostport, strlen(hostport),
	    type == ACORE_PROXY_HTTP ? "3128" : "1080", p, why) < 0)
		return -1;
	p->px.type = type;
	return 0;
}

/*
 * nc -P USER: the password from ACORE_PROXY_PASSWORD, or asked on the
 * terminal without echo; none at all without either.  0, or -1 with a
 * reason.
 */
int
cmd_proxy_user(struct cmd_proxy *p, const char *user, const char **why)
{
	const char *env = getenv("ACORE_PROXY_PASSWORD");
	char buf[256];

	if (strlen(user) >= sizeof(p->user)) {
		*why = "proxy user name too long";
		return -1;
	}
	snprintf(p->user, sizeof(p->user), "%s", user);
	p->has_user = 1;
	if (env != NULL) {
		if (strlen(env) >= sizeof(p->password)) {
			*why = "proxy password too long";
			return -1;
		}
		snprintf(p->password, sizeof(p->password), "%s", env);
		p->has_password = 1;
	} else if (cmd_ask_tty("Proxy password: ", buf, sizeof(buf)) == 0) {
		snprintf(p->password, sizeof(p->password), "%s", buf);
		p->has_password = 1;
		explicit_bzero(buf, sizeof(buf));
	}
	settle(p);
	return 0;
}

/*
 * The exit status of a proxied connect that failed with err in stage:
 * the proxy's name (15), reaching it (17), its refusal or handshake (18);
 * a deadline is a deadline (6), the target's name looked up here for
 * SOCKS4/5 is a name (4), and TLS past the tunnel is TLS's.
 */
int
cmd_proxy_exit(int err, int stage)
{
	if (err == -ETIMEDOUT)
		return AC_EXIT_TIMEOUT;
	switch (stage) {
	case ACORE_STAGE_RESOLVE:
		return ACORE_IS_EAI(err) ? AC_EXIT_PROXY_DNS : cmd_exit_for(err);
	case ACORE_STAGE_CONNECT:
		return AC_EXIT_PROXY_CONNECT;
	case ACORE_STAGE_TUNNEL:
		return ACORE_IS_EAI(err) ? AC_EXIT_DNS : AC_EXIT_PROXY;
	default:
		return cmd_exit_for(err);
	}
}

void
cmd_base64(const void *in, size_t len, char *out, size_t size)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = in;
	size_t i, o = 0;
	unsigned v;

	for (i = 0; i < len && o + 5 <= size; i += 3) {
		v = (unsigned)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = i + 1 < len ? a[v >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? a[v & 63] : '=';
	}
	if (size > 0)
		out[o < size ? o : size - 1] = '\0';
}
