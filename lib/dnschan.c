#include "dnschan.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "control.h"
#include "sa.h"

/* Turns control/resolvers lines into the CSV c-ares wants: 1 done, 0 no
 * file (or no line), -1 error with *why. */
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
    if (n > DNSCHAN_LINE_MAX) { sa_free(&lines); *why = "control/resolvers: line too long"; return -1; }
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

int dnschan_open(ares_channel *ch, int try_ms, int tries, const char **why)
{
  struct ares_options o;
  int mask, r;
  sa csv = SA_ZERO;

  if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) { *why = "c-ares initialisation failed"; return 0; }
  memset(&o, 0, sizeof o);
  o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_EDNS;
  o.lookups = (char *)"b";       /* DNS only, never /etc/hosts */
  o.timeout = try_ms > 0 ? try_ms : 1;   /* milliseconds with ARES_OPT_TIMEOUTMS */
  o.tries = tries > 0 ? tries : 1;
  o.ednspsz = DNSCHAN_EDNS_PAYLOAD;
  mask = ARES_OPT_FLAGS | ARES_OPT_LOOKUPS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_EDNSPSZ;
  if ((r = ares_init_options(ch, &o, mask)) != ARES_SUCCESS) {
    *why = ares_strerror(r);
    ares_library_cleanup();
    return 0;
  }
  r = resolvers_csv(&csv, why);
  if (r > 0 && ares_set_servers_ports_csv(*ch, csv.s) != ARES_SUCCESS) {
    *why = "control/resolvers: bad address";
    r = -1;
  }
  sa_free(&csv);
  if (r < 0) { dnschan_close(*ch); return 0; }
  return 1;
}

void dnschan_close(ares_channel ch)
{
  ares_destroy(ch);
  ares_library_cleanup();
}

long long dnschan_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int dnschan_wait(ares_channel ch, int *done, long long deadline_ms)
{
  while (!*done) {
    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    struct pollfd pfd[ARES_GETSOCK_MAXNUM];
    struct timeval tv, *tvp, max;
    unsigned bits = (unsigned)ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
    nfds_t nfd = 0;
    long long left = deadline_ms - dnschan_now_ms();
    int i, t, pr;
    if (left <= 0) { ares_cancel(ch); return 0; }
    for (i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
      short ev = 0;
      /* The ARES_GETSOCK_ macros shift a signed 1 into the sign bit. */
      if ((bits >> i) & 1u) ev |= POLLIN;
      if ((bits >> (i + ARES_GETSOCK_MAXNUM)) & 1u) ev |= POLLOUT;
      if (!ev) continue;
      pfd[nfd].fd = socks[i]; pfd[nfd].events = ev; pfd[nfd].revents = 0; nfd++;
    }
    max.tv_sec = left / 1000; max.tv_usec = (left % 1000) * 1000;
    tvp = ares_timeout(ch, &max, &tv);
    t = (int)(tvp->tv_sec * 1000 + tvp->tv_usec / 1000);
    if (t < 1) t = 1;
    pr = poll(pfd, nfd, t);
    if (pr < 0 && errno != EINTR) { ares_cancel(ch); return 0; }
    if (pr <= 0) { ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD); continue; }   /* time-outs, retries */
    for (nfds_t k = 0; k < nfd; k++) {
      ares_socket_t rfd = (pfd[k].revents & (POLLIN | POLLERR | POLLHUP)) ? pfd[k].fd : ARES_SOCKET_BAD;
      ares_socket_t wfd = (pfd[k].revents & POLLOUT) ? pfd[k].fd : ARES_SOCKET_BAD;
      if (rfd != ARES_SOCKET_BAD || wfd != ARES_SOCKET_BAD) ares_process_fd(ch, rfd, wfd);
    }
  }
  return 1;
}
