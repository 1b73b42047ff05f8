/* dotfile.h: the strict parser of per-address control files (.yubin,
 * .yubin-EXT, .yubin-default; DESIGN.md and local/README.md).
 *
 * One delivery per line:
 *   ./Maildir/  /abs/dir/    starts with '.' or '/', ends in '/': a Maildir
 *   ./mbox      /abs/file    starts with '.' or '/': an mbox file
 *   &user@example.com        a forward (RFC 5321 mailbox, SMTPUTF8 allowed)
 *   user@example.com         a forward, too
 *   |command                 a program, run with /bin/sh -c
 *   # text                   a comment
 * Blank lines (empty or only spaces and tabs) are ignored.  Trailing spaces,
 * tabs and a CR are removed from every line except a program line (whose
 * command is passed to the shell as written, minus a trailing CR).  A line
 * may not start with a space or a tab, may not hold a control byte other
 * than TAB, and may not be longer than DOTFILE_LINE_MAX octets.
 *
 * Pure function over a buffer: no I/O, no allocation.  The deliveries point
 * into the buffer and are NOT NUL-terminated. */
#ifndef YUBIN_DOTFILE_H
#define YUBIN_DOTFILE_H
#include <stddef.h>

#define DOTFILE_SIZE_MAX ((size_t)64 << 10)  /* whole file */
#define DOTFILE_LINE_MAX 1000                /* octets, without the LF */
#define DOTFILE_LINES_MAX 1000               /* physical lines, comments included */
#define DOTFILE_DELIVERIES_MAX 1000          /* delivery lines */

#define DOT_MAILDIR 1
#define DOT_MBOX 2
#define DOT_FORWARD 3
#define DOT_PROGRAM 4

typedef struct dotfile_line {
  int type;          /* DOT_* */
  const char *arg;   /* path, address (without '&') or command (without '|') */
  size_t len;
  size_t lineno;     /* 1-based */
} dotfile_line;

typedef struct dotfile_error {
  size_t lineno;     /* 1-based; 0 for the file as a whole */
  const char *why;   /* static English text */
} dotfile_error;

/* Parses all of n bytes into out (room for max entries; pass
 * DOTFILE_DELIVERIES_MAX).  Returns 1 with *count set, or 0 with *err set. */
int dotfile_parse(const char *buf, size_t n, dotfile_line *out, size_t max, size_t *count, dotfile_error *err);

/* A name of the type ("maildir", "mbox", "forward", "program"). */
const char *dotfile_type_name(int type);

#endif
