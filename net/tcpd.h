/* tcpd.h: the accept loop of yubin-tcpd (see net/README.md). */
#ifndef YUBIN_NET_TCPD_H
#define YUBIN_NET_TCPD_H
#include <stddef.h>

#define TCPD_LISTEN_MAX 16      /* listening addresses */
#define TCPD_CONN_MAX 10000     /* upper bound for the connection limit */
#define TCPD_IP_MAX 46          /* INET6_ADDRSTRLEN */

typedef struct tcpd_config {
  int fds[TCPD_LISTEN_MAX];     /* listening sockets */
  size_t nfds;
  unsigned long maxconn;
  unsigned long maxperip;
  const char *access_cdb;       /* path, may not exist */
  const char *refusal;          /* line sent to a client over the per-IP limit, or NULL */
  int rdns_ms;                  /* > 0: look up TCPREMOTEHOST, at most this long */
  char **argv;                  /* the program and its arguments */
} tcpd_config;

/* Opens a listening TCP socket on ip (v4 or v6 text) and port.  Returns the
 * fd, or -1 with errno. */
int tcpd_listen(const char *ip, const char *port);
/* Accepts connections until SIGTERM, then lets running sessions end.
 * Returns the exit code (0). */
int tcpd_serve(const tcpd_config *cf);

#endif
