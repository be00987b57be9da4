/*
 * http-get.c: placeholder entry until its issue lands; says so plainly.
 */
#include "config.h"

#include <stdio.h>

#include "cmd.h"

static int
cmd_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "acore: http-get: not implemented yet\n");
	return AC_EXIT_UNSUPPORTED;
}

const struct acore_cmd acore_cmd_http_get = {
	.name = "http-get",
	.usage = "(not implemented yet)",
	.summary = "not implemented yet",
	.main = cmd_main,
};
