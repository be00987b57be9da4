/*
 * http-data.c: the request body options of acore http-get, as curl reads
 * them: -d and its family (--data-binary, --data-raw, --data-urlencode,
 * --json) assembled into one form, -F parts, -T, and -G and -X, which
 * change the URL and the method.  Form data named with @file (or <file
 * for -F) is read into memory here, as curl does: forms are small; -F
 * @file parts and -T are sent from the file as they go (http-body.c).
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
#include <unistd.h>

#include "cmd.h"
#include "http.h"
#include "http-body.h"

static struct hg_upload *
upload_of(struct hg_opts *o)
{
	if (o->upload == NULL && (o->upload = calloc(1,
	    sizeof(*o->upload))) == NULL)
		err(AC_EXIT_FAIL, "http-get");
	return o->upload;
}

void
body_read_failed(struct hg_upload *u, const char *path, int e)
{
	if (u->err[0] == '\0')
		snprintf(u->err, sizeof(u->err), "%s: %s", strcmp(path,
		    "-") == 0 ? "stdin" : path, strerror(e));
}

int
body_slurp(const char *path, char **buf, size_t *len)
{
	struct stat st;
	size_t cap = 0, n = 0;
	char *b = NULL, *nb;
	ssize_t r;
	int fd, e = 0;

	fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path,
	    O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
		e = EISDIR;
	while (e == 0) {
		if (n == cap) {
			cap = cap == 0 ? 4096 : cap * 2;
			if (cap > FORM_MAX) {
				e = EFBIG;
				break;
			}
			if ((nb = realloc(b, cap + 1)) == NULL) {
				e = ENOMEM;
				break;
			}
			b = nb;
		}
		if ((r = read(fd, b + n, cap - n)) < 0 && errno == EINTR)
			continue;
		if (r < 0)
			e = errno;
		else if (r == 0)
			break;
		else
			n += (size_t)r;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (e != 0) {
		free(b);
		return e;
	}
	if (b == NULL && (b = malloc(1)) == NULL)
		return ENOMEM;
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

static void
data_add(struct hg_upload *u, const char *p, size_t len)
{
	size_t cap = u->datacap;
	char *nd;

	if (len > FORM_MAX - u->datalen)
		errx(AC_EXIT_USAGE, "http-get: the -d data is over 1 GiB");
	while (u->datalen + len + 1 > cap)
		cap = cap == 0 ? 256 : cap * 2;
	if (u->data == NULL || cap != u->datacap) {
		if ((nd = realloc(u->data, cap)) == NULL)
			err(AC_EXIT_FAIL, "http-get");
		u->data = nd;
		u->datacap = cap;
	}
	if (len > 0)
		memcpy(u->data + u->datalen, p, len);
	u->datalen += len;
	u->data[u->datalen] = '\0';
}

/* --data-urlencode: as curl, unreserved bytes kept, space '+'. */
static void
data_add_encoded(struct hg_upload *u, const char *p, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[3];
	size_t i;
	unsigned char ch;

	for (i = 0; i < len; i++) {
		ch = (unsigned char)p[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch) != NULL)
			data_add(u, p + i, 1);
		else if (ch == ' ')
			data_add(u, "+", 1);
		else {
			e[0] = '%';
			e[1] = hex[ch >> 4];
			e[2] = hex[ch & 15];
			data_add(u, e, 3);
		}
	}
}

/* One -d family value (curl's rules for each option). */
static void
data_option(struct hg_upload *u, enum hg_body_opt opt, const char *arg)
{
	const char *sep = NULL, *content = arg;
	char *file = NULL, *w, *r;
	size_t len = strlen(arg), nlen = 0;
	int e;

	/* --json pieces follow each other as they are; the rest take '&'. */
	if (u->pieces++ > 0 && opt != HG_JSON)
		data_add(u, "&", 1);
	if (opt == HG_DATA_URLENCODE) {
		/* content, =content, name=content, @file, name@file */
		if ((sep = strchr(arg, '=')) == NULL)
			sep = strchr(arg, '@');
		nlen = sep != NULL ? (size_t)(sep - arg) : 0;
		content = sep != NULL ? sep + 1 : arg;
		len = strlen(content);
	} else if (opt != HG_DATA_RAW && *arg == '@') {
		content = arg + 1;
		sep = arg;
	}
	if (sep != NULL && *sep == '@') {
		if ((e = body_slurp(content, &file, &len)) != 0) {
			body_read_failed(u, content, e);
			return;
		}
		/* -d @file: carriage returns and newlines do not count */
		if (opt == HG_DATA && file != NULL) {
			for (r = w = file; r < file + len; r++)
				if (*r != '\r' && *r != '\n')
					*w++ = *r;
			len = (size_t)(w - file);
		}
		content = file != NULL ? file : "";
	}
	if (opt == HG_DATA_URLENCODE) {
		if (nlen > 0) {
			data_add(u, arg, nlen);
			data_add(u, "=", 1);
		}
		data_add_encoded(u, content, len);
	} else
		data_add(u, content, len);
	free(file);
}

