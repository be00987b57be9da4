/*
 * cat-file.c: acore cat-file: copy files to stdout through a
 * file_dispatcher, like cat(1); --show-reads prints each read the way the
 * PyMOTW FileReader example does.
 *
 * Zero copy: when nothing looks at the bytes (no -r, no -v) and the input
 * is a regular file, each read event moves its chunk with one system call
 * that never brings the bytes into user space: sendfile(2) into a pipe or
 * a TCP socket, copy_file_range(2) into a regular file.  Everything else (a
 * pipe or socket as input, a tty, /dev/null, a file opened for appending)
 * reads and writes as before, and so does a file whose first such call
 * fails (EINVAL, ENOSYS, EXDEV, ...): that call moved nothing, so the copy
 * takes over at the same offset.
 */
#include "config.h"

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acore.h"
#include "cmd.h"

#define DEFAULT_CHUNK	(128 * 1024)	/* what cat(1) reads at a time */
#define MAX_CHUNK	(64 * 1024 * 1024)

enum zero_copy { ZC_NONE, ZC_SENDFILE, ZC_COPY_RANGE };

struct reader {
	const char	*path;		/* for messages; "-" is stdin */
	char		*buf;
	size_t		 chunk;
	int		 show_reads;
	enum zero_copy	 zc;		/* this file's way, or none */
	int		 status;	/* AC_EXIT_* for this file */
	int		 write_err;	/* first error writing stdout */
};

/*
 * Output errors end the command: nothing more can be delivered.  The
 * channel is closed (so the input's descriptor flags are restored) and
 * the error is reported once, by cmd_main.
 */
static int
emit(struct acore_dispatcher *d, struct reader *r, const void *p, size_t len)
{
	int rc;

	if (r->write_err != 0)
		return -1;
	if ((rc = cmd_write_all(STDOUT_FILENO, p, len)) < 0) {
		r->write_err = rc;
		acore_close(d);
		return -1;
	}
	return 0;
}

/* READ: (N) "data" -- data raw, as Python 2's print shows it. */
static void
show_read(struct acore_dispatcher *d, struct reader *r, size_t n)
{
	char head[32];
	int hl;

	hl = snprintf(head, sizeof(head), "READ: (%zu) \"", n);
	if (emit(d, r, head, (size_t)hl) == 0 && emit(d, r, r->buf, n) == 0)
		emit(d, r, "\"\n", 2);
}

/*
 * Whether fd is a Unix-domain socket.  sendfile(2) into one copies the
 * bytes all the same (only TCP takes page references), through splice's
 * pipe on the way: bench/cat-file.sh measured it 10-20% slower than
 * read(2) and write(2), so it gets the copy.
 */
static int
unix_socket(int fd)
{
	int domain;
	socklen_t len = sizeof(domain);

	return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 &&
	    domain == AF_UNIX;
}

/*
 * The zero-copy call for in (a regular file) into standard output, or
 * ZC_NONE: a tty or a character device (/dev/null) or anything else gets
 * the copy, and so does an O_APPEND file (copy_file_range refuses it).
 */
static enum zero_copy
zero_copy_for(int in)
{
	struct stat si, so;
	int fl;

	if (fstat(in, &si) < 0 || !S_ISREG(si.st_mode) ||
	    fstat(STDOUT_FILENO, &so) < 0)
		return ZC_NONE;
	if (S_ISFIFO(so.st_mode) || (S_ISSOCK(so.st_mode) &&
	    !unix_socket(STDOUT_FILENO)))
		return ZC_SENDFILE;
	if (S_ISREG(so.st_mode) &&
	    (fl = fcntl(STDOUT_FILENO, F_GETFL)) >= 0 && !(fl & O_APPEND))
		return ZC_COPY_RANGE;
	return ZC_NONE;
}

/*
 * One chunk without the copy: 1 when this read event is done, 0 when the
 * copy must do it (end of file, which acore_recv reports as usual, or a
 * call the system refused, after which this file is copied).
 */
static int
zero_copy(struct acore_dispatcher *d, struct reader *r)
{
	struct pollfd pfd = { STDOUT_FILENO, POLLOUT, 0 };
	ssize_t n;

	if (r->zc == ZC_SENDFILE)
		n = sendfile(STDOUT_FILENO, acore_fd(d), NULL, r->chunk);
	else
		n = copy_file_range(acore_fd(d), NULL, STDOUT_FILENO, NULL,
		    r->chunk, 0);
	if (n > 0)
		return 1;
	if (n < 0 && errno == EINTR)
		return 1;
	/* An inherited non-blocking stdout, full: as cmd_write_all. */
	if (n < 0 && errno == EAGAIN) {
		(void)poll(&pfd, 1, -1);
		return 1;
	}
	/*
	 * EINVAL, ENOSYS, EXDEV, EOPNOTSUPP, or a real error (EIO, ENOSPC,
	 * EPIPE) that the copy meets again and reports as it always did:
	 * a failed call moved nothing.
	 */
	if (n < 0)
		r->zc = ZC_NONE;
	return 0;
}

