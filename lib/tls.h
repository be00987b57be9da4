/*
 * tls.h: a TLS configuration's layout, shared by tls-config.c (building
 * it) and tls.c (the transport that uses it), and a TLS channel's state,
 * shared by tls.c and its BIO (tls-bio.c).  Private to the library.
 */
#ifndef ACORE_TLS_H
#define ACORE_TLS_H

#include <stdint.h>

#include <openssl/ssl.h>

#include "acore-internal.h"

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

/* Bytes per recv(2) (bench/https.sh: 256 KiB beats 64 KiB by about 6%). */
#define TLS_RBUF	(256 * 1024)
#define TLS_RECORD_HEADER 5	/* type, version (2), length (2) */

/*
 * A channel's TLS state (tp_ctx of the TLS transport, tls.c), read
 * ahead by the BIO under it (tls-bio.c).
 */
struct tls_conn {
	struct acore_layer lower;	/* what the records travel over */
	struct acore_dispatcher *d;
	struct acore_tls *cfg;
	SSL		*ssl;		/* NULL until the handshake starts */
	char		*host;		/* SNI and verification name */
	char		*rbuf;		/* read-ahead, NULL when drained */
	size_t		 roff;		/* next byte for OpenSSL */
	size_t		 rlen;		/* bytes in rbuf */
	int		 deferred;	/* 1: EOF, < 0: error, owed to next read */
	uint8_t		 done;		/* handshake complete */
	uint8_t		 shut;		/* close_notify sent */
};

BIO	*acore__tls_bio_new(struct tls_conn *t);
void	 acore__tls_rbuf_drop(struct tls_conn *t);
int	 acore__tls_rbuf_has_record(const struct tls_conn *t);
const char	*acore__tls_strerror(int err);

#endif /* ACORE_TLS_H */
