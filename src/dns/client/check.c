/* check.c -- distribution checks: does every name server serve a zone's serial, a record?
 *
 * Both checks ask every server of the deployment one question at once
 * (dns_client_query(): UDP, one resend halfway through the budget, TCP on TC) and then
 * judge each answer; the first server at fault is named for the caller's log. A server
 * that does not answer at all makes the check inconclusive (ERR_TIMEOUT), never false.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "dns/client/client.h"
#include "dns/client/client_internal.h"
#include "dns/wire/rr.h"
#include "model/zone.h"

#define CHECK_UDP_PAYLOAD 1232 /* RFC 6891 payload that avoids fragmentation */
#define CHECK_RETRIES 1

static bool is_blank(const char *s)
{
	return s == NULL || s[strspn(s, " \t,")] == '\0';
}

/* 0.0.0.0 and [::] listen everywhere; the loopback reaches them. */
static void wildcard_to_loopback(dns_client_addr_t *d)
{
	if (d->ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&d->ss;
		if (IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr)) {
			s6->sin6_addr = in6addr_loopback;
		}
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&d->ss;
		if (s4->sin_addr.s_addr == htonl(INADDR_ANY)) {
			s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		}
	}
}

static uint16_t port_of(const dns_client_addr_t *d)
{
	return ntohs(d->ss.ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)&d->ss)->sin6_port
						 : ((const struct sockaddr_in *)&d->ss)->sin_port);
}

int dns_check_servers(const conf_t *conf, dns_client_addr_t *out, size_t max, size_t *count,
		      char *err, size_t errsize)
{
	if (!is_blank(conf->name_server_addresses)) {
		int ret = dns_client_addr_list_parse(conf->name_server_addresses, out, max, count);
		if (ret == ERR_TOOBIG) {
			snprintf(err, errsize, "name-server-addresses lists more than %zu servers",
				 max);
		} else if (ret != ERR_OK) {
			snprintf(err, errsize,
				 "name-server-addresses, item %zu is not ADDR:PORT or [ADDR6]:PORT",
				 *count + 1);
		}
		return ret == ERR_OK ? ERR_OK : ERR_INVALID;
	}
	/* This node's first DNS listen address: the single-node install. */
	const char *d = conf->dns != NULL ? conf->dns : "";
	d += strspn(d, " \t");
	size_t len = strcspn(d, ",");
	while (len > 0 && (d[len - 1] == ' ' || d[len - 1] == '\t')) {
		len--;
	}
	if (max == 0 || dns_client_addr_parse(d, len, true, &out[0]) != ERR_OK) {
		snprintf(err, errsize, "name-server-addresses is empty and the dns setting's first "
				       "address '%.*s' is not ADDR:PORT", (int)len, d);
		return ERR_INVALID;
	}
	if (port_of(&out[0]) == 0) {
		snprintf(err, errsize, "name-server-addresses is empty and the dns setting's first "
				       "address has port 0 (picked at start-up): set "
				       "name-server-addresses");
		return ERR_INVALID;
	}
	wildcard_to_loopback(&out[0]);
	*count = 1;
	return ERR_OK;
}

static const char *rcode_text(arena_t *a, uint16_t rcode)
{
	const knot_lookup_t *l = knot_lookup_by_id(knot_rcode_names, rcode);
	return l != NULL ? arena_printf(a, "rcode %s", l->name)
			 : arena_printf(a, "rcode %u", rcode);
}

/* Ask every server; ERR_TIMEOUT (with the culprit) unless every one answered. */
static int ask(arena_t *a, const conf_t *conf, const char *qname, uint16_t qtype,
	       dns_client_addr_t **servers, size_t *count, dns_client_result_t **results,
	       dns_check_t *out)
{
	*out = (dns_check_t){ .is_distributed = false };
	char err[256];
	*servers = arena_alloc_array(a, DNS_CLIENT_MAX_SERVERS, sizeof(dns_client_addr_t));
	*results = arena_alloc_array(a, DNS_CLIENT_MAX_SERVERS, sizeof(dns_client_result_t));
	if (*servers == NULL || *results == NULL) {
		return ERR_TOOBIG;
	}
	if (dns_check_servers(conf, *servers, DNS_CLIENT_MAX_SERVERS, count, err, sizeof(err)) !=
	    ERR_OK) {
		out->reason = arena_strdup(a, err);
		return ERR_INTERNAL;
	}
	dns_client_query_t q = { .qname = qname, .qtype = qtype, .udp_payload = CHECK_UDP_PAYLOAD,
				 .timeout_ms = (unsigned)conf->distribution_timeout_ms,
				 .retries = CHECK_RETRIES };
	int ret = dns_client_query(a, &q, *servers, *count, *results);
	if (ret != ERR_OK) {
		out->reason = err_str(ret);
		return ret == ERR_INVAL_ARG ? ERR_INTERNAL : ret;
	}
	for (size_t i = 0; i < *count; i++) {
		const dns_client_result_t *r = &(*results)[i];
		if (r->status != DNS_CLIENT_ANSWERED) {
			out->culprit = &(*servers)[i];
			out->reason = r->status == DNS_CLIENT_TIMEOUT ? "timed out"
								       : err_str(r->err);
			return ERR_TIMEOUT;
		}
	}
	out->is_distributed = true;
	return ERR_OK;
}

