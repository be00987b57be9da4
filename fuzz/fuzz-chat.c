/*
 * fuzz-chat.c: libFuzzer target for the async_chat input scanner.
 *
 * The input is a small script: an input limit, up to four terminators
 * (string, count or none) that found_terminator() cycles through, and a
 * sequence of reads, some of them preceded by a terminator change made
 * between reads.  The reads go through acore__chat_feed(), the path a real
 * recv takes, and what the hooks saw (collected bytes, '|' for each
 * found_terminator, '!' for the limit error) is compared with a reference
 * model that looks at the whole stream at once instead of read by read.
 * Only the read boundaries differ between the two, so any difference is a
 * scanner bug: a terminator missed across a split, a held-back byte
 * collected, an empty collect, a count off by one.
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"		/* acore__chat_feed */

int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXTERMS	4
#define MAXCHANGES	64
#define MAXSTREAM	4096
#define MAXOUT		(2 * MAXSTREAM + 16)

struct term {
	int	 kind;			/* ACORE_TERM_* */
	size_t	 count;
	size_t	 len;
	char	 str[3];
};

struct script {
	size_t		 limit;		/* 0: none */
	struct term	 terms[MAXTERMS];
	size_t		 nterms;
	/* between-read changes: at stream offset at[i], switch to terms[to[i]] */
	size_t		 at[MAXCHANGES];
	size_t		 to[MAXCHANGES];
	size_t		 nchanges;
	char		 stream[MAXSTREAM];
	size_t		 len;
};

/* What the hooks (or the model) produced. */
struct trace {
	char	 out[MAXOUT];
	size_t	 len;
	size_t	 next;			/* next terms[] for found_terminator */
	const struct script *s;
};

static void
trace_add(struct trace *t, const void *p, size_t n)
{
	assert(t->len + n <= sizeof(t->out));
	memcpy(t->out + t->len, p, n);
	t->len += n;
}

static void
set_term(struct acore_dispatcher *d, const struct term *tm)
{
	switch (tm->kind) {
	case ACORE_TERM_STRING:
		acore_chat_set_terminator(d, tm->str, tm->len);
		break;
	case ACORE_TERM_COUNT:
		acore_chat_set_terminator_count(d, tm->count);
		break;
	default:
		acore_chat_set_terminator_none(d);
	}
}

static void
on_collect(struct acore_dispatcher *d, const void *p, size_t n, void *arg)
{
	/* asynchat never reports empty data. */
	assert(n > 0);
	trace_add(arg, p, n);
}

static void
on_found(struct acore_dispatcher *d, void *arg)
{
	struct trace *t = arg;

	trace_add(t, "|", 1);
	set_term(d, &t->s->terms[t->next++ % t->s->nterms]);
}

static void
on_error(struct acore_dispatcher *d, int err, void *arg)
{
	assert(err == -EMSGSIZE);
	trace_add(arg, "!", 1);
	acore_close(d);
}

static const struct acore_ops chat_ops = {
	.name = "fuzz",
	.collect_incoming_data = on_collect,
	.found_terminator = on_found,
	.handle_error = on_error,
};

/* -------------------------------------------------------- reference model */

static const char *
model_find(const char *p, size_t n, const struct term *tm)
{
	size_t i;

	for (i = 0; i + tm->len <= n; i++)
		if (memcmp(p + i, tm->str, tm->len) == 0)
			return p + i;
	return NULL;
}

/* Longest suffix of p[0, n) that is a proper prefix of the terminator. */
static size_t
model_held(const char *p, size_t n, const struct term *tm)
{
	size_t l;

	for (l = tm->len - 1; l > 0; l--)
		if (l <= n && memcmp(p + n - l, tm->str, l) == 0)
			return l;
	return 0;
}

/*
 * Collect [p, p + n) into the model trace; returns 0 when the limit trips.
 * The implementation collects the same bytes in smaller pieces, but the
 * running total is what the limit looks at and it ends each piece equal.
 */
static int
model_collect(struct trace *t, const struct term *cur, size_t *msg,
    const char *p, size_t n)
{
	const struct script *s = t->s;

	if (n == 0)
		return 1;
	if (cur->kind == ACORE_TERM_STRING && s->limit > 0 &&
	    *msg + n > s->limit) {
		trace_add(t, p, n);
		trace_add(t, "!", 1);
		return 0;
	}
	*msg += n;
	trace_add(t, p, n);
	return 1;
}

static void
model_run(const struct script *s, struct trace *t, struct term *cur)
{
	const char *q;
	size_t p = 0, end, msg = 0, c = 0, h;

	*cur = s->terms[0];
	for (;;) {
		/* A segment ends where the terminator was changed between reads. */
		end = c < s->nchanges ? s->at[c] : s->len;
		while (p < end) {
			if (cur->kind == ACORE_TERM_STRING) {
				q = model_find(s->stream + p, end - p, cur);
				if (q == NULL) {
					h = model_held(s->stream + p, end - p,
					    cur);
					if (!model_collect(t, cur, &msg,
					    s->stream + p, end - p - h))
						return;
					p = end - h;
					break;
				}
				if (!model_collect(t, cur, &msg, s->stream + p,
				    (size_t)(q - (s->stream + p))))
					return;
				p = (size_t)(q - s->stream) + cur->len;
			} else if (cur->kind == ACORE_TERM_COUNT &&
			    cur->count > 0) {
				if (end - p < cur->count) {
					cur->count -= end - p;
					model_collect(t, cur, &msg,
					    s->stream + p, end - p);
					p = end;
					break;
				}
				model_collect(t, cur, &msg, s->stream + p,
				    cur->count);
				p += cur->count;
				cur->count = 0;
			} else {
				model_collect(t, cur, &msg, s->stream + p,
				    end - p);
				p = end;
				break;
			}
			trace_add(t, "|", 1);
			msg = 0;
			*cur = s->terms[t->next++ % s->nterms];
		}
		/*
		 * Held-back bytes are scanned again only by the next read, so
		 * changes at one offset act as the last of them, and changes
		 * after the last read only set the final terminator.
		 */
		while (c < s->nchanges && s->at[c] == end)
			*cur = s->terms[s->to[c++]];
		if (end == s->len)
			return;
	}
}

