/* identity.c -- role names and the JSON shapes of users and accounts. */
#include <string.h>

#include "core/err.h"
#include "core/json.h"
#include "core/timeutil.h"
#include "model/identity.h"

static const struct {
	const char *name;
	role_t role;
} role_names[] = {
	{ "owner", ROLE_OWNER },
	{ "admin", ROLE_ADMIN },
	{ "domain-manager", ROLE_DOMAIN_MANAGER },
	{ "zone-operator", ROLE_ZONE_OPERATOR },
	/* accepted spellings */
	{ "administrator", ROLE_ADMIN },
	{ "domain_manager", ROLE_DOMAIN_MANAGER },
	{ "zone_operator", ROLE_ZONE_OPERATOR },
};

int role_parse(const char *name, role_t *out)
{
	for (size_t i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++) {
		if (strcmp(name, role_names[i].name) == 0) {
			*out = role_names[i].role;
			return ERR_OK;
		}
	}
	return ERR_INVALID;
}

const char *role_name(role_t role)
{
	return (unsigned)role < ROLE_COUNT ? role_names[role].name : "unknown";
}

json_t *account_to_json(const account_t *a)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(a->id));
	json_object_set_new(o, "email", json_string(a->email));
	json_object_set_new(o, "name", json_string(a->name));
	json_object_set_new(o, "plan_identifier", json_string(a->plan_identifier));
	json_object_set_new(o, "created_at", json_timestamp(a->created_at));
	json_object_set_new(o, "updated_at", json_timestamp(a->updated_at));
	return o;
}

json_t *user_to_json(const user_t *u)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(u->id));
	json_object_set_new(o, "email", json_string(u->email));
	json_object_set_new(o, "created_at", json_timestamp(u->created_at));
	json_object_set_new(o, "updated_at", json_timestamp(u->updated_at));
	return o;
}
