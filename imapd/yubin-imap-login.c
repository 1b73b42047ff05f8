/* yubin-imap-login: the IMAP not-authenticated state (RFC 3501, 4959
 * SASL-IR, 4616 PLAIN, 2971 ID, 7888 LITERAL+), run as yubind under
 * yubin-tcpd and yubin-tlsd.  It parses the network's input before login
 * and hands the credentials to yubin-auth, which starts yubin-imapd as the
 * account; what it shares with the POP3 login stage (start-up, checking a
 * login, POP-before-SMTP, the failed-login delay, the hand-over) is
 * lib/loginstage.h.
 * Interface: imapd/README.md.  Exit: 0 session over, 100 usage, 111 system
 * failure. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "atomic.h"
#include "imapcmd.h"
#include "log.h"
#include "loginstage.h"
#include "session.h"
#include "starttls.h"

#define LOGIN_CMD_MAX 8192      /* a whole command here, literals included */

static loginstage ls;
static char cmd[LOGIN_CMD_MAX];
static size_t cmdlen;

static void put(const char *s, size_t n)
{
  if (n && !write_all(1, s, n)) exit(0);
}
static void puts_(const char *s) { put(s, strlen(s)); }

static void reply(imap_span tag, const char *text)
{
  put(tag.s, tag.len);
  puts_(" ");
  puts_(text);
  puts_("\r\n");
}

static void capabilities(void)
{
  puts_("IMAP4rev1 LITERAL+ SASL-IR ID");
  if (!ls.tls && starttls_available()) puts_(" STARTTLS");
  puts_(loginstage_plain_ok(&ls) ? " AUTH=PLAIN" : " LOGINDISABLED");
}

/* The tagged OK, sent before yubin-imapd takes the connection. */
static void accepted(void *arg)
{
  const imap_span *tag = arg;
  put(tag->s, tag->len);
  puts_(" OK [CAPABILITY " SESSION_CAPABILITIES "] logged in\r\n");
}

/* Checks the credentials; returns only when the session stays here. */
static void login(imap_span tag, const char *name, const char *pass)
{
  switch (loginstage_login(&ls, name, pass, accepted, &tag)) {
  case LOGIN_REFUSED: reply(tag, "NO [UNAVAILABLE] too many failed logins from your address, try again later"); break;
  case LOGIN_DISABLED: reply(tag, "NO [AUTHORIZATIONFAILED] this account is disabled"); break;
  case LOGIN_BAD: reply(tag, "NO [AUTHENTICATIONFAILED] invalid user name or password"); break;
  default: reply(tag, "NO [UNAVAILABLE] temporary failure, try again later"); break;
  }
}

/* AUTHENTICATE PLAIN (RFC 4616) with or without an initial response. */
static void auth_plain(imap_span tag, const char *ir, size_t irl)
{
  unsigned char dec[LOGIN_CMD_MAX];
  const char *authc = 0, *pass = 0;
  if (!ir) {
    puts_("+ \r\n");
    loginstage_response(&ls, &ir, &irl);
  }
  switch (loginstage_plain(ir, irl, dec, sizeof dec, &authc, &pass)) {
  case PLAIN_OK: login(tag, authc, pass); break;
  case PLAIN_CANCELLED: reply(tag, "BAD authentication cancelled"); break;
  case PLAIN_BASE64: reply(tag, "BAD invalid base64"); break;
  case PLAIN_PROXY: reply(tag, "NO [AUTHORIZATIONFAILED] logging in as another user is not allowed"); break;
  case PLAIN_TOO_LONG: reply(tag, "NO [AUTHENTICATIONFAILED] invalid user name or password"); break;
  default: reply(tag, "BAD malformed PLAIN response"); break;
  }
  sodium_memzero(dec, sizeof dec);
}

/* Reads one command (lines and literals) into cmd.  1 ok, 0 EOF, -1 too
 * long (the connection is then closed), -2 read error or time-out. */
static int read_command(void)
{
  const char *line;
  size_t n;
  cmdlen = 0;
  for (;;) {
    uint64_t lit;
    int nonsync, m, r = lb_getline(&ls.lb, &line, &n);
    if (r < 0) return errno == ERANGE ? -1 : -2;
    if (r == 0) return 0;
    if (n && line[n - 1] == '\n') n--;
    if (n && line[n - 1] == '\r') n--;
    if (n > sizeof cmd - cmdlen) return -1;
    memcpy(cmd + cmdlen, line, n);
    cmdlen += n;
    m = imap_literal_at_end(line, n, &lit, &nonsync);
    if (m <= 0) return 1;
    if (lit + 2 > sizeof cmd - cmdlen) return -1;
    if (!nonsync) puts_("+ go ahead\r\n");
    memcpy(cmd + cmdlen, "\r\n", 2);
    cmdlen += 2;
    while (lit) {
      ssize_t got = lb_read(&ls.lb, cmd + cmdlen, (size_t)lit);
      if (got <= 0) return got < 0 ? -2 : 0;
      cmdlen += (size_t)got;
      lit -= (uint64_t)got;
    }
  }
}

