/* Simple case folding (utf8fold.h): the mappings of Unicode's CaseFolding.txt
 * with status C and S for the scripts listed there, as ranges and rules. */
#include "utf8fold.h"

unsigned utf8_fold_cp(unsigned cp)
{
  if (cp < 0x80) return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
  if (cp < 0x100) {
    if (cp == 0xb5) return 0x3bc;                          /* micro sign */
    if (cp >= 0xc0 && cp <= 0xde && cp != 0xd7) return cp + 32;
    return cp;
  }
  if (cp < 0x180) {
    if ((cp >= 0x100 && cp <= 0x12f) || (cp >= 0x132 && cp <= 0x137) || (cp >= 0x14a && cp <= 0x177))
      return cp | 1;
    if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17e)) return cp & 1 ? cp + 1 : cp;
    if (cp == 0x178) return 0xff;
    if (cp == 0x17f) return 's';
    return cp;
  }
  if (cp >= 0x370 && cp < 0x400) {
    if (cp == 0x386) return 0x3ac;
    if (cp >= 0x388 && cp <= 0x38a) return cp + 37;
    if (cp == 0x38c) return 0x3cc;
    if (cp == 0x38e || cp == 0x38f) return cp + 63;
    if (cp >= 0x391 && cp <= 0x3ab && cp != 0x3a2) return cp + 32;
    if (cp == 0x3c2) return 0x3c3;                         /* final sigma */
    return cp;
  }
  if (cp >= 0x400 && cp < 0x530) {
    if (cp < 0x410) return cp + 80;
    if (cp < 0x430) return cp + 32;
    if ((cp >= 0x460 && cp <= 0x481) || (cp >= 0x48a && cp <= 0x4bf) || (cp >= 0x4d0 && cp <= 0x52f))
      return cp | 1;
    if (cp == 0x4c0) return 0x4cf;
    if (cp >= 0x4c1 && cp <= 0x4ce) return cp & 1 ? cp + 1 : cp;
    return cp;
  }
  if (cp >= 0x531 && cp <= 0x556) return cp + 48;
  if ((cp >= 0x1e00 && cp <= 0x1e95) || (cp >= 0x1ea0 && cp <= 0x1eff)) return cp | 1;
  if (cp == 0x1e9e) return 0xdf;
  if (cp >= 0xff21 && cp <= 0xff3a) return cp + 32;
  return cp;
}

int utf8_fold(const char *s, size_t n, sa *out)
{
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0;
  if (!sa_ready(out, out->len + n)) return 0;
  while (i < n) {
    unsigned c = u[i], cp, f;
    size_t len = 0, k;
    char b[4];
    if (c < 0x80) {
      if (!sa_catc(out, (char)(c >= 'A' && c <= 'Z' ? c + 32 : c))) return 0;
      i++;
      continue;
    }
    if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0f; }
    else { len = 0; cp = 0; }     /* 4-octet characters have no folding here */
    if (!len || i + len > n) { if (!sa_catc(out, (char)c)) return 0; i++; continue; }
    for (k = 1; k < len; k++) {
      if ((u[i + k] & 0xc0) != 0x80) break;
      cp = cp << 6 | (u[i + k] & 0x3f);
    }
    if (k < len) { if (!sa_catc(out, (char)c)) return 0; i++; continue; }
    f = utf8_fold_cp(cp);
    if (f == cp) { if (!sa_catb(out, s + i, len)) return 0; i += len; continue; }
    if (f < 0x80) { b[0] = (char)f; k = 1; }
    else if (f < 0x800) { b[0] = (char)(0xc0 | f >> 6); b[1] = (char)(0x80 | (f & 0x3f)); k = 2; }
    else { b[0] = (char)(0xe0 | f >> 12); b[1] = (char)(0x80 | ((f >> 6) & 0x3f)); b[2] = (char)(0x80 | (f & 0x3f)); k = 3; }
    if (!sa_catb(out, b, k)) return 0;
    i += len;
  }
  return 1;
}
