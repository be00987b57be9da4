/*
 * http-out.c: where fetched bytes go.
 *
 * Standard output gets the URLs' bodies in argument order although they
 * arrive in any order: the first unfinished one writes straight through,
 * the others are held back, in memory up to a limit and then in an
 * unlinked temporary file, until their turn comes.  A file (-o, -O) is
 * written under a temporary name in the same directory (its symlinks'
 * target's: http-file.c) and renamed into place only when its fetch
 * succeeded, so a failed fetch never leaves a truncated file under the
 * name asked for.  -C - appends to the file
 * itself instead: what arrived is kept for the next attempt.
 *
 * The progress meter lives here too: it sums what every output received.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acore.h"
#include "cmd.h"
#include "http.h"

#define HOLD_IN_MEMORY	(1024 * 1024)	/* then a temp file */
#define PROGRESS_DELAY	1.0		/* s before the meter shows */

struct hg_out {
	struct hg_writer *w;
	char		*path;	/* file asked for; NULL: stdout */
	char		*target;	/* path, its links followed */
	char		*tmp;		/* its temporary name */
	int		 fd;	/* the file, or stdout's spill file */
	char		*mem;		/* stdout bytes held back */
	size_t		 len, cap;
	int		 spilled;	/* held bytes continue in fd */
	int		 hold_failed;	/* ... could not: w->why says why */
	int		 append;	/* -C -: the file itself, kept */
	int		 finished;
	TAILQ_ENTRY(hg_out) link;
};

struct hg_writer {
	/* cppcheck-suppress unusedStructMember ; used through the TAILQ_* macros */
	TAILQ_HEAD(, hg_out) order;	/* stdout outputs not yet all out */
	int		 err;		/* stdout failed: sticky */
	mode_t		 mode;	/* for new files: 0666 & ~umask */
	/* progress */
	int		 progress;
	size_t		 expected; /* outputs whose size is known */
	size_t		 total_outputs;
	int		 unknown;	/* some size is not known */
	uint64_t	 bytes;
	uint64_t	 up;		/* request bodies' bytes sent */
	uint64_t	 size;
	double		 start;
	double		 delay;	/* PROGRESS_DELAY or the environment's */
	int		 shown;
	int		 stopped;	/* hg_progress_stop(): no more */
	char		 why[512];	/* last hg_out_new() failure */
};


/*
 * ACORE_PROGRESS_DELAY: seconds before the meter first shows, so the
 * tests need not keep a transfer going for a whole second to see it.
 */
static double
progress_delay(void)
{
	const char *s = getenv("ACORE_PROGRESS_DELAY");
	char *end;
	double d;

	if (s == NULL || *s == '\0')
		return PROGRESS_DELAY;
	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !(d >= 0 && d <= 3600))
		return PROGRESS_DELAY;
	return d;
}

struct hg_writer *
hg_writer_new(int progress, size_t outputs)
{
	struct hg_writer *w;
	mode_t mask;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	TAILQ_INIT(&w->order);
	mask = umask(0);
	umask(mask);
	w->mode = 0666 & ~mask;
	w->progress = progress;
	w->total_outputs = outputs;
	w->start = acore_now();
	w->delay = progress_delay();
	return w;
}

void
hg_writer_free(struct hg_writer *w)
{
	struct hg_out *o;

	if (w == NULL)
		return;
	while ((o = TAILQ_FIRST(&w->order)) != NULL) {
#ifdef __clang_analyzer__
		/* Only stdout outputs (no path) are queued, and dequeued. */
		if (o->path != NULL)
			abort();
#endif
		hg_out_finish(o, 0);
	}
	free(w);
}

const char *
hg_out_error(const struct hg_writer *w)
{
	return w->why;
}

/*
 * Why no file can be made in dir: errno's text, except that a directory
 * which exists yet says ENOENT (/proc, /sys) refuses new files.
 */
