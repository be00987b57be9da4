/*
 * acore.c: main(): global options, the command table, help and version.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acore.h"
#include "cmd.h"

/* Sorted by name; exact match only. */
static const struct acore_cmd *cmds[] = {
	&acore_cmd_cat_file,
	&acore_cmd_echo_client,
	&acore_cmd_echo_server,
	&acore_cmd_http_get,
};
#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

static const struct acore_cmd *
find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i]->name, name) == 0)
			return cmds[i];
	return NULL;
}

static void
list_cmds(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: acore [-hV] command [args ...]\n"
	    "       acore help command\n\ncommands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(fp, "  %-12s %s\n", cmds[i]->name, cmds[i]->summary);
	fprintf(fp, "\nSee 'acore help COMMAND' or acore(1).\n");
}

static int
unknown(const char *name)
{
	fprintf(stderr, "acore: unknown command '%s'; try 'acore help'\n",
	    name);
	return AC_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help",	no_argument, NULL, 'h' },
		{ "version",	no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const struct acore_cmd *cmd;
	int ch;

	/* Before any descriptor of ours exists: see cmd.h. */
	cmd_guard_stdio();
	cmd_ignore_sigpipe();

	/* "+": stop at the command name; its options are its own. */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			list_cmds(stdout);
			return AC_EXIT_OK;
		case 'V':
			cmd_version();
			return AC_EXIT_OK;
		default:
			fprintf(stderr, "acore: unknown option '%s'; "
			    "try 'acore help'\n", optopt ? (char[]){ '-',
			    (char)optopt, '\0' } : argv[optind - 1]);
			return AC_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;

	if (argc == 0) {
		list_cmds(stderr);
		return AC_EXIT_USAGE;
	}
	if (strcmp(argv[0], "help") == 0) {
		if (argc == 1) {
			list_cmds(stdout);
			return AC_EXIT_OK;
		}
		if ((cmd = find_cmd(argv[1])) == NULL)
			return unknown(argv[1]);
		cmd_usage(cmd, 0);
		return AC_EXIT_OK;
	}
	if ((cmd = find_cmd(argv[0])) == NULL)
		return unknown(argv[0]);
	if (cmd_wants(cmd, argc, argv, "--help", 'h')) {
		cmd_usage(cmd, 0);
		return AC_EXIT_OK;
	}
	/* As git and nc: the version from any subcommand too. */
	if (cmd_wants(cmd, argc, argv, "--version", 'V')) {
		cmd_version();
		return AC_EXIT_OK;
	}
	/* glibc: a new getopt scan must start from optind 0. */
	optind = 0;
	cmd_name = cmd->name;
	return cmd->main(argc, argv);
}
