/* err.c -- one row per error code: name, message, HTTP status, CLI exit code. */
#include <string.h>

#include "core/err.h"

typedef struct {
	int code;
	const char *name;
	const char *message;
	int http_status;
	int exit_code;
} err_row_t;

static const err_row_t rows[] = {
	{ ERR_OK,           "ok",           "OK",                              200, 0 },
	{ ERR_NOMEM,        "nomem",        "Out of memory",                   500, 70 },
	{ ERR_IO,           "io",           "I/O error",                       500, 74 },
	{ ERR_INVAL_ARG,    "inval",        "Invalid argument",                400, 64 },
	{ ERR_PARSE,        "parse",        "Malformed input",                 400, 65 },
	{ ERR_INVALID,      "invalid",      "Validation failed",               400, 65 },
	{ ERR_NOTFOUND,     "notfound",     "Not Found",                       404, 66 },
	{ ERR_CONFLICT,     "conflict",     "Already exists",                  400, 65 },
	{ ERR_DENIED,       "denied",       "Permission Denied",               403, 77 },
	{ ERR_AUTH,         "auth",         "Authentication failed",           401, 77 },
	{ ERR_OTP_REQUIRED, "otp_required", "Authentication failed",           401, 77 },
	{ ERR_RATELIMIT,    "ratelimit",    "quota exceeded",                  429, 75 },
	{ ERR_TOOBIG,       "toobig",       "Request body too large",          413, 65 },
	{ ERR_METHOD,       "method",       "Method Not Allowed",              405, 64 },
	{ ERR_MEDIATYPE,    "mediatype",    "Unsupported content type",        415, 65 },
	{ ERR_TIMEOUT,      "timeout",      "Timed out",                       504, 75 },
	{ ERR_UPSTREAM,     "upstream",     "Upstream failure",                502, 69 },
	{ ERR_STORE,        "store",        "Storage failure",                 500, 74 },
	{ ERR_BUSY,         "busy",         "Busy, try again",                 503, 75 },
	{ ERR_PRECONDITION, "precondition", "Feature not available on plan",   412, 65 },
	{ ERR_INTERNAL,     "internal",     "Internal error",                  500, 70 },
	{ ERR_STATE,        "state",        "Precondition Required",           428, 65 },
};

static const err_row_t *find(int code)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (rows[i].code == code) {
			return &rows[i];
		}
	}
	return NULL;
}

const char *err_name(int code)
{
	const err_row_t *r = find(code);
	return r ? r->name : "errno";
}

const char *err_str(int code)
{
	const err_row_t *r = find(code);
	if (r != NULL) {
		return r->message;
	}
	return code < 0 && code > -4096 ? strerror(-code) : "Unknown error";
}

int err_http_status(int code)
{
	const err_row_t *r = find(code);
	return r ? r->http_status : 500;
}

int err_exit_code(int code)
{
	const err_row_t *r = find(code);
	return r ? r->exit_code : 1;
}
