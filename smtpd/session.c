#include "session.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "auth.h"
#include "log.h"
#include "message.h"

/* ---- replies: every reply goes through session_reply() ---------------- */

void session_flush(session *s)
{
  if (s->outn && !s->outerr && !write_all(s->out, s->outbuf, s->outn)) s->outerr = 1;
  s->outn = 0;
}

/* One reply line "CODE[-| ]X.Y.Z text"; the code and enhanced code are part of fmt. */
void session_reply(session *s, const char *fmt, ...)
{
  char line[SMTP_LINE_MAX];
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(line, sizeof line - 2, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n > sizeof line - 3) n = (int)(sizeof line - 3);
  line[n++] = '\r';
  line[n++] = '\n';
  s->lastcode = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (s->outn + (size_t)n > sizeof s->outbuf) session_flush(s);
  memcpy(s->outbuf + s->outn, line, (size_t)n);
  s->outn += (size_t)n;
}

/* Replies are held while more pipelined input is buffered, and sent before
 * the session would wait for the client. */
static void flush_if_waiting(session *s)
{
  if (!memchr(s->lb.buf + s->lb.start, '\n', lb_pending(&s->lb))) session_flush(s);
}

const char *session_safe(const char *in, char *buf, size_t n) { return log_safe(in, buf, n); }

/* ---- the transaction ---------------------------------------------------- */

void session_txn_reset(session *s)
{
  if (s->injecting) { inject_abort(&s->q); s->injecting = 0; }
  s->env.len = 0;
  s->sender[0] = 0;
  s->nrcpt = 0;
  s->bdat_fail = 0;
  memset(&s->mp, 0, sizeof s->mp);
  if (s->state > ST_HELO) s->state = ST_HELO;
}

void session_lost(session *s, const char *why)
{
  s->end = why;
  s->quit = 1;
  if (s->injecting) { inject_abort(&s->q); s->injecting = 0; }
}

/* ---- the verbs: check (validate, reply on failure) and proceed ---------- */

static int need_helo(session *s)
{
  if (s->state >= ST_HELO) return 1;
  session_reply(s, "503 5.5.1 send HELO or EHLO first");
  return 0;
}

static int no_arg(session *s, const smtp_cmd *c)
{
  if (c->arglen == 0) return 1;
  session_reply(s, "501 5.5.4 no arguments allowed");
  return 0;
}

static int check_helo(session *s, const smtp_cmd *c)
{
  if (s->state == ST_BDAT) { session_reply(s, "503 5.5.1 BDAT transaction in progress"); return 0; }
  if (!cmd_helo_ok(c->arg, c->arglen)) {
    session_reply(s, "501 5.5.4 syntax: %s domain-or-address-literal", c->verb);
    return 0;
  }
  return 1;
}

static void ehlo_extensions(session *s)
{
  if (s->cf->databytes) session_reply(s, "250-SIZE %llu", s->cf->databytes);
  else session_reply(s, "250-SIZE");
  session_reply(s, "250-PIPELINING");
  session_reply(s, "250-8BITMIME");
  session_reply(s, "250-ENHANCEDSTATUSCODES");
  session_reply(s, "250-SMTPUTF8");
  auth_ehlo(s);   /* STARTTLS and AUTH, when they are on offer */
  session_reply(s, "250 CHUNKING");
}

static void helo_common(session *s, const smtp_cmd *c, int ehlo)
{
  session_txn_reset(s);
  memcpy(s->helo, c->arg, c->arglen);
  s->helo[c->arglen] = 0;
  s->ehlo = ehlo;
  s->state = ST_HELO;
}

static void do_helo(session *s, const smtp_cmd *c)
{
  helo_common(s, c, 0);
  session_reply(s, "250 %s", s->cf->me);
}

static void do_ehlo(session *s, const smtp_cmd *c)
{
  helo_common(s, c, 1);
  if (s->cf->local) session_reply(s, "250-%s hello %s", s->cf->me, s->cf->localuser);
  else session_reply(s, "250-%s hello [%s]", s->cf->me, s->cf->remoteip);
  ehlo_extensions(s);
}

