/* catalog.c -- the catalog zone consumer (RFC 9432): a node that follows another node's
 * catalog holds every member zone as a secondary zone of that node.
 *
 * DESIGN: the catalog (catalog-zone, from catalog-primary) is transferred whole whenever
 * its serial changes (an IXFR query answers "current" with the SOA alone, so an unchanged
 * catalog costs one round trip); it is never stored or served, only read: version 2
 * (RFC 9432 4.2.1), members as `<unique-id>.zones.<catalog> PTR <member>` (4.3). Then the
 * store is brought in step: a member we do not hold becomes a secondary zone in the
 * catalog account, linked to a primary server row for catalog-primary (made once, marked
 * with the catalog's name); a zone this catalog made that is no longer a member is
 * deleted (5.5). A zone of the same name that the catalog did not make is left alone and
 * logged (5.4). Member zones then live as any secondary zone: the transfer worker keeps
 * them, NOTIFY from the primary wakes them.
 */
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "jobs/jobs_internal.h"

#define RETRY_S 10
#define CATALOG_VERSION "2"

struct catalog {
	const conf_t *conf;
	store_t *st;
	char ip[64];
	int port;
	xfr_peer_t peer;
	char *name;                            /* lowercase, no final dot */
	knot_dname_t apex[KNOT_DNAME_MAXLEN];  /* lowercase */
	knot_dname_t zones[KNOT_DNAME_MAXLEN]; /* zones.<catalog> */
	bool has_serial;
	uint32_t serial;
};

catalog_t *catalog_new(const conf_t *conf, store_t *st, const _Atomic bool *stop, int *ret)
{
	*ret = ERR_OK;
	if (conf->catalog_primary == NULL || *conf->catalog_primary == '\0') {
		return NULL;
	}
	catalog_t *c = xcalloc(1, sizeof(*c));
	c->conf = conf;
	c->st = st;
	char text[KNOT_DNAME_TXT_MAXLEN + 8];
	const char *name = conf->catalog_zone != NULL ? conf->catalog_zone : "";
	size_t len = strlen(name);
	if (len > 0 && name[len - 1] == '.') {
		len--;
	}
	snprintf(text, sizeof(text), "%.*s.", (int)len, name);
	if (jobs_parse_addr(conf->catalog_primary, c->ip, sizeof(c->ip), &c->port) != ERR_OK ||
	    len == 0 || knot_dname_from_str(c->apex, text, sizeof(c->apex)) == NULL) {
		log_err("jobs, catalog-primary needs ADDR:PORT and catalog-zone a zone name");
		free(c);
		*ret = ERR_INVALID;
		return NULL;
	}
	knot_dname_to_lower(c->apex);
	c->name = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++) {
		c->name[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
	}
	c->name[len] = '\0';
	snprintf(text, sizeof(text), "zones.%s.", c->name);
	knot_dname_from_str(c->zones, text, sizeof(c->zones));
	knot_dname_to_lower(c->zones);
	xfr_peer_set(&c->peer, c->ip, c->port);
	c->peer.timeout_ms = (int)conf->xfr_timeout * 1000;
	c->peer.total_ms = c->peer.timeout_ms * 60;
	c->peer.stop = stop;
	return c;
}

void catalog_free(catalog_t *c)
{
	if (c != NULL) {
		free(c->name);
		free(c);
	}
}

bool catalog_matches(const catalog_t *c, const knot_dname_t *zone, const struct sockaddr *from,
		     bool *is_from_primary)
{
	if (c == NULL || !knot_dname_is_equal(c->apex, zone)) {
		return false;
	}
	*is_from_primary = jobs_same_ip((const struct sockaddr *)&c->peer.addr, from);
	return true;
}

/* --- reading the catalog ----------------------------------------------------------- */

typedef struct member {
	const char *name;       /* the member zone, lowercase, no final dot */
	const char *id;         /* its unique label */
} member_t;

static bool has_version(const catalog_t *c, const xfr_in_t *x)
{
	knot_dname_t owner[KNOT_DNAME_MAXLEN];
	char text[KNOT_DNAME_TXT_MAXLEN + 16];
	snprintf(text, sizeof(text), "version.%s.", c->name);
	if (knot_dname_from_str(owner, text, sizeof(owner)) == NULL) {
		return false;
	}
	knot_dname_to_lower(owner);
	for (size_t i = 0; i < x->rrs.count; i++) {
		const xfr_rr_t *rr = &x->rrs.v[i];
		if (rr->type == KNOT_RRTYPE_TXT && knot_dname_is_equal(rr->owner, owner) &&
		    rr->rdlen == 2 && rr->rdata[0] == 1 && rr->rdata[1] == CATALOG_VERSION[0]) {
			return true;
		}
	}
	return false;
}

