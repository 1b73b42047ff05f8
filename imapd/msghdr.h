/* msghdr.h: what SEARCH, SORT and THREAD need of a message in the selected
 * mailbox without the whole message: a header field's value, the size and
 * the INTERNALDATE.  From the folder's cache when it has them, else from the
 * file. */
#ifndef YUBIN_MSGHDR_H
#define YUBIN_MSGHDR_H
#include <stddef.h>
#include <time.h>

#include "mailbox.h"
#include "sa.h"

/* The value of the first header field named name (ASCII case ignored) of
 * message i into out (replaced): unfolded (line breaks removed), white space
 * at both ends removed, not decoded.  Returns 1 found, 0 absent, -1 the
 * message could not be read (errno). */
int msghdr_get(mbox *mb, size_t i, const char *name, sa *out);
/* RFC822.SIZE (the size with CRLF line ends), or -1 (errno). */
long long msghdr_size(mbox *mb, size_t i);
/* INTERNALDATE (the file's modification time), or (time_t)-1 (errno). */
time_t msghdr_internaldate(mbox *mb, size_t i);

#endif
