/*
 * echo-workers.c: echo-server --workers N, N processes each with its own
 * loop, all accepting on the listening sockets the master made, one per
 * address (why not SO_REUSEPORT: see listen_for_workers in echo-server.c),
 * under a master that owns the sockets, the files and the signals.
 *
 * The master forks the workers one by one and waits for each to serve.
 * Then it writes the files and releases --background's parent, and only
 * waits: SIGINT or SIGTERM is passed on to every worker as SIGTERM (each
 * stops gracefully, as a single server does; a second signal stops them
 * at once).  A worker that ends otherwise (a crash, SIGKILL) is replaced,
 * with a line on stderr, as nginx's master does; the sockets are the
 * master's, so no client queued on them is lost.  More than N + STORM_EXTRA
 * deaths in a second is a crash loop, not bad luck: the master stops the
 * rest and exits 1 rather than fork at full speed forever.  Workers
 * ignore SIGINT, so a terminal's ^C reaches them once, through the
 * master.  --max-conns stays one limit for the whole server: a counter in
 * memory the workers share, next to each worker's own part of it, which
 * the master gives back when that worker dies.
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

#define STORM_EXTRA	5	/* deaths a second beyond N: a crash loop */

struct worker {
	pid_t	 pid;
	int	 status;	/* exit status once reaped; -1 while running */
};

static struct worker *workers;
static int	 nworkers;
static atomic_size_t *conns;	/* --max-conns: [0] all, [1 + i] worker i */

/* Tell every running worker to stop. */
static void
stop_all(void)
{
	int i;

	for (i = 0; i < nworkers; i++)
		if (workers[i].status < 0 && workers[i].pid > 0)
			kill(workers[i].pid, SIGTERM);
}

static int
running(void)
{
	int i, n = 0;

	for (i = 0; i < nworkers; i++)
		if (workers[i].pid > 0 && workers[i].status < 0)
			n++;
	return n;
}

/*
 * Start worker i on the listening sockets fds; 0 once it serves, -1 if it
 * ended first (it said why on stderr).
 */
static int
start(int i, const struct echo_fds *fds, echo_serve_fn serve, void *arg,
    const sigset_t *old)
{
	char got[16];
	ssize_t n;
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		err(AC_EXIT_FAIL, "echo-server: pipe");
	workers[i].status = -1;
	if ((workers[i].pid = fork()) < 0)
		err(AC_EXIT_FAIL, "echo-server: fork");
	if (workers[i].pid == 0) {
		close(p[0]);
		/* The master's death is our stop too. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		signal(SIGINT, SIG_IGN);
		sigprocmask(SIG_SETMASK, old, NULL);
		if (conns != NULL)
			echo_srv.own_conns = &conns[1 + i];
		exit(serve(fds, p[1], arg));
	}
	close(p[1]);
	do
		n = read(p[0], got, sizeof(got));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	return n > 0 ? 0 : -1;
}

/* "exited with status 3", "killed by signal 9 (Killed)" */
static void
describe(int st, char *buf, size_t size)
{
	if (WIFSIGNALED(st))
		snprintf(buf, size, "killed by signal %d (%s)", WTERMSIG(st),
		    strsignal(WTERMSIG(st)));
	else
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(st));
}

/*
 * A crash loop: more than N + STORM_EXTRA deaths within a second (a
 * window that starts at the first death after a quiet second).
 */
static int
storm(void)
{
	static double since;
	static int deaths;
	double now = acore_now();

	if (deaths == 0 || now - since > 1.0) {
		since = now;
		deaths = 0;
	}
	return ++deaths > nworkers + STORM_EXTRA;
}

/*
 * Reap what has exited.  While serving, a worker that ended is replaced;
 * *stopping is set (and *failure) when that must end instead.
 */
static void
reap(const struct echo_fds *fds, echo_serve_fn serve, void *arg,
    const sigset_t *old, int *stopping, int *failure)
{
	char how[64];
	pid_t pid;
	int i, st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < nworkers && workers[i].pid != pid; i++)
			;
		if (i == nworkers)
			continue;
		workers[i].status = WIFEXITED(st) ? WEXITSTATUS(st) :
		    AC_EXIT_FAIL;
		if (conns != NULL)
			atomic_fetch_sub(&conns[0],
			    atomic_exchange(&conns[1 + i], 0));
		if (*stopping) {
			if (workers[i].status != 0 && *failure == 0)
				*failure = workers[i].status;
			continue;
		}
		describe(st, how, sizeof(how));
		if (storm()) {
			warnx("echo-server: worker %ld %s; workers keep dying "
			    "(more than %d in a second): stopping", (long)pid,
			    how, nworkers + STORM_EXTRA);
			*stopping = 1;
			*failure = AC_EXIT_FAIL;
			stop_all();
			continue;
		}
		if (start(i, fds, serve, arg, old) == 0)
			warnx("echo-server: worker %ld %s; started worker %ld",
			    (long)pid, how, (long)workers[i].pid);
		else
			warnx("echo-server: worker %ld %s; its replacement "
			    "%ld did not start", (long)pid, how,
			    (long)workers[i].pid);
	}
}

/* Refuse new clients: the master's sockets close, the workers' follow. */
static void
close_fds(struct echo_fds *fds)
{
	size_t i;

	for (i = 0; i < fds->n; i++)
		close(fds->fd[i]);
	fds->n = 0;
}

int
echo_workers(int n, struct echo_fds *fds, const char *port,
    echo_serve_fn serve, void *arg, const char *port_file,
    const char *pid_file, size_t max_conns)
{
	sigset_t set, old;
	int i, sig, failure = 0, stopping = 0;

	if ((workers = calloc((size_t)n, sizeof(*workers))) == NULL)
		err(AC_EXIT_FAIL, "echo-server");
	nworkers = n;
	if (max_conns > 0) {
		conns = mmap(NULL, sizeof(*conns) * (size_t)(n + 1),
		    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (conns == MAP_FAILED)
			err(AC_EXIT_FAIL, "echo-server: mmap");
		for (i = 0; i <= n; i++)
			atomic_init(&conns[i], 0);
		echo_srv.shared_conns = &conns[0];
	}
	/* Signals wait for sigwait below, not for a handler. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);

	for (i = 0; i < n; i++) {
		if (start(i, fds, serve, arg, &old) < 0) {
			/* It said why on stderr; stop the others. */
			stopping = 1;
			stop_all();
			while (reap(fds, serve, arg, &old, &stopping, &failure),
			    running() > 0)
				sigwait(&set, &sig);
			return failure != 0 ? failure : AC_EXIT_FAIL;
		}
	}
	if (pid_file != NULL)
		echo_write_pid_file(pid_file);
	if (port_file != NULL)
		echo_write_file(port_file, "%s\n", port);
	echo_ready();

	while (reap(fds, serve, arg, &old, &stopping, &failure),
	    running() > 0) {
		if (sigwait(&set, &sig) != 0 || sig == SIGCHLD)
			continue;
		stopping = 1;
		close_fds(fds);
		stop_all();	/* again on a second signal: at once, then */
	}
	close_fds(fds);
	echo_remove_files();
	free(workers);
	if (conns != NULL)
		munmap(conns, sizeof(*conns) * (size_t)(n + 1));
	return failure;
}
