/*
 * tap.h: the few TAP helpers the C tests need.  Each check prints its own
 * "ok N - what" line so automake's tap driver reports it on its own.
 */
#ifndef TAP_H
#define TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

static inline void
tap_plan(int n)
{
	printf("1..%d\n", n);
	fflush(stdout);
}

static inline void
tap_plan_done(void)
{
	printf("1..%d\n", tap_n);
}

static inline int
ok_at(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

#define ok(cond, ...)	ok_at(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, want, ...) do {					\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	if (!ok(g_ == w_, __VA_ARGS__))					\
		printf("#   got %lld, want %lld\n", g_, w_);		\
} while (0)

#define is_str(got, want, ...) do {					\
	const char *g_ = (got), *w_ = (want);				\
	if (!ok(g_ != NULL && strcmp(g_, w_) == 0, __VA_ARGS__))	\
		printf("#   got \"%s\"\n#  want \"%s\"\n",		\
		    g_ ? g_ : "(null)", w_);				\
} while (0)

#define is_mem(got, glen, want, wlen, ...) do {				\
	size_t gl_ = (glen), wl_ = (wlen);				\
	if (!ok(gl_ == wl_ && memcmp((got), (want), gl_) == 0, __VA_ARGS__)) \
		printf("#   got %zu bytes, want %zu\n", gl_, wl_);	\
} while (0)

static inline void
diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* The rest cannot run (no loopback listener, say): stop the plan here. */
static inline void
bail_out(const char *why)
{
	printf("Bail out! %s\n", why);
	fflush(stdout);
	exit(1);
}

static inline int
tap_exit(void)
{
	return tap_failed ? 1 : 0;
}

#endif /* TAP_H */
