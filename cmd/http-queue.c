/*
 * http-queue.c: http-get's job queue.  A job is one URL of the command
 * line through all its redirects; jobs wait in one queue (and in their
 * host's) until a connection takes them: a new one while the host has
 * fewer than --max-host-conns and fewer than -Z jobs are under way, else
 * the next kept-alive connection to that host that comes free.
 */
#include "config.h"

#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acore.h"
#include "cmd.h"
#include "http.h"

struct hg_host *
hg_host_for(struct hg *g, const struct ahttp_url *u)
{
	const struct hg_proxy *proxy = hg_proxy_for(g, u);
	struct hg_host *h;

	/* Keep-alive per (proxy, scheme, host, port). */
	for (h = g->hosts; h != NULL; h = h->next)
		if (strcasecmp(h->host, u->host) == 0 &&
		    strcmp(h->port, u->port) == 0 && h->tls == u->tls &&
		    h->proxy == proxy)
			return h;
	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->host = strdup(u->host)) == NULL ||
	    (h->port = strdup(u->port)) == NULL)
		err(AC_EXIT_FAIL, "http-get");
	TAILQ_INIT(&h->pending);
	h->tls = u->tls;
	h->proxy = proxy;
	h->next = g->hosts;
	g->hosts = h;
	return h;
}

void
hg_enqueue(struct hg *g, struct hg_job *j, int front)
{
	if (front) {
		TAILQ_INSERT_HEAD(&g->queue, j, q);
		TAILQ_INSERT_HEAD(&j->host->pending, j, hq);
	} else {
		TAILQ_INSERT_TAIL(&g->queue, j, q);
		TAILQ_INSERT_TAIL(&j->host->pending, j, hq);
	}
}

void
hg_take(struct hg *g, struct hg_job *j, int *last)
{
	TAILQ_REMOVE(&g->queue, j, q);
	TAILQ_REMOVE(&j->host->pending, j, hq);
	j->active = 1;
	g->active++;
	*last = TAILQ_EMPTY(&j->host->pending);
}

struct hg_job *
hg_next_for(struct hg *g, struct hg_host *h, int *last)
{
	struct hg_job *j;

	/* A job waiting out a --retry delay waits on a new connection. */
	TAILQ_FOREACH(j, &h->pending, hq)
		if (j->delay <= 0) {
			hg_take(g, j, last);
			return j;
		}
	return NULL;
}

void
hg_deactivate(struct hg *g, struct hg_job *j)
{
	if (j->active) {
		j->active = 0;
		g->active--;
	}
}

void
hg_requeue(struct hg *g, struct hg_job *j)
{
	hg_deactivate(g, j);
	hg_enqueue(g, j, 1);
}

/*
 * The first waiting job (in argument order) whose host has room: an open
 * connection with capacity left (*c), else room for a new connection
 * (*c NULL).  A job waiting out a --retry delay waits on a new one.
 */
static struct hg_job *
startable(struct hg *g, struct hg_conn **c)
{
	struct hg_host *h;
	struct hg_job *j, *best = NULL;
	struct hg_conn *room;

	*c = NULL;
	for (h = g->hosts; h != NULL; h = h->next) {
		if ((j = TAILQ_FIRST(&h->pending)) == NULL)
			continue;
		room = j->delay > 0 ? NULL : hg_conn_with_room(g, h);
		if (room == NULL && (h->nconns >= g->o.host_conns ||
		    hg_host_waits(g, h)))
			continue;
		if (best == NULL || j->seq < best->seq) {
			best = j;
			*c = room;
		}
	}
	return best;
}

void
hg_schedule(struct hg *g)
{
	struct hg_conn *c;
	struct hg_job *j;
	const char *msg;
	int last, rc, result;

	/* A connection failing at once calls back in here: loop instead. */
	if (g->scheduling || g->aborted)
		return;
	g->scheduling = 1;
	while (g->active < g->o.parallel && (j = startable(g, &c)) != NULL) {
		hg_take(g, j, &last);
		if (c != NULL && (rc = hg_conn_submit(c, j, last)) < 0) {
			msg = hg_req_error(j, rc, &result);
			hg_job_done(g, j, result, msg);
		} else if (c == NULL && (rc = hg_conn_start(g, j, last)) < 0)
			hg_job_done(g, j, AC_EXIT_FAIL, acore_strerror(rc));
	}
	g->scheduling = 0;
}