/*
 * A -F word: up to ';' or the end, or "quoted" with \ escaping; *p moves
 * past it.  Malloc'ed.
 */
static char *
form_word(const char **p)
{
	const char *s = *p;
	char *w, *o;

	if ((w = malloc(strlen(s) + 1)) == NULL)
		err(AC_EXIT_FAIL, "http-get");
	o = w;
	if (*s == '"') {
		for (s++; *s != '\0' && *s != '"'; s++) {
			if (*s == '\\' && s[1] != '\0')
				s++;
			*o++ = *s;
		}
		if (*s == '"')
			s++;
		s += strcspn(s, ";");
	} else
		while (*s != '\0' && *s != ';')
			*o++ = *s++;
	*o = '\0';
	*p = s;
	return w;
}

/*
 * -F name=value, name=@file, name=<file, each with ;type= ;filename=.
 * gcc 12 -fanalyzer loses the part's strings once they are in u->parts
 * (grown by reallocarray) and reports them leaked on the exit(3) paths
 * and the returns: they are freed by hg_upload_free().
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif
static void
form_option(struct hg_upload *u, const char *arg)
{
	const char *eq = strchr(arg, '='), *p;
	struct part *np, *pt;
	char *v;
	int how, e;

	if (eq == NULL || eq == arg)
		cmd_usage_error(&acore_cmd_http_get, "-F '%s': want "
		    "name=value, name=@file or name=<file", arg);
	if ((np = reallocarray(u->parts, u->nparts + 1, sizeof(*np))) ==
	    NULL)
		err(AC_EXIT_FAIL, "http-get");
	u->parts = np;
	pt = &u->parts[u->nparts++];
	memset(pt, 0, sizeof(*pt));
	if ((pt->name = strndup(arg, (size_t)(eq - arg))) == NULL)
		err(AC_EXIT_FAIL, "http-get");
	p = eq + 1;
	how = *p == '@' || *p == '<' ? *p++ : 0;
	v = form_word(&p);
	while (*p == ';') {
		p++;
		if (strncasecmp(p, "type=", 5) == 0 && pt->type == NULL) {
			p += 5;
			pt->type = form_word(&p);
		} else if (strncasecmp(p, "filename=", 9) == 0 &&
		    pt->filename == NULL) {
			p += 9;
			pt->filename = form_word(&p);
		} else
			cmd_usage_error(&acore_cmd_http_get, "-F '%s': "
			    "unknown parameter (type= and filename= are "
			    "known)", arg);
	}
	if (how == '@') {
		pt->file = v;
		if (pt->filename == NULL && (pt->filename = strdup(strrchr(v,
		    '/') != NULL ? strrchr(v, '/') + 1 : v)) == NULL)
			err(AC_EXIT_FAIL, "http-get");
		return;
	}
	if (how == '<') {
		if ((e = body_slurp(v, &pt->value, &pt->len)) != 0)
			body_read_failed(u, v, e);
		free(v);
		return;
	}
	pt->value = v;
	pt->len = strlen(v);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

void
hg_body_option(struct hg_opts *o, enum hg_body_opt opt, const char *arg)
{
	struct hg_upload *u = upload_of(o);
	int kind = opt == HG_FORM ? 'F' : opt == HG_UPLOAD_FILE ? 'T' : 'd';

	switch (opt) {
	case HG_GET:
		u->get = 1;
		return;
	case HG_METHOD:
		if (*arg == '\0' || strcspn(arg, " \t\r\n") != strlen(arg) ||
		    !hg_value_ok(arg))
			cmd_usage_error(&acore_cmd_http_get, "bad method '%s'",
			    arg);
		u->method = arg;
		return;
	default:
		break;
	}
	if (u->kind != 0 && u->kind != kind)
		cmd_usage_error(&acore_cmd_http_get, "-d (and --json), -F and "
		    "-T cannot be combined: one request body");
	if (kind == 'T' && u->kind == 'T')
		cmd_usage_error(&acore_cmd_http_get, "-T given twice: one "
		    "request body");
	u->kind = kind;
	if (opt == HG_JSON)
		u->json = 1;
	if (kind == 'd')
		data_option(u, opt, arg);
	else if (kind == 'F')
		form_option(u, arg);
	else
		u->path = arg;
}

int
hg_body_json(const struct hg_opts *o)
{
	return o->upload != NULL && o->upload->json;
}

void
hg_body_check(const struct hg_opts *o)
{
	const struct hg_upload *u = o->upload;

	if (u == NULL)
		return;
	if (u->get && u->kind != 0 && u->kind != 'd')
		cmd_usage_error(&acore_cmd_http_get, "-G puts -d data in the "
		    "URL: not with -F or -T");
	if (u->kind != 0 && !u->get && o->head)
		cmd_usage_error(&acore_cmd_http_get, "-I sends HEAD: not with "
		    "a request body");
	if (u->kind != 0 && !u->get && o->http10)
		cmd_usage_error(&acore_cmd_http_get, "--http1.0 sends the bare "
		    "GET: not with a request body");
	if (u->method != NULL && o->http10)
		cmd_usage_error(&acore_cmd_http_get, "--http1.0 sends the bare "
		    "GET: not with -X");
}

/* ---------------------------------------------------------------- URLs */

