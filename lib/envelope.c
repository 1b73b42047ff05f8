#include "envelope.h"

#include <errno.h>
#include <string.h>

int envelope_addr_ok(const char *s, size_t n, int *code)
{
  size_t i;
  if (n > ENV_ADDR_MAX) { *code = ENV_E_TOOLONG; return 0; }
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c == 0x7f) { *code = ENV_E_FORMAT; return 0; }
  }
  return 1;
}

/* One record at buf[*pos]: type byte, address, \0.  Returns ENV_OK and
 * advances *pos past the \0; the address is [*a, *a + *len). */
static int record(const char *buf, size_t n, size_t *pos, char *type, const char **a, size_t *len)
{
  const char *nul;
  size_t p = *pos, alen;
  int code = ENV_OK;
  if (p >= n) return ENV_E_TRUNC;
  *type = buf[p];
  if (*type == 0) { *len = 0; *a = buf + p; *pos = p + 1; return ENV_OK; }
  p++;
  /* Look no further than one byte past the longest address. */
  alen = n - p;
  if (alen > ENV_ADDR_MAX + 1) alen = ENV_ADDR_MAX + 1;
  nul = memchr(buf + p, 0, alen);
  if (!nul) return alen > ENV_ADDR_MAX ? ENV_E_TOOLONG : ENV_E_TRUNC;
  alen = (size_t)(nul - (buf + p));
  if (!envelope_addr_ok(buf + p, alen, &code)) return code;
  *a = buf + p;
  *len = alen;
  *pos = p + alen + 1;
  return ENV_OK;
}

static int parse_wire(const char *buf, size_t n, size_t start, envelope_view *e)
{
  size_t pos = start;
  const char *a;
  size_t len;
  char type;
  int r;

  r = record(buf, n, &pos, &type, &a, &len);
  if (r != ENV_OK) return r;
  if (type != 'F') return ENV_E_FORMAT;
  e->sender = a;
  e->sender_len = len;
  e->rcpts = buf + pos;
  e->nrcpt = 0;
  for (;;) {
    size_t before = pos;
    r = record(buf, n, &pos, &type, &a, &len);
    if (r != ENV_OK) return r;
    if (type == 0) { e->rcpts_len = before - (size_t)(e->rcpts - buf); break; }
    if (type != 'T') return ENV_E_FORMAT;
    if (len == 0) return ENV_E_FORMAT;
    if (e->nrcpt == ENV_RCPT_MAX) return ENV_E_TOOMANY;
    e->nrcpt++;
  }
  if (e->nrcpt == 0) return ENV_E_NORCPT;
  if (pos != n) return ENV_E_TRAILING;
  e->wire_len = pos - start;
  return ENV_OK;
}

int envelope_parse(const char *buf, size_t n, envelope_view *e)
{
  memset(e, 0, sizeof *e);
  return parse_wire(buf, n, 0, e);
}

/* A u or p line: the letter, 1..ENV_ID_MAX digits without a leading zero
 * (except "0" itself), \0. */
static int id_line(const char *buf, size_t n, size_t *pos, char letter, unsigned long long *v)
{
  size_t p = *pos, digits = 0;
  unsigned long long x = 0;
  if (p >= n || buf[p] != letter) return 0;
  p++;
  while (p < n && buf[p] >= '0' && buf[p] <= '9') {
    unsigned d = (unsigned)(buf[p] - '0');
    if (digits == 1 && x == 0) return 0;
    if (__builtin_mul_overflow(x, 10ULL, &x) || __builtin_add_overflow(x, d, &x)) return 0;
    digits++;
    p++;
  }
  if (digits == 0 || digits > ENV_ID_MAX || p >= n || buf[p] != 0) return 0;
  *v = x;
  *pos = p + 1;
  return 1;
}

int envelope_parse_file(const char *buf, size_t n, envelope_view *e)
{
  size_t pos = 0;
  memset(e, 0, sizeof *e);
  if (!id_line(buf, n, &pos, 'u', &e->uid)) return ENV_E_ID;
  if (!id_line(buf, n, &pos, 'p', &e->pid)) return ENV_E_ID;
  return parse_wire(buf, n, pos, e);
}

int envelope_rcpt_next(const envelope_view *e, size_t *pos, const char **addr, size_t *len)
{
  const char *p, *nul;
  if (*pos >= e->rcpts_len) return 0;
  p = e->rcpts + *pos;   /* at 'T' */
  nul = memchr(p + 1, 0, e->rcpts_len - *pos - 1);
  if (!nul) return 0;    /* cannot happen for a parsed envelope */
  *addr = p + 1;
  *len = (size_t)(nul - (p + 1));
  *pos += *len + 2;
  return 1;
}

const char *envelope_strerror(int code)
{
  switch (code) {
  case ENV_OK: return "ok";
  case ENV_E_FORMAT: return "envelope format error";
  case ENV_E_TOOLONG: return "address too long";
  case ENV_E_TOOMANY: return "too many recipients";
  case ENV_E_NORCPT: return "no recipients";
  case ENV_E_TRUNC: return "envelope truncated";
  case ENV_E_TRAILING: return "bytes after the end of the envelope";
  case ENV_E_ID: return "bad uid or pid line";
  }
  return "unknown envelope error";
}

static int put(sa *out, char type, const char *s, size_t n)
{
  int code;
  if (!envelope_addr_ok(s, n, &code)) { errno = EINVAL; return 0; }
  return sa_catc(out, type) && sa_catb(out, s, n) && sa_catc(out, 0);
}

int envelope_put_sender(sa *out, const char *s, size_t n) { return put(out, 'F', s, n); }

int envelope_put_rcpt(sa *out, const char *s, size_t n)
{
  if (n == 0) { errno = EINVAL; return 0; }
  return put(out, 'T', s, n);
}

int envelope_put_end(sa *out) { return sa_catc(out, 0); }

int envelope_put_ids(sa *out, unsigned long long uid, unsigned long long pid)
{
  return sa_catc(out, 'u') && sa_catu(out, uid) && sa_catc(out, 0) &&
         sa_catc(out, 'p') && sa_catu(out, pid) && sa_catc(out, 0);
}
