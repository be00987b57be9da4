/*
 * echo-workers.c: echo-server --workers N, N processes each with its own
 * loop and its own listening socket on one port (SO_REUSEPORT, so the
 * kernel spreads the clients), under a master that owns the port and pid
 * files and stops them all.
 *
 * The master forks the workers one by one and waits for each to listen:
 * the first picks the port when it is 0, the others take the same.  Then
 * it writes the files and releases --background's parent, and only
 * waits: SIGINT or SIGTERM is passed on to every worker as SIGTERM (each
 * stops gracefully, as a single server does; a second signal stops them
 * at once), and a worker that exits on its own stops the others.  Workers
 * ignore SIGINT, so a terminal's ^C reaches them once, through the
 * master.  --max-conns stays one limit for the whole server: a counter in
 * memory the workers share.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acore.h"
#include "cmd.h"
#include "echo.h"

struct worker {
	pid_t	 pid;
	int	 status;	/* exit status once reaped; -1 while running */
};

static struct worker *workers;
static int	 nworkers;

/* Tell every running worker to stop. */
static void
stop_all(void)
{
	int i;

	for (i = 0; i < nworkers; i++)
		if (workers[i].status < 0 && workers[i].pid > 0)
			kill(workers[i].pid, SIGTERM);
}

/* Reap what has exited; the number still running. */
static int
reap(int *first_failure)
{
	int i, st, running = 0;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < nworkers; i++) {
			if (workers[i].pid != pid)
				continue;
			workers[i].status = WIFEXITED(st) ? WEXITSTATUS(st) :
			    AC_EXIT_FAIL;
			if (workers[i].status != 0 && *first_failure == 0)
				*first_failure = workers[i].status;
		}
	}
	for (i = 0; i < nworkers; i++)
		if (workers[i].pid > 0 && workers[i].status < 0)
			running++;
	return running;
}

/* Start worker i on port; its port as it reports it, or NULL. */
static const char *
start(int i, const char *port, echo_serve_fn serve, void *arg,
    const sigset_t *old)
{
	static char got[16];
	ssize_t n, len = 0;
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		err(AC_EXIT_FAIL, "echo-server: pipe");
	if ((workers[i].pid = fork()) < 0)
		err(AC_EXIT_FAIL, "echo-server: fork");
	if (workers[i].pid == 0) {
		close(p[0]);
		/* The master's death is our stop too. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		signal(SIGINT, SIG_IGN);
		sigprocmask(SIG_SETMASK, old, NULL);
		exit(serve(port, p[1], arg));
	}
	close(p[1]);
	while (len < (ssize_t)sizeof(got) - 1) {
		n = read(p[0], got + len, sizeof(got) - 1 - (size_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	close(p[0]);
	got[len] = '\0';
	return len > 0 ? got : NULL;
}

int
echo_workers(int n, const char *port, echo_serve_fn serve, void *arg,
    const char *port_file, const char *pid_file, size_t max_conns)
{
	atomic_size_t *conns = NULL;
	sigset_t set, old;
	const char *got;
	int i, sig, failure = 0, stopping = 0;

	if ((workers = calloc((size_t)n, sizeof(*workers))) == NULL)
		err(AC_EXIT_FAIL, "echo-server");
	for (i = 0; i < n; i++)
		workers[i].status = -1;
	nworkers = n;
	if (max_conns > 0) {
		conns = mmap(NULL, sizeof(*conns), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (conns == MAP_FAILED)
			err(AC_EXIT_FAIL, "echo-server: mmap");
		atomic_init(conns, 0);
		echo_srv.shared_conns = conns;
	}
	/* Signals wait for sigwait below, not for a handler. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);

	for (i = 0; i < n; i++) {
		if ((got = start(i, port, serve, arg, &old)) == NULL) {
			/* It said why on stderr; stop the others. */
			stop_all();
			while (reap(&failure) > 0)
				sigwait(&set, &sig);
			return failure != 0 ? failure : AC_EXIT_FAIL;
		}
		if (i == 0) {
			port = strdup(got);	/* port 0: the first one's pick */
			if (port == NULL)
				err(AC_EXIT_FAIL, "echo-server");
		}
	}
	if (pid_file != NULL)
		echo_write_pid_file(pid_file);
	if (port_file != NULL)
		echo_write_file(port_file, "%s\n", port);
	echo_ready();

	while (reap(&failure) > 0) {
		if (sigwait(&set, &sig) != 0 || sig == SIGCHLD) {
			/* One gone on its own: the server is not whole. */
			if (!stopping && reap(&failure) < n) {
				stopping = 1;
				if (failure == 0)
					failure = AC_EXIT_FAIL;
				stop_all();
			}
			continue;
		}
		stopping = 1;
		stop_all();	/* again on a second signal: at once, then */
	}
	echo_remove_files();
	free((char *)port);
	free(workers);
	if (conns != NULL)
		munmap(conns, sizeof(*conns));
	return failure;
}
