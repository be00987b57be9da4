/*
 * field.c: the fields of a response's header and trailer sections:
 * their syntax (RFC 9110 5, RFC 9112 5), lists, and the three fields that
 * decide the framing of the body: Content-Length, Transfer-Encoding and
 * Connection.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ahttp-internal.h"

static int	 is_tchar(unsigned char);
static int	 field_at(const char *, size_t, size_t, size_t *,
		    struct ahttp_field *);
static int	 list_next(const char *, size_t, size_t *, const char **,
		    size_t *);
static int	 name_is(const struct ahttp_field *, const char *);
static int	 header_field(struct ahttp__framing *,
		    const struct ahttp_field *);

static int
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    AHTTP__IS_DIGIT(c))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/*
 * Check the fields of the block buf[start, end) (start: just past the
 * status line for a header block).  Folded lines are joined in place, their
 * line breaks turned into spaces, so every field is one line afterwards.
 * seen is NULL for a trailer section, whose fields mean nothing to framing.
 * A malformed line gives the error bad.
 */
int
ahttp__check_fields(struct ahttp_parser *p, size_t start, size_t end,
    struct ahttp__framing *seen, int bad)
{
	struct ahttp_field f;
	size_t i, pos;
	int r;
	char *b = p->buf;

	/* Whitespace right after the start line cannot continue anything. */
	if (start < end && (b[start] == ' ' || b[start] == '\t'))
		return bad;
	for (i = start; i + 1 < end; i++) {
		if (b[i] != '\n' || (b[i + 1] != ' ' && b[i + 1] != '\t'))
			continue;
		if (i > start && b[i - 1] == '\r')
			b[i - 1] = ' ';
		for (; i + 1 < end && (b[i + 1] == ' ' || b[i + 1] == '\t');
		    i++)
			b[i] = ' ';
		b[i] = ' ';
	}
	pos = start;
	while ((r = field_at(b, end, pos, &pos, &f)) > 0)
		if (seen != NULL && (r = header_field(seen, &f)) != 0)
			return r;
	return r < 0 ? bad : 0;
}

/*
 * The field line at pos: 1 and *next past it, 0 at the empty line that ends
 * the block, -1 when malformed.
 */
static int
field_at(const char *b, size_t end, size_t pos, size_t *next,
    struct ahttp_field *f)
{
	const char *nl;
	size_t le, i, vs, ve;

	if ((nl = memchr(b + pos, '\n', end - pos)) == NULL)
		return -1;
	le = (size_t)(nl - b);
	*next = le + 1;
	if (le > pos && b[le - 1] == '\r')
		le--;
	if (le == pos)
		return 0;
	/* No whitespace before the colon: a smuggling classic. */
	for (i = pos; i < le && is_tchar((unsigned char)b[i]); i++)
		;
	if (i == pos || i == le || b[i] != ':')
		return -1;
	f->name = b + pos;
	f->namelen = i - pos;
	for (vs = i + 1; vs < le && (b[vs] == ' ' || b[vs] == '\t'); vs++)
		;
	for (ve = le; ve > vs && (b[ve - 1] == ' ' || b[ve - 1] == '\t'); ve--)
		;
	for (i = vs; i < ve; i++)
		if (!AHTTP__IS_TEXT((unsigned char)b[i]))
			return -1;
	f->value = b + vs;
	f->valuelen = ve - vs;
	return 1;
}

/* Next element of the list v[*i, len): trimmed; empty ones skipped. */
static int
list_next(const char *v, size_t len, size_t *i, const char **e, size_t *elen)
{
	size_t s, t;

	while (*i < len) {
		for (s = t = *i; t < len && v[t] != ','; t++)
			;
		*i = t + 1;
		while (s < t && (v[s] == ' ' || v[s] == '\t'))
			s++;
		while (t > s && (v[t - 1] == ' ' || v[t - 1] == '\t'))
			t--;
		if (t > s) {
			*e = v + s;
			*elen = t - s;
			return 1;
		}
	}
	return 0;
}

static int
name_is(const struct ahttp_field *f, const char *name)
{
	size_t n = strlen(name);

	return f->namelen == n && strncasecmp(f->name, name, n) == 0;
}

