/* results.h: turning what a delivery program wrote into reply lines
 * (send/spawn.h): yubin-local's status line and exit code, yubin-remote's
 * per-recipient lines (doc/spawn.md).  Pure: unit-tested and fuzzed. */
#ifndef YUBIN_SEND_RESULTS_H
#define YUBIN_SEND_RESULTS_H
#include <stddef.h>
#include "sa.h"

#define RESULT_TEXT_MAX 1000

/* yubin-local: exit status st (as from waitpid), its output. */
int results_local(sa *out, const char *rcpt, const char *o, size_t len, int st, int timedout);
/* yubin-remote: one line per recipient, in argv order; recipients without a
 * well-formed line of their own are temp "4.3.0 yubin-remote crashed"
 * ("4.4.2 remote delivery timed out" if it was killed for time). */
int results_remote(sa *out, const char *const *rcpt, size_t n, const char *o, size_t len, int timedout);

#endif
