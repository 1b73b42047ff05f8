/* sort.h: SORT (RFC 5256, with RFC 5957 DISPLAY) and THREAD (RFC 5256)
 * and their UID forms; SORT RETURN (MIN MAX ALL COUNT SAVE) answers as
 * ESORT (RFC 5267) "* ESEARCH (TAG ..) ..." with tag, SAVE (RFC 5182) keeps
 * the selected messages as "$" (with MIN or MAX alone: those, in the sort
 * order) and alone answers nothing but the tagged OK.  p is after "SORT SP" or "THREAD SP".  They write
 * "* SORT ..." or "* THREAD ..." and return 1; 0 with p->err for BAD; -1
 * for NO when some message could not be read; -2 for NO with p->err. */
#ifndef YUBIN_IMAPD_SORT_H
#define YUBIN_IMAPD_SORT_H
#include <stddef.h>

#include "imapcmd.h"
#include "mailbox.h"

#define SORT_KEYS_MAX 16          /* sort criteria in one command */

int sort_command(mbox *mb, imap_parser *p, int uid, const char *tag, size_t taglen);
int thread_command(mbox *mb, imap_parser *p, int uid);

#endif
