/*
 * file.c: file_dispatcher: a channel over a pipe, FIFO, tty, socket or
 * regular file descriptor, read and written with read(2)/write(2).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "acore-internal.h"

/*
 * Returns a descriptor of our own for fd.  Regular files and character
 * devices such as /dev/null cannot be watched by epoll (EPERM), and reads
 * from them never block, so they are marked always ready, as select()
 * reports them.  A terminal is reopened through /proc so that O_NONBLOCK
 * stays on our own open file description, not the shell's.  Pipes and
 * FIFOs cannot be reopened that way (a reader opened after the last writer
 * left never sees end of file), so their dup gets O_NONBLOCK and the old
 * flags are restored on close.
 */
int
acore__file_open(int fd, int *saved_flags, int *always_ready)
{
	struct stat st;
	char path[64];
	int nfd, fl;

	*saved_flags = -1;
	*always_ready = 0;
	if (fstat(fd, &st) < 0 || (fl = fcntl(fd, F_GETFL)) < 0)
		return -errno;
	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode) ||
	    (S_ISCHR(st.st_mode) && !isatty(fd))) {
		*always_ready = 1;
		nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		return nfd < 0 ? -errno : nfd;
	}
	if (S_ISCHR(st.st_mode)) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		nfd = open(path, (fl & O_ACCMODE) | O_NONBLOCK | O_CLOEXEC |
		    O_NOCTTY);
		if (nfd >= 0)
			return nfd;
	}
	if ((nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
		return -errno;
	if (!(fl & O_NONBLOCK)) {
		if (fcntl(nfd, F_SETFL, fl | O_NONBLOCK) < 0) {
			fl = errno;
			close(nfd);
			return -fl;
		}
		*saved_flags = fl;
	}
	return nfd;
}

void
acore__file_restore(int fd, int saved_flags)
{
	if (saved_flags >= 0)
		(void)fcntl(fd, F_SETFL, saved_flags);
}

struct acore_dispatcher *
acore_file_new(struct acore_loop *loop, int fd, const struct acore_ops *ops,
    void *arg)
{
	struct acore_dispatcher *d;
	int nfd, saved, ready, rc;

	if ((nfd = acore__file_open(fd, &saved, &ready)) < 0) {
		errno = -nfd;
		return NULL;
	}
	if ((d = acore__dispatcher_new(loop, ACORE_KIND_PLAIN, ops, arg)) ==
	    NULL || acore__rare(d) == NULL) {
		acore__file_restore(nfd, saved);
		close(nfd);
		if (d != NULL)
			acore_close(d);
		errno = ENOMEM;
		return NULL;
	}
	d->tp = &acore__file_transport;
	d->x->saved_flags = saved;
	d->always_ready = (uint8_t)ready;
	/* A file is "connected" from the start: no connect event to wait for. */
	d->flags |= ACORE_CONNECTED;
	if ((rc = acore__attach_fd(d, nfd)) < 0) {
		close(nfd);
		acore_close(d);
		errno = -rc;
		return NULL;
	}
	return d;
}
