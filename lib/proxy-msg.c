/*
 * proxy-msg.c: what a tunnel says to its proxy and how it reads the
 * answers: SOCKS5 (RFC 1928, with RFC 1929's username/password), SOCKS4
 * and SOCKS4a, and HTTP CONNECT (RFC 9110 9.3.6, Basic authentication of
 * RFC 7617).  No I/O here: proxy.c moves t->buf.  And the text of the
 * ACORE_EPROXY* errors.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "acore-internal.h"
#include "proxy.h"

static void
put(struct tunnel *t, const void *p, size_t n)
{
	memcpy(t->buf + t->len, p, n);
	t->len += n;
}

static void
put_port(struct tunnel *t)
{
	t->buf[t->len++] = (unsigned char)(t->port_num >> 8);
	t->buf[t->len++] = (unsigned char)(t->port_num & 0xff);
}

/* The next message goes out, then the reply is read into an empty buf. */
static int
send_then(struct tunnel *t, int reply_state, size_t need)
{
	t->off = 0;
	t->state = TUN_SEND;
	t->reply_state = (uint8_t)reply_state;
	t->need = need;
	return 1;
}

int
tun_socks5_greeting(struct tunnel *t)
{
	t->len = 0;
	t->buf[t->len++] = 5;
	/* No authentication, and username/password when we have a user. */
	t->buf[t->len++] = t->user != NULL ? 2 : 1;
	t->buf[t->len++] = 0;
	if (t->user != NULL)
		t->buf[t->len++] = 2;
	return send_then(t, TUN_S5_METHOD, 2);
}

int
tun_socks5_auth(struct tunnel *t)
{
	const char *pw = t->password != NULL ? t->password : "";
	size_t ul = strlen(t->user), pl = strlen(pw);

	if (ul > 255 || pl > 255)
		return -EINVAL;
	t->len = 0;
	t->buf[t->len++] = 1;
	t->buf[t->len++] = (unsigned char)ul;
	put(t, t->user, ul);
	t->buf[t->len++] = (unsigned char)pl;
	put(t, pw, pl);
	return send_then(t, TUN_S5_AUTH, 2);
}

int
tun_socks5_request(struct tunnel *t)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&t->addr;
	const struct sockaddr_in6 *sin6 =
	    (const struct sockaddr_in6 *)&t->addr;
	size_t hl;

	t->len = 0;
	put(t, "\x05\x01\x00", 3);	/* CONNECT */
	if (t->addr.ss_family == AF_INET) {
		t->buf[t->len++] = 1;
		put(t, &sin->sin_addr, 4);
	} else if (t->addr.ss_family == AF_INET6) {
		t->buf[t->len++] = 4;
		put(t, &sin6->sin6_addr, 16);
	} else {
		/* socks5h: the name, for the proxy to resolve. */
		hl = strlen(t->host);
		t->buf[t->len++] = 3;
		t->buf[t->len++] = (unsigned char)hl;
		put(t, t->host, hl);
	}
	put_port(t);
	/* Version, reply, reserved, address type, and its first byte. */
	return send_then(t, TUN_S5_REPLY, 5);
}

int
tun_socks4_request(struct tunnel *t)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&t->addr;
	const char *user = t->user != NULL ? t->user : "";

	t->len = 0;
	put(t, "\x04\x01", 2);
	put_port(t);
	if (t->addr.ss_family == AF_INET)
		put(t, &sin->sin_addr, 4);
	else
		put(t, "\0\0\0\x01", 4);	/* SOCKS4a: the name follows */
	put(t, user, strlen(user) + 1);
	if (t->addr.ss_family != AF_INET)
		put(t, t->host, strlen(t->host) + 1);
	return send_then(t, TUN_S4_REPLY, 8);
}

int
tun_http_request(struct tunnel *t)
{
	char auth[(255 + 1 + 255) / 3 * 4 + 8], cred[255 + 1 + 255 + 1];
	const char *pw = t->password != NULL ? t->password : "";
	int n, v6 = strchr(t->host, ':') != NULL;

	auth[0] = '\0';
	if (t->user != NULL) {
		n = snprintf(cred, sizeof(cred), "%s:%s", t->user, pw);
		if (n < 0 || (size_t)n >= sizeof(cred))
			return -EINVAL;
		EVP_EncodeBlock((unsigned char *)auth,
		    (const unsigned char *)cred, n);
	}
	/* RFC 9110: authority-form, and a Host header of the same. */
	n = snprintf((char *)t->buf, sizeof(t->buf),
	    "CONNECT %s%s%s:%u HTTP/1.1\r\nHost: %s%s%s:%u\r\n%s%s%s\r\n",
	    v6 ? "[" : "", t->host, v6 ? "]" : "", t->port_num,
	    v6 ? "[" : "", t->host, v6 ? "]" : "", t->port_num,
	    auth[0] != '\0' ? "Proxy-Authorization: Basic " : "", auth,
	    auth[0] != '\0' ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(t->buf))
		return -EINVAL;
	t->len = (size_t)n;
	return send_then(t, TUN_HTTP_REPLY, 4);
}

/*
 * The header block ends at the first "\r\n\r\n": read no further, so no
 * byte of the tunnel's stream is taken.  While the buffer ends in k bytes
 * of that marker, 4 - k more can be read safely.
 */
