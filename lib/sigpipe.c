/*
 * sigpipe.c: acore_ignore_sigpipe, the program's promise that SIGPIPE
 * stays ignored, which spares the guard of transport.c (sigpending and
 * two sigprocmask calls around every write into a pipe and every splice
 * into a socket: half the system calls of a zero-copy echo).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "acore-internal.h"

/* Process-wide, as the disposition is; set once, never cleared. */
static atomic_int sigpipe_ignored;

int
acore__sigpipe_ignored(void)
{
	return atomic_load_explicit(&sigpipe_ignored, memory_order_relaxed);
}

int
acore_ignore_sigpipe(void)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPIPE, &sa, &old) < 0)
		return -errno;
	atomic_store_explicit(&sigpipe_ignored, 1, memory_order_relaxed);
	return old.sa_handler == SIG_IGN;
}
