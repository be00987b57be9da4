/*
 * tls.c: the TLS transport on OpenSSL.
 *
 * acore_tls_attach() puts a channel on the TLS transport with a
 * configuration (tls-config.c); the handshake runs inside the loop
 * through the transport's handshake slot, so handle_connect (client) and
 * the first handle_read (server) come only after it.  TLS is a layer: the
 * SSL object talks to the transport below it (the socket, or a proxy
 * tunnel over it) through a small BIO of ours, as libevent's
 * bufferevent_openssl_filter_new does over another bufferevent.  The
 * socket's send(2) has MSG_NOSIGNAL, so a reset peer gives EPIPE, never
 * SIGPIPE, as on plain sockets.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "acore-internal.h"
#include "tls.h"

static pthread_mutex_t ca_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---------------------------------------------------------------- errors */

/*
 * OpenSSL's reason for the failure just seen, as an ACORE_ETLS* value:
 * a certificate that did not verify says why (unknown CA, expired, name).
 */
static int
tls_failure(SSL *ssl)
{
	unsigned long e = ERR_peek_last_error();
	int reason = ERR_GET_REASON(e);
	long v;

	if (ERR_GET_LIB(e) != ERR_LIB_SSL)
		return ACORE_ETLS(0);
	if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED && ssl != NULL &&
	    (v = SSL_get_verify_result(ssl)) != X509_V_OK && v > 0 &&
	    v < 1000)
		return ACORE_ETLS_VERIFY((int)v);
	if (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING)
		return ACORE_ETLS_TRUNCATED;
	if (reason <= 0 || reason >= 5000)
		return ACORE_ETLS(0);
	return ACORE_ETLS(reason);
}

/*
 * The outcome of an SSL call that returned n <= 0.  op is the channel's
 * operation (EV_READ, EV_WRITE, or 0 for the handshake): when OpenSSL needs
 * the other direction, the channel waits for it whatever its hooks want,
 * and the event it brings resumes op.
 */
static int
tls_error(struct acore_dispatcher *d, struct tls_conn *t, int n, short op,
    int saved_errno)
{
	short need;

	switch (SSL_get_error(t->ssl, n)) {
	case SSL_ERROR_WANT_READ:
		need = EV_READ;
		break;
	case SSL_ERROR_WANT_WRITE:
		need = EV_WRITE;
		break;
	case SSL_ERROR_ZERO_RETURN:
		return 0;	/* close_notify: an orderly end */
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() != 0)
			return tls_failure(t->ssl);
		/* No close_notify before the end of the stream. */
		if (saved_errno == 0 || n == 0)
			return ACORE_ETLS_TRUNCATED;
		return -saved_errno;
	default:
		return tls_failure(t->ssl);
	}
	/*
	 * A handshake always waits for what OpenSSL asks; a read or write
	 * only when OpenSSL needs the other direction (a re-key).
	 */
	if (op == 0 || need != op)
		acore__transport_wait(d, need, op != 0 ? op : EV_READ);
	return -EAGAIN;
}

/*
 * A read or write after a wait for the other direction: that wait is over
 * (OpenSSL asks again if it must), and the hooks' interest applies again.
 */
static void
want_clear(struct acore_dispatcher *d)
{
	if (d->tp_want != 0 && !d->handshaking)
		acore__transport_wait(d, 0, 0);
}

/* ------------------------------------------------------------- transport */

static int
is_ip_literal(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 ||
	    inet_pton(AF_INET6, host, buf) == 1;
}

