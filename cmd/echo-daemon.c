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
 * The pid file is also a lock (flock on the descriptor we keep for the
 * server's life): a second server given a live server's pid file refuses
 * to start, exit 12, and leaves the file alone.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
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
	const char	*path;
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
	for (i = 0; i < nwritten; i++)
		if (lstat(written[i].path, &st) == 0 &&
		    st.st_dev == written[i].dev && st.st_ino == written[i].ino)
			unlink(written[i].path);
	nwritten = 0;
}

static void
remember(const char *path, const struct stat *st)
{
	if (nwritten == 0) {
		owner = getpid();
		atexit(remove_files);
	}
	if (nwritten < MAX_FILES) {
		written[nwritten].path = path;
		written[nwritten].dev = st->st_dev;
		written[nwritten].ino = st->st_ino;
		nwritten++;
	}
}

/*
 * The symbolic link at path (lstat'ed into lst) is one to follow: ours,
 * or not in a sticky world-writable directory, or its directory's
 * owner's (the rule of the kernel's fs.protected_symlinks).
 */
static int
trusted_link(const char *path, const struct stat *lst)
{
	struct stat dst;
	char *copy;
	int ok;

	if (lst->st_uid == geteuid())
		return 1;
	if ((copy = strdup(path)) == NULL)
		return 0;
	ok = stat(dirname(copy), &dst) == 0 &&
	    ((dst.st_mode & (S_ISVTX | S_IWOTH)) != (S_ISVTX | S_IWOTH) ||
	    dst.st_uid == lst->st_uid);
	free(copy);
	return ok;
}

static void __attribute__((noreturn))
write_fail(const char *path, int rc)
{
	errx(AC_EXIT_WRITE, "echo-server: %s: %s", path, strerror(-rc));
}

/*
 * A FIFO, a device, a trusted link: written in place, never ours.  A
 * link to our own stdout or stderr (/dev/stdout when it is a file) is
 * written through that descriptor, at its offset, so that what we print
 * next follows the port instead of overwriting it.
 */
static void
write_in_place(const char *path, const char *buf, size_t len)
{
	struct stat st, std;
	int fd, out = -1, i, rc = 0;

	/* A FIFO waits here for its reader, as `echo > fifo' would. */
	if ((fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC)) < 0)
		err(AC_EXIT_WRITE, "echo-server: %s", path);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
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
}

/* A new file next to path, made with O_EXCL; its name in *tmp. */
static int
make_temp(const char *path, char **tmp)
{
	const char *base;
	char *copy;
	mode_t mask;
	int fd, rc;

	if ((copy = strdup(path)) == NULL)
		return -ENOMEM;
	base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	if (asprintf(tmp, "%s/.%s.acore-XXXXXX", dirname(copy), base) < 0) {
		free(copy);
		*tmp = NULL;
		return -ENOMEM;
	}
	free(copy);
	if ((fd = mkostemp(*tmp, O_CLOEXEC)) < 0) {
		rc = -errno;
		free(*tmp);
		*tmp = NULL;
		return rc;
	}
	/* What open(O_CREAT, 0644) would have made. */
	mask = umask(0);
	umask(mask);
	(void)fchmod(fd, 0644 & ~mask);
	return fd;
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
 * The regular file at path, if it is a live server's pid file: refuse.
 * Else 0, with *old the lock we now hold on it (released once our file
 * has replaced it), or 1: the path changed while we looked.
 */
static int
lock_old(const char *path, int *old)
{
	struct stat a, b;

	if ((*old = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
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
	if (fstat(*old, &a) == 0 && lstat(path, &b) == 0 &&
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
	char *tmp = NULL;
	int fd, old = -1, exists, rc;

	if (lstat(path, &st) == 0)
		exists = 1;
	else if (errno == ENOENT)
		exists = 0;
	else
		err(AC_EXIT_WRITE, "echo-server: %s", path);
	if (exists && (S_ISLNK(st.st_mode) ? trusted_link(path, &st) :
	    !S_ISREG(st.st_mode))) {
		write_in_place(path, buf, len);
		return 0;
	}
	if (lock && exists && S_ISREG(st.st_mode) && lock_old(path, &old))
		return 1;
	if ((fd = make_temp(path, &tmp)) < 0 || tmp == NULL)
		write_fail(path, fd < 0 ? fd : -ENOMEM);
	if (lock && flock(fd, LOCK_EX | LOCK_NB) < 0)
		rc = -errno;
	else
		rc = cmd_write_all(fd, buf, len);
	if (rc == 0 && fstat(fd, &st) < 0)
		rc = -errno;
	if (rc == 0 && (!lock || exists) && rename(tmp, path) < 0)
		rc = -errno;
	if (rc == 0 && lock && !exists && link(tmp, path) < 0) {
		rc = -errno;
		/* No hard links here (vfat): no race to lose, then. */
		if ((rc == -EPERM || rc == -EOPNOTSUPP) &&
		    rename(tmp, path) == 0)
			rc = 0;
	}
	if (lock && !exists)
		unlink(tmp);	/* link(2) made the name; this one goes */
	if (old >= 0)
		close(old);
	if (rc < 0) {
		unlink(tmp);
		free(tmp);
		close(fd);
		if (rc == -EEXIST)
			return 1;	/* another server's, just now */
		write_fail(path, rc);
	}
	free(tmp);
	remember(path, &st);
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
