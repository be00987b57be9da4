/*
 * http-body.h: what http-data.c (the body options) and http-body.c (the
 * body assembled and read) share: the run's struct hg_upload.
 */
#ifndef ACORE_HTTP_BODY_H
#define ACORE_HTTP_BODY_H

#include <sys/types.h>
#include <stdint.h>

#include "http.h"

#define FORM_MAX	((size_t)1 << 30) /* form data read into memory */

enum { SEG_MEM, SEG_FILE, SEG_STREAM };

struct seg {
	int		 kind;
	const char	*mem;		/* SEG_MEM */
	int		 fd;		/* SEG_FILE, SEG_STREAM: ours */
	off_t		 start;		/* SEG_FILE: where the bytes begin */
	int64_t		 size;		/* -1: a stream's, unknown */
	const char	*path;		/* for messages */
};

/* -F name=...: one part of a multipart/form-data body. */
struct part {
	char		*name;
	char		*value;		/* text, or a file's bytes (<file) */
	size_t		 len;
	char		*file;		/* @file: sent as a file */
	char		*type;		/* ;type= */
	char		*filename;	/* ;filename= */
};

struct hg_upload {
	int		 kind;		/* 0, 'd' (-d family, --json), 'F', 'T' */
	int		 get;		/* -G */
	int		 json;
	const char	*method;	/* -X */
	int		 pieces;	/* -d family values seen */
	char		*data;		/* -d family: the form, assembled */
	size_t		 datalen, datacap;
	struct part	*parts;
	size_t		 nparts;
	const char	*path;		/* -T */
	char		 err[320];	/* first file that could not be read */
	/* Made by hg_upload_ready(). */
	struct seg	*segs;
	size_t		 nsegs;
	char		**strs;		/* memory the segments point into */
	size_t		 nstrs;
	int64_t		 length;	/* -1: a stream's, unknown */
	char		 type[96];	/* Content-Type; "" for none */
	int		 taken;		/* a stream's bytes were sent */
	const void	*owner;		/* the body reading the stream */
};

/* The first file that could not be read is the one reported. */
void	 body_read_failed(struct hg_upload *, const char *path, int e);
/* A whole file (or stdin, "-") into a malloc'ed *buf; 0 or an errno. */
int	 body_slurp(const char *path, char **buf, size_t *len);

#endif /* ACORE_HTTP_BODY_H */
