/* Header fields, sizes and dates of messages in the selected mailbox
 * (msghdr.h), read from the message files. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "header.h"
#include "imapd.h"
#include "msghdr.h"

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

int msghdr_get(mbox *mb, size_t i, const char *name, sa *out)
{
  const char *buf;
  size_t len, hl, pos = 0, k;
  hdr_field f;
  int sep;
  out->len = 0;
  if (!fetch_load(mb, i, &buf, &len, &hl)) return -1;
  while (hdr_next(buf, hl, &pos, &f, &sep)) {
    if (!hdr_is(&f, name)) continue;
    for (k = 0; k < f.value_len; k++) {
      char c = f.value[k];
      if (c == '\r' || c == '\n') continue;
      if (out->len == 0 && is_ws(c)) continue;
      if (!sa_catc(out, c)) return -1;
    }
    while (out->len && is_ws(out->s[out->len - 1])) out->len--;
    return 1;
  }
  return 0;
}

long long msghdr_size(mbox *mb, size_t i)
{
  const char *buf;
  size_t len, hl;
  if (!fetch_load(mb, i, &buf, &len, &hl)) return -1;
  return (long long)len;
}

time_t msghdr_internaldate(mbox *mb, size_t i)
{
  char path[MBOX_PATH_MAX];
  struct stat st;
  if (!mbox_path(mb, i, path, sizeof path)) { errno = ENAMETOOLONG; return (time_t)-1; }
  if (stat(path, &st) < 0) return (time_t)-1;
  return st.st_mtime;
}
