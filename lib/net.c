/*
 * net.c: socket helpers (anet-style): non-blocking close-on-exec sockets
 * and socket addresses printed the way Python prints them.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "acore-internal.h"

int
acore__socket(int family, int type)
{
	int fd;

	/* Atomic flags: no window where an exec'd child inherits the fd. */
	fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

int
acore__set_nonblock_cloexec(int fd)
{
	int fl;

	/* accept4() already set both: skip the writes (2 syscalls each). */
	if ((fl = fcntl(fd, F_GETFL)) < 0 || (!(fl & O_NONBLOCK) &&
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) ||
	    (fl = fcntl(fd, F_GETFD)) < 0 || (!(fl & FD_CLOEXEC) &&
	    fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0))
		return -errno;
	return 0;
}

size_t
acore_format_addr(const struct sockaddr *sa, socklen_t len, char *buf,
    size_t size)
{
	char host[INET6_ADDRSTRLEN];
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;
	const struct sockaddr_un *sun;
	int n;

	if (size == 0)
		return 0;
	switch (sa != NULL ? sa->sa_family : AF_UNSPEC) {
	case AF_INET:
		sin = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		n = snprintf(buf, size, "('%s', %u)", host,
		    ntohs(sin->sin_port));
		break;
	case AF_INET6:
		/* Python's 4-tuple: (host, port, flowinfo, scope_id). */
		sin6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		n = snprintf(buf, size, "('%s', %u, %u, %u)", host,
		    ntohs(sin6->sin6_port), ntohl(sin6->sin6_flowinfo),
		    sin6->sin6_scope_id);
		break;
	case AF_UNIX:
		sun = (const struct sockaddr_un *)sa;
		if (len <= offsetof(struct sockaddr_un, sun_path) ||
		    sun->sun_path[0] == '\0')
			n = snprintf(buf, size, "''");
		else
			n = snprintf(buf, size, "'%.*s'",
			    (int)strnlen(sun->sun_path,
			    len - offsetof(struct sockaddr_un, sun_path)),
			    sun->sun_path);
		break;
	default:
		n = snprintf(buf, size, "None");
		break;
	}
	if (n < 0)
		n = 0;
	return (size_t)n < size ? (size_t)n : size - 1;
}

/* A Unix socket address for path; 0, -EINVAL or -ENAMETOOLONG. */
int
acore__unix_addr(const char *path, struct sockaddr_un *sun)
{
	size_t n;

	if (path == NULL || (n = strlen(path)) == 0)
		return -EINVAL;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (n >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	memcpy(sun->sun_path, path, n);
	return 0;
}