size_t
tun_http_need(const struct tunnel *t)
{
	static const char end[] = "\r\n\r\n";
	size_t k;

	for (k = 3; k > 0; k--)
		if (t->len >= k && memcmp(t->buf + t->len - k, end, k) == 0)
			break;
	return t->len + 4 - k;
}

static int
parse_http(struct tunnel *t)
{
	const char *p = (const char *)t->buf, *eol;
	size_t n;
	int status;

	if (t->len < 4 || memcmp(t->buf + t->len - 4, "\r\n\r\n", 4) != 0) {
		if (t->len >= sizeof(t->buf) - 4)
			return ACORE_EPROXY_PROTO;
		t->need = tun_http_need(t);
		return 1;
	}
	eol = memchr(p, '\r', t->len);
	n = (size_t)(eol - p);
	if (n < 12 || strncmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ' ||
	    sscanf(p + 9, "%3d", &status) != 1 || status < 100 ||
	    status > 599)
		return ACORE_EPROXY_PROTO;
	free(t->status);
	if ((t->status = strndup(p, n)) == NULL)
		return -ENOMEM;
	acore_debug(t->d, "tunnel: the proxy answered \"%s\"", t->status);
	if (status >= 200 && status < 300)
		return 0;
	if (status == 407)
		return t->user != NULL ? ACORE_EPROXY_AUTH_FAILED :
		    ACORE_EPROXY_AUTH;
	return ACORE_EPROXY_HTTP(status);
}

/* SOCKS5's bound address after the reply head: its length, all told. */
static int
s5_reply_len(struct tunnel *t, size_t *len)
{
	switch (t->buf[3]) {
	case 1:
		*len = 4 + 4 + 2;
		return 0;
	case 4:
		*len = 4 + 16 + 2;
		return 0;
	case 3:
		*len = 4 + 1 + t->buf[4] + 2;
		return 0;
	default:
		return ACORE_EPROXY_PROTO;
	}
}

int
tun_parse(struct tunnel *t)
{
	size_t want;
	int rc;

	switch (t->state) {
	case TUN_S5_METHOD:
		if (t->buf[0] != 5)
			return ACORE_EPROXY_PROTO;
		if (t->buf[1] == 0)
			return tun_socks5_request(t);
		if (t->buf[1] == 2 && t->user != NULL)
			return tun_socks5_auth(t);
		if (t->buf[1] == 2 || (t->buf[1] == 0xff && t->user == NULL))
			return ACORE_EPROXY_AUTH;
		return ACORE_EPROXY_NO_METHOD;
	case TUN_S5_AUTH:
		if (t->buf[1] != 0)
			return ACORE_EPROXY_AUTH_FAILED;
		acore_debug(t->d, "tunnel: SOCKS5 user %s accepted", t->user);
		return tun_socks5_request(t);
	case TUN_S5_REPLY:
		if (t->buf[0] != 5)
			return ACORE_EPROXY_PROTO;
		if (t->buf[1] != 0)
			return ACORE_EPROXY_SOCKS5(t->buf[1]);
		if ((rc = s5_reply_len(t, &want)) < 0)
			return rc;
		if (t->len < want) {
			t->need = want;
			return 1;
		}
		return 0;
	case TUN_S4_REPLY:
		if (t->buf[0] != 0)
			return ACORE_EPROXY_PROTO;
		if (t->buf[1] == 90)
			return 0;
		if (t->buf[1] >= 91 && t->buf[1] <= 93)
			return ACORE_EPROXY_SOCKS4(t->buf[1]);
		return ACORE_EPROXY_PROTO;
	case TUN_HTTP_REPLY:
		return parse_http(t);
	default:
		return ACORE_EPROXY_PROTO;
	}
}

/* ---------------------------------------------------------------- errors */

static const char *const socks5_text[] = {
	"SOCKS5 proxy: general server failure",
	"SOCKS5 proxy: connection not allowed by ruleset",
	"SOCKS5 proxy: network unreachable",
	"SOCKS5 proxy: host unreachable",
	"SOCKS5 proxy: connection refused",
	"SOCKS5 proxy: TTL expired",
	"SOCKS5 proxy: command not supported",
	"SOCKS5 proxy: address type not supported",
};

static const char *const socks4_text[] = {
	"SOCKS4 proxy: request rejected or failed",
	"SOCKS4 proxy: cannot reach the client's identd",
	"SOCKS4 proxy: identd reports another user id",
};

const char *
acore__proxy_strerror(int err)
{
	static _Thread_local char buf[64];
	int r = ACORE_EPROXY_BASE - err;

	switch (err) {
	case ACORE_EPROXY_EOF:
		return "proxy closed the connection before the tunnel was up";
	case ACORE_EPROXY_PROTO:
		return "proxy sent a malformed reply";
	case ACORE_EPROXY_AUTH:
		return "proxy needs authentication";
	case ACORE_EPROXY_AUTH_FAILED:
		return "proxy refused the user name or password";
	case ACORE_EPROXY_NO_METHOD:
		return "SOCKS5 proxy accepts none of our authentication methods";
	default:
		break;
	}
	if (r >= 101 && r <= 108)
		return socks5_text[r - 101];
	if (r > 100 && r < 200)
		return "SOCKS5 proxy: unknown reply code";
	if (r >= 201 && r <= 203)
		return socks4_text[r - 201];
	if (r >= 1100 && r < 1600) {
		snprintf(buf, sizeof(buf),
		    "HTTP proxy refused the tunnel with status %d", r - 1000);
		return buf;
	}
	return "proxy error";
}
