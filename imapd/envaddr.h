/* envaddr.h: RFC 5322 address lists as IMAP's ENVELOPE wants them
 * (RFC 3501 7.4.2): for each mailbox its display name, source route (always
 * NIL here), local part and domain; groups as a start entry (NIL NIL
 * "name" NIL) and an end entry (NIL NIL NIL NIL).  Lenient, as mail in the
 * wild needs: comments are skipped, quoted strings unquoted, source routes
 * dropped, anything unparsable ends up as a local part.  Pure. */
#ifndef YUBIN_ENVADDR_H
#define YUBIN_ENVADDR_H
#include <stddef.h>

#include "sa.h"

#define ENVADDR_MAX 1000          /* entries taken from one header field */
#define ENVADDR_COMMENT_DEPTH 32

/* Parses the field value s (n bytes) into out (replaced): four fields per
 * entry, each 'N' then NUL (NIL), or 'S', the text, NUL.  *count is the
 * number of entries.  Returns 1, or 0 (no memory). */
int envaddr_parse(const char *s, size_t n, sa *out, size_t *count);

#endif
