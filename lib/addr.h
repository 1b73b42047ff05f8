/* addr.h: strict RFC 5321 address parsing (with RFC 6531 SMTPUTF8).
 * Pure functions over buffers: no I/O, no allocation. */
#ifndef YUBIN_ADDR_H
#define YUBIN_ADDR_H
#include <stddef.h>

#define ADDR_LOCAL_MAX 64     /* RFC 5321 4.5.3.1.1 */
#define ADDR_DOMAIN_MAX 255   /* RFC 5321 4.5.3.1.2 */
#define ADDR_PATH_MAX 256     /* RFC 5321 4.5.3.1.3, including < > */
#define ADDR_MAX (ADDR_LOCAL_MAX + 1 + ADDR_DOMAIN_MAX)

/* flags */
#define ADDR_UTF8       1u  /* allow UTF-8 in local part and domain (SMTPUTF8) */
#define ADDR_ALLOW_NULL 2u  /* "<>" is accepted (reverse-path) */
#define ADDR_NO_LITERAL 4u  /* refuse [address-literal] domains */

typedef struct addr {
  char local[ADDR_LOCAL_MAX + 1];   /* as written; a quoted local part keeps its quotes */
  char domain[ADDR_DOMAIN_MAX + 1]; /* as written */
  size_t local_len, domain_len;
  int null;      /* the null path <> */
  int quoted;    /* local part was a quoted-string */
  int literal;   /* domain is an address literal */
  int utf8;      /* contains non-ASCII */
} addr;

/* Parses "local@domain" exactly (all of n bytes).  Returns 1, or 0 with a
 * reason in *why (static string) when why is not NULL. */
int addr_parse_mailbox(const char *s, size_t n, unsigned flags, addr *out, const char **why);
/* Parses an SMTP path "<...>" at s (n bytes available), with an optional source
 * route (stripped, RFC 5321 4.1.1.3 and C.), and sets *used to the bytes taken
 * up to and including '>'.  "<>" only with ADDR_ALLOW_NULL. */
int addr_parse_path(const char *s, size_t n, unsigned flags, addr *out, size_t *used, const char **why);
/* A domain name of dot-separated LDH labels (or U-labels with ADDR_UTF8),
 * each 1..63 octets, total at most 255; no literal. */
int addr_domain_valid(const char *s, size_t n, unsigned flags);
/* A dot-string local part (no quoting), 1..64 octets. */
int addr_local_valid(const char *s, size_t n, unsigned flags);
/* Writes "local@domain" (or "" for the null path) into out; returns length,
 * or 0 if it does not fit. */
size_t addr_format(const addr *a, char *out, size_t n);
/* Well-formed UTF-8 (no overlongs, no surrogates). */
int utf8_valid(const char *s, size_t n);
/* ASCII lower-casing copy; returns out. */
char *addr_lower(char *out, const char *in, size_t n);

#endif
