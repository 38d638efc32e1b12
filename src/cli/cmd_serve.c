/* cmd_serve.c -- nameplate serve: open the store, start the roles, stop cleanly on a signal. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "dns/alias/alias.h"
#include "dns/io/dnsserver.h"
#include "dns/xfr/xfr.h"
#include "dns/zonedb/load.h"
#include "jobs/jobs.h"
#include "cli/cli.h"
#include "core/err.h"
#include "core/log.h"
#include "model/plan.h"
#include "redirect/redirect.h"

static bool has_role(const char *roles, const char *role)
{
	size_t len = strlen(role);
	for (const char *p = roles; *p != '\0';) {
		size_t n = strcspn(p, ",");
		if (n == len && strncmp(p, role, len) == 0) {
			return true;
		}
		p += n + (p[n] == ',');
	}
	return false;
}

static int check_roles(const char *roles)
{
	static const char *const known[] = { "api", "dns", "jobs", "redirect", NULL };
	for (const char *p = roles; *p != '\0';) {
		size_t n = strcspn(p, ",");
		bool is_known = false;
		for (size_t i = 0; known[i] != NULL; i++) {
			is_known |= strlen(known[i]) == n && strncmp(p, known[i], n) == 0;
		}
		if (!is_known) {
			fprintf(stderr, "nameplate: unknown role '%.*s' "
				"(roles: api, dns, jobs, redirect)\n", (int)n, p);
			return ERR_INVALID;
		}
		p += n + (p[n] == ',');
	}
	return ERR_OK;
}

/* On an empty store: an administrator, an account and a token, printed once. */
static int first_start(store_t *st, const conf_t *conf)
{
	bool is_empty = false;
	int ret = store_is_empty(st, &is_empty);
	if (ret != ERR_OK || !is_empty) {
		return ret;
	}
	json_t *b = NULL;
	ret = admin_bootstrap(st, conf, "admin@localhost", NULL, &b);
	if (ret != ERR_OK) {
		return ret;
	}
	const char *url = *conf->public_url ? conf->public_url : NULL;
	char base[300];
	if (url == NULL) {
		snprintf(base, sizeof(base), "http://%s", conf->api);
		url = base;
	}
	/* the first DNS address, for the dig line */
	char dns_host[128] = "127.0.0.1", dns_port[16] = "5300";
	const char *colon = NULL;
	size_t first = strcspn(conf->dns, ",");
	for (size_t i = 0; i < first; i++) {
		colon = conf->dns[i] == ':' ? conf->dns + i : colon;
	}
	if (colon != NULL && conf->dns[0] != '[') {
		snprintf(dns_host, sizeof(dns_host), "%.*s", (int)(colon - conf->dns), conf->dns);
		snprintf(dns_port, sizeof(dns_port), "%.*s", (int)(first - (size_t)(colon - conf->dns) - 1),
			 colon + 1);
	}
	json_t *user = json_object_get(b, "user"), *acc = json_object_get(b, "account");
	const char *token = json_string_value(json_object_get(b, "token"));
	printf("\nnameplate: first start on an empty store; created (shown only this once):\n"
	       "  administrator  %s  password %s\n"
	       "  account        %lld (%s)\n"
	       "  account token  %s\n\n"
	       "  try:  curl -H 'Authorization: Bearer %s' %s/v2/whoami\n"
	       "  then: curl -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\\n"
	       "          -d '{\"name\":\"example.test\"}' %s/v2/%lld/domains\n"
	       "        dig @%s -p %s example.test SOA\n\n",
	       json_string_value(json_object_get(user, "email")),
	       json_string_value(json_object_get(user, "password")),
	       (long long)json_integer_value(json_object_get(acc, "id")),
	       json_string_value(json_object_get(acc, "name")), token, token, url, token, url,
	       (long long)json_integer_value(json_object_get(acc, "id")), dns_host, dns_port);
	fflush(stdout);
	json_decref(b);
	return ERR_OK;
}

/* DNS analytics: the counters the dns workers count into, and their flusher. */
static int start_analytics(const conf_t *conf, store_t *st, stats_t **stats,
			   stats_flusher_t **flusher)
{
	*stats = stats_new();
	stats_flusher_conf_t fc = { .node = conf->node, .region = conf->region,
				    .flush_seconds = (unsigned)conf->analytics_flush_seconds };
	return stats_flusher_start(flusher, *stats, st, &fc);
}

/* Who follows every zone version the loader publishes: the ALIAS cache (its targets) and
 * zone transfers (journals, NOTIFY, the catalog zone). */
