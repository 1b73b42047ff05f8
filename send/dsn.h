/* dsn.h: building an RFC 3464 delivery status notification (a bounce).
 * Pure: everything comes in as arguments, the message goes out in an sa
 * (LF line ends, as the queue stores messages). */
#ifndef YUBIN_SEND_DSN_H
#define YUBIN_SEND_DSN_H
#include <stddef.h>
#include <time.h>
#include "sa.h"
#include "state.h"

#define DSN_HEADERS_MAX ((size_t)64 << 10)   /* original headers copied, at most */

typedef struct dsn_in {
  const char *me;          /* control/me: Reporting-MTA and MAILER-DAEMON@me */
  const char *to;          /* the DSN's recipient (original sender, or doublebounceto) */
  const char *id;          /* queue id of the failed message */
  const char *boundary;    /* random, unique */
  time_t arrival, now;
  int doublebounce;        /* to the postmaster about a failed bounce */
  const failure *fail;
  size_t nfail;
  const char *orig;        /* the original message (headers are copied) */
  size_t origlen;
} dsn_in;

int dsn_build(sa *out, const dsn_in *in);
/* Length of the header block of a message (up to and including the empty
 * line, or all of it), capped at DSN_HEADERS_MAX at a line boundary. */
size_t dsn_header_len(const char *msg, size_t n);

#endif