static int check_mail(session *s, const smtp_cmd *c)
{
  addr a;
  const char *why;
  int r;
  if (!need_helo(s)) return 0;
  if (s->state != ST_HELO) { session_reply(s, "503 5.5.1 nested MAIL command"); return 0; }
  r = cmd_mail(c->arg, c->arglen, &a, &s->mp, &why);
  if (r == CMD_SYNTAX) { session_reply(s, "501 %s", why); return 0; }
  if (r == CMD_BAD_PARAM) { session_reply(s, "555 %s", why); return 0; }
  if ((s->mp.smtputf8 || s->mp.body8) && !s->ehlo) {
    session_reply(s, "555 5.5.4 parameters need EHLO");
    return 0;
  }
  if (s->mp.has_size && s->cf->databytes && s->mp.size > s->cf->databytes) {
    session_reply(s, "552 5.3.4 sorry, that message size exceeds my databytes limit");
    return 0;
  }
  if (a.utf8 && !s->mp.smtputf8) { session_reply(s, "553 5.6.7 non-ASCII address needs SMTPUTF8"); return 0; }
  addr_format(&a, s->sender, sizeof s->sender);
  return auth_mail_allowed(s);
}

static void do_mail(session *s, const smtp_cmd *c)
{
  char sb[ADDR_MAX + 1];
  (void)c;
  s->env.len = 0;
  s->nrcpt = 0;
  if (!sa_catc(&s->env, 'F') || !sa_cats(&s->env, s->sender) || !sa_catc(&s->env, 0) || !sa_0(&s->env)) {
    session_reply(s, "451 4.3.0 out of memory");
    session_txn_reset(s);
    return;
  }
  s->state = ST_MAIL;
  session_reply(s, "250 2.1.0 sender <%s> ok", session_safe(s->sender, sb, sizeof sb));
}

static int check_rcpt(session *s, const smtp_cmd *c)
{
  const char *why;
  char ab[ADDR_MAX + 1], sb[ADDR_MAX + 1], lb2[ADDR_MAX + 1];
  int r;
  if (s->state != ST_MAIL && s->state != ST_RCPT) {
    session_reply(s, s->state == ST_BDAT ? "503 5.5.1 BDAT transaction in progress" : "503 5.5.1 need MAIL first");
    return 0;
  }
  r = cmd_rcpt(c->arg, c->arglen, s->mp.smtputf8 ? ADDR_UTF8 : 0, &s->rcpt, &why);
  if (r == CMD_SYNTAX) { session_reply(s, "501 %s", why); return 0; }
  if (r == CMD_BAD_PARAM) { session_reply(s, "555 %s", why); return 0; }
  if (s->nrcpt >= s->cf->maxrcpt) {
    session_reply(s, "452 4.5.3 too many recipients");
    return 0;
  }
  r = rcpt_check(s->policy, &s->rcpt, s->cf->relayclient || s->authuser[0], &why);
  if (r != 1) {
    addr_format(&s->rcpt, ab, sizeof ab);
    session_reply(s, "%s", why);
    log_info("%s rcpt from=<%s> to=<%s> result=\"%.3s\"", s->sid, session_safe(s->sender, sb, sizeof sb),
             session_safe(ab, lb2, sizeof lb2), why);
    return 0;
  }
  return 1;
}

static void do_rcpt(session *s, const smtp_cmd *c)
{
  char ab[ADDR_MAX + 1], lb2[ADDR_MAX + 1];
  (void)c;
  addr_format(&s->rcpt, ab, sizeof ab);
  if (s->env.len + strlen(ab) + 2 > SESSION_ENV_MAX ||
      !sa_catc(&s->env, 'T') || !sa_cats(&s->env, ab) || !sa_catc(&s->env, 0) || !sa_0(&s->env)) {
    session_reply(s, "452 4.5.3 too many recipients");
    return;
  }
  s->nrcpt++;
  s->state = ST_RCPT;
  session_reply(s, "250 2.1.5 recipient <%s> ok", session_safe(ab, lb2, sizeof lb2));
}

static int check_data(session *s, const smtp_cmd *c)
{
  if (!need_helo(s)) return 0;
  if (s->state == ST_BDAT) { session_reply(s, "503 5.5.1 BDAT transaction in progress"); return 0; }
  if (s->state == ST_MAIL) { session_reply(s, "554 5.5.1 no valid recipients"); return 0; }
  if (s->state != ST_RCPT) { session_reply(s, "503 5.5.1 need MAIL and RCPT first"); return 0; }
  return no_arg(s, c);
}

static void do_data(session *s, const smtp_cmd *c)
{
  (void)c;
  if (!message_start(s)) {
    session_reply(s, "451 4.3.0 unable to queue messages now, try again later");
    session_txn_reset(s);
    return;
  }
  session_reply(s, "354 go ahead, end with <CRLF>.<CRLF>");
  session_flush(s);
  message_read_data(s);
}

