/*
 * peer.c: small misbehaving HTTP servers for the http-get tests.
 *
 * Listens on 127.0.0.1 (or -a ADDR: 127.0.0.2, ::1), port chosen by the
 * kernel (or -P PORT), writes the port to the
 * port file (atomically, so a waiting test never reads half a number) and
 * serves connections one at a time, each the way MODE says.  Every request
 * head it reads is appended to the log file, so tests can check the exact
 * bytes a client sent.  It exits after -c connections or -t seconds,
 * whichever comes first: a test that forgets it cannot leave it running.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define REQ_MAX		16384

static const char *logpath;
static const char *file;
static int interval_ms = 100;

static void
usage(void)
{
	fprintf(stderr, "usage: peer [-a addr] [-c conns] [-f file] [-i ms] "
	    "[-l log] [-P port] [-p portfile] [-t secs] mode\n"
	    "modes: send hold truncated garbage endless trickle reset "
	    "bad-chunk chunk-overflow close-early echo blackhole "
	    "redirect-close flaky\n");
	exit(2);
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Write all of buf; 0 or -1 (the client went away). */
static int
put(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = send(fd, p, len, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
puts_fd(int fd, const char *s)
{
	return put(fd, s, strlen(s));
}

/*
 * Read one request head (up to the empty line) into buf; its length, or 0
 * when the client closed or sent nothing within 5 seconds.
 */
static size_t
read_request(int fd, char *buf, size_t size)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t len = 0;
	ssize_t n;
	FILE *fp;

	while (len < size - 1) {
		if (poll(&pfd, 1, 5000) <= 0)
			return 0;
		if ((n = recv(fd, buf + len, 1, 0)) <= 0)
			return 0;
		len++;
		buf[len] = '\0';
		if (len >= 4 && memcmp(buf + len - 4, "\r\n\r\n", 4) == 0)
			break;
		if (len >= 2 && memcmp(buf + len - 2, "\n\n", 2) == 0)
			break;
	}
	if (logpath != NULL && (fp = fopen(logpath, "a")) != NULL) {
		fwrite(buf, 1, len, fp);
		fclose(fp);
	}
	return len;
}

/* Keep the connection open until the client closes it. */
static void
hold(int fd)
{
	char buf[4096];

	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
}

static void
send_file(int fd)
{
	char buf[8192];
	size_t n;
	FILE *fp;

	if (file == NULL)
		errx(2, "mode needs -f file");
	if ((fp = fopen(file, "rb")) == NULL)
		err(2, "%s", file);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		if (put(fd, buf, n) == -1)
			break;
	fclose(fp);
}

/* A response whose body names the path asked for: order is checkable. */
static int
answer_path(int fd, const char *req, const char *extra)
{
	char path[256], head[512];
	int blen, n;

	if (sscanf(req, "GET %255s ", path) != 1)
		strcpy(path, "?");
	blen = (int)strlen(path) + 1;
	n = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\n"
	    "Content-Length: %d\r\n%s\r\n%s\n", blen, extra, path);
	return put(fd, head, (size_t)n);
}

/*
 * redirect-close: answer /hopN with a redirect to /hop(N+1) up to /hop5,
 * /loop with a redirect to itself, anything else with its path; then
 * close without having said Connection: close (HTTP/1.1 allows it).
 */
static void
redirect_close(int fd, const char *req)
{
	char path[256], head[512];
	int n;

	if (sscanf(req, "GET %255s ", path) != 1)
		strcpy(path, "?");
	if (strncmp(path, "/hop", 4) == 0 && atoi(path + 4) < 5)
		n = snprintf(head, sizeof(head), "HTTP/1.1 302 Found\r\n"
		    "Location: /hop%d\r\nContent-Length: 0\r\n\r\n",
		    atoi(path + 4) + 1);
	else if (strcmp(path, "/loop") == 0)
		n = snprintf(head, sizeof(head), "HTTP/1.1 302 Found\r\n"
		    "Location: /loop\r\nContent-Length: 0\r\n\r\n");
	else {
		answer_path(fd, req, "");
		return;
	}
	put(fd, head, (size_t)n);
}

