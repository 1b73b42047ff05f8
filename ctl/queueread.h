/* queueread.h: reading ROOT/queue for yubinctl queue list|stat.  All of the
 * knowledge of the queue's layout that yubinctl uses is in queueread.c:
 * mess/BB/ID is every message in the queue; todo/BB/ID holds the envelope of
 * a message yubin-send has not yet taken in (doc/queue.md).  A message with
 * no todo entry has been taken in by yubin-send: its sender is in info/BB/ID
 * and its recipients still to do in local/BB/ID and remote/BB/ID
 * (send/README.md, "The state files").  A message with neither is being
 * injected or removed, and is listed with no envelope. */
#ifndef YUBIN_CTL_QUEUEREAD_H
#define YUBIN_CTL_QUEUEREAD_H
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "addr.h"
#include "sa.h"
#include "uniq.h"

#define QREAD_ENVELOPE_MAX ((size_t)1 << 20)

#define QREAD_TODO 0      /* waiting for yubin-send */
#define QREAD_SENDING 1   /* taken in by yubin-send */

typedef struct qmsg {
  char id[QUEUE_ID_LEN + 1];
  int state;
  time_t injected;      /* from the id */
  off_t size;           /* bytes of mess/BB/ID */
  unsigned long uid;    /* injecting uid, when known */
  char sender[ADDR_MAX + 1];
  sa rcpts;             /* recipients, each NUL-terminated */
  size_t nrcpts;
} qmsg;

/* Parses an envelope file (doc/queue.md): u, p, F, T... lines, each ended by
 * NUL, then a final NUL.  Returns 1, or 0 (EINVAL) when malformed. */
int qread_envelope(const char *s, size_t n, qmsg *m);
/* Parses yubin-send's info file: b<birth>\0 u<uid>\0 p<pid>\0 F<sender>\0.
 * Sets sender, uid and injected.  1, or 0 (EINVAL). */
int qread_info(const char *s, size_t n, qmsg *m);
/* Parses a local/ or remote/ file: T<address>\0 (to do) or D<address>\0
 * (done) records; appends the addresses still to do.  1, or 0 (EINVAL). */
int qread_rcpts(const char *s, size_t n, qmsg *m);
/* Calls fn for every message in the queue.  Returns 1, 0 with errno, or
 * fn's 0 to stop. */
int qread_each(const char *root, int (*fn)(const qmsg *m, void *arg), void *arg);

#endif
