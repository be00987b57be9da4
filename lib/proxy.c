/*
 * proxy.c: a tunnel through a proxy as a transport layer.
 *
 * acore_connect_proxy() puts a tunnel layer right above the socket (under
 * a TLS layer, if the channel has one) and connects to the proxy by name.
 * Once the socket is connected, the tunnel's handshake slot runs the
 * proxy's dialogue (proxy-msg.c builds and reads the messages); the
 * layers above run theirs after it, since each runs the one below first.
 * Then the tunnel only passes bytes through.  Replies are read exactly to
 * their end, never beyond, so no byte of the tunnelled stream is taken
 * from the layer above.  Like every transport the tunnel asks for the
 * readiness it needs through acore__transport_wait() and writes nothing
 * of the dispatcher's.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <netdb.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "acore-internal.h"
#include "proxy.h"

static const char *const type_name[] = {
	"", "HTTP", "SOCKS4", "SOCKS4a", "SOCKS5", "SOCKS5h"
};

/* ----------------------------------------------------------- handshake */

/* The target's address, from the lookup SOCKS4 and SOCKS5 do here. */
static void
target_resolved(int err, const struct addrinfo *res, void *arg)
{
	struct tunnel *t = arg;

	if (err == -ECANCELED)
		return;		/* the tunnel is going away */
	t->res = NULL;
	if (err == 0 && res != NULL && res->ai_addrlen <= sizeof(t->addr))
		memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
	else
		t->err = err != 0 ? err : ACORE_EAI(EAI_NONAME);
	if (t->err == 0) {
		acore_debug(t->d, "tunnel: %s resolved here", t->host);
		t->err = t->type == ACORE_PROXY_SOCKS4 ?
		    tun_socks4_request(t) : tun_socks5_greeting(t);
		if (t->err > 0)
			t->err = 0;
	}
	/* Room to send comes at once: the handshake goes on from there. */
	acore__transport_wait(t->d, EV_WRITE, EV_READ);
}

/*
 * An address given as the target goes as one, whoever was to resolve
 * names (SOCKS4a sends an IPv4 address in SOCKS4's form): only names are
 * the proxy's to look up.
 */
