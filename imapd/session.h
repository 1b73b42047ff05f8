/* session.h: one IMAP session after login (RFC 3501 authenticated and
 * selected states), reading commands on fd 0 and answering on fd 1. */
#ifndef YUBIN_SESSION_H
#define YUBIN_SESSION_H

#include "mailbox.h"

#define SESSION_CAPABILITIES "IMAP4rev1 LITERAL+ UIDPLUS MOVE IDLE UNSELECT NAMESPACE ID ENABLE CHILDREN SPECIAL-USE ESEARCH SEARCHRES SORT SORT=DISPLAY ESORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES LIST-EXTENDED LIST-STATUS CREATE-SPECIAL-USE CONDSTORE QRESYNC"

typedef struct session {
  char id[32];             /* for log lines */
  const char *maildir;     /* INBOX; other folders are its ".NAME" subfolders */
  int timeout_ms;
  int greeting;            /* send "* PREAUTH" first */
  const char *pending;     /* client input the login stage had read already */
  size_t npending;         /* at most IMAP_LINE_MAX */
  int selected;
  mbox mb;
} session;

/* Runs the session to LOGOUT or the end of input.  Returns 0. */
int session_run(session *s);

#endif
