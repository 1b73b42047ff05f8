/* data.h: the DATA and BDAT state machine (pure: no I/O, no allocation).
 *
 * DATA: the input is CRLF lines ending with CRLF "." CRLF.  A line that starts
 * with "." loses that dot (RFC 5321 4.5.2).  CRLF becomes LF in the output (the
 * queue stores LF, doc/queue.md).  Only CRLF "." CRLF ends the data: a bare LF
 * or a bare CR anywhere marks the message bad (it is refused after the data,
 * never split), and neither starts a new line, so "\n.\n", "\n.\r\n" and
 * "\r\n.\n" never end it (SMTP smuggling).
 * BDAT: the same CRLF checks and conversion, no dot handling, no end marker;
 * CR at the end of one chunk pairs with LF at the start of the next.
 *
 * Text lines are bounded (DATA_LINE_MAX octets including CRLF, RFC 5322 2.1.1),
 * the output size is bounded by a caller's limit (0: none); once a limit is
 * passed no more output is produced but the input is still consumed to its end. */
#ifndef YUBIN_SMTPD_DATA_H
#define YUBIN_SMTPD_DATA_H
#include <stddef.h>

#define DATA_LINE_MAX 1000

/* flags in data_state.bad */
#define DATA_BARE_LF   1u
#define DATA_BARE_CR   2u
#define DATA_LONG_LINE 4u
#define DATA_TOO_BIG   8u
#define DATA_NUL       16u

typedef struct data_state {
  int bdat;            /* BDAT mode: no dots, no end marker */
  int st;              /* internal */
  int done;            /* DATA: the end marker was seen */
  unsigned bad;        /* DATA_* flags */
  size_t line;         /* octets in the current line so far */
  unsigned long long size;  /* octets of output (LF line ends), counted past the limit too */
  unsigned long long limit; /* 0 = no limit */
  int eightbit;        /* saw a byte >= 0x80 */
} data_state;

void data_init(data_state *d, int bdat, unsigned long long limit);
/* Consumes input from in (n bytes) and writes output to out, which has room
 * for at least n + 1 bytes.  Returns the input bytes consumed: all n, or fewer
 * when the DATA end marker was seen (d->done; the rest belongs to the next
 * command).  *outn gets the output length. */
size_t data_feed(data_state *d, const char *in, size_t n, char *out, size_t *outn);
/* BDAT LAST: flushes a CR held at the very end (a bare CR) into out (room for
 * 1 byte); returns the output length. */
size_t data_end_bdat(data_state *d, char *out);

#endif
