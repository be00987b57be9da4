/*
 * http-file.c: what replacing a file named with -o or -O means.  The body
 * is written under a temporary name and renamed over the file only when
 * the fetch succeeded (http-out.c); this file says which file that is and
 * what of the old one the new one keeps.
 *
 * A symbolic link is followed to its final target, which is replaced: the
 * link stays a link and its target gets the new content, as when curl
 * writes through the name; a dangling link's target is created, as curl
 * creates it.  The new file keeps the old one's permission bits, and its
 * owner and group where that is permitted (root), set-id bits only with
 * them.  Hard links cannot be kept: the name gets a new inode and the
 * other names keep the old content.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"

#define MAX_HOPS	40	/* links followed, as the kernel's ELOOP */

/* The link at path, resolved against its directory: malloc'ed, or NULL. */
static char *
follow(const char *path, const struct stat *st, int *err)
{
	const char *slash;
	size_t size = st->st_size > 0 ? (size_t)st->st_size + 1 : PATH_MAX;
	char *link, *next;
	ssize_t n;

	if ((link = malloc(size)) == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	if ((n = readlink(path, link, size)) < 0 || (size_t)n >= size) {
		/* Gone, or changed under us: say so rather than guess. */
		*err = n < 0 ? -errno : -EAGAIN;
		free(link);
		return NULL;
	}
	link[n] = '\0';
	if (link[0] == '/' || (slash = strrchr(path, '/')) == NULL)
		return link;
	if (asprintf(&next, "%.*s/%s", (int)(slash - path), path, link) < 0) {
		*err = -ENOMEM;
		next = NULL;
	}
	free(link);
	return next;
}

char *
hg_file_target(const char *path, int *err)
{
	struct stat st;
	char *cur, *next;
	int hops;

	if ((cur = strdup(path)) == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	for (hops = 0; lstat(cur, &st) == 0 && S_ISLNK(st.st_mode); hops++) {
		if (hops == MAX_HOPS) {
			*err = -ELOOP;
			free(cur);
			return NULL;
		}
		next = follow(cur, &st, err);
		free(cur);
		if ((cur = next) == NULL)
			return NULL;
	}
	/* Not a link, or missing: a dangling link's target is made. */
	return cur;
}

void
hg_file_keep(int fd, const char *target, mode_t mode)
{
	struct stat st;

	if (stat(target, &st) == 0 && S_ISREG(st.st_mode)) {
		mode = st.st_mode & 07777;
		if ((st.st_uid != geteuid() || st.st_gid != getegid()) &&
		    fchown(fd, st.st_uid, st.st_gid) != 0)
			mode &= 0777;	/* set-id bits are the owner's */
	}
	/* After fchown, which clears set-id bits. */
	(void)fchmod(fd, mode);
}
