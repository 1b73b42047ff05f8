/* dns.h: DNS lookups through c-ares, honouring control/resolvers.
 * control/resolvers lists recursive resolvers, one per line: "ip" or
 * "ip:port" ("[v6]:port" for IPv6 with a port).  Without the file the
 * system's resolver configuration is used.  /etc/hosts is never read and no
 * search domains are appended: names are looked up exactly as given.
 * Each lookup blocks for at most the given timeout. */
#ifndef YUBIN_DNS_H
#define YUBIN_DNS_H
#include <stddef.h>
#include <sys/socket.h>

#define DNS_MX_MAX 32          /* MX records kept per domain */
#define DNS_ADDR_MAX 16        /* addresses kept per host name */
#define DNS_NAME_MAX 255

/* Lookup results. */
#define DNS_OK       1
#define DNS_NODATA   2   /* the name exists but has no record of that type */
#define DNS_NXDOMAIN 3   /* the name does not exist: permanent */
#define DNS_TEMP     4   /* timeout, SERVFAIL, refused, no resolver: try later */

typedef struct dns_mx {
  unsigned pref;
  char host[DNS_NAME_MAX + 1];  /* "" for the null MX "." (RFC 7505) */
} dns_mx;

typedef struct dns_addr {
  struct sockaddr_storage sa;   /* port left 0 */
  socklen_t len;
} dns_addr;

/* Sets up the resolver.  Returns 1, or 0 with a reason in *why. */
int dns_init(int timeout_ms, const char **why);
void dns_done(void);
/* MX records of domain sorted by preference, equal preferences shuffled. */
int dns_mx_lookup(const char *domain, dns_mx *out, size_t max, size_t *n);
/* A and AAAA records of host: IPv6 addresses first, then IPv4. */
int dns_addr_lookup(const char *host, dns_addr *out, size_t max, size_t *n);
/* Human-readable text for a result. */
const char *dns_strresult(int r);
/* Sorts MX records by preference, shuffling equal ones (exposed for tests). */
void dns_mx_sort(dns_mx *mx, size_t n);

#endif