typedef struct zone_hooks {
	alias_t *alias;
	xfr_t *xfr;
} zone_hooks_t;

static void on_zone(void *ctx, const knot_dname_t *apex, const zdb_zone_t *zone)
{
	zone_hooks_t *h = ctx;
	alias_on_zone(h->alias, apex, zone);
	xfr_on_zone(h->xfr, apex, zone);
}

/* Transfers out (dns/xfr): a node that follows another's catalog (catalog-primary) does
 * not make one of the same name. */
static xfr_conf_t xfr_conf_of(const conf_t *conf)
{
	bool is_consumer = *conf->catalog_primary != '\0';
	return (xfr_conf_t){ .transfer_allow = conf->transfer_allow, .notify = conf->notify,
			     .catalog_zone = is_consumer ? "" : conf->catalog_zone,
			     .ixfr_history = (unsigned)conf->ixfr_history,
			     .region = conf->region };
}

static void on_alias_change(void *ctx, const knot_dname_t *apex)
{
	char name[KNOT_DNAME_TXT_MAXLEN + 1];
	if (knot_dname_to_str(name, apex, sizeof(name)) == NULL) {
		return;
	}
	size_t len = strlen(name);
	if (len > 1 && name[len - 1] == '.') {
		name[len - 1] = '\0';
	}
	uint32_t serial = 0;
	int ret = store_zone_touch((store_t *)ctx, name, &serial);
	if (ret == ERR_OK) {
		log_info("zone %s, ALIAS answers changed, serial %u", name, serial);
	} else if (ret != ERR_NOTFOUND) {
		log_warn("zone %s, new serial for changed ALIAS answers failed (%s)", name,
			 err_str(ret));
	}
}

static int start_dns(const conf_t *conf, store_t *st, stats_t *stats, jobs_t *jobs,
		     zdb_t **zdb, alias_t **alias, zdb_loader_t **loader, dns_server_t **dns,
		     xfr_t **xfr, zone_hooks_t *hooks)
{
	char err[256];
	dns_server_conf_t dc;
	if (dns_server_conf_init(&dc, conf, err, sizeof(err)) != ERR_OK) {
		log_err("dns, %s", err);
		return ERR_INVALID;
	}
	dc.stats = stats;
	if (jobs != NULL) { /* NOTIFY for secondary zones goes to the transfer worker */
		dc.query.on_notify = jobs_notify;
		dc.query.notify_ctx = jobs;
	}
	*zdb = zdb_new();
	/* Transfers out: keys and ACL before the workers, the hook before the loader. */
	xfr_conf_t xc = xfr_conf_of(conf);
	int ret = xfr_new(xfr, &xc, st, *zdb, err, sizeof(err));
	if (ret != ERR_OK) {
		log_err("dns, %s", err);
		return ret;
	}
	/* ALIAS and URL answers: before the loader, which tells it every zone's targets. When
	 * an outside target's addresses change, the zone gets a new serial: the loader
	 * rebuilds it and secondaries are notified and transfer the new answers. */
	alias_conf_t ac = { .resolvers = conf->resolver, .redirect = conf->redirect_addresses,
			    .on_change = on_alias_change, .on_change_ctx = st };
	ret = alias_new(alias, &ac, *zdb, err, sizeof(err));
	if (ret != ERR_OK) {
		log_err("dns, %s", err);
		return ret;
	}
	ret = alias_start(*alias);
	dc.query.alias = *alias;
	xfr_set_synth(*xfr, xfr_synth_alias, *alias);
	if (ret == ERR_OK) {
		ret = xfr_start(*xfr);
	}
	dc.query.xfr = *xfr;
	hooks->alias = *alias;
	hooks->xfr = *xfr;
	char secret[4096];
	if (conf->secret_key_file != NULL && conf->secret_key_file[0] != '\0') {
		snprintf(secret, sizeof(secret), "%s", conf->secret_key_file);
	} else {
		snprintf(secret, sizeof(secret), "%s/secret.key", conf->data);
	}
	zdb_loader_conf_t lc = { .region = conf->region, .poll_ms = (int)conf->dns_poll_ms,
				 .on_zone = on_zone, .on_zone_ctx = hooks,
				 .sign = { .secret_path = secret,
					   .rrsig_lifetime = (uint32_t)conf->dnssec_rrsig_lifetime,
					   .rrsig_refresh = (uint32_t)conf->dnssec_rrsig_refresh,
					   .threads = 2 } };
	if (ret == ERR_OK) {
		ret = zdb_loader_start(loader, *zdb, st, &lc);
	}
	if (ret == ERR_OK) {
		ret = dns_server_start(dns, &dc, *zdb);
	}
	if (ret == ERR_OK) {
		xfr_set_serving(*xfr); /* secondaries told at start now find us answering */
	}
	return ret;
}

