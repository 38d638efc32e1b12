/* permission.c -- role rules: owners and administrators do everything; a domain manager
 * works on its listed domains (and their zones); a zone operator changes the records of
 * its listed zones and reads them, nothing else. */
#include <string.h>
#include <strings.h>

#include "model/permission.h"

static bool listed(const char **names, const char *name)
{
	for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
		if (strcasecmp(names[i], name) == 0) {
			return true;
		}
	}
	return false;
}

bool permission_sees(const membership_t *m, const char *kind, const char *name)
{
	switch (m->role) {
	case ROLE_OWNER:
	case ROLE_ADMIN:
		return true;
	case ROLE_DOMAIN_MANAGER:
		/* A domain's zone has the domain's name. */
		return (strcmp(kind, "domains") == 0 || strcmp(kind, "zones") == 0) &&
		       listed(m->domains, name);
	case ROLE_ZONE_OPERATOR:
		return strcmp(kind, "zones") == 0 && listed(m->zones, name);
	default:
		return false;
	}
}

bool permission_allows(const membership_t *m, const permission_need_t *need)
{
	if (m->role == ROLE_OWNER || m->role == ROLE_ADMIN) {
		return true;
	}
	if (need->is_admin_only) {
		return false;
	}
	if (need->kind == NULL) {
		return true; /* identity routes: whoami, accounts */
	}
	bool is_kind_ok = m->role == ROLE_DOMAIN_MANAGER
				  ? strcmp(need->kind, "domains") == 0 || strcmp(need->kind, "zones") == 0
				  : strcmp(need->kind, "zones") == 0;
	if (!is_kind_ok) {
		return false;
	}
	if (m->role == ROLE_ZONE_OPERATOR && need->access == SCOPE_WRITE && !need->is_record_op) {
		return false;
	}
	if (need->name == NULL) {
		return need->access == SCOPE_READ || need->is_record_op;
	}
	return permission_sees(m, need->kind, need->name);
}
