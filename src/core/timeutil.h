/* timeutil.h -- wall and monotonic clocks, ISO-8601 UTC timestamps as the API shows them. */
#pragma once

#include <stdint.h>
#include <time.h>

/* Seconds since the epoch. */
int64_t time_now(void);
/* Monotonic milliseconds, for durations. */
int64_t time_mono_ms(void);
/* Monotonic microseconds. */
int64_t time_mono_us(void);
/* "2016-06-09T20:03:39Z" into out (at least 21 bytes). */
void time_iso8601(int64_t t, char out[21]);
/* "2016-06-09" into out (at least 11 bytes). */
void time_iso_date(int64_t t, char out[11]);
