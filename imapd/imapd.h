/* imapd.h: the pieces of yubin-imapd shared between its files: output to
 * the client, the selected mailbox, FETCH. */
#ifndef YUBIN_IMAPD_H
#define YUBIN_IMAPD_H
#include <stddef.h>
#include <stdint.h>

#include "imapcmd.h"
#include "mailbox.h"
#include "sa.h"

#define IMAP_MESSAGE_MAX ((size_t)64 << 20)   /* largest message served or appended */
#define IMAP_SEQSET_MAX 65536                 /* ranges in one sequence set */

/* Output (stdout, buffered; flushed at each tagged reply). */
void out_put(const char *s, size_t n);
void out_puts(const char *s);
void out_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An IMAP string: quoted when it is short and plain, else a literal. */
void out_string(const char *s, size_t n);
/* NIL when n is 0 and s is NULL, else out_string. */
void out_nstring(const char *s, size_t n);
void out_flush(void);
/* Output goes to *to (appended, within its cap) instead of the client until
 * out_capture(NULL), which returns 0 if some of it did not fit, else 1. */
int out_capture(sa *to);

/* FETCH and UID FETCH: p is after "FETCH SP"; sequence numbers or UIDs.
 * Writes the untagged FETCH responses; returns 1, 0 with p->err set for a
 * BAD reply (nothing written), or -1 when a message could not be read (NO). */
int fetch_command(mbox *mb, imap_parser *p, int uid);
/* Message i as the client sees it (CRLF), and the length of its header
 * (blank line included).  Valid until the next call.  1 ok, 0 with errno. */
int fetch_load(mbox *mb, size_t i, const char **buf, size_t *len, size_t *hdrlen);
/* SEARCH and UID SEARCH: p is after "SEARCH SP".  Writes "* SEARCH ..."
 * or "* ESEARCH (TAG tag) ..."; returns 1, 0 with p->err for BAD, -1 for NO
 * (a message unreadable), -2 for NO with p->err (an unknown charset). */
int search_command(mbox *mb, imap_parser *p, int uid, const char *tag, size_t taglen);
/* The flags of message i as an IMAP list "(\Seen ...)". */
void out_flags(const mbox *mb, size_t i);

#endif
