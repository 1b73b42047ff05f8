/* imapcmd.h: the IMAP command syntax (RFC 3501 section 9, RFC 7888
 * LITERAL+), shared by the login stage and yubin-imapd.  Pure functions over
 * a buffer: no I/O.
 *
 * A command arrives as one or more lines: a line ending in a literal marker
 * "{N}" or "{N+}" is followed by N octets and then the rest of the command.
 * The reader uses imap_literal_at_end() on each line to know when to read a
 * literal (and, for "{N}", to send "+ go ahead" first), and hands the
 * whole command to the parser as one buffer: the lines with their CRLFs and
 * the literals in place, without the final CRLF.
 *
 * The parser reads left to right from p->pos.  Every function returns 1 on
 * success and leaves pos after what it read, or 0 with p->err set to a
 * short static reason (for a BAD reply) and pos unchanged. */
#ifndef YUBIN_IMAPCMD_H
#define YUBIN_IMAPCMD_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sa.h"

#define IMAP_LINE_MAX 65536       /* one line of a command, CRLF included */
#define IMAP_TAG_MAX 64           /* octets in a tag */
#define IMAP_ATOM_MAX 1024        /* octets in an atom */
#define IMAP_STRING_MAX 65536     /* a string argument copied by imap_string */
#define IMAP_LITERAL_LIMIT 0xffffffffUL  /* largest N the syntax allows */

typedef struct imap_span {
  const char *s;
  size_t len;
} imap_span;

typedef struct imap_parser {
  const char *s;
  size_t n;
  size_t pos;
  const char *err;
} imap_parser;

/* One range of a sequence set; 0 stands for "*" (the largest number in use),
 * which the caller resolves with imap_seqset_resolve. */
typedef struct imap_range {
  uint32_t lo;
  uint32_t hi;
} imap_range;

typedef struct imap_seqset {
  imap_range *r;     /* the caller's table */
  size_t cap;
  size_t n;
  int searchres;     /* "$" (RFC 5182) was given instead of a set */
} imap_seqset;

void imap_parser_init(imap_parser *p, const char *s, size_t n);

/* Does the line (n bytes, CRLF or LF removed) end in a literal marker?
 * Returns 1 with *size and *nonsync ({N+}) set, 0 if not, -1 if it ends in
 * something like a marker that is not valid (e.g. "{99999999999}"). */
int imap_literal_at_end(const char *line, size_t n, uint64_t *size, int *nonsync);

int imap_sp(imap_parser *p);                         /* exactly one space */
int imap_eol(imap_parser *p);                        /* at the end of the command */
int imap_char(imap_parser *p, char c);               /* the octet c */
int imap_peek(const imap_parser *p);                 /* next octet, or -1 at the end */

/* tag = 1*<ASTRING-CHAR except "+">, at most IMAP_TAG_MAX. */
int imap_tag(imap_parser *p, imap_span *tag);
/* atom = 1*ATOM-CHAR (no specials: ( ) { SP CTL % * " \ ]), at most IMAP_ATOM_MAX. */
int imap_atom(imap_parser *p, imap_span *atom);
/* 1 if the span equals s ignoring ASCII case. */
int imap_is(imap_span a, const char *s);

/* string = quoted / literal: the value, unescaped, into out (replaced); at
 * most IMAP_STRING_MAX octets.  NUL is refused. */
int imap_string(imap_parser *p, sa *out);
/* A literal's octets in place, without copying (for APPEND); *is_literal 0
 * for a quoted string, whose span is then the text between the quotes with
 * its escapes still in. */
int imap_string_raw(imap_parser *p, imap_span *raw, int *is_literal);
/* astring = 1*ASTRING-CHAR / string, into out (replaced). */
int imap_astring(imap_parser *p, sa *out);
/* list-mailbox = 1*list-char / string (list-char adds % * ]). */
int imap_list_mailbox(imap_parser *p, sa *out);
/* nstring = "NIL" / string; *nil set. */
int imap_nstring(imap_parser *p, sa *out, int *nil);

/* number (0..4294967295) and nz-number. */
int imap_number(imap_parser *p, uint32_t *v);
int imap_nznumber(imap_parser *p, uint32_t *v);
/* A 63-bit number (mod-sequence values, RFC 7162). */
int imap_number64(imap_parser *p, uint64_t *v);

/* sequence-set: ranges appended to set (set->n reset first); at most cap. */
int imap_seqset_parse(imap_parser *p, imap_seqset *set);
/* Replaces "*" by star, orders each range, sorts and merges the ranges.
 * With star 0 (an empty mailbox) ranges with "*" become empty and vanish. */
void imap_seqset_resolve(imap_seqset *set, uint32_t star);
/* After imap_seqset_resolve: is v in the set?  (binary search) */
int imap_seqset_has(const imap_seqset *set, uint32_t v);

/* flag = "\" atom / atom (keyword); the span includes the backslash. */
int imap_flag(imap_parser *p, imap_span *flag);

/* date = date-text / DQUOTE date-text DQUOTE, date-text = d-Mon-yyyy:
 * the day as seconds since the epoch at 00:00 UTC. */
int imap_date(imap_parser *p, time_t *t);
/* date-time = DQUOTE dd-Mon-yyyy SP hh:mm:ss SP (+|-)zzzz DQUOTE (the day
 * may have a leading space): the moment as seconds since the epoch. */
int imap_datetime(imap_parser *p, time_t *t);

#endif
