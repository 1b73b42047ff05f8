/* cte.h: Content-Transfer-Encoding decoding (RFC 2045 section 6) of a MIME
 * part's body: base64 and quoted-printable, leniently (characters outside
 * the alphabet skipped, a bad "=" kept).  Pure. */
#ifndef YUBIN_CTE_H
#define YUBIN_CTE_H
#include <stddef.h>

#include "sa.h"

/* Appends the decoded body to out.  enc is the field's value (elen octets,
 * any case); 7bit, 8bit, binary, an empty or unknown value copy the body as
 * it is.  Returns 1, or 0 with errno (ERANGE past out's cap, ENOMEM). */
int cte_decode(const char *enc, size_t elen, const char *s, size_t n, sa *out);

/* The value of one hexadecimal digit (either case), or -1. */
int cte_hexval(char c);
/* The value of one base64 character (RFC 4648 alphabet; not "="), or -1. */
int cte_b64val(char c);

#endif
