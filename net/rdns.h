/* rdns.h: the client's name for Received lines and logs (yubin-tcpd -h).
 * A PTR name counts only when it resolves back to the client's address
 * (forward-confirmed), so a client cannot claim any name by owning its
 * reverse zone.  DNS goes to control/resolvers (one ADDRESS[:PORT] a line,
 * IPv6 as [ADDRESS]:PORT), else the system's resolvers; /etc/hosts is not read. */
#ifndef YUBIN_NET_RDNS_H
#define YUBIN_NET_RDNS_H
#include <stddef.h>

#define RDNS_NAME_MAX 255

/* Returns 1 with the name in out, 0 when there is no confirmed name (or DNS
 * failed or timed out within timeout_ms in all). */
int rdns_lookup(const char *ip, char *out, size_t n, int timeout_ms);

#endif
