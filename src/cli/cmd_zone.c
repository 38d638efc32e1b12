/* cmd_zone.c -- nameplate zone import|export: zone files in and out of the store, whether
 * or not a server runs on the same data (SQLite WAL lets both write). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/err.h"
#include "core/json.h"
#include "core/sbuf.h"

static const cli_opt_t o_zone[] = {
	{ "account", true, false, "account ID the zone belongs to (import creates it there)" },
	{ "zone", true, false, "zone name (default: the file's first $ORIGIN)" },
	{ NULL, false, false, NULL },
};

static char *read_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (f == NULL) {
		return NULL;
	}
	sbuf_t b = SBUF_INIT;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		sbuf_append(&b, chunk, n);
	}
	if (f != stdin) {
		fclose(f);
	}
	*len = b.len;
	return sbuf_take(&b);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: nameplate zone import --account ID [--zone NAME] FILE [--json]\n"
		     "       nameplate zone export --account ID --zone NAME\n\n"
		     "import replaces the zone's records (all but its SOA and apex NS) with the\n"
		     "file's, in one transaction, creating the zone (and its domain) when missing;\n"
		     "nothing is imported when any record is refused. FILE '-' reads stdin.\n\n");
	cli_print_opts(out, o_zone);
}

static int do_import(const conf_t *conf, const cli_args_t *args, store_t *st, arena_t *a)
{
	if (args->pos_count != 1 || cli_get(args, "account") == NULL) {
		usage(stderr);
		return 64;
	}
	size_t len = 0;
	char *text = read_file(args->pos[0], &len);
	if (text == NULL) {
		fprintf(stderr, "nameplate zone: cannot read %s (%s)\n", args->pos[0], strerror(errno));
		return 66;
	}
	const char *zone = cli_get(args, "zone");
	if (zone == NULL) {
		zone = zone_import_origin(a, text, len);
	}
	if (zone == NULL) {
		fprintf(stderr, "nameplate zone: which zone? give --zone or an $ORIGIN line\n");
		free(text);
		return 64;
	}
	account_t acc;
	int64_t account_id = strtoll(cli_get(args, "account"), NULL, 10);
	int ret = store_account_get(st, a, account_id, &acc);
	if (ret != ERR_OK) {
		fprintf(stderr, "nameplate zone: no account %s\n", cli_get(args, "account"));
		free(text);
		return err_exit_code(ret);
	}
	store_import_t imp = {
		.arena = a, .account_id = account_id, .zone_name = zone, .text = text, .len = len,
		.may_create = true, .name_servers = conf->name_servers, .soa_rname = conf->soa_rname,
		.system_ttl = (uint32_t)conf->default_ttl, .default_ttl = (uint32_t)conf->default_ttl,
	};
	ret = store_zone_import(st, &imp);
	free(text);
	if (ret != ERR_OK) {
		fprintf(stderr, "nameplate zone: import of %s failed: %s\n", zone,
			imp.message ? imp.message : err_str(ret));
		return err_exit_code(ret);
	}
	json_t *out = json_pack("{s:s,s:I,s:b,s:I,s:I,s:I}", "zone", imp.zone.name, "zone_id",
				(json_int_t)imp.zone.id, "created", imp.is_created, "records",
				(json_int_t)imp.parsed.count, "skipped_system",
				(json_int_t)imp.parsed.skipped_system, "serial",
				(json_int_t)imp.serial);
	char *s = args->is_json ? json_dump_compact(out) : json_dumps(out, JSON_INDENT(2));
	printf("%s\n", s);
	free(s);
	json_decref(out);
	return 0;
}

static int do_export(const cli_args_t *args, store_t *st, arena_t *a)
{
	const char *zname = cli_get(args, "zone"), *acc = cli_get(args, "account");
	if (zname == NULL || acc == NULL) {
		usage(stderr);
		return 64;
	}
	zone_t z;
	record_t *rs = NULL;
	size_t n = 0;
	int ret = store_zone_get(st, a, strtoll(acc, NULL, 10), zname, &z);
	if (ret == ERR_OK) {
		ret = store_record_all(st, a, &z, &rs, &n);
	}
	if (ret != ERR_OK) {
		fprintf(stderr, "nameplate zone: export of %s failed (%s)\n", zname, err_str(ret));
		return err_exit_code(ret);
	}
	printf("$ORIGIN %s.\n$TTL 1h\n", z.name);
	for (size_t i = 0; i < n; i++) {
		const char *line = NULL;
		if (rr_zonefile_line(a, z.name, rs[i].name, rs[i].ttl, rs[i].type, rs[i].rdata,
				     rs[i].rdata_size, rs[i].content, &line) == ERR_OK) {
			printf("%s\n", line);
		}
	}
	return 0;
}

int cmd_zone(int argc, char **argv)
{
	if (argc < 1 || (strcmp(argv[0], "import") != 0 && strcmp(argv[0], "export") != 0)) {
		bool is_help = argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0);
		usage(is_help ? stdout : stderr);
		return is_help ? 0 : 64;
	}
	conf_t conf;
	cli_args_t args;
	arena_t a;
	arena_init(&a, 0);
	int code = 0;
	store_t *st = NULL;
	if (cli_parse(argc - 1, argv + 1, o_zone, &conf, &args) != ERR_OK) {
		code = 64;
	} else if (args.is_help) {
		usage(stdout);
	} else if (cli_store_open(&conf, &st) != ERR_OK) {
		code = 74;
	} else {
		code = strcmp(argv[0], "import") == 0 ? do_import(&conf, &args, st, &a)
						       : do_export(&args, st, &a);
		store_close(st);
	}
	arena_clear(&a);
	conf_clear(&conf);
	return code;
}
