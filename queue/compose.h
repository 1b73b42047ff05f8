/* compose.h: the header the sendmail wrapper hands to the queue.  A pure
 * function over buffers (unit-tested in compose_test.c). */
#ifndef YUBIN_QUEUE_COMPOSE_H
#define YUBIN_QUEUE_COMPOSE_H
#include <stddef.h>

#include "sa.h"

typedef struct compose_opts {
  int take_rcpts;          /* -t: recipients from To, Cc, Bcc */
  const char *from_addr;   /* for an added From: field */
  const char *from_name;   /* -F, or NULL */
  const char *date;        /* value for an added Date: field */
  const char *msgid;       /* value for an added Message-ID: field, with < > */
  const char *domain;      /* completes addresses without a domain */
} compose_opts;

#define COMPOSE_OK      0
#define COMPOSE_E_LONG  1   /* the header does not end within the input */
#define COMPOSE_E_ADDR  2   /* a bad address list in To, Cc or Bcc (-t) */
#define COMPOSE_E_NOMEM 3

/* Reads the header at the start of in (n bytes, LF line ends; at_end: the
 * input ends there).  A leading mbox "From " line is dropped; every field
 * but Bcc and Resent-Bcc is copied to out; From, Date and Message-ID are
 * added when missing; out ends with the empty line.  With take_rcpts the
 * addresses of To, Cc and Bcc are appended to rcpts (hdr_addrlist form) and
 * counted in *count.  *body is set to the offset where the body starts in in.
 * Returns COMPOSE_OK or an error; for COMPOSE_E_ADDR *why is the parser's
 * reason and *field the field name (not NUL-terminated, *field_len bytes). */
int compose_header(const char *in, size_t n, int at_end, const compose_opts *o, sa *out, sa *rcpts,
                   size_t *count, size_t *body, const char **why, const char **field, size_t *field_len);

#endif
