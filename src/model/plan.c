/* plan.c -- plans as data. The built-in table mirrors DNSimple's plans (content/v2: regions
 * on Teams and Enterprise, batch changes on Enterprise); a deployment replaces it with
 * the `plans` setting, a JSON file of the same shape:
 *   {"features": {"name": "Title", ...}, "plans": {"identifier": ["feature", ...], ...}} */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "model/plan.h"

static const char builtin[] =
	"{\"features\": {"
	"  \"regions\": \"Zone record regions\","
	"  \"batch_changes\": \"Batch change zone records\""
	"},"
	"\"plans\": {"
	"  \"dnsimple-personal\": [],"
	"  \"solo-v1-monthly\": [],"
	"  \"solo-v1-yearly\": [],"
	"  \"teams-v1-monthly\": [\"regions\"],"
	"  \"teams-v1-yearly\": [\"regions\"],"
	"  \"enterprise-v1-monthly\": [\"regions\", \"batch_changes\"],"
	"  \"enterprise-v1-yearly\": [\"regions\", \"batch_changes\"],"
	"  \"nameplate\": [\"regions\", \"batch_changes\"]"
	"}}";

static json_t *table; /* process lifetime, read-only after plan_load() */

int plan_load(const char *path, char *err, size_t errsize)
{
	json_error_t jerr;
	json_t *t = path != NULL && *path != '\0' ? json_load_file(path, 0, &jerr)
						  : json_loads(builtin, 0, &jerr);
	if (t == NULL) {
		snprintf(err, errsize, "plans %s: %s (line %d)", path ? path : "(built-in)",
			 jerr.text, jerr.line);
		return ERR_PARSE;
	}
	if (!json_is_object(json_object_get(t, "plans")) ||
	    !json_is_object(json_object_get(t, "features"))) {
		snprintf(err, errsize, "plans %s: want {\"features\": {...}, \"plans\": {...}}",
			 path ? path : "(built-in)");
		json_decref(t);
		return ERR_INVALID;
	}
	json_decref(table);
	table = t;
	return ERR_OK;
}

bool plan_has(const char *plan_identifier, const char *feature)
{
	if (table == NULL) {
		char err[128];
		plan_load(NULL, err, sizeof(err));
	}
	json_t *features = json_object_get(json_object_get(table, "plans"), plan_identifier);
	size_t i;
	json_t *f;
	json_array_foreach(features, i, f) {
		if (json_is_string(f) && strcmp(json_string_value(f), feature) == 0) {
			return true;
		}
	}
	return false;
}

const char *plan_feature_title(const char *feature)
{
	const char *t = json_string_value(json_object_get(json_object_get(table, "features"),
							  feature));
	return t != NULL ? t : feature;
}
