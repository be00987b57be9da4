/*
 * echo-daemon.c: echo-server as a process scripts can rely on: the port
 * and pid files, written whole (a temporary name, then rename) once the
 * server listens and removed at exit, and --background, which returns
 * only once the server accepts connections.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acore.h"
#include "cmd.h"
#include "echo.h"

#define MAX_FILES	2	/* --port-file, --pid-file */

static const char *written[MAX_FILES];
static size_t	 nwritten;
static pid_t	 owner;		/* only the writer removes them */
static int	 ready_fd = -1;	/* --background: tells the parent */

static void
remove_files(void)
{
	size_t i;

	if (getpid() != owner)
		return;
	for (i = 0; i < nwritten; i++)
		unlink(written[i]);
	nwritten = 0;
}

void
echo_write_file(const char *path, const char *fmt, ...)
{
	char tmp[4096], buf[64];
	va_list ap;
	int fd, n, rc;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >=
	    (int)sizeof(tmp))
		errx(AC_EXIT_WRITE, "echo-server: %s: %s", path,
		    strerror(ENAMETOOLONG));
	/* A reader sees no file, or the whole of it: never a stale half. */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0)
		err(AC_EXIT_WRITE, "echo-server: %s", path);
	rc = cmd_write_all(fd, buf, (size_t)n);
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		errx(AC_EXIT_WRITE, "echo-server: %s: %s", path,
		    strerror(-rc));
	}
	if (nwritten == 0) {
		owner = getpid();
		atexit(remove_files);
	}
	if (nwritten < MAX_FILES)
		written[nwritten++] = path;
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
