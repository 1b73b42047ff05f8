/* yubin-pop3-login: the POP3 AUTHORIZATION state (RFC 1939, 2449, 2595,
 * 5034), run as yubind under yubin-tcpd and yubin-tlsd.  It parses the
 * network's input before login, hands the credentials to yubin-auth, which
 * starts yubin-pop3d as the account (handoff.h), and records POP-before-SMTP.
 * Interface: pop3d/README.md.  Exit: 0 session over, 100 usage, 111 system
 * failure. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "addr.h"
#include "control.h"
#include "instance.h"
#include "ipstate.h"
#include "linebuf.h"
#include "log.h"
#include "authrun.h"
#include "pop3cmd.h"
#include "pop3io.h"
#include "privs.h"
#include "starttls.h"

#define AUTHFAIL_WINDOW 900     /* seconds (doc/ipstate.md) */
#define AUTHFAIL_LOCKOUT 10     /* failures in the window before refusing outright */
#define MAX_ERRORS 20           /* bad commands before the connection is closed */

static char ip[64] = "unknown", auth[INSTANCE_PATH_MAX];
static char user[ADDR_MAX + 1];
static int have_user, tls, plain_loopback;
static unsigned long pbs_minutes;
static linebuf lb;

static int loopback(void)
{
  return !strncmp(ip, "127.", 4) || !strcmp(ip, "::1") || !strncmp(ip, "::ffff:127.", 11);
}

/* May credentials travel in the clear now? */
static int plain_ok(void) { return tls || (plain_loopback && loopback()); }

static void capa(void)
{
  out_puts("+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n");
  if (plain_ok()) out_puts("USER\r\nSASL PLAIN\r\n");
  if (!tls && starttls_available()) out_puts("STLS\r\n");
  out_puts("IMPLEMENTATION yubin\r\n.\r\n");
}

static void sleep_ms(unsigned long ms)
{
  struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) ;
}

/* Checks the credentials; returns only when the session stays here. */
static void login(const char *name, const char *pass)
{
  char safe[ADDR_MAX + 1];
  int ipok = ipstate_ip_ok(ip), pid = 0, input = -1, r, st;
  unsigned long fails;
  log_safe(name, safe, sizeof safe);
  if (ipok && authfail_count(ip, AUTHFAIL_WINDOW) >= AUTHFAIL_LOCKOUT) {
    log_info("%ld login refused ip=%s user=%s reason=too-many-failures", (long)getpid(), ip, safe);
    out_puts("-ERR [SYS/TEMP] too many failed logins from your address, try again later\r\n");
    return;
  }
  out_flush();   /* every earlier reply goes out before yubin-pop3d's */
  r = authrun(auth, "pop3", name, pass, &pid, &input);
  if (r == AUTHRUN_OK) {
    /* yubin-pop3d owns the connection from here on; it sends its "+OK" once
     * it has the pipelined input, so the IP is recorded before the client
     * can know it is logged in. */
    int null;
    if (ipok) {
      authfail_clear(ip);
      if (pbs_minutes && !pbs_record(ip)) warn_sys("unable to record POP-before-SMTP for %s", ip);
    }
    authrun_handover(input, lb.buf + lb.start, lb_pending(&lb));
    null = open("/dev/null", O_RDWR);
    if (null >= 0) { dup2(null, 0); dup2(null, 1); if (null > 1) close(null); }
    if (ipok && pbs_minutes) pbs_clean(pbs_minutes);
    log_info("%ld login ok ip=%s user=%s tls=%d", (long)getpid(), ip, safe, tls);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) ;
    exit(0);
  }
  if (r == AUTHRUN_IN_USE) {
    log_info("%ld login in-use ip=%s user=%s", (long)getpid(), ip, safe);
    out_puts("-ERR [IN-USE] another session is using this mailbox\r\n");
    return;
  }
  if (r == AUTHRUN_TEMP) {
    log_info("%ld login temporary-failure ip=%s user=%s", (long)getpid(), ip, safe);
    out_puts("-ERR [SYS/TEMP] temporary failure, try again later\r\n");
    return;
  }
  fails = ipok ? authfail_add(ip, AUTHFAIL_WINDOW) : 1;
  log_info("%ld login failed ip=%s user=%s reason=%s failures=%lu", (long)getpid(), ip, safe,
           r == AUTHRUN_DISABLED ? "disabled" : "credentials", fails);
  out_flush();
  sleep_ms(authfail_delay_ms(fails));
  out_puts(r == AUTHRUN_DISABLED ? "-ERR [AUTH] this account is disabled\r\n"
                               : "-ERR [AUTH] invalid user name or password\r\n");
}

