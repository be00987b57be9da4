/*
 * tls.h: a TLS configuration's layout, shared by tls-config.c (building
 * it) and tls.c (the transport that uses it).  Private to the library.
 */
#ifndef ACORE_TLS_H
#define ACORE_TLS_H

#include <stdint.h>

#include <openssl/ssl.h>

struct acore_tls {
	SSL_CTX		*ctx;
	unsigned char	*alpn;		/* wire format: length-prefixed names */
	size_t		 alpn_len;
	int		 refs;		/* the caller's, plus one per channel;
					   atomic: loops in other threads */
	uint8_t		 server;
	uint8_t		 verify;	/* client: check chain and host name */
	uint8_t		 ca_set;	/* trust anchors given: no system store */
	uint8_t		 ca_loaded;	/* system store loaded */
};

const char	*acore__tls_strerror(int err);

#endif /* ACORE_TLS_H */
