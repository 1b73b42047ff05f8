/* yubin-pop3-login: the POP3 AUTHORIZATION state (RFC 1939, 2449, 2595,
 * 5034), run as yubind under yubin-tcpd and yubin-tlsd.  It parses the
 * network's input before login and hands the credentials to yubin-auth,
 * which starts yubin-pop3d as the account; what it shares with the IMAP
 * login stage (start-up, checking a login, POP-before-SMTP, the failed-login
 * delay, the hand-over) is lib/loginstage.h.
 * Interface: pop3d/README.md.  Exit: 0 session over, 100 usage, 111 system
 * failure. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sodium.h>

#include "log.h"
#include "loginstage.h"
#include "pop3cmd.h"
#include "pop3io.h"
#include "starttls.h"

static loginstage ls;
static char user[ADDR_MAX + 1];
static int have_user;

static void capa(void)
{
  out_puts("+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n");
  if (loginstage_plain_ok(&ls)) out_puts("USER\r\nSASL PLAIN\r\n");
  if (!ls.tls && starttls_available()) out_puts("STLS\r\n");
  out_puts("IMPLEMENTATION yubin\r\n.\r\n");
}

/* Checks the credentials; returns only when the session stays here.  On
 * success yubin-pop3d sends its "+OK" once it has the pipelined input. */
static void login(const char *name, const char *pass)
{
  out_flush();   /* every earlier reply goes out before yubin-pop3d's */
  switch (loginstage_login(&ls, name, pass, 0, 0)) {
  case LOGIN_REFUSED: out_puts("-ERR [SYS/TEMP] too many failed logins from your address, try again later\r\n"); break;
  case LOGIN_IN_USE: out_puts("-ERR [IN-USE] another session is using this mailbox\r\n"); break;
  case LOGIN_DISABLED: out_puts("-ERR [AUTH] this account is disabled\r\n"); break;
  case LOGIN_BAD: out_puts("-ERR [AUTH] invalid user name or password\r\n"); break;
  default: out_puts("-ERR [SYS/TEMP] temporary failure, try again later\r\n"); break;
  }
}

/* AUTH PLAIN (RFC 4616) with or without an initial response. */
static void auth_plain(const char *ir)
{
  unsigned char dec[POP3_LINE_MAX];
  const char *authc = 0, *pass = 0;
  size_t n;
  if (ir) {
    n = strlen(ir);
  } else {
    out_puts("+ \r\n");
    out_flush();
    loginstage_response(&ls, &ir, &n);
  }
  switch (loginstage_plain(ir, n, dec, sizeof dec, &authc, &pass)) {
  case PLAIN_OK: login(authc, pass); break;
  case PLAIN_CANCELLED: out_puts("-ERR authentication cancelled\r\n"); break;
  case PLAIN_BASE64: out_puts("-ERR invalid base64 in AUTH PLAIN\r\n"); break;
  case PLAIN_PROXY: out_puts("-ERR [AUTH] logging in as another user is not allowed\r\n"); break;
  case PLAIN_TOO_LONG: out_puts("-ERR [AUTH] invalid user name or password\r\n"); break;
  default: out_puts("-ERR malformed AUTH PLAIN response\r\n"); break;
  }
  sodium_memzero(dec, sizeof dec);
}

static int command(pop3_cmd *c)
{
  switch (c->verb) {
  case POP3_CAPA: capa(); return 1;
  case POP3_NOOP: out_puts("+OK\r\n"); return 1;
  case POP3_QUIT: out_puts("+OK bye\r\n"); out_flush(); exit(0);
  case POP3_STLS:
    if (ls.tls) { out_puts("-ERR already using TLS\r\n"); return 0; }
    if (!starttls_available()) { out_puts("-ERR STLS is not available here\r\n"); return 0; }
    out_flush();
    /* yubin-tlsd sends the reply once it has stopped reading plaintext. */
    loginstage_starttls(&ls, "+OK begin TLS negotiation\r\n", 27);
    have_user = 0;
    return 1;
  case POP3_USER:
    if (!loginstage_plain_ok(&ls)) { out_puts("-ERR [AUTH] use STLS before logging in\r\n"); return 0; }
    if (strlen(c->text) > ADDR_MAX) { out_puts("-ERR user name too long\r\n"); return 0; }
    strcpy(user, c->text);
    have_user = 1;
    out_puts("+OK send PASS\r\n");
    return 1;
  case POP3_PASS:
    if (!have_user) { out_puts("-ERR USER first\r\n"); return 0; }
    have_user = 0;
    login(user, c->text);
    return 1;
  case POP3_AUTH:
    if (!c->text) { out_puts(loginstage_plain_ok(&ls) ? "+OK\r\nPLAIN\r\n.\r\n" : "+OK\r\n.\r\n"); return 1; }
    if (strcasecmp(c->text, "PLAIN") != 0) { out_puts("-ERR unsupported authentication mechanism\r\n"); return 0; }
    if (!loginstage_plain_ok(&ls)) { out_puts("-ERR [AUTH] use STLS before logging in\r\n"); return 0; }
    auth_plain(c->text2);
    return 1;
  case POP3_APOP: out_puts("-ERR APOP is not supported\r\n"); return 0;
  default: out_puts("-ERR log in first\r\n"); return 0;
  }
}

int main(int argc, char **argv)
{
  static char lbuf[POP3_LINE_MAX];
  char line[POP3_LINE_MAX + 1];
  unsigned long errors = 0;

  log_init(argv[0]);
  if (argc != 1) die(100, "usage: yubin-pop3-login");
  loginstage_init(&ls, "pop3", "pop3timeout", 600, lbuf, sizeof lbuf);

  out_init(1, (int)(ls.timeout * 1000));
  out_puts("+OK yubin POP3 server ready\r\n");
  out_flush();
  for (;;) {
    const char *l;
    size_t len;
    pop3_cmd c;
    int r = lb_getline(&ls.lb, &l, &len), ok = 0;
    if (r == 0) break;
    if (r < 0) {
      if (errno == ERANGE) { out_puts("-ERR line too long\r\n"); out_flush(); if (++errors >= LOGIN_MAX_ERRORS) break; continue; }
      if (errno == ETIMEDOUT) { out_puts("-ERR autologout: idle too long\r\n"); out_flush(); }
      break;
    }
    memcpy(line, l, len);
    switch (pop3_parse(line, len, &c)) {
    case POP3_OK: ok = command(&c); break;
    case POP3_EUNKNOWN: out_puts("-ERR unknown command\r\n"); break;
    case POP3_EEMPTY: out_puts("-ERR empty command\r\n"); break;
    default: out_printf("-ERR syntax error in %s\r\n", pop3_verb_name(c.verb)); break;
    }
    sodium_memzero(line, sizeof line);
    if (!ok && ++errors >= LOGIN_MAX_ERRORS) { out_puts("-ERR too many errors, bye\r\n"); out_flush(); break; }
    if (lb_pending(&ls.lb) == 0 || !memchr(ls.lb.buf + ls.lb.start, '\n', lb_pending(&ls.lb))) out_flush();
  }
  return 0;
}
