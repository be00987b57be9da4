/*
 * http-upload.c: the run's body, made once from the options that the
 * request bodies (http-body.c) all read: -d and its family and --json as
 * one form in memory, -F as multipart/form-data with its parts' files
 * and streams, -T as a file or a stream.  The options themselves are
 * read in http-data.c.
 */
#include "config.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "acore.h"
#include "cmd.h"
#include "http.h"
#include "http-body.h"

static const char *
keep(struct hg_upload *u, char *s)
{
	char **ns;

	if (s == NULL || (ns = reallocarray(u->strs, u->nstrs + 1,
	    sizeof(*ns))) == NULL) {
		free(s);
		err(AC_EXIT_FAIL, "http-get");
	}
	u->strs = ns;
	u->strs[u->nstrs++] = s;
	return s;
}

static void
add_seg(struct hg_upload *u, const struct seg *s)
{
	struct seg *ns;

	if ((ns = reallocarray(u->segs, u->nsegs + 1, sizeof(*ns))) == NULL)
		err(AC_EXIT_FAIL, "http-get");
	u->segs = ns;
	u->segs[u->nsegs++] = *s;
	if (u->length >= 0)
		u->length = s->size < 0 ? -1 : u->length + s->size;
}

static void
add_mem(struct hg_upload *u, const char *p, size_t len)
{
	struct seg s = { .kind = SEG_MEM, .mem = p, .fd = -1,
	    .size = (int64_t)len };

	if (len > 0)
		add_seg(u, &s);
}

/*
 * A file to send: a regular file is read as it is sent (its size now);
 * stdin, a pipe or a device is a stream when streams may be (-T), else
 * read into memory now.  0, or an errno.
 */
static int
add_file(struct hg_upload *u, const char *path, int stream_ok)
{
	struct seg s = { .path = path };
	struct stat st;
	char *b;
	size_t len;
	int fd, e;

	fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : open(path,
	    O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		e = S_ISDIR(st.st_mode) ? EISDIR : errno;
		close(fd);
		return e;
	}
	if (S_ISREG(st.st_mode)) {
		s.kind = SEG_FILE;
		s.fd = fd;
		/* stdin from a file: from where it stands */
		s.start = strcmp(path, "-") == 0 ? lseek(fd, 0, SEEK_CUR) : 0;
		if (s.start < 0 || s.start > st.st_size)
			s.start = 0;
		s.size = (int64_t)(st.st_size - s.start);
		add_seg(u, &s);
		return 0;
	}
	if (stream_ok) {
		s.kind = SEG_STREAM;
		s.fd = fd;
		s.size = -1;
		add_seg(u, &s);
		return 0;
	}
	close(fd);
	if ((e = body_slurp(path, &b, &len)) != 0)
		return e;
	add_mem(u, keep(u, b), len);
	return 0;
}

/* curl's table: a file part's type from its name. */
static const char *
guess_type(const char *name)
{
	static const char *const types[] = {
		".gif", "image/gif", ".jpg", "image/jpeg",
		".jpeg", "image/jpeg", ".png", "image/png",
		".svg", "image/svg+xml", ".txt", "text/plain",
		".htm", "text/html", ".html", "text/html",
		".pdf", "application/pdf", ".xml", "application/xml",
		NULL
	};
	size_t i, n = strlen(name), m;

	for (i = 0; types[i] != NULL; i += 2) {
		m = strlen(types[i]);
		if (n > m && strcasecmp(name + n - m, types[i]) == 0)
			return types[i + 1];
	}
	return "application/octet-stream";
}

/* A name or file name in Content-Disposition: " CR LF as %22 %0D %0A. */
static void
put_quoted(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s != '\0'; s++)
		if (*s == '"')
			fputs("%22", fp);
		else if (*s == '\r')
			fputs("%0D", fp);
		else if (*s == '\n')
			fputs("%0A", fp);
		else
			fputc(*s, fp);
	fputc('"', fp);
}

