#include "deliver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "dns.h"
#include "log.h"
#include "tlsclient.h"

#define TARGETS_MAX DNS_MX_MAX

typedef struct target {
  char name[HOST_NAME_MAX_ + 1];  /* as reported: host name or "[ip]" */
  char lookup[DNS_NAME_MAX + 1];  /* what to resolve, or the bare ip */
  unsigned port;
  int literal;
  int relay;                      /* from smtproutes: relayauth applies */
} target;

static int literal_addr(const char *ip, unsigned port, dns_addr *a)
{
  struct sockaddr_in *s4 = (struct sockaddr_in *)&a->sa;
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->sa;
  const char *p = ip;
  memset(a, 0, sizeof *a);
  if (strncasecmp(p, "IPv6:", 5) == 0) p += 5;
  if (inet_pton(AF_INET, p, &s4->sin_addr) == 1) {
    s4->sin_family = AF_INET; s4->sin_port = htons((uint16_t)port); a->len = sizeof *s4; return 1;
  }
  if (inet_pton(AF_INET6, p, &s6->sin6_addr) == 1) {
    s6->sin6_family = AF_INET6; s6->sin6_port = htons((uint16_t)port); a->len = sizeof *s6; return 1;
  }
  return 0;
}

static void set_port(dns_addr *a, unsigned port)
{
  if (a->sa.ss_family == AF_INET) ((struct sockaddr_in *)&a->sa)->sin_port = htons((uint16_t)port);
  else ((struct sockaddr_in6 *)&a->sa)->sin6_port = htons((uint16_t)port);
}

static void fail_all(delivery *d, int kind, const char *host, const char *text)
{
  size_t i;
  for (i = 0; i < d->nrcpt; i++) if (d->res[i].kind == RES_PENDING) result_set(d, i, kind, host, text);
}

/* Why a host could not be tried (no server said anything). */
static void note_dns(delivery *d, const char *text)
{
  if (d->last_err.len && d->last_host[0] && strcmp(d->last_host, "-") != 0) return;
  snprintf(d->last_host, sizeof d->last_host, "-");
  d->last_err.len = 0;
  if (sa_cats(&d->last_err, text)) sa_0(&d->last_err);
}

static int pending(const delivery *d)
{
  size_t i;
  for (i = 0; i < d->nrcpt; i++) if (d->res[i].kind == RES_PENDING) return 1;
  return 0;
}

/* The hosts to try, in order.  Returns the count, or 0 after setting every
 * recipient's result (DNS failure, null MX). */
static size_t targets(delivery *d, const char *domain, const route *rt, const settings *s, target *t)
{
  dns_mx mx[DNS_MX_MAX];
  size_t n = 0, i, k = 0;
  int r;
  char text[400];

  if (rt && rt->host[0]) {
    memset(t, 0, sizeof *t);
    t->port = rt->port ? rt->port : s->port;
    t->literal = rt->literal;
    t->relay = 1;
    snprintf(t->lookup, sizeof t->lookup, "%s", rt->host);
    snprintf(t->name, sizeof t->name, rt->literal ? "[%s]" : "%s", rt->host);
    return 1;
  }
  if (domain[0] == '[') {
    size_t dl = strlen(domain);
    memset(t, 0, sizeof *t);
    if (dl < 3 || domain[dl - 1] != ']' || dl - 2 > DNS_NAME_MAX) {
      fail_all(d, RES_PERM, "-", "5.1.2 bad address literal");
      return 0;
    }
    memcpy(t->lookup, domain + 1, dl - 2);
    t->lookup[dl - 2] = 0;
    t->literal = 1;
    t->port = rt && rt->port ? rt->port : s->port;
    snprintf(t->name, sizeof t->name, "%s", domain);
    return 1;
  }
  r = dns_mx_lookup(domain, mx, DNS_MX_MAX, &n);
  log_info("%s dns mx domain=%s result=%s count=%zu", d->qid, domain, dns_strresult(r), n);
  if (r == DNS_NXDOMAIN) {
    snprintf(text, sizeof text, "5.1.2 domain %s does not exist", domain);
    fail_all(d, RES_PERM, "-", text);
    return 0;
  }
  if (r == DNS_TEMP) {
    snprintf(text, sizeof text, "4.4.3 temporary DNS failure looking up the MX of %s", domain);
    fail_all(d, RES_TEMP, "-", text);
    return 0;
  }
  if (r == DNS_NODATA || n == 0) {
    /* No MX: the domain itself is the mail host (RFC 5321 5.1). */
    memset(t, 0, sizeof *t);
    snprintf(t->lookup, sizeof t->lookup, "%s", domain);
    snprintf(t->name, sizeof t->name, "%s", domain);
    t->port = rt && rt->port ? rt->port : s->port;
    return 1;
  }
  if (n == 1 && mx[0].host[0] == 0) {
    snprintf(text, sizeof text, "5.1.10 domain %s does not accept mail (null MX)", domain);
    fail_all(d, RES_PERM, "-", text);
    return 0;
  }
  for (i = 0; i < n && k < TARGETS_MAX; i++) {
    if (mx[i].host[0] == 0) continue;
    memset(&t[k], 0, sizeof t[k]);
    snprintf(t[k].lookup, sizeof t[k].lookup, "%s", mx[i].host);
    snprintf(t[k].name, sizeof t[k].name, "%s", mx[i].host);
    t[k].port = rt && rt->port ? rt->port : s->port;
    k++;
  }
  return k;
}

