/* log.h -- leveled logging to stderr, one line per event. */
#pragma once

#include <stdarg.h>

typedef enum { LOG_ERR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG } log_level_t;

/* Set the threshold; messages above it are dropped. Default LOG_INFO. */
void log_set_level(log_level_t level);
/* Parse "error", "warning", "info", "debug"; returns -1 when unknown. */
int log_level_parse(const char *name);

void log_msg(log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(log_level_t level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* Log the request id first, e.g. log_req_info(id, "..."). */
#define log_req_info(id, fmt, ...) log_msg(LOG_INFO, "req %s, " fmt, (id), ##__VA_ARGS__)
#define log_req_err(id, fmt, ...)  log_msg(LOG_ERR, "req %s, " fmt, (id), ##__VA_ARGS__)

/* Abort with file and line for states that must never happen. */
#define PANIC(msg) log_panic(__FILE__, __LINE__, (msg))
_Noreturn void log_panic(const char *file, int line, const char *msg);
