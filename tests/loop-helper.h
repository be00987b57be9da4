/*
 * loop-helper.h: what test-loop.c and test-expt.c share: a trace of hook
 * calls, a clock, a SIGALRM guard that turns a hang into a "not ok" line,
 * a loopback listener, a bounded wait on a descriptor, and small hooks.
 */
#ifndef LOOP_HELPER_H
#define LOOP_HELPER_H

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acore.h"
#include "tap.h"

static char trace[4096];
static const char *current = "";

static inline void
note(const char *fmt, ...)
{
	va_list ap;
	size_t n = strlen(trace);

	va_start(ap, fmt);
	vsnprintf(trace + n, sizeof(trace) - n, fmt, ap);
	va_end(ap);
}

static inline void
on_alarm(int signo)
{
	static const char msg[] = "not ok - hung in: ";

	(void)signo;
	write(1, msg, sizeof(msg) - 1);
	write(1, current, strlen(current));
	write(1, "\n", 1);
	_exit(1);
}

static inline void
guard(const char *what, unsigned secs)
{
	current = what;
	alarm(secs);
}

/* A loopback listener (plain blocking socket, not a channel); port in *sa. */
static inline int
listener(int family, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	int fd;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		*len = sizeof(*sin6);
	}
	if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)ss, *len) < 0 || listen(fd, 8) < 0 ||
	    getsockname(fd, (struct sockaddr *)ss, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Wait (bounded) until fd reports one of events. */
static inline int
wait_fd(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, 5000) == 1 && (p.revents & events);
}

static inline int
never(struct acore_dispatcher *d, void *arg)
{
	(void)d;
	(void)arg;
	return 0;
}

static inline int
always(struct acore_dispatcher *d, void *arg)
{
	(void)d;
	(void)arg;
	return 1;
}

static inline void
nothing(struct acore_dispatcher *d, void *arg)
{
	(void)d;
	(void)arg;
}

static inline void
rec_read(struct acore_dispatcher *d, void *arg)
{
	char buf[64];
	ssize_t n;

	(void)arg;
	note("%s.read ", acore_name(d));
	n = acore_recv(d, buf, sizeof(buf));
	if (n >= 0)
		note("(%zd) ", n);
}

static inline void
rec_write(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	note("%s.write ", acore_name(d));
}

static inline void
rec_close(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	note("%s.close(%d) ", acore_name(d), acore_close_reason(d));
	acore_close(d);
}

#endif /* LOOP_HELPER_H */
