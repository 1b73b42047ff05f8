#include "datefmt.h"

#include <stdio.h>
#include <string.h>

char *datefmt_rfc5322(time_t t, char out[DATEFMT_MAX])
{
  static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
  static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  struct tm tm;
  long off, h, m;
  char sign = '+';
  if (!localtime_r(&t, &tm)) { strcpy(out, "Thu, 1 Jan 1970 00:00:00 +0000"); return out; }
  off = tm.tm_gmtoff / 60;
  if (off < 0) { sign = '-'; off = -off; }
  h = (off / 60) % 100;
  m = off % 60;
  if (tm.tm_year < -1900 || tm.tm_year > 8000) tm.tm_year = 70;
  snprintf(out, DATEFMT_MAX, "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld",
           wd[tm.tm_wday % 7], tm.tm_mday, mo[tm.tm_mon % 12], tm.tm_year + 1900,
           tm.tm_hour, tm.tm_min, tm.tm_sec, sign, h, m);
  return out;
}
