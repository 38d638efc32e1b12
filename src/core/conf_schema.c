/* conf_schema.c -- every setting, once: the loader, --help and the docs read this table. */
#include <stddef.h>
#include <stdint.h>

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
	I("dns-udp-coalesce", dns_udp_coalesce, "20", 0, 1000,
	  "microseconds a DNS UDP worker waits after a batch of fewer than 8 queries, so "
	  "the next ones arrive together (fewer wake-ups for both sides; at most this much "
	  "more latency, plus the kernel's timer slack); 0 = never"),
	I("dns-udp-payload", dns_udp_payload, "1232", 512, 65535,
	  "our EDNS UDP payload size in bytes (RFC 6891; 1232 avoids fragmentation)"),
	S("resolver", resolver, "", 0,
	  "recursive resolvers for ALIAS targets outside the hosted zones: IP[:port] or "
	  "[IPv6]:port, comma-separated; empty = such ALIAS records answer NODATA"),
	S("redirect-addresses", redirect_addresses, "127.0.0.1", 0,
	  "IPv4/IPv6 addresses the redirect role is reachable at, comma-separated: "
	  "URL records answer A/AAAA with them"),
	S("nsid", nsid, "", 0,
	  "NSID sent to clients that ask (RFC 5001): text, or 0x and hex; empty = off"),
	S("identity", identity, "", 0, "answer to CH TXT id.server and hostname.bind; empty = off"),
	S("version", version, "", 0, "answer to CH TXT version.bind and version.server; empty = off"),
	S("redirect", redirect, "127.0.0.1:8081", 0,
	  "listen address ADDR:PORT of the redirect role (HTTP redirects of URL records)"),
	S("roles", roles, "api,dns,jobs,redirect", 0,
	  "roles this process runs: api, dns, jobs, redirect"),
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
	S("node", node, "", 0, "this DNS node's name in DNS analytics; empty = the host name"),
	I("default-ttl", default_ttl, "3600", 60, 2592000, "TTL of system records"),
	I("dns-poll-ms", dns_poll_ms, "200", 10, 60000,
	  "how often the dns role reads changes made by other processes, in ms"),
	I("analytics-flush-seconds", analytics_flush_seconds, "60", 1, 3600,
	  "how often the dns role adds its per-zone query counts to the store, in seconds"),
	S("public-url", public_url, "", 0, "base URL of the API as clients see it"),
	S("name-server-addresses", name_server_addresses, "", 0,
	  "name servers distribution checks ask, ADDR:PORT or [ADDR6]:PORT, comma-separated; "
	  "empty = the first dns listen address"),
	I("distribution-timeout-ms", distribution_timeout_ms, "1500", 100, 60000,
	  "how long a distribution check waits for the name servers, in ms (then 504)"),
	I("xfr-refresh-min", xfr_refresh_min, "2", 1, 86400,
	  "secondary zones: the shortest SOA refresh and retry honoured, in seconds"),
	I("xfr-refresh-max", xfr_refresh_max, "86400", 1, 2419200,
	  "secondary zones: the longest SOA refresh and retry honoured, in seconds"),
	I("xfr-expire-min", xfr_expire_min, "3", 1, 2419200,
	  "secondary zones: the shortest SOA expire honoured, in seconds"),
	I("xfr-timeout", xfr_timeout, "10", 1, 3600,
	  "inbound zone transfers: seconds to connect and for each read (the whole transfer: "
	  "60 times this)"),
	I("xfr-workers", xfr_workers, "4", 1, 64, "inbound zone transfers that run at once"),
	S("catalog-zone", catalog_zone, "", 0,
	  "name of the catalog zone (RFC 9432): the zones a primary serves, and what a node "
	  "with catalog-primary follows; empty = none"),
	S("catalog-primary", catalog_primary, "", 0,
	  "follow a catalog zone (RFC 9432, the catalog-zone setting) from this primary, "
	  "ADDR:PORT or [ADDR6]:PORT: each member becomes a secondary zone; empty = off"),
	I("catalog-account", catalog_account, "0", 0, INT64_MAX,
	  "account that holds the catalog's member zones; 0 = the first account"),
	S("transfer-allow", transfer_allow, "", 0,
	  "who may transfer zones (AXFR/IXFR): ADDR[/LEN] blocks, each optionally @KEY (a TSIG "
	  "key of admin tsig-key that must sign the request), comma-separated; empty = nobody"),
	S("notify", notify, "", 0,
	  "secondaries to NOTIFY of every zone change: ADDR:PORT or [ADDR6]:PORT, each "
	  "optionally @KEY (TSIG), comma-separated; empty = none"),
	I("ixfr-history", ixfr_history, "100", 0, 100000,
	  "zone changes kept per zone for IXFR (older ones are trimmed from the change log); "
	  "0 = transfers are always AXFR"),
	S("secret-key-file", secret_key_file, "", 0,
	  "file of 32 random bytes that seals DNSSEC private keys in the store (created, mode "
	  "0600, on first need); empty = secret.key in the data directory"),
	S("dnssec-algorithm", dnssec_algorithm, "ecdsap256sha256", 0,
	  "algorithm of the keys made when DNSSEC is enabled: ecdsap256sha256 (13) or ed25519 (15)"),
	S("dnssec-key-layout", dnssec_key_layout, "csk", 0,
	  "keys made when DNSSEC is enabled: csk (one combined key) or ksk-zsk (two keys)"),
	I("dnssec-rrsig-lifetime", dnssec_rrsig_lifetime, "1209600", 60, 31536000,
	  "seconds a new RRSIG is valid (14 days, as Knot DNS)"),
	I("dnssec-rrsig-refresh", dnssec_rrsig_refresh, "604800", 10, 31536000,
	  "seconds before an RRSIG expires that the zone is signed again (7 days); less than "
	  "dnssec-rrsig-lifetime"),
	I("dnssec-zsk-lifetime", dnssec_zsk_lifetime, "2592000", 0, 315360000,
	  "seconds a ZSK signs (ksk-zsk layout) before it is rolled over by pre-publication "
	  "(30 days); 0 = never"),
	I("dnssec-csk-lifetime", dnssec_csk_lifetime, "0", 0, 315360000,
	  "seconds a CSK signs (csk layout) before it is rolled over; each CSK rollover needs "
	  "the DS at the parent changed (docs/dnssec.md); 0 = never"),
	I("dnssec-propagation-delay", dnssec_propagation_delay, "3600", 1, 604800,
	  "seconds until every name server of a zone serves a new version of it (RFC 7583 "
	  "Dprp); key rollovers wait this long beyond the TTLs"),
	I("dnssec-parent-ds-ttl", dnssec_parent_ds_ttl, "86400", 0, 2592000,
	  "CSK rollovers: seconds resolvers may keep the parent's old DS after it changed "
	  "(the parent's DS TTL and its own delay); the old CSK stays that long"),
	I("dnssec-ds-wait", dnssec_ds_wait, "0", 0, 315360000,
	  "CSK rollovers: seconds after the new CSK became active that the old one goes even "
	  "though no delegation signer record of the domain names the new one; 0 = wait for it"),
	{ NULL, CONF_STR, NULL, 0, 0, 0, 0, NULL },
};
