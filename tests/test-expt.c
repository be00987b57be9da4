/*
 * test-expt.c: urgent data reaching handle_expt over IPv4 and IPv6 in
 * select and poll mode (CPython 3.11's test_handle_expt), and asyncore's
 * defaults on request (test_basic, test_unhandled).
 */
#include "config.h"

#include <dirent.h>

#include "loop-helper.h"

/* ------------------------------------------------- 2. handle_expt */

struct expt_state {
	int	expts;
	int	closes;
	int	reason;
	int	byte;
};

static void
expt_hook(struct acore_dispatcher *d, void *arg)
{
	struct expt_state *s = arg;
	unsigned char c;

	s->expts++;
	if (recv(acore_fd(d), &c, 1, MSG_OOB) == 1)
		s->byte = c;
}

static void
expt_close(struct acore_dispatcher *d, void *arg)
{
	struct expt_state *s = arg;

	s->closes++;
	s->reason = acore_close_reason(d);
	acore_close(d);
}

/* test_handle_expt: urgent data reaches handle_expt. */
static void
expt_case(int family, int use_poll, int reset)
{
	static const struct acore_ops client = { .name = "client",
	    .handle_connect = nothing, .handle_expt = expt_hook,
	    .handle_close = expt_close };
	const char *fam = family == AF_INET ? "IPv4" : "IPv6";
	const char *mode = use_poll ? "poll" : "select";
	struct expt_state st = { 0, 0, 0, -1 };
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *d;
	struct sockaddr_storage ss;
	struct linger lg = { 1, 0 };
	unsigned char oob = 244;
	socklen_t len;
	int lfd, sfd, n;

	if ((lfd = listener(family, &ss, &len)) < 0) {
		ok(1, "# SKIP no %s loopback", fam);
		ok(1, "# SKIP no %s loopback", fam);
		acore_loop_free(loop);
		return;
	}
	acore_loop_use_poll(loop, use_poll);
	d = acore_dispatcher_new(loop, &client, &st);
	acore_create_socket(d, family, SOCK_STREAM);
	acore_connect(d, (struct sockaddr *)&ss, len);
	sfd = accept(lfd, NULL, NULL);
	close(lfd);
	/* Connected first, so the reset cannot end the connect instead. */
	for (n = 0; n < 500 && !(acore_flags(d) & ACORE_CONNECTED); n++)
		acore_loop_run(loop, 0.01, 1);
	send(sfd, &oob, 1, MSG_OOB);
	if (reset) {
		/* Urgent data, then a reset: SO_ERROR is set when expt runs. */
		setsockopt(sfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(sfd);
		sfd = -1;
		wait_fd(acore_fd(d), POLLERR);
	}
	for (n = 0; n < 500 && st.expts == 0 && st.closes == 0; n++)
		acore_loop_run(loop, 0.01, 1);
	if (!reset) {
		ok(st.expts == 1 && st.byte == 244 && st.closes == 0,
		    "%s %s: urgent data reaches handle_expt (%d calls, "
		    "byte %d)", fam, mode, st.expts, st.byte);
		/* Read once, the urgent mark is gone: no second call. */
		acore_loop_run(loop, 0.05, 1);
		is_int(st.expts, 1, "%s %s: handle_expt once per urgent byte",
		    fam, mode);
	} else {
		ok(st.closes == 1 && st.expts == 0 && st.reason == -ECONNRESET,
		    "%s %s: urgent data with SO_ERROR set gives handle_close "
		    "(closes %d, expts %d, reason %d)", fam, mode, st.closes,
		    st.expts, st.reason);
		is_int(acore_loop_size(loop), 0, "%s %s: channel closed", fam,
		    mode);
	}
	if (sfd >= 0)
		close(sfd);
	acore_loop_free(loop);
}

static int
count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (dir == NULL)
		return -1;
	while ((e = readdir(dir)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(dir);
	return n - 1;	/* the DIR's own descriptor */
}

static void
test_expt(void)
{
	static const struct acore_ops plain = { .name = "plain",
	    .handle_read = rec_read };
	struct acore_loop *loop;
	struct acore_dispatcher *d;
	struct sockaddr_storage ss;
	unsigned char oob = 1;
	socklen_t len;
	int lfd, sfd, base;

	guard("handle_expt", 30);
	expt_case(AF_INET, 0, 0);
	expt_case(AF_INET, 1, 0);
	expt_case(AF_INET6, 0, 0);
	expt_case(AF_INET6, 1, 0);
	expt_case(AF_INET, 0, 1);
	expt_case(AF_INET, 1, 1);
	expt_case(AF_INET6, 0, 1);

	/* Without the hook nothing is added: no descriptor, no wake-up. */
	loop = acore_loop_new();
	if ((lfd = listener(AF_INET, &ss, &len)) < 0)
		bail_out("cannot listen on 127.0.0.1:0");
	d = acore_dispatcher_new(loop, &plain, NULL);
	acore_create_socket(d, AF_INET, SOCK_STREAM);
	acore_connect(d, (struct sockaddr *)&ss, len);
	sfd = accept(lfd, NULL, NULL);
	acore_loop_run(loop, 0.05, 1);	/* the connect event */
	base = count_fds();
	send(sfd, &oob, 1, MSG_OOB);
	trace[0] = '\0';
	acore_loop_run(loop, 0.05, 2);
	is_str(trace, "", "no hook: urgent data wakes nothing");
	is_int(count_fds(), base, "no hook: the loop opened no epoll set");
	close(sfd);
	close(lfd);
	acore_loop_free(loop);
	alarm(0);
}

static int nexpt;

static void
count_expt(struct acore_dispatcher *d, void *arg)
{
	(void)d;
	(void)arg;
	nexpt++;
}

/*
 * More channels with urgent data than one drain takes (64), none of them
 * consuming it: one pass serves each once and returns.
 */
static void
test_expt_many(void)
{
	static const struct acore_ops ops = { .handle_connect = nothing,
	    .handle_expt = count_expt };
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *d[80];
	struct sockaddr_storage ss;
	unsigned char oob = 1;
	socklen_t len;
	int lfd, sfd[80], i, n;

	guard("many urgent", 20);
	if ((lfd = listener(AF_INET, &ss, &len)) < 0)
		bail_out("cannot listen on 127.0.0.1:0");
	listen(lfd, 128);
	for (i = 0; i < 80; i++) {
		d[i] = acore_dispatcher_new(loop, &ops, NULL);
		acore_create_socket(d[i], AF_INET, SOCK_STREAM);
		acore_connect(d[i], (struct sockaddr *)&ss, len);
		sfd[i] = accept(lfd, NULL, NULL);
	}
	for (n = 0; n < 100; n++) {
		for (i = 0; i < 80; i++)
			if (!(acore_flags(d[i]) & ACORE_CONNECTED))
				break;
		if (i == 80)
			break;
		acore_loop_run(loop, 0.05, 1);
	}
	for (i = 0; i < 80; i++) {
		send(sfd[i], &oob, 1, MSG_OOB);
		wait_fd(acore_fd(d[i]), POLLPRI);
	}
	nexpt = 0;
	is_int(acore_loop_run(loop, 1.0, 1), 1,
	    "80 channels with urgent data: one pass returns");
	is_int(nexpt, 80, "...having called each handle_expt once");
	for (i = 0; i < 80; i++)
		close(sfd[i]);
	close(lfd);
	acore_loop_free(loop);
	alarm(0);
}

/* ------------------------------------------- 5. asyncore's defaults */

static char logbuf[4096];

static void
sink(int level, const char *name, const char *msg, size_t len)
{
	size_t n = strlen(logbuf);

	snprintf(logbuf + n, sizeof(logbuf) - n, "%s %s: %.*s\n",
	    level == ACORE_LOG_WARN ? "warning" : "other", name, (int)len,
	    msg);
}

static void
test_defaults(void)
{
	static const struct acore_ops bare = { .name = "bare",
	    .flags = ACORE_OPS_ASYNCORE };
	static const struct acore_ops idle = { .name = "idle" };
	struct acore_loop *loop = acore_loop_new();
	struct acore_dispatcher *d, *l;
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned char oob = 1;
	char buf[8];
	int sv[2], lfd, sfd, cfd;
	double t0;

	guard("asyncore defaults", 20);
	acore_set_log(sink);
	/* test_basic: readable and writable; without the flag, neither. */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	d = acore_dispatcher_new(loop, &idle, NULL);
	acore_set_socket(d, sv[0]);
	write(sv[1], "x", 1);
	logbuf[0] = '\0';
	acore_loop_run(loop, 0.05, 1);
	is_str(logbuf, "", "idle-free default: a bare channel is not watched");
	acore_close(d);
	close(sv[1]);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	d = acore_dispatcher_new(loop, &bare, NULL);
	acore_set_socket(d, sv[0]);
	logbuf[0] = '\0';
	acore_loop_run(loop, 1.0, 1);
	is_str(logbuf, "warning bare: unhandled write event\n",
	    "ACORE_OPS_ASYNCORE: a bare channel is writable");
	write(sv[1], "x", 1);
	logbuf[0] = '\0';
	acore_loop_run(loop, 1.0, 1);
	is_str(logbuf, "warning bare: unhandled read event\n"
	    "warning bare: unhandled write event\n",
	    "...and readable: both default handlers log, reads first");
	acore_close(d);
	close(sv[1]);

	/* dispatcher_with_send.writable(): (not connected) or out_buffer */
	d = acore_dispatcher_with_send_new(loop, &bare, NULL);
	acore_create_socket(d, AF_INET, SOCK_STREAM);
	t0 = acore_now();
	acore_loop_run(loop, 5.0, 1);
	ok(acore_now() - t0 < 2.5, "with-send, not connected: writable, the pass "
	    "does not sleep (%.2f s)", acore_now() - t0);
	acore_close(d);

	/* test_unhandled: connect, write, urgent data, close, accepted. */
	if ((lfd = listener(AF_INET, &ss, &len)) < 0)
		bail_out("cannot listen on 127.0.0.1:0");
	d = acore_dispatcher_new(loop, &bare, NULL);
	acore_create_socket(d, AF_INET, SOCK_STREAM);
	acore_connect(d, (struct sockaddr *)&ss, len);
	sfd = accept(lfd, NULL, NULL);
	logbuf[0] = '\0';
	acore_loop_run(loop, 1.0, 1);
	is_str(logbuf, "warning bare: unhandled connect event\n"
	    "warning bare: unhandled write event\n",
	    "first event: unhandled connect event, then the write event");
	send(sfd, &oob, 1, MSG_OOB);
	wait_fd(acore_fd(d), POLLPRI);
	logbuf[0] = '\0';
	acore_loop_run(loop, 1.0, 1);
	is_str(logbuf, "warning bare: unhandled write event\n"
	    "warning bare: unhandled incoming priority event\n",
	    "urgent data: unhandled incoming priority event, after the writes");
	acore_close(d);
	close(sfd);

	/* The default handle_accepted closes the socket and says so. */
	l = acore_dispatcher_new(loop, &bare, NULL);
	acore_set_name(l, "server");
	acore_set_socket(l, lfd);
	acore_listen(l, 5);
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	connect(cfd, (struct sockaddr *)&ss, len);
	logbuf[0] = '\0';
	acore_loop_run(loop, 1.0, 1);
	is_str(logbuf, "warning server: unhandled accepted event\n",
	    "listener: unhandled accepted event (never a write event)");
	is_int(read(cfd, buf, sizeof(buf)), 0, "...and the connection is closed");
	close(cfd);
	acore_close(l);

	/* The default handle_close logs and closes. */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	d = acore_dispatcher_new(loop, &bare, NULL);
	acore_set_socket(d, sv[0]);
	close(sv[1]);
	logbuf[0] = '\0';
	acore_recv(d, buf, sizeof(buf));
	is_str(logbuf, "warning bare: unhandled close event\n",
	    "end of stream: unhandled close event");
	is_int(acore_loop_size(loop), 0, "...and the default closes");
	acore_set_log(NULL);
	acore_loop_free(loop);
	alarm(0);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	test_expt();
	test_expt_many();
	test_defaults();
	tap_plan_done();
	return tap_exit();
}
