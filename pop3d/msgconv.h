/* msgconv.h: a stored message (lines ending in LF, or CRLF) as POP3 sends
 * it: every line ending in CRLF, and for RETR/TOP a '.' doubled at the start
 * of a line.  The same state machine counts the octets LIST and STAT report,
 * so the sizes are exactly what RETR sends (without the stuffing and the
 * final ".\r\n", as RFC 1939 counts them).  Pure: no I/O, no allocation.
 *
 * Rules: a line ends at LF; a CR right before that LF is part of the line
 * end; any other CR is data.  A last line without LF gets CRLF.  TOP n sends
 * the header, the empty line after it, and n lines of the body. */
#ifndef YUBIN_MSGCONV_H
#define YUBIN_MSGCONV_H
#include <stddef.h>

typedef struct msgconv {
  int stuff;              /* double leading dots (sending) */
  int bol;                /* at the beginning of a line */
  int cr;                 /* a CR seen, not yet sent */
  int in_body;            /* the empty line after the header has passed */
  int limited;            /* TOP: count body lines */
  unsigned long lines;    /* TOP: body lines still to send */
  int done;               /* TOP: everything wanted has been produced */
} msgconv;

/* stuff: 1 to dot-stuff; top_lines: -1 for the whole message, else TOP's n. */
void msgconv_init(msgconv *m, int stuff, long top_lines);
/* Converts n input bytes into out, which must hold 2 * n bytes.  Returns the
 * number of bytes written.  Once m->done is set the rest is ignored. */
size_t msgconv_feed(msgconv *m, const char *in, size_t n, char *out);
/* Ends the message: writes at most 2 bytes (a missing final CRLF). */
size_t msgconv_finish(msgconv *m, char *out);

#endif
