/*
 * echo-check.c: the one echo check of the stream and --chat clients:
 * what comes back is compared with what was sent as it arrives (only the
 * first difference is kept, so the check costs no memory), copied to -o,
 * kept for -v's EXPECTED and RECEIVED records (the first ECHO_LOG_KEEP
 * bytes each way), and judged with the PyMOTW client's verdict lines.
 * Each client keeps its own way of holding what it sent and reaches it
 * through a span callback.
 */
#include "config.h"

#include <err.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acore.h"
#include "cmd.h"
#include "echo.h"

void
echo_check_init(struct echo_check *k, const struct echo_client_conf *c,
    const char *where)
{
	memset(k, 0, sizeof(*k));
	k->first_diff = ECHO_NO_DIFF;
	k->msg = c->msg;
	k->len = c->len;
	k->out_fd = c->out_fd;
	k->out_name = c->out_name;
	k->where = where;
}

void
echo_check_free(struct echo_check *k)
{
	free(k->expected.p);
	free(k->received.p);
	k->expected.p = k->received.p = NULL;
}

/* -v: keep the first ECHO_LOG_KEEP bytes; without memory, keep less. */
static void
keep(struct echo_copy *c, const void *buf, size_t n)
{
	if (!cmd_is_verbose() || c->len >= ECHO_LOG_KEEP)
		return;
	if (c->p == NULL && (c->p = malloc(ECHO_LOG_KEEP)) == NULL)
		return;
	if (n > ECHO_LOG_KEEP - c->len)
		n = ECHO_LOG_KEEP - c->len;
	memcpy(c->p + c->len, buf, n);
	c->len += n;
}

void
echo_check_sent(struct echo_check *k, const void *buf, size_t n)
{
	keep(&k->expected, buf, n);
}

int
echo_check_take(struct echo_check *k, const char *buf, size_t n,
    uint64_t sent, echo_span_fn *span, void *arg)
{
	const char *p;
	size_t i = 0, len, j;
	int rc;

	while (k->first_diff == ECHO_NO_DIFF && i < n) {
		if (k->got + i >= sent) {
			k->first_diff = k->got + i;	/* more than was sent */
			break;
		}
		len = span(arg, k->got + i, sent, n - i, &p);
		if (memcmp(buf + i, p, len) != 0) {
			for (j = 0; buf[i + j] == p[j]; j++)
				;
			k->first_diff = k->got + i + j;
		}
		i += len;
	}
	if (k->out_fd >= 0 && (rc = cmd_write_all(k->out_fd, buf, n)) < 0) {
		warnx("echo-client: %s: %s", k->out_name, strerror(-rc));
		return AC_EXIT_WRITE;
	}
	keep(&k->received, buf, n);
	k->got += n;
	return 0;
}

int
echo_check_ok(const struct echo_check *k, const char *name, uint64_t total,
    int complete)
{
	const char *exp = k->msg != NULL ? k->msg : k->expected.p;
	size_t explen = k->msg != NULL ? k->len : k->expected.len;

	if (complete && k->got == total && k->first_diff == ECHO_NO_DIFF) {
		acore_log(ACORE_LOG_DEBUG, name, "RECEIVED COPY OF MESSAGE");
		return 1;
	}
	acore_log(ACORE_LOG_DEBUG, name, "ERROR IN TRANSMISSION");
	cmd_log_data(name, "EXPECTED \"", exp != NULL ? exp : "",
	    exp != NULL ? explen : 0, "\"");
	cmd_log_data(name, "RECEIVED \"", k->received.p != NULL ?
	    k->received.p : "", k->received.len, "\"");
	return 0;
}

int
echo_check_differs(const struct echo_check *k)
{
	if (k->first_diff == ECHO_NO_DIFF)
		return -1;
	warnx("echo-client: echo from %s differs from the message at byte %"
	    PRIu64, k->where, k->first_diff);
	return AC_EXIT_FAIL;
}
