#include "dns.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "control.h"
#include "sa.h"
#include "uniq.h"

static ares_channel chan;
static int chan_ready;
static int dns_timeout_ms = 30000;

/* Turns control/resolvers lines into the CSV c-ares wants. */
static int resolvers_csv(sa *csv, const char **why)
{
  sa lines = SA_ZERO;
  size_t count = 0, i;
  const char *p;
  int r = control_readlines("resolvers", &lines, &count);
  if (r < 0) { *why = "unable to read control/resolvers"; return -1; }
  if (r == 0 || count == 0) { sa_free(&lines); return 0; }
  p = lines.s;
  csv->len = 0;
  for (i = 0; i < count; i++) {
    size_t n = strlen(p);
    if (n > 64) { sa_free(&lines); *why = "control/resolvers: line too long"; return -1; }
    if (i && !sa_catc(csv, ',')) goto nomem;
    if (!sa_catb(csv, p, n)) goto nomem;
    p += n + 1;
  }
  sa_free(&lines);
  if (!sa_0(csv)) goto nomem;
  return 1;
nomem:
  sa_free(&lines);
  *why = "out of memory";
  return -1;
}

int dns_init(int timeout_ms, const char **why)
{
  struct ares_options o;
  int mask, r;
  sa csv = SA_ZERO;

  if (timeout_ms > 0) dns_timeout_ms = timeout_ms;
  if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) { *why = "c-ares initialisation failed"; return 0; }
  memset(&o, 0, sizeof o);
  o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_EDNS;
  o.lookups = (char *)"b";       /* DNS only, never /etc/hosts */
  o.timeout = 3000;              /* per try, milliseconds with ARES_OPT_TIMEOUTMS */
  o.tries = 3;
  o.ednspsz = 1232;
  mask = ARES_OPT_FLAGS | ARES_OPT_LOOKUPS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_EDNSPSZ;
  if ((r = ares_init_options(&chan, &o, mask)) != ARES_SUCCESS) { *why = ares_strerror(r); return 0; }
  chan_ready = 1;
  r = resolvers_csv(&csv, why);
  if (r < 0) { sa_free(&csv); return 0; }
  if (r > 0) {
    int ar = ares_set_servers_ports_csv(chan, csv.s);
    sa_free(&csv);
    if (ar != ARES_SUCCESS) { *why = "control/resolvers: bad address"; return 0; }
  }
  return 1;
}

void dns_done(void)
{
  if (chan_ready) ares_destroy(chan);
  chan_ready = 0;
  ares_library_cleanup();
}

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs c-ares until *done is set or the overall timeout passes. */
static int dns_wait(int *done)
{
  long long deadline = now_ms() + dns_timeout_ms;
  while (!*done) {
    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    struct pollfd pfd[ARES_GETSOCK_MAXNUM];
    struct timeval tv, *tvp, max;
    unsigned bits = (unsigned)ares_getsock(chan, socks, ARES_GETSOCK_MAXNUM);
    nfds_t nfd = 0;
    long long left = deadline - now_ms();
    int i, t, pr;
    if (left <= 0) { ares_cancel(chan); return 0; }
    for (i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
      short ev = 0;
      /* The ARES_GETSOCK_ macros shift a signed 1 into the sign bit. */
      if ((bits >> i) & 1u) ev |= POLLIN;
      if ((bits >> (i + ARES_GETSOCK_MAXNUM)) & 1u) ev |= POLLOUT;
      if (!ev) continue;
      pfd[nfd].fd = socks[i]; pfd[nfd].events = ev; pfd[nfd].revents = 0; nfd++;
    }
    max.tv_sec = left / 1000; max.tv_usec = (left % 1000) * 1000;
    tvp = ares_timeout(chan, &max, &tv);
    t = (int)(tvp->tv_sec * 1000 + tvp->tv_usec / 1000);
    if (t < 1) t = 1;
    pr = poll(pfd, nfd, t);
    if (pr < 0 && errno != EINTR) { ares_cancel(chan); return 0; }
    if (pr <= 0) { ares_process_fd(chan, ARES_SOCKET_BAD, ARES_SOCKET_BAD); continue; }
    for (nfds_t k = 0; k < nfd; k++) {
      ares_socket_t rfd = (pfd[k].revents & (POLLIN | POLLERR | POLLHUP)) ? pfd[k].fd : ARES_SOCKET_BAD;
      ares_socket_t wfd = (pfd[k].revents & POLLOUT) ? pfd[k].fd : ARES_SOCKET_BAD;
      if (rfd != ARES_SOCKET_BAD || wfd != ARES_SOCKET_BAD) ares_process_fd(chan, rfd, wfd);
    }
  }
  return 1;
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