static int check_bdat(session *s, const smtp_cmd *c)
{
  if (cmd_bdat(c->arg, c->arglen, &s->bdat_size, &s->bdat_last) != CMD_OK) {
    /* The chunk size is unknown, so the session cannot continue in step. */
    session_reply(s, "501 5.5.4 syntax: BDAT size [LAST]");
    s->end = "bad bdat";
    s->quit = 1;
    return 0;
  }
  if (s->state == ST_RCPT || s->state == ST_BDAT) return 1;
  /* Out of sequence: the chunk is still read, then refused. */
  if (!message_read_chunk(s, s->bdat_size, 0)) return 0;
  if (s->state == ST_MAIL) session_reply(s, "554 5.5.1 no valid recipients");
  else session_reply(s, "503 5.5.1 need MAIL and RCPT first");
  return 0;
}

static void do_bdat(session *s, const smtp_cmd *c)
{
  char tail[2];
  size_t tn;
  (void)c;
  if (s->state == ST_RCPT) {
    if (!message_start(s)) {
      if (!message_read_chunk(s, s->bdat_size, 0)) return;
      session_reply(s, "451 4.3.0 unable to queue messages now, try again later");
      session_txn_reset(s);
      return;
    }
    data_init(&s->d, 1, s->cf->databytes);
    s->state = ST_BDAT;
  }
  if (!message_read_chunk(s, s->bdat_size, s->injecting)) return;
  if (!s->bdat_fail && (s->d.bad & DATA_TOO_BIG)) {
    /* Refuse now rather than read the rest of a message that cannot be taken. */
    s->bdat_fail = message_refusal(&s->d);
    inject_abort(&s->q);
    s->injecting = 0;
    message_log(s, s->bdat_fail, s->d.size);
  }
  if (s->bdat_fail) {
    session_reply(s, "%s", s->bdat_fail);
    if (s->bdat_last) session_txn_reset(s);
    return;
  }
  if (!s->bdat_last) {
    session_reply(s, "250 2.0.0 %llu octets received", s->bdat_size);
    return;
  }
  tn = data_end_bdat(&s->d, tail);
  if (tn) inject_write(&s->q, tail, tn);
  message_end(s);
}

static int check_rset(session *s, const smtp_cmd *c) { return no_arg(s, c); }
static void do_rset(session *s, const smtp_cmd *c) { (void)c; session_txn_reset(s); session_reply(s, "250 2.0.0 ok"); }
static int check_any(session *s, const smtp_cmd *c) { (void)s; (void)c; return 1; }
static void do_noop(session *s, const smtp_cmd *c) { (void)c; session_reply(s, "250 2.0.0 ok"); }
static void do_quit(session *s, const smtp_cmd *c)
{
  (void)c;
  session_reply(s, "221 2.0.0 %s closing connection", s->cf->me);
  s->end = "quit";
  s->quit = 1;
}

static int check_vrfy(session *s, const smtp_cmd *c)
{
  if (c->arglen) return 1;
  session_reply(s, "501 5.5.4 syntax: VRFY address");
  return 0;
}

static void do_vrfy(session *s, const smtp_cmd *c)
{
  (void)c;
  session_reply(s, "252 2.5.0 cannot verify, but send some mail and I will try my best");
}

static void do_help(session *s, const smtp_cmd *c)
{
  (void)c;
  session_reply(s, "214-2.0.0 yubin: commands:");
  session_reply(s, "214-2.0.0   HELO EHLO MAIL RCPT DATA BDAT RSET NOOP VRFY HELP QUIT STARTTLS AUTH");
  session_reply(s, "214 2.0.0 see RFC 5321");
}

typedef struct verb {
  const char *name;
  int (*check)(session *s, const smtp_cmd *c);   /* validates; replies when refusing */
  void (*proceed)(session *s, const smtp_cmd *c); /* acts and replies */
} verb;

static const verb verbs[] = {
  { "EHLO", check_helo, do_ehlo },
  { "HELO", check_helo, do_helo },
  { "MAIL", check_mail, do_mail },
  { "RCPT", check_rcpt, do_rcpt },
  { "DATA", check_data, do_data },
  { "BDAT", check_bdat, do_bdat },
  { "RSET", check_rset, do_rset },
  { "NOOP", check_any, do_noop },
  { "QUIT", check_rset, do_quit },
  { "VRFY", check_vrfy, do_vrfy },
  { "HELP", check_any, do_help },
  { "STARTTLS", auth_check_starttls, auth_do_starttls },
  { "AUTH", auth_check_auth, auth_do_auth },
};

