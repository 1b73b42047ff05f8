#include "rdns.h"

#include <arpa/inet.h>
#include <ares.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "control.h"
#include "sa.h"

typedef struct query {
  int done;
  int ok;
  int family;
  unsigned char addr[16];
  char name[RDNS_NAME_MAX + 1];
} query;

static void on_ptr(void *arg, int status, int timeouts, struct hostent *h)
{
  query *q = arg;
  (void)timeouts;
  q->done = 1;
  if (status != ARES_SUCCESS || !h || !h->h_name) return;
  if (strlen(h->h_name) > RDNS_NAME_MAX || !h->h_name[0]) return;
  strcpy(q->name, h->h_name);
  q->ok = 1;
}

static void on_addr(void *arg, int status, int timeouts, struct hostent *h)
{
  query *q = arg;
  size_t len = q->family == AF_INET ? 4 : 16;
  char **a;
  (void)timeouts;
  q->done = 1;
  q->ok = 0;
  if (status != ARES_SUCCESS || !h || h->h_addrtype != q->family) return;
  for (a = h->h_addr_list; *a; a++)
    if (memcmp(*a, q->addr, len) == 0) { q->ok = 1; return; }
}

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs the channel until q is done or the deadline passes. */
static void run(ares_channel ch, query *q, long long deadline)
{
  while (!q->done) {
    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    struct pollfd pf[ARES_GETSOCK_MAXNUM];
    struct timeval tv, *tvp, maxtv;
    long long left = deadline - now_ms();
    unsigned bits;
    int i, n = 0, wait;
    if (left <= 0) { ares_cancel(ch); return; }
    bits = (unsigned)ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
    for (i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
      short ev = 0;
      /* the ARES_GETSOCK_* macros shift a signed 1 into the sign bit */
      if (bits & (1u << i)) ev |= POLLIN;
      if (bits & (1u << (i + ARES_GETSOCK_MAXNUM))) ev |= POLLOUT;
      if (!ev) continue;
      pf[n].fd = socks[i];
      pf[n].events = ev;
      pf[n].revents = 0;
      n++;
    }
    if (n == 0) { ares_cancel(ch); return; }
    maxtv.tv_sec = left / 1000;
    maxtv.tv_usec = (left % 1000) * 1000;
    tvp = ares_timeout(ch, &maxtv, &tv);
    wait = (int)(tvp->tv_sec * 1000 + tvp->tv_usec / 1000);
    i = poll(pf, (nfds_t)n, wait);
    if (i < 0) { ares_cancel(ch); return; }
    if (i == 0) {
      ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);   /* timeouts and retries */
      continue;
    }
    for (i = 0; i < n; i++)
      if (pf[i].revents)
        ares_process_fd(ch, (pf[i].revents & (POLLIN | POLLERR | POLLHUP)) ? pf[i].fd : ARES_SOCKET_BAD,
                        (pf[i].revents & POLLOUT) ? pf[i].fd : ARES_SOCKET_BAD);
  }
}

static int set_servers(ares_channel ch)
{
  sa lines = SA_ZERO, csv = SA_ZERO;
  size_t n = 0, i, off = 0;
  int r = control_readlines("resolvers", &lines, &n), ok = 1;
  if (r < 0) return 0;
  if (r == 0 || n == 0) return 1;
  for (i = 0; i < n; i++) {
    const char *l = lines.s + off;
    off += strlen(l) + 1;
    if ((i && !sa_catc(&csv, ',')) || !sa_cats(&csv, l)) ok = 0;
  }
  if (ok && sa_0(&csv) && ares_set_servers_ports_csv(ch, csv.s) != ARES_SUCCESS) ok = 0;
  sa_free(&lines);
  sa_free(&csv);
  return ok;
}

int rdns_lookup(const char *ip, char *out, size_t n, int timeout_ms)
{
  struct ares_options o;
  ares_channel ch;
  query q;
  long long deadline = now_ms() + timeout_ms;
  memset(&q, 0, sizeof q);
  if (inet_pton(AF_INET, ip, q.addr) == 1) q.family = AF_INET;
  else if (inet_pton(AF_INET6, ip, q.addr) == 1) q.family = AF_INET6;
  else return 0;
  if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) return 0;
  memset(&o, 0, sizeof o);
  o.flags = ARES_FLAG_NOSEARCH;
  o.tries = 1;
  o.timeout = timeout_ms / 2 > 0 ? timeout_ms / 2 : 1;
  o.lookups = (char *)"b";
  if (ares_init_options(&ch, &o, ARES_OPT_FLAGS | ARES_OPT_TRIES | ARES_OPT_TIMEOUTMS | ARES_OPT_LOOKUPS) != ARES_SUCCESS) {
    ares_library_cleanup();
    return 0;
  }
  if (set_servers(ch)) {
    ares_gethostbyaddr(ch, q.addr, q.family == AF_INET ? 4 : 16, q.family, on_ptr, &q);
    run(ch, &q, deadline);
    if (q.ok) {
      char name[RDNS_NAME_MAX + 1];
      strcpy(name, q.name);
      q.done = 0;
      q.ok = 0;
      ares_gethostbyname(ch, name, q.family, on_addr, &q);
      run(ch, &q, deadline);
      if (q.ok && strlen(name) < n) strcpy(out, name);
      else q.ok = 0;
    }
  }
  ares_destroy(ch);
  ares_library_cleanup();
  return q.ok;
}