void deliver(delivery *d, const char *domain, const route *rt, const settings *s)
{
  target t[TARGETS_MAX];
  size_t nt = targets(d, domain, rt, s, t), i, j;
  int dns_temp = 0, tried = 0;
  char text[400];

  for (i = 0; i < nt && pending(d); i++) {
    dns_addr a[DNS_ADDR_MAX];
    size_t na = 0;
    char user[RELAY_USER_MAX + 1], pass[RELAY_PASS_MAX + 1];
    int allowplain = 0, have_auth = 0, pol;

    if (t[i].literal) {
      if (!literal_addr(t[i].lookup, t[i].port, &a[0])) {
        snprintf(text, sizeof text, "5.1.2 bad address literal %.300s", t[i].name);
        note_dns(d, text);
        continue;
      }
      na = 1;
    } else {
      int r = dns_addr_lookup(t[i].lookup, a, DNS_ADDR_MAX, &na);
      log_info("%s dns addr host=%s result=%s count=%zu", d->qid, t[i].lookup, dns_strresult(r), na);
      if (r == DNS_TEMP) {
        dns_temp = 1;
        snprintf(text, sizeof text, "4.4.3 temporary DNS failure looking up %.300s", t[i].lookup);
        note_dns(d, text);
        continue;
      }
      if (r != DNS_OK) {
        snprintf(text, sizeof text, "5.4.4 no address for %.300s", t[i].lookup);
        note_dns(d, text);
        continue;
      }
      for (j = 0; j < na; j++) set_port(&a[j], t[i].port);
    }
    pol = tlspolicy_find(s->tls_lines, s->tls_count, domain, t[i].lookup);
    if (pol < 0) {
      log_warn("%s control/tlsdestinations has a malformed line for %s; using verify", d->qid, domain);
      pol = TLS_VERIFY;
    }
    if (pol == TLS_VERIFY) {
      const char *why;
      if (tlsclient_load_anchors(s->ca_path, &why) < 0) {
        log_warn("%s unable to load the CA bundle %s: %s", d->qid, s->ca_path, why);
        snprintf(text, sizeof text, "4.7.5 unable to load the CA bundle to verify %.300s", t[i].name);
        note_dns(d, text);
        continue;
      }
    }
    d->tls_policy = pol;
    d->auth_user = d->auth_pass = 0;
    if (t[i].relay) {
      int ar = relayauth_find(s->auth_lines, s->auth_count, t[i].lookup, user, pass, &allowplain);
      if (ar < 0) {
        fail_all(d, RES_TEMP, "-", "4.3.5 control/relayauth has a malformed line for this relay");
        return;
      }
      if (ar > 0) { have_auth = 1; d->auth_user = user; d->auth_pass = pass; d->auth_allowplain = allowplain; }
    }
    for (j = 0; j < na && pending(d); j++) {
      char ip[INET6_ADDRSTRLEN] = "?";
      int o, notls = 0;
      if (a[j].sa.ss_family == AF_INET) inet_ntop(AF_INET, &((struct sockaddr_in *)&a[j].sa)->sin_addr, ip, sizeof ip);
      else inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&a[j].sa)->sin6_addr, ip, sizeof ip);
      tried = 1;
      for (;;) {
        o = smtp_session(d, t[i].name, (struct sockaddr *)&a[j].sa, a[j].len, notls);
        log_info("%s session host=%s ip=%s port=%u tls=%s outcome=%s", d->qid, t[i].name, ip, t[i].port,
                 notls ? "off" : (pol == TLS_NONE ? "none" : pol == TLS_VERIFY ? "verify" : "may"),
                 o == SESS_DONE ? "done" : o == SESS_PLAIN ? "retry-plain" : "next");
        if (o != SESS_PLAIN) break;
        notls = 1;
      }
    }
    if (have_auth) { sodium_memzero(pass, sizeof pass); sodium_memzero(user, sizeof user); }
    d->auth_user = d->auth_pass = 0;
  }
  if (!pending(d)) return;
  if (!tried && !dns_temp && nt > 0 && d->last_err.len && d->last_err.s[0] == '5') {
    fail_all(d, RES_PERM, "-", d->last_err.s);
    return;
  }
  if (d->last_err.len) {
    /* The remote server's words, but a temporary result: other hosts may
     * work next time. */
    snprintf(text, sizeof text, "%s", d->last_err.s);
    fail_all(d, RES_TEMP, d->last_host[0] ? d->last_host : "-", text);
  } else {
    fail_all(d, RES_TEMP, "-", "4.4.1 no host could be reached");
  }
}
