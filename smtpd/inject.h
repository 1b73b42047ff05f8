/* inject.h: handing a message to the queue injector (the qmail-queue
 * interface, DESIGN.md): ROOT/bin/yubin-queue, or the filter program named by
 * YUBINQUEUE (lib/queueprog.h starts it).  The message goes down a pipe on the injector's fd 0 while it
 * is received; the envelope down a pipe on its fd 1 once the message is
 * complete.  A message that must not be queued is abandoned by closing both
 * pipes without an envelope: the injector then fails and commits nothing
 * (it runs setuid as another user, so it cannot be killed). */
#ifndef YUBIN_SMTPD_INJECT_H
#define YUBIN_SMTPD_INJECT_H
#include <stddef.h>

#include "queueprog.h"

#define INJECT_BUF 65536

typedef struct inject {
  queueprog qp;
  int running;
  int werr;            /* a write failed (the injector went away) */
  size_t n;
  char buf[INJECT_BUF];
} inject;

/* Starts the injector.  Returns 1, or 0 with errno. */
int inject_start(inject *q);
/* Buffers message bytes; a failed write is remembered, not reported. */
void inject_write(inject *q, const char *b, size_t n);
/* Sends the rest of the message and the envelope (env, envlen bytes, the
 * whole F...\0T...\0\0 text), waits for the injector.  Returns its exit code
 * (81 if it was killed by a signal), or -1 if it could not be waited for. */
int inject_finish(inject *q, const char *env, size_t envlen);
/* Abandons the message: nothing is queued.  Waits for the injector. */
void inject_abort(inject *q);

/* The reply for an injector exit code (not 0): "451 4.3.0 ..." etc.,
 * a static string without CRLF. */
const char *inject_reply(int code);

#endif
