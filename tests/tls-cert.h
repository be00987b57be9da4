/*
 * tls-cert.h: what the C tests of TLS share: a self-signed certificate
 * for DNS:localhost (P-256), made at run time into two PEM files at
 * cert_path and key_path (unlink both at the end), and a client and a
 * listener that use it.
 */
#ifndef TLS_CERT_H
#define TLS_CERT_H

#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "acore.h"

static char cert_path[] = "/tmp/acore-test-tls-cert.XXXXXX";
static char key_path[] = "/tmp/acore-test-tls-key.XXXXXX";

/* A self-signed certificate for DNS:localhost, written to two PEM files. */
static int
make_cert(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_EXTENSION *ext;
	FILE *f;
	int fd, rc = -1;

	if (k == NULL || x == NULL)
		goto out;
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name,
	    "DNS:localhost");
	if (ext == NULL || !X509_add_ext(x, ext, -1) ||
	    !X509_sign(x, k, EVP_sha256())) {
		X509_EXTENSION_free(ext);
		goto out;
	}
	X509_EXTENSION_free(ext);
	if ((fd = mkstemp(cert_path)) < 0 || (f = fdopen(fd, "w")) == NULL)
		goto out;
	PEM_write_X509(f, x);
	fclose(f);
	if ((fd = mkstemp(key_path)) < 0 || (f = fdopen(fd, "w")) == NULL)
		goto out;
	PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	rc = 0;
out:
	X509_free(x);
	EVP_PKEY_free(k);
	return rc;
}

/*
 * A TLS listener on 127.0.0.1 (a channel with lops, on a new certificate)
 * and the client channel c on its way to it, verifying that certificate.
 * The configurations are the caller's to free after the loop, and the
 * certificate's files to unlink.  0, or -1 with no certificate.
 */
static inline int
tls_pair(struct acore_loop *loop, const struct acore_ops *lops,
    struct acore_dispatcher *c, struct acore_tls **srv,
    struct acore_tls **cli, struct acore_dispatcher **l)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (make_cert() < 0)
		return -1;
	*srv = acore_tls_new(1);
	acore_tls_set_cert(*srv, cert_path, key_path);
	*cli = acore_tls_new(0);
	acore_tls_set_ca(*cli, cert_path, NULL);
	*l = acore_dispatcher_new(loop, lops, NULL);
	acore_listen_host(*l, "127.0.0.1", "0", AF_INET, 4);
	getsockname(acore_fd(*l), (struct sockaddr *)&ss, &len);
	acore_tls_attach(c, *cli, "localhost");
	acore_create_socket(c, AF_INET, SOCK_STREAM);
	(void)acore_connect(c, (struct sockaddr *)&ss, len);
	return 0;
}

#endif /* TLS_CERT_H */