static int
tun_literal(struct tunnel *t)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&t->addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&t->addr;

	if (inet_pton(AF_INET, t->host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		return 1;
	}
	if (t->type != ACORE_PROXY_SOCKS4A &&
	    inet_pton(AF_INET6, t->host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		return 1;
	}
	return 0;
}

static int
tun_start(struct acore_dispatcher *d, struct tunnel *t)
{
	int rc;

	acore__set_stage(d, ACORE_STAGE_TUNNEL);
	acore_debug(d, "tunnel: %s proxy, to ('%s', %u)", type_name[t->type],
	    t->host, t->port_num);
	memset(&t->addr, 0, sizeof(t->addr));
	switch (t->type) {
	case ACORE_PROXY_HTTP:
		return tun_http_request(t);
	case ACORE_PROXY_SOCKS4A:
		(void)tun_literal(t);
		return tun_socks4_request(t);
	case ACORE_PROXY_SOCKS5H:
		(void)tun_literal(t);
		return tun_socks5_greeting(t);
	default:
		t->state = TUN_RESOLVE;
		t->res = acore_resolve(d->loop, t->host, t->port,
		    t->type == ACORE_PROXY_SOCKS4 ? AF_INET : AF_UNSPEC,
		    target_resolved, t);
		/* A literal is answered at once: the error, or TUN_SEND. */
		if ((rc = t->err) != 0) {
			t->err = 0;
			return rc;
		}
		return 1;
	}
}

/*
 * While the target's name is looked up the proxy has nothing to say: its
 * readiness is an end of stream (or a proxy that speaks first).
 */
static int
tun_resolving(struct acore_dispatcher *d, struct tunnel *t)
{
	ssize_t n;
	char c;

	n = t->lower.tp->read(d, t->lower.ctx, &c, 1);
	if (n == -EAGAIN) {
		acore__transport_wait(d, EV_READ, EV_READ);
		return -EAGAIN;
	}
	return n > 0 ? ACORE_EPROXY_PROTO : ACORE_EPROXY_EOF;
}

static int
tun_io_error(ssize_t n)
{
	if (n == 0 || acore__is_disconnect((int)-n))
		return ACORE_EPROXY_EOF;
	return (int)n;
}

static int
tun_send(struct acore_dispatcher *d, struct tunnel *t)
{
	ssize_t n;

	while (t->off < t->len) {
		n = t->lower.tp->write(d, t->lower.ctx, t->buf + t->off,
		    t->len - t->off);
		if (n == -EAGAIN) {
			acore__transport_wait(d, EV_WRITE, EV_READ);
			return -EAGAIN;
		}
		if (n < 0)
			return tun_io_error(n);
		t->off += (size_t)n;
	}
	t->off = t->len = 0;
	t->state = t->reply_state;
	return 1;
}

static int
tun_recv(struct acore_dispatcher *d, struct tunnel *t)
{
	ssize_t n;

	while (t->len < t->need) {
		n = t->lower.tp->read(d, t->lower.ctx, t->buf + t->len,
		    t->need - t->len);
		if (n == -EAGAIN) {
			acore__transport_wait(d, EV_READ, EV_READ);
			return -EAGAIN;
		}
		if (n <= 0)
			return tun_io_error(n);
		t->len += (size_t)n;
	}
	return tun_parse(t);
}

static int
tun_handshake(struct acore_dispatcher *d, void *ctx)
{
	struct tunnel *t = ctx;
	int rc;

	if (t->state == TUN_DONE)
		return 0;
	if ((rc = acore__layer_handshake(d, &t->lower)) != 0)
		return rc;
	for (;;) {
		if (t->err != 0) {
			rc = t->err;
			t->err = 0;
			return rc;
		}
		switch (t->state) {
		case TUN_START:
			rc = tun_start(d, t);
			break;
		case TUN_RESOLVE:
			return tun_resolving(d, t);
		case TUN_SEND:
			rc = tun_send(d, t);
			break;
		default:
			rc = tun_recv(d, t);
			break;
		}
		if (rc < 0)
			return rc;
		if (rc == 0) {
			t->state = TUN_DONE;
			acore_debug(d, "tunnel: up through the %s proxy",
			    type_name[t->type]);
			return 0;
		}
	}
}

/* ------------------------------------------------------------- transport */

static ssize_t
tun_read(struct acore_dispatcher *d, void *ctx, void *buf, size_t len)
{
	struct tunnel *t = ctx;

	if (t->state != TUN_DONE)
		return -EAGAIN;
	return t->lower.tp->read(d, t->lower.ctx, buf, len);
}

static ssize_t
tun_write(struct acore_dispatcher *d, void *ctx, const void *buf, size_t len)
{
	struct tunnel *t = ctx;

	if (t->state != TUN_DONE)
		return -EAGAIN;
	return t->lower.tp->write(d, t->lower.ctx, buf, len);
}

static int
tun_shutdown(struct acore_dispatcher *d, void *ctx, int how)
{
	struct tunnel *t = ctx;

	return t->lower.tp->shutdown(d, t->lower.ctx, how);
}

static size_t
tun_pending(const struct acore_dispatcher *d, const void *ctx)
{
	const struct tunnel *t = ctx;

	return t->state == TUN_DONE ? acore__layer_pending(d, &t->lower) : 0;
}

static int
tun_is_cut(int err)
{
	(void)err;
	return 0;
}

static void
tun_cancel(struct tunnel *t)
{
	struct acore_resolve *r = t->res;

	t->res = NULL;
	acore_resolve_cancel(r);	/* target_resolved sees -ECANCELED */
}

/* The connection ends (or the next address is tried): start over. */
static void
tun_close(struct acore_dispatcher *d, void *ctx)
{
	struct tunnel *t = ctx;

	tun_cancel(t);
	t->state = TUN_START;
	t->off = t->len = t->need = 0;
	t->err = 0;
	t->lower.tp->close(d, t->lower.ctx);
}

static void
tun_free(struct acore_dispatcher *d, void *ctx)
{
	struct tunnel *t = ctx;

	if (t == NULL)
		return;
	tun_cancel(t);
	if (t->lower.tp->free != NULL)
		t->lower.tp->free(d, t->lower.ctx);
	free(t->host);
	free(t->port);
	free(t->user);
	free(t->password);
	free(t->status);
	if (d->tp_ctx == t)
		d->tp_ctx = NULL;
	free(t);
}

static struct acore_layer *
tun_lower(void *ctx)
{
	return &((struct tunnel *)ctx)->lower;
}

static const struct acore_transport tunnel_transport = {
	.name = "tunnel",
	.read = tun_read,
	.write = tun_write,
	.shutdown = tun_shutdown,
	.pending = tun_pending,
	.handshake = tun_handshake,
	.is_cut = tun_is_cut,
	.close = tun_close,
	.free = tun_free,
	.lower = tun_lower,
};

/* ------------------------------------------------------------------ API */

/* The channel's tunnel, wherever it sits in the stack; NULL: none. */
static struct tunnel *
find_tunnel(const struct acore_dispatcher *d)
{
	const struct acore_layer *l;

	if (d->tp == &tunnel_transport)
		return d->tp_ctx;
	for (l = d->tp->lower != NULL ? d->tp->lower(d->tp_ctx) : NULL;
	    l != NULL; l = l->tp->lower != NULL ? l->tp->lower(l->ctx) : NULL)
		if (l->tp == &tunnel_transport)
			return l->ctx;
	return NULL;
}

/* Put t right above the socket: the bottom of d's stack. */
static void
push_bottom(struct acore_dispatcher *d, struct tunnel *t)
{
	struct acore_layer *l;

	if (d->tp->lower == NULL) {
		t->lower.tp = d->tp;
		t->lower.ctx = d->tp_ctx;
		d->tp = &tunnel_transport;
		d->tp_ctx = t;
		return;
	}
	for (l = d->tp->lower(d->tp_ctx); l->tp->lower != NULL;
	    l = l->tp->lower(l->ctx))
		;
	t->lower = *l;
	l->tp = &tunnel_transport;
	l->ctx = t;
}

/* And take it out again (the connect failed at once). */
static void
pop_bottom(struct acore_dispatcher *d, struct tunnel *t)
{
	struct acore_layer *l;

	if (d->tp_ctx == t) {
		d->tp = t->lower.tp;
		d->tp_ctx = t->lower.ctx;
		return;
	}
	for (l = d->tp->lower(d->tp_ctx); l->ctx != t;
	    l = l->tp->lower(l->ctx))
		;
	*l = t->lower;
}

static int
port_number(const char *port, uint16_t *num)
{
	const struct servent *se;
	char *end;
	long v;

	if (port == NULL || *port == '\0')
		return -EINVAL;
	v = strtol(port, &end, 10);
	if (*end == '\0') {
		if (v < 1 || v > 65535)
			return -EINVAL;
		*num = (uint16_t)v;
		return 0;
	}
	if ((se = getservbyname(port, "tcp")) == NULL)
		return -EINVAL;
	*num = ntohs((uint16_t)se->s_port);
	return 0;
}

static int
dup_or_null(char **to, const char *s)
{
	*to = NULL;
	return s == NULL || (*to = strdup(s)) != NULL ? 0 : -ENOMEM;
}

int
acore_connect_proxy(struct acore_dispatcher *d,
    const struct acore_proxy *proxy, const char *host, const char *port,
    int family)
{
	struct tunnel *t;
	const char *pport;
	size_t n;
	int rc;

	if (d->flags & ACORE_CLOSED)
		return -EBADF;
	if (d->fd >= 0 || acore__conn(d) != NULL || find_tunnel(d) != NULL)
		return -EALREADY;
	if (proxy == NULL || proxy->host == NULL || host == NULL ||
	    proxy->type < ACORE_PROXY_HTTP || proxy->type > ACORE_PROXY_SOCKS5H ||
	    family == AF_UNIX || d->tp == &acore__file_transport)
		return -EINVAL;
	/* SOCKS carries a name in a length byte; SOCKS4a's ends at a NUL. */
	if (strlen(host) > 255 || (proxy->user != NULL &&
	    strlen(proxy->user) > 255) || (proxy->password != NULL &&
	    strlen(proxy->password) > 255))
		return -EINVAL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -ENOMEM;
	t->d = d;
	t->type = (uint8_t)proxy->type;
	/* "[::1]", the URL form of an address, is "::1" to a proxy. */
	n = strlen(host);
	if (host[0] == '[' && n > 2 && host[n - 1] == ']')
		t->host = strndup(host + 1, n - 2);
	else
		t->host = strdup(host);
	if ((rc = t->host == NULL ? -ENOMEM : 0) < 0 ||
	    (rc = port_number(port, &t->port_num)) < 0 ||
	    (rc = dup_or_null(&t->port, port)) < 0 ||
	    (rc = dup_or_null(&t->user, proxy->user)) < 0 ||
	    (rc = dup_or_null(&t->password, proxy->password)) < 0) {
		t->lower.tp = &acore__socket_transport;
		tun_free(d, t);
		return rc;
	}
	push_bottom(d, t);
	pport = proxy->port != NULL ? proxy->port : "1080";
	acore_debug(d, "connecting to the %s proxy ('%s', %s)",
	    type_name[t->type], proxy->host, pport);
	if ((rc = acore_connect_host(d, proxy->host, pport, family)) < 0) {
		pop_bottom(d, t);
		t->lower.tp = &acore__socket_transport;
		t->lower.ctx = NULL;
		tun_free(d, t);
	}
	return rc;
}

const char *
acore_proxy_status(const struct acore_dispatcher *d)
{
	const struct tunnel *t = find_tunnel(d);

	return t != NULL ? t->status : NULL;
}
