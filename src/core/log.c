/* log.c -- leveled logging to stderr: timestamp, level, message, one write per line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

static log_level_t threshold = LOG_INFO;
static const char *const names[] = { "error", "warning", "info", "debug" };

void log_set_level(log_level_t level)
{
	threshold = level;
}

int log_level_parse(const char *name)
{
	for (int i = 0; i <= LOG_DEBUG; i++) {
		if (strcasecmp(name, names[i]) == 0) {
			return i;
		}
	}
	if (strcasecmp(name, "warn") == 0) {
		return LOG_WARN;
	}
	return -1;
}

void log_vmsg(log_level_t level, const char *fmt, va_list ap)
{
	if (level > threshold) {
		return;
	}
	char line[2048];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03ldZ %s: ", ts.tv_nsec / 1000000,
			      names[level]);
	int m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (m < 0) {
		m = 0;
	}
	n += (size_t)m;
	if (n > sizeof(line) - 2) {
		n = sizeof(line) - 2; /* truncated: keep the line whole */
	}
	line[n++] = '\n';
	/* One write(2) per line keeps lines from threads unmixed. */
	ssize_t w = write(STDERR_FILENO, line, n);
	(void)w;
}

void log_msg(log_level_t level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

_Noreturn void log_panic(const char *file, int line, const char *msg)
{
	log_err("panic at %s:%d (%s)", file, line, msg);
	abort();
}
