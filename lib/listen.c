/*
 * listen.c: listening by host and port (or Unix path), the create_socket,
 * set_reuse_addr, bind, listen sequence of every asyncore server in one
 * call, with the same address parsing as connecting by name.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netdb.h>

#include <errno.h>
#include <string.h>

#include "acore-internal.h"

/* socket, SO_REUSEADDR, bind, listen on one address; 0 or -errno. */
static int
listen_on(struct acore_dispatcher *d, const struct sockaddr *sa,
    socklen_t len, int backlog)
{
	int rc;

	if ((rc = acore_create_socket(d, sa->sa_family, SOCK_STREAM)) < 0)
		return rc;
	if (sa->sa_family != AF_UNIX)
		(void)acore_set_reuse_addr(d);
	if (d->x != NULL && d->x->reuse_port && sa->sa_family != AF_UNIX &&
	    (rc = acore_set_reuse_port(d)) < 0) {
		acore__detach_fd(d);
		return rc;
	}
	if ((rc = acore_bind(d, sa, len)) < 0 ||
	    (rc = acore_listen(d, backlog)) < 0) {
		acore__detach_fd(d);
		d->flags &= (uint8_t)~ACORE_ACCEPTING;
	}
	return rc;
}

static int
listen_unix(struct acore_dispatcher *d, const char *path, int backlog)
{
	struct sockaddr_un sun;
	int rc;

	if ((rc = acore__unix_addr(path, &sun)) < 0)
		return rc;
	return listen_on(d, (struct sockaddr *)&sun, sizeof(sun), backlog);
}

int
acore_listen_host(struct acore_dispatcher *d, const char *host,
    const char *port, int family, int backlog)
{
	struct addrinfo hints, *res, *ai;
	int rc, v4;

	if (d->flags & ACORE_CLOSED)
		return -EBADF;
	if (d->fd >= 0 || acore__conn(d) != NULL)
		return -EALREADY;
	if (family == AF_UNIX)
		return listen_unix(d, host, backlog);
	if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (port == NULL)
		return -EINVAL;
	if ((rc = acore__numeric_addr(host, port, family, 1, &res)) < 0)
		return rc;
	if (rc == 1) {
		/*
		 * A name.  Set-up, not the loop's work: getaddrinfo(3), which
		 * blocks, as binding by name in asyncore does.
		 */
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = family;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE;
		if ((rc = getaddrinfo(host, port, &hints, &res)) != 0)
			return rc == EAI_SYSTEM ? -errno : ACORE_EAI(rc);
	}
	/* IPv4 first, as asyncore's create_socket() default (AF_INET). */
	rc = -EADDRNOTAVAIL;
	for (v4 = 1; v4 >= 0 && d->fd < 0; v4--)
		for (ai = res; ai != NULL && d->fd < 0; ai = ai->ai_next)
			if ((ai->ai_family == AF_INET) == v4)
				rc = listen_on(d, ai->ai_addr, ai->ai_addrlen,
				    backlog);
	freeaddrinfo(res);
	return d->fd >= 0 ? 0 : rc;
}
