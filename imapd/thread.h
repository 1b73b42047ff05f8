/* thread.h: THREAD=ORDEREDSUBJECT and THREAD=REFERENCES (RFC 5256 section
 * 3) over what the caller gathered of each message.  Pure: no I/O; memory
 * in proportion to the messages and their references (at most
 * THREAD_REFS_MAX per message, fewer when the messages would need more than
 * THREAD_IDS_MAX: the last references, the ones that name the parent, are
 * kept), no recursion (explicit stacks), ancestor walks bounded by
 * THREAD_DEPTH_MAX. */
#ifndef YUBIN_IMAPD_THREAD_H
#define YUBIN_IMAPD_THREAD_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sa.h"

#define THREAD_REFS_MAX 128     /* message ids taken from one References (the last ones) */
#define THREAD_IDS_MAX (1L << 20)  /* ids in all; past it fewer are taken from each References */
#define THREAD_DEPTH_MAX 1024   /* a link deeper than this is not made */
#define THREAD_ID_MAX 998       /* a message id longer than this is ignored */

typedef struct thread_msg {
  uint32_t num;            /* what the response shows: sequence number or UID */
  time_t date;             /* the sent date (Date, else INTERNALDATE) */
  const char *subject;     /* base subject (subject.h), NUL-terminated; "" if none */
  int reply;               /* the subject had a reply or forward marker */
  const char *msgid;       /* raw field values, NUL-terminated, or NULL */
  const char *refs;
  const char *inreplyto;
} thread_msg;

/* The threads of m[0..n-1] (in sequence order, which breaks date ties) as
 * IMAP's thread-list, e.g. "(1 2)(3 (4)(5))", appended to out.  Return 1,
 * or 0 with errno (ENOMEM, ERANGE). */
int thread_orderedsubject(const thread_msg *m, size_t n, sa *out);
int thread_references(const thread_msg *m, size_t n, sa *out);

#endif