/* ---- the session -------------------------------------------------------- */

static int too_many_errors(session *s)
{
  if (++s->bad < SESSION_BAD_MAX) return 0;
  session_reply(s, "421 4.7.0 %s too many errors, closing connection", s->cf->me);
  s->end = "too many errors";
  s->quit = 1;
  return 1;
}

/* A client that talks before the greeting is a spammer's engine, not an MTA. */
static int talks_first(session *s)
{
  struct pollfd p = { s->in, POLLIN, 0 };
  int r;
  if (s->cf->local || s->cf->greetdelay_ms <= 0) return 0;
  do r = poll(&p, 1, s->cf->greetdelay_ms); while (r < 0 && errno == EINTR);
  return r > 0 && (p.revents & POLLIN);
}

static void command(session *s, const char *line, size_t len)
{
  smtp_cmd c;
  size_t i;
  if (len > SMTP_LINE_MAX) {
    session_reply(s, "500 5.5.2 line too long");
    too_many_errors(s);
    return;
  }
  if (len < 2 || line[len - 1] != '\n' || line[len - 2] != '\r') {
    session_reply(s, "500 5.5.2 command lines must end with CRLF");
    too_many_errors(s);
    return;
  }
  if (!cmd_split(line, len - 2, &c)) {
    session_reply(s, "500 5.5.2 syntax error");
    too_many_errors(s);
    return;
  }
  for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    if (strcmp(c.verb, verbs[i].name) == 0) break;
  if (i == sizeof verbs / sizeof verbs[0]) {
    session_reply(s, "502 5.5.1 unrecognized command");
    too_many_errors(s);
    return;
  }
  if (verbs[i].check(s, &c)) verbs[i].proceed(s, &c);
  else if (!s->quit && ((s->lastcode >= 500 && s->lastcode <= 504) || s->lastcode == 555))
    too_many_errors(s);  /* protocol errors; refused recipients do not count */
}

void session_run(session *s, const session_config *cf, rcpt_policy *p, int in, int out)
{
  char ip[64], hb[SESSION_HELO_MAX + 1];
  s->cf = cf;
  s->policy = p;
  s->in = in;
  s->out = out;
  s->outn = 0;
  s->state = ST_START;
  s->env = (sa)SA_ZERO;
  s->env.cap = SESSION_ENV_MAX + 16;
  s->end = "eof";
  s->tls = cf->tls;
  s->authuser[0] = 0;
  s->hdr = (sa)SA_ZERO;
  s->hdr.cap = SUBMIT_HEADER_MAX + 1024;
  uniq_hex(s->sid, 8);
  lb_init(&s->lb, in, s->inbuf, sizeof s->inbuf, cf->timeout_ms);
  log_info("%s connect ip=%s port=%s%s%s%s", s->sid, session_safe(cf->remoteip, ip, sizeof ip), cf->remoteport,
           cf->local ? " local=" : "", cf->local ? cf->localuser : "",
           cf->popbeforesmtp ? " relay=popbeforesmtp" : cf->relayclient ? " relay=relayclient" : "");
  if (talks_first(s)) {
    session_reply(s, "554 5.5.0 %s you talked before my greeting", cf->me);
    session_flush(s);
    s->end = "talked before greeting";
    goto done;
  }
  session_reply(s, "220 %s ESMTP yubin%s", cf->me, cf->role == ROLE_SMTP ? "" : " submission");
  while (!s->quit && !s->outerr) {
    const char *line;
    size_t len;
    int r;
    flush_if_waiting(s);
    r = lb_getline(&s->lb, &line, &len);
    if (r == 0) { s->end = "eof"; break; }
    if (r < 0) {
      if (errno == ERANGE) {
        session_reply(s, "500 5.5.2 line too long");
        too_many_errors(s);
        continue;
      }
      if (errno == ETIMEDOUT) {
        session_reply(s, "421 4.4.2 %s timeout, closing connection", cf->me);
        s->end = "timeout";
      } else {
        s->end = "read error";
      }
      break;
    }
    command(s, line, len);
  }
  session_flush(s);
done:
  session_txn_reset(s);
  log_info("%s end ip=%s helo=%s auth=%s tls=%s messages=%lu result=\"%s\"", s->sid,
           session_safe(cf->remoteip, ip, sizeof ip), s->helo[0] ? session_safe(s->helo, hb, sizeof hb) : "-",
           s->authuser[0] ? s->authuser : "-", s->tls ? "yes" : "no", s->messages, s->end);
  sa_free(&s->env);
  sa_free(&s->hdr);
}
