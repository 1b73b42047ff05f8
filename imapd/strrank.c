/* Strings as ranks: an open-addressing table of distinct strings (by their
 * keyed hash), their first octets in one arena, then one sort of the
 * distinct strings. */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "sa.h"
#include "strrank.h"

typedef struct entry {
  uint64_t h;              /* hash of the whole string */
  uint32_t off;            /* kept octets in the arena */
  uint32_t len;            /* length of the whole string */
} entry;

struct strrank {
  entry *e;
  size_t ne, ecap;
  uint32_t *tab;           /* entry + 1, 0 for empty */
  size_t tsize;            /* power of two, at most half full */
  sa text;
};

static unsigned char key[crypto_shorthash_KEYBYTES];
static int keyed;

uint64_t strrank_hash(const char *s, size_t n)
{
  unsigned char out[crypto_shorthash_BYTES];
  uint64_t h;
  if (!keyed) {
    if (sodium_init() < 0) abort();     /* no randomness: nothing safe to do */
    randombytes_buf(key, sizeof key);
    keyed = 1;
  }
  crypto_shorthash(out, (const unsigned char *)s, n, key);
  memcpy(&h, out, sizeof h);
  return h;
}

static size_t kept(const entry *x)
{
  return x->len < STRRANK_KEEP ? x->len : STRRANK_KEEP;
}

static int grow_table(strrank *r, size_t want)
{
  size_t size = 16, i;
  uint32_t *tab;
  while (size < want * 2) size <<= 1;
  if (size <= r->tsize) return 1;
  if (!(tab = calloc(size, sizeof *tab))) { errno = ENOMEM; return 0; }
  for (i = 0; i < r->ne; i++) {
    size_t h = (size_t)r->e[i].h & (size - 1);
    while (tab[h]) h = (h + 1) & (size - 1);
    tab[h] = (uint32_t)(i + 1);
  }
  free(r->tab);
  r->tab = tab;
  r->tsize = size;
  return 1;
}

strrank *strrank_new(size_t n)
{
  strrank *r = calloc(1, sizeof *r);
  uint32_t id;
  if (!r) { errno = ENOMEM; return 0; }
  if (n > (size_t)STRRANK_MAX) n = (size_t)STRRANK_MAX;
  r->ecap = n / 4 + 16;
  if (!(r->e = calloc(r->ecap, sizeof *r->e)) || !grow_table(r, r->ecap) || !strrank_add(r, "", 0, &id)) {
    strrank_free(r);
    errno = ENOMEM;
    return 0;
  }
  return r;
}

int strrank_add(strrank *r, const char *s, size_t n, uint32_t *id)
{
  uint64_t h;
  size_t k, keep = n < STRRANK_KEEP ? n : STRRANK_KEEP;
  entry *x;
  if (!r->tab) { errno = EINVAL; return 0; }      /* already ranked */
  if (n > UINT32_MAX) { errno = ERANGE; return 0; }
  h = strrank_hash(s, n);
  k = (size_t)h & (r->tsize - 1);
  for (; r->tab[k]; k = (k + 1) & (r->tsize - 1)) {
    x = &r->e[r->tab[k] - 1];
    if (x->h == h && x->len == n && (!keep || memcmp(r->text.s + x->off, s, keep) == 0)) {
      *id = r->tab[k] - 1;
      return 1;
    }
  }
  if (r->ne == (size_t)STRRANK_MAX || r->text.len + keep > UINT32_MAX) { errno = ERANGE; return 0; }
  if (r->ne == r->ecap) {
    size_t cap, bytes;
    entry *e;
    if (!size_mul(r->ecap, 2, &cap) || !size_mul(cap, sizeof *e, &bytes)) { errno = ERANGE; return 0; }
    if (!(e = realloc(r->e, bytes))) { errno = ENOMEM; return 0; }
    r->e = e;
    r->ecap = cap;
  }
  x = &r->e[r->ne];
  x->h = h;
  x->len = (uint32_t)n;
  x->off = (uint32_t)r->text.len;
  if (!sa_catb(&r->text, s, keep)) return 0;
  r->tab[k] = (uint32_t)(r->ne + 1);
  *id = (uint32_t)r->ne++;
  if (r->ne * 2 > r->tsize && !grow_table(r, r->ne * 2)) return 0;
  return 1;
}

static const strrank *cmp_r;

static int cmp_entry(const void *a, const void *b)
{
  const entry *x = &cmp_r->e[*(const uint32_t *)a], *y = &cmp_r->e[*(const uint32_t *)b];
  size_t kx = kept(x), ky = kept(y);
  int c = kx && ky ? memcmp(cmp_r->text.s + x->off, cmp_r->text.s + y->off, kx < ky ? kx : ky) : 0;
  if (c) return c;
  if (kx != ky) return kx < ky ? -1 : 1;
  /* equal as far as kept: only long strings get here */
  if (x->len != y->len && (x->len <= STRRANK_KEEP || y->len <= STRRANK_KEEP)) return x->len < y->len ? -1 : 1;
  return x->h < y->h ? -1 : x->h > y->h;
}

int strrank_finish(strrank *r)
{
  uint32_t *ord;
  size_t i;
  free(r->tab);          /* no more adds: room for the sort */
  r->tab = 0;
  r->tsize = 0;
  if (!(ord = calloc(r->ne, sizeof *ord))) { errno = ENOMEM; return 0; }
  for (i = 0; i < r->ne; i++) ord[i] = (uint32_t)i;
  cmp_r = r;
  qsort(ord, r->ne, sizeof *ord, cmp_entry);
  /* each entry's rank in its off field: the text is not needed after this */
  for (i = 0; i < r->ne; i++) r->e[ord[i]].off = (uint32_t)i;
  free(ord);
  sa_free(&r->text);
  return 1;
}

uint32_t strrank_rank(const strrank *r, uint32_t id)
{
  return id < r->ne ? r->e[id].off : 0;
}

void strrank_free(strrank *r)
{
  if (!r) return;
  free(r->e);
  free(r->tab);
  sa_free(&r->text);
  free(r);
}
