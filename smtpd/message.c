#include "message.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "datefmt.h"
#include "auth.h"
#include "log.h"

static const char *protocol(const session *s)
{
  /* RFC 3848 and RFC 6531 "with" keywords. */
  int a = s->authuser[0] != 0;
  if (s->cf->local) return s->mp.smtputf8 ? "UTF8SMTP" : "ESMTP";
  if (s->mp.smtputf8) return s->tls ? (a ? "UTF8SMTPSA" : "UTF8SMTPS") : (a ? "UTF8SMTPA" : "UTF8SMTP");
  if (!s->ehlo) return "SMTP";
  if (s->tls) return a ? "ESMTPSA" : "ESMTPS";
  return a ? "ESMTPA" : "ESMTP";
}

int message_start(session *s)
{
  char date[DATEFMT_MAX], line[2048], rc[ADDR_MAX + 1];  /* fits the longest fields */
  int n;
  uniq_queue_id(s->qid);
  if (!inject_start(&s->q)) {
    warn_sys("%s unable to start the queue program", s->sid);
    return 0;
  }
  s->injecting = 1;
  datefmt_rfc5322(time(NULL), date);
  rc[0] = 0;
  if (s->nrcpt == 1) {
    /* the single recipient: env is F<sender>\0T<rcpt>\0 */
    const char *t = s->env.s + strlen(s->env.s) + 1;
    snprintf(rc, sizeof rc, "%s", t + 1);
  }
  if (s->cf->local)
    n = snprintf(line, sizeof line, "Received: from local user %s\n\tby %s (yubin) with %s id %s%s%s%s;\n\t%s\n",
                 s->cf->localuser, s->cf->me, protocol(s), s->qid,
                 rc[0] ? "\n\tfor <" : "", rc, rc[0] ? ">" : "", date);
  else
    n = snprintf(line, sizeof line, "Received: from %s (%s [%s])\n\tby %s (yubin) with %s id %s%s%s%s;\n\t%s\n",
                 s->helo, s->cf->remotehost[0] ? s->cf->remotehost : "unknown", s->cf->remoteip,
                 s->cf->me, protocol(s), s->qid,
                 rc[0] ? "\n\tfor <" : "", rc, rc[0] ? ">" : "", date);
  if (n < 0 || (size_t)n >= sizeof line) n = (int)strlen(line);
  inject_write(&s->q, line, (size_t)n);
  submit_begin(s);
  return 1;
}

/* The reply for a message the data machine refused, or NULL. */
const char *message_refusal(const data_state *d)
{
  if (d->bad & DATA_TOO_BIG) return "552 5.3.4 sorry, that message size exceeds my databytes limit";
  if (d->bad & (DATA_BARE_LF | DATA_BARE_CR))
    return "550 5.6.0 message refused: bare CR or LF in the data (lines must end with CRLF)";
  if (d->bad & DATA_LONG_LINE) return "550 5.6.0 message refused: a line is longer than 998 octets";
  if (d->bad & DATA_NUL) return "554 5.6.0 message refused: NUL octet in the data";
  return 0;
}

void message_log(session *s, const char *result, unsigned long long size)
{
  char rc[1200], one[ADDR_MAX + 1], sb[ADDR_MAX + 1];
  size_t off = 0, i = strlen(s->env.s) + 1;
  unsigned long k;
  rc[0] = 0;
  for (k = 0; k < s->nrcpt && i < s->env.len; k++) {
    const char *t = s->env.s + i + 1;
    size_t tl = strlen(t);
    i += tl + 2;
    session_safe(t, one, sizeof one);
    if (off + strlen(one) + 4 >= sizeof rc - 8) { snprintf(rc + off, sizeof rc - off, ",..."); break; }
    off += (size_t)snprintf(rc + off, sizeof rc - off, "%s<%s>", k ? "," : "", one);
  }
  char ip[64], hb[SESSION_HELO_MAX + 1];
  /* qp: the injector's pid, which yubin-queue writes into its Received line
   * and the envelope (p line) and yubin-send logs: it ties this line to the
   * queue's own id. */
  log_info("%s message id=%s qp=%ld ip=%s helo=%s from=<%s> rcpts=%lu to=%s size=%llu result=\"%s\" auth=%s",
           s->sid, s->qid, (long)s->q.qp.pid,
           session_safe(s->cf->remoteip, ip, sizeof ip), session_safe(s->helo, hb, sizeof hb),
           session_safe(s->sender, sb, sizeof sb), s->nrcpt, rc, size, result, s->authuser[0] ? s->authuser : "-");
}

