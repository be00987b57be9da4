/*
 * epoll-echo.c: the smallest honest epoll echo server, the practical limit
 * the acore echo server is measured against.  Level-triggered, one 64 KiB
 * buffer for everything; a connection owns memory only while the peer is
 * not reading (the unsent tail), and stops being read until that drains.
 *
 * usage: epoll-echo PORT_FILE [BACKLOG]
 * Binds 127.0.0.1:0 and writes the port to PORT_FILE.
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUFSZ	65536

struct pend {
	char	*buf;
	size_t	 off;
	size_t	 len;
};

static struct pend *pends;	/* indexed by fd */
static int ep;

static void
drop(int fd)
{
	free(pends[fd].buf);
	pends[fd].buf = NULL;
	close(fd);
}

static void
interest(int fd, unsigned ev)
{
	struct epoll_event e = { .events = ev, .data.fd = fd };

	if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e) == -1)
		err(1, "epoll_ctl");
}

/* Send buf; keep what the socket refuses and wait for EPOLLOUT. */
static int
push(int fd, const char *buf, size_t len)
{
	ssize_t n;

	n = send(fd, buf, len, MSG_NOSIGNAL);
	if (n < 0) {
		if (errno != EAGAIN)
			return -1;
		n = 0;
	}
	if ((size_t)n < len) {
		pends[fd].len = len - (size_t)n;
		pends[fd].off = 0;
		if ((pends[fd].buf = malloc(pends[fd].len)) == NULL)
			err(1, "malloc");
		memcpy(pends[fd].buf, buf + n, pends[fd].len);
		interest(fd, EPOLLOUT);
	}
	return 0;
}

static void
on_read(int fd, char *buf)
{
	ssize_t n;

	n = recv(fd, buf, BUFSZ, 0);
	if (n == 0 || (n < 0 && errno != EAGAIN) ||
	    (n > 0 && push(fd, buf, (size_t)n) == -1))
		drop(fd);
}

static void
on_write(int fd)
{
	struct pend *p = &pends[fd];
	ssize_t n;

	n = send(fd, p->buf + p->off, p->len, MSG_NOSIGNAL);
	if (n < 0) {
		if (errno != EAGAIN)
			drop(fd);
		return;
	}
	p->off += (size_t)n;
	p->len -= (size_t)n;
	if (p->len == 0) {
		free(p->buf);
		p->buf = NULL;
		interest(fd, EPOLLIN);
	}
}

int
main(int argc, char **argv)
{
	static char buf[BUFSZ];
	struct epoll_event evs[256], e;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct rlimit rl;
	FILE *fp;
	int lfd, fd, i, n, one = 1;

	if (argc < 2)
		errx(2, "usage: epoll-echo PORT_FILE [BACKLOG]");
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		err(1, "getrlimit");
	/* Untouched pages cost no RSS: only fds in use are paid for. */
	if ((pends = calloc(rl.rlim_cur, sizeof(*pends))) == NULL)
		err(1, "calloc");

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, argc > 2 ? atoi(argv[2]) : 128) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &sl) == -1)
		err(1, "listen");
	if ((fp = fopen(argv[1], "w")) == NULL)
		err(1, "%s", argv[1]);
	fprintf(fp, "%d\n", ntohs(sin.sin_port));
	fclose(fp);

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		err(1, "epoll_create1");
	e.events = EPOLLIN;
	e.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &e);
	for (;;) {
		n = epoll_wait(ep, evs, 256, -1);
		for (i = 0; i < n; i++) {
			fd = evs[i].data.fd;
			if (fd == lfd) {
				while ((fd = accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK | SOCK_CLOEXEC)) != -1) {
					e.events = EPOLLIN;
					e.data.fd = fd;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
				}
			} else if (pends[fd].buf != NULL)
				on_write(fd);
			else
				on_read(fd, buf);
		}
	}
}
