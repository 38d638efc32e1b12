/* cli.h -- the command table and the option parser that every command shares. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "core/conf.h"
#include <jansson.h>

#include "store/store.h"

#define CLI_MAX_OPTS 24
#define CLI_MAX_MULTI 32
#define CLI_MAX_POS 8

/* A command's own option: "--name VALUE" (has_arg) or "--name". */
typedef struct cli_opt {
	const char *name;
	bool has_arg;
	bool is_multi;     /* may repeat; values collect in order */
	const char *help;
} cli_opt_t;

typedef struct cli_args {
	const cli_opt_t *spec;
	const char *values[CLI_MAX_OPTS];          /* last value, or "" for a given flag */
	const char *multi[CLI_MAX_OPTS][CLI_MAX_MULTI];
	int multi_count[CLI_MAX_OPTS];
	const char *pos[CLI_MAX_POS];
	int pos_count;
	bool is_json;
	bool is_help;
	bool is_check;
} cli_args_t;

/* Parse argv (after the command words) into conf and args. Every setting of the config
 * schema is an option of every command, with --config FILE, --set key=value and --json.
 * Order: defaults, config file, environment, flags. Prints the problem and returns
 * ERR_INVALID on bad input. */
int cli_parse(int argc, char **argv, const cli_opt_t *spec, conf_t *conf, cli_args_t *args);
/* The value of one of the command's own options, or NULL. */
const char *cli_get(const cli_args_t *args, const char *name);
bool cli_has(const cli_args_t *args, const char *name);
/* All values of a repeated option, NULL-terminated in the caller's array. */
int cli_get_multi(const cli_args_t *args, const char *name, const char ***out);
void cli_print_opts(FILE *out, const cli_opt_t *spec);

/* Open the store of conf->data and apply pending migrations. */
int cli_store_open(const conf_t *conf, store_t **out);

typedef struct cli_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} cli_cmd_t;

extern const cli_cmd_t cli_commands[];
/* Run argv[0] as a command; returns the process exit code. */
int cli_main(int argc, char **argv);

int cmd_serve(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_admin(int argc, char **argv);
int cmd_zone(int argc, char **argv);

/* Create an administrator, an account and an account token in one transaction; *out is
 * {"user":{...,"password"},"account":{...},"token":"..."}. password NULL = generate. */
int admin_bootstrap(store_t *st, const conf_t *conf, const char *email, const char *password,
		    json_t **out);
