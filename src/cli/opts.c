/* opts.c -- one option parser for every command: its own options plus every setting. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/err.h"
#include "core/log.h"
#include "model/dnssec.h"
#include "model/secret.h"

static int spec_index(const cli_opt_t *spec, const char *name, size_t len)
{
	for (int i = 0; spec != NULL && spec[i].name != NULL; i++) {
		if (strlen(spec[i].name) == len && strncmp(spec[i].name, name, len) == 0) {
			return i;
		}
	}
	return -1;
}

/* First pass: the config file, so that flags can override what it sets. */
static const char *find_config(int argc, char **argv)
{
	const char *path = getenv("NAMEPLATE_CONFIG");
	for (int i = 0; i < argc; i++) {
		if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "-c") == 0) && i + 1 < argc) {
			path = argv[i + 1];
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			path = argv[i] + 9;
		}
	}
	return path != NULL && *path != '\0' ? path : NULL;
}

__attribute__((format(printf, 1, 2))) static int bad(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "nameplate: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see --help)\n");
	va_end(ap);
	return ERR_INVALID;
}

int cli_parse(int argc, char **argv, const cli_opt_t *spec, conf_t *conf, cli_args_t *args)
{
	memset(args, 0, sizeof(*args));
	args->spec = spec;
	conf_init(conf);
	char err[512];
	const char *path = find_config(argc, argv);
	if (path != NULL && conf_load_file(conf, path, err, sizeof(err)) != ERR_OK) {
		fprintf(stderr, "nameplate: %s\n", err);
		return ERR_INVALID;
	}
	if (conf_load_env(conf, err, sizeof(err)) != ERR_OK) {
		fprintf(stderr, "nameplate: %s\n", err);
		return ERR_INVALID;
	}
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			args->is_help = true;
			continue;
		}
		if (strcmp(a, "--json") == 0) {
			args->is_json = true;
			continue;
		}
		if (strcmp(a, "-t") == 0 || strcmp(a, "--check") == 0) {
			args->is_check = true;
			continue;
		}
		if (strcmp(a, "-f") == 0 || strcmp(a, "--foreground") == 0) {
			continue; /* nameplate always stays in the foreground */
		}
		if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
			if (args->pos_count == CLI_MAX_POS) {
				return bad("too many arguments at '%s'", a);
			}
			args->pos[args->pos_count++] = a;
			continue;
		}
		const char *name = a + 2, *eq = strchr(name, '=');
		size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
		const char *value = eq ? eq + 1 : NULL;
		int k = spec_index(spec, name, nlen);
		bool needs_arg = k >= 0 ? spec[k].has_arg : true;
		if (needs_arg && value == NULL) {
			if (i + 1 >= argc) {
				return bad("option '%s' needs a value", a);
			}
			value = argv[++i];
		}
		if (k >= 0) {
			const char *v = value != NULL ? value : "";
			args->values[k] = v;
			if (spec[k].is_multi && args->multi_count[k] < CLI_MAX_MULTI - 1) {
				args->multi[k][args->multi_count[k]++] = v;
			}
			continue;
		}
		char key[64];
		if (nlen >= sizeof(key)) {
			return bad("unknown option '%s'", a);
		}
		memcpy(key, name, nlen);
		key[nlen] = '\0';
		if (strcmp(key, "set") == 0) {
			const char *e = strchr(value, '=');
			if (e == NULL || (size_t)(e - value) >= sizeof(key)) {
				return bad("--set wants key=value, not '%s'", value);
			}
			memcpy(key, value, (size_t)(e - value));
			key[e - value] = '\0';
			value = e + 1;
		}
		if (conf_find(key) == NULL) {
			return bad("unknown option '%s'", a);
		}
		if (conf_set(conf, key, value, err, sizeof(err)) != ERR_OK) {
			fprintf(stderr, "nameplate: %s\n", err);
			return ERR_INVALID;
		}
	}
	int level = log_level_parse(conf->log_level);
	if (level < 0) {
		return bad("unknown log level '%s'", conf->log_level);
	}
	log_set_level((log_level_t)level);
	zone_dnssec_policy_t policy;
	const char *bad_key = NULL;
	if (zone_dnssec_policy_parse(conf->dnssec_algorithm, conf->dnssec_key_layout, &policy,
				     &bad_key) != ERR_OK) {
		return bad("unknown %s '%s'", bad_key,
			   strcmp(bad_key, "dnssec-algorithm") == 0 ? conf->dnssec_algorithm
								    : conf->dnssec_key_layout);
	}
	if (conf->dnssec_rrsig_refresh >= conf->dnssec_rrsig_lifetime) {
		return bad("dnssec-rrsig-refresh (%lld) must be less than dnssec-rrsig-lifetime (%lld)",
			   (long long)conf->dnssec_rrsig_refresh,
			   (long long)conf->dnssec_rrsig_lifetime);
	}
	return ERR_OK;
}

const char *cli_get(const cli_args_t *args, const char *name)
{
	int k = spec_index(args->spec, name, strlen(name));
	return k >= 0 ? args->values[k] : NULL;
}

bool cli_has(const cli_args_t *args, const char *name)
{
	return cli_get(args, name) != NULL;
}

int cli_get_multi(const cli_args_t *args, const char *name, const char ***out)
{
	int k = spec_index(args->spec, name, strlen(name));
	if (k < 0) {
		*out = NULL;
		return 0;
	}
	*out = (const char **)args->multi[k];
	return args->multi_count[k];
}

void cli_print_opts(FILE *out, const cli_opt_t *spec)
{
	for (int i = 0; spec != NULL && spec[i].name != NULL; i++) {
		char flag[64];
		snprintf(flag, sizeof(flag), "--%s%s", spec[i].name, spec[i].has_arg ? " VALUE" : "");
		fprintf(out, "  %-28s %s\n", flag, spec[i].help);
	}
}

int cli_store_open(const conf_t *conf, store_t **out)
{
	if (secret_init() != ERR_OK) {
		fprintf(stderr, "nameplate: crypto library failed to start\n");
		return ERR_INTERNAL;
	}
	store_opts_t opts = { .dir = conf->data, .is_sync_full = strcmp(conf->store_sync, "normal") != 0 };
	store_t *st = NULL;
	int ret = store_open(&st, NULL, &opts);
	if (ret != ERR_OK) {
		fprintf(stderr, "nameplate: cannot open the store in %s (%s)\n", conf->data, err_str(ret));
		return ret;
	}
	int applied = 0;
	ret = store_migrate(st, &applied);
	if (ret != ERR_OK) {
		fprintf(stderr, "nameplate: migrations failed (%s)\n", err_str(ret));
		store_close(st);
		return ret;
	}
	*out = st;
	return ERR_OK;
}
