/* header.h: RFC 5322 message header fields and address lists.
 * Pure functions over buffers (lines end in LF; a CR before it is kept in
 * values and treated as white space by the address parser).  No I/O. */
#ifndef YUBIN_HEADER_H
#define YUBIN_HEADER_H
#include <stddef.h>

#include "sa.h"

#define HDR_NAME_MAX 128          /* a field name longer than this is not a field */
#define HDR_COMMENT_DEPTH 32      /* nesting of ( comments ) */
#define HDR_ADDRS_MAX 10000       /* addresses in one address list */

typedef struct hdr_field {
  const char *name;    /* the field name, without the colon */
  size_t name_len;
  const char *value;   /* after the colon up to the final LF, folds included */
  size_t value_len;
  const char *raw;     /* the whole field, final LF included when present */
  size_t raw_len;
} hdr_field;

/* Reads the next field of the header at buf[*pos], n bytes in all.  Returns
 * 1 with *f set and *pos past the field; 0 at the end of the header, with
 * *pos at the first byte of the body: past the empty line that ended the
 * header, or at the first line that is not a field (then *body_sep is 0,
 * else 1; at the end of the buffer it is 0). */
int hdr_next(const char *buf, size_t n, size_t *pos, hdr_field *f, int *body_sep);
/* 1 if the field's name is name, ignoring ASCII case. */
int hdr_is(const hdr_field *f, const char *name);

/* Parses an RFC 5322 address-list (To, Cc, Bcc, From, ...; value only):
 * display names, comments, quoted strings, groups, folding, the obsolete
 * route syntax and empty list members.  Each addr-spec is appended to out as
 * "local@domain" (white space and comments removed, quoted local parts kept
 * as written) followed by a NUL; *count is increased by one for each.  An
 * address without "@domain" is taken only when default_domain is not NULL,
 * and is then completed with it.  Returns 1, or 0 with *why (static text)
 * on a syntax error (out and *count then hold what came before). */
int hdr_addrlist(const char *s, size_t n, const char *default_domain, sa *out, size_t *count,
                 const char **why);

#endif
