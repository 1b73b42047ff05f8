/* yubin-imap-login: the IMAP not-authenticated state (RFC 3501, 4959
 * SASL-IR, 4616 PLAIN, 2971 ID, 7888 LITERAL+), run as yubind under
 * yubin-tcpd and yubin-tlsd.  It parses the network's input before login,
 * hands the credentials to yubin-auth, which starts yubin-imapd as the
 * account (lib/authrun.h), and records POP-before-SMTP.
 * Interface: imapd/README.md.  Exit: 0 session over, 100 usage, 111 system
 * failure. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "addr.h"
#include "atomic.h"
#include "authrun.h"
#include "control.h"
#include "imapcmd.h"
#include "instance.h"
#include "ipstate.h"
#include "linebuf.h"
#include "log.h"
#include "privs.h"
#include "session.h"
#include "starttls.h"

#define AUTHFAIL_WINDOW 900     /* seconds (doc/ipstate.md) */
#define AUTHFAIL_LOCKOUT 10     /* failures in the window before refusing outright */
#define MAX_ERRORS 20           /* bad commands before the connection is closed */
#define LOGIN_CMD_MAX 8192      /* a whole command here, literals included */

static char ip[64] = "unknown", auth[INSTANCE_PATH_MAX];
static int tls, plain_loopback;
static unsigned long pbs_minutes;
static linebuf lb;
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

static int loopback(void)
{
  return !strncmp(ip, "127.", 4) || !strcmp(ip, "::1") || !strncmp(ip, "::ffff:127.", 11);
}

static int plain_ok(void) { return tls || (plain_loopback && loopback()); }

static void capabilities(void)
{
  puts_("IMAP4rev1 LITERAL+ SASL-IR ID");
  if (!tls && starttls_available()) puts_(" STARTTLS");
  puts_(plain_ok() ? " AUTH=PLAIN" : " LOGINDISABLED");
}

static void sleep_ms(unsigned long ms)
{
  struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) ;
}

/* Checks the credentials; returns only when the session stays here. */
static void login(imap_span tag, const char *name, const char *pass)
{
  char safe[ADDR_MAX + 1];
  int ipok = ipstate_ip_ok(ip), pid = 0, input = -1, r, st;
  unsigned long fails;
  log_safe(name, safe, sizeof safe);
  if (ipok && authfail_count(ip, AUTHFAIL_WINDOW) >= AUTHFAIL_LOCKOUT) {
    log_info("%ld login refused ip=%s user=%s reason=too-many-failures", (long)getpid(), ip, safe);
    reply(tag, "NO [UNAVAILABLE] too many failed logins from your address, try again later");
    return;
  }
  r = authrun(auth, "imap", name, pass, &pid, &input);
  if (r == AUTHRUN_OK) {
    /* yubin-imapd has the mailbox and waits for the pipelined input; the
     * tagged OK goes out first, after the IP is recorded */
    int null;
    if (ipok) {
      authfail_clear(ip);
      if (pbs_minutes && !pbs_record(ip)) warn_sys("unable to record POP-before-SMTP for %s", ip);
    }
    put(tag.s, tag.len);
    puts_(" OK [CAPABILITY " SESSION_CAPABILITIES "] logged in\r\n");
    authrun_handover(input, lb.buf + lb.start, lb_pending(&lb));
    null = open("/dev/null", O_RDWR);
    if (null >= 0) { dup2(null, 0); dup2(null, 1); if (null > 1) close(null); }
    if (ipok && pbs_minutes) pbs_clean(pbs_minutes);
    log_info("%ld login ok ip=%s user=%s tls=%d", (long)getpid(), ip, safe, tls);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) ;
    exit(0);
  }
  if (r == AUTHRUN_TEMP || r == AUTHRUN_IN_USE) {
    log_info("%ld login temporary-failure ip=%s user=%s", (long)getpid(), ip, safe);
    reply(tag, "NO [UNAVAILABLE] temporary failure, try again later");
    return;
  }
  fails = ipok ? authfail_add(ip, AUTHFAIL_WINDOW) : 1;
  log_info("%ld login failed ip=%s user=%s reason=%s failures=%lu", (long)getpid(), ip, safe,
           r == AUTHRUN_DISABLED ? "disabled" : "credentials", fails);
  sleep_ms(authfail_delay_ms(fails));
  reply(tag, r == AUTHRUN_DISABLED ? "NO [AUTHORIZATIONFAILED] this account is disabled"
                                   : "NO [AUTHENTICATIONFAILED] invalid user name or password");
}