/* AUTH PLAIN (RFC 4616) with or without an initial response. */
static void auth_plain(const char *ir)
{
  static char b64[POP3_LINE_MAX + 1];
  unsigned char dec[POP3_LINE_MAX];
  size_t dl = 0, n;
  const char *end, *l, *authz, *authc, *pass;
  if (!ir) {
    out_puts("+ \r\n");
    out_flush();
    if (lb_getline(&lb, &l, &n) != 1) exit(0);
    if (n && l[n - 1] == '\n') n--;
    if (n && l[n - 1] == '\r') n--;
    memcpy(b64, l, n);
    b64[n] = 0;
    ir = b64;
  }
  if (!strcmp(ir, "*")) { out_puts("-ERR authentication cancelled\r\n"); return; }
  if (!strcmp(ir, "=")) ir = "";
  if (sodium_base642bin(dec, sizeof dec - 1, ir, strlen(ir), 0, &dl, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      *end) {
    out_puts("-ERR invalid base64 in AUTH PLAIN\r\n");
    return;
  }
  dec[dl] = 0;
  /* authzid \0 authcid \0 password, with no other NUL */
  {
    const unsigned char *p1 = memchr(dec, 0, dl), *p2 = p1 ? memchr(p1 + 1, 0, dl - (size_t)(p1 + 1 - dec)) : 0;
    if (!p2 || p2 == p1 + 1 || memchr(p2 + 1, 0, dl - (size_t)(p2 + 1 - dec))) {
      out_puts("-ERR malformed AUTH PLAIN response\r\n");
      sodium_memzero(dec, sizeof dec);
      return;
    }
    authz = (const char *)dec;
    authc = (const char *)p1 + 1;
    pass = (const char *)p2 + 1;
  }
  if (authz[0] && strcmp(authz, authc) != 0) {
    out_puts("-ERR [AUTH] logging in as another user is not allowed\r\n");
  } else if (strlen(authc) > ADDR_MAX) {
    out_puts("-ERR [AUTH] invalid user name or password\r\n");
  } else {
    login(authc, pass);
  }
  sodium_memzero(dec, sizeof dec);
  sodium_memzero(b64, sizeof b64);
}

static int command(pop3_cmd *c)
{
  switch (c->verb) {
  case POP3_CAPA: capa(); return 1;
  case POP3_NOOP: out_puts("+OK\r\n"); return 1;
  case POP3_QUIT: out_puts("+OK bye\r\n"); out_flush(); exit(0);
  case POP3_STLS:
    if (tls) { out_puts("-ERR already using TLS\r\n"); return 0; }
    if (!starttls_available()) { out_puts("-ERR STLS is not available here\r\n"); return 0; }
    out_flush();
    /* yubin-tlsd sends the reply once it has stopped reading plaintext. */
    if (!starttls_begin(&lb, "+OK begin TLS negotiation\r\n", 27)) { log_info("%ld tls handshake failed ip=%s", (long)getpid(), ip); exit(0); }
    tls = 1;
    have_user = 0;
    return 1;
  case POP3_USER:
    if (!plain_ok()) { out_puts("-ERR [AUTH] use STLS before logging in\r\n"); return 0; }
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
    if (!c->text) { out_puts(plain_ok() ? "+OK\r\nPLAIN\r\n.\r\n" : "+OK\r\n.\r\n"); return 1; }
    if (strcasecmp(c->text, "PLAIN") != 0) { out_puts("-ERR unsupported authentication mechanism\r\n"); return 0; }
    if (!plain_ok()) { out_puts("-ERR [AUTH] use STLS before logging in\r\n"); return 0; }
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
  const char *e;
  unsigned long timeout, errors = 0;
  uid_t uid;
  gid_t gid;

  log_init(argv[0]);
  if (argc != 1) die(100, "usage: yubin-pop3-login");
  signal(SIGPIPE, SIG_IGN);
  e = getenv("TCPREMOTEIP");
  if (e) log_safe(e, ip, sizeof ip);
  tls = (e = getenv("TLS")) != 0 && !strcmp(e, "1");
  timeout = control_ulong_or("pop3timeout", 600, 10, 86400);
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
  out_init(1, (int)(timeout * 1000));
  out_puts("+OK yubin POP3 server ready\r\n");
  out_flush();
  for (;;) {
    const char *l;
    size_t len;
    pop3_cmd c;
    int r = lb_getline(&lb, &l, &len), ok = 0;
    if (r == 0) break;
    if (r < 0) {
      if (errno == ERANGE) { out_puts("-ERR line too long\r\n"); out_flush(); if (++errors >= MAX_ERRORS) break; continue; }
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
    if (!ok && ++errors >= MAX_ERRORS) { out_puts("-ERR too many errors, bye\r\n"); out_flush(); break; }
    if (lb_pending(&lb) == 0 || !memchr(lb.buf + lb.start, '\n', lb_pending(&lb))) out_flush();
  }
  return 0;
}
