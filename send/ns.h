/* ns.h: the framing between yubin-send and its helpers (yubin-lspawn,
 * yubin-rspawn, yubin-clean): netstrings, "LEN:DATA,", LEN decimal without
 * leading zeros, at most NS_MAX bytes of data.  Read strictly: anything else
 * (a bad length, a missing ',', a record over the limit) is a protocol error
 * and the reader exits.  A channel is a pair of non-blocking pipe ends with an
 * input and an output buffer, so neither side ever blocks on the other. */
#ifndef YUBIN_SEND_NS_H
#define YUBIN_SEND_NS_H
#include <stddef.h>
#include "sa.h"

#define NS_MAX ((size_t)1 << 20)   /* one record: 100 recipients and their texts fit */
#define NS_LEN_DIGITS 7            /* enough for NS_MAX */

/* Parses one netstring at the start of buf (n bytes).
 * Returns 1 with *data and *dlen set and *used = bytes consumed; 0 if more
 * bytes are needed; -1 on a framing error (errno EPROTO). */
int ns_parse(const char *buf, size_t n, const char **data, size_t *dlen, size_t *used);
/* Appends the netstring of data to out. */
int ns_append(sa *out, const char *data, size_t dlen);

typedef struct chan {
  int rfd, wfd;
  sa in, out;
  size_t inpos;     /* bytes of in already consumed */
  int eof;          /* the reading end saw EOF */
} chan;

void chan_init(chan *c, int rfd, int wfd);
/* Reads what is available (non-blocking).  Returns 1, 0 at EOF, -1 on error. */
int chan_fill(chan *c);
/* Next complete record: 1 (data valid until the next chan_* call), 0 none yet,
 * -1 framing error. */
int chan_next(chan *c, const char **data, size_t *dlen);
/* Queues a record for output. */
int chan_put(chan *c, const char *data, size_t dlen);
/* Writes what can be written now.  Returns 1, -1 on error (EPIPE...). */
int chan_flush(chan *c);
/* Output waiting? */
int chan_pending(const chan *c);

#endif
