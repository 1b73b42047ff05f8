/* auth.h: STARTTLS (RFC 3207), AUTH (RFC 4954) and the submission rules
 * (RFC 6409) in the SMTP session: the check and proceed halves of the
 * STARTTLS and AUTH verbs, the sender policy, and the header pass that adds
 * Date: and Message-ID: on submission and checks From: addresses. */
#ifndef YUBIN_SMTPD_AUTH_H
#define YUBIN_SMTPD_AUTH_H
#include "cmd.h"
#include "session.h"

#define AUTH_FAIL_WINDOW 900      /* seconds a failure is remembered */
#define AUTH_FAIL_MAX 10          /* failures in the window before a refusal */
#define SUBMIT_HEADER_MAX 65536   /* header octets held to add fields / check From */

int auth_check_starttls(session *s, const smtp_cmd *c);
void auth_do_starttls(session *s, const smtp_cmd *c);
int auth_check_auth(session *s, const smtp_cmd *c);
void auth_do_auth(session *s, const smtp_cmd *c);
/* EHLO lines for STARTTLS and AUTH as this session may offer them. */
void auth_ehlo(session *s);
/* MAIL: 1 if the session may send with this sender, else replies and 0. */
int auth_mail_allowed(session *s);

/* Header pass.  submit_begin at message start, submit_write for every
 * message octet (LF line ends), submit_end when the data is complete; it
 * returns a refusal reply or NULL. */
void submit_begin(session *s);
void submit_write(session *s, const char *p, size_t n);
const char *submit_end(session *s);

#endif
