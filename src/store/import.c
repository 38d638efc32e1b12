/* import.c -- a zone file into the store, in one transaction: the zone's custom records
 * are replaced by the file's; a missing zone is created first (with its domain unless it
 * is a reverse zone), in the same transaction as its records. Any backend: this only
 * uses the store interface. Shared by `nameplate zone import` and the API. */
#include <string.h>

#include "core/err.h"
#include "core/timeutil.h"
#include "model/zone_import.h"
#include "store/store.h"

static int create(store_t *st, store_import_t *imp)
{
	arena_t *a = imp->arena;
	zone_t *z = &imp->zone;
	memset(z, 0, sizeof(*z));
	z->account_id = imp->account_id;
	z->name = imp->zone_name;
	z->is_reverse = zone_name_is_reverse(imp->zone_name);
	z->is_active = true;
	z->serial = (uint32_t)time_now();
	record_t *sys = NULL;
	size_t nsys = 0;
	int ret = zone_system_records(a, z, imp->name_servers, imp->soa_rname, imp->system_ttl,
				      &sys, &nsys);
	if (ret != ERR_OK) {
		imp->message = "the configured name servers or SOA mailbox are not valid names";
		return ret;
	}
	/* parse with the zone's name; ids come with the insert */
	ret = zone_import_parse(a, z, imp->text, imp->len, imp->default_ttl, &imp->parsed);
	if (ret != ERR_OK) {
		imp->message = imp->parsed.err_message;
		return ret;
	}
	record_t *all = arena_alloc_array(a, nsys + imp->parsed.count + 1, sizeof(record_t));
	if (all == NULL) {
		return ERR_TOOBIG;
	}
	memcpy(all, sys, nsys * sizeof(record_t));
	if (imp->parsed.count > 0) {
		memcpy(all + nsys, imp->parsed.records, imp->parsed.count * sizeof(record_t));
	}
	domain_t d = { .account_id = imp->account_id, .name = imp->zone_name,
		       .unicode_name = imp->zone_name, .state = "hosted" };
	store_zone_new_t zn = { .domain = z->is_reverse ? NULL : &d, .zone = z, .records = all,
				.record_count = nsys + imp->parsed.count };
	ret = store_zone_create(st, &zn);
	if (ret == ERR_CONFLICT) {
		imp->message = "the zone exists in another account";
	}
	imp->is_created = ret == ERR_OK;
	imp->serial = z->serial;
	return ret;
}

static int replace(store_t *st, store_import_t *imp)
{
	arena_t *a = imp->arena;
	int ret = zone_import_parse(a, &imp->zone, imp->text, imp->len, imp->default_ttl,
				    &imp->parsed);
	if (ret != ERR_OK) {
		imp->message = imp->parsed.err_message;
		return ret;
	}
	record_t *old = NULL;
	size_t nold = 0;
	ret = store_record_all(st, a, &imp->zone, &old, &nold);
	if (ret != ERR_OK) {
		return ret;
	}
	int64_t *ids = arena_alloc_array(a, nold + 1, sizeof(int64_t));
	size_t nids = 0;
	for (size_t i = 0; i < nold; i++) {
		if (!old[i].is_system) {
			ids[nids++] = old[i].id;
		}
	}
	store_change_t chg = { .zone = &imp->zone, .deletes = ids, .delete_count = nids,
			       .creates = imp->parsed.records, .create_count = imp->parsed.count,
			       .event = "zone.import", .arena = a };
	ret = store_zone_change(st, &chg);
	if (ret == ERR_INVALID && chg.fail_kind != NULL) {
		/* a record another writer added between our read and the change */
		imp->message = arena_printf(a, "%s (record %zu)", chg.fail_message, chg.fail_index);
		json_decref(chg.fail_errors);
	}
	imp->serial = chg.serial;
	return ret;
}

int store_zone_import(store_t *st, store_import_t *imp)
{
	imp->message = NULL;
	imp->is_created = false;
	const char *bad = zone_name_check(imp->arena, imp->zone_name, &imp->zone_name);
	if (bad != NULL) {
		imp->message = arena_printf(imp->arena, "zone name %s", bad);
		return ERR_INVALID;
	}
	int ret = store_zone_get(st, imp->arena, imp->account_id, imp->zone_name, &imp->zone);
	if (ret == ERR_NOTFOUND && imp->may_create) {
		return create(st, imp);
	}
	if (ret == ERR_NOTFOUND) {
		imp->message = arena_printf(imp->arena, "Zone `%s` not found", imp->zone_name);
	}
	if (ret == ERR_OK && imp->zone.is_secondary) {
		imp->message = "a secondary zone takes its records from its primary";
		return ERR_INVALID;
	}
	return ret == ERR_OK ? replace(st, imp) : ret;
}