/* The message is complete in the data machine: queue it or refuse it. */
void message_end(session *s)
{
  const char *refuse = message_refusal(&s->d);
  const char *policy = submit_end(s);
  int code;
  if (!refuse) refuse = policy;
  if (refuse) {
    inject_abort(&s->q);
    s->injecting = 0;
    session_reply(s, "%s", refuse);
    message_log(s, refuse, s->d.size);
    session_txn_reset(s);
    return;
  }
  if (!sa_catc(&s->env, 0)) {
    inject_abort(&s->q);
    s->injecting = 0;
    session_reply(s, "451 4.3.0 out of memory");
    session_txn_reset(s);
    return;
  }
  code = inject_finish(&s->q, s->env.s, s->env.len);
  s->env.len--;
  s->injecting = 0;
  if (code == 0) {
    session_reply(s, "250 2.0.0 Ok: queued as %s", s->qid);
    s->messages++;
    message_log(s, "250 queued", s->d.size);
  } else {
    char r[64];
    session_reply(s, "%s", inject_reply(code));
    snprintf(r, sizeof r, "queue exit %d", code);
    message_log(s, r, s->d.size);
  }
  session_txn_reset(s);
}

/* ---- reading the message ------------------------------------------------ */

static int wait_input(session *s)
{
  struct pollfd p = { s->in, POLLIN, 0 };
  int r;
  do r = poll(&p, 1, s->cf->timeout_ms); while (r < 0 && errno == EINTR);
  if (r == 0) { errno = ETIMEDOUT; return 0; }
  return r > 0;
}

/* Next input bytes for DATA/BDAT: what the line buffer holds, else a read. */
static ssize_t more_input(session *s, const char **p)
{
  ssize_t r;
  if (lb_pending(&s->lb)) {
    *p = s->lb.buf + s->lb.start;
    return (ssize_t)lb_pending(&s->lb);
  }
  session_flush(s);   /* about to wait: the client may be waiting for a reply */
  if (!wait_input(s)) return -1;
  s->lb.start = s->lb.end = 0;
  do r = read(s->in, s->lb.buf, s->lb.size); while (r < 0 && errno == EINTR);
  if (r <= 0) return r;
  s->lb.end = (size_t)r;
  s->lb.bytes_in += (unsigned long long)r;   /* STARTTLS counts every byte read */
  *p = s->lb.buf;
  return r;
}

void message_read_data(session *s)
{
  char *out = s->dataout;
  data_init(&s->d, 0, s->cf->databytes);
  while (!s->d.done) {
    const char *p;
    size_t on, used;
    ssize_t r = more_input(s, &p);
    if (r <= 0) { session_lost(s, r == 0 ? "eof in data" : "timeout in data"); return; }
    used = data_feed(&s->d, p, (size_t)r, out, &on);
    s->lb.start += used;
    if (on) submit_write(s, out, on);
  }
  message_end(s);
}

/* Reads one BDAT chunk of size octets into the message (or, with keep 0, away). */
int message_read_chunk(session *s, unsigned long long size, int keep)
{
  char *out = s->dataout;
  while (size > 0) {
    const char *p;
    size_t on, take;
    ssize_t r = more_input(s, &p);
    if (r <= 0) { session_lost(s, r == 0 ? "eof in bdat" : "timeout in bdat"); return 0; }
    take = (unsigned long long)r < size ? (size_t)r : (size_t)size;
    s->lb.start += take;
    size -= take;
    if (!keep) continue;
    data_feed(&s->d, p, take, out, &on);
    if (on) submit_write(s, out, on);
  }
  return 1;
}