static int
header_field(struct ahttp__framing *seen, const struct ahttp_field *f)
{
	const char *e;
	size_t i = 0, elen, k;
	int64_t v;
	int any = 0;

	if (name_is(f, "content-length")) {
		/* A list of one repeated value is allowed (RFC 9110 8.6). */
		while (list_next(f->value, f->valuelen, &i, &e, &elen)) {
			for (v = 0, k = 0; k < elen; k++) {
				if (!AHTTP__IS_DIGIT(e[k]) ||
				    v > (INT64_MAX - (e[k] - '0')) / 10)
					return AHTTP_E_CLEN;
				v = v * 10 + (e[k] - '0');
			}
			if (seen->clen >= 0 && seen->clen != v)
				return AHTTP_E_CLEN_DUP;
			seen->clen = v;
			any = 1;
		}
		if (!any)
			return AHTTP_E_CLEN;
	} else if (name_is(f, "transfer-encoding")) {
		/*
		 * Only chunked, once: nothing else can be undone here.
		 * identity changes nothing and is skipped, as curl does.
		 */
		while (list_next(f->value, f->valuelen, &i, &e, &elen)) {
			any = 1;
			if (elen == 8 && strncasecmp(e, "identity", 8) == 0)
				continue;
			if (elen != 7 || strncasecmp(e, "chunked", 7) != 0 ||
			    seen->chunked)
				return AHTTP_E_TE;
			seen->chunked = 1;
		}
		if (!any)
			return AHTTP_E_TE;
		seen->te = 1;
	} else if (name_is(f, "connection")) {
		while (list_next(f->value, f->valuelen, &i, &e, &elen)) {
			if (elen == 5 && strncasecmp(e, "close", 5) == 0)
				seen->conn_close = 1;
			else if (elen == 10 &&
			    strncasecmp(e, "keep-alive", 10) == 0)
				seen->conn_keep = 1;
		}
	}
	return 0;
}

int
ahttp_next_field(const struct ahttp_parser *p, size_t *pos,
    struct ahttp_field *f)
{
	const char *nl;

	if (p->hdr_len == 0)
		return 0;
	if (*pos == 0) {
		nl = memchr(p->buf, '\n', p->hdr_len);
		*pos = (size_t)(nl - p->buf) + 1;
	}
	if (*pos >= p->hdr_len)
		return 0;
	return field_at(p->buf, p->hdr_len, *pos, pos, f) > 0;
}

const char *
ahttp_find_field(ahttp_next_fn next, const void *src, const char *name,
    size_t *len)
{
	struct ahttp_field f;
	size_t pos = 0;

	while (next(src, &pos, &f))
		if (name_is(&f, name)) {
			*len = f.valuelen;
			return f.value;
		}
	return NULL;
}

/* ahttp_next_field as an ahttp_next_fn. */
static int
parser_next(const void *src, size_t *pos, struct ahttp_field *f)
{
	return ahttp_next_field(src, pos, f);
}

const char *
ahttp_get_field(const struct ahttp_parser *p, const char *name, size_t *len)
{
	return ahttp_find_field(parser_next, p, name, len);
}

/* s[0, n) onto buf at *len as far as size allows; *len counts it all. */
static void
append(char *buf, size_t size, size_t *len, const char *s, size_t n)
{
	if (*len < size)
		memcpy(buf + *len, s, size - *len < n ? size - *len : n);
	*len += n;
}

size_t
ahttp_find_list(ahttp_next_fn next, const void *src, const char *name,
    char *buf, size_t size)
{
	struct ahttp_field f;
	size_t pos = 0, len = 0;

	while (next(src, &pos, &f))
		if (name_is(&f, name) && f.valuelen > 0) {
			if (len > 0)
				append(buf, size, &len, ", ", 2);
			append(buf, size, &len, f.value, f.valuelen);
		}
	if (size > 0)
		buf[len < size ? len : size - 1] = '\0';
	return len;
}

size_t
ahttp_get_list(const struct ahttp_parser *p, const char *name, char *buf,
    size_t size)
{
	return ahttp_find_list(parser_next, p, name, buf, size);
}
