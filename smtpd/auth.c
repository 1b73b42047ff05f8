#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "atomic.h"
#include "datefmt.h"
#include "header.h"
#include "inject.h"
#include "ipstate.h"
#include "log.h"
#include "message.h"
#include "sasl.h"
#include "starttls.h"
#include "uniq.h"

/* ---- STARTTLS ----------------------------------------------------------- */

static int may_starttls(const session *s) { return !s->tls && !s->cf->local && starttls_available(); }

int auth_check_starttls(session *s, const smtp_cmd *c)
{
  if (c->arglen) { session_reply(s, "501 5.5.4 syntax: STARTTLS"); return 0; }
  if (s->tls) { session_reply(s, "503 5.5.1 TLS already active"); return 0; }
  if (!may_starttls(s)) { session_reply(s, "502 5.5.1 STARTTLS not available"); return 0; }
  if (s->state == ST_BDAT) { session_reply(s, "503 5.5.1 BDAT transaction in progress"); return 0; }
  return 1;
}

void auth_do_starttls(session *s, const smtp_cmd *c)
{
  static const char ready[] = "220 2.0.0 ready to start TLS\r\n";
  (void)c;
  session_flush(s);
  if (s->outerr) return;
  /* yubin-tlsd sends the reply; everything the client sent after STARTTLS
   * is dropped here. */
  if (!starttls_begin(&s->lb, ready, sizeof ready - 1)) {
    s->end = "tls handshake failed";
    s->quit = 1;
    return;
  }
  /* RFC 3207 4.2: forget everything; the client must EHLO again. */
  session_txn_reset(s);
  s->state = ST_START;
  s->helo[0] = 0;
  s->ehlo = 0;
  s->tls = 1;
  {
    const char *p = getenv("TLS_PROTOCOL"), *ci = getenv("TLS_CIPHER");
    log_info("%s starttls protocol=%s cipher=%s", s->sid, p ? p : "-", ci ? ci : "-");
  }
}

/* ---- AUTH --------------------------------------------------------------- */

static int plain_ok(const session *s) { return s->tls || s->cf->authplaintext; }

void auth_ehlo(session *s)
{
  if (may_starttls(s)) session_reply(s, "250-STARTTLS");
  if (s->cf->local || !s->cf->authprog) return;
  /* Submission without TLS: AUTH is advertised only after STARTTLS. */
  if (s->cf->role != ROLE_SMTP && !s->tls && !s->cf->authplaintext) return;
  if (plain_ok(s)) session_reply(s, "250-AUTH PLAIN LOGIN CRAM-MD5");
  else session_reply(s, "250-AUTH CRAM-MD5");
}

int auth_check_auth(session *s, const smtp_cmd *c)
{
  char ip[64];
  if (s->cf->local || !s->cf->authprog) { session_reply(s, "502 5.5.1 AUTH not available"); return 0; }
  if (!s->ehlo) { session_reply(s, "503 5.5.1 send EHLO first"); return 0; }
  if (s->authuser[0]) { session_reply(s, "503 5.5.1 already authenticated"); return 0; }
  if (s->state != ST_HELO) { session_reply(s, "503 5.5.1 AUTH not allowed during a mail transaction"); return 0; }
  if (s->cf->role != ROLE_SMTP && !s->tls && !s->cf->authplaintext) {
    session_reply(s, "530 5.7.0 must issue a STARTTLS command first");
    return 0;
  }
  if (c->arglen == 0) { session_reply(s, "501 5.5.4 syntax: AUTH mechanism [initial-response]"); return 0; }
  if (authfail_count(session_safe(s->cf->remoteip, ip, sizeof ip), AUTH_FAIL_WINDOW) >= AUTH_FAIL_MAX) {
    session_reply(s, "454 4.7.0 too many failed logins from your address, try again later");
    return 0;
  }
  return 1;
}

/* Reads one SASL response line (without CRLF) into buf.  Returns its length,
 * -1 when the client cancelled ("*") or the line is bad (reply sent), -2 when
 * the session is over. */
static long sasl_line(session *s, char *buf, size_t n)
{
  const char *line;
  size_t len;
  int r;
  session_flush(s);
  r = lb_getline(&s->lb, &line, &len);
  if (r == 0) { session_lost(s, "eof in auth"); return -2; }
  if (r < 0) {
    if (errno == ERANGE) { session_reply(s, "500 5.5.6 authentication exchange line too long"); return -1; }
    session_lost(s, errno == ETIMEDOUT ? "timeout in auth" : "read error in auth");
    return -2;
  }
  if (len < 2 || line[len - 2] != '\r') { session_reply(s, "501 5.5.2 lines must end with CRLF"); return -1; }
  len -= 2;
  if (len == 1 && line[0] == '*') { session_reply(s, "501 5.0.0 authentication cancelled"); return -1; }
  if (len >= n) { session_reply(s, "500 5.5.6 authentication exchange line too long"); return -1; }
  memcpy(buf, line, len);
  buf[len] = 0;
  return (long)len;
}

