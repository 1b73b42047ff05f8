/* wire.h: the SMTP client's parsers and encoders, pure functions over buffers
 * (no I/O), so they are unit-tested and fuzzed directly. */
#ifndef YUBIN_REMOTE_WIRE_H
#define YUBIN_REMOTE_WIRE_H
#include <stddef.h>
#include "sa.h"

#define REPLY_LINE_MAX 1024      /* bytes per reply line, RFC 5321 says 512 */
#define REPLY_LINES_MAX 100      /* lines per multi-line reply */
#define REPLY_TEXT_MAX 2048      /* the joined text kept for reports */

typedef struct reply {
  int code;        /* 200..599 once complete */
  size_t nlines;
  sa text;         /* lines joined by " / ", printable ASCII only */
  sa lines;        /* each line's text after "NNN-", NUL-terminated, in order */
} reply;
#define REPLY_ZERO { 0, 0, SA_ZERO, SA_ZERO }

void reply_reset(reply *r);
void reply_free(reply *r);
/* Feeds one reply line (with or without its CR LF).  Returns 1 when the reply
 * is complete, 0 when more lines follow, -1 for a malformed line or a reply
 * over its limits (errno EPROTO or ERANGE). */
int reply_feed(reply *r, const char *line, size_t len);

/* EHLO extensions we use. */
typedef struct ehlo_ext {
  int pipelining, starttls, eightbit, smtputf8, size, auth_plain, auth_login;
  unsigned long long size_max;   /* 0: no limit announced */
} ehlo_ext;
/* Reads the keywords of a complete EHLO reply (its lines after the first). */
void ehlo_parse(const reply *r, ehlo_ext *e);

/* Appends msg (LF or CRLF line ends) to out in SMTP DATA form: CRLF line ends,
 * a dot doubled at the start of a line, a final CRLF if the message lacks one,
 * and the terminating ".CRLF".  Returns 1 or 0 with errno. */
int wire_encode_data(const char *msg, size_t n, sa *out);
/* 1 if msg holds a byte >= 0x80. */
int wire_has_8bit(const char *msg, size_t n);

#endif
