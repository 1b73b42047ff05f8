/* datefmt.h: RFC 5322 date-time strings, e.g. "Mon, 23 Nov 2026 09:35:44 +0000". */
#ifndef YUBIN_DATEFMT_H
#define YUBIN_DATEFMT_H
#include <stddef.h>
#include <time.h>

#define DATEFMT_MAX 40
/* Local time with numeric zone; returns out. */
char *datefmt_rfc5322(time_t t, char out[DATEFMT_MAX]);

#endif
