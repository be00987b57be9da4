/*
 * echo-daemon.c: echo-server as a process scripts can rely on: the port
 * and pid files, written once the server listens and removed at exit,
 * and --background, which returns only once the server accepts
 * connections.
 *
 * The files are often in a shared, sticky directory such as /tmp, and the
 * server often runs as root, so a path is never trusted to be what it
 * was: a regular file (or no file) is replaced whole by a temporary file
 * made with O_EXCL in the same directory (a name planted in advance is
 * never followed), and removed at exit only while it is still the inode
 * we wrote.  What is not a regular file (a FIFO, a device, /dev/stdout)
 * is written in place, as the shell's `>' does, and left alone: replacing
 * /dev/full with a file, or removing it, is not ours to do.  A symbolic
 * link is followed only where the kernel's fs.protected_symlinks would
 * follow it (so a link planted in /tmp by another user is replaced, not
 * written through), whatever that sysctl says on this machine.
 *
 * Looking and writing are two steps, and another user may change the name
 * between them: every step is made relative to one descriptor of the
 * directory (openat and friends), what was looked at is opened with
 * O_NOFOLLOW and checked to be the same inode, and a name that changed
 * is looked at again.  So a FIFO swapped for a link to /etc/passwd after
 * we saw the FIFO is not written through either.
 *
 * The pid file is also a lock (flock on the descriptor we keep for the
 * server's life): a second server given a live server's pid file refuses
 * to start, exit 12, and leaves the file alone.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acore.h"
#include "cmd.h"
#include "echo.h"

#define MAX_FILES	2	/* --port-file, --pid-file */
#define MAX_TRIES	8	/* the path changed while we looked: again */

/* A file we made, removed at exit if its name still leads to it. */
static struct {
	int		 dir;		/* its directory, open (O_PATH) */
	const char	*base;		/* its name there */
	dev_t		 dev;
	ino_t		 ino;
} written[MAX_FILES];
static size_t	 nwritten;
static pid_t	 owner;		/* only the writer removes them */
static int	 pid_lock = -1;	/* the pid file, flock'ed while we run */
static int	 ready_fd = -1;	/* --background: tells the parent */

static void
remove_files(void)
{
	struct stat st;
	size_t i;

	if (getpid() != owner)
		return;
	for (i = 0; i < nwritten; i++) {
		if (fstatat(written[i].dir, written[i].base, &st,
		    AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == written[i].dev &&
		    st.st_ino == written[i].ino)
			unlinkat(written[i].dir, written[i].base, 0);
		close(written[i].dir);
	}
	nwritten = 0;
}

/* Keeps dir (closed if there is no room left). */
static void
remember(int dir, const char *base, const struct stat *st)
{
	if (nwritten == 0) {
		owner = getpid();
		atexit(remove_files);
	}
	if (nwritten < MAX_FILES) {
		written[nwritten].dir = dir;
		written[nwritten].base = base;
		written[nwritten].dev = st->st_dev;
		written[nwritten].ino = st->st_ino;
		nwritten++;
	} else
		close(dir);
}

/* The directory of path, opened to work in, and the name in it. */
static int
open_dir(const char *path, const char **base)
{
	char *copy;
	int fd;

	*base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	if (**base == '\0')
		errx(AC_EXIT_WRITE, "echo-server: %s: %s", path,
		    strerror(EISDIR));
	if ((copy = strdup(path)) == NULL)
		errx(AC_EXIT_FAIL, "echo-server: %s", strerror(ENOMEM));
	fd = open(dirname(copy), O_PATH | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		err(AC_EXIT_WRITE, "echo-server: %s", path);
	return fd;
}

/*
 * The symbolic link at path (lstat'ed into lst) is one to follow: ours,
 * or not in a sticky world-writable directory, or its directory's
 * owner's (the rule of the kernel's fs.protected_symlinks).
 */
static int
trusted_link(int dir, const struct stat *lst)
{
	struct stat dst;

	if (lst->st_uid == geteuid())
		return 1;
	return fstat(dir, &dst) == 0 &&
	    ((dst.st_mode & (S_ISVTX | S_IWOTH)) != (S_ISVTX | S_IWOTH) ||
	    dst.st_uid == lst->st_uid);
}

static void __attribute__((noreturn))
write_fail(const char *path, int rc)
{
	errx(AC_EXIT_WRITE, "echo-server: %s: %s", path, strerror(-rc));
}

static volatile sig_atomic_t stop_signal;

static void
on_stop(int sig)
{
	stop_signal = sig;
}

/*
 * openat() that SIGINT and SIGTERM end.  A FIFO's open waits for its
 * reader, and the loop's handlers (SA_RESTART) would restart it for ever:
 * a server nobody reads the port of could not be stopped but by SIGKILL.
 * Here the two are unblocked (the --workers master blocks them) and
 * caught without SA_RESTART; either ends the server as a stop in the
 * loop does, status 0, the files written so far removed at exit.  (One
 * landing between the check and the call waits for a second one.)
 */
static int
open_stoppable(int dir, const char *name, int flags)
{
	struct sigaction sa, old_int, old_term;
	sigset_t set, old_mask;
	int fd = -1, e = EINTR;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_UNBLOCK, &set, &old_mask);
	if (stop_signal == 0) {
		fd = openat(dir, name, flags);
		e = errno;
	}
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (stop_signal != 0)
		exit(AC_EXIT_OK);
	errno = e;
	return fd;
}

/*
 * A FIFO, a device, a trusted link (lst: what name in dir was when we
 * looked): written in place, never ours.  A link to our own stdout or
 * stderr (/dev/stdout when it is a file) is written through that
 * descriptor, at its offset, so that what we print next follows the port
 * instead of overwriting it.  0, or 1: the name is no longer what we saw.
 *
 * Only a link is followed.  What was not a link must still be the inode
 * we saw: another user's FIFO in /tmp may have become a link, or a hard
 * link to someone's file, since.  A trusted link cannot have changed but
 * by its owner or the directory's, whom the kernel's rule trusts as well.
 */
static int
write_in_place(int dir, const char *name, const char *path,
    const struct stat *lst, const char *buf, size_t len)
{
	struct stat st, std;
	int fd, out = -1, i, rc = 0, link = S_ISLNK(lst->st_mode);

	/* A FIFO waits here for its reader, as `echo > fifo' would. */
	if ((fd = open_stoppable(dir, name, O_WRONLY | O_NOCTTY | O_CLOEXEC |
	    (link ? 0 : O_NOFOLLOW))) < 0) {
		if (!link && (errno == ELOOP || errno == ENOENT))
			return 1;
		err(AC_EXIT_WRITE, "echo-server: %s", path);
	}
	if (fstat(fd, &st) < 0)
		err(AC_EXIT_WRITE, "echo-server: %s", path);
	if (!link && (st.st_dev != lst->st_dev || st.st_ino != lst->st_ino)) {
		close(fd);
		return 1;
	}
	if (S_ISREG(st.st_mode)) {
		for (i = STDOUT_FILENO; i <= STDERR_FILENO && out < 0; i++)
			if (fstat(i, &std) == 0 && std.st_dev == st.st_dev &&
			    std.st_ino == st.st_ino)
				out = i;
		/* Not ours: its old content goes, as with `>'. */
		if (out < 0 && ftruncate(fd, 0) < 0)
			rc = -errno;
	}
	if (rc == 0)
		rc = cmd_write_all(out >= 0 ? out : fd, buf, len);
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc < 0)
		write_fail(path, rc);
	return 0;
}

