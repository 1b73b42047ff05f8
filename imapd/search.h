/* search.h: SEARCH criteria evaluated over the selected mailbox, for
 * SEARCH, SORT and THREAD; and the saved search result of SEARCHRES
 * (RFC 5182), the "$" of sequence sets. */
#ifndef YUBIN_IMAPD_SEARCH_H
#define YUBIN_IMAPD_SEARCH_H
#include <stddef.h>
#include <stdint.h>

#include "imapcmd.h"
#include "mailbox.h"

/* The charset of the criteria (p at it): US-ASCII or UTF-8.  Returns 1,
 * 0 with p->err for a syntax error (BAD), -2 with p->err for an unknown
 * charset (NO [BADCHARSET]). */
int search_charset(imap_parser *p);
/* Evaluates the criteria from p->pos to the end of the command for every
 * message: hit[i] 1 or 0 (hit has mb->n entries; may be NULL when the
 * mailbox is empty, the syntax is then checked alone).  Returns 1, 0 with
 * p->err for BAD, -1 when some message could not be read (hit holds what
 * could be decided). */
int search_match(mbox *mb, imap_parser *p, unsigned char *hit);

/* ESEARCH result options (RFC 4731): p after "RETURN SP" at
 * "(" [option *(SP option)] ")" SP.  The RET_ bits (RET_ALL for "()"),
 * or -1 with p->err for BAD. */
enum { RET_MIN = 1, RET_MAX = 2, RET_ALL = 4, RET_COUNT = 8, RET_SAVE = 16 };
int search_return_options(imap_parser *p);

/* The saved result: cleared by SELECT, EXAMINE, CLOSE and UNSELECT. */
void searchres_reset(void);
/* Saves the messages i with hit[i] set (their UIDs, so expunges drop out). */
int searchres_save(const mbox *mb, const unsigned char *hit);
/* Fills set (which imap_seqset_parse left with searchres set) with the
 * saved messages still in mb, as sequence numbers or UIDs.  Returns 1, or 0
 * with p->err-style reason in *why when they need more ranges than the set
 * holds. */
int searchres_fill(const mbox *mb, imap_seqset *set, int uid, const char **why);

#endif
