/* conf.h -- settings: one schema table, filled from defaults, a file, the environment and flags. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct conf {
	char *config;          /* the file the rest came from, if any */
	char *data;            /* data directory (SQLite store) */
	char *api;             /* API listen address ADDR:PORT */
	char *redirect;        /* redirect role (URL records) listen address ADDR:PORT */
	char *dns;             /* DNS listen addresses ADDR:PORT, [ADDR6]:PORT, comma-separated */
	char *roles;           /* comma-separated roles this process runs */
	char *log_level;
	int64_t api_threads;
	int64_t max_body;
	int64_t rate_limit;
	int64_t rate_limit_unauth;
	int64_t rate_limit_window;
	int64_t shutdown_grace;
	char *store_sync;      /* SQLite synchronous mode: full or normal */
	char *default_plan;
	char *public_url;      /* base URL printed in hints, e.g. http://127.0.0.1:8080 */
	char *name_servers;    /* comma-separated: the apex NS records of new zones */
	char *soa_rname;       /* SOA RNAME of new zones (the zone admin's mailbox) */
	char *regions;         /* comma-separated region codes records may name */
	char *region;          /* this node's region */
	char *node;            /* this DNS node's name in DNS analytics; "" = the host name */
	char *plans;           /* JSON file of plans and features; "" = built-in */
	int64_t default_ttl;
	int64_t dns_poll_ms;   /* how often the dns role looks for other processes' changes */
	int64_t analytics_flush_seconds; /* how often DNS query counts reach the store */
	int64_t dns_workers;          /* 0 = one per CPU */
	int64_t dns_tcp_idle_timeout; /* seconds */
	int64_t dns_tcp_max_clients;
	int64_t dns_udp_payload;
	int64_t dns_udp_coalesce;     /* microseconds; 0 = off */
	char *resolver;               /* ALIAS targets' upstream resolvers; "" = none */
	char *redirect_addresses;     /* what URL records answer: the redirect role's IPs */
	char *nsid;                   /* "" = off; text, or 0x and hex */
	char *identity;               /* "" = off */
	char *version;                /* "" = off */
	char *name_server_addresses;  /* the name servers distribution checks ask, comma-separated
				       * ADDR:PORT; "" = the first dns listen address */
	int64_t distribution_timeout_ms; /* time budget of one distribution check */
	/* Secondary DNS: the transfer worker of the jobs role (src/jobs/secondary.c). */
	int64_t xfr_refresh_min;      /* SOA refresh and retry are honoured within [min, max] s */
	int64_t xfr_refresh_max;
	int64_t xfr_expire_min;       /* SOA expire is at least this, s */
	int64_t xfr_timeout;          /* connect and each read of a transfer, s */
	int64_t xfr_workers;          /* transfers running at once */
	char *catalog_zone;           /* RFC 9432 catalog zone name (primary: made; consumer: followed) */
	char *catalog_primary;        /* RFC 9432 consumer: ADDR:PORT of the catalog's primary */
	int64_t catalog_account;      /* account of the member zones; 0 = the first account */
	/* Zone transfers out (src/dns/xfr, docs/transfers.md). */
	char *transfer_allow;         /* CIDR[@key],...: who may AXFR/IXFR; "" = nobody */
	char *notify;                 /* ADDR:PORT[@key],...: NOTIFY targets; "" = none */
	int64_t ixfr_history;         /* change-log rows kept per zone for IXFR */
	char *secret_key_file;        /* deployment secret sealing DNSSEC private keys; "" = <data>/secret.key */
	char *dnssec_algorithm;       /* algorithm of new DNSSEC keys: ecdsap256sha256 or ed25519 */
	char *dnssec_key_layout;      /* csk or ksk-zsk */
	int64_t dnssec_rrsig_lifetime; /* seconds a new RRSIG is valid */
	int64_t dnssec_rrsig_refresh;  /* seconds before expiry an RRSIG is made anew */
	/* Key rollovers (jobs/rollover.c, model/rollover.h), seconds. */
	int64_t dnssec_zsk_lifetime;   /* 0 = never */
	int64_t dnssec_csk_lifetime;   /* 0 = never */
	int64_t dnssec_propagation_delay;
	int64_t dnssec_parent_ds_ttl;
	int64_t dnssec_ds_wait;        /* 0 = wait for a DS record naming the new CSK */
} conf_t;

typedef enum { CONF_STR, CONF_INT } conf_type_t;

enum { CONF_SECRET = 1 << 0, CONF_RELOADABLE = 1 << 1 };

typedef struct conf_key {
	const char *name;      /* flag --name, file key "name", env NAMEPLATE_NAME */
	conf_type_t type;
	const char *def;
	int64_t min, max;      /* for CONF_INT */
	unsigned flags;
	size_t offset;
	const char *help;
} conf_key_t;

/* The schema, ended by a row with name NULL. */
extern const conf_key_t conf_schema[];

/* Fill every key with its default. Free with conf_clear(). */
void conf_init(conf_t *c);
void conf_clear(conf_t *c);
/* Set one key from text; errors are written to err (size errsize). Returns ERR_*. */
int conf_set(conf_t *c, const char *key, const char *value, char *err, size_t errsize);
/* Read "key: value" lines ('#' comments). */
int conf_load_file(conf_t *c, const char *path, char *err, size_t errsize);
/* Apply NAMEPLATE_* environment variables. */
int conf_load_env(conf_t *c, char *err, size_t errsize);
const conf_key_t *conf_find(const char *name);
/* Print the flags with their env names and defaults, for --help. */
void conf_print_help(FILE *out);
