/*
 * echo-listen.c: echo-server's addresses.  A name such as localhost may
 * stand for 127.0.0.1 and ::1; a client may try either, so the server
 * listens on every address the name resolves to, one channel each (TCP
 * listeners, UDP sockets), IPv4 first.  The article's servers (--once,
 * --with-client) bind one IPv4 address, as Python's create_socket(AF_INET)
 * does: they take the first address only.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "acore.h"
#include "cmd.h"
#include "echo.h"

/* Two sockaddrs name the same address and port. */
static int
same_addr(const struct sockaddr_storage *a, socklen_t alen,
    const struct addrinfo *b)
{
	return alen == b->ai_addrlen && memcmp(a, b->ai_addr, alen) == 0;
}

int
echo_listen_addrs(const char *host, const char *port, int family,
    int socktype, struct echo_addrs *out)
{
	struct addrinfo hints, *res, *ai;
	char lit[NI_MAXHOST];
	size_t i, n, len;
	int rc, v4;

	out->n = 0;
	out->has_v4 = 0;
	/* "[::1]", as in a URL or HOST:PORT: the literal inside. */
	len = strlen(host);
	if (host[0] == '[' && len > 2 && host[len - 1] == ']' &&
	    len - 2 < sizeof(lit)) {
		memcpy(lit, host + 1, len - 2);
		lit[len - 2] = '\0';
		host = lit;
		if (family == AF_UNSPEC)
			family = AF_INET6;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = socktype;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	/* Set-up, before the loop runs: blocking here costs nothing. */
	/* Negative always: an EAI_SYSTEM without errno is still a failure. */
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0)
		return rc == EAI_SYSTEM && errno > 0 ? -errno : ACORE_EAI(rc);
	for (v4 = 1; v4 >= 0; v4--)
		for (ai = res; ai != NULL && out->n < ECHO_ADDRS_MAX;
		    ai = ai->ai_next) {
			if ((ai->ai_family == AF_INET) != v4 ||
			    (size_t)ai->ai_addrlen > sizeof(out->ss[0]))
				continue;
			/* /etc/hosts may list an address twice. */
			for (n = out->n, i = 0; i < n; i++)
				if (same_addr(&out->ss[i], out->len[i], ai))
					break;
			if (i < n)
				continue;
			memcpy(&out->ss[n], ai->ai_addr, ai->ai_addrlen);
			out->len[n] = ai->ai_addrlen;
			out->has_v4 |= v4;
			out->n++;
		}
	freeaddrinfo(res);
	return out->n > 0 ? 0 : ACORE_EAI(EAI_NONAME);
}

/* Port 0 (the kernel's pick) for the first address: the rest share it. */
void
echo_addrs_set_port(struct echo_addrs *a, size_t from, int port)
{
	size_t i;

	for (i = from; i < a->n; i++) {
		if (a->ss[i].ss_family == AF_INET)
			((struct sockaddr_in *)&a->ss[i])->sin_port =
			    htons((uint16_t)port);
		else
			((struct sockaddr_in6 *)&a->ss[i])->sin6_port =
			    htons((uint16_t)port);
	}
}

int
echo_addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

int
echo_v6only(int fd, const struct echo_addrs *a, int family)
{
	int on = 1;

	/*
	 * Beside an IPv4 address, an IPv6 wildcard must not take the v4
	 * port as well (bindv6only 0), or the second bind fails.
	 */
	if (family != AF_INET6 || !a->has_v4)
		return 0;
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0)
		return -errno;
	return 0;
}

int
echo_addr_skippable(int err)
{
	/* An address this host cannot have (IPv6 off): the others serve. */
	return err == -EAFNOSUPPORT || err == -EADDRNOTAVAIL;
}

/* One TCP listener on address i (arg: the backlog); 0 or -errno. */
static int
listen_one(const struct echo_addrs *a, size_t i, void *arg)
{
	struct acore_dispatcher *d;
	int rc, family = a->ss[i].ss_family, backlog = *(const int *)arg;

	if ((d = acore_dispatcher_new(echo_srv.conf.loop, &echo_server_ops,
	    NULL)) == NULL)
		return -errno;
	if ((rc = acore_create_socket(d, family, SOCK_STREAM)) < 0)
		goto fail;
	(void)acore_set_reuse_addr(d);
	if ((rc = echo_v6only(acore_fd(d), a, family)) < 0 ||
	    (rc = acore_bind(d, (const struct sockaddr *)&a->ss[i],
	    a->len[i])) < 0 ||
	    (rc = acore_listen(d, backlog)) < 0)
		goto fail;
	echo_srv.listeners[echo_srv.nlisteners++] = d;
	return 0;
fail:
	acore_close(d);
	return rc;
}

int
echo_listen_each(const char *host, const char *port, int family,
    int socktype, int first_only, echo_listen_fn one, void *arg)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct echo_addrs a;
	size_t i;
	int rc, bound = -EADDRNOTAVAIL;

	memset(&ss, 0, sizeof(ss));

	if ((rc = echo_listen_addrs(host, port, family, socktype, &a)) < 0)
		return rc;
	if (first_only && a.n > 1)
		a.n = 1;
	for (i = 0; i < a.n; i++) {
		if ((rc = one(&a, i, arg)) < 0) {
			if (!echo_addr_skippable(rc) || a.n == 1)
				return rc;
			if (bound < 0)
				bound = rc;
			continue;
		}
		/* The first bound: with port 0, the others take its port. */
		if (bound < 0 && echo_addr_port(&a.ss[i]) == 0 &&
		    getsockname(acore_fd(echo_srv.listeners[
		    echo_srv.nlisteners - 1]), (struct sockaddr *)&ss,
		    &len) == 0)
			echo_addrs_set_port(&a, i + 1, echo_addr_port(&ss));
		bound = 0;
	}
	return bound;
}

int
echo_listen_tcp(const char *host, const char *port, int family, int backlog,
    int first_only)
{
	return echo_listen_each(host, port, family, SOCK_STREAM, first_only,
	    listen_one, &backlog);
}
