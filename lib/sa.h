/* sa.h: growable byte strings with a hard cap ("string allocators").
 * An sa holds len bytes in s (not necessarily NUL-terminated; sa_0 adds a
 * NUL that len does not count).  Growth past cap (default SA_CAP_DEFAULT)
 * fails with ERANGE, so input can never grow a buffer without bound.
 * Functions return 1 on success, 0 with errno on failure. */
#ifndef YUBIN_SA_H
#define YUBIN_SA_H
#include <stddef.h>

#define SA_CAP_DEFAULT ((size_t)64 << 20)

typedef struct sa {
  char *s;
  size_t len;
  size_t a;    /* allocated */
  size_t cap;  /* 0 means SA_CAP_DEFAULT */
} sa;
#define SA_ZERO { 0, 0, 0, 0 }

int sa_ready(sa *x, size_t n);          /* room for n bytes in all */
int sa_catb(sa *x, const char *b, size_t n);
int sa_cats(sa *x, const char *s);
int sa_catc(sa *x, char c);
int sa_catu(sa *x, unsigned long long u);
int sa_copyb(sa *x, const char *b, size_t n);
int sa_copys(sa *x, const char *s);
int sa_0(sa *x);                        /* NUL-terminate, len unchanged */
void sa_free(sa *x);
int sa_equals(const sa *x, const char *s);

#endif
