/*
 * log.c: the one log hook, its default stderr sink, and error texts.
 *
 * The sink and the level are process-wide: atomics, so a thread may change
 * them while loops in other threads log (each record sees the old or the
 * new setting, never a torn one).
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "acore-internal.h"
#include "tls.h"

typedef void	(*sink_fn)(int, const char *, const char *, size_t);

static void	default_sink(int, const char *, const char *, size_t);

static _Atomic(sink_fn) sink = default_sink;
static atomic_int min_level = ACORE_LOG_WARN;

static int
level_on(int level)
{
	return level >= atomic_load_explicit(&min_level, memory_order_relaxed);
}

static void
emit(int level, const char *name, const char *msg, size_t len)
{
	atomic_load_explicit(&sink, memory_order_acquire)(level, name, msg,
	    len);
}

/*
 * Stack space for one formatted record and for one whole line: most
 * records fit, so logging costs no malloc; longer ones are allocated.
 */
#define LOG_FMT_STACK	1024
#define LOG_LINE_STACK	4096

/* "name: msg\n" in one write(2), so concurrent writers never mix lines. */
static void
default_sink(int level, const char *name, const char *msg, size_t len)
{
	char stackbuf[LOG_LINE_STACK], *p;
	size_t nlen = strlen(name), off = 0, total = nlen + len + 3;
	ssize_t n;

	(void)level;
	p = total > sizeof(stackbuf) ? malloc(total) : stackbuf;
	if (p == NULL)
		return;
	memcpy(p, name, nlen);
	memcpy(p + nlen, ": ", 2);
	memcpy(p + nlen + 2, msg, len);
	p[total - 1] = '\n';
	while (off < total) {
		/* A closed stderr pipe must not kill the program. */
		n = acore__write_nosigpipe(STDERR_FILENO, p + off,
		    total - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (p != stackbuf)
		free(p);
}

void
acore_set_log(void (*fn)(int, const char *, const char *, size_t))
{
	atomic_store_explicit(&sink, fn != NULL ? fn : default_sink,
	    memory_order_release);
}

int
acore_set_log_level(enum acore_log_level level)
{
	if ((int)level < ACORE_LOG_DEBUG || (int)level > ACORE_LOG_ERROR)
		return -EINVAL;
	atomic_store_explicit(&min_level, (int)level, memory_order_relaxed);
	return 0;
}

int
acore_log_enabled(enum acore_log_level level)
{
	return level_on((int)level);
}

void
acore_log_bytes(int level, const char *name, const char *msg, size_t len)
{
	if (level_on(level))
		emit(level, name, msg, len);
}

void
acore__vlog(int level, const char *name, const char *fmt, va_list ap)
{
	char buf[LOG_FMT_STACK], *p = buf;
	va_list again;
	int n;

	if (!level_on(level))
		return;
	va_copy(again, ap);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n >= 0 && (size_t)n >= sizeof(buf)) {
		if ((p = malloc((size_t)n + 1)) != NULL)
			vsnprintf(p, (size_t)n + 1, fmt, again);
	}
	va_end(again);
	if (n < 0 || p == NULL)
		return;
	emit(level, name, p, (size_t)n);
	if (p != buf)
		free(p);
}

void
acore_log(int level, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	acore__vlog(level, name, fmt, ap);
	va_end(ap);
}

/* libevent's own warnings go through our sink, never straight to stderr. */
static void
libevent_log(int severity, const char *msg)
{
	int level;

	switch (severity) {
	case EVENT_LOG_DEBUG:	level = ACORE_LOG_DEBUG; break;
	case EVENT_LOG_MSG:	level = ACORE_LOG_INFO; break;
	case EVENT_LOG_WARN:	level = ACORE_LOG_WARN; break;
	default:		level = ACORE_LOG_ERROR; break;
	}
	acore_log(level, "libevent", "%s", msg);
}

static void
log_init_once(void)
{
	event_set_log_callback(libevent_log);
}

void
acore__log_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	(void)pthread_once(&once, log_init_once);
}

const char *
acore_strerror(int err)
{
	if (ACORE_IS_EAI(err))
		return gai_strerror(err - ACORE_EAI_BASE);
	if (ACORE_IS_ETLS(err))
		return acore__tls_strerror(err);
	if (ACORE_IS_EPROXY(err))
		return acore__proxy_strerror(err);
	if (err == -ECANCELED)
		return "Operation canceled";
	return strerror(err < 0 ? -err : err);
}

const char *
acore_libevent_version(void)
{
	return event_get_version();
}
