/*
 * cookie-date.c: the Expires dates of Set-Cookie, read as RFC 6265 5.1.1
 * says, which takes the many forms servers send ("Sun, 06 Nov 1994
 * 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37
 * 1994") with one algorithm: the first token that looks like a time, a
 * day, a month or a year is that.
 */
#include "config.h"

#include <errno.h>
#include <strings.h>

#include "ahttp-internal.h"

static int
delimiter(unsigned char c)
{
	return c == 0x09 || (c >= 0x20 && c <= 0x2f) ||
	    (c >= 0x3b && c <= 0x40) || (c >= 0x5b && c <= 0x60) ||
	    (c >= 0x7b && c <= 0x7e);
}

/* 1*max DIGIT at s[*i]: the number, or -1 when min digits are not there. */
static int
digits(const char *s, size_t n, size_t *i, int min, int max)
{
	int v = 0, k = 0;

	while (*i < n && k < max && AHTTP__IS_DIGIT(s[*i])) {
		v = v * 10 + (s[(*i)++] - '0');
		k++;
	}
	return k >= min ? v : -1;
}

/* The token is 1*max digits, then its end or a non-digit. */
static int
number_token(const char *s, size_t n, int min, int max)
{
	size_t i = 0;
	int v = digits(s, n, &i, min, max);

	return v >= 0 && (i == n || !AHTTP__IS_DIGIT(s[i])) ? v : -1;
}

static int
time_token(const char *s, size_t n, int *h, int *m, int *sec)
{
	size_t i = 0;

	if ((*h = digits(s, n, &i, 1, 2)) < 0 || i >= n || s[i++] != ':' ||
	    (*m = digits(s, n, &i, 1, 2)) < 0 || i >= n || s[i++] != ':' ||
	    (*sec = digits(s, n, &i, 1, 2)) < 0)
		return 0;
	return i == n || !AHTTP__IS_DIGIT(s[i]);
}

static int
month_token(const char *s, size_t n)
{
	static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	int m;

	if (n < 3)
		return -1;
	for (m = 0; m < 12; m++)
		if (strncasecmp(s, names + 3 * m, 3) == 0)
			return m + 1;
	return -1;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
month_days(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

int
ahttp_cookie_date(const char *s, size_t len, int64_t *t)
{
	int h = -1, mi = -1, sec = -1, day = -1, mon = -1, year = -1, v;
	int th, tm, ts;
	size_t i = 0, start, n;

	while (i < len) {
		while (i < len && delimiter((unsigned char)s[i]))
			i++;
		start = i;
		while (i < len && !delimiter((unsigned char)s[i]))
			i++;
		if ((n = i - start) == 0)
			break;
		if (h < 0 && time_token(s + start, n, &th, &tm, &ts)) {
			h = th;
			mi = tm;
			sec = ts;
		} else if (day < 0 && (v = number_token(s + start, n, 1,
		    2)) >= 0)
			day = v;
		else if (mon < 0 && (v = month_token(s + start, n)) >= 0)
			mon = v;
		else if (year < 0 && (v = number_token(s + start, n, 2,
		    4)) >= 0)
			year = v;
	}
	if (year >= 70 && year <= 99)
		year += 1900;
	else if (year >= 0 && year <= 69)
		year += 2000;
	if (h < 0 || day < 0 || mon < 0 || year < 0 || day < 1 ||
	    year < 1601 || h > 23 || mi > 59 || sec > 59 ||
	    day > month_days(year, mon))
		return -EINVAL;
	*t = days_from_civil(year, mon, day) * 86400 + h * 3600 + mi * 60 +
	    sec;
	return 0;
}
