/* err.h -- the one error-code enum, and its table of names, messages and statuses. */
#pragma once

#include <errno.h>

/* A function that can fail returns ERR_OK or one of these (negative) codes. */
enum {
	ERR_OK = 0,
	ERR_NOMEM = -ENOMEM,
	ERR_IO = -EIO,
	ERR_INVAL_ARG = -EINVAL,
	ERR_PARSE = -1000,
	ERR_INVALID,     /* validation failed; field errors are attached to the request */
	ERR_NOTFOUND,
	ERR_CONFLICT,
	ERR_DENIED,      /* authenticated, but scope or role lacks the permission */
	ERR_AUTH,        /* authentication failed */
	ERR_OTP_REQUIRED,
	ERR_RATELIMIT,
	ERR_TOOBIG,
	ERR_METHOD,      /* path exists, method does not */
	ERR_MEDIATYPE,
	ERR_TIMEOUT,
	ERR_UPSTREAM,
	ERR_STORE,       /* the store failed (I/O, corruption, busy past its timeout) */
	ERR_BUSY,
	ERR_PRECONDITION,/* plan lacks the feature */
	ERR_INTERNAL,
	ERR_STATE,       /* the resource is not in the state the operation needs (428) */
};

/* Short identifier of a code, e.g. "notfound". Never NULL. */
const char *err_name(int code);
/* Human message for logs and API bodies, e.g. "Not Found". Never NULL. */
const char *err_str(int code);
/* HTTP status that the API answers for a code. */
int err_http_status(int code);
/* Process exit code for the CLI. */
int err_exit_code(int code);
