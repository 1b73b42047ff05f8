#include "pwcheck.h"

#include <bearssl.h>
#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "instance.h"
#include "pwhash.h"

#define SECRET_MAX 256

/* Looks up type+address in passwd.cdb.  1 found (value in out), 0 not, -1 error. */
static int lookup(char type, const char *address, char *out, size_t n)
{
  char path[INSTANCE_PATH_MAX], key[ADDR_MAX + 2];
  struct cdb c;
  size_t al = strlen(address);
  unsigned vl;
  int fd, r;
  if (al + 1 >= sizeof key) return 0;
  if (!instance_path(path, sizeof path, "accounts/passwd.cdb")) return -1;
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 0 : -1;
  if (cdb_init(&c, fd) != 0) { close(fd); return -1; }
  key[0] = type;
  memcpy(key + 1, address, al);
  r = cdb_find(&c, key, (unsigned)(al + 1));
  if (r > 0) {
    vl = cdb_datalen(&c);
    if (vl + 1 > n || cdb_read(&c, out, vl, cdb_datapos(&c)) != 0) r = -1;
    else { out[vl] = 0; r = 1; }
  } else if (r < 0) {
    r = -1;
  }
  cdb_free(&c);
  close(fd);
  return r;
}

static int canonical(const char *address, char *canon, size_t n)
{
  size_t l = strlen(address);
  addr a;
  if (l == 0 || l >= n || l > ADDR_MAX) return 0;
  if (!addr_parse_mailbox(address, l, ADDR_NO_LITERAL, &a, 0)) return 0;
  addr_lower(canon, address, l);
  return 1;
}

int pwcheck_plain(const char *address, const char *password, size_t plen, char *canon, size_t n)
{
  char hash[crypto_pwhash_STRBYTES + 1];
  char pw[1025];
  int r, ok;
  if (sodium_init() < 0) return PWCHECK_TEMP;
  if (plen == 0 || plen >= sizeof pw) return PWCHECK_BAD;
  memcpy(pw, password, plen);
  pw[plen] = 0;
  if (memchr(password, 0, plen)) { sodium_memzero(pw, sizeof pw); return PWCHECK_BAD; }
  r = canonical(address, canon, n) ? lookup('P', canon, hash, sizeof hash) : 0;
  if (r < 0) { sodium_memzero(pw, sizeof pw); return PWCHECK_TEMP; }
  if (r == 0) {
    if (crypto_pwhash_str_verify(pwhash_dummy, pw, plen) == 0) { /* cannot happen */ }
    sodium_memzero(pw, sizeof pw);
    return PWCHECK_BAD;
  }
  ok = crypto_pwhash_str_verify(hash, pw, plen) == 0;
  if (ok && pwhash_stale(hash)) ok = 2;
  sodium_memzero(pw, sizeof pw);
  sodium_memzero(hash, sizeof hash);
  return ok == 2 ? PWCHECK_OK_STALE : ok ? PWCHECK_OK : PWCHECK_BAD;
}

static int unhex(const char *s, unsigned char *out, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++) {
    int v = 0, k;
    for (k = 0; k < 2; k++) {
      char c = s[2 * i + k];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= c - '0';
      else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
      else return 0;
    }
    out[i] = (unsigned char)v;
  }
  return s[2 * n] == 0;
}

int pwcheck_cram(const char *address, const char *challenge, size_t clen, const char *response_hex,
                 char *canon, size_t n)
{
  char secret[SECRET_MAX + 1];
  unsigned char want[16], got[16];
  br_hmac_key_context kc;
  br_hmac_context hc;
  int r, ok;
  if (strlen(response_hex) != 32 || !unhex(response_hex, got, sizeof got)) return PWCHECK_BAD;
  r = canonical(address, canon, n) ? lookup('C', canon, secret, sizeof secret) : 0;
  if (r < 0) return PWCHECK_TEMP;
  if (r == 0) return PWCHECK_BAD;
  br_hmac_key_init(&kc, &br_md5_vtable, secret, strlen(secret));
  br_hmac_init(&hc, &kc, 0);
  br_hmac_update(&hc, challenge, clen);
  br_hmac_out(&hc, want);
  ok = sodium_memcmp(want, got, sizeof want) == 0;
  sodium_memzero(secret, sizeof secret);
  sodium_memzero(&kc, sizeof kc);
  sodium_memzero(&hc, sizeof hc);
  sodium_memzero(want, sizeof want);
  return ok ? PWCHECK_OK : PWCHECK_BAD;
}