static void
serve(int fd, const char *mode)
{
	static int served;	/* connections before this one */
	char req[REQ_MAX], buf[65536];
	struct linger lg = { 1, 0 };
	size_t len;
	int i;

	if ((len = read_request(fd, req, sizeof(req))) == 0)
		return;
	if (strcmp(mode, "send") == 0)
		send_file(fd);
	else if (strcmp(mode, "hold") == 0) {
		send_file(fd);
		hold(fd);
	} else if (strcmp(mode, "truncated") == 0) {
		puts_fd(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
		    "only fifty bytes of the hundred promised, then EOF\n");
	} else if (strcmp(mode, "garbage") == 0) {
		puts_fd(fd, "220 smtp.example ESMTP ready\r\n");
		hold(fd);
	} else if (strcmp(mode, "endless") == 0) {
		puts_fd(fd, "HTTP/1.1 200 OK\r\n");
		memset(buf, 'a', sizeof(buf));
		for (i = 0; i < 100000; i++)
			if (puts_fd(fd, "X-Filler: ") == -1 ||
			    put(fd, buf, 1000) == -1 ||
			    puts_fd(fd, "\r\n") == -1)
				break;
	} else if (strcmp(mode, "trickle") == 0) {
		puts_fd(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
		for (i = 0; i < 1000; i++) {
			if (put(fd, "x", 1) == -1)
				break;
			sleep_ms(interval_ms);
		}
	} else if (strcmp(mode, "reset") == 0) {
		puts_fd(fd, "HTTP/1.1 200 OK\r\n"
		    "Content-Length: 1000000\r\n\r\n");
		memset(buf, 'r', sizeof(buf));
		put(fd, buf, sizeof(buf));
		sleep_ms(200);
		/* Linger 0: close() sends RST instead of FIN. */
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	} else if (strcmp(mode, "bad-chunk") == 0) {
		puts_fd(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
		    "\r\n5\r\nhello\r\nzz\r\nworld\r\n0\r\n\r\n");
		hold(fd);
	} else if (strcmp(mode, "chunk-overflow") == 0) {
		puts_fd(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
		    "\r\n10000000000000000\r\nxyz\r\n");
		hold(fd);
	} else if (strcmp(mode, "close-early") == 0) {
		/*
		 * Promise keep-alive, answer one request, then close on the
		 * next one unanswered, as servers with an idle limit do.
		 */
		answer_path(fd, req, "Connection: keep-alive\r\n");
		read_request(fd, req, sizeof(req));
	} else if (strcmp(mode, "redirect-close") == 0) {
		redirect_close(fd, req);
	} else if (strcmp(mode, "flaky") == 0) {
		/* Busy for the first two connections, then fine. */
		if (served++ < 2)
			puts_fd(fd, "HTTP/1.1 503 Busy\r\nRetry-After: 0\r\n"
			    "Connection: close\r\nContent-Length: 5\r\n"
			    "\r\nbusy\n");
		else
			puts_fd(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n"
			    "Content-Length: 3\r\n\r\nok\n");
	} else if (strcmp(mode, "echo") == 0) {
		/* Keep-alive: every request comes back as its body. */
		do {
			snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\n"
			    "Content-Length: %zu\r\n\r\n", len);
			if (puts_fd(fd, buf) == -1 || put(fd, req, len) == -1)
				break;
		} while ((len = read_request(fd, req, sizeof(req))) > 0);
	} else
		usage();
}

int
main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t slen = sizeof(ss);
	const char *portfile = NULL, *mode, *addr = "127.0.0.1";
	long port = 0;
	char tmp[4096];
	long conns = 100, secs = 30;
	int ch, s, fd, one = 1, blackhole;
	FILE *fp;

	while ((ch = getopt(argc, argv, "a:c:f:i:l:P:p:t:")) != -1) {
		switch (ch) {
		case 'a':
			addr = optarg;
			break;
		case 'P':
			port = strtol(optarg, NULL, 10);
			break;
		case 'c':
			conns = strtol(optarg, NULL, 10);
			break;
		case 'f':
			file = optarg;
			break;
		case 'i':
			interval_ms = (int)strtol(optarg, NULL, 10);
			break;
		case 'l':
			logpath = optarg;
			break;
		case 'p':
			portfile = optarg;
			break;
		case 't':
			secs = strtol(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (optind + 1 != argc || conns < 1 || secs < 1 || interval_ms < 0)
		usage();
	mode = argv[optind];
	signal(SIGPIPE, SIG_IGN);
	alarm((unsigned)secs);

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
	} else
		errx(2, "%s: not an address", addr);
	if ((s = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	blackhole = strcmp(mode, "blackhole") == 0;
	if (bind(s, (struct sockaddr *)&ss, slen) == -1 ||
	    listen(s, blackhole ? 0 : 128) == -1 ||
	    getsockname(s, (struct sockaddr *)&ss, &slen) == -1)
		err(1, "listen");
	/* sin_port and sin6_port are at the same place. */
	if (portfile != NULL) {
		snprintf(tmp, sizeof(tmp), "%s.tmp", portfile);
		if ((fp = fopen(tmp, "w")) == NULL)
			err(1, "%s", tmp);
		fprintf(fp, "%d\n", ntohs(sin->sin_port));
		if (fclose(fp) != 0 || rename(tmp, portfile) == -1)
			err(1, "%s", portfile);
	} else {
		printf("%d\n", ntohs(sin->sin_port));
		fflush(stdout);
	}

	if (blackhole) {
		/*
		 * Fill the accept queue and never accept: the kernel drops
		 * further SYNs, so clients' connects hang until they give up.
		 */
		if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) == -1 ||
		    connect(fd, (struct sockaddr *)&ss, slen) == -1)
			err(1, "blackhole");
		for (;;)
			pause();
	}
	while (conns-- > 0) {
		if ((fd = accept4(s, NULL, NULL, SOCK_CLOEXEC)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			err(1, "accept");
		}
		serve(fd, mode);
		close(fd);
	}
	close(s);
	return 0;
}
