/* session.h: one SMTP session on two plaintext file descriptors.
 * TLS is another process (yubin-tlsd) in front of smtpd, so the session only
 * ever sees plaintext; AUTH and STARTTLS are further rows of the verb table
 * in session.c with their own check and proceed functions. */
#ifndef YUBIN_SMTPD_SESSION_H
#define YUBIN_SMTPD_SESSION_H
#include <stddef.h>

#include "addr.h"
#include "cmd.h"
#include "data.h"
#include "inject.h"
#include "linebuf.h"
#include "rcpt.h"
#include "sa.h"
#include "uniq.h"

#define SESSION_IN_MAX 16384     /* input buffer: pipelined commands */
#define SESSION_OUT_MAX 8192     /* replies buffered until the client waits */
#define SESSION_HELO_MAX 255
#define SESSION_BAD_MAX 10       /* bad commands before 421 */
#define SESSION_ENV_MAX ((size_t)1 << 20)

/* Where the session is in the protocol. */
enum { ST_START, ST_HELO, ST_MAIL, ST_RCPT, ST_BDAT };

typedef struct session_config {
  const char *me;
  unsigned long long databytes;  /* 0: no limit */
  unsigned long maxrcpt;
  int timeout_ms;
  int greetdelay_ms;
  int local;                     /* PROTO=LOCAL: sendmail -bs */
  const char *localuser;
  const char *remoteip, *remoteport, *remotehost, *localip;
  int relayclient;               /* may relay: RELAYCLIENT set, or POP-before-SMTP */
  int popbeforesmtp;             /* ... because of a recent POP3/IMAP login */
  int tls;                       /* the connection came through yubin-tlsd */
  int role;                      /* ROLE_SMTP, ROLE_SUBMISSION, ROLE_SMTPS */
  int senderpolicy;              /* authenticated/local senders only in their domains */
  int authplaintext;             /* PLAIN/LOGIN allowed without TLS (loopback only) */
  const char *authprog;          /* ROOT/bin/yubin-auth */
} session_config;

#define ROLE_SMTP 0
#define ROLE_SUBMISSION 1
#define ROLE_SMTPS 2

typedef struct session {
  const session_config *cf;
  rcpt_policy *policy;
  int in, out;
  linebuf lb;
  char inbuf[SESSION_IN_MAX];
  char outbuf[SESSION_OUT_MAX];
  size_t outn;
  int outerr;
  int lastcode;                  /* code of the last reply */
  char sid[9];
  int state;
  int ehlo;
  char helo[SESSION_HELO_MAX + 1];
  int bad;
  int quit;
  const char *end;               /* why the session ended, for the log */
  unsigned long messages;
  /* the transaction */
  sa env;                        /* F<sender>\0T<rcpt>\0...  */
  char sender[ADDR_MAX + 1];
  unsigned long nrcpt;
  mail_params mp;
  char qid[QUEUE_ID_LEN + 1];
  inject q;
  int injecting;
  data_state d;
  const char *bdat_fail;         /* BDAT transaction already refused: its reply */
  unsigned long long bdat_size;  /* the BDAT command being handled */
  int bdat_last;
  addr rcpt;                     /* the RCPT command being handled */
  char dataout[SESSION_IN_MAX + 1];  /* message octets on their way to the queue */
  /* STARTTLS and AUTH */
  int tls;                       /* TLS is up (implicit, or after STARTTLS) */
  char authuser[ADDR_MAX + 1];   /* the authenticated account, "" if none */
  char authmech[16];
  /* the header pass (submission, sender policy) */
  int hdr_active;                /* holding the header */
  int hdr_done;
  sa hdr;
  const char *hdr_refusal;
} session;

/* Runs a whole session on fds in/out.  Returns when it is over. */
void session_run(session *s, const session_config *cf, rcpt_policy *p, int in, int out);

#endif
