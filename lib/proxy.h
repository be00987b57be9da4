/*
 * proxy.h: a proxy tunnel's state, shared by proxy.c (the transport layer
 * and acore_connect_proxy) and proxy-msg.c (the SOCKS and HTTP CONNECT
 * messages).  Private to the library.
 */
#ifndef ACORE_PROXY_H
#define ACORE_PROXY_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

/* The longest reply we read (an HTTP proxy's header block). */
#define TUN_BUF		4096

/* Where a tunnel's handshake is. */
enum tun_state {
	TUN_START,
	TUN_RESOLVE,		/* SOCKS4/SOCKS5: the target's name, here */
	TUN_SEND,		/* buf[off, len) goes out, then reply_state */
	TUN_S5_METHOD,		/* SOCKS5: the chosen method, 2 bytes */
	TUN_S5_AUTH,		/* SOCKS5: the user/password verdict, 2 */
	TUN_S5_REPLY,		/* SOCKS5: the reply head, then its address */
	TUN_S4_REPLY,		/* SOCKS4: 8 bytes */
	TUN_HTTP_REPLY,		/* HTTP: up to the empty line */
	TUN_DONE
};

struct acore_resolve;

struct tunnel {
	struct acore_layer	 lower;		/* the socket */
	struct acore_dispatcher	*d;
	struct acore_resolve	*res;		/* the target's lookup */
	char			*host, *port;	/* the target */
	char			*user, *password;
	char			*status;	/* HTTP: the CONNECT status line */
	struct sockaddr_storage	 addr;		/* the target, resolved here */
	int			 err;		/* owed to the next handshake */
	uint16_t		 port_num;
	uint8_t			 type;		/* enum acore_proxy_type */
	uint8_t			 state;		/* enum tun_state */
	uint8_t			 reply_state;	/* after TUN_SEND */
	size_t			 off, len, need;
	unsigned char		 buf[TUN_BUF];
};

/* proxy-msg.c: each builds its message in t->buf (len) or parses it. */
int	 tun_socks5_greeting(struct tunnel *t);
int	 tun_socks5_auth(struct tunnel *t);
int	 tun_socks5_request(struct tunnel *t);
int	 tun_socks4_request(struct tunnel *t);
int	 tun_http_request(struct tunnel *t);
/* Parse what t->buf holds for t->state: 0 done, 1 more to read (need
 * updated) or to send (state TUN_SEND), or an error. */
int	 tun_parse(struct tunnel *t);
/* HTTP: the bytes that can be read without passing the header's end. */
size_t	 tun_http_need(const struct tunnel *t);

#endif /* ACORE_PROXY_H */
