/* imaputf7.h: IMAP's modified UTF-7 for mailbox names (RFC 3501 5.1.3),
 * to and from UTF-8.  Pure functions over buffers.
 *
 * Printable ASCII except '&' stands for itself, '&' is "&-", anything else
 * is UTF-16 in base64 with ',' for '/' and no padding, between '&' and '-'.
 * Both directions are strict: the decoder refuses what a correct encoder
 * never writes (raw non-ASCII, bad base64, non-zero pad bits, lone
 * surrogates, printable ASCII inside a shift), the encoder refuses invalid
 * UTF-8 (overlong forms, surrogates, NUL, above U+10FFFF), so that every
 * name has exactly one wire form and one on-disk form. */
#ifndef YUBIN_IMAPUTF7_H
#define YUBIN_IMAPUTF7_H
#include <stddef.h>

#include "sa.h"

/* UTF-8 (n bytes) to modified UTF-7, appended to out.  Returns 1, or 0 with
 * errno EILSEQ (invalid UTF-8) or from sa. */
int imaputf7_encode(const char *s, size_t n, sa *out);
/* Modified UTF-7 (n bytes) to UTF-8, appended to out.  Returns 1, or 0 with
 * errno EILSEQ (not canonical modified UTF-7) or from sa. */
int imaputf7_decode(const char *s, size_t n, sa *out);

#endif
