/* msg.h: the sendmail wrapper's message handling, pure functions over
 * buffers (unit-tested in msg_test.c).
 *
 * The input filter turns CRLF into LF and, unless told to ignore dots
 * (-i, -oi), ends the message at a line holding a single ".". */
#ifndef YUBIN_QUEUE_MSG_H
#define YUBIN_QUEUE_MSG_H
#include <stddef.h>

#include "sa.h"

typedef struct msgfilter {
  int dot_ends;   /* a lone "." line ends the input */
  int bol;        /* at the beginning of a line */
  int held_dot;   /* a "." at the beginning of a line, not yet written */
  int held_cr;    /* a CR, not yet written */
  int done;       /* the "." line was seen: ignore the rest */
} msgfilter;

void msgf_init(msgfilter *m, int dot_ends);
/* Filters n bytes of input into out, which must have room for n + 2 bytes;
 * returns the number of bytes written.  After m->done, input is ignored. */
size_t msgf_feed(msgfilter *m, const char *in, size_t n, char *out);
/* At the end of input: writes what is held (at most 2 bytes). */
size_t msgf_end(msgfilter *m, char *out);

/* Appends a From: field for addr with display name (may be NULL or empty):
 * printable ASCII names as a quoted string, others as an RFC 2047 encoded
 * word (UTF-8, base64).  Returns 1, or 0 with errno. */
int msg_from_field(sa *out, const char *name, const char *addr);

#endif
