/* conf.c -- the schema-driven loader: defaults, file, environment, flags, in that order. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"
#include "core/err.h"
#include "core/mem.h"

static char **str_field(conf_t *c, const conf_key_t *k)
{
	return (char **)((char *)c + k->offset);
}

static int64_t *int_field(conf_t *c, const conf_key_t *k)
{
	return (int64_t *)((char *)c + k->offset);
}

const conf_key_t *conf_find(const char *name)
{
	for (const conf_key_t *k = conf_schema; k->name != NULL; k++) {
		if (strcmp(k->name, name) == 0) {
			return k;
		}
	}
	return NULL;
}

static int set_key(conf_t *c, const conf_key_t *k, const char *value, char *err, size_t errsize)
{
	if (k->type == CONF_STR) {
		char **f = str_field(c, k);
		free(*f);
		*f = xstrdup(value);
		return ERR_OK;
	}
	char *end = NULL;
	errno = 0;
	long long v = strtoll(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0') {
		snprintf(err, errsize, "%s: '%s' is not a number", k->name, value);
		return ERR_INVALID;
	}
	if (v < k->min || v > k->max) {
		snprintf(err, errsize, "%s: %lld is out of range [%lld, %lld]", k->name, v,
			 (long long)k->min, (long long)k->max);
		return ERR_INVALID;
	}
	*int_field(c, k) = v;
	return ERR_OK;
}

void conf_init(conf_t *c)
{
	memset(c, 0, sizeof(*c));
	char err[256];
	for (const conf_key_t *k = conf_schema; k->name != NULL; k++) {
		if (set_key(c, k, k->def, err, sizeof(err)) != ERR_OK) {
			abort(); /* a default outside its own range is a bug in the table */
		}
	}
}

void conf_clear(conf_t *c)
{
	for (const conf_key_t *k = conf_schema; k->name != NULL; k++) {
		if (k->type == CONF_STR) {
			free(*str_field(c, k));
		}
	}
	memset(c, 0, sizeof(*c));
}

int conf_set(conf_t *c, const char *key, const char *value, char *err, size_t errsize)
{
	const conf_key_t *k = conf_find(key);
	if (k == NULL) {
		snprintf(err, errsize, "unknown setting '%s'", key);
		return ERR_INVALID;
	}
	return set_key(c, k, value, err, errsize);
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s)) {
		s++;
	}
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1])) {
		*--e = '\0';
	}
	return s;
}

int conf_load_file(conf_t *c, const char *path, char *err, size_t errsize)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errsize, "config %s: %s", path, strerror(errno));
		return -errno;
	}
	char line[4096];
	int lineno = 0, ret = ERR_OK;
	while (ret == ERR_OK && fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash != NULL) {
			*hash = '\0';
		}
		char *s = trim(line);
		if (*s == '\0') {
			continue;
		}
		char *colon = strchr(s, ':');
		if (colon == NULL) {
			snprintf(err, errsize, "config %s:%d: expected 'key: value'", path, lineno);
			ret = ERR_PARSE;
			break;
		}
		*colon = '\0';
		char *key = trim(s), *value = trim(colon + 1);
		size_t vlen = strlen(value);
		if (vlen >= 2 && (value[0] == '"' || value[0] == '\'') && value[vlen - 1] == value[0]) {
			value[vlen - 1] = '\0';
			value++;
		}
		char inner[256];
		ret = conf_set(c, key, value, inner, sizeof(inner));
		if (ret != ERR_OK) {
			snprintf(err, errsize, "config %s:%d: %s", path, lineno, inner);
		}
	}
	fclose(f);
	return ret;
}

/* "rate-limit-unauth" -> "NAMEPLATE_RATE_LIMIT_UNAUTH" */
static void env_name(const char *key, char *out, size_t size)
{
	size_t n = (size_t)snprintf(out, size, "NAMEPLATE_");
	for (const char *p = key; *p != '\0' && n + 1 < size; p++) {
		out[n++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
	}
	out[n] = '\0';
}

int conf_load_env(conf_t *c, char *err, size_t errsize)
{
	for (const conf_key_t *k = conf_schema; k->name != NULL; k++) {
		char name[128];
		env_name(k->name, name, sizeof(name));
		const char *v = getenv(name);
		if (v == NULL) {
			continue;
		}
		char inner[256];
		int ret = set_key(c, k, v, inner, sizeof(inner));
		if (ret != ERR_OK) {
			snprintf(err, errsize, "%s: %s", name, inner);
			return ret;
		}
	}
	return ERR_OK;
}

void conf_print_help(FILE *out)
{
	for (const conf_key_t *k = conf_schema; k->name != NULL; k++) {
		char env[128], flag[64];
		env_name(k->name, env, sizeof(env));
		snprintf(flag, sizeof(flag), "--%s %s", k->name, k->type == CONF_INT ? "N" : "VALUE");
		fprintf(out, "  %-28s %s\n  %-28s   env %s, default '%s'\n", flag, k->help, "", env,
			k->def);
	}
}
