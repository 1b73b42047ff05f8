/* cmd.h: parsing SMTP command lines (pure: no I/O, no allocation).
 * A command line is at most SMTP_LINE_MAX octets including CRLF (RFC 5321
 * 4.5.3.1.4); the caller checks that and hands over the line without CRLF. */
#ifndef YUBIN_SMTPD_CMD_H
#define YUBIN_SMTPD_CMD_H
#include <stddef.h>

#include "addr.h"

#define SMTP_LINE_MAX 512
#define SMTP_VERB_MAX 10

typedef struct smtp_cmd {
  char verb[SMTP_VERB_MAX + 1];  /* upper-cased */
  const char *arg;               /* after the verb and one space; may be empty */
  size_t arglen;
} smtp_cmd;

/* Splits "VERB[ SP args]".  Returns 1, or 0 when the line has no verb of
 * letters, a verb longer than SMTP_VERB_MAX, or a control character. */
int cmd_split(const char *line, size_t len, smtp_cmd *c);

typedef struct mail_params {
  int has_size;
  unsigned long long size;
  int body8;        /* BODY=8BITMIME */
  int smtputf8;     /* SMTPUTF8 */
  int auth;         /* AUTH= given (RFC 4954 5; the value is not used) */
} mail_params;

/* Parse results: CMD_OK, or an error whose reply the caller sends. */
#define CMD_OK          0
#define CMD_SYNTAX      1   /* 501 5.5.4 / 5.1.7 */
#define CMD_BAD_PARAM   2   /* 555 5.5.4 */

/* "FROM:<path> [params]" (spaces allowed after the colon).  The path is
 * parsed with addr_parse_path (null path allowed, UTF-8 only with SMTPUTF8).
 * *why is a static text for the reply. */
int cmd_mail(const char *arg, size_t n, addr *a, mail_params *p, const char **why);
/* "TO:<path>" (no parameters are supported). */
int cmd_rcpt(const char *arg, size_t n, unsigned flags, addr *a, const char **why);
/* "SIZE [LAST]" of BDAT.  Returns CMD_OK or CMD_SYNTAX. */
int cmd_bdat(const char *arg, size_t n, unsigned long long *size, int *last);
/* A HELO/EHLO argument: a domain or an address literal; nothing else. */
int cmd_helo_ok(const char *arg, size_t n);

#endif
