/*
 * fuzz-cookie.c: libFuzzer target for the cookie jar: Set-Cookie values,
 * the cookie file, -b strings and cookie dates.
 *
 * Input: byte 0 picks the secure flag and the time; the rest is lines.
 * Each line is a Set-Cookie value from a host and target its first byte
 * picks; then the whole rest is read as a cookie file into a second jar,
 * and as a -b string and a date.  Every jar must keep RFC 6265's
 * invariants and its saved text must load back to the same text.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ahttp.h"

static const char *const hosts[] = { "www.example.com", "example.com",
	"a.b.example.com", "localhost", "127.0.0.1", "::1", "Example.COM",
	"com" };
static const char *const targets[] = { "/", "/a/b", "/a/b/c?x=/y", "/a",
	"*", "/docs/", "", "/a/b/../c" };
#define N(a)	(sizeof(a) / sizeof(a[0]))

static int
ctl(const char *s, int tab_ok)
{
	for (; *s != '\0'; s++)
		if (((unsigned char)*s < 0x20 && !(tab_ok && *s == '\t')) ||
		    *s == 0x7f)
			return 1;
	return 0;
}

static void
check(const struct ahttp_jar *jar, int64_t now)
{
	const struct ahttp_cookie *c;
	size_t i, j;
	char *h;

	for (i = 0; (c = ahttp_jar_get(jar, i)) != NULL; i++) {
		if (c->name[0] == '\0' || ctl(c->name, 0) || ctl(c->value, 0) ||
		    c->domain[0] == '\0' || c->domain[0] == '.' ||
		    ctl(c->domain, 0) || c->path[0] != '/' || ctl(c->path, 0))
			abort();
		for (j = 0; c->domain[j] != '\0'; j++)
			if (c->domain[j] >= 'A' && c->domain[j] <= 'Z')
				abort();
	}
	if (i > AHTTP_JAR_MAX)
		abort();
	for (i = 0; i < N(hosts); i++)
		for (j = 0; j < N(targets); j++) {
			if (ahttp_jar_header(jar, hosts[i], targets[j],
			    (int)(i & 1), (int)(j & 1), now, &h) != 0)
				abort();
			if (h != NULL && (h[0] == '\0' || ctl(h, 1)))
				abort();
			free(h);
		}
}

static int
collect(void *arg, const void *buf, size_t len)
{
	return fwrite(buf, 1, len, arg) == len ? 0 : -EIO;
}

static char *
saved(const struct ahttp_jar *jar, int64_t now)
{
	char *s = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&s, &n);

	if (fp == NULL || ahttp_jar_save(jar, now, collect, fp) != 0)
		abort();
	fclose(fp);
	return s;
}

/* The jar's file must load back whole and save to the same text. */
static void
round_trip(const struct ahttp_jar *jar, int64_t now)
{
	struct ahttp_jar *again = ahttp_jar_new();
	char *a = saved(jar, now), *b;
	size_t bad;

	if (again == NULL || ahttp_jar_load(again, a, strlen(a), now,
	    &bad) != 0 || bad != 0)
		abort();
	b = saved(again, now);
	if (strcmp(a, b) != 0)
		abort();
	free(a);
	free(b);
	ahttp_jar_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	struct ahttp_jar *jar, *file;
	const char *data = (const char *)in + 1, *nl, *end, *why;
	int64_t now, t;
	char *s;
	size_t len;
	int secure;

	if (size < 1)
		return 0;
	len = size - 1;
	secure = in[0] & 1;
	now = (in[0] & 2) ? 1700000000 : (in[0] & 4) ? 0 : 253402300799;
	if ((jar = ahttp_jar_new()) == NULL || (file = ahttp_jar_new()) ==
	    NULL)
		abort();
	for (end = data + len; data < end; data = nl + 1) {
		if ((nl = memchr(data, '\n', (size_t)(end - data))) == NULL)
			nl = end;
		if (nl > data)
			ahttp_jar_set(jar, data + 1, (size_t)(nl - data - 1),
			    hosts[(unsigned char)data[0] % N(hosts)],
			    targets[((unsigned char)data[0] >> 3) % N(targets)],
			    secure, now, &why);
	}
	data = (const char *)in + 1;
	check(jar, now);
	round_trip(jar, now);

	if (ahttp_jar_load(file, data, len, now, NULL) != 0)
		abort();
	check(file, now);
	round_trip(file, now);

	if ((s = strndup(data, len)) == NULL)
		abort();
	if (ahttp_jar_given(file, s, &why) == 0)
		check(file, now);
	free(s);
	if (ahttp_cookie_date(data, len, &t) == 0 &&
	    (t < -11644473600LL || t > 253402300799LL))
		abort();
	ahttp_jar_free(jar);
	ahttp_jar_free(file);
	return 0;
}
