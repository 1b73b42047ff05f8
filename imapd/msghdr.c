/* Header fields, sizes and dates of messages in the selected mailbox
 * (msghdr.h): from the folder's cache (cache.h) when it has the message and
 * the field, else from the message file (which fills the cache). */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cache.h"
#include "header.h"
#include "imapd.h"
#include "msghdr.h"

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* value unfolded and trimmed into out (replaced); 1, or -1 (errno) */
static int unfold(const char *v, size_t n, sa *out)
{
  size_t k, o = 0;
  out->len = 0;
  if (!sa_ready(out, n + 1)) return -1;
  for (k = 0; k < n; k++) {
    char c = v[k];
    if (c == '\r' || c == '\n') continue;
    if (o == 0 && is_ws(c)) continue;
    out->s[o++] = c;
  }
  while (o && is_ws(out->s[o - 1])) o--;
  out->len = o;
  return 1;
}

static int cached_field(const char *name)
{
  int k;
  for (k = 0; k < CACHE_FIELDS; k++)
    if (strcasecmp(name, cache_field_names[k]) == 0) return k;
  return -1;
}

int msghdr_get(mbox *mb, size_t i, const char *name, sa *out)
{
  const char *buf;
  size_t len, hl, pos = 0;
  hdr_field f;
  int sep, k = cached_field(name);
  cache_entry e;
  out->len = 0;
  if (k >= 0 && cache_get(mb, i, &e)) {
    if (!e.field[k]) return 0;
    return unfold(e.field[k], e.flen[k], out);
  }
  if (!fetch_load(mb, i, &buf, &len, &hl)) return -1;
  while (hdr_next(buf, hl, &pos, &f, &sep))
    if (hdr_is(&f, name)) return unfold(f.value, f.value_len, out);
  return 0;
}

long long msghdr_size(mbox *mb, size_t i)
{
  const char *buf;
  size_t len, hl;
  cache_entry e;
  if (cache_get(mb, i, &e)) return (long long)e.size;
  if (!fetch_load(mb, i, &buf, &len, &hl)) return -1;
  return (long long)len;
}

time_t msghdr_internaldate(mbox *mb, size_t i)
{
  char path[MBOX_PATH_MAX];
  struct stat st;
  cache_entry e;
  if (cache_get(mb, i, &e)) return (time_t)e.mtime;
  if (!mbox_path(mb, i, path, sizeof path)) { errno = ENAMETOOLONG; return (time_t)-1; }
  if (stat(path, &st) < 0 &&
      (errno != ENOENT || !mbox_relocate(mb, i) || !mbox_path(mb, i, path, sizeof path) || stat(path, &st) < 0))
    return (time_t)-1;   /* (ENOENT first: renamed by another session) */
  return st.st_mtime;
}
