/*
 * forward.c: a TCP port forwarder on libacore.
 *
 * Shows: two with-send channels per connection, one accepted and one
 * connected by name (acore_connect_host), relaying each other's input;
 * bytes read before the outgoing connect completes wait in its queue; a
 * readable hook that stops reading while the other side's queue is full;
 * and the half-close passed on: an end of input on one side becomes
 * acore_shutdown_when_done() on the other, which still reads, so
 * `nc -N` and `tar | ssh`-style one-way ends work through it.  A side is
 * closed once both directions are done; a reset or error closes both.
 *
 *   cc forward.c $(pkg-config --cflags --libs libacore) -o forward
 *   ./forward 9000 127.0.0.1 8080 &   echo hello | nc -N 127.0.0.1 9000
 */
#include <acore.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define HIGH	(256 * 1024)	/* stop reading while the other queues more */

struct side {
	struct acore_dispatcher	*d;	/* NULL once closed */
	struct side		*other;
	struct pair		*pair;
	int			 in_done;	/* our peer ended its output */
	int			 out_done;	/* we asked for our shutdown */
};

struct pair {
	struct side	 s[2];
	int		 refs;
};

static const char *to_host, *to_port;

static void
side_close(struct side *s)
{
	if (s->d != NULL)
		acore_close(s->d);
}

/* Both directions done and our queue sent: nothing more to do here. */
static void
side_check(struct side *s)
{
	if (s->in_done && s->out_done && s->d != NULL &&
	    acore_pending(s->d) == 0)
		acore_close(s->d);
}

static int
side_readable(struct acore_dispatcher *d, void *arg)
{
	struct side *s = arg;

	(void)d;
	return !s->in_done && (s->other->d == NULL ||
	    acore_pending(s->other->d) < HIGH);
}

static void
side_read(struct acore_dispatcher *d, void *arg)
{
	struct side *s = arg;
	char buf[65536];
	ssize_t n;

	if ((n = acore_recv(d, buf, sizeof(buf))) > 0 && s->other->d != NULL)
		(void)acore_send(s->other->d, buf, (size_t)n);
}

static void
side_write(struct acore_dispatcher *d, void *arg)
{
	(void)d;
	side_check(arg);
}

/* End of input (reason 0): pass the half-close on.  A reset: close both. */
static void
side_end(struct acore_dispatcher *d, void *arg)
{
	struct side *s = arg, *o = s->other;

	if (acore_close_reason(d) != 0 || o->d == NULL) {
		side_close(o);
		side_close(s);
		return;
	}
	s->in_done = 1;
	o->out_done = 1;
	if (acore_shutdown_when_done(o->d) < 0)
		return;		/* its hook has run */
	side_check(o);
	side_check(s);
}

static void
side_error(struct acore_dispatcher *d, int err, void *arg)
{
	struct side *s = arg;

	fprintf(stderr, "forward: %s: %s\n", acore_name(d),
	    acore_strerror(err));
	side_close(s->other);
	side_close(s);
}

static void
side_closed(void *arg)
{
	struct side *s = arg;

	s->d = NULL;
	if (--s->pair->refs == 0)
		free(s->pair);
}

static const struct acore_ops side_ops = {
	.name = "forward",
	.readable = side_readable,
	.handle_read = side_read,
	.handle_write = side_write,
	.handle_close = side_end,
	.handle_error = side_error,
	.closed = side_closed,
};

static void
accepted(struct acore_dispatcher *srv, int fd, const struct sockaddr *sa,
    socklen_t len, void *arg)
{
	struct acore_loop *loop = acore_loop_of(srv);
	struct pair *p;
	int i;

	(void)sa;
	(void)len;
	(void)arg;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		close(fd);
		return;
	}
	for (i = 0; i < 2; i++) {
		p->s[i].pair = p;
		p->s[i].other = &p->s[1 - i];
		if ((p->s[i].d = acore_dispatcher_with_send_new(loop,
		    &side_ops, &p->s[i])) != NULL)
			p->refs++;
	}
	if (p->s[0].d == NULL || p->s[1].d == NULL) {
		close(fd);
		side_close(&p->s[0]);
		side_close(&p->s[1]);
		return;
	}
	if (acore_set_socket(p->s[0].d, fd) < 0 || acore_connect_host(
	    p->s[1].d, to_host, to_port, AF_UNSPEC) < 0) {
		side_close(&p->s[0]);
		side_close(&p->s[1]);
	}
}

static const struct acore_ops server_ops = {
	.name = "forward-listener",
	.handle_accepted = accepted,
};

int
main(int argc, char **argv)
{
	struct acore_dispatcher *srv;
	struct acore_loop *loop;
	int rc;

	if (argc != 4) {
		fprintf(stderr, "usage: forward LISTEN-PORT HOST PORT\n");
		return 2;
	}
	to_host = argv[2];
	to_port = argv[3];
	if ((loop = acore_loop_new()) == NULL ||
	    (srv = acore_dispatcher_new(loop, &server_ops, NULL)) == NULL)
		return 1;
	if ((rc = acore_listen_host(srv, "127.0.0.1", argv[1], AF_INET,
	    16)) < 0) {
		fprintf(stderr, "forward: %s\n", acore_strerror(rc));
		acore_loop_free(loop);
		return 1;
	}
	acore_loop_run(loop, -1, 0);
	acore_loop_free(loop);
	return 0;
}
