/* route.h: where and how a domain's mail goes.  The parsers work on the
 * NUL-separated lines control_readlines() returns; pure, no I/O.
 *
 * control/smtproutes   domain:host[:port]   ("[ip]" or "[ipv6]" as host)
 *   exact domain first, then ".parent" lines from the closest parent up,
 *   then the default route ":host[:port]".  An empty host means: use MX.
 * control/relayauth    host user password [allowplain]
 *   credentials for a relay, matched against the host as written in
 *   smtproutes; sent only over TLS unless the fourth field is "allowplain".
 * control/tlsdestinations   domain:policy   (none, may, verify)
 *   matched like smtproutes against the destination domain, then against the
 *   host name being connected to; the default is "may". */
#ifndef YUBIN_REMOTE_ROUTE_H
#define YUBIN_REMOTE_ROUTE_H
#include <stddef.h>

#define ROUTE_HOST_MAX 255
#define RELAY_USER_MAX 255
#define RELAY_PASS_MAX 255

typedef struct route {
  char host[ROUTE_HOST_MAX + 1];   /* "" = MX lookup for the domain */
  unsigned port;                   /* 0 = the default SMTP port */
  int literal;                     /* host was "[ip]": host holds the bare ip */
} route;

#define TLS_NONE 0
#define TLS_MAY 1
#define TLS_VERIFY 2

/* Finds the route for domain.  Returns 1 found, 0 none (use MX),
 * -1 a malformed matching line (errno EINVAL). */
int route_find(const char *lines, size_t count, const char *domain, route *out);
/* Parses "host[:port]" / "[ip][:port]" (n bytes) into out. 1 or 0 (EINVAL). */
int route_parse_host(const char *s, size_t n, route *out);
/* Credentials for host.  Returns 1 found, 0 none, -1 malformed. */
int relayauth_find(const char *lines, size_t count, const char *host,
                   char user[RELAY_USER_MAX + 1], char pass[RELAY_PASS_MAX + 1], int *allowplain);
/* TLS policy for domain (then host, which may be NULL).  Returns TLS_*,
 * or -1 for a malformed matching line. */
int tlspolicy_find(const char *lines, size_t count, const char *domain, const char *host);

#endif
