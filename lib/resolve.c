/*
 * resolve.c: name lookups that do not block the loop (libevent's evdns),
 * and connecting by name, trying each address in turn.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netdb.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/util.h>

#include "acore-internal.h"

struct acore_resolve {
	struct evdns_getaddrinfo_request *req;
	void	(*cb)(int, const struct addrinfo *, void *);
	void	*arg;
	int	 done;		/* cb ran inside evdns_getaddrinfo() */
	int	 in_call;
};

/* acore_connect_host's state, hanging off the dispatcher until connected. */
struct acore_connect {
	struct acore_resolve	*res;
	struct addrinfo		*list;	/* our own copy */
	struct addrinfo		*next;	/* next address to try */
	int			 in_call; /* inside acore_connect_host() */
	int			 sync_err; /* its immediate failure */
};

static int
eai_to_err(int eai)
{
	if (eai == EVUTIL_EAI_CANCEL)
		return -ECANCELED;
	if (eai == EVUTIL_EAI_SYSTEM)
		return -errno;
	if (eai == EVUTIL_EAI_MEMORY)
		return -ENOMEM;
	return ACORE_EAI(eai);
}

static void
resolve_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct acore_resolve *r = arg;
	int in_call = r->in_call;

	/*
	 * evdns answers a name in its hosts file that has no address of the
	 * family asked for (-6 localhost, only 127.0.0.1 listed) with success
	 * and no address: that is getaddrinfo's "not known".
	 */
	if (result == 0 && res == NULL)
		r->cb(ACORE_EAI(EAI_NONAME), NULL, r->arg);
	else
		r->cb(result == 0 ? 0 : eai_to_err(result), res, r->arg);
	if (res != NULL)
		evutil_freeaddrinfo(res);
	if (in_call)
		r->done = 1;	/* acore_resolve() frees it on return */
	else
		free(r);
}