/* One command; returns 0 when it counts as an error. */
static int command(void)
{
  imap_parser p;
  imap_span tag, verb;
  imap_parser_init(&p, cmd, cmdlen);
  if (!imap_tag(&p, &tag)) { puts_("* BAD no tag\r\n"); return 0; }
  if (!imap_sp(&p) || !imap_atom(&p, &verb)) { reply(tag, "BAD no command"); return 0; }
  if (imap_is(verb, "CAPABILITY") && imap_eol(&p)) {
    puts_("* CAPABILITY ");
    capabilities();
    puts_("\r\n");
    reply(tag, "OK CAPABILITY completed");
  } else if (imap_is(verb, "NOOP") && imap_eol(&p)) {
    reply(tag, "OK NOOP completed");
  } else if (imap_is(verb, "LOGOUT") && imap_eol(&p)) {
    puts_("* BYE logging out\r\n");
    reply(tag, "OK LOGOUT completed");
    exit(0);
  } else if (imap_is(verb, "ID")) {
    puts_("* ID (\"name\" \"yubin\")\r\n");
    reply(tag, "OK ID completed");
  } else if (imap_is(verb, "STARTTLS") && imap_eol(&p)) {
    if (ls.tls || !starttls_available()) { reply(tag, "BAD STARTTLS is not available here"); return 0; }
    {
      char r[STARTTLS_REPLY_MAX];
      if (tag.len + 32 > sizeof r) { reply(tag, "BAD tag too long"); return 0; }
      memcpy(r, tag.s, tag.len);
      memcpy(r + tag.len, " OK begin TLS negotiation now\r\n", 31);
      loginstage_starttls(&ls, r, tag.len + 31);
    }
  } else if (imap_is(verb, "LOGIN")) {
    sa user = SA_ZERO, pass = SA_ZERO;
    int ok = imap_sp(&p) && imap_astring(&p, &user) && imap_sp(&p) && imap_astring(&p, &pass) &&
             imap_eol(&p) && sa_0(&user) && sa_0(&pass);
    if (!ok) reply(tag, "BAD LOGIN wants a user name and a password");
    else if (!loginstage_plain_ok(&ls)) reply(tag, "NO [PRIVACYREQUIRED] use STARTTLS before logging in");
    else if (strlen(user.s) != user.len || strlen(pass.s) != pass.len || user.len > ADDR_MAX)
      reply(tag, "NO [AUTHENTICATIONFAILED] invalid user name or password");
    else login(tag, user.s, pass.s);
    if (pass.s) sodium_memzero(pass.s, pass.a);
    sa_free(&user);
    sa_free(&pass);
    sodium_memzero(cmd, sizeof cmd);
    return ok;
  } else if (imap_is(verb, "AUTHENTICATE")) {
    imap_span mech, ir = { 0, 0 };
    if (!imap_sp(&p) || !imap_atom(&p, &mech) ||
        (imap_peek(&p) == ' ' && (!imap_sp(&p) || !imap_atom(&p, &ir))) || !imap_eol(&p)) {
      reply(tag, "BAD AUTHENTICATE wants a mechanism");
      return 0;
    }
    if (!imap_is(mech, "PLAIN")) { reply(tag, "NO unsupported authentication mechanism"); return 0; }
    if (!loginstage_plain_ok(&ls)) { reply(tag, "NO [PRIVACYREQUIRED] use STARTTLS before logging in"); return 0; }
    auth_plain(tag, ir.s, ir.len);
    sodium_memzero(cmd, sizeof cmd);
  } else if (imap_is(verb, "CAPABILITY") || imap_is(verb, "NOOP") || imap_is(verb, "LOGOUT") ||
             imap_is(verb, "STARTTLS")) {
    reply(tag, "BAD junk after the command");
    return 0;
  } else {
    reply(tag, "BAD log in first");
    return 0;
  }
  return 1;
}

int main(int argc, char **argv)
{
  static char lbuf[LOGIN_CMD_MAX];
  unsigned long errors = 0;

  log_init(argv[0]);
  if (argc != 1) die(100, "usage: yubin-imap-login");
  loginstage_init(&ls, "imap", "imaptimeout", 1800, lbuf, sizeof lbuf);

  puts_("* OK [CAPABILITY ");
  capabilities();
  puts_("] yubin IMAP server ready\r\n");
  for (;;) {
    int r = read_command();
    if (r == 0) break;
    if (r == -1) { puts_("* BYE command too long\r\n"); break; }
    if (r == -2) {
      if (errno == ETIMEDOUT) puts_("* BYE autologout: idle too long\r\n");
      break;
    }
    if (!command() && ++errors >= LOGIN_MAX_ERRORS) { puts_("* BYE too many errors\r\n"); break; }
  }
  return 0;
}
