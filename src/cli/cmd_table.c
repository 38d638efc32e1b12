/* cmd_table.c -- the commands of the nameplate binary, one row each. */
#include <string.h>

#include "cli/cli.h"

const cli_cmd_t cli_commands[] = {
	{ "serve", cmd_serve, "run the server roles (api; dns and jobs arrive with their issues)" },
	{ "migrate", cmd_migrate, "apply pending store migrations and exit" },
	{ "admin", cmd_admin, "manage users, accounts, memberships, tokens, OAuth apps" },
	{ "zone", cmd_zone, "import and export zone files" },
	{ NULL, NULL, NULL },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: nameplate COMMAND [OPTIONS]\n\n"
		     "Self-hosted DNS hosting with a DNSimple-compatible API.\n\ncommands:\n");
	for (const cli_cmd_t *c = cli_commands; c->name != NULL; c++) {
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
	}
	fprintf(out, "\nsettings (every command takes them; also NAMEPLATE_* variables and\n"
		     "'key: value' lines in --config FILE; flags win over the environment,\n"
		     "which wins over the file):\n");
	conf_print_help(out);
	fprintf(out, "  %-28s set any setting by name\n", "--set KEY=VALUE");
	fprintf(out, "\n'nameplate COMMAND --help' tells more.\n");
}

int cli_main(int argc, char **argv)
{
	if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0 ||
	    strcmp(argv[0], "help") == 0) {
		usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? 64 : 0;
	}
	if (strcmp(argv[0], "--version") == 0 || strcmp(argv[0], "-V") == 0) {
		printf("nameplate %s\n", NAMEPLATE_VERSION);
		return 0;
	}
	for (const cli_cmd_t *c = cli_commands; c->name != NULL; c++) {
		if (strcmp(argv[0], c->name) == 0) {
			return c->run(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "nameplate: unknown command '%s'\n\n", argv[0]);
	usage(stderr);
	return 64;
}
