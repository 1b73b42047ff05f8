/* Content-Transfer-Encoding decoding (cte.h). */
#include <strings.h>

#include "cte.h"

int cte_hexval(char c)
{
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

int cte_b64val(char c)
{
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

static int base64(const char *s, size_t n, sa *out)
{
  unsigned acc = 0;
  int bits = 0, v;
  size_t i;
  if (!sa_ready(out, out->len + n / 4 * 3 + 3)) return 0;
  for (i = 0; i < n; i++) {
    if (s[i] == '=') break;
    if ((v = cte_b64val(s[i])) < 0) continue;
    acc = (acc << 6 | (unsigned)v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (!sa_catc(out, (char)(acc >> bits))) return 0;
    }
  }
  return 1;
}

static int qp(const char *s, size_t n, sa *out)
{
  size_t i = 0, k;
  if (!sa_ready(out, out->len + n)) return 0;
  while (i < n) {
    if (s[i] != '=') { if (!sa_catc(out, s[i])) return 0; i++; continue; }
    if (i + 2 < n && cte_hexval(s[i + 1]) >= 0 && cte_hexval(s[i + 2]) >= 0) {
      if (!sa_catc(out, (char)(cte_hexval(s[i + 1]) << 4 | cte_hexval(s[i + 2])))) return 0;
      i += 3;
      continue;
    }
    /* a soft line break: "=", optional white space, then CRLF or LF */
    k = i + 1;
    while (k < n && (s[k] == ' ' || s[k] == '\t')) k++;
    if (k < n && s[k] == '\r') k++;
    if (k < n && s[k] == '\n') { i = k + 1; continue; }
    if (k == n) break;
    if (!sa_catc(out, '=')) return 0;
    i++;
  }
  return 1;
}

int cte_decode(const char *enc, size_t elen, const char *s, size_t n, sa *out)
{
  if (elen == 6 && strncasecmp(enc, "base64", 6) == 0) return base64(s, n, out);
  if (elen == 16 && strncasecmp(enc, "quoted-printable", 16) == 0) return qp(s, n, out);
  return sa_catb(out, s, n);
}
