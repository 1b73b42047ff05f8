/* thread.h: THREAD=ORDEREDSUBJECT and THREAD=REFERENCES (RFC 5256 section
 * 3).  Pure: no I/O.  The caller gives each message's number, sent date
 * and base subject as a rank (strrank.h: equal subjects equal ranks, in
 * octet order, 0 for none); for REFERENCES it streams each message's
 * Message-ID, References and In-Reply-To through thread_refs_add, which
 * keeps only 64-bit keyed hashes of the ids, never their text (two ids
 * with equal hashes, one chance in 2^64 per pair, count as one).  Memory:
 * about 26 octets per message and per id that is no message's during step
 * 1, 12 after it, the output handed out as it is made; at most THREAD_REFS_MAX
 * ids taken from one References (the last ones, which name the parent);
 * at most THREAD_EXTRA_IDS ids that are no message's; no recursion
 * (explicit stacks); ancestor walks bounded by THREAD_DEPTH_MAX. */
#ifndef YUBIN_IMAPD_THREAD_H
#define YUBIN_IMAPD_THREAD_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sa.h"

#define THREAD_REFS_MAX 128     /* message ids taken from one References (the last ones) */
#define THREAD_EXTRA_IDS (1L << 18)  /* ids referred to but no message's: past it new ones are ignored */
#define THREAD_DEPTH_MAX 1024   /* a link deeper than this is not made */
#define THREAD_ID_MAX 998       /* a message id longer than this is ignored */

typedef struct thread_msg {
  uint32_t num;            /* what the response shows: sequence number or UID */
  unsigned subject : 31;   /* rank of the base subject (< 2^31); 0: empty */
  unsigned reply : 1;      /* the subject had a reply or forward marker */
  time_t date;             /* the sent date (Date, else INTERNALDATE) */
} thread_msg;

/* Given the output so far (out->s, out->len octets): writes it out. */
typedef void thread_flush(const char *s, size_t n);

/* The threads of m[0..n-1] (in sequence order, which breaks date ties) as
 * IMAP's thread-list, e.g. "(1 2)(3 (4)(5))", appended to out; with flush,
 * out is handed to it and emptied whenever it holds THREAD_FLUSH octets (the
 * rest stays in out).  Return 1, or 0 with errno (ENOMEM, ERANGE). */
#define THREAD_FLUSH 16384
int thread_orderedsubject(const thread_msg *m, size_t n, sa *out, thread_flush *flush);

typedef struct thread_refs thread_refs;
/* For n messages.  NULL: ENOMEM or ERANGE. */
thread_refs *thread_refs_new(size_t n);
/* Step 1 for the next message (0, 1, ... in sequence order): its
 * Message-ID, References and In-Reply-To field values, NUL-terminated, or
 * NULL when absent.  Returns 1, or 0 with errno (ENOMEM, ERANGE past n
 * messages). */
int thread_refs_add(thread_refs *t, const char *msgid, const char *refs, const char *inreplyto);
/* Steps 2 to 7 over the n messages added, m as for ORDEREDSUBJECT.  Once
 * only. */
int thread_references(thread_refs *t, const thread_msg *m, size_t n, sa *out, thread_flush *flush);
void thread_refs_free(thread_refs *t);

#endif
