/* Lenient Date header parsing (msgdate.h). */
#include <string.h>
#include <strings.h>

#include "msgdate.h"

typedef struct scan {
  const char *s;
  size_t n;
  size_t pos;
} scan;

/* White space, folding, commas and ( comments ) (nested, bounded). */
static void skip(scan *c)
{
  int depth = 0;
  while (c->pos < c->n) {
    char ch = c->s[c->pos];
    if (ch == '(') { if (++depth > 32) return; }
    else if (ch == ')' && depth) depth--;
    else if (!depth && ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n' && ch != ',') return;
    c->pos++;
  }
}

static int number(scan *c, int maxdigits, int *v, int *ndigits)
{
  int d = 0, x = 0;
  while (c->pos < c->n && c->s[c->pos] >= '0' && c->s[c->pos] <= '9') {
    if (++d > maxdigits) return 0;
    x = x * 10 + (c->s[c->pos++] - '0');
  }
  if (!d) return 0;
  *v = x;
  if (ndigits) *ndigits = d;
  return 1;
}

static int word(scan *c, char *w, size_t max)
{
  size_t k = 0;
  while (c->pos < c->n) {
    char ch = c->s[c->pos];
    if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z'))) break;
    if (k + 1 < max) w[k++] = ch;
    c->pos++;
  }
  w[k] = 0;
  return k > 0;
}

static int month(const char *w)
{
  static const char *const m[] = { "jan", "feb", "mar", "apr", "may", "jun",
                                   "jul", "aug", "sep", "oct", "nov", "dec" };
  int i;
  if (strlen(w) < 3) return 0;
  for (i = 0; i < 12; i++)
    if (strncasecmp(w, m[i], 3) == 0) return i + 1;
  return 0;
}

static long long days_from_civil(int y, int m, int d)
{
  long long yy = y - (m <= 2);
  long long era = (yy >= 0 ? yy : yy - 399) / 400;
  long long yoe = yy - era * 400;
  long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
  static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return dm[m - 1];
}

/* hh:mm[:ss] */
static int hhmmss(scan *c, int *h, int *mi, int *se)
{
  *se = 0;
  if (!number(c, 2, h, 0)) return 0;
  if (c->pos >= c->n || (c->s[c->pos] != ':' && c->s[c->pos] != '.')) return 0;
  c->pos++;
  if (!number(c, 2, mi, 0)) return 0;
  if (c->pos < c->n && c->s[c->pos] == ':') {
    c->pos++;
    if (!number(c, 2, se, 0)) return 0;
  }
  return *h <= 23 && *mi <= 59 && *se <= 60;
}

/* The zone as minutes east of UTC; unknown or missing is 0. */
static int zone(scan *c)
{
  static const struct { const char *name; int off; } z[] = {
    { "UT", 0 }, { "UTC", 0 }, { "GMT", 0 }, { "Z", 0 }, { "EST", -300 }, { "EDT", -240 },
    { "CST", -360 }, { "CDT", -300 }, { "MST", -420 }, { "MDT", -360 }, { "PST", -480 },
    { "PDT", -420 }, { "CET", 60 }, { "CEST", 120 }, { "BST", 60 }, { "JST", 540 },
  };
  char w[8];
  size_t i;
  skip(c);
  if (c->pos < c->n && (c->s[c->pos] == '+' || c->s[c->pos] == '-')) {
    int sign = c->s[c->pos] == '-' ? -1 : 1, v, d;
    size_t save = c->pos++;
    if (!number(c, 4, &v, &d) || d != 4 || v % 100 > 59 || v / 100 > 23) { c->pos = save; return 0; }
    return sign * (v / 100 * 60 + v % 100);
  }
  if (!word(c, w, sizeof w)) return 0;
  for (i = 0; i < sizeof z / sizeof z[0]; i++)
    if (strcasecmp(w, z[i].name) == 0) return z[i].off;
  return 0;
}

static int full_year(int y, int digits)
{
  if (digits == 2) return y < 50 ? 2000 + y : 1900 + y;
  if (digits == 3) return 1900 + y;
  return y;
}

int msgdate_parse(const char *s, size_t n, time_t *utc, time_t *day)
{
  scan c = { s, n, 0 };
  char w[16];
  int d, m, y, yd, h, mi, se, off;
  long long days, t;
  if (n > MSGDATE_MAX) return 0;
  skip(&c);
  if (c.pos < c.n && ((s[c.pos] >= 'A' && s[c.pos] <= 'Z') || (s[c.pos] >= 'a' && s[c.pos] <= 'z'))) {
    size_t save = c.pos;
    (void)word(&c, w, sizeof w);
    if (month(w) && strlen(w) >= 3 && c.pos < c.n && s[c.pos] != ',') {
      c.pos = save;            /* no day name: the month comes first (asctime) */
    }
    skip(&c);
  }
  if (c.pos < c.n && ((s[c.pos] >= 'A' && s[c.pos] <= 'Z') || (s[c.pos] >= 'a' && s[c.pos] <= 'z'))) {
    /* asctime: Mon D HH:MM:SS YYYY */
    if (!word(&c, w, sizeof w) || !(m = month(w))) return 0;
    skip(&c);
    if (!number(&c, 2, &d, 0)) return 0;
    skip(&c);
    if (!hhmmss(&c, &h, &mi, &se)) return 0;
    skip(&c);
    if (!number(&c, 4, &y, &yd)) return 0;
    y = full_year(y, yd);
    off = zone(&c);
  } else {
    if (!number(&c, 2, &d, 0)) return 0;
    skip(&c);
    if (c.pos < c.n && s[c.pos] == '-') c.pos++;
    if (!word(&c, w, sizeof w) || !(m = month(w))) return 0;
    if (c.pos < c.n && s[c.pos] == '-') c.pos++;
    skip(&c);
    if (!number(&c, 4, &y, &yd)) return 0;
    y = full_year(y, yd);
    skip(&c);
    if (!hhmmss(&c, &h, &mi, &se)) return 0;
    off = zone(&c);
  }
  if (y < 1900 || y > 9999 || d < 1 || d > days_in_month(y, m)) return 0;
  days = days_from_civil(y, m, d);
  t = days * 86400 + h * 3600 + mi * 60 + se - off * 60;
  *utc = (time_t)t;
  *day = (time_t)(days * 86400);
  return 1;
}
