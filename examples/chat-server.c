/*
 * chat-server.c: a line-based chat room on async_chat.
 *
 * Shows: async_chat channels splitting input on a "\n" terminator
 * (collect_incoming_data / found_terminator), push() to queue output to
 * every other member, and the closed hook freeing per-client state.  A
 * line longer than the input limit closes that client only.
 *
 *   cc chat-server.c $(pkg-config --cflags --libs libacore) -o chat-server
 *   ./chat-server 7000 &   nc 127.0.0.1 7000   (in several terminals)
 */
#include <acore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_LINE	4096

struct member {
	struct acore_dispatcher	*d;
	struct member		*next;
	char			 name[64];	/* ('127.0.0.1', 50000) */
	char			 line[MAX_LINE];
	size_t			 len;
};

static struct member *members;

static void
broadcast(struct member *from, const char *text, size_t len)
{
	struct member *m;

	for (m = members; m != NULL; m = m->next) {
		if (m == from)
			continue;
		acore_chat_push(m->d, from->name, strlen(from->name));
		acore_chat_push(m->d, ": ", 2);
		acore_chat_push(m->d, text, len);
		acore_chat_push(m->d, "\n", 1);
	}
}

static void
collect(struct acore_dispatcher *d, const void *data, size_t len, void *arg)
{
	struct member *m = arg;

	(void)d;
	if (len > sizeof(m->line) - m->len)
		len = sizeof(m->line) - m->len;	/* the input limit ends it */
	memcpy(m->line + m->len, data, len);
	m->len += len;
}

static void
found(struct acore_dispatcher *d, void *arg)
{
	struct member *m = arg;

	(void)d;
	if (m->len > 0 && m->line[m->len - 1] == '\r')
		m->len--;
	broadcast(m, m->line, m->len);
	m->len = 0;
}

static void
member_closed(void *arg)
{
	struct member *m = arg, **pp;

	for (pp = &members; *pp != NULL; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	free(m);
}

static const struct acore_ops member_ops = {
	.name = "ChatMember",
	.collect_incoming_data = collect,
	.found_terminator = found,
	.closed = member_closed,
};

static void
accepted(struct acore_dispatcher *srv, int fd, const struct sockaddr *sa,
    socklen_t len, void *arg)
{
	struct member *m;

	(void)arg;
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->d = acore_chat_new(acore_loop_of(srv), &member_ops, m)) ==
	    NULL) {
		free(m);
		close(fd);
		return;
	}
	acore_format_addr(sa, len, m->name, sizeof(m->name));
	m->next = members;
	members = m;
	acore_chat_set_terminator(m->d, "\n", 1);
	acore_chat_set_max_input(m->d, MAX_LINE);
	if (acore_set_socket(m->d, fd) < 0)
		acore_close(m->d);	/* member_closed frees m */
}

static const struct acore_ops server_ops = {
	.name = "ChatServer",
	.handle_accepted = accepted,
};

int
main(int argc, char **argv)
{
	struct acore_dispatcher *srv;
	struct acore_loop *loop;
	int rc;

	if ((loop = acore_loop_new()) == NULL ||
	    (srv = acore_dispatcher_new(loop, &server_ops, NULL)) == NULL)
		return 1;
	/* socket, SO_REUSEADDR, bind and listen, as the Python servers do. */
	if ((rc = acore_listen_host(srv, "127.0.0.1", argc > 1 ? argv[1] :
	    "7000", AF_INET, 16)) < 0) {
		fprintf(stderr, "chat-server: %s\n", acore_strerror(rc));
		acore_loop_free(loop);
		return 1;
	}
	acore_loop_run(loop, -1, 0);
	acore_loop_free(loop);
	return 0;
}
