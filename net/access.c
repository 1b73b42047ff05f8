#include "access.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "sa.h"

static int to_bytes(const char *ip, unsigned char *b, int *fam)
{
  struct in6_addr a6;
  if (inet_pton(AF_INET, ip, b) == 1) { *fam = 4; return 1; }
  if (inet_pton(AF_INET6, ip, &a6) == 1) {
    static const unsigned char mapped[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff };
    if (memcmp(a6.s6_addr, mapped, 12) == 0) { memcpy(b, a6.s6_addr + 12, 4); *fam = 4; return 1; }
    memcpy(b, a6.s6_addr, 16);
    *fam = 6;
    return 1;
  }
  return 0;
}

static void make_key(access_key *key, int fam, unsigned plen, const unsigned char *b)
{
  size_t bytes = fam == 4 ? 4 : 16, i;
  key->k[0] = (unsigned char)fam;
  key->k[1] = (unsigned char)plen;
  for (i = 0; i < bytes; i++) {
    unsigned bits = plen > i * 8 ? plen - (unsigned)i * 8 : 0;
    unsigned char mask = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));
    key->k[2 + i] = b[i] & mask;
  }
  key->len = 2 + bytes;
}

int access_parse_net(const char *s, size_t n, access_key *key)
{
  char buf[64];
  unsigned char b[16];
  const char *slash = memchr(s, '/', n);
  size_t al = slash ? (size_t)(slash - s) : n;
  unsigned plen = 0, max;
  int fam;
  if (al == 0 || al >= sizeof buf) return 0;
  memcpy(buf, s, al);
  buf[al] = 0;
  if (!to_bytes(buf, b, &fam)) return 0;
  /* an IPv4-mapped rule is an IPv4 rule; its prefix counts from bit 96 */
  max = fam == 4 ? 32 : 128;
  if (slash) {
    size_t i;
    if (n - al < 2 || n - al > 4) return 0;
    for (i = al + 1; i < n; i++) {
      if (s[i] < '0' || s[i] > '9') return 0;
      plen = plen * 10 + (unsigned)(s[i] - '0');
    }
    if (fam == 4 && strchr(buf, ':')) { if (plen < 96) return 0; plen -= 96; }
    if (plen > max) return 0;
  } else {
    plen = max;
  }
  make_key(key, fam, plen, b);
  return 1;
}

static int var_ok(const char *s, size_t n)
{
  const char *eq = memchr(s, '=', n);
  size_t i;
  if (!eq || eq == s) return 0;
  for (i = 0; i < (size_t)(eq - s); i++) {
    char c = s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || (c >= '0' && c <= '9' && i > 0))) return 0;
  }
  for (i = 0; i < n; i++) if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126) return 0;
  return 1;
}

int access_parse_line(const char *s, size_t n, access_key *key, char *val, size_t *vallen)
{
  size_t i = 0, j;
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) n--;
  while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
  if (i == n || s[i] == '#') return 0;
  j = i;
  while (j < n && s[j] != ' ' && s[j] != '\t') j++;
  if (!access_parse_net(s + i, j - i, key)) return -1;
  while (j < n && (s[j] == ' ' || s[j] == '\t')) j++;
  i = j;
  while (j < n && s[j] != ' ' && s[j] != '\t') j++;
  if (j - i == 4 && memcmp(s + i, "deny", 4) == 0) {
    while (j < n && (s[j] == ' ' || s[j] == '\t')) j++;
    if (j != n) return -1;
    val[0] = 'D';
    *vallen = 1;
    return 1;
  }
  if (!(j - i == 5 && memcmp(s + i, "allow", 5) == 0)) return -1;
  val[0] = 'A';
  *vallen = 1;
  for (;;) {
    while (j < n && (s[j] == ' ' || s[j] == '\t')) j++;
    if (j == n) break;
    i = j;
    while (j < n && s[j] != ' ' && s[j] != '\t') j++;
    if (!var_ok(s + i, j - i) || *vallen + (j - i) + 1 > ACCESS_VALUE_MAX) return -1;
    memcpy(val + *vallen, s + i, j - i);
    *vallen += j - i;
    val[(*vallen)++] = 0;
  }
  return 1;
}

int access_compile(const char *src, const char *dst, size_t *badline)
{
  char tmp[4096], val[ACCESS_VALUE_MAX];
  struct cdb_make cm;
  sa text = SA_ZERO;
  size_t off = 0, line = 0;
  int in, fd = -1, started = 0;
  *badline = 0;
  text.cap = (size_t)4 << 20;
  in = open(src, O_RDONLY | O_CLOEXEC);
  if (in < 0) return 0;
  for (;;) {
    ssize_t r;
    if (!sa_ready(&text, text.len + 65536)) { close(in); sa_free(&text); return 0; }
    r = read(in, text.s + text.len, 65536);
    if (r < 0) { if (errno == EINTR) continue; close(in); sa_free(&text); return 0; }
    if (r == 0) break;
    text.len += (size_t)r;
  }
  close(in);
  if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", dst) >= sizeof tmp) { errno = ENAMETOOLONG; goto fail; }
  fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) goto fail;
  cdb_make_start(&cm, fd);
  started = 1;
  while (off < text.len) {
    const char *nl = memchr(text.s + off, '\n', text.len - off);
    size_t ll = nl ? (size_t)(nl - (text.s + off)) : text.len - off, vl;
    access_key key;
    int r;
    line++;
    if (ll > ACCESS_LINE_MAX) { *badline = line; errno = EINVAL; goto fail; }
    r = access_parse_line(text.s + off, ll, &key, val, &vl);
    if (r < 0) { *badline = line; errno = EINVAL; goto fail; }
    if (r == 1 && cdb_make_put(&cm, (char *)key.k, (unsigned)key.len, val, (unsigned)vl, CDB_PUT_REPLACE) < 0)
      goto fail;
    off += ll + 1;
  }
  started = 0;
  if (cdb_make_finish(&cm) < 0 || fsync(fd) != 0) goto fail;
  if (close(fd) != 0) { fd = -1; goto fail; }
  fd = -1;
  if (rename(tmp, dst) != 0 || !fsync_dir_of(dst)) goto fail;
  sa_free(&text);
  return 1;
fail:
  {
    int e = errno;
    if (started) (void)cdb_make_finish(&cm);  /* frees its tables */
    if (fd >= 0) { close(fd); unlink(tmp); }
    sa_free(&text);
    errno = e;
  }
  return 0;
}

int access_lookup(struct cdb *c, const char *ip, char *val, size_t *vallen)
{
  unsigned char b[16];
  int fam, plen;
  *vallen = 0;
  if (!to_bytes(ip, b, &fam)) return 1;   /* not an IP: no rule can match */
  for (plen = fam == 4 ? 32 : 128; plen >= 0; plen--) {
    access_key key;
    int r;
    make_key(&key, fam, (unsigned)plen, b);
    r = cdb_find(c, key.k, (unsigned)key.len);
    if (r < 0) return -1;
    if (r > 0) {
      unsigned vl = cdb_datalen(c);
      if (vl == 0 || vl > ACCESS_VALUE_MAX) return -1;
      if (cdb_read(c, val, vl, cdb_datapos(c)) < 0) return -1;
      if (val[0] == 'D') return 0;
      *vallen = vl - 1;
      memmove(val, val + 1, vl - 1);
      return 1;
    }
  }
  return 1;
}