/* ---------------------------------------------------------------- harness */

static void
parse_term(struct term *tm, uint8_t a, uint8_t b)
{
	size_t i;

	memset(tm, 0, sizeof(*tm));
	switch (a % 4) {
	case 0:
		tm->kind = ACORE_TERM_NONE;
		break;
	case 1:
		tm->kind = ACORE_TERM_COUNT;
		tm->count = b % 8;
		break;
	default:
		/* Two letters so that partial matches are frequent. */
		tm->kind = ACORE_TERM_STRING;
		tm->len = 1 + b % 3;
		for (i = 0; i < tm->len; i++)
			tm->str[i] = "ab"[(b >> (2 + i)) & 1];
	}
}

/*
 * Layout: limit byte, term count byte, 2 bytes per term, then records: a
 * byte with the top bit set changes the terminator between reads; any
 * other byte n is a read of n % 16 bytes that follow, mapped onto "abc".
 */
static int
parse(struct script *s, const uint8_t *data, size_t size, size_t *reads,
    size_t *nreads)
{
	size_t i, k, n;

	if (size < 2)
		return -1;
	s->limit = data[0] & 0x80 ? (size_t)(data[0] & 0x3f) + 1 : 0;
	s->nterms = 1 + data[1] % MAXTERMS;
	if (size < 2 + 2 * s->nterms)
		return -1;
	for (k = 0; k < s->nterms; k++)
		parse_term(&s->terms[k], data[2 + 2 * k], data[3 + 2 * k]);
	s->nchanges = s->len = *nreads = 0;
	for (i = 2 + 2 * s->nterms; i < size; ) {
		if (data[i] & 0x80) {
			if (s->nchanges == MAXCHANGES)
				break;
			s->at[s->nchanges] = s->len;
			s->to[s->nchanges++] = data[i++] % s->nterms;
			continue;
		}
		n = data[i++] % 16;
		if (n > size - i)
			n = size - i;
		if (n == 0 || s->len + n > MAXSTREAM || *nreads == MAXSTREAM)
			break;
		for (k = 0; k < n; k++)
			s->stream[s->len + k] = (char)('a' + data[i + k] % 3);
		reads[(*nreads)++] = n;
		s->len += n;
		i += n;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct script s;
	static struct trace got, want;
	static size_t reads[MAXSTREAM];
	struct acore_loop *loop;
	struct acore_dispatcher *d;
	struct term final;
	size_t nreads, i, off, c, count;
	const char *bang;
	int kind;

	if (parse(&s, data, size, reads, &nreads) < 0)
		return 0;
	memset(&got, 0, sizeof(got));
	memset(&want, 0, sizeof(want));
	got.s = want.s = &s;
	model_run(&s, &want, &final);

	if ((loop = acore_loop_new()) == NULL ||
	    (d = acore_chat_new(loop, &chat_ops, &got)) == NULL)
		abort();
	acore_chat_set_max_input(d, s.limit);
	set_term(d, &s.terms[0]);
	for (i = off = c = 0; i < nreads; i++) {
		while (c < s.nchanges && s.at[c] == off)
			set_term(d, &s.terms[s.to[c++]]);
		if (acore_flags(d) & ACORE_CLOSED)
			break;
		if (acore__chat_feed(d, s.stream + off, reads[i]) != 0)
			abort();
		off += reads[i];
	}
	while (c < s.nchanges && !(acore_flags(d) & ACORE_CLOSED))
		set_term(d, &s.terms[s.to[c++]]);

	if ((bang = memchr(want.out, '!', want.len)) == NULL) {
		/* No error: identical traces, identical final terminator. */
		if (got.len != want.len || memcmp(got.out, want.out,
		    got.len) != 0)
			abort();
		kind = acore_chat_get_terminator(d, &count);
		if (kind != final.kind || (kind == ACORE_TERM_COUNT &&
		    count != final.count))
			abort();
	} else {
		/*
		 * The limit tripped: the same messages before it, then a
		 * prefix of the model's bytes, at most limit of them, as the
		 * implementation stops before the collect that would exceed.
		 */
		const char *msg;
		size_t before, part;

		msg = want.out;
		for (i = 0; i < (size_t)(bang - want.out); i++)
			if (want.out[i] == '|')
				msg = want.out + i + 1;
		before = (size_t)(msg - want.out);
		if (got.len < before + 1 || got.out[got.len - 1] != '!' ||
		    memcmp(got.out, want.out, before) != 0)
			abort();
		part = got.len - 1 - before;
		if (part > (size_t)(bang - msg) ||
		    memcmp(got.out + before, msg, part) != 0 ||
		    memchr(got.out + before, '|', part) != NULL)
			abort();
		if (!(acore_flags(d) & ACORE_CLOSED))
			abort();
	}
	acore_loop_free(loop);
	return 0;
}
