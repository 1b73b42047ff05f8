#include "sa.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "checked.h"

int sa_ready(sa *x, size_t n)
{
  size_t cap = x->cap ? x->cap : SA_CAP_DEFAULT;
  size_t want;
  char *p;

  if (n <= x->a) return 1;
  if (n > cap) { errno = ERANGE; return 0; }
  want = n;
  if (x->a && x->a <= cap / 2 && x->a * 2 > want) want = x->a * 2;
  if (want < 64) want = 64;
  if (want > cap) want = cap;
  p = realloc(x->s, want);
  if (!p) return 0;
  x->s = p;
  x->a = want;
  return 1;
}

int sa_catb(sa *x, const char *b, size_t n)
{
  size_t need;
  if (!size_add(x->len, n, &need) || !size_add(need, 1, &need)) { errno = ERANGE; return 0; }
  if (!sa_ready(x, need)) return 0;
  if (n) memcpy(x->s + x->len, b, n);
  x->len += n;
  x->s[x->len] = 0;
  return 1;
}

int sa_cats(sa *x, const char *s) { return sa_catb(x, s, strlen(s)); }
int sa_catc(sa *x, char c) { return sa_catb(x, &c, 1); }

int sa_catu(sa *x, unsigned long long u)
{
  char buf[24];
  size_t i = sizeof buf;
  do { buf[--i] = (char)('0' + u % 10); u /= 10; } while (u);
  return sa_catb(x, buf + i, sizeof buf - i);
}

int sa_copyb(sa *x, const char *b, size_t n) { x->len = 0; return sa_catb(x, b, n); }
int sa_copys(sa *x, const char *s) { return sa_copyb(x, s, strlen(s)); }
int sa_0(sa *x) { return sa_catb(x, "", 0); }

void sa_free(sa *x)
{
  free(x->s);
  x->s = 0;
  x->len = x->a = 0;
}

int sa_equals(const sa *x, const char *s)
{
  size_t n = strlen(s);
  return x->len == n && (n == 0 || memcmp(x->s, s, n) == 0);
}
