/* envelope.h: the qmail-queue envelope and the queue's envelope file.
 *
 * Wire form (fd 1 of yubin-queue, DESIGN.md):
 *     F<sender>\0 T<rcpt>\0 ... T<rcpt>\0 \0
 * File form (queue/intd, queue/todo; doc/queue.md): the same, preceded by
 *     u<uid>\0 p<pid>\0
 * Pure functions over caller-owned buffers: no I/O, no allocation (the
 * writers append to an sa).  Parsed addresses point into the input buffer and
 * are NOT NUL-terminated; use their lengths.
 *
 * Rules (strict): the sender may be empty (the null sender), a recipient may
 * not; an address is at most ENV_ADDR_MAX octets and holds no byte below 0x20
 * and no 0x7f; at least one and at most ENV_RCPT_MAX recipients; the final
 * empty record ends the envelope and nothing may follow it. */
#ifndef YUBIN_ENVELOPE_H
#define YUBIN_ENVELOPE_H
#include <stddef.h>
#include <sys/types.h>

#include "sa.h"

#define ENV_ADDR_MAX 1000
#define ENV_RCPT_MAX 100000
/* Largest well-formed wire envelope: F record, every T record, final \0. */
#define ENV_WIRE_MAX ((size_t)(ENV_ADDR_MAX + 2) * (ENV_RCPT_MAX + 1) + 1)
#define ENV_ID_MAX 20          /* digits of a u or p value */
#define ENV_FILE_MAX (ENV_WIRE_MAX + 2 * (ENV_ID_MAX + 2))

/* Results of the parsers. */
#define ENV_OK         0
#define ENV_E_FORMAT   1   /* bad record type, missing record, bad byte */
#define ENV_E_TOOLONG  2   /* an address over ENV_ADDR_MAX */
#define ENV_E_TOOMANY  3   /* over ENV_RCPT_MAX recipients */
#define ENV_E_NORCPT   4   /* no recipient */
#define ENV_E_TRUNC    5   /* input ends before the final empty record */
#define ENV_E_TRAILING 6   /* bytes after the final empty record */
#define ENV_E_ID       7   /* bad u or p line (file form) */

typedef struct envelope_view {
  const char *sender;     /* into the input; sender_len 0 = null sender */
  size_t sender_len;
  const char *rcpts;      /* first T record (its 'T'), for envelope_rcpt_next */
  size_t rcpts_len;       /* bytes of all T records */
  size_t nrcpt;
  size_t wire_len;        /* bytes of the wire form, final \0 included */
  /* file form only (else 0): */
  unsigned long long uid, pid;
} envelope_view;

/* Parses the wire form: all of n bytes.  Returns ENV_OK or an ENV_E_ code. */
int envelope_parse(const char *buf, size_t n, envelope_view *e);
/* Parses the file form: all of n bytes. */
int envelope_parse_file(const char *buf, size_t n, envelope_view *e);
/* Walks the recipients of a parsed envelope: start with *pos = 0.
 * Returns 1 with *addr and *len set, 0 after the last. */
int envelope_rcpt_next(const envelope_view *e, size_t *pos, const char **addr, size_t *len);
/* A short English description of an ENV_ code (static). */
const char *envelope_strerror(int code);
/* 1 if s (n bytes) is acceptable as an envelope address (length, bytes);
 * otherwise 0 with *code set to ENV_E_TOOLONG or ENV_E_FORMAT. */
int envelope_addr_ok(const char *s, size_t n, int *code);

/* Writers: append one record, the final record, or the u-p prefix.
 * Return 1, or 0 with errno (EINVAL for an address envelope_addr_ok refuses, or
 * an empty recipient; the sa's errors). */
int envelope_put_sender(sa *out, const char *s, size_t n);
int envelope_put_rcpt(sa *out, const char *s, size_t n);
int envelope_put_end(sa *out);
int envelope_put_ids(sa *out, unsigned long long uid, unsigned long long pid);

#endif