static void
explain(struct hg_out *o, const char *dir, int err)
{
	struct stat st;
	const char *cause = strerror(err);

	if (err == ENOENT && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		cause = "the file system there does not allow new files";
	snprintf(o->w->why, sizeof(o->w->why), "%s: cannot create a file in "
	    "%s: %s", o->path, dir, cause);
}

/*
 * A temporary file beside the file path names, through its links (same
 * file system: rename is atomic); see http-file.c.
 */
static int
open_beside(struct hg_out *o)
{
	char *copy, *dir, *base;
	int fd, rc;

	if ((o->target = hg_file_target(o->path, &rc)) == NULL) {
		snprintf(o->w->why, sizeof(o->w->why), "%s: %s", o->path,
		    strerror(-rc));
		return rc;
	}
	if ((copy = strdup(o->target)) == NULL)
		return -ENOMEM;
	dir = dirname(copy);
	base = strrchr(o->target, '/') != NULL ?
	    strrchr(o->target, '/') + 1 : o->target;
	if (asprintf(&o->tmp, "%s/.%s.acore-XXXXXX", dir, base) < 0) {
		o->tmp = NULL;
		free(copy);
		return -ENOMEM;
	}
	if ((fd = mkostemp(o->tmp, O_CLOEXEC)) < 0) {
		rc = -errno;
		explain(o, dir, errno);
		free(copy);
		free(o->tmp);
		o->tmp = NULL;
		return rc;
	}
	free(copy);
	hg_file_keep(fd, o->target, o->w->mode);
	o->fd = fd;
	return 0;
}

struct hg_out *
hg_out_new(struct hg_writer *w, const char *path, int append, int *err)
{
	struct hg_out *o;
	struct stat st;

	if ((o = calloc(1, sizeof(*o))) == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	o->w = w;
	o->fd = -1;
	if (path == NULL) {
		TAILQ_INSERT_TAIL(&w->order, o, link);
		return o;
	}
	if ((o->path = strdup(path)) == NULL) {
		free(o);
		*err = -ENOMEM;
		return NULL;
	}
	*err = 0;
	/* /dev/null, a FIFO, a tty: nothing to replace, write to it. */
	if ((stat(path, &st) == 0 && !S_ISREG(st.st_mode)) || append) {
		o->append = 1;
		if ((o->fd = open(path, O_WRONLY | O_APPEND | O_CREAT |
		    O_CLOEXEC, 0666)) < 0) {
			*err = -errno;
			snprintf(w->why, sizeof(w->why), "%s: %s", path,
			    strerror(errno));
		}
	} else
		*err = open_beside(o);
	if (*err < 0) {
		free(o->path);
		free(o->target);
		free(o);
		return NULL;
	}
	return o;
}

/*
 * The spill file could not be made or written: that is TMPDIR's fault,
 * and this output's alone; the others (and stdout) go on.
 */
static int
spill_failed(struct hg_out *o, const char *tmpdir, int rc)
{
	o->hold_failed = 1;
	snprintf(o->w->why, sizeof(o->w->why), "%s %s: %s",
	    getenv("TMPDIR") != NULL ? "TMPDIR" : "temporary directory",
	    tmpdir, strerror(-rc));
	return rc;
}

/* Bytes for stdout that must wait: memory first, then a spill file. */
static int
hold(struct hg_out *o, const char *buf, size_t len)
{
	const char *tmpdir;
	char *path, *nm;
	size_t cap;
	int fd, rc;

	if (!o->spilled && o->len + len <= HOLD_IN_MEMORY) {
		if (o->len + len > o->cap) {
			for (cap = o->cap ? o->cap : 4096; cap < o->len + len;)
				cap *= 2;
			if ((nm = realloc(o->mem, cap)) == NULL)
				return -ENOMEM;
			o->mem = nm;
			o->cap = cap;
		}
		memcpy(o->mem + o->len, buf, len);
		o->len += len;
		return 0;
	}
	if ((tmpdir = getenv("TMPDIR")) == NULL || *tmpdir == '\0')
		tmpdir = "/tmp";
	if (!o->spilled) {
		if (asprintf(&path, "%s/acore-http-XXXXXX", tmpdir) < 0)
			return -ENOMEM;
		fd = mkostemp(path, O_CLOEXEC);
		rc = -errno;
		if (fd >= 0)
			unlink(path);
		free(path);
		if (fd < 0)
			return spill_failed(o, tmpdir, rc);
		o->fd = fd;
		o->spilled = 1;
	}
	if ((rc = cmd_write_all(o->fd, buf, len)) < 0)
		return spill_failed(o, tmpdir, rc);
	return 0;
}

const char *
hg_out_hold_error(const struct hg_out *o)
{
	return o != NULL && o->hold_failed ? o->w->why : NULL;
}

int
hg_out_write(struct hg_out *o, const void *buf, size_t len)
{
	int rc;

	if (o->path != NULL)
		return cmd_write_all(o->fd, buf, len);
	if (o->w->err != 0)
		return o->w->err;
	if (TAILQ_FIRST(&o->w->order) == o) {
		if ((rc = cmd_write_all(STDOUT_FILENO, buf, len)) < 0)
			o->w->err = rc;
		return rc;
	}
	return hold(o, buf, len);
}

/* An output's turn has come: send out what it held back. */
static int
release(struct hg_out *o)
{
	char buf[65536];
	ssize_t n;
	int rc;

	if (o->len > 0 && (rc = cmd_write_all(STDOUT_FILENO, o->mem,
	    o->len)) < 0)
		return rc;
	free(o->mem);
	o->mem = NULL;
	o->len = o->cap = 0;
	if (!o->spilled)
		return 0;
	if (lseek(o->fd, 0, SEEK_SET) < 0)
		return -errno;
	while ((n = read(o->fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if ((rc = cmd_write_all(STDOUT_FILENO, buf, (size_t)n)) < 0)
			return rc;
	}
	close(o->fd);
	o->fd = -1;
	o->spilled = 0;
	return 0;
}

static void
out_free(struct hg_out *o)
{
	if (o->fd >= 0)
		close(o->fd);
	free(o->mem);
	free(o->path);
	free(o->target);
	free(o->tmp);
	free(o);
}

int
hg_out_finish(struct hg_out *o, int ok)
{
	struct hg_writer *w = o->w;
	int rc = 0;

	if (o->path != NULL) {
		if (close(o->fd) < 0 && ok)
			rc = -errno;
		o->fd = -1;
		if (o->tmp != NULL && ok && rc == 0 &&
		    rename(o->tmp, o->target) < 0)
			rc = -errno;
		if (o->tmp != NULL && (!ok || rc < 0))
			unlink(o->tmp);
		out_free(o);
		return rc;
	}
	/*
	 * Stdout: what arrived is delivered in its turn even when the
	 * fetch failed midway, as it would have been had it been first.
	 */
	o->finished = 1;
	if (TAILQ_FIRST(&w->order) != o)
		return w->err;
	while ((o = TAILQ_FIRST(&w->order)) != NULL) {
		if (w->err == 0 && (rc = release(o)) < 0)
			w->err = rc;
		if (!o->finished)
			break;
		TAILQ_REMOVE(&w->order, o, link);
#ifdef __clang_analyzer__
		/* scan-build misses the head update made through tqe_prev. */
		if (TAILQ_FIRST(&w->order) == o)
			abort();
#endif
		out_free(o);
	}
	return w->err;
}

/* ---------------------------------------------------------------- progress */

void
hg_progress_add(struct hg_writer *w, uint64_t bytes)
{
	w->bytes += bytes;
}

void
hg_progress_up(struct hg_writer *w, uint64_t bytes)
{
	w->up += bytes;
}

void
hg_progress_expect(struct hg_writer *w, int64_t size)
{
	w->expected++;
	if (size < 0)
		w->unknown = 1;
	else
		w->size += (uint64_t)size;
}

static void
human(char *buf, size_t size, double v)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
}

/* "1:05" or "2:01:05" */
static void
clock_text(char *buf, size_t size, double secs)
{
	long s = secs > 359999 ? 359999 : (long)(secs + 0.5);

	if (s >= 3600)
		snprintf(buf, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60,
		    s % 60);
	else
		snprintf(buf, size, "%ld:%02ld", s / 60, s % 60);
}

/*
 * One line on stderr, rewritten in place: after the first second (the
 * delay) only, so quick fetches never show it; final ends the line if one
 * was shown, or with no delay is the only one.  When every size is known:
 * the total, the percentage and the time left.
 */
void
hg_progress_tick(struct hg_writer *w, int final)
{
	char line[224], got[32], rate[32], total[32], left[32], more[96] = "";
	char up[96] = "", upn[32], upr[32];
	double secs = acore_now() - w->start, bps;
	int n;

	if (!w->progress || w->stopped || (!w->shown && (final ?
	    w->delay > 0 : secs < w->delay)))
		return;
	bps = secs > 0 ? (double)w->bytes / secs : 0;
	human(got, sizeof(got), (double)w->bytes);
	human(rate, sizeof(rate), bps);
	if (!w->unknown && w->expected == w->total_outputs && w->size > 0) {
		human(total, sizeof(total), (double)w->size);
		if (final || w->bytes >= w->size || bps <= 0)
			snprintf(left, sizeof(left), "%*s", 10, "");
		else {
			clock_text(left, sizeof(left), (double)(w->size -
			    w->bytes) / bps);
			strcat(left, " left");
		}
		snprintf(more, sizeof(more), "  %3d%% of %-10s  %10s",
		    (int)(w->bytes * 100 / w->size), total, left);
	}
	if (w->up > 0) {
		/* uploads: what went out, and how fast */
		human(upn, sizeof(upn), (double)w->up);
		human(upr, sizeof(upr), secs > 0 ? (double)w->up / secs : 0);
		snprintf(up, sizeof(up), "  %s up  %s/s", upn, upr);
	}
	n = snprintf(line, sizeof(line), "\r%12s  %12s/s%s%s%s", got, rate,
	    more, up, final ? "\n" : "");
	if (n > 0)
		(void)cmd_write_all(STDERR_FILENO, line, (size_t)n);
	w->shown = 1;
}

void
hg_progress_stop(struct hg_writer *w)
{
	if (w->shown && !w->stopped)
		(void)cmd_write_all(STDERR_FILENO, "\n", 1);
	w->stopped = 1;
}