static void usage(void)
{
	printf("usage: nameplate serve [OPTIONS]\n\n"
	       "Run the server. With no options: store under ./var/, API on 127.0.0.1:8080.\n"
	       "  -c, --config FILE            settings file ('key: value' lines)\n"
	       "  -t, --check                  validate the settings and exit\n"
	       "  --set KEY=VALUE              set any setting\n\nsettings:\n");
	conf_print_help(stdout);
}

int cmd_serve(int argc, char **argv)
{
	conf_t conf;
	cli_args_t args;
	if (cli_parse(argc, argv, NULL, &conf, &args) != ERR_OK || check_roles(conf.roles) != ERR_OK) {
		conf_clear(&conf);
		return 64;
	}
	if (args.is_help || args.is_check) {
		char err[256];
		xfr_conf_t xc = xfr_conf_of(&conf);
		if (args.is_help) {
			usage();
		} else if (xfr_conf_check(&xc, err, sizeof(err)) != ERR_OK) {
			fprintf(stderr, "nameplate: %s\n", err);
			conf_clear(&conf);
			return 64;
		} else {
			printf("settings OK\n");
		}
		conf_clear(&conf);
		return 0;
	}
	/* Block the stop signals in every thread; this one waits for them. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	char err[512];
	if (plan_load(conf.plans, err, sizeof(err)) != ERR_OK) {
		fprintf(stderr, "nameplate: %s\n", err);
		conf_clear(&conf);
		return 64;
	}
	store_t *st = NULL;
	int ret = cli_store_open(&conf, &st);
	if (ret == ERR_OK) {
		ret = first_start(st, &conf);
	}
	/* The jobs role is made first (the dns role hands it NOTIFY) and started last. */
	jobs_t *jobs = ret == ERR_OK && has_role(conf.roles, "jobs") ? jobs_new(&conf, st) : NULL;
	/* The dns role first: the API's first change must find the loader listening. */
	zdb_t *zdb = NULL;
	alias_t *alias = NULL;
	zdb_loader_t *loader = NULL;
	dns_server_t *dns = NULL;
	xfr_t *xfr = NULL;
	zone_hooks_t hooks = { 0 };
	stats_t *stats = NULL;
	stats_flusher_t *flusher = NULL;
	if (ret == ERR_OK && has_role(conf.roles, "dns")) {
		ret = start_analytics(&conf, st, &stats, &flusher);
	}
	if (ret == ERR_OK && has_role(conf.roles, "dns")) {
		ret = start_dns(&conf, st, stats, jobs, &zdb, &alias, &loader, &dns, &xfr, &hooks);
	}
	/* Before the api: once the API answers, every role is up. */
	redirect_server_t *redirect = NULL;
	if (ret == ERR_OK && has_role(conf.roles, "redirect")) {
		ret = redirect_server_start(&redirect, &conf, st);
	}
	api_server_t *api = NULL;
	if (ret == ERR_OK && has_role(conf.roles, "api")) {
		ret = api_server_start(&api, &conf, st);
	}
	if (ret == ERR_OK && jobs != NULL) {
		ret = jobs_start(jobs);
	}
	if (ret == ERR_OK) {
		log_info("serve, ready (store %s/nameplate.db)", conf.data);
		int sig = 0;
		sigwait(&stop, &sig);
		log_info("serve, %s received, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	}
	api_server_stop(api, (int)conf.shutdown_grace);
	redirect_server_stop(redirect, (int)conf.shutdown_grace);
	dns_server_stop(dns);
	jobs_stop(jobs); /* after the dns workers, which hand it NOTIFY */
	stats_flusher_stop(flusher); /* the last flush: after the workers, before the store */
	stats_free(stats);
	zdb_loader_stop(loader);
	xfr_free(xfr); /* after the workers (transfers, keys) and the loader (its hook) */
	alias_free(alias); /* after the workers and the loader: they read it */
	zdb_free(zdb);
	store_close(st);
	if (ret == ERR_OK) {
		log_info("serve, store closed, bye");
	}
	conf_clear(&conf);
	return ret == ERR_OK ? 0 : err_exit_code(ret);
}
