/* timeutil.c -- clocks and ISO-8601 formatting. */
#include "core/timeutil.h"

int64_t time_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

int64_t time_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t time_mono_ms(void)
{
	return time_mono_us() / 1000;
}

/* Two digits of v at p. */
static void put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

void time_iso8601(int64_t t, char out[21])
{
	/* Lists write two per record: civil date by arithmetic (H. Hinnant's days_from_civil
	 * inverse; proleptic Gregorian, as gmtime) instead of gmtime_r() and strftime(). */
	if (t < 0 || t > 253402300799) { /* outside years 1970-9999 */
		time_t tt = (time_t)t;
		struct tm tm;
		gmtime_r(&tt, &tm);
		strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
		return;
	}
	int64_t days = t / 86400, secs = t % 86400;
	int64_t z = days + 719468;
	int64_t era = z / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned day = doy - (153 * mp + 2) / 5 + 1;
	unsigned month = mp < 10 ? mp + 3 : mp - 9;
	unsigned year = (unsigned)(yoe + era * 400) + (month <= 2);
	put2(out, year / 100);
	put2(out + 2, year % 100);
	out[4] = '-';
	put2(out + 5, month);
	out[7] = '-';
	put2(out + 8, day);
	out[10] = 'T';
	put2(out + 11, (unsigned)(secs / 3600));
	out[13] = ':';
	put2(out + 14, (unsigned)(secs / 60 % 60));
	out[16] = ':';
	put2(out + 17, (unsigned)(secs % 60));
	out[19] = 'Z';
	out[20] = '\0';
}

void time_iso_date(int64_t t, char out[11])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}
