/* condstore.h: CONDSTORE and QRESYNC (RFC 7162) in a session: what the
 * client enabled, the selected folder's mod-sequences (modseq.h), and the
 * pieces the commands call.  A session that enables neither and uses no
 * CONDSTORE parameter never reads the mod-sequence file: every hook below
 * returns at once. */
#ifndef YUBIN_CONDSTORE_H
#define YUBIN_CONDSTORE_H
#include <stddef.h>
#include <stdint.h>

#include "imapcmd.h"
#include "mailbox.h"
#include "sa.h"

int cs_condstore(void);   /* CONDSTORE enabled (also by QRESYNC or a CONDSTORE parameter) */
int cs_qresync(void);     /* QRESYNC enabled: VANISHED instead of EXPUNGE */

/* ENABLE: p is after "ENABLE"; writes "* ENABLED ...", and HIGHESTMODSEQ
 * when CONDSTORE is newly enabled with a mailbox selected (mb, else NULL).
 * 1, or 0 with p->err (BAD). */
int cs_enable_command(imap_parser *p, mbox *mb);

/* SELECT/EXAMINE parameters (RFC 4466): "(CONDSTORE)" and
 * "(QRESYNC (uidvalidity modseq [known-uids [seq-match]]))". */
typedef struct cs_select {
  int condstore;
  int qresync;
  uint32_t uidvalidity;
  uint64_t modseq;
  sa known;             /* known-uids as sent, empty for all */
} cs_select;
#define CS_SELECT_ZERO { 0, 0, 0, 0, SA_ZERO }
/* At " (" after the mailbox name: parses the parameters.  1, or 0 with p->err. */
int cs_select_parse(imap_parser *p, cs_select *sel);
/* After SELECT's untagged responses: HIGHESTMODSEQ, and for QRESYNC the
 * VANISHED (EARLIER) and FETCH responses the client needs. */
void cs_select_done(mbox *mb, cs_select *sel);
/* The selected folder is closed: its table is dropped. */
void cs_unselect(void);

/* HIGHESTMODSEQ of the folder dir for STATUS (or LIST-STATUS), 0 if it
 * cannot be opened: the selected folder's as this session may tell it,
 * another's from its file brought up to date.  A CONDSTORE enabling use. */
uint64_t cs_highest_of(const char *dir);

/* FETCH: cs_fetch_prepare takes the modifiers "(CHANGEDSINCE n [VANISHED])"
 * off the end of the command (p->n shortened) and writes VANISHED
 * (EARLIER); 1, or 0 with p->err.  cs_fetch_wanted says whether message i
 * passes CHANGEDSINCE; cs_fetch_item adds "MODSEQ (n)" to a FETCH response
 * when asked for, with CHANGEDSINCE, or with FLAGS once enabled, and then
 * "UID n" too unless uid_sent (RFC 7162 3.1; first: no item written yet).
 * cs_done ends any command that used these. */
int cs_fetch_prepare(mbox *mb, imap_parser *p, int uid);
int cs_fetch_wanted(mbox *mb, size_t i);
void cs_fetch_item(mbox *mb, size_t i, int asked, int flags_sent, int uid_sent, int first);
/* Will cs_fetch_item add anything (asked: MODSEQ was asked for; flags:
 * FLAGS will be sent)? */
int cs_fetch_adds(int asked, int flags);
void cs_done(mbox *mb);

/* STORE: the modifier "(UNCHANGEDSINCE n) " after the set, the lock held
 * during the changes, MODSEQ in the FETCH responses, [MODIFIED set]. */
typedef struct cs_store {
  int active;          /* CONDSTORE on or UNCHANGEDSINCE given */
  int has_unchanged;
  uint64_t unchanged;
  int lockfd;
  uint64_t next;       /* the mod-sequence the changes get */
  sa modified;         /* the numbers that failed UNCHANGEDSINCE */
  uint32_t mlo, mhi;
} cs_store;
#define CS_STORE_ZERO { 0, 0, 0, -1, 0, SA_ZERO, 0, 0 }
int cs_store_parse(imap_parser *p, cs_store *st);
void cs_store_begin(mbox *mb, cs_store *st);
/* 1 if message i may be changed; else it is added to the MODIFIED set
 * (num: its sequence number or UID). */
int cs_store_allowed(mbox *mb, size_t i, cs_store *st, uint32_t num);
/* Should a FETCH response be written for a changed message even with .SILENT? */
int cs_store_reports(const cs_store *st);
/* " MODSEQ (n)" after the UID the FETCH response then starts with. */
void cs_store_item(mbox *mb, size_t i, const cs_store *st, int changed);
/* Ends the STORE; writes the tagged reply and returns 1 when some messages
 * failed UNCHANGEDSINCE (OK [MODIFIED ...], or NO [MODIFIED ...] when
 * failed: others could not be changed), else returns 0. */
int cs_store_end(mbox *mb, cs_store *st, const char *tag, size_t tl, int failed);

/* Around anything that may remove messages from mb (EXPUNGE, UID EXPUNGE,
 * MOVE, updates from other sessions): with QRESYNC, EXPUNGE responses are
 * left out (the gone callback checks cs_qresync) and cs_change_end writes
 * "* VANISHED uids" when report is set; with CONDSTORE it also records the
 * changes and reports other sessions' flag changes with MODSEQ. */
void cs_change_begin(mbox *mb);
void cs_change_end(mbox *mb, int report);
/* "[HIGHESTMODSEQ n] " for the tagged OK of EXPUNGE, UID EXPUNGE and MOVE
 * once CONDSTORE is on (RFC 7162 3.2.10), else "".  Valid until the next call. */
const char *cs_highest_code(mbox *mb);

/* SEARCH key MODSEQ [entry-name entry-type] n: p is after "MODSEQ".
 * Returns 1/0 for message i, -1 with p->err for bad syntax.  cs_search_note
 * is told of each match; cs_search_tail writes " (MODSEQ n)" when the key
 * was used and something matched; cs_search_reset starts a SEARCH. */
int cs_search_key(imap_parser *p, mbox *mb, size_t i);
void cs_search_reset(void);
void cs_search_note(mbox *mb, size_t i);
void cs_search_tail(void);
/* The same for a search that marks its matches in hit[0..mb->n) first, and
 * " MODSEQ n" for an ESEARCH response (RFC 7162 3.1.5). */
void cs_search_hits(mbox *mb, const unsigned char *hit);
void cs_esearch_tail(void);

#endif