static void
r_read(struct acore_dispatcher *d, void *arg)
{
	struct reader *r = arg;
	ssize_t n;

	if (r->zc != ZC_NONE && zero_copy(d, r))
		return;
	n = acore_recv(d, r->buf, r->chunk);
	if (n == -EAGAIN)
		return;
	if (n < 0)
		return;		/* r_error reported it */
	if (cmd_is_verbose())
		acore_debug(d, "handle_read() -> %zd bytes", n);
	if (r->show_reads)
		show_read(d, r, (size_t)n);
	else if (n > 0)
		emit(d, r, r->buf, (size_t)n);
}

static void
r_close(struct acore_dispatcher *d, void *arg)
{
	(void)arg;
	acore_debug(d, "handle_close()");
	acore_close(d);
}

static void
r_error(struct acore_dispatcher *d, int err, void *arg)
{
	struct reader *r = arg;

	warnx("cat-file: %s: %s", r->path, acore_strerror(err));
	r->status = AC_EXIT_FAIL;
	acore_close(d);
}

static const struct acore_ops reader_ops = {
	.name = "FileReader",
	.handle_read = r_read,
	.handle_close = r_close,
	.handle_error = r_error,
};

static int
cat_one(struct acore_loop *loop, struct reader *r)
{
	struct acore_dispatcher *d;
	struct stat st;
	int fd, rc;

	if (strcmp(r->path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(r->path, O_RDONLY | O_CLOEXEC)) < 0) {
		warn("cat-file: %s", r->path);
		return AC_EXIT_FAIL;
	}
	/* A directory would only fail on the first read; say so up front. */
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		warnx("cat-file: %s: %s", r->path, strerror(EISDIR));
		if (fd != STDIN_FILENO)
			close(fd);
		return AC_EXIT_FAIL;
	}
	d = acore_file_new(loop, fd, &reader_ops, r);
	rc = errno;
	if (fd != STDIN_FILENO)
		close(fd);	/* the dispatcher reads its own dup */
	if (d == NULL) {
		warnx("cat-file: %s: %s", r->path, strerror(rc));
		return AC_EXIT_FAIL;
	}
	acore_set_name(d, r->path);
	r->status = AC_EXIT_OK;
	r->zc = r->show_reads || cmd_is_verbose() ? ZC_NONE :
	    zero_copy_for(acore_fd(d));
	if ((rc = acore_loop_run(loop, -1, 0)) < 0) {
		warnx("cat-file: %s: %s", r->path, acore_strerror(rc));
		return AC_EXIT_FAIL;
	}
	return r->write_err != 0 ? AC_EXIT_WRITE : r->status;
}

#define OPTSTRING	":c:rv"
static const struct option longopts[] = {
	{ "chunk-size",	required_argument, NULL, 'c' },
	{ "show-reads",	no_argument,	   NULL, 'r' },
	{ "verbose",	no_argument,	   NULL, 'v' },
	{ NULL, 0, NULL, 0 }
};

static int
cmd_main(int argc, char **argv)
{
	struct reader r = { .chunk = DEFAULT_CHUNK };
	struct acore_loop *loop;
	int ch, i, rc, status = AC_EXIT_OK;

	while ((ch = getopt_long(argc, argv, OPTSTRING, longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			r.chunk = cmd_size("chunk size", optarg, 1, MAX_CHUNK);
			break;
		case 'r':
			r.show_reads = 1;
			break;
		case 'v':
			cmd_verbose(1);
			break;
		default:
			return cmd_bad_option(&acore_cmd_cat_file, ch, argv);
		}
	}
	argc -= optind;
	argv += optind;

	if ((r.buf = malloc(r.chunk)) == NULL || (loop = acore_loop_new()) ==
	    NULL)
		err(AC_EXIT_FAIL, "cat-file");
	if (argc == 0) {
		r.path = "-";
		status = cat_one(loop, &r);
	}
	/* Like cat: a bad file is reported and the rest are still copied. */
	for (i = 0; i < argc && r.write_err == 0; i++) {
		r.path = argv[i];
		if ((rc = cat_one(loop, &r)) != AC_EXIT_OK)
			status = rc;
	}
	acore_loop_free(loop);
	free(r.buf);
	if (r.write_err == -EPIPE)
		cmd_sigpipe_exit();
	if (r.write_err != 0) {
		warnx("cat-file: write error: %s", acore_strerror(r.write_err));
		return AC_EXIT_WRITE;
	}
	return status;
}

const struct acore_cmd acore_cmd_cat_file = {
	.name = "cat-file",
	.usage = "[-rv] [-c size] [file ...]",
	.summary = "copy files to stdout through a file dispatcher",
	.options =
	    "  -c, --chunk-size SIZE  bytes per read event (default 128k)\n"
	    "  -r, --show-reads       print each read as READ: (N) \"data\"\n"
	    "  -v, --verbose          log the dispatcher's events\n"
	    "  -V, --version          print the version\n"
	    "  file ...               the files, in order ('-' or none: "
	    "stdin)\n",
	.optstring = OPTSTRING,
	.longopts = longopts,
	.main = cmd_main,
};
