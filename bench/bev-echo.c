/*
 * bev-echo.c: the textbook libevent echo server (evconnlistener plus one
 * bufferevent per client), the baseline for "just use bufferevents".
 * Stops reading a client whose output passes 1 MiB, as acore does.
 *
 * usage: bev-echo PORT_FILE [BACKLOG]
 * Binds 127.0.0.1:0 and writes the port to PORT_FILE.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#define HIGH_WATER	(1024 * 1024)

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *out = bufferevent_get_output(bev);

	(void)arg;
	evbuffer_add_buffer(out, bufferevent_get_input(bev));
	if (evbuffer_get_length(out) > HIGH_WATER) {
		bufferevent_disable(bev, EV_READ);
		bufferevent_setwatermark(bev, EV_WRITE, HIGH_WATER / 2, 0);
	}
}

/* Runs once the output is below the write low-water mark. */
static void
on_write(struct bufferevent *bev, void *arg)
{
	(void)arg;
	if (!(bufferevent_get_enabled(bev) & EV_READ)) {
		bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
		bufferevent_enable(bev, EV_READ);
	}
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		bufferevent_free(bev);
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int len, void *arg)
{
	struct bufferevent *bev;

	(void)l;
	(void)sa;
	(void)len;
	bev = bufferevent_socket_new(arg, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		evutil_closesocket(fd);
		return;
	}
	bufferevent_setcb(bev, on_read, on_write, on_event, NULL);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

int
main(int argc, char **argv)
{
	struct event_base *base;
	struct evconnlistener *l;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	FILE *fp;

	if (argc < 2)
		errx(2, "usage: bev-echo PORT_FILE [BACKLOG]");
	signal(SIGPIPE, SIG_IGN);
	if ((base = event_base_new()) == NULL)
		errx(1, "event_base_new");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = evconnlistener_new_bind(base, on_accept, base,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
	    argc > 2 ? atoi(argv[2]) : 128, (struct sockaddr *)&sin,
	    sizeof(sin));
	if (l == NULL)
		err(1, "listen");
	if (getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&sin,
	    &sl) == -1)
		err(1, "getsockname");
	if ((fp = fopen(argv[1], "w")) == NULL)
		err(1, "%s", argv[1]);
	fprintf(fp, "%d\n", ntohs(sin.sin_port));
	fclose(fp);
	event_base_dispatch(base);
	return 1;
}
