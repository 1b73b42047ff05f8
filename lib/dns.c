#include "dns.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <string.h>

#include "dnschan.h"
#include "uniq.h"

static ares_channel chan;
static int chan_ready;
static int dns_timeout_ms = 30000;

int dns_init(int timeout_ms, const char **why)
{
  if (timeout_ms > 0) dns_timeout_ms = timeout_ms;
  if (!dnschan_open(&chan, 3000, 3, why)) return 0;   /* 3 s a try, 3 tries */
  chan_ready = 1;
  return 1;
}

void dns_done(void)
{
  if (chan_ready) dnschan_close(chan);
  chan_ready = 0;
}

/* Runs c-ares until *done is set or the overall timeout passes. */
static int dns_wait(int *done)
{
  return dnschan_wait(chan, done, dnschan_now_ms() + dns_timeout_ms);
}

static int map_status(int status)
{
  switch (status) {
    case ARES_SUCCESS: return DNS_OK;
    case ARES_ENODATA: return DNS_NODATA;
    case ARES_ENOTFOUND: return DNS_NXDOMAIN;
    default: return DNS_TEMP;
  }
}

void dns_mx_sort(dns_mx *mx, size_t n)
{
  size_t i, j;
  /* Insertion sort by preference (n is small), then Fisher-Yates within each
   * run of equal preference. */
  for (i = 1; i < n; i++) {
    dns_mx t = mx[i];
    for (j = i; j > 0 && mx[j - 1].pref > t.pref; j--) mx[j] = mx[j - 1];
    mx[j] = t;
  }
  for (i = 0; i < n; ) {
    size_t end = i + 1, k;
    while (end < n && mx[end].pref == mx[i].pref) end++;
    for (k = end - 1; k > i; k--) {
      unsigned r;
      size_t pick;
      dns_mx t;
      uniq_random(&r, sizeof r);
      pick = i + r % (k - i + 1);
      t = mx[k]; mx[k] = mx[pick]; mx[pick] = t;
    }
    i = end;
  }
}

struct mx_job {
  int done, result;
  dns_mx *out;
  size_t max, n;
};

static void mx_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
  struct mx_job *j = arg;
  struct ares_mx_reply *mx = 0, *p;
  (void)timeouts;
  j->done = 1;
  j->result = map_status(status);
  if (status != ARES_SUCCESS) return;
  status = ares_parse_mx_reply(abuf, alen, &mx);
  if (status == ARES_ENODATA) { j->result = DNS_NODATA; return; }
  if (status != ARES_SUCCESS) { j->result = DNS_TEMP; return; }
  for (p = mx; p && j->n < j->max; p = p->next) {
    size_t hl = strlen(p->host);
    if (hl > DNS_NAME_MAX) continue;
    j->out[j->n].pref = p->priority;
    memcpy(j->out[j->n].host, p->host, hl + 1);
    /* c-ares may return the root as "." or "". */
    if (strcmp(j->out[j->n].host, ".") == 0) j->out[j->n].host[0] = 0;
    j->n++;
  }
  ares_free_data(mx);
  if (j->n == 0) j->result = DNS_NODATA;
}

int dns_mx_lookup(const char *domain, dns_mx *out, size_t max, size_t *n)
{
  struct mx_job j = { 0, DNS_TEMP, out, max, 0 };
  *n = 0;
  if (!chan_ready) return DNS_TEMP;
  ares_query(chan, domain, ns_c_in, ns_t_mx, mx_cb, &j);
  if (!dns_wait(&j.done)) return DNS_TEMP;
  if (j.result == DNS_OK) { dns_mx_sort(out, j.n); *n = j.n; }
  return j.result;
}

struct addr_job {
  int done, result;
  dns_addr *out;
  size_t max, n;
};

static void addr_take(struct addr_job *j, struct ares_addrinfo_node *p, int family)
{
  for (; p && j->n < j->max; p = p->ai_next) {
    if (p->ai_family != family || p->ai_addrlen > sizeof j->out[j->n].sa) continue;
    memset(&j->out[j->n], 0, sizeof j->out[j->n]);
    memcpy(&j->out[j->n].sa, p->ai_addr, p->ai_addrlen);
    j->out[j->n].len = p->ai_addrlen;
    j->n++;
  }
}

static void addr_cb(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
  struct addr_job *j = arg;
  (void)timeouts;
  j->done = 1;
  j->result = map_status(status);
  if (status == ARES_SUCCESS && res) {
    addr_take(j, res->nodes, AF_INET6);   /* IPv6 first, then IPv4 */
    addr_take(j, res->nodes, AF_INET);
  }
  if (res) ares_freeaddrinfo(res);
}

int dns_addr_lookup(const char *host, dns_addr *out, size_t max, size_t *n)
{
  struct ares_addrinfo_hints h;
  struct addr_job j = { 0, DNS_TEMP, out, max, 0 };
  *n = 0;
  if (!chan_ready) return DNS_TEMP;
  memset(&h, 0, sizeof h);
  h.ai_family = AF_UNSPEC;   /* A and AAAA queried at once */
  h.ai_flags = ARES_AI_NOSORT;
  ares_getaddrinfo(chan, host, NULL, &h, addr_cb, &j);
  if (!dns_wait(&j.done)) return DNS_TEMP;
  *n = j.n;
  if (j.result == DNS_OK && j.n == 0) return DNS_NODATA;
  return j.result;
}

const char *dns_strresult(int r)
{
  switch (r) {
    case DNS_OK: return "ok";
    case DNS_NODATA: return "no such record";
    case DNS_NXDOMAIN: return "domain does not exist";
    default: return "temporary DNS failure";
  }
}