static int
tls_ssl_new(struct tls_conn *t)
{
	struct acore_tls *cfg = t->cfg;
	BIO *bio;
	SSL *ssl;

	if (!cfg->server && cfg->verify && !cfg->ca_set &&
	    !__atomic_load_n(&cfg->ca_loaded, __ATOMIC_ACQUIRE)) {
		/*
		 * The system store, loaded once per configuration, on first
		 * use (a --cacert replaces it); loops in several threads may
		 * share the configuration.
		 */
		pthread_mutex_lock(&ca_lock);
		if (!cfg->ca_loaded) {
			(void)SSL_CTX_set_default_verify_paths(cfg->ctx);
			__atomic_store_n(&cfg->ca_loaded, 1, __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&ca_lock);
	}
	if ((ssl = SSL_new(cfg->ctx)) == NULL)
		return -ENOMEM;
	if ((bio = acore__tls_bio_new(t)) == NULL) {
		SSL_free(ssl);
		return -ENOMEM;
	}
	SSL_set_bio(ssl, bio, bio);
	if (cfg->server) {
		SSL_set_accept_state(ssl);
	} else {
		SSL_set_connect_state(ssl);
		/* RFC 6066: no SNI for an address; check it as an address. */
		if (t->host != NULL && is_ip_literal(t->host)) {
			if (cfg->verify && !X509_VERIFY_PARAM_set1_ip_asc(
			    SSL_get0_param(ssl), t->host))
				goto fail;
		} else if (t->host != NULL) {
			if (!SSL_set_tlsext_host_name(ssl, t->host) ||
			    (cfg->verify && !SSL_set1_host(ssl, t->host)))
				goto fail;
		}
	}
	t->ssl = ssl;
	return 0;
fail:
	SSL_free(ssl);
	return -ENOMEM;
}

static int
tls_handshake(struct acore_dispatcher *d, void *ctx)
{
	struct tls_conn *t = ctx;
	const unsigned char *alpn = NULL;
	unsigned alen = 0;
	int n, rc;

	/* The layers below first: a proxy tunnel to the TLS server. */
	if ((rc = acore__layer_handshake(d, &t->lower)) != 0)
		return rc;
	if (t->ssl == NULL) {
		if ((rc = tls_ssl_new(t)) < 0)
			return rc;
		if (!t->cfg->server)
			acore__set_stage(d, ACORE_STAGE_TLS);
	}
	ERR_clear_error();
	errno = 0;
	if ((n = SSL_do_handshake(t->ssl)) == 1) {
		t->done = 1;
		if (acore_log_enabled(ACORE_LOG_DEBUG)) {
			SSL_get0_alpn_selected(t->ssl, &alpn, &alen);
			acore_debug(d, "TLS handshake done: %s, %s%s%.*s",
			    SSL_get_version(t->ssl),
			    SSL_get_cipher_name(t->ssl),
			    alen > 0 ? ", ALPN " : "", (int)alen,
			    alpn != NULL ? (const char *)alpn : "");
		}
		return 0;
	}
	rc = tls_error(d, t, n, 0, errno);
	/*
	 * An end of stream or a reset in the middle of a handshake is its
	 * failure (a plain-text server, one out of descriptors), not a cut
	 * stream: no data was ever at stake.
	 */
	if (rc == 0 || rc == ACORE_ETLS_TRUNCATED || acore__is_disconnect(-rc))
		return ACORE_ETLS_HANDSHAKE_EOF;
	return rc;
}

static ssize_t
tls_read(struct acore_dispatcher *d, void *ctx, void *buf, size_t len)
{
	struct tls_conn *t = ctx;
	size_t got = 0;
	int n, rc;

	if (t->deferred != 0) {
		rc = t->deferred;
		t->deferred = 0;
		return rc > 0 ? 0 : rc;
	}
	if (t->ssl == NULL || !t->done)
		return -EAGAIN;
	want_clear(d);
	/*
	 * SSL_read hands out one record at a time; keep going while OpenSSL
	 * or the BIO holds more, so one call fills buf without another recv.
	 * The error queue is emptied once: a call that succeeds leaves it
	 * empty, and emptying it costs a walk of its sixteen slots a record.
	 */
	ERR_clear_error();
	while (got < len) {
		errno = 0;
		n = SSL_read(t->ssl, (char *)buf + got,
		    len - got > INT_MAX ? INT_MAX : (int)(len - got));
		if (n > 0) {
			got += (size_t)n;
			if (SSL_pending(t->ssl) == 0 && !acore__tls_rbuf_has_record(t))
				break;
			continue;
		}
		rc = tls_error(d, t, n, EV_READ, errno);
		if (got == 0)
			return rc;
		if (rc != -EAGAIN)
			t->deferred = rc == 0 ? 1 : rc;
		break;
	}
	return (ssize_t)got;
}

static ssize_t
tls_write(struct acore_dispatcher *d, void *ctx, const void *buf, size_t len)
{
	struct tls_conn *t = ctx;
	size_t put = 0;
	int n, rc;

	if (t->ssl == NULL || !t->done)
		return -EAGAIN;
	if (t->shut)
		return -EPIPE;
	want_clear(d);
	/* Partial writes: one record per call, as many as the socket takes. */
	ERR_clear_error();	/* once, as in tls_read */
	while (put < len) {
		errno = 0;
		n = SSL_write(t->ssl, (const char *)buf + put,
		    len - put > INT_MAX ? INT_MAX : (int)(len - put));
		if (n > 0) {
			put += (size_t)n;
			continue;
		}
		rc = tls_error(d, t, n, EV_WRITE, errno);
		if (put == 0)
			return rc == 0 ? -EPIPE : rc;
		break;
	}
	return (ssize_t)put;
}

static int
tls_shutdown(struct acore_dispatcher *d, void *ctx, int how)
{
	struct tls_conn *t = ctx;

	/* The end of our output is a close_notify, then the TCP FIN. */
	if ((how == SHUT_WR || how == SHUT_RDWR) && t->ssl != NULL &&
	    t->done && !t->shut) {
		ERR_clear_error();
		(void)SSL_shutdown(t->ssl);
		t->shut = 1;
	}
	return t->lower.tp->shutdown(d, t->lower.ctx, how);
}

static size_t
tls_pending(const struct acore_dispatcher *d, const void *ctx)
{
	const struct tls_conn *t = ctx;
	int n;

	if (t->deferred != 0)
		return 1;
	if (t->ssl == NULL || !t->done)
		return 0;
	if ((n = SSL_pending(t->ssl)) > 0)
		return (size_t)n;
	/* A whole record read ahead but not yet decrypted counts too. */
	if (acore__tls_rbuf_has_record(t))
		return 1;
	return acore__layer_pending(d, &t->lower);
}

/*
 * What is read but not handed up: the read-ahead, decrypted bytes, and at
 * most one partial record inside OpenSSL (ours hands it a record at a
 * time).
 */
static size_t
tls_held(const struct acore_dispatcher *d, const void *ctx)
{
	const struct tls_conn *t = ctx;
	size_t n = t->rlen - t->roff;
	int p;

	(void)d;
	if (t->ssl == NULL)
		return n;
	if ((p = SSL_pending(t->ssl)) > 0)
		n += (size_t)p;
	return n + TLS_RECORD_HEADER + SSL3_RT_MAX_ENCRYPTED_LENGTH;
}

static void
tls_close(struct acore_dispatcher *d, void *ctx)
{
	struct tls_conn *t = ctx;
	int linger = 0;

	if (t->ssl != NULL) {
		if (t->done && !t->shut) {
			ERR_clear_error();
			(void)SSL_shutdown(t->ssl);
		}
		/* The peer's close_notify may still cross ours: linger.c. */
		linger = t->done &&
		    !(SSL_get_shutdown(t->ssl) & SSL_RECEIVED_SHUTDOWN);
		SSL_free(t->ssl);
		t->ssl = NULL;
	}
	acore__tls_rbuf_drop(t);
	ERR_clear_error();
	t->done = t->shut = 0;
	t->deferred = 0;
	/*
	 * Lingering hands the descriptor on whatever lies below: a tunnel
	 * under a finished handshake holds nothing more to say.
	 */
	if (linger)
		acore__linger_close(d->loop, d->fd);
	else
		t->lower.tp->close(d, t->lower.ctx);
}

static void
tls_free(struct acore_dispatcher *d, void *ctx)
{
	struct tls_conn *t = ctx;

	if (t == NULL)
		return;
	if (t->lower.tp->free != NULL)
		t->lower.tp->free(d, t->lower.ctx);
	acore_tls_free(t->cfg);
	free(t->host);
	free(t);
	if (d->tp_ctx == t)
		d->tp_ctx = NULL;
}

/* Only TLS's own errors: a reset below is a disconnect already. */
static int
tls_is_cut(int err)
{
	return err == ACORE_ETLS_TRUNCATED;
}

static struct acore_layer *
tls_lower(void *ctx)
{
	return &((struct tls_conn *)ctx)->lower;
}

static const struct acore_transport tls_transport = {
	.name = "tls",
	.read = tls_read,
	.write = tls_write,
	.shutdown = tls_shutdown,
	.pending = tls_pending,
	.held = tls_held,
	.handshake = tls_handshake,
	.is_cut = tls_is_cut,
	.close = tls_close,
	.free = tls_free,
	.lower = tls_lower,
};

int
acore_tls_attach(struct acore_dispatcher *d, struct acore_tls *cfg,
    const char *servername)
{
	struct tls_conn *t;

	if (d->flags & ACORE_CLOSED)
		return -EBADF;
	/* Over a socket or a tunnel; TLS in TLS and files are not ours. */
	if (cfg == NULL || d->tp == &tls_transport ||
	    d->tp == &acore__file_transport || d->tp->read == NULL)
		return -EINVAL;
	if (d->flags & ACORE_ACCEPTING)
		return -EINVAL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -ENOMEM;
	if (servername != NULL && (t->host = strdup(servername)) == NULL) {
		free(t);
		return -ENOMEM;
	}
	t->cfg = cfg;
	t->d = d;
	t->lower.tp = d->tp;
	t->lower.ctx = d->tp_ctx;
	__atomic_fetch_add(&cfg->refs, 1, __ATOMIC_RELAXED);
	d->tp = &tls_transport;
	d->tp_ctx = t;
	/* A connected socket starts now; a connecting one once connected. */
	if (d->fd >= 0 && (d->flags & ACORE_CONNECTED))
		acore__start_handshake(d, cfg->server ? EV_READ : EV_WRITE);
	return 0;
}

int
acore_tls_established(const struct acore_dispatcher *d)
{
	const struct tls_conn *t;

	if (d->tp != &tls_transport)
		return 0;
	t = d->tp_ctx;
	return t->ssl != NULL && t->done;
}

const char *
acore_tls_protocol(const struct acore_dispatcher *d)
{
	const struct tls_conn *t = d->tp_ctx;

	return acore_tls_established(d) ? SSL_get_version(t->ssl) : NULL;
}

const char *
acore_tls_cipher(const struct acore_dispatcher *d)
{
	const struct tls_conn *t = d->tp_ctx;

	return acore_tls_established(d) ? SSL_get_cipher_name(t->ssl) : NULL;
}

size_t
acore_tls_alpn(const struct acore_dispatcher *d, const char **proto)
{
	const struct tls_conn *t = d->tp_ctx;
	const unsigned char *p = NULL;
	unsigned len = 0;

	if (acore_tls_established(d))
		SSL_get0_alpn_selected(t->ssl, &p, &len);
	*proto = len > 0 ? (const char *)p : NULL;
	return len;
}