/* Percent-encoded, RFC 3986 unreserved bytes as they are. */
static void
put_encoded(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++)
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("-._~", *s) != NULL)
			fputc(*s, fp);
		else
			fprintf(fp, "%%%02X", (unsigned char)*s);
}

char *
hg_upload_url(const struct hg_opts *o, const char *url)
{
	const struct hg_upload *u = o->upload;
	const char *auth, *path, *query, *frag, *base;
	size_t len;
	char *out = NULL;
	FILE *fp;

	if (u == NULL || !((u->get && u->kind == 'd') || (u->kind == 'T' &&
	    strcmp(u->path, "-") != 0)))
		return NULL;
	/* scheme://authority, then the path, the query and the fragment */
	auth = strstr(url, "://");
	auth = auth != NULL ? auth + 3 : url;
	path = auth + strcspn(auth, "/?#");
	query = path + strcspn(path, "?#");
	frag = query + strcspn(query, "#");
	if (u->kind == 'T' && query > path && query[-1] != '/')
		return NULL;
	if ((fp = open_memstream(&out, &len)) == NULL)
		return NULL;
	fwrite(url, 1, (size_t)(query - url), fp);
	if (u->kind == 'T') {
		/* PUT to a directory: the file's name, as curl */
		if (query == path)
			fputc('/', fp);
		base = strrchr(u->path, '/');
		put_encoded(fp, base != NULL ? base + 1 : u->path);
		fwrite(query, 1, (size_t)(frag - query), fp);
	} else {
		/* -G: the data joins the query; a fragment is never sent */
		fwrite(query, 1, (size_t)(frag - query), fp);
		fputc(frag > query ? '&' : '?', fp);
		fwrite(u->data != NULL ? u->data : "", 1, u->datalen, fp);
	}
	if (fclose(fp) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

const char *
hg_method(const struct hg_opts *o, const struct hg_job *j)
{
	const struct hg_upload *u = o->upload;

	if (u != NULL && u->method != NULL)
		return u->method;
	if (o->head)
		return "HEAD";
	if (hg_sends_body(o, j))
		return u->kind == 'T' ? "PUT" : "POST";
	return "GET";
}

int
hg_body_any(const struct hg_opts *o)
{
	const struct hg_upload *u = o->upload;

	return u != NULL && u->kind != 0 && !u->get;
}

int
hg_sends_body(const struct hg_opts *o, const struct hg_job *j)
{
	const struct hg_upload *u = o->upload;

	return u != NULL && u->kind != 0 && !u->get && !j->to_get;
}

void
hg_body_redirected(const struct hg_opts *o, struct hg_job *j)
{
	const struct hg_upload *u = o->upload;
	int post, head;

	/* the method as if no -X were given, as curl decides */
	post = hg_sends_body(o, j) && u->kind != 'T';
	head = o->head && !hg_sends_body(o, j);
	if ((j->status == 303 && !head) ||
	    ((j->status == 301 || j->status == 302) && post))
		j->to_get = 1;
}