/* RFC 9432 4.3: PTR records exactly one label below zones.<catalog>. */
static size_t members(const catalog_t *c, arena_t *a, const xfr_in_t *x, member_t *out)
{
	size_t n = 0;
	for (size_t i = 0; i < x->rrs.count; i++) {
		const xfr_rr_t *rr = &x->rrs.v[i];
		if (rr->type != KNOT_RRTYPE_PTR || knot_dname_in_bailiwick(rr->owner, c->zones) != 1) {
			continue;
		}
		char text[KNOT_DNAME_TXT_MAXLEN + 1];
		const char *norm = NULL;
		if (knot_dname_to_str(text, rr->rdata, sizeof(text)) == NULL ||
		    zone_name_check(a, text, &norm) != NULL) {
			log_warn("catalog %s, member %s skipped (not a zone name)", c->name, text);
			continue;
		}
		bool is_dup = false;
		for (size_t k = 0; k < n && !is_dup; k++) {
			is_dup = strcmp(out[k].name, norm) == 0;
		}
		if (is_dup) {
			continue; /* RFC 9432 4.3: a zone is a member once */
		}
		char id[KNOT_DNAME_TXT_MAXLEN + 1];
		knot_dname_to_str(id, rr->owner, sizeof(id));
		out[n].name = norm;
		out[n].id = arena_strndup(a, id, strcspn(id, "."));
		n++;
	}
	return n;
}

/* --- bringing the store in step -------------------------------------------------------- */

static int account_of(catalog_t *c, arena_t *a, int64_t *id)
{
	if (c->conf->catalog_account > 0) {
		*id = c->conf->catalog_account;
		return ERR_OK;
	}
	account_t *accs = NULL;
	size_t n = 0;
	int ret = store_account_list(c->st, a, &accs, &n);
	if (ret == ERR_OK && n == 0) {
		ret = ERR_NOTFOUND;
	}
	*id = 0;
	for (size_t i = 0; ret == ERR_OK && i < n; i++) {
		if (*id == 0 || accs[i].id < *id) {
			*id = accs[i].id;
		}
	}
	return ret;
}

/* The primary server row of this catalog in the account, made when missing. */
static int primary_of(catalog_t *c, arena_t *a, int64_t account_id, int64_t *id)
{
	for (int64_t page = 0;; page++) {
		store_list_t q = { .offset = page * 100, .limit = 100 };
		store_primary_t *ps = NULL;
		size_t n = 0;
		int64_t total = 0;
		int ret = store_primary_list(c->st, a, account_id, &q, &ps, &n, &total);
		if (ret != ERR_OK) {
			return ret;
		}
		for (size_t i = 0; i < n; i++) {
			if (ps[i].catalog != NULL && strcmp(ps[i].catalog, c->name) == 0) {
				*id = ps[i].id;
				return ERR_OK;
			}
		}
		if (n < 100) {
			break;
		}
	}
	store_primary_t p = { .account_id = account_id,
			      .name = arena_printf(a, "catalog %s", c->name),
			      .ip = c->ip, .port = c->port, .catalog = c->name };
	int ret = store_primary_create(c->st, &p);
	*id = p.id;
	return ret;
}

static int add_member(catalog_t *c, arena_t *a, int64_t account_id, int64_t primary_id,
		      const member_t *m)
{
	zone_t other;
	if (store_zone_get(c->st, a, 0, m->name, &other) == ERR_OK) {
		log_warn("catalog %s, member %s skipped (a zone of that name exists here)", c->name,
			 m->name);
		return ERR_OK;
	}
	zone_t z = { .account_id = account_id, .name = m->name,
		     .is_reverse = zone_name_is_reverse(m->name) };
	domain_t d = { .account_id = account_id, .name = m->name, .unicode_name = m->name,
		       .state = "hosted" };
	store_zone_new_t zn = { .domain = z.is_reverse ? NULL : &d, .zone = &z };
	int ret = store_secondary_create(c->st, &zn, c->name, m->id);
	if (ret == ERR_OK) {
		ret = store_primary_link(c->st, account_id, primary_id, z.id, true);
	}
	if (ret == ERR_OK) {
		log_info("catalog %s, member %s added", c->name, m->name);
	} else {
		log_warn("catalog %s, member %s not added (%s)", c->name, m->name, err_str(ret));
	}
	return ret;
}

