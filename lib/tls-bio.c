/*
 * tls-bio.c: the BIO between OpenSSL and the layer below a TLS channel
 * (the socket, or a proxy tunnel over it), as libevent's
 * bufferevent_openssl_filter_new puts OpenSSL over another bufferevent.
 *
 * The BIO also does the read-ahead, not OpenSSL: one lower read of up to
 * TLS_RBUF bytes, handed to OpenSSL a record header and a record body at
 * a time.  OpenSSL's own read-ahead moves what is left of its buffer to
 * the front before each record (ssl3_read_n), which for the eight records
 * of a 128 KiB recv copies each byte 3.5 times over; ours copies it once.
 * The buffer is freed as soon as it drains, so an idle channel holds none.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>

#include "acore-internal.h"
#include "tls.h"

static BIO_METHOD *bio_method;
static pthread_once_t bio_once = PTHREAD_ONCE_INIT;

/*
 * The lower layer's answer as a BIO's: -EAGAIN is a retry, another error
 * sets errno (tls_error reads it) and returns -1.
 */
static int
bio_result(BIO *b, ssize_t n, int write)
{
	if (n >= 0)
		return (int)n;
	if (n == -EAGAIN) {
		if (write)
			BIO_set_retry_write(b);
		else
			BIO_set_retry_read(b);
	}
	errno = n == -EAGAIN ? EAGAIN : (int)-n;
	return -1;
}

static int
bio_write(BIO *b, const char *buf, int len)
{
	struct tls_conn *t = BIO_get_data(b);

	BIO_clear_retry_flags(b);
	return bio_result(b, t->lower.tp->write(t->d, t->lower.ctx, buf,
	    (size_t)len), 1);
}

void
acore__tls_rbuf_drop(struct tls_conn *t)
{
	free(t->rbuf);
	t->rbuf = NULL;
	t->roff = t->rlen = 0;
}

/*
 * Whether the read-ahead holds a whole record.  OpenSSL (no read-ahead of
 * its own) takes one record at a time and stops at its end, so rbuf starts
 * at a record header whenever OpenSSL is not inside a call.  A part of a
 * record is no reason to dispatch again: the rest is still to come from
 * the socket, whose readiness will say so, and dispatching on it anyway
 * spins a loop pass and a recv per wakeup while the peer is slower than we
 * are.  A header that does not parse counts as whole: OpenSSL says why.
 */
int
acore__tls_rbuf_has_record(const struct tls_conn *t)
{
	const unsigned char *p;
	size_t avail;

	if (t->rbuf == NULL)
		return 0;
	p = (const unsigned char *)t->rbuf + t->roff;
	avail = t->rlen - t->roff;
	if (avail < TLS_RECORD_HEADER)
		return 0;
	if (p[0] < 20 || p[0] > 24 || p[1] != 3)
		return 1;
	return avail >= TLS_RECORD_HEADER + ((size_t)p[3] << 8 | p[4]);
}

static int
bio_read(BIO *b, char *buf, int len)
{
	struct tls_conn *t = BIO_get_data(b);
	ssize_t n;
	size_t take;

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	if (t->rbuf == NULL) {
		if ((t->rbuf = malloc(TLS_RBUF)) == NULL) {
			/* No room for read-ahead: read what OpenSSL asks. */
			n = t->lower.tp->read(t->d, t->lower.ctx, buf,
			    (size_t)len);
			goto out;
		}
		n = t->lower.tp->read(t->d, t->lower.ctx, t->rbuf, TLS_RBUF);
		if (n <= 0) {
			acore__tls_rbuf_drop(t);
			goto out;
		}
		t->rlen = (size_t)n;
	}
	take = t->rlen - t->roff;
	if (take > (size_t)len)
		take = (size_t)len;
	memcpy(buf, t->rbuf + t->roff, take);
	if ((t->roff += take) == t->rlen)
		acore__tls_rbuf_drop(t);
	return (int)take;
out:
	if (n == 0)
		BIO_set_flags(b, BIO_FLAGS_IN_EOF);
	return bio_result(b, n, 0);
}

static long
bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct tls_conn *t;

	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_PENDING:
		t = BIO_get_data(b);
		return (long)(t->rlen - t->roff);
	case BIO_CTRL_EOF:
		/* OpenSSL asks this to tell a truncation from a retry. */
		return BIO_test_flags(b, BIO_FLAGS_IN_EOF) != 0;
	default:
		return 0;
	}
}

static int
bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static void
bio_init_method(void)
{
	BIO_METHOD *m;

	m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
	    "acore lower transport");
	if (m == NULL)
		return;
	if (!BIO_meth_set_write(m, bio_write) ||
	    !BIO_meth_set_read(m, bio_read) ||
	    !BIO_meth_set_ctrl(m, bio_ctrl) ||
	    !BIO_meth_set_create(m, bio_create)) {
		BIO_meth_free(m);
		return;
	}
	bio_method = m;
}

/* A BIO over t's lower layer (NULL: out of memory). */
BIO *
acore__tls_bio_new(struct tls_conn *t)
{
	BIO *bio;

	pthread_once(&bio_once, bio_init_method);
	if (bio_method == NULL || (bio = BIO_new(bio_method)) == NULL)
		return NULL;
	BIO_set_data(bio, t);
	return bio;
}
