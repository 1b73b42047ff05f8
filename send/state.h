/* state.h: the files yubin-send reads and writes (send/README.md).
 * Pure functions over buffers: no I/O, so they are unit-tested and fuzzed.
 *
 *   todo/BB/ID    the envelope written by yubin-queue (doc/queue.md; parsed
 *                 by lib/envelope.c)
 *   info/BB/ID    b<birth, unix seconds>\0 u<uid>\0 p<pid>\0 F<sender>\0
 *   local/BB/ID   one record per local recipient:  T<address>\0
 *   remote/BB/ID  the same for remote recipients
 *                 a delivered or failed recipient has its T overwritten by D
 *   bounce/BB/ID  failures waiting for their DSN, one line each:
 *                 STATUS TAB RECIPIENT TAB HOST TAB TEXT LF */
#ifndef YUBIN_SEND_STATE_H
#define YUBIN_SEND_STATE_H
#include <stddef.h>
#include "sa.h"

#define STATE_ADDR_MAX 1000            /* one address in any of these files */
#define STATE_TEXT_MAX 1000            /* one diagnostic text */

typedef struct info {
  unsigned long long birth, uid, pid;
  const char *sender;
} info;

int info_format(sa *out, const info *in);
/* Parses an info file (all n bytes).  1 ok, 0 malformed. */
int info_parse(const char *buf, size_t n, info *in);

/* Walks the records of a recipient file.  *pos is the cursor (start at 0 or
 * rcpt_off).  Returns 1 with *mark ('T' or 'D'), *addr (NUL-terminated in
 * buf) and *at (offset of the mark byte); 0 at the end; -1 if malformed. */
int rcpt_next(const char *buf, size_t n, size_t *pos, char *mark, const char **addr, size_t *at);
/* Validates a whole recipient file: 1 ok (*pending = T records), 0 malformed. */
int rcpt_check(const char *buf, size_t n, size_t *pending);

typedef struct failure {
  char status[16];                    /* "5.1.1" */
  const char *rcpt, *host, *text;     /* into the buffer, NUL-terminated by parsing */
} failure;

/* Appends one bounce line; TAB, LF and NUL in the fields are replaced. */
int bounce_line(sa *out, const char *status, const char *rcpt, const char *host, const char *text);
/* Parses the next bounce line at *pos, turning its TABs and LF into NULs in
 * place.  1 with *f set, 0 at the end, -1 malformed. */
int bounce_next(char *buf, size_t n, size_t *pos, failure *f);

/* The enhanced status code at the start of text ("5.1.1 ..." or
 * "550 5.1.1 ..."), copied into out; else dflt. */
void status_of(const char *text, const char *dflt, char out[16]);

#endif