/* -F: RFC 7578, each part's head in memory, files sent as they are. */
static int
make_form(struct hg_upload *u)
{
	unsigned char rnd[8];
	char boundary[48], *txt;
	size_t i, len;
	FILE *fp;
	const struct part *pt;
	int e;

	/* curl's shape: 24 dashes and 16 random hex digits */
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return errno != 0 ? errno : EIO;
	len = (size_t)snprintf(boundary, sizeof(boundary), "%s",
	    "------------------------");
	for (i = 0; i < sizeof(rnd); i++)
		len += (size_t)snprintf(boundary + len, sizeof(boundary) - len,
		    "%02x", rnd[i]);
	snprintf(u->type, sizeof(u->type), "multipart/form-data; "
	    "boundary=%s", boundary);
	for (i = 0; i < u->nparts; i++) {
		pt = &u->parts[i];
		txt = NULL;
		if ((fp = open_memstream(&txt, &len)) == NULL)
			return ENOMEM;
		fprintf(fp, "%s--%s\r\nContent-Disposition: form-data; name=",
		    i > 0 ? "\r\n" : "", boundary);
		put_quoted(fp, pt->name);
		if (pt->filename != NULL) {
			fputs("; filename=", fp);
			put_quoted(fp, pt->filename);
		}
		fputs("\r\n", fp);
		if (pt->type != NULL)
			fprintf(fp, "Content-Type: %s\r\n", pt->type);
		else if (pt->file != NULL && strcmp(pt->file, "-") != 0)
			fprintf(fp, "Content-Type: %s\r\n",
			    guess_type(pt->file));
		fputs("\r\n", fp);
		if (fclose(fp) != 0)
			return ENOMEM;
		add_mem(u, keep(u, txt), len);
		if (pt->file == NULL)
			add_mem(u, pt->value, pt->len);
		else if ((e = add_file(u, pt->file, 0)) != 0) {
			body_read_failed(u, pt->file, e);
			return e;
		}
	}
	if (asprintf(&txt, "%s--%s--\r\n", u->nparts > 0 ? "\r\n" : "",
	    boundary) < 0)
		return ENOMEM;
	len = strlen(txt);
	add_mem(u, keep(u, txt), len);
	return 0;
}

int
hg_upload_ready(struct hg *g)
{
	struct hg_upload *u = g->o.upload;
	int e = 0;

	if (u == NULL || u->kind == 0)
		return 0;
	if (u->err[0] == '\0') {
		u->length = 0;
		if (u->kind == 'd') {
			add_mem(u, u->data, u->datalen);
			if (!u->json)
				snprintf(u->type, sizeof(u->type), "%s",
				    "application/x-www-form-urlencoded");
		} else if (u->kind == 'F')
			e = make_form(u);
		else if ((e = add_file(u, u->path, 1)) != 0)
			body_read_failed(u, u->path, e);
	}
	if (u->err[0] == '\0' && e != 0)
		snprintf(u->err, sizeof(u->err), "%s", strerror(e));
	if (u->err[0] != '\0') {
		hg_warn(g, "http-get: cannot read %s", u->err);
		return AC_EXIT_READ;
	}
	return 0;
}

void
hg_upload_free(struct hg_upload *u)
{
	size_t i;

	if (u == NULL)
		return;
	for (i = 0; i < u->nsegs; i++)
		if (u->segs[i].kind != SEG_MEM)
			close(u->segs[i].fd);
	for (i = 0; i < u->nstrs; i++)
		free(u->strs[i]);
	for (i = 0; i < u->nparts; i++) {
		free(u->parts[i].name);
		free(u->parts[i].value);
		free(u->parts[i].file);
		free(u->parts[i].type);
		free(u->parts[i].filename);
	}
	free(u->parts);
	free(u->strs);
	free(u->segs);
	free(u->data);
	free(u);
}
