/* cmd_migrate.c -- nameplate migrate: apply pending store migrations. */
#include "cli/cli.h"
#include "core/err.h"

int cmd_migrate(int argc, char **argv)
{
	conf_t conf;
	cli_args_t args;
	if (cli_parse(argc, argv, NULL, &conf, &args) != ERR_OK) {
		conf_clear(&conf);
		return 64;
	}
	if (args.is_help) {
		printf("usage: nameplate migrate [--data DIR]\n\nApply pending migrations "
		       "(serve also does this at start).\n");
		conf_clear(&conf);
		return 0;
	}
	store_t *st = NULL;
	int ret = cli_store_open(&conf, &st);
	if (ret == ERR_OK) {
		int version = 0;
		store_schema_version(st, &version);
		printf("store %s/nameplate.db at schema version %d\n", conf.data, version);
		store_close(st);
	}
	conf_clear(&conf);
	return err_exit_code(ret);
}
