/* flagwatch.h: flag changes made by other sessions (or by any program that
 * renames a message in cur/), told to this session as untagged
 * "* n FETCH (FLAGS (...))" after a refresh of the selected mailbox
 * (RFC 3501 section 7.4.2: NOOP, CHECK, IDLE and the end of other commands). */
#ifndef YUBIN_IMAPD_FLAGWATCH_H
#define YUBIN_IMAPD_FLAGWATCH_H
#include "mailbox.h"

/* Notes the flags of every message of mb, before mbox_refresh.  Returns 1,
 * or 0 when out of memory (flagwatch_end then reports nothing). */
int flagwatch_begin(const mbox *mb);
/* After mbox_refresh: a FETCH FLAGS response for each message still there
 * whose flags (system flags or other flag letters of its name) changed. */
void flagwatch_end(const mbox *mb);

#endif
