/*
 * rare.c: a channel's side struct (struct acore_rare), for what few
 * channels use, and the channel's name, which lives there.  It is
 * allocated the first time a channel sets one of its fields, so an accepted
 * client with no timeout and no name costs only its dispatcher and event.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "acore-internal.h"

struct acore_rare *
acore__rare(struct acore_dispatcher *d)
{
	struct acore_rare *x;

	if (d->x != NULL)
		return d->x;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	x->high_water = ACORE__HIGH_WATER;
	x->saved_flags = -1;
	d->x = x;
	return x;
}

void
acore__rare_free(struct acore_dispatcher *d)
{
	struct acore_rare *x = d->x;

	if (x == NULL)
		return;
	if (x->idle_ev != NULL)
		event_free(x->idle_ev);
	acore__lowat_free(d);
	free(x->source);
	free(x->name);
	free(x);
	d->x = NULL;
}

int
acore_set_name(struct acore_dispatcher *d, const char *name)
{
	struct acore_rare *x;
	char *copy = NULL;

	if (name == NULL && d->x == NULL)
		return 0;
	if ((x = acore__rare(d)) == NULL)
		return -ENOMEM;
	if (name != NULL && (copy = strdup(name)) == NULL)
		return -ENOMEM;
	free(x->name);
	x->name = copy;
	return 0;
}

const char *
acore_name(const struct acore_dispatcher *d)
{
	if (d->x != NULL && d->x->name != NULL)
		return d->x->name;
	return d->ops->name != NULL ? d->ops->name : "acore";
}
