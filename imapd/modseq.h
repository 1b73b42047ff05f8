/* modseq.h: per-folder mod-sequences (RFC 7162 CONDSTORE and QRESYNC).
 *
 * FOLDER/yubin-imap.modseq records, for the folder's UIDVALIDITY, the
 * HIGHESTMODSEQ, each message's mod-sequence and the state it had then (a
 * hash of its flags and keywords), and the UIDs expunged since, as ranges
 * with the mod-sequence of their expunge:
 *
 *   yubin-imap-modseq 1 UIDVALIDITY HIGHESTMODSEQ FLOOR
 *   m UID MODSEQ STATE          (one per message, increasing UID; STATE hex)
 *   g LO HI MODSEQ              (expunged UIDs LO..HI, increasing, disjoint)
 *   end COUNT                   (the number of m and g lines)
 *
 * Nothing else writes the file: the mod-sequences come from comparing the
 * folder as a session sees it with the file (modseq_merge), under the
 * folder's flock (mailbox.h MBOX_LOCK_FILE).  So a change made by a session
 * that never enabled CONDSTORE, by POP3 or by a delivery is seen at the next
 * comparison and given a new mod-sequence, and sessions that do not use
 * CONDSTORE never read or write the file.
 *
 * HIGHESTMODSEQ never goes down: when the file is missing, damaged or for
 * another UIDVALIDITY, the table starts again at the largest of what was
 * known, what the damaged file's first line still says, and the current
 * time in microseconds (one change per microsecond is never reached), and
 * every message gets that new mod-sequence.  (A new folder starts there
 * too: about 1.8e15 today, below 2^53 until the 2250s, so clients that keep
 * numbers as doubles read them exactly.)  The expunge history before
 * FLOOR is incomplete (lost, or compacted away): a client that knows a
 * mod-sequence below FLOOR is told that every UID of its range that does
 * not exist has vanished, as RFC 7162 3.2.5.1 allows. */
#ifndef YUBIN_MODSEQ_H
#define YUBIN_MODSEQ_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "imapcmd.h"
#include "sa.h"

#define MODSEQ_FILE "yubin-imap.modseq"
#define MODSEQ_FILE_MAX ((size_t)64 << 20)   /* bytes read from the file */
#define MODSEQ_GONE_MAX 2048                 /* expunged ranges kept */
#define MODSEQ_MAX 0x7fffffffffffffffULL     /* RFC 7162: 63 bits */

typedef struct ms_entry {
  uint32_t uid;
  uint32_t state;
  uint64_t modseq;
} ms_entry;

typedef struct ms_gone {
  uint32_t lo, hi;
  uint64_t modseq;
} ms_gone;

/* A message as the session sees it now. */
typedef struct ms_view {
  uint32_t uid;
  uint32_t state;
} ms_view;

typedef struct modseq {
  uint32_t uidvalidity;    /* 0: nothing valid loaded (start again at merge) */
  uint64_t highest;
  uint64_t reportable;     /* the HIGHESTMODSEQ to tell the client whose view was merged last:
                              below every change that view has not seen (RFC 7162 3.2) */
  uint64_t floor;
  uint64_t lower_bound;    /* the least the next HIGHESTMODSEQ may be */
  const char *restarted;   /* set when the table started again: "new", "missing",
                              "damaged" or "uidvalidity" (for a log line; the caller clears it) */
  ms_entry *e;             /* by increasing UID */
  size_t n, cap;
  ms_gone *g;              /* by increasing UID */
  size_t ng, gcap;
  /* the file as last read or written, to skip reading it again */
  int have_id;
  dev_t dev;
  ino_t ino;
  off_t size;
  struct timespec mtime;
} modseq;

#define MODSEQ_ZERO { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, { 0, 0 } }

void modseq_free(modseq *ms);

/* Reads the file's text into ms (replacing it).  1 ok; 0 when the text is
 * not a complete, well-formed file (ms is then empty, with uidvalidity 0,
 * and lower_bound raised to what the first line says, if it says it).  Pure. */
int modseq_parse(modseq *ms, const char *buf, size_t n);
/* The file's text for ms into out (replaced).  1, or 0 with errno. */
int modseq_format(const modseq *ms, sa *out);

/* Compares the table with the messages v[0..nv-1] (by increasing UID) of a
 * folder whose UIDVALIDITY is validity, listed when its UIDNEXT was
 * view_next (so every UID below it had been given out); now is a lower
 * bound for a table that starts again (the time in microseconds).  Messages
 * whose state differs, new messages, and messages gone (a UID in the table
 * below view_next that the view lacks) all get one new mod-sequence.  A UID
 * the view has and the table records as expunged (a view older than the
 * file) and table UIDs from view_next on (newer than the view) are left
 * alone.  Returns 1 if the table changed, 0 if not, -1 with errno when out
 * of memory (the table may then be half merged: start again). */
int modseq_merge(modseq *ms, const ms_view *v, size_t nv, uint32_t validity, uint32_t view_next,
                 uint64_t now);

/* The mod-sequence of a message, 0 when the table lacks it (expunged, or
 * newer than the table). */
uint64_t modseq_of(const modseq *ms, uint32_t uid);

/* The UIDs of set (resolved, sorted ranges) that vanished after since, as a
 * sequence set into out (replaced; empty if none): the expunged ranges
 * newer than since, or, when since is below the floor, every UID below
 * uidnext the table does not hold.  1, or 0 with errno. */
int modseq_vanished(const modseq *ms, uint64_t since, const imap_range *set, size_t nset,
                    uint32_t uidnext, sa *out);

/* The file: modseq_sync takes the folder's lock, reads the file if it
 * changed since ms last saw it, merges the view, writes the file if the
 * table changed, and releases the lock.  1, or 0 with errno (ms then holds
 * the merged table even if it could not be written). */
int modseq_sync(modseq *ms, const char *dir, uint32_t validity, uint32_t view_next, const ms_view *v,
                size_t nv);
/* The same in two steps, for a caller that changes messages in between
 * (STORE UNCHANGEDSINCE): modseq_lock returns the lock's descriptor or -1;
 * modseq_sync_locked does the rest of modseq_sync under it. */
int modseq_lock(const char *dir);
int modseq_sync_locked(modseq *ms, const char *dir, uint32_t validity, uint32_t view_next,
                       const ms_view *v, size_t nv);
void modseq_unlock(int fd);

#endif