/* AUTHENTICATE PLAIN (RFC 4616) with or without an initial response. */
static void auth_plain(imap_span tag, const char *ir, size_t irl)
{
  static char b64[LOGIN_CMD_MAX + 1];
  unsigned char dec[LOGIN_CMD_MAX];
  size_t dl = 0, n;
  const char *end, *l, *authz, *authc, *pass;
  if (!ir) {
    puts_("+ \r\n");
    if (lb_getline(&lb, &l, &n) != 1) exit(0);
    if (n && l[n - 1] == '\n') n--;
    if (n && l[n - 1] == '\r') n--;
    memcpy(b64, l, n);
    ir = b64;
    irl = n;
  }
  if (irl == 1 && ir[0] == '*') { reply(tag, "BAD authentication cancelled"); return; }
  if (irl == 1 && ir[0] == '=') irl = 0;
  if (sodium_base642bin(dec, sizeof dec - 1, ir, irl, 0, &dl, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != ir + irl) {
    reply(tag, "BAD invalid base64");
    return;
  }
  dec[dl] = 0;
  {
    const unsigned char *p1 = memchr(dec, 0, dl), *p2 = p1 ? memchr(p1 + 1, 0, dl - (size_t)(p1 + 1 - dec)) : 0;
    if (!p2 || p2 == p1 + 1 || memchr(p2 + 1, 0, dl - (size_t)(p2 + 1 - dec))) {
      reply(tag, "BAD malformed PLAIN response");
      sodium_memzero(dec, sizeof dec);
      return;
    }
    authz = (const char *)dec;
    authc = (const char *)p1 + 1;
    pass = (const char *)p2 + 1;
  }
  if (authz[0] && strcmp(authz, authc) != 0) reply(tag, "NO [AUTHORIZATIONFAILED] logging in as another user is not allowed");
  else if (strlen(authc) > ADDR_MAX) reply(tag, "NO [AUTHENTICATIONFAILED] invalid user name or password");
  else login(tag, authc, pass);
  sodium_memzero(dec, sizeof dec);
  sodium_memzero(b64, sizeof b64);
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
    int nonsync, m, r = lb_getline(&lb, &line, &n);
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
      ssize_t got = lb_read(&lb, cmd + cmdlen, (size_t)lit);
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
    if (tls || !starttls_available()) { reply(tag, "BAD STARTTLS is not available here"); return 0; }
    {
      char r[STARTTLS_REPLY_MAX];
      if (tag.len + 32 > sizeof r) { reply(tag, "BAD tag too long"); return 0; }
      memcpy(r, tag.s, tag.len);
      memcpy(r + tag.len, " OK begin TLS negotiation now\r\n", 31);
      if (!starttls_begin(&lb, r, tag.len + 31)) {
        log_info("%ld tls handshake failed ip=%s", (long)getpid(), ip);
        exit(0);
      }
    }
    tls = 1;
  } else if (imap_is(verb, "LOGIN")) {
    sa user = SA_ZERO, pass = SA_ZERO;
    int ok = imap_sp(&p) && imap_astring(&p, &user) && imap_sp(&p) && imap_astring(&p, &pass) &&
             imap_eol(&p) && sa_0(&user) && sa_0(&pass);
    if (!ok) reply(tag, "BAD LOGIN wants a user name and a password");
    else if (!plain_ok()) reply(tag, "NO [PRIVACYREQUIRED] use STARTTLS before logging in");
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
    if (!plain_ok()) { reply(tag, "NO [PRIVACYREQUIRED] use STARTTLS before logging in"); return 0; }
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
  const char *e;
  unsigned long timeout, errors = 0;
  uid_t uid;
  gid_t gid;

  log_init(argv[0]);
  if (argc != 1) die(100, "usage: yubin-imap-login");
  signal(SIGPIPE, SIG_IGN);
  e = getenv("TCPREMOTEIP");
  if (e) log_safe(e, ip, sizeof ip);
  tls = (e = getenv("TLS")) != 0 && !strcmp(e, "1");
  timeout = control_ulong_or("imaptimeout", 1800, 10, 86400);
  pbs_minutes = control_ulong_or("popbeforesmtp", 10, 0, 10080);
  {
    char p[INSTANCE_PATH_MAX];
    if (instance_path(p, sizeof p, "control/plainloopback")) plain_loopback = access(p, F_OK) == 0;
  }
  if (!instance_path(auth, sizeof auth, "bin/yubin-auth")) die(111, "instance path too long");
  if (instance_is_root()) {
    if (privs_user(YUBIN_USER_DAEMON, &uid, &gid) != 1) die_sys(111, "unable to find user %s", YUBIN_USER_DAEMON);
    if (!privs_drop(uid, gid)) die_sys(111, "unable to drop privileges");
  }

  lb_init(&lb, 0, lbuf, sizeof lbuf, (int)(timeout * 1000));
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
    if (!command() && ++errors >= MAX_ERRORS) { puts_("* BYE too many errors\r\n"); break; }
  }
  return 0;
}
