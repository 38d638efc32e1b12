/* plan.h -- plans and the features they include: data, loaded from JSON, not code. */
#pragma once

#include <stdbool.h>

/* Load plans from a JSON file (NULL or "" = the built-in table). Returns ERR_*; on error
 * writes a message into err. Call once at start, before threads. */
int plan_load(const char *path, char *err, size_t errsize);
/* true when the plan includes the feature ("regions", "batch_changes", ...). Unknown plans
 * include nothing. */
bool plan_has(const char *plan_identifier, const char *feature);
/* The feature's display name for the 412 message, e.g. "Zone record regions". */
const char *plan_feature_title(const char *feature);