static struct evdns_base *
dns_of(struct acore_loop *loop)
{
	if (loop->dns == NULL)
		loop->dns = evdns_base_new(loop->base,
		    EVDNS_BASE_INITIALIZE_NAMESERVERS |
		    EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	/* No resolv.conf is not fatal: /etc/hosts and literals still work. */
	if (loop->dns == NULL)
		loop->dns = evdns_base_new(loop->base,
		    EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	return loop->dns;
}

/*
 * A numeric host needs no resolver: parse it here, so connecting,
 * listening and acore_resolve() read addresses alike, and a literal never
 * touches evdns (nor its process-wide state).  "[v6]", the URL form, is a
 * literal too.  NULL with passive is the wildcard.  0 with *res set (free
 * it with freeaddrinfo), 1 when host is a name, or an ACORE_EAI_* error.
 */
int
acore__numeric_addr(const char *host, const char *port, int family,
    int passive, struct addrinfo **res)
{
	struct addrinfo hints;
	char lit[64];
	size_t n;
	int rc, bracketed = 0;

	if (host != NULL && host[0] == '[') {
		n = strlen(host);
		if (n < 3 || host[n - 1] != ']' || n - 2 >= sizeof(lit))
			return ACORE_EAI(EAI_NONAME);
		memcpy(lit, host + 1, n - 2);
		lit[n - 2] = '\0';
		host = lit;
		bracketed = 1;
		if (family == AF_UNSPEC)
			family = AF_INET6;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV |
	    (passive ? AI_PASSIVE : 0);
	if ((rc = getaddrinfo(host, port, &hints, res)) == 0)
		return 0;
	/* A bracketed name, or a family mismatch, is no name to look up. */
	if (rc == EAI_NONAME && !bracketed && host != NULL)
		return 1;
	return rc == EAI_SYSTEM ? -errno : ACORE_EAI(rc);
}

struct acore_resolve *
acore_resolve(struct acore_loop *loop, const char *host, const char *port,
    int family, void (*cb)(int, const struct addrinfo *, void *), void *arg)
{
	struct evutil_addrinfo hints;
	struct acore_resolve *r;
	struct evdns_base *dns;
	struct addrinfo *res;
	int rc;

	if ((rc = acore__numeric_addr(host, port, family, 0, &res)) != 1) {
		cb(rc, rc == 0 ? res : NULL, arg);
		if (rc == 0)
			freeaddrinfo(res);
		return NULL;
	}
	if ((loop = acore__loop(loop)) == NULL ||
	    (r = calloc(1, sizeof(*r))) == NULL) {
		cb(-ENOMEM, NULL, arg);
		return NULL;
	}
	if ((dns = dns_of(loop)) == NULL) {
		free(r);
		cb(-ENOMEM, NULL, arg);
		return NULL;
	}
	r->cb = cb;
	r->arg = arg;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	/*
	 * No AI_ADDRCONFIG: on a host without an IPv6 route it hides ::1
	 * too, and loopback is where a netcat user often wants it.
	 */
	r->in_call = 1;
	r->req = evdns_getaddrinfo(dns, host, port, &hints, resolve_cb, r);
	r->in_call = 0;
	if (r->done) {
		free(r);
		return NULL;
	}
	return r;
}

void
acore_resolve_cancel(struct acore_resolve *r)
{
	if (r != NULL && r->req != NULL)
		evdns_getaddrinfo_cancel(r->req);
}

/* --------------------------------------------------------- connect by name */

static struct addrinfo *
copy_list(const struct addrinfo *res)
{
	struct addrinfo *head = NULL, **tail = &head, *ai;

	for (; res != NULL; res = res->ai_next) {
		if ((ai = calloc(1, sizeof(*ai) + res->ai_addrlen)) == NULL)
			break;
		ai->ai_family = res->ai_family;
		ai->ai_socktype = res->ai_socktype;
		ai->ai_protocol = res->ai_protocol;
		ai->ai_addrlen = res->ai_addrlen;
		ai->ai_addr = (struct sockaddr *)(ai + 1);
		memcpy(ai->ai_addr, res->ai_addr, res->ai_addrlen);
		*tail = ai;
		tail = &ai->ai_next;
	}
	return head;
}

static void
free_list(struct addrinfo *ai)
{
	struct addrinfo *next;

	for (; ai != NULL; ai = next) {
		next = ai->ai_next;
		free(ai);
	}
}

void
acore__connect_free(struct acore_dispatcher *d)
{
	struct acore_connect *c = acore__conn(d);

	if (c == NULL)
		return;
	d->x->conn = NULL;
	if (c->res != NULL)
		acore_resolve_cancel(c->res);	/* its cb sees conn gone */
	free_list(c->list);
	free(c);
}

/*
 * Try the next address after err (0: the first).  Returns 0 while a
 * connect is under way, or the error to report when none is left.
 */
int
acore__connect_next(struct acore_dispatcher *d, int err)
{
	struct acore_connect *c = acore__conn(d);
	struct addrinfo *ai;
	int rc;

	acore__detach_fd(d);
	d->flags &= (uint8_t)~(ACORE_CONNECTING | ACORE_CONNECTED);
	acore__set_stage(d, ACORE_STAGE_CONNECT);
	while (c != NULL && (ai = c->next) != NULL) {
		c->next = ai->ai_next;
		if ((rc = acore_create_socket(d, ai->ai_family,
		    ai->ai_socktype)) < 0 ||
		    (rc = acore_connect(d, ai->ai_addr, ai->ai_addrlen)) < 0) {
			acore__detach_fd(d);
			err = rc;
			continue;
		}
		return 0;
	}
	return err != 0 ? err : -EHOSTUNREACH;
}

/*
 * gcc 12 -fanalyzer loses the nodes copy_list() links past the second and
 * reports them leaked; c->list owns them all (acore__connect_free).
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif
static void
host_resolved(int err, const struct addrinfo *res, void *arg)
{
	struct acore_dispatcher *d = arg;
	struct acore_connect *c = acore__conn(d);

	if (err == -ECANCELED || c == NULL)
		return;		/* the channel closed or connected meanwhile */
	c->res = NULL;
	if (err == 0) {
		c->list = c->next = copy_list(res);
		err = acore__connect_next(d, 0);
		if (err == 0)
			return;
	}
	if (c->in_call) {
		/* Answered at once: the caller gets the error directly. */
		c->sync_err = err;
		return;
	}
	acore__connect_free(d);
	acore__handle_error(d, err);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

int
acore_connect_host(struct acore_dispatcher *d, const char *host,
    const char *port, int family)
{
	struct acore_connect *c;
	int err;

	struct sockaddr_un sun;

	if (d->flags & ACORE_CLOSED)
		return -EBADF;
	if (d->fd >= 0 || acore__conn(d) != NULL)
		return -EALREADY;
	if (family == AF_UNIX) {
		/* A path: no lookup; a failure is connect(2)'s, at once. */
		if ((err = acore__unix_addr(host, &sun)) < 0 ||
		    (err = acore_create_socket(d, AF_UNIX, SOCK_STREAM)) < 0)
			return err;
		if ((err = acore_connect(d, (struct sockaddr *)&sun,
		    sizeof(sun))) < 0)
			acore__detach_fd(d);
		return err;
	}
	if (acore__rare(d) == NULL || (c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	d->x->conn = c;
	d->x->stage = ACORE_STAGE_RESOLVE;
	d->flags |= ACORE_CONNECTING;
	c->in_call = 1;
	c->res = acore_resolve(d->loop, host, port, family, host_resolved, d);
	c->in_call = 0;
	if ((err = c->sync_err) != 0) {
		/* Like connect(2) failing at once: raised to the caller. */
		acore__connect_free(d);
		d->flags &= (uint8_t)~ACORE_CONNECTING;
		return err;
	}
	return 0;
}