/* Runs yubin-auth check with the record on its fd 3.  Returns its exit code
 * (0 ok, 1 bad, 2 disabled, 111 temporary) and the canonical address. */
static int run_checker(const session *s, const char *rec, size_t reclen, char *canon, size_t n)
{
  int in[2], out[2], st;
  pid_t pid;
  size_t got = 0;
  if (pipe2(in, O_CLOEXEC) != 0) return 111;
  if (pipe2(out, O_CLOEXEC) != 0) { close(in[0]); close(in[1]); return 111; }
  pid = fork();
  if (pid < 0) { close(in[0]); close(in[1]); close(out[0]); close(out[1]); return 111; }
  if (pid == 0) {
    /* dup2 onto the same number keeps close-on-exec: clear it explicitly. */
    if (dup2(in[0], 3) < 0 || dup2(out[1], 1) < 0) _exit(111);
    if (fcntl(3, F_SETFD, 0) != 0 || fcntl(1, F_SETFD, 0) != 0) _exit(111);
    execl(s->cf->authprog, s->cf->authprog, "check", (char *)0);
    _exit(111);
  }
  close(in[0]);
  close(out[1]);
  (void)!write_all(in[1], rec, reclen);
  close(in[1]);
  for (;;) {
    ssize_t r = read(out[0], canon + got, n - 1 - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
    if (got == n - 1) break;
  }
  close(out[0]);
  canon[got] = 0;
  if (got && canon[got - 1] == '\n') canon[got - 1] = 0;
  while (waitpid(pid, &st, 0) < 0) if (errno != EINTR) return 111;
  if (!WIFEXITED(st)) return 111;
  return WEXITSTATUS(st);
}

static void delay_ms(unsigned long ms)
{
  struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static void finish(session *s, const char *mech, sasl_creds *c, const char *challenge)
{
  char rec[SASL_USER_MAX + SASL_PASS_MAX + 512], canon[ADDR_MAX + 1], ip[64], ub[SASL_USER_MAX + 1];
  size_t rl;
  int r;
  session_safe(s->cf->remoteip, ip, sizeof ip);
  {
    /* MECH \0 user \0 (challenge \0)? secret \0 -- auth/README.md */
    const char *parts[4];
    size_t lens[4], np = 0, k;
    int cram = !strcmp(mech, "CRAM-MD5");
    parts[np] = cram ? "CRAM-MD5" : "PLAIN"; lens[np] = strlen(parts[np]); np++;
    parts[np] = c->user; lens[np] = strlen(c->user); np++;
    if (cram) { parts[np] = challenge; lens[np] = strlen(challenge); np++; }
    parts[np] = c->pass; lens[np] = c->pass_len; np++;
    rl = 0;
    for (k = 0; k < np; k++) {
      if (rl + lens[k] + 1 > sizeof rec) { rl = 0; break; }
      memcpy(rec + rl, parts[k], lens[k]);
      rl += lens[k];
      rec[rl++] = 0;
    }
  }
  r = run_checker(s, rec, rl, canon, sizeof canon);
  sodium_memzero(rec, sizeof rec);
  session_safe(c->user, ub, sizeof ub);
  sasl_wipe(c);
  if (r == 0 && canon[0]) {
    snprintf(s->authuser, sizeof s->authuser, "%s", canon);
    snprintf(s->authmech, sizeof s->authmech, "%s", mech);
    authfail_clear(ip);
    log_info("%s auth ip=%s user=%s mech=%s result=ok", s->sid, ip, s->authuser, mech);
    session_reply(s, "235 2.7.0 authentication successful");
    return;
  }
  if (r == 111 || r > 2) {
    log_info("%s auth ip=%s user=%s mech=%s result=temporary", s->sid, ip, ub, mech);
    session_reply(s, "454 4.7.0 temporary authentication failure, try again later");
    return;
  }
  {
    unsigned long n = authfail_add(ip, AUTH_FAIL_WINDOW);
    log_info("%s auth ip=%s user=%s mech=%s result=failed failures=%lu", s->sid, ip, ub, mech, n);
    session_flush(s);
    delay_ms(authfail_delay_ms(n));
    session_reply(s, "535 5.7.8 authentication credentials invalid");
  }
}

void auth_do_auth(session *s, const smtp_cmd *c)
{
  char mech[16], line[SASL_LINE_MAX + 1], enc[SASL_LINE_MAX + 1], challenge[256];
  const char *sp = memchr(c->arg, ' ', c->arglen);
  size_t ml = sp ? (size_t)(sp - c->arg) : c->arglen, i;
  const char *ir = sp ? sp + 1 : 0;
  size_t irl = sp ? c->arglen - ml - 1 : 0;
  sasl_creds cr;
  long l;
  memset(&cr, 0, sizeof cr);
  if (ml == 0 || ml >= sizeof mech) { session_reply(s, "504 5.5.4 unrecognized authentication mechanism"); return; }
  for (i = 0; i < ml; i++) mech[i] = (char)((c->arg[i] >= 'a' && c->arg[i] <= 'z') ? c->arg[i] - 32 : c->arg[i]);
  mech[ml] = 0;

  if (!strcmp(mech, "PLAIN") || !strcmp(mech, "LOGIN")) {
    if (!plain_ok(s)) { session_reply(s, "538 5.7.11 encryption required for requested authentication mechanism"); return; }
  } else if (strcmp(mech, "CRAM-MD5") != 0) {
    session_reply(s, "504 5.5.4 unrecognized authentication mechanism");
    return;
  }

  if (!strcmp(mech, "PLAIN")) {
    if (ir) {
      if (irl >= sizeof line) { session_reply(s, "501 5.5.2 initial response too long"); return; }
      memcpy(line, ir, irl);
      line[irl] = 0;
      l = (long)irl;
    } else {
      session_reply(s, "334 ");
      if ((l = sasl_line(s, line, sizeof line)) < 0) return;
    }
    if (!sasl_plain(line, (size_t)l, &cr)) {
      sodium_memzero(line, sizeof line);
      session_reply(s, "501 5.5.2 cannot decode the PLAIN response");
      return;
    }
    sodium_memzero(line, sizeof line);
    finish(s, mech, &cr, 0);
  } else if (!strcmp(mech, "LOGIN")) {
    if (ir) {
      if (!sasl_login_user(ir, irl, &cr)) { session_reply(s, "501 5.5.2 cannot decode the user name"); return; }
    } else {
      session_reply(s, "334 VXNlcm5hbWU6");   /* "Username:" */
      if ((l = sasl_line(s, line, sizeof line)) < 0) return;
      if (!sasl_login_user(line, (size_t)l, &cr)) { session_reply(s, "501 5.5.2 cannot decode the user name"); return; }
    }
    session_reply(s, "334 UGFzc3dvcmQ6");     /* "Password:" */
    if ((l = sasl_line(s, line, sizeof line)) < 0) { sasl_wipe(&cr); return; }
    if (!sasl_login_pass(line, (size_t)l, &cr)) {
      sodium_memzero(line, sizeof line);
      sasl_wipe(&cr);
      session_reply(s, "501 5.5.2 cannot decode the password");
      return;
    }
    sodium_memzero(line, sizeof line);
    finish(s, mech, &cr, 0);
  } else {
    if (ir) { session_reply(s, "501 5.5.2 CRAM-MD5 takes no initial response"); return; }
    sasl_cram_challenge(s->cf->me, challenge, sizeof challenge);
    if (sasl_b64_encode((const unsigned char *)challenge, strlen(challenge), enc, sizeof enc) < 0) {
      session_reply(s, "454 4.7.0 temporary authentication failure");
      return;
    }
    session_reply(s, "334 %s", enc);
    if ((l = sasl_line(s, line, sizeof line)) < 0) return;
    if (!sasl_cram(line, (size_t)l, &cr)) { session_reply(s, "501 5.5.2 cannot decode the CRAM-MD5 response"); return; }
    finish(s, mech, &cr, challenge);
  }
}

/* ---- the sender policy -------------------------------------------------- */

/* The authenticated account (or, for sendmail -bs, nobody in particular) may
 * use sender addresses in its own domain: that domain or ACCOUNT.domain. */
static int sender_ok(const session *s, const char *address)
{
  const char *at = strrchr(address, '@'), *aat = strrchr(s->authuser, '@');
  const char *dom, *adom;
  size_t al;
  if (!address[0]) return 1;                 /* <>: reports and bounces */
  if (!at || !aat) return 0;
  dom = at + 1;
  adom = aat + 1;
  if (strcasecmp(dom, adom) == 0) return 1;
  al = (size_t)(aat - s->authuser);
  /* ext@acct.domain form: "acct.domain" */
  return strlen(dom) == al + 1 + strlen(adom) && strncasecmp(dom, s->authuser, al) == 0 && dom[al] == '.' &&
         strcasecmp(dom + al + 1, adom) == 0;
}

int auth_mail_allowed(session *s)
{
  if (s->cf->role != ROLE_SMTP && !s->cf->local && !s->authuser[0]) {
    session_reply(s, "530 5.7.0 authentication required");
    return 0;
  }
  if (s->cf->senderpolicy && s->authuser[0] && !sender_ok(s, s->sender)) {
    char sb[ADDR_MAX + 1];
    log_info("%s mail from=<%s> auth=%s result=\"552 senderhosts\"", s->sid,
             session_safe(s->sender, sb, sizeof sb), s->authuser);
    session_reply(s, "552 5.7.1 sorry, your domain isn't in my list of allowed senderhosts");
    return 0;
  }
  return 1;
}

/* ---- the header pass ---------------------------------------------------- */

void submit_begin(session *s)
{
  s->hdr.len = 0;
  s->hdr_done = 0;
  s->hdr_refusal = 0;
  s->hdr_active = s->cf->role != ROLE_SMTP || (s->cf->senderpolicy && s->authuser[0]);
}

/* The whole header is in s->hdr (ending with the empty line when body_sep):
 * check From:, add what is missing, send it on. */
static void header_complete(session *s)
{
  size_t pos = 0, end = s->hdr.len;
  hdr_field f;
  int sep = 0, has_date = 0, has_id = 0;
  char extra[512];
  size_t xl = 0;
  while (hdr_next(s->hdr.s, s->hdr.len, &pos, &f, &sep) == 1) {
    if (hdr_is(&f, "Date")) has_date = 1;
    else if (hdr_is(&f, "Message-ID")) has_id = 1;
    else if (hdr_is(&f, "From") && s->cf->senderpolicy && s->authuser[0]) {
      sa list = SA_ZERO;
      size_t count = 0, i = 0;
      const char *why;
      if (!hdr_addrlist(f.value, f.value_len, 0, &list, &count, &why)) {
        s->hdr_refusal = "550 5.6.0 message refused: the From: header cannot be parsed";
      }
      while (!s->hdr_refusal && i < list.len) {
        if (!sender_ok(s, list.s + i)) s->hdr_refusal = "552 5.7.1 sorry, your domain isn't in my list of allowed senderhosts";
        i += strlen(list.s + i) + 1;
      }
      sa_free(&list);
    }
  }
  /* Where the header ends: before the empty line, or at the end. */
  if (sep && pos >= 1) end = pos - 1;
  else end = pos;
  if (s->cf->role != ROLE_SMTP) {
    char date[DATEFMT_MAX], id[33];
    if (!has_date) xl += (size_t)snprintf(extra + xl, sizeof extra - xl, "Date: %s\n", datefmt_rfc5322(time(0), date));
    if (!has_id) {
      uniq_hex(id, 24);
      xl += (size_t)snprintf(extra + xl, sizeof extra - xl, "Message-ID: <%s.%s@%s>\n", s->qid, id, s->cf->me);
    }
  }
  inject_write(&s->q, s->hdr.s, end);
  if (xl) inject_write(&s->q, extra, xl);
  inject_write(&s->q, s->hdr.s + end, s->hdr.len - end);
  s->hdr.len = 0;
  s->hdr_done = 1;
}

void submit_write(session *s, const char *p, size_t n)
{
  if (!s->hdr_active || s->hdr_done) { inject_write(&s->q, p, n); return; }
  while (n > 0 && !s->hdr_done) {
    /* Take up to the end of the header: an empty line ("\n" at a line start). */
    size_t i, take = n;
    int found = 0;
    for (i = 0; i < n; i++) {
      char prev = i > 0 ? p[i - 1] : (s->hdr.len ? s->hdr.s[s->hdr.len - 1] : '\n');
      if (prev == '\n' && p[i] == '\n') { take = i + 1; found = 1; break; }
    }
    if (s->hdr.len + take > SUBMIT_HEADER_MAX) {
      s->hdr_refusal = "552 5.3.4 message refused: the header is too large";
      inject_write(&s->q, s->hdr.s, s->hdr.len);
      s->hdr.len = 0;
      s->hdr_done = 1;
      break;
    }
    if (!sa_catb(&s->hdr, p, take)) { s->hdr_refusal = "451 4.3.0 out of memory"; s->hdr_done = 1; break; }
    p += take;
    n -= take;
    if (found) header_complete(s);
  }
  if (n) inject_write(&s->q, p, n);
}

const char *submit_end(session *s)
{
  if (s->hdr_active && !s->hdr_done) header_complete(s);
  s->hdr_active = 0;
  return s->hdr_refusal;
}
