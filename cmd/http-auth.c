/*
 * http-auth.c: who http-get says it is and what it remembers: -u and URL
 * credentials (Basic, or Digest after the server's challenge), .netrc,
 * the cookie jar (-b, -c) and -e's Referer.
 *
 * Credentials follow curl's order: -u, then --netrc (which overrides the
 * URL's), then the URL's own user:password@.  -u's go to the first URL's
 * origin only, as -H's do (http-req.c), unless --location-trusted; a
 * .netrc entry is for its host wherever a redirect leads; a URL's are
 * that URL's.  The wire formats (cookies, netrc, challenges) are
 * libahttp's; this file holds what is per run.
 */
#include "config.h"

#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "acore.h"
#include "cmd.h"
#include "http.h"

#define MAX_FILE	(16 * 1024 * 1024)	/* a cookie or netrc file */
#define DIGEST_TRIES	3	/* 401s answered per job (stale nonces) */

struct hg_auth {
	char		*user;		/* -u */
	char		*password;
	char		*netrc;		/* the .netrc file's text */
	size_t		 netrclen;
	struct ahttp_jar *jar;		/* -b or -c: NULL without */
};

/* path's text (NUL-terminated); NULL with errno. */
static char *
slurp(const char *path, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	size_t have = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || (st.st_size > MAX_FILE && (errno = EFBIG)) ||
	    (buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	while (have < (size_t)st.st_size && (n = read(fd, buf + have,
	    (size_t)st.st_size - have)) > 0)
		have += (size_t)n;
	close(fd);
	buf[have] = '\0';
	*len = have;
	return buf;
}

/* The password for -u user (no ":"), asked on the terminal, no echo. */
static char *
prompt(const char *user)
{
	char q[600], buf[1024], *pw;

	snprintf(q, sizeof(q), "Enter host password for user '%s':", user);
	/* No terminal: an empty password, as curl does. */
	if (cmd_ask_tty(q, buf, sizeof(buf)) < 0)
		return strdup("");
	pw = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return pw;
}

void
hg_auth_init(struct hg *g)
{
	struct hg_opts *o = &g->o;
	struct hg_auth *a;
	const char *colon, *why, *home, *path;
	char *text, *def = NULL;
	size_t len, bad;
	int i;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		err(AC_EXIT_FAIL, "http-get");
	o->auth = a;
	if (o->userpwd != NULL) {
		colon = strchr(o->userpwd, ':');
		if ((a->user = strndup(o->userpwd, colon != NULL ?
		    (size_t)(colon - o->userpwd) : strlen(o->userpwd))) ==
		    NULL)
			err(AC_EXIT_FAIL, "http-get");
		if (colon != NULL && (a->password = strdup(colon + 1)) ==
		    NULL)
			err(AC_EXIT_FAIL, "http-get");
	}
	if (o->netrc) {
		path = o->netrc_file;
		if (path == NULL) {
			if ((home = getenv("HOME")) == NULL)
				home = "";
			if (asprintf(&def, "%s/.netrc", home) < 0)
				err(AC_EXIT_FAIL, "http-get");
			path = def;
		}
		/* A missing default file is no error; a named one is. */
		if ((a->netrc = slurp(path, &a->netrclen)) == NULL &&
		    (errno != ENOENT || o->netrc_file != NULL))
			err(AC_EXIT_FAIL, "http-get: %s", path);
		free(def);
	}
	/* -u user alone: ask, unless .netrc may know the password. */
	if (a->user != NULL && a->password == NULL && !o->netrc &&
	    (a->password = prompt(a->user)) == NULL)
		err(AC_EXIT_FAIL, "http-get");
	if (o->ncookies == 0 && o->cookie_jar == NULL)
		return;
	if ((a->jar = ahttp_jar_new()) == NULL)
		err(AC_EXIT_FAIL, "http-get");
	for (i = 0; i < o->ncookies; i++) {
		/* curl's rule: with a '=' it is cookies, else a file. */
		if (strchr(o->cookies[i], '=') != NULL) {
			if (ahttp_jar_given(a->jar, o->cookies[i], &why) < 0)
				cmd_usage_error(&acore_cmd_http_get, "-b: %s",
				    why != NULL ? why : "out of memory");
			continue;
		}
		/* A file not there yet starts an empty jar, as in curl. */
		if ((text = slurp(o->cookies[i], &len)) == NULL) {
			if (errno == ENOENT)
				continue;
			err(AC_EXIT_FAIL, "http-get: %s", o->cookies[i]);
		}
		if (ahttp_jar_load(a->jar, text, len, (int64_t)time(NULL),
		    &bad) < 0)
			err(AC_EXIT_FAIL, "http-get");
		free(text);
	}
}

/* A secure context for cookies: https, or this machine (as curl). */
static int
secure(const struct ahttp_url *u)
{
	return u->tls || strcmp(u->host, "127.0.0.1") == 0 ||
	    strcmp(u->host, "::1") == 0 || strcasecmp(u->host, "localhost") ==
	    0;
}

/* Who j is for its URL now: user and password (NULL: nobody). */
static void
credentials(const struct hg_opts *o, const struct hg_job *j,
    char **tofree, const char **user, const char **password)
{
	const struct hg_auth *a = o->auth;
	const struct ahttp_url *u;
	char *l = NULL, *p = NULL;
	int first = o->trusted || j->redirects == 0 ||
	    ahttp_url_same_origin(&j->first, &j->u);

	*user = *password = NULL;
	*tofree = NULL;
	if (a->user != NULL && first) {
		*user = a->user;
		*password = a->password != NULL ? a->password : "";
		/* -u user --netrc: that user's password for this host */
		if (a->password == NULL && a->netrc != NULL &&
		    ahttp_netrc_find(a->netrc, a->netrclen, j->u.host, a->user,
		    &l, tofree, NULL) == 0 && *tofree != NULL)
			*password = *tofree;
		free(l);
		return;
	}
	if (a->netrc != NULL && ahttp_netrc_find(a->netrc, a->netrclen,
	    j->u.host, NULL, &l, &p, NULL) == 0 && l != NULL) {
		/* l and p live in tofree: "login\0password" */
		if (asprintf(tofree, "%s%c%s", l, '\0', p != NULL ? p : "") >=
		    0) {
			*user = *tofree;
			*password = *tofree + strlen(l) + 1;
		}
		free(l);
		free(p);
		return;
	}
	free(l);
	free(p);
	/* The URL's own, or the first URL's on its origin. */
	u = j->u.user != NULL ? &j->u : j->redirects > 0 && first ?
	    &j->first : NULL;
	if (u != NULL && u->user != NULL) {
		*user = u->user;
		*password = u->password != NULL ? u->password : "";
	}
}

int
hg_auth_keep_open(const struct hg_opts *o, const struct hg_job *j)
{
	return o->digest && j->digest.nonce == NULL;
}

/* 16 random bytes in hex: Digest's client nonce. */
static void
cnonce(char out[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	int i;

	if (getentropy(b, sizeof(b)) < 0)
		err(AC_EXIT_FAIL, "http-get: getentropy");
	for (i = 0; i < 16; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[32] = '\0';
}

int
hg_auth_fields(const struct hg_opts *o, struct hg_job *j, struct hg_req *r,
    int has_auth, int has_cookie, int has_referer, int withheld)
{
	const struct hg_auth *a = o->auth;
	const char *user, *password;
	char *tofree, *mem = NULL, cn[33];
	const char *body;
	size_t blen;
	int rc = 0;

	credentials(o, j, &tofree, &user, &password);
	if (user != NULL && !has_auth) {
		if (!o->digest)
			r->auth = ahttp_basic(user, password);
		else if (j->digest.nonce != NULL) {
			cnonce(cn);
			/*
			 * auth-int hashes the body: only one held in memory
			 * (NULL otherwise, so qop=auth is taken, or
			 * -ENOTSUP when the server offers auth-int alone).
			 */
			body = "";
			blen = 0;
			if (j->rbody != NULL && hg_sends_body(o, j) &&
			    (rc = hg_body_memory(j->rbody, &mem, &blen)) <= 0)
				body = NULL;
			else if (mem != NULL)
				body = mem;
			if (rc >= 0)
				rc = ahttp_digest_response(&j->digest, user,
				    password, r->method, r->target, cn, body,
				    blen, &r->auth);
			free(mem);
		}
		if (rc == 0 && (o->digest ? j->digest.nonce != NULL : 1) &&
		    r->auth == NULL)
			rc = -ENOMEM;
	}
	free(tofree);
	if (rc < 0)
		return rc;
	if (a->jar != NULL && !has_cookie && ahttp_jar_header(a->jar,
	    j->u.host, j->u.target, secure(&j->u), !withheld,
	    (int64_t)time(NULL), &r->cookie) < 0)
		return -ENOMEM;
	if (!has_referer) {
		if (o->referer_auto && j->prev_url != NULL)
			r->referer = j->prev_url;
		else if (o->referer != NULL && *o->referer != '\0')
			r->referer = o->referer;
	}
	return 0;
}

int
hg_auth_verdict(struct hg *g, struct hg_job *j, const struct hg_head *h,
    struct hg_verdict *v)
{
	const struct hg_auth *a = g->o.auth;
	struct ahttp_field f;
	struct ahttp_digest d;
	const char *user, *password;
	char *tofree;
	size_t pos = 0;
	int rc, any = 0, stale = 0;

	while (a->jar != NULL && h->next(h, &pos, &f))
		if (f.namelen == 10 && strncasecmp(f.name, "set-cookie", 10) ==
		    0 && ahttp_jar_set(a->jar, f.value, f.valuelen, j->u.host,
		    j->u.target, secure(&j->u), (int64_t)time(NULL), NULL) < 0)
			return -ENOMEM;
	if (h->status != 401 || !g->o.digest || j->auth_tries >= DIGEST_TRIES)
		return 0;
	credentials(&g->o, j, &tofree, &user, &password);
	free(tofree);
	if (user == NULL)
		return 0;
	/* Answer a first challenge, and a stale nonce's new one. */
	memset(&d, 0, sizeof(d));
	for (pos = 0; h->next(h, &pos, &f); )
		if (f.namelen == 16 && strncasecmp(f.name, "www-authenticate",
		    16) == 0 && (rc = ahttp_auth_parse(f.value, f.valuelen,
		    &d)) == -ENOMEM) {
			ahttp_digest_free(&d);
			return rc;
		}
	any = d.nonce != NULL;
	stale = any && d.stale;
	if (!any || (j->digest.nonce != NULL && !stale)) {
		ahttp_digest_free(&d);
		return 0;	/* the 401 stands */
	}
	ahttp_digest_free(&j->digest);
	j->digest = d;
	j->auth_tries++;
	v->again = 1;
	v->discard = 1;
	return 1;
}

static int
fwrite_sink(void *arg, const void *buf, size_t len)
{
	return fwrite(buf, 1, len, arg) == len ? 0 : 1;
}

/* -c: the jar into FILE, through a temporary file, mode 0600. */
static int
save_jar(const struct hg_auth *a, const char *path)
{
	char *tmp;
	FILE *fp;
	int fd, rc, saved;

	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return -ENOMEM;
	if ((fd = mkstemp(tmp)) < 0) {
		rc = -errno;
		free(tmp);
		return rc;
	}
	(void)fchmod(fd, 0600);
	if ((fp = fdopen(fd, "w")) == NULL) {
		rc = -errno;
		close(fd);
		unlink(tmp);
		free(tmp);
		return rc;
	}
	rc = ahttp_jar_save(a->jar, (int64_t)time(NULL), fwrite_sink, fp);
	saved = errno;
	if (fclose(fp) != 0 && rc == 0)
		rc = -errno;
	else if (rc > 0)
		rc = saved != 0 ? -saved : -EIO;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

int
hg_auth_finish(struct hg *g, int status)
{
	struct hg_auth *a = g->o.auth;
	int rc;

	if (a == NULL)
		return status;
	if (a->jar != NULL && g->o.cookie_jar != NULL &&
	    (rc = save_jar(a, g->o.cookie_jar)) < 0) {
		hg_warn(g, "http-get: %s: %s", g->o.cookie_jar,
		    acore_strerror(rc));
		if (status == AC_EXIT_OK)
			status = AC_EXIT_WRITE;
	}
	free(a->user);
	if (a->password != NULL)
		explicit_bzero(a->password, strlen(a->password));
	free(a->password);
	if (a->netrc != NULL)
		explicit_bzero(a->netrc, a->netrclen);
	free(a->netrc);
	ahttp_jar_free(a->jar);
	free(a);
	g->o.auth = NULL;
	return status;
}
