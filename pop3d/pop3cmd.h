/* pop3cmd.h: the POP3 command-line parser shared by the login stage and
 * yubin-pop3d.  A pure function over a buffer: no I/O, no allocation. */
#ifndef YUBIN_POP3CMD_H
#define YUBIN_POP3CMD_H
#include <stddef.h>

/* Longest command line accepted, CRLF included.  RFC 2449 allows 255 octets;
 * AUTH PLAIN with an initial response needs more (RFC 5034 lifts the limit). */
#define POP3_LINE_MAX 1024
/* Largest message number or line count accepted in an argument. */
#define POP3_NUM_MAX 999999999UL

enum pop3_verb {
  POP3_NONE = 0,
  POP3_USER, POP3_PASS, POP3_AUTH, POP3_APOP, POP3_STLS, POP3_CAPA, POP3_QUIT,
  POP3_STAT, POP3_LIST, POP3_UIDL, POP3_RETR, POP3_DELE, POP3_TOP, POP3_RSET, POP3_NOOP
};

/* Results of pop3_parse. */
#define POP3_OK 0
#define POP3_EUNKNOWN 1   /* not a command we know */
#define POP3_ESYNTAX 2    /* known command, bad arguments */
#define POP3_EEMPTY 3     /* empty line */

typedef struct pop3_cmd {
  enum pop3_verb verb;
  const char *text;   /* USER/PASS argument, AUTH mechanism; NUL-terminated, in the line */
  const char *text2;  /* AUTH initial response or NULL */
  int nnum;           /* how many numbers were given */
  unsigned long num[2];
} pop3_cmd;

/* Parses one line (len bytes at line; the buffer must hold len + 1 bytes and
 * be writable: the CRLF and
 * the separators are replaced by NULs).  The line may end in CRLF or LF.
 * Verbs are case-insensitive; arguments are separated by one space. */
int pop3_parse(char *line, size_t len, pop3_cmd *c);
/* The verb's name in upper case, for logs ("?" for POP3_NONE). */
const char *pop3_verb_name(enum pop3_verb v);

#endif
