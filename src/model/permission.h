/* permission.h -- what a member's role allows (content/index.md, Accounts). */
#pragma once

#include <stdbool.h>

#include "model/identity.h"
#include "model/scope.h"

/* What an operation touches. */
typedef struct permission_need {
	const char *kind;       /* "zones", "domains", ... NULL for identity routes */
	const char *name;       /* the named domain/zone, or NULL for a collection */
	scope_access_t access;
	bool is_admin_only;     /* account administration: owners and administrators */
	bool is_record_op;      /* changes zone records (what a zone operator may do) */
} permission_need_t;

/* true when a member with m's role may do it. Collections pass for limited roles;
 * list handlers filter them with permission_sees(). */
bool permission_allows(const membership_t *m, const permission_need_t *need);
/* true when the member may see the named domain (kind "domains") or zone ("zones"). */
bool permission_sees(const membership_t *m, const char *kind, const char *name);