/*
 * A new file in dir beside name, made with O_EXCL (mkostemp's way, in a
 * directory we hold open); its name in *tmp.  Mode 0644 less the umask,
 * as `>' makes it.
 */
static int
make_temp(int dir, const char *name, char **tmp)
{
	unsigned char r[6];
	int fd, i;

	for (i = 0; i < 100; i++) {
		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
			return errno > 0 ? -errno : -EIO;
		if (asprintf(tmp, ".%s.acore-%02x%02x%02x%02x%02x%02x", name,
		    r[0], r[1], r[2], r[3], r[4], r[5]) < 0) {
			*tmp = NULL;
			return -ENOMEM;
		}
		if ((fd = openat(dir, *tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0644)) >= 0)
			return fd;
		fd = -errno;
		free(*tmp);
		*tmp = NULL;
		if (fd != -EEXIST)
			return fd;
	}
	return -EEXIST;
}

/* The live server's pid file at path, locked by it (on fd): refuse. */
static void __attribute__((noreturn))
refuse(const char *path, int fd)
{
	char pid[24];
	ssize_t n;

	n = pread(fd, pid, sizeof(pid) - 1, 0);
	pid[n > 0 ? n : 0] = '\0';
	pid[strspn(pid, "0123456789")] = '\0';
	if (*pid != '\0')
		errx(AC_EXIT_LISTEN, "echo-server: %s: in use by a running "
		    "server, pid %s", path, pid);
	errx(AC_EXIT_LISTEN, "echo-server: %s: in use by a running server",
	    path);
}

/*
 * The regular file name in dir, if it is a live server's pid file:
 * refuse.  Else 0, with *old the lock we now hold on it (released once
 * our file has replaced it), or 1: the name changed while we looked.
 */
