/* loginstage.h: what the POP3 and IMAP login stages (yubin-pop3-login,
 * yubin-imap-login) have in common, leaving only the protocol in each
 * program: the start-up (environment, control files, the drop to yubind),
 * when credentials may travel in the clear, checking a login through
 * ROOT/bin/yubin-auth (lib/authrun.h) with the failed-login lockout and
 * delay and the POP-before-SMTP record (doc/ipstate.md), the hand-over of
 * pipelined input, STARTTLS, and decoding SASL PLAIN (RFC 4616).
 * Replies to the client stay with the caller. */
#ifndef YUBIN_LOGINSTAGE_H
#define YUBIN_LOGINSTAGE_H
#include <stddef.h>

#include "addr.h"
#include "instance.h"
#include "linebuf.h"

#define LOGIN_AUTHFAIL_WINDOW 900  /* seconds of failures counted (doc/ipstate.md) */
#define LOGIN_AUTHFAIL_LOCKOUT 10  /* failures in the window before refusing outright */
#define LOGIN_MAX_ERRORS 20        /* bad commands before the connection is closed */

typedef struct loginstage {
  const char *service;             /* yubin-auth's argument: "pop3" or "imap" */
  char ip[64];                     /* TCPREMOTEIP, safe for logs; "unknown" */
  int tls;                         /* TLS=1, or after STARTTLS */
  int plain_loopback;              /* control/plainloopback exists */
  unsigned long pbs_minutes;       /* control/popbeforesmtp (0: off) */
  unsigned long timeout;           /* idle time-out, seconds */
  char auth[INSTANCE_PATH_MAX];    /* ROOT/bin/yubin-auth */
  linebuf lb;                      /* the client's input (fd 0) */
} loginstage;

/* Start-up: reads TCPREMOTEIP and TLS, the control files timeout_file
 * (default timeout_default seconds, 10 to 86400), popbeforesmtp and
 * plainloopback, drops to yubind when run as root, and reads fd 0 through
 * buf (size bytes) with the time-out.  Ignores SIGPIPE.  Dies 111 on a
 * system failure. */
void loginstage_init(loginstage *ls, const char *service, const char *timeout_file,
                     unsigned long timeout_default, char *buf, size_t size);

/* 1 if credentials may travel in the clear now: inside TLS, or from a
 * loopback client when control/plainloopback exists. */
int loginstage_plain_ok(const loginstage *ls);

/* What loginstage_login returns when the session stays in the login stage. */
#define LOGIN_REFUSED 1   /* too many failures from the IP: not checked */
#define LOGIN_BAD 2       /* wrong credentials (after the delay) */
#define LOGIN_DISABLED 3  /* disabled account (after the delay) */
#define LOGIN_IN_USE 4    /* another session holds the mailbox */
#define LOGIN_TEMP 5      /* temporary failure */

/* Checks user and pass through yubin-auth.  On success: clears the IP's
 * failures, records POP-before-SMTP, calls accepted(arg) when not NULL (the
 * protocol's reply that must precede the session program's), gives the
 * session program the pipelined input, logs "login ok", waits for the
 * session to end and exits 0.  Otherwise logs the outcome, waits the
 * failed-login delay for LOGIN_BAD and LOGIN_DISABLED, and returns one of
 * the codes above.  Flush buffered replies before calling. */
int loginstage_login(loginstage *ls, const char *user, const char *pass, void (*accepted)(void *),
                     void *arg);

/* STARTTLS through yubin-tlsd (lib/starttls.h): yubin-tlsd sends reply (n
 * octets, CRLF included).  Returns when TLS is up (ls->tls is then 1);
 * exits 0 after logging when the handshake failed. */
void loginstage_starttls(loginstage *ls, const char *reply, size_t n);

/* Reads the client's answer to a SASL "+ " prompt: one line, without its
 * CRLF; *s points into the reader's buffer until the next read.  Exits 0 at
 * end of input or on a read error. */
void loginstage_response(loginstage *ls, const char **s, size_t *n);

/* What loginstage_plain returns. */
#define PLAIN_OK 0
#define PLAIN_CANCELLED 1  /* the client answered "*" */
#define PLAIN_BASE64 2     /* not base64 */
#define PLAIN_MALFORMED 3  /* not authzid NUL authcid NUL password */
#define PLAIN_PROXY 4      /* authzid names another user */
#define PLAIN_TOO_LONG 5   /* authcid longer than an address */

/* Decodes a SASL PLAIN response (RFC 4616): n base64 octets ("=" for an
 * empty one) into dec (size octets; the caller wipes it with
 * sodium_memzero).  On PLAIN_OK *user and *pass point into dec. */
int loginstage_plain(const char *b64, size_t n, unsigned char *dec, size_t size, const char **user,
                     const char **pass);

#endif
