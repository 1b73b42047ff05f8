/* msgdate.h: the Date header field (RFC 5322 date-time, with the obsolete
 * forms of RFC 5322 section 4.3 and what mailers write in practice),
 * parsed leniently.  Pure. */
#ifndef YUBIN_MSGDATE_H
#define YUBIN_MSGDATE_H
#include <stddef.h>
#include <time.h>

#define MSGDATE_MAX 256      /* a value longer than this is not a date */

/* Parses s (n octets): "[Day,] D Mon YYYY HH:MM[:SS] [zone]" with comments
 * and folding anywhere, 2- and 3-digit years, named and military zones (an
 * unknown or missing zone is taken as +0000), and the asctime form
 * "Day Mon D HH:MM:SS YYYY".  Sets *utc to the moment (seconds since the
 * epoch) and *day to 00:00 UTC of the date as written (its own zone, as
 * SEARCH SENTON wants).  Returns 1, or 0 when it is not a date. */
int msgdate_parse(const char *s, size_t n, time_t *utc, time_t *day);

#endif
