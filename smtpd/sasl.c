#include "sasl.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "uniq.h"

long sasl_b64_decode(const char *s, size_t n, unsigned char *out, size_t outmax)
{
  size_t bin_len = 0;
  const char *end = 0;
  if (n == 1 && s[0] == '=') return 0;
  if (n == 0 || n % 4 != 0) return -1;
  if (sodium_base642bin(out, outmax, s, n, 0, &bin_len, &end, sodium_base64_VARIANT_ORIGINAL) != 0) return -1;
  if (end != s + n) return -1;
  return (long)bin_len;
}

long sasl_b64_encode(const unsigned char *in, size_t n, char *out, size_t outmax)
{
  size_t need = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
  if (need > outmax) return -1;
  sodium_bin2base64(out, outmax, in, n, sodium_base64_VARIANT_ORIGINAL);
  return (long)strlen(out);
}

static int printable_name(const char *s, size_t n)
{
  size_t i;
  if (n == 0) return 0;
  for (i = 0; i < n; i++) if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f) return 0;
  return 1;
}

int sasl_plain(const char *b64, size_t n, sasl_creds *c)
{
  unsigned char buf[SASL_USER_MAX * 2 + SASL_PASS_MAX + 3];
  long len = sasl_b64_decode(b64, n, buf, sizeof buf);
  unsigned char *nul1, *nul2;
  size_t azl, ul, pl;
  memset(c, 0, sizeof *c);
  if (len < 3) { sodium_memzero(buf, sizeof buf); return 0; }
  nul1 = memchr(buf, 0, (size_t)len);
  if (!nul1) goto bad;
  nul2 = memchr(nul1 + 1, 0, (size_t)(buf + len - nul1 - 1));
  if (!nul2) goto bad;
  azl = (size_t)(nul1 - buf);
  ul = (size_t)(nul2 - nul1 - 1);
  pl = (size_t)(buf + len - nul2 - 1);
  if (ul > SASL_USER_MAX || pl == 0 || pl > SASL_PASS_MAX) goto bad;
  if (!printable_name((char *)nul1 + 1, ul)) goto bad;
  if (memchr(nul2 + 1, 0, pl)) goto bad;
  if (azl && (azl != ul || memcmp(buf, nul1 + 1, ul) != 0)) goto bad;
  memcpy(c->user, nul1 + 1, ul);
  memcpy(c->pass, nul2 + 1, pl);
  c->pass_len = pl;
  sodium_memzero(buf, sizeof buf);
  return 1;
bad:
  sodium_memzero(buf, sizeof buf);
  sasl_wipe(c);
  return 0;
}

int sasl_login_user(const char *b64, size_t n, sasl_creds *c)
{
  unsigned char buf[SASL_USER_MAX + 1];
  long len = sasl_b64_decode(b64, n, buf, sizeof buf);
  if (len <= 0 || len > SASL_USER_MAX || !printable_name((char *)buf, (size_t)len)) return 0;
  memcpy(c->user, buf, (size_t)len);
  c->user[len] = 0;
  return 1;
}

int sasl_login_pass(const char *b64, size_t n, sasl_creds *c)
{
  unsigned char buf[SASL_PASS_MAX + 1];
  long len = sasl_b64_decode(b64, n, buf, sizeof buf);
  int ok = len > 0 && len <= SASL_PASS_MAX && !memchr(buf, 0, (size_t)len);
  if (ok) {
    memcpy(c->pass, buf, (size_t)len);
    c->pass[len] = 0;
    c->pass_len = (size_t)len;
  }
  sodium_memzero(buf, sizeof buf);
  return ok;
}

int sasl_cram(const char *b64, size_t n, sasl_creds *c)
{
  unsigned char buf[SASL_USER_MAX + 40];
  long len = sasl_b64_decode(b64, n, buf, sizeof buf);
  unsigned char *sp;
  size_t ul, i;
  memset(c, 0, sizeof *c);
  if (len < 34) return 0;
  sp = buf + len - 33;
  if (*sp != ' ') return 0;
  ul = (size_t)(sp - buf);
  if (ul == 0 || ul > SASL_USER_MAX || !printable_name((char *)buf, ul)) return 0;
  for (i = 0; i < 32; i++) {
    unsigned char h = sp[1 + i];
    if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F'))) return 0;
  }
  memcpy(c->user, buf, ul);
  memcpy(c->pass, sp + 1, 32);
  c->pass_len = 32;
  return 1;
}

void sasl_cram_challenge(const char *me, char *out, size_t n)
{
  char r[17];
  uniq_hex(r, 16);
  snprintf(out, n, "<%s.%lld@%s>", r, (long long)time(0), me);
}

void sasl_wipe(sasl_creds *c) { sodium_memzero(c, sizeof *c); }
