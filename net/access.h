/* access.h: access rules by client IP address and prefix.
 *
 * The text file control/access holds one rule a line ('#' starts a comment):
 *     ADDRESS[/PREFIXLEN]  deny
 *     ADDRESS[/PREFIXLEN]  allow [VAR=VALUE ...]
 * e.g. "127.0.0.1 allow RELAYCLIENT=", "10.0.0.0/8 allow RELAYCLIENT=",
 * "192.0.2.0/24 deny", "2001:db8::/32 deny".  The longest matching prefix
 * wins; an address no rule matches is allowed with no variables.  VALUE may
 * be empty and holds no spaces.  IPv4-mapped IPv6 clients match IPv4 rules.
 *
 * `yubin-tcpd -C` compiles it into control/access.cdb (atomically), which is
 * what yubin-tcpd reads.  Keys: one byte family (4 or 6), one byte prefix
 * length, then the address bytes with the host bits cleared (4 or 16).
 * Values: "D" (deny) or "A" followed by "VAR=VALUE\0" entries. */
#ifndef YUBIN_NET_ACCESS_H
#define YUBIN_NET_ACCESS_H
#include <stddef.h>
#include <cdb.h>

#define ACCESS_VALUE_MAX 1024
#define ACCESS_LINE_MAX 1024

typedef struct access_key {
  unsigned char k[18];
  size_t len;
} access_key;

/* Parses "ADDRESS[/LEN]" into a key.  Returns 1 or 0. */
int access_parse_net(const char *s, size_t n, access_key *key);
/* Parses one rule line (without LF).  Returns 1 with key and value set,
 * 0 for a blank or comment line, -1 for a malformed line. */
int access_parse_line(const char *s, size_t n, access_key *key, char *val, size_t *vallen);
/* Compiles the text file src into the cdb dst atomically.  On a malformed
 * line returns 0 with errno EINVAL and *badline set (1-based). */
int access_compile(const char *src, const char *dst, size_t *badline);
/* Looks up an IP address (text, v4 or v6) in an open cdb: 1 allow (val holds
 * the VAR=VALUE\0 entries, *vallen their length), 0 deny, -1 error. */
int access_lookup(struct cdb *c, const char *ip, char *val, size_t *vallen);

#endif
