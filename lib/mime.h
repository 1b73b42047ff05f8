/* mime.h: a bounded MIME structure parser over a message in a buffer, for
 * IMAP's BODYSTRUCTURE, BODY[section] and ENVELOPE.  Pure functions: no I/O
 * and no allocation; the caller owns the table of parts (BearSSL style).
 *
 * A message is a tree of parts.  Part 0 is the message itself.  A multipart
 * part has its children (the parts between its boundaries); a message/rfc822
 * part has one child, the encapsulated message.  Nesting deeper than
 * MIME_DEPTH_MAX, or more parts than the table holds, is not an error: the
 * part that would go deeper or past the end is kept as a leaf (its body
 * still addressable as bytes), so any input yields a usable tree.
 *
 * Lines may end in LF or CRLF. */
#ifndef YUBIN_MIME_H
#define YUBIN_MIME_H
#include <stddef.h>

#include "sa.h"

#define MIME_DEPTH_MAX 24          /* nesting of multiparts and messages */
#define MIME_BOUNDARY_MAX 70       /* RFC 2046: boundaries are 1 to 70 characters */
#define MIME_TOKEN_MAX 256         /* a type, subtype or parameter name */
#define MIME_COMMENT_DEPTH 16      /* nesting of ( comments ) in structured fields */

/* A run of bytes: in the caller's buffer, or a static default such as
 * "text".  The offset of a part's header or body is span.s - msg.buf. */
typedef struct mime_span {
  const char *s;
  size_t len;
} mime_span;

typedef struct mime_part {
  mime_span header;        /* the header block, blank line included when present */
  mime_span body;          /* everything after it, up to the part's end */
  mime_span type;          /* "text" when absent or unparsable (see mime_parse) */
  mime_span subtype;       /* "plain" likewise */
  mime_span ctype;         /* the Content-Type value (parameters follow the subtype) */
  mime_span params;        /* the parameter list inside ctype: after the subtype */
  mime_span encoding;      /* Content-Transfer-Encoding value, trimmed; len 0 if absent */
  mime_span id;            /* Content-ID, trimmed */
  mime_span description;   /* Content-Description, trimmed */
  mime_span disposition;   /* Content-Disposition, whole value */
  mime_span language;      /* Content-Language, trimmed */
  mime_span location;      /* Content-Location, trimmed */
  mime_span md5;           /* Content-MD5, trimmed */
  size_t lines;            /* lines in the body */
  int parent;              /* index of the parent, -1 for part 0 */
  int first_child;         /* -1 if none */
  int next_sibling;        /* -1 if none */
  int nchildren;
  int depth;               /* 0 for the message */
  int is_multipart;        /* type multipart with a usable boundary */
  int is_message;          /* message/rfc822 (or global) with a parsed child */
  int type_default;        /* no usable Content-Type: the default was taken */
} mime_part;

typedef struct mime_msg {
  const char *buf;
  size_t len;
  mime_part *parts;        /* the caller's table */
  size_t cap;              /* its size, at least 1 */
  size_t count;            /* parts in use */
} mime_msg;

/* Parses buf (n bytes) into m->parts (cap entries, cap >= 1).  Returns 1,
 * or 0 with errno EINVAL when cap is 0.  A part without a usable
 * Content-Type is text/plain, or message/rfc822 inside multipart/digest. */
int mime_parse(mime_msg *m, const char *buf, size_t n, mime_part *parts, size_t cap);

/* Finds a part by IMAP section number ("1.2.3", digits and dots only, no
 * leading zeros).  Per RFC 3501, in a message/rfc822 part the numbers go on
 * into the encapsulated message, and a non-multipart message has part 1 =
 * itself.  Returns the index, or -1 if there is no such part. */
int mime_section(const mime_msg *m, int from, const char *sec, size_t n);

/* Iterates the parameters of a structured field value (s, n: starting where
 * the parameters begin, e.g. mime_part.params; *pos from 0): each call reads
 * one "; name=value" and sets name and value (the value as written: a token,
 * or a quoted string with its quotes; see mime_unquote).  Returns 1 for a
 * parameter, 0 at the end or at the first syntax error (the rest is then
 * ignored, as a lenient reader must).  RFC 2231 continuations come back
 * under their raw names ("filename*0*") for the caller to join. */
int mime_param_next(const char *s, size_t n, size_t *pos, mime_span *name, mime_span *value);
/* The value of the parameter called name (ASCII case ignored), unquoted,
 * into value (replaced).  Returns 1 found, 0 not found or no memory. */
int mime_param_get(mime_span params, const char *name, sa *value);
/* A value as mime_param_next gives it, without quotes and backslashes, into
 * out (replaced).  Returns 1, or 0 with errno. */
int mime_unquote(mime_span v, sa *out);

/* The first token of a structured value (the disposition type, e.g.
 * "attachment") in tok, and in params what follows it.  Returns 1, 0 if
 * there is none. */
int mime_first_token(mime_span v, mime_span *tok, mime_span *params);

/* 1 if span sp equals s ignoring ASCII case. */
int mime_is(mime_span sp, const char *s);

#endif
