/* conf_schema.c -- every setting, once: the loader, --help and the docs read this table. */
#include <stddef.h>

#include "core/conf.h"

#define S(name, field, def, flags, help) \
	{ name, CONF_STR, def, 0, 0, flags, offsetof(conf_t, field), help }
#define I(name, field, def, min, max, help) \
	{ name, CONF_INT, def, min, max, 0, offsetof(conf_t, field), help }

const conf_key_t conf_schema[] = {
	S("config", config, "", 0, "config file with 'key: value' lines"),
	S("data", data, "var", 0, "data directory (SQLite store lives here)"),
	S("api", api, "127.0.0.1:8080", 0, "API listen address ADDR:PORT"),
	S("dns", dns, "127.0.0.1:5300,[::1]:5300", 0,
	  "DNS listen addresses ADDR:PORT or [ADDR6]:PORT, comma-separated (UDP and TCP)"),
	I("dns-workers", dns_workers, "0", 0, 1024,
	  "DNS UDP workers, and as many TCP workers; 0 = one per CPU"),
	I("dns-tcp-idle-timeout", dns_tcp_idle_timeout, "10", 1, 3600,
	  "seconds a DNS TCP connection may stay idle (RFC 7766 6.2.3)"),
	I("dns-tcp-max-clients", dns_tcp_max_clients, "1000", 1, 1000000,
	  "open DNS TCP connections; past it the least recently active one is closed"),
	I("dns-udp-payload", dns_udp_payload, "1232", 512, 65535,
	  "our EDNS UDP payload size in bytes (RFC 6891; 1232 avoids fragmentation)"),
	S("nsid", nsid, "", 0,
	  "NSID sent to clients that ask (RFC 5001): text, or 0x and hex; empty = off"),
	S("identity", identity, "", 0, "answer to CH TXT id.server and hostname.bind; empty = off"),
	S("version", version, "", 0, "answer to CH TXT version.bind and version.server; empty = off"),
	S("roles", roles, "api,dns,jobs", 0, "roles this process runs: api, dns, jobs"),
	S("log-level", log_level, "info", CONF_RELOADABLE, "error, warning, info or debug"),
	I("api-threads", api_threads, "4", 1, 256, "API worker threads"),
	I("max-body", max_body, "1048576", 1024, 1073741824, "largest request body in bytes"),
	I("rate-limit", rate_limit, "2400", 1, 100000000, "requests per window per credential"),
	I("rate-limit-unauth", rate_limit_unauth, "30", 1, 100000000,
	  "requests per window per client address without credentials"),
	I("rate-limit-window", rate_limit_window, "3600", 1, 86400, "rate-limit window in seconds"),
	I("shutdown-grace", shutdown_grace, "10", 0, 3600,
	  "seconds in-flight requests get to finish at shutdown"),
	S("store-sync", store_sync, "full", 0, "SQLite synchronous mode: full or normal"),
	S("default-plan", default_plan, "nameplate", 0,
	  "plan identifier of new accounts (see the plans setting)"),
	S("plans", plans, "", 0, "JSON file of plans and their features; empty = built-in"),
	S("name-servers", name_servers, "ns1.localhost,ns2.localhost", 0,
	  "name servers of new zones (apex NS records), comma-separated"),
	S("soa-rname", soa_rname, "hostmaster.localhost", 0, "SOA mailbox of new zones"),
	S("regions", regions, "global,SV1,ORD,IAD,AMS,TKO,SYD,CDG,FRA", 0,
	  "region codes records may name, comma-separated"),
	S("region", region, "global", 0, "this node's region"),
	I("default-ttl", default_ttl, "3600", 60, 2592000, "TTL of system records"),
	I("dns-poll-ms", dns_poll_ms, "200", 10, 60000,
	  "how often the dns role reads changes made by other processes, in ms"),
	S("public-url", public_url, "", 0, "base URL of the API as clients see it"),
	{ NULL, CONF_STR, NULL, 0, 0, 0, 0, NULL },
};
