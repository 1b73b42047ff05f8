#include "rcpt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "control.h"
#include "instance.h"

int rcpt_policy_load(rcpt_policy *p)
{
  char path[INSTANCE_PATH_MAX];
  size_t i;
  int r;
  p->hosts = (sa)SA_ZERO;
  p->nhosts = 0;
  p->morefd = -1;
  p->dbopen = 0;
  r = control_readlines("rcpthosts", &p->hosts, &p->nhosts);
  if (r < 0) return 0;
  for (i = 0; i < p->hosts.len; i++)
    if (p->hosts.s[i] >= 'A' && p->hosts.s[i] <= 'Z') p->hosts.s[i] = (char)(p->hosts.s[i] + 32);
  if (!instance_path(path, sizeof path, "control/morercpthosts.cdb")) return 0;
  p->morefd = open(path, O_RDONLY | O_CLOEXEC);
  if (p->morefd < 0) {
    if (errno != ENOENT) return 0;
  } else if (cdb_init(&p->more, p->morefd) != 0) {
    close(p->morefd);
    p->morefd = -1;
    errno = EINVAL;
    return 0;
  }
  r = accounts_open(&p->db, NULL);
  if (r < 0) return 0;
  p->dbopen = r == 1;
  return 1;
}

int rcpt_rcpthosts(rcpt_policy *p, const char *d)
{
  size_t dl = strlen(d), i, off = 0;
  for (i = 0; i < p->nhosts; i++) {
    const char *h = p->hosts.s + off;
    size_t hl = strlen(h);
    off += hl + 1;
    if (hl == dl && memcmp(h, d, dl) == 0) return 1;
    /* ".example.com" matches every subdomain of example.com */
    if (h[0] == '.' && dl > hl && memcmp(d + dl - hl, h, hl) == 0) return 1;
  }
  if (p->morefd >= 0 && dl > 0) {
    const char *dot;
    if (cdb_find(&p->more, d, (unsigned)dl) > 0) return 1;
    for (dot = strchr(d, '.'); dot; dot = strchr(dot + 1, '.'))
      if (cdb_find(&p->more, dot, (unsigned)(dl - (size_t)(dot - d))) > 0) return 1;
  }
  return 0;
}

int rcpt_check(rcpt_policy *p, const addr *a, int may_relay, const char **reply)
{
  char dom[ADDR_DOMAIN_MAX + 1], loc[ADDR_LOCAL_MAX + 1];
  static const char *norelay = "553 5.7.1 sorry, that domain isn't in my list of allowed rcpthosts";
  addr_lower(dom, a->domain, a->domain_len);
  addr_lower(loc, a->local, a->local_len);
  /* Relay tricks: an address that some other host could read as another
   * route (user%host@us, host!user@us, "user@host"@us, user@[literal]) is
   * never taken from a client that may not relay. */
  if (!may_relay && (a->literal || a->quoted || strpbrk(loc, "%!@"))) {
    *reply = norelay;
    return 0;
  }
  if (p->dbopen && !a->literal) {
    int local = accounts_is_local_domain(&p->db, dom);
    if (local < 0) { *reply = "451 4.3.0 temporary failure reading the accounts database"; return -1; }
    if (local == 1) {
      int ok = a->quoted ? 0 : accounts_rcpt_ok(&p->db, loc, dom);
      if (ok < 0) { *reply = "451 4.3.0 temporary failure reading the accounts database"; return -1; }
      if (ok == 1) return 1;
      *reply = "550 5.1.1 sorry, no mailbox here by that name";
      return 0;
    }
  }
  if (!a->literal && rcpt_rcpthosts(p, dom)) return 1;
  if (may_relay) return 1;
  *reply = norelay;
  return 0;
}

int rcpt_compile_more(void)
{
  char path[INSTANCE_PATH_MAX], tmp[INSTANCE_PATH_MAX];
  struct cdb_make cm;
  sa lines = SA_ZERO;
  size_t n, i, off = 0;
  int fd, r, started = 0;
  r = control_readlines("morercpthosts", &lines, &n);
  if (r < 0) return 0;
  if (!instance_path(path, sizeof path, "control/morercpthosts.cdb")) return 0;
  if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) { errno = ENAMETOOLONG; return 0; }
  fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return 0;
  cdb_make_start(&cm, fd);
  started = 1;
  for (i = 0; i < n; i++) {
    char *h = lines.s + off;
    size_t hl = strlen(h), k;
    off += hl + 1;
    for (k = 0; k < hl; k++) if (h[k] >= 'A' && h[k] <= 'Z') h[k] = (char)(h[k] + 32);
    if (cdb_make_put(&cm, h, (unsigned)hl, "", 0, CDB_PUT_REPLACE) < 0) goto fail;
  }
  started = 0;
  if (cdb_make_finish(&cm) < 0 || fsync(fd) != 0) goto fail;
  if (close(fd) != 0) { fd = -1; goto fail; }
  fd = -1;
  if (rename(tmp, path) != 0 || !fsync_dir_of(path)) goto fail;
  sa_free(&lines);
  return 1;
fail:
  {
    int e = errno;
    if (started) (void)cdb_make_finish(&cm);  /* frees its tables */
    if (fd >= 0) close(fd);
    unlink(tmp);
    sa_free(&lines);
    errno = e;
  }
  return 0;
}
