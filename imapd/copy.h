/* copy.h: putting messages into a folder: APPEND, COPY and MOVE, with the
 * UIDs they get (UIDPLUS, RFC 4315). */
#ifndef YUBIN_COPY_H
#define YUBIN_COPY_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "imapcmd.h"
#include "mailbox.h"
#include "sa.h"

/* Writes a message (CRLF or LF line ends; stored with LF) into the Maildir
 * dir with flags, the keyword letters kw (dir's letters: keywords.h) and,
 * when t is not 0, t as its INTERNALDATE.  Sets
 * *validity and *uid.  Returns 1, or 0 with errno. */
int copy_append(const char *dir, const char *data, size_t n, unsigned flags, uint32_t kw, time_t t,
                uint32_t *validity, uint32_t *uid);
/* Copies the messages of src whose indexes are in idx (k of them) into the
 * Maildir dir (hard links), keeping flags and dates; kw[j] (when kw is not
 * NULL) are the keyword letters in dir of the j-th copy.  Appends the source
 * and the new UIDs, comma separated, to srcuids and dstuids.  Returns 1, or
 * 0 with errno (then nothing was copied that a client could see... except
 * what a concurrent session may have listed; the new files are removed). */
int copy_messages(mbox *src, const size_t *idx, size_t k, const uint32_t *kw, const char *dir,
                  uint32_t *validity,
                  sa *srcuids, sa *dstuids);

#endif