static int
lock_old(int dir, const char *name, const char *path, int *old)
{
	struct stat a, b;

	if ((*old = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) < 0) {
		if (errno == ENOENT || errno == ELOOP)
			return 1;
		err(AC_EXIT_WRITE, "echo-server: %s", path);
	}
	if (flock(*old, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			refuse(path, *old);
		err(AC_EXIT_WRITE, "echo-server: %s", path);
	}
	/* Locked what is still there, not a file renamed away meanwhile. */
	if (fstat(*old, &a) == 0 &&
	    fstatat(dir, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return 0;
	close(*old);
	*old = -1;
	return 1;
}

/*
 * Put buf at path: in place, or as a new file replacing what is there
 * (lock: the pid file, created only where no file is, with link(2), so
 * that of two servers starting at once one wins and the other refuses).
 * 0, or 1 to try again: the path changed under us.
 */
static int
put(const char *path, int lock, const char *buf, size_t len)
{
	struct stat st;
	const char *name;
	char *tmp = NULL;
	int dir, fd, old = -1, exists, rc;

	dir = open_dir(path, &name);
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		exists = 1;
	else if (errno == ENOENT)
		exists = 0;
	else
		err(AC_EXIT_WRITE, "echo-server: %s", path);
	if (exists && (S_ISLNK(st.st_mode) ? trusted_link(dir, &st) :
	    !S_ISREG(st.st_mode))) {
		rc = write_in_place(dir, name, path, &st, buf, len);
		close(dir);
		return rc;
	}
	if (lock && exists && S_ISREG(st.st_mode) &&
	    lock_old(dir, name, path, &old)) {
		close(dir);
		return 1;
	}
	if ((fd = make_temp(dir, name, &tmp)) < 0 || tmp == NULL)
		write_fail(path, fd < 0 ? fd : -ENOMEM);
	if (lock && flock(fd, LOCK_EX | LOCK_NB) < 0)
		rc = -errno;
	else
		rc = cmd_write_all(fd, buf, len);
	if (rc == 0 && fstat(fd, &st) < 0)
		rc = -errno;
	if (rc == 0 && (!lock || exists) && renameat(dir, tmp, dir, name) < 0)
		rc = -errno;
	if (rc == 0 && lock && !exists && linkat(dir, tmp, dir, name, 0) < 0) {
		rc = -errno;
		/* No hard links here (vfat): no race to lose, then. */
		if ((rc == -EPERM || rc == -EOPNOTSUPP) &&
		    renameat(dir, tmp, dir, name) == 0)
			rc = 0;
	}
	if (lock && !exists)
		unlinkat(dir, tmp, 0);	/* linkat made the name; this goes */
	if (old >= 0)
		close(old);
	if (rc < 0) {
		unlinkat(dir, tmp, 0);
		free(tmp);
		close(fd);
		close(dir);
		if (rc == -EEXIST)
			return 1;	/* another server's, just now */
		write_fail(path, rc);
	}
	free(tmp);
	remember(dir, name, &st);
	if (lock)
		pid_lock = fd;		/* the lock lasts as long as we do */
	else if (close(fd) < 0)
		write_fail(path, -errno);
	return 0;
}

static void
put_tries(const char *path, int lock, const char *buf, size_t len)
{
	int i;

	for (i = 0; i < MAX_TRIES; i++)
		if (put(path, lock, buf, len) == 0)
			return;
	errx(AC_EXIT_WRITE, "echo-server: %s: changed %d times while being "
	    "written", path, MAX_TRIES);
}

void
echo_write_file(const char *path, const char *fmt, ...)
{
	char buf[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* vsnprintf says what it would have written, which may not fit. */
	if (n < 0)
		errx(AC_EXIT_FAIL, "echo-server: %s: cannot format", path);
	if ((size_t)n >= sizeof(buf))
		n = (int)sizeof(buf) - 1;
	put_tries(path, 0, buf, (size_t)n);
}

void
echo_write_pid_file(const char *path)
{
	char buf[32];
	int n;

	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	put_tries(path, 1, buf, (size_t)n);
}

void
echo_remove_files(void)
{
	remove_files();
}

/*
 * Fork.  The parent waits until the child calls echo_ready() and exits 0,
 * or, if the child exits first (it could not listen), exits with the
 * child's status; the child's own stderr has said why.
 */
void
echo_background(void)
{
	int p[2], st;
	ssize_t n;
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC) < 0)
		err(AC_EXIT_FAIL, "echo-server: pipe");
	if ((pid = fork()) < 0)
		err(AC_EXIT_FAIL, "echo-server: fork");
	if (pid > 0) {
		close(p[1]);
		do
			n = read(p[0], &c, 1);
		while (n < 0 && errno == EINTR);
		if (n == 1)
			_exit(AC_EXIT_OK);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : AC_EXIT_FAIL);
	}
	close(p[0]);
	ready_fd = p[1];
	/* Nothing of the caller's but stdio: bats waits on its fd 3. */
	if (ready_fd > 3)
		close_range(3, (unsigned)ready_fd - 1, 0);
	close_range((unsigned)ready_fd + 1, ~0U, 0);
	/* Out of the caller's session: its terminal's ^C is not for us. */
	setsid();
}

/*
 * daemon(3): a server in the background holds none of the caller's
 * descriptors, so $(...) and bats' output capture do not wait on it.
 */
static void
detach_stdio(void)
{
	int fd;

	if ((fd = open("/dev/null", O_RDWR)) < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

/* Listening, files written: release the --background parent. */
void
echo_ready(void)
{
	if (ready_fd < 0)
		return;
	detach_stdio();
	(void)write(ready_fd, "", 1);
	close(ready_fd);
	ready_fd = -1;
}

/* A --workers worker, listening: the master releases the parent. */
void
echo_worker_ready(void)
{
	if (ready_fd < 0)
		return;
	detach_stdio();
	close(ready_fd);
	ready_fd = -1;
}