static void reconcile(catalog_t *c, arena_t *a, const member_t *ms, size_t n)
{
	int64_t account_id = 0, primary_id = 0;
	int ret = account_of(c, a, &account_id);
	if (ret == ERR_OK) {
		ret = primary_of(c, a, account_id, &primary_id);
	}
	store_secondary_t *held = NULL;
	size_t nheld = 0;
	if (ret == ERR_OK) {
		ret = store_secondary_list(c->st, a, 0, 0, &held, &nheld);
	}
	if (ret != ERR_OK) {
		log_warn("catalog %s, cannot update the member zones (%s)", c->name, err_str(ret));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		bool is_held = false;
		for (size_t k = 0; k < nheld && !is_held; k++) {
			is_held = held[k].catalog != NULL && strcmp(held[k].catalog, c->name) == 0 &&
				  strcmp(held[k].zone.name, ms[i].name) == 0;
		}
		if (!is_held) {
			add_member(c, a, account_id, primary_id, &ms[i]);
		}
	}
	for (size_t k = 0; k < nheld; k++) {
		const zone_t *z = &held[k].zone;
		if (held[k].catalog == NULL || strcmp(held[k].catalog, c->name) != 0) {
			continue;
		}
		bool is_member = false;
		for (size_t i = 0; i < n && !is_member; i++) {
			is_member = strcmp(ms[i].name, z->name) == 0;
		}
		if (is_member) {
			continue;
		}
		/* RFC 9432 5.5: a zone removed from the catalog goes, with its data. */
		ret = z->domain_id != 0 ? store_domain_delete(c->st, z->account_id, z->domain_id)
					: store_zone_delete(c->st, z->account_id, z->id);
		if (ret == ERR_OK) {
			log_info("catalog %s, member %s removed", c->name, z->name);
		} else {
			log_warn("catalog %s, member %s not removed (%s)", c->name, z->name,
				 err_str(ret));
		}
	}
}

int64_t catalog_refresh(catalog_t *c)
{
	arena_t a;
	arena_init(&a, 0);
	xfr_in_t x;
	int ret = xfr_in_fetch(&c->peer, &x, &a, c->apex, c->has_serial, c->serial, 0);
	if (ret == ERR_OK && !x.is_uptodate && !x.is_full) {
		xfr_in_clear(&x); /* deltas: simpler to read the whole (small) catalog */
		ret = xfr_in_fetch(&c->peer, &x, &a, c->apex, false, 0, 0);
	} else if (ret == ERR_INVALID || ret == ERR_UPSTREAM) {
		xfr_in_clear(&x);
		ret = xfr_in_fetch(&c->peer, &x, &a, c->apex, false, 0, 0);
	}
	int64_t next = RETRY_S;
	if (ret != ERR_OK) {
		log_warn("catalog %s, transfer from %s:%d failed (%s)", c->name, c->ip, c->port,
			 x.error ? x.error : err_str(ret));
	} else if (x.is_uptodate) {
		next = knot_wire_read_u32(x.soa.rdata + x.soa.rdlen - 16); /* SOA refresh */
	} else if (!has_version(c, &x)) {
		log_warn("catalog %s, serial %u has no supported version (RFC 9432 4.2.1: \"2\"), "
			 "ignored", c->name, x.serial);
	} else {
		member_t *ms = arena_alloc_array(&a, x.rrs.count + 1, sizeof(member_t));
		size_t n = ms != NULL ? members(c, &a, &x, ms) : 0;
		reconcile(c, &a, ms, n);
		log_info("catalog %s, serial %u: %zu member zones", c->name, x.serial, n);
		c->has_serial = true;
		c->serial = x.serial;
		next = knot_wire_read_u32(x.soa.rdata + x.soa.rdlen - 16);
	}
	xfr_in_clear(&x);
	arena_clear(&a);
	if (next < c->conf->xfr_refresh_min) {
		next = c->conf->xfr_refresh_min;
	}
	if (next > c->conf->xfr_refresh_max) {
		next = c->conf->xfr_refresh_max;
	}
	return next * 1000;
}
