#include "route.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

/* Finds the value of the line "key:value" best matching name: the exact key,
 * then ".suffix" keys from the closest parent up, then the empty key.
 * Returns the value (NUL-terminated, inside lines) or NULL. */
static const char *match(const char *lines, size_t count, const char *name)
{
  const char *p, *exact = 0, *dflt = 0, *best = 0;
  size_t best_len = 0, i, nl = strlen(name);

  for (p = lines, i = 0; i < count; i++, p += strlen(p) + 1) {
    const char *colon = strchr(p, ':');
    size_t kl;
    if (!colon) continue;
    kl = (size_t)(colon - p);
    if (kl == 0) { if (!dflt) dflt = colon + 1; continue; }
    if (kl == nl && strncasecmp(p, name, nl) == 0) { if (!exact) exact = colon + 1; continue; }
    if (p[0] == '.' && kl < nl + 1 && kl > best_len && strncasecmp(p, name + nl - kl, kl) == 0) {
      best = colon + 1;
      best_len = kl;
    }
  }
  if (exact) return exact;
  if (best) return best;
  return dflt;
}

int route_parse_host(const char *s, size_t n, route *out)
{
  size_t hl, i;
  const char *port = 0;
  size_t portlen = 0;

  memset(out, 0, sizeof *out);
  if (n && s[0] == '[') {
    const char *close = memchr(s, ']', n);
    if (!close) goto bad;
    hl = (size_t)(close - s) - 1;
    if (hl == 0 || hl > ROUTE_HOST_MAX) goto bad;
    memcpy(out->host, s + 1, hl);
    out->literal = 1;
    i = (size_t)(close - s) + 1;
    if (i < n) {
      if (s[i] != ':') goto bad;
      port = s + i + 1;
      portlen = n - i - 1;
    }
    for (size_t k = 0; k < hl; k++) {
      char c = out->host[k];
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' || c == ':')) goto bad;
    }
  } else {
    const char *colon = memchr(s, ':', n);
    hl = colon ? (size_t)(colon - s) : n;
    if (hl > ROUTE_HOST_MAX) goto bad;
    for (i = 0; i < hl; i++) {
      char c = s[i];
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '-' || c == '_'))
        goto bad;
    }
    memcpy(out->host, s, hl);
    if (colon) { port = colon + 1; portlen = n - hl - 1; }
  }
  if (port) {
    unsigned long v = 0;
    if (portlen == 0 || portlen > 5) goto bad;
    for (i = 0; i < portlen; i++) {
      if (port[i] < '0' || port[i] > '9') goto bad;
      v = v * 10 + (unsigned long)(port[i] - '0');
    }
    if (v == 0 || v > 65535) goto bad;
    out->port = (unsigned)v;
  }
  return 1;
bad:
  memset(out, 0, sizeof *out);
  errno = EINVAL;
  return 0;
}

int route_find(const char *lines, size_t count, const char *domain, route *out)
{
  const char *v = match(lines, count, domain);
  memset(out, 0, sizeof *out);
  if (!v) return 0;
  if (!route_parse_host(v, strlen(v), out)) return -1;
  return 1;
}

/* Next whitespace-separated field of p: start in *f, length returned. */
static size_t field(const char **p, const char **f)
{
  const char *s = *p;
  size_t n = 0;
  while (*s == ' ' || *s == '\t') s++;
  *f = s;
  while (s[n] && s[n] != ' ' && s[n] != '\t') n++;
  *p = s + n;
  return n;
}

int relayauth_find(const char *lines, size_t count, const char *host,
                   char user[RELAY_USER_MAX + 1], char pass[RELAY_PASS_MAX + 1], int *allowplain)
{
  const char *p = lines;
  size_t i;
  for (i = 0; i < count; i++, p += strlen(p) + 1) {
    const char *q = p, *h, *u, *pw, *opt, *extra;
    size_t hl = field(&q, &h), ul, pl, ol;
    if (hl != strlen(host) || strncasecmp(h, host, hl) != 0) continue;
    ul = field(&q, &u);
    pl = field(&q, &pw);
    ol = field(&q, &opt);
    if (ul == 0 || pl == 0 || ul > RELAY_USER_MAX || pl > RELAY_PASS_MAX) { errno = EINVAL; return -1; }
    if (ol && !(ol == 10 && memcmp(opt, "allowplain", 10) == 0)) { errno = EINVAL; return -1; }
    if (field(&q, &extra)) { errno = EINVAL; return -1; }
    memcpy(user, u, ul); user[ul] = 0;
    memcpy(pass, pw, pl); pass[pl] = 0;
    *allowplain = ol != 0;
    return 1;
  }
  return 0;
}

static int policy_of(const char *v)
{
  if (strcasecmp(v, "none") == 0) return TLS_NONE;
  if (strcasecmp(v, "may") == 0) return TLS_MAY;
  if (strcasecmp(v, "verify") == 0) return TLS_VERIFY;
  errno = EINVAL;
  return -1;
}

int tlspolicy_find(const char *lines, size_t count, const char *domain, const char *host)
{
  const char *p = lines, *v = 0;
  size_t i, nl = strlen(domain);
  /* An exact or parent match on the domain wins over the host; the default
   * line applies only when neither matches. */
  for (i = 0; i < count; i++, p += strlen(p) + 1) {
    const char *colon = strchr(p, ':');
    size_t kl;
    if (!colon) continue;
    kl = (size_t)(colon - p);
    if (kl && ((kl == nl && strncasecmp(p, domain, nl) == 0)
               || (p[0] == '.' && kl < nl + 1 && strncasecmp(p, domain + nl - kl, kl) == 0))) {
      v = match(lines, count, domain);
      break;
    }
  }
  if (!v && host && *host) {
    const char *hv = match(lines, count, host);
    v = hv;
  } else if (!v) {
    v = match(lines, count, domain);
  }
  if (!v) return TLS_MAY;
  return policy_of(v);
}
