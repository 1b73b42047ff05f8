/* rfc2047.h: RFC 2047 encoded words ("=?charset?B|Q?text?=") in header
 * field values, decoded to UTF-8; and text in a named charset converted to
 * UTF-8 (glibc iconv for what is not UTF-8, US-ASCII or ISO-8859-1).
 * Pure functions over buffers: no I/O (iconv's conversion tables aside).
 *
 * Decoding is lenient the way mail readers are: encoded words are taken
 * anywhere in the value, not only between white space; white space between
 * two encoded words is dropped and their octets joined before conversion
 * (a UTF-8 character split over two words comes out whole); a word that is
 * malformed, has an unknown charset, or does not convert is left exactly as
 * written.  Text outside encoded words is copied as it is. */
#ifndef YUBIN_RFC2047_H
#define YUBIN_RFC2047_H
#include <stddef.h>

#include "sa.h"

#define RFC2047_CHARSET_MAX 40     /* a charset name longer than this is not one */
#define RFC2047_OUT_MAX ((size_t)1 << 20)  /* octets one call may produce */

/* Decodes the encoded words of s (n octets) into out (replaced).  Returns 1,
 * or 0 with errno (ENOMEM; ERANGE when the result would pass
 * RFC2047_OUT_MAX or out's cap). */
int rfc2047_decode(const char *s, size_t n, sa *out);

/* Converts s (n octets) from the charset named cs (cslen octets, any ASCII
 * case, an RFC 2231 "*language" suffix ignored) to UTF-8, appended to out.
 * Returns 1; 0 with errno EINVAL for an unknown charset or input that does
 * not convert (out is then as it was), ERANGE (past out's cap) or ENOMEM.
 * Unlike rfc2047_decode, not limited to RFC2047_OUT_MAX: for whole bodies. */
int rfc2047_to_utf8(const char *cs, size_t cslen, const char *s, size_t n, sa *out);

#endif