/* Why r does not show zone at serial (or newer), or NULL when it does. */
static const char *judge_serial(arena_t *a, const dns_client_result_t *r, const char *zone,
				uint32_t serial)
{
	if (r->rcode != KNOT_RCODE_NOERROR) {
		return rcode_text(a, r->rcode);
	}
	if (!r->is_aa) {
		return "not authoritative (no AA)";
	}
	knot_dname_storage_t apex;
	if (knot_dname_from_str(apex, zone, sizeof(apex)) == NULL) {
		return "bad zone name";
	}
	const knot_pktsection_t *an = knot_pkt_section(r->reply, KNOT_ANSWER);
	for (uint16_t i = 0; i < an->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(an, i);
		if (rr->type != KNOT_RRTYPE_SOA || rr->rrs.count != 1 ||
		    !knot_dname_is_case_equal(rr->owner, apex)) {
			continue;
		}
		uint32_t got = knot_soa_serial(rr->rrs.rdata);
		if ((int32_t)(got - serial) < 0) { /* RFC 1982 3.2: got is older */
			return arena_printf(a, "serial %u, want %u", got, serial);
		}
		return NULL;
	}
	return "no SOA for the apex in the answer";
}

int dns_check_zone(arena_t *a, const conf_t *conf, const zone_t *zone, dns_check_t *out)
{
	dns_client_addr_t *servers = NULL;
	dns_client_result_t *results = NULL;
	size_t count = 0;
	int ret = ask(a, conf, zone->name, KNOT_RRTYPE_SOA, &servers, &count, &results, out);
	for (size_t i = 0; ret == ERR_OK && i < count; i++) {
		const char *why = judge_serial(a, &results[i], zone->name, zone->serial);
		if (why != NULL) {
			*out = (dns_check_t){ .is_distributed = false, .culprit = &servers[i],
					      .reason = why };
			break;
		}
	}
	return ret;
}

/* A referral: no AA, the delegation's NS records in authority (RFC 1034 4.3.2 3b). */
static bool is_referral(const dns_client_result_t *r)
{
	const knot_pktsection_t *ns = knot_pkt_section(r->reply, KNOT_AUTHORITY);
	for (uint16_t i = 0; !r->is_aa && i < ns->count; i++) {
		if (knot_pkt_rr(ns, i)->type == KNOT_RRTYPE_NS) {
			return true;
		}
	}
	return false;
}

/* Any RR of type at owner in the answer. */
static bool has_type(const knot_pkt_t *reply, const char *owner, uint16_t type)
{
	knot_dname_storage_t name;
	if (knot_dname_from_str(name, owner, sizeof(name)) == NULL) {
		return false;
	}
	const knot_pktsection_t *an = knot_pkt_section(reply, KNOT_ANSWER);
	for (uint16_t i = 0; i < an->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(an, i);
		if (rr->type == type && rr->rrs.count > 0 &&
		    knot_dname_is_case_equal(rr->owner, name)) {
			return true;
		}
	}
	return false;
}

/* Why r does not serve the record, or NULL when it does. rdata NULL: any RR of type. */
static const char *judge_rr(arena_t *a, const dns_client_result_t *r, const char *owner,
			    uint16_t type, const uint8_t *rdata, uint16_t size)
{
	if (r->rcode != KNOT_RCODE_NOERROR) {
		return rcode_text(a, r->rcode);
	}
	if (rdata == NULL) {
		return r->is_aa && has_type(r->reply, owner, type) ? NULL : "no answer of the type";
	}
	if (r->is_aa) {
		return dns_client_has_rr(a, r->reply, KNOT_ANSWER, owner, type, rdata, size)
			       ? NULL : "record not in the answer";
	}
	if (!is_referral(r)) {
		return "not authoritative (no AA)";
	}
	/* delegation NS in authority, glue in additional */
	return dns_client_has_rr(a, r->reply, KNOT_AUTHORITY, owner, type, rdata, size) ||
		       dns_client_has_rr(a, r->reply, KNOT_ADDITIONAL, owner, type, rdata, size)
		       ? NULL : "record not in the referral";
}

int dns_check_record(arena_t *a, const conf_t *conf, const zone_t *zone, const record_t *rec,
		     dns_check_t *out)
{
	const char *owner = rec->name[0] != '\0' ? arena_printf(a, "%s.%s", rec->name, zone->name)
						 : zone->name;
	uint16_t qtype = rec->type->code;
	const uint8_t *rdata = rec->rdata;
	if (rec->type->flags & RR_PSEUDO) {
		/* never on the wire as themselves: see client.h */
		qtype = strcmp(rec->type->name, "POOL") == 0 ? KNOT_RRTYPE_CNAME : KNOT_RRTYPE_A;
		rdata = NULL;
	} else if (rdata == NULL) {
		rdata = (const uint8_t *)""; /* empty rdata (e.g. a NULL-like type) */
	}
	dns_client_addr_t *servers = NULL;
	dns_client_result_t *results = NULL;
	size_t count = 0;
	if (owner == NULL) {
		return ERR_TOOBIG;
	}
	int ret = ask(a, conf, owner, qtype, &servers, &count, &results, out);
	for (size_t i = 0; ret == ERR_OK && i < count; i++) {
		const char *why = judge_rr(a, &results[i], owner, qtype, rdata, rec->rdata_size);
		if (why != NULL) {
			*out = (dns_check_t){ .is_distributed = false, .culprit = &servers[i],
					      .reason = why };
			break;
		}
	}
	return ret;
}
