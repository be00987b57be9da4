/*
 * echo-common.c: what the echo clients and the server share: connecting
 * (by name, by Unix path) with one-line failure reports, addresses shown
 * the Python way, data previews for -v, and reading a whole message.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acore.h"
#include "cmd.h"
#include "echo.h"

/* When echo_client_connect started: tells the connect deadline from -i. */
static double connect_started;
/* The channel connecting through a proxy: its stage tells who failed. */
static const struct acore_dispatcher *proxied;

/* A proxied connect's failure before the target answered: 0 if not one. */
static int
proxy_failed(const struct echo_client_conf *c, int err)
{
	const char *status;
	int stage, rc;

	if (c->proxy == NULL || proxied == NULL || err == -ETIMEDOUT)
		return 0;
	stage = acore_connect_stage(proxied);
	rc = cmd_proxy_exit(err, stage);
	if (stage == ACORE_STAGE_RESOLVE && ACORE_IS_EAI(err))
		warnx("echo-client: cannot resolve proxy %s: %s",
		    c->proxy_where, acore_strerror(err));
	else if (stage == ACORE_STAGE_CONNECT)
		warnx("echo-client: connect to proxy %s port %s: %s",
		    c->proxy_where, c->proxy_port, acore_strerror(err));
	else if (stage == ACORE_STAGE_TUNNEL && ACORE_IS_EAI(err))
		warnx("echo-client: cannot resolve %s: %s", c->host,
		    acore_strerror(err));
	else if (stage == ACORE_STAGE_TUNNEL) {
		status = acore_proxy_status(proxied);
		warnx("echo-client: proxy %s port %s: %s%s%s%s",
		    c->proxy_where, c->proxy_port, acore_strerror(err),
		    status != NULL ? " (" : "", status != NULL ? status : "",
		    status != NULL ? ")" : "");
	} else
		return 0;
	return rc;
}

int
echo_client_failed(const struct echo_client_conf *c, const char *where,
    int connected, int err)
{
	double limit = c->connect_timeout > 0 ? c->connect_timeout :
	    ECHO_CONNECT_SECS;
	int rc;

	if (!connected && (rc = proxy_failed(c, err)) != 0)
		return rc;
	if (ACORE_IS_EAI(err))
		warnx("echo-client: cannot resolve %s: %s", where,
		    acore_strerror(err));
	else if (err == -ETIMEDOUT && !connected && (c->idle <= 0 ||
	    acore_now() - connect_started >= limit - 0.001))
		warnx("echo-client: connect to %s: timed out after %g s",
		    where, limit);
	else if (err == -ETIMEDOUT)
		warnx("echo-client: no data from %s: timed out after %g s",
		    where, c->idle);
	else
		warnx("echo-client: %s%s: %s", connected ? "" : "connect to ",
		    where, acore_strerror(err));
	return cmd_exit_for(err);
}

static int
connect_unix(struct acore_dispatcher *d, const char *path)
{
	struct sockaddr_un sun;
	char addr[sizeof(sun.sun_path) + 8];
	int rc;

	if ((rc = echo_unix_addr(path, &sun)) < 0)
		return rc;
	echo_str_addr((struct sockaddr *)&sun, sizeof(sun), addr,
	    sizeof(addr));
	acore_debug(d, "connecting to %s", addr);
	if ((rc = acore_create_socket(d, AF_UNIX, SOCK_STREAM)) < 0)
		return rc;
	return acore_connect(d, (struct sockaddr *)&sun, sizeof(sun));
}

void
echo_client_where(const struct echo_client_conf *c, char *buf, size_t size)
{
	if (c->unix_path != NULL)
		snprintf(buf, size, "%s", c->unix_path);
	else
		snprintf(buf, size, "%s port %s", c->host, c->port);
}

int
echo_client_connect(struct acore_dispatcher *d,
    const struct echo_client_conf *c)
{
	int rc;

	/*
	 * The connect deadline covers the TLS handshake, and -i counts
	 * silence from the moment the TCP connection is up, so a server that
	 * accepts and then says nothing cannot hold the client forever.
	 */
	connect_started = acore_now();
	if ((rc = acore_set_connect_timeout(d, c->connect_timeout > 0 ?
	    c->connect_timeout : ECHO_CONNECT_SECS)) < 0 ||
	    (rc = acore_set_timeout(d, c->idle)) < 0)
		return rc;
	if (c->source_len > 0 && (rc = acore_set_source(d,
	    (const struct sockaddr *)&c->source, c->source_len)) < 0)
		return rc;
	/* The handshake comes before handle_connect, inside that timeout. */
	if (c->tls != NULL && (rc = acore_tls_attach(d, c->tls,
	    c->servername != NULL ? c->servername : c->host)) < 0)
		return rc;
	if (c->unix_path != NULL)
		return connect_unix(d, c->unix_path);
	if (c->proxy != NULL) {
		proxied = d;
		acore_debug(d, "connecting to ('%s', %s) through a proxy",
		    c->host, c->port);
		return acore_connect_proxy(d, c->proxy, c->host, c->port,
		    c->family);
	}
	acore_debug(d, "connecting to ('%s', %s)", c->host, c->port);
	return acore_connect_host(d, c->host, c->port, c->family);
}

void
echo_log_data(struct acore_dispatcher *d, const char *what, const void *data,
    size_t len)
{
	char prefix[64];

	if (!cmd_is_verbose())
		return;		/* the docs handler calls this per read */
	snprintf(prefix, sizeof(prefix), "%s -> (%zu) \"", what, len);
	cmd_log_data(acore_name(d), prefix, data, len, "\"");
}

void
echo_str_addr(const struct sockaddr *sa, socklen_t len, char *buf,
    size_t size)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)sa;
	size_t n;

	if (sa->sa_family != AF_UNIX) {
		acore_format_addr(sa, len, buf, size);
		return;
	}
	n = len > offsetof(struct sockaddr_un, sun_path) ?
	    strnlen(sun->sun_path, len - offsetof(struct sockaddr_un,
	    sun_path)) : 0;
	snprintf(buf, size, "%.*s", (int)n, sun->sun_path);
}

int
echo_unix_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	memcpy(sun->sun_path, path, strlen(path));
	return 0;
}

char *
echo_read_message(const char *cmd, const char *path, size_t *lenp)
{
	size_t len = 0, cap = 65536;
	char *buf, *p;
	ssize_t n;
	int fd;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		err(AC_EXIT_FAIL, "%s: %s", cmd, path);
	if ((buf = malloc(cap)) == NULL)
		err(AC_EXIT_FAIL, "%s", cmd);
	for (;;) {
		if (len == cap) {
			if ((p = realloc(buf, cap *= 2)) == NULL)
				err(AC_EXIT_FAIL, "%s", cmd);
			buf = p;
		}
		if ((n = read(fd, buf + len, cap - len)) == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err(AC_EXIT_FAIL, "%s: %s", cmd, path);
		}
		len += (size_t)n;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	*lenp = len;
	return buf;
}
