#include "rdns.h"

#include <arpa/inet.h>
#include <ares.h>
#include <netdb.h>
#include <string.h>

#include "dnschan.h"

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

int rdns_lookup(const char *ip, char *out, size_t n, int timeout_ms)
{
  ares_channel ch;
  query q;
  const char *why;
  long long deadline = dnschan_now_ms() + timeout_ms;
  memset(&q, 0, sizeof q);
  if (inet_pton(AF_INET, ip, q.addr) == 1) q.family = AF_INET;
  else if (inet_pton(AF_INET6, ip, q.addr) == 1) q.family = AF_INET6;
  else return 0;
  /* one try of half the time for each of the two lookups */
  if (!dnschan_open(&ch, timeout_ms / 2, 1, &why)) return 0;
  ares_gethostbyaddr(ch, q.addr, q.family == AF_INET ? 4 : 16, q.family, on_ptr, &q);
  dnschan_wait(ch, &q.done, deadline);
  if (q.ok) {
    char name[RDNS_NAME_MAX + 1];
    strcpy(name, q.name);
    q.done = 0;
    q.ok = 0;
    ares_gethostbyname(ch, name, q.family, on_addr, &q);
    dnschan_wait(ch, &q.done, deadline);
    if (q.ok && strlen(name) < n) strcpy(out, name);
    else q.ok = 0;
  }
  dnschan_close(ch);
  return q.ok;
}
