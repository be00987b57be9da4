/*
 * netrc.c: credentials from a .netrc file, read as curl reads it.
 *
 * The file is a list of whitespace-separated tokens: "machine NAME" (or
 * "default", for any host) starts an entry, "login X", "password X" and
 * "account X" fill it, "macdef NAME" is followed by a macro body running
 * to the next blank line, which is skipped.  A line whose first non-blank
 * byte is '#' is a comment.  A token may be double-quoted, with \" \\ \n
 * \r \t escapes, which is the only way to put a space in a password.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ahttp-internal.h"

struct lex {
	const char	*s, *end;
	size_t		 line;		/* of the token read last, from 1 */
	int		 bol;		/* only blanks since the line began */
	char		*tok;		/* the token read last */
	size_t		 cap;
};

static int
put(struct lex *lx, size_t *n, char c)
{
	char *t;

	if (*n + 1 >= lx->cap) {
		if ((t = realloc(lx->tok, lx->cap ? lx->cap * 2 : 64)) == NULL)
			return -ENOMEM;
		lx->tok = t;
		lx->cap = lx->cap ? lx->cap * 2 : 64;
	}
	lx->tok[(*n)++] = c;
	lx->tok[*n] = '\0';
	return 0;
}

/* The next token into lx->tok: 1, 0 at the end, -EINVAL, -ENOMEM. */
static int
next(struct lex *lx)
{
	size_t n = 0, start;
	char c;
	int rc;

	for (;;) {
		while (lx->s < lx->end && strchr(" \t\r\n", *lx->s) != NULL) {
			if (*lx->s == '\n') {
				lx->line++;
				lx->bol = 1;
			}
			lx->s++;
		}
		if (lx->s == lx->end)
			return 0;
		if (!(lx->bol && *lx->s == '#'))
			break;
		while (lx->s < lx->end && *lx->s != '\n')
			lx->s++;
	}
	lx->bol = 0;
	if ((rc = put(lx, &n, '\0')) < 0)
		return rc;
	n = 0;
	start = lx->line;
	if (*lx->s != '"') {
		while (lx->s < lx->end && strchr(" \t\r\n", *lx->s) == NULL)
			if ((rc = put(lx, &n, *lx->s++)) < 0)
				return rc;
		return 1;
	}
	for (lx->s++; lx->s < lx->end && *lx->s != '"'; lx->s++) {
		c = *lx->s;
		if (c == '\n')
			lx->line++;
		if (c == '\\' && lx->s + 1 < lx->end) {
			c = *++lx->s;
			c = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ?
			    '\t' : c;
		}
		if ((rc = put(lx, &n, c)) < 0)
			return rc;
	}
	if (lx->s == lx->end) {
		lx->line = start;	/* where the quote opened */
		return -EINVAL;
	}
	lx->s++;
	return 1;
}

/* After "macdef NAME": skip the body, up to and with a blank line. */
static void
skip_macro(struct lex *lx)
{
	const char *p;

	while (lx->s < lx->end && *lx->s != '\n')
		lx->s++;			/* the rest of the macdef line */
	while (lx->s < lx->end) {
		lx->s++;			/* '\n' */
		lx->line++;
		for (p = lx->s; p < lx->end && (*p == ' ' || *p == '\t' ||
		    *p == '\r'); p++)
			;
		if (p == lx->end || *p == '\n') {
			lx->s = p;		/* a blank line ends it */
			return;
		}
		while (lx->s < lx->end && *lx->s != '\n')
			lx->s++;
	}
}

/* One entry being read. */
struct entry {
	int	 is_default, match;
	char	*login, *password;
};

static void
entry_clear(struct entry *e)
{
	free(e->login);
	free(e->password);
	memset(e, 0, sizeof(*e));
}

/* The entry e, just ended, answers: 1 (its strings are taken), else 0. */
static int
entry_done(struct entry *e, const char *login, struct entry *best)
{
	if (!e->match || (login != NULL && (e->login == NULL ||
	    strcmp(e->login, login) != 0)))
		return 0;
	/* A machine entry ends the search; "default" waits for one. */
	if (!e->is_default) {
		entry_clear(best);
		*best = *e;
		memset(e, 0, sizeof(*e));
		return 1;
	}
	if (!best->match) {
		*best = *e;
		memset(e, 0, sizeof(*e));
	}
	return 0;
}

int
ahttp_netrc_find(const char *text, size_t len, const char *host,
    const char *login, char **loginp, char **passwordp, size_t *line)
{
	struct lex lx = { text, text + len, 1, 1, NULL, 0 };
	struct entry e, best;
	char **slot;
	int rc, in_entry = 0;

	memset(&e, 0, sizeof(e));
	memset(&best, 0, sizeof(best));
	*loginp = *passwordp = NULL;
	while ((rc = next(&lx)) > 0) {
		if (strcasecmp(lx.tok, "machine") == 0 ||
		    strcasecmp(lx.tok, "default") == 0) {
			if (in_entry && entry_done(&e, login, &best))
				break;
			entry_clear(&e);
			in_entry = 1;
			if (strcasecmp(lx.tok, "default") == 0)
				e.is_default = e.match = 1;
			else if ((rc = next(&lx)) <= 0)
				break;
			else
				e.match = strcasecmp(lx.tok, host) == 0;
		} else if (strcasecmp(lx.tok, "macdef") == 0) {
			if ((rc = next(&lx)) <= 0)
				break;
			skip_macro(&lx);
		} else if (in_entry && (strcasecmp(lx.tok, "login") == 0 ||
		    strcasecmp(lx.tok, "password") == 0 ||
		    strcasecmp(lx.tok, "account") == 0)) {
			slot = strcasecmp(lx.tok, "login") == 0 ? &e.login :
			    strcasecmp(lx.tok, "password") == 0 ?
			    &e.password : NULL;
			if ((rc = next(&lx)) <= 0)
				break;
			if (slot != NULL) {
				free(*slot);
				if ((*slot = strdup(lx.tok)) == NULL) {
					rc = -ENOMEM;
					break;
				}
			}
		}
		/* Anything else is a token we do not know: skipped. */
	}
	if (rc == 0 && in_entry)
		entry_done(&e, login, &best);
	entry_clear(&e);
	free(lx.tok);
	if (rc < 0) {
		if (line != NULL)
			*line = lx.line;
		entry_clear(&best);
		return rc;
	}
	if (!best.match)
		return 1;
	*loginp = best.login;
	*passwordp = best.password;
	return 0;
}
